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

fn load(text: &str) -> Result<Suite, SuiteErrors> {
    let dir = Dir::new(&format!("{:x}", text.len()));
    let file = dir.write("users.toml", text);
    load_suite(&file, &Source::Dir(dir.0.clone()), &ProfileVars::default())
}

fn error(text: &str) -> SuiteError {
    load(text).expect_err("the suite should not load").0.remove(0)
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
        ("expect.status = [201]", "expect.stattus = [201]", 13, "unknown field"),
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
        assert_eq!(e.line.map(|l| l.line), Some(*line), "{to}: {e}");
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
    let every = crate::suite::available(&suites, "profiles");
    assert!(every.len() >= 5, "{every:?}");
    for name in every.iter().map(String::as_str) {
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
    assert_eq!(e.line.map(|l| l.line), Some(14), "{e}");
    assert!(e.message.contains("redaction selector `meta`") && e.fix.contains("Snapshots"), "{e}");
    let e =
        error(&GOOD.replace("requires = [\"patch\"]", "requires = [\"patch\"]\nsnapshot_headers = [\"no spaces\"]"));
    assert!(e.message.contains("not a header name"), "{e}");
}

/// The end-of-run sweep finds what a run created by its name prefix: every userName and group
/// displayName a shipped suite creates must start with `${name:…}` or `${email:…}`.
#[test]
fn every_name_a_shipped_suite_creates_starts_with_the_run_prefix() {
    let suites = Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("suites"));
    let fixtures = Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"));
    let mut checked = 0;
    // Through the profiles: a suite with `{{profile.…}}` variables loads only under one.
    for profile in available(&suites, "profiles") {
        let profile = load_profile(&suites, &profile).unwrap();
        for suite in load_profile_suites(&suites, &fixtures, &profile).unwrap() {
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

/// GOOD in the compact form: one-line assertions, `post = …`, inline steps, suite defaults.
const COMPACT: &str = r#"[suite]
description = "users"
defaults = { expect.status = [201] }

[[scenario]]
name = "create"
requirement = { source = "RFC 7644 §3.3", level = "MUST", text = "201" }
requires = ["patch"]
steps = [
  { post = "/Users", body = '''{ "userName": "${name:babs}" }''', capture = { user = "" },
    expect.json = ['userName == "${name:babs}"'] },
  { get = "/Users/${user.id}", query = { filter = 'userName eq "${name:babs}"' }, expect.status = [200] },
]
"#;

#[test]
fn the_compact_form_loads_the_same_model_as_the_tables() {
    let old = GOOD
        .replace("[[scenario.step]]\nmethod = \"GET\"", "[[scenario.step]]\nexpect.status = [200]\nmethod = \"GET\"");
    let mut want = load(&old).unwrap();
    let got = load(COMPACT).unwrap();
    want.file = got.file.clone();
    assert_eq!(got, want);
}

#[test]
fn one_line_assertions_mix_with_tables_and_cover_every_operator() {
    let text = COMPACT.replace(
        "expect.json = ['userName == \"${name:babs}\"']",
        "expect.json = ['/userName == \"${name:babs}\"', { path = \"id\", present = true }, 'emails[type eq \"work\"].value absent', \
         'meta.version != 1', 'emails length 0', 'x type string', 'x one_of [1, \"a\"]', 'x contains \"a\"', \
         'meta.created not_before \"${user.meta.created}\"', 'meta.lastModified same_instant \"2024-01-01T00:00:00Z\"'], \
         expect.headers = ['Location == \"${user.meta.location}\"', 'ETag present', { name = \"X\", contains = \"y\" }]",
    );
    let s = load(&text).unwrap();
    let e = &s.scenarios[0].steps[0].expect;
    assert_eq!(e.json.len(), 10);
    assert_eq!(e.json[0].target, JsonTarget::Pointer("/userName".into()));
    assert_eq!(e.json[1].predicate, Predicate::Present(true));
    assert_eq!(e.json[2].predicate, Predicate::Present(false));
    assert_eq!(e.headers.len(), 3);
    assert_eq!(e.headers[1], HeaderCheck { name: "ETag".into(), predicate: HeaderPredicate::Present(true) });
}

/// The line and column of the first error of `text`, and the error.
fn located(text: &str) -> (usize, usize, SuiteError) {
    let e = error(text);
    let at = e.line.unwrap_or_else(|| panic!("no location: {e}"));
    (at.line, at.column, e)
}

#[test]
fn a_bad_assertion_is_located_at_its_token() {
    // Line 11 is `    expect.json = ['userName == "${name:babs}"'] },`; the quote is at column 20.
    let (line, column, e) = located(&COMPACT.replace("'userName == \"", "'userName = \""));
    assert_eq!((line, column), (11, 30), "{e}");
    assert!(e.message.contains("unknown operator `=` — did you mean `==`?") && e.fix.contains("not_before"), "{e}");
    assert!(e.to_string().contains("users.toml:11:30: unknown operator"), "{e}");
    let (line, column, e) = located(&COMPACT.replace("'userName == \"${name:babs}\"'", "'userName == babs'"));
    assert_eq!((line, column), (11, 33), "{e}");
    assert!(e.message.contains("not JSON") && e.fix.contains("\"babs\""), "{e}");
    let (line, column, e) = located(&COMPACT.replace("'userName == \"${name:babs}\"'", "'emails[type eq] == 1'"));
    assert_eq!(line, 11, "{e}");
    assert!(column >= 21 && e.message.contains("path does not parse"), "{e}");
    let (_, _, e) = located(&COMPACT.replace("'userName == \"${name:babs}\"'", "'x lenght 1'"));
    assert!(e.message.contains("did you mean `length`"), "{e}");
    let (line, _, e) = located(&COMPACT.replace("expect.status = [200] }", "expect.headers = ['ETag is 1'] }"));
    assert!(line == 12 && e.message.contains("unknown operator `is`"), "{e}");
}

#[test]
fn every_error_of_a_file_is_reported() {
    let text = COMPACT
        .replace("'userName == \"${name:babs}\"'", "'userName = 1'")
        .replace("get = \"/Users/${user.id}\"", "get = \"Users\"");
    let all = load(&text).unwrap_err();
    assert_eq!(all.0.len(), 2, "{all}");
    assert!(all.0[1].message.contains("does not start with `/`"), "{all}");
    let shown = all.to_string();
    assert!(shown.contains("\nerror: ") && shown.ends_with("2 errors in 1 file; nothing ran"), "{shown}");
    // One SuiteError for the runner's load_all, telling all of them.
    let one = SuiteError::from(all);
    assert_eq!(one.to_string(), shown);
}

#[test]
fn a_step_names_its_request_once() {
    let e =
        error(&COMPACT.replace("{ get = \"/Users/${user.id}\"", "{ get = \"/Users\", delete = \"/Users/${user.id}\""));
    assert!(e.message.contains("one of get, post"), "{e}");
    let e = error(&COMPACT.replace("{ get = \"/Users/${user.id}\", ", "{ "));
    assert!(e.message.contains("needs its request"), "{e}");
    let e = error(&COMPACT.replace("{ get = \"/Users/${user.id}\"", "{ method = \"GET\""));
    assert!(e.message.contains("needs `path` too"), "{e}");
}

#[test]
fn suite_defaults_apply_where_a_step_is_silent() {
    let text = COMPACT.replace(
        "defaults = { expect.status = [201] }",
        "defaults = { expect.status = [201], content_type = \"application/json\", accept = \"none\", auth = \"wrong\", \
         headers = { X-A = \"1\", X-B = \"2\" } }",
    )
    .replace("expect.status = [200] }", "expect.status = [200], accept = \"text/plain\", headers = { x-a = \"3\" } }");
    let s = load(&text).unwrap();
    let [first, second] = &s.scenarios[0].steps[..] else { panic!() };
    assert_eq!(
        (first.content_type.as_str(), first.accept.clone(), first.auth),
        ("application/json", None, Auth::Wrong)
    );
    assert_eq!(first.expect.status, [201]);
    assert_eq!(first.headers, [("X-A".to_string(), "1".to_string()), ("X-B".into(), "2".into())]);
    assert_eq!((second.accept.as_deref(), second.expect.status.clone()), (Some("text/plain"), vec![200]));
    assert_eq!(second.content_type, crate::client::SCIM_JSON, "the default types bodies; the GET has none");
    assert_eq!(second.headers, [("X-B".to_string(), "2".to_string()), ("x-a".into(), "3".into())]);
    let e = error(&COMPACT.replace("defaults = { ", "defaults = { auth = \"root\", "));
    assert!(e.message.contains("unknown auth `root`"), "{e}");
}

const FRAGMENTS: &str = r#"create_user = [
  { name = "create {{who}}", post = "/Users", body = '''{ "userName": "${name:{{who}}}" }''',
    expect.status = 201, capture = { "{{who}}" = "" }, expect.json = ['userName == "${name:{{who}}}"'] },
]
two = [{ get = "/Users" }, { get = "/Groups", expect.json = ['/totalResults == 0'] }]
"#;

/// Loads `text` as suites/rfc/users.toml next to suites/fragments/users.toml = FRAGMENTS.
fn load_with_fragments(text: &str, fragments: &str) -> Result<Suite, SuiteErrors> {
    let dir = Dir::new("fragments");
    std::fs::create_dir_all(dir.0.join("suites/rfc")).unwrap();
    std::fs::create_dir_all(dir.0.join("suites/fragments")).unwrap();
    dir.write("suites/fragments/users.toml", fragments);
    let file = dir.write("suites/rfc/users.toml", text);
    load_suite(&file, &Source::Dir(dir.0.clone()), &ProfileVars::default())
}

const USES: &str = r#"[suite]
description = "users"

[[scenario]]
name = "create"
requirement = { source = "RFC 7644 §3.3", level = "MUST", text = "201" }
steps = [
  { use = "users/create_user", with = { who = "babs" }, expect.json = ['id present'], capture = { id = "/id" } },
  { use = "users/two", expect.status = 200 },
]
"#;

#[test]
fn a_fragment_takes_parameters_and_the_step_keys_over_its_last_step() {
    let s = load_with_fragments(USES, FRAGMENTS).unwrap_or_else(|e| panic!("{e}"));
    let steps = &s.scenarios[0].steps;
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0].name.as_deref(), Some("create babs"));
    assert!(matches!(&steps[0].body, Body::Json(j) if j["userName"] == "${name:babs}"));
    assert_eq!(steps[0].capture, [("babs".to_string(), String::new()), ("id".into(), "/id".into())]);
    assert_eq!(steps[0].expect.json.len(), 2, "the step's assertions come after the fragment's");
    assert_eq!(steps[0].expect.status, [201]);
    assert_eq!((steps[1].path.as_str(), steps[2].path.as_str()), ("/Users", "/Groups"));
    assert_eq!((steps[2].expect.status.clone(), steps[2].expect.json.len()), (vec![200], 1));
}

#[test]
fn fragment_mistakes_name_the_line() {
    let first = |text: &str, fragments: &str| load_with_fragments(text, fragments).unwrap_err().0.remove(0);
    let e = first(&USES.replace("users/create_user", "users/create_usr"), FRAGMENTS);
    assert_eq!(e.line.map(|l| (l.line, l.column)), Some((8, 11)), "{e}");
    assert!(e.message.contains("did you mean `create_user`"), "{e}");
    let e = first(&USES.replace("users/two", "user/two"), FRAGMENTS);
    assert!(e.message.contains("no fragment file `fragments/user.toml` — did you mean `users`?"), "{e}");
    let e = first(&USES.replace("with = { who = \"babs\" }", "with = { whom = \"babs\" }"), FRAGMENTS);
    assert!(e.message.contains("needs `{{who}}`") && e.fix.contains("who = "), "{e}");
    let e = first(&USES.replace("{ use = \"users/two\"", "{ use = \"users/two\", with = { x = 1 }"), FRAGMENTS);
    assert!(e.message.contains("has no parameter `x`") && e.line.map(|l| l.line) == Some(9), "{e}");
    // A mistake inside the fragment is reported in the fragment's file, with where it is used.
    let e = first(USES, &FRAGMENTS.replace("'userName ==", "'userName ="));
    assert!(e.file.ends_with("fragments/users.toml") && e.line.map(|l| l.line) == Some(3), "{e}");
    assert!(e.message.contains("in the fragment used at") && e.message.contains("users.toml:8:"), "{e}");
    let e = first(&USES.replace("{ use = \"users/two\",", "{ with = { a = 1 },"), FRAGMENTS);
    assert!(e.message.contains("`with` without `use`"), "{e}");
}

#[test]
fn a_profile_cannot_run_fragments_as_suites() {
    let dir = Dir::new("fragprofile");
    std::fs::create_dir_all(dir.0.join("profiles")).unwrap();
    dir.write("profiles/p.toml", "[profile]\nname = \"p\"\ndescription = \"d\"\nsuites = [\"fragments/*\"]\n");
    let source = Source::Dir(dir.0.clone());
    let p = load_profile(&source, "p").unwrap();
    let e = profile_suite_files(&source, &p).unwrap_err();
    assert!(e.message.contains("holds fragments, not suites"), "{e}");
}

/// A suite root with two profiles that spell the same request differently: `base/ops.toml` writes its
/// scenarios with `{{profile.…}}`; `flagged/ops.toml` (run by profile `flagged`) reuses them.
fn reuse_root(site: &str) -> (Dir, Source) {
    let dir = Dir::new("reuse");
    for d in ["profiles", "base", "flagged", "fragments"] {
        std::fs::create_dir_all(dir.0.join(d)).unwrap();
    }
    dir.write(
        "profiles/base.toml",
        "[profile]\nname = \"base\"\ndescription = \"d\"\nsuites = [\"base/*\"]\n\n[profile.vars]\nreplace = \"Replace\"\n\
         false = '\"False\"'\nremove_member = '{ \"op\": \"Remove\", \"path\": \"members\", \"value\": [{ \"value\": \"{{id}}\" }] }'\n",
    );
    dir.write(
        "profiles/flagged.toml",
        "[profile]\nname = \"flagged\"\ndescription = \"d\"\nsuites = [\"flagged/*\"]\n\n[profile.vars]\nreplace = \"replace\"\n\
         false = \"false\"\nremove_member = '{ \"op\": \"remove\", \"path\": \"members[value eq \\\"{{id}}\\\"]\" }'\n",
    );
    dir.write(
        "fragments/groups.toml",
        r#"remove_member = [
  { name = "remove one", patch = '/Groups/${group.id}',
    body = '''{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{{profile.remove_member}}] }''' },
]
"#,
    );
    dir.write(
        "base/ops.toml",
        r#"[suite]
description = "base"
requires = ["patch"]

[[scenario]]
name = "disable"
description = "disable as the IdP spells it"
requirement = { source = "IdP X-1", level = "MUST", text = "{{profile.replace}} active" }
steps = [
  { name = "create", post = "/Users", body = '''{ "userName": "${name:a}" }''', expect.status = 201,
    capture = { user = "" } },
  { name = "{{profile.replace}} active", patch = "/Users/${user.id}",
    body = '''{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "{{profile.replace}}", "path": "active", "value": {{profile.false}} }] }''' },
]

[[scenario]]
name = "remove_member"
requirement = { source = "IdP X-2", level = "MUST", text = "one member removed" }
requires = ["groups"]
steps = [
  { name = "group", post = "/Groups", body = '''{ "displayName": "${name:g}" }''', capture = { group = "" } },
  { use = "groups/remove_member", with = { id = "${name:someone}" } },
]
"#,
    );
    dir.write("flagged/ops.toml", site);
    let source = Source::Dir(dir.0.clone());
    (dir, source)
}

const SITE: &str = r#"[suite]
description = "flagged"

[[scenario]]
use = "base/ops/disable"
name = "disable_flagged"
steps = [{ name = "read back", get = "/Users/${user.id}", expect.json = ['active == false'] }]

[[scenario]]
use = "base/ops/remove_member"
requires = ["etag"]
"#;

fn load_as(source: &Source, profile: &str) -> Result<Vec<Suite>, SuiteErrors> {
    let profile = load_profile(source, profile).unwrap_or_else(|e| panic!("{e}"));
    load_profile_suites_reporting_all(source, &Source::Dir(source.root().to_path_buf()), &profile)
}

#[test]
fn profile_variables_spell_each_profiles_requests() {
    let (_dir, source) = reuse_root(SITE);
    let patch_op = |s: &Suite, scenario: usize, step: usize| match &s.scenarios[scenario].steps[step].body {
        Body::Json(j) => j["Operations"][0].clone(),
        other => panic!("{other:?}"),
    };
    let base = &load_as(&source, "base").unwrap_or_else(|e| panic!("{e}"))[0];
    assert_eq!(patch_op(base, 0, 1), serde_json::json!({ "op": "Replace", "path": "active", "value": "False" }));
    assert_eq!(base.scenarios[0].requirement.text, "Replace active");
    assert_eq!(
        patch_op(base, 1, 1),
        serde_json::json!({ "op": "Remove", "path": "members", "value": [{ "value": "${name:someone}" }] })
    );

    let flagged = &load_as(&source, "flagged").unwrap_or_else(|e| panic!("{e}"))[0];
    let disable = &flagged.scenarios[0];
    assert_eq!(disable.name, "disable_flagged", "the site's name replaces the reused one's");
    assert_eq!(disable.description, "disable as the IdP spells it", "what the site leaves out is kept");
    assert_eq!(disable.requirement.text, "replace active");
    assert_eq!(patch_op(flagged, 0, 1), serde_json::json!({ "op": "replace", "path": "active", "value": false }));
    assert_eq!(disable.steps.len(), 3, "the site's steps run after the reused ones");
    assert_eq!(disable.steps[1].name.as_deref(), Some("replace active"));
    assert_eq!(disable.steps[2].path, "/Users/${user.id}", "and may name their captures");
    let remove = &flagged.scenarios[1];
    assert_eq!(remove.name, "remove_member");
    assert_eq!(remove.requires, [Feature::Patch, Feature::Etag, Feature::Groups], "source suite, scenario and site");
    assert_eq!(
        patch_op(flagged, 1, 1),
        serde_json::json!({ "op": "remove", "path": "members[value eq \"${name:someone}\"]" })
    );
}

#[test]
fn reuse_mistakes_point_at_the_use_or_into_the_reused_file() {
    let first = |site: &str| {
        let (_dir, source) = reuse_root(site);
        load_as(&source, "flagged").unwrap_err().0.remove(0)
    };
    let e = first(&SITE.replace("base/ops/disable", "base/ops/disabel"));
    assert_eq!(e.line.map(|l| (l.line, l.column)), Some((5, 7)), "{e}");
    assert!(e.message.contains("no scenario `disabel`") && e.message.contains("did you mean `disable`"), "{e}");
    assert!(e.fix.contains("disable, remove_member"), "{e}");
    let e = first(&SITE.replace("base/ops/disable", "base/opz/disable"));
    assert!(e.message.contains("no suite `base/opz` — did you mean `ops`?"), "{e}");
    let e = first(&SITE.replace("base/ops/disable", "disable"));
    assert!(e.message.contains("does not name a scenario") && e.fix.contains("<dir>/<suite>/<scenario>"), "{e}");
    let e = first(&SITE.replace("base/ops/disable", "fragments/groups/remove_member"));
    assert!(e.fix.contains("steps of fragments/ are used from a step"), "{e}");
    let e = first(&SITE.replace("use = \"base/ops/disable\"\n", ""));
    assert!(e.message.contains("scenario `disable_flagged` has no `requirement`"), "{e}");

    // A variable the running profile lacks: reported in the reused file, at the variable, with the site.
    let (dir, source) = reuse_root(SITE);
    let flagged = dir.0.join("profiles/flagged.toml");
    let text = std::fs::read_to_string(&flagged).unwrap().replace("false = \"false\"\n", "");
    std::fs::write(&flagged, text).unwrap();
    let errors = load_as(&source, "flagged").unwrap_err().0;
    assert_eq!(errors.len(), 1, "one mistake, one message: {errors:?}");
    let e = &errors[0];
    assert!(e.file.ends_with("base/ops.toml") && e.line.map(|l| l.line) == Some(13), "{e}");
    assert!(e.message.contains("profile `flagged` has no variable `false`"), "{e}");
    assert!(e.message.contains("in the scenario reused at") && e.message.contains("flagged/ops.toml:5:7"), "{e}");
    assert!(e.fix.contains("[profile.vars]") && e.fix.contains("profiles/flagged.toml"), "{e}");
    // Only the part that is used must resolve: reusing remove_member alone needs no `false`.
    let only_remove = SITE.split("[[scenario]]").filter(|s| !s.contains("disable")).collect::<Vec<_>>();
    let (dir, source) = reuse_root(&only_remove.join("[[scenario]]"));
    let flagged = dir.0.join("profiles/flagged.toml");
    let text = std::fs::read_to_string(&flagged).unwrap().replace("false = \"false\"\n", "");
    std::fs::write(&flagged, text).unwrap();
    let loaded = load_as(&source, "flagged").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded[0].scenarios.len(), 1);

    // In a fragment: reported in the fragment's file, with where it is used.
    let (dir, source) = reuse_root(SITE);
    let base = dir.0.join("profiles/base.toml");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(&base, &text[..text.find("remove_member =").unwrap()]).unwrap();
    let errors = load_as(&source, "base").unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].file.ends_with("fragments/groups.toml") && errors[0].line.map(|l| l.line) == Some(3));
    assert!(errors[0].message.contains("has no variable `remove_member`"), "{}", errors[0]);
    assert!(
        errors[0].message.contains("in the fragment used at") && errors[0].message.contains("ops.toml:22:11"),
        "{}",
        errors[0]
    );
}

#[test]
fn a_reused_scenario_may_not_reuse_another() {
    let (dir, source) = reuse_root(SITE);
    let base = dir.0.join("base/ops.toml");
    let text = std::fs::read_to_string(&base).unwrap();
    std::fs::write(&base, format!("{text}\n[[scenario]]\nuse = \"flagged/ops/disable_flagged\"\n")).unwrap();
    // flagged/ops.toml reuses base/ops/disable, which reuses nothing: fine. base/ops.toml's new scenario
    // reuses flagged/ops/disable_flagged, itself a reuse: refused, pointing at the original.
    assert!(load_as(&source, "flagged").is_ok());
    let e = load_as(&source, "base").unwrap_err().0.remove(0);
    assert!(e.message.contains("a reused scenario reuses another"), "{e}");
    assert!(e.fix.contains("base/ops/disable"), "{e}");
}

#[test]
fn a_fragment_that_does_not_load_is_one_error_not_one_per_later_capture() {
    let text = USES.replace("users/create_user", "users/create_usr").replace(
        "  { use = \"users/two\", expect.status = 200 },",
        "  { get = \"/Users/${babs.id}\" },\n  { get = \"/Users/${id}\" },",
    );
    let errors = load_with_fragments(&text, FRAGMENTS).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].message.contains("no fragment `create_usr`"), "{}", errors[0]);
    // Without the broken fragment, a capture no step makes is still an error.
    let text = USES.replace("  { use = \"users/two\", expect.status = 200 },", "  { get = \"/Users/${nobody.id}\" },");
    let errors = load_with_fragments(&text, FRAGMENTS).unwrap_err().0;
    assert!(errors[0].message.contains("`${nobody…}` refers to no capture"), "{}", errors[0]);
}

/// GOOD with a `[scenario.tension]` on its first step (named `create`), whose IdP side is 200 and a read.
fn with_tension(keys: &str) -> String {
    GOOD.replacen("method = \"POST\"", "name = \"create\"\nmethod = \"POST\"", 1) + "\n[scenario.tension]\n" + keys
}

const TENSION: &str = "id = \"8.2\"\nstep = \"create\"\nrfc = \"201\"\nidp = \"answers 200\"\nsource = \"Entra E-Q22\"\n\
expect.status = 200\nthen = [{ get = \"/Users/${user.id}\", expect.status = 200 }]\n";

#[test]
fn a_scenario_names_its_tension_and_the_idp_sides_answer() {
    let s = load(&with_tension(TENSION)).unwrap();
    let t = s.scenarios[0].tension.as_ref().expect("the tension is loaded");
    assert_eq!((t.id.as_str(), t.step, t.rfc.as_str(), t.source.as_str()), ("8.2", 0, "201", "Entra E-Q22"));
    assert_eq!(t.expect.status, vec![200]);
    assert_eq!(t.then.len(), 1);
    assert_eq!(t.then[0].path, "/Users/${user.id}");
    assert!(load(GOOD).unwrap().scenarios[0].tension.is_none());
}

#[test]
fn tension_mistakes_name_the_line_and_a_fix() {
    // (from, to, the message says, the line the error names holds)
    let cases: &[(&str, &str, &str, &str)] = &[
        ("id = \"8.2\"", "id = \"8.22\"", "unknown tension `8.22`", "id = "),
        ("step = \"create\"", "step = \"craete\"", "names no step of the scenario — did you mean `create`?", "step = "),
        ("source = \"Entra E-Q22\"", "source = \" \"", "tension `source` is empty", "id = "),
        ("expect.status = 200", "expect.status = 2000", "status must be", "expect.status"),
        ("/Users/${user.id}", "/Users/${group.id}", "refers to no capture", "then = "),
        ("rfc = \"201\"", "rfc = \"201\"\nsides = 2", "unknown field `sides`", "sides = "),
    ];
    for (from, to, phrase, at) in cases {
        let text = with_tension(&TENSION.replacen(from, to, 1));
        let e = error(&text);
        assert!(e.message.contains(phrase), "{to}: {e}");
        let line = text.lines().collect::<Vec<_>>().iter().rposition(|l| l.starts_with(at)).map(|i| i + 1);
        assert_eq!(e.line.map(|l| l.line), line, "{to}: {e}");
        assert!(!e.fix.is_empty(), "{to}: {e}");
    }
}

#[test]
fn a_profile_position_on_a_tension_says_which_side_and_mistakes_name_the_line() {
    let dir = Dir::new("positions");
    std::fs::create_dir_all(dir.0.join("profiles")).unwrap();
    let profile = |position: &str| {
        format!(
            "[profile]\nname = \"p\"\ndescription = \"d\"\nsuites = []\n\n[[profile.position]]\n{position}tension = \"t\"\npasses = \"x\"\nwhy = \"y\"\n"
        )
    };
    let source = Source::Dir(dir.0.clone());
    dir.write("profiles/p.toml", &profile("id = \"§8.1\"\nside = \"not-sent\"\n"));
    let p = load_profile(&source, "p").unwrap();
    assert_eq!((p.positions[0].id.as_deref(), p.positions[0].side), (Some("8.1"), Some(Side::NotSent)));
    for (position, phrase) in [
        ("id = \"8.0\"\nside = \"idp\"\n", "unknown tension `8.0`"),
        ("id = \"8.1\"\n", "`id` without `side`"),
        ("side = \"idp\"\n", "`side` without `id`"),
    ] {
        dir.write("profiles/p.toml", &profile(position));
        let e = load_profile(&source, "p").unwrap_err();
        assert!(e.message.contains(phrase) && !e.fix.is_empty(), "{position}: {e}");
        assert_eq!(e.line.map(|l| l.line), Some(6), "{position}: the position's line: {e}");
    }
}

#[test]
fn the_shipped_tensions_name_their_idp_side_and_the_profiles_that_need_it() {
    let suites = Source::suites();
    let profiles: Vec<Profile> =
        available(&suites, "profiles").iter().map(|n| load_profile(&suites, n).unwrap()).collect();
    let rfc = profiles.iter().find(|p| p.name == "rfc").unwrap();
    let mut on_tension = 0;
    for suite in load_profile_suites(&suites, &Source::fixtures(), rfc).unwrap() {
        for s in suite.scenarios.iter().filter(|s| s.tension.is_some()) {
            on_tension += 1;
            let t = s.tension.as_ref().unwrap();
            let needs: Vec<&str> = profiles
                .iter()
                .filter(|p| p.positions.iter().any(|x| x.id.as_deref() == Some(&t.id) && x.side == Some(Side::Idp)))
                .map(|p| p.name.as_str())
                .collect();
            assert!(!needs.is_empty(), "{}: no profile takes the IdP side of §{}", s.name, t.id);
        }
    }
    assert!(on_tension > 0, "no rfc scenario sits on a tension");
}

#[test]
fn profiles_say_how_their_idp_updates_users_and_lists_extensions() {
    let suites = Source::suites();
    let p = |name: &str| load_profile(&suites, name).unwrap();
    assert_eq!((p("okta").user_update, p("okta-aiw").user_update), (UserUpdate::Put, UserUpdate::Put));
    assert_eq!((p("entra").user_update, p("rfc").user_update), (UserUpdate::Patch, UserUpdate::Patch), "the default");
    assert!(!p("entra").lists_app_extension_urns && !p("entra-compliant").lists_app_extension_urns);
    assert!(p("okta").lists_app_extension_urns && p("rfc").lists_app_extension_urns, "the default");
    assert!(p("entra").checks_schema_discoverability && p("entra-compliant").checks_schema_discoverability);
    assert!(!p("okta").checks_schema_discoverability && !p("rfc").checks_schema_discoverability, "the default");
    // A value the key does not take is a load error naming the file.
    let dir = std::env::temp_dir().join(format!("scimtest-profile-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[profile]\nname = \"bad\"\ndescription = \"d\"\nsuites = []\nuser_update = \"post\"\n")
        .unwrap();
    let e = load_profile(&suites, file.to_str().unwrap()).unwrap_err();
    assert!(e.to_string().contains("user_update") || e.to_string().contains("post"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gallery_and_spec_expect_keys_load_and_a_path_without_its_resource_type_is_refused() {
    let suite = |expect: &str| {
        format!(
            "[suite]\ndescription = \"d\"\n[[scenario]]\nname = \"s\"\n\
             requirement = {{ source = \"Entra E-SD\", level = \"MUST\", text = \"t\" }}\n\
             steps = [{{ get = \"/Schemas\", {expect} }}]\n"
        )
    };
    let s = load(&suite(
        r#"expect.schemas_declare = ['User:emails[type eq "work"].value', "Group:members"], expect.within_ms = 600,
           expect.refusal_needs_declaration = { attribute = "User:preferredLanguage", value = "en-US" }"#,
    ))
    .unwrap();
    let expect = &s.scenarios[0].steps[0].expect;
    assert_eq!(
        expect.schemas_declare,
        [("User".to_string(), r#"emails[type eq "work"].value"#.to_string()), ("Group".into(), "members".into())]
    );
    assert_eq!(expect.within_ms, Some(600));
    let refusal = expect.refusal_needs_declaration.as_ref().unwrap();
    assert_eq!(
        (refusal.resource.as_str(), refusal.path.as_str(), refusal.value.as_str()),
        ("User", "preferredLanguage", "en-US")
    );

    let e = error(&suite("expect.schemas_declare = ['emails.value']"));
    assert!(e.message.contains("does not name its resource type") && e.fix.contains("User:"), "{e}");
    let e = error(&suite("expect.schemas_declare = ['User:emails[type eq]']"));
    assert!(e.message.contains("path does not parse"), "{e}");
    let e = error(&suite("expect.refusal_needs_declaration = { attribute = \"preferredLanguage\", value = \"x\" }"));
    assert!(e.message.contains("does not name its resource type"), "{e}");
}

const TOKEN_STEPS: &str = r#"[suite]
description = "tokens"
requires = ["oauth"]

[[scenario]]
name = "lifetime"
requirement = { source = "Entra E-Q37", level = "MUST", text = "1 h to 6 h" }
requires = ["client_assertion"]
steps = [
  { name = "request", token = "configured", expect.status = 200, expect.json = ['/expires_in between [3600, 21600]'] },
  { get = "/Users/x", auth = "alg-none", expect.status = 401 },
  { get = "/Users/y", auth = "wrong-audience", expect.status = 401, expect.json = [{ pointer = "/n", between = [1, 2.5] }] },
]
"#;

#[test]
fn token_steps_security_check_tokens_and_between_load() {
    let s = load(TOKEN_STEPS).unwrap_or_else(|e| panic!("{e}"));
    let sc = &s.scenarios[0];
    assert_eq!(sc.requires, [Feature::Oauth, Feature::ClientAssertion]);
    let [token, alg_none, audience] = &sc.steps[..] else { panic!("three steps: {:?}", sc.steps) };
    assert_eq!(token.token, Some(TokenVariant::Configured));
    assert!(token.snapshot.is_none(), "a token answer is never snapshotted");
    assert_eq!(token.expect.json[0].predicate, Predicate::Between(3600.into(), 21600.into()));
    assert_eq!((alg_none.token, alg_none.auth), (None, Auth::AlgNone));
    assert_eq!(audience.auth, Auth::WrongAudience);
    assert_eq!(audience.expect.json[0].predicate, Predicate::Between(1.into(), serde_json::json!(2.5)));
}

#[test]
fn token_step_mistakes_name_the_fix() {
    let token_step = |step: &str| TOKEN_STEPS.replace(r#"{ name = "request", token = "configured","#, step);
    let e = error(&token_step(r#"{ name = "request", token = "wrong-secrets","#));
    assert!(e.message.contains("unknown token request `wrong-secrets` — did you mean `wrong-secret`?"), "{e}");
    let e = error(&token_step(r#"{ name = "request", token = "configured", get = "/Users","#));
    assert!(e.message.contains("so it cannot have a SCIM request"), "{e}");
    let e = error(&token_step(r#"{ name = "request", token = "configured", body = '{}',"#));
    assert!(e.message.contains("so it cannot have a body"), "{e}");
    let e = error(&TOKEN_STEPS.replace(r#"auth = "alg-none""#, r#"auth = "alg_none""#));
    assert!(e.message.contains("unknown auth `alg_none` — did you mean `alg-none`?"), "{e}");
    let e = error(&TOKEN_STEPS.replace("between [3600, 21600]", "between [3600]"));
    assert!(e.message.contains("between needs a JSON array of two numbers"), "{e}");
    let e = error(&TOKEN_STEPS.replace("between = [1, 2.5]", r#"between = [1, "2"]"#));
    assert!(e.message.contains("between needs two numbers"), "{e}");
}

const PARALLEL: &str = r#"[suite]
description = "races"

[[scenario]]
name = "race"
requirement = { source = "RFC 7644 §3.3", level = "MUST", text = "one 201" }
steps = [
  { post = "/Users", parallel = 20, expect.statuses = { 201 = 1, 409 = 19 },
    body = '{ "userName": "${name:racer}", "displayName": "copy ${i}" }' },
  { post = "/Users", parallel = 3, capture = { ids = "/id" }, body = '{ "userName": "${name:m}-${i}" }' },
  { patch = "/Groups/x", parallel = 3, body = '{ "value": "${ids.i}" }' },
  { get = "/Users/${ids.2}" },
]
"#;

#[test]
fn a_parallel_step_loads_with_its_status_counts_and_no_snapshot() {
    let s = load(PARALLEL).unwrap();
    let steps = &s.scenarios[0].steps;
    assert_eq!(steps.iter().map(|s| s.parallel).collect::<Vec<_>>(), [Some(20), Some(3), Some(3), None]);
    assert_eq!(steps[0].expect.statuses, vec![(201, 1), (409, 19)]);
    assert_eq!(steps[0].expect.status, vec![201, 409], "the counted statuses are the allowed ones");
    assert!(steps[1].expect.status.is_empty() && steps[1].expect.statuses.is_empty(), "no counts: any 2xx");
    assert!(steps[..3].iter().all(|s| s.snapshot.is_none()), "which copy wins varies: never snapshotted");
    assert!(steps[3].snapshot.is_some());
}

#[test]
fn parallel_mistakes_name_the_line_and_a_fix() {
    let cases: &[(&str, &str, &str)] = &[
        ("parallel = 20,", "parallel = 1,", "from 2 to 1000"),
        ("parallel = 20,", "parallel = 5000,", "from 2 to 1000"),
        ("{ 201 = 1, 409 = 19 }", "{ 201 = 1, 409 = 18 }", "counts 19 answers, but the step is sent 20 times"),
        ("{ 201 = 1, 409 = 19 }", "{ 201 = 1, created = 19 }", "not an HTTP status"),
        ("parallel = 3, body", "expect.statuses = { 200 = 3 }, body", "counts the answers of a `parallel` step"),
        ("{ get = \"/Users/${ids.2}\" }", "{ get = \"/Users/${i}\" }", "this step is not one"),
        ("{ get = \"/Users/${ids.2}\" }", "{ post = \"/Groups\", body = '[\"${ids.*i}\"]' }", "is not parallel"),
    ];
    for (from, to, phrase) in cases {
        let text = PARALLEL.replacen(from, to, 1);
        assert_ne!(text, PARALLEL, "the case {from:?} changed nothing");
        let e = error(&text);
        assert!(e.message.contains(phrase), "{to}: {e}");
        assert!(e.line.is_some() && !e.fix.is_empty(), "{to}: {e}");
    }
}

const PAGES: &str = r#"[suite]
description = "walks"

[[scenario]]
name = "walk"
requirement = { source = "RFC 7644 §3.4.2.4", level = "MUST", text = "every page" }
steps = [
  { post = "/Users", parallel = 3, capture = { ids = "/id" }, body = '{ "userName": "${name:m}-${i}" }' },
  { get = "/Users", pages = 100, query = { filter = 'userName sw "${name:m}"' },
    expect.json = ['Resources.id same_items "${ids}"'] },
]
"#;

#[test]
fn a_page_walk_loads_with_its_page_size_and_no_snapshot() {
    let s = load(PAGES).unwrap();
    let walk = &s.scenarios[0].steps[1];
    assert_eq!(walk.pages, Some(100));
    assert!(walk.snapshot.is_none(), "one answer stitched from many: never snapshotted");
    assert_eq!(walk.expect.json[0].predicate, Predicate::SameItems("${ids}".into()));
}

#[test]
fn page_walk_mistakes_name_the_line_and_a_fix() {
    let cases: &[(&str, &str, &str)] = &[
        ("pages = 100,", "pages = 0,", "from 1 to 1000"),
        ("{ get = \"/Users\", pages", "{ post = \"/Users\", pages", "walks the pages of a list GET"),
        ("query = { filter", "query = { count = \"5\", filter", "sets startIndex and count itself"),
        ("{ get = \"/Users\",", "{ get = \"/Users?startIndex=3\",", "sets startIndex and count itself"),
        ("same_items \"${ids}\"", "same_items \"${nothing}\"", "refers to no capture"),
    ];
    for (from, to, phrase) in cases {
        let text = PAGES.replacen(from, to, 1);
        assert_ne!(text, PAGES, "the case {from:?} changed nothing");
        let e = error(&text);
        assert!(e.message.contains(phrase), "{to}: {e}");
        assert!(e.line.is_some() && !e.fix.is_empty(), "{to}: {e}");
    }
}
