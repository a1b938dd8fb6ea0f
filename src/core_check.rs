//! The core check: every RFC 7644 filter and PATCH example under `fixtures/rfc7644/` (bundled in the
//! binary, or `--fixture-dir`), each with the outcome worked out by hand, and the filter corpora under
//! `fixtures/filters/`, run through the filter evaluator and the PATCH engine. The `scimtest selftest`
//! command prints it first; the integration tests assert it.

use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::bundle::Source;
use crate::filter::{Dialect, EvalOptions, ParseOptions, compile, parse_with};
use crate::patch::{Mode, PatchOptions, apply_json};
use crate::schema::ResourceSchema;
use crate::value::{CanonicalOptions, canonicalize, diff};

/// One checked example.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// `rfc7644::filters::03` or `rfc7644::patch::14-remove-single-member`.
    pub name: String,
    /// What the example is (the RFC section and a title).
    pub about: String,
    /// `Err` holds what was expected and what came out.
    pub outcome: Result<(), String>,
}

/// A fixture that could not be read: the core check cannot run.
#[derive(Debug)]
pub struct FixtureError(pub String);

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FixtureError {}

/// The text of a fixture; a message naming it and the fix when it cannot be read.
fn read_text(fixtures: &Source, rel: &Path) -> Result<String, FixtureError> {
    fixtures.read(rel).map_err(|e| {
        let fix = match fixtures {
            Source::Dir(_) => "pass the fixtures directory with --fixture-dir DIR, or leave it out for the bundled one",
            Source::Bundled(_) => "this build bundles no such fixture: rebuild scimtest",
        };
        FixtureError(format!("cannot read {}: {e}\n  fix: {fix}", fixtures.path(rel).display()))
    })
}

fn read_json(fixtures: &Source, rel: &Path) -> Result<Value, FixtureError> {
    let text = read_text(fixtures, rel)?;
    serde_json::from_str(&text)
        .map_err(|e| FixtureError(format!("{} is not valid JSON: {e}", fixtures.path(rel).display())))
}

fn field<'v>(v: &'v Value, key: &str, file: &Path) -> Result<&'v Value, FixtureError> {
    v.get(key).ok_or_else(|| FixtureError(format!("{}: missing `{key}`", file.display())))
}

/// Runs `fixtures/rfc7644/filters.json` against `filter_population.json`.
pub fn rfc7644_filters(fixtures: &Source) -> Result<Vec<CaseResult>, FixtureError> {
    let dir = Path::new("rfc7644");
    let population_file = dir.join("filter_population.json");
    let cases_file = dir.join("filters.json");
    let population = read_json(fixtures, &population_file)?;
    let population = population
        .as_array()
        .ok_or_else(|| FixtureError(format!("{}: expected an array of users", population_file.display())))?;
    let cases = read_json(fixtures, &cases_file)?;
    let cases = field(&cases, "cases", &cases_file)?
        .as_array()
        .ok_or_else(|| FixtureError(format!("{}: `cases` is not an array", cases_file.display())))?;
    let schema = ResourceSchema::user();
    let mut results = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let text = field(case, "filter", &cases_file)?.as_str().unwrap_or_default();
        let dialect = match case.get("dialect").and_then(Value::as_str) {
            Some("strict") => Dialect::Strict,
            _ => Dialect::Compat,
        };
        let section = case.get("section").and_then(Value::as_str).unwrap_or("?");
        let compiled =
            parse_with(text, &ParseOptions::with_dialect(dialect)).map_err(|e| e.render(text)).and_then(|f| {
                compile(&f, schema, &EvalOptions { dialect, ..EvalOptions::default() }).map_err(|e| e.render(text))
            });
        let outcome = match (case.get("error"), compiled) {
            (Some(_), Err(_)) => Ok(()),
            (Some(_), Ok(_)) => Err(format!("expected invalidFilter, but `{text}` was accepted")),
            (None, Err(e)) => Err(format!("expected a valid filter:\n{e}")),
            (None, Ok(f)) => {
                let expected: Vec<&str> = field(case, "matches", &cases_file)?
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let actual: Vec<&str> = population
                    .iter()
                    .filter(|r| f.matches(r))
                    .filter_map(|r| r.get("id").and_then(Value::as_str))
                    .collect();
                if expected == actual {
                    Ok(())
                } else {
                    Err(format!("`{text}`\n  expected matches: {expected:?}\n  actual matches:   {actual:?}"))
                }
            }
        };
        results.push(CaseResult {
            name: format!("rfc7644::filters::{:02}", i + 1),
            about: format!("§{section} `{text}`{}", if dialect == Dialect::Strict { " (strict)" } else { "" }),
            outcome,
        });
    }
    Ok(results)
}

/// Runs every `fixtures/rfc7644/patch/*.json`.
pub fn rfc7644_patches(fixtures: &Source) -> Result<Vec<CaseResult>, FixtureError> {
    let dir = Path::new("rfc7644").join("patch");
    let files = fixtures.list(&dir, "json").map_err(|e| {
        FixtureError(format!(
            "cannot list {}: {e}\n  fix: pass the fixtures directory with --fixture-dir DIR, or leave it out for the bundled one",
            fixtures.path(&dir).display()
        ))
    })?;
    files.iter().map(|rel| patch_case(fixtures, rel)).collect()
}

fn patch_case(fixtures: &Source, rel: &Path) -> Result<CaseResult, FixtureError> {
    let case = read_json(fixtures, rel)?;
    let shown = fixtures.path(rel);
    let file = shown.as_path();
    let name = rel.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mode: Mode = case
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("rfc")
        .parse()
        .map_err(|e| FixtureError(format!("{}: {e}", file.display())))?;
    let resource_type = case.get("resourceType").and_then(Value::as_str).unwrap_or("User");
    let schema = ResourceSchema::builtin_named(resource_type)
        .ok_or_else(|| FixtureError(format!("{}: unknown resourceType `{resource_type}`", file.display())))?;
    let before = field(&case, "before", file)?;
    let request = field(&case, "request", file)?;
    let expect = field(&case, "expect", file)?;
    let result = apply_json(before, request, schema, &PatchOptions::new(mode));
    let canonical = |v: &Value| canonicalize(v, schema, &CanonicalOptions::default().ignore(["meta"]));
    let outcome = match (expect.get("after"), expect.get("error"), result) {
        (Some(after), _, Ok(out)) => {
            let (want, got) = (canonical(after), canonical(&out.resource));
            if want == got {
                Ok(())
            } else {
                Err(format!(
                    "resource differs from the expected one (expected → actual):\n  {}",
                    diff(&want, &got).join("\n  ")
                ))
            }
        }
        (Some(_), _, Err(e)) => Err(format!("expected success, got 400 {}: {e}", e.scim_type)),
        (None, Some(error), Ok(out)) => Err(format!(
            "expected a {} error, but the PATCH succeeded with\n{}",
            error.get("scimType").and_then(Value::as_str).unwrap_or("400"),
            serde_json::to_string_pretty(&out.resource).unwrap_or_default()
        )),
        (None, Some(error), Err(e)) => match error.get("scimType").and_then(Value::as_str) {
            Some(t) if t != e.scim_type.as_str() => Err(format!("expected scimType {t}, got {}: {e}", e.scim_type)),
            _ => Ok(()),
        },
        (None, None, _) => return Err(FixtureError(format!("{}: `expect` needs `after` or `error`", file.display()))),
    };
    let section = case.get("section").and_then(Value::as_str).unwrap_or("?");
    let title = case.get("title").and_then(Value::as_str).unwrap_or("");
    Ok(CaseResult {
        name: format!("rfc7644::patch::{name}"),
        about: format!("§{section} {title} ({mode} mode)"),
        outcome,
    })
}

/// The filter corpora: `filters/valid.txt` parses in the strict dialect and round-trips through the
/// canonical printer; `filters/valid-compat.txt` parses only in the compat dialect; `filters/invalid.txt`
/// fails in both, with an error span inside the input.
pub fn filter_corpora(fixtures: &Source) -> Result<Vec<CaseResult>, FixtureError> {
    let mut results = Vec::new();
    for (file, kind) in [("valid.txt", "valid"), ("valid-compat.txt", "compat"), ("invalid.txt", "invalid")] {
        let text = read_text(fixtures, &Path::new("filters").join(file))?;
        for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let outcome = match kind {
                "valid" => round_trip(line, Dialect::Strict),
                "compat" => {
                    round_trip(line, Dialect::Compat).and_then(|()| match parse_with(line, &ParseOptions::strict()) {
                        Ok(f) => Err(format!("parses in the strict dialect as `{f}`")),
                        Err(_) => Ok(()),
                    })
                }
                _ => [Dialect::Strict, Dialect::Compat].into_iter().try_for_each(|d| {
                    match parse_with(line, &ParseOptions::with_dialect(d)) {
                        Ok(f) => Err(format!("parses ({d:?}) as `{f}`")),
                        Err(e) => match e.span {
                            Some(s) if s.start <= s.end && s.end <= line.len() => Ok(()),
                            span => Err(format!("error span {span:?} is not inside the input")),
                        },
                    }
                }),
            };
            let shown: String = line.chars().take(60).collect();
            results.push(CaseResult {
                name: format!("filters::{kind}::{n}"),
                about: format!("{file}:{n} `{shown}`"),
                outcome,
            });
        }
    }
    Ok(results)
}

fn round_trip(line: &str, dialect: Dialect) -> Result<(), String> {
    let options = ParseOptions::with_dialect(dialect);
    let f = parse_with(line, &options).map_err(|e| e.render(line))?;
    let printed = f.to_string();
    match parse_with(&printed, &options) {
        Ok(again) if again == f => Ok(()),
        Ok(again) => {
            Err(format!("printing and parsing again changed the tree:\n  printed: {printed}\n  reparsed: {again}"))
        }
        Err(e) => Err(format!("the canonical form does not parse:\n{}", e.render(&printed))),
    }
}

/// Every case of the core check.
pub fn run(fixtures: &Source) -> Result<Vec<CaseResult>, FixtureError> {
    let mut all = rfc7644_filters(fixtures)?;
    all.extend(rfc7644_patches(fixtures)?);
    all.extend(filter_corpora(fixtures)?);
    Ok(all)
}
