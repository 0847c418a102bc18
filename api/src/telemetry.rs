//! OpenTelemetry traces, off unless an OTLP endpoint is configured (`--otlp-endpoint`,
//! `OTEL_EXPORTER_OTLP_ENDPOINT`).
//!
//! Once on, the spans of `tracing` go to an OTLP collector through a batch exporter (HTTP with protobuf, flushed
//! when the server stops):
//!
//! - `request`: one per HTTP request, whose parent is the caller's span when the request carries a W3C
//!   `traceparent` (and `tracestate`) header;
//! - async-graphql's `request`, `parse`, `validation`, `execute` and one `field` span per resolver of an object
//!   type; the extension that makes them is installed only while traces are on, for it costs CPU on every field;
//! - one span per SQL statement (`sea_orm.query_one`, `sea_orm.query_all`, `sea_orm.execute`, and those of
//!   transactions), a child of the resolver (or DataLoader batch) that ran it, with `db.system`, `db.operation` and
//!   `db.statement`: the SQL text with its placeholders, never the bound values.
//!
//! The SQL spans are sea-orm's own (its `tracing-spans` feature): each wraps the statement's future, so its
//! duration is the statement's, pool wait included, and its parent is whatever span is current where the statement
//! is awaited. A hand-made span built from sea-orm's metric callback would come after the fact (the callback runs
//! once the statement is done, so the span's start would have to be back-dated outside `tracing`), and that single
//! callback slot is the tests' statement counter. When traces are off these spans are disabled by the log filter
//! (`sea_orm=warn`), which costs one cached check per statement.
//!
//! [`Telemetry::new`] takes any span exporter, so tests pass the SDK's in-memory one and read the spans back; they
//! install [`Telemetry::layer`] with a scoped subscriber, so no process-wide state is involved.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Request, Response};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HeaderExtractor, HttpClient, HttpError};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::registry::LookupSpan;

/// Time allowed for one export to the collector (the OTLP default).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The path of traces under an OTLP/HTTP endpoint.
const TRACES_PATH: &str = "/v1/traces";

/// The trace pipeline: a tracer provider with a batch exporter.
#[derive(Debug)]
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Spans of the service `service_name`, exported in batches by `exporter`.
    pub fn new<E: SpanExporter + 'static>(exporter: E, service_name: &str) -> Self {
        let resource = Resource::builder().with_service_name(service_name.to_owned()).build();
        let provider = SdkTracerProvider::builder().with_resource(resource).with_batch_exporter(exporter).build();
        Telemetry { provider }
    }

    /// Spans exported by OTLP over HTTP (protobuf) to the collector at `endpoint`, its base URL
    /// (`http://collector:4318`): traces go to `<endpoint>/v1/traces`, as the standard variable
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` means. Must be called within the Tokio runtime, which carries the exports.
    pub fn otlp(endpoint: &str, service_name: &str) -> Result<Self, String> {
        let url = format!("{}{TRACES_PATH}", endpoint.trim_end_matches('/'));
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| "the OTLP exporter needs a Tokio runtime".to_owned())?;
        let client = OnRuntime {
            client: opentelemetry_http::hyper::HyperClient::with_default_connector(EXPORT_TIMEOUT, None),
            runtime,
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url.clone())
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(client)
            .build()
            .map_err(|e| format!("cannot export traces to {url}: {e}"))?;
        Ok(Self::new(exporter, service_name))
    }

    /// The `tracing` layer that turns spans of level INFO and above into OpenTelemetry spans, whatever the log
    /// filter says (SQL spans are INFO, and logged only at WARN).
    pub fn layer<S>(&self) -> impl Layer<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        let tracer = self.provider.tracer("mutual-aid");
        tracing_opentelemetry::layer().with_tracer(tracer).with_filter(LevelFilter::INFO)
    }

    /// Exports every span ended so far.
    pub fn flush(&self) -> Result<(), String> {
        self.provider.force_flush().map_err(|e| e.to_string())
    }

    /// Exports the spans still in the batch and stops the exporter. The provider blocks while the runtime's tasks
    /// carry the last export, so it waits on a blocking thread.
    pub async fn shutdown(self) {
        let provider = self.provider;
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "traces not flushed at shutdown"),
            Err(e) => tracing::warn!(error = %e, "traces not flushed at shutdown"),
        }
    }
}

/// The caller's span context from the W3C `traceparent` and `tracestate` headers; an empty context (the request
/// span starts a trace) when there is none or it is malformed.
pub fn remote_parent(headers: &HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// hyper's client, driven on the server's Tokio runtime. The SDK's batch processor exports from a thread of its
/// own, outside any runtime, where hyper cannot run: each request is spawned on the runtime and awaited from there.
#[derive(Debug, Clone)]
struct OnRuntime {
    client: opentelemetry_http::hyper::HyperClient,
    runtime: tokio::runtime::Handle,
}

type Sent<'a> = Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'a>>;

impl HttpClient for OnRuntime {
    // The trait is declared with `async_trait`: this is its expanded signature.
    fn send_bytes<'life0, 'async_trait>(&'life0 self, request: Request<Bytes>) -> Sent<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move { client.send_bytes(request).await });
        Box::pin(async move { sent.await.map_err(|e| Box::new(e) as HttpError)? })
    }
}
