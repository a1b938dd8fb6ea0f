//! Every RFC 7644 filter and PATCH example, with outcomes worked out by hand (fixtures/rfc7644/README.md).

use scimtest::core_check::{CaseResult, rfc7644_filters, rfc7644_patches};

fn assert_all_pass(results: Vec<CaseResult>, at_least: usize) {
    assert!(results.len() >= at_least, "only {} cases found", results.len());
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| r.outcome.as_ref().err().map(|e| format!("{} — {}\n  {e}", r.name, r.about)))
        .collect();
    assert!(failures.is_empty(), "{} of {} failed:\n\n{}", failures.len(), results.len(), failures.join("\n\n"));
}

#[test]
fn rfc7644_filter_examples() {
    assert_all_pass(rfc7644_filters(&scimtest::bundle::Source::fixtures()).unwrap(), 40);
}

#[test]
fn rfc7644_patch_examples() {
    assert_all_pass(rfc7644_patches(&scimtest::bundle::Source::fixtures()).unwrap(), 40);
}
