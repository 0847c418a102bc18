//! Persisted-query memory benchmark: anonymous clients register automatic persisted queries as fast as they can,
//! and the process's resident memory is printed before and after.
//!
//! `cargo run --release --example apq_memory -- [registrations]` (default 1,000). Two rounds: documents of about
//! 1 MB (the largest body the server reads; the document limit refuses them before anything is stored), then
//! distinct documents just under the document limit (admitted and stored, so the store's byte bound is what holds
//! memory). Server and clients share one process, so the figure is both.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn round(client: &reqwest::Client, url: &str, registrations: usize, size: usize) -> (usize, usize) {
    let results: Vec<Value> = futures_util::stream::iter(0..registrations)
        .map(|i| {
            let head = format!("query Q{i} {{ viewer {{ authenticated }} }} #");
            let query = format!("{head}{}", "x".repeat(size.saturating_sub(head.len())));
            let body = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hex(&query) } } });
            let client = client.clone();
            let url = url.to_owned();
            async move { client.post(url).json(&body).send().await.unwrap().json::<Value>().await.unwrap_or(Value::Null) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let refused = results.iter().filter(|r| r.get("errors").is_some()).count();
    (registrations - refused, refused)
}

#[tokio::main]
async fn main() {
    let registrations: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = std::env::temp_dir().join(format!("ma-apq-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = api::config::Config::defaults();
    config.database_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    config.jwt_secret = Some("benchmark-secret-that-is-long-enough-for-hs256".into());
    let max_body = config.max_body_bytes;
    let max_query = config.max_query_bytes;
    let state = api::state::AppState::build(config, Arc::new(api::clock::SystemClock)).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(api::http::serve(listener, state.clone(), std::future::pending()));
    let client = reqwest::Client::new();

    println!("RSS at start: {:.1} MiB", rss_mib());
    let started = std::time::Instant::now();
    let (stored, refused) = round(&client, &url, registrations, max_body - 200).await;
    println!(
        "{registrations} registrations of {:.2} MB: {stored} admitted, {refused} refused, in {:.1} s; RSS {:.1} MiB; store {:?}",
        (max_body - 200) as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        rss_mib(),
        state.persisted.usage()
    );
    let started = std::time::Instant::now();
    let (stored, refused) = round(&client, &url, registrations, max_query - 100).await;
    println!(
        "{registrations} registrations of {:.0} KB: {stored} admitted, {refused} refused, in {:.1} s; RSS {:.1} MiB; store {:?}",
        (max_query - 100) as f64 / 1e3,
        started.elapsed().as_secs_f64(),
        rss_mib(),
        state.persisted.usage()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
