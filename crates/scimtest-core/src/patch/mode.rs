//! Named modes for the points where RFC 7644 and the identity providers disagree
//! (docs/patch-semantics.md, "Modes").

use std::fmt;
use std::str::FromStr;

use crate::filter::{Dialect, EvalOptions};

/// Each tolerance accepts one thing an identity provider sends that the RFC does not define or forbids.
/// All are off in [`Mode::Rfc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tolerances {
    /// `Add`, `Replace`, `REMOVE` (Entra E-Q1).
    pub op_any_case: bool,
    /// `"True"`/`"false"` strings for boolean attributes (Entra E-Q2).
    pub string_booleans: bool,
    /// Keys of a path-less value read as paths: `name.givenName`, `urn:…:User:department` (Entra E-Q5).
    pub pathless_keys_are_paths: bool,
    /// `remove` on a multi-valued path with a `value` removes only those values (Entra E-Q3).
    pub remove_value_selects: bool,
    /// `add`/`replace` on `attr[type eq "x"].value` with no match creates the value (Entra E-Q22); other
    /// sub-attributes (`.primary`) and whole values stay `noTarget`, and `""`/null create nothing.
    pub filtered_write_creates: bool,
    /// A readOnly key in a path-less value equal to the current value is ignored (Okta's `id`, O-Q12).
    pub unchanged_readonly_ignored: bool,
    /// `""` written to an attribute unassigns it (Entra's null-update test, E-Q21).
    pub empty_string_unassigns: bool,
    /// A one-element array written to a single-valued attribute is unwrapped (Entra `manager`, E-Q24).
    pub single_value_array: bool,
    /// A PatchOp without `schemas`.
    pub missing_schemas: bool,
}

/// The PATCH modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// RFC 7644 as written.
    Rfc,
    /// What Microsoft Entra ID's provisioning service sends.
    Entra,
    /// What Okta sends.
    Okta,
    /// What JumpCloud sends: lower-case ops with paths, JSON booleans, members removed by a value list.
    Jumpcloud,
    /// Every tolerance: what a server that wants to work with every IdP accepts.
    #[default]
    Compat,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::Rfc, Mode::Entra, Mode::Okta, Mode::Jumpcloud, Mode::Compat];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Rfc => "rfc",
            Mode::Entra => "entra",
            Mode::Okta => "okta",
            Mode::Jumpcloud => "jumpcloud",
            Mode::Compat => "compat",
        }
    }

    pub fn tolerances(self) -> Tolerances {
        let entra = Tolerances {
            op_any_case: true,
            string_booleans: true,
            pathless_keys_are_paths: true,
            remove_value_selects: true,
            filtered_write_creates: true,
            unchanged_readonly_ignored: true,
            empty_string_unassigns: true,
            single_value_array: true,
            missing_schemas: false,
        };
        match self {
            Mode::Rfc => Tolerances::default(),
            Mode::Entra => entra,
            Mode::Okta => Tolerances { op_any_case: true, unchanged_readonly_ignored: true, ..Tolerances::default() },
            // `remove path members value [{value}]` (JC-Q4, as Entra's E-Q3); nothing else it sends is beyond the RFC.
            Mode::Jumpcloud => Tolerances { remove_value_selects: true, ..Tolerances::default() },
            Mode::Compat => Tolerances { missing_schemas: true, ..entra },
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown PATCH mode `{s}`: expected one of rfc, entra, okta, jumpcloud, compat"))
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of the PATCH engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchOptions {
    pub tolerances: Tolerances,
    /// How filters in paths are parsed and checked.
    pub filter: EvalOptions,
    /// `add` to a multi-valued attribute merges a new value into an existing one only when their
    /// `value` and `type` are equal exactly; one that differs only in case (`"Work"` for `"work"`, both
    /// `caseExact: false`) is appended. Off: such values are merged. RFC 7644 §3.5.2.1 does not say
    /// whether a case variant is "already contained", so the generated checks accept both outcomes.
    pub add_matches_exactly: bool,
}

impl PatchOptions {
    pub fn new(mode: Mode) -> Self {
        let dialect = if mode == Mode::Rfc { Dialect::Strict } else { Dialect::Compat };
        PatchOptions {
            tolerances: mode.tolerances(),
            filter: EvalOptions { dialect, ..EvalOptions::default() },
            add_matches_exactly: false,
        }
    }
}

impl Default for PatchOptions {
    fn default() -> Self {
        PatchOptions::new(Mode::default())
    }
}
