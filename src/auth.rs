//! OAuth 2.0 for the harness: client credentials (RFC 6749 §4.4) and RFC 7523 JWT client assertions (Entra's
//! workload identity federation), the access token cached and refreshed, and the tokens and token requests of
//! the security checks. PHASE-0 SKELETON: the types the suites and the runner use; filled in by the client work.

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
