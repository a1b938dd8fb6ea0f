//! Conflicts between RFC 7644 and an identity provider (idp-behaviour.md §8, issue 14): the bundled server
//! in compat mode answers the `rfc` profile's checks on a tension the way Entra needs, and each such check
//! is a conflict resolved in Entra's favour, not a MUST failure; in strict mode there is none; an answer
//! that matches neither side still fails the MUST.

use scimtest::runner::check;
use scimtest::runner::property::PropertyConfig;
use scimtest::runner::report::{Cleanup, Outcome, Record, RunMeta, Summary, to_json, to_junit, to_markdown};
use scimtest::server::{Fault, ServerConfig, ServerMode};
use scimtest::suite::{Level, Side};

use crate::util::server_with_run_config;

/// The rfc profile (its suites whose name holds `suites`, when given) against the bundled server in `mode`
/// with `faults`.
async fn rfc(mode: ServerMode, faults: &[Fault], suites: Option<&str>) -> Vec<Record> {
    rfc_with(mode, faults, suites, None).await
}

/// [`rfc`], with the generated checks when `properties` is given.
async fn rfc_with(
    mode: ServerMode,
    faults: &[Fault],
    suites: Option<&str>,
    properties: Option<PropertyConfig>,
) -> Vec<Record> {
    let (server, mut config) = server_with_run_config(ServerConfig {
        mode,
        faults: faults.iter().copied().collect(),
        ..ServerConfig::default()
    })
    .await;
    config.profiles = vec!["rfc".into()];
    config.suite_pattern = suites.map(String::from);
    config.properties = properties;
    let records = check(&config).await.expect("the rfc profile runs");
    server.shutdown().await.expect("server stops");
    records
}

fn meta() -> RunMeta {
    RunMeta {
        target: "http://127.0.0.1/v2".into(),
        profile: "rfc".into(),
        run_prefix: "scimtest-x".into(),
        duration: std::time::Duration::ZERO,
        cleanup: Cleanup::default(),
        timings: Vec::new(),
        notes: Vec::new(),
    }
}

/// The MUST checks that failed or were blocked, with their messages.
fn failing(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter(|r| r.requirement.level == Level::Must && matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_)))
        .map(|r| format!("---- {}\n{}", r.name, r.message().unwrap_or_default()))
        .collect()
}

/// The conflicts of a run: (check, tension id).
fn conflicts(summary: &Summary) -> Vec<(String, String)> {
    summary.conflicts.iter().map(|c| (c.check.clone(), c.tension.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compat_mode_passes_the_rfc_profile_with_its_deviations_listed_as_conflicts() {
    // With the generated checks, as `scimtest run` has them.
    let records = rfc_with(ServerMode::Compat, &[], None, Some(PropertyConfig::default())).await;
    let failures = failing(&records);
    assert!(failures.is_empty(), "compat mode fails the rfc profile:\n{}", failures.join("\n"));
    let summary = Summary::of(&records);
    assert!(summary.passes(), "{}", summary.verdict());
    // Exactly where compat mode deviates from RFC 7644 in Entra's direction: a filtered write with no match
    // creates the entry (§8.2, E-Q22), and the generated PATCH requests meet that and `""` unassigning
    // (E-Q21).
    let pair = |c: &str, t: &str| (c.to_string(), t.to_string());
    assert_eq!(
        conflicts(&summary),
        [
            pair("rfc::patch::replace_filter_without_match_is_no_target", "8.2"),
            pair("rfc::properties::patch", "8.2"),
            pair("rfc::properties::patch", "E-Q21"),
        ]
    );
    assert_eq!(summary.conflicted(Level::Must), 2, "two checks, three conflicts");
    let c = &summary.conflicts[0];
    let favoured: Vec<&str> = c.favoured().iter().map(|s| s.profile.as_str()).collect();
    assert_eq!(favoured, ["entra", "entra-compliant"]);
    let okta = c.stances.iter().find(|s| s.profile == "okta").expect("okta's stance");
    assert_eq!(okta.side, Some(Side::NotSent));
    let sentence = c.sentence();
    for part in [
        "your server creates the typed entry, as Microsoft Entra ID and ",
        "(Entra E-Q22); RFC 7644 §3.5.2.3 says 400 noTarget",
        "Okta never sends this",
    ] {
        assert!(sentence.contains(part), "`{part}` missing from: {sentence}");
    }
    // The RFC check's failure is kept as the evidence: it expected 400 and saw the IdP side's answer.
    assert!(c.evidence.problems.iter().any(|p| p.expected.contains("400")), "{:#?}", c.evidence.problems);

    // Every writer shows it.
    let console = summary.render(&meta());
    assert!(console.contains("conflicts between the RFC and an identity provider"), "{console}");
    assert!(console.contains(&sentence), "{console}");
    assert!(console.contains("verdict: PASS: every MUST requirement holds, 3 as conflicts resolved"), "{console}");
    let json = to_json(&meta(), &summary, &records);
    assert_eq!(json["verdict"], "pass");
    assert_eq!(json["conflicts"].as_array().map(Vec::len), Some(3), "{}", json["conflicts"]);
    assert_eq!(json["conflicts"][0]["tension"], "8.2");
    assert_eq!(json["conflicts"][0]["rfc"]["source"], "RFC 7644 §3.5.2.3");
    assert_eq!(json["conflicts"][0]["idp"]["source"], "Entra E-Q22");
    assert_eq!(json["summary"]["MUST"]["conflicts"], 2);
    let result = json["results"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == c.check.as_str()))
        .expect("the check's result");
    assert_eq!(result["status"], "conflict");
    assert_eq!(result["conflicts"][0]["sentence"], sentence.as_str());
    let markdown = to_markdown(&meta(), &summary);
    assert!(markdown.contains("### Conflicts resolved in an identity provider's favour"), "{markdown}");
    assert!(markdown.contains("`rfc::patch::replace_filter_without_match_is_no_target`"), "{markdown}");
    let junit = to_junit(&meta(), &summary, &records);
    assert!(junit.contains("name=\"conflict\" value=\"§8.2 filtered add/replace"), "{junit}");
    let case = junit
        .split("<testcase ")
        .find(|c| c.starts_with("name=\"replace_filter_without_match_is_no_target\""))
        .expect("the check's testcase");
    let case = case.split("</testcase>").next().unwrap_or_default();
    assert!(case.contains("name=\"conflict\"") && !case.contains("<failure"), "a passing case: {case}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_mode_passes_the_rfc_profile_without_a_conflict() {
    let records = rfc_with(ServerMode::Strict, &[], None, Some(PropertyConfig::default())).await;
    let failures = failing(&records);
    assert!(failures.is_empty(), "strict mode fails the rfc profile:\n{}", failures.join("\n"));
    let summary = Summary::of(&records);
    assert!(summary.passes() && summary.conflicts.is_empty(), "{:?}", conflicts(&summary));
    let check = records.iter().find(|r| r.scenario == "replace_filter_without_match_is_no_target").expect("ran");
    assert_eq!(check.outcome, Outcome::Passed);
    assert!(!summary.render(&meta()).contains("conflicts between"));
    assert_eq!(to_json(&meta(), &summary, &records)["conflicts"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_matches_neither_side_still_fails_the_must() {
    // The filtered replace is answered 200 and dropped: not the RFC's 400 noTarget, and no entry created.
    let records = rfc(ServerMode::Compat, &[Fault::DropValuePathPatch], Some("patch")).await;
    let check = records.iter().find(|r| r.scenario == "replace_filter_without_match_is_no_target").expect("ran");
    let Outcome::Failed(failure) = &check.outcome else { panic!("expected a MUST failure: {:#?}", check.outcome) };
    assert_eq!(check.requirement.level, Level::Must);
    // The failure is the RFC check's own, at the step on the tension.
    assert!(failure.step.label.contains("`patch`"), "{}", failure.step.label);
    assert!(failure.problems.iter().any(|p| p.expected.contains("400")), "{:#?}", failure.problems);
    let summary = Summary::of(&records);
    assert!(!summary.passes());
    assert!(summary.conflicts.iter().all(|c| c.check != check.name), "{:?}", conflicts(&summary));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rfc_answer_in_compat_mode_is_no_conflict() {
    // A compat server that answers noTarget here (the Entra-breaking fault) is right by the RFC.
    let records = rfc(ServerMode::Compat, &[Fault::FilteredWriteNoTarget], Some("patch")).await;
    let summary = Summary::of(&records);
    assert!(summary.passes() && summary.conflicts.is_empty(), "{:?}", conflicts(&summary));
}
