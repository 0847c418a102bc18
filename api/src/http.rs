//! HTTP: the GraphQL endpoint with GraphQL-over-HTTP semantics (media types, status codes, GET for queries
//! only), GraphiQL, health and readiness probes, limits, request logging and graceful shutdown.

use std::future::Future;
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request, Response};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::auth::{Viewer, bearer_token};
use crate::error::AppError;
use crate::gate::{self, Refusal, Transport};
use crate::graphql::{
    AppSchema, build_schema,
    loaders::{loaders, query_loaders},
};
use crate::idempotency;
use crate::state::AppState;

/// The media type of GraphQL-over-HTTP responses.
pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone)]
struct Http {
    state: AppState,
    schema: AppSchema,
    /// The schema served to the federation gateway (the same as `schema` outside the production profile).
    gateway: AppSchema,
}

impl Http {
    /// Whether the request carries the gateway's credential (compared in constant time).
    fn is_gateway(&self, headers: &HeaderMap) -> bool {
        let Some(secret) = &self.state.config.gateway_secret else { return false };
        let Some(given) = headers.get("gateway-secret") else { return false };
        let (a, b) = (secret.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The router of the API.
pub fn router(state: AppState) -> Router {
    let schema = build_schema(state.clone());
    let gateway = if state.config.production() {
        crate::graphql::build_schema_for(state.clone(), crate::graphql::Audience::Gateway)
    } else {
        schema.clone()
    };
    let max_body = state.config.max_body_bytes;
    crate::metrics::install();
    let cors = cors(&state.config.cors_allowed_origins);
    let traces = state.config.traces();
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/edxl-rm", axum::routing::post(edxl_import))
        .route("/edxl-rm/{message}/{id}", get(edxl_export))
        .with_state(Http { state, schema, gateway })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(cors)
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |request: &axum::http::Request<axum::body::Body>| {
                    let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or_default();
                    let span = tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id);
                    if traces {
                        // The caller's trace, from its W3C `traceparent`; without one the request starts a trace.
                        let _ = span.set_parent(crate::telemetry::remote_parent(request.headers()));
                    }
                    span
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_unusable_request_id))
}

/// The request id header: accepted from the client (a load balancer's or the caller's own) or generated, returned
/// on the response, and carried by every log line of the request.
pub const REQUEST_ID: &str = "x-request-id";

/// Longest request id accepted from a client.
const MAX_REQUEST_ID: usize = 128;

/// Drops a client's request id that is too long or not plain visible ASCII, so that one is generated instead.
async fn drop_unusable_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let usable = request.headers().get(REQUEST_ID).is_none_or(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty() && bytes.len() <= MAX_REQUEST_ID && bytes.iter().all(|b| b.is_ascii_graphic())
    });
    if !usable {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// The CORS policy: the configured origins only (none by default), the methods and headers a GraphQL client sends,
/// preflights cached for ten minutes. Bearer tokens travel in a header, so no credentials (cookies) are allowed.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let origins: Vec<HeaderValue> = origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            axum::http::HeaderName::from_static("apollo-require-preflight"),
            axum::http::HeaderName::from_static("x-apollo-operation-name"),
            axum::http::HeaderName::from_static(idempotency::HEADER),
        ])
        .expose_headers([
            axum::http::HeaderName::from_static(REQUEST_ID),
            axum::http::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(Duration::from_secs(600))
}

/// Serves until `shutdown` resolves, then stops accepting and drains requests in flight. A client that does not
/// send its request headers within `--header-read-timeout-seconds` is disconnected.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;

    let header_timeout = Duration::from_secs(state.config.header_read_timeout_seconds.max(1));
    let going_away = state.shutting_down.clone();
    let connections = state.connections.clone();
    let app = router(state);
    // HTTP/1.1 only: hyper has no header-read timeout for cleartext HTTP/2, which a slow client could hold open.
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    // WebSocket connections are upgraded out of hyper's sight: tell them, and give them a moment to send their
    // close frame (1001) before the process goes.
    going_away.send_replace(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < deadline && !connections.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    graceful.shutdown().await;
    Ok(())
}

/// `GET /metrics`: Prometheus text exposition (see `metrics`).
async fn metrics(State(http): State<Http>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        crate::metrics::render(&http.state.db),
    )
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

async fn authenticate(http: &Http, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(Viewer::anonymous()) };
    let value = value.to_str().map_err(|_| AppError::Unauthenticated("invalid Authorization header".into()))?;
    let token = bearer_token(value)
        .ok_or_else(|| AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".into()))?;
    let viewer = http.state.auth.authenticate(token)?;
    crate::domain::directory::ensure_listed(&http.state.read_db, &viewer).await?;
    crate::domain::external::admit_service_account(&http.state.read_db, viewer).await
}

async fn execute(
    http: &Http,
    viewer: Viewer,
    batch: BatchRequest,
    media: MediaType,
    transport: Transport,
    gateway: bool,
    idempotency_key: Option<&str>,
) -> axum::response::Response {
    let (requests, single) = match batch {
        BatchRequest::Single(request) => (vec![request], true),
        BatchRequest::Batch(requests) => (requests, false),
    };
    if idempotency_key.is_some() && !single {
        let err = AppError::Request {
            code: "BAD_IDEMPOTENCY_KEY",
            message: "an Idempotency-Key header applies to one operation: send it without a batch, or give each \
                      operation of the batch its own extensions.idempotencyKey"
                .into(),
        };
        return error_body(StatusCode::BAD_REQUEST, &err, media);
    }
    let mut replayed = false;
    let delay = Duration::from_millis(http.state.config.dataloader_delay_ms);
    let timeout = Duration::from_secs(http.state.config.request_timeout_seconds);
    let run = async {
        let mut responses = Vec::with_capacity(requests.len());
        let mut refusal_status = None;
        for request in requests {
            let started = std::time::Instant::now();
            let operation = request.operation_name.clone().unwrap_or_else(|| "-".to_owned());
            let label = crate::metrics::operation_label(request.operation_name.as_deref());
            let wants_cost = asks_for_cost(&request);
            let admitted = gate::admit(&http.state.limits, &http.state.persisted, request, transport, gateway);
            let mut admitted = match admitted {
                Ok(admitted) => admitted,
                Err(refusal) => {
                    crate::metrics::graphql_request(&label, "refused", started.elapsed().as_secs_f64());
                    refusal_status = Some(refusal.status);
                    responses.push(refusal.into_response());
                    continue;
                }
            };
            let named = admitted.request.operation_name.is_some();
            let label = match (named, admitted.request.parsed_query()) {
                (false, Ok(document)) => match &document.operations {
                    async_graphql::parser::types::DocumentOperations::Multiple(named) if named.len() == 1 => {
                        crate::metrics::operation_label(named.keys().next().map(|n| n.as_str()))
                    }
                    _ => label,
                },
                _ => label,
            };
            let schema = if gateway { &http.gateway } else { &http.schema };
            let key = match idempotency::key_of(idempotency_key, &admitted.request) {
                Ok(key) => key.filter(|_| admitted.operation == OperationType::Mutation),
                Err(err) => {
                    crate::metrics::graphql_request(&label, "refused", started.elapsed().as_secs_f64());
                    refusal_status = Some(StatusCode::BAD_REQUEST);
                    responses.push(Refusal { status: StatusCode::BAD_REQUEST, error: err }.into_response());
                    continue;
                }
            };
            let mut response = match key {
                Some(key) => match idempotency::execute(&http.state, schema, &viewer, &key, admitted.request).await {
                    Ok((response, stored)) => {
                        replayed |= stored;
                        response
                    }
                    Err(err) => {
                        let status = match err.code() {
                            "IDEMPOTENCY_KEY_REUSED" => StatusCode::UNPROCESSABLE_ENTITY,
                            _ => status_of(&err),
                        };
                        refusal_status = Some(status);
                        Refusal { status, error: err }.into_response()
                    }
                },
                None => {
                    let build = if admitted.operation == OperationType::Query { query_loaders } else { loaders };
                    let request = admitted.request.data(viewer.clone()).data(build(
                        http.state.handle.clone(),
                        viewer.clone(),
                        delay,
                    ));
                    schema.execute(request).await
                }
            };
            gate::settle(&http.state.persisted, admitted.register, &response);
            gate::label_errors(&mut response);
            report_cost(&mut response, wants_cost);
            tracing::info!(
                operation = %operation,
                principal = %if viewer.subject.is_empty() { "anonymous" } else { viewer.subject.as_str() },
                duration_ms = started.elapsed().as_millis() as u64,
                errors = response.errors.len(),
                "graphql operation"
            );
            let outcome = if response.errors.is_empty() { "ok" } else { "error" };
            crate::metrics::graphql_request(&label, outcome, started.elapsed().as_secs_f64());
            responses.push(response);
        }
        (responses, refusal_status)
    };
    let Ok((mut responses, refusal_status)) = tokio::time::timeout(timeout, run).await else {
        let err = AppError::Timeout(http.state.config.request_timeout_seconds);
        return error_body(StatusCode::GATEWAY_TIMEOUT, &err, media);
    };
    let response = if single {
        BatchResponse::Single(responses.pop().unwrap_or_else(|| Response::from_errors(vec![])))
    } else {
        BatchResponse::Batch(responses)
    };
    let request_error = matches!(&response, BatchResponse::Single(single) if gate::is_request_error(single));
    let status = match (request_error, media, refusal_status) {
        (true, _, Some(status)) if status != StatusCode::BAD_REQUEST => status,
        (true, MediaType::Json, _) => StatusCode::OK,
        (true, _, _) => StatusCode::BAD_REQUEST,
        (false, _, _) => StatusCode::OK,
    };
    let body = if request_error {
        let mut body = serde_json::to_value(&response).unwrap_or(serde_json::Value::Null);
        if let Some(object) = body.as_object_mut() {
            // Nothing ran, so there is no `data` entry at all (not even null).
            object.remove("data");
        }
        serde_json::to_vec(&body)
    } else {
        // Written once, straight from the response.
        serde_json::to_vec(&response)
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => return error_body(StatusCode::INTERNAL_SERVER_ERROR, &AppError::Internal(e.to_string()), media),
    };
    let mut http_response = (status, body).into_response();
    http_response.headers_mut().insert(header::CONTENT_TYPE, media.header());
    if status == StatusCode::METHOD_NOT_ALLOWED {
        http_response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if replayed {
        http_response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
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

/// Whether a browser would have sent a CORS preflight for this request (Apollo's CSRF prevention): a non-empty
/// `Apollo-Require-Preflight` or `X-Apollo-Operation-Name` header, or a Content-Type that a simple request cannot
/// carry.
fn preflighted(headers: &HeaderMap) -> bool {
    let non_empty = |name: &str| headers.get(name).is_some_and(|v| !v.is_empty());
    if non_empty("apollo-require-preflight") || non_empty("x-apollo-operation-name") {
        return true;
    }
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        !essence.is_empty()
            && !matches!(essence.as_str(), "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data")
    })
}

/// Reads a request body within the size and time limits: a declared `Content-Length` over the limit is refused at
/// once (413), before any of the body is read; a body that grows past the limit is refused as soon as it does; a
/// client that sends it too slowly gets 408.
async fn read_body(http: &Http, headers: &HeaderMap, body: axum::body::Body) -> Result<Bytes, (StatusCode, AppError)> {
    let max = http.state.config.max_body_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(length)) if length > max as u64 => {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, AppError::PayloadTooLarge(max)));
        }
        Some(Err(_)) => {
            return Err((
                StatusCode::BAD_REQUEST,
                AppError::Request { code: "BAD_REQUEST", message: "the Content-Length header is not a number".into() },
            ));
        }
        _ => {}
    }
    let timeout = Duration::from_secs(http.state.config.body_read_timeout_seconds);
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, max)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err((StatusCode::PAYLOAD_TOO_LARGE, AppError::PayloadTooLarge(max))),
        Err(_) => Err((
            StatusCode::REQUEST_TIMEOUT,
            AppError::Request {
                code: "BAD_REQUEST",
                message: format!("the request body did not arrive within {} seconds", timeout.as_secs()),
            },
        )),
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

/// Upgrades to a WebSocket. The connection reads at most `--ws-max-init-bytes` until its `connection_init` is
/// authenticated, and no message larger than `--max-body-bytes` afterwards.
async fn websocket(http: Http, mut request: axum::extract::Request) -> axum::response::Response {
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

    let headers = request.headers();
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let Some(protocol) = crate::ws::Protocol::negotiate(offered.as_deref()) else {
        return (StatusCode::BAD_REQUEST, "offer the graphql-transport-ws or graphql-ws subprotocol\n").into_response();
    };
    let connection_upgrade = headers
        .get(header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade")));
    let version_13 = headers.get(header::SEC_WEBSOCKET_VERSION).is_some_and(|v| v == "13");
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY).cloned() else {
        return (StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key\n").into_response();
    };
    if !connection_upgrade || !version_13 || request.method() != axum::http::Method::GET {
        return (StatusCode::BAD_REQUEST, "not a WebSocket handshake (version 13, Connection: upgrade)\n")
            .into_response();
    }
    let Some(on_upgrade) = request.extensions_mut().remove::<hyper::upgrade::OnUpgrade>() else {
        return (StatusCode::UPGRADE_REQUIRED, "this connection cannot be upgraded\n").into_response();
    };
    let Http { state, schema, .. } = http;
    let max_message = state.config.max_body_bytes;
    let budget = crate::ws::ReadBudget::new(state.config.ws_max_init_bytes);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let io = crate::ws::Budgeted::new(hyper_util::rt::TokioIo::new(upgraded), budget.clone());
        let config = WebSocketConfig::default().max_message_size(Some(max_message)).max_frame_size(Some(max_message));
        let socket = tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        crate::ws::serve(socket, state, schema, protocol, budget).await;
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    response_headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(accept) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        response_headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response_headers.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol.name()));
    response
}

async fn graphql_query(http: Http, headers: HeaderMap, query: Option<String>) -> axum::response::Response {
    let wants_html =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("text/html"));
    let query = query.unwrap_or_default();
    if wants_html && query.is_empty() && !http.state.config.production() {
        return crate::graphiql::page();
    }
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    if http.state.config.production() && !preflighted(&headers) {
        let err = AppError::Request {
            code: "BAD_REQUEST",
            message: "this GET request could be a cross-site request forgery: send an `Apollo-Require-Preflight` or \
                      `X-Apollo-Operation-Name` header, or a Content-Type other than text/plain, \
                      application/x-www-form-urlencoded or multipart/form-data"
                .into(),
        };
        return error_body(StatusCode::BAD_REQUEST, &err, media);
    }
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(e) => return bad_request(format!("invalid GraphQL request in the query string: {e}"), media),
    };
    if request.query.trim().is_empty() && request.extensions.get("persistedQuery").is_none() {
        return bad_request("the `query` parameter is required", media);
    }
    let viewer = match authenticate(&http, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error_body(StatusCode::UNAUTHORIZED, &err, media),
    };
    let gateway = http.is_gateway(&headers);
    execute(&http, viewer, BatchRequest::Single(request), media, Transport::Get, gateway, None).await
}

async fn graphql_post(State(http): State<Http>, request: axum::extract::Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let body = match read_body(&http, &headers, body).await {
        Ok(body) => body,
        Err((status, err)) => return error_body(status, &err, media),
    };
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
        if http.state.config.production() {
            return bad_request(
                "batching is turned off in the production profile: send one operation per request",
                media,
            );
        }
        if requests.is_empty() {
            return bad_request("an empty batch", media);
        }
        if requests.len() > http.state.config.max_batch {
            return bad_request(format!("a batch may hold at most {} operations", http.state.config.max_batch), media);
        }
    }
    let viewer = match authenticate(&http, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return error_body(StatusCode::UNAUTHORIZED, &err, media),
    };
    let gateway = http.is_gateway(&headers);
    let key = match headers.get(idempotency::HEADER).map(|v| v.to_str()) {
        None => None,
        Some(Ok(key)) => Some(key),
        Some(Err(_)) => {
            let err = AppError::Request {
                code: "BAD_IDEMPOTENCY_KEY",
                message: "the Idempotency-Key header must be visible ASCII".into(),
            };
            return error_body(StatusCode::BAD_REQUEST, &err, media);
        }
    };
    let response = execute(&http, viewer, batch, media, Transport::Post, gateway, key).await;
    // In-process wake-up for subscribers of this instance (PostgreSQL also notifies every instance on commit).
    http.state.bus.notify();
    response
}

/// The HTTP status of a domain error outside GraphQL.
fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput { .. } | AppError::Request { .. } => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) | AppError::InvalidTransition { .. } | AppError::DeadlinePassed(_) => {
            StatusCode::CONFLICT
        }
        AppError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn edxl_error(err: &AppError) -> axum::response::Response {
    error_body(status_of(err), err, MediaType::Json)
}

/// `GET /edxl-rm/{message}/{id}`: the record `id` as the EDXL-RM message `message` (its root element name, such as
/// `RequestResource`), as the caller may see it; `application/xml`.
async fn edxl_export(
    State(http): State<Http>,
    axum::extract::Path((message, id)): axum::extract::Path<(String, String)>,
    headers: HeaderMap,
) -> axum::response::Response {
    use crate::edxl::EdxlRmMessage;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("*/*").to_ascii_lowercase();
    if !["application/xml", "text/xml", "*/*", "application/*"].iter().any(|m| accept.contains(m)) {
        return (StatusCode::NOT_ACCEPTABLE, "EDXL-RM messages are served as application/xml").into_response();
    }
    let viewer = match authenticate(&http, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return edxl_error(&err),
    };
    let Some(kind) = EdxlRmMessage::from_element(&message) else {
        let known = EdxlRmMessage::ALL.map(EdxlRmMessage::element).join(", ");
        return edxl_error(&AppError::bad_input("message", format!("{message:?} is not one of {known}")));
    };
    let id = match uuid::Uuid::parse_str(&id) {
        Ok(id) => id,
        Err(_) => return edxl_error(&AppError::bad_input("id", "not a valid id")),
    };
    match crate::edxl::message::export(&http.state.db, &viewer, kind, id, http.state.clock.now()).await {
        Ok(found) => {
            crate::metrics::edxl_message("exported");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"))],
                crate::edxl::xml::to_xml(&found),
            )
                .into_response()
        }
        Err(err) => edxl_error(&err),
    }
}

/// Where `POST /edxl-rm` puts a message, from its query string.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EdxlImportQuery {
    compact_id: Option<String>,
    incident_id: Option<String>,
    jurisdiction_id: Option<String>,
    #[serde(default)]
    submit: bool,
}

/// `POST /edxl-rm`: imports an EDXL-RM message (`application/xml` or `text/xml` body), as `importEdxlRm` does;
/// 201 with what was created, 200 for a message received before.
async fn edxl_import(
    State(http): State<Http>,
    axum::extract::Query(query): axum::extract::Query<EdxlImportQuery>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let body = match read_body(&http, &headers, body).await {
        Ok(body) => body,
        Err((status, err)) => return error_body(status, &err, MediaType::Json),
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media != "application/xml" && media != "text/xml" {
        let err = AppError::bad_input("Content-Type", "send the message as application/xml");
        return error_body(StatusCode::UNSUPPORTED_MEDIA_TYPE, &err, MediaType::Json);
    }
    let viewer = match authenticate(&http, &headers).await {
        Ok(viewer) => viewer,
        Err(err) => return edxl_error(&err),
    };
    if let Err(err) = viewer.require_authenticated() {
        return edxl_error(&err);
    }
    if !viewer.has_role(crate::domain::enums::Role::AuthorizedRepresentative) {
        return edxl_error(&AppError::forbidden("importing EDXL-RM messages takes an authorized representative"));
    }
    let Ok(xml) = String::from_utf8(body.to_vec()) else {
        return edxl_error(&AppError::bad_input("xml", "the message is not UTF-8"));
    };
    let input = crate::edxl::import::ImportEdxlRmInput {
        xml,
        compact_id: query.compact_id.map(async_graphql::ID),
        incident_id: query.incident_id.map(async_graphql::ID),
        jurisdiction_id: query.jurisdiction_id.map(async_graphql::ID),
        submit: query.submit,
    };
    match crate::edxl::import::import(&http.state.db, &viewer, http.state.clock.now(), input).await {
        Ok(done) => {
            crate::metrics::edxl_message("imported");
            http.state.bus.notify();
            let status = if done.duplicate { StatusCode::OK } else { StatusCode::CREATED };
            let body = serde_json::json!({
                "messageType": done.kind.element(),
                "messageId": done.message_id,
                "duplicate": done.duplicate,
                "recordType": done.record_type.as_str(),
                "recordId": done.record_id,
            });
            (status, Json(body)).into_response()
        }
        Err(err) => {
            crate::metrics::edxl_message("refused");
            edxl_error(&err)
        }
    }
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
}
