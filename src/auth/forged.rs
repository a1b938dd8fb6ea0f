//! The deliberately broken tokens of the security checks (the `Credentials` variants). `alg: none` and a
//! payload changed under a kept signature are assembled from base64url parts: no JWT library makes them,
//! which is the point. The others are signed by jsonwebtoken.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::TokenError;

/// The `sub` a tampered token carries.
pub const TAMPERED_SUB: &str = "scimtest-tampered";

/// Whether `token` is a JWT: three dot-separated parts and a JSON header naming an algorithm.
pub fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && jsonwebtoken::decode_header(token).is_ok()
}

/// The token's claims, if it is a JWT with a JSON object payload.
fn claims(token: &str) -> Option<Map<String, Value>> {
    if !is_jwt(token) {
        return None;
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Value>>(token).ok()
}

/// The run's claims: a JWT's own, or for an opaque token `sub` the client id and `exp` an hour from now.
fn run_claims(token: &str, client_id: &str) -> Value {
    match claims(token) {
        Some(c) => Value::Object(c),
        None => json!({"sub": client_id, "exp": super::token::now_unix() + 3600}),
    }
}

/// The token cut to half its length: not a token the server issued.
pub fn malformed(token: &str) -> String {
    token.chars().take(token.chars().count() / 2).collect()
}

/// An unsecured JWT (RFC 7519 §6): header `{"alg":"none","typ":"JWT"}`, the run's payload, no signature.
pub fn alg_none(token: &str, client_id: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = match claims(token) {
        Some(_) => token.split('.').nth(1).unwrap_or_default().to_string(),
        None => URL_SAFE_NO_PAD.encode(run_claims(token, client_id).to_string()),
    };
    format!("{header}.{payload}.")
}

/// The run's claims signed ES256 by a key made for the purpose (kid `scimtest-unknown-key`).
pub fn unknown_key(token: &str, client_id: &str) -> Result<String, TokenError> {
    super::key::sign_with_unknown_key(&run_claims(token, client_id)).map_err(|cause| TokenError::Signing { cause })
}

/// The run's JWT with `sub` changed to [`TAMPERED_SUB`], header and signature kept.
pub fn tampered(token: &str) -> Result<String, TokenError> {
    let mut claims = claims(token).ok_or_else(|| TokenError::Unavailable {
        cause: "the tampered-token check needs a JWT access token, and the token endpoint issues opaque ones".into(),
        fix: "skip it (--skip tampered): a server's opaque tokens cannot be tampered with this way".into(),
    })?;
    claims.insert("sub".into(), json!(TAMPERED_SUB));
    let parts: Vec<&str> = token.split('.').collect();
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    Ok(format!("{}.{payload}.{}", parts[0], parts[2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_token() -> String {
        let key = super::super::AssertionKey::from_pem(
            include_bytes!("../../fixtures/oauth/entra-test-es256.pem"),
            "es",
            None,
        )
        .unwrap();
        key.sign(
            &json!({"iss": "http://as", "sub": "client", "aud": "api://scimtest", "exp": 4_000_000_000u64}),
            Some("k"),
        )
        .unwrap()
    }

    #[test]
    fn alg_none_keeps_the_payload_and_drops_the_signature() {
        let token = run_token();
        let forged = alg_none(&token, "client");
        let parts: Vec<&str> = forged.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[0]).unwrap(), br#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(parts[1], token.split('.').nth(1).unwrap());
        assert_eq!(parts[2], "", "no signature");
        let opaque = alg_none("opaque-token-123", "client");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(opaque.split('.').nth(1).unwrap()).unwrap()).unwrap();
        assert_eq!(claims["sub"], "client");
    }

    #[test]
    fn tampering_changes_sub_and_keeps_header_and_signature() {
        let token = run_token();
        let forged = tampered(&token).unwrap();
        let (old, new): (Vec<&str>, Vec<&str>) = (token.split('.').collect(), forged.split('.').collect());
        assert_eq!((new[0], new[2]), (old[0], old[2]));
        assert_ne!(new[1], old[1]);
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&forged).unwrap();
        assert_eq!((claims["sub"].as_str(), claims["iss"].as_str()), (Some(TAMPERED_SUB), Some("http://as")));
        assert!(matches!(tampered("opaque"), Err(TokenError::Unavailable { .. })));
    }

    #[test]
    fn the_unknown_key_token_carries_the_run_claims_and_the_unknown_kid() {
        let forged = unknown_key(&run_token(), "client").unwrap();
        let header = jsonwebtoken::decode_header(&forged).unwrap();
        assert_eq!(header.kid.as_deref(), Some(super::super::key::UNKNOWN_KID));
        let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(&forged).unwrap();
        assert_eq!(claims["aud"], "api://scimtest");
        assert_eq!(malformed("abcdefgh"), "abcd");
        assert!(is_jwt(&run_token()) && !is_jwt("a.b.c") && !is_jwt("opaque"));
    }
}
