//! Reading schema and resource-type representations (RFC 7643 §6, §7) — ours, or a server's `/Schemas`
//! and `/ResourceTypes` answers. Lenient: every usable definition is kept; each defect becomes a
//! [`SchemaIssue`] naming where it is, and a missing characteristic takes its RFC 7643 §2.2 default.

use std::fmt;

use serde_json::{Map, Value};

use super::{Attribute, AttributeType, ResourceSchema, ResourceType, Schema, SchemaExtension, common_attributes};

/// Something wrong in a published schema or resource type, with where it is (`Resources[0].attributes[3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaIssue {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Issues(Vec<SchemaIssue>);

impl Issues {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(SchemaIssue { path: path.to_string(), message: message.into() });
    }
}

/// The items of a ListResponse (`Resources`), of a bare array, or a single object, with their paths.
fn items(json: &Value, issues: &mut Issues) -> Vec<(String, Map<String, Value>)> {
    let (base, list): (&str, Vec<&Value>) = match json {
        Value::Array(a) => ("", a.iter().collect()),
        Value::Object(o) => match super::get_ci(o, "Resources") {
            Some((_, Value::Array(a))) => ("Resources", a.iter().collect()),
            Some(_) => {
                issues.push("Resources", "is not an array");
                return Vec::new();
            }
            None if super::get_ci(o, "totalResults").is_some() => return Vec::new(),
            None => return vec![(String::new(), o.clone())],
        },
        _ => {
            issues.push("", "expected a ListResponse, an array or an object");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in list.into_iter().enumerate() {
        let path = format!("{base}[{i}]");
        match item {
            Value::Object(o) => out.push((path, o.clone())),
            _ => issues.push(&path, "is not an object"),
        }
    }
    out
}

fn string(o: &Map<String, Value>, key: &str, path: &str, issues: &mut Issues) -> Option<String> {
    match super::get_ci(o, key) {
        Some((_, Value::String(s))) => Some(s.clone()),
        Some((_, Value::Null)) | None => None,
        Some(_) => {
            issues.push(&join(path, key), "is not a string");
            None
        }
    }
}

fn boolean(o: &Map<String, Value>, key: &str, path: &str, issues: &mut Issues, default: bool) -> bool {
    match super::get_ci(o, key) {
        Some((_, Value::Bool(b))) => *b,
        Some((_, Value::String(s))) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
            issues.push(&join(path, key), format!("is the string \"{s}\", not a JSON boolean"));
            s.eq_ignore_ascii_case("true")
        }
        Some((_, Value::Null)) | None => default,
        Some(_) => {
            issues.push(&join(path, key), format!("is not a boolean; taken as {default}"));
            default
        }
    }
}

fn strings(o: &Map<String, Value>, key: &str, path: &str, issues: &mut Issues) -> Vec<String> {
    match super::get_ci(o, key) {
        Some((_, Value::Array(a))) => a
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::String(s) => Some(s.clone()),
                _ => {
                    issues.push(&format!("{}[{i}]", join(path, key)), "is not a string");
                    None
                }
            })
            .collect(),
        // Erratum 5607: referenceTypes is multi-valued; accept a lone string too.
        Some((_, Value::String(s))) => {
            issues.push(&join(path, key), "is a string, not an array of strings");
            vec![s.clone()]
        }
        Some((_, Value::Null)) | None => Vec::new(),
        Some(_) => {
            issues.push(&join(path, key), "is not an array of strings");
            Vec::new()
        }
    }
}

fn keyword<T: std::str::FromStr<Err = String>>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    issues: &mut Issues,
    default: T,
) -> T {
    match string(o, key, path, issues) {
        None => default,
        Some(s) => match s.parse() {
            Ok(v) => v,
            Err(e) => {
                issues.push(&join(path, key), format!("{e}; the RFC default is used"));
                default
            }
        },
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn attribute(o: &Map<String, Value>, path: &str, issues: &mut Issues, depth: usize) -> Option<Attribute> {
    let Some(name) = string(o, "name", path, issues) else {
        issues.push(path, "attribute without a `name`; skipped");
        return None;
    };
    let ty = match string(o, "type", path, issues) {
        None => {
            issues.push(path, format!("`{name}` has no `type`; taken as string (RFC 7643 §2.2 default)"));
            AttributeType::String
        }
        Some(t) => match t.parse() {
            Ok(t) => t,
            Err(e) => {
                issues.push(&join(path, "type"), format!("{e}; `{name}` skipped"));
                return None;
            }
        },
    };
    let mut attr = Attribute::new(name, ty);
    attr.multi_valued = boolean(o, "multiValued", path, issues, false);
    attr.description = string(o, "description", path, issues).unwrap_or_default();
    attr.required = boolean(o, "required", path, issues, false);
    attr.case_exact = boolean(o, "caseExact", path, issues, false);
    attr.mutability = keyword(o, "mutability", path, issues, attr.mutability);
    attr.returned = keyword(o, "returned", path, issues, attr.returned);
    attr.uniqueness = keyword(o, "uniqueness", path, issues, attr.uniqueness);
    attr.canonical_values = strings(o, "canonicalValues", path, issues);
    attr.reference_types = strings(o, "referenceTypes", path, issues);
    if ty == AttributeType::Reference && attr.reference_types.is_empty() {
        issues.push(path, format!("reference attribute `{}` has no `referenceTypes`", attr.name));
    }
    match super::get_ci(o, "subAttributes") {
        Some((_, Value::Array(subs))) if depth == 0 => {
            for (i, sub) in subs.iter().enumerate() {
                let sub_path = format!("{}[{i}]", join(path, "subAttributes"));
                match sub {
                    Value::Object(so) => {
                        if let Some(s) = attribute(so, &sub_path, issues, depth + 1) {
                            if s.is_complex() {
                                issues.push(&sub_path, "a sub-attribute cannot be complex (RFC 7643 §2.3.8); skipped");
                            } else {
                                attr.sub_attributes.push(s);
                            }
                        }
                    }
                    _ => issues.push(&sub_path, "is not an object"),
                }
            }
        }
        Some((_, Value::Array(_))) => issues.push(path, "sub-attributes of a sub-attribute are ignored"),
        Some((_, Value::Null)) | None => {}
        Some(_) => issues.push(&join(path, "subAttributes"), "is not an array"),
    }
    if attr.is_complex() && attr.sub_attributes.is_empty() {
        issues.push(path, format!("complex attribute `{}` has no `subAttributes`", attr.name));
    }
    Some(attr)
}

/// Reads Schema representations: a `/Schemas` ListResponse, an array, or one Schema object.
pub fn parse_schemas(json: &Value) -> (Vec<Schema>, Vec<SchemaIssue>) {
    let mut issues = Issues(Vec::new());
    let mut schemas = Vec::new();
    for (path, o) in items(json, &mut issues) {
        let Some(id) = string(&o, "id", &path, &mut issues) else {
            issues.push(&path, "schema without an `id`; skipped");
            continue;
        };
        let mut attributes = Vec::new();
        match super::get_ci(&o, "attributes") {
            Some((_, Value::Array(list))) => {
                for (i, a) in list.iter().enumerate() {
                    let apath = format!("{}[{i}]", join(&path, "attributes"));
                    match a {
                        Value::Object(ao) => attributes.extend(attribute(ao, &apath, &mut issues, 0)),
                        _ => issues.push(&apath, "is not an object"),
                    }
                }
            }
            _ => issues.push(&path, format!("schema `{id}` has no `attributes` array")),
        }
        schemas.push(Schema {
            name: string(&o, "name", &path, &mut issues).unwrap_or_default(),
            description: string(&o, "description", &path, &mut issues).unwrap_or_default(),
            id,
            attributes,
        });
    }
    (schemas, issues.0)
}

/// Reads ResourceType representations: a `/ResourceTypes` ListResponse, an array, or one object.
pub fn parse_resource_types(json: &Value) -> (Vec<ResourceType>, Vec<SchemaIssue>) {
    let mut issues = Issues(Vec::new());
    let mut types = Vec::new();
    for (path, o) in items(json, &mut issues) {
        let name = string(&o, "name", &path, &mut issues);
        let endpoint = string(&o, "endpoint", &path, &mut issues);
        let schema = string(&o, "schema", &path, &mut issues);
        let (Some(name), Some(endpoint), Some(schema)) = (name, endpoint, schema) else {
            issues.push(&path, "resource type needs `name`, `endpoint` and `schema`; skipped");
            continue;
        };
        let mut schema_extensions = Vec::new();
        if let Some((_, v)) = super::get_ci(&o, "schemaExtensions") {
            match v {
                Value::Array(list) => {
                    for (i, e) in list.iter().enumerate() {
                        let epath = format!("{}[{i}]", join(&path, "schemaExtensions"));
                        match e {
                            Value::Object(eo) => match string(eo, "schema", &epath, &mut issues) {
                                Some(s) => schema_extensions.push(SchemaExtension {
                                    schema: s,
                                    required: boolean(eo, "required", &epath, &mut issues, false),
                                }),
                                None => issues.push(&epath, "extension without `schema`; skipped"),
                            },
                            _ => issues.push(&epath, "is not an object"),
                        }
                    }
                }
                Value::Null => {}
                _ => issues.push(&join(&path, "schemaExtensions"), "is not an array"),
            }
        }
        types.push(ResourceType {
            id: string(&o, "id", &path, &mut issues).unwrap_or_else(|| name.clone()),
            description: string(&o, "description", &path, &mut issues).unwrap_or_default(),
            name,
            endpoint,
            schema,
            schema_extensions,
        });
    }
    (types, issues.0)
}

impl ResourceSchema {
    /// Joins resource types with the schemas they name. A resource type whose core schema is missing is
    /// dropped; a missing extension is dropped from its type; both are reported.
    pub fn assemble(types: &[ResourceType], schemas: &[Schema]) -> (Vec<ResourceSchema>, Vec<SchemaIssue>) {
        let find = |urn: &str| schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn));
        let mut issues = Issues(Vec::new());
        let mut out = Vec::new();
        for rt in types {
            let Some(core) = find(&rt.schema) else {
                issues.push(&rt.name, format!("schema `{}` is not published; resource type skipped", rt.schema));
                continue;
            };
            let mut extensions = Vec::new();
            for ext in &rt.schema_extensions {
                match find(&ext.schema) {
                    Some(s) => extensions.push((s.clone(), ext.required)),
                    None => issues.push(&rt.name, format!("extension schema `{}` is not published", ext.schema)),
                }
            }
            out.push(ResourceSchema {
                resource_type: rt.clone(),
                core: core.clone(),
                extensions,
                common: common_attributes(),
            });
        }
        (out, issues.0)
    }
}
