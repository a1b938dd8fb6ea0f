//! Apps (`suites/apps/*.toml`): one integration as an identity provider provisions it — its attribute
//! table (which SCIM attributes are mapped, which match or filter, which are required), the profile it
//! is provisioned with, what it supports, and the quirks it declares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use toml::Spanned;

use super::{SuiteError, closest, toml_error};
use crate::filter::{EvalOptions, ParseOptions, PathExpr, compile_value_filter, parse_path};
use crate::schema::{AttributeType, ResolveError, ResourceSchema, Schema, parse_schemas};

/// What an app can do; a scenario that needs what the app lacks is skipped with the reason.
pub const CAPABILITIES: [&str; 6] =
    ["users", "groups", "user_deactivate", "user_delete", "group_delete", "group_rename"];

#[derive(Debug, Clone, PartialEq)]
pub struct AppAttribute {
    /// `User` or `Group`.
    pub resource: String,
    /// A SCIM path: `userName`, `emails[type eq "work"].value`, `urn:…:User:department`.
    pub path: String,
    pub ty: AttributeType,
    /// The IdP finds existing accounts by it (Entra's "matching" attribute, Okta's unique identifier).
    pub matching: bool,
    /// The IdP filters on it.
    pub filterable: bool,
    /// The app refuses a resource without it.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirk {
    pub name: String,
    pub description: String,
}

/// An extension schema the app declares: the vendor's own attributes (`[[app.extension]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AppExtension {
    /// `User` or `Group`: the resource type it extends.
    pub resource: String,
    pub schema: Schema,
    /// Its RFC 7643 §7 representation, as a server publishes it under `/Schemas`.
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub name: String,
    /// The app file it was loaded from.
    pub file: PathBuf,
    pub description: String,
    /// The profile the app is provisioned with (`entra`, `okta`, `rfc` …).
    pub profile: String,
    pub capabilities: BTreeMap<String, bool>,
    pub attributes: Vec<AppAttribute>,
    pub extensions: Vec<AppExtension>,
    pub quirks: Vec<Quirk>,
}

impl App {
    /// Whether the app has capability `name` (absent ones count as supported).
    pub fn can(&self, name: &str) -> bool {
        self.capabilities.get(name).copied().unwrap_or(true)
    }

    /// The schemas the app's table is written against: the built-in `User` or `Group` resource type (core,
    /// and the enterprise extension for users) with the app's own extensions added, optional.
    pub fn resource_schema(&self, resource: &str) -> Option<ResourceSchema> {
        let builtin = ResourceSchema::builtin_named(resource)?;
        let mut schema = builtin.clone();
        for ext in self.extensions.iter().filter(|e| builtin.matches(&e.resource)) {
            schema.extensions.push((ext.schema.clone(), false));
        }
        Some(schema)
    }

    /// Whether `urn` is one of the app's own extensions (not core, not enterprise).
    pub fn declares(&self, urn: &str) -> bool {
        self.extensions.iter().any(|e| e.schema.id.eq_ignore_ascii_case(urn))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    app: RawApp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: String,
    description: String,
    profile: String,
    #[serde(default)]
    capabilities: BTreeMap<String, Spanned<bool>>,
    #[serde(default)]
    attribute: Vec<Spanned<RawAttribute>>,
    #[serde(default)]
    extension: Vec<Spanned<RawExtension>>,
    #[serde(default)]
    quirk: Vec<Quirk2>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    #[serde(default = "user")]
    resource: String,
    path: String,
    /// Absent: the type the schema declares for the path.
    #[serde(rename = "type")]
    ty: Option<String>,
    #[serde(default)]
    matching: bool,
    #[serde(default)]
    filterable: bool,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quirk2 {
    name: String,
    description: String,
}

/// `[[app.extension]]`: a schema inline (`urn` and `[[app.extension.attribute]]`) or in a JSON file in
/// the RFC 7643 §7 format (`schema`, relative to the app file).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtension {
    #[serde(default = "user")]
    resource: String,
    urn: Option<String>,
    name: Option<String>,
    description: Option<String>,
    schema: Option<String>,
    #[serde(default)]
    attribute: Vec<RawSchemaAttribute>,
}

/// An attribute definition in the keys of RFC 7643 §7 (`multiValued`, `subAttributes` …), so an inline
/// extension and a JSON schema file read the same way.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSchemaAttribute {
    name: String,
    #[serde(rename = "type", default = "string")]
    ty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_valued: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    case_exact: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mutability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    returned: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uniqueness: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_values: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_attributes: Option<Vec<RawSchemaAttribute>>,
}

fn user() -> String {
    "User".into()
}

fn string() -> String {
    "string".into()
}

const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Reads one `[[app.extension]]` into a schema; `Err((message, fix, file))` names the JSON file when the
/// mistake is in it.
fn extension(app_file: &Path, raw: RawExtension) -> Result<AppExtension, (String, String, Option<PathBuf>)> {
    let plain = |m: String, f: &str| (m, f.to_string(), None);
    let document = match (&raw.schema, raw.attribute.is_empty()) {
        (Some(_), false) => {
            return Err(plain(
                "an extension has both `schema` (a file) and inline attributes".into(),
                "keep one: the JSON file or the [[app.extension.attribute]] tables",
            ));
        }
        (Some(file), true) => {
            let path = app_file.parent().unwrap_or(Path::new(".")).join(file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                plain(
                    format!("cannot read the schema file {}: {e}", path.display()),
                    "`schema` is relative to the app file",
                )
            })?;
            let json: Value = serde_json::from_str(&text).map_err(|e| {
                (format!("not JSON: {e}"), "write one Schema object (RFC 7643 §7)".into(), Some(path.clone()))
            })?;
            if let (Some(urn), Some(id)) = (&raw.urn, json.get("id").and_then(Value::as_str))
                && !urn.eq_ignore_ascii_case(id)
            {
                return Err(plain(format!("`urn` {urn} is not the file's `id` {id}"), "drop `urn` or make them agree"));
            }
            json
        }
        (None, _) => {
            let Some(urn) = &raw.urn else {
                return Err(plain(
                    "an extension needs `urn` (inline) or `schema` (a JSON file)".into(),
                    "add `urn = \"urn:…:2.0:User\"`",
                ));
            };
            if raw.attribute.is_empty() {
                return Err(plain(
                    format!("extension {urn} declares no attributes"),
                    "add [[app.extension.attribute]] tables",
                ));
            }
            let attributes = serde_json::to_value(&raw.attribute).expect("attributes serialize");
            json!({
                "schemas": [SCHEMA_URN],
                "id": urn,
                "name": raw.name.clone().unwrap_or_else(|| crate::schema::split_urn(urn).1.to_string()),
                "description": raw.description.clone().unwrap_or_default(),
                "attributes": attributes,
            })
        }
    };
    let in_file = raw.schema.as_ref().map(|f| app_file.parent().unwrap_or(Path::new(".")).join(f));
    let (mut schemas, issues) = parse_schemas(&document);
    if let Some(issue) = issues.first() {
        return Err((
            format!("the extension schema is not usable: {issue}"),
            "write it as RFC 7643 §7 defines (suites/README.md, apps)".into(),
            in_file,
        ));
    }
    if schemas.len() != 1 {
        return Err((
            format!("{} schemas where one extension was expected", schemas.len()),
            "declare one schema per [[app.extension]]".into(),
            in_file,
        ));
    }
    let schema = schemas.remove(0);
    if !schema.id.to_ascii_lowercase().starts_with("urn:") {
        return Err(plain(
            format!("extension id `{}` is not a URN", schema.id),
            "use a URN, e.g. urn:ietf:params:scim:schemas:extension:acme:2.0:User",
        ));
    }
    if crate::schema::builtin_schemas().iter().any(|b| b.id.eq_ignore_ascii_case(&schema.id)) {
        return Err(plain(format!("{} is a built-in schema", schema.id), "declare only the app's own extensions"));
    }
    if let Some(bad) = schema.attributes.iter().find(|a| a.name.is_empty() || a.name.contains([':', '.', '[', ' '])) {
        return Err(plain(
            format!("attribute name `{}` is not an ATTRNAME (RFC 7643 §2.1)", bad.name),
            "use letters, digits, `_` and `-`",
        ));
    }
    Ok(AppExtension { resource: raw.resource, schema, document })
}

/// Checks that a parsed path names something in `schema` (its value filter too); the message says which
/// part is unknown and what the closest name is.
fn resolve_path(text: &str, parsed: &PathExpr, schema: &ResourceSchema) -> Result<AttributeType, String> {
    let a = &parsed.attr;
    let sub = parsed.sub_attr.as_deref().or(a.sub_attr.as_deref());
    // `x.y` when `x` is not complex: resolve says `x` has no sub-attribute `y`.
    let suggest = |bad: &str, candidates: Vec<&str>| -> String {
        match (closest(bad, candidates), text.rfind(bad)) {
            (Some(good), Some(i)) => format!(" — did you mean `{}{good}{}`?", &text[..i], &text[i + bad.len()..]),
            (Some(good), None) => format!(" — did you mean `{good}`?"),
            (None, _) => String::new(),
        }
    };
    let resolved = schema.resolve(a.uri.as_deref(), &a.name, sub).map_err(|e| match &e {
        ResolveError::UnknownSchema(uri) => {
            // Only a schema that has the attribute is a likely meaning of a misspelt URN.
            let holding =
                schema.schema_ids().filter(|id| schema.schema(id).is_some_and(|s| s.attribute(&a.name).is_some()));
            match suggest(uri, holding.collect()) {
                hint if hint.is_empty() => format!("{e} (an app declares its own with [[app.extension]])"),
                hint => format!("{e}{hint}"),
            }
        }
        ResolveError::UnknownAttribute { .. } => {
            let mut names: Vec<&str> = Vec::new();
            match a.uri.as_deref().and_then(|u| schema.schema(u)) {
                Some(s) => names.extend(s.attributes.iter().map(|x| x.name.as_str())),
                None => {
                    names.extend(schema.common.iter().map(|x| x.name.as_str()));
                    names.extend(schema.core.attributes.iter().map(|x| x.name.as_str()));
                }
            }
            let hint = suggest(&a.name, names);
            // An extension attribute written without its URN (RFC 7644 §3.10 wants it qualified).
            let qualified = schema
                .extensions
                .iter()
                .find(|(s, _)| s.attribute(&a.name).is_some() && a.uri.is_none())
                .map(|(s, _)| format!(" — it is an attribute of {0}: write `{0}:{1}`", s.id, text));
            format!("{e}{}", qualified.unwrap_or(hint))
        }
        ResolveError::UnknownSubAttribute { attribute, sub } => {
            let names = schema
                .resolve(a.uri.as_deref(), &a.name, None)
                .map(|r| r.attribute.sub_attributes.iter().map(|x| x.name.as_str()).collect())
                .unwrap_or_default();
            let hint = suggest(sub, names);
            if hint.is_empty()
                && schema.resolve(a.uri.as_deref(), attribute, None).is_ok_and(|r| !r.attribute.is_complex())
            {
                format!("`{attribute}` is not complex, so it has no sub-attribute `{sub}`")
            } else {
                format!("{e}{hint}")
            }
        }
    })?;
    if let Some(filter) = &parsed.filter {
        if !resolved.attribute.is_complex() || !resolved.attribute.multi_valued {
            return Err(format!(
                "`{}` is not a multi-valued complex attribute, so it takes no [filter]",
                resolved.attribute.name
            ));
        }
        compile_value_filter(filter, resolved.attribute, &EvalOptions::default())
            .map_err(|e| format!("the filter in brackets does not fit `{}`: {}", resolved.attribute.name, e.message))?;
    }
    Ok(resolved.target().ty)
}

/// Loads `suites/apps/<name>.toml` (or an app file path) and checks it: every attribute path resolves in
/// the app's schemas (core, enterprise, and the extensions it declares).
pub fn load_app(suites: &crate::bundle::Source, name_or_file: &str) -> Result<App, SuiteError> {
    let (file, text) = super::read_named(suites, "apps", name_or_file, "app")?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| toml_error(&file, &text, e))?;
    let line = |span: std::ops::Range<usize>| Some(super::Location::of(&text, span.start));
    let err = |span: Option<std::ops::Range<usize>>, message: String, fix: &str| SuiteError {
        file: file.clone(),
        line: span.and_then(line),
        message,
        fix: fix.into(),
    };
    let mut capabilities = BTreeMap::new();
    for (k, v) in raw.app.capabilities {
        if !CAPABILITIES.contains(&k.as_str()) {
            return Err(err(
                Some(v.span()),
                format!("unknown capability `{k}`"),
                &format!("use one of {}", CAPABILITIES.join(", ")),
            ));
        }
        capabilities.insert(k, v.into_inner());
    }
    let mut app = App {
        name: raw.app.name,
        file: file.clone(),
        description: raw.app.description,
        profile: raw.app.profile,
        capabilities,
        attributes: Vec::new(),
        extensions: Vec::new(),
        quirks: raw.app.quirk.into_iter().map(|q| Quirk { name: q.name, description: q.description }).collect(),
    };
    for e in raw.app.extension {
        let span = e.span();
        let e = e.into_inner();
        if !["User", "Group"].contains(&e.resource.as_str()) {
            return Err(err(Some(span), format!("unknown resource `{}`", e.resource), "use \"User\" or \"Group\""));
        }
        let ext = extension(&file, e).map_err(|(message, fix, in_file)| match in_file {
            Some(json_file) => SuiteError { file: json_file, line: None, message, fix },
            None => err(Some(span.clone()), message, &fix),
        })?;
        if app.declares(&ext.schema.id) {
            return Err(err(Some(span), format!("extension {} is declared twice", ext.schema.id), "declare it once"));
        }
        app.extensions.push(ext);
    }
    for a in raw.app.attribute {
        let span = a.span();
        let a = a.into_inner();
        let Some(schema) =
            app.resource_schema(&a.resource).filter(|_| ["User", "Group"].contains(&a.resource.as_str()))
        else {
            return Err(err(Some(span), format!("unknown resource `{}`", a.resource), "use \"User\" or \"Group\""));
        };
        let parsed = parse_path(&a.path, &ParseOptions::default()).map_err(|e| {
            err(
                Some(span.clone()),
                format!("attribute path does not parse:\n{}", e.render(&a.path)),
                "write a SCIM path, e.g. emails[type eq \"work\"].value",
            )
        })?;
        let declared = resolve_path(&a.path, &parsed, &schema).map_err(|message| {
            err(
                Some(span.clone()),
                format!("attribute path `{}` is not in the app's {} schemas: {message}", a.path, a.resource),
                "use a name the schema defines (fixtures/schemas/), or declare the app's own attributes with \
                 [[app.extension]] (suites/README.md, apps)",
            )
        })?;
        let ty: AttributeType = match a.ty {
            None => declared,
            Some(ty) => ty
                .parse()
                .map_err(|e: String| err(Some(span.clone()), e, "use a SCIM type: string, boolean, reference …"))?,
        };
        app.attributes.push(AppAttribute {
            resource: a.resource,
            path: a.path,
            ty,
            matching: a.matching,
            filterable: a.filterable || a.matching,
            required: a.required,
        });
    }
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_loads_and_mistakes_are_located() {
        let dir = std::env::temp_dir().join(format!("scimtest-app-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("apps")).unwrap();
        let good = r#"[app]
name = "sigma-entra"
description = "Sigma Computing via Entra ID"
profile = "entra"
capabilities = { groups = true, user_delete = false }

[[app.attribute]]
path = "userName"
matching = true
required = true

[[app.attribute]]
path = 'emails[type eq "work"].value'

[[app.quirk]]
name = "rename_creates_account"
description = "renaming userName creates a new account"
"#;
        std::fs::write(dir.join("apps/sigma.toml"), good).unwrap();
        let app = load_app(&crate::bundle::Source::Dir(dir.clone()), "sigma").unwrap();
        assert_eq!(
            (app.profile.as_str(), app.can("groups"), app.can("user_delete"), app.can("group_rename")),
            ("entra", true, false, true)
        );
        assert!(app.attributes[0].matching && app.attributes[0].filterable && app.attributes[0].required);
        assert_eq!(app.quirks.len(), 1);
        std::fs::write(dir.join("apps/bad.toml"), good.replace("user_delete", "teleport")).unwrap();
        let e = load_app(&crate::bundle::Source::Dir(dir.clone()), "bad").unwrap_err();
        assert!(e.message.contains("unknown capability `teleport`") && e.line.map(|l| l.line) == Some(5), "{e}");
        std::fs::write(
            dir.join("apps/bad2.toml"),
            good.replace("path = 'emails[type eq \"work\"].value'", "path = 'emails[type eq'"),
        )
        .unwrap();
        let e = load_app(&crate::bundle::Source::Dir(dir.clone()), "bad2").unwrap_err();
        assert!(e.message.contains("does not parse") && e.line.map(|l| l.line) == Some(12), "{e}");
        let e = load_app(&crate::bundle::Source::Dir(dir.clone()), "sigmma").unwrap_err();
        assert!(e.message.contains("unknown app `sigmma` — did you mean `sigma`?"), "{e}");
        assert!(e.fix.contains("bad, bad2, sigma"), "{e}");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// An app file in a fresh directory; the error (or app) from loading it.
    fn load(tag: &str, text: &str, files: &[(&str, &str)]) -> Result<App, SuiteError> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("scimtest-app-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("apps")).unwrap();
        std::fs::write(dir.join("apps/demo.toml"), text).unwrap();
        for (name, contents) in files {
            std::fs::write(dir.join("apps").join(name), contents).unwrap();
        }
        let result = load_app(&crate::bundle::Source::Dir(dir.clone()), "demo");
        let _ = std::fs::remove_dir_all(dir);
        result
    }

    const HEAD: &str = "[app]\nname = \"demo\"\ndescription = \"d\"\nprofile = \"entra\"\n";

    fn with_paths(paths: &[&str]) -> String {
        let mut text = HEAD.to_string();
        for p in paths {
            text.push_str(&format!("\n[[app.attribute]]\npath = '{p}'\n"));
        }
        text
    }

    const ACME: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

    fn acme_inline() -> String {
        format!(
            "\n[[app.extension]]\nurn = \"{ACME}\"\n\n[[app.extension.attribute]]\nname = \"billingCode\"\n\n\
             [[app.extension.attribute]]\nname = \"badge\"\ntype = \"complex\"\n\
             subAttributes = [{{ name = \"number\", type = \"string\" }}]\n"
        )
    }

    #[test]
    fn a_path_the_schemas_do_not_define_is_a_load_error_with_line_and_suggestion() {
        let e = load("typo", &with_paths(&["userName", "name.givenNmae"]), &[]).unwrap_err();
        assert_eq!(e.line.map(|l| l.line), Some(9), "{e}");
        assert!(e.file.ends_with("apps/demo.toml"), "{e}");
        assert!(e.message.contains("`name.givenNmae`") && e.message.contains("did you mean `name.givenName`?"), "{e}");
        let e = load("top", &with_paths(&["userNmae"]), &[]).unwrap_err();
        assert!(e.message.contains("did you mean `userName`?"), "{e}");
        let e = load("filter", &with_paths(&["emails[tpye eq \"work\"].value"]), &[]).unwrap_err();
        assert!(e.message.contains("filter in brackets") && e.message.contains("tpye"), "{e}");
        let e = load("filtered-sub", &with_paths(&["emails[type eq \"work\"].valeu"]), &[]).unwrap_err();
        assert!(e.message.contains("did you mean `emails[type eq \"work\"].value`?"), "{e}");
        let e = load("enterprise", &with_paths(&["department"]), &[]).unwrap_err();
        assert!(
            e.message.contains("write `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`"),
            "{e}"
        );
        let e = load("urn", &with_paths(&[&format!("{ACME}:billingCode")]), &[]).unwrap_err();
        assert!(e.message.contains(&format!("no schema `{ACME}`")) && e.message.contains("[[app.extension]]"), "{e}");
        assert!(!e.message.contains("did you mean"), "the enterprise extension has no billingCode: {e}");
        let e = load(
            "urn-typo",
            &with_paths(&["urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr:department"]),
            &[],
        )
        .unwrap_err();
        assert!(
            e.message.contains("did you mean `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`"),
            "{e}"
        );
        // Every path form that names something loads, and an omitted type is the schema's.
        let app = load(
            "good",
            &with_paths(&[
                "emails[type eq \"work\"].value",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
                "active",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(app.attributes[3].ty, AttributeType::Boolean);
        assert_eq!(app.attributes[0].ty, AttributeType::String);
    }

    #[test]
    fn an_app_declares_its_own_extension_inline_or_as_a_schema_file() {
        let paths = [
            "userName",
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User:billingCode",
            "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge.number",
        ];
        let inline = load("inline", &format!("{}{}", with_paths(&paths), acme_inline()), &[]).unwrap();
        assert_eq!(inline.extensions.len(), 1);
        assert!(inline.declares(ACME) && !inline.declares(crate::schema::ENTERPRISE_USER));
        let users = inline.resource_schema("User").unwrap();
        assert!(users.extension(ACME).is_some_and(|s| s.attribute("badge").is_some_and(|b| b.is_complex())));
        assert_eq!(inline.extensions[0].document["attributes"][1]["subAttributes"][0]["name"], "number");
        // The same schema as an RFC 7643 §7 file next to the app file.
        let file = serde_json::json!({
            "id": ACME, "name": "AcmeUser", "description": "",
            "attributes": [
                { "name": "billingCode", "type": "string", "multiValued": false },
                { "name": "badge", "type": "complex", "multiValued": false,
                  "subAttributes": [{ "name": "number", "type": "string", "multiValued": false }] }
            ]
        })
        .to_string();
        let text = format!("{}\n[[app.extension]]\nschema = \"acme.json\"\n", with_paths(&paths));
        let from_file = load("file", &text, &[("acme.json", &file)]).unwrap();
        assert_eq!(from_file.extensions[0].schema.attributes, inline.extensions[0].schema.attributes);
        // A typo in an extension attribute is found like any other.
        let e = load("ext-typo", &format!("{}{}", with_paths(&[&format!("{ACME}:billingCdoe")]), acme_inline()), &[])
            .unwrap_err();
        assert!(e.message.contains(&format!("did you mean `{ACME}:billingCode`?")), "{e}");
        // Mistakes in the declaration itself.
        let e = load("bad-type", &format!("{HEAD}{}", acme_inline().replace("\"complex\"", "\"compound\"")), &[])
            .unwrap_err();
        assert!(e.message.contains("compound") && e.line.map(|l| l.line) == Some(6), "{e}");
        let e =
            load("bad-key", &format!("{HEAD}{}", acme_inline().replace("name = \"billingCode\"", "nom = \"x\"")), &[])
                .unwrap_err();
        assert!(e.message.contains("unknown field `nom`"), "{e}");
        let e =
            load("bad-json", &format!("{HEAD}\n[[app.extension]]\nschema = \"acme.json\"\n"), &[("acme.json", "{")])
                .unwrap_err();
        assert!(e.file.ends_with("acme.json") && e.message.contains("not JSON"), "{e}");
        let e = load("builtin", &format!("{HEAD}{}", acme_inline().replace(ACME, crate::schema::ENTERPRISE_USER)), &[])
            .unwrap_err();
        assert!(e.message.contains("built-in"), "{e}");
    }

    #[test]
    fn every_bundled_app_loads() {
        let suites = crate::bundle::Source::suites();
        let names = crate::suite::available(&suites, "apps");
        assert!(names.len() >= 5, "{names:?}");
        for name in names {
            load_app(&suites, &name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
