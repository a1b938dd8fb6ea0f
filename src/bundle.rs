//! Where suite files come from: the `suites/` and `fixtures/` trees compiled into the binary, or a
//! directory given instead (`--suite-dir`, `--fixture-dir`). The suite loader, the self-check and the
//! runner read through [`Source`], so an installed or moved binary needs no source tree.
//!
//! The trees are embedded with `include_dir`; `build.rs` reruns when a file under them is added or
//! removed, so the embedded copy follows the source tree (a unit test compares them byte for byte).

use std::io;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

static SUITES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/suites");
static FIXTURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures");

/// A tree compiled into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bundle {
    /// `suites/`: profiles, apps and suite files.
    Suites,
    /// `fixtures/`: request bodies (`bodies/`), the RFC 7644 examples and filter corpora of the self-check.
    Fixtures,
}

impl Bundle {
    /// Its folder name in the source repository.
    pub fn name(self) -> &'static str {
        match self {
            Bundle::Suites => "suites",
            Bundle::Fixtures => "fixtures",
        }
    }

    fn dir(self) -> &'static Dir<'static> {
        match self {
            Bundle::Suites => &SUITES,
            Bundle::Fixtures => &FIXTURES,
        }
    }

    /// Every file of the tree, as (path relative to the tree, contents), sorted by path.
    pub fn files(self) -> Vec<(&'static Path, &'static [u8])> {
        fn walk(dir: &'static Dir<'static>, out: &mut Vec<(&'static Path, &'static [u8])>) {
            out.extend(dir.files().map(|f| (f.path(), f.contents())));
            dir.dirs().for_each(|d| walk(d, out));
        }
        let mut out = Vec::new();
        walk(self.dir(), &mut out);
        out.sort();
        out
    }
}

/// Where a tree of suite files is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Bundled(Bundle),
    Dir(PathBuf),
}

impl Source {
    /// The bundled suites.
    pub fn suites() -> Source {
        Source::Bundled(Bundle::Suites)
    }

    /// The bundled fixtures.
    pub fn fixtures() -> Source {
        Source::Bundled(Bundle::Fixtures)
    }

    /// `dir` when given, else the bundled tree (`--suite-dir DIR` or nothing).
    pub fn dir_or(dir: Option<PathBuf>, bundle: Bundle) -> Source {
        dir.map_or(Source::Bundled(bundle), Source::Dir)
    }

    /// The tree's root as shown in messages: `<bundled>/suites`, or the directory.
    pub fn root(&self) -> PathBuf {
        match self {
            Source::Bundled(b) => Path::new("<bundled>").join(b.name()),
            Source::Dir(d) => d.clone(),
        }
    }

    /// A file of the tree as shown in messages (`<bundled>/suites/rfc/users.toml`, or the real path).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root().join(rel)
    }

    /// A shown path (from [`Source::path`]) relative to the tree, when it is in it.
    pub fn relative<'a>(&self, shown: &'a Path) -> Option<&'a Path> {
        match self {
            Source::Bundled(b) => shown.strip_prefix(Path::new("<bundled>").join(b.name())).ok(),
            Source::Dir(d) => shown.strip_prefix(d).ok(),
        }
    }

    /// The text of the file at `rel` (relative to the tree).
    pub fn read(&self, rel: impl AsRef<Path>) -> io::Result<String> {
        let rel = rel.as_ref();
        match self {
            Source::Dir(d) => std::fs::read_to_string(d.join(rel)),
            Source::Bundled(b) => {
                let file = b.dir().get_file(rel).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("not among the bundled {}", b.name()))
                })?;
                file.contents_utf8()
                    .map(str::to_string)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
            }
        }
    }

    /// The files directly in `rel_dir` whose extension is `ext`, relative to the tree, sorted.
    pub fn list(&self, rel_dir: impl AsRef<Path>, ext: &str) -> io::Result<Vec<PathBuf>> {
        let rel_dir = rel_dir.as_ref();
        let mut found: Vec<PathBuf> = match self {
            Source::Dir(d) => std::fs::read_dir(d.join(rel_dir))?
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| rel_dir.join(e.file_name()))
                .collect(),
            Source::Bundled(b) => {
                let dir = if rel_dir.as_os_str().is_empty() { Some(b.dir()) } else { b.dir().get_dir(rel_dir) };
                let dir = dir.ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("not among the bundled {}", b.name()))
                })?;
                dir.files().map(|f| f.path().to_path_buf()).collect()
            }
        };
        found.retain(|p| p.extension().is_some_and(|x| x == ext));
        found.sort();
        Ok(found)
    }
}

/// Writes a bundled tree under `dest` for editing (then pass `--suite-dir dest`). Refuses to replace an
/// existing file unless `force`; checks every file before writing any. Returns the files written.
pub fn export(bundle: Bundle, dest: &Path, force: bool) -> Result<Vec<PathBuf>, String> {
    let files = bundle.files();
    if !force {
        let existing: Vec<String> = files
            .iter()
            .map(|(rel, _)| dest.join(rel))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} file(s) already exist, e.g. {}\n  fix: pick an empty directory, or pass --force to overwrite them",
                existing.len(),
                existing[0]
            ));
        }
    }
    let mut written = Vec::new();
    for (rel, contents) in files {
        let path = dest.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of `dir` (relative to it) and their contents, sorted.
    fn on_disk(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(root, &p, out);
                } else {
                    out.push((p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    /// A stale embed cannot pass: every file of suites/ and fixtures/ is in the binary, byte for byte,
    /// and nothing else is (build.rs makes cargo rebuild when files are added or removed).
    #[test]
    fn the_embedded_trees_equal_the_source_trees() {
        for bundle in [Bundle::Suites, Bundle::Fixtures] {
            let source = on_disk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(bundle.name()));
            let embedded: Vec<(PathBuf, Vec<u8>)> =
                bundle.files().into_iter().map(|(p, c)| (p.to_path_buf(), c.to_vec())).collect();
            let names = |v: &[(PathBuf, Vec<u8>)]| v.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
            assert_eq!(names(&embedded), names(&source), "{}: the embedded file list differs", bundle.name());
            for ((path, a), (_, b)) in embedded.iter().zip(&source) {
                assert!(a == b, "{}/{} differs from the embedded copy", bundle.name(), path.display());
            }
            assert!(source.len() > 20, "{}: only {} files", bundle.name(), source.len());
        }
    }

    /// Run time never reads the source tree: no `env!` of the manifest directory outside tests (the
    /// embedding above reads it at compile time only).
    #[test]
    fn no_runtime_path_names_the_source_tree() {
        let needle = ["env!(\"CARGO_", "MANIFEST_DIR\")"].concat();
        let mut found = Vec::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("src"), root.join("crates")];
        let mut checked = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    let runtime = text.split("#[cfg(test)]").next().unwrap_or_default();
                    if runtime.contains(&needle) {
                        found.push(p.display().to_string());
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 30, "only {checked} source files");
        assert!(found.is_empty(), "these read the source tree at run time: {found:?}");
    }

    #[test]
    fn bundled_and_directory_sources_read_and_list_alike() {
        let dir = Source::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("suites"));
        let bundled = Source::suites();
        for source in [&dir, &bundled] {
            let profiles = source.list("profiles", "toml").unwrap();
            assert!(profiles.contains(&PathBuf::from("profiles/rfc.toml")), "{profiles:?}");
            assert!(source.read("profiles/rfc.toml").unwrap().contains("[profile]"));
            let shown = source.path("rfc/users.toml");
            assert_eq!(source.relative(&shown), Some(Path::new("rfc/users.toml")));
            assert_eq!(source.read("profiles/nope.toml").unwrap_err().kind(), io::ErrorKind::NotFound);
            assert!(source.list("nope", "toml").is_err());
        }
        assert_eq!(dir.list("profiles", "toml").unwrap(), bundled.list("profiles", "toml").unwrap());
        assert_eq!(bundled.path("rfc/users.toml"), Path::new("<bundled>/suites/rfc/users.toml"));
    }

    #[test]
    fn export_writes_every_file_and_refuses_to_overwrite_without_force() {
        let dest = std::env::temp_dir().join(format!("scimtest-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dest);
        let written = export(Bundle::Suites, &dest, false).unwrap();
        assert_eq!(written.len(), Bundle::Suites.files().len());
        assert_eq!(on_disk(&dest).len(), written.len());
        let again = export(Bundle::Suites, &dest, false).unwrap_err();
        assert!(again.contains("already exist") && again.contains("--force"), "{again}");
        std::fs::write(dest.join("profiles/rfc.toml"), "edited").unwrap();
        assert_eq!(export(Bundle::Suites, &dest, true).unwrap().len(), written.len());
        assert!(std::fs::read_to_string(dest.join("profiles/rfc.toml")).unwrap().contains("[profile]"));
        std::fs::remove_dir_all(&dest).unwrap();
    }
}
