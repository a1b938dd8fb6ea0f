//! The layers of ARCHITECTURE.md, enforced through Cargo's dependency graph: `scimtest-core` uses no async
//! runtime, no HTTP and no test framework, and `scimtest-server` never the runner package (`scimtest`), its
//! HTTP client or its test machinery. Each check reads `cargo tree` of the real workspace (offline), so
//! adding such a dependency to a crate's Cargo.toml fails here, naming the path that brought it in.

use std::path::Path;
use std::process::Command;

/// What the pure core may not depend on, even only in its own tests.
const NOT_IN_CORE: [&str; 10] =
    ["tokio", "axum", "hyper", "reqwest", "tower", "proptest", "insta", "libtest-mimic", "quick-junit", "clap"];

/// What the reference server may not depend on: the runner package and the runner's client and test machinery.
const NOT_IN_SERVER: [&str; 6] = ["scimtest", "reqwest", "proptest", "insta", "libtest-mimic", "clap"];

fn cargo_tree(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let out = Command::new(&cargo)
        .args(["tree", "--offline", "--manifest-path"])
        .arg(&manifest)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{cargo} tree`: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "`cargo tree {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    stdout
}

/// The names of every package in `package`'s tree over the edge kinds `edges` (`normal`, `normal,dev`).
fn dependency_names(package: &str, edges: &str) -> Vec<String> {
    let tree = cargo_tree(&["-p", package, "-e", edges, "--prefix", "none", "--format", "{p}"]);
    let mut names: Vec<String> =
        tree.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_string).collect();
    names.sort();
    names.dedup();
    names
}

/// Fails naming every forbidden crate in `package`'s tree and the path(s) through which it came in.
fn assert_has_none(package: &str, edges: &str, forbidden: &[&str]) {
    let names = dependency_names(package, edges);
    assert!(names.iter().any(|n| n == package), "`cargo tree -p {package}` does not list {package}: {names:?}");
    let offending: Vec<String> = forbidden
        .iter()
        .filter(|f| names.iter().any(|n| n == *f))
        .map(|f| {
            let path = cargo_tree(&["-i", f, "-p", package, "-e", edges]);
            format!("`{f}` is in {package}'s dependency tree ({edges}), through:\n{path}")
        })
        .collect();
    assert!(
        offending.is_empty(),
        "{package} breaks the layers of ARCHITECTURE.md:\n{}\nfix: remove the dependency from crates/{package}/Cargo.toml \
         (move the code that needs it up a layer)",
        offending.join("\n")
    );
}

#[test]
fn the_core_uses_no_async_no_http_and_no_test_framework() {
    // Dev-dependencies too: the core's own unit tests need none of these either.
    assert_has_none("scimtest-core", "normal,dev", &NOT_IN_CORE);
}

#[test]
fn the_server_does_not_depend_on_the_runner() {
    assert_has_none("scimtest-server", "normal", &NOT_IN_SERVER);
}

#[test]
fn the_runner_package_stands_on_both() {
    // The check above would pass vacuously if the tree were read wrongly: the top package does list both.
    let names = dependency_names("scimtest", "normal");
    for layer in ["scimtest-core", "scimtest-server", "tokio", "reqwest"] {
        assert!(names.iter().any(|n| n == layer), "scimtest's tree lacks {layer}: {names:?}");
    }
}
