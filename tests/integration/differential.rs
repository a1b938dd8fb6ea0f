//! Differential test: our filter parser against the `scim_v2` crate's (1.0.0, a dev-dependency only).
//!
//! Both parsers read the same input. They must agree on accept/reject, and when both accept, `scim_v2`'s
//! tree, mapped into ours ([`from_theirs`]) and normalised, must equal ours normalised. Where they
//! disagree on purpose, the difference has a [`Diff`] class: a short code, the side that accepts, and a
//! predicate on the input that recognises the class. The corpus lines that differ are listed one by one in
//! [`CORPUS_DIFFS`]; generated inputs are excused only by the class predicates. The classes, with the
//! reasons for them, are the table in `docs/filter-differences.md`.
//!
//! Run with `cargo test --test integration differential`. The generated test uses a fixed seed;
//! `PROPTEST_RNG_SEED=<n>` and `PROPTEST_CASES=<n>` explore further.

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngSeed};
use scim_v2::filter as theirs;
use scimtest::filter::{AttrPath, CompValue, CompareOp, Dialect, Filter, ParseOptions, Test, parse_with};

use crate::util::corpus;

// ---------------------------------------------------------------------------------------------------------
// The intentional differences
// ---------------------------------------------------------------------------------------------------------

/// Which parser accepts an input of a difference class (the other rejects it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Ours,
    Theirs,
    /// Resource limits: either side can be the stricter one.
    Either,
}

/// A class of intentional difference. `docs/filter-differences.md` has one row per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diff {
    /// `not(` with no space: EID 7319 makes the space optional; scim_v2's `not` token requires it.
    NotGlued,
    /// `not` as an attribute name (`not pr`, `not eq "x"`): ATTRNAME reserves no words; scim_v2 lexes
    /// `not` + white space as the negation keyword.
    NotAsName,
    /// `true` / `false` / `null` as an attribute name: scim_v2 lexes the lower-case words as literals.
    LiteralAsName,
    /// `TRUE`, `Null` …: ABNF literals are case-insensitive (RFC 5234 §2.3); scim_v2 matches them exactly.
    LiteralCase,
    /// After `(` or `[` and white space, an attribute name that begins with `pr` or is an operator
    /// (`( primary eq true)`, `[ eq eq 1]`): scim_v2's lexer reads ` pr` / ` eq ` as the operator token.
    KeywordAfterOpen,
    /// White space between an attribute path and `[`: scim_v2 skips it; the ABNF has no SP there.
    SpaceBeforeBracket,
    /// White space other than SP, HTAB, LF, CR (U+00A0, U+3000, VT, FF …): scim_v2 uses Unicode `\s`.
    NonSpWhitespace,
    /// `ſw` (U+017F LATIN SMALL LETTER LONG S): scim_v2's case-insensitive regex folds it to `sw`;
    /// ABNF case-insensitivity is US-ASCII only.
    UnicodeCaseFold,
    /// `$ref` as an attribute or sub-attribute (RFC 7643 §2.4 names it): scim_v2's lexer has no `$`.
    DollarRef,
    /// A value filter on a sub-attribute (`name.givenName[…]`): the ABNF derives it, scim_v2 accepts it;
    /// we reject it because a sub-attribute is never multi-valued complex (RFC 7643 §2.3.8).
    SubAttrValuePath,
    /// A schema prefix that is a URI but not a URN (`ietf:params:userName`): scim_v2 takes any RFC 3986
    /// URI; SCIM schema URIs are URNs and we read a prefix only after `urn:`.
    NonUrnUri,
    /// `urn::name`: scim_v2 accepts `urn:` (empty namespace) as a URI; a URN needs an NID (RFC 8141).
    EmptyUrnNamespace,
    /// Limits: ours 64 KiB / 1,000 comparisons / 64 levels of `(`, `not` and `[`; scim_v2 no length limit,
    /// 1,024 terms, 64 open brackets and 64 levels of its own tree.
    Limits,
    /// `attr[filter].sub op value`, accepted by our compat dialect only (Entra ID).
    CompatSubAttr,
}

const ALL_DIFFS: [Diff; 14] = [
    Diff::NotGlued,
    Diff::NotAsName,
    Diff::LiteralAsName,
    Diff::LiteralCase,
    Diff::KeywordAfterOpen,
    Diff::SpaceBeforeBracket,
    Diff::NonSpWhitespace,
    Diff::UnicodeCaseFold,
    Diff::DollarRef,
    Diff::SubAttrValuePath,
    Diff::NonUrnUri,
    Diff::EmptyUrnNamespace,
    Diff::Limits,
    Diff::CompatSubAttr,
];

impl Diff {
    /// The short code used in the allow-list and in `docs/filter-differences.md`.
    fn code(self) -> &'static str {
        match self {
            Diff::NotGlued => "not-glued",
            Diff::NotAsName => "not-as-name",
            Diff::LiteralAsName => "literal-as-name",
            Diff::LiteralCase => "literal-case",
            Diff::KeywordAfterOpen => "keyword-after-open",
            Diff::SpaceBeforeBracket => "space-before-bracket",
            Diff::NonSpWhitespace => "non-sp-whitespace",
            Diff::UnicodeCaseFold => "unicode-case-fold",
            Diff::DollarRef => "dollar-ref",
            Diff::SubAttrValuePath => "subattr-value-path",
            Diff::NonUrnUri => "non-urn-uri",
            Diff::EmptyUrnNamespace => "empty-urn-namespace",
            Diff::Limits => "limits",
            Diff::CompatSubAttr => "compat-subattr",
        }
    }

    fn accepted_by(self) -> Side {
        match self {
            Diff::NotGlued
            | Diff::NotAsName
            | Diff::LiteralAsName
            | Diff::LiteralCase
            | Diff::KeywordAfterOpen
            | Diff::DollarRef
            | Diff::CompatSubAttr => Side::Ours,
            Diff::SpaceBeforeBracket
            | Diff::NonSpWhitespace
            | Diff::UnicodeCaseFold
            | Diff::SubAttrValuePath
            | Diff::NonUrnUri
            | Diff::EmptyUrnNamespace => Side::Theirs,
            Diff::Limits => Side::Either,
        }
    }

    /// Whether `input` has the feature this class is about. A predicate may over-approximate (it only
    /// excuses a disagreement in the stated direction; it never creates one), but it must not be so wide
    /// that ordinary filters match it: see `class_predicates_are_narrow`.
    fn applies(self, input: &str) -> bool {
        let code = Code::new(input);
        match self {
            Diff::NotGlued => code.words().any(|w| w.is("not") && code.char_at(w.end) == Some('(')),
            Diff::NotAsName => code.words().any(|w| {
                w.is("not")
                    && code.char_at(w.end).is_some_and(char::is_whitespace)
                    && code.next_non_ws(w.end) != Some('(')
            }),
            Diff::LiteralAsName => code.words().any(|w| {
                matches!(w.text, "true" | "false" | "null")
                    && !code.prev_word(w.start).is_some_and(|p| is_compare_op(p.text))
            }),
            Diff::LiteralCase => code.words().any(|w| {
                ["true", "false", "null"].iter().any(|l| w.is(l))
                    && w.text.chars().any(|c| c.is_ascii_uppercase())
                    && code.prev_word(w.start).is_some_and(|p| is_compare_op(p.text))
            }),
            Diff::KeywordAfterOpen => code.text.char_indices().any(|(i, c)| {
                if c != '(' && c != '[' {
                    return false;
                }
                let after = i + 1;
                if !code.char_at(after).is_some_and(char::is_whitespace) {
                    return false;
                }
                let Some(w) = code.words().find(|w| w.start >= after) else { return false };
                if !code.text[after..w.start].chars().all(char::is_whitespace) {
                    return false;
                }
                let starts_pr = w.text.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("pr"));
                let spaced_keyword = (is_compare_op(w.text) || w.is("and") || w.is("or"))
                    && code.char_at(w.end).is_some_and(char::is_whitespace);
                starts_pr || spaced_keyword
            }),
            Diff::SpaceBeforeBracket => code
                .words()
                .any(|w| code.char_at(w.end).is_some_and(char::is_whitespace) && code.next_non_ws(w.end) == Some('[')),
            Diff::NonSpWhitespace => {
                code.text.chars().any(|c| c.is_whitespace() && !matches!(c, ' ' | '\t' | '\n' | '\r'))
            }
            Diff::UnicodeCaseFold => code.text.contains('\u{17F}'),
            Diff::DollarRef => code.words().any(|w| {
                let local = w.text.rsplit(':').next().unwrap_or_default();
                local.split('.').any(|segment| segment.eq_ignore_ascii_case("$ref"))
            }),
            Diff::SubAttrValuePath => code.words().any(|w| {
                let local = w.text.rsplit(':').next().unwrap_or_default();
                local.contains('.') && code.next_non_ws(w.end) == Some('[')
            }),
            Diff::NonUrnUri => code.words().any(|w| w.text.contains(':') && !starts_with_ci(w.text, "urn:")),
            Diff::EmptyUrnNamespace => code.words().any(|w| starts_with_ci(w.text, "urn::")),
            Diff::Limits => {
                let comparisons = code.words().filter(|w| is_compare_op(w.text) || w.is("pr")).count();
                input.len() > 64 * 1024 || comparisons > 1000 || code.max_nesting() > 30
            }
            Diff::CompatSubAttr => code.text.contains("]."),
        }
    }
}

fn is_compare_op(word: &str) -> bool {
    CompareOp::from_keyword(word).is_some()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// The input with every string literal replaced by `""`, so that predicates look at code only.
struct Code {
    text: String,
}

/// A maximal run of attribute-path characters in a [`Code`].
struct Word<'a> {
    start: usize,
    end: usize,
    text: &'a str,
}

impl Word<'_> {
    fn is(&self, keyword: &str) -> bool {
        self.text.eq_ignore_ascii_case(keyword)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$')
}

impl Code {
    fn new(input: &str) -> Code {
        let mut text = String::with_capacity(input.len());
        let mut chars = input.chars();
        while let Some(c) = chars.next() {
            if c != '"' {
                text.push(c);
                continue;
            }
            // A string runs to the next unescaped quote (both parsers agree on that); an unterminated one
            // swallows the rest.
            text.push_str("\"\"");
            while let Some(s) = chars.next() {
                match s {
                    '"' => break,
                    '\\' => {
                        chars.next();
                    }
                    _ => {}
                }
            }
        }
        Code { text }
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().next())
    }

    fn next_non_ws(&self, i: usize) -> Option<char> {
        self.text.get(i..).and_then(|s| s.chars().find(|c| !c.is_whitespace()))
    }

    fn words(&self) -> impl Iterator<Item = Word<'_>> + '_ {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in self.text.char_indices().chain(std::iter::once((self.text.len(), ' '))) {
            match (start, is_word_char(c)) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    out.push(Word { start: s, end: i, text: &self.text[s..i] });
                    start = None;
                }
                _ => {}
            }
        }
        out.into_iter()
    }

    /// The word that ends just before `start`, with only white space between.
    fn prev_word(&self, start: usize) -> Option<Word<'_>> {
        let gap_start = self.text[..start].trim_end_matches(char::is_whitespace).len();
        if gap_start == start {
            return None;
        }
        self.words().find(|w| w.end == gap_start)
    }

    /// The deepest nesting of `(` and `[`.
    fn max_nesting(&self) -> usize {
        let (mut depth, mut max) = (0usize, 0usize);
        for c in self.text.chars() {
            match c {
                '(' | '[' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        max
    }
}

/// A corpus line, by its text. Long generated lines are named by how they begin and their length.
#[derive(Debug, Clone, Copy)]
enum Key {
    Line(&'static str),
    Generated { starts: &'static str, len: usize },
}

impl Key {
    fn matches(self, line: &str) -> bool {
        match self {
            Key::Line(text) => line == text,
            Key::Generated { starts, len } => line.len() == len && line.starts_with(starts),
        }
    }
}

/// Every corpus line on which the two parsers disagree (accept/reject), with its difference class.
/// The test fails if a listed line no longer disagrees, or its class's predicate doesn't recognise it.
/// `valid-compat.txt` in the compat dialect is not listed line by line: every one of its lines is a
/// `compat-subattr` or `literal-case` difference by construction, and the test checks the predicates.
#[rustfmt::skip]
const CORPUS_DIFFS: &[(&str, Key, Diff)] = &[
    // --- valid.txt: we accept, scim_v2 rejects ---
    // `not(` without a space (EID 7319)
    ("valid.txt", Key::Line("Not(title pr)"), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"title pr AnD NoT(userType eq "Intern") oR userName sw "j""#), Diff::NotGlued),
    ("valid.txt", Key::Line("not(title pr)"), Diff::NotGlued),
    ("valid.txt", Key::Line("not(not(title pr))"), Diff::NotGlued),
    ("valid.txt", Key::Line("not((title pr))"), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"title pr and not(userType eq "Intern")"#), Diff::NotGlued),
    ("valid.txt", Key::Line("not(title pr) or not(userName pr)"), Diff::NotGlued),
    ("valid.txt", Key::Line("not(title pr and userName pr) or not(active eq true or displayName pr)"), Diff::NotGlued),
    ("valid.txt", Key::Line("not(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr)"), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"emails[not(type eq "work")]"#), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"emails[not(not(type eq "work"))]"#), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"emails[type eq "work" and not(value ew "@example.org")]"#), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"not(emails[type eq "work"])"#), Diff::NotGlued),
    ("valid.txt", Key::Line(r#"addresses[type eq "work" and postalCode sw "91"] and not(addresses[type eq "home"])"#), Diff::NotGlued),
    ("valid.txt", Key::Generated { starts: "not(not(not(", len: 158 }, Diff::NotGlued), // 30 × `not(`
    // keywords as attribute names (ATTRNAME reserves no words)
    ("valid.txt", Key::Line(r#"true eq "x""#), Diff::LiteralAsName),
    ("valid.txt", Key::Line("false pr"), Diff::LiteralAsName),
    ("valid.txt", Key::Line("null eq null"), Diff::LiteralAsName),
    ("valid.txt", Key::Line(r#"not eq "not""#), Diff::NotAsName),
    // `$ref` (RFC 7643 §2.4)
    ("valid.txt", Key::Line(r#"$ref eq "https://example.com/v2/Users/2819c223""#), Diff::DollarRef),
    ("valid.txt", Key::Line(r#"members.$ref eq "https://example.com/v2/Users/2819c223""#), Diff::DollarRef),
    ("valid.txt", Key::Line("manager.$ref pr"), Diff::DollarRef),
    ("valid.txt", Key::Line(r#"groups.$ref sw "https://example.com/v2/Groups/""#), Diff::DollarRef),
    ("valid.txt", Key::Line(r#"members[$ref eq "https://example.com/v2/Users/2819c223"]"#), Diff::DollarRef),
    ("valid.txt", Key::Line("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.$ref pr"), Diff::DollarRef),
    // true / false / null in any case (RFC 5234 §2.3)

    // --- invalid.txt: scim_v2 accepts, we reject ---
    ("invalid.txt", Key::Line(r#"emails [type eq "work"]"#), Diff::SpaceBeforeBracket),
    ("invalid.txt", Key::Line("userName\u{a0}eq \"x\""), Diff::NonSpWhitespace),
    ("invalid.txt", Key::Line("userName eq\u{3000}\"x\""), Diff::NonSpWhitespace),
    ("invalid.txt", Key::Line(r#"name.givenName[value eq "x"]"#), Diff::SubAttrValuePath),
    ("invalid.txt", Key::Line("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName[value pr]"), Diff::SubAttrValuePath),
    ("invalid.txt", Key::Line(r#"ietf:params:scim:userName eq "x""#), Diff::NonUrnUri),
    ("invalid.txt", Key::Generated { starts: r#"id eq "u1" or "#, len: 15906 }, Diff::Limits), // 1,001 comparisons (scim_v2: 1,024)
    ("invalid.txt", Key::Generated { starts: "x1 ne 1 and ", len: 15799 }, Diff::Limits), // 1,001 comparisons
    ("invalid.txt", Key::Generated { starts: r#"description eq ""#, len: 70017 }, Diff::Limits), // over 64 KiB
    ("invalid.txt", Key::Generated { starts: "aaaaaaaaaa", len: 70003 }, Diff::Limits), // over 64 KiB
];

/// Corpus lines that both parsers accept but read differently. None known: both split a URN-qualified
/// path at its last colon, parse numbers and strings with serde_json, and keep n-ary and/or, so after
/// normalisation the trees are equal on every line.
const CORPUS_TREE_DIFFS: &[(&str, Key, Diff)] = &[];

// ---------------------------------------------------------------------------------------------------------
// Running both parsers
// ---------------------------------------------------------------------------------------------------------

fn parse_ours(input: &str, dialect: Dialect) -> Result<Filter, String> {
    parse_with(input, &ParseOptions::with_dialect(dialect)).map_err(|e| e.to_string())
}

fn parse_theirs(input: &str) -> Result<theirs::Filter, String> {
    input.parse::<theirs::Filter>().map_err(|e| e.to_string())
}

fn map_path(p: &theirs::AttrPath) -> AttrPath {
    AttrPath { uri: p.uri.clone(), name: p.name.clone(), sub_attr: p.sub_attr.clone() }
}

fn map_op(op: &theirs::CompareOp) -> CompareOp {
    match op {
        theirs::CompareOp::Eq => CompareOp::Eq,
        theirs::CompareOp::Ne => CompareOp::Ne,
        theirs::CompareOp::Co => CompareOp::Co,
        theirs::CompareOp::Sw => CompareOp::Sw,
        theirs::CompareOp::Ew => CompareOp::Ew,
        theirs::CompareOp::Gt => CompareOp::Gt,
        theirs::CompareOp::Lt => CompareOp::Lt,
        theirs::CompareOp::Ge => CompareOp::Ge,
        theirs::CompareOp::Le => CompareOp::Le,
    }
}

fn map_value(v: &theirs::CompValue) -> CompValue {
    match v {
        theirs::CompValue::False => CompValue::Bool(false),
        theirs::CompValue::True => CompValue::Bool(true),
        theirs::CompValue::Null => CompValue::Null,
        theirs::CompValue::Number(n) => CompValue::Number(n.clone()),
        theirs::CompValue::Str(s) => CompValue::String(s.clone()),
    }
}

fn map_exp(e: &theirs::AttrExp) -> Filter {
    match e {
        theirs::AttrExp::Present(p) => Filter::present(map_path(p)),
        theirs::AttrExp::Comparison(p, op, v) => {
            Filter::Attr { path: map_path(p), test: Test::Compare(map_op(op), map_value(v)) }
        }
    }
}

fn map_val_filter(f: &theirs::ValFilter) -> Filter {
    match f {
        theirs::ValFilter::Attr(e) => map_exp(e),
        theirs::ValFilter::Not(inner) => Filter::Not(Box::new(map_val_filter(inner))),
        theirs::ValFilter::And(items) => Filter::And(items.iter().map(map_val_filter).collect()),
        theirs::ValFilter::Or(items) => Filter::Or(items.iter().map(map_val_filter).collect()),
    }
}

/// scim_v2's tree in our types. scim_v2's and/or are n-ary and flattened (parentheses around a
/// same-operator term leave no trace); ours keep such a group as a nested term. Compare the two after
/// `Filter::normalized`, which flattens ours the same way and lower-cases names and URNs.
fn from_theirs(f: &theirs::Filter) -> Filter {
    match f {
        theirs::Filter::Attr(e) => map_exp(e),
        theirs::Filter::ValuePath(vp) => {
            Filter::ValuePath { attr: map_path(&vp.attr), filter: Box::new(map_val_filter(&vp.filter)), sub: None }
        }
        theirs::Filter::Not(inner) => Filter::Not(Box::new(from_theirs(inner))),
        theirs::Filter::And(items) => Filter::And(items.iter().map(from_theirs).collect()),
        theirs::Filter::Or(items) => Filter::Or(items.iter().map(from_theirs).collect()),
    }
}

/// How the two parsers did on one input.
#[derive(Debug)]
enum Outcome {
    BothAccept,
    BothReject,
    /// Both accept, but the trees differ after normalisation.
    TreesDiffer {
        ours: Filter,
        theirs: Filter,
    },
    /// One accepts, the other rejects.
    Verdicts {
        accepted_by: Side,
        ours: Result<Filter, String>,
        theirs: Result<theirs::Filter, String>,
    },
}

fn run(input: &str, dialect: Dialect) -> Outcome {
    let ours = parse_ours(input, dialect);
    let theirs = parse_theirs(input);
    match (&ours, &theirs) {
        (Ok(o), Ok(t)) => {
            let (o, t) = (o.normalized(None), from_theirs(t).normalized(None));
            if o == t { Outcome::BothAccept } else { Outcome::TreesDiffer { ours: o, theirs: t } }
        }
        (Err(_), Err(_)) => Outcome::BothReject,
        (Ok(_), Err(_)) => Outcome::Verdicts { accepted_by: Side::Ours, ours, theirs },
        (Err(_), Ok(_)) => Outcome::Verdicts { accepted_by: Side::Theirs, ours, theirs },
    }
}

/// The classes that explain a disagreement in which `side` accepts `input`.
fn explaining(input: &str, side: Side, dialect: Dialect) -> Vec<Diff> {
    ALL_DIFFS
        .into_iter()
        .filter(|d| !matches!(d, Diff::CompatSubAttr | Diff::LiteralCase) || dialect == Dialect::Compat)
        .filter(|d| d.accepted_by() == side || d.accepted_by() == Side::Either)
        .filter(|d| d.applies(input))
        .collect()
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 160 {
        return format!("{s:?}");
    }
    let head: String = s.chars().take(120).collect();
    format!("{head:?}… ({} bytes)", s.len())
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::BothAccept => "both accept".into(),
        Outcome::BothReject => "both reject".into(),
        Outcome::TreesDiffer { ours, theirs } => {
            format!("trees differ\n    ours:    {ours:?}\n    scim_v2: {theirs:?}")
        }
        Outcome::Verdicts { ours, theirs, .. } => format!(
            "verdicts differ\n    ours:    {}\n    scim_v2: {}",
            match ours {
                Ok(f) => format!("accepts {}", shorten(&f.to_string())),
                Err(e) => format!("rejects: {}", shorten(&e.to_string())),
            },
            match theirs {
                Ok(f) => format!("accepts {}", shorten(&f.to_string())),
                Err(e) => format!("rejects: {}", shorten(e)),
            },
        ),
    }
}

// ---------------------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------------------

#[test]
fn corpus_verdicts_and_trees_agree() {
    let mut failures = Vec::new();
    let mut used = vec![false; CORPUS_DIFFS.len()];
    let mut used_tree = vec![false; CORPUS_TREE_DIFFS.len()];
    let mut compared = 0;
    let mut both_accept = 0;
    // valid.txt and invalid.txt in the strict dialect; valid-compat.txt too, where our strict dialect must
    // reject every line just as scim_v2 does (neither knows `attr[filter].sub op value`).
    for file in ["valid.txt", "invalid.txt", "valid-compat.txt"] {
        for (n, line) in corpus(&format!("filters/{file}")) {
            compared += 1;
            let outcome = run(&line, Dialect::Strict);
            let listed = CORPUS_DIFFS.iter().position(|(f, key, _)| *f == file && key.matches(&line));
            let listed_tree = CORPUS_TREE_DIFFS.iter().position(|(f, key, _)| *f == file && key.matches(&line));
            let at = format!("{file}:{n} {}", shorten(&line));
            match (&outcome, listed, listed_tree) {
                (Outcome::BothAccept, None, None) => both_accept += 1,
                (Outcome::BothReject, None, None) => {}
                (Outcome::Verdicts { accepted_by, .. }, Some(i), None) => {
                    used[i] = true;
                    let diff = CORPUS_DIFFS[i].2;
                    if !(diff.accepted_by() == *accepted_by || diff.accepted_by() == Side::Either) {
                        failures.push(format!("{at}: listed as `{}`, but {}", diff.code(), describe(&outcome)));
                    } else if !diff.applies(&line) {
                        failures.push(format!(
                            "{at}: listed as `{}`, but that class's predicate does not match the line",
                            diff.code()
                        ));
                    }
                }
                (Outcome::TreesDiffer { .. }, None, Some(i)) => {
                    used_tree[i] = true;
                    let diff = CORPUS_TREE_DIFFS[i].2;
                    if !diff.applies(&line) {
                        failures.push(format!(
                            "{at}: listed as `{}`, but that class's predicate does not match the line",
                            diff.code()
                        ));
                    }
                }
                (_, Some(i), _) => {
                    used[i] = true;
                    failures.push(format!(
                        "{at}: listed as `{}`, but {}",
                        CORPUS_DIFFS[i].2.code(),
                        describe(&outcome)
                    ));
                }
                (_, _, Some(i)) => {
                    used_tree[i] = true;
                    failures.push(format!(
                        "{at}: listed as `{}`, but {}",
                        CORPUS_TREE_DIFFS[i].2.code(),
                        describe(&outcome)
                    ));
                }
                (_, None, None) => {
                    let side = match &outcome {
                        Outcome::Verdicts { accepted_by, .. } => *accepted_by,
                        _ => Side::Either,
                    };
                    let classes: Vec<&str> =
                        explaining(&line, side, Dialect::Strict).iter().map(|d| d.code()).collect();
                    failures.push(format!(
                        "{at}: {} (not in the allow-list; classes that match: {classes:?})",
                        describe(&outcome)
                    ));
                }
            }
        }
    }
    // valid-compat.txt in the compat dialect: we accept every line, scim_v2 rejects every line.
    for (n, line) in corpus("filters/valid-compat.txt") {
        compared += 1;
        let outcome = run(&line, Dialect::Compat);
        let at = format!("valid-compat.txt:{n} (compat) {}", shorten(&line));
        match &outcome {
            Outcome::Verdicts { accepted_by: Side::Ours, .. }
                if Diff::CompatSubAttr.applies(&line) || Diff::LiteralCase.applies(&line) => {}
            _ => failures.push(format!(
                "{at}: expected a `compat-subattr` or `literal-case` difference, but {}",
                describe(&outcome)
            )),
        }
    }
    for (i, (file, key, diff)) in CORPUS_DIFFS.iter().enumerate() {
        if !used[i] {
            failures.push(format!("allow-list entry {file} {key:?} ({}) matches no corpus line", diff.code()));
        }
    }
    for (i, (file, key, diff)) in CORPUS_TREE_DIFFS.iter().enumerate() {
        if !used_tree[i] {
            failures.push(format!("tree allow-list entry {file} {key:?} ({}) matches no corpus line", diff.code()));
        }
    }
    assert!(failures.is_empty(), "{} problem(s) in {compared} comparisons:\n{}", failures.len(), failures.join("\n"));
    assert!(compared >= 500 && both_accept >= 200, "only {compared} lines compared, {both_accept} accepted by both");
}

// ---------------------------------------------------------------------------------------------------------
// Each difference class, shown on one input: the verdicts are as documented and the predicate sees it
// ---------------------------------------------------------------------------------------------------------

/// One example per class (the rows of `docs/filter-differences.md`). If scim_v2 changes its mind on one
/// of these, this test says which row of the table to update.
#[rustfmt::skip]
const EXAMPLES: &[(Diff, Dialect, &str)] = &[
    (Diff::NotGlued, Dialect::Strict, "not(title pr)"),
    (Diff::NotAsName, Dialect::Strict, "not pr"),
    (Diff::LiteralAsName, Dialect::Strict, r#"true eq "x""#),
    (Diff::LiteralCase, Dialect::Compat, "active eq True"),
    (Diff::KeywordAfterOpen, Dialect::Strict, "( primary eq true)"),
    (Diff::KeywordAfterOpen, Dialect::Strict, r#"emails[ eq eq "x"]"#),
    (Diff::SpaceBeforeBracket, Dialect::Strict, r#"emails [type eq "work"]"#),
    (Diff::NonSpWhitespace, Dialect::Strict, "title\u{a0}pr"),
    (Diff::NonSpWhitespace, Dialect::Strict, "title pr\u{b}"),
    (Diff::UnicodeCaseFold, Dialect::Strict, "userName \u{17F}w \"b\""),
    (Diff::DollarRef, Dialect::Strict, "manager.$ref pr"),
    (Diff::SubAttrValuePath, Dialect::Strict, r#"name.givenName[value eq "x"]"#),
    (Diff::NonUrnUri, Dialect::Strict, "ietf:params:scim:userName pr"),
    (Diff::EmptyUrnNamespace, Dialect::Strict, "urn::userName pr"),
    (Diff::CompatSubAttr, Dialect::Compat, r#"emails[type eq "work"].value eq "x""#),
];

#[test]
fn each_difference_class_is_real() {
    let mut failures = Vec::new();
    for diff in ALL_DIFFS {
        if diff != Diff::Limits && !EXAMPLES.iter().any(|(d, ..)| *d == diff) {
            failures.push(format!("`{}` has no example", diff.code()));
        }
    }
    for (diff, dialect, input) in EXAMPLES {
        let outcome = run(input, *dialect);
        match &outcome {
            Outcome::Verdicts { accepted_by, .. } if *accepted_by == diff.accepted_by() => {}
            _ => failures.push(format!(
                "`{}` {input:?}: expected {:?} to accept, but {}",
                diff.code(),
                diff.accepted_by(),
                describe(&outcome)
            )),
        }
        if !diff.applies(input) {
            failures.push(format!("`{}` {input:?}: the class's predicate does not match its own example", diff.code()));
        }
    }
    // Limits, the other way round: 64 alternating groups are within our 64 levels, but scim_v2 also
    // counts its root and stops at 64 levels of tree.
    let mut deep = String::from("leaf pr");
    for i in 0..64 {
        deep = format!("a{i} pr {} ({deep})", if i % 2 == 0 { "and" } else { "or" });
    }
    match run(&deep, Dialect::Strict) {
        Outcome::Verdicts { accepted_by: Side::Ours, .. } if Diff::Limits.applies(&deep) => {}
        other => {
            failures.push(format!("64 alternating groups: expected only ours to accept, but {}", describe(&other)))
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The predicates must not excuse ordinary filters: on the lines both parsers accept, none may match.
#[test]
fn class_predicates_are_narrow() {
    let mut failures = Vec::new();
    for (n, line) in corpus("filters/valid.txt") {
        if let Outcome::BothAccept = run(&line, Dialect::Strict) {
            // The 30-level lines are at the limits predicate's threshold on purpose.
            let classes: Vec<&str> =
                ALL_DIFFS.into_iter().filter(|d| *d != Diff::Limits && d.applies(&line)).map(Diff::code).collect();
            if !classes.is_empty() {
                failures.push(format!("valid.txt:{n} {}: both accept, yet {classes:?} match", shorten(&line)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------------------
// Generated filters
// ---------------------------------------------------------------------------------------------------------

/// Attribute paths: ordinary ones, keyword look-alikes, URN-qualified ones, and broken ones.
#[rustfmt::skip]
const NAMES: &[&str] = &[
    "userName", "name.givenName", "emails", "type", "value", "title", "active", "meta.lastModified", "x", "a-b_c9",
    "display", "prefix", "primary", "orders", "android", "notes", "eqCount", "Ne_1",
];
const KEYWORD_NAMES: &[&str] = &["not", "and", "or", "pr", "eq", "le", "true", "false", "null"];
const URN_NAMES: &[&str] = &[
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    "urn:ietf:params:scim:schemas:core:2.0:User:emails",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    "urn:x:y",
    "urn:a::b",
];
#[rustfmt::skip]
const ODD_NAMES: &[&str] = &[
    "$ref", "members.$ref", "x:y:z", "urn::y", "urn:x:", "urn:", "name.", "1abc", "a.b.c", "_x", "-x", "a$b",
    "urn:a$b:c", "na\u{e9}me",
];
const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];
#[rustfmt::skip]
const VALUES: &[&str] = &[
    r#""x""#, r#""""#, r#""  ""#, r#""a\"b""#, r#""a\\b""#, r#""\u00e9t\u00E9""#, r#""\ud83d\ude00""#,
    r#""tab\there""#, r#""\/""#, r#""and ) [ not(""#, r#""]""#, "\"caf\u{e9}\"", "0", "-1", "2.5", "1e3",
    "-0.5E-2", "-0", "42",
];
#[rustfmt::skip]
const BAD_VALUES: &[&str] = &[
    r#""\x""#, r#""\u12""#, r#""unterminated"#, "'single'", "01", ".5", "1.", "+1", "1e", "0x1F", "bjensen", "tru",
    "\"raw\ttab\"", "[]", "{}",
];
const LITERALS: &[&str] = &["true", "false", "null"];
const PUNCTUATION: &[&str] = &["(", ")", "[", "]", ".", ",", "=", "&&", "\""];
/// Separators between tokens. `None`: what a person would write (see `canonical_gap`).
const GAPS: &[Option<&str>] =
    &[None, None, None, None, Some(" "), Some(""), Some(""), Some("  "), Some("\t"), Some("\n")];
const RARE_GAPS: &[&str] = &["\u{a0}", "\u{3000}", "\u{b}", "\r"];

/// `word` with each ASCII letter in a random case.
fn cased(word: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), word.chars().count()).prop_map(move |upper| {
        word.chars().zip(upper).map(|(c, u)| if u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
    })
}

/// Mostly lower case (what clients send), sometimes any case.
fn keyword(words: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(words).prop_map(str::to_string),
        1 => select(words).prop_flat_map(cased),
    ]
    .boxed()
}

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        12 => select(NAMES).prop_map(str::to_string),
        2 => select(NAMES).prop_flat_map(cased),
        2 => keyword(KEYWORD_NAMES),
        3 => keyword(URN_NAMES),
        1 => select(ODD_NAMES).prop_map(str::to_string),
    ]
    .boxed()
}

fn op() -> BoxedStrategy<String> {
    prop_oneof![40 => keyword(OPS), 1 => Just("\u{17F}w".to_string())].boxed()
}

fn value() -> BoxedStrategy<String> {
    prop_oneof![
        8 => select(VALUES).prop_map(str::to_string),
        3 => keyword(LITERALS),
        1 => select(BAD_VALUES).prop_map(str::to_string),
    ]
    .boxed()
}

/// Any single token, for mutations.
fn soup_token() -> BoxedStrategy<String> {
    prop_oneof![
        3 => name(),
        2 => op(),
        1 => cased("pr"),
        2 => value(),
        2 => keyword(&["and", "or", "not"]),
        3 => select(PUNCTUATION).prop_map(str::to_string),
    ]
    .boxed()
}

fn wrap(open: &str, inner: Vec<String>, close: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(inner.len() + 2);
    out.push(open.to_string());
    out.extend(inner);
    out.push(close.to_string());
    out
}

/// A filter as tokens, built along the grammar (so that many are valid), including the compat form.
fn filter_tokens() -> impl Strategy<Value = Vec<String>> {
    let leaf = prop_oneof![
        4 => (name(), op(), value()).prop_map(|(n, o, v)| vec![n, o, v]),
        1 => (name(), cased("pr")).prop_map(|(n, p)| vec![n, p]),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            4 => (inner.clone(), keyword(&["and", "or"]), inner.clone()).prop_map(|(mut a, l, b)| {
                a.push(l);
                a.extend(b);
                a
            }),
            1 => inner.clone().prop_map(|v| wrap("(", v, ")")),
            1 => (cased("not"), inner.clone()).prop_map(|(n, v)| {
                let mut out = vec![n];
                out.extend(wrap("(", v, ")"));
                out
            }),
            1 => (name(), inner.clone()).prop_map(|(n, v)| {
                let mut out = vec![n];
                out.extend(wrap("[", v, "]"));
                out
            }),
            1 => (name(), inner, name(), op(), value()).prop_map(|(n, v, s, o, val)| {
                let mut out = vec![n];
                out.extend(wrap("[", v, "]"));
                out.extend([".".to_string(), s, o, val]);
                out
            }),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index),
    Insert(Index, String),
    Replace(Index, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), soup_token()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        (any::<Index>(), soup_token()).prop_map(|(i, t)| Mutation::Replace(i, t)),
    ]
}

/// The gap a person would leave between two tokens: none inside brackets and parentheses, before `[`, or
/// around the `.` of the compat form; `not` and `(` either way; a space elsewhere.
fn canonical_gap(before: &str, after: &str, not_glued: bool) -> &'static str {
    let tight = matches!(before, "(" | "[" | ".") || matches!(after, ")" | "]" | "[" | ".");
    let glued_not = before.eq_ignore_ascii_case("not") && after == "(" && not_glued;
    if tight || glued_not { "" } else { " " }
}

/// A filter string: generated tokens, 0–2 mutations, joined with canonical or random gaps.
fn filter_text() -> impl Strategy<Value = String> {
    let mutations = prop_oneof![3 => Just(Vec::new()), 2 => proptest::collection::vec(mutation(), 1..=2)];
    let gaps = prop_oneof![
        3 => Just(Vec::new()),
        2 => proptest::collection::vec(select(GAPS), 64),
        1 => proptest::collection::vec(prop_oneof![20 => select(GAPS), 1 => select(RARE_GAPS).prop_map(Some)], 64),
    ];
    (filter_tokens(), mutations, gaps, any::<bool>(), any::<bool>()).prop_map(
        |(mut tokens, mutations, gaps, not_glued, pad)| {
            for m in mutations {
                match m {
                    Mutation::Delete(i) if tokens.len() > 1 => {
                        tokens.remove(i.index(tokens.len()));
                    }
                    Mutation::Delete(_) => {}
                    Mutation::Insert(i, t) => tokens.insert(i.index(tokens.len() + 1), t),
                    Mutation::Replace(i, t) => {
                        let i = i.index(tokens.len());
                        tokens[i] = t;
                    }
                }
            }
            let mut out = String::new();
            if pad {
                out.push(' ');
            }
            for (i, t) in tokens.iter().enumerate() {
                if i > 0 {
                    let gap = gaps.get(i).copied().flatten();
                    out.push_str(gap.unwrap_or_else(|| canonical_gap(&tokens[i - 1], t, not_glued)));
                }
                out.push_str(t);
            }
            if pad {
                out.push('\t');
            }
            out
        },
    )
}

/// 256 cases from a fixed seed, so the test is the same on every run. `PROPTEST_RNG_SEED` and
/// `PROPTEST_CASES` in the environment override both.
fn config() -> Config {
    let default = Config::default();
    Config {
        rng_seed: match default.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5C17_7E57),
            seed => seed,
        },
        failure_persistence: None,
        ..default
    }
}

/// Whether a generated input is fine: both agree, or the disagreement is in a documented class.
fn check_generated(input: &str, dialect: Dialect) -> Result<(), String> {
    match run(input, dialect) {
        Outcome::BothAccept | Outcome::BothReject => Ok(()),
        Outcome::Verdicts { accepted_by, .. } if !explaining(input, accepted_by, dialect).is_empty() => Ok(()),
        outcome => Err(format!(
            "{dialect:?} dialect, input {input:?}: {} (no documented class explains this)",
            describe(&outcome)
        )),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_filters_agree(input in filter_text()) {
        for dialect in [Dialect::Strict, Dialect::Compat] {
            let verdict = check_generated(&input, dialect);
            prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
        }
    }
}

/// Not run by default: the same comparison over many more inputs, with a tally of outcomes and classes,
/// to look for new difference classes (and to see the accept/reject mix of the generator).
/// `N=100000 SEED=7 cargo test --test integration differential::explore -- --ignored --nocapture`;
/// `CHARS=1` also inserts, deletes or replaces one printable ASCII character in each input.
#[test]
#[ignore]
fn explore() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let chars = std::env::var_os("CHARS").is_some();
    let mut runner = TestRunner::new(Config { rng_seed: RngSeed::Fixed(env("SEED", 1)), ..Config::default() });
    let edit = (any::<Index>(), proptest::char::range(' ', '~'), 0..3u8);
    let strategy = (filter_text(), edit).prop_map(move |(text, (at, c, kind))| {
        if !chars {
            return text;
        }
        let mut cs: Vec<char> = text.chars().collect();
        match kind {
            0 => cs.insert(at.index(cs.len() + 1), c),
            1 if !cs.is_empty() => {
                cs.remove(at.index(cs.len()));
            }
            _ if !cs.is_empty() => {
                let i = at.index(cs.len());
                cs[i] = c;
            }
            _ => {}
        }
        cs.into_iter().collect()
    });
    let mut tally = BTreeMap::<String, usize>::new();
    for _ in 0..env("N", 10_000) {
        let input = strategy.new_tree(&mut runner).expect("a value").current();
        for dialect in [Dialect::Strict, Dialect::Compat] {
            let outcome = run(&input, dialect);
            let key = match &outcome {
                Outcome::BothAccept => "both accept".to_string(),
                Outcome::BothReject => "both reject".to_string(),
                Outcome::TreesDiffer { .. } => "TREES DIFFER".to_string(),
                Outcome::Verdicts { accepted_by, .. } => {
                    let classes: Vec<&str> =
                        explaining(&input, *accepted_by, dialect).into_iter().map(Diff::code).collect();
                    if classes.is_empty() {
                        format!("UNEXPLAINED, {accepted_by:?} accept")
                    } else {
                        format!("{dialect:?}, {accepted_by:?} accept: {}", classes.join(" "))
                    }
                }
            };
            if (key.starts_with("UNEXPLAINED") || key.starts_with("TREES"))
                && tally.get(&key).copied().unwrap_or(0) < 10
            {
                println!("{key}: {dialect:?} {input:?}\n  {}", describe(&outcome));
            }
            *tally.entry(key).or_default() += 1;
        }
    }
    for (key, count) in tally {
        println!("{count:8} {key}");
    }
}
