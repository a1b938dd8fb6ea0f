//! The filter corpora: every valid line parses (and round-trips through the canonical printer), every
//! compat line parses only in the compat dialect, every invalid line fails in both with a span inside
//! the input.

use scimtest::filter::{Dialect, ParseOptions, parse_with};

use crate::util::corpus;

fn check_valid(file: &str, dialect: Dialect) -> usize {
    let options = ParseOptions::with_dialect(dialect);
    let lines = corpus(file);
    let mut failures = Vec::new();
    for (n, line) in &lines {
        match parse_with(line, &options) {
            Ok(f) => {
                let printed = f.to_string();
                match parse_with(&printed, &options) {
                    Ok(again) if again == f => {}
                    Ok(again) => failures.push(format!("{file}:{n}: round trip changed the tree\n  {printed}\n  {again:?}")),
                    Err(e) => failures.push(format!("{file}:{n}: canonical form does not parse\n{}", e.render(&printed))),
                }
            }
            Err(e) => failures.push(format!("{file}:{n}: {}", e.render(line))),
        }
    }
    assert!(failures.is_empty(), "{} of {} lines failed:\n{}", failures.len(), lines.len(), failures.join("\n"));
    lines.len()
}

#[test]
fn valid_filters_parse_strictly_and_round_trip() {
    assert!(check_valid("filters/valid.txt", Dialect::Strict) >= 100);
}

#[test]
fn compat_filters_parse_in_compat_only() {
    assert!(check_valid("filters/valid-compat.txt", Dialect::Compat) >= 10);
    for (n, line) in corpus("filters/valid-compat.txt") {
        assert!(parse_with(&line, &ParseOptions::strict()).is_err(), "valid-compat.txt:{n} parses in strict: {line}");
    }
}

#[test]
fn invalid_filters_fail_with_a_span_inside_the_input() {
    let lines = corpus("filters/invalid.txt");
    assert!(lines.len() >= 100);
    let mut failures = Vec::new();
    for (n, line) in &lines {
        for dialect in [Dialect::Strict, Dialect::Compat] {
            match parse_with(line, &ParseOptions::with_dialect(dialect)) {
                Ok(f) => failures.push(format!("invalid.txt:{n} parses ({dialect:?}) as `{f}`")),
                Err(e) => {
                    let span = e.span.clone().expect("parse errors carry a span");
                    if span.start > line.len() || span.end > line.len() || span.start > span.end {
                        failures.push(format!("invalid.txt:{n}: span {span:?} outside the input"));
                    }
                    assert_eq!(e.scim_type(), "invalidFilter");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
