//! SCIM value semantics shared by the filter evaluator, the PATCH engine and the test oracle:
//! caseExact-aware string comparison, chronological dateTime and numeric ordering, and a canonical form
//! of a resource for comparing two representations of it.

mod canonical;
mod datetime;

pub use canonical::{CanonicalOptions, canonicalize, diff};
pub use datetime::DateTime;

use std::cmp::Ordering;

use serde_json::{Number, Value};

use crate::schema::{Attribute, AttributeType};

/// Lower-cases for caseExact=false comparison (full Unicode lower-casing, not only ASCII).
fn fold(s: &str, case_exact: bool) -> std::borrow::Cow<'_, str> {
    if case_exact { s.into() } else { s.to_lowercase().into() }
}

fn folded_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// Equality under `caseExact`, without allocating (filters compare every resource of a list).
fn str_eq(a: &str, b: &str, case_exact: bool) -> bool {
    if case_exact || a == b {
        a == b
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        folded_chars(a).eq(folded_chars(b))
    }
}

/// Code-point order under `caseExact`, without allocating.
fn str_cmp(a: &str, b: &str, case_exact: bool) -> Ordering {
    if case_exact { a.cmp(b) } else { folded_chars(a).cmp(folded_chars(b)) }
}

/// Numeric comparison of two JSON numbers; integers compare exactly, anything else as f64.
pub fn compare_numbers(a: &Number, b: &Number) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    // Mixed signs beyond i64 (u64 vs negative i64) are decided by sign.
    if let (Some(_), Some(y)) = (a.as_u64(), b.as_i64())
        && y < 0
    {
        return Ordering::Greater;
    }
    if let (Some(x), Some(_)) = (a.as_i64(), b.as_u64())
        && x < 0
    {
        return Ordering::Less;
    }
    let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
}

/// Whether two values of attribute `attr` are equal under SCIM rules: strings by `caseExact`, dateTimes
/// as instants, numbers numerically, complex values sub-attribute by sub-attribute. Values whose JSON
/// type does not fit are unequal (never an error: data from a server may be anything).
pub fn equals(attr: &Attribute, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => match attr.ty {
            AttributeType::DateTime => match (DateTime::parse(x), DateTime::parse(y)) {
                (Some(p), Some(q)) => p == q,
                _ => x == y,
            },
            AttributeType::Binary => x == y,
            _ => str_eq(x, y, attr.case_exact),
        },
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Ordering::Equal,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Object(x), Value::Object(y)) => {
            let present = |o: &serde_json::Map<String, Value>| {
                o.iter().filter(|(_, v)| is_present(v)).map(|(k, _)| k.to_ascii_lowercase()).collect::<Vec<_>>()
            };
            let (mut kx, mut ky) = (present(x), present(y));
            kx.sort();
            ky.sort();
            kx == ky
                && x.iter().filter(|(_, v)| is_present(v)).all(|(k, v)| {
                    let sub = attr
                        .sub_attribute(k)
                        .cloned()
                        .unwrap_or_else(|| Attribute::new(k.clone(), AttributeType::String));
                    crate::schema::get_ci(y, k).is_some_and(|(_, w)| equals(&sub, v, w))
                })
        }
        (Value::Array(x), Value::Array(y)) => {
            // Multi-valued attributes are sets.
            x.iter().all(|v| y.iter().any(|w| equals(attr, v, w)))
                && y.iter().all(|w| x.iter().any(|v| equals(attr, v, w)))
        }
        _ => false,
    }
}

/// The order of two values of attribute `attr`, or `None` when they have no order: booleans, binary,
/// complex values, or JSON types that do not fit. Strings order by code point (after lower-casing when
/// caseExact is false); dateTimes chronologically; numbers numerically.
pub fn order(attr: &Attribute, a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => match attr.ty {
            AttributeType::Boolean | AttributeType::Binary | AttributeType::Complex => None,
            AttributeType::DateTime => match (DateTime::parse(x), DateTime::parse(y)) {
                (Some(p), Some(q)) => Some(p.cmp(&q)),
                _ => Some(x.cmp(y)),
            },
            AttributeType::Integer | AttributeType::Decimal => None,
            _ => Some(str_cmp(x, y, attr.case_exact)),
        },
        (Value::Number(x), Value::Number(y)) => match attr.ty {
            AttributeType::Integer | AttributeType::Decimal | AttributeType::String => Some(compare_numbers(x, y)),
            _ => None,
        },
        _ => None,
    }
}

/// The substring operators of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Substring {
    Contains,
    StartsWith,
    EndsWith,
}

/// `co`, `sw`, `ew` on string-like values, honouring `caseExact`. Non-strings never match.
pub fn substring(attr: &Attribute, op: Substring, haystack: &Value, needle: &Value) -> bool {
    let (Value::String(h), Value::String(n)) = (haystack, needle) else {
        return false;
    };
    let case_exact = attr.case_exact || attr.ty == AttributeType::Binary;
    let (h, n) = (fold(h, case_exact), fold(n, case_exact));
    match op {
        Substring::Contains => h.contains(n.as_ref()),
        Substring::StartsWith => h.starts_with(n.as_ref()),
        Substring::EndsWith => h.ends_with(n.as_ref()),
    }
}

/// Whether a value is assigned (RFC 7643 §2.5, RFC 7644 `pr`): not null, not `""`, not `[]`, and for a
/// complex value at least one present sub-attribute.
pub fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => o.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Whether a value holds nothing to store (RFC 7643 §2.5): null, or an array or object of nothing.
/// Unlike [`is_present`] (the filter's `pr`), `""` is a value here.
pub fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().all(is_unassigned),
        Value::Object(o) => o.values().all(is_unassigned),
        _ => false,
    }
}

/// Whether `v` has the JSON shape of a (single) value of type `ty`. dateTime must parse; complex must be
/// an object. Used to validate written values.
pub fn fits_type(ty: AttributeType, v: &Value) -> bool {
    match (ty, v) {
        (AttributeType::String | AttributeType::Reference | AttributeType::Binary, Value::String(_)) => true,
        (AttributeType::DateTime, Value::String(s)) => DateTime::parse(s).is_some(),
        (AttributeType::Boolean, Value::Bool(_)) => true,
        (AttributeType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (AttributeType::Decimal, Value::Number(_)) => true,
        (AttributeType::Complex, Value::Object(_)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
