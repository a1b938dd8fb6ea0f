//! Listing and `.search` (RFC 7644 §3.4.2, §3.4.3): the filter parsed, bent the way the behaviour says,
//! narrowed by an index where it can be, checked against every candidate; then sort and pagination.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::behaviour::TotalResults;
use super::error::ScimError;
use super::service::{Kind, Members, Rendered, Service};
use super::store::{Data, Stored, fold};
use crate::filter::{CompValue, CompareOp, CompiledFilter, Filter, ParseOptions, Test, compile, parse_with};
use crate::schema::{AttributeType, get_ci};
use crate::value;

/// The query part of a list or search request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Whether the query came in the URI (GET) rather than a `.search` body: a filter naming a
    /// `returned: never` attribute is then `403 sensitive` (RFC 7644 §7.5.2), not `400 invalidFilter`.
    pub in_uri: bool,
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// Whether the page shows groups' members ([`Members`]).
    pub members: Members,
}

impl Service {
    /// Refuses a filter on a `returned: never` attribute (a password): matching on it would reveal it.
    fn check_sensitive(&self, kind: Kind, filter: &Filter, in_uri: bool) -> Result<(), ScimError> {
        fn paths<'f>(f: &'f Filter, out: &mut Vec<&'f crate::filter::AttrPath>) {
            match f {
                Filter::Attr { path, .. } => out.push(path),
                Filter::ValuePath { attr, .. } => out.push(attr),
                Filter::Not(inner) => paths(inner, out),
                Filter::And(t) | Filter::Or(t) => t.iter().for_each(|f| paths(f, out)),
            }
        }
        let mut found = Vec::new();
        paths(filter, &mut found);
        for p in found {
            let Ok(r) = self.schema(kind).resolve(p.uri.as_deref(), &p.name, p.sub_attr.as_deref()) else { continue };
            if r.target().returned == crate::schema::Returned::Never
                || r.attribute.returned == crate::schema::Returned::Never
            {
                let detail = format!("`{p}` is never returned, so it cannot be filtered on");
                return Err(if in_uri {
                    ScimError::new(StatusCode::FORBIDDEN, Some("sensitive"), detail)
                } else {
                    ScimError::bad_request("invalidFilter", detail)
                });
            }
        }
        Ok(())
    }

    /// What a faulty server refuses before it compiles a filter: a name spelled otherwise than the schema
    /// spells it (a case-sensitive lookup), or a comparison on a complex attribute without a sub-attribute.
    fn refused_by_behaviour(&self, kind: Kind, filter: &Filter) -> Option<String> {
        let b = self.behaviour();
        if b.filter_names_any_case && b.complex_filters_compare_value {
            return None;
        }
        fn names<'f>(f: &'f Filter, out: &mut Vec<&'f str>) {
            match f {
                Filter::Attr { path, .. } => out.push(&path.name),
                Filter::ValuePath { attr, .. } => out.push(&attr.name),
                Filter::Not(inner) => names(inner, out),
                Filter::And(t) | Filter::Or(t) => t.iter().for_each(|f| names(f, out)),
            }
        }
        let schema = self.filter_schema(kind);
        let unknown = |path: &crate::filter::AttrPath| Some(format!("unknown attribute `{path}`"));
        match filter {
            Filter::Attr { path, test } => {
                let r = schema.resolve(path.uri.as_deref(), &path.name, path.sub_attr.as_deref()).ok()?;
                let sub_spelled = r.sub_attribute.is_none_or(|s| path.sub_attr.as_deref() == Some(s.name.as_str()));
                if !b.filter_names_any_case && (r.attribute.name != path.name || !sub_spelled) {
                    return unknown(path);
                }
                if !b.complex_filters_compare_value
                    && r.sub_attribute.is_none()
                    && r.attribute.is_complex()
                    && matches!(test, Test::Compare(..))
                {
                    return Some(format!("`{path}` is complex: name one of its sub-attributes"));
                }
                None
            }
            Filter::ValuePath { attr, filter, sub } => {
                let r = schema.resolve(attr.uri.as_deref(), &attr.name, None).ok()?;
                if b.filter_names_any_case {
                    return None;
                }
                if r.attribute.name != attr.name {
                    return unknown(attr);
                }
                let mut inside = Vec::new();
                names(filter, &mut inside);
                inside.extend(sub.as_ref().map(|(name, _)| name.as_str()));
                inside
                    .into_iter()
                    .find(|n| r.attribute.sub_attribute(n).is_some_and(|s| s.name != *n))
                    .map(|n| format!("`{}` has no sub-attribute `{n}`", r.attribute.name))
            }
            Filter::Not(inner) => self.refused_by_behaviour(kind, inner),
            Filter::And(t) | Filter::Or(t) => t.iter().find_map(|f| self.refused_by_behaviour(kind, f)),
        }
    }

    fn compile_filter<'s>(&'s self, kind: Kind, filter: &Filter) -> Result<CompiledFilter<'s>, ScimError> {
        if let Some(why) = self.refused_by_behaviour(kind, filter) {
            return Err(ScimError::bad_request("invalidFilter", why));
        }
        compile(filter, self.filter_schema(kind), &self.behaviour().eval_options())
            .map_err(|e| ScimError::bad_request("invalidFilter", e.message))
    }

    /// The ids an `eq` on an indexed attribute narrows a filter to (in store order), if it has one.
    fn candidates(&self, data: &Data, kind: Kind, filter: &Filter) -> Option<Vec<String>> {
        let terms: &[Filter] = match filter {
            Filter::And(terms) => terms,
            f => std::slice::from_ref(f),
        };
        for term in terms {
            let Filter::Attr { path, test: Test::Compare(op @ (CompareOp::Eq | CompareOp::Sw), CompValue::String(v)) } =
                term
            else {
                continue;
            };
            let core = self.schema(kind).core.id.as_str();
            if path.uri.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(core)) {
                continue;
            }
            let name = path.name.to_ascii_lowercase();
            let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
            let table = data.table(kind);
            let in_store_order = |mut ids: Vec<&String>| {
                ids.sort_by_key(|id| table.by_id.get(*id).map_or(0, |s| s.seq));
                ids.into_iter().cloned().collect()
            };
            if *op == CompareOp::Sw {
                // The harness's generated filters end in `and userName sw "<run prefix>"`.
                if (kind, name.as_str(), sub.as_deref()) != (Kind::User, "username", None) {
                    continue;
                }
                let Ok(user_name) = self.filter_schema(kind).resolve(None, "userName", None) else { continue };
                let Some(ids) = data.user_names_starting(v, user_name.target().case_exact) else { continue };
                return Some(in_store_order(ids));
            }
            if (kind, name.as_str(), sub.as_deref()) == (Kind::User, "groups", Some("value")) {
                return Some(in_store_order(members_within(data, v)));
            }
            let ids = match (kind, name.as_str(), sub.as_deref()) {
                (Kind::User, "username", None) => data.user_names.get(&data.user_name_key(v)),
                (Kind::Group, "displayname", None) => data.group_names.get(&fold(v)),
                (_, "externalid", None) => data.external_ids.get(&(kind, v.clone())),
                (Kind::User, "emails", None | Some("value")) => data.emails.get(&fold(v)),
                _ => continue,
            };
            return Some(in_store_order(ids.map(|s| s.iter().collect()).unwrap_or_default()));
        }
        None
    }

    /// Rewrites a filter the way the behaviour reads it (`not` ignored, `and`/`or` left to right).
    fn bend(&self, filter: Filter) -> Filter {
        fn not_ignored(f: Filter) -> Filter {
            match f {
                Filter::Not(inner) => not_ignored(*inner),
                Filter::And(t) => Filter::And(t.into_iter().map(not_ignored).collect()),
                Filter::Or(t) => Filter::Or(t.into_iter().map(not_ignored).collect()),
                f => f,
            }
        }
        fn left_to_right(f: Filter) -> Filter {
            match f {
                Filter::Or(terms) => {
                    let mut terms = terms.into_iter().map(left_to_right);
                    let mut acc = terms.next().expect("or has terms");
                    for t in terms {
                        acc = match t {
                            Filter::And(mut inner) => {
                                let first = inner.remove(0);
                                let mut and = vec![Filter::Or(vec![acc, first])];
                                and.extend(inner);
                                Filter::And(and)
                            }
                            t => Filter::Or(vec![acc, t]),
                        };
                    }
                    acc
                }
                Filter::And(t) => Filter::And(t.into_iter().map(left_to_right).collect()),
                Filter::Not(inner) => Filter::Not(Box::new(left_to_right(*inner))),
                f => f,
            }
        }
        let mut f = filter;
        if !self.behaviour().not_honoured {
            f = not_ignored(f);
        }
        if !self.behaviour().and_binds_tighter {
            f = left_to_right(f);
        }
        f
    }

    /// A ListResponse over `kinds` (one for `/Users`, both for a root `.search`).
    pub fn list(
        &self,
        kinds: &[Kind],
        query: &ListQuery,
        base: &str,
    ) -> Result<(Vec<Rendered>, usize, usize), ScimError> {
        let parsed = match &query.filter {
            Some(text) => {
                let options = ParseOptions::with_dialect(self.behaviour().filter_dialect);
                let f =
                    parse_with(text, &options).map_err(|e| ScimError::bad_request("invalidFilter", e.render(text)))?;
                Some(self.bend(f))
            }
            None => None,
        };
        let data = self.store.read();
        let mut hits: Vec<(Kind, &Stored)> = Vec::new();
        let mut errors = Vec::new();
        let needs_render = query.filter.as_deref().is_some_and(|f| {
            let f = f.to_ascii_lowercase();
            ["groups", "members", "meta.location", "meta.version"].iter().any(|k| f.contains(k))
        });
        for &kind in kinds {
            if let Some(f) = &parsed {
                self.check_sensitive(kind, f, query.in_uri)?;
            }
            let compiled = match &parsed {
                Some(f) => match self.compile_filter(kind, f) {
                    Ok(c) => Some(c),
                    Err(e) if kinds.len() > 1 => {
                        errors.push(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            };
            let table = data.table(kind);
            let indexed = parsed.as_ref().and_then(|f| self.candidates(&data, kind, f));
            let ids: Box<dyn Iterator<Item = &String>> = match &indexed {
                Some(ids) => Box::new(ids.iter()),
                None => Box::new(table.order.values()),
            };
            for id in ids {
                let Some(stored) = table.by_id.get(id) else { continue };
                // Parsed once, and only when something reads it (the text is what the store keeps).
                let hidden = !self.behaviour().inactive_users_listed && kind == Kind::User;
                let json = (hidden || (compiled.is_some() && !needs_render)).then(|| stored.json());
                if hidden && json.as_ref().and_then(|j| j.get("active")) == Some(&json!(false)) {
                    continue;
                }
                let matched = match &compiled {
                    None => true,
                    Some(c) if needs_render => c.matches(&self.render(&data, kind, stored, base, Members::Shown).json),
                    // Parsed above: a filter that needs no rendering reads the stored form.
                    Some(c) => json.as_ref().is_some_and(|j| c.matches(j)),
                };
                if matched {
                    hits.push((kind, stored));
                }
            }
            for (_, stored) in data.ghosts.iter().filter(|(k, _)| *k == kind) {
                if compiled.as_ref().is_none_or(|c| c.matches(&stored.json())) {
                    hits.push((kind, stored));
                }
            }
        }
        if kinds.len() > 1 && errors.len() == kinds.len() {
            return Err(errors.remove(0));
        }
        if let Some(sort_by) = &query.sort_by {
            self.sort(&mut hits, sort_by, query.descending)?;
        }
        if query.filter.is_some() && hits.is_empty() && !self.behaviour().no_match_is_empty_list {
            return Err(ScimError::not_found("no resource matches the filter"));
        }
        // The members-missing-from-groups-filter fault: a filter on `groups` selects only the first members.
        if let Some(limit) = self.behaviour().groups_filter_limit
            && kinds == [Kind::User]
            && query.filter.as_deref().is_some_and(|f| f.to_ascii_lowercase().contains("groups"))
        {
            hits.truncate(limit);
        }
        // The group-list-first-page-only fault: every group list starts at 1 whatever startIndex says.
        let first_page;
        let query = if kinds == [Kind::Group] && !self.behaviour().group_lists_paged {
            first_page = ListQuery { start_index: Some(1), ..query.clone() };
            &first_page
        } else {
            query
        };
        let (page, total, start) = self.page(hits, query);
        let page =
            page.into_iter().map(|(kind, stored)| self.render(&data, kind, stored, base, query.members)).collect();
        Ok((page, total, start))
    }

    /// One page of `hits` (in their order) as the behaviour pages it, with `totalResults` and `startIndex`:
    /// every listing goes through here, the governance catalogues' too, so the paging faults reach them all.
    pub(super) fn page<T>(&self, mut hits: Vec<T>, query: &ListQuery) -> (Vec<T>, usize, usize) {
        if !self.behaviour().stable_order && query.count.is_some_and(|c| c % 2 == 1) {
            hits.reverse();
        }
        let total = hits.len();
        // 1-based startIndex; < 1 means 1; count < 0 means 0; at most maxResults (RFC 7644 §3.4.2.4).
        let start = query.start_index.unwrap_or(1).max(1) as usize;
        let count = query.count.map_or(self.config().max_results, |c| c.max(0) as usize).min(self.config().max_results);
        let page: Vec<T> = if !self.behaviour().paginate {
            hits
        } else {
            hits.into_iter().skip(start - self.behaviour().start_index_origin).take(count).collect()
        };
        let total = match self.behaviour().total_results {
            TotalResults::AllMatches => total,
            TotalResults::PageSize => page.len(),
        };
        (page, total, start)
    }

    /// Orders hits by `sort_by` (RFC 7644 §3.4.2.3): the attribute's SCIM order, resources without a
    /// value last; multi-valued attributes sort by their primary (else first) value. Stable.
    fn sort(&self, hits: &mut [(Kind, &Stored)], sort_by: &str, descending: bool) -> Result<(), ScimError> {
        let (uri, rest) = crate::schema::split_urn(sort_by);
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        let kinds: std::collections::BTreeSet<Kind> = hits.iter().map(|(k, _)| *k).collect();
        if !kinds.is_empty() && kinds.iter().all(|k| self.schema(*k).resolve(uri, name, sub).is_err()) {
            let k = *kinds.iter().next().expect("not empty");
            let e = self.schema(k).resolve(uri, name, sub).expect_err("checked");
            return Err(ScimError::bad_request("invalidValue", format!("sortBy `{sort_by}`: {e}")));
        }
        let mut keyed = Vec::with_capacity(hits.len());
        for &(kind, stored) in hits.iter() {
            // A resource type without the attribute has no value for it: it sorts with the missing ones.
            let Ok(r) = self.schema(kind).resolve(uri, name, sub) else {
                keyed.push((None, crate::schema::Attribute::new("", AttributeType::String), kind, stored));
                continue;
            };
            if r.target().returned == crate::schema::Returned::Never {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("sortBy `{sort_by}`: it is never returned"),
                ));
            }
            let whole = stored.json();
            let object = match r.owner.container() {
                Some(urn) => whole.as_object().and_then(|o| get_ci(o, urn)).map(|(_, v)| v),
                None => Some(&whole),
            };
            let mut v = object.and_then(|b| b.as_object()).and_then(|o| get_ci(o, &r.attribute.name)).map(|(_, v)| v);
            if let Some(Value::Array(items)) = v {
                v = items.iter().find(|i| i.get("primary") == Some(&json!(true))).or_else(|| items.first());
            }
            if let Some(s) = r.sub_attribute {
                v = v.and_then(|x| x.as_object()).and_then(|o| get_ci(o, &s.name)).map(|(_, v)| v);
            } else if r.attribute.is_complex() {
                v = v.and_then(|x| x.get("value"));
            }
            keyed.push((v.filter(|v| value::is_present(v)).cloned(), r.target().clone(), kind, stored));
        }
        keyed.sort_by(|(a, attr, ..), (b, ..)| match (a, b) {
            (Some(x), Some(y)) => value::order(attr, x, y).unwrap_or(std::cmp::Ordering::Equal),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        if descending {
            keyed.reverse();
        }
        for (slot, (_, _, kind, stored)) in hits.iter_mut().zip(keyed) {
            *slot = (kind, stored);
        }
        Ok(())
    }
}

/// The users whose `groups` can hold group `group`: its members and, through the groups among them, theirs
/// (`indirect`, RFC 7643 §4.1.2). Ids compare without case, so this is a superset for whichever way the
/// filter compares; the filter still judges each. A client listing a 1,000-member group's users a page at a
/// time (`groups.value eq`) then reads those users, not every user.
fn members_within<'d>(data: &'d Data, group: &str) -> Vec<&'d String> {
    let mut users = Vec::new();
    let mut frontier = vec![group.to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(g) = frontier.pop() {
        if !seen.insert(g.to_ascii_lowercase()) {
            continue;
        }
        for (member, groups) in &data.memberships {
            if !groups.iter().any(|x| x.eq_ignore_ascii_case(&g)) {
                continue;
            }
            if data.users.by_id.contains_key(member) {
                users.push(member);
            } else if data.groups.by_id.contains_key(member) {
                frontier.push(member.clone());
            }
        }
    }
    users.sort_unstable();
    users.dedup();
    users
}
