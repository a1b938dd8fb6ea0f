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
}

impl Summary {
    pub fn of(records: &[Record]) -> Summary {
        let mut counts: BTreeMap<Level, [usize; 3]> = Level::ALL.iter().map(|l| (*l, [0; 3])).collect();
        for r in records {
            let slot = counts.entry(r.requirement.level).or_default();
            match r.outcome {
                Outcome::Passed => slot[0] += 1,
                Outcome::Failed(_) => slot[1] += 1,
                Outcome::Skipped(_) => slot[2] += 1,
            }
        }
        Summary { counts }
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
        let must = self.failed(Level::Must);
        let verdict = if must == 0 {
            "PASS: every MUST requirement holds".to_string()
        } else {
            format!("FAIL: {must} MUST requirement{} failed", if must == 1 { "" } else { "s" })
        };
        let _ = writeln!(out, "verdict: {verdict}");
        let _ =
            writeln!(out, "scimtest: {} passed, {} failed, {} skipped", self.total(0), self.total(1), self.total(2));
        out
    }
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
        "verdict": if summary.failed(Level::Must) == 0 { "pass" } else { "fail" },
        "summary": levels,
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
        let status = match &r.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed(m) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("{} {}", r.requirement.level, r.requirement.source));
                s.set_type(r.requirement.level.as_str());
                s.set_description(m.clone());
                s
            }
            Outcome::Skipped(m) => {
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
