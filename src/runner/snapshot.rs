//! Response snapshots: a drift gate for a vendor's CI (docs/snapshots.md).
//!
//! Each scenario's answers — status, a few headers, the body — are redacted into a document that is the
//! same on every run against an unchanged server, and kept as an insta snapshot file,
//! `<dir>/<target>/<profile>/<suite>/<scenario>.snap`. `check` compares: on drift it names the fields
//! that changed and shows a line diff, and writes the new document as a `.snap.new` file that
//! `cargo insta review` reviews (not under CI, where nothing is written and a missing snapshot fails).
//! `update` accepts what the run saw.
//!
//! The files are read with insta's own reader, so what `cargo insta` accepts is what scimtest reads. They
//! are written here: insta's writer is only reachable through its assertion macros, which read their
//! settings from the environment, print to stderr and panic, and none of that suits a runner that may be
//! an installed binary far from any cargo workspace.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::client::Exchange;
use crate::suite::{Selector, StepSnapshot};

/// What a run does with snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// No snapshots are read or written.
    #[default]
    Off,
    /// Compare with the stored snapshots; drift fails the scenario.
    Check,
    /// Store what the run saw as the new baseline.
    Update,
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Mode, String> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "check" => Ok(Mode::Check),
            "update" => Ok(Mode::Update),
            _ => Err(format!("snapshot mode `{s}`: use check, update or off")),
        }
    }
}

/// Where snapshots live and what a run does with them.
#[derive(Debug, Clone, Default)]
pub struct SnapshotConfig {
    pub mode: Mode,
    /// The snapshots directory (`snapshots`); each target has a folder in it.
    pub dir: PathBuf,
    /// The target's folder name: `--target`, or derived from the host ([`target_from_url`]).
    pub target: String,
    /// Redactions for every step, on top of the suites' own (`--redact`).
    pub redact: Vec<Selector>,
    /// Under CI nothing is written in `check` mode, so a missing snapshot fails instead of being recorded.
    pub ci: bool,
}

impl SnapshotConfig {
    /// The snapshot file of a scenario.
    pub fn file(&self, profile: &str, suite: &str, scenario: &str) -> PathBuf {
        self.dir.join(&self.target).join(profile).join(suite).join(format!("{scenario}.snap"))
    }
}

/// Where snapshots live unless `--snapshot-dir` says otherwise: `snapshots/` in the current directory
/// (run from this repository, the committed baseline of the bundled server is `snapshots/reference/`).
pub fn default_dir() -> PathBuf {
    PathBuf::from("snapshots")
}

impl SnapshotConfig {
    /// For `selftest --snapshots check`: the baseline must be there, else every scenario would only be
    /// recorded as new and the check would compare nothing.
    pub fn require_baseline(&self) -> Result<(), String> {
        let folder = self.dir.join(&self.target);
        if self.mode != Mode::Check || folder.is_dir() {
            return Ok(());
        }
        Err(format!(
            "no snapshots to check against in {}\n  fix: run from the scimtest repository (its snapshots/{} is the \
             committed baseline), or pass --snapshot-dir DIR",
            folder.display(),
            self.target
        ))
    }
}

/// Whether the environment says this is a CI run (`CI` set to anything but `false`/`0`/empty, or Azure's
/// `TF_BUILD`) — the rule insta itself follows.
pub fn is_ci(var: impl Fn(&str) -> Option<String>) -> bool {
    match var("CI").as_deref() {
        Some("false" | "0" | "") => false,
        Some(_) => true,
        None => var("TF_BUILD").is_some(),
    }
}

/// Checks a target name (`--target`, `SCIM_TARGET`): one plain folder name, so snapshots stay inside the
/// snapshot directory.
pub fn check_target(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
        return Err(format!("target `{name}` is not a folder name\n  fix: use a plain name, e.g. --target staging"));
    }
    Ok(())
}

/// A folder name for a target from its base URL: the host, and the port when one is given
/// (`https://acme.example.com/scim/v2` → `acme.example.com`, `http://127.0.0.1:8080/x` → `127.0.0.1_8080`).
pub fn target_from_url(url: &str) -> Option<String> {
    // A URL without a scheme (`127.0.0.1:8080/scim`) still names its host; pre-flight reports the scheme.
    let url = reqwest::Url::parse(url)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| reqwest::Url::parse(&format!("http://{url}")).ok())?;
    let host = url.host_str()?.trim_matches(['[', ']']);
    let name = match url.port() {
        Some(port) => format!("{host}_{port}"),
        None => host.to_string(),
    };
    Some(name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect())
}

/// One step's exchange as a snapshot keeps it.
#[derive(Debug, Clone)]
pub struct Taken {
    /// `POST /Users`, with the query, as sent.
    pub request: String,
    pub exchange: Exchange,
    pub spec: StepSnapshot,
}

/// What a run knows that makes answers vary between runs.
#[derive(Debug, Clone)]
pub struct Volatile {
    /// The base URL (`http://127.0.0.1:4321/scim/v2`).
    pub base_url: String,
    /// The run prefix every created name starts with.
    pub run: String,
    /// The scenario's tag in `${name:x}` values.
    pub scenario_tag: String,
    /// Values that must never be stored (the token and sensitive headers; see `Client::secrets`).
    pub secrets: Vec<String>,
}

/// How a scenario's snapshot ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    /// No snapshot yet (check mode); `pending` is the `.snap.new` written, if any.
    New {
        file: PathBuf,
        pending: Option<PathBuf>,
    },
    /// Drift (check mode): the changed fields and a line diff.
    Changed {
        file: PathBuf,
        pending: Option<PathBuf>,
        fields: Vec<String>,
        diff: String,
    },
    /// Update mode stored a new or changed snapshot.
    Written {
        file: PathBuf,
        was_new: bool,
    },
    /// The snapshot could not be read or written.
    Error(String),
}

impl Verdict {
    /// Whether the run fails because of it.
    pub fn fails(&self) -> bool {
        matches!(self, Verdict::New { .. } | Verdict::Changed { .. } | Verdict::Error(_))
    }

    /// One word for reports: matched, new, changed, written, error.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Matched => "matched",
            Verdict::New { .. } => "new",
            Verdict::Changed { .. } => "changed",
            Verdict::Written { .. } => "written",
            Verdict::Error(_) => "error",
        }
    }

    /// The snapshot file, when there is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Verdict::New { file, .. } | Verdict::Changed { file, .. } | Verdict::Written { file, .. } => Some(file),
            _ => None,
        }
    }

    /// What a person reads: what drifted, the diff, and how to accept or review it.
    pub fn message(&self, ci: bool) -> String {
        let review = |pending: &Option<PathBuf>| match pending {
            Some(p) => format!(
                "the new answers are in {}\n  review: cargo insta review (or --snapshots update to accept every change)",
                p.display()
            ),
            None if ci => "CI is set, so nothing was written: reproduce locally and run with --snapshots update, \
                           then commit the snapshot"
                .to_string(),
            None => "run with --snapshots update to accept it".to_string(),
        };
        match self {
            Verdict::Matched => "snapshot matched".into(),
            Verdict::Written { file, was_new } => {
                format!("snapshot {} {}", if *was_new { "recorded in" } else { "updated in" }, file.display())
            }
            Verdict::New { file, pending } => {
                format!("snapshot: there is no {} yet\n  {}", file.display(), review(pending))
            }
            Verdict::Changed { file, pending, fields, diff } => {
                let mut out = format!("snapshot drift: the answers differ from {}\n", file.display());
                out.push_str("changed:\n");
                for f in fields {
                    let _ = writeln!(out, "  {f}");
                }
                out.push_str("diff (- snapshot, + this run):\n");
                for line in diff.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                out.push_str("  ");
                out.push_str(&review(pending));
                out
            }
            Verdict::Error(e) => format!("snapshot: {e}"),
        }
    }
}

/// The scenario's redacted answers as the snapshot document.
pub fn document(taken: &[Taken], volatile: &Volatile, extra: &[Selector]) -> Value {
    let mut redactor = Redactor::learnt(volatile, taken);
    Value::Array(taken.iter().map(|t| redactor.step(t, extra)).collect())
}

/// The text a snapshot stores for a document.
pub fn render(document: &Value) -> String {
    serde_json::to_string_pretty(document).expect("JSON values serialize")
}

/// Compares (check) or stores (update) a scenario's snapshot.
pub fn settle(config: &SnapshotConfig, file: &Path, source: &str, description: &str, document: &Value) -> Verdict {
    let now = render(document);
    let pending = file.with_extension("snap.new");
    let stored = match std::fs::metadata(file) {
        Ok(_) => match read_contents(file) {
            Ok(text) => Some(text),
            Err(e) => return Verdict::Error(format!("cannot read {}: {e}", file.display())),
        },
        Err(_) => None,
    };
    let same = stored.as_deref().is_some_and(|s| normalize(s) == normalize(&now));
    if same {
        // A stale pending file would show up in `cargo insta review` for a snapshot that now matches.
        let _ = std::fs::remove_file(&pending);
        return Verdict::Matched;
    }
    let header = Header { source, description, target: &config.target };
    match config.mode {
        Mode::Off => Verdict::Matched,
        Mode::Update => match write(file, &header, &now) {
            Ok(()) => {
                let _ = std::fs::remove_file(&pending);
                Verdict::Written { file: file.to_path_buf(), was_new: stored.is_none() }
            }
            Err(e) => Verdict::Error(format!(
                "cannot write {}: {e}\n  fix: check that the snapshots directory is writable (--snapshot-dir)",
                file.display()
            )),
        },
        Mode::Check => {
            let pending = if config.ci {
                None
            } else {
                match write(&pending, &header, &now) {
                    Ok(()) => Some(pending),
                    Err(e) => {
                        return Verdict::Error(format!(
                            "cannot write {}: {e}\n  fix: check that the snapshots directory is writable (--snapshot-dir)",
                            pending.display()
                        ));
                    }
                }
            };
            match stored {
                None => Verdict::New { file: file.to_path_buf(), pending },
                Some(old) => {
                    let fields = match serde_json::from_str::<Value>(&old) {
                        Ok(old) => changes(&old, document),
                        Err(_) => vec!["the stored snapshot is not a scimtest document".into()],
                    };
                    Verdict::Changed { file: file.to_path_buf(), pending, fields, diff: line_diff(&old, &now) }
                }
            }
        }
    }
}

/// The `.snap` files under `dir` that no planned scenario produces (renamed or removed scenarios).
pub fn unreferenced(dir: &Path, referenced: &std::collections::HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "snap") && !referenced.contains(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn normalize(s: &str) -> String {
    s.trim_end().replace("\r\n", "\n")
}

/// The contents of a snapshot file, through insta's reader.
fn read_contents(file: &Path) -> Result<String, String> {
    let snapshot = insta::Snapshot::from_file(file).map_err(|e| e.to_string())?;
    snapshot.as_text().map(|t| t.to_string()).ok_or_else(|| "it is a binary snapshot".to_string())
}

struct Header<'a> {
    source: &'a str,
    description: &'a str,
    target: &'a str,
}

/// insta's file format: a YAML header between `---` lines, then the contents.
fn write(file: &Path, header: &Header, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // JSON strings are YAML double-quoted scalars, so every value is quoted safely.
    let q = |s: &str| serde_json::to_string(s).expect("strings serialize");
    let text = format!(
        "---\nsource: {}\ndescription: {}\nexpression: {}\n---\n{}\n",
        q(header.source),
        q(header.description),
        q(&format!("the scenario's answers, redacted (target {})", header.target)),
        contents.trim_end()
    );
    // Written whole and then renamed, so an interrupted run never leaves half a snapshot.
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

fn line_diff(old: &str, new: &str) -> String {
    const MAX_LINES: usize = 60;
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(2).header("snapshot", "this run").to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text;
    }
    let mut out = lines[..MAX_LINES].join("\n");
    let _ = write!(out, "\n… {} more diff lines", lines.len() - MAX_LINES);
    out
}

/// The fields that differ, by step: `step 1 POST /Users: body.password added`.
fn changes(old: &Value, new: &Value) -> Vec<String> {
    const MAX: usize = 20;
    let empty = Vec::new();
    let (old_steps, new_steps) = (old.as_array().unwrap_or(&empty), new.as_array().unwrap_or(&empty));
    let mut out = Vec::new();
    for i in 0..old_steps.len().max(new_steps.len()) {
        let label = |s: &Value| format!("step {} {}", i + 1, s.get("request").and_then(Value::as_str).unwrap_or("?"));
        match (old_steps.get(i), new_steps.get(i)) {
            (Some(o), Some(n)) => {
                let mut fields = Vec::new();
                diff_values("", o, n, &mut fields);
                out.extend(fields.into_iter().map(|f| format!("{}: {f}", label(n))));
            }
            (None, Some(n)) => out.push(format!("{}: a step the snapshot does not have", label(n))),
            (Some(o), None) => out.push(format!("{}: no longer answered (the scenario stopped earlier)", label(o))),
            (None, None) => {}
        }
    }
    if out.len() > MAX {
        let more = out.len() - MAX;
        out.truncate(MAX);
        out.push(format!("… and {more} more"));
    }
    out
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
}

fn diff_values(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, ov) in o {
                match n.get(k) {
                    Some(nv) => diff_values(&join(k), ov, nv, out),
                    None => out.push(format!("{} removed (was {})", join(k), short(ov))),
                }
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    out.push(format!("{} added ({})", join(k), short(nv)));
                }
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            for i in 0..o.len().max(n.len()) {
                let at = format!("{path}[{i}]");
                match (o.get(i), n.get(i)) {
                    (Some(ov), Some(nv)) => diff_values(&at, ov, nv, out),
                    (Some(ov), None) => out.push(format!("{at} removed (was {})", short(ov))),
                    (None, Some(nv)) => out.push(format!("{at} added ({})", short(nv))),
                    (None, None) => {}
                }
            }
        }
        (o, n) if o != n => out.push(format!("{path}: {} → {}", short(o), short(n))),
        _ => {}
    }
}

// ----- order ---------------------------------------------------------------------------------------

/// Whether the request asked for an order (`sortBy`, in the query or a `POST /.search` body): only then
/// does the order of a ListResponse's `Resources` belong to the server's behaviour (RFC 7644 §3.4.2.3).
fn sorted_request(ex: &Exchange) -> bool {
    let in_query = reqwest::Url::parse(&ex.url)
        .map(|u| u.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case("sortBy")))
        .unwrap_or(false);
    let in_body = ex
        .request_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
        .and_then(|b| b.as_object().map(|o| o.keys().any(|k| k.eq_ignore_ascii_case("sortBy"))))
        .unwrap_or(false);
    in_query || in_body
}

/// Puts every list whose order the server does not promise into one canonical order, by each element's
/// redacted JSON text, so two runs against an unchanged server store the same document:
///
/// * a ListResponse's `Resources`, unless the request had `sortBy` (RFC 7644 §3.4.2.3: only `sortBy`
///   orders the results; without it the order is the server's choice);
/// * multi-valued attributes (`emails`, `members`, `groups`, `schemas` …), whose elements RFC 7643 §2.4
///   gives no order (of `schemas`, RFC 7643 §3: "Value order is not specified and MUST NOT impact
///   behavior").
///
/// A BulkResponse's `Operations` keep their order: each answers the request's operation at that place.
fn canonical_order(v: &mut Value, keep_resources_order: bool) {
    fn walk(v: &mut Value, key: Option<&str>, keep_resources_order: bool, top: bool) {
        match v {
            Value::Object(o) => {
                for (k, child) in o.iter_mut() {
                    walk(child, Some(k), keep_resources_order, false);
                }
            }
            Value::Array(items) => {
                for item in items.iter_mut() {
                    walk(item, None, keep_resources_order, false);
                }
                let ordered = match key {
                    Some("Operations") => true,
                    Some("Resources") => top && keep_resources_order,
                    _ => false,
                };
                if !ordered {
                    items.sort_by_cached_key(|item| item.to_string());
                }
            }
            _ => {}
        }
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                walk(child, Some(k), keep_resources_order, true);
            }
        }
        other => walk(other, None, keep_resources_order, false),
    }
}

// ----- redaction ------------------------------------------------------------------------------------

/// Replaces what varies between runs with stable placeholders. Ids become `[User 1]`, `[Group 2]` … in
/// the order they first appear in the scenario, so `members[0].value` still says which user it is.
///
/// Only the scenario's own resources are kept: those it created or read one by one. A list answer's
/// other entries — other scenarios' users, or a vendor's real ones — become [`NOT_OURS`], so no
/// snapshot ever stores data the run did not create.
struct Redactor {
    base: String,
    origin: String,
    run: String,
    name_prefix: String,
    secrets: Vec<String>,
    /// (id, placeholder), in order of appearance.
    ids: Vec<(String, String)>,
    /// The same, longest id first (so no id is replaced inside a longer one); made after learning.
    longest_first: Vec<(String, String)>,
    per_type: BTreeMap<String, usize>,
    /// (entity tag, placeholder).
    versions: Vec<(String, String)>,
    /// Timestamps the server wrote (`meta.created`, `meta.lastModified`), replaced wherever they recur.
    times: Vec<String>,
}

/// What a list entry the scenario did not create becomes.
pub const NOT_OURS: &str = "[not created by this scenario]";

/// What an entry of a partial page becomes when the request had no `sortBy`: which of the matching
/// resources land on which page is then the server's choice, not its behaviour.
pub const ON_SOME_PAGE: &str = "[one of this scenario's resources]";

/// Headers every snapshot keeps.
const HEADERS: [&str; 3] = ["content-type", "location", "etag"];

/// Keys whose string values are timestamps of the server's clock.
const TIMESTAMPS: [&str; 2] = ["created", "lastModified"];

/// A member that holds a timestamp of the server's clock: one of [`TIMESTAMPS`], with an xsd:dateTime.
fn is_timestamp(key: &str, value: &str) -> bool {
    TIMESTAMPS.iter().any(|t| t.eq_ignore_ascii_case(key)) && crate::value::DateTime::parse(value).is_some()
}

impl Redactor {
    /// A redactor that has read every step the scenario kept, so placeholders follow first appearance.
    fn learnt(v: &Volatile, taken: &[Taken]) -> Redactor {
        let mut redactor = Redactor::new(v);
        for t in taken {
            redactor.learn(t);
        }
        redactor.longest_first = redactor.ids.clone();
        redactor.longest_first.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
        redactor
    }

    fn new(v: &Volatile) -> Redactor {
        let base = v.base_url.trim_end_matches('/').to_string();
        let origin =
            reqwest::Url::parse(&base).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| base.clone());
        Redactor {
            base,
            origin,
            run: v.run.clone(),
            name_prefix: format!("{}-{}", v.run, v.scenario_tag),
            secrets: v.secrets.clone(),
            ids: Vec::new(),
            longest_first: Vec::new(),
            per_type: BTreeMap::new(),
            versions: Vec::new(),
            times: Vec::new(),
        }
    }

    fn add_id(&mut self, id: &str, kind: &str) {
        if id.is_empty() || self.ids.iter().any(|(known, _)| known == id) {
            return;
        }
        let n = self.per_type.entry(kind.to_string()).or_default();
        *n += 1;
        self.ids.push((id.to_string(), format!("[{kind} {n}]")));
    }

    fn version(&mut self, tag: &str) -> String {
        if let Some((_, p)) = self.versions.iter().find(|(t, _)| t == tag) {
            return p.clone();
        }
        let p = format!("[version {}]", self.versions.len() + 1);
        self.versions.push((tag.to_string(), p.clone()));
        p
    }

    /// An id from a resource URL (`…/Users/<id>`).
    fn learn_url(&mut self, url: &str) {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let mut segments = path.trim_end_matches('/').rsplit('/');
        if let (Some(id), Some(collection)) = (segments.next(), segments.next()) {
            let kind = match collection {
                "Users" => "User",
                "Groups" => "Group",
                _ => return,
            };
            self.add_id(id, kind);
        }
    }

    fn learn_json(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                if let Some(id) = o.get("id").and_then(Value::as_str) {
                    let kind = o
                        .get("meta")
                        .and_then(|m| m.get("resourceType"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| {
                            let schemas = o.get("schemas")?.as_array()?;
                            let core = schemas.iter().filter_map(Value::as_str).find(|s| s.contains(":core:"))?;
                            core.rsplit(':').next().map(str::to_string)
                        })
                        .unwrap_or_else(|| "resource".into());
                    self.add_id(id, &kind);
                }
                for (k, child) in o {
                    match child {
                        Value::String(s) if k.eq_ignore_ascii_case("location") => self.learn_url(s),
                        Value::String(s) if k.eq_ignore_ascii_case("version") => {
                            self.version(s);
                        }
                        // Only real xsd:dateTimes: an empty or odd value stays visible as what it is.
                        Value::String(s) if is_timestamp(k, s) => {
                            if !self.times.contains(s) {
                                self.times.push(s.clone());
                            }
                        }
                        _ => self.learn_json(child),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| self.learn_json(c)),
            _ => {}
        }
    }

    fn learn(&mut self, t: &Taken) {
        if let Some(l) = t.exchange.header("location") {
            self.learn_url(l);
        }
        if let Some(e) = t.exchange.header("etag") {
            self.version(e);
        }
        match t.exchange.json() {
            // A list's entries are learnt only where the scenario met them on their own.
            Some(Value::Object(mut o)) if o.get("Resources").is_some_and(Value::is_array) => {
                o.shift_remove("Resources");
                self.learn_json(&Value::Object(o));
            }
            Some(body) => self.learn_json(&body),
            None => {}
        }
    }

    fn ours(&self, entry: &Value) -> bool {
        entry.get("id").and_then(Value::as_str).is_some_and(|id| self.ids.iter().any(|(known, _)| known == id))
    }

    /// A string with everything volatile in it replaced.
    fn string(&mut self, s: &str) -> String {
        if let Some((_, p)) = self.ids.iter().find(|(id, _)| id == s) {
            return p.clone();
        }
        if let Some((_, p)) = self.versions.iter().find(|(t, _)| t == s) {
            return p.clone();
        }
        let mut out = s.to_string();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), crate::client::HIDDEN);
        }
        out = self.entity_tags(&out);
        for t in &self.times {
            out = out.replace(t.as_str(), "[datetime]");
        }
        out = out.replace(&self.base, "[base]").replace(&self.origin, "[origin]");
        out = out.replace(&self.name_prefix, "[run]-[scenario]");
        if self.run.len() >= 8 {
            out = out.replace(&self.run, "[run]");
        }
        // Long ids are unique enough to replace anywhere (error details, URLs); short ones (a vendor's
        // `42`) only as a whole path segment or a whole quoted literal (`members.value eq "42"`).
        for (id, p) in &self.longest_first {
            if id.len() >= 8 {
                out = out.replace(id.as_str(), p);
                continue;
            }
            out = out.replace(&format!("\"{id}\""), &format!("\"{p}\""));
            if out.contains('/') {
                let (path, query) = match out.find(['?', '#']) {
                    Some(i) => out.split_at(i),
                    None => (out.as_str(), ""),
                };
                let path: Vec<&str> = path.split('/').map(|seg| if seg == id { p.as_str() } else { seg }).collect();
                out = format!("{}{query}", path.join("/"));
            }
        }
        out
    }

    /// `W/"…"` entity tags anywhere in a text (an If-Match error detail quotes them).
    fn entity_tags(&mut self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("W/\"") {
            let after = &rest[i + 3..];
            let Some(end) = after.find('"') else { break };
            out.push_str(&rest[..i]);
            let tag = &rest[i..i + 3 + end + 1];
            out.push_str(&self.version(tag));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn json(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(a) => Value::Array(a.iter().map(|c| self.json(c)).collect()),
            Value::Object(o) => {
                // Sorted keys: the order a server writes members in is not its behaviour.
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    let child = &o[k];
                    let redacted = match child {
                        Value::String(s) if is_timestamp(k, s) => Value::String("[datetime]".into()),
                        _ => self.json(child),
                    };
                    out.insert(k.clone(), redacted);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    fn step(&mut self, t: &Taken, extra: &[Selector]) -> Value {
        let ex = &t.exchange;
        let mut doc = Map::new();
        doc.insert("request".into(), Value::String(self.string(&t.request)));
        doc.insert("status".into(), ex.status.map_or(Value::Null, Value::from));
        if ex.status.is_none() {
            let error = ex.error.clone().unwrap_or_default();
            doc.insert("error".into(), Value::String(self.string(&error)));
            return Value::Object(doc);
        }
        let mut headers = Map::new();
        for name in HEADERS.iter().map(|h| h.to_string()).chain(t.spec.headers.iter().cloned()) {
            if let Some(v) = ex.header(&name) {
                let v = v.to_string();
                headers.insert(name, Value::String(self.string(&v)));
            }
        }
        doc.insert("headers".into(), Value::Object(headers));
        let body = if ex.response_body.is_empty() {
            Value::Null
        } else {
            match ex.json() {
                Some(mut json) => {
                    let sorted = sorted_request(ex);
                    let total = json.get("totalResults").and_then(Value::as_u64);
                    if let Some(entries) = json.get_mut("Resources").and_then(Value::as_array_mut) {
                        let partial = total.is_some_and(|t| t > entries.len() as u64);
                        for e in entries.iter_mut() {
                            if !self.ours(e) {
                                *e = Value::String(NOT_OURS.into());
                            } else if partial && !sorted {
                                *e = Value::String(ON_SOME_PAGE.into());
                            }
                        }
                    }
                    let mut body = self.json(&json);
                    for s in t.spec.redact.iter().chain(extra) {
                        s.redact(&mut body);
                    }
                    canonical_order(&mut body, sorted);
                    body
                }
                None => {
                    // Not JSON: kept as text, cut short (an HTML error page is drift enough).
                    let text: String = ex.response_body.chars().take(2000).collect();
                    Value::String(self.string(&text))
                }
            }
        };
        doc.insert("body".into(), body);
        Value::Object(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exchange(status: u16, headers: &[(&str, &str)], body: Value) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: "http://h/x".into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(status),
            response_headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            response_body: body.to_string(),
            error: None,
            attempts: 1,
            elapsed: std::time::Duration::ZERO,
        }
    }

    fn taken(request: &str, ex: Exchange) -> Taken {
        Taken { request: request.into(), exchange: ex, spec: StepSnapshot::default() }
    }

    fn volatile(base: &str, run: &str) -> Volatile {
        Volatile { base_url: base.into(), run: run.into(), scenario_tag: "abc123".into(), secrets: Vec::new() }
    }

    /// A user and a group with that user as member, as two different servers (or runs) answer them.
    fn scenario(base: &str, run: &str, uid: &str, gid: &str, v: (u32, u32), when: &str) -> Vec<Taken> {
        let user = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": uid,
            "userName": format!("{run}-abc123-babs"),
            "meta": {"resourceType": "User", "created": when, "lastModified": when,
                     "location": format!("{base}/Users/{uid}"), "version": format!("W/\"{}\"", v.0)}
        });
        let group = json!({
            "id": gid, "displayName": format!("{run}-abc123-g"), "members": [{"value": uid, "$ref": format!("{base}/Users/{uid}")}],
            "meta": {"resourceType": "Group", "version": format!("W/\"{}\"", v.1), "created": when}
        });
        let stale = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "412",
                           "detail": format!("If-Match W/\"{}\" does not match the current version W/\"{}\"", v.0, v.1)});
        vec![
            taken(
                "POST /Users",
                exchange(
                    201,
                    &[
                        ("Location", &format!("{base}/Users/{uid}")),
                        ("ETag", &format!("W/\"{}\"", v.0)),
                        ("Date", when),
                    ],
                    user,
                ),
            ),
            taken("POST /Groups", exchange(201, &[("content-type", "application/scim+json")], group)),
            taken(&format!("PUT /Users/{uid}"), exchange(412, &[], stale)),
        ]
    }

    #[test]
    fn two_runs_with_other_ids_hosts_times_and_versions_give_one_document() {
        let a = scenario(
            "http://127.0.0.1:4001/scim/v2",
            "scimtest-aaaaaa",
            "8f1e0c2a-1111-4c1e-9a55-000000000001",
            "77",
            (5, 9),
            "2026-11-24T03:00:00Z",
        );
        let b = scenario(
            "http://127.0.0.1:5999/scim/v2",
            "scimtest-bbbbbb",
            "0d9c7b6a-2222-4c1e-9a55-000000000002",
            "78",
            (31, 40),
            "2026-11-25T09:12:13.5+02:00",
        );
        let da = document(&a, &volatile("http://127.0.0.1:4001/scim/v2", "scimtest-aaaaaa"), &[]);
        let db = document(&b, &volatile("http://127.0.0.1:5999/scim/v2", "scimtest-bbbbbb"), &[]);
        assert_eq!(render(&da), render(&db));
        let user = &da[0];
        assert_eq!(user["body"]["id"], "[User 1]");
        assert_eq!(user["body"]["userName"], "[run]-[scenario]-babs");
        assert_eq!(user["body"]["meta"]["location"], "[base]/Users/[User 1]");
        assert_eq!(user["body"]["meta"]["created"], "[datetime]");
        assert_eq!(
            user["headers"],
            json!({"etag": "[version 1]", "location": "[base]/Users/[User 1]"}),
            "Date is not kept"
        );
        let group = &da[1]["body"];
        assert_eq!((&group["id"], &group["members"][0]["value"]), (&json!("[Group 1]"), &json!("[User 1]")));
        assert_eq!(da[2]["request"], "PUT /Users/[User 1]");
        assert_eq!(da[2]["body"]["detail"], "If-Match [version 1] does not match the current version [version 2]");
    }

    #[test]
    fn a_short_id_is_replaced_only_as_a_whole_value_or_path_segment() {
        let t = vec![taken(
            "GET /Groups/7",
            exchange(
                200,
                &[],
                json!({"id": "7", "displayName": "team 7", "meta": {"resourceType": "Group", "location": "http://h/v2/Groups/7"}}),
            ),
        )];
        let d = document(&t, &volatile("http://h/v2", "scimtest-x"), &[]);
        assert_eq!(d[0]["body"]["displayName"], "team 7");
        assert_eq!(d[0]["body"]["meta"]["location"], "[base]/Groups/[Group 1]");
        assert_eq!(d[0]["request"], "GET /Groups/[Group 1]");
    }

    #[test]
    fn short_ids_in_queries_and_odd_timestamps_and_echoed_secrets() {
        let group = json!({"id": "42", "displayName": "team 42", "meta": {"resourceType": "Group", "created": "", "lastModified": "1"}});
        let t = vec![
            taken("POST /Groups", exchange(201, &[], group)),
            taken("GET /Groups/42?excludedAttributes=members", exchange(200, &[], json!({"id": "42"}))),
            taken(
                "GET /Users?filter=groups.value eq \"42\"",
                exchange(200, &[], json!({"detail": "token abcd/efgh+ijkl1"})),
            ),
        ];
        let mut v = volatile("http://h/v2", "scimtest-aaaaaa");
        v.secrets = vec!["abcd/efgh+ijkl1".into()];
        let d = document(&t, &v, &[]);
        assert_eq!(d[1]["request"], "GET /Groups/[Group 1]?excludedAttributes=members");
        assert_eq!(d[2]["request"], "GET /Users?filter=groups.value eq \"[Group 1]\"");
        // Not a dateTime: kept as it is, and nothing else is touched by it.
        assert_eq!(
            (&d[0]["body"]["meta"]["created"], &d[0]["body"]["meta"]["lastModified"]),
            (&json!(""), &json!("1"))
        );
        assert_eq!(d[0]["body"]["displayName"], "team 42");
        assert_eq!(d[2]["body"]["detail"], "token [hidden]");
    }

    #[test]
    fn suite_redactions_apply_and_non_json_bodies_are_kept_as_text() {
        let mut t = taken("GET /Users", exchange(200, &[], json!({"tenant": "t-991", "ok": true})));
        t.spec.redact.push(Selector::parse(".tenant").unwrap());
        let html = Exchange {
            response_body: "<html>oops</html>".into(),
            ..exchange(502, &[("Content-Type", "text/html")], json!(null))
        };
        let d = document(&[t, taken("GET /x", html)], &volatile("http://h", "r"), &[]);
        assert_eq!(d[0]["body"], json!({"ok": true, "tenant": "[redacted]"}));
        assert_eq!((&d[1]["status"], &d[1]["body"]), (&json!(502), &json!("<html>oops</html>")));
    }

    #[test]
    fn lists_without_a_promised_order_are_stored_in_one_order() {
        // Two answers that differ only in the order of what the server does not order.
        let list = |order: [usize; 2], url: &str, total: usize| {
            let users: Vec<Value> = order
                .iter()
                .map(|i| {
                    let (mut emails, mut schemas) =
                        (vec![format!("b{i}@x"), format!("a{i}@x")], vec!["urn:b", "urn:a"]);
                    if order[0] == 1 {
                        emails.reverse();
                        schemas.reverse();
                    }
                    let emails: Vec<Value> = emails.into_iter().map(|e| json!({"value": e})).collect();
                    json!({"id": format!("id-{i}-0123456789"), "meta": {"resourceType": "User"},
                           "emails": emails, "schemas": schemas})
                })
                .collect();
            let mut t = vec![
                taken(
                    "POST /Users",
                    exchange(201, &[], json!({"id": "id-0-0123456789", "meta": {"resourceType": "User"}})),
                ),
                taken(
                    "POST /Users",
                    exchange(201, &[], json!({"id": "id-1-0123456789", "meta": {"resourceType": "User"}})),
                ),
                taken("GET /Users", exchange(200, &[], json!({"totalResults": total, "Resources": users}))),
            ];
            t[2].exchange.url = url.into();
            document(&t, &volatile("http://h", "r"), &[])
        };
        let (a, b) = (list([0, 1], "http://h/Users", 2), list([1, 0], "http://h/Users", 2));
        assert_eq!(render(&a), render(&b));
        assert_eq!(a[2]["body"]["Resources"][0]["id"], "[User 1]");
        // With sortBy, the order is the behaviour under test: kept.
        let (a, b) =
            (list([0, 1], "http://h/Users?sortBy=userName", 2), list([1, 0], "http://h/Users?sortBy=userName", 2));
        assert_ne!(render(&a), render(&b));
        assert_eq!(b[2]["body"]["Resources"][0]["id"], "[User 2]");
        // A partial page without sortBy: which resources are on it is not promised either.
        let page = list([1, 0], "http://h/Users?count=2", 5);
        assert_eq!(page[2]["body"]["Resources"], json!([ON_SOME_PAGE, ON_SOME_PAGE]));
        // A bulk answer's operations keep their order.
        let ops = json!({"Operations": [{"method": "POST", "bulkId": "b"}, {"method": "POST", "bulkId": "a"}]});
        let d = document(&[taken("POST /Bulk", exchange(200, &[], ops))], &volatile("http://h", "r"), &[]);
        assert_eq!(d[0]["body"]["Operations"][0]["bulkId"], "b");
    }

    fn config(dir: &Path, mode: Mode, ci: bool) -> SnapshotConfig {
        SnapshotConfig { mode, dir: dir.to_path_buf(), target: "t".into(), redact: Vec::new(), ci }
    }

    #[test]
    fn check_writes_pending_files_update_accepts_and_drift_names_the_field() {
        let dir = std::env::temp_dir().join(format!("scimtest-snap-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = config(&dir, Mode::Check, false).file("rfc", "users", "create");
        let v = volatile("http://h", "scimtest-r");
        let first = document(
            &[taken("POST /Users", exchange(201, &[], json!({"id": "0123456789", "userName": "a"})))],
            &v,
            &[],
        );

        // check, nothing stored: fails, and a pending file is written for review.
        let verdict =
            settle(&config(&dir, Mode::Check, false), &file, "suites/rfc/users.toml", "rfc::users::create", &first);
        assert!(matches!(&verdict, Verdict::New { pending: Some(p), .. } if p.exists()), "{verdict:?}");
        assert!(verdict.fails());
        // … under CI nothing is written.
        std::fs::remove_file(file.with_extension("snap.new")).unwrap();
        let verdict = settle(&config(&dir, Mode::Check, true), &file, "s", "d", &first);
        assert!(matches!(verdict, Verdict::New { pending: None, .. }) && !file.with_extension("snap.new").exists());

        // update records it; insta reads it back as the same contents.
        let verdict =
            settle(&config(&dir, Mode::Update, false), &file, "suites/rfc/users.toml", "rfc::users::create", &first);
        assert_eq!(verdict, Verdict::Written { file: file.clone(), was_new: true });
        let back = insta::Snapshot::from_file(&file).unwrap();
        assert_eq!(back.as_text().unwrap().to_string(), render(&first));
        assert_eq!(back.metadata().description(), Some("rfc::users::create"));
        assert_eq!(settle(&config(&dir, Mode::Check, true), &file, "s", "d", &first), Verdict::Matched);

        // drift: the field is named, and the diff shows it.
        let second = document(
            &[taken("POST /Users", exchange(200, &[], json!({"id": "0123456789", "userName": "a", "password": "x"})))],
            &v,
            &[],
        );
        let verdict = settle(&config(&dir, Mode::Check, false), &file, "s", "d", &second);
        let Verdict::Changed { fields, diff, pending: Some(pending), .. } = &verdict else { panic!("{verdict:?}") };
        assert_eq!(
            fields,
            &["step 1 POST /Users: status: 201 → 200", "step 1 POST /Users: body.password added (\"x\")"]
        );
        assert!(diff.lines().any(|l| l.starts_with('+') && l.contains("\"password\": \"x\"")), "{diff}");
        assert!(verdict.message(false).contains("cargo insta review"), "{}", verdict.message(false));
        // the pending file is an insta snapshot of the new answers; a later match removes it.
        assert_eq!(insta::Snapshot::from_file(pending).unwrap().as_text().unwrap().to_string(), render(&second));
        assert_eq!(settle(&config(&dir, Mode::Check, false), &file, "s", "d", &first), Verdict::Matched);
        assert!(!pending.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn targets_are_named_after_the_host_and_ci_follows_insta() {
        assert_eq!(target_from_url("https://acme.example.com/scim/v2").as_deref(), Some("acme.example.com"));
        assert_eq!(target_from_url("http://127.0.0.1:8080/x").as_deref(), Some("127.0.0.1_8080"));
        assert_eq!(target_from_url("http://[::1]:9/x").as_deref(), Some("__1_9"));
        assert_eq!(target_from_url("not a url"), None);
        assert_eq!(
            target_from_url("127.0.0.1:18260/v2").as_deref(),
            Some("127.0.0.1_18260"),
            "pre-flight names the scheme"
        );
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(is_ci(env(&[("CI", "true")])) && is_ci(env(&[("TF_BUILD", "True")])));
        assert!(!is_ci(env(&[("CI", "false")])) && !is_ci(env(&[])));
    }
}
