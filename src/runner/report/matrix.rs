//! The readiness matrix of a run with several profiles: one row per lifecycle step or quirk, aligned across
//! the identity providers (Entra's `disable user` and Okta's `deactivate user` are one row), one column per
//! profile, each cell passed / failed / blocked / skipped with its root cause, and a verdict per column.
//! Built as data from the records and the readiness per IdP; each writer renders it.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Outcome, Readiness, Record, RootCause, cause_of};
use crate::suite::Level;

/// The catalogue rows in lifecycle order, each with the step titles (of `LIFECYCLE`) it holds: the same
/// job under each identity provider's name. A step title in no row is a row of its own (quirks, SPEC test
/// steps, generated checks), after these, in plan order.
const ROWS: &[(&str, &[&str])] = &[
    ("Test Connection", &["Test Connection", "Test API Credentials"]),
    ("schema discovery", &["schema discovery", "discover resource types"]),
    ("import users", &["import users"]),
    ("match user", &["match user"]),
    ("create user", &["create user"]),
    ("read user", &["read user"]),
    ("update user", &["update user", "push profile update"]),
    ("set an attribute (lower-case add)", &["set an attribute (lower-case add)"]),
    ("rename user", &["rename user"]),
    ("set manager", &["set manager"]),
    ("disable user", &["disable user", "deactivate user"]),
    ("re-enable user", &["re-enable user", "reactivate user"]),
    ("delete user", &["delete user"]),
    ("import groups", &["import groups"]),
    ("match group", &["match group", "link group"]),
    ("create group", &["create group", "push group"]),
    ("rename group", &["rename group"]),
    (
        "group membership",
        &["add group members", "remove group members", "push membership changes", "push full membership"],
    ),
    ("delete group", &["delete group"]),
    ("entitlements and roles", &["list entitlements and roles", "assign entitlements and roles"]),
];

/// How long a cell's reason may be: enough to recognise the root cause, which the reports give whole.
const REASON_CHARS: usize = 80;

/// How a step fared under one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Its MUST checks passed (`should_fails` tells whether a SHOULD or MAY check did not).
    Passed,
    /// A MUST check failed.
    Failed,
    /// A MUST check could not be judged: its setup failed.
    Blocked,
    /// Every check was skipped.
    Skipped,
}

/// One step under one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixCell {
    pub state: CellState,
    /// Its MUST checks pass but a SHOULD or MAY check fails (or is blocked).
    pub should_fails: bool,
    /// Every check (trial name) judging the step, in plan order.
    pub checks: Vec<String>,
    /// The checks that failed or were blocked, any level.
    pub failing: Vec<String>,
    /// Why, shortened: the root cause's title, or the skip reason.
    pub reason: Option<String>,
    /// The root cause (id in `Summary::causes`) of the first failing check.
    pub root_cause: Option<usize>,
}

/// One lifecycle step (or quirk, or group of checks) across the profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixRow {
    /// `create user`, `quirk E-Q2: …`, `generated filter checks`, `users suite`.
    pub step: String,
    /// One per column, in column order; `None` where the profile has no such step.
    pub cells: Vec<Option<MatrixCell>>,
}

/// A column's verdict: an identity provider is READY when every MUST check of its profile passed or was
/// skipped and something ran; for the RFC profile the same rule reads PASS / FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnVerdict {
    Ready,
    NotReady,
    NotJudged,
}

/// One profile of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixColumn {
    /// The profile (or app) name, the first part of its trial names.
    pub profile: String,
    pub display_name: String,
    /// Whether it replays an identity provider (else it is the RFC profile or another standard one).
    pub idp: bool,
    pub verdict: ColumnVerdict,
    /// The root causes (ids) failing or blocking a MUST check of this profile, in fix order.
    pub blocked_by: Vec<usize>,
}

impl MatrixColumn {
    /// `READY` / `NOT READY` for an identity provider, `PASS` / `FAIL` for the RFC profile, or `NOT JUDGED`.
    pub fn verdict_label(&self) -> &'static str {
        match (self.verdict, self.idp) {
            (ColumnVerdict::NotJudged, _) => "NOT JUDGED",
            (ColumnVerdict::Ready, true) => "READY",
            (ColumnVerdict::NotReady, true) => "NOT READY",
            (ColumnVerdict::Ready, false) => "PASS",
            (ColumnVerdict::NotReady, false) => "FAIL",
        }
    }
}

/// The readiness matrix: rows are steps aligned across the profiles, columns the profiles of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Matrix {
    pub columns: Vec<MatrixColumn>,
    pub rows: Vec<MatrixRow>,
}

/// A step's row title: its catalogue row, else the step's own title.
fn row_of(step: &str) -> (String, usize) {
    match ROWS.iter().position(|(_, titles)| titles.contains(&step)) {
        Some(i) => (ROWS[i].0.to_string(), i),
        None => (step.to_string(), ROWS.len()),
    }
}

fn shorten(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max && !text.contains('\n') {
        return line.to_string();
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// A step judged by `records` (one profile's checks): the cell, and whether a MUST check fails in it.
fn cell(records: &[&Record], causes: &[RootCause]) -> MatrixCell {
    let cause_of = cause_of(causes);
    let failing: Vec<&Record> = records.iter().copied().filter(|r| r.outcome.failure().is_some()).collect();
    let must: Vec<&Record> = failing.iter().copied().filter(|r| r.requirement.level == Level::Must).collect();
    let ran = records.iter().any(|r| !matches!(r.outcome, Outcome::Skipped(_)));
    let example = must.first().or(failing.first()).copied();
    let state = match must.first() {
        Some(r) if matches!(r.outcome, Outcome::Blocked(_)) => CellState::Blocked,
        Some(_) => CellState::Failed,
        None if ran => CellState::Passed,
        None => CellState::Skipped,
    };
    let root_cause = example.and_then(|r| cause_of.get(r.name.as_str()).copied());
    let reason = match (root_cause.and_then(|id| causes.iter().find(|c| c.id == id)), state) {
        (Some(c), _) => Some(c.title.clone()),
        (None, CellState::Skipped) => records.iter().find_map(|r| match &r.outcome {
            Outcome::Skipped(why) => Some(why.clone()),
            _ => None,
        }),
        _ => None,
    };
    MatrixCell {
        state,
        should_fails: must.is_empty() && !failing.is_empty(),
        checks: records.iter().map(|r| r.name.clone()).collect(),
        failing: failing.iter().map(|r| r.name.clone()).collect(),
        reason: reason.map(|r| shorten(&r, REASON_CHARS)),
        root_cause,
    }
}

/// A row being built: its title, its order (catalogue position, then first appearance) and the records of
/// each column.
type RowDraft<'a> = (String, (usize, usize), Vec<Vec<&'a Record>>);

/// The matrix of a run: a column per profile in `profiles` (plan order) that has records, the identity
/// providers' steps from `readiness`, the other profiles' checks grouped by suite (generated checks by
/// kind, which aligns them with the IdPs' generated checks).
pub fn matrix(records: &[Record], causes: &[RootCause], readiness: &[Readiness], profiles: &[String]) -> Matrix {
    let cause_of = cause_of(causes);
    let mut rows: Vec<RowDraft> = Vec::new();
    let mut columns = Vec::new();
    let mut seen = 0;
    for profile in profiles {
        let prefix = format!("{profile}::");
        let mine: Vec<&Record> = records.iter().filter(|r| r.name.starts_with(&prefix)).collect();
        if mine.is_empty() || columns.iter().any(|c: &MatrixColumn| c.profile == *profile) {
            continue;
        }
        let column = columns.len();
        let ready = readiness.iter().find(|r| r.idp.name == *profile);
        // (row title, its records) for this column
        let steps: Vec<(String, Vec<&Record>)> = match ready {
            Some(ready) => ready
                .steps
                .iter()
                .map(|s| (s.title.clone(), mine.iter().copied().filter(|r| s.checks.contains(&r.name)).collect()))
                .collect(),
            None => {
                let mut by_suite: Vec<(String, Vec<&Record>)> = Vec::new();
                for r in &mine {
                    let title = if r.suite == "properties" {
                        format!("generated {} checks", r.scenario)
                    } else {
                        format!("{} suite", r.suite)
                    };
                    match by_suite.iter_mut().find(|(t, _)| *t == title) {
                        Some((_, rs)) => rs.push(r),
                        None => by_suite.push((title, vec![*r])),
                    }
                }
                by_suite
            }
        };
        for (title, rs) in steps {
            let (row, position) = row_of(&title);
            let at = match rows.iter().position(|(t, _, _)| *t == row) {
                Some(i) => i,
                None => {
                    seen += 1;
                    rows.push((row, (position, seen), Vec::new()));
                    rows.len() - 1
                }
            };
            let cells = &mut rows[at].2;
            cells.resize_with(column + 1, Vec::new);
            cells[column].extend(rs);
        }
        let must_failing = mine.iter().filter(|r| r.requirement.level == Level::Must && r.outcome.failure().is_some());
        let mut blocked_by: Vec<usize> = match ready {
            Some(ready) => ready.blocked_by.clone(),
            None => must_failing.filter_map(|r| cause_of.get(r.name.as_str()).copied()).collect(),
        };
        blocked_by.sort_unstable();
        blocked_by.dedup();
        let judged = mine.iter().any(|r| !matches!(r.outcome, Outcome::Skipped(_)));
        let verdict = if !blocked_by.is_empty() {
            ColumnVerdict::NotReady
        } else if judged {
            ColumnVerdict::Ready
        } else {
            ColumnVerdict::NotJudged
        };
        columns.push(MatrixColumn {
            profile: profile.clone(),
            display_name: ready.map_or_else(|| profile.clone(), |r| r.idp.display_name.clone()),
            idp: ready.is_some(),
            verdict,
            blocked_by,
        });
    }
    rows.sort_by_key(|(_, order, _)| *order);
    let rows = rows
        .into_iter()
        .map(|(step, _, mut cells)| {
            cells.resize_with(columns.len(), Vec::new);
            let cells = cells.iter().map(|rs| (!rs.is_empty()).then(|| cell(rs, causes))).collect();
            MatrixRow { step, cells }
        })
        .collect();
    Matrix { columns, rows }
}

impl MatrixCell {
    /// `✓`, `~ #4` (a SHOULD/MAY check fails), `✗ #2`, `⊘ #1` (blocked) or `–` (skipped).
    pub fn mark(&self) -> String {
        let cause = self.root_cause.map_or(String::new(), |id| format!(" #{id}"));
        match self.state {
            CellState::Passed if self.should_fails => format!("~{cause}"),
            CellState::Passed => "✓".to_string(),
            CellState::Failed => format!("✗{cause}"),
            CellState::Blocked => format!("⊘{cause}"),
            CellState::Skipped => "–".to_string(),
        }
    }
}

/// The widest the console matrix gets.
const CONSOLE_WIDTH: usize = 120;
/// The narrowest the step column gets before profiles move to a further table.
const MIN_STEP_WIDTH: usize = 20;

fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

impl Matrix {
    /// The compact console table (at most 120 columns wide), only for a run of more than one profile:
    /// a mark per cell with its root-cause number, then each column's verdict and what blocks it. The
    /// lifecycle rows are always shown; other rows (quirks, SPEC steps, suites) only where a cell is not a
    /// plain pass — the rest are counted on one line (the JSON and Markdown reports list them).
    pub fn render(&self) -> String {
        if self.columns.len() < 2 {
            return String::new();
        }
        let widths: Vec<usize> = self.columns.iter().map(|c| c.profile.chars().count().clamp(9, 15) + 2).collect();
        // As many columns side by side as fit the console beside the narrowest step column; the rest in
        // further tables under it (ten profiles do not fit 120 characters).
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        let mut start = 0;
        let mut used = 0;
        for (i, w) in widths.iter().enumerate() {
            if i > start && 2 + MIN_STEP_WIDTH + used + w > CONSOLE_WIDTH {
                groups.push(start..i);
                (start, used) = (i, 0);
            }
            used += w;
        }
        groups.push(start..widths.len());
        let mut out = String::from(
            "\nreadiness matrix (✓ passed, ✗ failed, ⊘ blocked, – skipped, ~ a SHOULD/MAY check fails,\n\
             \x20 · not in the profile; #n: root cause n, listed below):\n",
        );
        let lifecycle = |row: &MatrixRow| ROWS.iter().any(|(title, _)| *title == row.step);
        let plain = |row: &MatrixRow| {
            !lifecycle(row) && row.cells.iter().flatten().all(|c| c.state == CellState::Passed && !c.should_fails)
        };
        let folded = self.rows.iter().filter(|r| plain(r)).count();
        let several = groups.len() > 1;
        for (n, range) in groups.iter().enumerate() {
            let widths = &widths[range.clone()];
            let columns = &self.columns[range.clone()];
            let step_width = CONSOLE_WIDTH.saturating_sub(2 + widths.iter().sum::<usize>()).clamp(MIN_STEP_WIDTH, 44);
            if several {
                let _ = writeln!(
                    out,
                    "{}columns {}–{} of {}:",
                    if n > 0 { "\n" } else { "" },
                    range.start + 1,
                    range.end,
                    self.columns.len()
                );
            }
            // Each field cut to its width less one, so neighbours never run together.
            let line = |first: &str, cells: Vec<String>| {
                let mut l = format!("  {} ", fit(first, step_width - 1));
                for (text, w) in cells.iter().zip(widths) {
                    l.push_str(&fit(text, w - 1));
                    l.push(' ');
                }
                l.trim_end().to_string()
            };
            let _ = writeln!(out, "{}", line("step", columns.iter().map(|c| c.profile.clone()).collect()));
            // A quirk or suite row none of this table's profiles has is left out of it (lifecycle rows stay,
            // so the tables line up).
            let elsewhere =
                |row: &MatrixRow| several && !lifecycle(row) && row.cells[range.clone()].iter().all(Option::is_none);
            for row in self.rows.iter().filter(|r| !plain(r) && !elsewhere(r)) {
                let cells = row.cells[range.clone()]
                    .iter()
                    .map(|c| c.as_ref().map_or_else(|| "·".to_string(), MatrixCell::mark));
                let _ = writeln!(out, "{}", line(&row.step, cells.collect()));
            }
            if folded > 0 && !several {
                let _ = writeln!(
                    out,
                    "  and {folded} more rows (quirks, SPEC steps, suites) that passed wherever they ran (JSON/Markdown list them)"
                );
            }
            let _ =
                writeln!(out, "{}", line("verdict", columns.iter().map(|c| c.verdict_label().to_string()).collect()));
            if columns.iter().any(|c| !c.blocked_by.is_empty()) {
                let blocked = columns
                    .iter()
                    .map(|c| c.blocked_by.iter().map(|id| format!("#{id}")).collect::<Vec<_>>().join(","));
                let _ = writeln!(out, "{}", line("blocked by (root causes)", blocked.collect()));
            }
        }
        if folded > 0 && several {
            let _ = writeln!(
                out,
                "  and {folded} more rows (quirks, SPEC steps, suites) that passed wherever they ran (JSON/Markdown list them)"
            );
        }
        out
    }

    /// The Markdown table: a row per step, a column per profile, then the verdicts and their root causes.
    pub fn to_markdown(&self) -> String {
        if self.columns.len() < 2 {
            return String::new();
        }
        let esc = |t: &str| t.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ");
        let mut out = String::from("### Readiness matrix\n\n| step |");
        for c in &self.columns {
            if c.display_name == c.profile {
                let _ = write!(out, " `{}` |", esc(&c.profile));
            } else {
                let _ = write!(out, " {} (`{}`) |", esc(&c.display_name), esc(&c.profile));
            }
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(self.columns.len()));
        out.push('\n');
        for row in &self.rows {
            let _ = write!(out, "| {} |", esc(&row.step));
            for cell in &row.cells {
                let text = match cell {
                    None => String::new(),
                    Some(c) => {
                        let cause = c.root_cause.map_or(String::new(), |id| format!(" {id}"));
                        match c.state {
                            CellState::Passed if c.should_fails => format!("⚠️{cause}"),
                            CellState::Passed => "✅".into(),
                            CellState::Failed => format!("❌{cause}"),
                            CellState::Blocked => format!("⛔{cause}"),
                            CellState::Skipped => "⏭️".into(),
                        }
                    }
                };
                let _ = write!(out, " {text} |");
            }
            out.push('\n');
        }
        out.push_str("| **verdict** |");
        for c in &self.columns {
            let mark = match c.verdict {
                ColumnVerdict::Ready => "✅",
                ColumnVerdict::NotReady => "❌",
                ColumnVerdict::NotJudged => "⏭️",
            };
            let causes = if c.blocked_by.is_empty() {
                String::new()
            } else {
                format!(
                    " (root cause{} {})",
                    if c.blocked_by.len() == 1 { "" } else { "s" },
                    c.blocked_by.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
                )
            };
            let _ = write!(out, " {mark} {}{causes} |", c.verdict_label());
        }
        out.push_str(
            "\n\n✅ passed, ❌ failed, ⛔ blocked (its setup failed), ⏭️ skipped, ⚠️ a SHOULD/MAY check fails; the \
             number is the root cause.\n\n",
        );
        out
    }
}

/// Whether a lifecycle step state and a cell agree (for the tests: the matrix never contradicts readiness).
#[cfg(test)]
fn agrees(state: super::StepState, cell: &MatrixCell) -> bool {
    use super::StepState;
    match state {
        StepState::Works => cell.state == CellState::Passed && !cell.should_fails,
        StepState::WorksWithout => cell.state == CellState::Passed && cell.should_fails,
        StepState::Fails => matches!(cell.state, CellState::Failed | CellState::Blocked),
        StepState::Skipped => cell.state == CellState::Skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{IdpProfile, readiness, root_causes};
    use super::*;
    use crate::runner::failure::{Failure, Problem, ProblemKind, StepRef};
    use crate::suite::Requirement;

    fn record(name: &str, source: &str, outcome: Outcome) -> Record {
        let mut parts = name.split("::");
        let (_, suite, scenario) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        Record {
            name: name.into(),
            suite: suite.into(),
            scenario: scenario.into(),
            requirement: Requirement { source: source.into(), level: Level::Must, text: "t".into() },
            outcome,
            duration: std::time::Duration::ZERO,
            snapshot: None,
        }
    }

    fn failing(endpoint: &str, observed: &str) -> Failure {
        Failure {
            step: StepRef { number: 1, label: "step 1 `x`".into(), kind: endpoint.into(), setup: false },
            problems: vec![Problem::new(ProblemKind::Status, "status", "200", observed)],
            exchange: None,
            generated: None,
        }
    }

    #[test]
    fn a_matrix_wider_than_the_console_continues_in_further_tables() {
        let names = [
            "rfc",
            "entra",
            "entra-compliant",
            "okta",
            "okta-aiw",
            "onelogin",
            "jumpcloud",
            "ping",
            "google-workspace",
            "rippling",
        ];
        let columns: Vec<MatrixColumn> = names
            .iter()
            .enumerate()
            .map(|(i, n)| MatrixColumn {
                profile: n.to_string(),
                display_name: n.to_string(),
                idp: i > 0,
                verdict: if i == 7 { ColumnVerdict::NotReady } else { ColumnVerdict::Ready },
                blocked_by: if i == 7 { vec![3] } else { Vec::new() },
            })
            .collect();
        let cell = |state| MatrixCell {
            state,
            should_fails: false,
            checks: vec!["c".into()],
            failing: Vec::new(),
            reason: None,
            root_cause: (state == CellState::Failed).then_some(3),
        };
        let row = MatrixRow {
            step: ROWS[0].0.to_string(),
            cells: (0..names.len())
                .map(|i| Some(cell(if i == 7 { CellState::Failed } else { CellState::Passed })))
                .collect(),
        };
        // A quirk failing in the first profile only: a row of the first table, not of the others.
        let quirk = MatrixRow {
            step: "quirk E-Q2: booleans arrive as strings".into(),
            cells: (0..names.len()).map(|i| (i == 1).then(|| cell(CellState::Failed))).collect(),
        };
        let m = Matrix { columns, rows: vec![row, quirk] };
        let text = m.render();
        assert_eq!(text.matches("quirk E-Q2").count(), 1, "the quirk row only where its profile is:\n{text}");
        assert_eq!(text.matches(ROWS[0].0).count(), text.matches("columns ").count(), "lifecycle rows in every table");
        assert!(text.lines().all(|l| l.chars().count() <= CONSOLE_WIDTH), "{text}");
        for n in names {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with("step ") && l.contains(n)),
                "{n} has a column:\n{text}"
            );
        }
        assert!(text.contains("columns 1–") && text.contains("of 10:"), "{text}");
        assert_eq!(
            text.matches("\n  verdict").count(),
            text.matches("columns ").count(),
            "a verdict line per table:\n{text}"
        );
        assert!(text.contains("NOT READY") && text.contains("#3") && text.contains("✗ #3"), "{text}");
        // Five columns still fit one table, as before.
        let five = Matrix {
            columns: m.columns[..5].to_vec(),
            rows: vec![MatrixRow { step: "s".into(), cells: m.rows[0].cells[..5].to_vec() }],
        };
        assert!(!five.render().contains("columns "), "{}", five.render());
    }

    #[test]
    fn steps_align_across_identity_providers_and_each_column_has_its_verdict() {
        let records = [
            record("rfc::users::create", "RFC 7644 §3.3", Outcome::Passed),
            record("rfc::properties::filter", "RFC 7644 §3.4.2.2", Outcome::Passed),
            record("entra::u::create", "Entra E-CU", Outcome::Passed),
            record("entra::u::disable", "Entra E-DU, E-Q2", Outcome::Failed(failing("PATCH /Users/{id}", "400"))),
            record("entra::properties::filter", "RFC 7644 §3.4.2.2", Outcome::Passed),
            record("okta::u::create", "Okta O-CU", Outcome::Passed),
            record("okta::u::deactivate", "Okta O-DU", Outcome::Passed),
            record("okta::u::quirk", "Okta O-Q1", Outcome::Skipped("read-only".into())),
        ];
        let causes = root_causes(&records);
        let idps = [
            IdpProfile { name: "entra".into(), display_name: "Microsoft Entra ID".into() },
            IdpProfile { name: "okta".into(), display_name: "Okta".into() },
        ];
        let ready = readiness(&records, &causes, &idps);
        let profiles = ["rfc", "entra", "okta", "okta-aiw"].map(String::from);
        let m = matrix(&records, &causes, &ready, &profiles);
        let names: Vec<&str> = m.columns.iter().map(|c| c.profile.as_str()).collect();
        assert_eq!(names, ["rfc", "entra", "okta"], "a profile without records is no column");
        let steps: Vec<&str> = m.rows.iter().map(|r| r.step.as_str()).collect();
        assert_eq!(steps[..4], ["create user", "disable user", "users suite", "generated filter checks"], "{steps:?}");
        assert!(steps[4].starts_with("quirk O-Q1: ") && steps.len() == 5, "{steps:?}");
        let disable = &m.rows[1];
        assert_eq!(disable.cells[0], None, "rfc has no disable step");
        let entra = disable.cells[1].as_ref().expect("entra disables");
        assert_eq!((entra.state, entra.root_cause), (CellState::Failed, Some(1)));
        assert_eq!(entra.reason.as_deref(), Some(causes[0].title.as_str()));
        assert_eq!(entra.failing, ["entra::u::disable"]);
        assert_eq!(disable.cells[2].as_ref().map(|c| c.state), Some(CellState::Passed), "okta's deactivate aligns");
        let verdicts: Vec<&str> = m.columns.iter().map(MatrixColumn::verdict_label).collect();
        assert_eq!(verdicts, ["PASS", "NOT READY", "READY"]);
        assert_eq!(m.columns[1].blocked_by, [1]);
        // Each IdP cell says what its lifecycle step says.
        for (column, r) in ready.iter().enumerate() {
            for step in &r.steps {
                let row = m.rows.iter().find(|row| row.step == row_of(&step.title).0).expect("a row per step");
                let cell = row.cells[column + 1].as_ref().expect("the step's cell");
                assert!(agrees(step.state, cell), "{}: {:?} vs {cell:?}", step.title, step.state);
            }
        }
        let text = m.render();
        assert!(text.lines().all(|l| l.chars().count() <= CONSOLE_WIDTH), "{text}");
        assert!(text.contains("\n  disable user"), "{text}");
        let disable_line = text.lines().find(|l| l.trim_start().starts_with("disable user")).unwrap_or_default();
        assert!(disable_line.contains("·") && disable_line.contains("✗ #1") && disable_line.contains('✓'), "{text}");
        assert!(text.lines().any(|l| l.contains("verdict") && l.contains("NOT READY") && l.contains("PASS")), "{text}");
        let md = m.to_markdown();
        assert!(md.contains("| step | `rfc` | Microsoft Entra ID (`entra`) | Okta (`okta`) |\n"), "{md}");
        assert!(md.contains("| disable user |  | ❌ 1 | ✅ |"), "{md}");
        assert!(md.contains("| **verdict** | ✅ PASS | ❌ NOT READY (root cause 1) | ✅ READY |"), "{md}");
        let one = matrix(&records, &causes, &ready, &["okta".to_string()]);
        assert_eq!((one.columns.len(), one.render(), one.to_markdown()), (1, String::new(), String::new()));
    }
}
