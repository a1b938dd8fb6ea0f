//! `scimtest load`: replays an identity provider's sync cycle ([`entra`], [`okta`]; [`cycle`] names their
//! operations) at a target rate for a duration, bounded in requests, with a few workers sharing one paced
//! [`Client`]; deletes every user and group it made (also on Ctrl-C); reports the achieved rate, latency per
//! operation, errors by kind and 429s, and a verdict ([`report`]: Entra's gallery bar, or for Okta, which
//! documents none, the rate asked for) as text, JSON and HTML ([`html`]). The runner's client, cleanup and
//! interrupt handling are reused; the server is only ever spoken to over HTTP.

pub mod cycle;
pub mod entra;
pub mod html;
pub mod okta;
pub mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::client::{Client, ClientConfig, Exchange, Pacing, Request};
use crate::exit::Exit;
use crate::runner::{Registry, resource_path};
pub use cycle::{Operation, Profile};
pub use report::{CleanupReport, LoadReport, Recorder, Verdict};

/// How long a request let go before the end of the run may take to be answered before it is cut off.
const GRACE: Duration = Duration::from_secs(2);

/// What `scimtest load` is asked to do.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The endpoint and credential; its pacing is replaced by `rate`, its retries switched off (every 429 is
    /// counted, as Entra counts it).
    pub client: ClientConfig,
    /// Whose sync cycle is replayed.
    pub profile: Profile,
    /// Requests per second over every worker; `None`: unpaced.
    pub rate: Option<u32>,
    pub duration: Duration,
    pub max_requests: Option<u64>,
    /// Workers, each running its own cycle.
    pub concurrency: usize,
    /// Where the JSON report goes.
    pub json: Option<PathBuf>,
    /// Where the HTML report goes.
    pub html: Option<PathBuf>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// What the workers share.
struct Shared {
    client: Client,
    recorder: Recorder,
    registry: Registry,
    prefix: String,
    deadline: Instant,
    max_requests: Option<u64>,
    sent: AtomicU64,
    stop: AtomicBool,
}

impl Shared {
    /// Whether the run is over: its time is up or it was stopped (request budget, interrupt).
    fn over(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || Instant::now() >= self.deadline
    }

    /// A worker's group, looked up by name and created: `None` when the run stopped before it was made
    /// (a group refused while the run goes on is tried again with the next user).
    async fn ensure_group(
        &self,
        group: &mut Option<String>,
        lookup: (Operation, Request),
        create: (Operation, Request),
    ) -> Option<()> {
        if group.is_none() {
            self.send(lookup.0, lookup.1).await?;
            *group = self.create(create.0, create.1, "/Groups").await;
            if group.is_none() && self.stop.load(Ordering::SeqCst) {
                return None;
            }
        }
        Some(())
    }

    /// Sends one request of `operation`, unless the run is over (time, request budget, interrupt).
    async fn send(&self, operation: Operation, request: Request) -> Option<Exchange> {
        if self.over() {
            return None;
        }
        if self.max_requests.is_some_and(|max| self.sent.fetch_add(1, Ordering::SeqCst) >= max) {
            self.stop.store(true, Ordering::SeqCst);
            return None;
        }
        // A request still waiting for its turn (pacing, a Retry-After pause) when the run ends is not sent.
        let limit = tokio::time::Instant::from_std(self.deadline + GRACE);
        let exchange = tokio::time::timeout_at(limit, self.client.send(&request)).await.ok()?;
        // When the pacing let it go: its response time counts from then, the wait for its turn before.
        let sent = Instant::now().checked_sub(exchange.elapsed).unwrap_or_else(Instant::now);
        self.recorder.record(operation, sent, &exchange);
        Some(exchange)
    }

    /// Sends a create and registers what it made; the new resource's path when it answered 201 with an id.
    async fn create(&self, operation: Operation, request: Request, collection: &str) -> Option<String> {
        let ex = self.send(operation, request).await?;
        let id = ex.json().filter(|_| ex.status == Some(201))?.get("id")?.as_str()?.to_string();
        let path = resource_path(collection, &id)?;
        self.registry.add(path.clone());
        Some(path)
    }
}

/// A mistake found before the first request of the cycle: one line and its fix (exit 2).
fn usage(message: String) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

/// `scimtest load`: runs, cleans up, prints the report (and writes `--json`); exit 0 PASS, 1 FAIL, 2 a
/// mistake; after Ctrl-C, SIGTERM or SIGHUP it cleans up and ends with the signal's status.
pub fn main(config: LoadConfig) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return usage(format!("cannot start the async runtime: {e}")),
    };
    let (exit, signal) = runtime.block_on(run(config));
    if let Some(status) = signal {
        runtime.shutdown_timeout(Duration::from_millis(100));
        std::process::exit(status);
    }
    exit
}

/// The run itself: the exit, and the status to end with when a signal stopped it.
async fn run(config: LoadConfig) -> (Exit, Option<i32>) {
    let mut client_config = config.client.clone();
    client_config.pacing = Pacing::new(config.rate);
    client_config.retries = 0;
    let cleanup_config = ClientConfig { retries: 3, ..client_config.clone() };
    let (client, cleaner) = match (Client::new(client_config), Client::new(cleanup_config)) {
        (Ok(c), Ok(d)) => (c, d),
        (Err(e), _) | (_, Err(e)) => {
            return (
                usage(format!("{e}\n  fix: pass the SCIM base URL, e.g. --url https://example.com/scim/v2")),
                None,
            );
        }
    };
    let prefix = format!("scimtest-{}", tag());
    // The identity provider's connection test (Entra's E-TC, Okta's O-TC): a query that must answer 200 before
    // anything is written.
    let (probe_request, probe_name) = match config.profile {
        Profile::Entra => {
            (entra::query_user(&format!("{prefix}-probe")), "GET /Users?filter (Entra's Test Connection)")
        }
        Profile::Okta => (okta::test_credentials(), "GET /Users?startIndex=1&count=2 (Okta's Test API Credentials)"),
    };
    let probe = client.send(&probe_request).await;
    if probe.status != Some(200) {
        let answer = probe.status.map_or_else(|| probe.error.clone().unwrap_or_default(), |s| format!("answered {s}"));
        let fix = match probe.status {
            Some(401 | 403) => "fix: pass a credential the endpoint accepts (--token, SCIM_TOKEN, --auth …)",
            _ => "fix: check --url (the SCIM base URL, e.g. https://example.com/scim/v2) and that the endpoint is up",
        };
        return (usage(format!("{probe_name} {answer}\n  {fix}")), None);
    }
    let rate = config.rate.map_or("unpaced".to_string(), |r| format!("{r} requests/s"));
    let bound = config.max_requests.map_or(String::new(), |m| format!(", at most {m} requests"));
    println!(
        "scimtest load: {}'s sync cycle against {} at {rate} for {} s{bound}, {} workers; resources named {prefix}-load-…",
        config.profile.display_name(),
        client.base_url(),
        config.duration.as_secs(),
        config.concurrency
    );
    let started = Instant::now();
    let shared = Arc::new(Shared {
        client: client.clone(),
        recorder: Recorder::new(started),
        registry: Registry::default(),
        prefix: prefix.clone(),
        deadline: started + config.duration,
        max_requests: config.max_requests,
        sent: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..config.concurrency.max(1) {
        match config.profile {
            Profile::Entra => workers.spawn(entra::worker(shared.clone(), w)),
            Profile::Okta => workers.spawn(okta::worker(shared.clone(), w)),
        };
    }
    let progress = config.progress.then(|| progress::Bar::start(shared.clone(), config.duration));
    let all_done = async { while workers.join_next().await.is_some() {} };
    let signal = tokio::select! {
        () = all_done => None,
        s = crate::runner::interrupted() => Some(s),
    };
    if let Some(s) = signal {
        eprintln!(
            "\ninterrupted ({}): waiting for the requests in flight, then deleting what this run created…",
            s.name
        );
        shared.stop.store(true, Ordering::SeqCst);
        client.stop();
        client.drained(client.timeout() + Duration::from_secs(1)).await;
    }
    if let Some(bar) = progress {
        bar.finish();
    }
    let cleanup = crate::runner::clean_up(&shared.registry, &cleaner, &prefix, false).await;
    let cleanup = CleanupReport {
        deleted: cleanup.deleted + cleanup.gone,
        failed: cleanup.failed,
        still_listed: cleanup.still_listed,
    };
    let report = shared.recorder.report(config.profile, config.rate, cleanup, signal.map(|s| s.name.to_string()));
    print!("{}", client.hide_secrets(&report.text()));
    // Both files are tried; a file that cannot be written is a mistake (exit 2), after the cleanup.
    let mut unwritten = false;
    if let Some(path) = &config.json {
        let json = serde_json::to_string_pretty(&report).expect("the report serializes");
        unwritten |= !write_report(path, "JSON", &(client.hide_secrets(&json) + "\n"));
    }
    if let Some(path) = &config.html {
        let page = html::to_html(&report, &client);
        unwritten |= !write_report(path, "HTML", &page);
    }
    if unwritten {
        return (Exit::Usage, signal.map(|s| s.status));
    }
    let exit = if report.verdict.passed { Exit::Pass } else { Exit::Fail };
    (exit, signal.map(|s| s.status))
}

/// Writes a report file; `false` (after one line and its fix) when it cannot.
fn write_report(path: &std::path::Path, kind: &str, content: &str) -> bool {
    match std::fs::write(path, content) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "error: cannot write the {kind} report to {}: {e}\n  fix: pass a file in a directory that exists and you may write to",
                path.display()
            );
            false
        }
    }
}

/// Six hex digits that differ from run to run: the run prefix `scimtest-<tag>` (what `scimtest clean`
/// recognises as a run's).
fn tag() -> String {
    let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    format!("{:06x}", h & 0xff_ffff)
}

/// The progress bar on a terminal (indicatif): time through the run, requests and failures so far.
mod progress {
    use super::*;

    pub struct Bar {
        bar: indicatif::ProgressBar,
        task: tokio::task::JoinHandle<()>,
    }

    impl Bar {
        pub fn start(shared: Arc<Shared>, duration: Duration) -> Bar {
            let seconds = duration.as_secs().max(1);
            let bar = indicatif::ProgressBar::new(seconds);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos:>4}/{len} s  {msg}") {
                bar.set_style(style.progress_chars("#>-"));
            }
            let shown = bar.clone();
            let task = tokio::spawn(async move {
                loop {
                    let left = shared.deadline.saturating_duration_since(Instant::now());
                    shown.set_position(seconds.saturating_sub(left.as_secs_f64().ceil() as u64));
                    let (requests, failures) = shared.recorder.progress();
                    shown.set_message(format!("{requests} requests, {failures} failed"));
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
            Bar { bar, task }
        }

        pub fn finish(self) {
            self.task.abort();
            self.bar.finish_and_clear();
        }
    }
}
