//! The HAR file (`--har FILE`): every exchange of the run, passing checks', discovery's and cleanup's
//! too, in HAR 1.2 (<https://w3c.github.io/web-performance/specs/HAR/Overview.html>) for a vendor's own
//! tools (browser devtools, proxies). Secrets are already placeholders in an [`Exchange`] (`Bearer
//! $SCIM_TOKEN`); the writer hides any secret value once more, wherever it appears.

use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::client::Exchange;
use crate::runner::baseline::Date;

/// At most this many exchanges are kept (a full rfc run sends about 2,000), and at most this many bytes
/// of bodies: past either, exchanges are counted, not kept, and the HAR file says how many.
const MAX_ENTRIES: usize = 100_000;
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Every exchange a client sent, in the order they completed: on only with `--har`.
#[derive(Debug, Default)]
pub struct ExchangeLog {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    entries: Vec<(SystemTime, Exchange)>,
    body_bytes: usize,
    dropped: usize,
}

impl ExchangeLog {
    /// Keeps `exchange`, sent at `started`, unless the log is full.
    pub fn record(&self, started: SystemTime, exchange: &Exchange) {
        let mut kept = self.kept.lock().expect("exchange log lock");
        let bytes = exchange.request_body.as_ref().map_or(0, String::len) + exchange.response_body.len();
        if kept.entries.len() >= MAX_ENTRIES || kept.body_bytes + bytes > MAX_BODY_BYTES {
            kept.dropped += 1;
            return;
        }
        kept.body_bytes += bytes;
        kept.entries.push((started, exchange.clone()));
    }

    /// Keeps every exchange `other` kept (within this log's bounds) and counts the ones it dropped.
    pub fn absorb(&self, other: &ExchangeLog) {
        let (entries, dropped) = other.entries();
        for (started, exchange) in &entries {
            self.record(*started, exchange);
        }
        self.kept.lock().expect("exchange log lock").dropped += dropped;
    }

    /// The exchanges kept, by start time, and how many were not kept.
    pub fn entries(&self) -> (Vec<(SystemTime, Exchange)>, usize) {
        let kept = self.kept.lock().expect("exchange log lock");
        let mut entries = kept.entries.clone();
        entries.sort_by_key(|(started, _)| *started);
        (entries, kept.dropped)
    }
}

/// `2026-12-03T03:02:33.123Z`.
fn iso8601(t: SystemTime) -> String {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        Date::from_unix_days(days),
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

fn name_values(pairs: &[(String, String)], hide: &dyn Fn(&str) -> String) -> Vec<Value> {
    pairs.iter().map(|(k, v)| json!({ "name": k, "value": hide(v) })).collect()
}

fn entry(started: SystemTime, ex: &Exchange, hide: &dyn Fn(&str) -> String) -> Value {
    let header = |headers: &[(String, String)], name: &str| {
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    };
    let query: Vec<(String, String)> = reqwest::Url::parse(&ex.url)
        .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
        .unwrap_or_default();
    let ms = ex.elapsed.as_secs_f64() * 1000.0;
    let mut request = json!({
        "method": ex.method,
        "url": hide(&ex.url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": name_values(&ex.request_headers, hide),
        "queryString": name_values(&query, hide),
        "headersSize": -1,
        "bodySize": ex.request_body.as_ref().map_or(0, String::len),
    });
    if let Some(body) = &ex.request_body {
        request["postData"] = json!({
            "mimeType": header(&ex.request_headers, "content-type").unwrap_or_default(),
            "text": hide(body),
        });
    }
    let mut entry = json!({
        "startedDateTime": iso8601(started),
        "time": ms,
        "request": request,
        "response": {
            // HAR's convention for no answer: status 0.
            "status": ex.status.unwrap_or(0),
            "statusText": ex.status
                .and_then(|s| reqwest::StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": name_values(&ex.response_headers, hide),
            "content": {
                "size": ex.response_body.len(),
                "mimeType": header(&ex.response_headers, "content-type").unwrap_or_default(),
                "text": hide(&ex.response_body),
            },
            "redirectURL": header(&ex.response_headers, "location").unwrap_or_default(),
            "headersSize": -1,
            "bodySize": ex.response_body.len(),
        },
        "cache": {},
        // Only the whole is measured; HAR puts it under `wait` (send and receive are part of it).
        "timings": { "send": 0, "wait": ms, "receive": 0 },
    });
    if let Some(error) = &ex.error {
        entry["comment"] = json!(hide(error));
    }
    if ex.attempts > 1 {
        entry["_attempts"] = json!(ex.attempts);
    }
    entry
}

/// The HAR 1.2 document of `log`, every text passed through `hide` (the client's secret hiding);
/// `verdict` goes in the log's comment.
pub fn to_har(log: &ExchangeLog, verdict: &str, hide: &dyn Fn(&str) -> String) -> Value {
    let (entries, dropped) = log.entries();
    let mut comment = format!("scimtest: {verdict}");
    if dropped > 0 {
        comment.push_str(&format!(
            "; {dropped} later exchanges not kept (the log keeps {MAX_ENTRIES} exchanges and {} MiB of bodies)",
            MAX_BODY_BYTES / 1024 / 1024
        ));
    }
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "scimtest", "version": env!("CARGO_PKG_VERSION") },
            "pages": [],
            "entries": entries.iter().map(|(t, ex)| entry(*t, ex, hide)).collect::<Vec<_>>(),
            "comment": comment,
        }
    })
}

pub fn write_har(path: &Path, log: &ExchangeLog, verdict: &str, hide: &dyn Fn(&str) -> String) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&to_har(log, verdict, hide)).expect("JSON values serialize");
    std::fs::write(path, text + "\n")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    #[test]
    fn an_exchange_becomes_a_har_entry_with_its_query_body_and_secrets_hidden() {
        let log = ExchangeLog::default();
        let ex = Exchange {
            method: "POST".into(),
            url: "http://x/v2/Users?filter=userName%20eq%20%22a%22".into(),
            request_headers: vec![
                ("authorization".into(), "Bearer $SCIM_TOKEN".into()),
                ("content-type".into(), "application/scim+json".into()),
            ],
            request_body: Some("{\"userName\":\"s3cret-token-value\"}".into()),
            status: Some(201),
            response_headers: vec![("content-type".into(), "application/scim+json".into())],
            response_body: "{}".into(),
            error: None,
            attempts: 1,
            elapsed: Duration::from_millis(12),
        };
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_730_953_123);
        log.record(start, &ex);
        let hide = |s: &str| s.replace("s3cret-token-value", "[hidden]");
        let har = to_har(&log, "FAIL", &hide);
        let e = &har["log"]["entries"][0];
        assert_eq!(e["startedDateTime"], "2025-12-03T03:02:33.123Z");
        assert_eq!(e["request"]["queryString"][0]["value"], "userName eq \"a\"");
        assert_eq!(e["request"]["headers"][0]["value"], "Bearer $SCIM_TOKEN");
        assert_eq!(e["request"]["postData"]["text"], "{\"userName\":\"[hidden]\"}");
        assert_eq!(
            (e["response"]["status"].as_u64(), e["response"]["statusText"].as_str()),
            (Some(201), Some("Created"))
        );
        assert_eq!(har["log"]["version"], "1.2");
        assert!(!har.to_string().contains("s3cret"));
    }

    #[test]
    fn absorbing_another_log_keeps_its_exchanges_in_start_order() {
        let exchange = |url: &str| Exchange {
            method: "GET".into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            status: Some(200),
            response_headers: Vec::new(),
            response_body: String::new(),
            error: None,
            attempts: 1,
            elapsed: Duration::ZERO,
        };
        let at = |ms: u64| SystemTime::UNIX_EPOCH + Duration::from_millis(ms);
        let (first, second) = (ExchangeLog::default(), ExchangeLog::default());
        first.record(at(1), &exchange("http://a/1"));
        first.record(at(3), &exchange("http://a/3"));
        second.record(at(2), &exchange("http://b/2"));
        second.kept.lock().unwrap().dropped = 4;
        let all = ExchangeLog::default();
        all.absorb(&first);
        all.absorb(&second);
        let (entries, dropped) = all.entries();
        let urls: Vec<&str> = entries.iter().map(|(_, e)| e.url.as_str()).collect();
        assert_eq!((urls, dropped), (vec!["http://a/1", "http://b/2", "http://a/3"], 4));
    }
}
