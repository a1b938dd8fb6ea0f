//! A hand-written recursive-descent parser for the grammar in `docs/filter-grammar.md`.
//!
//! Hand-written rather than combinator-built because the grammar is small (a dozen productions) and the
//! errors matter more than the parsing: each one points at the offending bytes and says what would have
//! been valid there.

use serde_json::Number;

use super::ast::{AttrPath, CompValue, CompareOp, Filter, Test};
use super::error::FilterError;

/// Which extensions of the RFC grammar are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// RFC 7644 §3.4.2.2 (with its errata) only.
    Strict,
    /// Also what identity providers send: `emails[type eq "work"].value eq "x"` (Entra ID), and in the
    /// evaluator `"True"`/`"False"` strings for booleans.
    #[default]
    Compat,
}

/// Parser settings. The limits keep a hostile filter from costing more than a legitimate one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    pub dialect: Dialect,
    /// Nesting of parentheses, `not` and brackets.
    pub max_depth: usize,
    /// Attribute expressions (comparisons and `pr`).
    pub max_terms: usize,
    /// Length of the filter in bytes.
    pub max_len: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { dialect: Dialect::Compat, max_depth: 64, max_terms: 1000, max_len: 64 * 1024 }
    }
}

impl ParseOptions {
    pub fn strict() -> Self {
        ParseOptions { dialect: Dialect::Strict, ..Self::default() }
    }

    pub fn with_dialect(dialect: Dialect) -> Self {
        ParseOptions { dialect, ..Self::default() }
    }
}

/// Parses a filter in the compat dialect with the default limits.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    parse_with(input, &ParseOptions::default())
}

/// Parses a filter.
pub fn parse_with(input: &str, options: &ParseOptions) -> Result<Filter, FilterError> {
    parse_filter(input, options).map_err(|e| on_char_boundaries(e, input))
}

/// Widens an error's span to whole characters, so that `&input[span]` never splits one.
fn on_char_boundaries(mut e: FilterError, input: &str) -> FilterError {
    if let Some(span) = &mut e.span {
        span.start = span.start.min(input.len());
        while !input.is_char_boundary(span.start) {
            span.start -= 1;
        }
        span.end = span.end.clamp(span.start, input.len());
        while !input.is_char_boundary(span.end) {
            span.end += 1;
        }
    }
    e
}

fn parse_filter(input: &str, options: &ParseOptions) -> Result<Filter, FilterError> {
    let mut p = Parser::new(input, options)?;
    p.skip_ws();
    if p.at_end() {
        return Err(FilterError::at(p.pos..p.pos, "empty filter: expected an attribute path, `not` or `(`"));
    }
    let filter = p.or_exp()?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.leftover());
    }
    Ok(filter)
}

/// A PATCH path (RFC 7644 §3.5.2): `attrPath`, or `valuePath [ "." subAttr ]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PathExpr {
    /// The attribute; it carries the sub-attribute when there is no filter (`name.givenName`).
    pub attr: AttrPath,
    /// The value filter of `attr[filter]`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the brackets: `emails[type eq "work"].value`.
    pub sub_attr: Option<String>,
}

/// Parses a PATCH path. The filter in brackets follows the filter grammar.
pub fn parse_path(input: &str, options: &ParseOptions) -> Result<PathExpr, FilterError> {
    path(input, options).map_err(|e| on_char_boundaries(e, input))
}

fn path(input: &str, options: &ParseOptions) -> Result<PathExpr, FilterError> {
    let mut p = Parser::new(input, options)?;
    if p.at_end() {
        return Err(FilterError::at(0..0, "empty path"));
    }
    let start = p.pos;
    let attr = p.attr_path()?;
    let mut expr = PathExpr { attr, filter: None, sub_attr: None };
    if p.peek() == Some(b'[') {
        let inner = p.brackets(&expr.attr, start)?;
        expr.filter = Some(inner);
        if p.peek() == Some(b'.') {
            p.pos += 1;
            if !p.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'$') {
                let found = p.describe(p.pos);
                return Err(FilterError::at(
                    p.token_span(p.pos),
                    format!("expected a sub-attribute name after `].`, found {found}"),
                ));
            }
            expr.sub_attr = Some(p.name()?);
        }
    }
    if !p.at_end() {
        let found = p.describe(p.pos);
        return Err(FilterError::at(p.token_span(p.pos), format!("unexpected {found} after the path")));
    }
    Ok(expr)
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    terms: usize,
    in_brackets: bool,
    options: &'a ParseOptions,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$')
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, options: &'a ParseOptions) -> Result<Self, FilterError> {
        if src.len() > options.max_len {
            return Err(FilterError::at(
                options.max_len..src.len(),
                format!("filter is {} bytes long; the limit is {}", src.len(), options.max_len),
            ));
        }
        Ok(Parser { src, bytes: src.as_bytes(), pos: 0, depth: 0, terms: 0, in_brackets: false, options })
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The span of the token starting at `pos`: a word, a string, or one character.
    fn token_span(&self, pos: usize) -> std::ops::Range<usize> {
        let rest = &self.bytes[pos.min(self.bytes.len())..];
        let len = match rest.first() {
            None => 0,
            Some(b) if is_name_char(*b) || *b == b':' || *b == b'.' => {
                rest.iter().take_while(|b| is_name_char(**b) || **b == b':' || **b == b'.').count()
            }
            Some(_) => self.src[pos..].chars().next().map_or(1, char::len_utf8),
        };
        pos..pos + len
    }

    /// How the token at `pos` reads in a message.
    fn describe(&self, pos: usize) -> String {
        let span = self.token_span(pos);
        if span.is_empty() {
            return "the end of the filter".into();
        }
        let text = &self.src[span];
        let shown: String = text.chars().take(40).collect();
        format!("`{shown}`{}", if shown.len() < text.len() { "…" } else { "" })
    }

    fn leftover(&self) -> FilterError {
        let span = self.token_span(self.pos);
        match self.peek() {
            Some(b')') => FilterError::at(span, "unbalanced `)`: there is no `(` for it to close"),
            Some(b']') => FilterError::at(span, "unbalanced `]`: there is no `[` for it to close"),
            _ => FilterError::at(
                span,
                format!("expected `and`, `or` or the end of the filter, found {}", self.describe(self.pos)),
            ),
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > self.options.max_depth {
            return Err(FilterError::at(
                at..at + 1,
                format!("filter nests deeper than {} levels", self.options.max_depth),
            ));
        }
        Ok(())
    }

    fn count_term(&mut self, span: std::ops::Range<usize>) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > self.options.max_terms {
            return Err(FilterError::at(span, format!("filter has more than {} comparisons", self.options.max_terms)));
        }
        Ok(())
    }

    /// Whether the input at `pos` is the keyword `kw` (any case) followed by a non-name character.
    fn keyword_at(&self, pos: usize, kw: &str) -> bool {
        let end = pos + kw.len();
        end <= self.bytes.len()
            && self.bytes[pos..end].eq_ignore_ascii_case(kw.as_bytes())
            && !self.bytes.get(end).is_some_and(|b| is_name_char(*b) || *b == b'.' || *b == b':' || *b == b'[')
    }

    /// Consumes ` kw ` (white space on both sides) if it comes next; otherwise leaves the position alone.
    fn infix(&mut self, kw: &str) -> Result<bool, FilterError> {
        let save = self.pos;
        if self.skip_ws() == 0 || !self.keyword_at(self.pos, kw) {
            self.pos = save;
            return Ok(false);
        }
        let kw_start = self.pos;
        self.pos += kw.len();
        if self.skip_ws() == 0 {
            let msg = if self.at_end() {
                format!("expected a filter after `{kw}`, found the end of the filter")
            } else {
                format!("expected a space after `{kw}`, found {}", self.describe(self.pos))
            };
            let span = if self.at_end() { kw_start..self.pos } else { self.token_span(self.pos) };
            return Err(FilterError::at(span, msg));
        }
        if self.at_end() {
            return Err(FilterError::at(
                kw_start..kw_start + kw.len(),
                format!("expected a filter after `{kw}`, found the end of the filter"),
            ));
        }
        Ok(true)
    }

    fn or_exp(&mut self) -> Result<Filter, FilterError> {
        let mut terms = vec![self.and_exp()?];
        while self.infix("or")? {
            terms.push(self.and_exp()?);
        }
        Ok(if terms.len() == 1 { terms.pop().expect("one term") } else { Filter::Or(terms) })
    }

    fn and_exp(&mut self) -> Result<Filter, FilterError> {
        let mut terms = vec![self.unary()?];
        while self.infix("and")? {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.pop().expect("one term") } else { Filter::And(terms) })
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let start = self.pos;
        match self.peek() {
            None => Err(FilterError::at(
                start..start,
                "expected an attribute path, `not` or `(`, found the end of the filter",
            )),
            Some(b'(') => {
                self.pos += 1;
                self.group(start, b')')
            }
            Some(b')') => Err(FilterError::at(start..start + 1, "expected an attribute path, `not` or `(` before `)`")),
            Some(_) if self.keyword_at(start, "not") => {
                let save = self.pos;
                self.pos += 3;
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    let open = self.pos;
                    self.pos += 1;
                    return Ok(Filter::Not(Box::new(self.group(open, b')')?)));
                }
                // `not` may also be an attribute name (`not pr`); anything else is a missing parenthesis.
                let word_end = self.pos + self.bytes[self.pos..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
                let word = &self.src[self.pos..word_end];
                if word.eq_ignore_ascii_case("pr") || CompareOp::from_keyword(word).is_some() {
                    self.pos = save;
                    return self.attr_exp(start);
                }
                Err(FilterError::at(start..start + 3, "`not` must be followed by a filter in parentheses: `not (…)`"))
            }
            Some(_) => self.attr_exp(start),
        }
    }

    /// After an opening `(` at `open`: the filter inside and the closing parenthesis.
    fn group(&mut self, open: usize, close: u8) -> Result<Filter, FilterError> {
        self.enter(open)?;
        self.skip_ws();
        if self.peek() == Some(close) {
            return Err(FilterError::at(open..self.pos + 1, "empty parentheses: expected a filter inside"));
        }
        let inner = self.or_exp()?;
        self.skip_ws();
        self.expect_close(close, open)?;
        self.depth -= 1;
        Ok(inner)
    }

    fn expect_close(&mut self, close: u8, open: usize) -> Result<(), FilterError> {
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        let (c, o) = if close == b')' { (")", "(") } else { ("]", "[") };
        let found = self.describe(self.pos);
        let hint = if self.at_end() { String::new() } else { ", `and` or `or`".to_string() };
        Err(FilterError::at(
            if self.at_end() { open..open + 1 } else { self.token_span(self.pos) },
            format!("expected `{c}`{hint} to close the `{o}` at byte {open}, found {found}"),
        ))
    }

    /// After `attr` and at `[`: the value filter in brackets.
    fn brackets(&mut self, attr: &AttrPath, start: usize) -> Result<Filter, FilterError> {
        let open = self.pos;
        if attr.sub_attr.is_some() {
            return Err(FilterError::at(
                start..open + 1,
                format!(
                    "a value filter applies to a multi-valued attribute, not to a sub-attribute: `{}[…]`",
                    attr.name
                ),
            ));
        }
        if self.in_brackets {
            return Err(FilterError::at(open..open + 1, "value filters cannot be nested (RFC 7644 erratum 4690)"));
        }
        self.pos += 1;
        self.enter(open)?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            return Err(FilterError::at(open..self.pos + 1, "empty value filter: expected a filter inside `[…]`"));
        }
        self.in_brackets = true;
        let inner = self.or_exp()?;
        self.skip_ws();
        self.expect_close(b']', open)?;
        self.in_brackets = false;
        self.depth -= 1;
        Ok(inner)
    }

    fn attr_exp(&mut self, start: usize) -> Result<Filter, FilterError> {
        let path = self.attr_path()?;
        if self.peek() == Some(b'[') {
            let inner = self.brackets(&path, start)?;
            if self.peek() != Some(b'.') {
                return Ok(Filter::ValuePath { attr: path, filter: Box::new(inner), sub: None });
            }
            let dot = self.pos;
            if self.options.dialect == Dialect::Strict {
                return Err(FilterError::at(
                    dot..dot + 1,
                    "`attr[filter].sub op value` is not in the RFC grammar; the compat dialect accepts it (Entra ID sends it)",
                ));
            }
            self.pos += 1;
            let sub = self.name()?;
            let sub_path = AttrPath::new(sub.clone(), None);
            let test = self.test(&sub_path)?;
            self.count_term(start..self.pos)?;
            return Ok(Filter::ValuePath { attr: path, filter: Box::new(inner), sub: Some((sub, test)) });
        }
        let test = self.test(&path)?;
        self.count_term(start..self.pos)?;
        Ok(Filter::Attr { path, test })
    }

    /// ` pr` or ` op value` after `path`.
    fn test(&mut self, path: &AttrPath) -> Result<Test, FilterError> {
        if self.skip_ws() == 0 {
            let msg = if self.at_end() {
                format!("expected an operator after `{path}`, found the end of the filter")
            } else {
                format!("expected a space and an operator after `{path}`, found {}", self.describe(self.pos))
            };
            return Err(FilterError::at(self.token_span(self.pos), msg));
        }
        let op_start = self.pos;
        let op_end = op_start + self.bytes[op_start..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let word = &self.src[op_start..op_end];
        let followed_by_name = self.bytes.get(op_end).is_some_and(|b| is_name_char(*b));
        if word.eq_ignore_ascii_case("pr") && !followed_by_name {
            self.pos = op_end;
            return Ok(Test::Present);
        }
        let op = match CompareOp::from_keyword(word) {
            Some(op) if !followed_by_name => op,
            _ => {
                return Err(FilterError::at(
                    self.token_span(op_start),
                    format!(
                        "expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) after `{path}`, found {}",
                        self.describe(op_start)
                    ),
                ));
            }
        };
        self.pos = op_end;
        if self.skip_ws() == 0 {
            let msg = if self.at_end() {
                format!("expected a value after `{}`, found the end of the filter", op.as_str())
            } else {
                format!("expected a space between `{word}` and its value, found {}", self.describe(self.pos))
            };
            return Err(FilterError::at(if self.at_end() { op_start..op_end } else { self.token_span(self.pos) }, msg));
        }
        let value = self.comp_value(op)?;
        if let Some(b) = self.peek()
            && !is_ws(b)
            && b != b')'
            && b != b']'
        {
            return Err(FilterError::at(
                self.token_span(self.pos),
                format!(
                    "unexpected {} right after the value; separate terms with ` and ` or ` or `",
                    self.describe(self.pos)
                ),
            ));
        }
        Ok(Test::Compare(op, value))
    }

    fn comp_value(&mut self, op: CompareOp) -> Result<CompValue, FilterError> {
        let start = self.pos;
        match self.peek() {
            None => Err(FilterError::at(
                start..start,
                format!("expected a value after `{}`, found the end of the filter", op.as_str()),
            )),
            Some(b'"') => self.string().map(CompValue::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(CompValue::Number),
            Some(b'\'') => {
                Err(FilterError::at(self.token_span(start), "strings are written in double quotes, not single quotes"))
            }
            Some(b) if b.is_ascii_alphabetic() => {
                let end = start
                    + self.bytes[start..]
                        .iter()
                        .take_while(|b| is_name_char(**b) || **b == b'.' || **b == b'@')
                        .count();
                let word = &self.src[start..end];
                // JSON's literal names are lower-case (RFC 8259 §3); compat also takes `True`, `NULL`.
                let literal = |name: &str| match self.options.dialect {
                    Dialect::Strict => word == name,
                    Dialect::Compat => word.eq_ignore_ascii_case(name),
                };
                if self.options.dialect == Dialect::Strict
                    && ["true", "false", "null"].iter().any(|l| word.eq_ignore_ascii_case(l) && word != *l)
                {
                    return Err(FilterError::at(
                        start..end,
                        format!(
                            "`{word}`: JSON literals are lower-case (true, false, null); the compat dialect accepts any case"
                        ),
                    ));
                }
                let value = if literal("true") {
                    CompValue::Bool(true)
                } else if literal("false") {
                    CompValue::Bool(false)
                } else if literal("null") {
                    CompValue::Null
                } else {
                    return Err(FilterError::at(
                        start..end,
                        format!(
                            "string values must be in double quotes: \"{word}\" (or use true, false, null or a number)"
                        ),
                    ));
                };
                self.pos = end;
                Ok(value)
            }
            Some(_) => Err(FilterError::at(
                self.token_span(start),
                format!(
                    "expected a value (a string in double quotes, a number, true, false or null), found {}",
                    self.describe(start)
                ),
            )),
        }
    }

    fn string(&mut self) -> Result<String, FilterError> {
        let open = self.pos;
        let mut i = open + 1;
        loop {
            match self.bytes.get(i) {
                None => return Err(FilterError::at(open..self.bytes.len(), "unterminated string: no closing `\"`")),
                Some(b'"') => break,
                Some(b'\\') => match self.bytes.get(i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i += 2,
                    Some(b'u') => {
                        let hex = self.bytes.get(i + 2..i + 6);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            let end = (i + 6).min(self.bytes.len());
                            let end = (i + 2..=end).rev().find(|e| self.src.is_char_boundary(*e)).unwrap_or(i + 2);
                            return Err(FilterError::at(i..end, "`\\u` must be followed by four hexadecimal digits"));
                        }
                        i += 6;
                    }
                    Some(_) => {
                        let len = self.src[i + 1..].chars().next().map_or(1, char::len_utf8);
                        return Err(FilterError::at(
                            i..i + 1 + len,
                            format!(
                                "invalid escape `{}` in a string (JSON escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                                &self.src[i..i + 1 + len]
                            ),
                        ));
                    }
                    None => {
                        return Err(FilterError::at(open..self.bytes.len(), "unterminated string: no closing `\"`"));
                    }
                },
                Some(b) if *b < 0x20 => {
                    return Err(FilterError::at(
                        i..i + 1,
                        "raw control character in a string; write it as an escape such as \\n or \\u0001",
                    ));
                }
                Some(_) => i += 1,
            }
        }
        let text = &self.src[open..=i];
        let value = serde_json::from_str::<String>(text)
            .map_err(|e| FilterError::at(open..i + 1, format!("invalid string: {}", json_error_text(&e))))?;
        self.pos = i + 1;
        Ok(value)
    }

    fn number(&mut self) -> Result<Number, FilterError> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = start;
        let digits = |i: &mut usize| {
            let s = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - s
        };
        if b[i] == b'-' {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(FilterError::at(start..i + 1, "numbers have no leading zeros (JSON)"));
                }
            }
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(FilterError::at(start..(i + 1).min(b.len()), "expected digits after `-`")),
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(FilterError::at(start..i, "expected digits after the decimal point"));
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return Err(FilterError::at(start..i, "expected digits in the exponent"));
            }
        }
        let text = &self.src[start..i];
        let n = serde_json::from_str::<Number>(text)
            .map_err(|e| FilterError::at(start..i, format!("invalid number: {}", json_error_text(&e))))?;
        self.pos = i;
        Ok(n)
    }

    /// `[urn:…:]name[.sub]`.
    fn attr_path(&mut self) -> Result<AttrPath, FilterError> {
        let start = self.pos;
        if self.bytes.len() >= start + 4 && self.bytes[start..start + 4].eq_ignore_ascii_case(b"urn:") {
            let end = start
                + self.bytes[start..].iter().take_while(|b| is_name_char(**b) || **b == b':' || **b == b'.').count();
            let token = &self.src[start..end];
            let colon = token.rfind(':').expect("starts with urn:");
            let uri = &token[..colon];
            let rest = &token[colon + 1..];
            if uri.contains('$') {
                let at = start + uri.find('$').expect("contains $");
                return Err(FilterError::at(at..at + 1, format!("`$` cannot appear in a schema URN: `{uri}`")));
            }
            if uri.len() <= "urn:".len() {
                return Err(FilterError::at(
                    start..end,
                    format!("`{token}` is not a URN-qualified attribute (urn:<schema>:<attribute>)"),
                ));
            }
            if rest.is_empty() {
                return Err(FilterError::at(
                    start..end,
                    format!("`{token}` ends with `:`: expected an attribute name after the schema URN"),
                ));
            }
            let name_start = start + colon + 1;
            let mut parts = rest.splitn(3, '.');
            let name = parts.next().unwrap_or_default();
            let sub = parts.next();
            if parts.next().is_some() {
                return Err(FilterError::at(
                    name_start..end,
                    format!("`{rest}`: an attribute path has at most one sub-attribute (`name.sub`)"),
                ));
            }
            check_name(name, name_start)?;
            if let Some(sub) = sub {
                check_name(sub, name_start + name.len() + 1)?;
            }
            self.pos = end;
            return Ok(AttrPath {
                uri: Some(uri.to_string()),
                name: name.to_string(),
                sub_attr: sub.map(str::to_string),
            });
        }
        let name = self.name()?;
        let mut sub_attr = None;
        if self.peek() == Some(b'.')
            && self.bytes.get(self.pos + 1).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'$')
        {
            self.pos += 1;
            sub_attr = Some(self.name()?);
            if self.peek() == Some(b'.') {
                return Err(FilterError::at(
                    self.token_span(start),
                    "an attribute path has at most one sub-attribute (`name.sub`)",
                ));
            }
        } else if self.peek() == Some(b'.') {
            return Err(FilterError::at(
                self.pos..self.pos + 1,
                format!("expected a sub-attribute name after `{name}.`"),
            ));
        }
        Ok(AttrPath { uri: None, name, sub_attr })
    }

    /// An ATTRNAME (or `$ref`).
    fn name(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        let end = start + self.bytes[start..].iter().take_while(|b| is_name_char(**b)).count();
        if end == start {
            return Err(FilterError::at(
                self.token_span(start),
                format!("expected an attribute path, `not` or `(`, found {}", self.describe(start)),
            ));
        }
        let name = &self.src[start..end];
        check_name(name, start)?;
        self.pos = end;
        Ok(name.to_string())
    }
}

/// ATTRNAME = ALPHA *(nameChar), or `$ref` (RFC 7643 §2.1 allows it for references).
fn check_name(name: &str, at: usize) -> Result<(), FilterError> {
    if name.eq_ignore_ascii_case("$ref") {
        return Ok(());
    }
    let span = at..at + name.len().max(1);
    match name.bytes().next() {
        None => Err(FilterError::at(span, "expected an attribute name")),
        Some(b) if !b.is_ascii_alphabetic() => {
            Err(FilterError::at(span, format!("attribute names start with a letter: `{name}`")))
        }
        Some(_) if name.contains('$') => Err(FilterError::at(span, format!("`$` is only allowed in `$ref`: `{name}`"))),
        Some(_) => Ok(()),
    }
}

/// serde_json's message without its "at line 1 column N" suffix (we have our own span).
fn json_error_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}
