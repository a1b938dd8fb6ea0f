//! Failures as values: which step, what was expected, what came back, and the exchange. The report
//! writers render them; blocking and root-cause grouping work on these types, never on message text.

use std::fmt;

use crate::client::Exchange;

/// How much of a body the console shows (characters); the JSON report and `--verbose` show all of it.
pub const CONSOLE_BODY: usize = 600;

/// What part of an answer (or of the run) a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// No answer: refused, reset, timed out.
    Transport,
    Status,
    Header,
    /// The body is not the JSON the step needs.
    Body,
    /// The SCIM Error envelope (RFC 7644 §3.12).
    ErrorEnvelope,
    /// The ListResponse envelope (RFC 7644 §3.4.2).
    ListEnvelope,
    /// A returned resource against its published schema (RFC 7643).
    Schema,
    /// One of the step's JSON expectations.
    Json,
    /// A value a later step needs was not in the answer.
    Capture,
    /// A suite template or path that could not be resolved.
    Suite,
    /// A generated check disagreed with the core's answer for a minimal input.
    Generated,
    /// The run reached its `--max-time` before the check started.
    Deadline,
}

impl ProblemKind {
    /// Whether the problem is the same wherever it appears (an envelope, a schema rule, a dead server), so
    /// its root cause does not depend on which kind of request found it.
    pub fn anywhere(self) -> bool {
        matches!(
            self,
            ProblemKind::Transport
                | ProblemKind::ErrorEnvelope
                | ProblemKind::ListEnvelope
                | ProblemKind::Schema
                | ProblemKind::Deadline
        )
    }
}

/// One way an answer missed an expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// What is wrong, in words that do not depend on this run's values (`status`, ``path `userName` ``,
    /// ``ListResponse `itemsPerPage` is not the number of `Resources` returned``): the root-cause key.
    pub subject: String,
    pub expected: String,
    pub observed: String,
}

impl Problem {
    pub fn new(
        kind: ProblemKind,
        subject: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Problem {
        Problem { kind, subject: subject.into(), expected: expected.into(), observed: observed.into() }
    }

    /// The problem without this run's values, for grouping: statuses keep their codes (a 400 and a 500 are
    /// different causes), a dead server keeps the first words of its error, everything else its subject.
    pub fn cause(&self) -> String {
        match self.kind {
            ProblemKind::Status => {
                let code = self.observed.split_whitespace().next().unwrap_or_default();
                format!("answers {code} where {} is expected", self.expected)
            }
            ProblemKind::Transport => {
                let class: String = self.observed.split([':', '(']).next().unwrap_or_default().trim().to_string();
                format!("no answer ({class})")
            }
            _ => self.subject.clone(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ProblemKind::Transport => write!(f, "no answer: {}", self.observed),
            _ => write!(f, "{}: expected {}, got {}", self.subject, self.expected, self.observed),
        }
    }
}

/// The step a failure happened at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    /// 1-based; 0 for a generated check.
    pub number: usize,
    /// `step 2 `add member``.
    pub label: String,
    /// The kind of request, without ids or values: `PATCH /Users/{id}`, `GET /Users?filter`.
    pub kind: String,
    /// The step prepares the scenario's subject (a create or lookup a later step needs): its failure blocks
    /// the scenario instead of failing its requirement.
    pub setup: bool,
}

impl Failure {
    /// A check the run had no time left for: it is blocked by the deadline, one root cause for all.
    pub fn deadline(max_time: std::time::Duration) -> Failure {
        Failure {
            step: StepRef { number: 0, label: "not run".into(), kind: "the run".into(), setup: true },
            problems: vec![Problem::new(
                ProblemKind::Deadline,
                format!("not run: the run reached --max-time ({} s) before these checks", max_time.as_secs()),
                "time to run",
                "none left",
            )],
            exchange: None,
            generated: None,
        }
    }
}

impl StepRef {
    /// A generated check as a whole (`setup`: it could not get going).
    pub fn generated(what: &str, setup: bool) -> StepRef {
        StepRef { number: 0, label: format!("generated {what} check"), kind: format!("generated {what}"), setup }
    }
}

/// Why a check failed (or could not be judged), as a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: StepRef,
    pub problems: Vec<Problem>,
    /// The exchange of the failing step (the last one a generated check sent).
    pub exchange: Option<Box<Exchange>>,
    /// For a generated check: the seed, the minimal input and how it was found.
    pub generated: Option<Generated>,
}

/// What a generated check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `filter`, `PATCH`, `group PATCH`.
    pub what: String,
    pub seed: u64,
    pub minimal_input: String,
    /// `3 comparisons after shrinking`, `replayed from the regressions file`.
    pub note: String,
    /// Where the minimal input was kept for later runs (`saved to …`), or why it was not.
    pub kept: String,
}

impl Failure {
    /// The grouping key of the failure's own problem (its first, preferring one about the step over an
    /// envelope or schema problem), prefixed by the kind of step unless the problem is the same anywhere:
    /// the identity of this failure's root cause.
    pub fn cause_key(&self) -> String {
        if let Some(g) = &self.generated {
            return format!("generated {} check: {}", g.what, g.minimal_input);
        }
        // The step's own expectation first: an envelope problem seen on the way (a paging field) must
        // not bury what the check is about; it is the cause only where it is the whole failure.
        // No answer explains everything else the step found missing.
        let transport = self.problems.iter().find(|p| p.kind == ProblemKind::Transport);
        let own = self.problems.iter().find(|p| !p.kind.anywhere() && !self.restates_an_envelope_problem(p));
        let Some(first) = transport.or(own).or(self.problems.first()) else {
            return self.step.kind.clone();
        };
        // A 401 without its challenge is one deviation wherever it is answered: the server MUST send
        // WWW-Authenticate with every 401 (RFC 7235 §3.1), whichever request or credential was refused.
        let status = self.exchange.as_ref().and_then(|e| e.status);
        if first.kind == ProblemKind::Header
            && first.subject.eq_ignore_ascii_case("header `WWW-Authenticate`")
            && first.observed == "none"
            && status == Some(401)
        {
            return "401 answers without a `WWW-Authenticate` challenge (RFC 7235 §3.1)".to_string();
        }
        if first.kind.anywhere() { first.cause() } else { format!("{}: {}", self.step.kind, first.cause()) }
    }

    /// Whether `own` asserts the same field, with the same observed value, as an envelope problem of this
    /// failure (`/itemsPerPage == 3` beside "ListResponse `itemsPerPage` is not the number of `Resources`"):
    /// then it is that same deviation, and the envelope's root cause is its root cause.
    fn restates_an_envelope_problem(&self, own: &Problem) -> bool {
        let Some(field) = own.subject.strip_prefix("pointer `/").and_then(|f| f.strip_suffix('`')) else {
            return false;
        };
        self.problems.iter().any(|e| {
            e.kind == ProblemKind::ListEnvelope
                && e.observed == own.observed
                && e.subject.contains(&format!("`{field}`"))
        })
    }

    /// The server's own words, when it answered a SCIM Error (`detail`, else `scimType`).
    pub fn server_said(&self) -> Option<String> {
        let body = self.exchange.as_ref()?.json()?;
        let said = body.get("detail").or_else(|| body.get("scimType")).and_then(|v| v.as_str())?;
        // Kept as sent (newlines and all); printing escapes it. Only a very long text is cut, visibly.
        const MAX: usize = 500;
        Some(match said.char_indices().nth(MAX) {
            Some((cut, _)) => format!("{}…", &said[..cut]),
            None => said.to_string(),
        })
    }

    /// The console rendering: the requirement (with the meaning of each quirk it cites), the step and each
    /// problem, the exchange with bodies cut short, and a curl line.
    pub fn render(&self, requirement: &crate::suite::Requirement) -> String {
        self.render_bodies(requirement, CONSOLE_BODY)
    }

    /// [`Failure::render`] with bodies cut at `excerpt` characters (`usize::MAX`: whole, for the reports
    /// and `--verbose`).
    pub fn render_bodies(&self, requirement: &crate::suite::Requirement, excerpt: usize) -> String {
        let mut out = format!("requirement: {requirement}\n");
        for quirk in super::quirks::explain(&requirement.source) {
            out.push_str(&format!("  quirk {quirk}\n"));
        }
        if let Some(g) = &self.generated {
            out.push_str(&format!(
                "generated {} check failed (seed {:#x}; {})\nminimal input: {} ({})\n",
                g.what, g.seed, g.note, g.minimal_input, g.kept
            ));
            for p in &self.problems {
                out.push_str(&format!("{}\n", p.observed));
            }
        } else {
            let answer = self.exchange.as_ref().map_or("no answer".to_string(), |ex| {
                format!("{} {} → {}", ex.method, ex.url, ex.status.map_or("no answer".into(), |s| s.to_string()))
            });
            let setup = if self.step.setup { " (setup)" } else { "" };
            out.push_str(&format!("{}{setup}: {answer}\n", self.step.label));
            for p in &self.problems {
                out.push_str(&format!("  ✗ {p}\n"));
            }
        }
        if let Some(ex) = &self.exchange {
            out.push_str("exchange:\n");
            for line in ex.transcript(excerpt).lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push_str(&format!("reproduce:\n  {}\n", ex.curl()));
        }
        out
    }

    /// One line for a blocked check: which setup step failed and how.
    pub fn blocked_line(&self) -> String {
        let first = self.problems.first().map_or(String::new(), |p| format!(": {p}"));
        format!("blocked: {} (setup, {}) failed{first}", self.step.label, self.step.kind)
    }
}
