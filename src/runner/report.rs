//! What a run reports: a record per trial, a summary per RFC level, and two machine-readable writers —
//! a versioned JSON report (docs/report-format.md) and JUnit XML (quick-junit). The token is never in any
//! of them: failure messages show it as `$SCIM_TOKEN`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::suite::{Level, Requirement};

/// How a trial ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
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

/// About the run as a whole.
#[derive(Debug, Clone)]
pub struct RunMeta {
    pub target: String,
    pub profile: String,
    pub run_prefix: String,
    pub duration: Duration,
}

/// Passed, failed and skipped per level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    counts: BTreeMap<Level, [usize; 3]>,
    /// Snapshot verdicts by label (matched, new, changed, written, error).
    snapshots: BTreeMap<&'static str, usize>,
}

impl Summary {
    pub fn of(records: &[Record]) -> Summary {
        let mut counts: BTreeMap<Level, [usize; 3]> = Level::ALL.iter().map(|l| (*l, [0; 3])).collect();
        let mut snapshots = BTreeMap::new();
        for r in records {
            if let Some(v) = &r.snapshot {
                *snapshots.entry(v.label()).or_default() += 1;
            }
            let slot = counts.entry(r.requirement.level).or_default();
            match r.outcome {
                Outcome::Passed => slot[0] += 1,
                Outcome::Failed(_) => slot[1] += 1,
                Outcome::Skipped(_) => slot[2] += 1,
            }
        }
        Summary { counts, snapshots }
    }

    /// Snapshots that are new, changed or could not be checked: each fails the run.
    pub fn snapshots_failed(&self) -> usize {
        ["new", "changed", "error"].iter().map(|l| self.snapshots.get(l).copied().unwrap_or(0)).sum()
    }

    /// Whether the run passes: every MUST holds and no snapshot drifted.
    pub fn passes(&self) -> bool {
        self.failed(Level::Must) == 0 && self.snapshots_failed() == 0
    }

    pub fn passed(&self, level: Level) -> usize {
        self.counts.get(&level).map_or(0, |c| c[0])
    }

    pub fn failed(&self, level: Level) -> usize {
        self.counts.get(&level).map_or(0, |c| c[1])
    }

    pub fn skipped(&self, level: Level) -> usize {
        self.counts.get(&level).map_or(0, |c| c[2])
    }

    fn total(&self, i: usize) -> usize {
        self.counts.values().map(|c| c[i]).sum()
    }

    /// The closing lines: one per level, a verdict, and the plain `N passed, N failed` line.
    pub fn render(&self, meta: &RunMeta) -> String {
        let mut out = format!(
            "\nscimtest: profile `{}` against {} in {:.2} s\n",
            meta.profile,
            meta.target,
            meta.duration.as_secs_f64()
        );
        for level in Level::ALL {
            let _ = writeln!(
                out,
                "  {:<7} {:>4} passed, {:>3} failed, {:>3} skipped",
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
        let must = self.failed(Level::Must);
        let drift = self.snapshots_failed();
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let verdict = match (must, drift) {
            (0, 0) => "PASS: every MUST requirement holds".to_string(),
            (0, d) => format!("FAIL: {d} snapshot{} drifted (every MUST requirement holds)", plural(d)),
            (m, 0) => format!("FAIL: {m} MUST requirement{} failed", plural(m)),
            (m, d) => format!("FAIL: {m} MUST requirement{} failed, {d} snapshot{} drifted", plural(m), plural(d)),
        };
        let _ = writeln!(out, "verdict: {verdict}");
        let _ =
            writeln!(out, "scimtest: {} passed, {} failed, {} skipped", self.total(0), self.total(1), self.total(2));
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

/// The `detail` of a SCIM Error in a failure's transcript, if the answer was one.
fn error_detail(message: &str) -> Option<String> {
    let body = message.lines().map(str::trim).find(|l| l.starts_with("< {"))?.trim_start_matches("< ");
    let start = body.find("\"detail\"")? + "\"detail\"".len();
    let rest = body[start..].trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let mut out = String::new();
    let mut escaped = false;
    for c in rest.chars() {
        match (escaped, c) {
            (true, c) => {
                out.push(c);
                escaped = false;
            }
            (false, '\\') => escaped = true,
            (false, '"') => return Some(out.chars().take(160).collect()),
            (false, c) => out.push(c),
        }
    }
    None
}

/// For the identity-provider scenarios of a run: each lifecycle step the IdP performs (and each quirk
/// it relies on), whether it works, and the first reason it does not — what a vendor reads to know
/// where Entra or Okta will fail.
pub fn lifecycle_view(records: &[Record]) -> String {
    let mut steps: BTreeMap<String, (usize, Vec<&Record>)> = BTreeMap::new();
    for r in records {
        if let Some(step) = lifecycle_step(&r.requirement.source) {
            let entry = steps.entry(step).or_default();
            match r.outcome {
                Outcome::Failed(_) => entry.1.push(r),
                _ => entry.0 += 1,
            }
        }
    }
    if steps.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "
what the identity provider will see:
",
    );
    for (step, (_, failed)) in &steps {
        match failed.first() {
            None => {
                let _ = writeln!(out, "  ✓ {step}");
            }
            Some(r) => {
                let why = match &r.outcome {
                    Outcome::Failed(m) => {
                        let first = m.lines().find(|l| l.trim_start().starts_with('✗')).unwrap_or("");
                        let mut why = first.trim().trim_start_matches('✗').trim().to_string();
                        // The server's own words, when it answered a SCIM Error.
                        if let Some(detail) = error_detail(m) {
                            why.push_str(&format!(": the server said \"{detail}\""));
                        }
                        why
                    }
                    _ => String::new(),
                };
                let more = if failed.len() > 1 { format!(" (and {} more)", failed.len() - 1) } else { String::new() };
                let _ = writeln!(out, "  ✗ {step} — {why} [{}{more}]", r.name);
            }
        }
    }
    out
}

/// The JSON report, format version 1 (docs/report-format.md).
pub fn to_json(meta: &RunMeta, summary: &Summary, records: &[Record]) -> serde_json::Value {
    let levels: serde_json::Map<String, serde_json::Value> = Level::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_string(),
                json!({ "passed": summary.passed(*l), "failed": summary.failed(*l), "skipped": summary.skipped(*l) }),
            )
        })
        .collect();
    let results: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            let (status, detail) = match &r.outcome {
                Outcome::Passed => ("passed", None),
                Outcome::Failed(m) => ("failed", Some(m.clone())),
                Outcome::Skipped(m) => ("skipped", Some(m.clone())),
            };
            json!({
                "name": r.name,
                "suite": r.suite,
                "scenario": r.scenario,
                "requirement": { "source": r.requirement.source, "level": r.requirement.level.as_str(), "text": r.requirement.text },
                "status": status,
                "detail": detail,
                "duration_ms": r.duration.as_secs_f64() * 1000.0,
                "snapshot": r.snapshot.as_ref().map(|v| json!({
                    "status": v.label(),
                    "file": v.file().map(|f| f.display().to_string()),
                    "detail": v.fails().then(|| v.message(false)),
                })),
            })
        })
        .collect();
    json!({
        "format": "scimtest-report",
        "version": 1,
        "tool": { "name": "scimtest", "version": env!("CARGO_PKG_VERSION") },
        "target": meta.target,
        "profile": meta.profile,
        "run_prefix": meta.run_prefix,
        "duration_ms": meta.duration.as_secs_f64() * 1000.0,
        "verdict": if summary.passes() { "pass" } else { "fail" },
        "summary": levels,
        "snapshots": summary.snapshots,
        "results": results,
    })
}

pub fn write_json(path: &Path, meta: &RunMeta, summary: &Summary, records: &[Record]) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&to_json(meta, summary, records)).expect("JSON values serialize");
    std::fs::write(path, text + "\n")
}

/// JUnit XML: one testsuite per suite, one testcase per scenario; skips are real `<skipped/>`.
pub fn to_junit(meta: &RunMeta, records: &[Record]) -> String {
    let mut report = Report::new(format!("scimtest {}", meta.profile));
    report.set_time(meta.duration);
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in records {
        let suite = suites.entry(&r.suite).or_insert_with(|| TestSuite::new(format!("{}::{}", meta.profile, r.suite)));
        let drift = r.snapshot.as_ref().filter(|v| v.fails());
        let status = match (&r.outcome, drift) {
            (Outcome::Passed, Some(v)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("snapshot {}", v.label()));
                s.set_type("snapshot");
                s.set_description(v.message(false));
                s
            }
            (Outcome::Passed, None) => TestCaseStatus::success(),
            (Outcome::Failed(m), drift) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{} {}", r.requirement.level, r.requirement.source));
                s.set_type(r.requirement.level.as_str());
                s.set_description(match drift {
                    Some(v) => format!("{m}\n{}", v.message(false)),
                    None => m.clone(),
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
        suite.add_test_case(case);
    }
    report.add_test_suites(suites.into_values());
    report.to_string().unwrap_or_default()
}

pub fn write_junit(path: &Path, meta: &RunMeta, records: &[Record]) -> std::io::Result<()> {
    std::fs::write(path, to_junit(meta, records))
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_lifecycle_view_says_where_the_idp_fails_and_why() {
        let records = [
            record("entra::a::create", "Entra E-CU", Outcome::Passed),
            record(
                "entra::a::disable",
                "Entra E-DU",
                Outcome::Failed(
                    "requirement: x\nstep 2: PATCH … → 400\n  ✗ expected status 200 or 204, got 400\n".into(),
                ),
            ),
            record("entra::a::strings", "Entra E-Q2", Outcome::Passed),
            record("rfc::users::x", "RFC 7644 §3.3", Outcome::Failed("✗ no".into())),
            record("okta::g::push", "Okta O-CG", Outcome::Skipped("no groups".into())),
        ];
        let view = lifecycle_view(&records);
        assert!(view.contains("✓ Entra: create user"), "{view}");
        assert!(
            view.contains("✗ Entra: disable user — expected status 200 or 204, got 400 [entra::a::disable]"),
            "{view}"
        );
        assert!(view.contains("✓ Entra: accepts quirk E-Q2"), "{view}");
        assert!(view.contains("✓ Okta: push group"), "{view}");
        assert!(!view.contains("RFC"), "RFC scenarios are not IdP lifecycle steps: {view}");
        assert_eq!(lifecycle_view(&records[3..4]), "");
    }

    #[test]
    fn summaries_count_per_level_and_render_the_plain_closing_line() {
        let records = [
            record("a", "RFC", Outcome::Passed),
            record("b", "RFC", Outcome::Failed("x".into())),
            record("c", "RFC", Outcome::Skipped("y".into())),
        ];
        let s = Summary::of(&records);
        assert_eq!((s.passed(Level::Must), s.failed(Level::Must), s.skipped(Level::Must)), (1, 1, 1));
        let meta = RunMeta {
            target: "http://x".into(),
            profile: "rfc".into(),
            run_prefix: "p".into(),
            duration: Duration::ZERO,
        };
        let text = s.render(&meta);
        assert!(
            text.ends_with("scimtest: 1 passed, 1 failed, 1 skipped\n")
                && text.contains("FAIL: 1 MUST requirement failed"),
            "{text}"
        );
        let json = to_json(&meta, &s, &records);
        assert_eq!((json["version"].as_u64(), json["verdict"].as_str()), (Some(1), Some("fail")));
        assert_eq!(json["results"][1]["status"], "failed");
        let xml = to_junit(&meta, &records);
        assert!(xml.contains("<failure") && xml.contains("<skipped"), "{xml}");
    }
}
