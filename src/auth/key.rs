//! The key an RFC 7523 client assertion is signed with (RFC 7523 §3 item 9: the JWT MUST be digitally signed),
//! read and checked when the configuration is made, so a wrong file stops the run before any request.

use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey, Header};

use crate::client::HIDDEN;

/// A private key from a PEM file: RSA (RS256 by default) or EC P-256 (ES256 by default).
#[derive(Clone)]
pub struct AssertionKey {
    /// The file (or the bundled name) it came from: errors name it.
    name: String,
    algorithm: Algorithm,
    key: EncodingKey,
    /// The PEM text, its base64 body and each body line: never shown.
    secrets: Vec<String>,
}

/// Why an assertion key cannot be used. Every message names the file and says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "cannot read the assertion key {file}: {cause}\n  fix: pass --assertion-key (SCIM_ASSERTION_KEY) the path of a readable PEM private key"
    )]
    Unreadable { file: String, cause: String },
    #[error(
        "the assertion key {file} is not PEM (no `-----BEGIN … PRIVATE KEY-----` line)\n  fix: pass a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`)"
    )]
    NotPem { file: String },
    #[error(
        "the assertion key {file} is a SEC1 EC key (`BEGIN EC PRIVATE KEY`), which is not read\n  fix: convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in {file} -out key-pkcs8.pem"
    )]
    Sec1 { file: String },
    #[error(
        "the assertion key {file} is encrypted\n  fix: decrypt it (scimtest asks for no passphrase): openssl pkcs8 -in {file} -out key-pkcs8.pem"
    )]
    Encrypted { file: String },
    #[error(
        "the assertion key {file} holds a {what}, not a private key\n  fix: pass the private key the assertions are signed with (its public half is what the server trusts)"
    )]
    NotPrivate { file: String, what: String },
    #[error(
        "the assertion key {file} is not an RSA or EC key that can sign ({cause})\n  fix: use an RSA key of 2048 bits or more (RS256) or a P-256 EC key (ES256), PEM-encoded"
    )]
    Unusable { file: String, cause: String },
    #[error(
        "--assertion-alg {algorithm:?} does not fit the {family} key in {file}\n  fix: leave --assertion-alg out (RS256 for RSA, ES256 for P-256), or pass one of {fitting}"
    )]
    WrongAlgorithm { file: String, algorithm: Algorithm, family: &'static str, fitting: &'static str },
    #[error(
        "--assertion-alg `{given}` is not a signing algorithm scimtest uses\n  fix: pass RS256, RS384, RS512, PS256, PS384, PS512, ES256 or ES384 (RFC 7518 §3.1)"
    )]
    UnknownAlgorithm { given: String },
}

/// `--assertion-alg`: an asymmetric JWS algorithm (RFC 7518 §3.1); HMAC and `none` cannot sign an assertion
/// another party verifies with a published key.
pub fn parse_algorithm(given: &str) -> Result<Algorithm, KeyError> {
    let unknown = || KeyError::UnknownAlgorithm { given: given.to_string() };
    let algorithm: Algorithm = given.trim().to_ascii_uppercase().parse().map_err(|_| unknown())?;
    match algorithm.family() {
        AlgorithmFamily::Rsa | AlgorithmFamily::Ec => Ok(algorithm),
        _ => Err(unknown()),
    }
}

impl AssertionKey {
    /// Reads the PEM private key at `path`; `algorithm` forces one (`--assertion-alg`).
    pub fn from_file(path: &std::path::Path, algorithm: Option<Algorithm>) -> Result<AssertionKey, KeyError> {
        let file = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| KeyError::Unreadable { file: file.clone(), cause: e.to_string() })?;
        AssertionKey::from_pem(&pem, &file, algorithm)
    }

    /// The key in `pem` (a PKCS#8 or PKCS#1 RSA private key); `name` says where it came from in errors (a file,
    /// or a bundled fixture such as `fixtures/oauth/entra-test-es256.pem`).
    pub fn from_pem(pem: &[u8], name: &str, algorithm: Option<Algorithm>) -> Result<AssertionKey, KeyError> {
        let file = name.to_string();
        let text = String::from_utf8_lossy(pem);
        let tag = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("-----BEGIN ").and_then(|r| r.strip_suffix("-----")))
            .map(str::to_string);
        match tag.as_deref() {
            None => return Err(KeyError::NotPem { file }),
            Some("EC PRIVATE KEY") => return Err(KeyError::Sec1 { file }),
            Some("ENCRYPTED PRIVATE KEY") => return Err(KeyError::Encrypted { file }),
            Some(t) if t.contains("PUBLIC KEY") || t.contains("CERTIFICATE") => {
                return Err(KeyError::NotPrivate { file, what: t.to_ascii_lowercase() });
            }
            _ => {}
        }
        let (key, default) = if let Ok(key) = EncodingKey::from_rsa_pem(pem) {
            (key, Algorithm::RS256)
        } else {
            match EncodingKey::from_ec_pem(pem) {
                Ok(key) => (key, Algorithm::ES256),
                Err(e) => return Err(KeyError::Unusable { file, cause: e.to_string() }),
            }
        };
        let algorithm = algorithm.unwrap_or(default);
        if algorithm.family() != key.family() {
            let (family, fitting) = match key.family() {
                AlgorithmFamily::Rsa => ("RSA", "RS256, RS384, RS512, PS256, PS384, PS512"),
                _ => ("EC", "ES256 (P-256), ES384 (P-384)"),
            };
            return Err(KeyError::WrongAlgorithm { file, algorithm, family, fitting });
        }
        // A trial signature: a P-384 key for ES256 or a short RSA key fails here, not in the middle of a run.
        jsonwebtoken::encode(&Header::new(algorithm), &serde_json::json!({}), &key)
            .map_err(|e| KeyError::Unusable { file: file.clone(), cause: e.to_string() })?;
        let body: Vec<&str> =
            text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("-----")).collect();
        let mut secrets = vec![text.trim().to_string(), body.concat()];
        secrets.extend(body.iter().map(|l| l.to_string()));
        Ok(AssertionKey { name: file, algorithm, key, secrets })
    }

    /// Where the key came from.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The values never shown: the PEM text, its body, each body line.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    /// `claims` signed as a JWT with this key, `kid` in the header if given.
    pub fn sign(&self, claims: &serde_json::Value, kid: Option<&str>) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(self.algorithm);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, &self.key)
    }
}

/// The kid of the key made for the unknown-key checks: no server publishes it.
pub const UNKNOWN_KID: &str = "scimtest-unknown-key";

/// `claims` signed ES256 by a P-256 key made for the purpose (aws-lc-rs), kid [`UNKNOWN_KID`]: a
/// well-formed JWT no server can have the key of.
pub fn sign_with_unknown_key(claims: &serde_json::Value) -> Result<String, String> {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &aws_lc_rs::rand::SystemRandom::new())
        .map_err(|_| "cannot make a P-256 key".to_string())?;
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(UNKNOWN_KID.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(pkcs8.as_ref())).map_err(|e| e.to_string())
}

/// Never prints the key.
impl std::fmt::Debug for AssertionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AssertionKey {{ name: {:?}, algorithm: {:?}, key: {HIDDEN} }}", self.name, self.algorithm)
    }
}

impl PartialEq for AssertionKey {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.algorithm == other.algorithm && self.key.as_bytes() == other.key.as_bytes()
    }
}

impl Eq for AssertionKey {}

#[cfg(test)]
mod tests {
    use super::*;

    const RS256: &[u8] = include_bytes!("../../fixtures/oauth/entra-test-rs256.pem");
    const ES256: &[u8] = include_bytes!("../../fixtures/oauth/entra-test-es256.pem");

    #[test]
    fn rsa_keys_sign_rs256_and_p256_keys_es256_unless_told_otherwise() {
        let rsa = AssertionKey::from_pem(RS256, "rsa.pem", None).unwrap();
        let ec = AssertionKey::from_pem(ES256, "ec.pem", None).unwrap();
        assert_eq!((rsa.algorithm(), ec.algorithm()), (Algorithm::RS256, Algorithm::ES256));
        let forced = AssertionKey::from_pem(RS256, "rsa.pem", Some(Algorithm::PS256)).unwrap();
        assert_eq!(forced.algorithm(), Algorithm::PS256);
        let signed = ec.sign(&serde_json::json!({"sub": "x"}), Some("entra-test-es256")).unwrap();
        let header = jsonwebtoken::decode_header(&signed).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::ES256, Some("entra-test-es256")));
    }

    #[test]
    fn a_file_that_is_no_usable_private_key_is_named_with_a_fix() {
        let name = "/keys/k.pem";
        let err = |pem: &str| AssertionKey::from_pem(pem.as_bytes(), name, None).unwrap_err();
        assert!(matches!(err("hello"), KeyError::NotPem { .. }));
        assert!(matches!(
            err("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----"),
            KeyError::Sec1 { .. }
        ));
        assert!(matches!(
            err("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            KeyError::NotPrivate { .. }
        ));
        assert!(matches!(
            err("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"),
            KeyError::Encrypted { .. }
        ));
        assert!(matches!(
            err("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            KeyError::Unusable { .. }
        ));
        let wrong = AssertionKey::from_pem(ES256, name, Some(Algorithm::RS256)).unwrap_err();
        assert!(matches!(wrong, KeyError::WrongAlgorithm { .. }));
        for e in [err("hello"), wrong] {
            let shown = e.to_string();
            assert!(shown.contains(name) && shown.contains("\n  fix: "), "{shown}");
        }
        let missing = AssertionKey::from_file(std::path::Path::new("/no/such/key.pem"), None).unwrap_err();
        assert!(missing.to_string().contains("/no/such/key.pem"), "{missing}");
        assert!(matches!(parse_algorithm("HS256"), Err(KeyError::UnknownAlgorithm { .. })));
        assert_eq!(parse_algorithm("es256"), Ok(Algorithm::ES256));
    }

    #[test]
    fn the_key_is_never_printed_and_its_text_is_a_secret() {
        let key = AssertionKey::from_pem(RS256, "rsa.pem", None).unwrap();
        let body_line = String::from_utf8_lossy(RS256).lines().nth(1).unwrap().to_string();
        assert!(!format!("{key:?}").contains(&body_line[..20]));
        assert!(key.secrets().contains(&body_line));
    }

    #[test]
    fn the_unknown_key_signs_es256_with_its_own_kid() {
        let token = sign_with_unknown_key(&serde_json::json!({"sub": "a"})).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::ES256, Some(UNKNOWN_KID)));
    }
}
