//! `scimtest`: arguments and environment in, a call into the library out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use scimtest::filter::{Dialect, UnknownAttributes};
use scimtest::patch::Mode;
use scimtest::runner::RunConfig;
use scimtest::tools::{self, Report, SchemaSource};

#[derive(Parser)]
#[command(
    name = "scimtest",
    version,
    about = "SCIM 2.0 conformance harness: RFC 7643/7644 and what Entra ID and Okta send"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the conformance suites against a SCIM endpoint (base URL + token).
    Run(RunArgs),
    /// Check the SCIM core (RFC 7644 examples, filter corpora), then run every suite against the bundled
    /// reference server started on a loopback port.
    Selftest {
        #[command(flatten)]
        generated: GeneratedArgs,
        #[command(flatten)]
        snapshots: SnapshotArgs,
        #[command(flatten)]
        locations: Locations,
        #[command(flatten)]
        test: libtest_mimic::Arguments,
    },
    /// Parse or evaluate SCIM filters (RFC 7644 §3.4.2.2).
    Filter {
        #[command(subcommand)]
        command: FilterCommand,
    },
    /// Apply SCIM PATCH requests (RFC 7644 §3.5.2).
    Patch {
        #[command(subcommand)]
        command: PatchCommand,
    },
    /// Run the bundled reference SCIM server (under /scim/v2).
    Serve(ServeArgs),
    /// List the users and groups earlier runs left behind (named scimtest-<run tag>-…); delete them
    /// only with --delete.
    Clean {
        /// The SCIM base URL, e.g. https://example.com/scim/v2.
        #[arg(long, env = "SCIM_BASE_URL")]
        url: String,
        /// Bearer token (better: the SCIM_TOKEN environment variable). Never printed.
        #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Delete what is listed.
        #[arg(long)]
        delete: bool,
    },
    /// Print a baseline (TOML) that waives every MUST failure of a run's JSON report:
    /// `scimtest baseline --from report.json > scimtest-baseline.toml`.
    Baseline {
        /// The JSON report (`scimtest run … --json report.json`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// The reason written into each waiver.
        #[arg(long, default_value = "known failure: see the link")]
        reason: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: std::net::SocketAddr,
    /// Bearer token clients must send; without one every request is accepted.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// compat accepts what Entra ID and Okta send; strict rejects what RFC 7643/7644 reject.
    #[arg(long, value_enum, default_value_t = ServeMode::Compat)]
    mode: ServeMode,
    /// Switch on a deliberate bug (repeatable); --list-faults lists them.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,
    /// Print the deliberate bugs and exit.
    #[arg(long)]
    list_faults: bool,
    /// Preload this many realistic users.
    #[arg(long, default_value_t = 0)]
    seed_users: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum ServeMode {
    Compat,
    Strict,
}

#[derive(clap::Args)]
struct Locations {
    /// The suites directory (default: the one in this source tree).
    #[arg(long, env = "SCIMTEST_SUITES", value_name = "DIR")]
    suites: Option<PathBuf>,
    /// The fixtures directory (default: the one in this source tree).
    #[arg(long, env = "SCIMTEST_FIXTURES", value_name = "DIR")]
    fixtures: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The SCIM base URL, e.g. https://example.com/scim/v2.
    #[arg(long, env = "SCIM_BASE_URL")]
    url: String,
    /// Bearer token (better: the SCIM_TOKEN environment variable, kept out of shell history). Never printed.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Extra header sent with every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Profile under suites/profiles/ (or a .toml file); repeatable. Default: the app's, else rfc.
    #[arg(long = "profile", value_name = "NAME")]
    profiles: Vec<String>,
    /// An integration under suites/apps/ (or a .toml file): its profile and capabilities.
    #[arg(long, env = "SCIM_APP", value_name = "NAME|FILE")]
    app: Option<String>,
    /// Only suites whose name contains this (e.g. `filtering`).
    #[arg(long, value_name = "PATTERN")]
    suite: Option<String>,
    /// Run only checks that create or change nothing.
    #[arg(long)]
    read_only: bool,
    /// Scenarios run in parallel.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// No check starts after this many seconds; the ones left are reported as not run (blocked), and the
    /// run cleans up and ends with a verdict. 0: no limit.
    #[arg(long, env = "SCIM_MAX_TIME", default_value_t = 600, value_name = "SECONDS")]
    max_time: u64,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the JSON report (docs/report-format.md).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Known failures (TOML): waived checks do not fail the run; a fixed or expired waiver does.
    #[arg(long, env = "SCIM_BASELINE", value_name = "FILE")]
    baseline: Option<PathBuf>,
    #[command(flatten)]
    generated: GeneratedArgs,
    #[command(flatten)]
    snapshots: SnapshotArgs,
    #[command(flatten)]
    locations: Locations,
    #[command(flatten)]
    test: libtest_mimic::Arguments,
}

#[derive(clap::Args)]
struct SnapshotArgs {
    /// Response snapshots: `check` fails on drift and writes the new answers as .snap.new files for
    /// `cargo insta review`; `update` records them as the baseline.
    #[arg(long, value_enum, env = "SCIM_SNAPSHOTS", default_value_t = SnapshotMode::Off)]
    snapshots: SnapshotMode,
    /// The target's folder in the snapshot directory (default: the host, e.g. acme.example.com;
    /// selftest: reference).
    #[arg(long, env = "SCIM_TARGET", value_name = "NAME")]
    target: Option<String>,
    /// Where snapshots live (default: ./snapshots; selftest: the one in this source tree).
    #[arg(long, env = "SCIM_SNAPSHOT_DIR", value_name = "DIR")]
    snapshot_dir: Option<PathBuf>,
    /// A part of every answer's body that varies legitimately, stored as "[redacted]" (repeatable),
    /// e.g. `.meta.lastLogin` or `.**.tenantId`.
    #[arg(long = "redact", value_name = "SELECTOR")]
    redact: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum SnapshotMode {
    Check,
    Update,
    Off,
}

impl SnapshotArgs {
    /// The validated snapshot settings; `default_target` and `default_dir` apply when not given.
    fn config(
        self,
        default_target: Option<String>,
        default_dir: PathBuf,
    ) -> Result<scimtest::runner::snapshot::SnapshotConfig, String> {
        use scimtest::runner::snapshot::{Mode, SnapshotConfig, is_ci};
        let mode = match self.snapshots {
            SnapshotMode::Check => Mode::Check,
            SnapshotMode::Update => Mode::Update,
            SnapshotMode::Off => Mode::Off,
        };
        let Some(target) = self.target.or(default_target) else {
            return Err("cannot name the snapshot folder after the URL's host\n  fix: pass --target NAME".into());
        };
        scimtest::runner::snapshot::check_target(&target).map_err(|e| format!("--{e}"))?;
        let redact = self
            .redact
            .iter()
            .map(|r| r.parse().map_err(|e| format!("--redact: {e}")))
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SnapshotConfig {
            mode,
            dir: self.snapshot_dir.unwrap_or(default_dir),
            target,
            redact,
            ci: is_ci(|k| std::env::var(k).ok()),
        })
    }
}

#[derive(clap::Args)]
struct GeneratedArgs {
    /// Seed of the generated checks: as printed with a failure (0x5c1a7e57), in decimal, or `random` to
    /// explore. Default: a fixed seed, so an unchanged server gets the same verdict every run.
    #[arg(long, env = "SCIM_SEED", value_parser = scimtest::runner::property::parse_seed, value_name = "SEED")]
    seed: Option<u64>,
    /// Generated filters per profile (default: 1000; selftest: 250); PATCH sequences are half as many.
    #[arg(long)]
    cases: Option<u32>,
    /// Seconds each generated check may spend generating new cases.
    #[arg(long, default_value_t = 20)]
    budget: u64,
    /// Run only the declarative scenarios.
    #[arg(long)]
    no_generated: bool,
    /// Where minimal failing generated inputs are kept and replayed first (default:
    /// ./scimtest-regressions/<target>; selftest keeps none).
    #[arg(long, value_name = "DIR")]
    regressions: Option<PathBuf>,
}

impl GeneratedArgs {
    /// `regressions`: the default directory for minimal failing inputs (`None`: keep none).
    fn config(
        &self,
        regressions: Option<PathBuf>,
        default_cases: u32,
    ) -> Option<scimtest::runner::property::PropertyConfig> {
        let cases = self.cases.unwrap_or(default_cases);
        (!self.no_generated).then(|| scimtest::runner::property::PropertyConfig {
            filter_cases: cases,
            patch_cases: (cases / 2).max(1),
            seed: self.seed.unwrap_or(scimtest::runner::property::DEFAULT_SEED),
            budget: std::time::Duration::from_secs(self.budget),
            regressions: self.regressions.clone().or(regressions),
        })
    }
}

#[derive(Subcommand)]
enum FilterCommand {
    /// Print the canonical form of a filter, or point at what is wrong with it.
    Parse {
        filter: String,
        /// RFC grammar only: reject Entra's `emails[type eq "work"].value eq "x"` form.
        #[arg(long)]
        strict: bool,
    },
    /// Print the ids of the resources that match a filter.
    Eval {
        filter: String,
        /// A JSON array of resources, or a ListResponse.
        #[arg(long)]
        resources: PathBuf,
        #[command(flatten)]
        schema: SchemaArgs,
        #[arg(long)]
        strict: bool,
        /// What an attribute the schema does not define does: fail the filter, or match nothing.
        #[arg(long, value_enum, default_value_t = Unknown::Error)]
        unknown_attributes: Unknown,
    },
}

#[derive(Subcommand)]
enum PatchCommand {
    /// Print the resource after a PatchOp, or the SCIM error (status and scimType) it earns.
    Apply {
        /// The resource, as JSON.
        #[arg(long)]
        resource: PathBuf,
        /// The PatchOp message, as JSON.
        #[arg(long)]
        patch: PathBuf,
        /// Whose rules: the RFC's, or what Entra ID or Okta need (docs/patch-semantics.md).
        #[arg(long, value_enum, default_value_t = ModeArg::Rfc)]
        mode: ModeArg,
        #[command(flatten)]
        schema: SchemaArgs,
    },
}

#[derive(clap::Args)]
struct SchemaArgs {
    /// The resource type (User, Group); default: found from each resource's `schemas`.
    #[arg(long)]
    resource_type: Option<String>,
    /// A server's /Schemas answer, instead of the built-in RFC 7643 schemas.
    #[arg(long)]
    schemas: Option<PathBuf>,
    /// A server's /ResourceTypes answer.
    #[arg(long)]
    resource_types: Option<PathBuf>,
}

impl From<SchemaArgs> for SchemaSource {
    fn from(a: SchemaArgs) -> Self {
        SchemaSource { schemas: a.schemas, resource_types: a.resource_types, resource_type: a.resource_type }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Unknown {
    Error,
    NoMatch,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Rfc,
    Entra,
    Okta,
    Compat,
}

fn dialect(strict: bool) -> Dialect {
    if strict { Dialect::Strict } else { Dialect::Compat }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { tools::EXIT_USAGE } else { tools::EXIT_OK });
        }
    };
    let report = match cli.command {
        Command::Serve(args) => return serve(args),
        Command::Clean { url, token, delete } => return clean(url, token, delete),
        Command::Run(args) => return run(args),
        Command::Baseline { from, reason } => return baseline(&from, &reason),
        Command::Selftest { generated, snapshots, locations, test } => {
            return selftest(generated, snapshots, locations, test);
        }
        Command::Filter { command: FilterCommand::Parse { filter, strict } } => {
            tools::filter_parse(&filter, dialect(strict))
        }
        Command::Filter { command: FilterCommand::Eval { filter, resources, schema, strict, unknown_attributes } } => {
            let unknown = match unknown_attributes {
                Unknown::Error => UnknownAttributes::Error,
                Unknown::NoMatch => UnknownAttributes::NoMatch,
            };
            tools::filter_eval(&filter, &resources, &schema.into(), dialect(strict), unknown)
        }
        Command::Patch { command: PatchCommand::Apply { resource, patch, mode, schema } } => {
            let mode = match mode {
                ModeArg::Rfc => Mode::Rfc,
                ModeArg::Entra => Mode::Entra,
                ModeArg::Okta => Mode::Okta,
                ModeArg::Compat => Mode::Compat,
            };
            tools::patch_apply(&resource, &patch, &schema.into(), mode)
        }
    };
    emit(&report)
}

fn run_config(
    locations: Locations,
    test: libtest_mimic::Arguments,
    client: scimtest::client::ClientConfig,
) -> RunConfig {
    let mut config = RunConfig::new(client);
    if let Some(suites) = locations.suites {
        config.suites_dir = suites;
    }
    if let Some(fixtures) = locations.fixtures {
        config.fixtures_dir = fixtures;
    }
    config.args = test;
    config
}

fn clean(url: String, token: Option<String>, delete: bool) -> ExitCode {
    let mut config = scimtest::client::ClientConfig::new(url);
    config.token = token.filter(|t| !t.is_empty());
    ExitCode::from(scimtest::runner::clean(config, delete))
}

fn run(args: RunArgs) -> ExitCode {
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => headers.push((k.trim().to_string(), v.trim().to_string())),
            _ => {
                eprintln!("error: --header `{h}` is not `Name: value`\n  fix: e.g. --header 'X-Tenant: acme'");
                return ExitCode::from(tools::EXIT_USAGE);
            }
        }
    }
    let mut client = scimtest::client::ClientConfig::new(args.url.clone());
    client.token = args.token.filter(|t| !t.is_empty());
    client.headers = headers;
    client.timeout = std::time::Duration::from_secs(args.timeout.max(1));
    let mut config = run_config(args.locations, args.test, client);
    config.profiles = args.profiles;
    if config.profiles.is_empty() {
        // SCIM_PROFILE=rfc,entra, as in `cargo test` use.
        if let Ok(p) = std::env::var("SCIM_PROFILE") {
            config.profiles = p.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
        }
    }
    config.app = args.app;
    config.suite_pattern = args.suite;
    config.read_only = args.read_only;
    config.concurrency = args.concurrency;
    config.junit = args.junit;
    config.json = args.json;
    config.baseline = args.baseline;
    config.max_time = (args.max_time > 0).then(|| std::time::Duration::from_secs(args.max_time));
    let target = scimtest::runner::snapshot::target_from_url(&args.url);
    config.snapshots = match args.snapshots.config(target, PathBuf::from("snapshots")) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(tools::EXIT_USAGE);
        }
    };
    let regressions = scimtest::runner::property::default_regressions_dir(&config.snapshots.target);
    config.properties = args.generated.config(Some(regressions), 1000);
    ExitCode::from(scimtest::runner::run(config))
}

fn baseline(from: &std::path::Path, reason: &str) -> ExitCode {
    let text = match std::fs::read_to_string(from) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot read {}: {e}\n  fix: pass the file `scimtest run … --json FILE` wrote",
                from.display()
            );
            return ExitCode::from(tools::EXIT_USAGE);
        }
    };
    match scimtest::runner::baseline::from_json_report(&text, reason) {
        Ok(toml) => {
            let _ = std::io::stdout().write_all(toml.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", from.display());
            ExitCode::from(tools::EXIT_USAGE)
        }
    }
}

fn selftest(
    generated: GeneratedArgs,
    snapshots: SnapshotArgs,
    locations: Locations,
    test: libtest_mimic::Arguments,
) -> ExitCode {
    let snapshots = match snapshots.config(Some("reference".into()), scimtest::runner::snapshot::default_dir()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(tools::EXIT_USAGE);
        }
    };
    let fixtures = locations.fixtures.clone().unwrap_or_else(scimtest::selftest::default_fixtures);
    // The core first: every RFC 7644 example and the filter corpora, through the engines.
    let core = tools::selftest(&fixtures);
    if core.exit != tools::EXIT_OK {
        let _ = std::io::stdout().write_all(core.stdout.as_bytes());
        let _ = std::io::stderr().write_all(core.stderr.as_bytes());
        return ExitCode::from(core.exit);
    }
    if let Some(last) = core.stdout.lines().last() {
        println!("core self-check — {}", last.trim_start_matches("selftest: "));
    }
    let token = format!("selftest-{}", std::process::id());
    let mut client = scimtest::client::ClientConfig::new("http://127.0.0.1");
    client.token = Some(token.clone());
    let mut config = run_config(locations, test, client);
    // Fewer generated cases than `run`: selftest proves the harness end to end in seconds; `cargo test`
    // runs the full 1,000 / 500 against the same server. The bundled server is right by construction, so
    // nothing is kept unless --regressions says where (never in the harness's own files).
    config.properties = generated.config(None, 250);
    config.snapshots = snapshots;
    ExitCode::from(scimtest::runner::selftest_every_profile(config, &token))
}

fn serve(args: ServeArgs) -> ExitCode {
    use scimtest::server::{Fault, ServerConfig, ServerMode};
    if args.list_faults {
        // Written at once and errors ignored, so `--list-faults | head` ends quietly.
        let list: String = Fault::ALL.iter().map(|f| format!("{:<28} {}\n", f.name(), f.description())).collect();
        let _ = std::io::stdout().write_all(list.as_bytes());
        return ExitCode::SUCCESS;
    }
    let mut faults = std::collections::BTreeSet::new();
    for name in &args.faults {
        match name.parse::<Fault>() {
            Ok(f) => {
                faults.insert(f);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(tools::EXIT_USAGE);
            }
        }
    }
    let config = ServerConfig {
        token: args.token.filter(|t| !t.is_empty()),
        mode: match args.mode {
            ServeMode::Compat => ServerMode::Compat,
            ServeMode::Strict => ServerMode::Strict,
        },
        faults,
        ..ServerConfig::default()
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "error: cannot listen on {}: {e}\n  fix: pick another address with --addr 127.0.0.1:PORT",
                    args.addr
                );
                return ExitCode::from(tools::EXIT_USAGE);
            }
        };
        let addr = listener.local_addr().unwrap_or(args.addr);
        let auth = if config.token.is_some() { "bearer token required" } else { "no authentication" };
        let state = scimtest::server::state(config);
        if args.seed_users > 0 {
            state.seed_users(args.seed_users, &format!("http://{addr}{}", state.config().base_path));
        }
        let faults: Vec<&str> = state.config().faults.iter().map(|f| f.name()).collect();
        eprintln!(
            "scimtest serve: http://{addr}{} ({auth}; {} users seeded{})",
            state.config().base_path,
            args.seed_users,
            if faults.is_empty() { String::new() } else { format!("; faults: {}", faults.join(", ")) }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("scimtest serve: shutting down");
        };
        match scimtest::server::serve(listener, state, shutdown).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: the server stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn emit(report: &Report) -> ExitCode {
    // A closed pipe (`scimtest … | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.stdout.as_bytes());
    let _ = std::io::stderr().write_all(report.stderr.as_bytes());
    ExitCode::from(report.exit)
}
