//! The generated checks: they pass against the reference server, and each filter- or PATCH-related
//! fault makes them fail with a counterexample shrunk to at most 3 comparisons or 2 operations.

use scimtest::runner::check;
use scimtest::runner::property::PropertyConfig;
use scimtest::runner::report::{Outcome, Record};
use scimtest::selftest::server_mode_for;
use scimtest::server::{Fault, ServerConfig};

use crate::util::{server_for_profile, server_with_run_config};

async fn properties(profile: &str, faults: &[Fault], filter_cases: u32, patch_cases: u32) -> Vec<Record> {
    let (server, mut config) = server_for_profile(profile, faults).await;
    config.suite_pattern = Some("properties".into());
    config.properties = Some(PropertyConfig { filter_cases, patch_cases, seed: 7, ..PropertyConfig::default() });
    let records = check(&config).await.unwrap();
    let seeded = server.state.config().seed_users;
    assert_eq!(server.state.counts(), (seeded, 0), "the generated checks left resources behind");
    server.shutdown().await.unwrap();
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_checks_pass_against_the_reference_server() {
    for profile in ["rfc", "entra"] {
        let records = properties(profile, &[], 1000, 500).await;
        assert_eq!(records.len(), 3, "{profile}: the filter, PATCH and group PATCH properties");
        for r in &records {
            assert!(matches!(r.outcome, Outcome::Passed), "{}: {:?}", r.name, r.outcome);
        }
    }
}

/// (fault, profile, property, the most the shrunk counterexample may hold)
const FAULTS: &[(Fault, &str, &str, usize)] = &[
    (Fault::CaseSensitiveUserName, "rfc", "filters", 3),
    (Fault::AndOrPrecedence, "rfc", "filters", 3),
    (Fault::NotIgnored, "rfc", "filters", 3),
    (Fault::HideInactiveUsers, "rfc", "filters", 3),
    (Fault::DateTimeAsString, "rfc", "filters", 3),
    (Fault::StrictFilterDialect, "entra", "filters", 3),
    (Fault::DropValuePathPatch, "rfc", "patch", 2),
    (Fault::PatchNotAtomic, "rfc", "patch", 2),
    (Fault::IgnorePathlessOps, "rfc", "patch", 2),
    (Fault::ExtensionNotInSchemas, "rfc", "patch", 2),
    (Fault::FilteredWriteNoTarget, "entra", "patch", 2),
    (Fault::StoreEmptyStrings, "entra", "patch", 2),
    (Fault::RemoveAllMembers, "entra", "groups", 2),
    (Fault::RemoveAllMembers, "jumpcloud", "groups", 2),
    (Fault::IgnoreEmptyMemberReplace, "okta", "groups", 2),
    (Fault::PatchNotAtomic, "rfc", "groups", 2),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_filter_or_patch_fault_fails_and_shrinks_small() {
    let mut problems = Vec::new();
    for &(fault, profile, what, most) in FAULTS {
        let records = properties(profile, &[fault], 400, 300).await;
        let record = records.iter().find(|r| r.scenario == what).expect("the property ran");
        let (Outcome::Failed(failure), Some(message)) = (&record.outcome, record.message()) else {
            problems.push(format!(
                "{}: {profile}::properties::{what} did not fail: {:?}",
                fault.name(),
                record.outcome
            ));
            continue;
        };
        assert!(failure.generated.is_some(), "a disagreement carries its minimal input: {message}");
        // "… ; 2 comparisons after shrinking)" or "… ; 1 operations after shrinking)"
        let size = message
            .split(" after shrinking")
            .next()
            .and_then(|head| head.rsplit(';').next())
            .and_then(|n| n.split_whitespace().next())
            .and_then(|n| n.parse::<usize>().ok());
        match size {
            Some(n) if n <= most => {}
            other => problems.push(format!("{}: shrunk to {other:?}, more than {most}:\n{message}", fault.name())),
        }
        assert!(
            message.contains("seed 0x7") && message.contains("minimal input:") && message.contains("curl"),
            "{message}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_group_property_runs_only_for_apps_that_provision_groups() {
    for (app, runs) in [("cloud-academy-entra", false), ("sigma-entra", true)] {
        let (server, mut config) =
            server_with_run_config(ServerConfig { mode: server_mode_for("entra"), ..ServerConfig::default() }).await;
        config.app = Some(app.into());
        config.suite_pattern = Some("properties".into());
        config.properties =
            Some(PropertyConfig { filter_cases: 20, patch_cases: 20, seed: 7, ..PropertyConfig::default() });
        let records = check(&config).await.unwrap();
        let groups = records.iter().find(|r| r.scenario == "groups").expect("the group property is listed");
        match (&groups.outcome, runs) {
            (Outcome::Passed, true) => {}
            (Outcome::Skipped(reason), false) => {
                assert!(reason.contains("does not provision groups"), "{app}: {reason}")
            }
            (other, _) => panic!("{app}: the group property ended {other:?}"),
        }
        server.shutdown().await.unwrap();
    }
}

/// Profiles of one run that judge a generated check alike (here Entra and Okta: the compat filter
/// dialect) share one run of it: both records carry the same verdict and counterexample, and say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_judging_alike_share_one_generated_check() {
    let (server, mut config) = server_for_profile("entra", &[Fault::StrictFilterDialect]).await;
    config.profiles = vec!["entra".into(), "okta".into()];
    config.suite_pattern = Some("properties".into());
    config.properties =
        Some(PropertyConfig { filter_cases: 400, patch_cases: 20, seed: 7, ..PropertyConfig::default() });
    let records = check(&config).await.unwrap();
    server.shutdown().await.unwrap();
    let failed = |name: &str| {
        let r = records.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("{name} ran"));
        match &r.outcome {
            Outcome::Failed(f) => f.generated.clone().unwrap_or_else(|| panic!("{name}: no counterexample")),
            other => panic!("{name} did not fail: {other:?}"),
        }
    };
    let (entra, okta) = (failed("entra::properties::filters"), failed("okta::properties::filters"));
    assert_eq!(entra.minimal_input, okta.minimal_input, "one run, one counterexample");
    assert!(entra.note.contains("judged once for entra, okta (the same filter dialect"), "{}", entra.note);
    // PATCH checks are judged by mode, and Entra's and Okta's differ: each ran on its own.
    for name in ["entra::properties::patch", "okta::properties::patch"] {
        let r = records.iter().find(|r| r.name == name).expect("ran");
        assert!(matches!(r.outcome, Outcome::Passed), "{name}: {:?}", r.outcome);
    }
}

/// Cases run `--concurrency` at a time, yet the verdict is the sequential one: the same seed gives the
/// same minimal counterexample at concurrency 1 and 4 (the first failing case in generation order is
/// the one shrunk).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cases_give_the_sequential_verdict() {
    for (fault, what) in [(Fault::CaseSensitiveUserName, "filters"), (Fault::PatchNotAtomic, "patch")] {
        let mut minimal = Vec::new();
        for concurrency in [1, 4] {
            let (server, mut config) = server_for_profile("rfc", &[fault]).await;
            config.concurrency = concurrency;
            config.suite_pattern = Some("properties".into());
            config.properties =
                Some(PropertyConfig { filter_cases: 300, patch_cases: 200, seed: 11, ..PropertyConfig::default() });
            let records = check(&config).await.unwrap();
            assert_eq!(server.state.counts(), (0, 0), "concurrent cases left resources behind");
            server.shutdown().await.unwrap();
            let record = records.iter().find(|r| r.scenario == what).expect("ran");
            let Outcome::Failed(failure) = &record.outcome else { panic!("{what}: {:?}", record.outcome) };
            let input = failure.generated.as_ref().expect("a counterexample").minimal_input.clone();
            // A PATCH case's user carries the run's own name prefix: compare the operations.
            let input = match serde_json::from_str::<serde_json::Value>(&input) {
                Ok(case) if what == "patch" => case[1].to_string(),
                _ => input,
            };
            minimal.push(input);
        }
        assert_eq!(minimal[0], minimal[1], "{what}: concurrency changed the counterexample");
    }
}
