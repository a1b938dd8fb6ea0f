//! The runner: one libtest-mimic trial per planned check against any SCIM endpoint, over HTTP only, and
//! the reports. It knows nothing of the bundled reference server: `crate::selftest` starts that and points
//! a run at its URL, exactly as at a vendor's.
//!
//! By phase: `preflight` → `discover` → `plan` (with `selection`) → `execute` (judged by `checks`) →
//! `cleanup` → `report`; `harness` runs them as `scimtest run`, `env` configures them from the environment.

/// Test data fitted to the server's declared schema (RFC profiles), or the reason a scenario is skipped.
mod adapt;
/// An app's attribute table turned into create, read and update checks.
mod app_checks;
/// Known failures (`--baseline FILE`): waivers checked against the plan and applied to the verdict.
pub mod baseline;
/// Judging an answer: status, headers, Error and ListResponse shapes, schema conformance, JSON checks.
mod checks;
/// The registry of created resources, URL safety of what is deleted, the prefix sweep, leftovers.
mod cleanup;
/// libtest-mimic's printer kept from panicking on a closed pipe.
mod console;
/// What the server declares: /ServiceProviderConfig features, /Schemas and /ResourceTypes.
mod discover;
/// Library mode: a run configured from `SCIM_*` variables.
mod env;
/// Sending a scenario's steps (templates, captures, judging) or a generated check, into a record.
mod execute;
/// A failure as a value: the step, typed problems (expected versus observed), the exchange.
pub mod failure;
/// `scimtest run` end to end: trials, cleanup on exit or signal, reports and the exit code.
mod harness;
/// SIGINT, SIGTERM and SIGHUP turned into the same cleanup.
mod interrupt;
/// What a run collected after its trials, and the one writer of its report files (merged in `selftest`).
mod outcome;
/// A `pages = N` step: a list GET walked page by page, judged as one list.
mod pages;
/// A `parallel = N` step: its copies sent at once, judged and counted by status.
mod parallel;
/// What the configuration plans (profiles, suites, generated checks, identity providers) and skip reasons.
mod plan;
/// A few GETs that turn a set-up mistake into one typed problem before anything else runs.
pub mod preflight;
/// Generated filter and PATCH checks against the core's own answer, shrunk to a minimal input.
pub mod property;
/// The identity-provider quirks of docs/idp-quirks.md, by id.
pub mod quirks;
/// Records, root causes, readiness per identity provider, and one writer per report format.
pub mod report;
/// Which planned checks the name filters select (before any request).
mod selection;
/// Generated checks run once for the profiles of a run that judge them alike.
mod sharing;
/// Responses redacted into stable insta snapshots, compared or stored.
pub mod snapshot;
/// Response times per endpoint (p50, p95, slowest), flagging what identity providers do not tolerate.
pub mod timing;

pub use checks::{conformance, error_problems, judge, list_problems, not_json, select};
pub use cleanup::{Leftover, Registry, clean, clean_up, delete_all, leftovers, resource_path, sweep};
pub use discover::{Discovered, advertised, discover};
pub use env::config_from_env;
pub use harness::{run_on, run_on_keeping};
pub use interrupt::{Interrupt, interrupted};
pub use outcome::{RunOutcome, summarize};
pub use plan::{ALL_PROFILES, expand_profiles, planned_idps, selects_any};
pub use selection::Selection;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::Arguments;

use crate::bundle::Source;
use crate::client::{Client, ClientConfig};
use crate::exit::Exit;
use execute::{Shared, run_property, run_scenario, short_tag};
use plan::{idp_names, load_all, planned_checks};
use report::{Cleanup, Record};

/// Everything a run is configured with (built by `cli` from arguments, or by [`config_from_env`]).
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub client: ClientConfig,
    /// Profile names under `suites/profiles/` (or profile files); empty means the app's, else `rfc`.
    pub profiles: Vec<String>,
    /// An app under `suites/apps/` (or an app file): its profile and capabilities.
    pub app: Option<String>,
    /// Profiles, apps and suites: the bundled ones, or a directory (`--suite-dir`).
    pub suites: Source,
    /// Request bodies (`bodies/`): the bundled ones, or a directory (`--fixture-dir`).
    pub fixtures: Source,
    /// Only suites whose name contains this.
    pub suite_pattern: Option<String>,
    /// Run only scenarios that create nothing.
    pub read_only: bool,
    /// The endpoint takes no credential (`--no-auth`): pre-flight does not ask for one.
    pub no_auth: bool,
    /// Scenarios run in parallel (libtest's `--test-threads` wins when given).
    pub concurrency: usize,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// A compact Markdown summary (verdict, readiness per identity provider, top root causes, counts) for a
    /// pull request or `$GITHUB_STEP_SUMMARY`.
    pub markdown: Option<PathBuf>,
    /// The self-contained HTML report (`--html`).
    pub html: Option<PathBuf>,
    /// Every exchange of the run as HAR 1.2 (`--har`), secrets hidden.
    pub har: Option<PathBuf>,
    /// Print whole response bodies in failure messages instead of an excerpt (the reports always hold them).
    pub verbose: bool,
    /// Generated filter and PATCH checks per profile (`None`: only the scenarios).
    pub properties: Option<property::PropertyConfig>,
    /// Response snapshots: off, check or update, and where they live.
    pub snapshots: snapshot::SnapshotConfig,
    /// No check starts after this long; the ones left are blocked by the deadline (`None`: no limit).
    pub max_time: Option<std::time::Duration>,
    /// Known failures (`--baseline FILE`, TOML): read and checked against the plan before anything is sent.
    pub baseline: Option<PathBuf>,
    /// Which planned checks run (name filters, `--skip`, `--exact`, `--list`).
    pub selection: Selection,
    /// libtest's console settings (format, colour, threads); its own name filters are taken over by
    /// `selection`.
    pub args: Arguments,
}

impl RunConfig {
    /// Every file the run will write, by the flag that names it: checked before the run starts.
    pub fn outputs(&self) -> Vec<(&'static str, &std::path::Path)> {
        let mut out = Vec::new();
        if let Some(p) = &self.json {
            out.push(("--json", p.as_path()));
        }
        if let Some(p) = &self.junit {
            out.push(("--junit", p.as_path()));
        }
        // `$GITHUB_STEP_SUMMARY` is appended to by other steps too: checking it only opens it for appending.
        if let Some(p) = &self.markdown {
            out.push(("--markdown", p.as_path()));
        }
        if let Some(p) = &self.html {
            out.push(("--html", p.as_path()));
        }
        if let Some(p) = &self.har {
            out.push(("--har", p.as_path()));
        }
        out
    }

    /// The first profile the run uses (what the bundled server's mode follows in `selftest`).
    pub fn main_profile(&self) -> String {
        self.profiles.first().cloned().unwrap_or_else(|| "rfc".into())
    }
}

/// Runs what `config` names (profiles, app, suite pattern) against its endpoint, quietly, one scenario
/// after the other, and cleans up: the records are the result. For tests and tools that judge a run
/// themselves; libtest arguments in `config.args` are not used.
pub async fn check(config: &RunConfig) -> Result<Vec<Record>, String> {
    check_and_clean(config).await.map(|(records, _)| records)
}

/// [`check`], with what the cleanup found (what the server still lists after answering its DELETEs).
pub async fn check_and_clean(config: &RunConfig) -> Result<(Vec<Record>, Cleanup), String> {
    let (plan, app, modes) = load_all(config).map_err(|e| e.to_string())?;
    let client = Client::new(config.client.clone())?.with_max_in_flight(config.concurrency);
    let discovered = discover(&client).await;
    let idp = idp_names(config, &modes, app.as_ref());
    let planned = planned_checks(config, plan, &modes);
    let shared = Shared {
        client: client.clone(),
        discovered,
        registry: Arc::new(Registry::default()),
        run_prefix: format!("scimtest-{}", short_tag(&format!("{:?}{}", Instant::now(), std::process::id()))),
        handle: tokio::runtime::Handle::current(),
        records: Mutex::new(Vec::new()),
        app,
        snapshots: (config.snapshots.mode != snapshot::Mode::Off).then(|| config.snapshots.clone()),
        suites: config.suites.clone(),
        idp,
        deadline: (Instant::now(), config.max_time),
        contradicted: Mutex::default(),
        verbose: config.verbose,
        baseline: None,
        stances: report::stances(&config.suites),
        generated: sharing::SharedGenerated::new(planned.iter().filter_map(selection::generated_check)),
        concurrency: config.concurrency.max(1),
    };
    let mut records = Vec::new();
    for planned in planned {
        let record = match planned.check {
            selection::Check::Scenario { suite, index } => {
                run_scenario(&shared, &planned.profile, &suite, &suite.scenarios[index], config.read_only).await
            }
            selection::Check::Generated { what, mode } => {
                let properties =
                    config.properties.as_ref().expect("generated checks are planned only with their settings");
                tokio::task::block_in_place(|| {
                    run_property(&shared, &planned.profile, mode, what, properties, config.read_only)
                })
            }
        };
        records.push(record);
    }
    let cleanup = clean_up(&shared.registry, &client, &shared.run_prefix, config.read_only).await;
    if !cleanup.failed.is_empty() {
        return Err(format!("cleanup failed: {}", cleanup.failed.join("; ")));
    }
    Ok((records, cleanup))
}

impl RunConfig {
    /// A configuration for `base_url` with the shipped suites and fixtures, the `rfc` profile by default,
    /// and libtest's defaults.
    pub fn new(client: ClientConfig) -> RunConfig {
        RunConfig {
            client,
            profiles: Vec::new(),
            app: None,
            suites: Source::suites(),
            fixtures: Source::fixtures(),
            suite_pattern: None,
            read_only: false,
            no_auth: false,
            concurrency: 4,
            junit: None,
            json: None,
            markdown: None,
            html: None,
            har: None,
            verbose: false,
            properties: None,
            snapshots: snapshot::SnapshotConfig::default(),
            max_time: None,
            selection: Selection::default(),
            baseline: None,
            args: Arguments::default(),
        }
    }
}

/// Runs the profile's suites against `config.client.base_url`; returns how the run ended.
pub fn run(config: RunConfig) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    run_on(&runtime, config)
}
