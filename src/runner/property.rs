//! Generated checks: filters and PATCH sequences from `crate::generate`, sent to the server and compared with
//! the core's own answer for the same input over the server's own representations (so a vendor's data
//! never matters); a disagreement is shrunk to a minimal counterexample and reported with its seed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::Value;

use super::Shared;
use super::failure::{Failure, Generated, Problem, ProblemKind, StepRef};
use crate::client::{Exchange, Request};
use crate::filter::{Dialect, EvalOptions, Filter, ParseOptions, compile, parse_with};
use crate::generate::{USER_PATHS, UserShape};
use crate::patch::{Mode, PatchOptions, apply_json};
use crate::schema::ResourceSchema;
use crate::value::{CanonicalOptions, canonicalize, diff};

/// How much to generate.
#[derive(Debug, Clone)]
pub struct PropertyConfig {
    pub filter_cases: u32,
    pub patch_cases: u32,
    pub seed: u64,
    /// Stop generating new cases after this long (shrinking a failure may take longer).
    pub budget: Duration,
    /// Where failing inputs are kept and replayed first (`None`: neither).
    pub regressions: Option<PathBuf>,
}

/// The seed a run uses unless told otherwise: fixed, so an unchanged server gets the same verdict twice.
pub const DEFAULT_SEED: u64 = 0x5c1a_7e57;

/// A seed as a user writes it: as printed (`0x5c1a7e57`), in decimal, or `random` (a fresh one, printed
/// with any failure so it can be replayed).
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("random") {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos());
        return Ok(nanos as u64 ^ u64::from(std::process::id()).rotate_left(32));
    }
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => t.replace('_', "").parse::<u64>(),
    };
    parsed.map_err(|_| {
        format!("`{text}` is not a seed\n  fix: pass it as printed (e.g. 0x5c1a7e57), in decimal, or `random`")
    })
}

/// Where a run keeps the minimal failing inputs for `target` unless told otherwise: under the working
/// directory, never in the harness's own files.
pub fn default_regressions_dir(target: &str) -> PathBuf {
    PathBuf::from("scimtest-regressions").join(target)
}

impl Default for PropertyConfig {
    fn default() -> Self {
        PropertyConfig {
            filter_cases: 1000,
            patch_cases: 500,
            seed: DEFAULT_SEED,
            budget: Duration::from_secs(20),
            regressions: None,
        }
    }
}

fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, b) in seed.to_le_bytes().iter().cycle().take(32).enumerate() {
        bytes[i] = b.wrapping_add(i as u8);
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    let config = Config { cases, max_shrink_iters: 2048, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, rng(seed))
}

fn send(shared: &Shared, request: &Request) -> Exchange {
    shared.handle.block_on(shared.client.send(request))
}

fn get(path: &str) -> Request {
    Request::new(reqwest::Method::GET, path)
}

/// What a run of a property found.
#[derive(Debug, Clone)]
pub struct Found {
    pub passed: u32,
    /// Cases the server declined with 400 invalidFilter (a feature it may legally not support).
    pub declined: u32,
    /// Under the RFC's PATCH mode: per tension (an index of [`PATCH_TENSIONS`]), the first case the server
    /// answered the way an identity provider needs (a filtered write with no match creating the entry,
    /// §8.2), as the RFC check's failure. The other cases passed: conflicts, not a failure.
    pub explained: Vec<(usize, Box<Failure>)>,
}

/// A tension a generated PATCH case may sit on: the core's tolerance that gives the identity provider's
/// answer, and both sides with their citations (the suites say this in `[scenario.tension]`; the generated
/// check is code, so here).
pub(super) struct PatchTension {
    pub tolerance: fn(&mut crate::patch::Tolerances),
    pub id: &'static str,
    pub rfc_source: &'static str,
    pub rfc: &'static str,
    pub idp: &'static str,
    pub idp_source: &'static str,
}

/// The PATCH tensions whose IdP side a compat server may take on the RFC profile's generated requests.
pub(super) const PATCH_TENSIONS: &[PatchTension] = &[
    PatchTension {
        tolerance: |t| t.filtered_write_creates = true,
        id: "8.2",
        rfc_source: "RFC 7644 §3.5.2.3",
        rfc: "400 noTarget",
        idp: "creates the typed entry",
        idp_source: "Entra E-Q22",
    },
    PatchTension {
        tolerance: |t| t.empty_string_unassigns = true,
        id: "E-Q21",
        rfc_source: "RFC 7643 §2.5",
        rfc: "an empty string is a value (only null and [] are unassigned), so replace stores \"\"",
        idp: "unassigns an attribute replaced with \"\"",
        idp_source: "Entra E-Q21",
    },
];

/// The tensions of [`PATCH_TENSIONS`] in `set` (a bit per index), with their index.
fn tensions_in(set: u32) -> impl Iterator<Item = (usize, &'static PatchTension)> {
    PATCH_TENSIONS.iter().enumerate().filter(move |(i, _)| set & (1 << i) != 0)
}

/// The smallest set of [`PATCH_TENSIONS`] whose IdP sides together give the server's answer to a PATCH
/// the RFC's reading fails (a case may meet two: an empty string and a filtered write); `None` when no
/// set explains it.
#[allow(clippy::too_many_arguments)]
fn explaining_tensions(
    schema: &ResourceSchema,
    patch: &Value,
    status: u16,
    scim_type: Option<&str>,
    before: &Value,
    after: &Value,
) -> Option<u32> {
    let mut sets: Vec<u32> = (1..1u32 << PATCH_TENSIONS.len()).collect();
    sets.sort_by_key(|set| set.count_ones());
    sets.into_iter().find(|set| {
        let mut options = PatchOptions::new(Mode::Rfc);
        for (_, t) in tensions_in(*set) {
            (t.tolerance)(&mut options.tolerances);
        }
        judge_user_patch_with(Mode::Rfc, options, schema, patch, status, scim_type, before, after).is_ok()
    })
}

/// The regressions files of the profiles a generated check stands for (see `super::sharing`): every
/// one is replayed first, and a new minimal failing input is kept in each, so a later run of any one of
/// those profiles alone replays it.
struct Regressions(Vec<PathBuf>);

impl Regressions {
    fn new(config: &PropertyConfig, profiles: &[String], what: &str) -> Regressions {
        let dir = config.regressions.as_ref();
        Regressions(profiles.iter().filter_map(|p| dir.map(|d| d.join(format!("{p}-{what}.txt")))).collect())
    }

    /// Each saved input once, with where it was read from.
    fn replayed(&self) -> Vec<(String, String)> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for file in &self.0 {
            for line in replayed(file) {
                if seen.insert(line.clone()) {
                    out.push((line, format!("in {}", file.display())));
                }
            }
        }
        out
    }

    fn remember(&self, line: &str) -> String {
        if self.0.is_empty() {
            return "not saved (no regressions directory)".into();
        }
        let said: Vec<String> = self.0.iter().map(|f| remember(f, line)).collect();
        said.join("; ")
    }
}

fn replayed(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .ok()
        .map(|t| t.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Keeps a minimal failing input (only disagreements of the server with the core are kept: a set-up
/// failure says nothing about the input, and is a [`Failure`] that blocks instead). Returns what the
/// failure says about it: where it was saved, or why not.
fn remember(f: &Path, line: &str) -> String {
    if replayed(f).iter().any(|l| l == line) {
        return format!("already in {}", f.display());
    }
    let mut text = std::fs::read_to_string(f).unwrap_or_else(|_| {
        "# Minimal failing inputs found by generated checks; replayed first on every run. One per line.\n".into()
    });
    text.push_str(line);
    text.push('\n');
    match std::fs::create_dir_all(f.parent().unwrap_or(f)).and_then(|()| std::fs::write(f, text)) {
        Ok(()) => format!("saved to {}", f.display()),
        Err(e) => format!("could not be saved to {}: {e}", f.display()),
    }
}

/// The ids of `users` the core's evaluator selects for `f`, under each reading the RFC allows (`None`:
/// the filter does not compile against the server's schema). `eq null` and `ne null` against `""` are
/// not defined (RFC 7644 §3.4.2.2; RFC 7643 §2.5 names null and `[]` as unassigned, not `""`), so a
/// server may read `""` as no value (the first reading) or as a value.
fn selections(
    f: &Filter,
    users: &[Value],
    schema: &ResourceSchema,
    options: &EvalOptions,
) -> Option<Vec<BTreeSet<String>>> {
    let select = |options: &EvalOptions| -> Option<BTreeSet<String>> {
        let oracle = compile(f, schema, options).ok()?;
        Some(
            users
                .iter()
                .filter(|u| oracle.matches(u))
                .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_string))
                .collect(),
        )
    };
    let mut readings = vec![select(options)?];
    if let Some(other) = select(&EvalOptions { empty_string_is_value: !options.empty_string_is_value, ..*options })
        && other != readings[0]
    {
        readings.push(other);
    }
    Some(readings)
}

/// What the server's User schema lets the generated users and PATCH operations carry: the paths of
/// [`USER_PATHS`] it declares, and the `canonicalValues` it declares for `emails.type` and
/// `phoneNumbers.type` (RFC 7643 §2.3.1: a server MAY accept only those).
pub(crate) fn user_shape(schema: &ResourceSchema) -> UserShape {
    let find = |text: &str| {
        let p = crate::generate::path(text);
        schema.resolve(p.uri.as_deref(), &p.name, p.sub_attr.as_deref()).ok().map(|r| r.target())
    };
    let canonical = |text: &str| find(text).map(|a| a.canonical_values.as_slice());
    UserShape::new(
        USER_PATHS.iter().copied().filter(|p| find(p).is_some()),
        canonical("emails.type"),
        canonical("phoneNumbers.type"),
    )
}

/// The filter property: for each generated filter `F`, `(F) and userName sw "<prefix>"` on the server
/// selects exactly the users of the population the core's evaluator selects.
pub(super) fn filters(
    shared: &Shared,
    profiles: &[String],
    dialect: Dialect,
    config: &PropertyConfig,
) -> Result<Found, Box<Failure>> {
    let prefix = format!("{}-{}", shared.run_prefix, super::short_tag(&format!("{}::filters", profiles[0])));
    let schema = shared.discovered.schemas.iter().find(|s| s.matches("User")).unwrap_or(ResourceSchema::user());
    let mut seeding = runner(1, config.seed);
    let people = crate::generate::population(&prefix, 12, &user_shape(schema))
        .new_tree(&mut seeding)
        .map_err(|e| stopped("filter", format!("cannot generate the population: {e}")))?
        .current();
    // Create the population; read back the server's own representations, which the oracle evaluates.
    let mut users = Vec::new();
    for body in &people {
        let (_, path) = create(shared, "/Users", body).map_err(|ex| blocked("filter", "POST /Users", "201", &ex))?;
        let read = send(shared, &get(&path));
        users.push(
            read.json()
                .filter(|_| read.status == Some(200))
                .ok_or_else(|| blocked("filter", "GET /Users/{id}", "200 with the user", &read))?,
        );
    }
    let options = EvalOptions { dialect, ..EvalOptions::default() };
    let start = Instant::now();
    let declined = AtomicU32::new(0);
    let last = Mutex::new(None::<Exchange>);
    let check = |f: &Filter| -> Result<(), TestCaseError> {
        let Some(readings) = selections(f, &users, schema, &options) else {
            return Ok(()); // Not checkable against this server's schema.
        };
        let text = format!("({f}) and userName sw \"{prefix}\"");
        let mut request = get("/Users");
        request.query = vec![("filter".into(), text.clone()), ("count".into(), "1000".into())];
        let ex = send(shared, &request);
        let verdict = match (ex.status, ex.json()) {
            (Some(200), Some(body)) => {
                let actual: BTreeSet<String> = body
                    .get("Resources")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string)).collect())
                    .unwrap_or_default();
                if readings.contains(&actual) {
                    Ok(())
                } else {
                    let expected = &readings[0];
                    let name = |id: &String| {
                        users
                            .iter()
                            .find(|u| u.get("id").and_then(Value::as_str) == Some(id))
                            .and_then(|u| u.get("userName"))
                            .and_then(Value::as_str)
                            .unwrap_or(id)
                            .to_string()
                    };
                    let missing: Vec<String> = expected.difference(&actual).map(name).collect();
                    let extra: Vec<String> = actual.difference(expected).map(name).collect();
                    Err(TestCaseError::fail(format!(
                        "filter `{f}`: the server's answer differs\n  missing (should match): {missing:?}\n  extra (should not match): {extra:?}"
                    )))
                }
            }
            (Some(400), Some(body))
                if body.get("scimType").and_then(Value::as_str) == Some("invalidFilter")
                    && !(dialect == Dialect::Compat && uses_entra_form(f)) =>
            {
                declined.fetch_add(1, SeqCst);
                Ok(())
            }
            _ => Err(TestCaseError::fail(format!(
                "filter `{f}`: expected 200 with a ListResponse (or 400 invalidFilter), got {}",
                ex.status.map_or("no answer".into(), |s| s.to_string())
            ))),
        };
        *last.lock().expect("last exchange lock") = Some(ex);
        verdict
    };
    let file = Regressions::new(config, profiles, "filters");
    for (line, source) in file.replayed() {
        let Ok(f) = parse_with(&line, &ParseOptions::with_dialect(dialect)) else { continue };
        if let Err(e) = check(&f) {
            return Err(report(
                "filter",
                &line,
                &e.to_string(),
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                "replayed from the regressions file",
                source,
            ));
        }
    }
    let mut runner = runner(config.filter_cases, config.seed);
    // The server's own timestamps, re-spelled at other offsets, for the dateTime filters.
    let instants: Vec<crate::value::DateTime> = users
        .iter()
        .flat_map(|u| ["created", "lastModified"].map(|k| u.pointer(&format!("/meta/{k}")).cloned()))
        .flatten()
        .filter_map(|v| v.as_str().and_then(crate::value::DateTime::parse))
        .collect();
    let strategy = crate::generate::filter(dialect == Dialect::Compat, crate::generate::instant_literals(&instants));
    let (passed, result) = generate(&mut runner, &strategy, start + config.budget, shared.concurrency, &check);
    match result {
        Ok(()) => Ok(Found { passed, declined: declined.into_inner(), explained: Vec::new() }),
        Err(TestError::Fail(reason, minimal)) => {
            let minimal = crate::generate::simplify(minimal, 200, |f| check(f).is_err());
            // Rerun the minimal case: its reason and transcript.
            let reason = check(&minimal).err().map_or(reason.to_string(), failure_text);
            let text = minimal.to_string();
            let kept = file.remember(&text);
            Err(report(
                "filter",
                &text,
                &reason.to_string(),
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                &format!("{} comparisons after shrinking", minimal.term_count()),
                kept,
            ))
        }
        Err(TestError::Abort(reason)) => Err(stopped("filter", reason)),
    }
}

/// The `id` of a resource the exchange created (201 with a body), if it did.
/// The id a 201 answer carries, with the resource's path under `collection` — only when the id can be
/// one path segment (see [`super::resource_path`]).
fn created_path(ex: &Exchange, collection: &str) -> Option<(String, String)> {
    let id = ex.json().filter(|_| ex.status == Some(201))?.get("id")?.as_str()?.to_string();
    let path = super::resource_path(collection, &id)?;
    Some((id, path))
}

/// POSTs `body` to `collection` and registers what it created, holding the client from the send to the
/// registration so an interrupt cleans up after both. Returns (id, path), or the exchange when nothing
/// was created.
fn create(shared: &Shared, collection: &str, body: &Value) -> Result<(String, String), Box<Exchange>> {
    let _hold = shared.client.hold();
    let ex = send(shared, &Request::new(reqwest::Method::POST, collection).json(body));
    let Some(created) = created_path(&ex, collection) else { return Err(Box::new(ex)) };
    shared.registry.add(created.1.clone());
    Ok(created)
}

/// Runs `check` over the runner's cases, `workers` at a time (each case works on resources of its own,
/// and the client keeps the run within `--concurrency` requests in flight), starting no case after
/// `deadline`. The verdict is the one a sequential run gives, whatever the timing: cases are generated
/// up front from the seed, every case before the first failing one (in generation order) runs, and that
/// one is shrunk one candidate at a time with its `ValueTree`, as proptest's runner does. Returns how many
/// cases passed before the first failure (all of them without one) and the result.
fn generate<S>(
    runner: &mut TestRunner,
    strategy: &S,
    deadline: Instant,
    workers: usize,
    check: &(dyn Fn(&S::Value) -> Result<(), TestCaseError> + Sync),
) -> (u32, Result<(), TestError<S::Value>>)
where
    S: Strategy,
    S::Value: Sync,
{
    use std::sync::atomic::AtomicUsize;
    let (cases, max_shrink_iters) = (runner.config().cases, runner.config().max_shrink_iters);
    let mut trees = Vec::new();
    for _ in 0..cases {
        match strategy.new_tree(runner) {
            Ok(tree) => trees.push(tree),
            Err(reason) => return (0, Err(TestError::Abort(reason))),
        }
    }
    let values: Vec<S::Value> = trees.iter().map(ValueTree::current).collect();
    let (next, first_failure, passed) = (AtomicUsize::new(0), AtomicUsize::new(usize::MAX), AtomicU32::new(0));
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, SeqCst);
                    // A case after a known failure cannot change the verdict.
                    if i >= values.len() || i > first_failure.load(SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    match check(&values[i]) {
                        Ok(()) => {
                            passed.fetch_add(1, SeqCst);
                        }
                        Err(e) => {
                            first_failure.fetch_min(i, SeqCst);
                            failures.lock().expect("failures lock").push((i, e));
                        }
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures lock");
    let Some((index, failure)) = failures.into_iter().min_by_key(|(i, _)| *i) else {
        return (passed.into_inner(), Ok(()));
    };
    let reason = |e: TestCaseError| match e {
        TestCaseError::Fail(r) | TestCaseError::Reject(r) => r,
    };
    let mut tree = trees.swap_remove(index);
    let mut last_failure = reason(failure);
    let mut iterations = 0;
    if tree.simplify() {
        loop {
            if iterations >= max_shrink_iters {
                // Back to the most recent failing candidate.
                while tree.complicate() {}
                break;
            }
            iterations += 1;
            match check(&tree.current()) {
                Ok(()) => {
                    if !tree.complicate() {
                        break;
                    }
                }
                Err(e) => {
                    last_failure = reason(e);
                    if !tree.simplify() {
                        break;
                    }
                }
            }
        }
    }
    (index as u32, Err(TestError::Fail(last_failure, tree.current())))
}

/// Makes a case's externalIds its own (`x1` → `x1~7` in case 7), in the user it creates and in the
/// values its operations write: cases run at once, and a server may keep externalIds unique, so two
/// cases must never write the same one.
fn own_external_ids(body: &mut Value, patch: &mut Value, case: u32) {
    let suffix = format!("~{case}");
    let in_object = |v: &mut Value| {
        for (k, x) in v.as_object_mut().into_iter().flatten() {
            if let (true, Value::String(s)) = (k.eq_ignore_ascii_case("externalId"), x) {
                s.push_str(&suffix);
            }
        }
    };
    in_object(body);
    for op in patch.get_mut("Operations").and_then(Value::as_array_mut).into_iter().flatten() {
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default().to_string();
        let external = crate::schema::split_urn(&path).1.eq_ignore_ascii_case("externalId");
        match op.get_mut("value") {
            Some(Value::String(s)) if external => s.push_str(&suffix),
            Some(v) if path.is_empty() => in_object(v),
            _ => {}
        }
    }
}

/// Per tension, the evidence kept (see `patches`), in tension order.
fn smallest_per_tension(explained: Mutex<Vec<(usize, String, Box<Failure>)>>) -> Vec<(usize, Box<Failure>)> {
    let mut kept: Vec<(usize, Box<Failure>)> =
        explained.into_inner().expect("explained cases lock").into_iter().map(|(i, _, f)| (i, f)).collect();
    kept.sort_by_key(|(i, _)| *i);
    kept
}

/// The verdict on one PATCH: the server's answer (`status`, `scim_type`) and the resource afterwards
/// against the core's outcome on the server's own `before`. `differs` says how a resource differs from
/// another (`None`: it does not); `also_accepted` takes other results the RFC allows for a success.
#[allow(clippy::too_many_arguments)]
fn judge_patch(
    mode: Mode,
    oracle: Result<crate::patch::Outcome, crate::patch::PatchError>,
    operations: usize,
    status: u16,
    scim_type: Option<&str>,
    before: &Value,
    after: &Value,
    differs: impl Fn(&Value, &Value) -> Option<String>,
    also_accepted: impl Fn(&Value) -> bool,
) -> Result<(), String> {
    let applied = status == 200 || status == 204;
    match oracle {
        Ok(out) if applied => match differs(&out.resource, after) {
            None => Ok(()),
            Some(_) if also_accepted(after) => Ok(()),
            Some(d) => Err(format!("the resource differs from the core's result (expected → server):\n  {d}")),
        },
        Ok(_) => Err(format!("expected 200 or 204 (the core applies it), got {status}")),
        // Under an identity provider's profile a server may accept more than the IdP needs.
        Err(_) if mode != Mode::Rfc && applied => Ok(()),
        Err(e) => {
            // The RFC profile pins the error of a single operation. With several, the RFC does not rank
            // their errors, so any operation's error is right; and an IdP profile's lenient server may
            // fail at a later operation than the IdP's rules would, with that operation's error.
            let same_error = scim_type == Some(e.scim_type.as_str()) || mode != Mode::Rfc || operations > 1;
            if status != 400 || !same_error {
                Err(format!("expected 400 {} ({e}), got {status} {}", e.scim_type, scim_type.unwrap_or_default()))
            } else if let Some(d) = differs(before, after) {
                Err(format!("the PATCH failed but changed the resource (RFC 7644 §3.5.2 atomicity):\n  {d}"))
            } else {
                Ok(())
            }
        }
    }
}

/// The verdict on a user PATCH (see [`judge_patch`]), comparing canonical forms. Besides the core's
/// result it accepts what the RFC leaves open:
/// * a value added to a multi-valued attribute that equals an existing one only ignoring case
///   (`"Work"` next to `"work"`, `caseExact: false`): merged (the core), kept as it was, or appended —
///   RFC 7644 §3.5.2.1 ("If the target location already contains the value specified, no changes
///   SHOULD be made") does not say whether it is contained;
/// * outside the Entra profile, any change of case of a `caseExact: false` value (RFC 7643 §7: "the
///   server MAY alter case for a submitted value"); Entra reads values back byte for byte (E-Q19).
#[allow(clippy::too_many_arguments)]
fn judge_user_patch(
    mode: Mode,
    schema: &ResourceSchema,
    patch: &Value,
    status: u16,
    scim_type: Option<&str>,
    before: &Value,
    after: &Value,
) -> Result<(), String> {
    judge_user_patch_with(mode, PatchOptions::new(mode), schema, patch, status, scim_type, before, after)
}

/// [`judge_user_patch`] with the core's options given (a tolerance switched on).
#[allow(clippy::too_many_arguments)]
fn judge_user_patch_with(
    mode: Mode,
    options: PatchOptions,
    schema: &ResourceSchema,
    patch: &Value,
    status: u16,
    scim_type: Option<&str>,
    before: &Value,
    after: &Value,
) -> Result<(), String> {
    let oracle = apply_json(before, patch, schema, &options);
    let merged = oracle.as_ref().ok().map(|o| o.resource.clone());
    let appended = apply_json(before, patch, schema, &PatchOptions { add_matches_exactly: true, ..options })
        .ok()
        .map(|o| o.resource);
    let exact = CanonicalOptions::default().ignore(["meta", "groups"]);
    let folded = CanonicalOptions { fold_case: true, ..exact.clone() };
    let differs = |want: &Value, got: &Value| {
        let (want, got) = (canonicalize(want, schema, &exact), canonicalize(got, schema, &exact));
        (want != got).then(|| diff(&want, &got).join("\n  "))
    };
    let also_accepted = |got: &Value| {
        let got_exact = canonicalize(got, schema, &exact);
        let got_folded = (mode != Mode::Entra).then(|| canonicalize(got, schema, &folded));
        merged.iter().chain(appended.iter()).any(|want| {
            canonicalize(want, schema, &exact) == got_exact
                || got_folded.as_ref().is_some_and(|g| canonicalize(want, schema, &folded) == *g)
        })
    };
    judge_patch(mode, oracle, operations(patch), status, scim_type, before, after, differs, also_accepted)
}

/// How many operations a PatchOp holds.
fn operations(patch: &Value) -> usize {
    patch.get("Operations").and_then(Value::as_array).map_or(0, Vec::len)
}

/// The message of a failed case, without proptest's "Case failed: " label.
fn failure_text(e: TestCaseError) -> String {
    match e {
        TestCaseError::Fail(reason) => reason.message().to_string(),
        other => other.to_string(),
    }
}

/// Whether a filter uses Entra's `attr[filter].sub op value` form, which an Entra profile requires.
fn uses_entra_form(f: &Filter) -> bool {
    match f {
        Filter::ValuePath { sub, .. } => sub.is_some(),
        Filter::Not(inner) => uses_entra_form(inner),
        Filter::And(t) | Filter::Or(t) => t.iter().any(uses_entra_form),
        Filter::Attr { .. } => false,
    }
}

/// A disagreement of the server with the core on a minimal input.
fn report(
    what: &str,
    input: &str,
    reason: &str,
    seed: u64,
    ex: Option<&Exchange>,
    note: &str,
    kept: String,
) -> Box<Failure> {
    Box::new(Failure {
        step: StepRef::generated(what, false),
        problems: vec![Problem::new(
            ProblemKind::Generated,
            format!("generated {what} check"),
            format!("what the core's {what} semantics give"),
            reason,
        )],
        exchange: ex.map(|e| Box::new(e.clone())),
        generated: Some(Generated {
            what: what.to_string(),
            seed,
            minimal_input: input.to_string(),
            note: note.to_string(),
            kept,
        }),
    })
}

/// The set-up of a generated check failed (the users or groups it works on could not be created or
/// read): the check is blocked, and the failure is grouped with the same failure elsewhere.
fn blocked(what: &str, kind: &str, expected: &str, ex: &Exchange) -> Box<Failure> {
    let kind = kind.to_string();
    let problem = match ex.status {
        Some(s) => Problem::new(ProblemKind::Status, "status", expected, s.to_string()),
        None => Problem::new(ProblemKind::Transport, "answer", "an answer", ex.error.clone().unwrap_or_default()),
    };
    Box::new(Failure {
        step: StepRef { number: 0, label: format!("generated {what} check: {kind}"), kind, setup: true },
        problems: vec![problem],
        exchange: Some(Box::new(ex.clone())),
        generated: None,
    })
}

/// A generated check that could not go on for a reason of its own (proptest gave up).
fn stopped(what: &str, reason: impl std::fmt::Display) -> Box<Failure> {
    Box::new(Failure {
        step: StepRef::generated(what, true),
        problems: vec![Problem::new(
            ProblemKind::Generated,
            format!("generated {what} check stopped"),
            "cases to run",
            reason.to_string(),
        )],
        exchange: None,
        generated: None,
    })
}

/// The PATCH property: on a fresh user, a generated PatchOp does on the server what the core does to
/// the server's own representation — the same resulting user, or the same error with the user unchanged.
pub(super) fn patches(
    shared: &Shared,
    profiles: &[String],
    mode: Mode,
    config: &PropertyConfig,
) -> Result<Found, Box<Failure>> {
    let prefix = format!("{}-{}", shared.run_prefix, super::short_tag(&format!("{}::patch", profiles[0])));
    let schema = shared.discovered.schemas.iter().find(|s| s.matches("User")).unwrap_or(ResourceSchema::user()).clone();
    let start = Instant::now();
    let last = Mutex::new(None::<Exchange>);
    let counter = AtomicU32::new(0);
    // Per tension, the smallest case answered the IdP side's way (the smallest whatever the order of cases).
    let explained = Mutex::new(Vec::<(usize, String, Box<Failure>)>::new());
    // The last case's create, when it failed: that case says nothing about PATCH.
    let unset = Mutex::new(None::<Box<Failure>>);
    let check = |(body, patch): &(Value, Value)| -> Result<(), TestCaseError> {
        *unset.lock().expect("set-up failure lock") = None;
        let n = counter.fetch_add(1, SeqCst) + 1;
        // Which of two cases on the same tension is the smaller piece of evidence (names left out).
        let size = serde_json::to_string(&(body, patch)).unwrap_or_default();
        let (mut body, mut patch) = (body.clone(), patch.clone());
        body["userName"] = Value::String(format!("{prefix}-{n}"));
        own_external_ids(&mut body, &mut patch, n);
        let patch = &patch;
        let (_, path) = create(shared, "/Users", &body).map_err(|created| {
            *unset.lock().expect("set-up failure lock") = Some(blocked("PATCH", "POST /Users", "201", &created));
            TestCaseError::fail("could not create the user to patch")
        })?;
        let before = send(shared, &get(&path)).json().unwrap_or(Value::Null);
        let ex = send(shared, &Request::new(reqwest::Method::PATCH, &path).json(patch));
        let after = send(shared, &get(&path)).json().unwrap_or(Value::Null);
        let _ = send(shared, &Request::new(reqwest::Method::DELETE, &path));
        shared.registry.remove(&path);
        let (status, scim_type) = (ex.status.unwrap_or(0), ex.scim_type());
        let mut verdict = judge_user_patch(mode, &schema, patch, status, scim_type.as_deref(), &before, &after);
        // Under the RFC, an answer that is what an IdP needs on a tension (the typed entry created, §8.2)
        // is a conflict: the first case per tension is kept as the evidence.
        if let Err(rfc) = &verdict
            && mode == Mode::Rfc
        {
            let explaining = explaining_tensions(&schema, patch, status, scim_type.as_deref(), &before, &after);
            if let Some(set) = explaining {
                let mut seen = explained.lock().expect("explained cases lock");
                for (i, t) in tensions_in(set) {
                    let smaller = |known: &String| (size.len(), &size) < (known.len(), known);
                    if seen.iter().any(|(known, k, _)| *known == i && !smaller(k)) {
                        continue;
                    }
                    seen.retain(|(known, _, _)| *known != i);
                    let input = serde_json::to_string(&(&body, patch)).unwrap_or_default();
                    let ops = serde_json::to_string(&patch["Operations"]).unwrap_or_default();
                    let note =
                        format!("the server {} ({}, {})", t.idp, crate::suite::tension_label(t.id), t.idp_source);
                    let reason = format!("PATCH {ops}\n{rfc}");
                    let evidence = report("PATCH", &input, &reason, config.seed, Some(&ex), &note, String::new());
                    seen.push((i, size.clone(), evidence));
                }
                verdict = Ok(());
            }
        }
        *last.lock().expect("last exchange lock") = Some(ex);
        verdict.map_err(|m| {
            TestCaseError::fail(format!(
                "PATCH {}\n{m}",
                serde_json::to_string(&patch["Operations"]).unwrap_or_default()
            ))
        })
    };
    // A server that cannot create a user cannot be patched: say so once, without shrinking anything.
    let probe = send(
        shared,
        &Request::new(reqwest::Method::POST, "/Users").json(&serde_json::json!({
            "schemas": [crate::schema::USER], "userName": format!("{prefix}-probe"),
        })),
    );
    match created_path(&probe, "/Users") {
        Some((_, path)) => {
            let _ = send(shared, &Request::new(reqwest::Method::DELETE, path));
        }
        None => return Err(blocked("PATCH", "POST /Users", "201", &probe)),
    }
    let file = Regressions::new(config, profiles, "patch");
    for (line, source) in file.replayed() {
        let Ok(case) = serde_json::from_str::<(Value, Value)>(&line) else { continue };
        if let Err(e) = check(&case) {
            if let Some(setup) = unset.lock().expect("set-up failure lock").take() {
                return Err(setup);
            }
            return Err(report(
                "PATCH",
                &line,
                &e.to_string(),
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                "replayed from the regressions file",
                source,
            ));
        }
    }
    let shape = user_shape(&schema);
    let strategy =
        (crate::generate::patch_subject(&prefix, mode, &shape), crate::generate::patch_sequence(mode, &shape));
    let mut runner = runner(config.patch_cases, config.seed ^ 0x9e37);
    let (passed, result) = generate(&mut runner, &strategy, start + config.budget, shared.concurrency, &check);
    match result {
        Ok(()) => Ok(Found { passed, declined: 0, explained: smallest_per_tension(explained) }),
        Err(TestError::Fail(reason, minimal)) => {
            let _ = check(&minimal);
            if let Some(setup) = unset.lock().expect("set-up failure lock").take() {
                return Err(setup);
            }
            let line = serde_json::to_string(&minimal).unwrap_or_default();
            let kept = file.remember(&line);
            let ops = minimal.1["Operations"].as_array().map_or(0, Vec::len);
            Err(report(
                "PATCH",
                &line,
                &reason.to_string(),
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                &format!("{ops} operations after shrinking"),
                kept,
            ))
        }
        Err(TestError::Abort(reason)) => Err(stopped("PATCH", reason)),
    }
}

/// The members and name of a group, which is what a membership PATCH changes. (`display`, `$ref` and
/// `type` of a member are the server's to fill in, so they are not compared.)
fn membership(group: &Value) -> (Option<String>, BTreeSet<String>) {
    let name = group.get("displayName").and_then(Value::as_str).map(str::to_string);
    let members = group
        .get("members")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| m.get("value").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default();
    (name, members)
}

/// The group membership property: a group holding some users of a small pool takes a generated PatchOp
/// in the profile's shapes; afterwards its name and member ids are what the core computes from the
/// server's own representation, or the server refuses as the core does and the group is unchanged.
pub(super) fn groups(
    shared: &Shared,
    profiles: &[String],
    mode: Mode,
    config: &PropertyConfig,
) -> Result<Found, Box<Failure>> {
    use crate::generate::MEMBER_POOL;
    let prefix = format!("{}-{}", shared.run_prefix, super::short_tag(&format!("{}::groups", profiles[0])));
    let schema =
        shared.discovered.schemas.iter().find(|s| s.matches("Group")).unwrap_or(ResourceSchema::group()).clone();
    let options = PatchOptions::new(mode);
    let mut pool = Vec::new();
    for i in 0..MEMBER_POOL {
        let body = serde_json::json!({ "schemas": [crate::schema::USER], "userName": format!("{prefix}-m{i}") });
        let (id, _) =
            create(shared, "/Users", &body).map_err(|ex| blocked("group PATCH", "POST /Users", "201", &ex))?;
        pool.push(id);
    }
    // Placeholders in generated (and saved) cases: `@i` is the pool's i-th user, `@name` the group's name.
    let fill = |v: &Value, name: &str| -> Value {
        let mut text = serde_json::to_string(v).unwrap_or_default().replace("@name", name);
        for (i, id) in pool.iter().enumerate() {
            text = text.replace(&format!("@{i}"), id);
        }
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    let start = Instant::now();
    let last = Mutex::new(None::<Exchange>);
    let counter = AtomicU32::new(0);
    let members = |members: &[usize]| -> Vec<Value> {
        members.iter().map(|&i| serde_json::json!({ "value": pool[i] })).collect()
    };
    // Entra creates a group without members (E-CG) and then adds them (E-AM).
    let entra = mode == Mode::Entra;
    let group = |name: &str, initial: &[usize]| -> Value {
        let mut body = serde_json::json!({ "schemas": [crate::schema::GROUP], "displayName": name });
        if !entra {
            body["members"] = Value::Array(members(initial));
        }
        body
    };
    // The last case's create, when it failed: that case says nothing about PATCH.
    let unset = Mutex::new(None::<Box<Failure>>);
    let check = |(initial, patch): &(Vec<usize>, Value)| -> Result<(), TestCaseError> {
        *unset.lock().expect("set-up failure lock") = None;
        let name = format!("{prefix}-g{}", counter.fetch_add(1, SeqCst) + 1);
        let (_, path) = create(shared, "/Groups", &group(&name, initial)).map_err(|created| {
            *unset.lock().expect("set-up failure lock") = Some(blocked("group PATCH", "POST /Groups", "201", &created));
            TestCaseError::fail("could not create the group to patch")
        })?;
        if entra && !initial.is_empty() {
            let add = serde_json::json!({ "schemas": [crate::patch::PATCH_OP], "Operations": [
                { "op": "Add", "path": "members", "value": members(initial) }
            ] });
            let added = send(shared, &Request::new(reqwest::Method::PATCH, &path).json(&add));
            if !matches!(added.status, Some(200 | 204)) {
                let _ = send(shared, &Request::new(reqwest::Method::DELETE, &path));
                shared.registry.remove(&path);
                *unset.lock().expect("set-up failure lock") =
                    Some(blocked("group PATCH", "PATCH /Groups/{id} (E-AM)", "200 or 204", &added));
                return Err(TestCaseError::fail("could not add the group's first members"));
            }
        }
        let patch = fill(patch, &name);
        let before = send(shared, &get(&path)).json().unwrap_or(Value::Null);
        let oracle = apply_json(&before, &patch, &schema, &options);
        let ex = send(shared, &Request::new(reqwest::Method::PATCH, &path).json(&patch));
        let after = send(shared, &get(&path)).json().unwrap_or(Value::Null);
        let _ = send(shared, &Request::new(reqwest::Method::DELETE, &path));
        shared.registry.remove(&path);
        let status = ex.status.unwrap_or(0);
        let differs = |want: &Value, got: &Value| {
            let (want, got) = (membership(want), membership(got));
            (want != got).then(|| format!("name {:?} → {:?}\n  members {:?} → {:?}", want.0, got.0, want.1, got.1))
        };
        let verdict = judge_patch(
            mode,
            oracle,
            operations(&patch),
            status,
            ex.scim_type().as_deref(),
            &before,
            &after,
            differs,
            |_| false,
        );
        *last.lock().expect("last exchange lock") = Some(ex);
        verdict.map_err(|m| {
            TestCaseError::fail(format!(
                "PATCH {}\n{m}",
                serde_json::to_string(&patch["Operations"]).unwrap_or_default()
            ))
        })
    };
    // A server that cannot create a group cannot be patched: say so once, without shrinking anything.
    let probe =
        send(shared, &Request::new(reqwest::Method::POST, "/Groups").json(&group(&format!("{prefix}-probe"), &[0])));
    match created_path(&probe, "/Groups") {
        Some((_, path)) => {
            let _ = send(shared, &Request::new(reqwest::Method::DELETE, path));
        }
        None => return Err(blocked("group PATCH", "POST /Groups", "201", &probe)),
    }
    let file = Regressions::new(config, profiles, "groups");
    for (line, source) in file.replayed() {
        let Ok(case) = serde_json::from_str::<(Vec<usize>, Value)>(&line) else { continue };
        if case.0.iter().any(|&i| i >= MEMBER_POOL) {
            continue;
        }
        if let Err(e) = check(&case) {
            if let Some(setup) = unset.lock().expect("set-up failure lock").take() {
                return Err(setup);
            }
            return Err(report(
                "group PATCH",
                &line,
                &e.to_string(),
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                "replayed from the regressions file",
                source,
            ));
        }
    }
    let strategy = crate::generate::group_case(mode);
    let mut runner = runner(config.patch_cases / 2, config.seed ^ 0x6a09);
    let (passed, result) = generate(&mut runner, &strategy, start + config.budget, shared.concurrency, &check);
    match result {
        Ok(()) => Ok(Found { passed, declined: 0, explained: Vec::new() }),
        Err(TestError::Fail(reason, minimal)) => {
            let reason = check(&minimal).err().map_or(reason.to_string(), failure_text);
            if let Some(setup) = unset.lock().expect("set-up failure lock").take() {
                return Err(setup);
            }
            let line = serde_json::to_string(&minimal).unwrap_or_default();
            let kept = file.remember(&line);
            let ops = minimal.1["Operations"].as_array().map_or(0, Vec::len);
            Err(report(
                "group PATCH",
                &line,
                &reason,
                config.seed,
                last.lock().expect("last exchange lock").as_ref(),
                &format!("{ops} operations after shrinking; @i is the i-th member user, @name the group's name"),
                kept,
            ))
        }
        Err(TestError::Abort(reason)) => Err(stopped("group PATCH", reason)),
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use serde_json::{Value, json};

    use super::{PATCH_TENSIONS, explaining_tensions, judge_user_patch, user_shape};
    use crate::generate::{patch_sequence, patch_subject, population};
    use crate::patch::{Mode, PATCH_OP};
    use crate::schema::{ENTERPRISE_USER, ResourceSchema, USER};

    fn samples<S: Strategy>(strategy: &S, n: usize) -> Vec<S::Value> {
        let mut runner = TestRunner::deterministic();
        (0..n).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect()
    }

    /// Every `type` of an email or phone number in a user body.
    fn types(user: &Value) -> Vec<String> {
        ["emails", "phoneNumbers"]
            .iter()
            .filter_map(|a| user.get(a).and_then(Value::as_array))
            .flatten()
            .filter_map(|e| e.get("type").and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    /// The builtin User schema without `nickName`, `emails.type` and the enterprise extension.
    fn narrow_schema() -> ResourceSchema {
        let mut schema = ResourceSchema::user().clone();
        schema.core.attributes.retain(|a| a.name != "nickName");
        let emails = schema.core.attributes.iter_mut().find(|a| a.name == "emails").unwrap();
        emails.sub_attributes.retain(|s| s.name != "type");
        schema.extensions.clear();
        schema
    }

    #[test]
    fn each_case_writes_externalids_of_its_own() {
        let mut body = json!({ "userName": "u", "externalId": "x1" });
        let mut patch = json!({ "Operations": [
            { "op": "replace", "path": "externalId", "value": "x2" },
            { "op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:externalId", "value": "x3" },
            { "op": "replace", "value": { "externalId": "x4", "title": "t" } },
            { "op": "replace", "path": "title", "value": "x5" },
        ] });
        super::own_external_ids(&mut body, &mut patch, 7);
        assert_eq!(body["externalId"], "x1~7");
        let values: Vec<&Value> = patch["Operations"].as_array().unwrap().iter().map(|op| &op["value"]).collect();
        assert_eq!(
            values,
            [&json!("x2~7"), &json!("x3~7"), &json!({ "externalId": "x4~7", "title": "t" }), &json!("x5")]
        );
    }

    #[test]
    fn declared_canonical_values_are_the_only_types_sent() {
        let schema = ResourceSchema::user();
        let shape = user_shape(schema);
        assert_eq!(shape.email_types, ["work", "home", "other"]);
        assert_eq!(shape.phone_types, ["work", "home", "mobile", "fax", "pager", "other"]);
        let allowed = |t: &String| shape.email_types.contains(t) || shape.phone_types.contains(t);
        let mut seen = std::collections::BTreeSet::new();
        for users in samples(&population("p", 12, &shape), 30) {
            for u in &users {
                for t in types(u) {
                    assert!(allowed(&t), "population sends type {t:?}: {u}");
                    seen.insert(t);
                }
            }
        }
        assert!(seen.len() >= 3, "the population draws from the declared values: {seen:?}");
        for mode in Mode::ALL {
            let strategy = (patch_subject("p", mode, &shape), patch_sequence(mode, &shape));
            for (subject, patch) in samples(&strategy, 300) {
                for t in types(&subject) {
                    assert!(allowed(&t), "{mode}: subject sends type {t:?}: {subject}");
                }
                for op in patch["Operations"].as_array().unwrap() {
                    let added = op.get("value").and_then(Value::as_array).into_iter().flatten();
                    for t in added.filter_map(|e| e.get("type").and_then(Value::as_str)) {
                        assert!(allowed(&t.to_string()), "{mode}: PATCH adds type {t:?}: {op}");
                    }
                }
            }
        }
    }

    #[test]
    fn without_canonical_values_case_variants_are_sent() {
        let mut schema = ResourceSchema::user().clone();
        let emails = schema.core.attributes.iter_mut().find(|a| a.name == "emails").unwrap();
        emails.sub_attributes.iter_mut().find(|s| s.name == "type").unwrap().canonical_values.clear();
        let shape = user_shape(&schema);
        assert!(shape.email_types.iter().any(|t| t == "Work"), "{:?}", shape.email_types);
        let sent = samples(&population("p", 12, &shape), 30).concat().iter().flat_map(types).collect::<Vec<_>>();
        assert!(sent.iter().any(|t| t == "Work"), "{sent:?}");
    }

    #[test]
    fn undeclared_attributes_are_never_sent() {
        let schema = narrow_schema();
        let shape = user_shape(&schema);
        assert!(!shape.has("nickName") && !shape.has("emails.type") && shape.has("emails.value"));
        let check = |what: &str, v: &Value| {
            let text = v.to_string();
            assert!(!text.contains("nickName"), "{what} names nickName: {text}");
            assert!(!text.contains(ENTERPRISE_USER), "{what} names the enterprise extension: {text}");
            assert!(!text.contains("emails[type"), "{what} filters on emails.type: {text}");
            let emails = v.get("emails").and_then(Value::as_array).into_iter().flatten();
            assert!(emails.clone().all(|e| e.get("type").is_none()), "{what} sends emails.type: {text}");
        };
        let mut emails = 0;
        for users in samples(&population("p", 12, &shape), 20) {
            for u in &users {
                check("population", u);
                emails += u.get("emails").is_some() as usize;
            }
        }
        assert!(emails > 0, "emails are still sent, without a type");
        for mode in Mode::ALL {
            let strategy = (patch_subject("p", mode, &shape), patch_sequence(mode, &shape));
            for (subject, patch) in samples(&strategy, 300) {
                check(&format!("{mode} subject"), &subject);
                for op in patch["Operations"].as_array().unwrap() {
                    check(&format!("{mode} PATCH"), op);
                    if op.get("path").and_then(Value::as_str) == Some("emails") {
                        let mut added = op.get("value").and_then(Value::as_array).into_iter().flatten();
                        assert!(added.all(|e| e.get("type").is_none()), "{mode}: {op}");
                    }
                }
            }
        }
    }

    /// H6: RFC 7644 §3.5.2.1 does not decide whether `{"type": "Work"}` is already contained in
    /// `{"type": "work"}` (caseExact false): keeping, updating and appending all pass.
    #[test]
    fn a_case_variant_added_to_emails_may_be_kept_updated_or_appended() {
        let schema = ResourceSchema::user();
        let email = |t: &str| json!({ "value": "alice@example.com", "type": t });
        let user = |emails: Value| json!({ "schemas": [USER], "id": "u1", "userName": "alice", "emails": emails });
        let patch = json!({ "schemas": [PATCH_OP], "Operations": [{ "op": "add", "path": "emails", "value": [email("Work")] }] });
        let judge =
            |mode, before: &Value, after: &Value| judge_user_patch(mode, schema, &patch, 204, None, before, after);
        let before = user(json!([email("work")]));
        for mode in [Mode::Rfc, Mode::Okta] {
            for after in [&before, &user(json!([email("Work")])), &user(json!([email("work"), email("Work")]))] {
                assert_eq!(judge(mode, &before, after), Ok(()), "{mode}: {after}");
            }
            for wrong in [user(json!([])), user(json!([{ "value": "bob@example.com", "type": "work" }]))] {
                assert!(judge(mode, &before, &wrong).is_err(), "{mode}: {wrong}");
            }
            // The existing email is primary: appending the variant leaves it so.
            let mut primary = email("work");
            primary["primary"] = json!(true);
            let before = user(json!([primary.clone()]));
            assert_eq!(judge(mode, &before, &user(json!([primary.clone(), email("Work")]))), Ok(()), "{mode}");
            assert_eq!(judge(mode, &before, &before), Ok(()), "{mode}");
        }
        // Entra reads values back byte for byte (E-Q19); appending still passes.
        assert_eq!(judge(Mode::Entra, &before, &user(json!([email("Work")]))), Ok(()));
        assert_eq!(judge(Mode::Entra, &before, &user(json!([email("work"), email("Work")]))), Ok(()));
    }

    /// Folding case is for results only: a failed PATCH must leave even the case of a value alone.
    #[test]
    fn a_failed_patch_that_changed_case_is_not_atomic() {
        let schema = ResourceSchema::user();
        let before = json!({ "schemas": [USER], "id": "u1", "userName": "alice", "title": "alice" });
        let patch = json!({ "schemas": [PATCH_OP], "Operations": [
            { "op": "replace", "path": "title", "value": "ALICE" }, { "op": "remove" }
        ] });
        let mut after = before.clone();
        after["title"] = json!("ALICE");
        let verdict = judge_user_patch(Mode::Rfc, schema, &patch, 400, Some("noTarget"), &before, &after);
        assert!(verdict.is_err_and(|e| e.contains("atomicity")));
        assert_eq!(judge_user_patch(Mode::Rfc, schema, &patch, 400, Some("noTarget"), &before, &before), Ok(()));
    }

    /// Under the RFC, a filtered replace with no match that created the entry, or `""` that unassigned,
    /// is explained by the tension whose IdP side it is (§8.2, E-Q21), both together by both; another
    /// wrong answer by none.
    #[test]
    fn an_answer_on_the_idp_side_of_a_tension_is_explained_by_that_tension() {
        let schema = ResourceSchema::user();
        let before = json!({ "schemas": [USER], "id": "u1", "userName": "alice", "title": "t" });
        let op = |op: Value| json!({ "schemas": [PATCH_OP], "Operations": op });
        let created = op(json!([{ "op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x.org" }]));
        let mut with_email = before.clone();
        with_email["emails"] = json!([{ "type": "work", "value": "a@x.org" }]);
        let emptied = op(json!([{ "op": "replace", "path": "title", "value": "" }]));
        let mut untitled = before.clone();
        untitled.as_object_mut().unwrap().remove("title");
        let both = op(json!([
            { "op": "replace", "path": "title", "value": "" },
            { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@x.org" }
        ]));
        let mut both_after = with_email.clone();
        both_after.as_object_mut().unwrap().remove("title");
        for (patch, after, set) in
            [(&created, &with_email, 0b01), (&emptied, &untitled, 0b10), (&both, &both_after, 0b11)]
        {
            assert!(judge_user_patch(Mode::Rfc, schema, patch, 200, None, &before, after).is_err(), "{patch}");
            assert_eq!(explaining_tensions(schema, patch, 200, None, &before, after), Some(set), "{patch}");
        }
        // Neither side: a 200 that created nothing.
        assert_eq!(explaining_tensions(schema, &created, 200, None, &before, &before), None);
        let ids: Vec<&str> = PATCH_TENSIONS.iter().map(|t| t.id).collect();
        assert!(ids.iter().all(|id| crate::suite::tension(id).is_some()), "{ids:?}");
    }

    /// `title eq null` against a stored `""`: the RFC defines neither reading, so both pass.
    #[test]
    fn eq_null_against_an_empty_string_accepts_either_reading() {
        use crate::filter::{EvalOptions, parse};
        let users = [
            json!({ "id": "1", "userName": "a", "title": "" }),
            json!({ "id": "2", "userName": "b" }),
            json!({ "id": "3", "userName": "c", "title": "x" }),
        ];
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<std::collections::BTreeSet<_>>();
        let read = |text: &str| {
            super::selections(&parse(text).unwrap(), &users, ResourceSchema::user(), &EvalOptions::default()).unwrap()
        };
        assert_eq!(read("title eq null"), [set(&["1", "2"]), set(&["2"])]);
        assert_eq!(read("title ne null"), [set(&["3"]), set(&["1", "3"])]);
        assert_eq!(read("not (title eq null)"), [set(&["3"]), set(&["1", "3"])]);
        // Only the comparison with null is open: `pr` is defined ("a non-empty value").
        assert_eq!(read("title pr"), [set(&["3"])]);
        assert_eq!(read("title eq \"x\" or userName eq \"b\""), [set(&["2", "3"])]);
    }
}
