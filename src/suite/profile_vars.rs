//! Profile variables: `{{profile.NAME}}` in a suite or fragment file is replaced, before the file is
//! parsed, by `NAME` from the running profile's `[profile.vars]`. One scenario text then serves two
//! profiles that differ in how they spell a request: Entra's default job sends `"op": "Replace"` and
//! `"active": "False"`, the same job with `aadOptscim062020` sends `"op": "replace"` and `false`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Location, SuiteError, did_you_mean};

/// The variables of the profile a suite is loaded for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileVars {
    /// The profile's name, for messages (empty when a file is loaded outside any profile).
    pub profile: String,
    /// The profile's file, where a missing variable is added.
    pub file: PathBuf,
    pub values: BTreeMap<String, String>,
}

impl ProfileVars {
    /// Reads `[profile.vars]`: names `[a-z0-9_]+`, values strings, numbers or booleans on one line.
    pub(super) fn from_table(
        profile: &str,
        file: &Path,
        raw: &BTreeMap<String, toml::Value>,
    ) -> Result<ProfileVars, SuiteError> {
        let err =
            |message: String, fix: &str| SuiteError { file: file.to_path_buf(), line: None, message, fix: fix.into() };
        let mut values = BTreeMap::new();
        for (name, value) in raw {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(err(
                    format!("[profile.vars]: `{name}` is not [a-z0-9_]+"),
                    "name variables with lower-case letters, digits and `_`",
                ));
            }
            let text = super::fragment::parameter_text(name, value)
                .map_err(|(m, f)| err(format!("[profile.vars]: {m}"), &f))?;
            values.insert(name.clone(), text);
        }
        Ok(ProfileVars { profile: profile.to_string(), file: file.to_path_buf(), values })
    }
}

/// `text` with every `{{profile.NAME}}` (or `{{ profile.NAME }}`) replaced. Each unknown name is one
/// error at its line and column in `text` (`file` is the path messages show); other `{{…}}` (fragment
/// parameters) are left alone.
pub(super) fn substitute(file: &Path, text: &str, vars: &ProfileVars) -> Result<String, Vec<SuiteError>> {
    substitute_within(file, text, vars, std::slice::from_ref(&(0..text.len())))
}

/// [`substitute`], where only an unknown name inside `needed` (the parts of the file that are used: one
/// fragment, one reused scenario) is an error; one outside them is left as written.
pub(super) fn substitute_within(
    file: &Path,
    text: &str,
    vars: &ProfileVars,
    needed: &[std::ops::Range<usize>],
) -> Result<String, Vec<SuiteError>> {
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut done = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find("{{") {
        let start = from + found;
        let inner_at = start + 2;
        let Some(len) = text[inner_at..].find("}}") else { break };
        let end = inner_at + len + 2;
        let Some(name) = text[inner_at..inner_at + len].trim().strip_prefix("profile.") else {
            from = inner_at;
            continue;
        };
        out.push_str(&text[done..start]);
        match vars.values.get(name) {
            Some(value) => out.push_str(value),
            None => {
                if needed.iter().any(|r| r.contains(&start)) {
                    errors.push(unknown(file, text, start, name, vars));
                }
                out.push_str(&text[start..end]);
            }
        }
        done = end;
        from = end;
    }
    out.push_str(&text[done..]);
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn unknown(file: &Path, text: &str, at: usize, name: &str, vars: &ProfileVars) -> SuiteError {
    let (message, fix) = if vars.profile.is_empty() {
        (
            format!("`{{{{profile.{name}}}}}` needs a profile, and this file is loaded without one"),
            "load it through a profile (`--profile NAME`) whose [profile.vars] defines it".to_string(),
        )
    } else {
        (
            format!(
                "profile `{}` has no variable `{name}`{}",
                vars.profile,
                did_you_mean(name, vars.values.keys().map(String::as_str))
            ),
            format!(
                "add `{name} = \"…\"` under [profile.vars] in {} (it has: {})",
                vars.file.display(),
                if vars.values.is_empty() {
                    "none".to_string()
                } else {
                    vars.values.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ),
        )
    };
    SuiteError { file: file.to_path_buf(), line: Some(Location::of(text, at)), message, fix }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> ProfileVars {
        ProfileVars {
            profile: "entra".into(),
            file: "suites/profiles/entra.toml".into(),
            values: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn names_are_replaced_and_fragment_parameters_left() {
        let v = vars(&[("replace", "Replace"), ("false", "\"False\"")]);
        let text = r#"{ "op": "{{profile.replace}}", "value": {{ profile.false }}, "who": "{{who}}" }"#;
        assert_eq!(
            substitute(Path::new("x.toml"), text, &v).unwrap(),
            r#"{ "op": "Replace", "value": "False", "who": "{{who}}" }"#
        );
    }

    #[test]
    fn every_unknown_name_is_reported_where_it_is() {
        let v = vars(&[("replace", "Replace")]);
        let text = "a = '{{profile.replce}}'\nb = '{{profile.nope}}'\n";
        let errors = substitute(Path::new("x.toml"), text, &v).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, Some(Location { line: 1, column: 6 }));
        assert!(errors[0].message.contains("did you mean `replace`"), "{}", errors[0].message);
        assert!(errors[0].fix.contains("suites/profiles/entra.toml"), "{}", errors[0].fix);
        assert_eq!(errors[1].line, Some(Location { line: 2, column: 6 }));
        let outside = substitute(Path::new("x.toml"), text, &ProfileVars::default()).unwrap_err();
        assert!(outside[0].message.contains("loaded without one"), "{}", outside[0].message);
        // Only the part in use must resolve: the second line alone.
        let second = text.find('\n').unwrap() + 1..text.len();
        let errors = substitute_within(Path::new("x.toml"), text, &v, std::slice::from_ref(&second)).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, Some(Location { line: 2, column: 6 }));
    }

    #[test]
    fn bad_variable_names_and_values_are_refused() {
        let table = |k: &str, v: toml::Value| BTreeMap::from([(k.to_string(), v)]);
        let file = Path::new("p.toml");
        assert!(ProfileVars::from_table("p", file, &table("Op", "x".into())).is_err());
        assert!(ProfileVars::from_table("p", file, &table("op", "a\nb".into())).is_err());
        assert!(ProfileVars::from_table("p", file, &table("op", toml::Value::Array(vec![]))).is_err());
        let ok = ProfileVars::from_table("p", file, &table("flag", true.into())).unwrap();
        assert_eq!(ok.values["flag"], "true");
    }
}
