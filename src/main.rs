//! `scimtest`: the command line lives in the library (`scimtest::cli`), so this only runs it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    scimtest::cli::main().into()
}
