//! OAuth end to end against `serve --oauth`: every profile passes with the harness getting its token by
//! client credentials and by a JWT assertion signed as Entra; a run with 2-second tokens refreshes them and
//! fails nothing because of it; no secret, key or token is in any output of a failing run. (Each oauth fault
//! against its check: `mutation.rs`.)

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use scimtest::runner::report::{Outcome, Record};
use scimtest::selftest::{BundledAuth, OAuthFlow};
use scimtest::server::{Fault, ServerConfig};

use crate::suites::run_against_with;

/// Whether a skip reason is one that only a token from a token endpoint lifts (src/runner/plan.rs): the
/// checks oauth.rs runs.
pub fn needs_oauth(reason: &str) -> bool {
    reason.contains("--auth") || reason.contains("--oauth-other-resource") || reason.contains("not a JWT")
}

/// 2-second tokens, and the expired-token check allowed to wait 3 s for one.
pub const TWO_SECOND_TOKENS: BundledAuth = BundledAuth::OAuth {
    flow: OAuthFlow::JwtAssertion,
    token_lifetime: Duration::from_secs(2),
    expiry_wait: Duration::from_secs(3),
};

/// Entra's gallery rule on token lifetime: a 2-second token breaks it, rightly.
const LIFETIME_CHECK: &str = "entra::entra-gallery::validate_credentials_token_lifetime";

fn failed(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_) | Outcome::Blocked(_)))
        .map(|r| format!("---- {}\n{}", r.name, r.message().unwrap_or_default()))
        .collect()
}

fn judged(records: &[Record]) -> BTreeSet<&str> {
    records.iter().filter(|r| !matches!(r.outcome, Outcome::Skipped(_))).map(|r| r.name.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_profile_passes_with_client_credentials_with_jwt_assertions_and_with_two_second_tokens() {
    let client_credentials = BundledAuth::oauth(OAuthFlow::ClientCredentials);
    let assertion = BundledAuth::oauth(OAuthFlow::JwtAssertion);
    let (by_secret, by_assertion, short) = tokio::join!(
        run_against_with(&[], &client_credentials),
        run_against_with(&[], &assertion),
        run_against_with(&[], &TWO_SECOND_TOKENS)
    );
    for (how, records) in [("client credentials", &by_secret), ("a JWT assertion", &by_assertion)] {
        let failures = failed(records);
        assert!(failures.is_empty(), "with {how}, {} checks fail:\n{}", failures.len(), failures.join("\n"));
    }
    // Tokens that die every 2 seconds, many times in the run: refreshed, they fail nothing but Entra's rule
    // on how long they must live.
    let failures = failed(&short);
    assert!(
        failures.len() == 1 && failures[0].starts_with(&format!("---- {LIFETIME_CHECK}\n")),
        "with 2-second tokens only {LIFETIME_CHECK} may fail:\n{}",
        failures.join("\n")
    );
    let expired = short.iter().find(|r| r.name == "rfc::auth-tokens::expired_token_is_refused").expect("planned");
    assert!(
        matches!(expired.outcome, Outcome::Passed),
        "the expired-token check waited one out: {:?}",
        expired.message()
    );
    // Between them, the three runs judge every check: each one that needs OAuth by one way or another.
    let all: BTreeSet<&str> = by_secret.iter().map(|r| r.name.as_str()).collect();
    let judged: BTreeSet<&str> =
        judged(&by_secret).union(&judged(&by_assertion)).copied().chain(judged(&short)).collect();
    let never: Vec<&&str> = all.difference(&judged).collect();
    assert!(never.is_empty(), "never judged with any way of getting a token: {never:?}");
    for name in [
        "rfc::auth-tokens::alg_none_token_is_refused",
        "rfc::auth-tokens::wrong_audience_token_is_refused",
        "rfc::token-endpoint::wrong_secret_is_invalid_client",
        "rfc::token-endpoint::unknown_key_assertion_is_invalid_client",
        "entra::entra-gallery::federated_identity_test",
        LIFETIME_CHECK,
    ] {
        assert!(judged.contains(name), "{name} is judged");
    }
}

/// Every file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into()));
        }
    }
    out
}

/// A failing run through the binary against `serve --oauth`, once per way of getting a token, writing every
/// report, snapshots and saved regressions: none of them, nor stdout or stderr, holds the client secret, a
/// line of the private key, or a JWT (`eyJ`: a base64url JSON header — the access tokens, the assertions,
/// the security checks' forged tokens).
#[test]
fn a_failing_oauth_run_writes_no_secret_key_or_token_anywhere() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let fixtures = scimtest::bundle::Source::fixtures();
    let secret = crate::util::OAUTH_TEST_SECRET;
    let oauth = scimtest::selftest::oauth_server_config(&fixtures, secret, Duration::from_secs(3600)).unwrap();
    // Faults that make the security checks and a generated filter check fail, so failure messages carry the
    // forged tokens and token answers, and a minimal filter is saved.
    let faults = [
        Fault::OAuthAlgNoneAccepted,
        Fault::OAuthSignatureUnchecked,
        Fault::OAuthAnyClientSecret,
        Fault::OAuthAssertionSignatureUnchecked,
        Fault::NotIgnored,
    ];
    let server = rt
        .block_on(scimtest::server::spawn(ServerConfig {
            oauth: Some(oauth),
            mode: scimtest::server::ServerMode::Strict,
            faults: faults.into_iter().collect(),
            ..ServerConfig::default()
        }))
        .unwrap();
    let (key_file, kid) = scimtest::selftest::ENTRA_TEST_KEY;
    let key_path = crate::util::fixture(key_file);
    let pem = std::fs::read_to_string(&key_path).unwrap();
    let key_lines: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).collect();
    let root = format!("http://{}", server.addr);
    for flow in OAuthFlow::ALL {
        let dir = std::env::temp_dir().join(format!("scimtest-oauth-outputs-{}-{flow:?}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = crate::util::scimtest_without_credentials();
        command.current_dir(&dir).arg("run");
        command.args([
            "--url",
            &server.base_url(),
            "--token-url",
            &format!("{root}/oauth2/token"),
            "--client-id",
            "scimtest",
        ]);
        command.args(["--oauth-other-resource", "api://scimtest-other", "--scope", "scim"]);
        match flow {
            OAuthFlow::ClientCredentials => {
                command.args(["--auth", "client-credentials"]).env("SCIM_CLIENT_SECRET", secret);
            }
            OAuthFlow::JwtAssertion => {
                command.args(["--auth", "jwt-assertion", "--assertion-key", key_path.to_str().unwrap()]);
                command.args(["--assertion-kid", kid, "--assertion-aud", "api://scimtest"]);
                command.args(["--assertion-iss", scimtest::server::oauth::DEFAULT_TRUSTED_ISSUER]);
            }
        }
        command.args([
            "rfc::auth-tokens::",
            "rfc::token-endpoint::",
            "rfc::properties::filters",
            "--cases",
            "60",
            "--verbose",
        ]);
        for (flag, file) in [
            ("--json", "r.json"),
            ("--junit", "r.xml"),
            ("--html", "r.html"),
            ("--har", "r.har"),
            ("--markdown", "r.md"),
        ] {
            command.args([flag, file]);
        }
        command.args(["--snapshots", "update", "--snapshot-dir", "snaps", "--regressions", "regressions"]);
        let out = command.output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{flow:?}: the faults fail checks\n{stdout}\n{stderr}");
        for check in ["alg_none_token_is_refused", "tampered_token_is_refused"] {
            assert!(
                stdout.contains(&format!("{check} ... FAILED")) || stdout.contains(check),
                "{flow:?} {check}: {stdout}"
            );
        }
        let mut outputs = vec![("stdout".to_string(), stdout.to_string()), ("stderr".to_string(), stderr.to_string())];
        outputs.extend(files(&dir));
        let written: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
        for wanted in ["r.json", "r.xml", "r.html", "r.har", "r.md", "snaps", "regressions"] {
            assert!(written.iter().any(|n| n.contains(wanted)), "{flow:?}: {wanted} was written: {written:?}");
        }
        // The failures were written with their exchanges: the forged token as its description, never itself.
        assert!(outputs.iter().any(|(_, t)| t.contains("alg none")), "{flow:?}: the alg-none exchange is shown");
        for (name, text) in &outputs {
            assert!(!text.contains(secret), "{flow:?}: the client secret in {name}");
            assert!(!text.contains("eyJ"), "{flow:?}: a JWT in {name}: …{}…", around(text, "eyJ"));
            for line in &key_lines {
                assert!(!text.contains(line), "{flow:?}: a line of the private key in {name}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    rt.block_on(server.shutdown()).unwrap();
}

/// Some text around the first `needle` in `text`.
fn around(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    text.chars().skip(at.saturating_sub(80)).take(200).collect()
}
