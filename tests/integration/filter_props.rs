//! Filter properties: printing round-trips, every spelling reads the same, and the evaluator obeys the
//! laws of boolean logic over generated users (double negation, De Morgan, idempotence, commutativity).

use proptest::collection::vec;
use proptest::prelude::*;
use scimtest::filter::{Dialect, EvalOptions, Filter, ParseOptions, Test, compile, parse_with};
use scimtest::schema::ResourceSchema;
use serde_json::Value;

use crate::strategies::{CORE_USER, spelling, tree, user, user_filter};

/// Which of `users` match `filter` (compat dialect, User schema); the filter must check.
fn matches(filter: &Filter, users: &[Value]) -> Vec<bool> {
    let compiled = compile(filter, ResourceSchema::user(), &EvalOptions::default())
        .unwrap_or_else(|e| panic!("generated filter does not check: {filter}: {e}"));
    users.iter().map(|u| compiled.matches(u)).collect()
}

fn not(f: &Filter) -> Filter {
    Filter::Not(Box::new(f.clone()))
}

proptest! {
    #![proptest_config(crate::strategies::config(256))]

    #[test]
    fn canonical_print_round_trips(f in tree()) {
        let printed = f.to_string();
        let parsed = parse_with(&printed, &ParseOptions::with_dialect(Dialect::Compat));
        prop_assert_eq!(parsed.as_ref().map_err(|e| e.render(&printed)), Ok(&f), "printed: {}", printed);
    }

    #[test]
    fn every_spelling_parses_to_the_same_filter(f in tree(), spelling in spelling()) {
        let printed = spelling.print(&f);
        let parsed = parse_with(&printed, &ParseOptions::default()).map_err(|e| e.render(&printed));
        prop_assert_eq!(parsed.map(|p| p.normalized(Some(CORE_USER))), Ok(f.normalized(Some(CORE_USER))), "spelled: {}", printed);
    }

    #[test]
    fn double_negation(f in user_filter(), users in vec(user(), 1..8)) {
        prop_assert_eq!(matches(&not(&not(&f)), &users), matches(&f, &users));
    }

    #[test]
    fn de_morgan(f in user_filter(), g in user_filter(), users in vec(user(), 1..8)) {
        let (f, g) = (f, g);
        prop_assert_eq!(
            matches(&not(&Filter::And(vec![f.clone(), g.clone()])), &users),
            matches(&Filter::Or(vec![not(&f), not(&g)]), &users)
        );
        prop_assert_eq!(
            matches(&not(&Filter::Or(vec![f.clone(), g.clone()])), &users),
            matches(&Filter::And(vec![not(&f), not(&g)]), &users)
        );
    }

    #[test]
    fn idempotence_and_commutativity(f in user_filter(), g in user_filter(), users in vec(user(), 1..8)) {
        let m = matches(&f, &users);
        prop_assert_eq!(&matches(&Filter::And(vec![f.clone(), f.clone()]), &users), &m);
        prop_assert_eq!(&matches(&Filter::Or(vec![f.clone(), f.clone()]), &users), &m);
        prop_assert_eq!(
            matches(&Filter::And(vec![f.clone(), g.clone()]), &users),
            matches(&Filter::And(vec![g.clone(), f.clone()]), &users)
        );
        prop_assert_eq!(
            matches(&Filter::Or(vec![f.clone(), g.clone()]), &users),
            matches(&Filter::Or(vec![g, f]), &users)
        );
    }

    /// `emails[F].value op v` (Entra's form) selects the same users as `emails[F and value op v]`.
    #[test]
    fn compat_sub_form_is_a_conjunction_inside_the_brackets(f in user_filter(), users in vec(user(), 1..8)) {
        if let Filter::ValuePath { attr, filter, sub: Some((name, test)) } = &f {
            let inner = Filter::And(vec![(**filter).clone(), Filter::Attr { path: scimtest::filter::AttrPath::new(name.clone(), None), test: test.clone() }]);
            let merged = Filter::ValuePath { attr: attr.clone(), filter: Box::new(inner), sub: None };
            prop_assert_eq!(matches(&f, &users), matches(&merged, &users));
        }
    }

    /// A filter read back from any spelling selects the same users.
    #[test]
    fn spelling_does_not_change_results(f in user_filter(), spelling in spelling(), users in vec(user(), 1..8)) {
        let printed = spelling.print(&f);
        let reparsed = parse_with(&printed, &ParseOptions::default()).map_err(|e| e.render(&printed)).unwrap();
        prop_assert_eq!(matches(&reparsed, &users), matches(&f, &users), "spelled: {}", printed);
    }

    /// `ne` is the negation of `eq` on single-valued attributes that are present.
    #[test]
    fn ne_is_not_eq_on_present_single_values(users in vec(user(), 1..8), v in proptest::sample::select(vec!["alice", "Bob", "carol"])) {
        let eq = parse_with(&format!("userName eq \"{v}\""), &ParseOptions::default()).unwrap();
        let ne = parse_with(&format!("userName ne \"{v}\""), &ParseOptions::default()).unwrap();
        let flipped: Vec<bool> = matches(&eq, &users).into_iter().map(|b| !b).collect();
        prop_assert_eq!(matches(&ne, &users), flipped);
        let is_comparison = matches!(&ne, Filter::Attr { test: Test::Compare(..), .. });
        prop_assert!(is_comparison);
    }
}
