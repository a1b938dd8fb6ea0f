use serde_json::json;

use super::*;

fn user() -> &'static ResourceSchema {
    ResourceSchema::user()
}

fn group() -> &'static ResourceSchema {
    ResourceSchema::group()
}

/// The definition at `name[.sub]` of the built-in resource type `rs` (unqualified lookup).
fn def<'a>(rs: &'a ResourceSchema, name: &str, sub: Option<&str>) -> &'a Attribute {
    rs.resolve(None, name, sub).unwrap_or_else(|e| panic!("{name}: {e}")).target()
}

fn enterprise<'a>(name: &str, sub: Option<&str>) -> &'a Attribute {
    user().resolve(Some(ENTERPRISE_USER), name, sub).unwrap_or_else(|e| panic!("{name}: {e}")).target()
}

fn issue_paths(issues: &[SchemaIssue]) -> Vec<&str> {
    issues.iter().map(|i| i.path.as_str()).collect()
}

// ---------------------------------------------------------------- built-in schemas

#[test]
fn builtin_schemas_and_resource_types_load() {
    let ids: Vec<&str> = builtin_schemas().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, [USER, ENTERPRISE_USER, GROUP]);
    assert_eq!(builtin_resource_types().len(), 2);
    assert_eq!(user().core.id, USER);
    assert_eq!(user().extensions.len(), 1);
    assert_eq!(user().extensions[0].0.id, ENTERPRISE_USER);
    assert!(!user().extensions[0].1, "enterprise extension is optional (README #13)");
    assert_eq!(group().core.id, GROUP);
    assert!(group().extensions.is_empty());
    assert_eq!(user().core.attributes.len(), 21);
    assert_eq!(group().core.attributes.len(), 2);
    assert_eq!(user().schema_ids().collect::<Vec<_>>(), [USER, ENTERPRISE_USER]);
}

#[test]
fn builtin_user_characteristics() {
    let rs = user();
    let user_name = def(rs, "userName", None);
    assert!(user_name.required);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    assert!(!user_name.case_exact);

    let id = def(rs, "id", None);
    assert!(id.case_exact);
    assert_eq!(id.mutability, Mutability::ReadOnly);
    assert_eq!(id.returned, Returned::Always);
    assert!(def(rs, "externalId", None).case_exact);

    let password = def(rs, "password", None);
    assert_eq!(password.mutability, Mutability::WriteOnly);
    assert_eq!(password.returned, Returned::Never);

    assert_eq!(def(rs, "groups", None).mutability, Mutability::ReadOnly);
    assert_eq!(def(rs, "groups", Some("value")).mutability, Mutability::ReadOnly);

    let emails = def(rs, "emails", None);
    assert!(emails.multi_valued && emails.is_complex());
    for (sub, ty) in [
        ("value", AttributeType::String),
        ("type", AttributeType::String),
        ("primary", AttributeType::Boolean),
        ("display", AttributeType::String),
    ] {
        assert_eq!(emails.sub_attribute(sub).map(|a| a.ty), Some(ty), "emails.{sub}");
    }

    let cert = def(rs, "x509Certificates", Some("value"));
    assert_eq!(cert.ty, AttributeType::Binary);
    assert!(cert.case_exact);

    let last_modified = def(rs, "meta", Some("lastModified"));
    assert_eq!(last_modified.ty, AttributeType::DateTime);
    assert_eq!(last_modified.mutability, Mutability::ReadOnly);

    let schemas = def(rs, "schemas", None);
    assert!(schemas.multi_valued && schemas.required);
    assert_eq!(schemas.ty, AttributeType::Reference);
}

#[test]
fn builtin_enterprise_manager() {
    let manager = enterprise("manager", None);
    assert!(manager.is_complex() && !manager.multi_valued);
    let names: Vec<&str> = manager.sub_attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["value", "$ref", "displayName"]);
    assert_eq!(manager.sub_attribute("$ref").unwrap().ty, AttributeType::Reference);
    assert!(manager.sub_attribute("value").unwrap().case_exact, "README #4");
    assert_eq!(manager.sub_attribute("displayName").unwrap().mutability, Mutability::ReadOnly);
    assert_eq!(manager.sub_attribute("value").unwrap().mutability, Mutability::ReadWrite);
}

#[test]
fn builtin_group_characteristics() {
    let rs = group();
    assert!(def(rs, "displayName", None).required, "README #1");
    let members = def(rs, "members", None);
    assert!(members.multi_valued && members.is_complex());
    assert_eq!(def(rs, "members", Some("value")).mutability, Mutability::Immutable);
    assert_eq!(def(rs, "members", Some("display")).mutability, Mutability::ReadOnly);
    // Group has no userName.
    assert!(rs.resolve(None, "userName", None).is_err());
}

#[test]
fn common_attributes_are_the_four_of_section_3() {
    let names: Vec<String> = common_attributes().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["id", "externalId", "meta", "schemas"]);
    let meta = common_attributes().into_iter().find(|a| a.name == "meta").unwrap();
    assert_eq!(meta.sub_attribute("created").unwrap().ty, AttributeType::DateTime);
    assert_eq!(meta.sub_attribute("location").unwrap().ty, AttributeType::Reference);
}

// ---------------------------------------------------------------- resolve

#[test]
fn resolve_is_case_insensitive() {
    let r = user().resolve(None, "USERNAME", None).unwrap();
    assert_eq!(r.attribute.name, "userName");
    assert!(matches!(r.owner, Owner::Core(s) if s.id == USER));
    assert_eq!(r.owner.container(), None);
    let r = user().resolve(None, "Name", Some("FamilyName")).unwrap();
    assert_eq!(r.attribute.name, "name");
    assert_eq!(r.sub_attribute.unwrap().name, "familyName");
    assert_eq!(r.target().name, "familyName");
}

#[test]
fn resolve_urn_qualified_core_and_extension() {
    let r = user().resolve(Some(USER), "userName", None).unwrap();
    assert!(matches!(r.owner, Owner::Core(_)));
    assert_eq!(r.owner.container(), None);
    // The URN itself is matched case-insensitively.
    let r = user().resolve(Some(&USER.to_uppercase()), "username", None).unwrap();
    assert!(matches!(r.owner, Owner::Core(_)));

    let r = user().resolve(Some(ENTERPRISE_USER), "department", None).unwrap();
    assert!(matches!(r.owner, Owner::Extension(s) if s.id == ENTERPRISE_USER));
    assert_eq!(r.owner.container(), Some(ENTERPRISE_USER));
    let r = user().resolve(Some(ENTERPRISE_USER), "manager", Some("displayName")).unwrap();
    assert_eq!(r.target().name, "displayName");
    assert_eq!(r.owner.container(), Some(ENTERPRISE_USER));
}

#[test]
fn resolve_unqualified_extension_attribute_fails() {
    assert_eq!(
        user().resolve(None, "department", None),
        Err(ResolveError::UnknownAttribute { schema: USER.into(), name: "department".into() })
    );
    // A core attribute is not found under the extension's URN either.
    assert!(matches!(
        user().resolve(Some(ENTERPRISE_USER), "userName", None),
        Err(ResolveError::UnknownAttribute { schema, .. }) if schema == ENTERPRISE_USER
    ));
    // Nor is the extension known on Group.
    assert!(matches!(group().resolve(Some(ENTERPRISE_USER), "department", None), Err(ResolveError::UnknownSchema(_))));
}

#[test]
fn resolve_common_attributes() {
    for (name, sub) in [("id", None), ("ID", None), ("externalId", None), ("schemas", None), ("meta", Some("created"))]
    {
        let r = user().resolve(None, name, sub).unwrap();
        assert_eq!(r.owner, Owner::Common, "{name}");
        assert_eq!(r.owner.container(), None);
    }
    assert_eq!(group().resolve(None, "meta", Some("LASTMODIFIED")).unwrap().target().name, "lastModified");
}

#[test]
fn resolve_errors_and_their_text() {
    let e = user().resolve(None, "name", Some("nickName")).unwrap_err();
    assert_eq!(e, ResolveError::UnknownSubAttribute { attribute: "name".into(), sub: "nickName".into() });
    assert_eq!(e.to_string(), "`name` has no sub-attribute `nickName`");
    // A sub-attribute of a simple attribute does not exist either.
    assert!(matches!(user().resolve(None, "userName", Some("x")), Err(ResolveError::UnknownSubAttribute { .. })));

    let e = user().resolve(None, "nope", None).unwrap_err();
    assert_eq!(e.to_string(), format!("no attribute `nope` in {USER}"));

    let e = user().resolve(Some("urn:example:Nope"), "x", None).unwrap_err();
    assert_eq!(e, ResolveError::UnknownSchema("urn:example:Nope".into()));
    assert_eq!(e.to_string(), "no schema `urn:example:Nope` on this resource type");
}

// ---------------------------------------------------------------- split_urn, get_ci

#[test]
fn split_urn_splits_on_last_colon() {
    assert_eq!(split_urn(&format!("{USER}:userName")), (Some(USER), "userName"));
    assert_eq!(split_urn(&format!("{USER}:name.familyName")), (Some(USER), "name.familyName"));
    assert_eq!(split_urn(&format!("{ENTERPRISE_USER}:manager.value")), (Some(ENTERPRISE_USER), "manager.value"));
    assert_eq!(split_urn(&format!("{ENTERPRISE_USER}:employeeNumber")), (Some(ENTERPRISE_USER), "employeeNumber"));
    assert_eq!(
        split_urn("URN:IETF:params:scim:schemas:core:2.0:User:userName"),
        (Some("URN:IETF:params:scim:schemas:core:2.0:User"), "userName")
    );
}

#[test]
fn split_urn_leaves_plain_names_whole() {
    for plain in ["userName", "name.familyName", "emails[type eq \"work\"].value", "urn:", "urn:x", "urnx:a:b", ""] {
        assert_eq!(split_urn(plain), (None, plain), "{plain}");
    }
    assert_eq!(split_urn("a:b"), (None, "a:b"), "not a urn");
}

#[test]
fn split_urn_does_not_panic_on_non_ascii() {
    assert_eq!(split_urn("abcé"), (None, "abcé"));
    assert_eq!(split_urn("名前"), (None, "名前"));
}

#[test]
fn get_ci_prefers_exact_then_case_insensitive() {
    let value = json!({"userName": 1, "USERNAME": 2, "Title": 3});
    let o = value.as_object().unwrap();
    assert_eq!(get_ci(o, "USERNAME"), Some((&"USERNAME".to_string(), &json!(2))));
    assert_eq!(get_ci(o, "userName"), Some((&"userName".to_string(), &json!(1))));
    assert_eq!(get_ci(o, "title"), Some((&"Title".to_string(), &json!(3))));
    assert_eq!(get_ci(o, "missing"), None);
}

// ---------------------------------------------------------------- parse_schemas

fn schema_json(id: &str, attributes: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "name": "Test", "attributes": attributes})
}

#[test]
fn parse_schemas_accepts_list_response_array_and_object() {
    let one = schema_json("urn:example:A", json!([{"name": "a", "type": "string"}]));
    let two = schema_json("urn:example:B", json!([{"name": "b", "type": "integer"}]));
    let list = json!({"totalResults": 2, "resources": [one, two]});
    let (schemas, issues) = parse_schemas(&list);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(schemas.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["urn:example:A", "urn:example:B"]);
    assert_eq!(schemas[1].attributes[0].ty, AttributeType::Integer);

    let (schemas, issues) = parse_schemas(&json!([one.clone()]));
    assert!(issues.is_empty());
    assert_eq!(schemas.len(), 1);

    let (schemas, issues) = parse_schemas(&one);
    assert!(issues.is_empty());
    assert_eq!(schemas[0].name, "Test");
    assert_eq!(schemas[0].attribute("A").unwrap().name, "a");

    // An empty ListResponse (no Resources) is no schema and no issue.
    let (schemas, issues) = parse_schemas(&json!({"totalResults": 0}));
    assert!(schemas.is_empty() && issues.is_empty());
}

#[test]
fn parse_schemas_defaults_missing_characteristics() {
    let (schemas, issues) = parse_schemas(&schema_json("urn:example:A", json!([{"name": "a", "type": "string"}])));
    assert!(issues.is_empty());
    let a = &schemas[0].attributes[0];
    assert_eq!(*a, Attribute::new("a", AttributeType::String));
    assert!(!a.multi_valued && !a.required && !a.case_exact);
    assert_eq!((a.mutability, a.returned, a.uniqueness), (Mutability::ReadWrite, Returned::Default, Uniqueness::None));

    // No `type` at all: taken as string, with an issue.
    let (schemas, issues) = parse_schemas(&schema_json("urn:example:A", json!([{"name": "a"}])));
    assert_eq!(schemas[0].attributes[0].ty, AttributeType::String);
    assert_eq!(issue_paths(&issues), ["attributes[0]"]);
}

#[test]
fn parse_schemas_reports_bad_keyword_and_keeps_default() {
    let list = json!({"Resources": [schema_json("urn:example:A", json!([
        {"name": "a", "type": "string", "mutability": "readonly", "returned": "ALWAYS"},
        {"name": "b", "type": "string", "mutability": "sometimes", "uniqueness": "server"},
    ]))]});
    let (schemas, issues) = parse_schemas(&list);
    assert_eq!(issue_paths(&issues), ["Resources[0].attributes[1].mutability"]);
    assert!(issues[0].message.contains("sometimes"), "{}", issues[0]);
    assert!(issues[0].to_string().starts_with("Resources[0].attributes[1].mutability: "));
    let attrs = &schemas[0].attributes;
    assert_eq!(attrs[0].mutability, Mutability::ReadOnly, "keywords are case-insensitive");
    assert_eq!(attrs[0].returned, Returned::Always);
    assert_eq!(attrs[1].mutability, Mutability::ReadWrite, "RFC default kept");
    assert_eq!(attrs[1].uniqueness, Uniqueness::Server, "the rest of the attribute is still read");
}

#[test]
fn parse_schemas_reads_string_booleans_with_an_issue() {
    let (schemas, issues) = parse_schemas(&schema_json(
        "urn:example:A",
        json!([{"name": "a", "type": "string", "required": "TRUE", "caseExact": "false", "multiValued": 1}]),
    ));
    let a = &schemas[0].attributes[0];
    assert!(a.required);
    assert!(!a.case_exact);
    assert!(!a.multi_valued, "a number is not a boolean: default");
    assert_eq!(
        issue_paths(&issues),
        ["attributes[0].multiValued", "attributes[0].required", "attributes[0].caseExact"]
    );
}

#[test]
fn parse_schemas_skips_unusable_attributes() {
    let (schemas, issues) = parse_schemas(&json!([schema_json(
        "urn:example:A",
        json!([
            {"type": "string"},
            {"name": "weird", "type": "float"},
            "not an object",
            {"name": "kept", "type": "STRING"},
        ])
    )]));
    let names: Vec<&str> = schemas[0].attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["kept"]);
    assert_eq!(issue_paths(&issues), ["[0].attributes[0]", "[0].attributes[1].type", "[0].attributes[2]"]);
    assert!(issues[0].message.contains("name"));
    assert!(issues[1].message.contains("weird"));
}

#[test]
fn parse_schemas_complex_and_reference_checks() {
    let (schemas, issues) = parse_schemas(&schema_json(
        "urn:example:A",
        json!([
            {"name": "c", "type": "complex"},
            {"name": "r", "type": "reference", "referenceTypes": "external"},
            {"name": "n", "type": "complex", "subAttributes": [
                {"name": "inner", "type": "complex", "subAttributes": [{"name": "x", "type": "string"}]},
                {"name": "ok", "type": "string", "subAttributes": []},
            ]},
        ]),
    ));
    let attrs = &schemas[0].attributes;
    assert_eq!(attrs.len(), 3, "complex without subAttributes is kept");
    assert_eq!(attrs[1].reference_types, ["external"]);
    let subs: Vec<&str> = attrs[2].sub_attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(subs, ["ok"], "a complex sub-attribute is skipped");
    assert_eq!(
        issue_paths(&issues),
        [
            "attributes[0]",
            "attributes[1].referenceTypes",
            "attributes[2].subAttributes[0]",
            "attributes[2].subAttributes[0]",
            "attributes[2].subAttributes[0]",
            "attributes[2].subAttributes[1]",
        ]
    );
    assert!(issues[0].message.contains("subAttributes"));
    // The nested complex: its sub-attributes are ignored, so it is also a complex without any; then skipped.
    assert!(issues[2].message.contains("ignored"), "{}", issues[2]);
    assert!(issues[4].message.contains("cannot be complex"), "{}", issues[4]);
}

#[test]
fn parse_schemas_reports_non_object_items_and_missing_id() {
    let (schemas, issues) = parse_schemas(&json!({"Resources": [
        42,
        {"attributes": []},
        {"id": "urn:example:NoAttrs"},
    ]}));
    assert_eq!(schemas.len(), 1);
    assert!(schemas[0].attributes.is_empty());
    assert_eq!(issue_paths(&issues), ["Resources[0]", "Resources[1]", "Resources[2]"]);
    let (_, issues) = parse_schemas(&json!({"Resources": {}}));
    assert_eq!(issue_paths(&issues), ["Resources"]);
    let (_, issues) = parse_schemas(&json!("nope"));
    assert_eq!(issues.len(), 1);
}

// ---------------------------------------------------------------- resource types and assemble

#[test]
fn parse_resource_types_reads_extensions_and_skips_incomplete() {
    let (types, issues) = parse_resource_types(&json!({"Resources": [
        {"name": "User", "endpoint": "/Users", "schema": USER,
         "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": true}, {"required": true}]},
        {"id": "G", "name": "Group", "schema": GROUP},
    ]}));
    assert_eq!(types.len(), 1);
    let rt = &types[0];
    assert_eq!((rt.id.as_str(), rt.endpoint.as_str()), ("User", "/Users"), "id defaults to name");
    assert_eq!(rt.schema_extensions, [SchemaExtension { schema: ENTERPRISE_USER.into(), required: true }]);
    assert_eq!(issue_paths(&issues), ["Resources[0].schemaExtensions[1]", "Resources[1]"]);
    assert!(issues[1].message.contains("endpoint"));
}

#[test]
fn assemble_drops_missing_core_and_missing_extension() {
    let types = vec![
        ResourceType {
            id: "User".into(),
            name: "User".into(),
            endpoint: "/Users".into(),
            description: String::new(),
            schema: USER.to_uppercase(),
            schema_extensions: vec![
                SchemaExtension { schema: "urn:example:Missing".into(), required: true },
                SchemaExtension { schema: ENTERPRISE_USER.into(), required: false },
            ],
        },
        ResourceType {
            id: "Device".into(),
            name: "Device".into(),
            endpoint: "/Devices".into(),
            description: String::new(),
            schema: "urn:example:Device".into(),
            schema_extensions: vec![],
        },
    ];
    let (assembled, issues) = ResourceSchema::assemble(&types, builtin_schemas());
    assert_eq!(assembled.len(), 1);
    assert_eq!(assembled[0].core.id, USER, "found case-insensitively");
    assert_eq!(assembled[0].extensions.len(), 1);
    assert_eq!(assembled[0].extensions[0].0.id, ENTERPRISE_USER);
    assert_eq!(assembled[0].common.len(), 4);
    assert_eq!(issue_paths(&issues), ["User", "Device"]);
    assert!(issues[0].message.contains("urn:example:Missing"));
    assert!(issues[1].message.contains("urn:example:Device"));
}

// ---------------------------------------------------------------- keywords

#[test]
fn keywords_parse_case_insensitively_and_round_trip() {
    use AttributeType as T;
    for t in [T::String, T::Boolean, T::Decimal, T::Integer, T::DateTime, T::Binary, T::Reference, T::Complex] {
        assert_eq!(t.to_string().parse::<T>(), Ok(t));
        assert_eq!(t.to_string().to_uppercase().parse::<T>(), Ok(t));
    }
    assert_eq!("DATETIME".parse::<T>(), Ok(T::DateTime));
    assert_eq!(T::DateTime.to_string(), "dateTime");
    for m in [Mutability::ReadOnly, Mutability::ReadWrite, Mutability::Immutable, Mutability::WriteOnly] {
        assert_eq!(m.to_string().to_lowercase().parse::<Mutability>(), Ok(m));
    }
    assert_eq!(Mutability::WriteOnly.to_string(), "writeOnly");
    for r in [Returned::Always, Returned::Never, Returned::Default, Returned::Request] {
        assert_eq!(r.to_string().to_uppercase().parse::<Returned>(), Ok(r));
    }
    for u in [Uniqueness::None, Uniqueness::Server, Uniqueness::Global] {
        assert_eq!(u.to_string().to_uppercase().parse::<Uniqueness>(), Ok(u));
    }
    let err = "read-only".parse::<Mutability>().unwrap_err();
    assert!(err.contains("read-only") && err.contains("readOnly"), "{err}");
    assert!("".parse::<Uniqueness>().is_err());
}

// ---------------------------------------------------------------- builtin_named / matches

#[test]
fn builtin_named_by_name_endpoint_and_urn() {
    for key in ["User", "user", "users", "Users", "/Users", USER, &USER.to_lowercase()] {
        assert_eq!(ResourceSchema::builtin_named(key).map(|r| r.core.id.as_str()), Some(USER), "{key}");
    }
    for key in ["Group", "/groups", GROUP] {
        assert_eq!(ResourceSchema::builtin_named(key).map(|r| r.core.id.as_str()), Some(GROUP), "{key}");
    }
    for key in ["", "/", "Device", ENTERPRISE_USER, "Use"] {
        assert!(ResourceSchema::builtin_named(key).is_none(), "{key}");
    }
    assert!(user().matches("USERS"));
    assert!(!user().matches("Groups"));
    // An endpoint published without the leading slash matches too.
    let mut rs = group().clone();
    rs.resource_type.endpoint = "Groups".into();
    assert!(rs.matches("groups"));
}
