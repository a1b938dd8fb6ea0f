//! A run's outcome, apart from the files written from it: what [`run_on`](super::run_on) collects after
//! its trials (meta, records, summary, the clients that hold the timings and exchanges), and the one
//! place every report file is written from. `selftest` runs its profiles in two groups (the strict and
//! the compat server) and writes one set of reports for both by merging their outcomes first.

use std::collections::BTreeSet;

use super::report::{self, ExchangeLog, IdpProfile, Record, RunMeta, Summary};
use super::{RunConfig, baseline, timing};
use crate::client::Client;

/// Everything the reports of one run (or of several merged) are written from.
#[derive(Debug)]
pub struct RunOutcome {
    pub meta: RunMeta,
    /// In plan order (merged: each run's in turn).
    pub records: Vec<Record>,
    /// Computed over `records` by [`summarize`].
    pub summary: Summary,
    /// The profiles of the run in plan order: the matrix's columns.
    profiles: Vec<String>,
    idps: Vec<IdpProfile>,
    /// The run's baseline and whether the run left planned checks out (see `harness::narrowed`).
    baseline: Option<(baseline::Baseline, bool)>,
    /// The clients that sent the run's requests: their timings, exchange logs and secrets.
    clients: Vec<Client>,
}

/// The summary of `records`: root causes, the baseline applied, readiness per IdP and the matrix with a
/// column per profile, in `profiles`' order.
pub fn summarize(
    records: &[Record],
    idps: &[IdpProfile],
    profiles: &[String],
    baseline: Option<&(baseline::Baseline, bool)>,
) -> Summary {
    let mut summary = Summary::of(records);
    if let Some((known, narrowed)) = baseline {
        let applied = known.apply(records, &summary.causes, baseline::Date::today(), *narrowed);
        summary = summary.with_baseline(records, applied);
    }
    summary.readiness = report::readiness(records, &summary.causes, idps);
    summary.matrix = report::matrix(records, &summary.causes, &summary.readiness, profiles);
    summary
}

/// `more` added to `records`. A check judged in both (selftest runs every profile once per way of getting
/// a token) is reported once, as what says most: a failure over a pass, a pass over a skip (a check only
/// one way of authenticating can judge).
fn merge_records(records: &mut Vec<Record>, more: Vec<Record>) {
    let rank = |o: &report::Outcome| match o {
        report::Outcome::Failed(_) | report::Outcome::Blocked(_) => 2,
        report::Outcome::Passed | report::Outcome::Conflict(_) => 1,
        report::Outcome::Skipped(_) => 0,
    };
    let mut at: std::collections::HashMap<String, usize> =
        records.iter().enumerate().map(|(i, r)| (r.name.clone(), i)).collect();
    for record in more {
        match at.get(&record.name) {
            Some(&i) if rank(&record.outcome) > rank(&records[i].outcome) => records[i] = record,
            Some(_) => {}
            None => {
                at.insert(record.name.clone(), records.len());
                records.push(record);
            }
        }
    }
}

impl RunOutcome {
    pub fn new(
        meta: RunMeta,
        records: Vec<Record>,
        profiles: Vec<String>,
        idps: Vec<IdpProfile>,
        baseline: Option<(baseline::Baseline, bool)>,
        client: Client,
    ) -> RunOutcome {
        let summary = summarize(&records, &idps, &profiles, baseline.as_ref());
        RunOutcome { meta, records, summary, profiles, idps, baseline, clients: vec![client] }
    }

    /// One outcome holding every run's, as if they were one run: all records (in the runs' order), the
    /// summary recomputed over them with a matrix column per profile of every run, the targets, prefixes
    /// and notes of each, durations added up, cleanups and timings combined, every exchange. `None`
    /// without any.
    pub fn merge(outcomes: Vec<RunOutcome>) -> Option<RunOutcome> {
        let mut all = outcomes.into_iter();
        let mut merged = all.next()?;
        for next in all {
            let m = &mut merged.meta;
            m.target = format!("{}; {}", m.target, next.meta.target);
            m.profile = format!("{}, {}", m.profile, next.meta.profile);
            m.run_prefix = format!("{}, {}", m.run_prefix, next.meta.run_prefix);
            m.duration += next.meta.duration;
            m.cleanup.deleted += next.meta.cleanup.deleted;
            m.cleanup.gone += next.meta.cleanup.gone;
            m.cleanup.failed.extend(next.meta.cleanup.failed);
            m.cleanup.still_listed.extend(next.meta.cleanup.still_listed);
            for note in next.meta.notes {
                if !m.notes.contains(&note) {
                    m.notes.push(note);
                }
            }
            merge_records(&mut merged.records, next.records);
            let seen: BTreeSet<String> = merged.profiles.iter().cloned().collect();
            merged.profiles.extend(next.profiles.into_iter().filter(|p| !seen.contains(p)));
            let seen: BTreeSet<String> = merged.idps.iter().map(|i| i.name.clone()).collect();
            merged.idps.extend(next.idps.into_iter().filter(|i| !seen.contains(&i.name)));
            merged.baseline = match (merged.baseline, next.baseline) {
                (Some((known, a)), Some((_, b))) => Some((known, a || b)),
                (one, other) => one.or(other),
            };
            merged.clients.extend(next.clients);
        }
        if merged.clients.len() > 1 {
            let timings = timing::Timings::default();
            for c in &merged.clients {
                timings.absorb(c.timings());
            }
            merged.meta.timings = timings.report();
        }
        merged.summary = summarize(&merged.records, &merged.idps, &merged.profiles, merged.baseline.as_ref());
        Some(merged)
    }

    /// `text` with every client's secrets hidden.
    fn hide_secrets(&self, text: &str) -> String {
        self.clients.iter().fold(text.to_string(), |t, c| c.hide_secrets(&t))
    }

    /// Writes every report file `config` asks for (`--json`, `--junit`, `--markdown`, `--html`, `--har`).
    /// A report that cannot be written is one `error:` line with a fix; returns whether all were written
    /// (the run then exits 2 otherwise: CI must not read an old or missing file as this run's).
    pub fn write_reports(&self, config: &RunConfig) -> bool {
        let (meta, summary, records) = (&self.meta, &self.summary, &self.records);
        let mut written = true;
        let mut failed = |what: &str, path: &std::path::Path, e: std::io::Error| {
            eprintln!("error: cannot write {what} {}: {e}\n  fix: check the path and the free space", path.display());
            written = false;
        };
        if let Some(path) = &config.json
            && let Err(e) = report::write_json(path, meta, summary, records)
        {
            failed("the JSON report", path, e);
        }
        if let Some(path) = &config.junit
            && let Err(e) = report::write_junit(path, meta, summary, records)
        {
            failed("the JUnit report", path, e);
        }
        if let Some(path) = &config.markdown
            && let Err(e) = report::write_markdown(path, meta, summary)
        {
            failed("the Markdown summary", path, e);
        }
        if let Some(path) = &config.html
            && let Err(e) = report::write_html(path, meta, summary, records)
        {
            failed("the HTML report", path, e);
        }
        if let Some(path) = &config.har {
            let logs: Vec<&ExchangeLog> = self.clients.iter().filter_map(Client::exchange_log).collect();
            let combined;
            let log = match logs.as_slice() {
                [] => None,
                [one] => Some(*one),
                several => {
                    combined = ExchangeLog::default();
                    several.iter().for_each(|l| combined.absorb(l));
                    Some(&combined)
                }
            };
            if let Some(log) = log
                && let Err(e) = report::write_har(path, log, &summary.verdict(), &|text| self.hide_secrets(text))
            {
                failed("the HAR file", path, e);
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::failure::{Failure, Problem, ProblemKind, StepRef};
    use crate::runner::report::Outcome;
    use crate::suite::{Level, Requirement};

    fn record(name: &str, outcome: Outcome) -> Record {
        Record {
            name: name.into(),
            suite: "s".into(),
            scenario: name.into(),
            requirement: Requirement { source: "RFC 6749 §5.1".into(), level: Level::Must, text: "t".into() },
            outcome,
            duration: std::time::Duration::ZERO,
            snapshot: None,
        }
    }

    fn failed() -> Outcome {
        Outcome::Failed(Failure {
            step: StepRef { number: 1, label: "step 1".into(), kind: "GET /Users".into(), setup: false },
            problems: vec![Problem::new(ProblemKind::Status, "status", "401", "200")],
            exchange: None,
            generated: None,
        })
    }

    #[test]
    fn a_check_judged_by_two_runs_is_reported_once_as_what_says_most() {
        let mut records = vec![
            record("a", Outcome::Skipped("needs an assertion".into())),
            record("b", Outcome::Passed),
            record("c", Outcome::Passed),
        ];
        merge_records(
            &mut records,
            vec![
                record("a", Outcome::Passed),
                record("b", Outcome::Skipped("needs a secret".into())),
                record("c", failed()),
                record("d", Outcome::Skipped("x".into())),
            ],
        );
        let shown: Vec<(&str, &str)> = records
            .iter()
            .map(|r| {
                let o = match r.outcome {
                    Outcome::Passed => "passed",
                    Outcome::Failed(_) => "failed",
                    Outcome::Skipped(_) => "skipped",
                    _ => "other",
                };
                (r.name.as_str(), o)
            })
            .collect();
        assert_eq!(shown, [("a", "passed"), ("b", "passed"), ("c", "failed"), ("d", "skipped")]);
    }
}
