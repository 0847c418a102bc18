//! Subscription benchmark: holds N concurrent `graphql-transport-ws` subscribers on one instance, commits M status
//! changes through the HTTP API, and prints delivery latency percentiles, memory and lost messages.
//!
//! `cargo run --release --example subscription_bench -- 500 100 [pace-ms]` (subscribers, changes, and an optional
//! pause between changes; without it the changes are committed as one burst). SQLite in a temporary
//! directory by default; set `DATABASE_URL=postgres://...` (an empty database) to run on PostgreSQL. Server and
//! clients share one process, so the memory figure is both.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let subscribers: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let changes: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let pace_ms: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0);

    let dir = std::env::temp_dir().join(format!("ma-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = api::config::Config::defaults();
    config.database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    config.jwt_secret = Some("benchmark-secret-that-is-long-enough-for-hs256".into());
    config.ws_max_connections_per_principal = subscribers + 1;
    let state = api::state::AppState::build(config, Arc::new(api::clock::SystemClock)).await.unwrap();
    api::seed::load(&state.db, chrono::Utc::now()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::http::serve(listener, state.clone(), std::future::pending()));

    let mint = |sub: &str, jurisdiction: Option<uuid::Uuid>, roles: &[&str], compacts: Vec<uuid::Uuid>| {
        let now = chrono::Utc::now().timestamp();
        state
            .auth
            .mint(api::auth::Claims {
                sub: sub.into(),
                name: None,
                exp: now + 3600,
                iat: Some(now),
                iss: None,
                aud: None,
                jurisdiction,
                roles: roles.iter().map(|r| r.to_string()).collect(),
                compacts,
                system: None,
            })
            .unwrap()
    };
    let observer = mint("bench-dashboard", None, &["OBSERVER"], vec![api::seed::seed_id("compact", "utah-smaa")]);
    let slco = mint(
        "slco-em",
        Some(api::seed::seed_id("jurisdiction", "salt-lake-county")),
        &["AUTHORIZED_REPRESENTATIVE"],
        vec![],
    );

    let rss_before = rss_kib();
    let received: Arc<Mutex<Vec<(String, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    let connect_started = Instant::now();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(subscribers);
    for i in 0..subscribers {
        let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let token = observer.clone();
        let received = received.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            ws.send(Message::text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string())).await.unwrap();
            let query = "subscription { statusChanges(filter: { recordTypes: [RESOURCE_REQUEST] }) { sequence resourceRequest { id } } }";
            ws.send(Message::text(json!({ "type": "subscribe", "id": format!("s{i}"), "payload": { "query": query } }).to_string())).await.unwrap();
            // A request shows up as its submission (a draft is its author's alone); once submitted its creation may
            // show too, so each request counts once, at its first message.
            let mut seen = std::collections::HashSet::new();
            let mut acked = false;
            while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(60), ws.next()).await {
                let Message::Text(text) = message else { continue };
                let value: Value = serde_json::from_str(text.as_str()).unwrap();
                match value["type"].as_str() {
                    Some("connection_ack") if !acked => {
                        acked = true;
                        let _ = ready.send(()).await;
                    }
                    Some("next") => {
                        let id = value["payload"]["data"]["statusChanges"]["resourceRequest"]["id"].as_str().unwrap_or_default().to_owned();
                        if seen.insert(id.clone()) {
                            received.lock().await.push((id, Instant::now()));
                        }
                        if seen.len() == changes {
                            break;
                        }
                    }
                    Some("ping") => {
                        let _ = ws.send(Message::text(json!({ "type": "pong" }).to_string())).await;
                    }
                    _ => {}
                }
            }
            let _ = ws.close(None).await;
        }));
    }
    for _ in 0..subscribers {
        ready_rx.recv().await.unwrap();
    }
    let connect_time = connect_started.elapsed();
    // Let every subscription register its live position before the first commit.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = rss_kib();

    let client = reqwest::Client::new();
    let mut committed: HashMap<String, Instant> = HashMap::new();
    let mut mutations: Vec<Duration> = Vec::new();
    let commit_started = Instant::now();
    for _ in 0..changes {
        let sent = Instant::now();
        let body = json!({ "query": "mutation ($input: CreateResourceRequestInput!) { createResourceRequest(input: $input) { resourceRequest { id } } }",
            "variables": { "input": { "compactId": api::seed::seed_id("compact", "utah-smaa"), "incidentId": api::seed::seed_id("incident", "emigration-creek-flood-2026"),
                "lineItems": [{ "resourceTypeId": api::seed::seed_id("resource-type", "portable-pump-2"), "quantity": 1 }] } } });
        let response: Value = client
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(&slco)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = response["data"]["createResourceRequest"]["resourceRequest"]["id"].as_str().unwrap().to_owned();
        let submit = json!({ "query": "mutation ($input: RequestStepInput!) { submitResourceRequest(input: $input) { resourceRequest { id } } }",
            "variables": { "input": { "requestId": id } } });
        let submitted: Value = client
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(&slco)
            .json(&submit)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(submitted.get("errors").is_none(), "{submitted}");
        committed.insert(id, Instant::now());
        mutations.push(sent.elapsed());
        if pace_ms > 0 {
            tokio::time::sleep(Duration::from_millis(pace_ms)).await;
        }
    }
    let commit_time = commit_started.elapsed();
    for task in tasks {
        let _ = task.await;
    }
    let received = received.lock().await;
    let mut latencies: Vec<Duration> = received
        .iter()
        .filter_map(|(id, at)| committed.get(id).map(|sent| at.saturating_duration_since(*sent)))
        .collect();
    latencies.sort();
    let expected = subscribers * changes;
    println!(
        "subscription benchmark ({})",
        if std::env::var("DATABASE_URL").is_ok() { "PostgreSQL" } else { "SQLite" }
    );
    println!("  subscribers            {subscribers}");
    println!(
        "  status changes         {changes} (committed in {:.2?}, {:.1}/s, pause {pace_ms} ms)",
        commit_time,
        changes as f64 / commit_time.as_secs_f64()
    );
    println!("  connect + ack          {connect_time:.2?} for all subscribers");
    println!("  messages expected      {expected}");
    println!("  messages received      {}", received.len());
    println!("  lost                   {}", expected.saturating_sub(received.len()));
    mutations.sort();
    println!(
        "  mutation p50 / p99     {:.2?} / {:.2?} (a request created and submitted while the subscribers are fed)",
        percentile(&mutations, 0.50),
        percentile(&mutations, 0.99)
    );
    println!("  latency p50            {:.2?}", percentile(&latencies, 0.50));
    println!("  latency p90            {:.2?}", percentile(&latencies, 0.90));
    println!("  latency p99            {:.2?}", percentile(&latencies, 0.99));
    println!("  latency max            {:.2?}", latencies.last().copied().unwrap_or_default());
    println!("  RSS before subscribers {} MiB", rss_before / 1024);
    println!(
        "  RSS with subscribers   {} MiB ({:.1} KiB per subscriber)",
        rss_connected / 1024,
        (rss_connected.saturating_sub(rss_before)) as f64 / subscribers as f64
    );
    println!("  RSS at the end         {} MiB", rss_kib() / 1024);
    let _ = std::fs::remove_dir_all(dir);
}
