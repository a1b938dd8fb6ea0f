//! The reference server (`scimtest::server`) driven in process through its router: every endpoint and every
//! error path of issue 3, against RFC 7643/7644 and the IdP shapes of `idp-behaviour.md` (§1.0, §5, §7.1).
//!
//! Behaviour only: each test talks HTTP to `app(state(config))` with `tower::ServiceExt::oneshot` and looks
//! at status, headers and JSON — never at the server's internals. Tests assert the correct behaviour; one
//! that exposes a server bug stays, and the server is fixed.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use scimtest::server::{ServerConfig, ServerMode, app, state};
use serde_json::{Value, json};
use tower::ServiceExt;

const BASE: &str = "/scim/v2";
const HOST: &str = "scim.example.test";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Status, headers and the body as JSON (`Null` when empty, a JSON string when the body is not JSON).
type Reply = (StatusCode, HeaderMap, Value);

// ----- the client ------------------------------------------------------------------------------------

/// One request through a clone of the router. `path` is the full path (with `/scim/v2`); a JSON body is
/// sent as `application/scim+json` unless `headers` name another Content-Type.
async fn call(app: &Router, method: Method, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
    let mut all = headers.to_vec();
    let bytes = match body {
        Some(b) => {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                all.push(("content-type", "application/scim+json"));
            }
            serde_json::to_vec(&b).expect("JSON serializes")
        }
        None => Vec::new(),
    };
    raw(app, method, path, &all, bytes).await
}

/// One request with a body of raw bytes (malformed JSON, oversize bodies).
async fn raw(app: &Router, method: Method, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        request = request.header(header::HOST, HOST);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response =
        app.clone().oneshot(request.body(Body::from(body)).expect("request builds")).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body reads").to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, headers, value)
}

fn at(path: &str) -> String {
    format!("{BASE}{path}")
}

async fn send(app: &Router, method: Method, path: &str, headers: &[(&str, &str)], body: Option<Value>) -> Reply {
    call(app, method, &at(path), headers, body).await
}

async fn get(app: &Router, path: &str) -> Reply {
    send(app, Method::GET, path, &[], None).await
}

async fn post(app: &Router, path: &str, body: Value) -> Reply {
    send(app, Method::POST, path, &[], Some(body)).await
}

async fn put(app: &Router, path: &str, body: Value) -> Reply {
    send(app, Method::PUT, path, &[], Some(body)).await
}

async fn patch(app: &Router, path: &str, body: Value) -> Reply {
    send(app, Method::PATCH, path, &[], Some(body)).await
}

async fn delete(app: &Router, path: &str) -> Reply {
    send(app, Method::DELETE, path, &[], None).await
}

fn server(config: ServerConfig) -> Router {
    app(state(config))
}

fn compat() -> Router {
    server(ServerConfig::default())
}

fn strict() -> Router {
    server(ServerConfig { mode: ServerMode::Strict, ..ServerConfig::default() })
}

// ----- assertions ------------------------------------------------------------------------------------

#[track_caller]
fn assert_scim_json(headers: &HeaderMap) {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    assert!(media.eq_ignore_ascii_case("application/scim+json"), "Content-Type is {ct:?}, not application/scim+json");
}

#[track_caller]
fn assert_status(r: &Reply, status: u16) {
    assert_eq!(r.0.as_u16(), status, "body: {}", r.2);
}

/// A SCIM Error (RFC 7644 §3.12): the status, the Error schema, `status` as a string, a `detail`, the
/// `scimType` if one is expected, and `application/scim+json`.
#[track_caller]
fn assert_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    let (s, h, b) = r;
    assert_eq!(s.as_u16(), status, "body: {b}");
    assert_scim_json(h);
    assert_eq!(b["schemas"], json!([ERROR]), "not a SCIM Error: {b}");
    assert_eq!(b["status"], json!(status.to_string()), "`status` must be the HTTP status as a string: {b}");
    assert!(b["detail"].as_str().is_some_and(|d| !d.is_empty()), "an error carries a detail: {b}");
    if let Some(t) = scim_type {
        assert_eq!(b["scimType"], json!(t), "scimType: {b}");
    }
}

/// A ListResponse with consistent paging fields.
#[track_caller]
fn assert_list(r: &Reply, total: usize, start: usize, items: usize) {
    assert_status(r, 200);
    assert_scim_json(&r.1);
    let b = &r.2;
    assert_eq!(b["schemas"], json!([LIST]), "{b}");
    assert_eq!(b["totalResults"], json!(total), "totalResults: {b}");
    assert_eq!(b["startIndex"], json!(start), "startIndex: {b}");
    assert_eq!(b["itemsPerPage"], json!(items), "itemsPerPage: {b}");
    let listed = b.get("Resources").and_then(Value::as_array).map_or(0, Vec::len);
    assert_eq!(listed, items, "Resources: {b}");
}

// ----- fixtures --------------------------------------------------------------------------------------

fn user_body(user_name: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": { "givenName": "Given", "familyName": "Family" },
        "emails": [{ "value": format!("{user_name}@example.com"), "type": "work", "primary": true }],
        "active": true,
    })
}

async fn create_user(app: &Router, user_name: &str) -> Value {
    let r = post(app, "/Users", user_body(user_name)).await;
    assert_status(&r, 201);
    r.2
}

fn group_body(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({ "value": m })).collect();
    json!({ "schemas": [GROUP], "displayName": name, "members": members })
}

async fn create_group(app: &Router, name: &str, members: &[&str]) -> Value {
    let r = post(app, "/Groups", group_body(name, members)).await;
    assert_status(&r, 201);
    r.2
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

fn patch_body(operations: Value) -> Value {
    json!({ "schemas": [PATCH_OP], "Operations": operations })
}

fn etag(h: &HeaderMap) -> String {
    h.get(header::ETAG).and_then(|v| v.to_str().ok()).expect("an ETag header").to_string()
}

/// `filter=...`, form-encoded (spaces as `+`, the way Entra sends them).
fn filter(f: &str) -> String {
    serde_urlencoded::to_string([("filter", f)]).expect("encodes")
}

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| m["value"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn resources(list: &Value) -> Vec<Value> {
    list.get("Resources").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn user_names(list: &Value) -> Vec<String> {
    resources(list).iter().map(|r| r["userName"].as_str().unwrap_or_default().to_string()).collect()
}

fn ids(list: &Value) -> Vec<String> {
    resources(list).iter().map(id_of).collect()
}

fn schema_attribute<'v>(schema: &'v Value, name: &str) -> &'v Value {
    schema["attributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == json!(name)))
        .unwrap_or_else(|| panic!("{} has no attribute {name}", schema["id"]))
}

// ===== discovery ======================================================================================

#[tokio::test]
async fn service_provider_config_is_one_object_and_its_flags_match_behaviour() {
    let config =
        ServerConfig { bulk_max_operations: 3, bulk_max_payload: 8192, max_results: 5, ..ServerConfig::default() };
    let app = server(config);
    let r = get(&app, "/ServiceProviderConfig").await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    let spc = &r.2;
    assert_eq!(spc["schemas"], json!([SPC]));
    assert!(spc.get("Resources").is_none() && spc.get("totalResults").is_none(), "a single object: {spc}");
    assert_eq!(spc["patch"]["supported"], json!(true));
    assert_eq!(spc["bulk"]["supported"], json!(true));
    assert_eq!(spc["bulk"]["maxOperations"], json!(3));
    assert_eq!(spc["bulk"]["maxPayloadSize"], json!(8192));
    assert_eq!(spc["filter"]["supported"], json!(true));
    assert_eq!(spc["filter"]["maxResults"], json!(5));
    assert_eq!(spc["sort"]["supported"], json!(true));
    assert_eq!(spc["etag"]["supported"], json!(true));
    assert_eq!(spc["changePassword"]["supported"], json!(false));
    let schemes = spc["authenticationSchemes"].as_array().expect("authenticationSchemes");
    assert!(!schemes.is_empty() && schemes[0]["type"] == json!("oauthbearertoken"), "{spc}");
    assert!(spc["meta"]["location"].as_str().is_some_and(|l| l.ends_with("/ServiceProviderConfig")), "{spc}");

    // filter.maxResults = 5: never more than 5 per answer, totalResults still counts all.
    for i in 0..7 {
        create_user(&app, &format!("spc{i}")).await;
    }
    let r = get(&app, "/Users?count=100").await;
    assert_list(&r, 7, 1, 5);
    let r = get(&app, "/Users").await;
    assert_list(&r, 7, 1, 5);
    // sort.supported
    let r = get(&app, "/Users?sortBy=userName&sortOrder=descending&count=2").await;
    assert_eq!(user_names(&r.2), ["spc6", "spc5"]);
    // etag.supported
    let u = get(&app, &format!("/Users?{}", filter("userName eq \"spc0\""))).await;
    let id = ids(&u.2)[0].clone();
    let r = get(&app, &format!("/Users/{id}")).await;
    assert!(r.1.contains_key(header::ETAG));
    // patch.supported
    let r =
        patch(&app, &format!("/Users/{id}"), patch_body(json!([{"op":"replace","path":"title","value":"x"}]))).await;
    assert_status(&r, 200);
    // bulk.maxOperations = 3
    let op = |n: usize| json!({"method":"POST","path":"/Users","bulkId":format!("b{n}"),"data":user_body(&format!("bulk{n}"))});
    let ok = post(&app, "/Bulk", json!({"schemas":[BULK_REQUEST],"Operations":[op(1),op(2),op(3)]})).await;
    assert_status(&ok, 200);
    let too_many = post(&app, "/Bulk", json!({"schemas":[BULK_REQUEST],"Operations":[op(4),op(5),op(6),op(7)]})).await;
    assert_error(&too_many, 413, None);
}

#[tokio::test]
async fn resource_types_list_and_by_id() {
    let app = compat();
    let r = get(&app, "/ResourceTypes").await;
    // User, Group, and Okta Identity Governance's Entitlement and Role catalogues (ServerConfig::governance).
    assert_list(&r, 4, 1, 4);
    let types = resources(&r.2);
    let user = types.iter().find(|t| t["id"] == json!("User")).expect("User resource type");
    assert_eq!(user["schemas"], json!([RESOURCE_TYPE]));
    assert_eq!(user["endpoint"], json!("/Users"));
    assert_eq!(user["schema"], json!(USER));
    assert_eq!(user["schemaExtensions"][0]["schema"], json!(ENTERPRISE));
    assert_eq!(user["schemaExtensions"][0]["required"], json!(false));
    assert_eq!(user["meta"]["location"], json!(format!("http://{HOST}{BASE}/ResourceTypes/User")));
    let group = types.iter().find(|t| t["id"] == json!("Group")).expect("Group resource type");
    assert_eq!(group["endpoint"], json!("/Groups"));
    assert_eq!(group["schema"], json!(GROUP));

    let r = get(&app, "/ResourceTypes/User").await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    assert_eq!(&r.2, user, "the single resource type is the listed one");
    let r = get(&app, "/ResourceTypes/Group").await;
    assert_status(&r, 200);
    assert_eq!(r.2["id"], json!("Group"));
    assert_error(&get(&app, "/ResourceTypes/Printer").await, 404, None);
}

/// Okta Identity Governance's catalogues: read-only lists paged like every list, items by id, and nothing
/// at all (no resource type, no schema, no endpoint) with `ServerConfig::governance` off.
#[tokio::test]
async fn governance_catalogues_are_paged_read_only_lists() {
    const ENTITLEMENT: &str = "urn:okta:scim:schemas:core:1.0:Entitlement";
    let app = compat();
    let types = get(&app, "/ResourceTypes").await;
    let entitlement = resources(&types.2).into_iter().find(|t| t["schema"] == json!(ENTITLEMENT));
    assert_eq!(entitlement.expect("an Entitlement resource type")["endpoint"], json!("/Entitlements"));
    assert_status(&get(&app, &format!("/Schemas/{ENTITLEMENT}")).await, 200);
    let all = get(&app, "/Entitlements").await;
    let total = all.2["totalResults"].as_u64().unwrap() as usize;
    assert!(total >= 4, "{}", all.2);
    assert_list(&all, total, 1, total);
    let page = get(&app, "/Entitlements?startIndex=2&count=2").await;
    assert_list(&page, total, 2, 2);
    assert_eq!(resources(&page.2)[0]["id"], resources(&all.2)[1]["id"]);
    let id = resources(&all.2)[0]["id"].as_str().unwrap().to_string();
    let one = get(&app, &format!("/Entitlements/{id}")).await;
    assert_status(&one, 200);
    assert_eq!(one.2["schemas"], json!([ENTITLEMENT]));
    assert_status(&get(&app, "/Roles?startIndex=1&count=1").await, 200);
    assert_error(&get(&app, "/Entitlements/nope").await, 404, None);
    assert_error(&get(&app, "/Entitlements?filter=id%20eq%20%22x%22").await, 400, Some("invalidFilter"));
    assert_error(&post(&app, "/Entitlements", json!({"displayName": "x"})).await, 405, None);

    let off = server(ServerConfig { governance: false, ..ServerConfig::default() });
    assert_list(&get(&off, "/ResourceTypes").await, 2, 1, 2);
    assert_error(&get(&off, "/Entitlements").await, 404, None);
    assert_error(&get(&off, &format!("/Schemas/{ENTITLEMENT}")).await, 404, None);
}

#[tokio::test]
async fn schemas_list_and_by_urn() {
    let app = compat();
    let r = get(&app, "/Schemas").await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    assert_eq!(r.2["schemas"], json!([LIST]));
    let all = resources(&r.2);
    let listed: Vec<&str> = all.iter().filter_map(|s| s["id"].as_str()).collect();
    for urn in [USER, GROUP, ENTERPRISE] {
        assert!(listed.contains(&urn), "{urn} missing from {listed:?}");
    }
    assert_eq!(r.2["totalResults"], json!(all.len()));
    for s in &all {
        assert_eq!(s["schemas"], json!([SCHEMA]), "{}", s["id"]);
        assert!(s["attributes"].as_array().is_some_and(|a| !a.is_empty()));
        assert!(s["meta"]["location"].as_str().is_some_and(|l| l.ends_with(s["id"].as_str().unwrap())));
    }

    let r = get(&app, &format!("/Schemas/{USER}")).await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    assert_eq!(r.2["id"], json!(USER));
    // What the User schema advertises is what the server does.
    let user_name = schema_attribute(&r.2, "userName");
    assert_eq!(user_name["required"], json!(true));
    assert_eq!(user_name["caseExact"], json!(false));
    assert_eq!(user_name["uniqueness"], json!("server"));
    let password = schema_attribute(&r.2, "password");
    assert_eq!(password["returned"], json!("never"));
    assert_eq!(schema_attribute(&r.2, "groups")["mutability"], json!("readOnly"));

    let r = get(&app, &format!("/Schemas/{ENTERPRISE}")).await;
    assert_status(&r, 200);
    assert_eq!(r.2["id"], json!(ENTERPRISE));
    assert_error(&get(&app, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Printer").await, 404, None);
    assert_error(&get(&app, "/Schemas/nope").await, 404, None);
}

#[tokio::test]
async fn group_schema_advertises_the_enforced_display_name_uniqueness() {
    let app = compat();
    create_group(&app, "Engineering", &[]).await;
    assert_error(&post(&app, "/Groups", group_body("engineering", &[])).await, 409, Some("uniqueness"));
    let r = get(&app, &format!("/Schemas/{GROUP}")).await;
    assert_status(&r, 200);
    assert_eq!(schema_attribute(&r.2, "displayName")["uniqueness"], json!("server"), "{}", r.2);
}

#[tokio::test]
async fn discovery_writes_are_405() {
    let app = compat();
    let paths = ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas"];
    let urn_path = format!("/Schemas/{USER}");
    for path in paths.iter().copied().chain([urn_path.as_str()]) {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let r = send(&app, method.clone(), path, &[], Some(json!({}))).await;
            assert_error(&r, 405, None);
        }
    }
}

#[tokio::test]
async fn discovery_with_filter_is_403() {
    let app = compat();
    let f = filter("id eq \"User\"");
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        let r = get(&app, &format!("{path}?{f}")).await;
        assert_error(&r, 403, None);
    }
}

// ===== users: create, read ============================================================================

#[tokio::test]
async fn create_user_201_with_location_and_etag() {
    let app = compat();
    let r = post(&app, "/Users", user_body("alice")).await;
    assert_status(&r, 201);
    assert_scim_json(&r.1);
    let u = &r.2;
    let id = id_of(u);
    assert!(u["schemas"].as_array().is_some_and(|s| s.contains(&json!(USER))), "{u}");
    assert_eq!(u["userName"], json!("alice"));
    assert_eq!(u["name"]["givenName"], json!("Given"));
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["meta"]["resourceType"], json!("User"));
    assert!(u["meta"]["created"].is_string() && u["meta"]["lastModified"].is_string(), "{u}");
    let location = r.1.get(header::LOCATION).and_then(|v| v.to_str().ok()).expect("Location header");
    assert_eq!(location, format!("http://{HOST}{BASE}/Users/{id}"));
    assert_eq!(u["meta"]["location"], json!(location), "Location == meta.location");
    assert_eq!(u["meta"]["version"], json!(etag(&r.1)), "ETag == meta.version");

    let g = get(&app, &format!("/Users/{id}")).await;
    assert_status(&g, 200);
    assert_scim_json(&g.1);
    assert_eq!(&g.2, u, "GET answers what POST answered");
    assert_eq!(etag(&g.1), etag(&r.1));
    assert!(!g.1.contains_key(header::LOCATION) || g.1[header::LOCATION] == location);
}

#[tokio::test]
async fn create_user_ignores_client_id_and_read_only_values() {
    let app = compat();
    let mut body = user_body("bob");
    body["id"] = json!("client-chosen");
    body["meta"] = json!({ "resourceType": "User", "created": "2000-01-01T00:00:00Z", "version": "W/\"x\"" });
    body["groups"] = json!([{ "value": "some-group" }]);
    let r = post(&app, "/Users", body).await;
    assert_status(&r, 201);
    let u = &r.2;
    assert_ne!(u["id"], json!("client-chosen"), "N11: the server assigns the id");
    assert_ne!(u["meta"]["created"], json!("2000-01-01T00:00:00Z"));
    assert_ne!(u["meta"]["version"], json!("W/\"x\""));
    assert!(u.get("groups").is_none(), "groups is readOnly: {u}");
    assert_error(&get(&app, "/Users/client-chosen").await, 404, None);
}

#[tokio::test]
async fn create_user_requires_user_name() {
    let app = compat();
    let mut body = user_body("x");
    body.as_object_mut().unwrap().remove("userName");
    assert_error(&post(&app, "/Users", body.clone()).await, 400, Some("invalidValue"));
    body["userName"] = Value::Null;
    assert_error(&post(&app, "/Users", body).await, 400, Some("invalidValue"));
    assert_list(&get(&app, "/Users").await, 0, 1, 0);
}

#[tokio::test]
async fn create_user_as_entra_and_okta_send_it() {
    let app = compat();
    // E-CU (older example): both schemas, explicit nulls, meta, roles: [], the malformed `…:2.0User` URN key.
    let entra = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7d77a4ba1e52",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": true,
        "displayName": "Test User",
        "emails": [{ "primary": true, "type": "work", "value": "Test_User@example.com" }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName" },
        "roles": [],
        "addresses": null,
        "phoneNumbers": null,
        "title": null,
        "preferredLanguage": null,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User": { "department": null, "manager": null },
    });
    let r =
        send(&app, Method::POST, "/Users", &[("content-type", "application/scim+json; charset=utf-8")], Some(entra))
            .await;
    assert_status(&r, 201);
    for absent in ["addresses", "phoneNumbers", "title", "preferredLanguage", "roles"] {
        assert!(r.2.get(absent).is_none(), "{absent} is unassigned (RFC 7643 §2.5): {}", r.2);
    }
    assert_eq!(r.2["externalId"], json!("0a21f0f2-8d2a-4f8e-bf98-7d77a4ba1e52"));
    // O-CU: password placeholder, groups: [], locale, application/json.
    let okta = json!({
        "schemas": [USER],
        "userName": "test.user@okta.local",
        "name": { "givenName": "Test", "familyName": "User" },
        "emails": [{ "primary": true, "value": "test.user@okta.local", "type": "work" }],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true,
    });
    let r = send(&app, Method::POST, "/Users", &[("content-type", "application/json")], Some(okta)).await;
    assert_status(&r, 201);
    assert!(r.2.get("password").is_none(), "{}", r.2);
    assert_eq!(r.2["locale"], json!("en-US"));
}

#[tokio::test]
async fn get_user_by_id() {
    let app = compat();
    let u = create_user(&app, "carol").await;
    let r = get(&app, &format!("/Users/{}", id_of(&u))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["userName"], json!("carol"));
    // N3 / Okta #12
    assert_error(&get(&app, "/Users/00919288221112222").await, 404, None);
    assert_error(&get(&app, "/Groups/00919288221112222").await, 404, None);
    // A user id is not a group id.
    assert_error(&get(&app, &format!("/Groups/{}", id_of(&u))).await, 404, None);
}

#[tokio::test]
async fn password_is_never_returned() {
    let app = compat();
    let mut body = user_body("dave");
    body["password"] = json!("t1meMachine!");
    let r = post(&app, "/Users", body.clone()).await;
    assert_status(&r, 201);
    let id = id_of(&r.2);
    let path = format!("/Users/{id}");
    let mut answers = vec![r];
    answers.push(get(&app, &path).await);
    answers.push(get(&app, &format!("{path}?attributes=password,userName")).await);
    answers.push(get(&app, "/Users").await);
    answers.push(get(&app, &format!("/Users?{}&attributes=password", filter("userName eq \"dave\""))).await);
    answers.push(put(&app, &path, body).await);
    answers.push(patch(&app, &path, patch_body(json!([{"op":"replace","path":"password","value":"an0ther!"}]))).await);
    answers.push(post(&app, "/Users/.search", json!({"schemas":[SEARCH],"attributes":["password"]})).await);
    answers.push(post(&app, "/.search", json!({"schemas":[SEARCH]})).await);
    for (i, r) in answers.iter().enumerate() {
        assert!(r.0.is_success(), "answer {i}: {}", r.2);
        let text = r.2.to_string();
        assert!(
            !text.contains("password") && !text.contains("t1meMachine") && !text.contains("an0ther"),
            "answer {i}: {text}"
        );
    }
}

#[tokio::test]

async fn password_is_neither_a_filter_nor_a_sort_key() {
    let app = compat();
    let first = id_of(&create_user(&app, "first").await);
    let second = id_of(&create_user(&app, "second").await);
    for (id, password) in [(&first, "zzz-secret"), (&second, "aaa-secret")] {
        let op = patch_body(json!([{"op":"replace","path":"password","value":password}]));
        let r = patch(&app, &format!("/Users/{id}"), op).await;
        assert!(r.0.is_success() || r.0.is_client_error(), "{}", r.2);
    }
    // A filter on the password must not tell which user has which password: refused (RFC 7644 §3.12
    // `sensitive`, §7.5.2) or no match — never a match.
    for f in ["password eq \"zzz-secret\"", "password pr", "password sw \"aaa\""] {
        let r = get(&app, &format!("/Users?{}", filter(f))).await;
        if r.0.is_success() {
            assert_eq!(r.2["totalResults"], json!(0), "{f} selects by password: {}", r.2);
        } else {
            assert_error(&r, r.0.as_u16(), None);
        }
        let r = post(&app, "/.search", json!({"schemas":[SEARCH],"filter":f})).await;
        if r.0.is_success() {
            assert_eq!(r.2["totalResults"], json!(0), "{f} selects by password: {}", r.2);
        }
    }
    // Nor order by it: ascending by password would put `second` ("aaa…") first.
    let r = get(&app, "/Users?sortBy=password").await;
    if r.0.is_success() {
        assert_eq!(ids(&r.2), vec![first.clone(), second.clone()], "sortBy=password orders by the secret");
    }
}

// ===== uniqueness =====================================================================================

#[tokio::test]
async fn user_name_is_unique_and_case_insensitive() {
    let app = compat();
    let alice = create_user(&app, "alice@example.com").await;
    // N10: same case and an upper-case variant.
    assert_error(&post(&app, "/Users", user_body("alice@example.com")).await, 409, Some("uniqueness"));
    assert_error(&post(&app, "/Users", user_body("ALICE@EXAMPLE.COM")).await, 409, Some("uniqueness"));
    // Through PUT and PATCH of another user.
    let bob = create_user(&app, "bob@example.com").await;
    let bob_path = format!("/Users/{}", id_of(&bob));
    assert_error(&put(&app, &bob_path, user_body("Alice@Example.com")).await, 409, Some("uniqueness"));
    let rename = patch_body(json!([{"op":"replace","path":"userName","value":"alice@EXAMPLE.com"}]));
    assert_error(&patch(&app, &bob_path, rename).await, 409, Some("uniqueness"));
    assert_eq!(get(&app, &bob_path).await.2["userName"], json!("bob@example.com"));
    // A user may change the case of its own userName.
    let own = format!("/Users/{}", id_of(&alice));
    let r =
        patch(&app, &own, patch_body(json!([{"op":"replace","path":"userName","value":"Alice@example.com"}]))).await;
    assert_status(&r, 200);
    // Only one alice in the store.
    let r = get(&app, &format!("/Users?{}", filter("userName eq \"alice@example.com\""))).await;
    assert_list(&r, 1, 1, 1);
    // A deleted user does not count (§5 item 35).
    assert_status(&delete(&app, &own).await, 204);
    assert_status(&post(&app, "/Users", user_body("alice@example.com")).await, 201);
}

#[tokio::test]
async fn group_display_name_is_unique() {
    let app = compat();
    let eng = create_group(&app, "Engineering", &[]).await;
    assert_error(&post(&app, "/Groups", group_body("Engineering", &[])).await, 409, Some("uniqueness"));
    assert_error(&post(&app, "/Groups", group_body("ENGINEERING", &[])).await, 409, Some("uniqueness"));
    let sales = create_group(&app, "Sales", &[]).await;
    let sales_path = format!("/Groups/{}", id_of(&sales));
    assert_error(&put(&app, &sales_path, group_body("engineering", &[])).await, 409, Some("uniqueness"));
    let rename = patch_body(json!([{"op":"replace","path":"displayName","value":"Engineering"}]));
    assert_error(&patch(&app, &sales_path, rename).await, 409, Some("uniqueness"));
    assert_status(&delete(&app, &format!("/Groups/{}", id_of(&eng))).await, 204);
    assert_status(&post(&app, "/Groups", group_body("Engineering", &[])).await, 201);
}

// ===== PUT ============================================================================================

#[tokio::test]
async fn put_replaces_and_ignores_read_only_values() {
    let app = compat();
    let mut body = user_body("erin");
    body["displayName"] = json!("Erin");
    body["nickName"] = json!("E");
    body["title"] = json!("Engineer");
    let created = post(&app, "/Users", body).await;
    assert_status(&created, 201);
    let u = created.2;
    let id = id_of(&u);
    let path = format!("/Users/{id}");
    // Okta's PUT (O-UU): the full object with id, meta, groups: [], one change, a null.
    let replacement = json!({
        "schemas": [USER],
        "id": "someone-else",
        "meta": { "resourceType": "User", "created": "2001-01-01T00:00:00Z" },
        "groups": [{ "value": "x" }],
        "userName": "erin",
        "name": { "givenName": "Erin", "familyName": "Replaced" },
        "nickName": "E",
        "userType": null,
        "active": false,
    });
    let r = put(&app, &path, replacement).await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    let n = &r.2;
    assert_eq!(n["id"], json!(id), "the id stays the server's");
    assert_eq!(n["meta"]["created"], u["meta"]["created"], "meta is readOnly");
    assert!(n.get("groups").is_none(), "groups is readOnly: {n}");
    assert_eq!(n["name"], json!({ "givenName": "Erin", "familyName": "Replaced" }));
    assert_eq!(n["active"], json!(false));
    for gone in ["displayName", "title", "emails", "userType"] {
        assert!(n.get(gone).is_none(), "PUT replaces: {gone} omitted means cleared: {n}");
    }
    assert_ne!(etag(&r.1), etag(&created.1), "a new version");
    assert_eq!(n["meta"]["version"], json!(etag(&r.1)));
    assert_eq!(get(&app, &path).await.2, *n);
}

#[tokio::test]
async fn put_errors() {
    let app = compat();
    let u = create_user(&app, "frank").await;
    let path = format!("/Users/{}", id_of(&u));
    // N17: required userName missing.
    let mut body = user_body("frank");
    body.as_object_mut().unwrap().remove("userName");
    assert_error(&put(&app, &path, body).await, 400, Some("invalidValue"));
    assert_eq!(get(&app, &path).await.2, u, "a failed PUT changes nothing");
    // N18: PUT never creates.
    assert_error(&put(&app, "/Users/no-such-id", user_body("ghost")).await, 404, None);
    assert_error(&get(&app, "/Users/no-such-id").await, 404, None);
    assert_list(&get(&app, &format!("/Users?{}", filter("userName eq \"ghost\""))).await, 0, 1, 0);
    assert_error(&put(&app, "/Groups/no-such-id", group_body("ghosts", &[])).await, 404, None);
    // A group without displayName.
    let g = create_group(&app, "G", &[]).await;
    let r = put(&app, &format!("/Groups/{}", id_of(&g)), json!({"schemas":[GROUP]})).await;
    assert_error(&r, 400, Some("invalidValue"));
}

// ===== PATCH ==========================================================================================

#[tokio::test]
async fn patch_entra_user_shapes_in_compat_mode() {
    let app = compat();
    let mut body = user_body("grace@contoso.com");
    body["schemas"] = json!([USER, ENTERPRISE]);
    let u = post(&app, "/Users", body).await.2;
    let path = format!("/Users/{}", id_of(&u));
    // E-UU: PascalCase ops, value-path replace, Add of a typed entry that does not exist yet.
    let r = patch(
        &app,
        &path,
        patch_body(json!([
            {"op":"Replace","path":"name.familyName","value":"Hopper"},
            {"op":"Replace","path":"emails[type eq \"work\"].value","value":"grace.hopper@contoso.com"},
            {"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"},
            {"op":"Add","path":"userType","value":"Employee"},
        ])),
    )
    .await;
    assert_status(&r, 200);
    let g = get(&app, &path).await.2;
    assert_eq!(g["name"]["familyName"], json!("Hopper"));
    assert_eq!(g["emails"], json!([{ "value": "grace.hopper@contoso.com", "type": "work", "primary": true }]));
    assert_eq!(g["phoneNumbers"], json!([{ "type": "mobile", "value": "+1 555 0100" }]));
    assert_eq!(g["userType"], json!("Employee"));
    // E-DU: "False" as a string; the user stays visible with active false (E-Q14).
    let r = patch(&app, &path, patch_body(json!([{"op":"Replace","path":"active","value":"False"}]))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["active"], json!(false));
    assert_eq!(get(&app, &path).await.2["active"], json!(false));
    let listed = get(&app, &format!("/Users?{}", filter("userName eq \"grace@contoso.com\""))).await;
    assert_list(&listed, 1, 1, 1);
    assert_eq!(resources(&listed.2)[0]["active"], json!(false));
    // E-RU
    let r = patch(&app, &path, patch_body(json!([{"op":"Replace","path":"active","value":"True"}]))).await;
    assert_eq!(r.2["active"], json!(true));
    // E2-DU: lower-case op, real boolean.
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"active","value":false}]))).await;
    assert_eq!(r.2["active"], json!(false));
    // E2-UU: one path-less replace whose keys are attribute paths.
    let r = patch(
        &app,
        &path,
        patch_body(json!([{"op":"replace","value":{
            "displayName": "Grace Hopper",
            "name.givenName": "Grace",
            "name.familyName": "Hopper-Murray",
            format!("{ENTERPRISE}:employeeNumber"): "1906",
        }}])),
    )
    .await;
    assert_status(&r, 200);
    assert_eq!(r.2["displayName"], json!("Grace Hopper"));
    assert_eq!(r.2["name"]["givenName"], json!("Grace"));
    assert_eq!(r.2["name"]["familyName"], json!("Hopper-Murray"));
    assert_eq!(r.2[ENTERPRISE]["employeeNumber"], json!("1906"));
    assert!(r.2["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE)));
    // E-UN: rename; the new name is found by filter, the old one is not.
    let r =
        patch(&app, &path, patch_body(json!([{"op":"Replace","path":"userName","value":"grace.h@contoso.com"}]))).await;
    assert_status(&r, 200);
    assert_list(&get(&app, &format!("/Users?{}", filter("userName eq \"grace.h@contoso.com\""))).await, 1, 1, 1);
    assert_list(&get(&app, &format!("/Users?{}", filter("userName eq \"grace@contoso.com\""))).await, 0, 1, 0);
    // E-Q21: "" then null unassign.
    let r = patch(&app, &path, patch_body(json!([{"op":"Replace","path":"displayName","value":""}]))).await;
    assert!(r.2.get("displayName").is_none(), "{}", r.2);
    let r = patch(&app, &path, patch_body(json!([{"op":"Replace","path":"userType","value":null}]))).await;
    assert!(r.2.get("userType").is_none(), "{}", r.2);
}

#[tokio::test]
async fn patch_okta_user_shapes_in_compat_mode() {
    let app = compat();
    let u = create_user(&app, "henry@okta.local").await;
    let path = format!("/Users/{}", id_of(&u));
    // O-DU / O-RU: path-less replace.
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","value":{"active":false}}]))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["active"], json!(false));
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","value":{"active":true}}]))).await;
    assert_eq!(r.2["active"], json!(true));
    // PATCH with attributes: the answer is projected.
    let r = send(
        &app,
        Method::PATCH,
        &format!("{path}?attributes=userName"),
        &[],
        Some(patch_body(json!([{"op":"replace","path":"title","value":"CTO"}]))),
    )
    .await;
    assert_status(&r, 200);
    assert!(r.2.get("title").is_none() && r.2["userName"] == json!("henry@okta.local"), "{}", r.2);
    assert_eq!(get(&app, &path).await.2["title"], json!("CTO"));
}

#[tokio::test]
async fn patch_group_members_as_entra_sends_them() {
    let app = compat();
    let users: Vec<String> = {
        let mut v = Vec::new();
        for n in ["m1", "m2", "m3"] {
            v.push(id_of(&create_user(&app, n).await));
        }
        v
    };
    // E-CG: the extra Microsoft URN, meta.resourceType, no members.
    let g = post(
        &app,
        "/Groups",
        json!({
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Eng",
            "meta": { "resourceType": "Group" },
        }),
    )
    .await;
    assert_status(&g, 201);
    let path = format!("/Groups/{}", id_of(&g.2));
    // E-AM: several members in one Add, with "$ref": null.
    let add = patch_body(json!([{"op":"Add","path":"members","value":[
        {"$ref": null, "value": users[0]},
        {"$ref": null, "value": users[1]},
        {"$ref": null, "value": users[2]},
    ]}]));
    assert_status(&patch(&app, &path, add).await, 200);
    assert_eq!(member_ids(&get(&app, &path).await.2), sorted(users.clone()));
    // E-QG: filtered list without members.
    let q = get(&app, &format!("/Groups?excludedAttributes=members&{}", filter("displayName eq \"Eng\""))).await;
    assert_list(&q, 1, 1, 1);
    assert!(resources(&q.2)[0].get("members").is_none());
    assert!(get(&app, &format!("{path}?excludedAttributes=members")).await.2.get("members").is_none());
    // E-RM: remove with a value array removes only the listed members.
    let remove = patch_body(json!([{"op":"Remove","path":"members","value":[{"value": users[0]}]}]));
    assert_status(&patch(&app, &path, remove).await, 200);
    assert_eq!(member_ids(&get(&app, &path).await.2), sorted(users[1..].to_vec()));
    // E2-RM: filtered removal.
    let remove = patch_body(json!([{"op":"remove","path":format!("members[value eq \"{}\"]", users[1])}]));
    assert_status(&patch(&app, &path, remove).await, 200);
    assert_eq!(member_ids(&get(&app, &path).await.2), vec![users[2].clone()]);
    // E-RG: rename.
    let rename = patch_body(json!([{"op":"Replace","path":"displayName","value":"Engineering"}]));
    assert_eq!(patch(&app, &path, rename).await.2["displayName"], json!("Engineering"));
}

#[tokio::test]
async fn patch_adds_many_members_in_one_operation() {
    let app = compat();
    let mut members = Vec::new();
    for i in 0..150 {
        members.push(json!({ "value": id_of(&create_user(&app, &format!("bulkmember{i}")).await) }));
    }
    // A duplicate in the same operation is stored once.
    members.push(members[0].clone());
    let g = create_group(&app, "Big", &[]).await;
    let path = format!("/Groups/{}", id_of(&g));
    let r = patch(&app, &path, patch_body(json!([{"op":"Add","path":"members","value":members}]))).await;
    assert_status(&r, 200);
    assert_eq!(member_ids(&get(&app, &path).await.2).len(), 150);
}

#[tokio::test]
async fn extension_urn_is_listed_iff_extension_data_is_present() {
    let app = compat();
    let mut body = user_body("ext");
    body["schemas"] = json!([USER, ENTERPRISE]);
    let r = post(&app, "/Users", body.clone()).await;
    assert_status(&r, 201);
    assert_eq!(r.2["schemas"], json!([USER]), "no extension data, no extension URN");
    let path = format!("/Users/{}", id_of(&r.2));
    let add = patch_body(json!([{"op":"add","path":format!("{ENTERPRISE}:department"),"value":"Ops"}]));
    let r = patch(&app, &path, add).await;
    assert_eq!(r.2["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(r.2[ENTERPRISE]["department"], json!("Ops"));
    let r = get(&app, &format!("/Users?{}", filter(&format!("{ENTERPRISE}:department eq \"Ops\"")))).await;
    assert_list(&r, 1, 1, 1);
    let remove = patch_body(json!([{"op":"remove","path":format!("{ENTERPRISE}:department")}]));
    let r = patch(&app, &path, remove).await;
    assert_eq!(r.2["schemas"], json!([USER]));
    assert!(r.2.get(ENTERPRISE).is_none());
}

#[tokio::test]
async fn patch_group_members_as_okta_sends_them() {
    let app = compat();
    let u1 = id_of(&create_user(&app, "o1").await);
    let u2 = id_of(&create_user(&app, "o2").await);
    let u3 = id_of(&create_user(&app, "o3").await);
    // O-CG with members: [].
    let g = post(&app, "/Groups", json!({"schemas":[GROUP],"displayName":"Okta Team","members":[]})).await;
    assert_status(&g, 201);
    let gid = id_of(&g.2);
    let path = format!("/Groups/{gid}");
    // O-RG: path-less replace with the group's own id, sent again and again.
    for _ in 0..3 {
        let r =
            patch(&app, &path, patch_body(json!([{"op":"replace","value":{"id": gid, "displayName":"Okta Team 2"}}])))
                .await;
        assert_status(&r, 200);
        assert_eq!(r.2["displayName"], json!("Okta Team 2"));
    }
    // O-MG: remove by filter and add (with display) in one PATCH.
    let r = patch(
        &app,
        &path,
        patch_body(
            json!([{"op":"add","path":"members","value":[{"value":u1,"display":"o1"},{"value":u2,"display":"o2"}]}]),
        ),
    )
    .await;
    assert_status(&r, 200);
    let r = patch(
        &app,
        &path,
        patch_body(json!([
            {"op":"remove","path":format!("members[value eq \"{u1}\"]")},
            {"op":"add","path":"members","value":[{"value":u3,"display":"o3"}]},
        ])),
    )
    .await;
    assert_status(&r, 200);
    assert_eq!(member_ids(&r.2), sorted(vec![u2.clone(), u3.clone()]));
    // O-MR: full replacement, then empty.
    let r =
        patch(&app, &path, patch_body(json!([{"op":"replace","path":"members","value":[{"value":u1},{"value":u2}]}])))
            .await;
    assert_eq!(member_ids(&r.2), sorted(vec![u1, u2]));
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"members","value":[]}]))).await;
    assert_status(&r, 200);
    assert!(member_ids(&get(&app, &path).await.2).is_empty());
}

#[tokio::test]
async fn strict_mode_rejects_what_the_rfc_rejects() {
    let app = strict();
    let u = create_user(&app, "ivy").await;
    let path = format!("/Users/{}", id_of(&u));
    // PascalCase op (E-Q1), string boolean (E-Q2), path-less dotted keys (E-Q5), filtered write with no match (E-Q22).
    let cases = [
        json!([{"op":"Add","path":"title","value":"x"}]),
        json!([{"op":"Replace","path":"active","value":"False"}]),
        json!([{"op":"replace","path":"active","value":"False"}]),
        json!([{"op":"replace","value":{"name.givenName":"Ivy"}}]),
        json!([{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"1"}]),
    ];
    for ops in cases {
        let r = patch(&app, &path, patch_body(ops.clone())).await;
        assert_status(&r, 400);
        assert_error(&r, 400, None);
    }
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"active","value":"False"}]))).await;
    assert_error(&r, 400, Some("invalidValue"));
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","value":{"name.givenName":"Ivy"}}]))).await;
    assert_error(&r, 400, Some("invalidPath"));
    let r = patch(
        &app,
        &path,
        patch_body(json!([{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"1"}])),
    )
    .await;
    assert_error(&r, 400, Some("noTarget"));
    assert_eq!(get(&app, &path).await.2, u, "nothing was applied");
    // The RFC shapes work.
    let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"active","value":false}]))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["active"], json!(false));
    let r = patch(&app, &path, patch_body(json!([{"op":"add","value":{"name":{"givenName":"Ivy"}}}]))).await;
    assert_eq!(r.2["name"]["givenName"], json!("Ivy"));
    // POST with "active": "True" (MS Postman) — strict 400, compat 201 with a real boolean.
    let mut body = user_body("jack");
    body["active"] = json!("True");
    assert_error(&post(&app, "/Users", body.clone()).await, 400, Some("invalidValue"));
    let r = post(&compat(), "/Users", body).await;
    assert_status(&r, 201);
    assert_eq!(r.2["active"], json!(true));
}

#[tokio::test]
async fn compat_accepts_string_booleans_and_pascal_case_ops_strict_does_not() {
    for (app, ok) in [(compat(), true), (strict(), false)] {
        let u = create_user(&app, "kim").await;
        let path = format!("/Users/{}", id_of(&u));
        let r1 = patch(&app, &path, patch_body(json!([{"op":"replace","path":"active","value":"False"}]))).await;
        let r2 = patch(&app, &path, patch_body(json!([{"op":"Add","path":"nickName","value":"K"}]))).await;
        if ok {
            assert_status(&r1, 200);
            assert_eq!(r1.2["active"], json!(false));
            assert_status(&r2, 200);
            assert_eq!(r2.2["nickName"], json!("K"));
        } else {
            assert_error(&r1, 400, Some("invalidValue"));
            assert_error(&r2, 400, None);
        }
    }
}

#[tokio::test]
async fn patch_errors() {
    for (app, mode) in [(compat(), ServerMode::Compat), (strict(), ServerMode::Strict)] {
        let u = create_user(&app, "liam").await;
        let path = format!("/Users/{}", id_of(&u));
        let replace_title = json!({"op":"replace","path":"title","value":"T"});
        // N12: a PatchOp without `schemas` is RFC-invalid; compat tolerates it (docs/patch-semantics.md,
        // `missing_schemas`), as Entra's skeletons omit it.
        let r = patch(&app, &path, json!({"Operations":[replace_title.clone()]})).await;
        match mode {
            ServerMode::Strict => assert_error(&r, 400, Some("invalidSyntax")),
            ServerMode::Compat => assert_status(&r, 200),
        }
        let before = get(&app, &path).await;
        assert_error(&patch(&app, &path, patch_body(json!([]))).await, 400, Some("invalidSyntax"));
        assert_error(&patch(&app, &path, json!({"schemas":[PATCH_OP]})).await, 400, Some("invalidSyntax"));
        // N13
        assert_error(&patch(&app, &path, patch_body(json!([{"op":"remove"}]))).await, 400, Some("noTarget"));
        // N14
        let bad_path = json!([{"op":"replace","path":"emails[type eq \"work\"","value":"x"}]);
        assert_error(&patch(&app, &path, patch_body(bad_path)).await, 400, Some("invalidPath"));
        let unknown = json!([{"op":"replace","path":"shoeSize","value":"x"}]);
        assert_error(&patch(&app, &path, patch_body(unknown)).await, 400, Some("invalidPath"));
        // N15
        for p in ["id", "meta.created", "groups"] {
            let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":p,"value":"x"}]))).await;
            assert_error(&r, 400, Some("mutability"));
        }
        // Removing a required attribute.
        let r = patch(&app, &path, patch_body(json!([{"op":"remove","path":"userName"}]))).await;
        assert_error(&r, 400, Some("mutability"));
        // A value of the wrong type.
        let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"active","value":7}]))).await;
        assert_error(&r, 400, Some("invalidValue"));
        // Unknown op.
        let r = patch(&app, &path, patch_body(json!([{"op":"merge","path":"title","value":"x"}]))).await;
        assert_error(&r, 400, None);
        // N16: atomic.
        let r =
            patch(&app, &path, patch_body(json!([replace_title.clone(), {"op":"replace","path":"id","value":"x"}])))
                .await;
        assert_error(&r, 400, Some("mutability"));
        let after = get(&app, &path).await;
        assert_eq!(after.2, before.2, "a failed PATCH changes nothing");
        assert_eq!(etag(&after.1), etag(&before.1));
        // N4
        let r = patch(&app, "/Users/no-such-id", patch_body(json!([replace_title]))).await;
        assert_error(&r, 404, None);
    }
}

#[tokio::test]
async fn patch_that_changes_nothing_keeps_the_version() {
    let app = compat();
    let u = create_user(&app, "mia").await;
    let path = format!("/Users/{}", id_of(&u));
    let first = patch(&app, &path, patch_body(json!([{"op":"add","path":"nickName","value":"M"}]))).await;
    assert_status(&first, 200);
    assert_ne!(etag(&first.1), u["meta"]["version"].as_str().unwrap());
    let second = patch(&app, &path, patch_body(json!([{"op":"add","path":"nickName","value":"M"}]))).await;
    assert_status(&second, 200);
    assert_eq!(etag(&second.1), etag(&first.1), "RFC 7644 §3.5.2.1: a no-op SHALL NOT change the version");
    assert_eq!(second.2["meta"]["lastModified"], first.2["meta"]["lastModified"]);
    assert_eq!(second.2["meta"]["created"], u["meta"]["created"]);
}

// ===== DELETE =========================================================================================

#[tokio::test]
async fn delete_then_404_everywhere() {
    let app = compat();
    let u = create_user(&app, "noah").await;
    let g = create_group(&app, "Doomed", &[]).await;
    for (path, body) in [
        (format!("/Users/{}", id_of(&u)), user_body("noah")),
        (format!("/Groups/{}", id_of(&g)), group_body("Doomed", &[])),
    ] {
        let r = delete(&app, &path).await;
        assert_status(&r, 204);
        assert_eq!(r.2, Value::Null, "204 has an empty body");
        assert_error(&get(&app, &path).await, 404, None);
        assert_error(&put(&app, &path, body).await, 404, None);
        let r = patch(&app, &path, patch_body(json!([{"op":"replace","path":"displayName","value":"x"}]))).await;
        assert_error(&r, 404, None);
        assert_error(&delete(&app, &path).await, 404, None);
    }
    assert_list(&get(&app, "/Users").await, 0, 1, 0);
    assert_list(&get(&app, "/Groups").await, 0, 1, 0);
    assert_list(&get(&app, &format!("/Users?{}", filter("userName eq \"noah\""))).await, 0, 1, 0);
    assert_error(&delete(&app, "/Users/never-existed").await, 404, None);
}

// ===== groups =========================================================================================

#[tokio::test]
async fn group_crud_and_member_rendering() {
    let app = compat();
    let u = create_user(&app, "olivia").await;
    let uid = id_of(&u);
    let r = post(
        &app,
        "/Groups",
        json!({"schemas":[GROUP],"displayName":"Admins","members":[{"value":uid,"display":"wrong","type":"User"}]}),
    )
    .await;
    assert_status(&r, 201);
    assert_scim_json(&r.1);
    let g = &r.2;
    let gid = id_of(g);
    let location = r.1.get(header::LOCATION).and_then(|v| v.to_str().ok()).expect("Location");
    assert_eq!(location, format!("http://{HOST}{BASE}/Groups/{gid}"));
    assert_eq!(g["meta"]["location"], json!(location));
    assert_eq!(g["meta"]["version"], json!(etag(&r.1)));
    assert_eq!(g["meta"]["resourceType"], json!("Group"));
    let member = &g["members"][0];
    assert_eq!(member["value"], json!(uid));
    assert_eq!(member["type"], json!("User"));
    assert_eq!(member["$ref"], json!(format!("http://{HOST}{BASE}/Users/{uid}")));
    // `display` is readOnly: absent, or the server's own — never what the client wrote.
    assert!(member.get("display").is_none_or(|d| d == "olivia"), "{member}");
    assert_eq!(get(&app, &format!("/Groups/{gid}")).await.2, *g);
    // PUT replaces the member list.
    let r = put(&app, &format!("/Groups/{gid}"), json!({"schemas":[GROUP],"displayName":"Admins 2"})).await;
    assert_status(&r, 200);
    assert_eq!(r.2["displayName"], json!("Admins 2"));
    assert!(r.2.get("members").is_none(), "{}", r.2);
    assert_eq!(r.2["id"], json!(gid));
}

#[tokio::test]
async fn user_groups_are_computed_from_memberships() {
    let app = compat();
    let u = create_user(&app, "paul").await;
    let uid = id_of(&u);
    let upath = format!("/Users/{uid}");
    assert!(u.get("groups").is_none());
    let g = create_group(&app, "Readers", &[&uid]).await;
    let gid = id_of(&g);
    let groups = get(&app, &upath).await.2["groups"].clone();
    assert_eq!(
        groups,
        json!([{ "value": gid, "$ref": format!("http://{HOST}{BASE}/Groups/{gid}"), "display": "Readers", "type": "direct" }])
    );
    // Filterable, and follows renames and removals.
    let r = get(&app, &format!("/Users?{}", filter(&format!("groups.value eq \"{gid}\"")))).await;
    assert_eq!(ids(&r.2), vec![uid.clone()]);
    let rename = patch_body(json!([{"op":"replace","path":"displayName","value":"Writers"}]));
    assert_status(&patch(&app, &format!("/Groups/{gid}"), rename).await, 200);
    assert_eq!(get(&app, &upath).await.2["groups"][0]["display"], json!("Writers"));
    // `groups` sent by a client on PUT is ignored (readOnly), membership stays.
    let mut body = user_body("paul");
    body["groups"] = json!([]);
    assert_status(&put(&app, &upath, body).await, 200);
    assert_eq!(get(&app, &upath).await.2["groups"][0]["value"], json!(gid));
    let remove = patch_body(json!([{"op":"remove","path":format!("members[value eq \"{uid}\"]")}]));
    assert_status(&patch(&app, &format!("/Groups/{gid}"), remove).await, 200);
    assert!(get(&app, &upath).await.2.get("groups").is_none());
    // Deleting the group removes it from its members' groups.
    let g2 = create_group(&app, "Temp", &[&uid]).await;
    assert_eq!(get(&app, &upath).await.2["groups"].as_array().map(Vec::len), Some(1));
    assert_status(&delete(&app, &format!("/Groups/{}", id_of(&g2))).await, 204);
    assert!(get(&app, &upath).await.2.get("groups").is_none());
}

#[tokio::test]

async fn user_groups_include_indirect_memberships() {
    let app = compat();
    let uid = id_of(&create_user(&app, "quinn").await);
    let inner = id_of(&create_group(&app, "Inner", &[&uid]).await);
    let outer = id_of(&create_group(&app, "Outer", &[&inner]).await);
    let groups = get(&app, &format!("/Users/{uid}")).await.2["groups"].clone();
    let by_id = |id: &str| groups.as_array().and_then(|a| a.iter().find(|g| g["value"] == json!(id))).cloned();
    assert_eq!(by_id(&inner).map(|g| g["type"].clone()), Some(json!("direct")), "{groups}");
    // RFC 7643 §4.1.2: groups the user belongs to "either through direct membership, through nested groups";
    // type "indirect".
    assert_eq!(by_id(&outer).map(|g| g["type"].clone()), Some(json!("indirect")), "{groups}");
}

#[tokio::test]
async fn deleting_a_user_removes_it_from_groups() {
    let app = compat();
    let u1 = id_of(&create_user(&app, "rose").await);
    let u2 = id_of(&create_user(&app, "sam").await);
    let g = create_group(&app, "Both", &[&u1, &u2]).await;
    let gpath = format!("/Groups/{}", id_of(&g));
    let before = get(&app, &gpath).await;
    assert_status(&delete(&app, &format!("/Users/{u1}")).await, 204);
    let after = get(&app, &gpath).await;
    assert_eq!(member_ids(&after.2), vec![u2.clone()]);
    assert_ne!(etag(&after.1), etag(&before.1), "the group changed, so its version did");
    let r = get(&app, &format!("/Groups?{}", filter(&format!("members.value eq \"{u1}\"")))).await;
    assert_list(&r, 0, 1, 0);
    // The last member gone: the group has no members.
    assert_status(&delete(&app, &format!("/Users/{u2}")).await, 204);
    assert!(member_ids(&get(&app, &gpath).await.2).is_empty());
}

#[tokio::test]
async fn group_members_may_be_groups() {
    let app = compat();
    let uid = id_of(&create_user(&app, "tess").await);
    let inner = id_of(&create_group(&app, "Inner", &[&uid]).await);
    let r = post(
        &app,
        "/Groups",
        json!({"schemas":[GROUP],"displayName":"Outer","members":[{"value":inner,"type":"Group"},{"value":uid}]}),
    )
    .await;
    assert_status(&r, 201);
    let outer = id_of(&r.2);
    let m = r.2["members"].as_array().unwrap().iter().find(|m| m["value"] == json!(inner)).cloned().expect("member");
    assert_eq!(m["type"], json!("Group"));
    assert!(m.get("display").is_none_or(|d| d == "Inner"), "{m}");
    assert_eq!(m["$ref"], json!(format!("http://{HOST}{BASE}/Groups/{inner}")));
    // A wrong member type, and a group inside itself.
    let r =
        post(&app, "/Groups", json!({"schemas":[GROUP],"displayName":"Bad","members":[{"value":inner,"type":"User"}]}))
            .await;
    assert_error(&r, 400, Some("invalidValue"));
    let selfish = patch_body(json!([{"op":"add","path":"members","value":[{"value":outer}]}]));
    assert_error(&patch(&app, &format!("/Groups/{outer}"), selfish).await, 400, Some("invalidValue"));
    // Deleting the inner group removes it from the outer one.
    assert_status(&delete(&app, &format!("/Groups/{inner}")).await, 204);
    assert_eq!(member_ids(&get(&app, &format!("/Groups/{outer}")).await.2), vec![uid]);
}

#[tokio::test]
async fn a_member_that_does_not_exist_is_400() {
    let app = compat();
    let uid = id_of(&create_user(&app, "uma").await);
    let r = post(&app, "/Groups", group_body("Ghosts", &["no-such-user"])).await;
    assert_error(&r, 400, Some("invalidValue"));
    assert_list(&get(&app, "/Groups").await, 0, 1, 0);
    let g = create_group(&app, "Real", &[&uid]).await;
    let path = format!("/Groups/{}", id_of(&g));
    let add = patch_body(json!([{"op":"add","path":"members","value":[{"value":"no-such-user"}]}]));
    assert_error(&patch(&app, &path, add).await, 400, Some("invalidValue"));
    assert_error(&put(&app, &path, group_body("Real", &[&uid, "no-such-user"])).await, 400, Some("invalidValue"));
    assert_eq!(get(&app, &path).await.2, g, "nothing changed");
    // A member without a type that matches.
    let r = post(
        &app,
        "/Groups",
        json!({"schemas":[GROUP],"displayName":"Typed","members":[{"value":uid,"type":"Group"}]}),
    )
    .await;
    assert_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn a_member_without_value_is_400() {
    let app = compat();
    let r = post(&app, "/Groups", json!({"schemas":[GROUP],"displayName":"NoValue","members":[{"display":"x"}]})).await;
    assert_error(&r, 400, Some("invalidValue"));
    assert_list(&get(&app, "/Groups").await, 0, 1, 0);
    let g = create_group(&app, "Real", &[]).await;
    let add = patch_body(json!([{"op":"add","path":"members","value":[{"display":"x"}]}]));
    assert_error(&patch(&app, &format!("/Groups/{}", id_of(&g)), add).await, 400, Some("invalidValue"));
}

// ===== ETags ==========================================================================================

#[tokio::test]
async fn etags_if_match_and_if_none_match() {
    let app = compat();
    let u = post(&app, "/Users", user_body("vera")).await;
    let v1 = etag(&u.1);
    assert!(v1.starts_with("W/\"") || v1.starts_with('"'), "{v1}");
    let path = format!("/Users/{}", id_of(&u.2));
    // If-None-Match current → 304 without a body; stale → 200.
    let r = send(&app, Method::GET, &path, &[("if-none-match", &v1)], None).await;
    assert_eq!(r.0, StatusCode::NOT_MODIFIED);
    assert_eq!(r.2, Value::Null);
    assert_eq!(etag(&r.1), v1);
    let r = send(&app, Method::GET, &path, &[("if-none-match", "W/\"stale\"")], None).await;
    assert_status(&r, 200);
    // If-Match current → OK and a new version.
    let op = patch_body(json!([{"op":"replace","path":"title","value":"one"}]));
    let r = send(&app, Method::PATCH, &path, &[("if-match", &v1)], Some(op)).await;
    assert_status(&r, 200);
    let v2 = etag(&r.1);
    assert_ne!(v1, v2);
    assert_eq!(r.2["meta"]["version"], json!(v2));
    // N22: stale on PATCH, PUT, DELETE → 412, nothing changed.
    let op = patch_body(json!([{"op":"replace","path":"title","value":"two"}]));
    assert_error(&send(&app, Method::PATCH, &path, &[("if-match", &v1)], Some(op.clone())).await, 412, None);
    assert_error(&send(&app, Method::PUT, &path, &[("if-match", &v1)], Some(user_body("vera"))).await, 412, None);
    assert_error(&send(&app, Method::DELETE, &path, &[("if-match", &v1)], None).await, 412, None);
    assert_error(&send(&app, Method::PATCH, &path, &[("if-match", "W/\"stale\"")], Some(op.clone())).await, 412, None);
    let now = get(&app, &path).await;
    assert_eq!(now.2["title"], json!("one"));
    assert_eq!(etag(&now.1), v2);
    // A list of tags containing the current one; `*`.
    let list = format!("W/\"nope\", {v2}");
    let r = send(&app, Method::PATCH, &path, &[("if-match", &list)], Some(op)).await;
    assert_status(&r, 200);
    let v3 = etag(&r.1);
    let r = send(&app, Method::PUT, &path, &[("if-match", "*")], Some(user_body("vera"))).await;
    assert_status(&r, 200);
    assert_ne!(etag(&r.1), v3);
    let v4 = etag(&r.1);
    let r = send(&app, Method::GET, &path, &[("if-none-match", &v3)], None).await;
    assert_status(&r, 200);
    assert_eq!(etag(&r.1), v4);
    assert_status(&send(&app, Method::DELETE, &path, &[("if-match", "*")], None).await, 204);
    // If-Match on a resource that does not exist is 404 (not 412).
    assert_error(&send(&app, Method::DELETE, &path, &[("if-match", "*")], None).await, 404, None);
}

#[tokio::test]

async fn etag_changes_when_computed_attributes_change() {
    let app = compat();
    let u = post(&app, "/Users", user_body("watched")).await;
    let uid = id_of(&u.2);
    let before = etag(&u.1);
    let g = post(&app, "/Groups", group_body("Watchers", &[&uid])).await;
    // The user's representation now has `groups`: If-None-Match with the old tag must not be 304.
    let r = send(&app, Method::GET, &format!("/Users/{uid}"), &[("if-none-match", &before)], None).await;
    assert_status(&r, 200);
    assert_eq!(r.2["groups"][0]["value"], g.2["id"]);
    assert_ne!(etag(&r.1), before);
    assert_eq!(r.2["meta"]["version"], json!(etag(&r.1)));
    // groups[].display follows the group's displayName.
    let tag = etag(&r.1);
    let rename = patch_body(json!([{"op":"replace","path":"displayName","value":"Observers"}]));
    assert_status(&patch(&app, &format!("/Groups/{}", id_of(&g.2)), rename).await, 200);
    let r = send(&app, Method::GET, &format!("/Users/{uid}"), &[("if-none-match", &tag)], None).await;
    assert_status(&r, 200);
    assert_eq!(r.2["groups"][0]["display"], json!("Observers"));
    // Where the server renders members[].display, it follows the user's displayName: the group's tag must
    // change with it.
    if g.2["members"][0].get("display").is_some() {
        let gtag = etag(&g.1);
        let rename = patch_body(json!([{"op":"replace","path":"displayName","value":"Renamed"}]));
        assert_status(&patch(&app, &format!("/Users/{uid}"), rename).await, 200);
        let r = send(&app, Method::GET, &format!("/Groups/{}", id_of(&g.2)), &[("if-none-match", &gtag)], None).await;
        assert_status(&r, 200);
        assert_eq!(r.2["members"][0]["display"], json!("Renamed"));
    }
}

#[tokio::test]
async fn etags_on_groups() {
    let app = compat();
    let g = post(&app, "/Groups", group_body("Versioned", &[])).await;
    let v1 = etag(&g.1);
    let path = format!("/Groups/{}", id_of(&g.2));
    let r = send(&app, Method::GET, &path, &[("if-none-match", &v1)], None).await;
    assert_eq!(r.0, StatusCode::NOT_MODIFIED);
    let r = send(&app, Method::PUT, &path, &[("if-match", &v1)], Some(group_body("Versioned 2", &[]))).await;
    assert_status(&r, 200);
    let r = send(&app, Method::PUT, &path, &[("if-match", &v1)], Some(group_body("Versioned 3", &[]))).await;
    assert_error(&r, 412, None);
}

// ===== pagination =====================================================================================

async fn seven_users(app: &Router) -> Vec<String> {
    let mut names = Vec::new();
    // Created out of alphabetical order so that "stable" cannot be an accident of sorting by name.
    for n in ["g", "c", "e", "a", "f", "b", "d"] {
        let name = format!("page-{n}");
        create_user(app, &name).await;
        names.push(name);
    }
    names
}

#[tokio::test]
async fn pagination_is_one_based_and_clamped() {
    let app = compat();
    let all = seven_users(&app).await;
    let r = get(&app, "/Users").await;
    assert_list(&r, 7, 1, 7);
    let order = user_names(&r.2);
    assert_eq!(sorted(order.clone()), sorted(all));

    let r = get(&app, "/Users?startIndex=1&count=2").await;
    assert_list(&r, 7, 1, 2);
    assert_eq!(user_names(&r.2), order[0..2]);
    let r = get(&app, "/Users?startIndex=2&count=2").await;
    assert_list(&r, 7, 2, 2);
    assert_eq!(user_names(&r.2), order[1..3], "1-based: startIndex=2 starts at the second");
    // < 1 means 1.
    for s in ["0", "-5"] {
        let r = get(&app, &format!("/Users?startIndex={s}&count=2")).await;
        assert_list(&r, 7, 1, 2);
        assert_eq!(user_names(&r.2), order[0..2]);
    }
    // count=0 and negative count: no resources, totalResults still right (N20).
    assert_list(&get(&app, "/Users?count=0").await, 7, 1, 0);
    assert_list(&get(&app, "/Users?startIndex=0&count=-1").await, 7, 1, 0);
    // Beyond the end: 200, empty.
    assert_list(&get(&app, "/Users?startIndex=8").await, 7, 8, 0);
    assert_list(&get(&app, "/Users?startIndex=100&count=10").await, 7, 100, 0);
    // A partial last page.
    let r = get(&app, "/Users?startIndex=6&count=5").await;
    assert_list(&r, 7, 6, 2);
    assert_eq!(user_names(&r.2), order[5..7]);
    // Filters page too (O-QU sends startIndex=1&count=100).
    let r = get(&app, &format!("/Users?{}&startIndex=1&count=100", filter("userName sw \"page-\""))).await;
    assert_list(&r, 7, 1, 7);
    let r = get(&app, &format!("/Users?{}&startIndex=2&count=1", filter("userName sw \"page-\""))).await;
    assert_list(&r, 7, 2, 1);
    // Parameter names are case-insensitive; non-numbers are 400.
    assert_list(&get(&app, "/Users?STARTINDEX=3&Count=1").await, 7, 3, 1);
    assert_error(&get(&app, "/Users?count=many").await, 400, None);
}

async fn walk(app: &Router, query: &str, count: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 1;
    loop {
        let r = get(app, &format!("/Users?{query}startIndex={start}&count={count}")).await;
        assert_status(&r, 200);
        assert_eq!(r.2["startIndex"], json!(start));
        assert_eq!(r.2["totalResults"], json!(7));
        let page = user_names(&r.2);
        assert_eq!(r.2["itemsPerPage"], json!(page.len()));
        assert!(page.len() <= count);
        if page.is_empty() {
            break;
        }
        start += page.len();
        out.extend(page);
    }
    out
}

#[tokio::test]
async fn pagination_order_is_stable_across_page_sizes() {
    let app = compat();
    seven_users(&app).await;
    let whole = user_names(&get(&app, "/Users").await.2);
    for count in [1, 2, 3, 7] {
        assert_eq!(walk(&app, "", count).await, whole, "count={count}");
    }
    let by_name = user_names(&get(&app, "/Users?sortBy=userName").await.2);
    assert_eq!(by_name, sorted(whole.clone()));
    for count in [2, 3] {
        assert_eq!(walk(&app, "sortBy=userName&", count).await, by_name, "sorted, count={count}");
        let mut desc = by_name.clone();
        desc.reverse();
        assert_eq!(walk(&app, "sortBy=userName&sortOrder=descending&", count).await, desc);
    }
    // Modifying a user does not move it.
    let first = ids(&get(&app, "/Users?count=1").await.2)[0].clone();
    let op = patch_body(json!([{"op":"replace","path":"title","value":"moved?"}]));
    assert_status(&patch(&app, &format!("/Users/{first}"), op).await, 200);
    assert_eq!(walk(&app, "", 3).await, whole);
}

// ===== sorting and projection =========================================================================

#[tokio::test]
async fn sorting() {
    let app = compat();
    for (name, family, email) in
        [("bob", Some("Young"), "z@x.com"), ("Alice", None, "m@x.com"), ("carol", Some("Adams"), "a@x.com")]
    {
        let mut body = user_body(name);
        match family {
            Some(f) => body["name"] = json!({ "familyName": f }),
            None => {
                body.as_object_mut().unwrap().remove("name");
            }
        }
        body["emails"] = json!([{ "value": "other@x.com" }, { "value": email, "primary": true }]);
        assert_status(&post(&app, "/Users", body).await, 201);
    }
    let names = |r: &Reply| user_names(&r.2);
    // userName is caseExact false: Alice before bob.
    assert_eq!(names(&get(&app, "/Users?sortBy=userName").await), ["Alice", "bob", "carol"]);
    assert_eq!(names(&get(&app, "/Users?sortBy=userName&sortOrder=ascending").await), ["Alice", "bob", "carol"]);
    assert_eq!(names(&get(&app, "/Users?sortBy=USERNAME&sortOrder=descending").await), ["carol", "bob", "Alice"]);
    // No data: last ascending, first descending (RFC 7644 §3.4.2.3).
    assert_eq!(names(&get(&app, "/Users?sortBy=name.familyName").await), ["carol", "bob", "Alice"]);
    assert_eq!(
        names(&get(&app, "/Users?sortBy=name.familyName&sortOrder=descending").await),
        ["Alice", "bob", "carol"]
    );
    // Multi-valued: the primary value.
    assert_eq!(names(&get(&app, "/Users?sortBy=emails.value").await), ["carol", "Alice", "bob"]);
    assert_error(&get(&app, "/Users?sortBy=userName&sortOrder=sideways").await, 400, None);
    assert_error(&get(&app, "/Users?sortBy=shoeSize").await, 400, None);
}

#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let app = compat();
    let mut body = user_body("wendy");
    body["schemas"] = json!([USER, ENTERPRISE]);
    body[ENTERPRISE] = json!({ "department": "R&D", "employeeNumber": "7" });
    body["title"] = json!("Lead");
    let u = post(&app, "/Users", body).await.2;
    let path = format!("/Users/{}", id_of(&u));

    let r = get(&app, &format!("{path}?attributes=userName")).await;
    assert_status(&r, 200);
    assert_eq!(r.2["id"], u["id"], "id is returned always");
    assert_eq!(r.2["userName"], json!("wendy"));
    for gone in ["name", "emails", "title", "active", ENTERPRISE] {
        assert!(r.2.get(gone).is_none(), "{gone}: {}", r.2);
    }
    let r = get(&app, &format!("{path}?attributes=name.givenName,{ENTERPRISE}:department")).await;
    assert_eq!(r.2["name"], json!({ "givenName": "Given" }));
    assert_eq!(r.2[ENTERPRISE], json!({ "department": "R&D" }));
    assert!(r.2.get("userName").is_none());

    let r = get(&app, &format!("{path}?excludedAttributes=emails,name.familyName,id,{ENTERPRISE}")).await;
    assert_eq!(r.2["id"], u["id"], "id cannot be excluded");
    assert!(r.2.get("emails").is_none() && r.2.get(ENTERPRISE).is_none(), "{}", r.2);
    assert_eq!(r.2["name"], json!({ "givenName": "Given" }));
    assert_eq!(r.2["title"], json!("Lead"));

    // Lists, and the answers of POST/PUT.
    let r = get(&app, "/Users?attributes=userName").await;
    assert_eq!(resources(&r.2)[0]["userName"], json!("wendy"));
    assert!(resources(&r.2)[0].get("emails").is_none());
    let r = send(&app, Method::POST, "/Users?excludedAttributes=emails", &[], Some(user_body("xena"))).await;
    assert_status(&r, 201);
    assert!(r.2.get("emails").is_none() && r.2.get("id").is_some());
    let r = send(&app, Method::PUT, &format!("{path}?attributes=title"), &[], Some(user_body("wendy"))).await;
    assert_status(&r, 200);
    assert!(r.2.get("userName").is_none() && r.2.get("id").is_some(), "{}", r.2);
}

#[tokio::test]
async fn attributes_keep_schemas() {
    let app = compat();
    let u = create_user(&app, "yuri").await;
    let r = get(&app, &format!("/Users/{}?attributes=userName", id_of(&u))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["schemas"], json!([USER]), "{}", r.2);
    let r = get(&app, "/Users?attributes=userName").await;
    assert_eq!(resources(&r.2)[0]["schemas"], json!([USER]), "{}", r.2);
}

// ===== filters ========================================================================================

async fn hit_ids(app: &Router, f: String) -> Vec<String> {
    let r = get(app, &format!("/Users?{}", filter(&f))).await;
    assert_status(&r, 200);
    assert_eq!(r.2["totalResults"], json!(ids(&r.2).len()), "{f}");
    sorted(ids(&r.2))
}

#[tokio::test]
async fn filters_select_resources() {
    let app = compat();
    let mut a = user_body("Zoe@Example.com");
    a["externalId"] = json!("ABC");
    a["emails"] =
        json!([{ "value": "zoe@work.example", "type": "work" }, { "value": "zoe@home.example", "type": "home" }]);
    let zoe = id_of(&post(&app, "/Users", a).await.2);
    let mut b = user_body("adam@example.com");
    b["active"] = json!(false);
    b["title"] = json!("Engineer");
    let adam = id_of(&post(&app, "/Users", b).await.2);
    let hits = |f: &str| hit_ids(&app, f.to_string());
    let only = |id: &String| vec![id.clone()];
    assert_eq!(hits("userName eq \"zoe@example.com\"").await, only(&zoe), "case-insensitive userName");
    assert_eq!(hits("USERNAME EQ \"ZOE@EXAMPLE.COM\"").await, only(&zoe));
    assert_eq!(hits("externalId eq \"ABC\"").await, only(&zoe));
    assert!(hits("externalId eq \"abc\"").await.is_empty(), "externalId is caseExact");
    assert_eq!(hits("emails[type eq \"work\"].value eq \"zoe@work.example\"").await, only(&zoe), "Entra compat");
    assert!(hits("emails[type eq \"home\"].value eq \"zoe@work.example\"").await.is_empty());
    assert_eq!(hits("emails[type eq \"work\" and value co \"@work\"]").await, only(&zoe));
    assert_eq!(hits("emails.value eq \"zoe@home.example\"").await, only(&zoe));
    assert_eq!(hits("emails co \"home.example\"").await, only(&zoe));
    // Inactive users are returned (E-Q14).
    assert_eq!(hits("active eq false").await, only(&adam));
    assert_eq!(hits("userName eq \"adam@example.com\"").await, only(&adam));
    assert_eq!(hits("title pr").await, only(&adam));
    assert_eq!(hits("not (title pr)").await, only(&zoe));
    assert_eq!(hits("userName sw \"zoe\" or title eq \"Engineer\"").await, sorted(vec![zoe.clone(), adam.clone()]));
    assert_eq!(hits("userName sw \"zoe\" and title eq \"Engineer\"").await, Vec::<String>::new());
    assert_eq!(hits("meta.created gt \"2000-01-01T00:00:00Z\"").await, sorted(vec![zoe.clone(), adam.clone()]));
    assert_eq!(hits(&format!("id eq \"{zoe}\"")).await, only(&zoe));
    // N5: no match is 200 with totalResults 0.
    let r = get(&app, &format!("/Users?{}", filter("userName eq \"0d9a2a6c-no-such-user\""))).await;
    assert_list(&r, 0, 1, 0);
}

#[tokio::test]
async fn filter_encodings_as_idps_send_them() {
    let app = compat();
    let u = id_of(&create_user(&app, "test.user@okta.local").await);
    // Entra: + for spaces, %22 quotes, no Accept (E-TC).
    for q in [
        "filter=userName+eq+%22test.user%40okta.local%22",
        "filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100",
        "filter=userName+eq+%22test.user@okta.local%22&",
        "filter=userName+eq+%22test.user%40okta.local%22&aadOptscim062020",
    ] {
        let r = get(&app, &format!("/Users?{q}")).await;
        assert_list(&r, 1, 1, 1);
        assert_eq!(ids(&r.2), vec![u.clone()], "{q}");
    }
    let r = get(&app, "/Users?filter=userName+eq+%2206e1b85c-5e1d-4ba4-b9a6-000000000000%22").await;
    assert_list(&r, 0, 1, 0);
    let r = get(&app, "/Groups?excludedAttributes=members&filter=displayName+eq+%2206e1b85c%22").await;
    assert_list(&r, 0, 1, 0);
}

#[tokio::test]
async fn invalid_filters_are_400_invalid_filter() {
    for app in [compat(), strict()] {
        create_user(&app, "filter-victim").await;
        for f in [
            "userName eq",
            "(userName eq \"x\"",
            "userName zz \"x\"",
            "userName eq \"x\" and",
            "userName eq \"unterminated",
            "active gt true",
            "emails[value[type eq \"x\"]]",
            "userName eq 5",
            "shoeSize eq \"42\"",
            "name.shoeSize eq \"42\"",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize eq \"x\"",
        ] {
            let r = get(&app, &format!("/Users?{}", filter(f))).await;
            assert_error(&r, 400, Some("invalidFilter"));
            let r = post(&app, "/Users/.search", json!({"schemas":[SEARCH],"filter":f})).await;
            assert_error(&r, 400, Some("invalidFilter"));
        }
        let r = get(&app, &format!("/Groups?{}", filter("userName eq \"x\""))).await;
        assert_error(&r, 400, Some("invalidFilter"));
    }
    // Strict: the Entra value-path form is not RFC grammar.
    let r = get(&strict(), &format!("/Users?{}", filter("emails[type eq \"work\"].value eq \"x\""))).await;
    assert_error(&r, 400, Some("invalidFilter"));
}

// ===== .search ========================================================================================

#[tokio::test]
async fn search_on_resource_types_and_root() {
    let app = compat();
    for n in ["s1", "s2", "s3"] {
        create_user(&app, n).await;
    }
    let g = create_group(&app, "s-group", &[]).await;
    let r = post(
        &app,
        "/Users/.search",
        json!({
            "schemas": [SEARCH],
            "filter": "userName sw \"s\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 2,
            "count": 1,
            "attributes": ["userName"],
        }),
    )
    .await;
    assert_list(&r, 3, 2, 1);
    let only = &resources(&r.2)[0];
    assert_eq!(only["userName"], json!("s2"));
    assert!(only.get("emails").is_none(), "{only}");
    let r = post(&app, "/Users/.search", json!({"schemas":[SEARCH],"excludedAttributes":["emails"]})).await;
    assert_list(&r, 3, 1, 3);
    assert!(resources(&r.2).iter().all(|u| u.get("emails").is_none()));

    let r = post(&app, "/Groups/.search", json!({"schemas":[SEARCH],"filter":"displayName eq \"S-GROUP\""})).await;
    assert_list(&r, 1, 1, 1);
    assert_eq!(ids(&r.2), vec![id_of(&g)]);

    // Root: both types.
    let r = post(&app, "/.search", json!({"schemas":[SEARCH]})).await;
    assert_list(&r, 4, 1, 4);
    let types: Vec<String> =
        resources(&r.2).iter().map(|x| x["meta"]["resourceType"].as_str().unwrap().to_string()).collect();
    assert_eq!(types.iter().filter(|t| *t == "User").count(), 3);
    assert_eq!(types.iter().filter(|t| *t == "Group").count(), 1);
    // An attribute only one type has selects from that type.
    let r = post(&app, "/.search", json!({"schemas":[SEARCH],"filter":"userName eq \"s1\""})).await;
    assert_list(&r, 1, 1, 1);
    let r = post(&app, "/.search", json!({"schemas":[SEARCH],"filter":"displayName eq \"s-group\""})).await;
    assert_list(&r, 1, 1, 1);
    let r = post(&app, "/.search", json!({"schemas":[SEARCH],"filter":"meta.created pr","count":2})).await;
    assert_list(&r, 4, 1, 2);
    let r = post(&app, "/.search", json!({"schemas":[SEARCH],"filter":"shoeSize eq \"x\""})).await;
    assert_error(&r, 400, Some("invalidFilter"));
    // Errors of the body.
    let r = post(&app, "/Users/.search", json!(["not", "an", "object"])).await;
    assert_error(&r, 400, Some("invalidSyntax"));
    let r = post(&app, "/Users/.search", json!({"schemas":[SEARCH],"count":"lots"})).await;
    assert_error(&r, 400, Some("invalidValue"));
    let r = post(&strict(), "/Users/.search", json!({"filter":"userName pr"})).await;
    assert_error(&r, 400, None);
}

#[tokio::test]

async fn root_search_sorts_mixed_types() {
    let app = compat();
    create_user(&app, "b-user").await;
    create_group(&app, "a-group", &[]).await;
    create_user(&app, "a-user").await;
    let r = post(&app, "/.search", json!({"schemas":[SEARCH],"sortBy":"userName"})).await;
    assert_list(&r, 3, 1, 3);
    let order: Vec<Value> =
        resources(&r.2).iter().map(|x| x.get("userName").cloned().unwrap_or(x["displayName"].clone())).collect();
    // "if there is no data for the specified sortBy value … they are ordered last if ascending"
    assert_eq!(order, [json!("a-user"), json!("b-user"), json!("a-group")]);
}

// ===== bulk ===========================================================================================

fn bulk(operations: Value) -> Value {
    json!({ "schemas": [BULK_REQUEST], "Operations": operations })
}

#[tokio::test]
async fn bulk_with_bulk_id_references() {
    let app = compat();
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"POST","path":"/Users","bulkId":"u1","data":user_body("bulk-user")},
            {"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":[GROUP],"displayName":"bulk-group","members":[{"type":"User","value":"bulkId:u1"}]}},
        ])),
    )
    .await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
    assert_eq!(r.2["schemas"], json!([BULK_RESPONSE]));
    let ops = r.2["Operations"].as_array().expect("Operations").clone();
    assert_eq!(ops.len(), 2);
    for (op, bulk_id, endpoint) in [(&ops[0], "u1", "Users"), (&ops[1], "g1", "Groups")] {
        assert_eq!(op["status"], json!("201"), "status is a string: {op}");
        assert_eq!(op["method"], json!("POST"));
        assert_eq!(op["bulkId"], json!(bulk_id));
        assert!(
            op["location"].as_str().is_some_and(|l| l.starts_with(&format!("http://{HOST}{BASE}/{endpoint}/"))),
            "{op}"
        );
        assert!(op["version"].is_string(), "{op}");
    }
    let uid = ops[0]["location"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let gloc = ops[1]["location"].as_str().unwrap();
    let gid = gloc.rsplit('/').next().unwrap();
    let g = get(&app, &format!("/Groups/{gid}")).await;
    assert_eq!(member_ids(&g.2), vec![uid.clone()]);
    assert_eq!(g.2["meta"]["location"], json!(gloc));
    assert_eq!(g.2["meta"]["version"], ops[1]["version"]);
    assert_eq!(get(&app, &format!("/Users/{uid}")).await.2["groups"][0]["value"], json!(gid));

    // PUT, PATCH and DELETE operations, with a version.
    let v = g.2["meta"]["version"].as_str().unwrap().to_string();
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"PATCH","path":format!("/Groups/{gid}"),"version":v,"data":patch_body(json!([{"op":"replace","path":"displayName","value":"renamed"}]))},
            {"method":"PUT","path":format!("/Users/{uid}"),"data":user_body("bulk-user-2")},
            {"method":"DELETE","path":format!("/Groups/{gid}"),"version":"W/\"stale\""},
        ])),
    )
    .await;
    assert_status(&r, 200);
    let ops = r.2["Operations"].as_array().unwrap().clone();
    assert_eq!(ops[0]["status"], json!("200"), "{}", r.2);
    assert_eq!(ops[1]["status"], json!("200"), "{}", r.2);
    assert_eq!(ops[2]["status"], json!("412"), "{}", r.2);
    assert_eq!(ops[2]["response"]["schemas"], json!([ERROR]));
    assert_eq!(ops[2]["response"]["status"], json!("412"));
    assert_eq!(get(&app, &format!("/Groups/{gid}")).await.2["displayName"], json!("renamed"));
    assert_eq!(get(&app, &format!("/Users/{uid}")).await.2["userName"], json!("bulk-user-2"));
}

#[tokio::test]
async fn bulk_forward_reference() {
    let app = compat();
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":[GROUP],"displayName":"fwd","members":[{"value":"bulkId:later"}]}},
            {"method":"POST","path":"/Users","bulkId":"later","data":user_body("fwd-user")},
        ])),
    )
    .await;
    assert_status(&r, 200);
    let ops = r.2["Operations"].as_array().unwrap().clone();
    assert_eq!(ops.len(), 2);
    assert!(ops.iter().all(|o| o["status"] == json!("201")), "{}", r.2);
    let g = ops.iter().find(|o| o["bulkId"] == json!("g")).unwrap();
    let u = ops.iter().find(|o| o["bulkId"] == json!("later")).unwrap();
    let uid = u["location"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let gid = g["location"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert_eq!(member_ids(&get(&app, &format!("/Groups/{gid}")).await.2), vec![uid]);
    // A reference nothing creates.
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([{"method":"POST","path":"/Groups","bulkId":"d","data":{"schemas":[GROUP],"displayName":"dangling","members":[{"value":"bulkId:nobody"}]}}])),
    )
    .await;
    assert_status(&r, 200);
    let op = &r.2["Operations"][0];
    assert!(op["status"].as_str().is_some_and(|s| s.starts_with('4')), "{op}");
    assert_eq!(op["response"]["schemas"], json!([ERROR]));
    assert_list(&get(&app, &format!("/Groups?{}", filter("displayName eq \"dangling\""))).await, 0, 1, 0);
}

#[tokio::test]
async fn bulk_fail_on_errors() {
    let app = compat();
    create_user(&app, "taken").await;
    let r = post(
        &app,
        "/Bulk",
        json!({
            "schemas": [BULK_REQUEST],
            "failOnErrors": 1,
            "Operations": [
                {"method":"POST","path":"/Users","bulkId":"a","data":user_body("taken")},
                {"method":"POST","path":"/Users","bulkId":"b","data":user_body("never-created")},
            ],
        }),
    )
    .await;
    assert_status(&r, 200);
    let ops = r.2["Operations"].as_array().unwrap().clone();
    assert_eq!(ops.len(), 1, "processing stops after failOnErrors errors: {}", r.2);
    assert_eq!(ops[0]["status"], json!("409"));
    assert_eq!(ops[0]["bulkId"], json!("a"));
    assert_eq!(ops[0]["response"]["scimType"], json!("uniqueness"));
    assert_eq!(ops[0]["response"]["status"], json!("409"));
    assert_list(&get(&app, &format!("/Users?{}", filter("userName eq \"never-created\""))).await, 0, 1, 0);
    // Without failOnErrors every operation runs.
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"POST","path":"/Users","bulkId":"a","data":user_body("taken")},
            {"method":"POST","path":"/Users","bulkId":"b","data":user_body("created")},
        ])),
    )
    .await;
    let statuses: Vec<Value> = r.2["Operations"].as_array().unwrap().iter().map(|o| o["status"].clone()).collect();
    assert_eq!(statuses, [json!("409"), json!("201")]);
    let r = post(&app, "/Bulk", json!({"schemas":[BULK_REQUEST],"failOnErrors":0,"Operations":[]})).await;
    assert_error(&r, 400, Some("invalidValue"));
}

#[tokio::test]
async fn bulk_id_in_a_path_is_resolved() {
    let app = compat();
    let uid = id_of(&create_user(&app, "path-ref").await);
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":[GROUP],"displayName":"path-ref"}},
            {"method":"PATCH","path":"/Groups/bulkId:g","data":patch_body(json!([{"op":"add","path":"members","value":[{"value":uid}]}]))},
            {"method":"PUT","path":"/Groups/bulkId:g","data":{"schemas":[GROUP],"displayName":"path-ref 2","members":[{"value":uid}]}},
        ])),
    )
    .await;
    assert_status(&r, 200);
    let statuses: Vec<Value> = r.2["Operations"].as_array().unwrap().iter().map(|o| o["status"].clone()).collect();
    assert_eq!(statuses, [json!("201"), json!("200"), json!("200")], "{}", r.2);
    let gloc = r.2["Operations"][0]["location"].as_str().unwrap();
    assert_eq!(r.2["Operations"][1]["location"], json!(gloc));
    let gid = gloc.rsplit('/').next().unwrap();
    let g = get(&app, &format!("/Groups/{gid}")).await.2;
    assert_eq!(g["displayName"], json!("path-ref 2"));
    assert_eq!(member_ids(&g), vec![uid]);
}

#[tokio::test]

async fn failed_bulk_operations_keep_their_location() {
    let app = compat();
    let u = create_user(&app, "bulk-loc").await;
    let uid = id_of(&u);
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"PUT","path":format!("/Users/{uid}"),"version":"W/\"stale\"","data":user_body("bulk-loc")},
            {"method":"PATCH","path":format!("/Users/{uid}"),"data":patch_body(json!([{"op":"replace","path":"id","value":"x"}]))},
            {"method":"DELETE","path":"/Users/no-such-id"},
        ])),
    )
    .await;
    assert_status(&r, 200);
    let ops = r.2["Operations"].as_array().unwrap().clone();
    let expected = [
        ("412", format!("http://{HOST}{BASE}/Users/{uid}")),
        ("400", format!("http://{HOST}{BASE}/Users/{uid}")),
        ("404", format!("http://{HOST}{BASE}/Users/no-such-id")),
    ];
    for (op, (status, location)) in ops.iter().zip(expected) {
        assert_eq!(op["status"], json!(status), "{op}");
        assert_eq!(op["location"], json!(location), "{op}");
        assert_eq!(op["response"]["status"], json!(status), "{op}");
    }
}

#[tokio::test]

async fn duplicate_bulk_ids_are_refused() {
    let app = compat();
    let r = post(
        &app,
        "/Bulk",
        bulk(json!([
            {"method":"POST","path":"/Users","bulkId":"same","data":user_body("dup-1")},
            {"method":"POST","path":"/Users","bulkId":"same","data":user_body("dup-2")},
            {"method":"POST","path":"/Groups","bulkId":"g","data":{"schemas":[GROUP],"displayName":"which","members":[{"value":"bulkId:same"}]}},
        ])),
    )
    .await;
    // Either the request is refused as a whole (400) or the second operation with the reused bulkId fails.
    if r.0 == StatusCode::OK {
        let ops = r.2["Operations"].as_array().unwrap();
        assert!(ops[1]["status"].as_str().is_some_and(|s| s.starts_with('4')), "{}", r.2);
    } else {
        assert_error(&r, 400, None);
    }
}

#[tokio::test]
async fn bulk_limits_are_413() {
    let app = server(ServerConfig { bulk_max_operations: 2, bulk_max_payload: 2048, ..ServerConfig::default() });
    let op = |n: usize| json!({"method":"POST","path":"/Users","bulkId":format!("b{n}"),"data":user_body(&format!("lim{n}"))});
    let r = post(&app, "/Bulk", bulk(json!([op(1), op(2), op(3)]))).await;
    assert_error(&r, 413, None);
    assert_list(&get(&app, "/Users").await, 0, 1, 0);
    let mut big = user_body("big");
    big["displayName"] = json!("x".repeat(4096));
    let r = post(&app, "/Bulk", bulk(json!([{"method":"POST","path":"/Users","bulkId":"b","data":big}]))).await;
    assert_error(&r, 413, None);
    assert_list(&get(&app, "/Users").await, 0, 1, 0);
    let r = post(&app, "/Bulk", bulk(json!([op(1), op(2)]))).await;
    assert_status(&r, 200);
    // Malformed bulk requests.
    assert_error(&post(&app, "/Bulk", json!({"schemas":[BULK_REQUEST]})).await, 400, Some("invalidSyntax"));
    let r = post(&app, "/Bulk", bulk(json!([{"method":"GET","path":"/Users"}]))).await;
    assert_status(&r, 200);
    assert!(r.2["Operations"][0]["status"].as_str().is_some_and(|s| s.starts_with('4')), "{}", r.2);
}

// ===== transport: routes, methods, auth, media types, bodies =========================================

#[tokio::test]
async fn me_is_501() {
    let app = compat();
    for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let body = if method == Method::GET || method == Method::DELETE { None } else { Some(json!({})) };
        let r = send(&app, method, "/Me", &[], body).await;
        assert_error(&r, 501, None);
    }
}

#[tokio::test]
async fn unknown_routes_are_404_scim_errors() {
    let app = compat();
    for path in ["/scim/v2/Printers", "/scim/v2/Users/a/b", "/nope", "/", "/scim/v3/Users", "/scim/v2/Schemas/a/b"] {
        let r = call(&app, Method::GET, path, &[], None).await;
        assert_error(&r, 404, None);
    }
    let r = call(&app, Method::POST, "/scim/v2/Printers", &[], Some(json!({}))).await;
    assert_error(&r, 404, None);
}

#[tokio::test]
async fn wrong_methods_are_405_scim_errors() {
    let app = compat();
    let u = id_of(&create_user(&app, "method").await);
    let user_path = format!("/Users/{u}");
    let cases: Vec<(Method, &str)> = vec![
        (Method::PUT, "/Users"),
        (Method::PATCH, "/Users"),
        (Method::DELETE, "/Users"),
        (Method::DELETE, "/Groups"),
        (Method::POST, &user_path),
        (Method::GET, "/Bulk"),
        (Method::DELETE, "/Bulk"),
        (Method::GET, "/Users/.search"),
        (Method::GET, "/.search"),
    ];
    for (method, path) in cases {
        let body = if method == Method::GET || method == Method::DELETE { None } else { Some(json!({})) };
        let r = send(&app, method.clone(), path, &[], body).await;
        assert_error(&r, 405, None);
        // RFC 9110 §15.5.6: a 405 lists the allowed methods.
        let allow = r.1.get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(!allow.is_empty() && !allow.contains(method.as_str()), "{method} {path}: Allow {allow:?}");
    }
    assert_list(&get(&app, "/Users").await, 1, 1, 1);
}

#[tokio::test]
async fn authentication_401() {
    let app = server(ServerConfig { token: Some("s3cret".into()), ..ServerConfig::default() });
    let paths = ["/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/Users/x"];
    for path in paths {
        for auth in [None, Some("Bearer wrong"), Some("non-token"), Some("Basic czNjcmV0OnMzY3JldA=="), Some("Bearer ")]
        {
            let headers: Vec<(&str, &str)> = auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
            let r = send(&app, Method::GET, path, &headers, None).await;
            assert_error(&r, 401, None);
            let challenge = r.1.get(header::WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).unwrap_or("");
            assert!(challenge.to_ascii_lowercase().starts_with("bearer"), "WWW-Authenticate {challenge:?}");
        }
    }
    for (method, path, body) in [
        (Method::POST, "/Users", Some(user_body("intruder"))),
        (Method::POST, "/Bulk", Some(bulk(json!([])))),
        (Method::POST, "/.search", Some(json!({"schemas":[SEARCH]}))),
        (Method::DELETE, "/Users/x", None),
    ] {
        assert_error(&send(&app, method, path, &[], body).await, 401, None);
    }
    let ok = [("authorization", "Bearer s3cret")];
    assert_list(&send(&app, Method::GET, "/Users", &ok, None).await, 0, 1, 0);
    assert_status(&send(&app, Method::GET, "/Users", &[("authorization", "bearer s3cret")], None).await, 200);
    assert_status(&send(&app, Method::POST, "/Users", &ok, Some(user_body("ok"))).await, 201);
    assert_error(&send(&app, Method::GET, "/Me", &ok, None).await, 501, None);
}

#[tokio::test]
async fn malformed_json_is_400_invalid_syntax() {
    let app = compat();
    let u = id_of(&create_user(&app, "json").await);
    let g = id_of(&create_group(&app, "json", &[]).await);
    let junk = br#"{"acve": tre, "userName": "#.to_vec();
    let ct = [("content-type", "application/scim+json")];
    for (method, path) in [
        (Method::POST, "/Users".to_string()),
        (Method::POST, "/Groups".to_string()),
        (Method::PUT, format!("/Users/{u}")),
        (Method::PATCH, format!("/Users/{u}")),
        (Method::PATCH, format!("/Groups/{g}")),
        (Method::POST, "/Users/.search".to_string()),
        (Method::POST, "/.search".to_string()),
        (Method::POST, "/Bulk".to_string()),
    ] {
        let r = raw(&app, method.clone(), &at(&path), &ct, junk.clone()).await;
        assert_error(&r, 400, Some("invalidSyntax"));
        let r = raw(&app, method, &at(&path), &ct, Vec::new()).await;
        assert_error(&r, 400, Some("invalidSyntax"));
    }
    // A JSON value that is not an object.
    assert_error(&post(&app, "/Users", json!(["userName"])).await, 400, Some("invalidSyntax"));
    assert_error(&post(&app, "/Users", json!("alice")).await, 400, Some("invalidSyntax"));
    assert_list(&get(&app, "/Users").await, 1, 1, 1);
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = server(ServerConfig { max_body_bytes: 2048, ..ServerConfig::default() });
    let u = id_of(&create_user(&app, "small").await);
    let mut big = user_body("big");
    big["displayName"] = json!("x".repeat(4096));
    assert_error(&post(&app, "/Users", big.clone()).await, 413, None);
    assert_error(&put(&app, &format!("/Users/{u}"), big).await, 413, None);
    let op = patch_body(json!([{"op":"replace","path":"displayName","value":"x".repeat(4096)}]));
    assert_error(&patch(&app, &format!("/Users/{u}"), op).await, 413, None);
    let search = json!({"schemas":[SEARCH],"filter":format!("userName eq \"{}\"", "x".repeat(4096))});
    assert_error(&post(&app, "/Users/.search", search).await, 413, None);
    assert_error(&post(&app, "/Groups", group_body(&"g".repeat(4096), &[])).await, 413, None);
    assert_list(&get(&app, "/Users").await, 1, 1, 1);
}

#[tokio::test]
async fn media_types() {
    let app = compat();
    for (i, ct) in [
        "application/json",
        "application/scim+json",
        "application/scim+json; charset=utf-8",
        "application/json;charset=UTF-8",
    ]
    .into_iter()
    .enumerate()
    {
        let r =
            send(&app, Method::POST, "/Users", &[("content-type", ct)], Some(user_body(&format!("media{i}")))).await;
        assert_status(&r, 201);
        assert_scim_json(&r.1);
    }
    // No Content-Type at all.
    let bytes = serde_json::to_vec(&user_body("no-ct")).unwrap();
    let r = raw(&app, Method::POST, &at("/Users"), &[], bytes).await;
    assert_status(&r, 201);
    // Accept: missing, */*, application/json, application/scim+json.
    for accept in [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("application/scim+json"),
        Some("application/scim+json, application/json;q=0.9"),
    ] {
        let headers: Vec<(&str, &str)> = accept.map(|a| vec![("accept", a)]).unwrap_or_default();
        for path in ["/Users", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
            let r = send(&app, Method::GET, path, &headers, None).await;
            assert_status(&r, 200);
            assert_scim_json(&r.1);
        }
        let r = send(&app, Method::GET, "/Users/nope", &headers, None).await;
        assert_error(&r, 404, None);
    }
    // application/scim+json bodies on PATCH, .search and Bulk with charset.
    let ct = [("content-type", "application/scim+json; charset=utf-8")];
    let r = send(&app, Method::POST, "/.search", &ct, Some(json!({"schemas":[SEARCH]}))).await;
    assert_status(&r, 200);
    let r = send(&app, Method::POST, "/Bulk", &ct, Some(bulk(json!([])))).await;
    assert_status(&r, 200);
    assert_scim_json(&r.1);
}

#[tokio::test]
async fn errors_are_scim_errors_in_strict_mode_too() {
    let app = server(ServerConfig { mode: ServerMode::Strict, token: Some("t".into()), ..ServerConfig::default() });
    assert_error(&send(&app, Method::GET, "/Users", &[], None).await, 401, None);
    let ok = [("authorization", "Bearer t")];
    assert_error(&send(&app, Method::GET, "/Users/none", &ok, None).await, 404, None);
    assert_error(&send(&app, Method::PUT, "/Users", &ok, Some(json!({}))).await, 405, None);
    assert_error(&send(&app, Method::GET, "/Me", &ok, None).await, 501, None);
    let r = send(&app, Method::GET, &format!("/Users?{}", filter("userName eq")), &ok, None).await;
    assert_error(&r, 400, Some("invalidFilter"));
    // Strict: the core schema must be listed; unknown attributes are refused.
    let mut body = user_body("strict");
    body["schemas"] = json!([]);
    assert_error(&send(&app, Method::POST, "/Users", &ok, Some(body)).await, 400, Some("invalidValue"));
    let mut body = user_body("strict");
    body["shoeSize"] = json!(42);
    assert_error(&send(&app, Method::POST, "/Users", &ok, Some(body)).await, 400, Some("invalidValue"));
    let mut body = user_body("strict");
    body["schemas"] = json!([USER, "urn:example:unknown"]);
    assert_error(&send(&app, Method::POST, "/Users", &ok, Some(body)).await, 400, Some("invalidValue"));
    assert_status(&send(&app, Method::POST, "/Users", &ok, Some(user_body("strict"))).await, 201);
    // Compat ignores the same unknown attribute.
    let mut body = user_body("lenient");
    body["shoeSize"] = json!(42);
    let r = post(&compat(), "/Users", body).await;
    assert_status(&r, 201);
    assert!(r.2.get("shoeSize").is_none());
}

/// `userName sw` is answered from the ordered userName index: it selects exactly the users the core's
/// evaluator selects over the whole list, for case variants and non-ASCII folding (final sigma, ß, dotted
/// İ), alone and inside `and`, and under the case-sensitive-userName fault (exact keys, exact compare).
#[tokio::test]
async fn user_name_starts_with_from_the_index_selects_what_the_evaluator_selects() {
    use scimtest::filter::{EvalOptions, ParseOptions, compile, parse_with};
    use scimtest::server::Fault;
    let names = ["alice", "ALICE-x", "Alïce", "ΑΣ", "ασβ", "Straße", "STRASSE", "İstanbul", "istanbul", "bob"];
    let prefixes = ["", "a", "AL", "alï", "ΑΣ", "ασ", "Σ", "stra", "STRAß", "İ", "i", "zz"];
    for case_exact in [false, true] {
        let faults = if case_exact { [Fault::CaseSensitiveUserName].into_iter().collect() } else { Default::default() };
        let app = server(ServerConfig { faults, ..ServerConfig::default() });
        for n in names {
            create_user(&app, n).await;
        }
        let everyone = resources(&get(&app, "/Users?count=1000").await.2);
        let mut schema = scimtest::schema::ResourceSchema::user().clone();
        schema.core.attributes.iter_mut().filter(|a| a.name == "userName").for_each(|a| a.case_exact = case_exact);
        for p in prefixes {
            for text in [format!("userName sw \"{p}\""), format!("userName sw \"{p}\" and userName ne \"bob\"")] {
                let f = parse_with(&text, &ParseOptions::default()).expect("parses");
                let compiled = compile(&f, &schema, &EvalOptions::default()).expect("compiles");
                let expected: Vec<String> = everyone.iter().filter(|u| compiled.matches(u)).map(id_of).collect();
                let listed = get(&app, &format!("/Users?count=1000&{}", filter(&text))).await;
                let got = if listed.0 == StatusCode::NOT_FOUND { Vec::new() } else { ids(&listed.2) };
                assert_eq!(sorted(got), sorted(expected), "{text} (caseExact userName: {case_exact})");
            }
        }
    }
}
