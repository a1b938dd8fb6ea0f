//! Fuzzing the reference server's inputs through its router (no socket): generated filter strings,
//! PATCH bodies, and arbitrary JSON or bytes on every endpoint and method. Whatever comes in, the answer
//! is never a 5xx (501 for the unimplemented `/Me` aside) and every error is a SCIM Error whose
//! `status` is the HTTP status. A panic in a handler fails the test.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use proptest::prelude::*;
use proptest::sample::select;
use scimtest::server::{ServerConfig, ServerMode, app, state};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::strategies::{config, filter_soup, json_value};

const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A server in `mode` with a user and a group whose ids the fuzzer aims at.
fn server(mode: ServerMode) -> (Router, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let router = app(state(ServerConfig { mode, ..ServerConfig::default() }));
    for (path, body) in [
        (
            "/scim/v2/Users",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "ignored", "userName": "fuzz-u"}),
        ),
        (
            "/scim/v2/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "fuzz-g"}),
        ),
    ] {
        let (status, _) = rt.block_on(send(
            &router,
            Method::POST,
            path,
            Some("application/scim+json"),
            body.to_string().into_bytes(),
        ));
        assert_eq!(status, 201);
    }
    (router, rt)
}

async fn send(router: &Router, method: Method, uri: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, Vec<u8>) {
    let mut request = Request::builder().method(method).uri(uri).header("host", "fuzz.test");
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// The promise every answer keeps, whatever the request.
fn judge(what: &str, status: u16, body: &[u8]) -> Result<(), TestCaseError> {
    prop_assert!(status < 500 || status == 501, "{what}: {status} {}", String::from_utf8_lossy(body));
    if status >= 400 {
        let error: Value = serde_json::from_slice(body)
            .map_err(|e| TestCaseError::fail(format!("{what}: a {status} whose body is not JSON ({e})")))?;
        prop_assert!(
            error["schemas"].as_array().is_some_and(|s| s.iter().any(|u| u == ERROR)),
            "{what}: a {status} that is not a SCIM Error: {error}"
        );
        let expected = status.to_string();
        prop_assert_eq!(error["status"].as_str(), Some(expected.as_str()), "{}: {}", what, error);
    } else if !body.is_empty() {
        prop_assert!(serde_json::from_slice::<Value>(body).is_ok(), "{what}: a {status} whose body is not JSON");
    }
    Ok(())
}

fn encoded(pairs: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

fn path() -> impl Strategy<Value = String> {
    select(vec![
        "/Users",
        "/Groups",
        "/Users/.search",
        "/Groups/.search",
        "/.search",
        "/Bulk",
        "/Me",
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/Schemas",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        "/Users/%7Bid%7D",
        "/Groups/%7Bid%7D",
        "/Users/does-not-exist",
        "/Users/%00",
        "/Users//",
        "/Nope",
        "",
    ])
    .prop_map(|p| format!("/scim/v2{p}"))
}

fn method() -> impl Strategy<Value = Method> {
    select(vec![Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD, Method::OPTIONS])
}

/// A body: arbitrary JSON, a PatchOp of arbitrary operations, or bytes that are not JSON at all.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string().into_bytes()),
        proptest::collection::vec(json_value(), 0..4).prop_map(|ops| {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
                .to_string()
                .into_bytes()
        }),
        // A BulkRequest of operations with plausible methods, paths and bulkIds and arbitrary data.
        proptest::collection::vec(
            (
                select(vec!["POST", "PUT", "PATCH", "DELETE", "GET", "post"]),
                select(vec!["/Users", "/Groups", "/Users/bulkId:a", "/Groups/bulkId:b", "/Users/x", "/Bulk", ""]),
                select(vec!["a", "b", ""]),
                json_value(),
            ),
            0..4,
        )
        .prop_map(|ops| {
            let ops: Vec<Value> = ops
                .into_iter()
                .map(|(m, p, b, data)| json!({"method": m, "path": p, "bulkId": b, "data": data}))
                .collect();
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops})
                .to_string()
                .into_bytes()
        }),
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(b"{\"schemas\": [".to_vec()),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    select(vec![
        Some("application/scim+json"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ])
}

/// Resolves `%7Bid%7D` to the seeded resource's id, so some requests reach real resources.
fn aim(uri: &str, rt: &tokio::runtime::Runtime, router: &Router) -> String {
    if !uri.contains("%7Bid%7D") {
        return uri.to_string();
    }
    let collection = if uri.contains("/Users/") { "/scim/v2/Users" } else { "/scim/v2/Groups" };
    let (_, body) = rt.block_on(send(router, Method::GET, collection, None, Vec::new()));
    let list: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = list["Resources"][0]["id"].as_str().unwrap_or("gone").to_string();
    uri.replace("%7Bid%7D", &id)
}

proptest! {
    #![proptest_config(config(160))]

    #[test]
    fn any_filter_string_gets_a_list_or_a_scim_error(
        filter in prop_oneof![filter_soup(), any::<String>()],
        collection in select(vec!["/scim/v2/Users", "/scim/v2/Groups", "/scim/v2/Users/.search"]),
        extra in select(vec!["", "sortBy", "attributes", "excludedAttributes", "startIndex", "count"]),
        strict in any::<bool>(),
    ) {
        let (router, rt) = server(if strict { ServerMode::Strict } else { ServerMode::Compat });
        let mut query = vec![("filter", filter.clone())];
        if !extra.is_empty() {
            query.push((extra, filter.clone()));
        }
        let (status, body) = if collection.ends_with(".search") {
            let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter});
            rt.block_on(send(&router, Method::POST, collection, Some("application/scim+json"), search.to_string().into_bytes()))
        } else {
            rt.block_on(send(&router, Method::GET, &format!("{collection}?{}", encoded(&query)), None, Vec::new()))
        };
        judge(&format!("filter {filter:?}"), status, &body)?;
    }

    #[test]
    fn any_patch_body_gets_the_resource_or_a_scim_error(
        ops in proptest::collection::vec(json_value(), 0..5),
        target in select(vec!["/scim/v2/Users/%7Bid%7D", "/scim/v2/Groups/%7Bid%7D"]),
        strict in any::<bool>(),
    ) {
        let (router, rt) = server(if strict { ServerMode::Strict } else { ServerMode::Compat });
        let uri = aim(target, &rt, &router);
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}).to_string();
        let (status, answer) = rt.block_on(send(&router, Method::PATCH, &uri, Some("application/scim+json"), body.clone().into_bytes()));
        judge(&format!("PATCH {uri} {body}"), status, &answer)?;
        // The server still answers sensibly afterwards.
        let (status, answer) = rt.block_on(send(&router, Method::GET, &uri, None, Vec::new()));
        judge(&format!("GET {uri} after PATCH {body}"), status, &answer)?;
    }

    #[test]
    fn any_body_on_any_endpoint_gets_an_answer_or_a_scim_error(
        requests in proptest::collection::vec((method(), path(), body(), content_type()), 1..6),
        strict in any::<bool>(),
    ) {
        // A sequence on one server: earlier requests may have changed what later ones meet.
        let (router, rt) = server(if strict { ServerMode::Strict } else { ServerMode::Compat });
        for (method, path, body, ct) in requests {
            let uri = aim(&path, &rt, &router);
            let shown = format!("{method} {uri} ({ct:?}) {}", String::from_utf8_lossy(&body));
            let head = method == Method::HEAD;
            let (status, answer) = rt.block_on(send(&router, method, &uri, ct, body));
            if head {
                // A HEAD answer has no body by definition (RFC 9110 §9.3.2); only the status counts.
                prop_assert!(status < 500 || status == 501, "{shown}: {status}");
            } else {
                judge(&shown, status, &answer)?;
            }
        }
    }
}
