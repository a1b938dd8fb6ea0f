//! A `pages = N` step: a list GET walked as a client pages it (RFC 7644 §3.4.2.4) — `count=N` from
//! `startIndex=1`, each next page starting past the resources the last one held (a server may return
//! fewer than asked, up to its own maximum) — until the pages hold the first page's `totalResults`, a page
//! comes back empty, or [`MAX_PAGES`] pages were read. The step is judged on one ListResponse stitched from
//! the pages: the first page's, its `Resources` every page's in order, `itemsPerPage` their number. A page
//! that is not a successful list ends the walk, and is what the step is judged on.

use serde_json::{Value, json};

use crate::client::{Client, Exchange, Request};
use crate::suite::MAX_PAGES;

pub(super) async fn walk(client: &Client, request: &Request, size: usize) -> Exchange {
    let mut resources: Vec<Value> = Vec::new();
    let mut first: Option<(Exchange, Value)> = None;
    let mut elapsed = std::time::Duration::ZERO;
    let mut start = 1;
    for _ in 0..MAX_PAGES {
        let mut page = request.clone();
        page.query.push(("startIndex".into(), start.to_string()));
        page.query.push(("count".into(), size.to_string()));
        let exchange = client.send(&page).await;
        elapsed += exchange.elapsed;
        let succeeded = exchange.status.is_some_and(|s| (200..300).contains(&s));
        // `Resources` may be left out of an empty list (RFC 7644 §3.4.2: REQUIRED if totalResults is non-zero).
        let listed = exchange.json().filter(|b| succeeded && b.get("Resources").is_none_or(Value::is_array));
        let Some(body) = listed else { return exchange };
        let held = body.get("Resources").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        resources.extend_from_slice(held);
        start += held.len();
        let total = first.as_ref().map_or(&body, |(_, b)| b).get("totalResults").and_then(Value::as_u64);
        let done = held.is_empty() || total.is_none_or(|t| resources.len() as u64 >= t);
        if first.is_none() {
            first = Some((exchange, body));
        }
        if done {
            break;
        }
    }
    let (mut exchange, mut body) = first.expect("a walk reads at least one page");
    body["itemsPerPage"] = json!(resources.len());
    body["startIndex"] = json!(1);
    body["Resources"] = Value::Array(resources);
    exchange.response_body = body.to_string();
    exchange.elapsed = elapsed;
    exchange
}
