//! The pure SCIM core of scimtest: [`schema`], [`value`], [`filter`], [`patch`] and the SCIM [`message`]s
//! understand SCIM exactly and know nothing of HTTP, async runtimes or test frameworks (Cargo keeps it so:
//! the only dependencies are serde, serde_json and thiserror). The reference server (`scimtest-server`)
//! and the runner (`scimtest`) stand on it.

pub mod filter;
pub mod message;
pub mod patch;
pub mod schema;
pub mod value;
