//! Apps (`suites/apps/*.toml`): one integration as an identity provider provisions it — its attribute
//! table (which SCIM attributes are mapped, which match or filter, which are required), the profile it
//! is provisioned with, what it supports, and the quirks it declares.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{SuiteError, toml_error};
use crate::filter::{ParseOptions, parse_path};
use crate::schema::AttributeType;

/// What an app can do; a scenario that needs what the app lacks is skipped with the reason.
pub const CAPABILITIES: [&str; 6] =
    ["users", "groups", "user_deactivate", "user_delete", "group_delete", "group_rename"];

#[derive(Debug, Clone, PartialEq)]
pub struct AppAttribute {
    /// `User` or `Group`.
    pub resource: String,
    /// A SCIM path: `userName`, `emails[type eq "work"].value`, `urn:…:User:department`.
    pub path: String,
    pub ty: AttributeType,
    /// The IdP finds existing accounts by it (Entra's "matching" attribute, Okta's unique identifier).
    pub matching: bool,
    /// The IdP filters on it.
    pub filterable: bool,
    /// The app refuses a resource without it.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirk {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub name: String,
    pub description: String,
    /// The profile the app is provisioned with (`entra`, `okta`, `rfc` …).
    pub profile: String,
    pub capabilities: BTreeMap<String, bool>,
    pub attributes: Vec<AppAttribute>,
    pub quirks: Vec<Quirk>,
}

impl App {
    /// Whether the app has capability `name` (absent ones count as supported).
    pub fn can(&self, name: &str) -> bool {
        self.capabilities.get(name).copied().unwrap_or(true)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    app: RawApp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApp {
    name: String,
    description: String,
    profile: String,
    #[serde(default)]
    capabilities: BTreeMap<String, Spanned<bool>>,
    #[serde(default)]
    attribute: Vec<Spanned<RawAttribute>>,
    #[serde(default)]
    quirk: Vec<Quirk2>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    #[serde(default = "user")]
    resource: String,
    path: String,
    #[serde(rename = "type", default = "string")]
    ty: String,
    #[serde(default)]
    matching: bool,
    #[serde(default)]
    filterable: bool,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quirk2 {
    name: String,
    description: String,
}

fn user() -> String {
    "User".into()
}

fn string() -> String {
    "string".into()
}

/// Loads `suites/apps/<name>.toml` (or an app file path) and checks it.
pub fn load_app(suites: &crate::bundle::Source, name_or_file: &str) -> Result<App, SuiteError> {
    let (file, text) = super::read_named(suites, "apps", name_or_file, "app")?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| toml_error(&file, &text, e))?;
    let line = |span: std::ops::Range<usize>| Some(text[..span.start.min(text.len())].matches('\n').count() + 1);
    let err = |span: Option<std::ops::Range<usize>>, message: String, fix: &str| SuiteError {
        file: file.clone(),
        line: span.and_then(line),
        message,
        fix: fix.into(),
    };
    let mut capabilities = BTreeMap::new();
    for (k, v) in raw.app.capabilities {
        if !CAPABILITIES.contains(&k.as_str()) {
            return Err(err(
                Some(v.span()),
                format!("unknown capability `{k}`"),
                &format!("use one of {}", CAPABILITIES.join(", ")),
            ));
        }
        capabilities.insert(k, v.into_inner());
    }
    let mut attributes = Vec::new();
    for a in raw.app.attribute {
        let span = a.span();
        let a = a.into_inner();
        if !["User", "Group"].contains(&a.resource.as_str()) {
            return Err(err(Some(span), format!("unknown resource `{}`", a.resource), "use \"User\" or \"Group\""));
        }
        if let Err(e) = parse_path(&a.path, &ParseOptions::default()) {
            return Err(err(
                Some(span),
                format!("attribute path does not parse:\n{}", e.render(&a.path)),
                "write a SCIM path, e.g. emails[type eq \"work\"].value",
            ));
        }
        let ty: AttributeType =
            a.ty.parse()
                .map_err(|e: String| err(Some(span.clone()), e, "use a SCIM type: string, boolean, reference …"))?;
        attributes.push(AppAttribute {
            resource: a.resource,
            path: a.path,
            ty,
            matching: a.matching,
            filterable: a.filterable || a.matching,
            required: a.required,
        });
    }
    Ok(App {
        name: raw.app.name,
        description: raw.app.description,
        profile: raw.app.profile,
        capabilities,
        attributes,
        quirks: raw.app.quirk.into_iter().map(|q| Quirk { name: q.name, description: q.description }).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_loads_and_mistakes_are_located() {
        let dir = std::env::temp_dir().join(format!("scimtest-app-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("apps")).unwrap();
        let good = r#"[app]
name = "sigma-entra"
description = "Sigma Computing via Entra ID"
profile = "entra"
capabilities = { groups = true, user_delete = false }

[[app.attribute]]
path = "userName"
matching = true
required = true

[[app.attribute]]
path = 'emails[type eq "work"].value'

[[app.quirk]]
name = "rename_creates_account"
description = "renaming userName creates a new account"
"#;
        std::fs::write(dir.join("apps/sigma.toml"), good).unwrap();
        let app = load_app(&crate::bundle::Source::Dir(dir.clone()), "sigma").unwrap();
        assert_eq!(
            (app.profile.as_str(), app.can("groups"), app.can("user_delete"), app.can("group_rename")),
            ("entra", true, false, true)
        );
        assert!(app.attributes[0].matching && app.attributes[0].filterable && app.attributes[0].required);
        assert_eq!(app.quirks.len(), 1);
        std::fs::write(dir.join("apps/bad.toml"), good.replace("user_delete", "teleport")).unwrap();
        let e = load_app(&crate::bundle::Source::Dir(dir.clone()), "bad").unwrap_err();
        assert!(e.message.contains("unknown capability `teleport`") && e.line == Some(5), "{e}");
        std::fs::write(
            dir.join("apps/bad2.toml"),
            good.replace("path = 'emails[type eq \"work\"].value'", "path = 'emails[type eq'"),
        )
        .unwrap();
        let e = load_app(&crate::bundle::Source::Dir(dir.clone()), "bad2").unwrap_err();
        assert!(e.message.contains("does not parse") && e.line == Some(12), "{e}");
        assert!(
            load_app(&crate::bundle::Source::Dir(dir.clone()), "missing").unwrap_err().fix.contains("apps live in")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
