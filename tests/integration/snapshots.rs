//! Response snapshots as a drift gate: the committed baseline of the bundled server (`snapshots/reference/`)
//! matches it, two runs agree, a fault that changes a response's shape fails with a diff naming the
//! field, and the CLI exits 1 on drift — writing pending files locally, nothing under CI.

use std::path::{Path, PathBuf};
use std::process::Command;

use scimtest::runner::report::Record;
use scimtest::runner::snapshot::{Mode, SnapshotConfig, Verdict};
use scimtest::server::{Fault, ServerConfig, ServerMode};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

/// Checks against `dir/reference` as CI does: nothing is written.
fn checking(dir: &Path) -> SnapshotConfig {
    SnapshotConfig {
        mode: Mode::Check,
        dir: dir.to_path_buf(),
        target: "reference".into(),
        redact: Vec::new(),
        ci: true,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Every profile under suites/profiles/, grouped by the server mode selftest judges it in.
fn profiles_by_mode() -> Vec<(ServerMode, Vec<String>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites/profiles");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let (strict, compat): (Vec<String>, Vec<String>) =
        names.into_iter().partition(|p| scimtest::selftest::server_mode_for(p) == ServerMode::Strict);
    vec![(ServerMode::Strict, strict), (ServerMode::Compat, compat)]
}

async fn checked(
    mode: ServerMode,
    faults: &[Fault],
    profiles: &[String],
    suite: Option<&str>,
    dir: &Path,
    auth: &scimtest::selftest::BundledAuth,
) -> Vec<Record> {
    // An identity provider's tenant holds a user before it runs (O-Q24), as in selftest.
    let seed_users = if profiles.iter().all(|p| p == "rfc") { 0 } else { scimtest::selftest::seed_users_for(mode) };
    let server = ServerConfig { mode, seed_users, faults: faults.iter().copied().collect(), ..ServerConfig::default() };
    let (server, mut config) = crate::util::oauth_server_with_run_config(server, auth).await;
    config.profiles = profiles.to_vec();
    config.suite_pattern = suite.map(str::to_string);
    config.snapshots = checking(dir);
    let records = scimtest::runner::check(&config).await.unwrap();
    server.shutdown().await.unwrap();
    records
}

fn snap_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            snap_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "snap" || x == "new") {
            out.push(p);
        }
    }
}

#[test]
fn the_committed_reference_snapshots_match_the_bundled_server() {
    let rt = runtime();
    let mut matched = 0;
    let mut drift = Vec::new();
    for (mode, profiles) in profiles_by_mode() {
        // Every scenario that snapshots runs: with a JWT assertion (Entra's Federated_Identity_Test), and for
        // rfc with tokens short enough for the expired-token check (as selftest's second rfc run).
        let auth = match mode {
            ServerMode::Strict => crate::oauth::TWO_SECOND_TOKENS,
            ServerMode::Compat => scimtest::selftest::BundledAuth::oauth(scimtest::selftest::OAuthFlow::JwtAssertion),
        };
        for r in rt.block_on(checked(mode, &[], &profiles, None, &reference_dir(), &auth)) {
            match &r.snapshot {
                Some(Verdict::Matched) => matched += 1,
                Some(v) => drift.push(format!("{}: {}", r.name, v.message(true))),
                None => {}
            }
        }
    }
    assert!(
        drift.is_empty(),
        "{} snapshots differ from snapshots/reference/ — if the change is intended, run \
         `cargo run -- selftest --snapshots update` and review `git diff snapshots/`:\n{}",
        drift.len(),
        drift.join("\n")
    );
    // Every committed file is produced by some scenario, and nothing is pending.
    let mut files = Vec::new();
    snap_files(&reference_dir().join("reference"), &mut files);
    assert_eq!(files.len(), matched, "stale or pending files under snapshots/reference: {files:?}");
    assert!(matched > 300, "only {matched} snapshots were checked");
}

#[test]
fn faults_that_change_a_response_shape_fail_with_a_diff_naming_the_field() {
    let rt = runtime();
    let rfc = ["rfc".to_string()];
    for (fault, scenario, field) in [
        (Fault::ReturnPassword, "password_never_returned", "step 1 POST /Users: body.password added"),
        (Fault::NoLocationHeader, "create_location_header", "step 1 POST /Users: headers.location removed"),
        (Fault::CreateReturns200, "create_returns_201", "step 1 POST /Users: status: 201 → 200"),
    ] {
        let records = rt.block_on(checked(
            ServerMode::Strict,
            &[fault],
            &rfc,
            Some("users"),
            &reference_dir(),
            &scimtest::selftest::BundledAuth::Bearer,
        ));
        let record = records.iter().find(|r| r.scenario == scenario).unwrap();
        let Some(Verdict::Changed { fields, diff, pending, .. }) = &record.snapshot else {
            panic!("{fault:?}: expected drift in {scenario}, got {:?}", record.snapshot)
        };
        assert!(fields.iter().any(|f| f.starts_with(field)), "{fault:?}: {field:?} not among {fields:#?}");
        assert!(diff.contains("--- snapshot") && diff.contains("+++ this run"), "{diff}");
        assert_eq!(pending, &None, "CI: nothing is written");
    }
}

fn scimtest(args: &[&str], ci: bool) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scimtest"));
    command.args(args).env_remove("SCIM_SNAPSHOTS").env_remove("SCIM_TARGET").env_remove("TF_BUILD");
    if ci {
        command.env("CI", "true");
    } else {
        command.env_remove("CI");
    }
    let out = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap(), text)
}

#[test]
fn two_runs_produce_no_diff_and_drift_fails_the_cli_with_pending_files_only_outside_ci() {
    let dir = std::env::temp_dir().join(format!("scimtest-snapshots-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let base = ["selftest", "--no-generated", "--snapshot-dir", d];

    // Record, then check: the second run (concurrent, fresh ids, ports and times) matches the first.
    let (code, text) = scimtest(&[&base[..], &["--snapshots", "update"]].concat(), false);
    assert_eq!(code, 0, "{text}");
    // rfc, then the IdP profiles, with client credentials; then again with a JWT assertion, which adds the
    // expired-token check (rfc).
    for counts in ["247 written", "247 matched, 1 written", "190 written", "190 matched"] {
        assert!(text.contains(&format!("snapshots: {counts}\n")), "{counts}: {text}");
    }
    let (code, text) = scimtest(&[&base[..], &["--snapshots", "check"]].concat(), true);
    assert_eq!(code, 0, "{text}");
    for counts in ["247 matched", "248 matched", "190 matched"] {
        assert!(text.contains(&format!("snapshots: {counts}\n")), "{counts}: {text}");
    }

    // A concurrent run records what the sequential check of the committed baseline expects.
    let mut recorded = Vec::new();
    snap_files(&dir.join("reference"), &mut recorded);
    for file in &recorded {
        let committed = reference_dir().join(file.strip_prefix(&dir).unwrap());
        let read = |p: &Path| insta::Snapshot::from_file(p).unwrap().as_text().unwrap().to_string();
        assert_eq!(read(file), read(&committed), "{}", file.display());
    }

    // Tamper with one stored answer: the run fails on drift alone, naming the field.
    let file = dir.join("reference/rfc/users/create_returns_201.snap");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"userName\": \"[run]-[scenario]-babs\"", "\"userName\": \"babs\"")).unwrap();
    let check = [&base[..], &["--snapshots", "check", "rfc::users::"]].concat();
    let (code, text) = scimtest(&check, true);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FAIL: 1 snapshot drifted (every MUST requirement holds)"), "{text}");
    assert!(text.contains("step 1 POST /Users: body.userName: \"babs\" → \"[run]-[scenario]-babs\""), "{text}");
    assert!(text.contains("CI is set, so nothing was written"), "{text}");
    assert!(!file.with_extension("snap.new").exists());
    // Outside CI the new answers wait in a .snap.new file for `cargo insta review`; update accepts them.
    let (code, text) = scimtest(&check, false);
    assert_eq!(code, 1, "{text}");
    assert!(file.with_extension("snap.new").exists() && text.contains("cargo insta review"), "{text}");
    let (code, text) = scimtest(&[&base[..], &["--snapshots", "update", "rfc::users::"]].concat(), false);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("1 written") && !file.with_extension("snap.new").exists(), "{text}");
    let (code, text) = scimtest(&check, true);
    assert_eq!(code, 0, "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn update_then_check_against_one_unchanged_server_drifts_nowhere() {
    // One server for both runs: the second run meets the first one's ids, versions and list order history.
    let rt = runtime();
    let token = "snapshot-drift-token";
    let server = rt
        .block_on(scimtest::server::spawn(ServerConfig {
            token: Some(token.into()),
            mode: ServerMode::Compat,
            ..ServerConfig::default()
        }))
        .unwrap();
    let dir = std::env::temp_dir().join(format!("scimtest-snapshots-same-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let url = server.base_url();
    let run = |mode: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
            .current_dir(std::env::temp_dir())
            .args(["run", "--url", &url, "--no-generated", "--profile", "rfc", "--profile", "okta"])
            .args(["--snapshots", mode, "--snapshot-dir", dir.to_str().unwrap(), "--target", "same"])
            .env("SCIM_TOKEN", token)
            .env("CI", "true")
            .env_remove("SCIM_SNAPSHOTS")
            .output()
            .unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let recorded = run("update");
    let written: usize = recorded
        .lines()
        .find_map(|l| l.trim().strip_prefix("snapshots: ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no snapshot counts: {recorded}"));
    assert!(written > 200, "{recorded}");
    let checked = run("check");
    assert!(checked.contains(&format!("snapshots: {written} matched\n")), "drift on an unchanged server:\n{checked}");
    rt.block_on(server.shutdown()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
