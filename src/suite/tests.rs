//! Loading suites: what loads, and every kind of mistake reported with its line and a fix.

use std::path::{Path, PathBuf};

use super::*;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        // Unique per call: tests run in parallel and may load the same text.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("scimtest-suite-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("bodies")).unwrap();
        Dir(d)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = r#"[suite]
description = "users"

[[scenario]]
name = "create"
requirement = { source = "RFC 7644 §3.3", level = "MUST", text = "201" }
requires = ["patch"]

[[scenario.step]]
method = "POST"
path = "/Users"
body = '''{ "userName": "${name:babs}" }'''
expect.status = [201]
capture = { user = "" }

[[scenario.step.expect.json]]
path = "userName"
equals = "${name:babs}"

[[scenario.step]]
method = "GET"
path = "/Users/${user.id}"
query = { filter = 'userName eq "${name:babs}"' }
"#;

fn load(text: &str) -> Result<Suite, SuiteError> {
    let dir = Dir::new(&format!("{:x}", text.len()));
    let file = dir.write("users.toml", text);
    load_suite(&file, &Source::Dir(dir.0.clone()))
}

fn error(text: &str) -> SuiteError {
    load(text).expect_err("the suite should not load")
}

#[test]
fn a_good_suite_loads() {
    let s = load(GOOD).unwrap();
    assert_eq!(s.name, "users");
    let sc = &s.scenarios[0];
    assert_eq!(
        (sc.name.as_str(), sc.requirement.level, sc.requires.clone()),
        ("create", Level::Must, vec![Feature::Patch])
    );
    assert_eq!(sc.steps.len(), 2);
    assert!(!sc.read_only());
    assert_eq!(sc.steps[0].capture, vec![("user".to_string(), String::new())]);
    assert!(matches!(&sc.steps[0].body, Body::Json(j) if j["userName"] == "${name:babs}"));
    assert_eq!(sc.steps[1].query, vec![("filter".to_string(), "userName eq \"${name:babs}\"".to_string())]);
}

#[test]
fn mistakes_name_the_line_and_a_fix() {
    let cases: &[(&str, &str, usize, &str)] = &[
        ("expect.status = [201]", "expect.statuses = [201]", 13, "unknown field"),
        ("method = \"POST\"", "method = \"FETCH\"", 10, "unknown method"),
        ("path = \"/Users\"\n", "path = \"Users\"\n", 11, "does not start with `/`"),
        ("'''{ \"userName\": \"${name:babs}\" }'''", "'''{ \"userName\": }'''", 12, "body is not JSON"),
        ("'userName eq \"${name:babs}\"'", "'userName zz \"${name:babs}\"'", 23, "the filter does not parse"),
        ("/Users/${user.id}", "/Users/${group.id}", 22, "refers to no capture"),
        ("requires = [\"patch\"]", "requires = [\"time-travel\"]", 7, "unknown feature"),
        ("level = \"MUST\"", "level = \"MUSTNT\"", 6, "unknown variant"),
        ("path = \"userName\"", "path = \"emails[type eq\"", 16, "path does not parse"),
    ];
    for (from, to, line, phrase) in cases {
        let text = GOOD.replacen(from, to, 1);
        assert_ne!(text, GOOD, "the case {from:?} changed nothing");
        let e = error(&text);
        assert!(e.message.contains(phrase), "{to}: {e}");
        assert_eq!(e.line, Some(*line), "{to}: {e}");
        assert!(!e.fix.is_empty(), "{to}: no fix given");
        let shown = e.to_string();
        assert!(shown.contains(&format!("users.toml:{line}:")) && shown.contains("fix:"), "{shown}");
    }
}

#[test]
fn structural_mistakes() {
    assert!(error(&GOOD.replace("name = \"create\"", "name = \"Create Me\"")).message.contains("[a-z0-9_]"));
    let twice = format!(
        "{GOOD}\n[[scenario]]\nname = \"create\"\nrequirement = {{ source = \"x\", level = \"MAY\", text = \"y\" }}\n[[scenario.step]]\nmethod = \"GET\"\npath = \"/\"\n"
    );
    assert!(error(&twice).message.contains("appears twice"));
    assert!(error("[suite]\ndescription = \"x\"\n").message.contains("no scenarios"));
    let missing = GOOD.replace("body = '''{ \"userName\": \"${name:babs}\" }'''", "body_file = \"users/nope.json\"");
    let e = error(&missing);
    assert!(e.message.contains("cannot read body_file") && e.fix.contains("fixtures/bodies"), "{e}");
}

#[test]
fn profiles_list_their_suite_files() {
    let dir = Dir::new("profile");
    std::fs::create_dir_all(dir.0.join("profiles")).unwrap();
    std::fs::create_dir_all(dir.0.join("rfc")).unwrap();
    dir.write(
        "profiles/p.toml",
        "[profile]\nname = \"p\"\ndescription = \"d\"\nsuites = [\"rfc/*\"]\npatch_mode = \"entra\"\n",
    );
    dir.write("rfc/b.toml", GOOD);
    dir.write("rfc/a.toml", GOOD);
    let source = Source::Dir(dir.0.clone());
    let p = load_profile(&source, "p").unwrap();
    assert_eq!(p.patch_mode, crate::patch::Mode::Entra);
    let files = profile_suite_files(&source, &p).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(names, ["a.toml", "b.toml"]);
    let e = load_profile(&source, "pp").unwrap_err();
    assert!(e.message.contains("unknown profile `pp` — did you mean `p`?") && e.fix.contains("one of: p "), "{e}");
    let e = load_profile(&source, "zzzzzz").unwrap_err();
    assert!(!e.message.contains("did you mean"), "nothing close: {e}");
    let _ = Path::new("");
}

#[test]
fn the_shipped_profile_and_suites_load() {
    let suites = Source::suites();
    let profile = load_profile(&suites, "rfc").unwrap();
    let loaded = load_profile_suites(&suites, &Source::fixtures(), &profile);
    assert!(loaded.is_ok(), "{}", loaded.unwrap_err());
}

#[test]
fn not_equals_is_a_predicate_of_its_own() {
    let text = GOOD.replace("equals = \"${name:babs}\"", "not_equals = \"${name:other}\"");
    let s = load(&text).unwrap();
    assert!(
        matches!(&s.scenarios[0].steps[0].expect.json[0].predicate, Predicate::NotEquals(v) if v == "${name:other}")
    );
}

#[test]
fn the_idp_profiles_state_their_positions() {
    let suites = Source::suites();
    for name in ["rfc", "entra", "entra-compliant", "okta", "okta-aiw"] {
        let p = load_profile(&suites, name).unwrap();
        assert_eq!(p.name, name);
        assert!(!p.positions.is_empty(), "profile {name} states no position on the RFC/IdP tensions");
        assert!(p.positions.iter().all(|x| !x.passes.is_empty() && !x.why.is_empty()));
    }
}

#[test]
fn snapshot_settings_nest_suite_scenario_step_and_bad_selectors_name_the_line() {
    // Every step is in the snapshot by default, with nothing extra.
    let s = load(GOOD).unwrap();
    assert_eq!(s.scenarios[0].steps[0].snapshot, Some(StepSnapshot::default()));
    // Redactions and headers add up; the nearest `snapshot` wins.
    let text = GOOD
        .replace(
            "description = \"users\"",
            "description = \"users\"\nsnapshot_redact = [\".meta.lastLogin\"]\nsnapshot_headers = [\"Cache-Control\"]",
        )
        .replace("requires = [\"patch\"]", "requires = [\"patch\"]\nsnapshot = false")
        .replace("expect.status = [201]", "expect.status = [201]\nsnapshot = true\nsnapshot_redact = [\".**.tenant\"]");
    let s = load(&text).unwrap();
    let first = s.scenarios[0].steps[0].snapshot.clone().expect("the step turns it back on");
    let redacted: Vec<String> = first.redact.iter().map(ToString::to_string).collect();
    assert_eq!(
        (redacted, first.headers),
        (vec![".meta.lastLogin".into(), ".**.tenant".into()], vec!["cache-control".into()])
    );
    assert_eq!(s.scenarios[0].steps[1].snapshot, None, "the scenario's `snapshot = false`");
    // A selector that does not parse is a load error at its line.
    let bad = GOOD.replace("expect.status = [201]", "expect.status = [201]\nsnapshot_redact = [\"meta\"]");
    let e = error(&bad);
    assert_eq!(e.line, Some(14), "{e}");
    assert!(e.message.contains("redaction selector `meta`") && e.fix.contains("Snapshots"), "{e}");
    let e =
        error(&GOOD.replace("requires = [\"patch\"]", "requires = [\"patch\"]\nsnapshot_headers = [\"no spaces\"]"));
    assert!(e.message.contains("not a header name"), "{e}");
}

/// The end-of-run sweep finds what a run created by its name prefix: every userName and group
/// displayName a shipped suite creates must start with `${name:…}` or `${email:…}`.
#[test]
fn every_name_a_shipped_suite_creates_starts_with_the_run_prefix() {
    let suites = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites");
    let fixtures = Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"));
    let mut checked = 0;
    for dir in std::fs::read_dir(&suites).unwrap().flatten().filter(|d| d.path().is_dir()) {
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if file.path().extension().is_none_or(|x| x != "toml")
                || matches!(dir.file_name().to_str(), Some("profiles" | "apps"))
            {
                continue;
            }
            let suite = load_suite(&file.path(), &fixtures).unwrap();
            for scenario in &suite.scenarios {
                for step in scenario.steps.iter().filter(|s| matches!(s.method, Method::Post | Method::Put)) {
                    let Body::Json(body) = &step.body else { continue };
                    let key = if step.path.starts_with("/Groups") { "displayName" } else { "userName" };
                    if let Some(name) = body.get(key).and_then(Value::as_str) {
                        checked += 1;
                        assert!(
                            name.starts_with("${name:") || name.starts_with("${email:"),
                            "{}::{}: {key} `{name}` does not start with the run prefix",
                            suite.name,
                            scenario.name
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} names checked");
}

/// Not a check: writes `{:#?}` of every profile and every suite it loads from this repository's suites/
/// into the directory named by `SCIMTEST_MODEL_DUMP`, one file each, so a change of suite syntax can be
/// proven to load the same model (`diff -r before after`). Run with
/// `SCIMTEST_MODEL_DUMP=DIR cargo test --lib suite::tests::dump_the_loaded_model -- --ignored`.
#[test]
#[ignore]
fn dump_the_loaded_model() {
    let out = PathBuf::from(std::env::var("SCIMTEST_MODEL_DUMP").expect("set SCIMTEST_MODEL_DUMP to a directory"));
    std::fs::create_dir_all(&out).unwrap();
    // Relative paths (cargo runs tests in the package root), so dumps of two checkouts compare equal.
    let suites = Source::Dir(PathBuf::from("suites"));
    let fixtures = Source::Dir(PathBuf::from("fixtures"));
    let mut written = 0;
    for name in available(&suites, "profiles") {
        let profile = load_profile(&suites, &name).unwrap();
        std::fs::write(out.join(format!("profile-{name}.txt")), format!("{profile:#?}\n")).unwrap();
        let loaded = load_profile_suites(&suites, &fixtures, &profile).unwrap_or_else(|e| panic!("{e}"));
        for suite in loaded {
            let rel = suite.file.strip_prefix("suites").unwrap().with_extension("");
            let file = format!("suite-{}.txt", rel.to_string_lossy().replace('/', "-"));
            std::fs::write(out.join(file), format!("{suite:#?}\n")).unwrap();
            written += 1;
        }
    }
    assert!(written > 30, "only {written} suites dumped");
}
