//! The console summary of a run: root causes, readiness per identity provider, the lifecycle view,
//! the counts per level and the verdict.

use std::fmt::Write as _;

use super::{BLOCKED, CONFLICT, FAILED, PASSED, Readiness, RootCause, RunMeta, SKIPPED, StepState, Summary, quoted};
use crate::suite::Level;

impl Summary {
    /// The root causes, what to fix first; empty when nothing failed.
    pub fn render_causes(&self) -> String {
        if self.causes.is_empty() {
            return String::new();
        }
        let mut out = String::from("\nroot causes, what to fix first:\n");
        for c in &self.causes {
            let waived = c.failed.iter().chain(&c.blocked).all(|n| self.is_waived(n));
            let _ = writeln!(out, "  {}{}", c.line(), if waived { " [waived]" } else { "" });
            let first = c.failed.first().or(c.blocked.first()).map_or("", String::as_str);
            let said = c.server_said.as_ref().map_or(String::new(), |s| format!("; the server said {}", quoted(s)));
            let _ = writeln!(out, "       e.g. {first} ({}){said}", crate::runner::quirks::annotate(&c.source));
        }
        out
    }

    /// The conflicts resolved in an identity provider's favour: per check, the tension, which side the
    /// server took and what it means for each IdP, with both citations; empty without one.
    pub fn render_conflicts(&self) -> String {
        if self.conflicts.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "\nconflicts between the RFC and an identity provider, resolved in the IdP's favour (not failures):\n",
        );
        for c in &self.conflicts {
            let _ = writeln!(out, "  {} — {}", c.heading(), c.check);
            let _ = writeln!(out, "       {}", c.sentence());
        }
        out
    }

    /// `PASS: every MUST requirement holds` or `FAIL: 2 MUST root causes (6 MUST checks failed, 2 blocked)`.
    pub fn verdict(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let must_causes = self
            .causes
            .iter()
            .filter(|c| c.level == Level::Must && !c.failed.iter().chain(&c.blocked).all(|n| self.is_waived(n)))
            .count();
        let (must, blocked) = (self.unwaived_failed(Level::Must), self.unwaived_blocked(Level::Must));
        let drift = self.snapshots_failed();
        let mut reasons = Vec::new();
        if must + blocked > 0 {
            let mut checks = format!("{must} MUST check{} failed", plural(must));
            if blocked > 0 {
                checks.push_str(&format!(", {blocked} blocked"));
            }
            reasons.push(format!("{must_causes} MUST root cause{} ({checks})", plural(must_causes)));
        }
        if drift > 0 {
            reasons.push(format!("{drift} snapshot{} drifted", plural(drift)));
        }
        let problems = self.baseline_problems();
        if problems > 0 {
            reasons.push(format!("{problems} baseline waiver{} fixed or expired", plural(problems)));
        }
        let waived = self.waived(Level::Must);
        if reasons.is_empty() && waived > 0 {
            format!("PASS: every MUST requirement holds but {waived} waived check{} (baseline)", plural(waived))
        } else if reasons.is_empty() && !self.conflicts.is_empty() {
            let n = self.conflicts.len();
            let conflicts = if n == 1 { "1 as a conflict".to_string() } else { format!("{n} as conflicts") };
            format!("PASS: every MUST requirement holds, {conflicts} resolved in an identity provider's favour")
        } else if reasons.is_empty() {
            "PASS: every MUST requirement holds".to_string()
        } else if must + blocked == 0 {
            format!("FAIL: {} (every MUST requirement holds)", reasons.join(", "))
        } else {
            format!("FAIL: {}", reasons.join(", "))
        }
    }

    /// The closing lines: the root causes, one line per level, a verdict, and the plain
    /// `N passed, N failed, N skipped` line.
    pub fn render(&self, meta: &RunMeta) -> String {
        let mut out = self.render_causes();
        out.push_str(&self.render_conflicts());
        out.push_str(&render_readiness(&self.readiness, &self.causes));
        if let Some(b) = &self.baseline {
            out.push_str(&b.render());
        }
        let _ = write!(
            out,
            "\nscimtest: profile `{}` against {} in {:.2} s\n",
            meta.profile,
            meta.target,
            meta.duration.as_secs_f64()
        );
        let any_blocked = self.total(BLOCKED) > 0;
        for level in Level::ALL {
            let blocked = if any_blocked { format!(", {:>3} blocked", self.blocked(level)) } else { String::new() };
            let waived =
                if self.waived(level) > 0 { format!(" ({} waived)", self.waived(level)) } else { String::new() };
            let conflicts = if self.total(CONFLICT) > 0 {
                format!(", {:>3} conflicts", self.conflicted(level))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<7} {:>4} passed, {:>3} failed, {:>3} skipped{blocked}{conflicts}{waived}",
                level.as_str(),
                self.passed(level),
                self.failed(level),
                self.skipped(level)
            );
        }
        if !self.snapshots.is_empty() {
            let counts: Vec<String> = self.snapshots.iter().map(|(label, n)| format!("{n} {label}")).collect();
            let _ = writeln!(out, "  snapshots: {}", counts.join(", "));
        }
        out.push_str(&self.closing_lines());
        out
    }

    /// The last two lines of [`Summary::render`]: `verdict: …` and the plain `scimtest: N passed, N
    /// failed, N skipped` line (what `selftest` closes on after its two groups).
    pub fn closing_lines(&self) -> String {
        let mut out = String::new();
        let any_blocked = self.total(BLOCKED) > 0;
        let _ = writeln!(out, "verdict: {}", self.verdict());
        let mut blocked = if any_blocked { format!(", {} blocked", self.total(BLOCKED)) } else { String::new() };
        if self.total(CONFLICT) > 0 {
            blocked.push_str(&format!(", {} conflicts", self.total(CONFLICT)));
        }
        let _ = writeln!(
            out,
            "scimtest: {} passed, {} failed, {} skipped{blocked}",
            self.total(PASSED),
            self.total(FAILED),
            self.total(SKIPPED)
        );
        out
    }
}

/// For the identity-provider profiles of a run: each lifecycle step the IdP performs (and each quirk it
/// relies on) in lifecycle order, whether it works, and if not the root cause that stops it — what a vendor
/// reads to know where Entra or Okta will fail. Empty when the run planned no identity provider.
pub fn lifecycle_view(readiness: &[Readiness], causes: &[RootCause]) -> String {
    if readiness.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nwhat the identity provider will see:\n");
    for ready in readiness {
        let _ = writeln!(out, "  {} ({}):", ready.idp.display_name, ready.idp.name);
        for step in &ready.steps {
            let why = |how: &str| match &step.example {
                Some((name, cause)) => {
                    let cause = cause.and_then(|id| causes.iter().find(|c| c.id == id));
                    let cause = cause.map_or(String::new(), |c| {
                        let said = c
                            .server_said
                            .as_ref()
                            .map_or(String::new(), |s| format!("; the server said {}", quoted(s)));
                        format!("{how} {}: {}{said} ", c.id, c.title)
                    });
                    let more =
                        if step.failing > 1 { format!(" (and {} more)", step.failing - 1) } else { String::new() };
                    format!("{cause}[{name}{more}]")
                }
                None => String::new(),
            };
            let how = if step.blocked { "blocked by" } else { "root cause" };
            let _ = match step.state {
                StepState::Works => writeln!(out, "    ✓ {}", step.title),
                StepState::WorksWithout => {
                    writeln!(out, "    ~ {} — its MUST checks pass; a SHOULD/MAY check fails: {}", step.title, why(how))
                }
                StepState::Fails => writeln!(out, "    ✗ {} — {}", step.title, why(how)),
                StepState::Skipped => writeln!(
                    out,
                    "    - {} — skipped: {}",
                    step.title,
                    step.skip_reason.as_deref().unwrap_or("no check ran")
                ),
            };
        }
    }
    out
}

/// The per-IdP verdict lines the run ends with (before the level counts); empty without an IdP profile.
pub fn render_readiness(readiness: &[Readiness], causes: &[RootCause]) -> String {
    if readiness.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nreadiness per identity provider (steps whose MUST checks all pass / steps run):\n");
    for r in readiness {
        let _ = writeln!(out, "  {}", r.line(causes));
    }
    out
}
