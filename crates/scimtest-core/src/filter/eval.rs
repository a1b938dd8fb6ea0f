//! Checking a filter against a schema, then evaluating it over resources held as JSON.
//!
//! Checking does everything that can fail (unknown attributes, operators the attribute type does not
//! allow, values of the wrong type), so evaluation is total: a resource either matches or it does not.
//! That is what makes `not`, `and` and `or` obey the boolean laws whatever the data.

use std::sync::LazyLock;

use serde_json::Value;

use super::ast::{AttrPath, CompValue, CompareOp, Filter, Test};
use super::error::FilterError;
use super::parse::Dialect;
use crate::schema::{Attribute, AttributeType, ResourceSchema, get_ci};
use crate::value::{self, DateTime, Substring};

/// What to do with an attribute the schema does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownAttributes {
    /// `invalidFilter` (RFC 7644 §3.4.2.2 lets a server reject what it cannot filter on).
    #[default]
    Error,
    /// Treat it as absent on every resource: `eq` never matches, `ne` always does.
    NoMatch,
}

/// Evaluation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalOptions {
    pub dialect: Dialect,
    pub unknown_attributes: UnknownAttributes,
    /// Whether `eq null` and `ne null` read `""` as a value. Off: `""` is no value, like null (as `pr`
    /// reads it). RFC 7644 §3.4.2.2 does not define a comparison with null, and RFC 7643 §2.5 names
    /// null and `[]` as unassigned, not `""`: both readings are possible.
    pub empty_string_is_value: bool,
}

impl EvalOptions {
    pub fn strict() -> Self {
        EvalOptions { dialect: Dialect::Strict, ..Self::default() }
    }
}

/// The attribute assumed for values of unknown attributes: RFC 7643 §2.2 defaults (a string, caseExact false).
static UNTYPED: LazyLock<Attribute> = LazyLock::new(|| Attribute::new("", AttributeType::String));

/// Where a filter's values are found, relative to the object it is evaluated on.
#[derive(Debug, Clone)]
struct Loc<'s> {
    /// The extension URN key the attribute sits under.
    container: Option<String>,
    name: String,
    attr: Option<&'s Attribute>,
    sub: Option<(String, Option<&'s Attribute>)>,
    /// An attribute the schema does not define, under `UnknownAttributes::NoMatch`: absent everywhere,
    /// whatever the resource holds under that name.
    absent: bool,
}

impl<'s> Loc<'s> {
    fn target(&self) -> &'s Attribute {
        match &self.sub {
            Some((_, def)) => def.unwrap_or(&UNTYPED),
            None => self.attr.unwrap_or(&UNTYPED),
        }
    }

    /// The values at this location in `object`, multi-valued attributes flattened, nulls dropped.
    fn values<'v>(&self, object: &'v Value) -> Vec<&'v Value> {
        let Value::Object(o) = object else { return Vec::new() };
        if self.absent {
            return Vec::new();
        }
        let base = match &self.container {
            Some(urn) => match get_ci(o, urn) {
                Some((_, Value::Object(ext))) => ext,
                _ => return Vec::new(),
            },
            None => o,
        };
        let Some((_, v)) = get_ci(base, &self.name) else { return Vec::new() };
        let mut out = Vec::new();
        let mut push = |v: &'v Value| match v {
            Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
            Value::Null => {}
            v => out.push(v),
        };
        match &self.sub {
            None => push(v),
            Some((sub, _)) => {
                let elements: Vec<&Value> = match v {
                    Value::Array(items) => items.iter().collect(),
                    v => vec![v],
                };
                for e in elements {
                    if let Value::Object(eo) = e
                        && let Some((_, sv)) = get_ci(eo, sub)
                    {
                        push(sv);
                    }
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
enum Check<'s> {
    Present,
    /// `eq null` (`eq`) or `ne null`.
    Null {
        eq: bool,
        empty_string_is_value: bool,
    },
    Compare {
        op: CompareOp,
        value: Value,
        attr: &'s Attribute,
    },
}

impl Check<'_> {
    fn holds(&self, values: &[&Value]) -> bool {
        match self {
            Check::Present => values.iter().any(|v| value::is_present(v)),
            Check::Null { eq, empty_string_is_value } => {
                let present =
                    values.iter().any(|v| value::is_present(v) || (*empty_string_is_value && v.as_str() == Some("")));
                if *eq { !present } else { present }
            }
            Check::Compare { op, value, attr } => match op {
                CompareOp::Eq => values.iter().any(|v| value::equals(attr, v, value)),
                // No value of an absent attribute is identical to `value`.
                CompareOp::Ne => values.is_empty() || values.iter().any(|v| !value::equals(attr, v, value)),
                CompareOp::Co => values.iter().any(|v| value::substring(attr, Substring::Contains, v, value)),
                CompareOp::Sw => values.iter().any(|v| value::substring(attr, Substring::StartsWith, v, value)),
                CompareOp::Ew => values.iter().any(|v| value::substring(attr, Substring::EndsWith, v, value)),
                CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => values.iter().any(|v| {
                    use std::cmp::Ordering::*;
                    matches!(
                        (op, value::order(attr, v, value)),
                        (CompareOp::Gt, Some(Greater))
                            | (CompareOp::Ge, Some(Greater | Equal))
                            | (CompareOp::Lt, Some(Less))
                            | (CompareOp::Le, Some(Less | Equal))
                    )
                }),
            },
        }
    }
}

#[derive(Debug, Clone)]
enum Node<'s> {
    Test(Loc<'s>, Check<'s>),
    ValuePath { loc: Loc<'s>, inner: Box<Node<'s>>, sub: Option<(Loc<'s>, Check<'s>)> },
    Not(Box<Node<'s>>),
    And(Vec<Node<'s>>),
    Or(Vec<Node<'s>>),
}

impl Node<'_> {
    fn matches(&self, object: &Value) -> bool {
        match self {
            Node::Test(loc, check) => check.holds(&loc.values(object)),
            Node::ValuePath { loc, inner, sub } => loc
                .values(object)
                .into_iter()
                .any(|element| inner.matches(element) && sub.as_ref().is_none_or(|(l, c)| c.holds(&l.values(element)))),
            Node::Not(f) => !f.matches(object),
            Node::And(fs) => fs.iter().all(|f| f.matches(object)),
            Node::Or(fs) => fs.iter().any(|f| f.matches(object)),
        }
    }
}

/// A filter checked against a schema, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledFilter<'s> {
    root: Node<'s>,
}

impl CompiledFilter<'_> {
    /// Whether `resource` matches. For a filter compiled with [`compile_value_filter`], `resource` is one
    /// value of the multi-valued attribute.
    pub fn matches(&self, resource: &Value) -> bool {
        self.root.matches(resource)
    }
}

/// Checks `filter` against a resource type; the result evaluates resources of that type.
pub fn compile<'s>(
    filter: &Filter,
    schema: &'s ResourceSchema,
    options: &EvalOptions,
) -> Result<CompiledFilter<'s>, FilterError> {
    let c = Compiler { options };
    Ok(CompiledFilter { root: c.node(filter, Scope::Resource(schema))? })
}

/// Checks the filter of a value path (`emails[type eq "work"]`) against the complex attribute it selects
/// values of; the result evaluates one value (one email object) at a time.
pub fn compile_value_filter<'s>(
    filter: &Filter,
    attribute: &'s Attribute,
    options: &EvalOptions,
) -> Result<CompiledFilter<'s>, FilterError> {
    let c = Compiler { options };
    Ok(CompiledFilter { root: c.node(filter, Scope::Complex(attribute))? })
}

/// Checks `filter` and evaluates it on one resource.
pub fn evaluate(
    filter: &Filter,
    resource: &Value,
    schema: &ResourceSchema,
    options: &EvalOptions,
) -> Result<bool, FilterError> {
    Ok(compile(filter, schema, options)?.matches(resource))
}

#[derive(Debug, Clone, Copy)]
enum Scope<'s> {
    Resource(&'s ResourceSchema),
    /// Inside `attr[…]`: names are sub-attributes of `attr`.
    Complex(&'s Attribute),
    /// Inside the brackets of an unknown attribute (with `UnknownAttributes::NoMatch`).
    Unknown,
}

struct Compiler<'o> {
    options: &'o EvalOptions,
}

impl Compiler<'_> {
    fn node<'s>(&self, f: &Filter, scope: Scope<'s>) -> Result<Node<'s>, FilterError> {
        Ok(match f {
            Filter::Attr { path, test } => {
                let mut loc = self.locate(path, scope)?;
                let check = self.check(&mut loc, path, test)?;
                Node::Test(loc, check)
            }
            Filter::ValuePath { attr, filter, sub } => {
                let loc = self.locate(attr, scope)?;
                let inner_scope = match loc.attr {
                    None => Scope::Unknown,
                    Some(a) if a.is_complex() => Scope::Complex(a),
                    Some(a) => {
                        return Err(FilterError::schema(format!(
                            "`{attr}[…]`: value filters select values of complex attributes, and `{}` is a {}",
                            a.name, a.ty
                        )));
                    }
                };
                let inner = Box::new(self.node(filter, inner_scope)?);
                let sub = match sub {
                    None => None,
                    Some((name, test)) => {
                        let path = AttrPath::new(name.clone(), None);
                        let mut sub_loc = self.locate(&path, inner_scope)?;
                        let check = self.check(&mut sub_loc, &path, test)?;
                        Some((sub_loc, check))
                    }
                };
                Node::ValuePath { loc, inner, sub }
            }
            Filter::Not(f) => Node::Not(Box::new(self.node(f, scope)?)),
            Filter::And(fs) => Node::And(fs.iter().map(|f| self.node(f, scope)).collect::<Result<_, _>>()?),
            Filter::Or(fs) => Node::Or(fs.iter().map(|f| self.node(f, scope)).collect::<Result<_, _>>()?),
        })
    }

    fn unknown<'s>(&self, path: &AttrPath, why: String) -> Result<Loc<'s>, FilterError> {
        match self.options.unknown_attributes {
            UnknownAttributes::Error => Err(FilterError::schema(why)),
            UnknownAttributes::NoMatch => Ok(Loc {
                container: path.uri.clone(),
                name: path.name.clone(),
                attr: None,
                sub: path.sub_attr.clone().map(|s| (s, None)),
                absent: true,
            }),
        }
    }

    fn locate<'s>(&self, path: &AttrPath, scope: Scope<'s>) -> Result<Loc<'s>, FilterError> {
        match scope {
            Scope::Resource(schema) => {
                match schema.resolve(path.uri.as_deref(), &path.name, path.sub_attr.as_deref()) {
                    Ok(r) => Ok(Loc {
                        container: r.owner.container().map(str::to_string),
                        name: r.attribute.name.clone(),
                        attr: Some(r.attribute),
                        sub: r.sub_attribute.map(|s| (s.name.clone(), Some(s))),
                        absent: false,
                    }),
                    Err(e) => self.unknown(path, format!("unknown attribute `{path}` ({e})")),
                }
            }
            Scope::Complex(parent) => {
                if path.uri.is_some() || path.sub_attr.is_some() {
                    return Err(FilterError::schema(format!(
                        "inside `{}[…]`, name a sub-attribute of `{}` alone, not `{path}`",
                        parent.name, parent.name
                    )));
                }
                match parent.sub_attribute(&path.name) {
                    Some(sub) => {
                        Ok(Loc { container: None, name: sub.name.clone(), attr: Some(sub), sub: None, absent: false })
                    }
                    None => self.unknown(path, format!("`{}` has no sub-attribute `{}`", parent.name, path.name)),
                }
            }
            Scope::Unknown => Ok(Loc { container: None, name: path.name.clone(), attr: None, sub: None, absent: true }),
        }
    }

    /// Checks `test` against the attribute at `loc`, and turns it into an evaluable check.
    fn check<'s>(&self, loc: &mut Loc<'s>, path: &AttrPath, test: &Test) -> Result<Check<'s>, FilterError> {
        let (op, value) = match test {
            Test::Present => return Ok(Check::Present),
            Test::Compare(op, value) => (*op, value),
        };
        let null = Check::Null { eq: op == CompareOp::Eq, empty_string_is_value: self.options.empty_string_is_value };
        let Some(mut target) = loc.attr.map(|_| loc.target()) else {
            if *value == CompValue::Null && matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Ok(null);
            }
            return Ok(Check::Compare { op, value: value.to_json(), attr: &UNTYPED });
        };
        if target.is_complex() {
            // `emails co "x"` compares the `value` sub-attribute (RFC 7644 §3.4.2.2 examples).
            match target.sub_attribute("value") {
                Some(v) if loc.sub.is_none() => {
                    loc.sub = Some((v.name.clone(), Some(v)));
                    target = v;
                }
                _ => {
                    return Err(FilterError::schema(format!(
                        "`{path}` is complex: compare one of its sub-attributes ({}), or test it with `pr`",
                        target
                            .sub_attributes
                            .iter()
                            .map(|s| format!("{}.{}", target.name, s.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        let ty = target.ty;
        let bad = |why: String| Err(FilterError::schema(format!("`{path} {} {value}`: {why}", op.as_str())));
        if *value == CompValue::Null {
            if op.is_ordering() || op.is_substring() {
                return bad("only `eq null` and `ne null` compare with null".into());
            }
            return Ok(null);
        }
        if op.is_ordering() && matches!(ty, AttributeType::Boolean | AttributeType::Binary) {
            return bad(format!("`{}` is a {ty}, and {ty} values have no order (RFC 7644 §3.4.2.2)", target.name));
        }
        if op.is_substring() && matches!(ty, AttributeType::Boolean | AttributeType::Integer | AttributeType::Decimal) {
            return bad(format!("`{}` is a {ty}; `co`, `sw` and `ew` apply to strings", target.name));
        }
        let json = match (ty, value) {
            (AttributeType::Boolean, CompValue::Bool(b)) => Value::Bool(*b),
            (AttributeType::Boolean, CompValue::String(s))
                if self.options.dialect == Dialect::Compat
                    && (s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")) =>
            {
                Value::Bool(s.eq_ignore_ascii_case("true"))
            }
            (AttributeType::Boolean, _) => {
                return bad(format!("`{}` is a boolean: compare it with true or false", target.name));
            }
            (AttributeType::Integer | AttributeType::Decimal, CompValue::Number(n)) => Value::Number(n.clone()),
            (AttributeType::Integer | AttributeType::Decimal, _) => {
                return bad(format!("`{}` is {} {ty}: compare it with a number", target.name, article(ty)));
            }
            (AttributeType::DateTime, CompValue::String(s)) => {
                if !op.is_substring() && DateTime::parse(s).is_none() {
                    return bad(format!(
                        "`{}` is a dateTime and \"{s}\" is not an xsd:dateTime (2011-05-13T04:42:34Z)",
                        target.name
                    ));
                }
                Value::String(s.clone())
            }
            (AttributeType::String | AttributeType::Reference | AttributeType::Binary, CompValue::String(s)) => {
                Value::String(s.clone())
            }
            (_, _) => {
                return bad(format!(
                    "`{}` is {} {ty}: compare it with a string in double quotes",
                    target.name,
                    article(ty)
                ));
            }
        };
        Ok(Check::Compare { op, value: json, attr: target })
    }
}

fn article(ty: AttributeType) -> &'static str {
    if matches!(ty, AttributeType::Integer) { "an" } else { "a" }
}
