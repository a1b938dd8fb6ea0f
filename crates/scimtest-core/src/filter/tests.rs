//! Unit tests of the filter parser, printers, PATCH-path parser and evaluator.
//!
//! Each test pins one rule of `docs/filter-grammar.md`: exact trees, exact error spans, exact printed
//! forms, and evaluation results chosen so that the obvious wrong implementation gets them wrong.

use serde_json::{Number, Value, json};

use super::*;
use crate::schema::{ENTERPRISE_USER, GROUP, ResourceSchema, USER};

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

fn path(name: &str) -> AttrPath {
    AttrPath::new(name, None)
}

fn sub_path(name: &str, sub: &str) -> AttrPath {
    AttrPath::new(name, Some(sub))
}

fn urn_path(uri: &str, name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath { uri: Some(uri.to_string()), ..AttrPath::new(name, sub) }
}

fn s(v: &str) -> CompValue {
    CompValue::String(v.to_string())
}

fn num(text: &str) -> CompValue {
    CompValue::Number(serde_json::from_str::<Number>(text).expect("a JSON number"))
}

/// `name pr`
fn pr(name: &str) -> Filter {
    Filter::present(path(name))
}

/// `name eq value`
fn eq(name: &str, value: CompValue) -> Filter {
    Filter::compare(path(name), CompareOp::Eq, value)
}

fn and(terms: impl IntoIterator<Item = Filter>) -> Filter {
    Filter::And(terms.into_iter().collect())
}

fn or(terms: impl IntoIterator<Item = Filter>) -> Filter {
    Filter::Or(terms.into_iter().collect())
}

fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

fn vp(name: &str, inner: Filter) -> Filter {
    Filter::ValuePath { attr: path(name), filter: Box::new(inner), sub: None }
}

fn ok(input: &str) -> Filter {
    parse(input).unwrap_or_else(|e| panic!("{input:?} should parse:\n{}", e.render(input)))
}

fn ok_strict(input: &str) -> Filter {
    parse_with(input, &ParseOptions::strict())
        .unwrap_or_else(|e| panic!("{input:?} should parse:\n{}", e.render(input)))
}

fn err_with(input: &str, options: &ParseOptions) -> FilterError {
    match parse_with(input, options) {
        Ok(f) => panic!("{input:?} should not parse, got {f:?}"),
        Err(e) => e,
    }
}

fn err(input: &str) -> FilterError {
    err_with(input, &ParseOptions::default())
}

/// Asserts the exact span and a phrase of the message.
#[track_caller]
fn assert_err(input: &str, span: std::ops::Range<usize>, phrase: &str) {
    let e = err(input);
    assert_eq!(e.span, Some(span.clone()), "span of the error for {input:?}: {}", e.message);
    assert!(e.message.contains(phrase), "message for {input:?} should contain {phrase:?}: {}", e.message);
    assert_eq!(e.scim_type(), "invalidFilter");
}

// ---------------------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------------------

#[test]
fn single_comparison() {
    assert_eq!(ok(r#"userName eq "bjensen""#), eq("userName", s("bjensen")));
    assert_eq!(ok("title pr"), pr("title"));
    for op in CompareOp::ALL {
        let input = format!("age {} 1", op.as_str());
        assert_eq!(ok(&input), Filter::compare(path("age"), op, num("1")), "{input}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(ok("a pr or b pr and c pr"), or([pr("a"), and([pr("b"), pr("c")])]));
    assert_eq!(ok("a pr and b pr or c pr"), or([and([pr("a"), pr("b")]), pr("c")]));
    assert_eq!(ok("(a pr or b pr) and c pr"), and([or([pr("a"), pr("b")]), pr("c")]));
    assert_eq!(ok("a pr and (b pr or c pr)"), and([pr("a"), or([pr("b"), pr("c")])]));
}

#[test]
fn unparenthesised_chains_are_flat() {
    assert_eq!(ok("a pr and b pr and c pr and d pr"), and([pr("a"), pr("b"), pr("c"), pr("d")]));
    assert_eq!(ok("a pr or b pr or c pr"), or([pr("a"), pr("b"), pr("c")]));
    assert_eq!(
        ok("a pr and b pr or c pr and d pr or e pr"),
        or([and([pr("a"), pr("b")]), and([pr("c"), pr("d")]), pr("e")])
    );
    // A hundred ORed terms make one node, not a hundred-deep tree.
    let input = (0..100).map(|i| format!("id eq \"{i}\"")).collect::<Vec<_>>().join(" or ");
    let f = ok(&input);
    match &f {
        Filter::Or(terms) => assert_eq!(terms.len(), 100),
        other => panic!("expected one Or, got {other:?}"),
    }
    assert_eq!(f.depth(), 0);
    assert_eq!(f.term_count(), 100);
}

#[test]
fn explicit_groups_are_kept() {
    assert_eq!(ok("(a pr and b pr) and c pr"), and([and([pr("a"), pr("b")]), pr("c")]));
    assert_eq!(ok("a pr and (b pr and c pr)"), and([pr("a"), and([pr("b"), pr("c")])]));
    assert_eq!(ok("(a pr or b pr) or c pr"), or([or([pr("a"), pr("b")]), pr("c")]));
    // Parentheses around a single term or around the whole filter leave no trace.
    assert_eq!(ok("(a pr)"), pr("a"));
    assert_eq!(ok("((a pr)) and (b pr)"), and([pr("a"), pr("b")]));
    assert_eq!(ok("( a pr and b pr )"), and([pr("a"), pr("b")]));
    // ... and normalisation removes the kept grouping.
    assert_eq!(ok("(a pr and b pr) and c pr").normalized(None), ok("a pr and b pr and c pr").normalized(None));
}

#[test]
fn not_with_and_without_space() {
    let expected = not(eq("userName", s("x")));
    assert_eq!(ok(r#"not (userName eq "x")"#), expected);
    assert_eq!(ok(r#"not(userName eq "x")"#), expected);
    assert_eq!(ok(r#"not   ( userName eq "x" )"#), expected);
    assert_eq!(ok(r#"NOT (userName eq "x")"#), expected);
    assert_eq!(ok("not (a pr or b pr) and c pr"), and([not(or([pr("a"), pr("b")])), pr("c")]));
    assert_eq!(ok("not (not (a pr))"), not(not(pr("a"))));
    assert_eq!(ok("a pr or not(b pr)"), or([pr("a"), not(pr("b"))]));
}

#[test]
fn not_as_an_attribute_name() {
    assert_eq!(ok("not pr"), pr("not"));
    assert_eq!(ok(r#"not eq "x""#), eq("not", s("x")));
    assert_eq!(ok(r#"NOT Ne "x""#), Filter::compare(path("NOT"), CompareOp::Ne, s("x")));
    assert_eq!(ok("not.sub pr"), Filter::present(sub_path("not", "sub")));
    assert_eq!(ok(r#"not pr and not (not eq "y")"#), and([pr("not"), not(eq("not", s("y")))]));
    // Other keywords as names too.
    assert_eq!(ok("and pr and or pr"), and([pr("and"), pr("or")]));
}

#[test]
fn value_paths() {
    assert_eq!(ok(r#"emails[type eq "work"]"#), vp("emails", eq("type", s("work"))));
    assert_eq!(
        ok(r#"emails[type eq "work" and value co "@example.com"]"#),
        vp("emails", and([eq("type", s("work")), Filter::compare(path("value"), CompareOp::Co, s("@example.com"))]))
    );
    assert_eq!(
        ok(r#"emails[type eq "work" or not (primary eq true)]"#),
        vp("emails", or([eq("type", s("work")), not(eq("primary", CompValue::Bool(true)))]))
    );
    assert_eq!(
        ok(r#"emails[ (type eq "a" or type eq "b") and value pr ]"#),
        vp("emails", and([or([eq("type", s("a")), eq("type", s("b"))]), pr("value")]))
    );
    assert_eq!(
        ok(r#"userType eq "Employee" and emails[type eq "work"]"#),
        and([eq("userType", s("Employee")), vp("emails", eq("type", s("work")))])
    );
    // A value path counts one level of depth.
    assert_eq!(ok(r#"emails[type eq "work"]"#).depth(), 1);
}

#[test]
fn compat_value_path_with_sub_attribute() {
    let input = r#"emails[type eq "work"].value eq "x""#;
    let expected = Filter::ValuePath {
        attr: path("emails"),
        filter: Box::new(eq("type", s("work"))),
        sub: Some(("value".to_string(), Test::Compare(CompareOp::Eq, s("x")))),
    };
    assert_eq!(ok(input), expected);
    assert_eq!(expected.term_count(), 2);
    assert_eq!(
        ok(r#"emails[type eq "work"].value pr"#),
        Filter::ValuePath {
            attr: path("emails"),
            filter: Box::new(eq("type", s("work"))),
            sub: Some(("value".to_string(), Test::Present)),
        }
    );
    // Strict: rejected, pointing at the dot.
    let e = err_with(input, &ParseOptions::strict());
    assert_eq!(e.span, Some(22..23));
    assert!(e.message.contains("not in the RFC grammar"), "{}", e.message);
    // The bracket form alone is fine in strict.
    assert_eq!(ok_strict(r#"emails[type eq "work"]"#), vp("emails", eq("type", s("work"))));
}

#[test]
fn urn_qualified_paths_split_on_the_last_colon() {
    assert_eq!(
        ok(&format!(r#"{USER}:userName eq "x""#)),
        Filter::compare(urn_path(USER, "userName", None), CompareOp::Eq, s("x"))
    );
    assert_eq!(
        ok(&format!(r#"{USER}:name.familyName eq "x""#)),
        Filter::compare(urn_path(USER, "name", Some("familyName")), CompareOp::Eq, s("x"))
    );
    assert_eq!(
        ok(&format!(r#"{ENTERPRISE_USER}:employeeNumber eq "701984""#)),
        Filter::compare(urn_path(ENTERPRISE_USER, "employeeNumber", None), CompareOp::Eq, s("701984"))
    );
    // The version number's dot (`2.0`) is part of the URN; the dot after the last colon splits the sub.
    assert_eq!(
        ok(&format!("{ENTERPRISE_USER}:manager.value pr")),
        Filter::present(urn_path(ENTERPRISE_USER, "manager", Some("value")))
    );
    assert_eq!(
        ok(&format!(r#"{USER}:emails[type eq "work"]"#)),
        Filter::ValuePath { attr: urn_path(USER, "emails", None), filter: Box::new(eq("type", s("work"))), sub: None }
    );
    // `urn:` itself is case-insensitive; the URN is kept as written.
    assert_eq!(ok("URN:Example:Schema:attr pr"), Filter::present(urn_path("URN:Example:Schema", "attr", None)));
}

#[test]
fn dollar_ref() {
    assert_eq!(ok(r#"members[$ref eq "https://x/Users/1"]"#), vp("members", eq("$ref", s("https://x/Users/1"))));
    assert_eq!(ok("groups.$ref pr"), Filter::present(sub_path("groups", "$ref")));
    assert_eq!(ok(r#"$ref eq "x""#), eq("$ref", s("x")));
}

#[test]
fn numbers_are_json_numbers() {
    let value = |input: &str| match ok(&format!("n eq {input}")) {
        Filter::Attr { test: Test::Compare(CompareOp::Eq, CompValue::Number(n)), .. } => n,
        other => panic!("{input}: {other:?}"),
    };
    assert_eq!(value("0"), Number::from(0));
    assert_eq!(value("42"), Number::from(42));
    assert_eq!(value("-7"), Number::from(-7));
    assert_eq!(value("18446744073709551615"), Number::from(u64::MAX));
    assert_eq!(value("2.5"), Number::from_f64(2.5).unwrap());
    assert_eq!(value("-0.5"), Number::from_f64(-0.5).unwrap());
    assert_eq!(value("1e3"), Number::from_f64(1000.0).unwrap());
    assert_eq!(value("1E+3"), Number::from_f64(1000.0).unwrap());
    assert_eq!(value("2.5e-3"), Number::from_f64(0.0025).unwrap());
    assert_eq!(value("1e300"), Number::from_f64(1e300).unwrap());
    assert!(value("42").is_u64());
    assert!(value("-7").is_i64());
    assert!(value("2.5").is_f64());
}

#[test]
fn strings_are_json_strings() {
    let value = |input: &str| match ok(&format!("s eq {input}")) {
        Filter::Attr { test: Test::Compare(CompareOp::Eq, CompValue::String(v)), .. } => v,
        other => panic!("{input}: {other:?}"),
    };
    assert_eq!(value(r#""plain""#), "plain");
    assert_eq!(value(r#""""#), "");
    assert_eq!(value(r#""q\"b\\s\/f\bb\ff\nn\rr\tt""#), "q\"b\\s/f\u{8}b\u{c}f\nn\rr\tt");
    assert_eq!(value(r#""\u0041\u00e9\u20AC""#), "Aé€");
    assert_eq!(value(r#""\ud83d\ude00""#), "😀");
    assert_eq!(value(r#""\uD83D\uDE00x""#), "😀x");
    // Raw non-ASCII is taken as is; so are `(`, `)`, `[`, `]` and keywords inside a string.
    assert_eq!(value(r#""Zoë 😀 ü""#), "Zoë 😀 ü");
    assert_eq!(value(r#""a) or (b [c] and not""#), "a) or (b [c] and not");
}

#[test]
fn keywords_and_literals_are_case_insensitive() {
    assert_eq!(
        ok(r#"userName EQ "x" AnD title PR Or NOT (active Eq TRUE)"#),
        or([and([eq("userName", s("x")), pr("title")]), not(eq("active", CompValue::Bool(true)))])
    );
    assert_eq!(ok("active eq True"), eq("active", CompValue::Bool(true)));
    assert_eq!(ok("active eq FALSE"), eq("active", CompValue::Bool(false)));
    assert_eq!(ok("title eq Null"), eq("title", CompValue::Null));
    assert_eq!(ok("title eq null"), eq("title", CompValue::Null));
    // Names keep the spelling they were written with.
    assert_eq!(ok("USERNAME pr"), pr("USERNAME"));
}

#[test]
fn white_space_variants() {
    assert_eq!(ok("  a pr  "), pr("a"));
    assert_eq!(ok("a\tpr\nand\r\nb   pr"), and([pr("a"), pr("b")]));
    assert_eq!(ok("emails[ type eq \"w\" ]"), vp("emails", eq("type", s("w"))));
}

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

#[test]
fn errors_point_at_the_offending_bytes() {
    let cases: &[(&str, std::ops::Range<usize>, &str)] = &[
        (r#"userName zz "x""#, 9..11, "expected an operator"),
        ("userName", 8..8, "expected an operator after `userName`"),
        (r#"userName Eq"x""#, 11..12, "expected a space between"),
        ("userName eq", 9..11, "expected a value after `eq`"),
        ("userName eq 'x'", 12..13, "double quotes, not single quotes"),
        ("userName eq bob", 12..15, "must be in double quotes"),
        ("userName eq +1", 12..13, "expected a value"),
        ("userName eq .5", 12..14, "expected a value"),
        ("userName eq -", 12..13, "digits after `-`"),
        ("userName eq 1.", 12..14, "decimal point"),
        ("userName eq 1e", 12..14, "exponent"),
        (r#"userName eq "x"or title pr"#, 15..17, "right after the value"),
        ("title pr andtitle pr", 9..17, "expected `and`, `or` or the end of the filter"),
        ("title pr or", 9..11, "expected a filter after `or`"),
        (r#"name.givenName.x eq "y""#, 0..16, "at most one sub-attribute"),
        (r#"name. eq "y""#, 4..5, "sub-attribute name after `name.`"),
        (r#"urn:x eq "y""#, 0..5, "not a URN-qualified attribute"),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User: eq "y""#, 0..43, "ends with `:`"),
        (r#"1abc eq "y""#, 0..4, "start with a letter"),
        (r#"a$b eq "y""#, 0..3, "only allowed in `$ref`"),
        ("()", 0..2, "empty parentheses"),
        ("not ()", 4..6, "empty parentheses"),
        ("", 0..0, "empty filter"),
        ("   ", 3..3, "empty filter"),
        (r#"userName eq "x" ]"#, 16..17, "unbalanced `]`"),
        (r#"emails[type eq "x" title pr]"#, 19..24, "to close the `[` at byte 6"),
        (r#"name.familyName[value eq "x"]"#, 0..16, "not to a sub-attribute"),
        ("not(title pr", 3..4, "expected `)` to close the `(` at byte 3"),
    ];
    for (input, span, phrase) in cases {
        assert_err(input, span.clone(), phrase);
    }
}

#[test]
fn unterminated_string() {
    assert_err(r#"userName eq "abc"#, 12..16, "unterminated string");
    assert_err(r#"userName eq "abc\"#, 12..17, "unterminated string");
    assert_err(r#"userName eq "ab\"c"#, 12..18, "unterminated string");
}

#[test]
fn bad_escapes() {
    assert_err(r#"userName eq "a\qb""#, 14..16, "invalid escape `\\q`");
    assert_err(r#"userName eq "a\'b""#, 14..16, "invalid escape");
    assert_err(r#"userName eq "\é""#, 13..16, "invalid escape `\\é`");
    assert_err(r#"userName eq "\u12""#, 13..18, "four hexadecimal digits");
    assert_err(r#"userName eq "\u12g4""#, 13..19, "four hexadecimal digits");
    // A lone surrogate is not a string.
    assert_err(r#"userName eq "\ud800""#, 12..20, "invalid string");
    assert_err("userName eq \"a\u{1}b\"", 14..15, "raw control character");
    assert_err("userName eq \"a\nb\"", 14..15, "raw control character");
}

#[test]
fn leading_zeros() {
    assert_err("userName eq 01", 12..14, "leading zeros");
    assert_err("userName eq -01", 12..15, "leading zeros");
    assert_err("userName eq 00.5", 12..14, "leading zeros");
    // A single zero, and zero before a fraction or exponent, are fine.
    assert_eq!(ok("n eq 0.5"), eq("n", num("0.5")));
    assert_eq!(ok("n eq -0e1"), eq("n", num("-0e1")));
}

#[test]
fn not_without_parentheses() {
    assert_err(r#"not userName eq "x""#, 0..3, "`not` must be followed by a filter in parentheses");
    assert_err(r#"a pr and NOT title pr"#, 9..12, "`not (…)`");
    assert_err("not", 0..3, "`not (…)`");
}

#[test]
fn nested_value_paths_are_rejected() {
    // RFC 7644 erratum 4690.
    assert_err(r#"emails[type[value eq "x"] eq "y"]"#, 11..12, "erratum 4690");
    assert_err(r#"emails[type eq "x" and addresses[type eq "y"]]"#, 32..33, "cannot be nested");
    assert_err(r#"emails[not (x[a pr])]"#, 13..14, "cannot be nested");
    // Two value paths side by side are fine.
    assert_eq!(
        ok(r#"emails[type eq "x"] and addresses[type eq "y"]"#),
        and([vp("emails", eq("type", s("x"))), vp("addresses", eq("type", s("y")))])
    );
}

#[test]
fn empty_brackets() {
    assert_err("emails[]", 6..8, "empty value filter");
    assert_err("emails[  ]", 6..10, "empty value filter");
    assert_err(r#"emails[type eq "work""#, 6..7, "expected `]` to close the `[` at byte 6");
}

#[test]
fn unbalanced_parentheses() {
    assert_err(r#"userName eq "x")"#, 15..16, "unbalanced `)`");
    assert_err(r#"(a pr) and b pr)"#, 15..16, "unbalanced `)`");
    assert_err(r#"(userName eq "x""#, 0..1, "expected `)` to close the `(` at byte 0");
    assert_err(r#"((a pr)"#, 0..1, "to close the `(` at byte 0");
    assert_err(") a pr", 0..1, "before `)`");
}

#[test]
fn trailing_and_or_missing_space_around_it() {
    assert_err(r#"userName eq "x" and"#, 16..19, "expected a filter after `and`");
    assert_err(r#"userName eq "x" and   "#, 16..19, "expected a filter after `and`");
    assert_err(r#"userName eq "x" and(title pr)"#, 19..20, "expected a space after `and`");
    assert_err(r#"userName eq "x" or(title pr)"#, 18..19, "expected a space after `or`");
    assert_err(r#"(a pr)and b pr"#, 6..9, "expected `and`, `or` or the end of the filter");
}

#[test]
fn depth_limit() {
    let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(ok(&nested(64)), pr("a"));
    let e = err(&nested(65));
    assert_eq!(e.span, Some(64..65));
    assert!(e.message.contains("deeper than 64 levels"), "{}", e.message);
    // `not (` and brackets count too.
    let nots = |n: usize| format!("{}emails[type pr]{}", "not (".repeat(n), ")".repeat(n));
    assert!(parse(&nots(63)).is_ok());
    let e = err(&nots(64));
    assert_eq!(e.span, Some(64 * 5 + 6..64 * 5 + 7), "points at the `[`");
    // A small limit.
    let options = ParseOptions { max_depth: 2, ..ParseOptions::default() };
    assert!(parse_with("((a pr))", &options).is_ok());
    let e = err_with("((not (a pr)))", &options);
    assert_eq!(e.span, Some(6..7));
    assert!(e.message.contains("deeper than 2 levels"), "{}", e.message);
    // A very deep filter is an error, not a stack overflow.
    assert!(parse(&nested(20_000)).is_err());
}

#[test]
fn comparison_limit() {
    let chain = |n: usize| (0..n).map(|_| "a pr").collect::<Vec<_>>().join(" or ");
    assert_eq!(ok(&chain(1000)).term_count(), 1000);
    let e = err(&chain(1001));
    assert_eq!(e.span, Some(8000..8004), "the 1001st comparison");
    assert!(e.message.contains("more than 1000 comparisons"), "{}", e.message);
    let options = ParseOptions { max_terms: 3, ..ParseOptions::default() };
    assert!(parse_with("a pr and b pr and c pr", &options).is_ok());
    let e = err_with("a pr and b pr and c pr and d pr", &options);
    assert_eq!(e.span, Some(27..31));
    assert!(e.message.contains("more than 3 comparisons"), "{}", e.message);
    // The sub-attribute test of the compat form is a comparison too.
    let options = ParseOptions { max_terms: 1, ..ParseOptions::default() };
    assert!(parse_with(r#"emails[type eq "w"]"#, &options).is_ok());
    assert!(parse_with(r#"emails[type eq "w"].value eq "x""#, &options).is_err());
}

#[test]
fn length_limit() {
    let long = |len: usize| {
        let prefix = "userName eq \"";
        format!("{prefix}{}\"", "x".repeat(len - prefix.len() - 1))
    };
    let limit = 64 * 1024;
    assert!(parse(&long(limit)).is_ok());
    let e = err(&long(limit + 1));
    assert_eq!(e.span, Some(limit..limit + 1));
    assert!(e.message.contains("65537 bytes long; the limit is 65536"), "{}", e.message);
    let options = ParseOptions { max_len: 10, ..ParseOptions::default() };
    assert!(parse_with("title pr", &options).is_ok());
    let e = err_with("userName pr", &options);
    assert_eq!(e.span, Some(10..11));
    assert!(e.message.contains("the limit is 10"), "{}", e.message);
    // The limit applies to PATCH paths as well.
    assert!(parse_path("userName", &options).is_ok());
    assert!(parse_path("displayName", &options).is_err());
}

#[test]
fn display_of_an_error_names_the_byte() {
    let e = err(r#"userName zz "x""#);
    assert!(e.to_string().ends_with("(at byte 9)"), "{e}");
}

#[test]
fn render_shape() {
    let input = r#"userName zz "x""#;
    let rendered = err(input).render(input);
    assert_eq!(
        rendered,
        concat!(
            "invalid filter: expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) after `userName`, found `zz`\n",
            "  userName zz \"x\"\n",
            "           ^^",
        )
    );
}

#[test]
fn render_at_end_of_input_shows_one_caret() {
    let input = "userName";
    let rendered = err(input).render(input);
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), 3, "{rendered}");
    assert_eq!(lines[1], "  userName");
    assert_eq!(lines[2], "          ^");
}

/// The column (in chars) of the first caret must be the column of `marked` in the input line.
#[track_caller]
fn assert_carets_under(rendered: &str, marked: &str) {
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), 3, "{rendered}");
    let input_line = lines[1];
    let caret_line = lines[2];
    let byte = input_line.find(marked).unwrap_or_else(|| panic!("{marked:?} not in {input_line:?}"));
    let col = input_line[..byte].chars().count();
    let caret_col = caret_line.chars().take_while(|c| *c == ' ').count();
    assert_eq!(caret_col, col, "carets misaligned:\n{rendered}");
    let carets = caret_line.chars().skip(caret_col).collect::<String>();
    assert_eq!(carets, "^".repeat(marked.chars().count()), "{rendered}");
}

#[test]
fn render_clips_long_inputs() {
    let before = (0..10).map(|i| format!("title{i} pr and ")).collect::<String>();
    let after = (0..10).map(|i| format!(" and nick{i} pr")).collect::<String>();
    let input = format!(r#"{before}userName zz "x"{after}"#);
    let rendered = err(&input).render(&input);
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), 3, "{rendered}");
    assert!(lines[1].starts_with("  …"), "clipped on the left: {rendered}");
    assert!(lines[1].ends_with('…'), "clipped on the right: {rendered}");
    assert!(lines[1].chars().count() < input.chars().count(), "{rendered}");
    assert!(!lines[1].contains("title0"), "{rendered}");
    assert!(!lines[1].contains("nick9"), "{rendered}");
    assert_carets_under(&rendered, "zz");
    // Short inputs are not clipped.
    let short = r#"a pr and b zz "x""#;
    let rendered = err(short).render(short);
    assert!(!rendered.contains('…'), "{rendered}");
}

#[test]
fn render_aligns_carets_by_characters() {
    let input = r#"displayName eq "Zoë 😀 Ünïcödé" and userName zz "x""#;
    assert_carets_under(&err(input).render(input), "zz");
    // Clipped in the middle of multi-byte characters.
    let input =
        format!(r#"displayName eq "{}" and userName zz "x" and title eq "{}""#, "é😀".repeat(40), "ß".repeat(40));
    let rendered = err(&input).render(&input);
    assert!(rendered.lines().nth(1).unwrap().starts_with("  …"), "{rendered}");
    assert_carets_under(&rendered, "zz");
    // A span over non-ASCII text gets one caret per character.
    let input = "userName eq \"a\\äb\"";
    assert_carets_under(&err(input).render(input), "\\ä");
}

#[test]
fn render_keeps_the_input_on_one_line() {
    let input = "title pr and\n\tuserName zz \"x\"";
    let rendered = err(input).render(input);
    assert_eq!(rendered.lines().count(), 3, "{rendered}");
    assert_carets_under(&rendered, "zz");
}

#[test]
fn render_of_a_schema_error_is_the_message() {
    let f = ok("nope pr");
    let e = compile(&f, ResourceSchema::user(), &EvalOptions::default()).unwrap_err();
    assert_eq!(e.span, None);
    assert_eq!(e.render("nope pr"), format!("invalid filter: {}", e.message));
    assert_eq!(e.scim_type(), "invalidFilter");
}

// ---------------------------------------------------------------------------------------------------
// Printers
// ---------------------------------------------------------------------------------------------------

#[test]
fn display_is_canonical() {
    let cases = [
        (r#"userName   EQ  "x"   AND   NOT(title  PR)"#, r#"userName eq "x" and not (title pr)"#),
        ("( a pr )", "a pr"),
        ("a pr OR (b pr AND c pr)", "a pr or b pr and c pr"),
        ("(a pr or b pr) and c pr", "(a pr or b pr) and c pr"),
        ("(a pr and b pr) and c pr", "(a pr and b pr) and c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("active eq TRUE", "active eq true"),
        ("title ne NULL", "title ne null"),
        ("n gt 1E3", "n gt 1000.0"),
        (r#"s eq "\u0041\/""#, r#"s eq "A/""#),
        ("emails[ type eq \"w\" ].Value Eq \"x\"", r#"emails[type eq "w"].Value eq "x""#),
        ("USERNAME pr", "USERNAME pr"),
        ("not pr", "not pr"),
    ];
    for (input, canonical) in cases {
        let f = ok(input);
        assert_eq!(f.to_string(), canonical, "{input}");
        assert_eq!(ok(canonical), f, "{canonical}");
    }
}

fn tricky_trees() -> Vec<Filter> {
    let mut trees: Vec<Filter> = [
        "a pr and (b pr or c pr)",
        "(a pr or b pr) and (c pr or d pr)",
        "a pr or b pr and c pr",
        "a pr and b pr or c pr and d pr",
        "(a pr and b pr) and c pr",
        "a pr and (b pr and (c pr and d pr))",
        "(a pr or b pr) or c pr",
        "a pr or (b pr or c pr) or d pr",
        "not (a pr and b pr)",
        "not (a pr or b pr) and not (c pr)",
        "not (not (not (a pr)))",
        r#"emails[type eq "work" and not (value co "x")].value eq "y""#,
        r#"emails[type eq "work" or (primary eq true and value pr)].display pr"#,
        r#"emails[type eq "w"] or addresses[type eq "home"] and emails[value ew ".org"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "x""#,
        r#"members[$ref eq "x"]"#,
        r#"not pr and not eq "x""#,
        r#"s eq "q\"b\\s \n\t\r\b\f \u0001\u001f\u007f é 😀 \u2028""#,
        r#"s eq "(a) [b] and or not \"c\"""#,
        "n eq 1e300",
        "n eq -0.5",
        "n eq -0",
        "n eq 18446744073709551615",
        "n eq -9223372036854775808",
        "n eq 1.7976931348623157e308",
        "n eq 5e-324",
        "active eq false or title eq null",
    ]
    .iter()
    .map(|i| ok(i))
    .collect();
    // Built directly: every control character, and groups the parser would also produce.
    let all_controls: String = (0u8..0x20).map(char::from).chain(['"', '\\', '/', '\u{7f}', '\u{fffd}']).collect();
    trees.push(eq("s", CompValue::String(all_controls)));
    trees.push(and([or([pr("a"), and([pr("b"), pr("c")])]), not(or([pr("d"), pr("e")]))]));
    trees.push(or([and([and([pr("a"), pr("b")]), pr("c")]), or([pr("d"), pr("e")])]));
    trees
}

#[test]
fn canonical_printer_round_trips() {
    for f in tricky_trees() {
        let printed = f.to_string();
        let reparsed =
            parse(&printed).unwrap_or_else(|e| panic!("{printed:?} does not parse:\n{}", e.render(&printed)));
        assert_eq!(reparsed, f, "{printed}");
        assert_eq!(reparsed.to_string(), printed, "printing is stable");
        // The canonical form is accepted by the strict dialect unless it uses the compat form.
        let compat_form = matches!(&f, Filter::ValuePath { sub: Some(_), .. });
        assert_eq!(parse_with(&printed, &ParseOptions::strict()).is_ok(), !compat_form, "{printed}");
    }
}

#[test]
fn canonical_strings_escape_what_they_must() {
    let f = eq("s", s("a\"b\\c\nd\u{1}é"));
    assert_eq!(f.to_string(), r#"s eq "a\"b\\c\nd\u0001é""#);
}

fn spellings() -> Vec<(&'static str, Spelling)> {
    vec![
        ("canonical", Spelling::default()),
        ("upper keywords", Spelling { keyword_case: Case::Upper, ..Spelling::default() }),
        ("title keywords", Spelling { keyword_case: Case::Title, ..Spelling::default() }),
        ("alternating keywords", Spelling { keyword_case: Case::Alternating, ..Spelling::default() }),
        ("upper names", Spelling { name_case: Case::Upper, ..Spelling::default() }),
        ("lower names", Spelling { name_case: Case::Lower, ..Spelling::default() }),
        ("title names", Spelling { name_case: Case::Title, ..Spelling::default() }),
        ("alternating names", Spelling { name_case: Case::Alternating, ..Spelling::default() }),
        ("qualified", Spelling { qualify_with: Some(USER.to_string()), ..Spelling::default() }),
        ("extra parentheses", Spelling { extra_parentheses: true, ..Spelling::default() }),
        ("tight not", Spelling { tight_not: true, ..Spelling::default() }),
        ("three spaces", Spelling { spaces: 3, ..Spelling::default() }),
        (
            "everything",
            Spelling {
                keyword_case: Case::Alternating,
                name_case: Case::Upper,
                qualify_with: Some(USER.to_string()),
                extra_parentheses: true,
                tight_not: true,
                spaces: 3,
            },
        ),
    ]
}

#[test]
fn every_spelling_reparses_to_the_same_filter() {
    let mut trees = tricky_trees();
    trees.extend(
        [
            r#"id eq "1" and externalId eq "e" and meta.lastModified gt "2011-05-13T04:42:34Z" and schemas eq "x""#,
            r#"userName eq "x" or name.familyName sw "J" or emails[type eq "work"]"#,
            r#"not (active eq true) and roles[primary eq "True"].value pr"#,
        ]
        .iter()
        .map(|i| ok(i)),
    );
    for (label, spelling) in spellings() {
        for f in &trees {
            let spelled = spelling.print(f);
            let reparsed = parse(&spelled)
                .unwrap_or_else(|e| panic!("{label}: {spelled:?} does not parse:\n{}", e.render(&spelled)));
            assert_eq!(reparsed.normalized(Some(USER)), f.normalized(Some(USER)), "{label}: {spelled}");
        }
    }
}

#[test]
fn spelling_outputs() {
    let f = ok(r#"userName eq "x" and not (active eq true)"#);
    let spell = |s: Spelling| s.print(&f);
    assert_eq!(
        spell(Spelling { keyword_case: Case::Upper, ..Spelling::default() }),
        r#"userName EQ "x" AND NOT (active EQ TRUE)"#
    );
    assert_eq!(
        spell(Spelling { keyword_case: Case::Title, name_case: Case::Title, ..Spelling::default() }),
        r#"Username Eq "x" And Not (Active Eq True)"#
    );
    assert_eq!(
        spell(Spelling { keyword_case: Case::Alternating, name_case: Case::Alternating, ..Spelling::default() }),
        r#"UsErNaMe Eq "x" AnD NoT (AcTiVe Eq TrUe)"#
    );
    assert_eq!(
        spell(Spelling { extra_parentheses: true, tight_not: true, ..Spelling::default() }),
        r#"((userName eq "x") and (not(active eq true)))"#
    );
    assert_eq!(
        spell(Spelling { spaces: 3, ..Spelling::default() }),
        r#"userName   eq   "x"   and   not (active   eq   true)"#
    );
    // String values keep their case whatever the keyword case.
    let g = ok(r#"title eq "True""#);
    assert_eq!(Spelling { keyword_case: Case::Upper, ..Spelling::default() }.print(&g), r#"title EQ "True""#);
}

#[test]
fn qualified_spelling_leaves_common_attributes_and_bracket_contents_alone() {
    let f = ok(concat!(
        r#"id eq "1" and externalId eq "e" and meta.resourceType eq "User" and schemas pr"#,
        r#" and userName eq "u" and emails[type eq "work"].value pr"#,
        r#" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr"#
    ));
    let printed = Spelling { qualify_with: Some(USER.to_string()), ..Spelling::default() }.print(&f);
    assert_eq!(
        printed,
        format!(
            r#"id eq "1" and externalId eq "e" and meta.resourceType eq "User" and schemas pr and {USER}:userName eq "u" and {USER}:emails[type eq "work"].value pr and {ENTERPRISE_USER}:department pr"#
        )
    );
    // Qualified names resolve to the same attributes.
    let user = json!({"schemas": [USER], "id": "1", "externalId": "e", "userName": "u",
        "meta": {"resourceType": "User"}, "emails": [{"type": "work", "value": "w@x"}],
        ENTERPRISE_USER: {"department": "D"}});
    let reparsed = ok(&printed);
    assert!(evaluate(&f, &user, ResourceSchema::user(), &EvalOptions::default()).unwrap());
    assert!(evaluate(&reparsed, &user, ResourceSchema::user(), &EvalOptions::default()).unwrap());
}

// ---------------------------------------------------------------------------------------------------
// PATCH paths
// ---------------------------------------------------------------------------------------------------

fn path_ok(input: &str) -> PathExpr {
    parse_path(input, &ParseOptions::default()).unwrap_or_else(|e| panic!("{input:?}:\n{}", e.render(input)))
}

#[track_caller]
fn path_err(input: &str, span: std::ops::Range<usize>, phrase: &str) {
    let e = parse_path(input, &ParseOptions::default()).expect_err(input);
    assert_eq!(e.span, Some(span), "{input:?}: {}", e.message);
    assert!(e.message.contains(phrase), "{input:?}: {}", e.message);
}

#[test]
fn patch_paths() {
    assert_eq!(
        path_ok(r#"members[value eq "2819c223"]"#),
        PathExpr { attr: path("members"), filter: Some(eq("value", s("2819c223"))), sub_attr: None }
    );
    assert_eq!(
        path_ok(r#"emails[type eq "work"].value"#),
        PathExpr { attr: path("emails"), filter: Some(eq("type", s("work"))), sub_attr: Some("value".into()) }
    );
    // The `.sub` after brackets is PATCH grammar, so strict accepts it here.
    assert_eq!(
        parse_path(r#"emails[type eq "work"].value"#, &ParseOptions::strict()).unwrap(),
        path_ok(r#"emails[type eq "work"].value"#)
    );
    assert_eq!(
        path_ok("name.familyName"),
        PathExpr { attr: sub_path("name", "familyName"), filter: None, sub_attr: None }
    );
    assert_eq!(path_ok("userName"), PathExpr { attr: path("userName"), filter: None, sub_attr: None });
    assert_eq!(
        path_ok(&format!("{ENTERPRISE_USER}:manager.value")),
        PathExpr { attr: urn_path(ENTERPRISE_USER, "manager", Some("value")), filter: None, sub_attr: None }
    );
    assert_eq!(
        path_ok(&format!("{ENTERPRISE_USER}:manager")),
        PathExpr { attr: urn_path(ENTERPRISE_USER, "manager", None), filter: None, sub_attr: None }
    );
    // A bare extension URN reads as `uri:name`; the PATCH engine recognises it as the extension.
    assert_eq!(
        path_ok(ENTERPRISE_USER),
        PathExpr {
            attr: urn_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", None),
            filter: None,
            sub_attr: None
        }
    );
    assert_eq!(
        path_ok(r#"members[value eq "a" or value eq "b"]"#).filter,
        Some(or([eq("value", s("a")), eq("value", s("b"))]))
    );
}

#[test]
fn patch_path_errors() {
    path_err(r#"emails[type eq "work""#, 6..7, "expected `]`");
    path_err("name..givenName", 4..5, "sub-attribute name after `name.`");
    path_err("name.givenName x", 14..15, "after the path");
    path_err(r#"emails[type eq "work"]x"#, 22..23, "after the path");
    path_err(r#"emails[type eq "work"].value.display"#, 28..36, "after the path");
    path_err("userName ", 8..9, "after the path");
    path_err("", 0..0, "empty path");
    path_err(r#"emails[]"#, 6..8, "empty value filter");
    path_err(r#"emails[type[value pr] pr]"#, 11..12, "cannot be nested");
}

// ---------------------------------------------------------------------------------------------------
// Evaluator
// ---------------------------------------------------------------------------------------------------

fn babs() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE_USER],
        "id": "2819c223",
        "externalId": "BJensen",
        "userName": "bjensen",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "title": "",
        "nickName": null,
        "active": true,
        "emails": [
            {"value": "a@x", "type": "work"},
            {"value": "b@x", "type": "home", "primary": true}
        ],
        "phoneNumbers": [],
        "ims": [{"value": null, "type": null}],
        "roles": [{"value": "admin", "primary": false}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z"
        },
        ENTERPRISE_USER: {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915", "displayName": "John Smith"}
        }
    })
}

fn eval_with(filter: &str, resource: &Value, options: &EvalOptions) -> bool {
    let f = ok(filter);
    evaluate(&f, resource, ResourceSchema::user(), options).unwrap_or_else(|e| panic!("{filter}: {}", e.message))
}

/// Whether `filter` matches `babs()`.
fn on_babs(filter: &str) -> bool {
    eval_with(filter, &babs(), &EvalOptions::default())
}

fn check_err(filter: &str, options: &EvalOptions) -> FilterError {
    let f = ok(filter);
    match compile(&f, ResourceSchema::user(), options) {
        Ok(_) => panic!("{filter} should not compile"),
        Err(e) => e,
    }
}

#[test]
fn static_errors() {
    let cases = [
        ("active gt true", "no order"),
        (r#"x509Certificates.value lt "x""#, "no order"),
        (r#"active co "t""#, "apply to strings"),
        ("active eq 1", "compare it with true or false"),
        ("userName eq 5", "compare it with a string"),
        ("userName eq true", "compare it with a string"),
        (r#"meta.lastModified gt "yesterday""#, "not an xsd:dateTime"),
        (r#"name eq "x""#, "is complex"),
        (r#"meta eq "x""#, "is complex"),
        (r#"userName[value eq "x"]"#, "value filters select values of complex attributes"),
        (r#"emails[value.x eq "y"]"#, "name a sub-attribute of `emails` alone"),
        (r#"emails[urn:a:b:value eq "y"]"#, "name a sub-attribute of `emails` alone"),
        (r#"emails[nope eq "y"]"#, "has no sub-attribute `nope`"),
        (r#"nope eq "x""#, "unknown attribute `nope`"),
        (r#"name.nope eq "x""#, "unknown attribute `name.nope`"),
        (r#"urn:x:y:userName eq "x""#, "no schema `urn:x:y`"),
        ("userName gt null", "only `eq null` and `ne null`"),
        (r#"emails[type eq "work"].type eq 1"#, "compare it with a string"),
        (r#"emails[type eq "work"].nope pr"#, "no sub-attribute `nope`"),
        // Extension attributes must be qualified.
        (r#"employeeNumber eq "701984""#, "unknown attribute `employeeNumber`"),
    ];
    for (filter, phrase) in cases {
        let e = check_err(filter, &EvalOptions::default());
        assert_eq!(e.span, None, "{filter}");
        assert!(e.message.contains(phrase), "{filter}: {}", e.message);
        assert_eq!(e.scim_type(), "invalidFilter");
    }
}

#[test]
fn errors_are_static_not_per_resource() {
    // Even with no resource the check fails; with any resource evaluate fails the same way.
    let f = ok("userName eq 5");
    let a = evaluate(&f, &json!({}), ResourceSchema::user(), &EvalOptions::default()).unwrap_err();
    let b = evaluate(&f, &babs(), ResourceSchema::user(), &EvalOptions::default()).unwrap_err();
    assert_eq!(a, b);
}

#[test]
fn unknown_attributes_as_no_match() {
    let no_match = EvalOptions { unknown_attributes: UnknownAttributes::NoMatch, ..EvalOptions::default() };
    let u = babs();
    assert!(!eval_with(r#"nope eq "x""#, &u, &no_match));
    assert!(eval_with(r#"nope ne "x""#, &u, &no_match));
    assert!(!eval_with("nope pr", &u, &no_match));
    assert!(eval_with("not (nope pr)", &u, &no_match));
    assert!(!eval_with(r#"emails[nope eq "x"]"#, &u, &no_match));
    assert!(!eval_with(r#"nope[a eq "x"]"#, &u, &no_match));
    assert!(!eval_with(r#"urn:x:y:z eq "x""#, &u, &no_match));
    assert!(eval_with(r#"userName eq "bjensen" and nope ne "x""#, &u, &no_match));
    // Type errors on known attributes are still errors.
    check_err("userName eq 5", &no_match);
}

#[test]
fn unknown_attributes_as_no_match_ignore_the_data() {
    // Documented (UnknownAttributes::NoMatch, docs/filter-grammar.md): an unknown attribute is "treated as
    // absent on every resource: `eq` never matches, `ne` always does". The evaluator instead looks the
    // name up in the resource's JSON and compares it as an untyped string.
    let no_match = EvalOptions { unknown_attributes: UnknownAttributes::NoMatch, ..EvalOptions::default() };
    let mut u = babs();
    u["nope"] = json!("x");
    u["emails"][0]["nope"] = json!("x");
    assert!(!eval_with(r#"nope eq "x""#, &u, &no_match), "eq on an unknown attribute matched");
    assert!(eval_with(r#"nope ne "x""#, &u, &no_match), "ne on an unknown attribute did not match");
    assert!(!eval_with("nope pr", &u, &no_match));
    assert!(!eval_with(r#"emails.nope eq "x""#, &u, &no_match));
    assert!(!eval_with(r#"emails[nope eq "x"]"#, &u, &no_match));
}

#[test]
fn compat_string_booleans() {
    assert!(on_babs(r#"emails[primary eq "True"]"#));
    assert!(on_babs(r#"emails[primary eq "TRUE"]"#));
    assert!(!on_babs(r#"roles[primary eq "True"]"#));
    assert!(on_babs(r#"roles[primary eq "false"]"#));
    let e = check_err(r#"emails[primary eq "True"]"#, &EvalOptions::strict());
    assert!(e.message.contains("compare it with true or false"), "{}", e.message);
    // Only true/false spellings, even in compat.
    check_err(r#"emails[primary eq "yes"]"#, &EvalOptions::default());
    // Strict evaluation still takes real booleans.
    assert!(eval_with("emails[primary eq true]", &babs(), &EvalOptions::strict()));
}

#[test]
fn multi_valued_attributes_match_on_any_value() {
    assert!(on_babs(r#"emails.value eq "b@x""#));
    assert!(on_babs(r#"emails.type eq "home""#));
    assert!(on_babs(r#"emails.type eq "work""#));
    assert!(!on_babs(r#"emails.type eq "other""#));
    // Within brackets both tests must hold for the same value.
    assert!(on_babs(r#"emails[type eq "home" and value eq "b@x"]"#));
    assert!(!on_babs(r#"emails[type eq "home" and value eq "a@x"]"#));
    // Outside brackets each test picks its own value.
    assert!(on_babs(r#"emails.type eq "home" and emails.value eq "a@x""#));
    assert!(on_babs(r#"emails[not (type eq "work")]"#));
    assert!(on_babs(r#"emails[type eq "other" or value ew "@x"]"#));
}

#[test]
fn complex_multi_valued_compared_by_value() {
    assert!(on_babs(r#"emails co "b@""#));
    assert!(on_babs(r#"emails eq "A@X""#));
    assert!(on_babs(r#"emails sw "a""#));
    assert!(!on_babs(r#"emails co "home""#), "only `value` is compared, not `type`");
    assert!(on_babs(&format!(r#"{ENTERPRISE_USER}:manager eq "26118915""#)));
}

#[test]
fn presence() {
    assert!(on_babs("userName pr"));
    assert!(!on_babs("title pr"), r#""" is not present"#);
    assert!(!on_babs("nickName pr"), "null is not present");
    assert!(!on_babs("displayName pr"), "absent");
    assert!(!on_babs("phoneNumbers pr"), "[] is not present");
    assert!(!on_babs("ims pr"), "a complex value with only nulls is not present");
    assert!(!on_babs("ims.value pr"));
    assert!(on_babs("emails pr"));
    assert!(on_babs("emails.primary pr"));
    assert!(on_babs("name pr"));
    assert!(!on_babs("name.middleName pr"));
    assert!(on_babs("active pr"));
    assert!(on_babs("roles.primary pr"), "false is present");
}

#[test]
fn absent_attributes() {
    assert!(on_babs(r#"displayName ne "x""#));
    assert!(!on_babs(r#"displayName eq "x""#));
    assert!(!on_babs(r#"displayName co "x""#));
    assert!(!on_babs(r#"displayName gt "a""#));
    assert!(!on_babs(r#"displayName le "z""#));
    assert!(on_babs(r#"not (displayName eq "x")"#));
    assert!(on_babs(r#"nickName ne "x""#));
}

#[test]
fn null_comparisons() {
    assert!(on_babs("displayName eq null"));
    assert!(on_babs("nickName eq null"));
    assert!(on_babs("title eq null"), r#""" is unassigned"#);
    assert!(on_babs("phoneNumbers eq null"));
    assert!(!on_babs("userName eq null"));
    assert!(on_babs("userName ne null"));
    assert!(!on_babs("displayName ne null"));
    assert!(on_babs("emails ne null"));
}

#[test]
fn case_exact() {
    assert!(on_babs(r#"userName eq "BJENSEN""#), "userName is caseExact=false");
    assert!(on_babs(r#"userName sw "BJ""#));
    assert!(on_babs(r#"externalId eq "BJensen""#));
    assert!(!on_babs(r#"externalId eq "bjensen""#), "externalId is caseExact=true");
    assert!(!on_babs(r#"externalId sw "bj""#));
    assert!(!on_babs(r#"id eq "2819C223""#), "id is caseExact=true");
    assert!(on_babs(r#"userName ne "other""#));
    assert!(!on_babs(r#"userName ne "BJensen""#));
    assert!(on_babs(r#"externalId ne "bjensen""#));
}

#[test]
fn attribute_names_are_case_insensitive_in_filters_and_data() {
    let shouty = json!({"USERNAME": "bjensen", "Emails": [{"VALUE": "a@x", "Type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EmployeeNumber": "1"}});
    let opts = EvalOptions::default();
    assert!(eval_with(r#"userName eq "bjensen""#, &shouty, &opts));
    assert!(eval_with(r#"username eq "bjensen""#, &shouty, &opts));
    assert!(eval_with(r#"emails[type eq "work"].value eq "a@x""#, &shouty, &opts));
    assert!(eval_with(r#"EMAILS.Value eq "a@x""#, &shouty, &opts));
    assert!(eval_with(&format!(r#"{ENTERPRISE_USER}:employeeNumber eq "1""#), &shouty, &opts));
}

#[test]
fn date_times_compare_chronologically() {
    assert!(on_babs(r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#));
    assert!(on_babs(r#"meta.lastModified eq "2011-05-13T04:42:34.000Z""#));
    assert!(!on_babs(r#"meta.lastModified ne "2011-05-13T06:42:34+02:00""#));
    // Chronologically later, textually earlier: 01:00-04:00 is 05:00Z.
    assert!(on_babs(r#"meta.lastModified lt "2011-05-13T01:00:00-04:00""#));
    // Chronologically earlier, textually later: 05:00+02:00 is 03:00Z.
    assert!(on_babs(r#"meta.lastModified gt "2011-05-13T05:00:00+02:00""#));
    assert!(on_babs(r#"meta.lastModified ge "2011-05-13T06:42:34+02:00""#));
    assert!(on_babs(r#"meta.lastModified le "2011-05-13T06:42:34+02:00""#));
    assert!(!on_babs(r#"meta.lastModified gt "2011-05-13T06:42:34+02:00""#));
    assert!(on_babs(r#"meta.created lt "2011-01-01T00:00:00Z""#));
    // Substring operators work on the text.
    assert!(on_babs(r#"meta.lastModified sw "2011-05""#));
}

#[test]
fn enterprise_attributes_by_urn() {
    assert!(on_babs(&format!(r#"{ENTERPRISE_USER}:employeeNumber eq "701984""#)));
    assert!(on_babs(&format!(r#"{ENTERPRISE_USER}:department co "operations""#)));
    assert!(on_babs(&format!(r#"{ENTERPRISE_USER}:manager.value eq "26118915""#)));
    assert!(!on_babs(&format!(r#"{ENTERPRISE_USER}:manager.value eq "26118915X""#)));
    assert!(on_babs(&format!("{ENTERPRISE_USER}:manager.displayName pr")));
    assert!(!on_babs(&format!("{ENTERPRISE_USER}:costCenter pr")));
    // URN and names in any case.
    let upper = ENTERPRISE_USER.to_ascii_uppercase();
    assert!(on_babs(&format!(r#"{upper}:EMPLOYEENUMBER eq "701984""#)));
    // The core URN qualifies core attributes.
    assert!(on_babs(&format!(r#"{USER}:userName eq "bjensen""#)));
    assert!(on_babs(&format!(r#"{USER}:name.familyName eq "jensen""#)));
    // A user without the extension's data.
    let plain = json!({"schemas": [USER], "id": "x", "userName": "x"});
    assert!(!eval_with(&format!("{ENTERPRISE_USER}:employeeNumber pr"), &plain, &EvalOptions::default()));
    assert!(eval_with(&format!(r#"{ENTERPRISE_USER}:employeeNumber ne "1""#), &plain, &EvalOptions::default()));
}

#[test]
fn meta_and_schemas() {
    assert!(on_babs(r#"meta.resourceType eq "User""#));
    assert!(!on_babs(r#"meta.resourceType eq "user""#), "meta.resourceType is caseExact");
    assert!(on_babs(&format!(r#"schemas eq "{ENTERPRISE_USER}""#)));
    assert!(on_babs(&format!(r#"schemas eq "{}""#, ENTERPRISE_USER.to_ascii_uppercase())));
    let plain = json!({"schemas": [USER], "id": "x", "userName": "x"});
    assert!(!eval_with(&format!(r#"schemas eq "{ENTERPRISE_USER}""#), &plain, &EvalOptions::default()));
    assert!(eval_with(&format!(r#"schemas eq "{USER}""#), &plain, &EvalOptions::default()));
}

#[test]
fn compat_sub_attribute_form_needs_one_element_to_match_both() {
    // Work email a@x, home email b@x.
    assert!(on_babs(r#"emails[type eq "work"].value eq "a@x""#));
    assert!(!on_babs(r#"emails[type eq "work"].value eq "b@x""#), "b@x is the home email");
    assert!(on_babs(r#"emails[type eq "home"].value eq "b@x""#));
    assert!(on_babs(r#"emails[type eq "work"].value co "@""#));
    assert!(!on_babs(r#"emails[type eq "work"].primary pr"#));
    assert!(on_babs(r#"emails[type eq "home"].primary eq true"#));
    // The loose reading, written out, does match.
    assert!(on_babs(r#"emails[type eq "work"] and emails.value eq "b@x""#));
}

#[test]
fn numbers_compare_numerically() {
    // No integer attribute in User: use the value filter of a custom attribute.
    use crate::schema::{Attribute, AttributeType};
    let attr = Attribute {
        multi_valued: true,
        sub_attributes: vec![Attribute::new("n", AttributeType::Integer), Attribute::new("d", AttributeType::Decimal)],
        ..Attribute::new("things", AttributeType::Complex)
    };
    let opts = EvalOptions::default();
    let m = |filter: &str, v: Value| compile_value_filter(&ok(filter), &attr, &opts).unwrap().matches(&v);
    assert!(m("n gt 9", json!({"n": 10})), "10 > 9 numerically, not textually");
    assert!(m("n eq 10", json!({"n": 10})));
    assert!(m("d eq 1", json!({"d": 1.0})));
    assert!(m("d lt 1e1", json!({"d": 9.5})));
    assert!(m("n ge -3", json!({"n": -3})));
    assert!(!m("n lt -3", json!({"n": -3})));
    assert!(!m("n eq 10", json!({"n": "10"})), "a string is not a number");
    let e = compile_value_filter(&ok(r#"n co "1""#), &attr, &opts).expect_err("co on an integer");
    assert!(e.message.contains("apply to strings"), "{}", e.message);
    let e = compile_value_filter(&ok(r#"n eq "1""#), &attr, &opts).expect_err("string for an integer");
    assert!(e.message.contains("compare it with a number"), "{}", e.message);
}

#[test]
fn value_filters_on_group_members() {
    let group = ResourceSchema::group();
    let members = group.core.attribute("members").expect("members");
    let opts = EvalOptions::default();
    let alice = json!({"value": "2819c223", "$ref": "https://x/Users/2819c223", "type": "User", "display": "Alice"});
    let m = |filter: &str| compile_value_filter(&ok(filter), members, &opts).unwrap().matches(&alice);
    assert!(m(r#"value eq "2819c223""#));
    assert!(!m(r#"value eq "2819C223""#), "members.value is caseExact");
    assert!(m(r#"type eq "user""#), "members.type is not caseExact");
    assert!(m(r#"display sw "al" and not (type eq "Group")"#));
    assert!(m(r#"$ref ew "/2819c223""#));
    assert!(!m("value eq null"));
    let e = compile_value_filter(&ok(r#"nope eq "x""#), members, &opts).expect_err("unknown sub-attribute");
    assert!(e.message.contains("no sub-attribute `nope`"), "{}", e.message);
    let e = compile_value_filter(&ok(r#"value.x eq "x""#), members, &opts).expect_err("sub of a sub");
    assert!(e.message.contains("alone"), "{}", e.message);
    // And the same filter inside brackets on a whole group.
    let g = json!({"schemas": [GROUP], "id": "g", "displayName": "Tour Guides", "members": [alice, {"value": "x"}]});
    let f = ok(r#"members[value eq "2819c223" and type eq "User"]"#);
    assert!(evaluate(&f, &g, group, &opts).unwrap());
    assert!(!evaluate(&ok(r#"members[value eq "x" and type pr]"#), &g, group, &opts).unwrap());
    // User attributes are unknown on a group.
    assert!(compile(&ok("userName pr"), group, &opts).is_err());
}

#[test]
fn compiled_filters_are_reusable() {
    let f = ok(r#"emails[type eq "work"] or userName eq "x""#);
    let c = compile(&f, ResourceSchema::user(), &EvalOptions::default()).unwrap();
    assert!(c.matches(&babs()));
    assert!(c.matches(&json!({"userName": "X"})));
    assert!(!c.matches(&json!({"userName": "y"})));
    // Data that does not fit the schema fails to match; it is not an error.
    assert!(!c.matches(&json!({"userName": 5, "emails": "nope"})));
    assert!(!c.matches(&json!("not an object")));
    let t = compile(&ok("active eq true"), ResourceSchema::user(), &EvalOptions::default()).unwrap();
    assert!(!t.matches(&json!({"active": "true"})));
}

#[test]
fn error_spans_are_on_character_boundaries() {
    // `FilterError::span` is a byte range into the input; a consumer slicing `&input[span]` panics when it
    // splits a character. `render` copes (it rounds down), but the span itself should be well-formed.
    let cases = [
        ("n eq -é", ParseOptions::default()), // "expected digits after `-`": 5..7 splits `é`
        ("n eq -😀", ParseOptions::default()), // 5..7 splits the emoji
        ("urn:x:y:name.é pr", ParseOptions::default()), // "expected an attribute name": 13..14
        ("éé", ParseOptions { max_len: 3, ..ParseOptions::default() }), // length limit: 3..4
    ];
    for (input, options) in cases {
        let e = parse_with(input, &options).expect_err(input);
        let span = e.span.clone().expect("a span");
        assert!(
            input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
            "{input:?}: span {span:?} splits a character ({})",
            e.message
        );
    }
}
