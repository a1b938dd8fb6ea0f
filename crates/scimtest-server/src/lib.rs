//! The bundled reference server (`scimtest serve`): SCIM 2.0 over HTTP, right by construction, with
//! switchable deliberate bugs ([`Fault`]) so the harness can prove its checks fail when they should. The
//! mode and the faults are resolved once, when the server is built, into the flags of `behaviour.rs`.
//!
//! It stands on the pure core (schema, filter, patch) and never on the runner: the runner talks HTTP to
//! it exactly as to a vendor's endpoint. [`app`] builds the router, usable without a socket; [`spawn`]
//! starts it on a loopback port for tests.

// The core's modules under their old paths, so `crate::schema::…` in this crate reads as it did in scimtest.
use scimtest_core::{filter, message, patch, schema, value};

mod behaviour;
mod bulk;
mod discovery;
mod error;
mod faults;
mod governance;
mod http;
mod listing;
pub mod oauth;
mod projection;
mod service;
mod store;
mod throttle;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::ScimError;
pub use faults::Fault;
pub use http::app;
pub use oauth::{FederatedClient, OAuthConfig};
pub use service::{Kind, Members, Service};

/// How lenient the server is where the RFC and the identity providers disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerMode {
    /// Accept what Entra ID and Okta send (PATCH `compat` mode, compat filter dialect).
    #[default]
    Compat,
    /// Reject what RFC 7643/7644 reject.
    Strict,
}

/// Everything the server is configured with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The bearer token clients must send; `None` (and no `basic`) accepts every request.
    pub token: Option<String>,
    /// HTTP Basic credentials (user, password) accepted beside (or instead of) the bearer token.
    pub basic: Option<(String, String)>,
    pub mode: ServerMode,
    pub faults: BTreeSet<Fault>,
    /// The path SCIM is served under.
    pub base_path: String,
    /// The largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// `filter.maxResults`: the most resources one list answer holds.
    pub max_results: usize,
    /// `bulk.maxOperations`.
    pub bulk_max_operations: usize,
    /// `bulk.maxPayloadSize`, in bytes.
    pub bulk_max_payload: usize,
    /// Extension schemas of the User resource type beyond the enterprise one, as RFC 7643 §7 Schema
    /// documents (an app's own attributes, `App::extensions`): published under /Schemas and
    /// /ResourceTypes, optional, stored like the enterprise extension.
    pub user_extensions: Vec<serde_json::Value>,
    /// Complete users created before the first request (as `scimtest serve --seed-users`): a tenant that
    /// is not empty, as Okta's SPEC test needs one (O-Q24).
    pub seed_users: usize,
    /// Okta Identity Governance's read-only catalogues, `/Entitlements` and `/Roles`, published as resource
    /// types with Okta's schemas (idp-behaviour.md §10.2). Off, `/ResourceTypes` lists only User and Group.
    pub governance: bool,
    /// `scimtest serve --oauth`: an OAuth 2.0 authorization server at the root (`/oauth2/token`, JWKS,
    /// metadata), and SCIM accepts only its access tokens (`token` and `basic` are then not accepted).
    pub oauth: Option<OAuthConfig>,
    /// `scimtest serve --rate-limit N`: at most N requests admitted in any second, beyond that 429 with
    /// `Retry-After: 1` (RFC 6585 §4); `None`: no limit.
    pub rate_limit: Option<u32>,
    /// `scimtest serve --delay-ms N`: how long every admitted request waits before it is handled.
    pub answer_delay: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: None,
            basic: None,
            mode: ServerMode::default(),
            faults: BTreeSet::new(),
            base_path: "/scim/v2".into(),
            max_body_bytes: 1024 * 1024,
            max_results: 1000,
            bulk_max_operations: 1000,
            bulk_max_payload: 1024 * 1024,
            user_extensions: Vec::new(),
            seed_users: 0,
            governance: true,
            oauth: None,
            rate_limit: None,
            answer_delay: std::time::Duration::ZERO,
        }
    }
}

/// The shared state of a running server.
pub type AppState = Arc<Service>;

/// A fresh server state.
pub fn state(config: ServerConfig) -> AppState {
    Arc::new(Service::new(config))
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// A server running in this process on a loopback port.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT/scim/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.state.config().base_path)
    }

    /// Stops accepting connections and waits for the requests in flight.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Starts a server on an ephemeral port of 127.0.0.1 (in the current tokio runtime).
pub async fn spawn(config: ServerConfig) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let seed_users = config.seed_users;
    let state = state(config);
    if seed_users > 0 {
        state.seed_users(seed_users, &format!("http://{addr}{}", state.config().base_path));
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state.clone(), async move {
        let _ = stopped.await;
    }));
    Ok(RunningServer { addr, state, stop: Some(stop), task })
}
