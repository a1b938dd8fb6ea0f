//! `scimtest serve --oauth` driven in process through its router: the token endpoint (client secrets and
//! RFC 7523 assertions signed with the "Entra" test keys of fixtures/oauth/), the JWKS and metadata, the
//! SCIM endpoints' access-token checks (RFC 6750 §3), and what each `oauth-*` fault breaks ([`probe`], also
//! used by server_faults.rs).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use scimtest::server::oauth::{DEFAULT_AUDIENCE, DEFAULT_OTHER_AUDIENCE, DEFAULT_TRUSTED_ISSUER, JWT_BEARER_ASSERTION};
use scimtest::server::{Fault, FederatedClient, OAuthConfig, ServerConfig, app, state};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::util::fixture;

const HOST: &str = "scim.example.test";
const ISSUER: &str = "http://scim.example.test";
const TOKEN_URL: &str = "http://scim.example.test/oauth2/token";
const CLIENT: &str = "scimtest";
const SECRET: &str = "s3cret-Of-The-Client";
const STATIC_TOKEN: &str = "static-token";

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or("")
    }

    fn token(&self) -> String {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self.body["access_token"].as_str().expect("an access_token").to_string()
    }
}

/// An `--oauth` server with a secret client, a federated client trusting the fixture JWK Set, tokens of
/// `lifetime` seconds, `faults`, and a static token that must no longer be accepted.
fn server(faults: &[Fault], lifetime: u64) -> Router {
    let jwks: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("oauth/entra-test-jwks.json")).unwrap()).unwrap();
    let oauth = OAuthConfig { token_lifetime: std::time::Duration::from_secs(lifetime), ..OAuthConfig::default() }
        .with_client(CLIENT, SECRET)
        .with_federated(FederatedClient::new(CLIENT, jwks));
    app(state(ServerConfig {
        token: Some(STATIC_TOKEN.into()),
        oauth: Some(oauth),
        faults: faults.iter().copied().collect(),
        ..ServerConfig::default()
    }))
}

async fn call(app: &Router, method: Method, path: &str, headers: &[(&str, &str)], body: String) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request = request.header(header::HOST, HOST);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Reply { status: parts.status, headers: parts.headers, body }
}

/// A token request with `form` and optional extra headers (an Authorization).
async fn token_request(app: &Router, headers: &[(&str, &str)], form: &[(&str, &str)]) -> Reply {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    call(app, Method::POST, "/oauth2/token", &all, serde_urlencoded::to_string(form).unwrap()).await
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// A token by client_secret_basic, with extra form parameters.
async fn token_with(app: &Router, extra: &[(&str, &str)]) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    token_request(app, &[("authorization", basic(CLIENT, SECRET).as_str())], &form).await.token()
}

async fn scim(app: &Router, authorization: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = authorization.map(|a| ("authorization", a)).into_iter().collect();
    call(app, Method::GET, "/scim/v2/Users", &headers, String::new()).await
}

async fn scim_with(app: &Router, token: &str) -> Reply {
    scim(app, Some(format!("Bearer {token}").as_str())).await
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// A JWT's part (0 header, 1 claims) as JSON.
fn part(token: &str, i: usize) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

fn encode_part(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// The fixture key "signed by Entra": RS256 or ES256.
fn entra_key(alg: Algorithm) -> (EncodingKey, &'static str) {
    match alg {
        Algorithm::RS256 => (
            EncodingKey::from_rsa_pem(&std::fs::read(fixture("oauth/entra-test-rs256.pem")).unwrap()).unwrap(),
            "entra-test-rs256",
        ),
        _ => (
            EncodingKey::from_ec_pem(&std::fs::read(fixture("oauth/entra-test-es256.pem")).unwrap()).unwrap(),
            "entra-test-es256",
        ),
    }
}

fn sign(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &entra_key(alg).0).unwrap()
}

/// Entra's assertion claims for the federated client, with `changes` applied (null removes a claim).
fn assertion_claims(changes: Value) -> Value {
    let now = now();
    let mut claims = json!({
        "iss": DEFAULT_TRUSTED_ISSUER,
        "sub": CLIENT,
        "aud": TOKEN_URL,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "assertion-1",
    });
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// An assertion signed by the fixture key of `alg`, with its own kid.
fn assertion(alg: Algorithm, changes: Value) -> String {
    sign(alg, entra_key(alg).1, &assertion_claims(changes))
}

async fn exchange(app: &Router, assertion: &str) -> Reply {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER_ASSERTION),
        ("client_assertion", assertion),
        ("scope", "scim"),
    ];
    token_request(app, &[], &form).await
}

/// `token` with its claims changed and its signature kept.
fn tampered(token: &str) -> String {
    let mut claims = part(token, 1);
    claims["sub"] = json!("scimtest-tampered");
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], encode_part(&claims), parts[2])
}

/// An unsecured JWT (`alg: none`) with `token`'s claims.
fn alg_none(token: &str) -> String {
    format!("{}.{}.", encode_part(&json!({"alg": "none", "typ": "JWT"})), token.split('.').nth(1).unwrap())
}

/// `token`'s claims signed by another key (the fixture ES256 key) under `kid`.
fn resigned(token: &str, kid: &str) -> String {
    sign(Algorithm::ES256, kid, &part(token, 1))
}

/// Waits until `token`'s `exp` has passed.
async fn outlive(token: &str) {
    let exp = part(token, 1)["exp"].as_u64().unwrap();
    while now() < exp {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A refusal of the SCIM endpoints: 401 SCIM Error with the RFC 6750 challenge naming `invalid_token`, a
/// description containing `reason`, and no trace of the token.
fn assert_invalid_token(r: &Reply, reason: &str, token: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.body["status"], "401", "{}", r.body);
    let challenge = r.header(header::WWW_AUTHENTICATE);
    assert!(
        challenge.starts_with("Bearer realm=\"scimtest\", error=\"invalid_token\", error_description=\""),
        "{challenge}"
    );
    assert!(challenge.contains(reason), "{challenge} should say {reason}");
    // RFC 6750 §3: the description holds only %x20-21 / %x23-5B / %x5D-7E.
    let description = challenge.split("error_description=\"").nth(1).unwrap().strip_suffix('"').unwrap();
    assert!(description.chars().all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\'), "{description}");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains(reason), "{detail}");
    let signature = token.rsplit('.').next().unwrap();
    for text in [challenge, detail] {
        assert!(!text.contains(token) && (signature.len() < 8 || !text.contains(signature)), "{text}");
    }
}

// ----- the token endpoint ----------------------------------------------------------------------------

#[tokio::test]
async fn client_secret_basic_and_post_issue_uncacheable_jwt_access_tokens() {
    let app = server(&[], 3600);
    let by_basic = token_request(
        &app,
        &[("authorization", basic(CLIENT, SECRET).as_str())],
        &[("grant_type", "client_credentials"), ("scope", "scim")],
    )
    .await;
    let by_post = token_request(
        &app,
        &[],
        &[("grant_type", "client_credentials"), ("client_id", CLIENT), ("client_secret", SECRET)],
    )
    .await;
    for (r, scope) in [(&by_basic, Some("scim")), (&by_post, None)] {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
        assert_eq!(r.header(header::PRAGMA), "no-cache");
        assert!(r.header(header::CONTENT_TYPE).starts_with("application/json"));
        assert_eq!(r.body["token_type"], "Bearer");
        assert_eq!(r.body["expires_in"], 3600);
        assert_eq!(r.body["scope"].as_str(), scope);
        let token = r.token();
        let (head, claims) = (part(&token, 0), part(&token, 1));
        assert_eq!((head["alg"].as_str(), head["typ"].as_str()), (Some("ES256"), Some("at+jwt")), "{head}");
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!((claims["sub"].as_str(), claims["client_id"].as_str()), (Some(CLIENT), Some(CLIENT)));
        assert_eq!(claims["aud"], DEFAULT_AUDIENCE);
        // `iat` is the whole second the token was issued in; `exp` one more, so the token outlives expires_in.
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600 + 1);
        assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16) && claims["nbf"].is_u64(), "{claims}");
        assert_eq!(claims["scope"].as_str(), scope);
        let answered = scim_with(&app, &token).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
    }
    // Each token is its own: a new jti.
    assert_ne!(part(&by_basic.token(), 1)["jti"], part(&by_post.token(), 1)["jti"]);
    // The Basic user and password are form-urlencoded (RFC 6749 §2.3.1).
    let encoded = token_request(
        &app,
        &[("authorization", basic("scimtest", "s3cret-Of-The-Client".replace('-', "%2D").as_str()).as_str())],
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(encoded.status, StatusCode::OK, "{}", encoded.body);
}

#[tokio::test]
async fn a_wrong_secret_or_client_is_invalid_client_with_the_basic_challenge_after_basic() {
    let app = server(&[], 3600);
    let grant = ("grant_type", "client_credentials");
    let wrong = "not-the-secret";
    let by_basic = token_request(&app, &[("authorization", basic(CLIENT, wrong).as_str())], &[grant]).await;
    let by_post = token_request(&app, &[], &[grant, ("client_id", CLIENT), ("client_secret", wrong)]).await;
    let unknown = token_request(&app, &[("authorization", basic("someone-else", SECRET).as_str())], &[grant]).await;
    for r in [&by_basic, &by_post, &unknown] {
        assert_eq!((r.status, r.error()), (StatusCode::UNAUTHORIZED, "invalid_client"), "{}", r.body);
        assert!(r.description().contains("RFC 6749 section 5.2"), "{}", r.body);
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
        assert!(!r.body.to_string().contains(wrong) && !r.body.to_string().contains(SECRET), "{}", r.body);
    }
    // RFC 6749 §5.2: the 401 after HTTP Basic names the scheme; after client_secret_post there is none.
    assert_eq!(by_basic.header(header::WWW_AUTHENTICATE), "Basic realm=\"scimtest\"");
    assert_eq!(unknown.header(header::WWW_AUTHENTICATE), "Basic realm=\"scimtest\"");
    assert_eq!(by_post.header(header::WWW_AUTHENTICATE), "");
    let undecodable = token_request(&app, &[("authorization", "Basic !!not-base64")], &[grant]).await;
    assert_eq!((undecodable.status, undecodable.error()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert_eq!(undecodable.header(header::WWW_AUTHENTICATE), "Basic realm=\"scimtest\"");
    let none = token_request(&app, &[], &[grant, ("client_id", CLIENT)]).await;
    assert_eq!((none.status, none.error()), (StatusCode::UNAUTHORIZED, "invalid_client"), "{}", none.body);
}

#[tokio::test]
async fn malformed_token_requests_get_the_rfc_6749_error_codes() {
    let app = server(&[], 3600);
    let auth = basic(CLIENT, SECRET);
    let grant = ("grant_type", "client_credentials");
    let two = token_request(
        &app,
        &[("authorization", auth.as_str())],
        &[grant, ("client_id", CLIENT), ("client_secret", SECRET)],
    )
    .await;
    assert_eq!((two.status, two.error()), (StatusCode::BAD_REQUEST, "invalid_request"), "{}", two.body);
    assert!(two.description().contains("RFC 6749 section 2.3"), "{}", two.body);
    let secret_and_assertion = token_request(
        &app,
        &[],
        &[
            grant,
            ("client_id", CLIENT),
            ("client_secret", SECRET),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion(Algorithm::ES256, json!({})).as_str()),
        ],
    )
    .await;
    assert_eq!(secret_and_assertion.error(), "invalid_request", "{}", secret_and_assertion.body);
    let wrong_grant = token_request(&app, &[("authorization", auth.as_str())], &[("grant_type", "password")]).await;
    assert_eq!((wrong_grant.status, wrong_grant.error()), (StatusCode::BAD_REQUEST, "unsupported_grant_type"));
    let no_grant = token_request(&app, &[("authorization", auth.as_str())], &[("scope", "scim")]).await;
    assert_eq!((no_grant.status, no_grant.error()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let twice =
        token_request(&app, &[("authorization", auth.as_str())], &[grant, ("scope", "a"), ("scope", "b")]).await;
    assert_eq!(twice.error(), "invalid_request", "{}", twice.body);
    assert!(twice.description().contains("RFC 6749 section 3.2"), "{}", twice.body);
    let json_body = call(
        &app,
        Method::POST,
        "/oauth2/token",
        &[("authorization", auth.as_str()), ("content-type", "application/json")],
        json!({"grant_type": "client_credentials"}).to_string(),
    )
    .await;
    assert_eq!((json_body.status, json_body.error()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let unknown_resource =
        token_request(&app, &[("authorization", auth.as_str())], &[grant, ("resource", "api://elsewhere")]).await;
    assert_eq!((unknown_resource.status, unknown_resource.error()), (StatusCode::BAD_REQUEST, "invalid_target"));
    for r in [&two, &wrong_grant, &no_grant, &json_body, &unknown_resource] {
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store", "{}", r.body);
        assert!(!r.body.to_string().contains(SECRET));
    }
}

#[tokio::test]
async fn assertions_signed_by_the_trusted_issuer_rs256_and_es256_get_tokens() {
    let app = server(&[], 3600);
    for alg in [Algorithm::RS256, Algorithm::ES256] {
        // Entra's aud is the app's `api://` URI (§10.1); the token endpoint URL and the issuer do as well.
        for aud in [TOKEN_URL, ISSUER, DEFAULT_AUDIENCE] {
            let r = exchange(&app, &assertion(alg, json!({ "aud": aud }))).await;
            assert_eq!(r.status, StatusCode::OK, "{alg:?} aud {aud}: {}", r.body);
            assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
            let token = r.token();
            assert_eq!(part(&token, 1)["client_id"], CLIENT);
            assert_eq!(r.body["scope"], "scim");
            assert_eq!(scim_with(&app, &token).await.status, StatusCode::OK);
        }
    }
    // An aud array naming this endpoint among others.
    let r = exchange(&app, &assertion(Algorithm::ES256, json!({"aud": ["https://x.invalid", TOKEN_URL]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A client_id sent beside the assertion must be the federated client's.
    let a = assertion(Algorithm::RS256, json!({}));
    let form = |id: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", a.as_str()),
        ]
    };
    assert_eq!(token_request(&app, &[], &form(CLIENT)).await.status, StatusCode::OK);
    let other = token_request(&app, &[], &form("another-client")).await;
    assert_eq!((other.status, other.error()), (StatusCode::UNAUTHORIZED, "invalid_client"), "{}", other.body);
}

#[tokio::test]
async fn assertions_that_fail_rfc_7523_are_invalid_client_and_say_which_item() {
    let app = server(&[], 3600);
    let good = assertion(Algorithm::ES256, json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let cases: Vec<(&str, String, &str)> = vec![
        ("expired", assertion(Algorithm::ES256, json!({"exp": now() - 600, "iat": now() - 1200})), "item 4"),
        ("no exp", assertion(Algorithm::RS256, json!({"exp": null})), "item 4"),
        (
            "wrong aud",
            assertion(Algorithm::RS256, json!({"aud": "https://scimtest.invalid/not-this-server"})),
            "item 3",
        ),
        ("wrong iss", assertion(Algorithm::ES256, json!({"iss": "https://login.example.invalid/v2.0"})), "item 1"),
        ("wrong sub", assertion(Algorithm::ES256, json!({"sub": "someone-else"})), "item 2"),
        ("not yet valid", assertion(Algorithm::ES256, json!({"nbf": now() + 3600})), "item 5"),
        ("unknown kid", sign(Algorithm::RS256, "scimtest-unknown-key", &assertion_claims(json!({}))), "item 9"),
        ("bad signature", tampered(&good), "item 9"),
        ("alg none", format!("{}.{}.", encode_part(&json!({"alg": "none"})), parts[1]), "item 9"),
        ("not a JWT", "not-a-jwt".to_string(), "item 10"),
    ];
    for (what, a, item) in cases {
        let r = exchange(&app, &a).await;
        assert_eq!((r.status, r.error()), (StatusCode::UNAUTHORIZED, "invalid_client"), "{what}: {}", r.body);
        assert!(r.description().contains(&format!("RFC 7523 section 3, {item}")), "{what}: {}", r.body);
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
        assert_eq!(r.header(header::WWW_AUTHENTICATE), "", "no Basic challenge without Basic");
        let signature = a.rsplit('.').next().unwrap();
        assert!(!r.body.to_string().contains(&a) && (signature.is_empty() || !r.body.to_string().contains(signature)));
    }
    let wrong_type = token_request(
        &app,
        &[],
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
            ("client_assertion", good.as_str()),
        ],
    )
    .await;
    assert_eq!((wrong_type.status, wrong_type.error()), (StatusCode::UNAUTHORIZED, "invalid_client"));
}

#[tokio::test]
async fn metadata_and_jwks_describe_the_server_and_publish_only_the_public_key() {
    let app = server(&[], 3600);
    let meta = call(&app, Method::GET, "/.well-known/oauth-authorization-server", &[], String::new()).await;
    assert_eq!(meta.status, StatusCode::OK);
    assert_eq!(meta.body["issuer"], ISSUER);
    assert_eq!(meta.body["token_endpoint"], TOKEN_URL);
    assert_eq!(meta.body["jwks_uri"], format!("{ISSUER}/.well-known/jwks.json"));
    assert_eq!(meta.body["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        meta.body["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "private_key_jwt"])
    );
    assert_eq!(meta.body["token_endpoint_auth_signing_alg_values_supported"], json!(["RS256", "ES256"]));
    let jwks = call(&app, Method::GET, "/.well-known/jwks.json", &[], String::new()).await;
    let keys = jwks.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{}", jwks.body);
    let key = &keys[0];
    assert_eq!(
        (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
        (Some("EC"), Some("P-256"), Some("ES256"))
    );
    assert!(key.get("d").is_none(), "the private part is never published: {key}");
    let token = token_with(&app, &[]).await;
    assert_eq!(part(&token, 0)["kid"], key["kid"]);
    // Without --oauth none of it exists.
    let plain = app_without_oauth();
    for path in ["/oauth2/token", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server"] {
        assert_eq!(call(&plain, Method::GET, path, &[], String::new()).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A new key at every start.
    let again = call(&server(&[], 3600), Method::GET, "/.well-known/jwks.json", &[], String::new()).await;
    assert_ne!(again.body["keys"][0]["kid"], key["kid"]);
}

fn app_without_oauth() -> Router {
    app(state(ServerConfig { token: Some(STATIC_TOKEN.into()), ..ServerConfig::default() }))
}

#[tokio::test]
async fn a_token_for_another_resource_is_issued_and_refused_by_scim() {
    let app = server(&[], 3600);
    for param in ["resource", "audience"] {
        let token = token_with(&app, &[(param, DEFAULT_OTHER_AUDIENCE)]).await;
        assert_eq!(part(&token, 1)["aud"], DEFAULT_OTHER_AUDIENCE);
        assert_invalid_token(&scim_with(&app, &token).await, "aud", &token);
    }
    let token = token_with(&app, &[("resource", DEFAULT_AUDIENCE)]).await;
    assert_eq!(scim_with(&app, &token).await.status, StatusCode::OK);
}

// ----- the SCIM endpoints ----------------------------------------------------------------------------

#[tokio::test]
async fn scim_accepts_only_the_servers_valid_access_tokens() {
    let app = server(&[], 3600);
    let token = token_with(&app, &[]).await;
    assert_eq!(scim_with(&app, &token).await.status, StatusCode::OK);

    // No credential: the challenge carries no error code (RFC 6750 §3.1).
    let none = scim(&app, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.header(header::WWW_AUTHENTICATE), "Bearer realm=\"scimtest\"");
    let other_scheme = scim(&app, Some(basic(CLIENT, SECRET).as_str())).await;
    assert_eq!(other_scheme.header(header::WWW_AUTHENTICATE), "Bearer realm=\"scimtest\"");

    let cases: Vec<(&str, String, &str)> = vec![
        ("the static token", STATIC_TOKEN.to_string(), "not a JWT"),
        ("garbage", "a.b.c".to_string(), "not a JWT"),
        ("alg none", alg_none(&token), "alg none"),
        ("tampered", tampered(&token), "signature"),
        ("another key, this kid", resigned(&token, part(&token, 0)["kid"].as_str().unwrap()), "signature"),
        ("another key and kid", resigned(&token, "scimtest-unknown-key"), "kid"),
        ("an assertion", assertion(Algorithm::RS256, json!({"aud": DEFAULT_AUDIENCE})), "alg must be ES256"),
    ];
    for (what, bad, reason) in cases {
        let r = scim_with(&app, &bad).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_invalid_token(&r, reason, &bad);
    }
    // A token issued under another Host (issuer) is not this server's.
    let bearer = format!("Bearer {token}");
    let headers = [("host", "other.example.test"), ("authorization", bearer.as_str())];
    let elsewhere = call(&app, Method::GET, "/scim/v2/Users", &headers, String::new()).await;
    assert_invalid_token(&elsewhere, "iss", &token);
}

#[tokio::test]
async fn an_expired_access_token_is_refused() {
    let app = server(&[], 1);
    let token = token_with(&app, &[]).await;
    assert_eq!(part(&token, 1)["exp"].as_u64().unwrap() - part(&token, 1)["iat"].as_u64().unwrap(), 1 + 1);
    outlive(&token).await;
    assert_invalid_token(&scim_with(&app, &token).await, "expired", &token);
}

// ----- faults ----------------------------------------------------------------------------------------

/// The `oauth-*` faults.
pub const OAUTH_FAULTS: [Fault; 10] = [
    Fault::OAuthExpiredTokenAccepted,
    Fault::OAuthAlgNoneAccepted,
    Fault::OAuthAudienceIgnored,
    Fault::OAuthSignatureUnchecked,
    Fault::OAuthAnyClientSecret,
    Fault::OAuthShortTokens,
    Fault::OAuthExpiredAssertionAccepted,
    Fault::OAuthAssertionAudienceIgnored,
    Fault::OAuthAssertionSignatureUnchecked,
    Fault::OAuthTokenCacheable,
];

/// Whether an `--oauth` server with `faults` behaves right where `fault` would break it.
pub async fn probe(fault: Fault, faults: &[Fault]) -> bool {
    let lifetime = if fault == Fault::OAuthExpiredTokenAccepted { 1 } else { 3600 };
    let app = server(faults, lifetime);
    let refused = |r: Reply| r.status == StatusCode::UNAUTHORIZED;
    match fault {
        Fault::OAuthExpiredTokenAccepted => {
            let token = token_with(&app, &[]).await;
            outlive(&token).await;
            refused(scim_with(&app, &token).await)
        }
        Fault::OAuthAlgNoneAccepted => refused(scim_with(&app, &alg_none(&token_with(&app, &[]).await)).await),
        Fault::OAuthAudienceIgnored => {
            refused(scim_with(&app, &token_with(&app, &[("resource", DEFAULT_OTHER_AUDIENCE)]).await).await)
        }
        Fault::OAuthSignatureUnchecked => {
            let token = token_with(&app, &[]).await;
            refused(scim_with(&app, &tampered(&token)).await)
                && refused(scim_with(&app, &resigned(&token, "scimtest-unknown-key")).await)
        }
        Fault::OAuthAnyClientSecret => {
            let auth = basic(CLIENT, "not-the-secret");
            refused(
                token_request(&app, &[("authorization", auth.as_str())], &[("grant_type", "client_credentials")]).await,
            )
        }
        Fault::OAuthShortTokens => {
            let r = token_request(
                &app,
                &[("authorization", basic(CLIENT, SECRET).as_str())],
                &[("grant_type", "client_credentials")],
            )
            .await;
            r.body["expires_in"] == 3600
        }
        Fault::OAuthExpiredAssertionAccepted => refused(
            exchange(&app, &assertion(Algorithm::ES256, json!({"exp": now() - 600, "iat": now() - 1200}))).await,
        ),
        Fault::OAuthAssertionAudienceIgnored => {
            let aud = json!({"aud": "https://scimtest.invalid/not-this-server"});
            refused(exchange(&app, &assertion(Algorithm::RS256, aud)).await)
        }
        Fault::OAuthAssertionSignatureUnchecked => {
            let unknown = sign(Algorithm::RS256, "scimtest-unknown-key", &assertion_claims(json!({})));
            refused(exchange(&app, &unknown).await)
        }
        Fault::OAuthTokenCacheable => {
            let r = token_request(
                &app,
                &[("authorization", basic(CLIENT, SECRET).as_str())],
                &[("grant_type", "client_credentials")],
            )
            .await;
            r.status == StatusCode::OK && r.header(header::CACHE_CONTROL) == "no-store"
        }
        other => panic!("{other} is not an oauth fault"),
    }
}

#[tokio::test]
async fn each_oauth_fault_breaks_what_its_probe_sees_and_only_with_the_fault() {
    for fault in OAUTH_FAULTS {
        assert!(fault.name().starts_with("oauth-"), "{fault}");
        assert!(probe(fault, &[]).await, "the clean --oauth server fails the probe of {fault}");
        assert!(!probe(fault, &[fault]).await, "{fault} changes nothing its probe sees");
    }
    // With every oauth fault on, a good token still works: the faults loosen checks, they break no flow.
    let app = server(&OAUTH_FAULTS, 3600);
    assert_eq!(scim_with(&app, &token_with(&app, &[]).await).await.status, StatusCode::OK);
    let r = exchange(&app, &assertion(Algorithm::ES256, json!({}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["expires_in"], 300, "oauth-short-tokens issues 5-minute tokens");
}

#[test]
fn the_config_debug_hides_the_client_secret() {
    let config = OAuthConfig::default().with_client(CLIENT, SECRET);
    let printed = format!("{:?}", ServerConfig { oauth: Some(config), ..ServerConfig::default() });
    assert!(printed.contains(CLIENT) && !printed.contains(SECRET), "{printed}");
}
