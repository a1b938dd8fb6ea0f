//! The token request (RFC 6749 §4.4.2, one form POST) and its answer (§5.1 success, §5.2 error), built and
//! judged without a connection; [`crate::client::Client`] sends it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{ClientAuth, OAuthSettings, SecretMethod, TokenVariant, key};

/// RFC 7523 §2.2: the client assertion type of a JWT.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The environment variable the client secret is read from (never from the command line).
pub const SECRET_ENV: &str = "SCIM_CLIENT_SECRET";

/// The secret of the wrong-secret check: one no server issued.
pub const WRONG_SECRET: &str = "scimtest-not-the-client-secret";

/// The audience of the wrong-audience assertion: no server is it.
pub const WRONG_AUDIENCE: &str = "https://scimtest.invalid/not-this-server";

/// One token request: the form sent, the form shown, the Basic credential (sent, shown), and the values
/// made for it that are never shown (the assertion).
pub struct TokenRequest {
    pub form: Vec<(String, String)>,
    pub shown_form: Vec<(String, String)>,
    pub basic: Option<(String, String)>,
    pub secrets: Vec<String>,
}

/// What a token endpoint did wrong, or why a token could not be had; each says what and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No HTTP answer (refused, timed out, TLS …).
    #[error("{}", self.cause())]
    NoAnswer { url: String, cause: String },
    /// An answer that is not JSON (an HTML login page, a proxy's error page …).
    #[error("{}", self.cause())]
    NotJson { url: String, answer: String },
    /// A JSON error answer without the `error` member.
    #[error("{}", self.cause())]
    ErrorWithoutCode { url: String, status: u16 },
    /// An RFC 6749 §5.2 error: the request was refused.
    #[error("{}", self.cause())]
    Refused { url: String, status: u16, error: String, description: Option<String> },
    /// A success without `access_token`.
    #[error("{}", self.cause())]
    NoAccessToken { url: String, status: u16 },
    /// A token of a type other than Bearer.
    #[error("{}", self.cause())]
    NotBearer { url: String, token_type: String },
    /// A token without `expires_in`.
    #[error("{}", self.cause())]
    NoExpiresIn { url: String },
    /// An `expires_in` that is not a positive number of seconds.
    #[error("{}", self.cause())]
    BadExpiresIn { url: String, value: String },
    /// The assertion could not be signed.
    #[error("{}", self.cause())]
    Signing { cause: String },
    /// A security-check token or request this run's settings cannot make.
    #[error("{}", self.cause())]
    Unavailable { cause: String, fix: String },
}

impl TokenError {
    /// What is wrong, in one line (no secret: descriptions come from answers with secrets hidden).
    pub fn cause(&self) -> String {
        match self {
            TokenError::NoAnswer { url, cause } => format!("the token endpoint {url} did not answer ({cause})"),
            TokenError::NotJson { url, answer } => {
                format!("the token endpoint {url} answered {answer}, not JSON (RFC 6749 §5.1/§5.2: application/json)")
            }
            TokenError::ErrorWithoutCode { url, status } => {
                format!("the token endpoint {url} answered {status} without an `error` code (RFC 6749 §5.2: REQUIRED)")
            }
            TokenError::Refused { url, status, error, description } => format!(
                "the token endpoint {url} refused the token request: {status} {error}{} (RFC 6749 §5.2)",
                description.as_ref().map(|d| format!(" \"{d}\"")).unwrap_or_default()
            ),
            TokenError::NoAccessToken { url, status } => {
                format!("the token endpoint {url} answered {status} without an access_token (RFC 6749 §5.1: REQUIRED)")
            }
            TokenError::NotBearer { url, token_type } => {
                format!("the token endpoint {url} issued a `{token_type}` token, not a Bearer token (RFC 6750 §1)")
            }
            TokenError::NoExpiresIn { url } => format!(
                "the token endpoint {url} answered a token without expires_in: scimtest cannot tell when to \
                 refresh it (RFC 6749 §5.1)"
            ),
            TokenError::BadExpiresIn { url, value } => format!(
                "the token endpoint {url} answered expires_in `{value}`, not a positive number of seconds \
                 (RFC 6749 §5.1)"
            ),
            TokenError::Signing { cause } => format!("cannot sign the client assertion ({cause})"),
            TokenError::Unavailable { cause, .. } => cause.clone(),
        }
    }

    /// How to fix it, in one line.
    pub fn fix(&self) -> String {
        match self {
            TokenError::NoAnswer { .. } => {
                "check --token-url (SCIM_TOKEN_URL) and that the authorization server is running and reachable".into()
            }
            TokenError::NotJson { .. } | TokenError::NoAccessToken { .. } | TokenError::ErrorWithoutCode { .. } => {
                "check --token-url: it must be the OAuth 2.0 token endpoint (e.g. \
                 https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token), not a login page or a proxy"
                    .into()
            }
            TokenError::Refused { error, .. } => match error.as_str() {
                "invalid_client" => "check --client-id and SCIM_CLIENT_SECRET (or the assertion: --assertion-key, \
                     --assertion-iss, --assertion-sub, --assertion-aud, --assertion-kid) against the client the \
                     authorization server has registered"
                    .into(),
                "invalid_scope" => "check --scope: it must be one the client may request".into(),
                "invalid_target" => "check --resource and --audience: the server must issue tokens for them".into(),
                "unauthorized_client" | "unsupported_grant_type" => {
                    "allow the client_credentials grant for this client at the authorization server".into()
                }
                _ => "check the client's registration at the authorization server and --scope/--resource".into(),
            },
            TokenError::NotBearer { .. } => {
                "configure the authorization server to issue Bearer tokens (RFC 6750) for this client".into()
            }
            TokenError::NoExpiresIn { .. } | TokenError::BadExpiresIn { .. } => {
                "configure the authorization server to send expires_in (Entra always does)".into()
            }
            TokenError::Signing { .. } => "check --assertion-key and --assertion-alg".into(),
            TokenError::Unavailable { fix, .. } => fix.clone(),
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `text` form-urlencoded (RFC 6749 Appendix B), as HTTP Basic client authentication needs it (§2.3.1).
pub fn form_encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).unwrap_or_default().trim_start_matches('=').to_string()
}

/// A unique `jti` (RFC 7519 §4.1.7): 16 random bytes, hex.
fn jti() -> String {
    let mut bytes = [0u8; 16];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The claims of the run's assertion (RFC 7523 §3), `now` in Unix seconds: the configured ones, or for a
/// secret client, `iss` and `sub` the client id and `aud` the token URL.
fn assertion_claims(settings: &OAuthSettings, now: u64) -> Value {
    let (issuer, subject, audience, lifetime) = match &settings.client_auth {
        ClientAuth::Assertion(a) => (a.issuer.clone(), a.subject.clone(), a.audience.clone(), a.lifetime),
        ClientAuth::Secret { .. } => (
            settings.client_id.clone(),
            settings.client_id.clone(),
            settings.token_url.clone(),
            super::ASSERTION_LIFETIME,
        ),
    };
    json!({
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "exp": now + lifetime.as_secs(),
        "iat": now,
        "nbf": now,
        "jti": jti(),
    })
}

/// The token request of `variant` (see [`TokenVariant`]); `resource` replaces the configured `resource` and
/// `audience` (the wrong-audience token).
pub fn build(
    settings: &OAuthSettings,
    variant: TokenVariant,
    resource: Option<&str>,
) -> Result<TokenRequest, TokenError> {
    let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
    let mut shown = form.clone();
    let mut secrets = Vec::new();
    let mut basic = None;
    let id = settings.client_id.clone();
    let mut both = |k: &str, v: &str, show: &str| {
        form.push((k.into(), v.into()));
        shown.push((k.into(), show.into()));
    };
    let secret_method = match &settings.client_auth {
        ClientAuth::Secret { method, .. } => *method,
        ClientAuth::Assertion(_) => SecretMethod::Post,
    };
    let secret = match (&settings.client_auth, variant) {
        (_, TokenVariant::WrongSecret) => Some(WRONG_SECRET.to_string()),
        (ClientAuth::Secret { secret, .. }, TokenVariant::Configured) => Some(secret.clone()),
        _ => None,
    };
    let wrong = variant == TokenVariant::WrongSecret;
    // The made-up secret of the wrong-secret check is shown as sent: it is no secret.
    let show_secret = if wrong { WRONG_SECRET } else { crate::client::HIDDEN };
    match secret {
        Some(secret) if secret_method == SecretMethod::Basic => {
            use base64::Engine;
            let pair = format!("{}:{}", form_encode(&id), form_encode(&secret));
            let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&pair));
            let show = if wrong { value.clone() } else { format!("Basic {}:${SECRET_ENV}", form_encode(&id)) };
            if !wrong {
                secrets.push(value.trim_start_matches("Basic ").to_string());
            }
            basic = Some((value, show));
        }
        Some(secret) => {
            both("client_id", &id, &id);
            both("client_secret", &secret, show_secret);
        }
        None => {
            let now = now_unix();
            let mut claims = assertion_claims(settings, now);
            let signed = if variant == TokenVariant::UnknownKeyAssertion {
                key::sign_with_unknown_key(&claims).map_err(|cause| TokenError::Signing { cause })?
            } else {
                if variant == TokenVariant::ExpiredAssertion {
                    claims["exp"] = json!(now - 600);
                    claims["iat"] = json!(now - 1200);
                    claims["nbf"] = json!(now - 1200);
                }
                if variant == TokenVariant::WrongAudienceAssertion {
                    claims["aud"] = json!(WRONG_AUDIENCE);
                }
                let ClientAuth::Assertion(a) = &settings.client_auth else {
                    return Err(TokenError::Unavailable {
                        cause: "this token request needs an assertion key, and the run uses a client secret".into(),
                        fix: "pass --auth jwt-assertion with --assertion-key".into(),
                    });
                };
                a.key.sign(&claims, a.kid.as_deref()).map_err(|e| TokenError::Signing { cause: e.to_string() })?
            };
            both("client_id", &id, &id);
            both("client_assertion_type", ASSERTION_TYPE, ASSERTION_TYPE);
            both("client_assertion", &signed, crate::client::HIDDEN);
            secrets.push(signed);
        }
    }
    if let Some(scope) = &settings.scope {
        both("scope", scope, scope);
    }
    match resource {
        Some(other) => {
            if settings.audience.is_some() {
                both("audience", other, other);
            }
            if settings.resource.is_some() || settings.audience.is_none() {
                both("resource", other, other);
            }
        }
        None => {
            if let Some(r) = &settings.resource {
                both("resource", r, r);
            }
            if let Some(a) = &settings.audience {
                both("audience", a, a);
            }
        }
    }
    Ok(TokenRequest { form, shown_form: shown, basic, secrets })
}

/// A token the endpoint issued.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    pub access_token: String,
    pub expires_in: Duration,
}

/// Never prints the token.
impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issued {{ access_token: {}, expires_in: {:?} }}", crate::client::HIDDEN, self.expires_in)
    }
}

/// Judges the token endpoint's answer (RFC 6749 §5.1, §5.2). `hide` hides secrets in quoted descriptions.
pub fn parse_answer(
    url: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
    hide: &dyn Fn(&str) -> String,
) -> Result<Issued, TokenError> {
    let url = url.to_string();
    let object = serde_json::from_str::<Value>(body).ok().and_then(|v| v.as_object().cloned());
    let Some(object) = object else {
        let kind = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_string());
        let answer = match kind {
            _ if body.trim().is_empty() => format!("{status} with an empty body"),
            Some(k) => format!("{status} {k}"),
            None => format!("{status} without a Content-Type"),
        };
        return Err(TokenError::NotJson { url, answer });
    };
    if let Some(error) = object.get("error") {
        let description = object
            .get("error_description")
            .and_then(Value::as_str)
            .map(|d| hide(d).chars().take(160).collect::<String>());
        let error = error.as_str().map_or_else(|| error.to_string(), str::to_string);
        return Err(TokenError::Refused { url, status, error: hide(&error), description });
    }
    if !(200..300).contains(&status) {
        return Err(TokenError::ErrorWithoutCode { url, status });
    }
    let Some(access_token) = object.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return Err(TokenError::NoAccessToken { url, status });
    };
    // RFC 6749 §5.1 makes token_type REQUIRED; one left out is taken as Bearer, another type refused.
    if let Some(kind) = object.get("token_type").and_then(Value::as_str)
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(TokenError::NotBearer { url, token_type: kind.to_string() });
    }
    let seconds = match object.get("expires_in") {
        None | Some(Value::Null) => return Err(TokenError::NoExpiresIn { url }),
        // Entra's v1 endpoint sends it as a string.
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(v) => v.as_u64(),
    };
    match seconds.filter(|s| *s > 0) {
        Some(s) => Ok(Issued { access_token: access_token.to_string(), expires_in: Duration::from_secs(s) }),
        None => Err(TokenError::BadExpiresIn { url, value: object["expires_in"].to_string() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AssertionKey;

    fn no_hide(s: &str) -> String {
        s.to_string()
    }

    fn value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn client_secret_basic_encodes_id_and_secret_before_base64() {
        let settings = OAuthSettings::client_credentials("http://x/token", "my client", "p@ss:w/rd");
        let request = build(&settings, TokenVariant::Configured, None).unwrap();
        let (sent, shown) = request.basic.unwrap();
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(sent.trim_start_matches("Basic ")).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "my+client:p%40ss%3Aw%2Frd", "RFC 6749 §2.3.1");
        assert_eq!(shown, "Basic my+client:$SCIM_CLIENT_SECRET");
        assert_eq!(request.form, vec![("grant_type".to_string(), "client_credentials".to_string())]);
    }

    #[test]
    fn client_secret_post_shows_the_secret_hidden() {
        let mut settings = OAuthSettings::client_credentials("http://x/token", "c", "the-secret-1234");
        settings.client_auth = ClientAuth::Secret { secret: "the-secret-1234".into(), method: SecretMethod::Post };
        settings.scope = Some("scim".into());
        settings.resource = Some("api://scimtest".into());
        let request = build(&settings, TokenVariant::Configured, None).unwrap();
        assert_eq!(value(&request.form, "client_secret"), Some("the-secret-1234"));
        assert_eq!(value(&request.shown_form, "client_secret"), Some(crate::client::HIDDEN));
        assert_eq!(value(&request.form, "scope"), Some("scim"));
        assert!(request.basic.is_none());
        let other = build(&settings, TokenVariant::Configured, Some("api://other")).unwrap();
        assert_eq!(value(&other.form, "resource"), Some("api://other"));
        let wrong = build(&settings, TokenVariant::WrongSecret, None).unwrap();
        assert_eq!(value(&wrong.form, "client_secret"), Some(WRONG_SECRET));
    }

    #[test]
    fn assertion_variants_change_exactly_what_they_say() {
        let key =
            AssertionKey::from_pem(include_bytes!("../../fixtures/oauth/entra-test-es256.pem"), "es", None).unwrap();
        let mut settings = OAuthSettings::jwt_assertion("http://x/oauth2/token", "app", key);
        settings.assertion_mut().unwrap().kid = Some("entra-test-es256".into());
        let claims = |variant| {
            let request = build(&settings, variant, None).unwrap();
            assert_eq!(value(&request.form, "client_assertion_type"), Some(ASSERTION_TYPE));
            assert_eq!(value(&request.shown_form, "client_assertion"), Some(crate::client::HIDDEN));
            let jwt = value(&request.form, "client_assertion").unwrap().to_string();
            assert!(request.secrets.contains(&jwt));
            let header = jsonwebtoken::decode_header(&jwt).unwrap();
            let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&jwt).unwrap();
            (header.kid, claims)
        };
        let (kid, run) = claims(TokenVariant::Configured);
        assert_eq!(kid.as_deref(), Some("entra-test-es256"));
        assert_eq!(
            (run["iss"].as_str(), run["sub"].as_str(), run["aud"].as_str()),
            (Some("app"), Some("app"), Some("http://x/oauth2/token"))
        );
        assert_eq!(run["exp"].as_u64().unwrap() - run["iat"].as_u64().unwrap(), 600);
        let (kid, _) = claims(TokenVariant::UnknownKeyAssertion);
        assert_eq!(kid.as_deref(), Some(key::UNKNOWN_KID));
        let (_, expired) = claims(TokenVariant::ExpiredAssertion);
        assert!(expired["exp"].as_u64().unwrap() + 600 <= now_unix() + 1);
        let (_, wrong) = claims(TokenVariant::WrongAudienceAssertion);
        assert_eq!(wrong["aud"], WRONG_AUDIENCE);
    }

    #[test]
    fn every_bad_answer_is_named() {
        let parse = |status, ct: Option<&str>, body: &str| parse_answer("http://t", status, ct, body, &no_hide);
        assert!(matches!(parse(200, Some("text/html"), "<html>login</html>"), Err(TokenError::NotJson { .. })));
        assert!(matches!(
            parse(400, Some("application/json"), r#"{"message":"bad"}"#),
            Err(TokenError::ErrorWithoutCode { status: 400, .. })
        ));
        assert!(matches!(
            parse(200, None, r#"{"access_token":"abc","token_type":"Bearer"}"#),
            Err(TokenError::NoExpiresIn { .. })
        ));
        assert!(matches!(
            parse(200, None, r#"{"token_type":"Bearer","expires_in":3600}"#),
            Err(TokenError::NoAccessToken { .. })
        ));
        assert!(matches!(
            parse(200, None, r#"{"access_token":"a","token_type":"DPoP","expires_in":3600}"#),
            Err(TokenError::NotBearer { .. })
        ));
        assert!(matches!(
            parse(200, None, r#"{"access_token":"a","expires_in":0}"#),
            Err(TokenError::BadExpiresIn { .. })
        ));
        let refused = parse(401, None, r#"{"error":"invalid_client","error_description":"bad secret"}"#).unwrap_err();
        assert!(refused.cause().contains("invalid_client") && refused.fix().contains("--client-id"), "{refused}");
        let issued = parse(200, None, r#"{"access_token":"abc","token_type":"bearer","expires_in":"3599"}"#).unwrap();
        assert_eq!(issued.expires_in, Duration::from_secs(3599));
    }
}
