//! Change-feed benchmark: commits N inventory changes (each a write and its event) through the HTTP API, then one
//! client reads the whole feed from the start with `changes(after:, first: 500)` as an integration would, and the
//! events per second it read are printed, for an administrator (sees everything) and for a county's representative
//! (sees its own share, so the server examines more events than it returns).
//!
//! `cargo run --release --example feed_bench -- [changes]` (default 10,000). SQLite in a temporary directory by
//! default; set `DATABASE_URL=postgres://...` (an empty database) to run on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    let changes: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("ma-feed-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = api::config::Config::defaults();
    config.database_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    config.jwt_secret = Some("benchmark-secret-that-is-long-enough-for-hs256".into());
    config.scheduler_interval_seconds = 0;
    let state = api::state::AppState::build(config, Arc::new(api::clock::SystemClock)).await.unwrap();
    api::seed::load(&state.db, chrono::Utc::now()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::http::serve(listener, state.clone(), std::future::pending()));
    let url = format!("http://{addr}/graphql");

    let mint = |sub: &str, jurisdiction: Option<uuid::Uuid>, roles: &[&str]| {
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
                compacts: vec![],
                system: None,
            })
            .unwrap()
    };
    let admin = mint("bench-admin", None, &["ADMIN"]);
    let slco =
        mint("slco-em", Some(api::seed::seed_id("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"]);
    let client = reqwest::Client::new();

    // The writes: counties of two compacts set their inventory, one change at a time, 8 writers at once.
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
    let wrote = started.elapsed();
    println!(
        "wrote {changes} changes in {:.1} s ({:.0} commits/s, 8 writers)",
        wrote.as_secs_f64(),
        changes as f64 / wrote.as_secs_f64()
    );

    let query = "query ($after: Sequence) { changes(after: $after, first: 500) { endCursor hasNextPage changes { sequence event { recordType action } } } }";
    for (who, token) in [("administrator", &admin), ("Salt Lake County representative", &slco)] {
        let started = Instant::now();
        let (mut after, mut read, mut pages) = ("0".to_owned(), 0usize, 0usize);
        loop {
            let body = json!({ "query": query, "variables": { "after": after } });
            let page: Value =
                client.post(&url).bearer_auth(token).json(&body).send().await.unwrap().json().await.unwrap();
            let page = &page["data"]["changes"];
            read += page["changes"].as_array().unwrap().len();
            pages += 1;
            after = page["endCursor"].as_str().unwrap().to_owned();
            if page["hasNextPage"] == false {
                break;
            }
        }
        let took = started.elapsed();
        println!(
            "{who}: read {read} events of {after} in {pages} pages, {:.2} s: {:.0} events/s shown, {:.0} events/s examined",
            took.as_secs_f64(),
            read as f64 / took.as_secs_f64(),
            after.parse::<f64>().unwrap() / took.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
