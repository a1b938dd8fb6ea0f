//! Deliberate, realistic server bugs, switched on with `scimtest serve --fault NAME`. They exist so that
//! the harness can prove each of its checks fails on the bug it is about. Off, the server is right.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($($variant:ident => $name:literal : $description:literal,)+) => {
        /// A deliberate bug.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault { $($variant,)+ }

        impl Fault {
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)+];

            /// The name given to `--fault`.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)+ }
            }

            /// What the bug does, and what a correct server does instead.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => $description,)+ }
            }
        }
    };
}

faults! {
    CaseSensitiveUserName => "case-sensitive-username":
        "userName is compared case-sensitively in filters and uniqueness checks (RFC 7643 §4.1: caseExact false)",
    IgnorePagination => "ignore-pagination":
        "startIndex and count are ignored: every list answer is the whole result set",
    ZeroBasedStartIndex => "zero-based-start-index":
        "startIndex is read as 0-based, so startIndex=1 skips the first resource (RFC 7644 §3.4.2.4: 1-based)",
    TotalResultsIsPageSize => "total-results-page-size":
        "totalResults counts the resources on the page instead of all matches",
    UnstableOrder => "unstable-order":
        "list order depends on the page size, so paging with different counts misses or repeats resources",
    DropValuePathPatch => "drop-value-path-patch":
        "PATCH operations whose path has a value filter (emails[type eq \"work\"].value) are silently dropped",
    RemoveAllMembers => "remove-all-members":
        "remove on `members` with a value array removes every member, not only the listed ones (Entra E-Q3)",
    PatchNotAtomic => "patch-not-atomic":
        "when a PATCH operation fails, the operations before it stay applied (RFC 7644 §3.5.2: atomic)",
    RejectPascalCaseOps => "reject-pascal-case-ops":
        "PATCH op names are matched case-sensitively, so Entra's `Add`/`Replace` get 400 (E-Q1)",
    RejectStringBooleans => "reject-string-booleans":
        "`\"False\"` for a boolean is rejected, so Entra's deactivation fails (E-Q2)",
    NumericErrorStatus => "numeric-error-status":
        "error bodies carry `status` as a JSON number instead of a string (RFC 7644 §3.12)",
    JsonContentType => "json-content-type":
        "responses are labelled application/json instead of application/scim+json (RFC 7644 §3.1)",
    IgnoreIfMatch => "ignore-if-match":
        "If-Match is ignored, so a stale version overwrites newer data instead of 412 (RFC 7644 §3.14)",
    VersionNeverChanges => "version-never-changes":
        "meta.version and the ETag stay the same after a modification",
    HideInactiveUsers => "hide-inactive-users":
        "users with active=false disappear from lists and filters (Entra E-Q14: they must stay visible)",
    FilterNoMatch404 => "filter-no-match-404":
        "a filter that matches nothing answers 404 instead of 200 with totalResults 0 (Entra Test Connection)",
    NoLocationHeader => "no-location-header":
        "201 Created answers carry no Location header (RFC 7644 §3.3)",
    CreateReturns200 => "create-returns-200":
        "POST answers 200 instead of 201 Created",
    DuplicateUserNames => "duplicate-usernames":
        "a second user with an existing userName is created instead of 409 uniqueness",
    ReturnPassword => "return-password":
        "the password sent on create is returned in responses (RFC 7643 §4.1: returned never)",
    IgnoreExcludedAttributes => "ignore-excluded-attributes":
        "excludedAttributes is ignored, so groups are returned with members (Entra E-Q12)",
    DeleteKeepsMemberships => "delete-keeps-memberships":
        "deleting a user leaves it in the members of its groups",
    AndOrPrecedence => "and-or-precedence":
        "`and` and `or` are applied left to right, so `a or b and c` reads as `(a or b) and c`",
    NotIgnored => "not-ignored":
        "`not (f)` is evaluated as `f`",
    DateTimeAsString => "datetime-as-string":
        "dateTime filters compare text, not instants, so values with other offsets order wrongly",
    PutUpserts => "put-upserts":
        "PUT to an unknown id creates the resource instead of 404 (RFC 7644 §3.5.1)",
    ExtensionNotInSchemas => "extension-not-in-schemas":
        "the enterprise extension URN is left out of `schemas` when a user has extension data (RFC 7643 §3)",
    RejectNullRef => "reject-null-ref":
        "a member written with `\"$ref\": null` is refused with 400 (Entra E-Q4 sends it)",
    PathlessKeysLiteral => "pathless-keys-literal":
        "keys of a path-less PATCH value such as `name.givenName` are not read as paths: 400 (Entra E-Q5)",
    RejectUnknownQueryParams => "reject-unknown-query-params":
        "an unknown query parameter (Entra's `aadOptscim062020`) is refused with 400 (Entra E-Q6)",
    RequireScimAccept => "require-scim-accept":
        "a request without `Accept: application/scim+json` gets 406 (Entra E-Q8 sends none)",
    RejectCharset => "reject-charset":
        "a body typed `application/scim+json; charset=utf-8` gets 415 (Entra E-Q9)",
    RejectUnknownSchemaUrn => "reject-unknown-schema-urn":
        "a create listing a schema URN the server does not know gets 400, also in compat mode (Entra E-Q11)",
    FilteredWriteNoTarget => "filtered-write-no-target":
        "`add` on `phoneNumbers[type eq \"mobile\"].value` with no mobile phone gets 400 noTarget (Entra E-Q22)",
    RejectManagerArray => "reject-manager-array":
        "a one-element array written to the single-valued `manager` is refused (Entra E-Q24)",
    RejectUnchangedId => "reject-unchanged-id":
        "a path-less PATCH value carrying the resource's own `id` gets 400 mutability (Okta O-Q12)",
    PutRejectsReadOnly => "put-rejects-read-only":
        "a PUT body carrying readOnly attributes (`id`, `meta`, `groups`) is refused instead of ignored (Okta O-Q8)",
    NullIs500 => "null-is-500":
        "an attribute sent as `null` on POST or PUT crashes the handler: 500 (Okta O-Q9, Sigma's `userType`)",
    RejectApplicationJson => "reject-application-json":
        "a body typed `application/json` gets 415 (Okta O-Q23)",
    EmptyCreateBody => "empty-create-body":
        "POST answers 201 with an empty body (Okta O-Q6: \"Create new user returned empty user\")",
    IgnoreEmptyMemberReplace => "ignore-empty-member-replace":
        "`replace members []` changes nothing instead of emptying the group (Okta O-Q14)",
    StringPagingFields => "string-paging-fields":
        "totalResults, startIndex and itemsPerPage are JSON strings (Okta O-Q3: they must be integers)",
    IgnorePathlessOps => "ignore-pathless-ops":
        "PATCH operations without a path are silently ignored, as Microsoft's reference code does (Okta O-Q10, Entra E2-UU)",
    StoreEmptyStrings => "store-empty-strings":
        "`\"\"` written to an attribute is stored as a value instead of unassigning it (Entra E-Q21)",
    StrictFilterDialect => "strict-filter-dialect":
        "filters only in the RFC grammar: Entra's `emails[type eq \"work\"].value eq` and `primary eq \"True\"` get 400 (E-Q17, E-Q23)",
    NormalizePhoneNumbers => "normalize-phone-numbers":
        "phone numbers are stored reformatted to digits (`+1 (425) 555-0100` → `+14255550100`), so what the IdP wrote does not read back (Entra E-Q19)",
    AcceptAnyToken => "accept-any-token":
        "a configured bearer token is not checked: any or no Authorization is accepted (Entra E-Q29, Okta O-Q20)",
    UnknownId200 => "unknown-id-200":
        "GET of an unknown id answers 200 with an empty body instead of 404 (Entra E-Q32)",
    MemberLimit => "member-limit-50":
        "a PATCH adding more than 50 members in one operation is refused with 400 (Entra E-Q28)",
    ItemsPerPageIsCount => "items-per-page-is-count":
        "itemsPerPage holds the page size asked for (or the default), not the number of resources returned (RFC 7644 §3.4.2)",
    SoftDelete => "soft-delete":
        "DELETE answers 204 and the resource answers 404, but lists still return it (RFC 7644 §3.6: omitted from query results)",
    BareBooleanSpc => "bare-boolean-spc":
        "the ServiceProviderConfig says `\"patch\": true` instead of `{\"supported\": true}` (RFC 7643 §5)",
    MangleNonAscii => "mangle-non-ascii":
        "strings go through a Latin-1 column: characters beyond it (CJK, emoji) come back as `?` (RFC 7643 §2.3.1: Unicode)",
    CaseSensitiveDisplayName => "case-sensitive-display-name":
        "a Group's displayName is compared case-sensitively in filters (RFC 7643 §4.2: caseExact false)",
    RemoveKeepsSingleValued => "remove-keeps-single-valued":
        "PATCH `remove` of a single-valued attribute answers 200 and removes nothing (RFC 7644 §3.5.2.2)",
    GroupMetaWithoutTimestamps => "group-meta-without-timestamps":
        "Groups carry no meta.created or meta.lastModified (RFC 7643 §3.1)",
    LastModifiedBeforeCreated => "last-modified-before-created":
        "a new resource's meta.lastModified is an hour before its meta.created (RFC 7643 §3.1: the same until it is modified)",
    RelativeMetaLocation => "relative-meta-location":
        "meta.location (and Location) is a path such as `/scim/v2/Users/<id>`, not a URI (RFC 7643 §3.1; RFC 3986 §3)",
    RequireNameFormatted => "require-name-formatted":
        "not a bug, a choice the harness must adapt to: the User schema marks `name` and `name.formatted` required, and a user without them is refused with 400",
    MinimalUserSchema => "minimal-user-schema":
        "not a bug, a choice the harness must adapt to: the User schema declares no nickName and no enterprise extension, and a user carrying them is refused with 400",
    // ----- onelogin (issue 15) -----
    RejectEmptyStrings => "reject-empty-strings":
        "a POST or PUT holding \"\" for any attribute is refused with 400, so OneLogin's unset template placeholders fail every create (OneLogin OL-Q1)",
    RejectMultiValuedObject => "reject-multi-valued-object":
        "a multi-valued attribute written as one JSON object on POST or PUT (`\"emails\": {…}`) is refused with 400 (OneLogin OL-Q2; RFC 7643 §2.4 wants an array, so strict mode refuses it too)",
    DropEmailsWithoutPrimary => "drop-emails-without-primary":
        "on POST and PUT, emails are stored only when one is marked primary, so emails without `primary` vanish (OneLogin OL-Q3; RFC 7643 §2.4: primary is optional)",
    MissingCoreUrnCrashes => "missing-core-urn-crashes":
        "a POST or PUT whose `schemas` lacks the resource's core URN (OneLogin's legacy urn:scim:schemas:core:2.0) crashes with 500 instead of being ignored or refused with 400 (OneLogin OL-Q4)",
    RejectEmptyQuerySegment => "reject-empty-query-segment":
        "a query string with an empty segment (OneLogin's trailing `&` in `filter=…&`) is refused with 400 (OneLogin OL-Q5)",
    QuestionMarkInId => "question-mark-in-id":
        "PUT /Users/{id}? is routed on the raw request-target, so the empty query makes the id unknown: 404 (OneLogin OL-Q6; RFC 3986 §3.3: the path ends at `?`)",
    RejectGroupsOnCreate => "reject-groups-on-create":
        "a POST /Users with a non-empty `groups` (OneLogin's roles) is refused with 400 instead of ignored (OneLogin OL-Q7; RFC 7644 §3.3: readOnly values SHALL be ignored)",
    RejectEmptyUserAgent => "reject-empty-user-agent":
        "a request whose User-Agent is empty or missing is refused with 403, as a firewall rule might (OneLogin OL-Q8 sends it empty)",

    // ----- jumpcloud (issue 15) -----
    GroupNameReservedAfterDelete => "group-name-reserved-after-delete":
        "a deleted group's displayName stays reserved: a new group of that name gets 409 (RFC 7644 §3.6: a deleted resource SHOULD NOT count in conflict calculation; JumpCloud JC-Q1 re-creates its test group on every Test Connection)",
    PatchOpsMergeByAttribute => "patch-ops-merge-by-attribute":
        "each operation of a user PATCH is applied to the stored user on its own and the results merged attribute by attribute, so of `replace name.givenName` and `replace name.familyName` in one request only the last lands (RFC 7644 §3.5.2: operations apply in sequence; JumpCloud JC-Q3 sends one operation per attribute)",

    // ----- ping (issue 15) -----
    CaseSensitiveFilterNames => "case-sensitive-filter-names":
        "filter attribute names must be spelled as the schema spells them: `username Eq \"x\"` gets 400 invalidFilter (RFC 7644 §3.4.2.2: names and operators are case insensitive; Ping PI-Q1)",
    UnknownFilterAttributeMatchesNothing => "unknown-filter-attribute-matches-nothing":
        "a filter naming no attribute of the schema (Ping's template `email Co \"x\"`) answers 200 with no results instead of 400 invalidFilter, so Ping creates a twin instead of reporting its template (Ping PI-Q2)",
    RefuseComplexAttributeFilter => "refuse-complex-attribute-filter":
        "a comparison on a complex attribute without a sub-attribute (PingFederate's `emails eq \"x\"`) gets 400 invalidFilter instead of comparing `value` (Ping PI-Q3; RFC 7644 §3.4.2.2's own `emails co` examples)",
    PutMerges => "put-merges":
        "PUT /Users keeps the attributes its body leaves out instead of replacing the user (RFC 7644 §3.5.1; Ping PI-Q4 updates users only with PUT)",
    GroupListFirstPageOnly => "group-list-first-page-only":
        "GET /Groups ignores startIndex: every page is the first, so a client walking the pages (Ping PI-Q5) never sees the later groups (RFC 7644 §3.4.2.4)",
    CreateIgnoresActive => "create-ignores-active":
        "POST /Users stores `active: true` whatever the body says, so a user created disabled comes out enabled (Ping PI-Q6)",

    // ----- google-workspace / rippling (issue 15) -----
    NoServiceProviderConfig => "no-service-provider-config":
        "GET /ServiceProviderConfig answers 404, so Rippling's Test Connection fails (Rippling RP-Q1; RFC 7644 §4: the endpoint is served)",

    // ----- entra-gallery / okta spec (issue 15) -----
    SchemasOmitMappedAttributes => "schemas-omit-mapped-attributes":
        "/Schemas leaves `preferredLanguage` and `addresses` out of the User schema, though users store them (Entra E-Q34: every mapped attribute is discoverable)",
    UndeclaredLanguageValues => "undeclared-language-values":
        "`preferredLanguage` outside en, fr, de gets 400 \"is not one of the canonical values\", and /Schemas declares no canonicalValues (Entra E-Q35)",
    IgnoreEmptyReplace => "ignore-empty-replace":
        "a PATCH replace whose value is `\"\"` or `{\"value\": \"\"}` is skipped, so the old value stays (Entra E-Q21, E-Q36: the gallery's null update and manager removal)",
    SlowGroupList => "slow-group-list":
        "GET /Groups answers after 700 ms (Okta SPEC #10: within 600 ms)",

    // ----- okta governance (issue 15) -----
    DropUserEntitlements => "drop-user-entitlements":
        "a User's `entitlements` are silently not stored, so Okta Identity Governance's assignments are lost (Okta O-Q27; RFC 7643 §4.1.2: a readWrite attribute)",

    // ----- oauth (issue 16): `scimtest serve --oauth` -----
    OAuthExpiredTokenAccepted => "oauth-expired-token-accepted":
        "with --oauth, SCIM accepts an access token whose `exp` has passed (RFC 7519 §4.1.4: it MUST NOT be accepted on or after exp; RFC 6750 §3.1: invalid_token)",
    OAuthAlgNoneAccepted => "oauth-alg-none-accepted":
        "with --oauth, SCIM accepts an unsecured JWT (`alg: none`) whose claims are right (RFC 8725 §3.1, RFC 7519 §6: an unsecured JWT is no access token)",
    OAuthAudienceIgnored => "oauth-audience-ignored":
        "with --oauth, SCIM accepts an access token issued for another resource: `aud` is not checked (RFC 7519 §4.1.3: MUST be rejected when aud does not name it; RFC 8707 §2)",
    OAuthSignatureUnchecked => "oauth-signature-unchecked":
        "with --oauth, SCIM checks neither the access token's signature nor its `kid`, so a token signed by any key or with a changed payload is accepted (RFC 7515 §5.2; RFC 6750 §3.1)",
    OAuthAnyClientSecret => "oauth-any-client-secret":
        "the token endpoint accepts any client_secret for a known client_id (RFC 6749 §2.3.1, §5.2: invalid_client)",
    OAuthShortTokens => "oauth-short-tokens":
        "access tokens are issued for 5 minutes (Entra §10.1, Validate_Credentials_Test: 60 min to 6 h)",
    OAuthExpiredAssertionAccepted => "oauth-expired-assertion-accepted":
        "the token endpoint accepts an RFC 7523 client assertion whose `exp` has passed (RFC 7523 §3 item 4, §3.2: invalid_client)",
    OAuthAssertionAudienceIgnored => "oauth-assertion-audience-ignored":
        "the token endpoint accepts a client assertion whose `aud` names another server (RFC 7523 §3 item 3: MUST be rejected)",
    OAuthAssertionSignatureUnchecked => "oauth-assertion-signature-unchecked":
        "the token endpoint neither looks up a client assertion's `kid` nor verifies its signature, so an assertion signed by any key is accepted (RFC 7523 §3 item 9, §3.2: invalid_client)",
    OAuthTokenCacheable => "oauth-token-cacheable":
        "token answers come without `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1: MUST)",

    // ----- load (issue 17) -----
    RateLimitWithoutRetryAfter => "rate-limit-without-retry-after":
        "with a rate limit (serve --rate-limit N), the 429 carries no Retry-After, so a client cannot tell how long to wait (RFC 6585 §4, RFC 9110 §10.2.3; `scimtest load` reports it)",
    // ----- concurrency and large groups (issue 17) -----
    LostConcurrentMemberUpdate => "lost-concurrent-member-update":
        "a Group PATCH reads the group, waits 25 ms, then writes its change over what it read, so concurrent member adds lose members (RFC 7644 §3.5.2: a PATCH is applied atomically)",
    MembersCappedAt100 => "members-capped-at-100":
        "a Group keeps at most 100 members: members added beyond are dropped and the write still succeeds (RFC 7644 §3.5.2.1: add appends the members; Entra E-AM and Okta O-MG grow groups past 100)",
    MembersMissingFromGroupsFilter => "members-missing-from-groups-filter":
        "GET /Users?filter=groups.value eq \"<id>\" finds only a group's first 100 members: the others are missing from totalResults and from every page (RFC 7644 §3.4.2.2: a filter on a multi-valued attribute matches a resource if any of its values match; RFC 7643 §4.1.2: `groups` lists the groups the user belongs to)",

}

impl Fault {
    /// Whether the "fault" is a legitimate server choice: the RFC profile must adapt to it (skip what the
    /// server does not declare) and fail nothing, rather than catch it.
    pub fn is_variant(self) -> bool {
        matches!(self, Fault::MinimalUserSchema | Fault::RequireNameFormatted)
    }
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fault `{s}`; `scimtest serve --list-faults` lists them"))
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
