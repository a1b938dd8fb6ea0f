//! The filter syntax tree (RFC 7644 §3.4.2.2).

use serde_json::Number;

/// `[uri:]name[.subAttr]`. Names keep the spelling they were written with; lookups are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN, when the path is qualified (`urn:…:User` of `urn:…:User:userName`).
    pub uri: Option<String>,
    pub name: String,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified path: `name` or `name.sub`.
    pub fn new(name: impl Into<String>, sub_attr: Option<&str>) -> Self {
        AttrPath { uri: None, name: name.into(), sub_attr: sub_attr.map(str::to_string) }
    }
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The lower-case keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// Parses a keyword in any case.
    pub fn from_keyword(word: &str) -> Option<CompareOp> {
        CompareOp::ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// `gt`, `ge`, `lt`, `le`.
    pub fn is_ordering(self) -> bool {
        matches!(self, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le)
    }

    /// `co`, `sw`, `ew`.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// A comparison value: a JSON literal.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

impl CompValue {
    /// The value as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CompValue::Null => serde_json::Value::Null,
            CompValue::Bool(b) => serde_json::Value::Bool(*b),
            CompValue::Number(n) => serde_json::Value::Number(n.clone()),
            CompValue::String(s) => serde_json::Value::String(s.clone()),
        }
    }
}

/// What an attribute expression tests: presence, or a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `pr`
    Present,
    Compare(CompareOp, CompValue),
}

/// A filter. `And` and `Or` hold at least two terms; a term of the same kind stands for a parenthesised
/// group, so the tree records the grouping that was written and printing it back is exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath pr`, `attrPath op value`.
    Attr {
        path: AttrPath,
        test: Test,
    },
    /// `attr[filter]`, or in the compat dialect `attr[filter].sub op value`.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
        sub: Option<(String, Test)>,
    },
    Not(Box<Filter>),
    And(Vec<Filter>),
    Or(Vec<Filter>),
}

impl Filter {
    /// `path op value`.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Filter {
        Filter::Attr { path, test: Test::Compare(op, value) }
    }

    /// `path pr`.
    pub fn present(path: AttrPath) -> Filter {
        Filter::Attr { path, test: Test::Present }
    }

    /// The number of attribute expressions (comparisons and presence tests).
    pub fn term_count(&self) -> usize {
        match self {
            Filter::Attr { .. } => 1,
            Filter::ValuePath { filter, sub, .. } => filter.term_count() + usize::from(sub.is_some()),
            Filter::Not(f) => f.term_count(),
            Filter::And(fs) | Filter::Or(fs) => fs.iter().map(Filter::term_count).sum(),
        }
    }

    /// Nesting depth: parentheses, `not` and brackets each add one.
    pub fn depth(&self) -> usize {
        match self {
            Filter::Attr { .. } => 0,
            Filter::ValuePath { filter, .. } | Filter::Not(filter) => 1 + filter.depth(),
            Filter::And(fs) | Filter::Or(fs) => fs.iter().map(Filter::depth).max().unwrap_or(0),
        }
    }

    /// The same filter with explicit grouping of like terms removed (`(a and b) and c` → `a and b and c`)
    /// and attribute names lower-cased, URNs of `core_schema` dropped: two spellings of one filter
    /// normalise to the same tree.
    pub fn normalized(&self, core_schema: Option<&str>) -> Filter {
        let path = |p: &AttrPath| AttrPath {
            uri: p
                .uri
                .as_ref()
                .filter(|u| !core_schema.is_some_and(|c| c.eq_ignore_ascii_case(u)))
                .map(|u| u.to_ascii_lowercase()),
            name: p.name.to_ascii_lowercase(),
            sub_attr: p.sub_attr.as_ref().map(|s| s.to_ascii_lowercase()),
        };
        match self {
            Filter::Attr { path: p, test } => Filter::Attr { path: path(p), test: test.clone() },
            Filter::ValuePath { attr, filter, sub } => Filter::ValuePath {
                attr: path(attr),
                filter: Box::new(filter.normalized(None)),
                sub: sub.as_ref().map(|(s, t)| (s.to_ascii_lowercase(), t.clone())),
            },
            Filter::Not(f) => Filter::Not(Box::new(f.normalized(core_schema))),
            Filter::And(fs) => Filter::And(flatten(fs, core_schema, |f| matches!(f, Filter::And(_)))),
            Filter::Or(fs) => Filter::Or(flatten(fs, core_schema, |f| matches!(f, Filter::Or(_)))),
        }
    }
}

fn flatten(terms: &[Filter], core: Option<&str>, same: fn(&Filter) -> bool) -> Vec<Filter> {
    let mut out = Vec::new();
    for t in terms {
        let n = t.normalized(core);
        if same(&n) {
            match n {
                Filter::And(inner) | Filter::Or(inner) => out.extend(inner),
                _ => unreachable!(),
            }
        } else {
            out.push(n);
        }
    }
    out
}
