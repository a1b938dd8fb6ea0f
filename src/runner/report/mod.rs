//! What a run reports, as a model: a record per trial, root causes, a summary per RFC level, and the
//! readiness of each identity provider. One writer per format renders it: `console`, `json`
//! (docs/report-format.md), `junit`, `markdown`, `html` and `har` (every exchange). The token is never in any of them: failure messages
//! show it as `$SCIM_TOKEN`.

mod conflict;
mod console;
mod har;
mod html;
mod json;
mod junit;
mod markdown;
mod matrix;

pub use conflict::{Conflict, Stance, stances};
pub use console::{lifecycle_view, render_readiness};
pub use har::{ExchangeLog, to_har, write_har};
pub use html::{rfc_links, to_html, write_html};
pub use json::{to_json, write_json};
pub use junit::{to_junit, write_junit};
pub(crate) use markdown::public_target;
pub use markdown::{to_markdown, write_markdown};
pub use matrix::{CellState, ColumnVerdict, Matrix, MatrixCell, MatrixColumn, MatrixRow, matrix};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

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
    /// An RFC check on a tension of idp-behaviour.md §8 answered the identity-provider side's way: a
    /// conflict resolved in that IdP's favour, which passes the run. One per tension (a generated check
    /// may meet several); never empty.
    Conflict(Vec<Conflict>),
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
            Outcome::Conflict(_) => "conflict",
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
    pub snapshot: Option<crate::runner::snapshot::Verdict>,
}

impl Record {
    /// The text of a failed or blocked trial for the reports, with whole bodies.
    pub fn message(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Failed(f) => Some(f.render_bodies(&self.requirement, usize::MAX)),
            Outcome::Blocked(f) => {
                Some(format!("{}\n{}", f.blocked_line(), f.render_bodies(&self.requirement, usize::MAX)))
            }
            Outcome::Skipped(reason) => Some(reason.clone()),
            Outcome::Conflict(all) => Some(
                all.iter()
                    .map(|c| {
                        format!(
                            "conflict ({}): {}\n{}",
                            c.heading(),
                            c.sentence(),
                            c.evidence.render_bodies(&self.requirement, usize::MAX)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
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
    pub timings: Vec<crate::runner::timing::EndpointTiming>,
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
    counts: BTreeMap<Level, [usize; 5]>,
    /// Snapshot verdicts by label (matched, new, changed, written, error).
    snapshots: BTreeMap<&'static str, usize>,
    pub causes: Vec<RootCause>,
    /// Per identity-provider profile of the run, whether it is ready ([`readiness`]); empty until set.
    pub readiness: Vec<Readiness>,
    /// Failed and blocked checks a baseline waives, per level: `[failed, blocked]`.
    waived: BTreeMap<Level, [usize; 2]>,
    /// The baseline applied to the run (`--baseline`), if any.
    pub baseline: Option<crate::runner::baseline::Applied>,
    /// The RFC checks on a tension of idp-behaviour.md §8 whose answer is the identity-provider side's: the
    /// conflicts resolved in an IdP's favour, in plan order. They pass the run; each says which side the
    /// server took and what it means for every IdP profile ([`Conflict::sentence`]).
    pub conflicts: Vec<Conflict>,
    /// The readiness matrix: each lifecycle step (rows) under each profile of the run (columns), with a
    /// verdict per column ([`matrix`]); empty until set. Writers show it when the run had several profiles.
    pub matrix: Matrix,
}

const PASSED: usize = 0;
const FAILED: usize = 1;
const SKIPPED: usize = 2;
const BLOCKED: usize = 3;
const CONFLICT: usize = 4;

impl Summary {
    pub fn of(records: &[Record]) -> Summary {
        let mut counts: BTreeMap<Level, [usize; 5]> = Level::ALL.iter().map(|l| (*l, [0; 5])).collect();
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
                Outcome::Conflict(_) => slot[CONFLICT] += 1,
            }
        }
        let conflicts = records
            .iter()
            .flat_map(|r| match &r.outcome {
                Outcome::Conflict(all) => all.clone(),
                _ => Vec::new(),
            })
            .collect();
        Summary {
            counts,
            snapshots,
            causes: root_causes(records),
            readiness: Vec::new(),
            waived: BTreeMap::new(),
            baseline: None,
            conflicts,
            matrix: Matrix::default(),
        }
    }

    /// The summary with a baseline applied: waived failures and blocks no longer fail the run, the
    /// baseline's own problems (a fixed or expired waiver) do.
    pub fn with_baseline(mut self, records: &[Record], applied: crate::runner::baseline::Applied) -> Summary {
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

    /// Checks at `level` that ended as a conflict resolved in an identity provider's favour.
    pub fn conflicted(&self, level: Level) -> usize {
        self.count(level, CONFLICT)
    }

    fn total(&self, i: usize) -> usize {
        self.counts.values().map(|c| c[i]).sum()
    }
}

/// The lifecycle steps of the identity providers' request catalogues (idp-behaviour.md §1.0), by id, in
/// the order an identity provider goes through them: connect, find or create users, change them, disable
/// and delete them, then the same for groups. Steps are shown in this order, whatever the suite files'.
const LIFECYCLE: &[(&str, &str)] = &[
    ("E-TC", "Test Connection"),
    ("E-SD", "schema discovery"),
    ("E-QU", "match user"),
    ("E-CU", "create user"),
    ("E-UU", "update user"),
    ("E2-ADD", "set an attribute (lower-case add)"),
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
    ("O-RT", "discover resource types"),
    ("O-LE", "list entitlements and roles"),
    ("O-AE", "assign entitlements and roles"),
    // OneLogin (docs/idp-quirks.md): the titles match Entra's and Okta's, so the matrix rows align.
    ("OL-TC", "Test Connection"),
    ("OL-QU", "match user"),
    ("OL-CU", "create user"),
    ("OL-UU", "update user"),
    ("OL-DU", "disable user"),
    ("OL-XU", "delete user"),
    ("OL-QG", "match group"),
    ("OL-CG", "create group"),
    ("OL-MG", "push membership changes"),
    // JumpCloud
    ("JC-TC", "Test Connection"),
    ("JC-QU", "match user"),
    ("JC-CU", "create user"),
    ("JC-UU", "update user"),
    ("JC-DU", "disable user"),
    ("JC-XU", "delete user"),
    ("JC-CG", "create group"),
    ("JC-AM", "add group members"),
    ("JC-RM", "remove group members"),
    ("JC-XG", "delete group"),
    // Ping (PingOne outbound, PingFederate)
    ("PI-QU", "match user"),
    ("PI-CU", "create user"),
    ("PI-UU", "update user"),
    ("PI-DU", "disable user"),
    ("PI-XU", "delete user"),
    ("PI-LG", "match group"),
    ("PI-CG", "create group"),
    ("PI-MG", "push membership changes"),
    // Google Workspace
    ("GW-TC", "Test Connection"),
    ("GW-CU", "create user"),
    ("GW-UU", "update user"),
    ("GW-DU", "disable user"),
    ("GW-RU", "re-enable user"),
    ("GW-XU", "delete user"),
    // Rippling
    ("RP-TC", "Test Connection"),
    ("RP-QU", "match user"),
    ("RP-CU", "create user"),
    ("RP-UU", "update user"),
    ("RP-DU", "disable user"),
    ("RP-CG", "create group"),
    ("RP-MG", "push membership changes"),
];

/// An identity-provider profile (or an app provisioned by one) that a run planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpProfile {
    /// The profile or app name: the first part of its trial names (`okta::status::…`).
    pub name: String,
    /// `Microsoft Entra ID` (the profile file's `display_name`, else the name).
    pub display_name: String,
}

/// How one lifecycle step fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Every check ran and passed.
    Works,
    /// Its MUST checks pass, a SHOULD or MAY check does not: provisioning works, not as well as it could.
    WorksWithout,
    /// A MUST check failed or was blocked: the identity provider fails here.
    Fails,
    /// Every check was skipped.
    Skipped,
}

/// One step an identity provider performs (a request of its catalogue, a quirk it relies on, or another
/// group of the profile's checks such as a SPEC test step), with every check of the profile that judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleStep {
    /// `create user`, `quirk O-Q12: group rename is …`, `SPEC #3`.
    pub title: String,
    pub state: StepState,
    /// The checks (trial names) that judge this step, in plan order.
    pub checks: Vec<String>,
    /// The failing (or, when skipped, the first) check, with its root cause id when it has one.
    pub example: Option<(String, Option<usize>)>,
    /// The number of failing checks.
    pub failing: usize,
    /// Whether the example failure is a block (its setup failed) rather than a failure.
    pub blocked: bool,
    /// Why the step was skipped.
    pub skip_reason: Option<String>,
}

/// Whether an identity provider can provision against the server: every MUST check of its profile passed
/// or was skipped, and something was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub idp: IdpProfile,
    /// The profile's steps in lifecycle order; every check of the profile is in exactly one.
    pub steps: Vec<LifecycleStep>,
    /// Root causes (ids) that fail or block a MUST check of this profile, in fix order (MUST first).
    pub blocked_by: Vec<usize>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.blocked_by.is_empty() && self.judged() > 0
    }

    /// Steps with at least one check that ran.
    pub fn judged(&self) -> usize {
        self.steps.iter().filter(|s| s.state != StepState::Skipped).count()
    }

    /// Judged steps whose MUST checks all pass.
    pub fn working(&self) -> usize {
        self.steps.iter().filter(|s| matches!(s.state, StepState::Works | StepState::WorksWithout)).count()
    }

    pub fn skipped(&self) -> usize {
        self.steps.len() - self.judged()
    }

    /// `READY`, `NOT READY` or `NOT JUDGED` (every step skipped).
    pub fn verdict(&self) -> &'static str {
        if self.ready() {
            "READY"
        } else if self.judged() == 0 {
            "NOT JUDGED"
        } else {
            "NOT READY"
        }
    }

    /// `Okta (okta): READY — 18/18 steps` /
    /// `Microsoft Entra ID (entra): NOT READY — 11/21 steps; blocked by: POST /Groups: … (root cause 1)`.
    pub fn line(&self, causes: &[RootCause]) -> String {
        let skipped = match self.skipped() {
            0 => String::new(),
            n => format!(", {n} skipped"),
        };
        let mut line = format!(
            "{} ({}): {} — {}/{} steps{skipped}",
            self.idp.display_name,
            self.idp.name,
            self.verdict(),
            self.working(),
            self.judged()
        );
        if self.judged() == 0 {
            let reason = self.steps.iter().find_map(|s| s.skip_reason.as_deref()).unwrap_or("nothing ran");
            line.push_str(&format!("; every step skipped: {reason}"));
        }
        if !self.blocked_by.is_empty() {
            const SHOWN: usize = 3;
            let titles: Vec<String> = self
                .blocked_by
                .iter()
                .take(SHOWN)
                .filter_map(|id| causes.iter().find(|c| c.id == *id))
                .map(|c| format!("{} (root cause {})", c.title, c.id))
                .collect();
            let more = match self.blocked_by.len().saturating_sub(SHOWN) {
                0 => String::new(),
                n => format!("; and {n} more"),
            };
            line.push_str(&format!("; blocked by: {}{more}", titles.join("; ")));
        }
        line
    }
}

/// The step a record judges: the first catalogue request its source names, else its first quirk, else
/// the generated check or the source itself (`SPEC #3`). With the step's position in lifecycle order
/// (`None`: after the catalogue steps, in plan order).
fn step_of(r: &Record) -> (String, Option<usize>) {
    let ids = crate::runner::quirks::ids_in(&r.requirement.source);
    let catalogue = ids.iter().find_map(|id| {
        LIFECYCLE
            .iter()
            .position(|(k, _)| k == id)
            .or_else(|| LIFECYCLE.iter().position(|(k, _)| *k == id.replacen("E2-", "E-", 1)))
    });
    if let Some(i) = catalogue {
        return (LIFECYCLE[i].1.to_string(), Some(i));
    }
    if let Some(id) = ids.iter().find(|id| crate::runner::quirks::is_quirk_id(id)) {
        let meaning = crate::runner::quirks::meaning(id).unwrap_or("not documented");
        return (format!("quirk {id}: {meaning}"), None);
    }
    if r.suite == "properties" {
        return (format!("generated {} checks", r.scenario), None);
    }
    let source = r.requirement.source.as_str();
    let own = crate::runner::quirks::IDP_SOURCE_WORDS
        .iter()
        .find_map(|word| source.strip_prefix(word)?.strip_prefix(' '))
        .unwrap_or(source);
    (own.to_string(), None)
}

/// Per identity-provider profile (or app) of the run: its lifecycle steps in lifecycle order and whether it
/// is ready. `records` in plan order (the order of first appearance places the steps outside the catalogue).
pub fn readiness(records: &[Record], causes: &[RootCause], idps: &[IdpProfile]) -> Vec<Readiness> {
    let cause_of = cause_of(causes);
    idps.iter()
        .map(|idp| {
            let prefix = format!("{}::", idp.name);
            let mine: Vec<&Record> = records.iter().filter(|r| r.name.starts_with(&prefix)).collect();
            // title → (order, records)
            let mut steps: Vec<(String, (usize, usize), Vec<&Record>)> = Vec::new();
            for (seen, r) in mine.iter().enumerate() {
                let (title, position) = step_of(r);
                match steps.iter_mut().find(|(t, _, _)| *t == title) {
                    Some((_, _, rs)) => rs.push(r),
                    None => steps.push((title, (position.unwrap_or(LIFECYCLE.len()), seen), vec![*r])),
                }
            }
            steps.sort_by_key(|(_, order, _)| *order);
            let mut blocked_by = std::collections::BTreeSet::new();
            let steps = steps
                .into_iter()
                .map(|(title, _, rs)| {
                    let failing: Vec<&&Record> = rs.iter().filter(|r| r.outcome.failure().is_some()).collect();
                    let must_failing: Vec<&&Record> =
                        failing.iter().copied().filter(|r| r.requirement.level == Level::Must).collect();
                    for r in &must_failing {
                        if let Some(id) = cause_of.get(r.name.as_str()) {
                            blocked_by.insert(*id);
                        }
                    }
                    let ran = rs.iter().any(|r| !matches!(r.outcome, Outcome::Skipped(_)));
                    let state = if !must_failing.is_empty() {
                        StepState::Fails
                    } else if !failing.is_empty() {
                        StepState::WorksWithout
                    } else if ran {
                        StepState::Works
                    } else {
                        StepState::Skipped
                    };
                    let example: Option<&Record> = must_failing.first().or(failing.first()).map(|r| **r);
                    let skip_reason = rs.iter().find_map(|r| match &r.outcome {
                        Outcome::Skipped(reason) if !ran => Some(reason.clone()),
                        _ => None,
                    });
                    LifecycleStep {
                        title,
                        state,
                        checks: rs.iter().map(|r| r.name.clone()).collect(),
                        blocked: example.is_some_and(|r| matches!(r.outcome, Outcome::Blocked(_))),
                        example: example
                            .or_else(|| rs.first().copied().filter(|_| !ran))
                            .map(|r| (r.name.clone(), cause_of.get(r.name.as_str()).copied())),
                        failing: failing.len(),
                        skip_reason,
                    }
                })
                .collect();
            Readiness { idp: idp.clone(), steps, blocked_by: blocked_by.into_iter().collect() }
        })
        .collect()
}

/// A server's text on one line, exactly: quoted, with newlines, quotes, backslashes and control characters
/// escaped as in a JSON string (non-ASCII letters stay as they are), so nothing is lost or run together.
pub fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// Checks, before the run, that each report file can be written: its folder exists and the file can be
/// opened for writing. A file this check creates is removed again, so a run stopped by a later mistake
/// leaves nothing behind.
pub fn check_outputs(outputs: &[(&str, &Path)]) -> Result<(), String> {
    for (flag, path) in outputs {
        if path.is_dir() {
            return Err(format!("{flag} {} is a directory\n  fix: name a file, e.g. {flag} report", path.display()));
        }
        let existed = path.exists();
        if let Err(e) = std::fs::OpenOptions::new().append(true).create(true).open(path) {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let fix = if folder.is_dir() {
                "check the permissions".to_string()
            } else {
                format!("create the folder {} first", folder.display())
            };
            return Err(format!("{flag} {} cannot be written: {e}\n  fix: {fix}", path.display()));
        }
        if !existed {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(())
}

/// The one line for a run in which every check was skipped: green, but nothing was tested.
pub fn nothing_tested(records: &[Record]) -> Option<String> {
    let first_reason = records.iter().find_map(|r| match &r.outcome {
        Outcome::Skipped(why) => Some(why.as_str()),
        _ => None,
    });
    match first_reason {
        Some(why) if records.iter().all(|r| matches!(r.outcome, Outcome::Skipped(_))) => Some(format!(
            "every one of the {} selected checks was skipped, so nothing was tested (the first because {why})\n  \
             fix: select checks the endpoint supports (see the skip reasons above), or drop --read-only",
            records.len()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

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

    fn idp(name: &str, display: &str) -> IdpProfile {
        IdpProfile { name: name.into(), display_name: display.into() }
    }

    #[test]
    fn the_lifecycle_view_names_the_root_cause_that_stops_each_step_in_lifecycle_order() {
        let records = [
            // Plan order, not lifecycle order: the group suite comes first in the files.
            record(
                "entra::g::rename",
                "Entra E-RG",
                Outcome::Blocked(failure("POST /Groups", true, status("201", "400"))),
            ),
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
            record("entra::a::connect", "Entra E-TC", Outcome::Passed),
            record(
                "rfc::users::x",
                "RFC 7644 §3.3",
                Outcome::Failed(failure("GET /Users", false, status("200", "500"))),
            ),
            record("okta::g::push", "Okta O-CG", Outcome::Skipped("no groups".into())),
            record("okta::spec::t3", "Okta SPEC #3", Outcome::Passed),
        ];
        let causes = root_causes(&records);
        let idps = [idp("entra", "Microsoft Entra ID"), idp("okta", "Okta")];
        let ready = readiness(&records, &causes, &idps);
        let view = lifecycle_view(&ready, &causes);
        // Both Entra failures share one cause: the same kind of request answered the same way.
        let patch = causes.iter().find(|c| c.title.starts_with("PATCH")).expect("a PATCH cause");
        assert_eq!(patch.failed.len(), 2, "{causes:?}");
        let expected = format!(
            "\nwhat the identity provider will see:\n  Microsoft Entra ID (entra):\n    ✓ Test Connection\n    ✓ create user\n    \
             ✗ disable user — root cause {p}: PATCH /Users/{{id}}: answers 400 where 200 or 204 is expected [entra::a::disable]\n    \
             ✗ rename group — blocked by {g}: POST /Groups: answers 400 where 201 is expected [entra::g::rename]\n    \
             ✗ quirk E-Q2: booleans arrive as the strings \"True\"/\"False\" — root cause {p}: PATCH /Users/{{id}}: answers 400 where 200 or 204 is expected [entra::a::strings]\n  \
             Okta (okta):\n    - push group — skipped: no groups\n    ✓ SPEC #3\n",
            p = patch.id,
            g = causes.iter().find(|c| c.title.starts_with("POST /Groups")).expect("a group cause").id,
        );
        assert_eq!(view, expected);
        assert!(!view.contains("RFC"), "RFC scenarios are not IdP lifecycle steps: {view}");
        let entra = &ready[0];
        assert_eq!((entra.working(), entra.judged(), entra.verdict()), (2, 5, "NOT READY"));
        assert!(entra.line(&causes).starts_with("Microsoft Entra ID (entra): NOT READY — 2/5 steps; blocked by: "));
        assert_eq!(ready[1].line(&causes), "Okta (okta): READY — 1/1 steps, 1 skipped");
        assert_eq!(lifecycle_view(&readiness(&records[5..6], &causes, &[]), &causes), "");
    }

    /// Okta showed 18/18 ✓ while the run failed: a MUST check outside the catalogue (a SPEC test step) failed.
    /// Every check of the profile is in one step now, so the count and the verdict agree.
    #[test]
    fn a_must_failure_outside_the_catalogue_makes_the_profile_not_ready_and_a_should_failure_does_not() {
        let mut should = record(
            "okta::s::lenient",
            "Okta O-RU, O-Q10",
            Outcome::Failed(failure("PATCH /Users/{id}", false, status("204", "500"))),
        );
        should.requirement.level = Level::Should;
        let records = [
            record("okta::s::create", "Okta O-CU", Outcome::Passed),
            should,
            record(
                "okta::spec::t12",
                "Okta SPEC #12",
                Outcome::Failed(failure("GET /Users/{id}", false, status("404", "200"))),
            ),
            Record {
                suite: "properties".into(),
                scenario: "patch".into(),
                ..record("okta::properties::patch", "RFC 7644 §3.5.2", Outcome::Skipped("read-only".into()))
            },
        ];
        let causes = root_causes(&records);
        let ready = readiness(&records, &causes, &[idp("okta", "Okta")]);
        let okta = &ready[0];
        let titles: Vec<(&str, StepState)> = okta.steps.iter().map(|s| (s.title.as_str(), s.state)).collect();
        assert_eq!(
            titles,
            [
                ("create user", StepState::Works),
                ("reactivate user", StepState::WorksWithout),
                ("SPEC #12", StepState::Fails),
                ("generated patch checks", StepState::Skipped)
            ]
        );
        assert!(!okta.ready());
        let spec = causes.iter().find(|c| c.title.starts_with("GET")).expect("the SPEC cause");
        assert_eq!(okta.blocked_by, [spec.id], "only MUST failures block readiness");
        assert_eq!(
            okta.line(&causes),
            format!(
                "Okta (okta): NOT READY — 2/3 steps, 1 skipped; blocked by: GET /Users/{{id}}: answers 200 where 404 is expected (root cause {})",
                spec.id
            )
        );
        let all_skipped = [record(
            "okta::s::create",
            "Okta O-CU",
            Outcome::Skipped("it creates resources, and the run is --read-only".into()),
        )];
        let none = &readiness(&all_skipped, &[], &[idp("okta", "Okta")])[0];
        assert_eq!(
            none.line(&[]),
            "Okta (okta): NOT JUDGED — 0/0 steps, 1 skipped; every step skipped: it creates resources, and the run is --read-only"
        );
    }

    #[test]
    fn the_markdown_summary_has_the_verdict_readiness_top_causes_and_counts_and_no_secrets() {
        let records = [
            record("entra::a::create", "Entra E-CU", Outcome::Passed),
            record(
                "entra::g::create",
                "Entra E-CG, E-Q11",
                Outcome::Failed(failure("POST /Groups", false, status("201", "400"))),
            ),
            record(
                "entra::g::rename",
                "Entra E-RG",
                Outcome::Blocked(failure("POST /Groups", true, status("201", "400"))),
            ),
            record("okta::s::create", "Okta O-CU", Outcome::Passed),
            record(
                "okta::s::pipe",
                "Okta O-Q1",
                Outcome::Failed(failure(
                    "GET /Users?filter",
                    false,
                    Problem::new(ProblemKind::Json, "a | b", "1", "2"),
                )),
            ),
        ];
        let mut summary = Summary::of(&records);
        summary.readiness =
            readiness(&records, &summary.causes, &[idp("entra", "Microsoft Entra ID"), idp("okta", "Okta")]);
        let mut meta = meta();
        meta.target = "https://user:hunter2@scim.example.com/scim/v2".into();
        meta.profile = "entra, okta".into();
        let md = to_markdown(&meta, &summary);
        let expected = "## scimtest: ❌ FAIL\n\n\
Profile `entra, okta` against `https://scim.example.com/scim/v2` in 0.0 s.\n\n\
**Verdict:** FAIL: 2 MUST root causes (2 MUST checks failed, 1 blocked)\n\n\
### Readiness per identity provider\n\n\
| identity provider | verdict | steps (MUST checks pass / run) | blocked by |\n|---|---|---|---|\n\
| Microsoft Entra ID (`entra`) | ❌ NOT READY | 1/3 | 1. POST /Groups: answers 400 where 201 is expected |\n\
| Okta (`okta`) | ❌ NOT READY | 1/2 | 2. GET /Users?filter: a \\| b |\n\n\
### Root causes, what to fix first\n\n| # | level | root cause | checks |\n|---|---|---|---|\n\
| 1 | MUST | POST /Groups: answers 400 where 201 is expected | 2 (1 failed, 1 blocked) |\n\
| 2 | MUST | GET /Users?filter: a \\| b | 1 |\n\n\
### Counts\n\n| level | passed | failed | blocked | skipped |\n|---|---|---|---|---|\n\
| MUST | 2 | 2 | 1 | 0 |\n| SHOULD | 0 | 0 | 0 | 0 |\n| MAY | 0 | 0 | 0 | 0 |\n| **all** | 2 | 2 | 1 | 0 |\n";
        assert_eq!(md, expected);
        assert!(!md.contains("hunter2"));
        let json = to_json(&meta, &summary, &records);
        assert_eq!(json["readiness"][0]["verdict"], "not_ready");
        assert_eq!(json["readiness"][0]["steps"][1]["title"], "create group");
        assert_eq!(json["readiness"][0]["steps"][1]["status"], "fails");
        assert_eq!(json["readiness"][0]["blocked_by"][0], 1);
        assert_eq!(json["readiness"][1]["steps_judged"], 2);
        let text = summary.render(&meta);
        assert!(
            text.contains("\nreadiness per identity provider (steps whose MUST checks all pass / steps run):\n  Microsoft Entra ID (entra): NOT READY — 1/3 steps; blocked by: POST /Groups"),
            "{text}"
        );
    }

    #[test]
    fn the_console_cuts_long_bodies_and_says_so_while_the_reports_and_verbose_keep_them_whole() {
        let body = format!("{{\"detail\": \"{}\"}}", "é".repeat(2000));
        let mut f = failure("GET /Users", false, status("200", "500"));
        f.exchange = Some(Box::new(crate::client::Exchange {
            method: "GET".into(),
            url: "http://x/Users".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(500),
            response_headers: Vec::new(),
            response_body: body.clone(),
            error: None,
            attempts: 1,
            elapsed: Duration::ZERO,
        }));
        let requirement = Requirement { source: "RFC".into(), level: Level::Must, text: "t".into() };
        let console = f.render(&requirement);
        // 600 characters shown (1,188 bytes: é is two); the other 2,826 of 4,014 bytes are counted, not dropped silently.
        let shown: String = body.chars().take(crate::runner::failure::CONSOLE_BODY).collect();
        let more = body.len() - shown.len();
        assert_eq!(more, 2_826);
        assert!(
            console.contains(&format!("< {shown}… 2,826 more bytes; full body in the JSON report or with --verbose\n")),
            "{console}"
        );
        let whole = f.render_bodies(&requirement, usize::MAX);
        assert!(whole.contains(&format!("< {body}\n")) && !whole.contains("more bytes"), "{whole}");
        let records = [record("rfc::users::x", "RFC", Outcome::Failed(f))];
        let json = to_json(&meta(), &Summary::of(&records), &records);
        assert!(json["results"][0]["detail"].as_str().is_some_and(|d| d.contains(&body)), "the report holds it whole");
    }

    /// The issue saw `EnterpriseUsernmanagern` for a detail holding newlines: the server's words are printed
    /// escaped, on one line, with nothing lost.
    #[test]
    fn server_messages_are_printed_faithfully() {
        let detail = "1 validation error for EnterpriseUser\nmanager\n  \"value\" is C:\\path — Größe ✓";
        let body =
            json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400", "detail": detail });
        let mut f = failure("PATCH /Users/{id}", false, status("200 or 204", "400"));
        f.exchange = Some(Box::new(crate::client::Exchange {
            method: "PATCH".into(),
            url: "http://x/Users/1".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(400),
            response_headers: Vec::new(),
            response_body: body.to_string(),
            error: None,
            attempts: 1,
            elapsed: Duration::ZERO,
        }));
        assert_eq!(f.server_said().as_deref(), Some(detail), "kept as sent");
        let records = [record("entra::a::manager", "Entra E-MG, E-Q24", Outcome::Failed(f))];
        let causes = root_causes(&records);
        let printed = r#""1 validation error for EnterpriseUser\nmanager\n  \"value\" is C:\\path — Größe ✓""#;
        let text = Summary { causes: causes.clone(), ..Summary::of(&records) }.render_causes();
        assert!(text.contains(&format!("the server said {printed}\n")), "{text}");
        let view = lifecycle_view(&readiness(&records, &causes, &[idp("entra", "Entra")]), &causes);
        assert!(view.contains(&format!("the server said {printed} [entra::a::manager]\n")), "{view}");
        // The JSON report keeps the text itself.
        let json = to_json(&meta(), &Summary::of(&records), &records);
        assert_eq!(json["root_causes"][0]["server_said"], detail);
        assert_eq!(
            json["results"][0]["requirement"]["quirks"][0],
            "E-Q24: manager is PATCHed as a one-element array on a single-valued attribute"
        );
        assert!(text.contains("(Entra E-MG, E-Q24 (E-Q24: manager is PATCHed"), "{text}");
        // The failure message names each quirk with its meaning.
        let message = records[0].message().unwrap_or_default();
        assert!(
            message
                .contains("\n  quirk E-Q24: manager is PATCHed as a one-element array on a single-valued attribute\n"),
            "{message}"
        );
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
    fn a_pointer_check_restating_an_envelope_problem_is_that_root_cause() {
        let envelope = Problem::new(
            ProblemKind::ListEnvelope,
            "ListResponse `itemsPerPage` is not the number of `Resources` returned (RFC 7644 §3.4.2)",
            "1 (the number of `Resources`)",
            "3",
        );
        let mut restated = failure("GET /Groups?count&filter&startIndex", false, envelope.clone());
        restated.problems.push(Problem::new(ProblemKind::Json, "pointer `/itemsPerPage`", "1", "3"));
        assert_eq!(restated.cause_key(), failure("GET /Users", false, envelope.clone()).cause_key());
        // Another value, or another field, is the check's own expectation.
        let mut other = failure("GET /Groups?count&filter&startIndex", false, envelope.clone());
        other.problems.push(Problem::new(ProblemKind::Json, "pointer `/totalResults`", "7", "3"));
        assert_ne!(other.cause_key(), restated.cause_key());
        let mut differs = failure("GET /Groups?count&filter&startIndex", false, envelope);
        differs.problems.push(Problem::new(ProblemKind::Json, "pointer `/itemsPerPage`", "1", "2"));
        assert_ne!(differs.cause_key(), restated.cause_key());
    }

    #[test]
    fn a_401_without_its_challenge_is_one_root_cause_on_every_endpoint() {
        let answered = |kind: &str, status: u16, observed: &str| {
            let mut f = failure(
                kind,
                false,
                Problem::new(ProblemKind::Header, "header `WWW-Authenticate`", "the header", observed),
            );
            f.exchange = Some(Box::new(crate::client::Exchange {
                status: Some(status),
                ..crate::client::Exchange::request("GET", "http://x", Vec::new(), None)
            }));
            f
        };
        let users = answered("GET /Users", 401, "none");
        assert_eq!(users.cause_key(), answered("GET /Users/{id}", 401, "none").cause_key());
        assert!(users.cause_key().contains("RFC 7235 §3.1"), "{}", users.cause_key());
        // Another status, or a challenge that is there but says too little, is the step's own problem.
        assert_ne!(answered("GET /Users", 200, "none").cause_key(), answered("GET /Groups", 200, "none").cause_key());
        assert_eq!(answered("GET /Users", 401, "Bearer").cause_key(), "GET /Users: header `WWW-Authenticate`");
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
