//! Throughput of the pure core, printed as figures (not a pass/fail test):
//! `cargo bench --bench core`. Filters parsed per second (the valid corpus), filter evaluations per
//! second over 100,000 users, and PATCH requests applied per second in rfc and entra modes.

use std::hint::black_box;
use std::time::{Duration, Instant};

use scimtest::filter::{EvalOptions, ParseOptions, compile, parse_with};
use scimtest::patch::{Mode, PatchOptions, apply_json};
use scimtest::schema::ResourceSchema;
use serde_json::{Value, json};

/// Runs `f` repeatedly for about `budget`, returning (iterations, elapsed).
fn measure(budget: Duration, mut f: impl FnMut()) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    (n, start.elapsed())
}

fn user(i: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": format!("{i:08x}"),
        "userName": format!("user{i}@example.com"),
        "active": !i.is_multiple_of(7),
        "title": if i.is_multiple_of(3) { "Engineer" } else { "Manager" },
        "name": {"givenName": format!("Given{}", i % 100), "familyName": format!("Family{}", i % 1000)},
        "emails": [
            {"value": format!("user{i}@example.com"), "type": "work", "primary": true},
            {"value": format!("u{i}@home.example.org"), "type": "home"}
        ],
        "meta": {"resourceType": "User", "lastModified": format!("2024-01-{:02}T00:00:00Z", i % 28 + 1)}
    })
}

fn main() {
    let budget = Duration::from_millis(700);
    let corpus: Vec<String> =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/filters/valid.txt"))
            .expect("fixtures/filters/valid.txt")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
    let bytes: usize = corpus.iter().map(String::len).sum();
    let options = ParseOptions::default();
    let (n, t) = measure(budget, || {
        for line in &corpus {
            black_box(parse_with(black_box(line), &options).ok());
        }
    });
    let per_sec = (n as f64 * corpus.len() as f64) / t.as_secs_f64();
    println!(
        "parse: {per_sec:>12.0} filters/s ({:.1} MB/s) over the {} filters of fixtures/filters/valid.txt",
        n as f64 * bytes as f64 / t.as_secs_f64() / 1e6,
        corpus.len()
    );

    let users: Vec<Value> = (0..100_000).map(user).collect();
    let schema = ResourceSchema::user();
    for text in [
        r#"userName eq "user99999@example.com""#,
        r#"emails[type eq "work" and value co "9@example"]"#,
        r#"title pr and not (active eq false) and meta.lastModified gt "2024-01-15T00:00:00Z""#,
    ] {
        let f = compile(&parse_with(text, &options).unwrap(), schema, &EvalOptions::default()).unwrap();
        let start = Instant::now();
        let hits = users.iter().filter(|u| f.matches(black_box(u))).count();
        let t = start.elapsed();
        println!(
            "eval:  {:>12.0} resources/s ({:.1} ms per scan of 100,000 users, {hits} match) `{text}`",
            users.len() as f64 / t.as_secs_f64(),
            t.as_secs_f64() * 1e3
        );
    }

    let resource = user(42);
    for (mode, body) in [
        (
            Mode::Rfc,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "replace", "path": "name.familyName", "value": "Jensen"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"},
                {"op": "add", "path": "nickName", "value": "Babs"}
            ]}),
        ),
        (
            Mode::Entra,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"}
            ]}),
        ),
    ] {
        let options = PatchOptions::new(mode);
        let (n, t) = measure(budget, || {
            black_box(apply_json(black_box(&resource), &body, schema, &options).unwrap());
        });
        println!(
            "patch: {:>12.0} requests/s ({mode} mode, {} operations each)",
            n as f64 / t.as_secs_f64(),
            body["Operations"].as_array().unwrap().len()
        );
    }
}
