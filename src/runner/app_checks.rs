//! Checks generated from an app's attribute table (`suites/apps/*.toml`): create a user carrying every
//! mapped attribute and read it back unchanged (Entra diffs what it reads against its source, E-Q19),
//! find it by each matching attribute as the IdP does, and update each mapped attribute the way the
//! app's identity provider sends updates. A vendor who edits the table gets checks for their mapping.

use serde_json::{Value, json};

use crate::filter::{ParseOptions, parse_path};
use crate::patch::{Mode, OpKind, Operation, PatchOptions, PatchRequest, apply};
use crate::schema::{AttributeType, ResourceSchema};
use crate::suite::{
    App, AppAttribute, Auth, Body, Expect, Feature, JsonCheck, JsonTarget, Level, Method, Predicate, Requirement,
    Scenario, Step, Suite,
};

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
    }
}

fn expect(status: &[u16]) -> Expect {
    Expect { status: status.to_vec(), ..Expect::default() }
}

fn equals(path: &str, value: Value) -> JsonCheck {
    JsonCheck { target: JsonTarget::Path(path.to_string()), predicate: Predicate::Equals(value) }
}

/// The resource the IdP would create from the attribute table (built with the compat PATCH engine, so
/// `emails[type eq "work"].value` becomes a typed email and URN paths land in their extension).
fn body(attributes: &[&AppAttribute], schema: &ResourceSchema, variant: &str) -> Option<Value> {
    let operations = attributes
        .iter()
        .map(|a| {
            Some(Operation {
                op: OpKind::Add,
                path_text: Some(a.path.clone()),
                path: Some(parse_path(&a.path, &ParseOptions::default()).ok()?),
                value: Some(sample(a, variant)),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let empty = json!({ "schemas": [schema.core.id] });
    apply(&empty, &PatchRequest { operations }, schema, &PatchOptions::new(Mode::Compat)).ok().map(|o| o.resource)
}

fn requirement(source: &str, level: Level, text: String) -> Requirement {
    Requirement { source: source.to_string(), level, text }
}

/// The generated suite for `app`, or `None` when its table has no User attributes.
pub fn suite(app: &App) -> Option<Suite> {
    let users = ResourceSchema::user();
    let attrs: Vec<&AppAttribute> = app.attributes.iter().filter(|a| a.resource == "User").collect();
    if attrs.is_empty() {
        return None;
    }
    let create_body = body(&attrs, users, "")?;
    let mut scenarios = Vec::new();
    let source = format!("app {} attribute table", app.name);

    // Every mapped attribute round-trips.
    let mut read = expect(&[200]);
    read.json = attrs.iter().map(|a| equals(&a.path, sample(a, ""))).collect();
    scenarios.push(Scenario {
        name: "create_and_read_back_every_mapped_attribute".into(),
        description: "what the IdP writes reads back unchanged".into(),
        requirement: requirement(
            &source,
            Level::Must,
            "a user created with every mapped attribute reads back with the same values (Entra E-Q19)".into(),
        ),
        requires: Vec::new(),
        steps: vec![create_user(&create_body), step(Method::Get, "/Users/${user.id}", None, read, Vec::new())],
    });

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
            steps: vec![create_user(&create_body), lookup],
        });
    }

    // Each mapped string attribute can be updated the way the IdP sends updates.
    let op = match app.profile.as_str() {
        "entra" => "Replace",
        _ => "replace",
    };
    for a in attrs.iter().filter(|a| !a.path.eq_ignore_ascii_case("userName") && a.ty == AttributeType::String) {
        let new = sample(a, "2");
        let patch = json!({
            "schemas": [crate::patch::PATCH_OP],
            "Operations": [{ "op": op, "path": a.path, "value": new }],
        });
        let mut read = expect(&[200]);
        read.json = vec![equals(&a.path, new.clone())];
        scenarios.push(Scenario {
            name: format!("update_{}", slug(&a.path)),
            description: format!("a {op} of `{}` lands", a.path),
            requirement: requirement(
                &source,
                Level::Must,
                format!("PATCH {op} `{}` changes it (the IdP's update)", a.path),
            ),
            requires: vec![Feature::Patch],
            steps: vec![
                create_user(&create_body),
                step(Method::Patch, "/Users/${user.id}", Some(patch), expect(&[200, 204]), Vec::new()),
                step(Method::Get, "/Users/${user.id}", None, read, Vec::new()),
            ],
        });
    }
    Some(Suite {
        name: "attributes".into(),
        file: std::path::PathBuf::from(format!("suites/apps/{}.toml", app.name)),
        description: format!("generated from the attribute table of {}", app.name),
        scenarios,
    })
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
            description: String::new(),
            profile: "entra".into(),
            capabilities: Default::default(),
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
        let s = suite(&app).unwrap();
        let names: Vec<&str> = s.scenarios.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "create_and_read_back_every_mapped_attribute",
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
        let Body::Json(patch) = &s.scenarios[3].steps[1].body else { panic!() };
        assert_eq!(patch["Operations"][0]["op"], json!("Replace"), "Entra's op spelling");
    }
}
