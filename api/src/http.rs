//! HTTP: the GraphQL endpoint with GraphQL-over-HTTP semantics (media types, status codes, GET for queries
//! only), GraphiQL, health and readiness probes, limits, request logging and graceful shutdown.

use std::future::Future;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, Request, Response};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{Viewer, bearer_token};
use crate::error::AppError;
use crate::graphql::{AppSchema, build_schema, loaders::loaders};
use crate::state::AppState;

/// The media type of GraphQL-over-HTTP responses.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone)]
struct Http {
    state: AppState,
    schema: AppSchema,
}

/// The router of the API.
pub fn router(state: AppState) -> Router {
    let schema = build_schema(state.clone());
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(Http { state, schema })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Serves until `shutdown` resolves, then stops accepting and drains requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

async fn readyz(State(http): State<Http>) -> impl IntoResponse {
    match http.state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MediaType {
    /// `application/graphql-response+json`, asked for.
    GraphqlResponseJson,
    /// `application/json`, asked for explicitly: the legacy behaviour, 200 even for request errors.
    Json,
    /// No `Accept`, or `*/*`: answered as `application/json` (what the specification says to assume), with the
    /// status codes of `application/graphql-response+json` (400 for a request that cannot run).
    JsonByDefault,
}

impl MediaType {
    fn header(self) -> HeaderValue {
        match self {
            MediaType::GraphqlResponseJson => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            MediaType::Json | MediaType::JsonByDefault => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// Picks the response media type from `Accept`: `application/graphql-response+json` when the client lists it,
/// `application/json` otherwise; `None` when the client accepts neither.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::JsonByDefault);
    };
    let mut json = false;
    let mut any = false;
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.replace(' ', "") == "q=0");
        if refused {
            continue;
        }
        match media.as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(MediaType::GraphqlResponseJson),
            "application/json" => json = true,
            "*/*" | "application/*" => any = true,
            _ => {}
        }
    }
    if json {
        Some(MediaType::Json)
    } else if any {
        Some(MediaType::JsonByDefault)
    } else {
        None
    }
}

fn error_body(status: StatusCode, err: &AppError, media: MediaType) -> axum::response::Response {
    let body = serde_json::json!({ "errors": [{ "message": err.message(), "extensions": { "code": err.code() } }] });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, media.header());
    if matches!(err, AppError::Unauthenticated(_)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
    }
    response
}

fn authenticate(http: &Http, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(Viewer::anonymous()) };
    let value = value.to_str().map_err(|_| AppError::Unauthenticated("invalid Authorization header".into()))?;
    let token = bearer_token(value)
        .ok_or_else(|| AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".into()))?;
    http.state.auth.authenticate(token)
}

/// A request error (parse, validation, limits): nothing executed, so no data and no error has a path.
fn is_request_error(response: &Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

async fn execute(http: &Http, viewer: Viewer, batch: BatchRequest, media: MediaType) -> axum::response::Response {
    let wants_cost: Vec<bool> = match &batch {
        BatchRequest::Single(request) => vec![asks_for_cost(request)],
        BatchRequest::Batch(requests) => requests.iter().map(asks_for_cost).collect(),
    };
    let sources: Vec<String> = match &batch {
        BatchRequest::Single(request) => vec![request.query.clone()],
        BatchRequest::Batch(requests) => requests.iter().map(|r| r.query.clone()).collect(),
    };
    let max_aliases = http.state.config.max_aliases;
    if sources.iter().any(|q| count_aliases(q) > max_aliases) {
        let err =
            AppError::BadUserInput { field: None, message: format!("a query may use at most {max_aliases} aliases") };
        let mut response = error_body(StatusCode::BAD_REQUEST, &err, media);
        if media == MediaType::Json {
            *response.status_mut() = StatusCode::OK;
        }
        return response;
    }
    let delay = Duration::from_millis(http.state.config.dataloader_delay_ms);
    let prepare =
        |request: Request| request.data(viewer.clone()).data(loaders(http.state.db.clone(), viewer.clone(), delay));
    let batch = match batch {
        BatchRequest::Single(request) => BatchRequest::Single(prepare(request)),
        BatchRequest::Batch(requests) => BatchRequest::Batch(requests.into_iter().map(prepare).collect()),
    };
    let timeout = Duration::from_secs(http.state.config.request_timeout_seconds);
    let Ok(response) = tokio::time::timeout(timeout, http.schema.execute_batch(batch)).await else {
        let err = AppError::Timeout(http.state.config.request_timeout_seconds);
        return error_body(StatusCode::GATEWAY_TIMEOUT, &err, media);
    };
    let mut response = response;
    match &mut response {
        BatchResponse::Single(single) => {
            label_request_errors(single, &sources[0]);
            report_cost(single, wants_cost[0]);
        }
        BatchResponse::Batch(many) => {
            for ((single, source), cost) in many.iter_mut().zip(&sources).zip(&wants_cost) {
                label_request_errors(single, source);
                report_cost(single, *cost);
            }
        }
    }
    let request_error = matches!(&response, BatchResponse::Single(single) if is_request_error(single));
    let status = if request_error && media != MediaType::Json { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let mut body = serde_json::to_value(&response).unwrap_or(serde_json::Value::Null);
    if request_error && let Some(object) = body.as_object_mut() {
        // Nothing ran, so there is no `data` entry at all (not even null).
        object.remove("data");
    }
    let mut http_response = (status, Json(body)).into_response();
    http_response.headers_mut().insert(header::CONTENT_TYPE, media.header());
    http_response
}

/// Whether the client asked for the query's cost (`"extensions": { "cost": true }`).
fn asks_for_cost(request: &Request) -> bool {
    request.extensions.get("cost").is_some_and(|v| *v == async_graphql::Value::Boolean(true))
}

/// Reports the analyzed cost (`complexity`, `depth`) as `extensions.cost` when asked, and nothing otherwise.
fn report_cost(response: &mut Response, asked: bool) {
    let analyzed = response.extensions.remove("analyzer");
    if asked && let Some(analyzed) = analyzed {
        response.extensions.insert("cost".to_owned(), analyzed);
    }
}

/// How many aliased fields a document has (each alias can multiply the work of one field).
pub fn count_aliases(query: &str) -> usize {
    use async_graphql::parser::types::{Selection, SelectionSet};
    fn walk(set: &SelectionSet) -> usize {
        let mut n = 0;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    n += usize::from(field.node.alias.is_some());
                    n += walk(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => n += walk(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
        n
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else { return 0 };
    let mut total: usize = document.fragments.values().map(|f| walk(&f.node.selection_set.node)).sum();
    for (_, operation) in document.operations.iter() {
        total += walk(&operation.node.selection_set.node);
    }
    total
}

/// Gives the errors of a request that could not run a stable code: `GRAPHQL_PARSE_FAILED` when the document does
/// not parse, `GRAPHQL_VALIDATION_FAILED` otherwise (validation, variable coercion, depth and complexity limits).
fn label_request_errors(response: &mut Response, source: &str) {
    if !is_request_error(response) {
        return;
    }
    let code = if async_graphql::parser::parse_query(source).is_err() {
        "GRAPHQL_PARSE_FAILED"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    };
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", code);
        }
    }
}

fn bad_request(message: impl Into<String>, media: MediaType) -> axum::response::Response {
    error_body(StatusCode::BAD_REQUEST, &AppError::BadUserInput { field: None, message: message.into() }, media)
}

fn not_acceptable() -> axum::response::Response {
    (StatusCode::NOT_ACCEPTABLE, "this endpoint answers application/graphql-response+json or application/json\n")
        .into_response()
}

async fn graphql_get(State(http): State<Http>, request: axum::extract::Request) -> axum::response::Response {
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if upgrade {
        return websocket(http, request).await;
    }
    let headers = request.headers().clone();
    let query = request.uri().query().map(str::to_owned);
    graphql_query(http, headers, query).await
}

async fn websocket(http: Http, request: axum::extract::Request) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    let offered =
        request.headers().get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(protocol) = crate::ws::Protocol::negotiate(offered.as_deref()) else {
        return (StatusCode::BAD_REQUEST, "offer the graphql-transport-ws or graphql-ws subprotocol\n").into_response();
    };
    let (mut parts, _) = request.into_parts();
    let upgrade = match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let Http { state, schema } = http;
    upgrade.protocols([protocol.name()]).on_upgrade(move |socket| crate::ws::serve(socket, state, schema, protocol))
}

async fn graphql_query(http: Http, headers: HeaderMap, query: Option<String>) -> axum::response::Response {
    let wants_html =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    let query = query.unwrap_or_default();
    if wants_html && query.is_empty() {
        return Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql").finish())
            .into_response();
    }
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("invalid GraphQL request in the query string: {e}"), media),
    };
    if request.query.trim().is_empty() && request.extensions.get("persistedQuery").is_none() {
        return bad_request("the `query` parameter is required", media);
    }
    if is_mutation(&request) {
        let err = AppError::BadUserInput { field: None, message: "mutations are only accepted over POST".into() };
        let mut response = error_body(StatusCode::METHOD_NOT_ALLOWED, &err, media);
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let viewer = match authenticate(&http, &headers) {
        Ok(viewer) => viewer,
        Err(err) => return error_body(StatusCode::UNAUTHORIZED, &err, media),
    };
    execute(&http, viewer, BatchRequest::Single(request), media).await
}

/// Whether the operation a GET request would run is a mutation (or a subscription, which GET cannot carry).
fn is_mutation(request: &Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return false };
    let kind = match (&document.operations, &request.operation_name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        _ => None,
    };
    matches!(kind, Some(OperationType::Mutation | OperationType::Subscription))
}

async fn graphql_post(State(http): State<Http>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        let err = AppError::BadUserInput {
            field: None,
            message: "POST requests must have Content-Type: application/json".into(),
        };
        return error_body(StatusCode::UNSUPPORTED_MEDIA_TYPE, &err, media);
    }
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(e) => return bad_request(format!("the body is not a GraphQL request: {e}"), media),
    };
    if let BatchRequest::Batch(requests) = &batch {
        if requests.is_empty() {
            return bad_request("an empty batch", media);
        }
        if requests.len() > http.state.config.max_batch {
            return bad_request(format!("a batch may hold at most {} operations", http.state.config.max_batch), media);
        }
    }
    let viewer = match authenticate(&http, &headers) {
        Ok(viewer) => viewer,
        Err(err) => return error_body(StatusCode::UNAUTHORIZED, &err, media),
    };
    let response = execute(&http, viewer, batch, media).await;
    // In-process wake-up for subscribers of this instance (PostgreSQL also notifies every instance on commit).
    http.state.bus.notify();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn negotiation_prefers_graphql_response_json() {
        assert!(matches!(negotiate(&HeaderMap::new()), Some(MediaType::JsonByDefault)));
        assert!(matches!(negotiate(&accept("application/json")), Some(MediaType::Json)));
        assert!(matches!(
            negotiate(&accept("application/json, application/graphql-response+json")),
            Some(MediaType::GraphqlResponseJson)
        ));
        assert!(matches!(negotiate(&accept("*/*")), Some(MediaType::JsonByDefault)));
        assert!(negotiate(&accept("text/plain")).is_none());
    }

    #[test]
    fn mutations_are_recognized_for_get() {
        assert!(is_mutation(&Request::new("mutation { x }")));
        assert!(!is_mutation(&Request::new("{ viewer { authenticated } }")));
        assert!(is_mutation(&Request::new("query A { a } mutation B { b }").operation_name("B")));
    }
}
