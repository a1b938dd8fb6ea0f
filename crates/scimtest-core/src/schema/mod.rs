//! RFC 7643 schemas: attribute characteristics (§2.2), schema and resource-type representations (§6, §7),
//! the built-in User, Enterprise User and Group schemas, and attribute lookup by SCIM path.
//!
//! The same types hold our own transcription (`fixtures/schemas/`) and whatever a server publishes under
//! `/Schemas` and `/ResourceTypes`: [`parse_schemas`] and [`parse_resource_types`] keep every usable
//! definition and report, with a JSON path, what was wrong with the rest.

mod builtin;
mod discover;

pub use builtin::{
    ENTERPRISE_USER, GROUP, USER, builtin_resource_type_documents, builtin_resource_types, builtin_schema_documents,
    builtin_schemas, common_attributes,
};
pub use discover::{SchemaIssue, parse_resource_types, parse_schemas};

use std::fmt;
use std::str::FromStr;

/// `type` of an attribute (RFC 7643 §2.3; `binary` per erratum 5606).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// `mutability` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// `returned` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// `uniqueness` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

macro_rules! keyword_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The RFC's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl FromStr for $ty {
            type Err = String;
            /// Case-insensitive: servers publish `readonly` and `ReadOnly` as well as `readOnly`.
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s.eq_ignore_ascii_case($text) { return Ok($ty::$variant); })+
                Err(format!(
                    "`{s}` is not one of {}",
                    [$($text),+].join(", ")
                ))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum!(AttributeType {
    String => "string", Boolean => "boolean", Decimal => "decimal", Integer => "integer",
    DateTime => "dateTime", Binary => "binary", Reference => "reference", Complex => "complex",
});
keyword_enum!(Mutability {
    ReadOnly => "readOnly", ReadWrite => "readWrite", Immutable => "immutable", WriteOnly => "writeOnly",
});
keyword_enum!(Returned { Always => "always", Never => "never", Default => "default", Request => "request" });
keyword_enum!(Uniqueness { None => "none", Server => "server", Global => "global" });

/// One attribute or sub-attribute definition with every RFC 7643 §2.2 characteristic.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: AttributeType,
    pub multi_valued: bool,
    pub description: String,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: Vec<String>,
    pub reference_types: Vec<String>,
    pub sub_attributes: Vec<Attribute>,
}

impl Attribute {
    /// An attribute with the RFC 7643 §2.2 defaults: a single-valued, optional, case-insensitive,
    /// readWrite string returned by default, with no uniqueness.
    pub fn new(name: impl Into<String>, ty: AttributeType) -> Self {
        Attribute {
            name: name.into(),
            ty,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// The sub-attribute called `name` (case-insensitive, RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&Attribute> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn is_complex(&self) -> bool {
        self.ty == AttributeType::Complex
    }
}

/// A schema (RFC 7643 §7): a URN and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub id: String,
    pub name: String,
    pub description: String,
    pub attributes: Vec<Attribute>,
}

impl Schema {
    /// The top-level attribute called `name` (case-insensitive).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A `schemaExtensions` entry of a resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaExtension {
    pub schema: String,
    pub required: bool,
}

/// A resource type (RFC 7643 §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    pub description: String,
    pub schema: String,
    pub schema_extensions: Vec<SchemaExtension>,
}

/// Everything needed to interpret one kind of resource: its core schema, its extensions and the
/// common attributes (`id`, `externalId`, `meta`, `schemas`) of RFC 7643 §3.1.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    pub resource_type: ResourceType,
    pub core: Schema,
    pub extensions: Vec<(Schema, bool)>,
    pub common: Vec<Attribute>,
}

/// Where an attribute definition lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Owner<'a> {
    /// A common attribute (`id`, `externalId`, `meta`, `schemas`): top level of the resource.
    Common,
    /// The core schema: top level of the resource.
    Core(&'a Schema),
    /// An extension: under the extension's URN key.
    Extension(&'a Schema),
}

impl<'a> Owner<'a> {
    /// The URN key the attribute's value sits under, or `None` for top level.
    pub fn container(self) -> Option<&'a str> {
        match self {
            Owner::Extension(s) => Some(&s.id),
            _ => None,
        }
    }
}

/// An attribute found by [`ResourceSchema::resolve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    pub owner: Owner<'a>,
    pub attribute: &'a Attribute,
    /// The sub-attribute, when the path names one.
    pub sub_attribute: Option<&'a Attribute>,
}

impl<'a> Resolved<'a> {
    /// The innermost definition: the sub-attribute if any, else the attribute.
    pub fn target(&self) -> &'a Attribute {
        self.sub_attribute.unwrap_or(self.attribute)
    }
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no schema `{0}` on this resource type")]
    UnknownSchema(String),
    #[error("no attribute `{name}` in {schema}")]
    UnknownAttribute { schema: String, name: String },
    #[error("`{attribute}` has no sub-attribute `{sub}`")]
    UnknownSubAttribute { attribute: String, sub: String },
}

impl ResourceSchema {
    /// The schema behind `urn` among the core and the extensions (case-insensitive).
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        if self.core.id.eq_ignore_ascii_case(urn) {
            return Some(&self.core);
        }
        self.extension(urn)
    }

    /// The extension schema behind `urn` (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions.iter().map(|(s, _)| s).find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// All schema URNs of this resource type, core first.
    pub fn schema_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.core.id.as_str()).chain(self.extensions.iter().map(|(s, _)| s.id.as_str()))
    }

    /// Finds `[uri:]name[.sub]`. Without a URI, common attributes are tried first, then the core
    /// schema; extension attributes must be qualified with their URN (RFC 7644 §3.10).
    pub fn resolve(&self, uri: Option<&str>, name: &str, sub: Option<&str>) -> Result<Resolved<'_>, ResolveError> {
        // `urn:…:core:2.0:User:id`: the common attributes belong to every core schema's resources.
        let core_uri = uri.filter(|u| u.eq_ignore_ascii_case(&self.core.id));
        let uri = if core_uri.is_some() && self.common.iter().any(|a| a.name.eq_ignore_ascii_case(name)) {
            None
        } else {
            uri
        };
        let (owner, attribute) = match uri {
            Some(uri) => {
                let schema = self.schema(uri).ok_or_else(|| ResolveError::UnknownSchema(uri.to_string()))?;
                let owner =
                    if std::ptr::eq(schema, &self.core) { Owner::Core(schema) } else { Owner::Extension(schema) };
                let attr = schema.attribute(name).ok_or_else(|| ResolveError::UnknownAttribute {
                    schema: schema.id.clone(),
                    name: name.to_string(),
                })?;
                (owner, attr)
            }
            None => {
                if let Some(attr) = self.common.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
                    (Owner::Common, attr)
                } else {
                    let attr = self.core.attribute(name).ok_or_else(|| ResolveError::UnknownAttribute {
                        schema: self.core.id.clone(),
                        name: name.to_string(),
                    })?;
                    (Owner::Core(&self.core), attr)
                }
            }
        };
        let sub_attribute = match sub {
            None => None,
            Some(sub) => Some(attribute.sub_attribute(sub).ok_or_else(|| ResolveError::UnknownSubAttribute {
                attribute: attribute.name.clone(),
                sub: sub.to_string(),
            })?),
        };
        Ok(Resolved { owner, attribute, sub_attribute })
    }
}

/// Splits `urn:…:attr` on the last colon; names without a `urn:` prefix are returned whole.
pub fn split_urn(qualified: &str) -> (Option<&str>, &str) {
    if qualified.len() > 4
        && qualified.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        && let Some(i) = qualified.rfind(':')
        && i >= 4
    {
        return (Some(&qualified[..i]), &qualified[i + 1..]);
    }
    (None, qualified)
}

/// Case-insensitive lookup of a key in a JSON object (RFC 7643 §2.1: attribute names are
/// case-insensitive), returning the key as stored.
pub fn get_ci<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<(&'a String, &'a serde_json::Value)> {
    object.get_key_value(name).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests;
