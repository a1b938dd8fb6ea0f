//! scimtest: a SCIM 2.0 conformance harness.
//!
//! The pure core — [`schema`], [`value`], [`filter`], [`patch`], [`message`] — understands SCIM exactly and
//! knows nothing of HTTP, async runtimes or test frameworks; the reference [`server`] and the [`runner`] stand on
//! it and never on each other. Core and server live in their own crates (`crates/scimtest-core`,
//! `crates/scimtest-server`, re-exported here under their old paths) so that Cargo, not discipline, keeps
//! the layers apart. The runner side ([`suite`], [`generate`], [`client`], [`bundle`], [`runner`]) talks
//! HTTP only; [`selftest`] starts the server in-process and points a run at it, and [`cli`] is the command
//! line over everything ([`core_check`], [`tools`]; every command ends in one [`exit::Exit`]).

pub mod auth;
pub mod bundle;
pub mod cli;
pub mod client;
pub mod core_check;
pub mod exit;
pub mod generate;
pub mod load;
pub mod runner;
pub mod selftest;
pub mod suite;
pub mod tools;

pub use scimtest_core::{filter, message, patch, schema, value};
pub use scimtest_server as server;
pub use selftest::main_from_env;
