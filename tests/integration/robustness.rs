//! Arbitrary input never panics: filter strings, PATCH paths, PatchOp bodies and resources of any shape.
//! Errors keep their promises (a span inside the input; a scimType).

use proptest::prelude::*;
use scimtest::filter::{Dialect, EvalOptions, ParseOptions, UnknownAttributes, compile, parse_path, parse_with};
use scimtest::patch::{Mode, PatchOptions, apply_json};
use scimtest::schema::ResourceSchema;
use serde_json::json;

use crate::strategies::{filter_soup as soup, json_value, tree, user};

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
