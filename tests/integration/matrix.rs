//! `--profile all` and the readiness matrix: `all` stands for every profile; against the strict server the
//! IdP columns fail exactly where fixtures/strict-breaks-idps.txt says; one Entra-breaking fault makes the
//! Entra column NOT READY, naming its root cause, while the other identity providers stay READY.

use std::collections::BTreeSet;
use std::process::Command;

use scimtest::bundle::Source;
use scimtest::runner::report::{self, CellState, ColumnVerdict, Matrix, Record, RootCause};
use scimtest::runner::{RunConfig, check, expand_profiles, planned_idps};
use scimtest::server::{Fault, ServerConfig, ServerMode};
use scimtest::suite::Level;

use crate::util::server_with_run_config;

/// `--profile all` against a reference server in `mode` with `faults`: the records, root causes and matrix.
async fn all_profiles_against(mode: ServerMode, faults: &[Fault]) -> (Vec<Record>, Vec<RootCause>, Matrix) {
    let (server, mut config): (_, RunConfig) = server_with_run_config(ServerConfig {
        mode,
        faults: faults.iter().copied().collect(),
        // The IdP columns run against a tenant holding a user, as selftest's compat server does (O-Q24).
        seed_users: scimtest::selftest::seed_users_for(ServerMode::Compat),
        ..Default::default()
    })
    .await;
    config.profiles = vec!["all".into()];
    let records = check(&config).await.expect("every profile loads and runs");
    server.shutdown().await.expect("server stops");
    let causes = report::root_causes(&records);
    let readiness = report::readiness(&records, &causes, &planned_idps(&config).expect("the profiles load"));
    let profiles = expand_profiles(&config.suites, &config.profiles).expect("all expands");
    let matrix = report::matrix(&records, &causes, &readiness, &profiles);
    (records, causes, matrix)
}

/// The checks failing (or blocked) in each column of the matrix, by profile.
fn failing_by_column(matrix: &Matrix) -> Vec<(String, BTreeSet<String>)> {
    matrix
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let failing = matrix.rows.iter().filter_map(|r| r.cells[i].as_ref()).flat_map(|c| c.failing.clone());
            (c.profile.clone(), failing.collect())
        })
        .collect()
}

#[test]
fn profile_all_stands_for_every_profile_rfc_first_and_mixed_with_names_is_a_mistake() {
    let suites = Source::suites();
    let mut every = scimtest::suite::available(&suites, "profiles");
    assert!(every.len() >= 5, "{every:?}");
    let all = expand_profiles(&suites, &["all".to_string()]).expect("all expands");
    assert_eq!(all[0], "rfc");
    assert_eq!(all[1..].to_vec(), every.iter().filter(|p| *p != "rfc").cloned().collect::<Vec<_>>(), "then by name");
    every.sort();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(sorted, every, "every profile, once");
    let names = ["okta".to_string(), "rfc".to_string()];
    assert_eq!(expand_profiles(&suites, &names).expect("names stay"), names, "a list is kept as given");

    // Through the binary: `--list` plans every profile's checks; `all` with a name is one error with a fix.
    let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .args(["run", "--profile", "all", "--list", "--no-generated"])
        .output()
        .expect("scimtest runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8_lossy(&out.stdout);
    for profile in &all {
        assert!(listed.lines().any(|l| l.starts_with(&format!("{profile}::"))), "{profile} missing from:\n{listed}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .args(["run", "--profile", "all,okta", "--list"])
        .output()
        .expect("scimtest runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--profile all already runs every profile") && stderr.contains("fix: "), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_scimtest"))
        .args(["run", "--profile", "rfc,entr", "--list"])
        .output()
        .expect("scimtest runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("entra"), "an unknown name still gets its did-you-mean: {stderr}");
}

/// Strict mode: each IdP column fails exactly at the checks fixtures/strict-breaks-idps.txt lists for
/// that profile (and is NOT READY where it lists any); the RFC column passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_mode_fails_the_idp_columns_exactly_where_the_fixture_says() {
    let listed = Source::fixtures().read("strict-breaks-idps.txt").unwrap();
    let expected: BTreeSet<&str> =
        listed.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let (records, _, matrix) = all_profiles_against(ServerMode::Strict, &[]).await;
    let must = |name: &str| records.iter().any(|r| r.name == name && r.requirement.level == Level::Must);
    let columns: Vec<&str> = matrix.columns.iter().map(|c| c.profile.as_str()).collect();
    assert_eq!(columns, crate::util::every_profile());
    for ((profile, failing), column) in failing_by_column(&matrix).into_iter().zip(&matrix.columns) {
        let want: BTreeSet<String> =
            expected.iter().filter(|n| n.starts_with(&format!("{profile}::"))).map(|n| n.to_string()).collect();
        assert_eq!(failing, want, "column {profile}: failing checks against the strict server");
        // A listed MUST check makes the column NOT READY; listed SHOULD checks only mark their cells.
        let breaks = want.iter().any(|n| must(n));
        let verdict = if breaks { ColumnVerdict::NotReady } else { ColumnVerdict::Ready };
        assert_eq!(column.verdict, verdict, "column {profile}");
        assert_eq!(column.blocked_by.is_empty(), !breaks, "column {profile}");
    }
    let column = |p: &str| matrix.columns.iter().find(|c| c.profile == p).unwrap_or_else(|| panic!("{p} column"));
    assert_eq!(column("rfc").verdict_label(), "PASS");
    assert_eq!(column("entra").verdict_label(), "NOT READY");
    // The rows show where: every listed check sits in a failed or blocked cell of its column.
    for name in &expected {
        let column = matrix.columns.iter().position(|c| name.starts_with(&format!("{}::", c.profile))).unwrap();
        let cell =
            matrix.rows.iter().find_map(|r| r.cells[column].as_ref().filter(|c| c.checks.iter().any(|n| n == name)));
        let cell = cell.unwrap_or_else(|| panic!("{name} is in no cell"));
        let marked = match cell.state {
            CellState::Failed | CellState::Blocked => true,
            CellState::Passed => cell.should_fails && !must(name),
            CellState::Skipped => false,
        };
        assert!(marked && cell.failing.iter().any(|n| n == name), "{name}: {cell:?}");
        assert!(cell.root_cause.is_some() && cell.reason.is_some(), "{name}: {cell:?}");
    }
    let text = matrix.render();
    assert!(text.lines().all(|l| l.chars().count() <= 120), "{text}");
    assert!(text.lines().any(|l| l.trim_start().starts_with("verdict") && l.contains("NOT READY")), "{text}");
}

/// One fault that breaks Entra's default job only (string booleans refused): the Entra column is NOT READY
/// and names the root cause of the checks it fails; the other identity providers stay READY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_entra_breaking_fault_makes_only_the_entra_column_not_ready_naming_its_root_cause() {
    let (records, causes, matrix) = all_profiles_against(ServerMode::Compat, &[Fault::RejectStringBooleans]).await;
    let column = |p: &str| matrix.columns.iter().find(|c| c.profile == p).unwrap_or_else(|| panic!("{p} column"));
    let entra = column("entra");
    assert_eq!(entra.verdict, ColumnVerdict::NotReady);
    assert!(!entra.blocked_by.is_empty());
    // The named cause is the string booleans': its checks are Entra's, and the deactivation with "False" is one.
    for id in &entra.blocked_by {
        let cause = causes.iter().find(|c| c.id == *id).expect("a named cause exists");
        assert!(cause.failed.iter().chain(&cause.blocked).all(|n| n.starts_with("entra::")), "{cause:?}");
    }
    let named: Vec<&str> = entra
        .blocked_by
        .iter()
        .filter_map(|id| causes.iter().find(|c| c.id == *id))
        .flat_map(|c| c.failed.iter().map(String::as_str))
        .collect();
    assert!(named.contains(&"entra::tolerances::string_booleans_deactivate"), "{named:?}");
    let idps = crate::util::every_idp_profile();
    for p in idps.iter().filter(|p| *p != "entra") {
        assert_eq!(column(p).verdict, ColumnVerdict::Ready, "{p}: {:?}", column(p).blocked_by);
    }
    // The RFC column is not blocked by Entra's cause (in compat mode it may fail for its own reasons).
    assert!(column("rfc").blocked_by.iter().all(|id| !entra.blocked_by.contains(id)));
    assert!(records.iter().any(|r| r.name.starts_with("okta::")), "okta ran");
    let text = matrix.render();
    // Over every table of a matrix wider than the console: one NOT READY, and READY for each other IdP.
    let verdicts: String = text.lines().filter(|l| l.trim_start().starts_with("verdict")).collect();
    assert!(verdicts.matches("NOT READY").count() == 1 && verdicts.matches("READY").count() == idps.len(), "{text}");
    let md = matrix.to_markdown();
    assert!(
        md.contains(&format!("❌ NOT READY (root cause{} ", if entra.blocked_by.len() == 1 { "" } else { "s" })),
        "{md}"
    );
}
