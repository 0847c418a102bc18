//! GraphQL over HTTP: media types, status codes, GET rules, limits, probes, and the JSON shape of errors.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, TestApp, codes, seed};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = TestApp::spawn().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn media_types_are_negotiated() {
    let app = TestApp::spawn().await;
    let query = json!({ "query": "{ viewer { authenticated } }" });
    let response = app.client.post(app.url("/graphql")).json(&query).send().await.unwrap();
    assert!(
        response.headers()["content-type"].to_str().unwrap().starts_with("application/json"),
        "assumed without Accept"
    );
    let response =
        app.client.post(app.url("/graphql")).header("accept", GRAPHQL_RESPONSE).json(&query).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with(GRAPHQL_RESPONSE));
    let response =
        app.client.post(app.url("/graphql")).header("accept", "application/json").json(&query).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let response =
        app.client.post(app.url("/graphql")).header("accept", "text/plain").json(&query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(query.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_unless_json_is_asked_for() {
    let app = TestApp::spawn().await;
    for query in ["{ viewer { ", "{ noSuchField }", "query ($x: Int) { viewer { authenticated } }"] {
        let body = json!({ "query": query, "variables": { "x": "not an int" } });
        let response = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let value: Value = response.json().await.unwrap();
        assert!(value["errors"].as_array().is_some_and(|e| !e.is_empty()));
        let expected = if query.ends_with("{ ") { "GRAPHQL_PARSE_FAILED" } else { "GRAPHQL_VALIDATION_FAILED" };
        assert_eq!(codes(&value), vec![expected.to_owned(); codes(&value).len().max(1)], "{value}");
        assert!(value.get("data").is_none_or(Value::is_null));

        let response =
            app.client.post(app.url("/graphql")).header("accept", "application/json").json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "legacy application/json answers 200: {query}");
    }
    let response =
        app.client.post(app.url("/graphql")).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations() {
    let app = TestApp::spawn().await;
    let response =
        app.client.get(app.url("/graphql")).query(&[("query", "{ viewer { authenticated } }")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["authenticated"], false);

    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { closeIncident(input: { incidentId: \"x\" }) { incident { id } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");

    let response = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn limits_on_body_batch_and_depth_are_enforced() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.max_body_bytes = 4096;
            config.max_batch = 2;
            config.max_depth = 5;
        }),
        ..Options::default()
    })
    .await;
    let big = json!({ "query": format!("{{ viewer {{ authenticated }} }} # {}", "x".repeat(8000)) });
    let response = app.client.post(app.url("/graphql")).json(&big).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let one = json!({ "query": "{ viewer { authenticated } }" });
    let response = app.client.post(app.url("/graphql")).json(&json!([one, one])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    let response = app.client.post(app.url("/graphql")).json(&json!([one, one, one])).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let token = app.admin();
    let deep = "{ jurisdictions { edges { node { parent { parent { parent { name } } } } } } }";
    let (status, body) = app.gql(Some(&token), deep, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().to_lowercase().contains("nested too deep"), "{body}");
}

#[tokio::test]
async fn introspection_can_be_turned_off() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| config.introspection = false),
        ..Options::default()
    })
    .await;
    let token = app.admin();
    let (_, body) = app.gql(Some(&token), "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(body["data"]["__schema"], Value::Null, "introspection answers nothing: {body}");
    let app = TestApp::spawn().await;
    let (status, body) = app.gql(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

/// Pins the JSON shape of each error code a client can receive from the directory and incident operations.
#[tokio::test]
async fn error_codes_have_a_stable_shape() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let rep = app.token("slco-em", Some(seed("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);

    let body = app.fails(None, "{ compacts { totalCount } }", json!({}), "UNAUTHENTICATED").await;
    assert_eq!(
        body["errors"][0],
        json!({
            "message": "authentication required: send a bearer token",
            "locations": [{ "line": 1, "column": 3 }],
            "path": ["compacts"],
            "extensions": { "code": "UNAUTHENTICATED" }
        })
    );

    let create =
        "mutation ($input: CreateResourceTypeInput!) { createResourceType(input: $input) { resourceType { id } } }";
    let input = json!({ "input": { "category": "Public Works", "kind": "EQUIPMENT", "name": "Street Sweeper" } });
    let body = app.fails(Some(&rep), create, input.clone(), "FORBIDDEN").await;
    assert_eq!(body["errors"][0]["extensions"], json!({ "code": "FORBIDDEN" }));
    assert_eq!(body["errors"][0]["path"], json!(["createResourceType"]));

    let bad =
        json!({ "input": { "category": "Public Works", "kind": "EQUIPMENT", "name": "Sweeper", "typeLevel": 9 } });
    let body = app.fails(Some(&admin), create, bad, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"], json!({ "code": "BAD_USER_INPUT", "field": "typeLevel" }));
    assert_eq!(body["errors"][0]["message"], "typeLevel must be between 1 and 6");

    app.ok(&admin, create, input.clone()).await;
    let body = app.fails(Some(&admin), create, input, "CONFLICT").await;
    assert_eq!(body["errors"][0]["extensions"], json!({ "code": "CONFLICT" }));

    let close = "mutation ($id: ID!) { closeIncident(input: { incidentId: $id }) { incident { status } } }";
    let incident = json!({ "id": seed("incident", "emigration-creek-flood-2026") });
    app.ok(&rep, close, incident.clone()).await;
    let body = app.fails(Some(&rep), close, incident, "INVALID_TRANSITION").await;
    assert_eq!(body["errors"][0]["extensions"], json!({ "code": "INVALID_TRANSITION", "currentStatus": "CLOSED" }));
    assert_eq!(body["errors"][0]["message"], "cannot close the incident: it is CLOSED");

    let missing = json!({ "id": uuid::Uuid::new_v4() });
    let body = app.fails(Some(&rep), close, missing, "NOT_FOUND").await;
    assert_eq!(body["errors"][0]["extensions"], json!({ "code": "NOT_FOUND" }));
    assert_eq!(codes(&body).len(), 1);
}

#[tokio::test]
async fn shutdown_drains_a_request_in_flight_then_stops_accepting() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let body = json!({ "query": "{ viewer { authenticated } }" }).to_string();
    let (head, tail) = body.split_at(10);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Make sure the server is reading this request before it is told to stop.
    let probe = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(probe.status(), StatusCode::OK);
    let stopping = tokio::spawn(app.stop());
    tokio::task::yield_now().await;
    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"authenticated\":false"), "{response}");
    stopping.await.unwrap();
    let after = reqwest::Client::new().get(format!("http://{addr}/healthz")).send().await;
    assert!(after.is_err(), "the listener is closed after shutdown");
}

#[tokio::test]
async fn on_shutdown_websocket_clients_get_a_going_away_close_frame() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let app = TestApp::spawn().await;
    let token = app.token("mobile", None, &["OBSERVER"], &[]);
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": { "query": "subscription { statusChanges { sequence } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();

    let stopping = tokio::spawn(app.stop());
    let close = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => break frame,
                Some(Ok(_)) => continue,
                other => panic!("the connection ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 10 s");
    let frame = close.expect("a close frame with a code");
    assert_eq!(frame.code, CloseCode::Away, "{frame:?}");
    stopping.await.unwrap();
}

#[tokio::test]
async fn a_request_past_the_time_limit_is_answered_504_and_commits_nothing() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| config.request_timeout_seconds = 1),
        ..Options::default()
    })
    .await;
    let token = app.admin();
    let create = "mutation { createResourceType(input: { category: \"Public Works\", kind: EQUIPMENT, name: \"Street Sweeper\" }) { resourceType { id } } }";
    // Hold the writer (SQLite's one connection; PostgreSQL's event-log lock) so the mutation cannot finish in time.
    let blocker = api::domain::events::begin(&app.state.db).await.unwrap();
    let (status, body) = app.gql(Some(&token), create, json!({})).await;
    drop(blocker);
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(codes(&body), ["TIMEOUT"]);
    assert_eq!(body["errors"][0]["message"], "the request took longer than 1 seconds");
    let data =
        app.ok(&token, "{ resourceTypes(filter: { nameContains: \"sweeper\" }) { totalCount } }", json!({})).await;
    assert_eq!(data["resourceTypes"]["totalCount"], 0, "the timed-out mutation left nothing behind");
}

#[tokio::test]
async fn cross_origin_pages_are_served_only_from_the_configured_origins() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.cors_allowed_origins =
                vec!["https://dashboard.example.org".into(), " http://localhost:5173/ ".into()]
        }),
        ..Options::default()
    })
    .await;
    for origin in ["https://dashboard.example.org", "http://localhost:5173"] {
        let preflight = app
            .client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{origin}: {}", preflight.status());
        assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
        let allowed = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
        let actual = app
            .client
            .post(app.url("/graphql"))
            .header("origin", origin)
            .json(&json!({ "query": "{ viewer { authenticated } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(actual.headers()["access-control-allow-origin"], origin);
    }
    // Another origin gets no grant, on the preflight or the request.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    // By default no origin is granted.
    let default = TestApp::spawn().await;
    let response = default
        .client
        .post(default.url("/graphql"))
        .header("origin", "https://dashboard.example.org")
        .json(&json!({ "query": "{ viewer { authenticated } }" }))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("access-control-allow-origin").is_none());
}

/// The README's error table: for each code, the HTTP statuses its row names.
fn readme_error_statuses() -> std::collections::BTreeMap<String, String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = &readme[readme.find("| code | meaning |").expect("the error table")..];
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|row| {
            let mut cells = row.split('|').map(str::trim).filter(|c| !c.is_empty());
            Some((cells.next()?.trim_matches('`').to_owned(), cells.next()?.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn the_readme_error_table_states_the_status_of_every_refusal() {
    let app = TestApp::seeded().await;
    let table = readme_error_statuses();
    let client = reqwest::Client::new();
    let rep = crate::missions::rep(&app, "salt-lake-county");
    let graphql = app.url("/graphql");
    let post = |token: Option<&str>, body: Value| {
        let mut request = client
            .post(&graphql)
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let create = json!({ "query": "mutation { addCommitteeMember(input: { compactId: \"00000000-0000-0000-0000-000000000000\", subject: \"x\", name: \"x\", termStartsOn: \"2026-01-01\" }) { committeeMember { id } } }" });
    let mut probes = vec![
        ("a bad token", post(Some("not-a-token"), json!({ "query": "{ viewer { authenticated } }" })).await.unwrap()),
        ("no token on a mutation", post(None, create.clone()).await.unwrap()),
        ("a representative on an administrator's mutation", post(Some(&rep), create).await.unwrap()),
        ("a document that does not parse", post(None, json!({ "query": "{ viewer " })).await.unwrap()),
        ("a field that does not exist", post(None, json!({ "query": "{ nothing }" })).await.unwrap()),
        (
            "an unknown persisted query",
            post(None, json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": "a".repeat(64) } } }))
                .await
                .unwrap(),
        ),
        (
            "a persisted query of version 2",
            post(None, json!({ "query": "{ viewer { authenticated } }", "extensions": { "persistedQuery": { "version": 2, "sha256Hash": "a".repeat(64) } } }))
                .await
                .unwrap(),
        ),
        (
            "a body over the limit",
            client
                .post(&graphql)
                .header("content-type", "application/json")
                .body(format!("{{\"query\": \"{}\"}}", " ".repeat(2 << 20)))
                .send()
                .await
                .unwrap(),
        ),
        (
            "a mutation over GET",
            client.get(format!("{graphql}?query=mutation%20%7B%20__typename%20%7D")).send().await.unwrap(),
        ),
        (
            "a record one may not see, as EDXL-RM",
            client
                .get(app.url(&format!("/edxl-rm/RequestResource/{}", uuid::Uuid::nil())))
                .bearer_auth(&rep)
                .send()
                .await
                .unwrap(),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (name, response) in probes.drain(..) {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or_else(|| panic!("{name}: {body}"));
        let row = table.get(code).unwrap_or_else(|| panic!("{name}: the README's table has no row for {code}"));
        assert!(row.contains(&status.to_string()), "{name}: {code} answered {status}, but the README says: {row}");
        seen.insert(code.to_owned());
    }
    assert!(seen.len() >= 8, "{seen:?}");
}

#[tokio::test]
async fn every_response_carries_the_request_id_the_client_sent_or_one_generated() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let ask = |id: Option<String>| {
        let mut request = client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(json!({ "query": "{ viewer { authenticated } }" }).to_string());
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.send()
    };
    let id_of = |response: &reqwest::Response| {
        response.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_owned()).expect("x-request-id")
    };
    let given = ask(Some("lb-7f3a2c-0001".into())).await.unwrap();
    assert_eq!(id_of(&given), "lb-7f3a2c-0001");
    let generated = ask(None).await.unwrap();
    let first = id_of(&generated);
    assert!(uuid::Uuid::parse_str(&first).is_ok(), "{first}");
    let second = id_of(&ask(None).await.unwrap());
    assert_ne!(first, second, "one id per request");
    // Too long, or not plain visible ASCII: replaced by a generated one.
    for unusable in ["x".repeat(129), "two words".to_owned()] {
        let replaced = id_of(&ask(Some(unusable.clone())).await.unwrap());
        assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{unusable:?} became {replaced}");
    }
    // Refusals carry one too.
    let refused = client.post(app.url("/graphql")).header("content-type", "text/plain").body("x").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(uuid::Uuid::parse_str(&id_of(&refused)).is_ok());
}

/// The samples of a Prometheus text exposition, by series (`name{labels}`), after checking every line's syntax
/// and that every sample belongs to a family with a `# TYPE`.
fn scrape_samples(text: &str) -> std::collections::BTreeMap<String, f64> {
    let mut typed = std::collections::BTreeSet::new();
    let mut samples = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split_whitespace();
            let name = words.next().expect("a TYPE names its family");
            let kind = words.next().expect("a TYPE gives the kind");
            assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind), "{line}");
            typed.insert(name.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        if let Some(labels) = series.strip_prefix(name) {
            assert!(labels.is_empty() || (labels.starts_with('{') && labels.ends_with('}')), "bad labels in {line}");
        }
        let family = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        assert!(typed.contains(family) || typed.contains(name), "no # TYPE for {name}");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

#[tokio::test]
async fn metrics_are_scraped_in_the_prometheus_format_and_move_with_the_traffic() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::seeded().await;
    let scrape = || async {
        let response = reqwest::get(app.url("/metrics")).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        scrape_samples(&response.text().await.unwrap())
    };
    let value =
        |samples: &std::collections::BTreeMap<String, f64>, series: &str| samples.get(series).copied().unwrap_or(0.0);
    let before = scrape().await;
    let rep = crate::missions::rep(&app, "salt-lake-county");
    app.ok(&rep, "query DashboardPage { dashboard { overdueDeadlines } }", json!({})).await;
    let refused = reqwest::Client::new()
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query Broken { viewer {", "operationName": "Broken" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    // A name too long to be a label counts as `other` (clients choose names: the label set stays bounded).
    let long = format!("query {} {{ viewer {{ authenticated }} }}", "A".repeat(80));
    app.ok(&rep, &long, json!({})).await;

    // A subscriber, then a change it receives.
    let token = app.token("metrics-observer", None, &["OBSERVER"], &[seed("compact", "utah-smaa")]);
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    socket.next().await.unwrap().unwrap();
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": { "query": "subscription { statusChanges { sequence } }" } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let during = scrape().await;
    assert!(value(&during, "mutual_aid_websocket_connections") >= 1.0, "{during:?}");
    let scheduler = api::scheduler::spawn(app.state.clone(), std::time::Duration::from_millis(50), vec![]);
    crate::missions::open_utah_request(&app, &rep, &["utah-county"]).await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
    assert!(got.to_text().unwrap().contains("\"next\""), "{got:?}");
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    scheduler.abort();

    let after = scrape().await;
    let grew = |series: &str| value(&after, series) > value(&before, series);
    assert!(grew("mutual_aid_graphql_requests_total{operation=\"DashboardPage\",outcome=\"ok\"}"), "{after:?}");
    assert!(grew("mutual_aid_graphql_request_duration_seconds_count{operation=\"DashboardPage\"}"), "{after:?}");
    assert!(grew("mutual_aid_graphql_requests_total{operation=\"Broken\",outcome=\"refused\"}"), "{after:?}");
    assert!(grew("mutual_aid_graphql_requests_total{operation=\"other\",outcome=\"ok\"}"), "a name that is not plain");
    assert!(grew("mutual_aid_events_written_total"), "{after:?}");
    assert!(grew("mutual_aid_events_delivered_total"), "{after:?}");
    assert!(grew("mutual_aid_feed_lag_seconds_count"), "{after:?}");
    assert!(grew("mutual_aid_scheduler_runs_total{outcome=\"ok\"}"), "{after:?}");
    assert!(after.keys().any(|k| k.starts_with("mutual_aid_db_pool_connections{state=\"idle\"}")), "{after:?}");
    assert!(after.keys().any(|k| k.starts_with("mutual_aid_subscriptions")), "{after:?}");
}

#[tokio::test]
async fn the_graphiql_page_loads_every_asset_from_the_server_itself() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    // Every script and stylesheet is a path on this server: nothing from a CDN, so the page works offline.
    let mut assets = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            let url = &part[..part.find('"').unwrap()];
            assert!(url.starts_with("/graphiql/"), "{url} is not served by this server");
            assets.push(url.to_owned());
        }
    }
    assert!(!html.contains("://"), "the page names another origin:\n{html}");
    assert_eq!(assets.len(), 5, "{assets:?}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("api/assets/graphiql");
    for url in &assets {
        let response = app.client.get(app.url(url)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let media = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            media.starts_with(if url.ends_with(".css") { "text/css" } else { "text/javascript" }),
            "{url}: {media}"
        );
        let served = response.bytes().await.unwrap();
        let file = std::fs::read(dir.join(url.trim_start_matches("/graphiql/"))).unwrap();
        assert!(served.as_ref() == file.as_slice(), "{url} is not the vendored file");
    }
    // The vendored files are the npm packages' own, as recorded when they were fetched.
    let check = std::process::Command::new("sha256sum").arg("--check").arg("SHA256SUMS").current_dir(&dir).output();
    let check = check.expect("sha256sum");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    let missing = app.client.get(app.url("/graphiql/nothing.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
