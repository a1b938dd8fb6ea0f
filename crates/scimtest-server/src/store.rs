//! The store: Users and Groups as compact JSON text in insertion order, the indexes the identity
//! providers filter on (userName, displayName, externalId, emails, memberships), uniqueness, and the one
//! lock under which an operation checks and writes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::service::Kind;
use crate::schema::get_ci;

#[cfg(doc)]
use super::behaviour::Behaviour;

/// The data, its lock, and the sources of ids and versions.
pub(super) struct Store {
    data: RwLock<Data>,
    versions: AtomicU64,
    ids: AtomicU64,
    id_seed: RandomState,
}

impl Store {
    pub(super) fn new(keys: Keys) -> Store {
        Store {
            data: RwLock::new(Data::new(keys)),
            versions: AtomicU64::new(1),
            ids: AtomicU64::new(1),
            id_seed: RandomState::new(),
        }
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, Data> {
        self.data.read().expect("store lock")
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, Data> {
        self.data.write().expect("store lock")
    }

    /// A fresh id, shaped like a UUID.
    pub(super) fn new_id(&self) -> String {
        let n = self.ids.fetch_add(1, AtomicOrdering::Relaxed);
        let a = self.id_seed.hash_one((n, 1u8));
        let b = self.id_seed.hash_one((n, 2u8));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    pub(super) fn next_version(&self) -> u64 {
        self.versions.fetch_add(1, AtomicOrdering::Relaxed)
    }
}

/// How the uniqueness index keys userNames, as [`Behaviour`] decides.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys {
    /// [`Behaviour::user_name_case_exact`].
    pub(super) user_name_case_exact: bool,
    /// [`Behaviour::user_names_unique`].
    pub(super) user_names_unique: bool,
}

#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) seq: u64,
    pub(super) version: u64,
    /// The representation as compact JSON text: about a sixth of the memory of a `serde_json::Value`
    /// tree, which is what lets 100,000 users fit the server's memory budget. Parsed when read. A group's
    /// members are kept apart ([`Stored::members`]) when they are all in the stored form.
    text: Box<str>,
    /// A group's members, when they are apart from [`Stored::text`].
    pub(super) members: Option<MemberList>,
    /// Only kept under the `return-password` fault: a correct server never hands it back.
    pub(super) password: Option<Value>,
    /// A group's displayName, so a member's `groups` is rendered without parsing the group's members.
    pub(super) name: Option<Box<str>>,
}

#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) by_id: HashMap<String, Stored>,
    pub(super) order: BTreeMap<u64, String>,
}

/// The ids under one index key: a short list (one id, for unique attributes), far smaller than a set.
#[derive(Debug, Clone, Default)]
pub(super) struct Ids(Vec<String>);

impl Ids {
    pub(super) fn add(&mut self, id: &str) {
        if !self.0.iter().any(|x| x == id) {
            self.0.push(id.to_string());
        }
    }

    pub(super) fn remove_id(&mut self, id: &str) {
        self.0.retain(|x| x != id);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

impl IntoIterator for Ids {
    type Item = String;
    type IntoIter = std::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[derive(Debug)]
pub(super) struct Data {
    keys: Keys,
    pub(super) next_seq: u64,
    pub(super) users: Table,
    pub(super) groups: Table,
    /// userName keys (see [`Keys`]) → user ids; ordered, so a `sw` filter reads a range.
    pub(super) user_names: BTreeMap<String, Ids>,
    /// Folded displayName → group ids.
    pub(super) group_names: BTreeMap<String, Ids>,
    /// (kind, externalId) → ids.
    pub(super) external_ids: HashMap<(Kind, String), Ids>,
    /// Folded email value → user ids.
    pub(super) emails: BTreeMap<String, Ids>,
    /// Member id → the groups it is a direct member of.
    pub(super) memberships: HashMap<String, Ids>,
    /// What was deleted but stays listed ([`Behaviour::deleted_stay_listed`]).
    pub(super) ghosts: Vec<(Kind, Stored)>,
}

impl Data {
    pub(super) fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    pub(super) fn table_mut(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    pub(super) fn kind_of(&self, id: &str) -> Option<Kind> {
        if self.users.by_id.contains_key(id) {
            Some(Kind::User)
        } else if self.groups.by_id.contains_key(id) {
            Some(Kind::Group)
        } else {
            None
        }
    }

    fn new(keys: Keys) -> Data {
        Data {
            keys,
            next_seq: 0,
            users: Table::default(),
            groups: Table::default(),
            user_names: BTreeMap::new(),
            group_names: BTreeMap::new(),
            external_ids: HashMap::new(),
            emails: BTreeMap::new(),
            memberships: HashMap::new(),
            ghosts: Vec::new(),
        }
    }

    /// The ids of the users whose userName starts with `prefix`, in key order, when the index can answer
    /// that: its keys are folded exactly when the filter compares case-insensitively (`case_exact`, from
    /// the schema), and both fold with `str::to_lowercase`, as the core's `sw` does.
    pub(super) fn user_names_starting(&self, prefix: &str, case_exact: bool) -> Option<Vec<&String>> {
        if case_exact != self.keys.user_name_case_exact {
            return None;
        }
        let key = self.user_name_key(prefix);
        Some(
            self.user_names
                .range::<str, _>((std::ops::Bound::Included(key.as_str()), std::ops::Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(key.as_str()))
                .flat_map(|(_, ids)| ids.iter())
                .collect(),
        )
    }

    /// The index key of a userName: folded, unless userNames compare exactly.
    pub(super) fn user_name_key(&self, user_name: &str) -> String {
        if self.keys.user_name_case_exact { user_name.to_string() } else { fold(user_name) }
    }

    fn unique_key(&self, kind: Kind, json: &Value) -> Option<String> {
        let attr = match kind {
            Kind::User => "userName",
            Kind::Group => "displayName",
        };
        let v = str_at(json, attr)?;
        Some(if kind == Kind::User { self.user_name_key(v) } else { fold(v) })
    }

    /// 409 when another resource (not `except`) holds the userName or displayName of `json`.
    pub(super) fn check_unique(&self, kind: Kind, json: &Value, except: Option<&str>) -> Result<(), ScimError> {
        if kind == Kind::User && !self.keys.user_names_unique {
            return Ok(());
        }
        let Some(key) = self.unique_key(kind, json) else { return Ok(()) };
        let index = match kind {
            Kind::User => &self.user_names,
            Kind::Group => &self.group_names,
        };
        if index.get(&key).is_some_and(|ids| ids.iter().any(|id| Some(id.as_str()) != except)) {
            let attr = if kind == Kind::User { "userName" } else { "displayName" };
            return Err(ScimError::conflict(format!(
                "a {} with {attr} `{}` exists already ({attr} is unique and case-insensitive)",
                kind.name(),
                str_at(json, attr).unwrap_or_default()
            )));
        }
        Ok(())
    }

    /// Adds `json` (resource `id`) to the indexes, or removes it.
    pub(super) fn index(&mut self, kind: Kind, id: &str, json: &Value, add: bool) {
        let keys = self.index_keys(kind, json);
        self.edit_index(kind, id, keys, add);
    }

    /// Moves resource `id` in the indexes from `old` to `new`, touching only the keys that differ: a
    /// group's members are most of its keys, and one PATCH changes a few of them.
    pub(super) fn reindex(&mut self, kind: Kind, id: &str, old: &Value, new: &Value) {
        let (mut gone, mut came) = (self.index_keys(kind, old), self.index_keys(kind, new));
        if gone.unique == came.unique {
            gone.unique = None;
            came.unique = None;
        }
        if gone.external_id == came.external_id {
            gone.external_id = None;
            came.external_id = None;
        }
        let (old_emails, new_emails) = (gone.emails.clone(), came.emails.clone());
        gone.emails.retain(|e| !new_emails.contains(e));
        came.emails.retain(|e| !old_emails.contains(e));
        let old_members: HashSet<&str> = gone.members.iter().copied().collect();
        let new_members: HashSet<&str> = came.members.iter().copied().collect();
        gone.members.retain(|m| !new_members.contains(m));
        came.members.retain(|m| !old_members.contains(m));
        self.edit_index(kind, id, gone, false);
        self.edit_index(kind, id, came, true);
    }

    /// What the indexes hold for a representation.
    fn index_keys<'v>(&self, kind: Kind, json: &'v Value) -> IndexKeys<'v> {
        let emails = match json.get("emails") {
            Some(Value::Array(emails)) if kind == Kind::User => {
                emails.iter().filter_map(|e| str_at(e, "value")).map(fold).collect()
            }
            _ => Vec::new(),
        };
        let members = match json.get("members") {
            Some(Value::Array(members)) if kind == Kind::Group => {
                members.iter().filter_map(|m| str_at(m, "value")).collect()
            }
            _ => Vec::new(),
        };
        IndexKeys { unique: self.unique_key(kind, json), emails, external_id: str_at(json, "externalId"), members }
    }

    fn edit_index(&mut self, kind: Kind, id: &str, keys: IndexKeys<'_>, add: bool) {
        let edit = |map: &mut BTreeMap<String, Ids>, key: String| {
            if add {
                map.entry(key).or_default().add(id);
            } else if let Some(set) = map.get_mut(&key) {
                set.remove_id(id);
                if set.is_empty() {
                    map.remove(&key);
                }
            }
        };
        if let Some(key) = keys.unique {
            match kind {
                Kind::User => edit(&mut self.user_names, key),
                Kind::Group => edit(&mut self.group_names, key),
            }
        }
        for e in keys.emails {
            edit(&mut self.emails, e);
        }
        if let Some(x) = keys.external_id {
            let key = (kind, x.to_string());
            if add {
                self.external_ids.entry(key).or_default().add(id);
            } else if let Some(set) = self.external_ids.get_mut(&key) {
                set.remove_id(id);
                if set.is_empty() {
                    self.external_ids.remove(&key);
                }
            }
        }
        for v in keys.members {
            self.edit_membership(v, id, add);
        }
    }

    /// Records in the membership index that `member` is a direct member of `group`, or no longer is.
    pub(super) fn edit_membership(&mut self, member: &str, group: &str, add: bool) {
        if add {
            self.memberships.entry(member.to_string()).or_default().add(group);
        } else if let Some(set) = self.memberships.get_mut(member) {
            set.remove_id(group);
            if set.is_empty() {
                self.memberships.remove(member);
            }
        }
    }
}

/// The index keys of one representation ([`Data::index_keys`]).
struct IndexKeys<'v> {
    /// userName or displayName, as the uniqueness index keys it.
    unique: Option<String>,
    /// Folded email values (users).
    emails: Vec<String>,
    external_id: Option<&'v str>,
    /// Member ids (groups).
    members: Vec<&'v str>,
}

/// A group's members apart from its text, so that a PATCH adding or removing a few members of a large group
/// costs what those few cost rather than parsing, checking and writing every member (`Service::write_members`).
#[derive(Debug, Clone)]
pub(super) struct MemberList {
    /// Where `members` stands among the group's keys: the representation reads back in the order written.
    pub(super) at: usize,
    /// Member id → its resource type, in the order the members were added.
    pub(super) ids: IndexMap<Box<str>, Kind>,
}

impl MemberList {
    /// The stored form of each member, `{"value": id, "type": "User"}`, as `Service::check_members` writes it.
    pub(super) fn json(&self) -> Value {
        Value::Array(self.ids.iter().map(|(id, kind)| Value::Object(member_json(id, *kind, 2))).collect())
    }
}

/// `{"value": id, "type": kind}`, with room for `capacity` keys.
pub(super) fn member_json(id: &str, kind: Kind, capacity: usize) -> Map<String, Value> {
    let mut m = Map::with_capacity(capacity);
    m.insert("value".into(), Value::String(id.to_string()));
    m.insert("type".into(), Value::String(kind.name().to_string()));
    m
}

impl Stored {
    /// A resource as it will be stored: its members apart when they can be (see [`MemberList`]).
    pub(super) fn new(seq: u64, version: u64, json: Value, password: Option<Value>, name: Option<Box<str>>) -> Stored {
        let mut stored = Stored { seq, version, text: Box::from(""), members: None, password, name };
        stored.set(json);
        stored
    }

    /// Replaces the representation.
    pub(super) fn set(&mut self, mut json: Value) {
        self.members = split_members(&mut json);
        self.text = compact(&json);
    }

    /// Replaces the representation without its members, and the members kept apart.
    pub(super) fn set_apart(&mut self, json: Value, members: Option<MemberList>) {
        self.text = compact(&json);
        self.members = members;
    }

    /// The representation, members included.
    pub(super) fn json(&self) -> Value {
        let mut json = self.json_apart();
        if let (Some(list), Some(o)) = (&self.members, json.as_object_mut()) {
            o.shift_insert(list.at.min(o.len()), "members".into(), list.json());
        }
        json
    }

    /// The representation without the members kept apart.
    pub(super) fn json_apart(&self) -> Value {
        serde_json::from_str(&self.text).expect("stored text is JSON we wrote")
    }
}

/// Takes a group's `members` out of `json` when every one is in the stored form (`value` then `type`, each a
/// string, `type` a resource type, no id twice); otherwise they stay in the text, exactly as written.
fn split_members(json: &mut Value) -> Option<MemberList> {
    let object = json.as_object_mut()?;
    let at = object.keys().position(|k| k == "members")?;
    let Some(Value::Array(members)) = object.get("members") else { return None };
    let mut ids = IndexMap::with_capacity(members.len());
    for m in members {
        let o = m.as_object().filter(|o| o.len() == 2)?;
        let mut keys = o.keys();
        if keys.next().map(String::as_str) != Some("value") || keys.next().map(String::as_str) != Some("type") {
            return None;
        }
        let id = o["value"].as_str()?;
        let kind = match o["type"].as_str()? {
            "User" => Kind::User,
            "Group" => Kind::Group,
            _ => return None,
        };
        if ids.insert(Box::from(id), kind).is_some() {
            return None;
        }
    }
    object.shift_remove("members");
    Some(MemberList { at, ids })
}

fn compact(json: &Value) -> Box<str> {
    serde_json::to_string(json).expect("JSON values serialize").into_boxed_str()
}

pub(super) fn fold(s: &str) -> String {
    s.to_lowercase()
}

pub(super) fn str_at<'v>(json: &'v Value, key: &str) -> Option<&'v str> {
    json.as_object().and_then(|o| get_ci(o, key)).and_then(|(_, v)| v.as_str())
}
