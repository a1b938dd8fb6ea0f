//! A group PATCH that only adds or removes members named by id is applied to the members the server keeps
//! apart from the group's JSON (`Service::write_members`), so its cost does not grow with the group. Its
//! outcome must be the PATCH engine's. Here one group takes the generated operations as they are, and its
//! twin takes them plus a `replace` of its own unchanged displayName, which sends the request through the
//! engine. Both answer alike: the same status or error, the same members in the same order, the same
//! `groups` on every user, and versions that move together.

use proptest::prelude::*;
use proptest::sample::select;
use scimtest::server::{Kind, Members, ServerConfig, ServerMode, Service};
use serde_json::{Value, json};

use crate::strategies::config;

const BASE: &str = "http://scim.example.test/scim/v2";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USERS: usize = 6;

/// Who an operation names: a user, the nested group, the group itself, or an id nobody has.
#[derive(Debug, Clone, Copy)]
enum Who {
    User(usize),
    Nested,
    Itself,
    Nobody,
}

/// How a member is written: its `type`, if any, and whether with Entra's `"$ref": null` (E-Q4).
type Written = (Who, Option<&'static str>, bool);

#[derive(Debug, Clone)]
enum Op {
    /// `add` on `members`.
    Add(Vec<Written>),
    /// `remove` on `members[value eq "…"]`.
    RemoveFiltered(Who),
    /// `remove` on `members` with a value list (Entra E-Q3).
    RemoveListed(Vec<Who>),
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        6 => (0..USERS).prop_map(Who::User),
        1 => Just(Who::Nested),
        1 => Just(Who::Itself),
        1 => Just(Who::Nobody),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let stated = proptest::option::weighted(0.3, select(vec!["User", "Group", "user"]));
    prop_oneof![
        3 => proptest::collection::vec((who(), stated, any::<bool>()), 1..4).prop_map(Op::Add),
        2 => who().prop_map(Op::RemoveFiltered),
        2 => proptest::collection::vec(who(), 1..3).prop_map(Op::RemoveListed),
    ]
}

/// The users, the nested group, and the twins `A` and `B`, each created with `initial` as members.
struct World {
    service: Service,
    users: Vec<String>,
    nested: String,
    twins: [String; 2],
}

impl World {
    fn new(mode: ServerMode, initial: &[Who]) -> World {
        let service = Service::new(ServerConfig { mode, ..ServerConfig::default() });
        let users: Vec<String> = (0..USERS)
            .map(|i| create(&service, Kind::User, json!({"schemas": [USER], "userName": format!("member{i}")})))
            .collect();
        let nested = create(&service, Kind::Group, json!({"schemas": [GROUP], "displayName": "nested"}));
        let mut world = World { service, users, nested, twins: [String::new(), String::new()] };
        for (i, name) in ["A", "B"].into_iter().enumerate() {
            let members: Vec<Value> = initial
                .iter()
                .filter(|w| !matches!(w, Who::Itself | Who::Nobody))
                .map(|w| json!({"value": world.id(*w, "")}))
                .collect();
            let mut body = json!({"schemas": [GROUP], "displayName": name});
            if !members.is_empty() {
                body["members"] = Value::Array(members);
            }
            world.twins[i] = create(&world.service, Kind::Group, body);
        }
        world
    }

    fn id(&self, who: Who, itself: &str) -> String {
        match who {
            Who::User(i) => self.users[i].clone(),
            Who::Nested => self.nested.clone(),
            Who::Itself => itself.to_string(),
            Who::Nobody => "0000-nobody".to_string(),
        }
    }

    fn operations(&self, ops: &[Op], itself: &str) -> Vec<Value> {
        let listed = |items: Vec<Written>| -> Value {
            Value::Array(
                items
                    .into_iter()
                    .map(|(w, stated, null_ref)| {
                        let mut m = json!({"value": self.id(w, itself)});
                        if let Some(t) = stated {
                            m["type"] = json!(t);
                        }
                        if null_ref {
                            m["$ref"] = Value::Null;
                        }
                        m
                    })
                    .collect(),
            )
        };
        ops.iter()
            .map(|op| match op {
                Op::Add(items) => json!({"op": "add", "path": "members", "value": listed(items.clone())}),
                Op::RemoveFiltered(w) => {
                    json!({"op": "remove", "path": format!("members[value eq \"{}\"]", self.id(*w, itself))})
                }
                Op::RemoveListed(ws) => json!({
                    "op": "remove", "path": "members",
                    "value": listed(ws.iter().map(|w| (*w, None, false)).collect()),
                }),
            })
            .collect()
    }

    /// Status and members (or the error's status and scimType) of one PATCH.
    fn patch(&self, group: &str, operations: Vec<Value>) -> Result<Vec<Value>, (u16, Option<&'static str>)> {
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        match self.service.patch(Kind::Group, group, &body, None, BASE, Members::Shown) {
            Ok(r) => Ok(members_of(&r.json)),
            Err(e) => Err((e.status.as_u16(), e.scim_type)),
        }
    }

    /// The groups each user shows, as "A"/"B" (the twins' names), in order.
    fn users_groups(&self) -> Vec<Vec<String>> {
        self.users
            .iter()
            .map(|u| {
                let user = self.service.get(Kind::User, u, BASE, Members::Shown).expect("the user").json;
                user["groups"]
                    .as_array()
                    .map(|g| g.iter().map(|g| format!("{} {}", g["display"], g["type"])).collect())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn version(&self, group: &str) -> String {
        self.service.get(Kind::Group, group, BASE, Members::Shown).expect("the group").version
    }
}

/// Creates a resource; its id.
fn create(service: &Service, kind: Kind, body: Value) -> String {
    let created = service.create(kind, &body, BASE).expect("created");
    created.json["id"].as_str().expect("an id").to_string()
}

/// A group's members as `{value, type}`, without `$ref` (which names the group's own URL).
fn members_of(group: &Value) -> Vec<Value> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(|m| json!({"value": m["value"], "type": m["type"]})).collect())
        .unwrap_or_default()
}

/// The twin's members with its own id written as "itself", so the twins' answers compare.
fn relabel(result: Result<Vec<Value>, (u16, Option<&'static str>)>, itself: &str) -> String {
    format!("{result:?}").replace(itself, "itself")
}

fn twins_agree(mode: ServerMode, initial: &[Who], ops: &[Op]) -> Result<(), TestCaseError> {
    let world = World::new(mode, initial);
    let [a, b] = world.twins.clone();
    let (version_a, version_b) = (world.version(&a), world.version(&b));
    let apart = world.patch(&a, world.operations(ops, &a));
    let mut through_engine = world.operations(ops, &b);
    through_engine.push(json!({"op": "replace", "path": "displayName", "value": "B"}));
    let engine = world.patch(&b, through_engine);
    prop_assert_eq!(relabel(apart, &a), relabel(engine, &b), "the answers differ");
    let (get_a, get_b) = (
        world.service.get(Kind::Group, &a, BASE, Members::Shown).expect("A").json,
        world.service.get(Kind::Group, &b, BASE, Members::Shown).expect("B").json,
    );
    prop_assert_eq!(
        relabel(Ok(members_of(&get_a)), &a),
        relabel(Ok(members_of(&get_b)), &b),
        "the stored members differ"
    );
    let keys = |g: &Value| g.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    prop_assert_eq!(keys(&get_a), keys(&get_b), "the keys are in another order");
    prop_assert_eq!(
        world.version(&a) != version_a,
        world.version(&b) != version_b,
        "one version moved and not the other"
    );
    // Each user's `groups` lists A exactly where it lists B.
    for groups in world.users_groups() {
        let a_entries: Vec<_> = groups.iter().filter(|g| g.starts_with("\"A\"")).map(|g| &g[3..]).collect();
        let b_entries: Vec<_> = groups.iter().filter(|g| g.starts_with("\"B\"")).map(|g| &g[3..]).collect();
        prop_assert_eq!(a_entries, b_entries, "a user's groups differ");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn member_operations_apart_agree_with_the_engine_in_compat_mode(
        initial in proptest::collection::vec(who(), 0..5),
        ops in proptest::collection::vec(op(), 1..4),
    ) {
        twins_agree(ServerMode::Compat, &initial, &ops)?;
    }

    #[test]
    fn member_operations_apart_agree_with_the_engine_in_strict_mode(
        initial in proptest::collection::vec(who(), 0..5),
        ops in proptest::collection::vec(op(), 1..4),
    ) {
        twins_agree(ServerMode::Strict, &initial, &ops)?;
    }
}

/// The cycle the members apart exist for (Okta's O-MG, Entra's E-AM and E-RM): one member more and one
/// fewer, both where the engine puts them.
#[test]
fn adding_and_removing_one_member_keeps_the_order_the_engine_gives() {
    let world = World::new(ServerMode::Compat, &[Who::User(0), Who::User(1), Who::Nested, Who::User(2)]);
    let a = world.twins[0].clone();
    let ops = [Op::Add(vec![(Who::User(4), None, true)]), Op::RemoveFiltered(Who::User(1))];
    twins_agree(ServerMode::Compat, &[Who::User(0), Who::User(1), Who::Nested, Who::User(2)], &ops)
        .expect("the twins agree");
    // And the answer itself: members in the order written, the new one last, the removed one gone.
    let answer = world.patch(&a, world.operations(&ops, &a)).expect("200");
    let ids: Vec<&str> = answer.iter().map(|m| m["value"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, [&world.users[0], &world.nested, &world.users[2], &world.users[4]]);
    assert_eq!(answer[1]["type"], "Group");
}
