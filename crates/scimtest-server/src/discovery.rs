//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`. What they advertise is
//! exactly what the server does.

use serde_json::{Value, json};

use super::governance::Catalogue;
use super::service::Service;
use crate::message::LIST_RESPONSE;
use crate::schema::{builtin_resource_type_documents, builtin_schema_documents};

/// The ServiceProviderConfig (RFC 7643 §5).
pub fn service_provider_config(service: &Service, base: &str) -> Value {
    let config = service.config();
    let mut spc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/scimtest/scimtest#readme",
        "patch": { "supported": true },
        "bulk": { "supported": true, "maxOperations": config.bulk_max_operations, "maxPayloadSize": config.bulk_max_payload },
        "filter": { "supported": true, "maxResults": config.max_results },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token (Authorization: Bearer <token>)",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    });
    if !service.behaviour().spc_feature_objects {
        for key in ["patch", "bulk", "filter", "changePassword", "sort", "etag"] {
            spc[key] = spc[key]["supported"].clone();
        }
    }
    spc
}

/// The resource types, with absolute locations.
pub fn resource_types(service: &Service, base: &str) -> Vec<Value> {
    let minimal = service.behaviour().minimal_user_schema;
    builtin_resource_type_documents()
        .into_iter()
        .map(|mut rt| {
            if minimal && rt["id"] == "User" {
                rt.as_object_mut().expect("object").shift_remove("schemaExtensions");
            } else if rt["id"] == "User"
                && let Some(Value::Array(extensions)) = rt.get_mut("schemaExtensions")
            {
                for ext in service.config().user_extensions.iter().filter_map(super::service::parse_extension) {
                    extensions.push(json!({ "schema": ext.id, "required": false }));
                }
            }
            let id = rt.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            rt["meta"] = json!({ "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}") });
            rt
        })
        .chain(governance(service).map(|c| {
            let mut rt = c.resource_type();
            rt["meta"] =
                json!({ "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{}", c.name()) });
            rt
        }))
        .collect()
}

/// The governance catalogues the server publishes (none when `ServerConfig::governance` is off).
fn governance(service: &Service) -> impl Iterator<Item = Catalogue> {
    Catalogue::ALL.into_iter().filter(|_| service.config().governance)
}

/// The schemas, with absolute locations.
pub fn schemas(service: &Service, base: &str) -> Vec<Value> {
    let minimal = service.behaviour().minimal_user_schema;
    let name_formatted = service.behaviour().name_formatted_required;
    let extensions =
        service.config().user_extensions.iter().filter(|d| super::service::parse_extension(d).is_some()).cloned();
    builtin_schema_documents()
        .into_iter()
        .filter(|s| !(minimal && s["id"] == crate::schema::ENTERPRISE_USER))
        .chain(extensions.filter(|_| !minimal))
        .chain(governance(service).map(Catalogue::schema_document))
        .map(|mut s| {
            if minimal
                && s["id"] == crate::schema::USER
                && let Some(Value::Array(attributes)) = s.get_mut("attributes")
            {
                attributes.retain(|a| a["name"] != "nickName");
            }
            if name_formatted
                && s["id"] == crate::schema::USER
                && let Some(Value::Array(attributes)) = s.get_mut("attributes")
            {
                for name in attributes.iter_mut().filter(|a| a["name"] == "name") {
                    name["required"] = json!(true);
                    for sub in name["subAttributes"].as_array_mut().into_iter().flatten() {
                        if sub["name"] == "formatted" {
                            sub["required"] = json!(true);
                        }
                    }
                }
            }
            if !service.behaviour().schemas_list_every_attribute
                && s["id"] == crate::schema::USER
                && let Some(Value::Array(attributes)) = s.get_mut("attributes")
            {
                attributes.retain(|a| a["name"] != "preferredLanguage" && a["name"] != "addresses");
            }
            let id = s.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            s["meta"] = json!({ "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") });
            s
        })
        .collect()
}

/// A ListResponse of every item (discovery lists are not paged).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    })
}
