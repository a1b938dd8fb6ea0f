//! The SCIM protocol messages (RFC 7644 §3): their schema URNs, and the Error body (§3.12). One home for
//! the server that sends them, the runner that checks them and the PATCH engine that reports in them.

use serde::{Deserialize, Serialize};

/// RFC 7644 §3.12: an error answer.
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// RFC 7644 §3.4.2: a query's answer.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// RFC 7644 §3.4.3: a query sent as `POST …/.search`.
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// RFC 7644 §3.5.2: a PATCH request.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// RFC 7644 §3.7: a bulk request.
pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// RFC 7644 §3.7: a bulk answer.
pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// A SCIM Error body (RFC 7644 §3.12). `status` is the HTTP status code as a string, as the RFC requires;
/// `scimType` only where §3.12 defines one for the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub schemas: Vec<String>,
    pub status: String,
    #[serde(rename = "scimType", default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorBody {
    /// The body of an error answer with HTTP status `status`.
    pub fn new(status: u16, scim_type: Option<&str>, detail: impl Into<String>) -> Self {
        ErrorBody {
            schemas: vec![ERROR.to_string()],
            status: status.to_string(),
            scim_type: scim_type.map(str::to_string),
            detail: Some(detail.into()),
        }
    }

    /// The body as JSON, keys in the RFC's order: `schemas`, `status`, `scimType`, `detail`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an ErrorBody is plain strings and serializes")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_body_has_the_rfc_shape() {
        let body = ErrorBody::new(409, Some("uniqueness"), "userName is taken").to_json();
        assert_eq!(
            body.to_string(),
            json!({"schemas": [ERROR], "status": "409", "scimType": "uniqueness", "detail": "userName is taken"})
                .to_string()
        );
        let no_type = ErrorBody::new(404, None, "no such user").to_json();
        assert!(no_type.get("scimType").is_none(), "{no_type}");
        assert_eq!(no_type["status"], json!("404"), "status is a string (RFC 7644 §3.12)");
    }

    #[test]
    fn error_body_reads_back_what_it_writes() {
        let body = ErrorBody::new(400, Some("invalidFilter"), "unexpected end");
        assert_eq!(serde_json::from_value::<ErrorBody>(body.to_json()).unwrap(), body);
        let minimal: ErrorBody = serde_json::from_value(json!({"schemas": [ERROR], "status": "500"})).unwrap();
        assert_eq!((minimal.scim_type, minimal.detail), (None, None));
    }
}
