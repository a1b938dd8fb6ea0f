//! What a load run replays: the identity provider ([`Profile`]) and the kinds of request of its sync cycle
//! ([`Operation`], named by the request catalogue of idp-behaviour.md §1.0). The requests themselves are
//! built by [`super::entra`] and [`super::okta`].

/// Users whose group membership one batch carries (Entra's E-AM, Okta's O-MG): both send several members in
/// one PATCH.
pub const MEMBER_BATCH: usize = 5;

/// The identity provider whose sync cycle is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Entra,
    Okta,
}

impl Profile {
    /// `entra`, as `--profile` and the JSON report name it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Entra => "entra",
            Profile::Okta => "okta",
        }
    }

    /// `Entra`, for sentences.
    pub fn display_name(self) -> &'static str {
        match self {
            Profile::Entra => "Entra",
            Profile::Okta => "Okta",
        }
    }

    /// The operations of its cycle, in the order a cycle sends them first.
    pub fn operations(self) -> &'static [Operation] {
        match self {
            Profile::Entra => &Operation::ENTRA,
            Profile::Okta => &Operation::OKTA,
        }
    }
}

/// One kind of request of a cycle, as the catalogue names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    EntraQueryUser,
    EntraCreateUser,
    EntraUpdateUser,
    EntraDisableUser,
    EntraQueryGroup,
    EntraCreateGroup,
    EntraAddMembers,
    EntraRemoveMember,
    OktaQueryUser,
    OktaCreateUser,
    OktaGetUser,
    OktaUpdateUser,
    OktaDisableUser,
    OktaLookupGroup,
    OktaCreateGroup,
    OktaRenameGroup,
    OktaMembershipDelta,
}

impl Operation {
    pub const ENTRA: [Operation; 8] = [
        Operation::EntraQueryUser,
        Operation::EntraCreateUser,
        Operation::EntraUpdateUser,
        Operation::EntraDisableUser,
        Operation::EntraQueryGroup,
        Operation::EntraCreateGroup,
        Operation::EntraAddMembers,
        Operation::EntraRemoveMember,
    ];

    pub const OKTA: [Operation; 9] = [
        Operation::OktaQueryUser,
        Operation::OktaCreateUser,
        Operation::OktaGetUser,
        Operation::OktaUpdateUser,
        Operation::OktaDisableUser,
        Operation::OktaLookupGroup,
        Operation::OktaCreateGroup,
        Operation::OktaRenameGroup,
        Operation::OktaMembershipDelta,
    ];

    /// The catalogue's id and the request line.
    pub fn label(self) -> &'static str {
        match self {
            Operation::EntraQueryUser => "E-QU GET /Users?filter",
            Operation::EntraCreateUser => "E-CU POST /Users",
            Operation::EntraUpdateUser => "E-UU PATCH /Users/{id}",
            Operation::EntraDisableUser => "E-DU PATCH /Users/{id} active",
            Operation::EntraQueryGroup => "E-QG GET /Groups?filter",
            Operation::EntraCreateGroup => "E-CG POST /Groups",
            Operation::EntraAddMembers => "E-AM PATCH /Groups/{id} add",
            Operation::EntraRemoveMember => "E-RM PATCH /Groups/{id} remove",
            Operation::OktaQueryUser => "O-QU GET /Users?filter&count=100",
            Operation::OktaCreateUser => "O-CU POST /Users",
            Operation::OktaGetUser => "O-GU GET /Users/{id}",
            Operation::OktaUpdateUser => "O-UU PUT /Users/{id}",
            Operation::OktaDisableUser => "O-DU PATCH /Users/{id} active",
            Operation::OktaLookupGroup => "O-LG GET /Groups?filter",
            Operation::OktaCreateGroup => "O-CG POST /Groups",
            Operation::OktaRenameGroup => "O-RG PATCH /Groups/{id} name",
            Operation::OktaMembershipDelta => "O-MG PATCH /Groups/{id} members",
        }
    }

    /// The catalogue's id alone (`E-QU`), for the JSON report.
    pub fn id(self) -> &'static str {
        self.label().split(' ').next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_profile_names_its_own_operations_by_catalogue_id() {
        for (profile, prefix) in [(Profile::Entra, "E-"), (Profile::Okta, "O-")] {
            for op in profile.operations() {
                assert!(op.id().starts_with(prefix) && op.id().len() == 4, "{op:?}: {}", op.id());
            }
        }
        let mut ids: Vec<&str> = Operation::ENTRA.iter().chain(&Operation::OKTA).map(|o| o.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 17, "every id is distinct");
    }
}
