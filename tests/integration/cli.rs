//! End-to-end tests of the `scimtest` binary: arguments in, stdout, stderr and exit code out.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A per-test directory under the system temp dir, removed when dropped (also when the test panics).
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("scimtest-cli-{}-{n}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        TempDir(dir)
    }

    fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    fn json(&self, name: &str, value: &Value) -> PathBuf {
        self.file(name, &serde_json::to_string_pretty(value).expect("JSON serializes"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

use crate::util::Run;

fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run::of(
        Command::new(env!("CARGO_BIN_EXE_scimtest"))
            .current_dir(std::env::temp_dir())
            .args(args)
            .env_remove("SCIMTEST_FIXTURES"),
    )
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

fn users() -> Value {
    json!([
        {"schemas": [USER], "id": "u1", "userName": "bjensen", "active": true,
         "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "home"}]},
        {"schemas": [USER], "id": "u2", "userName": "jsmith", "active": false,
         "emails": [{"value": "b@x", "type": "work"}]},
        {"schemas": [USER], "id": "u3", "userName": "Alice", "active": true, "custom": "yes"}
    ])
}

// ---------------------------------------------------------------------------------------------------
// filter parse
// ---------------------------------------------------------------------------------------------------

#[test]
fn filter_parse_prints_the_canonical_form() {
    let r = run(["filter", "parse", r#"userName   EQ "x"  AND NOT(title PR) or (a pr or b pr)"#]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "userName eq \"x\" and not (title pr) or (a pr or b pr)\n", "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
}

#[test]
fn filter_parse_error_points_at_the_input() {
    let r = run(["filter", "parse", r#"userName zz "x""#]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "invalid filter: expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) after `userName`, found `zz`",
            r#"  userName zz "x""#,
            "           ^^",
            "  scimType: invalidFilter",
        ],
        "{r:?}"
    );
}

#[test]
fn filter_parse_strict_rejects_the_compat_form() {
    let filter = r#"emails[type eq "work"].value eq "x""#;
    let compat = run(["filter", "parse", filter]);
    assert_eq!(compat.code, 0, "{compat:?}");
    assert_eq!(compat.stdout.trim_end(), filter, "{compat:?}");
    let strict = run(["filter", "parse", "--strict", filter]);
    assert_eq!(strict.code, 1, "{strict:?}");
    assert!(strict.stderr.contains("not in the RFC grammar"), "{strict:?}");
    assert!(strict.stderr.contains("scimType: invalidFilter"), "{strict:?}");
    // The caret is under the `.` after `]`.
    let caret_line = strict.stderr.lines().nth(2).expect("a caret line");
    assert_eq!(caret_line, format!("  {}^", " ".repeat(22)), "{strict:?}");
}

// ---------------------------------------------------------------------------------------------------
// filter eval
// ---------------------------------------------------------------------------------------------------

#[test]
fn filter_eval_on_a_list_response_and_on_an_array() {
    let dir = TempDir::new("eval-list");
    let array = dir.json("array.json", &users());
    let list = dir.json(
        "list.json",
        &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 3,
                "Resources": users()}),
    );
    for file in [&array, &list] {
        let r = run(["filter", "eval", "--resources", p(file), r#"emails.value eq "b@x""#]);
        assert_eq!(r.code, 0, "{r:?}");
        assert_eq!(r.stdout, "u1\nu2\n", "{r:?}");
        assert!(r.stderr.contains("2 of 3 resources match"), "{r:?}");
    }
    // The filter goes through the evaluator's rules: same element for the compat form, caseExact=false.
    let r = run([
        "filter",
        "eval",
        r#"emails[type eq "work"].value eq "b@x" or userName eq "ALICE""#,
        "--resources",
        p(&array),
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "u2\nu3\n"), "{r:?}");
    let r = run(["filter", "eval", "--resources", p(&array), "active eq false and active eq true"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert!(r.stderr.contains("0 of 3 resources match"), "{r:?}");
    // An empty ListResponse.
    let empty = dir.json("empty.json", &json!({"totalResults": 0}));
    let r = run(["filter", "eval", "--resources", p(&empty), "userName pr"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert!(r.stderr.contains("0 of 0 resources match"), "{r:?}");
}

#[test]
fn filter_eval_needs_to_know_the_resource_type() {
    let dir = TempDir::new("eval-type");
    let file = dir.json("untyped.json", &json!([{"id": "a", "userName": "x"}, {"id": "b", "displayName": "G"}]));
    let r = run(["filter", "eval", "--resources", p(&file), "userName pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("cannot tell its type"), "{r:?}");
    assert!(r.stderr.contains("fix: pass --resource-type"), "{r:?}");
    let r = run(["filter", "eval", "--resources", p(&file), "--resource-type", "User", "userName pr"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "a\n"), "{r:?}");
    let r = run(["filter", "eval", "--resources", p(&file), "--resource-type", "Group", r#"displayName eq "g""#]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "b\n"), "{r:?}");
    let r = run(["filter", "eval", "--resources", p(&file), "--resource-type", "Widget", "userName pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("unknown resource type `Widget`"), "{r:?}");
    // Mixed files pick each resource's type from its `schemas`.
    let mixed = dir.json(
        "mixed.json",
        &json!([{"schemas": [USER], "id": "u", "displayName": "Same"},
                {"schemas": [GROUP], "id": "g", "displayName": "same"}]),
    );
    let r = run(["filter", "eval", "--resources", p(&mixed), r#"displayName eq "SAME""#]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "u\ng\n"), "{r:?}");
}

#[test]
fn filter_eval_unknown_attributes() {
    let dir = TempDir::new("eval-unknown");
    let file = dir.json("users.json", &users());
    let r = run(["filter", "eval", "--resources", p(&file), r#"nope eq "x""#]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("unknown attribute `nope`"), "{r:?}");
    assert!(r.stderr.contains("scimType: invalidFilter"), "{r:?}");
    assert!(r.stderr.contains("--unknown-attributes no-match"), "{r:?}");
    let r = run(["filter", "eval", "--unknown-attributes", "no-match", "--resources", p(&file), r#"nope eq "x""#]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    let r = run(["filter", "eval", "--unknown-attributes", "no-match", "--resources", p(&file), r#"nope ne "x""#]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "u1\nu2\nu3\n"), "{r:?}");
}

#[test]
fn filter_eval_invalid_filter_and_strict() {
    let dir = TempDir::new("eval-invalid");
    let file = dir.json("users.json", &users());
    let r = run(["filter", "eval", "--resources", p(&file), "userName eq"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("^^"), "{r:?}");
    assert!(r.stderr.contains("scimType: invalidFilter"), "{r:?}");
    // A type error is caught before any resource is looked at.
    let r = run(["filter", "eval", "--resources", p(&file), "userName eq 5"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{r:?}");
    // Strict: Entra's string booleans are a type error.
    let r = run(["filter", "eval", "--resources", p(&file), r#"active eq "True""#]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "u1\nu3\n"), "{r:?}");
    let r = run(["filter", "eval", "--strict", "--resources", p(&file), r#"active eq "True""#]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("compare it with true or false"), "{r:?}");
}

#[test]
fn filter_eval_unreadable_input() {
    let dir = TempDir::new("eval-files");
    let missing = dir.0.join("no-such-file.json");
    let r = run(["filter", "eval", "--resources", p(&missing), "userName pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no-such-file.json"), "{r:?}");
    let not_json = dir.file("broken.json", "[{\"id\": \"a\",,]");
    let r = run(["filter", "eval", "--resources", p(&not_json), "userName pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("broken.json"), "{r:?}");
    assert!(r.stderr.contains("not valid JSON"), "{r:?}");
    let scalar = dir.json("scalar.json", &json!("users"));
    let r = run(["filter", "eval", "--resources", p(&scalar), "userName pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("expected a JSON array of resources or a ListResponse"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------------
// patch apply
// ---------------------------------------------------------------------------------------------------

fn bjensen() -> Value {
    json!({"schemas": [USER], "id": "u1", "userName": "bjensen", "displayName": "Babs",
           "emails": [{"value": "a@x", "type": "work"}]})
}

#[test]
fn patch_apply_prints_the_patched_resource() {
    let dir = TempDir::new("patch-ok");
    let resource = dir.json("user.json", &bjensen());
    let patch = dir.json(
        "patch.json",
        &json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Barbara"},
            {"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "home"}]},
            {"op": "remove", "path": "emails[type eq \"work\"]"}
        ]}),
    );
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&patch), "--mode", "rfc"]);
    assert_eq!(r.code, 0, "{r:?}");
    let out: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(
        out,
        json!({"schemas": [USER], "id": "u1", "userName": "bjensen", "displayName": "Barbara",
               "emails": [{"value": "b@x", "type": "home"}]}),
        "{r:?}"
    );
    assert!(r.stderr.contains("changed (rfc mode)"), "{r:?}");
}

#[test]
fn patch_apply_scim_error_and_entra_mode() {
    let dir = TempDir::new("patch-error");
    let resource = dir.json("user.json", &bjensen());
    let patch = dir.json(
        "patch.json",
        &json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "displayName", "value": "B"}]}),
    );
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&patch), "--mode", "rfc"]);
    assert_eq!(r.code, 1, "{r:?}");
    let error: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(error["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]), "{r:?}");
    assert_eq!(error["status"], json!("400"), "status is a string: {r:?}");
    assert_eq!(error["scimType"], json!("invalidSyntax"), "{r:?}");
    assert!(error["detail"].as_str().is_some_and(|d| d.contains("Replace")), "{r:?}");
    assert!(r.stderr.contains("400 invalidSyntax"), "{r:?}");
    // rfc is the default mode.
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&patch)]);
    assert_eq!(r.code, 1, "{r:?}");
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&patch), "--mode", "entra"]);
    assert_eq!(r.code, 0, "{r:?}");
    let out: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(out["displayName"], json!("B"), "{r:?}");
    // A filter error inside a path is a SCIM error too.
    let bad_path = dir.json(
        "bad-path.json",
        &json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails[type zz \"work\"]"}]}),
    );
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&bad_path)]);
    assert_eq!(r.code, 1, "{r:?}");
    let error: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(error["status"], json!("400"), "{r:?}");
    assert_eq!(error["scimType"], json!("invalidPath"), "a path that does not parse: {r:?}");
    // A filter in a path that parses but does not check against the schema is invalidFilter.
    let bad_filter = dir.json(
        "bad-filter.json",
        &json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "emails[type eq 5]"}]}),
    );
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&bad_filter)]);
    assert_eq!(r.code, 1, "{r:?}");
    let error: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(error["scimType"], json!("invalidFilter"), "{r:?}");
    // A missing patch file is a usage error, naming the file.
    let r = run(["patch", "apply", "--resource", p(&resource), "--patch", p(&dir.0.join("gone.json"))]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("gone.json"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------------
// Custom schemas
// ---------------------------------------------------------------------------------------------------

const WIDGET: &str = "urn:example:params:scim:schemas:Widget";

fn widget_files(dir: &TempDir) -> (PathBuf, PathBuf) {
    let schemas = dir.json(
        "schemas.json",
        &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "Resources": [{"id": WIDGET, "name": "Widget", "attributes": [
            {"name": "color", "type": "string", "multiValued": false, "caseExact": true}
        ]}]}),
    );
    let types = dir.json(
        "resource_types.json",
        &json!([{"id": "Widget", "name": "Widget", "endpoint": "/Widgets", "schema": WIDGET}]),
    );
    (schemas, types)
}

#[test]
fn custom_schemas_for_filters() {
    let dir = TempDir::new("custom-filter");
    let (schemas, types) = widget_files(&dir);
    let widgets = dir.json(
        "widgets.json",
        &json!([{"schemas": [WIDGET], "id": "w1", "color": "Red"},
                {"schemas": [WIDGET], "id": "w2", "color": "red"},
                {"schemas": [WIDGET], "id": "w3"}]),
    );
    let args = |filter: &str| {
        vec![
            "filter".to_string(),
            "eval".into(),
            "--schemas".into(),
            p(&schemas).into(),
            "--resource-types".into(),
            p(&types).into(),
            "--resources".into(),
            p(&widgets).into(),
            filter.into(),
        ]
    };
    // caseExact from the custom schema.
    let r = run(args(r#"color eq "red""#));
    assert_eq!((r.code, r.stdout.as_str()), (0, "w2\n"), "{r:?}");
    let r = run(args(&format!(r#"{WIDGET}:color eq "Red""#)));
    assert_eq!((r.code, r.stdout.as_str()), (0, "w1\n"), "{r:?}");
    let r = run(args("not (color pr) and id pr"));
    assert_eq!((r.code, r.stdout.as_str()), (0, "w3\n"), "{r:?}");
    // Attributes of the built-in User schema are unknown here.
    let r = run(args(r#"userName eq "x""#));
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("unknown attribute `userName`"), "{r:?}");
    // Without the custom files the widgets' type is unknown.
    let r = run(["filter", "eval", "--resources", p(&widgets), "color pr"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn custom_schemas_for_patch() {
    let dir = TempDir::new("custom-patch");
    let (schemas, types) = widget_files(&dir);
    let widget = dir.json("widget.json", &json!({"schemas": [WIDGET], "id": "w1", "color": "red"}));
    let patch = dir.json(
        "patch.json",
        &json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "color", "value": "blue"}]}),
    );
    let r = run([
        "patch",
        "apply",
        "--schemas",
        p(&schemas),
        "--resource-types",
        p(&types),
        "--resource",
        p(&widget),
        "--patch",
        p(&patch),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let out: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {r:?}"));
    assert_eq!(out, json!({"schemas": [WIDGET], "id": "w1", "color": "blue"}), "{r:?}");
}

#[test]
fn schema_files_without_a_usable_resource_type() {
    let dir = TempDir::new("custom-broken");
    let (schemas, _) = widget_files(&dir);
    let types = dir.json("types.json", &json!([{"name": "Gadget", "endpoint": "/Gadgets", "schema": "urn:x:Gadget"}]));
    let widgets = dir.json("widgets.json", &json!([]));
    let r = run([
        "filter",
        "eval",
        "--schemas",
        p(&schemas),
        "--resource-types",
        p(&types),
        "--resources",
        p(&widgets),
        "color pr",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no usable resource type"), "{r:?}");
    assert!(r.stderr.contains("urn:x:Gadget"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------------
// Usage and selftest
// ---------------------------------------------------------------------------------------------------

/// Unknown profile, app and suite names stop the run before anything is sent: exit 2, the names there
/// are, and the closest one.
#[test]
fn unknown_profile_app_or_suite_names_exit_2_with_a_suggestion() {
    let url = "http://127.0.0.1:9/scim/v2";
    let r = run(["run", "--url", url, "--token", "t", "--profile", "okat"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("unknown profile `okat` — did you mean `okta`?"), "{r:?}");
    let mut every = crate::util::every_profile();
    every.sort();
    let listed = format!("fix: pass --profile with one of: {}", every.join(", "));
    assert!(r.stderr.contains(&listed), "{listed}\n{r:?}");
    let r = run(["run", "--url", url, "--token", "t", "--app", "sigma-entr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("unknown app `sigma-entr` — did you mean `sigma-entra`?"), "{r:?}");
    let r = run(["run", "--url", url, "--token", "t", "--suite", "usres"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no suite of profile rfc matches `usres` — did you mean `users`?"), "{r:?}");
    let r = run(["run", "--url", url, "--token", "t", "--suite", "entra"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no suite of profile rfc matches `entra`; profile entra has suites"), "{r:?}");
    assert!(r.stderr.contains("fix: pass --profile entra"), "{r:?}");
    assert!(!r.stdout.contains("running"), "nothing runs: {r:?}");
}

/// A typo in an app file's attribute table is a load error with its line and the closest name, not a run
/// without that app's attribute checks.
#[test]
fn an_app_file_with_a_typo_exits_2_with_the_line() {
    let dir = TempDir::new("app-typo");
    let app = dir.file(
        "typo.toml",
        "[app]\nname = \"typo\"\ndescription = \"d\"\nprofile = \"entra\"\n\n[[app.attribute]]\npath = \"name.givenNmae\"\n",
    );
    let r = run(["run", "--url", "http://127.0.0.1:9/scim/v2", "--token", "t", "--app", p(&app)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("typo.toml:6:") && r.stderr.contains("did you mean `name.givenName`?"), "{r:?}");
}

#[test]
fn usage_errors_exit_2() {
    let r = run(["filter", "parse", "--no-such-flag", "a pr"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--no-such-flag"), "{r:?}");
    let r = run(["filter", "parse"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(["filter", "eval", "a pr"]);
    assert_eq!(r.code, 2, "missing --resources: {r:?}");
    let r = run(["patch", "apply", "--resource", "x.json", "--patch", "y.json", "--mode", "azure"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(["frobnicate"]);
    assert_eq!(r.code, 2, "{r:?}");
    // Snapshot settings are checked before anything is sent, with a fix.
    let r = run(["run", "--url", "http://127.0.0.1:9", "--redact", "meta.version"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--redact") && r.stderr.contains("`.meta.lastLogin`"), "{r:?}");
    let r = run(["run", "--url", "http://127.0.0.1:9", "--target", "../elsewhere"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("fix: use a plain name"), "{r:?}");
    let r = run(["run", "--url", "http://127.0.0.1:9", "--snapshots", "sometimes"]);
    assert_eq!(r.code, 2, "{r:?}");
    // --help is not an error.
    let r = run(["--help"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("selftest"), "{r:?}");
}

#[test]
fn selftest_passes() {
    let r = run(["selftest"]);
    assert_eq!(r.code, 0, "{r:?}");
    // The core self-check's line, then the suites against the bundled server, closing on the plain line.
    let core = r.stdout.lines().find_map(|l| l.strip_prefix("core self-check — ")).unwrap_or_else(|| panic!("{r:?}"));
    let (passed, failed) = core.split_once(" passed, ").unwrap_or_else(|| panic!("core line: {core:?}"));
    let passed: usize = passed.parse().unwrap_or_else(|_| panic!("core line: {core:?}"));
    assert_eq!(failed, "0 failed", "{core}");
    assert!(passed > 600, "only {passed} core checks ran");
    let last = r.stdout.lines().last().expect("output");
    let rest = last.strip_prefix("scimtest: ").unwrap_or_else(|| panic!("last line: {last:?}"));
    assert!(rest.contains(" passed, 0 failed"), "{last}");
    assert!(r.stdout.contains("verdict: PASS"), "{}", r.stdout);
}

#[test]
fn selftest_with_a_missing_fixtures_directory() {
    let dir = TempDir::new("selftest-missing");
    let r = run(["selftest", "--fixture-dir", p(&dir.0.join("nothing-here"))]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nothing-here"), "{r:?}");
}

#[test]
fn suites_export_writes_an_editable_copy_that_suite_dir_uses() {
    let dir = TempDir::new("suites-export");
    let out = dir.0.join("my-suites");
    let r = run(["suites", "export", p(&out)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("wrote ") && r.stdout.contains(&format!("--suite-dir {}", out.display())), "{r:?}");
    assert!(out.join("profiles/rfc.toml").is_file() && out.join("apps/sigma-entra.toml").is_file());
    // Nothing is overwritten unless asked.
    let r = run(["suites", "export", p(&out)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("already exist") && r.stderr.contains("--force"), "{r:?}");
    assert_eq!(run(["suites", "export", p(&out), "--force"]).code, 0);
    // The copy lists as the bundle does; an edit to it is what is used.
    let bundled = run(["suites", "list"]);
    let copy = run(["suites", "list", "--suite-dir", p(&out)]);
    assert_eq!((bundled.code, copy.code), (0, 0), "{bundled:?}\n{copy:?}");
    assert!(bundled.stdout.starts_with("suites from <bundled>/suites\n"), "{bundled:?}");
    let body = |s: &str| s.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(body(&copy.stdout), body(&bundled.stdout));
    assert!(bundled.stdout.contains("profile okta-aiw "), "{bundled:?}");
    std::fs::remove_file(out.join("profiles/okta-aiw.toml")).unwrap();
    let edited = run(["suites", "list", "--suite-dir", p(&out)]);
    assert!(!edited.stdout.contains("okta-aiw ") && edited.stdout.contains("profile okta "), "{edited:?}");
    // A directory without profiles/ is a usage error naming it.
    let r = run(["suites", "list", "--suite-dir", p(&dir.0.join("nothing-here"))]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nothing-here") && r.stderr.contains("--suite-dir"), "{r:?}");
}

#[test]
fn selftest_checking_snapshots_without_a_baseline_is_a_usage_error() {
    let dir = TempDir::new("no-baseline");
    let r = run(["selftest", "--no-generated", "--snapshots", "check", "--snapshot-dir", p(&dir.0)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no snapshots to check against") && r.stderr.contains("--snapshot-dir"), "{r:?}");
}

// ---------------------------------------------------------------------------------------------------
// run: pre-flight and authentication. Each setup mistake is exit 2 with one `error:` line and one
// `fix:` line, and nothing else: no trial runs, no summary.
// ---------------------------------------------------------------------------------------------------

/// `scimtest run` with `env` set and every credential variable of the caller's environment removed.
fn run_with(args: &[&str], env: &[(&str, &str)]) -> Run {
    Run::of(crate::util::scimtest_without_credentials().arg("run").args(args).envs(env.iter().copied()))
}

/// Asserts a pre-flight refusal: exit 2, nothing on stdout, and exactly `error: <cause>` and `  fix: <fix>`.
fn assert_preflight(r: &Run, cause: &str, fix: &str) {
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stdout, "", "nothing runs: {r:?}");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one error line and one fix line: {r:?}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(cause), "cause `{cause}`: {r:?}");
    assert!(lines[1].starts_with("  fix: ") && lines[1].contains(fix), "fix `{fix}`: {r:?}");
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A plain-HTTP server on a loopback port (raw sockets): `answer` maps each request's path to a status, a
/// content type and a body. Whatever is not an HTTP request (a TLS handshake) gets a 400 page.
fn raw_http(answer: fn(&str) -> (u16, &'static str, String)) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                    if !seen.starts_with(b"GET ") && !seen.is_empty() {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&seen);
                let (status, content_type, body) = match text.strip_prefix("GET ") {
                    Some(rest) => answer(rest.split(' ').next().unwrap_or("/")),
                    None => (400, "text/html", "<html>400 Bad Request</html>".to_string()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

/// A web site that is not SCIM, with a SCIM service under /scim/v2.
fn site_with_scim_under_scim_v2(path: &str) -> (u16, &'static str, String) {
    if path.starts_with("/scim/v2/ServiceProviderConfig") {
        let spc = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]});
        (200, "application/scim+json", spc.to_string())
    } else {
        (404, "text/html; charset=utf-8", "<html><body>Not Found</body></html>".into())
    }
}

fn site_without_scim(_: &str) -> (u16, &'static str, String) {
    (200, "text/html", "<html><body>Welcome</body></html>".into())
}

/// The bundled server on a loopback port, in its own runtime (dropped with it).
fn bundled(config: scimtest::server::ServerConfig) -> (tokio::runtime::Runtime, scimtest::server::RunningServer) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = rt.block_on(scimtest::server::spawn(config)).expect("start the bundled server");
    (rt, server)
}

#[test]
fn preflight_a_url_without_a_scheme_gets_the_scheme_suggested() {
    let r = run_with(&["--url", "127.0.0.1:18260/v2"], &[("SCIM_TOKEN", "t")]);
    assert_preflight(&r, "did you mean http://127.0.0.1:18260/v2?", "--url http://127.0.0.1:18260/v2");
}

#[test]
fn preflight_a_dead_port_is_named() {
    let port = dead_port();
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/scim/v2")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(&r, &format!("nothing accepts connections at 127.0.0.1:{port} (connection refused)"), "running");
}

#[test]
fn preflight_https_against_a_plain_http_server_says_use_http() {
    let port = raw_http(site_with_scim_under_scim_v2);
    let r = run_with(&["--url", &format!("https://127.0.0.1:{port}/scim/v2")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(
        &r,
        "the server speaks plain HTTP",
        &format!("use http://: pass --url http://127.0.0.1:{port}/scim/v2"),
    );
}

#[test]
fn preflight_http_against_an_https_port_says_use_https() {
    // What nginx answers plain HTTP on its TLS port.
    fn nginx(_: &str) -> (u16, &'static str, String) {
        (400, "text/html", "<center>The plain HTTP request was sent to HTTPS port</center>".into())
    }
    let port = raw_http(nginx);
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/scim/v2")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(&r, "speaks HTTPS", &format!("use https://: pass --url https://127.0.0.1:{port}/scim/v2"));
}

#[test]
fn preflight_a_resource_path_at_the_end_of_the_url_is_named() {
    let port = dead_port();
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/scim/v2/Users/")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(
        &r,
        &format!("drop /Users: the base URL is http://127.0.0.1:{port}/scim/v2"),
        &format!("--url http://127.0.0.1:{port}/scim/v2"),
    );
}

#[test]
fn preflight_a_site_that_is_not_scim_gets_the_base_path_that_is() {
    let port = raw_http(site_with_scim_under_scim_v2);
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/api")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(
        &r,
        &format!(
            "no SCIM service at http://127.0.0.1:{port}/api (GET http://127.0.0.1:{port}/api/ServiceProviderConfig \
             answered 404 text/html)"
        ),
        &format!("did you mean http://127.0.0.1:{port}/scim/v2?"),
    );
    // Nothing SCIM anywhere: no suggestion.
    let port = raw_http(site_without_scim);
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/scim/v2")], &[("SCIM_TOKEN", "t")]);
    assert_preflight(&r, "no SCIM service at", "pass the SCIM base URL");
    assert!(!r.stderr.contains("did you mean"), "{r:?}");
}

#[test]
fn preflight_a_wrong_path_on_the_bundled_server_gets_its_base_path() {
    let (rt, server) =
        bundled(scimtest::server::ServerConfig { token: Some("right-token".into()), ..Default::default() });
    let origin = server.base_url().trim_end_matches("/scim/v2").to_string();
    let r = run_with(&["--url", &format!("{origin}/scim/v1")], &[("SCIM_TOKEN", "right-token")]);
    assert_preflight(&r, "no SCIM service at", &format!("did you mean {origin}/scim/v2?"));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn preflight_a_wrong_token_is_refused_and_no_token_is_a_usage_error() {
    let (rt, server) =
        bundled(scimtest::server::ServerConfig { token: Some("right-token".into()), ..Default::default() });
    let url = server.base_url();
    let r = run_with(&["--url", &url], &[("SCIM_TOKEN", "wrong-token-123")]);
    assert_preflight(
        &r,
        &format!("the server refused the credential (401 on GET {url}/Users?count=1"),
        "check the bearer token (SCIM_TOKEN or --token)",
    );
    assert!(!r.stderr.contains("wrong-token-123"), "{r:?}");
    let r = run_with(&["--url", &url], &[]);
    assert_preflight(&r, "no credential is configured", "--no-auth if the endpoint takes none");
    let r = run_with(&["--url", &url, "--no-auth"], &[]);
    assert_preflight(&r, "the server asks for a credential (401", "drop --no-auth");
    let r = run_with(&["--url", &url, "--no-auth"], &[("SCIM_TOKEN", "right-token")]);
    assert_preflight(&r, "--no-auth is given together with a credential", "drop --no-auth");
    assert_eq!(server.state.counts(), (0, 0), "pre-flight creates nothing");
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn preflight_fails_within_3_s_against_a_server_that_never_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts every connection and keeps it open, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let start = std::time::Instant::now();
    let r = run_with(&["--url", &format!("http://127.0.0.1:{port}/scim/v2")], &[("SCIM_TOKEN", "t")]);
    let elapsed = start.elapsed();
    assert_preflight(&r, "the server accepted the connection but did not answer within 2.5 s", "healthy");
    // A bound on a timeout (2.5 s), with slack for starting the binary on a busy machine.
    assert!(elapsed < std::time::Duration::from_millis(3500), "took {elapsed:?}");
}

#[test]
fn basic_authentication_runs_against_the_bundled_server_and_the_password_is_never_shown() {
    const PASSWORD: &str = "pw-4b1c9e7d2a";
    let (rt, server) = bundled(scimtest::server::ServerConfig {
        basic: Some(("alice".into(), PASSWORD.into())),
        ..Default::default()
    });
    let url = server.base_url();
    let r = run_with(
        &["--url", &url, "--basic", "alice", "--suite", "auth", "--no-generated"],
        &[("SCIM_PASSWORD", PASSWORD)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("verdict: PASS") && r.stdout.contains("rfc::auth::"), "{r:?}");
    assert!(!r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD), "the password leaked: {r:?}");
    let r = run_with(&["--url", &url, "--basic", "alice"], &[("SCIM_PASSWORD", "not-the-password")]);
    assert_preflight(&r, "the server refused the credential (401", "check the --basic user and the SCIM_PASSWORD");
    let r = run_with(&["--url", &url, "--basic", "alice"], &[]);
    assert_preflight(
        &r,
        "--basic alice needs a password in the SCIM_PASSWORD environment variable",
        "export SCIM_PASSWORD",
    );
    let r = run_with(&["--url", &url, "--basic", "alice"], &[("SCIM_PASSWORD", PASSWORD), ("SCIM_TOKEN", "t")]);
    assert_preflight(&r, "both a bearer token", "pass one of them");
    assert_eq!(server.state.counts(), (0, 0));
    rt.block_on(server.shutdown()).unwrap();
}

#[test]
fn auth_negative_checks_replace_an_authorization_header_too() {
    use scimtest::server::{Fault, ServerConfig};
    let token = "header-token-5e6f7a8b";
    let args = |url: &str| {
        let header = format!("Authorization: Bearer {token}");
        ["--url", url, "--header", &header, "--suite", "auth", "--no-generated"].map(str::to_string)
    };
    // The header is the configured credential: pre-flight takes it, and the negatives send without it.
    let (rt, server) = bundled(ServerConfig { token: Some(token.into()), ..Default::default() });
    let r = run_with(&args(&server.base_url()).each_ref().map(String::as_str), &[]);
    assert_eq!(r.code, 0, "the negatives pass against a server that checks credentials: {r:?}");
    assert!(!r.stdout.contains(token) && !r.stderr.contains(token), "{r:?}");
    rt.block_on(server.shutdown()).unwrap();
    // A server that takes any token still fails them: the negatives really sent a wrong one, or none.
    let (rt, server) = bundled(ServerConfig {
        token: Some(token.into()),
        faults: [Fault::AcceptAnyToken].into_iter().collect(),
        ..Default::default()
    });
    let r = run_with(&args(&server.base_url()).each_ref().map(String::as_str), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("wrong_token_put_is_refused") && r.stdout.contains("FAILED"), "{r:?}");
    // The reproduction names the header's value as a variable, never the value.
    assert!(!r.stdout.contains(token) && !r.stderr.contains(token), "{r:?}");
    rt.block_on(server.shutdown()).unwrap();
}

/// Suite mistakes in several profiles are all told in one run, and a mistake in a file two profiles load
/// (entra's scenario that entra-compliant reuses) is told once; nothing runs (exit 2).
#[test]
fn every_profiles_suite_mistakes_are_told_once_each() {
    let dir = TempDir::new("suites-all-errors");
    let out = dir.0.join("suites");
    assert_eq!(run(["suites", "export", p(&out)]).code, 0);
    let edit = |rel: &str, from: &str, to: &str| {
        let file = out.join(rel);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{rel} has {from}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    // In a scenario both entra and entra-compliant load, and in an rfc suite.
    edit("entra/user_lifecycle.toml", "'active == false'", "'active = false'");
    edit("rfc/users.toml", "expect.status", "expect.statuz");
    let r = run(["run", "--list", "--suite-dir", p(&out), "--profile", "rfc,entra,entra-compliant"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.stderr.matches("unknown operator `=`").count(), 1, "told once: {r:?}");
    assert!(r.stderr.contains("entra/user_lifecycle.toml:"), "{r:?}");
    assert!(r.stderr.contains("rfc/users.toml:") && r.stderr.contains("statuz"), "{r:?}");
    assert!(r.stderr.contains("2 errors in 2 files; nothing ran"), "{r:?}");
}
