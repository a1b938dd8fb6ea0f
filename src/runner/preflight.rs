//! Pre-flight: before any check, a few GETs that tell a setup mistake from a conformance failure — a URL
//! without a scheme or ending in a resource path, no credential, a dead port, a TLS or http/https mismatch,
//! a server that accepts connections but never answers, no SCIM service at the URL (with the base path
//! that does answer like SCIM, if one of the usual ones does), a refused credential. Each is one
//! [`Problem`], printed as `error: <cause>` and `  fix: <fix>`; the run then stops with exit 2.
//!
//! Only GETs are sent, with short connect and answer timeouts, so a healthy endpoint passes in well
//! under a second and a dead one fails within [`CONNECT_TIMEOUT`] or [`ANSWER_TIMEOUT`].

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use std::sync::Arc;

use crate::client::{
    Client, ClientConfig, Credential, Exchange, Request, credential_header, http_builder, same_origin,
};
use crate::runner::report::ExchangeLog;

/// How long a connection (and its TLS handshake) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one pre-flight request may take in all, connection included.
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(2500);

/// The paths a SCIM endpoint names, which a base URL never ends in (RFC 7644 §3.2).
const RESOURCE_PATHS: &[&str] =
    &["Users", "Groups", "Schemas", "ServiceProviderConfig", "ResourceTypes", "Me", "Bulk", ".search"];

/// Base paths SCIM services are commonly served under, tried when the given URL has no SCIM service.
const COMMON_BASES: &[&str] =
    &["/scim/v2", "/scim", "/v2", "/api/scim/v2", "/api/scim", "/scim/v2.0", "/api/v2", "/scim2", "/api/scim2"];

/// One setup mistake: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The URL cannot be parsed at all.
    NotAUrl { url: String, reason: String },
    /// `127.0.0.1:8080/scim/v2`: no `http://` or `https://`.
    NoScheme { suggested: String },
    /// `ftp://…`.
    UnsupportedScheme { scheme: String },
    /// `…/scim/v2/Users`: a resource path where the base URL belongs.
    ResourcePath { dropped: String, base: String },
    /// Neither a credential nor `--no-auth`.
    NoCredential,
    /// A credential and `--no-auth` together.
    CredentialAndNoAuth,
    /// The host name does not resolve.
    UnknownHost { host: String, cause: String },
    /// Nothing listens on the port.
    Refused { address: String },
    /// The connection (or the TLS handshake) did not complete in time.
    ConnectTimeout { address: String },
    /// `https://` against a port that speaks plain HTTP.
    SpeaksPlainHttp { suggested: String },
    /// `http://` against a port that speaks HTTPS (or redirects to it).
    SpeaksHttps { suggested: String, evidence: String },
    /// The TLS handshake failed (an untrusted certificate, a wrong host name …).
    Tls { host: String, cause: String },
    /// Connected, but no answer came within [`ANSWER_TIMEOUT`].
    NoAnswer { url: String },
    /// Connected, but the connection was closed or broke before an answer.
    NoHttpAnswer { url: String, cause: String },
    /// No SCIM service at the URL; `suggested` is a base URL nearby that answers like SCIM.
    NotScim { base: String, tried: String, answer: String, suggested: Option<String> },
    /// The configured credential was answered with 401 or 403.
    CredentialRefused { status: u16, tried: String, credential: &'static str, detail: Option<String> },
    /// `--no-auth`, and the server asks for a credential.
    CredentialRequired { status: u16, tried: String },
    /// The token endpoint gave no usable access token (OAuth): an HTML page, an error without `error`, a
    /// refusal, no `access_token` or `expires_in`, no answer.
    Token(crate::auth::TokenError),
}

impl Problem {
    /// What is wrong, in one line.
    pub fn cause(&self) -> String {
        match self {
            Problem::NotAUrl { url, reason } => format!("`{url}` is not a URL ({reason})"),
            Problem::NoScheme { suggested } => format!("the URL has no scheme: did you mean {suggested}?"),
            Problem::UnsupportedScheme { scheme } => format!("the URL's scheme is `{scheme}`, not http or https"),
            Problem::ResourcePath { dropped, base } => format!("drop {dropped}: the base URL is {base}"),
            Problem::NoCredential => "no credential is configured".into(),
            Problem::CredentialAndNoAuth => "--no-auth is given together with a credential".into(),
            Problem::UnknownHost { host, cause } => format!("cannot resolve the host `{host}` ({cause})"),
            Problem::Refused { address } => format!("nothing accepts connections at {address} (connection refused)"),
            Problem::ConnectTimeout { address } => {
                format!("cannot connect to {address}: no connection within {} s", CONNECT_TIMEOUT.as_secs_f32())
            }
            Problem::SpeaksPlainHttp { .. } => "the TLS handshake failed: the server speaks plain HTTP".into(),
            Problem::SpeaksHttps { evidence, .. } => format!("the server speaks HTTPS on this port ({evidence})"),
            Problem::Tls { host, cause } => format!("the TLS handshake with {host} failed ({cause})"),
            Problem::NoAnswer { url } => format!(
                "the server accepted the connection but did not answer within {} s (GET {url})",
                ANSWER_TIMEOUT.as_secs_f32()
            ),
            Problem::NoHttpAnswer { url, cause } => {
                format!("the server closed the connection without an HTTP answer (GET {url}: {cause})")
            }
            Problem::NotScim { base, tried, answer, .. } => {
                format!("no SCIM service at {base} (GET {tried} answered {answer})")
            }
            Problem::CredentialRefused { status, tried, detail, .. } => format!(
                "the server refused the credential ({status} on GET {tried}{})",
                detail.as_ref().map(|d| format!(": \"{d}\"")).unwrap_or_default()
            ),
            Problem::CredentialRequired { status, tried } => {
                format!("the server asks for a credential ({status} on GET {tried}), and --no-auth is given")
            }
            Problem::Token(e) => e.cause(),
        }
    }

    /// How to fix it, in one line.
    pub fn fix(&self) -> String {
        match self {
            Problem::NotAUrl { .. } | Problem::UnsupportedScheme { .. } => {
                "pass the SCIM base URL, e.g. --url https://example.com/scim/v2".into()
            }
            Problem::NoScheme { suggested } => format!("pass --url {suggested}"),
            Problem::ResourcePath { base, .. } => format!("pass --url {base}"),
            Problem::NoCredential => "export SCIM_TOKEN=… (a bearer token), or --basic USER with SCIM_PASSWORD, or \
                 --header 'Authorization: …'; --no-auth if the endpoint takes none"
                .into(),
            Problem::CredentialAndNoAuth => "drop --no-auth, or the credential (SCIM_TOKEN, --basic, --header)".into(),
            Problem::UnknownHost { .. } => "check the host name in --url".into(),
            Problem::Refused { .. } => "check the host and port in --url, and that the server is running".into(),
            Problem::ConnectTimeout { .. } => {
                "check the host and port in --url, and that no firewall drops the connection".into()
            }
            Problem::SpeaksPlainHttp { suggested } => format!("use http://: pass --url {suggested}"),
            Problem::SpeaksHttps { suggested, .. } => format!("use https://: pass --url {suggested}"),
            Problem::Tls { .. } => "the server needs a certificate this machine trusts for its host name (or \
                 add its CA to the system's trust store)"
                .into(),
            Problem::NoAnswer { .. } | Problem::NoHttpAnswer { .. } => {
                "check that --url names the SCIM service's port, and that the service is healthy".into()
            }
            Problem::NotScim { suggested: Some(s), .. } => format!("did you mean {s}? pass --url {s}"),
            Problem::NotScim { suggested: None, .. } => {
                "pass the SCIM base URL: the one /Users and /ServiceProviderConfig are under".into()
            }
            Problem::CredentialRefused { credential, .. } => {
                format!("check {credential}: it must be one this endpoint accepts, with the rights to read users")
            }
            Problem::CredentialRequired { .. } => {
                "drop --no-auth and export SCIM_TOKEN=… (or --basic USER with SCIM_PASSWORD)".into()
            }
            Problem::Token(e) => e.fix(),
        }
    }
}

/// The one writer of a problem: `error: <cause>` and `  fix: <fix>`.
impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: {}\n  fix: {}", self.cause(), self.fix())
    }
}

impl std::error::Error for Problem {}

/// The base URL, checked without a request: a scheme, http or https, and no resource path at the end.
pub fn check_url(url: &str) -> Result<Url, Problem> {
    let trimmed = url.trim();
    let loopback = |rest: &str| {
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        host == "localhost" || host.starts_with("127.") || host.starts_with('[')
    };
    // `localhost:8080/scim` parses with the scheme `localhost`: a scheme needs `://` here.
    if !trimmed.contains("://") && !trimmed.is_empty() {
        let scheme = if loopback(trimmed) { "http" } else { "https" };
        let suggested = format!("{scheme}://{}", trimmed.trim_end_matches('/'));
        return Err(match Url::parse(&suggested) {
            Ok(_) => Problem::NoScheme { suggested },
            Err(e) => Problem::NotAUrl { url: url.into(), reason: e.to_string() },
        });
    }
    let parsed = Url::parse(trimmed).map_err(|e| Problem::NotAUrl { url: url.into(), reason: e.to_string() })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Problem::UnsupportedScheme { scheme: parsed.scheme().into() });
    }
    let path = parsed.path().trim_end_matches('/');
    let mut kept: Vec<&str> = path.split('/').collect();
    let mut dropped = Vec::new();
    while kept.len() > 1 && kept.last().is_some_and(|s| RESOURCE_PATHS.iter().any(|r| r.eq_ignore_ascii_case(s))) {
        dropped.insert(0, kept.pop().unwrap_or_default());
    }
    if !dropped.is_empty() {
        let mut base = parsed.clone();
        base.set_path(&kept.join("/"));
        base.set_query(None);
        return Err(Problem::ResourcePath {
            dropped: format!("/{}", dropped.join("/")),
            base: base.as_str().trim_end_matches('/').to_string(),
        });
    }
    Ok(parsed)
}

/// The credential settings, checked without a request: one is configured (a credential, or a
/// credential `--header`), unless `no_auth`, which then must be alone.
pub fn check_credential(client: &ClientConfig, no_auth: bool) -> Result<(), Problem> {
    let configured = !client.credential.is_none() || client.headers.iter().any(|(k, _)| credential_header(k));
    match (configured, no_auth) {
        (false, false) => Err(Problem::NoCredential),
        (true, true) => Err(Problem::CredentialAndNoAuth),
        _ => Ok(()),
    }
}

/// One answer, as much of it as pre-flight reads.
#[derive(Debug, Clone)]
struct Answer {
    url: String,
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// Whether the answer is a success a SCIM service gives: a SCIM media type, or a JSON object that names
    /// a SCIM schema or has the members of a ServiceProviderConfig or a ListResponse.
    fn is_scim(&self) -> bool {
        let scim_type = self.content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().contains("scim+json"));
        let Some(Value::Object(o)) = self.json() else { return false };
        let names_scim = o.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("schemas")
                && v.as_array().is_some_and(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .any(|s| s.to_ascii_lowercase().starts_with("urn:ietf:params:scim:"))
                })
        });
        let members = ["patch", "filter", "authenticationSchemes", "Resources", "totalResults"];
        let shaped = o.keys().any(|k| members.iter().any(|m| m.eq_ignore_ascii_case(k)));
        // A SCIM error (a 404 for an unknown path) says the server speaks SCIM, not that this is its base.
        (200..300).contains(&self.status) && (scim_type || names_scim || shaped)
    }

    /// `404 text/html`, `200 application/json that is not a SCIM document`, `404 application/scim+json, a
    /// SCIM error`, `200 with an empty body`.
    fn describe(&self) -> String {
        let kind = self.content_type.as_deref().map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
        let shown = match kind {
            Some(k) => format!("{} {k}", self.status),
            None => format!("{} without a Content-Type", self.status),
        };
        let json = self.json();
        let scim_error =
            json.as_ref().and_then(|v| v.get("schemas")).and_then(Value::as_array).is_some_and(|a| {
                a.iter().filter_map(Value::as_str).any(|s| s.eq_ignore_ascii_case(crate::message::ERROR))
            });
        if self.body.trim().is_empty() {
            format!("{} with an empty body", self.status)
        } else if scim_error {
            format!("{shown}, a SCIM error")
        } else if json.is_some() && self.status < 300 {
            format!("{shown} that is not a SCIM document")
        } else {
            shown
        }
    }

    /// The `detail` of a SCIM error (or the start of a plain-text answer), to quote.
    fn detail(&self) -> Option<String> {
        let text = match self.json() {
            Some(v) => v.get("detail").and_then(Value::as_str).map(str::to_string),
            None if self.content_type.as_deref().is_some_and(|c| c.starts_with("text/plain")) => {
                Some(self.body.clone())
            }
            None => None,
        }?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.chars().take(160).collect())
    }
}

/// What went wrong on the way to an answer.
#[derive(Debug)]
enum Transport {
    UnknownHost(String),
    Refused,
    ConnectTimeout,
    Tls(String),
    NoAnswer,
    Closed(String),
    Other(String),
}

/// The error and its causes as one line.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

fn classify(e: &reqwest::Error) -> Transport {
    let text = chain(e);
    let lower = text.to_ascii_lowercase();
    let innermost = text.rsplit(": ").next().unwrap_or(&text).to_string();
    let io_kind = {
        let mut source = std::error::Error::source(e);
        let mut kind = None;
        while let Some(s) = source {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                kind = Some(io.kind());
            }
            source = s.source();
        }
        kind
    };
    if e.is_timeout() {
        return if e.is_connect() { Transport::ConnectTimeout } else { Transport::NoAnswer };
    }
    if e.is_connect() {
        if io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
            return Transport::Refused;
        }
        if lower.contains("dns error") || lower.contains("failed to lookup address") {
            return Transport::UnknownHost(innermost);
        }
        if ["certificate", "tls", "handshake", "corrupt message", "alert"].iter().any(|w| lower.contains(w)) {
            return Transport::Tls(innermost);
        }
        if io_kind == Some(std::io::ErrorKind::TimedOut) {
            return Transport::ConnectTimeout;
        }
        return Transport::Other(innermost);
    }
    let closed = ["connection closed", "connection reset", "broken pipe", "invalid http", "parse", "unexpected eof"];
    if closed.iter().any(|w| lower.contains(w)) {
        return Transport::Closed(innermost);
    }
    Transport::Other(innermost)
}

/// A pre-flight HTTP client: short timeouts, redirects only within the origin, optionally trusting any
/// certificate (only to learn whether a port speaks TLS at all; nothing is sent there but a bare GET).
fn http(base: &str, any_certificate: bool) -> Result<reqwest::Client, String> {
    http_builder(base)?
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(ANSWER_TIMEOUT)
        .redirect(same_origin())
        .tls_danger_accept_invalid_certs(any_certificate)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// GET `path` under `base` with the run's headers and credential; at most 64 KiB of the body is kept.
/// The exchange goes into the client's exchange log (`--har`), if it keeps one.
async fn get(http: &reqwest::Client, client: &Client, base: &str, path: &str) -> Result<Answer, reqwest::Error> {
    let (relative, query) = path.split_once('?').unwrap_or((path, ""));
    let mut request = Request::new(reqwest::Method::GET, relative);
    request.query = serde_urlencoded::from_str(query).unwrap_or_default();
    // With OAuth the token is already held (fetched first, in `preflight`); none is a refusal to judge.
    let authorization = client.authorization(request.credentials).await.ok().flatten();
    let (url, headers, shown) = client.prepare(&request, authorization.as_ref());
    let url = format!("{base}{}", url.strip_prefix(client.base_url()).unwrap_or(&url));
    // Within the run's pace: pre-flight's probes count toward --max-rps like every other request.
    let _paced = client.pacing().turn().await;
    let (sent, start) = (std::time::SystemTime::now(), std::time::Instant::now());
    let mut exchange = Exchange::request("GET", url.clone(), shown, None);
    let answer = read_answer(http, client, &url, headers, &mut exchange).await;
    if let Err(e) = &answer {
        exchange.error = Some(client.hide_secrets(&chain(e)));
    }
    exchange.elapsed = start.elapsed();
    if let Some(log) = client.exchange_log() {
        log.record(sent, &exchange);
    }
    answer
}

/// Sends the GET and reads its answer into an [`Answer`], and into `exchange` for the exchange log
/// (header values and the body with secrets hidden).
async fn read_answer(
    http: &reqwest::Client,
    client: &Client,
    url: &str,
    headers: reqwest::header::HeaderMap,
    exchange: &mut Exchange,
) -> Result<Answer, reqwest::Error> {
    let mut response = http.get(url).headers(headers).send().await?;
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    };
    let (content_type, location) = (header(reqwest::header::CONTENT_TYPE), header(reqwest::header::LOCATION));
    let status = response.status().as_u16();
    exchange.status = Some(status);
    exchange.response_headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), client.hide_secrets(&String::from_utf8_lossy(v.as_bytes()))))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > 64 * 1024 {
            break;
        }
    }
    let body = client.hide_secrets(&String::from_utf8_lossy(&body));
    exchange.response_body = body.clone();
    Ok(Answer { url: url.to_string(), status, content_type, location, body })
}

/// `url` with another scheme (and the default port of neither changed).
fn with_scheme(url: &Url, scheme: &str) -> Option<String> {
    let mut other = url.clone();
    other.set_scheme(scheme).ok()?;
    Some(other.as_str().trim_end_matches('/').to_string())
}

/// Base URLs near `base` that could be the SCIM service: the usual base paths under the origin and under
/// the given path, and the given path's parents. The given one is not among them.
fn candidates(base: &Url) -> Vec<String> {
    let origin = base.origin().ascii_serialization();
    let path = base.path().trim_end_matches('/').to_string();
    let mut out: Vec<String> = COMMON_BASES.iter().map(|b| format!("{origin}{b}")).collect();
    if !path.is_empty() {
        out.extend(["/scim/v2", "/scim", "/v2"].iter().map(|b| format!("{origin}{path}{b}")));
        let mut parent = path.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            if !up.is_empty() {
                out.push(format!("{origin}{up}"));
            }
            parent = up;
        }
    }
    let given = format!("{origin}{path}");
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| *c != given && seen.insert(c.clone()));
    out
}

/// The first candidate (in order) whose `/ServiceProviderConfig` or `/Users?count=1` answers like SCIM.
async fn nearby_scim(http: &reqwest::Client, client: &Client, base: &Url) -> Option<String> {
    let mut probes = tokio::task::JoinSet::new();
    let list = candidates(base);
    for (index, candidate) in list.iter().enumerate() {
        let (http, client, candidate) = (http.clone(), client.clone(), candidate.clone());
        probes.spawn(async move {
            for path in ["/ServiceProviderConfig", "/Users?count=1"] {
                if get(&http, &client, &candidate, path).await.is_ok_and(|a| a.is_scim()) {
                    return Some(index);
                }
            }
            None
        });
    }
    let found = probes.join_all().await.into_iter().flatten().min()?;
    list.get(found).cloned()
}

/// How the configured credential is named in a fix.
fn credential_name(config: &ClientConfig) -> &'static str {
    match config.credential {
        Credential::Bearer(_) => "the bearer token (SCIM_TOKEN or --token)",
        Credential::Basic { .. } => "the --basic user and the SCIM_PASSWORD password",
        Credential::None => "the credential --header",
        Credential::OAuth(_) => "the access token from --token-url (the client's rights, --scope, --resource)",
    }
}

/// Turns a transport failure of `GET url` into the problem it shows.
async fn transport_problem(e: &reqwest::Error, url: &Url, client: &Client) -> Problem {
    let address = format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(0));
    let host = url.host_str().unwrap_or_default().to_string();
    let base = client.base_url().to_string();
    match classify(e) {
        Transport::UnknownHost(cause) => Problem::UnknownHost { host, cause },
        Transport::Refused => Problem::Refused { address },
        Transport::ConnectTimeout => Problem::ConnectTimeout { address },
        Transport::NoAnswer => Problem::NoAnswer { url: url.to_string() },
        Transport::Tls(cause) => {
            // A plain-HTTP port answers the handshake with an HTTP error page: ask it in plain HTTP.
            if let Some(plain) = with_scheme(url, "http")
                && let Ok(http) = http(&plain, false)
                && http.get(&plain).send().await.is_ok()
            {
                let suggested = Url::parse(&base).ok().and_then(|b| with_scheme(&b, "http")).unwrap_or(plain);
                return Problem::SpeaksPlainHttp { suggested };
            }
            Problem::Tls { host, cause }
        }
        Transport::Closed(cause) if url.scheme() == "http" => match speaks_https(&base).await {
            Some(suggested) => {
                Problem::SpeaksHttps { suggested, evidence: format!("plain HTTP got no answer: {cause}") }
            }
            None => Problem::NoHttpAnswer { url: url.to_string(), cause },
        },
        Transport::Closed(cause) | Transport::Other(cause) => Problem::NoHttpAnswer { url: url.to_string(), cause },
    }
}

/// The https:// form of `base`, if its port completes a TLS handshake and answers over it.
async fn speaks_https(base: &str) -> Option<String> {
    let secure = with_scheme(&Url::parse(base).ok()?, "https")?;
    let http = http(&secure, true).ok()?;
    http.get(format!("{secure}/ServiceProviderConfig")).send().await.ok()?;
    Some(secure)
}

/// Pre-flight for a run against `config`: the URL and the credential settings, then GET
/// `/ServiceProviderConfig` and `/Users?count=1`. `Ok` when the endpoint answers like SCIM and takes the
/// credential. With OAuth, the first access token is fetched before the probes (the run's clients share
/// it). With `log` (`--har`), the probes (and the token request) go into it, secrets hidden as in the run's
/// own exchanges.
pub async fn preflight(config: &ClientConfig, no_auth: bool, log: Option<Arc<ExchangeLog>>) -> Result<(), Problem> {
    let url = check_url(&config.base_url)?;
    check_credential(config, no_auth)?;
    let client =
        Client::new(config.clone()).map_err(|reason| Problem::NotAUrl { url: config.base_url.clone(), reason })?;
    let client = match log {
        Some(log) => client.with_exchange_log(log),
        None => client,
    };
    // OAuth: the first token before any probe; a token endpoint that gives none is the problem to name.
    client.first_token().await.map_err(Problem::Token)?;
    let base = client.base_url().to_string();
    let http = http(&base, false).map_err(|reason| Problem::NotAUrl { url: config.base_url.clone(), reason })?;
    let spc_url = Url::parse(&format!("{base}/ServiceProviderConfig")).unwrap_or_else(|_| url.clone());
    let spc = match get(&http, &client, &base, "/ServiceProviderConfig").await {
        Ok(a) => a,
        Err(e) => return Err(transport_problem(&e, &spc_url, &client).await),
    };
    // http:// to a TLS port: nginx answers 400 "The plain HTTP request was sent to HTTPS port"; others
    // redirect to https:// (another origin, so not followed).
    if url.scheme() == "http" {
        let body = spc.body.to_ascii_lowercase();
        let redirected = (300..400).contains(&spc.status)
            && spc
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("https://") && l.contains(url.host_str().unwrap_or("")));
        if (spc.status == 400 && (body.contains("https port") || body.contains("plain http"))) || redirected {
            let suggested = with_scheme(&Url::parse(&base).unwrap_or(url.clone()), "https").unwrap_or_default();
            let evidence = if redirected {
                format!("GET {} redirects to {}", spc.url, spc.location.clone().unwrap_or_default())
            } else {
                format!("GET {} answered 400 \"plain HTTP request sent to HTTPS port\"", spc.url)
            };
            return Err(Problem::SpeaksHttps { suggested, evidence });
        }
    }
    // RFC 7644 §4 lets /ServiceProviderConfig go without authentication: the credential is judged on
    // /Users, which always needs it.
    let users = get(&http, &client, &base, "/Users?count=1").await.ok();
    if let Some(users) = users.as_ref().filter(|u| u.status == 401 || u.status == 403) {
        let tried = users.url.clone();
        return Err(if no_auth {
            Problem::CredentialRequired { status: users.status, tried }
        } else {
            Problem::CredentialRefused {
                status: users.status,
                tried,
                credential: credential_name(config),
                detail: users.detail(),
            }
        });
    }
    if spc.is_scim() || users.as_ref().is_some_and(Answer::is_scim) {
        return Ok(());
    }
    let suggested = nearby_scim(&http, &client, &Url::parse(&base).unwrap_or(url)).await;
    Err(Problem::NotScim { base, tried: spc.url.clone(), answer: spc.describe(), suggested })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_scheme_gets_one_suggested() {
        assert_eq!(
            check_url("127.0.0.1:18260/v2"),
            Err(Problem::NoScheme { suggested: "http://127.0.0.1:18260/v2".into() })
        );
        assert_eq!(
            check_url("localhost:8080/scim/"),
            Err(Problem::NoScheme { suggested: "http://localhost:8080/scim".into() })
        );
        assert_eq!(
            check_url("scim.example.com/scim/v2"),
            Err(Problem::NoScheme { suggested: "https://scim.example.com/scim/v2".into() })
        );
        assert!(matches!(check_url("ftp://example.com/scim"), Err(Problem::UnsupportedScheme { .. })));
        assert!(matches!(check_url("not a url"), Err(Problem::NotAUrl { .. })), "{:?}", check_url("not a url"));
        assert!(check_url("https://example.com/scim/v2").is_ok());
        let shown = Problem::NoScheme { suggested: "http://127.0.0.1:18260/v2".into() }.to_string();
        assert_eq!(shown.lines().count(), 2, "{shown}");
        assert!(shown.starts_with("error: ") && shown.contains("\n  fix: "), "{shown}");
    }

    #[test]
    fn a_resource_path_at_the_end_is_named_with_the_base_url() {
        for (url, dropped) in [
            ("https://example.com/scim/v2/Users", "/Users"),
            ("https://example.com/scim/v2/users/", "/users"),
            ("https://example.com/scim/v2/Users/.search", "/Users/.search"),
            ("https://example.com/scim/v2/ServiceProviderConfig", "/ServiceProviderConfig"),
            ("https://example.com/scim/v2/RESOURCETYPES", "/RESOURCETYPES"),
            ("https://example.com/scim/v2/Me", "/Me"),
            ("https://example.com/scim/v2/Bulk", "/Bulk"),
            ("https://example.com/scim/v2/Groups", "/Groups"),
            ("https://example.com/scim/v2/Schemas", "/Schemas"),
        ] {
            assert_eq!(
                check_url(url),
                Err(Problem::ResourcePath { dropped: dropped.into(), base: "https://example.com/scim/v2".into() }),
                "{url}"
            );
        }
        assert_eq!(
            check_url("http://127.0.0.1:9/Users").unwrap_err().cause(),
            "drop /Users: the base URL is http://127.0.0.1:9"
        );
        assert!(check_url("https://example.com/Users-api/scim").is_ok());
    }

    #[test]
    fn a_credential_or_no_auth_is_needed_but_not_both() {
        let mut config = ClientConfig::new("http://x");
        assert_eq!(check_credential(&config, false), Err(Problem::NoCredential));
        assert_eq!(check_credential(&config, true), Ok(()));
        config.headers = vec![("authorization".into(), "Bearer x".into())];
        assert_eq!(check_credential(&config, false), Ok(()), "a credential --header counts");
        assert_eq!(check_credential(&config, true), Err(Problem::CredentialAndNoAuth));
        config.headers = vec![("X-Tenant".into(), "acme".into())];
        assert_eq!(check_credential(&config, false), Err(Problem::NoCredential), "not a credential header");
        config.credential = Credential::Basic { user: "u".into(), password: "p".into() };
        assert_eq!(check_credential(&config, false), Ok(()));
    }

    #[test]
    fn scim_answers_are_told_from_other_answers() {
        let answer = |status: u16, content_type: &str, body: &str| Answer {
            url: "http://x/ServiceProviderConfig".into(),
            status,
            content_type: Some(content_type.into()),
            location: None,
            body: body.into(),
        };
        let spc = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}"#;
        assert!(answer(200, "application/json", spc).is_scim());
        assert!(answer(200, "application/json", r#"{"patch":{"supported":true}}"#).is_scim(), "lenient");
        assert!(answer(200, "application/scim+json", "{}").is_scim());
        assert!(!answer(200, "text/html", "<html>hi</html>").is_scim());
        assert!(!answer(404, "application/json", r#"{"error":"not found"}"#).is_scim());
        let error = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#;
        assert!(!answer(404, "application/scim+json", error).is_scim(), "a SCIM 404: not the base URL");
        assert!(!answer(200, "application/json", r#"{"hello":"world"}"#).is_scim());
        assert_eq!(answer(404, "text/html; charset=utf-8", "<html/>").describe(), "404 text/html");
        assert_eq!(answer(404, "application/scim+json", error).describe(), "404 application/scim+json, a SCIM error");
        assert_eq!(
            answer(200, "application/json", "{}").describe(),
            "200 application/json that is not a SCIM document"
        );
    }

    #[test]
    fn nearby_base_urls_are_the_usual_ones_and_the_parents() {
        let list = candidates(&Url::parse("https://example.com/api/scim/v3").unwrap());
        assert_eq!(list[0], "https://example.com/scim/v2");
        for expected in ["https://example.com/api/scim/v2", "https://example.com/api/scim", "https://example.com/api"] {
            assert!(list.contains(&expected.to_string()), "{expected} in {list:?}");
        }
        assert!(!list.contains(&"https://example.com/api/scim/v3".to_string()), "not the given one");
    }
}
