//! JUnit XML (quick-junit): one testsuite per suite, one testcase per check.

use std::collections::BTreeMap;
use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Outcome, Record, RunMeta, Summary, cause_of};

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
            // A conflict resolved in an IdP's favour passes; its property and output say which.
            (Outcome::Conflict(_), None) => TestCaseStatus::success(),
            (Outcome::Conflict(_), Some(v)) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("snapshot {}", v.label()));
                s.set_type("snapshot");
                s.set_description(v.message(false));
                s
            }
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
        if let Outcome::Conflict(all) = &r.outcome {
            for c in all {
                case.add_property(("conflict", c.heading().as_str()));
            }
            let sentences: Vec<String> = all.iter().map(|c| format!("conflict: {}", c.sentence())).collect();
            case.set_system_out(sentences.join("\n"));
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
