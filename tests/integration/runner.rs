//! The runner as a vendor meets it: `scimtest run` against a live server (the bundled one, in this
//! process), exit codes, reports, `--list`, `--read-only`, cleanup, the token never shown; and the
//! client's retry policy against a server that answers 429.

use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use scimtest::client::{Client, ClientConfig, Request};
use scimtest::server::{Fault, RunningServer, ServerConfig};

const TOKEN: &str = "s3cr3t-runner-token-9f8e7d";

use crate::util::runtime;

fn start(rt: &tokio::runtime::Runtime, faults: &[Fault]) -> RunningServer {
    crate::util::rfc_server(rt, TOKEN, faults)
}

/// The binary, run from a scratch directory: a run writes only where its user is, never into this tree.
fn scimtest(args: &[&str]) -> Output {
    scimtest_in(&std::env::temp_dir(), args)
}

fn scimtest_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(dir)
        .args(args)
        .env("SCIM_TOKEN", TOKEN)
        .env_remove("SCIM_BASE_URL")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("scimtest-runner-{}-{name}", std::process::id()))
}

#[test]
fn a_passing_run_exits_0_writes_reports_cleans_up_and_never_shows_the_token() {
    let rt = runtime();
    let server = start(&rt, &[]);
    let (json, junit) = (temp("pass.json"), temp("pass.xml"));
    let url = server.base_url();
    let out = scimtest(&[
        "run",
        "--url",
        &url,
        "--suite",
        "users",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("verdict: PASS") && shown.contains("[must]"), "{shown}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!((report["format"].as_str(), report["version"].as_u64()), (Some("scimtest-report"), Some(2)));
    assert_eq!(report["verdict"], "pass");
    assert!(
        report["results"].as_array().unwrap().iter().all(|r| r["name"].as_str().unwrap().starts_with("rfc::users::"))
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite") && xml.contains("rfc::users"), "{xml}");
    for output in [shown.as_str(), &std::fs::read_to_string(&json).unwrap(), &xml] {
        assert!(!output.contains(TOKEN), "the token leaked");
    }
    assert_eq!(server.state.counts(), (0, 0), "the run left resources behind");
    let _ = (std::fs::remove_file(json), std::fs::remove_file(junit));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn a_failing_must_exits_1_with_the_requirement_the_exchange_and_a_curl_line() {
    let rt = runtime();
    let server = start(&rt, &[Fault::NoLocationHeader]);
    let json = temp("fail.json");
    let out = scimtest(&["run", "--url", &server.base_url(), "--suite", "users", "--json", json.to_str().unwrap()]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("verdict: FAIL"), "{shown}");
    assert!(shown.contains("requirement: RFC 7644 §3.3") && shown.contains("Location"), "{shown}");
    assert!(
        shown.contains("reproduce:") && shown.contains("curl -sS -X POST") && shown.contains("$SCIM_TOKEN"),
        "{shown}"
    );
    assert!(!shown.contains(TOKEN) && !std::fs::read_to_string(&json).unwrap().contains(TOKEN), "the token leaked");
    assert_eq!(server.state.counts(), (0, 0), "failed scenarios still clean up");
    let _ = std::fs::remove_file(json);
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn read_only_creates_nothing_and_says_why_it_skipped() {
    let rt = runtime();
    let server = start(&rt, &[]);
    let json = temp("ro.json");
    let out = scimtest(&["run", "--url", &server.base_url(), "--read-only", "--json", json.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let results = report["results"].as_array().unwrap();
    let ran = results.iter().filter(|r| r["status"] == "passed").count();
    let skipped: Vec<&serde_json::Value> = results.iter().filter(|r| r["status"] == "skipped").collect();
    assert!(ran > 5 && !skipped.is_empty(), "{ran} ran, {} skipped", skipped.len());
    // Besides --read-only, only what a static token cannot check (a token from a token endpoint) is skipped.
    let why = |r: &&serde_json::Value| r["detail"].as_str().unwrap().to_string();
    assert!(skipped.iter().map(why).all(|d| d.contains("--read-only") || crate::oauth::needs_oauth(&d)));
    assert!(skipped.iter().map(why).any(|d| d.contains("--read-only")));
    assert_eq!(server.state.counts(), (0, 0));
    let _ = std::fs::remove_file(json);
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn list_needs_no_server_and_names_trials_like_cargo_test() {
    let out = scimtest(&["run", "--list"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("rfc::users::") && shown.contains("rfc::filtering::") && shown.contains(": test"),
        "{shown}"
    );
    let filtered = scimtest(&["run", "--list", "--exact", "rfc::users::create_returns_201"]);
    assert_eq!(
        String::from_utf8_lossy(&filtered.stdout).lines().filter(|l| l.ends_with(": test")).count(),
        1,
        "{}",
        text(&filtered)
    );
}

#[test]
fn configuration_errors_exit_2_with_a_fix() {
    let bad_header = scimtest(&["run", "--url", "http://127.0.0.1:9/", "--header", "no-colon"]);
    assert_eq!(bad_header.status.code(), Some(2));
    assert!(text(&bad_header).contains("fix:"), "{}", text(&bad_header));
    let bad_profile = scimtest(&["run", "--url", "http://127.0.0.1:9/", "--profile", "nope"]);
    assert_eq!(bad_profile.status.code(), Some(2));
    assert!(
        text(&bad_profile).contains("unknown profile `nope`")
            && text(&bad_profile).contains("fix: pass --profile with one of:"),
        "{}",
        text(&bad_profile)
    );
    let bad_url = scimtest(&["run", "--url", "not a url"]);
    assert_eq!(bad_url.status.code(), Some(2), "{}", text(&bad_url));
    let no_url = scimtest(&["run"]);
    assert_eq!(no_url.status.code(), Some(2));
}

#[test]
fn an_unreachable_endpoint_stops_at_pre_flight_with_the_cause_not_a_panic() {
    let out = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", "--suite", "discovery", "--timeout", "2"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("connection refused") && !shown.contains("panicked"), "{shown}");
    assert!(!shown.contains("running "), "no check ran: {shown}");
}

/// A server that answers 429 (with Retry-After: 0) `busy` times, then 200.
async fn flaky(busy: usize) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/thing",
        get(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let mut headers = HeaderMap::new();
                if n < busy {
                    headers.insert("retry-after", "0".parse().unwrap());
                    (StatusCode::TOO_MANY_REQUESTS, headers, "slow down")
                } else {
                    (StatusCode::OK, headers, "{}")
                }
            }
        })
        .post(|| async { (StatusCode::TOO_MANY_REQUESTS, "slow down") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), hits)
}

#[tokio::test]
async fn the_client_retries_429_only_where_repeating_is_safe() {
    let (url, hits) = flaky(2).await;
    let mut config = ClientConfig::new(url);
    config.credential = scimtest::client::Credential::Bearer(TOKEN.into());
    let client = Client::new(config).unwrap();
    let get = client.send(&Request::new(reqwest::Method::GET, "/thing")).await;
    assert_eq!((get.status, get.attempts, hits.load(Ordering::SeqCst)), (Some(200), 3, 3));
    let post = client.send(&Request::new(reqwest::Method::POST, "/thing").json(&serde_json::json!({"a": 1}))).await;
    assert_eq!((post.status, post.attempts), (Some(429), 1), "a POST is never repeated");
    let curl = post.curl();
    assert!(curl.contains("Bearer $SCIM_TOKEN") && !curl.contains(TOKEN), "{curl}");
    assert!(!post.transcript(1000).contains(TOKEN));
}

/// `--max-rps 10` against a server that counts arrivals: never more than 10 in any second, pre-flight, the
/// checks and the cleanup together.
#[test]
fn max_rps_caps_every_second_of_the_run() {
    let rt = runtime();
    let server = rt.block_on(crate::util::Instrumented::start(
        ServerConfig { token: Some(TOKEN.into()), ..ServerConfig::default() },
        Duration::ZERO,
    ));
    let started = std::time::Instant::now();
    let out = scimtest(&[
        "run",
        "--url",
        &server.base_url,
        "--token",
        TOKEN,
        "--max-rps",
        "10",
        "--concurrency",
        "8",
        "--no-generated",
        "rfc::users::",
    ]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("the run sent at most 10 requests in any second (--max-rps)"), "{}", text(&out));
    let arrivals: Vec<std::time::Instant> = server.log.lock().unwrap().iter().map(|s| s.at).collect();
    assert!(arrivals.len() >= 30, "a run long enough to be paced: {} requests", arrivals.len());
    assert!(
        crate::util::busiest_second(&arrivals) <= 10,
        "{} requests in one second",
        crate::util::busiest_second(&arrivals)
    );
    // Paced, not merely slow: n requests at 10 a second take about n/10 seconds.
    assert!(took >= Duration::from_millis(100 * (arrivals.len() as u64 - 10)), "{took:?} for {}", arrivals.len());
    rt.block_on(server.shutdown());
}

/// A 429 with `Retry-After: 1` stops every request of the client for that second, not only the one it
/// answered: the other workers wait too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_every_request_for_its_retry_after() {
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::<(std::time::Instant, u16)>::new()));
    let first = Arc::new(AtomicUsize::new(0));
    let (log, count) = (arrivals.clone(), first.clone());
    let app = Router::new().route(
        "/thing",
        get(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let status = if n == 0 { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::OK };
            log.lock().unwrap().push((std::time::Instant::now(), status.as_u16()));
            async move {
                let mut headers = HeaderMap::new();
                headers.insert("retry-after", "1".parse().unwrap());
                (status, headers, "{}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Client::new(ClientConfig::new(format!("http://{addr}"))).unwrap();
    let refused = client.send(&Request::new(reqwest::Method::GET, "/thing")).await;
    assert_eq!((refused.status, refused.attempts), (Some(200), 2), "retried after the pause");
    // Eight more at once, sent while the pause lasted or after: none arrives within the second.
    let sends = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.send(&Request::new(reqwest::Method::GET, "/thing")).await })
    });
    for send in sends {
        assert_eq!(send.await.unwrap().status, Some(200));
    }
    let arrivals = arrivals.lock().unwrap().clone();
    let (refused_at, status) = arrivals[0];
    assert_eq!(status, 429);
    assert_eq!(arrivals.len(), 10);
    for (at, _) in &arrivals[1..] {
        assert!(
            at.duration_since(refused_at) >= Duration::from_millis(990),
            "{:?} after the 429",
            at.duration_since(refused_at)
        );
    }
}

#[test]
fn several_profiles_and_an_app_that_does_not_provision_groups() {
    let rt = runtime();
    let server = start(&rt, &[]);
    let dir = temp("apps");
    std::fs::create_dir_all(&dir).unwrap();
    let app = dir.join("users-only.toml");
    std::fs::write(&app, "[app]\nname = \"users-only\"\ndescription = \"an app without groups\"\nprofile = \"rfc\"\ncapabilities = { groups = false }\n\n[[app.attribute]]\npath = \"userName\"\nmatching = true\n").unwrap();
    let json = dir.join("r.json");
    let out = scimtest(&[
        "run",
        "--url",
        &server.base_url(),
        "--app",
        app.to_str().unwrap(),
        "--suite",
        "groups",
        "--json",
        json.to_str().unwrap(),
    ]);
    // Every selected check is skipped: the run tested nothing, which is no pass (exit 2), though the
    // report still says why each was skipped.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nothing was tested"), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let skipped: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "skipped")
        .filter_map(|r| r["detail"].as_str())
        .collect();
    assert!(!skipped.is_empty() && skipped.iter().all(|d| d.contains("does not provision groups")), "{skipped:?}");

    let both = scimtest(&[
        "run",
        "--url",
        &server.base_url(),
        "--profile",
        "rfc",
        "--profile",
        "entra",
        "--suite",
        "tolerances",
        "--list",
    ]);
    let listed = String::from_utf8_lossy(&both.stdout);
    assert!(listed.contains("entra::tolerances::") && !listed.contains("rfc::tolerances::"), "{listed}");
    let _ = std::fs::remove_dir_all(dir);
    rt.block_on(server.shutdown()).unwrap();
}

/// The lines of a run's output that are its verdicts (no timings, no run prefix).
fn verdicts(o: &Output) -> Vec<String> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("test [") || l.starts_with("minimal input:") || l.contains(". [MUST]"))
        .map(|l| l.split(" (seed").next().unwrap_or(l).to_string())
        .map(|l| l.replace(" ... ok", "").replace(" ... FAILED", " FAILED"))
        .filter(|l| !l.contains("scimtest-"))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_verdicts_and_minimal_inputs_are_saved_under_the_working_directory() {
    let rt = runtime();
    let server = start(&rt, &[Fault::CaseSensitiveUserName]);
    let dir = temp("seeded");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = server.base_url();
    let args = ["run", "--url", url.as_str(), "--suite", "properties", "--cases", "400", "--concurrency", "1"];
    let first = scimtest_in(&dir, &args);
    assert_eq!(first.status.code(), Some(1), "{}", text(&first));
    let shown = text(&first);
    // The default seed is fixed and printed as it is accepted back.
    assert!(shown.contains("seed 0x5c1a7e57"), "{shown}");
    // Under the working directory, in a folder named after the target (host and port).
    let target = url.trim_start_matches("http://").split('/').next().unwrap().replace(':', "_");
    let saved = dir.join(format!("scimtest-regressions/{target}/rfc-filters.txt"));
    assert!(shown.contains(&format!("saved to scimtest-regressions/{target}/rfc-filters.txt")), "{shown}");
    let kept = std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{}: {e}\n{shown}", saved.display()));
    assert!(kept.lines().any(|l| l.contains("userName")), "{kept}");
    // A second run replays it first and reaches the same verdicts; so does the seed given back in decimal.
    let second = scimtest_in(&dir, &args);
    let mut decimal = args.to_vec();
    decimal.extend(["--seed", "1545240151"]);
    let third = scimtest_in(&dir, &decimal);
    assert_eq!(
        verdicts(&first).iter().filter(|l| l.starts_with("test ")).collect::<Vec<_>>(),
        verdicts(&second).iter().filter(|l| l.starts_with("test ")).collect::<Vec<_>>()
    );
    assert_eq!(verdicts(&second), verdicts(&third), "0x5c1a7e57 == 1545240151");
    let bad = scimtest_in(&dir, &["run", "--url", url.as_str(), "--seed", "0xzz"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("fix: pass it as printed"), "{}", text(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clean_lists_what_earlier_runs_left_and_deletes_only_when_asked() {
    let rt = runtime();
    let server = start(&rt, &[]);
    let url = server.base_url();
    let mut config = scimtest::client::ClientConfig::new(url.clone());
    config.credential = scimtest::client::Credential::Bearer(TOKEN.into());
    let client = scimtest::client::Client::new(config).unwrap();
    for name in ["scimtest-0a1b2c-left-behind", "scimtest-alice", "bob"] {
        let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name});
        let ex = rt.block_on(client.send(&scimtest::client::Request::new(reqwest::Method::POST, "/Users").json(&body)));
        assert_eq!(ex.status, Some(201), "{}", ex.transcript(200));
    }
    let listed = scimtest(&["clean", "--url", &url]);
    let shown = text(&listed);
    assert_eq!(listed.status.code(), Some(0), "{shown}");
    assert!(shown.contains("scimtest-0a1b2c-left-behind") && shown.contains("--delete"), "{shown}");
    assert!(!shown.contains("scimtest-alice") && !shown.contains("bob"), "only names a run gives: {shown}");
    assert_eq!(server.state.counts(), (3, 0), "listing deletes nothing");
    let deleted = scimtest(&["clean", "--url", &url, "--delete"]);
    assert_eq!(deleted.status.code(), Some(0), "{}", text(&deleted));
    assert!(text(&deleted).contains("deleted 1 of 1"), "{}", text(&deleted));
    assert_eq!(server.state.counts(), (2, 0), "the two users no run made are still there");
}

#[test]
fn a_feature_declared_unsupported_that_works_is_reported() {
    let rt = runtime();
    // The bundled server, except that its ServiceProviderConfig declares PATCH unsupported.
    let app = scimtest::server::app(scimtest::server::state(ServerConfig {
        token: Some(TOKEN.into()),
        mode: scimtest::selftest::server_mode_for("entra"),
        ..ServerConfig::default()
    }));
    let lying = Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(|| async {
                axum::Json(serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                    "patch": {"supported": false}, "bulk": {"supported": false}, "filter": {"supported": true},
                    "changePassword": {"supported": false}, "sort": {"supported": false}, "etag": {"supported": false}
                }))
            }),
        )
        .fallback_service(app);
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, lying).await });
    let out = scimtest(&["run", "--url", &url, "--profile", "entra", "--no-generated", "--suite", "tolerances"]);
    let shown = text(&out);
    assert!(
        shown.contains("declares `patch` unsupported, yet") && shown.contains("RFC 7643 §5"),
        "Entra patches regardless, and what passed shows the declaration is wrong:\n{shown}"
    );
    // The rfc profile believes it: PATCH checks are skipped with the reason.
    let rfc = scimtest(&["run", "--url", &url, "--no-generated", "--suite", "patch"]);
    assert!(text(&rfc).contains("declares `patch` unsupported (/ServiceProviderConfig)"), "{}", text(&rfc));
}
