//! SCIM PATCH (RFC 7644 §3.5.2): the PatchOp message, paths, and an apply engine with named modes for
//! the points where the RFC and the identity providers disagree. The semantics, choice by choice, are in
//! `docs/patch-semantics.md`.

mod apply;
mod error;
mod mode;
mod request;

pub use apply::{Outcome, apply, apply_json};
pub use error::{PatchError, ScimType};
pub use mode::{Mode, PatchOptions, Tolerances};
pub use request::{OpKind, Operation, PATCH_OP, PatchRequest};

#[cfg(test)]
mod tests;
