//! Known failures with a ratchet (`--baseline FILE`), end to end against the bundled server with a fault:
//! a baseline written from a failing run's report waives its failures (exit 0, listed as waived, JUnit
//! `<skipped>`), a new failure still fails, a waiver whose check passes again fails ("fixed: remove the
//! waiver"), an expired one fails, and a waiver naming no planned check is a usage error (exit 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use scimtest::server::{Fault, RunningServer};

const TOKEN: &str = "baseline-test-token-5d4c3b";

use crate::util::runtime;

fn start(rt: &tokio::runtime::Runtime, faults: &[Fault]) -> RunningServer {
    crate::util::rfc_server(rt, TOKEN, faults)
}

fn scimtest(args: &[&str]) -> (i32, String) {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .current_dir(std::env::temp_dir())
        .args(args)
        .env("SCIM_TOKEN", TOKEN)
        .env_remove("SCIM_BASE_URL")
        .env_remove("SCIM_BASELINE")
        .output()
        .unwrap();
    (status.code().unwrap(), format!("{}{}", String::from_utf8_lossy(&stdout), String::from_utf8_lossy(&stderr)))
}

/// `scimtest run` of the users suite (no generated checks), with `extra` arguments.
fn run_users(server: &RunningServer, extra: &[&str]) -> (i32, String) {
    let url = server.base_url();
    scimtest(&[&["run", "--url", &url, "--suite", "users", "--no-generated"][..], extra].concat())
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn waived_failures_pass_new_failures_fail_and_fixed_or_expired_waivers_fail() {
    let rt = runtime();
    let dir = Dir(std::env::temp_dir().join(format!("scimtest-baseline-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = |name: &str| dir.0.join(name);
    let faulty = start(&rt, &[Fault::NoLocationHeader]);

    // A failing run, and a baseline written from its report.
    let (code, text) = run_users(&faulty, &["--json", p(&file("first.json"))]);
    assert_eq!(code, 1, "{text}");
    let (code, baseline) = scimtest(&["baseline", "--from", p(&file("first.json")), "--reason", "tracked in SCIM-7"]);
    assert_eq!(code, 0, "{baseline}");
    assert!(
        baseline.contains("[[waive]]\ncause = ") && baseline.contains("reason = \"tracked in SCIM-7\""),
        "{baseline}"
    );
    std::fs::write(file("baseline.toml"), &baseline).unwrap();

    // Waived: the same failures no longer fail the run, and are listed as waived in every report.
    let (json, junit) = (file("waived.json"), file("waived.xml"));
    let (code, text) =
        run_users(&faulty, &["--baseline", p(&file("baseline.toml")), "--json", p(&json), "--junit", p(&junit)]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("not failing the run:") && text.contains("tracked in SCIM-7"), "{text}");
    assert!(text.contains("PASS: every MUST requirement holds but"), "{text}");
    assert!(text.contains("ignored (waived: tracked in SCIM-7)"), "libtest shows the trial as waived: {text}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["verdict"], "pass");
    let waived = report["waived"].as_array().unwrap();
    assert!(!waived.is_empty() && waived.iter().all(|w| w["reason"] == "tracked in SCIM-7"), "{waived:?}");
    assert!(report["results"].as_array().unwrap().iter().any(|r| r["status"] == "failed" && r["waived"] == true));
    assert_eq!(report["baseline"]["problems"], serde_json::json!([]));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("type=\"waived\"") && !xml.contains("<failure"), "{xml}");

    // A new failure next to the waived ones fails the run.
    let worse = start(&rt, &[Fault::NoLocationHeader, Fault::ReturnPassword]);
    let (code, text) = run_users(&worse, &["--baseline", p(&file("baseline.toml"))]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("not failing the run:") && text.contains("verdict: FAIL"), "{text}");

    // Fixed: a waived check that passes again fails the run until its waiver is removed.
    let failed = report["results"].as_array().unwrap().iter().find(|r| r["status"] == "failed").unwrap();
    let check = failed["name"].as_str().unwrap();
    std::fs::write(file("check.toml"), format!("[[waive]]\ncheck = \"{check}\"\nreason = \"SCIM-7\"\n")).unwrap();
    let healthy = start(&rt, &[]);
    let (code, text) = run_users(&healthy, &["--baseline", p(&file("check.toml"))]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!(
            "fixed: `{check}` passes now: remove the waiver for it from {}",
            p(&file("check.toml"))
        )),
        "{text}"
    );
    assert!(text.contains("1 baseline waiver fixed or expired"), "{text}");
    // A root cause that did not appear in a run narrowed by --suite is not called fixed.
    let (code, text) = run_users(&healthy, &["--baseline", p(&file("baseline.toml"))]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("did not appear in this narrowed run"), "{text}");

    // Expired: the waiver waives nothing and fails the run.
    std::fs::write(
        file("expired.toml"),
        format!("[[waive]]\ncheck = \"{check}\"\nreason = \"SCIM-7\"\nexpires = 2020-01-31\n"),
    )
    .unwrap();
    let (code, text) = run_users(&faulty, &["--baseline", p(&file("expired.toml"))]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("expired on 2020-01-31: the waiver for check"), "{text}");
    assert!(text.contains("fix it or extend `expires`"), "{text}");

    for s in [faulty, worse, healthy] {
        rt.block_on(s.shutdown()).unwrap();
    }
}

#[test]
fn a_bad_baseline_is_a_usage_error_before_anything_is_sent() {
    let dir = Dir(std::env::temp_dir().join(format!("scimtest-baseline-bad-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    // Nothing listens here: a usage error must come before the first request.
    let url = "http://127.0.0.1:9/scim/v2";
    let typo = dir.0.join("typo.toml");
    std::fs::write(&typo, "\n[[waive]]\ncheck = \"rfc::users::create_returns_20\"\nreason = \"r\"\n").unwrap();
    let (code, text) = scimtest(&["run", "--url", url, "--no-generated", "--baseline", p(&typo)]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(&format!("error: {}:2: the waiver names check `rfc::users::create_returns_20`", p(&typo))),
        "{text}"
    );
    assert!(text.contains("did you mean `rfc::users::create_returns_201`?"), "{text}");
    let broken = dir.0.join("broken.toml");
    std::fs::write(&broken, "[[waive]]\ncheck = \"rfc::users::create_returns_201\"\nreson = \"r\"\n").unwrap();
    let (code, text) = scimtest(&["run", "--url", url, "--no-generated", "--baseline", p(&broken)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("error: {}:3: unknown field `reson`", p(&broken))), "{text}");
    let (code, text) = scimtest(&["run", "--url", url, "--baseline", p(&dir.0.join("missing.toml"))]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot read the baseline"), "{text}");
    let (code, text) = scimtest(&["baseline", "--from", p(&typo)]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("not JSON"), "{text}");
}
