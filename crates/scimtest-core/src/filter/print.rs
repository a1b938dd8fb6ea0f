//! Two printers: the canonical one (`Display`; `parse(print(f)) == f`), and [`Spelling`], which writes
//! the same filter differently — operator and name case, URN-qualified names, extra parentheses and
//! spaces — so that generated tests can check a server reads every legal spelling alike.

use std::fmt::{self, Write};

use super::ast::{AttrPath, CompValue, Filter, Test};

/// How to spell keywords and names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Case {
    /// As in the tree (keywords lower-case).
    #[default]
    AsIs,
    Lower,
    Upper,
    /// First letter upper-case (`Eq`, `And`, `Username`).
    Title,
    /// Alternating, starting upper-case (`Eq`, `AnD`, `UsErNaMe`).
    Alternating,
}

impl Case {
    fn apply(self, s: &str) -> String {
        match self {
            Case::AsIs => s.to_string(),
            Case::Lower => s.to_ascii_lowercase(),
            Case::Upper => s.to_ascii_uppercase(),
            Case::Title => {
                let mut out = s.to_ascii_lowercase();
                if let Some(first) = out.get_mut(..1) {
                    first.make_ascii_uppercase();
                }
                out
            }
            Case::Alternating => s
                .chars()
                .enumerate()
                .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect(),
        }
    }
}

/// A way of spelling a filter. `Spelling::default()` is the canonical spelling.
#[derive(Debug, Clone, Default)]
pub struct Spelling {
    /// Case of `and`, `or`, `not`, operators, `pr`, `true`, `false`, `null`.
    pub keyword_case: Case,
    /// Case of attribute and sub-attribute names (URNs are left alone).
    pub name_case: Case,
    /// Qualify unqualified top-level attribute paths with this schema URN (the resource's core schema).
    pub qualify_with: Option<String>,
    /// Wrap every term of `and`/`or` and the whole filter in parentheses.
    pub extra_parentheses: bool,
    /// Write `not(` instead of `not (`.
    pub tight_not: bool,
    /// Number of spaces between tokens (at least 1).
    pub spaces: usize,
}

impl Spelling {
    /// Prints `filter` in this spelling.
    pub fn print(&self, filter: &Filter) -> String {
        let mut out = String::new();
        let wrap = self.extra_parentheses;
        if wrap {
            out.push('(');
        }
        self.filter(&mut out, filter, Context::Top).expect("writing to a String");
        if wrap {
            out.push(')');
        }
        out
    }

    fn sp(&self) -> String {
        " ".repeat(self.spaces.max(1))
    }

    fn kw(&self, k: &str) -> String {
        self.keyword_case.apply(k)
    }

    fn name(&self, n: &str) -> String {
        self.name_case.apply(n)
    }

    fn path(&self, out: &mut String, p: &AttrPath, top_level: bool) -> fmt::Result {
        match (&p.uri, &self.qualify_with) {
            (Some(uri), _) => write!(out, "{uri}:")?,
            (None, Some(uri)) if top_level && !is_common(&p.name) => write!(out, "{uri}:")?,
            _ => {}
        }
        out.push_str(&self.name(&p.name));
        if let Some(sub) = &p.sub_attr {
            write!(out, ".{}", self.name(sub))?;
        }
        Ok(())
    }

    fn test(&self, out: &mut String, test: &Test) -> fmt::Result {
        let sp = self.sp();
        match test {
            Test::Present => write!(out, "{sp}{}", self.kw("pr")),
            Test::Compare(op, value) => {
                write!(out, "{sp}{}{sp}", self.kw(op.as_str()))?;
                match value {
                    CompValue::Null => out.push_str(&self.kw("null")),
                    CompValue::Bool(b) => out.push_str(&self.kw(if *b { "true" } else { "false" })),
                    CompValue::Number(n) => write!(out, "{n}")?,
                    CompValue::String(s) => out.push_str(&serde_json::to_string(s).expect("strings serialize")),
                }
                Ok(())
            }
        }
    }

    fn filter(&self, out: &mut String, f: &Filter, ctx: Context) -> fmt::Result {
        let top_level = ctx != Context::InBrackets;
        match f {
            Filter::Attr { path, test } => {
                self.path(out, path, top_level)?;
                self.test(out, test)
            }
            Filter::ValuePath { attr, filter, sub } => {
                self.path(out, attr, top_level)?;
                out.push('[');
                self.filter(out, filter, Context::InBrackets)?;
                out.push(']');
                if let Some((name, test)) = sub {
                    write!(out, ".{}", self.name(name))?;
                    self.test(out, test)?;
                }
                Ok(())
            }
            Filter::Not(inner) => {
                out.push_str(&self.kw("not"));
                if !self.tight_not {
                    out.push(' ');
                }
                out.push('(');
                self.filter(out, inner, ctx.inner())?;
                out.push(')');
                Ok(())
            }
            Filter::And(terms) | Filter::Or(terms) => {
                let is_and = matches!(f, Filter::And(_));
                let keyword = self.kw(if is_and { "and" } else { "or" });
                let sp = self.sp();
                for (i, term) in terms.iter().enumerate() {
                    if i > 0 {
                        write!(out, "{sp}{keyword}{sp}")?;
                    }
                    // A term of the same kind is an explicit group; `or` inside `and` needs parentheses
                    // for precedence; `and` inside `or` does not.
                    let needs = match term {
                        Filter::And(_) => is_and,
                        Filter::Or(_) => true,
                        _ => false,
                    };
                    let paren = needs || self.extra_parentheses;
                    if paren {
                        out.push('(');
                    }
                    self.filter(out, term, ctx.inner())?;
                    if paren {
                        out.push(')');
                    }
                }
                Ok(())
            }
        }
    }
}

fn is_common(name: &str) -> bool {
    ["id", "externalId", "meta", "schemas"].iter().any(|c| c.eq_ignore_ascii_case(name))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    Nested,
    InBrackets,
}

impl Context {
    fn inner(self) -> Context {
        if self == Context::InBrackets { self } else { Context::Nested }
    }
}

/// The canonical spelling: lower-case keywords, names as written, one space, `not (…)`.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Spelling::default().print(self))
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => f.write_str(&serde_json::to_string(s).map_err(|_| fmt::Error)?),
        }
    }
}
