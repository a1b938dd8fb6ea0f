//! The reference server without HTTP: the operations on Users and Groups (create, read, replace, patch,
//! delete) over the store (`store.rs`), with listing in `listing.rs`. `http.rs` maps requests onto it and
//! `bulk.rs` reuses it operation by operation, so every path through the server behaves alike. What it
//! does where the mode or a fault decides is read from its [`Behaviour`], resolved once in [`Service::new`].

use std::collections::HashSet;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::ServerConfig;
use super::behaviour::Behaviour;
use super::error::ScimError;
use super::store::{Data, Keys, Store, Stored, member_json, str_at};
use crate::patch::{OpKind, PatchOptions, PatchRequest, apply};
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

/// The in-memory SCIM service.
pub struct Service {
    config: ServerConfig,
    behaviour: Behaviour,
    /// The behaviour's PATCH options, built once.
    patch_options: PatchOptions,
    pub(super) store: Store,
    user: ResourceSchema,
    group: ResourceSchema,
    /// The schemas filters are checked against: the real ones, or with the comparison rules the
    /// behaviour bends (case-exact names, dateTimes as text), so the filter core itself stays correct.
    user_filter_schema: ResourceSchema,
    group_filter_schema: ResourceSchema,
    /// With `ServerConfig::oauth`: the authorization server, its key made now.
    oauth: Option<super::oauth::Authority>,
}

/// Now, and now moved by `offset_secs`, as SCIM dateTimes from one reading of the clock.
fn now_and_moved(offset_secs: i64) -> (String, String) {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let at = |offset: i64| {
        DateTime::from_unix(since.as_secs() as i64 + offset, since.subsec_millis() * 1_000_000).to_string()
    };
    (at(0), at(offset_secs))
}

fn now() -> String {
    now_and_moved(0).0
}

/// Each written member must name one: `{"display": "x"}` alone is refused, not dropped. Unless
/// `null_ref_accepted`, a `"$ref": null` is refused too.
fn members_have_values(members: &Value, null_ref_accepted: bool) -> Result<(), ScimError> {
    let items: Vec<&Value> = match members {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    };
    for m in items {
        if !null_ref_accepted && m.get("$ref").is_some_and(Value::is_null) {
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

impl Service {
    pub fn new(config: ServerConfig) -> Service {
        let behaviour = Behaviour::new(config.mode, &config.faults);
        let mut user = ResourceSchema::user().clone();
        for document in &config.user_extensions {
            // Tested documents (an app's loaded extensions); one that does not read is left out of both
            // the schema and discovery.
            user.extensions.extend(parse_extension(document).map(|s| (s, false)));
        }
        if behaviour.minimal_user_schema {
            user.core.attributes.retain(|a| a.name != "nickName");
            user.extensions.clear();
        }
        if behaviour.name_formatted_required
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
        if behaviour.user_name_case_exact
            && let Some(a) = user_filter_schema.core.attributes.iter_mut().find(|a| a.name == "userName")
        {
            a.case_exact = true;
        }
        if behaviour.group_display_name_case_exact
            && let Some(a) = group_filter_schema.core.attributes.iter_mut().find(|a| a.name == "displayName")
        {
            a.case_exact = true;
        }
        if !behaviour.datetime_filters_compare_instants {
            for schema in [&mut user_filter_schema, &mut group_filter_schema] {
                for a in schema.common.iter_mut().flat_map(|a| a.sub_attributes.iter_mut()) {
                    if a.ty == AttributeType::DateTime {
                        a.ty = AttributeType::String;
                    }
                }
            }
        }
        let keys = Keys {
            user_name_case_exact: behaviour.user_name_case_exact,
            user_names_unique: behaviour.user_names_unique,
        };
        Service {
            oauth: config.oauth.as_ref().map(super::oauth::Authority::new),
            config,
            patch_options: behaviour.patch_options(),
            behaviour,
            store: Store::new(keys),
            user,
            group,
            user_filter_schema,
            group_filter_schema,
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

    /// The authorization server of `--oauth`, if configured.
    pub(crate) fn oauth(&self) -> Option<&super::oauth::Authority> {
        self.oauth.as_ref()
    }

    /// What this server does where its mode and faults decide.
    pub(super) fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }

    pub(super) fn filter_schema(&self, kind: Kind) -> &ResourceSchema {
        match kind {
            Kind::User => &self.user_filter_schema,
            Kind::Group => &self.group_filter_schema,
        }
    }

    // ----- building and checking representations ----------------------------------------------

    /// The stored form of a POST or PUT body: validated against the schema by the PATCH engine (a
    /// path-less `add` onto an empty resource), readOnly attributes ignored (RFC 7643 §2.2), unknown
    /// attributes rejected in strict mode and dropped in compat mode.
    fn build(&self, kind: Kind, body: &Value) -> Result<(Value, Option<Value>), ScimError> {
        if self.behaviour.minimal_user_schema
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
        if self.behaviour.unknown_schema_urns_refused
            && let Some(unknown) = listed.iter().find(|s| schema.schema(s).is_none())
        {
            return Err(ScimError::bad_request("invalidValue", format!("unknown schema `{unknown}`")));
        }
        if self.behaviour.null_attribute_crashes && fields.values().any(Value::is_null) {
            return Err(ScimError::new(StatusCode::INTERNAL_SERVER_ERROR, None, "NullPointerException"));
        }
        // The resource type read from `schemas[0]` (OneLogin OL-Q4's legacy URNs crash it).
        if !self.behaviour.missing_core_urn_handled
            && !listed.is_empty()
            && !listed.iter().any(|s| s.eq_ignore_ascii_case(&schema.core.id))
        {
            return Err(ScimError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                format!("no resource type for schema `{}`", listed[0]),
            ));
        }
        if !self.behaviour.empty_strings_accepted
            && let Some((key, _)) =
                fields.iter().find(|(k, v)| !k.eq_ignore_ascii_case("schemas") && holds_empty_string(v))
        {
            return Err(ScimError::bad_request("invalidValue", format!("`{key}` holds an empty string")));
        }
        if !self.behaviour.single_object_for_multi_valued_accepted
            && let Some((key, _)) = fields
                .iter()
                .find(|(k, v)| v.is_object() && schema.resolve(None, k, None).is_ok_and(|r| r.attribute.multi_valued))
        {
            return Err(ScimError::bad_request(
                "invalidValue",
                format!("`{key}` is multi-valued: a JSON array (RFC 7643 §2.4)"),
            ));
        }
        if self.behaviour.schemas_required {
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
            members_have_values(members, self.behaviour.null_member_ref_accepted)?;
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
                        None if self.behaviour.unknown_attributes_refused => {
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
                Err(_)
                    if schema.schema(key).is_some()
                        || key.contains(':') && !self.behaviour.unknown_attributes_refused => {}
                Err(e) if self.behaviour.unknown_attributes_refused => {
                    return Err(ScimError::bad_request("invalidValue", e.to_string()));
                }
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
        let mut built = apply(&empty, &request, schema, &self.patch_options)
            .map_err(|e| ScimError::bad_request(e.scim_type.as_str(), e.detail))?
            .resource;
        if !self.behaviour.emails_without_primary_kept
            && let Some(fields) = built.as_object_mut()
            && fields
                .get("emails")
                .and_then(Value::as_array)
                .is_some_and(|emails| !emails.iter().any(|e| e.get("primary") == Some(&Value::Bool(true))))
        {
            fields.shift_remove("emails");
        }
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
        let password = password.filter(|_| self.behaviour.password_returned);
        Ok((built, password))
    }

    /// Members must exist; a group cannot contain itself. Stored members keep `value` and the real `type`.
    fn check_members(&self, data: &Data, group_id: &str, resource: &mut Value) -> Result<(), ScimError> {
        let Some(Value::Array(members)) = resource.get_mut("members") else { return Ok(()) };
        let mut seen = HashSet::with_capacity(members.len());
        let mut out = Vec::with_capacity(members.len());
        for m in std::mem::take(members) {
            let Some(id) = str_at(&m, "value") else {
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
            let stated = str_at(&m, "type");
            if let Some(t) = stated
                && !t.eq_ignore_ascii_case(kind.name())
            {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("member `{id}` is a {}, not a {t}", kind.name()),
                ));
            }
            if !seen.insert(id.to_string()) {
                continue;
            }
            // A member stored before is `{value, type}` already: kept as it is, not built again.
            let stored_form = stated == Some(kind.name())
                && m.as_object().is_some_and(|o| o.len() == 2 && o.contains_key("value") && o.contains_key("type"));
            out.push(if stored_form { m } else { json!({ "value": id, "type": kind.name() }) });
        }
        if let Some(cap) = self.behaviour.group_member_cap {
            // The bug: the rest are dropped, and the write succeeds.
            out.truncate(cap);
        }
        *members = out;
        if members.is_empty() {
            resource.as_object_mut().expect("resources are objects").shift_remove("members");
        }
        Ok(())
    }

    /// With `undeclared-language-values`: `preferredLanguage` only from a list /Schemas does not declare,
    /// the bug behind Entra's most frequent gallery failure (E-Q35).
    fn check_language(&self, kind: Kind, json: &Value) -> Result<(), ScimError> {
        const ENFORCED: [&str; 3] = ["en", "fr", "de"];
        match json.get("preferredLanguage").and_then(Value::as_str) {
            Some(l) if !self.behaviour.preferred_language_free && kind == Kind::User && !ENFORCED.contains(&l) => {
                Err(ScimError::bad_request(
                    "invalidValue",
                    format!("`preferredLanguage` `{l}` is not one of the canonical values"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Strings and phone numbers as the behaviour stores them: Unicode kept or through a Latin-1 column;
    /// phone numbers as written or as `+` and digits only; a User's entitlements kept or dropped.
    fn bend_values(&self, json: &mut Value) {
        if !self.behaviour.user_entitlements_stored
            && let Some(o) = json.as_object_mut()
        {
            o.shift_remove("entitlements");
        }
        if !self.behaviour.strings_keep_unicode {
            latin1(json);
        }
        if self.behaviour.phone_numbers_as_written {
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

    fn check_if_match(&self, stored: &Stored, if_match: Option<&str>) -> Result<(), ScimError> {
        let Some(header) = if_match else { return Ok(()) };
        if !self.behaviour.if_match_checked {
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
        if !self.behaviour.absolute_locations {
            // Everything after the authority: `/scim/v2/Users/<id>`.
            let after_scheme = location.split_once("://").map_or(location.as_str(), |(_, rest)| rest);
            return after_scheme.find('/').map_or(location.clone(), |i| after_scheme[i..].to_string());
        }
        location
    }

    pub(super) fn render(&self, data: &Data, kind: Kind, stored: &Stored, base: &str, members: Members) -> Rendered {
        let mut json = stored.json_apart();
        if kind == Kind::Group
            && members == Members::Excluded
            && let Some(o) = json.as_object_mut()
        {
            o.shift_remove("members");
        }
        // Members kept apart are rendered straight from the list, each with its `$ref`.
        if let (Some(list), Members::Shown, Some(o)) = (&stored.members, members, json.as_object_mut()) {
            let (users, groups) = (self.location(base, Kind::User, ""), self.location(base, Kind::Group, ""));
            let rendered = list
                .ids
                .iter()
                .map(|(mid, stored_kind)| {
                    // A deleted resource leaves its groups, so each member is there, as the kind it was
                    // stored as; otherwise the member is looked up.
                    let kind = if self.behaviour.delete_leaves_groups { Some(*stored_kind) } else { data.kind_of(mid) };
                    let mut m = member_json(mid, *stored_kind, 3);
                    let prefix = match kind {
                        Some(Kind::User) => &users,
                        Some(Kind::Group) => &groups,
                        None => return Value::Object(m),
                    };
                    m.insert("$ref".into(), Value::String(format!("{prefix}{mid}")));
                    Value::Object(m)
                })
                .collect();
            o.shift_insert(list.at.min(o.len()), "members".into(), Value::Array(rendered));
        }
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
                    list.push(json!({
                        "value": g,
                        "$ref": self.location(base, Kind::Group, &g),
                        "display": stored_group.name.as_deref().unwrap_or_default(),
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
                if !self.behaviour.extension_in_schemas
                    && let Some(Value::Array(s)) = json.get_mut("schemas")
                {
                    s.retain(|u| u.as_str() != Some(ENTERPRISE_USER));
                }
            }
            Kind::Group => {
                // Members kept apart were rendered above.
                if stored.members.is_none()
                    && let Some(Value::Array(members)) = json.get_mut("members")
                {
                    for m in members.iter_mut() {
                        let Some(mid) = str_at(m, "value").map(str::to_string) else { continue };
                        let Some(mkind) = data.kind_of(&mid) else { continue };
                        // `display` is readOnly and not filled in: the member's own resource says who it is,
                        // and a client comparing what it wrote with what it reads gets the same members back.
                        m["$ref"] = json!(self.location(base, mkind, &mid));
                    }
                }
                if !self.behaviour.group_meta_timestamps
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
        if !self.behaviour.create_ignores_groups
            && kind == Kind::User
            && let Some((_, Value::Array(groups))) = body.as_object().and_then(|o| get_ci(o, "groups"))
            && !groups.is_empty()
        {
            return Err(ScimError::bad_request(
                "invalidValue",
                "`groups` names a group that is not a group of this server",
            ));
        }
        let (mut json, password) = self.build(kind, body)?;
        if kind == Kind::User && !self.behaviour.created_active_kept {
            json["active"] = json!(true);
        }
        let mut data = self.store.write();
        let id = self.store.new_id();
        if kind == Kind::Group {
            self.check_members(&data, &id, &mut json)?;
        }
        data.check_unique(kind, &json, None)?;
        self.check_language(kind, &json)?;
        let (now, last_modified) = now_and_moved(self.behaviour.created_last_modified_offset_secs);
        let mut json =
            arrange(json, &id, json!({ "resourceType": kind.name(), "created": now, "lastModified": last_modified }));
        self.bend_values(&mut json);
        data.next_seq += 1;
        data.index(kind, &id, &json, true);
        if kind == Kind::Group {
            self.touch_members(&mut data, &json!({}), &json);
        }
        let name = group_name(kind, &json);
        let stored = Stored::new(data.next_seq, self.store.next_version(), json, password, name);
        let table = data.table_mut(kind);
        table.order.insert(stored.seq, id.clone());
        table.by_id.insert(id.clone(), stored);
        let stored = &data.table(kind).by_id[&id];
        Ok(self.render(&data, kind, stored, base, Members::Shown))
    }

    /// The stored resource as it is: the answer to a PATCH whose every operation a fault dropped.
    fn unchanged(&self, kind: Kind, id: &str, base: &str, members: Members) -> Result<Rendered, ScimError> {
        let data = self.store.read();
        let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
        Ok(self.render(&data, kind, stored, base, members))
    }

    pub fn get(&self, kind: Kind, id: &str, base: &str, members: Members) -> Result<Rendered, ScimError> {
        let data = self.store.read();
        if !self.behaviour.unknown_id_not_found && !data.table(kind).by_id.contains_key(id) {
            return Ok(Rendered { kind, json: Value::Null, version: String::new(), location: String::new() });
        }
        let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
        Ok(self.render(&data, kind, stored, base, members))
    }

    /// Stores `new` (a full representation) in place of resource `id` (whose stored representation is
    /// `old_json`), maintaining indexes and versions.
    fn store(&self, data: &mut Data, kind: Kind, id: &str, old_json: &Value, mut new: Value, changed: bool) {
        if !changed {
            return;
        }
        self.bend_values(&mut new);
        if let Some(meta) = new.get_mut("meta").and_then(Value::as_object_mut) {
            meta.insert("lastModified".into(), json!(now()));
            meta.shift_remove("location");
            meta.shift_remove("version");
        }
        data.reindex(kind, id, old_json, &new);
        let entry = data.table_mut(kind).by_id.get_mut(id).expect("exists");
        if self.behaviour.versions_move {
            entry.version = self.store.next_version();
        }
        entry.name = group_name(kind, &new);
        if kind == Kind::Group {
            self.touch_members(data, old_json, &new);
        }
        data.table_mut(kind).by_id.get_mut(id).expect("exists").set(new);
    }

    /// A user's `groups` is computed from memberships, so when a group's members or name change the
    /// representations of the members it affects change too: their versions move (RFC 7644 §3.14).
    fn touch_members(&self, data: &mut Data, old: &Value, new: &Value) {
        if !self.behaviour.versions_move {
            return;
        }
        let (before, after) = (member_ids(old), member_ids(new));
        let renamed = str_at(old, "displayName") != str_at(new, "displayName");
        let affected: HashSet<&String> =
            if renamed { before.union(&after).collect() } else { before.symmetric_difference(&after).collect() };
        self.touch(data, affected.into_iter().cloned().collect());
    }

    /// Moves the versions of `affected` members and of the members of the groups among them.
    fn touch(&self, data: &mut Data, affected: Vec<String>) {
        if !self.behaviour.versions_move {
            return;
        }
        // Members of nested groups see the change through `indirect` entries: follow them down.
        let mut stack = affected;
        let mut seen = std::collections::HashSet::new();
        while let Some(m) = stack.pop() {
            if !seen.insert(m.clone()) {
                continue;
            }
            let version = self.store.next_version();
            if let Some(user) = data.users.by_id.get_mut(&m) {
                user.version = version;
            } else if let Some(group) = data.groups.by_id.get(&m) {
                stack.extend(member_ids(&group.json()));
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
        if !self.behaviour.put_read_only_ignored
            && let Some(key) =
                ["id", "meta", "groups"].into_iter().find(|k| body.as_object().is_some_and(|o| get_ci(o, k).is_some()))
        {
            return Err(ScimError::bad_request("mutability", format!("`{key}` is readOnly")));
        }
        let (mut json, password) = self.build(kind, body)?;
        let mut data = self.store.write();
        let Some(old) = data.table(kind).by_id.get(id).cloned() else {
            drop(data);
            if self.behaviour.put_creates_unknown {
                return self.create(kind, body, base).map(|r| (r, true));
            }
            return Err(not_found(kind, id));
        };
        self.check_if_match(&old, if_match)?;
        let old_json = old.json();
        if kind == Kind::User
            && !self.behaviour.put_replaces
            && let (Some(kept), Some(sent), Some(built)) =
                (old_json.as_object(), body.as_object(), json.as_object_mut())
        {
            // Core attributes the body does not name keep their value (a null in the body still names one).
            for (key, value) in kept {
                if !["schemas", "id", "meta"].contains(&key.as_str())
                    && !key.contains(':')
                    && get_ci(sent, key).is_none()
                    && !built.contains_key(key)
                {
                    built.insert(key.clone(), value.clone());
                }
            }
        }
        if kind == Kind::Group {
            self.check_members(&data, id, &mut json)?;
        }
        data.check_unique(kind, &json, Some(id))?;
        self.check_language(kind, &json)?;
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
        self.store(&mut data, kind, id, &old_json, new, changed);
        if self.behaviour.password_returned && password.is_some() {
            data.table_mut(kind).by_id.get_mut(id).expect("exists").password = password;
        }
        let stored = &data.table(kind).by_id[id];
        Ok((self.render(&data, kind, stored, base, Members::Shown), false))
    }

    pub fn patch(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        base: &str,
        members: Members,
    ) -> Result<Rendered, ScimError> {
        self.patch_over(kind, id, body, if_match, base, None, members)
    }

    /// The resource as stored now, for [`Service::patch_over`] (with `lost-concurrent-member-update`).
    pub(super) fn read_for_patch(&self, kind: Kind, id: &str) -> Option<Stored> {
        self.store.read().table(kind).by_id.get(id).cloned()
    }

    /// A PATCH applied to `stale` (read earlier) instead of the resource as stored, when given: the
    /// lost update of `lost-concurrent-member-update`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn patch_over(
        &self,
        kind: Kind,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        base: &str,
        stale: Option<Stored>,
        members: Members,
    ) -> Result<Rendered, ScimError> {
        let options = &self.patch_options;
        let mut request = PatchRequest::from_json(body, options)?;
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
                    members_have_values(m, self.behaviour.null_member_ref_accepted)?;
                }
            }
        }
        if !self.behaviour.pathless_ops_applied {
            request.operations.retain(|op| op.path.is_some());
            if request.operations.is_empty() {
                return self.unchanged(kind, id, base, members);
            }
        }
        if let Some(cap) = self.behaviour.members_per_operation
            && request.operations.iter().any(|op| {
                op.path.as_ref().is_some_and(|p| p.attr.name.eq_ignore_ascii_case("members"))
                    && op.value.as_ref().and_then(Value::as_array).is_some_and(|a| a.len() > cap)
            })
        {
            return Err(ScimError::bad_request("tooMany", format!("at most {cap} members per operation")));
        }
        if !self.behaviour.empty_member_replace_applied {
            request.operations.retain(|op| {
                !(op.op == OpKind::Replace
                    && op.path.as_ref().is_some_and(|p| p.attr.name.eq_ignore_ascii_case("members"))
                    && op.value.as_ref().is_some_and(|v| v.as_array().is_some_and(Vec::is_empty)))
            });
            if request.operations.is_empty() {
                return self.unchanged(kind, id, base, members);
            }
        }
        if !self.behaviour.single_valued_remove_applied {
            let schema = self.schema(kind);
            request.operations.retain(|op| {
                let single = op.path.as_ref().filter(|p| p.filter.is_none()).is_some_and(|p| {
                    schema.resolve(p.attr.uri.as_deref(), &p.attr.name, None).is_ok_and(|r| !r.attribute.multi_valued)
                });
                !(op.op == OpKind::Remove && single)
            });
        }
        if !self.behaviour.filtered_path_ops_applied {
            request.operations.retain(|op| op.path.as_ref().is_none_or(|p| p.filter.is_none()));
            if request.operations.is_empty() {
                return self.unchanged(kind, id, base, members);
            }
        }
        if !self.behaviour.empty_replace_applied {
            // The bug: "no value, nothing to write".
            let empty = |v: &Value| {
                v == &json!("") || v.as_object().is_some_and(|o| !o.is_empty() && o.values().all(|x| x == &json!("")))
            };
            request.operations.retain(|op| !(op.op == OpKind::Replace && op.value.as_ref().is_some_and(empty)));
            if request.operations.is_empty() {
                return self.unchanged(kind, id, base, members);
            }
        }
        let mut data = self.store.write();
        if kind == Kind::Group
            && stale.is_none()
            && self.behaviour.patch_atomic
            && self.behaviour.group_member_cap.is_none()
            // Otherwise a member can outlive its resource, and the engine's path refuses the group's PATCHes.
            && self.behaviour.delete_leaves_groups
            && let Some(ops) = member_ops(&request, options)
        {
            let stored = data.groups.by_id.get(id).ok_or_else(|| not_found(kind, id))?;
            self.check_if_match(stored, if_match)?;
            if let Some(changes) = member_changes(&data, id, stored, &ops) {
                self.write_members(&mut data, id, changes);
                return Ok(self.render(&data, kind, &data.groups.by_id[id], base, members));
            }
        }
        let stored = data.table(kind).by_id.get(id).ok_or_else(|| not_found(kind, id))?;
        let old = stale.as_ref().unwrap_or(stored);
        self.check_if_match(old, if_match)?;
        let old_json = old.json();
        let schema = self.schema(kind);
        let outcome = if !self.behaviour.patch_atomic {
            // The bug: each operation lands as it goes.
            let mut current = old_json.clone();
            for op in &request.operations {
                let single = PatchRequest { operations: vec![op.clone()] };
                match apply(&current, &single, schema, options) {
                    Ok(out) => current = out.resource,
                    Err(e) => {
                        let changed = current != old_json;
                        self.store(&mut data, kind, id, &old_json, current, changed);
                        return Err(e.into());
                    }
                }
            }
            let changed = current != old_json;
            crate::patch::Outcome { resource: current, changed }
        } else if kind == Kind::User && !self.behaviour.user_patch_ops_in_sequence {
            merge_by_attribute(&old_json, &request, schema, options)?
        } else {
            apply(&old_json, &request, schema, options)?
        };
        let mut new = outcome.resource;
        // A password is write-only and this server does not keep one (changePassword.supported false):
        // what a PATCH writes is discarded, as on POST and PUT, so it can neither be read nor searched.
        let password = new.as_object_mut().and_then(|o| o.shift_remove("password"));
        if kind == Kind::Group {
            self.check_members(&data, id, &mut new)?;
        }
        data.check_unique(kind, &new, Some(id))?;
        self.check_language(kind, &new)?;
        // id and meta stay the server's (the engine refuses readOnly writes; this keeps them exact).
        new["id"] = json!(id);
        new["meta"] = old_json["meta"].clone();
        let changed = new != old_json;
        self.store(&mut data, kind, id, &old_json, new, changed);
        if let Some(p) = password.filter(|_| self.behaviour.password_returned) {
            data.table_mut(kind).by_id.get_mut(id).expect("exists").password = Some(p);
        }
        let stored = &data.table(kind).by_id[id];
        Ok(self.render(&data, kind, stored, base, members))
    }

    /// Writes `changes` (from [`member_changes`]) to group `id`, which keeps its members apart and has every
    /// removed member: the members, the membership index, `meta.lastModified` and the versions, as
    /// [`Service::store`] would for the whole group.
    fn write_members(&self, data: &mut Data, id: &str, changes: MemberChanges) {
        if !changes.added.is_empty() || !changes.removed.is_empty() {
            let group = data.groups.by_id.get_mut(id).expect("checked by member_changes");
            let mut json = group.json_apart();
            if let Some(meta) = json.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("lastModified".into(), json!(now()));
            }
            let mut list = group.members.take().expect("checked by member_changes");
            for gone in &changes.removed {
                list.ids.shift_remove(gone.as_str());
            }
            for (member, kind) in &changes.added {
                list.ids.insert(Box::from(member.as_str()), *kind);
            }
            if self.behaviour.versions_move {
                group.version = self.store.next_version();
            }
            group.set_apart(json, (!list.ids.is_empty()).then_some(list));
            for gone in &changes.removed {
                data.edit_membership(gone, id, false);
            }
            for (member, _) in &changes.added {
                data.edit_membership(member, id, true);
            }
            let affected = changes.removed.into_iter().chain(changes.added.into_iter().map(|(m, _)| m)).collect();
            self.touch(data, affected);
        }
    }

    pub fn delete(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ScimError> {
        let mut data = self.store.write();
        let old = data.table(kind).by_id.get(id).cloned().ok_or_else(|| not_found(kind, id))?;
        self.check_if_match(&old, if_match)?;
        data.index(kind, id, &old.json(), false);
        if kind == Kind::Group
            && !self.behaviour.deleted_group_names_released
            && let Some(name) = str_at(&old.json(), "displayName")
        {
            // The bug: the name's index entry outlives the group, so it still counts as taken.
            data.group_names.entry(super::store::fold(name)).or_default().add(id);
        }
        let table = data.table_mut(kind);
        table.by_id.remove(id);
        table.order.remove(&old.seq);
        if self.behaviour.deleted_stay_listed {
            data.ghosts.push((kind, old.clone()));
        }
        if self.behaviour.delete_leaves_groups {
            // A deleted resource leaves every group it was a member of (RFC 7644 §3.6, practical SHOULD).
            if let Some(groups) = data.memberships.remove(id) {
                for g in groups {
                    let Some(group) = data.groups.by_id.get(&g) else { continue };
                    if group.members.as_ref().is_some_and(|list| list.ids.contains_key(id)) {
                        let changes = MemberChanges { added: Vec::new(), removed: vec![id.to_string()] };
                        self.write_members(&mut data, &g, changes);
                        continue;
                    }
                    let before = group.json();
                    let mut json = before.clone();
                    if let Some(Value::Array(members)) = json.get_mut("members") {
                        members.retain(|m| str_at(m, "value") != Some(id));
                        if members.is_empty() {
                            json.as_object_mut().expect("object").shift_remove("members");
                        }
                    }
                    self.store(&mut data, Kind::Group, &g, &before, json, true);
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
        let data = self.store.read();
        (data.users.by_id.len(), data.groups.by_id.len())
    }

    /// The status a successful create answers with (201 unless the behaviour says otherwise).
    pub fn created_status(&self) -> StatusCode {
        self.behaviour.created_status
    }
}

/// Whether `v` is `""` or holds one in a complex or multi-valued value.
fn holds_empty_string(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.iter().any(holds_empty_string),
        Value::Object(o) => o.values().any(holds_empty_string),
        _ => false,
    }
}

fn not_found(kind: Kind, id: &str) -> ScimError {
    ScimError::not_found(format!("no {} with id `{id}`", kind.name()))
}

/// The `patch-ops-merge-by-attribute` bug: each operation applied to the stored resource on its own, and the
/// top-level attributes it changed copied over in turn, so the last operation touching an attribute wins.
fn merge_by_attribute(
    old: &Value,
    request: &PatchRequest,
    schema: &ResourceSchema,
    options: &PatchOptions,
) -> Result<crate::patch::Outcome, crate::patch::PatchError> {
    // The request's errors stay what they were.
    apply(old, request, schema, options)?;
    let mut merged = old.clone();
    for op in &request.operations {
        let one = apply(old, &PatchRequest { operations: vec![op.clone()] }, schema, options)?.resource;
        let (Some(before), Some(after), Some(target)) = (old.as_object(), one.as_object(), merged.as_object_mut())
        else {
            continue;
        };
        for (key, value) in after {
            if before.get(key) != Some(value) {
                target.insert(key.clone(), value.clone());
            }
        }
        for key in before.keys().filter(|k| !after.contains_key(*k)) {
            target.shift_remove(key);
        }
    }
    let changed = merged != *old;
    Ok(crate::patch::Outcome { resource: merged, changed })
}

/// Whether an answer shows a group's members. Entra reads and patches groups with
/// `excludedAttributes=members` (E-Q12): such a group is rendered without them, so a PATCH of a
/// 1,000-member group does not build 1,000 `$ref`s the projection then drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Members {
    #[default]
    Shown,
    Excluded,
}

/// The ids of a group's members.
fn member_ids(group: &Value) -> HashSet<String> {
    group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|m| str_at(m, "value").map(str::to_string)).collect())
        .unwrap_or_default()
}

/// One operation of a group PATCH that only adds or removes members named by id (see [`member_ops`]).
enum MemberOp<'r> {
    /// `add` on `members`: each `{"value": id}`, with `"type"` or `"$ref": null` or both.
    Add(Vec<(&'r str, Option<&'r str>)>),
    /// `remove` on `members[value eq "id"]`, or on `members` with a value list (Entra E-Q3).
    Remove(Vec<&'r str>),
}

/// The operations of `request` when each only adds or removes members named by id, and no id is named twice;
/// `None` otherwise, and the PATCH engine applies the request to the whole group. What these operations do
/// is what the engine does with them: the server's tests compare the two.
fn member_ops<'r>(request: &'r PatchRequest, options: &PatchOptions) -> Option<Vec<MemberOp<'r>>> {
    use crate::filter::{CompValue, CompareOp, Filter, Test};
    let listed = |v: &'r Value| -> Option<Vec<(&'r str, Option<&'r str>)>> {
        let items = v.as_array().filter(|a| !a.is_empty())?;
        items
            .iter()
            .map(|m| {
                let o = m.as_object()?;
                let id = o.get("value")?.as_str()?;
                let stated = match o.get("type") {
                    None => None,
                    Some(t) => Some(t.as_str()?),
                };
                // Entra writes `"$ref": null` (E-Q4); a server that refuses it has answered already.
                let null_ref = match o.get("$ref") {
                    None => false,
                    Some(Value::Null) => true,
                    Some(_) => return None,
                };
                (o.len() == 1 + usize::from(stated.is_some()) + usize::from(null_ref)).then_some((id, stated))
            })
            .collect()
    };
    let mut named = HashSet::new();
    let mut ops = Vec::with_capacity(request.operations.len());
    for op in &request.operations {
        let path = op.path.as_ref()?;
        if path.attr.uri.is_some()
            || path.attr.sub_attr.is_some()
            || path.sub_attr.is_some()
            || !path.attr.name.eq_ignore_ascii_case("members")
        {
            return None;
        }
        let op = match (op.op, &path.filter, &op.value) {
            (OpKind::Add, None, Some(v)) => MemberOp::Add(listed(v)?),
            (OpKind::Remove, None, Some(v)) if options.tolerances.remove_value_selects => {
                let items = listed(v)?;
                if items.iter().any(|(_, stated)| stated.is_some()) {
                    return None;
                }
                MemberOp::Remove(items.into_iter().map(|(m, _)| m).collect())
            }
            (
                OpKind::Remove,
                Some(Filter::Attr { path: a, test: Test::Compare(CompareOp::Eq, CompValue::String(m)) }),
                None,
            ) if a.uri.is_none() && a.sub_attr.is_none() && a.name.eq_ignore_ascii_case("value") => {
                MemberOp::Remove(vec![m.as_str()])
            }
            _ => return None,
        };
        let ids: Vec<&str> = match &op {
            MemberOp::Add(items) => items.iter().map(|(m, _)| *m).collect(),
            MemberOp::Remove(items) => items.clone(),
        };
        // An id named twice: the order of the operations decides, and the engine works that out.
        if !ids.into_iter().all(|m| named.insert(m)) {
            return None;
        }
        ops.push(op);
    }
    Some(ops)
}

/// What [`member_ops`] change in group `group_id`.
struct MemberChanges {
    added: Vec<(String, Kind)>,
    removed: Vec<String>,
}

/// The members `ops` add and remove, when the group keeps its members apart, every added member is a User
/// or Group of this server (of the `type` stated, if any) other than the group, and every removed member is
/// one of its members. Anything else (an error, a member to refuse, a remove that selects nothing) is left
/// to the PATCH engine, so its answer is the engine's.
fn member_changes(data: &Data, group_id: &str, group: &Stored, ops: &[MemberOp<'_>]) -> Option<MemberChanges> {
    let list = group.members.as_ref()?;
    let mut changes = MemberChanges { added: Vec::new(), removed: Vec::new() };
    // How many members the group has after each operation.
    let mut count = list.ids.len();
    for op in ops {
        match op {
            MemberOp::Add(items) => {
                // The engine drops an emptied `members` and adds it back last, after `meta`.
                if count == 0 {
                    return None;
                }
                for (member, stated) in items {
                    let kind = data.kind_of(member).filter(|_| *member != group_id)?;
                    if stated.is_some_and(|t| t != kind.name()) {
                        return None;
                    }
                    if !list.ids.contains_key(*member) {
                        changes.added.push((member.to_string(), kind));
                        count += 1;
                    }
                }
            }
            MemberOp::Remove(items) => {
                for member in items {
                    if !list.ids.contains_key(*member) {
                        return None;
                    }
                    changes.removed.push(member.to_string());
                    count -= 1;
                }
            }
        }
    }
    Some(changes)
}

/// What [`Stored::name`] keeps: a group's displayName.
fn group_name(kind: Kind, json: &Value) -> Option<Box<str>> {
    (kind == Kind::Group).then(|| str_at(json, "displayName").map(Box::from)).flatten()
}
