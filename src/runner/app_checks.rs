//! Checks generated from an app's attribute table (`suites/apps/*.toml`): create a user carrying every
//! mapped attribute and read it back unchanged (Entra diffs what it reads against its source, E-Q19),
//! find it by each matching attribute as the IdP does, and update each mapped attribute the way the
//! app's identity provider sends updates. A vendor who edits the table gets checks for their mapping.

use serde_json::{Value, json};

use crate::filter::{ParseOptions, parse_path};
use crate::patch::{Mode, OpKind, Operation, PatchOptions, PatchRequest, apply};
use crate::schema::{AttributeType, ResourceSchema};
use crate::suite::{
    App, AppAttribute, Auth, Body, Expect, Feature, JsonCheck, JsonTarget, Level, Method, Predicate, Profile,
    Requirement, Scenario, Step, Suite, UserUpdate,
};

/// The name of the generated suite (`<app>::attributes::…`).
pub const SUITE_NAME: &str = "attributes";

fn slug(path: &str) -> String {
    // `urn:…:User:department` → `department`: the URN says nothing the name does not.
    let path = crate::schema::split_urn(path).1;
    let mut out = String::new();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// A value for an attribute: unique strings (emails for email-like paths), `true` for booleans.
fn sample(attr: &AppAttribute, variant: &str) -> Value {
    let tag = format!("{}{variant}", slug(&attr.path));
    match attr.ty {
        AttributeType::Boolean => json!(true),
        AttributeType::Integer | AttributeType::Decimal => json!(7),
        _ if attr.path.to_ascii_lowercase().contains("email") || attr.path.eq_ignore_ascii_case("userName") => {
            json!(format!("${{email:{tag}}}"))
        }
        _ => json!(format!("${{name:{tag}}}")),
    }
}

/// POST `body` to /Users, expecting 201, and capture the answer as `user`.
fn create_user(body: &Value) -> Step {
    step(Method::Post, "/Users", Some(body.clone()), expect(&[201]), vec![("user".into(), String::new())])
}

fn step(method: Method, path: &str, body: Option<Value>, expect: Expect, capture: Vec<(String, String)>) -> Step {
    Step {
        name: None,
        method,
        path: path.to_string(),
        query: Vec::new(),
        headers: Vec::new(),
        auth: Auth::Token,
        accept: Some(crate::client::SCIM_JSON.to_string()),
        content_type: crate::client::SCIM_JSON.to_string(),
        body: body.map_or(Body::None, Body::Json),
        expect,
        capture,
        snapshot: Some(Default::default()),
        subject: false,
        token: None,
        parallel: None,
        pages: None,
    }
}

fn expect(status: &[u16]) -> Expect {
    Expect { status: status.to_vec(), ..Expect::default() }
}

fn equals(path: &str, value: Value) -> JsonCheck {
    JsonCheck { target: JsonTarget::Path(path.to_string()), predicate: Predicate::Equals(value) }
}

/// The resource the IdP would create from the attribute table (built with the compat PATCH engine, so
/// `emails[type eq "work"].value` becomes a typed email and URN paths land in their extension), with the
/// value `value` gives each attribute.
fn body(
    attributes: &[&AppAttribute],
    schema: &ResourceSchema,
    value: impl Fn(&AppAttribute) -> Value,
) -> Result<Value, String> {
    let operations = attributes
        .iter()
        .map(|a| {
            let path =
                parse_path(&a.path, &ParseOptions::default()).map_err(|e| format!("`{}`: {}", a.path, e.message))?;
            Ok(Operation { op: OpKind::Add, path_text: Some(a.path.clone()), path: Some(path), value: Some(value(a)) })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let empty = json!({ "schemas": [schema.core.id] });
    apply(&empty, &PatchRequest { operations }, schema, &PatchOptions::new(Mode::Compat))
        .map(|o| o.resource)
        .map_err(|e| e.detail)
}

/// What the IdP lists in `schemas`: Entra lists the core and enterprise URNs on a create (idp-behaviour.md
/// E-CU) and never an app's own extension, whose attributes it still sends under their URN.
fn as_the_idp_lists(mut body: Value, app: &App, profile: &Profile) -> Value {
    if !profile.lists_app_extension_urns
        && let Some(Value::Array(listed)) = body.get_mut("schemas")
    {
        listed.retain(|u| !u.as_str().is_some_and(|u| app.declares(u)));
    }
    body
}

fn requirement(source: &str, level: Level, text: String) -> Requirement {
    Requirement { source: source.to_string(), level, text }
}

/// The app's own extension (an `[[app.extension]]` URN) that `path` lives in, if any.
fn own_extension(app: &App, path: &str) -> Option<String> {
    let urn = parse_path(path, &ParseOptions::default()).ok()?.attr.uri?;
    app.declares(&urn).then_some(urn)
}

/// The first of the app's own extensions `scenario` sends (a key of a body, or the URN of a PATCH path):
/// the runner skips the scenario, with the reason, when the server does not declare it.
pub fn sends_extension(app: &App, scenario: &Scenario) -> Option<String> {
    scenario.steps.iter().find_map(|step| {
        let Body::Json(body) = &step.body else { return None };
        let keys = body.as_object().into_iter().flat_map(|o| o.keys()).find(|k| app.declares(k)).cloned();
        let paths =
            || body.get("Operations")?.as_array()?.iter().find_map(|op| own_extension(app, op.get("path")?.as_str()?));
        keys.or_else(paths)
    })
}

/// The generated suite for `app`, or `None` when its table has no User attributes. An error is a table
/// the checks cannot be built from (a load error: it never silently drops the checks).
///
/// Attributes of the app's own extensions get their own scenarios (a read-back per extension, a lookup
/// and an update per attribute), so a server that does not declare the extension skips only those.
pub fn suite(app: &App, profile: &Profile) -> Result<Option<Suite>, String> {
    let Some(users) = app.resource_schema("User") else { return Ok(None) };
    let attrs: Vec<&AppAttribute> = app.attributes.iter().filter(|a| a.resource == "User").collect();
    if attrs.is_empty() {
        return Ok(None);
    }
    let core: Vec<&AppAttribute> = attrs.iter().copied().filter(|a| own_extension(app, &a.path).is_none()).collect();
    let core_body = as_the_idp_lists(body(&core, &users, |a| sample(a, ""))?, app, profile);
    let full_body = as_the_idp_lists(body(&attrs, &users, |a| sample(a, ""))?, app, profile);
    // The create a scenario about `a` starts with: everything the table maps that the scenario needs.
    let create_for = |a: &AppAttribute| if own_extension(app, &a.path).is_some() { &full_body } else { &core_body };
    let mut scenarios = Vec::new();
    let source = format!("app {} attribute table", app.name);

    // Every mapped attribute round-trips: the core and enterprise ones, then each own extension's.
    let read_back = |judged: &[&AppAttribute], create: &Value| {
        let mut read = expect(&[200]);
        read.json = judged.iter().map(|a| equals(&a.path, sample(a, ""))).collect();
        vec![create_user(create), step(Method::Get, "/Users/${user.id}", None, read, Vec::new())]
    };
    scenarios.push(Scenario {
        name: "create_and_read_back_every_mapped_attribute".into(),
        description: "what the IdP writes reads back unchanged".into(),
        requirement: requirement(
            &source,
            Level::Must,
            "a user created with every mapped attribute reads back with the same values (Entra E-Q19)".into(),
        ),
        requires: Vec::new(),
        steps: read_back(&core, &core_body),
        tension: None,
    });
    for ext in &app.extensions {
        let judged: Vec<&AppAttribute> = attrs
            .iter()
            .copied()
            .filter(|a| own_extension(app, &a.path).is_some_and(|u| u.eq_ignore_ascii_case(&ext.schema.id)))
            .collect();
        if judged.is_empty() {
            continue;
        }
        scenarios.push(Scenario {
            name: format!("create_and_read_back_{}", slug(&ext.schema.name)),
            description: format!("the app's own attributes ({}) read back unchanged", ext.schema.id),
            requirement: requirement(
                &source,
                Level::Must,
                format!(
                    "a user created with the attributes of {} reads them back unchanged (Entra E-Q19)",
                    ext.schema.id
                ),
            ),
            requires: Vec::new(),
            steps: read_back(&judged, &full_body),
            tension: None,
        });
    }

    // Entra's gallery validation finds each mapped attribute in /Schemas (E-Q34). The app's own extension
    // is left out: where the server does not declare it, its checks are skipped with the reason instead.
    if profile.checks_schema_discoverability {
        let mut declares = expect(&[200]);
        declares.schemas_declare = app
            .attributes
            .iter()
            .filter(|a| own_extension(app, &a.path).is_none())
            .map(|a| (a.resource.clone(), a.path.clone()))
            .collect();
        let mut discover = step(Method::Get, "/Schemas", None, declares, Vec::new());
        // The whole /Schemas document: the rfc discovery suite snapshots it.
        discover.snapshot = None;
        scenarios.push(Scenario {
            name: "schema_discoverability".into(),
            description: "every attribute the app maps is declared in /Schemas (Entra's Schema_Discoverability_Test)"
                .into(),
            requirement: requirement(
                &format!("Entra E-SD, E-Q34; {source}"),
                Level::Must,
                "GET /Schemas declares each attribute of the app's table (names compared case-insensitively; a \
                 [type eq \"x\"] filter needs a `type` sub-attribute whose canonical values, if declared, hold x)"
                    .into(),
            ),
            requires: Vec::new(),
            steps: vec![discover],
            tension: None,
        });
    }

    // The IdP finds the user by each matching (or filterable) string attribute.
    for a in attrs.iter().filter(|a| {
        a.filterable && !matches!(a.ty, AttributeType::Boolean | AttributeType::Integer | AttributeType::Decimal)
    }) {
        let value = sample(a, "");
        let filter = format!("{} eq {}", a.path, value);
        let mut list = expect(&[200]);
        list.list = true;
        list.json = vec![
            JsonCheck { target: JsonTarget::Pointer("/totalResults".into()), predicate: Predicate::Equals(json!(1)) },
            JsonCheck {
                target: JsonTarget::Pointer("/Resources/0/id".into()),
                predicate: Predicate::Equals(json!("${user.id}")),
            },
        ];
        let mut lookup = step(Method::Get, "/Users", None, list, Vec::new());
        lookup.query.push(("filter".into(), filter.clone()));
        scenarios.push(Scenario {
            name: format!("find_by_{}", slug(&a.path)),
            description: format!("the IdP's lookup `{filter}` finds exactly the user"),
            requirement: requirement(
                &source,
                Level::Must,
                format!(
                    "`{} eq` finds exactly one user ({})",
                    a.path,
                    if a.matching { "matching attribute" } else { "filterable" }
                ),
            ),
            requires: vec![Feature::Filter],
            steps: vec![create_user(create_for(a)), lookup],
            tension: None,
        });
    }

    // Each mapped string attribute can be updated the way the IdP sends updates.
    // As the profile spells it (`{{profile.replace}}`: Entra's default job capitalises it, E-Q1).
    let op = profile.vars.values.get("replace").map_or("replace", String::as_str);
    for a in attrs.iter().filter(|a| !a.path.eq_ignore_ascii_case("userName") && a.ty == AttributeType::String) {
        let new = sample(a, "2");
        let mut read = expect(&[200]);
        read.json = vec![equals(&a.path, new.clone())];
        let (update, description, text, requires) = if profile.user_update == UserUpdate::Put {
            let sent: &[&AppAttribute] = if own_extension(app, &a.path).is_some() { &attrs } else { &core };
            let mut whole = as_the_idp_lists(
                body(sent, &users, |b| if std::ptr::eq(b, *a) { new.clone() } else { sample(b, "") })?,
                app,
                profile,
            );
            whole["id"] = json!("${user.id}");
            (
                step(Method::Put, "/Users/${user.id}", Some(whole), expect(&[200]), Vec::new()),
                format!("a PUT of the whole user with a new `{}` lands", a.path),
                format!("PUT of the user with a new `{}` changes it (the IdP's update, O-UU)", a.path),
                Vec::new(),
            )
        } else {
            // The PatchOp URN only: an extension's URN is in the path, never in `schemas` (E-UU).
            let patch = json!({
                "schemas": [crate::patch::PATCH_OP],
                "Operations": [{ "op": op, "path": a.path, "value": new }],
            });
            (
                step(Method::Patch, "/Users/${user.id}", Some(patch), expect(&[200, 204]), Vec::new()),
                format!("a {op} of `{}` lands", a.path),
                format!("PATCH {op} `{}` changes it (the IdP's update)", a.path),
                vec![Feature::Patch],
            )
        };
        scenarios.push(Scenario {
            name: format!("update_{}", slug(&a.path)),
            description,
            requirement: requirement(&source, Level::Must, text),
            requires,
            steps: vec![
                create_user(create_for(a)),
                update,
                step(Method::Get, "/Users/${user.id}", None, read, Vec::new()),
            ],
            tension: None,
        });
    }
    Ok(Some(Suite {
        name: SUITE_NAME.into(),
        file: app.file.clone(),
        description: format!("generated from the attribute table of {}", app.name),
        scenarios,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Quirk;

    #[test]
    fn a_table_becomes_round_trip_lookup_and_update_checks() {
        let attr = |path: &str, ty, matching| AppAttribute {
            resource: "User".into(),
            path: path.into(),
            ty,
            matching,
            filterable: matching,
            required: false,
        };
        let app = App {
            name: "demo".into(),
            file: "demo.toml".into(),
            description: String::new(),
            profile: "entra".into(),
            capabilities: Default::default(),
            extensions: Vec::new(),
            attributes: vec![
                attr("userName", AttributeType::String, true),
                attr("active", AttributeType::Boolean, false),
                attr("emails[type eq \"work\"].value", AttributeType::String, true),
                attr(
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    AttributeType::String,
                    false,
                ),
            ],
            quirks: vec![Quirk { name: "q".into(), description: "d".into() }],
        };
        let s = suite(&app, &profile_of(&app)).unwrap().unwrap();
        let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "create_and_read_back_every_mapped_attribute",
                "schema_discoverability",
                "find_by_username",
                "find_by_emails_type_eq_work_value",
                "update_emails_type_eq_work_value",
                "update_department"
            ]
        );
        let Body::Json(created) = &s.scenarios[0].steps[0].body else { panic!() };
        assert_eq!(created["emails"], json!([{ "type": "work", "value": "${email:emails_type_eq_work_value}" }]));
        assert_eq!(
            created["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"],
            json!("${name:department}")
        );
        assert_eq!(created["active"], json!(true));
        let Body::Json(patch) = &s.scenarios[4].steps[1].body else { panic!() };
        assert_eq!(patch["Operations"][0]["op"], json!("Replace"), "Entra's op spelling");
        // Entra's gallery finds every mapped attribute in /Schemas (E-Q34).
        let discover = &s.scenarios[1].steps[0];
        assert_eq!((discover.method, discover.path.as_str()), (Method::Get, "/Schemas"));
        let declared: Vec<&str> = discover.expect.schemas_declare.iter().map(|(_, p)| p.as_str()).collect();
        let mapped: Vec<&str> = app.attributes.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(declared, mapped);
        // An IdP that does not check /Schemas gets no such check.
        let okta = App { profile: "okta".into(), ..app.clone() };
        let s = suite(&okta, &profile_of(&okta)).unwrap().unwrap();
        assert!(s.scenarios.iter().all(|s| s.name != "schema_discoverability"));
    }

    fn profile_of(app: &App) -> Profile {
        crate::suite::load_profile(&crate::bundle::Source::suites(), &app.profile).unwrap()
    }

    #[test]
    fn an_own_extension_is_sent_as_the_idp_sends_it() {
        let mut app = crate::suite::load_app(&crate::bundle::Source::suites(), "example-custom-extension").unwrap();
        let acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
        let s = suite(&app, &profile_of(&app)).unwrap().unwrap();
        let scenario = |name: &str| s.scenarios.iter().find(|x| x.name == name).unwrap_or_else(|| panic!("{name}"));
        // The core checks do not depend on the extension; the extension's do.
        let core = scenario("create_and_read_back_every_mapped_attribute");
        assert_eq!(sends_extension(&app, core), None);
        let Body::Json(created) = &core.steps[0].body else { panic!() };
        assert!(created.get(acme).is_none());
        let own = scenario("create_and_read_back_acmeuser");
        assert_eq!(sends_extension(&app, own).as_deref(), Some(acme));
        let Body::Json(created) = &own.steps[0].body else { panic!() };
        assert_eq!(created[acme]["billingCode"], json!("${name:billingcode}"));
        assert_eq!(created[acme]["badge"]["number"], json!("${name:badge_number}"));
        let listed: Vec<&str> = created["schemas"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(!listed.contains(&acme), "Entra does not list the app's extension: {listed:?}");
        assert!(listed.contains(&crate::schema::ENTERPRISE_USER), "{listed:?}");
        let Body::Json(patch) = &scenario("update_billingcode").steps[1].body else { panic!() };
        assert_eq!(patch["Operations"][0]["path"], json!(format!("{acme}:billingCode")));
        assert_eq!(patch["schemas"], json!([crate::patch::PATCH_OP]));
        assert_eq!(
            scenario("find_by_billingcode").steps[1].query[0].1,
            format!("{acme}:billingCode eq \"${{name:billingcode}}\"")
        );
        // Okta updates with a PUT of the whole user, the extension's URN listed.
        app.profile = "okta".into();
        let s = suite(&app, &profile_of(&app)).unwrap().unwrap();
        let update = s.scenarios.iter().find(|x| x.name == "update_billingcode").unwrap();
        assert_eq!(update.steps[1].method, Method::Put);
        let Body::Json(put) = &update.steps[1].body else { panic!() };
        assert_eq!(put[acme]["billingCode"], json!("${name:billingcode2}"));
        assert_eq!(put[acme]["badge"]["number"], json!("${name:badge_number}"), "the rest as created");
        assert!(put["schemas"].as_array().unwrap().contains(&json!(acme)));
        assert_eq!(put["id"], json!("${user.id}"));
    }
}
