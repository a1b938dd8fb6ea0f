//! The signals that stop a run: Ctrl-C at a terminal, SIGTERM from CI cancellation, `timeout` or
//! `docker stop`, SIGHUP from a closed terminal or SSH session. Each gets the same orderly cleanup.

/// A signal that asks the run to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupt {
    /// As a person knows it: `Ctrl-C`, `SIGTERM`, `SIGHUP`.
    pub name: &'static str,
    /// The exit status a shell expects after it: 128 + the signal number.
    pub status: i32,
}

const CTRL_C: Interrupt = Interrupt { name: "Ctrl-C", status: 130 };

/// Resolves when the process receives SIGINT, SIGTERM or SIGHUP. Where a handler cannot be installed, only
/// that signal is left out (its default, ending the process, stays).
pub async fn interrupted() -> Interrupt {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let wait = |kind: SignalKind, what: Interrupt| async move {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                    what
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => CTRL_C,
            s = wait(SignalKind::terminate(), Interrupt { name: "SIGTERM", status: 143 }) => s,
            s = wait(SignalKind::hangup(), Interrupt { name: "SIGHUP", status: 129 }) => s,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        CTRL_C
    }
}
