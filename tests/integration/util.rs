//! Shared fixture access.

use std::path::PathBuf;

/// The absolute path of a file under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(relative)
}

/// The lines of a corpus file that are cases: not blank, not `#` comments. Returned with line numbers.
pub fn corpus(relative: &str) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(fixture(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}
