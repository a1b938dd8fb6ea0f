//! `attributes` and `excludedAttributes` (RFC 7644 §3.9), and the `returned` characteristic (RFC 7643
//! §2.2): what of a resource goes into an answer.

use serde_json::{Map, Value};

use crate::schema::{ResourceSchema, Returned, get_ci, split_urn};

/// One requested path, resolved: the container (extension URN or top level), the attribute, the sub.
#[derive(Debug, Clone, PartialEq)]
struct Wanted {
    container: Option<String>,
    attr: Option<String>,
    sub: Option<String>,
}

fn resolve(schema: &ResourceSchema, path: &str) -> Option<Wanted> {
    let path = path.trim();
    if let Some(ext) = schema.extension(path) {
        return Some(Wanted { container: Some(ext.id.clone()), attr: None, sub: None });
    }
    let (uri, rest) = split_urn(path);
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n, Some(s)),
        None => (rest, None),
    };
    let r = schema.resolve(uri, name, sub).ok()?;
    Some(Wanted {
        container: r.owner.container().map(str::to_string),
        attr: Some(r.attribute.name.clone()),
        sub: r.sub_attribute.map(|s| s.name.clone()),
    })
}

fn returned(schema: &ResourceSchema, container: Option<&str>, name: &str) -> Returned {
    let attr = match container {
        Some(urn) => schema.extension(urn).and_then(|e| e.attribute(name)),
        None => schema.resolve(None, name, None).ok().map(|r| r.attribute),
    };
    attr.map_or(Returned::Default, |a| a.returned)
}

/// Applies `returned`, `attributes` and `excludedAttributes` to a resource representation.
pub fn project(
    json: &mut Value,
    schema: &ResourceSchema,
    attributes: &[String],
    excluded: &[String],
    keep_never: bool,
) {
    let Value::Object(object) = json else { return };
    let wanted: Vec<Wanted> = attributes.iter().filter_map(|p| resolve(schema, p)).collect();
    let unwanted: Vec<Wanted> = excluded.iter().filter_map(|p| resolve(schema, p)).collect();
    let keep = |container: Option<&str>, name: &str, object_value: &mut Value| -> bool {
        let returned = returned(schema, container, name);
        if returned == Returned::Never && !keep_never {
            return false;
        }
        if returned == Returned::Always {
            return true;
        }
        let same = |w: &Wanted| {
            w.container.as_deref().map(str::to_ascii_lowercase) == container.map(str::to_ascii_lowercase)
                && w.attr.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name))
        };
        if !wanted.is_empty() {
            let whole = wanted.iter().any(|w| same(w) && w.sub.is_none())
                || wanted
                    .iter()
                    .any(|w| w.attr.is_none() && container.is_some() && w.container.as_deref() == container);
            if !whole {
                let subs: Vec<&str> = wanted.iter().filter(|w| same(w)).filter_map(|w| w.sub.as_deref()).collect();
                if subs.is_empty() {
                    return false;
                }
                keep_subs(object_value, &subs);
            }
        } else if returned == Returned::Request {
            return false;
        }
        if unwanted.iter().any(|w| same(w) && w.sub.is_none()) {
            return false;
        }
        let excluded_subs: Vec<&str> = unwanted.iter().filter(|w| same(w)).filter_map(|w| w.sub.as_deref()).collect();
        drop_subs(object_value, &excluded_subs);
        true
    };
    let keys: Vec<String> = object.keys().cloned().collect();
    for key in keys {
        if let Some(ext) = schema.extension(&key) {
            if unwanted.iter().any(|w| w.attr.is_none() && w.container.as_deref() == Some(ext.id.as_str())) {
                object.shift_remove(&key);
                continue;
            }
            if let Some(Value::Object(inner)) = object.get_mut(&key) {
                let inner_keys: Vec<String> = inner.keys().cloned().collect();
                for k in inner_keys {
                    let v = inner.get_mut(&k).expect("key exists");
                    if !keep(Some(&ext.id), &k, v) {
                        inner.shift_remove(&k);
                    }
                }
                if inner.is_empty() {
                    object.shift_remove(&key);
                    if let Some(Value::Array(s)) = object.get_mut("schemas") {
                        s.retain(|u| u.as_str() != Some(ext.id.as_str()));
                    }
                }
            }
            continue;
        }
        let v = object.get_mut(&key).expect("key exists");
        if !keep(None, &key, v) {
            object.shift_remove(&key);
        }
    }
}

fn for_each_object(v: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    match v {
        Value::Object(o) => f(o),
        Value::Array(items) => items.iter_mut().for_each(|i| for_each_object(i, f)),
        _ => {}
    }
}

fn keep_subs(v: &mut Value, subs: &[&str]) {
    for_each_object(v, &mut |o| o.retain(|k, _| subs.iter().any(|s| s.eq_ignore_ascii_case(k))));
}

fn drop_subs(v: &mut Value, subs: &[&str]) {
    if subs.is_empty() {
        return;
    }
    for_each_object(v, &mut |o| o.retain(|k, _| !subs.iter().any(|s| s.eq_ignore_ascii_case(k))));
}

/// Splits an `attributes` value (`userName,name.givenName`) into paths.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// The paths of a SearchRequest's `attributes` (an array, or a comma-separated string).
pub fn list_from_json(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).flat_map(split_list).collect(),
        Some(Value::String(s)) => split_list(s),
        _ => Vec::new(),
    }
}

/// `get_ci` re-exported for the HTTP layer's query and body handling.
pub fn field<'v>(o: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    get_ci(o, name).map(|(_, v)| v)
}
