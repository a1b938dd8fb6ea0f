//! PATCH errors: what RFC 7644 §3.12 calls them, and which operation caused them.

use std::fmt;

use crate::message::ErrorBody;

/// The `scimType` of a failed PATCH (RFC 7644 §3.12, Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    InvalidSyntax,
    InvalidPath,
    InvalidFilter,
    InvalidValue,
    NoTarget,
    Mutability,
}

impl ScimType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::InvalidValue => "invalidValue",
            ScimType::NoTarget => "noTarget",
            ScimType::Mutability => "mutability",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PATCH request that cannot be applied. Every PATCH error is HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: ScimType,
    pub detail: String,
    /// The index of the operation in `Operations`, when one is to blame.
    pub operation: Option<usize>,
}

impl PatchError {
    pub(crate) fn new(scim_type: ScimType, detail: impl Into<String>) -> Self {
        PatchError { scim_type, detail: detail.into(), operation: None }
    }

    pub(crate) fn in_operation(mut self, index: usize) -> Self {
        self.operation.get_or_insert(index);
        self
    }

    /// The HTTP status: always 400.
    pub fn status(&self) -> u16 {
        400
    }

    /// The error as a SCIM Error body (RFC 7644 §3.12): `status` is a string.
    pub fn to_scim_error(&self) -> serde_json::Value {
        ErrorBody::new(self.status(), Some(self.scim_type.as_str()), self.to_string()).to_json()
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(i) => write!(f, "Operations[{i}]: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for PatchError {}
