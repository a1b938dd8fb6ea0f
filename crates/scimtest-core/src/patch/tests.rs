//! Unit tests of PATCH behaviour beyond the RFC examples in fixtures/rfc7644 (which the integration
//! tests run): request validation, each tolerance, mutability, `schemas` upkeep and the `changed` flag.

use serde_json::{Value, json};

use super::*;
use crate::schema::{ENTERPRISE_USER, ResourceSchema};

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1",
        "userName": "bjensen",
        "nickName": "Babs",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49Z"}
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g1",
        "displayName": "Tour Guides",
        "members": [{"value": "m1", "type": "User"}, {"value": "m2", "type": "User"}]
    })
}

fn ops(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

fn run(resource: &Value, operations: Value, mode: Mode) -> Result<Outcome, PatchError> {
    let schema = if resource["schemas"][0].as_str().is_some_and(|s| s.ends_with("Group")) {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    };
    apply_json(resource, &ops(operations), schema, &PatchOptions::new(mode))
}

fn scim_type(r: Result<Outcome, PatchError>) -> &'static str {
    match r {
        Ok(out) => panic!("expected an error, got {}", out.resource),
        Err(e) => e.scim_type.as_str(),
    }
}

#[test]
fn modes_parse_and_rfc_tolerates_nothing() {
    assert_eq!("ENTRA".parse::<Mode>().unwrap(), Mode::Entra);
    assert!("azure".parse::<Mode>().unwrap_err().contains("rfc, entra, okta, jumpcloud, compat"));
    assert_eq!("jumpcloud".parse::<Mode>().unwrap(), Mode::Jumpcloud);
    assert_eq!(Mode::Jumpcloud.tolerances(), Tolerances { remove_value_selects: true, ..Tolerances::default() });
    assert_eq!(Mode::Rfc.tolerances(), Tolerances::default());
    let okta = Mode::Okta.tolerances();
    assert!(okta.op_any_case && okta.unchanged_readonly_ignored && !okta.string_booleans);
    assert!(Mode::Compat.tolerances().missing_schemas && !Mode::Entra.tolerances().missing_schemas);
}

#[test]
fn malformed_requests_are_invalid_syntax() {
    let options = PatchOptions::new(Mode::Rfc);
    for (body, phrase) in [
        (json!([]), "JSON object"),
        (json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]}), "`schemas` is missing"),
        (json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "value": {}}]}), "`schemas` must be"),
        (json!({"schemas": [PATCH_OP]}), "`Operations` is missing"),
        (json!({"schemas": [PATCH_OP], "Operations": []}), "empty"),
        (json!({"schemas": [PATCH_OP], "Operations": {"op": "add"}}), "array"),
        (json!({"schemas": [PATCH_OP], "Operations": ["add"]}), "an operation is an object"),
        (json!({"schemas": [PATCH_OP], "Operations": [{"op": 1}]}), "must be a string"),
        (json!({"schemas": [PATCH_OP], "Operations": [{"op": "merge"}]}), "not add, remove or replace"),
        (
            json!({"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "title", "value": "x"}]}),
            "spells it \"add\"",
        ),
        (json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title"}]}), "needs a `value`"),
    ] {
        let e = PatchRequest::from_json(&body, &options).unwrap_err();
        assert_eq!(e.scim_type, ScimType::InvalidSyntax, "{body}");
        assert!(e.detail.contains(phrase), "{body}: {e}");
    }
}

#[test]
fn bad_paths_are_invalid_path_and_point_at_the_error() {
    let e = run(&user(), json!([{"op": "replace", "path": "emails[type eq \"work\"", "value": "x"}]), Mode::Rfc)
        .unwrap_err();
    assert_eq!(e.scim_type, ScimType::InvalidPath);
    assert_eq!(e.operation, Some(0));
    assert!(e.detail.contains('^'), "the path error is rendered with carets: {e}");
    assert_eq!(scim_type(run(&user(), json!([{"op": "add", "path": 7, "value": "x"}]), Mode::Rfc)), "invalidPath");
    assert_eq!(
        scim_type(run(&user(), json!([{"op": "add", "path": "userName[value eq \"x\"]", "value": "x"}]), Mode::Rfc)),
        "invalidPath"
    );
    assert_eq!(
        scim_type(run(
            &user(),
            json!([{"op": "add", "path": "emails[nosuch eq \"x\"].value", "value": "x"}]),
            Mode::Rfc
        )),
        "invalidFilter"
    );
}

#[test]
fn error_bodies_follow_rfc7644_section_3_12() {
    let e = run(&user(), json!([{"op": "remove"}]), Mode::Rfc).unwrap_err();
    let body = e.to_scim_error();
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(body["status"], json!("400"), "status is a string");
    assert_eq!(body["scimType"], json!("noTarget"));
    assert!(body["detail"].as_str().unwrap().starts_with("Operations[0]: "));
}

#[test]
fn string_booleans_only_where_tolerated() {
    let op = json!([{"op": "replace", "path": "active", "value": "False"}]);
    assert_eq!(scim_type(run(&user(), op.clone(), Mode::Rfc)), "invalidValue");
    assert_eq!(run(&user(), op, Mode::Entra).unwrap().resource["active"], json!(false));
    let sub = json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": "TRUE"}]);
    let out = run(&user(), sub, Mode::Entra).unwrap().resource;
    assert_eq!(out["emails"][1]["primary"], json!(true));
    assert_eq!(out["emails"][0]["primary"], json!(false), "the old primary loses the flag");
    // Strings that are not booleans stay invalid in every mode.
    assert_eq!(
        scim_type(run(&user(), json!([{"op": "replace", "path": "active", "value": "yes"}]), Mode::Compat)),
        "invalidValue"
    );
}

#[test]
fn filtered_write_creates_from_an_equality_conjunction() {
    let op =
        json!([{"op": "add", "path": "phoneNumbers[type eq \"mobile\" and primary eq true].value", "value": "+1 555"}]);
    assert_eq!(scim_type(run(&user(), op.clone(), Mode::Rfc)), "noTarget");
    let out = run(&user(), op, Mode::Entra).unwrap().resource;
    assert_eq!(out["phoneNumbers"], json!([{"type": "mobile", "primary": true, "value": "+1 555"}]));
    // A filter that does not describe a value cannot create one.
    let op = json!([{"op": "replace", "path": "phoneNumbers[value co \"555\"].type", "value": "work"}]);
    assert_eq!(scim_type(run(&user(), op, Mode::Entra)), "noTarget");
}

/// E-Q22 covers `emails[type eq "work"].value` and `phoneNumbers[type eq "…"].value` only: no entry is
/// built without a `value`.
#[test]
fn filtered_write_creates_only_by_value() {
    let mut no_work = user();
    no_work["emails"] = json!([{"value": "babs@jensen.org", "type": "home"}]);
    for (path, value) in [
        ("emails[type eq \"work\"].primary", json!(true)),
        ("emails[type eq \"work\"].display", json!("Babs")),
        ("emails[type eq \"work\"]", json!({"value": "b@example.com"})),
    ] {
        for op in ["add", "Replace"] {
            let ops = json!([{"op": op, "path": path, "value": value}]);
            assert_eq!(scim_type(run(&no_work, ops, Mode::Entra)), "noTarget", "{op} {path}");
        }
    }
    for value in [json!(""), Value::Null] {
        let ops = json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": value}]);
        let out = run(&no_work, ops, Mode::Entra).unwrap();
        assert_eq!(out.resource["emails"], no_work["emails"], "{value} creates nothing");
        assert!(!out.changed);
    }
    let ops = json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@example.com"}]);
    let out = run(&no_work, ops, Mode::Entra).unwrap().resource;
    assert_eq!(out["emails"][1], json!({"type": "work", "value": "b@example.com"}));
}

#[test]
fn extension_urn_is_listed_in_schemas_while_it_has_data() {
    let key = format!("{ENTERPRISE_USER}:department");
    let out =
        run(&user(), json!([{"op": "add", "path": key, "value": "Tour Operations"}]), Mode::Rfc).unwrap().resource;
    assert_eq!(out[ENTERPRISE_USER]["department"], json!("Tour Operations"));
    assert!(out["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE_USER)));
    let cleared = run(&out, json!([{"op": "remove", "path": key}]), Mode::Rfc).unwrap().resource;
    assert!(cleared.get(ENTERPRISE_USER).is_none());
    assert_eq!(cleared["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User"]));
    let whole = run(&out, json!([{"op": "remove", "path": ENTERPRISE_USER}]), Mode::Rfc).unwrap().resource;
    assert_eq!(whole, cleared, "removing the extension by its URN removes all of it");
}

#[test]
fn no_op_changes_are_reported_unchanged() {
    let same = run(&user(), json!([{"op": "add", "path": "nickName", "value": "Babs"}]), Mode::Rfc).unwrap();
    assert!(!same.changed);
    let email = json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}]);
    assert!(!run(&user(), email, Mode::Rfc).unwrap().changed);
    assert!(run(&user(), json!([{"op": "add", "path": "nickName", "value": "B"}]), Mode::Rfc).unwrap().changed);
}

#[test]
fn mutability_rules() {
    // readOnly by path, and in a path-less value.
    assert_eq!(
        scim_type(run(&user(), json!([{"op": "replace", "path": "groups", "value": []}]), Mode::Rfc)),
        "mutability"
    );
    assert_eq!(scim_type(run(&user(), json!([{"op": "replace", "value": {"id": "other"}}]), Mode::Okta)), "mutability");
    // Okta's unchanged id is ignored in okta mode only.
    let rename = json!([{"op": "replace", "value": {"id": "g1", "displayName": "Guides"}}]);
    assert_eq!(scim_type(run(&group(), rename.clone(), Mode::Rfc)), "mutability");
    assert_eq!(run(&group(), rename, Mode::Okta).unwrap().resource["displayName"], json!("Guides"));
    // Immutable member values cannot change; new members can be added.
    let change = json!([{"op": "replace", "path": "members[value eq \"m1\"].value", "value": "m9"}]);
    assert_eq!(scim_type(run(&group(), change, Mode::Rfc)), "mutability");
    let add = json!([{"op": "add", "path": "members", "value": [{"value": "m3", "display": "ignored"}]}]);
    let out = run(&group(), add, Mode::Rfc).unwrap().resource;
    assert_eq!(out["members"][2], json!({"value": "m3"}), "readOnly `display` is dropped from written values");
}

#[test]
fn entra_value_shapes() {
    // A one-element array for the single-valued manager.
    let manager =
        json!([{"op": "Add", "path": format!("{ENTERPRISE_USER}:manager"), "value": [{"value": "u2", "$ref": null}]}]);
    assert_eq!(
        run(&user(), manager.clone(), Mode::Entra).unwrap().resource[ENTERPRISE_USER]["manager"],
        json!({"value": "u2"})
    );
    let lower = json!([{"op": "add", "path": format!("{ENTERPRISE_USER}:manager"), "value": [{"value": "u2"}]}]);
    assert_eq!(scim_type(run(&user(), lower, Mode::Rfc)), "invalidValue");
    // "" unassigns in entra mode and is stored in rfc mode.
    let empty = json!([{"op": "replace", "path": "nickName", "value": ""}]);
    assert!(run(&user(), empty.clone(), Mode::Entra).unwrap().resource.get("nickName").is_none());
    assert_eq!(run(&user(), empty, Mode::Rfc).unwrap().resource["nickName"], json!(""));
    // Path-less keys that are paths.
    let keyed = json!([{"op": "replace", "value": {"name.givenName": "Barbara", format!("{ENTERPRISE_USER}:employeeNumber"): "701984"}}]);
    let out = run(&user(), keyed.clone(), Mode::Entra).unwrap().resource;
    assert_eq!(out["name"]["givenName"], json!("Barbara"));
    assert_eq!(out[ENTERPRISE_USER]["employeeNumber"], json!("701984"));
    let e = run(&user(), keyed, Mode::Rfc).unwrap_err();
    assert_eq!(e.scim_type, ScimType::InvalidPath);
    assert!(e.detail.contains("entra and compat modes read such keys as paths"), "{e}");
}

/// Entra's gallery SCIM_Update_Manager_Test removes the manager with `Replace` and `{"value": ""}` (E-Q36):
/// where `""` unassigns, the manager is gone, not kept with an empty id.
#[test]
fn manager_replaced_with_an_empty_value_is_removed() {
    let path = format!("{ENTERPRISE_USER}:manager");
    let set = json!([{"op": "Add", "path": path, "value": {"value": "boss"}}]);
    let managed = run(&user(), set, Mode::Entra).unwrap().resource;
    assert_eq!(managed[ENTERPRISE_USER]["manager"], json!({"value": "boss"}));
    let remove = json!([{"op": "Replace", "path": path, "value": {"value": ""}}]);
    for mode in [Mode::Entra, Mode::Compat] {
        let out = run(&managed, remove.clone(), mode).unwrap().resource;
        let manager = out.get(ENTERPRISE_USER).and_then(|e| e.get("manager"));
        assert!(manager.is_none(), "{mode:?}: the manager is kept as {manager:?}");
    }
}

#[test]
fn remove_with_a_value_array() {
    let op = json!([{"op": "remove", "path": "members", "value": [{"value": "m2"}]}]);
    // Entra's default job and JumpCloud (JC-Q4) both remove this way.
    for mode in [Mode::Entra, Mode::Jumpcloud] {
        assert_eq!(
            run(&group(), op.clone(), mode).unwrap().resource["members"],
            json!([{"value": "m1", "type": "User"}]),
            "{mode}"
        );
    }
    assert!(
        run(&group(), op, Mode::Rfc).unwrap().resource.get("members").is_none(),
        "the RFC reading removes every member"
    );
    let absent = json!([{"op": "remove", "path": "members", "value": [{"value": "m7"}]}]);
    assert!(!run(&group(), absent, Mode::Entra).unwrap().changed);
}

#[test]
fn null_and_empty_array_unassign_on_replace() {
    let out = run(&user(), json!([{"op": "replace", "path": "nickName", "value": null}]), Mode::Rfc).unwrap().resource;
    assert!(out.get("nickName").is_none());
    let out = run(&user(), json!([{"op": "replace", "path": "emails", "value": []}]), Mode::Rfc).unwrap().resource;
    assert!(out.get("emails").is_none());
    let out = run(
        &user(),
        json!([{"op": "replace", "path": "name", "value": {"givenName": "B", "familyName": null}}]),
        Mode::Rfc,
    )
    .unwrap()
    .resource;
    assert_eq!(out["name"], json!({"givenName": "B"}));
}

#[test]
fn values_must_fit_the_schema() {
    for (path, value) in [
        ("userName", json!(5)),
        ("active", json!(1)),
        ("emails", json!([{"value": "a@b", "nosuch": "x"}])),
        ("name", json!("Barbara")),
        ("meta.lastModified", json!("x")),
    ] {
        let r = run(&user(), json!([{"op": "replace", "path": path, "value": value}]), Mode::Compat);
        let t = scim_type(r);
        assert!(t == "invalidValue" || t == "mutability", "{path}: {t}");
    }
    let two_primaries = json!([{"op": "add", "path": "emails", "value": [{"value": "x@y", "primary": true}, {"value": "z@y", "primary": true}]}]);
    assert_eq!(scim_type(run(&user(), two_primaries, Mode::Rfc)), "invalidValue");
}

#[test]
fn operations_see_earlier_results_and_fail_atomically() {
    let seq = json!([
        {"op": "add", "path": "title", "value": "Guide"},
        {"op": "replace", "path": "title", "value": "Senior Guide"},
        {"op": "remove", "path": "nickName"}
    ]);
    let out = run(&user(), seq, Mode::Rfc).unwrap().resource;
    assert_eq!(out["title"], json!("Senior Guide"));
    assert!(out.get("nickName").is_none());
    let failing = json!([{"op": "add", "path": "title", "value": "Guide"}, {"op": "remove", "path": "userName"}]);
    let e = run(&user(), failing, Mode::Rfc).unwrap_err();
    assert_eq!((e.scim_type, e.operation), (ScimType::Mutability, Some(1)));
}

#[test]
fn extension_objects_may_carry_schemas_but_not_unknown_members() {
    // scim2-models serialises an extension value with its own `schemas`; the key says nothing new.
    let with_schemas = json!({"schemas": [ENTERPRISE_USER], "department": "Tours"});
    for (path, value) in [(Some(ENTERPRISE_USER), with_schemas.clone()), (None, json!({ENTERPRISE_USER: with_schemas}))]
    {
        let mut op = json!({"op": "add", "value": value});
        if let Some(p) = path {
            op["path"] = json!(p);
        }
        let out = run(&user(), json!([op]), Mode::Rfc).unwrap().resource;
        assert_eq!(out[ENTERPRISE_USER], json!({"department": "Tours"}));
    }
    let unknown = json!([{"op": "add", "path": ENTERPRISE_USER, "value": {"shoeSize": 42}}]);
    assert_eq!(scim_type(run(&user(), unknown, Mode::Compat)), "invalidValue");
}

#[test]
fn add_matches_exactly_appends_a_case_variant() {
    let add =
        ops(json!([{"op": "add", "path": "emails", "value": [{"value": "BJensen@example.com", "type": "Work"}]}]));
    let merged = apply_json(&user(), &add, ResourceSchema::user(), &PatchOptions::new(Mode::Rfc)).unwrap().resource;
    assert_eq!(merged["emails"].as_array().unwrap().len(), 2, "merged into the work email");
    assert_eq!(merged["emails"][0]["type"], "Work");
    let exact = PatchOptions { add_matches_exactly: true, ..PatchOptions::new(Mode::Rfc) };
    let appended = apply_json(&user(), &add, ResourceSchema::user(), &exact).unwrap().resource;
    assert_eq!(appended["emails"].as_array().unwrap().len(), 3, "appended");
    assert_eq!(appended["emails"][0], user()["emails"][0]);
    // An exact duplicate is still contained.
    let same = ops(json!([{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}]));
    assert!(!apply_json(&user(), &same, ResourceSchema::user(), &exact).unwrap().changed);
}

#[test]
fn a_large_add_finds_existing_values_as_a_one_by_one_comparison_does() {
    // 1,000 members in one add (Entra E-AM batches), with repeats that must merge into the first equal
    // value: the same id again, and emails that differ in ASCII case only (caseExact false).
    let ids: Vec<Value> = (0..1000).map(|i| json!({"value": format!("m{}", i % 600)})).collect();
    let added = run(&group(), json!([{"op": "add", "path": "members", "value": ids}]), Mode::Rfc).unwrap().resource;
    let members = added["members"].as_array().unwrap();
    assert_eq!(members.len(), 600, "m1 and m2 were there, and m0..m599 are 600 distinct ids");
    assert_eq!(members[0]["value"], "m1", "existing members keep their place");
    let emails = json!([{"op": "add", "path": "emails", "value": [
        {"value": "A@EXAMPLE.COM", "type": "other"}, {"value": "a@example.com", "type": "other"},
        {"value": "\u{212a}@example.com", "type": "other"}, {"value": "k@example.com", "type": "other"}]}]);
    let out = run(&user(), emails, Mode::Rfc).unwrap().resource;
    let values: Vec<&str> = out["emails"].as_array().unwrap().iter().map(|e| e["value"].as_str().unwrap()).collect();
    let case_folded = |v: &str| values.iter().filter(|x| x.to_lowercase() == v.to_lowercase()).count();
    assert_eq!(case_folded("a@example.com"), 1, "ASCII case differences are one email: {values:?}");
    assert_eq!(
        values
            .iter()
            .filter(|v| v.ends_with("@example.com") && (v.starts_with('k') || v.starts_with('\u{212a}')))
            .count(),
        1,
        "the Kelvin sign folds to k, so the ASCII k is the same email: {values:?}"
    );
}
