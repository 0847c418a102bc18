//! GraphQL over WebSocket at `/graphql`, speaking both the current `graphql-transport-ws` protocol and the legacy
//! `graphql-ws` (subscriptions-transport-ws) protocol. The JWT comes in the `connection_init` payload; a missing
//! or bad token closes with 4403, a connection that never initialises with 4408, a reused subscription id with
//! 4409, a subscription before the acknowledgment with 4401, a malformed message with 4400, too many connections
//! of one principal with 4429, and the connection ends when the token expires. Each subscription runs in its own
//! task and hands messages to the connection through a small bounded channel: a slow client holds up only its
//! own subscriptions, which read the events table at its pace (no buffer grows), and one that stalls past the
//! send timeout is ended with `RATE_LIMITED`, to resume with `after`.

use std::collections::HashMap;
use std::time::Duration;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, Response};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::auth::{Viewer, bearer_token};
use crate::error::AppError;
use crate::gate::{self, Transport};
use crate::graphql::AppSchema;
use crate::graphql::loaders::{loaders, query_loaders};
use crate::state::AppState;

/// The two subprotocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` npm client).
    TransportWs,
    /// `graphql-ws`, the legacy subscriptions-transport-ws protocol.
    Legacy,
}

impl Protocol {
    /// The subprotocol name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::TransportWs => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        }
    }

    /// Picks the protocol from `Sec-WebSocket-Protocol` (the current one when the client offers both).
    pub fn negotiate(header: Option<&str>) -> Option<Protocol> {
        let offered: Vec<&str> = header.unwrap_or_default().split(',').map(str::trim).collect();
        if offered.contains(&"graphql-transport-ws") {
            Some(Protocol::TransportWs)
        } else if offered.contains(&"graphql-ws") {
            Some(Protocol::Legacy)
        } else {
            None
        }
    }
}

enum Out {
    Next(String, Response),
    Error(String, Vec<Value>),
    Complete(String),
}

/// Counts a principal's connections; the count drops with the guard.
struct ConnectionSlot {
    state: AppState,
    subject: String,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        crate::metrics::websocket_connections(-1.0);
        let mut map = self.state.connections.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = map.get_mut(&self.subject) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                map.remove(&self.subject);
            }
        }
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code: code.into(), reason: Utf8Bytes::from(reason.to_owned()) }))
}

/// The number of bytes a connection may still read; `usize::MAX` once it is authenticated.
#[derive(Clone, Debug)]
pub struct ReadBudget(Arc<AtomicUsize>);

impl ReadBudget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        ReadBudget(Arc::new(AtomicUsize::new(bytes)))
    }

    /// Lifts the limit.
    pub fn unlimited(&self) {
        self.0.store(usize::MAX, Ordering::SeqCst);
    }
}

/// An upgraded connection that refuses to read past its budget: until `connection_init` is authenticated a client
/// may send only a few KiB, whatever frame sizes it declares.
pub struct Budgeted<T> {
    inner: T,
    budget: ReadBudget,
}

impl<T> Budgeted<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, budget: ReadBudget) -> Self {
        Budgeted { inner, budget }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Budgeted<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let left = self.budget.0.load(Ordering::SeqCst);
        if left == usize::MAX {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        if left == 0 {
            return Poll::Ready(Err(std::io::Error::other("the client sent too much before authenticating")));
        }
        // Before authentication reads are small: copy through a buffer no larger than what is left.
        let mut scratch = vec![0u8; left.min(buf.remaining())];
        let mut limited = ReadBuf::new(&mut scratch);
        let result = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        if let Poll::Ready(Ok(())) = &result {
            let read = limited.filled().len();
            buf.put_slice(limited.filled());
            let _ = self.budget.0.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                if n == usize::MAX { None } else { Some(n.saturating_sub(read)) }
            });
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Budgeted<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn text(value: Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

fn token_of(payload: &Value) -> Option<String> {
    for key in ["Authorization", "authorization", "authToken", "token"] {
        if let Some(value) = payload.get(key).and_then(Value::as_str) {
            return Some(bearer_token(value).unwrap_or(value).to_owned());
        }
    }
    payload.get("headers").and_then(token_of)
}

/// Serves one WebSocket connection.
pub async fn serve<S, E>(socket: S, state: AppState, schema: AppSchema, protocol: Protocol, budget: ReadBudget)
where
    S: Stream<Item = Result<Message, E>> + Sink<Message> + Unpin + Send,
{
    let (mut sink, mut stream) = socket.split();
    let config = state.config.clone();
    let reject = |code: u16, reason: String| async move {
        match protocol {
            Protocol::TransportWs => vec![close(code, &reason)],
            Protocol::Legacy => vec![
                text(json!({ "type": "connection_error", "payload": { "message": reason } })),
                close(code, &reason),
            ],
        }
    };

    // The handshake: connection_init within the timeout, with a valid token.
    let init = tokio::time::timeout(Duration::from_secs(config.ws_init_timeout_seconds), async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Text(body))) => return Some(serde_json::from_str::<Value>(body.as_str()).ok()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    let message = match init {
        Err(_) => {
            let _ = sink.send(close(4408, "Connection initialisation timeout")).await;
            return;
        }
        Ok(None) => return,
        Ok(Some(None)) => {
            let _ = sink.send(close(4400, "Invalid message")).await;
            return;
        }
        Ok(Some(Some(message))) => message,
    };
    if message["type"] != "connection_init" {
        let code = if protocol == Protocol::TransportWs && message["type"] == "subscribe" { 4401 } else { 4400 };
        let _ = sink.send(close(code, if code == 4401 { "Unauthorized" } else { "Expected connection_init" })).await;
        return;
    }
    // Watched from before the directory is read, so that no deactivation falls between the read and the watch.
    let mut commits = state.bus.subscribe();
    let viewer = match token_of(&message["payload"]) {
        None => {
            Err(AppError::Unauthenticated("authentication required: send a bearer token in connection_init".into()))
        }
        Some(token) => match state.auth.authenticate(&token) {
            Ok(viewer) => match crate::domain::directory::ensure_listed(&state.read_db, &viewer).await {
                Ok(()) => crate::domain::external::admit_service_account(&state.read_db, viewer).await,
                Err(err) => Err(err),
            },
            Err(err) => Err(err),
        },
    };
    let viewer: Viewer = match viewer {
        Ok(viewer) => viewer,
        Err(err) => {
            for m in reject(4403, format!("Forbidden: {}", err.message())).await {
                let _ = sink.send(m).await;
            }
            return;
        }
    };
    let admitted = {
        let mut map = state.connections.lock().unwrap_or_else(|p| p.into_inner());
        let count = map.entry(viewer.subject.clone()).or_default();
        let admitted = *count < config.ws_max_connections_per_principal;
        if admitted {
            *count += 1;
        }
        admitted
    };
    if !admitted {
        for m in reject(4429, "Too many connections for this principal".into()).await {
            let _ = sink.send(m).await;
        }
        return;
    }
    let _slot = ConnectionSlot { state: state.clone(), subject: viewer.subject.clone() };
    crate::metrics::websocket_connections(1.0);
    budget.unlimited();
    if sink.send(text(json!({ "type": "connection_ack" }))).await.is_err() {
        return;
    }

    let (out_tx, mut out_rx) = mpsc::channel::<Out>(16);
    let mut subscriptions: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut keepalive = tokio::time::interval(Duration::from_secs(config.ws_keepalive_seconds.max(1)));
    keepalive.tick().await;
    let expiry = viewer.expires_at.map(|at| {
        let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
        tokio::time::Instant::now() + left
    });
    let expired = async {
        match expiry {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expired);
    // A representative's authority is re-read from the directory after commits (at most once a second), so that
    // a deactivation closes the connection.
    let representative = viewer.has_role(crate::domain::enums::Role::AuthorizedRepresentative);
    let recheck = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(recheck);
    let mut recheck_armed = false;

    let mut shutting_down = state.shutting_down.subscribe();
    let going_away = async move {
        let _ = shutting_down.wait_for(|down| *down).await.is_ok();
    };
    tokio::pin!(going_away);
    // What to send when the loop ends (a notice and the close frame), after the subscriptions are stopped.
    let ended: Vec<Message> = loop {
        tokio::select! {
            () = &mut going_away => {
                break vec![close(1001, "Going away: the server is shutting down")];
            }
            () = &mut expired => {
                break reject(4403, "Forbidden: the token expired".into()).await;
            }
            changed = commits.changed(), if representative => {
                if changed.is_err() {
                    commits = state.bus.subscribe();
                }
                if !recheck_armed {
                    recheck.as_mut().reset(tokio::time::Instant::now() + Duration::from_secs(1));
                    recheck_armed = true;
                }
            }
            () = &mut recheck, if recheck_armed => {
                recheck_armed = false;
                if let Err(err) = crate::domain::directory::ensure_listed(&state.read_db, &viewer).await {
                    break reject(4403, format!("Forbidden: {}", err.message())).await;
                }
            }
            _ = keepalive.tick() => {
                let ping = match protocol {
                    Protocol::TransportWs => json!({ "type": "ping" }),
                    Protocol::Legacy => json!({ "type": "ka" }),
                };
                if sink.send(text(ping)).await.is_err() {
                    break vec![];
                }
            }
            Some(out) = out_rx.recv() => {
                let message = match out {
                    Out::Next(id, response) => {
                        let kind = if protocol == Protocol::TransportWs { "next" } else { "data" };
                        json!({ "type": kind, "id": id, "payload": response })
                    }
                    Out::Error(id, errors) => {
                        subscriptions.remove(&id);
                        json!({ "type": "error", "id": id, "payload": errors })
                    }
                    Out::Complete(id) => {
                        subscriptions.remove(&id);
                        json!({ "type": "complete", "id": id })
                    }
                };
                if sink.send(text(message)).await.is_err() {
                    break vec![];
                }
            }
            incoming = stream.next() => {
                let body = match incoming {
                    Some(Ok(Message::Text(body))) => body,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break vec![],
                    Some(Ok(_)) => continue,
                };
                let Ok(message) = serde_json::from_str::<Value>(body.as_str()) else {
                    break vec![close(4400, "Invalid message")];
                };
                let kind = message["type"].as_str().unwrap_or_default();
                match (protocol, kind) {
                    (Protocol::TransportWs, "ping") => {
                        if sink.send(text(json!({ "type": "pong" }))).await.is_err() {
                            break vec![];
                        }
                    }
                    (Protocol::TransportWs, "pong") => {}
                    (_, "connection_init") => break vec![close(4429, "Too many initialisation requests")],
                    (Protocol::TransportWs, "subscribe") | (Protocol::Legacy, "start") => {
                        let Some(id) = message["id"].as_str().map(str::to_owned) else {
                            break vec![close(4400, "A subscription needs an id")];
                        };
                        if subscriptions.contains_key(&id) {
                            break vec![close(4409, &format!("Subscriber for {id} already exists"))];
                        }
                        let request: Request = match serde_json::from_value(message["payload"].clone()) {
                            Ok(request) => request,
                            Err(_) => break vec![close(4400, "Invalid subscription payload")],
                        };
                        if subscriptions.len() >= config.ws_max_subscriptions {
                            let error = AppError::RateLimited(format!(
                                "at most {} subscriptions per connection",
                                config.ws_max_subscriptions
                            ));
                            let errors = coded(&error);
                            if sink.send(text(json!({ "type": "error", "id": id, "payload": errors }))).await.is_err() {
                                break vec![];
                            }
                            continue;
                        }
                        // A representative's authority is read from the directory for every operation, as over HTTP.
                        if representative
                            && let Err(err) = crate::domain::directory::ensure_listed(&state.read_db, &viewer).await
                        {
                            break reject(4403, format!("Forbidden: {}", err.message())).await;
                        }
                        let admitted = match gate::admit(&state.limits, &state.persisted, request, Transport::WebSocket, false) {
                            Ok(admitted) => admitted,
                            Err(refusal) => {
                                let errors = vec![serde_json::to_value(refusal.to_server_error()).unwrap_or(Value::Null)];
                                if sink.send(text(json!({ "type": "error", "id": id, "payload": errors }))).await.is_err() {
                                    break vec![];
                                }
                                continue;
                            }
                        };
                        let key = match crate::idempotency::key_of(None, &admitted.request) {
                            Ok(key) => key.filter(|_| admitted.operation == OperationType::Mutation),
                            Err(err) => {
                                if sink.send(text(json!({ "type": "error", "id": id, "payload": coded(&err) }))).await.is_err() {
                                    break vec![];
                                }
                                continue;
                            }
                        };
                        let delay = Duration::from_millis(config.dataloader_delay_ms);
                        let (request, keyed) = match key {
                            // Run under the key: the request gets its data (and its one transaction) there.
                            Some(key) => (admitted.request, Some((state.clone(), viewer.clone(), key))),
                            None => (
                                admitted
                                    .request
                                    .data(viewer.clone())
                                    .data(if admitted.operation == OperationType::Query {
                                        query_loaders(state.handle.clone(), viewer.clone(), delay)
                                    } else {
                                        loaders(state.handle.clone(), viewer.clone(), delay)
                                    }),
                                None,
                            ),
                        };
                        // Queries and mutations sent over the socket get the same time limit as over HTTP.
                        let time_limit = (admitted.operation != OperationType::Subscription)
                            .then(|| Duration::from_secs(config.request_timeout_seconds));
                        let task = tokio::spawn(run_subscription(
                            schema.clone(),
                            state.persisted.clone(),
                            Operation {
                                request,
                                register: admitted.register,
                                id: id.clone(),
                                time_limit,
                                // A mutation over the socket wakes this instance's subscribers (and re-checks of
                                // authority) as one over HTTP does.
                                commits: (admitted.operation == OperationType::Mutation).then(|| state.bus.clone()),
                                keyed,
                            },
                            out_tx.clone(),
                            Duration::from_secs(config.ws_send_timeout_seconds),
                        ));
                        subscriptions.insert(id, task);
                    }
                    (Protocol::TransportWs, "complete") | (Protocol::Legacy, "stop") => {
                        if let Some(id) = message["id"].as_str()
                            && let Some(task) = subscriptions.remove(id)
                        {
                            task.abort();
                            if protocol == Protocol::Legacy
                                && sink.send(text(json!({ "type": "complete", "id": id }))).await.is_err()
                            {
                                break vec![];
                            }
                        }
                    }
                    (Protocol::Legacy, "connection_terminate") => break vec![],
                    _ => break vec![close(4400, &format!("Unexpected message type {kind:?}"))],
                }
            }
        }
    };
    for (_, task) in subscriptions.drain() {
        task.abort();
    }
    for message in ended {
        let _ = sink.send(message).await;
    }
    let _ = sink.close().await;
}

/// One operation started on a connection.
struct Operation {
    request: Request,
    register: Option<(String, Arc<str>)>,
    id: String,
    /// The time limit of a query or mutation (none for a subscription, which lives as long as the client wants).
    time_limit: Option<Duration>,
    /// The bus to signal once a mutation has run.
    commits: Option<crate::bus::EventBus>,
    /// A mutation's idempotency key, with the state and the caller it runs for.
    keyed: Option<(AppState, crate::auth::Viewer, String)>,
}

fn coded(error: &AppError) -> Vec<Value> {
    vec![json!({ "message": error.message(), "extensions": { "code": error.code() } })]
}

/// Runs one operation, handing each response to the connection.
async fn run_subscription(
    schema: AppSchema,
    persisted: Arc<gate::PersistedQueries>,
    operation: Operation,
    out: mpsc::Sender<Out>,
    send_timeout: Duration,
) {
    let Operation { request, mut register, id, time_limit, commits, keyed } = operation;
    let mut responses = match keyed {
        Some((state, viewer, key)) => futures_util::stream::once(async move {
            match crate::idempotency::execute(&state, &schema, &viewer, &key, request).await {
                Ok((response, _)) => response,
                Err(error) => gate::Refusal { status: http::StatusCode::BAD_REQUEST, error }.into_response(),
            }
        })
        .boxed(),
        None => schema.execute_stream(request),
    };
    let mut first = true;
    loop {
        let next = match time_limit {
            Some(limit) if first => match tokio::time::timeout(limit, responses.next()).await {
                Ok(next) => next,
                Err(_) => {
                    let _ = out.send(Out::Error(id, coded(&AppError::Timeout(limit.as_secs())))).await;
                    return;
                }
            },
            _ => responses.next().await,
        };
        let Some(mut response) = next else { break };
        if first {
            gate::settle(&persisted, register.take(), &response);
            if let Some(bus) = &commits {
                bus.notify();
            }
        }
        gate::label_errors(&mut response);
        let request_error = first && gate::is_request_error(&response);
        first = false;
        if request_error {
            let errors = response.errors.iter().map(|e| serde_json::to_value(e).unwrap_or(Value::Null)).collect();
            let _ = out.send(Out::Error(id, errors)).await;
            return;
        }
        match tokio::time::timeout(send_timeout, out.send(Out::Next(id.clone(), response))).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => {
                let error = AppError::RateLimited(
                    "the client did not keep up; subscribe again with `after` set to the last sequence received".into(),
                );
                // Queued behind what the client has not read yet: it learns why once it catches up, and this task
                // stops reading the event log meanwhile.
                let _ = out.send(Out::Error(id, coded(&error))).await;
                return;
            }
        }
    }
    let _ = out.send(Out::Complete(id)).await;
}
