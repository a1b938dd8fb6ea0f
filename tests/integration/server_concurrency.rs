//! The reference server under real concurrency: a server on a loopback socket (`spawn`), a multi-threaded
//! runtime, and many requests released at once through a barrier, each on its own connection with a tiny
//! HTTP/1.1 client (`Connection: close`). Uniqueness, PATCH and If-Match must hold as if requests ran one
//! at a time (issue 3, "Done when").

use std::net::SocketAddr;
use std::sync::Arc;

use scimtest::server::{RunningServer, ServerConfig, spawn};
use serde_json::{Value, json};
use std::io::ErrorKind;

use tokio::net::TcpStream;
use tokio::sync::Barrier;

const BASE: &str = "/scim/v2";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// An answer: status, headers (names lower-cased), body as JSON (`Null` when empty).
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Writes one request on a fresh connection and reads the answer until the server closes it.
async fn send(
    stream: &mut TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Answer {
    let body = body.map(|b| serde_json::to_vec(b).expect("JSON serializes")).unwrap_or_default();
    let mut request = format!(
        "{method} {BASE}{path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/scim+json\r\n"
    );
    if !body.is_empty() {
        request.push_str(&format!("Content-Type: application/scim+json\r\nContent-Length: {}\r\n", body.len()));
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&body);
    write_all(stream, &bytes).await;
    parse(&read_to_end(stream).await)
}

// tokio's `io-util` feature is off in this crate, so the readiness API does the copying.
async fn write_all(stream: &TcpStream, mut buf: &[u8]) {
    while !buf.is_empty() {
        stream.writable().await.expect("writable");
        match stream.try_write(buf) {
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("write: {e}"),
        }
    }
}

async fn read_to_end(stream: &TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        stream.readable().await.expect("readable");
        match stream.try_read(&mut chunk) {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

async fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.expect("connects")
}

async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Answer {
    let mut stream = connect(addr).await;
    send(&mut stream, addr, method, path, headers, body).await
}

fn parse(response: &[u8]) -> Answer {
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = std::str::from_utf8(&response[..split]).expect("ASCII headers");
    let mut payload = response[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked")) {
        payload = dechunk(&payload);
    }
    let body = if payload.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&payload)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&payload).into_owned()))
    };
    Answer { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size_text = std::str::from_utf8(&data[..end]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[(start + size + 2).min(data.len())..];
    }
}

fn user(user_name: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": { "givenName": "Con", "familyName": "Current" },
        "emails": [{ "value": "con@example.com", "type": "work", "primary": true }],
    })
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

#[track_caller]
fn assert_uniqueness_error(a: &Answer) {
    assert_eq!(a.status, 409, "{}", a.body);
    assert_eq!(a.body["schemas"], json!([ERROR]), "{}", a.body);
    assert_eq!(a.body["status"], json!("409"), "{}", a.body);
    assert_eq!(a.body["scimType"], json!("uniqueness"), "{}", a.body);
    assert!(a.header("content-type").is_some_and(|c| c.starts_with("application/scim+json")), "{:?}", a.headers);
}

async fn start() -> RunningServer {
    spawn(ServerConfig::default()).await.expect("server starts")
}

/// Runs `n` requests at once: every task connects first, then all are released together.
async fn at_once<F, Fut>(addr: SocketAddr, n: usize, make: F) -> Vec<Answer>
where
    F: Fn(usize, TcpStream) -> Fut,
    Fut: std::future::Future<Output = Answer> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let barrier = barrier.clone();
        // Connect before the barrier so the requests, not the handshakes, race.
        let stream = connect(addr).await;
        let fut = make(i, stream);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("task completes"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_posts_with_one_user_name_create_exactly_one_user() {
    let server = start().await;
    let addr = server.addr;
    let answers = at_once(addr, 100, |_, mut stream| async move {
        send(&mut stream, addr, "POST", "/Users", &[], Some(&user("race@example.com"))).await
    })
    .await;
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(created.len(), 1, "statuses: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for a in answers.iter().filter(|a| a.status != 201) {
        assert_uniqueness_error(a);
    }
    let winner = id_of(&created[0].body);
    let filter = "filter=userName+eq+%22RACE%40example.com%22";
    let list = request(addr, "GET", &format!("/Users?{filter}"), &[], None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["totalResults"], json!(1), "{}", list.body);
    assert_eq!(list.body["Resources"][0]["id"], json!(winner));
    let all = request(addr, "GET", "/Users", &[], None).await;
    assert_eq!(all.body["totalResults"], json!(1), "{}", all.body);
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_posts_with_case_variants_and_group_names_stay_unique() {
    let server = start().await;
    let addr = server.addr;
    let answers = at_once(addr, 50, |i, mut stream| async move {
        // mixed case of the same name: caseExact false
        let name: String = "case-race@example.com"
            .chars()
            .enumerate()
            .map(|(k, c)| if (i >> (k % 6)) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        send(&mut stream, addr, "POST", "/Users", &[], Some(&user(&name))).await
    })
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
    answers.iter().filter(|a| a.status != 201).for_each(assert_uniqueness_error);

    let answers = at_once(addr, 50, |i, mut stream| async move {
        let name = if i % 2 == 0 { "Race Group" } else { "RACE GROUP" };
        let body = json!({ "schemas": [GROUP], "displayName": name });
        send(&mut stream, addr, "POST", "/Groups", &[], Some(&body)).await
    })
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
    answers.iter().filter(|a| a.status != 201).for_each(assert_uniqueness_error);
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_patches_adding_distinct_members_lose_none() {
    let server = start().await;
    let addr = server.addr;
    // 100 users, created concurrently too.
    let created = at_once(addr, 100, |i, mut stream| async move {
        send(&mut stream, addr, "POST", "/Users", &[], Some(&user(&format!("member{i:03}@example.com")))).await
    })
    .await;
    assert!(created.iter().all(|a| a.status == 201), "{:?}", created.iter().map(|a| a.status).collect::<Vec<_>>());
    let user_ids: Vec<String> = created.iter().map(|a| id_of(&a.body)).collect();
    let group = request(addr, "POST", "/Groups", &[], Some(&json!({"schemas":[GROUP],"displayName":"Crowd"}))).await;
    assert_eq!(group.status, 201, "{}", group.body);
    let gid = id_of(&group.body);

    let ids = Arc::new(user_ids.clone());
    let path = Arc::new(format!("/Groups/{gid}"));
    let answers = at_once(addr, 100, |i, mut stream| {
        let ids = ids.clone();
        let path = path.clone();
        async move {
            // Alternate the Entra and the RFC shapes.
            let op = if i % 2 == 0 { "Add" } else { "add" };
            let body = json!({
                "schemas": [PATCH_OP],
                "Operations": [{ "op": op, "path": "members", "value": [{ "value": ids[i] }] }],
            });
            send(&mut stream, addr, "PATCH", &path, &[], Some(&body)).await
        }
    })
    .await;
    for a in &answers {
        assert!(a.status == 200 || a.status == 204, "{} {}", a.status, a.body);
    }
    let read = request(addr, "GET", &format!("/Groups/{gid}"), &[], None).await;
    assert_eq!(read.status, 200);
    let mut members: Vec<String> = read.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["value"].as_str().expect("value").to_string())
        .collect();
    members.sort();
    let mut expected = user_ids.clone();
    expected.sort();
    assert_eq!(members.len(), 100, "every PATCH landed");
    assert_eq!(members, expected);
    // And every user sees the group.
    let one = request(addr, "GET", &format!("/Users/{}", user_ids[57]), &[], None).await;
    assert_eq!(one.body["groups"][0]["value"], json!(gid), "{}", one.body);
    server.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_writes_with_the_same_if_match_let_exactly_one_through() {
    let server = start().await;
    let addr = server.addr;
    let created = request(addr, "POST", "/Users", &[], Some(&user("versioned@example.com"))).await;
    assert_eq!(created.status, 201);
    let id = id_of(&created.body);
    let version = created.header("etag").expect("ETag").to_string();
    assert_eq!(created.body["meta"]["version"], json!(version));

    // PUT
    let path = Arc::new(format!("/Users/{id}"));
    let shared = Arc::new(version.clone());
    let answers = at_once(addr, 40, |i, mut stream| {
        let path = path.clone();
        let version = shared.clone();
        async move {
            let mut body = user("versioned@example.com");
            body["title"] = json!(format!("writer {i}"));
            send(&mut stream, addr, "PUT", &path, &[("If-Match", &version)], Some(&body)).await
        }
    })
    .await;
    let winners: Vec<&Answer> = answers.iter().filter(|a| a.status == 200).collect();
    assert_eq!(winners.len(), 1, "statuses: {:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(a.status, 412, "{}", a.body);
        assert_eq!(a.body["schemas"], json!([ERROR]));
        assert_eq!(a.body["status"], json!("412"));
    }
    let now = request(addr, "GET", &path, &[], None).await;
    assert_eq!(now.body["title"], winners[0].body["title"], "the stored value is the winner's");
    let v2 = now.header("etag").expect("ETag").to_string();
    assert_eq!(Some(v2.as_str()), winners[0].header("etag"));
    assert_ne!(v2, version);

    // PATCH, from the new version.
    let shared = Arc::new(v2);
    let answers = at_once(addr, 40, |i, mut stream| {
        let path = path.clone();
        let version = shared.clone();
        async move {
            let body = json!({
                "schemas": [PATCH_OP],
                "Operations": [{ "op": "replace", "path": "nickName", "value": format!("nick {i}") }],
            });
            send(&mut stream, addr, "PATCH", &path, &[("If-Match", &version)], Some(&body)).await
        }
    })
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == 200).count(), 1);
    assert!(answers.iter().filter(|a| a.status != 200).all(|a| a.status == 412));

    // DELETE with a stale version loses to the current one.
    let stale = request(addr, "DELETE", &path, &[("If-Match", &version)], None).await;
    assert_eq!(stale.status, 412);
    let current = request(addr, "GET", &path, &[], None).await;
    let tag = current.header("etag").expect("ETag").to_string();
    assert_eq!(request(addr, "DELETE", &path, &[("If-Match", &tag)], None).await.status, 204);
    assert_eq!(request(addr, "GET", &path, &[], None).await.status, 404);
    server.shutdown().await.expect("clean shutdown");
}
