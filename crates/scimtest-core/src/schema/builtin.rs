//! The built-in schemas: our transcription of RFC 7643 §8.7.1 and §8.6 under `fixtures/schemas/`,
//! compiled into the binary, plus the common attributes of RFC 7643 §3.1.

use std::sync::OnceLock;

use super::{Attribute, AttributeType, Mutability, ResourceSchema, Returned, Schema, Uniqueness, discover};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

const SCHEMA_FILES: [(&str, &str); 3] = [
    ("fixtures/schemas/user.json", include_str!("../../../../fixtures/schemas/user.json")),
    ("fixtures/schemas/enterprise_user.json", include_str!("../../../../fixtures/schemas/enterprise_user.json")),
    ("fixtures/schemas/group.json", include_str!("../../../../fixtures/schemas/group.json")),
];
const RESOURCE_TYPES_FILE: &str = include_str!("../../../../fixtures/schemas/resource_types.json");

/// The built-in schemas as the JSON documents they were read from (RFC 7643 §7 representation).
pub fn builtin_schema_documents() -> Vec<serde_json::Value> {
    SCHEMA_FILES.iter().map(|(_, text)| serde_json::from_str(text).expect("built-in schema is JSON")).collect()
}

/// The built-in resource types as JSON documents (RFC 7643 §6 representation).
pub fn builtin_resource_type_documents() -> Vec<serde_json::Value> {
    match serde_json::from_str(RESOURCE_TYPES_FILE).expect("built-in resource types are JSON") {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    }
}

/// The User, Enterprise User and Group schemas.
pub fn builtin_schemas() -> &'static [Schema] {
    static SCHEMAS: OnceLock<Vec<Schema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        SCHEMA_FILES
            .iter()
            .flat_map(|(file, text)| {
                let json: serde_json::Value =
                    serde_json::from_str(text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
                let (schemas, issues) = discover::parse_schemas(&json);
                // The files are ours and tested; an issue here is a build defect, not user input.
                assert!(issues.is_empty(), "{file}: {issues:?}");
                schemas
            })
            .collect()
    })
}

/// The User (with the Enterprise User extension) and Group resource types, assembled.
pub fn builtin_resource_types() -> &'static [ResourceSchema] {
    static TYPES: OnceLock<Vec<ResourceSchema>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let json: serde_json::Value =
            serde_json::from_str(RESOURCE_TYPES_FILE).expect("fixtures/schemas/resource_types.json is not JSON");
        let (types, issues) = discover::parse_resource_types(&json);
        assert!(issues.is_empty(), "resource_types.json: {issues:?}");
        let (assembled, issues) = ResourceSchema::assemble(&types, builtin_schemas());
        assert!(issues.is_empty(), "resource_types.json: {issues:?}");
        assembled
    })
}

impl ResourceSchema {
    /// The built-in User resource type (core User + Enterprise User extension).
    pub fn user() -> &'static ResourceSchema {
        Self::builtin(USER)
    }

    /// The built-in Group resource type.
    pub fn group() -> &'static ResourceSchema {
        Self::builtin(GROUP)
    }

    fn builtin(core: &str) -> &'static ResourceSchema {
        builtin_resource_types().iter().find(|r| r.core.id == core).expect("built-in resource type")
    }

    /// The built-in resource type whose name (`User`, `Group`), endpoint or core schema URN is `key`.
    pub fn builtin_named(key: &str) -> Option<&'static ResourceSchema> {
        let key = key.trim_start_matches('/');
        builtin_resource_types().iter().find(|r| r.matches(key))
    }

    /// Whether `key` names this resource type: its id, name, endpoint (with or without `/`) or core URN.
    pub fn matches(&self, key: &str) -> bool {
        let key = key.trim_start_matches('/');
        let rt = &self.resource_type;
        [rt.id.as_str(), rt.name.as_str(), rt.endpoint.trim_start_matches('/'), rt.schema.as_str()]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    }
}

/// The common attributes of RFC 7643 §3.1 (`id`, `externalId`, `meta`) and the `schemas` attribute of
/// §3. They are part of every resource but of no schema's `attributes` list.
pub fn common_attributes() -> Vec<Attribute> {
    use AttributeType as T;
    let id = Attribute {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        description: "Unique identifier for the resource, assigned by the service provider.".into(),
        ..Attribute::new("id", T::String)
    };
    let external_id = Attribute {
        case_exact: true,
        description: "Identifier of the resource as defined by the provisioning client.".into(),
        ..Attribute::new("externalId", T::String)
    };
    let read_only = |name: &str, ty: AttributeType, case_exact: bool, description: &str| Attribute {
        case_exact,
        mutability: Mutability::ReadOnly,
        description: description.into(),
        ..Attribute::new(name, ty)
    };
    let location = Attribute {
        reference_types: vec!["uri".into()],
        ..read_only("location", T::Reference, true, "URI of the resource being returned.")
    };
    let meta = Attribute {
        mutability: Mutability::ReadOnly,
        description: "Resource metadata.".into(),
        sub_attributes: vec![
            read_only("resourceType", T::String, true, "Name of the resource type of the resource."),
            read_only("created", T::DateTime, false, "When the resource was added to the service provider."),
            read_only("lastModified", T::DateTime, false, "When the resource was last modified."),
            location,
            read_only("version", T::String, true, "Version (ETag) of the resource."),
        ],
        ..Attribute::new("meta", T::Complex)
    };
    let schemas = Attribute {
        multi_valued: true,
        required: true,
        case_exact: false,
        returned: Returned::Always,
        reference_types: vec!["uri".into()],
        description: "Schema URIs that define the attributes present in the resource.".into(),
        ..Attribute::new("schemas", T::Reference)
    };
    vec![id, external_id, meta, schemas]
}
