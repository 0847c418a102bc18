//! Prometheus metrics, served at `/metrics` in the text exposition format.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `mutual_aid_graphql_requests_total` | counter | `operation`, `outcome` (`ok`, `error`, `refused`) |
//! | `mutual_aid_graphql_request_duration_seconds` | histogram | `operation` |
//! | `mutual_aid_websocket_connections` | gauge | |
//! | `mutual_aid_subscriptions` | gauge | |
//! | `mutual_aid_events_written_total` | counter | |
//! | `mutual_aid_events_delivered_total` | counter | |
//! | `mutual_aid_feed_lag_seconds` | histogram | (from an event's commit to its delivery to a subscriber) |
//! | `mutual_aid_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |
//! | `mutual_aid_scheduler_runs_total` | counter | `outcome` (`ok`, `error`) |
//! | `mutual_aid_deadlines_processed_total` | counter | `consequence` (`reminded`, `missed`, `forfeited`, `flagged`) |
//! | `mutual_aid_edxl_messages_total` | counter | `direction` (`exported`, `imported`, `refused`) |
//!
//! Operation names come from clients, so the label is bounded: a name of at most 64 letters, digits and
//! underscores, and at most [`MAX_OPERATION_NAMES`] distinct names; anything else counts as `other`, and an
//! unnamed operation as `anonymous`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::scheduler::TickReport;

/// Most distinct operation names labelled; later names count as `other`.
pub const MAX_OPERATION_NAMES: usize = 200;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
static NAMES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .as_ref()
}

/// The exposition text, with the pool gauges sampled now.
pub fn render(db: &sea_orm::DatabaseConnection) -> String {
    let (in_use, idle) = pool_use(db);
    gauge!("mutual_aid_db_pool_connections", "state" => "in_use").set(in_use as f64);
    gauge!("mutual_aid_db_pool_connections", "state" => "idle").set(idle as f64);
    install().map(PrometheusHandle::render).unwrap_or_default()
}

fn pool_use(db: &sea_orm::DatabaseConnection) -> (u32, u32) {
    use sea_orm::DbBackend;
    let (size, idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX);
    (size.saturating_sub(idle), idle)
}

/// The label of an operation name: itself when short and plain and among the first names seen, else `other`.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else { return "anonymous".to_owned() };
    let plain = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !plain {
        return "other".to_owned();
    }
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if names.contains(name) || (names.len() < MAX_OPERATION_NAMES && names.insert(name.to_owned())) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// One GraphQL operation answered.
pub fn graphql_request(operation: &str, outcome: &'static str, seconds: f64) {
    counter!("mutual_aid_graphql_requests_total", "operation" => operation.to_owned(), "outcome" => outcome)
        .increment(1);
    histogram!("mutual_aid_graphql_request_duration_seconds", "operation" => operation.to_owned()).record(seconds);
}

/// A WebSocket connection opened (`1`) or closed (`-1`).
pub fn websocket_connections(delta: f64) {
    gauge!("mutual_aid_websocket_connections").increment(delta);
}

/// A subscription started (`1`) or ended (`-1`).
pub fn subscriptions(delta: f64) {
    gauge!("mutual_aid_subscriptions").increment(delta);
}

/// An event written with its change.
pub fn event_written() {
    counter!("mutual_aid_events_written_total").increment(1);
}

/// A mutation answered from the response stored under its idempotency key.
pub fn idempotent_replay() {
    counter!("mutual_aid_idempotent_replays_total").increment(1);
}

/// A webhook delivery attempt, accepted by the receiver or not.
pub fn webhook_attempt(accepted: bool) {
    counter!("mutual_aid_webhook_attempts_total", "outcome" => if accepted { "accepted" } else { "failed" })
        .increment(1);
}

/// An event delivered to a subscriber, `lag` seconds after it was recorded.
pub fn event_delivered(lag: f64) {
    counter!("mutual_aid_events_delivered_total").increment(1);
    histogram!("mutual_aid_feed_lag_seconds").record(lag.max(0.0));
}

/// A scheduler pass.
pub fn scheduler_run(report: Option<&TickReport>) {
    let Some(report) = report else {
        counter!("mutual_aid_scheduler_runs_total", "outcome" => "error").increment(1);
        return;
    };
    counter!("mutual_aid_scheduler_runs_total", "outcome" => "ok").increment(1);
    for (consequence, n) in [
        ("reminded", report.reminded),
        ("missed", report.missed),
        ("forfeited", report.forfeited),
        ("flagged", report.flagged),
    ] {
        counter!("mutual_aid_deadlines_processed_total", "consequence" => consequence).increment(n as u64);
    }
}

/// An EDXL-RM message exported, imported or refused.
pub fn edxl_message(direction: &'static str) {
    counter!("mutual_aid_edxl_messages_total", "direction" => direction).increment(1);
}
