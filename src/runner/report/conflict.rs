//! A conflict resolved in an identity provider's favour: an RFC check on a tension of idp-behaviour.md §8
//! (`[scenario.tension]`) whose answer is the one the identity-provider side needs, confirmed by the
//! tension's own expectation and steps. It is not a MUST failure: the run passes, and every report says
//! which side the server took and what that means for each identity-provider profile, with both citations.

use crate::runner::failure::Failure;
use crate::suite::Side;

/// How one identity-provider profile stands on a tension: its `[[profile.position]]` with the tension's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stance {
    pub profile: String,
    /// `Microsoft Entra ID`.
    pub display_name: String,
    /// `None`: the profile states no position on this tension.
    pub side: Option<Side>,
    /// Which answers pass in that profile, and why (empty without a position).
    pub passes: String,
    pub why: String,
}

impl Stance {
    /// What the server's choice (the IdP side) means for this profile, in a few words.
    pub fn meaning(&self) -> String {
        match self.side {
            Some(Side::Idp) => format!("{} needs it: {}", self.display_name, self.why),
            Some(Side::Either) => format!("{} accepts either answer ({})", self.display_name, self.passes),
            Some(Side::NotSent) => format!("{} never sends this ({})", self.display_name, self.why),
            Some(Side::Rfc) => format!("{} expects the RFC's answer: {}", self.display_name, self.passes),
            None => format!("{} states no position", self.display_name),
        }
    }
}

/// One conflict: the check, the tension, both sides with their citations, what the server answered, and
/// what it means for each identity-provider profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The trial name (`rfc::patch::replace_filter_without_match_is_no_target`).
    pub check: String,
    /// The tension's id in idp-behaviour.md §8 (`8.2`) and its title.
    pub tension: String,
    pub title: String,
    /// The RFC's answer (`400 noTarget`) and its citation (the check's requirement source).
    pub rfc: String,
    pub rfc_source: String,
    /// The identity-provider side's answer, the one the server gave (`creates the typed entry`), and where
    /// it is documented (`Entra E-Q22`).
    pub idp: String,
    pub idp_source: String,
    /// Every identity-provider profile's stance on the tension, in file order.
    pub stances: Vec<Stance>,
    /// The RFC check's own failure: its expectation, what the server answered, and the exchange.
    pub evidence: Failure,
}

impl Conflict {
    /// The profiles that need the side the server took.
    pub fn favoured(&self) -> Vec<&Stance> {
        self.stances.iter().filter(|s| s.side == Some(Side::Idp)).collect()
    }

    /// `your server creates the typed entry, as Microsoft Entra ID needs (Entra E-Q22); RFC 7644 §3.5.2.3
    /// says 400 noTarget; Okta never sends this (…)`.
    pub fn sentence(&self) -> String {
        let favoured: Vec<&str> = self.favoured().iter().map(|s| s.display_name.as_str()).collect();
        let as_needed = match favoured.as_slice() {
            [] => String::new(),
            [one] => format!(", as {one} needs"),
            many => format!(", as {} need", many.join(" and ")),
        };
        let mut out =
            format!("your server {}{as_needed} ({}); {} says {}", self.idp, self.idp_source, self.rfc_source, self.rfc);
        for s in self.stances.iter().filter(|s| s.side != Some(Side::Idp)) {
            out.push_str("; ");
            out.push_str(&s.meaning());
        }
        out
    }

    /// `§8.2 filtered add/replace whose filter matches nothing`.
    pub fn heading(&self) -> String {
        format!("{} {}", crate::suite::tension_label(&self.tension), self.title)
    }
}

/// Every identity-provider profile's stance on each tension, by tension id: each profile of `suites/profiles/`
/// whose PATCH mode is not the RFC's, in name order. A profile that does not load states nothing here (the
/// run that uses it reports why).
pub fn stances(suites: &crate::bundle::Source) -> std::collections::BTreeMap<String, Vec<Stance>> {
    let mut profiles: Vec<crate::suite::Profile> = suites
        .list("profiles", "toml")
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| crate::suite::load_profile(suites, &s.to_string_lossy()).ok()))
        .filter(|p| p.patch_mode != crate::patch::Mode::Rfc)
        .collect();
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    crate::suite::TENSIONS
        .iter()
        .map(|t| {
            let stances = profiles
                .iter()
                .map(|p| {
                    let position = p.positions.iter().find(|pos| pos.id.as_deref() == Some(t.id));
                    Stance {
                        profile: p.name.clone(),
                        display_name: p.display_name.clone(),
                        side: position.and_then(|pos| pos.side),
                        passes: position.map_or_else(String::new, |pos| pos.passes.clone()),
                        why: position.map_or_else(String::new, |pos| pos.why.clone()),
                    }
                })
                .collect();
            (t.id.to_string(), stances)
        })
        .collect()
}
