//! What a load run measured, its verdict (Entra's gallery bar; for Okta, which documents no rate, the rate asked
//! for), and the text and JSON it is shown as.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::cycle::{Operation, Profile};
use crate::client::{Exchange, NOT_SENT, TENANT_RPS};

/// Entra quarantines a provisioning job when more than this share of its operations fail
/// (idp-behaviour.md §10.1). Okta documents no such share: its verdict uses Entra's and says so.
pub const QUARANTINE_RATIO: f64 = 0.40;

/// Okta gives up on a request after 60 s (idp-behaviour.md §3 O-Q22), in milliseconds.
pub const OKTA_SOCKET_TIMEOUT_MS: f64 = 60_000.0;

/// The share of `--rate` a paced run reaches: the client lets N requests go in any 1.02 s (client.rs,
/// `PACE_WINDOW`: a margin so that a server counting arrivals per second never sees more than N), so a
/// run at 25 a second sends 24.5 a second against an endpoint that keeps up.
const PACING_SHARE: f64 = 1.0 / 1.02;

/// The figures of one operation while the run lasts.
struct OperationTally {
    /// Response times in microseconds.
    latency: Histogram<u64>,
    failures: u64,
    errors: BTreeMap<String, u64>,
    throttled: u64,
    throttled_with_retry_after: u64,
}

#[derive(Default)]
struct Tally {
    operations: BTreeMap<Operation, OperationTally>,
    /// Requests sent in each second of the run (index: whole seconds since the start).
    sent_per_second: Vec<u32>,
    /// The second each 429 answered a request sent in.
    throttled_in: Vec<usize>,
    throttled_with_retry_after: u64,
    errors: BTreeMap<String, u64>,
    last_answer: Option<Instant>,
}

/// Collects every answer of a load run (shared by the workers).
pub struct Recorder {
    started: Instant,
    tally: Mutex<Tally>,
}

impl Recorder {
    pub fn new(started: Instant) -> Recorder {
        Recorder { started, tally: Mutex::default() }
    }

    /// One answered (or failed) request of `operation`, let go at `sent`. Requests not sent at all (the
    /// run was interrupted) are not counted.
    pub fn record(&self, operation: Operation, sent: Instant, exchange: &Exchange) {
        if exchange.error.as_deref() == Some(NOT_SENT) || exchange.attempts == 0 {
            return;
        }
        let second = usize::try_from(sent.saturating_duration_since(self.started).as_secs()).unwrap_or(usize::MAX);
        let mut tally = self.tally.lock().expect("load tally lock");
        if tally.sent_per_second.len() <= second {
            tally.sent_per_second.resize(second + 1, 0);
        }
        tally.sent_per_second[second] += 1;
        tally.last_answer = Some(Instant::now());
        let failure = match (exchange.status, &exchange.error) {
            (Some(s), None) if (200..300).contains(&s) => None,
            (Some(s), _) => Some(format!("HTTP {s}")),
            (None, Some(e)) => Some(e.split(':').next().unwrap_or(e).to_string()),
            (None, None) => Some("no answer".to_string()),
        };
        if exchange.status == Some(429) {
            tally.throttled_in.push(second);
            if exchange.header("retry-after").is_some() {
                tally.throttled_with_retry_after += 1;
            }
        }
        if let Some(kind) = &failure {
            *tally.errors.entry(kind.clone()).or_default() += 1;
        }
        let entry = tally.operations.entry(operation).or_insert_with(|| OperationTally {
            // 1 µs to an hour: `new(3)` alone would saturate at a couple of milliseconds.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"),
            failures: 0,
            errors: BTreeMap::new(),
            throttled: 0,
            throttled_with_retry_after: 0,
        });
        entry.latency.saturating_record(u64::try_from(exchange.elapsed.as_micros()).unwrap_or(u64::MAX).max(1));
        entry.failures += u64::from(failure.is_some());
        if let Some(kind) = failure {
            *entry.errors.entry(kind).or_default() += 1;
        }
        if exchange.status == Some(429) {
            entry.throttled += 1;
            entry.throttled_with_retry_after += u64::from(exchange.header("retry-after").is_some());
        }
    }

    /// The figures of the run so far: requests, and how many failed.
    pub fn progress(&self) -> (u64, u64) {
        let tally = self.tally.lock().expect("load tally lock");
        let requests = tally.operations.values().map(|o| o.latency.len()).sum();
        (requests, tally.errors.values().sum())
    }

    /// The report of a run of `profile`'s cycle, `target_rate` as asked (`None`: unpaced).
    pub fn report(
        &self,
        profile: Profile,
        target_rate: Option<u32>,
        cleanup: CleanupReport,
        interrupted: Option<String>,
    ) -> LoadReport {
        let tally = self.tally.lock().expect("load tally lock");
        let elapsed = tally.last_answer.map_or(Duration::ZERO, |t| t.saturating_duration_since(self.started));
        let operations: Vec<OperationReport> =
            tally.operations.iter().map(|(op, t)| OperationReport::of(*op, t)).collect();
        let requests: u64 = operations.iter().map(|o| o.requests).sum();
        let failures: u64 = tally.errors.values().sum();
        let secs = elapsed.as_secs_f64();
        let achieved_rps = if secs > 0.0 { requests as f64 / secs } else { 0.0 };
        let rate_bar = match profile {
            Profile::Entra => Some(TENANT_RPS),
            // Okta documents no rate an endpoint must take: the bar is the rate asked for.
            Profile::Okta => target_rate,
        };
        let throttled_at_or_below_bar = rate_bar.map_or(0, |bar| {
            tally.throttled_in.iter().filter(|s| tally.sent_per_second.get(**s).copied().unwrap_or(0) <= bar).count()
                as u64
        });
        let failure_ratio = if requests > 0 { failures as f64 / requests as f64 } else { 0.0 };
        let mut report = LoadReport {
            profile: profile.name(),
            target_rps: target_rate,
            rate_bar,
            elapsed_secs: round(secs, 3),
            requests,
            achieved_rps: round(achieved_rps, 1),
            busiest_second: tally.sent_per_second.iter().copied().max().unwrap_or(0),
            failures,
            failure_ratio: round(failure_ratio, 4),
            errors: tally.errors.clone(),
            throttled: tally.throttled_in.len() as u64,
            throttled_with_retry_after: tally.throttled_with_retry_after,
            throttled_at_or_below_bar,
            operations,
            cleanup,
            interrupted,
            verdict: Verdict { passed: false, judged_against: String::new(), reasons: Vec::new() },
        };
        report.verdict = Verdict::of(profile, &report);
        report
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// What the cleanup did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanupReport {
    /// DELETEs answered 2xx or 404.
    pub deleted: usize,
    /// Each DELETE the server refused, with its answer.
    pub failed: Vec<String>,
    /// What the server still lists under the run prefix after the cleanup.
    pub still_listed: Vec<String>,
}

/// PASS or FAIL, what it is judged against, and each reason it fails.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub passed: bool,
    /// The bars and where each comes from, as a sentence.
    pub judged_against: String,
    pub reasons: Vec<String>,
}

impl Verdict {
    fn of(profile: Profile, r: &LoadReport) -> Verdict {
        let mut reasons = Vec::new();
        if r.requests == 0 {
            reasons.push("no request was answered".to_string());
        }
        let quarantine = format!("{:.0} %", QUARANTINE_RATIO * 100.0);
        let judged_against = match (profile, r.rate_bar) {
            (Profile::Entra, _) => format!(
                "Entra's gallery bar: at least {TENANT_RPS} requests/s per tenant, no 429 at or below it, and at most \
                 {quarantine} failed, above which Entra quarantines the job (idp-behaviour.md §10.1)"
            ),
            (Profile::Okta, rate) => format!(
                "{}; at most {quarantine} failed (Entra's quarantine threshold, idp-behaviour.md §10.1, as Okta \
                 documents none); no answer slower than Okta's 60 s socket timeout (idp-behaviour.md §3 O-Q22)",
                match rate {
                    Some(rate) => format!(
                        "the rate asked for, --rate {rate}, with no 429 at or below it (Okta documents no rate a SCIM \
                         endpoint must take)"
                    ),
                    None => "no rate (unpaced, and Okta documents no rate a SCIM endpoint must take)".to_string(),
                }
            ),
        };
        if let Some(bar) = r.rate_bar
            && r.achieved_rps < f64::from(bar) * PACING_SHARE - 0.05
        {
            reasons.push(match profile {
                Profile::Entra => {
                    let why = match r.target_rps {
                        Some(t) if t < bar => format!(" (--rate {t} asks for less; use --rate {bar} or more)"),
                        _ => String::new(),
                    };
                    format!(
                        "the endpoint took {:.1} requests/s, below Entra's gallery bar of {bar} per tenant \
                         (idp-behaviour.md §10.1){why}",
                        r.achieved_rps
                    )
                }
                Profile::Okta => format!(
                    "the endpoint took {:.1} requests/s, below the --rate {bar} asked for (Okta documents no rate \
                     of its own)",
                    r.achieved_rps
                ),
            });
        }
        if let Some(bar) = r.rate_bar
            && r.throttled_at_or_below_bar > 0
        {
            let refuses = match profile {
                Profile::Entra => {
                    "the limiter refuses what Entra's gallery requires (RFC 6585 §4; idp-behaviour.md §10.1)"
                }
                Profile::Okta => "the limiter refuses the rate asked for (RFC 6585 §4)",
            };
            reasons.push(format!(
                "{} answers were 429 Too Many Requests in seconds with at most {bar} requests sent: {refuses}",
                r.throttled_at_or_below_bar
            ));
        }
        if r.failure_ratio > QUARANTINE_RATIO {
            reasons.push(match profile {
                Profile::Entra => format!(
                    "{:.1} % of requests failed, above the {quarantine} at which Entra quarantines the job \
                     (idp-behaviour.md §10.1)",
                    r.failure_ratio * 100.0
                ),
                Profile::Okta => format!(
                    "{:.1} % of requests failed, above {quarantine} (Entra's quarantine threshold, \
                     idp-behaviour.md §10.1, as Okta documents none)",
                    r.failure_ratio * 100.0
                ),
            });
        }
        if profile == Profile::Okta {
            let too_slow: u64 = r
                .operations
                .iter()
                .flat_map(|o| &o.histogram)
                .filter(|b| b.up_to_ms > OKTA_SOCKET_TIMEOUT_MS)
                .map(|b| b.count)
                .sum();
            if too_slow > 0 {
                reasons.push(format!(
                    "{too_slow} answers took longer than 60 s, after Okta's socket timeout has given up on the \
                     request (idp-behaviour.md §3 O-Q22)"
                ));
            }
        }
        Verdict { passed: reasons.is_empty(), judged_against, reasons }
    }
}

/// One operation's figures, latencies in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct OperationReport {
    /// The catalogue id (`E-QU`).
    pub id: &'static str,
    pub operation: &'static str,
    pub requests: u64,
    pub failures: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// This operation's failures by kind, and its 429s with and without `Retry-After`.
    pub errors: BTreeMap<String, u64>,
    pub throttled: u64,
    pub throttled_with_retry_after: u64,
    /// How many answers took at most each bound (the last bound is the slowest answer).
    pub histogram: Vec<Bucket>,
}

/// Answers slower than the previous bound and at most `up_to_ms`.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub up_to_ms: f64,
    pub count: u64,
}

/// The bounds of the text histogram, in microseconds: 1-2-5 steps from 0.1 ms to 60 s.
const BOUNDS_US: &[u64] = &[
    100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000,
    5_000_000, 10_000_000, 20_000_000, 60_000_000,
];

impl OperationReport {
    fn of(operation: Operation, tally: &OperationTally) -> OperationReport {
        let h = &tally.latency;
        let ms = |us: u64| round(us as f64 / 1000.0, 2);
        let mut histogram = Vec::new();
        let mut below = 0;
        for &bound in BOUNDS_US {
            let upto = h.count_between(0, bound);
            histogram.push(Bucket { up_to_ms: ms(bound), count: upto - below });
            below = upto;
            if upto >= h.len() {
                break;
            }
        }
        if below < h.len() {
            histogram.push(Bucket { up_to_ms: ms(h.max()), count: h.len() - below });
        }
        // From the first bucket that holds an answer.
        let first = histogram.iter().position(|b| b.count > 0).unwrap_or(0);
        histogram.drain(..first);
        OperationReport {
            id: operation.id(),
            operation: operation.label(),
            requests: h.len(),
            failures: tally.failures,
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            errors: tally.errors.clone(),
            throttled: tally.throttled,
            throttled_with_retry_after: tally.throttled_with_retry_after,
            histogram,
        }
    }
}

/// Everything a load run reports (`--json FILE` writes it as is).
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// The identity provider whose cycle was replayed.
    pub profile: &'static str,
    /// `--rate` (`None`: unpaced).
    pub target_rps: Option<u32>,
    /// The requests per second the verdict requires, without a 429: Entra's 25, Okta's the `--rate` asked
    /// for (`None`: unpaced Okta, no rate bar).
    pub rate_bar: Option<u32>,
    /// From the start to the last answer.
    pub elapsed_secs: f64,
    pub requests: u64,
    pub achieved_rps: f64,
    /// The most requests sent in one second of the run.
    pub busiest_second: u32,
    /// Answers other than 2xx, and requests with no answer.
    pub failures: u64,
    pub failure_ratio: f64,
    /// Failures by kind: `HTTP 409`, `timed out`, `could not connect` …
    pub errors: BTreeMap<String, u64>,
    /// 429 answers, how many carried `Retry-After`, and how many came in a second with at most `rate_bar`
    /// requests.
    pub throttled: u64,
    pub throttled_with_retry_after: u64,
    pub throttled_at_or_below_bar: u64,
    pub operations: Vec<OperationReport>,
    pub cleanup: CleanupReport,
    /// The signal that stopped the run early, if one did.
    pub interrupted: Option<String>,
    pub verdict: Verdict,
}

/// Width of the longest histogram bar, in characters.
const BAR_WIDTH: u64 = 40;

impl LoadReport {
    /// The report as the console shows it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let target = self.target_rps.map_or("unpaced".to_string(), |r| format!("--rate {r}"));
        out.push_str(&format!(
            "requests: {} in {:.1} s: {:.1} requests/s ({target}; busiest second {})\n",
            self.requests, self.elapsed_secs, self.achieved_rps, self.busiest_second
        ));
        out.push_str(&format!(
            "\n{:<32} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}\n",
            "operation", "requests", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms"
        ));
        for o in &self.operations {
            out.push_str(&format!(
                "{:<32} {:>8} {:>7} {:>9.2} {:>9.2} {:>9.2} {:>9.2}\n",
                o.operation, o.requests, o.failures, o.p50_ms, o.p95_ms, o.p99_ms, o.max_ms
            ));
        }
        out.push('\n');
        if self.errors.is_empty() {
            out.push_str("errors: none\n");
        } else {
            let list: Vec<String> = self.errors.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
            out.push_str(&format!(
                "errors: {} ({:.1} % of requests): {}\n",
                self.failures,
                self.failure_ratio * 100.0,
                list.join(", ")
            ));
        }
        if self.throttled > 0 {
            let without = self.throttled - self.throttled_with_retry_after;
            out.push_str(&format!(
                "429 Too Many Requests: {}, {} with Retry-After, {without} without{}\n",
                self.throttled,
                self.throttled_with_retry_after,
                if without > 0 {
                    " (RFC 6585 §4, RFC 9110 §10.2.3: a 429 without Retry-After leaves the client to guess how long to wait)"
                } else {
                    ""
                }
            ));
        } else {
            out.push_str("429 Too Many Requests: none\n");
        }
        out.push_str("\nlatency per operation (answers taking at most … ms):\n");
        for o in &self.operations {
            out.push_str(&format!("{}\n", o.operation));
            let most = o.histogram.iter().map(|b| b.count).max().unwrap_or(0).max(1);
            for b in &o.histogram {
                let width = (b.count * BAR_WIDTH).div_ceil(most) as usize;
                out.push_str(&format!("  ≤ {:>9} {:<40} {}\n", trim_ms(b.up_to_ms), "█".repeat(width), b.count));
            }
        }
        out.push('\n');
        out.push_str(&format!("cleanup: {} users and groups deleted\n", self.cleanup.deleted));
        for f in &self.cleanup.failed {
            out.push_str(&format!("cleanup failed: {f}\n"));
        }
        if !self.cleanup.still_listed.is_empty() {
            out.push_str(&format!(
                "cleanup: still listed after DELETE, delete them by hand: {}\n",
                self.cleanup.still_listed.join(", ")
            ));
        }
        if let Some(signal) = &self.interrupted {
            out.push_str(&format!("interrupted ({signal}): the figures cover the run until then\n"));
        }
        if self.verdict.passed {
            out.push_str(&format!("verdict: PASS against {}\n", self.verdict.judged_against));
        } else {
            out.push_str(&format!("verdict: FAIL against {}\n", self.verdict.judged_against));
            for r in &self.verdict.reasons {
                out.push_str(&format!("  - {r}\n"));
            }
        }
        out
    }
}

/// Where the histogram bucket ending at `up_to_ms` starts: the bound below it (0 for the first).
pub(super) fn lower_bound_ms(up_to_ms: f64) -> f64 {
    BOUNDS_US.iter().map(|&us| us as f64 / 1000.0).take_while(|&b| b < up_to_ms).last().unwrap_or(0.0)
}

/// `0.1`, `2`, `60000`: a bound without trailing zeros.
pub(super) fn trim_ms(ms: f64) -> String {
    let text = format!("{ms:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, retry_after: bool, elapsed_ms: u64) -> Exchange {
        let mut e = Exchange::request("GET", "http://x/Users", Vec::new(), None);
        e.status = Some(status);
        if retry_after {
            e.response_headers.push(("Retry-After".into(), "1".into()));
        }
        e.elapsed = Duration::from_millis(elapsed_ms);
        e
    }

    #[test]
    fn a_429_in_a_quiet_second_fails_the_verdict_and_missing_retry_after_is_counted() {
        let started = Instant::now() - Duration::from_secs(2);
        let recorder = Recorder::new(started);
        for i in 0..60 {
            recorder.record(
                Operation::EntraQueryUser,
                started + Duration::from_millis(i * 20),
                &answered(200, false, 3),
            );
        }
        recorder.record(Operation::EntraCreateUser, started + Duration::from_millis(1500), &answered(429, false, 1));
        recorder.record(Operation::EntraCreateUser, started + Duration::from_millis(100), &answered(429, true, 1));
        let report = recorder.report(Profile::Entra, Some(25), CleanupReport::default(), None);
        assert_eq!((report.requests, report.throttled, report.throttled_with_retry_after), (62, 2, 1));
        // Second 0 had 51 requests (above the bar), second 1 had 11: only the 429 of second 1 counts.
        assert_eq!(report.throttled_at_or_below_bar, 1);
        assert!(!report.verdict.passed);
        assert!(report.verdict.reasons.iter().any(|r| r.contains("429")), "{:?}", report.verdict.reasons);
        assert!(report.text().contains("1 without"), "{}", report.text());
        assert_eq!(report.errors.get("HTTP 429"), Some(&2));
    }

    #[test]
    fn more_than_forty_percent_failures_is_quarantine() {
        let started = Instant::now() - Duration::from_secs(1);
        let recorder = Recorder::new(started);
        for i in 0..100 {
            let status = if i % 2 == 0 { 500 } else { 201 };
            recorder.record(Operation::EntraCreateUser, started, &answered(status, false, 2));
        }
        let report = recorder.report(Profile::Entra, None, CleanupReport::default(), None);
        assert!(report.verdict.reasons.iter().any(|r| r.contains("quarantines")), "{:?}", report.verdict.reasons);
        assert!(!report.verdict.reasons.iter().any(|r| r.contains("below Entra")), "100 requests in about 1 s");
    }

    #[test]
    fn the_histogram_holds_every_answer_once() {
        let started = Instant::now();
        let recorder = Recorder::new(started);
        for ms in [0u64, 1, 1, 3, 7, 40, 40, 40, 900] {
            recorder.record(Operation::EntraQueryGroup, started, &answered(200, false, ms));
        }
        let report = recorder.report(Profile::Entra, None, CleanupReport::default(), None);
        let op = &report.operations[0];
        assert_eq!(op.histogram.iter().map(|b| b.count).sum::<u64>(), 9);
        assert_eq!(op.histogram.last().map(|b| b.up_to_ms), Some(1000.0));
        assert_eq!((op.p50_ms.round(), op.max_ms.round()), (7.0, 900.0), "{op:?}");
        let text = report.text();
        assert!(text.contains("E-QG GET /Groups?filter"), "{text}");
        assert!(text.contains("█"), "{text}");
    }
}
