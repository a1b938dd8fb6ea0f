//! The harness of `scimtest run`: pre-flight and discovery, one libtest-mimic trial per planned check,
//! cleanup at the end or on a signal, then the console summary, the report files and the exit code.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::Trial;

use super::cleanup::{Registry, clean_up};
use super::discover::discover;
use super::execute::{Shared, conclude, run_property, run_scenario, short_tag};
use super::failure::ProblemKind;
use super::outcome::RunOutcome;
use super::plan::{Plan, idp_names, idp_profiles, load_all, planned_checks, read_only_note};
use super::report::{self, Outcome, Record};
use super::selection::generated_check;
use super::sharing::{GeneratedKey, SharedGenerated};
use super::{RunConfig, Selection, baseline, console, interrupted, preflight, selection, snapshot, timing};
use crate::client::Client;
use crate::exit::Exit;

/// [`run`] on a runtime the caller owns (so a server can share it).
pub fn run_on(runtime: &tokio::runtime::Runtime, config: RunConfig) -> Exit {
    run_on_keeping(runtime, config, None)
}

/// [`run_on`]; with `keep`, the report files are not written: the run's outcome goes into `keep` for the
/// caller to merge with other runs' and write once ([`RunOutcome::merge`], `selftest`). The exit code is
/// the run's own as if its reports had been written.
pub fn run_on_keeping(
    runtime: &tokio::runtime::Runtime,
    config: RunConfig,
    keep: Option<&mut Vec<RunOutcome>>,
) -> Exit {
    let (profiles, app, modes) = match load_all(&config) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let mut args = config.args.clone();
    let mut selection = config.selection.clone();
    selection.absorb(&mut args);
    if args.test_threads.is_none() {
        args.test_threads = Some(config.concurrency.max(1));
    }
    // Decided before any request: a selection that runs nothing is a mistake, not a green run.
    let stale = if selection.list { Vec::new() } else { stale_snapshots(&config, &profiles) };
    let profile_names: Vec<String> = profiles.iter().map(|(p, _)| p.clone()).collect();
    let planned = planned_checks(&config, profiles, &modes);
    let selected: Vec<selection::Planned> = planned.iter().filter(|p| selection.selects(&p.name)).cloned().collect();
    if selected.is_empty() {
        eprintln!("error: {}", selection.nothing_selected(&planned));
        return Exit::Usage;
    }
    if selection.list {
        selection::list(&selected);
        return Exit::Pass;
    }
    let known = match load_baseline(&config, &planned) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    if let Err(e) = report::check_outputs(&config.outputs()) {
        eprintln!("error: {e}");
        return Exit::Usage;
    }
    // Setup mistakes (URL, credential, connection, no SCIM there) stop the run before any check: one line
    // and exit 2, not thousands of failures.
    // With `--har`, one log holds the pre-flight's probes and then every exchange of the run's client.
    let exchange_log = config.har.is_some().then(|| Arc::new(report::ExchangeLog::default()));
    if let Err(problem) = runtime.block_on(preflight::preflight(&config.client, config.no_auth, exchange_log.clone())) {
        eprintln!("{problem}");
        return Exit::Usage;
    }
    let client = match Client::new(config.client.clone()).map(|c| c.with_max_in_flight(config.concurrency)) {
        Ok(c) if let Some(log) = &exchange_log => c.with_exchange_log(log.clone()),
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n  fix: pass the SCIM base URL, e.g. --url https://example.com/scim/v2");
            return Exit::Usage;
        }
    };
    let discovered = runtime.block_on(discover(&client));
    let run_prefix = format!("scimtest-{}", short_tag(&format!("{:?}{}", Instant::now(), std::process::id())));
    let registry = Arc::new(Registry::default());
    // Whoever cleans up holds this: the end of the run (through its reports) or the Ctrl-C task, never
    // both at once, so an interrupt during the final cleanup waits for it instead of cutting it short.
    let cleaning = Arc::new(tokio::sync::Mutex::new(()));
    let idp = idp_names(&config, &modes, app.as_ref());
    let idps = idp_profiles(&config, &modes, app.as_ref(), &idp);
    let shared = Arc::new(Shared {
        client: client.clone(),
        discovered,
        registry: registry.clone(),
        run_prefix: run_prefix.clone(),
        handle: runtime.handle().clone(),
        records: Mutex::new(Vec::new()),
        app,
        snapshots: (config.snapshots.mode != snapshot::Mode::Off).then(|| config.snapshots.clone()),
        suites: config.suites.clone(),
        idp,
        deadline: (Instant::now(), config.max_time),
        contradicted: Mutex::default(),
        verbose: config.verbose,
        baseline: known.clone(),
        stances: report::stances(&config.suites),
        generated: SharedGenerated::new(selected.iter().filter_map(generated_check)),
        concurrency: config.concurrency.max(1),
    });
    // Ctrl-C, SIGTERM or SIGHUP: stop sending, let the requests in flight land (their creations get
    // registered), delete what the run created and sweep its prefix, then stop.
    {
        let (registry, client, prefix, read_only, cleaning) =
            (registry.clone(), client.clone(), run_prefix.clone(), config.read_only, cleaning.clone());
        runtime.spawn(async move {
            let signal = interrupted().await;
            eprintln!(
                "\ninterrupted ({}): waiting for the requests in flight, then deleting what this run created \
                 (interrupt again to quit at once)…",
                signal.name
            );
            client.stop();
            let again = prefix.clone();
            tokio::spawn(async move {
                let second = interrupted().await;
                eprintln!("quit before cleanup: resources named `{again}…` may remain");
                std::process::exit(second.status);
            });
            let pending = client.drained(client.timeout() + std::time::Duration::from_secs(1)).await;
            let _cleaning = cleaning.lock().await;
            let cleaner = client.for_cleanup();
            let cleanup = clean_up(&registry, &cleaner, &prefix, read_only).await;
            if pending > 0 {
                eprintln!("cleanup: {pending} requests were still in flight");
            }
            for line in cleanup.lines() {
                eprintln!("{line}");
            }
            std::process::exit(signal.status);
        });
    }
    let started = Instant::now();
    // The records come back in completion order; reports list them in plan order (suite files' order), the
    // order the lifecycle view places steps outside the IdP's catalogue in.
    let plan_order: std::collections::HashMap<String, usize> =
        planned.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
    // The generated checks take longest: each one that runs starts first; a profile's check that only
    // reads another profile's verdict comes last, so no thread sits waiting for it while scenarios wait.
    let mut selected = selected;
    selected.sort_by_key(|p| match generated_check(p) {
        Some((profile, what, mode)) if shared.generated.runs(GeneratedKey::new(what, mode), profile) => 0,
        Some(_) => 2,
        None => 1,
    });
    let trials: Vec<Trial> = selected
        .into_iter()
        .map(|planned| {
            let shared = shared.clone();
            let (read_only, properties) = (config.read_only, config.properties.clone());
            let selection::Planned { name, profile, kind, check } = planned;
            Trial::ignorable_test(name, move || match check {
                selection::Check::Scenario { suite, index } => {
                    let scenario = &suite.scenarios[index];
                    conclude(
                        &shared,
                        shared.handle.block_on(run_scenario(&shared, &profile, &suite, scenario, read_only)),
                    )
                }
                selection::Check::Generated { what, mode } => {
                    let properties = properties.expect("generated checks are planned only with their settings");
                    conclude(&shared, run_property(&shared, &profile, mode, what, &properties, read_only))
                }
            })
            .with_kind(kind)
        })
        .collect();
    let json_console = args.format == Some(libtest_mimic::FormatSetting::Json);
    console::run_trials(&args, trials);
    if client.stopped() {
        // Interrupted: the Ctrl-C task cleans up and ends the process; the summary would only list
        // requests that were never sent.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    let _cleaning = runtime.block_on(cleaning.lock_owned());
    // Its own gate: an interrupt from here on must not stop the cleanup.
    let cleaner = client.for_cleanup();
    let cleanup = runtime.block_on(clean_up(&registry, &cleaner, &run_prefix, config.read_only));
    let mut records = std::mem::take(&mut *shared.records.lock().expect("records lock"));
    records.sort_by_key(|r| plan_order.get(&r.name).copied().unwrap_or(usize::MAX));
    let known = known.map(|k| (k, narrowed(&config, &selection, &records)));
    let elapsed = started.elapsed();
    eprintln!();
    let notes: Vec<String> = shared
        .discovered
        .notes
        .iter()
        .cloned()
        .chain(shared.spc_contradictions())
        .chain(read_only_note(&records))
        .chain(config.client.pacing.note())
        .collect();
    for note in &notes {
        eprintln!("note: {note}");
    }
    for line in cleanup.lines() {
        eprintln!("{line}");
    }
    let meta = report::RunMeta {
        target: client.base_url().to_string(),
        profile: profile_names.join(", "),
        run_prefix,
        duration: elapsed,
        cleanup,
        timings: client.timings().report(),
        notes,
    };
    let outcome = RunOutcome::new(meta, records, profile_names, idps, known, client.clone());
    // A report that cannot be written fails the run (exit 2), whatever the verdict: CI must not read an
    // old or missing file as this run's.
    let written = keep.is_some() || outcome.write_reports(&config);
    if !stale.is_empty() {
        let update = config.snapshots.mode == snapshot::Mode::Update;
        eprintln!(
            "note: {} snapshot file{} no scenario produces any more (renamed or removed){}:",
            stale.len(),
            if stale.len() == 1 { "" } else { "s" },
            if update { "; deleted" } else { "; --snapshots update deletes them" }
        );
        for f in &stale {
            eprintln!("  {}", f.display());
            if update {
                let _ = std::fs::remove_file(f);
            }
        }
    }
    let (meta, summary, records) = (&outcome.meta, &outcome.summary, &outcome.records);
    let human = [
        timing::render(&meta.timings),
        report::lifecycle_view(&summary.readiness, &summary.causes),
        summary.matrix.render(),
        summary.render(meta),
    ];
    console::human(&human.concat(), json_console);
    let exit = if !written {
        Exit::Usage
    } else if let Some(line) = report::nothing_tested(records) {
        eprintln!("error: {line}");
        Exit::Usage
    } else if summary.passes() {
        Exit::Pass
    } else {
        Exit::Fail
    };
    if let Some(keep) = keep {
        keep.push(outcome);
    }
    exit
}

/// The run's baseline (`--baseline`), read and checked against every planned trial name.
pub(super) fn load_baseline(
    config: &RunConfig,
    planned: &[selection::Planned],
) -> Result<Option<baseline::Baseline>, baseline::BaselineError> {
    let Some(file) = &config.baseline else { return Ok(None) };
    let known = baseline::Baseline::load(file)?;
    let names: Vec<&str> = planned.iter().map(|p| p.name.as_str()).collect();
    known.check_names(&names)?;
    Ok(Some(known))
}

/// Whether the run left planned checks out (a name filter, `--suite`, `--read-only`, `--max-time`): a
/// waived root cause that did not appear may then just not have been tried.
pub(super) fn narrowed(config: &RunConfig, selection: &Selection, records: &[Record]) -> bool {
    let out_of_time = records.iter().any(
        |r| matches!(&r.outcome, Outcome::Blocked(f) if f.problems.iter().any(|p| p.kind == ProblemKind::Deadline)),
    );
    config.suite_pattern.is_some()
        || config.read_only
        || !selection.filters.is_empty()
        || !selection.skip.is_empty()
        || out_of_time
}

/// Snapshot files under the planned profiles (and suites, with `--suite`) that no planned scenario
/// produces. Scenarios skipped or filtered out still count as producing theirs.
pub(super) fn stale_snapshots(config: &RunConfig, plan: &Plan) -> Vec<PathBuf> {
    let c = &config.snapshots;
    if c.mode == snapshot::Mode::Off {
        return Vec::new();
    }
    let mut referenced = std::collections::HashSet::new();
    let mut dirs = Vec::new();
    for (profile, suites) in plan {
        if config.suite_pattern.is_none() {
            dirs.push(c.dir.join(&c.target).join(profile));
        }
        for suite in suites {
            if config.suite_pattern.is_some() {
                dirs.push(c.dir.join(&c.target).join(profile).join(&suite.name));
            }
            for scenario in &suite.scenarios {
                referenced.insert(c.file(profile, &suite.name, &scenario.name));
            }
        }
    }
    dirs.iter().flat_map(|d| snapshot::unreferenced(d, &referenced)).collect()
}
