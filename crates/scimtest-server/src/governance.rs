//! Okta Identity Governance (idp-behaviour.md §10.2): read-only catalogues of entitlements and roles,
//! published as resource types whose schemas are Okta's, so that OIG finds them through `/ResourceTypes`
//! whatever their endpoints are called. Users carry the assignments in their core `entitlements` and
//! `roles` attributes; nothing here stores them.

use serde_json::{Value, json};

/// The schema OIG looks for to find a catalogue of entitlements.
pub const ENTITLEMENT: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";
/// The schema OIG looks for to find a catalogue of roles.
pub const ROLE: &str = "urn:okta:scim:schemas:core:1.0:Role";

/// One catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Catalogue {
    Entitlements,
    Roles,
}

impl Catalogue {
    pub const ALL: [Catalogue; 2] = [Catalogue::Entitlements, Catalogue::Roles];

    /// The resource type's id and name.
    pub fn name(self) -> &'static str {
        match self {
            Catalogue::Entitlements => "Entitlement",
            Catalogue::Roles => "Role",
        }
    }

    /// The endpoint, without its `/`.
    pub fn endpoint(self) -> &'static str {
        match self {
            Catalogue::Entitlements => "Entitlements",
            Catalogue::Roles => "Roles",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Catalogue::Entitlements => ENTITLEMENT,
            Catalogue::Roles => ROLE,
        }
    }

    /// Every item, in a stable order, with `meta` (RFC 7643 §3.1).
    pub fn items(self, base: &str) -> Vec<Value> {
        let rows: &[(&str, &str, &str, &str)] = match self {
            Catalogue::Entitlements => &[
                ("ent-billing-admin", "Billing administrator", "permission", "Manages invoices and payment methods"),
                ("ent-billing-viewer", "Billing viewer", "permission", "Reads invoices"),
                ("ent-reports-export", "Report export", "permission", "Exports reports as CSV"),
                ("ent-api-access", "API access", "permission", "Creates API keys"),
                ("ent-license-pro", "Pro license", "license", "The Pro edition's features"),
                ("ent-license-basic", "Basic license", "license", "The Basic edition's features"),
                ("ent-workspace-eu", "EU workspace", "workspace", "Access to the EU workspace"),
            ],
            Catalogue::Roles => &[
                ("role-admin", "Administrator", "", "Every permission"),
                ("role-editor", "Editor", "", "Creates and edits content"),
                ("role-viewer", "Viewer", "", "Reads content"),
                ("role-auditor", "Auditor", "", "Reads the audit log"),
            ],
        };
        rows.iter()
            .map(|(id, display, ty, description)| {
                let mut item = json!({
                    "schemas": [self.schema()],
                    "id": id,
                    "displayName": display,
                    "description": description,
                    "meta": { "resourceType": self.name(), "location": format!("{base}/{}/{id}", self.endpoint()) },
                });
                if !ty.is_empty() {
                    item["type"] = json!(ty);
                }
                item
            })
            .collect()
    }

    /// The resource type document (RFC 7643 §6).
    pub fn resource_type(self) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name(),
            "name": self.name(),
            "endpoint": format!("/{}", self.endpoint()),
            "description": format!("Okta Identity Governance {}s (read-only)", self.name().to_lowercase()),
            "schema": self.schema(),
        })
    }

    /// The schema document (RFC 7643 §7): every attribute read-only, as the catalogue is.
    pub fn schema_document(self) -> Value {
        let attribute = |name: &str, required: bool, description: &str| {
            json!({
                "name": name, "type": "string", "multiValued": false, "description": description,
                "required": required, "caseExact": false, "mutability": "readOnly", "returned": "default",
                "uniqueness": "none"
            })
        };
        let mut attributes = vec![attribute("displayName", true, "A human-readable name, shown to administrators.")];
        if self == Catalogue::Entitlements {
            attributes.push(attribute("type", false, "The kind of entitlement, e.g. permission or license."));
        }
        attributes.push(attribute("description", false, "What it grants."));
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.schema(),
            "name": self.name(),
            "description": format!("Okta Identity Governance {}", self.name().to_lowercase()),
            "attributes": attributes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogues_read_as_resource_types_and_schemas() {
        for c in Catalogue::ALL {
            let (types, issues) = crate::schema::parse_resource_types(&json!([c.resource_type()]));
            assert!(issues.is_empty(), "{issues:?}");
            assert_eq!(types[0].schema, c.schema());
            let (schemas, issues) = crate::schema::parse_schemas(&json!([c.schema_document()]));
            assert!(issues.is_empty(), "{issues:?}");
            assert_eq!(schemas[0].id, c.schema());
            let items = c.items("http://x/scim/v2");
            assert!(items.len() >= 4 && items.iter().all(|i| i["id"].is_string() && i["displayName"].is_string()));
        }
    }
}
