//! proptest strategies for the property tests: filter trees (schema-free, for the printer), typed
//! filters over the User schema and users to evaluate them on (for the evaluator laws), groups and
//! PATCH operations.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use scimtest::filter::{AttrPath, Case, CompValue, CompareOp, Filter, Spelling, Test};
use serde_json::{Value, json};

/// `cases` cases, unless PROPTEST_CASES asks for another number (for a longer local run).
pub fn config(cases: u32) -> proptest::test_runner::Config {
    let default = proptest::test_runner::Config::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        default
    } else {
        proptest::test_runner::Config { cases, ..default }
    }
}

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// ----- schema-free trees, for printing and parsing ----------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec!["userName", "emails", "name", "value", "type", "not", "and", "or", "pr", "eq", "true", "$ref"])
            .prop_map(str::to_string),
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
    ]
}

fn attr_path(with_sub: bool) -> impl Strategy<Value = AttrPath> {
    let uri = proptest::option::of(select(vec![
        CORE_USER,
        ENTERPRISE,
        "urn:x:y",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    ]));
    let sub = if with_sub { proptest::option::of(name()).boxed() } else { Just(None).boxed() };
    (uri, name(), sub).prop_map(|(uri, name, sub_attr)| AttrPath { uri: uri.map(str::to_string), name, sub_attr })
}

fn number() -> impl Strategy<Value = serde_json::Number> {
    prop_oneof![
        any::<i64>().prop_map(serde_json::Number::from),
        any::<u64>().prop_map(serde_json::Number::from),
        any::<f64>().prop_filter_map("finite", serde_json::Number::from_f64),
    ]
}

pub fn comp_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        number().prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::String),
        "[\"\\\\ a-z\\]\\)\\(é日]{0,6}".prop_map(CompValue::String),
    ]
}

fn test_strategy() -> impl Strategy<Value = Test> {
    prop_oneof![
        1 => Just(Test::Present),
        6 => (select(CompareOp::ALL.to_vec()), comp_value()).prop_map(|(op, v)| Test::Compare(op, v)),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    (attr_path(true), test_strategy()).prop_map(|(path, test)| Filter::Attr { path, test })
}

/// Trees without value paths (what may stand inside brackets).
fn plain_tree() -> impl Strategy<Value = Filter> {
    scimtest::generate::combined(leaf(), 3, 16, 3)
}

/// Any filter tree the grammar can express (compat dialect).
pub fn tree() -> impl Strategy<Value = Filter> {
    let value_path = (attr_path(false), plain_tree(), proptest::option::of((name(), test_strategy())))
        .prop_map(|(attr, f, sub)| Filter::ValuePath { attr, filter: Box::new(f), sub });
    scimtest::generate::combined(prop_oneof![3 => leaf(), 1 => value_path], 3, 24, 3)
}

pub fn spelling() -> impl Strategy<Value = Spelling> {
    let case = || select(vec![Case::AsIs, Case::Lower, Case::Upper, Case::Title, Case::Alternating]);
    (case(), case(), any::<bool>(), any::<bool>(), any::<bool>(), 1usize..4).prop_map(
        |(keyword_case, name_case, qualify, extra_parentheses, tight_not, spaces)| Spelling {
            keyword_case,
            name_case,
            qualify_with: qualify.then(|| CORE_USER.to_string()),
            extra_parentheses,
            tight_not,
            spaces,
        },
    )
}

// ----- typed filters over the User schema --------------------------------------------------------

fn s(v: &str) -> CompValue {
    CompValue::String(v.to_string())
}

use scimtest::generate::path;

const STRING_OPS: [CompareOp; 9] = CompareOp::ALL;
const EQUALITY_OPS: [CompareOp; 2] = [CompareOp::Eq, CompareOp::Ne];
const ORDER_OPS: [CompareOp; 6] =
    [CompareOp::Eq, CompareOp::Ne, CompareOp::Gt, CompareOp::Ge, CompareOp::Lt, CompareOp::Le];

const USER_NAMES: [&str; 6] = ["alice", "Alice", "ALICE", "bob", "bo", "carol"];
const EMAILS: [&str; 4] = ["a@x.com", "A@X.com", "b@y.org", "c@x.com"];
const TYPES: [&str; 3] = ["work", "home", "Work"];
const DATES: [&str; 4] =
    ["2011-05-13T04:42:34Z", "2011-05-13T06:42:34+02:00", "2011-05-13T04:42:35Z", "2020-01-01T00:00:00Z"];
const TITLES: [&str; 3] = ["Tour Guide", "tour", ""];
const IDS: [&str; 3] = ["X1", "x1", "y2"];

fn typed_compare(
    paths: &'static [&'static str],
    ops: &'static [CompareOp],
    values: &'static [&'static str],
) -> BoxedStrategy<Filter> {
    (select(paths), select(ops), select(values)).prop_map(|(p, op, v)| Filter::compare(path(p), op, s(v))).boxed()
}

fn typed_leaf() -> BoxedStrategy<Filter> {
    prop_oneof![
        typed_compare(&["userName", "urn:ietf:params:scim:schemas:core:2.0:User:userName"], &STRING_OPS, &USER_NAMES),
        typed_compare(&["title"], &STRING_OPS, &TITLES),
        typed_compare(&["externalId"], &STRING_OPS, &IDS),
        typed_compare(&["emails", "emails.value"], &STRING_OPS, &EMAILS),
        typed_compare(&["emails.type"], &EQUALITY_OPS, &TYPES),
        typed_compare(&["meta.lastModified"], &ORDER_OPS, &DATES),
        typed_compare(
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            &STRING_OPS,
            &["R&D", "r&d", "Sales"]
        ),
        typed_compare(&["x509Certificates.value"], &EQUALITY_OPS, &["TUlJ", "tulj"]),
        (select(&["active", "emails.primary"][..]), select(&EQUALITY_OPS[..]), any::<bool>())
            .prop_map(|(p, op, b)| Filter::compare(path(p), op, CompValue::Bool(b))),
        select(
            &[
                "title",
                "active",
                "emails",
                "name",
                "name.givenName",
                "externalId",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ][..]
        )
        .prop_map(|p| Filter::present(path(p))),
        (select(&["userName", "title"][..]), any::<bool>()).prop_map(|(p, eq)| Filter::compare(
            path(p),
            if eq { CompareOp::Eq } else { CompareOp::Ne },
            CompValue::Null
        )),
    ]
    .boxed()
}

fn email_inner() -> BoxedStrategy<Filter> {
    let leaf = prop_oneof![
        typed_compare(&["type"], &EQUALITY_OPS, &TYPES),
        typed_compare(&["value"], &STRING_OPS, &EMAILS),
        any::<bool>().prop_map(|b| Filter::compare(path("primary"), CompareOp::Eq, CompValue::Bool(b))),
        Just(Filter::present(path("primary"))),
    ];
    scimtest::generate::combined(leaf, 2, 6, 2)
}

/// Filters that check against the User schema in the compat dialect.
pub fn user_filter() -> BoxedStrategy<Filter> {
    let value_path = (email_inner(), proptest::option::of((select(&EQUALITY_OPS[..]), select(&EMAILS[..])))).prop_map(
        |(inner, sub)| Filter::ValuePath {
            attr: path("emails"),
            filter: Box::new(inner),
            sub: sub.map(|(op, v)| ("value".to_string(), Test::Compare(op, s(v)))),
        },
    );
    scimtest::generate::combined(prop_oneof![4 => typed_leaf(), 1 => value_path], 3, 16, 3)
}

fn email() -> impl Strategy<Value = Value> {
    (select(&EMAILS[..]), proptest::option::of(select(&TYPES[..])), proptest::option::of(any::<bool>())).prop_map(
        |(v, t, p)| {
            let mut e = json!({ "value": v });
            if let Some(t) = t {
                e["type"] = json!(t);
            }
            if let Some(p) = p {
                e["primary"] = json!(p);
            }
            e
        },
    )
}

/// A title that is absent, null, empty or set.
fn title() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![Just(None), Just(Some(Value::Null)), select(&TITLES[..]).prop_map(|t| Some(json!(t)))]
}

/// Users over small value pools, so that generated filters often match.
pub fn user() -> impl Strategy<Value = Value> {
    (
        select(&USER_NAMES[..]),
        title(),
        proptest::option::of(any::<bool>()),
        vec(email(), 0..4),
        proptest::option::of(select(&IDS[..])),
        select(&DATES[..]),
        proptest::option::of(select(&["R&D", "Sales"][..])),
        proptest::option::of(select(&["TUlJ", "dGVzdA=="][..])),
        proptest::option::of(select(&["Babs", "babs"][..])),
    )
        .prop_map(|(user_name, title, active, emails, external_id, modified, department, cert, given)| {
            let mut u = json!({
                "schemas": [CORE_USER],
                "id": format!("id-{user_name}"),
                "userName": user_name,
                "meta": { "resourceType": "User", "lastModified": modified },
            });
            if let Some(t) = title {
                u["title"] = t;
            }
            if let Some(a) = active {
                u["active"] = json!(a);
            }
            if !emails.is_empty() {
                u["emails"] = Value::Array(emails);
            }
            if let Some(x) = external_id {
                u["externalId"] = json!(x);
            }
            if let Some(d) = department {
                u["schemas"] = json!([CORE_USER, ENTERPRISE]);
                u[ENTERPRISE] = json!({ "department": d });
            }
            if let Some(c) = cert {
                u["x509Certificates"] = json!([{ "value": c }]);
            }
            if let Some(g) = given {
                u["name"] = json!({ "givenName": g });
            }
            u
        })
}

/// A group whose members are distinct ids from `m0` … `m9`.
pub fn group() -> impl Strategy<Value = Value> {
    proptest::sample::subsequence((0..10).collect::<Vec<_>>(), 0..6).prop_map(|ids| {
        let members: Vec<Value> = ids.iter().map(|i| json!({ "value": format!("m{i}"), "type": "User" })).collect();
        let mut g = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "Tour Guides",
            "meta": { "resourceType": "Group" },
        });
        if !members.is_empty() {
            g["members"] = Value::Array(members);
        }
        g
    })
}

/// `replace` operations a User accepts (in every mode).
pub fn user_replace() -> impl Strategy<Value = Value> {
    prop_oneof![
        select(&USER_NAMES[..]).prop_map(|v| json!({ "op": "replace", "path": "userName", "value": v })),
        title().prop_map(|t| json!({ "op": "replace", "path": "title", "value": t.unwrap_or(Value::Null) })),
        any::<bool>().prop_map(|b| json!({ "op": "replace", "path": "active", "value": b })),
        select(&["Babs", "Jim"][..]).prop_map(|g| json!({ "op": "replace", "path": "name.givenName", "value": g })),
        select(&["Babs", "Jim"][..])
            .prop_map(|g| json!({ "op": "replace", "path": "name", "value": { "givenName": g, "familyName": "J" } })),
        vec(email(), 0..3).prop_map(|e| json!({ "op": "replace", "path": "emails", "value": e })),
        Just(json!({ "op": "replace", "path": "emails[value eq \"a@x.com\"].type", "value": "other" })),
        select(&["R&D", "Sales"][..])
            .prop_map(|d| json!({ "op": "replace", "path": format!("{ENTERPRISE}:department"), "value": d })),
        (select(&TITLES[..]), any::<bool>())
            .prop_map(|(t, a)| json!({ "op": "replace", "value": { "title": t, "active": a } })),
    ]
}

/// Operations every mode rejects, with the scimType each earns.
pub fn bad_operation() -> impl Strategy<Value = (Value, &'static str)> {
    prop_oneof![
        Just((json!({ "op": "remove" }), "noTarget")),
        Just((json!({ "op": "replace", "path": "id", "value": "other" }), "mutability")),
        Just((json!({ "op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z" }), "mutability")),
        Just((json!({ "op": "add", "path": "emails[type eq \"work\"", "value": "x" }), "invalidPath")),
        Just((json!({ "op": "add", "path": "nosuchattribute", "value": "x" }), "invalidPath")),
        Just((json!({ "op": "replace", "path": "active", "value": [1, 2] }), "invalidValue")),
        Just((
            json!({ "op": "replace", "path": "emails", "value": [{ "value": "a@x.com", "nosuch": 1 }] }),
            "invalidValue"
        )),
        Just((json!({ "op": "remove", "path": "userName" }), "mutability")),
    ]
}

/// Filter-like soup: tokens of the grammar in random order and case.
pub fn filter_soup() -> impl Strategy<Value = String> {
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

/// Arbitrary JSON, biased towards the names and values a SCIM server reads (PatchOp and resource keys).
pub fn json_value() -> impl Strategy<Value = Value> {
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
            "True",
            "POST",
            "PATCH",
            "DELETE",
            "/Users",
            "/Groups/bulkId:g",
            "bulkId:u",
            "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
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
            // Bulk and search requests.
            "method",
            "bulkId",
            "data",
            "version",
            "failOnErrors",
            "displayName",
            "$ref",
            "filter",
            "count",
            "startIndex",
            "attributes",
            "sortBy",
        ]);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((key, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}
