//! Reusable step fragments: `use = "entra/create_user"` in a step takes the steps of `create_user` in
//! `fragments/entra.toml`, with its `{{parameters}}` replaced (at load time, before the `${…}` templates
//! of the run) by the step's `with = { who = "alice" }`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::bundle::Source;

use super::{ProfileVars, RawStep, SuiteError, available, did_you_mean, profile_vars, toml_error};

/// The directory of fragment files, under the suites' root. It holds no suites.
pub const DIR: &str = "fragments";

/// A fragment ready to load: its file, its text with the parameters replaced (spans index it), its steps.
pub(super) struct Resolved {
    pub file: PathBuf,
    pub text: String,
    pub steps: Vec<RawStep>,
}

/// What is wrong with a `use`: at the `use` key, at its `with`, or inside the fragment's file.
pub(super) enum UseError {
    AtUse(String, String),
    AtWith(String, String),
    InFragment(Vec<SuiteError>),
}

/// The `{{name}}` parameters in `s`.
fn parameters(s: &str, out: &mut BTreeSet<String>) {
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let Some(end) = after.find("}}") else { break };
        out.insert(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
}

fn value_parameters(v: &toml::Value, out: &mut BTreeSet<String>) {
    match v {
        toml::Value::String(s) => parameters(s, out),
        toml::Value::Array(a) => a.iter().for_each(|v| value_parameters(v, out)),
        toml::Value::Table(t) => t.iter().for_each(|(k, v)| {
            parameters(k, out);
            value_parameters(v, out);
        }),
        _ => {}
    }
}

/// Replaces `{{name}}` (and `{{ name }}`) in `text` with the values of `with`.
pub fn substitute(text: &str, with: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        match after.find("}}").and_then(|end| with.get(after[..end].trim()).map(|v| (end, v))) {
            Some((end, v)) => {
                out.push_str(&rest[..i]);
                out.push_str(v);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[..i + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of a `with` value: a string as is, a number or boolean as written.
pub fn parameter_text(name: &str, v: &toml::Value) -> Result<String, (String, String)> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => {
            return Err((
                format!("parameter `{name}` is not a string, number or boolean"),
                "write the value as a string; it replaces `{{name}}` as text".into(),
            ));
        }
    };
    if text.contains('\n') {
        return Err((format!("parameter `{name}` spans lines"), "keep parameter values on one line".into()));
    }
    Ok(text)
}

/// Finds `group/name` and replaces the profile's variables, then its parameters.
pub(super) fn resolve(
    suites: &Source,
    vars: &ProfileVars,
    name: &str,
    with: &BTreeMap<String, String>,
) -> Result<Resolved, UseError> {
    let groups = available(suites, DIR);
    let Some((group, fragment)) = name.split_once('/') else {
        return Err(UseError::AtUse(
            format!("`{name}` does not name a fragment"),
            format!("write `use = \"<group>/<fragment>\"`, the group one of: {}", groups.join(", ")),
        ));
    };
    let rel = PathBuf::from(DIR).join(format!("{group}.toml"));
    let file = suites.path(&rel);
    let Ok(text) = suites.read(&rel) else {
        return Err(UseError::AtUse(
            format!("no fragment file `{DIR}/{group}.toml`{}", did_you_mean(group, groups.iter().map(String::as_str))),
            format!("fragment groups: {}", if groups.is_empty() { "none".into() } else { groups.join(", ") }),
        ));
    };
    let table: BTreeMap<String, toml::Spanned<toml::Value>> =
        toml::from_str(&text).map_err(|e| UseError::InFragment(vec![toml_error(&file, &text, e)]))?;
    let Some(value) = table.get(fragment) else {
        let names: Vec<&str> = table.keys().map(String::as_str).collect();
        return Err(UseError::AtUse(
            format!("no fragment `{fragment}` in {}{}", file.display(), did_you_mean(fragment, names.iter().copied())),
            format!("the fragments of `{group}`: {}", names.join(", ")),
        ));
    };
    // The profile's variables first: a variable's value may hold a parameter (`{{id}}`).
    let text = profile_vars::substitute_within(&file, &text, vars, std::slice::from_ref(&value.span()))
        .map_err(UseError::InFragment)?;
    let table: BTreeMap<String, toml::Value> =
        toml::from_str(&text).map_err(|e| UseError::InFragment(vec![toml_error(&file, &text, e)]))?;
    let value = &table[fragment];
    let mut wanted = BTreeSet::new();
    value_parameters(value, &mut wanted);
    let missing: Vec<&String> = wanted.iter().filter(|p| !with.contains_key(*p)).collect();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|p| format!("{p} = \"…\"")).collect();
        return Err(UseError::AtUse(
            format!(
                "fragment `{name}` needs {}",
                missing.iter().map(|p| format!("`{{{{{p}}}}}`")).collect::<Vec<_>>().join(", ")
            ),
            format!("add with = {{ {} }}", list.join(", ")),
        ));
    }
    let unused: Vec<&String> = with.keys().filter(|p| !wanted.contains(*p)).collect();
    if !unused.is_empty() {
        let takes =
            if wanted.is_empty() { "none".to_string() } else { wanted.iter().cloned().collect::<Vec<_>>().join(", ") };
        return Err(UseError::AtWith(
            format!(
                "fragment `{name}` has no parameter {}",
                unused.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            ),
            format!("remove it; the fragment's parameters: {takes}"),
        ));
    }
    let text = substitute(&text, with);
    let mut all: BTreeMap<String, Vec<RawStep>> =
        toml::from_str(&text).map_err(|e| UseError::InFragment(vec![toml_error(&file, &text, e)]))?;
    let steps = all.remove(fragment).unwrap_or_default();
    Ok(Resolved { file, text, steps })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_replaced_and_listed() {
        let with = BTreeMap::from([("who".to_string(), "alice".to_string())]);
        assert_eq!(substitute("a {{who}} b {{ who }} {{other}} {{", &with), "a alice b alice {{other}} {{");
        let mut found = BTreeSet::new();
        parameters("x {{a}} {{ b }} {{c", &mut found);
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
