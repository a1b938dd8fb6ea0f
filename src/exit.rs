//! The one exit status every `scimtest` command ends with.

/// What the process tells its caller (a shell, a CI job): one meaning per number, for every command.
///
/// An interrupted run ends with the usual signal status instead (130 for Ctrl-C, 143 for SIGTERM, 129
/// for SIGHUP) after it has cleaned up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exit {
    /// Every MUST holds, or the command did what was asked.
    #[default]
    Pass,
    /// A MUST requirement failed (`run`, `selftest`), or the input is a filter or PATCH a server would
    /// reject (`filter`, `patch`).
    Fail,
    /// A usage or configuration mistake: nothing was judged, and the one line printed says what to fix.
    Usage,
}

impl Exit {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Pass => 0,
            Exit::Fail => 1,
            Exit::Usage => 2,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_are_the_documented_ones() {
        for (exit, code) in [(Exit::Pass, 0), (Exit::Fail, 1), (Exit::Usage, 2)] {
            assert_eq!(exit.code(), code);
        }
        assert!(Exit::Usage > Exit::Fail && Exit::Fail > Exit::Pass, "the worst of several runs is the max");
    }
}
