//! Execution: one check at a time — a scenario's steps sent in order (templates expanded, captures
//! taken, each answer judged, what was created registered for cleanup) or a generated check — into a
//! record for the reports.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Completion, Failed};

use super::cleanup::{Registry, track};
use super::discover::Discovered;
use super::failure::{Failure, Problem, ProblemKind, StepRef};
use super::plan::{READ_ONLY, skip_reason, unsupported};
use super::report::{Conflict, Outcome, Record};
use super::{adapt, app_checks, baseline, checks, failure, property, snapshot, timing};
use crate::bundle::Source;
use crate::client::{Client, Credentials, Exchange, NOT_SENT, Request};
use crate::schema::ResourceSchema;
use crate::suite::{self, Auth, Body, Feature, Level, Scenario, Step, Suite, Vars};

/// Shared by every trial of a run.
pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) discovered: Discovered,
    pub(super) registry: Arc<Registry>,
    pub(super) run_prefix: String,
    pub(super) handle: tokio::runtime::Handle,
    pub(super) records: Mutex<Vec<Record>>,
    pub(super) app: Option<suite::App>,
    /// `None` when snapshots are off.
    pub(super) snapshots: Option<snapshot::SnapshotConfig>,
    /// Where suite files are, to name them relative to it in snapshot headers.
    pub(super) suites: Source,
    /// The planned names (profiles, the app) that replay an identity provider rather than the RFC.
    pub(super) idp: std::collections::BTreeSet<String>,
    /// When the run started, and how long it may take.
    pub(super) deadline: (Instant, Option<std::time::Duration>),
    /// Features the ServiceProviderConfig declares unsupported, with the IdP scenarios needing them that
    /// passed anyway: the declaration is not the truth.
    pub(super) contradicted: Mutex<BTreeMap<Feature, usize>>,
    /// Failure messages on the console carry whole bodies (`--verbose`).
    pub(super) verbose: bool,
    /// Known failures: a waived trial shows as ignored, `waived: <reason>`.
    pub(super) baseline: Option<baseline::Baseline>,
    /// Each identity-provider profile's stance, by tension id: what a conflict means for each.
    pub(super) stances: BTreeMap<String, Vec<super::report::Stance>>,
    /// The generated checks, run once for the profiles that judge them alike.
    pub(super) generated: super::sharing::SharedGenerated,
    /// How many of a generated check's cases run at once (`--concurrency`).
    pub(super) concurrency: usize,
}

/// How a scenario's steps ended when none failed.
pub(super) enum Ran {
    /// Every step's answer is what the scenario expects.
    Held,
    /// The server declined the scenario's filter, as the RFC allows: why it is not judged.
    Declined(String),
    /// The step on the scenario's tension answered the identity-provider side's way, and the tension's
    /// steps confirmed it: the RFC check's failure, explained.
    Conflict(Failure),
}

impl Shared {
    /// What the ServiceProviderConfig gets wrong, seen from the scenarios that ran anyway (RFC 7643 §5 has
    /// it describe what the service provider supports): one line per feature.
    pub(super) fn spc_contradictions(&self) -> Vec<String> {
        let seen = self.contradicted.lock().expect("contradictions lock");
        seen.iter()
            .map(|(f, n)| {
                format!(
                    "the ServiceProviderConfig declares `{}` unsupported, yet {n} identity-provider scenario{} using it \
                     passed: it SHOULD say what the server supports (RFC 7643 §5)",
                    f.as_str(),
                    if *n == 1 { "" } else { "s" }
                )
            })
            .collect()
    }

    /// The deadline failure, once the run has used up its `--max-time`.
    pub(super) fn out_of_time(&self) -> Option<Failure> {
        let (started, max) = self.deadline;
        max.filter(|m| started.elapsed() >= *m).map(Failure::deadline)
    }
}

pub(super) fn short_tag(text: &str) -> String {
    // FNV-1a: a stable, short tag per scenario for `${name:x}`.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{:06x}", h & 0xff_ffff)
}

/// The request a step sends; `schemas`, for an RFC profile, fills in what the server requires
/// ([`adapt::fill_request`]).
pub(super) fn build_request(
    step: &Step,
    vars: &Vars,
    schemas: Option<&[ResourceSchema]>,
) -> Result<(Request, String), String> {
    let method = reqwest::Method::from_bytes(step.method.as_str().as_bytes()).expect("known methods");
    let path = vars.expand_path(&step.path)?;
    let mut request = Request::new(method, path.clone());
    for (k, v) in &step.query {
        request.query.push((k.clone(), vars.expand(v)?));
    }
    for (k, v) in &step.headers {
        request.headers.push((k.clone(), vars.expand(v)?));
    }
    request.credentials = match step.auth {
        Auth::Token => Credentials::Token,
        Auth::None => Credentials::None,
        Auth::Wrong => Credentials::Wrong,
        Auth::Malformed => Credentials::Malformed,
        Auth::AlgNone => Credentials::AlgNone,
        Auth::UnknownKey => Credentials::UnknownKey,
        Auth::Tampered => Credentials::Tampered,
        Auth::Expired => Credentials::Expired,
        Auth::WrongAudience => Credentials::WrongAudience,
    };
    request.accept = step.accept.clone();
    match &step.body {
        Body::None => {}
        Body::Json(j) => {
            let mut body = vars.expand_json(j)?;
            if let Some(schemas) = schemas {
                adapt::fill_request(step, &mut body, schemas, &format!("{}-{}", vars.run, vars.scenario));
            }
            request.body = Some(serde_json::to_vec(&body).expect("JSON values serialize"));
            request.content_type = Some(step.content_type.clone());
        }
        Body::Raw(r) => {
            request.body = Some(r.clone().into_bytes());
            request.content_type = Some(step.content_type.clone());
        }
    }
    Ok((request, path))
}

/// The scenario's tag in `${name:x}`: unique per trial, so one suite run under two profiles never
/// collides with itself.
pub(super) fn scenario_tag(profile: &str, suite: &Suite, scenario: &Scenario) -> String {
    short_tag(&format!("{profile}::{}::{}", suite.name, scenario.name))
}

/// `GET /Users?filter=…`: a request as a snapshot names it (query values as sent, not encoded).
pub(super) fn request_line(request: &Request) -> String {
    let mut line = format!("{} {}", request.method, request.path);
    for (i, (k, v)) in request.query.iter().enumerate() {
        line.push(if i == 0 { '?' } else { '&' });
        line.push_str(&format!("{k}={v}"));
    }
    line
}

/// The kind of request a step sends, without ids or values: `PATCH /Users/{id}`, `GET /Users?filter` —
/// the same names [`timing::endpoint`] gives the requests it times. Query parameters count by name only,
/// whether written into the path or under `query`.
pub(super) fn step_kind(step: &Step) -> String {
    // One kind for every token request: a token endpoint that authenticates no client accepts the wrong
    // secret and each bad assertion alike, one root cause.
    if step.token.is_some() {
        return "POST token endpoint".to_string();
    }
    let mut path = step.path.clone();
    for (k, _) in &step.query {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(k);
    }
    timing::endpoint(step.method.as_str(), &path, "")
}

/// Whether step `index` prepares what the scenario is about: a create (POST to a collection) or a lookup
/// whose answer later steps capture, expecting success, with steps after it. Its failure blocks the
/// scenario. A step that expects an error, or is marked `subject`, is what the scenario tests, never its
/// setup.
pub(super) fn is_setup(steps: &[Step], index: usize) -> bool {
    let step = &steps[index];
    if step.subject {
        return false;
    }
    let create = step.method == suite::Method::Post && matches!(step.path.trim_end_matches('/'), "/Users" | "/Groups");
    let lookup = step.method == suite::Method::Get && !step.capture.is_empty();
    index + 1 < steps.len() && (create || lookup) && step.expect.succeeds()
}

/// Whether the server declined the step's filter the way RFC 7644 §3.4.2.2 lets it (400 invalidFilter:
/// "the specified attribute and filter comparison combination is not supported"), where the step did not
/// ask for a 400 itself.
pub(super) fn declined_filter(step: &Step, request: &Request, exchange: &Exchange) -> bool {
    let filters = request.query.iter().any(|(k, _)| k.eq_ignore_ascii_case("filter"))
        || (request.path.ends_with("/.search") && matches!(&step.body, Body::Json(j) if j.get("filter").is_some()));
    let invalid_filter = exchange.scim_type().is_some_and(|t| t.eq_ignore_ascii_case("invalidFilter"));
    filters && exchange.status == Some(400) && invalid_filter && !step.expect.status.contains(&400)
}

/// Why a scenario that sends one of the app's own extensions is not judged: the server does not declare
/// it. Under an identity provider's profile too, although the IdP would send it: the app's author declared
/// the extension and the server did not, so there is nothing the server promised to store; the reason says
/// what to fix rather than failing a check the server never claimed to pass.
pub(super) fn undeclared_app_extension(
    app: &suite::App,
    scenario: &Scenario,
    schemas: &[ResourceSchema],
    rfc: bool,
) -> Option<String> {
    let urn = app_checks::sends_extension(app, scenario)?;
    let declared = schemas.iter().find(|s| s.matches("User")).is_some_and(|u| u.extension(&urn).is_some());
    if declared {
        return None;
    }
    let sender = if rfc { "the app".to_string() } else { format!("{} (profile {})", app.name, app.profile) };
    Some(format!(
        "the server does not declare {urn} (/Schemas, /ResourceTypes schemaExtensions); {sender} would send it \
         and the server must store it — declare the extension in /Schemas"
    ))
}

/// Runs the scenario's steps until one fails; `tape` receives the exchanges its snapshot keeps. `Ok(Some)`
/// says why the scenario could not be judged (the server declined its filter, as the RFC allows).
pub(super) async fn execute(
    shared: &Shared,
    profile: &str,
    suite: &Suite,
    scenario: &Scenario,
    tape: &mut Vec<snapshot::Taken>,
) -> Result<Ran, Failure> {
    let mut vars = Vars {
        run: shared.run_prefix.clone(),
        scenario: scenario_tag(profile, suite, scenario),
        endpoints: shared.discovered.endpoints.clone(),
        ..Vars::default()
    };
    let base = shared.client.base_url().to_string();
    // An RFC profile sends only what the server declares, and what it requires; an IdP sends what it sends.
    let rfc = !shared.idp.contains(profile);
    let schemas = &shared.discovered.schemas;
    if rfc && let Some(reason) = adapt::undeclared(scenario, schemas) {
        return Ok(Ran::Declined(reason));
    }
    if let Some(app) = shared.app.as_ref()
        && let Some(reason) = undeclared_app_extension(app, scenario, schemas, rfc)
    {
        return Ok(Ran::Declined(reason));
    }
    // After the tension step answers the IdP side's way: the RFC failure it explains, and the steps that
    // confirm it run instead of the scenario's remaining steps.
    let mut steps: &[Step] = &scenario.steps;
    let mut explained: Option<Failure> = None;
    let mut numbered = 0;
    let mut i = 0;
    while let Some(step) = steps.get(i) {
        numbered += 1;
        let at = StepRef {
            number: numbered,
            label: format!("step {numbered} `{}`", step.name.as_deref().unwrap_or(step.method.as_str())),
            kind: step_kind(step),
            setup: explained.is_none() && is_setup(steps, i),
        };
        if let Some(copies) = step.parallel {
            let answers = super::parallel::run(shared, step, copies, &mut vars, rfc.then_some(schemas.as_slice()))
                .await
                .map_err(|e| Failure {
                    problems: vec![Problem::new(ProblemKind::Suite, "the request", "a request the suite can build", e)],
                    step: at.clone(),
                    exchange: None,
                    generated: None,
                })?;
            if !answers.problems.is_empty() {
                let shown = Some(Box::new(answers.shown));
                return Err(Failure { step: at, problems: answers.problems, exchange: shown, generated: None });
            }
            vars.last_headers = answers.shown.response_headers;
            i += 1;
            continue;
        }
        let (request, path) = build_request(step, &vars, rfc.then_some(schemas.as_slice())).map_err(|e| Failure {
            problems: vec![Problem::new(ProblemKind::Suite, "the request", "a request the suite can build", e)],
            step: at.clone(),
            exchange: None,
            generated: None,
        })?;
        // Held until what the request created is registered: an interrupt waits for both.
        let hold = shared.client.hold();
        let exchange = match (step.token, step.pages) {
            (Some(variant), _) => shared.client.token_request(variant).await,
            (None, Some(size)) => super::pages::walk(&shared.client, &request, size).await,
            (None, None) => shared.client.send(&request).await,
        };
        if step.token.is_none() {
            track(&shared.registry, step, &path, &exchange, &base);
        }
        drop(hold);
        if let Some(spec) = step.snapshot.as_ref().filter(|_| shared.snapshots.is_some()) {
            tape.push(snapshot::Taken {
                request: request_line(&request),
                exchange: exchange.clone(),
                spec: spec.clone(),
            });
        }
        // Captures first, so this step's own expectations may use them (`${user.meta.location}`).
        let mut problems = Vec::new();
        if !step.capture.is_empty() {
            match exchange.json() {
                None => problems.push(Problem::new(
                    ProblemKind::Capture,
                    "a JSON body to capture from",
                    "a JSON body",
                    checks::not_json(&exchange),
                )),
                Some(body) => {
                    for (name, pointer) in &step.capture {
                        match body.pointer(pointer) {
                            Some(value) => {
                                vars.captures.insert(name.clone(), value.clone());
                            }
                            None => problems.push(Problem::new(
                                ProblemKind::Capture,
                                format!("`{pointer}` to capture as `{name}`"),
                                "a value",
                                "nothing",
                            )),
                        }
                    }
                }
            }
        }
        let mut judged = checks::judge(&step.expect, &exchange, &vars, &shared.discovered.schemas);
        judged.append(&mut problems);
        // An identity provider needs its filters answered, so only RFC profiles count a decline as allowed.
        if !judged.is_empty() && rfc && declined_filter(step, &request, &exchange) {
            return Ok(Ran::Declined(format!(
                "declined: the server answers {} with 400 invalidFilter, which RFC 7644 §3.4.2.2 allows for a \
                 filter it does not support",
                request_line(&request)
            )));
        }
        if !judged.is_empty() {
            // A confirming step failed: the answer is neither side's, and the RFC check's failure stands.
            if let Some(failure) = explained {
                return Err(failure);
            }
            let tension =
                scenario.tension.as_ref().filter(|t| rfc && t.step == i && steps.len() == scenario.steps.len());
            let idp_side = tension.filter(|t| checks::judge(&t.expect, &exchange, &vars, schemas).is_empty());
            let failure = Failure { step: at, problems: judged, exchange: Some(Box::new(exchange)), generated: None };
            match idp_side {
                Some(t) => {
                    explained = Some(failure);
                    steps = &t.then;
                    i = 0;
                    continue;
                }
                None => return Err(failure),
            }
        }
        // A refusal the discovered schema declares (expect.refusal_needs_declaration) passed: the later
        // steps presume the value stored.
        if step.expect.refusal_needs_declaration.is_some() && exchange.status == Some(400) && explained.is_none() {
            return Ok(Ran::Held);
        }
        vars.last_headers = exchange.response_headers.clone();
        i += 1;
    }
    Ok(explained.map_or(Ran::Held, Ran::Conflict))
}

/// A trial's libtest verdict from its record, which is kept for the reports: it fails when the
/// requirement fails or when its snapshot drifted. A blocked trial shows as ignored with its one line (its
/// root cause is listed once, at the end); the summary counts it, and a blocked MUST fails the verdict.
pub(super) fn conclude(shared: &Shared, record: Record) -> Result<Completion, Failed> {
    let ci = shared.snapshots.as_ref().is_some_and(|c| c.ci);
    let drift = record.snapshot.as_ref().filter(|v| v.fails()).map(|v| v.message(ci));
    let body = if shared.verbose { usize::MAX } else { failure::CONSOLE_BODY };
    let waiver = shared.baseline.as_ref().and_then(|b| {
        let i = b.covering(&record.name, record.outcome.failure()?, baseline::Date::today())?;
        Some(b.waivers[i].why())
    });
    let result = match (&record.outcome, drift) {
        (Outcome::Failed(_) | Outcome::Blocked(_), None) if waiver.is_some() => {
            Ok(Completion::ignored_with(format!("waived: {}", waiver.unwrap_or_default())))
        }
        // A conflict resolved in an IdP's favour passes; the summary lists it.
        (Outcome::Passed | Outcome::Conflict(_), None) => Ok(Completion::Completed),
        (Outcome::Passed | Outcome::Conflict(_), Some(drift)) => Err(Failed::from(drift)),
        (Outcome::Skipped(reason), _) => Ok(Completion::ignored_with(reason)),
        (Outcome::Blocked(failure), None) => Ok(Completion::ignored_with(failure.blocked_line())),
        (Outcome::Blocked(failure), Some(drift)) => Err(Failed::from(format!("{}\n{drift}", failure.blocked_line()))),
        (Outcome::Failed(failure), None) => Err(Failed::from(failure.render_bodies(&record.requirement, body))),
        (Outcome::Failed(failure), Some(drift)) => {
            Err(Failed::from(format!("{}\n{drift}", failure.render_bodies(&record.requirement, body))))
        }
    };
    shared.records.lock().expect("records lock").push(record);
    result
}

/// Runs one generated check (`filters` or `patch`) for a profile and returns its record.
pub(super) fn run_property(
    shared: &Shared,
    profile: &str,
    mode: crate::patch::Mode,
    what: &'static str,
    config: &property::PropertyConfig,
    read_only: bool,
) -> Record {
    let start = Instant::now();
    let (feature, source, text) = if what == "filters" {
        (
            Feature::Filter,
            "RFC 7644 §3.4.2.2",
            "generated filters select exactly the users the core's evaluator selects",
        )
    } else if what == "patch" {
        (
            Feature::Patch,
            "RFC 7644 §3.5.2",
            "generated PATCH requests do what the core's engine does, or fail as it fails, atomically",
        )
    } else {
        (
            Feature::Patch,
            "RFC 7644 §3.5.2",
            "generated group membership PATCH requests leave the members the core's engine computes",
        )
    };
    let requirement = suite::Requirement { source: source.into(), level: Level::Must, text: text.into() };
    let skip = if read_only {
        Some(format!("it creates resources, {READ_ONLY}"))
    } else if what == "groups"
        && let Some(app) = shared.app.as_ref().filter(|a| !a.can("groups"))
    {
        Some(format!("the app `{}` does not provision groups", app.name))
    } else if what == "groups" && !shared.discovered.features.get(&Feature::Groups).copied().unwrap_or(false) {
        Some("the server publishes no Group resource type (/ResourceTypes)".to_string())
    } else if mode == crate::patch::Mode::Rfc && !shared.discovered.features.get(&feature).copied().unwrap_or(false) {
        // An identity provider filters and patches without reading the ServiceProviderConfig.
        Some(unsupported(feature))
    } else {
        None
    };
    let outcome = match (skip, shared.out_of_time()) {
        (Some(reason), _) => Outcome::Skipped(reason),
        (None, Some(late)) => Outcome::Blocked(late),
        (None, None) => {
            let key = super::sharing::GeneratedKey::new(what, mode);
            let profiles = shared.generated.profiles(key, profile);
            let result = shared.generated.verdict(key, || {
                if what == "filters" {
                    property::filters(shared, &profiles, super::sharing::dialect_of(mode), config)
                } else if what == "patch" {
                    property::patches(shared, &profiles, mode, config)
                } else {
                    property::groups(shared, &profiles, mode, config)
                }
            });
            let result = result.map_err(|mut failure| {
                if let (Some(generated), [_, _, ..]) = (failure.generated.as_mut(), profiles.as_slice()) {
                    generated.note.push_str(&format!(
                        "; judged once for {} (the same {}, seed and cases)",
                        profiles.join(", "),
                        if what == "filters" { "filter dialect" } else { "PATCH mode" }
                    ));
                }
                failure
            });
            match result {
                Ok(property::Found { explained, .. }) if !explained.is_empty() => {
                    let check = format!("{profile}::properties::{what}");
                    Outcome::Conflict(
                        explained
                            .into_iter()
                            .map(|(i, evidence)| generated_conflict(shared, &check, i, *evidence))
                            .collect(),
                    )
                }
                Ok(_) => Outcome::Passed,
                Err(failure) if failure.step.setup => Outcome::Blocked(*failure),
                Err(failure) => Outcome::Failed(*failure),
            }
        }
    };
    Record {
        name: format!("{profile}::properties::{what}"),
        suite: "properties".into(),
        scenario: what.into(),
        requirement,
        outcome,
        duration: start.elapsed(),
        snapshot: None,
    }
}

/// Runs one scenario (or decides to skip it) and returns its record.
pub(super) async fn run_scenario(
    shared: &Shared,
    profile: &str,
    suite: &Suite,
    scenario: &Scenario,
    read_only: bool,
) -> Record {
    let start = Instant::now();
    let name = format!("{profile}::{}::{}", suite.name, scenario.name);
    let mut tape = Vec::new();
    let idp = shared.idp.contains(profile);
    let skip = skip_reason(scenario, &shared.discovered, read_only, shared.app.as_ref(), idp);
    let outcome = match (skip, shared.out_of_time()) {
        (Some(reason), _) => Outcome::Skipped(reason),
        (None, Some(late)) => Outcome::Blocked(late),
        (None, None) => match execute(shared, profile, suite, scenario, &mut tape).await {
            Ok(Ran::Held) => {
                let declared_off = |f: &&Feature| shared.discovered.features.get(f) == Some(&false);
                let mut seen = shared.contradicted.lock().expect("contradictions lock");
                for f in scenario.requires.iter().filter(declared_off).filter(|f| f.from_spc()) {
                    *seen.entry(*f).or_default() += 1;
                }
                Outcome::Passed
            }
            Ok(Ran::Declined(declined)) => Outcome::Skipped(declined),
            Ok(Ran::Conflict(evidence)) => Outcome::Conflict(vec![conflict(shared, &name, scenario, evidence)]),
            Err(failure) if failure.step.setup => Outcome::Blocked(failure),
            Err(failure) => Outcome::Failed(failure),
        },
    };
    // Compared even when the scenario failed: the drift says what changed since the baseline. Not after
    // an interrupt, though: answers never sent would overwrite (or contest) a good snapshot.
    let interrupted = shared.client.stopped() || tape.iter().any(|t| t.exchange.error.as_deref() == Some(NOT_SENT));
    let snapshot = shared.snapshots.as_ref().filter(|_| !tape.is_empty() && !interrupted).map(|config| {
        let volatile = snapshot::Volatile {
            base_url: shared.client.base_url().to_string(),
            run: shared.run_prefix.clone(),
            scenario_tag: scenario_tag(profile, suite, scenario),
            secrets: shared.client.secrets().to_vec(),
        };
        let document = snapshot::document(&tape, &volatile, &config.redact);
        let source = match shared.suites.relative(&suite.file) {
            Some(rel) => format!("suites/{}", rel.display()),
            None => suite.file.display().to_string(),
        };
        let file = config.file(profile, &suite.name, &scenario.name);
        snapshot::settle(config, &file, &source, &format!("{name} — {}", scenario.requirement), &document)
    });
    Record {
        name,
        suite: suite.name.clone(),
        scenario: scenario.name.clone(),
        requirement: scenario.requirement.clone(),
        outcome,
        duration: start.elapsed(),
        snapshot,
    }
}

/// The conflict a scenario on a tension ended in: both sides with their citations, and every
/// identity-provider profile's stance.
fn conflict(shared: &Shared, check: &str, scenario: &Scenario, evidence: Failure) -> Conflict {
    let t = scenario.tension.as_ref().expect("only a scenario on a tension ends in a conflict");
    Conflict {
        check: check.to_string(),
        tension: t.id.clone(),
        title: suite::tension(&t.id).map_or_else(String::new, |known| known.title.to_string()),
        rfc: t.rfc.clone(),
        rfc_source: scenario.requirement.source.clone(),
        idp: t.idp.clone(),
        idp_source: t.source.clone(),
        stances: shared.stances.get(&t.id).cloned().unwrap_or_default(),
        evidence,
    }
}

/// A conflict of a generated PATCH check: cases the server answered an IdP's way on the tension
/// `property::PATCH_TENSIONS[tension]`.
fn generated_conflict(shared: &Shared, check: &str, tension: usize, evidence: Failure) -> Conflict {
    let t = &property::PATCH_TENSIONS[tension];
    Conflict {
        check: check.to_string(),
        tension: t.id.to_string(),
        title: suite::tension(t.id).map_or_else(String::new, |known| known.title.to_string()),
        rfc: t.rfc.to_string(),
        rfc_source: t.rfc_source.to_string(),
        idp: t.idp.to_string(),
        idp_source: t.idp_source.to_string(),
        stances: shared.stances.get(t.id).cloned().unwrap_or_default(),
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(status: u16, body: &str) -> Exchange {
        Exchange {
            status: Some(status),
            response_body: body.into(),
            ..Exchange::request("GET", "http://x/Users", Vec::new(), None)
        }
    }
    #[test]
    fn every_token_request_is_one_kind_of_step_so_one_root_cause() {
        use crate::auth::TokenVariant;
        let token = |v| Step { token: Some(v), ..Step::plain(suite::Method::Post, "") };
        let kinds: std::collections::BTreeSet<String> =
            TokenVariant::ALL.into_iter().map(|v| step_kind(&token(v))).collect();
        assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["POST token endpoint"]);
        assert_eq!(step_kind(&Step::plain(suite::Method::Post, "/Users")), "POST /Users");
    }

    #[test]
    fn a_filter_the_server_declines_with_invalid_filter_is_declined_unless_the_step_asked_for_400() {
        let step = |status: Vec<u16>| Step {
            query: vec![("filter".into(), "title pr".into())],
            expect: suite::Expect { status, ..Default::default() },
            ..Step::plain(suite::Method::Get, "/Users")
        };
        let mut request = Request::new(reqwest::Method::GET, "/Users");
        request.query = vec![("filter".into(), "title pr".into())];
        let invalid = exchange(
            400,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter"}"#,
        );
        assert!(declined_filter(&step(vec![200]), &request, &invalid));
        assert!(!declined_filter(&step(vec![400]), &request, &invalid), "a step that asks for the 400 judges it");
        let other = exchange(400, r#"{"scimType":"invalidValue"}"#);
        assert!(!declined_filter(&step(vec![200]), &request, &other), "only invalidFilter declines");
        let unfiltered = Request::new(reqwest::Method::GET, "/Users");
        assert!(!declined_filter(&step(vec![200]), &unfiltered, &invalid), "no filter, nothing declined");
    }

    #[test]
    fn setup_steps_are_creates_and_lookups_with_steps_after_them() {
        let step = |method: suite::Method, path: &str, capture: bool| Step {
            capture: if capture { vec![("user".into(), String::new())] } else { Vec::new() },
            ..Step::plain(method, path)
        };
        let steps = [
            step(suite::Method::Post, "/Users", true),
            step(suite::Method::Get, "/Users/${user.id}", true),
            step(suite::Method::Patch, "/Users/${user.id}", false),
            step(suite::Method::Post, "/Groups", false),
        ];
        assert!(is_setup(&steps, 0) && is_setup(&steps, 1));
        assert!(!is_setup(&steps, 2), "the PATCH is the subject");
        assert!(!is_setup(&steps, 3), "a last step is always the subject");
        let mut negative = steps.to_vec();
        negative[0].expect.status = vec![400];
        assert!(!is_setup(&negative, 0), "a create that must fail is the subject");
        let mut marked = steps.to_vec();
        marked[0].subject = true;
        assert!(!is_setup(&marked, 0), "a create marked `subject` is what the scenario tests");
        assert_eq!(step_kind(&steps[2]), "PATCH /Users/{id}");
        let inline = step(suite::Method::Get, "/Users?filter=userName%20eq%20%22x%22&count=2", false);
        assert_eq!(step_kind(&inline), "GET /Users?filter&count", "query values never split a root cause");
    }
}
