//! The Markdown summary for a pull request or `$GITHUB_STEP_SUMMARY`: the verdict, readiness per
//! identity provider, the top root causes and the counts.

use std::fmt::Write as _;
use std::path::Path;

use super::{BLOCKED, FAILED, PASSED, RunMeta, SKIPPED, Summary};
use crate::suite::Level;

/// Text for one Markdown table cell: on one line, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The target for a document others read: a URL without any user or password in it.
pub(crate) fn public_target(target: &str) -> String {
    match reqwest::Url::parse(target) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => target.to_string(),
    }
}

/// How many root causes the Markdown summary lists.
const MARKDOWN_CAUSES: usize = 10;

/// A compact Markdown summary for a pull request or `$GITHUB_STEP_SUMMARY`: the verdict, readiness per
/// identity provider, the top root causes (MUST first) and the counts. No token, no bodies.
pub fn to_markdown(meta: &RunMeta, summary: &Summary) -> String {
    let mut out = String::new();
    let pass = summary.passes();
    let _ = writeln!(out, "## scimtest: {}\n", if pass { "✅ PASS" } else { "❌ FAIL" });
    let _ = writeln!(
        out,
        "Profile `{}` against `{}` in {:.1} s.\n\n**Verdict:** {}\n",
        cell(&meta.profile),
        cell(&public_target(&meta.target)),
        meta.duration.as_secs_f64(),
        cell(&summary.verdict())
    );
    if !summary.readiness.is_empty() {
        out.push_str("### Readiness per identity provider\n\n");
        out.push_str(
            "| identity provider | verdict | steps (MUST checks pass / run) | blocked by |\n|---|---|---|---|\n",
        );
        for r in &summary.readiness {
            let mark = if r.ready() { "✅" } else { "❌" };
            let skipped = if r.skipped() > 0 { format!(", {} skipped", r.skipped()) } else { String::new() };
            let blocked: Vec<String> = r
                .blocked_by
                .iter()
                .filter_map(|id| summary.causes.iter().find(|c| c.id == *id))
                .map(|c| format!("{}. {}", c.id, cell(&c.title)))
                .collect();
            let _ = writeln!(
                out,
                "| {} (`{}`) | {mark} {} | {}/{}{skipped} | {} |",
                cell(&r.idp.display_name),
                cell(&r.idp.name),
                r.verdict(),
                r.working(),
                r.judged(),
                blocked.join("<br>")
            );
        }
        out.push('\n');
    }
    out.push_str(&summary.matrix.to_markdown());
    if !summary.causes.is_empty() {
        out.push_str("### Root causes, what to fix first\n\n| # | level | root cause | checks |\n|---|---|---|---|\n");
        for c in summary.causes.iter().take(MARKDOWN_CAUSES) {
            let split = match (c.failed.len(), c.blocked.len()) {
                (_, 0) => String::new(),
                (f, b) => format!(" ({f} failed, {b} blocked)"),
            };
            let _ = writeln!(out, "| {} | {} | {} | {}{split} |", c.id, c.level, cell(&c.title), c.checks());
        }
        if summary.causes.len() > MARKDOWN_CAUSES {
            let _ =
                writeln!(out, "\n…and {} more root causes in the JSON report.", summary.causes.len() - MARKDOWN_CAUSES);
        }
        out.push('\n');
    }
    if !summary.conflicts.is_empty() {
        out.push_str(
            "### Conflicts resolved in an identity provider's favour\n\nNot failures: where RFC 7644 and an identity \
             provider disagree (idp-behaviour.md §8), the server gives the answer the identity provider needs.\n\n\
             | tension | check | what it means |\n|---|---|---|\n",
        );
        for c in &summary.conflicts {
            let _ = writeln!(out, "| {} | `{}` | {} |", cell(&c.heading()), cell(&c.check), cell(&c.sentence()));
        }
        out.push('\n');
    }
    out.push_str("### Counts\n\n| level | passed | failed | blocked | skipped |\n|---|---|---|---|---|\n");
    for level in Level::ALL {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            level.as_str(),
            summary.passed(level),
            summary.failed(level),
            summary.blocked(level),
            summary.skipped(level)
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} |",
        summary.total(PASSED),
        summary.total(FAILED),
        summary.total(BLOCKED),
        summary.total(SKIPPED)
    );
    out
}

pub fn write_markdown(path: &Path, meta: &RunMeta, summary: &Summary) -> std::io::Result<()> {
    std::fs::write(path, to_markdown(meta, summary))
}
