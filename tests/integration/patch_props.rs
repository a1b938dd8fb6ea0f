//! PATCH laws over generated resources and operations: replace is idempotent, a failing operation
//! fails the whole request (naming the operation), adding then removing a member restores the
//! membership, and re-adding present values changes nothing.

use proptest::collection::vec;
use proptest::prelude::*;
use scimtest::patch::{Mode, PatchOptions, apply_json};
use scimtest::schema::ResourceSchema;
use scimtest::value::{CanonicalOptions, canonicalize};
use serde_json::{Value, json};

use crate::strategies::{bad_operation, group, user, user_replace};

fn patch(ops: Vec<Value>) -> Value {
    json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops })
}

fn modes() -> impl Strategy<Value = Mode> {
    proptest::sample::select(Mode::ALL.to_vec())
}

fn canonical_group(v: &Value) -> Value {
    canonicalize(v, ResourceSchema::group(), &CanonicalOptions::default().ignore(["meta"]))
}

proptest! {
    #![proptest_config(crate::strategies::config(256))]

    #[test]
    fn replace_is_idempotent(u in user(), op in user_replace(), mode in modes()) {
        let schema = ResourceSchema::user();
        let options = PatchOptions::new(mode);
        let request = patch(vec![op]);
        if let Ok(once) = apply_json(&u, &request, schema, &options) {
            let twice = apply_json(&once.resource, &request, schema, &options);
            prop_assert!(twice.is_ok(), "second application failed: {:?}", twice);
            let twice = twice.unwrap();
            prop_assert_eq!(&twice.resource, &once.resource);
            prop_assert!(!twice.changed, "a repeated replace reported a change");
        }
    }

    #[test]
    fn a_failing_operation_fails_the_request(u in user(), ops in vec(user_replace(), 0..3), bad in bad_operation(), mode in modes()) {
        let schema = ResourceSchema::user();
        let options = PatchOptions::new(mode);
        let (bad_op, scim_type) = bad;
        let good_only = patch(ops.clone());
        let good_applies = ops.is_empty() || apply_json(&u, &good_only, schema, &options).is_ok();
        let mut all = ops.clone();
        all.push(bad_op);
        let result = apply_json(&u, &patch(all), schema, &options);
        prop_assert!(result.is_err(), "a request with a bad last operation succeeded");
        let e = result.unwrap_err();
        if good_applies {
            prop_assert_eq!(e.operation, Some(ops.len()), "{}", e);
            prop_assert_eq!(e.scim_type.as_str(), scim_type, "{}", e);
        }
        prop_assert_eq!(e.status(), 400);
    }

    #[test]
    fn adding_then_removing_a_member_restores_the_group(g in group(), new in 10u32..20, mode in modes(), by_value in any::<bool>()) {
        let schema = ResourceSchema::group();
        let options = PatchOptions::new(mode);
        let id = format!("m{new}");
        let added = apply_json(&g, &patch(vec![json!({ "op": "add", "path": "members", "value": [{ "value": id, "type": "User" }] })]), schema, &options).unwrap();
        prop_assert!(added.changed);
        let remove = if by_value && options.tolerances.remove_value_selects {
            json!({ "op": "remove", "path": "members", "value": [{ "value": id }] })
        } else {
            json!({ "op": "remove", "path": format!("members[value eq \"{id}\"]") })
        };
        let removed = apply_json(&added.resource, &patch(vec![remove]), schema, &options).unwrap();
        prop_assert_eq!(canonical_group(&removed.resource), canonical_group(&g));
    }

    #[test]
    fn re_adding_present_members_changes_nothing(g in group(), mode in modes()) {
        let schema = ResourceSchema::group();
        let members = g.get("members").cloned().unwrap_or(json!([]));
        prop_assume!(members.as_array().is_some_and(|m| !m.is_empty()));
        let out = apply_json(&g, &patch(vec![json!({ "op": "add", "path": "members", "value": members })]), schema, &PatchOptions::new(mode)).unwrap();
        prop_assert!(!out.changed);
        prop_assert_eq!(out.resource, g);
    }

    /// Whatever a request does, at most one value of a multi-valued attribute ends up primary, and a
    /// successful result is itself a valid resource: patching it with nothing-changing ops keeps it.
    #[test]
    fn at_most_one_primary_email(u in user(), ops in vec(user_replace(), 1..4), mode in modes()) {
        if let Ok(out) = apply_json(&u, &patch(ops), ResourceSchema::user(), &PatchOptions::new(mode)) {
            let before = u.get("emails").and_then(Value::as_array).map_or(0, |e| e.iter().filter(|e| e["primary"] == json!(true)).count());
            let after = out.resource.get("emails").and_then(Value::as_array).map_or(0, |e| e.iter().filter(|e| e["primary"] == json!(true)).count());
            prop_assert!(after <= before.max(1), "{after} primary emails after the PATCH");
        }
    }
}
