//! Shared fixture access.

use std::path::PathBuf;

/// The absolute path of a file under `fixtures/`.
/// Every bundled profile, as `--profile all` runs them: `rfc` first, then the identity providers by name.
pub fn every_profile() -> Vec<String> {
    scimtest::runner::expand_profiles(&scimtest::bundle::Source::suites(), &["all".to_string()]).expect("all expands")
}

/// Every bundled identity-provider profile (all but `rfc`), by name.
pub fn every_idp_profile() -> Vec<String> {
    every_profile().into_iter().filter(|p| p != "rfc").collect()
}

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

/// The bearer token of [`server_with_run_config`].
pub const TEST_TOKEN: &str = "integration-test-token";

/// The reference server started with `config` under a bearer token, and a run config that talks to it
/// with that token.
pub async fn server_with_run_config(
    config: scimtest::server::ServerConfig,
) -> (scimtest::server::RunningServer, scimtest::runner::RunConfig) {
    let token = TEST_TOKEN.to_string();
    let server = scimtest::server::spawn(scimtest::server::ServerConfig { token: Some(token.clone()), ..config })
        .await
        .expect("start the reference server");
    let mut client = scimtest::client::ClientConfig::new(server.base_url());
    client.credential = scimtest::client::Credential::Bearer(token);
    (server, scimtest::runner::RunConfig::new(client))
}

/// The reference server as an OAuth authorization server (`serve --oauth`), and a run configuration that
/// gets its tokens from it `auth`'s way, as selftest does ([`scimtest::selftest::oauth_credential`]).
pub async fn oauth_server_with_run_config(
    config: scimtest::server::ServerConfig,
    auth: &scimtest::selftest::BundledAuth,
) -> (scimtest::server::RunningServer, scimtest::runner::RunConfig) {
    let scimtest::selftest::BundledAuth::OAuth { flow, token_lifetime, expiry_wait } = auth else {
        return server_with_run_config(config).await;
    };
    let fixtures = scimtest::bundle::Source::fixtures();
    let oauth = scimtest::selftest::oauth_server_config(&fixtures, OAUTH_TEST_SECRET, *token_lifetime)
        .expect("the bundled OAuth fixtures load");
    let server = scimtest::server::spawn(scimtest::server::ServerConfig { oauth: Some(oauth), ..config })
        .await
        .expect("start the reference server");
    let mut client = scimtest::client::ClientConfig::new(server.base_url());
    let root = format!("http://{}", server.addr);
    client.credential =
        scimtest::selftest::oauth_credential(&fixtures, *flow, &root, OAUTH_TEST_SECRET, *expiry_wait).unwrap();
    (server, scimtest::runner::RunConfig::new(client))
}

/// The client secret of [`oauth_server_with_run_config`].
pub const OAUTH_TEST_SECRET: &str = "integration-test-client-secret";

/// The reference server with `faults`, in the mode `profile` is judged in, and a run configuration for
/// that profile against it.
pub async fn server_for_profile(
    profile: &str,
    faults: &[scimtest::server::Fault],
) -> (scimtest::server::RunningServer, scimtest::runner::RunConfig) {
    server_for_profile_with(profile, faults, &scimtest::selftest::BundledAuth::Bearer).await
}

/// [`server_for_profile`], the harness authenticating `auth`'s way.
pub async fn server_for_profile_with(
    profile: &str,
    faults: &[scimtest::server::Fault],
    auth: &scimtest::selftest::BundledAuth,
) -> (scimtest::server::RunningServer, scimtest::runner::RunConfig) {
    let mode = scimtest::selftest::server_mode_for(profile);
    let (server, mut config) = oauth_server_with_run_config(
        scimtest::server::ServerConfig {
            mode,
            // The pre-existing user an identity provider's tenant holds (O-Q24), as selftest seeds it.
            seed_users: scimtest::selftest::seed_users_for(mode),
            faults: faults.iter().copied().collect(),
            ..scimtest::server::ServerConfig::default()
        },
        auth,
    )
    .await;
    config.profiles = vec![profile.to_string()];
    (server, config)
}

/// One request as an instrumented server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// The reference server behind a layer that logs every request and can delay each answer — for tests
/// that assert what the runner sent (`--read-only`), or interrupt it midway.
pub struct Instrumented {
    pub base_url: String,
    pub state: scimtest::server::AppState,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Instrumented {
    pub async fn start(config: scimtest::server::ServerConfig, delay: std::time::Duration) -> Instrumented {
        Instrumented::launch(config, delay, false).await
    }

    /// Like [`Instrumented::start`], but every error answer quotes the request's Authorization header
    /// back in its `detail`, as some frameworks' debug pages do.
    pub async fn start_echoing(config: scimtest::server::ServerConfig) -> Instrumented {
        Instrumented::launch(config, std::time::Duration::ZERO, true).await
    }

    async fn launch(config: scimtest::server::ServerConfig, delay: std::time::Duration, echo: bool) -> Instrumented {
        use axum::extract::Request;
        use axum::middleware::{Next, from_fn};
        use axum::response::IntoResponse;
        let state = scimtest::server::state(config);
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = log.clone();
        let layer = from_fn(move |request: Request, next: Next| {
            let seen = seen.clone();
            async move {
                let authorization =
                    request.headers().get("authorization").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                seen.lock().unwrap().push(Seen {
                    method: request.method().to_string(),
                    path: request.uri().path().to_string(),
                    at: std::time::Instant::now(),
                });
                tokio::time::sleep(delay).await;
                let response = next.run(request).await;
                let status = response.status();
                if !echo || status.as_u16() < 400 {
                    return response;
                }
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                    "status": status.as_u16().to_string(),
                    "detail": format!("request refused; Authorization was {authorization:?}"),
                });
                (status, [("content-type", "application/scim+json")], body.to_string()).into_response()
            }
        });
        let app = scimtest::server::app(state.clone()).layer(layer);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        let base_url = format!("http://{addr}{}", state.config().base_path);
        Instrumented { base_url, state, log, stop: Some(stop), task }
    }

    pub fn methods(&self) -> Vec<(String, String)> {
        self.log.lock().unwrap().iter().map(|s| (s.method.clone(), s.path.clone())).collect()
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// A multi-threaded runtime for tests that start servers and run the binary against them.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// The reference server in the mode the `rfc` profile is judged in (strict), under `token`, with `faults`.
pub fn rfc_server(
    rt: &tokio::runtime::Runtime,
    token: &str,
    faults: &[scimtest::server::Fault],
) -> scimtest::server::RunningServer {
    rt.block_on(scimtest::server::spawn(scimtest::server::ServerConfig {
        token: Some(token.into()),
        mode: scimtest::selftest::server_mode_for("rfc"),
        faults: faults.iter().copied().collect(),
        ..scimtest::server::ServerConfig::default()
    }))
    .unwrap()
}

/// Every environment variable a run reads a credential (or its target) from: removed from the binary's
/// environment by [`scimtest_without_credentials`], so a developer's exported SCIM_TOKEN never leaks in.
pub const CREDENTIAL_VARIABLES: &[&str] = &[
    "SCIM_TOKEN",
    "SCIM_PASSWORD",
    "SCIM_BASIC_USER",
    "SCIM_NO_AUTH",
    "SCIM_BASE_URL",
    "SCIMTEST_FIXTURES",
    "SCIM_AUTH",
    "SCIM_TOKEN_URL",
    "SCIM_CLIENT_ID",
    "SCIM_CLIENT_SECRET",
    "SCIM_ASSERTION_KEY",
];

/// The scimtest binary, started in the temp directory, with none of [`CREDENTIAL_VARIABLES`] set.
pub fn scimtest_without_credentials() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_scimtest"));
    command.current_dir(std::env::temp_dir());
    for var in CREDENTIAL_VARIABLES {
        command.env_remove(var);
    }
    command
}

/// What a run of the binary did: its exit code and output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(command: &mut std::process::Command) -> Run {
        let out = command.output().expect("run the scimtest binary");
        Run {
            code: out.status.code().expect("exited normally"),
            stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// The most arrivals within any one second (a window sliding from each arrival): what a rate limiter
/// counting per second sees at its busiest.
pub fn busiest_second(arrivals: &[std::time::Instant]) -> usize {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..].iter().take_while(|t| t.duration_since(sorted[i]) < std::time::Duration::from_secs(1)).count()
        })
        .max()
        .unwrap_or(0)
}
