//! Known failures with a ratchet (`--baseline FILE`): a TOML file waives failing checks, by trial name or
//! by root cause, each with a reason, an optional link and an optional expiry date.
//!
//! ```toml
//! [[waive]]
//! cause = "POST /Groups: answers 400 where 201 is expected"
//! reason = "group create rejects the Microsoft schema URN"
//! link = "https://tracker.example.com/SCIM-42"
//! expires = 2027-01-31
//!
//! [[waive]]
//! check = "rfc::patch::remove_member"
//! reason = "PATCH remove is not atomic yet"
//! ```
//!
//! A waived failure (or blocked check) is listed as waived and does not fail the run; any other failure
//! does. The baseline only ever shrinks: a waiver whose check now passes, or whose root cause no longer
//! appears, fails the run until it is removed, and so does an expired one. A waiver naming no planned
//! check is a usage error before anything is sent.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::failure::Failure;
use super::report::{Outcome, Record, RootCause};

/// A calendar date (`expires`), compared with today's UTC date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Date {
    /// The UTC date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        Date::from_unix_days(secs.div_euclid(86_400))
    }
}

/// What a waiver names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waived {
    /// A trial name, `rfc::patch::remove_member`.
    Check(String),
    /// A root cause's title, as `root causes` and the JSON report's `root_causes[].title` print it.
    Cause(String),
}

impl fmt::Display for Waived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Waived::Check(name) => write!(f, "check `{name}`"),
            Waived::Cause(title) => write!(f, "root cause \"{title}\""),
        }
    }
}

/// One `[[waive]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    pub waived: Waived,
    pub reason: String,
    pub link: Option<String>,
    /// The last day the waiver holds.
    pub expires: Option<Date>,
    /// 1-based line of the entry's `[[waive]]` header in the file.
    pub line: usize,
}

impl Waiver {
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| today > e)
    }

    /// `reason (link, expires 2027-01-31)`.
    pub fn why(&self) -> String {
        let mut extra = Vec::new();
        if let Some(link) = &self.link {
            extra.push(link.clone());
        }
        if let Some(e) = self.expires {
            extra.push(format!("expires {e}"));
        }
        if extra.is_empty() { self.reason.clone() } else { format!("{} ({})", self.reason, extra.join(", ")) }
    }
}

/// A loaded, validated baseline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub file: PathBuf,
    pub waivers: Vec<Waiver>,
}

/// A baseline that cannot be used: exit 2, `error: FILE:LINE: message` then `  fix: …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}\n  fix: {}", self.file.display(), self.message, self.fix),
            None => write!(f, "{}: {}\n  fix: {}", self.file.display(), self.message, self.fix),
        }
    }
}

impl std::error::Error for BaselineError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waive: Vec<toml::Spanned<RawWaiver>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    check: Option<String>,
    cause: Option<String>,
    reason: Option<String>,
    link: Option<String>,
    expires: Option<toml::Spanned<toml::Value>>,
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

const EXAMPLE: &str =
    "[[waive]] with `check = \"rfc::users::x\"` or `cause = \"<root cause title>\"`, and `reason = \"…\"`";

impl Baseline {
    /// Reads and validates a baseline file.
    pub fn load(file: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(file).map_err(|e| BaselineError {
            file: file.to_path_buf(),
            line: None,
            message: format!("cannot read the baseline: {e}"),
            fix: "pass an existing file to --baseline; `scimtest baseline --from report.json` writes one".into(),
        })?;
        Baseline::parse(file, &text)
    }

    /// Validates baseline text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Baseline, BaselineError> {
        let error = |line: Option<usize>, message: String, fix: &str| BaselineError {
            file: file.to_path_buf(),
            line,
            message,
            fix: fix.to_string(),
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            error(line, e.message().trim().to_string(), &format!("each entry is {EXAMPLE}"))
        })?;
        let mut waivers = Vec::new();
        for entry in raw.waive {
            let line = line_of(text, entry.span().start);
            let raw = entry.into_inner();
            let waived = match (raw.check, raw.cause) {
                (Some(check), None) if !check.trim().is_empty() => Waived::Check(check.trim().to_string()),
                (None, Some(cause)) if !cause.trim().is_empty() => Waived::Cause(cause.trim().to_string()),
                (Some(_), Some(_)) => {
                    return Err(error(
                        Some(line),
                        "a waiver names both a `check` and a `cause`".into(),
                        "split it into two [[waive]] entries",
                    ));
                }
                _ => {
                    return Err(error(
                        Some(line),
                        "a waiver names neither a `check` nor a `cause`".into(),
                        &format!("write {EXAMPLE}"),
                    ));
                }
            };
            let Some(reason) = raw.reason.filter(|r| !r.trim().is_empty()) else {
                return Err(error(
                    Some(line),
                    format!("the waiver for {waived} gives no `reason`"),
                    "say why it is accepted, e.g. reason = \"tracked in SCIM-42\"",
                ));
            };
            let expires = match raw.expires {
                None => None,
                Some(value) => {
                    let at = line_of(text, value.span().start);
                    let date = match value.get_ref() {
                        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.date,
                        _ => None,
                    };
                    let Some(d) = date else {
                        return Err(error(
                            Some(at),
                            format!("`expires` of the waiver for {waived} is not a date"),
                            "write a TOML date, unquoted: expires = 2027-01-31",
                        ));
                    };
                    Some(Date { year: i32::from(d.year), month: d.month, day: d.day })
                }
            };
            waivers.push(Waiver { waived, reason: reason.trim().to_string(), link: raw.link, expires, line });
        }
        Ok(Baseline { file: file.to_path_buf(), waivers })
    }

    /// Checks that every check waiver names a planned trial (`planned`: every trial name of the run,
    /// before name filters). Root causes are only known once the run has seen them.
    pub fn check_names<S: AsRef<str>>(&self, planned: &[S]) -> Result<(), BaselineError> {
        for w in &self.waivers {
            let Waived::Check(name) = &w.waived else { continue };
            if planned.iter().any(|p| p.as_ref() == name) {
                continue;
            }
            let closest = planned
                .iter()
                .map(|p| (strsim::normalized_damerau_levenshtein(p.as_ref(), name), p.as_ref()))
                .filter(|(score, _)| *score >= 0.6)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            let fix = match closest {
                Some((_, p)) => format!("did you mean `{p}`? (`scimtest run … --list` lists the checks)"),
                None => "name a check this run plans (`scimtest run … --list`), or remove the waiver".into(),
            };
            return Err(BaselineError {
                file: self.file.clone(),
                line: Some(w.line),
                message: format!("the waiver names check `{name}`, which this run does not plan"),
                fix,
            });
        }
        Ok(())
    }

    /// The waiver that covers a failed or blocked check, if one does and has not expired: a check waiver
    /// by name first, else a root-cause waiver whose title is the failure's root cause.
    pub fn covering(&self, name: &str, failure: &Failure, today: Date) -> Option<usize> {
        let live = |w: &&Waiver| !w.expired(today);
        let by_check = self.waivers.iter().position(|w| live(&w) && w.waived == Waived::Check(name.to_string()));
        by_check.or_else(|| {
            let cause = Waived::Cause(failure.cause_key());
            self.waivers.iter().position(|w| live(&w) && w.waived == cause)
        })
    }

    /// What the baseline does to a finished run. `narrowed`: the run left planned checks out (a name
    /// filter, `--suite`, `--read-only`), so a root cause that did not appear may just not have been tried.
    pub fn apply(&self, records: &[Record], causes: &[RootCause], today: Date, narrowed: bool) -> Applied {
        let mut applied = Applied { file: self.file.clone(), ..Applied::default() };
        let causes_by_title: BTreeMap<&str, &RootCause> = causes.iter().map(|c| (c.title.as_str(), c)).collect();
        for r in records {
            let Some(failure) = r.outcome.failure() else { continue };
            if let Some(i) = self.covering(&r.name, failure, today) {
                applied.waived.insert(r.name.clone(), i);
            }
        }
        for (i, w) in self.waivers.iter().enumerate() {
            let from = format!("{} (line {})", self.file.display(), w.line);
            if let Some(on) = w.expires.filter(|_| w.expired(today)) {
                applied.problems.push(Problem::Expired {
                    waiver: i,
                    message: format!(
                        "expired on {on}: the waiver for {} in {from}: fix it or extend `expires`",
                        w.waived
                    ),
                });
                continue;
            }
            match &w.waived {
                Waived::Check(name) => match records.iter().find(|r| &r.name == name).map(|r| &r.outcome) {
                    Some(Outcome::Passed | Outcome::Conflict(_)) => applied.problems.push(Problem::Fixed {
                        waiver: i,
                        message: format!("fixed: `{name}` passes now: remove the waiver for it from {from}"),
                    }),
                    Some(Outcome::Failed(_) | Outcome::Blocked(_)) => {}
                    Some(Outcome::Skipped(_)) | None => applied.unused.push(format!("{} was not run", w.waived)),
                },
                Waived::Cause(title) => {
                    if causes_by_title.contains_key(title.as_str()) {
                        continue;
                    }
                    if narrowed {
                        applied.unused.push(format!("{} did not appear in this narrowed run", w.waived));
                    } else {
                        applied.problems.push(Problem::Fixed {
                            waiver: i,
                            message: format!(
                                "fixed: no check fails with root cause \"{title}\" any more: remove the waiver for \
                                 it from {from}"
                            ),
                        });
                    }
                }
            }
        }
        applied.waivers = self.waivers.clone();
        applied
    }
}

/// A waiver that fails the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its check passes, or its root cause is gone: the waiver must be removed.
    Fixed { waiver: usize, message: String },
    /// Past its `expires` date: it waives nothing any more.
    Expired { waiver: usize, message: String },
}

impl Problem {
    pub fn message(&self) -> &str {
        match self {
            Problem::Fixed { message, .. } | Problem::Expired { message, .. } => message,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Fixed { .. } => "fixed",
            Problem::Expired { .. } => "expired",
        }
    }

    pub fn waiver(&self) -> usize {
        match self {
            Problem::Fixed { waiver, .. } | Problem::Expired { waiver, .. } => *waiver,
        }
    }
}

/// A baseline applied to a run's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub file: PathBuf,
    pub waivers: Vec<Waiver>,
    /// Each waived failed or blocked check, with the index of its waiver.
    pub waived: BTreeMap<String, usize>,
    /// Waivers that fail the run.
    pub problems: Vec<Problem>,
    /// Waivers this run could not judge (their check skipped or filtered out): they stay.
    pub unused: Vec<String>,
}

impl Applied {
    /// The waiver of a waived check.
    pub fn waiver_of(&self, check: &str) -> Option<&Waiver> {
        self.waived.get(check).and_then(|i| self.waivers.get(*i))
    }

    /// The console section: what is waived, by waiver, and the waivers that fail the run.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.waived.is_empty() {
            out.push_str(&format!("\nwaived by {}, not failing the run:\n", self.file.display()));
            let mut by_waiver: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
            for (check, i) in &self.waived {
                by_waiver.entry(*i).or_default().push(check);
            }
            for (i, checks) in by_waiver {
                let w = &self.waivers[i];
                let n = checks.len();
                out.push_str(&format!("  {} — {n} check{}: {}\n", w.waived, if n == 1 { "" } else { "s" }, w.why()));
                if matches!(w.waived, Waived::Cause(_)) {
                    let more = if n > 3 { format!(" and {} more", n - 3) } else { String::new() };
                    out.push_str(&format!("       {}{more}\n", checks[..n.min(3)].join(", ")));
                }
            }
        }
        if !self.problems.is_empty() {
            out.push_str(&format!("\nbaseline {}, failing the run:\n", self.file.display()));
            for p in &self.problems {
                out.push_str(&format!("  {}\n", p.message()));
            }
        }
        for u in &self.unused {
            out.push_str(&format!("note: baseline: {u}; its waiver stays\n"));
        }
        out
    }

    /// The JSON report's `baseline` object.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "file": self.file.display().to_string(),
            "waivers": self.waivers.len(),
            "waived": self.waived.len(),
            "problems": self.problems.iter().map(|p| {
                let w = &self.waivers[p.waiver()];
                serde_json::json!({ "kind": p.kind(), "line": w.line, "message": p.message() })
            }).collect::<Vec<_>>(),
            "unused": self.unused,
        })
    }

    /// A waived check's entry in the JSON report's `waived` list.
    pub fn waived_json(&self, check: &str) -> Option<Value> {
        let w = self.waiver_of(check)?;
        let (kind, name) = match &w.waived {
            Waived::Check(n) => ("check", n),
            Waived::Cause(t) => ("cause", t),
        };
        Some(serde_json::json!({
            "check": check,
            "by": { kind: name },
            "reason": w.reason,
            "link": w.link,
            "expires": w.expires.map(|d| d.to_string()),
            "line": w.line,
        }))
    }
}

/// A report that cannot be turned into a baseline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}\n  fix: {fix}")]
pub struct FromReportError {
    pub message: String,
    pub fix: String,
}

/// A baseline (TOML text) that waives every failure of a run's JSON report (`--json`), each with `reason`.
///
/// One entry per root cause that fails the run (its level is MUST): a cause names what to fix once,
/// and its title is built without the run's values (ids, names, times), so it stays the same from run to
/// run. A generated check's root cause is the exception: its title carries the shrunk input, which
/// depends on the seed and the data, so each generated check is waived by its name instead. A root
/// cause of the run's own `--max-time` is a harness limit, not a known failure, and is left out.
pub fn from_json_report(json: &str, reason: &str) -> Result<String, FromReportError> {
    let bad = |message: String| FromReportError {
        message,
        fix: "pass the file `scimtest run … --json report.json` wrote".into(),
    };
    let report: Value = serde_json::from_str(json).map_err(|e| bad(format!("the report is not JSON: {e}")))?;
    if report.get("format").and_then(Value::as_str) != Some("scimtest-report") {
        return Err(bad("not a scimtest JSON report (its `format` is not `scimtest-report`)".into()));
    }
    let causes = report
        .get("root_causes")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("the report has no `root_causes` (a version before 2?)".into()))?;
    let quote = |s: &str| serde_json::to_string(s).expect("strings serialize");
    let reason = if reason.trim().is_empty() { "known failure" } else { reason.trim() };
    let mut out = format!(
        "# scimtest baseline: known failures that do not fail the run (docs: README, \"Known failures: baselines\").\n\
         # Written from the report of {} ({}). A waiver whose check passes again fails the run until it is removed.\n",
        report.get("target").and_then(Value::as_str).unwrap_or("?"),
        report.get("profile").and_then(Value::as_str).unwrap_or("?"),
    );
    let mut entries = 0;
    for c in causes {
        let title = c.get("title").and_then(Value::as_str).unwrap_or_default();
        let level = c.get("level").and_then(Value::as_str).unwrap_or_default();
        if title.is_empty() || level != "MUST" || title.starts_with("not run: the run reached --max-time") {
            continue;
        }
        let names = |key: &str| -> Vec<String> {
            c.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default()
        };
        let (failed, blocked) = (names("failed"), names("blocked"));
        if title.starts_with("generated ") {
            for check in failed.iter().chain(&blocked) {
                out.push_str(&format!(
                    "\n# generated check: its minimal input varies, so it is waived by name\n[[waive]]\ncheck = {}\nreason = {}\n",
                    quote(check),
                    quote(reason)
                ));
                entries += 1;
            }
            continue;
        }
        out.push_str(&format!("\n# {} failed, {} blocked", failed.len(), blocked.len()));
        for check in failed.iter().chain(&blocked).take(5) {
            out.push_str(&format!("\n#   {check}"));
        }
        if failed.len() + blocked.len() > 5 {
            out.push_str(&format!("\n#   … and {} more", failed.len() + blocked.len() - 5));
        }
        out.push_str(&format!("\n[[waive]]\ncause = {}\nreason = {}\n", quote(title), quote(reason)));
        out.push_str("# link = \"https://…\"\n# expires = 2027-01-31\n");
        entries += 1;
    }
    if entries == 0 {
        out.push_str("\n# nothing to waive: no MUST check failed or was blocked in this run\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::failure::{Problem as Found, ProblemKind, StepRef};
    use crate::suite::{Level, Requirement};
    use std::time::Duration;

    fn failure(kind: &str, expected: &str, got: &str) -> Failure {
        Failure {
            step: StepRef { number: 1, label: "step 1".into(), kind: kind.into(), setup: false },
            problems: vec![Found::new(ProblemKind::Status, "status", expected, got)],
            exchange: None,
            generated: None,
        }
    }

    fn record(name: &str, outcome: Outcome) -> Record {
        Record {
            name: name.into(),
            suite: "s".into(),
            scenario: name.into(),
            requirement: Requirement { source: "RFC".into(), level: Level::Must, text: "t".into() },
            outcome,
            duration: Duration::ZERO,
            snapshot: None,
        }
    }

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse(Path::new("b.toml"), text)
    }

    const DAY: Date = Date { year: 2026, month: 12, day: 2 };

    #[test]
    fn dates_come_from_unix_days() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(20_424).to_string(), "2025-12-02");
        assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
        assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
        assert!(Date::today().year >= 2025);
    }

    #[test]
    fn a_baseline_file_is_validated_with_lines() {
        let b = parse(
            "# known\n[[waive]]\ncheck = \"rfc::a\"\nreason = \"r\"\nlink = \"https://x\"\nexpires = 2027-01-31\n\n\
             [[waive]]\ncause = \"POST /Users: answers 400 where 201 is expected\"\nreason = \"q\"\n",
        )
        .unwrap();
        assert_eq!(b.waivers.len(), 2);
        assert_eq!(b.waivers[0].waived, Waived::Check("rfc::a".into()));
        assert_eq!(b.waivers[0].expires, Some(Date { year: 2027, month: 1, day: 31 }));
        assert_eq!(b.waivers[0].why(), "r (https://x, expires 2027-01-31)");
        assert_eq!((b.waivers[0].line, b.waivers[1].line), (2, 8), "the `[[waive]]` lines: {b:?}");
        let e = parse("[[waive]]\ncheck = \"a\"\n").unwrap_err();
        assert_eq!((e.line, e.message.contains("no `reason`")), (Some(1), true), "{e}");
        let e = parse("[[waive]]\nreason = \"r\"\n").unwrap_err();
        assert!(e.message.contains("neither"), "{e}");
        let e = parse("[[waive]]\ncheck = \"a\"\ncause = \"b\"\nreason = \"r\"\n").unwrap_err();
        assert!(e.message.contains("both"), "{e}");
        let e = parse("[[waive]]\ncheck = \"a\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.to_string().starts_with("b.toml:4: `expires`") && e.fix.contains("unquoted"), "{e}");
        let e = parse("[[waive]]\ncheck = \"a\"\nreason = \"r\"\nexpire = 2027-01-31\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("expire"), "{e}");
        let e = parse("[[waive]\n").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert_eq!(parse("").unwrap().waivers, Vec::new());
    }

    #[test]
    fn a_waiver_naming_no_planned_check_suggests_the_closest() {
        let b = parse("\n[[waive]]\ncheck = \"rfc::patch::remove_membr\"\nreason = \"r\"\n").unwrap();
        let e = b.check_names(&["rfc::patch::remove_member", "rfc::users::create"]).unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.fix.contains("did you mean `rfc::patch::remove_member`?"), "{e}");
        assert!(b.check_names(&["rfc::patch::remove_membr"]).is_ok());
        let e = b.check_names(&["okta::x::y"]).unwrap_err();
        assert!(!e.fix.contains("did you mean"), "{e}");
    }

    #[test]
    fn waived_failures_pass_and_the_ratchet_catches_fixed_and_expired_waivers() {
        let b = parse(
            "[[waive]]\ncheck = \"rfc::a\"\nreason = \"r\"\n\
             [[waive]]\ncause = \"POST /Users: answers 400 where 201 is expected\"\nreason = \"q\"\n\
             [[waive]]\ncheck = \"rfc::fixed\"\nreason = \"r\"\n\
             [[waive]]\ncheck = \"rfc::old\"\nreason = \"r\"\nexpires = 2026-12-01\n\
             [[waive]]\ncheck = \"rfc::skipped\"\nreason = \"r\"\n\
             [[waive]]\ncause = \"GET /Users: answers 500 where 200 is expected\"\nreason = \"gone\"\n",
        )
        .unwrap();
        let records = [
            record("rfc::a", Outcome::Failed(failure("GET /Users", "200", "404"))),
            record("rfc::b", Outcome::Blocked(failure("POST /Users", "201", "400"))),
            record("rfc::c", Outcome::Failed(failure("POST /Users", "201", "400"))),
            record("rfc::new", Outcome::Failed(failure("PUT /Users/{id}", "200", "500"))),
            record("rfc::fixed", Outcome::Passed),
            record("rfc::old", Outcome::Failed(failure("DELETE /Users/{id}", "204", "500"))),
            record("rfc::skipped", Outcome::Skipped("no".into())),
        ];
        let causes = crate::runner::report::root_causes(&records);
        let applied = b.apply(&records, &causes, DAY, false);
        let waived: Vec<&str> = applied.waived.keys().map(String::as_str).collect();
        assert_eq!(waived, ["rfc::a", "rfc::b", "rfc::c"], "a new failure and an expired waiver waive nothing");
        let problems: Vec<&str> = applied.problems.iter().map(Problem::message).collect();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("fixed: `rfc::fixed` passes now: remove the waiver for it from b.toml (line 7)")
        );
        assert!(problems[1].starts_with("expired on 2026-12-01: the waiver for check `rfc::old`"), "{problems:?}");
        assert!(problems[2].starts_with("fixed: no check fails with root cause \"GET /Users: answers 500"));
        assert_eq!(applied.unused, ["check `rfc::skipped` was not run"]);
        // The day it expires, it still holds; a narrowed run does not call an absent cause fixed.
        let applied = b.apply(&records, &causes, Date { year: 2026, month: 12, day: 1 }, true);
        assert!(applied.waived.contains_key("rfc::old"));
        assert_eq!(applied.problems.len(), 1, "{:?}", applied.problems);
        let text = applied.render();
        assert!(text.contains("root cause \"POST /Users: answers 400 where 201 is expected\" — 2 checks: q"), "{text}");
        assert!(text.contains("check `rfc::a` — 1 check: r"), "{text}");
        assert_eq!(applied.to_json()["problems"][0]["kind"], "fixed");
        assert_eq!(
            applied.waived_json("rfc::b").unwrap()["by"]["cause"],
            "POST /Users: answers 400 where 201 is expected"
        );
    }

    #[test]
    fn a_baseline_from_a_report_waives_its_must_root_causes_and_reads_back() {
        let report = serde_json::json!({
            "format": "scimtest-report", "target": "http://h/v2", "profile": "rfc",
            "root_causes": [
                {"title": "POST /Groups: answers 400 where 201 is expected", "level": "MUST",
                 "failed": ["rfc::g::a"], "blocked": ["rfc::g::b", "rfc::g::c"]},
                {"title": "generated filter check: not (userName co \"x\")", "level": "MUST",
                 "failed": ["rfc::properties::filters"], "blocked": []},
                {"title": "GET /Users: pointer `/x`", "level": "SHOULD", "failed": ["rfc::u::s"], "blocked": []},
                {"title": "not run: the run reached --max-time (5 s) before these checks", "level": "MUST",
                 "failed": [], "blocked": ["rfc::z"]}
            ]
        });
        let text = from_json_report(&report.to_string(), "tracked in SCIM-1").unwrap();
        let b = parse(&text).unwrap();
        let waived: Vec<&Waived> = b.waivers.iter().map(|w| &w.waived).collect();
        assert_eq!(
            waived,
            [
                &Waived::Cause("POST /Groups: answers 400 where 201 is expected".into()),
                &Waived::Check("rfc::properties::filters".into())
            ],
            "{text}"
        );
        assert!(b.waivers.iter().all(|w| w.reason == "tracked in SCIM-1"));
        assert!(text.contains("#   rfc::g::b"), "{text}");
        assert!(from_json_report("{}", "r").unwrap_err().message.contains("not a scimtest JSON report"));
        assert!(from_json_report("nope", "r").is_err());
    }
}
