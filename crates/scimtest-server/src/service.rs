//! The reference server's behaviour, without HTTP: an in-memory store of Users and Groups and every
//! operation on it (create, read, replace, patch, delete, list/search). `http.rs` maps requests onto it and
//! `bulk.rs` reuses it operation by operation, so every path through the server behaves alike.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::error::ScimError;
use super::faults::Fault;
use super::{ServerConfig, ServerMode};
use crate::filter::{
    CompValue, CompareOp, CompiledFilter, Dialect, EvalOptions, Filter, ParseOptions, Test, compile, parse_with,
};
use crate::patch::{Mode, OpKind, PatchOptions, PatchRequest, apply};
use crate::schema::{AttributeType, ENTERPRISE_USER, Mutability, ResourceSchema, get_ci};
use crate::value::{self, DateTime};

/// The two resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }
}

/// A resource as answered: its representation (before `attributes` projection) and version.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub kind: Kind,
    pub json: Value,
    /// The ETag, `W/"n"`.
    pub version: String,
    pub location: String,
}

/// The query part of a list or search request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Whether the query came in the URI (GET) rather than a `.search` body: a filter naming a
    /// `returned: never` attribute is then `403 sensitive` (RFC 7644 §7.5.2), not `400 invalidFilter`.
    pub in_uri: bool,
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub sort_by: Option<String>,
    pub descending: bool,
}

#[derive(Debug, Clone)]
struct Stored {
    seq: u64,
    version: u64,
    /// The representation as compact JSON text: about a sixth of the memory of a `serde_json::Value`
    /// tree, which is what lets 100,000 users fit the server's memory budget. Parsed when read.
    text: Box<str>,
    /// Only kept under the `return-password` fault: a correct server never hands it back.
    password: Option<Value>,
}

#[derive(Debug, Default)]
struct Table {
    by_id: HashMap<String, Stored>,
    order: BTreeMap<u64, String>,
}

/// The ids under one index key: a short list (one id, for unique attributes), far smaller than a set.
#[derive(Debug, Clone, Default)]
struct Ids(Vec<String>);

impl Ids {
    fn add(&mut self, id: &str) {
        if !self.0.iter().any(|x| x == id) {
            self.0.push(id.to_string());
        }
    }

    fn remove_id(&mut self, id: &str) {
        self.0.retain(|x| x != id);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

impl IntoIterator for Ids {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[derive(Debug, Default)]
struct Data {
    next_seq: u64,
    users: Table,
    groups: Table,
    /// Folded (or, under a fault, exact) userName → user ids.
    user_names: HashMap<String, Ids>,
    /// Folded displayName → group ids.
    group_names: HashMap<String, Ids>,
    /// (kind, externalId) → ids.
    external_ids: HashMap<(Kind, String), Ids>,
    /// Folded email value → user ids.
    emails: HashMap<String, Ids>,
    /// Member id → the groups it is a direct member of.
    memberships: HashMap<String, Ids>,
    /// Under the `soft-delete` fault: what was deleted, still listed.
    ghosts: Vec<(Kind, Stored)>,
}

impl Data {
    fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn table_mut(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    fn kind_of(&self, id: &str) -> Option<Kind> {
        if self.users.by_id.contains_key(id) {
            Some(Kind::User)
        } else if self.groups.by_id.contains_key(id) {
            Some(Kind::Group)
        } else {
            None
        }
    }
}

/// The in-memory SCIM service.
pub struct Service {
    config: ServerConfig,
    data: RwLock<Data>,
    user: ResourceSchema,
    group: ResourceSchema,
    /// The schemas filters are checked against: the real ones, or bent by a fault.
    user_filter_schema: ResourceSchema,
    group_filter_schema: ResourceSchema,
    versions: AtomicU64,
    ids: AtomicU64,
    id_seed: RandomState,
}

fn now() -> String {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    DateTime::from_unix(since.as_secs() as i64, since.subsec_millis() * 1_000_000).to_string()
}

/// An hour ago, as the `last-modified-before-created` fault writes it.
fn an_hour_ago() -> String {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    DateTime::from_unix(since.as_secs() as i64 - 3600, since.subsec_millis() * 1_000_000).to_string()
}

impl Stored {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).expect("stored text is JSON we wrote")
    }
}

fn compact(json: &Value) -> Box<str> {
    serde_json::to_string(json).expect("JSON values serialize").into_boxed_str()
}

/// Each written member must name one: `{"display": "x"}` alone is refused, not dropped. Under the
/// `reject-null-ref` fault, a `"$ref": null` is refused too.
fn members_have_values(members: &Value, reject_null_ref: bool) -> Result<(), ScimError> {
    let items: Vec<&Value> = match members {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    };
    for m in items {
        if reject_null_ref && m.get("$ref").is_some_and(Value::is_null) {
            return Err(ScimError::bad_request("invalidValue", "`$ref` must be a URI, not null"));
        }
        if m.as_object().and_then(|o| get_ci(o, "value")).is_none_or(|(_, v)| v.is_null()) {
            return Err(ScimError::bad_request(
                "invalidValue",
                format!("a member needs a `value` (the id of a User or Group): {m}"),
            ));
        }
    }
    Ok(())
}

/// A built resource in the order it is answered in: `schemas`, `id`, its attributes, `meta`.
fn arrange(mut json: Value, id: &str, meta: Value) -> Value {
    let object = json.as_object_mut().expect("built resources are objects");
    let mut ordered = Map::new();
    ordered.insert("schemas".into(), object.shift_remove("schemas").unwrap_or_else(|| json!([])));
    ordered.insert("id".into(), json!(id));
    ordered.extend(std::mem::take(object));
    ordered.insert("meta".into(), meta);
    Value::Object(ordered)
}

/// The one schema of an extension document, when it reads without issues.
pub(super) fn parse_extension(document: &Value) -> Option<crate::schema::Schema> {
    match crate::schema::parse_schemas(document) {
        (mut schemas, issues) if issues.is_empty() && schemas.len() == 1 => schemas.pop(),
        _ => None,
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Every string as a Latin-1 column would keep it: what lies beyond U+00FF becomes `?`.
fn latin1(json: &mut Value) {
    match json {
        Value::String(s) if s.chars().any(|c| u32::from(c) > 0xff) => {
            *s = s.chars().map(|c| if u32::from(c) > 0xff { '?' } else { c }).collect();
        }
        Value::Array(items) => items.iter_mut().for_each(latin1),
        Value::Object(o) => o.values_mut().for_each(latin1),
        _ => {}
    }
}

fn str_at<'v>(json: &'v Value, key: &str) -> Option<&'v str> {
    json.as_object().and_then(|o| get_ci(o, key)).and_then(|(_, v)| v.as_str())
}

impl Service {
    pub fn new(config: ServerConfig) -> Service {
        let mut user = ResourceSchema::user().clone();
        for document in &config.user_extensions {
            // Tested documents (an app's loaded extensions); one that does not read is left out of both
            // the schema and discovery.
            user.extensions.extend(parse_extension(document).map(|s| (s, false)));
        }
        if config.has(Fault::MinimalUserSchema) {
            user.core.attributes.retain(|a| a.name != "nickName");
            user.extensions.clear();
        }
        if config.has(Fault::RequireNameFormatted)
            && let Some(name) = user.core.attributes.iter_mut().find(|a| a.name == "name")
        {
            name.required = true;
            for formatted in name.sub_attributes.iter_mut().filter(|s| s.name == "formatted") {
                formatted.required = true;
            }
        }
        let group = ResourceSchema::group().clone();
        let mut user_filter_schema = user.clone();
        let mut group_filter_schema = group.clone();
        if config.has(Fault::CaseSensitiveUserName)
            && let Some(a) = user_filter_schema.core.attributes.iter_mut().find(|a| a.name == "userName")
        {
            a.case_exact = true;
        }
        if config.has(Fault::CaseSensitiveDisplayName)
            && let Some(a) = group_filter_schema.core.attributes.iter_mut().find(|a| a.name == "displayName")
        {
            a.case_exact = true;
        }
        if config.has(Fault::DateTimeAsString) {
            for schema in [&mut user_filter_schema, &mut group_filter_schema] {
                for a in schema.common.iter_mut().flat_map(|a| a.sub_attributes.iter_mut()) {
                    if a.ty == AttributeType::DateTime {
                        a.ty = AttributeType::String;
                    }
                }
            }
        }
        Service {
            config,
            data: RwLock::new(Data::default()),
            user,
            group,
            user_filter_schema,
            group_filter_schema,
            versions: AtomicU64::new(1),
            ids: AtomicU64::new(1),
            id_seed: RandomState::new(),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn schema(&self, kind: Kind) -> &ResourceSchema {
        match kind {
            Kind::User => &self.user,
            Kind::Group => &self.group,
        }
    }

    fn filter_schema(&self, kind: Kind) -> &ResourceSchema {
        match kind {
            Kind::User => &self.user_filter_schema,
            Kind::Group => &self.group_filter_schema,
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.config.has(fault)
    }

    fn strict(&self) -> bool {
        self.config.mode == ServerMode::Strict
    }

    /// A fresh id, shaped like a UUID.
    fn new_id(&self) -> String {
        let n = self.ids.fetch_add(1, AtomicOrdering::Relaxed);
        let a = self.id_seed.hash_one((n, 1u8));
        let b = self.id_seed.hash_one((n, 2u8));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, AtomicOrdering::Relaxed)
    }

    fn patch_options(&self) -> PatchOptions {
        let mut options = PatchOptions::new(if self.strict() { Mode::Rfc } else { Mode::Compat });
        let t = &mut options.tolerances;
        if self.has(Fault::RemoveAllMembers) {
            t.remove_value_selects = false;
        }
        if self.has(Fault::RejectPascalCaseOps) {
            t.op_any_case = false;
        }
        if self.has(Fault::RejectStringBooleans) {
            t.string_booleans = false;
        }
        if self.has(Fault::PathlessKeysLiteral) {
            t.pathless_keys_are_paths = false;
        }
        if self.has(Fault::FilteredWriteNoTarget) {
            t.filtered_write_creates = false;
        }
        if self.has(Fault::RejectManagerArray) {
            t.single_value_array = false;
        }
        if self.has(Fault::RejectUnchangedId) {
            t.unchanged_readonly_ignored = false;
        }
        if self.has(Fault::StoreEmptyStrings) {
            t.empty_string_unassigns = false;
        }
        options
    }

    fn eval_options(&self) -> EvalOptions {
        let strict = self.strict() || self.has(Fault::StrictFilterDialect);
        EvalOptions { dialect: if strict { Dialect::Strict } else { Dialect::Compat }, ..EvalOptions::default() }
    }

    // ----- building and checking representations ----------------------------------------------

    /// The stored form of a POST or PUT body: validated against the schema by the PATCH engine (a
    /// path-less `add` onto an empty resource), readOnly attributes ignored (RFC 7643 §2.2), unknown
    /// attributes rejected in strict mode and dropped in compat mode.
    fn build(&self, kind: Kind, body: &Value) -> Result<(Value, Option<Value>), ScimError> {
        if self.has(Fault::MinimalUserSchema)
            && kind == Kind::User
            && let Some(extra) = body.as_object().and_then(|o| {
                o.keys().find(|k| {
                    k.eq_ignore_ascii_case("nickName") || k.eq_ignore_ascii_case(crate::schema::ENTERPRISE_USER)
                })
            })
        {
            return Err(ScimError::bad_request("invalidValue", format!("Extra inputs are not permitted: `{extra}`")));
        }
        let schema = self.schema(kind);
        let Value::Object(fields) = body else {
            return Err(ScimError::bad_request("invalidSyntax", format!("a {} is a JSON object", kind.name())));
        };
        let listed: Vec<String> = match get_ci(fields, "schemas") {
            Some((_, Value::Array(a))) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(_) => return Err(ScimError::bad_request("invalidSyntax", "`schemas` must be an array of URIs")),
            None => Vec::new(),
        };
        if self.has(Fault::RejectUnknownSchemaUrn)
            && let Some(unknown) = listed.iter().find(|s| schema.schema(s).is_none())
        {
            return Err(ScimError::bad_request("invalidValue", format!("unknown schema `{unknown}`")));
        }
        if self.has(Fault::NullIs500) && fields.values().any(Value::is_null) {
            return Err(ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, None, "NullPointerException"));
        }
        if self.strict() {
            if !listed.iter().any(|s| s.eq_ignore_ascii_case(&schema.core.id)) {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("`schemas` must list {} (RFC 7643 §3)", schema.core.id),
                ));
            }
            if let Some(unknown) = listed.iter().find(|s| schema.schema(s).is_none()) {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("unknown schema `{unknown}` for a {}", kind.name()),
                ));
            }
        }
        if kind == Kind::Group
            && let Some((_, members)) = get_ci(fields, "members")
        {
            members_have_values(members, self.has(Fault::RejectNullRef))?;
        }
        let mut value = Map::new();
        let mut password = None;
        for (key, v) in fields {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = schema.extension(key) {
                let Value::Object(inner) = v else {
                    if v.is_null() {
                        continue;
                    }
                    return Err(ScimError::bad_request("invalidValue", format!("`{key}` must be an object")));
                };
                let mut kept = Map::new();
                for (k, iv) in inner {
                    match ext.attribute(k) {
                        Some(a) if a.mutability == Mutability::ReadOnly => {}
                        Some(a) => {
                            kept.insert(a.name.clone(), iv.clone());
                        }
                        None if self.strict() => {
                            return Err(ScimError::bad_request(
                                "invalidValue",
                                format!("{} has no attribute `{k}`", ext.id),
                            ));
                        }
                        None => {}
                    }
                }
                value.insert(ext.id.clone(), Value::Object(kept));
                continue;
            }
            match schema.resolve(None, key, None) {
                Ok(r) if r.attribute.name == "password" => password = Some(v.clone()),
                Ok(r) if r.attribute.mutability == Mutability::ReadOnly => {}
                Ok(r) => {
                    value.insert(r.attribute.name.clone(), v.clone());
                }
                Err(_) if schema.schema(key).is_some() || key.contains(':') && !self.strict() => {}
                Err(e) if self.strict() => return Err(ScimError::bad_request("invalidValue", e.to_string())),
                Err(_) => {}
            }
        }
        let empty = json!({ "schemas": [schema.core.id] });
        let request = PatchRequest {
            operations: vec![crate::patch::Operation {
                op: OpKind::Add,
                path_text: None,
                path: None,
                value: Some(Value::Object(value)),
            }],
        };
        let built = apply(&empty, &request, schema, &self.patch_options())
            .map_err(|e| ScimError::bad_request(e.scim_type.as_str(), e.detail))?
            .resource;
        for attr in schema.core.attributes.iter().filter(|a| a.required) {
            let value = built.get(&attr.name).filter(|v| value::is_present(v));
            let missing = match value {
                None => Some(attr.name.clone()),
                // Required sub-attributes of a single complex value (RFC 7643 §2.2).
                Some(Value::Object(o)) => attr
                    .sub_attributes
                    .iter()
                    .find(|s| s.required && !get_ci(o, &s.name).is_some_and(|(_, v)| value::is_present(v)))
                    .map(|s| format!("{}.{}", attr.name, s.name)),
                Some(_) => None,
            };
            if let Some(missing) = missing {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("`{missing}` is required (RFC 7643 §{})", if kind == Kind::User { "4.1" } else { "4.2" }),
                ));
            }
        }
        let password = password.filter(|_| self.has(Fault::ReturnPassword));
        Ok((built, password))
    }

    /// Members must exist; a group cannot contain itself. Stored members keep `value` and the real `type`.
    fn check_members(&self, data: &Data, group_id: &str, resource: &mut Value) -> Result<(), ScimError> {
        let Some(Value::Array(members)) = resource.get_mut("members") else { return Ok(()) };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for m in members.iter() {
            let Some(id) = str_at(m, "value") else {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    "a member needs a `value`: the id of a User or Group",
                ));
            };
            if id == group_id {
                return Err(ScimError::bad_request("invalidValue", "a group cannot be a member of itself"));
            }
            let Some(kind) = data.kind_of(id) else {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("member `{id}` is not a User or Group of this server"),
                ));
            };
            if let Some(t) = str_at(m, "type")
                && !t.eq_ignore_ascii_case(kind.name())
            {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("member `{id}` is a {}, not a {t}", kind.name()),
                ));
            }
            if seen.insert(id.to_string()) {
                out.push(json!({ "value": id, "type": kind.name() }));
            }
        }
        *members = out;
        if members.is_empty() {
            resource.as_object_mut().expect("resources are objects").shift_remove("members");
        }
        Ok(())
    }

    /// The `normalize-phone-numbers` fault: phone numbers stored as `+` and digits only.
    fn bend_values(&self, json: &mut Value) {
        if self.has(Fault::MangleNonAscii) {
            latin1(json);
        }
        if !self.has(Fault::NormalizePhoneNumbers) {
            return;
        }
        if let Some(Value::Array(phones)) = json.get_mut("phoneNumbers") {
            for p in phones {
                if let Some(Value::String(v)) = p.get_mut("value") {
                    *v = v.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
                }
            }
        }
    }

    fn unique_key(&self, kind: Kind, json: &Value) -> Option<String> {
        let attr = match kind {
            Kind::User => "userName",
            Kind::Group => "displayName",
        };
        let v = str_at(json, attr)?;
        Some(if kind == Kind::User && self.has(Fault::CaseSensitiveUserName) { v.to_string() } else { fold(v) })
    }

    fn check_unique(&self, data: &Data, kind: Kind, json: &Value, except: Option<&str>) -> Result<(), ScimError> {
        if kind == Kind::User && self.has(Fault::DuplicateUserNames) {
            return Ok(());
        }
        let Some(key) = self.unique_key(kind, json) else { return Ok(()) };
        let index = match kind {
            Kind::User => &data.user_names,
            Kind::Group => &data.group_names,
        };
        if index.get(&key).is_some_and(|ids| ids.iter().any(|id| Some(id.as_str()) != except)) {
            let attr = if kind == Kind::User { "userName" } else { "displayName" };
            return Err(ScimError::conflict(format!(
                "a {} with {attr} `{}` exists already ({attr} is unique and case-insensitive)",
                kind.name(),
                str_at(json, attr).unwrap_or_default()
            )));
        }
        Ok(())
    }

    fn index(&self, data: &mut Data, kind: Kind, id: &str, json: &Value, add: bool) {
        let edit = |map: &mut HashMap<String, Ids>, key: String| {
            if add {
                map.entry(key).or_default().add(id);
            } else if let Some(set) = map.get_mut(&key) {
                set.remove_id(id);
                if set.is_empty() {
                    map.remove(&key);
                }
            }
        };
        if let Some(key) = self.unique_key(kind, json) {
            match kind {
                Kind::User => edit(&mut data.user_names, key),
                Kind::Group => edit(&mut data.group_names, key),
            }
        }
        if kind == Kind::User
            && let Some(Value::Array(emails)) = json.get("emails")
        {
            for e in emails {
                if let Some(v) = str_at(e, "value") {
                    edit(&mut data.emails, fold(v));
                }
            }
        }
        if let Some(x) = str_at(json, "externalId") {
            let key = (kind, x.to_string());
            if add {
                data.external_ids.entry(key).or_default().add(id);
            } else if let Some(set) = data.external_ids.get_mut(&key) {
                set.remove_id(id);
                if set.is_empty() {
                    data.external_ids.remove(&key);
                }
            }
        }
        if kind == Kind::Group
            && let Some(Value::Array(members)) = json.get("members")
        {
            for m in members {
                if let Some(v) = str_at(m, "value") {
                    let set = data.memberships.entry(v.to_string()).or_default();
                    if add {
                        set.add(id);
                    } else {
                        set.remove_id(id);
                        if set.is_empty() {
                            data.memberships.remove(v);
                        }
                    }
                }
            }
        }
    }

    fn check_if_match(&self, stored: &Stored, if_match: Option<&str>) -> Result<(), ScimError> {
        let Some(header) = if_match else { return Ok(()) };
        if self.has(Fault::IgnoreIfMatch) {
            return Ok(());
        }
        let current = format!("{}", stored.version);
        let matches = header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current);
        if matches {
            Ok(())
        } else {
            Err(ScimError::precondition_failed(format!(
                "If-Match {header} does not match the current version W/\"{current}\" (RFC 7644 §3.14)"
            )))
        }
    }

    // ----- rendering -----------------------------------------------------------------------------

    fn location(&self, base: &str, kind: Kind, id: &str) -> String {
        let location = format!("{base}/{}/{id}", kind.endpoint());
        if self.has(Fault::RelativeMetaLocation) {
            // Everything after the authority: `/scim/v2/Users/<id>`.
            let after_scheme = location.split_once("://").map_or(location.as_str(), |(_, rest)| rest);
            return after_scheme.find('/').map_or(location.clone(), |i| after_scheme[i..].to_string());
        }
        location
    }

    fn render(&self, data: &Data, kind: Kind, stored: &Stored, base: &str) -> Rendered {
        let mut json = stored.json();
        let id = str_at(&json, "id").unwrap_or_default().to_string();
        let location = self.location(base, kind, &id);
        let version = format!("W/\"{}\"", stored.version);
        if let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut) {
            meta.insert("location".into(), json!(location));
            meta.insert("version".into(), json!(version));
        }
        match kind {
            Kind::User => {
                // Direct groups, then the groups those are members of (RFC 7643 §4.1.2: "indirect");
                // a visited set keeps cycles of groups finite.
                let mut list = Vec::new();
                let mut seen = std::collections::HashSet::new();
                let mut frontier: Vec<(String, &str)> = data
                    .memberships
                    .get(&id)
                    .map(|g| g.iter().map(|g| (g.clone(), "direct")).collect())
                    .unwrap_or_default();
                while let Some((g, how)) = frontier.pop() {
                    if !seen.insert(g.clone()) {
                        continue;
                    }
                    let Some(stored_group) = data.groups.by_id.get(&g) else { continue };
                    let group = stored_group.json();
                    list.push(json!({
                        "value": g,
                        "$ref": self.location(base, Kind::Group, &g),
                        "display": str_at(&group, "displayName").unwrap_or_default(),
                        "type": how,
                    }));
                    if let Some(parents) = data.memberships.get(&g) {
                        frontier.extend(parents.iter().map(|p| (p.clone(), "indirect")));
                    }
                }
                // Direct memberships first; a group reached both ways counts as direct.
                list.sort_by_key(|g| g["type"] != json!("direct"));
                if !list.is_empty() {
                    json["groups"] = Value::Array(list);
                }
                if let Some(p) = &stored.password {
                    json["password"] = p.clone();
                }
                if self.has(Fault::ExtensionNotInSchemas)
                    && let Some(Value::Array(s)) = json.get_mut("schemas")
                {
                    s.retain(|u| u.as_str() != Some(ENTERPRISE_USER));
                }
            }
            Kind::Group => {
                if let Some(Value::Array(members)) = json.get_mut("members") {
                    for m in members.iter_mut() {
                        let Some(mid) = str_at(m, "value").map(str::to_string) else { continue };
                        let Some(mkind) = data.kind_of(&mid) else { continue };
                        // `display` is readOnly and not filled in: the member's own resource says who it is,
                        // and a client comparing what it wrote with what it reads gets the same members back.
                        m["$ref"] = json!(self.location(base, mkind, &mid));
                    }
                }
                if self.has(Fault::GroupMetaWithoutTimestamps)
                    && let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut)
                {
                    meta.shift_remove("created");
                    meta.shift_remove("lastModified");
                }
            }
        }
        Rendered { kind, json, version, location }
    }

    // ----- operations ----------------------------------------------------------------------------

    pub fn create(&self, kind: Kind, body: &Value, base: &str) -> Result<Rendered, ScimError> {
        let (mut json, password) = self.build(kind, body)?;
        let mut data = self.data.write().expect("store lock");
        let id = self.new_id();
        if kind == Kind::Group {
            self.check_members(&data, &id, &mut json)?;
        }
        self.check_unique(&data, kind, &json, None)?;
        let now = now();
        let last_modified = if self.has(Fault::LastModifiedBeforeCreated) { an_hour_ago() } else { now.clone() };
        let mut json =
            arrange(json, &id, json!({ "resourceType": kind.name(), "created": now, "lastModified": last_modified }));
        self.bend_values(&mut json);
        data.next_seq += 1;
        self.index(&mut data, kind, &id, &json, true);
        if kind == Kind::Group {
            self.touch_members(&mut data, &json!({}), &json);
        }
        let stored = Stored { seq: data.next_seq, version: self.next_version(), text: compact(&json), password };
        let table = data.table_mut(kind);
        table.order.insert(stored.seq, id.clone());
        table.by_id.insert(id.clone(), stored);
        let stored = &data.table(kind).by_id[&id];
        Ok(self.render(&data, kind, stored, base))
    }

    pub fn get(&self, kind: Kind, id: &str, base: &str) -> Result<Rendered, ScimError> {
        let data = self.data.read().expect("store lock");
        if self.has(Fault::UnknownId200) && !data.table(kind).by_id.contains_key(id) {
            return Ok(Rendered { kind, json: Value::Null, version: String::new(), location: String::new() });
        }
        let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
        Ok(self.render(&data, kind, stored, base))
    }

    /// Stores `new` (a full representation) in place of resource `id`, maintaining indexes and versions.
    fn store(&self, data: &mut Data, kind: Kind, id: &str, mut new: Value, changed: bool) {
        if !changed {
            return;
        }
        self.bend_values(&mut new);
        let (old_json, old_version) = {
            let old = &data.table(kind).by_id[id];
            (old.json(), old.version)
        };
        if let Some(meta) = new.get_mut("meta").and_then(Value::as_object_mut) {
            meta.insert("lastModified".into(), json!(now()));
            meta.shift_remove("location");
            meta.shift_remove("version");
        }
        self.index(data, kind, id, &old_json, false);
        self.index(data, kind, id, &new, true);
        let version = if self.has(Fault::VersionNeverChanges) { old_version } else { self.next_version() };
        let entry = data.table_mut(kind).by_id.get_mut(id).expect("exists");
        entry.text = compact(&new);
        entry.version = version;
        if kind == Kind::Group {
            self.touch_members(data, &old_json, &new);
        }
    }

    /// A user's `groups` is computed from memberships, so when a group's members or name change the
    /// representations of the members it affects change too: their versions move (RFC 7644 §3.14).
    fn touch_members(&self, data: &mut Data, old: &Value, new: &Value) {
        if self.has(Fault::VersionNeverChanges) {
            return;
        }
        let members = |g: &Value| -> Vec<String> {
            g.get("members")
                .and_then(Value::as_array)
                .map(|m| m.iter().filter_map(|m| str_at(m, "value").map(str::to_string)).collect())
                .unwrap_or_default()
        };
        let (before, after) = (members(old), members(new));
        let renamed = str_at(old, "displayName") != str_at(new, "displayName");
        let affected: std::collections::HashSet<&String> = if renamed {
            before.iter().chain(after.iter()).collect()
        } else {
            before.iter().filter(|m| !after.contains(m)).chain(after.iter().filter(|m| !before.contains(m))).collect()
        };
        // Members of nested groups see the change through `indirect` entries: follow them down.
        let mut stack: Vec<String> = affected.into_iter().cloned().collect();
        let mut seen = std::collections::HashSet::new();
        while let Some(m) = stack.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            let version = self.next_version();
            if let Some(user) = data.users.by_id.get_mut(&m) {
                user.version = version;
            } else if let Some(group) = data.groups.by_id.get(&m) {
                stack.extend(members(&group.json()));
            }
        }
    }

    pub fn replace(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<(Rendered, bool), ScimError> {
        if self.has(Fault::PutRejectsReadOnly)
            && let Some(key) =
                ["id", "meta", "groups"].into_iter().find(|k| body.as_object().is_some_and(|o| get_ci(o, k).is_some()))
        {
            return Err(ScimError::bad_request("mutability", format!("`{key}` is readOnly")));
        }
        let (mut json, password) = self.build(kind, body)?;
        let mut data = self.data.write().expect("store lock");
        let Some(old) = data.table(kind).by_id.get(id).cloned() else {
            drop(data);
            if self.has(Fault::PutUpserts) {
                return self.create(kind, body, base).map(|r| (r, true));
            }
            return Err(not_found(kind, id));
        };
        self.check_if_match(&old, if_match)?;
        let old_json = old.json();
        if kind == Kind::Group {
            self.check_members(&data, id, &mut json)?;
        }
        self.check_unique(&data, kind, &json, Some(id))?;
        // Immutable attributes keep their value (RFC 7643 §2.2, RFC 7644 §3.5.1).
        let schema = self.schema(kind);
        for attr in schema.core.attributes.iter().filter(|a| a.mutability == Mutability::Immutable) {
            if let (Some(o), n) = (old_json.get(&attr.name), json.get(&attr.name))
                && n.is_none_or(|n| !value::equals(attr, o, n))
            {
                return Err(ScimError::bad_request("mutability", format!("`{}` is immutable", attr.name)));
            }
        }
        let new = arrange(json, id, old_json["meta"].clone());
        let changed = new != old_json;
        self.store(&mut data, kind, id, new, changed);
        if self.has(Fault::ReturnPassword) && password.is_some() {
            data.table_mut(kind).by_id.get_mut(id).expect("exists").password = password;
        }
        let stored = &data.table(kind).by_id[id];
        Ok((self.render(&data, kind, stored, base), false))
    }

    pub fn patch(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        base: &str,
    ) -> Result<Rendered, ScimError> {
        let options = self.patch_options();
        let mut request = PatchRequest::from_json(body, &options)?;
        if kind == Kind::Group {
            for op in request.operations.iter().filter(|op| op.op != OpKind::Remove) {
                let members = match (&op.path, &op.value) {
                    (Some(p), Some(v))
                        if p.attr.name.eq_ignore_ascii_case("members")
                            && p.filter.is_none()
                            && p.attr.sub_attr.is_none() =>
                    {
                        Some(v)
                    }
                    (None, Some(Value::Object(o))) => get_ci(o, "members").map(|(_, v)| v),
                    _ => None,
                };
                if let Some(m) = members {
                    members_have_values(m, self.has(Fault::RejectNullRef))?;
                }
            }
        }
        if self.has(Fault::IgnorePathlessOps) {
            request.operations.retain(|op| op.path.is_some());
            if request.operations.is_empty() {
                let data = self.data.read().expect("store lock");
                let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
                return Ok(self.render(&data, kind, stored, base));
            }
        }
        if self.has(Fault::MemberLimit)
            && request.operations.iter().any(|op| {
                op.path.as_ref().is_some_and(|p| p.attr.name.eq_ignore_ascii_case("members"))
                    && op.value.as_ref().and_then(Value::as_array).is_some_and(|a| a.len() > 50)
            })
        {
            return Err(ScimError::bad_request("tooMany", "at most 50 members per operation"));
        }
        if self.has(Fault::IgnoreEmptyMemberReplace) {
            request.operations.retain(|op| {
                !(op.op == OpKind::Replace
                    && op.path.as_ref().is_some_and(|p| p.attr.name.eq_ignore_ascii_case("members"))
                    && op.value.as_ref().is_some_and(|v| v.as_array().is_some_and(Vec::is_empty)))
            });
            if request.operations.is_empty() {
                let data = self.data.read().expect("store lock");
                let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
                return Ok(self.render(&data, kind, stored, base));
            }
        }
        if self.has(Fault::RemoveKeepsSingleValued) {
            let schema = self.schema(kind);
            request.operations.retain(|op| {
                let single = op.path.as_ref().filter(|p| p.filter.is_none()).is_some_and(|p| {
                    schema.resolve(p.attr.uri.as_deref(), &p.attr.name, None).is_ok_and(|r| !r.attribute.multi_valued)
                });
                !(op.op == OpKind::Remove && single)
            });
        }
        if self.has(Fault::DropValuePathPatch) {
            request.operations.retain(|op| op.path.as_ref().is_none_or(|p| p.filter.is_none()));
            if request.operations.is_empty() {
                let data = self.data.read().expect("store lock");
                let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
                return Ok(self.render(&data, kind, stored, base));
            }
        }
        let mut data = self.data.write().expect("store lock");
        let old = data.table(kind).by_id.get(id).cloned().ok_or_else(|| not_found(kind, id))?;
        self.check_if_match(&old, if_match)?;
        let old_json = old.json();
        let schema = self.schema(kind);
        let outcome = if self.has(Fault::PatchNotAtomic) {
            // The bug: each operation lands as it goes.
            let mut current = old_json.clone();
            for op in &request.operations {
                let single = PatchRequest { operations: vec![op.clone()] };
                match apply(&current, &single, schema, &options) {
                    Ok(out) => current = out.resource,
                    Err(e) => {
                        let changed = current != old_json;
                        self.store(&mut data, kind, id, current, changed);
                        return Err(e.into());
                    }
                }
            }
            let changed = current != old_json;
            crate::patch::Outcome { resource: current, changed }
        } else {
            apply(&old_json, &request, schema, &options)?
        };
        let mut new = outcome.resource;
        // A password is write-only and this server does not keep one (changePassword.supported false):
        // what a PATCH writes is discarded, as on POST and PUT, so it can neither be read nor searched.
        let password = new.as_object_mut().and_then(|o| o.shift_remove("password"));
        if kind == Kind::Group {
            self.check_members(&data, id, &mut new)?;
        }
        self.check_unique(&data, kind, &new, Some(id))?;
        // id and meta stay the server's (the engine refuses readOnly writes; this keeps them exact).
        new["id"] = json!(id);
        new["meta"] = old_json["meta"].clone();
        let changed = new != old_json;
        self.store(&mut data, kind, id, new, changed);
        if let Some(p) = password.filter(|_| self.has(Fault::ReturnPassword)) {
            data.table_mut(kind).by_id.get_mut(id).expect("exists").password = Some(p);
        }
        let stored = &data.table(kind).by_id[id];
        Ok(self.render(&data, kind, stored, base))
    }

    pub fn delete(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        let mut data = self.data.write().expect("store lock");
        let old = data.table(kind).by_id.get(id).cloned().ok_or_else(|| not_found(kind, id))?;
        self.check_if_match(&old, if_match)?;
        self.index(&mut data, kind, id, &old.json(), false);
        let table = data.table_mut(kind);
        table.by_id.remove(id);
        table.order.remove(&old.seq);
        if self.has(Fault::SoftDelete) {
            data.ghosts.push((kind, old.clone()));
        }
        if !self.has(Fault::DeleteKeepsMemberships) {
            // A deleted resource leaves every group it was a member of (RFC 7644 §3.6, practical SHOULD).
            if let Some(groups) = data.memberships.remove(id) {
                for g in groups {
                    let Some(group) = data.groups.by_id.get(&g).cloned() else { continue };
                    let mut json = group.json();
                    if let Some(Value::Array(members)) = json.get_mut("members") {
                        members.retain(|m| str_at(m, "value") != Some(id));
                        if members.is_empty() {
                            json.as_object_mut().expect("object").shift_remove("members");
                        }
                    }
                    self.store(&mut data, Kind::Group, &g, json, true);
                }
            }
        }
        if kind == Kind::Group {
            // Its own members no longer point back at it, and their `groups` lose it.
            for set in data.memberships.values_mut() {
                set.remove_id(id);
            }
            data.memberships.retain(|_, s| !s.is_empty());
            self.touch_members(&mut data, &old.json(), &json!({}));
        }
        Ok(())
    }

    // ----- listing -------------------------------------------------------------------------------

    /// Refuses a filter on a `returned: never` attribute (a password): matching on it would reveal it.
    fn check_sensitive(&self, kind: Kind, filter: &Filter, in_uri: bool) -> Result<(), ScimError> {
        fn paths<'f>(f: &'f Filter, out: &mut Vec<&'f crate::filter::AttrPath>) {
            match f {
                Filter::Attr { path, .. } => out.push(path),
                Filter::ValuePath { attr, .. } => out.push(attr),
                Filter::Not(inner) => paths(inner, out),
                Filter::And(t) | Filter::Or(t) => t.iter().for_each(|f| paths(f, out)),
            }
        }
        let mut found = Vec::new();
        paths(filter, &mut found);
        for p in found {
            let Ok(r) = self.schema(kind).resolve(p.uri.as_deref(), &p.name, p.sub_attr.as_deref()) else { continue };
            if r.target().returned == crate::schema::Returned::Never
                || r.attribute.returned == crate::schema::Returned::Never
            {
                let detail = format!("`{p}` is never returned, so it cannot be filtered on");
                return Err(if in_uri {
                    ScimError::new(StatusCode::FORBIDDEN, Some("sensitive"), detail)
                } else {
                    ScimError::bad_request("invalidFilter", detail)
                });
            }
        }
        Ok(())
    }

    fn compile_filter<'s>(&'s self, kind: Kind, filter: &Filter) -> Result<CompiledFilter<'s>, ScimError> {
        compile(filter, self.filter_schema(kind), &self.eval_options())
            .map_err(|e| ScimError::bad_request("invalidFilter", e.message))
    }

    /// The ids an `eq` on an indexed attribute narrows a filter to (in store order), if it has one.
    fn candidates(&self, data: &Data, kind: Kind, filter: &Filter) -> Option<Vec<String>> {
        let terms: &[Filter] = match filter {
            Filter::And(terms) => terms,
            f => std::slice::from_ref(f),
        };
        for term in terms {
            let Filter::Attr { path, test: Test::Compare(CompareOp::Eq, CompValue::String(v)) } = term else {
                continue;
            };
            let core = self.schema(kind).core.id.as_str();
            if path.uri.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(core)) {
                continue;
            }
            let name = path.name.to_ascii_lowercase();
            let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
            let ids = match (kind, name.as_str(), sub.as_deref()) {
                (Kind::User, "username", None) => {
                    let key = if self.has(Fault::CaseSensitiveUserName) { v.clone() } else { fold(v) };
                    data.user_names.get(&key)
                }
                (Kind::Group, "displayname", None) => data.group_names.get(&fold(v)),
                (_, "externalid", None) => data.external_ids.get(&(kind, v.clone())),
                (Kind::User, "emails", None | Some("value")) => data.emails.get(&fold(v)),
                _ => continue,
            };
            let table = data.table(kind);
            let mut ids: Vec<&String> = ids.map(|s| s.iter().collect()).unwrap_or_default();
            ids.sort_by_key(|id| table.by_id.get(*id).map_or(0, |s| s.seq));
            return Some(ids.into_iter().cloned().collect());
        }
        None
    }

    /// Rewrites a filter the way a buggy server reads it.
    fn bend(&self, filter: Filter) -> Filter {
        fn not_ignored(f: Filter) -> Filter {
            match f {
                Filter::Not(inner) => not_ignored(*inner),
                Filter::And(t) => Filter::And(t.into_iter().map(not_ignored).collect()),
                Filter::Or(t) => Filter::Or(t.into_iter().map(not_ignored).collect()),
                f => f,
            }
        }
        fn left_to_right(f: Filter) -> Filter {
            match f {
                Filter::Or(terms) => {
                    let mut terms = terms.into_iter().map(left_to_right);
                    let mut acc = terms.next().expect("or has terms");
                    for t in terms {
                        acc = match t {
                            Filter::And(mut inner) => {
                                let first = inner.remove(0);
                                let mut and = vec![Filter::Or(vec![acc, first])];
                                and.extend(inner);
                                Filter::And(and)
                            }
                            t => Filter::Or(vec![acc, t]),
                        };
                    }
                    acc
                }
                Filter::And(t) => Filter::And(t.into_iter().map(left_to_right).collect()),
                Filter::Not(inner) => Filter::Not(Box::new(left_to_right(*inner))),
                f => f,
            }
        }
        let mut f = filter;
        if self.has(Fault::NotIgnored) {
            f = not_ignored(f);
        }
        if self.has(Fault::AndOrPrecedence) {
            f = left_to_right(f);
        }
        f
    }

    /// A ListResponse over `kinds` (one for `/Users`, both for a root `.search`).
    pub fn list(
        &self,
        kinds: &[Kind],
        query: &ListQuery,
        base: &str,
    ) -> Result<(Vec<Rendered>, usize, usize), ScimError> {
        let parsed = match &query.filter {
            Some(text) => {
                let options = ParseOptions::with_dialect(self.eval_options().dialect);
                let f =
                    parse_with(text, &options).map_err(|e| ScimError::bad_request("invalidFilter", e.render(text)))?;
                Some(self.bend(f))
            }
            None => None,
        };
        let data = self.data.read().expect("store lock");
        let mut hits: Vec<(Kind, &Stored)> = Vec::new();
        let mut errors = Vec::new();
        let needs_render = query.filter.as_deref().is_some_and(|f| {
            let f = f.to_ascii_lowercase();
            ["groups", "members", "meta.location", "meta.version"].iter().any(|k| f.contains(k))
        });
        for &kind in kinds {
            if let Some(f) = &parsed {
                self.check_sensitive(kind, f, query.in_uri)?;
            }
            let compiled = match &parsed {
                Some(f) => match self.compile_filter(kind, f) {
                    Ok(c) => Some(c),
                    Err(e) if kinds.len() > 1 => {
                        errors.push(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let table = data.table(kind);
            let indexed = parsed.as_ref().and_then(|f| self.candidates(&data, kind, f));
            let ids: Box<dyn Iterator<Item = &String>> = match &indexed {
                Some(ids) => Box::new(ids.iter()),
                None => Box::new(table.order.values()),
            };
            for id in ids {
                let Some(stored) = table.by_id.get(id) else { continue };
                if self.has(Fault::HideInactiveUsers)
                    && kind == Kind::User
                    && stored.json().get("active") == Some(&json!(false))
                {
                    continue;
                }
                let matched = match &compiled {
                    None => true,
                    Some(c) if needs_render => c.matches(&self.render(&data, kind, stored, base).json),
                    Some(c) => c.matches(&stored.json()),
                };
                if matched {
                    hits.push((kind, stored));
                }
            }
            for (_, stored) in data.ghosts.iter().filter(|(k, _)| *k == kind) {
                if compiled.as_ref().is_none_or(|c| c.matches(&stored.json())) {
                    hits.push((kind, stored));
                }
            }
        }
        if kinds.len() > 1 && errors.len() == kinds.len() {
            return Err(errors.remove(0));
        }
        if let Some(sort_by) = &query.sort_by {
            self.sort(&mut hits, sort_by, query.descending)?;
        }
        if self.has(Fault::UnstableOrder) && query.count.is_some_and(|c| c % 2 == 1) {
            hits.reverse();
        }
        let total = hits.len();
        if query.filter.is_some() && total == 0 && self.has(Fault::FilterNoMatch404) {
            return Err(ScimError::not_found("no resource matches the filter"));
        }
        // 1-based startIndex; < 1 means 1; count < 0 means 0; at most maxResults (RFC 7644 §3.4.2.4).
        let mut start = query.start_index.unwrap_or(1).max(1) as usize;
        if self.has(Fault::ZeroBasedStartIndex) {
            start += 1;
        }
        let count = query.count.map_or(self.config.max_results, |c| c.max(0) as usize).min(self.config.max_results);
        let page: Vec<Rendered> = if self.has(Fault::IgnorePagination) {
            hits.into_iter().map(|(kind, stored)| self.render(&data, kind, stored, base)).collect()
        } else {
            hits.into_iter()
                .skip(start - 1)
                .take(count)
                .map(|(kind, stored)| self.render(&data, kind, stored, base))
                .collect()
        };
        let total = if self.has(Fault::TotalResultsIsPageSize) { page.len() } else { total };
        let start = query.start_index.unwrap_or(1).max(1) as usize;
        Ok((page, total, start))
    }

    /// Orders hits by `sort_by` (RFC 7644 §3.4.2.3): the attribute's SCIM order, resources without a
    /// value last; multi-valued attributes sort by their primary (else first) value. Stable.
    fn sort(&self, hits: &mut [(Kind, &Stored)], sort_by: &str, descending: bool) -> Result<(), ScimError> {
        let (uri, rest) = crate::schema::split_urn(sort_by);
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        let kinds: std::collections::BTreeSet<Kind> = hits.iter().map(|(k, _)| *k).collect();
        if !kinds.is_empty() && kinds.iter().all(|k| self.schema(*k).resolve(uri, name, sub).is_err()) {
            let k = *kinds.iter().next().expect("not empty");
            let e = self.schema(k).resolve(uri, name, sub).expect_err("checked");
            return Err(ScimError::bad_request("invalidValue", format!("sortBy `{sort_by}`: {e}")));
        }
        let mut keyed = Vec::with_capacity(hits.len());
        for &(kind, stored) in hits.iter() {
            // A resource type without the attribute has no value for it: it sorts with the missing ones.
            let Ok(r) = self.schema(kind).resolve(uri, name, sub) else {
                keyed.push((None, crate::schema::Attribute::new("", AttributeType::String), kind, stored));
                continue;
            };
            if r.target().returned == crate::schema::Returned::Never {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("sortBy `{sort_by}`: it is never returned"),
                ));
            }
            let whole = stored.json();
            let object = match r.owner.container() {
                Some(urn) => whole.as_object().and_then(|o| get_ci(o, urn)).map(|(_, v)| v),
                None => Some(&whole),
            };
            let mut v = object.and_then(|b| b.as_object()).and_then(|o| get_ci(o, &r.attribute.name)).map(|(_, v)| v);
            if let Some(Value::Array(items)) = v {
                v = items.iter().find(|i| i.get("primary") == Some(&json!(true))).or_else(|| items.first());
            }
            if let Some(s) = r.sub_attribute {
                v = v.and_then(|x| x.as_object()).and_then(|o| get_ci(o, &s.name)).map(|(_, v)| v);
            } else if r.attribute.is_complex() {
                v = v.and_then(|x| x.get("value"));
            }
            keyed.push((v.filter(|v| value::is_present(v)).cloned(), r.target().clone(), kind, stored));
        }
        keyed.sort_by(|(a, attr, ..), (b, ..)| match (a, b) {
            (Some(x), Some(y)) => value::order(attr, x, y).unwrap_or(std::cmp::Ordering::Equal),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        if descending {
            keyed.reverse();
        }
        for (slot, (_, _, kind, stored)) in hits.iter_mut().zip(keyed) {
            *slot = (kind, stored);
        }
        Ok(())
    }

    /// Preloads `n` realistic users (and a few groups of them), for manual poking and benchmarks.
    pub fn seed_users(&self, n: usize, base: &str) {
        const GIVEN: [&str; 8] = ["Barbara", "James", "Ana", "Wei", "Olu", "Mia", "Ravi", "Sven"];
        const TITLES: [&str; 4] = ["Engineer", "Manager", "Tour Guide", "Analyst"];
        const DEPARTMENTS: [&str; 3] = ["R&D", "Sales", "Support"];
        const FAMILY: [&str; 8] = ["Jensen", "Smith", "García", "Chen", "Adeyemi", "Rossi", "Patel", "Larsen"];
        for i in 0..n {
            let (g, f) = (GIVEN[i % 8], FAMILY[(i / 8) % 8]);
            let user_name = format!("{}.{}{i}@example.com", g.to_lowercase(), f.to_lowercase());
            let body = json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
                "userName": user_name,
                "externalId": format!("ext-{i}"),
                "name": { "givenName": g, "familyName": f, "formatted": format!("{g} {f}") },
                "displayName": format!("{g} {f}"),
                "active": i % 10 != 9,
                "emails": [{ "value": user_name, "type": "work", "primary": true }],
                "title": TITLES[i % 4],
                ENTERPRISE_USER: { "employeeNumber": format!("{i}"), "department": DEPARTMENTS[i % 3] },
            });
            let _ = self.create(Kind::User, &body, base);
        }
    }

    /// How many users and groups the store holds.
    pub fn counts(&self) -> (usize, usize) {
        let data = self.data.read().expect("store lock");
        (data.users.by_id.len(), data.groups.by_id.len())
    }

    /// The status a successful create answers with (a fault can make it 200).
    pub fn created_status(&self) -> StatusCode {
        if self.has(Fault::CreateReturns200) { StatusCode::OK } else { StatusCode::CREATED }
    }
}

fn not_found(kind: Kind, id: &str) -> ScimError {
    ScimError::not_found(format!("no {} with id `{id}`", kind.name()))
}
