//! OpenTelemetry traces: the request span continues the caller's W3C trace, resolver spans hang under it, SQL spans
//! under the resolvers; without an endpoint no resolver span is made. The spans are read back from the SDK's
//! in-memory exporter, through the same pipeline the server exports with (`api::telemetry`), installed with a
//! subscriber scoped to the test's thread: `#[tokio::test]` runs the server's tasks on that thread too.

use std::collections::HashMap;
use std::time::Duration;

use api::telemetry::Telemetry;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;

use crate::support::{Options, TestApp, seed};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

/// A compact (a root resolver reading the database itself) with its members and their jurisdictions (read by a
/// DataLoader in a task of its own).
const QUERY: &str = "query Traced($id: ID!) { compact(id: $id) { shortName members(first: 100) { totalCount \
                     edges { node { status jurisdiction { name } } } } } }";

/// Sends `QUERY` with the caller's `traceparent` while `telemetry` collects spans, and returns them once the HTTP
/// request span has ended (it ends when the response body is done, which may be just after the client read it).
async fn traced_query(app: &TestApp, telemetry: &Telemetry, exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    let token = app.token("observer", None, &["OBSERVER"], &[]);
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01"))
        .header("tracestate", "vendor=opaque")
        .json(&json!({ "query": QUERY, "variables": { "id": seed("compact", "aacog-rma") } }))
        .send()
        .await
        .expect("send");
    let body: Value = response.json().await.expect("json body");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["compact"]["members"]["totalCount"], 16, "{body}");
    for _ in 0..100 {
        telemetry.flush().expect("flush");
        let spans = exporter.get_finished_spans().expect("spans");
        if spans.iter().any(|s| s.name == "request" && target(s) == "api::http") {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the HTTP request span was never exported");
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.as_str().into_owned())
}

fn target(span: &SpanData) -> String {
    attribute(span, "target").unwrap_or_default()
}

/// Whether `span` is a resolver span of async-graphql's tracing extension.
fn is_resolver(span: &SpanData) -> bool {
    span.name == "field" && target(span) == "async_graphql::graphql"
}

#[tokio::test]
async fn the_request_continues_the_callers_trace_down_to_each_sql_statement() {
    let app = TestApp::spawn_with(Options {
        // The endpoint turns the spans on; where they go is the subscriber's business, here the in-memory exporter.
        configure: Box::new(|config| config.otlp_endpoint = Some("http://127.0.0.1:4318".to_owned())),
        ..Options::default()
    })
    .await;
    api::seed::load(&app.state.db, chrono::Utc::now()).await.expect("seed");
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::new(exporter.clone(), "mutual-aid-api-test");
    let _scope = ::tracing::subscriber::set_default(tracing_subscriber::registry().with(telemetry.layer()));

    let spans = traced_query(&app, &telemetry, &exporter).await;
    let trace_id = TraceId::from_hex(TRACE_ID).unwrap();
    let caller = SpanId::from_hex(CALLER_SPAN_ID).unwrap();
    let by_id: HashMap<SpanId, &SpanData> = spans.iter().map(|s| (s.span_context.span_id(), s)).collect();
    let ancestors = |span: &SpanData| {
        let mut chain = Vec::new();
        let mut parent = by_id.get(&span.parent_span_id).copied();
        while let Some(p) = parent {
            chain.push(p);
            parent = by_id.get(&p.parent_span_id).copied();
        }
        chain
    };
    let names = || spans.iter().map(|s| format!("{} ({})", s.name, target(s))).collect::<Vec<_>>();

    let request: Vec<&SpanData> = spans.iter().filter(|s| s.name == "request" && target(s) == "api::http").collect();
    assert_eq!(request.len(), 1, "one HTTP request span: {:?}", names());
    let request = request[0];
    assert_eq!(request.span_context.trace_id(), trace_id, "the request span continues the caller's trace");
    assert_eq!(request.parent_span_id, caller, "the request span's parent is the caller's span");
    assert!(request.parent_span_is_remote);
    assert!(attribute(request, "request_id").is_some_and(|id| !id.is_empty()), "the request id is on the span");

    // Everything the request did hangs under its span, in the caller's trace.
    let tree: Vec<&SpanData> = spans
        .iter()
        .filter(|s| ancestors(s).iter().any(|a| a.span_context.span_id() == request.span_context.span_id()))
        .collect();
    assert!(tree.iter().all(|s| s.span_context.trace_id() == trace_id), "{:?}", names());

    let resolvers: Vec<&SpanData> = tree.iter().copied().filter(|s| is_resolver(s)).collect();
    let compact = resolvers
        .iter()
        .find(|s| attribute(s, "path").as_deref() == Some("compact"))
        .unwrap_or_else(|| panic!("a resolver span for `compact`: {:?}", names()));
    assert_eq!(by_id[&compact.parent_span_id].name, "execute", "the resolver runs under async-graphql's execute span");
    assert!(
        ancestors(compact).iter().any(|a| a.span_context.span_id() == request.span_context.span_id()),
        "the resolver span descends from the request span"
    );
    assert_eq!(compact.span_context.trace_id(), trace_id);

    let sql: Vec<&SpanData> = tree.iter().copied().filter(|s| attribute(s, "db.statement").is_some()).collect();
    assert!(!sql.is_empty(), "SQL spans: {:?}", names());
    let expected_system = if app.state.config.database_url.starts_with("sqlite:") { "sqlite" } else { "postgresql" };
    for span in &sql {
        assert_eq!(attribute(span, "db.system").as_deref(), Some(expected_system), "{}", span.name);
        assert_eq!(span.span_context.trace_id(), trace_id);
        assert!(span.end_time > span.start_time, "a statement span has a duration: {}", span.name);
        let statement = attribute(span, "db.statement").unwrap();
        assert!(
            !statement.contains("aacog") && !statement.contains(&seed("compact", "aacog-rma").to_string()),
            "the statement is the SQL text without its bound values: {statement}"
        );
    }
    let under_compact: Vec<&&SpanData> =
        sql.iter().filter(|s| s.parent_span_id == compact.span_context.span_id()).collect();
    assert!(!under_compact.is_empty(), "the `compact` resolver's own statement is its child: {:?}", names());
    assert!(
        under_compact.iter().any(|s| attribute(s, "db.statement").unwrap().to_ascii_uppercase().starts_with("SELECT")),
        "it reads"
    );
    let jurisdiction =
        sql.iter().filter(|s| attribute(s, "db.statement").unwrap().contains("jurisdiction")).find(|s| {
            ancestors(s)
                .iter()
                .any(|a| is_resolver(a) && attribute(a, "path").is_some_and(|p| p.ends_with("jurisdiction")))
        });
    assert!(
        jurisdiction.is_some(),
        "the DataLoader's statement descends from a `jurisdiction` resolver span: {:?}",
        names()
    );
}

#[tokio::test]
async fn without_an_endpoint_no_resolver_span_is_made_and_the_callers_trace_is_not_read() {
    let app = TestApp::seeded().await;
    assert!(!app.state.config.traces());
    let exporter = InMemorySpanExporter::default();
    let telemetry = Telemetry::new(exporter.clone(), "mutual-aid-api-test");
    let _scope = ::tracing::subscriber::set_default(tracing_subscriber::registry().with(telemetry.layer()));

    let spans = traced_query(&app, &telemetry, &exporter).await;
    let names: Vec<String> = spans.iter().map(|s| format!("{} ({})", s.name, target(s))).collect();
    assert!(
        !spans.iter().any(|s| target(s) == "async_graphql::graphql"),
        "no span of async-graphql's tracing extension: {names:?}"
    );
    let request = spans.iter().find(|s| s.name == "request" && target(s) == "api::http").unwrap();
    assert_ne!(request.span_context.trace_id(), TraceId::from_hex(TRACE_ID).unwrap(), "traceparent is ignored");
    assert_eq!(request.parent_span_id, SpanId::INVALID);
}
