//! The console: libtest-mimic prints the checks as they finish, scimtest prints the summary. Neither may
//! panic on a closed pipe (`scimtest run … | head`): the run goes on to its cleanup and its verdict.

use std::io::Write;

/// Runs the trials with libtest-mimic's printer. Its printer unwraps every write, so a reader that goes
/// away would panic the process before the cleanup; the panic is caught here and the run carries on
/// quietly (every trial still runs and records its result).
pub fn run_trials(args: &libtest_mimic::Arguments, trials: Vec<libtest_mimic::Trial>) {
    let previous = std::sync::Arc::new(std::panic::take_hook());
    let fallback = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if !closed_pipe(info.payload()) {
            fallback(info);
        }
    }));
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| libtest_mimic::run(args, trials)));
    // Put the original hook back (ours holds one reference to it).
    let _ = std::panic::take_hook();
    if let Ok(hook) = std::sync::Arc::try_unwrap(previous) {
        std::panic::set_hook(hook);
    }
}

/// Whether a panic payload is a failed write to a closed pipe.
fn closed_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    text.contains("Broken pipe") || text.contains("BrokenPipe")
}

/// The human part of the output: on stdout, or on stderr when stdout carries JSON (`--format json`), so
/// that every line on stdout parses. Write errors (a closed pipe) are ignored.
pub fn human(text: &str, json_on_stdout: bool) {
    let _ = if json_on_stdout {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_broken_pipe_panics_are_silenced() {
        let broken: Box<dyn std::any::Any + Send> = Box::new(String::from(
            "called `Result::unwrap()` on an `Err` value: Os { code: 32, kind: BrokenPipe, message: \"Broken pipe\" }",
        ));
        assert!(super::closed_pipe(broken.as_ref()));
        let other: Box<dyn std::any::Any + Send> = Box::new("index out of bounds");
        assert!(!super::closed_pipe(other.as_ref()));
    }
}
