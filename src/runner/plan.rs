//! Planning: which profiles, suites and generated checks a configuration names, which identity
//! providers they replay, and why a scenario is skipped here (a feature the server does not support,
//! `--read-only`, an extension it does not declare).

use super::discover::Discovered;
use super::report::{self, Outcome, Record};
use super::{RunConfig, app_checks, selection};
use crate::suite::{self, Feature, Level, Scenario, Suite};

/// The reason a scenario cannot run here, if any. An identity provider's profile never skips what the
/// IdP sends because of what the server declares: Entra and Okta PATCH, filter and send the enterprise
/// extension without reading discovery, so the server will receive those requests regardless.
pub(super) fn skip_reason(
    scenario: &Scenario,
    discovered: &Discovered,
    read_only: bool,
    app: Option<&suite::App>,
    idp: bool,
) -> Option<String> {
    if read_only && !scenario.read_only() {
        return Some(format!("it creates or changes resources, {READ_ONLY}"));
    }
    if let Some(app) = app
        && scenario.requires.contains(&Feature::Groups)
        && !app.can("groups")
    {
        return Some(format!("the app `{}` does not provision groups", app.name));
    }
    let sent_regardless = |f: &Feature| idp && matches!(f, Feature::Patch | Feature::Filter | Feature::Enterprise);
    scenario
        .requires
        .iter()
        .filter(|f| !sent_regardless(f))
        .find(|f| !discovered.features.get(f).copied().unwrap_or(false))
        .map(|f| unsupported(*f))
}

/// The end of every reason a check is skipped by `--read-only`.
pub(super) const READ_ONLY: &str = "and the run is --read-only";

/// What `--read-only` left out of the verdict: the MUST checks it skipped.
pub(super) fn read_only_note(records: &[Record]) -> Option<String> {
    let skipped = |r: &&Record| matches!(&r.outcome, Outcome::Skipped(why) if why.ends_with(READ_ONLY));
    let must = records.iter().filter(skipped).filter(|r| r.requirement.level == Level::Must).count();
    let judged = records.iter().filter(|r| !matches!(r.outcome, Outcome::Skipped(_))).count();
    (must > 0).then(|| {
        format!(
            "--read-only skipped {must} MUST check{} that write: the verdict covers only the {judged} check{} that ran",
            if must == 1 { "" } else { "s" },
            if judged == 1 { "" } else { "s" }
        )
    })
}

/// Why a feature's checks are skipped.
pub(super) fn unsupported(feature: Feature) -> String {
    match feature {
        Feature::Groups => "the server publishes no Group resource type (/ResourceTypes)".to_string(),
        Feature::Enterprise => {
            "the server's User resource type declares no enterprise extension (/ResourceTypes schemaExtensions)"
                .to_string()
        }
        Feature::Entitlements | Feature::Roles => format!(
            "the server publishes no resource type with schema {} (/ResourceTypes): Okta Identity Governance \
             discovers none, so it lists and assigns none",
            feature.resource_schema().unwrap_or_default()
        ),
        Feature::Oauth => "the run does not get its token from a token endpoint: pass --auth client-credentials or \
                           --auth jwt-assertion with --token-url"
            .to_string(),
        Feature::ClientSecret => "the run authenticates to the token endpoint without a client secret: pass --auth \
                                  client-credentials (the secret in SCIM_CLIENT_SECRET)"
            .to_string(),
        Feature::ClientAssertion => "the run authenticates to the token endpoint without a JWT assertion: pass --auth \
                                     jwt-assertion with --assertion-key FILE"
            .to_string(),
        Feature::JwtAccessToken => "the access token is opaque, not a JWT: a changed payload or `alg: none` cannot be \
                                    built from it"
            .to_string(),
        Feature::TokenExpiry => "issued tokens live longer than --auth-expiry-wait allows to wait for one to expire: \
                                 pass --auth-expiry-wait SECONDS (at least the token lifetime) to check expired tokens"
            .to_string(),
        Feature::OtherResource => {
            "no other resource to get a wrong-audience token for: pass --oauth-other-resource URI \
                                   (a resource the token endpoint issues tokens for that is not this SCIM API)"
                .to_string()
        }
        f => format!("the server declares `{}` unsupported (/ServiceProviderConfig)", f.as_str()),
    }
}

/// Each profile to run, with its suites.
pub(super) type Plan = Vec<(String, Vec<Suite>)>;

/// The profiles (with their PATCH modes) that get generated checks.
pub(super) type PropertyPlan = Vec<(String, crate::patch::Mode)>;

/// The profiles to run (with their suites), the app if one was named, and the profiles' PATCH modes.
pub(super) fn load_all(config: &RunConfig) -> Result<(Plan, Option<suite::App>, PropertyPlan), suite::SuiteError> {
    let app = config.app.as_deref().map(|a| suite::load_app(&config.suites, a)).transpose()?;
    let names = match (&config.profiles[..], &app) {
        ([], Some(app)) => vec![app.profile.clone()],
        ([], None) => vec!["rfc".to_string()],
        (given, _) => expand_profiles(&config.suites, given)?,
    };
    let mut out = Vec::new();
    let mut modes = Vec::new();
    // Every profile is loaded before any error is returned, so that one run tells every mistake; a file
    // that two profiles load (or reuse from) is told once.
    let mut errors: Vec<suite::SuiteError> = Vec::new();
    for name in names {
        let profile = match suite::load_profile(&config.suites, &name) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        modes.push((profile.name.clone(), profile.patch_mode));
        match suite::load_profile_suites_reporting_all(&config.suites, &config.fixtures, &profile) {
            Ok(mut suites) => {
                if let Some(p) = &config.suite_pattern {
                    suites.retain(|s| s.name.contains(p.as_str()));
                }
                out.push((profile.name, suites));
            }
            Err(all) => {
                for e in all.0 {
                    if !errors.iter().any(|known| known.same_mistake(&e)) {
                        errors.push(e);
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(suite::SuiteErrors(errors).into());
    }
    // The checks generated from the app's attribute table run under the app's name.
    let generated = match &app {
        Some(app) => app_checks::suite(app, &suite::load_profile(&config.suites, &app.profile)?).map_err(|e| {
            suite::SuiteError {
                file: app.file.clone(),
                line: None,
                message: format!("the attribute table gives no request to check: {e}"),
                fix: "check the table's paths and types against the schema (suites/README.md, apps)".into(),
            }
        })?,
        None => None,
    };
    if let Some(generated) = generated {
        let keep = config.suite_pattern.as_deref().is_none_or(|p| generated.name.contains(p));
        if keep {
            out.push((app.as_ref().map(|a| a.name.clone()).unwrap_or_default(), vec![generated]));
        }
    }
    if let Some(pattern) = &config.suite_pattern {
        let selected = out.iter().any(|(_, suites)| !suites.is_empty())
            || (config.properties.is_some() && wants_properties(config));
        if !selected {
            return Err(no_suite_matches(config, pattern, &modes));
        }
    }
    Ok((out, app, modes))
}

/// The name `--profile all` stands for: every profile of the suite directory in use.
pub const ALL_PROFILES: &str = "all";

/// The profile names `given` stands for: `all` is every profile under `profiles/` of the suite directory,
/// `rfc` first (the standard the others deviate from), then the identity providers by name; other names
/// are kept as given (an unknown one gets its did-you-mean error when loaded). `all` next to other names
/// is a mistake: it already holds them.
pub fn expand_profiles(suites: &crate::bundle::Source, given: &[String]) -> Result<Vec<String>, suite::SuiteError> {
    if !given.iter().any(|g| g == ALL_PROFILES) {
        return Ok(given.to_vec());
    }
    if given.len() > 1 {
        let others: Vec<&str> = given.iter().map(String::as_str).filter(|g| *g != ALL_PROFILES).collect();
        return Err(suite::SuiteError {
            file: suites.path("profiles"),
            line: None,
            message: format!(
                "--profile all already runs every profile; it cannot be combined with {}",
                others.join(", ")
            ),
            fix: format!("pass --profile all alone, or list the profiles: --profile {}", others.join(",")),
        });
    }
    let mut names = suite::available(suites, "profiles");
    if names.is_empty() {
        return Err(suite::SuiteError {
            file: suites.path("profiles"),
            line: None,
            message: "--profile all found no profile (.toml) there".into(),
            fix: "pass a suites directory holding profiles/*.toml with --suite-dir DIR, or leave it out for the \
                  bundled suites"
                .into(),
        });
    }
    // Stable: `rfc` first, the rest by name (`available` sorts them).
    names.sort_by_key(|n| n != "rfc");
    Ok(names)
}

/// The load error for a `--suite` pattern that selects nothing: the profile that has such a suite, or the
/// suites the selected profiles have, with the closest.
pub(super) fn no_suite_matches(config: &RunConfig, pattern: &str, selected: &PropertyPlan) -> suite::SuiteError {
    let suite_names = |profile: &suite::Profile| -> Vec<String> {
        suite::profile_suite_files(&config.suites, profile)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect()
    };
    let profiles = selected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    // `--suite entra` meaning the profile (its suites are named for what they test), or a suite name
    // another profile has.
    let others: Vec<suite::Profile> = suite::available(&config.suites, "profiles")
        .iter()
        .filter_map(|other| suite::load_profile(&config.suites, other).ok())
        .filter(|p| !selected.iter().any(|(n, _)| *n == p.name))
        .collect();
    let by_name = others.iter().find(|p| p.name == pattern).map(|p| (p, suite_names(p), true));
    let by_suite = || {
        others.iter().find_map(|p| {
            let matching: Vec<String> = suite_names(p).into_iter().filter(|s| s.contains(pattern)).collect();
            (!matching.is_empty()).then_some((p, matching, false))
        })
    };
    if let Some((profile, suites, whole)) = by_name.or_else(by_suite) {
        return suite::SuiteError {
            file: config.suites.path("profiles"),
            line: None,
            message: format!(
                "no suite of profile {profiles} matches `{pattern}`; profile {} has suites {}",
                profile.name,
                suites.join(", ")
            ),
            fix: if whole {
                format!(
                    "pass --profile {0} (instead of --suite {0}, which picks suites within the profiles)",
                    profile.name
                )
            } else {
                format!("pass --profile {}", profile.name)
            },
        };
    }
    let mut names: Vec<String> = Vec::new();
    for (name, _) in selected {
        if let Ok(profile) = suite::load_profile(&config.suites, name) {
            names.extend(suite_names(&profile));
        }
    }
    if config.app.is_some() {
        names.push(app_checks::SUITE_NAME.to_string());
    }
    if config.properties.is_some() {
        names.push("properties".to_string());
    }
    names.sort();
    names.dedup();
    suite::SuiteError {
        file: config.suites.root(),
        line: None,
        message: format!(
            "no suite of profile {profiles} matches `{pattern}`{}",
            suite::did_you_mean(pattern, names.iter().map(String::as_str))
        ),
        fix: format!("pass --suite with part of one of: {}", names.join(", ")),
    }
}

/// The planned names that replay an identity provider: profiles whose PATCH mode is not the RFC's, and
/// the app when its profile is one.
pub(super) fn idp_names(
    config: &RunConfig,
    modes: &PropertyPlan,
    app: Option<&suite::App>,
) -> std::collections::BTreeSet<String> {
    let mut names: std::collections::BTreeSet<String> =
        modes.iter().filter(|(_, m)| *m != crate::patch::Mode::Rfc).map(|(n, _)| n.clone()).collect();
    if let Some(app) = app {
        let mode = suite::load_profile(&config.suites, &app.profile).map(|p| p.patch_mode);
        if mode.is_ok_and(|m| m != crate::patch::Mode::Rfc) {
            names.insert(app.name.clone());
        }
    }
    names
}

/// The identity-provider profiles (and the app, when its profile is one) of a plan, in plan order, with the
/// names reports show for them.
pub(super) fn idp_profiles(
    config: &RunConfig,
    modes: &PropertyPlan,
    app: Option<&suite::App>,
    idp: &std::collections::BTreeSet<String>,
) -> Vec<report::IdpProfile> {
    let display =
        |name: &str| suite::load_profile(&config.suites, name).map_or_else(|_| name.to_string(), |p| p.display_name);
    let mut out: Vec<report::IdpProfile> = modes
        .iter()
        .filter(|(name, _)| idp.contains(name))
        .map(|(name, _)| report::IdpProfile { name: name.clone(), display_name: display(name) })
        .collect();
    if let Some(app) = app.filter(|a| idp.contains(&a.name)) {
        let display_name = format!("{} via {}", app.name, display(&app.profile));
        out.push(report::IdpProfile { name: app.name.clone(), display_name });
    }
    out
}

/// The identity-provider profiles (and app) `config` plans, with their display names: what
/// [`report::readiness`] judges, for callers of [`check`] that build their own summary.
pub fn planned_idps(config: &RunConfig) -> Result<Vec<report::IdpProfile>, String> {
    let (_, app, modes) = load_all(config).map_err(|e| e.to_string())?;
    let idp = idp_names(config, &modes, app.as_ref());
    Ok(idp_profiles(config, &modes, app.as_ref(), &idp))
}

/// Whether `--suite` lets the generated checks (suite `properties`) run.
pub(super) fn wants_properties(config: &RunConfig) -> bool {
    config.suite_pattern.as_deref().is_none_or(|p| "properties".contains(p))
}

/// Every check the configuration plans, in run order: the scenarios of `plan`, then the generated checks
/// of each profile in `modes` when they are on and `--suite` lets them run.
pub(super) fn planned_checks(config: &RunConfig, plan: Plan, modes: &PropertyPlan) -> Vec<selection::Planned> {
    let generated = config.properties.is_some() && wants_properties(config);
    selection::plan(plan, generated.then_some(modes.as_slice()))
}

/// Whether the configuration's selection picks at least one check (a configuration that does not load
/// counts as selecting, so that its run reports the load error).
pub fn selects_any(config: &RunConfig) -> bool {
    let Ok((profiles, _, modes)) = load_all(config) else { return true };
    let (mut selection, mut args) = (config.selection.clone(), config.args.clone());
    selection.absorb(&mut args);
    planned_checks(config, profiles, &modes).iter().any(|p| selection.selects(&p.name))
}
