//! The HTML report of a load run (`scimtest load --html FILE`): one self-contained page rendered by minijinja
//! from `templates/load.html`, as the runner's report is (every value HTML-escaped by the engine, no script,
//! nothing loaded). Each operation's latency is drawn as an inline SVG bar chart of its histogram buckets with
//! p50/p95/p99 marked: [`chart`] computes the geometry, the template only draws it.

use minijinja::{AutoEscape, Environment};
use serde::Serialize;
use serde_json::{Value, json};

use super::report::{LoadReport, OperationReport, lower_bound_ms, trim_ms};
use crate::client::Client;

const TEMPLATE: &str = include_str!("../../templates/load.html");

/// Size of a chart and its margins, in SVG user units.
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 190.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 34.0;

/// A latency chart: one bar per histogram bucket, on equal slots (the buckets step 1-2-5, so the axis is
/// close to logarithmic), and a vertical line per percentile placed inside its bucket on a log scale.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    /// The plot area.
    pub left: f64,
    pub top: f64,
    pub bottom: f64,
    pub right: f64,
    pub bars: Vec<ChartBar>,
    pub markers: Vec<Marker>,
    /// The largest bucket, the top of the y axis.
    pub most: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartBar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Where its label goes (the bucket's upper bound, in ms) and its count.
    pub label_x: f64,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub x: f64,
    /// Its name beside the line: right of it, or left of it near the right edge.
    pub label_x: f64,
    pub anchor: &'static str,
    /// Where its name goes, staggered so that close percentiles stay readable.
    pub label_y: f64,
    pub name: &'static str,
    pub ms: f64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The chart of one operation's latency.
pub fn chart(op: &OperationReport) -> Chart {
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let slots = op.histogram.len().max(1) as f64;
    let slot = plot_width / slots;
    let most = op.histogram.iter().map(|b| b.count).max().unwrap_or(0);
    let bars = op
        .histogram
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let height = if most == 0 { 0.0 } else { plot_height * b.count as f64 / most as f64 };
            let x = LEFT + slot * i as f64 + slot * 0.1;
            ChartBar {
                x: round1(x),
                y: round1(HEIGHT - BOTTOM - height),
                width: round1(slot * 0.8),
                height: round1(height),
                label_x: round1(LEFT + slot * (i as f64 + 0.5)),
                label: trim_ms(b.up_to_ms),
                count: b.count,
            }
        })
        .collect();
    let mut markers = Vec::new();
    if !op.histogram.is_empty() {
        for (k, (name, ms)) in [("p50", op.p50_ms), ("p95", op.p95_ms), ("p99", op.p99_ms)].into_iter().enumerate() {
            let i = op.histogram.iter().position(|b| ms <= b.up_to_ms).unwrap_or(op.histogram.len() - 1);
            let up = op.histogram[i].up_to_ms;
            let low = if i > 0 { op.histogram[i - 1].up_to_ms } else { lower_bound_ms(up) };
            // Log scale inside the bucket; from 0 (the first bucket of all) linear.
            let within = if low > 0.0 && ms > low && up > low {
                (ms.ln() - low.ln()) / (up.ln() - low.ln())
            } else if up > 0.0 {
                (ms - low) / (up - low)
            } else {
                0.5
            };
            let x = round1(LEFT + slot * (i as f64 + within.clamp(0.0, 1.0)));
            let near_right_edge = x > WIDTH - 90.0;
            markers.push(Marker {
                x,
                label_x: if near_right_edge { x - 3.0 } else { x + 3.0 },
                anchor: if near_right_edge { "end" } else { "start" },
                label_y: TOP - 34.0 + 10.0 * k as f64,
                name,
                ms,
            });
        }
    }
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        top: TOP,
        bottom: HEIGHT - BOTTOM,
        right: WIDTH - RIGHT,
        bars,
        markers,
        most,
    }
}

/// `{"HTTP 409": 3}` as `[{kind, count}]`, in the order of the map.
fn kinds(errors: &std::collections::BTreeMap<String, u64>) -> Vec<Value> {
    errors.iter().map(|(kind, count)| json!({ "kind": kind, "count": count })).collect()
}

/// What the template sees, secrets already hidden.
fn view(report: &LoadReport, client: &Client) -> Value {
    let operations: Vec<Value> = report
        .operations
        .iter()
        .map(|o| {
            json!({
                "id": o.id, "label": o.operation, "requests": o.requests, "failures": o.failures,
                "p50": o.p50_ms, "p95": o.p95_ms, "p99": o.p99_ms, "max": o.max_ms,
                "errors": kinds(&o.errors),
                "throttled": o.throttled,
                "with_retry_after": o.throttled_with_retry_after,
                "without_retry_after": o.throttled - o.throttled_with_retry_after,
                "chart": chart(o),
            })
        })
        .collect();
    let view = json!({
        "tool_version": env!("CARGO_PKG_VERSION"),
        "profile": report.profile,
        "target": crate::runner::report::public_target(client.base_url()),
        "rate": report.target_rps.map_or("unpaced".to_string(), |r| format!("--rate {r}")),
        "pass": report.verdict.passed,
        "judged_against": report.verdict.judged_against,
        "reasons": report.verdict.reasons,
        "requests": report.requests,
        "elapsed": format!("{:.1}", report.elapsed_secs),
        "achieved_rps": format!("{:.1}", report.achieved_rps),
        "busiest_second": report.busiest_second,
        "failures": report.failures,
        "failure_pct": format!("{:.1}", report.failure_ratio * 100.0),
        "errors": kinds(&report.errors),
        "throttled": report.throttled,
        "with_retry_after": report.throttled_with_retry_after,
        "without_retry_after": report.throttled - report.throttled_with_retry_after,
        "cleanup": report.cleanup,
        "interrupted": report.interrupted,
        "operations": operations,
    });
    // As the text and JSON reports are: every credential the client knows replaced by its placeholder.
    let hidden = client.hide_secrets(&view.to_string());
    serde_json::from_str(&hidden).unwrap_or(view)
}

/// The HTML report of a load run.
pub fn to_html(report: &LoadReport, client: &Client) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("load.html", TEMPLATE).expect("the bundled load template parses");
    let page = env
        .get_template("load.html")
        .and_then(|t| t.render(view(report, client)))
        .expect("the bundled load template renders the report's view");
    client.hide_secrets(&page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::Bucket;

    fn op(buckets: &[(f64, u64)], p: [f64; 4]) -> OperationReport {
        OperationReport {
            id: "O-QU",
            operation: "O-QU GET /Users?filter&count=100",
            requests: buckets.iter().map(|b| b.1).sum(),
            failures: 0,
            p50_ms: p[0],
            p95_ms: p[1],
            p99_ms: p[2],
            max_ms: p[3],
            errors: Default::default(),
            throttled: 0,
            throttled_with_retry_after: 0,
            histogram: buckets.iter().map(|&(up_to_ms, count)| Bucket { up_to_ms, count }).collect(),
        }
    }

    #[test]
    fn an_empty_histogram_draws_no_bar_and_no_marker() {
        let c = chart(&op(&[], [0.0; 4]));
        assert!(c.bars.is_empty() && c.markers.is_empty());
        assert_eq!(c.most, 0);
    }

    #[test]
    fn one_sample_is_one_full_bar_with_every_percentile_inside_it() {
        let c = chart(&op(&[(2.0, 1)], [1.5, 1.5, 1.5, 1.5]));
        assert_eq!(c.bars.len(), 1);
        let bar = &c.bars[0];
        assert_eq!((bar.height, bar.y), (HEIGHT - TOP - BOTTOM, TOP));
        assert_eq!(bar.label, "2");
        assert_eq!(c.markers.len(), 3);
        for m in &c.markers {
            // Inside the only slot (the whole plot), on the log scale between 1 and 2 ms.
            let expected = LEFT + (WIDTH - LEFT - RIGHT) * (1.5f64.ln() / 2f64.ln());
            assert!((m.x - expected).abs() < 0.1, "{m:?} at {expected}");
        }
    }

    #[test]
    fn bars_scale_to_the_largest_bucket_and_percentiles_fall_in_their_buckets() {
        let c = chart(&op(&[(1.0, 10), (2.0, 40), (5.0, 5), (10.0, 1)], [1.8, 4.0, 9.0, 9.5]));
        let heights: Vec<f64> = c.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights[1], HEIGHT - TOP - BOTTOM);
        assert!(heights[0] > heights[2] && heights[2] > heights[3] && heights[3] > 0.0, "{heights:?}");
        let slot = (WIDTH - LEFT - RIGHT) / 4.0;
        let slot_of = |x: f64| ((x - LEFT) / slot).floor() as usize;
        let slots: Vec<usize> = c.markers.iter().map(|m| slot_of(m.x)).collect();
        assert_eq!(slots, [1, 2, 3]);
        assert!(c.markers.windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn the_first_bucket_of_all_starts_at_zero() {
        // ≤ 0.1 ms is the first bound: 0.05 ms sits half way, linearly.
        let c = chart(&op(&[(0.1, 3)], [0.05, 0.1, 0.1, 0.1]));
        let expected = LEFT + (WIDTH - LEFT - RIGHT) * 0.5;
        assert!((c.markers[0].x - expected).abs() < 0.1, "{:?}", c.markers[0]);
    }
}
