//! Webhook delivery benchmark: an administrator registers an endpoint on a local receiver (an axum server in this
//! process that checks every signature), N inventory changes are committed as fast as 8 writers can, and the worker
//! pushes them. Printed: how long the burst took to commit and to arrive, and the delivery latency of each change
//! (arrival at the receiver minus the event's timestamp, taken as its change began, just before the commit) at p50, p90, p99 and max.
//!
//! `cargo run --release --example webhook_bench -- [changes]` (default 1,000). SQLite in a temporary directory by
//! default; set `DATABASE_URL=postgres://...` (an empty database) to run on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

/// A delivery received: its `webhook-id`, its event's timestamp and when it arrived.
type Arrival = (String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

#[derive(Clone, Default)]
struct Received {
    secret: Arc<Mutex<String>>,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
}

async fn receive(
    axum::extract::State(received): axum::extract::State<Received>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let now = chrono::Utc::now();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp").parse::<i64>().unwrap_or_default());
    let secret = received.secret.lock().unwrap().clone();
    let expected = api::domain::webhooks::sign(&secret, &id, timestamp, &body).unwrap();
    if !header("webhook-signature").split(' ').any(|s| s == expected) {
        return StatusCode::UNAUTHORIZED;
    }
    let parsed: Value = serde_json::from_slice(&body).unwrap();
    let occurred: chrono::DateTime<chrono::Utc> =
        parsed["data"]["event"]["occurredAt"].as_str().unwrap().parse().unwrap();
    received.arrivals.lock().unwrap().push((id, occurred, now));
    StatusCode::NO_CONTENT
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let changes: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let dir = std::env::temp_dir().join(format!("ma-webhook-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = api::config::Config::defaults();
    config.database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    config.jwt_secret = Some("benchmark-secret-that-is-long-enough-for-hs256".into());
    config.scheduler_interval_seconds = 0;
    config.webhook_allowed_addresses = vec!["127.0.0.1".parse().unwrap()];
    let state = api::state::AppState::build(config, Arc::new(api::clock::SystemClock)).await.unwrap();
    api::seed::load(&state.db, chrono::Utc::now()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::http::serve(listener, state.clone(), std::future::pending()));
    let url = format!("http://{addr}/graphql");

    let received = Received::default();
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_addr = receiver.local_addr().unwrap();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(received.clone());
    tokio::spawn(async move { axum::serve(receiver, app).await.unwrap() });

    let now = chrono::Utc::now().timestamp();
    let admin = state
        .auth
        .mint(api::auth::Claims {
            sub: "bench-admin".into(),
            name: None,
            exp: now + 3600,
            iat: Some(now),
            iss: None,
            aud: None,
            jurisdiction: None,
            roles: vec!["ADMIN".into()],
            compacts: vec![],
            system: None,
        })
        .unwrap();
    let client = reqwest::Client::new();
    let register = json!({ "query": "mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }",
        "variables": { "input": { "url": format!("http://{receiver_addr}/hook"), "description": "benchmark",
            "filter": { "recordTypes": ["INVENTORY_ITEM"] } } } });
    let answer: Value =
        client.post(&url).bearer_auth(&admin).json(&register).send().await.unwrap().json().await.unwrap();
    *received.secret.lock().unwrap() = answer["data"]["createWebhookEndpoint"]["secret"].as_str().unwrap().to_owned();
    api::webhooks::spawn(state.clone(), Duration::from_millis(1000)).unwrap();

    let counties = ["salt-lake-county", "utah-county", "davis-county", "bexar-county", "kerr-county", "kendall-county"];
    let types: Vec<uuid::Uuid> = ["engine-fire-wildland-3", "water-tender-firefighting-tactical-2"]
        .iter()
        .map(|k| api::seed::seed_id("resource-type", k))
        .collect();
    let mutation = "mutation ($input: SetInventoryInput!) { setInventory(input: $input) { inventoryItem { id } } }";
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, url, admin, types) = (client.clone(), url.clone(), admin.clone(), types.clone());
        writers.push(tokio::spawn(async move {
            for i in (w..changes).step_by(8) {
                let county = counties[i % counties.len()];
                let input = json!({ "jurisdictionId": api::seed::seed_id("jurisdiction", county),
                    "resourceTypeId": types[i % types.len()], "quantityHeld": 10 + i % 7, "quantityAvailable": i % 7 });
                let body = json!({ "query": mutation, "variables": { "input": input } });
                let response: Value =
                    client.post(&url).bearer_auth(&admin).json(&body).send().await.unwrap().json().await.unwrap();
                assert!(response.get("errors").is_none(), "{response}");
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let committed = started.elapsed();
    while received.arrivals.lock().unwrap().len() < changes {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(started.elapsed() < Duration::from_secs(600), "deliveries stalled");
    }
    let arrived = started.elapsed();
    let arrivals = received.arrivals.lock().unwrap().clone();
    let unique: std::collections::HashSet<&String> = arrivals.iter().map(|a| &a.0).collect();
    let mut latencies: Vec<f64> = arrivals
        .iter()
        .map(|(_, occurred, at)| (*at - *occurred).num_microseconds().unwrap() as f64 / 1000.0)
        .collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let backend = if state.config.database_url.starts_with("sqlite:") { "SQLite" } else { "PostgreSQL" };
    println!(
        "webhooks on {backend}: {changes} changes committed in {:.2} s ({:.0}/s), all delivered after {:.2} s",
        committed.as_secs_f64(),
        changes as f64 / committed.as_secs_f64(),
        arrived.as_secs_f64()
    );
    println!(
        "  deliveries {} (unique webhook-ids {}), throughput {:.0}/s",
        arrivals.len(),
        unique.len(),
        changes as f64 / arrived.as_secs_f64()
    );
    println!(
        "  latency from commit to receipt: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
