//! Generated inputs (proptest strategies): a population of users with adversarial but valid values,
//! filters over their attributes with every operator and both spellings, and PATCH operation sequences
//! in the shapes the profiles send. The runner checks a server's answers against the core's own
//! evaluation of the same input, and proptest shrinks a disagreement to a minimal counterexample.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use crate::filter::{AttrPath, CompValue, CompareOp, Filter, Test};
use crate::patch::PATCH_OP;
use crate::schema::{ENTERPRISE_USER, USER};
use crate::value::DateTime;

/// Words for string values: case variants of one word, shared prefixes and suffixes, quotes,
/// backslashes, non-ASCII, and the empty string.
const WORDS: [&str; 12] =
    ["alice", "Alice", "ALICE", "alicia", "bob", "Bob Smith", "o'brien", "zoë", "a\"quote", "back\\slash", "日本", ""];
const DOMAINS: [&str; 3] = ["example.com", "EXAMPLE.com", "example.org"];
/// `emails.type` values when the schema declares no `canonicalValues` for it: case variants included.
const TYPES: [&str; 4] = ["work", "home", "other", "Work"];
/// `phoneNumbers.type` values when the schema declares no `canonicalValues` for it.
const PHONE_TYPES: [&str; 4] = ["work", "mobile", "home", "Mobile"];
const PHONES: [&str; 3] = ["+1 425 555 0100", "+44 20 7946 0000", "+1-201-555-0123"];
/// The typed entries Entra ID writes: `emails[type eq "work"].value` and `phoneNumbers[type eq "…"].value`
/// (E-CU, E-UU, E-Q22).
const ENTRA_EMAIL_TYPES: [&str; 1] = ["work"];
const ENTRA_PHONE_TYPES: [&str; 2] = ["work", "mobile"];
const DEPARTMENTS: [&str; 3] = ["R&D", "r&d", "Sales"];
const EXTERNAL: [&str; 3] = ["X1", "x1", "x10"];
const DEPARTMENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

/// Every attribute path the generated users and PATCH operations may carry.
pub const USER_PATHS: [&str; 13] = [
    "title",
    "active",
    "displayName",
    "nickName",
    "externalId",
    "name.givenName",
    "name.familyName",
    "emails.value",
    "emails.type",
    "emails.primary",
    "phoneNumbers.value",
    "phoneNumbers.type",
    DEPARTMENT,
];

/// What the server's User schema lets generated users and PATCH operations carry, as plain data (the
/// runner builds it from the discovered schema). A path the schema does not declare is never sent; a
/// `type` is drawn from the schema's `canonicalValues` when it declares some (RFC 7643 §2.3.1: "service
/// providers MAY restrict accepted values to the specified values"), and from case variants otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserShape {
    /// The paths of [`USER_PATHS`] the schema declares (compared case-insensitively).
    pub paths: Vec<String>,
    /// Values for `emails.type`.
    pub email_types: Vec<String>,
    /// Values for `phoneNumbers.type`.
    pub phone_types: Vec<String>,
}

impl Default for UserShape {
    /// Every path, and case variants of the types: for a schema that restricts nothing.
    fn default() -> Self {
        UserShape::new(USER_PATHS, None, None)
    }
}

impl UserShape {
    /// The shape for the declared `paths` (of [`USER_PATHS`]; others are dropped) and the
    /// `canonicalValues` of `emails.type` and `phoneNumbers.type` (`None` or empty: none declared).
    pub fn new<'a>(
        paths: impl IntoIterator<Item = &'a str>,
        email_canonical: Option<&[String]>,
        phone_canonical: Option<&[String]>,
    ) -> Self {
        let paths: Vec<String> = paths
            .into_iter()
            .filter_map(|p| USER_PATHS.iter().find(|k| k.eq_ignore_ascii_case(p)))
            .map(|p| p.to_string())
            .collect();
        let types = |declared: Option<&[String]>, default: &[&str]| match declared {
            Some(values) if !values.is_empty() => values.to_vec(),
            _ => default.iter().map(|t| t.to_string()).collect(),
        };
        UserShape {
            paths,
            email_types: types(email_canonical, &TYPES),
            phone_types: types(phone_canonical, &PHONE_TYPES),
        }
    }

    /// Whether the schema declares `path` (one of [`USER_PATHS`]).
    pub fn has(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p.eq_ignore_ascii_case(path))
    }

    /// The declared ones of `paths`.
    fn only(&self, paths: &[&'static str]) -> Vec<&'static str> {
        paths.iter().copied().filter(|p| self.has(p)).collect()
    }

    /// `emails.type` values to send; none when the schema has no `emails.type`.
    fn email_types(&self) -> Vec<String> {
        if self.has("emails.type") { self.email_types.clone() } else { Vec::new() }
    }

    fn phone_types(&self) -> Vec<String> {
        if self.has("phoneNumbers.type") { self.phone_types.clone() } else { Vec::new() }
    }

    /// Paths a `remove` may name: the declared ones of `paths`, where `name` and `emails` stand for
    /// their sub-attributes.
    fn removable(&self, paths: &[&'static str]) -> Vec<&'static str> {
        paths
            .iter()
            .copied()
            .filter(|p| match *p {
                "name" => self.has("name.givenName") || self.has("name.familyName"),
                "emails" => self.has("emails.value"),
                p => self.has(p),
            })
            .collect()
    }
}

/// The ones of `wanted` that `allowed` holds exactly.
fn allowed_of(allowed: &[String], wanted: &[&str]) -> Vec<String> {
    wanted.iter().filter(|w| allowed.iter().any(|a| a == *w)).map(|w| w.to_string()).collect()
}

fn word() -> impl Strategy<Value = &'static str> {
    select(&WORDS[..])
}

/// `local@domain` from a word: its ASCII letters and digits, or `x`.
fn address(w: &str, domain: &str) -> String {
    let local: String = w.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("{}@{domain}", if local.is_empty() { "x" } else { &local })
}

/// An email with a `type` from `types` (none when empty) and, when `primary`, maybe a `primary` flag.
fn email(types: Vec<String>, primary: bool) -> BoxedStrategy<Value> {
    let ty = if types.is_empty() { Just(None).boxed() } else { select(types).prop_map(Some).boxed() };
    (word(), select(&DOMAINS[..]), ty, proptest::option::of(any::<bool>()))
        .prop_map(move |(w, d, t, p)| {
            let mut e = json!({ "value": address(w, d) });
            if let Some(t) = t {
                e["type"] = json!(t);
            }
            if let (true, Some(p)) = (primary, p) {
                e["primary"] = json!(p);
            }
            e
        })
        .boxed()
}

/// The emails of a user of `shape`: none when the schema has no `emails.value`.
fn emails(shape: &UserShape, len: std::ops::Range<usize>) -> BoxedStrategy<Vec<Value>> {
    if shape.has("emails.value") {
        vec(email(shape.email_types(), shape.has("emails.primary")), len).boxed()
    } else {
        Just(Vec::new()).boxed()
    }
}

/// `name` with the declared ones of `givenName` and `familyName` (`None` when neither is).
fn name_value(shape: &UserShape, given: &str, family: &str) -> Option<Value> {
    let mut name = serde_json::Map::new();
    if shape.has("name.givenName") {
        name.insert("givenName".into(), json!(given));
    }
    if shape.has("name.familyName") {
        name.insert("familyName".into(), json!(family));
    }
    (!name.is_empty()).then_some(Value::Object(name))
}

/// One user body of `shape`; `userName` is `<prefix>-u<i>-<word>`, unique whatever the word.
fn user(prefix: String, i: usize, shape: &UserShape) -> BoxedStrategy<Value> {
    let shape = shape.clone();
    (
        word(),
        proptest::option::of(word()),
        proptest::option::of(any::<bool>()),
        emails(&shape, 0..3),
        proptest::option::of(select(&EXTERNAL[..])),
        proptest::option::of(select(&DEPARTMENTS[..])),
        proptest::option::of((word(), word())),
        proptest::option::of(word()),
    )
        .prop_map(move |(w, title, active, mut emails, external, department, name, display)| {
            let mut u = json!({ "schemas": [USER], "userName": format!("{prefix}-u{i}-{w}") });
            if let Some(t) = title.filter(|_| shape.has("title")) {
                u["title"] = json!(t);
            }
            if let Some(a) = active.filter(|_| shape.has("active")) {
                u["active"] = json!(a);
            }
            // At most one primary value (RFC 7643 §2.4), as a correct client sends.
            let mut seen_primary = false;
            for e in emails.iter_mut() {
                if e.get("primary") == Some(&json!(true)) {
                    if seen_primary {
                        e["primary"] = json!(false);
                    }
                    seen_primary = true;
                }
            }
            if !emails.is_empty() {
                u["emails"] = Value::Array(emails);
            }
            if let Some(x) = external.filter(|_| shape.has("externalId")) {
                u["externalId"] = json!(x);
            }
            if let Some(d) = department.filter(|_| shape.has(DEPARTMENT)) {
                u["schemas"] = json!([USER, ENTERPRISE_USER]);
                u[ENTERPRISE_USER] = json!({ "department": d });
            }
            if let Some(n) = name.and_then(|(g, f)| name_value(&shape, g, f)) {
                u["name"] = n;
            }
            if let Some(d) = display.filter(|_| shape.has("displayName")) {
                u["displayName"] = json!(d);
            }
            u
        })
        .boxed()
}

/// A user as Entra ID creates it (E-CU): `active: true`, an `externalId`, `name`, at most one work email
/// (primary) and one phone of a type Entra writes, non-empty values; only what `shape` declares.
fn entra_user(prefix: String, shape: &UserShape) -> BoxedStrategy<Value> {
    let email_types = allowed_of(&shape.email_types(), &ENTRA_EMAIL_TYPES);
    let email = if shape.has("emails.value") && !email_types.is_empty() {
        let primary = shape.has("emails.primary");
        proptest::option::of((nonempty_word(), select(&DOMAINS[..]), select(email_types)))
            .prop_map(move |e| {
                e.map(|(w, d, t)| {
                    let mut e = json!({ "value": address(w, d), "type": t });
                    if primary {
                        e["primary"] = json!(true);
                    }
                    e
                })
            })
            .boxed()
    } else {
        Just(None).boxed()
    };
    let phone_types = allowed_of(&shape.phone_types(), &ENTRA_PHONE_TYPES);
    let phone = if shape.has("phoneNumbers.value") && !phone_types.is_empty() {
        proptest::option::of((select(&PHONES[..]), select(phone_types)))
            .prop_map(|p| p.map(|(v, t)| json!({ "value": v, "type": t })))
            .boxed()
    } else {
        Just(None).boxed()
    };
    let shape = shape.clone();
    (
        proptest::option::of(nonempty_word()),
        email,
        phone,
        select(&EXTERNAL[..]),
        proptest::option::of(select(&DEPARTMENTS[..])),
        (nonempty_word(), nonempty_word()),
        proptest::option::of(nonempty_word()),
    )
        .prop_map(move |(title, email, phone, external, department, (given, family), display)| {
            let mut u = json!({ "schemas": [USER], "userName": format!("{prefix}-u0") });
            if shape.has("active") {
                u["active"] = json!(true);
            }
            if shape.has("externalId") {
                u["externalId"] = json!(external);
            }
            if let Some(n) = name_value(&shape, given, family) {
                u["name"] = n;
            }
            if let Some(t) = title.filter(|_| shape.has("title")) {
                u["title"] = json!(t);
            }
            if let Some(d) = display.filter(|_| shape.has("displayName")) {
                u["displayName"] = json!(d);
            }
            if let Some(e) = email {
                u["emails"] = json!([e]);
            }
            if let Some(p) = phone {
                u["phoneNumbers"] = json!([p]);
            }
            if let Some(d) = department.filter(|_| shape.has(DEPARTMENT)) {
                u["schemas"] = json!([USER, ENTERPRISE_USER]);
                u[ENTERPRISE_USER] = json!({ "department": d });
            }
            u
        })
        .boxed()
}

/// `n` users of `shape` whose userNames start with `prefix`.
pub fn population(prefix: &str, n: usize, shape: &UserShape) -> BoxedStrategy<Vec<Value>> {
    let users: Vec<BoxedStrategy<Value>> = (0..n).map(|i| user(prefix.to_string(), i, shape)).collect();
    users.boxed()
}

/// An attribute path from its text (`name`, `name.sub`, `urn:…:name`), for generators and tests that
/// spell paths literally; it does not validate.
pub fn path(text: &str) -> AttrPath {
    let (uri, rest) = match text.rfind(':') {
        Some(i) => (Some(text[..i].to_string()), &text[i + 1..]),
        None => (None, text),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((n, s)) => (n.to_string(), Some(s.to_string())),
        None => (rest.to_string(), None),
    };
    AttrPath { uri, name, sub_attr: sub }
}

fn s(v: &str) -> CompValue {
    CompValue::String(v.to_string())
}

fn compare(paths: &'static [&'static str], ops: &'static [CompareOp], values: Vec<String>) -> BoxedStrategy<Filter> {
    (select(paths), select(ops), select(values)).prop_map(|(p, op, v)| Filter::compare(path(p), op, s(&v))).boxed()
}

const ALL_OPS: [CompareOp; 9] = CompareOp::ALL;
const EQ_NE: [CompareOp; 2] = [CompareOp::Eq, CompareOp::Ne];

fn word_values() -> Vec<String> {
    let mut v: Vec<String> = WORDS.iter().map(|w| w.to_string()).collect();
    v.extend(["ali", "ICE", "-u1-", "-u2-", "@example", ".com", "ORG"].map(String::from));
    v
}

const ORDERING_OPS: [CompareOp; 6] =
    [CompareOp::Eq, CompareOp::Ne, CompareOp::Gt, CompareOp::Ge, CompareOp::Lt, CompareOp::Le];

/// Literals for dateTime filters: the earliest, a middle and the latest of `instants` (the server's own
/// `meta` values), each in UTC and at two other offsets, so text ordering and instant ordering disagree.
pub fn instant_literals(instants: &[DateTime]) -> Vec<String> {
    let mut sorted = instants.to_vec();
    sorted.sort();
    sorted.dedup();
    let picks = match sorted.len() {
        0 => vec![],
        n => vec![sorted[0], sorted[n / 2], sorted[n - 1]],
    };
    let mut literals: Vec<String> =
        picks.iter().flat_map(|t| [0, 120, -330].map(|offset| t.to_string_at_offset(offset))).collect();
    literals.dedup();
    literals
}

fn leaf(instants: Vec<String>) -> BoxedStrategy<Filter> {
    let common = prop_oneof![
        compare(&["userName", "urn:ietf:params:scim:schemas:core:2.0:User:userName"], &ALL_OPS, word_values()),
        compare(&["title", "displayName", "name.givenName", "name.familyName"], &ALL_OPS, word_values()),
        compare(&["externalId"], &ALL_OPS, EXTERNAL.iter().map(|x| x.to_string()).collect()),
        compare(&["emails", "emails.value"], &ALL_OPS, word_values()),
        compare(&["emails.type"], &EQ_NE, TYPES.iter().map(|x| x.to_string()).collect()),
        compare(
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
            &ALL_OPS,
            DEPARTMENTS.iter().map(|x| x.to_string()).collect()
        ),
        (select(&["active", "emails.primary"][..]), select(&EQ_NE[..]), any::<bool>())
            .prop_map(|(p, op, b)| Filter::compare(path(p), op, CompValue::Bool(b))),
        select(
            &[
                "title",
                "active",
                "emails",
                "name",
                "externalId",
                "displayName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
            ][..]
        )
        .prop_map(|p| Filter::present(path(p))),
        (select(&["title", "externalId"][..]), select(&EQ_NE[..])).prop_map(|(p, op)| Filter::compare(
            path(p),
            op,
            CompValue::Null
        )),
    ];
    if instants.is_empty() {
        return common.boxed();
    }
    prop_oneof![10 => common, 1 => compare(&["meta.created", "meta.lastModified"], &ORDERING_OPS, instants)].boxed()
}

/// `leaf` combined with `not`, `and` and `or` of 2 to `width` terms, up to `depth` levels and about
/// `size` leaves: the shape of every generated filter.
pub fn combined(
    leaf: impl Strategy<Value = Filter> + 'static,
    depth: u32,
    size: u32,
    width: usize,
) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, size, width as u32, move |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            vec(inner.clone(), 2..=width).prop_map(Filter::And),
            vec(inner, 2..=width).prop_map(Filter::Or),
        ]
    })
    .boxed()
}

fn email_filter() -> BoxedStrategy<Filter> {
    let leaf = prop_oneof![
        compare(&["type"], &EQ_NE, TYPES.iter().map(|x| x.to_string()).collect()),
        compare(&["value"], &ALL_OPS, word_values()),
        any::<bool>().prop_map(|b| Filter::compare(path("primary"), CompareOp::Eq, CompValue::Bool(b))),
        Just(Filter::present(path("primary"))),
    ];
    combined(leaf, 2, 6, 2)
}

/// Filters over the population's attributes. `compat` adds Entra's `emails[…].value eq` form;
/// `instants` (from [`instant_literals`]) add ordering filters on `meta.created` and `meta.lastModified`.
pub fn filter(compat: bool, instants: Vec<String>) -> BoxedStrategy<Filter> {
    let value_path = (email_filter(), proptest::option::of((select(&EQ_NE[..]), select(word_values())))).prop_map(
        move |(inner, sub)| Filter::ValuePath {
            attr: path("emails"),
            filter: Box::new(inner),
            sub: if compat { sub.map(|(op, v)| ("value".to_string(), Test::Compare(op, s(&v)))) } else { None },
        },
    );
    combined(prop_oneof![4 => leaf(instants), 1 => value_path], 3, 12, 3)
}

/// Every filter one structural step simpler than `f`: a sub-filter in place of its parent, one term of an
/// `and`/`or` dropped, or a sub-filter simplified. proptest's shrinking keeps the tree's shape (an `and`
/// stays an `and` of at least two terms); the runner finishes with these steps until none still fails.
pub fn simpler(f: &Filter) -> Vec<Filter> {
    let mut out = Vec::new();
    match f {
        Filter::Attr { .. } => {}
        Filter::Not(inner) => {
            out.push((**inner).clone());
            out.extend(simpler(inner).into_iter().map(|s| Filter::Not(Box::new(s))));
        }
        Filter::And(terms) | Filter::Or(terms) => {
            let rebuild = |t: Vec<Filter>| match f {
                Filter::And(_) => Filter::And(t),
                _ => Filter::Or(t),
            };
            out.extend(terms.iter().cloned());
            if terms.len() > 2 {
                for i in 0..terms.len() {
                    let mut fewer = terms.clone();
                    fewer.remove(i);
                    out.push(rebuild(fewer));
                }
            }
            for (i, term) in terms.iter().enumerate() {
                for s in simpler(term) {
                    let mut changed = terms.clone();
                    changed[i] = s;
                    out.push(rebuild(changed));
                }
            }
        }
        Filter::ValuePath { attr, filter, sub } => {
            for s in simpler(filter) {
                out.push(Filter::ValuePath { attr: attr.clone(), filter: Box::new(s), sub: sub.clone() });
            }
        }
    }
    out
}

/// Applies [`simpler`] steps while `still_fails` holds, at most `limit` tries; returns the smallest found.
pub fn simplify(f: Filter, limit: usize, mut still_fails: impl FnMut(&Filter) -> bool) -> Filter {
    let mut current = f;
    let mut tries = 0;
    'outer: loop {
        for candidate in simpler(&current) {
            if tries >= limit {
                break 'outer;
            }
            tries += 1;
            if still_fails(&candidate) {
                current = candidate;
                continue 'outer;
            }
        }
        break;
    }
    current
}

fn nonempty_word() -> impl Strategy<Value = &'static str> {
    select(&WORDS[..WORDS.len() - 1])
}

/// One PATCH operation in the shapes Okta sends: no filtered paths, no empty strings.
fn okta_operation(shape: &UserShape) -> BoxedStrategy<Value> {
    let text = || prop_oneof![nonempty_word().prop_map(|w| json!(w)), Just(Value::Null)];
    let mut shapes: Vec<BoxedStrategy<Value>> = Vec::new();
    let replaceable = shape.only(&["title", "displayName", "nickName", "name.givenName"]);
    if !replaceable.is_empty() {
        shapes.push(
            (select(replaceable), text()).prop_map(|(p, v)| json!({ "op": "replace", "path": p, "value": v })).boxed(),
        );
    }
    let removable = shape.removable(&["title", "nickName", "name", "emails", "displayName"]);
    if !removable.is_empty() {
        shapes.push(select(removable).prop_map(|p| json!({ "op": "remove", "path": p })).boxed());
    }
    if shape.has("emails.value") {
        shapes.push(emails(shape, 1..3).prop_map(|e| json!({ "op": "add", "path": "emails", "value": e })).boxed());
    }
    if shape.has("active") {
        if shape.has("title") {
            shapes.push(
                (nonempty_word(), any::<bool>())
                    .prop_map(|(w, b)| json!({ "op": "replace", "value": { "title": w, "active": b } }))
                    .boxed(),
            );
        }
        shapes.push(any::<bool>().prop_map(|b| json!({ "op": "replace", "value": { "active": b } })).boxed());
    }
    shapes.push(Just(json!({ "op": "remove" })).boxed());
    shapes.push(Just(json!({ "op": "replace", "path": "id", "value": "other" })).boxed());
    proptest::strategy::Union::new(shapes).boxed()
}

/// One PATCH operation in the shapes JumpCloud sends (idp-behaviour.md §10.3, JC-UU, JC-Q3): a lower-case
/// `replace` with a simple path per changed attribute, `active` as a JSON boolean; no value filters, no
/// path-less values, nothing invalid.
fn jumpcloud_operation(shape: &UserShape) -> BoxedStrategy<Value> {
    let mut shapes: Vec<BoxedStrategy<Value>> = Vec::new();
    let simple = shape.only(&["name.givenName", "name.familyName", "displayName", "title"]);
    if !simple.is_empty() {
        shapes.push(
            (select(simple), nonempty_word())
                .prop_map(|(p, w)| json!({ "op": "replace", "path": p, "value": w }))
                .boxed(),
        );
    }
    if shape.has("active") {
        shapes.push(any::<bool>().prop_map(|b| json!({ "op": "replace", "path": "active", "value": b })).boxed());
    }
    if shapes.is_empty() {
        shapes.push(Just(json!({ "op": "replace", "path": "externalId", "value": "x1" })).boxed());
    }
    proptest::strategy::Union::new(shapes).boxed()
}

/// One PATCH operation in the shapes Entra ID sends (idp-behaviour.md, the Entra request catalogue):
/// `flagged` is a tenant with `aadOptscim062020` (lower-case ops, real booleans, path-less replaces keyed
/// by paths), otherwise the default job (`Add`/`Replace`, `"True"`/`"False"`). Entra writes a typed entry
/// only by its `.value` (E-Q22), never `.primary`, and sends no `remove` on a user and nothing invalid.
fn entra_operation(shape: &UserShape, flagged: bool) -> BoxedStrategy<Value> {
    let (add, replace) = if flagged { ("add", "replace") } else { ("Add", "Replace") };
    let mut shapes: Vec<BoxedStrategy<Value>> = Vec::new();
    let simple = shape.only(&["title", "displayName", "nickName", "name.givenName", "name.familyName"]);
    if !simple.is_empty() {
        // One operation per changed attribute (E-UU); `""` and null as the gallery's null-update test (E-Q21).
        let text =
            prop_oneof![4 => nonempty_word().prop_map(|w| json!(w)), 1 => Just(json!("")), 1 => Just(Value::Null)];
        shapes.push(
            (select(simple.clone()), text)
                .prop_map(move |(p, v)| json!({ "op": replace, "path": p, "value": v }))
                .boxed(),
        );
        // An attribute set for the first time: `Add` with a simple path (E-UU, E2-ADD).
        shapes.push(
            (select(simple), nonempty_word())
                .prop_map(move |(p, w)| json!({ "op": add, "path": p, "value": w }))
                .boxed(),
        );
    }
    if shape.has("active") {
        // Disable and re-enable (E-DU, E-RU): the default job sends "False"/"True" or booleans (E-Q2).
        let values = if flagged {
            vec![json!(false), json!(true)]
        } else {
            vec![json!("False"), json!("True"), json!(false), json!(true)]
        };
        shapes.push(select(values).prop_map(move |v| json!({ "op": replace, "path": "active", "value": v })).boxed());
    }
    let email_types = allowed_of(&shape.email_types(), &ENTRA_EMAIL_TYPES);
    if shape.has("emails.value") && !email_types.is_empty() {
        shapes.push(
            (select(vec![add, replace]), select(email_types), nonempty_word(), select(&DOMAINS[..]))
                .prop_map(|(op, t, w, d)| {
                    json!({ "op": op, "path": format!("emails[type eq \"{t}\"].value"), "value": address(w, d) })
                })
                .boxed(),
        );
    }
    let phone_types = allowed_of(&shape.phone_types(), &ENTRA_PHONE_TYPES);
    if shape.has("phoneNumbers.value") && !phone_types.is_empty() {
        shapes.push(
            (select(vec![add, replace]), select(phone_types), select(&PHONES[..]))
                .prop_map(|(op, t, v)| {
                    json!({ "op": op, "path": format!("phoneNumbers[type eq \"{t}\"].value"), "value": v })
                })
                .boxed(),
        );
    }
    if shape.has(DEPARTMENT) {
        shapes.push(
            (select(vec![add, replace]), select(&DEPARTMENTS[..]))
                .prop_map(|(op, d)| json!({ "op": op, "path": DEPARTMENT, "value": d }))
                .boxed(),
        );
    }
    let keyed = shape.only(&["displayName", "name.givenName", "name.familyName", DEPARTMENT]);
    if flagged && !keyed.is_empty() {
        // Several changes in one path-less replace keyed by paths (E2-UU, E-Q5).
        let n = keyed.len();
        shapes.push(
            (proptest::sample::subsequence(keyed, 1..=n), vec(nonempty_word(), n))
                .prop_map(|(keys, words)| {
                    let value: serde_json::Map<String, Value> =
                        keys.iter().zip(words).map(|(k, w)| (k.to_string(), json!(w))).collect();
                    json!({ "op": "replace", "value": value })
                })
                .boxed(),
        );
    }
    if shapes.is_empty() {
        shapes.push(Just(json!({ "op": replace, "path": "externalId", "value": "x1" })).boxed());
    }
    proptest::strategy::Union::new(shapes).boxed()
}

/// One PATCH operation on a user, in lower-case RFC shapes; some are invalid on purpose (the server's
/// error must then be the one the core predicts, and the user unchanged). `path_types` are the `type`
/// literals of filtered paths.
fn operation(shape: &UserShape, path_types: Vec<String>) -> BoxedStrategy<Value> {
    let text = || prop_oneof![word().prop_map(|w| json!(w)), Just(Value::Null)];
    let mut shapes: Vec<BoxedStrategy<Value>> = Vec::new();
    let replaceable = shape.only(&["title", "displayName", "nickName", "name.givenName"]);
    if !replaceable.is_empty() {
        shapes.push(
            (select(replaceable), text()).prop_map(|(p, v)| json!({ "op": "replace", "path": p, "value": v })).boxed(),
        );
    }
    let addable = shape.only(&["title", "nickName"]);
    if !addable.is_empty() {
        shapes.push((select(addable), word()).prop_map(|(p, w)| json!({ "op": "add", "path": p, "value": w })).boxed());
    }
    let removable = shape.removable(&["title", "nickName", "name", "emails", "displayName"]);
    if !removable.is_empty() {
        shapes.push(select(removable).prop_map(|p| json!({ "op": "remove", "path": p })).boxed());
    }
    if shape.has("active") {
        shapes.push(any::<bool>().prop_map(|b| json!({ "op": "replace", "path": "active", "value": b })).boxed());
    }
    if shape.has("emails.value") {
        shapes.push(emails(shape, 1..3).prop_map(|e| json!({ "op": "add", "path": "emails", "value": e })).boxed());
    }
    if shape.has("emails.type") && !path_types.is_empty() {
        shapes.push((select(path_types.clone()), word()).prop_map(|(t, w)| json!({ "op": "replace", "path": format!("emails[type eq \"{t}\"].value"), "value": format!("{}@example.com", w.len()) })).boxed());
        shapes.push(
            select(path_types)
                .prop_map(|t| json!({ "op": "remove", "path": format!("emails[type eq \"{t}\"]") }))
                .boxed(),
        );
    }
    if shape.has("name.givenName") || shape.has("name.familyName") {
        let shape = shape.clone();
        shapes.push(
            (word(), word())
                .prop_map(move |(g, f)| json!({ "op": "replace", "path": "name", "value": name_value(&shape, g, f) }))
                .boxed(),
        );
    }
    if shape.has(DEPARTMENT) {
        shapes.push(
            select(&DEPARTMENTS[..]).prop_map(|d| json!({ "op": "add", "path": DEPARTMENT, "value": d })).boxed(),
        );
        shapes.push(Just(json!({ "op": "remove", "path": DEPARTMENT })).boxed());
    }
    if shape.has("title") && shape.has("active") {
        shapes.push(
            (word(), any::<bool>())
                .prop_map(|(w, b)| json!({ "op": "replace", "value": { "title": w, "active": b } }))
                .boxed(),
        );
    }
    if shape.has("emails.type") && shape.has("emails.primary") {
        shapes
            .push(Just(json!({ "op": "replace", "path": "emails[type eq \"work\"].primary", "value": true })).boxed());
    }
    // Invalid on purpose.
    shapes.push(Just(json!({ "op": "remove" })).boxed());
    shapes.push(Just(json!({ "op": "replace", "path": "id", "value": "other" })).boxed());
    if shape.has("emails.type") {
        shapes.push(Just(json!({ "op": "add", "path": "emails[type eq \"work\"", "value": "x" })).boxed());
    }
    if shape.has("active") {
        shapes.push(Just(json!({ "op": "replace", "path": "active", "value": "maybe" })).boxed());
    }
    proptest::strategy::Union::new(shapes).boxed()
}

/// A PatchOp body of 1–4 operations, in the shapes the PATCH mode's client sends, on what `shape`
/// declares.
pub fn patch_sequence(mode: crate::patch::Mode, shape: &UserShape) -> BoxedStrategy<Value> {
    use crate::patch::Mode;
    let body = |ops: Vec<Value>| json!({ "schemas": [PATCH_OP], "Operations": ops });
    match mode {
        Mode::Okta => vec(okta_operation(shape), 1..5).prop_map(body).boxed(),
        Mode::Jumpcloud => vec(jumpcloud_operation(shape), 1..5).prop_map(body).boxed(),
        // One tenant is flagged or not: a request never mixes the two shapes.
        Mode::Entra => {
            let (legacy, flagged) = (entra_operation(shape, false), entra_operation(shape, true));
            prop_oneof![vec(legacy, 1..5), vec(flagged, 1..5)].prop_map(body).boxed()
        }
        Mode::Rfc | Mode::Compat => {
            // Filtered paths only select under the RFC, so they may name case variants the schema's
            // canonicalValues leave out; where a filtered write creates the entry (E-Q22), only those.
            let mut types = shape.email_types();
            if !mode.tolerances().filtered_write_creates {
                types.extend(TYPES.iter().map(|t| t.to_string()).filter(|t| !types.contains(t)).collect::<Vec<_>>());
            }
            vec(operation(shape, types), 1..5).prop_map(body).boxed()
        }
    }
}

/// A user to patch, as the PATCH mode's client creates it (no prefix needed: each case creates and
/// deletes its own).
pub fn patch_subject(prefix: &str, mode: crate::patch::Mode, shape: &UserShape) -> BoxedStrategy<Value> {
    if mode == crate::patch::Mode::Entra {
        entra_user(prefix.to_string(), shape)
    } else {
        user(prefix.to_string(), 0, shape)
    }
}

/// How many users a group membership case can refer to (`@0` … `@3` in a generated PatchOp).
pub const MEMBER_POOL: usize = 4;

fn member_ref() -> impl Strategy<Value = String> {
    (0..MEMBER_POOL).prop_map(|i| format!("@{i}"))
}

/// One membership PATCH operation on a group, in the shapes Okta (`members[value eq …]` removal,
/// path-less `displayName` rename, empty `replace`) and the RFC use. Member ids are `@i` placeholders and
/// the group's own name is `@name`, filled in when sent.
fn group_operation(mode: crate::patch::Mode) -> BoxedStrategy<Value> {
    use crate::patch::Mode;
    let members =
        || vec(member_ref(), 1..3).prop_map(|ids| json!(ids.iter().map(|i| json!({ "value": i })).collect::<Vec<_>>()));
    let mut shapes: Vec<BoxedStrategy<Value>> = vec![
        members().prop_map(|m| json!({ "op": "add", "path": "members", "value": m })).boxed(),
        member_ref().prop_map(|i| json!({ "op": "remove", "path": format!("members[value eq \"{i}\"]") })).boxed(),
        Just(json!({ "op": "replace", "path": "displayName", "value": "@name-renamed" })).boxed(),
        Just(json!({ "op": "replace", "value": { "displayName": "@name-renamed" } })).boxed(),
        // Invalid on purpose: the whole request must fail and leave the members as they were.
        Just(json!({ "op": "remove" })).boxed(),
    ];
    if mode == Mode::Okta {
        // "Push now" on an empty group (O-Q14).
        shapes.push(Just(json!({ "op": "replace", "path": "members", "value": [] })).boxed());
    } else {
        let some_members = vec(member_ref(), 0..3)
            .prop_map(|ids| json!(ids.iter().map(|i| json!({ "value": i })).collect::<Vec<_>>()));
        shapes.push(some_members.prop_map(|m| json!({ "op": "replace", "path": "members", "value": m })).boxed());
        shapes.push(Just(json!({ "op": "remove", "path": "members" })).boxed());
    }
    proptest::strategy::Union::new(shapes).boxed()
}

/// One membership PATCH operation on a group as Entra ID sends it: the default job adds with
/// `"$ref": null` (E-AM, E-Q4), removes by a value array (E-RM, E-Q3) and renames (E-RG) with
/// capitalised ops; a `flagged` tenant (aadOptscim062020) uses lower-case ops and removes by
/// `members[value eq …]` (E2-RM). Nothing invalid, no `replace` of `members`.
fn entra_group_operation(flagged: bool) -> BoxedStrategy<Value> {
    let ids = || vec(member_ref(), 1..3);
    let rename = |op: &str| Just(json!({ "op": op, "path": "displayName", "value": "@name-renamed" })).boxed();
    if flagged {
        prop_oneof![
            ids().prop_map(|ids| {
                let m: Vec<Value> = ids.iter().map(|i| json!({ "value": i })).collect();
                json!({ "op": "add", "path": "members", "value": m })
            }),
            member_ref().prop_map(|i| json!({ "op": "remove", "path": format!("members[value eq \"{i}\"]") })),
            rename("replace"),
        ]
        .boxed()
    } else {
        prop_oneof![
            ids().prop_map(|ids| {
                let m: Vec<Value> = ids.iter().map(|i| json!({ "$ref": null, "value": i })).collect();
                json!({ "op": "Add", "path": "members", "value": m })
            }),
            ids().prop_map(|ids| {
                let m: Vec<Value> = ids.iter().map(|i| json!({ "value": i })).collect();
                json!({ "op": "Remove", "path": "members", "value": m })
            }),
            rename("Replace"),
        ]
        .boxed()
    }
}

/// One membership PATCH operation on a group as JumpCloud sends it (idp-behaviour.md §10.3): members added
/// as `{"value": id}` only (JC-AM), removed by `path: members` with a value list and no filter (JC-RM,
/// JC-Q4), and a rename; lower-case ops, nothing invalid.
fn jumpcloud_group_operation() -> BoxedStrategy<Value> {
    let values =
        || vec(member_ref(), 1..3).prop_map(|ids| json!(ids.iter().map(|i| json!({ "value": i })).collect::<Vec<_>>()));
    prop_oneof![
        values().prop_map(|m| json!({ "op": "add", "path": "members", "value": m })),
        values().prop_map(|m| json!({ "op": "remove", "path": "members", "value": m })),
        Just(json!({ "op": "replace", "path": "displayName", "value": "@name-renamed" })),
    ]
    .boxed()
}

/// A group case: the members it starts with (indexes into the pool) and a PatchOp of 1–4 operations.
pub fn group_case(mode: crate::patch::Mode) -> BoxedStrategy<(Vec<usize>, Value)> {
    let body = |ops: Vec<Value>| json!({ "schemas": [PATCH_OP], "Operations": ops });
    let operations = if mode == crate::patch::Mode::Entra {
        // One tenant is flagged or not: a request never mixes the two shapes.
        prop_oneof![vec(entra_group_operation(false), 1..5), vec(entra_group_operation(true), 1..5)]
            .prop_map(body)
            .boxed()
    } else if mode == crate::patch::Mode::Jumpcloud {
        vec(jumpcloud_group_operation(), 1..5).prop_map(body).boxed()
    } else {
        vec(group_operation(mode), 1..5).prop_map(body).boxed()
    };
    (proptest::sample::subsequence((0..MEMBER_POOL).collect::<Vec<_>>(), 0..=MEMBER_POOL), operations).boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    #[test]
    fn simplify_reaches_the_single_failing_term() {
        let f = parse(r#"userName eq "a" and (title pr or not (emails[type eq "work"].value eq "x"))"#).unwrap();
        let uses_sub = |f: &Filter| f.to_string().contains("].value");
        let minimal = simplify(f, 100, uses_sub);
        assert_eq!(minimal.to_string(), r#"emails[type eq "work"].value eq "x""#);
    }

    #[test]
    fn simplify_keeps_a_filter_whose_parts_all_pass() {
        let f = parse(r#"userName eq "a" and title pr"#).unwrap();
        let both = |f: &Filter| matches!(f, Filter::And(t) if t.len() == 2);
        assert_eq!(simplify(f.clone(), 100, both), f);
    }

    fn samples<S: Strategy>(strategy: &S, n: usize) -> Vec<S::Value> {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        (0..n).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect()
    }

    /// Entra writes typed entries only by `.value` (E-Q22), in one op spelling per request, and never
    /// removes attributes of a user or sends an invalid operation.
    #[test]
    fn entra_patches_are_shaped_as_entra_sends_them() {
        use crate::patch::Mode;
        let shape = UserShape::default();
        let (mut legacy, mut flagged, mut typed) = (0, 0, 0);
        for patch in samples(&patch_sequence(Mode::Entra, &shape), 500) {
            let ops = patch["Operations"].as_array().unwrap();
            let names: std::collections::BTreeSet<&str> = ops.iter().map(|o| o["op"].as_str().unwrap()).collect();
            assert!(
                names.iter().all(|n| ["Add", "Replace"].contains(n))
                    || names.iter().all(|n| ["add", "replace"].contains(n)),
                "{patch}"
            );
            if names.iter().any(|n| n.starts_with(char::is_uppercase)) {
                legacy += 1;
            } else {
                flagged += 1;
            }
            for op in ops {
                match op.get("path").and_then(Value::as_str) {
                    Some(p) if p.contains('[') => {
                        assert!(p.ends_with("].value"), "a filtered path other than `.value`: {op}");
                        assert!(
                            p.starts_with("emails[type eq \"work\"]") || p.starts_with("phoneNumbers[type eq "),
                            "{op}"
                        );
                        typed += 1;
                    }
                    Some(p) => assert!(
                        ["title", "displayName", "nickName", "name.givenName", "name.familyName", "active", DEPARTMENT]
                            .contains(&p),
                        "{op}"
                    ),
                    None => {
                        assert_eq!(op["op"], "replace", "path-less operations come from flagged tenants: {op}");
                        assert!(op["value"].is_object(), "{op}");
                    }
                }
                assert!(!op.to_string().contains("primary"), "{op}");
            }
        }
        assert!(legacy > 50 && flagged > 50 && typed > 50, "{legacy} {flagged} {typed}");
        for subject in samples(&patch_subject("p", Mode::Entra, &shape), 200) {
            let emails = subject.get("emails").and_then(Value::as_array).cloned().unwrap_or_default();
            assert!(
                emails.len() <= 1 && emails.iter().all(|e| e["type"] == "work" && e["primary"] == true),
                "{subject}"
            );
            assert_eq!(subject["active"], true, "{subject}");
        }
    }

    /// Entra's membership PATCHes: E-AM, E-RM and E-RG of the default job, or the flagged tenant's
    /// lower-case ops and `members[value eq …]` removal; never both in one request, nothing else.
    #[test]
    fn entra_group_patches_are_shaped_as_entra_sends_them() {
        use crate::patch::Mode;
        for (_, patch) in samples(&group_case(Mode::Entra), 300) {
            let ops = patch["Operations"].as_array().unwrap();
            let legacy = ops[0]["op"].as_str().unwrap().starts_with(char::is_uppercase);
            for op in ops {
                let (name, path) = (op["op"].as_str().unwrap(), op["path"].as_str().unwrap());
                let value = op.get("value");
                let ok = match (legacy, name, path) {
                    (true, "Add", "members") => value.unwrap().as_array().unwrap().iter().all(|m| m["$ref"].is_null()),
                    (true, "Remove", "members") => value.is_some_and(Value::is_array),
                    (false, "add", "members") => true,
                    (false, "remove", p) => p.starts_with("members[value eq ") && value.is_none(),
                    (true, "Replace", "displayName") | (false, "replace", "displayName") => true,
                    _ => false,
                };
                assert!(ok, "not an Entra shape: {op} in {patch}");
            }
        }
    }

    /// JumpCloud sends only path ops with JSON booleans: lower-case `replace` with a simple path per
    /// attribute (JC-Q3); memberships as `add members [{value}]`, `remove members` with a value list and no
    /// filter (JC-Q4), or a rename.
    #[test]
    fn jumpcloud_sends_only_path_ops_with_json_booleans() {
        use crate::patch::Mode;
        let shape = UserShape::default();
        let mut active = 0;
        for patch in samples(&patch_sequence(Mode::Jumpcloud, &shape), 300) {
            for op in patch["Operations"].as_array().unwrap() {
                assert_eq!(op["op"], "replace", "{op}");
                let path = op["path"].as_str().unwrap_or_else(|| panic!("a path-less operation: {op}"));
                assert!(!path.contains('['), "a value filter: {op}");
                if path == "active" {
                    assert!(op["value"].is_boolean(), "active as a string: {op}");
                    active += 1;
                } else {
                    assert!(["name.givenName", "name.familyName", "displayName", "title"].contains(&path), "{op}");
                    assert!(op["value"].as_str().is_some_and(|v| !v.is_empty()), "{op}");
                }
            }
        }
        assert!(active > 30, "{active}");
        let (mut adds, mut removes) = (0, 0);
        for (_, patch) in samples(&group_case(Mode::Jumpcloud), 300) {
            for op in patch["Operations"].as_array().unwrap() {
                let values_only = |v: &Value| {
                    v.as_array().is_some_and(|m| {
                        !m.is_empty()
                            && m.iter().all(|m| m.as_object().is_some_and(|o| o.len() == 1 && o.contains_key("value")))
                    })
                };
                match (op["op"].as_str().unwrap(), op["path"].as_str().unwrap()) {
                    ("add", "members") if values_only(&op["value"]) => adds += 1,
                    ("remove", "members") if values_only(&op["value"]) => removes += 1,
                    ("replace", "displayName") => {}
                    _ => panic!("not a JumpCloud shape: {op} in {patch}"),
                }
            }
        }
        assert!(adds > 50 && removes > 50, "{adds} {removes}");
    }

    #[test]
    fn instant_literals_spell_each_pick_three_ways() {
        let t = |s: &str| DateTime::parse(s).unwrap();
        let literals =
            instant_literals(&[t("2026-01-01T00:00:02Z"), t("2026-01-01T00:00:00Z"), t("2026-01-01T00:00:01Z")]);
        assert_eq!(literals.len(), 9);
        assert_eq!(literals[0], "2026-01-01T00:00:00Z");
        assert_eq!(literals[1], "2026-01-01T02:00:00+02:00");
        assert!(literals.iter().all(|l| DateTime::parse(l).is_some()));
        assert!(instant_literals(&[]).is_empty());
    }
}
