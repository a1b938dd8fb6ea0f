//! Response times: every exchange is recorded per endpoint (`GET /Users/{id}`, `GET /Users?filter`), and
//! the run reports p50, p95 and the slowest answer per endpoint, flagging what the identity providers do
//! not tolerate.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// What an identity provider tolerates: (endpoint, limit, who says so).
const LIMITS: &[(&str, u64, &str)] = &[
    ("GET /Groups", 600, "Okta's SPEC test #10 wants GET /Groups within 600 ms"),
    ("*", 60_000, "Okta gives up on a request after 60 s (O-Q22)"),
];

/// Response times per endpoint, in milliseconds.
#[derive(Debug, Default)]
pub struct Timings {
    by_endpoint: Mutex<BTreeMap<String, Histogram<u64>>>,
}

/// One endpoint's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTiming {
    pub endpoint: String,
    pub count: u64,
    pub p50_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
    /// Why this endpoint is too slow for an identity provider, if it is.
    pub too_slow: Option<String>,
}

impl Timings {
    pub fn record(&self, endpoint: String, elapsed: Duration) {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut all = self.by_endpoint.lock().expect("timings lock");
        let histogram = all.entry(endpoint).or_insert_with(|| Histogram::new(3).expect("3 significant figures"));
        histogram.saturating_record(ms);
    }

    /// Adds every response time `other` recorded (`selftest`'s reports cover both of its runs).
    pub fn absorb(&self, other: &Timings) {
        let theirs = other.by_endpoint.lock().expect("timings lock").clone();
        let mut all = self.by_endpoint.lock().expect("timings lock");
        for (endpoint, h) in theirs {
            match all.get_mut(&endpoint) {
                Some(mine) => {
                    let _ = mine.add(&h);
                }
                None => {
                    all.insert(endpoint, h);
                }
            }
        }
    }

    /// The figures per endpoint, slowest p95 first.
    pub fn report(&self) -> Vec<EndpointTiming> {
        let all = self.by_endpoint.lock().expect("timings lock");
        let mut out: Vec<EndpointTiming> = all
            .iter()
            .map(|(endpoint, h)| {
                let p95 = h.value_at_quantile(0.95);
                let too_slow = LIMITS
                    .iter()
                    .find(|(e, limit, _)| (*e == "*" || e == endpoint) && p95 > *limit)
                    .map(|(_, _, why)| (*why).to_string());
                EndpointTiming {
                    endpoint: endpoint.clone(),
                    count: h.len(),
                    p50_ms: h.value_at_quantile(0.5),
                    p95_ms: p95,
                    max_ms: h.max(),
                    too_slow,
                }
            })
            .collect();
        out.sort_by(|a, b| b.p95_ms.cmp(&a.p95_ms).then(a.endpoint.cmp(&b.endpoint)));
        out
    }
}

/// The endpoint a request went to, without ids or values: `PATCH /Users/{id}`, `GET /Users?filter&count`.
pub fn endpoint(method: &str, url: &str, base: &str) -> String {
    let rest = url.strip_prefix(base).unwrap_or(url);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut segments = path.trim_start_matches('/').split('/');
    let mut shown = String::new();
    if let Some(first) = segments.next() {
        shown.push('/');
        shown.push_str(first);
    }
    for segment in segments {
        shown.push('/');
        shown.push_str(if segment.starts_with('.') || segment.is_empty() { segment } else { "{id}" });
    }
    let names: Vec<&str> =
        query.split('&').filter(|p| !p.is_empty()).map(|p| p.split('=').next().unwrap_or(p)).collect();
    if !names.is_empty() {
        shown.push('?');
        shown.push_str(&names.join("&"));
    }
    format!("{method} {shown}")
}

/// The console lines: the slowest endpoints and any an identity provider would not tolerate.
pub fn render(timings: &[EndpointTiming]) -> String {
    if timings.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nresponse times (p50 / p95 / slowest), slowest first:\n");
    for t in timings.iter().take(8) {
        out.push_str(&format!(
            "  {:<34} {:>6} ms / {:>6} ms / {:>6} ms  ({} requests)\n",
            t.endpoint, t.p50_ms, t.p95_ms, t.max_ms, t.count
        ));
    }
    for t in timings.iter().filter(|t| t.too_slow.is_some()) {
        out.push_str(&format!(
            "  slow: {} p95 {} ms — {}\n",
            t.endpoint,
            t.p95_ms,
            t.too_slow.as_deref().unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_drop_ids_and_query_values() {
        let base = "https://x/scim/v2";
        assert_eq!(endpoint("GET", "https://x/scim/v2/Users/abc-1", base), "GET /Users/{id}");
        assert_eq!(
            endpoint("GET", "https://x/scim/v2/Users?filter=userName%20eq%20%22a%22&count=5", base),
            "GET /Users?filter&count"
        );
        assert_eq!(endpoint("POST", "https://x/scim/v2/Users/.search", base), "POST /Users/.search");
        assert_eq!(endpoint("GET", "https://x/scim/v2/ServiceProviderConfig", base), "GET /ServiceProviderConfig");
    }

    #[test]
    fn percentiles_per_endpoint_and_what_an_idp_would_not_tolerate() {
        let t = Timings::default();
        for ms in 1..=100 {
            t.record("GET /Users".into(), Duration::from_millis(ms));
        }
        for _ in 0..10 {
            t.record("GET /Groups".into(), Duration::from_millis(900));
        }
        let report = t.report();
        assert_eq!(report[0].endpoint, "GET /Groups", "slowest first");
        assert!(report[0].too_slow.as_deref().is_some_and(|w| w.contains("600 ms")), "{report:?}");
        let users = &report[1];
        assert_eq!((users.count, users.p50_ms, users.p95_ms, users.max_ms), (100, 50, 95, 100));
        assert_eq!(users.too_slow, None);
        assert!(render(&report).contains("slow: GET /Groups p95 900 ms"), "{}", render(&report));
    }

    #[test]
    fn absorbing_another_runs_timings_adds_its_answers_per_endpoint() {
        let (a, b) = (Timings::default(), Timings::default());
        for ms in 1..=50 {
            a.record("GET /Users".into(), Duration::from_millis(ms));
            b.record("GET /Users".into(), Duration::from_millis(ms + 50));
        }
        b.record("DELETE /Users/{id}".into(), Duration::from_millis(7));
        a.absorb(&b);
        let report = a.report();
        let users = report.iter().find(|t| t.endpoint == "GET /Users").unwrap();
        assert_eq!((users.count, users.p50_ms, users.max_ms), (100, 50, 100));
        assert!(report.iter().any(|t| t.endpoint == "DELETE /Users/{id}" && t.count == 1), "{report:?}");
    }
}
