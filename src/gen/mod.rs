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
const TYPES: [&str; 4] = ["work", "home", "other", "Work"];
const DEPARTMENTS: [&str; 3] = ["R&D", "r&d", "Sales"];
const EXTERNAL: [&str; 3] = ["X1", "x1", "x10"];

fn word() -> impl Strategy<Value = &'static str> {
    select(&WORDS[..])
}

fn email() -> impl Strategy<Value = Value> {
    (word(), select(&DOMAINS[..]), select(&TYPES[..]), proptest::option::of(any::<bool>())).prop_map(
        |(w, d, t, primary)| {
            let local: String = w.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let mut e = json!({ "value": format!("{}@{d}", if local.is_empty() { "x" } else { &local }), "type": t });
            if let Some(p) = primary {
                e["primary"] = json!(p);
            }
            e
        },
    )
}

/// One user body; `userName` is `<prefix>-u<i>-<word>`, unique whatever the word.
fn user(prefix: String, i: usize) -> impl Strategy<Value = Value> {
    (
        word(),
        proptest::option::of(word()),
        proptest::option::of(any::<bool>()),
        vec(email(), 0..3),
        proptest::option::of(select(&EXTERNAL[..])),
        proptest::option::of(select(&DEPARTMENTS[..])),
        proptest::option::of((word(), word())),
        proptest::option::of(word()),
    )
        .prop_map(move |(w, title, active, mut emails, external, department, name, display)| {
            let mut u = json!({ "schemas": [USER], "userName": format!("{prefix}-u{i}-{w}") });
            if let Some(t) = title {
                u["title"] = json!(t);
            }
            if let Some(a) = active {
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
            if let Some(x) = external {
                u["externalId"] = json!(x);
            }
            if let Some(d) = department {
                u["schemas"] = json!([USER, ENTERPRISE_USER]);
                u[ENTERPRISE_USER] = json!({ "department": d });
            }
            if let Some((g, f)) = name {
                u["name"] = json!({ "givenName": g, "familyName": f });
            }
            if let Some(d) = display {
                u["displayName"] = json!(d);
            }
            u
        })
}

/// `n` users whose userNames start with `prefix`.
pub fn population(prefix: &str, n: usize) -> BoxedStrategy<Vec<Value>> {
    let users: Vec<BoxedStrategy<Value>> = (0..n).map(|i| user(prefix.to_string(), i).boxed()).collect();
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
fn okta_operation() -> BoxedStrategy<Value> {
    let text = || prop_oneof![nonempty_word().prop_map(|w| json!(w)), Just(Value::Null)];
    prop_oneof![
        (select(&["title", "displayName", "nickName", "name.givenName"][..]), text())
            .prop_map(|(p, v)| json!({ "op": "replace", "path": p, "value": v })),
        select(&["title", "nickName", "name", "emails", "displayName"][..])
            .prop_map(|p| json!({ "op": "remove", "path": p })),
        vec(email(), 1..3).prop_map(|e| json!({ "op": "add", "path": "emails", "value": e })),
        (nonempty_word(), any::<bool>())
            .prop_map(|(w, b)| json!({ "op": "replace", "value": { "title": w, "active": b } })),
        any::<bool>().prop_map(|b| json!({ "op": "replace", "value": { "active": b } })),
        Just(json!({ "op": "remove" })),
        Just(json!({ "op": "replace", "path": "id", "value": "other" })),
    ]
    .boxed()
}

/// One PATCH operation on a user, in lower-case RFC shapes; some are invalid on purpose (the server's
/// error must then be the one the core predicts, and the user unchanged).
fn operation() -> BoxedStrategy<Value> {
    let text = || prop_oneof![word().prop_map(|w| json!(w)), Just(Value::Null)];
    prop_oneof![
        (select(&["title", "displayName", "nickName", "name.givenName"][..]), text())
            .prop_map(|(p, v)| json!({ "op": "replace", "path": p, "value": v })),
        (select(&["title", "nickName"][..]), word()).prop_map(|(p, w)| json!({ "op": "add", "path": p, "value": w })),
        select(&["title", "nickName", "name", "emails", "displayName"][..]).prop_map(|p| json!({ "op": "remove", "path": p })),
        any::<bool>().prop_map(|b| json!({ "op": "replace", "path": "active", "value": b })),
        vec(email(), 1..3).prop_map(|e| json!({ "op": "add", "path": "emails", "value": e })),
        (select(&TYPES[..]), word()).prop_map(|(t, w)| json!({ "op": "replace", "path": format!("emails[type eq \"{t}\"].value"), "value": format!("{}@example.com", w.len()) })),
        select(&TYPES[..]).prop_map(|t| json!({ "op": "remove", "path": format!("emails[type eq \"{t}\"]") })),
        (word(), word()).prop_map(|(g, f)| json!({ "op": "replace", "path": "name", "value": { "givenName": g, "familyName": f } })),
        select(&DEPARTMENTS[..]).prop_map(|d| json!({ "op": "add", "path": format!("{ENTERPRISE_USER}:department"), "value": d })),
        Just(json!({ "op": "remove", "path": format!("{ENTERPRISE_USER}:department") })),
        (word(), any::<bool>()).prop_map(|(w, b)| json!({ "op": "replace", "value": { "title": w, "active": b } })),
        Just(json!({ "op": "replace", "path": "emails[type eq \"work\"].primary", "value": true })),
        // Invalid on purpose.
        Just(json!({ "op": "remove" })),
        Just(json!({ "op": "replace", "path": "id", "value": "other" })),
        Just(json!({ "op": "add", "path": "emails[type eq \"work\"", "value": "x" })),
        Just(json!({ "op": "replace", "path": "active", "value": "maybe" })),
    ]
    .boxed()
}

/// A PatchOp body of 1–4 operations, in the shapes the PATCH mode's client sends.
pub fn patch_sequence(mode: crate::patch::Mode) -> BoxedStrategy<Value> {
    let op = if mode == crate::patch::Mode::Okta { okta_operation() } else { operation() };
    vec(op, 1..5).prop_map(|ops| json!({ "schemas": [PATCH_OP], "Operations": ops })).boxed()
}

/// A user to patch (no prefix needed: each case creates and deletes its own).
pub fn patch_subject(prefix: &str) -> BoxedStrategy<Value> {
    user(prefix.to_string(), 0).boxed()
}

/// How many users a group membership case can refer to (`@0` … `@3` in a generated PatchOp).
pub const MEMBER_POOL: usize = 4;

fn member_ref() -> impl Strategy<Value = String> {
    (0..MEMBER_POOL).prop_map(|i| format!("@{i}"))
}

/// One membership PATCH operation on a group, in the shapes Entra ID (capitalised ops, removal by a
/// value array), Okta (`members[value eq …]` removal, path-less `displayName` rename) and the RFC use.
/// Member ids are `@i` placeholders and the group's own name is `@name`, filled in when sent.
fn group_operation(mode: crate::patch::Mode) -> BoxedStrategy<Value> {
    use crate::patch::Mode;
    let entra = mode == Mode::Entra;
    let (add, remove, replace) = if entra { ("Add", "Remove", "Replace") } else { ("add", "remove", "replace") };
    let members =
        || vec(member_ref(), 1..3).prop_map(|ids| json!(ids.iter().map(|i| json!({ "value": i })).collect::<Vec<_>>()));
    let mut shapes: Vec<BoxedStrategy<Value>> = vec![
        members().prop_map(move |m| json!({ "op": add, "path": "members", "value": m })).boxed(),
        member_ref().prop_map(move |i| json!({ "op": remove, "path": format!("members[value eq \"{i}\"]") })).boxed(),
        Just(json!({ "op": replace, "path": "displayName", "value": "@name-renamed" })).boxed(),
        Just(json!({ "op": replace, "value": { "displayName": "@name-renamed" } })).boxed(),
        // Invalid on purpose: the whole request must fail and leave the members as they were.
        Just(json!({ "op": remove })).boxed(),
    ];
    if entra {
        // Entra removes members with a value array (E-Q3); under the RFC that removes every member.
        shapes.push(members().prop_map(move |m| json!({ "op": remove, "path": "members", "value": m })).boxed());
    }
    if mode == Mode::Okta {
        // "Push now" on an empty group (O-Q14).
        shapes.push(Just(json!({ "op": "replace", "path": "members", "value": [] })).boxed());
    } else {
        let some_members = vec(member_ref(), 0..3)
            .prop_map(|ids| json!(ids.iter().map(|i| json!({ "value": i })).collect::<Vec<_>>()));
        shapes.push(some_members.prop_map(move |m| json!({ "op": replace, "path": "members", "value": m })).boxed());
        shapes.push(Just(json!({ "op": remove, "path": "members" })).boxed());
    }
    proptest::strategy::Union::new(shapes).boxed()
}

/// A group case: the members it starts with (indexes into the pool) and a PatchOp of 1–4 operations.
pub fn group_case(mode: crate::patch::Mode) -> BoxedStrategy<(Vec<usize>, Value)> {
    (
        proptest::sample::subsequence((0..MEMBER_POOL).collect::<Vec<_>>(), 0..=MEMBER_POOL),
        vec(group_operation(mode), 1..5).prop_map(|ops| json!({ "schemas": [PATCH_OP], "Operations": ops })),
    )
        .boxed()
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
