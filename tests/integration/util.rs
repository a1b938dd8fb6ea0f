//! Shared fixture access.

use std::path::PathBuf;

/// The absolute path of a file under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(relative)
}

/// The lines of a corpus file that are cases: not blank, not `#` comments. Returned with line numbers.
pub fn corpus(relative: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(fixture(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

/// The reference server started with `config` under a bearer token, and a run config that talks to it
/// with that token.
pub async fn server_with_run_config(
    config: scimtest::server::ServerConfig,
) -> (scimtest::server::RunningServer, scimtest::runner::RunConfig) {
    let token = "integration-test-token".to_string();
    let server = scimtest::server::spawn(scimtest::server::ServerConfig { token: Some(token.clone()), ..config })
        .await
        .expect("start the reference server");
    let mut client = scimtest::client::ClientConfig::new(server.base_url());
    client.token = Some(token);
    (server, scimtest::runner::RunConfig::new(client))
}
