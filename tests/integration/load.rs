//! `scimtest load` against the bundled server: the clean server passes at Entra's 25 requests/s and is left
//! empty; a limiter below that is reported with its 429s and whether they carried `Retry-After`; `--rate`
//! caps every second; `--max-requests` bounds the run; Okta's cycle passes too; the HTML report draws a chart
//! per operation; no secret appears in any output.

use std::time::{Duration, Instant};

use scimtest::server::{Fault, ServerConfig};
use serde_json::Value;

use crate::util::{Instrumented, Run, runtime, scimtest_without_credentials};

const TOKEN: &str = "load-test-secret-token-5c1d2e";

/// Runs `scimtest load` against `url` with `args`, its JSON report read back.
fn load(url: &str, args: &[&str]) -> (Run, Option<Value>, Duration) {
    let json = tempfile_path("json");
    let started = Instant::now();
    let run = Run::of(
        scimtest_without_credentials()
            .args(["load", "--url", url, "--json"])
            .arg(&json)
            .args(args)
            .env("SCIM_TOKEN", TOKEN)
            .env("CI", "1"),
    );
    let took = started.elapsed();
    let report = std::fs::read_to_string(&json).ok().map(|t| {
        assert!(!t.contains(TOKEN), "the JSON report holds the token");
        serde_json::from_str(&t).expect("the JSON report is JSON")
    });
    let _ = std::fs::remove_file(&json);
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN), "the token was printed: {run:?}");
    (run, report, took)
}

fn tempfile_path(extension: &str) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("scimtest-load-{}-{n}.{extension}", std::process::id()))
}

/// How many users and groups the server holds.
fn resources(server: &Instrumented) -> (usize, usize) {
    server.state.counts()
}

fn config(rate_limit: Option<u32>, faults: &[Fault]) -> ServerConfig {
    ServerConfig {
        token: Some(TOKEN.into()),
        rate_limit,
        faults: faults.iter().copied().collect(),
        ..ServerConfig::default()
    }
}

#[test]
fn the_clean_server_passes_at_25_requests_a_second_and_is_left_empty() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    // Two workers, so that each reaches a batch of members (E-AM, E-RM) within 3 s.
    let (run, report, took) = load(&server.base_url, &["--rate", "25", "--duration", "3", "--concurrency", "2"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report = report.expect("a JSON report");
    assert!(run.stdout.contains("verdict: PASS"), "{run:?}");
    assert_eq!(report["verdict"]["passed"], true);
    assert_eq!(report["throttled"], 0);
    assert!(report["achieved_rps"].as_f64().unwrap() >= 24.0, "{report}");
    // Every operation of the cycle was sent, and each has its latency figures.
    let ids: Vec<&str> = report["operations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    for id in ["E-QU", "E-CU", "E-UU", "E-DU", "E-QG", "E-CG", "E-AM", "E-RM"] {
        assert!(ids.contains(&id), "{id} not sent: {ids:?}");
    }
    // Every user and group it made was deleted, and the server says so.
    assert!(report["cleanup"]["deleted"].as_u64().unwrap() > 10, "{report}");
    assert_eq!(report["cleanup"]["still_listed"].as_array().unwrap().len(), 0);
    assert_eq!(resources(&server), (0, 0));
    assert!(took < Duration::from_secs(3 + 8), "{took:?}");
    rt.block_on(server.shutdown());
}

#[test]
fn the_okta_cycle_passes_and_the_html_report_draws_every_operation() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    let html = tempfile_path("html");
    // One worker for 4 s reaches two membership pushes: the second removes a member as it adds the next batch.
    let (run, report, _) = load(
        &server.base_url,
        &["--profile", "okta", "--duration", "4", "--concurrency", "1", "--html", html.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let report = report.expect("a JSON report");
    assert_eq!(report["profile"], "okta");
    assert_eq!(report["rate_bar"], 25, "Okta documents no rate: the bar is the rate asked for");
    assert!(run.stdout.contains("verdict: PASS against the rate asked for, --rate 25"), "{run:?}");
    assert!(run.stdout.contains("as Okta documents none"), "{run:?}");
    let ids: Vec<&str> = report["operations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["O-QU", "O-CU", "O-GU", "O-UU", "O-DU", "O-LG", "O-CG", "O-RG", "O-MG"], "{report}");
    let pushes = report["operations"].as_array().unwrap().iter().find(|o| o["id"] == "O-MG").unwrap();
    assert!(pushes["requests"].as_u64().unwrap() >= 2, "{pushes}");
    // The profile push is a PUT of the whole user (O-UU), never a PATCH.
    let paths: Vec<String> = server.log.lock().unwrap().iter().map(|s| format!("{} {}", s.method, s.path)).collect();
    assert!(paths.iter().any(|p| p.starts_with("PUT ") && p.contains("/Users/")), "{paths:?}");
    assert_eq!(resources(&server), (0, 0));

    let page = std::fs::read_to_string(&html).expect("the HTML report was written");
    let _ = std::fs::remove_file(&html);
    assert!(!page.contains(TOKEN), "the HTML report holds the token");
    assert!(page.contains("data-verdict=\"pass\""), "{page}");
    assert_eq!(page.matches("<svg").count(), ids.len(), "one chart per operation");
    for id in &ids {
        let chart = page.find(&format!("<div class=\"chart\" data-operation=\"{id}\">")).expect(id);
        let svg = &page[chart..];
        assert!(svg.find("<svg").unwrap() < svg.find("</svg>").unwrap(), "{id}: its chart");
        assert!(svg[..svg.find("</svg>").unwrap()].contains("<rect"), "{id}: a bar per bucket");
    }
    // The labels, escaped as every value of the page is.
    assert!(page.contains("O-MG PATCH &#x2f;Groups&#x2f;{id} members"), "{page}");
    assert!(!page.contains("<script"), "no script");
    rt.block_on(server.shutdown());
}

#[test]
fn an_html_report_that_cannot_be_written_is_exit_2_after_the_cleanup() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    let html = std::env::temp_dir().join("scimtest-no-such-directory").join("load.html");
    let (run, report, _) =
        load(&server.base_url, &["--profile", "okta", "--duration", "1", "--html", html.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one error and its fix: {run:?}");
    assert!(
        lines[0].starts_with("error: cannot write the HTML report to ") && lines[0].contains("load.html"),
        "{run:?}"
    );
    assert!(lines[1].trim_start().starts_with("fix: "), "{run:?}");
    // The run, its report and its cleanup happened all the same.
    assert!(run.stdout.contains("cleanup: "), "{run:?}");
    assert!(report.is_some(), "the JSON report is still written");
    assert_eq!(resources(&server), (0, 0));
    rt.block_on(server.shutdown());
}

#[test]
fn a_limiter_below_25_a_second_is_reported_with_its_429s_and_retry_after() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(Some(10), &[]), Duration::ZERO));
    let (run, report, took) = load(&server.base_url, &["--rate", "25", "--duration", "3"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = report.expect("a JSON report");
    let throttled = report["throttled"].as_u64().unwrap();
    assert!(throttled > 0, "{report}");
    assert_eq!(report["throttled_with_retry_after"].as_u64(), Some(throttled));
    assert!(report["throttled_at_or_below_bar"].as_u64().unwrap() > 0, "{report}");
    assert!(
        run.stdout.contains(&format!("429 Too Many Requests: {throttled}, {throttled} with Retry-After, 0 without"))
    );
    assert!(run.stdout.contains("the limiter refuses what Entra's gallery requires"), "{run:?}");
    // Within its duration, and its cleanup (paced by the limiter's Retry-After) leaves nothing.
    assert!(took < Duration::from_secs(3 + 12), "{took:?}");
    assert_eq!(resources(&server), (0, 0));
    rt.block_on(server.shutdown());
}

#[test]
fn a_429_without_retry_after_is_reported_as_such() {
    let rt = runtime();
    let server =
        rt.block_on(Instrumented::start(config(Some(10), &[Fault::RateLimitWithoutRetryAfter]), Duration::ZERO));
    let (run, report, _) = load(&server.base_url, &["--rate", "25", "--duration", "2"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = report.expect("a JSON report");
    let throttled = report["throttled"].as_u64().unwrap();
    assert!(throttled > 0, "{report}");
    assert_eq!(report["throttled_with_retry_after"], 0);
    assert!(
        run.stdout.contains(&format!(
            "429 Too Many Requests: {throttled}, 0 with Retry-After, {throttled} without (RFC 6585 §4"
        )),
        "{run:?}"
    );
    assert_eq!(resources(&server), (0, 0));
    rt.block_on(server.shutdown());
}

#[test]
fn rate_10_never_sends_more_than_10_in_any_second() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    let (run, report, took) = load(&server.base_url, &["--rate", "10", "--duration", "3", "--concurrency", "8"]);
    // 10 a second is below Entra's bar: the verdict says so and names the option.
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("--rate 10 asks for less"), "{run:?}");
    let arrivals: Vec<Instant> = server.log.lock().unwrap().iter().map(|s| s.at).collect();
    assert!(arrivals.len() >= 30, "a run long enough to be paced: {} requests", arrivals.len());
    // Every request: the probe, the cycle and the cleanup.
    assert!(
        crate::util::busiest_second(&arrivals) <= 10,
        "{} requests in one second",
        crate::util::busiest_second(&arrivals)
    );
    assert!(report.unwrap()["busiest_second"].as_u64().unwrap() <= 10);
    assert!(took >= Duration::from_millis(100 * (arrivals.len() as u64 - 10)), "{took:?} for {}", arrivals.len());
    rt.block_on(server.shutdown());
}

#[test]
fn max_requests_bounds_an_unpaced_run() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    let (run, report, took) = load(&server.base_url, &["--rate", "0", "--duration", "60", "--max-requests", "40"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(report.unwrap()["requests"], 40);
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(resources(&server), (0, 0));
    rt.block_on(server.shutdown());
}

#[test]
fn mistakes_are_one_line_with_a_fix_and_exit_2() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(
        ServerConfig { token: Some("another-token-entirely".into()), ..ServerConfig::default() },
        Duration::ZERO,
    ));
    // A credential the endpoint refuses: stopped at the Test Connection query, before anything is written.
    let (run, report, _) = load(&server.base_url, &["--duration", "2"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("answered 401") && run.stderr.contains("fix:"), "{run:?}");
    assert!(report.is_none());
    assert_eq!(server.log.lock().unwrap().len(), 1, "only the probe was sent");
    let (run, _, _) = load(&server.base_url, &["--max-rps", "5"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("fix: pass --rate N"), "{run:?}");
    rt.block_on(server.shutdown());
}

#[test]
fn an_interrupted_run_deletes_what_it_made_and_ends_with_the_signal_status() {
    let rt = runtime();
    let server = rt.block_on(Instrumented::start(config(None, &[]), Duration::ZERO));
    let child = scimtest_without_credentials()
        .args(["load", "--url", &server.base_url, "--rate", "50", "--duration", "60"])
        .env("SCIM_TOKEN", TOKEN)
        .env("CI", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while resources(&server).0 < 10 {
        assert!(started.elapsed() < Duration::from_secs(30), "the run created too little");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30), "it stopped at the signal, not at --duration");
    assert!(stdout.contains("interrupted (Ctrl-C)") && stdout.contains("cleanup:"), "{stdout}{stderr}");
    assert_eq!(resources(&server), (0, 0), "{stdout}");
    rt.block_on(server.shutdown());
}
