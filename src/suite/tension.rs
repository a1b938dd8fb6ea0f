//! The points where RFC 7644 and an identity provider disagree (idp-behaviour.md §8), by id, and what a
//! suite says about them: a scenario's `[scenario.tension]` (the check sits on one, and the answer the
//! IdP side gives instead) and a profile position's `id` and `side`. The runner turns an RFC check that
//! fails on the IdP side's answer into a conflict resolved in the IdP's favour (`runner/report/conflict.rs`).

use serde::Deserialize;

use super::{Expect, Step};

/// A tension of idp-behaviour.md §8 (its number there, `8.2`), or a quirk of §2/§3 that contradicts the
/// RFC (its id, `E-Q21`), and what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tension {
    pub id: &'static str,
    pub title: &'static str,
}

/// idp-behaviour.md §8, in its order, then the quirks that contradict the RFC.
pub const TENSIONS: &[Tension] = &[
    Tension { id: "8.1", title: "remove on a multi-valued attribute with a value list" },
    Tension { id: "8.2", title: "filtered add/replace whose filter matches nothing" },
    Tension { id: "8.3", title: "string booleans (\"True\"/\"False\")" },
    Tension { id: "8.4", title: "an Error's `status` as a number" },
    Tension { id: "8.5", title: "404 versus 200 with no result for a filter that matches nothing" },
    Tension { id: "8.6", title: "PATCH success: 200 versus 204" },
    Tension { id: "8.7", title: "unknown schema URNs and unknown attributes on input" },
    Tension { id: "8.8", title: "userName rename" },
    Tension { id: "8.9", title: "filtered remove that matches nothing" },
    // Conflicts of §2 that §8 does not list: an IdP requirement against the RFC's text.
    Tension { id: "E-Q21", title: "an empty string written to an attribute: a value, or unassigned" },
];

/// The tension with this id (`8.2`; a leading `§` is allowed).
pub fn tension(id: &str) -> Option<&'static Tension> {
    let id = id.trim_start_matches('§');
    TENSIONS.iter().find(|t| t.id == id)
}

/// How reports name a tension: `§8.2` for one of §8, the quirk id (`E-Q21`) for the others.
pub fn tension_label(id: &str) -> String {
    if id.starts_with(|c: char| c.is_ascii_digit()) { format!("§{id}") } else { id.to_string() }
}

/// The ids, for error messages.
pub fn tension_ids() -> String {
    TENSIONS.iter().map(|t| t.id).collect::<Vec<_>>().join(", ")
}

/// Which answer a profile takes on a tension (`[[profile.position]] side`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// Only the RFC's answer passes.
    Rfc,
    /// The identity provider needs the answer the RFC does not give.
    Idp,
    /// Both answers pass.
    Either,
    /// The identity provider never sends the request: the server's choice does not matter to it.
    NotSent,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Rfc => "rfc",
            Side::Idp => "idp",
            Side::Either => "either",
            Side::NotSent => "not-sent",
        }
    }
}

/// A scenario that sits on a tension (`[scenario.tension]`): which step's answer is on it, and the answer
/// the identity-provider side gives instead of the RFC's.
#[derive(Debug, Clone, PartialEq)]
pub struct TensionCheck {
    /// The tension's id in idp-behaviour.md §8 (`8.2`).
    pub id: String,
    /// The index (in the scenario's steps) of the step whose answer is on the tension.
    pub step: usize,
    /// The RFC's answer in a few words (`400 noTarget`); the citation is the scenario's requirement.
    pub rfc: String,
    /// The IdP side's answer in a few words (`creates the typed entry`).
    pub idp: String,
    /// Where the IdP side is documented (`Entra E-Q22`).
    pub source: String,
    /// What the step's answer is on the IdP side.
    pub expect: Expect,
    /// Steps after it that confirm the IdP side (a read showing the entry created).
    pub then: Vec<Step>,
}
