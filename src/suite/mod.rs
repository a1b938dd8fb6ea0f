//! Declarative suites (`suites/`, documented key by key in `suites/README.md`): the model, and loading
//! with validation. A suite that loads is runnable: every error — an unknown key, a body that is not JSON,
//! a missing fixture, a filter that does not parse, a template naming nothing — is reported at load time
//! with the file, the line and a fix.

mod app;
mod assertion;
mod fragment;
mod profile_vars;
mod selector;
mod template;
mod tension;

pub use app::{App, AppAttribute, AppExtension, CAPABILITIES, Quirk, load_app};

pub use profile_vars::ProfileVars;
pub use selector::{REDACTED, Selector};
pub use template::{Placeholder, Vars, placeholders};
pub use tension::{Side, TENSIONS, Tension, TensionCheck, tension, tension_label};

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::auth::TokenVariant;
use toml::Spanned;

use crate::bundle::Source;
use crate::filter::{ParseOptions, parse_path, parse_with};

/// RFC 2119 level of a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Must, Level::Should, Level::May];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The schema of Okta Identity Governance's entitlement catalogues.
pub const OKTA_ENTITLEMENT: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";
/// The schema of Okta Identity Governance's role catalogues.
pub const OKTA_ROLE: &str = "urn:okta:scim:schemas:core:1.0:Role";

/// A capability a scenario needs, read from discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    Patch,
    Bulk,
    Filter,
    Sort,
    Etag,
    ChangePassword,
    Groups,
    /// The server's User resource type declares the enterprise extension (`schemaExtensions`).
    Enterprise,
    /// A resource type whose schema is Okta's Entitlement (`/ResourceTypes`, any endpoint name).
    Entitlements,
    /// A resource type whose schema is Okta's Role (`/ResourceTypes`, any endpoint name).
    Roles,
    // What the run's authentication makes checkable (`crate::auth::AuthFacts`), not the server's features.
    /// The run gets its token from a token endpoint (`--auth client-credentials` or `jwt-assertion`).
    Oauth,
    /// … with a client secret.
    ClientSecret,
    /// … with an RFC 7523 client assertion.
    ClientAssertion,
    /// The access token is a JWT.
    JwtAccessToken,
    /// Issued tokens live no longer than `--auth-expiry-wait`.
    TokenExpiry,
    /// `--oauth-other-resource` is given.
    OtherResource,
}

impl Feature {
    pub const ALL: [Feature; 16] = [
        Feature::Patch,
        Feature::Bulk,
        Feature::Filter,
        Feature::Sort,
        Feature::Etag,
        Feature::ChangePassword,
        Feature::Groups,
        Feature::Enterprise,
        Feature::Entitlements,
        Feature::Roles,
        Feature::Oauth,
        Feature::ClientSecret,
        Feature::ClientAssertion,
        Feature::JwtAccessToken,
        Feature::TokenExpiry,
        Feature::OtherResource,
    ];

    /// Whether the ServiceProviderConfig declares it (the others come from /ResourceTypes).
    pub fn from_spc(self) -> bool {
        !matches!(self, Feature::Groups | Feature::Enterprise | Feature::Entitlements | Feature::Roles)
            && !self.from_auth()
    }

    /// Whether the run's authentication decides it (`crate::auth::AuthFacts`), not the server.
    pub fn from_auth(self) -> bool {
        matches!(
            self,
            Feature::Oauth
                | Feature::ClientSecret
                | Feature::ClientAssertion
                | Feature::JwtAccessToken
                | Feature::TokenExpiry
                | Feature::OtherResource
        )
    }

    /// Whether `facts` make it checkable (`None` for the server's features).
    pub fn from_facts(self, facts: &crate::auth::AuthFacts) -> Option<bool> {
        Some(match self {
            Feature::Oauth => facts.oauth,
            Feature::ClientSecret => facts.secret,
            Feature::ClientAssertion => facts.assertion,
            Feature::JwtAccessToken => facts.jwt_access_token,
            Feature::TokenExpiry => facts.expiry_observable,
            Feature::OtherResource => facts.other_resource,
            _ => return None,
        })
    }

    /// The schema URN of the resource type that provides it, for the features found by schema in
    /// `/ResourceTypes` (Okta Identity Governance's catalogues, idp-behaviour.md §10.2).
    pub fn resource_schema(self) -> Option<&'static str> {
        match self {
            Feature::Entitlements => Some(OKTA_ENTITLEMENT),
            Feature::Roles => Some(OKTA_ROLE),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Patch => "patch",
            Feature::Bulk => "bulk",
            Feature::Filter => "filter",
            Feature::Sort => "sort",
            Feature::Etag => "etag",
            Feature::ChangePassword => "changePassword",
            Feature::Groups => "groups",
            Feature::Enterprise => "enterprise",
            Feature::Entitlements => "entitlements",
            Feature::Roles => "roles",
            Feature::Oauth => "oauth",
            Feature::ClientSecret => "client_secret",
            Feature::ClientAssertion => "client_assertion",
            Feature::JwtAccessToken => "jwt_access_token",
            Feature::TokenExpiry => "token_expiry",
            Feature::OtherResource => "other_resource",
        }
    }

    fn parse(s: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What a scenario verifies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `RFC 7644 §3.3`, `Entra E-Q7`.
    pub source: String,
    pub level: Level,
    pub text: String,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} — {}", self.source, self.level, self.text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// Which credentials a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Token,
    None,
    Wrong,
    // The OAuth security checks' tokens (`crate::client::Credentials` says what each is).
    Malformed,
    AlgNone,
    UnknownKey,
    Tampered,
    Expired,
    WrongAudience,
}

impl Auth {
    /// Every `auth = "…"` value, with what it sends.
    pub const ALL: [(&'static str, Auth); 9] = [
        ("token", Auth::Token),
        ("none", Auth::None),
        ("wrong", Auth::Wrong),
        ("malformed", Auth::Malformed),
        ("alg-none", Auth::AlgNone),
        ("unknown-key", Auth::UnknownKey),
        ("tampered", Auth::Tampered),
        ("expired", Auth::Expired),
        ("wrong-audience", Auth::WrongAudience),
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    None,
    /// JSON whose strings may hold templates.
    Json(Value),
    /// Sent byte for byte.
    Raw(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Equals(Value),
    NotEquals(Value),
    Present(bool),
    Contains(Value),
    /// An array holding the same values as this one, in any order, each as many times (`same_items
    /// "${users}"`: every captured id listed once, none repeated, nothing else).
    SameItems(Value),
    Length(usize),
    Type(String),
    OneOf(Vec<Value>),
    /// An xsd:dateTime at or after this one, compared as instants (`not_before`).
    NotBefore(Value),
    /// An xsd:dateTime that is this same instant, whatever its offset or precision (`same_instant`).
    SameInstant(Value),
    /// A string that does not begin with this one (`not_starts_with "${run}"`: not a resource this run
    /// created).
    NotStartsWith(Value),
    /// A number from the first to the second, both included (`between [3600, 21600]`: Entra's token
    /// lifetime).
    Between(Value, Value),
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonTarget {
    Pointer(String),
    Path(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonCheck {
    pub target: JsonTarget,
    pub predicate: Predicate,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderPredicate {
    Equals(String),
    Contains(String),
    Present(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct HeaderCheck {
    pub name: String,
    pub predicate: HeaderPredicate,
}

/// What an answer must be.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// Allowed statuses; empty means any 2xx.
    pub status: Vec<u16>,
    pub resource: Option<String>,
    pub list: bool,
    /// `Some(None)`: a SCIM Error; `Some(Some(t))`: with scimType `t`.
    pub error: Option<Option<String>>,
    pub headers: Vec<HeaderCheck>,
    pub json: Vec<JsonCheck>,
    /// Attributes the step's `/Schemas` answer must declare, as `(resource type, SCIM path)`: names compare
    /// case-insensitively, and a value filter's `type eq "x"` needs `x` among the canonical values the
    /// `type` sub-attribute declares, if it declares any (Entra's Schema_Discoverability_Test, E-Q34).
    pub schemas_declare: Vec<(String, String)>,
    /// A 400 answer passes only when the discovered schema declares canonical values for the attribute that
    /// leave the value out; the scenario then ends there, as its later steps presume the value stored
    /// (Entra E-Q35).
    pub refusal_needs_declaration: Option<DeclaredRefusal>,
    /// The answer comes within this many milliseconds (Okta SPEC #10).
    pub within_ms: Option<u64>,
    /// A `parallel` step's answers, counted by status: exactly this many of each (`expect.statuses`).
    pub statuses: Vec<(u16, usize)>,
}

/// `expect.refusal_needs_declaration`: the attribute (`(resource type, SCIM path)`) and the value the
/// step writes to it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclaredRefusal {
    pub resource: String,
    pub path: String,
    pub value: String,
}

impl Expect {
    /// Whether the step expects to succeed (no status given means any 2xx): a step that expects an
    /// error sends what it sends on purpose.
    pub fn succeeds(&self) -> bool {
        self.status.iter().all(|s| (200..300).contains(s))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: Option<String>,
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub auth: Auth,
    /// `None`: send no Accept header.
    pub accept: Option<String>,
    pub content_type: String,
    pub body: Body,
    pub expect: Expect,
    /// (name, JSON pointer).
    pub capture: Vec<(String, String)>,
    /// How the step's answer goes into the scenario's response snapshot; `None`: it doesn't.
    pub snapshot: Option<StepSnapshot>,
    /// The step is what the scenario tests (`subject = true`), never its setup: a create whose body carries
    /// the quirk under test fails the scenario rather than blocking it.
    pub subject: bool,
    /// `token = "…"`: the step sends this request to the token endpoint (made from the run's `--auth`
    /// settings) instead of a SCIM request; method and path are unused.
    pub token: Option<TokenVariant>,
    /// `parallel = N`: the step is sent N times at once, `${i}` being 0..N-1 in each copy's templates.
    pub parallel: Option<usize>,
    /// `pages = N`: a list GET walked page by page (`count=N`, `startIndex` 1, then past each page), its
    /// `expect.json` and `capture` reading one ListResponse of every page's resources.
    pub pages: Option<usize>,
}

#[cfg(test)]
impl Step {
    /// A step with nothing but a method and a path, for tests.
    pub(crate) fn plain(method: Method, path: &str) -> Step {
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
            expect: Expect::default(),
            capture: Vec::new(),
            snapshot: None,
            subject: false,
            token: None,
            parallel: None,
            pages: None,
        }
    }
}

/// The most copies a `parallel` step may send.
pub const MAX_PARALLEL: usize = 1000;
/// The most resources a page of a `pages` step may ask for, and the most pages it walks.
pub const MAX_PAGES: usize = 1000;

/// What a step's snapshot keeps beyond the defaults (status, Content-Type, Location, ETag, the body with
/// ids, timestamps, versions, the host and the run prefix redacted): the suite's, the scenario's and the
/// step's own `snapshot_redact` and `snapshot_headers`, together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepSnapshot {
    /// Parts of the body that vary legitimately, replaced with `"[redacted]"`.
    pub redact: Vec<Selector>,
    /// More response headers to keep (lower-case).
    pub headers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub requirement: Requirement,
    pub requires: Vec<Feature>,
    pub steps: Vec<Step>,
    /// The tension of idp-behaviour.md §8 the scenario sits on, and the identity-provider side's answer.
    pub tension: Option<TensionCheck>,
}

impl Scenario {
    /// Whether the scenario sends nothing but GET (allowed under `--read-only`). A `POST …/.search` is
    /// a read by the RFC, but a server that does not know `.search` may take it for a create.
    pub fn read_only(&self) -> bool {
        self.steps.iter().all(|s| s.method == Method::Get)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    /// The file stem.
    pub name: String,
    pub file: PathBuf,
    pub description: String,
    pub scenarios: Vec<Scenario>,
}

/// A profile: which suites it runs, and how it talks.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub name: String,
    /// How reports name the identity provider (`Microsoft Entra ID`); the name when the file gives none.
    pub display_name: String,
    pub description: String,
    pub suites: Vec<String>,
    pub patch_mode: crate::patch::Mode,
    /// Where the RFC and this IdP disagree (idp-behaviour.md §8): which answers pass, and why.
    pub positions: Vec<Position>,
    /// `[profile.vars]`: the `{{profile.NAME}}` values of its suites.
    pub vars: ProfileVars,
    /// How the identity provider sends a user's attribute updates (the checks generated from an app's
    /// attribute table send them so).
    pub user_update: UserUpdate,
    /// Whether the IdP lists an app's own schema extension URN in a created user's `schemas` (Entra
    /// lists only the core and enterprise URNs, E-CU, yet sends the extension's attributes under it).
    pub lists_app_extension_urns: bool,
    /// Whether the IdP checks that every attribute an app maps is declared in `/Schemas` (Entra's gallery
    /// Schema_Discoverability_Test, E-Q34): an app of this profile gets a generated check of its table.
    pub checks_schema_discoverability: bool,
    /// Which identity-provider behaviour the profile replays, with its version or date (`Entra provisioning
    /// service, default job, as documented Aug 2026`); its sources are in docs/idp-quirks.md. `None` for rfc.
    pub replays: Option<String>,
}

/// How an identity provider updates a user: one PATCH operation per changed attribute (Entra, E-UU) or a
/// PUT of the whole user (Okta, O-UU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserUpdate {
    #[default]
    Patch,
    Put,
}

/// A profile's position on one point where the RFC and an identity provider disagree.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// The point of disagreement, e.g. "remove on members with a value array".
    pub tension: String,
    /// Which server answers pass in this profile.
    pub passes: String,
    pub why: String,
    /// The tension's id in idp-behaviour.md §8 (`8.2`), when it is one of them.
    #[serde(default)]
    pub id: Option<String>,
    /// Which side of the tension this profile takes; required with `id`.
    #[serde(default)]
    pub side: Option<Side>,
}

/// A suite or profile that cannot be used, with where and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteError {
    /// Empty for an error of no one file (several errors told as one, see [`SuiteErrors`]).
    pub file: PathBuf,
    /// Where in the file: the line and the column.
    pub line: Option<Location>,
    pub message: String,
    pub fix: String,
}

/// A place in a file, both counted from 1 (the column in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` of `text`.
    pub fn of(text: &str, offset: usize) -> Location {
        let before = &text[..floor_char_boundary(text, offset)];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How the loader adds where a fragment or reused scenario is used to a message: ` (in the … used at …)`.
const CONTEXT: &str = " (in the ";

impl SuiteError {
    /// The same mistake, maybe reached another way: the same file, place, fix and message, apart from
    /// where a fragment or reused scenario is used (two profiles that load one file find its errors twice).
    pub fn same_mistake(&self, other: &SuiteError) -> bool {
        let bare = |m: &str| m.split_once(CONTEXT).map_or(m, |(m, _)| m).to_string();
        (&self.file, self.line, &self.fix) == (&other.file, other.line, &other.fix)
            && bare(&self.message) == bare(&other.message)
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            _ if self.file.as_os_str().is_empty() => f.write_str(&self.message)?,
            Some(l) => write!(f, "{}:{}:{}: {}", self.file.display(), l.line, l.column, self.message)?,
            None => write!(f, "{}: {}", self.file.display(), self.message)?,
        }
        if !self.fix.is_empty() {
            write!(f, "\n  fix: {}", self.fix)?;
        }
        Ok(())
    }
}

impl std::error::Error for SuiteError {}

/// Every error found while loading, in every file (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteErrors(pub Vec<SuiteError>);

impl SuiteErrors {
    /// How many errors, in how many files: the last line after the errors.
    pub fn summary(&self) -> String {
        let files: HashSet<&Path> = self.0.iter().map(|e| e.file.as_path()).collect();
        let (n, f) = (self.0.len(), files.len());
        format!("{n} error{} in {f} file{}; nothing ran", if n == 1 { "" } else { "s" }, if f == 1 { "" } else { "s" })
    }
}

impl fmt::Display for SuiteErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\nerror: ")?;
            }
            write!(f, "{e}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\nerror: {}", self.summary())?;
        }
        Ok(())
    }
}

impl std::error::Error for SuiteErrors {}

impl From<SuiteError> for SuiteErrors {
    fn from(e: SuiteError) -> SuiteErrors {
        SuiteErrors(vec![e])
    }
}

/// Several errors as one (what the runner's `load_all` returns): a message that is all of them, each with
/// its file, place and fix, then the summary; the CLI prints it after `error: `.
impl From<SuiteErrors> for SuiteError {
    fn from(mut all: SuiteErrors) -> SuiteError {
        if all.0.len() == 1 {
            return all.0.remove(0);
        }
        SuiteError { file: PathBuf::new(), line: None, message: all.to_string(), fix: String::new() }
    }
}

// ----- raw TOML shapes ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    suite: RawSuite,
    #[serde(default)]
    scenario: Vec<Spanned<RawScenario>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    description: String,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    /// `snapshot`, `snapshot_redact`, `snapshot_headers`: see StepSnapshot. Repeated in RawScenario and
    /// RawStep rather than flattened: `#[serde(flatten)]` defeats deny_unknown_fields and loses spans.
    snapshot: Option<bool>,
    #[serde(default)]
    snapshot_redact: Vec<Spanned<String>>,
    #[serde(default)]
    snapshot_headers: Vec<String>,
    /// Step keys every step of the file gets unless it sets them.
    defaults: Option<RawDefaults>,
}

/// `[suite.defaults]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    accept: Option<String>,
    content_type: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    auth: Option<Spanned<String>>,
    #[serde(default)]
    expect: RawDefaultExpect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaultExpect {
    status: Option<Spanned<RawStatus>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    /// `<dir>/<suite>/<scenario>`: that scenario (loaded with this profile's variables) in place of this
    /// one; this table's name, description and requirement replace its own, its requires add to its
    /// own, and its steps run after its steps.
    #[serde(rename = "use")]
    use_: Option<Spanned<String>>,
    /// Required unless the scenario is reused.
    name: Option<Spanned<String>>,
    description: Option<String>,
    /// Required unless the scenario is reused.
    requirement: Option<Requirement>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    /// `[[scenario.step]]` tables, or `steps = [{ … }, …]`.
    #[serde(default, alias = "steps")]
    step: Vec<RawStep>,
    /// `snapshot`, `snapshot_redact`, `snapshot_headers`: see StepSnapshot.
    snapshot: Option<bool>,
    #[serde(default)]
    snapshot_redact: Vec<Spanned<String>>,
    #[serde(default)]
    snapshot_headers: Vec<String>,
    /// `[scenario.tension]`: see [`TensionCheck`].
    tension: Option<Spanned<RawTension>>,
}

/// `[scenario.tension]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTension {
    id: Spanned<String>,
    step: Spanned<String>,
    rfc: String,
    idp: String,
    source: String,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    then: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    method: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    /// `get = "/Users"`: the method and the path in one key.
    get: Option<Spanned<String>>,
    post: Option<Spanned<String>>,
    put: Option<Spanned<String>>,
    patch: Option<Spanned<String>>,
    delete: Option<Spanned<String>>,
    /// `token = "wrong-secret"`: a request to the token endpoint instead (see `Step::token`).
    token: Option<Spanned<String>>,
    /// A fragment's steps (`group/name`, from `fragments/<group>.toml`) in place of this one; the other
    /// keys of this step override those of the fragment's last step.
    #[serde(rename = "use")]
    use_: Option<Spanned<String>>,
    /// The fragment's `{{parameters}}`.
    with: Option<Spanned<BTreeMap<String, toml::Value>>>,
    #[serde(default)]
    query: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    auth: Option<Spanned<String>>,
    accept: Option<String>,
    content_type: Option<String>,
    body: Option<Spanned<String>>,
    body_file: Option<Spanned<String>>,
    raw_body: Option<String>,
    #[serde(default)]
    expect: RawExpect,
    #[serde(default)]
    capture: BTreeMap<String, Spanned<String>>,
    /// `snapshot`, `snapshot_redact`, `snapshot_headers`: see StepSnapshot.
    snapshot: Option<bool>,
    #[serde(default)]
    snapshot_redact: Vec<Spanned<String>>,
    #[serde(default)]
    snapshot_headers: Vec<String>,
    subject: Option<bool>,
    /// `parallel = 20`: see `Step::parallel`.
    parallel: Option<Spanned<i64>>,
    /// `pages = 100`: see `Step::pages`.
    pages: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Option<Spanned<RawStatus>>,
    resource: Option<Spanned<String>>,
    list: Option<bool>,
    error: Option<RawError>,
    /// Tables (`RawHeader`) or one-line assertions.
    #[serde(default)]
    headers: Vec<Spanned<toml::Value>>,
    /// Tables (`RawJson`) or one-line assertions.
    #[serde(default)]
    json: Vec<Spanned<toml::Value>>,
    /// `["User:userName", 'User:emails[type eq "work"].value']`: see `Expect::schemas_declare`.
    #[serde(default)]
    schemas_declare: Vec<Spanned<String>>,
    /// `{ attribute = "User:preferredLanguage", value = "en-US" }`: see `Expect::refusal_needs_declaration`.
    refusal_needs_declaration: Option<Spanned<RawRefusal>>,
    within_ms: Option<u64>,
    /// `{ 201 = 1, 409 = 19 }`: see `Expect::statuses`.
    statuses: Option<Spanned<BTreeMap<String, i64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefusal {
    attribute: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawStatus {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawError {
    #[serde(rename = "scimType")]
    scim_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    equals: Option<String>,
    contains: Option<String>,
    present: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJson {
    pointer: Option<String>,
    path: Option<String>,
    equals: Option<toml::Value>,
    not_equals: Option<toml::Value>,
    present: Option<bool>,
    contains: Option<toml::Value>,
    same_items: Option<toml::Value>,
    length: Option<usize>,
    #[serde(rename = "type")]
    ty: Option<String>,
    one_of: Option<Vec<toml::Value>>,
    not_before: Option<toml::Value>,
    same_instant: Option<toml::Value>,
    not_starts_with: Option<toml::Value>,
    between: Option<[toml::Value; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfileFile {
    profile: RawProfile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    description: String,
    suites: Vec<String>,
    #[serde(default = "default_patch_mode")]
    patch_mode: String,
    #[serde(default)]
    position: Vec<Spanned<Position>>,
    #[serde(default)]
    vars: BTreeMap<String, toml::Value>,
    #[serde(default)]
    user_update: UserUpdate,
    #[serde(default = "listed")]
    lists_app_extension_urns: bool,
    #[serde(default)]
    checks_schema_discoverability: bool,
    #[serde(default)]
    replays: Option<String>,
}

fn listed() -> bool {
    true
}

fn default_patch_mode() -> String {
    "rfc".into()
}

fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

// ----- loading --------------------------------------------------------------------------------------

struct Loader<'a> {
    file: &'a Path,
    text: &'a str,
    fixtures: &'a Source,
    /// Where `fragments/` and the suites a scenario reuses are.
    suites: &'a Source,
    vars: &'a ProfileVars,
    /// For a fragment's steps or a reused scenario: where it is used (`in the fragment used at
    /// file:line:column`), added to each message.
    context: Option<String>,
    /// Whether the steps being loaded are a fragment's (which may not use another).
    in_fragment: bool,
}

/// Parses a body check's SCIM path with its `${…}` templates replaced by a sample value; on failure, the
/// byte offset of the mistake in `path` (0 when the parser gives none) and the rendered message.
fn check_path(path: &str) -> Result<(), (usize, String)> {
    let sample = replace_placeholders(path);
    parse_path(&sample, &ParseOptions::default()).map(drop).map_err(|e| {
        let at = e.span.as_ref().map_or(0, |s| s.start.min(path.len()));
        (at, format!("path does not parse:\n{}", e.render(&sample)))
    })
}

impl Loader<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> Location {
        Location::of(self.text, span.start)
    }

    fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> SuiteError {
        let mut message = message.into();
        if let Some(context) = &self.context {
            message = format!("{message} ({context})");
        }
        SuiteError { file: self.file.to_path_buf(), line: span.map(|s| self.line(s)), message, fix: fix.into() }
    }

    fn features(&self, raw: &[Spanned<String>]) -> Result<Vec<Feature>, SuiteError> {
        raw.iter()
            .map(|f| {
                Feature::parse(f.get_ref()).ok_or_else(|| {
                    let known: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
                    self.err(
                        Some(f.span()),
                        format!("unknown feature `{}`", f.get_ref()),
                        format!("use one of {}", known.join(", ")),
                    )
                })
            })
            .collect()
    }

    /// Checks the placeholders of `s`: captures must be defined by an earlier step.
    fn templates(&self, s: &str, span: std::ops::Range<usize>, captured: &HashSet<String>) -> Result<(), SuiteError> {
        let found =
            placeholders(s).map_err(|e| self.err(Some(span.clone()), e, "see \"Templates\" in suites/README.md"))?;
        for p in found {
            if let Placeholder::Capture(name, _) = &p
                && name == COPY_NUMBER
                && !captured.contains(name)
            {
                return Err(self.err(
                    Some(span.clone()),
                    "`${i}` is the copy's number in a `parallel` step, and this step is not one",
                    "add `parallel = N` to the step (it is then sent N times at once, `${i}` = 0..N-1)",
                ));
            }
            if let Placeholder::Capture(name, path) = &p
                && path.first().is_some_and(|s| s == template::EVERY_OF_COPY)
                && !captured.contains(COPY_NUMBER)
            {
                return Err(self.err(
                    Some(span.clone()),
                    format!("`${{{name}.*i}}` is a parallel copy's share of `{name}`, and this step is not parallel"),
                    format!("add `parallel = N` to the step, or write `${{{name}.*}}` for every element"),
                ));
            }
            if let Placeholder::Capture(name, _) = &p
                && !captured.contains(name)
                && !captured.contains(ANY_CAPTURE)
            {
                return Err(self.err(
                    Some(span.clone()),
                    format!("`${{{name}…}}` refers to no capture of an earlier step"),
                    format!("add `capture = {{ {name} = \"\" }}` to a step before this one"),
                ));
            }
        }
        Ok(())
    }

    fn json_templates(
        &self,
        v: &Value,
        span: std::ops::Range<usize>,
        captured: &HashSet<String>,
    ) -> Result<(), SuiteError> {
        match v {
            Value::String(s) => self.templates(s, span, captured),
            Value::Array(a) => a.iter().try_for_each(|i| self.json_templates(i, span.clone(), captured)),
            Value::Object(o) => o.iter().try_for_each(|(k, i)| {
                self.templates(k, span.clone(), captured)?;
                self.json_templates(i, span.clone(), captured)
            }),
            _ => Ok(()),
        }
    }

    /// The snapshot settings of a level (suite, scenario, step) inside those of the level around it: the
    /// nearest `snapshot = true|false` wins; redactions and headers add up.
    fn snapshot(
        &self,
        outer: &(bool, StepSnapshot),
        on: Option<bool>,
        redact: &[Spanned<String>],
        headers: &[String],
    ) -> Result<(bool, StepSnapshot), SuiteError> {
        let (mut enabled, mut spec) = outer.clone();
        enabled = on.unwrap_or(enabled);
        for r in redact {
            let selector = Selector::parse(r.get_ref()).map_err(|e| {
                self.err(Some(r.span()), e, "see \"Snapshots\" in suites/README.md for the selector syntax")
            })?;
            spec.redact.push(selector);
        }
        for h in headers {
            if h.is_empty() || !h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
                return Err(self.err(
                    None,
                    format!("snapshot_headers: `{h}` is not a header name"),
                    "use names like \"Cache-Control\"",
                ));
            }
            let h = h.to_ascii_lowercase();
            if !spec.headers.contains(&h) {
                spec.headers.push(h);
            }
        }
        Ok((enabled, spec))
    }

    /// A step: `raw` alone, or `raw`'s keys over `base` (the last step of a fragment it uses). Keys the
    /// step and its base leave out come from the suite's `defaults`.
    fn step(
        &self,
        raw: RawStep,
        base: Option<Step>,
        captured: &mut HashSet<String>,
        outer: &(bool, StepSnapshot),
        defaults: &Defaults,
    ) -> Result<Step, SuiteError> {
        // The step's own captures count for later steps even when the step has an error, so that one
        // mistake is reported once. `${i}` counts in a parallel step only.
        let copy_number = raw.parallel.is_some() && captured.insert(COPY_NUMBER.to_string());
        let result = self.step_inner(&raw, base, captured, outer, defaults);
        if copy_number {
            captured.remove(COPY_NUMBER);
        }
        captured.extend(raw.capture.keys().cloned());
        result
    }

    fn step_inner(
        &self,
        raw: &RawStep,
        base: Option<Step>,
        captured: &mut HashSet<String>,
        outer: &(bool, StepSnapshot),
        defaults: &Defaults,
    ) -> Result<Step, SuiteError> {
        let outer = match &base {
            Some(b) => (b.snapshot.is_some(), b.snapshot.clone().unwrap_or_default()),
            None => outer.clone(),
        };
        let (snapshot_on, snapshot) =
            self.snapshot(&outer, raw.snapshot, &raw.snapshot_redact, &raw.snapshot_headers)?;
        let verbs = [
            (Method::Get, &raw.get),
            (Method::Post, &raw.post),
            (Method::Put, &raw.put),
            (Method::Patch, &raw.patch),
            (Method::Delete, &raw.delete),
        ];
        let given: Vec<(Method, &Spanned<String>)> =
            verbs.iter().filter_map(|(m, p)| p.as_ref().map(|p| (*m, p))).collect();
        let token = raw.token.as_ref().map(|t| self.token_variant(t)).transpose()?;
        if let Some(t) = &raw.token {
            let extra = [
                (raw.method.is_some() || raw.path.is_some() || !given.is_empty(), "a SCIM request"),
                (raw.body.is_some() || raw.body_file.is_some() || raw.raw_body.is_some(), "a body"),
                (!raw.query.is_empty(), "a query"),
                (!raw.headers.is_empty() || raw.auth.is_some(), "headers or auth"),
                (!raw.capture.is_empty(), "captures"),
            ];
            if let Some((_, what)) = extra.iter().find(|(given, _)| *given) {
                return Err(self.err(
                    Some(t.span()),
                    format!("a `token` step sends the run's token request (made from its --auth settings), so it cannot have {what}"),
                    "keep name, token, expect (and subject) in this step; put SCIM requests in steps of their own",
                ));
            }
        }
        let token_path = Spanned::new(0..0, String::new());
        let (method, path) = match (&raw.method, &raw.path, given.as_slice()) {
            _ if token.is_some() => (Method::Post, &token_path),
            (Some(m), Some(p), []) => (self.method(m)?, p),
            (None, None, [(m, p)]) => (*m, *p),
            (None, None, []) if base.is_some() => {
                let b = base.as_ref().expect("checked");
                (b.method, &Spanned::new(0..0, b.path.clone()))
            }
            (_, _, [_, second, ..]) => {
                return Err(self.err(
                    Some(second.1.span()),
                    "a step sends one request: one of get, post, put, patch, delete",
                    "split it into two steps",
                ));
            }
            (Some(m), None, _) | (None, Some(m), _) if given.is_empty() => {
                return Err(self.err(
                    Some(m.span()),
                    "a step with `method` needs `path` too (or neither)",
                    "write `get = \"/Users\"` (or post, put, patch, delete), or both method and path",
                ));
            }
            _ => {
                let at = raw.method.as_ref().or(raw.path.as_ref()).or(raw.use_.as_ref());
                return Err(self.err(
                    at.map(Spanned::span),
                    "a step needs its request: `get = \"/Users\"` (or post, put, patch, delete), or method and path",
                    "write one of get, post, put, patch, delete with the path",
                ));
            }
        };
        let path_text = path.get_ref().clone();
        if path.span() != (0..0) {
            if !path_text.starts_with('/') && !path_text.starts_with("${endpoint:") {
                return Err(self.err(
                    Some(path.span()),
                    format!("path `{path_text}` does not start with `/`"),
                    "write it relative to the base URL, e.g. \"/Users\"",
                ));
            }
            self.templates(&path_text, path.span(), captured)?;
            if path_text.get(1..).is_some_and(|rest| rest.contains("${endpoint:")) {
                return Err(self.err(
                    Some(path.span()),
                    format!("path `{path_text}`: `${{endpoint:…}}` can only begin a path"),
                    "write it first: \"${endpoint:urn:…}/${item.id}\"",
                ));
            }
        }
        let mut query: BTreeMap<String, String> =
            base.as_ref().map(|b| b.query.iter().cloned().collect()).unwrap_or_default();
        for (k, v) in &raw.query {
            self.templates(v.get_ref(), v.span(), captured)?;
            if k.eq_ignore_ascii_case("filter") {
                // Templates stand for values; check the filter's grammar with a stand-in.
                let sample = replace_placeholders(v.get_ref());
                if let Err(e) = parse_with(&sample, &ParseOptions::default()) {
                    return Err(self.err(
                        Some(v.span()),
                        format!("the filter does not parse:\n{}", e.render(&sample)),
                        "see docs/filter-grammar.md",
                    ));
                }
            }
            query.insert(k.clone(), v.get_ref().clone());
        }
        // Headers by name: the step's over its base's (or the suite's defaults).
        let mut headers: Vec<(String, String)> = match &base {
            Some(b) => b.headers.clone(),
            None => defaults.headers.clone(),
        };
        for (k, v) in &raw.headers {
            self.templates(v.get_ref(), v.span(), captured)?;
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
            headers.push((k.clone(), v.get_ref().clone()));
        }
        headers.sort_by(|a, b| a.0.cmp(&b.0));
        let auth = match &raw.auth {
            Some(a) => self.auth(a)?,
            None => base.as_ref().map(|b| b.auth).or(defaults.auth).unwrap_or(Auth::Token),
        };
        let accept = match (raw.accept.as_deref(), &base) {
            (Some(a), _) => accept(a),
            (None, Some(b)) => b.accept.clone(),
            (None, None) => accept(defaults.accept.as_deref().unwrap_or(crate::client::SCIM_JSON)),
        };
        let bodies =
            [raw.body.is_some(), raw.body_file.is_some(), raw.raw_body.is_some()].iter().filter(|b| **b).count();
        // The default types bodies: a step without one sends no Content-Type.
        let content_type = match (&raw.content_type, &base) {
            (Some(c), _) => c.clone(),
            (None, Some(b)) => b.content_type.clone(),
            (None, None) => defaults
                .content_type
                .clone()
                .filter(|_| bodies > 0)
                .unwrap_or_else(|| crate::client::SCIM_JSON.to_string()),
        };
        if bodies > 1 {
            return Err(self.err(
                Some(path.span()),
                "a step has at most one of body, body_file and raw_body",
                "keep one",
            ));
        }
        let body = if let Some(b) = &raw.body {
            let json: Value = serde_json::from_str(b.get_ref()).map_err(|e| {
                self.err(Some(b.span()), format!("body is not JSON: {e}"), "check the JSON inside the ''' quotes")
            })?;
            self.json_templates(&json, b.span(), captured)?;
            Body::Json(json)
        } else if let Some(f) = &raw.body_file {
            let rel = Path::new("bodies").join(f.get_ref());
            let path = self.fixtures.path(&rel);
            let text = self.fixtures.read(&rel).map_err(|e| {
                self.err(
                    Some(f.span()),
                    format!("cannot read body_file {}: {e}", path.display()),
                    "body_file is relative to fixtures/bodies/",
                )
            })?;
            let json: Value = serde_json::from_str(&text).map_err(|e| {
                self.err(Some(f.span()), format!("{} is not JSON: {e}", path.display()), "fix the fixture")
            })?;
            self.json_templates(&json, f.span(), captured)?;
            Body::Json(json)
        } else if let Some(r) = &raw.raw_body {
            Body::Raw(r.clone())
        } else {
            base.as_ref().map_or(Body::None, |b| b.body.clone())
        };
        // A step's captures are usable in its own expectations and in every later step.
        let mut capture = base.as_ref().map(|b| b.capture.clone()).unwrap_or_default();
        for (name, pointer) in &raw.capture {
            if !pointer.get_ref().is_empty() && !pointer.get_ref().starts_with('/') {
                return Err(self.err(
                    Some(pointer.span()),
                    format!("capture `{name}`: `{}` is not a JSON pointer", pointer.get_ref()),
                    "use \"\" for the whole body or \"/id\"-style pointers",
                ));
            }
            captured.insert(name.clone());
            capture.push((name.clone(), pointer.get_ref().clone()));
        }
        let base_expect = match &base {
            Some(b) => b.expect.clone(),
            None => Expect { status: defaults.status.clone().unwrap_or_default(), ..Expect::default() },
        };
        let mut expect = self.expect(&raw.expect, base_expect, captured)?;
        let parallel =
            self.parallel(raw, token.is_some(), &mut expect)?.or_else(|| base.as_ref().and_then(|b| b.parallel));
        let pages =
            self.pages(raw, method, &path_text, &query, parallel)?.or_else(|| base.as_ref().and_then(|b| b.pages));
        Ok(Step {
            name: raw.name.clone().or_else(|| base.as_ref().and_then(|b| b.name.clone())),
            method,
            path: path_text,
            query: query.into_iter().collect(),
            headers,
            auth,
            accept,
            content_type,
            body,
            expect,
            capture,
            // A token answer is not snapshotted: it is made of what the run may not show; nor are a parallel
            // step's answers, whose order and winner vary from run to run.
            // Nor a page walk's, one answer stitched from many.
            snapshot: (snapshot_on && token.is_none() && parallel.is_none() && pages.is_none()).then_some(snapshot),
            subject: raw.subject.or_else(|| base.as_ref().map(|b| b.subject)).unwrap_or(false),
            token: token.or_else(|| base.as_ref().and_then(|b| b.token)),
            parallel,
            pages,
        })
    }

    /// `pages = N`: the page size of a list GET walked page by page; the walk sets `startIndex` and
    /// `count` itself.
    fn pages(
        &self,
        raw: &RawStep,
        method: Method,
        path: &str,
        query: &BTreeMap<String, String>,
        parallel: Option<usize>,
    ) -> Result<Option<usize>, SuiteError> {
        let Some(n) = &raw.pages else { return Ok(None) };
        let at = Some(n.span());
        if method != Method::Get || parallel.is_some() {
            return Err(self.err(
                at,
                "`pages` walks the pages of a list GET",
                "use it on a GET of a collection (`get = \"/Users\"`), not with `parallel` or another method",
            ));
        }
        let paged_by_hand = |k: &str| k.eq_ignore_ascii_case("startIndex") || k.eq_ignore_ascii_case("count");
        let in_path = path
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| paged_by_hand(kv.split('=').next().unwrap_or_default())));
        if query.keys().any(|k| paged_by_hand(k)) || in_path {
            return Err(self.err(
                at,
                "a `pages` step sets startIndex and count itself",
                "drop startIndex and count from the step's query and path",
            ));
        }
        match usize::try_from(*n.get_ref()) {
            Ok(c) if (1..=MAX_PAGES).contains(&c) => Ok(Some(c)),
            _ => Err(self.err(
                at,
                format!("pages = {} is not a page size from 1 to {MAX_PAGES}", n.get_ref()),
                "e.g. pages = 100 (count=100 a page)",
            )),
        }
    }

    /// `parallel = N` and `expect.statuses`: the count, checked; the statuses' counts must add up to it,
    /// and give the allowed statuses when `expect.status` does not.
    fn parallel(&self, raw: &RawStep, token: bool, expect: &mut Expect) -> Result<Option<usize>, SuiteError> {
        let count = match &raw.parallel {
            None => None,
            Some(n) if token => {
                return Err(self.err(
                    Some(n.span()),
                    "a `token` step cannot be `parallel`",
                    "send the SCIM request in parallel instead, or drop `parallel`",
                ));
            }
            Some(n) => match usize::try_from(*n.get_ref()) {
                Ok(c) if (2..=MAX_PARALLEL).contains(&c) => Some(c),
                _ => {
                    return Err(self.err(
                        Some(n.span()),
                        format!("parallel = {} is not a number of copies from 2 to {MAX_PARALLEL}", n.get_ref()),
                        "e.g. parallel = 20 (the step is sent 20 times at once)",
                    ));
                }
            },
        };
        let Some(statuses) = &raw.expect.statuses else { return Ok(count) };
        let Some(count) = count else {
            return Err(self.err(
                Some(statuses.span()),
                "`expect.statuses` counts the answers of a `parallel` step",
                "add `parallel = N` to the step, or write `expect.status` for one answer",
            ));
        };
        let mut counted = Vec::new();
        for (status, n) in statuses.get_ref() {
            let code = status.parse::<u16>().ok().filter(|c| (100..600).contains(c));
            match (code, usize::try_from(*n)) {
                (Some(code), Ok(n)) => counted.push((code, n)),
                _ => {
                    return Err(self.err(
                        Some(statuses.span()),
                        format!("`{status} = {n}` is not an HTTP status with a count of answers"),
                        "e.g. expect.statuses = { 201 = 1, 409 = 19 }",
                    ));
                }
            }
        }
        let total: usize = counted.iter().map(|(_, n)| n).sum();
        if total != count {
            return Err(self.err(
                Some(statuses.span()),
                format!("`expect.statuses` counts {total} answers, but the step is sent {count} times"),
                format!("make the counts add up to parallel = {count}"),
            ));
        }
        if raw.expect.status.is_none() {
            expect.status = counted.iter().map(|(code, _)| *code).collect();
        }
        expect.statuses = counted;
        Ok(Some(count))
    }

    fn method(&self, m: &Spanned<String>) -> Result<Method, SuiteError> {
        Ok(match m.get_ref().to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            other => {
                return Err(self.err(
                    Some(m.span()),
                    format!("unknown method `{other}`"),
                    "use GET, POST, PUT, PATCH or DELETE",
                ));
            }
        })
    }

    fn auth(&self, a: &Spanned<String>) -> Result<Auth, SuiteError> {
        let given = a.get_ref().as_str();
        Auth::ALL.iter().find(|(name, _)| *name == given).map(|(_, auth)| *auth).ok_or_else(|| {
            let names: Vec<String> = Auth::ALL.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            let hint = closest(given, Auth::ALL.iter().map(|(n, _)| *n))
                .map(|c| format!(" — did you mean `{c}`?"))
                .unwrap_or_default();
            self.err(
                Some(a.span()),
                format!("unknown auth `{given}`{hint}"),
                format!("use one of {}", names.join(", ")),
            )
        })
    }

    /// `token = "…"`: which request the step sends to the token endpoint.
    fn token_variant(&self, t: &Spanned<String>) -> Result<TokenVariant, SuiteError> {
        let given = t.get_ref().as_str();
        TokenVariant::ALL.iter().find(|v| v.as_str() == given).copied().ok_or_else(|| {
            let names: Vec<String> = TokenVariant::ALL.iter().map(|v| format!("\"{}\"", v.as_str())).collect();
            let hint = closest(given, TokenVariant::ALL.iter().map(|v| v.as_str()))
                .map(|c| format!(" — did you mean `{c}`?"))
                .unwrap_or_default();
            self.err(
                Some(t.span()),
                format!("unknown token request `{given}`{hint}"),
                format!("use one of {}", names.join(", ")),
            )
        })
    }

    fn status(&self, s: &Spanned<RawStatus>) -> Result<Vec<u16>, SuiteError> {
        let list = match s.get_ref() {
            RawStatus::One(c) => vec![*c],
            RawStatus::Many(c) => c.clone(),
        };
        if list.is_empty() || list.iter().any(|c| !(100..600).contains(c)) {
            return Err(self.err(
                Some(s.span()),
                "status must be an HTTP status or a non-empty list of them",
                "e.g. status = 201 or status = [200, 204]",
            ));
        }
        Ok(list)
    }

    /// The suite's `[suite.defaults]`.
    fn defaults(&self, raw: Option<&RawDefaults>) -> Result<Defaults, SuiteError> {
        let Some(raw) = raw else { return Ok(Defaults::default()) };
        let mut headers = Vec::new();
        for (k, v) in &raw.headers {
            // Defaults come before any capture: only ${run}, ${name:…} and the like.
            self.templates(v.get_ref(), v.span(), &HashSet::new())?;
            headers.push((k.clone(), v.get_ref().clone()));
        }
        Ok(Defaults {
            accept: raw.accept.clone(),
            content_type: raw.content_type.clone(),
            headers,
            auth: raw.auth.as_ref().map(|a| self.auth(a)).transpose()?,
            status: raw.expect.status.as_ref().map(|s| self.status(s)).transpose()?,
        })
    }

    /// Where byte `inner` of the string whose TOML token is at `span` is in the file: after the opening
    /// quotes (and the newline a `'''` string drops).
    fn inside_string(&self, span: std::ops::Range<usize>, inner: usize) -> std::ops::Range<usize> {
        let token = self.text.get(span.clone()).unwrap_or_default();
        let quote = if token.starts_with("'''") || token.starts_with("\"\"\"") {
            3 + usize::from(token[3..].starts_with('\n')) + usize::from(token[3..].starts_with("\r\n"))
        } else {
            usize::from(token.starts_with(['\'', '"']))
        };
        let at = span.start + quote + inner;
        at..at
    }

    fn expect(&self, raw: &RawExpect, base: Expect, captured: &HashSet<String>) -> Result<Expect, SuiteError> {
        let status = match &raw.status {
            None => base.status,
            Some(s) => self.status(s)?,
        };
        if let Some(r) = &raw.resource
            && !["User", "Group"].contains(&r.get_ref().as_str())
        {
            return Err(self.err(
                Some(r.span()),
                format!("unknown resource type `{}`", r.get_ref()),
                "use \"User\" or \"Group\"",
            ));
        }
        let mut headers = base.headers;
        for spanned in &raw.headers {
            let span = spanned.span();
            let check = match spanned.get_ref() {
                toml::Value::String(line) => assertion::header_check(line)
                    .map_err(|e| self.err(Some(self.inside_string(span.clone(), e.offset)), e.message, e.fix))?,
                table => {
                    let h = RawHeader::deserialize(table.clone()).map_err(|e| {
                        self.err(Some(span.clone()), format!("header check: {}", e.message()), HEADER_FORMS)
                    })?;
                    let predicate = match (h.equals, h.contains, h.present) {
                        (Some(e), None, None) => HeaderPredicate::Equals(e),
                        (None, Some(c), None) => HeaderPredicate::Contains(c),
                        (None, None, Some(p)) => HeaderPredicate::Present(p),
                        _ => {
                            return Err(self.err(
                                Some(span),
                                format!("header check `{}` needs exactly one of equals, contains, present", h.name),
                                "keep one predicate per check",
                            ));
                        }
                    };
                    HeaderCheck { name: h.name, predicate }
                }
            };
            if let HeaderPredicate::Equals(text) | HeaderPredicate::Contains(text) = &check.predicate {
                placeholders(text).map_err(|e| {
                    self.err(
                        Some(span.clone()),
                        format!("header check `{}`: {e}", check.name),
                        "see \"Templates\" in suites/README.md",
                    )
                })?;
            }
            headers.push(check);
        }
        let mut json = base.json;
        for spanned in &raw.json {
            let span = spanned.span();
            let check = match spanned.get_ref() {
                toml::Value::String(line) => {
                    let check = assertion::json_check(line)
                        .map_err(|e| self.err(Some(self.inside_string(span.clone(), e.offset)), e.message, e.fix))?;
                    if let JsonTarget::Path(p) = &check.target {
                        check_path(p).map_err(|(at, message)| {
                            self.err(
                                Some(self.inside_string(span.clone(), assertion::target_offset(line) + at)),
                                message,
                                "see docs/filter-grammar.md; a JSON pointer starts with `/`",
                            )
                        })?;
                    }
                    check
                }
                table => self.json_table(table, span.clone())?,
            };
            if let Predicate::Equals(v)
            | Predicate::NotEquals(v)
            | Predicate::Contains(v)
            | Predicate::SameItems(v)
            | Predicate::NotBefore(v)
            | Predicate::SameInstant(v) = &check.predicate
            {
                self.json_templates(v, span.clone(), captured)?;
            }
            json.push(check);
        }
        let mut schemas_declare = base.schemas_declare;
        for spanned in &raw.schemas_declare {
            schemas_declare.push(self.resource_path(spanned.get_ref(), spanned.span())?);
        }
        let refusal_needs_declaration = match &raw.refusal_needs_declaration {
            None => base.refusal_needs_declaration,
            Some(r) => {
                let (resource, path) = self.resource_path(&r.get_ref().attribute, r.span())?;
                Some(DeclaredRefusal { resource, path, value: r.get_ref().value.clone() })
            }
        };
        Ok(Expect {
            schemas_declare,
            refusal_needs_declaration,
            within_ms: raw.within_ms.or(base.within_ms),
            status,
            resource: raw.resource.as_ref().map(|r| r.get_ref().clone()).or(base.resource),
            list: raw.list.unwrap_or(base.list),
            error: match &raw.error {
                Some(e) => Some(e.scim_type.clone()),
                None => base.error,
            },
            headers,
            json,
            statuses: base.statuses,
        })
    }

    /// `User:emails[type eq "work"].value`: a resource type and a SCIM path of it.
    fn resource_path(&self, text: &str, span: std::ops::Range<usize>) -> Result<(String, String), SuiteError> {
        let Some((resource, path)) = text.split_once(':').filter(|(r, _)| ["User", "Group"].contains(r)) else {
            return Err(self.err(
                Some(span),
                format!("`{text}` does not name its resource type"),
                "write `User:<path>` or `Group:<path>`, e.g. `User:name.givenName`",
            ));
        };
        check_path(path).map_err(|(_, message)| {
            self.err(Some(span), message, "see docs/filter-grammar.md; e.g. `User:emails[type eq \"work\"].value`")
        })?;
        Ok((resource.to_string(), path.to_string()))
    }

    /// A body check written as a table: `{ path = "userName", equals = "…" }`.
    fn json_table(&self, table: &toml::Value, span: std::ops::Range<usize>) -> Result<JsonCheck, SuiteError> {
        let j = RawJson::deserialize(table.clone())
            .map_err(|e| self.err(Some(span.clone()), format!("json check: {}", e.message()), JSON_FORMS))?;
        let target = match (j.pointer, j.path) {
            (Some(p), None) if p.is_empty() || p.starts_with('/') => JsonTarget::Pointer(p),
            (Some(p), None) => {
                return Err(self.err(
                    Some(span),
                    format!("`{p}` is not a JSON pointer"),
                    "pointers start with `/`: \"/id\"",
                ));
            }
            (None, Some(p)) => {
                check_path(&p)
                    .map_err(|(_, message)| self.err(Some(span.clone()), message, "see docs/filter-grammar.md"))?;
                JsonTarget::Path(p)
            }
            _ => {
                return Err(self.err(Some(span), "a json check needs exactly one of pointer and path", "keep one"));
            }
        };
        let predicates = [
            j.equals.is_some(),
            j.not_equals.is_some(),
            j.present.is_some(),
            j.contains.is_some(),
            j.same_items.is_some(),
            j.length.is_some(),
            j.ty.is_some(),
            j.one_of.is_some(),
            j.not_before.is_some(),
            j.same_instant.is_some(),
            j.not_starts_with.is_some(),
            j.between.is_some(),
        ];
        if predicates.iter().filter(|p| **p).count() != 1 {
            return Err(self.err(
                Some(span),
                "a json check needs exactly one of equals, not_equals, present, contains, same_items, length, type, \
                 one_of, not_before, same_instant, not_starts_with, between",
                "split it into several checks",
            ));
        }
        let predicate = if let Some(v) = j.equals {
            Predicate::Equals(to_json(&v))
        } else if let Some(v) = j.not_equals {
            Predicate::NotEquals(to_json(&v))
        } else if let Some(p) = j.present {
            Predicate::Present(p)
        } else if let Some(v) = j.contains {
            Predicate::Contains(to_json(&v))
        } else if let Some(v) = j.same_items {
            Predicate::SameItems(to_json(&v))
        } else if let Some(n) = j.length {
            Predicate::Length(n)
        } else if let Some(t) = j.ty {
            if !assertion::TYPES.contains(&t.as_str()) {
                return Err(self.err(
                    Some(span),
                    format!("unknown type `{t}`"),
                    "use string, number, integer, boolean, array, object or null",
                ));
            }
            Predicate::Type(t)
        } else if let Some(v) = j.not_before {
            Predicate::NotBefore(to_json(&v))
        } else if let Some(v) = j.same_instant {
            Predicate::SameInstant(to_json(&v))
        } else if let Some(v) = j.not_starts_with {
            Predicate::NotStartsWith(to_json(&v))
        } else if let Some([least, most]) = j.between {
            let (least, most) = (to_json(&least), to_json(&most));
            if !least.is_number() || !most.is_number() {
                return Err(self.err(Some(span), "between needs two numbers", "e.g. between = [3600, 21600]"));
            }
            Predicate::Between(least, most)
        } else {
            Predicate::OneOf(j.one_of.unwrap_or_default().iter().map(to_json).collect())
        };
        Ok(JsonCheck { target, predicate })
    }
}

const HEADER_FORMS: &str =
    "write 'Name == \"value\"', 'Name contains \"x\"', 'Name present' or a table { name, equals | contains | present }";
const JSON_FORMS: &str = "write '<path or /pointer> <operator> [value]' or a table { path | pointer, equals | … }";

/// The `accept` key: `"none"` sends no Accept header.
fn accept(a: &str) -> Option<String> {
    (a != "none").then(|| a.to_string())
}

/// In a scenario's captured names after a fragment that failed to load: its captures are unknown, so
/// later steps are not also reported for naming them (one mistake, one message).
const ANY_CAPTURE: &str = "*";
/// `${i}`: the copy's number in a `parallel` step (0..N-1).
pub const COPY_NUMBER: &str = "i";

/// `[suite.defaults]`, resolved.
#[derive(Debug, Clone, Default)]
struct Defaults {
    accept: Option<String>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
    auth: Option<Auth>,
    status: Option<Vec<u16>>,
}

/// `filter` and path values with every `${…}` replaced by a plain word, to check their grammar.
fn replace_placeholders(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(end) => {
                out.push('x');
                rest = &rest[i + end + 1..];
            }
            None => {
                rest = &rest[i..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn toml_error(file: &Path, text: &str, e: toml::de::Error) -> SuiteError {
    let line = e.span().map(|s| Location::of(text, s.start));
    let message = e.message().to_string();
    let fix = if message.contains("unknown field") {
        "see suites/README.md for the keys each table takes"
    } else if message.contains("missing field") {
        "add the missing key (suites/README.md lists the required ones)"
    } else {
        "fix the TOML syntax"
    };
    SuiteError { file: file.to_path_buf(), line, message, fix: fix.into() }
}

/// Loads and validates one suite file with a profile's variables (`ProfileVars::default()` for none).
/// `fixtures` holds `bodies/`; fragments and reused scenarios are looked up next to the file's directory
/// (`suites/rfc/x.toml` → `suites/fragments/`, `suites/entra/…`).
pub fn load_suite(file: &Path, fixtures: &Source, vars: &ProfileVars) -> Result<Suite, SuiteErrors> {
    let text = std::fs::read_to_string(file).map_err(|e| SuiteError {
        file: file.to_path_buf(),
        line: None,
        message: format!("cannot read: {e}"),
        fix: "check the path".into(),
    })?;
    let root = file.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    parse_suite(file, &text, fixtures, &Source::Dir(root.to_path_buf()), vars)
}

/// Errors found in a fragment's or reused scenario's own file, each told with where it is used (as
/// `Loader::err` does for the errors it makes).
fn in_context(errors: Vec<SuiteError>, context: &str) -> Vec<SuiteError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.message = format!("{} ({context})", e.message);
            e
        })
        .collect()
}

/// The value, or `None` with the error kept.
fn keep<T>(r: Result<T, SuiteError>, errors: &mut Vec<SuiteError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// What a scenario's steps start from: the suite's requires, snapshot settings and defaults.
struct SuiteLevel {
    requires: Vec<Feature>,
    snapshot: (bool, StepSnapshot),
    defaults: Defaults,
}

/// Validates the text of a suite file; `file` is the path shown in messages. Every error of the file is
/// reported, not only the first.
fn parse_suite(
    file: &Path,
    text: &str,
    fixtures: &Source,
    suites: &Source,
    vars: &ProfileVars,
) -> Result<Suite, SuiteErrors> {
    let text = profile_vars::substitute(file, text, vars).map_err(SuiteErrors)?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| toml_error(file, &text, e))?;
    let loader = Loader { file, text: &text, fixtures, suites, vars, context: None, in_fragment: false };
    let mut errors = Vec::new();
    let level = loader.suite_level(&raw.suite, &mut errors);
    let mut names = HashSet::new();
    let mut scenarios = Vec::new();
    for s in raw.scenario {
        let span = s.span();
        let s = s.into_inner();
        let name_span =
            s.name.as_ref().map(Spanned::span).or(s.use_.as_ref().map(Spanned::span)).unwrap_or(span.clone());
        let scenario = match &s.use_ {
            Some(used) => {
                let used = used.clone();
                loader.reused(&used, s, &level, &mut errors)
            }
            None => loader.scenario(s, span, &level, &mut errors).map(|(scenario, _)| scenario),
        };
        let Some(scenario) = scenario else { continue };
        let name = &scenario.name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            errors.push(loader.err(
                Some(name_span.clone()),
                format!("scenario name `{name}` is not [a-z0-9_]+"),
                "use lower-case letters, digits and `_`",
            ));
        }
        if !names.insert(name.clone()) {
            errors.push(loader.err(
                Some(name_span),
                format!("scenario `{name}` appears twice"),
                "give each scenario of a file its own name",
            ));
        }
        scenarios.push(scenario);
    }
    if scenarios.is_empty() && errors.is_empty() {
        errors.push(loader.err(None, "the suite has no scenarios", "add [[scenario]] tables"));
    }
    if !errors.is_empty() {
        return Err(SuiteErrors(errors));
    }
    let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Suite { name, file: file.to_path_buf(), description: raw.suite.description, scenarios })
}

impl Loader<'_> {
    /// `"{what} file:line:column"` for the start of `span`, after the context this loader already has.
    fn context_at(&self, what: &str, span: std::ops::Range<usize>) -> String {
        let at = self.line(span);
        let here = format!("{what} {}:{}:{}", self.file.display(), at.line, at.column);
        match &self.context {
            Some(outer) => format!("{here}, {outer}"),
            None => here,
        }
    }

    fn suite_level(&self, raw: &RawSuite, errors: &mut Vec<SuiteError>) -> SuiteLevel {
        let requires = keep(self.features(&raw.requires), errors).unwrap_or_default();
        let snapshot = keep(
            self.snapshot(&(true, StepSnapshot::default()), raw.snapshot, &raw.snapshot_redact, &raw.snapshot_headers),
            errors,
        )
        .unwrap_or_default();
        let defaults = keep(self.defaults(raw.defaults.as_ref()), errors).unwrap_or_default();
        SuiteLevel { requires, snapshot, defaults }
    }

    /// A scenario written out (not reused), with the names its steps capture; `None` when it has errors
    /// (kept in `errors`).
    fn scenario(
        &self,
        s: RawScenario,
        span: std::ops::Range<usize>,
        level: &SuiteLevel,
        errors: &mut Vec<SuiteError>,
    ) -> Option<(Scenario, HashSet<String>)> {
        let before = errors.len();
        let Some(name) = s.name.as_ref() else {
            errors.push(self.err(
                Some(span),
                "a scenario without `name`",
                "add name = \"…\" (or use = \"<dir>/<suite>/<scenario>\" to reuse one)",
            ));
            return None;
        };
        let name_span = name.span();
        let name = name.get_ref().clone();
        let Some(requirement) = s.requirement else {
            errors.push(self.err(
                Some(name_span),
                format!("scenario `{name}` has no `requirement`"),
                "add requirement = { source = \"RFC 7644 §…\", level = \"MUST\", text = \"…\" }",
            ));
            return None;
        };
        if s.step.is_empty() {
            errors.push(self.err(
                Some(name_span.clone()),
                format!("scenario `{name}` has no steps"),
                "add steps: [[scenario.step]] tables or steps = [{ … }]",
            ));
        }
        let mut requires = level.requires.clone();
        requires.extend(keep(self.features(&s.requires), errors).unwrap_or_default());
        requires.sort();
        requires.dedup();
        let mut captured = HashSet::new();
        let snapshot =
            keep(self.snapshot(&level.snapshot, s.snapshot, &s.snapshot_redact, &s.snapshot_headers), errors)
                .unwrap_or_default();
        let mut steps = Vec::new();
        self.add_steps(s.step, &mut steps, &mut captured, &snapshot, &level.defaults, errors);
        let tension = s.tension.and_then(|t| self.tension(t, &steps, &mut captured, &level.defaults, errors));
        // A catalogue's endpoint resolves whenever the scenario runs: it requires the feature that finds it.
        for step in &steps {
            for p in placeholders(&step.path).unwrap_or_default() {
                let Placeholder::Endpoint(urn) = p else { continue };
                let feature = Feature::ALL.into_iter().find(|f| f.resource_schema() == Some(urn.as_str()));
                if let Some(f) = feature.filter(|f| !requires.contains(f)) {
                    errors.push(self.err(
                        Some(name_span.clone()),
                        format!("scenario `{name}` uses `${{endpoint:{urn}}}` but does not require `{}`", f.as_str()),
                        format!("add requires = [\"{}\"]", f.as_str()),
                    ));
                }
            }
        }
        let scenario =
            Scenario { name, description: s.description.unwrap_or_default(), requirement, requires, steps, tension };
        (errors.len() == before).then_some((scenario, captured))
    }

    /// `use = "<dir>/<suite>/<scenario>"`: that scenario, loaded from its own file with this loader's
    /// profile variables, under the keys `site` gives (see [`RawScenario::use_`]).
    fn reused(
        &self,
        used: &Spanned<String>,
        site: RawScenario,
        level: &SuiteLevel,
        errors: &mut Vec<SuiteError>,
    ) -> Option<Scenario> {
        let before = errors.len();
        let mut here = |message: String, fix: String| {
            errors.push(self.err(Some(used.span()), message, fix));
            None
        };
        let wanted = used.get_ref();
        let Some((suite_rel, scenario_name)) = wanted.rsplit_once('/') else {
            return here(
                format!("`{wanted}` does not name a scenario"),
                "write use = \"<dir>/<suite>/<scenario>\", e.g. \"entra/user_lifecycle/rename_username\"".into(),
            );
        };
        let dir = suite_rel.rsplit_once('/').map_or("", |(d, _)| d);
        if dir.is_empty() || dir.split('/').next() == Some(fragment::DIR) {
            return here(
                format!("`{wanted}` does not name a scenario of a suite"),
                "write use = \"<dir>/<suite>/<scenario>\"; steps of fragments/ are used from a step".into(),
            );
        }
        let rel = PathBuf::from(format!("{suite_rel}.toml"));
        let file = self.suites.path(&rel);
        let Ok(text) = self.suites.read(&rel) else {
            let names = available(self.suites, dir);
            let stem = suite_rel.rsplit('/').next().unwrap_or(suite_rel);
            return here(
                format!("no suite `{suite_rel}`{}", did_you_mean(stem, names.iter().map(String::as_str))),
                format!(
                    "the suites of `{dir}`: {}",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                ),
            );
        };
        if file == self.file {
            return here(
                format!("`{wanted}` is in this file"),
                "reuse scenarios of other suites; within one file, share steps with a fragment".into(),
            );
        }
        let raw: RawFile = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                errors.push(toml_error(&file, &text, e));
                return None;
            }
        };
        let names: Vec<String> =
            raw.scenario.iter().filter_map(|s| s.get_ref().name.as_ref().map(|n| n.get_ref().clone())).collect();
        let is_wanted =
            |s: &Spanned<RawScenario>| s.get_ref().name.as_ref().is_some_and(|n| n.get_ref() == scenario_name);
        // From the scenario's `[[scenario]]` to the next one (a table's span may cover its header only).
        let starts: Vec<usize> = raw.scenario.iter().map(|s| s.span().start).collect();
        let Some(needed) =
            raw.scenario.iter().position(is_wanted).map(|i| starts[i]..*starts.get(i + 1).unwrap_or(&text.len()))
        else {
            errors.push(self.err(
                Some(used.span()),
                format!(
                    "no scenario `{scenario_name}` in {}{}",
                    file.display(),
                    did_you_mean(scenario_name, names.iter().map(String::as_str))
                ),
                format!("its scenarios: {}", names.join(", ")),
            ));
            return None;
        };
        // The profile's variables, of which only those the scenario (and its file's [suite]) use must exist.
        let suite_end = text.find("[[scenario]]").unwrap_or(0);
        let context = self.context_at("in the scenario reused at", used.span());
        let text = match profile_vars::substitute_within(&file, &text, self.vars, &[0..suite_end, needed]) {
            Ok(t) => t,
            Err(e) => {
                errors.extend(in_context(e, &context));
                return None;
            }
        };
        let raw: RawFile = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                errors.push(toml_error(&file, &text, e));
                return None;
            }
        };
        let inner = Loader {
            file: &file,
            text: &text,
            fixtures: self.fixtures,
            suites: self.suites,
            vars: self.vars,
            context: Some(context),
            in_fragment: false,
        };
        let source_level = inner.suite_level(&raw.suite, errors);
        let source = raw.scenario.into_iter().find(is_wanted).expect("found above");
        let span = source.span();
        let source = source.into_inner();
        if let Some(again) = &source.use_ {
            errors.push(inner.err(
                Some(again.span()),
                "a reused scenario reuses another",
                format!("point `use` at `{}` instead", again.get_ref()),
            ));
            return None;
        }
        let (mut scenario, mut captured) = inner.scenario(source, span, &source_level, errors)?;
        if let Some(name) = site.name {
            scenario.name = name.into_inner();
        }
        if let Some(description) = site.description {
            scenario.description = description;
        }
        if let Some(requirement) = site.requirement {
            scenario.requirement = requirement;
        }
        scenario.requires.extend(level.requires.iter().copied());
        scenario.requires.extend(keep(self.features(&site.requires), errors).unwrap_or_default());
        scenario.requires.sort();
        scenario.requires.dedup();
        let snapshot =
            keep(self.snapshot(&level.snapshot, site.snapshot, &site.snapshot_redact, &site.snapshot_headers), errors)
                .unwrap_or_default();
        self.add_steps(site.step, &mut scenario.steps, &mut captured, &snapshot, &level.defaults, errors);
        if let Some(t) = site.tension {
            scenario.tension = self.tension(t, &scenario.steps, &mut captured, &level.defaults, errors);
        }
        (errors.len() == before).then_some(scenario)
    }

    /// `[scenario.tension]`: a known tension id, a step of the scenario by name, the IdP side's answer to
    /// it and the steps that confirm it (which may use every capture of the scenario).
    fn tension(
        &self,
        raw: Spanned<RawTension>,
        steps: &[Step],
        captured: &mut HashSet<String>,
        defaults: &Defaults,
        errors: &mut Vec<SuiteError>,
    ) -> Option<TensionCheck> {
        let before = errors.len();
        let raw = raw.into_inner();
        if tension::tension(raw.id.get_ref()).is_none() {
            let ids: Vec<&str> = TENSIONS.iter().map(|t| t.id).collect();
            errors.push(self.err(
                Some(raw.id.span()),
                format!(
                    "unknown tension `{}`{}",
                    raw.id.get_ref(),
                    did_you_mean(raw.id.get_ref(), ids.iter().copied())
                ),
                format!(
                    "use a tension of idp-behaviour.md §8 or a quirk that contradicts the RFC: {}",
                    tension::tension_ids()
                ),
            ));
        }
        let named: Vec<&str> = steps.iter().filter_map(|s| s.name.as_deref()).collect();
        let step = steps.iter().rposition(|s| s.name.as_deref() == Some(raw.step.get_ref().as_str()));
        if step.is_none() {
            errors.push(self.err(
                Some(raw.step.span()),
                format!(
                    "tension step `{}` names no step of the scenario{}",
                    raw.step.get_ref(),
                    did_you_mean(raw.step.get_ref(), named.iter().copied())
                ),
                format!("name the step whose answer is on the tension; the named steps: {}", named.join(", ")),
            ));
        }
        for (key, text) in [("rfc", &raw.rfc), ("idp", &raw.idp), ("source", &raw.source)] {
            if text.trim().is_empty() {
                errors.push(self.err(
                    Some(raw.id.span()),
                    format!("tension `{key}` is empty"),
                    "say in a few words what that side answers (rfc, idp) and where the IdP side is documented (source)",
                ));
            }
        }
        let expect = keep(self.expect(&raw.expect, Expect::default(), captured), errors);
        let mut then = Vec::new();
        self.add_steps(raw.then, &mut then, captured, &(false, StepSnapshot::default()), defaults, errors);
        let (Some(step), Some(expect)) = (step, expect) else { return None };
        (errors.len() == before).then(|| TensionCheck {
            id: raw.id.get_ref().trim_start_matches('§').to_string(),
            step,
            rfc: raw.rfc,
            idp: raw.idp,
            source: raw.source,
            expect,
            then,
        })
    }
}

impl Loader<'_> {
    /// Loads `raw` onto the end of `steps`, keeping every error.
    fn add_steps(
        &self,
        raw: Vec<RawStep>,
        steps: &mut Vec<Step>,
        captured: &mut HashSet<String>,
        snapshot: &(bool, StepSnapshot),
        defaults: &Defaults,
        errors: &mut Vec<SuiteError>,
    ) {
        for st in raw {
            let uses = st.use_.is_some();
            match self.steps(st, captured, snapshot, defaults) {
                Ok(more) => steps.extend(more),
                Err(e) => {
                    errors.extend(e);
                    if uses {
                        captured.insert(ANY_CAPTURE.into());
                    }
                }
            }
        }
    }

    /// One step of a scenario, or the steps of the fragment it uses (its own keys over the last one).
    fn steps(
        &self,
        raw: RawStep,
        captured: &mut HashSet<String>,
        snapshot: &(bool, StepSnapshot),
        defaults: &Defaults,
    ) -> Result<Vec<Step>, Vec<SuiteError>> {
        let Some(used) = raw.use_.clone() else {
            if let Some(w) = &raw.with {
                return Err(vec![self.err(
                    Some(w.span()),
                    "`with` without `use`",
                    "`with` gives a fragment's parameters",
                )]);
            }
            return self.step(raw, None, captured, snapshot, defaults).map(|s| vec![s]).map_err(|e| vec![e]);
        };
        if self.in_fragment {
            return Err(vec![self.err(
                Some(used.span()),
                "a fragment's step uses another fragment",
                "inline its steps",
            )]);
        }
        let mut with = BTreeMap::new();
        if let Some(w) = &raw.with {
            for (k, v) in w.get_ref() {
                let text = fragment::parameter_text(k, v).map_err(|(m, f)| vec![self.err(Some(w.span()), m, f)])?;
                with.insert(k.clone(), text);
            }
        }
        let context = self.context_at("in the fragment used at", used.span());
        let resolved = fragment::resolve(self.suites, self.vars, used.get_ref(), &with).map_err(|e| match e {
            fragment::UseError::AtUse(m, f) => vec![self.err(Some(used.span()), m, f)],
            fragment::UseError::AtWith(m, f) => vec![self.err(raw.with.as_ref().map(Spanned::span), m, f)],
            fragment::UseError::InFragment(all) => in_context(all, &context),
        })?;
        let inner = Loader {
            file: &resolved.file,
            text: &resolved.text,
            fixtures: self.fixtures,
            suites: self.suites,
            vars: self.vars,
            context: Some(context),
            in_fragment: true,
        };
        if resolved.steps.is_empty() {
            return Err(vec![self.err(
                Some(used.span()),
                format!("fragment `{}` has no steps", used.get_ref()),
                "add steps to it",
            )]);
        }
        let mut steps = Vec::new();
        for st in resolved.steps {
            steps.extend(inner.steps(st, captured, snapshot, defaults)?);
        }
        let last = steps.pop().expect("a fragment has steps");
        steps.push(self.step(raw, Some(last), captured, snapshot, defaults).map_err(|e| vec![e])?);
        Ok(steps)
    }
}

/// The closest of `candidates` to `word` (case-insensitive Jaro-Winkler), when one is close enough to be
/// a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// [`closest`] as the end of a message: `` — did you mean `x`?``, or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map(|c| format!(" — did you mean `{c}`?")).unwrap_or_default()
}

/// The names of the `.toml` files under `suites/<dir>`, sorted.
pub fn available(suites: &Source, dir: &str) -> Vec<String> {
    let mut names: Vec<String> = suites
        .list(dir, "toml")
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// Reads `suites/<dir>/<name>.toml`, or a `.toml` path given as is (`what`: "profile", "app"). An unknown
/// name lists the ones there are, with the closest.
fn read_named(suites: &Source, dir: &str, name_or_file: &str, what: &str) -> Result<(PathBuf, String), SuiteError> {
    let named = !name_or_file.ends_with(".toml");
    let (file, read) = if named {
        let rel = Path::new(dir).join(format!("{name_or_file}.toml"));
        (suites.path(&rel), suites.read(&rel))
    } else {
        (PathBuf::from(name_or_file), std::fs::read_to_string(name_or_file))
    };
    match read {
        Ok(text) => Ok((file, text)),
        Err(e) if named && e.kind() == std::io::ErrorKind::NotFound => {
            let names = available(suites, dir);
            Err(SuiteError {
                message: format!(
                    "unknown {what} `{name_or_file}`{}",
                    did_you_mean(name_or_file, names.iter().map(String::as_str))
                ),
                fix: format!("pass --{what} with one of: {} (or a .toml file)", names.join(", ")),
                file: suites.path(dir),
                line: None,
            })
        }
        Err(e) => Err(SuiteError {
            message: format!("cannot read the {what}: {e}"),
            fix: format!("{dir} live in {}; pass --{what} NAME or a .toml file", suites.path(dir).display()),
            file,
            line: None,
        }),
    }
}

/// Loads `suites/profiles/<name>.toml` (or a profile file path).
pub fn load_profile(suites: &Source, name_or_file: &str) -> Result<Profile, SuiteError> {
    let (file, text) = read_named(suites, "profiles", name_or_file, "profile")?;
    let raw: RawProfileFile = toml::from_str(&text).map_err(|e| toml_error(&file, &text, e))?;
    let patch_mode = raw.profile.patch_mode.parse().map_err(|e: String| SuiteError {
        file: file.clone(),
        line: None,
        message: e,
        fix: "use rfc, entra, okta or compat".into(),
    })?;
    let vars = ProfileVars::from_table(&raw.profile.name, &file, &raw.profile.vars)?;
    let mut positions = Vec::new();
    for spanned in raw.profile.position {
        let at = Some(Location::of(&text, spanned.span().start));
        let mut position = spanned.into_inner();
        let error = |message: String, fix: &str| SuiteError { file: file.clone(), line: at, message, fix: fix.into() };
        match (&position.id, position.side) {
            (Some(id), Some(_)) if tension(id).is_none() => {
                let ids: Vec<&str> = TENSIONS.iter().map(|t| t.id).collect();
                return Err(error(
                    format!("position: unknown tension `{id}`{}", did_you_mean(id, ids.iter().copied())),
                    &format!(
                        "use a tension of idp-behaviour.md §8 or a quirk that contradicts the RFC ({}), or leave `id` out",
                        tension::tension_ids()
                    ),
                ));
            }
            (Some(id), Some(_)) => position.id = Some(id.trim_start_matches('§').to_string()),
            (Some(_), None) => {
                return Err(error(
                    "position: `id` without `side`".into(),
                    "add side = \"rfc\", \"idp\", \"either\" or \"not-sent\"",
                ));
            }
            (None, Some(_)) => {
                return Err(error(
                    "position: `side` without `id`".into(),
                    "add id = \"8.N\", the tension of idp-behaviour.md §8",
                ));
            }
            (None, None) => {}
        }
        positions.push(position);
    }
    Ok(Profile {
        vars,
        user_update: raw.profile.user_update,
        lists_app_extension_urns: raw.profile.lists_app_extension_urns,
        replays: raw.profile.replays,
        checks_schema_discoverability: raw.profile.checks_schema_discoverability,
        display_name: raw.profile.display_name.unwrap_or_else(|| raw.profile.name.clone()),
        name: raw.profile.name,
        description: raw.profile.description,
        suites: raw.profile.suites,
        patch_mode,
        positions,
    })
}

/// The suite files a profile names (`rfc/*` or `rfc/users`), relative to `suites`, sorted.
pub fn profile_suite_files(suites: &Source, profile: &Profile) -> Result<Vec<PathBuf>, SuiteError> {
    let mut files = Vec::new();
    for pattern in &profile.suites {
        let pattern = pattern.trim_end_matches(".toml");
        if pattern.split('/').next() == Some(fragment::DIR) {
            return Err(SuiteError {
                file: suites.path("profiles"),
                line: None,
                message: format!(
                    "profile `{}` names `{pattern}`: fragments/ holds fragments, not suites",
                    profile.name
                ),
                fix: "name suite directories in `suites`; suites reach fragments with `use`".into(),
            });
        }
        let matched: Vec<PathBuf> = if let Some(dir) = pattern.strip_suffix("/*") {
            suites.list(dir, "toml").map_err(|e| SuiteError {
                file: suites.path(dir),
                line: None,
                message: format!("cannot list: {e}"),
                fix: "check the profile's suites".into(),
            })?
        } else {
            vec![PathBuf::from(format!("{pattern}.toml"))]
        };
        files.extend(matched);
    }
    Ok(files)
}

/// Loads every suite of a profile, each error of each file told (see [`SuiteErrors`]).
pub fn load_profile_suites(suites: &Source, fixtures: &Source, profile: &Profile) -> Result<Vec<Suite>, SuiteError> {
    load_profile_suites_reporting_all(suites, fixtures, profile).map_err(SuiteError::from)
}

/// Loads every suite of a profile, going on after a bad file so that every error of every file is found.
pub fn load_profile_suites_reporting_all(
    suites: &Source,
    fixtures: &Source,
    profile: &Profile,
) -> Result<Vec<Suite>, SuiteErrors> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for rel in profile_suite_files(suites, profile)? {
        let file = suites.path(&rel);
        let text = match suites.read(&rel) {
            Ok(t) => t,
            Err(e) => {
                errors.push(SuiteError {
                    file,
                    line: None,
                    message: format!("cannot read: {e}"),
                    fix: format!("check the profile `{}`'s suites", profile.name),
                });
                continue;
            }
        };
        match parse_suite(&file, &text, fixtures, suites, &profile.vars) {
            Ok(s) => loaded.push(s),
            Err(e) => errors.extend(e.0),
        }
    }
    if errors.is_empty() { Ok(loaded) } else { Err(SuiteErrors(errors)) }
}

#[cfg(test)]
mod tests;
