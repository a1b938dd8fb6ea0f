//! SCIM errors as HTTP responses (RFC 7644 §3.12): every failure the server reports is one of these.

use axum::http::StatusCode;

use crate::message::ErrorBody;
use crate::patch::PatchError;

/// An error answer: the HTTP status, the `scimType` where RFC 7644 defines one, and a detail for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into() }
    }

    pub fn bad_request(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }

    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
    }

    /// The Error body. `status` is the HTTP status as a string, as RFC 7644 §3.12 requires; a fault can
    /// make it a number.
    pub fn body(&self, numeric_status: bool) -> serde_json::Value {
        let mut body = ErrorBody::new(self.status.as_u16(), self.scim_type, &self.detail).to_json();
        if numeric_status {
            body["status"] = serde_json::json!(self.status.as_u16());
        }
        body
    }
}

impl From<PatchError> for ScimError {
    fn from(e: PatchError) -> Self {
        ScimError::bad_request(e.scim_type.as_str(), e.to_string())
    }
}
