//! The JSON report: versioned, every record with its failure and exchange (docs/report-format.md).

use std::path::Path;

use serde_json::json;

use super::{Conflict, Outcome, Readiness, Record, RootCause, RunMeta, StepState, Summary, cause_of};
use crate::runner::failure::Failure;
use crate::suite::Level;

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

/// A conflict resolved in an identity provider's favour: the tension, both sides with their citations,
/// the sentence, each IdP profile's stance, and the RFC check's failure it explains.
fn conflict_json(c: &Conflict) -> serde_json::Value {
    json!({
        "check": c.check,
        "tension": c.tension,
        "title": c.title,
        "server_side": "idp",
        "rfc": { "answer": c.rfc, "source": c.rfc_source },
        "idp": { "answer": c.idp, "source": c.idp_source },
        "favours": c.favoured().iter().map(|s| s.profile.as_str()).collect::<Vec<_>>(),
        "sentence": c.sentence(),
        "profiles": c.stances.iter().map(|s| json!({
            "profile": s.profile,
            "display_name": s.display_name,
            "side": s.side.map(|side| side.as_str()),
            "passes": s.passes,
            "why": s.why,
            "meaning": s.meaning(),
        })).collect::<Vec<_>>(),
        "rfc_check": failure_json(&c.evidence),
    })
}

/// One identity provider's readiness as JSON: the verdict, the step counts and every step.
fn readiness_json(r: &Readiness, causes: &[RootCause]) -> serde_json::Value {
    json!({
        "profile": r.idp.name,
        "display_name": r.idp.display_name,
        "verdict": r.verdict().to_ascii_lowercase().replace(' ', "_"),
        "ready": r.ready(),
        "steps_working": r.working(),
        "steps_judged": r.judged(),
        "steps_skipped": r.skipped(),
        "blocked_by": r.blocked_by,
        "line": r.line(causes),
        "steps": r.steps.iter().map(|s| json!({
            "title": s.title,
            "status": match s.state {
                StepState::Works => "works",
                StepState::WorksWithout => "works_should_fails",
                StepState::Fails => "fails",
                StepState::Skipped => "skipped",
            },
            "checks": s.checks,
            "failing": s.failing,
            "example": s.example.as_ref().map(|(name, _)| name),
            "root_cause": s.example.as_ref().and_then(|(_, id)| *id),
            "skip_reason": s.skip_reason,
        })).collect::<Vec<_>>(),
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
                    "conflicts": summary.conflicted(*l),
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
                "requirement": {
                    "source": r.requirement.source,
                    "level": r.requirement.level.as_str(),
                    "text": r.requirement.text,
                    "quirks": crate::runner::quirks::explain(&r.requirement.source),
                },
                "status": r.outcome.label(),
                "detail": r.message(),
                "failure": r.outcome.failure().map(failure_json),
                "conflicts": match &r.outcome {
                    Outcome::Conflict(all) => all.iter().map(conflict_json).collect(),
                    _ => Vec::new(),
                },
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
        "conflicts": summary.conflicts.iter().map(conflict_json).collect::<Vec<_>>(),
        "readiness": summary.readiness.iter().map(|r| readiness_json(r, &summary.causes)).collect::<Vec<_>>(),
        "matrix": serde_json::to_value(&summary.matrix).expect("the matrix serializes"),
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
        "baseline": summary.baseline.as_ref().map(crate::runner::baseline::Applied::to_json),
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
