use std::cmp::Ordering;

use serde_json::{Value, json};

use super::*;
use crate::schema::{ENTERPRISE_USER, GROUP, ResourceSchema, USER};

fn attr(ty: AttributeType, case_exact: bool) -> Attribute {
    Attribute { case_exact, ..Attribute::new("x", ty) }
}

fn string(case_exact: bool) -> Attribute {
    attr(AttributeType::String, case_exact)
}

/// A built-in User attribute or sub-attribute, unqualified.
fn user_attr(name: &str, sub: Option<&str>) -> &'static Attribute {
    ResourceSchema::user().resolve(None, name, sub).unwrap().target()
}

fn dt(s: &str) -> DateTime {
    DateTime::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
}

// ---------------------------------------------------------------- equals

#[test]
fn equals_strings_honour_case_exact() {
    let user_name = user_attr("userName", None);
    let external_id = user_attr("externalId", None);
    assert!(equals(user_name, &json!("Alice"), &json!("alice")));
    assert!(!equals(user_name, &json!("Alice"), &json!("Alicia")));
    assert!(!equals(external_id, &json!("Alice"), &json!("alice")));
    assert!(equals(external_id, &json!("Alice"), &json!("Alice")));
    // Full Unicode lower-casing, not only ASCII.
    assert!(equals(&string(false), &json!("ÉCOLE"), &json!("école")));
    assert!(equals(&string(false), &json!("ΑΒΓ"), &json!("αβγ")));
    assert!(!equals(&string(true), &json!("ÉCOLE"), &json!("école")));
}

#[test]
fn equals_date_times_as_instants() {
    let created = user_attr("meta", Some("created"));
    let z = json!("2011-05-13T04:42:34Z");
    assert!(equals(created, &z, &json!("2011-05-13T06:42:34+02:00")));
    assert!(equals(created, &z, &json!("2011-05-13T04:42:34.000Z")));
    assert!(equals(created, &json!("2011-05-13T04:42:34.5Z"), &json!("2011-05-13T04:42:34.500000+00:00")));
    assert!(!equals(created, &z, &json!("2011-05-13T04:42:34.001Z")));
    // As strings, these would differ; as a plain string attribute they do.
    assert!(!equals(&string(false), &z, &json!("2011-05-13T06:42:34+02:00")));
    // Not a dateTime: compared as exact text.
    assert!(equals(created, &json!("yesterday"), &json!("yesterday")));
    assert!(!equals(created, &json!("Yesterday"), &json!("yesterday")));
}

#[test]
fn equals_binary_is_exact_even_if_declared_case_insensitive() {
    assert!(!equals(&attr(AttributeType::Binary, false), &json!("QUJD"), &json!("qujd")));
    assert!(equals(&attr(AttributeType::Binary, false), &json!("QUJD"), &json!("QUJD")));
    assert!(!equals(user_attr("x509Certificates", Some("value")), &json!("QUJD"), &json!("QUJd")));
}

#[test]
fn equals_numbers_booleans_and_type_mismatches() {
    let int = attr(AttributeType::Integer, false);
    let dec = attr(AttributeType::Decimal, false);
    assert!(equals(&int, &json!(1), &json!(1.0)));
    assert!(equals(&dec, &json!(-2.50), &json!(-2.5)));
    assert!(equals(&int, &json!(u64::MAX), &json!(u64::MAX)));
    assert!(!equals(&int, &json!(u64::MAX), &json!(u64::MAX - 1)), "exact beyond f64 precision");
    assert!(!equals(&int, &json!(i64::MAX), &json!(i64::MAX - 1)));
    assert!(!equals(&int, &json!(-1), &json!(u64::MAX)));
    let boolean = attr(AttributeType::Boolean, false);
    assert!(equals(&boolean, &json!(true), &json!(true)));
    assert!(!equals(&boolean, &json!(true), &json!(false)));
    let mismatches = json!([["1", 1], ["true", true], [0, false], [null, ""], [["a"], "a"], [{"value": "a"}, "a"]]);
    for pair in mismatches.as_array().unwrap() {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(!equals(&string(false), a, b) && !equals(&string(false), b, a), "{a} vs {b}");
    }
}

#[test]
fn equals_complex_by_sub_attribute() {
    let emails = user_attr("emails", None);
    let a = json!({"value": "Bjensen@Example.com", "type": "work", "display": null});
    let b = json!({"VALUE": "bjensen@example.com", "Type": "Work", "primary": null});
    assert!(equals(emails, &a, &b), "case-insensitive keys and values; unassigned ignored");
    assert!(!equals(emails, &a, &json!({"value": "bjensen@example.com", "type": "home"})));
    assert!(!equals(emails, &a, &json!({"value": "bjensen@example.com"})), "a present sub-attribute is missing");
    assert!(!equals(emails, &a, &json!({"value": "bjensen@example.com", "type": "work", "primary": true})));
    // Sub-attribute characteristics apply: groups.value is caseExact.
    let groups = user_attr("groups", None);
    assert!(!equals(groups, &json!({"value": "Abc"}), &json!({"value": "abc"})));
    assert!(equals(groups, &json!({"value": "abc", "display": "X"}), &json!({"value": "abc", "display": "x"})));
    // Unknown sub-attributes compare as case-insensitive strings.
    assert!(equals(emails, &json!({"value": "a", "foo": "B"}), &json!({"value": "a", "FOO": "b"})));
}

#[test]
fn equals_arrays_as_sets() {
    let s = string(false);
    assert!(equals(&s, &json!(["a", "b"]), &json!(["B", "A", "a"])));
    assert!(!equals(&s, &json!(["a"]), &json!(["a", "c"])));
    assert!(!equals(&string(true), &json!(["a", "b"]), &json!(["A", "b"])));
    let emails = user_attr("emails", None);
    assert!(equals(
        emails,
        &json!([{"value": "x@y", "type": "work"}, {"value": "z@y"}]),
        &json!([{"value": "Z@Y"}, {"type": "Work", "value": "x@y"}])
    ));
    assert!(equals(&s, &json!([]), &json!([])));
}

// ---------------------------------------------------------------- order

#[test]
fn order_strings_by_code_point() {
    assert_eq!(order(&string(false), &json!("a"), &json!("B")), Some(Ordering::Less));
    assert_eq!(order(&string(true), &json!("a"), &json!("B")), Some(Ordering::Greater));
    assert_eq!(order(&string(false), &json!("ABC"), &json!("abc")), Some(Ordering::Equal));
    assert_eq!(order(&string(true), &json!("ABC"), &json!("abc")), Some(Ordering::Less));
    // Code points, not a locale collation: é (U+00E9) sorts after z.
    assert_eq!(order(&string(false), &json!("é"), &json!("z")), Some(Ordering::Greater));
    assert_eq!(order(&attr(AttributeType::Reference, true), &json!("b"), &json!("a")), Some(Ordering::Greater));
}

#[test]
fn order_date_times_chronologically() {
    let created = user_attr("meta", Some("created"));
    let (four_z, five_z) = (json!("2011-05-13T04:42:34Z"), json!("2011-05-13T03:00:00-02:00"));
    assert_eq!(order(&string(true), &four_z, &five_z), Some(Ordering::Greater), "text order");
    assert_eq!(order(created, &four_z, &five_z), Some(Ordering::Less), "time order");
    assert_eq!(order(created, &json!("2011-05-13T04:42:34.1Z"), &four_z), Some(Ordering::Greater));
    assert_eq!(order(created, &four_z, &json!("2011-05-13T06:42:34+02:00")), Some(Ordering::Equal));
    // Unparseable: as strings.
    assert_eq!(order(created, &json!("b"), &json!("a")), Some(Ordering::Greater));
}

#[test]
fn order_numbers() {
    let int = attr(AttributeType::Integer, false);
    let dec = attr(AttributeType::Decimal, false);
    assert_eq!(order(&int, &json!(2), &json!(10)), Some(Ordering::Less));
    assert_eq!(order(&dec, &json!(1), &json!(1.5)), Some(Ordering::Less));
    assert_eq!(order(&dec, &json!(2), &json!(1.5)), Some(Ordering::Greater));
    assert_eq!(order(&dec, &json!(-0.5), &json!(-1)), Some(Ordering::Greater));
    assert_eq!(order(&int, &json!(-1), &json!(u64::MAX)), Some(Ordering::Less));
    assert_eq!(order(&int, &json!(u64::MAX), &json!(i64::MIN)), Some(Ordering::Greater));
    assert_eq!(order(&int, &json!(u64::MAX - 1), &json!(u64::MAX)), Some(Ordering::Less));
    assert_eq!(order(&int, &json!(i64::MAX), &json!(u64::MAX)), Some(Ordering::Less));
    assert_eq!(order(&dec, &json!(3), &json!(3.0)), Some(Ordering::Equal));
}

#[test]
fn order_none_where_unordered() {
    use AttributeType as T;
    let pairs =
        json!([[true, false], ["QUJD", "REVG"], [{"a": 1}, {"a": 2}], ["1", "2"], [1, 2], ["a", 1], [null, null]]);
    let types = [T::Boolean, T::Binary, T::Complex, T::Integer, T::DateTime, T::String, T::String];
    for (ty, pair) in types.into_iter().zip(pairs.as_array().unwrap()) {
        assert_eq!(order(&attr(ty, false), &pair[0], &pair[1]), None, "{ty}: {pair}");
    }
    assert_eq!(order(&string(false), &json!(["a"]), &json!(["b"])), None);
}

// ---------------------------------------------------------------- substring, is_present, fits_type

#[test]
fn substring_operators() {
    use Substring::*;
    let (ci, cs) = (string(false), string(true));
    let h = json!("Barbara Jensen");
    for (op, needle) in [(Contains, "ARA J"), (StartsWith, "bar"), (EndsWith, "SEN")] {
        assert!(substring(&ci, op, &h, &json!(needle)), "{op:?} {needle}");
        assert!(!substring(&cs, op, &h, &json!(needle)), "{op:?} {needle} caseExact");
    }
    assert!(substring(&cs, StartsWith, &h, &json!("Barb")));
    assert!(substring(&cs, EndsWith, &h, &json!("Jensen")));
    assert!(!substring(&ci, StartsWith, &h, &json!("Jensen")));
    assert!(!substring(&ci, EndsWith, &h, &json!("Barbara")));
    assert!(substring(&ci, Contains, &h, &json!("")));
    assert!(substring(&ci, Contains, &json!("ÉCOLE"), &json!("éc")));
    assert!(!substring(&attr(AttributeType::Binary, false), Contains, &json!("QUJD"), &json!("uj")));
    assert!(!substring(&ci, Contains, &json!(123), &json!("2")));
    assert!(!substring(&ci, Contains, &json!("123"), &json!(2)));
    assert!(!substring(&ci, StartsWith, &json!(true), &json!("t")));
    assert!(!substring(&ci, Contains, &json!(["abc"]), &json!("b")));
}

#[test]
fn is_present_cases() {
    for absent in
        [json!(null), json!(""), json!([]), json!([null, ""]), json!({}), json!({"a": null}), json!({"a": []})]
    {
        assert!(!is_present(&absent), "{absent}");
    }
    for present in [json!({"a": "x"}), json!(false), json!(0), json!(" "), json!([null, "x"]), json!([{}, {"a": 1}])] {
        assert!(is_present(&present), "{present}");
    }
}

#[test]
fn fits_type_per_type() {
    use AttributeType as T;
    let table = [
        (T::String, json!(["x", ""]), json!([1, null, ["x"], {}])),
        (T::Reference, json!(["https://e/x"]), json!([null, 1])),
        (T::Binary, json!(["QUJD"]), json!([true, 1])),
        (T::DateTime, json!(["2011-05-13T04:42:34Z"]), json!(["2011-05-13", "2023-02-29T00:00:00Z", 1_305_261_754])),
        (T::Boolean, json!([false, true]), json!(["true", 0, null])),
        (T::Integer, json!([-3, 0, u64::MAX]), json!([1.5, "1", true])),
        (T::Decimal, json!([1, 1.5, -2]), json!(["1.5", null])),
        (T::Complex, json!([{}, {"a": 1}]), json!([[{}], "x", null])),
    ];
    for (ty, yes, no) in table {
        for v in yes.as_array().unwrap() {
            assert!(fits_type(ty, v), "{ty} should accept {v}");
        }
        for v in no.as_array().unwrap() {
            assert!(!fits_type(ty, v), "{ty} should reject {v}");
        }
    }
}

// ---------------------------------------------------------------- DateTime

#[test]
fn datetime_leap_years() {
    for ok in ["2000-02-29T00:00:00Z", "1600-02-29T00:00:00Z", "2024-02-29T12:00:00Z", "-0004-02-29T00:00:00Z"] {
        assert!(DateTime::parse(ok).is_some(), "{ok}");
    }
    for bad in ["1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "-0001-02-29T00:00:00Z"] {
        assert_eq!(DateTime::parse(bad), None, "{bad}");
    }
    assert_eq!(dt("1900-02-28T00:00:00Z").to_string(), "1900-02-28T00:00:00Z");
    assert_eq!(dt("1900-02-28T23:00:00-01:00").to_string(), "1900-03-01T00:00:00Z");
    assert_eq!(dt("2000-02-28T23:00:00-01:00").to_string(), "2000-02-29T00:00:00Z");
    assert_eq!(DateTime::parse("2024-04-31T00:00:00Z"), None);
}

#[test]
fn datetime_negative_and_long_years() {
    for s in ["-0001-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "-0400-03-01T00:00:00Z", "10000-01-01T00:00:00Z"] {
        assert_eq!(dt(s).to_string(), s);
    }
    assert!(dt("-0001-12-31T23:59:59Z") < dt("0000-01-01T00:00:00Z"));
    assert!(dt("-0002-01-01T00:00:00Z") < dt("-0001-01-01T00:00:00Z"));
    assert!(dt("9999-12-31T23:59:59Z") < dt("10000-01-01T00:00:00Z"));
    assert_eq!(dt("0000-01-01T00:00:00+01:00").to_string(), "-0001-12-31T23:00:00Z");
    assert_eq!(DateTime::parse("-001-01-01T00:00:00Z"), None);
    assert_eq!(DateTime::parse("1234567890-01-01T00:00:00Z"), None);
}

#[test]
fn datetime_fractions() {
    assert_eq!(dt("2024-01-01T00:00:00.1234567899Z").to_string(), "2024-01-01T00:00:00.123456789Z");
    assert_eq!(dt("2024-01-01T00:00:00.1234567899Z"), dt("2024-01-01T00:00:00.123456789Z"));
    assert_eq!(dt("2024-01-01T00:00:00.0000000009Z"), dt("2024-01-01T00:00:00Z"), "truncated, not rounded");
    assert_eq!(dt("2024-01-01T00:00:00.000001Z").to_string(), "2024-01-01T00:00:00.000001Z");
    assert_eq!(dt("2024-01-01T00:00:00.10Z").to_string(), "2024-01-01T00:00:00.1Z");
    let before_epoch = dt("1969-12-31T23:59:59.5Z");
    assert!(before_epoch < dt("1970-01-01T00:00:00Z"));
    assert!(before_epoch > dt("1969-12-31T23:59:59Z"));
    assert_eq!(before_epoch.to_string(), "1969-12-31T23:59:59.5Z");
}

#[test]
fn datetime_offset_bounds() {
    assert_eq!(dt("2024-01-01T00:00:00+14:00").to_string(), "2023-12-31T10:00:00Z");
    assert_eq!(dt("2024-01-01T00:00:00-14:00").to_string(), "2024-01-01T14:00:00Z");
    assert_eq!(dt("2024-01-01T00:00:00+13:59").to_string(), "2023-12-31T10:01:00Z");
    assert_eq!(dt("2024-01-01T00:00:00-00:00"), dt("2024-01-01T00:00:00Z"));
    for bad in ["+14:01", "-14:01", "+15:00", "+00:60", "+0100", "+01", "Z+01:00", "ZZ"] {
        let s = format!("2024-01-01T00:00:00{bad}");
        assert_eq!(DateTime::parse(&s), None, "{s}");
    }
}

// ---------------------------------------------------------------- canonicalize

fn canon(resource: &Value) -> Value {
    canonicalize(resource, ResourceSchema::user(), &CanonicalOptions::default())
}

#[test]
fn canonical_names_take_schema_spelling() {
    let ext_key = ENTERPRISE_USER.to_uppercase();
    let got = canon(&json!({
        "USERNAME": "bjensen",
        "Name": {"GIVENNAME": "Barbara"},
        ext_key: {"DEPARTMENT": "Tour", "Manager": {"VALUE": "26118915"}},
        "ID": "2819c223",
    }));
    let expected = json!({
        "id": "2819c223",
        "name": {"givenName": "Barbara"},
        ENTERPRISE_USER: {"department": "Tour", "manager": {"value": "26118915"}},
        "userName": "bjensen",
    });
    assert_eq!(got, expected);
    // Keys come out sorted.
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "name", ENTERPRISE_USER, "userName"]);
}

#[test]
fn canonical_drops_unassigned_values() {
    let got = canon(&json!({
        "userName": "bjensen",
        "title": null,
        "emails": [],
        "phoneNumbers": [null, {}],
        "name": {},
        "addresses": [{"type": null, "primary": false}],
        ENTERPRISE_USER: {"department": null},
        "meta": {"version": null},
    }));
    assert_eq!(got, json!({"userName": "bjensen"}));
}

#[test]
fn canonical_keeps_empty_strings() {
    // `""` is a value in a representation (PATCH in rfc mode stores it); only null, [] and {} are dropped.
    let got = canon(
        &json!({"userName": "bjensen", "nickName": "", "name": {"givenName": "", "x": null}, "emails": [{"value": ""}, {}]}),
    );
    assert_eq!(
        got,
        json!({"emails": [{"value": ""}], "name": {"givenName": ""}, "nickName": "", "userName": "bjensen"})
    );
    assert_ne!(got, canon(&json!({"userName": "bjensen"})));
}

#[test]
fn canonical_multi_valued_are_sorted_sets() {
    let got = canon(&json!({
        "emails": [
            {"value": "b@x", "type": "work"},
            {"type": "home", "value": "a@x"},
            {"VALUE": "b@x", "Type": "work", "primary": false},
        ],
        "schemas": [USER, "urn:example:Other", USER],
    }));
    assert_eq!(
        got,
        json!({
            "emails": [{"type": "home", "value": "a@x"}, {"type": "work", "value": "b@x"}],
            "schemas": ["urn:example:Other", USER],
        })
    );
    // Order of input values does not matter.
    let a = canon(&json!({"emails": [{"value": "1@x"}, {"value": "2@x"}]}));
    let b = canon(&json!({"emails": [{"value": "2@x"}, {"value": "1@x"}]}));
    assert_eq!(a, b);
}

#[test]
fn canonical_primary_false_is_dropped_true_kept() {
    let got = canon(&json!({"emails": [{"value": "a@x", "primary": false}, {"value": "b@x", "primary": true}]}));
    assert_eq!(got, json!({"emails": [{"primary": true, "value": "b@x"}, {"value": "a@x"}]}));
    let got = canon(&json!({"addresses": [{"locality": "X", "primary": false}]}));
    assert_eq!(got, json!({"addresses": [{"locality": "X"}]}));
}

#[test]
fn canonical_date_times_in_utc() {
    let got =
        canon(&json!({"meta": {"created": "2011-05-13T06:42:34+02:00", "lastModified": "2011-05-13T04:42:34.0Z"}}));
    assert_eq!(got, json!({"meta": {"created": "2011-05-13T04:42:34Z", "lastModified": "2011-05-13T04:42:34Z"}}));
    // Not a dateTime: kept as written.
    assert_eq!(canon(&json!({"meta": {"created": "yesterday"}})), json!({"meta": {"created": "yesterday"}}));
}

#[test]
fn canonical_schemas_values_take_schema_spelling() {
    let got = canon(&json!({"SCHEMAS": [ENTERPRISE_USER.to_lowercase(), USER.to_uppercase(), USER]}));
    assert_eq!(got, json!({"schemas": [USER, ENTERPRISE_USER]}));
}

fn thing_schema() -> ResourceSchema {
    let mut schema = ResourceSchema::group().clone();
    schema.core.attributes = vec![
        Attribute::new("weight", AttributeType::Decimal),
        Attribute { multi_valued: true, ..Attribute::new("sizes", AttributeType::Decimal) },
    ];
    schema
}

#[test]
fn canonical_decimals() {
    let schema = thing_schema();
    let c = |v: Value| canonicalize(&v, &schema, &CanonicalOptions::default());
    assert_eq!(c(json!({"weight": 1})), c(json!({"weight": 1.0})));
    assert_eq!(c(json!({"weight": 2.50})), c(json!({"weight": 2.5})));
    assert_ne!(c(json!({"weight": 1})), c(json!({"weight": 1.5})));
    assert_eq!(c(json!({"sizes": [2, 1.0, 2.0]})), c(json!({"sizes": [1, 2]})));
    assert_eq!(c(json!({"sizes": [2, 1.0, 2.0]}))["sizes"].as_array().unwrap().len(), 2);
}

#[test]
fn canonical_ignoring_server_assigned() {
    let user = json!({"id": "1", "ID": "1", "meta": {"created": "2011-05-13T04:42:34Z"}, "userName": "b"});
    assert_eq!(
        canonicalize(&user, ResourceSchema::user(), &CanonicalOptions::ignoring_server_assigned()),
        json!({"userName": "b"})
    );
    assert_eq!(canon(&user)["id"], json!("1"), "kept by default");
    let opts = CanonicalOptions::ignoring_server_assigned().ignore(["userName"]);
    assert_eq!(opts.ignore, ["id", "meta", "userName"]);
    assert_eq!(canonicalize(&user, ResourceSchema::user(), &opts), json!({}));
}

#[test]
fn canonical_ignore_sub_attribute_and_urn_paths() {
    let group = json!({"displayName": "G", "members": [
        {"value": "1", "display": "Alice"}, {"value": "2", "Display": "Bob"}, {"display": "only"},
    ]});
    let opts = CanonicalOptions::default().ignore(["MEMBERS.display"]);
    assert_eq!(
        canonicalize(&group, ResourceSchema::group(), &opts),
        json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]})
    );
    // `displayName` names only the top-level attribute, not `members.display` nor the extension's sub.
    let opts = CanonicalOptions::default().ignore(["displayName"]);
    assert_eq!(canonicalize(&group, ResourceSchema::group(), &opts)["members"].as_array().unwrap().len(), 3);

    let user = json!({
        "userName": "b",
        "name": {"givenName": "B", "familyName": "J"},
        ENTERPRISE_USER: {"department": "D", "manager": {"value": "9", "displayName": "Boss"}},
    });
    let opts = CanonicalOptions::default()
        .ignore([format!("{ENTERPRISE_USER}:manager.displayName"), "name.familyName".to_string()]);
    assert_eq!(
        canonicalize(&user, ResourceSchema::user(), &opts),
        json!({"name": {"givenName": "B"}, ENTERPRISE_USER: {"department": "D", "manager": {"value": "9"}}, "userName": "b"})
    );
    // An extension-qualified path does not touch the core; a whole extension empties away.
    let opts = CanonicalOptions::default().ignore([
        format!("{ENTERPRISE_USER}:userName"),
        format!("{}:department", ENTERPRISE_USER.to_lowercase()),
        format!("{ENTERPRISE_USER}:manager"),
    ]);
    assert_eq!(canonicalize(&user, ResourceSchema::user(), &opts), json!({"name": user["name"], "userName": "b"}));
}

#[test]
fn canonical_ignore_core_urn_qualified_path() {
    let opts = CanonicalOptions::default().ignore([format!("{USER}:title"), format!("{USER}:name.givenName")]);
    let got = canonicalize(
        &json!({"userName": "b", "title": "T", "name": {"givenName": "B"}}),
        ResourceSchema::user(),
        &opts,
    );
    assert_eq!(got, json!({"userName": "b"}));
}

#[test]
fn canonical_keeps_unknown_attributes() {
    let got = canon(
        &json!({"userName": "b", "FavouriteColour": {"z": 1, "a": null, "b": [null, "x"]}, "urn:example:Ext": {"k": "v"}}),
    );
    assert_eq!(got, json!({"FavouriteColour": {"b": ["x"], "z": 1}, "urn:example:Ext": {"k": "v"}, "userName": "b"}));
    assert_ne!(got, canon(&json!({"userName": "b", "FavouriteColour": {"z": 2}, "urn:example:Ext": {"k": "v"}})));
    assert_eq!(canon(&json!("not an object")), json!("not an object"));
}

#[test]
fn canonical_equates_two_spellings_of_one_user() {
    let a = json!({
        "schemas": [USER, ENTERPRISE_USER],
        "id": "2819c223", "userName": "bjensen", "active": true, "nickName": null,
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home", "primary": false}],
        ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "26118915"}},
        "meta": {"created": "2010-01-23T04:56:22Z", "resourceType": "User"},
    });
    let b = json!({
        "Schemas": [ENTERPRISE_USER.to_lowercase(), USER],
        "ID": "2819c223", "USERNAME": "bjensen", "Active": true, "phoneNumbers": [],
        "NAME": {"GivenName": "Barbara", "FAMILYNAME": "Jensen", "middleName": null},
        "emails": [{"type": "home", "value": "babs@jensen.org"},
                   {"Primary": true, "TYPE": "work", "value": "bjensen@example.com"}],
        ENTERPRISE_USER.to_uppercase(): {"Manager": {"VALUE": "26118915", "$ref": null}, "EMPLOYEENUMBER": "701984"},
        "meta": {"resourceType": "User", "created": "2010-01-22T23:56:22-05:00"},
    });
    assert_eq!(canon(&a), canon(&b), "{:?}", diff(&canon(&a), &canon(&b)));
    let mut c = b.clone();
    c["emails"][0]["type"] = json!("other");
    assert_ne!(canon(&a), canon(&c));
    let mut d = b.clone();
    d["externalId"] = json!("x");
    assert_ne!(canon(&a), canon(&d));
    // caseExact values keep their case.
    assert_ne!(canon(&json!({"externalId": "ABC", "id": "1"})), canon(&json!({"externalId": "abc", "id": "1"})));
    assert_ne!(canon(&json!({"id": "ABC"})), canon(&json!({"id": "abc"})));
}

#[test]
fn canonical_folds_case_of_case_insensitive_values_when_asked() {
    let folded = CanonicalOptions { fold_case: true, ..CanonicalOptions::default() };
    let with = |v: &Value, o: &CanonicalOptions| canonicalize(v, ResourceSchema::user(), o);
    let a = json!({"userName": "BJensen", "emails": [{"value": "B@Example.com", "type": "Work"}], "externalId": "AB"});
    let b = json!({"userName": "bjensen", "emails": [{"value": "b@example.com", "type": "work"}], "externalId": "AB"});
    assert_eq!(with(&a, &folded), with(&b, &folded));
    assert_ne!(
        with(&a, &CanonicalOptions::default()),
        with(&b, &CanonicalOptions::default()),
        "values keep their case by default"
    );
    let c = json!({"userName": "bjensen", "emails": [{"value": "b@example.com", "type": "work"}], "externalId": "ab"});
    assert_ne!(with(&b, &folded), with(&c, &folded), "caseExact values are never folded");
}

// ---------------------------------------------------------------- diff

#[test]
fn diff_reports_added_removed_and_changed() {
    let left = json!({"a": 1, "b": {"c": 2, "same": true}, "d": [1, 2], "e": [{"v": "x"}]});
    let right = json!({"b": {"c": 3, "same": true}, "d": [1, 2, 3], "e": [{"v": "y"}], "f": "new"});
    assert_eq!(
        diff(&left, &right),
        ["a: 1 → (absent)", "b.c: 2 → 3", "d: [1,2] → [1,2,3]", "e[0].v: \"x\" → \"y\"", "f: (absent) → \"new\""]
    );
    assert!(diff(&left, &left).is_empty());
    assert_eq!(diff(&json!(1), &json!(2)), ["(root): 1 → 2"]);
    assert_eq!(diff(&json!({"a": 1}), &json!([1])), ["(root): {\"a\":1} → [1]"]);
}

#[test]
fn diff_of_canonical_forms_names_the_difference() {
    let a = canon(&json!({"userName": "b", "name": {"givenName": "B"}, GROUP: {"x": 1}}));
    let b = canon(&json!({"userName": "b", "name": {"givenName": "C"}}));
    assert_eq!(diff(&a, &b), ["name.givenName: \"B\" → \"C\"", format!("{GROUP}: {{\"x\":1}} → (absent)").as_str()]);
}
