//! `scimtest`: the command line lives in the library (`scimtest::cli`), so this only runs it.

fn main() -> std::process::ExitCode {
    scimtest::cli::main().into()
}
