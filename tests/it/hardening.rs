//! The public surface against an attacker and a careless client: documents that would freeze or fill the server,
//! slow and oversized requests, inputs that would overflow or smuggle control characters, and errors without codes.
//! Each limit is tested on every transport it applies to, and each class of input (every list, every text, every
//! decimal) from the schema itself, so that a new field cannot escape it.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Options, TestApp, codes, seed};

/// `query{...F<n>}` where each fragment spreads the previous one twice: 2^n selections from a 1 KB document.
fn doubling(levels: usize) -> String {
    let mut doc = format!("query{{...F{levels}}} fragment F0 on Query{{viewer{{authenticated}}}}");
    for i in 1..=levels {
        doc.push_str(&format!(" fragment F{i} on Query{{...F{} ...F{}}}", i - 1, i - 1));
    }
    doc
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn fragment_bombs_are_refused_before_validation() {
    let app = TestApp::spawn().await;
    for levels in [24, 27, 39, 60] {
        let started = Instant::now();
        let (status, body) = app.gql(None, &doubling(levels), json!({})).await;
        let took = started.elapsed();
        println!("F{levels}: refused in {took:?}");
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "F{levels}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("selections"), "{body}");
        // Generous for a debug build on a loaded machine; before the gate F27 took minutes.
        assert!(took < Duration::from_secs(2), "F{levels} took {took:?}");
    }
    // Fragment chains that stay within the limit still run.
    let data = app.gql(None, &doubling(8), json!({})).await.1;
    assert_eq!(data["data"]["viewer"]["authenticated"], false, "{data}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_are_answered_while_heavy_documents_are_in_flight() {
    let app = TestApp::spawn().await;
    // Heavy but admissible: 44 KB, 4,000 selections for the library to validate and merge, then run.
    let heavy = format!("{{ {} }}", "viewer { authenticated } ".repeat(2000));
    let mut inflight = Vec::new();
    for i in 0..16 {
        let doc = if i % 2 == 0 { doubling(39) } else { heavy.clone() };
        let client = app.client.clone();
        let url = app.url("/graphql");
        inflight.push(tokio::spawn(async move {
            client.post(url).json(&json!({ "query": doc })).send().await.map(|r| r.status())
        }));
    }
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let started = Instant::now();
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        slowest = slowest.max(started.elapsed());
    }
    println!("slowest /healthz with 16 heavy requests in flight: {slowest:?}");
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    for (i, request) in inflight.into_iter().enumerate() {
        // The bombs are refused (400), the heavy documents run (200).
        let expected = if i % 2 == 0 { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        assert_eq!(request.await.unwrap().unwrap(), expected, "every document was answered");
    }
}

#[tokio::test]
async fn persisted_queries_store_only_what_passed_and_get_never_runs_a_mutation() {
    let app = TestApp::spawn().await;
    let apq = |query: Option<&str>, hash: &str| {
        let mut body = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
        if let Some(query) = query {
            body["query"] = json!(query);
        }
        body
    };
    let get = |hash: &str| {
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
        app.client.get(app.url("/graphql")).query(&[("extensions", extensions)]).send()
    };

    // Refused as too many aliases: not stored.
    let aliases = format!(
        "{{ {} }}",
        (0..200).map(|i| format!("a{i}: viewer {{ authenticated }}")).collect::<Vec<_>>().join(" ")
    );
    let hash = sha256_hex(&aliases);
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&apq(Some(&aliases), &hash))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
    let body: Value = get(&hash).await.unwrap().json().await.unwrap();
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");

    // Refused by validation (an unknown field): not stored either.
    let unknown = "{ noSuchField }";
    let hash = sha256_hex(unknown);
    app.client.post(app.url("/graphql")).json(&apq(Some(unknown), &hash)).send().await.unwrap();
    let body: Value = get(&hash).await.unwrap().json().await.unwrap();
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");

    // A hash that is not the query's is refused.
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&apq(Some("{ viewer { authenticated } }"), &"0".repeat(64)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");

    // A mutation registered over POST is never run by GET.
    let mutation = "mutation { createResourceType(input: { category: \"Public Works\", kind: EQUIPMENT, name: \"Sweeper\" }) { resourceType { id } } }";
    let hash = sha256_hex(mutation);
    let admin = app.admin();
    let body: Value = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .json(&apq(Some(mutation), &hash))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["data"]["createResourceType"]["resourceType"]["id"].is_string(), "{body}");
    let events = app.event_count().await;
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let response = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&admin)
        .query(&[("extensions", extensions)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(codes(&body), ["BAD_REQUEST"], "{body}");
    assert_eq!(app.event_count().await, events, "the GET changed nothing");

    // A query that passed is served by its hash.
    let query = "{ viewer { authenticated } }";
    let hash = sha256_hex(query);
    app.client.post(app.url("/graphql")).json(&apq(Some(query), &hash)).send().await.unwrap();
    let body: Value = get(&hash).await.unwrap().json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["authenticated"], false, "{body}");
}

#[tokio::test]
async fn the_persisted_query_store_is_bounded() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.persisted_queries_max_entries = 3;
            config.persisted_queries_max_bytes = 1 << 20;
        }),
        ..Options::default()
    })
    .await;
    for i in 0..10 {
        let query = format!("query Q{i} {{ viewer {{ authenticated }} }}");
        let body = json!({ "query": query, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(&query) } } });
        let response: Value =
            app.client.post(app.url("/graphql")).json(&body).send().await.unwrap().json().await.unwrap();
        assert!(response.get("errors").is_none(), "{response}");
    }
    assert_eq!(app.state.persisted.usage().0, 3);
}

/// Reads text messages until `pred` matches one, the connection closes (returns the close code), or time runs out.
async fn ws_until<S>(socket: &mut S, pred: impl Fn(&Value) -> bool) -> Result<Value, Option<u16>>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, socket.next()).await.expect("an answer in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if pred(&value) {
                    return Ok(value);
                }
            }
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| f.code.into())),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return Err(None),
        }
    }
}

#[tokio::test]
async fn websocket_operations_keep_the_same_limits_as_http() {
    let app = TestApp::seeded().await;
    let token =
        app.token("slco-em", Some(seed("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let mut socket = app.ws().await;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string(),
        ))
        .await
        .unwrap();
    ws_until(&mut socket, |m| m["type"] == "connection_ack").await.unwrap();

    let aliases = format!(
        "{{ {} }}",
        (0..200).map(|i| format!("a{i}: viewer {{ authenticated }}")).collect::<Vec<_>>().join(" ")
    );
    let hash = sha256_hex(&aliases);
    let cases = [
        (
            "aliases",
            json!({ "query": aliases, "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("bomb", json!({ "query": doubling(39) }), "GRAPHQL_VALIDATION_FAILED"),
        (
            "deep",
            json!({ "query": format!("{{ {}viewer{} }}", "a {".repeat(200), "}".repeat(200)) }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "size",
            json!({ "query": format!("{{ viewer {{ authenticated }} }} #{}", "x".repeat(200_000)) }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "control",
            json!({ "query": "query ($n: String) { resourceTypes(filter: { nameContains: $n }) { totalCount } }", "variables": { "n": "a\u{0}b" } }),
            "BAD_USER_INPUT",
        ),
        (
            "variable",
            json!({ "query": "query ($n: Int) { resourceTypes(first: $n) { totalCount } }", "variables": { "n": 2147483648u64 } }),
            "BAD_USER_INPUT",
        ),
    ];
    for (id, payload, code) in cases {
        socket
            .send(Message::text(json!({ "type": "subscribe", "id": id, "payload": payload }).to_string()))
            .await
            .unwrap();
        let answer = ws_until(&mut socket, |m| m["id"] == id).await.unwrap_or_else(|c| panic!("{id}: closed {c:?}"));
        assert_eq!(answer["type"], "error", "{id}: {answer}");
        assert_eq!(answer["payload"][0]["extensions"]["code"], code, "{id}: {answer}");
    }
    // Refused over the socket, so not served by its hash over HTTP either.
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let body: Value = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", extensions)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(codes(&body), ["PERSISTED_QUERY_NOT_FOUND"], "{body}");
}

#[tokio::test]
async fn a_websocket_client_may_send_only_a_few_kib_before_it_is_authenticated() {
    let app = TestApp::spawn().await;
    // One large frame before connection_init: the connection is dropped without reading it.
    let mut socket = app.ws().await;
    let big = json!({ "type": "connection_init", "payload": { "pad": "x".repeat(64 * 1024) } }).to_string();
    let _ = socket.send(Message::text(big)).await;
    let outcome = ws_until(&mut socket, |m| m["type"] == "connection_ack").await;
    assert!(outcome.is_err(), "no acknowledgment for an oversized init: {outcome:?}");

    // Many small frames add up to the same budget.
    let mut socket = app.ws().await;
    for _ in 0..64 {
        if socket.send(Message::Ping(vec![0u8; 100].into())).await.is_err() {
            break;
        }
    }
    let _ = socket.send(Message::text(json!({ "type": "connection_init" }).to_string())).await;
    let outcome = ws_until(&mut socket, |m| m["type"] == "connection_ack").await;
    assert!(outcome.is_err(), "no acknowledgment after 6 KiB of pings: {outcome:?}");

    // A normal init is acknowledged, and after it larger operations are read.
    let token = app.admin();
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    ws_until(&mut socket, |m| m["type"] == "connection_ack").await.unwrap();
    let query = format!("{{ viewer {{ authenticated }} }} #{}", "x".repeat(50_000));
    socket
        .send(Message::text(json!({ "type": "subscribe", "id": "1", "payload": { "query": query } }).to_string()))
        .await
        .unwrap();
    let answer = ws_until(&mut socket, |m| m["id"] == "1").await.unwrap();
    assert_eq!(answer["type"], "next", "{answer}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_by_their_declared_length_with_a_coded_413() {
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head =
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut response = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut response))
        .await
        .expect("answered at once")
        .unwrap();
    let response = String::from_utf8_lossy(&response[..n]).to_string();
    println!("50 MB declared: answered in {:?}", started.elapsed());
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let body: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(codes(&body), ["PAYLOAD_TOO_LARGE"], "{body}");

    // A chunked body that grows past the limit is refused the same way.
    let big = json!({ "query": format!("{{ viewer {{ authenticated }} }} #{}", "x".repeat(2 << 20)) });
    let response = app.client.post(app.url("/graphql")).json(&big).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(codes(&body), ["PAYLOAD_TOO_LARGE"], "{body}");
}

#[tokio::test]
async fn slow_clients_are_disconnected() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.header_read_timeout_seconds = 1;
            config.body_read_timeout_seconds = 1;
        }),
        ..Options::default()
    })
    .await;
    // Headers sent byte by byte, never finished: the connection is closed.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    let closed = async {
        for byte in b"POST /graphql HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle() {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            let mut buf = [0u8; 256];
            match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), closed).await.expect("the slow client is disconnected");
    println!("slow headers: disconnected after {:?}", started.elapsed());

    // A body that stops arriving: 408 with a code.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head =
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut response)).await.expect("answered").unwrap();
    let response = String::from_utf8_lossy(&response[..n]).to_string();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("\"code\":\"BAD_REQUEST\""), "{response}");
}

#[tokio::test]
async fn decimals_beyond_their_bound_are_refused_and_change_nothing() {
    let app = TestApp::seeded().await;
    let token = app.token("utco-em", Some(seed("jurisdiction", "utah-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let events = app.event_count().await;
    let offer = "mutation ($amount: Decimal!) { makeOffer(input: { requestId: \"00000000-0000-0000-0000-000000000000\", lines: [], costEstimate: [{ category: EQUIPMENT, amount: $amount }] }) { offer { id } } }";
    for amount in ["79228162514264337593543950335", "1000000000000", "-1000000000000", "1.00001", "1e40", "NaN", ""] {
        let (_, body) = app.gql(Some(&token), offer, json!({ "amount": amount })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{amount}: {body}");
    }
    // The same bound for a literal in the document.
    let literal = offer.replace("($amount: Decimal!) ", "").replace("$amount", "\"79228162514264337593543950335\"");
    let (_, body) = app.gql(Some(&token), &literal, json!({})).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert_eq!(app.event_count().await, events);
}

#[tokio::test]
async fn control_characters_are_refused_identically_on_every_database() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let create = "mutation ($name: String!) { createResourceType(input: { category: \"Public Works\", kind: EQUIPMENT, name: $name }) { resourceType { name } } }";
    for name in ["Pump\u{0}", "Pump\u{1b}[2J", "Pump\u{7f}", "Pu\u{8}mp"] {
        let (_, body) = app.gql(Some(&admin), create, json!({ "name": name })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{name:?}: {body}");
    }
    assert_eq!(app.event_count().await, 0, "nothing was stored");
    let data = app.ok(&admin, create, json!({ "name": "Pump\tType 2" })).await;
    assert_eq!(data["createResourceType"]["resourceType"]["name"], "Pump\tType 2");
}

#[tokio::test]
async fn every_error_carries_a_code() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let cases = [
        ("query ($f: ResourceTypeFilter) { resourceTypes(filter: $f) { totalCount } }", json!({ "f": "a string" })),
        ("query { resourceTypes(first: $undefined) { totalCount } }", json!({})),
        ("query ($n: Int) { resourceTypes(first: $n) { totalCount } }", json!({ "n": 2147483648u64 })),
        ("query ($n: Int!) { resourceTypes(first: $n) { totalCount } }", json!({})),
        ("query ($n: Int) { resourceTypes(first: $n) { totalCount } }", json!({ "n": 1.5 })),
        ("query { resourceTypes(first: \"ten\") { totalCount } }", json!({})),
        (
            "query ($k: [ResourceKind!]) { resourceTypes(filter: { kinds: $k }) { totalCount } }",
            json!({ "k": ["NOPE"] }),
        ),
        ("query ($d: DateTime!) { deadlines(filter: { dueBefore: $d }) { totalCount } }", json!({ "d": "yesterday" })),
        ("query ($id: ID!) { jurisdiction(id: $id) { name } }", json!({ "id": "not-a-uuid" })),
        ("{ viewer { authenticated } ", json!({})),
        ("subscription { statusChanges { sequence } }", json!({})),
    ];
    for (query, variables) in cases {
        let (_, body) = app.gql(Some(&admin), query, variables.clone()).await;
        let errors = body["errors"].as_array().unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(!errors.is_empty(), "{query}");
        for error in errors {
            let code = error["extensions"]["code"].as_str().unwrap_or_else(|| panic!("{query} {variables}: {body}"));
            assert_ne!(code, "INTERNAL_SERVER_ERROR", "{query}: {body}");
        }
    }
}

/// A value of `type_ref` that coerces, for the class tests below: lists get `list_len` items.
fn sample(types: &Value, type_ref: &Value, list_len: usize) -> Value {
    match type_ref["kind"].as_str().unwrap() {
        "NON_NULL" => sample(types, &type_ref["ofType"], list_len),
        "LIST" => Value::Array(vec![sample(types, &type_ref["ofType"], 1); list_len]),
        _ => {
            let name = type_ref["name"].as_str().unwrap();
            let ty = types.as_array().unwrap().iter().find(|t| t["name"] == name).unwrap();
            match (ty["kind"].as_str().unwrap(), name) {
                ("ENUM", _) => ty["enumValues"][0]["name"].clone(),
                ("INPUT_OBJECT", _) => {
                    let mut object = serde_json::Map::new();
                    for field in ty["inputFields"].as_array().unwrap() {
                        if field["type"]["kind"] == "NON_NULL" && field["defaultValue"].is_null() {
                            object.insert(field["name"].as_str().unwrap().to_owned(), sample(types, &field["type"], 1));
                        }
                    }
                    Value::Object(object)
                }
                (_, "Int") => json!(1),
                (_, "Float") => json!(1.0),
                (_, "Boolean") => json!(true),
                (_, "ID") => json!("00000000-0000-0000-0000-000000000000"),
                (_, "Decimal") => json!("1"),
                (_, "DateTime") => json!("2026-01-01T00:00:00Z"),
                (_, "Date") => json!("2026-01-01"),
                (_, "Sequence") => json!("0"),
                _ => json!("x"),
            }
        }
    }
}

fn unwrap_named(type_ref: &Value) -> (bool, &str) {
    let mut t = type_ref;
    let mut list = false;
    while t["name"].is_null() {
        list |= t["kind"] == "LIST";
        t = &t["ofType"];
    }
    (list, t["name"].as_str().unwrap())
}

const TYPE_REF: &str = "kind name ofType { kind name ofType { kind name ofType { kind name } } }";

#[tokio::test]
async fn every_list_input_documents_its_bound_and_refuses_one_more() {
    let app = TestApp::spawn().await;
    let (types, inputs) = schema_inputs(&app).await;
    let bound_of = |description: &Value, place: &str| -> usize {
        let text = description.as_str().unwrap_or_else(|| panic!("{place} has no description"));
        let at = text.find("At most ").unwrap_or_else(|| panic!("{place} does not say its bound: {text:?}"));
        text[at + 8..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    let mut checked = 0;
    for input in inputs.iter().filter(|i| i.list) {
        let place = input.place();
        let bound = bound_of(&input.definition["description"], &place);
        // The argument with every required field, and this list one over its bound.
        let body =
            send_at(&app, &types, input, &input.path, sample(&types, &input.definition["type"], bound + 1)).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{place} with {} items: {body}", bound + 1);
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("{}", bound + 1)) || message.contains("at most"), "{place}: {message}");
        checked += 1;
    }
    println!("list inputs checked: {checked}");
    assert!(checked >= 25, "only {checked} list inputs found");
}

fn type_string(type_ref: &Value) -> String {
    match type_ref["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_string(&type_ref["ofType"])),
        "LIST" => format!("[{}]", type_string(&type_ref["ofType"])),
        _ => type_ref["name"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn duplicate_recipients_cost_one_lookup_each() {
    let app = TestApp::seeded().await;
    let slco =
        app.token("slco-em", Some(seed("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let utah = seed("jurisdiction", "utah-county");
    let mut request = crate::missions::utah_request();
    request["input"]["recipientIds"] = json!(vec![utah; 200]);
    let create = "mutation ($input: CreateResourceRequestInput!) { createResourceRequest(input: $input) { resourceRequest { id recipients { name } } } }";
    let data = app.ok(&slco, create, request.clone()).await;
    let recipients = data["createResourceRequest"]["resourceRequest"]["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 1, "{data}");
    let mut too_many = request;
    too_many["input"]["recipientIds"] = json!(vec![utah; 26_000]);
    let started = Instant::now();
    let (_, body) = app.gql(Some(&slco), create, too_many).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    println!("26,000 recipientIds refused in {:?}", started.elapsed());
}

#[tokio::test]
async fn an_operation_over_websocket_has_the_same_time_limit_as_over_http() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|config| config.request_timeout_seconds = 1),
        ..Options::default()
    })
    .await;
    let token = app.admin();
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    ws_until(&mut socket, |m| m["type"] == "connection_ack").await.unwrap();
    // Hold the writer (SQLite's one connection; PostgreSQL's event-log lock) so the mutation cannot finish in time.
    let blocker = api::domain::events::begin(&app.state.db).await.unwrap();
    let create = "mutation { createResourceType(input: { category: \"Public Works\", kind: EQUIPMENT, name: \"Street Sweeper\" }) { resourceType { id } } }";
    let subscribe = json!({ "type": "subscribe", "id": "slow", "payload": { "query": create } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let answer = ws_until(&mut socket, |m| m["id"] == "slow").await.unwrap();
    drop(blocker);
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["payload"][0]["extensions"]["code"], "TIMEOUT", "{answer}");
    let data =
        app.ok(&token, "{ resourceTypes(filter: { nameContains: \"sweeper\" }) { totalCount } }", json!({})).await;
    assert_eq!(data["resourceTypes"]["totalCount"], 0, "the timed-out mutation left nothing behind");
}

/// One input value reachable from an argument of a root field.
struct InputAt {
    /// `Query` or `Mutation`.
    root: String,
    field: String,
    /// The argument's definition.
    arg: Value,
    /// The argument's name, then the fields down to this input; `#` steps into the first element of a list.
    path: Vec<String>,
    /// This input's definition (name, description, type).
    definition: Value,
    /// Whether its type is a list.
    list: bool,
    /// The named type inside any list and non-null wrappers.
    named: String,
}

impl InputAt {
    fn place(&self) -> String {
        format!("{}.{}({})", self.root, self.field, self.path.join("."))
    }
}

/// Every input value of every root field's arguments, through input objects and the elements of lists, five levels
/// deep at most, with the schema's types.
async fn schema_inputs(app: &TestApp) -> (Value, Vec<InputAt>) {
    let introspection = format!(
        "{{ __schema {{ types {{ name kind enumValues {{ name }}
           fields {{ name args {{ name description defaultValue type {{ {TYPE_REF} }} }} }}
           inputFields {{ name description defaultValue type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let schema = app.ok(&app.admin(), &introspection, json!({})).await;
    let types = schema["__schema"]["types"].clone();
    let mut found = Vec::new();
    for root in ["Query", "Mutation"] {
        let root_type = types.as_array().unwrap().iter().find(|t| t["name"] == root).unwrap().clone();
        for field in root_type["fields"].as_array().unwrap() {
            let field_name = field["name"].as_str().unwrap().to_owned();
            if field_name.starts_with('_') {
                continue;
            }
            for arg in field["args"].as_array().unwrap() {
                let mut stack = vec![(vec![arg["name"].as_str().unwrap().to_owned()], arg.clone())];
                while let Some((path, definition)) = stack.pop() {
                    let (list, named) = unwrap_named(&definition["type"]);
                    let named = named.to_owned();
                    let mut inner = path.clone();
                    if list {
                        inner.push("#".to_owned());
                    }
                    if inner.len() < 6
                        && let Some(ty) =
                            types.as_array().unwrap().iter().find(|t| t["name"] == named && t["kind"] == "INPUT_OBJECT")
                    {
                        for field in ty["inputFields"].as_array().unwrap() {
                            let mut field_path = inner.clone();
                            field_path.push(field["name"].as_str().unwrap().to_owned());
                            stack.push((field_path, field.clone()));
                        }
                    }
                    found.push(InputAt {
                        root: root.to_owned(),
                        field: field_name.clone(),
                        arg: arg.clone(),
                        path,
                        definition,
                        list,
                        named,
                    });
                }
            }
        }
    }
    (types, found)
}

/// Sends `value` at `path` of the input's argument, every required field of it sampled; returns the response.
async fn send_at(app: &TestApp, types: &Value, input: &InputAt, path: &[String], value: Value) -> Value {
    let mut argument = sample(types, &input.arg["type"], 1);
    let mut slot = &mut argument;
    let mut type_ref = input.arg["type"].clone();
    for key in &path[1..] {
        if key == "#" {
            if slot.as_array().is_none_or(|a| a.is_empty()) {
                *slot = json!([{}]);
            }
            slot = &mut slot[0];
        } else {
            if !slot.is_object() {
                *slot = json!({});
            }
            // An optional input object on the way gets its required fields too, so only the value under test is
            // wrong.
            let (_, name) = unwrap_named(&type_ref);
            let ty = types.as_array().unwrap().iter().find(|t| t["name"] == name).unwrap();
            let field = ty["inputFields"].as_array().unwrap().iter().find(|f| f["name"] == key.as_str()).unwrap();
            type_ref = field["type"].clone();
            if slot[key.as_str()].is_null() {
                slot[key.as_str()] = sample(types, &type_ref, 1);
            }
            slot = &mut slot[key.as_str()];
        }
    }
    *slot = value;
    let op = if input.root == "Query" { "query" } else { "mutation" };
    let doc = format!(
        "{op} ($v: {}) {{ {}({}: $v) {{ __typename }} }}",
        type_string(&input.arg["type"]),
        input.field,
        path[0]
    );
    app.gql(Some(&app.admin()), &doc, json!({ "v": argument })).await.1
}

/// The inputs of type `leaf` (a list of them reached through its first element), with the path to set.
fn leaves<'a>(inputs: &'a [InputAt], leaf: &str) -> Vec<(&'a InputAt, Vec<String>)> {
    inputs
        .iter()
        .filter(|i| i.named == leaf)
        .map(|i| {
            let mut path = i.path.clone();
            if i.list {
                path.push("#".to_owned());
            }
            (i, path)
        })
        .collect()
}

#[tokio::test]
async fn every_text_input_refuses_control_characters_and_every_decimal_its_bound() {
    let app = TestApp::spawn().await;
    let events = app.event_count().await;
    let (types, inputs) = schema_inputs(&app).await;
    let texts = leaves(&inputs, "String");
    for (input, path) in &texts {
        let body = send_at(&app, &types, input, path, json!("text\u{0}with a NUL")).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{}: {body}", input.place());
    }
    let decimals = leaves(&inputs, "Decimal");
    for (input, path) in &decimals {
        for amount in ["79228162514264337593543950335", "1000000000000", "0.00001"] {
            let body = send_at(&app, &types, input, path, json!(amount)).await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{} = {amount}: {body}", input.place());
        }
    }
    println!("text inputs checked: {}, decimal inputs checked: {}", texts.len(), decimals.len());
    assert!(texts.len() >= 60 && decimals.len() >= 8, "{} text and {} decimal inputs", texts.len(), decimals.len());
    assert_eq!(app.event_count().await, events, "nothing was written");
}

#[tokio::test]
async fn cursors_no_list_can_reach_are_refused() {
    use base64::Engine;
    let app = TestApp::seeded().await;
    let admin = app.admin();
    for position in [u64::MAX, i64::MAX as u64, 1 << 53] {
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{position}"));
        for list in ["jurisdictions", "resourceTypes", "incidents"] {
            let query = format!("{{ {list}(after: \"{cursor}\") {{ totalCount }} }}");
            let (_, body) = app.gql(Some(&admin), &query, json!({})).await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{list} after {position}: {body}");
        }
    }
    // A cursor this server gave out still works.
    let page = app.ok(&admin, "{ jurisdictions(first: 2) { edges { cursor } } }", json!({})).await;
    let cursor = page["jurisdictions"]["edges"][1]["cursor"].as_str().unwrap().to_owned();
    let next = app
        .ok(&admin, &format!("{{ jurisdictions(first: 2, after: \"{cursor}\") {{ edges {{ cursor }} }} }}"), json!({}))
        .await;
    assert_eq!(next["jurisdictions"]["edges"].as_array().unwrap().len(), 2);
}
