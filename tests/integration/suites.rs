//! The suites against the bundled reference server: on the correct server every scenario passes; the seed
//! apps pass on the compat server; strict mode breaks the IdPs exactly where listed. (Each fault against
//! every suite: `mutation.rs`.)

use scimtest::runner::check;
use scimtest::runner::report::{Outcome, Record};
use scimtest::server::{Fault, ServerConfig};

use scimtest::selftest::BundledAuth;

use crate::util::{server_for_profile, server_for_profile_with, server_with_run_config};

/// Every profile under suites/profiles/, each against a server in the mode it is judged in: rfc against
/// the strict server, every identity-provider profile in one run against one compat server (as selftest
/// runs them).
pub async fn run_against(faults: &[Fault]) -> Vec<Record> {
    run_against_with(faults, &BundledAuth::Bearer).await
}

/// [`run_against`], the harness authenticating `auth`'s way.
pub async fn run_against_with(faults: &[Fault], auth: &BundledAuth) -> Vec<Record> {
    let (rfc, idps) = (vec!["rfc".to_string()], crate::util::every_idp_profile());
    let (rfc, idps) = tokio::join!(run_profiles(&rfc, faults, auth), run_profiles(&idps, faults, auth));
    rfc.into_iter().chain(idps).collect()
}

/// Profiles judged alike (scimtest::selftest::server_mode_for) against one fresh server in their mode.
async fn run_profiles(profiles: &[String], faults: &[Fault], auth: &BundledAuth) -> Vec<Record> {
    let (server, mut config) = server_for_profile_with(&profiles[0], faults, auth).await;
    config.profiles = profiles.to_vec();
    let records = check(&config).await.unwrap_or_else(|e| panic!("the profiles {profiles:?} load and run: {e}"));
    server.shutdown().await.expect("server stops");
    records
}

fn failed(records: &[Record]) -> Vec<&Record> {
    records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suite_passes_against_the_reference_server() {
    let records = run_against(&[]).await;
    assert!(records.len() >= 100, "only {} scenarios ran", records.len());
    let failures: Vec<String> =
        failed(&records).iter().map(|r| format!("---- {}\n{}", r.name, r.message().unwrap_or_default())).collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios fail against the reference server:\n{}",
        failures.len(),
        records.len(),
        failures.join("\n")
    );
    // With a static token, only the checks that need a token from a token endpoint are skipped (oauth.rs
    // runs them); the reference server supports every feature.
    let skipped: Vec<String> = records
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Skipped(why) if !crate::oauth::needs_oauth(why)))
        .map(|r| format!("{}: {}", r.name, r.message().unwrap_or_default()))
        .collect();
    assert!(skipped.is_empty(), "the reference server supports every feature, yet these were skipped: {skipped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_seed_app_passes_against_the_compat_server() {
    let apps: Vec<String> = scimtest::bundle::Source::suites()
        .list("apps", "toml")
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    assert!(apps.len() >= 4, "the four seed apps ship in suites/apps: {apps:?}");
    for app in apps {
        let seed_users = scimtest::selftest::seed_users_for(scimtest::server::ServerMode::Compat);
        let (server, mut config) = server_with_run_config(ServerConfig { seed_users, ..ServerConfig::default() }).await;
        config.app = Some(app.clone());
        let records = check(&config).await.unwrap_or_else(|e| panic!("app {app}: {e}"));
        let generated = records.iter().filter(|r| r.name.starts_with(&format!("{app}::attributes::"))).count();
        assert!(generated >= 3, "app {app}: only {generated} checks from its attribute table");
        let failures: Vec<String> = failed(&records).iter().map(|r| r.name.clone()).collect();
        assert!(failures.is_empty(), "app {app} fails against the compat server: {failures:?}");
        server.shutdown().await.unwrap();
    }
}

/// The IdP profiles against the strict server fail exactly where RFC-only behaviour breaks those IdPs
/// (the list in fixtures/strict-breaks-idps.txt), and nowhere else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_mode_breaks_the_idps_exactly_where_expected() {
    let listed = scimtest::bundle::Source::fixtures().read("strict-breaks-idps.txt").unwrap();
    let expected: std::collections::BTreeSet<&str> =
        listed.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    // Seeded as an IdP's tenant is (O-Q24), so only RFC-only behaviour tells.
    let (server, mut config) = server_with_run_config(ServerConfig {
        mode: scimtest::server::ServerMode::Strict,
        seed_users: scimtest::selftest::seed_users_for(scimtest::server::ServerMode::Compat),
        ..ServerConfig::default()
    })
    .await;
    config.profiles = crate::util::every_idp_profile();
    let records = check(&config).await.unwrap();
    server.shutdown().await.unwrap();
    let actual: std::collections::BTreeSet<&str> = failed(&records).iter().map(|r| r.name.as_str()).collect();
    let unexpected: Vec<&&str> = actual.difference(&expected).collect();
    let missing: Vec<&&str> = expected.difference(&actual).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "strict mode fails these IdP scenarios it should not: {unexpected:?}\nand no longer fails these: {missing:?}"
    );
    assert!(expected.len() >= 10, "strict mode must break the IdPs somewhere");
}

/// The example app's own extension (suites/apps/example-custom-extension.toml): checked (create, read back,
/// filter, update as Entra sends them) when the server declares it, skipped with the reason when it does
/// not, and failed where a server that declares it does not store an attribute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apps_own_extension_is_checked_when_the_server_declares_it() {
    const APP: &str = "example-custom-extension";
    let app = scimtest::suite::load_app(&scimtest::bundle::Source::suites(), APP).unwrap();
    let documents: Vec<serde_json::Value> = app.extensions.iter().map(|e| e.document.clone()).collect();
    assert_eq!(documents.len(), 1);
    let run = |user_extensions: Vec<serde_json::Value>| async move {
        let (server, mut config) =
            server_with_run_config(ServerConfig { user_extensions, ..ServerConfig::default() }).await;
        config.app = Some(APP.into());
        config.suite_pattern = Some("attributes".into());
        let records = check(&config).await.unwrap();
        server.shutdown().await.unwrap();
        records.into_iter().filter(|r| r.name.starts_with(&format!("{APP}::attributes::"))).collect::<Vec<Record>>()
    };
    let own = ["create_and_read_back_acmeuser", "find_by_billingcode", "update_billingcode", "update_badge_number"];
    let named = |records: &[Record], f: fn(&Outcome) -> bool| -> Vec<String> {
        records.iter().filter(|r| f(&r.outcome)).map(|r| r.scenario.clone()).collect()
    };

    // Declared and stored: every generated check passes, the extension's included.
    let records = run(documents.clone()).await;
    let passed = named(&records, |o| matches!(o, Outcome::Passed));
    assert_eq!(passed.len(), records.len(), "{records:#?}");
    for name in own {
        assert!(passed.iter().any(|p| p == name), "{name} did not run: {passed:?}");
    }

    // Not declared: the extension's checks are skipped with the reason, the rest pass.
    let records = run(Vec::new()).await;
    let skipped: Vec<(&str, String)> = records
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Skipped(reason) => Some((r.scenario.as_str(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.iter().map(|(n, _)| *n).collect::<Vec<_>>(), own, "{records:#?}");
    assert!(
        skipped
            .iter()
            .all(|(_, why)| why.contains("does not declare urn:ietf:params:scim:schemas:extension:acme:2.0:User")
                && why.contains("declare the extension in /Schemas")),
        "{skipped:?}"
    );
    assert!(failed(&records).is_empty(), "{records:#?}");

    // Declared, but billingCode is readOnly on the server, so a create or PATCH never stores it: exactly the
    // checks about billingCode fail.
    let mut dropping = documents[0].clone();
    dropping["attributes"][0]["mutability"] = serde_json::json!("readOnly");
    let records = run(vec![dropping]).await;
    let failing: Vec<&str> = failed(&records).iter().map(|r| r.scenario.as_str()).collect();
    assert_eq!(failing, ["create_and_read_back_acmeuser", "find_by_billingcode", "update_billingcode"], "{records:#?}");
    let read_back = records.iter().find(|r| r.scenario == "create_and_read_back_acmeuser").unwrap();
    assert!(read_back.message().unwrap_or_default().contains("billingCode"), "{:?}", read_back.message());
}

/// Okta Identity Governance's scenarios (suites/okta/governance.toml) run when the server publishes its
/// catalogues as resource types, and are skipped with the reason, failing nothing, when it publishes none:
/// OIG reads /ResourceTypes first, so it would discover nothing to list or assign.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn governance_is_checked_only_when_the_server_publishes_its_resource_types() {
    let run = |governance: bool| async move {
        let (server, mut config) = server_with_run_config(ServerConfig { governance, ..ServerConfig::default() }).await;
        config.profiles = vec!["okta".into()];
        config.suite_pattern = Some("governance".into());
        let records = check(&config).await.unwrap();
        server.shutdown().await.unwrap();
        records
    };
    let published = run(true).await;
    assert!(published.len() >= 5, "{published:#?}");
    let not_passed: Vec<&str> =
        published.iter().filter(|r| !matches!(r.outcome, Outcome::Passed)).map(|r| r.name.as_str()).collect();
    assert!(not_passed.is_empty(), "{not_passed:?}\n{published:#?}");

    let none = run(false).await;
    assert_eq!(none.len(), published.len());
    assert!(failed(&none).is_empty(), "{none:#?}");
    for r in &none {
        let Outcome::Skipped(why) = &r.outcome else { panic!("{} ran without the catalogues: {r:#?}", r.name) };
        let urn = if r.scenario.contains("role") {
            "urn:okta:scim:schemas:core:1.0:Role"
        } else {
            "urn:okta:scim:schemas:core:1.0:Entitlement"
        };
        assert!(why.contains(urn) && why.contains("/ResourceTypes"), "{}: {why}", r.name);
    }
}

/// The vendor-style example in the compact format (docs/examples/vendor-suite: a profile, a fragment with a
/// parameter, suite defaults, one-line assertions) loads with `--suite-dir` and passes on the reference server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compact_vendor_example_runs_against_the_reference_server() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/vendor-suite");
    let (server, mut config) = server_for_profile("rfc", &[]).await;
    config.suites = scimtest::bundle::Source::Dir(dir);
    config.profiles = vec!["acme".into()];
    let records = check(&config).await.unwrap_or_else(|e| panic!("the example loads and runs: {e}"));
    server.shutdown().await.expect("server stops");
    let ours: Vec<&Record> = records.iter().filter(|r| r.name.starts_with("acme::users::")).collect();
    assert_eq!(ours.len(), 1, "{:?}", records.iter().map(|r| &r.name).collect::<Vec<_>>());
    assert!(matches!(ours[0].outcome, Outcome::Passed), "{}: {}", ours[0].name, ours[0].message().unwrap_or_default());
}

/// The same example with one assertion misspelled (`=` for `==`) does not load: the message points at the
/// file, line and column of the operator and names the fix; nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_example_with_a_misspelled_assertion_fails_to_load_with_a_pointed_message() {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/vendor-suite");
    let dir = std::env::temp_dir().join(format!("scimtest-vendor-typo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["profiles", "fragments", "acme"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
        for f in std::fs::read_dir(source.join(sub)).unwrap().flatten() {
            std::fs::copy(f.path(), dir.join(sub).join(f.file_name())).unwrap();
        }
    }
    let suite = dir.join("acme/users.toml");
    let text = std::fs::read_to_string(&suite).unwrap();
    let typo = text.replacen("'active == false'", "'active = false'", 1);
    assert_ne!(text, typo);
    std::fs::write(&suite, &typo).unwrap();
    // The operator's line and column in the edited file.
    let (line, column) = typo
        .lines()
        .enumerate()
        .find_map(|(n, l)| l.find("'active = false'").map(|c| (n + 1, l[..c].chars().count() + 1 + "'active ".len())))
        .unwrap();
    let (server, mut config) = server_for_profile("rfc", &[]).await;
    config.suites = scimtest::bundle::Source::Dir(dir.clone());
    config.profiles = vec!["acme".into()];
    let error = check(&config).await.map(|_| ()).expect_err("a misspelled assertion must not load");
    server.shutdown().await.expect("server stops");
    std::fs::remove_dir_all(&dir).unwrap();
    let at = format!("acme/users.toml:{line}:{column}: unknown operator `=` — did you mean `==`?");
    assert!(error.to_string().contains(&at), "expected `{at}` in:\n{error}");
    assert!(error.to_string().contains("fix: use one of =="), "{error}");
}
