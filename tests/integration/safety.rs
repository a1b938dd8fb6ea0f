//! Safe on shared endpoints: a run never changes what it did not create (canaries), leaves nothing behind
//! when interrupted, sends only GETs under `--read-only`, never shows the token anywhere, and never
//! follows a redirect to another origin with it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scimtest::client::{Client, ClientConfig, Request};
use scimtest::runner::report::Outcome;
use scimtest::server::{Fault, ServerConfig, ServerMode};
use serde_json::{Value, json};

use crate::util::{Instrumented, server_with_run_config};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn client(base_url: &str, token: &str) -> Client {
    let mut config = ClientConfig::new(base_url);
    config.credential = scimtest::client::Credential::Bearer(token.into());
    Client::new(config).unwrap()
}

async fn post(client: &Client, path: &str, body: Value) -> Value {
    let ex = client.send(&Request::new(reqwest::Method::POST, path).json(&body)).await;
    assert_eq!(ex.status, Some(201), "{}", ex.transcript(500));
    ex.json().unwrap()
}

/// Users and groups that belong to somebody else. Their names are chosen to tempt a careless harness:
/// the same names its generators use, and one that starts with `scimtest-` but is no run's.
async fn seed_canaries(client: &Client) -> Vec<String> {
    let mut paths = Vec::new();
    let mut ids = Vec::new();
    for (name, email) in [
        ("alice", "alice@example.com"),
        ("Bob", "BOB@example.com"),
        ("scimtest-000000-canary", "canary@example.com"),
        ("bjensen@example.com", "bjensen@example.com"),
    ] {
        let user = post(
            client,
            "/Users",
            json!({"schemas": [USER], "userName": name, "active": true, "displayName": "Canary",
                   "emails": [{"value": email, "type": "work", "primary": true}],
                   "name": {"givenName": "Can", "familyName": "Ary"}}),
        )
        .await;
        let id = user["id"].as_str().unwrap().to_string();
        paths.push(format!("/Users/{id}"));
        ids.push(id);
    }
    for (name, members) in [("Canaries", &ids[..2]), ("scimtest-000000-team", &ids[2..])] {
        let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
        let group = post(client, "/Groups", json!({"schemas": [GROUP], "displayName": name, "members": members})).await;
        paths.push(format!("/Groups/{}", group["id"].as_str().unwrap()));
    }
    paths
}

/// The canaries exactly as the server answers them (every byte, `meta.version` included).
async fn snapshot(client: &Client, paths: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in paths {
        let ex = client.send(&Request::new(reqwest::Method::GET, p)).await;
        assert_eq!(ex.status, Some(200), "canary {p} is gone: {}", ex.transcript(300));
        out.push(ex.response_body);
    }
    out
}

#[test]
fn canaries_are_byte_identical_after_everything_ran_failures_and_generated_checks_included() {
    let rt = runtime();
    rt.block_on(async {
        // The strict server: the IdP profiles fail dozens of checks against it, so failing paths run too.
        let (server, mut config) =
            server_with_run_config(ServerConfig { mode: ServerMode::Strict, ..ServerConfig::default() }).await;
        let c = client(&server.base_url(), crate::util::TEST_TOKEN);
        let canaries = seed_canaries(&c).await;
        let before = snapshot(&c, &canaries).await;
        let mut failed = 0;
        for (profiles, app) in [(vec!["all"], None), (vec![], Some("sigma-entra")), (vec![], Some("sigma-okta"))] {
            config.profiles = profiles.iter().map(|p| p.to_string()).collect();
            config.app = app.map(str::to_string);
            config.properties = Some(scimtest::runner::property::PropertyConfig {
                filter_cases: 150,
                patch_cases: 80,
                seed: 11,
                budget: Duration::from_secs(20),
                regressions: None,
            });
            let records = scimtest::runner::check(&config).await.unwrap();
            failed += records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_))).count();
        }
        assert!(failed > 20, "the run was meant to include failing checks; {failed} failed");
        assert_eq!(snapshot(&c, &canaries).await, before, "a canary changed");
        assert_eq!(server.state.counts(), (4, 2), "only the canaries remain");
        server.shutdown().await.unwrap();
    });
}

/// Ctrl-C at a terminal, SIGTERM from CI cancellation, `timeout` or `docker stop`, SIGHUP from a closed
/// session: the same orderly cleanup, and the exit status a shell expects (128 + the signal number).
#[test]
fn an_interrupted_run_deletes_everything_it_created() {
    for (signal, status) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        interrupt_run(signal, status);
    }
}

fn interrupt_run(signal: &str, status: i32) {
    let rt = runtime();
    // Every answer takes 15 ms, so the run is surely midway when interrupted.
    let server = rt.block_on(Instrumented::start(
        ServerConfig { token: Some("interrupt-token".into()), mode: ServerMode::Strict, ..ServerConfig::default() },
        Duration::from_millis(15),
    ));
    let c = client(&server.base_url, "interrupt-token");
    let canaries = rt.block_on(seed_canaries(&c));
    let before = rt.block_on(snapshot(&c, &canaries));
    // Recording snapshots too: an interrupt must not store the answers of requests it kept from being sent.
    let snapshots = std::env::temp_dir().join(format!("scimtest-interrupt-{}-{signal}", std::process::id()));
    let _ = std::fs::remove_dir_all(&snapshots);
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(std::env::temp_dir())
        .args(["run", "--url", &server.base_url, "--cases", "200", "--concurrency", "4"])
        .args(["--snapshots", "update", "--snapshot-dir", snapshots.to_str().unwrap()])
        .env("SCIM_TOKEN", "interrupt-token")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has created a good number of resources, then send the signal.
    let start = Instant::now();
    loop {
        let (users, groups) = server.state.counts();
        if users + groups >= 6 + 25 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the run created too little: {:?}", server.state.counts());
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be interrupted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let created = server.state.counts();
    let killed = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "SIG{signal}: {stderr}");
    assert!(stderr.contains("interrupted") && stderr.contains("cleanup:"), "SIG{signal}: {stderr}");
    assert_eq!(server.state.counts(), (4, 2), "after {created:?} at SIG{signal}, resources remain:\n{stderr}");
    assert_eq!(rt.block_on(snapshot(&c, &canaries)), before, "a canary changed");
    let mut stored = Vec::new();
    files(&snapshots, &mut stored);
    assert!(!stored.is_empty(), "nothing was recorded before the interrupt");
    for f in &stored {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains("not sent"), "{} holds an answer that was never received", f.display());
    }
    let _ = std::fs::remove_dir_all(&snapshots);
    rt.block_on(server.shutdown());
}

#[test]
fn read_only_sends_nothing_but_get() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(
        ServerConfig { token: Some("ro-token".into()), ..ServerConfig::default() },
        Duration::ZERO,
    ));
    for profile in ["rfc", "entra", "okta"] {
        let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
            .args(["run", "--url", &server.base_url, "--read-only", "--profile", profile])
            .env("SCIM_TOKEN", "ro-token")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let seen = server.methods();
    assert!(seen.len() > 20, "only {} requests", seen.len());
    let writes: Vec<&(String, String)> = seen.iter().filter(|(m, _)| m != "GET").collect();
    assert!(writes.is_empty(), "--read-only sent {writes:?}");
    rt.block_on(server.shutdown());
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[test]
fn the_token_is_in_no_output_of_a_failing_run_even_when_the_server_echoes_it() {
    const TOKEN: &str = "tok-3f9a7c1e5b2d4f60a8e9";
    let rt = runtime();
    // Faults make checks, generated properties and snapshots fail; the layer makes every error answer
    // quote the Authorization header back, as some frameworks' debug pages do.
    let server = rt.block_on(Instrumented::start_echoing(ServerConfig {
        token: Some(TOKEN.into()),
        mode: ServerMode::Strict,
        faults: [Fault::CaseSensitiveUserName, Fault::ReturnPassword, Fault::DropValuePathPatch].into_iter().collect(),
        ..ServerConfig::default()
    }));
    let dir = std::env::temp_dir().join(format!("scimtest-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .args(["run", "--url", &server.base_url, "--cases", "150", "--seed", "7"])
        .args(["--json", &d("report.json"), "--junit", &d("report.xml")])
        .args(["--regressions", &d("regressions"), "--snapshots", "check", "--snapshot-dir", &d("snapshots")])
        .args(["--header", "X-Api-Key: key-77aa", "--header", "X-Tenant: acme"])
        .env("SCIM_TOKEN", TOKEN)
        .env_remove("CI")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("[hidden]") || stderr.contains("[hidden]"), "the echo was never shown");
    let mut written = Vec::new();
    files(&dir, &mut written);
    let kinds = |ext: &str| written.iter().filter(|p| p.to_string_lossy().ends_with(ext)).count();
    assert!(kinds(".snap.new") > 100 && kinds(".txt") >= 2, "expected snapshots and regressions: {written:?}");
    let mut outputs = vec![("stdout".to_string(), stdout), ("stderr".to_string(), stderr)];
    for f in written {
        outputs.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
    }
    for (name, text) in &outputs {
        assert!(!text.contains(TOKEN), "the token is in {name}");
        assert!(!text.contains("key-77aa"), "the API key header is in {name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    rt.block_on(server.shutdown());
}

#[test]
fn a_redirect_to_another_origin_is_not_followed_and_carries_no_credentials() {
    use axum::Router;
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::routing::get;
    let rt = runtime();
    rt.block_on(async {
        // The other origin records whatever reaches it.
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Option<String>>::new()));
        let record = seen.clone();
        let elsewhere = Router::new().fallback(move |h: HeaderMap| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(h.get("authorization").map(|v| v.to_str().unwrap().to_string()));
                "{}"
            }
        });
        let other = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let other_url = format!("http://{}", other.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(other, elsewhere).await });
        // The endpoint redirects /Users to the other origin, and /Old to its own /Users/me.
        let target = other_url.clone();
        let endpoint = Router::new()
            .route(
                "/scim/Users",
                get(move || async move {
                    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, format!("{target}/steal"))])
                }),
            )
            .route(
                "/scim/Old",
                get(|| async { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/scim/Users/me")]) })
                    .delete(|| async { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/scim/Users/me")]) }),
            )
            .route(
                "/scim/Users/me",
                get(|h: HeaderMap| async move {
                    let auth = h.get("authorization").map(|v| v.to_str().unwrap().to_string());
                    format!("{{\"auth\": {}}}", serde_json::to_string(&auth).unwrap())
                }),
            );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let base = format!("http://{}/scim", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, endpoint).await });
        let mut config = ClientConfig::new(&base);
        config.credential = scimtest::client::Credential::Bearer("redirect-token".into());
        config.headers = vec![("X-Api-Key".into(), "redirect-key".into())];
        let c = Client::new(config).unwrap();
        let ex = c.send(&Request::new(reqwest::Method::GET, "/Users")).await;
        assert_eq!(ex.status, Some(307), "{}", ex.transcript(300));
        assert!(seen.lock().unwrap().is_empty(), "the other origin was sent {:?}", seen.lock().unwrap());
        let expect = scimtest::suite::Expect { status: vec![200], ..Default::default() };
        let problems = scimtest::runner::judge(&expect, &ex, &scimtest::suite::Vars::default(), &[]);
        assert!(
            problems
                .iter()
                .map(ToString::to_string)
                .any(|p| p.contains("307 Temporary Redirect to") && p.contains("another origin")),
            "{problems:?}"
        );
        // Within the origin, a read is followed, credentials and all …
        let ex = c.send(&Request::new(reqwest::Method::GET, "/Old")).await;
        assert_eq!((ex.status, ex.json()), (Some(200), Some(json!({"auth": "Bearer [hidden]"}))));
        // … but a write is not: a DELETE redirected would delete what the run never named.
        let ex = c.send(&Request::new(reqwest::Method::DELETE, "/Old")).await;
        assert_eq!(ex.status, Some(307), "{}", ex.transcript(300));
    });
}

#[test]
fn the_sweep_deletes_only_names_that_start_with_the_run_prefix_even_when_the_filter_is_ignored() {
    let rt = runtime();
    rt.block_on(async {
        let (server, _) = server_with_run_config(ServerConfig::default()).await;
        let c = client(&server.base_url(), crate::util::TEST_TOKEN);
        let prefix = "scimtest-5a5a5a";
        for name in [
            &format!("{prefix}-a") as &str,
            &format!("{prefix}-b@example.com"),
            "scimtest-5a5a5ab-x",
            "scimtest-5a5a5a",
            "other",
        ] {
            post(&c, "/Users", json!({"schemas": [USER], "userName": name})).await;
        }
        post(&c, "/Groups", json!({"schemas": [GROUP], "displayName": format!("{prefix}-team")})).await;
        post(&c, "/Groups", json!({"schemas": [GROUP], "displayName": "scimtest-5a5a5a"})).await;
        let (deleted, problems) = scimtest::runner::sweep(&c, prefix).await;
        assert_eq!((deleted, problems), (3, vec![]));
        assert_eq!(server.state.counts(), (3, 1));
        server.shutdown().await.unwrap();

        // A server that ignores the filter and answers everyone: still only the run's own names go.
        use wiremock::matchers::method;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let mock = MockServer::start().await;
        let everyone = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 3,
            "Resources": [{"id": "1", "userName": "ceo@example.com"}, {"id": "2", "userName": format!("{prefix}-x")},
                          {"id": "3", "displayName": format!("{prefix}-g")}]});
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(everyone)).mount(&mock).await;
        Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&mock).await;
        // (A one-letter token also proves short tokens are not "hidden" inside every answer.)
        let (deleted, _) = scimtest::runner::sweep(&client(&mock.uri(), "t"), prefix).await;
        let deletes: Vec<String> = mock
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "DELETE")
            .map(|r| r.url.path().to_string())
            .collect();
        assert_eq!((deletes.as_slice(), deleted), (&["/Groups/3".to_string(), "/Users/2".to_string()][..], 2));
    });
}
