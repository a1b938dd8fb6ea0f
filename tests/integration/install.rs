//! An installed or moved binary works from any directory: it carries its suites and fixtures, so
//! `suites list`, `selftest` and a run against `scimtest serve` pass from a temp directory with nothing
//! pointing at this source tree. `cargo install` itself: [`cargo_install_gives_a_binary_that_works_anywhere`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A per-test directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("scimtest-install-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The binary run from `cwd`, with no setting that names suites, fixtures or snapshots.
fn scimtest(binary: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(binary);
    c.current_dir(cwd);
    for var in ["SCIMTEST_SUITES", "SCIMTEST_FIXTURES", "SCIM_SNAPSHOT_DIR", "SCIM_SNAPSHOTS", "SCIM_BASE_URL"] {
        c.env_remove(var);
    }
    c
}

fn output(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("run scimtest");
    (
        out.status.code().expect("exited normally"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What a user does after installing: list the suites, self-check, and run against the bundled server.
fn works_from(binary: &Path, cwd: &Path) {
    let (code, stdout, stderr) = output(scimtest(binary, cwd).args(["suites", "list"]));
    assert_eq!(code, 0, "suites list: {stdout}{stderr}");
    assert!(stdout.contains("<bundled>/suites") && stdout.contains("profile rfc "), "{stdout}");
    assert!(stdout.contains("app     sigma-entra "), "{stdout}");

    let (code, stdout, stderr) = output(scimtest(binary, cwd).args(["selftest", "--no-generated"]));
    assert_eq!(code, 0, "selftest: {stdout}{stderr}");
    assert!(stdout.contains("core self-check — ") && stdout.contains("verdict: PASS"), "{stdout}");

    let mut server = scimtest(binary, cwd)
        .args(["serve", "--addr", "127.0.0.1:0", "--token", "t"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start scimtest serve");
    let mut banner = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut banner).unwrap();
    let url = banner.split_whitespace().find(|w| w.starts_with("http://")).map(str::to_string);
    let run = url.as_ref().map(|url| {
        output(scimtest(binary, cwd).args(["run", "--url", url, "--token", "t", "--no-generated", "--suite", "users"]))
    });
    let _ = server.kill();
    let _ = server.wait();
    let (code, stdout, stderr) = run.unwrap_or_else(|| panic!("the serve banner names no URL: {banner}"));
    assert_eq!(code, 0, "run: {stdout}{stderr}");
    assert!(stdout.contains("verdict: PASS"), "{stdout}");
    assert!(stdout.lines().filter(|l| l.ends_with("... ok")).count() >= 10, "{stdout}");
}

/// The built binary, copied elsewhere and run from a directory of its own.
#[test]
fn a_moved_binary_works_from_any_directory() {
    let dir = TempDir::new("moved");
    std::fs::create_dir_all(dir.0.join("bin")).unwrap();
    std::fs::create_dir_all(dir.0.join("work")).unwrap();
    let binary = dir.0.join("bin").join("scimtest");
    std::fs::copy(env!("CARGO_BIN_EXE_scimtest"), &binary).unwrap();
    works_from(&binary, &dir.0.join("work"));
    let left: Vec<_> = std::fs::read_dir(dir.0.join("work")).unwrap().flatten().map(|e| e.path()).collect();
    assert!(left.is_empty(), "a passing run wrote into the working directory: {left:?}");
}

/// `cargo install --path . --root <tmp>` (offline, locked, the debug profile, this build's target
/// directory), then the installed binary from a temp directory. Ignored in `cargo test`: without the
/// dev-dependencies' features the dependency tree compiles again, about 5 minutes on a busy 2-core
/// machine the first time (1.4 s after). `scripts/install-check` runs it.
#[test]
#[ignore = "compiles the dependency tree again; run by scripts/install-check"]
fn cargo_install_gives_a_binary_that_works_anywhere() {
    let dir = TempDir::new("cargo-install");
    // <target>/debug/scimtest
    let target = Path::new(env!("CARGO_BIN_EXE_scimtest")).parent().and_then(Path::parent).expect("target dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = output(
        Command::new(cargo)
            .args(["install", "--path", env!("CARGO_MANIFEST_DIR"), "--root"])
            .arg(&dir.0)
            .args(["--debug", "--offline", "--locked", "--quiet"])
            .env("CARGO_TARGET_DIR", target),
    );
    assert_eq!(code, 0, "cargo install: {stdout}{stderr}");
    eprintln!("cargo install took {:.1} s", started.elapsed().as_secs_f64());
    std::fs::create_dir_all(dir.0.join("work")).unwrap();
    works_from(&dir.0.join("bin").join("scimtest"), &dir.0.join("work"));
}
