//! The identity-provider quirk ids the suites cite (`E-Q3`, `O-Q12`), each with its one-line meaning:
//! read from docs/idp-quirks.md, embedded in the binary so an installed scimtest needs no source tree.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const DOC: &str = include_str!("../../docs/idp-quirks.md");

/// Every documented quirk id and its meaning (the table's first two columns).
pub fn all() -> &'static BTreeMap<&'static str, &'static str> {
    static TABLE: OnceLock<BTreeMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        DOC.lines()
            .filter_map(|line| {
                let mut cells = line.strip_prefix("| ")?.split(" | ");
                let id = cells.next()?;
                is_quirk_id(id).then_some((id, cells.next()?))
            })
            .collect()
    })
}

/// The one-line meaning of a quirk id, if it is documented.
pub fn meaning(id: &str) -> Option<&'static str> {
    all().get(id).copied()
}

/// The identity providers' id prefixes: Entra ID (`E`, `E2` for the compliant flag), Okta (`O`), OneLogin
/// (`OL`), JumpCloud (`JC`), Ping (`PI`), Google Workspace (`GW`), Rippling (`RP`). Two letters for the
/// newer ones, so no id can be mistaken for a word like `P-256`.
pub const IDP_PREFIXES: &[&str] = &["E", "E2", "O", "OL", "JC", "PI", "GW", "RP"];

/// The words a requirement source starts with to name its identity provider (`Entra E-UU`), left out
/// where a step is named by its source.
pub const IDP_SOURCE_WORDS: &[&str] = &["Entra", "Okta", "OneLogin", "JumpCloud", "Ping", "Google", "Rippling"];

/// `E-Q3`, `O-Q12`, `OL-Q2`: an IdP prefix, `-Q` and a number.
pub fn is_quirk_id(word: &str) -> bool {
    let Some((idp, number)) = word.split_once("-Q") else { return false };
    IDP_PREFIXES.contains(&idp) && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())
}

/// The catalogue ids a requirement source names, in order (`Entra E-UU, E-Q22` → `E-UU`, `E-Q22`): request
/// steps (`E-CU`, `E2-UU`, `O-MR`) and quirks alike.
pub fn ids_in(source: &str) -> Vec<&str> {
    source
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '/'))
        .filter(|w| {
            let Some((idp, rest)) = w.split_once('-') else { return false };
            IDP_PREFIXES.contains(&idp)
                && !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .collect()
}

/// `E-Q3 (member removal sends …)` for each quirk id in a requirement source: what to print beside it.
pub fn explain(source: &str) -> Vec<String> {
    ids_in(source)
        .into_iter()
        .filter(|id| is_quirk_id(id))
        .map(|id| match meaning(id) {
            Some(m) => format!("{id}: {m}"),
            None => format!("{id}: (not documented in docs/idp-quirks.md)"),
        })
        .collect()
}

/// A requirement source with the meaning of each quirk it cites:
/// `Entra E-AM, E-Q28 (E-Q28: gallery apps need …)`; unchanged when it cites none.
pub fn annotate(source: &str) -> String {
    let quirks = explain(source);
    if quirks.is_empty() { source.to_string() } else { format!("{source} ({})", quirks.join("; ")) }
}

/// The `| profile | replays | sources |` rows of docs/idp-quirks.md: profile name → what it replays.
pub fn replay_rows() -> BTreeMap<&'static str, &'static str> {
    DOC.lines()
        .skip_while(|l| !l.starts_with("## Profiles and what they replay"))
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| ")?.split(" | ");
            let profile = cells.next()?;
            let replays = cells.next()?;
            (profile != "profile" && !profile.starts_with("---")).then_some((profile, replays))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every identity-provider profile says what it replays (its `replays` key), and docs/idp-quirks.md has
    /// the same row with the sources.
    #[test]
    fn every_idp_profile_names_what_it_replays_and_its_sources() {
        let source = crate::bundle::Source::suites();
        let rows = replay_rows();
        let names = crate::suite::available(&source, "profiles");
        assert!(names.len() >= 5, "{names:?}");
        for name in names.iter().filter(|n| *n != "rfc") {
            let profile = crate::suite::load_profile(&source, name).unwrap();
            let replays = profile.replays.as_deref().unwrap_or_else(|| panic!("profile {name} has no `replays` key"));
            assert_eq!(rows.get(name.as_str()).copied(), Some(replays), "docs/idp-quirks.md's row for {name}");
        }
        assert!(rows.keys().all(|p| names.iter().any(|n| n == p)), "a row for a profile that does not exist: {rows:?}");
    }

    /// Every quirk id cited anywhere under suites/ has a row in docs/idp-quirks.md, so the document cannot
    /// drift from the suites.
    #[test]
    fn every_quirk_the_suites_cite_is_documented() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("suites dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites"), &mut files);
        let mut cited = std::collections::BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                if is_quirk_id(word) {
                    cited.insert(word.to_string());
                }
            }
        }
        assert!(cited.len() > 40, "the suites cite quirks: {cited:?}");
        let missing: Vec<&String> = cited.iter().filter(|id| meaning(id).is_none()).collect();
        assert!(
            missing.is_empty(),
            "quirk ids cited under suites/ but not documented in docs/idp-quirks.md: {missing:?}"
        );
        assert!(all().values().all(|m| !m.is_empty() && !m.contains('|')), "{:?}", all());
    }

    #[test]
    fn sources_name_their_steps_and_quirks_and_quirks_print_with_their_meaning() {
        assert_eq!(ids_in("Entra E-UU, E-Q22"), ["E-UU", "E-Q22"]);
        assert_eq!(ids_in("Okta O-QU, SPEC #9; RFC 7643 §4.1.1"), ["O-QU"]);
        assert_eq!(ids_in("RFC 7644 §3.5.2"), Vec::<&str>::new());
        assert_eq!(ids_in("Entra E2-DU / E2-RU"), ["E2-DU", "E2-RU"]);
        assert_eq!(
            explain("Entra E-RM, E-Q3"),
            ["E-Q3: member removal sends path members with a value array: remove only those members"]
        );
        assert_eq!(explain("Okta O-Q999"), ["O-Q999: (not documented in docs/idp-quirks.md)"]);
        assert_eq!(annotate("Okta O-CU"), "Okta O-CU");
        assert_eq!(annotate("Okta O-MR, O-Q14"), "Okta O-MR, O-Q14 (O-Q14: replace members [] empties the group)");
    }
}
