//! The HTTP client of the runner: one base URL and credential, SCIM media types, a per-request timeout, a
//! capped body read, and retries on 429/503 (honouring `Retry-After`) for requests that are safe to
//! repeat. Every exchange is kept as a transcript that can be shown and replayed with curl; no secret
//! (token, password, credential header) ever appears in either.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

pub const SCIM_JSON: &str = "application/scim+json";

/// The most of an answer's body that is read (and kept).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Which credentials one request sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// The configured credential (and credential headers).
    Token,
    /// None at all: the configured credential and every credential header are left out.
    None,
    /// A bearer token that cannot be valid, in place of the configured credential and credential headers.
    Wrong,
    // The tokens of the OAuth security checks (src/auth.rs builds them), each in place of the configured
    // credential and credential headers, each hidden in every output like the run's own token.
    /// The run's access token cut short: not a token the server issued.
    Malformed,
    /// The run's claims under `{"alg": "none"}` and no signature (RFC 7519 §6: an unsecured JWT).
    AlgNone,
    /// The run's claims signed by a key the server never published.
    UnknownKey,
    /// The run's access token with its payload changed and its signature kept.
    Tampered,
    /// A token the token endpoint issued, sent after it expired (only when tokens are short enough to wait for).
    Expired,
    /// A token the token endpoint issued for another resource (`--oauth-other-resource`).
    WrongAudience,
}

/// The credential a run authenticates with.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credential {
    /// Nothing (a `--header 'Authorization: …'` may still carry one).
    #[default]
    None,
    /// `Authorization: Bearer <token>` (`--token`, `SCIM_TOKEN`); shown as `$SCIM_TOKEN`.
    Bearer(String),
    /// `Authorization: Basic …` (`--basic USER`, the password from `SCIM_PASSWORD`); shown as
    /// `-u "USER:$SCIM_PASSWORD"`.
    Basic { user: String, password: String },
    /// An OAuth 2.0 access token from a token endpoint (`--auth client-credentials` or `jwt-assertion`), held
    /// and refreshed by the shared [`crate::auth::OAuth`]; shown as `Bearer $SCIM_TOKEN`. Made with
    /// [`Credential::oauth`].
    OAuth(Arc<crate::auth::OAuth>),
}

/// The environment variable the `--basic` password is read from (never from the command line).
pub const PASSWORD_ENV: &str = "SCIM_PASSWORD";

/// Why the command line's credential settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "both a bearer token (--token or SCIM_TOKEN) and --basic are given\n  fix: pass one of them (unset SCIM_TOKEN to use --basic)"
    )]
    TokenAndBasic,
    #[error(
        "--basic {0} needs a password in the SCIM_PASSWORD environment variable\n  fix: export SCIM_PASSWORD=… (it is never read from the command line, never printed)"
    )]
    NoPassword(String),
    #[error(
        "--basic needs a user name without `:` (RFC 7617 §2)\n  fix: pass the user name alone, the password in SCIM_PASSWORD"
    )]
    ColonInUser,
}

impl Credential {
    /// The credential from the command line: `token` (`--token`/`SCIM_TOKEN`), `basic_user` (`--basic`)
    /// and `password` (the `SCIM_PASSWORD` environment variable). Empty values count as not given.
    pub fn from_cli(
        token: Option<String>,
        basic_user: Option<String>,
        password: Option<String>,
    ) -> Result<Credential, CredentialError> {
        let token = token.filter(|t| !t.is_empty());
        let user = basic_user.filter(|u| !u.is_empty());
        match (token, user) {
            (Some(_), Some(_)) => Err(CredentialError::TokenAndBasic),
            (Some(token), None) => Ok(Credential::Bearer(token)),
            (None, Some(user)) if user.contains(':') => Err(CredentialError::ColonInUser),
            (None, Some(user)) => match password.filter(|p| !p.is_empty()) {
                Some(password) => Ok(Credential::Basic { user, password }),
                None => Err(CredentialError::NoPassword(user)),
            },
            (None, None) => Ok(Credential::None),
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Credential::None)
    }

    /// The OAuth credential of `settings`, with a token cache of its own (shared by every clone).
    pub fn oauth(settings: crate::auth::OAuthSettings) -> Credential {
        Credential::OAuth(Arc::new(crate::auth::OAuth::new(settings)))
    }

    /// The `Authorization` value sent, and how it is shown; an OAuth token is fetched, not known here.
    fn header(&self) -> Option<(String, String)> {
        match self {
            Credential::None | Credential::OAuth(_) => None,
            Credential::Bearer(t) => Some((format!("Bearer {t}"), "Bearer $SCIM_TOKEN".into())),
            Credential::Basic { user, password } => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some((format!("Basic {encoded}"), format!("Basic {user}:${PASSWORD_ENV}")))
            }
        }
    }

    /// The values never shown: the token, or the password and the encoded `user:password`.
    fn secrets(&self) -> Vec<String> {
        match self {
            Credential::None => Vec::new(),
            Credential::Bearer(t) => vec![t.clone()],
            Credential::Basic { password, .. } => {
                let sent = self.header().map(|(v, _)| v.trim_start_matches("Basic ").to_string());
                std::iter::once(password.clone()).chain(sent).collect()
            }
            Credential::OAuth(oauth) => oauth.settings.secrets(),
        }
    }
}

/// Never prints a secret (a `RunConfig` may be debug-printed).
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::None => write!(f, "None"),
            Credential::Bearer(_) => write!(f, "Bearer({HIDDEN})"),
            Credential::Basic { user, .. } => write!(f, "Basic {{ user: {user:?}, password: {HIDDEN} }}"),
            Credential::OAuth(oauth) => write!(f, "{oauth:?}"),
        }
    }
}

/// Whether a `--header` carries a credential (Authorization, an API key, a session cookie …): its value is
/// never shown, a request sent without credentials leaves it out, and pre-flight counts it as the
/// configured credential. `Proxy-Authorization` authenticates to a proxy, not to the SCIM service.
pub fn credential_header(name: &str) -> bool {
    sensitive(name) && !name.eq_ignore_ascii_case("proxy-authorization")
}

/// How a sensitive `--header` value is shown: an environment variable named after the header
/// (`X-Api-Key` → `$SCIM_HEADER_X_API_KEY`), so a curl line runs once it is exported.
pub fn header_placeholder(name: &str) -> String {
    let var: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    format!("$SCIM_HEADER_{var}")
}

/// A request, with its path relative to the base URL.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub credentials: Credentials,
    pub accept: Option<String>,
    pub content_type: Option<String>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: reqwest::Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            credentials: Credentials::Token,
            accept: Some(SCIM_JSON.into()),
            content_type: None,
            body: None,
        }
    }

    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = Some(serde_json::to_vec(body).expect("JSON values serialize"));
        self.content_type = Some(SCIM_JSON.into());
        self
    }

    /// The path under the base URL with the query encoded as it is sent: spaces as `%20`, not `+`.
    pub fn path_and_query(&self) -> String {
        let mut target = self.path.clone();
        if !self.query.is_empty() {
            let encoded = serde_urlencoded::to_string(&self.query).unwrap_or_default().replace('+', "%20");
            target.push(if target.contains('?') { '&' } else { '?' });
            target.push_str(&encoded);
        }
        target
    }
}

/// One request and its answer (or the transport error), as a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    /// Request headers as sent, secrets replaced by `$SCIM_TOKEN`, `$SCIM_PASSWORD` or
    /// `$SCIM_HEADER_<NAME>`.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    pub error: Option<String>,
    pub attempts: u32,
    pub elapsed: Duration,
}

impl Exchange {
    /// A request not yet answered: no status, no answer headers or body, one attempt.
    pub fn request(
        method: impl Into<String>,
        url: impl Into<String>,
        request_headers: Vec<(String, String)>,
        request_body: Option<String>,
    ) -> Exchange {
        Exchange {
            method: method.into(),
            url: url.into(),
            request_headers,
            request_body,
            status: None,
            response_headers: Vec::new(),
            response_body: String::new(),
            error: None,
            attempts: 1,
            elapsed: Duration::ZERO,
        }
    }

    /// The answer's header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The answer's body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.response_body).ok()
    }

    /// The `scimType` of the answer's SCIM Error body (RFC 7644 §3.12), if it has one.
    pub fn scim_type(&self) -> Option<String> {
        self.json()?.get("scimType")?.as_str().map(str::to_string)
    }

    /// A curl command that sends the same request; secrets are environment variables: `$SCIM_TOKEN`,
    /// `-u "user:$SCIM_PASSWORD"`, `$SCIM_HEADER_<NAME>` for a credential `--header`.
    pub fn curl(&self) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        // Inside double quotes, so the variable expands and nothing else does.
        let double = |s: &str, var: &str| {
            let (before, after) = s.split_once(var).unwrap_or((s, ""));
            let escape = |t: &str| {
                t.chars().fold(String::new(), |mut o, c| {
                    if matches!(c, '"' | '$' | '`' | '\\') {
                        o.push('\\');
                    }
                    o.push(c);
                    o
                })
            };
            format!("\"{}{var}{}\"", escape(before), escape(after))
        };
        let mut out = format!("curl -sS -X {} {}", self.method, quote(&self.url));
        for (k, v) in &self.request_headers {
            let header = format!("{k}: {v}");
            let password = format!("${PASSWORD_ENV}");
            let client_secret = format!("${}", crate::auth::token::SECRET_ENV);
            if let Some(user_password) = v.strip_prefix("Basic ").filter(|u| u.ends_with(&password)) {
                out.push_str(&format!(" -u {}", double(user_password, &password)));
            } else if let Some(id_secret) = v.strip_prefix("Basic ").filter(|u| u.ends_with(&client_secret)) {
                out.push_str(&format!(" -u {}", double(id_secret, &client_secret)));
            } else if let Some(var) =
                ["$SCIM_TOKEN".to_string(), header_placeholder(k)].into_iter().find(|var| v.ends_with(var.as_str()))
            {
                out.push_str(&format!(" -H {}", double(&header, &var)));
            } else {
                out.push_str(&format!(" -H {}", quote(&header)));
            }
        }
        if let Some(b) = &self.request_body {
            out.push_str(&format!(" --data-raw {}", quote(b)));
        }
        out
    }

    /// The exchange for a failure message: request line, request body, status, answer excerpt. A body
    /// longer than `excerpt` characters is cut, and says by how much and where the whole of it is.
    pub fn transcript(&self, excerpt: usize) -> String {
        let clip = |s: &str| {
            if s.chars().count() > excerpt {
                let head: String = s.chars().take(excerpt).collect();
                format!(
                    "{head}… {} more bytes; full body in the JSON report or with --verbose",
                    thousands(s.len() - head.len())
                )
            } else {
                s.to_string()
            }
        };
        let mut out = format!("> {} {}\n", self.method, self.url);
        if let Some(b) = &self.request_body {
            out.push_str(&format!("> {}\n", clip(b)));
        }
        match (&self.status, &self.error) {
            (_, Some(e)) => out.push_str(&format!("< (no answer: {e})\n")),
            (Some(s), None) => {
                out.push_str(&format!("< {s}"));
                if let Some(ct) = self.header("content-type") {
                    out.push_str(&format!(" ({ct})"));
                }
                if self.attempts > 1 {
                    out.push_str(&format!(" after {} attempts", self.attempts));
                }
                out.push('\n');
                if !self.response_body.is_empty() {
                    out.push_str(&format!("< {}\n", clip(&self.response_body)));
                }
            }
            (None, None) => {}
        }
        out
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Client settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The SCIM base URL, e.g. `https://example.com/scim/v2`.
    pub base_url: String,
    pub credential: Credential,
    /// Extra headers sent on every request (`--header 'K: V'`).
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    /// Retries of a 429/503 on GET, PUT and DELETE.
    pub retries: u32,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Duration,
    /// The run's pace, shared by every client made from this configuration or a clone of it (pre-flight,
    /// the run, its cleanup): `--max-rps`, and the pause a 429 asks of every request.
    pub pacing: Arc<Pacing>,
}

/// How fast a run may send: at most `max_rps` requests in any second over the whole run (`--max-rps`), and
/// nothing while a 429's `Retry-After` lasts: one server's "slow down" pauses every worker, not only the one
/// it answered.
#[derive(Debug, Default)]
pub struct Pacing {
    max_rps: Option<std::num::NonZeroU32>,
    state: std::sync::Mutex<PaceState>,
    /// How many 429/503 answers paused the run.
    pauses: AtomicUsize,
}

/// Requests per second an identity provider's tenant may send: Entra's gallery requires a SCIM endpoint to
/// take at least 25 per tenant (idp-behaviour.md §10.1), so a limiter that is right never refuses a run paced
/// at this.
pub const TENANT_RPS: u32 = 25;

/// The pace of a run against `base_url` unless `--max-rps` says otherwise: [`TENANT_RPS`] for a remote
/// endpoint, where a vendor's limiter sees the run as one tenant; none on loopback (the developer's own
/// instance, and the bundled server).
pub fn default_max_rps(base_url: &str) -> Option<u32> {
    let host = reqwest::Url::parse(base_url).ok().and_then(|u| u.host_str().map(str::to_string));
    let loopback = host.is_some_and(|h| h == "localhost" || h == "::1" || h == "[::1]" || h.starts_with("127."));
    (!loopback).then_some(TENANT_RPS)
}

#[derive(Debug, Default)]
struct PaceState {
    /// The requests let go lately, oldest first: each in flight (`None`) or answered (when).
    sent: std::collections::VecDeque<(u64, Option<Instant>)>,
    next_ticket: u64,
    /// No request goes before this (the last 429's `Retry-After`).
    paused_until: Option<Instant>,
}

/// The window `max_rps` counts in. A request counts from when it is let go until a window after its answer
/// came: it reached the server before its answer did, so a later request let go then reaches it more than
/// a window later, whatever the network and the scheduler did in between. A server counting arrivals per
/// second never sees more than `max_rps`.
const PACE_WINDOW: Duration = Duration::from_millis(1000);

/// A request's place in the run's pace; it is over when dropped (its answer came, or it failed).
pub struct PaceTicket<'a> {
    pacing: &'a Pacing,
    id: Option<u64>,
}

impl Drop for PaceTicket<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut state = self.pacing.state.lock().expect("pacing lock");
            if let Some(slot) = state.sent.iter_mut().find(|(i, _)| *i == id) {
                slot.1 = Some(Instant::now());
            }
        }
    }
}

impl Pacing {
    /// At most `max_rps` requests in any second; `None`: no cap (429 pauses still apply).
    pub fn new(max_rps: Option<u32>) -> Arc<Pacing> {
        Arc::new(Pacing { max_rps: max_rps.and_then(std::num::NonZeroU32::new), ..Pacing::default() })
    }

    /// The cap, if any.
    pub fn max_rps(&self) -> Option<u32> {
        self.max_rps.map(std::num::NonZeroU32::get)
    }

    /// What the run's report says of its pace: the cap, and how often the server asked it to slow down.
    pub fn note(&self) -> Option<String> {
        let pauses = self.pauses.load(Ordering::Relaxed);
        let cap = self.max_rps().map(|n| format!("the run sent at most {n} requests in any second (--max-rps)"));
        let paused = (pauses > 0).then(|| {
            format!("the server answered 429 or 503 {pauses} time(s): every request waited out its Retry-After")
        });
        match (cap, paused) {
            (None, None) => None,
            (Some(c), None) => Some(c),
            (None, Some(p)) => Some(p),
            (Some(c), Some(p)) => Some(format!("{c}; {p}")),
        }
    }

    /// Waits until the run may send one more request: after any pause, and when fewer than `max_rps` are in
    /// flight or were answered within the last second. Hold the ticket until the answer is read.
    pub async fn turn(&self) -> PaceTicket<'_> {
        loop {
            let wait = {
                let mut state = self.state.lock().expect("pacing lock");
                let now = Instant::now();
                match state.paused_until.filter(|until| *until > now) {
                    Some(until) => until - now,
                    None => match self.max_rps {
                        None => return PaceTicket { pacing: self, id: None },
                        Some(n) => {
                            let over = |slot: &(u64, Option<Instant>)| {
                                slot.1.is_some_and(|answered| now.duration_since(answered) >= PACE_WINDOW)
                            };
                            state.sent.retain(|slot| !over(slot));
                            if state.sent.len() < n.get() as usize {
                                let id = state.next_ticket;
                                state.next_ticket += 1;
                                state.sent.push_back((id, None));
                                return PaceTicket { pacing: self, id: Some(id) };
                            }
                            // The first answered one to leave the window, or (all in flight) a short look later.
                            state
                                .sent
                                .iter()
                                .filter_map(|(_, answered)| *answered)
                                .map(|answered| (answered + PACE_WINDOW).saturating_duration_since(now))
                                .min()
                                .unwrap_or(Duration::from_millis(5))
                        }
                    },
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// Every request of the run waits `wait` from now (a 429's `Retry-After`), or longer if already paused.
    pub fn pause(&self, wait: Duration) {
        self.pauses.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state.lock().expect("pacing lock");
        let until = Instant::now() + wait;
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
    }
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            credential: Credential::None,
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            retries: 3,
            max_retry_after: Duration::from_secs(10),
            pacing: Pacing::new(None),
        }
    }
}

/// The SCIM client.
#[derive(Debug, Clone)]
pub struct Client {
    /// The clients that keep connections open, shared by every clone; renewed after a 5xx answer
    /// ([`Client::renew_pool`]).
    pooled: Arc<std::sync::RwLock<Arc<Pooled>>>,
    /// Like `http` and `http_no_redirect`, but keeping no idle connection: a request that failed on a pooled
    /// connection the server had already closed is sent again once on a new one.
    fresh: reqwest::Client,
    fresh_no_redirect: reqwest::Client,
    config: ClientConfig,
    gate: Arc<Gate>,
    /// Values never shown: the token, the password and sensitive `--header` values; with OAuth also every
    /// token, assertion and security-check token, added as they are made (shared with the credential's
    /// [`crate::auth::OAuth`], so every client of one configuration hides them all).
    secrets: Arc<Secrets>,
    /// The HTTP client for the token endpoint (OAuth only): no redirects, the run's timeout.
    token_http: Option<reqwest::Client>,
    /// Every answered exchange's response time, per endpoint.
    timings: Arc<crate::runner::timing::Timings>,
    /// Every exchange, for the HAR file: kept only when a run asks for it ([`Client::with_exchange_log`]).
    exchange_log: Option<Arc<crate::runner::report::ExchangeLog>>,
    /// The most requests in flight at once, over every clone ([`Client::with_max_in_flight`]).
    in_flight_limit: Option<Arc<tokio::sync::Semaphore>>,
}

/// The clients that keep connections open between requests.
#[derive(Debug)]
struct Pooled {
    /// Follows redirects within the origin; used for GET only.
    http: reqwest::Client,
    /// Follows no redirect: a write answered with a 307 comes back as it is, since following it would
    /// send the same PUT, PATCH or DELETE to a resource the run never named.
    no_redirect: reqwest::Client,
}

/// One reqwest client for `config`: following redirects within the origin or none, keeping idle
/// connections or not.
fn build_http(
    config: &ClientConfig,
    policy: reqwest::redirect::Policy,
    pooled: bool,
) -> Result<reqwest::Client, String> {
    let mut builder = http_builder(&config.base_url)?
        // A pooled connection idle for longer may be one the server is closing (Node's and Apache's
        // keep-alive timeout is 5 s): a POST sent on it meets a reset, and is not resent.
        .pool_idle_timeout(POOL_IDLE)
        .timeout(config.timeout)
        .connect_timeout(config.timeout.min(Duration::from_secs(10)))
        .redirect(policy);
    if !pooled {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder.build().map_err(|e| format!("cannot build the HTTP client: {e}"))
}

impl Pooled {
    fn new(config: &ClientConfig) -> Result<Pooled, String> {
        Ok(Pooled {
            http: build_http(config, same_origin(), true)?,
            no_redirect: build_http(config, reqwest::redirect::Policy::none(), true)?,
        })
    }
}

/// Lets an interrupted run stop sending and wait for what is in flight before it cleans up.
#[derive(Debug, Default)]
struct Gate {
    stopped: AtomicBool,
    in_flight: AtomicUsize,
}

/// Counts as a request in flight while it lives: [`Client::drained`] waits for it. `send` holds one;
/// a caller holds one across a send and the registration of what it created, so an interrupt never
/// cleans up between the two.
pub struct InFlight(Arc<Gate>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether an extra header carries a credential, so its value is never shown.
fn sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "session", "pass", "signature", "credential", "bearer", "jwt"]
        .iter()
        .any(|w| n.contains(w))
}

/// The forms a secret can take in an answer: as is, JSON-escaped (`\/` for `/`, `\u…`), percent-encoded.
fn secret_forms(secret: &str) -> Vec<String> {
    let quoted = serde_json::to_string(secret).unwrap_or_default();
    let json = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_string();
    let ascii_escaped: String = secret
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_string() } else { format!("\\u{:04x}", c as u32) })
        .collect();
    let percent = percent_encode(secret, b"-._~");
    let mut forms = vec![secret.to_string(), json.clone(), json.replace('/', "\\/"), ascii_escaped, percent];
    forms.sort();
    forms.dedup();
    // Longest first, so no form is replaced inside a longer one.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// What may stay unencoded in a URL path segment besides letters and digits (RFC 3986 §3.3, pchar).
pub const SEGMENT_SAFE: &[u8] = b"-._~:@!$&'()*+,;=";

/// `text` with every byte but ASCII letters, digits and `keep` written as `%XX`.
pub fn percent_encode(text: &str, keep: &[u8]) -> String {
    text.bytes()
        .map(
            |b| {
                if b.is_ascii_alphanumeric() || keep.contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            },
        )
        .collect()
}

/// How long an idle pooled connection is kept: under the shortest common keep-alive timeout (5 s).
const POOL_IDLE: Duration = Duration::from_secs(4);

/// A reqwest builder for `base_url`: scimtest's user agent, and no proxy for a loopback address.
pub fn http_builder(base_url: &str) -> Result<reqwest::ClientBuilder, String> {
    let loopback = reqwest::Url::parse(base_url)
        .map_err(|e| format!("`{base_url}` is not a URL: {e}"))?
        .host_str()
        .is_some_and(|h| h == "localhost" || h == "::1" || h == "[::1]" || h.starts_with("127."));
    let builder = reqwest::Client::builder().user_agent(concat!("scimtest/", env!("CARGO_PKG_VERSION")));
    Ok(if loopback { builder.no_proxy() } else { builder })
}

/// Redirects are followed only within the origin: no header of ours (the token, a `--header` API key)
/// ever reaches another host. A cross-origin redirect comes back as the 3xx it is.
pub fn same_origin() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(reqwest::Url::origin);
        if first.is_some_and(|o| o != attempt.url().origin()) {
            attempt.stop()
        } else if attempt.previous().len() > 5 {
            attempt.error("more than 5 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The error of a request [`Client::stop`] kept from being sent.
pub const NOT_SENT: &str = "not sent: the run was interrupted";

/// What a secret is shown as.
pub const HIDDEN: &str = "[hidden]";

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, String> {
        let pooled = Pooled::new(&config)?;
        let fresh = build_http(&config, same_origin(), false)?;
        let fresh_no_redirect = build_http(&config, reqwest::redirect::Policy::none(), false)?;
        let mut values: Vec<String> = config.credential.secrets();
        values.extend(config.headers.iter().filter(|(k, _)| sensitive(k)).map(|(_, v)| v.clone()));
        let (secrets, token_http) = match &config.credential {
            Credential::OAuth(oauth) => {
                let http = http_builder(&oauth.settings.token_url)?
                    .timeout(config.timeout)
                    .connect_timeout(config.timeout.min(Duration::from_secs(10)))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
                (oauth.secrets().clone(), Some(http))
            }
            _ => (Arc::new(Secrets::default()), None),
        };
        for value in &values {
            secrets.add(value);
        }
        Ok(Client {
            pooled: Arc::new(std::sync::RwLock::new(Arc::new(pooled))),
            fresh,
            fresh_no_redirect,
            config: ClientConfig { base_url: config.base_url.trim_end_matches('/').to_string(), ..config },
            gate: Arc::default(),
            secrets,
            token_http,
            timings: Arc::default(),
            exchange_log: None,
            in_flight_limit: None,
        })
    }

    /// The same client keeping every exchange it (and its clones) sends in `log`, for `--har` (the
    /// pre-flight's probes are in the same log).
    pub fn with_exchange_log(self, log: Arc<crate::runner::report::ExchangeLog>) -> Client {
        Client { exchange_log: Some(log), ..self }
    }

    /// The exchanges kept since [`Client::with_exchange_log`], if it was called.
    pub fn exchange_log(&self) -> Option<&crate::runner::report::ExchangeLog> {
        self.exchange_log.as_deref()
    }

    /// Counts as a request in flight until dropped (see [`InFlight`]).
    pub fn hold(&self) -> InFlight {
        self.gate.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.gate.clone())
    }

    /// Stops sending: every later request fails at once with "interrupted", without a connection.
    pub fn stop(&self) {
        self.gate.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether [`Client::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.gate.stopped.load(Ordering::SeqCst)
    }

    /// Waits until no request is in flight, or `limit` has passed; returns how many still are.
    pub async fn drained(&self, limit: Duration) -> usize {
        let end = Instant::now() + limit;
        loop {
            let n = self.gate.in_flight.load(Ordering::SeqCst);
            if n == 0 || Instant::now() >= end {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The same client with a gate of its own, for the cleanup after [`Client::stop`].
    /// Sends no later request on a connection the server may be closing: after a 5xx answer (before its
    /// body is read, so the connection is not yet back in the pool) new requests use new connections.
    /// A server may close a connection at any time (RFC 9112 §9.3.1), and some do right after an error
    /// without saying `Connection: close` (Express destroys the socket when an error follows an answer
    /// already sent): a POST sent on it would meet a reset and could not be sent again (RFC 9110
    /// §9.2.2), and a later scenario would fail for the first one's cause. `seen` is the pool the
    /// answer came from: a pool already renewed is not renewed again.
    fn renew_pool(&self, seen: &Arc<Pooled>) {
        let mut current = self.pooled.write().expect("pool lock");
        if Arc::ptr_eq(&current, seen)
            && let Ok(fresh) = Pooled::new(&self.config)
        {
            *current = Arc::new(fresh);
        }
    }

    /// A client that has at most `n` requests in flight at once, over all its clones (the cleanup's
    /// among them): a run's scenarios, its generated checks' concurrent cases and its cleanup share
    /// `--concurrency`, so the run is never a larger burst than the user allowed.
    pub fn with_max_in_flight(mut self, n: usize) -> Client {
        self.in_flight_limit = Some(Arc::new(tokio::sync::Semaphore::new(n.max(1))));
        self
    }

    pub fn for_cleanup(&self) -> Client {
        Client { gate: Arc::default(), ..self.clone() }
    }

    /// The run's pace, shared with every client made from the same configuration.
    pub fn pacing(&self) -> &Pacing {
        &self.config.pacing
    }

    /// The secrets known so far, in every form they are searched for (see [`Client::hide_secrets`]).
    pub fn secrets(&self) -> Vec<String> {
        self.secrets.all()
    }

    /// `text` with every secret (the token, sensitive header values) replaced by [`HIDDEN`].
    pub fn hide_secrets(&self, text: &str) -> String {
        self.secrets.hide(text)
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.config.timeout
    }

    fn url(&self, request: &Request) -> String {
        format!("{}{}", self.config.base_url, request.path_and_query())
    }

    /// The response times of every exchange sent so far, per endpoint.
    pub fn timings(&self) -> &crate::runner::timing::Timings {
        &self.timings
    }

    /// Sends `request`, retrying 429/503 where that is safe, and returns the transcript; its response time
    /// is recorded in [`Client::timings`].
    pub async fn send(&self, request: &Request) -> Exchange {
        let started = std::time::SystemTime::now();
        let exchange = self.exchange(request).await;
        // Not sent (interrupted, or no token to send it with): no response time, no HAR entry.
        if exchange.error.as_deref() != Some(NOT_SENT) && exchange.attempts > 0 {
            let endpoint = crate::runner::timing::endpoint(&exchange.method, &exchange.url, &self.config.base_url);
            self.timings.record(endpoint, exchange.elapsed);
            if let Some(log) = &self.exchange_log {
                log.record(started, &exchange);
            }
        }
        exchange
    }

    /// The full URL of `request`, the headers it is sent with, and how each header is shown (secrets as
    /// environment variables). A request without credentials, or with a wrong one, carries none of the
    /// configured ones: neither the credential nor a credential `--header` (see [`credential_header`]).
    /// `authorization` is what [`Client::authorization`] gave for `request.credentials`.
    pub fn prepare(
        &self,
        request: &Request,
        authorization: Option<&Authorization>,
    ) -> (String, HeaderMap, Vec<(String, String)>) {
        let mut shown: Vec<(String, String)> = Vec::new();
        let mut headers = HeaderMap::new();
        let mut add = |k: &str, v: &str, display: &str| {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(k), HeaderValue::from_str(v)) {
                headers.insert(name, value);
                shown.retain(|(shown_name, _)| !shown_name.eq_ignore_ascii_case(k));
                shown.push((k.to_string(), display.to_string()));
            }
        };
        if let Some(authorization) = authorization {
            add("Authorization", &authorization.value, &authorization.shown);
        }
        if let Some(a) = &request.accept {
            add("Accept", a, a);
        }
        if let (Some(ct), Some(_)) = (&request.content_type, &request.body) {
            add("Content-Type", ct, ct);
        }
        for (k, v) in &self.config.headers {
            if request.credentials != Credentials::Token && credential_header(k) {
                continue;
            }
            add(k, v, &if sensitive(k) { header_placeholder(k) } else { v.clone() });
        }
        for (k, v) in &request.headers {
            add(k, v, v);
        }
        (self.url(request), headers, shown)
    }

    async fn exchange(&self, request: &Request) -> Exchange {
        let method = request.method.clone();
        let _in_flight = self.hold();
        // Waiting for a turn is not the server's time: the clock starts after it.
        let _turn = match &self.in_flight_limit {
            Some(limit) => limit.acquire().await.ok(),
            None => None,
        };
        // After the turn, so the token is as fresh as it can be when sent (a 2-second token taken before a
        // long wait for a turn would arrive expired); before the clock, as a token fetch is not the server's
        // time. A fetch takes no turn, so requests holding turns while they wait for it never block it.
        let authorization = if self.stopped() { Ok(None) } else { self.authorization(request.credentials).await };
        let authorization = match authorization {
            Ok(a) => a,
            Err(e) => {
                let (url, _, shown) = self.prepare(request, None);
                let body = request.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
                let mut exchange = Exchange { attempts: 0, ..Exchange::request(method.as_str(), url, shown, body) };
                exchange.error = Some(self.hide_secrets(&format!("not sent: no credential to send ({})", e.cause())));
                return exchange;
            }
        };
        let (url, mut headers, mut shown) = self.prepare(request, authorization.as_ref());
        let mut sent_authorization = authorization;
        let repeatable = matches!(method, reqwest::Method::GET | reqwest::Method::PUT | reqwest::Method::DELETE);
        // A retry after a Retry-After wait goes with the token held then, not the one the first attempt had.
        let refreshed =
            request.credentials == Credentials::Token && matches!(self.config.credential, Credential::OAuth(_));
        let get = method == reqwest::Method::GET;
        let pools = self.pooled.read().expect("pool lock").clone();
        let pooled = if get { &pools.http } else { &pools.no_redirect };
        let fresh = if get { &self.fresh } else { &self.fresh_no_redirect };
        // The run's pace before the clock starts: waiting for it is not the server's time.
        let mut _paced = self.config.pacing.turn().await;
        let start = Instant::now();
        let mut attempts = 0;
        let mut on_new_connection = false;
        loop {
            attempts += 1;
            if attempts > 1
                && refreshed
                && let Ok(authorization) = self.authorization(Credentials::Token).await
            {
                (_, headers, shown) = self.prepare(request, authorization.as_ref());
                sent_authorization = authorization;
            }
            if attempts > 1 {
                drop(_paced);
                _paced = self.config.pacing.turn().await;
            }
            let http = if on_new_connection { fresh } else { pooled };
            let mut builder = http.request(method.clone(), &url).headers(headers.clone());
            if let Some(b) = &request.body {
                builder = builder.body(b.clone());
            }
            let body = request.body.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
            let mut exchange =
                Exchange { attempts, ..Exchange::request(method.as_str(), url.clone(), shown.clone(), body) };
            if self.gate.stopped.load(Ordering::SeqCst) {
                exchange.error = Some(NOT_SENT.into());
                return exchange;
            }
            match builder.send().await {
                // No byte of an answer came back on a connection that was already dead: once, on a new one.
                // Or the request never left: the pooled connection was closed before it could be written
                // (hyper's "connection was not ready"), so even a POST is sent once more, on a new one.
                Err(e) if !on_new_connection && (repeatable && dead_connection(&e) || never_sent(&e)) => {
                    on_new_connection = true;
                    continue;
                }
                Err(e) => {
                    exchange.error = Some(self.hide_secrets(&describe_error(&e)));
                    exchange.elapsed = start.elapsed();
                    return exchange;
                }
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    if status >= 500 && !on_new_connection {
                        self.renew_pool(&pools);
                    }
                    exchange.status = Some(status);
                    exchange.response_headers = response
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (k.as_str().to_string(), self.hide_secrets(&String::from_utf8_lossy(v.as_bytes())))
                        })
                        .collect();
                    let mut body = Vec::new();
                    loop {
                        match response.chunk().await {
                            Ok(Some(chunk)) => {
                                let room = MAX_BODY.saturating_sub(body.len());
                                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                                if body.len() >= MAX_BODY {
                                    exchange.error = Some(format!(
                                        "the answer's body is larger than {MAX_BODY} bytes; read that much"
                                    ));
                                    break;
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                exchange.error = Some(format!("the answer's body broke off: {}", describe_error(&e)));
                                break;
                            }
                        }
                    }
                    // A server that echoes the token (an error quoting the Authorization header) must
                    // not get it printed, stored in a snapshot or written to a report.
                    exchange.response_body = self.hide_secrets(&String::from_utf8_lossy(&body));
                    exchange.elapsed = start.elapsed();
                    // The server asked the client, not the request, to slow down: every request of the run waits
                    // out the `Retry-After` (or a short back-off). Only one that is safe to repeat goes again.
                    // A 401 for a token the harness has replaced since (it expired while the request was on its
                    // way: a short-lived token under load) goes once more with the new one. A 401 for the token
                    // still held is the server's verdict, never retried: it may revoke tokens early.
                    if status == 401
                        && refreshed
                        && attempts == 1
                        && let Ok(now) = self.authorization(Credentials::Token).await
                        && now != sent_authorization
                    {
                        continue;
                    }
                    let busy = status == 429 || status == 503;
                    if busy {
                        let wait = exchange
                            .header("retry-after")
                            .and_then(|v| v.trim().parse::<u64>().ok())
                            .map(Duration::from_secs)
                            .unwrap_or(Duration::from_millis(250 * u64::from(attempts)))
                            .min(self.config.max_retry_after);
                        self.config.pacing.pause(wait);
                    }
                    if busy && repeatable && attempts <= self.config.retries {
                        continue;
                    }
                    return exchange;
                }
            }
        }
    }
}

/// The `Authorization` value of one request, and how it is shown.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    pub value: String,
    pub shown: String,
}

impl Authorization {
    fn bearer(token: &str, shown: &str) -> Authorization {
        Authorization { value: format!("Bearer {token}"), shown: format!("Bearer {shown}") }
    }
}

/// Never prints the value.
impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Authorization({})", self.shown)
    }
}

/// The values never shown, in every form they are searched for; shared by every clone of a client (and,
/// with OAuth, by every client of one configuration), growing as tokens are obtained.
#[derive(Default)]
pub struct Secrets(std::sync::RwLock<Vec<String>>);

impl Secrets {
    /// Adds `secret` in every form it may be echoed in. Values shorter than 8 characters are not searched
    /// for: hiding every `t` of a test token would mangle the answers (real credentials are far longer).
    pub fn add(&self, secret: &str) {
        if secret.len() < 8 {
            return;
        }
        let mut all = self.0.write().expect("secrets lock");
        for form in secret_forms(secret) {
            if !all.contains(&form) {
                all.push(form);
            }
        }
    }

    /// `text` with every secret replaced by [`HIDDEN`].
    pub fn hide(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.0.read().expect("secrets lock").iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), HIDDEN);
            }
        }
        out
    }

    pub fn all(&self) -> Vec<String> {
        self.0.read().expect("secrets lock").clone()
    }
}

/// Never prints a secret.
impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms)", self.0.read().map_or(0, |s| s.len()))
    }
}

/// How the security-check tokens are shown: what they are, never the token.
const SHOWN_MALFORMED: &str = "<the run's token cut short>";
const SHOWN_ALG_NONE: &str = "<the run's claims under alg none, unsigned>";
const SHOWN_UNKNOWN_KEY: &str = "<the run's claims signed by a key the server never published>";
const SHOWN_TAMPERED: &str = "<the run's token with sub changed, signature kept>";
const SHOWN_EXPIRED: &str = "<a token from the token endpoint, expired>";

// OAuth: the token, the security-check tokens, the token requests and the facts the suites use.
impl Client {
    /// The `Authorization` value a request with `credentials` is sent with (none for [`Credentials::None`]).
    /// With OAuth the token comes from the shared cache, fetched (once, by one caller at a time) when none
    /// is usable; a token that cannot be had is the error, and the request is not sent.
    pub async fn authorization(
        &self,
        credentials: Credentials,
    ) -> Result<Option<Authorization>, crate::auth::TokenError> {
        use crate::auth::forged;
        let oauth = match &self.config.credential {
            Credential::OAuth(oauth) => Some(oauth.clone()),
            _ => None,
        };
        let client_id = oauth.as_ref().map_or(String::new(), |o| o.settings.client_id.clone());
        let forged = |token: String, shown: &str| {
            self.secrets.add(&token);
            Ok(Some(Authorization::bearer(&token, shown)))
        };
        match credentials {
            Credentials::None => Ok(None),
            Credentials::Wrong => {
                Ok(Some(Authorization::bearer("scimtest-not-a-valid-token", "scimtest-not-a-valid-token")))
            }
            Credentials::Token => match &oauth {
                Some(oauth) => {
                    let token = self.access_token(oauth).await?.token;
                    Ok(Some(Authorization::bearer(&token, "$SCIM_TOKEN")))
                }
                None => Ok(self.config.credential.header().map(|(value, shown)| Authorization { value, shown })),
            },
            Credentials::Malformed => {
                forged(forged::malformed(&self.run_token(oauth.as_deref()).await?), SHOWN_MALFORMED)
            }
            Credentials::AlgNone => {
                forged(forged::alg_none(&self.run_token(oauth.as_deref()).await?, &client_id), SHOWN_ALG_NONE)
            }
            Credentials::UnknownKey => {
                forged(forged::unknown_key(&self.run_token(oauth.as_deref()).await?, &client_id)?, SHOWN_UNKNOWN_KEY)
            }
            Credentials::Tampered => {
                forged(forged::tampered(&self.run_token(oauth.as_deref()).await?)?, SHOWN_TAMPERED)
            }
            Credentials::Expired => {
                let oauth = oauth.ok_or_else(needs_oauth)?;
                let token = self.expired_token(&oauth).await?;
                Ok(Some(Authorization::bearer(&token, SHOWN_EXPIRED)))
            }
            Credentials::WrongAudience => {
                let oauth = oauth.ok_or_else(needs_oauth)?;
                let Some(other) = oauth.settings.other_resource.clone() else {
                    return Err(crate::auth::TokenError::Unavailable {
                        cause: "the wrong-audience check needs a resource this server is not".into(),
                        fix: "pass --oauth-other-resource URI (a resource the token endpoint issues tokens for)".into(),
                    });
                };
                let (_, issued) =
                    self.send_token_request(&oauth, crate::auth::TokenVariant::Configured, Some(&other)).await;
                Ok(Some(Authorization::bearer(&issued?.access_token, &format!("<a token issued for {other}>"))))
            }
        }
    }

    /// The run's own token: the OAuth access token, or the static bearer token.
    async fn run_token(&self, oauth: Option<&crate::auth::OAuth>) -> Result<String, crate::auth::TokenError> {
        match (oauth, &self.config.credential) {
            (Some(oauth), _) => Ok(self.access_token(oauth).await?.token),
            (None, Credential::Bearer(token)) => Ok(token.clone()),
            _ => Err(needs_oauth()),
        }
    }

    /// A usable access token: the one held, or a new one (one fetch at a time; the others wait for it).
    /// Never fetched again because a server answered 401: that would hide a server that revokes tokens.
    async fn access_token(
        &self,
        oauth: &crate::auth::OAuth,
    ) -> Result<crate::auth::HeldToken, crate::auth::TokenError> {
        let mut held = oauth.held().await;
        if let Some(token) = held.as_ref().filter(|t| t.usable(Instant::now())) {
            return Ok(token.clone());
        }
        let requested = Instant::now();
        let (_, issued) = self.send_token_request(oauth, crate::auth::TokenVariant::Configured, None).await;
        let issued = issued?;
        let token = crate::auth::HeldToken { token: issued.access_token, lifetime: issued.expires_in, requested };
        *held = Some(token.clone());
        Ok(token)
    }

    /// A token the token endpoint issued, waited out until it expired (`exp` or `expires_in`, and a second
    /// more); made once, for every expired-token check. Only when tokens live at most `--auth-expiry-wait`.
    async fn expired_token(&self, oauth: &crate::auth::OAuth) -> Result<String, crate::auth::TokenError> {
        let mut expired = oauth.expired().await;
        if let Some(token) = expired.as_ref() {
            return Ok(token.clone());
        }
        let wait = oauth.settings.expiry_wait;
        if wait.is_zero() {
            return Err(crate::auth::TokenError::Unavailable {
                cause: "the expired-token check waits for an issued token to expire, and --auth-expiry-wait is 0"
                    .into(),
                fix: "pass --auth-expiry-wait SECONDS (at least the tokens' expires_in) to let it wait".into(),
            });
        }
        let requested = Instant::now();
        let (_, issued) = self.send_token_request(oauth, crate::auth::TokenVariant::Configured, None).await;
        let issued = issued?;
        if issued.expires_in > wait {
            return Err(crate::auth::TokenError::Unavailable {
                cause: format!(
                    "the expired-token check would wait {} s for a token to expire, longer than --auth-expiry-wait ({} s)",
                    issued.expires_in.as_secs(),
                    wait.as_secs()
                ),
                fix: format!("pass --auth-expiry-wait {} to wait for it", issued.expires_in.as_secs() + 1),
            });
        }
        let mut until = requested + issued.expires_in + Duration::from_secs(1);
        let exp = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(&issued.access_token)
            .ok()
            .and_then(|c| c.get("exp").and_then(serde_json::Value::as_u64));
        if let Some(exp) = exp {
            let left = exp.saturating_sub(crate::auth::token::now_unix()) + 1;
            until = until.max(Instant::now() + Duration::from_secs(left).min(wait + Duration::from_secs(1)));
        }
        tokio::time::sleep_until(until.into()).await;
        *expired = Some(issued.access_token.clone());
        Ok(issued.access_token)
    }

    /// Sends `variant` of the run's token request (`resource` in place of the configured resource and
    /// audience), records it like every exchange (response time, HAR), and judges the answer. Every token and
    /// assertion in it becomes a secret before the exchange is kept.
    async fn send_token_request(
        &self,
        oauth: &crate::auth::OAuth,
        variant: crate::auth::TokenVariant,
        resource: Option<&str>,
    ) -> (Exchange, Result<crate::auth::token::Issued, crate::auth::TokenError>) {
        use crate::auth::{TokenError, token};
        let url = oauth.settings.token_url.clone();
        let form_type = "application/x-www-form-urlencoded";
        let request = match token::build(&oauth.settings, variant, resource) {
            Ok(r) => r,
            Err(e) => {
                let mut exchange = Exchange { attempts: 0, ..Exchange::request("POST", url, Vec::new(), None) };
                exchange.error = Some(self.hide_secrets(&format!("not sent: {}", e.cause())));
                return (exchange, Err(e));
            }
        };
        for secret in &request.secrets {
            self.secrets.add(secret);
        }
        let encode = |form: &[(String, String)]| serde_urlencoded::to_string(form).unwrap_or_default();
        let mut shown = vec![("Content-Type".to_string(), form_type.to_string())];
        shown.push(("Accept".into(), "application/json".into()));
        let mut http = self.token_http.as_ref().expect("an OAuth client has a token client").post(&url);
        http = http.header("Content-Type", form_type).header("Accept", "application/json");
        if let Some((value, display)) = &request.basic {
            http = http.header("Authorization", value);
            shown.push(("Authorization".into(), display.clone()));
        }
        let shown_body = encode(&request.shown_form).replace(&crate::client::percent_encode(HIDDEN, b""), HIDDEN);
        // Token requests count toward --max-rps too: the token endpoint is often the same service.
        let _paced = self.config.pacing.turn().await;
        let mut exchange = Exchange::request("POST", url.clone(), shown, Some(shown_body));
        let _in_flight = self.hold();
        let (started, start) = (std::time::SystemTime::now(), Instant::now());
        let result = match http.body(encode(&request.form)).send().await {
            Err(e) => {
                exchange.error = Some(self.hide_secrets(&describe_error(&e)));
                Err(TokenError::NoAnswer { url: url.clone(), cause: self.hide_secrets(&transport_cause(&e)) })
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let headers: Vec<(String, String)> = response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                let content_type =
                    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.clone());
                let body = match response.bytes().await {
                    Ok(b) => String::from_utf8_lossy(&b[..b.len().min(MAX_BODY)]).into_owned(),
                    Err(e) => {
                        exchange.error = Some(format!("the answer's body broke off: {}", describe_error(&e)));
                        String::new()
                    }
                };
                // The token is a secret before anything is kept or shown.
                if let Some(token) = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v.get("access_token").and_then(serde_json::Value::as_str).map(str::to_string))
                {
                    self.secrets.add(&token);
                }
                exchange.status = Some(status);
                exchange.response_headers = headers.iter().map(|(k, v)| (k.clone(), self.hide_secrets(v))).collect();
                exchange.response_body = self.hide_secrets(&body);
                token::parse_answer(&url, status, content_type.as_deref(), &body, &|t| self.hide_secrets(t))
            }
        };
        exchange.elapsed = start.elapsed();
        let path = reqwest::Url::parse(&url).map_or_else(|_| url.clone(), |u| u.path().to_string());
        self.timings.record(format!("POST {path}"), exchange.elapsed);
        if let Some(log) = &self.exchange_log {
            log.record(started, &exchange);
        }
        (exchange, result)
    }

    /// Sends `variant` of the run's token request to the token endpoint; the exchange is judged by the
    /// token-endpoint checks. Secrets in it are hidden like every other exchange's. Without OAuth, an
    /// exchange that was not sent, saying why.
    pub async fn token_request(&self, variant: crate::auth::TokenVariant) -> Exchange {
        match &self.config.credential {
            Credential::OAuth(oauth) => self.send_token_request(oauth, variant, None).await.0,
            _ => {
                let mut exchange = Exchange { attempts: 0, ..Exchange::request("POST", "", Vec::new(), None) };
                exchange.error = Some(format!("not sent: {}", needs_oauth().cause()));
                exchange
            }
        }
    }

    /// The first access token, fetched if none is held yet (pre-flight: a token endpoint that does not give
    /// one stops the run before any check).
    pub async fn first_token(&self) -> Result<(), crate::auth::TokenError> {
        match &self.config.credential {
            Credential::OAuth(oauth) => self.access_token(oauth).await.map(|_| ()),
            _ => Ok(()),
        }
    }

    /// What the run's authentication makes checkable; fetches the first token if none is held yet.
    pub async fn auth_facts(&self) -> crate::auth::AuthFacts {
        let Credential::OAuth(oauth) = &self.config.credential else {
            return crate::auth::AuthFacts::default();
        };
        let settings = &oauth.settings;
        let token = self.access_token(oauth).await.ok();
        let wait = settings.expiry_wait;
        crate::auth::AuthFacts {
            oauth: true,
            secret: matches!(settings.client_auth, crate::auth::ClientAuth::Secret { .. }),
            assertion: matches!(settings.client_auth, crate::auth::ClientAuth::Assertion(_)),
            jwt_access_token: token.as_ref().is_some_and(|t| crate::auth::forged::is_jwt(&t.token)),
            expiry_observable: !wait.is_zero() && token.as_ref().is_some_and(|t| t.lifetime <= wait),
            other_resource: settings.other_resource.is_some(),
        }
    }
}

/// A transport failure in a few words: `connection refused`, `timed out`, or the innermost cause.
fn transport_cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut innermost = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return "connection refused".into();
        }
        innermost = s.to_string();
        source = s.source();
    }
    innermost
}

/// A security-check token that needs the run's OAuth settings, asked for by a run without them.
fn needs_oauth() -> crate::auth::TokenError {
    crate::auth::TokenError::Unavailable {
        cause: "no token endpoint is configured (this check needs OAuth)".into(),
        fix: "pass --auth client-credentials or jwt-assertion with --token-url and --client-id".into(),
    }
}

/// Whether a request failed because its connection was closed or reset before any answer: what a pooled
/// connection the server had already dropped does. Not a timeout, not a refused connection.
fn dead_connection(e: &reqwest::Error) -> bool {
    if e.is_timeout() || e.is_connect() {
        return false;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof) {
                return true;
            }
        }
        // hyper's IncompleteMessage, which it exposes only through its text.
        if s.to_string().contains("connection closed before message completed") {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether hyper cancelled the request before writing a byte of it (a pooled connection found closed).
fn never_sent(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // hyper exposes it only through its text.
        if s.to_string().contains("connection was not ready") {
            return true;
        }
        source = s.source();
    }
    false
}

fn describe_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "bad body"
    } else if never_sent(e) {
        "the connection closed before the request was sent"
    } else {
        "request failed"
    };
    let mut text = format!("{kind}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `request` as `client` would send it: its Authorization from [`Client::authorization`].
    fn prepared(client: &Client, request: &Request) -> (String, HeaderMap, Vec<(String, String)>) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let authorization = runtime.block_on(client.authorization(request.credentials)).unwrap();
        client.prepare(request, authorization.as_ref())
    }

    #[test]
    fn secrets_are_hidden_in_every_form_an_answer_may_carry_them() {
        let mut config = ClientConfig::new("http://127.0.0.1:9/scim");
        config.credential = Credential::Bearer("abcd/efgh+ijkl=".into());
        config.headers =
            vec![("X-Api-Credential".into(), "cred-123456".into()), ("X-Tenant".into(), "acme-tenant".into())];
        let client = Client::new(config).unwrap();
        for echoed in [
            "Bearer abcd/efgh+ijkl=",
            r#"{"detail": "Bearer abcd\/efgh+ijkl="}"#,
            r"abcd\u002fefgh\u002bijkl\u003d",
            "token=abcd%2Fefgh%2Bijkl%3D",
            "credential cred-123456",
        ] {
            let shown = client.hide_secrets(echoed);
            assert!(
                shown.contains(HIDDEN) && !shown.contains("ijkl") && !shown.contains("123456"),
                "{echoed} → {shown}"
            );
        }
        assert_eq!(client.hide_secrets("tenant acme-tenant"), "tenant acme-tenant", "not a credential header");
        // Short values are not searched for: they would mangle every answer.
        let mut short = ClientConfig::new("http://127.0.0.1:9");
        short.credential = Credential::Bearer("t".into());
        assert_eq!(Client::new(short).unwrap().hide_secrets(r#"{"totalResults": 1}"#), r#"{"totalResults": 1}"#);
    }
    #[test]
    fn curl_lines_name_every_secret_as_an_environment_variable() {
        let mut config = ClientConfig::new("http://127.0.0.1:9/scim");
        config.credential = Credential::Basic { user: "alice".into(), password: "pw-secret-1234".into() };
        config.headers = vec![("X-Api-Key".into(), "key-abcdefgh".into()), ("X-Tenant".into(), "acme".into())];
        let client = Client::new(config).unwrap();
        let (_, sent, shown) = prepared(&client, &Request::new(reqwest::Method::GET, "/Users"));
        assert_eq!(sent["authorization"], "Basic YWxpY2U6cHctc2VjcmV0LTEyMzQ=", "RFC 7617 user:password");
        let exchange = Exchange::request("GET", "http://127.0.0.1:9/scim/Users", shown, None);
        let curl = exchange.curl();
        assert!(curl.contains(r#" -u "alice:$SCIM_PASSWORD""#), "{curl}");
        assert!(curl.contains(r#" -H "X-Api-Key: $SCIM_HEADER_X_API_KEY""#), "{curl}");
        assert!(curl.contains(" -H 'X-Tenant: acme'"), "{curl}");
        assert!(!curl.contains("pw-secret") && !curl.contains("key-abcdefgh") && !curl.contains("YWxp"), "{curl}");
        // The encoded credential is a secret too: a server echoing the header gets it hidden.
        assert_eq!(client.hide_secrets("Basic YWxpY2U6cHctc2VjcmV0LTEyMzQ="), "Basic [hidden]");
        assert!(!format!("{:?}", client.config).contains("pw-secret"), "Debug hides the password");
    }

    #[test]
    fn a_request_without_credentials_or_with_a_wrong_one_drops_every_configured_one() {
        let mut config = ClientConfig::new("http://127.0.0.1:9/scim");
        config.headers = vec![
            ("Authorization".into(), "SSWS real-token-1234".into()),
            ("X-Api-Key".into(), "key-abcdefgh".into()),
            ("X-Tenant".into(), "acme".into()),
        ];
        let client = Client::new(config).unwrap();
        let sent = |credentials: Credentials| {
            let mut request = Request::new(reqwest::Method::GET, "/Users");
            request.credentials = credentials;
            let (_, headers, shown) = prepared(&client, &request);
            let value = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string());
            (value("authorization"), value("x-api-key"), value("x-tenant"), shown)
        };
        let (auth, key, tenant, shown) = sent(Credentials::Token);
        assert_eq!((auth.as_deref(), key.as_deref()), (Some("SSWS real-token-1234"), Some("key-abcdefgh")));
        assert!(shown.contains(&("Authorization".into(), "$SCIM_HEADER_AUTHORIZATION".into())), "{shown:?}");
        assert_eq!(tenant.as_deref(), Some("acme"));
        let (auth, key, tenant, _) = sent(Credentials::None);
        assert_eq!((auth, key, tenant.as_deref()), (None, None, Some("acme")), "only the credentials go");
        let (auth, key, _, shown) = sent(Credentials::Wrong);
        assert_eq!((auth.as_deref(), key), (Some("Bearer scimtest-not-a-valid-token"), None));
        assert_eq!(shown.iter().filter(|(k, _)| k.eq_ignore_ascii_case("authorization")).count(), 1, "{shown:?}");
    }

    #[test]
    fn a_remote_endpoint_is_paced_as_one_tenant_and_loopback_is_not() {
        assert_eq!(default_max_rps("https://scim.example.com/scim/v2"), Some(TENANT_RPS));
        assert_eq!(default_max_rps("http://10.0.0.7:8080/scim"), Some(TENANT_RPS));
        for local in ["http://127.0.0.1:8080/scim/v2", "http://localhost/scim", "http://[::1]:9/scim"] {
            assert_eq!(default_max_rps(local), None, "{local}");
        }
        assert_eq!(Pacing::new(Some(0)).max_rps(), None, "0 is no cap");
        assert_eq!(
            Pacing::new(Some(10)).note().as_deref(),
            Some("the run sent at most 10 requests in any second (--max-rps)")
        );
        let unpaced = Pacing::new(None);
        assert_eq!(unpaced.note(), None);
        unpaced.pause(Duration::ZERO);
        assert!(unpaced.note().is_some_and(|n| n.contains("429 or 503 1 time(s)")));
    }

    #[test]
    fn the_command_line_gives_one_credential() {
        let c = |t: Option<&str>, u: Option<&str>, p: Option<&str>| {
            Credential::from_cli(t.map(Into::into), u.map(Into::into), p.map(Into::into))
        };
        assert_eq!(c(Some("t"), None, None), Ok(Credential::Bearer("t".into())));
        assert_eq!(c(None, Some("u"), Some("p")), Ok(Credential::Basic { user: "u".into(), password: "p".into() }));
        assert_eq!(c(Some("t"), Some("u"), Some("p")), Err(CredentialError::TokenAndBasic));
        assert_eq!(c(None, Some("u"), None), Err(CredentialError::NoPassword("u".into())));
        assert_eq!(c(None, Some("u"), Some("")), Err(CredentialError::NoPassword("u".into())));
        assert_eq!(c(None, Some("a:b"), Some("p")), Err(CredentialError::ColonInUser));
        assert_eq!(c(Some(""), None, None), Ok(Credential::None), "an empty SCIM_TOKEN is none");
    }
}
