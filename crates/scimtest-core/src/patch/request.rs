//! The PatchOp message (RFC 7644 §3.5.2), read leniently where a mode allows and exactly otherwise.

use std::fmt;

use serde_json::Value;

use super::error::{PatchError, ScimType};
use super::mode::PatchOptions;
use crate::filter::{ParseOptions, PathExpr, parse_path};
use crate::schema::get_ci;

pub use crate::message::PATCH_OP;

/// `add`, `remove` or `replace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One operation, its path parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    /// The path as written.
    pub path_text: Option<String>,
    pub path: Option<PathExpr>,
    pub value: Option<Value>,
}

/// A parsed PatchOp.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    pub operations: Vec<Operation>,
}

fn syntax(detail: impl Into<String>) -> PatchError {
    PatchError::new(ScimType::InvalidSyntax, detail)
}

impl PatchRequest {
    /// Reads a PatchOp message.
    pub fn from_json(json: &Value, options: &PatchOptions) -> Result<PatchRequest, PatchError> {
        let t = &options.tolerances;
        let Value::Object(body) = json else {
            return Err(syntax("a PATCH body is a JSON object with `schemas` and `Operations`"));
        };
        match get_ci(body, "schemas") {
            Some((_, Value::Array(s)))
                if s.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP))) => {}
            None if t.missing_schemas => {}
            None => {
                return Err(syntax(format!("`schemas` is missing: a PatchOp must have \"schemas\": [\"{PATCH_OP}\"]")));
            }
            Some(_) => return Err(syntax(format!("`schemas` must be [\"{PATCH_OP}\"]"))),
        }
        let ops = match get_ci(body, "Operations") {
            Some((_, Value::Array(ops))) if !ops.is_empty() => ops,
            Some((_, Value::Array(_))) => {
                return Err(syntax("`Operations` is empty: a PatchOp needs at least one operation"));
            }
            Some(_) => return Err(syntax("`Operations` must be an array of operations")),
            None => return Err(syntax("`Operations` is missing")),
        };
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| Operation::from_json(op, options).map_err(|e| e.in_operation(i)))
            .collect::<Result<_, _>>()?;
        Ok(PatchRequest { operations })
    }
}

impl Operation {
    fn from_json(json: &Value, options: &PatchOptions) -> Result<Operation, PatchError> {
        let Value::Object(o) = json else {
            return Err(syntax("an operation is an object with `op`, `path` and `value`"));
        };
        let op = match get_ci(o, "op") {
            Some((_, Value::String(s))) => {
                let kinds = [OpKind::Add, OpKind::Remove, OpKind::Replace];
                match kinds.into_iter().find(|k| k.as_str() == s) {
                    Some(k) => k,
                    None => match kinds.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(s)) {
                        Some(k) if options.tolerances.op_any_case => k,
                        Some(k) => {
                            return Err(syntax(format!(
                                "`\"op\": \"{s}\"`: RFC 7644 spells it \"{k}\" (the entra, okta and compat modes accept any case)"
                            )));
                        }
                        None => return Err(syntax(format!("`\"op\": \"{s}\"` is not add, remove or replace"))),
                    },
                }
            }
            Some(_) => return Err(syntax("`op` must be a string: add, remove or replace")),
            None => return Err(syntax("an operation needs `op`: add, remove or replace")),
        };
        let (path_text, path) = match get_ci(o, "path") {
            None | Some((_, Value::Null)) => (None, None),
            Some((_, Value::String(p))) => {
                let parse_options = ParseOptions::with_dialect(options.filter.dialect);
                let parsed = parse_path(p, &parse_options)
                    .map_err(|e| PatchError::new(ScimType::InvalidPath, format!("path `{p}`: {}", e.render(p))))?;
                (Some(p.clone()), Some(parsed))
            }
            Some(_) => return Err(PatchError::new(ScimType::InvalidPath, "`path` must be a string")),
        };
        let value = get_ci(o, "value").map(|(_, v)| v.clone());
        if op != OpKind::Remove && value.is_none() {
            return Err(syntax(format!("`{op}` needs a `value`")));
        }
        Ok(Operation { op, path_text, path, value })
    }
}
