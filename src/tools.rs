//! The command-line tools over the core, for vendors debugging their own server: `filter parse`,
//! `filter eval`, `patch apply`, `suites` and the core check of `selftest`. Each returns a [`Report`] (what
//! to print, and the [`Exit`]) so that `main` stays a thin shell and tests can call the tools directly.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::exit::Exit;
use crate::filter::{Dialect, EvalOptions, ParseOptions, UnknownAttributes, compile, parse_with};
use crate::patch::{Mode, PatchOptions, apply_json};
use crate::schema::{
    ResourceSchema, builtin_resource_types, builtin_schemas, get_ci, parse_resource_types, parse_schemas,
};

/// What a tool prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    pub stdout: String,
    pub stderr: String,
    pub exit: Exit,
}

impl Report {
    fn usage(message: impl Into<String>) -> Self {
        Report { stderr: format!("error: {}\n", message.into()), exit: Exit::Usage, ..Report::default() }
    }
}

/// Where resources' schemas come from: the built-in ones, or files a server published.
#[derive(Debug, Clone, Default)]
pub struct SchemaSource {
    /// A `/Schemas` answer (ListResponse, array or single Schema).
    pub schemas: Option<PathBuf>,
    /// A `/ResourceTypes` answer; without it the built-in User and Group resource types are used.
    pub resource_types: Option<PathBuf>,
    /// The resource type to use for every resource (`User`, `Group`, or a name from the files). Without
    /// it, each resource's type is found from its `schemas`.
    pub resource_type: Option<String>,
}

fn read_json(path: &Path, what: &str) -> Result<Value, Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Report::usage(format!("cannot read the {what} file {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Report::usage(format!(
            "the {what} file {} is not valid JSON: {e}\n  fix: check the file around that line and column",
            path.display()
        ))
    })
}

impl SchemaSource {
    /// The resource types to use, and warnings about the published schemas.
    fn load(&self) -> Result<(Vec<ResourceSchema>, Vec<String>), Report> {
        if self.schemas.is_none() && self.resource_types.is_none() {
            return Ok((builtin_resource_types().to_vec(), Vec::new()));
        }
        let mut warnings = Vec::new();
        let schemas = match &self.schemas {
            Some(p) => {
                let (s, issues) = parse_schemas(&read_json(p, "schemas")?);
                warnings.extend(issues.iter().map(|i| format!("{}: {i}", p.display())));
                s
            }
            None => builtin_schemas().to_vec(),
        };
        let types = match &self.resource_types {
            Some(p) => {
                let (t, issues) = parse_resource_types(&read_json(p, "resource types")?);
                warnings.extend(issues.iter().map(|i| format!("{}: {i}", p.display())));
                t
            }
            None => builtin_resource_types().iter().map(|r| r.resource_type.clone()).collect(),
        };
        let (assembled, issues) = ResourceSchema::assemble(&types, &schemas);
        warnings.extend(issues.iter().map(|i| i.to_string()));
        if assembled.is_empty() {
            return Err(Report::usage(format!(
                "no usable resource type in the given schema files:\n  {}\n  fix: pass the server's /Schemas answer with --schemas and its /ResourceTypes answer with --resource-types",
                warnings.join("\n  ")
            )));
        }
        Ok((assembled, warnings))
    }

    /// The resource type of `resource` (number `index` in its file).
    fn pick<'a>(
        &self,
        types: &'a [ResourceSchema],
        resource: &Value,
        index: usize,
    ) -> Result<&'a ResourceSchema, Report> {
        if let Some(name) = &self.resource_type {
            return types.iter().find(|t| t.matches(name)).ok_or_else(|| {
                let known: Vec<&str> = types.iter().map(|t| t.resource_type.name.as_str()).collect();
                Report::usage(format!("unknown resource type `{name}`; known: {}", known.join(", ")))
            });
        }
        let listed: Vec<&str> = match resource.as_object().and_then(|o| get_ci(o, "schemas")) {
            Some((_, Value::Array(a))) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        types.iter().find(|t| listed.iter().any(|s| s.eq_ignore_ascii_case(&t.core.id))).ok_or_else(|| {
            Report::usage(format!(
                "resource {index}: cannot tell its type from its `schemas` ({listed:?})\n  fix: pass --resource-type User (or Group)"
            ))
        })
    }
}

/// `scimtest filter parse`: the canonical form of a filter, or the error pointing into it.
pub fn filter_parse(filter: &str, dialect: Dialect) -> Report {
    match parse_with(filter, &ParseOptions::with_dialect(dialect)) {
        Ok(f) => Report { stdout: format!("{f}\n"), ..Report::default() },
        Err(e) => Report {
            stderr: format!("{}\n  scimType: {}\n", e.render(filter), e.scim_type()),
            exit: Exit::Fail,
            ..Report::default()
        },
    }
}

/// `scimtest filter eval`: the ids of the resources in a file that match a filter.
pub fn filter_eval(
    filter: &str,
    resources: &Path,
    source: &SchemaSource,
    dialect: Dialect,
    unknown: UnknownAttributes,
) -> Report {
    match eval_inner(filter, resources, source, dialect, unknown) {
        Ok(r) | Err(r) => r,
    }
}

fn eval_inner(
    filter: &str,
    resources: &Path,
    source: &SchemaSource,
    dialect: Dialect,
    unknown: UnknownAttributes,
) -> Result<Report, Report> {
    let json = read_json(resources, "resources")?;
    let list = match &json {
        Value::Array(a) => a.clone(),
        Value::Object(o) => match get_ci(o, "Resources") {
            Some((_, Value::Array(a))) => a.clone(),
            None if get_ci(o, "totalResults").is_some() => Vec::new(),
            _ => {
                return Err(Report::usage(format!(
                    "{}: expected a JSON array of resources or a ListResponse",
                    resources.display()
                )));
            }
        },
        _ => {
            return Err(Report::usage(format!(
                "{}: expected a JSON array of resources or a ListResponse",
                resources.display()
            )));
        }
    };
    let (types, warnings) = source.load()?;
    let mut report = Report::default();
    for w in &warnings {
        let _ = writeln!(report.stderr, "warning: {w}");
    }
    let parsed = match parse_with(filter, &ParseOptions::with_dialect(dialect)) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(report.stderr, "{}\n  scimType: {}", e.render(filter), e.scim_type());
            report.exit = Exit::Fail;
            return Ok(report);
        }
    };
    let options = EvalOptions { dialect, unknown_attributes: unknown, ..EvalOptions::default() };
    let mut compiled = HashMap::new();
    // With a named type, check the filter even when the file holds no resource.
    if source.resource_type.is_some() {
        let rt = source.pick(&types, &Value::Null, 0)?;
        if let Err(e) = compile(&parsed, rt, &options) {
            let _ = writeln!(
                report.stderr,
                "invalid filter for {}: {}\n  scimType: {}",
                rt.resource_type.name,
                e.message,
                e.scim_type()
            );
            report.exit = Exit::Fail;
            return Ok(report);
        }
    }
    let mut matched = 0;
    for (i, resource) in list.iter().enumerate() {
        let rt = source.pick(&types, resource, i)?;
        let key = rt.resource_type.name.clone();
        if !compiled.contains_key(&key) {
            match compile(&parsed, rt, &options) {
                Ok(c) => {
                    compiled.insert(key.clone(), c);
                }
                Err(e) => {
                    let _ = writeln!(
                        report.stderr,
                        "invalid filter for {key}: {}\n  scimType: {}\n  hint: --unknown-attributes no-match treats unknown attributes as absent",
                        e.message,
                        e.scim_type()
                    );
                    report.exit = Exit::Fail;
                    return Ok(report);
                }
            }
        }
        if compiled[&key].matches(resource) {
            matched += 1;
            match resource.as_object().and_then(|o| get_ci(o, "id")).and_then(|(_, v)| v.as_str()) {
                Some(id) => report.stdout.push_str(&format!("{id}\n")),
                None => report.stdout.push_str(&format!("(resource {i}, no id)\n")),
            }
        }
    }
    let _ = writeln!(report.stderr, "{matched} of {} resources match", list.len());
    Ok(report)
}

/// `scimtest patch apply`: the patched resource, or the SCIM error the PATCH earns.
pub fn patch_apply(resource: &Path, patch: &Path, source: &SchemaSource, mode: Mode) -> Report {
    let inner = || -> Result<Report, Report> {
        let resource_json = read_json(resource, "resource")?;
        let patch_json = read_json(patch, "patch")?;
        let (types, warnings) = source.load()?;
        let rt = source.pick(&types, &resource_json, 0)?;
        let mut report = Report::default();
        for w in &warnings {
            let _ = writeln!(report.stderr, "warning: {w}");
        }
        match apply_json(&resource_json, &patch_json, rt, &PatchOptions::new(mode)) {
            Ok(out) => {
                report.stdout =
                    format!("{}\n", serde_json::to_string_pretty(&out.resource).expect("JSON values serialize"));
                let _ = writeln!(report.stderr, "{} ({mode} mode)", if out.changed { "changed" } else { "unchanged" });
            }
            Err(e) => {
                report.stdout =
                    format!("{}\n", serde_json::to_string_pretty(&e.to_scim_error()).expect("JSON values serialize"));
                let _ = writeln!(report.stderr, "400 {}: {e} ({mode} mode)", e.scim_type);
                report.exit = Exit::Fail;
            }
        }
        Ok(report)
    };
    match inner() {
        Ok(r) | Err(r) => r,
    }
}

/// The first part of `scimtest selftest`: the core check ([`crate::core_check`]) over the bundled
/// fixtures, in cargo-test style.
pub fn core_check(fixtures: &crate::bundle::Source) -> Report {
    let results = match crate::core_check::run(fixtures) {
        Ok(r) => r,
        Err(e) => return Report::usage(e.to_string()),
    };
    let mut report = Report::default();
    let failed: Vec<_> = results.iter().filter(|r| r.outcome.is_err()).collect();
    let _ = writeln!(report.stdout, "running {} self-checks of the SCIM core", results.len());
    for r in &results {
        let verdict = if r.outcome.is_ok() { "ok" } else { "FAILED" };
        let _ = writeln!(report.stdout, "check {} ... {verdict}", r.name);
    }
    if !failed.is_empty() {
        let _ = writeln!(report.stdout, "\nfailures:");
        for r in &failed {
            let _ = writeln!(
                report.stdout,
                "\n---- {} ({})\n{}",
                r.name,
                r.about,
                r.outcome.as_ref().err().map_or("", String::as_str)
            );
        }
        report.exit = Exit::Fail;
    }
    let _ = writeln!(report.stdout, "\nselftest: {} passed, {} failed", results.len() - failed.len(), failed.len());
    report
}

/// `scimtest suites list`: one line per profile (with its suites) and per app.
pub fn suites_list(suites: &crate::bundle::Source) -> Report {
    use crate::suite::{load_app, load_profile, profile_suite_files};
    let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let listed = |dir: &str| {
        suites.list(dir, "toml").map_err(|e| {
            Report::usage(format!(
                "cannot list {}: {e}\n  fix: pass a directory holding profiles/ and apps/ with --suite-dir DIR, or leave \
                 it out for the bundled suites",
                suites.path(dir).display()
            ))
        })
    };
    let inner = || -> Result<Report, Report> {
        // (kind, name, the rest), printed in aligned columns.
        let mut rows: Vec<(&str, String, String)> = Vec::new();
        for file in listed("profiles")? {
            let profile = load_profile(suites, &stem(&file)).map_err(|e| Report::usage(e.to_string()))?;
            let files = profile_suite_files(suites, &profile).map_err(|e| Report::usage(e.to_string()))?;
            let names: Vec<String> =
                files.iter().map(|f| f.with_extension("").to_string_lossy().replace('\\', "/")).collect();
            rows.push(("profile", profile.name, format!("{} suites: {}", names.len(), names.join(", "))));
        }
        for file in listed("apps")? {
            let app = load_app(suites, &stem(&file)).map_err(|e| Report::usage(e.to_string()))?;
            rows.push(("app", app.name, format!("profile {}: {}", app.profile, app.description)));
        }
        let width = rows.iter().map(|(_, name, _)| name.len()).max().unwrap_or(0);
        let mut report = Report::default();
        let _ = writeln!(report.stdout, "suites from {}", suites.root().display());
        for (kind, name, rest) in rows {
            let _ = writeln!(report.stdout, "{kind:<7} {name:<width$}  {rest}");
        }
        Ok(report)
    };
    match inner() {
        Ok(r) | Err(r) => r,
    }
}

/// `scimtest suites export DIR`: writes the bundled suites out for editing, then says how to use them.
pub fn suites_export(dir: &Path, force: bool) -> Report {
    match crate::bundle::export(crate::bundle::Bundle::Suites, dir, force) {
        Ok(written) => {
            let mut report = Report::default();
            for file in &written {
                let _ = writeln!(report.stdout, "wrote {}", file.display());
            }
            let _ = writeln!(
                report.stdout,
                "{} files written; run with them: scimtest run --suite-dir {} … (request bodies named by body_file \
                 stay the bundled fixtures unless --fixture-dir DIR)",
                written.len(),
                dir.display()
            );
            report
        }
        Err(e) => Report::usage(e),
    }
}
