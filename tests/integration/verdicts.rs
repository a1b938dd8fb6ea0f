//! Verdicts a vendor can trust (issue 12): against servers that reproduce what misled the harness on
//! real third-party servers, one deviation is one root cause, a setup failure blocks instead of failing,
//! what the server does not support is skipped with the reason, and leftovers are reported.

use scimtest::runner::report::{Outcome, Record, Summary};
use scimtest::runner::{RunConfig, check_and_clean};
use scimtest::server::{Fault, ServerConfig};
use scimtest::suite::Level;

use crate::util::server_for_profile;

async fn run(
    profile: &str,
    faults: &[Fault],
    tweak: impl FnOnce(&mut RunConfig),
) -> (Vec<Record>, Summary, Vec<String>) {
    let (server, mut config) = server_for_profile(profile, faults).await;
    tweak(&mut config);
    let (records, cleanup) = check_and_clean(&config).await.unwrap();
    server.shutdown().await.unwrap();
    let summary = Summary::of(&records);
    (records, summary, cleanup.still_listed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pagination_bug_that_fails_every_list_is_one_root_cause_named_first() {
    let (records, summary, _) = run("rfc", &[Fault::ItemsPerPageIsCount], |_| {}).await;
    let first = &summary.causes[0];
    assert!(first.title.contains("`itemsPerPage` is not the number of `Resources` returned"), "{:#?}", summary.causes);
    assert_eq!(first.level, Level::Must);
    let failing = records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_))).count();
    assert!(first.checks() >= 20, "the one bug touches many list checks: {}", first.checks());
    // Everything else it fails is the same bug seen through an explicit itemsPerPage expectation.
    let others: Vec<String> = summary.causes[1..].iter().map(|c| c.line()).collect();
    assert!(
        summary.causes[1..].iter().all(|c| c.title.contains("itemsPerPage")),
        "{failing} failing checks, other causes: {others:#?}"
    );
    assert!(summary.render_causes().contains("1. [MUST] ListResponse `itemsPerPage`"), "{}", summary.render_causes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_boolean_service_provider_config_fails_its_discovery_check_once_and_skips_nothing() {
    let (records, summary, _) = run("rfc", &[Fault::BareBooleanSpc], |_| {}).await;
    // (What only a token from a token endpoint can check is skipped with a static token, whatever the server.)
    let skipped: Vec<&str> = records
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Skipped(why) if !crate::oauth::needs_oauth(why)))
        .map(|r| r.name.as_str())
        .collect();
    assert!(skipped.is_empty(), "`\"patch\": true` still advertises PATCH: {skipped:?}");
    let failed: Vec<&str> =
        records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_))).map(|r| r.name.as_str()).collect();
    assert!(!failed.is_empty() && failed.iter().all(|n| n.starts_with("rfc::discovery::")), "{failed:?}");
    assert!(records.iter().any(|r| r.name.contains("patch") && r.outcome == Outcome::Passed));
    assert_eq!(summary.causes.len(), 1, "{:#?}", summary.causes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_soft_deletes_is_reported_as_leaving_resources_behind() {
    let (records, _, still_listed) = run("rfc", &[Fault::SoftDelete], |c| c.suite_pattern = Some("users".into())).await;
    assert!(!still_listed.is_empty(), "the soft-deleted users are still listed and the run says so");
    assert!(still_listed.iter().all(|p| p.starts_with("/Users/")), "{still_listed:?}");
    let omitted = records.iter().find(|r| r.requirement.text.contains("omits a deleted resource")).expect("the check");
    assert!(matches!(omitted.outcome, Outcome::Failed(_)), "{:?}", omitted.outcome);
    // The clean server leaves nothing listed.
    let (_, _, clean) = run("rfc", &[], |c| c.suite_pattern = Some("users".into())).await;
    assert!(clean.is_empty(), "{clean:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_server_does_not_declare_is_skipped_with_the_reason_and_fails_nothing() {
    let (records, summary, _) = run("rfc", &[Fault::MinimalUserSchema], |_| {}).await;
    assert!(summary.causes.is_empty(), "a legitimate schema, yet: {:#?}", summary.causes);
    let reasons: Vec<&str> = records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Skipped(reason) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert!(reasons.iter().any(|r| r.contains("declares no `nickName`")), "{reasons:#?}");
    assert!(reasons.iter().any(|r| r.contains("enterprise extension")), "{reasons:#?}");
    // An identity provider sends what it sends: Entra's enterprise attributes are refused, a finding.
    let (_, entra, _) = run("entra", &[Fault::MinimalUserSchema], |_| {}).await;
    assert!(!entra.passes(), "Entra's requests carry the enterprise extension the server refuses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_the_server_refuses_blocks_the_scenarios_that_need_it_under_one_root_cause() {
    // Entra's group creates carry Microsoft's schema URN; a server that refuses it cannot rename, fill or
    // delete a group either: one cause, the rest blocked by it.
    let (records, summary, _) = run("entra", &[Fault::RejectUnknownSchemaUrn], |_| {}).await;
    let cause = summary.causes.iter().find(|c| c.title.starts_with("POST /Groups")).expect("the create is the cause");
    assert!(cause.blocked.len() >= 3, "{cause:#?}");
    for name in &cause.blocked {
        let r = records.iter().find(|r| &r.name == name).unwrap();
        assert!(matches!(r.outcome, Outcome::Blocked(_)), "{name}: {:?}", r.outcome);
    }
    assert!(!summary.passes(), "blocked MUST checks keep the verdict from passing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_gets_a_verdict_at_the_deadline_with_what_was_not_run() {
    let server = crate::util::Instrumented::start(
        ServerConfig { token: Some("slow-token".into()), ..ServerConfig::default() },
        std::time::Duration::from_millis(700),
    )
    .await;
    let mut client = scimtest::client::ClientConfig::new(&server.base_url);
    client.credential = scimtest::client::Credential::Bearer("slow-token".into());
    let mut config = RunConfig::new(client);
    config.max_time = Some(std::time::Duration::from_secs(3));
    config.properties = Some(scimtest::runner::property::PropertyConfig::default());
    let started = std::time::Instant::now();
    let (records, cleanup) = check_and_clean(&config).await.unwrap();
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(40), "the run ended {took:?} after it started");
    let summary = Summary::of(&records);
    let late = summary.causes.iter().find(|c| c.title.contains("--max-time (3 s)")).expect("the deadline is a cause");
    assert!(late.blocked.len() > 100, "most checks were not run: {}", late.line());
    assert!(records.iter().any(|r| r.outcome == Outcome::Passed), "the checks before the deadline ran");
    assert!(!summary.passes(), "a run that did not get through its MUST checks does not pass");
    assert!(cleanup.still_listed.is_empty() && cleanup.failed.is_empty(), "{cleanup:?}");
    assert_eq!(server.state.counts(), (0, 0), "what it created is deleted");
}

/// Per-IdP readiness against the bundled server with one IdP-specific bug: Entra's group create carries
/// Microsoft's schema URN, which this server rejects, so Entra is NOT READY blocked by that root cause,
/// while Okta (whose group push does not send it) is READY — and the Markdown summary says the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idp_specific_bug_makes_that_idp_not_ready_and_the_other_ready() {
    use scimtest::runner::report::{StepState, readiness, to_markdown};
    let (server, mut config) = server_for_profile("entra", &[Fault::RejectUnknownSchemaUrn]).await;
    config.profiles = vec!["entra".into(), "okta".into()];
    let idps = scimtest::runner::planned_idps(&config).unwrap();
    let names: Vec<(&str, &str)> = idps.iter().map(|i| (i.name.as_str(), i.display_name.as_str())).collect();
    assert_eq!(names, [("entra", "Microsoft Entra ID"), ("okta", "Okta")]);
    let (records, _) = check_and_clean(&config).await.unwrap();
    server.shutdown().await.unwrap();
    let mut summary = Summary::of(&records);
    summary.readiness = readiness(&records, &summary.causes, &idps);
    let (entra, okta) = (&summary.readiness[0], &summary.readiness[1]);
    assert!(okta.ready(), "{}", okta.line(&summary.causes));
    assert!(okta.line(&summary.causes).starts_with("Okta (okta): READY — "), "{}", okta.line(&summary.causes));
    assert!(!entra.ready());
    let line = entra.line(&summary.causes);
    assert!(line.starts_with("Microsoft Entra ID (entra): NOT READY — "), "{line}");
    assert!(line.contains("blocked by: POST /Groups: answers 400 where 201 is expected"), "{line}");
    let create = entra.steps.iter().find(|s| s.title == "create group").expect("the create group step");
    assert_eq!(create.state, StepState::Fails, "{create:?}");
    // Lifecycle order: users before groups, Test Connection first.
    let titles: Vec<&str> = entra.steps.iter().map(|s| s.title.as_str()).collect();
    let at = |t: &str| titles.iter().position(|x| *x == t).unwrap_or_else(|| panic!("{t} in {titles:?}"));
    assert!(at("Test Connection") < at("create user") && at("create user") < at("create group"), "{titles:?}");
    // Every check of the profile is in one step.
    let checks: usize = entra.steps.iter().map(|s| s.checks.len()).sum();
    assert_eq!(checks, records.iter().filter(|r| r.name.starts_with("entra::")).count());
    let md = to_markdown(
        &scimtest::runner::report::RunMeta {
            target: "http://127.0.0.1/scim/v2".into(),
            profile: "entra, okta".into(),
            run_prefix: "p".into(),
            duration: std::time::Duration::ZERO,
            cleanup: Default::default(),
            timings: Vec::new(),
            notes: Vec::new(),
        },
        &summary,
    );
    assert!(md.contains("| Microsoft Entra ID (`entra`) | ❌ NOT READY |"), "{md}");
    assert!(md.contains("| Okta (`okta`) | ✅ READY |"), "{md}");
}
