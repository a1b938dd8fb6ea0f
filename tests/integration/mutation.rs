//! The mutation matrix: every suite of every profile against the bundled server, once clean and once per
//! deliberate fault (`scimtest serve --list-faults`). The clean server fails nothing; each fault is caught
//! by at least one MUST or SHOULD check. The table (fault → the checks that failed) is printed and
//! written to `target/tmp/mutation-matrix.md`:
//!
//! ```sh
//! cargo test --test integration mutation -- --nocapture
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use scimtest::runner::report::{Outcome, Record};
use scimtest::server::Fault;
use scimtest::suite::Level;

use crate::suites::run_against;

/// Failing checks per level, by name.
#[derive(Default)]
struct Caught {
    by_level: BTreeMap<Level, Vec<String>>,
    skipped: Vec<String>,
}

impl Caught {
    fn of(records: &[Record]) -> (Caught, Vec<String>) {
        let mut caught = Caught::default();
        let mut messages = Vec::new();
        for r in records {
            match &r.outcome {
                // A blocked check counts: its setup failed on the fault, and a blocked MUST fails the verdict.
                Outcome::Failed(_) | Outcome::Blocked(_) => {
                    caught.by_level.entry(r.requirement.level).or_default().push(r.name.clone());
                    messages.push(format!("---- {}\n{}", r.name, r.message().unwrap_or_default()));
                }
                Outcome::Skipped(_) => caught.skipped.push(r.name.clone()),
                // A conflict resolved in an IdP's favour passes: it catches nothing.
                Outcome::Passed | Outcome::Conflict(_) => {}
            }
        }
        (caught, messages)
    }

    fn count(&self, level: Level) -> usize {
        self.by_level.get(&level).map_or(0, Vec::len)
    }

    /// A MUST or SHOULD check failed.
    fn caught(&self) -> bool {
        self.count(Level::Must) + self.count(Level::Should) > 0
    }

    fn examples(&self) -> String {
        let mut names: Vec<&String> = [Level::Must, Level::Should, Level::May]
            .iter()
            .flat_map(|l| self.by_level.get(l).into_iter().flatten())
            .collect();
        // The rfc profile's names first: they name the requirement most directly.
        names.sort_by_key(|n| !n.starts_with("rfc::"));
        names.iter().take(2).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_by_a_must_or_should_check_and_the_clean_server_by_none() {
    let (clean, messages) = Caught::of(&run_against(&[]).await);
    assert!(
        messages.is_empty(),
        "{} scenarios fail against the clean reference server:\n{}",
        messages.len(),
        messages.join("\n")
    );
    assert!(clean.skipped.is_empty(), "the reference server supports every feature, yet skipped: {:?}", clean.skipped);

    // Faults side by side: each run mostly waits on loopback HTTP.
    let slots = Arc::new(tokio::sync::Semaphore::new(4));
    let mut runs = tokio::task::JoinSet::new();
    for &fault in Fault::ALL {
        let slots = slots.clone();
        runs.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            (fault, Caught::of(&run_against(&[fault]).await).0)
        });
    }
    let mut matrix: BTreeMap<&str, Caught> = BTreeMap::new();
    while let Some(done) = runs.join_next().await {
        let (fault, caught) = done.unwrap();
        matrix.insert(fault.name(), caught);
    }

    let mut table = String::from("| fault | MUST | SHOULD | MAY | for example |\n|---|---:|---:|---:|---|\n");
    let _ = writeln!(table, "| (none: the clean server) | 0 | 0 | 0 | |");
    for (fault, c) in &matrix {
        let _ = writeln!(
            table,
            "| `{fault}` | {} | {} | {} | {} |",
            c.count(Level::Must),
            c.count(Level::Should),
            c.count(Level::May),
            c.examples()
        );
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mutation-matrix.md");
    let _ = std::fs::write(&file, &table);
    eprintln!("fault → failing checks (also in {}):\n{table}", file.display());
    let variant = |name: &str| Fault::ALL.iter().any(|f| f.name() == name && f.is_variant());
    let uncaught: Vec<&&str> = matrix.iter().filter(|(f, c)| !variant(f) && !c.caught()).map(|(f, _)| f).collect();
    assert!(uncaught.is_empty(), "no MUST or SHOULD check fails for these faults: {uncaught:?}\n{table}");
    assert_eq!(matrix.len(), Fault::ALL.len());
    // A legitimate server choice is adapted to, not caught: the rfc profile fails nothing and says why it
    // skipped what the server does not declare. (The IdP profiles send what the IdP sends regardless.)
    for (fault, c) in matrix.iter().filter(|(f, _)| variant(f)) {
        let rfc_failures: Vec<&String> = c.by_level.values().flatten().filter(|n| n.starts_with("rfc::")).collect();
        assert!(
            rfc_failures.is_empty(),
            "`{fault}` is a legitimate choice, yet the rfc profile fails {rfc_failures:?}"
        );
        let skipped: Vec<&String> = c.skipped.iter().filter(|n| n.starts_with("rfc::")).collect();
        assert!(!skipped.is_empty(), "`{fault}`: the rfc profile skipped nothing the server does not declare");
    }
}
