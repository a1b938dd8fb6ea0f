//! Discovery: what the server says it supports (/ServiceProviderConfig) and the schemas it declares
//! (/Schemas, /ResourceTypes), read leniently, with a note for what could not be read.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::client::{Client, Request};
use crate::schema::{ResourceSchema, builtin_resource_types, parse_resource_types, parse_schemas};
use crate::suite::Feature;

/// What discovery found.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    pub features: BTreeMap<Feature, bool>,
    pub schemas: Vec<ResourceSchema>,
    /// Each published resource type's endpoint (`/Entitlements`), by its schema URN: `${endpoint:<URN>}`.
    pub endpoints: BTreeMap<String, String>,
    /// What could not be discovered, for the summary.
    pub notes: Vec<String>,
}

pub(super) async fn get_json(client: &Client, path: &str) -> Result<Value, String> {
    let ex = client.send(&Request::new(reqwest::Method::GET, path)).await;
    match (ex.status, ex.json()) {
        (Some(200), Some(v)) => Ok(v),
        (Some(s), _) => Err(format!("GET {path} answered {s}")),
        (None, _) => Err(format!("GET {path}: {}", ex.error.unwrap_or_default())),
    }
}

/// What a ServiceProviderConfig says of a feature, read leniently: `{"supported": true}`, `true`,
/// `"true"`, `{"supported": "True"}` and `1` all advertise it. `None` when it says nothing readable.
pub fn advertised(spc: &Value, key: &str) -> Option<bool> {
    let entry = spc.as_object().and_then(|o| crate::schema::get_ci(o, key)).map(|(_, v)| v)?;
    let flag = match entry {
        Value::Object(o) => crate::schema::get_ci(o, "supported").map(|(_, v)| v)?,
        other => other,
    };
    match flag {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
        _ => None,
    }
}

/// Reads `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`. What is missing or unreadable is noted
/// once and assumed supported: only an explicit "unsupported" skips a check, and the discovery checks
/// judge the documents themselves.
pub async fn discover(client: &Client) -> Discovered {
    let mut d = Discovered::default();
    match get_json(client, "/ServiceProviderConfig").await {
        Ok(spc) => {
            let mut unreadable = Vec::new();
            for feature in Feature::ALL.into_iter().filter(|f| f.from_spc()) {
                let supported = advertised(&spc, feature.as_str());
                if supported.is_none() {
                    unreadable.push(format!("`{}`", feature.as_str()));
                }
                d.features.insert(feature, supported.unwrap_or(true));
            }
            if !unreadable.is_empty() {
                d.notes.push(format!(
                    "ServiceProviderConfig says nothing readable about {}; taken as supported (the discovery \
                     checks judge the document)",
                    unreadable.join(", ")
                ));
            }
        }
        Err(e) => {
            d.notes.push(format!("{e}; every feature is assumed supported"));
            for f in Feature::ALL {
                d.features.insert(f, true);
            }
        }
    }
    let schemas = get_json(client, "/Schemas").await.map(|j| parse_schemas(&j));
    let types = get_json(client, "/ResourceTypes").await.map(|j| parse_resource_types(&j));
    // Endpoints by schema, also of a type whose schema /Schemas does not publish: OIG reads only the
    // resource types to find its catalogues (idp-behaviour.md §10.2).
    for rt in types.iter().flat_map(|(types, _)| types) {
        let endpoint = format!("/{}", rt.endpoint.trim_start_matches('/'));
        d.endpoints.entry(rt.schema.clone()).or_insert(endpoint);
    }
    match (schemas, types) {
        (Ok((schemas, s_issues)), Ok((types, t_issues))) if !schemas.is_empty() && !types.is_empty() => {
            let (assembled, a_issues) = ResourceSchema::assemble(&types, &schemas);
            for i in s_issues.iter().chain(&t_issues).chain(&a_issues).take(5) {
                d.notes.push(format!("discovery: {i}"));
            }
            d.schemas = assembled;
        }
        (s, t) => {
            for e in [s.err(), t.err()].into_iter().flatten() {
                d.notes.push(format!("{e}; the RFC 7643 schemas are assumed"));
            }
        }
    }
    if d.schemas.is_empty() {
        d.schemas = builtin_resource_types().to_vec();
    }
    let groups = d.schemas.iter().any(|s| s.matches("Group"));
    d.features.insert(Feature::Groups, groups);
    let enterprise = d
        .schemas
        .iter()
        .find(|s| s.matches("User"))
        .is_some_and(|u| u.extension(crate::schema::ENTERPRISE_USER).is_some());
    d.features.insert(Feature::Enterprise, enterprise);
    for feature in Feature::ALL {
        if let Some(urn) = feature.resource_schema() {
            let published = d.endpoints.keys().any(|s| s.eq_ignore_ascii_case(urn));
            d.features.insert(feature, published);
        }
    }
    let facts = client.auth_facts().await;
    for feature in Feature::ALL {
        if let Some(checkable) = feature.from_facts(&facts) {
            d.features.insert(feature, checkable);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_provider_config_is_read_leniently() {
        let spc = serde_json::json!({
            "patch": true, "bulk": {"supported": "true"}, "FILTER": {"supported": "False"},
            "sort": {"supported": 1}, "etag": {"supported": "maybe"}
        });
        assert_eq!(advertised(&spc, "patch"), Some(true));
        assert_eq!(advertised(&spc, "bulk"), Some(true));
        assert_eq!(advertised(&spc, "filter"), Some(false), "names are case-insensitive");
        assert_eq!(advertised(&spc, "sort"), Some(true));
        assert_eq!(advertised(&spc, "etag"), None, "unreadable: assumed supported by discover()");
        assert_eq!(advertised(&spc, "changePassword"), None);
    }
}
