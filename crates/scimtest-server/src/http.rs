//! HTTP for the reference server: routes, authentication, media types, query parameters, ETags, and every
//! failure as a SCIM Error body (also for unknown routes, wrong methods, bad JSON and oversize bodies).

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use super::behaviour::{Encoding, ItemsPerPage};
use super::error::ScimError;
use super::governance::Catalogue;
use super::listing::ListQuery;
use super::projection::{field, list_from_json, project, split_list};
use super::service::{Kind, Members, Rendered};
use super::{AppState, bulk, discovery, oauth};

pub const SCIM_JSON: &str = "application/scim+json";
use crate::message::{LIST_RESPONSE, SEARCH_REQUEST};

/// The router: SCIM under the configured base path (`/scim/v2`), SCIM errors everywhere else.
pub fn app(state: AppState) -> Router {
    let base = state.config().base_path.clone();
    let mut scim = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema));
    for kind in [Kind::User, Kind::Group] {
        let at = format!("/{}", kind.endpoint());
        scim = scim
            .route(&at, get(move |s, h, q| list(s, h, q, kind)).post(move |s, h, q, b| create(s, h, q, b, kind)))
            .route(&format!("{at}/.search"), post(move |s, h, b| search(s, h, b, vec![kind])))
            .route(
                &format!("{at}/{{id}}"),
                get(move |s, h, q, p| read(s, h, q, p, kind))
                    .put(move |s, h, q, p, b| replace(s, h, q, p, b, kind))
                    .patch(move |s, h, q, p, b| modify(s, h, q, p, b, kind))
                    .delete(move |s, h, p| remove(s, h, p, kind)),
            );
    }
    for c in Catalogue::ALL.into_iter().filter(|_| state.config().governance) {
        let at = format!("/{}", c.endpoint());
        scim = scim
            .route(&at, get(move |s, h, q| catalogue_list(s, h, q, c)))
            .route(&format!("{at}/{{id}}"), get(move |s, h, p| catalogue_item(s, h, p, c)));
    }
    let scim = scim
        .route("/.search", post(move |s, h, b| search(s, h, b, vec![Kind::User, Kind::Group])))
        .route("/Bulk", post(bulk_endpoint))
        .route("/Me", any(me))
        .route("/Me/{*rest}", any(me))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        // Outermost: a request beyond the rate limit is refused before anything else reads it.
        .layer(middleware::from_fn_with_state(super::throttle::Throttle::new(&state), super::throttle::limit))
        .with_state(state.clone());
    let mut root = Router::new().nest(&base, scim);
    if state.config().oauth.is_some() {
        root = root.merge(oauth::routes());
    }
    root.fallback(unknown_route).method_not_allowed_fallback(method_not_allowed).with_state(state)
}

// ----- responses ------------------------------------------------------------------------------------

fn content_type(state: &AppState) -> HeaderValue {
    HeaderValue::from_static(state.behaviour().content_type)
}

fn json_response(state: &AppState, status: StatusCode, body: &Value) -> Response {
    let mut response = (status, serde_json::to_vec(body).expect("JSON values serialize")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, content_type(state));
    response
}

pub(super) fn error_response(state: &AppState, e: ScimError) -> Response {
    let mut response = json_response(state, e.status, &e.body(state.behaviour().error_status == Encoding::Number));
    if e.status == StatusCode::UNAUTHORIZED {
        let basic_only = state.config().token.is_none() && state.config().basic.is_some();
        let challenge = if basic_only { "Basic realm=\"scimtest\"" } else { "Bearer realm=\"scimtest\"" };
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

fn reply(state: &AppState, result: Result<Response, ScimError>) -> Response {
    result.unwrap_or_else(|e| error_response(state, e))
}

/// `http://host/scim/v2`, from the request's Host header.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}{}", state.config().base_path)
}

fn resource_response(
    state: &AppState,
    status: StatusCode,
    mut r: Rendered,
    params: &Params,
    location: bool,
) -> Response {
    let schema = state.schema(r.kind);
    let behaviour = state.behaviour();
    let excluded = if behaviour.excluded_attributes_honoured { &params.excluded[..] } else { &[][..] };
    project(&mut r.json, schema, &params.attributes, excluded, behaviour.password_returned);
    if status == StatusCode::CREATED && !behaviour.create_answers_resource {
        r.json = Value::Null;
    }
    let mut response = if r.json.is_null() { status.into_response() } else { json_response(state, status, &r.json) };
    if let Ok(v) = HeaderValue::from_str(&r.version) {
        response.headers_mut().insert(header::ETAG, v);
    }
    if location
        && behaviour.location_header
        && let Ok(v) = HeaderValue::from_str(&r.location)
    {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

// ----- requests -------------------------------------------------------------------------------------

/// The query parameters of RFC 7644 §3.4.2 and §3.9, names matched case-insensitively.
#[derive(Debug, Default)]
struct Params {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    sort_by: Option<String>,
    descending: bool,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// [`Members::Excluded`] when the answer's projection drops `members` (`excludedAttributes=members`).
fn members_view(state: &AppState, p: &Params) -> Members {
    let excluded = state.behaviour().excluded_attributes_honoured
        && p.excluded.iter().any(|e| e.eq_ignore_ascii_case("members"))
        && !p.attributes.iter().any(|a| a.to_ascii_lowercase().contains("members"));
    if excluded { Members::Excluded } else { Members::Shown }
}

fn integer(name: &str, v: &str) -> Result<i64, ScimError> {
    v.trim()
        .parse()
        .map_err(|_| ScimError::bad_request("invalidValue", format!("`{name}` must be an integer, not `{v}`")))
}

fn sort_order(v: &str) -> Result<bool, ScimError> {
    match v.to_ascii_lowercase().as_str() {
        "ascending" => Ok(false),
        "descending" => Ok(true),
        _ => Err(ScimError::bad_request("invalidValue", format!("`sortOrder` is ascending or descending, not `{v}`"))),
    }
}

fn params(raw: Option<&str>) -> Result<Params, ScimError> {
    params_with(raw, false)
}

/// Query parameters; `strict_names` refuses unknown ones ([`Behaviour::unknown_query_params_refused`]).
///
/// [`Behaviour::unknown_query_params_refused`]: super::behaviour::Behaviour::unknown_query_params_refused
fn params_with(raw: Option<&str>, strict_names: bool) -> Result<Params, ScimError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ScimError::bad_request("invalidSyntax", format!("the query string does not decode: {e}")))?;
    let mut p = Params::default();
    for (k, v) in pairs {
        match k.to_ascii_lowercase().as_str() {
            "filter" => p.filter = Some(v),
            "startindex" => p.start_index = Some(integer("startIndex", &v)?),
            "count" => p.count = Some(integer("count", &v)?),
            "sortby" => p.sort_by = Some(v),
            "sortorder" => p.descending = sort_order(&v)?,
            "attributes" => p.attributes = split_list(&v),
            "excludedattributes" => p.excluded = split_list(&v),
            name if strict_names => {
                return Err(ScimError::bad_request("invalidValue", format!("unknown query parameter `{name}`")));
            }
            _ => {} // Unknown parameters (Entra's ?aadOptscim062020) are ignored.
        }
    }
    Ok(p)
}

/// Reads a JSON body: size limit (413), media type, JSON syntax (400 invalidSyntax).
async fn json_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Value, ScimError> {
    let limit = state.config().max_body_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, format!("the request body is larger than {limit} bytes"))
    })?;
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let behaviour = state.behaviour();
        let refused = (!behaviour.media_type_parameters_accepted && ct.contains(';'))
            || (!behaviour.application_json_accepted && media == "application/json");
        if refused {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("unsupported media type {ct}"),
            ));
        }
        let json_like = media == "application/json" || media == SCIM_JSON || media.ends_with("+json");
        if !json_like && (!behaviour.untyped_bodies_read || !media.is_empty() && media != "text/plain") {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("the body must be {SCIM_JSON} or application/json, not {media}"),
            ));
        }
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ScimError::bad_request("invalidSyntax", format!("the body is not valid JSON: {e}")))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

// ----- middleware and fallbacks -------------------------------------------------------------------

async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let behaviour = state.behaviour();
    if !behaviour.empty_user_agent_accepted
        && header_str(request.headers(), header::USER_AGENT).is_none_or(|ua| ua.trim().is_empty())
    {
        let e = ScimError::new(StatusCode::FORBIDDEN, None, "requests without a User-Agent are refused");
        return error_response(&state, e);
    }
    if !behaviour.credentials_checked {
        return next.run(request).await;
    }
    if behaviour.scim_accept_required {
        let accept = header_str(request.headers(), header::ACCEPT).unwrap_or("");
        if !accept.to_ascii_lowercase().contains(SCIM_JSON) {
            return error_response(
                &state,
                ScimError::new(StatusCode::NOT_ACCEPTABLE, None, format!("Accept must include {SCIM_JSON}")),
            );
        }
    }
    if behaviour.unknown_query_params_refused
        && let Err(e) = params_with(request.uri().query(), true)
    {
        return error_response(&state, e);
    }
    if behaviour.empty_query_segments_refused
        && let Some(query) = request.uri().query()
        && !query.is_empty()
        && query.split('&').any(str::is_empty)
    {
        let e = ScimError::bad_request("invalidSyntax", "the query string has an empty parameter");
        return error_response(&state, e);
    }
    if let Some(authority) = state.oauth() {
        // With --oauth only the server's own access tokens pass (RFC 6750 §3 for the challenge).
        let authorization = header_str(request.headers(), header::AUTHORIZATION);
        let issuer = oauth::issuer(request.headers());
        if let Err(refusal) = authority.check_access(authorization, &issuer, behaviour) {
            let mut response = error_response(&state, ScimError::new(StatusCode::UNAUTHORIZED, None, refusal.detail()));
            response.headers_mut().insert(header::WWW_AUTHENTICATE, refusal.challenge());
            return response;
        }
        return next.run(request).await;
    }
    let config = state.config();
    if config.token.is_some() || config.basic.is_some() {
        let given = header_str(request.headers(), header::AUTHORIZATION).and_then(|h| h.split_once(' '));
        let accepted = given.is_some_and(|(scheme, value)| {
            if scheme.eq_ignore_ascii_case("bearer") {
                config.token.as_deref() == Some(value.trim())
            } else if scheme.eq_ignore_ascii_case("basic") {
                use base64::Engine;
                let decoded = base64::engine::general_purpose::STANDARD.decode(value.trim()).unwrap_or_default();
                config.basic.as_ref().is_some_and(|(user, password)| decoded == format!("{user}:{password}").as_bytes())
            } else {
                false
            }
        });
        if !accepted {
            let detail = if request.headers().contains_key(header::AUTHORIZATION) {
                if config.basic.is_none() { "the bearer token is not valid" } else { "the credential is not valid" }
            } else if config.token.is_some() {
                "authentication required: send Authorization: Bearer <token>"
            } else {
                "authentication required: send Authorization: Basic <user:password>"
            };
            return error_response(&state, ScimError::new(StatusCode::UNAUTHORIZED, None, detail));
        }
    }
    next.run(request).await
}

async fn unknown_route(State(state): State<AppState>, request: Request) -> Response {
    error_response(&state, ScimError::not_found(format!("no SCIM endpoint at {}", request.uri().path())))
}

async fn method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    error_response(
        &state,
        ScimError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            format!("{} is not allowed on {}", request.method(), request.uri().path()),
        ),
    )
}

async fn me(State(state): State<AppState>) -> Response {
    error_response(
        &state,
        ScimError::new(
            StatusCode::NOT_IMPLEMENTED,
            None,
            "/Me is not implemented: this server has no notion of the authenticated subject",
        ),
    )
}

// ----- discovery ------------------------------------------------------------------------------------

/// RFC 7644 §4: a filter on a discovery endpoint SHOULD be refused with 403.
fn no_filter(q: Option<&str>) -> Result<(), ScimError> {
    if params(q)?.filter.is_some() {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "discovery endpoints do not take a filter (RFC 7644 §4)",
        ));
    }
    Ok(())
}

async fn service_provider_config(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    if !s.behaviour().spc_served {
        return error_response(&s, ScimError::not_found("no SCIM endpoint at /ServiceProviderConfig"));
    }
    let r = no_filter(q.as_deref())
        .map(|()| json_response(&s, StatusCode::OK, &discovery::service_provider_config(&s, &base_url(&s, &h))));
    reply(&s, r)
}

async fn resource_types(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let r = no_filter(q.as_deref()).map(|()| {
        json_response(&s, StatusCode::OK, &discovery::list(discovery::resource_types(&s, &base_url(&s, &h))))
    });
    reply(&s, r)
}

async fn resource_type(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let found =
        discovery::resource_types(&s, &base_url(&s, &h)).into_iter().find(|rt| rt["id"].as_str() == Some(id.as_str()));
    let r = found
        .map(|rt| json_response(&s, StatusCode::OK, &rt))
        .ok_or_else(|| ScimError::not_found(format!("no resource type `{id}`")));
    reply(&s, r)
}

async fn schemas(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let r = no_filter(q.as_deref())
        .map(|()| json_response(&s, StatusCode::OK, &discovery::list(discovery::schemas(&s, &base_url(&s, &h)))));
    reply(&s, r)
}

async fn schema(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>) -> Response {
    let found = discovery::schemas(&s, &base_url(&s, &h)).into_iter().find(|x| x["id"].as_str() == Some(id.as_str()));
    let r = found
        .map(|x| json_response(&s, StatusCode::OK, &x))
        .ok_or_else(|| ScimError::not_found(format!("no schema `{id}`")));
    reply(&s, r)
}

// ----- resources ------------------------------------------------------------------------------------

async fn create(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery, body: Body, kind: Kind) -> Response {
    let r = async {
        let p = params(q.as_deref())?;
        let json = json_body(&s, &h, body).await?;
        let created = s.create(kind, &json, &base_url(&s, &h))?;
        Ok(resource_response(&s, s.created_status(), created, &p, true))
    }
    .await;
    reply(&s, r)
}

async fn read(
    State(s): State<AppState>,
    h: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    kind: Kind,
) -> Response {
    let r = (|| {
        let p = params(q.as_deref())?;
        let found = s.get(kind, &id, &base_url(&s, &h), members_view(&s, &p))?;
        if let Some(inm) = header_str(&h, header::IF_NONE_MATCH) {
            let current = found.version.trim_start_matches("W/");
            if inm.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == current) {
                let mut response = StatusCode::NOT_MODIFIED.into_response();
                if let Ok(v) = HeaderValue::from_str(&found.version) {
                    response.headers_mut().insert(header::ETAG, v);
                }
                return Ok(response);
            }
        }
        Ok(resource_response(&s, StatusCode::OK, found, &p, false))
    })();
    reply(&s, r)
}

async fn replace(
    State(s): State<AppState>,
    h: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    body: Body,
    kind: Kind,
) -> Response {
    let r = async {
        // The id read from the raw request-target: `{id}?` is no resource (OneLogin OL-Q6).
        if !s.behaviour().empty_query_ignored && q.as_deref() == Some("") {
            return Err(ScimError::new(StatusCode::NOT_FOUND, None, format!("no {} `{id}?`", kind.name())));
        }
        let p = params(q.as_deref())?;
        let json = json_body(&s, &h, body).await?;
        let (updated, created) = s.replace(kind, &id, &json, header_str(&h, header::IF_MATCH), &base_url(&s, &h))?;
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        Ok(resource_response(&s, status, updated, &p, created))
    }
    .await;
    reply(&s, r)
}

async fn modify(
    State(s): State<AppState>,
    h: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
    body: Body,
    kind: Kind,
) -> Response {
    let r = async {
        let p = params(q.as_deref())?;
        let json = json_body(&s, &h, body).await?;
        let if_match = header_str(&h, header::IF_MATCH);
        let updated = match s.behaviour().group_patch_stale_read_ms.filter(|_| kind == Kind::Group) {
            // The bug: read, yield to the other requests, write over what was read.
            Some(wait) => {
                let stale = s.read_for_patch(kind, &id);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                s.patch_over(kind, &id, &json, if_match, &base_url(&s, &h), stale, members_view(&s, &p))?
            }
            None => s.patch(kind, &id, &json, if_match, &base_url(&s, &h), members_view(&s, &p))?,
        };
        Ok(resource_response(&s, StatusCode::OK, updated, &p, false))
    }
    .await;
    reply(&s, r)
}

async fn remove(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>, kind: Kind) -> Response {
    let r = s.delete(kind, &id, header_str(&h, header::IF_MATCH)).map(|()| StatusCode::NO_CONTENT.into_response());
    reply(&s, r)
}

fn list_response(
    s: &AppState,
    kinds: &[Kind],
    query: &ListQuery,
    p: &Params,
    base: &str,
) -> Result<Response, ScimError> {
    let (page, total, start) = s.list(kinds, query, base)?;
    let behaviour = s.behaviour();
    let excluded = if behaviour.excluded_attributes_honoured { &p.excluded[..] } else { &[][..] };
    let resources: Vec<Value> = page
        .into_iter()
        .map(|mut r| {
            project(&mut r.json, s.schema(r.kind), &p.attributes, excluded, behaviour.password_returned);
            r.json
        })
        .collect();
    Ok(list_page(s, query, resources, total, start))
}

/// A ListResponse of one page (RFC 7644 §3.4.2), its paging fields as the behaviour writes them.
fn list_page(s: &AppState, query: &ListQuery, resources: Vec<Value>, total: usize, start: usize) -> Response {
    let behaviour = s.behaviour();
    let items_per_page = match behaviour.items_per_page {
        ItemsPerPage::Returned => resources.len(),
        ItemsPerPage::Requested => query.count.map_or(s.config().max_results, |c| c.max(0) as usize),
    };
    let mut body = json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": items_per_page,
        "Resources": resources,
    });
    if behaviour.paging_fields == Encoding::String {
        for k in ["totalResults", "startIndex", "itemsPerPage"] {
            body[k] = json!(body[k].to_string());
        }
    }
    json_response(s, StatusCode::OK, &body)
}

/// `GET /Entitlements`, `/Roles`: the read-only catalogue, paged like every list. It takes no filter.
async fn catalogue_list(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery, c: Catalogue) -> Response {
    let r = params(q.as_deref()).and_then(|p| {
        if p.filter.is_some() {
            return Err(ScimError::bad_request("invalidFilter", format!("/{} takes no filter", c.endpoint())));
        }
        let query = ListQuery { start_index: p.start_index, count: p.count, ..ListQuery::default() };
        let (page, total, start) = s.page(c.items(&base_url(&s, &h)), &query);
        Ok(list_page(&s, &query, page, total, start))
    });
    reply(&s, r)
}

async fn catalogue_item(State(s): State<AppState>, h: HeaderMap, Path(id): Path<String>, c: Catalogue) -> Response {
    let found = c.items(&base_url(&s, &h)).into_iter().find(|i| i["id"].as_str() == Some(id.as_str()));
    let r = found
        .map(|i| json_response(&s, StatusCode::OK, &i))
        .ok_or_else(|| ScimError::not_found(format!("no {} `{id}`", c.name())));
    reply(&s, r)
}

async fn list(State(s): State<AppState>, h: HeaderMap, RawQuery(q): RawQuery, kind: Kind) -> Response {
    let delay = s.behaviour().group_list_delay_ms;
    if kind == Kind::Group && delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let r = params(q.as_deref()).and_then(|p| {
        let query = ListQuery {
            in_uri: true,
            filter: p.filter.clone(),
            start_index: p.start_index,
            count: p.count,
            sort_by: p.sort_by.clone(),
            descending: p.descending,
            members: members_view(&s, &p),
        };
        list_response(&s, &[kind], &query, &p, &base_url(&s, &h))
    });
    reply(&s, r)
}

/// `POST /.search` (RFC 7644 §3.4.3): the query in a SearchRequest body.
async fn search(State(s): State<AppState>, h: HeaderMap, body: Body, kinds: Vec<Kind>) -> Response {
    let r = async {
        let json = json_body(&s, &h, body).await?;
        let Value::Object(o) = &json else {
            return Err(ScimError::bad_request("invalidSyntax", "a SearchRequest is a JSON object"));
        };
        let listed = field(o, "schemas")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(SEARCH_REQUEST))));
        if !listed && s.behaviour().schemas_required {
            return Err(ScimError::bad_request("invalidValue", format!("`schemas` must be [\"{SEARCH_REQUEST}\"]")));
        }
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            match field(o, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::bad_request("invalidValue", format!("`{name}` must be an integer"))),
                Some(Value::String(t)) if s.behaviour().search_string_integers => integer(name, t).map(Some),
                Some(_) => Err(ScimError::bad_request("invalidValue", format!("`{name}` must be an integer"))),
            }
        };
        let text = |name: &str| field(o, name).and_then(Value::as_str).map(str::to_string);
        let p = Params {
            filter: text("filter"),
            start_index: number("startIndex")?,
            count: number("count")?,
            sort_by: text("sortBy"),
            descending: match text("sortOrder") {
                Some(v) => sort_order(&v)?,
                None => false,
            },
            attributes: list_from_json(field(o, "attributes")),
            excluded: list_from_json(field(o, "excludedAttributes")),
        };
        let query = ListQuery {
            in_uri: false,
            filter: p.filter.clone(),
            start_index: p.start_index,
            count: p.count,
            sort_by: p.sort_by.clone(),
            descending: p.descending,
            members: members_view(&s, &p),
        };
        list_response(&s, &kinds, &query, &p, &base_url(&s, &h))
    }
    .await;
    reply(&s, r)
}

async fn bulk_endpoint(State(s): State<AppState>, h: HeaderMap, body: Body) -> Response {
    let r = async {
        let limit = s.config().bulk_max_payload;
        let bytes = to_bytes(body, limit).await.map_err(|_| {
            ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the bulk request is larger than maxPayloadSize ({limit} bytes)"),
            )
        })?;
        let json: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ScimError::bad_request("invalidSyntax", format!("the body is not valid JSON: {e}")))?;
        let answer = bulk::run(&s, &json, &base_url(&s, &h))?;
        Ok(json_response(&s, StatusCode::OK, &answer))
    }
    .await;
    reply(&s, r)
}
