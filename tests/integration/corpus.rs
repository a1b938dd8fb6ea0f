//! The filter corpora under `fixtures/filters/` (see its README): valid lines parse strictly and
//! round-trip, compat lines parse only in the compat dialect, invalid lines fail in both with a span
//! inside the input.

use scimtest::bundle::Source;
use scimtest::core_check::filter_corpora;

#[test]
fn every_corpus_line_behaves_as_its_file_says() {
    let results = filter_corpora(&Source::fixtures()).unwrap();
    let count = |prefix: &str| results.iter().filter(|r| r.name.starts_with(prefix)).count();
    assert!(count("filters::valid::") >= 100, "valid.txt has fewer than 100 filters");
    assert!(count("filters::invalid::") >= 100, "invalid.txt has fewer than 100 filters");
    assert!(count("filters::compat::") >= 10, "valid-compat.txt has fewer than 10 filters");
    let failures: Vec<String> =
        results.iter().filter_map(|r| r.outcome.as_ref().err().map(|e| format!("{}: {e}", r.about))).collect();
    assert!(failures.is_empty(), "{} corpus lines failed:\n{}", failures.len(), failures.join("\n"));
}
