//! A canonical form of a resource, so that two representations of the same resource compare equal:
//! attribute names in their schema spelling, unassigned values dropped, dateTimes in UTC, multi-valued
//! attributes as sorted sets, and server-assigned values left out where the caller asks.

use serde_json::{Map, Value};

use super::{DateTime, is_unassigned};
use crate::schema::{Attribute, AttributeType, ResourceSchema, get_ci, split_urn};

/// What to leave out of the canonical form.
#[derive(Debug, Clone, Default)]
pub struct CanonicalOptions {
    /// Attribute paths to drop: `meta`, `id`, `members.display`, `urn:…:User:manager.displayName`.
    pub ignore: Vec<String>,
    /// Lower-case the values of `caseExact: false` string attributes, for comparisons that accept a
    /// server changing their case (RFC 7643 §2.2 allows it; Entra's round-trip check does not).
    pub fold_case: bool,
}

impl CanonicalOptions {
    /// Leaves out what a server assigns: `id` and `meta`.
    pub fn ignoring_server_assigned() -> Self {
        CanonicalOptions { ignore: vec!["id".into(), "meta".into()], fold_case: false }
    }

    /// Adds paths to leave out.
    pub fn ignore(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.ignore.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Whether `[container:]attr[.sub]` is ignored; a path qualified with the core schema URN `core`
    /// names a top-level attribute.
    fn ignored(&self, core: &str, container: Option<&str>, attr: &str, sub: Option<&str>) -> bool {
        self.ignore.iter().any(|p| {
            let (uri, rest) = split_urn(p);
            let (name, psub) = match rest.split_once('.') {
                Some((n, s)) => (n, Some(s)),
                None => (rest, None),
            };
            let same_container = match (uri, container) {
                (None, _) => true,
                (Some(u), Some(c)) => u.eq_ignore_ascii_case(c),
                (Some(u), None) => u.eq_ignore_ascii_case(core),
            };
            same_container
                && name.eq_ignore_ascii_case(attr)
                && match (psub, sub) {
                    (None, _) => true,
                    (Some(ps), Some(s)) => ps.eq_ignore_ascii_case(s),
                    (Some(_), None) => false,
                }
        })
    }
}

/// The canonical form of `resource` under `schema`. Unknown attributes are kept with their values
/// canonicalised generically, so a difference in them still shows.
pub fn canonicalize(resource: &Value, schema: &ResourceSchema, options: &CanonicalOptions) -> Value {
    let Value::Object(object) = resource else {
        return resource.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        if let Some(ext) = schema.extension(key) {
            let Value::Object(inner) = value else {
                out.insert(ext.id.clone(), generic(value));
                continue;
            };
            let mut ext_out = Map::new();
            for (k, v) in inner {
                let attr = ext.attribute(k);
                let name = attr.map_or(k.as_str(), |a| a.name.as_str());
                if options.ignored(&schema.core.id, Some(&ext.id), name, None) {
                    continue;
                }
                insert(&mut ext_out, name, canonical_value(attr, v, &schema.core.id, Some(&ext.id), name, options));
            }
            if !ext_out.is_empty() {
                out.insert(ext.id.clone(), Value::Object(ext_out));
            }
            continue;
        }
        let attr = schema.resolve(None, key, None).ok().map(|r| r.attribute);
        let name = attr.map_or(key.as_str(), |a| a.name.as_str());
        if options.ignored(&schema.core.id, None, name, None) {
            continue;
        }
        let value = if name == "schemas" {
            canonical_schemas(value, schema)
        } else {
            canonical_value(attr, value, &schema.core.id, None, name, options)
        };
        insert(&mut out, name, value);
    }
    sort_keys(out)
}

fn insert(out: &mut Map<String, Value>, name: &str, value: Value) {
    if !is_unassigned(&value) {
        out.insert(name.to_string(), value);
    }
}

fn sort_keys(map: Map<String, Value>) -> Value {
    let mut entries: Vec<_> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(entries.into_iter().collect())
}

fn canonical_schemas(value: &Value, schema: &ResourceSchema) -> Value {
    let Value::Array(list) = value else { return generic(value) };
    let mut ids: Vec<Value> = list
        .iter()
        .map(|v| match v {
            Value::String(s) => {
                Value::String(schema.schema_ids().find(|id| id.eq_ignore_ascii_case(s)).unwrap_or(s).to_string())
            }
            other => generic(other),
        })
        .collect();
    sort_dedup(&mut ids);
    Value::Array(ids)
}

fn sort_dedup(values: &mut Vec<Value>) {
    values.sort_by_cached_key(|v| v.to_string());
    values.dedup();
}

fn canonical_value(
    attr: Option<&Attribute>,
    value: &Value,
    core: &str,
    container: Option<&str>,
    name: &str,
    options: &CanonicalOptions,
) -> Value {
    let Some(attr) = attr else { return generic(value) };
    match value {
        Value::Array(items) if attr.multi_valued => {
            let mut out: Vec<Value> = items
                .iter()
                .map(|v| single(attr, v, core, container, name, options))
                .filter(|v| !is_unassigned(v))
                .collect();
            sort_dedup(&mut out);
            Value::Array(out)
        }
        v => single(attr, v, core, container, name, options),
    }
}

fn single(
    attr: &Attribute,
    value: &Value,
    core: &str,
    container: Option<&str>,
    name: &str,
    options: &CanonicalOptions,
) -> Value {
    match (attr.ty, value) {
        (AttributeType::Complex, Value::Object(o)) => {
            let mut out = Map::new();
            for (k, v) in o {
                let sub = attr.sub_attribute(k);
                let sub_name = sub.map_or(k.as_str(), |s| s.name.as_str());
                // `primary: false` and an absent `primary` mean the same (RFC 7643 §2.4).
                if options.ignored(core, container, name, Some(sub_name))
                    || (sub_name == "primary" && *v == Value::Bool(false))
                {
                    continue;
                }
                let v = match sub {
                    Some(s) => single(s, v, core, container, name, options),
                    None => generic(v),
                };
                insert(&mut out, sub_name, v);
            }
            sort_keys(out)
        }
        (AttributeType::DateTime, Value::String(s)) => {
            DateTime::parse(s).map_or_else(|| value.clone(), |d| Value::String(d.to_string()))
        }
        (AttributeType::String | AttributeType::Reference, Value::String(s))
            if options.fold_case && !attr.case_exact =>
        {
            Value::String(s.to_lowercase())
        }
        (AttributeType::Decimal, Value::Number(n)) => {
            n.as_f64().and_then(serde_json::Number::from_f64).map_or_else(|| value.clone(), Value::Number)
        }
        _ => generic(value),
    }
}

/// Canonical form without a schema: keys sorted, unassigned values dropped.
fn generic(value: &Value) -> Value {
    match value {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                insert(&mut out, k, generic(v));
            }
            sort_keys(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(generic).filter(|v| !is_unassigned(v)).collect()),
        v => v.clone(),
    }
}

/// The differences between two (canonical) JSON values, one line each, as `path: left → right`.
pub fn diff(left: &Value, right: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into("", left, right, &mut out);
    out
}

fn diff_into(path: &str, left: &Value, right: &Value, out: &mut Vec<String>) {
    let at = if path.is_empty() { "(root)" } else { path };
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            for (k, lv) in l {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match get_ci(r, k) {
                    Some((_, rv)) => diff_into(&p, lv, rv, out),
                    None => out.push(format!("{p}: {lv} → (absent)")),
                }
            }
            for (k, rv) in r {
                if get_ci(l, k).is_none() {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    out.push(format!("{p}: (absent) → {rv}"));
                }
            }
        }
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            for (i, (lv, rv)) in l.iter().zip(r).enumerate() {
                diff_into(&format!("{path}[{i}]"), lv, rv, out);
            }
        }
        (l, r) if l != r => out.push(format!("{at}: {l} → {r}")),
        _ => {}
    }
}
