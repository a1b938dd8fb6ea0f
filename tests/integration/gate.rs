//! The CI gate: a mistake in how scimtest is called is one line and exit 2, never a green run that
//! tested nothing and never thousands of failures; reports that cannot be written fail the run; a closed
//! pipe never panics; `--format json` keeps stdout JSON.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

const TOKEN: &str = "gate-token";

fn scimtest(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(std::env::temp_dir())
        .args(args)
        .env("SCIM_TOKEN", TOKEN)
        .env_remove("SCIM_BASE_URL")
        .env_remove("SCIM_PROFILE")
        .output()
        .expect("run the scimtest binary")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Exit 2, nothing on stdout, and stderr is one `error:` line (plus its `fix:` lines).
fn assert_one_line_mistake(out: &Output, says: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    assert!(out.stdout.is_empty(), "a mistake prints nothing on stdout: {}", text(out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines[0].starts_with("error: ") && lines[0].contains(says), "{}", text(out));
    assert!(lines[1..].iter().all(|l| l.trim_start().starts_with("fix:") || l.starts_with("  ")), "{}", text(out));
}

fn server() -> (tokio::runtime::Runtime, scimtest::server::RunningServer) {
    let rt = crate::util::runtime();
    let server = crate::util::rfc_server(&rt, TOKEN, &[]);
    (rt, server)
}

#[test]
fn run_without_a_url_is_a_usage_mistake() {
    assert_one_line_mistake(&scimtest(&["run"]), "no SCIM endpoint given");
}

#[test]
fn a_name_filter_that_selects_nothing_is_a_usage_mistake() {
    // Checked before any request: the URL is a dead port.
    let out = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", "usres::"]);
    assert_one_line_mistake(&out, "no check matches `usres::`");
    assert!(text(&out).contains("--list"), "{}", text(&out));
    let exact = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", "--exact", "create_user"]);
    assert_one_line_mistake(&exact, "no check matches `create_user` exactly");
}

#[test]
fn out_of_range_values_are_rejected_with_the_range() {
    for (flag, value, range) in
        [("--concurrency", "0", "1..=64"), ("--timeout", "0", "1..=3600"), ("--cases", "0", "1..=1000000")]
    {
        let out = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", flag, value]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).contains(range), "{flag}: {}", text(&out));
    }
}

#[test]
fn help_is_scimtests_own_grouped_and_without_libtest_leftovers() {
    let out = scimtest(&["run", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Usage: scimtest run [OPTIONS] [FILTER]..."), "{help}");
    for heading in
        ["Target:", "Authentication:", "Selection:", "Execution:", "Output:", "Generated checks:", "Snapshots:"]
    {
        assert!(help.contains(heading), "no {heading} group in\n{help}");
    }
    for gone in ["--bench", "--test-threads", "--nocapture", "--show-output", "--suites "] {
        assert!(!help.contains(gone), "{gone} is still offered:\n{help}");
    }
}

#[test]
fn list_closed_early_by_its_reader_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(std::env::temp_dir())
        .args(["run", "--list", "--profile", "rfc,entra,okta"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is gone (as with `| head -1`): the rest of the list meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(first.ends_with(": test\n"), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn an_unwritable_report_path_stops_the_run_before_it_starts() {
    let missing = std::env::temp_dir().join("scimtest-no-such-folder").join("r.xml");
    let out = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", "--junit", missing.to_str().unwrap()]);
    assert_one_line_mistake(&out, "--junit");
    assert!(text(&out).contains("create the folder"), "{}", text(&out));
    let folder = std::env::temp_dir();
    let out = scimtest(&["run", "--url", "http://127.0.0.1:9/scim/v2", "--json", folder.to_str().unwrap()]);
    assert_one_line_mistake(&out, "is a directory");
}

#[test]
fn a_report_that_fails_to_write_at_the_end_is_exit_2_not_a_pass() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let (rt, server) = server();
    let url = server.base_url();
    let out = scimtest(&["run", "--url", &url, "--suite", "discovery", "--no-generated", "--json", "/dev/full"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot write the JSON report /dev/full"), "{}", text(&out));
    assert!(text(&out).contains("verdict: PASS"), "the checks themselves passed: {}", text(&out));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn format_json_keeps_stdout_json_and_the_summary_on_stderr() {
    let (rt, server) = server();
    let url = server.base_url();
    let out = scimtest(&["run", "--url", &url, "--suite", "discovery", "--no-generated", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 4, "{}", text(&out));
    for line in lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{}", text(&out)));
        assert!(event.get("type").is_some(), "{line}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("scimtest: "), "{}", text(&out));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn read_only_says_what_the_verdict_leaves_out_and_an_all_skipped_run_is_not_green() {
    let (rt, server) = server();
    let url = server.base_url();
    let out = scimtest(&["run", "--url", &url, "--read-only", "--no-generated"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("--read-only skipped") && shown.contains("MUST checks that write: the verdict covers only the"),
        "{shown}"
    );
    // Every check of the patch suite writes: under --read-only the selection tests nothing.
    let out = scimtest(&["run", "--url", &url, "--read-only", "--suite", "patch", "--no-generated"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("nothing was tested"), "{}", text(&out));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn selftest_filters_may_select_one_server_mode_and_a_filter_for_none_is_a_mistake() {
    let out = scimtest(&["selftest", "--no-generated", "rfc::discovery::"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("strict mode") && !shown.contains("compat mode"), "only the rfc group runs: {shown}");
    let none = scimtest(&["selftest", "--no-generated", "nothingmatches"]);
    assert_eq!(none.status.code(), Some(2), "{}", text(&none));
    assert!(text(&none).contains("no check matches `nothingmatches`"), "{}", text(&none));
}

/// The GitHub Actions example's `scimtest run` command uses only options this binary has.
#[test]
fn the_github_actions_example_runs_a_command_line_this_binary_accepts() {
    let workflow =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/github-actions.yml")).unwrap();
    let start = workflow.find("scimtest run \\").expect("the example runs scimtest");
    let command: String = workflow[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_end_matches('\\').to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let dir = std::env::temp_dir();
    let args: Vec<String> = command
        .split_whitespace()
        .skip(2)
        .map(|a| a.replace("\"$SCIM_BASE_URL\"", "http://127.0.0.1:9/scim/v2"))
        .map(|a| a.replace("\"$GITHUB_STEP_SUMMARY\"", dir.join("summary.md").to_str().unwrap()))
        .collect();
    assert!(args.iter().any(|a| a == "--baseline") && args.iter().any(|a| a == "--markdown"), "{args:?}");
    // --list parses every option and sends nothing.
    let mut all: Vec<&str> = vec!["run", "--list"];
    all.extend(args.iter().map(String::as_str));
    let out = scimtest(&all);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("rfc::users::"), "{}", text(&out));
}
