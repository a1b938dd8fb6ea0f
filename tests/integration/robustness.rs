//! Arbitrary input never panics: filter strings, PATCH paths, PatchOp bodies and resources of any shape.
//! Errors keep their promises (a span inside the input; a scimType).

use proptest::prelude::*;
use scimtest::filter::{Dialect, EvalOptions, ParseOptions, UnknownAttributes, compile, parse_path, parse_with};
use scimtest::patch::{Mode, PatchOptions, apply_json};
use scimtest::schema::ResourceSchema;
use serde_json::{Value, json};

use crate::strategies::{tree, user};

/// Filter-like soup: tokens of the grammar in random order and case.
fn soup() -> impl Strategy<Value = String> {
    let token = proptest::sample::select(vec![
        "userName",
        "emails",
        "name.givenName",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "urn:",
        "$ref",
        " ",
        "  ",
        "\t",
        "eq",
        "EQ",
        "pr",
        "gt",
        "and",
        "or",
        "not",
        "not(",
        "(",
        ")",
        "[",
        "]",
        ".",
        ":",
        "\"x\"",
        "\"a\\\"b\"",
        "\"\\u00e9\"",
        "\"",
        "\\",
        "1",
        "-2.5e3",
        "01",
        "true",
        "NULL",
        "é",
        "日本",
    ]);
    proptest::collection::vec(token, 0..16).prop_map(|t| t.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        ".{0,8}".prop_map(Value::String),
        proptest::sample::select(vec![
            "add",
            "Remove",
            "replace",
            "members",
            "emails[type eq \"work\"].value",
            "userName",
            "id",
            "True"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        let key = proptest::sample::select(vec![
            "op",
            "path",
            "value",
            "schemas",
            "Operations",
            "userName",
            "emails",
            "members",
            "type",
            "primary",
            "active",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "name",
            "givenName",
            "meta",
            "id",
            "x",
        ]);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn check_parse(input: &str) -> Result<(), TestCaseError> {
    for dialect in [Dialect::Strict, Dialect::Compat] {
        if let Err(e) = parse_with(input, &ParseOptions::with_dialect(dialect)) {
            let span = e.span.clone().expect("parse errors have spans");
            prop_assert!(span.start <= span.end && span.end <= input.len(), "span {:?} for {:?}", span, input);
            prop_assert!(
                input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
                "span {:?} splits a character of {:?}",
                span,
                input
            );
            let _ = e.render(input);
        }
        if let Err(e) = parse_path(input, &ParseOptions::with_dialect(dialect)) {
            let _ = e.render(input);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::strategies::config(512))]

    #[test]
    fn arbitrary_strings_never_panic_the_parser(input in any::<String>()) {
        check_parse(&input)?;
    }

    #[test]
    fn token_soup_never_panics_the_parser(input in soup()) {
        check_parse(&input)?;
    }

    #[test]
    fn arbitrary_patch_bodies_never_panic(body in json_value(), u in user(), mode in proptest::sample::select(Mode::ALL.to_vec())) {
        let options = PatchOptions::new(mode);
        let wrapped = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [body.clone()] });
        for request in [&body, &wrapped] {
            if let Err(e) = apply_json(&u, request, ResourceSchema::user(), &options) {
                prop_assert_eq!(e.to_scim_error()["status"].clone(), json!("400"));
            }
        }
    }

    #[test]
    fn arbitrary_resources_never_panic(resource in json_value(), op in json_value()) {
        let request = json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op] });
        for schema in [ResourceSchema::user(), ResourceSchema::group()] {
            let _ = apply_json(&resource, &request, schema, &PatchOptions::new(Mode::Compat));
        }
    }

    #[test]
    fn filters_evaluate_on_anything(f in tree(), resource in json_value()) {
        let options = EvalOptions { unknown_attributes: UnknownAttributes::NoMatch, ..EvalOptions::default() };
        if let Ok(compiled) = compile(&f, ResourceSchema::user(), &options) {
            let _ = compiled.matches(&resource);
        }
    }
}
