//! The command line as clap reads it. Nothing here sends a request: [`super`] turns these into one
//! validated configuration and calls the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "scimtest",
    version,
    about = "SCIM 2.0 conformance harness: RFC 7643/7644 and what Entra ID and Okta send",
    long_about = "SCIM 2.0 conformance harness: checks a SCIM endpoint against RFC 7643/7644 and against the \
                  requests Microsoft Entra ID and Okta send, before they provision into it.\n\n\
                  Exit codes: 0 every MUST holds, 1 a MUST failed, 2 a usage or set-up mistake (nothing judged).",
    after_help = "First run: export SCIM_TOKEN=…; scimtest run --url https://example.com/scim/v2"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Check a SCIM endpoint: discovery, then the profile's suites and generated checks.
    Run(RunArgs),
    /// Check the SCIM core (RFC 7644 examples, filter corpora), then run every suite against the bundled
    /// reference server on a loopback port.
    Selftest(SelftestArgs),
    /// List the users and groups earlier runs left behind (named scimtest-<run tag>-…); delete them only
    /// with --delete.
    Clean(CleanArgs),
    /// Run the bundled reference SCIM server (under /scim/v2).
    Serve(ServeArgs),
    /// Replay an identity provider's sync cycle (Entra's) at a rate for a duration, then delete what it
    /// made; report the achieved rate, latency per operation, errors, 429s and a verdict against Entra's
    /// 25 requests/s gallery bar and 40 % quarantine threshold. Exit 0 PASS, 1 FAIL, 2 a mistake.
    Load(LoadArgs),
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
    /// The profiles, apps and suites bundled in this binary: list them, or write them out for editing.
    Suites {
        #[command(subcommand)]
        command: SuitesCommand,
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
}

/// Where the endpoint is and how long to wait for it.
#[derive(Args)]
#[command(next_help_heading = "Target")]
pub struct TargetArgs {
    /// The SCIM base URL, e.g. https://example.com/scim/v2.
    #[arg(long, env = "SCIM_BASE_URL", hide_env_values = true, value_name = "URL")]
    pub url: Option<String>,
    /// Extra header sent with every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Per-request timeout.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// At most N requests in any second over the whole run (0: no cap). Default: 25 for a remote endpoint —
    /// Entra's gallery requires a SCIM endpoint to take 25 requests/s per tenant, so a limiter that is right
    /// never refuses the run — and no cap on loopback. A 429 pauses every request for its Retry-After.
    #[arg(long, env = "SCIM_MAX_RPS", hide_env_values = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub max_rps: Option<u32>,
}

/// The credential the harness presents.
#[derive(Args)]
#[command(next_help_heading = "Authentication")]
pub struct AuthArgs {
    /// Bearer token (better: the SCIM_TOKEN environment variable, kept out of shell history). Never printed.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// HTTP Basic authentication as USER; the password is read from the SCIM_PASSWORD environment variable
    /// (never from the command line, never printed).
    #[arg(long, env = "SCIM_BASIC_USER", hide_env_values = true, value_name = "USER")]
    pub basic: Option<String>,
    /// The endpoint takes no credential: send none (otherwise a run without one is a usage mistake).
    #[arg(long, env = "SCIM_NO_AUTH", hide_env_values = true)]
    pub no_auth: bool,
    /// How to authenticate; default: what the other flags imply (a token: bearer, --basic: basic,
    /// --token-url: client-credentials, with --assertion-key: jwt-assertion, --no-auth: none).
    #[arg(long = "auth", value_enum, env = "SCIM_AUTH", hide_env_values = true, value_name = "METHOD")]
    pub method: Option<crate::auth::AuthMethod>,
    /// OAuth: the token endpoint (client credentials, RFC 6749 §4.4); the client secret is read from the
    /// SCIM_CLIENT_SECRET environment variable (never from the command line, never printed).
    #[arg(long, env = "SCIM_TOKEN_URL", hide_env_values = true, value_name = "URL")]
    pub token_url: Option<String>,
    /// OAuth: the client id.
    #[arg(long, env = "SCIM_CLIENT_ID", hide_env_values = true, value_name = "ID")]
    pub client_id: Option<String>,
    /// OAuth: the `scope` of the token request (RFC 6749 §3.3).
    #[arg(long, env = "SCIM_SCOPE", hide_env_values = true, value_name = "SCOPE")]
    pub scope: Option<String>,
    /// OAuth: the `resource` of the token request (RFC 8707).
    #[arg(long, env = "SCIM_RESOURCE", hide_env_values = true, value_name = "URI")]
    pub resource: Option<String>,
    /// OAuth: an `audience` parameter of the token request (some servers take it instead of `resource`).
    #[arg(long, env = "SCIM_AUDIENCE", hide_env_values = true, value_name = "AUDIENCE")]
    pub audience: Option<String>,
    /// OAuth: how the client secret is sent: basic (client_secret_basic, the default) or post
    /// (client_secret_post) (RFC 6749 §2.3.1).
    #[arg(long, value_enum, env = "SCIM_CLIENT_AUTH", hide_env_values = true, value_name = "HOW")]
    pub client_auth: Option<crate::auth::SecretMethod>,
    /// OAuth: sign an RFC 7523 client assertion with this PEM private key (RSA: RS256, EC P-256: ES256).
    #[arg(long, env = "SCIM_ASSERTION_KEY", hide_env_values = true, value_name = "FILE")]
    pub assertion_key: Option<PathBuf>,
    /// OAuth: the assertion's signing algorithm, in place of the key's default.
    #[arg(long, env = "SCIM_ASSERTION_ALG", hide_env_values = true, value_name = "ALG")]
    pub assertion_alg: Option<String>,
    /// OAuth: the assertion's `iss` (default: the client id; Entra: https://login.microsoftonline.com/<tenant>/v2.0).
    #[arg(long, env = "SCIM_ASSERTION_ISS", hide_env_values = true, value_name = "ISSUER")]
    pub assertion_iss: Option<String>,
    /// OAuth: the assertion's `sub` (default: the client id).
    #[arg(long, env = "SCIM_ASSERTION_SUB", hide_env_values = true, value_name = "SUBJECT")]
    pub assertion_sub: Option<String>,
    /// OAuth: the assertion's `aud` (default: the token URL, RFC 7523 §3).
    #[arg(long, env = "SCIM_ASSERTION_AUD", hide_env_values = true, value_name = "AUDIENCE")]
    pub assertion_aud: Option<String>,
    /// OAuth: how long an assertion is valid [default: 600].
    #[arg(long, env = "SCIM_ASSERTION_LIFETIME", hide_env_values = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub assertion_lifetime: Option<u64>,
    /// OAuth: the `kid` in the assertion's header (which of the issuer's published keys verifies it).
    #[arg(long, env = "SCIM_ASSERTION_KID", hide_env_values = true, value_name = "KID")]
    pub assertion_kid: Option<String>,
    /// OAuth: a resource the token endpoint issues tokens for that is not this SCIM service (the
    /// wrong-audience check).
    #[arg(long, env = "SCIM_OAUTH_OTHER_RESOURCE", hide_env_values = true, value_name = "URI")]
    pub oauth_other_resource: Option<String>,
    /// OAuth: how long the expired-token check may wait for an issued token to expire [default: 0: it is
    /// skipped unless tokens live at most this long].
    #[arg(long, env = "SCIM_AUTH_EXPIRY_WAIT", hide_env_values = true, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub auth_expiry_wait: Option<u64>,
}

/// Which checks run.
#[derive(Args)]
#[command(next_help_heading = "Selection")]
pub struct SelectionArgs {
    /// A profile (rfc, entra, entra-compliant, okta, okta-aiw, onelogin, jumpcloud, ping, google-workspace,
    /// rippling: `scimtest suites list`) or a profile .toml file; repeatable or
    /// comma-separated; `all` for every profile in one run. Default: the app's profile, else rfc.
    #[arg(long = "profile", env = "SCIM_PROFILE", hide_env_values = true, value_name = "NAME", value_delimiter = ',')]
    pub profiles: Vec<String>,
    /// An integration under suites/apps/ (or an app .toml file): its profile, capabilities and attribute
    /// table.
    #[arg(long, env = "SCIM_APP", hide_env_values = true, value_name = "NAME|FILE")]
    pub app: Option<String>,
    /// Only suites whose name contains this, e.g. `filtering`.
    #[arg(long, value_name = "PATTERN")]
    pub suite: Option<String>,
    /// Run only checks that send nothing but GET (for production endpoints).
    #[arg(long)]
    pub read_only: bool,
    /// Known failures (TOML): waived checks do not fail the run; a new failure, a fixed or an expired
    /// waiver does.
    #[arg(long, env = "SCIM_BASELINE", hide_env_values = true, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Only checks whose name contains one of these (`rfc::users::`, `create`).
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Name filters and --skip match whole check names.
    #[arg(long)]
    pub exact: bool,
    /// Leave out checks whose name contains this (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Print the checks the selection would run, without sending a request (no --url needed).
    #[arg(long)]
    pub list: bool,
}

/// How the run proceeds.
#[derive(Args)]
#[command(next_help_heading = "Execution")]
pub struct ExecutionArgs {
    /// Checks run at the same time, and the most requests the run has in flight (a generated check's cases
    /// run this many at a time).
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// No check starts after this many seconds; the ones left are reported as not run (blocked), and the
    /// run cleans up and ends with a verdict. 0: no limit.
    #[arg(long, env = "SCIM_MAX_TIME", hide_env_values = true, default_value_t = 600, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_time: u64,
}

/// What the run writes.
#[derive(Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Console format: `pretty` (one line per check), `terse` (one character per check), `json` (one JSON
    /// object per line on stdout; the human summary goes to stderr).
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,
    /// Colour the console output.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the JSON report (docs/report-format.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a short Markdown summary (verdict per IdP, top root causes, counts) for a pull request or
    /// $GITHUB_STEP_SUMMARY.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the HTML report: one self-contained file (verdict per IdP, root causes, every failure with its
    /// exchange and curl line) that any browser opens offline.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write every HTTP exchange of the run as a HAR 1.2 file (secrets hidden) for browser devtools or a proxy.
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// Print whole response bodies with failures (the console otherwise shortens them and says so).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Where suites and fixtures come from.
#[derive(Args)]
#[command(next_help_heading = "Suites")]
pub struct Locations {
    /// Profiles, apps and suites from this directory instead of the bundled ones (`scimtest suites
    /// export DIR` writes those out for editing).
    #[arg(long, env = "SCIMTEST_SUITES", hide_env_values = true, value_name = "DIR")]
    pub suite_dir: Option<PathBuf>,
    /// Fixtures (request bodies, the self-check's RFC examples) from this directory instead of the
    /// bundled ones.
    #[arg(long, env = "SCIMTEST_FIXTURES", hide_env_values = true, value_name = "DIR")]
    pub fixture_dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub execution: ExecutionArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub generated: GeneratedArgs,
    #[command(flatten)]
    pub snapshots: SnapshotArgs,
    #[command(flatten)]
    pub locations: Locations,
}

#[derive(Args)]
pub struct SelftestArgs {
    /// Only checks whose name contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Only these profiles (comma-separated, or `all`, the default), each against the server mode it is
    /// judged in.
    #[arg(long = "profile", value_name = "NAME", value_delimiter = ',')]
    pub profiles: Vec<String>,
    /// Name filters match whole check names.
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub execution: ExecutionArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub generated: GeneratedArgs,
    #[command(flatten)]
    pub snapshots: SnapshotArgs,
    #[command(flatten)]
    pub locations: Locations,
}

#[derive(Args)]
pub struct CleanArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Delete what is listed.
    #[arg(long)]
    pub delete: bool,
}

/// Response snapshots.
#[derive(Args)]
#[command(next_help_heading = "Snapshots")]
pub struct SnapshotArgs {
    /// `check` fails on drift and writes the new answers as .snap.new files for `cargo insta review`;
    /// `update` records them as the baseline.
    #[arg(long, value_enum, env = "SCIM_SNAPSHOTS", hide_env_values = true, default_value_t = SnapshotMode::Off)]
    pub snapshots: SnapshotMode,
    /// The target's folder in the snapshot directory (default: the host, e.g. acme.example.com;
    /// selftest: reference).
    #[arg(long, env = "SCIM_TARGET", hide_env_values = true, value_name = "NAME")]
    pub target: Option<String>,
    /// Where snapshots live (default: ./snapshots, where this repository keeps the bundled server's
    /// baseline as reference/).
    #[arg(long, env = "SCIM_SNAPSHOT_DIR", hide_env_values = true, value_name = "DIR")]
    pub snapshot_dir: Option<PathBuf>,
    /// A part of every answer's body that varies legitimately, stored as "[redacted]" (repeatable),
    /// e.g. `.meta.lastLogin` or `.**.tenantId`.
    #[arg(long = "redact", value_name = "SELECTOR")]
    pub redact: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SnapshotMode {
    Check,
    Update,
    Off,
}

/// Generated filters and PATCH sequences.
#[derive(Args)]
#[command(next_help_heading = "Generated checks")]
pub struct GeneratedArgs {
    /// Seed: as printed with a failure (0x5c1a7e57), in decimal, or `random` to explore. Default: a fixed
    /// seed, so an unchanged server gets the same verdict every run.
    #[arg(long, env = "SCIM_SEED", hide_env_values = true, value_parser = crate::runner::property::parse_seed, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Generated filters per profile (default: 1000; selftest: 250); PATCH sequences are half as many.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub cases: Option<u32>,
    /// Seconds each generated check may spend generating new cases.
    #[arg(long, default_value_t = 20, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub budget: u64,
    /// Run only the declarative scenarios.
    #[arg(long)]
    pub no_generated: bool,
    /// Where minimal failing generated inputs are kept and replayed first (default:
    /// ./scimtest-regressions/<target>; selftest keeps none).
    #[arg(long, value_name = "DIR")]
    pub regressions: Option<PathBuf>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Bearer token clients must send; without one every request is accepted.
    #[arg(long, env = "SCIM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// compat accepts what Entra ID and Okta send; strict rejects what RFC 7643/7644 reject.
    #[arg(long, value_enum, default_value_t = ServeMode::Compat)]
    pub mode: ServeMode,
    /// Switch on a deliberate bug (repeatable); --list-faults lists them.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<String>,
    /// Print the deliberate bugs and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Preload this many realistic users.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub seed_users: u32,
    #[command(flatten)]
    pub oauth: ServeOAuthArgs,
    /// Admit at most N requests in any second; beyond them 429 with `Retry-After: 1` (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate_limit: u32,
    /// Wait this long before handling each admitted request: a slow endpoint.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub delay_ms: u64,
}

/// `scimtest load` (issue 17).
#[derive(Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Whose sync cycle is replayed.
    #[arg(long, value_enum, default_value_t = LoadProfile::Entra)]
    pub profile: LoadProfile,
    /// Requests per second over every worker (0: unpaced). Default 25: Entra's gallery bar per tenant (for
    /// Okta, which documents no rate, the verdict's bar is this rate).
    #[arg(long, value_name = "N", default_value_t = 25, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate: u32,
    /// How long the cycle runs; the cleanup follows.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
    /// Stop after this many requests, even before --duration is over.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,
    /// Workers, each running the cycle for its own users and group.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Write the report as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the report as one self-contained HTML page to FILE (latency charts as inline SVG).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// The identity providers whose cycle `scimtest load` can replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LoadProfile {
    /// Match, create, attribute updates, disable; group create and member batches (idp-behaviour.md §1.0).
    Entra,
    /// Match (count=100), create with password, GET then PUT of the profile, path-less deactivate; group push,
    /// rename re-sent with each membership delta (idp-behaviour.md §1.0).
    Okta,
}

/// `scimtest serve --oauth`: the server as an OAuth 2.0 authorization server too (issue 16).
#[derive(Args)]
#[command(next_help_heading = "OAuth")]
pub struct ServeOAuthArgs {
    /// Serve a token endpoint (/oauth2/token, client credentials), its JWKS and metadata; SCIM then accepts
    /// only the access tokens it issues (not --token). The client secret is read from the
    /// SCIM_CLIENT_SECRET environment variable (never from the command line, never printed).
    #[arg(long)]
    pub oauth: bool,
    /// The client id of the secret client and of the federated client.
    #[arg(long, requires = "oauth", default_value = crate::server::oauth::DEFAULT_CLIENT_ID, value_name = "ID")]
    pub oauth_client_id: String,
    /// A JWK Set whose keys sign trusted RFC 7523 client assertions (workload identity federation), e.g.
    /// fixtures/oauth/entra-test-jwks.json.
    #[arg(long, requires = "oauth", value_name = "FILE")]
    pub oauth_trust_jwks: Option<PathBuf>,
    /// The `iss` trusted assertions carry.
    #[arg(long, requires = "oauth", default_value = crate::server::oauth::DEFAULT_TRUSTED_ISSUER, value_name = "URL")]
    pub oauth_trust_issuer: String,
    /// The `sub` trusted assertions carry (default: the client id).
    #[arg(long, requires = "oauth", value_name = "SUB")]
    pub oauth_trust_subject: Option<String>,
    /// The audience of the SCIM API: access tokens for it are accepted.
    #[arg(long, requires = "oauth", default_value = crate::server::oauth::DEFAULT_AUDIENCE, value_name = "URI")]
    pub oauth_audience: String,
    /// How long issued access tokens live (Entra wants 3600 to 21600).
    #[arg(long, requires = "oauth", default_value_t = 3600, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub oauth_token_lifetime: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ServeMode {
    Compat,
    Strict,
}

#[derive(Subcommand)]
pub enum SuitesCommand {
    /// One line per profile (with its suites) and per app.
    List {
        #[arg(long, env = "SCIMTEST_SUITES", hide_env_values = true, value_name = "DIR")]
        suite_dir: Option<PathBuf>,
    },
    /// Write the bundled suites into DIR for editing; then run with --suite-dir DIR.
    Export {
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum FilterCommand {
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
        /// RFC grammar only.
        #[arg(long)]
        strict: bool,
        /// What an attribute the schema does not define does: fail the filter, or match nothing.
        #[arg(long, value_enum, default_value_t = Unknown::Error)]
        unknown_attributes: Unknown,
    },
}

#[derive(Subcommand)]
pub enum PatchCommand {
    /// Print the resource after a PatchOp, or the SCIM error (status and scimType) it earns.
    Apply {
        /// The resource, as JSON.
        #[arg(long)]
        resource: PathBuf,
        /// The PatchOp message, as JSON.
        #[arg(long)]
        patch: PathBuf,
        /// Whose rules: the RFC's, or what Entra ID, Okta or JumpCloud need (docs/patch-semantics.md).
        #[arg(long, value_enum, default_value_t = ModeArg::Rfc)]
        mode: ModeArg,
        #[command(flatten)]
        schema: SchemaArgs,
    },
}

#[derive(Args)]
pub struct SchemaArgs {
    /// The resource type (User, Group); default: found from each resource's `schemas`.
    #[arg(long)]
    pub resource_type: Option<String>,
    /// A server's /Schemas answer, instead of the built-in RFC 7643 schemas.
    #[arg(long)]
    pub schemas: Option<PathBuf>,
    /// A server's /ResourceTypes answer.
    #[arg(long)]
    pub resource_types: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Unknown {
    Error,
    NoMatch,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Rfc,
    Entra,
    Okta,
    Jumpcloud,
    Compat,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap's own checks: no duplicate flags, defaults within their ranges, valid headings.
        Cli::command().debug_assert();
    }
}
