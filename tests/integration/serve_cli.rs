//! `scimtest serve` as a process: it listens where it says, answers SCIM, refuses bad arguments with a
//! hint, lists its faults, and stops cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn scimtest() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scimtest"))
}

/// One HTTP/1.1 request with `Connection: close`; returns the whole answer as text.
fn http(addr: &str, request_line: &str, token: Option<&str>) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to scimtest serve");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "{request_line} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn serves_scim_and_stops_on_sigint() {
    let mut child = scimtest()
        .args(["serve", "--addr", "127.0.0.1:0", "--token", "t0ken", "--seed-users", "3", "--mode", "strict"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start scimtest serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut banner = String::new();
    stderr.read_line(&mut banner).unwrap();
    let url = banner.split_whitespace().find(|w| w.starts_with("http://")).expect("the banner names the URL");
    let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    assert!(banner.contains("bearer token required") && banner.contains("3 users seeded"), "{banner}");
    assert!(!banner.contains("t0ken"), "the token is never printed");

    let answer = http(&addr, "GET /scim/v2/Users?count=2", Some("t0ken"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"totalResults\":3") && answer.contains("\"itemsPerPage\":2"), "{answer}");
    let denied = http(&addr, "GET /scim/v2/Users", None);
    assert!(denied.starts_with("HTTP/1.1 401") && denied.contains("\"status\":\"401\""), "{denied}");

    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "scimtest serve did not stop within 10 s of SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(exit.success(), "exit {exit:?}; stderr: {rest}");
    assert!(rest.contains("shutting down"), "{rest}");
}

#[test]
fn lists_faults_and_rejects_unknown_ones() {
    let out = scimtest().args(["serve", "--list-faults"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 20, "{text}");
    assert!(text.contains("case-sensitive-username") && text.contains("ignore-pagination"), "{text}");

    let out = scimtest().args(["serve", "--fault", "no-such-bug"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list-faults"));
}

#[test]
fn an_address_in_use_is_a_usage_error_with_a_fix() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = scimtest().args(["serve", "--addr", &addr]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen") && err.contains("--addr"), "{err}");
}

/// `scimtest run` against `scimtest serve` with one Entra-specific bug: the console ends with a readiness
/// line per IdP (Entra NOT READY, blocked by the group create; Okta READY), in the order the steps happen,
/// and `--markdown` and `--json` say the same.
#[test]
fn a_run_ends_with_readiness_per_idp_and_writes_the_markdown_summary() {
    let mut server = scimtest()
        .args(["serve", "--addr", "127.0.0.1:0", "--token", "t0ken", "--mode", "compat"])
        .args(["--fault", "reject-unknown-schema-urn", "--seed-users", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start scimtest serve");
    let mut banner = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut banner).unwrap();
    let url =
        banner.split_whitespace().find(|w| w.starts_with("http://")).expect("the banner names the URL").to_string();
    let dir = std::env::temp_dir().join(format!("scimtest-readiness-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (md, json) = (dir.join("summary.md"), dir.join("report.json"));
    let out = scimtest()
        .args(["run", "--url", &url, "--profile", "entra", "--profile", "okta", "--concurrency", "2"])
        .arg("--markdown")
        .arg(&md)
        .arg("--json")
        .arg(&json)
        .env("SCIM_TOKEN", "t0ken")
        .output()
        .expect("run scimtest");
    let _ = Command::new("kill").args(["-INT", &server.id().to_string()]).status();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let entra = stdout.lines().find(|l| l.trim_start().starts_with("Microsoft Entra ID (entra): ")).expect(&stdout);
    assert!(entra.contains("NOT READY — ") && entra.contains("blocked by: POST /Groups: answers 400"), "{entra}");
    let okta = stdout.lines().find(|l| l.trim_start().starts_with("Okta (okta): ")).expect(&stdout);
    assert!(okta.contains(": READY — "), "{okta}");
    // The view lists the steps in lifecycle order, under each IdP.
    let at = |needle: &str| stdout.find(needle).unwrap_or_else(|| panic!("{needle:?} in {stdout}"));
    assert!(at("✓ Test Connection") < at("✓ disable user") && at("✓ disable user") < at("✗ create group"), "{stdout}");
    assert!(at("✗ create group") < at("Okta (okta):"), "steps are grouped under their IdP: {stdout}");
    let summary = std::fs::read_to_string(&md).expect("the Markdown summary");
    assert!(summary.starts_with("## scimtest: ❌ FAIL\n"), "{summary}");
    assert!(summary.contains("| Microsoft Entra ID (`entra`) | ❌ NOT READY |"), "{summary}");
    assert!(summary.contains("| Okta (`okta`) | ✅ READY |"), "{summary}");
    assert!(!summary.contains("t0ken"), "no secrets: {summary}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["readiness"][0]["profile"], "entra");
    assert_eq!(report["readiness"][0]["verdict"], "not_ready");
    assert_eq!(report["readiness"][1]["verdict"], "ready");
    let _ = std::fs::remove_dir_all(&dir);
}
