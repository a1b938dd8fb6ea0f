//! Which checks a run plans and which of them the user selected, decided before any request: a
//! selection that runs nothing is a usage mistake, never a green run.

use std::sync::Arc;

use crate::patch::Mode;
use crate::suite::Suite;

/// The name filters of `scimtest run [FILTER]… [--skip P]… [--exact]`, with libtest's meaning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// A check runs when its name contains one of these (or equals one, with `exact`); none: all run.
    pub filters: Vec<String>,
    pub exact: bool,
    /// A check whose name contains (or equals, with `exact`) one of these does not run.
    pub skip: Vec<String>,
    /// Print the selected checks instead of running them.
    pub list: bool,
}

impl Selection {
    /// Whether the check named `name` is selected.
    pub fn selects(&self, name: &str) -> bool {
        let hit = |pattern: &String| if self.exact { name == pattern } else { name.contains(pattern.as_str()) };
        (self.filters.is_empty() || self.filters.iter().any(hit)) && !self.skip.iter().any(hit)
    }

    /// Takes over the filters of libtest's own arguments (`cargo test --test scim -- users::`), which then
    /// filter nothing more.
    pub fn absorb(&mut self, args: &mut libtest_mimic::Arguments) {
        self.filters.extend(args.filter.take());
        self.skip.append(&mut args.skip);
        self.exact |= std::mem::take(&mut args.exact);
        self.list |= std::mem::take(&mut args.list);
    }

    /// The line that says a selection ran nothing, with what there is to choose from.
    pub fn nothing_selected(&self, planned: &[Planned]) -> String {
        let what: Vec<String> = self
            .filters
            .iter()
            .map(|f| format!("`{f}`"))
            .chain(self.skip.iter().map(|s| format!("--skip `{s}`")))
            .collect();
        let mut names: Vec<&str> = planned.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        let prefixes: std::collections::BTreeSet<String> =
            names.iter().filter_map(|n| n.rsplit_once("::").map(|(prefix, _)| format!("{prefix}::"))).collect();
        let sample: Vec<String> = prefixes.iter().take(6).cloned().collect();
        format!(
            "no check matches {}{}: {} checks are planned (e.g. {}{})\n  fix: run with --list to see their names",
            what.join(", "),
            if self.exact { " exactly" } else { "" },
            planned.len(),
            sample.join(", "),
            if prefixes.len() > sample.len() { ", …" } else { "" },
        )
    }
}

/// What one planned check runs.
#[derive(Debug, Clone)]
pub enum Check {
    /// A declarative scenario: `suite.scenarios[index]`.
    Scenario { suite: Arc<Suite>, index: usize },
    /// A generated check (`filters`, `patch` or `groups`) under the profile's PATCH mode.
    Generated { what: &'static str, mode: Mode },
}

/// A check the run plans, before selection.
#[derive(Debug, Clone)]
pub struct Planned {
    /// `profile::suite::scenario`.
    pub name: String,
    pub profile: String,
    /// `must`, `should` or `may`.
    pub kind: String,
    pub check: Check,
}

impl Planned {
    /// Whether the check writes (a create, change or delete), which `--read-only` leaves out.
    pub fn writes(&self) -> bool {
        match &self.check {
            Check::Scenario { suite, index } => !suite.scenarios[*index].read_only(),
            Check::Generated { .. } => true,
        }
    }
}

/// Every check of the plan in run order: each profile's scenarios, then (when `generated`) its generated
/// checks.
pub fn plan(suites: Vec<(String, Vec<Suite>)>, generated: Option<&[(String, Mode)]>) -> Vec<Planned> {
    let mut out = Vec::new();
    for (profile, suites) in suites {
        for suite in suites {
            let suite = Arc::new(suite);
            for (index, scenario) in suite.scenarios.iter().enumerate() {
                out.push(Planned {
                    name: format!("{profile}::{}::{}", suite.name, scenario.name),
                    profile: profile.clone(),
                    kind: scenario.requirement.level.as_str().to_ascii_lowercase(),
                    check: Check::Scenario { suite: suite.clone(), index },
                });
            }
        }
    }
    for (profile, mode) in generated.unwrap_or_default() {
        for what in ["filters", "patch", "groups"] {
            out.push(Planned {
                name: format!("{profile}::properties::{what}"),
                profile: profile.clone(),
                kind: "must".into(),
                check: Check::Generated { what, mode: *mode },
            });
        }
    }
    out
}

/// A planned generated check as (profile, check, PATCH mode), for [`super::sharing::SharedGenerated`].
pub(super) fn generated_check(planned: &Planned) -> Option<(&str, &'static str, Mode)> {
    match planned.check {
        Check::Generated { what, mode } => Some((planned.profile.as_str(), what, mode)),
        Check::Scenario { .. } => None,
    }
}

/// `--list`: one `name: test` line per selected check, as libtest lists (tools that read cargo test's list
/// read this one), written at once so a closed pipe (`--list | head`) ends quietly.
pub fn list(selected: &[Planned]) {
    use std::io::Write;
    let text: String = selected.iter().map(|p| format!("{}: test\n", p.name)).collect();
    let _ = std::io::stdout().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(filters: &[&str], skip: &[&str], exact: bool) -> Selection {
        Selection {
            filters: filters.iter().map(|s| s.to_string()).collect(),
            skip: skip.iter().map(|s| s.to_string()).collect(),
            exact,
            list: false,
        }
    }

    #[test]
    fn filters_select_by_substring_or_whole_name_and_skip_wins() {
        let name = "rfc::users::create_user";
        assert!(selection(&[], &[], false).selects(name));
        assert!(selection(&["users::"], &[], false).selects(name));
        assert!(selection(&["nope", "create"], &[], false).selects(name), "any filter may match");
        assert!(!selection(&["users::"], &["create"], false).selects(name));
        assert!(!selection(&["create_user"], &[], true).selects(name), "exact wants the whole name");
        assert!(selection(&[name], &[], true).selects(name));
    }

    #[test]
    fn libtest_arguments_are_absorbed_once() {
        let mut args =
            libtest_mimic::Arguments { filter: Some("users".into()), skip: vec!["x".into()], ..Default::default() };
        let mut s = Selection::default();
        s.absorb(&mut args);
        assert_eq!(s, selection(&["users"], &["x"], false));
        assert!(args.filter.is_none() && args.skip.is_empty(), "libtest must not filter a second time");
    }

    #[test]
    fn nothing_selected_names_what_exists() {
        let suite =
            Suite { name: "users".into(), file: Default::default(), description: String::new(), scenarios: Vec::new() };
        let planned = vec![Planned {
            name: "rfc::users::create".into(),
            profile: "rfc".into(),
            kind: "must".into(),
            check: Check::Scenario { suite: Arc::new(suite), index: 0 },
        }];
        let line = selection(&["usres"], &[], false).nothing_selected(&planned);
        assert!(line.starts_with("no check matches `usres`: 1 checks are planned (e.g. rfc::users::)"), "{line}");
        assert!(line.contains("fix: run with --list"), "{line}");
    }
}
