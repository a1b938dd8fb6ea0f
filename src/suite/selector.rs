//! Redaction selectors: which parts of a response body a snapshot replaces with `"[redacted]"`.
//!
//! ```text
//! selector := segment+
//! segment  := "." name        a member, case-insensitively (SCIM attribute names are)
//!           | "." "*"         every member
//!           | "." "**"        this value and everything below it, at any depth
//!           | "[" "]"         every element of an array
//!           | "[" digits "]"  one element
//!           | "[" '"' text '"' "]"   a member whose name has dots, e.g. a schema URN
//! ```
//!
//! Examples: `.meta.lastLogin`, `.Resources[].meta.version`, `.**.tenantId`,
//! `.["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].employeeNumber`.

use std::fmt;

use serde_json::Value;

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    AnyKey,
    Deep,
    Each,
    Index(usize),
}

/// A parsed selector; [`fmt::Display`] gives back the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Selector {
    type Err = String;

    fn from_str(text: &str) -> Result<Selector, String> {
        Selector::parse(text)
    }
}

impl Selector {
    /// Parses a selector; the error says where it goes wrong and what would be right.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let hint = "write e.g. `.meta.lastLogin`, `.Resources[].id` or `.**.tenantId`";
        let at = |i: usize, what: &str| format!("redaction selector `{text}`, at character {}: {what}; {hint}", i + 1);
        let chars: Vec<char> = text.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        if chars.is_empty() {
            return Err(format!("an empty redaction selector; {hint}"));
        }
        while i < chars.len() {
            match chars[i] {
                // `.["urn:…"]` reads as `["urn:…"]`.
                '.' if chars.get(i + 1) == Some(&'[') => i += 1,
                '.' => {
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && !matches!(chars[end], '.' | '[') {
                        end += 1;
                    }
                    let name: String = chars[start..end].iter().collect();
                    segments.push(match name.as_str() {
                        "" => return Err(at(i, "a `.` must be followed by a name, `*` or `**`")),
                        "*" => Segment::AnyKey,
                        "**" => Segment::Deep,
                        _ if name.contains(']') || name.contains('"') => {
                            return Err(at(start, "a name cannot hold `]` or `\"`"));
                        }
                        _ => Segment::Key(name),
                    });
                    i = end;
                }
                '[' => {
                    let close = chars[i..].iter().position(|c| *c == ']').map(|p| i + p);
                    let Some(close) = close else { return Err(at(i, "a `[` without its `]`")) };
                    let inner: String = chars[i + 1..close].iter().collect();
                    segments.push(if inner.is_empty() {
                        Segment::Each
                    } else if let Ok(n) = inner.parse::<usize>() {
                        Segment::Index(n)
                    } else if inner.len() >= 2 && inner.starts_with('"') && inner.ends_with('"') {
                        Segment::Key(inner[1..inner.len() - 1].to_string())
                    } else {
                        return Err(at(i, "inside `[…]` put nothing, an index, or a quoted name"));
                    });
                    i = close + 1;
                }
                _ => return Err(at(i, "a selector starts each step with `.` or `[`")),
            }
        }
        Ok(Selector { text: text.to_string(), segments })
    }

    /// Replaces every value the selector reaches with [`REDACTED`]; returns how many it replaced.
    pub fn redact(&self, value: &mut Value) -> usize {
        let mut hits = 0;
        apply(&self.segments, value, &mut hits);
        hits
    }
}

fn apply(segments: &[Segment], value: &mut Value, hits: &mut usize) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String(REDACTED.into());
        *hits += 1;
        return;
    };
    match (first, value) {
        (Segment::Key(k), Value::Object(o)) => {
            for (name, child) in o.iter_mut() {
                if name.eq_ignore_ascii_case(k) {
                    apply(rest, child, hits);
                }
            }
        }
        (Segment::AnyKey, Value::Object(o)) => o.values_mut().for_each(|c| apply(rest, c, hits)),
        (Segment::Each, Value::Array(a)) => a.iter_mut().for_each(|c| apply(rest, c, hits)),
        (Segment::Index(n), Value::Array(a)) => {
            if let Some(c) = a.get_mut(*n) {
                apply(rest, c, hits);
            }
        }
        (Segment::Deep, value) => {
            apply(rest, value, hits);
            match value {
                Value::Object(o) => o.values_mut().for_each(|c| apply(segments, c, hits)),
                Value::Array(a) => a.iter_mut().for_each(|c| apply(segments, c, hits)),
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redacted(selector: &str, mut v: Value) -> (Value, usize) {
        let n = Selector::parse(selector).unwrap().redact(&mut v);
        (v, n)
    }

    #[test]
    fn members_are_matched_case_insensitively_and_arrays_element_by_element() {
        let body = json!({"Resources": [{"meta": {"Version": "1"}}, {"meta": {"version": "2"}}], "x": 1});
        let (v, n) = redacted(".resources[].meta.version", body.clone());
        assert_eq!(n, 2);
        assert_eq!(v, json!({"Resources": [{"meta": {"Version": REDACTED}}, {"meta": {"version": REDACTED}}], "x": 1}));
        let (v, n) = redacted(".Resources[1].meta", body);
        assert_eq!(
            (n, &v["Resources"][1]["meta"], &v["Resources"][0]["meta"]["Version"]),
            (1, &json!(REDACTED), &json!("1"))
        );
    }

    #[test]
    fn deep_and_any_reach_every_level_and_quoted_names_hold_dots() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let body = json!({"a": {"tenant": 1, "b": [{"tenant": 2}]}, "tenant": 3, urn: {"employeeNumber": "7"}});
        let (v, n) = redacted(".**.tenant", body.clone());
        assert_eq!(n, 3);
        assert_eq!(
            (&v["a"]["tenant"], &v["a"]["b"][0]["tenant"], &v["tenant"]),
            (&json!(REDACTED), &json!(REDACTED), &json!(REDACTED))
        );
        let (v, n) = redacted(&format!(".[\"{urn}\"].employeeNumber"), body.clone());
        assert_eq!((n, &v[urn]["employeeNumber"]), (1, &json!(REDACTED)));
        let (v, n) = redacted(".*", body);
        assert_eq!((n, v.as_object().unwrap().values().all(|x| x == REDACTED)), (3, true));
    }

    #[test]
    fn a_selector_that_reaches_nothing_changes_nothing() {
        let body = json!({"a": [1, 2]});
        assert_eq!(redacted(".a.b", body.clone()), (body.clone(), 0));
        assert_eq!(redacted(".a[5]", body.clone()), (body, 0));
    }

    #[test]
    fn bad_selectors_say_where_and_how_to_write_them() {
        for (bad, says) in [
            ("", "empty"),
            ("meta", "character 1"),
            (".a..b", "character 3"),
            (".a[", "without its `]`"),
            (".a[x]", "inside `[…]`"),
        ] {
            let e = Selector::parse(bad).unwrap_err();
            assert!(e.contains(says) && e.contains(".meta.lastLogin"), "{bad}: {e}");
        }
        assert_eq!(Selector::parse(".Resources[].id").unwrap().to_string(), ".Resources[].id");
    }
}
