//! Every deliberate bug of the reference server is real: for each `Fault`, a probe that the clean server
//! passes fails on a server with that fault switched on. This is what lets the harness later prove that
//! each of its checks can fail.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use scimtest::server::{Fault, ServerConfig, app, state};
use scimtest::value::DateTime;
use serde_json::{Value, json};
use tower::ServiceExt;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROBE_TOKEN: &str = "probe-token";

/// The router, and the faults it was built with (the `oauth-*` probes build an `--oauth` server with them).
struct Server(Router, Vec<Fault>);

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Server {
    fn new(faults: &[Fault]) -> Server {
        let config = ServerConfig {
            token: Some(PROBE_TOKEN.into()),
            faults: faults.iter().copied().collect(),
            ..ServerConfig::default()
        };
        Server(app(state(config)), faults.to_vec())
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(format!("/scim/v2{path}")).header("host", "test");
        // The token goes with every call unless the probe sets `authorization` itself ("" sends none).
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")) {
            request = request.header("authorization", format!("Bearer {PROBE_TOKEN}"));
        }
        for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
            request = request.header(*k, *v);
        }
        let typed = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let body = match body {
            Some(b) => {
                if !typed {
                    request = request.header("content-type", "application/scim+json");
                }
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let response = self.0.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        Answer { status: parts.status, headers: parts.headers, body }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None, &[]).await
    }

    async fn user(&self, body: Value) -> String {
        let a = self.call(Method::POST, "/Users", Some(body.clone()), &[]).await;
        assert!(a.status.is_success(), "create user: {} {}", a.status, a.body);
        match a.body["id"].as_str() {
            Some(id) => id.to_string(),
            // A server that answers an empty body (a fault): find the user by its name.
            None => {
                let name = body["userName"].as_str().unwrap();
                let list = self.get(&format!("/Users?filter=userName%20eq%20%22{name}%22")).await.body;
                list["Resources"][0]["id"].as_str().unwrap().to_string()
            }
        }
    }

    async fn named(&self, user_name: &str) -> String {
        self.user(json!({"schemas": [USER], "userName": user_name})).await
    }

    async fn group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let a = self
            .call(
                Method::POST,
                "/Groups",
                Some(json!({"schemas": [GROUP], "displayName": name, "members": members})),
                &[],
            )
            .await;
        assert!(a.status.is_success(), "create group: {} {}", a.status, a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    async fn patch(&self, path: &str, ops: Value) -> Answer {
        self.call(Method::PATCH, path, Some(json!({"schemas": [PATCH_OP], "Operations": ops})), &[]).await
    }

    /// How many users a filter selects (0 when the server refuses it).
    async fn filter_count(&self, filter: &str) -> u64 {
        let q: String = serde_urlencoded_filter(filter);
        let a = self.get(&format!("/Users?filter={q}")).await;
        a.body["totalResults"].as_u64().unwrap_or(0)
    }
}

fn serde_urlencoded_filter(filter: &str) -> String {
    filter
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

/// Whether the server behaves correctly in the respect `fault` breaks.
async fn probe(fault: Fault, s: &Server) -> bool {
    match fault {
        Fault::CaseSensitiveUserName => {
            s.named("Alice").await;
            s.filter_count(r#"userName eq "alice""#).await == 1
        }
        Fault::IgnorePagination => {
            for n in ["a", "b", "c"] {
                s.named(n).await;
            }
            s.get("/Users?count=1").await.body["Resources"].as_array().unwrap().len() == 1
        }
        Fault::ZeroBasedStartIndex => {
            let first = s.named("a").await;
            s.named("b").await;
            ids(&s.get("/Users?startIndex=1&count=1").await.body) == [first]
        }
        Fault::TotalResultsIsPageSize => {
            for n in ["a", "b", "c"] {
                s.named(n).await;
            }
            s.get("/Users?count=1").await.body["totalResults"] == json!(3)
        }
        Fault::UnstableOrder => {
            for n in ["a", "b", "c", "d", "e"] {
                s.named(n).await;
            }
            let mut by_one = Vec::new();
            let mut by_two = Vec::new();
            for i in 0..5 {
                by_one.extend(ids(&s.get(&format!("/Users?startIndex={}&count=1", i + 1)).await.body));
            }
            for i in 0..3 {
                by_two.extend(ids(&s.get(&format!("/Users?startIndex={}&count=2", 2 * i + 1)).await.body));
            }
            by_one == by_two
        }
        Fault::DropValuePathPatch => {
            let id = s
                .user(json!({"schemas": [USER], "userName": "a", "emails": [{"value": "old@x", "type": "work"}]}))
                .await;
            s.patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@x"}]),
            )
            .await;
            s.get(&format!("/Users/{id}")).await.body["emails"][0]["value"] == json!("new@x")
        }
        Fault::RemoveAllMembers => {
            let (a, b) = (s.named("a").await, s.named("b").await);
            let g = s.group("G", &[&a, &b]).await;
            s.patch(&format!("/Groups/{g}"), json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}]))
                .await;
            s.get(&format!("/Groups/{g}")).await.body["members"].as_array().map_or(0, Vec::len) == 1
        }
        Fault::PatchNotAtomic => {
            let id = s.named("a").await;
            let r = s
                .patch(&format!("/Users/{id}"), json!([{"op": "add", "path": "title", "value": "X"}, {"op": "remove"}]))
                .await;
            r.status == StatusCode::BAD_REQUEST && s.get(&format!("/Users/{id}")).await.body.get("title").is_none()
        }
        Fault::RejectPascalCaseOps => {
            let id = s.named("a").await;
            s.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "title", "value": "X"}])).await.status
                == StatusCode::OK
        }
        Fault::RejectStringBooleans => {
            let id = s.named("a").await;
            let r =
                s.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
            r.status == StatusCode::OK && r.body["active"] == json!(false)
        }
        Fault::NumericErrorStatus => s.get("/Users/nope").await.body["status"] == json!("404"),
        Fault::JsonContentType => {
            s.get("/Users").await.headers["content-type"].to_str().unwrap().starts_with("application/scim+json")
        }
        Fault::IgnoreIfMatch => {
            let id = s.named("a").await;
            let r = s
                .call(
                    Method::PUT,
                    &format!("/Users/{id}"),
                    Some(json!({"schemas": [USER], "userName": "b"})),
                    &[("if-match", "W/\"0\"")],
                )
                .await;
            r.status == StatusCode::PRECONDITION_FAILED
        }
        Fault::VersionNeverChanges => {
            let id = s.named("a").await;
            let before = s.get(&format!("/Users/{id}")).await.headers["etag"].clone();
            s.patch(&format!("/Users/{id}"), json!([{"op": "add", "path": "title", "value": "X"}])).await;
            s.get(&format!("/Users/{id}")).await.headers["etag"] != before
        }
        Fault::HideInactiveUsers => {
            s.user(json!({"schemas": [USER], "userName": "off", "active": false})).await;
            s.filter_count(r#"userName eq "off""#).await == 1
        }
        Fault::FilterNoMatch404 => s.get("/Users?filter=userName%20eq%20%22nobody%22").await.status == StatusCode::OK,
        Fault::NoLocationHeader => s
            .call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "a"})), &[])
            .await
            .headers
            .contains_key("location"),
        Fault::CreateReturns200 => {
            s.call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "a"})), &[]).await.status
                == StatusCode::CREATED
        }
        Fault::DuplicateUserNames => {
            s.named("a").await;
            s.call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "A"})), &[]).await.status
                == StatusCode::CONFLICT
        }
        Fault::ReturnPassword => {
            let r = s
                .call(
                    Method::POST,
                    "/Users",
                    Some(json!({"schemas": [USER], "userName": "a", "password": "s3cret"})),
                    &[],
                )
                .await;
            let id = r.body["id"].as_str().unwrap().to_string();
            r.body.get("password").is_none() && s.get(&format!("/Users/{id}")).await.body.get("password").is_none()
        }
        Fault::IgnoreExcludedAttributes => {
            let a = s.named("a").await;
            let g = s.group("G", &[&a]).await;
            s.get(&format!("/Groups/{g}?excludedAttributes=members")).await.body.get("members").is_none()
        }
        Fault::DeleteKeepsMemberships => {
            let a = s.named("a").await;
            let g = s.group("G", &[&a]).await;
            s.call(Method::DELETE, &format!("/Users/{a}"), None, &[]).await;
            s.get(&format!("/Groups/{g}")).await.body.get("members").is_none()
        }
        Fault::AndOrPrecedence => {
            s.user(json!({"schemas": [USER], "userName": "a", "title": "A"})).await;
            s.user(json!({"schemas": [USER], "userName": "b", "title": "B", "userType": "X"})).await;
            s.user(json!({"schemas": [USER], "userName": "c", "title": "C", "userType": "X"})).await;
            s.filter_count(r#"title eq "A" or title eq "B" and userType eq "X""#).await == 2
        }
        Fault::NotIgnored => {
            for n in ["a", "b", "c"] {
                s.named(n).await;
            }
            s.filter_count(r#"not (userName eq "a")"#).await == 2
        }
        Fault::DateTimeAsString => {
            s.named("a").await;
            // An instant an hour ago, written with a +14:00 offset: its text sorts after "now" in UTC.
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            let text = DateTime::from_unix(now + 13 * 3600, 0).to_string().replace('Z', "+14:00");
            s.filter_count(&format!(r#"meta.lastModified gt "{text}""#)).await == 1
        }
        Fault::PutUpserts => {
            s.call(Method::PUT, "/Users/unknown-id", Some(json!({"schemas": [USER], "userName": "a"})), &[])
                .await
                .status
                == StatusCode::NOT_FOUND
        }
        Fault::ExtensionNotInSchemas => {
            let r = s
                .call(
                    Method::POST,
                    "/Users",
                    Some(json!({"schemas": [USER, ENTERPRISE], "userName": "a", ENTERPRISE: {"department": "R&D"}})),
                    &[],
                )
                .await;
            r.body["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE))
        }
        Fault::RejectNullRef => {
            let a = s.named("a").await;
            let body = json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": a, "$ref": null}]});
            s.call(Method::POST, "/Groups", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::PathlessKeysLiteral => {
            let id = s.named("a").await;
            let r =
                s.patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"name.givenName": "B"}}])).await;
            r.status == StatusCode::OK && r.body["name"]["givenName"] == json!("B")
        }
        Fault::RejectUnknownQueryParams => s.get("/Users?aadOptscim062020").await.status == StatusCode::OK,
        Fault::RequireScimAccept => s.get("/Users").await.status == StatusCode::OK,
        Fault::RejectCharset => {
            let body = json!({"schemas": [USER], "userName": "a"});
            let r = s
                .call(Method::POST, "/Users", Some(body), &[("content-type", "application/scim+json; charset=utf-8")])
                .await;
            r.status == StatusCode::CREATED
        }
        Fault::RejectUnknownSchemaUrn => {
            let ms = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
            let body = json!({"schemas": [GROUP, ms], "displayName": "G"});
            s.call(Method::POST, "/Groups", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::FilteredWriteNoTarget => {
            let id = s.named("a").await;
            let r = s
                .patch(
                    &format!("/Users/{id}"),
                    json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}]),
                )
                .await;
            r.status == StatusCode::OK && r.body["phoneNumbers"][0]["value"] == json!("+1 555")
        }
        Fault::RejectManagerArray => {
            let id = s.named("a").await;
            let path = format!("{ENTERPRISE}:manager");
            let r = s
                .patch(
                    &format!("/Users/{id}"),
                    json!([{"op": "Add", "path": path, "value": [{"value": "m1", "$ref": null}]}]),
                )
                .await;
            r.status == StatusCode::OK && r.body[ENTERPRISE]["manager"]["value"] == json!("m1")
        }
        Fault::RejectUnchangedId => {
            let g = s.group("G", &[]).await;
            let r = s
                .patch(&format!("/Groups/{g}"), json!([{"op": "replace", "value": {"id": g, "displayName": "H"}}]))
                .await;
            r.status == StatusCode::OK && r.body["displayName"] == json!("H")
        }
        Fault::PutRejectsReadOnly => {
            let id = s.named("a").await;
            let current = s.get(&format!("/Users/{id}")).await.body;
            let mut body = current.clone();
            body["groups"] = json!([]);
            body["title"] = json!("Guide");
            s.call(Method::PUT, &format!("/Users/{id}"), Some(body), &[]).await.status == StatusCode::OK
        }
        Fault::NullIs500 => {
            let body = json!({"schemas": [USER], "userName": "a", "userType": null});
            s.call(Method::POST, "/Users", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::RejectApplicationJson => {
            let body = json!({"schemas": [USER], "userName": "a"});
            s.call(Method::POST, "/Users", Some(body), &[("content-type", "application/json")]).await.status
                == StatusCode::CREATED
        }
        Fault::EmptyCreateBody => {
            s.call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "a"})), &[]).await.body["id"]
                .is_string()
        }
        Fault::IgnoreEmptyMemberReplace => {
            let a = s.named("a").await;
            let g = s.group("G", &[&a]).await;
            s.patch(&format!("/Groups/{g}"), json!([{"op": "replace", "path": "members", "value": []}])).await;
            s.get(&format!("/Groups/{g}")).await.body.get("members").is_none()
        }
        Fault::StringPagingFields => {
            let list = s.get("/Users").await.body;
            ["totalResults", "startIndex", "itemsPerPage"].iter().all(|k| list[*k].is_u64())
        }
        Fault::IgnorePathlessOps => {
            let id = s.named("a").await;
            let r = s.patch(&format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": false}}])).await;
            r.status == StatusCode::OK && r.body["active"] == json!(false)
        }
        Fault::StoreEmptyStrings => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "title": "T"})).await;
            s.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "title", "value": ""}])).await;
            s.get(&format!("/Users/{id}")).await.body.get("title").is_none()
        }
        Fault::StrictFilterDialect => {
            s.user(json!({"schemas": [USER], "userName": "a", "emails": [{"value": "a@x", "type": "work"}]})).await;
            s.filter_count(r#"emails[type eq "work"].value eq "a@x""#).await == 1
        }
        Fault::NormalizePhoneNumbers => {
            let phone = "+1 (425) 555-0100";
            let id = s
                .user(json!({"schemas": [USER], "userName": "a", "phoneNumbers": [{"value": phone, "type": "work"}]}))
                .await;
            s.get(&format!("/Users/{id}")).await.body["phoneNumbers"][0]["value"] == json!(phone)
        }
        Fault::AcceptAnyToken => {
            s.call(Method::GET, "/Users", None, &[("authorization", "")]).await.status == StatusCode::UNAUTHORIZED
                && s.call(Method::GET, "/Users", None, &[("authorization", "Bearer wrong")]).await.status
                    == StatusCode::UNAUTHORIZED
        }
        Fault::UnknownId200 => s.get("/Users/no-such-id").await.status == StatusCode::NOT_FOUND,
        Fault::MemberLimit => {
            let mut ids = Vec::new();
            for i in 0..60 {
                ids.push(s.named(&format!("m{i}")).await);
            }
            let g = s.group("G", &[]).await;
            let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
            let r = s.patch(&format!("/Groups/{g}"), json!([{"op": "add", "path": "members", "value": members}])).await;
            r.status == StatusCode::OK && r.body["members"].as_array().map_or(0, Vec::len) == 60
        }
        Fault::ItemsPerPageIsCount => {
            s.named("a").await;
            let list = s.get("/Users?count=10").await.body;
            list["itemsPerPage"] == json!(1) && list["Resources"].as_array().map_or(0, Vec::len) == 1
        }
        Fault::SoftDelete => {
            let id = s.named("a").await;
            let gone =
                s.call(Method::DELETE, &format!("/Users/{id}"), None, &[]).await.status == StatusCode::NO_CONTENT;
            gone && s.get(&format!("/Users/{id}")).await.status == StatusCode::NOT_FOUND
                && s.filter_count("userName pr").await == 0
        }
        Fault::MangleNonAscii => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "displayName": "中文 🙂"})).await;
            s.get(&format!("/Users/{id}")).await.body["displayName"] == json!("中文 🙂")
        }
        Fault::CaseSensitiveDisplayName => {
            s.group("Team-TEAM", &[]).await;
            let list =
                s.get(&format!("/Groups?filter={}", serde_urlencoded_filter(r#"displayName eq "team-team""#))).await;
            list.body["totalResults"] == json!(1)
        }
        Fault::RemoveKeepsSingleValued => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "title": "T"})).await;
            s.patch(&format!("/Users/{id}"), json!([{"op": "remove", "path": "title"}])).await;
            s.get(&format!("/Users/{id}")).await.body.get("title").is_none()
        }
        Fault::GroupMetaWithoutTimestamps => {
            let g = s.group("G", &[]).await;
            let meta = s.get(&format!("/Groups/{g}")).await.body["meta"].clone();
            meta["created"].is_string() && meta["lastModified"].is_string()
        }
        Fault::RequireNameFormatted => {
            let r = s.call(Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "a"})), &[]).await;
            r.status == StatusCode::CREATED
        }
        Fault::LastModifiedBeforeCreated => {
            let id = s.named("a").await;
            let meta = s.get(&format!("/Users/{id}")).await.body["meta"].clone();
            meta["created"] == meta["lastModified"]
        }
        Fault::RelativeMetaLocation => {
            let id = s.named("a").await;
            s.get(&format!("/Users/{id}")).await.body["meta"]["location"].as_str().is_some_and(|l| l.contains("://"))
        }
        Fault::BareBooleanSpc => s.get("/ServiceProviderConfig").await.body["patch"]["supported"] == json!(true),
        Fault::MinimalUserSchema => {
            let declared = s.get("/Schemas").await.body.to_string();
            let body = json!({"schemas": [USER], "userName": "a", "nickName": "n"});
            let r = s.call(Method::POST, "/Users", Some(body), &[]).await.status;
            declared.contains("nickName") && declared.contains(ENTERPRISE) && r == StatusCode::CREATED
        }
        // ----- onelogin (issue 15) -----
        Fault::RejectEmptyStrings => {
            let body = json!({"schemas": [USER], "userName": "a", "title": "", ENTERPRISE: {"department": ""}});
            s.call(Method::POST, "/Users", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::RejectMultiValuedObject => {
            let body = json!({"schemas": [USER], "userName": "a", "emails": {"value": "a@x", "type": "work"}});
            let r = s.call(Method::POST, "/Users", Some(body), &[]).await;
            r.status == StatusCode::CREATED && r.body["emails"][0]["value"] == json!("a@x")
        }
        Fault::DropEmailsWithoutPrimary => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "emails": [{"value": "a@x"}]})).await;
            s.get(&format!("/Users/{id}")).await.body["emails"][0]["value"] == json!("a@x")
        }
        Fault::MissingCoreUrnCrashes => {
            let body = json!({"schemas": ["urn:scim:schemas:core:2.0"], "userName": "a"});
            s.call(Method::POST, "/Users", Some(body), &[]).await.status.as_u16() < 500
        }
        Fault::RejectEmptyQuerySegment => {
            s.named("a").await;
            s.get("/Users?filter=userName+eq+%22a%22&").await.body["totalResults"] == json!(1)
        }
        Fault::QuestionMarkInId => {
            let id = s.named("a").await;
            let body = json!({"schemas": [USER], "userName": "a", "title": "T"});
            s.call(Method::PUT, &format!("/Users/{id}?"), Some(body), &[]).await.status == StatusCode::OK
        }
        Fault::RejectGroupsOnCreate => {
            let body = json!({"schemas": [USER], "userName": "a", "groups": [{"value": "Admins"}]});
            let r = s.call(Method::POST, "/Users", Some(body), &[]).await;
            r.status == StatusCode::CREATED && r.body.get("groups").is_none_or(|g| g == &json!([]))
        }
        Fault::RejectEmptyUserAgent => {
            s.call(Method::GET, "/Users", None, &[("user-agent", "")]).await.status == StatusCode::OK
        }
        // ----- jumpcloud (issue 15) -----
        Fault::GroupNameReservedAfterDelete => {
            let g = s.group("Test Group", &[]).await;
            let gone =
                s.call(Method::DELETE, &format!("/Groups/{g}"), None, &[]).await.status == StatusCode::NO_CONTENT;
            let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Test Group"});
            gone && s.call(Method::POST, "/Groups", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::PatchOpsMergeByAttribute => {
            let id = s
                .user(json!({"schemas": [USER], "userName": "a", "name": {"givenName": "G", "familyName": "F"}}))
                .await;
            s.patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "name.givenName", "value": "G2"}, {"op": "replace", "path": "name.familyName", "value": "F2"}]),
            )
            .await;
            s.get(&format!("/Users/{id}")).await.body["name"] == json!({"givenName": "G2", "familyName": "F2"})
        }
        // ----- ping (issue 15) -----
        Fault::CaseSensitiveFilterNames => {
            s.named("a").await;
            s.filter_count(r#"username Eq "a""#).await == 1
        }
        Fault::UnknownFilterAttributeMatchesNothing => {
            s.named("a").await;
            let a = s.get(&format!("/Users?filter={}", serde_urlencoded_filter(r#"email Co "a""#))).await;
            a.status == StatusCode::BAD_REQUEST && a.body["scimType"] == json!("invalidFilter")
        }
        Fault::RefuseComplexAttributeFilter => {
            s.user(json!({"schemas": [USER], "userName": "a", "emails": [{"value": "a@example.com"}]})).await;
            s.filter_count(r#"emails eq "a@example.com""#).await == 1
        }
        Fault::PutMerges => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "nickName": "n"})).await;
            let put = json!({"schemas": [USER], "userName": "a"});
            s.call(Method::PUT, &format!("/Users/{id}"), Some(put), &[]).await;
            s.get(&format!("/Users/{id}")).await.body.get("nickName").is_none()
        }
        Fault::GroupListFirstPageOnly => {
            s.group("G1", &[]).await;
            let second = s.group("G2", &[]).await;
            ids(&s.get("/Groups?startIndex=2&count=1").await.body) == [second]
        }
        Fault::CreateIgnoresActive => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "active": false})).await;
            s.get(&format!("/Users/{id}")).await.body["active"] == json!(false)
        }
        Fault::NoServiceProviderConfig => s.get("/ServiceProviderConfig").await.status == StatusCode::OK,
        Fault::DropUserEntitlements => {
            let id = s.named("a").await;
            let ops = json!([{"op": "add", "path": "entitlements", "value": [{"value": "ent-api-access"}]}]);
            s.patch(&format!("/Users/{id}"), ops).await;
            s.get(&format!("/Users/{id}")).await.body["entitlements"][0]["value"] == json!("ent-api-access")
        }
        // ----- entra-gallery / okta spec (issue 15) -----
        Fault::SchemasOmitMappedAttributes => {
            let declared = s.get("/Schemas").await.body.to_string();
            declared.contains("\"preferredLanguage\"") && declared.contains("\"addresses\"")
        }
        Fault::UndeclaredLanguageValues => {
            let body = json!({"schemas": [USER], "userName": "a", "preferredLanguage": "en-US"});
            s.call(Method::POST, "/Users", Some(body), &[]).await.status == StatusCode::CREATED
        }
        Fault::IgnoreEmptyReplace => {
            let id = s.user(json!({"schemas": [USER], "userName": "a", "title": "T"})).await;
            s.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": ""}])).await;
            s.get(&format!("/Users/{id}")).await.body.get("title").is_none()
        }
        Fault::SlowGroupList => {
            let started = std::time::Instant::now();
            s.get("/Groups").await.status == StatusCode::OK && started.elapsed() < std::time::Duration::from_millis(600)
        }
        // ----- oauth (issue 16): an `--oauth` server with the same faults, probed in server_oauth.rs -----
        Fault::OAuthExpiredTokenAccepted
        | Fault::OAuthAlgNoneAccepted
        | Fault::OAuthAudienceIgnored
        | Fault::OAuthSignatureUnchecked
        | Fault::OAuthAnyClientSecret
        | Fault::OAuthShortTokens
        | Fault::OAuthExpiredAssertionAccepted
        | Fault::OAuthAssertionAudienceIgnored
        | Fault::OAuthAssertionSignatureUnchecked
        | Fault::OAuthTokenCacheable => crate::server_oauth::probe(fault, &s.1).await,
        // Under a limit of one request a second, the second GET is refused and says when to come back.
        Fault::RateLimitWithoutRetryAfter => {
            let limited = Server(
                app(state(ServerConfig {
                    token: Some(PROBE_TOKEN.into()),
                    faults: s.1.iter().copied().collect(),
                    rate_limit: Some(1),
                    ..ServerConfig::default()
                })),
                s.1.clone(),
            );
            let first = limited.get("/Users").await;
            let second = limited.get("/Users").await;
            first.status == StatusCode::OK
                && second.status == StatusCode::TOO_MANY_REQUESTS
                && second.headers.get("retry-after").is_some_and(|v| v == "1")
        }
        // ----- concurrency and large groups (issue 17) -----
        Fault::LostConcurrentMemberUpdate => {
            let (a, b) = (s.named("a").await, s.named("b").await);
            let path = format!("/Groups/{}", s.group("G", &[]).await);
            let add = |id: &str| json!([{"op": "add", "path": "members", "value": [{"value": id}]}]);
            // Both in flight at once: the second reads before the first writes.
            tokio::join!(s.patch(&path, add(&a)), s.patch(&path, add(&b)));
            s.get(&path).await.body["members"].as_array().map_or(0, Vec::len) == 2
        }
        Fault::MembersCappedAt100 => {
            let mut ids = Vec::new();
            for i in 0..101 {
                ids.push(s.named(&format!("m{i}")).await);
            }
            let g = s.group("G", &[]).await;
            let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
            s.patch(&format!("/Groups/{g}"), json!([{"op": "add", "path": "members", "value": members}])).await;
            s.get(&format!("/Groups/{g}")).await.body["members"].as_array().map_or(0, Vec::len) == 101
        }
        Fault::MembersMissingFromGroupsFilter => {
            let mut ids = Vec::new();
            for i in 0..101 {
                ids.push(s.named(&format!("m{i}")).await);
            }
            let members: Vec<&str> = ids.iter().map(String::as_str).collect();
            let g = s.group("G", &members).await;
            s.filter_count(&format!(r#"groups.value eq "{g}""#)).await == 101
        }
    }
}

#[tokio::test]
async fn the_clean_server_passes_every_probe() {
    let mut failed = Vec::new();
    for &fault in Fault::ALL {
        if !probe(fault, &Server::new(&[])).await {
            failed.push(fault.name());
        }
    }
    assert!(failed.is_empty(), "the clean server fails the probes for: {failed:?}");
}

#[tokio::test]
async fn each_fault_breaks_its_probe() {
    let mut undetected = Vec::new();
    for &fault in Fault::ALL {
        if probe(fault, &Server::new(&[fault])).await {
            undetected.push(fault.name());
        }
    }
    assert!(undetected.is_empty(), "these faults change nothing their probe can see: {undetected:?}");
    assert!(Fault::ALL.len() >= 20, "the issue asks for at least 20 faults");
}

#[test]
fn faults_have_unique_names_that_parse() {
    let mut names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
    for f in Fault::ALL {
        assert_eq!(f.name().parse::<Fault>(), Ok(*f));
        assert!(!f.description().is_empty());
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Fault::ALL.len());
    assert!("no-such-fault".parse::<Fault>().unwrap_err().contains("--list-faults"));
}
