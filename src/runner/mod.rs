//! The runner: discovery, then one libtest-mimic trial per scenario against any SCIM endpoint, a cleanup
//! registry that deletes everything the run created (also after failures and on Ctrl-C), and the reports.
//!
//! It talks HTTP only: to a vendor's endpoint, or to the bundled server started in-process by
//! [`selftest`] — exactly the same way.

mod adapt;
mod app_checks;
pub mod baseline;
mod checks;
mod console;
pub mod failure;
mod interrupt;
pub mod preflight;
pub mod property;
pub mod quirks;
pub mod report;
mod selection;
pub mod snapshot;
pub mod timing;

pub use checks::{conformance, error_problems, judge, list_problems, not_json, select};
pub use interrupt::{Interrupt, interrupted};
pub use selection::Selection;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use serde_json::Value;

use crate::bundle::Source;
use crate::client::{Client, ClientConfig, Credential, Credentials, Exchange, NOT_SENT, Request};
use crate::schema::{ResourceSchema, builtin_resource_types, parse_resource_types, parse_schemas};
use crate::suite::{self, Auth, Body, Feature, Level, Scenario, Step, Suite, Vars};
use failure::{Failure, Problem, ProblemKind, StepRef};
use report::{Cleanup, Outcome, Record, Summary};

/// Everything a run is configured with (built by `main.rs` from arguments and environment).
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub client: ClientConfig,
    /// Profile names under `suites/profiles/` (or profile files); empty means the app's, else `rfc`.
    pub profiles: Vec<String>,
    /// An app under `suites/apps/` (or an app file): its profile and capabilities.
    pub app: Option<String>,
    /// Profiles, apps and suites: the bundled ones, or a directory (`--suite-dir`).
    pub suites: Source,
    /// Request bodies (`bodies/`): the bundled ones, or a directory (`--fixture-dir`).
    pub fixtures: Source,
    /// Only suites whose name contains this.
    pub suite_pattern: Option<String>,
    /// Run only scenarios that create nothing.
    pub read_only: bool,
    /// The endpoint takes no credential (`--no-auth`): pre-flight does not ask for one.
    pub no_auth: bool,
    /// Scenarios run in parallel (libtest's `--test-threads` wins when given).
    pub concurrency: usize,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// A compact Markdown summary (verdict, readiness per identity provider, top root causes, counts) for a
    /// pull request or `$GITHUB_STEP_SUMMARY`.
    pub markdown: Option<PathBuf>,
    /// Print whole response bodies in failure messages instead of an excerpt (the reports always hold them).
    pub verbose: bool,
    /// Generated filter and PATCH checks per profile (`None`: only the scenarios).
    pub properties: Option<property::PropertyConfig>,
    /// Response snapshots: off, check or update, and where they live.
    pub snapshots: snapshot::SnapshotConfig,
    /// No check starts after this long; the ones left are blocked by the deadline (`None`: no limit).
    pub max_time: Option<std::time::Duration>,
    /// Known failures (`--baseline FILE`, TOML): read and checked against the plan before anything is sent.
    pub baseline: Option<PathBuf>,
    /// Which planned checks run (name filters, `--skip`, `--exact`, `--list`).
    pub selection: Selection,
    /// libtest's console settings (format, colour, threads); its own name filters are taken over by
    /// `selection`.
    pub args: Arguments,
}

/// Exit codes, as numbers of [`crate::exit::Exit`].
pub const EXIT_PASS: u8 = crate::exit::Exit::Pass.code();
/// A MUST requirement failed, or (with `--snapshots check`) a snapshot drifted.
pub const EXIT_MUST_FAILED: u8 = crate::exit::Exit::Fail.code();
pub const EXIT_CONFIG: u8 = crate::exit::Exit::Usage.code();

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub features: BTreeMap<Feature, bool>,
    pub schemas: Vec<ResourceSchema>,
    /// What could not be discovered, for the summary.
    pub notes: Vec<String>,
}

async fn get_json(client: &Client, path: &str) -> Result<Value, String> {
    let ex = client.send(&Request::new(reqwest::Method::GET, path)).await;
    match (ex.status, ex.json()) {
        (Some(200), Some(v)) => Ok(v),
        (Some(s), _) => Err(format!("GET {path} answered {s}")),
        (None, _) => Err(format!("GET {path}: {}", ex.error.unwrap_or_default())),
    }
}

/// What a ServiceProviderConfig says of a feature, read leniently: `{"supported": true}`, `true`,
/// `"true"`, `{"supported": "True"}` and `1` all advertise it. `None` when it says nothing readable.
pub fn advertised(spc: &Value, key: &str) -> Option<bool> {
    let entry = spc.as_object().and_then(|o| crate::schema::get_ci(o, key)).map(|(_, v)| v)?;
    let flag = match entry {
        Value::Object(o) => crate::schema::get_ci(o, "supported").map(|(_, v)| v)?,
        other => other,
    };
    match flag {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
        _ => None,
    }
}

/// Reads `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`. What is missing or unreadable is noted
/// once and assumed supported: only an explicit "unsupported" skips a check, and the discovery checks
/// judge the documents themselves.
pub async fn discover(client: &Client) -> Discovered {
    let mut d = Discovered::default();
    match get_json(client, "/ServiceProviderConfig").await {
        Ok(spc) => {
            let mut unreadable = Vec::new();
            for feature in Feature::ALL.into_iter().filter(|f| f.from_spc()) {
                let supported = advertised(&spc, feature.as_str());
                if supported.is_none() {
                    unreadable.push(format!("`{}`", feature.as_str()));
                }
                d.features.insert(feature, supported.unwrap_or(true));
            }
            if !unreadable.is_empty() {
                d.notes.push(format!(
                    "ServiceProviderConfig says nothing readable about {}; taken as supported (the discovery \
                     checks judge the document)",
                    unreadable.join(", ")
                ));
            }
        }
        Err(e) => {
            d.notes.push(format!("{e}; every feature is assumed supported"));
            for f in Feature::ALL {
                d.features.insert(f, true);
            }
        }
    }
    let schemas = get_json(client, "/Schemas").await.map(|j| parse_schemas(&j));
    let types = get_json(client, "/ResourceTypes").await.map(|j| parse_resource_types(&j));
    match (schemas, types) {
        (Ok((schemas, s_issues)), Ok((types, t_issues))) if !schemas.is_empty() && !types.is_empty() => {
            let (assembled, a_issues) = ResourceSchema::assemble(&types, &schemas);
            for i in s_issues.iter().chain(&t_issues).chain(&a_issues).take(5) {
                d.notes.push(format!("discovery: {i}"));
            }
            d.schemas = assembled;
        }
        (s, t) => {
            for e in [s.err(), t.err()].into_iter().flatten() {
                d.notes.push(format!("{e}; the RFC 7643 schemas are assumed"));
            }
        }
    }
    if d.schemas.is_empty() {
        d.schemas = builtin_resource_types().to_vec();
    }
    let groups = d.schemas.iter().any(|s| s.matches("Group"));
    d.features.insert(Feature::Groups, groups);
    let enterprise = d
        .schemas
        .iter()
        .find(|s| s.matches("User"))
        .is_some_and(|u| u.extension(crate::schema::ENTERPRISE_USER).is_some());
    d.features.insert(Feature::Enterprise, enterprise);
    d
}

/// Resources this run created, deleted at the end (paths relative to the base URL).
#[derive(Debug, Default)]
pub struct Registry {
    paths: Mutex<Vec<String>>,
}

impl Registry {
    fn add(&self, path: String) {
        let mut paths = self.paths.lock().expect("registry lock");
        if !paths.contains(&path) {
            paths.push(path);
        }
    }

    fn remove(&self, path: &str) {
        self.paths.lock().expect("registry lock").retain(|p| p != path);
    }

    /// Deletes everything registered: groups first (so member removals don't churn), then the rest.
    pub async fn clean(&self, client: &Client) -> (usize, usize, Vec<String>) {
        let paths: Vec<String> = std::mem::take(&mut *self.paths.lock().expect("registry lock"));
        delete_all(client, paths).await
    }

    pub fn len(&self) -> usize {
        self.paths.lock().expect("registry lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One page of `collection` whose `name` attribute starts with `prefix` (the server's filter asks for it,
/// but each name is checked here: the filter is not trusted), as (id, name), with how many resources the
/// server listed on the page. `Err` when the listing failed.
async fn listed_page(
    client: &Client,
    collection: &str,
    name: &str,
    prefix: &str,
    start: usize,
) -> Result<(Vec<(String, String)>, usize), String> {
    let mut request = Request::new(reqwest::Method::GET, collection);
    request.query = vec![
        ("filter".into(), format!("{name} sw \"{prefix}\"")),
        ("startIndex".into(), start.to_string()),
        ("count".into(), "100".into()),
        ("attributes".into(), name.into()),
    ];
    let ex = client.send(&request).await;
    let body = ex.json().filter(|_| ex.status == Some(200)).ok_or_else(|| {
        format!(
            "GET {collection} answered {}",
            ex.status.map_or(ex.error.clone().unwrap_or_default(), |s| s.to_string())
        )
    })?;
    let resources = body.get("Resources").and_then(Value::as_array).cloned().unwrap_or_default();
    let matching = resources
        .iter()
        .filter_map(|r| {
            let found = crate::schema::get_ci(r.as_object()?, name)?.1.as_str()?;
            let id = r.get("id")?.as_str()?;
            found.starts_with(prefix).then(|| (id.to_string(), found.to_string()))
        })
        .collect();
    Ok((matching, resources.len()))
}

/// The ids of `collection` whose `name` starts with the run prefix and a `-` (the first page: what is left
/// after a run's cleanup is small). `None` when the listing failed.
async fn listed_with_prefix(client: &Client, collection: &str, name: &str, prefix: &str) -> Option<Vec<String>> {
    let (page, _) = listed_page(client, collection, name, &format!("{prefix}-"), 1).await.ok()?;
    Some(page.into_iter().map(|(id, _)| id).collect())
}

/// Deletes each path, groups first (so member removals don't churn). Returns (deleted, already gone, and
/// each refusal as `DELETE <path>: <answer>`).
pub async fn delete_all(client: &Client, mut paths: Vec<String>) -> (usize, usize, Vec<String>) {
    paths.sort_by_key(|p| !p.starts_with("/Groups/"));
    let (mut deleted, mut gone, mut failed) = (0, 0, Vec::new());
    for path in paths {
        let ex = client.send(&Request::new(reqwest::Method::DELETE, &path)).await;
        match ex.status {
            Some(s) if (200..300).contains(&s) => deleted += 1,
            Some(404) => gone += 1,
            _ => failed
                .push(format!("DELETE {path}: {}", ex.status.map_or(ex.error.unwrap_or_default(), |s| s.to_string()))),
        }
    }
    (deleted, gone, failed)
}

/// `scimtest clean`: lists what earlier runs left behind and, with `delete`, deletes it. Returns the exit
/// code: 0 when nothing is left or all of it was deleted, 1 when something could not be deleted, 2 when the
/// endpoint cannot be listed.
pub fn clean(config: ClientConfig, delete: bool) -> u8 {
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n  fix: pass the SCIM base URL, e.g. --url https://example.com/scim/v2");
            return EXIT_CONFIG;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_CONFIG;
        }
    };
    let found = match runtime.block_on(leftovers(&client)) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: cannot list what earlier runs left: {e}");
            return EXIT_CONFIG;
        }
    };
    for l in &found {
        println!("{}  {}", l.path, l.name);
    }
    if found.is_empty() {
        println!("nothing left by earlier scimtest runs");
        return EXIT_PASS;
    }
    if !delete {
        println!("{} resources left by earlier scimtest runs; run again with --delete to delete them", found.len());
        return EXIT_PASS;
    }
    let total = found.len();
    let (deleted, gone, failed) = runtime.block_on(delete_all(&client, found.into_iter().map(|l| l.path).collect()));
    for f in &failed {
        eprintln!("could not delete: {f}");
    }
    println!("deleted {} of {total}", deleted + gone);
    if failed.is_empty() { EXIT_PASS } else { EXIT_MUST_FAILED }
}

/// Whether `name` is one a scimtest run gives: `scimtest-` and a six-hex-digit run tag, then `-`.
fn made_by_a_run(name: &str) -> bool {
    name.strip_prefix("scimtest-")
        .and_then(|rest| rest.get(..7))
        .is_some_and(|tag| tag.ends_with('-') && tag[..6].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A resource an earlier run left behind: its path and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub path: String,
    pub name: String,
}

/// The users and groups earlier scimtest runs left behind (named `scimtest-<run tag>-…`), found by
/// listing and checked name by name (the server's filter is not trusted), up to 2,000 of each.
pub async fn leftovers(client: &Client) -> Result<Vec<Leftover>, String> {
    let mut found = Vec::new();
    for (collection, attribute) in [("/Groups", "displayName"), ("/Users", "userName")] {
        let mut start = 1;
        while start <= 2000 {
            let (page, listed) = listed_page(client, collection, attribute, "scimtest-", start).await?;
            for (id, name) in page {
                if let Some(path) = resource_path(collection, &id).filter(|_| made_by_a_run(&name))
                    && !found.iter().any(|l: &Leftover| l.path == path)
                {
                    found.push(Leftover { path, name });
                }
            }
            if listed < 100 {
                break;
            }
            start += listed;
        }
    }
    Ok(found)
}

/// Deletes the users and groups whose name starts with the run prefix and a `-` (every name a run gives
/// does): what the run created but could not register (a create whose answer was lost). The server's
/// filter is not trusted: a resource is deleted only if its own `userName` or `displayName` starts so.
/// Returns (deleted, problems).
pub async fn sweep(client: &Client, run_prefix: &str) -> (usize, Vec<String>) {
    let (mut deleted, mut problems) = (0, Vec::new());
    for (collection, name) in [("/Groups", "displayName"), ("/Users", "userName")] {
        // Each id once: a server that still lists what it deleted must not loop the sweep.
        let mut tried = std::collections::HashSet::new();
        // A few pages at most: what is left over after the registry's cleanup is small.
        for _ in 0..10 {
            let found: Vec<String> = listed_with_prefix(client, collection, name, run_prefix)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|id| tried.insert(id.clone()))
                .collect();
            if found.is_empty() {
                break;
            }
            let before = deleted;
            for id in found {
                let Some(path) = resource_path(collection, &id) else {
                    problems
                        .push(format!("{collection}: the id `{id}` cannot be put in a URL path; delete it by hand"));
                    continue;
                };
                let ex = client.send(&Request::new(reqwest::Method::DELETE, &path)).await;
                match ex.status {
                    Some(s) if (200..300).contains(&s) || s == 404 => deleted += 1,
                    _ => problems.push(format!(
                        "DELETE {path}: {}",
                        ex.status.map_or(ex.error.unwrap_or_default(), |s| s.to_string())
                    )),
                }
            }
            if deleted == before {
                break;
            }
        }
    }
    (deleted, problems)
}

/// Whether a path segment is empty, `.` or `..` (also percent-encoded): URL parsers resolve those, so
/// `/Users/..` would reach something else than a user.
fn dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded.is_empty() || decoded == "." || decoded == ".."
}

/// `/Users/<id>` for an id the server gave, percent-encoded into one path segment; `None` when it cannot
/// be one. What the run deletes is always such a path: a hostile id never aims a DELETE elsewhere.
pub fn resource_path(collection: &str, id: &str) -> Option<String> {
    let encoded = crate::client::percent_encode(id, crate::client::SEGMENT_SAFE);
    (!dot_segment(&encoded)).then(|| format!("{collection}/{encoded}"))
}

/// The whole cleanup of a run: what the registry holds, then (unless the run was read-only and created
/// nothing) a sweep of the run prefix. Returns (deleted, already gone, failures).
async fn clean_up(registry: &Registry, client: &Client, run_prefix: &str, read_only: bool) -> Cleanup {
    let (deleted, gone, mut failed) = registry.clean(client).await;
    if read_only {
        return Cleanup { deleted, gone, failed, still_listed: Vec::new() };
    }
    let (swept, problems) = sweep(client, run_prefix).await;
    failed.extend(problems);
    // Verified: what the server still lists after answering every DELETE.
    let mut still_listed = Vec::new();
    for (collection, name) in [("/Groups", "displayName"), ("/Users", "userName")] {
        for id in listed_with_prefix(client, collection, name, run_prefix).await.unwrap_or_default() {
            still_listed.push(format!("{collection}/{id}"));
        }
    }
    Cleanup { deleted: deleted + swept, gone, failed, still_listed }
}

/// `%XX` sequences decoded (invalid ones kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The resource a location names, as a path relative to the base URL (`/Users/abc`): its path must be
/// the base's path, a collection and exactly one segment — which is decoded and encoded again, so it stays
/// one segment. Anything else (another path, `Users/x/Users/victim`, a dot segment) names nothing.
fn relative(location: &str, base: &str) -> Option<String> {
    // Dot segments are refused before the URL parser resolves them away.
    let lower = location.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(|seg| matches!(seg.replace("%2e", ".").as_str(), "." | "..")) {
        return None;
    }
    let base = reqwest::Url::parse(base).ok()?;
    let url = base.join(location).ok()?;
    let rest = url.path().strip_prefix(base.path().trim_end_matches('/'))?;
    let (collection, id) = ["/Users", "/Groups"]
        .iter()
        .find_map(|c| rest.strip_prefix(c).and_then(|r| r.strip_prefix('/')).map(|id| (*c, id)))?;
    if id.contains('/') {
        return None;
    }
    resource_path(collection, &percent_decode(id))
}

/// The resource a PUT names, when the path names one (`/Users/<one segment>`), not a collection.
fn put_target(path: &str) -> Option<String> {
    let (collection, id) = ["/Users/", "/Groups/"].iter().find_map(|c| path.strip_prefix(c).map(|id| (c, id)))?;
    (!id.contains('/') && !dot_segment(id)).then(|| format!("{collection}{id}"))
}

/// Registers what an exchange created and forgets what it deleted.
fn track(registry: &Registry, step: &Step, path: &str, ex: &Exchange, base: &str) {
    let Some(status) = ex.status else { return };
    match step.method {
        suite::Method::Delete if (200..300).contains(&status) || status == 404 => registry.remove(path),
        suite::Method::Post | suite::Method::Put if status == 201 => {
            let body = ex.json();
            let id = body.as_ref().and_then(|b| b.get("id")).and_then(Value::as_str);
            let target = path.split('?').next().unwrap_or(path).trim_end_matches('/');
            // What the run will delete is derived so that no answer can aim it elsewhere: a PUT that
            // created names its resource itself (never a collection); a POST's resource is the collection
            // and the answer's id as one encoded segment, the Location only when there is no id.
            let created = if step.method == suite::Method::Put {
                put_target(target)
            } else {
                match (target.rsplit('/').next(), id) {
                    (Some(kind @ ("Users" | "Groups")), Some(id)) => resource_path(&format!("/{kind}"), id),
                    _ => ex.header("location").and_then(|l| relative(l, base)),
                }
            };
            if let Some(p) = created {
                registry.add(p);
            }
        }
        suite::Method::Post if path.ends_with("/Bulk") => {
            let ops = ex.json().and_then(|b| b.get("Operations").cloned());
            for op in ops.as_ref().and_then(Value::as_array).into_iter().flatten() {
                let method = op.get("method").and_then(Value::as_str).unwrap_or_default();
                let ok =
                    op.get("status").and_then(|s| s.as_str().map(str::to_string).or(s.as_u64().map(|n| n.to_string())));
                let location = op.get("location").and_then(Value::as_str).and_then(|l| relative(l, base));
                match (method.to_ascii_uppercase().as_str(), ok.as_deref(), location) {
                    ("POST", Some("201"), Some(l)) => registry.add(l),
                    ("DELETE", Some(s), Some(l)) if s.starts_with('2') => registry.remove(&l),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Shared by every trial of a run.
struct Shared {
    client: Client,
    discovered: Discovered,
    registry: Arc<Registry>,
    run_prefix: String,
    handle: tokio::runtime::Handle,
    records: Mutex<Vec<Record>>,
    app: Option<suite::App>,
    /// `None` when snapshots are off.
    snapshots: Option<snapshot::SnapshotConfig>,
    /// Where suite files are, to name them relative to it in snapshot headers.
    suites: Source,
    /// The planned names (profiles, the app) that replay an identity provider rather than the RFC.
    idp: std::collections::BTreeSet<String>,
    /// When the run started, and how long it may take.
    deadline: (Instant, Option<std::time::Duration>),
    /// Features the ServiceProviderConfig declares unsupported, with the IdP scenarios needing them that
    /// passed anyway: the declaration is not the truth.
    contradicted: Mutex<BTreeMap<Feature, usize>>,
    /// Failure messages on the console carry whole bodies (`--verbose`).
    verbose: bool,
    /// Known failures: a waived trial shows as ignored, `waived: <reason>`.
    baseline: Option<baseline::Baseline>,
}

impl Shared {
    /// What the ServiceProviderConfig gets wrong, seen from the scenarios that ran anyway (RFC 7643 §5 has
    /// it describe what the service provider supports): one line per feature.
    fn spc_contradictions(&self) -> Vec<String> {
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
    fn out_of_time(&self) -> Option<Failure> {
        let (started, max) = self.deadline;
        max.filter(|m| started.elapsed() >= *m).map(Failure::deadline)
    }
}

fn short_tag(text: &str) -> String {
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
fn build_request(step: &Step, vars: &Vars, schemas: Option<&[ResourceSchema]>) -> Result<(Request, String), String> {
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
fn scenario_tag(profile: &str, suite: &Suite, scenario: &Scenario) -> String {
    short_tag(&format!("{profile}::{}::{}", suite.name, scenario.name))
}

/// `GET /Users?filter=…`: a request as a snapshot names it (query values as sent, not encoded).
fn request_line(request: &Request) -> String {
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
fn step_kind(step: &Step) -> String {
    let mut path = step.path.clone();
    for (k, _) in &step.query {
        path.push(if path.contains('?') { '&' } else { '?' });
        path.push_str(k);
    }
    timing::endpoint(step.method.as_str(), &path, "")
}

/// Whether step `index` prepares what the scenario is about: a create (POST to a collection) or a lookup
/// whose answer later steps capture, expecting success, with steps after it. Its failure blocks the
/// scenario. A step that expects an error is what the scenario tests, never its setup.
fn is_setup(steps: &[Step], index: usize) -> bool {
    let step = &steps[index];
    let create = step.method == suite::Method::Post && matches!(step.path.trim_end_matches('/'), "/Users" | "/Groups");
    let lookup = step.method == suite::Method::Get && !step.capture.is_empty();
    index + 1 < steps.len() && (create || lookup) && step.expect.succeeds()
}

/// Whether the server declined the step's filter the way RFC 7644 §3.4.2.2 lets it (400 invalidFilter:
/// "the specified attribute and filter comparison combination is not supported"), where the step did not
/// ask for a 400 itself.
fn declined_filter(step: &Step, request: &Request, exchange: &Exchange) -> bool {
    let filters = request.query.iter().any(|(k, _)| k.eq_ignore_ascii_case("filter"))
        || (request.path.ends_with("/.search") && matches!(&step.body, Body::Json(j) if j.get("filter").is_some()));
    let invalid_filter = exchange
        .json()
        .and_then(|b| b.get("scimType").and_then(Value::as_str).map(|t| t.eq_ignore_ascii_case("invalidFilter")))
        .unwrap_or(false);
    filters && exchange.status == Some(400) && invalid_filter && !step.expect.status.contains(&400)
}

/// Why a scenario that sends one of the app's own extensions is not judged: the server does not declare
/// it. Under an identity provider's profile too, although the IdP would send it: the app's author declared
/// the extension and the server did not, so there is nothing the server promised to store; the reason says
/// what to fix rather than failing a check the server never claimed to pass.
fn undeclared_app_extension(
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
async fn execute(
    shared: &Shared,
    profile: &str,
    suite: &Suite,
    scenario: &Scenario,
    tape: &mut Vec<snapshot::Taken>,
) -> Result<Option<String>, Failure> {
    let mut vars =
        Vars { run: shared.run_prefix.clone(), scenario: scenario_tag(profile, suite, scenario), ..Vars::default() };
    let base = shared.client.base_url().to_string();
    // An RFC profile sends only what the server declares, and what it requires; an IdP sends what it sends.
    let rfc = !shared.idp.contains(profile);
    let schemas = &shared.discovered.schemas;
    if rfc && let Some(reason) = adapt::undeclared(scenario, schemas) {
        return Ok(Some(reason));
    }
    if let Some(app) = shared.app.as_ref()
        && let Some(reason) = undeclared_app_extension(app, scenario, schemas, rfc)
    {
        return Ok(Some(reason));
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        let at = StepRef {
            number: i + 1,
            label: format!("step {} `{}`", i + 1, step.name.as_deref().unwrap_or(step.method.as_str())),
            kind: step_kind(step),
            setup: is_setup(&scenario.steps, i),
        };
        let (request, path) = build_request(step, &vars, rfc.then_some(schemas.as_slice())).map_err(|e| Failure {
            problems: vec![Problem::new(ProblemKind::Suite, "the request", "a request the suite can build", e)],
            step: at.clone(),
            exchange: None,
            generated: None,
        })?;
        // Held until what the request created is registered: an interrupt waits for both.
        let hold = shared.client.hold();
        let exchange = shared.client.send(&request).await;
        track(&shared.registry, step, &path, &exchange, &base);
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
            return Ok(Some(format!(
                "declined: the server answers {} with 400 invalidFilter, which RFC 7644 §3.4.2.2 allows for a \
                 filter it does not support",
                request_line(&request)
            )));
        }
        if !judged.is_empty() {
            return Err(Failure { step: at, problems: judged, exchange: Some(Box::new(exchange)), generated: None });
        }
        vars.last_headers = exchange.response_headers.clone();
    }
    Ok(None)
}

/// A trial's libtest verdict from its record, which is kept for the reports: it fails when the
/// requirement fails or when its snapshot drifted. A blocked trial shows as ignored with its one line (its
/// root cause is listed once, at the end); the summary counts it, and a blocked MUST fails the verdict.
fn conclude(shared: &Shared, record: Record) -> Result<Completion, Failed> {
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
        (Outcome::Passed, None) => Ok(Completion::Completed),
        (Outcome::Passed, Some(drift)) => Err(Failed::from(drift)),
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

/// The reason a scenario cannot run here, if any. An identity provider's profile never skips what the
/// IdP sends because of what the server declares: Entra and Okta PATCH, filter and send the enterprise
/// extension without reading discovery, so the server will receive those requests regardless.
fn skip_reason(
    scenario: &Scenario,
    discovered: &Discovered,
    read_only: bool,
    app: Option<&suite::App>,
    idp: bool,
) -> Option<String> {
    if read_only && !scenario.read_only() {
        return Some(format!("it creates or changes resources, {READ_ONLY}"));
    }
    if let Some(app) = app
        && scenario.requires.contains(&Feature::Groups)
        && !app.can("groups")
    {
        return Some(format!("the app `{}` does not provision groups", app.name));
    }
    let sent_regardless = |f: &Feature| idp && matches!(f, Feature::Patch | Feature::Filter | Feature::Enterprise);
    scenario
        .requires
        .iter()
        .filter(|f| !sent_regardless(f))
        .find(|f| !discovered.features.get(f).copied().unwrap_or(false))
        .map(|f| unsupported(*f))
}

/// The end of every reason a check is skipped by `--read-only`.
const READ_ONLY: &str = "and the run is --read-only";

/// What `--read-only` left out of the verdict: the MUST checks it skipped.
fn read_only_note(records: &[Record]) -> Option<String> {
    let skipped = |r: &&Record| matches!(&r.outcome, Outcome::Skipped(why) if why.ends_with(READ_ONLY));
    let must = records.iter().filter(skipped).filter(|r| r.requirement.level == Level::Must).count();
    let judged = records.iter().filter(|r| !matches!(r.outcome, Outcome::Skipped(_))).count();
    (must > 0).then(|| {
        format!(
            "--read-only skipped {must} MUST check{} that write: the verdict covers only the {judged} check{} that ran",
            if must == 1 { "" } else { "s" },
            if judged == 1 { "" } else { "s" }
        )
    })
}

/// Why a feature's checks are skipped.
fn unsupported(feature: Feature) -> String {
    match feature {
        Feature::Groups => "the server publishes no Group resource type (/ResourceTypes)".to_string(),
        Feature::Enterprise => {
            "the server's User resource type declares no enterprise extension (/ResourceTypes schemaExtensions)"
                .to_string()
        }
        f => format!("the server declares `{}` unsupported (/ServiceProviderConfig)", f.as_str()),
    }
}

/// Each profile to run, with its suites.
type Plan = Vec<(String, Vec<Suite>)>;

/// The profiles (with their PATCH modes) that get generated checks.
type PropertyPlan = Vec<(String, crate::patch::Mode)>;

/// The profiles to run (with their suites), the app if one was named, and the profiles' PATCH modes.
fn load_all(config: &RunConfig) -> Result<(Plan, Option<suite::App>, PropertyPlan), suite::SuiteError> {
    let app = config.app.as_deref().map(|a| suite::load_app(&config.suites, a)).transpose()?;
    let names = match (&config.profiles[..], &app) {
        ([], Some(app)) => vec![app.profile.clone()],
        ([], None) => vec!["rfc".to_string()],
        (given, _) => given.to_vec(),
    };
    let mut out = Vec::new();
    let mut modes = Vec::new();
    for name in names {
        let profile = suite::load_profile(&config.suites, &name)?;
        modes.push((profile.name.clone(), profile.patch_mode));
        let mut suites = suite::load_profile_suites(&config.suites, &config.fixtures, &profile)?;
        if let Some(p) = &config.suite_pattern {
            suites.retain(|s| s.name.contains(p.as_str()));
        }
        out.push((profile.name, suites));
    }
    // The checks generated from the app's attribute table run under the app's name.
    let generated = match &app {
        Some(app) => app_checks::suite(app).map_err(|e| suite::SuiteError {
            file: app.file.clone(),
            line: None,
            message: format!("the attribute table gives no request to check: {e}"),
            fix: "check the table's paths and types against the schema (suites/README.md, apps)".into(),
        })?,
        None => None,
    };
    if let Some(generated) = generated {
        let keep = config.suite_pattern.as_deref().is_none_or(|p| generated.name.contains(p));
        if keep {
            out.push((app.as_ref().map(|a| a.name.clone()).unwrap_or_default(), vec![generated]));
        }
    }
    if let Some(pattern) = &config.suite_pattern {
        let selected = out.iter().any(|(_, suites)| !suites.is_empty())
            || (config.properties.is_some() && wants_properties(config));
        if !selected {
            return Err(no_suite_matches(config, pattern, &modes));
        }
    }
    Ok((out, app, modes))
}

/// The load error for a `--suite` pattern that selects nothing: the profile that has such a suite, or the
/// suites the selected profiles have, with the closest.
fn no_suite_matches(config: &RunConfig, pattern: &str, selected: &PropertyPlan) -> suite::SuiteError {
    let suite_names = |profile: &suite::Profile| -> Vec<String> {
        suite::profile_suite_files(&config.suites, profile)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect()
    };
    let profiles = selected.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    // `--suite entra` meaning the profile (its suites are named for what they test), or a suite name
    // another profile has.
    let others: Vec<suite::Profile> = suite::available(&config.suites, "profiles")
        .iter()
        .filter_map(|other| suite::load_profile(&config.suites, other).ok())
        .filter(|p| !selected.iter().any(|(n, _)| *n == p.name))
        .collect();
    let by_name = others.iter().find(|p| p.name == pattern).map(|p| (p, suite_names(p), true));
    let by_suite = || {
        others.iter().find_map(|p| {
            let matching: Vec<String> = suite_names(p).into_iter().filter(|s| s.contains(pattern)).collect();
            (!matching.is_empty()).then_some((p, matching, false))
        })
    };
    if let Some((profile, suites, whole)) = by_name.or_else(by_suite) {
        return suite::SuiteError {
            file: config.suites.path("profiles"),
            line: None,
            message: format!(
                "no suite of profile {profiles} matches `{pattern}`; profile {} has suites {}",
                profile.name,
                suites.join(", ")
            ),
            fix: if whole {
                format!(
                    "pass --profile {0} (instead of --suite {0}, which picks suites within the profiles)",
                    profile.name
                )
            } else {
                format!("pass --profile {}", profile.name)
            },
        };
    }
    let mut names: Vec<String> = Vec::new();
    for (name, _) in selected {
        if let Ok(profile) = suite::load_profile(&config.suites, name) {
            names.extend(suite_names(&profile));
        }
    }
    if config.app.is_some() {
        names.push(app_checks::SUITE_NAME.to_string());
    }
    if config.properties.is_some() {
        names.push("properties".to_string());
    }
    names.sort();
    names.dedup();
    suite::SuiteError {
        file: config.suites.root(),
        line: None,
        message: format!(
            "no suite of profile {profiles} matches `{pattern}`{}",
            suite::did_you_mean(pattern, names.iter().map(String::as_str))
        ),
        fix: format!("pass --suite with part of one of: {}", names.join(", ")),
    }
}

/// The planned names that replay an identity provider: profiles whose PATCH mode is not the RFC's, and
/// the app when its profile is one.
fn idp_names(config: &RunConfig, modes: &PropertyPlan, app: Option<&suite::App>) -> std::collections::BTreeSet<String> {
    let mut names: std::collections::BTreeSet<String> =
        modes.iter().filter(|(_, m)| *m != crate::patch::Mode::Rfc).map(|(n, _)| n.clone()).collect();
    if let Some(app) = app {
        let mode = suite::load_profile(&config.suites, &app.profile).map(|p| p.patch_mode);
        if mode.is_ok_and(|m| m != crate::patch::Mode::Rfc) {
            names.insert(app.name.clone());
        }
    }
    names
}

/// The identity-provider profiles (and the app, when its profile is one) of a plan, in plan order, with the
/// names reports show for them.
fn idp_profiles(
    config: &RunConfig,
    modes: &PropertyPlan,
    app: Option<&suite::App>,
    idp: &std::collections::BTreeSet<String>,
) -> Vec<report::IdpProfile> {
    let display =
        |name: &str| suite::load_profile(&config.suites, name).map_or_else(|_| name.to_string(), |p| p.display_name);
    let mut out: Vec<report::IdpProfile> = modes
        .iter()
        .filter(|(name, _)| idp.contains(name))
        .map(|(name, _)| report::IdpProfile { name: name.clone(), display_name: display(name) })
        .collect();
    if let Some(app) = app.filter(|a| idp.contains(&a.name)) {
        let display_name = format!("{} via {}", app.name, display(&app.profile));
        out.push(report::IdpProfile { name: app.name.clone(), display_name });
    }
    out
}

/// The identity-provider profiles (and app) `config` plans, with their display names: what
/// [`report::readiness`] judges, for callers of [`check`] that build their own summary.
pub fn planned_idps(config: &RunConfig) -> Result<Vec<report::IdpProfile>, String> {
    let (_, app, modes) = load_all(config).map_err(|e| e.to_string())?;
    let idp = idp_names(config, &modes, app.as_ref());
    Ok(idp_profiles(config, &modes, app.as_ref(), &idp))
}

impl RunConfig {
    /// Every file the run will write, by the flag that names it: checked before the run starts.
    pub fn outputs(&self) -> Vec<(&'static str, &std::path::Path)> {
        let mut out = Vec::new();
        if let Some(p) = &self.json {
            out.push(("--json", p.as_path()));
        }
        if let Some(p) = &self.junit {
            out.push(("--junit", p.as_path()));
        }
        // `$GITHUB_STEP_SUMMARY` is appended to by other steps too: checking it only opens it for appending.
        if let Some(p) = &self.markdown {
            out.push(("--markdown", p.as_path()));
        }
        out
    }

    /// The first profile the run uses (what the bundled server's mode follows in `selftest`).
    pub fn main_profile(&self) -> String {
        self.profiles.first().cloned().unwrap_or_else(|| "rfc".into())
    }
}

/// Whether `--suite` lets the generated checks (suite `properties`) run.
fn wants_properties(config: &RunConfig) -> bool {
    config.suite_pattern.as_deref().is_none_or(|p| "properties".contains(p))
}

/// Every check the configuration plans, in run order: the scenarios of `plan`, then the generated checks
/// of each profile in `modes` when they are on and `--suite` lets them run.
fn planned_checks(config: &RunConfig, plan: Plan, modes: &PropertyPlan) -> Vec<selection::Planned> {
    let generated = config.properties.is_some() && wants_properties(config);
    selection::plan(plan, generated.then_some(modes.as_slice()))
}

/// Runs one generated check (`filters` or `patch`) for a profile and returns its record.
fn run_property(
    shared: &Shared,
    profile: &str,
    mode: crate::patch::Mode,
    what: &str,
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
            let dialect = if mode == crate::patch::Mode::Rfc {
                crate::filter::Dialect::Strict
            } else {
                crate::filter::Dialect::Compat
            };
            let result = if what == "filters" {
                property::filters(shared, profile, dialect, config)
            } else if what == "patch" {
                property::patches(shared, profile, mode, config)
            } else {
                property::groups(shared, profile, mode, config)
            };
            match result {
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
async fn run_scenario(shared: &Shared, profile: &str, suite: &Suite, scenario: &Scenario, read_only: bool) -> Record {
    let start = Instant::now();
    let name = format!("{profile}::{}::{}", suite.name, scenario.name);
    let mut tape = Vec::new();
    let idp = shared.idp.contains(profile);
    let skip = skip_reason(scenario, &shared.discovered, read_only, shared.app.as_ref(), idp);
    let outcome = match (skip, shared.out_of_time()) {
        (Some(reason), _) => Outcome::Skipped(reason),
        (None, Some(late)) => Outcome::Blocked(late),
        (None, None) => match execute(shared, profile, suite, scenario, &mut tape).await {
            Ok(None) => {
                let declared_off = |f: &&Feature| shared.discovered.features.get(f) == Some(&false);
                let mut seen = shared.contradicted.lock().expect("contradictions lock");
                for f in scenario.requires.iter().filter(declared_off).filter(|f| f.from_spc()) {
                    *seen.entry(*f).or_default() += 1;
                }
                Outcome::Passed
            }
            Ok(Some(declined)) => Outcome::Skipped(declined),
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

/// Runs what `config` names (profiles, app, suite pattern) against its endpoint, quietly, one scenario
/// after the other, and cleans up: the records are the result. For tests and tools that judge a run
/// themselves; libtest arguments in `config.args` are not used.
pub async fn check(config: &RunConfig) -> Result<Vec<Record>, String> {
    check_and_clean(config).await.map(|(records, _)| records)
}

/// [`check`], with what the cleanup found (what the server still lists after answering its DELETEs).
pub async fn check_and_clean(config: &RunConfig) -> Result<(Vec<Record>, Cleanup), String> {
    let (plan, app, modes) = load_all(config).map_err(|e| e.to_string())?;
    let client = Client::new(config.client.clone())?;
    let discovered = discover(&client).await;
    let idp = idp_names(config, &modes, app.as_ref());
    let shared = Shared {
        client: client.clone(),
        discovered,
        registry: Arc::new(Registry::default()),
        run_prefix: format!("scimtest-{}", short_tag(&format!("{:?}{}", Instant::now(), std::process::id()))),
        handle: tokio::runtime::Handle::current(),
        records: Mutex::new(Vec::new()),
        app,
        snapshots: (config.snapshots.mode != snapshot::Mode::Off).then(|| config.snapshots.clone()),
        suites: config.suites.clone(),
        idp,
        deadline: (Instant::now(), config.max_time),
        contradicted: Mutex::default(),
        verbose: config.verbose,
        baseline: None,
    };
    let mut records = Vec::new();
    for planned in planned_checks(config, plan, &modes) {
        let record = match planned.check {
            selection::Check::Scenario { suite, index } => {
                run_scenario(&shared, &planned.profile, &suite, &suite.scenarios[index], config.read_only).await
            }
            selection::Check::Generated { what, mode } => {
                let properties =
                    config.properties.as_ref().expect("generated checks are planned only with their settings");
                tokio::task::block_in_place(|| {
                    run_property(&shared, &planned.profile, mode, what, properties, config.read_only)
                })
            }
        };
        records.push(record);
    }
    let cleanup = clean_up(&shared.registry, &client, &shared.run_prefix, config.read_only).await;
    if !cleanup.failed.is_empty() {
        return Err(format!("cleanup failed: {}", cleanup.failed.join("; ")));
    }
    Ok((records, cleanup))
}

impl RunConfig {
    /// A configuration for `base_url` with the shipped suites and fixtures, the `rfc` profile by default,
    /// and libtest's defaults.
    pub fn new(client: ClientConfig) -> RunConfig {
        RunConfig {
            client,
            profiles: Vec::new(),
            app: None,
            suites: Source::suites(),
            fixtures: Source::fixtures(),
            suite_pattern: None,
            read_only: false,
            no_auth: false,
            concurrency: 4,
            junit: None,
            json: None,
            markdown: None,
            verbose: false,
            properties: None,
            snapshots: snapshot::SnapshotConfig::default(),
            max_time: None,
            selection: Selection::default(),
            baseline: None,
            args: Arguments::default(),
        }
    }
}

/// Runs the profile's suites against `config.client.base_url`; returns the exit code.
pub fn run(config: RunConfig) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_CONFIG;
        }
    };
    run_on(&runtime, config)
}

/// The mode the bundled server runs in for a profile: the strict RFC server for `rfc`, the compat one
/// (what Entra ID and Okta need) for the identity-provider profiles.
pub fn server_mode_for(profile: &str) -> crate::server::ServerMode {
    if profile == "rfc" { crate::server::ServerMode::Strict } else { crate::server::ServerMode::Compat }
}

/// Starts the bundled reference server on an ephemeral loopback port and runs every suite against it.
pub fn selftest(mut config: RunConfig, mut server: crate::server::ServerConfig) -> u8 {
    // The bundled server plays one built for the app: it declares and stores the app's own extensions.
    // (An app that does not load is reported by the run.)
    if let Some(Ok(app)) = config.app.as_deref().map(|a| suite::load_app(&config.suites, a)) {
        server.user_extensions.extend(app.extensions.into_iter().map(|e| e.document));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return EXIT_CONFIG;
        }
    };
    let token = server.token.clone();
    let running = match runtime.block_on(crate::server::spawn(server)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the reference server on 127.0.0.1: {e}");
            return EXIT_CONFIG;
        }
    };
    config.client.base_url = running.base_url();
    config.client.credential = token.map_or(Credential::None, Credential::Bearer);
    let code = run_on(&runtime, config);
    let _ = runtime.block_on(running.shutdown());
    code
}

/// Every profile under `suites/profiles/` against the bundled server, each in the mode it is judged in:
/// `rfc` against the strict server, the identity-provider profiles against the compat one. Returns the
/// worst exit code.
pub fn selftest_every_profile(config: RunConfig, token: &str) -> u8 {
    if let Err(e) = config.snapshots.require_baseline() {
        eprintln!("error: {e}");
        return EXIT_CONFIG;
    }
    let profiles: Vec<String> = match config.suites.list("profiles", "toml") {
        Ok(files) => files.iter().filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned())).collect(),
        Err(e) => {
            eprintln!(
                "error: cannot list {}: {e}\n  fix: pass a suites directory holding profiles/ with --suite-dir DIR, \
                 or leave it out for the bundled suites",
                config.suites.path("profiles").display()
            );
            return EXIT_CONFIG;
        }
    };
    let all = profiles.clone();
    let mut groups: BTreeMap<bool, Vec<String>> = BTreeMap::new();
    for p in profiles {
        groups.entry(server_mode_for(&p) == crate::server::ServerMode::Strict).or_default().push(p);
    }
    let mut worst = EXIT_PASS;
    let mut ran = 0;
    // Strict (rfc) first, then the IdP profiles on the compat server.
    for (strict, profiles) in groups.into_iter().rev() {
        let mut c = config.clone();
        c.profiles = profiles;
        // A name filter may select checks of one group only: the other is not started at all.
        if !selects_any(&c) {
            continue;
        }
        ran += 1;
        let mode = if strict { crate::server::ServerMode::Strict } else { crate::server::ServerMode::Compat };
        println!(
            "\n=== {} against the bundled server in {} mode",
            c.profiles.join(", "),
            if strict { "strict" } else { "compat" }
        );
        let server = crate::server::ServerConfig { token: Some(token.to_string()), mode, ..Default::default() };
        worst = worst.max(selftest(c, server));
    }
    if ran == 0 {
        // Nothing selected anywhere: planning every profile reports the mistake (exit 2, no request sent).
        return run(RunConfig { profiles: all, ..config });
    }
    worst
}

/// Whether the configuration's selection picks at least one check (a configuration that does not load
/// counts as selecting, so that its run reports the load error).
fn selects_any(config: &RunConfig) -> bool {
    let Ok((profiles, _, modes)) = load_all(config) else { return true };
    let (mut selection, mut args) = (config.selection.clone(), config.args.clone());
    selection.absorb(&mut args);
    planned_checks(config, profiles, &modes).iter().any(|p| selection.selects(&p.name))
}

/// [`run`] on a runtime the caller owns (so a server can share it).
pub fn run_on(runtime: &tokio::runtime::Runtime, config: RunConfig) -> u8 {
    let (profiles, app, modes) = match load_all(&config) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_CONFIG;
        }
    };
    let mut args = config.args.clone();
    let mut selection = config.selection.clone();
    selection.absorb(&mut args);
    if args.test_threads.is_none() {
        args.test_threads = Some(config.concurrency.max(1));
    }
    // Decided before any request: a selection that runs nothing is a mistake, not a green run.
    let stale = if selection.list { Vec::new() } else { stale_snapshots(&config, &profiles) };
    let profile_names: Vec<String> = profiles.iter().map(|(p, _)| p.clone()).collect();
    let planned = planned_checks(&config, profiles, &modes);
    let selected: Vec<selection::Planned> = planned.iter().filter(|p| selection.selects(&p.name)).cloned().collect();
    if selected.is_empty() {
        eprintln!("error: {}", selection.nothing_selected(&planned));
        return EXIT_CONFIG;
    }
    if selection.list {
        selection::list(&selected);
        return EXIT_PASS;
    }
    let known = match load_baseline(&config, &planned) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_CONFIG;
        }
    };
    if let Err(e) = report::check_outputs(&config.outputs()) {
        eprintln!("error: {e}");
        return EXIT_CONFIG;
    }
    // Setup mistakes (URL, credential, connection, no SCIM there) stop the run before any check: one line
    // and exit 2, not thousands of failures.
    if let Err(problem) = runtime.block_on(preflight::preflight(&config.client, config.no_auth)) {
        eprintln!("{problem}");
        return EXIT_CONFIG;
    }
    let client = match Client::new(config.client.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n  fix: pass the SCIM base URL, e.g. --url https://example.com/scim/v2");
            return EXIT_CONFIG;
        }
    };
    let discovered = runtime.block_on(discover(&client));
    let run_prefix = format!("scimtest-{}", short_tag(&format!("{:?}{}", Instant::now(), std::process::id())));
    let registry = Arc::new(Registry::default());
    // Whoever cleans up holds this: the end of the run (through its reports) or the Ctrl-C task, never
    // both at once, so an interrupt during the final cleanup waits for it instead of cutting it short.
    let cleaning = Arc::new(tokio::sync::Mutex::new(()));
    let idp = idp_names(&config, &modes, app.as_ref());
    let idps = idp_profiles(&config, &modes, app.as_ref(), &idp);
    let shared = Arc::new(Shared {
        client: client.clone(),
        discovered,
        registry: registry.clone(),
        run_prefix: run_prefix.clone(),
        handle: runtime.handle().clone(),
        records: Mutex::new(Vec::new()),
        app,
        snapshots: (config.snapshots.mode != snapshot::Mode::Off).then(|| config.snapshots.clone()),
        suites: config.suites.clone(),
        idp,
        deadline: (Instant::now(), config.max_time),
        contradicted: Mutex::default(),
        verbose: config.verbose,
        baseline: known.clone(),
    });
    // Ctrl-C, SIGTERM or SIGHUP: stop sending, let the requests in flight land (their creations get
    // registered), delete what the run created and sweep its prefix, then stop.
    {
        let (registry, client, prefix, read_only, cleaning) =
            (registry.clone(), client.clone(), run_prefix.clone(), config.read_only, cleaning.clone());
        runtime.spawn(async move {
            let signal = interrupted().await;
            eprintln!(
                "\ninterrupted ({}): waiting for the requests in flight, then deleting what this run created \
                 (interrupt again to quit at once)…",
                signal.name
            );
            client.stop();
            let again = prefix.clone();
            tokio::spawn(async move {
                let second = interrupted().await;
                eprintln!("quit before cleanup: resources named `{again}…` may remain");
                std::process::exit(second.status);
            });
            let pending = client.drained(client.timeout() + std::time::Duration::from_secs(1)).await;
            let _cleaning = cleaning.lock().await;
            let cleaner = client.for_cleanup();
            let cleanup = clean_up(&registry, &cleaner, &prefix, read_only).await;
            if pending > 0 {
                eprintln!("cleanup: {pending} requests were still in flight");
            }
            for line in cleanup.lines() {
                eprintln!("{line}");
            }
            std::process::exit(signal.status);
        });
    }
    let started = Instant::now();
    // The records come back in completion order; reports list them in plan order (suite files' order), the
    // order the lifecycle view places steps outside the IdP's catalogue in.
    let plan_order: std::collections::HashMap<String, usize> =
        planned.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();
    let trials: Vec<Trial> = selected
        .into_iter()
        .map(|planned| {
            let shared = shared.clone();
            let (read_only, properties) = (config.read_only, config.properties.clone());
            let selection::Planned { name, profile, kind, check } = planned;
            Trial::ignorable_test(name, move || match check {
                selection::Check::Scenario { suite, index } => {
                    let scenario = &suite.scenarios[index];
                    conclude(
                        &shared,
                        shared.handle.block_on(run_scenario(&shared, &profile, &suite, scenario, read_only)),
                    )
                }
                selection::Check::Generated { what, mode } => {
                    let properties = properties.expect("generated checks are planned only with their settings");
                    conclude(&shared, run_property(&shared, &profile, mode, what, &properties, read_only))
                }
            })
            .with_kind(kind)
        })
        .collect();
    let json_console = args.format == Some(libtest_mimic::FormatSetting::Json);
    console::run_trials(&args, trials);
    if client.stopped() {
        // Interrupted: the Ctrl-C task cleans up and ends the process; the summary would only list
        // requests that were never sent.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    let _cleaning = runtime.block_on(cleaning.lock_owned());
    // Its own gate: an interrupt from here on must not stop the cleanup.
    let cleaner = client.for_cleanup();
    let cleanup = runtime.block_on(clean_up(&registry, &cleaner, &run_prefix, config.read_only));
    let mut records = std::mem::take(&mut *shared.records.lock().expect("records lock"));
    records.sort_by_key(|r| plan_order.get(&r.name).copied().unwrap_or(usize::MAX));
    let mut summary = Summary::of(&records);
    if let Some(known) = &known {
        let applied =
            known.apply(&records, &summary.causes, baseline::Date::today(), narrowed(&config, &selection, &records));
        summary = summary.with_baseline(&records, applied);
    }
    summary.readiness = report::readiness(&records, &summary.causes, &idps);
    let elapsed = started.elapsed();
    eprintln!();
    let notes: Vec<String> = shared
        .discovered
        .notes
        .iter()
        .cloned()
        .chain(shared.spc_contradictions())
        .chain(read_only_note(&records))
        .collect();
    for note in &notes {
        eprintln!("note: {note}");
    }
    for line in cleanup.lines() {
        eprintln!("{line}");
    }
    let meta = report::RunMeta {
        target: client.base_url().to_string(),
        profile: profile_names.join(", "),
        run_prefix,
        duration: elapsed,
        cleanup,
        timings: client.timings().report(),
        notes,
    };
    // A report that cannot be written fails the run (exit 2), whatever the verdict: CI must not read an
    // old or missing file as this run's.
    let mut written = true;
    if let Some(path) = &config.json
        && let Err(e) = report::write_json(path, &meta, &summary, &records)
    {
        eprintln!(
            "error: cannot write the JSON report {}: {e}\n  fix: check the path and the free space",
            path.display()
        );
        written = false;
    }
    if let Some(path) = &config.junit
        && let Err(e) = report::write_junit(path, &meta, &summary, &records)
    {
        eprintln!(
            "error: cannot write the JUnit report {}: {e}\n  fix: check the path and the free space",
            path.display()
        );
        written = false;
    }
    if let Some(path) = &config.markdown
        && let Err(e) = report::write_markdown(path, &meta, &summary)
    {
        eprintln!(
            "error: cannot write the Markdown summary {}: {e}\n  fix: check the path and the free space",
            path.display()
        );
        written = false;
    }
    if !stale.is_empty() {
        let update = config.snapshots.mode == snapshot::Mode::Update;
        eprintln!(
            "note: {} snapshot file{} no scenario produces any more (renamed or removed){}:",
            stale.len(),
            if stale.len() == 1 { "" } else { "s" },
            if update { "; deleted" } else { "; --snapshots update deletes them" }
        );
        for f in &stale {
            eprintln!("  {}", f.display());
            if update {
                let _ = std::fs::remove_file(f);
            }
        }
    }
    let human = [
        timing::render(&meta.timings),
        report::lifecycle_view(&summary.readiness, &summary.causes),
        summary.render(&meta),
    ];
    console::human(&human.concat(), json_console);
    if !written {
        return EXIT_CONFIG;
    }
    if let Some(line) = report::nothing_tested(&records) {
        eprintln!("error: {line}");
        return EXIT_CONFIG;
    }
    if summary.passes() { EXIT_PASS } else { EXIT_MUST_FAILED }
}

/// The run's baseline (`--baseline`), read and checked against every planned trial name.
fn load_baseline(
    config: &RunConfig,
    planned: &[selection::Planned],
) -> Result<Option<baseline::Baseline>, baseline::BaselineError> {
    let Some(file) = &config.baseline else { return Ok(None) };
    let known = baseline::Baseline::load(file)?;
    let names: Vec<&str> = planned.iter().map(|p| p.name.as_str()).collect();
    known.check_names(&names)?;
    Ok(Some(known))
}

/// Whether the run left planned checks out (a name filter, `--suite`, `--read-only`, `--max-time`): a
/// waived root cause that did not appear may then just not have been tried.
fn narrowed(config: &RunConfig, selection: &Selection, records: &[Record]) -> bool {
    let out_of_time = records.iter().any(
        |r| matches!(&r.outcome, Outcome::Blocked(f) if f.problems.iter().any(|p| p.kind == ProblemKind::Deadline)),
    );
    config.suite_pattern.is_some()
        || config.read_only
        || !selection.filters.is_empty()
        || !selection.skip.is_empty()
        || out_of_time
}

/// Snapshot files under the planned profiles (and suites, with `--suite`) that no planned scenario
/// produces. Scenarios skipped or filtered out still count as producing theirs.
fn stale_snapshots(config: &RunConfig, plan: &Plan) -> Vec<PathBuf> {
    let c = &config.snapshots;
    if c.mode == snapshot::Mode::Off {
        return Vec::new();
    }
    let mut referenced = std::collections::HashSet::new();
    let mut dirs = Vec::new();
    for (profile, suites) in plan {
        if config.suite_pattern.is_none() {
            dirs.push(c.dir.join(&c.target).join(profile));
        }
        for suite in suites {
            if config.suite_pattern.is_some() {
                dirs.push(c.dir.join(&c.target).join(profile).join(&suite.name));
            }
            for scenario in &suite.scenarios {
                referenced.insert(c.file(profile, &suite.name, &scenario.name));
            }
        }
    }
    dirs.iter().flat_map(|d| snapshot::unreferenced(d, &referenced)).collect()
}

/// What library mode says when it tests the bundled server instead of the caller's endpoint.
pub const BUNDLED_SERVER_BANNER: &str = "\
=== scimtest: SCIM_BASE_URL is not set, so this tests scimtest's BUNDLED REFERENCE SERVER, NOT YOUR ENDPOINT ===
    set SCIM_BASE_URL (and SCIM_TOKEN) to check yours: SCIM_BASE_URL=https://… cargo test --test scim";

/// For a Rust project's own `tests/scim.rs` (`harness = false`): runs the suites inside `cargo test`.
///
/// The target comes from the environment — `SCIM_BASE_URL`, `SCIM_TOKEN`, and optionally
/// `SCIM_PROFILE` (default `rfc`), `SCIM_JUNIT` and `SCIM_JSON` (report files), `SCIM_SNAPSHOTS`
/// (`check`, `update`; default off), `SCIM_TARGET` and `SCIM_SNAPSHOT_DIR` (default `snapshots`) — and the command line
/// takes libtest's arguments (name filters, `--exact`, `--list`, `--test-threads` …). Without
/// `SCIM_BASE_URL` the suites run against the bundled reference server, which shows what passing looks
/// like; the summary says which target was used.
pub fn main_from_env() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let seed = match env("SCIM_SEED").map(|s| property::parse_seed(&s)).transpose() {
        Ok(seed) => seed.unwrap_or(property::DEFAULT_SEED),
        Err(e) => {
            eprintln!("error: SCIM_SEED: {e}");
            return std::process::ExitCode::from(EXIT_CONFIG);
        }
    };
    let mut config = RunConfig {
        client: ClientConfig::new(env("SCIM_BASE_URL").unwrap_or_default()),
        profiles: env("SCIM_PROFILE").map(|p| p.split(',').map(|x| x.trim().to_string()).collect()).unwrap_or_default(),
        app: env("SCIM_APP"),
        suites: Source::dir_or(env("SCIMTEST_SUITES").map(PathBuf::from), crate::bundle::Bundle::Suites),
        fixtures: Source::dir_or(env("SCIMTEST_FIXTURES").map(PathBuf::from), crate::bundle::Bundle::Fixtures),
        suite_pattern: None,
        read_only: env("SCIM_READ_ONLY").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        no_auth: env("SCIM_NO_AUTH").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        concurrency: 4,
        junit: env("SCIM_JUNIT").map(PathBuf::from),
        json: env("SCIM_JSON").map(PathBuf::from),
        markdown: env("SCIM_MARKDOWN").map(PathBuf::from),
        verbose: env("SCIM_VERBOSE").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        properties: Some(property::PropertyConfig { seed, ..property::PropertyConfig::default() }),
        snapshots: snapshot::SnapshotConfig::default(),
        max_time: env("SCIM_MAX_TIME").and_then(|s| s.parse().ok()).map(std::time::Duration::from_secs),
        selection: Selection::default(),
        baseline: env("SCIM_BASELINE").map(PathBuf::from),
        args,
    };
    config.client.credential =
        match Credential::from_cli(env("SCIM_TOKEN"), env("SCIM_BASIC_USER"), env(crate::client::PASSWORD_ENV)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return std::process::ExitCode::from(EXIT_CONFIG);
            }
        };
    if let Some(mode) = env("SCIM_SNAPSHOTS") {
        match mode.parse() {
            Ok(mode) => config.snapshots.mode = mode,
            Err(e) => {
                eprintln!("error: SCIM_SNAPSHOTS: {e}");
                return std::process::ExitCode::from(EXIT_CONFIG);
            }
        }
    }
    config.snapshots.dir = env("SCIM_SNAPSHOT_DIR").map_or_else(|| PathBuf::from("snapshots"), PathBuf::from);
    config.snapshots.ci = snapshot::is_ci(|k| std::env::var(k).ok());
    let target = env("SCIM_TARGET").or_else(|| {
        if config.client.base_url.is_empty() {
            Some("reference".into())
        } else {
            snapshot::target_from_url(&config.client.base_url)
        }
    });
    config.snapshots.target = target.unwrap_or_else(|| "default".into());
    if let Err(e) = snapshot::check_target(&config.snapshots.target) {
        eprintln!("error: SCIM_TARGET: {e}");
        return std::process::ExitCode::from(EXIT_CONFIG);
    }
    // Minimal failing inputs go under the working directory, per target; the bundled server keeps none.
    if let Some(p) = config.properties.as_mut() {
        p.regressions = env("SCIM_REGRESSIONS").map(PathBuf::from).or_else(|| {
            (!config.client.base_url.is_empty()).then(|| property::default_regressions_dir(&config.snapshots.target))
        });
    }
    let code = if config.client.base_url.is_empty() {
        // Said before and after, where nobody can miss it: a green `cargo test` here proves nothing about
        // the vendor's own endpoint.
        eprintln!("{BUNDLED_SERVER_BANNER}");
        let token = format!("local-{}", std::process::id());
        config.client.credential = Credential::Bearer(token.clone());
        let mode = server_mode_for(&config.main_profile());
        let code = selftest(config, crate::server::ServerConfig { token: Some(token), mode, ..Default::default() });
        eprintln!("{BUNDLED_SERVER_BANNER}");
        code
    } else {
        run(config)
    };
    std::process::ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step with nothing but a method and a path.
    fn plain_step(method: suite::Method, path: &str) -> Step {
        Step {
            name: None,
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            auth: Auth::Token,
            accept: None,
            content_type: String::new(),
            body: Body::None,
            expect: suite::Expect::default(),
            capture: Vec::new(),
            snapshot: None,
        }
    }

    fn exchange(status: u16, body: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: "http://x/Users".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(status),
            response_headers: Vec::new(),
            response_body: body.into(),
            error: None,
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn a_filter_the_server_declines_with_invalid_filter_is_declined_unless_the_step_asked_for_400() {
        let step = |status: Vec<u16>| Step {
            query: vec![("filter".into(), "title pr".into())],
            expect: suite::Expect { status, ..Default::default() },
            ..plain_step(suite::Method::Get, "/Users")
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
    fn the_service_provider_config_is_read_leniently() {
        let spc = serde_json::json!({
            "patch": true, "bulk": {"supported": "true"}, "FILTER": {"supported": "False"},
            "sort": {"supported": 1}, "etag": {"supported": "maybe"}
        });
        assert_eq!(advertised(&spc, "patch"), Some(true));
        assert_eq!(advertised(&spc, "bulk"), Some(true));
        assert_eq!(advertised(&spc, "filter"), Some(false), "names are case-insensitive");
        assert_eq!(advertised(&spc, "sort"), Some(true));
        assert_eq!(advertised(&spc, "etag"), None, "unreadable: assumed supported by discover()");
        assert_eq!(advertised(&spc, "changePassword"), None);
    }

    #[test]
    fn setup_steps_are_creates_and_lookups_with_steps_after_them() {
        let step = |method: suite::Method, path: &str, capture: bool| Step {
            capture: if capture { vec![("user".into(), String::new())] } else { Vec::new() },
            ..plain_step(method, path)
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
        assert_eq!(step_kind(&steps[2]), "PATCH /Users/{id}");
        let inline = step(suite::Method::Get, "/Users?filter=userName%20eq%20%22x%22&count=2", false);
        assert_eq!(step_kind(&inline), "GET /Users?filter&count", "query values never split a root cause");
    }

    #[test]
    fn what_the_run_deletes_is_always_one_resource_by_one_segment() {
        let base = "https://scim.example.com/v2";
        // A Location must be the base, a collection and one segment; the segment is re-encoded.
        assert_eq!(relative("https://scim.example.com/v2/Users/abc", base).as_deref(), Some("/Users/abc"));
        assert_eq!(relative("/v2/Groups/a%20b", base).as_deref(), Some("/Groups/a%20b"));
        assert_eq!(relative("https://scim.example.com/v2/Users/x%2Fy", base).as_deref(), Some("/Users/x%2Fy"));
        for hostile in [
            "https://scim.example.com/v2/Users/../Users/canary",
            "https://scim.example.com/v2/Users/%2e%2e",
            "https://scim.example.com/v2/Groups/x/Users/victim",
            "https://scim.example.com/other/Users/abc",
            "https://scim.example.com/v2/Users/",
            "https://scim.example.com/v2/Users",
        ] {
            assert_eq!(relative(hostile, base), None, "{hostile}");
        }
        // An id becomes one encoded segment, or nothing.
        assert_eq!(resource_path("/Users", "a/b?c").as_deref(), Some("/Users/a%2Fb%3Fc"));
        assert_eq!(resource_path("/Users", ".."), None);
        assert_eq!(resource_path("/Users", ""), None);
        // A PUT that created names its resource; a collection is never registered.
        assert_eq!(put_target("/Users/abc").as_deref(), Some("/Users/abc"));
        assert_eq!(put_target("/Users"), None);
        assert_eq!(put_target("/Users/a/b"), None);
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
