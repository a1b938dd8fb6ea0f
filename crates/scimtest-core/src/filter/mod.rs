//! SCIM filters (RFC 7644 §3.4.2.2): parse → tree → print → check against a schema → evaluate.
//!
//! The grammar, the dialects and the evaluation rules are written down in `docs/filter-grammar.md`.

mod ast;
mod error;
mod eval;
mod parse;
mod print;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, Test};
pub use error::FilterError;
pub use eval::{CompiledFilter, EvalOptions, UnknownAttributes, compile, compile_value_filter, evaluate};
pub use parse::{Dialect, ParseOptions, PathExpr, parse, parse_path, parse_with};
pub use print::{Case, Spelling};

#[cfg(test)]
mod tests;
