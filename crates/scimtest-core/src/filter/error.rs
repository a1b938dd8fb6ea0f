//! Filter errors: a byte span into the input and a one-line explanation; all map to `invalidFilter`.

use std::fmt;
use std::ops::Range;

/// A filter that does not parse, or does not fit the schema it is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// Bytes of the input the error is about (empty at the end of input). `None` for errors found
    /// against a schema, which name the attribute instead.
    pub span: Option<Range<usize>>,
    pub message: String,
}

impl FilterError {
    pub(crate) fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        FilterError { span: Some(span), message: message.into() }
    }

    pub(crate) fn schema(message: impl Into<String>) -> Self {
        FilterError { span: None, message: message.into() }
    }

    /// The RFC 7644 §3.12 `scimType` for a bad filter.
    pub fn scim_type(&self) -> &'static str {
        "invalidFilter"
    }

    /// The message with the input below it and carets under the span, clipped to a readable window.
    pub fn render(&self, input: &str) -> String {
        let mut out = format!("invalid filter: {}", self.message);
        let Some(span) = &self.span else { return out };
        let start = floor_char(input, span.start.min(input.len()));
        let end = floor_char(input, span.end.min(input.len())).max(start);
        const CONTEXT: usize = 40;
        let window_start = floor_char(input, start.saturating_sub(CONTEXT));
        let window_end = floor_char(input, (end + CONTEXT).min(input.len()));
        let window_end = if window_end < end { end } else { window_end };
        // One column per character: control characters (tabs, line breaks, raw escapes) become spaces.
        let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
        let lead = if window_start > 0 { "…" } else { "" };
        let tail = if window_end < input.len() { "…" } else { "" };
        let before = clean(&input[window_start..start]);
        let marked = clean(&input[start..end]);
        out.push_str(&format!("\n  {lead}{before}{marked}{}{tail}\n", clean(&input[end..window_end])));
        let pad = lead.chars().count() + before.chars().count();
        let width = marked.chars().count().max(1);
        out.push_str(&format!("  {}{}", " ".repeat(pad), "^".repeat(width)));
        out
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.span {
            Some(span) => write!(f, "{} (at byte {})", self.message, span.start),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FilterError {}
