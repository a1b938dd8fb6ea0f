//! One-line assertions: `expect.json = ['userName == "${name:babs}"', 'emails length 3']` and
//! `expect.headers = ['ETag present']`. A line is a target, an operator and (for most operators) a JSON
//! value. A mistake is reported at the byte of the line where it is, with a fix.

use serde_json::Value;

use super::{HeaderCheck, HeaderPredicate, JsonCheck, JsonTarget, Predicate, closest};

/// The operators of a body assertion, as written.
pub const JSON_OPERATORS: [&str; 13] = [
    "==",
    "!=",
    "present",
    "absent",
    "contains",
    "same_items",
    "length",
    "type",
    "one_of",
    "not_before",
    "same_instant",
    "not_starts_with",
    "between",
];

/// The operators of a header assertion, as written.
pub const HEADER_OPERATORS: [&str; 4] = ["==", "contains", "present", "absent"];

/// The JSON types `type` accepts.
pub const TYPES: [&str; 7] = ["string", "number", "integer", "boolean", "array", "object", "null"];

/// A mistake in one assertion line: where in the line (a byte offset), what, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub offset: usize,
    pub message: String,
    pub fix: String,
}

fn error(offset: usize, message: impl Into<String>, fix: impl Into<String>) -> LineError {
    LineError { offset, message: message.into(), fix: fix.into() }
}

/// The pieces of a line: the target (up to the first blank outside `[...]` and quotes), the operator
/// and the rest, with their byte offsets.
struct Pieces<'a> {
    target: &'a str,
    operator: &'a str,
    operator_at: usize,
    value: &'a str,
    value_at: usize,
}

fn split(line: &str) -> Result<Pieces<'_>, LineError> {
    let start = line.len() - line.trim_start().len();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut end = line.len();
    for (i, c) in line[start..].char_indices() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 && !quoted => {
                end = start + i;
                break;
            }
            _ => {}
        }
    }
    let target = &line[start..end];
    if target.is_empty() {
        return Err(error(
            0,
            "an empty assertion",
            "write `<path or /pointer> <operator> [value]`, e.g. 'userName == \"babs\"'",
        ));
    }
    let rest = &line[end..];
    let operator_at = end + (rest.len() - rest.trim_start().len());
    let after = &line[operator_at..];
    let operator_len = after.find(char::is_whitespace).unwrap_or(after.len());
    let operator = &after[..operator_len];
    let tail = &after[operator_len..];
    let value_at = operator_at + operator_len + (tail.len() - tail.trim_start().len());
    Ok(Pieces { target, operator, operator_at, value: line[value_at..].trim_end(), value_at })
}

fn unknown_operator(p: &Pieces<'_>, known: &[&str]) -> LineError {
    let list = known;
    let hint = match closest(p.operator, list.iter().copied()).or_else(|| nearest_symbol(p.operator, list)) {
        Some(c) => format!(" — did you mean `{c}`?"),
        None => String::new(),
    };
    if p.operator.is_empty() {
        return error(p.operator_at, "the assertion has no operator", format!("add one of {}", list.join(", ")));
    }
    error(p.operator_at, format!("unknown operator `{}`{hint}", p.operator), format!("use one of {}", list.join(", ")))
}

/// Symbols are too short for Jaro-Winkler: `=`, `eq` and (a misspelt) `equals` mean `==`, `<>` `!=`.
fn nearest_symbol<'a>(op: &str, known: &[&'a str]) -> Option<&'a str> {
    let want = match op {
        "=" | "===" | "eq" => "==",
        "<>" | "!==" | "ne" => "!=",
        _ => match closest(op, ["equals", "not_equals"]) {
            Some("equals") => "==",
            Some(_) => "!=",
            None => return None,
        },
    };
    known.iter().copied().find(|k| *k == want)
}

fn no_value(p: &Pieces<'_>) -> Result<(), LineError> {
    if p.value.is_empty() {
        Ok(())
    } else {
        Err(error(
            p.value_at,
            format!("`{}` takes no value", p.operator),
            format!("end the line after `{}`", p.operator),
        ))
    }
}

fn json_value(p: &Pieces<'_>) -> Result<Value, LineError> {
    if p.value.is_empty() {
        return Err(error(
            p.value_at,
            format!("`{}` needs a value", p.operator),
            "write a JSON value after the operator: a string in double quotes, a number, true, false, null",
        ));
    }
    serde_json::from_str(p.value).map_err(|e| {
        let at = p.value_at + byte_of(p.value, e.line(), e.column());
        let bare = !p.value.starts_with(['"', '[', '{', '-']) && !p.value.starts_with(|c: char| c.is_ascii_digit());
        let fix = if bare {
            format!("strings are JSON: write \"{}\" in double quotes (and the TOML string in single quotes)", p.value)
        } else {
            "write the value as JSON".to_string()
        };
        error(at.min(p.value_at + p.value.len()), format!("the value is not JSON: {e}"), fix)
    })
}

/// The byte offset of serde_json's (line, column) inside `s`.
fn byte_of(s: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in s.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset + l.char_indices().nth(column.saturating_sub(1)).map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    0
}

/// Parses a body assertion; the target's path grammar is checked by the caller (which knows the
/// filter parser's options).
pub fn json_check(line: &str) -> Result<JsonCheck, LineError> {
    let p = split(line)?;
    let target = if p.target.starts_with('/') {
        JsonTarget::Pointer(p.target.to_string())
    } else {
        JsonTarget::Path(p.target.to_string())
    };
    let predicate = match p.operator {
        "==" => Predicate::Equals(json_value(&p)?),
        "!=" => Predicate::NotEquals(json_value(&p)?),
        "present" => no_value(&p).map(|()| Predicate::Present(true))?,
        "absent" => no_value(&p).map(|()| Predicate::Present(false))?,
        "contains" => Predicate::Contains(json_value(&p)?),
        "same_items" => Predicate::SameItems(json_value(&p)?),
        "not_before" => Predicate::NotBefore(json_value(&p)?),
        "same_instant" => Predicate::SameInstant(json_value(&p)?),
        "not_starts_with" => match json_value(&p)? {
            v @ Value::String(_) => Predicate::NotStartsWith(v),
            _ => {
                return Err(error(
                    p.value_at,
                    "not_starts_with needs a JSON string",
                    "e.g. 'userName not_starts_with \"${run}\"'",
                ));
            }
        },
        "length" => Predicate::Length(p.value.parse().map_err(|_| {
            error(p.value_at, format!("length needs a whole number, not `{}`", p.value), "e.g. 'emails length 2'")
        })?),
        "type" => {
            let t = p.value.trim_matches('"');
            if !TYPES.contains(&t) {
                let hint = closest(t, TYPES).map(|c| format!(" — did you mean `{c}`?")).unwrap_or_default();
                return Err(error(
                    p.value_at,
                    format!("unknown type `{}`{hint}", p.value),
                    format!("use one of {}", TYPES.join(", ")),
                ));
            }
            Predicate::Type(t.to_string())
        }
        "between" => match json_value(&p)? {
            Value::Array(a) if a.len() == 2 && a.iter().all(Value::is_number) => {
                Predicate::Between(a[0].clone(), a[1].clone())
            }
            _ => {
                return Err(error(
                    p.value_at,
                    "between needs a JSON array of two numbers, the least and the most allowed",
                    "e.g. '/expires_in between [3600, 21600]'",
                ));
            }
        },
        "one_of" => match json_value(&p)? {
            Value::Array(a) => Predicate::OneOf(a),
            _ => return Err(error(p.value_at, "one_of needs a JSON array", "e.g. 'status one_of [\"400\", 400]'")),
        },
        _ => return Err(unknown_operator(&p, &JSON_OPERATORS)),
    };
    Ok(JsonCheck { target, predicate })
}

/// The offset of the target inside the line (for path errors).
pub fn target_offset(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Parses a header assertion: `Location == "${user.meta.location}"`, `ETag present`.
pub fn header_check(line: &str) -> Result<HeaderCheck, LineError> {
    let p = split(line)?;
    let text = |p: &Pieces<'_>| -> Result<String, LineError> {
        match json_value(p)? {
            Value::String(s) => Ok(s),
            _ => Err(error(p.value_at, "a header value is a string", "write it in double quotes")),
        }
    };
    let predicate = match p.operator {
        "==" => HeaderPredicate::Equals(text(&p)?),
        "contains" => HeaderPredicate::Contains(text(&p)?),
        "present" => no_value(&p).map(|()| HeaderPredicate::Present(true))?,
        "absent" => no_value(&p).map(|()| HeaderPredicate::Present(false))?,
        _ => return Err(unknown_operator(&p, &HEADER_OPERATORS)),
    };
    Ok(HeaderCheck { name: p.target.to_string(), predicate })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_reads() {
        let cases: &[(&str, Predicate)] = &[
            ("userName == \"babs\"", Predicate::Equals("babs".into())),
            ("/totalResults == 0", Predicate::Equals(0.into())),
            ("x != 1", Predicate::NotEquals(1.into())),
            ("meta.version present", Predicate::Present(true)),
            ("x absent", Predicate::Present(false)),
            ("x contains \"a\"", Predicate::Contains("a".into())),
            ("Resources.id same_items \"${ids}\"", Predicate::SameItems("${ids}".into())),
            ("emails length 3", Predicate::Length(3)),
            ("x type string", Predicate::Type("string".into())),
            ("x one_of [1, 2]", Predicate::OneOf(vec![1.into(), 2.into()])),
            ("x not_starts_with \"ab\"", Predicate::NotStartsWith("ab".into())),
            ("/expires_in between [3600, 21600]", Predicate::Between(3600.into(), 21600.into())),
            ("x not_before \"2024\"", Predicate::NotBefore("2024".into())),
            ("x same_instant \"2024\"", Predicate::SameInstant("2024".into())),
        ];
        for (line, want) in cases {
            assert_eq!(&json_check(line).unwrap().predicate, want, "{line}");
        }
        let c = json_check("emails[type eq \"work\"].value == \"a b\"").unwrap();
        assert_eq!(c.target, JsonTarget::Path("emails[type eq \"work\"].value".into()));
        assert_eq!(
            json_check("/Resources/0/id present").unwrap().target,
            JsonTarget::Pointer("/Resources/0/id".into())
        );
        let h = header_check("Content-Type contains \"scim+json\"").unwrap();
        assert_eq!((h.name.as_str(), h.predicate), ("Content-Type", HeaderPredicate::Contains("scim+json".into())));
        assert_eq!(header_check("ETag absent").unwrap().predicate, HeaderPredicate::Present(false));
    }

    #[test]
    fn mistakes_point_into_the_line() {
        let e = json_check("userName = \"babs\"").unwrap_err();
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("unknown operator `=` — did you mean `==`?") && e.fix.contains("present"), "{e:?}");
        let e = json_check("userName equls \"babs\"").unwrap_err();
        assert!(e.message.contains("did you mean `==`"), "{e:?}");
        let e = json_check("x lenght 2").unwrap_err();
        assert!(e.message.contains("did you mean `length`"), "{e:?}");
        let e = json_check("userName == babs").unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(e.message.contains("not JSON") && e.fix.contains("\"babs\""), "{e:?}");
        let e = json_check("x present 1").unwrap_err();
        assert_eq!(e.offset, 10);
        let e = json_check("x length two").unwrap_err();
        assert!(e.message.contains("whole number"), "{e:?}");
        let e = json_check("x type strng").unwrap_err();
        assert!(e.message.contains("did you mean `string`"), "{e:?}");
        let e = json_check("x ==").unwrap_err();
        assert!(e.message.contains("needs a value"), "{e:?}");
        let e = header_check("ETag == 1").unwrap_err();
        assert!(e.message.contains("a header value is a string"), "{e:?}");
        let e = header_check("ETag length 1").unwrap_err();
        assert!(e.message.contains("unknown operator") && e.fix.contains("contains"), "{e:?}");
    }
}
