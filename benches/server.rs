//! Load test of the reference server over real HTTP on loopback, printed as figures (not a
//! pass/fail test): `cargo bench --bench server`.
//!
//! Starts the `scimtest` binary (built in the bench profile) as a child process with
//! `--seed-users 100000` on a free 127.0.0.1 port, then runs each scenario for a fixed time with
//! 16 concurrent keep-alive HTTP/1.1 connections (one blocking client thread each, a minimal
//! client over `std::net::TcpStream`), and prints req/s and p50/p99 latency per scenario, the CPU
//! time the server and this client used during it, and the server's peak memory (VmHWM).
//!
//! Scenarios: GET /Users/{id}; `userName eq` filter; POST /Users (unique userNames; last, so the
//! filter runs at exactly the seeded count). Environment knobs:
//! `SCIM_BENCH_SECS` (per scenario, default 3), `SCIM_BENCH_CONNS` (default 16),
//! `SCIM_BENCH_USERS` (default 100000).
//!
//! Only 127.0.0.1 is ever contacted; every loop is bounded in time; the child is killed on exit
//! and on panic (a Drop guard).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const BASE: &str = "/scim/v2";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The server child process.

/// Kills the server when dropped (normal exit or panic).
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(users: usize) -> Server {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
            l.local_addr().expect("local addr").port()
        };
        let log = std::env::temp_dir().join(format!("scimtest-bench-server-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_scimtest"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--seed-users", &users.to_string()])
            .env("SCIM_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).map(Stdio::from).unwrap_or_else(|_| Stdio::null()))
            .spawn()
            .expect("start the scimtest binary");
        let mut server = Server { child, port };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("the server exited early ({status}):\n{text}");
            }
            if let Ok(mut c) = Conn::connect(port) {
                c.stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
                if let Ok((200, _)) = c.request(&get_request(&format!("{BASE}/ServiceProviderConfig"))) {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(600), "the server did not answer within 600 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("server up on 127.0.0.1:{port} with {users} users after {:.2} s", started.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(&log);
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// A `VmXXX:` line of /proc/<pid>/status, in kB.
fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of a process, in seconds (from /proc/<pid>/stat; USER_HZ is 100 on Linux).
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return f64::NAN };
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let Some(rest) = text.rsplit_once(')').map(|(_, r)| r) else { return f64::NAN };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state(3) ppid(4) ... utime is field 14, stime 15 → indices 11 and 12 here.
    let ticks = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (ticks(11) + ticks(12)) / 100.0
}

/// Busy CPU time of the whole machine, in seconds (all cores; from the `cpu` line of /proc/stat).
fn machine_busy_seconds() -> f64 {
    let Ok(text) = std::fs::read_to_string("/proc/stat") else { return f64::NAN };
    let Some(line) = text.lines().next() else { return f64::NAN };
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    if v.len() < 5 {
        return f64::NAN;
    }
    // user nice system idle iowait irq softirq steal [guest guest_nice, already in user/nice].
    let total: f64 = v.iter().take(8).sum();
    (total - v[3] - v[4]) / 100.0
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 keep-alive client.

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    start: usize,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    fn connect(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn { stream, buf: Vec::with_capacity(64 * 1024), start: 0 })
    }

    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        let len = self.buf.len();
        if self.buf.capacity() - len < 16 * 1024 {
            self.buf.reserve(64 * 1024);
        }
        let cap = self.buf.capacity();
        self.buf.resize(cap, 0);
        let n = self.stream.read(&mut self.buf[len..]);
        match n {
            Ok(0) => {
                self.buf.truncate(len);
                Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by the server"))
            }
            Ok(n) => {
                self.buf.truncate(len + n);
                Ok(())
            }
            Err(e) => {
                self.buf.truncate(len);
                Err(e)
            }
        }
    }

    /// Sends one request and reads one response: (status, body).
    fn request(&mut self, req: &[u8]) -> std::io::Result<(u16, &[u8])> {
        self.stream.write_all(req)?;
        // Status line and headers.
        let head_end = loop {
            if let Some(i) = find(&self.buf[self.start..], b"\r\n\r\n") {
                break self.start + i + 4;
            }
            self.fill()?;
        };
        let head = &self.buf[self.start..head_end];
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let status: u16 = head
            .get(9..12)
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let mut length = None;
        for line in head.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                let name = &line[..colon];
                if name.eq_ignore_ascii_case(b"content-length") {
                    length = std::str::from_utf8(&line[colon + 1..]).ok().and_then(|v| v.trim().parse::<usize>().ok());
                } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                    return Err(bad("chunked responses are not supported by this client"));
                }
            }
        }
        let length = length.ok_or_else(|| bad("no Content-Length"))?;
        while self.buf.len() < head_end + length {
            self.fill()?;
        }
        self.start = head_end + length;
        Ok((status, &self.buf[head_end..head_end + length]))
    }
}

fn get_request(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/scim+json\r\n\r\n"
    )
    .into_bytes()
}

fn post_request(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/scim+json\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Percent-encodes a query component (RFC 3986 unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

struct Outcome {
    name: &'static str,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// Sorted latencies in nanoseconds.
    latencies: Vec<u64>,
    server_cpu: f64,
    client_cpu: f64,
    /// Busy CPU of everything else on the machine (other processes, kernel work not charged to us).
    other_cpu: f64,
    /// The server's VmHWM right after the scenario, in MB.
    hwm_mb: f64,
}

/// Runs `make(thread, seq)` requests on `conns` connections for `secs` (after a short warm-up),
/// expecting `expect` as the status of each.
fn run(
    name: &'static str,
    port: u16,
    server_pid: u32,
    conns: usize,
    secs: f64,
    expect: u16,
    make: Arc<dyn Fn(usize, u64) -> Vec<u8> + Send + Sync>,
) -> Outcome {
    let warmup = Duration::from_millis(300);
    let measure = Duration::from_secs_f64(secs);
    let errors = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(conns + 1));
    let mut handles = Vec::new();
    for t in 0..conns {
        let (make, errors, barrier) = (make.clone(), errors.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || -> (Vec<u64>, Option<String>) {
            let mut conn = Conn::connect(port).expect("connect to the server");
            let mut lat = Vec::with_capacity(1 << 16);
            let mut first_error = None;
            let mut seq = 0u64;
            barrier.wait();
            let begin = Instant::now();
            let (warm_end, end) = (begin + warmup, begin + warmup + measure);
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let req = make(t, seq);
                seq += 1;
                let sent = Instant::now();
                let res = conn
                    .request(&req)
                    .map(|(s, body)| (s, String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()));
                let took = sent.elapsed();
                let ok = matches!(&res, Ok((s, _)) if *s == expect);
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if first_error.is_none() {
                        first_error = Some(match &res {
                            Ok((s, body)) => format!("status {s}: {body}"),
                            Err(e) => format!("I/O error: {e}"),
                        });
                    }
                    if res.is_err() {
                        // The connection is unusable: open a new one.
                        match Conn::connect(port) {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
                if sent >= warm_end {
                    lat.push(took.as_nanos() as u64);
                }
            }
            (lat, first_error)
        }));
    }
    // Count CPU over the measured window only (after the warm-up).
    barrier.wait();
    std::thread::sleep(warmup);
    let (s0, c0, m0, t0) =
        (cpu_seconds(&server_pid.to_string()), cpu_seconds("self"), machine_busy_seconds(), Instant::now());
    let mut latencies = Vec::new();
    let mut first_error = None;
    for h in handles {
        let (lat, err) = h.join().expect("client thread");
        latencies.extend(lat);
        first_error = first_error.or(err);
    }
    let elapsed = t0.elapsed().min(measure);
    let (s1, c1, m1) = (cpu_seconds(&server_pid.to_string()), cpu_seconds("self"), machine_busy_seconds());
    latencies.sort_unstable();
    Outcome {
        name,
        requests: latencies.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        first_error,
        elapsed,
        latencies,
        server_cpu: s1 - s0,
        client_cpu: c1 - c0,
        other_cpu: ((m1 - m0) - (s1 - s0) - (c1 - c0)).max(0.0),
        hwm_mb: proc_status_kb(server_pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1e6
}

fn report(o: &Outcome) {
    let secs = o.elapsed.as_secs_f64();
    println!(
        "{:<30} {:>7.0} req/s  p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>7.2} ms\n{:<30} ({} requests, {} errors; CPU s/s: server {:.2}, bench client {:.2}, other {:.2}; server VmHWM {:.0} MB)",
        o.name,
        o.requests as f64 / secs,
        percentile(&o.latencies, 50.0),
        percentile(&o.latencies, 99.0),
        o.latencies.last().copied().unwrap_or(0) as f64 / 1e6,
        "",
        o.requests,
        o.errors,
        o.server_cpu / secs,
        o.client_cpu / secs,
        o.other_cpu / secs,
        o.hwm_mb,
    );
    if let Some(e) = &o.first_error {
        println!("  first error: {e}");
    }
}

/// Pulls `"key":"value"` string values out of a JSON text without a JSON parser dependency.
/// Good enough for ids and userNames, which hold no escaped quotes in the seeded data.
fn string_values(body: &str, key: &str) -> Vec<String> {
    let pat = format!("\"{key}\":\"");
    body.match_indices(&pat)
        .filter_map(|(i, _)| {
            let rest = &body[i + pat.len()..];
            rest.find('"').map(|end| rest[..end].to_string())
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a name filter we do not need.
    let secs: f64 = env_or("SCIM_BENCH_SECS", 3.0);
    let conns: usize = env_or("SCIM_BENCH_CONNS", 16);
    let users: usize = env_or("SCIM_BENCH_USERS", 100_000);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "server bench: {cores} cores; load average before start: {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "  {conns} keep-alive HTTP/1.1 connections, {secs} s per scenario after a 0.3 s warm-up, {users} seeded users"
    );

    let server = Server::start(users);
    let (port, pid) = (server.port, server.pid());
    println!(
        "  server pid {pid}: after seeding VmRSS {:.1} MB, VmHWM {:.1} MB",
        proc_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
        proc_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
    );

    // Ids and userNames of existing users, from list pages spread over the whole store.
    let mut ids = Vec::new();
    let mut names = Vec::new();
    {
        let mut c = Conn::connect(port).expect("connect");
        let pages = 10usize;
        for p in 0..pages {
            let start = 1 + p * users.max(1) / pages;
            let (status, body) = c
                .request(&get_request(&format!("{BASE}/Users?startIndex={start}&count=200&attributes=userName")))
                .expect("list users");
            assert_eq!(status, 200, "list users: {}", String::from_utf8_lossy(body));
            let body = String::from_utf8_lossy(body);
            // attributes=userName answers id (always returned) and userName only.
            ids.extend(string_values(&body, "id"));
            names.extend(string_values(&body, "userName"));
        }
        assert!(!ids.is_empty() && !names.is_empty(), "no users to load (seeded {users})");
        // Sanity: a filter on an existing userName finds exactly that user.
        let q = format!("{BASE}/Users?filter={}", encode(&format!("userName eq \"{}\"", names[0])));
        let (status, body) = c.request(&get_request(&q)).expect("filter");
        let body = String::from_utf8_lossy(body);
        assert!(status == 200 && body.contains("\"totalResults\":1"), "filter sanity check failed: {status} {body}");
    }
    println!("  {} ids and {} userNames sampled from list pages", ids.len(), names.len());
    println!();

    let get_paths: Arc<Vec<Vec<u8>>> =
        Arc::new(ids.iter().map(|id| get_request(&format!("{BASE}/Users/{id}"))).collect());
    let filter_paths: Arc<Vec<Vec<u8>>> = Arc::new(
        names
            .iter()
            .map(|n| get_request(&format!("{BASE}/Users?filter={}", encode(&format!("userName eq \"{n}\"")))))
            .collect(),
    );
    let nonce = std::process::id();

    let mut outcomes = Vec::new();
    let g = get_paths.clone();
    outcomes.push(run(
        "GET /Users/{id}",
        port,
        pid,
        conns,
        secs,
        200,
        Arc::new(move |t, s| g[(t * 7919 + s as usize * 104_729) % g.len()].clone()),
    ));
    report(outcomes.last().unwrap());
    let f = filter_paths.clone();
    outcomes.push(run(
        "GET /Users?filter=userName eq",
        port,
        pid,
        conns,
        secs,
        200,
        Arc::new(move |t, s| f[(t * 7919 + s as usize * 104_729) % f.len()].clone()),
    ));
    report(outcomes.last().unwrap());
    outcomes.push(run("POST /Users", port, pid, conns, secs, 201, Arc::new(move |t, s| {
        let body = format!(
            "{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"bench-{nonce}-{t}-{s}@example.com\",\
             \"name\":{{\"givenName\":\"Bench\",\"familyName\":\"User{s}\"}},\"displayName\":\"Bench User {s}\",\"active\":true,\
             \"emails\":[{{\"value\":\"bench-{nonce}-{t}-{s}@example.com\",\"type\":\"work\",\"primary\":true}}]}}"
        );
        post_request(&format!("{BASE}/Users"), &body)
    })));
    report(outcomes.last().unwrap());

    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    let created = outcomes.last().map_or(0, |o| o.requests);
    println!();
    println!(
        "server peak memory (VmHWM): {hwm:.1} MB; VmRSS now {rss:.1} MB ({users} seeded + ~{created} created users)"
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at the end: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    drop(server);
}
