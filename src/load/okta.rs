//! Okta's provisioning cycle for an OIN app as requests (idp-behaviour.md §1.0, §3), bodies and headers as the
//! okta suites send them (suites/okta/provisioning.toml, push_groups.toml): `User-Agent: Okta SCIM Client
//! 1.0.0`, `Content-Type: application/json` (O-Q23). Per user O-QU (match by userName, `startIndex=1&count=100`
//! appended) → O-CU (create with `password` and `groups: []`) → O-GU (read) → O-UU (PUT of the whole object,
//! `id` and `meta` included: the profile push Okta's SCIM 2.0 reference documents) → O-DU (path-less
//! `replace {"active": false}`); per worker one group, O-LG (name check) → O-CG (create with `members: []`),
//! then for every [`MEMBER_BATCH`] users O-RG (the unchanged `{id, displayName}` Okta re-sends with every push)
//! and O-MG (one PATCH removing the oldest member by filter and adding the batch).

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Shared;
use super::cycle::{MEMBER_BATCH, Operation};
use crate::client::Request;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// What Okta's SCIM client calls itself (O-QU).
pub const USER_AGENT: &str = "Okta SCIM Client 1.0.0";
/// The placeholder password Okta sends on create even when password sync is off (O-Q5).
const PASSWORD: &str = "1mz050nq";

fn request(method: reqwest::Method, path: &str) -> Request {
    let mut r = Request::new(method, path);
    r.headers.push(("User-Agent".into(), USER_AGENT.into()));
    r
}

fn with_body(method: reqwest::Method, path: &str, body: &Value) -> Request {
    let mut r = request(method, path).json(body);
    r.content_type = Some("application/json".into());
    r
}

fn patch(path: &str, operations: Value) -> Request {
    with_body(reqwest::Method::PATCH, path, &json!({ "schemas": [PATCH_OP], "Operations": operations }))
}

/// O-TC: Test API Credentials.
pub fn test_credentials() -> Request {
    let mut r = request(reqwest::Method::GET, "/Users");
    r.query = vec![("startIndex".into(), "1".into()), ("count".into(), "2".into())];
    r
}

/// O-QU: the match by userName, paging appended.
pub fn query_user(login: &str) -> Request {
    let mut r = request(reqwest::Method::GET, "/Users");
    r.query = vec![
        ("filter".into(), format!("userName eq \"{login}\"")),
        ("startIndex".into(), "1".into()),
        ("count".into(), "100".into()),
    ];
    r
}

/// The user as Okta holds it: what O-CU sends and O-UU pushes again (with a changed first name).
fn profile(login: &str, given_name: &str, n: u64) -> Value {
    json!({
        "schemas": [USER],
        "userName": login,
        "name": { "givenName": given_name, "familyName": format!("User{n}") },
        "emails": [{ "primary": true, "value": login, "type": "work" }],
        "displayName": format!("{given_name} User{n}"),
        "locale": "en-US",
        "externalId": format!("00u-{login}"),
        "groups": [],
        "active": true,
    })
}

/// O-CU: the create, with Okta's placeholder password and `groups: []`.
pub fn create_user(login: &str, n: u64) -> Request {
    let mut body = profile(login, "Load", n);
    body["password"] = json!(PASSWORD);
    with_body(reqwest::Method::POST, "/Users", &body)
}

/// O-GU: the read before a profile push.
pub fn get_user(path: &str) -> Request {
    request(reqwest::Method::GET, path)
}

/// O-UU: the profile push, the whole object with `id` and the `meta` O-GU answered (both read-only: the server
/// ignores them, O-Q8).
pub fn update_user(path: &str, login: &str, n: u64, meta: Option<Value>) -> Request {
    let mut body = profile(login, "Pushed", n);
    body["id"] = json!(path.rsplit('/').next().unwrap_or_default());
    if let Some(meta) = meta {
        body["meta"] = meta;
    }
    with_body(reqwest::Method::PUT, path, &body)
}

/// O-DU: the deactivation, a path-less replace (O-Q10).
pub fn disable_user(path: &str) -> Request {
    patch(path, json!([{ "op": "replace", "value": { "active": false } }]))
}

/// O-LG: the name check of a group push.
pub fn lookup_group(display_name: &str) -> Request {
    let mut r = request(reqwest::Method::GET, "/Groups");
    r.query = vec![("filter".into(), format!("displayName eq \"{display_name}\""))];
    r
}

/// O-CG: the group push, no members yet.
pub fn create_group(display_name: &str) -> Request {
    with_body(
        reqwest::Method::POST,
        "/Groups",
        &json!({ "schemas": [GROUP], "displayName": display_name, "members": [] }),
    )
}

/// O-RG: the rename, the group's own id inside the path-less value (O-Q12).
pub fn rename_group(path: &str, display_name: &str) -> Request {
    let id = path.rsplit('/').next().unwrap_or_default();
    patch(path, json!([{ "op": "replace", "value": { "id": id, "displayName": display_name } }]))
}

/// O-MG: a membership delta in one PATCH: `removed` by a filtered path, then `added` as `{value, display}`
/// (O-Q13).
pub fn membership_delta(path: &str, removed: Option<&str>, added: &[(String, String)]) -> Request {
    let mut operations = Vec::new();
    if let Some(id) = removed {
        operations.push(json!({ "op": "remove", "path": format!("members[value eq \"{id}\"]") }));
    }
    let members: Vec<Value> = added.iter().map(|(id, login)| json!({ "value": id, "display": login })).collect();
    operations.push(json!({ "op": "add", "path": "members", "value": members }));
    patch(path, Value::Array(operations))
}

/// One worker: its group, then user after user through the cycle, until the run is over.
pub(super) async fn worker(shared: Arc<Shared>, worker: usize) -> Option<()> {
    let group_name = format!("{}-load-g{worker}", shared.prefix);
    let mut group: Option<String> = None;
    // Users assigned since the last push (id, login), and the group's members, oldest first.
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut members: VecDeque<String> = VecDeque::new();
    for n in 0u64.. {
        let lookup = (Operation::OktaLookupGroup, lookup_group(&group_name));
        shared.ensure_group(&mut group, lookup, (Operation::OktaCreateGroup, create_group(&group_name))).await?;
        let login = format!("{}-load-u{worker}-{n}@example.com", shared.prefix);
        shared.send(Operation::OktaQueryUser, query_user(&login)).await?;
        let Some(user) = shared.create(Operation::OktaCreateUser, create_user(&login, n), "/Users").await else {
            // Not created (refused, throttled): Okta retries the assignment later; this cycle moves on.
            if shared.over() {
                return None;
            }
            continue;
        };
        let got = shared.send(Operation::OktaGetUser, get_user(&user)).await?;
        let meta = got.json().filter(|_| got.status == Some(200)).and_then(|v| v.get("meta").cloned());
        shared.send(Operation::OktaUpdateUser, update_user(&user, &login, n, meta)).await?;
        pending.push((user.rsplit('/').next().unwrap_or_default().to_string(), login));
        if pending.len() >= MEMBER_BATCH
            && let Some(g) = &group
        {
            shared.send(Operation::OktaRenameGroup, rename_group(g, &group_name)).await?;
            let removed = members.pop_front();
            shared.send(Operation::OktaMembershipDelta, membership_delta(g, removed.as_deref(), &pending)).await?;
            members.extend(pending.drain(..).map(|(id, _)| id));
        }
        shared.send(Operation::OktaDisableUser, disable_user(&user)).await?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Request) -> Value {
        serde_json::from_slice(r.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn requests_carry_oktas_headers_and_bodies() {
        let create = create_user("a@example.com", 3);
        assert_eq!(create.content_type.as_deref(), Some("application/json"));
        assert!(create.headers.contains(&("User-Agent".into(), USER_AGENT.into())));
        let b = body(&create);
        assert_eq!((b["groups"].clone(), b["password"].clone()), (json!([]), json!(PASSWORD)));
        let put = body(&update_user("/Users/abc", "a@example.com", 3, Some(json!({ "resourceType": "User" }))));
        assert_eq!((put["id"].clone(), put["meta"]["resourceType"].clone()), (json!("abc"), json!("User")));
        let delta = body(&membership_delta("/Groups/g", Some("u1"), &[("u2".into(), "b@example.com".into())]));
        assert_eq!(delta["Operations"][0], json!({ "op": "remove", "path": "members[value eq \"u1\"]" }));
        assert_eq!(delta["Operations"][1]["value"], json!([{ "value": "u2", "display": "b@example.com" }]));
        let first = body(&membership_delta("/Groups/g", None, &[("u2".into(), "b".into())]));
        assert_eq!(first["Operations"].as_array().unwrap().len(), 1, "nothing to remove in the first push");
        assert_eq!(body(&rename_group("/Groups/g7", "team"))["Operations"][0]["value"]["id"], "g7");
        let lookup = query_user("a@b");
        let query: Vec<&str> = lookup.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(query, ["filter", "startIndex", "count"]);
    }
}
