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

/// One HTTP/1.1 request with headers and a body, `Connection: close`; returns the whole answer as text.
fn http_with(addr: &str, request_line: &str, headers: &[&str], body: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to scimtest serve");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(
        stream,
        "{request_line} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// `serve --oauth`: the start lines say where tokens come from and for whom (never the secret), a client
/// secret from SCIM_CLIENT_SECRET gets a token, SCIM takes it and refuses the static token.
#[test]
fn serve_oauth_prints_its_endpoints_and_issues_tokens_scim_accepts() {
    use base64::Engine;
    let secret = "cli-Secret-1234";
    let jwks = crate::util::fixture("oauth/entra-test-jwks.json");
    let mut child = scimtest()
        .args(["serve", "--addr", "127.0.0.1:0", "--token", "t0ken", "--oauth", "--oauth-trust-jwks"])
        .arg(&jwks)
        .args(["--oauth-token-lifetime", "7200"])
        .env("SCIM_CLIENT_SECRET", secret)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start scimtest serve --oauth");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut start = String::new();
    while !start.contains("trusted issuer") {
        assert_ne!(stderr.read_line(&mut start).unwrap(), 0, "serve ended its start lines early: {start}");
    }
    let url = start.split_whitespace().find(|w| w.starts_with("http://")).expect("the banner names the URL");
    let addr = url.trim_start_matches("http://").split('/').next().unwrap().to_string();
    for expected in [
        "OAuth access tokens required".to_string(),
        format!("token endpoint: http://{addr}/oauth2/token"),
        format!("metadata: http://{addr}/.well-known/oauth-authorization-server"),
        format!("JWKS: http://{addr}/.well-known/jwks.json"),
        "audience: api://scimtest (tokens live 7200 s)".to_string(),
        "client id: scimtest (client_secret_basic".to_string(),
        "trusted issuer: https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0".to_string(),
    ] {
        assert!(start.contains(&expected), "{expected:?} in {start}");
    }
    assert!(!start.contains(secret) && !start.contains("t0ken"), "{start}");

    let basic = format!(
        "Authorization: Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("scimtest:{secret}"))
    );
    let form = "Content-Type: application/x-www-form-urlencoded";
    let answer = http_with(&addr, "POST /oauth2/token", &[&basic, form], "grant_type=client_credentials");
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"expires_in\":7200"), "{answer}");
    let json = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let token: serde_json::Value = serde_json::from_str(json).unwrap();
    let token = token["access_token"].as_str().unwrap();
    let users = http(&addr, "GET /scim/v2/Users", Some(token));
    assert!(users.starts_with("HTTP/1.1 200"), "{users}");
    let static_token = http(&addr, "GET /scim/v2/Users", Some("t0ken"));
    assert!(
        static_token.starts_with("HTTP/1.1 401") && static_token.contains("error=\"invalid_token\""),
        "{static_token}"
    );

    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let _ = child.wait();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(!rest.contains(secret) && !rest.contains(token), "{rest}");
}

/// A trust file that cannot be read or is no JWK Set, or an `--oauth` with no client: one `error:` line
/// naming the problem (and the file), a `fix:`, exit 2.
#[test]
fn serve_oauth_refuses_a_bad_trust_file_or_no_client_with_a_fix() {
    let dir = std::env::temp_dir().join(format!("scimtest-serve-oauth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_jwks = dir.join("not-jwks.json");
    std::fs::write(&not_jwks, r#"{"issuer": "https://example.test"}"#).unwrap();
    let not_json = dir.join("not-json.json");
    std::fs::write(&not_json, "<html>").unwrap();
    let missing = dir.join("missing.json");
    // A shared secret (HMAC) key would let anyone who reads the set sign: not a key to trust.
    let hmac = dir.join("hmac.json");
    std::fs::write(&hmac, r#"{"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}"#).unwrap();
    let cases = [
        (&not_jwks, "no `keys` array"),
        (&not_json, "is not JSON"),
        (&missing, "cannot read"),
        (&hmac, "no key this server can use"),
    ];
    for (file, says) in cases {
        let out = scimtest()
            .args(["serve", "--addr", "127.0.0.1:0", "--oauth", "--oauth-trust-jwks"])
            .arg(file)
            .env_remove("SCIM_CLIENT_SECRET")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(lines[0].starts_with("error: ") && lines[0].contains(&file.display().to_string()), "{err}");
        assert!(lines[0].contains(says) && lines[1].trim_start().starts_with("fix: "), "{err}");
    }
    let out = scimtest()
        .args(["serve", "--addr", "127.0.0.1:0", "--oauth"])
        .env_remove("SCIM_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SCIM_CLIENT_SECRET") && err.contains("--oauth-trust-jwks") && err.contains("fix:"), "{err}");
    // The OAuth settings mean nothing without --oauth.
    let out = scimtest().args(["serve", "--oauth-audience", "api://x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--oauth"));
    let _ = std::fs::remove_dir_all(&dir);
}
