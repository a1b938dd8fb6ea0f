//! One integration-test binary (fewer links on a 2-core CI). Each module tests one area:
//!
//! * `corpus` — the filter corpora under `fixtures/filters/`;
//! * `rfc7644` — every filter and PATCH example of RFC 7644, with expected outcomes, under `fixtures/rfc7644/`;
//! * `filter_props` — round-trip and evaluator laws over generated filters and resources;
//! * `patch_props` — PATCH laws over generated operations;
//! * `robustness` — arbitrary input never panics;
//! * `differential` — our parser against the `scim_v2` crate's;
//! * `cli` — the `scimtest` binary's filter and patch tools;
//! * `install` — a moved or `cargo install`ed binary works from any directory;
//! * `architecture` — `cargo tree` shows the crates' layers (no async, HTTP or test framework in the core).
//! * `layers` — the runner side's sources never name the server module.
//! * `reports` — the HTML, HAR, Markdown and JSON reports of one failing run agree, and hold no token.
//! * `oauth_client` — the OAuth client against a wiremock token endpoint: wire forms, token cache and
//!   refresh, pre-flight refusals, security-check tokens, no secret in any output.
//! * `oauth` — every profile with client credentials, JWT assertions and 2-second tokens against
//!   `serve --oauth`; no secret in any output of a failing OAuth run.
//! * `server_oauth` — `serve --oauth`: the token endpoint, JWKS, metadata and the SCIM access-token checks.
//! * `server_members` — a group PATCH of members alone, applied apart from the group's JSON, answers as the
//!   PATCH engine does.
//! * `load` — `scimtest load` against the bundled server: pacing, rate limits and Retry-After, cleanup,
//!   verdicts, no secret in any output.

mod util;

mod architecture;
mod corpus;
mod rfc7644;
mod strategies;

mod baseline;
mod cli;
mod differential;
mod filter_props;
mod gate;
mod hostile;
mod install;
mod layers;
mod load;
mod matrix;
mod patch_props;
mod robustness;
mod safety;
mod serve_cli;
mod server_faults;
mod server_fuzz;
mod server_members;
mod server_oauth;
mod snapshots;

mod conflicts;
mod mutation;
mod oauth;
mod oauth_client;
mod properties;
mod reports;
mod runner;
mod server_api;
mod server_concurrency;
mod suites;
mod verdicts;
