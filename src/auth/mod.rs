//! OAuth 2.0 for the harness: client credentials (RFC 6749 §4.4) with a client secret or an RFC 7523 JWT
//! client assertion (Entra's workload identity federation, idp-behaviour.md §10.1), the access token cached
//! and refreshed, and the tokens and token requests of the security checks.
//!
//! Why not the `oauth2` crate: its 5.0 pulls reqwest 0.12 beside our 0.13 (a second HTTP stack); it hides the
//! raw answer behind typed parse errors, while the pre-flight must name exactly what is wrong with a bad token
//! endpoint (HTML, an error without `error`, no `expires_in`); the token-endpoint checks send deliberately
//! wrong requests and judge the raw exchange, with the same transcripts, curl lines, HAR and secret hiding as
//! every SCIM exchange; and RFC 7523 client assertions are only two more form parameters. The token request
//! is one form POST, sent by [`crate::client::Client`].
//!
//! * [`key`]: the assertion key (PEM RSA → RS256, EC P-256 → ES256), read when the configuration is made.
//! * [`token`]: the token request's form (RFC 6749 §2.3.1, §4.4.2; RFC 7521 §4.2; RFC 7523 §3) and its
//!   answer (§5.1, §5.2), judged into a token or a [`TokenError`].
//! * [`forged`]: the deliberately broken tokens of the security checks.
//! * [`input`]: `--auth` and its flags (or the `SCIM_*` variables) into one [`crate::client::Credential`].

pub mod forged;
pub mod input;
pub mod key;
pub mod token;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use input::{AuthError, AuthInput, AuthMethod};
pub use key::{AssertionKey, KeyError};
pub use token::TokenError;

use crate::client::{HIDDEN, Secrets};

/// A request to the token endpoint, as the configuration makes it or deliberately wrong (the token-endpoint
/// checks, step key `token = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenVariant {
    /// The run's own token request.
    Configured,
    /// The run's client id with a secret the server never issued.
    WrongSecret,
    /// The run's assertion claims signed by a key the server does not trust.
    UnknownKeyAssertion,
    /// The run's assertion, expired ten minutes ago (beyond any clock skew).
    ExpiredAssertion,
    /// The run's assertion with an audience that is not this server.
    WrongAudienceAssertion,
}

impl TokenVariant {
    pub const ALL: [TokenVariant; 5] = [
        TokenVariant::Configured,
        TokenVariant::WrongSecret,
        TokenVariant::UnknownKeyAssertion,
        TokenVariant::ExpiredAssertion,
        TokenVariant::WrongAudienceAssertion,
    ];

    /// As a suite writes it: `token = "wrong-secret"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenVariant::Configured => "configured",
            TokenVariant::WrongSecret => "wrong-secret",
            TokenVariant::UnknownKeyAssertion => "unknown-key-assertion",
            TokenVariant::ExpiredAssertion => "expired-assertion",
            TokenVariant::WrongAudienceAssertion => "wrong-audience-assertion",
        }
    }
}

/// What the run's authentication makes checkable (features of the plan, like the server's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthFacts {
    /// The run gets its token from a token endpoint (`--auth client-credentials` or `jwt-assertion`).
    pub oauth: bool,
    /// … with a client secret (`client-credentials`).
    pub secret: bool,
    /// … with a signed JWT assertion (`jwt-assertion`).
    pub assertion: bool,
    /// The run's access token is a JWT (three base64url parts, a JSON header): tampering and `alg: none`
    /// can be built from it.
    pub jwt_access_token: bool,
    /// Issued tokens live no longer than `--auth-expiry-wait`: the expired-token check can wait for one.
    pub expiry_observable: bool,
    /// `--oauth-other-resource` names a resource the token endpoint issues tokens for.
    pub other_resource: bool,
}

/// How the client authenticates to the token endpoint with a secret (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SecretMethod {
    /// `client_secret_basic`: HTTP Basic with the form-urlencoded id and secret (the method servers MUST support).
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
}

/// The RFC 7523 client assertion's settings (the claims of §3, the key it is signed with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionSettings {
    pub key: AssertionKey,
    /// `iss` (§3 item 1). Entra: `https://login.microsoftonline.com/<tenant>/v2.0`.
    pub issuer: String,
    /// `sub` (§3 item 2.B: for client authentication, the client id).
    pub subject: String,
    /// `aud` (§3 item 3: the token endpoint URL may be used; Entra: `api://<app id>`).
    pub audience: String,
    /// From `iat` to `exp`.
    pub lifetime: Duration,
    /// The header's `kid`: which of the issuer's published keys verifies it.
    pub kid: Option<String>,
}

/// How the client authenticates to the token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientAuth {
    /// A client secret (`SCIM_CLIENT_SECRET`), sent as `method` says.
    Secret { secret: String, method: SecretMethod },
    /// A signed JWT assertion (`client_assertion_type` + `client_assertion`, RFC 7521 §4.2).
    Assertion(AssertionSettings),
}

/// Never prints the secret.
impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientAuth::Secret { method, .. } => write!(f, "Secret {{ secret: {HIDDEN}, method: {method:?} }}"),
            ClientAuth::Assertion(a) => write!(f, "Assertion({a:?})"),
        }
    }
}

/// The OAuth settings of a run (`--auth client-credentials` or `jwt-assertion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    /// The token endpoint (`--token-url`).
    pub token_url: String,
    pub client_id: String,
    pub client_auth: ClientAuth,
    /// `scope` (RFC 6749 §3.3).
    pub scope: Option<String>,
    /// `resource` (RFC 8707 §2).
    pub resource: Option<String>,
    /// `audience`: the parameter some servers take instead of `resource`.
    pub audience: Option<String>,
    /// A resource the token endpoint issues tokens for that is not this SCIM service (the wrong-audience check).
    pub other_resource: Option<String>,
    /// How long the expired-token check may wait for an issued token to expire (zero: it does not).
    pub expiry_wait: Duration,
}

/// The default lifetime of a client assertion (`--assertion-lifetime`).
pub const ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

impl OAuthSettings {
    /// Client credentials with a secret, sent as `client_secret_basic`; no scope, resource or audience.
    pub fn client_credentials(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> OAuthSettings {
        OAuthSettings::new(
            token_url.into(),
            client_id.into(),
            ClientAuth::Secret { secret: secret.into(), method: SecretMethod::Basic },
        )
    }

    /// Client credentials with a JWT assertion signed by `key`: `iss` and `sub` the client id, `aud` the
    /// token URL (RFC 7523 §3), ten minutes long, no `kid` (set [`OAuthSettings::assertion_mut`]'s fields for
    /// Entra's shape).
    pub fn jwt_assertion(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        key: AssertionKey,
    ) -> OAuthSettings {
        let (token_url, client_id) = (token_url.into(), client_id.into());
        let assertion = AssertionSettings {
            key,
            issuer: client_id.clone(),
            subject: client_id.clone(),
            audience: token_url.clone(),
            lifetime: ASSERTION_LIFETIME,
            kid: None,
        };
        OAuthSettings::new(token_url, client_id, ClientAuth::Assertion(assertion))
    }

    fn new(token_url: String, client_id: String, client_auth: ClientAuth) -> OAuthSettings {
        OAuthSettings {
            token_url,
            client_id,
            client_auth,
            scope: None,
            resource: None,
            audience: None,
            other_resource: None,
            expiry_wait: Duration::ZERO,
        }
    }

    /// The assertion's settings, if the client authenticates with one.
    pub fn assertion_mut(&mut self) -> Option<&mut AssertionSettings> {
        match &mut self.client_auth {
            ClientAuth::Assertion(a) => Some(a),
            ClientAuth::Secret { .. } => None,
        }
    }

    /// The values never shown that the settings hold: the secret, or the key's text.
    pub fn secrets(&self) -> Vec<String> {
        match &self.client_auth {
            ClientAuth::Secret { secret, .. } => vec![secret.clone()],
            ClientAuth::Assertion(a) => a.key.secrets().to_vec(),
        }
    }
}

/// The run's OAuth client: its settings, the access token held, and the secrets it has seen, shared by every
/// `Client` made from the same configuration (pre-flight, the run, the cleanup).
pub struct OAuth {
    pub settings: OAuthSettings,
    /// The token held; locked across a fetch, so one fetch runs at a time and the others wait for its token.
    held: tokio::sync::Mutex<Option<HeldToken>>,
    /// The expired token of the expired-token check, once waited out.
    expired: tokio::sync::Mutex<Option<String>>,
    /// Every token, assertion and security-check token obtained, with the client's other secrets.
    secrets: Arc<Secrets>,
}

/// An access token and when it stops being usable.
#[derive(Clone)]
pub struct HeldToken {
    pub token: String,
    /// `expires_in` (RFC 6749 §5.1).
    pub lifetime: Duration,
    /// When the request that got it was sent: its lifetime counts from then at the latest.
    pub requested: Instant,
}

impl HeldToken {
    /// Whether it is still good for a request: refreshed once less than min(60 s, a quarter of its
    /// lifetime) is left, so no request leaves with a token about to expire.
    pub fn usable(&self, now: Instant) -> bool {
        let margin = (self.lifetime / 4).min(Duration::from_secs(60));
        now + margin < self.requested + self.lifetime
    }
}

impl OAuth {
    pub fn new(settings: OAuthSettings) -> OAuth {
        let secrets = Arc::new(Secrets::default());
        for s in settings.secrets() {
            secrets.add(&s);
        }
        OAuth { settings, held: Default::default(), expired: Default::default(), secrets }
    }

    /// The secrets shared by every client of this configuration.
    pub fn secrets(&self) -> &Arc<Secrets> {
        &self.secrets
    }

    /// The token held, locked: a caller that finds none usable fetches one while holding it.
    pub async fn held(&self) -> tokio::sync::MutexGuard<'_, Option<HeldToken>> {
        self.held.lock().await
    }

    /// The expired-token check's token, locked while it is made (one wait for every check).
    pub async fn expired(&self) -> tokio::sync::MutexGuard<'_, Option<String>> {
        self.expired.lock().await
    }
}

/// Settings decide equality; the token held does not.
impl PartialEq for OAuth {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Eq for OAuth {}

/// Never prints a secret or a token.
impl std::fmt::Debug for OAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OAuth({:?})", self.settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_before_it_expires() {
        let now = Instant::now();
        let held = |lifetime: u64, age: u64| HeldToken {
            token: "t".into(),
            lifetime: Duration::from_secs(lifetime),
            requested: now - Duration::from_secs(age),
        };
        assert!(held(3600, 3000).usable(now), "10 min left of an hour");
        assert!(!held(3600, 3541).usable(now), "59 s left: under a minute");
        assert!(held(2, 0).usable(now) && !held(2, 2).usable(now), "2-second tokens");
        assert!(!held(4, 3).usable(now), "1 s left of 4: a quarter");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let settings = OAuthSettings::client_credentials("http://x/token", "client", "s3cret-value-123");
        let shown = format!("{:?}", OAuth::new(settings));
        assert!(!shown.contains("s3cret") && shown.contains("client"), "{shown}");
    }
}
