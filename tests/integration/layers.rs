//! The runner never depends on the reference server: it talks HTTP to it exactly as to a vendor's endpoint.
//! Only `src/selftest.rs` and `src/cli/` know both. This scans the runner side's sources for a path into
//! the server module and names each offending file and line.

use std::path::{Path, PathBuf};

/// The runner side: what may not name the server.
const RUNNER_SIDE: [&str; 6] =
    ["src/runner", "src/suite", "src/generate", "src/client.rs", "src/bundle.rs", "src/load"];

/// Whether a line of Rust uses the server module as a path (`crate::server`, `scimtest_server`,
/// `server::…`). Comments are ignored: they may well speak of "the server" as the SCIM endpoint.
fn uses_server(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or_default();
    if code.contains("crate::server") || code.contains("scimtest_server") {
        return true;
    }
    code.match_indices("server::").any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path).expect("readable source directory").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn the_detector_sees_a_server_path_and_not_a_comment_or_another_word() {
    for hit in [
        "use crate::server::ServerConfig;",
        "    let running = crate::server::spawn(config).await;",
        "use scimtest_server::spawn;",
        "    server::spawn(c)",
        "    let s = super::server::ServerMode::Strict;",
    ] {
        assert!(uses_server(hit), "{hit}");
    }
    for miss in [
        "/// what the server:: says",
        "    let x = 1; // crate::server is not used here",
        "    observer::notify();",
        "    preflight_server::x()",
        "    \"the server declares\"",
    ] {
        assert!(!uses_server(miss), "{miss}");
    }
}

#[test]
fn the_runner_side_never_names_the_server_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for part in RUNNER_SIDE {
        let path = root.join(part);
        assert!(path.exists(), "{part} is gone: update RUNNER_SIDE in {}", file!());
        rust_files(&path, &mut files);
    }
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source file");
        for (n, line) in text.lines().enumerate() {
            if uses_server(line) {
                let shown = file.strip_prefix(root).unwrap_or(file).display().to_string();
                found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(files.len() > 10, "only {} source files scanned", files.len());
    assert!(
        found.is_empty(),
        "the runner side uses the server module (start the server in src/selftest.rs and pass the runner its URL):\n  {}",
        found.join("\n  ")
    );
}
