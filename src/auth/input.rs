//! `--auth` and its flags (or library mode's `SCIM_*` variables) into one credential: the method named, or
//! the one the given settings imply; settings of two methods together are a usage mistake naming both.

use std::path::PathBuf;
use std::time::Duration;

use super::{AssertionKey, KeyError, OAuthSettings, SecretMethod, token::SECRET_ENV};
use crate::client::{Credential, CredentialError};

/// `--auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// `Authorization: Bearer` with a static token (SCIM_TOKEN).
    Bearer,
    /// HTTP Basic (--basic USER, SCIM_PASSWORD).
    Basic,
    /// OAuth 2.0 client credentials with a client secret (RFC 6749 §4.4).
    ClientCredentials,
    /// OAuth 2.0 client credentials with a signed JWT assertion (RFC 7523; Entra workload identity federation).
    JwtAssertion,
    /// No credential (= --no-auth).
    None,
}

impl AuthMethod {
    fn flag(self) -> &'static str {
        match self {
            AuthMethod::Bearer => "--auth bearer",
            AuthMethod::Basic => "--auth basic",
            AuthMethod::ClientCredentials => "--auth client-credentials",
            AuthMethod::JwtAssertion => "--auth jwt-assertion",
            AuthMethod::None => "--auth none",
        }
    }
}

/// Everything the command line (or the environment) says about authentication. Empty strings count as not given.
#[derive(Default)]
pub struct AuthInput {
    pub method: Option<AuthMethod>,
    pub token: Option<String>,
    pub basic_user: Option<String>,
    /// `SCIM_PASSWORD`.
    pub password: Option<String>,
    pub no_auth: bool,
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    /// `SCIM_CLIENT_SECRET`.
    pub client_secret: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<String>,
    pub audience: Option<String>,
    pub client_auth: Option<SecretMethod>,
    pub assertion_key: Option<PathBuf>,
    pub assertion_alg: Option<String>,
    pub assertion_iss: Option<String>,
    pub assertion_sub: Option<String>,
    pub assertion_aud: Option<String>,
    pub assertion_lifetime: Option<u64>,
    pub assertion_kid: Option<String>,
    pub other_resource: Option<String>,
    pub expiry_wait: Option<u64>,
}

/// Never prints a secret.
impl std::fmt::Debug for AuthInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AuthInput {{ method: {:?}, token_url: {:?}, client_id: {:?}, .. }}",
            self.method, self.token_url, self.client_id
        )
    }
}

/// Why the authentication settings cannot be used; each message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    Credential(#[from] CredentialError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{first} and {second} contradict each other ({why})\n  fix: drop one of them")]
    Contradiction { first: String, second: String, why: &'static str },
    #[error("{method} needs {what}\n  fix: {fix}")]
    Missing { method: &'static str, what: &'static str, fix: &'static str },
    #[error(
        "{method} needs the client secret in the {SECRET_ENV} environment variable\n  fix: export {SECRET_ENV}=… (it is never read from the command line, never printed)"
    )]
    NoSecret { method: &'static str },
}

fn given(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

impl AuthInput {
    /// The OAuth-only settings given, by flag name.
    fn oauth_flags(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (flag, is) in [
            ("--client-id", given(&self.client_id)),
            ("--scope", given(&self.scope)),
            ("--resource", given(&self.resource)),
            ("--audience", given(&self.audience)),
            ("--client-auth", self.client_auth.is_some()),
            ("--oauth-other-resource", given(&self.other_resource)),
            ("--auth-expiry-wait", self.expiry_wait.is_some()),
        ] {
            if is {
                out.push(flag);
            }
        }
        out.extend(self.assertion_flags());
        out
    }

    fn assertion_flags(&self) -> Vec<&'static str> {
        [
            ("--assertion-key", self.assertion_key.is_some()),
            ("--assertion-alg", given(&self.assertion_alg)),
            ("--assertion-iss", given(&self.assertion_iss)),
            ("--assertion-sub", given(&self.assertion_sub)),
            ("--assertion-aud", given(&self.assertion_aud)),
            ("--assertion-lifetime", self.assertion_lifetime.is_some()),
            ("--assertion-kid", given(&self.assertion_kid)),
        ]
        .into_iter()
        .filter_map(|(flag, is)| is.then_some(flag))
        .collect()
    }

    /// The credential, and whether the run takes none (`--no-auth` or `--auth none`). The assertion key
    /// file is read and checked here.
    pub fn resolve(self) -> Result<(Credential, bool), AuthError> {
        let contradiction = |first: &str, second: &str, why| AuthError::Contradiction {
            first: first.to_string(),
            second: second.to_string(),
            why,
        };
        let token = given(&self.token);
        let basic = given(&self.basic_user);
        let token_url = given(&self.token_url);
        let method = match self.method {
            Some(m) => m,
            None if token_url => {
                if token {
                    return Err(contradiction(
                        "--token-url",
                        "a bearer token (--token or SCIM_TOKEN)",
                        "one credential per run",
                    ));
                }
                if basic {
                    return Err(contradiction("--token-url", "--basic", "one credential per run"));
                }
                if self.assertion_key.is_some() { AuthMethod::JwtAssertion } else { AuthMethod::ClientCredentials }
            }
            None => {
                if let Some(flag) = self.oauth_flags().first() {
                    return Err(AuthError::Missing {
                        method: flag,
                        what: "--token-url (the OAuth token endpoint)",
                        fix: "pass --token-url (SCIM_TOKEN_URL) and --client-id, or drop the OAuth settings",
                    });
                }
                // Without --auth and OAuth, as before: a token, --basic, or nothing (--no-auth checked by pre-flight).
                let credential = Credential::from_cli(self.token, self.basic_user, self.password)?;
                return Ok((credential, self.no_auth));
            }
        };
        let flag = method.flag();
        let oauth = matches!(method, AuthMethod::ClientCredentials | AuthMethod::JwtAssertion);
        if token && method != AuthMethod::Bearer {
            return Err(contradiction(flag, "a bearer token (--token or SCIM_TOKEN)", "one credential per run"));
        }
        if basic && method != AuthMethod::Basic {
            return Err(contradiction(flag, "--basic", "one credential per run"));
        }
        if self.no_auth && method != AuthMethod::None {
            return Err(contradiction(flag, "--no-auth", "one sends a credential, the other none"));
        }
        if !oauth {
            if token_url {
                return Err(contradiction(
                    flag,
                    "--token-url",
                    "--token-url is for client-credentials or jwt-assertion",
                ));
            }
            if let Some(other) = self.oauth_flags().first() {
                return Err(contradiction(flag, other, "an OAuth setting, for client-credentials or jwt-assertion"));
            }
        }
        match method {
            AuthMethod::None => return Ok((Credential::None, true)),
            AuthMethod::Bearer if !token => {
                return Err(AuthError::Missing {
                    method: flag,
                    what: "a token",
                    fix: "export SCIM_TOKEN=… (or pass --token)",
                });
            }
            AuthMethod::Basic if !basic => {
                return Err(AuthError::Missing {
                    method: flag,
                    what: "--basic USER",
                    fix: "pass --basic USER with the password in SCIM_PASSWORD",
                });
            }
            AuthMethod::Bearer | AuthMethod::Basic => {
                return Ok((Credential::from_cli(self.token, self.basic_user, self.password)?, false));
            }
            AuthMethod::ClientCredentials | AuthMethod::JwtAssertion => {}
        }
        let (Some(token_url), true) = (self.token_url.clone().filter(|u| !u.is_empty()), token_url) else {
            return Err(AuthError::Missing {
                method: flag,
                what: "--token-url (the OAuth token endpoint)",
                fix: "pass --token-url https://…/oauth2/token (or SCIM_TOKEN_URL)",
            });
        };
        let Some(client_id) = self.client_id.clone().filter(|c| !c.is_empty()) else {
            return Err(AuthError::Missing {
                method: flag,
                what: "--client-id",
                fix: "pass --client-id (or SCIM_CLIENT_ID): the id the authorization server gave the client",
            });
        };
        let mut settings = if method == AuthMethod::ClientCredentials {
            if let Some(other) = self.assertion_flags().first() {
                return Err(contradiction(flag, other, "a client secret or an assertion, not both"));
            }
            let Some(secret) = self.client_secret.clone().filter(|s| !s.is_empty()) else {
                return Err(AuthError::NoSecret { method: flag });
            };
            let mut s = OAuthSettings::client_credentials(token_url, client_id.clone(), secret.clone());
            s.client_auth = super::ClientAuth::Secret { secret, method: self.client_auth.unwrap_or_default() };
            s
        } else {
            if self.client_auth.is_some() {
                return Err(contradiction(flag, "--client-auth", "--client-auth says how a client secret is sent"));
            }
            let Some(path) = &self.assertion_key else {
                return Err(AuthError::Missing {
                    method: flag,
                    what: "--assertion-key (the PEM private key the assertion is signed with)",
                    fix: "pass --assertion-key FILE (or SCIM_ASSERTION_KEY)",
                });
            };
            let algorithm =
                self.assertion_alg.as_deref().filter(|a| !a.is_empty()).map(super::key::parse_algorithm).transpose()?;
            let key = AssertionKey::from_file(path, algorithm)?;
            let mut s = OAuthSettings::jwt_assertion(token_url, client_id.clone(), key);
            let a = s.assertion_mut().expect("a jwt-assertion setting");
            if let Some(iss) = self.assertion_iss.clone().filter(|v| !v.is_empty()) {
                a.issuer = iss;
            }
            if let Some(sub) = self.assertion_sub.clone().filter(|v| !v.is_empty()) {
                a.subject = sub;
            }
            if let Some(aud) = self.assertion_aud.clone().filter(|v| !v.is_empty()) {
                a.audience = aud;
            }
            if let Some(seconds) = self.assertion_lifetime {
                a.lifetime = Duration::from_secs(seconds);
            }
            a.kid = self.assertion_kid.clone().filter(|v| !v.is_empty());
            s
        };
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        settings.scope = nonempty(self.scope);
        settings.resource = nonempty(self.resource);
        settings.audience = nonempty(self.audience);
        settings.other_resource = nonempty(self.other_resource);
        settings.expiry_wait = Duration::from_secs(self.expiry_wait.unwrap_or(0));
        Ok((Credential::oauth(settings), false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es256_file() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/oauth/entra-test-es256.pem")
    }

    fn oauth(input: AuthInput) -> crate::auth::OAuthSettings {
        match input.resolve() {
            Ok((Credential::OAuth(o), false)) => o.settings.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_method_follows_from_what_is_given() {
        let cc = oauth(AuthInput {
            token_url: Some("http://as/token".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            ..AuthInput::default()
        });
        assert!(matches!(cc.client_auth, super::super::ClientAuth::Secret { method: SecretMethod::Basic, .. }));
        let jwt = oauth(AuthInput {
            token_url: Some("http://as/token".into()),
            client_id: Some("c".into()),
            assertion_key: Some(es256_file()),
            assertion_kid: Some("entra-test-es256".into()),
            ..AuthInput::default()
        });
        let a = match &jwt.client_auth {
            super::super::ClientAuth::Assertion(a) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (a.subject.as_str(), a.audience.as_str(), a.kid.as_deref()),
            ("c", "http://as/token", Some("entra-test-es256"))
        );
        let bearer = AuthInput { token: Some("t".into()), ..AuthInput::default() }.resolve().unwrap();
        assert_eq!(bearer, (Credential::Bearer("t".into()), false));
        let none = AuthInput { method: Some(AuthMethod::None), ..AuthInput::default() }.resolve().unwrap();
        assert_eq!(none, (Credential::None, true));
        let no_auth = AuthInput { no_auth: true, ..AuthInput::default() }.resolve().unwrap();
        assert_eq!(no_auth, (Credential::None, true), "--no-auth as before");
    }

    #[test]
    fn contradictions_name_both_settings() {
        let shown = |input: AuthInput| input.resolve().unwrap_err().to_string();
        let e =
            shown(AuthInput { token: Some("t".into()), token_url: Some("http://as".into()), ..AuthInput::default() });
        assert!(e.contains("--token-url") && e.contains("SCIM_TOKEN") && e.contains("\n  fix: "), "{e}");
        let e = shown(AuthInput {
            method: Some(AuthMethod::Bearer),
            token: Some("t".into()),
            scope: Some("s".into()),
            ..AuthInput::default()
        });
        assert!(e.contains("--auth bearer") && e.contains("--scope"), "{e}");
        let e =
            shown(AuthInput { method: Some(AuthMethod::None), basic_user: Some("u".into()), ..AuthInput::default() });
        assert!(e.contains("--auth none") && e.contains("--basic"), "{e}");
        let e = shown(AuthInput {
            method: Some(AuthMethod::ClientCredentials),
            token_url: Some("http://as".into()),
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            assertion_key: Some(es256_file()),
            ..AuthInput::default()
        });
        assert!(e.contains("--auth client-credentials") && e.contains("--assertion-key"), "{e}");
        let e = shown(AuthInput { client_id: Some("c".into()), ..AuthInput::default() });
        assert!(e.contains("--client-id") && e.contains("--token-url"), "{e}");
        let e = shown(AuthInput {
            token_url: Some("http://as".into()),
            client_id: Some("c".into()),
            ..AuthInput::default()
        });
        assert!(e.contains(SECRET_ENV), "{e}");
        let e = shown(AuthInput {
            token_url: Some("http://as".into()),
            client_id: Some("c".into()),
            assertion_key: Some("/no/such.pem".into()),
            ..AuthInput::default()
        });
        assert!(e.contains("/no/such.pem") && e.contains("fix:"), "{e}");
    }
}
