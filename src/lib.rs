//! scimtest: a SCIM 2.0 conformance harness.
//!
//! The pure core — [`schema`], [`value`], [`filter`], [`patch`] — understands SCIM exactly and knows
//! nothing of HTTP, async runtimes or test frameworks; the reference [`server`] and the [`runner`] stand on
//! it and never on each other. The runner side ([`suite`], [`generate`], [`client`], [`bundle`],
//! [`runner`]) talks HTTP only; [`selftest`] starts the server in-process and points a run at it, and
//! [`cli`] is the command line over everything ([`core_check`], [`tools`]; every command ends in one
//! [`exit::Exit`]).

pub mod bundle;
pub mod cli;
pub mod client;
pub mod core_check;
pub mod exit;
pub mod filter;
pub mod generate;
pub mod patch;
pub mod runner;
pub mod schema;
pub mod selftest;
pub mod server;
pub mod suite;
pub mod tools;
pub mod value;

pub use selftest::main_from_env;
