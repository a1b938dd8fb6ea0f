//! `scimtest serve --oauth`: the reference server as an OAuth 2.0 authorization server (client credentials,
//! RFC 6749 §4.4) and as a resource server that accepts only the access tokens it issued.
//!
//! * `POST /oauth2/token`: client authentication by `client_secret_basic`, `client_secret_post` (RFC 6749
//!   §2.3.1) or an RFC 7523 JWT client assertion checked against a federated client's JWK Set — the way
//!   Entra's workload identity federation calls a gallery app (idp-behaviour.md §10.1).
//! * `GET /.well-known/jwks.json`: the public half of the access-token key, made anew at every start.
//! * `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata.
//!
//! Every JWT is signed and verified by `jsonwebtoken` (keys made by aws-lc-rs); the claim comparisons are
//! done here so each refusal can say which claim failed and which sentence decides it. Refusal texts stay
//! within the characters RFC 6749 §5.2 and RFC 6750 §3 allow in `error_description` (printable ASCII without
//! `"` and `\`), so they read "section" for the section sign. They never quote a token, assertion or secret.

use std::fmt;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use super::AppState;
use super::behaviour::Behaviour;

/// The SCIM API's audience: access tokens for it are accepted by the SCIM endpoints.
pub const DEFAULT_AUDIENCE: &str = "api://scimtest";
/// A second audience the token endpoint issues for (RFC 8707 `resource`) but SCIM never accepts: the
/// wrong-audience checks ask for it.
pub const DEFAULT_OTHER_AUDIENCE: &str = "api://scimtest-other";
/// The client id of `scimtest serve --oauth` (`--oauth-client-id`).
pub const DEFAULT_CLIENT_ID: &str = "scimtest";
/// The issuer a federated client's assertions come from by default: Entra's v2.0 issuer of a made-up
/// tenant, as the test keys of `fixtures/oauth/` sign.
pub const DEFAULT_TRUSTED_ISSUER: &str = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0";
/// How long issued access tokens live by default (Entra §10.1: 60 min to 6 h).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The token endpoint, at the server's root.
pub const TOKEN_PATH: &str = "/oauth2/token";
/// The JWK Set of the access-token key.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// The RFC 8414 metadata.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The `typ` of issued access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Clock skew allowed on an assertion's `exp` and `nbf` (RFC 7523 §3 items 4, 5: "subject to allowable
/// clock skew"). Access tokens get none: this server is their issuer and its own clock.
const ASSERTION_LEEWAY_SECS: u64 = 60;
const REALM: &str = "scimtest";

/// The authorization server's settings (`ServerConfig::oauth`). Its `Debug` hides the client secrets.
#[derive(Clone)]
pub struct OAuthConfig {
    /// The SCIM API: tokens for it are accepted (default [`DEFAULT_AUDIENCE`]).
    pub audience: String,
    /// Issued on request (RFC 8707 `resource`), never accepted by SCIM (default [`DEFAULT_OTHER_AUDIENCE`]).
    pub other_audiences: Vec<String>,
    /// `(client_id, client_secret)` for `client_secret_basic` and `client_secret_post`.
    pub clients: Vec<(String, String)>,
    /// Clients that authenticate with an RFC 7523 assertion.
    pub federated: Vec<FederatedClient>,
    /// How long issued access tokens live (default [`DEFAULT_TOKEN_LIFETIME`]).
    pub token_lifetime: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            audience: DEFAULT_AUDIENCE.into(),
            other_audiences: vec![DEFAULT_OTHER_AUDIENCE.into()],
            clients: Vec::new(),
            federated: Vec::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
        }
    }
}

impl OAuthConfig {
    /// Adds a client that authenticates with `secret`.
    pub fn with_client(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.clients.push((client_id.into(), secret.into()));
        self
    }

    /// Adds a client that authenticates with an RFC 7523 assertion.
    pub fn with_federated(mut self, client: FederatedClient) -> Self {
        self.federated.push(client);
        self
    }
}

impl fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients: Vec<(&str, &str)> = self.clients.iter().map(|(id, _)| (id.as_str(), "[hidden]")).collect();
        f.debug_struct("OAuthConfig")
            .field("audience", &self.audience)
            .field("other_audiences", &self.other_audiences)
            .field("clients", &clients)
            .field("federated", &self.federated)
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
}

/// A client whose assertions are signed by a trusted issuer (RFC 7523 §3): `iss` must be `issuer`, `sub`
/// must be `subject`, and the signing key one of `jwks` (a JWK Set, RFC 7517 §5, public keys only).
#[derive(Debug, Clone)]
pub struct FederatedClient {
    pub client_id: String,
    pub issuer: String,
    pub subject: String,
    pub jwks: Value,
}

impl FederatedClient {
    /// `client_id` trusting `jwks`, with the defaults: issuer [`DEFAULT_TRUSTED_ISSUER`], subject the
    /// client id.
    pub fn new(client_id: impl Into<String>, jwks: Value) -> Self {
        let client_id = client_id.into();
        FederatedClient { subject: client_id.clone(), client_id, issuer: DEFAULT_TRUSTED_ISSUER.into(), jwks }
    }
}

/// Reads a JWK Set (RFC 7517 §5) that is to be trusted for assertions: JSON with a `keys` array holding at
/// least one key with a `kid` that RS256 or ES256 can verify with. The error says what is wrong.
pub fn parse_jwk_set(text: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("is not JSON: {e}"))?;
    if !value.get("keys").is_some_and(Value::is_array) {
        return Err("is not a JWK Set: it has no `keys` array (RFC 7517 section 5)".into());
    }
    if trusted_keys(&value).is_empty() {
        return Err("holds no key this server can use: each needs a `kid` and must be an RSA or P-256 public key \
                    (RFC 7517 section 4)"
            .into());
    }
    Ok(value)
}

/// The usable keys of a JWK Set: those with a `kid` that `jsonwebtoken` reads. Others are left out.
fn trusted_keys(jwks: &Value) -> Vec<(String, DecodingKey)> {
    let keys = jwks.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    keys.iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            // RS256 and ES256 only: an HMAC key would let anyone holding the "public" set sign.
            matches!(key.family(), AlgorithmFamily::Rsa | AlgorithmFamily::Ec).then_some((kid, key))
        })
        .collect()
}

/// Seconds since the epoch.
fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// `http://host`, from the request's Host header (and `X-Forwarded-Proto`): the issuer, no trailing slash.
pub(super) fn issuer(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

// ----- JWTs -----------------------------------------------------------------------------------------

/// A compact JWS read without verification: its header and claims as JSON objects. What is read here is
/// trusted only after `jsonwebtoken` verified the signature (or a fault says not to).
struct UnverifiedJwt {
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl UnverifiedJwt {
    fn read(token: &str) -> Option<UnverifiedJwt> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let object = |part: &str| -> Option<Map<String, Value>> {
            serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()?.as_object().cloned()
        };
        Some(UnverifiedJwt { header: object(header)?, claims: object(claims)? })
    }

    fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A NumericDate claim (RFC 7519 §2), in whole seconds.
    fn claim_time(&self, name: &str) -> Option<u64> {
        let v = self.claims.get(name)?;
        v.as_u64().or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    }

    /// Whether `aud` (a string or an array of strings, RFC 7519 §4.1.3) names one of `accepted`.
    fn audience_is_one_of(&self, accepted: &[&str]) -> bool {
        match self.claims.get("aud") {
            Some(Value::String(a)) => accepted.contains(&a.as_str()),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(|a| accepted.contains(&a)),
            _ => false,
        }
    }
}

/// Verifies the signature of `token` with `key` for `alg`, and nothing else: the claims are judged by the
/// caller, one refusal per claim.
fn verify_signature(token: &str, key: &DecodingKey, alg: Algorithm) -> Result<(), jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, key, &validation).map(|_| ())
}

// ----- the authority: keys and checks -----------------------------------------------------------------

/// The running authorization server: its configuration, its signing key (made at start) and the keys it
/// trusts for assertions.
pub(crate) struct Authority {
    config: OAuthConfig,
    signing_key: EncodingKey,
    verifying_key: DecodingKey,
    /// The signing key's `kid`: its RFC 7638 JWK thumbprint.
    kid: String,
    /// The public JWK Set served at [`JWKS_PATH`].
    jwks: Value,
    /// Per federated client (same order as `config.federated`): its usable keys by `kid`.
    trusted: Vec<Vec<(String, DecodingKey)>>,
}

/// Why the SCIM endpoints refused a request (RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccessRefusal {
    /// No bearer token at all (or another scheme): the challenge carries no error code (RFC 6750 §3.1).
    NoToken(&'static str),
    /// A bearer token that is not valid: `error="invalid_token"`.
    InvalidToken(String),
}

impl AccessRefusal {
    pub(crate) fn detail(&self) -> String {
        match self {
            AccessRefusal::NoToken(d) => (*d).to_string(),
            AccessRefusal::InvalidToken(d) => d.clone(),
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3).
    pub(crate) fn challenge(&self) -> HeaderValue {
        let value = match self {
            AccessRefusal::NoToken(_) => format!("Bearer realm=\"{REALM}\""),
            AccessRefusal::InvalidToken(d) => {
                format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{}\"", quotable(d))
            }
        };
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"scimtest\""))
    }
}

/// `text` within the characters RFC 6750 §3 allows in `error_description` (%x20-21 / %x23-5B / %x5D-7E).
fn quotable(text: &str) -> String {
    text.replace('§', "section ")
        .chars()
        .filter_map(|c| match c {
            '"' | '\\' => Some('\''),
            ' '..='~' => Some(c),
            _ => None,
        })
        .collect()
}

fn invalid_token(text: &str) -> AccessRefusal {
    AccessRefusal::InvalidToken(text.to_string())
}

impl Authority {
    /// A new authority with a fresh P-256 signing key (aws-lc-rs).
    pub(crate) fn new(config: &OAuthConfig) -> Authority {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rng,
        )
        .expect("aws-lc-rs makes a P-256 key");
        let signing_key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk = Jwk::from_encoding_key(&signing_key, Algorithm::ES256).expect("a P-256 key has a public JWK");
        let kid = jwk.thumbprint(ThumbprintHash::SHA256).expect("an EC JWK has a thumbprint");
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let verifying_key = DecodingKey::from_jwk(&jwk).expect("the public JWK reads back");
        let jwks = json!({ "keys": [jwk] });
        let trusted = config.federated.iter().map(|c| trusted_keys(&c.jwks)).collect();
        Authority { config: config.clone(), signing_key, verifying_key, kid, jwks, trusted }
    }

    /// Checks the `Authorization` of a SCIM request: only this server's JWT access tokens for the SCIM
    /// audience pass.
    pub(crate) fn check_access(
        &self,
        authorization: Option<&str>,
        issuer: &str,
        b: &Behaviour,
    ) -> Result<(), AccessRefusal> {
        const SEND_TOKEN: &str =
            "authentication required: send Authorization: Bearer <access token from /oauth2/token>";
        let Some((scheme, token)) = authorization.map(str::trim).and_then(|a| a.split_once(' ')) else {
            return Err(AccessRefusal::NoToken(SEND_TOKEN));
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AccessRefusal::NoToken(
                "only OAuth bearer access tokens are accepted: send Authorization: Bearer <access token from /oauth2/token>",
            ));
        }
        let token = token.trim();
        let jwt = UnverifiedJwt::read(token).ok_or_else(|| {
            invalid_token("the access token is not a JWT of three base64url parts (RFC 7519 section 7.2)")
        })?;
        match jwt.alg() {
            Some("none") if !b.oauth_alg_none_refused => {}
            Some("none") => {
                return Err(invalid_token(
                    "an unsecured JWT (alg none) is never accepted as an access token (RFC 8725 section 3.1; \
                     RFC 7519 section 6)",
                ));
            }
            Some("ES256") if !b.oauth_signature_checked => {}
            Some("ES256") => {
                if jwt.kid() != Some(self.kid.as_str()) {
                    return Err(invalid_token(
                        "the access token was not signed by this server: its kid is not the one of \
                         /.well-known/jwks.json (RFC 7515 section 4.1.4)",
                    ));
                }
                verify_signature(token, &self.verifying_key, Algorithm::ES256).map_err(|_| {
                    invalid_token(
                        "the access token's signature does not verify with this server's key (RFC 7515 section 5.2)",
                    )
                })?;
            }
            _ => {
                return Err(invalid_token(
                    "the access token's alg must be ES256, the algorithm this server signs with (RFC 8725 section 3.1)",
                ));
            }
        }
        if jwt.claim_str("iss") != Some(issuer) {
            return Err(invalid_token(&format!(
                "the access token's iss is not this server ({issuer}) (RFC 7519 section 4.1.1; RFC 9068 section 4)"
            )));
        }
        if b.oauth_audience_checked && !jwt.audience_is_one_of(&[self.config.audience.as_str()]) {
            return Err(invalid_token(&format!(
                "the access token's aud is not this SCIM API ({}) (RFC 7519 section 4.1.3; RFC 8707 section 2)",
                self.config.audience
            )));
        }
        let now = now();
        if b.oauth_expiry_checked {
            match jwt.claim_time("exp") {
                None => {
                    return Err(invalid_token("the access token has no exp (RFC 9068 section 2.2: required)"));
                }
                Some(exp) if now >= exp => {
                    return Err(invalid_token("the access token expired (RFC 7519 section 4.1.4)"));
                }
                Some(_) => {}
            }
        }
        if jwt.claim_time("nbf").is_some_and(|nbf| now < nbf) {
            return Err(invalid_token("the access token is not valid yet: nbf is ahead (RFC 7519 section 4.1.5)"));
        }
        Ok(())
    }

    /// Authenticates an RFC 7523 client assertion: the federated client it authenticates, or why not.
    fn check_assertion(
        &self,
        assertion: &str,
        client_id: Option<&str>,
        token_url: &str,
        issuer: &str,
        b: &Behaviour,
    ) -> Result<&FederatedClient, String> {
        let jwt = UnverifiedJwt::read(assertion)
            .ok_or("the client_assertion is not a JWT of three base64url parts (RFC 7523 section 3, item 10)")?;
        let alg = match jwt.alg() {
            Some("RS256") => Algorithm::RS256,
            Some("ES256") => Algorithm::ES256,
            _ => {
                return Err(
                    "the client_assertion's alg must be RS256 or ES256: it must be signed (RFC 7523 section 3, \
                            item 9; RFC 8725 section 3.1)"
                        .into(),
                );
            }
        };
        let (iss, sub) = (jwt.claim_str("iss"), jwt.claim_str("sub"));
        // The clients the assertion may be for; of several, the one its iss and sub name.
        let candidates: Vec<usize> = (0..self.config.federated.len())
            .filter(|&i| client_id.is_none_or(|id| self.config.federated[i].client_id == id))
            .collect();
        if candidates.is_empty() {
            return Err(match client_id {
                Some(id) => format!("client_id {id} is not a federated client of this server (RFC 7523 section 3.2)"),
                None => "this server trusts no issuer for client assertions (RFC 7523 section 3.2)".into(),
            });
        }
        let named = |i: &usize| {
            let c = &self.config.federated[*i];
            iss == Some(c.issuer.as_str()) && sub == Some(c.subject.as_str())
        };
        let client = if b.oauth_assertion_signature_checked {
            let kid = jwt.kid().ok_or(
                "the client_assertion has no kid, so no trusted key can be chosen to verify it (RFC 7515 section 4.1.4)",
            )?;
            let with_key: Vec<usize> =
                candidates.into_iter().filter(|&i| self.trusted[i].iter().any(|(k, _)| k == kid)).collect();
            let Some(&i) = with_key.iter().find(|&&i| named(&i)).or(with_key.first()) else {
                return Err("no trusted key has the client_assertion's kid: it was not signed by the trusted issuer \
                            (RFC 7523 section 3, item 9)"
                    .into());
            };
            let (_, key) = self.trusted[i].iter().find(|(k, _)| k == kid).expect("filtered on this kid");
            verify_signature(assertion, key, alg).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => format!(
                    "the trusted key with the client_assertion's kid is not a key for {alg:?} (RFC 7515 section 4.1.1)"
                ),
                _ => "the client_assertion's signature does not verify with the trusted key (RFC 7523 section 3, \
                      item 9)"
                    .into(),
            })?;
            i
        } else {
            *candidates.iter().find(|&&i| named(&i)).unwrap_or(&candidates[0])
        };
        let client = &self.config.federated[client];
        if iss != Some(client.issuer.as_str()) {
            return Err(format!(
                "the client_assertion's iss is not the trusted issuer {} (RFC 7523 section 3, item 1)",
                client.issuer
            ));
        }
        if sub != Some(client.subject.as_str()) {
            return Err(format!(
                "the client_assertion's sub is not the subject trusted for client {} (RFC 7523 section 3, item 2)",
                client.client_id
            ));
        }
        if b.oauth_assertion_audience_checked
            && !jwt.audience_is_one_of(&[token_url, issuer, self.config.audience.as_str()])
        {
            return Err(format!(
                "the client_assertion's aud names neither this token endpoint ({token_url}), this issuer nor {} \
                 (RFC 7523 section 3, item 3)",
                self.config.audience
            ));
        }
        let now = now();
        if b.oauth_assertion_expiry_checked {
            match jwt.claim_time("exp") {
                None => return Err("the client_assertion has no exp (RFC 7523 section 3, item 4: MUST)".into()),
                Some(exp) if now >= exp.saturating_add(ASSERTION_LEEWAY_SECS) => {
                    return Err("the client_assertion expired (RFC 7523 section 3, item 4)".into());
                }
                Some(_) => {}
            }
        }
        if jwt.claim_time("nbf").is_some_and(|nbf| now + ASSERTION_LEEWAY_SECS < nbf) {
            return Err("the client_assertion is not valid yet: nbf is ahead (RFC 7523 section 3, item 5)".into());
        }
        Ok(client)
    }

    /// Checks a client secret: constant-time comparison (aws-lc-rs), unless a fault accepts any.
    fn check_secret(&self, client_id: &str, secret: &str, b: &Behaviour) -> Result<(), String> {
        let Some((_, expected)) = self.config.clients.iter().find(|(id, _)| id == client_id) else {
            return Err(format!("client {client_id} is not registered here (RFC 6749 section 5.2: invalid_client)"));
        };
        let equal = aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), secret.as_bytes()).is_ok();
        if equal || !b.oauth_client_secret_checked {
            Ok(())
        } else {
            Err(format!("the client secret of client {client_id} is wrong (RFC 6749 section 5.2: invalid_client)"))
        }
    }

    /// Signs an access token (RFC 9068): ES256, `typ: at+jwt`, this server's `kid`.
    fn issue(&self, issuer: &str, client_id: &str, audience: &str, scope: Option<&str>, lifetime: u64) -> String {
        let now = now();
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).expect("the system random source works");
        let jti: String = jti.iter().map(|b| format!("{b:02x}")).collect();
        let mut claims = json!({
            "iss": issuer,
            "sub": client_id,
            "aud": audience,
            "client_id": client_id,
            "iat": now,
            "nbf": now,
            // Whole seconds, rounded up: the token never expires before `expires_in` has passed (with `now`
            // rounded down, a 2-second token issued at x.9 s would be dead at x+2, 1.1 s later).
            "exp": now.saturating_add(lifetime).saturating_add(1),
            "jti": jti,
        });
        if let Some(scope) = scope {
            claims["scope"] = json!(scope);
        }
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing_key).expect("ES256 signs with the key made at start")
    }
}

// ----- HTTP -----------------------------------------------------------------------------------------

/// The routes at the server's root: token endpoint, JWK Set, metadata.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(TOKEN_PATH, post(token_endpoint))
        .route(JWKS_PATH, get(jwks))
        .route(METADATA_PATH, get(metadata))
}

fn json_answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, serde_json::to_vec(body).expect("JSON values serialize")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// RFC 6749 §5.1: token answers MUST NOT be cached.
fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

async fn jwks(State(s): State<AppState>) -> Response {
    match s.oauth() {
        Some(a) => json_answer(StatusCode::OK, &a.jwks),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn metadata(headers: HeaderMap) -> Response {
    let issuer = issuer(&headers);
    json_answer(
        StatusCode::OK,
        &json!({
            "issuer": issuer,
            "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
            "jwks_uri": format!("{issuer}{JWKS_PATH}"),
            "grant_types_supported": ["client_credentials"],
            // RFC 8414 §2 requires the member; with no authorization endpoint there is no response type.
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        }),
    )
}

/// A token-endpoint error (RFC 6749 §5.2).
#[derive(Debug)]
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// The client authenticated with HTTP Basic: a 401 carries `WWW-Authenticate: Basic` (RFC 6749 §5.2).
    basic_challenge: bool,
}

impl TokenError {
    fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        TokenError { status: StatusCode::BAD_REQUEST, error, description: description.into(), basic_challenge: false }
    }

    fn invalid_client(description: impl Into<String>, basic_challenge: bool) -> Self {
        TokenError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            basic_challenge,
        }
    }

    fn into_response(self) -> Response {
        let description = quotable(&self.description);
        let mut response = json_answer(self.status, &json!({ "error": self.error, "error_description": description }));
        no_store(&mut response);
        if self.basic_challenge && self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"scimtest\""));
        }
        response
    }
}

/// One `application/x-www-form-urlencoded` value (RFC 6749 §2.3.1 encodes the Basic user and password so).
fn form_decode(text: &str) -> Option<String> {
    let escaped = text.replace('&', "%26");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={escaped}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// The client authentication a token request carries.
enum ClientAuth<'a> {
    Secret { client_id: String, secret: String, basic: bool },
    Assertion { assertion: &'a str, client_id: Option<&'a str> },
}

async fn token_endpoint(State(s): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let answer = token_answer(&s, &headers, body).await;
    match answer {
        Ok(mut response) => {
            if s.behaviour().oauth_token_answer_not_stored {
                no_store(&mut response);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn token_answer(s: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, TokenError> {
    let Some(authority) = s.oauth() else {
        return Err(TokenError::bad_request("invalid_request", "this server is not an authorization server"));
    };
    let b = s.behaviour();
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !media.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(TokenError::bad_request(
            "invalid_request",
            "a token request is a form: Content-Type application/x-www-form-urlencoded (RFC 6749 section 4.4.2)",
        ));
    }
    let bytes = to_bytes(body, s.config().max_body_bytes)
        .await
        .map_err(|_| TokenError::bad_request("invalid_request", "the token request is too large"))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
        TokenError::bad_request("invalid_request", "the body does not decode as a form (RFC 6749 appendix B)")
    })?;
    let mut form: Vec<(&str, &str)> = Vec::new();
    let mut resources: Vec<&str> = Vec::new();
    for (k, v) in &pairs {
        if k == "resource" {
            resources.push(v); // RFC 8707 §2 lets `resource` repeat.
        } else if form.iter().any(|(seen, _)| seen == k) {
            return Err(TokenError::bad_request(
                "invalid_request",
                format!("the parameter {k} is sent more than once (RFC 6749 section 3.2: MUST NOT)"),
            ));
        } else {
            form.push((k, v));
        }
    }
    let param = |name: &str| form.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);

    // Exactly one client authentication (RFC 6749 §2.3).
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, credentials)| credentials.trim());
    let posted_secret = param("client_secret");
    let assertion_given = param("client_assertion").is_some() || param("client_assertion_type").is_some();
    let methods = usize::from(basic.is_some()) + usize::from(posted_secret.is_some()) + usize::from(assertion_given);
    if methods > 1 {
        return Err(TokenError::bad_request(
            "invalid_request",
            "the request carries more than one client authentication: use exactly one of HTTP Basic, \
             client_secret in the body, or client_assertion (RFC 6749 section 2.3)",
        ));
    }
    match param("grant_type") {
        Some("client_credentials") => {}
        None => {
            return Err(TokenError::bad_request(
                "invalid_request",
                "grant_type is missing: this server issues tokens for grant_type=client_credentials (RFC 6749 \
                 section 4.4.2)",
            ));
        }
        Some(_) => {
            return Err(TokenError::bad_request(
                "unsupported_grant_type",
                "this server supports only grant_type=client_credentials (RFC 6749 section 5.2)",
            ));
        }
    }
    let auth = if let Some(credentials) = basic {
        let decoded = STANDARD.decode(credentials).ok().and_then(|d| String::from_utf8(d).ok());
        let pair = decoded.as_deref().and_then(|d| d.split_once(':'));
        let Some((client_id, secret)) = pair.and_then(|(id, secret)| Some((form_decode(id)?, form_decode(secret)?)))
        else {
            return Err(TokenError::invalid_client(
                "the Basic credentials do not decode as client_id:client_secret (RFC 6749 section 2.3.1)",
                true,
            ));
        };
        ClientAuth::Secret { client_id, secret, basic: true }
    } else if let Some(secret) = posted_secret {
        let Some(client_id) = param("client_id") else {
            return Err(TokenError::bad_request(
                "invalid_request",
                "client_secret without client_id (RFC 6749 section 2.3.1)",
            ));
        };
        ClientAuth::Secret { client_id: client_id.into(), secret: secret.into(), basic: false }
    } else if assertion_given {
        let (Some(kind), Some(assertion)) = (param("client_assertion_type"), param("client_assertion")) else {
            return Err(TokenError::bad_request(
                "invalid_request",
                "client_assertion and client_assertion_type go together (RFC 7521 section 4.2)",
            ));
        };
        if kind != JWT_BEARER_ASSERTION {
            return Err(TokenError::invalid_client(
                format!("client_assertion_type must be {JWT_BEARER_ASSERTION} (RFC 7523 section 2.2)"),
                false,
            ));
        }
        ClientAuth::Assertion { assertion, client_id: param("client_id") }
    } else {
        return Err(TokenError::invalid_client(
            "no client authentication: send HTTP Basic client_id:client_secret, client_secret in the body, or a \
             client_assertion (RFC 6749 section 2.3)",
            false,
        ));
    };

    let issuer = issuer(headers);
    let token_url = format!("{issuer}{TOKEN_PATH}");
    let client_id = match auth {
        ClientAuth::Secret { client_id, secret, basic } => {
            authority.check_secret(&client_id, &secret, b).map_err(|d| TokenError::invalid_client(d, basic))?;
            client_id
        }
        ClientAuth::Assertion { assertion, client_id } => authority
            .check_assertion(assertion, client_id, &token_url, &issuer, b)
            .map_err(|d| TokenError::invalid_client(d, false))?
            .client_id
            .clone(),
    };

    // The audience (RFC 8707 `resource`, or the `audience` some servers take instead).
    let config = &authority.config;
    let audience = match (resources.as_slice(), param("audience")) {
        ([], None) => config.audience.as_str(),
        ([one], None) => *one,
        ([], Some(one)) => one,
        ([one], Some(other)) if *one == other => *one,
        _ => {
            return Err(TokenError::bad_request(
                "invalid_target",
                "one audience per token request: this server issues a token for a single resource (RFC 8707 \
                 section 2)",
            ));
        }
    };
    if audience != config.audience && !config.other_audiences.iter().any(|a| a == audience) {
        return Err(TokenError::bad_request(
            "invalid_target",
            format!("this server issues no tokens for the resource {audience} (RFC 8707 section 2: invalid_target)"),
        ));
    }
    let lifetime = b.oauth_token_lifetime_secs.unwrap_or(config.token_lifetime.as_secs());
    let scope = param("scope");
    let token = authority.issue(&issuer, &client_id, audience, scope, lifetime);
    let mut body = json!({ "access_token": token, "token_type": "Bearer", "expires_in": lifetime });
    if let Some(scope) = scope {
        body["scope"] = json!(scope);
    }
    Ok(json_answer(StatusCode::OK, &body))
}
