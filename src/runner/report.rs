//! What a run reports: a record per trial, a summary per RFC level, and two machine-readable writers —
//! a versioned JSON report (docs/report-format.md) and JUnit XML (quick-junit). The token is never in any
//! of them: failure messages show it as `$SCIM_TOKEN`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use super::failure::Failure;
use crate::suite::{Level, Requirement};

/// How a trial ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// The requirement does not hold.
    Failed(Failure),
    /// A setup step (the create or lookup the scenario needs) failed: the requirement could not be judged.
    Blocked(Failure),
    Skipped(String),
}

impl Outcome {
    /// The failure, for a failed or blocked trial.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(f) | Outcome::Blocked(f) => Some(f),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed(_) => "failed",
            Outcome::Blocked(_) => "blocked",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// One trial's result.
#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    pub suite: String,
    pub scenario: String,
    pub requirement: Requirement,
    pub outcome: Outcome,
    pub duration: Duration,
    /// The response snapshot's verdict, when snapshots are on and the scenario ran.
    pub snapshot: Option<super::snapshot::Verdict>,
}

impl Record {
    /// The console text of a failed or blocked trial.
    pub fn message(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Failed(f) => Some(f.render(&self.requirement)),
            Outcome::Blocked(f) => Some(format!("{}\n{}", f.blocked_line(), f.render(&self.requirement))),
            Outcome::Skipped(reason) => Some(reason.clone()),
            Outcome::Passed => None,
        }
    }
}

/// One observed problem and every check it fails or blocks: what to fix, once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootCause {
    /// 1-based, in the order to fix them.
    pub id: usize,
    /// What goes wrong, without this run's values (`POST /Users: answers 400 where 201 is expected`).
    pub title: String,
    /// The most severe level among the checks it fails or blocks.
    pub level: Level,
    /// The requirement source of the first check it fails (else blocks).
    pub source: String,
    pub failed: Vec<String>,
    pub blocked: Vec<String>,
    /// The server's own words on the first failure, when it answered a SCIM Error.
    pub server_said: Option<String>,
}

impl RootCause {
    pub fn checks(&self) -> usize {
        self.failed.len() + self.blocked.len()
    }

    /// `1. [MUST] POST /Users: answers 400 where 201 is expected — 12 checks (1 failed, 11 blocked)`
    pub fn line(&self) -> String {
        let n = self.checks();
        let split = match (self.failed.len(), self.blocked.len()) {
            (_, 0) => String::new(),
            (0, b) => format!(" ({b} blocked)"),
            (f, b) => format!(" ({f} failed, {b} blocked)"),
        };
        format!("{}. [{}] {} — {n} check{}{split}", self.id, self.level, self.title, if n == 1 { "" } else { "s" })
    }
}

/// The failures and blocks of a run grouped by their observed problem: MUST first, then by the number of
/// checks affected.
pub fn root_causes(records: &[Record]) -> Vec<RootCause> {
    let mut by_key: BTreeMap<String, RootCause> = BTreeMap::new();
    for r in records {
        let (failure, blocked) = match &r.outcome {
            Outcome::Failed(f) => (f, false),
            Outcome::Blocked(f) => (f, true),
            _ => continue,
        };
        let key = failure.cause_key();
        let cause = by_key.entry(key.clone()).or_insert_with(|| RootCause {
            id: 0,
            title: key,
            level: r.requirement.level,
            source: r.requirement.source.clone(),
            failed: Vec::new(),
            blocked: Vec::new(),
            server_said: failure.server_said(),
        });
        cause.level = cause.level.min(r.requirement.level);
        if blocked {
            cause.blocked.push(r.name.clone());
        } else {
            if cause.failed.is_empty() {
                cause.source = r.requirement.source.clone();
            }
            cause.failed.push(r.name.clone());
        }
    }
    let mut causes: Vec<RootCause> = by_key.into_values().collect();
    causes.sort_by(|a, b| a.level.cmp(&b.level).then(b.checks().cmp(&a.checks())).then(a.title.cmp(&b.title)));
    for (i, c) in causes.iter_mut().enumerate() {
        c.id = i + 1;
    }
    causes
}

/// The root cause of each failed or blocked trial, by trial name.
fn cause_of(causes: &[RootCause]) -> BTreeMap<&str, usize> {
    causes.iter().flat_map(|c| c.failed.iter().chain(&c.blocked).map(move |n| (n.as_str(), c.id))).collect()
}

/// About the run as a whole.
#[derive(Debug, Clone)]
pub struct RunMeta {
    pub target: String,
    pub profile: String,
    pub run_prefix: String,
    pub duration: Duration,
    pub cleanup: Cleanup,
    /// Response times per endpoint, slowest first.
    pub timings: Vec<super::timing::EndpointTiming>,
    /// What discovery could not read, and what the ServiceProviderConfig declares wrongly.
    pub notes: Vec<String>,
}

/// What a run's cleanup did, verified by listing the run prefix afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleanup {
    /// DELETEs answered 2xx.
    pub deleted: usize,
    /// Already gone (404).
    pub gone: usize,
    /// Resources the server refused to delete, each with its path and answer.
    pub failed: Vec<String>,
    /// Resources still listed under the run prefix after their DELETE was answered (`/Users/<id>`).
    pub still_listed: Vec<String>,
}

impl Cleanup {
    /// The lines the summary prints: what was deleted, and what is left.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.deleted + self.gone + self.failed.len() + self.still_listed.len() > 0 {
            let gone = if self.gone > 0 { format!(" ({} were already gone)", self.gone) } else { String::new() };
            out.push(format!("cleanup: {} DELETE requests answered 2xx{gone}", self.deleted));
        }
        for f in &self.failed {
            out.push(format!("cleanup failed: {f}"));
        }
        if !self.still_listed.is_empty() {
            let users = self.still_listed.iter().filter(|p| p.starts_with("/Users/")).count();
            let groups = self.still_listed.len() - users;
            out.push(format!(
                "cleanup: {users} users and {groups} groups are still listed after DELETE was answered: does the \
                 server soft-delete? Delete them by hand: {}",
                self.still_listed.join(", ")
            ));
        }
        out
    }
}

/// Passed, failed, skipped and blocked per level, and the root causes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    counts: BTreeMap<Level, [usize; 4]>,
    /// Snapshot verdicts by label (matched, new, changed, written, error).
    snapshots: BTreeMap<&'static str, usize>,
    pub causes: Vec<RootCause>,
    /// Failed and blocked checks a baseline waives, per level: `[failed, blocked]`.
    waived: BTreeMap<Level, [usize; 2]>,
    /// The baseline applied to the run (`--baseline`), if any.
    pub baseline: Option<super::baseline::Applied>,
}

const PASSED: usize = 0;
const FAILED: usize = 1;
const SKIPPED: usize = 2;
const BLOCKED: usize = 3;

impl Summary {
    pub fn of(records: &[Record]) -> Summary {
        let mut counts: BTreeMap<Level, [usize; 4]> = Level::ALL.iter().map(|l| (*l, [0; 4])).collect();
        let mut snapshots = BTreeMap::new();
        for r in records {
            if let Some(v) = &r.snapshot {
                *snapshots.entry(v.label()).or_default() += 1;
            }
            let slot = counts.entry(r.requirement.level).or_default();
            match r.outcome {
                Outcome::Passed => slot[PASSED] += 1,
                Outcome::Failed(_) => slot[FAILED] += 1,
                Outcome::Skipped(_) => slot[SKIPPED] += 1,
                Outcome::Blocked(_) => slot[BLOCKED] += 1,
            }
        }
        Summary { counts, snapshots, causes: root_causes(records), waived: BTreeMap::new(), baseline: None }
    }

    /// The summary with a baseline applied: waived failures and blocks no longer fail the run, the
    /// baseline's own problems (a fixed or expired waiver) do.
    pub fn with_baseline(mut self, records: &[Record], applied: super::baseline::Applied) -> Summary {
        self.waived.clear();
        for r in records.iter().filter(|r| applied.waived.contains_key(&r.name)) {
            let slot = self.waived.entry(r.requirement.level).or_default();
            match r.outcome {
                Outcome::Failed(_) => slot[0] += 1,
                Outcome::Blocked(_) => slot[1] += 1,
                _ => {}
            }
        }
        self.baseline = Some(applied);
        self
    }

    /// Whether a baseline waives this check's failure.
    pub fn is_waived(&self, check: &str) -> bool {
        self.baseline.as_ref().is_some_and(|b| b.waived.contains_key(check))
    }

    /// Failed and blocked checks at `level` that a baseline waives.
    pub fn waived(&self, level: Level) -> usize {
        self.waived.get(&level).map_or(0, |w| w[0] + w[1])
    }

    fn unwaived_failed(&self, level: Level) -> usize {
        self.failed(level) - self.waived.get(&level).map_or(0, |w| w[0])
    }

    fn unwaived_blocked(&self, level: Level) -> usize {
        self.blocked(level) - self.waived.get(&level).map_or(0, |w| w[1])
    }

    /// Waivers that fail the run: fixed (remove them) or expired.
    pub fn baseline_problems(&self) -> usize {
        self.baseline.as_ref().map_or(0, |b| b.problems.len())
    }

    /// Snapshots that are new, changed or could not be checked: each fails the run.
    pub fn snapshots_failed(&self) -> usize {
        ["new", "changed", "error"].iter().map(|l| self.snapshots.get(l).copied().unwrap_or(0)).sum()
    }

    /// Whether the run passes: every MUST holds (none failed, none left unjudged because its setup failed)
    /// but those a baseline waives, no snapshot drifted, and no waiver is fixed or expired.
    pub fn passes(&self) -> bool {
        self.unwaived_failed(Level::Must) == 0
            && self.unwaived_blocked(Level::Must) == 0
            && self.snapshots_failed() == 0
            && self.baseline_problems() == 0
    }

    fn count(&self, level: Level, i: usize) -> usize {
        self.counts.get(&level).map_or(0, |c| c[i])
    }

    pub fn passed(&self, level: Level) -> usize {
        self.count(level, PASSED)
    }

    pub fn failed(&self, level: Level) -> usize {
        self.count(level, FAILED)
    }

    pub fn skipped(&self, level: Level) -> usize {
        self.count(level, SKIPPED)
    }

    pub fn blocked(&self, level: Level) -> usize {
        self.count(level, BLOCKED)
    }

    fn total(&self, i: usize) -> usize {
        self.counts.values().map(|c| c[i]).sum()
    }

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
            let said = c.server_said.as_ref().map_or(String::new(), |s| format!("; the server said \"{s}\""));
            let _ = writeln!(out, "       e.g. {first} ({}){said}", c.source);
        }
        out
    }

    /// The closing lines: the root causes, one line per level, a verdict, and the plain
    /// `N passed, N failed, N skipped` line.
    pub fn render(&self, meta: &RunMeta) -> String {
        let mut out = self.render_causes();
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
            let _ = writeln!(
                out,
                "  {:<7} {:>4} passed, {:>3} failed, {:>3} skipped{blocked}{waived}",
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
        let verdict = if reasons.is_empty() && waived > 0 {
            format!("PASS: every MUST requirement holds but {waived} waived check{} (baseline)", plural(waived))
        } else if reasons.is_empty() {
            "PASS: every MUST requirement holds".to_string()
        } else if must + blocked == 0 {
            format!("FAIL: {} (every MUST requirement holds)", reasons.join(", "))
        } else {
            format!("FAIL: {}", reasons.join(", "))
        };
        let _ = writeln!(out, "verdict: {verdict}");
        let blocked = if any_blocked { format!(", {} blocked", self.total(BLOCKED)) } else { String::new() };
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

/// The lifecycle steps of the identity providers' request catalogues (idp-behaviour.md §1.0), by id.
const LIFECYCLE: &[(&str, &str)] = &[
    ("E-TC", "Test Connection"),
    ("E-SD", "schema discovery"),
    ("E-QU", "match user"),
    ("E-CU", "create user"),
    ("E-UU", "update user"),
    ("E-UN", "rename user"),
    ("E-MG", "set manager"),
    ("E-DU", "disable user"),
    ("E-RU", "re-enable user"),
    ("E-XU", "delete user"),
    ("E-QG", "match group"),
    ("E-CG", "create group"),
    ("E-RG", "rename group"),
    ("E-AM", "add group members"),
    ("E-RM", "remove group members"),
    ("E-XG", "delete group"),
    ("O-TC", "Test API Credentials"),
    ("O-QU", "match user"),
    ("O-CU", "create user"),
    ("O-GU", "read user"),
    ("O-UU", "push profile update"),
    ("O-DU", "deactivate user"),
    ("O-RU", "reactivate user"),
    ("O-IU", "import users"),
    ("O-IG", "import groups"),
    ("O-LG", "link group"),
    ("O-CG", "push group"),
    ("O-RG", "rename group"),
    ("O-MG", "push membership changes"),
    ("O-MR", "push full membership"),
    ("O-XG", "delete group"),
];

/// The lifecycle step (or quirk) a requirement source names: `Entra E-DU` → `Entra: disable user`.
fn lifecycle_step(source: &str) -> Option<String> {
    let idp = if source.starts_with("Entra") {
        "Entra"
    } else if source.starts_with("Okta") {
        "Okta"
    } else {
        return None;
    };
    let id = source.split_whitespace().find(|w| w.starts_with("E-") || w.starts_with("E2-") || w.starts_with("O-"))?;
    let id = id.trim_end_matches([',', ';', ')']);
    let catalogue = id.replacen("E2-", "E-", 1);
    match LIFECYCLE.iter().find(|(k, _)| *k == catalogue) {
        Some((_, step)) => Some(format!("{idp}: {step}")),
        None => Some(format!("{idp}: accepts quirk {id}")),
    }
}

/// For the identity-provider scenarios of a run: each lifecycle step the IdP performs (and each quirk
/// it relies on), whether it works, and if not the root cause that stops it — what a vendor reads to know
/// where Entra or Okta will fail.
pub fn lifecycle_view(records: &[Record], causes: &[RootCause]) -> String {
    #[derive(Default)]
    struct Step<'a> {
        ran: usize,
        skipped: Vec<&'a Record>,
        failing: Vec<&'a Record>,
    }
    let mut steps: BTreeMap<String, Step> = BTreeMap::new();
    for r in records {
        if let Some(step) = lifecycle_step(&r.requirement.source) {
            let entry = steps.entry(step).or_default();
            match r.outcome {
                Outcome::Failed(_) | Outcome::Blocked(_) => entry.failing.push(r),
                Outcome::Skipped(_) => entry.skipped.push(r),
                Outcome::Passed => entry.ran += 1,
            }
        }
    }
    if steps.is_empty() {
        return String::new();
    }
    let cause_of = cause_of(causes);
    let mut out = String::from("\nwhat the identity provider will see:\n");
    for (step, s) in &steps {
        match (s.failing.first(), s.ran) {
            (Some(r), _) => {
                let how = if matches!(r.outcome, Outcome::Blocked(_)) { "blocked by" } else { "root cause" };
                let why = match cause_of.get(r.name.as_str()).and_then(|id| causes.iter().find(|c| c.id == *id)) {
                    Some(c) => {
                        let said =
                            c.server_said.as_ref().map_or(String::new(), |s| format!("; the server said \"{s}\""));
                        format!("{how} {}: {}{said}", c.id, c.title)
                    }
                    None => String::new(),
                };
                let more =
                    if s.failing.len() > 1 { format!(" (and {} more)", s.failing.len() - 1) } else { String::new() };
                let _ = writeln!(out, "  ✗ {step} — {why} [{}{more}]", r.name);
            }
            (None, 0) => {
                let reason = match s.skipped.first().map(|r| &r.outcome) {
                    Some(Outcome::Skipped(reason)) => reason.as_str(),
                    _ => "",
                };
                let _ = writeln!(out, "  - {step} — skipped: {reason}");
            }
            (None, _) => {
                let _ = writeln!(out, "  ✓ {step}");
            }
        }
    }
    out
}

/// A failure as JSON: the step, each problem (expected versus observed), the generated input and the
/// exchange as a curl line.
fn failure_json(f: &Failure) -> serde_json::Value {
    json!({
        "step": { "number": f.step.number, "label": f.step.label, "kind": f.step.kind, "setup": f.step.setup },
        "problems": f.problems.iter().map(|p| json!({
            "kind": format!("{:?}", p.kind),
            "subject": p.subject,
            "expected": p.expected,
            "observed": p.observed,
        })).collect::<Vec<_>>(),
        "generated": f.generated.as_ref().map(|g| json!({
            "what": g.what,
            "seed": format!("{:#x}", g.seed),
            "minimal_input": g.minimal_input,
            "note": g.note,
        })),
        "exchange": f.exchange.as_ref().map(|ex| json!({
            "transcript": ex.transcript(usize::MAX),
            "curl": ex.curl(),
        })),
    })
}

/// The JSON report, format version 2 (docs/report-format.md).
pub fn to_json(meta: &RunMeta, summary: &Summary, records: &[Record]) -> serde_json::Value {
    let levels: serde_json::Map<String, serde_json::Value> = Level::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_string(),
                json!({
                    "passed": summary.passed(*l),
                    "failed": summary.failed(*l),
                    "skipped": summary.skipped(*l),
                    "blocked": summary.blocked(*l),
                    "waived": summary.waived(*l),
                }),
            )
        })
        .collect();
    let cause_of = cause_of(&summary.causes);
    let results: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let cause = cause_of.get(r.name.as_str()).copied();
            json!({
                "name": r.name,
                "waived": summary.is_waived(&r.name),
                "suite": r.suite,
                "scenario": r.scenario,
                "requirement": { "source": r.requirement.source, "level": r.requirement.level.as_str(), "text": r.requirement.text },
                "status": r.outcome.label(),
                "detail": r.message(),
                "failure": r.outcome.failure().map(failure_json),
                "root_cause": cause,
                "blocked_by": cause.filter(|_| matches!(r.outcome, Outcome::Blocked(_))),
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "snapshot": r.snapshot.as_ref().map(|v| json!({
                    "status": v.label(),
                    "file": v.file().map(|f| f.display().to_string()),
                    "detail": v.fails().then(|| v.message(false)),
                })),
            })
        })
        .collect();
    let causes: Vec<serde_json::Value> = summary
        .causes
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "title": c.title,
                "level": c.level.as_str(),
                "source": c.source,
                "checks": c.checks(),
                "failed": c.failed,
                "blocked": c.blocked,
                "server_said": c.server_said,
            })
        })
        .collect();
    json!({
        "format": "scimtest-report",
        "version": 2,
        "tool": { "name": "scimtest", "version": env!("CARGO_PKG_VERSION") },
        "target": meta.target,
        "profile": meta.profile,
        "run_prefix": meta.run_prefix,
        "duration_ms": meta.duration.as_secs_f64() * 1000.0,
        "verdict": if summary.passes() { "pass" } else { "fail" },
        "summary": levels,
        "root_causes": causes,
        "notes": meta.notes,
        "timings": meta.timings.iter().map(|t| json!({
            "endpoint": t.endpoint,
            "count": t.count,
            "p50_ms": t.p50_ms,
            "p95_ms": t.p95_ms,
            "max_ms": t.max_ms,
            "too_slow": t.too_slow,
        })).collect::<Vec<_>>(),
        "cleanup": {
            "deleted": meta.cleanup.deleted,
            "already_gone": meta.cleanup.gone,
            "failed": meta.cleanup.failed,
            "still_listed": meta.cleanup.still_listed,
        },
        "snapshots": summary.snapshots,
        "baseline": summary.baseline.as_ref().map(super::baseline::Applied::to_json),
        "waived": summary.baseline.as_ref().map_or_else(Vec::new, |b| {
            b.waived.keys().filter_map(|check| b.waived_json(check)).collect::<Vec<_>>()
        }),
        "results": results,
    })
}

pub fn write_json(path: &Path, meta: &RunMeta, summary: &Summary, records: &[Record]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&to_json(meta, summary, records)).expect("JSON values serialize");
    std::fs::write(path, text + "\n")
}

/// JUnit XML: one testsuite per suite, one testcase per scenario; skips are real `<skipped/>`, a blocked
/// check is an `<error>` of type `blocked` naming its root cause.
pub fn to_junit(meta: &RunMeta, summary: &Summary, records: &[Record]) -> String {
    let mut report = Report::new(format!("scimtest {}", meta.profile));
    report.set_time(meta.duration);
    let cause_of = cause_of(&summary.causes);
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in records {
        let suite = suites.entry(&r.suite).or_insert_with(|| TestSuite::new(format!("{}::{}", meta.profile, r.suite)));
        let drift = r.snapshot.as_ref().filter(|v| v.fails());
        let cause = cause_of.get(r.name.as_str()).copied();
        let waiver = summary.baseline.as_ref().and_then(|b| b.waiver_of(&r.name));
        let status = match (&r.outcome, drift) {
            // Waived: <skipped>, which every CI test view counts as not failing (a <failure> with a property
            // would still be red there); the failure text stays in the description.
            (Outcome::Failed(_) | Outcome::Blocked(_), None) if waiver.is_some() => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("waived: {}", waiver.map(|w| w.why()).unwrap_or_default()));
                s.set_type("waived");
                s.set_description(r.message().unwrap_or_default());
                s
            }
            (Outcome::Passed, Some(v)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("snapshot {}", v.label()));
                s.set_type("snapshot");
                s.set_description(v.message(false));
                s
            }
            (Outcome::Passed, None) => TestCaseStatus::success(),
            (Outcome::Failed(_) | Outcome::Blocked(_), drift) => {
                let blocked = matches!(r.outcome, Outcome::Blocked(_));
                let kind = if blocked { NonSuccessKind::Error } else { NonSuccessKind::Failure };
                let mut s = TestCaseStatus::non_success(kind);
                let cause = cause.map_or(String::new(), |id| format!(" (root cause {id})"));
                s.set_message(if blocked {
                    format!("blocked{cause}")
                } else {
                    format!("{} {}{cause}", r.requirement.level, r.requirement.source)
                });
                s.set_type(if blocked { "blocked" } else { r.requirement.level.as_str() });
                let text = r.message().unwrap_or_default();
                s.set_description(match drift {
                    Some(v) => format!("{text}\n{}", v.message(false)),
                    None => text,
                });
                s
            }
            (Outcome::Skipped(m), _) => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(m.clone());
                s
            }
        };
        let mut case = TestCase::new(r.scenario.clone(), status);
        case.set_classname(format!("{}::{}", meta.profile, r.suite));
        case.set_time(r.duration);
        case.add_property(("requirement", r.requirement.to_string().as_str()));
        if let Some(id) = cause {
            case.add_property(("root_cause", id.to_string().as_str()));
        }
        if let Some(id) = cause.filter(|_| matches!(r.outcome, Outcome::Blocked(_))) {
            case.add_property(("blocked_by", id.to_string().as_str()));
        }
        suite.add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}

pub fn write_junit(path: &Path, meta: &RunMeta, summary: &Summary, records: &[Record]) -> std::io::Result<()> {
    std::fs::write(path, to_junit(meta, summary, records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::failure::{Problem, ProblemKind, StepRef};

    fn record(name: &str, source: &str, outcome: Outcome) -> Record {
        Record {
            name: name.into(),
            suite: "s".into(),
            scenario: name.into(),
            requirement: Requirement { source: source.into(), level: Level::Must, text: "t".into() },
            outcome,
            duration: Duration::ZERO,
            snapshot: None,
        }
    }

    fn failure(kind: &str, setup: bool, problem: Problem) -> Failure {
        Failure {
            step: StepRef { number: 1, label: "step 1 `x`".into(), kind: kind.into(), setup },
            problems: vec![problem],
            exchange: None,
            generated: None,
        }
    }

    fn meta() -> RunMeta {
        RunMeta {
            target: "http://x".into(),
            profile: "rfc".into(),
            run_prefix: "p".into(),
            duration: Duration::ZERO,
            cleanup: Cleanup::default(),
            timings: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn status(expected: &str, got: &str) -> Problem {
        Problem::new(ProblemKind::Status, "status", expected, got)
    }

    #[test]
    fn the_lifecycle_view_names_the_root_cause_that_stops_each_step() {
        let records = [
            record("entra::a::create", "Entra E-CU", Outcome::Passed),
            record(
                "entra::a::disable",
                "Entra E-DU",
                Outcome::Failed(failure("PATCH /Users/{id}", false, status("200 or 204", "400"))),
            ),
            record(
                "entra::a::strings",
                "Entra E-Q2",
                Outcome::Failed(failure("PATCH /Users/{id}", false, status("200 or 204", "400"))),
            ),
            record(
                "entra::g::rename",
                "Entra E-RG",
                Outcome::Blocked(failure("POST /Groups", true, status("201", "400"))),
            ),
            record(
                "rfc::users::x",
                "RFC 7644 §3.3",
                Outcome::Failed(failure("GET /Users", false, status("200", "500"))),
            ),
            record("okta::g::push", "Okta O-CG", Outcome::Skipped("no groups".into())),
        ];
        let causes = root_causes(&records);
        let view = lifecycle_view(&records, &causes);
        assert!(view.contains("✓ Entra: create user"), "{view}");
        // Both Entra failures share one cause: the same kind of request answered the same way.
        let patch = causes.iter().find(|c| c.title.starts_with("PATCH")).expect("a PATCH cause");
        assert_eq!(patch.failed.len(), 2, "{causes:?}");
        assert!(
            view.contains(&format!(
                "✗ Entra: disable user — root cause {}: PATCH /Users/{{id}}: answers 400 where 200 or 204 is expected [entra::a::disable]",
                patch.id
            )),
            "{view}"
        );
        assert!(view.contains("✗ Entra: rename group — blocked by"), "{view}");
        assert!(view.contains("- Okta: push group — skipped: no groups"), "skipped is not ✓: {view}");
        assert!(!view.contains("RFC"), "RFC scenarios are not IdP lifecycle steps: {view}");
        assert_eq!(lifecycle_view(&records[4..5], &causes), "");
    }

    #[test]
    fn one_envelope_problem_is_one_root_cause_wherever_it_appears_and_blocked_checks_count_under_it() {
        let envelope = || {
            Problem::new(
                ProblemKind::ListEnvelope,
                "ListResponse `itemsPerPage` is not the number of `Resources` returned (RFC 7644 §3.4.2)",
                "0",
                "20",
            )
        };
        let mut records: Vec<Record> = (0..5)
            .map(|i| {
                record(
                    &format!("rfc::filtering::f{i}"),
                    "RFC 7644 §3.4.2.2",
                    Outcome::Failed(failure("GET /Users?filter", false, envelope())),
                )
            })
            .collect();
        records.push(record(
            "okta::spec::x",
            "Okta O-QU",
            Outcome::Failed(failure("GET /Users?filter&count", false, envelope())),
        ));
        records.push(record(
            "rfc::patch::a",
            "RFC 7644 §3.5.2",
            Outcome::Blocked(failure("POST /Users", true, status("201", "400"))),
        ));
        records.push(record(
            "rfc::patch::b",
            "RFC 7644 §3.5.2",
            Outcome::Blocked(failure("POST /Users", true, status("201", "400 Bad Request"))),
        ));
        let mut should = record(
            "rfc::users::s",
            "RFC 7644 §3.3",
            Outcome::Failed(failure("POST /Users", false, status("201", "409"))),
        );
        should.requirement.level = Level::Should;
        records.push(should);
        let causes = root_causes(&records);
        assert_eq!(causes.len(), 3, "{causes:#?}");
        assert_eq!((causes[0].id, causes[0].checks(), causes[0].failed.len()), (1, 6, 6));
        assert_eq!(
            causes[0].line(),
            "1. [MUST] ListResponse `itemsPerPage` is not the number of `Resources` returned (RFC 7644 §3.4.2) — 6 checks"
        );
        assert_eq!((causes[1].blocked.len(), causes[1].failed.len()), (2, 0), "{causes:#?}");
        assert_eq!(causes[1].title, "POST /Users: answers 400 where 201 is expected");
        assert_eq!(causes[2].level, Level::Should, "SHOULD after MUST");
        let summary = Summary::of(&records);
        assert!(!summary.passes(), "blocked MUST checks keep the verdict from passing");
        let meta = meta();
        let text = summary.render(&meta);
        assert!(text.contains("root causes, what to fix first:\n  1. [MUST]"), "{text}");
        assert!(text.contains("FAIL: 2 MUST root causes (6 MUST checks failed, 2 blocked)"), "{text}");
        assert!(text.ends_with("scimtest: 0 passed, 7 failed, 0 skipped, 2 blocked\n"), "{text}");
        let json = to_json(&meta, &summary, &records);
        assert_eq!(json["root_causes"][1]["blocked"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["results"][6]["status"], "blocked");
        assert_eq!(json["results"][6]["blocked_by"], 2);
        assert_eq!(json["results"][0]["root_cause"], 1);
        assert_eq!(json["results"][0]["failure"]["problems"][0]["observed"], "20");
        let xml = to_junit(&meta, &summary, &records);
        assert!(xml.contains("type=\"blocked\"") && xml.contains("name=\"blocked_by\" value=\"2\""), "{xml}");
    }

    #[test]
    fn a_check_whose_own_expectation_fails_is_not_buried_under_an_envelope_problem() {
        let envelope =
            Problem::new(ProblemKind::ListEnvelope, "ListResponse `itemsPerPage` (RFC 7644 §3.4.2)", "0", "20");
        let own = Problem::new(ProblemKind::Json, "pointer `/totalResults`", "1", "0");
        let mut both = failure("GET /Groups?filter", false, envelope.clone());
        both.problems.push(own);
        let records = [
            record(
                "rfc::integrity::group_display_name_filter_ignores_case",
                "RFC 7644 §3.4.2.2",
                Outcome::Failed(both),
            ),
            record(
                "rfc::filtering::x",
                "RFC 7644 §3.4.2.2",
                Outcome::Failed(failure("GET /Users?filter", false, envelope)),
            ),
        ];
        let causes = root_causes(&records);
        let titles: Vec<&str> = causes.iter().map(|c| c.title.as_str()).collect();
        assert!(titles.contains(&"GET /Groups?filter: pointer `/totalResults`"), "{titles:?}");
        assert!(titles.contains(&"ListResponse `itemsPerPage` (RFC 7644 §3.4.2)"), "{titles:?}");
        // But no answer at all is the cause of whatever else the step then found missing.
        let mut dead = failure(
            "POST /Users",
            true,
            Problem::new(ProblemKind::Capture, "a JSON body to capture from", "a JSON body", "an empty body"),
        );
        dead.problems
            .insert(0, Problem::new(ProblemKind::Transport, "answer", "an answer", "request failed: connection reset"));
        assert_eq!(dead.cause_key(), "no answer (request failed)");
    }

    #[test]
    fn summaries_count_per_level_and_render_the_plain_closing_line() {
        let records = [
            record("a", "RFC", Outcome::Passed),
            record("b", "RFC", Outcome::Failed(failure("GET /Users", false, status("200", "500")))),
            record("c", "RFC", Outcome::Skipped("y".into())),
        ];
        let s = Summary::of(&records);
        assert_eq!((s.passed(Level::Must), s.failed(Level::Must), s.skipped(Level::Must)), (1, 1, 1));
        let meta = meta();
        let text = s.render(&meta);
        assert!(
            text.ends_with("scimtest: 1 passed, 1 failed, 1 skipped\n")
                && text.contains("FAIL: 1 MUST root cause (1 MUST check failed)"),
            "{text}"
        );
        let json = to_json(&meta, &s, &records);
        assert_eq!((json["version"].as_u64(), json["verdict"].as_str()), (Some(2), Some("fail")));
        assert_eq!(json["results"][1]["status"], "failed");
        let xml = to_junit(&meta, &s, &records);
        assert!(xml.contains("<failure") && xml.contains("<skipped"), "{xml}");
    }
}
