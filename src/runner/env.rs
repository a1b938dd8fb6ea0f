//! Library mode's configuration: a run configured from `SCIM_*` environment variables and libtest's
//! arguments, for a vendor's own `tests/scim.rs`.

use std::path::PathBuf;

use libtest_mimic::Arguments;

use super::{RunConfig, Selection, property, snapshot};
use crate::auth::{AuthInput, AuthMethod, SecretMethod};
use crate::bundle::Source;
use crate::client::ClientConfig;
use crate::exit::Exit;

/// The run library mode makes (`crate::main_from_env`, a Rust project's own `tests/scim.rs`).
///
/// The target comes from the environment — `SCIM_BASE_URL`, `SCIM_TOKEN` (or `SCIM_BASIC_USER` with
/// `SCIM_PASSWORD`, or OAuth: `SCIM_AUTH`, `SCIM_TOKEN_URL`, `SCIM_CLIENT_ID`, `SCIM_CLIENT_SECRET`, the other
/// `SCIM_*` names of `run`'s authentication flags), and optionally
/// `SCIM_PROFILE` (default `rfc`), `SCIM_JUNIT` and `SCIM_JSON` (report files), `SCIM_SNAPSHOTS`
/// (`check`, `update`; default off), `SCIM_TARGET` and `SCIM_SNAPSHOT_DIR` (default `snapshots`) — and the command line
/// takes libtest's arguments (name filters, `--exact`, `--list`, `--test-threads` …). Without
/// `SCIM_BASE_URL` the base URL is empty, and the caller decides what to test instead. A mistake is printed
/// as one line and comes back as [`Exit::Usage`].
pub fn config_from_env() -> Result<RunConfig, Exit> {
    let args = Arguments::from_args();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let seed = match env("SCIM_SEED").map(|s| property::parse_seed(&s)).transpose() {
        Ok(seed) => seed.unwrap_or(property::DEFAULT_SEED),
        Err(e) => {
            eprintln!("error: SCIM_SEED: {e}");
            return Err(Exit::Usage);
        }
    };
    let mut config = RunConfig {
        client: ClientConfig::new(env("SCIM_BASE_URL").unwrap_or_default()),
        profiles: env("SCIM_PROFILE").map(|p| p.split(',').map(|x| x.trim().to_string()).collect()).unwrap_or_default(),
        app: env("SCIM_APP"),
        suites: Source::dir_or(env("SCIMTEST_SUITES").map(PathBuf::from), crate::bundle::Bundle::Suites),
        fixtures: Source::dir_or(env("SCIMTEST_FIXTURES").map(PathBuf::from), crate::bundle::Bundle::Fixtures),
        suite_pattern: None,
        read_only: env("SCIM_READ_ONLY").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        no_auth: env("SCIM_NO_AUTH").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        concurrency: 4,
        junit: env("SCIM_JUNIT").map(PathBuf::from),
        json: env("SCIM_JSON").map(PathBuf::from),
        markdown: env("SCIM_MARKDOWN").map(PathBuf::from),
        html: env("SCIM_HTML").map(PathBuf::from),
        har: env("SCIM_HAR").map(PathBuf::from),
        verbose: env("SCIM_VERBOSE").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        properties: Some(property::PropertyConfig { seed, ..property::PropertyConfig::default() }),
        snapshots: snapshot::SnapshotConfig::default(),
        max_time: env("SCIM_MAX_TIME").and_then(|s| s.parse().ok()).map(std::time::Duration::from_secs),
        selection: Selection::default(),
        baseline: env("SCIM_BASELINE").map(PathBuf::from),
        args,
    };
    let number = |k: &str| -> Result<Option<u64>, Exit> {
        env(k).map(|v| v.trim().parse::<u64>()).transpose().map_err(|_| {
            eprintln!("error: {k} is not a number of seconds\n  fix: e.g. {k}=600");
            Exit::Usage
        })
    };
    let method = match env("SCIM_AUTH").map(|m| <AuthMethod as clap::ValueEnum>::from_str(&m, true)).transpose() {
        Ok(m) => m,
        Err(_) => {
            eprintln!(
                "error: SCIM_AUTH is not an authentication method\n  fix: one of bearer, basic, client-credentials, jwt-assertion, none"
            );
            return Err(Exit::Usage);
        }
    };
    let client_auth = match env("SCIM_CLIENT_AUTH")
        .map(|m| <SecretMethod as clap::ValueEnum>::from_str(&m, true))
        .transpose()
    {
        Ok(m) => m,
        Err(_) => {
            eprintln!(
                "error: SCIM_CLIENT_AUTH is not basic or post\n  fix: SCIM_CLIENT_AUTH=basic (client_secret_basic) or post"
            );
            return Err(Exit::Usage);
        }
    };
    let input = AuthInput {
        method,
        token: env("SCIM_TOKEN"),
        basic_user: env("SCIM_BASIC_USER"),
        password: env(crate::client::PASSWORD_ENV),
        no_auth: config.no_auth,
        token_url: env("SCIM_TOKEN_URL"),
        client_id: env("SCIM_CLIENT_ID"),
        client_secret: env(crate::auth::token::SECRET_ENV),
        scope: env("SCIM_SCOPE"),
        resource: env("SCIM_RESOURCE"),
        audience: env("SCIM_AUDIENCE"),
        client_auth,
        assertion_key: env("SCIM_ASSERTION_KEY").map(PathBuf::from),
        assertion_alg: env("SCIM_ASSERTION_ALG"),
        assertion_iss: env("SCIM_ASSERTION_ISS"),
        assertion_sub: env("SCIM_ASSERTION_SUB"),
        assertion_aud: env("SCIM_ASSERTION_AUD"),
        assertion_lifetime: number("SCIM_ASSERTION_LIFETIME")?,
        assertion_kid: env("SCIM_ASSERTION_KID"),
        other_resource: env("SCIM_OAUTH_OTHER_RESOURCE"),
        expiry_wait: number("SCIM_AUTH_EXPIRY_WAIT")?,
    };
    let max_rps = match env("SCIM_MAX_RPS").map(|n| n.parse::<u32>()).transpose() {
        Ok(given) => given.or_else(|| crate::client::default_max_rps(&config.client.base_url)).filter(|n| *n > 0),
        Err(_) => {
            eprintln!("error: SCIM_MAX_RPS is not a whole number\n  fix: e.g. SCIM_MAX_RPS=25 (0: no cap)");
            return Err(Exit::Usage);
        }
    };
    config.client.pacing = crate::client::Pacing::new(max_rps);
    (config.client.credential, config.no_auth) = match input.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(Exit::Usage);
        }
    };
    if let Some(mode) = env("SCIM_SNAPSHOTS") {
        match mode.parse() {
            Ok(mode) => config.snapshots.mode = mode,
            Err(e) => {
                eprintln!("error: SCIM_SNAPSHOTS: {e}");
                return Err(Exit::Usage);
            }
        }
    }
    config.snapshots.dir = env("SCIM_SNAPSHOT_DIR").map_or_else(|| PathBuf::from("snapshots"), PathBuf::from);
    config.snapshots.ci = snapshot::is_ci(|k| std::env::var(k).ok());
    let target = env("SCIM_TARGET").or_else(|| {
        if config.client.base_url.is_empty() {
            Some("reference".into())
        } else {
            snapshot::target_from_url(&config.client.base_url)
        }
    });
    config.snapshots.target = target.unwrap_or_else(|| "default".into());
    if let Err(e) = snapshot::check_target(&config.snapshots.target) {
        eprintln!("error: SCIM_TARGET: {e}");
        return Err(Exit::Usage);
    }
    // Minimal failing inputs go under the working directory, per target; the bundled server keeps none.
    if let Some(p) = config.properties.as_mut() {
        p.regressions = env("SCIM_REGRESSIONS").map(PathBuf::from).or_else(|| {
            (!config.client.base_url.is_empty()).then(|| property::default_regressions_dir(&config.snapshots.target))
        });
    }
    Ok(config)
}
