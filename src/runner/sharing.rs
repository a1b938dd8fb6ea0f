//! Generated checks shared between the profiles of one run. A generated check's verdict depends on the
//! server, the seed, the check (`filters`, `patch`, `groups`) and what it judges by — the filter dialect,
//! or the PATCH mode — never on the profile's name: so `--profile all` runs Entra's and Entra-compliant's
//! PATCH check once, and the compat-dialect filter check once for every IdP profile, and gives each of
//! their records that one verdict (the same one separate runs would give).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::failure::Failure;
use super::property::Found;
use crate::filter::Dialect;
use crate::patch::Mode;

/// What a generated check judges by, besides the server and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct GeneratedKey {
    what: &'static str,
    judged_by: JudgedBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum JudgedBy {
    /// Filters: the dialect the core's evaluator reads them in.
    Dialect(Dialect),
    /// PATCH requests: the mode the core's engine applies them in.
    Mode(Mode),
}

/// The filter dialect a profile's generated filters are written and judged in: the RFC's grammar for
/// the RFC's PATCH mode, the identity providers' extensions (E-Q-forms) otherwise.
pub(super) fn dialect_of(mode: Mode) -> Dialect {
    if mode == Mode::Rfc { Dialect::Strict } else { Dialect::Compat }
}

impl GeneratedKey {
    pub(super) fn new(what: &'static str, mode: Mode) -> GeneratedKey {
        let judged_by = if what == "filters" { JudgedBy::Dialect(dialect_of(mode)) } else { JudgedBy::Mode(mode) };
        GeneratedKey { what, judged_by }
    }
}

/// One verdict of a generated check, for every profile that shares it.
pub(super) type Verdict = Result<Found, Box<Failure>>;

/// The generated checks of a run: which profiles share each, and each one's verdict once it is known.
#[derive(Default)]
pub(super) struct SharedGenerated {
    /// The profiles planned with each key, in plan order.
    profiles: HashMap<GeneratedKey, Vec<String>>,
    verdicts: Mutex<HashMap<GeneratedKey, Arc<OnceLock<Verdict>>>>,
}

impl SharedGenerated {
    /// From the run's selected generated checks: (profile, check, PATCH mode), in plan order.
    pub(super) fn new<'p>(planned: impl IntoIterator<Item = (&'p str, &'static str, Mode)>) -> SharedGenerated {
        let mut profiles: HashMap<GeneratedKey, Vec<String>> = HashMap::new();
        for (profile, what, mode) in planned {
            let sharing = profiles.entry(GeneratedKey::new(what, mode)).or_default();
            if !sharing.iter().any(|p| p == profile) {
                sharing.push(profile.to_string());
            }
        }
        SharedGenerated { profiles, verdicts: Mutex::default() }
    }

    /// The profiles `profile`'s check stands for (itself first when it is alone, else in plan order).
    pub(super) fn profiles(&self, key: GeneratedKey, profile: &str) -> Vec<String> {
        match self.profiles.get(&key) {
            Some(sharing) if sharing.iter().any(|p| p == profile) => sharing.clone(),
            _ => vec![profile.to_string()],
        }
    }

    /// Whether `profile`'s check is the one that runs (the first of those sharing it, in plan order), not
    /// one that reads another profile's verdict.
    pub(super) fn runs(&self, key: GeneratedKey, profile: &str) -> bool {
        self.profiles(key, profile).first().is_some_and(|p| p == profile)
    }

    /// The check's verdict: run by the first profile that asks (the others wait for it), then kept.
    pub(super) fn verdict(&self, key: GeneratedKey, run: impl FnOnce() -> Verdict) -> Verdict {
        let cell = self.verdicts.lock().expect("generated verdicts lock").entry(key).or_default().clone();
        cell.get_or_init(run).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_judging_alike_share_one_run() {
        let planned = [
            ("rfc", "filters", Mode::Rfc),
            ("entra", "filters", Mode::Entra),
            ("okta", "filters", Mode::Okta),
            ("entra", "patch", Mode::Entra),
            ("okta", "patch", Mode::Okta),
            ("entra-compliant", "patch", Mode::Entra),
            ("jumpcloud", "filters", Mode::Jumpcloud),
            ("jumpcloud", "patch", Mode::Jumpcloud),
        ];
        let shared = SharedGenerated::new(planned);
        // Filters are judged by dialect: every IdP profile reads the compat dialect.
        assert_eq!(shared.profiles(GeneratedKey::new("filters", Mode::Okta), "okta"), ["entra", "okta", "jumpcloud"]);
        assert_eq!(shared.profiles(GeneratedKey::new("filters", Mode::Rfc), "rfc"), ["rfc"]);
        // PATCH checks are judged by mode.
        assert_eq!(shared.profiles(GeneratedKey::new("patch", Mode::Entra), "entra"), ["entra", "entra-compliant"]);
        assert_eq!(shared.profiles(GeneratedKey::new("patch", Mode::Okta), "okta"), ["okta"]);
        // JumpCloud's PATCH mode is its own: its generated PATCH checks share no verdict.
        assert_eq!(shared.profiles(GeneratedKey::new("patch", Mode::Jumpcloud), "jumpcloud"), ["jumpcloud"]);
        assert!(shared.runs(GeneratedKey::new("patch", Mode::Entra), "entra"));
        assert!(!shared.runs(GeneratedKey::new("patch", Mode::Entra), "entra-compliant"), "reads entra's verdict");
        // A check the selection did not plan stands alone.
        assert_eq!(shared.profiles(GeneratedKey::new("groups", Mode::Okta), "okta"), ["okta"]);

        let runs = std::sync::atomic::AtomicUsize::new(0);
        let key = GeneratedKey::new("patch", Mode::Entra);
        for _ in 0..2 {
            let verdict = shared.verdict(key, || {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(Found { passed: 7, declined: 0, explained: Vec::new() })
            });
            assert_eq!(verdict.map(|f| f.passed).ok(), Some(7));
        }
        assert_eq!(runs.into_inner(), 1, "the second profile reuses the first one's verdict");
    }
}
