//! The `scimtest selftest` orchestration: the bundled reference server started in-process on a loopback
//! port, and the runner pointed at its URL. The only module besides `cli` that knows both the server and
//! the runner; they never know each other.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::auth::{AssertionKey, OAuthSettings};
use crate::bundle::Source;
use crate::client::Credential;
use crate::exit::Exit;
use crate::runner::{RunConfig, RunOutcome, config_from_env, run, run_on_keeping, selects_any};
use crate::server::oauth::{self, FederatedClient, OAuthConfig};
use crate::server::{ServerConfig, ServerMode, spawn};
use crate::suite;

/// How the harness gets its token from the bundled server's token endpoint: the two ways Entra's gallery
/// accepts for new apps (idp-behaviour.md §10.1). Selftest runs every profile once each way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFlow {
    /// Client credentials with a secret (RFC 6749 §4.4, `client_secret_basic`).
    ClientCredentials,
    /// Workload identity federation: an RFC 7523 client assertion signed as Entra with the public test key
    /// `fixtures/oauth/entra-test-rs256.pem` (Entra signs RS256).
    JwtAssertion,
}

impl OAuthFlow {
    pub const ALL: [OAuthFlow; 2] = [OAuthFlow::ClientCredentials, OAuthFlow::JwtAssertion];

    pub fn describe(self) -> &'static str {
        match self {
            OAuthFlow::ClientCredentials => "client credentials (RFC 6749 §4.4)",
            OAuthFlow::JwtAssertion => "a JWT client assertion signed as Entra (RFC 7523)",
        }
    }
}

/// The key "Entra" signs assertions with in selftest and the tests, and its `kid` in
/// `fixtures/oauth/entra-test-jwks.json`, which the bundled server trusts.
pub const ENTRA_TEST_KEY: (&str, &str) = ("oauth/entra-test-rs256.pem", "entra-test-rs256");

/// How selftest and the tests authenticate to the bundled server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundledAuth {
    /// The server's static bearer token (`ServerConfig::token`).
    Bearer,
    /// The server as an OAuth authorization server (`serve --oauth`), and the harness getting its tokens
    /// from it `flow`'s way; issued tokens live `token_lifetime`, and the expired-token check may wait
    /// `expiry_wait` for one.
    OAuth { flow: OAuthFlow, token_lifetime: Duration, expiry_wait: Duration },
}

impl BundledAuth {
    /// `flow` with the server's default token lifetime (an hour, in Entra's range) and no waiting.
    pub fn oauth(flow: OAuthFlow) -> BundledAuth {
        BundledAuth::OAuth { flow, token_lifetime: oauth::DEFAULT_TOKEN_LIFETIME, expiry_wait: Duration::ZERO }
    }
}

/// The second `rfc` run of selftest: 3-second tokens, so the harness refreshes its token several times in the
/// run and the expired-token check waits one out. (The identity-provider profiles keep hour-long tokens:
/// Entra's gallery requires 60 minutes to 6 hours.)
const SHORT_TOKENS: BundledAuth = BundledAuth::OAuth {
    flow: OAuthFlow::JwtAssertion,
    token_lifetime: Duration::from_secs(3),
    expiry_wait: Duration::from_secs(5),
};

/// A client secret for one process: never printed, long enough to be searched for and hidden.
fn process_secret() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("selftest-secret-{}-{nanos:09}", std::process::id())
}

/// The bundled server's OAuth settings: the client `scimtest` with `secret`, and the same client federated
/// from Entra's test issuer, trusting the public test keys (`fixtures/oauth/entra-test-jwks.json`).
pub fn oauth_server_config(fixtures: &Source, secret: &str, token_lifetime: Duration) -> Result<OAuthConfig, String> {
    let file = "oauth/entra-test-jwks.json";
    let jwks = fixtures
        .read(file)
        .map_err(|e| format!("cannot read {}: {e}", fixtures.path(file).display()))
        .and_then(|text| oauth::parse_jwk_set(&text).map_err(|e| format!("{}: {e}", fixtures.path(file).display())))?;
    Ok(OAuthConfig { token_lifetime, ..OAuthConfig::default() }
        .with_client(oauth::DEFAULT_CLIENT_ID, secret)
        .with_federated(FederatedClient::new(oauth::DEFAULT_CLIENT_ID, jwks)))
}

/// The harness's credential for the bundled server at `root` (`http://127.0.0.1:port`), got `flow`'s way, as
/// Entra gets one (§10.1): `scope=scim`, an assertion from Entra's issuer for `api://<app id>`. It also asks for
/// tokens for the server's other audience (the wrong-audience check).
pub fn oauth_credential(
    fixtures: &Source,
    flow: OAuthFlow,
    root: &str,
    secret: &str,
    expiry_wait: Duration,
) -> Result<Credential, String> {
    let token_url = format!("{root}{}", oauth::TOKEN_PATH);
    let mut settings = match flow {
        OAuthFlow::ClientCredentials => OAuthSettings::client_credentials(token_url, oauth::DEFAULT_CLIENT_ID, secret),
        OAuthFlow::JwtAssertion => {
            let (file, kid) = ENTRA_TEST_KEY;
            let pem = fixtures.read(file).map_err(|e| format!("cannot read {}: {e}", fixtures.path(file).display()))?;
            let key = AssertionKey::from_pem(pem.as_bytes(), &fixtures.path(file).display().to_string(), None)
                .map_err(|e| e.to_string())?;
            let mut settings = OAuthSettings::jwt_assertion(token_url, oauth::DEFAULT_CLIENT_ID, key);
            let assertion = settings.assertion_mut().expect("an assertion flow");
            assertion.issuer = oauth::DEFAULT_TRUSTED_ISSUER.into();
            assertion.audience = oauth::DEFAULT_AUDIENCE.into();
            assertion.kid = Some(kid.into());
            settings
        }
    };
    settings.scope = Some("scim".into());
    settings.other_resource = Some(oauth::DEFAULT_OTHER_AUDIENCE.into());
    settings.expiry_wait = expiry_wait;
    Ok(Credential::oauth(settings))
}

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
    bundled_server_run(config, server, &BundledAuth::Bearer, None)
}

/// [`run_against_bundled_server`]; with `keep`, the run's outcome goes there instead of its report files
/// (see [`run_on_keeping`]).
fn bundled_server_run(
    mut config: RunConfig,
    mut server: ServerConfig,
    auth: &BundledAuth,
    keep: Option<&mut Vec<RunOutcome>>,
) -> Exit {
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
    let secret = process_secret();
    if let BundledAuth::OAuth { token_lifetime, .. } = auth {
        match oauth_server_config(&config.fixtures, &secret, *token_lifetime) {
            Ok(o) => server.oauth = Some(o),
            Err(e) => {
                eprintln!("error: {e}\n  fix: selftest needs fixtures/oauth/ (bundled; or in --fixture-dir)");
                return Exit::Usage;
            }
        }
    }
    let running = match runtime.block_on(spawn(server)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the reference server on 127.0.0.1: {e}");
            return Exit::Usage;
        }
    };
    config.client.base_url = running.base_url();
    config.client.credential = match auth {
        BundledAuth::Bearer => token.map_or(Credential::None, Credential::Bearer),
        BundledAuth::OAuth { flow, expiry_wait, .. } => {
            let root = format!("http://{}", running.addr);
            match oauth_credential(&config.fixtures, *flow, &root, &secret, *expiry_wait) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}\n  fix: selftest needs fixtures/oauth/ (bundled; or in --fixture-dir)");
                    let _ = runtime.block_on(running.shutdown());
                    return Exit::Usage;
                }
            }
        }
    };
    let exit = run_on_keeping(&runtime, config, keep);
    let _ = runtime.block_on(running.shutdown());
    exit
}

/// Every profile under `suites/profiles/` against the bundled server, each in the mode it is judged in:
/// `rfc` against the strict server, the identity-provider profiles against the compat one; all of it
/// twice, the harness getting its token from the server (`serve --oauth`) with client credentials, then
/// with a JWT assertion signed as Entra. The report files (`--json`, `--html` …) are written once for all
/// of it, as if one run: every check once (judged by both ways, a failure of either shows; a check only
/// one way can judge, by that one), the summary and matrix over all of them, the target naming each
/// group's server mode and way. Returns the worst exit code of the groups (2 if a report cannot be written).
pub fn every_profile_against_bundled_server(config: RunConfig) -> Exit {
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
    // Strict (rfc) first, then the IdP profiles on the compat server; each way of getting a token in turn.
    for flow in OAuthFlow::ALL {
        for (strict, profiles) in groups.iter().rev() {
            let mut c = config.clone();
            c.profiles = profiles.clone();
            // A name filter may select checks of one group only: the other is not started at all.
            if !selects_any(&c) {
                continue;
            }
            ran += 1;
            let mode = if *strict { ServerMode::Strict } else { ServerMode::Compat };
            let mode_name = if *strict { "strict" } else { "compat" };
            println!(
                "\n=== {} against the bundled server in {mode_name} mode, with {}",
                c.profiles.join(", "),
                flow.describe()
            );
            let server = ServerConfig { mode, seed_users: seed_users_for(mode), ..Default::default() };
            let auth = if *strict && flow == OAuthFlow::JwtAssertion { SHORT_TOKENS } else { BundledAuth::oauth(flow) };
            let kept = outcomes.len();
            worst = worst.max(bundled_server_run(c, server, &auth, Some(&mut outcomes)));
            if let Some(outcome) = outcomes.get_mut(kept) {
                let meta = &mut outcome.meta;
                meta.target = format!(
                    "{} (bundled server, {mode_name} mode, {}: {})",
                    meta.target,
                    flow.describe(),
                    meta.profile
                );
            }
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
            print!(
                "\n=== both server modes and both ways of getting a token together\n{}",
                merged.summary.closing_lines()
            );
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
