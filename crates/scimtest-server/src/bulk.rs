//! `POST /Bulk` (RFC 7644 §3.7): operations run one by one through the same service as single requests,
//! `bulkId:` references resolved (deferring an operation until what it references exists), `failOnErrors`
//! honoured, and the limits advertised in ServiceProviderConfig enforced with 413.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::AppState;
use super::error::ScimError;
use super::service::Kind;
use crate::schema::get_ci;

use crate::message::{BULK_REQUEST, BULK_RESPONSE};

/// Replaces every `bulkId:x` string in `v` whose `x` is known; returns the unknown ones it met.
fn substitute(v: &mut Value, ids: &HashMap<String, String>, unresolved: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(rest) = s.strip_prefix("bulkId:") {
                match ids.get(rest) {
                    Some(id) => *s = id.clone(),
                    None => unresolved.push(rest.to_string()),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| substitute(i, ids, unresolved)),
        Value::Object(o) => o.values_mut().for_each(|i| substitute(i, ids, unresolved)),
        _ => {}
    }
}

fn text<'v>(o: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    get_ci(o, key).and_then(|(_, v)| v.as_str())
}

/// Runs a BulkRequest and answers its BulkResponse.
pub fn run(state: &AppState, body: &Value, base: &str) -> Result<Value, ScimError> {
    let config = state.config();
    let Value::Object(request) = body else {
        return Err(ScimError::bad_request("invalidSyntax", "a BulkRequest is a JSON object"));
    };
    let listed = get_ci(request, "schemas")
        .and_then(|(_, v)| v.as_array())
        .is_some_and(|a| a.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST))));
    if !listed && state.behaviour().schemas_required {
        return Err(ScimError::bad_request("invalidValue", format!("`schemas` must be [\"{BULK_REQUEST}\"]")));
    }
    let Some((_, Value::Array(operations))) = get_ci(request, "Operations") else {
        return Err(ScimError::bad_request("invalidSyntax", "a BulkRequest needs an `Operations` array"));
    };
    if operations.len() > config.bulk_max_operations {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("{} operations exceed maxOperations ({})", operations.len(), config.bulk_max_operations),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for op in operations {
        if let Some(b) = op.as_object().and_then(|o| text(o, "bulkId"))
            && !seen.insert(b)
        {
            return Err(ScimError::bad_request(
                "invalidValue",
                format!("bulkId `{b}` is used twice; a bulkId is unique within a request (RFC 7644 §3.7)"),
            ));
        }
    }
    let fail_on_errors = match get_ci(request, "failOnErrors").map(|(_, v)| v) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n as usize),
            _ => return Err(ScimError::bad_request("invalidValue", "`failOnErrors` must be an integer of at least 1")),
        },
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut results: Vec<Option<Value>> = vec![None; operations.len()];
    let mut pending: Vec<usize> = (0..operations.len()).collect();
    let mut errors = 0;
    // Each pass runs every operation whose references are resolved; a pass that makes no progress ends
    // the loop, and what remains is reported as unresolvable (a circular or dangling reference).
    'passes: loop {
        let mut next = Vec::new();
        let mut progressed = false;
        for &i in &pending {
            let outcome = match &operations[i] {
                Value::Object(op) => step(state, op, &ids, base),
                _ => Step::Done(error_result(
                    None,
                    None,
                    base,
                    ScimError::bad_request("invalidSyntax", "an operation is an object"),
                )),
            };
            match outcome {
                Step::Waiting => next.push(i),
                Step::Done(result) => {
                    progressed = true;
                    if let (Some(b), Some(id)) = (result.bulk_id.clone(), result.id.clone()) {
                        ids.insert(b, id);
                    }
                    if result.failed {
                        errors += 1;
                    }
                    results[i] = Some(result.json);
                    if fail_on_errors.is_some_and(|n| errors >= n) {
                        break 'passes;
                    }
                }
            }
        }
        if next.is_empty() || !progressed {
            for i in next {
                let op = operations[i].as_object();
                let detail =
                    "the operation references a bulkId that no operation of this request creates (or a cycle of them)";
                let result = error_result(
                    op,
                    op.and_then(|o| text(o, "bulkId")),
                    base,
                    ScimError::new(StatusCode::CONFLICT, Some("invalidValue"), detail),
                );
                results[i] = Some(result.json);
            }
            break;
        }
        pending = next;
    }
    Ok(json!({
        "schemas": [BULK_RESPONSE],
        "Operations": results.into_iter().flatten().collect::<Vec<_>>(),
    }))
}

struct StepResult {
    json: Value,
    bulk_id: Option<String>,
    id: Option<String>,
    failed: bool,
}

enum Step {
    /// References a bulkId not created yet.
    Waiting,
    Done(StepResult),
}

/// A failed operation's result. `location` is required except for a failed POST (RFC 7644 §3.7).
fn error_result(op: Option<&Map<String, Value>>, bulk_id: Option<&str>, base: &str, e: ScimError) -> StepResult {
    let mut json = json!({ "status": e.status.as_u16().to_string(), "response": e.body(false) });
    if let Some(op) = op {
        let method = text(op, "method").map(str::to_ascii_uppercase);
        if let (Some(m), Some(p)) = (&method, text(op, "path"))
            && m != "POST"
        {
            json["location"] = json!(format!("{base}/{}", p.trim_start_matches('/')));
        }
        if let Some(m) = method {
            json["method"] = json!(m);
        }
    }
    if let Some(b) = bulk_id {
        json["bulkId"] = json!(b);
    }
    StepResult { json, bulk_id: None, id: None, failed: true }
}

fn step(state: &AppState, op: &Map<String, Value>, ids: &HashMap<String, String>, base: &str) -> Step {
    let bulk_id = text(op, "bulkId").map(str::to_string);
    let fail = |e: ScimError| Step::Done(error_result(Some(op), bulk_id.as_deref(), base, e));
    let Some(method) = text(op, "method").map(str::to_ascii_uppercase) else {
        return fail(ScimError::bad_request("invalidSyntax", "an operation needs a `method`"));
    };
    let Some(path) = text(op, "path") else {
        return fail(ScimError::bad_request("invalidSyntax", "an operation needs a `path`"));
    };
    if method == "POST" && bulk_id.is_none() && state.behaviour().bulk_post_needs_bulk_id {
        return fail(ScimError::bad_request("invalidValue", "a POST operation needs a `bulkId` (RFC 7644 §3.7)"));
    }
    let mut unresolved = Vec::new();
    // `/Groups/bulkId:g`: each path segment may be a reference (RFC 7644 §3.7.2).
    let path_value = Value::String(
        path.split('/')
            .map(|segment| {
                let mut v = json!(segment);
                substitute(&mut v, ids, &mut unresolved);
                v.as_str().unwrap_or_default().to_string()
            })
            .collect::<Vec<_>>()
            .join("/"),
    );
    let mut data = get_ci(op, "data").map(|(_, v)| v.clone()).unwrap_or(Value::Null);
    substitute(&mut data, ids, &mut unresolved);
    if !unresolved.is_empty() {
        return Step::Waiting;
    }
    let path = path_value.as_str().unwrap_or_default();
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let kind = match parts.next() {
        Some("Users") => Kind::User,
        Some("Groups") => Kind::Group,
        _ => {
            return fail(ScimError::bad_request("invalidPath", format!("`{path}` is not /Users[/id] or /Groups[/id]")));
        }
    };
    let id = parts.next().filter(|s| !s.is_empty());
    let version = text(op, "version");
    let result = match (method.as_str(), id) {
        ("POST", None) => state.create(kind, &data, base).map(|r| (StatusCode::CREATED, Some(r))),
        ("PUT", Some(id)) => state.replace(kind, id, &data, version, base).map(|(r, _)| (StatusCode::OK, Some(r))),
        ("PATCH", Some(id)) => state
            .patch(kind, id, &data, version, base, super::service::Members::Shown)
            .map(|r| (StatusCode::OK, Some(r))),
        ("DELETE", Some(id)) => state.delete(kind, id, version).map(|()| (StatusCode::NO_CONTENT, None)),
        (m, _) => Err(ScimError::bad_request(
            "invalidSyntax",
            format!("`{m} {path}`: POST takes a resource-type path; PUT, PATCH and DELETE take a resource path"),
        )),
    };
    match result {
        Err(e) => fail(e),
        Ok((status, rendered)) => {
            let mut json = json!({ "method": method, "status": status.as_u16().to_string() });
            if let Some(b) = &bulk_id {
                json["bulkId"] = json!(b);
            }
            let mut created_id = None;
            match &rendered {
                Some(r) => {
                    json["location"] = json!(r.location);
                    json["version"] = json!(r.version);
                    created_id = r.json.get("id").and_then(Value::as_str).map(str::to_string);
                }
                None => {
                    json["location"] = json!(format!(
                        "{base}{}",
                        if path.starts_with('/') { path.to_string() } else { format!("/{path}") }
                    ))
                }
            }
            Step::Done(StepResult { json, bulk_id, id: created_id, failed: false })
        }
    }
}
