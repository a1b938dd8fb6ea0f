//! Test data that follows the server's schema (RFC profiles only): a scenario that would send an attribute,
//! sub-attribute or extension the server does not declare is skipped with the reason, and what the server
//! marks `required` is filled in before a create or replace is sent. Identity-provider profiles send what
//! the IdP sends, whatever the server declares.

use serde_json::{Map, Value};

use crate::filter::{AttrPath, Filter, ParseOptions, parse_path, parse_with};
use crate::schema::{Attribute, AttributeType, Mutability, ResourceSchema, Schema, get_ci};
use crate::suite::{Body, Method, Scenario, Step};

/// The resource type a step writes to: a create (`POST /Users`) or a resource (`PUT`/`PATCH /Users/<id>`),
/// never `.search`, `/Bulk` or a deeper path.
fn target<'a>(step: &Step, schemas: &'a [ResourceSchema]) -> Option<&'a ResourceSchema> {
    let path = step.path.split('?').next().unwrap_or_default().trim_start_matches('/');
    let (collection, rest) = path.split_once('/').unwrap_or((path, ""));
    let name = match collection {
        "Users" => "User",
        "Groups" => "Group",
        _ => return None,
    };
    let fits = match step.method {
        Method::Post => rest.is_empty(),
        Method::Put | Method::Patch => !rest.is_empty() && !rest.contains('/') && !rest.starts_with('.'),
        _ => false,
    };
    fits.then(|| schemas.iter().find(|s| s.matches(name))).flatten()
}

/// Why an RFC-profile scenario cannot be sent as written to this server: the first attribute one of its
/// succeeding steps sends (or patches) that the server's schema does not declare.
pub fn undeclared(scenario: &Scenario, schemas: &[ResourceSchema]) -> Option<String> {
    for step in scenario.steps.iter().filter(|s| s.expect.succeeds()) {
        if let Some((schema, what)) = undeclared_in_filter(step, schemas) {
            return Some(format!(
                "the server's {} schema declares no {what} (/Schemas, /ResourceTypes), which this scenario \
                 filters on",
                schema.resource_type.name
            ));
        }
        let (Some(schema), Body::Json(body)) = (target(step, schemas), &step.body) else { continue };
        let found = match step.method {
            Method::Post | Method::Put => undeclared_in_resource(body, schema),
            Method::Patch => undeclared_in_patch(body, schema),
            _ => None,
        };
        if let Some(what) = found {
            return Some(format!(
                "the server's {} schema declares no {what} (/Schemas, /ResourceTypes), which this scenario sends",
                schema.resource_type.name
            ));
        }
        if step.method == Method::Patch
            && let Some(what) = removes_required(body, schema)
        {
            return Some(format!(
                "the server's {} schema marks {what} required, which this scenario removes (RFC 7644 §3.5.2.2 \
                 lets the server refuse that)",
                schema.resource_type.name
            ));
        }
    }
    None
}

/// The first attribute the `filter` of a list GET (`GET /Users?filter=groups.value eq "…"`) names that the
/// listed resource type's schema does not declare: a server cannot be asked to select by what it lacks.
fn undeclared_in_filter<'a>(step: &Step, schemas: &'a [ResourceSchema]) -> Option<(&'a ResourceSchema, String)> {
    if step.method != Method::Get {
        return None;
    }
    let name = match step.path.split('?').next().unwrap_or_default().trim_end_matches('/') {
        "/Users" => "User",
        "/Groups" => "Group",
        _ => return None,
    };
    let schema = schemas.iter().find(|s| s.matches(name))?;
    let (_, text) = step.query.iter().find(|(k, _)| k.eq_ignore_ascii_case("filter"))?;
    // Templates stand in string values; a filter that does not parse as written is not this check's to judge.
    let filter = parse_with(text, &ParseOptions::default()).ok()?;
    let mut named = Vec::new();
    attributes(&filter, None, &mut named);
    named.into_iter().find_map(|(a, sub)| {
        let sub = sub.or(a.sub_attr.as_deref());
        schema
            .resolve(a.uri.as_deref(), &a.name, sub)
            .is_err()
            .then(|| (schema, format!("`{}`", sub.map_or(a.name.clone(), |s| format!("{}.{s}", a.name)))))
    })
}

/// Every attribute a filter names, with the sub-attribute it reads inside a value filter (`emails[type eq
/// "work"]` names `emails` and `emails.type`).
fn attributes<'f>(filter: &'f Filter, inside: Option<&'f AttrPath>, out: &mut Vec<(&'f AttrPath, Option<&'f str>)>) {
    match filter {
        Filter::Attr { path, .. } => match inside {
            Some(outer) => out.push((outer, Some(path.name.as_str()))),
            None => out.push((path, None)),
        },
        Filter::ValuePath { attr, filter, sub } => {
            out.push((attr, sub.as_ref().map(|(s, _)| s.as_str())));
            attributes(filter, Some(attr), out);
        }
        Filter::Not(f) => attributes(f, inside, out),
        Filter::And(fs) | Filter::Or(fs) => fs.iter().for_each(|f| attributes(f, inside, out)),
    }
}

fn undeclared_in_resource(body: &Value, schema: &ResourceSchema) -> Option<String> {
    let Value::Object(o) = body else { return None };
    for (key, value) in o {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if key.to_ascii_lowercase().starts_with("urn:") {
            if schema.core.id.eq_ignore_ascii_case(key) {
                continue;
            }
            let Some(ext) = schema.extension(key) else {
                if let (Some(uri), _) = crate::schema::split_urn(key)
                    && schema.schema(uri).is_some()
                {
                    // A qualified attribute name (`urn:…:User:userName`).
                    continue;
                }
                return Some(format!("extension `{key}`"));
            };
            if let Value::Object(inner) = value {
                for (k, v) in inner {
                    match ext.attribute(k) {
                        None => return Some(format!("`{key}:{k}`")),
                        Some(a) => {
                            if let Some(sub) = undeclared_sub(a, v) {
                                return Some(format!("`{key}:{k}.{sub}`"));
                            }
                        }
                    }
                }
            }
            continue;
        }
        match schema.resolve(None, key, None) {
            Err(_) => return Some(format!("`{key}`")),
            Ok(r) => {
                if let Some(sub) = undeclared_sub(r.attribute, value) {
                    return Some(format!("`{key}.{sub}`"));
                }
            }
        }
    }
    None
}

/// The first sub-attribute a complex value holds that `attr` does not declare.
fn undeclared_sub(attr: &Attribute, value: &Value) -> Option<String> {
    if !attr.is_complex() {
        return None;
    }
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    };
    items
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|o| o.keys())
        .find(|k| attr.sub_attribute(k).is_none())
        .cloned()
}

fn undeclared_in_patch(body: &Value, schema: &ResourceSchema) -> Option<String> {
    let ops = body.get("Operations").and_then(Value::as_array)?;
    for op in ops {
        let path = op.as_object().and_then(|o| get_ci(o, "path")).and_then(|(_, p)| p.as_str());
        let value = op.as_object().and_then(|o| get_ci(o, "value")).map(|(_, v)| v);
        match (path, value) {
            (Some(path), value) => {
                let Ok(parsed) = parse_path(path, &ParseOptions::default()) else { continue };
                let a = &parsed.attr;
                let sub = parsed.sub_attr.as_deref().or(a.sub_attr.as_deref());
                match schema.resolve(a.uri.as_deref(), &a.name, sub) {
                    Err(_) => return Some(format!("`{path}`")),
                    Ok(r) if sub.is_none() => {
                        if let Some(s) = value.and_then(|v| undeclared_sub(r.attribute, v)) {
                            return Some(format!("`{}.{s}`", a.name));
                        }
                    }
                    Ok(_) => {}
                }
            }
            (None, Some(value)) => {
                if let Some(what) = undeclared_in_resource(value, schema) {
                    return Some(what);
                }
            }
            (None, None) => {}
        }
    }
    None
}

/// [`fill_required`] for a step's expanded body, when the step creates or replaces a resource and expects
/// to succeed. Returns the names added.
/// A negative step gets them too: what it tests (a duplicate, a stale version, an unknown id) is not the
/// server's extra requirement. Bulk operations that create or replace users or groups are filled alike.
pub fn fill_request(step: &Step, body: &mut Value, schemas: &[ResourceSchema], unique: &str) -> Vec<String> {
    let bulk = step.method == Method::Post && step.path.trim_end_matches('/') == "/Bulk";
    if bulk {
        let mut added = Vec::new();
        for op in body.get_mut("Operations").and_then(Value::as_array_mut).into_iter().flatten() {
            let method = op.get("method").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
            let path = op.get("path").and_then(Value::as_str).unwrap_or_default().trim_start_matches('/').to_string();
            let name = if path.starts_with("Users") {
                "User"
            } else if path.starts_with("Groups") {
                "Group"
            } else {
                continue;
            };
            if let (true, Some(schema), Some(data)) = (
                matches!(method.as_str(), "POST" | "PUT"),
                schemas.iter().find(|s| s.matches(name)),
                op.get_mut("data"),
            ) {
                added.extend(fill_required(data, schema, unique));
            }
        }
        return added;
    }
    match target(step, schemas) {
        Some(schema) if matches!(step.method, Method::Post | Method::Put) => fill_required(body, schema, unique),
        _ => Vec::new(),
    }
}

/// The first attribute a PatchOp removes that the schema marks required.
fn removes_required(body: &Value, schema: &ResourceSchema) -> Option<String> {
    for op in body.get("Operations").and_then(Value::as_array)? {
        let o = op.as_object()?;
        let remove = get_ci(o, "op").and_then(|(_, v)| v.as_str()).is_some_and(|v| v.eq_ignore_ascii_case("remove"));
        let Some(path) = get_ci(o, "path").and_then(|(_, p)| p.as_str()).filter(|_| remove) else { continue };
        let Ok(parsed) = parse_path(path, &ParseOptions::default()) else { continue };
        let a = &parsed.attr;
        let sub = parsed.sub_attr.as_deref().or(a.sub_attr.as_deref());
        if let Ok(r) = schema.resolve(a.uri.as_deref(), &a.name, sub)
            && r.sub_attribute.unwrap_or(r.attribute).required
        {
            return Some(format!("`{path}`"));
        }
    }
    None
}

/// Adds to a create or replace body what the server's schema marks `required` beyond what RFC 7643
/// requires (also required sub-attributes of the complex values it holds, and required extensions), with
/// plausible values: a server that requires `name.formatted` still gets a valid user. What the RFC
/// requires (`userName`) is left as the scenario wrote it: a scenario may omit it on purpose. Returns the
/// names added.
pub fn fill_required(body: &mut Value, schema: &ResourceSchema, unique: &str) -> Vec<String> {
    let mut added = Vec::new();
    let Value::Object(o) = body else { return added };
    let rfc = crate::schema::builtin_resource_types().iter().find(|s| s.matches(&schema.resource_type.name));
    fill_schema(o, &schema.core, rfc.map(|r| &r.core), unique, "", &mut added);
    for (ext, required) in &schema.extensions {
        // A required extension is always filled; an optional one only when the body already holds it.
        let sent = get_ci(o, &ext.id).is_some() && ext.attributes.iter().any(writable_required);
        if !(*required || sent) {
            continue;
        }
        let key = get_ci(o, &ext.id).map(|(k, _)| k.clone()).unwrap_or_else(|| ext.id.clone());
        let inner = o.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inner) = inner {
            let rfc_ext = rfc.and_then(|r| r.extension(&ext.id));
            fill_schema(inner, ext, rfc_ext, unique, &format!("{}:", ext.id), &mut added);
        }
        let listed = o.entry("schemas").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = listed
            && !list.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(&ext.id)))
        {
            list.push(Value::String(ext.id.clone()));
        }
    }
    added
}

fn writable_required(a: &Attribute) -> bool {
    a.required && a.mutability != Mutability::ReadOnly
}

/// `rfc`: the same schema as RFC 7643 defines it, whose own requirements are not filled.
fn fill_schema(
    o: &mut Map<String, Value>,
    schema: &Schema,
    rfc: Option<&Schema>,
    unique: &str,
    prefix: &str,
    added: &mut Vec<String>,
) {
    for attr in &schema.attributes {
        let present = get_ci(o, &attr.name).map(|(k, _)| k.clone());
        let rfc_attr = rfc.and_then(|r| r.attribute(&attr.name));
        match present {
            None if writable_required(attr) && !rfc_attr.is_some_and(|a| a.required) => {
                o.insert(attr.name.clone(), plausible(attr, unique));
                added.push(format!("{prefix}{}", attr.name));
            }
            Some(key) if attr.is_complex() => {
                let items: Vec<&mut Value> = match o.get_mut(&key) {
                    Some(Value::Array(items)) => items.iter_mut().collect(),
                    Some(v) => vec![v],
                    None => Vec::new(),
                };
                for item in items {
                    let Value::Object(inner) = item else { continue };
                    let rfc_required =
                        |s: &Attribute| rfc_attr.and_then(|a| a.sub_attribute(&s.name)).is_some_and(|r| r.required);
                    for sub in attr.sub_attributes.iter().filter(|s| writable_required(s) && !rfc_required(s)) {
                        if get_ci(inner, &sub.name).is_none() {
                            inner.insert(sub.name.clone(), plausible(sub, unique));
                            added.push(format!("{prefix}{}.{}", attr.name, sub.name));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A valid value for `attr`: its first canonical value when it declares some, else one of its type.
fn plausible(attr: &Attribute, unique: &str) -> Value {
    let one = match attr.ty {
        AttributeType::Complex => {
            let mut o = Map::new();
            for sub in attr.sub_attributes.iter().filter(|s| writable_required(s) || s.name == "value") {
                o.insert(sub.name.clone(), plausible(sub, unique));
            }
            Value::Object(o)
        }
        _ if !attr.canonical_values.is_empty() => Value::String(attr.canonical_values[0].clone()),
        AttributeType::Boolean => Value::Bool(true),
        AttributeType::Integer => Value::from(1),
        AttributeType::Decimal => Value::from(1.5),
        AttributeType::DateTime => Value::String("2020-01-01T00:00:00Z".into()),
        AttributeType::Reference => Value::String(format!("https://example.com/{unique}")),
        AttributeType::Binary => Value::String("c2NpbXRlc3Q=".into()),
        AttributeType::String if attr.name.eq_ignore_ascii_case("value") => {
            Value::String(format!("{unique}@example.com"))
        }
        AttributeType::String => Value::String(format!("{unique} {}", attr.name)),
    };
    if attr.multi_valued { Value::Array(vec![one]) } else { one }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::builtin_resource_types;

    fn user() -> ResourceSchema {
        builtin_resource_types().iter().find(|s| s.matches("User")).unwrap().clone()
    }

    #[test]
    fn a_list_filter_on_an_attribute_the_schema_does_not_declare_is_named() {
        let mut schema = user();
        schema.core.attributes.retain(|a| a.name != "groups");
        let schemas = [schema];
        let list =
            |filter: &str| Step { query: vec![("filter".into(), filter.into())], ..Step::plain(Method::Get, "/Users") };
        let named = |f: &str| undeclared_in_filter(&list(f), &schemas).map(|(_, what)| what);
        assert_eq!(named(r#"groups.value eq "${group.id}""#).as_deref(), Some("`groups.value`"));
        assert_eq!(named(r#"userName eq "a" and groups[value eq "g"]"#).as_deref(), Some("`groups`"));
        assert_eq!(named(r#"emails[type eq "work"].value eq "a@b.c" or meta.created gt "2020-01-01""#), None);
        assert_eq!(named(r#"emails[nosuch eq "x"]"#).as_deref(), Some("`emails.nosuch`"));
    }

    #[test]
    fn what_a_schema_does_not_declare_is_named() {
        let mut schema = user();
        schema.core.attributes.retain(|a| a.name != "nickName");
        if let Some(emails) = schema.core.attributes.iter_mut().find(|a| a.name == "emails") {
            emails.sub_attributes.retain(|s| s.name != "type");
        }
        schema.extensions.clear();
        let body = |v: Value| v;
        let check = |b: &Value| undeclared_in_resource(b, &schema);
        assert_eq!(check(&body(serde_json::json!({"userName": "a", "nickName": "b"}))).as_deref(), Some("`nickName`"));
        assert_eq!(
            check(&serde_json::json!({"userName": "a", "emails": [{"value": "a@b.c", "type": "work"}]})).as_deref(),
            Some("`emails.type`")
        );
        let ext = crate::schema::ENTERPRISE_USER;
        assert!(check(&serde_json::json!({"userName": "a", ext: {"department": "x"}})).unwrap().contains("extension"));
        assert_eq!(check(&serde_json::json!({"schemas": [], "userName": "a", "externalId": "x"})), None);
        let patch = serde_json::json!({"Operations": [{"op": "replace", "path": "nickName", "value": "x"}]});
        assert_eq!(undeclared_in_patch(&patch, &schema).as_deref(), Some("`nickName`"));
        let patch = serde_json::json!({"Operations": [{"op": "replace", "value": {"nickName": "x"}}]});
        assert_eq!(undeclared_in_patch(&patch, &schema).as_deref(), Some("`nickName`"));
        let fine = serde_json::json!({"Operations": [{"op": "replace", "path": "name.givenName", "value": "x"}]});
        assert_eq!(undeclared_in_patch(&fine, &schema), None);
    }

    #[test]
    fn removing_what_the_schema_requires_is_named() {
        let mut schema = user();
        for a in schema.core.attributes.iter_mut().filter(|a| a.name == "name") {
            a.required = true;
        }
        let patch = |path: &str| serde_json::json!({"Operations": [{"op": "Remove", "path": path}]});
        assert_eq!(removes_required(&patch("name"), &schema).as_deref(), Some("`name`"));
        assert_eq!(removes_required(&patch("title"), &schema), None);
        let replace =
            serde_json::json!({"Operations": [{"op": "replace", "path": "name", "value": {"givenName": "x"}}]});
        assert_eq!(removes_required(&replace, &schema), None, "only a remove");
    }

    #[test]
    fn what_a_schema_requires_is_filled_in() {
        let mut schema = user();
        for a in schema.core.attributes.iter_mut() {
            if a.name == "name" {
                a.required = true;
                for s in a.sub_attributes.iter_mut().filter(|s| s.name == "formatted") {
                    s.required = true;
                }
            }
            if a.name == "emails" {
                a.required = true;
                for s in a.sub_attributes.iter_mut().filter(|s| s.name == "type") {
                    s.required = true;
                    s.canonical_values = vec!["work".into(), "home".into()];
                }
            }
        }
        let mut body = serde_json::json!({"userName": "u", "name": {"givenName": "Babs"}});
        let added = fill_required(&mut body, &schema, "scimtest-1");
        assert_eq!(body["name"]["formatted"], "scimtest-1 formatted", "{body}");
        assert_eq!(body["name"]["givenName"], "Babs", "what was there stays");
        assert_eq!(body["emails"][0]["type"], "work", "canonical values are used: {body}");
        assert!(body["emails"][0]["value"].as_str().is_some_and(|v| v.contains('@')), "{body}");
        assert_eq!(added, vec!["name.formatted", "emails"]);
        // Nothing required and missing: nothing changes.
        let mut plain = serde_json::json!({"userName": "u"});
        assert!(fill_required(&mut plain, &user(), "x").is_empty());
        assert_eq!(plain, serde_json::json!({"userName": "u"}));
    }
}
