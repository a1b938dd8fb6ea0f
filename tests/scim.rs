//! The example a vendor copies into their own project (README, "Use it from Rust"): the suites as part of
//! `cargo test`. With `SCIM_BASE_URL` and `SCIM_TOKEN` set it checks that endpoint; without, the bundled
//! reference server.

fn main() -> std::process::ExitCode {
    scimtest::main_from_env()
}
