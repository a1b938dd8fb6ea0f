//! The harness's OAuth client against a wiremock token endpoint: the wire form of client_secret_basic,
//! client_secret_post and RFC 7523 assertions (idp-behaviour.md §10.1), one token for many requests and a
//! refresh before expiry, pre-flight's one-line refusals of bad token endpoints and key files, the shapes of
//! the security-check tokens, and no secret in any output.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use scimtest::auth::{AssertionKey, OAuthSettings, SecretMethod, TokenVariant, token::ASSERTION_TYPE};
use scimtest::client::{Client, ClientConfig, Credential, Credentials, Request};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

use super::util::{Run, fixture};

const SCIM: &str = "application/scim+json";
const SECRET: &str = "client-secret-do-not-print-1234";
const ENTRA_ISSUER: &str = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0";

/// A token endpoint at `/oauth2/token` answering `answer` to every request.
async fn token_endpoint(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/oauth2/token")).respond_with(answer).mount(&server).await;
    server
}

fn token_answer(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Cache-Control", "no-store")
        .set_body_json(json!({"access_token": token, "token_type": "Bearer", "expires_in": expires_in}))
}

fn client(settings: OAuthSettings, base: &str) -> Client {
    let mut config = ClientConfig::new(base);
    config.credential = Credential::oauth(settings);
    Client::new(config).unwrap()
}

/// The form pairs of a request body.
fn form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap().into_iter().collect()
}

fn token_url(server: &MockServer) -> String {
    format!("{}/oauth2/token", server.uri())
}

fn key(file: &str) -> AssertionKey {
    let path = fixture(&format!("oauth/{file}"));
    AssertionKey::from_pem(&std::fs::read(&path).unwrap(), &path.display().to_string(), None).unwrap()
}

#[tokio::test]
async fn client_secret_basic_and_post_send_the_form_rfc_6749_asks_for() {
    let server = token_endpoint(token_answer("issued-token-abcdefgh", 3600)).await;
    // §2.3.1: the id and the secret are form-urlencoded before Basic encoding.
    let mut basic = OAuthSettings::client_credentials(token_url(&server), "scim client", "p@ss:word-1234");
    basic.scope = Some("scim.write".into());
    let exchange = client(basic, "http://127.0.0.1:9").token_request(TokenVariant::Configured).await;
    assert_eq!(exchange.status, Some(200), "{exchange:?}");
    let mut post = OAuthSettings::client_credentials(token_url(&server), "client-post", SECRET);
    post.client_auth = scimtest::auth::ClientAuth::Secret { secret: SECRET.into(), method: SecretMethod::Post };
    post.resource = Some("api://scimtest".into());
    let posted = client(post, "http://127.0.0.1:9").token_request(TokenVariant::Configured).await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);

    let authorization = received[0].headers.get("authorization").unwrap().to_str().unwrap();
    let pair = STANDARD.decode(authorization.strip_prefix("Basic ").unwrap()).unwrap();
    assert_eq!(String::from_utf8(pair).unwrap(), "scim+client:p%40ss%3Aword-1234");
    assert_eq!(
        form(&received[0].body),
        HashMap::from([("grant_type".into(), "client_credentials".into()), ("scope".into(), "scim.write".into())]),
        "no client_id or secret in the body with Basic (one client authentication, §2.3)"
    );
    assert_eq!(received[0].headers.get("content-type").unwrap(), "application/x-www-form-urlencoded");
    let shown = exchange.request_headers.iter().find(|(k, _)| k == "Authorization").unwrap();
    assert_eq!(shown.1, "Basic scim+client:$SCIM_CLIENT_SECRET");
    assert!(exchange.curl().contains(r#"-u "scim+client:$SCIM_CLIENT_SECRET""#), "{}", exchange.curl());

    assert!(received[1].headers.get("authorization").is_none());
    let body = form(&received[1].body);
    assert_eq!(body["client_id"], "client-post");
    assert_eq!(body["client_secret"], SECRET);
    assert_eq!(body["resource"], "api://scimtest");
    let shown_body = posted.request_body.clone().unwrap();
    assert!(shown_body.contains("client_secret=[hidden]") && !shown_body.contains(SECRET), "{shown_body}");
    assert!(!posted.response_body.contains("issued-token-abcdefgh"), "the token is hidden: {posted:?}");
}

#[tokio::test]
async fn assertions_have_the_wire_form_of_entra_workload_identity_federation() {
    let server = token_endpoint(token_answer("issued-token-abcdefgh", 3600)).await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&std::fs::read_to_string(fixture("oauth/entra-test-jwks.json")).unwrap()).unwrap();
    for (file, kid, alg) in [
        ("entra-test-rs256.pem", "entra-test-rs256", jsonwebtoken::Algorithm::RS256),
        ("entra-test-es256.pem", "entra-test-es256", jsonwebtoken::Algorithm::ES256),
    ] {
        let mut settings = OAuthSettings::jwt_assertion(token_url(&server), "app-id", key(file));
        settings.scope = Some("scim".into());
        let assertion = settings.assertion_mut().unwrap();
        assertion.issuer = ENTRA_ISSUER.into();
        assertion.audience = "api://scimtest".into();
        assertion.kid = Some(kid.into());
        let exchange = client(settings, "http://127.0.0.1:9").token_request(TokenVariant::Configured).await;
        assert_eq!(exchange.status, Some(200), "{exchange:?}");
        let shown = exchange.request_body.clone().unwrap();
        assert!(shown.contains("client_assertion=[hidden]"), "{shown}");

        let sent = server.received_requests().await.unwrap().pop().unwrap();
        let body = form(&sent.body);
        assert_eq!(body["grant_type"], "client_credentials");
        assert_eq!(body["client_id"], "app-id");
        assert_eq!(body["client_assertion_type"], ASSERTION_TYPE);
        assert_eq!(body["scope"], "scim");
        assert!(!body.contains_key("client_secret") && sent.headers.get("authorization").is_none());
        let jwt = &body["client_assertion"];
        assert!(!shown.contains(jwt.as_str()));
        let header = jsonwebtoken::decode_header(jwt).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (alg, Some(kid)));
        // Verified with the published half, as a server that trusts Entra's JWKS does (RFC 7523 §3).
        let decoding = jsonwebtoken::DecodingKey::from_jwk(jwks.find(kid).unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(alg);
        validation.set_issuer(&[ENTRA_ISSUER]);
        validation.set_audience(&["api://scimtest"]);
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud", "nbf"]);
        let claims = jsonwebtoken::decode::<Value>(jwt, &decoding, &validation).unwrap().claims;
        assert_eq!(claims["sub"], "app-id", "sub defaults to the client id (RFC 7523 §3 item 2.B)");
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 600);
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    }
}

/// SCIM `/Users` that answers 200 only to a bearer token `valid` says is good, else 401.
struct Guarded<F>(F, Arc<Mutex<Vec<String>>>);

impl<F: Fn(&str) -> bool + Send + Sync> Respond for Guarded<F> {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        let ok = (self.0)(&token);
        self.1.lock().unwrap().push(token);
        if ok {
            ResponseTemplate::new(200).set_body_raw(r#"{"Resources":[],"totalResults":0}"#, SCIM)
        } else {
            ResponseTemplate::new(401)
        }
    }
}

#[tokio::test]
async fn one_token_serves_many_requests() {
    let token_server = token_endpoint(token_answer("the-one-token-1234", 3600)).await;
    let scim = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(path("/scim/Users"))
        .respond_with(Guarded(|t: &str| t == "the-one-token-1234", seen.clone()))
        .mount(&scim)
        .await;
    let client = client(
        OAuthSettings::client_credentials(token_url(&token_server), "c", SECRET),
        &format!("{}/scim", scim.uri()),
    );
    let sends = (0..20).map(|_| {
        let client = client.clone();
        async move { client.send(&Request::new(reqwest::Method::GET, "/Users")).await }
    });
    let exchanges = futures_join_all(sends).await;
    assert!(exchanges.iter().all(|e| e.status == Some(200)), "{exchanges:?}");
    assert_eq!(token_server.received_requests().await.unwrap().len(), 1, "one fetch, the others waited for it");
    assert_eq!(seen.lock().unwrap().len(), 20);
    let shown = &exchanges[0].request_headers;
    assert!(shown.contains(&("Authorization".into(), "Bearer $SCIM_TOKEN".into())), "{shown:?}");
}

#[tokio::test]
async fn a_token_that_cannot_be_had_mid_run_is_the_exchange_error_and_nothing_is_sent() {
    let token_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(token_answer("first-and-last-token", 1))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&token_server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_raw("<html>maintenance</html>", "text/html"))
        .with_priority(5)
        .mount(&token_server)
        .await;
    let scim = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(path("/scim/Users")).respond_with(Guarded(|_: &str| true, seen.clone())).mount(&scim).await;
    let client = client(
        OAuthSettings::client_credentials(token_url(&token_server), "c", SECRET),
        &format!("{}/scim", scim.uri()),
    );
    let users = Request::new(reqwest::Method::GET, "/Users");
    assert_eq!(client.send(&users).await.status, Some(200));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let failed = client.send(&users).await;
    assert_eq!(failed.status, None, "{failed:?}");
    let error = failed.error.clone().unwrap();
    assert!(error.starts_with("not sent: ") && error.contains("503 text/html, not JSON"), "{error}");
    assert_eq!(seen.lock().unwrap().len(), 1, "the second request was not sent");
    assert_eq!(client.timings().report().iter().map(|t| t.count).sum::<u64>(), 3, "two token requests, one SCIM");
}

/// Runs the futures concurrently on this runtime.
async fn futures_join_all<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for f in futures {
        set.spawn(f);
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

/// A token endpoint issuing `token-N` tokens for `lifetime`, remembering when each was issued.
struct Issuing {
    lifetime: Duration,
    issued: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Respond for Issuing {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let mut issued = self.issued.lock().unwrap();
        let token = format!("short-lived-token-{}", issued.len());
        issued.insert(token.clone(), Instant::now());
        token_answer(&token, self.lifetime.as_secs())
    }
}

/// A token endpoint issuing `short-lived-token-N` tokens for `lifetime`, and when it issued each.
async fn issuing(lifetime: Duration) -> (MockServer, Arc<Mutex<HashMap<String, Instant>>>) {
    let issued = Arc::new(Mutex::new(HashMap::new()));
    let token_server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(Issuing { lifetime, issued: issued.clone() })
        .mount(&token_server)
        .await;
    (token_server, issued)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_second_tokens_are_refreshed_before_they_expire() {
    let lifetime = Duration::from_secs(2);
    let (token_server, issued) = issuing(lifetime).await;
    let scim = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let known = issued.clone();
    let valid = move |t: &str| known.lock().unwrap().get(t).is_some_and(|at| at.elapsed() < lifetime);
    Mock::given(path("/scim/Users")).respond_with(Guarded(valid, seen.clone())).mount(&scim).await;
    let client = client(
        OAuthSettings::client_credentials(token_url(&token_server), "c", SECRET),
        &format!("{}/scim", scim.uri()),
    );
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let exchange = client.send(&Request::new(reqwest::Method::GET, "/Users")).await;
        assert_eq!(exchange.status, Some(200), "sent with an expired token after {:?}", start.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fetched = token_server.received_requests().await.unwrap().len();
    // 5 s of 2-second tokens refreshed with half a second left: at least three, and not one per request.
    assert!((3..=6).contains(&fetched), "{fetched} token requests");
    assert!(seen.lock().unwrap().len() > 20);
}

#[tokio::test]
async fn the_security_check_tokens_have_their_shapes_and_are_hidden() {
    // A JWT access token, as most servers issue.
    let run_token = key("entra-test-es256.pem")
        .sign(
            &json!({"iss": "http://as", "sub": "c", "aud": "api://scimtest", "exp": 4_000_000_000u64}),
            Some("as-key"),
        )
        .unwrap();
    let server = token_endpoint(token_answer(&run_token, 3600)).await;
    let client = client(OAuthSettings::client_credentials(token_url(&server), "c", SECRET), "http://127.0.0.1:9");
    let sent = |credentials| {
        let client = client.clone();
        async move {
            let authorization = client.authorization(credentials).await.unwrap().unwrap();
            (authorization.value.strip_prefix("Bearer ").unwrap().to_string(), authorization.shown)
        }
    };
    let parts = |t: &str| t.split('.').map(str::to_string).collect::<Vec<_>>();
    let run = parts(&run_token);

    let (alg_none, shown) = sent(Credentials::AlgNone).await;
    let forged = parts(&alg_none);
    assert_eq!(URL_SAFE_NO_PAD.decode(&forged[0]).unwrap(), br#"{"alg":"none","typ":"JWT"}"#);
    assert_eq!((forged[1].as_str(), forged[2].as_str()), (run[1].as_str(), ""), "the run's payload, no signature");
    assert!(!shown.contains(&alg_none) && shown.starts_with("Bearer <"), "{shown}");

    let (tampered, _) = sent(Credentials::Tampered).await;
    let forged = parts(&tampered);
    assert_eq!((forged[0].as_str(), forged[2].as_str()), (run[0].as_str(), run[2].as_str()), "header, signature kept");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&forged[1]).unwrap()).unwrap();
    assert_eq!((claims["sub"].as_str(), claims["aud"].as_str()), (Some("scimtest-tampered"), Some("api://scimtest")));

    let (unknown, _) = sent(Credentials::UnknownKey).await;
    let header = jsonwebtoken::decode_header(&unknown).unwrap();
    assert_eq!((header.alg, header.kid.as_deref()), (jsonwebtoken::Algorithm::ES256, Some("scimtest-unknown-key")));
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&unknown).unwrap();
    assert_eq!(claims["sub"], "c");

    let (malformed, _) = sent(Credentials::Malformed).await;
    assert_eq!(malformed, run_token[..run_token.len() / 2]);

    for secret in [&run_token, &alg_none, &tampered, &unknown, &malformed.to_string()] {
        assert_eq!(client.hide_secrets(&format!("echo {secret} end")), "echo [hidden] end");
    }
    // Waiting for expiry needs short tokens and the wait allowed; the other resource needs naming.
    assert!(client.authorization(Credentials::Expired).await.is_err());
    assert!(client.authorization(Credentials::WrongAudience).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "one token for every forged one");
}

#[tokio::test]
async fn the_expired_token_is_waited_out_and_the_wrong_audience_token_asked_for_another_resource() {
    let server = token_endpoint(token_answer("one-second-token-abcd", 1)).await;
    let mut settings = OAuthSettings::client_credentials(token_url(&server), "c", SECRET);
    settings.resource = Some("api://scimtest".into());
    settings.other_resource = Some("api://scimtest-other".into());
    settings.expiry_wait = Duration::from_secs(2);
    let client = client(settings, "http://127.0.0.1:9");
    let start = Instant::now();
    let expired = client.authorization(Credentials::Expired).await.unwrap().unwrap();
    assert!(start.elapsed() >= Duration::from_secs(2), "expires_in 1 s, and a second more: {:?}", start.elapsed());
    assert_eq!(expired.value, "Bearer one-second-token-abcd");
    assert!(!expired.shown.contains("one-second"), "{expired:?}");
    let again = Instant::now();
    client.authorization(Credentials::Expired).await.unwrap();
    assert!(again.elapsed() < Duration::from_millis(500), "waited out once for every check");
    let wrong = client.authorization(Credentials::WrongAudience).await.unwrap().unwrap();
    assert!(wrong.shown.contains("api://scimtest-other"), "{wrong:?}");
    let forms: Vec<_> = server.received_requests().await.unwrap().iter().map(|r| form(&r.body)).collect();
    assert_eq!(forms.len(), 2);
    assert_eq!(
        (forms[0]["resource"].as_str(), forms[1]["resource"].as_str()),
        ("api://scimtest", "api://scimtest-other")
    );
}

// ---------------------------------------------------------------------------------------------------
// The CLI: pre-flight refuses a bad token endpoint or key file in one line, exit 2, nothing secret.
// ---------------------------------------------------------------------------------------------------

/// `scimtest run` with `args`, SCIM_CLIENT_SECRET set and every other credential variable removed.
fn run(args: &[&str]) -> Run {
    Run::of(crate::util::scimtest_without_credentials().arg("run").args(args).env("SCIM_CLIENT_SECRET", SECRET))
}

/// Exit 2, nothing on stdout, `error: <cause>` and `  fix: …`, and no secret.
fn assert_refused(r: &Run, cause: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one error line and one fix line: {r:?}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(cause), "cause `{cause}`: {r:?}");
    assert!(lines[1].starts_with("  fix: "), "{r:?}");
    assert!(!r.stderr.contains(SECRET), "{r:?}");
}

#[test]
fn preflight_names_a_bad_token_endpoint_in_one_line() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let scim = "http://127.0.0.1:9/scim/v2";
    for (answer, cause) in [
        (
            ResponseTemplate::new(200).set_body_raw("<html><body>Sign in</body></html>", "text/html"),
            "200 text/html, not JSON",
        ),
        (ResponseTemplate::new(400).set_body_json(json!({"message": "bad request"})), "400 without an `error` code"),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-without-expiry", "token_type": "Bearer"})),
            "without expires_in",
        ),
        (
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": "invalid_client", "error_description": "wrong secret"})),
            "401 invalid_client \"wrong secret\"",
        ),
    ] {
        let server = rt.block_on(token_endpoint(answer));
        let r = run(&["--url", scim, "--token-url", &token_url(&server), "--client-id", "c"]);
        assert_refused(&r, cause);
        assert!(!r.stderr.contains("tok-without-expiry"), "{r:?}");
    }
    let r = run(&["--url", scim, "--token-url", "http://127.0.0.1:9/oauth2/token", "--client-id", "c"]);
    assert_refused(&r, "connection refused");
    assert!(r.stderr.contains("--token-url"), "{r:?}");
}

#[test]
fn a_missing_or_unusable_key_file_is_named() {
    let dir = std::env::temp_dir().join(format!("scimtest-oauth-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_a_key = dir.join("notes.txt");
    std::fs::write(&not_a_key, "just some text").unwrap();
    let public = dir.join("public.pem");
    std::fs::write(&public, "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ==\n-----END PUBLIC KEY-----\n").unwrap();
    let missing = dir.join("missing.pem");
    for file in [&missing, &not_a_key, &public] {
        let shown = file.to_str().unwrap();
        let r = run(&[
            "--url",
            "http://127.0.0.1:9/scim/v2",
            "--auth",
            "jwt-assertion",
            "--token-url",
            "http://127.0.0.1:9/oauth2/token",
            "--client-id",
            "c",
            "--assertion-key",
            shown,
        ]);
        assert_refused(&r, shown);
        assert!(!r.stderr.contains("MFkwEwYHKoZIzj0CAQ"), "no key material: {r:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn settings_of_two_methods_are_a_usage_mistake_naming_both() {
    let url = "http://127.0.0.1:9/scim/v2";
    let token_url = "http://127.0.0.1:9/oauth2/token";
    for (args, first, second) in [
        (vec!["--auth", "bearer", "--token", "t", "--token-url", token_url], "--auth bearer", "--token-url"),
        (vec!["--token", "t", "--token-url", token_url], "--token-url", "--token"),
        (vec!["--basic", "u", "--token-url", token_url, "--client-id", "c"], "--token-url", "--basic"),
        (vec!["--auth", "none", "--token-url", token_url], "--auth none", "--token-url"),
        (vec!["--auth", "client-credentials", "--no-auth"], "--auth client-credentials", "--no-auth"),
        (vec!["--scope", "scim"], "--scope", "--token-url"),
    ] {
        let mut all = vec!["--url", url];
        all.extend(args);
        let r = run(&all);
        assert_refused(&r, first);
        assert!(r.stderr.lines().next().unwrap().contains(second), "{second}: {r:?}");
    }
}

#[test]
fn an_oauth_run_leaves_no_secret_in_any_output() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let access_token = "access-token-never-printed-5678";
    let token_server = rt.block_on(token_endpoint(token_answer(access_token, 3600)));
    // A SCIM service that echoes the Authorization header in every answer (as some error pages do).
    let scim = rt.block_on(MockServer::start());
    let spc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]});
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/scim/ServiceProviderConfig"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(spc.to_string(), SCIM))
            .with_priority(1)
            .mount(&scim),
    );
    rt.block_on(
        Mock::given(wiremock::matchers::any())
            .respond_with(|request: &wiremock::Request| {
                let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                ResponseTemplate::new(400).set_body_raw(format!("<html>bad: {auth}</html>"), "text/html")
            })
            .with_priority(10)
            .mount(&scim),
    );
    let dir = std::env::temp_dir().join(format!("scimtest-oauth-leak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let key_file = fixture("oauth/entra-test-es256.pem");
    let pem = std::fs::read_to_string(&key_file).unwrap();
    for jwt in [false, true] {
        let mut args = vec![
            "--url".to_string(),
            format!("{}/scim", scim.uri()),
            "--token-url".into(),
            token_url(&token_server),
            "--client-id".into(),
            "c".into(),
            "--suite".into(),
            "users".into(),
            "--cases".into(),
            "5".into(),
            "--json".into(),
            report("r.json"),
            "--har".into(),
            report("r.har"),
            "--markdown".into(),
            report("r.md"),
            "--verbose".into(),
        ];
        if jwt {
            args.extend([
                "--assertion-key".into(),
                key_file.to_str().unwrap().into(),
                "--assertion-kid".into(),
                "k".into(),
            ]);
        } else {
            args.extend(["--client-auth".into(), "post".into()]);
        }
        let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(r.code, 1, "the echoing server fails checks: {r:?}");
        let assertions: Vec<String> = rt
            .block_on(token_server.received_requests())
            .unwrap()
            .iter()
            .filter_map(|t| form(&t.body).get("client_assertion").cloned())
            .collect();
        assert_eq!(assertions.is_empty(), !jwt);
        if !jwt {
            let fetched = rt.block_on(token_server.received_requests()).unwrap().len();
            assert_eq!(fetched, 1, "pre-flight's token serves the whole run (and its cleanup)");
        }
        let har = std::fs::read_to_string(report("r.har")).unwrap();
        assert!(
            har.contains(if jwt { "client_assertion=[hidden]" } else { "client_secret=[hidden]" }),
            "the token request is in the HAR"
        );
        let outputs = [
            r.stdout.clone(),
            r.stderr.clone(),
            har,
            std::fs::read_to_string(report("r.json")).unwrap(),
            std::fs::read_to_string(report("r.md")).unwrap(),
        ];
        let body_line = pem.lines().nth(1).unwrap();
        for output in &outputs {
            for secret in [SECRET, access_token, body_line].iter().copied().chain(assertions.iter().map(String::as_str))
            {
                assert!(
                    !output.contains(secret),
                    "a secret leaked ({} chars of it): {}",
                    secret.len(),
                    &output[..output.len().min(2000)]
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 401 for a token that expired on its way (the answer took longer than the token had left) is sent once
/// more with a fresh token; a 401 for the token still held is the server's verdict, never retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_for_a_token_that_expired_in_flight_is_sent_once_more_and_no_other_401_is() {
    let lifetime = Duration::from_secs(2);
    let (token_server, _) = issuing(lifetime).await;
    let scim = MockServer::start().await;
    let bearer = |n: usize| format!("Bearer short-lived-token-{n}");
    // The first token is refused slowly (1.6 s: past its refresh point), the second accepted.
    Mock::given(path("/scim/Users"))
        .and(wiremock::matchers::header("authorization", bearer(0).as_str()))
        .respond_with(ResponseTemplate::new(401).set_delay(Duration::from_millis(1600)))
        .mount(&scim)
        .await;
    Mock::given(path("/scim/Users"))
        .and(wiremock::matchers::header("authorization", bearer(1).as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", SCIM))
        .mount(&scim)
        .await;
    let settings = OAuthSettings::client_credentials(token_url(&token_server), "c", SECRET);
    let late = client(settings.clone(), &format!("{}/scim", scim.uri()))
        .send(&Request::new(reqwest::Method::GET, "/Users"))
        .await;
    assert_eq!((late.status, late.attempts), (Some(200), 2), "{late:?}");
    // A token refused at once, while still good by its expires_in: the refusal stands.
    let refusing = MockServer::start().await;
    Mock::given(path("/scim/Users")).respond_with(ResponseTemplate::new(401)).mount(&refusing).await;
    let refused =
        client(settings, &format!("{}/scim", refusing.uri())).send(&Request::new(reqwest::Method::GET, "/Users")).await;
    assert_eq!((refused.status, refused.attempts), (Some(401), 1), "{refused:?}");
}
