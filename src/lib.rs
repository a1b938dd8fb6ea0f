//! scimtest: a SCIM 2.0 conformance harness.
//!
//! The pure core — [`schema`], [`value`], [`filter`], [`patch`], [`message`] — understands SCIM exactly and
//! knows nothing of HTTP, async runtimes or test frameworks; the reference server and the runner stand on
//! it. Both live in their own crates (`crates/scimtest-core`, `crates/scimtest-server`, re-exported here
//! under their old paths) so that Cargo, not discipline, keeps the layers apart.

pub mod bundle;
pub mod cli;
pub mod client;
pub mod exit;
pub mod r#gen;
pub mod runner;
pub mod selftest;
pub mod suite;
pub mod tools;

pub use scimtest_core::{filter, message, patch, schema, value};
pub use scimtest_server as server;
