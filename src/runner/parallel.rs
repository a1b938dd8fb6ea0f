//! A `parallel = N` step: its N copies built (`${i}` = 0..N-1), sent at once within the run's
//! `--concurrency`, every answer judged by the step's `expect` and counted by status against
//! `expect.statuses`; what its copies capture is kept as one array per capture name, in copy order.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::checks;
use super::cleanup::track;
use super::execute::{Shared, build_request};
use super::failure::{Problem, ProblemKind};
use crate::client::Exchange;
use crate::schema::ResourceSchema;
use crate::suite::{COPY_NUMBER, Step, Vars};

/// What a parallel step's copies came back with.
pub(super) struct Answers {
    /// What is wrong, once for the step: the first failing copy's problems, then the status counts.
    pub(super) problems: Vec<Problem>,
    /// The exchange a failure shows: the first copy whose answer is wrong, else the first copy.
    pub(super) shown: Exchange,
}

/// Sends the step's copies and judges them; `vars` gains the step's captures, one array each.
pub(super) async fn run(
    shared: &Shared,
    step: &Step,
    copies: usize,
    vars: &mut Vars,
    schemas: Option<&[ResourceSchema]>,
) -> Result<Answers, String> {
    let mut requests = Vec::with_capacity(copies);
    vars.copies = copies;
    for copy in 0..copies {
        vars.captures.insert(COPY_NUMBER.to_string(), json!(copy));
        let built = build_request(step, vars, schemas);
        vars.captures.remove(COPY_NUMBER);
        requests.push(built.inspect_err(|_| vars.copies = 0)?);
    }
    vars.copies = 0;
    let base = shared.client.base_url().to_string();
    // Held until every copy's creation is registered: an interrupt waits for all of them.
    let hold = shared.client.hold();
    let mut sending = tokio::task::JoinSet::new();
    for (copy, (request, path)) in requests.into_iter().enumerate() {
        let client = shared.client.clone();
        sending.spawn(async move {
            let exchange = client.send(&request).await;
            (copy, path, exchange)
        });
    }
    let mut answered: Vec<(usize, String, Exchange)> = Vec::with_capacity(copies);
    while let Some(joined) = sending.join_next().await {
        answered.push(joined.map_err(|e| format!("a parallel copy's task ended without an answer: {e}"))?);
    }
    answered.sort_by_key(|(copy, _, _)| *copy);
    for (_, path, exchange) in &answered {
        track(&shared.registry, step, path, exchange, &base);
    }
    drop(hold);

    let exchanges: Vec<Exchange> = answered.into_iter().map(|(_, _, e)| e).collect();
    let mut problems = Vec::new();
    let mut shown = None;
    let mut captured: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (copy, exchange) in exchanges.iter().enumerate() {
        vars.captures.insert(COPY_NUMBER.to_string(), json!(copy));
        let mut judged = checks::judge(&step.expect, exchange, vars, &shared.discovered.schemas);
        vars.captures.remove(COPY_NUMBER);
        if !step.capture.is_empty() {
            let body = exchange.json();
            for (name, pointer) in &step.capture {
                match body.as_ref().and_then(|b| b.pointer(pointer)) {
                    Some(value) => captured.entry(name).or_default().push(value.clone()),
                    None => judged.push(Problem::new(
                        ProblemKind::Capture,
                        format!("`{pointer}` to capture as `{name}` from every copy"),
                        "a value",
                        format!("nothing in copy {copy}'s answer"),
                    )),
                }
            }
        }
        if !judged.is_empty() && shown.is_none() {
            shown = Some(exchange.clone());
            problems = judged;
        }
    }
    if !step.expect.statuses.is_empty() {
        let counted = count_statuses(&exchanges);
        let expected: BTreeMap<Option<u16>, usize> =
            step.expect.statuses.iter().map(|(status, n)| (Some(*status), *n)).filter(|(_, n)| *n > 0).collect();
        if counted != expected {
            // Show a copy whose status is over its count, the one that tells what went wrong.
            let over = |e: &&Exchange| counted.get(&e.status) > expected.get(&e.status).or(Some(&0));
            if shown.is_none() {
                shown = exchanges.iter().find(over).cloned();
            }
            problems.push(Problem::new(
                ProblemKind::Status,
                format!("statuses of {} answers to the same request sent at once", exchanges.len()),
                describe(&expected),
                describe(&counted),
            ));
        }
    }
    for (name, values) in captured {
        vars.captures.insert(name.to_string(), Value::Array(values));
    }
    let shown = shown.or_else(|| exchanges.first().cloned()).ok_or("a parallel step sent nothing")?;
    Ok(Answers { problems, shown })
}

/// How many answers came back with each status (`None`: no answer at all).
fn count_statuses(exchanges: &[Exchange]) -> BTreeMap<Option<u16>, usize> {
    let mut counted = BTreeMap::new();
    for e in exchanges {
        *counted.entry(e.status).or_default() += 1;
    }
    counted
}

/// `201 ×1, 409 ×19` (`no answer ×2` for transport failures).
fn describe(counts: &BTreeMap<Option<u16>, usize>) -> String {
    counts
        .iter()
        .map(|(status, n)| match status {
            Some(s) => format!("{s} ×{n}"),
            None => format!("no answer ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: Option<u16>) -> Exchange {
        Exchange { status, ..Exchange::request("POST", "http://x/Users", Vec::new(), None) }
    }

    #[test]
    fn statuses_are_counted_and_described_with_missing_answers() {
        let exchanges: Vec<Exchange> = [Some(201), Some(409), Some(409), None].into_iter().map(answered).collect();
        let counted = count_statuses(&exchanges);
        assert_eq!(counted.get(&Some(409)), Some(&2));
        assert_eq!(describe(&counted), "no answer ×1, 201 ×1, 409 ×2");
    }
}
