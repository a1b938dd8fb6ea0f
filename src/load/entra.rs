//! Entra's provisioning cycle as requests (idp-behaviour.md §1.0): per user E-QU (match) → E-CU (create) →
//! E-UU (attribute updates, one `Replace` per attribute) → E-DU (disable with the string `"False"`); per
//! worker one group, E-QG (match, members excluded) → E-CG (create), then E-AM (a batch of members in one
//! PATCH) and E-RM (one member removed) for every [`MEMBER_BATCH`] users.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Shared;
use super::cycle::{MEMBER_BATCH, Operation};
use crate::client::Request;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn patch(path: &str, operations: Value) -> Request {
    Request::new(reqwest::Method::PATCH, path).json(&json!({ "schemas": [PATCH_OP], "Operations": operations }))
}

/// E-QU: the match by userName.
pub fn query_user(user_name: &str) -> Request {
    let mut r = Request::new(reqwest::Method::GET, "/Users");
    r.query = vec![("filter".into(), format!("userName eq \"{user_name}\""))];
    r
}

/// E-CU: the create Entra sends when nothing matched.
pub fn create_user(user_name: &str, n: u64) -> Request {
    Request::new(reqwest::Method::POST, "/Users").json(&json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": format!("{user_name}-ext"),
        "userName": user_name,
        "active": true,
        "displayName": format!("Load User {n}"),
        "emails": [{ "primary": true, "type": "work", "value": format!("{user_name}@example.com") }],
        "name": { "givenName": "Load", "familyName": format!("User{n}") },
        "meta": { "resourceType": "User" },
        "roles": [],
        ENTERPRISE: { "department": "Load" },
    }))
}

/// E-UU: one capitalised `Replace` per changed attribute, each with a path.
pub fn update_user(path: &str, user_name: &str) -> Request {
    patch(
        path,
        json!([
            { "op": "Replace", "path": "name.familyName", "value": "Updated" },
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": format!("{user_name}@example.org") },
        ]),
    )
}

/// E-DU: the disable, `active` as the string `"False"`.
pub fn disable_user(path: &str) -> Request {
    patch(path, json!([{ "op": "Replace", "path": "active", "value": "False" }]))
}

/// E-QG: the match by displayName, members excluded.
pub fn query_group(display_name: &str) -> Request {
    let mut r = Request::new(reqwest::Method::GET, "/Groups");
    r.query = vec![
        ("excludedAttributes".into(), "members".into()),
        ("filter".into(), format!("displayName eq \"{display_name}\"")),
    ];
    r
}

/// E-CG: the group create, no members.
pub fn create_group(display_name: &str) -> Request {
    Request::new(reqwest::Method::POST, "/Groups").json(&json!({
        "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": format!("{display_name}-ext"),
        "displayName": display_name,
        "meta": { "resourceType": "Group" },
    }))
}

/// E-AM: several members in one `Add`, `$ref` null as Entra writes it.
pub fn add_members(path: &str, ids: &[String]) -> Request {
    let members: Vec<Value> = ids.iter().map(|id| json!({ "$ref": null, "value": id })).collect();
    patch(path, json!([{ "op": "Add", "path": "members", "value": members }]))
}

/// E-RM: one member removed by a value list.
pub fn remove_member(path: &str, id: &str) -> Request {
    patch(path, json!([{ "op": "Remove", "path": "members", "value": [{ "value": id }] }]))
}

/// One worker: its group, then user after user through the cycle, until the run is over.
pub(super) async fn worker(shared: Arc<Shared>, worker: usize) -> Option<()> {
    let group_name = format!("{}-load-g{worker}", shared.prefix);
    let mut group: Option<String> = None;
    let mut pending: Vec<String> = Vec::new();
    for n in 0u64.. {
        let lookup = (Operation::EntraQueryGroup, query_group(&group_name));
        shared.ensure_group(&mut group, lookup, (Operation::EntraCreateGroup, create_group(&group_name))).await?;
        let user_name = format!("{}-load-u{worker}-{n}", shared.prefix);
        shared.send(Operation::EntraQueryUser, query_user(&user_name)).await?;
        let Some(user) = shared.create(Operation::EntraCreateUser, create_user(&user_name, n), "/Users").await else {
            // Not created (refused, throttled): Entra tries again in its next cycle; this one moves on.
            if shared.over() {
                return None;
            }
            continue;
        };
        shared.send(Operation::EntraUpdateUser, update_user(&user, &user_name)).await?;
        let id = user.rsplit('/').next().unwrap_or_default().to_string();
        pending.push(id);
        if pending.len() >= MEMBER_BATCH
            && let Some(g) = &group
        {
            shared.send(Operation::EntraAddMembers, add_members(g, &pending)).await?;
            shared.send(Operation::EntraRemoveMember, remove_member(g, &pending[0])).await?;
            pending.clear();
        }
        shared.send(Operation::EntraDisableUser, disable_user(&user)).await?;
    }
    None
}
