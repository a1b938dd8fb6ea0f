//! Hostile endpoints (wiremock, and a raw socket for resets): malformed JSON, HTML error pages, wrong
//! content types, empty 200s, enormous bodies, slow answers, connection resets, 429s and bursts of 5xx.
//! Each gives a failure that names the cause, never a panic; the run finishes and deletes what it created.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scimtest::client::{Client, ClientConfig, Credential, MAX_BODY, Request};
use scimtest::runner::report::{Outcome, Record};
use scimtest::runner::{RunConfig, check};
use serde_json::json;
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SCIM: &str = "application/scim+json";

/// A server whose creates work (so the run has something to clean up) and whose every other answer is
/// `hostile`.
async fn hostile(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let base = format!("{}/scim", server.uri());
    let next = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/scim/Users"))
        .respond_with(move |request: &wiremock::Request| {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let id = format!("h-{}", next.fetch_add(1, Ordering::SeqCst));
            let user = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id,
                "userName": body.get("userName").cloned().unwrap_or_default(),
                "meta": {"resourceType": "User", "location": format!("{base}/Users/{id}")}
            });
            ResponseTemplate::new(201)
                .insert_header("Location", format!("{base}/Users/{id}"))
                .set_body_raw(user.to_string(), SCIM)
        })
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex(r"^/scim/Users/h-\d+$"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(answer).with_priority(10).mount(&server).await;
    server
}

fn config(base_url: &str) -> RunConfig {
    let mut client = ClientConfig::new(base_url);
    client.credential = Credential::Bearer("hostile-token".into());
    client.timeout = Duration::from_millis(300);
    client.retries = 1;
    client.max_retry_after = Duration::from_millis(100);
    let mut config = RunConfig::new(client);
    config.suite_pattern = Some("users".into());
    // The generated checks too: their population is created, then everything else is garbage.
    config.properties = Some(scimtest::runner::property::PropertyConfig {
        filter_cases: 10,
        patch_cases: 5,
        seed: 3,
        budget: Duration::from_secs(5),
        regressions: None,
    });
    config
}

/// The messages of failed and blocked checks.
fn failures(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_)))
        .filter_map(Record::message)
        .collect()
}

/// Runs the users suite and the generated checks against `server`; asserts the run finished, failed
/// naming `cause`, and deleted each user it created.
async fn assert_named_and_cleaned(what: &str, server: &MockServer, cause: &str) {
    let records = check(&config(&format!("{}/scim", server.uri())))
        .await
        .unwrap_or_else(|e| panic!("{what}: the run did not finish cleanly: {e}"));
    let failed = failures(&records);
    assert!(failed.len() >= 5, "{what}: only {} failures", failed.len());
    assert!(
        failed.iter().any(|m| m.contains(cause)),
        "{what}: no failure names the cause `{cause}`; the first says:\n{}",
        failed[0]
    );
    let requests = server.received_requests().await.unwrap();
    let count =
        |m: &str, p: &str| requests.iter().filter(|r| r.method.as_str() == m && r.url.path().starts_with(p)).count();
    let (created, deleted) = (count("POST", "/scim/Users"), count("DELETE", "/scim/Users/h-"));
    assert!(created > 10, "{what}: only {created} creates");
    assert_eq!(created, deleted, "{what}: {created} users created, {deleted} deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_garbage_is_named_and_the_run_still_cleans_up() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    let huge = format!("{{\"schemas\": [], \"padding\": \"{}\"}}", "x".repeat(MAX_BODY + 1024));
    let cases: Vec<(&str, ResponseTemplate, &str)> = vec![
        (
            "malformed JSON",
            ResponseTemplate::new(200).set_body_raw("{\"schemas\": [\"urn:", SCIM),
            "a body that is not JSON (`application/scim+json`; EOF while parsing",
        ),
        ("an HTML error page", ResponseTemplate::new(502).set_body_raw(html, "text/html"), "got 502 Bad Gateway"),
        (
            "an HTML page with 200",
            ResponseTemplate::new(200).set_body_raw(html, "text/html"),
            "an HTML or XML page (`text/html`)",
        ),
        (
            "JSON as text/plain",
            ResponseTemplate::new(200).set_body_raw(r#"{"schemas": ["x"], "Resources": []}"#, "text/plain"),
            "`text/plain`",
        ),
        ("200 with an empty body", ResponseTemplate::new(200), "an empty body"),
        ("an enormous body", ResponseTemplate::new(200).set_body_raw(huge, SCIM), "larger than 4194304 bytes"),
        ("slow answers", ResponseTemplate::new(200).set_delay(Duration::from_secs(1)), "timed out"),
        ("429 without Retry-After", ResponseTemplate::new(429), "got 429 Too Many Requests after 2 attempts"),
        (
            "429 with a long Retry-After",
            ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
            "got 429 Too Many Requests after 2 attempts (Retry-After: 3600",
        ),
        ("a burst of 500s", ResponseTemplate::new(500), "got 500 Internal Server Error"),
        ("503s", ResponseTemplate::new(503), "got 503 Service Unavailable after 2 attempts"),
    ];
    // Side by side: most of the time is spent waiting (timeouts, backoff).
    let mut runs = tokio::task::JoinSet::new();
    for (what, answer, cause) in cases {
        runs.spawn(async move {
            let server = hostile(answer).await;
            assert_named_and_cleaned(what, &server, cause).await;
        });
    }
    while let Some(done) = runs.join_next().await {
        if let Err(e) = done {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_resets_are_named() {
    // Accepts, reads the request, and resets the connection (SO_LINGER 0) without answering.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // Deprecated because a non-zero linger blocks on drop; zero resets at once, which is the point.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            let mut buf = [0u8; 1024];
            let _ = stream.readable().await;
            let _ = stream.try_read(&mut buf);
            drop(stream);
        }
    });
    let records = check(&config(&format!("http://{addr}/scim"))).await.unwrap();
    let failed = failures(&records);
    assert!(failed.len() >= 5, "only {} failures", failed.len());
    let unnamed: Vec<&String> = failed
        .iter()
        .filter(|m| !(m.contains("no answer:") && (m.contains("reset") || m.contains("closed"))))
        .collect();
    assert!(unnamed.is_empty(), "{}", unnamed[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_and_a_burst_of_503s_is_ridden_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/Users"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/scim/Groups"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"totalResults": 0}"#, SCIM))
        .with_priority(5)
        .mount(&server)
        .await;
    let client = Client::new(ClientConfig::new(format!("{}/scim", server.uri()))).unwrap();
    let start = Instant::now();
    let ex = client.send(&Request::new(reqwest::Method::GET, "/Users")).await;
    assert_eq!((ex.status, ex.attempts), (Some(200), 2));
    assert!(start.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was not waited for");
    let ex = client.send(&Request::new(reqwest::Method::GET, "/Groups")).await;
    assert_eq!((ex.status, ex.attempts), (Some(200), 3));
    // A POST is not repeated: it could create twice.
    let server2 = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(503)).mount(&server2).await;
    let client = Client::new(ClientConfig::new(server2.uri())).unwrap();
    let ex = client.send(&Request::new(reqwest::Method::POST, "/Users").json(&json!({}))).await;
    assert_eq!((ex.status, ex.attempts), (Some(503), 1));
}

#[test]
fn the_cli_exits_1_not_101_against_garbage_and_says_it_cleaned_up() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = rt.block_on(hostile(ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html")));
    // A ServiceProviderConfig, so pre-flight sees a SCIM service (garbage everywhere would stop it there).
    let spc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]});
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/scim/ServiceProviderConfig"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(spc.to_string(), SCIM))
            .with_priority(1)
            .mount(&server),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(std::env::temp_dir())
        .args(["run", "--url", &format!("{}/scim", server.uri()), "--suite", "users", "--cases", "10"])
        .env("SCIM_TOKEN", "hostile-token")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("an HTML or XML page")
            && text.contains("cleanup: ")
            && text.contains("DELETE requests answered 2xx"),
        "{text}"
    );
    assert!(!text.contains("panicked"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_never_aim_a_request_at_another_resource() {
    // Creates answer ids and Locations that would, pasted into a URL, resolve to `/scim/Users/canary`.
    let server = MockServer::start().await;
    let base = format!("{}/scim", server.uri());
    let evil = ["../Users/canary", "..", "%2e%2E", "canary/../canary", "./canary", "canary?x=1#y", ""];
    let next = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path_regex("^/scim/(Users|Groups)$"))
        .respond_with(move |request: &wiremock::Request| {
            let mut created: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let Some(fields) = created.as_object_mut() else { return ResponseTemplate::new(400) };
            let id = evil[next.fetch_add(1, Ordering::SeqCst) % evil.len()];
            fields.insert("id".into(), json!(id));
            ResponseTemplate::new(201)
                .insert_header("Location", format!("{base}{}/{id}", request.url.path().trim_start_matches("/scim")))
                .set_body_raw(created.to_string(), SCIM)
        })
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let mut config = config(&format!("{}/scim", server.uri()));
    config.suite_pattern = None;
    let _ = check(&config).await;
    let requests = server.received_requests().await.unwrap();
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.method.as_str() != "GET" && r.method.as_str() != "POST")
        // The rfc errors suite PUTs to the collection on purpose (to see it refused).
        .filter(|r| !(r.method.as_str() == "PUT" && ["/scim/Users", "/scim/Groups"].contains(&r.url.path())))
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert!(writes.len() > 20, "only {} PUT/PATCH/DELETE requests", writes.len());
    // Every write names one resource by one segment, and none reaches the canary.
    for write in &writes {
        let path = write.split_once(' ').map_or("", |(_, p)| p);
        let rest = path.strip_prefix("/scim/Users/").or_else(|| path.strip_prefix("/scim/Groups/"));
        assert!(
            rest.is_some_and(|id| !id.contains('/') && id != "canary"),
            "{write}: no create answered that resource; every write: {writes:?}"
        );
    }
}

const EMPTY_LIST: &str =
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}"#;

/// A raw keep-alive HTTP/1.1 answer with a SCIM JSON body.
fn raw_answer(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
        body.len()
    )
}

/// A loopback server that hands every connection it accepts to `serve`, counting the connections.
async fn raw_server<F, Fut>(serve: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream));
        }
    });
    (format!("http://{addr}/scim"), connections)
}

/// A keep-alive server that answers the first request on each connection and then drops the connection
/// when the next request arrives on it, without a byte of answer: a pooled connection that was already dead.
async fn one_answer_per_connection() -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raw_server(|mut stream| async move {
        let mut buf = vec![0u8; 16 * 1024];
        let _ = stream.read(&mut buf).await;
        let _ = stream.write_all(raw_answer("200 OK", EMPTY_LIST).as_bytes()).await;
        // The next request on this connection gets nothing: the connection is dropped.
        let _ = stream.read(&mut buf).await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_on_a_dead_pooled_connection_is_sent_again_once_on_a_new_one() {
    let (base, connections) = one_answer_per_connection().await;
    let client = Client::new(ClientConfig::new(&base)).unwrap();
    let first = client.send(&Request::new(reqwest::Method::GET, "/Users")).await;
    assert_eq!((first.status, first.attempts), (Some(200), 1), "{}", first.transcript(200));
    // hyper hands a connection back to its pool from its own task, after the answer has been read: give
    // it that moment, or a loaded machine sends the next request on a new connection and tests nothing.
    let settle = || tokio::time::sleep(Duration::from_millis(100));
    settle().await;
    // Reuses the pooled connection, which the server drops: sent again on a new connection, and answered.
    let second = client.send(&Request::new(reqwest::Method::GET, "/Users")).await;
    assert_eq!((second.status, second.attempts), (Some(200), 2), "{}", second.transcript(200));
    assert_eq!(connections.load(Ordering::SeqCst), 2, "the retry opened a new connection");
    // A POST is not repeatable: on a dead pooled connection it fails, naming the cause, and is sent once.
    let post = Request::new(reqwest::Method::POST, "/Users").json(&json!({}));
    settle().await;
    assert_eq!(client.send(&post).await.status, Some(200));
    settle().await;
    let before = connections.load(Ordering::SeqCst);
    let again = client.send(&post).await;
    assert_eq!((again.status, again.attempts), (None, 1), "{}", again.transcript(200));
    assert!(again.error.as_deref().is_some_and(|e| e.contains("closed") || e.contains("reset")), "{again:?}");
    assert_eq!(connections.load(Ordering::SeqCst), before, "the POST was not sent again");
}

/// A keep-alive server that answers every request and never closes a connection, counting connections.
async fn keep_alive_server() -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    raw_server(|mut stream| async move {
        let mut buf = vec![0u8; 16 * 1024];
        while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {
            if stream.write_all(raw_answer("200 OK", EMPTY_LIST).as_bytes()).await.is_err() {
                break;
            }
        }
    })
    .await
}

/// A connection idle for 5 s may be one the server is closing (Node's and Apache's keep-alive timeout):
/// a POST sent on it would meet a reset and could not be sent again. The client reuses a connection idle
/// for a moment, and opens a new one after 4.5 s idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_idle_near_common_keep_alive_timeouts_is_not_reused() {
    let (base, connections) = keep_alive_server().await;
    let client = Client::new(ClientConfig::new(&base)).unwrap();
    let post = Request::new(reqwest::Method::POST, "/Users").json(&json!({}));
    assert_eq!(client.send(&post).await.status, Some(200));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(client.send(&post).await.status, Some(200));
    assert_eq!(connections.load(Ordering::SeqCst), 1, "a connection idle for 200 ms is reused");
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert_eq!(client.send(&post).await.status, Some(200));
    assert_eq!(connections.load(Ordering::SeqCst), 2, "after 4.5 s idle, a new connection");
}

/// A keep-alive server that answers 500 to `/scim/fail` without `Connection: close`, then resets that
/// connection when the next request arrives on it (as Express does when an error follows an answer already
/// sent); every other request gets 201.
async fn closes_after_an_error() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (base, _) = raw_server(|mut stream| async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut failed = false;
        while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {
            if failed {
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return;
            }
            failed = buf.starts_with(b"POST /scim/fail");
            let answer = if failed {
                raw_answer(
                    "500 Internal Server Error",
                    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500"}"#,
                )
            } else {
                raw_answer("201 Created", r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1"}"#)
            };
            if stream.write_all(answer.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    base
}

/// After a 5xx answer the next requests go on new connections: a server that closes the connection of
/// an error does not turn the next scenario's POST (which cannot be sent again) into "no answer".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_after_a_server_error_is_not_sent_on_that_connection() {
    let client = Client::new(ClientConfig::new(&closes_after_an_error().await)).unwrap();
    let post = |path: &str| Request::new(reqwest::Method::POST, path).json(&json!({}));
    assert_eq!(client.send(&post("/Users")).await.status, Some(201));
    for _ in 0..3 {
        let failed = client.send(&post("/fail")).await;
        assert_eq!(failed.status, Some(500), "{}", failed.transcript(200));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let next = client.send(&post("/Users")).await;
        assert_eq!((next.status, next.attempts), (Some(201), 1), "{}", next.transcript(200));
    }
}

/// `--concurrency` bounds a whole run: a client with at most 2 requests in flight, asked for 8 at once
/// (as scenarios and a generated check's cases are), never has more than 2 at the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_never_has_more_requests_in_flight_than_allowed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (at_server, peak) = (now.clone(), most.clone());
    let (base, _) = raw_server(move |mut stream| {
        let (now, most) = (at_server.clone(), peak.clone());
        async move {
            let mut buf = vec![0u8; 16 * 1024];
            while stream.read(&mut buf).await.is_ok_and(|n| n > 0) {
                let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(in_flight, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                if stream.write_all(raw_answer("200 OK", EMPTY_LIST).as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let client = Client::new(ClientConfig::new(&base)).unwrap().with_max_in_flight(2);
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&Request::new(reqwest::Method::GET, "/Users")).await.status })
        })
        .collect();
    for send in sends {
        assert_eq!(send.await.unwrap(), Some(200));
    }
    assert_eq!(most.load(Ordering::SeqCst), 2, "at most 2 at once, and 2 were used");
}

/// OneLogin's request-targets (OL-Q5, OL-Q6) reach the server byte for byte: a trailing `?` on a PUT, a
/// query of `+` spaces ending in `&`, and an empty User-Agent (OL-Q8). A client that normalised them would
/// make the onelogin checks test a request OneLogin never sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_targets_are_sent_as_written() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let heads = seen.clone();
    let (base, _) = raw_server(move |mut stream| {
        let heads = heads.clone();
        async move {
            let mut head = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            heads.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{EMPTY_LIST}",
                EMPTY_LIST.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    })
    .await;
    let client = Client::new(ClientConfig::new(&base)).unwrap();
    let put = Request::new(reqwest::Method::PUT, "/Users/2819c223?").json(&json!({"userName": "babs"}));
    let mut lookup = Request::new(reqwest::Method::GET, "/Users?filter=userName+eq+%22babs%40example.com%22&");
    lookup.headers.push(("User-Agent".into(), String::new()));
    for request in [&put, &lookup] {
        let exchange = client.send(request).await;
        assert_eq!(exchange.status, Some(200), "{}", exchange.transcript(200));
    }
    let heads = seen.lock().unwrap().clone();
    let first_lines: Vec<&str> = heads.iter().map(|h| h.lines().next().unwrap_or_default()).collect();
    assert_eq!(
        first_lines,
        ["PUT /scim/Users/2819c223? HTTP/1.1", "GET /scim/Users?filter=userName+eq+%22babs%40example.com%22& HTTP/1.1"]
    );
    let user_agents: Vec<&str> =
        heads[1].lines().filter(|l| l.to_ascii_lowercase().starts_with("user-agent:")).collect();
    assert_eq!(user_agents.len(), 1, "one User-Agent header: {user_agents:?}");
    assert_eq!(user_agents[0]["user-agent:".len()..].trim(), "", "the User-Agent is sent empty");
}
