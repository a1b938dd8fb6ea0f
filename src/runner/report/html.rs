//! The HTML report (`--html FILE`): one self-contained page (inline CSS and a little inline JS, nothing
//! loaded from anywhere) rendered by minijinja from `templates/report.html`, every value HTML-escaped by the
//! engine. Verdict per identity provider first, then what to fix first, the lifecycle steps, and each
//! failure whole (requirement with its RFC links, expected versus observed, exchange, curl, seed).

use std::path::Path;

use minijinja::{AutoEscape, Environment};
use serde_json::{Value, json};

use super::{Outcome, Record, RunMeta, StepState, Summary, cause_of, markdown::public_target};
use crate::runner::failure::Failure;
use crate::suite::Level;

const TEMPLATE: &str = include_str!("../../../templates/report.html");

/// `RFC 7643 §4.1.1, §7; RFC 7644 §3.4.2.2` → a link per section to the RFC Editor's page (shown as plain
/// links: the report never loads them).
pub fn rfc_links(source: &str) -> Vec<(String, String)> {
    let mut links = Vec::new();
    let mut rfc: Option<&str> = None;
    let words: Vec<&str> = source.split(|c: char| c.is_whitespace() || c == ',' || c == ';').collect();
    for (i, word) in words.iter().enumerate() {
        if *word == "RFC" {
            rfc = words.get(i + 1).copied().filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
            if let Some(n) = rfc
                && !words.get(i + 2).is_some_and(|w| w.starts_with('§'))
            {
                links.push((format!("RFC {n}"), format!("https://www.rfc-editor.org/rfc/rfc{n}")));
            }
        } else if let (Some(n), Some(section)) = (rfc, word.strip_prefix('§')) {
            let section = section.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
            if !section.is_empty() {
                links.push((
                    format!("RFC {n} §{section}"),
                    format!("https://www.rfc-editor.org/rfc/rfc{n}#section-{section}"),
                ));
            }
        }
    }
    links
}

/// The parts of a requirement source that are not RFC citations (`Entra E-QU, E-Q18`), shown beside the links.
fn other_sources(source: &str) -> String {
    source.split(';').map(str::trim).filter(|part| !part.contains("RFC ")).collect::<Vec<_>>().join("; ")
}

fn failure_view(f: &Failure) -> Value {
    json!({
        "step": f.step.label,
        "step_kind": f.step.kind,
        "setup": f.step.setup,
        "blocked_line": f.blocked_line(),
        "problems": f.problems.iter().map(|p| json!({
            "subject": p.subject, "expected": p.expected, "observed": p.observed,
        })).collect::<Vec<_>>(),
        "generated": f.generated.as_ref().map(|g| json!({
            "what": g.what, "seed": format!("{:#x}", g.seed), "minimal_input": g.minimal_input,
            "note": g.note, "kept": g.kept,
        })),
        "exchange": f.exchange.as_ref().map(|ex| json!({
            "line": format!("{} {} → {}", ex.method, ex.url, ex.status.map_or("no answer".into(), |s| s.to_string())),
            "transcript": ex.transcript(usize::MAX),
            "curl": ex.curl(),
        })),
        "server_said": f.server_said(),
    })
}

/// The profile a trial belongs to: the first part of its name (`okta::status::…` → `okta`).
fn profile_of(name: &str) -> &str {
    name.split("::").next().unwrap_or(name)
}

/// What the template sees.
fn view(meta: &RunMeta, summary: &Summary, records: &[Record]) -> Value {
    let cause_of = cause_of(&summary.causes);
    let title_of = |id: usize| summary.causes.iter().find(|c| c.id == id).map(|c| c.title.clone());
    let failures: Vec<Value> = records
        .iter()
        .filter_map(|r| {
            let f = r.outcome.failure()?;
            let cause = cause_of.get(r.name.as_str()).copied();
            Some(json!({
                "name": r.name,
                "profile": profile_of(&r.name),
                "status": r.outcome.label(),
                "level": r.requirement.level.as_str(),
                "waived": summary.is_waived(&r.name),
                "source": r.requirement.source,
                "other_sources": other_sources(&r.requirement.source),
                "text": r.requirement.text,
                "links": rfc_links(&r.requirement.source).into_iter()
                    .map(|(label, url)| json!({ "label": label, "url": url })).collect::<Vec<_>>(),
                "quirks": crate::runner::quirks::explain(&r.requirement.source),
                "root_cause": cause,
                "root_cause_title": cause.and_then(title_of),
                "failure": failure_view(f),
            }))
        })
        .collect();
    let checks: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "profile": profile_of(&r.name),
                "status": r.outcome.label(),
                "level": r.requirement.level.as_str(),
                "skip_reason": match &r.outcome { Outcome::Skipped(why) => Some(why.as_str()), _ => None },
            })
        })
        .collect();
    let mut profiles: Vec<&str> = records.iter().map(|r| profile_of(&r.name)).collect();
    profiles.dedup();
    profiles.sort_unstable();
    profiles.dedup();
    let readiness: Vec<Value> = summary
        .readiness
        .iter()
        .map(|r| {
            json!({
                "name": r.idp.name,
                "display_name": r.idp.display_name,
                "verdict": r.verdict(),
                "ready": r.ready(),
                "working": r.working(),
                "judged": r.judged(),
                "skipped": r.skipped(),
                "line": r.line(&summary.causes),
                "blocked_by": r.blocked_by.iter().map(|id| json!({ "id": id, "title": title_of(*id) }))
                    .collect::<Vec<_>>(),
                "steps": r.steps.iter().map(|s| json!({
                    "title": s.title,
                    "state": match s.state {
                        StepState::Works => "works",
                        StepState::WorksWithout => "works_should_fails",
                        StepState::Fails => "fails",
                        StepState::Skipped => "skipped",
                    },
                    "checks": s.checks.len(),
                    "failing": s.failing,
                    "blocked": s.blocked,
                    "example": s.example.as_ref().map(|(name, _)| name),
                    "root_cause": s.example.as_ref().and_then(|(_, id)| *id),
                    "skip_reason": s.skip_reason,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let counts: Vec<Value> = Level::ALL
        .iter()
        .map(|l| {
            json!({
                "level": l.as_str(),
                "passed": summary.passed(*l),
                "failed": summary.failed(*l),
                "blocked": summary.blocked(*l),
                "skipped": summary.skipped(*l),
                "waived": summary.waived(*l),
            })
        })
        .collect();
    json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "pass": summary.passes(),
        "verdict": summary.verdict(),
        "target": public_target(&meta.target),
        "profile": meta.profile,
        "run_prefix": meta.run_prefix,
        "duration_s": format!("{:.1}", meta.duration.as_secs_f64()),
        "notes": meta.notes,
        "cleanup": meta.cleanup.lines(),
        "readiness": readiness,
        "causes": summary.causes.iter().map(|c| json!({
            "id": c.id, "title": c.title, "level": c.level.as_str(), "source": c.source,
            "other_sources": other_sources(&c.source),
            "links": rfc_links(&c.source).into_iter()
                .map(|(label, url)| json!({ "label": label, "url": url })).collect::<Vec<_>>(),
            "checks": c.checks(), "failed": c.failed.len(), "blocked": c.blocked.len(),
            "server_said": c.server_said,
        })).collect::<Vec<_>>(),
        "counts": counts,
        "state_labels": {
            "works": "works", "works_should_fails": "works, a SHOULD fails", "fails": "fails", "skipped": "skipped",
        },
        "profiles": profiles,
        "failures": failures,
        "checks": checks,
        "conflicts": summary.conflicts.iter().map(|c| json!({
            "check": c.check, "tension": c.tension, "title": c.title, "sentence": c.sentence(),
        })).collect::<Vec<_>>(),
        // Shown when the run had several profiles, as in the console and Markdown.
        "matrix": (summary.matrix.columns.len() > 1).then(|| json!({
            "columns": summary.matrix.columns.iter()
                .map(|c| format!("{} — {}", c.display_name, c.verdict_label())).collect::<Vec<_>>(),
            "rows": summary.matrix.rows.iter().map(|row| json!({
                "step": row.step,
                "cells": row.cells.iter().map(|cell| match cell {
                    Some(cell) => json!({ "state": cell.state, "reason": cell.reason, "root_cause": cell.root_cause }),
                    None => json!({ "state": "none", "reason": null }),
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })),
    })
}

/// The HTML report of a run.
pub fn to_html(meta: &RunMeta, summary: &Summary, records: &[Record]) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("report.html", TEMPLATE).expect("the bundled report template parses");
    env.get_template("report.html")
        .and_then(|t| t.render(view(meta, summary, records)))
        .expect("the bundled report template renders the report's view")
}

pub fn write_html(path: &Path, meta: &RunMeta, summary: &Summary, records: &[Record]) -> std::io::Result<()> {
    std::fs::write(path, to_html(meta, summary, records))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{rfc_links, to_html};
    use crate::runner::failure::{Failure, Generated, Problem, ProblemKind, StepRef};
    use crate::runner::report::{Cleanup, Outcome, Record, RunMeta, Summary};
    use crate::suite::{Level, Requirement};

    /// What a server answers ends up in the page as text, never as markup.
    #[test]
    fn everything_the_server_or_a_suite_says_is_escaped_and_the_seed_is_shown() {
        let failure = Failure {
            step: StepRef { number: 1, label: "`<b>step</b>`".into(), kind: "GET /Users".into(), setup: false },
            problems: vec![Problem::new(ProblemKind::Json, "pointer `/x`", "\"a\"", "<img src=x onerror=alert(1)>")],
            exchange: None,
            generated: Some(Generated {
                what: "filter".into(),
                seed: 0x5c1a7e57,
                minimal_input: "userName eq \"</pre><script>\"".into(),
                note: "shrunk".into(),
                kept: "saved".into(),
            }),
        };
        let record = Record {
            name: "rfc::filtering::x".into(),
            suite: "filtering".into(),
            scenario: "x".into(),
            requirement: Requirement {
                source: "RFC 7644 §3.4.2.2".into(),
                level: Level::Must,
                text: "<script>alert(1)</script>".into(),
            },
            outcome: Outcome::Failed(failure),
            duration: Duration::ZERO,
            snapshot: None,
        };
        let meta = RunMeta {
            target: "https://user:hunter2@scim.example.com/v2".into(),
            profile: "rfc".into(),
            run_prefix: "p".into(),
            duration: Duration::ZERO,
            cleanup: Cleanup::default(),
            timings: Vec::new(),
            notes: vec!["<i>note</i>".into()],
        };
        let records = [record];
        let html = to_html(&meta, &Summary::of(&records), &records);
        for raw in ["<script>alert", "<img src", "</pre><script>", "<b>step", "<i>note", "hunter2"] {
            assert!(!html.contains(raw), "{raw} unescaped in the page");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "the text is kept, escaped");
        assert!(html.contains("<code class=\"seed\">0x5c1a7e57</code>"));
        // In attributes too (`/` is `&#x2f;`, which a browser reads back as `/`).
        assert!(
            html.contains("<a href=\"https:&#x2f;&#x2f;www.rfc-editor.org&#x2f;rfc&#x2f;rfc7644#section-3.4.2.2\">")
        );
        assert_eq!(html.matches("<script>").count(), 1, "only the page's own script");
    }

    #[test]
    fn rfc_sources_link_each_section_and_idp_ids_link_nothing() {
        let links = rfc_links("Entra E-QU, E-Q18; RFC 7643 §4.1.1, §7; RFC 7644 §3.4.2.2");
        let urls: Vec<&str> = links.iter().map(|(_, u)| u.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://www.rfc-editor.org/rfc/rfc7643#section-4.1.1",
                "https://www.rfc-editor.org/rfc/rfc7643#section-7",
                "https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.2",
            ]
        );
        assert_eq!(links[0].0, "RFC 7643 §4.1.1");
        assert_eq!(rfc_links("RFC 7644"), [("RFC 7644".into(), "https://www.rfc-editor.org/rfc/rfc7644".into())]);
        assert!(rfc_links("Okta O-Q12").is_empty());
    }
}
