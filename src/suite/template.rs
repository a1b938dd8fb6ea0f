//! `${…}` templates in suites: the run prefix, unique names per scenario, captured values and headers.

use std::collections::HashMap;

use serde_json::Value;

/// What templates can refer to while a scenario runs.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// `${run}`: the run prefix every created resource carries.
    pub run: String,
    /// A short tag of the scenario, making `${name:x}` unique per scenario.
    pub scenario: String,
    /// Captured bodies (or parts), by capture name.
    pub captures: HashMap<String, Value>,
    /// The previous answer's headers, lower-case names.
    pub last_headers: Vec<(String, String)>,
    /// Each resource type's endpoint (`/Entitlements`) by its schema URN, from discovery.
    pub endpoints: std::collections::BTreeMap<String, String>,
    /// In a `parallel` step, how many copies it sends (`${name.*i}` cuts an array capture into that many
    /// shares); 0 elsewhere.
    pub copies: usize,
}

/// One `${…}` occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    Run,
    Name(String),
    Email(String),
    Header(String),
    /// `capture.dotted.path`: the capture's name, then the path.
    Capture(String, Vec<String>),
    /// `endpoint:<schema URN>`: the endpoint of the resource type with that schema (`/ResourceTypes`).
    Endpoint(String),
}

impl Placeholder {
    pub fn parse(inner: &str) -> Result<Placeholder, String> {
        let inner = inner.trim();
        if inner == "run" {
            return Ok(Placeholder::Run);
        }
        let tag = |prefix: &str| inner.strip_prefix(prefix).map(str::trim);
        let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if let Some(x) = tag("name:") {
            return if word(x) {
                Ok(Placeholder::Name(x.into()))
            } else {
                Err(format!("`${{name:{x}}}`: use letters, digits, `_` or `-`"))
            };
        }
        if let Some(x) = tag("email:") {
            return if word(x) {
                Ok(Placeholder::Email(x.into()))
            } else {
                Err(format!("`${{email:{x}}}`: use letters, digits, `_` or `-`"))
            };
        }
        if let Some(urn) = tag("endpoint:") {
            return if !urn.is_empty() && !urn.contains(char::is_whitespace) {
                Ok(Placeholder::Endpoint(urn.into()))
            } else {
                Err(format!(
                    "`${{endpoint:{urn}}}` needs a schema URN, e.g. ${{endpoint:urn:okta:scim:schemas:core:1.0:Entitlement}}"
                ))
            };
        }
        if let Some(h) = tag("header:") {
            return if h.is_empty() {
                Err("`${header:}` needs a header name".into())
            } else {
                Ok(Placeholder::Header(h.into()))
            };
        }
        let mut parts = inner.split('.');
        let name = parts.next().unwrap_or_default();
        if !word(name) {
            return Err(format!(
                "`${{{inner}}}` is not a template: use ${{run}}, ${{name:x}}, ${{email:x}}, ${{header:NAME}}, ${{endpoint:URN}} or ${{capture.path}}"
            ));
        }
        Ok(Placeholder::Capture(name.into(), parts.map(str::to_string).collect()))
    }
}

/// The capture an array element repeats over, and the segment that says over which of its elements: the
/// element holds `${name.*…}` (`[{ "value": "${users.*}" }]` is one member per captured id) or, in a
/// parallel copy, `${name.*i…}` (the copy's share of them). Only the innermost array repeats: a PatchOp
/// whose `value` array holds `${users.*}` is one operation, its `value` one member per id.
fn every_element_of(item: &Value) -> Option<(String, String)> {
    match item {
        Value::String(text) => placeholders(text).ok()?.into_iter().find_map(|p| match p {
            Placeholder::Capture(name, path) => {
                path.first().filter(|s| *s == EVERY || *s == EVERY_OF_COPY).map(|s| (name, s.clone()))
            }
            _ => None,
        }),
        Value::Object(o) => {
            o.iter().find_map(|(k, v)| every_element_of(&Value::String(k.clone())).or_else(|| every_element_of(v)))
        }
        _ => None,
    }
}

/// `*` as a capture's first segment: every element of an array capture, one array element each.
pub const EVERY: &str = "*";
/// `*i`, in a parallel step of N copies: copy i's share of an array capture cut into N runs of equal
/// length (the last one shorter when N does not divide it): 1,000 ids over 10 copies are 100 a copy.
pub const EVERY_OF_COPY: &str = "*i";

/// The `${…}` placeholders of `s`, or the first syntax error.
pub fn placeholders(s: &str) -> Result<Vec<Placeholder>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let end = after.find('}').ok_or_else(|| format!("`{}` has a `${{` without a closing `}}`", s))?;
        out.push(Placeholder::parse(&after[..end])?);
        rest = &after[end + 1..];
    }
    Ok(out)
}

impl Vars {
    /// In a `parallel` step, the copy's number: `${i}`, and `i` as an index into an array capture
    /// (`${users.i}`: the copy's own element of what an earlier parallel step captured).
    fn copy_number(&self) -> Option<usize> {
        self.captures.get(super::COPY_NUMBER).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok())
    }

    fn value(&self, p: &Placeholder) -> Result<Value, String> {
        Ok(match p {
            Placeholder::Run => Value::String(self.run.clone()),
            Placeholder::Name(x) => Value::String(format!("{}-{}-{x}", self.run, self.scenario)),
            Placeholder::Email(x) => Value::String(format!("{}-{}-{x}@example.com", self.run, self.scenario)),
            Placeholder::Header(h) => {
                let found = self.last_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(h));
                Value::String(
                    found.map(|(_, v)| v.clone()).ok_or_else(|| format!("the previous answer has no `{h}` header"))?,
                )
            }
            Placeholder::Endpoint(urn) => Value::String(
                self.endpoints
                    .iter()
                    .find(|(schema, _)| schema.eq_ignore_ascii_case(urn))
                    .map(|(_, endpoint)| endpoint.clone())
                    .ok_or_else(|| {
                        format!("the server publishes no resource type with schema {urn} (/ResourceTypes)")
                    })?,
            ),
            Placeholder::Capture(name, path) => {
                let mut v = self.captures.get(name).ok_or_else(|| format!("nothing was captured as `{name}`"))?;
                for segment in path {
                    v = match v {
                        Value::Array(items) => segment
                            .parse::<usize>()
                            .ok()
                            .or_else(|| self.copy_number().filter(|_| segment == super::COPY_NUMBER))
                            .and_then(|i| items.get(i)),
                        Value::Object(o) => crate::schema::get_ci(o, segment).map(|(_, v)| v),
                        _ => None,
                    }
                    .ok_or_else(|| format!("the capture `{name}` has nothing at `{}`", path.join(".")))?;
                }
                v.clone()
            }
        })
    }

    /// Substitutes every placeholder in `s` (values that are not strings are written as JSON).
    pub fn expand(&self, s: &str) -> Result<String, String> {
        self.expand_with(s, |_, v| Ok(v))
    }

    /// [`Vars::expand`] for a request path: each value is percent-encoded, so a server's id can only ever
    /// be one path segment. An id of `..` or with a `/` could otherwise aim a DELETE at a resource the
    /// run did not create; `.` and `..` are refused outright, since URL parsers resolve them even encoded,
    /// and so is an empty value (`/Users/` is the collection).
    ///
    /// `${endpoint:…}` is the exception: it may only begin the path, and its value is inserted as it is
    /// (`/Entitlements`), its segments checked to be plain words.
    pub fn expand_path(&self, s: &str) -> Result<String, String> {
        if s.match_indices("${").any(|(i, _)| i > 0 && s[i + 2..].trim_start().starts_with("endpoint:")) {
            return Err(format!("`{s}`: `${{endpoint:…}}` can only begin a path"));
        }
        self.expand_with(s, |name, v| {
            if name.starts_with("endpoint:") {
                let plain = |seg: &str| {
                    !seg.is_empty()
                        && seg != "."
                        && seg != ".."
                        && seg.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
                };
                return match v.strip_prefix('/') {
                    Some(rest) if rest.split('/').all(plain) => Ok(v),
                    _ => Err(format!("`${{{name}}}` is the endpoint `{v}`, which is not a plain path")),
                };
            }
            if v.is_empty() || v == "." || v == ".." {
                return Err(format!("`${{{name}}}` is `{v}`, which cannot be put in a URL path"));
            }
            Ok(crate::client::percent_encode(&v, crate::client::SEGMENT_SAFE))
        })
    }

    fn expand_with(&self, s: &str, fit: impl Fn(&str, String) -> Result<String, String>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}').ok_or_else(|| format!("`{s}` has a `${{` without a closing `}}`"))?;
            let text = match self.value(&Placeholder::parse(&after[..end])?)? {
                Value::String(v) => v,
                v => v.to_string(),
            };
            out.push_str(&fit(after[..end].trim(), text)?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// One copy of `item` per element of the array capture `name` (`segment` `*`), or per element of the
    /// parallel copy's share of it (`*i`), `${name.<segment>…}` standing for the element.
    fn expand_for_each(&self, item: &Value, name: &str, segment: &str) -> Result<Vec<Value>, String> {
        let count = match self.captures.get(name) {
            Some(Value::Array(items)) => items.len(),
            Some(_) => {
                return Err(format!(
                    "`${{{name}.{segment}}}` repeats over an array, and the capture `{name}` is not one"
                ));
            }
            None => return Err(format!("nothing was captured as `{name}`")),
        };
        let range = if segment == EVERY_OF_COPY {
            let copy = self.copy_number().filter(|_| self.copies > 0).ok_or_else(|| {
                format!("`${{{name}.*i}}` is a parallel copy's share of `{name}`, and this step is not parallel")
            })?;
            let share = count.div_ceil(self.copies);
            (copy * share).min(count)..((copy + 1) * share).min(count)
        } else {
            0..count
        };
        let text = serde_json::to_string(item).expect("JSON values serialize");
        let every = format!("${{{name}.{segment}");
        range
            .map(|k| {
                let one: Value = serde_json::from_str(&text.replace(&every, &format!("${{{name}.{k}")))
                    .expect("a capture name never changes JSON syntax");
                self.expand_json(&one)
            })
            .collect()
    }

    /// Substitutes inside the strings of a JSON value; a string that is one whole placeholder becomes the
    /// captured value itself (so a number stays a number).
    pub fn expand_json(&self, v: &Value) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) => {
                let trimmed = s.trim();
                if trimmed.starts_with("${") && trimmed.ends_with('}') && trimmed.matches("${").count() == 1 {
                    self.value(&Placeholder::parse(&trimmed[2..trimmed.len() - 1])?)?
                } else {
                    Value::String(self.expand(s)?)
                }
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match every_element_of(item) {
                        Some((name, segment)) => out.extend(self.expand_for_each(item, &name, &segment)?),
                        None => out.push(self.expand_json(item)?),
                    }
                }
                Value::Array(out)
            }
            Value::Object(o) => {
                let mut out = serde_json::Map::new();
                for (k, v) in o {
                    out.insert(self.expand(k)?, self.expand_json(v)?);
                }
                Value::Object(out)
            }
            v => v.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vars() -> Vars {
        let mut v = Vars { run: "scimtest-abc".into(), scenario: "s1".into(), ..Vars::default() };
        v.captures.insert(
            "user".into(),
            json!({"id": "42", "meta": {"version": "W/\"3\""}, "n": 7, "emails": [{"value": "a@x"}]}),
        );
        v.last_headers.push(("etag".into(), "W/\"3\"".into()));
        v
    }

    #[test]
    fn in_a_parallel_copy_i_is_its_number_and_indexes_an_array_capture() {
        let mut v = vars();
        v.captures.insert("ids".into(), json!(["a", "b", "c"]));
        assert!(v.expand("${ids.i}").is_err(), "outside a parallel copy `i` indexes nothing");
        v.captures.insert(crate::suite::COPY_NUMBER.into(), json!(2));
        assert_eq!(v.expand("${i}/${ids.i}/${ids.0}").unwrap(), "2/c/a");
        assert_eq!(v.expand_json(&json!({"n": "${i}"})).unwrap(), json!({"n": 2}));
    }

    #[test]
    fn an_array_element_with_a_star_repeats_for_every_element_of_the_capture() {
        let mut v = vars();
        v.captures.insert("ids".into(), json!(["a", "b"]));
        let body = json!({"members": [{"value": "${ids.*}", "display": "m ${ids.*}"}, {"value": "z"}]});
        assert_eq!(
            v.expand_json(&body).unwrap(),
            json!({"members": [{"value": "a", "display": "m a"}, {"value": "b", "display": "m b"}, {"value": "z"}]})
        );
        assert!(v.expand_json(&json!(["${user.*}"])).unwrap_err().contains("not one"), "only an array repeats");
    }

    #[test]
    fn only_the_innermost_array_repeats() {
        let mut v = vars();
        v.captures.insert("users".into(), json!([{"id": "a", "userName": "x"}, {"id": "b", "userName": "y"}]));
        let body = json!({"Operations": [{"op": "replace", "path": "members",
            "value": [{"value": "${users.*.id}", "display": "${users.*.userName}"}]}]});
        assert_eq!(
            v.expand_json(&body).unwrap(),
            json!({"Operations": [{"op": "replace", "path": "members",
                "value": [{"value": "a", "display": "x"}, {"value": "b", "display": "y"}]}]}),
            "one operation of two members, not two operations"
        );
    }

    #[test]
    fn a_parallel_copy_repeats_over_its_own_share_of_an_array_capture() {
        let mut v = vars();
        v.captures.insert("ids".into(), json!(["a", "b", "c", "d", "e"]));
        let body = json!([{"value": "${ids.*i}"}]);
        assert!(v.expand_json(&body).unwrap_err().contains("not parallel"), "outside a parallel copy");
        v.copies = 2;
        v.captures.insert(crate::suite::COPY_NUMBER.into(), json!(0));
        assert_eq!(v.expand_json(&body).unwrap(), json!([{"value": "a"}, {"value": "b"}, {"value": "c"}]));
        v.captures.insert(crate::suite::COPY_NUMBER.into(), json!(1));
        assert_eq!(v.expand_json(&body).unwrap(), json!([{"value": "d"}, {"value": "e"}]), "the last share is shorter");
        v.copies = 8;
        v.captures.insert(crate::suite::COPY_NUMBER.into(), json!(7));
        assert_eq!(v.expand_json(&body).unwrap(), json!([]), "more copies than elements: the last shares are empty");
    }

    #[test]
    fn expands_every_kind_of_placeholder() {
        let v = vars();
        assert_eq!(v.expand("/Users/${user.id}").unwrap(), "/Users/42");
        assert_eq!(
            v.expand("${name:babs} ${email:babs}").unwrap(),
            "scimtest-abc-s1-babs scimtest-abc-s1-babs@example.com"
        );
        assert_eq!(
            v.expand("${header:ETag}|${user.meta.version}|${user.emails.0.value}").unwrap(),
            "W/\"3\"|W/\"3\"|a@x"
        );
        assert_eq!(v.expand_json(&json!({"n": "${user.n}", "s": "n=${user.n}"})).unwrap(), json!({"n": 7, "s": "n=7"}));
    }

    #[test]
    fn a_value_in_a_path_stays_one_segment() {
        let mut v = vars();
        v.captures.insert("evil".into(), json!({"id": "../Users/canary?x#y", "dots": "..", "mail": "a b@x.org"}));
        assert_eq!(v.expand_path("/Users/${evil.id}").unwrap(), "/Users/..%2FUsers%2Fcanary%3Fx%23y");
        assert_eq!(
            v.expand_path("/Users?filter=userName%20eq%20%22${evil.mail}%22").unwrap(),
            "/Users?filter=userName%20eq%20%22a%20b@x.org%22"
        );
        assert!(v.expand_path("/Users/${evil.dots}").unwrap_err().contains("cannot be put in a URL path"));
        v.captures.insert("empty".into(), json!({"id": ""}));
        assert!(v.expand_path("/Users/${empty.id}").unwrap_err().contains("cannot be put in a URL path"));
        assert_eq!(v.expand_path("/Users/${user.id}").unwrap(), "/Users/42");
    }

    #[test]
    fn an_endpoint_begins_a_path_unencoded() {
        let mut v = vars();
        v.endpoints.insert("urn:okta:scim:schemas:core:1.0:Entitlement".into(), "/Entitlements".into());
        v.endpoints.insert("urn:example:Evil".into(), "/../Users".into());
        assert_eq!(
            v.expand_path("${endpoint:urn:okta:scim:schemas:core:1.0:Entitlement}?count=3").unwrap(),
            "/Entitlements?count=3"
        );
        assert_eq!(
            placeholders("${endpoint:urn:okta:scim:schemas:core:1.0:Role}").unwrap(),
            vec![Placeholder::Endpoint("urn:okta:scim:schemas:core:1.0:Role".into())]
        );
        assert!(
            v.expand_path("/x/${endpoint:urn:okta:scim:schemas:core:1.0:Entitlement}").unwrap_err().contains("begin")
        );
        assert!(v.expand_path("${endpoint:urn:example:Evil}").unwrap_err().contains("not a plain path"));
        assert!(v.expand_path("${endpoint:urn:example:None}").unwrap_err().contains("publishes no resource type"));
    }

    #[test]
    fn explains_what_is_wrong() {
        let v = vars();
        assert!(v.expand("${group.id}").unwrap_err().contains("nothing was captured as `group`"));
        assert!(v.expand("${user.nope}").unwrap_err().contains("has nothing at `nope`"));
        assert!(v.expand("${user.id").unwrap_err().contains("without a closing"));
        assert!(placeholders("${name:a b}").unwrap_err().contains("letters, digits"));
        assert!(placeholders("${}").unwrap_err().contains("is not a template"));
        assert_eq!(
            placeholders("a ${run} ${user.id}").unwrap(),
            vec![Placeholder::Run, Placeholder::Capture("user".into(), vec!["id".into()])]
        );
    }
}
