//! The contract third parties build on: Apollo Federation (composition with `@apollo/composition`, a real
//! `@apollo/gateway` over this server and a second subgraph, `_entities` under the same permissions), the
//! `graphql-http` server audits, persisted queries, compression, query cost, and N+1-free pages with a fixed
//! number of SQL statements.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::missions::*;
use crate::support::{Options, TestApp, node_clients, seed};

/// Runs a Node.js script to its end and returns its JSON lines.
async fn node(script: &str, args: Value) -> Vec<Value> {
    let dir = node_clients();
    let output = Command::new("node").arg(dir.join(script)).arg(args.to_string()).output().await.expect("node");
    String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// Starts the staffing subgraph and returns its URL and the process (killed on drop).
async fn staffing() -> (String, tokio::process::Child) {
    let dir = node_clients();
    let mut child = Command::new("node")
        .arg(dir.join("staffing-subgraph.mjs"))
        .arg(json!({ "port": 0 }).to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let value: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if value["type"] == "ready" {
            return (value["url"].as_str().unwrap().to_owned(), child);
        }
    }
    panic!("the staffing subgraph did not start");
}

#[tokio::test]
async fn the_subgraph_composes_with_apollo_composition() {
    let app = TestApp::spawn().await;
    let lines = node("compose.mjs", json!({ "url": app.url("/graphql"), "staffing": true })).await;
    let result = lines.iter().find(|l| l["type"] == "composition").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(result["ok"], true, "composition errors: {result}");
    assert!(result["supergraphBytes"].as_u64().unwrap() > 10_000);
    let (_, body) = app.gql(None, "{ _service { sdl } }", json!({})).await;
    let sdl = body["data"]["_service"]["sdl"].as_str().unwrap();
    for entity in ["Jurisdiction", "Compact", "Incident", "ResourceRequest", "Deployment", "Claim"] {
        assert!(sdl.contains(&format!("type {entity} implements Node @key(fields: \"id\")")), "{entity} is an entity");
    }
}

const GATEWAY_QUERY: &str = "query ($id: ID!) { resourceRequest(id: $id) { requestNumber requestingJurisdiction { name volunteerCount } } jurisdictions(first: 2, filter: { nameContains: \"county\" }) { edges { node { name volunteerCount } } } }";

#[tokio::test]
async fn a_gateway_queries_across_this_server_and_another_subgraph() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let (staffing_url, _staffing) = staffing().await;
    let lines = node(
        "gateway.mjs",
        json!({ "missions": app.url("/graphql"), "staffing": staffing_url, "token": slco,
        "query": GATEWAY_QUERY, "variables": { "id": request["id"] } }),
    )
    .await;
    let result = lines.iter().find(|l| l["type"] == "result").unwrap_or_else(|| panic!("{lines:?}"));
    let data = &result["body"]["data"];
    assert!(result["body"].get("errors").is_none_or(Value::is_null), "{result}");
    assert_eq!(data["resourceRequest"]["requestingJurisdiction"]["name"], "Salt Lake County");
    let id = seed("jurisdiction", "salt-lake-county").to_string();
    let expected = id.chars().map(|c| c as u32).sum::<u32>() % 100;
    assert_eq!(
        data["resourceRequest"]["requestingJurisdiction"]["volunteerCount"], expected,
        "resolved by the other subgraph"
    );
    assert_eq!(data["jurisdictions"]["edges"].as_array().unwrap().len(), 2);

    // Through the gateway, another jurisdiction sees no more than a direct query shows it.
    let davis = rep(&app, "davis-county");
    let lines = node(
        "gateway.mjs",
        json!({ "missions": app.url("/graphql"), "staffing": staffing_url, "token": davis,
        "query": GATEWAY_QUERY, "variables": { "id": request["id"] } }),
    )
    .await;
    let result = lines.iter().find(|l| l["type"] == "result").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(result["body"]["data"]["resourceRequest"], Value::Null);
}

#[tokio::test]
async fn entities_resolve_only_what_a_direct_query_would_show() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let query = "query ($reps: [_Any!]!) { _entities(representations: $reps) { __typename ... on ResourceRequest { requestNumber } ... on Incident { name } ... on Jurisdiction { name } } }";
    let reps = json!({ "reps": [
        { "__typename": "ResourceRequest", "id": request["id"] },
        { "__typename": "Incident", "id": seed("incident", "emigration-creek-flood-2026") },
        { "__typename": "Jurisdiction", "id": seed("jurisdiction", "provo") }
    ] });
    let data = app.ok(&slco, query, reps.clone()).await;
    assert_eq!(data["_entities"][0]["__typename"], "ResourceRequest");
    assert_eq!(data["_entities"][1]["name"], "Emigration Creek Flood 2026");
    assert_eq!(data["_entities"][2]["name"], "Provo");
    let bexar = rep(&app, "bexar-county");
    let data = app.ok(&bexar, query, reps.clone()).await;
    assert_eq!(data["_entities"][0], Value::Null, "another jurisdiction's request");
    assert_eq!(data["_entities"][1], Value::Null, "another jurisdiction's incident");
    assert_eq!(data["_entities"][2]["name"], "Provo", "the directory is shared");
    let (_, body) = app.gql(None, query, reps).await;
    assert!(crate::support::codes(&body).contains(&"UNAUTHENTICATED".to_owned()), "{body}");
}

#[tokio::test]
async fn the_graphql_http_audits_pass() {
    let app = TestApp::spawn().await;
    let lines = node("audit.mjs", json!({ "url": app.url("/graphql") })).await;
    let audits: Vec<&Value> = lines.iter().filter(|l| l["type"] == "audit").collect();
    assert!(audits.len() > 40, "{lines:?}");
    let failed_must: Vec<String> =
        audits.iter().filter(|a| a["status"] == "error").map(|a| format!("{}: {}", a["name"], a["reason"])).collect();
    assert!(failed_must.is_empty(), "MUST audits failed:\n{}", failed_must.join("\n"));
    // Every SHOULD passes but those argued in the README (application/json with a 4xx for unparsable requests).
    let warned: Vec<String> =
        audits.iter().filter(|a| a["status"] == "warn").map(|a| a["name"].as_str().unwrap().to_owned()).collect();
    assert!(warned.is_empty(), "SHOULD audits not passed: {warned:#?}");
}

#[tokio::test]
async fn persisted_queries_compression_and_cost_reporting() {
    use sha2::{Digest, Sha256};
    let app = TestApp::seeded().await;
    let token = app.token("dashboard", None, &["OBSERVER"], &[]);
    let query = "{ compacts { totalCount } }";
    let hash = format!("{:x}", Sha256::digest(query.as_bytes()));
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    let url = app.url("/graphql");
    let send = |body: Value| app.client.post(&url).bearer_auth(&token).json(&body).send();
    let miss: Value = send(json!({ "extensions": extensions })).await.unwrap().json().await.unwrap();
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");
    let first: Value = send(json!({ "query": query, "extensions": extensions })).await.unwrap().json().await.unwrap();
    assert_eq!(first["data"]["compacts"]["totalCount"], 9);
    let hit: Value = send(json!({ "extensions": extensions })).await.unwrap().json().await.unwrap();
    assert_eq!(hit["data"]["compacts"]["totalCount"], 9, "the hash alone is enough now");
    let get =
        app.client.get(&url).bearer_auth(&token).query(&[("extensions", extensions.to_string())]).send().await.unwrap();
    assert_eq!(get.status(), reqwest::StatusCode::OK, "a persisted query over GET, as mobile clients send it");

    let big = "{ jurisdictions(first: 100) { edges { node { name contacts { name phone } } } } }";
    let response = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");

    let plain: Value = send(json!({ "query": query })).await.unwrap().json().await.unwrap();
    assert!(plain.get("extensions").is_none_or(|e| e.get("cost").is_none()), "cost only when asked: {plain}");
    let costed: Value =
        send(json!({ "query": big, "extensions": { "cost": true } })).await.unwrap().json().await.unwrap();
    assert!(costed["extensions"]["cost"]["complexity"].as_u64().unwrap() > 100, "{costed}");
    assert_eq!(costed["extensions"]["cost"]["depth"], 5);

    let aliases: String = (0..31).map(|i| format!("a{i}: viewer {{ authenticated }} ")).collect();
    let (status, body) = app.gql(Some(&token), &format!("{{ {aliases} }}"), json!({})).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("aliases"));
}

const PAGE: &str = r#"query ($first: Int) { resourceRequests(first: $first) { totalCount edges { node {
  requestNumber status compact { shortName } requestingJurisdiction { name parent { name } } incident { name }
  lineItems { quantity acceptedQuantity resourceType { name } }
  offers { status assistingJurisdiction { name } lines { quantity } }
  agreements { status claim { status totals { claimed outstanding } invoiceLines { amount } payments { amount } } }
  deployments { status assistingJurisdiction { name } } } } } }"#;

#[tokio::test]
async fn a_page_of_requests_costs_the_same_number_of_statements_whatever_its_size() {
    let statements = Arc::new(AtomicUsize::new(0));
    // A batching window longer than any scheduling pause of this busy test machine, so the count measures the
    // batching design rather than how the operating system scheduled the test (see `loaders`).
    let app = TestApp::spawn_with(Options {
        statements: Some(statements.clone()),
        configure: Box::new(|config| config.dataloader_delay_ms = 50),
        ..Options::default()
    })
    .await;
    api::seed::load(&app.state.db, chrono::Utc::now()).await.unwrap();
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    for _ in 0..50 {
        let request = open_utah_request(&app, &slco, &["utah-county"]).await;
        let offer = app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
        app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    }
    let admin = app.admin();
    let mut counts = Vec::new();
    for first in [5, 50] {
        let before = statements.load(Ordering::SeqCst);
        let data = app.ok(&admin, PAGE, json!({ "first": first })).await;
        counts.push(statements.load(Ordering::SeqCst) - before);
        assert_eq!(data["resourceRequests"]["edges"].as_array().unwrap().len(), first);
    }
    // The bound is the number of batched relations in PAGE, whatever the page size: the page and its count (2);
    // compact, requesting jurisdiction, incident, line items, offers, agreements, deployments (7); the parent,
    // offer and deployment jurisdictions (at most one batch each, 3), accepted quantities (4), resource types,
    // offer lines and claims (3); invoice lines and payments (2). Batches of one relation at one depth may merge
    // (fewer statements), never split per row.
    const BOUND: usize = 2 + 7 + 3 + 4 + 3 + 2;
    assert!(
        counts.iter().all(|c| (1..=BOUND).contains(c)),
        "statements for 5 and 50 requests: {counts:?}, bound {BOUND}"
    );
    assert_eq!(counts[0], counts[1], "the same statements for 5 and 50 requests");
    assert!(counts[1] < 50, "not one statement per row: {counts:?}");
}

/// The benchmark's dashboard page (bench/bench.mjs).
const DASHBOARD: &str = r#"query ($first: Int) { resourceRequests(first: $first) { nodes {
  id requestNumber status priority requestedAt updatedAt
  requestingJurisdiction { id name }
  incident { id name }
  lineItems { id position quantity resourceType { id name } }
  offers { id status assistingJurisdiction { id name } }
  deployments { id status assistingJurisdiction { id name } } } } }"#;

#[tokio::test]
async fn a_list_reads_ahead_in_a_fixed_number_of_statements_whatever_the_timing() {
    let statements = Arc::new(AtomicUsize::new(0));
    // No batching window at all, and requests side by side: batches that depended on timing would split here.
    let app = TestApp::spawn_with(Options {
        statements: Some(statements.clone()),
        configure: Box::new(|config| config.dataloader_delay_ms = 0),
        ..Options::default()
    })
    .await;
    api::seed::load(&app.state.db, chrono::Utc::now()).await.unwrap();
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    for _ in 0..40 {
        let request = open_utah_request(&app, &slco, &["utah-county"]).await;
        let offer = app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
        app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    }
    let admin = app.admin();
    // The page (1); line items, offers, deployments and incidents (4); then every jurisdiction and every resource
    // type those name (2).
    const STATEMENTS: usize = 1 + 4 + 2;
    for first in [1, 10, 40] {
        let before = statements.load(Ordering::SeqCst);
        let data = app.ok(&admin, DASHBOARD, json!({ "first": first })).await;
        assert_eq!(statements.load(Ordering::SeqCst) - before, STATEMENTS, "first: {first}");
        let nodes = data["resourceRequests"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        for node in nodes {
            assert_eq!(node["requestingJurisdiction"]["name"], "Salt Lake County", "{node}");
            assert!(node["incident"]["name"].is_string(), "{node}");
            assert!(node["lineItems"][0]["resourceType"]["name"].is_string(), "{node}");
            assert_eq!(node["offers"][0]["assistingJurisdiction"]["name"], "Utah County", "{node}");
        }
    }
    let before = statements.load(Ordering::SeqCst);
    let side_by_side: Vec<_> = (0..8).map(|_| app.ok(&admin, DASHBOARD, json!({ "first": 40 }))).collect();
    futures_util::future::join_all(side_by_side).await;
    assert_eq!(statements.load(Ordering::SeqCst) - before, 8 * STATEMENTS, "eight pages read side by side");

    // A representative of the assisting county sees only its own offers, read ahead as well.
    let before = statements.load(Ordering::SeqCst);
    let data = app.ok(&utco, DASHBOARD, json!({ "first": 40 })).await;
    let nodes = data["resourceRequests"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 40);
    assert!(statements.load(Ordering::SeqCst) - before <= STATEMENTS + 2, "the representative's page");
}

#[tokio::test]
async fn dashboard_aggregates_respect_visibility() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let offer =
        app.ok(&utco, OFFER, offer_input(&request, &[(0, 2), (1, 4)])).await["makeOffer"]["offer"]["id"].clone();
    app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let query = "{ dashboard { requestsByStatus { status count } deployed { jurisdiction { name } incident { name } deployments personnel equipment } overdueDeadlines } }";
    let utah = app.token("utah-eoc", None, &["OBSERVER"], &[seed("compact", "utah-smaa")]);
    let data = app.ok(&utah, query, json!({})).await;
    assert_eq!(data["dashboard"]["requestsByStatus"], json!([{ "status": "FILLED", "count": 1 }]));
    assert_eq!(
        data["dashboard"]["deployed"],
        json!([{ "jurisdiction": { "name": "Utah County" }, "incident": { "name": "Emigration Creek Flood 2026" }, "deployments": 1, "personnel": 2, "equipment": 2 }])
    );
    let bexar = rep(&app, "bexar-county");
    let data = app.ok(&bexar, query, json!({})).await;
    assert_eq!(data["dashboard"]["requestsByStatus"], json!([]));
    assert_eq!(data["dashboard"]["deployed"], json!([]));
}

/// The README's consumer examples, run as written.
#[tokio::test]
async fn readme_examples_run() {
    let example = crate::support::readme_example;
    let app = TestApp::seeded().await;
    let observer = app.token("dashboard", None, &["OBSERVER"], &[seed("compact", "utah-smaa")]);
    let data = app.ok(&observer, &example("dashboard"), json!({})).await;
    assert!(data["dashboard"]["overdueDeadlines"].is_number());
    assert!(data["resourceRequests"]["totalCount"].is_number());

    let slco = rep(&app, "salt-lake-county");
    open_utah_request(&app, &slco, &["utah-county"]).await;
    // The Relay example: the last page, and its records found again by their global ids.
    let data = app.ok(&slco, &example("relay"), json!({})).await;
    let edges = data["resourceRequests"]["edges"].as_array().unwrap();
    assert!(!edges.is_empty(), "{data}");
    for edge in edges {
        let global = &edge["node"]["nodeId"];
        let found = app
            .ok(
                &slco,
                "query ($id: ID!) { node(id: $id) { nodeId ... on ResourceRequest { requestNumber } } }",
                json!({ "id": global }),
            )
            .await;
        assert_eq!(found["node"]["requestNumber"], edge["node"]["requestNumber"]);
    }
    // The change feed example, as an integration of the compact would run it.
    let integration = app.token("webeoc", None, &["INTEGRATION"], &[seed("compact", "utah-smaa")]);
    let data = app.ok(&integration, &example("changes"), json!({ "after": "0" })).await;
    let changes = data["changes"]["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["resourceRequest"]["status"] == "OPEN"), "{data}");
    let lines = node(
        "subscribe.mjs",
        json!({ "url": app.ws_url(), "protocol": "graphql-transport-ws", "token": slco,
        "query": example("subscription"), "variables": { "after": "0" }, "count": 1, "timeoutMs": 15000 }),
    )
    .await;
    let next = lines.iter().find(|l| l["type"] == "next").unwrap_or_else(|| panic!("{lines:?}"));
    assert!(next["payload"]["data"]["statusChanges"]["sequence"].is_string(), "{next}");

    let gateway = std::fs::read_to_string(node_clients().join("gateway.mjs")).unwrap();
    assert!(gateway.contains(&example("gateway")), "the README shows the configuration the gateway test runs");
}

/// A Chromium to drive: Debian's, installed with apt when it is missing and the suite may install packages (as
/// `.ci/run` does); otherwise the test says how to get one.
fn chromium() -> std::path::PathBuf {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
            let out = std::process::Command::new("which").arg(name).output().ok()?;
            out.status.success().then(|| std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
    };
    if let Some(found) = find() {
        return found;
    }
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if root {
        eprintln!("installing Debian's chromium for the GraphiQL browser test");
        let _ = std::process::Command::new("apt-get").args(["install", "-y", "-q", "chromium"]).status();
    }
    find().expect("a Chromium is needed for the GraphiQL test: `apt-get install chromium` (Debian)")
}

#[tokio::test]
async fn graphiql_works_offline_in_a_real_browser() {
    use tokio::io::AsyncBufReadExt;
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let dir = node_clients();
    let browser = chromium();
    let mut child = Command::new("node")
        .arg(dir.join("graphiql.mjs"))
        .arg(json!({ "url": app.url(""), "token": slco, "chromium": browser }).to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut steps = std::collections::HashMap::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let step: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            let kind = step["type"].as_str().unwrap_or_default().to_owned();
            if kind == "subscribed" {
                // The change the page's subscription waits for.
                app.ok(&slco, "mutation { declareIncident(input: { name: \"Browser Test Flood\", kind: DISASTER, declarationForm: WRITTEN }) { incident { id } } }", json!({})).await;
            }
            steps.insert(kind, step);
        }
    })
    .await;
    assert!(read.is_ok(), "the browser did not finish: {steps:?}");
    // Loaded with every other origin refused, and no script error.
    assert_eq!(steps["loaded"]["elsewhere"], json!([]), "{steps:?}");
    assert_eq!(steps["done"]["errors"], json!([]), "{steps:?}");
    // A query with the Authorization header typed in the headers pane.
    assert!(steps["query"]["response"].as_str().unwrap().contains("\"subject\": \"slco-em\""), "{steps:?}");
    // The documentation of a type.
    assert_eq!(steps["docs"]["title"], "ResourceRequest");
    assert!(steps["docs"]["text"].as_str().unwrap().contains("A request for assistance"), "{steps:?}");
    // A subscription message, over the WebSocket, with the same header.
    let message = steps["subscription"]["response"].as_str().unwrap();
    assert!(message.contains("\"action\": \"DECLARED\"") && message.contains("\"sequence\""), "{message}");
}
