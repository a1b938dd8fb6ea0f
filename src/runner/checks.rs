//! Judging an answer against a step's expectations: status, headers, SCIM Error and ListResponse shapes,
//! conformance of a returned resource to the discovered schema, and JSON checks by pointer or SCIM path.
//! Each problem is a [`Problem`]: what it is about, what was expected and what came back.

use std::collections::BTreeMap;

use serde_json::Value;

use super::failure::{Problem, ProblemKind as K};
use crate::client::Exchange;
use crate::filter::{CompValue, EvalOptions, Filter, ParseOptions, Test, compile_value_filter, parse_path};
use crate::schema::{Attribute, AttributeType, ResourceSchema, ResourceType, Returned, get_ci, parse_schemas};
use crate::suite::{DeclaredRefusal, Expect, HeaderPredicate, JsonTarget, Predicate, Vars};
use crate::value::fits_type;

use crate::message::{ERROR, LIST_RESPONSE as LIST};

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 { format!("{}…", s.chars().take(200).collect::<String>()) } else { s }
}

/// What a body that is not JSON is instead: empty, an HTML page, or text that does not parse (and where).
pub fn not_json(exchange: &Exchange) -> String {
    let body = exchange.response_body.trim_start();
    let ct = exchange.header("content-type").map_or("no Content-Type".to_string(), |c| format!("`{c}`"));
    if body.is_empty() {
        return format!("an empty body ({ct})");
    }
    let excerpt: String = body.chars().take(80).collect::<String>().replace('\n', " ");
    if body.starts_with('<') {
        return format!("an HTML or XML page ({ct}): `{excerpt}…`");
    }
    match serde_json::from_str::<Value>(body) {
        Err(e) => format!("a body that is not JSON ({ct}; {e}): `{excerpt}`"),
        Ok(_) => format!("a JSON body ({ct})"),
    }
}

/// Every way the answer in `exchange` misses `expect`.
pub fn judge(expect: &Expect, exchange: &Exchange, vars: &Vars, schemas: &[ResourceSchema]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(status) = exchange.status else {
        return vec![Problem::new(
            K::Transport,
            "answer",
            "an answer",
            exchange.error.as_deref().unwrap_or("unknown error"),
        )];
    };
    if let Some(e) = &exchange.error {
        problems.push(Problem::new(K::Body, "body", "a complete answer", e.clone()));
    }
    // The step's other expectations are about the write succeeding: a refusal is judged on its own.
    if let Some(refusal) = &expect.refusal_needs_declaration
        && status == 400
    {
        problems.extend(undeclared_refusal(refusal, schemas));
        return problems;
    }
    if let Some(ms) = expect.within_ms
        && exchange.elapsed.as_millis() > u128::from(ms)
    {
        let took = format!("{} ms", exchange.elapsed.as_millis());
        problems.push(Problem::new(K::Status, "answer time", format!("within {ms} ms"), took));
    }
    // `429 Too Many Requests after 4 attempts`: a rate limit or an outage names itself.
    let got = {
        let reason = reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason());
        let mut got = status.to_string();
        if let Some(r) = reason.filter(|_| status == 429 || status >= 500 || (300..400).contains(&status)) {
            got.push_str(&format!(" {r}"));
        }
        if (300..400).contains(&status)
            && let Some(to) = exchange.header("location")
        {
            got.push_str(&format!(" to {to} (not followed: another origin)"));
        }
        if exchange.attempts > 1 {
            got.push_str(&format!(" after {} attempts", exchange.attempts));
        }
        if let Some(wait) = exchange.header("retry-after").filter(|_| status == 429 || status == 503) {
            got.push_str(&format!(" (Retry-After: {wait}; waits longer than 10 s are cut short)"));
        }
        got
    };
    if expect.status.is_empty() {
        if !(200..300).contains(&status) {
            problems.push(Problem::new(K::Status, "status", "a 2xx status", got));
        }
    } else if !expect.status.contains(&status) {
        let allowed: Vec<String> = expect.status.iter().map(u16::to_string).collect();
        problems.push(Problem::new(K::Status, "status", allowed.join(" or "), got));
    }
    for h in &expect.headers {
        let actual = exchange.header(&h.name);
        match (&h.predicate, actual) {
            (HeaderPredicate::Present(true), None) => {
                problems.push(Problem::new(K::Header, format!("header `{}`", h.name), "the header", "none"))
            }
            (HeaderPredicate::Present(false), Some(v)) => problems.push(Problem::new(
                K::Header,
                format!("header `{}`", h.name),
                "no such header",
                format!("`{v}`"),
            )),
            (HeaderPredicate::Equals(want), got) | (HeaderPredicate::Contains(want), got) => {
                let want = match vars.expand(want) {
                    Ok(w) => w,
                    Err(e) => {
                        problems.push(Problem::new(K::Suite, format!("header `{}`", h.name), "a value to compare", e));
                        continue;
                    }
                };
                let ok = match (&h.predicate, got) {
                    (HeaderPredicate::Equals(_), Some(g)) => g == want,
                    (HeaderPredicate::Contains(_), Some(g)) => {
                        g.to_ascii_lowercase().contains(&want.to_ascii_lowercase())
                    }
                    _ => false,
                };
                if !ok {
                    let how = if matches!(h.predicate, HeaderPredicate::Equals(_)) { "equal to" } else { "containing" };
                    problems.push(Problem::new(
                        K::Header,
                        format!("header `{}`", h.name),
                        format!("{how} `{want}`"),
                        got.map_or("none".into(), |g| format!("`{g}`")),
                    ));
                }
            }
            _ => {}
        }
    }
    let needs_body = expect.error.is_some() || expect.list || expect.resource.is_some() || !expect.json.is_empty();
    let body = exchange.json();
    if needs_body && body.is_none() {
        let shown = not_json(exchange);
        problems.push(Problem::new(K::Body, "body", "a JSON body", shown));
        return problems;
    }
    let body = body.unwrap_or(Value::Null);
    if let Some(scim_type) = &expect.error {
        problems.extend(error_problems(&body, status, scim_type.as_deref()));
    }
    if expect.list {
        problems.extend(list_problems(&body));
    }
    if !expect.schemas_declare.is_empty() {
        problems.extend(undeclared_attributes(&expect.schemas_declare, &body, schemas));
    }
    if let Some(kind) = &expect.resource {
        match schemas.iter().find(|s| s.resource_type.name.eq_ignore_ascii_case(kind) || s.matches(kind)) {
            Some(schema) => problems.extend(conformance(&body, schema)),
            None => problems.push(Problem::new(
                K::Schema,
                format!("no published `{kind}` resource type"),
                format!("a `{kind}` resource type in /ResourceTypes to check the body against"),
                "none",
            )),
        }
    }
    for check in &expect.json {
        // `subject` is the path as the suite writes it (the same in every run); `label` as it was read.
        let (subject, label, found) = match &check.target {
            JsonTarget::Pointer(p) => {
                let label = format!("pointer `{p}`");
                (label.clone(), label, body.pointer(p).cloned().into_iter().collect::<Vec<_>>())
            }
            JsonTarget::Path(p) => {
                let path = match vars.expand(p) {
                    Ok(p) => p,
                    Err(e) => {
                        problems.push(Problem::new(K::Suite, format!("path `{p}`"), "a path to read", e));
                        continue;
                    }
                };
                match select(&body, &path, schemas) {
                    Ok(v) => (format!("path `{p}`"), format!("path `{path}`"), v),
                    Err(e) => {
                        problems.push(Problem::new(K::Suite, format!("path `{path}`"), "a path to read", e));
                        continue;
                    }
                }
            }
        };
        let actual = match found.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many => Some(Value::Array(many.to_vec())),
        };
        let shown = actual.as_ref().map_or("nothing".to_string(), short);
        let problem = |expected: String, observed: String| Problem::new(K::Json, subject.clone(), expected, observed);
        let unresolved = |e: String| Problem::new(K::Suite, label.clone(), "a value to compare", e);
        let problem = match &check.predicate {
            Predicate::Present(want) => {
                let present = actual.as_ref().is_some_and(|v| !v.is_null());
                (present != *want)
                    .then(|| problem((if *want { "a value" } else { "nothing" }).to_string(), shown.clone()))
            }
            Predicate::Equals(want) => match vars.expand_json(want) {
                Err(e) => Some(unresolved(e)),
                Ok(want) => (!json_equal(actual.as_ref(), &want)).then(|| problem(short(&want), shown.clone())),
            },
            Predicate::NotEquals(other) => match vars.expand_json(other) {
                Err(e) => Some(unresolved(e)),
                Ok(other) => json_equal(actual.as_ref(), &other)
                    .then(|| problem(format!("a value other than {}", short(&other)), shown.clone())),
            },
            Predicate::Contains(want) => match vars.expand_json(want) {
                Err(e) => Some(unresolved(e)),
                Ok(want) => {
                    let holds = match &actual {
                        Some(Value::Array(items)) => items.iter().any(|i| json_equal(Some(i), &want)),
                        Some(Value::String(s)) => want.as_str().is_some_and(|w| s.contains(w)),
                        Some(other) => json_equal(Some(other), &want),
                        None => false,
                    };
                    (!holds).then(|| problem(format!("something containing {}", short(&want)), shown.clone()))
                }
            },
            Predicate::SameItems(want) => match vars.expand_json(want) {
                Err(e) => Some(unresolved(e)),
                Ok(Value::Array(want)) => {
                    // A path selects each value (`Resources.id`); a pointer, the array itself.
                    let got: Vec<Value> = match &actual {
                        Some(Value::Array(a)) if matches!(check.target, JsonTarget::Pointer(_)) => a.clone(),
                        _ => found.clone(),
                    };
                    item_differences(&got, &want).map(|differs| {
                        problem(format!("the same {} values in any order, none repeated", want.len()), differs)
                    })
                }
                Ok(other) => Some(unresolved(format!("same_items compares with an array, not {}", short(&other)))),
            },
            Predicate::Length(n) => {
                let len = match &actual {
                    Some(Value::Array(a)) if matches!(check.target, JsonTarget::Pointer(_)) => a.len(),
                    _ => found.len(),
                };
                (len != *n).then(|| problem(format!("{n} values"), format!("{len}: {shown}")))
            }
            Predicate::Type(t) => {
                let ok = match (t.as_str(), &actual) {
                    ("string", Some(Value::String(_))) => true,
                    ("number", Some(Value::Number(_))) => true,
                    ("integer", Some(Value::Number(n))) => n.is_i64() || n.is_u64(),
                    ("boolean", Some(Value::Bool(_))) => true,
                    ("array", Some(Value::Array(_))) => true,
                    ("object", Some(Value::Object(_))) => true,
                    ("null", Some(Value::Null)) => true,
                    _ => false,
                };
                (!ok).then(|| problem(format!("a JSON {t}"), shown.clone()))
            }
            Predicate::NotBefore(other) | Predicate::SameInstant(other) => match vars.expand_json(other) {
                Err(e) => Some(unresolved(e)),
                Ok(other) => {
                    let instant = |v: Option<&Value>| v.and_then(Value::as_str).and_then(crate::value::DateTime::parse);
                    let same = matches!(check.predicate, Predicate::SameInstant(_));
                    let holds = match (instant(actual.as_ref()), instant(Some(&other))) {
                        (Some(a), Some(b)) => {
                            if same {
                                a == b
                            } else {
                                a >= b
                            }
                        }
                        _ => false,
                    };
                    let want = if same { "the same instant as" } else { "an instant not before" };
                    (!holds).then(|| problem(format!("{want} {}", short(&other)), shown.clone()))
                }
            },
            Predicate::NotStartsWith(prefix) => match vars.expand_json(prefix) {
                Err(e) => Some(unresolved(e)),
                Ok(prefix) => {
                    let prefix = prefix.as_str().unwrap_or_default();
                    let holds = actual.as_ref().and_then(Value::as_str).is_some_and(|a| !a.starts_with(prefix));
                    (!holds).then(|| problem(format!("a string not starting with \"{prefix}\""), shown.clone()))
                }
            },
            Predicate::Between(least, most) => {
                let number = |v: Option<&Value>| v.and_then(Value::as_f64);
                let holds = match (number(actual.as_ref()), number(Some(least)), number(Some(most))) {
                    (Some(a), Some(l), Some(m)) => l <= a && a <= m,
                    _ => false,
                };
                (!holds).then(|| problem(format!("a number from {least} to {most}"), shown.clone()))
            }
            Predicate::OneOf(options) => {
                let options: Vec<Value> = options.iter().filter_map(|o| vars.expand_json(o).ok()).collect();
                // `null` among the options also allows nothing (as `absent` does).
                let allowed = |o: &Value| json_equal(actual.as_ref(), o) || (o.is_null() && actual.is_none());
                (!options.iter().any(allowed))
                    .then(|| problem(format!("one of {}", short(&Value::Array(options.clone()))), shown.clone()))
            }
        };
        problems.extend(problem);
    }
    problems
}

/// How `got` differs from `want` as multisets (`None`: the same values, each as many times): its length and
/// the first few values missing, repeated or not wanted.
fn item_differences(got: &[Value], want: &[Value]) -> Option<String> {
    let key = |v: &Value| v.to_string();
    let mut wanted: BTreeMap<String, usize> = BTreeMap::new();
    for w in want {
        *wanted.entry(key(w)).or_default() += 1;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for g in got {
        *seen.entry(key(g)).or_default() += 1;
    }
    if seen == wanted {
        return None;
    }
    let few = |keys: Vec<&String>| {
        let n = keys.len();
        let shown: Vec<&str> = keys.iter().take(3).map(|k| k.as_str()).collect();
        format!("{n} ({}{})", shown.join(", "), if n > 3 { ", …" } else { "" })
    };
    let missing: Vec<&String> = wanted.keys().filter(|k| !seen.contains_key(*k)).collect();
    let repeated: Vec<&String> =
        seen.iter().filter(|(k, n)| **n > wanted.get(*k).copied().unwrap_or(1)).map(|(k, _)| k).collect();
    let unwanted: Vec<&String> = seen.keys().filter(|k| !wanted.contains_key(*k)).collect();
    let mut parts = vec![format!("{} values", got.len())];
    for (what, keys) in [("missing", missing), ("repeated", repeated), ("not expected", unwanted)] {
        if !keys.is_empty() {
            parts.push(format!("{what}: {}", few(keys)));
        }
    }
    Some(parts.join("; "))
}

/// What a `(resource type, SCIM path)` names in `schemas`: the innermost definition, the attribute the
/// path starts with, and the path's value filter.
fn declared<'a>(
    schemas: &'a [ResourceSchema],
    resource: &str,
    path: &str,
) -> Result<(&'a Attribute, &'a Attribute, Option<Filter>), String> {
    let schema =
        schemas.iter().find(|s| s.matches(resource)).ok_or_else(|| format!("no `{resource}` resource type"))?;
    let parsed = parse_path(path, &ParseOptions::default()).map_err(|e| e.render(path))?;
    let a = &parsed.attr;
    let sub = parsed.sub_attr.as_deref().or(a.sub_attr.as_deref());
    let resolved = schema.resolve(a.uri.as_deref(), &a.name, sub).map_err(|e| e.to_string())?;
    Ok((resolved.target(), resolved.attribute, parsed.filter))
}

/// What `/Schemas` (the answer `body`; the resource types as discovered) leaves out of `wanted`: each
/// attribute must resolve, names compared case-insensitively, and each `sub eq "x"` of its value filter
/// must name a declared sub-attribute whose canonical values, if it declares any, hold `x` (Entra's
/// Schema_Discoverability_Test flattens /Schemas this way and fails a mapped attribute it does not find).
pub fn undeclared_attributes(wanted: &[(String, String)], body: &Value, discovered: &[ResourceSchema]) -> Vec<Problem> {
    let (served, _) = parse_schemas(body);
    let types: Vec<ResourceType> = discovered.iter().map(|s| s.resource_type.clone()).collect();
    let (assembled, _) = ResourceSchema::assemble(&types, &served);
    let mut missing = Vec::new();
    for (resource, path) in wanted {
        let why = match declared(&assembled, resource, path) {
            Err(e) => Some(e),
            Ok((_, parent, filter)) => filter.and_then(|f| filter_undeclared(&f, parent)),
        };
        if let Some(why) = why {
            missing.push(format!("{resource}:{path} ({why})"));
        }
    }
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Problem::new(
        K::Json,
        "/Schemas: the attributes the identity provider maps",
        "each one declared",
        format!("not declared: {}", missing.join("; ")),
    )]
}

/// Why a value filter's comparisons name something `attr` does not declare, if they do.
fn filter_undeclared(filter: &Filter, attr: &Attribute) -> Option<String> {
    match filter {
        Filter::Attr { path, test } => {
            let Some(sub) = attr.sub_attribute(&path.name) else {
                return Some(format!("`{}` has no sub-attribute `{}`", attr.name, path.name));
            };
            match test {
                Test::Compare(_, CompValue::String(v))
                    if !sub.canonical_values.is_empty()
                        && !sub.canonical_values.iter().any(|c| c.eq_ignore_ascii_case(v)) =>
                {
                    Some(format!(
                        "`{}.{}` declares the canonical values {:?}, without `{v}`",
                        attr.name, sub.name, sub.canonical_values
                    ))
                }
                _ => None,
            }
        }
        Filter::And(terms) | Filter::Or(terms) => terms.iter().find_map(|t| filter_undeclared(t, attr)),
        Filter::Not(inner) => filter_undeclared(inner, attr),
        Filter::ValuePath { .. } => None,
    }
}

/// A 400 to a write of `refusal.value` passes when the discovered schema declares canonical values for the
/// attribute that leave the value out: a server that enforces canonical values declares them (Entra E-Q35:
/// "is not one of the canonical values" is the most frequent gallery failure).
fn undeclared_refusal(refusal: &DeclaredRefusal, schemas: &[ResourceSchema]) -> Vec<Problem> {
    let DeclaredRefusal { resource, path, value } = refusal;
    let canonical = declared(schemas, resource, path).map(|(a, ..)| a.canonical_values.clone()).unwrap_or_default();
    if !canonical.is_empty() && !canonical.contains(value) {
        return Vec::new();
    }
    let declares = if canonical.is_empty() {
        format!("/Schemas declares no canonicalValues for `{path}`")
    } else {
        format!("/Schemas declares `{value}` among the canonicalValues of `{path}`")
    };
    vec![Problem::new(
        K::Status,
        "status",
        format!("200 or 204; a 400 only where /Schemas declares canonicalValues for `{path}` that leave the value out"),
        format!("400 to `{value}`, yet {declares}"),
    )]
}

/// JSON equality with numbers compared by value (1 equals 1.0).
fn json_equal(actual: Option<&Value>, want: &Value) -> bool {
    match (actual, want) {
        (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

/// Whether the message's `schemas` array lists `urn`.
fn lists_schema(o: &serde_json::Map<String, Value>, urn: &str) -> bool {
    get_ci(o, "schemas").and_then(|(_, v)| v.as_array()).is_some_and(|a| a.iter().any(|u| u.as_str() == Some(urn)))
}

/// RFC 7644 §3.12: the Error schema, `status` the HTTP status as a string, `scimType` if asked for.
pub fn error_problems(body: &Value, status: u16, scim_type: Option<&str>) -> Vec<Problem> {
    const RFC: &str = "(RFC 7644 §3.12)";
    let mut problems = Vec::new();
    let Value::Object(o) = body else {
        return vec![Problem::new(
            K::ErrorEnvelope,
            format!("SCIM Error body {RFC}"),
            "a SCIM Error object",
            short(body),
        )];
    };
    if !lists_schema(o, ERROR) {
        let listed = get_ci(o, "schemas").map_or("none".to_string(), |(_, v)| short(v));
        problems.push(Problem::new(
            K::ErrorEnvelope,
            format!("Error `schemas` {RFC}"),
            format!("to list {ERROR}"),
            listed,
        ));
    }
    let subject = format!("Error `status` {RFC}");
    match get_ci(o, "status").map(|(_, v)| v) {
        Some(Value::String(s)) if s == &status.to_string() => {}
        Some(Value::String(s)) => {
            problems.push(Problem::new(K::ErrorEnvelope, subject, format!("\"{status}\""), format!("\"{s}\"")))
        }
        Some(Value::Number(n)) => problems.push(Problem::new(
            K::ErrorEnvelope,
            format!("Error `status` is a number, not a string {RFC}"),
            format!("the string \"{status}\""),
            format!("the number {n}"),
        )),
        Some(other) => problems.push(Problem::new(K::ErrorEnvelope, subject, format!("\"{status}\""), short(other))),
        None => problems.push(Problem::new(K::ErrorEnvelope, subject, format!("\"{status}\""), "none")),
    }
    if let Some(want) = scim_type {
        match get_ci(o, "scimType").map(|(_, v)| v) {
            Some(Value::String(t)) if t == want => {}
            Some(v) => problems.push(Problem::new(K::Json, "`scimType`", format!("`{want}`"), short(v))),
            None => problems.push(Problem::new(K::Json, "`scimType`", format!("`{want}`"), "none")),
        }
    }
    if let Some((_, d)) = get_ci(o, "detail")
        && !d.is_string()
    {
        problems.push(Problem::new(K::ErrorEnvelope, format!("Error `detail` {RFC}"), "a string", short(d)));
    }
    problems
}

/// RFC 7644 §3.4.2: the ListResponse envelope.
pub fn list_problems(body: &Value) -> Vec<Problem> {
    const RFC: &str = "(RFC 7644 §3.4.2)";
    let problem = |what: &str, expected: String, observed: String| {
        Problem::new(K::ListEnvelope, format!("ListResponse {what} {RFC}"), expected, observed)
    };
    let mut problems = Vec::new();
    let Value::Object(o) = body else {
        return vec![problem("body", "a ListResponse object".into(), short(body))];
    };
    if !lists_schema(o, LIST) {
        let listed = get_ci(o, "schemas").map_or("none".to_string(), |(_, v)| short(v));
        problems.push(problem("`schemas`", format!("to list {LIST}"), listed));
    }
    let shown = |k: &str| get_ci(o, k).map_or("none".to_string(), |(_, v)| short(v));
    let integer = |k: &str| get_ci(o, k).map(|(_, v)| v.is_u64());
    match integer("totalResults") {
        Some(true) => {}
        Some(false) => problems.push(problem("`totalResults`", "a non-negative integer".into(), shown("totalResults"))),
        None => problems.push(problem("`totalResults`", "`totalResults` (REQUIRED)".into(), "none".into())),
    }
    for k in ["startIndex", "itemsPerPage"] {
        if integer(k) == Some(false) {
            problems.push(problem(&format!("`{k}`"), "an integer".into(), shown(k)));
        }
    }
    let total = get_ci(o, "totalResults").and_then(|(_, v)| v.as_u64()).unwrap_or(0);
    match o.get("Resources") {
        Some(Value::Array(items)) => {
            if let Some(n) = get_ci(o, "itemsPerPage").and_then(|(_, v)| v.as_u64())
                && n as usize != items.len()
            {
                problems.push(problem(
                    "`itemsPerPage` is not the number of `Resources` returned",
                    format!("{} (the number of `Resources`)", items.len()),
                    n.to_string(),
                ));
            }
        }
        Some(other) => problems.push(problem("`Resources`", "an array".into(), short(other))),
        None if total > 0 => {
            problems.push(problem("`Resources`", "`Resources` (capital R) when totalResults > 0".into(), "none".into()))
        }
        None => {}
    }
    problems
}

/// A returned resource against its schema: `schemas`, `id`, `meta`, attribute types and multi-valuedness,
/// `returned: never` attributes absent, extensions listed in `schemas` when present.
pub fn conformance(body: &Value, schema: &ResourceSchema) -> Vec<Problem> {
    let kind = &schema.resource_type.name;
    let mut problems = Vec::new();
    let Value::Object(o) = body else {
        return vec![Problem::new(K::Schema, format!("{kind} body"), format!("a {kind} object"), short(body))];
    };
    let listed: Vec<&str> = get_ci(o, "schemas")
        .and_then(|(_, v)| v.as_array())
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !listed.iter().any(|s| s.eq_ignore_ascii_case(&schema.core.id)) {
        problems.push(Problem::new(
            K::Schema,
            format!("{kind} `schemas` does not list the core schema (RFC 7643 §3)"),
            format!("to list {}", schema.core.id),
            format!("{listed:?}"),
        ));
    }
    match get_ci(o, "id").map(|(_, v)| v) {
        Some(Value::String(s)) if !s.is_empty() && s != "bulkId" => {}
        Some(v) => problems.push(Problem::new(
            K::Schema,
            format!("{kind} `id` (RFC 7643 §3.1)"),
            "a non-empty string",
            short(v),
        )),
        None => problems.push(Problem::new(K::Schema, format!("{kind} `id` (RFC 7643 §3.1)"), "an `id`", "none")),
    }
    for (key, value) in o {
        if let Some(ext) = schema.extension(key) {
            if !listed.iter().any(|s| s.eq_ignore_ascii_case(&ext.id)) {
                problems.push(Problem::new(
                    K::Schema,
                    format!("extension data whose URN `schemas` does not list (RFC 7643 §3): {}", ext.id),
                    format!("`schemas` to list {}", ext.id),
                    format!("{listed:?}"),
                ));
            }
            if let Value::Object(inner) = value {
                for (k, v) in inner {
                    if let Some(a) = ext.attribute(k) {
                        attribute_problems(a, &format!("{}:{k}", ext.id), v, &mut problems);
                    }
                }
            }
            continue;
        }
        if let Ok(r) = schema.resolve(None, key, None) {
            attribute_problems(r.attribute, key, value, &mut problems);
        }
    }
    problems
}

fn attribute_problems(attr: &crate::schema::Attribute, label: &str, value: &Value, problems: &mut Vec<Problem>) {
    let mut push = |subject: String, expected: String, observed: String| {
        problems.push(Problem::new(K::Schema, subject, expected, observed))
    };
    if attr.returned == Returned::Never && !value.is_null() {
        push(
            format!("`{label}` is returned: never, but the answer holds it (RFC 7643 §2.2)"),
            "no value".into(),
            short(value),
        );
        return;
    }
    if value.is_null() {
        return;
    }
    let values: Vec<&Value> = match (attr.multi_valued, value) {
        (true, Value::Array(items)) => items.iter().collect(),
        (true, other) => {
            push(format!("`{label}` is multi-valued (RFC 7643 §2.4)"), "an array".into(), short(other));
            return;
        }
        (false, Value::Array(_)) => {
            push(format!("`{label}` is single-valued (RFC 7643 §2.4)"), "one value".into(), "an array".into());
            return;
        }
        (false, v) => vec![v],
    };
    let mut primaries = 0;
    for v in values {
        if attr.ty == AttributeType::Complex {
            let Value::Object(o) = v else {
                push(format!("`{label}` is complex (RFC 7643 §2.3.8)"), "an object".into(), short(v));
                continue;
            };
            if o.get("primary") == Some(&Value::Bool(true)) {
                primaries += 1;
            }
            for (k, sv) in o {
                if let Some(sub) = attr.sub_attribute(k) {
                    if sv.is_null() {
                        continue;
                    }
                    if sub.returned == Returned::Never {
                        push(
                            format!("`{label}.{k}` is returned: never, but the answer holds it (RFC 7643 §2.2)"),
                            "no value".into(),
                            short(sv),
                        );
                    } else if !fits_type(sub.ty, sv) {
                        push(
                            format!("`{label}.{k}` has the wrong type (RFC 7643 §2.3)"),
                            format!("{} {}", article(sub.ty), sub.ty),
                            short(sv),
                        );
                    }
                }
            }
        } else if !fits_type(attr.ty, v) {
            push(
                format!("`{label}` has the wrong type (RFC 7643 §2.3)"),
                format!("{} {}", article(attr.ty), attr.ty),
                short(v),
            );
        }
    }
    if primaries > 1 {
        push(
            format!("`{label}` has more than one value with primary: true (RFC 7643 §2.4)"),
            "at most one".into(),
            primaries.to_string(),
        );
    }
}

fn article(ty: AttributeType) -> &'static str {
    if ty == AttributeType::Integer { "an" } else { "a" }
}

/// The values a SCIM path selects in `body` (`emails[type eq "work"].value`, `name.givenName`,
/// `urn:…:User:department`), using the schema that defines its attribute for value filters.
pub fn select(body: &Value, path: &str, schemas: &[ResourceSchema]) -> Result<Vec<Value>, String> {
    let parsed = parse_path(path, &ParseOptions::default()).map_err(|e| e.render(path))?;
    let Value::Object(root) = body else { return Ok(Vec::new()) };
    let a = &parsed.attr;
    let container = match &a.uri {
        Some(uri) => {
            let full = format!("{uri}:{}", a.name);
            if let Some((_, ext)) = get_ci(root, &full) {
                return Ok(vec![ext.clone()]);
            }
            match get_ci(root, uri) {
                Some((_, Value::Object(ext))) => ext,
                _ if schemas.iter().any(|s| s.core.id.eq_ignore_ascii_case(uri)) => root,
                _ => return Ok(Vec::new()),
            }
        }
        None => root,
    };
    let Some((_, value)) = get_ci(container, &a.name) else { return Ok(Vec::new()) };
    let mut values: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        v => vec![v.clone()],
    };
    if let Some(filter) = &parsed.filter {
        let attr = schemas
            .iter()
            .find_map(|s| s.resolve(a.uri.as_deref(), &a.name, None).ok().map(|r| r.attribute.clone()))
            .ok_or_else(|| format!("no published schema defines `{}` to read its filter against", a.name))?;
        let compiled = compile_value_filter(filter, &attr, &EvalOptions::default()).map_err(|e| e.message)?;
        values.retain(|v| compiled.matches(v));
    }
    let sub = parsed.sub_attr.as_deref().or(if parsed.filter.is_none() { a.sub_attr.as_deref() } else { None });
    if let Some(sub) = sub {
        values = values
            .iter()
            .filter_map(|v| v.as_object().and_then(|o| get_ci(o, sub)).map(|(_, s)| s.clone()))
            .flat_map(|v| match v {
                Value::Array(items) => items,
                v => vec![v],
            })
            .collect();
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::schema::{builtin_resource_types, builtin_schema_documents};
    use crate::suite::{DeclaredRefusal, JsonCheck};

    fn answer(status: u16, body: Value, elapsed_ms: u64) -> Exchange {
        Exchange {
            status: Some(status),
            response_body: body.to_string(),
            elapsed: Duration::from_millis(elapsed_ms),
            ..Exchange::request("GET", "http://x/v2/Schemas", Vec::new(), None)
        }
    }

    fn declares(paths: &[&str]) -> Expect {
        let schemas_declare = paths
            .iter()
            .map(|p| {
                let (r, path) = p.split_once(':').unwrap();
                (r.to_string(), path.to_string())
            })
            .collect();
        Expect { schemas_declare, ..Expect::default() }
    }

    #[test]
    fn schemas_declare_resolves_each_path_case_insensitively_with_its_type_filter() {
        let served = json!({ "Resources": builtin_schema_documents() });
        let types = builtin_resource_types();
        let wanted = [
            "User:USERNAME",
            "User:emails[type eq \"work\"].value",
            "User:phoneNumbers[type eq \"fax\"].value",
            "User:addresses[type eq \"work\"].postalCode",
            "User:urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "Group:members",
        ];
        let ok = judge(&declares(&wanted), &answer(200, served.clone(), 5), &Vars::default(), types);
        assert!(ok.is_empty(), "{ok:?}");

        // An attribute left out, an unknown sub-attribute, a type outside the declared canonical values.
        let mut docs = builtin_schema_documents();
        for d in docs.iter_mut().filter(|d| d["id"] == crate::schema::USER) {
            d["attributes"].as_array_mut().unwrap().retain(|a| a["name"] != "preferredLanguage");
        }
        let wanted =
            ["User:preferredLanguage", "User:emails[kind eq \"work\"].value", "User:emails[type eq \"office\"].value"];
        let problems =
            judge(&declares(&wanted), &answer(200, json!({ "Resources": docs }), 5), &Vars::default(), types);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let observed = &problems[0].observed;
        for path in wanted {
            assert!(observed.contains(path), "{path} in {observed}");
        }
        assert!(observed.contains("without `office`"), "{observed}");
    }

    #[test]
    fn a_refusal_passes_only_where_the_schema_declares_canonical_values_leaving_the_value_out() {
        let refusal =
            DeclaredRefusal { resource: "User".into(), path: "preferredLanguage".into(), value: "en-US".into() };
        let expect = Expect { status: vec![200, 204], refusal_needs_declaration: Some(refusal), ..Expect::default() };
        let refused = answer(400, json!({ "status": "400", "detail": "is not one of the canonical values" }), 5);
        let undeclared = judge(&expect, &refused, &Vars::default(), builtin_resource_types());
        assert_eq!(undeclared.len(), 1, "{undeclared:?}");
        assert!(undeclared[0].observed.contains("declares no canonicalValues"), "{undeclared:?}");

        let mut declared = builtin_resource_types().to_vec();
        for s in declared.iter_mut().filter(|s| s.matches("User")) {
            for a in s.core.attributes.iter_mut().filter(|a| a.name == "preferredLanguage") {
                a.canonical_values = vec!["en".into(), "fr".into()];
            }
        }
        assert!(judge(&expect, &refused, &Vars::default(), &declared).is_empty());
        // Accepting the value is always right.
        assert!(judge(&expect, &answer(204, Value::Null, 5), &Vars::default(), builtin_resource_types()).is_empty());
    }

    #[test]
    fn within_ms_fails_a_slower_answer() {
        let expect = Expect { within_ms: Some(600), ..Expect::default() };
        assert!(judge(&expect, &answer(200, json!({}), 100), &Vars::default(), &[]).is_empty());
        let slow = judge(&expect, &answer(200, json!({}), 700), &Vars::default(), &[]);
        assert_eq!(slow.len(), 1, "{slow:?}");
        assert_eq!((slow[0].expected.as_str(), slow[0].observed.as_str()), ("within 600 ms", "700 ms"));
    }

    #[test]
    fn not_starts_with_tells_a_tenants_user_from_one_this_run_created() {
        let vars = Vars { run: "scimtest-abc".into(), ..Vars::default() };
        let check = JsonCheck {
            target: JsonTarget::Pointer("/userName".into()),
            predicate: Predicate::NotStartsWith(json!("${run}")),
        };
        let expect = Expect { json: vec![check], ..Expect::default() };
        let judged = |user_name: Value| judge(&expect, &answer(200, json!({ "userName": user_name }), 1), &vars, &[]);
        assert!(judged(json!("barbara@example.com")).is_empty());
        let ours = judged(json!("scimtest-abc-s1-babs"));
        assert_eq!(ours.len(), 1, "{ours:?}");
        assert_eq!(ours[0].expected, "a string not starting with \"scimtest-abc\"");
        assert_eq!(judged(json!(7)).len(), 1, "not a string: fails");
    }
}

#[cfg(test)]
mod same_items_tests {
    use serde_json::json;

    use super::*;
    use crate::suite::JsonCheck;

    fn same_items(body: Value, want: Value) -> Vec<Problem> {
        let mut vars = Vars::default();
        vars.captures.insert("ids".into(), want);
        let check = JsonCheck {
            target: JsonTarget::Path("Resources.id".into()),
            predicate: Predicate::SameItems(json!("${ids}")),
        };
        let expect = Expect { json: vec![check], ..Expect::default() };
        let exchange = Exchange {
            status: Some(200),
            response_body: body.to_string(),
            ..Exchange::request("GET", "http://x/v2/Users", Vec::new(), None)
        };
        judge(&expect, &exchange, &vars, &[])
    }

    #[test]
    fn same_items_holds_in_any_order_and_names_what_is_missing_repeated_or_extra() {
        let listed = |ids: &[&str]| json!({ "Resources": ids.iter().map(|i| json!({ "id": i })).collect::<Vec<_>>() });
        assert!(same_items(listed(&["b", "a", "c"]), json!(["a", "b", "c"])).is_empty());
        let problems = same_items(listed(&["a", "a", "d"]), json!(["a", "b", "c"]));
        let observed = &problems[0].observed;
        assert!(
            observed.contains("3 values")
                && observed.contains("missing: 2")
                && observed.contains("repeated: 1")
                && observed.contains("not expected: 1 (\"d\")"),
            "{observed}"
        );
    }
}
