//! What the reference server does, in its own terms, decided once when it is built: [`Behaviour::new`]
//! is the only place that reads the server mode and the fault list. Every branch of the server reads a
//! field of [`Behaviour`], never a [`Fault`], so a fault is one arm of one `match` here plus the plain
//! behaviour it selects where that behaviour lives.

use std::collections::BTreeSet;

use axum::http::StatusCode;

use super::ServerMode;
use super::faults::Fault;
use crate::filter::{Dialect, EvalOptions, UnknownAttributes};
use crate::patch::{Mode, PatchOptions};

/// How a number is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `42`.
    Number,
    /// `"42"`.
    String,
}

/// What `itemsPerPage` of a ListResponse counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemsPerPage {
    /// The resources on the page (RFC 7644 §3.4.2).
    Returned,
    /// The page size asked for, or the default.
    Requested,
}

/// What `totalResults` of a ListResponse counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotalResults {
    /// Every match (RFC 7644 §3.4.2).
    AllMatches,
    /// The resources on the page.
    PageSize,
}

/// Declares [`Behaviour`] with each field's correct value, [`Behaviour::correct`] and
/// [`Behaviour::differences`] from one list, so a new field cannot be left out of either.
macro_rules! behaviour {
    ($($(#[doc = $doc:literal])+ $field:ident: $ty:ty = $correct:expr,)+) => {
        /// Everything the server mode and the faults decide. [`Behaviour::correct`] is RFC 7643/7644 in
        /// compat mode (accepting what Entra ID and Okta send).
        #[derive(Debug, Clone, PartialEq)]
        pub struct Behaviour {
            $($(#[doc = $doc])+ pub $field: $ty,)+
        }

        impl Behaviour {
            /// The server as it should be: compat mode, no fault.
            pub fn correct() -> Behaviour {
                Behaviour { $($field: $correct,)+ }
            }

            /// The names of the fields in which `self` and `other` differ.
            #[cfg(test)]
            pub fn differences(&self, other: &Behaviour) -> Vec<&'static str> {
                let mut names = Vec::new();
                $(if self.$field != other.$field {
                    names.push(stringify!($field));
                })+
                names
            }
        }
    };
}

behaviour! {
    // ----- what the server mode decides ------------------------------------------------------------
    /// The PATCH engine's mode before the tolerances below: compat, or RFC 7644 as written.
    patch_mode: Mode = Mode::Compat,
    /// The filter grammar accepted: compat also reads Entra's `emails[type eq "work"].value eq` and
    /// `"True"` for booleans.
    filter_dialect: Dialect = Dialect::Compat,
    /// A resource body must list its core schema and only known ones; a SearchRequest or BulkRequest
    /// its message URN (RFC 7643 §3, RFC 7644 §3.4.3, §3.7).
    schemas_required: bool = false,
    /// An attribute the schema does not define is refused with 400 rather than dropped.
    unknown_attributes_refused: bool = false,
    /// A body with no media type or `text/plain` is read as JSON.
    untyped_bodies_read: bool = true,
    /// `"10"` for `startIndex`/`count` in a SearchRequest is read as the integer.
    search_string_integers: bool = true,
    /// A bulk POST must carry a `bulkId` (RFC 7644 §3.7).
    bulk_post_needs_bulk_id: bool = false,

    // ----- PATCH tolerances (IdP request shapes), all off in strict mode ---------------------------
    /// `Add`, `Replace`: op names in any case (Entra E-Q1).
    op_any_case: bool = true,
    /// `"False"` for a boolean (Entra E-Q2).
    string_booleans: bool = true,
    /// Keys of a path-less value such as `name.givenName` are paths (Entra E-Q5).
    pathless_keys_are_paths: bool = true,
    /// `remove` on `members` with a value array removes only those members (Entra E-Q3).
    remove_value_selects: bool = true,
    /// `add` on `phoneNumbers[type eq "mobile"].value` with no match creates the value (Entra E-Q22).
    filtered_write_creates: bool = true,
    /// A readOnly key in a path-less value equal to the current value is ignored (Okta O-Q12).
    unchanged_readonly_ignored: bool = true,
    /// `""` unassigns an attribute (Entra E-Q21).
    empty_string_unassigns: bool = true,
    /// A one-element array written to a single-valued attribute is unwrapped (Entra E-Q24).
    single_value_array: bool = true,

    // ----- the schemas served ----------------------------------------------------------------------
    /// The User schema declares no nickName and no enterprise extension (a legitimate choice).
    minimal_user_schema: bool = false,
    /// The User schema marks `name` and `name.formatted` required (a legitimate choice).
    name_formatted_required: bool = false,
    /// The ServiceProviderConfig's features are `{"supported": b}` objects (RFC 7643 §5).
    spc_feature_objects: bool = true,

    // ----- HTTP ------------------------------------------------------------------------------------
    /// The media type of every answer with a body.
    content_type: &'static str = super::http::SCIM_JSON,
    /// How an Error body writes `status` (RFC 7644 §3.12: a string).
    error_status: Encoding = Encoding::String,
    /// The configured credentials are checked.
    credentials_checked: bool = true,
    /// A request must accept `application/scim+json`.
    scim_accept_required: bool = false,
    /// Unknown query parameters (Entra's `aadOptscim062020`) are refused rather than ignored.
    unknown_query_params_refused: bool = false,
    /// `application/scim+json; charset=utf-8` is accepted.
    media_type_parameters_accepted: bool = true,
    /// A body typed `application/json` is accepted.
    application_json_accepted: bool = true,
    /// The status of a successful POST (RFC 7644 §3.3: 201).
    created_status: StatusCode = StatusCode::CREATED,
    /// A 201 carries the created resource.
    create_answers_resource: bool = true,
    /// A 201 carries a Location header (RFC 7644 §3.3).
    location_header: bool = true,
    /// `excludedAttributes` is applied (RFC 7644 §3.9).
    excluded_attributes_honoured: bool = true,

    // ----- writing ---------------------------------------------------------------------------------
    /// A password sent is kept and returned (RFC 7643 §4.1: returned never).
    password_returned: bool = false,
    /// A schema URN the server does not know is refused first, in any mode.
    unknown_schema_urns_refused: bool = false,
    /// An attribute sent as `null` on POST or PUT crashes the handler (500).
    null_attribute_crashes: bool = false,
    /// A member written with `"$ref": null` is accepted (Entra E-Q4).
    null_member_ref_accepted: bool = true,
    /// A PUT carrying readOnly attributes ignores them (RFC 7643 §2.2).
    put_read_only_ignored: bool = true,
    /// A PUT to an unknown id creates the resource (RFC 7644 §3.5.1: 404).
    put_creates_unknown: bool = false,
    /// userNames are unique (409 uniqueness).
    user_names_unique: bool = true,
    /// userName compares case-sensitively, in filters and uniqueness (RFC 7643 §4.1: caseExact false).
    user_name_case_exact: bool = false,
    /// A Group's displayName compares case-sensitively in filters (RFC 7643 §4.2: caseExact false).
    group_display_name_case_exact: bool = false,
    /// Strings keep every Unicode character (not a Latin-1 column's `?`).
    strings_keep_unicode: bool = true,
    /// Phone numbers are stored as written (not reformatted to digits).
    phone_numbers_as_written: bool = true,
    /// If-Match is checked (RFC 7644 §3.14).
    if_match_checked: bool = true,
    /// meta.version and the ETag move on every change.
    versions_move: bool = true,

    // ----- PATCH -----------------------------------------------------------------------------------
    /// A PATCH is all or nothing (RFC 7644 §3.5.2).
    patch_atomic: bool = true,
    /// Operations without a path are applied.
    pathless_ops_applied: bool = true,
    /// Operations whose path has a value filter are applied.
    filtered_path_ops_applied: bool = true,
    /// `replace members []` empties the group.
    empty_member_replace_applied: bool = true,
    /// `remove` of a single-valued attribute removes it (RFC 7644 §3.5.2.2).
    single_valued_remove_applied: bool = true,
    /// The most members one operation may add.
    members_per_operation: Option<usize> = None,

    // ----- delete ----------------------------------------------------------------------------------
    /// A deleted resource leaves the groups it was a member of.
    delete_leaves_groups: bool = true,
    /// A deleted resource stays in lists (RFC 7644 §3.6: omitted from query results).
    deleted_stay_listed: bool = false,

    // ----- reading ---------------------------------------------------------------------------------
    /// GET of an unknown id answers 404 (not 200 with an empty body).
    unknown_id_not_found: bool = true,
    /// meta.location and Location are absolute URIs (RFC 7643 §3.1).
    absolute_locations: bool = true,
    /// A user with enterprise data lists the extension URN in `schemas` (RFC 7643 §3).
    extension_in_schemas: bool = true,
    /// Groups carry meta.created and meta.lastModified (RFC 7643 §3.1).
    group_meta_timestamps: bool = true,
    /// Seconds between a new resource's meta.created and its meta.lastModified (0: the same).
    created_last_modified_offset_secs: i64 = 0,

    // ----- listing ---------------------------------------------------------------------------------
    /// `not (f)` negates.
    not_honoured: bool = true,
    /// `and` binds tighter than `or` (RFC 7644 §3.4.2.2).
    and_binds_tighter: bool = true,
    /// dateTime filters compare instants, not text.
    datetime_filters_compare_instants: bool = true,
    /// Users with active=false stay in lists and filters (Entra E-Q14).
    inactive_users_listed: bool = true,
    /// The order of a list does not depend on the page size.
    stable_order: bool = true,
    /// A filter matching nothing answers 200 with totalResults 0 (not 404).
    no_match_is_empty_list: bool = true,
    /// `startIndex` is paged from this origin (RFC 7644 §3.4.2.4: 1).
    start_index_origin: usize = 1,
    /// `startIndex` and `count` page the answer.
    paginate: bool = true,
    /// What `totalResults` counts.
    total_results: TotalResults = TotalResults::AllMatches,
    /// What `itemsPerPage` counts.
    items_per_page: ItemsPerPage = ItemsPerPage::Returned,
    /// How `totalResults`, `startIndex` and `itemsPerPage` are written (RFC 7644 §3.4.2: integers).
    paging_fields: Encoding = Encoding::Number,

    // ----- onelogin (issue 15) -----
    /// `""` for an attribute on POST/PUT is accepted (OneLogin OL-Q1).
    empty_strings_accepted: bool = true,
    /// A multi-valued attribute written as one object on POST/PUT is read as a one-element array
    /// (OneLogin OL-Q2); strict mode refuses it (RFC 7643 §2.4).
    single_object_for_multi_valued_accepted: bool = true,
    /// Emails without `primary` are kept (OneLogin OL-Q3).
    emails_without_primary_kept: bool = true,
    /// A body whose `schemas` lacks the core URN is handled: ignored, or a 400 in strict mode (OneLogin OL-Q4).
    missing_core_urn_handled: bool = true,
    /// A query with an empty segment (a trailing `&`) is refused (OneLogin OL-Q5: it must not be).
    empty_query_segments_refused: bool = false,
    /// An empty query (`PUT /Users/{id}?`) is no part of the id (OneLogin OL-Q6).
    empty_query_ignored: bool = true,
    /// `groups` on POST /Users is ignored as readOnly (OneLogin OL-Q7).
    create_ignores_groups: bool = true,
    /// A request with an empty User-Agent is served (OneLogin OL-Q8).
    empty_user_agent_accepted: bool = true,

    // ----- jumpcloud (issue 15) -----
    /// A deleted group's displayName is free for a new group (RFC 7644 §3.6; JumpCloud JC-Q1).
    deleted_group_names_released: bool = true,
    /// The operations of a user PATCH apply in sequence, each to the result of the one before
    /// (RFC 7644 §3.5.2; JumpCloud JC-Q3).
    user_patch_ops_in_sequence: bool = true,

    // ----- ping (issue 15) -----
    /// Filter attribute names in any case (RFC 7644 §3.4.2.2; Ping PI-Q1).
    filter_names_any_case: bool = true,
    /// A filter naming no attribute of the schema is 400 invalidFilter, not a non-match (Ping PI-Q2).
    unknown_filter_attributes_refused: bool = true,
    /// A comparison on a complex attribute without a sub-attribute compares `value` (Ping PI-Q3).
    complex_filters_compare_value: bool = true,
    /// A PUT /Users replaces the user: attributes its body leaves out are cleared (RFC 7644 §3.5.1).
    put_replaces: bool = true,
    /// `startIndex` pages GET /Groups (RFC 7644 §3.4.2.4; Ping PI-Q5 walks every page).
    group_lists_paged: bool = true,
    /// POST /Users keeps the `active` it is given (Ping PI-Q6).
    created_active_kept: bool = true,

    // ----- google-workspace / rippling (issue 15) -----
    /// `/ServiceProviderConfig` is served (RFC 7644 §4; Rippling's Test Connection reads it, RP-Q1).
    spc_served: bool = true,

    // ----- entra-gallery / okta spec (issue 15) -----
    /// /Schemas lists every attribute the server stores (Entra E-Q34).
    schemas_list_every_attribute: bool = true,
    /// `preferredLanguage` takes any value (the schema declares no canonical values; Entra E-Q35).
    preferred_language_free: bool = true,
    /// A replace with `""` or `{"value": ""}` is applied (Entra E-Q21, E-Q36).
    empty_replace_applied: bool = true,
    /// How long GET /Groups waits before answering (Okta SPEC #10: within 600 ms).
    group_list_delay_ms: u64 = 0,

    // ----- okta governance (issue 15) -----
    /// A User's `entitlements` are stored (Okta O-Q27: OIG assigns entitlements on the user).
    user_entitlements_stored: bool = true,

    // ----- oauth (issue 16): `scimtest serve --oauth` -----
    /// SCIM refuses an access token whose `exp` has passed (RFC 7519 §4.1.4).
    oauth_expiry_checked: bool = true,
    /// SCIM refuses an unsecured JWT, `alg: none` (RFC 8725 §3.1).
    oauth_alg_none_refused: bool = true,
    /// SCIM refuses an access token whose `aud` is not the SCIM API (RFC 7519 §4.1.3).
    oauth_audience_checked: bool = true,
    /// SCIM verifies the access token's `kid` and signature (RFC 7515 §5.2).
    oauth_signature_checked: bool = true,
    /// The token endpoint compares the client secret (RFC 6749 §2.3.1).
    oauth_client_secret_checked: bool = true,
    /// The lifetime of issued access tokens, when not the configured one.
    oauth_token_lifetime_secs: Option<u64> = None,
    /// The token endpoint refuses an expired client assertion (RFC 7523 §3 item 4).
    oauth_assertion_expiry_checked: bool = true,
    /// The token endpoint refuses a client assertion for another audience (RFC 7523 §3 item 3).
    oauth_assertion_audience_checked: bool = true,
    /// The token endpoint verifies a client assertion's `kid` and signature (RFC 7523 §3 item 9).
    oauth_assertion_signature_checked: bool = true,
    /// Token answers carry `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
    oauth_token_answer_not_stored: bool = true,

    // ----- load (issue 17) -----
    /// A 429 of the rate limit carries `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3).
    rate_limit_retry_after: bool = true,
    // ----- concurrency and large groups (issue 17) -----
    /// A Group PATCH reads and writes under one lock (RFC 7644 §3.5.2: atomic); `Some(ms)`: it reads the
    /// group, waits this long, and writes its change over what it read.
    group_patch_stale_read_ms: Option<u64> = None,
    /// The most members a Group keeps, the rest dropped without an error; `None`: every member is kept.
    group_member_cap: Option<usize> = None,
    /// The most users a filter on `groups` selects, the rest left out; `None`: all whose `groups` match
    /// (RFC 7644 §3.4.2.2).
    groups_filter_limit: Option<usize> = None,
}

impl Behaviour {
    /// The behaviour of a server in `mode` with `faults`: the one place a mode or a fault is read.
    pub fn new(mode: ServerMode, faults: &BTreeSet<Fault>) -> Behaviour {
        let mut b = Behaviour::correct();
        if mode == ServerMode::Strict {
            b.strict();
        }
        for &fault in faults {
            b.break_with(fault);
        }
        b
    }

    /// Strict mode: reject what RFC 7643/7644 reject, tolerate nothing an IdP sends beyond them.
    fn strict(&mut self) {
        self.patch_mode = Mode::Rfc;
        self.filter_dialect = Dialect::Strict;
        self.schemas_required = true;
        self.unknown_attributes_refused = true;
        self.untyped_bodies_read = false;
        self.search_string_integers = false;
        self.bulk_post_needs_bulk_id = true;
        self.op_any_case = false;
        self.string_booleans = false;
        self.pathless_keys_are_paths = false;
        self.remove_value_selects = false;
        self.filtered_write_creates = false;
        self.unchanged_readonly_ignored = false;
        self.empty_string_unassigns = false;
        self.single_value_array = false;
        // RFC 7643 §2.4: a multi-valued attribute is a JSON array.
        self.single_object_for_multi_valued_accepted = false;
    }

    /// What one fault changes. Each arm says which requirement the fault breaks (as `--list-faults`
    /// describes it); the match is exhaustive, so a new fault cannot be left without a behaviour.
    fn break_with(&mut self, fault: Fault) {
        match fault {
            // RFC 7643 §4.1: userName is caseExact false.
            Fault::CaseSensitiveUserName => self.user_name_case_exact = true,
            // RFC 7644 §3.4.2.4: startIndex and count page the answer.
            Fault::IgnorePagination => self.paginate = false,
            // RFC 7644 §3.4.2.4: startIndex is 1-based.
            Fault::ZeroBasedStartIndex => self.start_index_origin = 0,
            // RFC 7644 §3.4.2: totalResults counts every match.
            Fault::TotalResultsIsPageSize => self.total_results = TotalResults::PageSize,
            // RFC 7644 §3.4.2.4: pages of one result set neither miss nor repeat resources.
            Fault::UnstableOrder => self.stable_order = false,
            // RFC 7644 §3.5.2: a value filter in a path selects the values to change.
            Fault::DropValuePathPatch => self.filtered_path_ops_applied = false,
            // Entra E-Q3: remove on `members` with a value array removes only the listed members.
            Fault::RemoveAllMembers => self.remove_value_selects = false,
            // RFC 7644 §3.5.2: a PATCH is atomic.
            Fault::PatchNotAtomic => self.patch_atomic = false,
            // Entra E-Q1: `Add`/`Replace`.
            Fault::RejectPascalCaseOps => self.op_any_case = false,
            // Entra E-Q2: `"False"` for a boolean.
            Fault::RejectStringBooleans => self.string_booleans = false,
            // RFC 7644 §3.12: an Error's `status` is a string.
            Fault::NumericErrorStatus => self.error_status = Encoding::Number,
            // RFC 7644 §3.1: answers are application/scim+json.
            Fault::JsonContentType => self.content_type = "application/json",
            // RFC 7644 §3.14: a stale If-Match gets 412.
            Fault::IgnoreIfMatch => self.if_match_checked = false,
            // RFC 7644 §3.14: the version changes with the resource.
            Fault::VersionNeverChanges => self.versions_move = false,
            // Entra E-Q14: inactive users stay visible.
            Fault::HideInactiveUsers => self.inactive_users_listed = false,
            // RFC 7644 §3.4.2, Entra Test Connection: no match is 200 with totalResults 0.
            Fault::FilterNoMatch404 => self.no_match_is_empty_list = false,
            // RFC 7644 §3.3: 201 carries Location.
            Fault::NoLocationHeader => self.location_header = false,
            // RFC 7644 §3.3: a create answers 201.
            Fault::CreateReturns200 => self.created_status = StatusCode::OK,
            // RFC 7643 §4.1: userName is unique.
            Fault::DuplicateUserNames => self.user_names_unique = false,
            // RFC 7643 §4.1: password is returned never.
            Fault::ReturnPassword => self.password_returned = true,
            // RFC 7644 §3.9, Entra E-Q12: excludedAttributes leaves attributes out.
            Fault::IgnoreExcludedAttributes => self.excluded_attributes_honoured = false,
            // RFC 7644 §3.6: a deleted resource leaves its groups.
            Fault::DeleteKeepsMemberships => self.delete_leaves_groups = false,
            // RFC 7644 §3.4.2.2: `and` binds tighter than `or`.
            Fault::AndOrPrecedence => self.and_binds_tighter = false,
            // RFC 7644 §3.4.2.2: `not` negates.
            Fault::NotIgnored => self.not_honoured = false,
            // RFC 7644 §3.4.2.2: dateTime comparisons are chronological.
            Fault::DateTimeAsString => self.datetime_filters_compare_instants = false,
            // RFC 7644 §3.5.1: PUT to an unknown id is 404.
            Fault::PutUpserts => self.put_creates_unknown = true,
            // RFC 7643 §3: `schemas` lists the extensions in use.
            Fault::ExtensionNotInSchemas => self.extension_in_schemas = false,
            // Entra E-Q4: `"$ref": null` on a member is accepted.
            Fault::RejectNullRef => self.null_member_ref_accepted = false,
            // Entra E-Q5: keys of a path-less value are paths.
            Fault::PathlessKeysLiteral => self.pathless_keys_are_paths = false,
            // Entra E-Q6: unknown query parameters are ignored.
            Fault::RejectUnknownQueryParams => self.unknown_query_params_refused = true,
            // Entra E-Q8: requests without an Accept header are served.
            Fault::RequireScimAccept => self.scim_accept_required = true,
            // Entra E-Q9: `; charset=utf-8` is accepted.
            Fault::RejectCharset => self.media_type_parameters_accepted = false,
            // Entra E-Q11: an unknown schema URN is not refused in compat mode.
            Fault::RejectUnknownSchemaUrn => self.unknown_schema_urns_refused = true,
            // Entra E-Q22: a filtered write with no match creates the value.
            Fault::FilteredWriteNoTarget => self.filtered_write_creates = false,
            // Entra E-Q24: a one-element array for `manager` is accepted.
            Fault::RejectManagerArray => self.single_value_array = false,
            // Okta O-Q12: an unchanged `id` in a path-less value is ignored.
            Fault::RejectUnchangedId => self.unchanged_readonly_ignored = false,
            // Okta O-Q8, RFC 7643 §2.2: readOnly attributes on PUT are ignored.
            Fault::PutRejectsReadOnly => self.put_read_only_ignored = false,
            // Okta O-Q9: `null` unassigns, it does not crash.
            Fault::NullIs500 => self.null_attribute_crashes = true,
            // Okta O-Q23: `application/json` bodies are accepted.
            Fault::RejectApplicationJson => self.application_json_accepted = false,
            // Okta O-Q6: a create answers the created resource.
            Fault::EmptyCreateBody => self.create_answers_resource = false,
            // Okta O-Q14: `replace members []` empties the group.
            Fault::IgnoreEmptyMemberReplace => self.empty_member_replace_applied = false,
            // Okta O-Q3: paging fields are integers.
            Fault::StringPagingFields => self.paging_fields = Encoding::String,
            // Okta O-Q10, Entra E2-UU: path-less operations are applied.
            Fault::IgnorePathlessOps => self.pathless_ops_applied = false,
            // Entra E-Q21: `""` unassigns.
            Fault::StoreEmptyStrings => self.empty_string_unassigns = false,
            // Entra E-Q17, E-Q23: Entra's filter dialect is accepted.
            Fault::StrictFilterDialect => self.filter_dialect = Dialect::Strict,
            // Entra E-Q19: phone numbers read back as written.
            Fault::NormalizePhoneNumbers => self.phone_numbers_as_written = false,
            // Entra E-Q29, Okta O-Q20: a configured token is checked.
            Fault::AcceptAnyToken => self.credentials_checked = false,
            // Entra E-Q32: an unknown id is 404.
            Fault::UnknownId200 => self.unknown_id_not_found = false,
            // Entra E-Q28: more than 50 members in one operation are accepted.
            Fault::MemberLimit => self.members_per_operation = Some(50),
            // RFC 7644 §3.4.2: itemsPerPage counts the resources returned.
            Fault::ItemsPerPageIsCount => self.items_per_page = ItemsPerPage::Requested,
            // RFC 7644 §3.6: deleted resources are omitted from query results.
            Fault::SoftDelete => self.deleted_stay_listed = true,
            // RFC 7643 §5: features are `{"supported": b}` objects.
            Fault::BareBooleanSpc => self.spc_feature_objects = false,
            // RFC 7643 §2.3.1: strings are Unicode.
            Fault::MangleNonAscii => self.strings_keep_unicode = false,
            // RFC 7643 §4.2: a Group's displayName is caseExact false.
            Fault::CaseSensitiveDisplayName => self.group_display_name_case_exact = true,
            // RFC 7644 §3.5.2.2: remove of a single-valued attribute removes it.
            Fault::RemoveKeepsSingleValued => self.single_valued_remove_applied = false,
            // RFC 7643 §3.1: meta.created and meta.lastModified.
            Fault::GroupMetaWithoutTimestamps => self.group_meta_timestamps = false,
            // RFC 7643 §3.1: lastModified equals created until a modification.
            Fault::LastModifiedBeforeCreated => self.created_last_modified_offset_secs = -3600,
            // RFC 7643 §3.1, RFC 3986 §3: meta.location is a URI.
            Fault::RelativeMetaLocation => self.absolute_locations = false,
            // Not a bug: a server may require name.formatted; the harness must adapt.
            Fault::RequireNameFormatted => self.name_formatted_required = true,
            // Not a bug: a server may declare a smaller User schema; the harness must adapt.
            Fault::MinimalUserSchema => self.minimal_user_schema = true,
            // ----- onelogin (issue 15) -----
            // OneLogin OL-Q1: unset placeholders arrive as `""`.
            Fault::RejectEmptyStrings => self.empty_strings_accepted = false,
            // OneLogin OL-Q2: `emails` as one object.
            Fault::RejectMultiValuedObject => self.single_object_for_multi_valued_accepted = false,
            // OneLogin OL-Q3, RFC 7643 §2.4: `primary` is optional.
            Fault::DropEmailsWithoutPrimary => self.emails_without_primary_kept = false,
            // OneLogin OL-Q4: legacy URNs only, never a 5xx.
            Fault::MissingCoreUrnCrashes => self.missing_core_urn_handled = false,
            // OneLogin OL-Q5: a trailing `&`.
            Fault::RejectEmptyQuerySegment => self.empty_query_segments_refused = true,
            // OneLogin OL-Q6, RFC 3986 §3.3: a trailing `?` ends the path.
            Fault::QuestionMarkInId => self.empty_query_ignored = false,
            // OneLogin OL-Q7, RFC 7644 §3.3: readOnly `groups` on create is ignored.
            Fault::RejectGroupsOnCreate => self.create_ignores_groups = false,
            // OneLogin OL-Q8: an empty User-Agent.
            Fault::RejectEmptyUserAgent => self.empty_user_agent_accepted = false,
            // ----- jumpcloud (issue 15) -----
            // RFC 7644 §3.6, JumpCloud JC-Q1: a deleted group's name can be taken again.
            Fault::GroupNameReservedAfterDelete => self.deleted_group_names_released = false,
            // RFC 7644 §3.5.2, JumpCloud JC-Q3: a PATCH's operations apply in sequence.
            Fault::PatchOpsMergeByAttribute => self.user_patch_ops_in_sequence = false,
            // ----- ping (issue 15) -----
            // RFC 7644 §3.4.2.2, Ping PI-Q1: attribute names in filters are case insensitive.
            Fault::CaseSensitiveFilterNames => self.filter_names_any_case = false,
            // Ping PI-Q2: a filter on no attribute is 400 invalidFilter, not an empty list.
            Fault::UnknownFilterAttributeMatchesNothing => self.unknown_filter_attributes_refused = false,
            // Ping PI-Q3: `emails eq "x"` compares the `value` sub-attribute. In a run with generated checks
            // the IdP profiles' `properties::filters` fail too: a generated filter may join such a comparison
            // with Entra's `emails[type eq "work"].value eq`, whose refusal they do not count as declined (E-Q17).
            Fault::RefuseComplexAttributeFilter => self.complex_filters_compare_value = false,
            // RFC 7644 §3.5.1, Ping PI-Q4: PUT replaces the user.
            Fault::PutMerges => self.put_replaces = false,
            // RFC 7644 §3.4.2.4, Ping PI-Q5: startIndex pages the group list.
            Fault::GroupListFirstPageOnly => self.group_lists_paged = false,
            // Ping PI-Q6: a user created with active false stays disabled.
            Fault::CreateIgnoresActive => self.created_active_kept = false,
            // ----- google-workspace / rippling (issue 15) -----
            // Rippling RP-Q1, RFC 7644 §4: /ServiceProviderConfig is served.
            Fault::NoServiceProviderConfig => self.spc_served = false,

            // ----- entra-gallery / okta spec (issue 15) -----
            // Entra E-Q34: the attributes stored are declared in /Schemas.
            Fault::SchemasOmitMappedAttributes => self.schemas_list_every_attribute = false,
            // Entra E-Q35: a server that enforces canonical values declares them.
            Fault::UndeclaredLanguageValues => self.preferred_language_free = false,
            // Entra E-Q21, E-Q36: a replace with an empty value is applied.
            Fault::IgnoreEmptyReplace => self.empty_replace_applied = false,
            // Okta SPEC #10: GET /Groups within 600 ms.
            Fault::SlowGroupList => self.group_list_delay_ms = 700,
            // ----- okta governance (issue 15) -----
            // Okta O-Q27: assigned entitlements are stored.
            Fault::DropUserEntitlements => self.user_entitlements_stored = false,
            // ----- oauth (issue 16) -----
            // RFC 7519 §4.1.4: an expired access token is refused.
            Fault::OAuthExpiredTokenAccepted => self.oauth_expiry_checked = false,
            // RFC 8725 §3.1: an unsecured JWT is refused.
            Fault::OAuthAlgNoneAccepted => self.oauth_alg_none_refused = false,
            // RFC 7519 §4.1.3: a token for another audience is refused.
            Fault::OAuthAudienceIgnored => self.oauth_audience_checked = false,
            // RFC 7515 §5.2: the signature is verified with the server's key.
            Fault::OAuthSignatureUnchecked => self.oauth_signature_checked = false,
            // RFC 6749 §2.3.1: the client secret is compared.
            Fault::OAuthAnyClientSecret => self.oauth_client_secret_checked = false,
            // Entra §10.1: tokens live 60 min to 6 h.
            Fault::OAuthShortTokens => self.oauth_token_lifetime_secs = Some(300),
            // RFC 7523 §3 item 4: an expired assertion is refused.
            Fault::OAuthExpiredAssertionAccepted => self.oauth_assertion_expiry_checked = false,
            // RFC 7523 §3 item 3: an assertion for another audience is refused.
            Fault::OAuthAssertionAudienceIgnored => self.oauth_assertion_audience_checked = false,
            // RFC 7523 §3 item 9: the assertion's signature is verified with the trusted key.
            Fault::OAuthAssertionSignatureUnchecked => self.oauth_assertion_signature_checked = false,
            // RFC 6749 §5.1: token answers are not stored.
            Fault::OAuthTokenCacheable => self.oauth_token_answer_not_stored = false,
            // ----- load (issue 17) -----
            // RFC 6585 §4: a 429 may say how long to wait; a client that is told never guesses.
            Fault::RateLimitWithoutRetryAfter => self.rate_limit_retry_after = false,
            // ----- concurrency and large groups (issue 17) -----
            // RFC 7644 §3.5.2: a Group PATCH reads and writes as one.
            Fault::LostConcurrentMemberUpdate => {
                // Wide enough that simultaneous PATCHes all read before any writes, even on a loaded machine
                // where a debug build holds the write lock for tens of milliseconds per 1,000-member group.
                self.group_patch_stale_read_ms = Some(25)
            }
            // RFC 7644 §3.5.2.1: every added member is kept.
            Fault::MembersCappedAt100 => self.group_member_cap = Some(100),
            // RFC 7644 §3.4.2.2: a groups.value filter selects every member.
            Fault::MembersMissingFromGroupsFilter => self.groups_filter_limit = Some(100),
        }
    }

    /// The PATCH engine's options: the mode's, with the tolerances above.
    pub fn patch_options(&self) -> PatchOptions {
        let mut options = PatchOptions::new(self.patch_mode);
        let t = &mut options.tolerances;
        t.op_any_case = self.op_any_case;
        t.string_booleans = self.string_booleans;
        t.pathless_keys_are_paths = self.pathless_keys_are_paths;
        t.remove_value_selects = self.remove_value_selects;
        t.filtered_write_creates = self.filtered_write_creates;
        t.unchanged_readonly_ignored = self.unchanged_readonly_ignored;
        t.empty_string_unassigns = self.empty_string_unassigns;
        t.single_value_array = self.single_value_array;
        options
    }

    /// How filters are evaluated.
    pub fn eval_options(&self) -> EvalOptions {
        let unknown_attributes =
            if self.unknown_filter_attributes_refused { UnknownAttributes::Error } else { UnknownAttributes::NoMatch };
        EvalOptions { dialect: self.filter_dialect, unknown_attributes, ..EvalOptions::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(mode: ServerMode, faults: &[Fault]) -> Behaviour {
        Behaviour::new(mode, &faults.iter().copied().collect())
    }

    #[test]
    fn no_fault_is_the_correct_behaviour_in_both_modes() {
        let compat = with(ServerMode::Compat, &[]);
        assert_eq!(compat, Behaviour::correct());
        assert_eq!(compat.patch_options(), PatchOptions::new(Mode::Compat));
        assert_eq!(compat.eval_options().dialect, Dialect::Compat);
        let strict = with(ServerMode::Strict, &[]);
        assert_eq!(strict.patch_options(), PatchOptions::new(Mode::Rfc));
        assert_eq!(strict.eval_options().dialect, Dialect::Strict);
        // A fault does in strict mode what it does in compat mode, or nothing more.
        for &fault in Fault::ALL {
            let in_compat = with(ServerMode::Compat, &[fault]).differences(&compat);
            for field in with(ServerMode::Strict, &[fault]).differences(&strict) {
                assert!(in_compat.contains(&field), "`{fault}` changes `{field}` only in strict mode");
            }
        }
    }

    #[test]
    fn each_fault_changes_its_own_flags_and_only_those() {
        let correct = Behaviour::correct();
        let mut owner: std::collections::BTreeMap<&str, Fault> = std::collections::BTreeMap::new();
        for &fault in Fault::ALL {
            let changed = with(ServerMode::Compat, &[fault]).differences(&correct);
            assert!(!changed.is_empty(), "fault `{fault}` changes no behaviour");
            for field in changed {
                if let Some(other) = owner.insert(field, fault) {
                    panic!("faults `{other}` and `{fault}` both change `{field}`");
                }
            }
        }
        // Together they change exactly the union, each field as its own fault sets it.
        let all = with(ServerMode::Compat, Fault::ALL);
        assert_eq!(all.differences(&correct).len(), owner.len());
        for (field, fault) in owner {
            let alone = with(ServerMode::Compat, &[fault]);
            assert!(!all.differences(&alone).contains(&field), "`{field}` differs with every fault on");
        }
    }
}
