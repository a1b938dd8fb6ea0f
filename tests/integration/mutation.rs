//! The mutation matrix: every suite of every profile against the bundled server, once clean and once per
//! deliberate fault (`scimtest serve --list-faults`). The clean server fails nothing; each fault is caught
//! by at least one MUST or SHOULD check. The table (fault → the checks that failed) is printed and
//! written to `target/tmp/mutation-matrix.md`:
//!
//! ```sh
//! cargo test --test integration mutation -- --nocapture
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use scimtest::runner::report::{Outcome, Record};
use scimtest::server::Fault;
use scimtest::suite::Level;

use scimtest::selftest::{BundledAuth, OAuthFlow};

use crate::suites::{run_against, run_against_with};

/// Faults caught by a MAY check only, each with why that is enough: the check the fault proves is
/// optional in the identity provider's own suite.
const CAUGHT_AT_MAY_ONLY: &[(Fault, &str)] = &[(
    Fault::SlowGroupList,
    "Okta's SPEC test makes GET /Groups within 600 ms (#10) an optional step: a slower server still passes it",
)];

/// Faults no suite check can see, each with the test that catches it: they act only under a rate limit the
/// suites' server does not have (`scimtest load` reports them, tests/integration/load.rs).
const CAUGHT_BY_LOAD: &[(Fault, &str)] = &[(
    Fault::RateLimitWithoutRetryAfter,
    "load::a_429_without_retry_after_is_reported_as_such: the load report counts 429s without Retry-After",
)];

/// The identity-provider quirks a server must accept, each with the bundled-server fault that breaks it
/// (docs/idp-quirks.md): the fault fails the quirk's named check, and no check of another identity-provider
/// profile fails with it except those listed, each for a reason (a quirk several IdPs share). The rfc
/// profile may fail too: most quirks are RFC behaviour as well.
struct QuirkFault {
    quirk: &'static str,
    fault: Fault,
    /// The check that names the quirk, as a trial name (`onelogin::ol_provisioning::…`).
    check: &'static str,
    /// Trial-name prefixes outside `rfc::` that may fail as well, and why.
    also_fails: &'static [&'static str],
}

/// For a quirk broken by a fault that breaks RFC behaviour every identity provider relies on (paging, an
/// empty list for no match, the error format, a deactivated user that stays findable …): every profile's
/// checks that need that behaviour fail with it, so only the named check is asserted.
const EVERY_IDP: &[&str] = &[""];

const QUIRK_FAULTS: &[QuirkFault] = &[
    // ----- onelogin (issue 15) -----
    QuirkFault {
        quirk: "OL-Q1",
        fault: Fault::RejectEmptyStrings,
        check: "onelogin::ol_quirks::create_with_unset_placeholders",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q1",
        fault: Fault::StoreEmptyStrings,
        check: "onelogin::ol_quirks::unset_placeholders_read_back_unassigned",
        // Entra's `""` in a replace (E-Q21) is the same quirk.
        also_fails: &["entra::user_lifecycle::replace_with_empty_string_unassigns"],
    },
    QuirkFault {
        quirk: "OL-Q2",
        fault: Fault::RejectMultiValuedObject,
        check: "onelogin::ol_quirks::create_with_single_email_object",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q3",
        fault: Fault::DropEmailsWithoutPrimary,
        check: "onelogin::ol_quirks::create_with_email_without_primary",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q4",
        fault: Fault::RejectUnknownSchemaUrn,
        check: "onelogin::ol_quirks::create_with_legacy_schema_urn",
        // The same quirk as Entra's E-Q11: every Entra group create carries Microsoft's schema URN (so the
        // group scenarios built on one fail too), and its legacy create the malformed `…:2.0User` URN.
        also_fails: &[
            "entra::group_lifecycle::",
            "entra::gallery_scale::",
            "entra::user_lifecycle::create_with_explicit_nulls",
            "entra-compliant::e2_groups::",
            "entra::entra-gallery::group_create_test",
            "entra::entra-gallery::group_update_test",
        ],
    },
    QuirkFault {
        quirk: "OL-Q4",
        fault: Fault::MissingCoreUrnCrashes,
        check: "onelogin::ol_quirks::create_with_legacy_urns_only",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q5",
        fault: Fault::RejectEmptyQuerySegment,
        check: "onelogin::ol_quirks::lookup_with_trailing_ampersand",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q6",
        fault: Fault::QuestionMarkInId,
        check: "onelogin::ol_quirks::put_with_trailing_question_mark",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q7",
        fault: Fault::RejectGroupsOnCreate,
        check: "onelogin::ol_quirks::create_with_role_groups",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "OL-Q8",
        fault: Fault::RejectEmptyUserAgent,
        check: "onelogin::ol_quirks::empty_user_agent_is_served",
        also_fails: &[],
    },
    // ----- jumpcloud (issue 15) -----
    QuirkFault {
        quirk: "JC-Q1",
        fault: Fault::GroupNameReservedAfterDelete,
        check: "jumpcloud::jc_test_connection::test_connection_twice_with_the_same_group_name",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "JC-Q3",
        fault: Fault::PatchOpsMergeByAttribute,
        check: "jumpcloud::jc_provisioning::update_one_op_per_attribute",
        // Entra (E-UU) and Google Workspace update users the same way: one replace per attribute.
        also_fails: &[
            "entra::user_lifecycle::update_many_attributes_in_one_patch",
            "entra::entra-gallery::user_update_test",
            "google-workspace::gw_provisioning::update_user",
        ],
    },
    QuirkFault {
        quirk: "JC-Q2",
        fault: Fault::HideInactiveUsers,
        check: "jumpcloud::jc_test_connection::test_connection_deactivates_when_delete_unsupported",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "JC-Q4",
        fault: Fault::RemoveAllMembers,
        check: "jumpcloud::jc_groups::remove_member_by_value_list",
        // Entra's default job removes members the same way (E-Q3).
        also_fails: &[
            "entra::tolerances::member_removal_with_value_array",
            "entra::group_lifecycle::remove_members_by_value_array",
            "entra::gallery_scale::add_100_members_in_one_patch",
        ],
    },
    QuirkFault {
        quirk: "JC-Q5",
        fault: Fault::FilterNoMatch404,
        check: "jumpcloud::jc_test_connection::lookup_no_match_is_empty_list",
        also_fails: EVERY_IDP,
    },
    // ----- ping (issue 15) -----
    QuirkFault {
        quirk: "PI-Q1",
        fault: Fault::CaseSensitiveFilterNames,
        check: "ping::ping_match::template_filter_any_case",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "PI-Q2",
        fault: Fault::UnknownFilterAttributeMatchesNothing,
        check: "ping::ping_match::template_filter_unknown_attribute_is_invalid_filter",
        also_fails: &[],
    },
    // With generated checks (not run here) every IdP profile's `properties::filters` fails too (behaviour.rs).
    QuirkFault {
        quirk: "PI-Q3",
        fault: Fault::RefuseComplexAttributeFilter,
        check: "ping::ping_match::pingfederate_emails_eq",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "PI-Q4",
        fault: Fault::PutMerges,
        check: "ping::ping_provisioning::update_with_put_replaces_the_user",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "PI-Q5",
        fault: Fault::GroupListFirstPageOnly,
        check: "ping::ping_groups::group_walk_finds_every_group",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "PI-Q6",
        fault: Fault::CreateIgnoresActive,
        check: "ping::ping_provisioning::create_disabled_user",
        also_fails: &[],
    },
    // ----- google-workspace (issue 15) -----
    QuirkFault {
        quirk: "GW-Q1",
        fault: Fault::IgnorePagination,
        check: "google-workspace::gw_provisioning::probe_count_1",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "GW-Q2",
        fault: Fault::HideInactiveUsers,
        check: "google-workspace::gw_provisioning::suspend_sets_active_false",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "GW-Q2",
        fault: Fault::SoftDelete,
        check: "google-workspace::gw_provisioning::delete_when_configured",
        also_fails: EVERY_IDP,
    },
    // ----- rippling (issue 15) -----
    QuirkFault {
        quirk: "RP-Q1",
        fault: Fault::NoServiceProviderConfig,
        check: "rippling::rp_provisioning::test_connection_spc",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "RP-Q2",
        fault: Fault::DuplicateUserNames,
        check: "rippling::rp_provisioning::retried_create_meets_409",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "RP-Q3",
        fault: Fault::DropValuePathPatch,
        check: "rippling::rp_groups::edit_group_with_patch",
        also_fails: EVERY_IDP,
    },
    // ----- entra-gallery (issue 15) -----
    QuirkFault {
        quirk: "E-Q34",
        fault: Fault::SchemasOmitMappedAttributes,
        check: "entra::entra-gallery::schema_discoverability",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "E-Q35",
        fault: Fault::UndeclaredLanguageValues,
        check: "entra::entra-gallery::canonical_values_enforced_are_declared",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "E-Q36",
        fault: Fault::IgnoreEmptyReplace,
        check: "entra::entra-gallery::update_manager_set_change_remove",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "E-Q21",
        fault: Fault::IgnoreEmptyReplace,
        check: "entra::entra-gallery::null_update_test",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "E-Q33",
        fault: Fault::ZeroBasedStartIndex,
        check: "entra::entra-gallery::user_pagination_count_5",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "E-Q33",
        fault: Fault::IgnorePagination,
        check: "entra::entra-gallery::user_pagination_count_5",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "E-Q33",
        fault: Fault::ItemsPerPageIsCount,
        check: "entra::entra-gallery::user_pagination_count_5",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "E-Q7",
        fault: Fault::FilterNoMatch404,
        check: "entra::entra-gallery::zero_results_are_200_users",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "E-Q7",
        fault: Fault::FilterNoMatch404,
        check: "entra::entra-gallery::zero_results_are_200_groups",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "E-Q14",
        fault: Fault::HideInactiveUsers,
        check: "entra::entra-gallery::disable_is_soft",
        also_fails: EVERY_IDP,
    },
    // ----- okta parity and governance (issue 15) -----
    QuirkFault {
        quirk: "SPEC #1, O-Q3",
        fault: Fault::StringPagingFields,
        check: "okta::spec_test::spec_as_okta_runs_it",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "SPEC #4, #12",
        fault: Fault::UnknownId200,
        check: "okta::spec_test::spec_as_okta_runs_it",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "SPEC #6, O-Q23",
        fault: Fault::RejectApplicationJson,
        check: "okta::spec_test::spec_as_okta_runs_it",
        // AIW apps send the same application/json bodies (O-Q23).
        also_fails: &["okta-aiw::"],
    },
    QuirkFault {
        quirk: "SPEC #8",
        fault: Fault::DuplicateUserNames,
        check: "okta::spec_test::spec_as_okta_runs_it",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "SPEC #11",
        fault: Fault::AcceptAnyToken,
        check: "okta::spec_test::spec_as_okta_runs_it",
        // Entra's Test Connection checks the token too (E-Q29).
        also_fails: &["entra::test_connection::"],
    },
    QuirkFault {
        quirk: "SPEC #11, #12",
        fault: Fault::NumericErrorStatus,
        check: "okta::spec_test::spec_as_okta_runs_it",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "SPEC #10",
        fault: Fault::SlowGroupList,
        check: "okta::spec_test::spec_10_groups_within_600_ms",
        also_fails: &[],
    },
    QuirkFault {
        quirk: "O-Q26",
        fault: Fault::IgnorePagination,
        check: "okta::governance::list_entitlements_paged",
        also_fails: EVERY_IDP,
    },
    QuirkFault {
        quirk: "O-Q27",
        fault: Fault::DropUserEntitlements,
        check: "okta::governance::assign_entitlement_to_user",
        also_fails: &[],
    },
];

/// Every fault's records against every profile (`run_against`), computed once for all the tests here.
async fn matrix() -> &'static BTreeMap<Fault, Vec<Record>> {
    static MATRIX: tokio::sync::OnceCell<BTreeMap<Fault, Vec<Record>>> = tokio::sync::OnceCell::const_new();
    MATRIX
        .get_or_init(|| async {
            // Faults side by side: each run mostly waits on loopback HTTP.
            let slots = Arc::new(tokio::sync::Semaphore::new(4));
            let mut runs = tokio::task::JoinSet::new();
            for &fault in Fault::ALL {
                let slots = slots.clone();
                runs.spawn(async move {
                    let _slot = slots.acquire_owned().await.unwrap();
                    (fault, run_against_with(&[fault], &auth_for(fault)).await)
                });
            }
            let mut matrix = BTreeMap::new();
            while let Some(done) = runs.join_next().await {
                let (fault, records) = done.unwrap();
                matrix.insert(fault, records);
            }
            matrix
        })
        .await
}

/// How the harness authenticates in a fault's run: an oauth fault needs `serve --oauth` and the way of
/// getting a token whose checks can see it.
fn auth_for(fault: Fault) -> BundledAuth {
    match fault {
        Fault::OAuthExpiredTokenAccepted => crate::oauth::TWO_SECOND_TOKENS,
        Fault::OAuthExpiredAssertionAccepted
        | Fault::OAuthAssertionAudienceIgnored
        | Fault::OAuthAssertionSignatureUnchecked => BundledAuth::oauth(OAuthFlow::JwtAssertion),
        f if f.name().starts_with("oauth-") => BundledAuth::oauth(OAuthFlow::ClientCredentials),
        _ => BundledAuth::Bearer,
    }
}

/// Each oauth fault with the check that names what it breaks (the clean `serve --oauth` passes them all:
/// `oauth::every_profile_passes_…`).
const OAUTH_FAULTS: &[(Fault, &str)] = &[
    (Fault::OAuthExpiredTokenAccepted, "rfc::auth-tokens::expired_token_is_refused"),
    (Fault::OAuthAlgNoneAccepted, "rfc::auth-tokens::alg_none_token_is_refused"),
    (Fault::OAuthAudienceIgnored, "rfc::auth-tokens::wrong_audience_token_is_refused"),
    (Fault::OAuthSignatureUnchecked, "rfc::auth-tokens::unknown_key_token_is_refused"),
    (Fault::OAuthSignatureUnchecked, "rfc::auth-tokens::tampered_token_is_refused"),
    (Fault::OAuthAnyClientSecret, "rfc::token-endpoint::wrong_secret_is_invalid_client"),
    (Fault::OAuthShortTokens, "entra::entra-gallery::validate_credentials_token_lifetime"),
    (Fault::OAuthExpiredAssertionAccepted, "rfc::token-endpoint::expired_assertion_is_refused"),
    (Fault::OAuthAssertionAudienceIgnored, "rfc::token-endpoint::wrong_audience_assertion_is_refused"),
    (Fault::OAuthAssertionSignatureUnchecked, "rfc::token-endpoint::unknown_key_assertion_is_invalid_client"),
    (Fault::OAuthTokenCacheable, "rfc::token-endpoint::token_answer_is_not_cacheable"),
];

/// The concurrency and large-group faults (issue 17), each with the check that proves it.
const CONCURRENCY_FAULTS: &[(Fault, &str)] = &[
    (Fault::LostConcurrentMemberUpdate, "rfc::concurrency::parallel_member_adds_keep_every_member"),
    (Fault::LostConcurrentMemberUpdate, "rfc::large_groups::group_of_1000_members_added_in_batches_keeps_every_member"),
    (Fault::MembersCappedAt100, "rfc::large_groups::group_of_1000_members_added_in_batches_keeps_every_member"),
    (Fault::MembersCappedAt100, "rfc::large_groups::members_of_a_large_group_page_through_a_groups_filter"),
    (Fault::MembersCappedAt100, "okta::large_groups::push_now_of_1000_members_keeps_every_member"),
    (Fault::MembersMissingFromGroupsFilter, "rfc::large_groups::members_of_a_large_group_page_through_a_groups_filter"),
    // More than 50 members in one operation refused (Entra E-Q28): Entra's batches of 100 fail.
    (Fault::MemberLimit, "rfc::large_groups::group_of_1000_members_added_in_batches_keeps_every_member"),
    // Older faults the parallel checks catch as well: uniqueness and preconditions across concurrent writes.
    (Fault::DuplicateUserNames, "rfc::concurrency::parallel_creates_of_one_username_create_one_user"),
    (Fault::IgnoreIfMatch, "rfc::concurrency::parallel_replaces_with_one_if_match_let_one_win"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_concurrency_fault_fails_its_named_check() {
    let matrix = matrix().await;
    assert_each_fails_its_check(matrix, CONCURRENCY_FAULTS);
}

/// Each `(fault, check)`: the check failed in the fault's run of the matrix.
fn assert_each_fails_its_check(matrix: &BTreeMap<Fault, Vec<Record>>, table: &[(Fault, &str)]) {
    for (fault, check) in table {
        let record = matrix[fault].iter().find(|r| r.name == *check).unwrap_or_else(|| panic!("{check} planned"));
        assert!(
            matches!(record.outcome, Outcome::Failed(_)),
            "`{}` must fail {check}, which ended {:?}",
            fault.name(),
            record.message()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_oauth_fault_fails_its_named_check() {
    let matrix = matrix().await;
    let oauth: Vec<&Fault> = Fault::ALL.iter().filter(|f| f.name().starts_with("oauth-")).collect();
    let listed: std::collections::BTreeSet<&Fault> = OAUTH_FAULTS.iter().map(|(f, _)| f).collect();
    assert_eq!(oauth.len(), listed.len(), "every oauth fault has its check in OAUTH_FAULTS");
    assert_each_fails_its_check(matrix, OAUTH_FAULTS);
}

/// Failing checks per level, by name.
#[derive(Default)]
struct Caught {
    by_level: BTreeMap<Level, Vec<String>>,
    skipped: Vec<String>,
}

impl Caught {
    fn of(records: &[Record]) -> (Caught, Vec<String>) {
        let mut caught = Caught::default();
        let mut messages = Vec::new();
        for r in records {
            match &r.outcome {
                // A blocked check counts: its setup failed on the fault, and a blocked MUST fails the verdict.
                Outcome::Failed(_) | Outcome::Blocked(_) => {
                    caught.by_level.entry(r.requirement.level).or_default().push(r.name.clone());
                    messages.push(format!("---- {}\n{}", r.name, r.message().unwrap_or_default()));
                }
                // What only another way of getting a token can check is no adaptation to the server.
                Outcome::Skipped(why) if crate::oauth::needs_oauth(why) => {}
                Outcome::Skipped(_) => caught.skipped.push(r.name.clone()),
                // A conflict resolved in an IdP's favour passes: it catches nothing.
                Outcome::Passed | Outcome::Conflict(_) => {}
            }
        }
        (caught, messages)
    }

    fn count(&self, level: Level) -> usize {
        self.by_level.get(&level).map_or(0, Vec::len)
    }

    /// A MUST or SHOULD check failed.
    fn caught(&self) -> bool {
        self.count(Level::Must) + self.count(Level::Should) > 0
    }

    fn examples(&self) -> String {
        let mut names: Vec<&String> = [Level::Must, Level::Should, Level::May]
            .iter()
            .flat_map(|l| self.by_level.get(l).into_iter().flatten())
            .collect();
        // The rfc profile's names first: they name the requirement most directly.
        names.sort_by_key(|n| !n.starts_with("rfc::"));
        names.iter().take(2).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_a_must_or_should_check_and_the_clean_server_by_none() {
    let (clean, messages) = Caught::of(&run_against(&[]).await);
    assert!(
        messages.is_empty(),
        "{} scenarios fail against the clean reference server:\n{}",
        messages.len(),
        messages.join("\n")
    );
    assert!(clean.skipped.is_empty(), "the reference server supports every feature, yet skipped: {:?}", clean.skipped);

    let matrix: BTreeMap<&str, Caught> = matrix().await.iter().map(|(f, r)| (f.name(), Caught::of(r).0)).collect();

    let mut table = String::from("| fault | MUST | SHOULD | MAY | for example |\n|---|---:|---:|---:|---|\n");
    let _ = writeln!(table, "| (none: the clean server) | 0 | 0 | 0 | |");
    for (fault, c) in &matrix {
        let _ = writeln!(
            table,
            "| `{fault}` | {} | {} | {} | {} |",
            c.count(Level::Must),
            c.count(Level::Should),
            c.count(Level::May),
            c.examples()
        );
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-matrix.md");
    let _ = std::fs::write(&file, &table);
    eprintln!("fault → failing checks (also in {}):\n{table}", file.display());
    let variant = |name: &str| Fault::ALL.iter().any(|f| f.name() == name && f.is_variant());
    let may_only = |name: &str| CAUGHT_AT_MAY_ONLY.iter().any(|(f, _)| f.name() == name);
    let by_load = |name: &str| CAUGHT_BY_LOAD.iter().any(|(f, _)| f.name() == name);
    let uncaught: Vec<&&str> = matrix
        .iter()
        .filter(|(f, c)| !(variant(f) || by_load(f) || c.caught() || (may_only(f) && c.count(Level::May) > 0)))
        .map(|(f, _)| f)
        .collect();
    assert!(uncaught.is_empty(), "no MUST or SHOULD check fails for these faults: {uncaught:?}\n{table}");
    assert_eq!(matrix.len(), Fault::ALL.len());
    // A legitimate server choice is adapted to, not caught: the rfc profile fails nothing and says why it
    // skipped what the server does not declare. (The IdP profiles send what the IdP sends regardless.)
    for (fault, c) in matrix.iter().filter(|(f, _)| variant(f)) {
        let rfc_failures: Vec<&String> = c.by_level.values().flatten().filter(|n| n.starts_with("rfc::")).collect();
        assert!(
            rfc_failures.is_empty(),
            "`{fault}` is a legitimate choice, yet the rfc profile fails {rfc_failures:?}"
        );
        let skipped: Vec<&String> = c.skipped.iter().filter(|n| n.starts_with("rfc::")).collect();
        assert!(!skipped.is_empty(), "`{fault}`: the rfc profile skipped nothing the server does not declare");
    }
}

/// Each quirk's fault fails the quirk's named check, and no other identity-provider profile's run fails
/// with it beyond the listed exceptions (docs/idp-quirks.md says which fault breaks which quirk).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_quirk_fault_fails_its_named_check_and_no_other_idp_profile() {
    let matrix = matrix().await;
    let mut problems = Vec::new();
    for row in QUIRK_FAULTS {
        let records = &matrix[&row.fault];
        let failing: Vec<&str> = records
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_)))
            .map(|r| r.name.as_str())
            .collect();
        if !records.iter().any(|r| r.name == row.check) {
            problems.push(format!("{} (`{}`): no check named {} ran", row.quirk, row.fault.name(), row.check));
        } else if !failing.contains(&row.check) {
            problems.push(format!("{} (`{}`) does not fail {}", row.quirk, row.fault.name(), row.check));
        }
        let profile = row.check.split("::").next().unwrap_or_default();
        let elsewhere: Vec<&&str> = failing
            .iter()
            .filter(|n| !n.starts_with("rfc::") && !n.starts_with(&format!("{profile}::")))
            .filter(|n| !row.also_fails.iter().any(|p| n.starts_with(p)))
            .collect();
        if !elsewhere.is_empty() {
            problems.push(format!("{} (`{}`) also fails {elsewhere:?}", row.quirk, row.fault.name()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
