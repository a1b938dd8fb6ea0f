//! The `scimtest selftest` orchestration: the bundled reference server started in-process on a loopback
//! port, and the runner pointed at its URL. The only module besides `cli` that knows both the server and
//! the runner; they never know each other.

use std::collections::BTreeMap;

use crate::client::Credential;
use crate::exit::Exit;
use crate::runner::{RunConfig, RunOutcome, config_from_env, run, run_on_keeping, selects_any};
use crate::server::{ServerConfig, ServerMode, spawn};
use crate::suite;

/// The users the bundled server holds before identity-provider profiles run against it (compat mode):
/// Okta runs its SPEC test against a tenant seeded with one complete user (O-Q24). Never the harness's:
/// no run creates, changes or deletes them.
pub fn seed_users_for(mode: ServerMode) -> usize {
    if mode == ServerMode::Compat { 1 } else { 0 }
}

/// The mode the bundled server runs in for a profile: the strict RFC server for `rfc`, the compat one
/// (what Entra ID and Okta need) for the identity-provider profiles.
pub fn server_mode_for(profile: &str) -> ServerMode {
    if profile == "rfc" { ServerMode::Strict } else { ServerMode::Compat }
}

/// Starts the bundled reference server on an ephemeral loopback port and runs every suite against it.
pub fn run_against_bundled_server(config: RunConfig, server: ServerConfig) -> Exit {
    bundled_server_run(config, server, None)
}

/// [`run_against_bundled_server`]; with `keep`, the run's outcome goes there instead of its report files
/// (see [`run_on_keeping`]).
fn bundled_server_run(mut config: RunConfig, mut server: ServerConfig, keep: Option<&mut Vec<RunOutcome>>) -> Exit {
    // The bundled server plays one built for the app: it declares and stores the app's own extensions.
    // (An app that does not load is reported by the run.)
    if let Some(Ok(app)) = config.app.as_deref().map(|a| suite::load_app(&config.suites, a)) {
        server.user_extensions.extend(app.extensions.into_iter().map(|e| e.document));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    let token = server.token.clone();
    let running = match runtime.block_on(spawn(server)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the reference server on 127.0.0.1: {e}");
            return Exit::Usage;
        }
    };
    config.client.base_url = running.base_url();
    config.client.credential = token.map_or(Credential::None, Credential::Bearer);
    let exit = run_on_keeping(&runtime, config, keep);
    let _ = runtime.block_on(running.shutdown());
    exit
}

/// Every profile under `suites/profiles/` against the bundled server, each in the mode it is judged in:
/// `rfc` against the strict server, the identity-provider profiles against the compat one. The report
/// files (`--json`, `--html` …) are written once for both groups, as if one run: every record, the
/// summary and matrix over all of them, the target naming each group's server mode. Returns the worst
/// exit code of the groups (2 if a report cannot be written).
pub fn every_profile_against_bundled_server(config: RunConfig, token: &str) -> Exit {
    if let Err(e) = config.snapshots.require_baseline() {
        eprintln!("error: {e}");
        return Exit::Usage;
    }
    // `--profile` narrows selftest to those profiles (`all`: every one, the default).
    let named = match crate::runner::expand_profiles(&config.suites, &config.profiles) {
        Ok(named) => named,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let profiles: Vec<String> = match config.suites.list("profiles", "toml") {
        Ok(_) if !named.is_empty() => named,
        Ok(files) => files.iter().filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned())).collect(),
        Err(e) => {
            eprintln!(
                "error: cannot list {}: {e}\n  fix: pass a suites directory holding profiles/ with --suite-dir DIR, \
                 or leave it out for the bundled suites",
                config.suites.path("profiles").display()
            );
            return Exit::Usage;
        }
    };
    let all = profiles.clone();
    let mut groups: BTreeMap<bool, Vec<String>> = BTreeMap::new();
    for p in profiles {
        groups.entry(server_mode_for(&p) == ServerMode::Strict).or_default().push(p);
    }
    let mut worst = Exit::Pass;
    let mut ran = 0;
    let mut outcomes: Vec<RunOutcome> = Vec::new();
    // Strict (rfc) first, then the IdP profiles on the compat server.
    for (strict, profiles) in groups.into_iter().rev() {
        let mut c = config.clone();
        c.profiles = profiles;
        // A name filter may select checks of one group only: the other is not started at all.
        if !selects_any(&c) {
            continue;
        }
        ran += 1;
        let mode = if strict { ServerMode::Strict } else { ServerMode::Compat };
        let mode_name = if strict { "strict" } else { "compat" };
        println!("\n=== {} against the bundled server in {mode_name} mode", c.profiles.join(", "));
        let seed_users = seed_users_for(mode);
        let server = ServerConfig { token: Some(token.to_string()), mode, seed_users, ..Default::default() };
        let kept = outcomes.len();
        worst = worst.max(bundled_server_run(c, server, Some(&mut outcomes)));
        if let Some(outcome) = outcomes.get_mut(kept) {
            let meta = &mut outcome.meta;
            meta.target = format!("{} (bundled server, {mode_name} mode: {})", meta.target, meta.profile);
        }
    }
    if ran == 0 {
        // Nothing selected anywhere: planning every profile reports the mistake (exit 2, no request sent).
        return run(RunConfig { profiles: all, ..config });
    }
    let several = outcomes.len() > 1;
    if let Some(merged) = RunOutcome::merge(outcomes) {
        if !merged.write_reports(&config) {
            worst = worst.max(Exit::Usage);
        }
        if several {
            // Closing on the plain `scimtest: N passed …` line, as a run does.
            print!("\n=== both server modes together\n{}", merged.summary.closing_lines());
        }
    }
    worst
}

/// What library mode says when it tests the bundled server instead of the caller's endpoint.
pub const BUNDLED_SERVER_BANNER: &str = "\
=== scimtest: SCIM_BASE_URL is not set, so this tests scimtest's BUNDLED REFERENCE SERVER, NOT YOUR ENDPOINT ===
    set SCIM_BASE_URL (and SCIM_TOKEN) to check yours: SCIM_BASE_URL=https://… cargo test --test scim";

/// For a Rust project's own `tests/scim.rs` (`harness = false`): runs the suites inside `cargo test`,
/// configured from the environment ([`config_from_env`] lists the variables). Without `SCIM_BASE_URL`
/// the suites run against the bundled reference server, which shows what passing looks like; the
/// summary says which target was used.
pub fn main_from_env() -> std::process::ExitCode {
    let mut config = match config_from_env() {
        Ok(config) => config,
        Err(exit) => return exit.into(),
    };
    let exit = if config.client.base_url.is_empty() {
        // Said before and after, where nobody can miss it: a green `cargo test` here proves nothing about
        // the vendor's own endpoint.
        eprintln!("{BUNDLED_SERVER_BANNER}");
        let token = format!("local-{}", std::process::id());
        config.client.credential = Credential::Bearer(token.clone());
        let mode = server_mode_for(&config.main_profile());
        let server = ServerConfig { token: Some(token), mode, seed_users: seed_users_for(mode), ..Default::default() };
        let exit = run_against_bundled_server(config, server);
        eprintln!("{BUNDLED_SERVER_BANNER}");
        exit
    } else {
        run(config)
    };
    exit.into()
}
