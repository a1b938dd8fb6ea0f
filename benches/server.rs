//! Load test of the reference server over real HTTP on loopback, printed as figures (not a
//! pass/fail test): `cargo bench --bench server`.
//!
//! Starts the `scimtest` binary (built in the bench profile) as a child process with
//! `--seed-users 100000` on a free 127.0.0.1 port, then runs each scenario for a fixed time with
//! 16 concurrent keep-alive HTTP/1.1 connections (one blocking client thread each, a minimal
//! client over `std::net::TcpStream`), and prints req/s and p50/p99 latency per scenario, the CPU
//! time the server and this client used during it (and the server's CPU per request), and the
//! server's peak memory (VmHWM).
//!
//! Scenarios: GET /Users/{id}; `userName eq` filter; POST /Users (unique userNames); then the Entra
//! mix. The writing scenarios run after the reading ones, so the filter runs at exactly the seeded
//! count.
//!
//! "Entra mix" is Microsoft Entra's provisioning cycle, built by the same request builders as
//! `scimtest load --profile entra` (src/load/entra.rs: same bodies, query encoding, Accept and
//! Content-Type) and sent by the client below, so that its figure is the server's, not a reqwest
//! generator's (scripts/bench-load.sh measures that one). Each connection looks up and creates its
//! group (E-QG, expects 200 with no result; E-CG, 201), then per user: E-QU filter on the new
//! userName (200, no result), E-CU POST (201, its `id` used below), E-UU PATCH of two attributes
//! (200), and every 5th user (`MEMBER_BATCH`) E-AM PATCH adding the last 5 users to the group and
//! E-RM PATCH removing the first of them (200 each), then E-DU PATCH `active` "False" (200). As in
//! `scimtest load`, nothing is deleted during the run: each group grows by 4 members per 5 users, so
//! its PATCHes get slower as the run goes on. Names are `bench-<pid>-load-u<connection>-<n>` and
//! `bench-<pid>-load-g<connection>`, colliding with no seeded user. Every request of the cycle is
//! counted (also printed per operation); a wrong status, or a lookup that finds something, is an error.
//!
//! Environment knobs: `SCIM_BENCH_SECS` (per scenario, default 3), `SCIM_BENCH_CONNS` (default 16;
//! the Entra mix runs one cycle per connection), `SCIM_BENCH_USERS` (seeded users, default 100000).
//!
//! Only 127.0.0.1 is ever contacted; every loop is bounded in time; the child is killed on exit
//! and on panic (a Drop guard).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scimtest::load::Operation;
use scimtest::runner::resource_path;

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
    /// Read buffer, zeroed once when it grows (not at every read): `buf[..filled]` holds what was read.
    buf: Vec<u8>,
    filled: usize,
    /// Bytes of `buf` already consumed.
    start: usize,
    /// Where the last response's body is in `buf`.
    body: std::ops::Range<usize>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    fn connect(port: u16) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn { stream, buf: vec![0; 64 * 1024], filled: 0, start: 0, body: 0..0 })
    }

    /// Reads more of the answer.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.buf.len() - self.filled < 16 * 1024 {
            self.buf.resize(self.buf.len() + 64 * 1024, 0);
        }
        match self.stream.read(&mut self.buf[self.filled..])? {
            0 => Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed by the server")),
            n => {
                self.filled += n;
                Ok(())
            }
        }
    }

    /// Sends one request and reads one response: (status, body).
    fn request(&mut self, req: &[u8]) -> std::io::Result<(u16, &[u8])> {
        let status = self.send(req)?;
        Ok((status, self.body()))
    }

    /// The body of the last response read.
    fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    /// Sends one request and reads one response: its status (the body is then in [`Conn::body`]).
    fn send(&mut self, req: &[u8]) -> std::io::Result<u16> {
        // Drop what was consumed (the last answer), so the buffer does not grow.
        self.buf.copy_within(self.start..self.filled, 0);
        self.filled -= self.start;
        self.start = 0;
        self.stream.write_all(req)?;
        // Status line and headers.
        let head_end = loop {
            if let Some(i) = find(&self.buf[self.start..self.filled], b"\r\n\r\n") {
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
        while self.filled < head_end + length {
            self.fill()?;
        }
        self.start = head_end + length;
        self.body = head_end..head_end + length;
        Ok(status)
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
    /// Requests sent in the measured window per operation of the scenario (one for the plain ones).
    per_operation: Vec<(&'static str, u64)>,
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

/// What one client thread saw: requests after the warm-up are measured, errors are counted throughout.
struct Tally {
    port: u16,
    warm_end: Instant,
    end: Instant,
    /// Latencies (ns) of the requests sent after the warm-up.
    latencies: Vec<u64>,
    /// Requests sent after the warm-up, per operation (indices chosen by the scenario).
    per_operation: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
    /// The connection broke and could not be reopened.
    broken: bool,
}

impl Tally {
    /// Whether this thread is done: its time is up, or its connection is gone.
    fn over(&self) -> bool {
        self.broken || Instant::now() >= self.end
    }

    /// Sends `req`, a request of operation `op`, unless the thread is done; true when it answered `expect`
    /// (its body is then in `conn.body()`). A wrong status or an I/O error is counted as an error, the first
    /// one kept; a broken connection is reopened.
    fn exchange(&mut self, conn: &mut Conn, op: usize, req: &[u8], expect: u16) -> bool {
        if self.over() {
            return false;
        }
        let sent = Instant::now();
        let res = conn.send(req);
        let took = sent.elapsed();
        if sent >= self.warm_end {
            self.latencies.push(took.as_nanos() as u64);
            self.per_operation[op] += 1;
        }
        match res {
            Ok(status) if status == expect => true,
            Ok(status) => {
                let body = conn.body();
                self.error(|| format!("status {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
                false
            }
            Err(e) => {
                self.error(|| format!("I/O error: {e}"));
                match Conn::connect(self.port) {
                    Ok(c) => *conn = c,
                    Err(_) => self.broken = true,
                }
                false
            }
        }
    }

    /// Counts an error; keeps the first one's description.
    fn error(&mut self, describe: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(describe());
        }
    }
}

/// Runs `client(thread, conn, tally)` on `conns` threads, each on its own connection, for `secs` after a
/// short warm-up; CPU time is counted over the measured window only. `operations` names the indices the
/// client counts its requests under.
fn measure(
    name: &'static str,
    port: u16,
    server_pid: u32,
    conns: usize,
    secs: f64,
    operations: &[&'static str],
    client: impl Fn(usize, &mut Conn, &mut Tally) + Send + Sync + 'static,
) -> Outcome {
    let warmup = Duration::from_millis(300);
    let measure = Duration::from_secs_f64(secs);
    let client = Arc::new(client);
    let barrier = Arc::new(std::sync::Barrier::new(conns + 1));
    let mut handles = Vec::new();
    for t in 0..conns {
        let (client, barrier, operations) = (client.clone(), barrier.clone(), operations.len());
        handles.push(std::thread::spawn(move || -> Tally {
            let mut conn = Conn::connect(port).expect("connect to the server");
            barrier.wait();
            let begin = Instant::now();
            let mut tally = Tally {
                port,
                warm_end: begin + warmup,
                end: begin + warmup + measure,
                latencies: Vec::with_capacity(1 << 16),
                per_operation: vec![0; operations],
                errors: 0,
                first_error: None,
                broken: false,
            };
            client(t, &mut conn, &mut tally);
            tally
        }));
    }
    // Count CPU over the measured window only (after the warm-up).
    barrier.wait();
    std::thread::sleep(warmup);
    let (s0, c0, m0, t0) =
        (cpu_seconds(&server_pid.to_string()), cpu_seconds("self"), machine_busy_seconds(), Instant::now());
    let mut latencies = Vec::new();
    let mut per_operation: Vec<(&'static str, u64)> = operations.iter().map(|&op| (op, 0)).collect();
    let (mut errors, mut first_error) = (0, None);
    for h in handles {
        let tally = h.join().expect("client thread");
        latencies.extend(tally.latencies);
        for (total, n) in per_operation.iter_mut().zip(tally.per_operation) {
            total.1 += n;
        }
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    let elapsed = t0.elapsed().min(measure);
    let (s1, c1, m1) = (cpu_seconds(&server_pid.to_string()), cpu_seconds("self"), machine_busy_seconds());
    latencies.sort_unstable();
    Outcome {
        name,
        requests: latencies.len() as u64,
        per_operation,
        errors,
        first_error,
        elapsed,
        latencies,
        server_cpu: s1 - s0,
        client_cpu: c1 - c0,
        other_cpu: ((m1 - m0) - (s1 - s0) - (c1 - c0)).max(0.0),
        hwm_mb: proc_status_kb(server_pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0,
    }
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
    make: impl Fn(usize, u64) -> Vec<u8> + Send + Sync + 'static,
) -> Outcome {
    measure(name, port, server_pid, conns, secs, &[name], move |t, conn, tally| {
        for seq in 0u64.. {
            if tally.over() {
                break;
            }
            tally.exchange(conn, 0, &make(t, seq), expect);
        }
    })
}

/// A request of `scimtest load` as the bytes the runner's client puts on the wire: its method, path and
/// query under the base URL (`Request::path_and_query`), Accept, Content-Type and body, with this
/// bench's bearer token.
fn wire(request: &scimtest::client::Request) -> Vec<u8> {
    let mut head = format!("{} {BASE}{}", request.method, request.path_and_query());
    let _ = write!(head, " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n");
    if let Some(accept) = &request.accept {
        let _ = write!(head, "Accept: {accept}\r\n");
    }
    if let Some(content_type) = &request.content_type {
        let _ = write!(head, "Content-Type: {content_type}\r\n");
    }
    let body = request.body.as_deref().unwrap_or_default();
    if request.body.is_some() {
        let _ = write!(head, "Content-Length: {}\r\n", body.len());
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Entra's provisioning cycle as `scimtest load --profile entra` sends it (src/load/entra.rs, same request
/// builders), on one connection: its group (E-QG, E-CG), then per user E-QU, E-CU, E-UU, E-DU, with E-AM
/// and E-RM before the E-DU of every `MEMBER_BATCH`th user. Names are `{prefix}-load-u{thread}-{n}` and
/// `{prefix}-load-g{thread}`, so the lookups find nothing and the creates collide with nothing.
fn entra_cycle(prefix: String) -> impl Fn(usize, &mut Conn, &mut Tally) + Send + Sync + 'static {
    use scimtest::load::cycle::MEMBER_BATCH;
    use scimtest::load::entra;
    let op = |operation: Operation| Operation::ENTRA.iter().position(|&o| o == operation).expect("an Entra operation");
    let (qu, cu, uu, du) = (
        op(Operation::EntraQueryUser),
        op(Operation::EntraCreateUser),
        op(Operation::EntraUpdateUser),
        op(Operation::EntraDisableUser),
    );
    let (qg, cg, am, rm) = (
        op(Operation::EntraQueryGroup),
        op(Operation::EntraCreateGroup),
        op(Operation::EntraAddMembers),
        op(Operation::EntraRemoveMember),
    );
    move |t, conn, tally| {
        let group_name = format!("{prefix}-load-g{t}");
        let mut group: Option<String> = None;
        let mut pending: Vec<String> = Vec::new();
        for n in 0u64.. {
            if tally.over() {
                break;
            }
            if group.is_none() {
                query_finds_nothing(tally, conn, qg, &wire(&entra::query_group(&group_name)));
                group = create(tally, conn, cg, &wire(&entra::create_group(&group_name)), "/Groups");
            }
            let user_name = format!("{prefix}-load-u{t}-{n}");
            query_finds_nothing(tally, conn, qu, &wire(&entra::query_user(&user_name)));
            let Some(user) = create(tally, conn, cu, &wire(&entra::create_user(&user_name, n)), "/Users") else {
                continue;
            };
            tally.exchange(conn, uu, &wire(&entra::update_user(&user, &user_name)), 200);
            pending.push(user.rsplit('/').next().unwrap_or_default().to_string());
            if pending.len() >= MEMBER_BATCH
                && let Some(g) = &group
            {
                tally.exchange(conn, am, &wire(&entra::add_members(g, &pending)), 200);
                tally.exchange(conn, rm, &wire(&entra::remove_member(g, &pending[0])), 200);
                pending.clear();
            }
            tally.exchange(conn, du, &wire(&entra::disable_user(&user)), 200);
        }
    }
}

/// A lookup of a name nobody has: 200 with `totalResults` 0, or an error.
fn query_finds_nothing(tally: &mut Tally, conn: &mut Conn, op: usize, req: &[u8]) {
    if tally.exchange(conn, op, req, 200) && find(conn.body(), b"\"totalResults\":0").is_none() {
        let body = String::from_utf8_lossy(conn.body()).chars().take(300).collect::<String>();
        tally.error(|| format!("a lookup of a new name found something: {body}"));
    }
}

/// A create: 201 with an `id`; the new resource's path, as `scimtest load` keeps it.
fn create(tally: &mut Tally, conn: &mut Conn, op: usize, req: &[u8], collection: &str) -> Option<String> {
    if !tally.exchange(conn, op, req, 201) {
        return None;
    }
    let id = string_values(&String::from_utf8_lossy(conn.body()), "id").into_iter().next();
    let path = id.as_deref().and_then(|id| resource_path(collection, id));
    if path.is_none() {
        tally.error(|| format!("POST {collection} answered 201 without a usable id"));
    }
    path
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
    println!(
        "{:<30} server CPU per request {:.1} µs = {:.0} requests per server CPU-second",
        "",
        o.server_cpu / o.requests.max(1) as f64 * 1e6,
        o.requests as f64 / o.server_cpu,
    );
    if o.per_operation.len() > 1 {
        for (op, n) in &o.per_operation {
            println!("{:<30} {n:>8}  {op}", "");
        }
    }
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

    let get_paths: Vec<Vec<u8>> = ids.iter().map(|id| get_request(&format!("{BASE}/Users/{id}"))).collect();
    let filter_paths: Vec<Vec<u8>> = names
        .iter()
        .map(|n| get_request(&format!("{BASE}/Users?filter={}", encode(&format!("userName eq \"{n}\"")))))
        .collect();
    let nonce = std::process::id();

    let mut outcomes = Vec::new();
    outcomes.push(run("GET /Users/{id}", port, pid, conns, secs, 200, move |t, s| {
        get_paths[(t * 7919 + s as usize * 104_729) % get_paths.len()].clone()
    }));
    report(outcomes.last().unwrap());
    outcomes.push(run("GET /Users?filter=userName eq", port, pid, conns, secs, 200, move |t, s| {
        filter_paths[(t * 7919 + s as usize * 104_729) % filter_paths.len()].clone()
    }));
    report(outcomes.last().unwrap());
    outcomes.push(run("POST /Users", port, pid, conns, secs, 201, move |t, s| {
        let body = format!(
            "{{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"bench-{nonce}-{t}-{s}@example.com\",\
             \"name\":{{\"givenName\":\"Bench\",\"familyName\":\"User{s}\"}},\"displayName\":\"Bench User {s}\",\"active\":true,\
             \"emails\":[{{\"value\":\"bench-{nonce}-{t}-{s}@example.com\",\"type\":\"work\",\"primary\":true}}]}}"
        );
        post_request(&format!("{BASE}/Users"), &body)
    }));
    report(outcomes.last().unwrap());
    // Last: it adds users and groups the scenarios above would otherwise see.
    let entra_operations: Vec<&'static str> = Operation::ENTRA.iter().map(|o| o.label()).collect();
    outcomes.push(measure(
        "Entra mix",
        port,
        pid,
        conns,
        secs,
        &entra_operations,
        entra_cycle(format!("bench-{nonce}")),
    ));
    report(outcomes.last().unwrap());

    let hwm = proc_status_kb(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0;
    let rss = proc_status_kb(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0;
    // POST /Users and Entra's E-CU (the warm-up's creates are not counted, hence the ~).
    let created: u64 = outcomes
        .iter()
        .flat_map(|o| &o.per_operation)
        .filter(|(op, _)| *op == "POST /Users" || *op == Operation::EntraCreateUser.label())
        .map(|(_, n)| n)
        .sum();
    println!();
    println!(
        "server peak memory (VmHWM): {hwm:.1} MB; VmRSS now {rss:.1} MB ({users} seeded + ~{created} created users)"
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at the end: {}", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    drop(server);
}
