//! The `scimtest` command line: arguments and environment in, one validated configuration, one call into
//! the library, one [`Exit`] out. `main.rs` only calls [`main`].

mod args;

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;

use crate::bundle::{Bundle, Source};
use crate::exit::Exit;
use crate::filter::{Dialect, UnknownAttributes};
use crate::runner::snapshot::{self, SnapshotConfig};
use crate::runner::{RunConfig, Selection};
use crate::tools::{self, Report, SchemaSource};
use args::{
    Cli, Color, Command, FilterCommand, Format, ModeArg, PatchCommand, ServeMode, SnapshotMode, SuitesCommand, Unknown,
};

/// Parses the command line and runs the command.
pub fn main() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout (a closed pipe is not worth a panic); mistakes are exit 2.
            let _ = e.print();
            return if e.use_stderr() { Exit::Usage } else { Exit::Pass };
        }
    };
    match cli.command {
        Command::Run(args) => match run_config(args) {
            Ok(config) => crate::runner::run(config),
            Err(e) => usage(&e),
        },
        Command::Selftest(args) => selftest(args),
        Command::Clean(args) => clean(args),
        Command::Serve(args) => serve(args),
        Command::Load(args) => load(args),
        Command::Baseline { from, reason } => baseline(&from, &reason),
        Command::Suites { command: SuitesCommand::List { suite_dir } } => {
            emit(&tools::suites_list(&Source::dir_or(suite_dir, Bundle::Suites)))
        }
        Command::Suites { command: SuitesCommand::Export { dir, force } } => emit(&tools::suites_export(&dir, force)),
        Command::Filter { command: FilterCommand::Parse { filter, strict } } => {
            emit(&tools::filter_parse(&filter, dialect(strict)))
        }
        Command::Filter { command: FilterCommand::Eval { filter, resources, schema, strict, unknown_attributes } } => {
            let unknown = match unknown_attributes {
                Unknown::Error => UnknownAttributes::Error,
                Unknown::NoMatch => UnknownAttributes::NoMatch,
            };
            emit(&tools::filter_eval(&filter, &resources, &schema_source(schema), dialect(strict), unknown))
        }
        Command::Patch { command: PatchCommand::Apply { resource, patch, mode, schema } } => {
            let mode = match mode {
                ModeArg::Rfc => crate::patch::Mode::Rfc,
                ModeArg::Entra => crate::patch::Mode::Entra,
                ModeArg::Okta => crate::patch::Mode::Okta,
                ModeArg::Jumpcloud => crate::patch::Mode::Jumpcloud,
                ModeArg::Compat => crate::patch::Mode::Compat,
            };
            emit(&tools::patch_apply(&resource, &patch, &schema_source(schema), mode))
        }
    }
}

/// A usage mistake: one `error:` line (with its `fix:` lines), exit 2.
fn usage(message: &str) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

fn dialect(strict: bool) -> Dialect {
    if strict { Dialect::Strict } else { Dialect::Compat }
}

fn schema_source(a: args::SchemaArgs) -> SchemaSource {
    SchemaSource { schemas: a.schemas, resource_types: a.resource_types, resource_type: a.resource_type }
}

/// `Name: value` pairs from `--header`.
fn headers(given: &[String]) -> Result<Vec<(String, String)>, String> {
    given
        .iter()
        .map(|h| match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("--header `{h}` is not `Name: value`\n  fix: e.g. --header 'X-Tenant: acme'")),
        })
        .collect()
}

/// The client settings shared by `run` and `clean`.
fn client_config(target: &args::TargetArgs, auth: &args::AuthArgs) -> Result<crate::client::ClientConfig, String> {
    let url = target.url.clone().unwrap_or_default();
    let mut client = crate::client::ClientConfig::new(url);
    (client.credential, _) = auth_input(auth).resolve().map_err(|e| e.to_string())?;
    client.headers = headers(&target.headers)?;
    client.timeout = std::time::Duration::from_secs(target.timeout);
    let max_rps = target.max_rps.or_else(|| crate::client::default_max_rps(&client.base_url)).filter(|n| *n > 0);
    client.pacing = crate::client::Pacing::new(max_rps);
    Ok(client)
}

/// The authentication flags (and the two secrets' environment variables) as one input.
fn auth_input(auth: &args::AuthArgs) -> crate::auth::AuthInput {
    let env = |k: &str| std::env::var(k).ok();
    crate::auth::AuthInput {
        method: auth.method,
        token: auth.token.clone(),
        basic_user: auth.basic.clone(),
        password: env(crate::client::PASSWORD_ENV),
        no_auth: auth.no_auth,
        token_url: auth.token_url.clone(),
        client_id: auth.client_id.clone(),
        client_secret: env(crate::auth::token::SECRET_ENV),
        scope: auth.scope.clone(),
        resource: auth.resource.clone(),
        audience: auth.audience.clone(),
        client_auth: auth.client_auth,
        assertion_key: auth.assertion_key.clone(),
        assertion_alg: auth.assertion_alg.clone(),
        assertion_iss: auth.assertion_iss.clone(),
        assertion_sub: auth.assertion_sub.clone(),
        assertion_aud: auth.assertion_aud.clone(),
        assertion_lifetime: auth.assertion_lifetime,
        assertion_kid: auth.assertion_kid.clone(),
        other_resource: auth.oauth_other_resource.clone(),
        expiry_wait: auth.auth_expiry_wait,
    }
}

/// libtest's settings for the console: the format, colours and threads. Selection is scimtest's own
/// ([`Selection`]), so a selection that runs nothing is caught before any request.
fn console(output: &args::OutputArgs, concurrency: u16) -> libtest_mimic::Arguments {
    libtest_mimic::Arguments {
        test_threads: Some(usize::from(concurrency)),
        format: Some(match output.format {
            Format::Pretty => libtest_mimic::FormatSetting::Pretty,
            Format::Terse => libtest_mimic::FormatSetting::Terse,
            Format::Json => libtest_mimic::FormatSetting::Json,
        }),
        color: Some(match output.color {
            Color::Auto => libtest_mimic::ColorSetting::Auto,
            Color::Always => libtest_mimic::ColorSetting::Always,
            Color::Never => libtest_mimic::ColorSetting::Never,
        }),
        ..libtest_mimic::Arguments::default()
    }
}

/// The settings `run` and `selftest` share: how checks run and what the run writes.
fn execution_and_output(config: &mut RunConfig, execution: &args::ExecutionArgs, output: args::OutputArgs) {
    config.args = console(&output, execution.concurrency);
    config.concurrency = usize::from(execution.concurrency);
    config.max_time = (execution.max_time > 0).then(|| std::time::Duration::from_secs(execution.max_time));
    config.junit = output.junit;
    config.json = output.json;
    config.markdown = output.markdown;
    config.html = output.html;
    config.har = output.har;
    config.verbose = output.verbose;
}

fn locations(config: &mut RunConfig, locations: args::Locations) {
    config.suites = Source::dir_or(locations.suite_dir, Bundle::Suites);
    config.fixtures = Source::dir_or(locations.fixture_dir, Bundle::Fixtures);
}

/// `scimtest run`'s arguments as one validated configuration.
fn run_config(args: args::RunArgs) -> Result<RunConfig, String> {
    let selection = &args.selection;
    if !selection.list {
        match args.target.url.as_deref() {
            None | Some("") => {
                return Err("no SCIM endpoint given\n  fix: pass --url https://example.com/scim/v2 (or set \
                            SCIM_BASE_URL); --list needs none"
                    .into());
            }
            Some(_) => {}
        }
    }
    let client = client_config(&args.target, &args.auth)?;
    let url = client.base_url.clone();
    let mut config = RunConfig::new(client);
    locations(&mut config, args.locations);
    config.selection = Selection {
        filters: selection.filters.clone(),
        exact: selection.exact,
        skip: selection.skip.clone(),
        list: selection.list,
    };
    config.profiles = selection.profiles.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    config.app = selection.app.clone();
    config.suite_pattern = selection.suite.clone();
    config.read_only = selection.read_only;
    config.baseline = selection.baseline.clone();
    config.no_auth = args.auth.no_auth || args.auth.method == Some(crate::auth::AuthMethod::None);
    execution_and_output(&mut config, &args.execution, args.output);
    // A URL without a host gets its one-line message from the pre-flight; until then it needs no name.
    let target = snapshot::target_from_url(&url);
    let named = target.is_some() || args.snapshots.target.is_some();
    config.snapshots =
        snapshot_config(args.snapshots, target.or_else(|| Some("unnamed".into())), snapshot::default_dir())?;
    if !named && config.snapshots.mode != snapshot::Mode::Off {
        return Err("cannot name the snapshot folder after the URL's host\n  fix: pass --target NAME".into());
    }
    let regressions = crate::runner::property::default_regressions_dir(&config.snapshots.target);
    config.properties = generated_config(&args.generated, Some(regressions), 1000);
    Ok(config)
}

/// The validated snapshot settings; `default_target` and `default_dir` apply when not given.
fn snapshot_config(
    args: args::SnapshotArgs,
    default_target: Option<String>,
    default_dir: PathBuf,
) -> Result<SnapshotConfig, String> {
    let mode = match args.snapshots {
        SnapshotMode::Check => snapshot::Mode::Check,
        SnapshotMode::Update => snapshot::Mode::Update,
        SnapshotMode::Off => snapshot::Mode::Off,
    };
    let Some(target) = args.target.or(default_target) else {
        return Err("cannot name the snapshot folder after the URL's host\n  fix: pass --target NAME".into());
    };
    snapshot::check_target(&target).map_err(|e| format!("--{e}"))?;
    let redact = args
        .redact
        .iter()
        .map(|r| r.parse().map_err(|e| format!("--redact: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(SnapshotConfig {
        mode,
        dir: args.snapshot_dir.unwrap_or(default_dir),
        target,
        redact,
        ci: snapshot::is_ci(|k| std::env::var(k).ok()),
    })
}

/// The generated checks' settings (`None`: `--no-generated`); `regressions` is the default directory for
/// minimal failing inputs (`None`: keep none).
fn generated_config(
    args: &args::GeneratedArgs,
    regressions: Option<PathBuf>,
    default_cases: u32,
) -> Option<crate::runner::property::PropertyConfig> {
    let cases = args.cases.unwrap_or(default_cases);
    (!args.no_generated).then(|| crate::runner::property::PropertyConfig {
        filter_cases: cases,
        patch_cases: (cases / 2).max(1),
        seed: args.seed.unwrap_or(crate::runner::property::DEFAULT_SEED),
        budget: std::time::Duration::from_secs(args.budget),
        regressions: args.regressions.clone().or(regressions),
    })
}

fn selftest(args: args::SelftestArgs) -> Exit {
    let snapshots = match snapshot_config(args.snapshots, Some("reference".into()), snapshot::default_dir()) {
        Ok(s) => s,
        Err(e) => return usage(&e),
    };
    let fixtures = Source::dir_or(args.locations.fixture_dir.clone(), Bundle::Fixtures);
    // The core first: every RFC 7644 example and the filter corpora, through the engines.
    let core = tools::core_check(&fixtures);
    if core.exit != Exit::Pass {
        return emit(&core);
    }
    if let Some(last) = core.stdout.lines().last() {
        let mut out = std::io::stdout();
        let _ = writeln!(out, "core self-check — {}", last.trim_start_matches("selftest: "));
    }
    // The credential is the bundled server's: selftest gets its tokens from it (crate::selftest).
    let mut config = RunConfig::new(crate::client::ClientConfig::new("http://127.0.0.1"));
    locations(&mut config, args.locations);
    config.selection = Selection { filters: args.filters, exact: args.exact, ..Selection::default() };
    config.profiles = args.profiles.iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    execution_and_output(&mut config, &args.execution, args.output);
    // Fewer generated cases than `run`: selftest proves the harness end to end in seconds; `cargo test`
    // runs the full 1,000 / 500 against the same server. The bundled server is right by construction, so
    // nothing is kept unless --regressions says where (never in the harness's own files).
    config.properties = generated_config(&args.generated, None, 250);
    config.snapshots = snapshots;
    crate::selftest::every_profile_against_bundled_server(config)
}

fn clean(args: args::CleanArgs) -> Exit {
    if args.target.url.as_deref().is_none_or(str::is_empty) {
        return usage("no SCIM endpoint given\n  fix: pass --url https://example.com/scim/v2 (or set SCIM_BASE_URL)");
    }
    match client_config(&args.target, &args.auth) {
        Ok(config) => crate::runner::clean(config, args.delete),
        Err(e) => usage(&e),
    }
}

/// `scimtest load`: the configuration checked, then [`crate::load::main`].
fn load(args: args::LoadArgs) -> Exit {
    use std::io::IsTerminal;
    if args.target.url.as_deref().is_none_or(str::is_empty) {
        return usage("no SCIM endpoint given\n  fix: pass --url https://example.com/scim/v2 (or set SCIM_BASE_URL)");
    }
    if args.target.max_rps.is_some() {
        return usage(
            "--max-rps does not pace `scimtest load`\n  fix: pass --rate N (requests per second; 0: unpaced)",
        );
    }
    let profile = match args.profile {
        args::LoadProfile::Entra => crate::load::Profile::Entra,
        args::LoadProfile::Okta => crate::load::Profile::Okta,
    };
    match client_config(&args.target, &args.auth) {
        Ok(client) => crate::load::main(crate::load::LoadConfig {
            client,
            profile,
            rate: (args.rate > 0).then_some(args.rate),
            duration: std::time::Duration::from_secs(args.duration),
            max_requests: args.max_requests,
            concurrency: usize::from(args.concurrency),
            json: args.json,
            html: args.html,
            progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        }),
        Err(e) => usage(&e),
    }
}

fn serve(args: args::ServeArgs) -> Exit {
    use crate::server::{Fault, ServerConfig, ServerMode};
    if args.list_faults {
        let list: String = Fault::ALL.iter().map(|f| format!("{:<28} {}\n", f.name(), f.description())).collect();
        // Written at once and errors ignored, so `--list-faults | head` ends quietly.
        let _ = std::io::stdout().write_all(list.as_bytes());
        return Exit::Pass;
    }
    let mut faults = std::collections::BTreeSet::new();
    for name in &args.faults {
        match name.parse::<Fault>() {
            Ok(f) => {
                faults.insert(f);
            }
            Err(e) => return usage(&e.to_string()),
        }
    }
    let oauth = match serve_oauth(&args.oauth) {
        Ok(oauth) => oauth,
        Err(e) => return usage(&e),
    };
    let config = ServerConfig {
        // With --oauth SCIM takes only the access tokens of the token endpoint.
        token: args.token.filter(|t| !t.is_empty() && oauth.is_none()),
        oauth,
        mode: match args.mode {
            ServeMode::Compat => ServerMode::Compat,
            ServeMode::Strict => ServerMode::Strict,
        },
        faults,
        rate_limit: (args.rate_limit > 0).then_some(args.rate_limit),
        answer_delay: std::time::Duration::from_millis(args.delay_ms),
        ..ServerConfig::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return usage(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.addr).await {
            Ok(l) => l,
            Err(e) => {
                return usage(&format!(
                    "cannot listen on {}: {e}\n  fix: pick another address with --addr 127.0.0.1:PORT",
                    args.addr
                ));
            }
        };
        let addr = listener.local_addr().unwrap_or(args.addr);
        let auth = if config.oauth.is_some() {
            "OAuth access tokens required"
        } else if config.token.is_some() {
            "bearer token required"
        } else {
            "no authentication"
        };
        let oauth_lines = config.oauth.as_ref().map(|o| serve_oauth_lines(o, &format!("http://{addr}")));
        let state = crate::server::state(config);
        if args.seed_users > 0 {
            state.seed_users(args.seed_users as usize, &format!("http://{addr}{}", state.config().base_path));
        }
        let faults: Vec<&str> = state.config().faults.iter().map(|f| f.name()).collect();
        eprintln!(
            "scimtest serve: http://{addr}{} ({auth}; {} users seeded{})",
            state.config().base_path,
            args.seed_users,
            if faults.is_empty() { String::new() } else { format!("; faults: {}", faults.join(", ")) }
        );
        if let Some(lines) = oauth_lines {
            eprint!("{lines}");
        }
        let shutdown = async {
            let signal = crate::runner::interrupted().await;
            eprintln!("scimtest serve: {} — shutting down", signal.name);
        };
        match crate::server::serve(listener, state, shutdown).await {
            Ok(()) => Exit::Pass,
            Err(e) => {
                eprintln!("error: the server stopped: {e}");
                Exit::Fail
            }
        }
    })
}

/// The authorization server `serve --oauth` is asked for: a secret client when SCIM_CLIENT_SECRET is set,
/// a federated client when --oauth-trust-jwks names a JWK Set. The error is a usage message with a fix.
fn serve_oauth(args: &args::ServeOAuthArgs) -> Result<Option<crate::server::OAuthConfig>, String> {
    use crate::server::{FederatedClient, OAuthConfig, oauth};
    if !args.oauth {
        return Ok(None);
    }
    let mut config = OAuthConfig {
        audience: args.oauth_audience.clone(),
        token_lifetime: std::time::Duration::from_secs(args.oauth_token_lifetime),
        ..OAuthConfig::default()
    };
    config.other_audiences.retain(|a| *a != config.audience);
    if let Some(secret) = std::env::var("SCIM_CLIENT_SECRET").ok().filter(|s| !s.is_empty()) {
        config = config.with_client(&args.oauth_client_id, secret);
    }
    if let Some(file) = &args.oauth_trust_jwks {
        let text = std::fs::read_to_string(file).map_err(|e| {
            format!(
                "cannot read the JWK Set {}: {e}\n  fix: pass the issuer's JWKS file, e.g. --oauth-trust-jwks \
                 fixtures/oauth/entra-test-jwks.json",
                file.display()
            )
        })?;
        let jwks = oauth::parse_jwk_set(&text).map_err(|e| {
            format!(
                "the JWK Set {} {e}\n  fix: pass a JSON {{\"keys\": [...]}} document of the issuer's public keys, \
                 each with a kid",
                file.display()
            )
        })?;
        config = config.with_federated(FederatedClient {
            subject: args.oauth_trust_subject.clone().unwrap_or_else(|| args.oauth_client_id.clone()),
            issuer: args.oauth_trust_issuer.clone(),
            ..FederatedClient::new(&args.oauth_client_id, jwks)
        });
    }
    if config.clients.is_empty() && config.federated.is_empty() {
        return Err("--oauth has no client to issue tokens to\n  fix: set SCIM_CLIENT_SECRET for client \
                    credentials, or pass --oauth-trust-jwks FILE for RFC 7523 client assertions"
            .into());
    }
    Ok(Some(config))
}

/// What `serve --oauth` says at start, after the banner: where to get tokens and who may. Never the secret.
fn serve_oauth_lines(config: &crate::server::OAuthConfig, origin: &str) -> String {
    use crate::server::oauth::{JWKS_PATH, METADATA_PATH, TOKEN_PATH};
    let mut out = format!(
        "  token endpoint: {origin}{TOKEN_PATH}\n  metadata: {origin}{METADATA_PATH}\n  JWKS: {origin}{JWKS_PATH}\n  \
         audience: {} (tokens live {} s)\n",
        config.audience,
        config.token_lifetime.as_secs()
    );
    for (id, _) in &config.clients {
        out.push_str(&format!(
            "  client id: {id} (client_secret_basic or client_secret_post, secret from SCIM_CLIENT_SECRET)\n"
        ));
    }
    if config.clients.is_empty() {
        out.push_str("  no client secret: SCIM_CLIENT_SECRET is not set, so only client assertions get tokens\n");
    }
    for f in &config.federated {
        out.push_str(&format!(
            "  client id: {} (RFC 7523 client assertions), trusted issuer: {}, subject: {}\n",
            f.client_id, f.issuer, f.subject
        ));
    }
    out
}

/// `scimtest baseline --from report.json`: the TOML that waives the report's MUST failures, on stdout.
fn baseline(from: &std::path::Path, reason: &str) -> Exit {
    let text = match std::fs::read_to_string(from) {
        Ok(t) => t,
        Err(e) => {
            return usage(&format!(
                "cannot read {}: {e}\n  fix: pass the file `scimtest run … --json FILE` wrote",
                from.display()
            ));
        }
    };
    match crate::runner::baseline::from_json_report(&text, reason) {
        Ok(toml) => {
            let _ = std::io::stdout().write_all(toml.as_bytes());
            Exit::Pass
        }
        Err(e) => usage(&format!("{}: {e}", from.display())),
    }
}

fn emit(report: &Report) -> Exit {
    // A closed pipe (`scimtest … | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.stdout.as_bytes());
    let _ = std::io::stderr().write_all(report.stderr.as_bytes());
    report.exit
}
