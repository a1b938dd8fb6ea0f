//! `scimtest`: arguments and environment in, a call into the library out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use scimtest::filter::{Dialect, UnknownAttributes};
use scimtest::patch::Mode;
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

#[derive(Subcommand)]
enum Command {
    /// Check the SCIM core against every RFC 7644 filter and PATCH example and the filter corpora.
    Selftest {
        /// The fixtures directory (default: the one in this source tree).
        #[arg(long, env = "SCIMTEST_FIXTURES")]
        fixtures: Option<PathBuf>,
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
        Command::Selftest { fixtures } => {
            tools::selftest(&fixtures.unwrap_or_else(scimtest::selftest::default_fixtures))
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

fn emit(report: &Report) -> ExitCode {
    // A closed pipe (`scimtest … | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.stdout.as_bytes());
    let _ = std::io::stderr().write_all(report.stderr.as_bytes());
    ExitCode::from(report.exit)
}
