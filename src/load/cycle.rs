//! Entra's provisioning cycle as requests (idp-behaviour.md §1.0): per user E-QU (match) → E-CU (create) →
//! E-UU (attribute updates, one `Replace` per attribute) → E-DU (disable with the string `"False"`); per
//! worker one group, E-QG (match, members excluded) → E-CG (create), then E-AM (a batch of members in one
//! PATCH) and E-RM (one member removed) for every [`MEMBER_BATCH`] users.

use serde_json::{Value, json};

use crate::client::Request;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Users added to the group in one E-AM PATCH (Entra sends several members in one operation).
pub const MEMBER_BATCH: usize = 5;

/// One kind of request of the cycle, as the catalogue names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    QueryUser,
    CreateUser,
    UpdateUser,
    DisableUser,
    QueryGroup,
    CreateGroup,
    AddMembers,
    RemoveMember,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::QueryUser,
        Operation::CreateUser,
        Operation::UpdateUser,
        Operation::DisableUser,
        Operation::QueryGroup,
        Operation::CreateGroup,
        Operation::AddMembers,
        Operation::RemoveMember,
    ];

    /// The catalogue's id and the request line.
    pub fn label(self) -> &'static str {
        match self {
            Operation::QueryUser => "E-QU GET /Users?filter",
            Operation::CreateUser => "E-CU POST /Users",
            Operation::UpdateUser => "E-UU PATCH /Users/{id}",
            Operation::DisableUser => "E-DU PATCH /Users/{id} active",
            Operation::QueryGroup => "E-QG GET /Groups?filter",
            Operation::CreateGroup => "E-CG POST /Groups",
            Operation::AddMembers => "E-AM PATCH /Groups/{id} add",
            Operation::RemoveMember => "E-RM PATCH /Groups/{id} remove",
        }
    }

    /// The catalogue's id alone (`E-QU`), for the JSON report.
    pub fn id(self) -> &'static str {
        self.label().split(' ').next().unwrap_or_default()
    }
}

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
