//! Subscriptions driven by real third-party clients (the `graphql-ws` npm client for `graphql-transport-ws`, and
//! `subscriptions-transport-ws` for the legacy protocol), run as Node.js subprocesses against the server.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::missions::*;
use crate::support::{TestApp, node_clients, seed};

/// A running Node.js client and the JSON lines it prints.
struct Client {
    child: Child,
    lines: mpsc::UnboundedReceiver<Value>,
}

impl Client {
    async fn start(script: &str, args: Value) -> Client {
        let dir = node_clients();
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .arg(args.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        Client { child, lines: rx }
    }

    async fn subscribe(
        app: &TestApp,
        protocol: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
        count: usize,
    ) -> Client {
        let args = json!({ "url": app.ws_url(), "protocol": protocol, "token": token, "query": query, "variables": variables,
                           "count": count, "timeoutMs": 20000 });
        Client::start("subscribe.mjs", args).await
    }

    /// The next line of a given type (other lines are skipped), or panics after a timeout.
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(25), self.lines.recv())
                .await
                .unwrap_or_else(|_| panic!("no {kind} line in time"))
                .unwrap_or_else(|| panic!("the client exited before a {kind} line"));
            if line["type"] == kind {
                return line;
            }
            assert!(line["type"] != "timeout", "the client timed out waiting: {line}");
        }
    }

    /// Every remaining line until the client exits.
    async fn rest(mut self) -> Vec<Value> {
        let _ = tokio::time::timeout(Duration::from_secs(25), self.child.wait()).await;
        let mut out = Vec::new();
        while let Ok(line) = self.lines.try_recv() {
            out.push(line);
        }
        out
    }
}

const STATUS_CHANGES: &str = "subscription ($after: Sequence, $filter: StatusChangeFilter) { statusChanges(after: $after, filter: $filter) {
  sequence event { recordType action fromStatus toStatus actor { subject } } resourceRequest { id status } incident { name } } }";
const REQUEST_UPDATES: &str =
    "subscription ($id: ID!, $after: Sequence) { requestUpdates(requestId: $id, after: $after) {
  sequence event { recordType action toStatus } offer { status } resourceRequest { status } } }";

async fn last_sequence(app: &TestApp) -> i64 {
    use sea_orm::{EntityTrait, QueryOrder};
    entities::event::Entity::find()
        .order_by_desc(entities::event::Column::Id)
        .one(&app.state.db)
        .await
        .unwrap()
        .map_or(0, |e| e.id)
}

#[tokio::test]
async fn the_graphql_ws_client_receives_a_missions_changes_as_they_commit() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    // From the current position, so the test does not depend on how fast the subscription registers.
    let from = last_sequence(&app).await;
    let mut client = Client::subscribe(
        &app,
        "graphql-transport-ws",
        Some(&slco),
        REQUEST_UPDATES,
        json!({ "id": request["id"], "after": from.to_string() }),
        2,
    )
    .await;
    client.expect("connected").await;
    let offer =
        app.ok(&utco, OFFER, offer_input(&request, &[(0, 2), (1, 4)])).await["makeOffer"]["offer"]["id"].clone();
    app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let first = client.expect("next").await;
    assert_eq!(
        first["payload"]["data"]["requestUpdates"]["event"],
        json!({ "recordType": "OFFER", "action": "OFFERED", "toStatus": "OFFERED" })
    );
    let status = first["payload"]["data"]["requestUpdates"]["offer"]["status"].as_str().unwrap().to_owned();
    assert!(status == "OFFERED" || status == "ACCEPTED", "the record as it is when the message is sent: {status}");
    let second = client.expect("next").await;
    assert_eq!(second["payload"]["data"]["requestUpdates"]["event"]["action"], "ACCEPTED");
    assert_eq!(second["payload"]["data"]["requestUpdates"]["offer"]["status"], "ACCEPTED");
    let a: i64 = first["payload"]["data"]["requestUpdates"]["sequence"].as_str().unwrap().parse().unwrap();
    let b: i64 = second["payload"]["data"]["requestUpdates"]["sequence"].as_str().unwrap().parse().unwrap();
    assert!(a < b, "in order");
}

#[tokio::test]
async fn a_client_that_reconnects_with_its_last_sequence_receives_exactly_what_it_missed() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let seen = last_sequence(&app).await;
    // While the phone is offline: an offer, its acceptance, preparation and departure.
    let offer =
        app.ok(&utco, OFFER, offer_input(&request, &[(0, 2), (1, 4)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let d = accepted["acceptOffer"]["deployment"]["id"].clone();
    app.ok(
        &utco,
        PREPARE,
        json!({ "input": { "deploymentId": d, "readinessChecked": true, "communicationsChecked": true } }),
    )
    .await;
    app.ok(&utco, DEPART, json!({ "input": { "deploymentId": d } })).await;
    // What the requesting party may see of the missed status changes, from the events table.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let events = entities::event::Entity::find()
        .filter(entities::event::Column::Id.gt(seen))
        .filter(entities::event::Column::ToStatus.is_not_null())
        .order_by_asc(entities::event::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap();
    let viewer = app.state.auth.authenticate(&slco).unwrap();
    let mut expected = Vec::new();
    for e in &events {
        if api::domain::feed::visible(&app.state.db, &viewer, e).await.unwrap() {
            expected.push(e.id.to_string());
        }
    }
    assert!(expected.len() >= 6, "{expected:?}");
    let client = Client::subscribe(
        &app,
        "graphql-transport-ws",
        Some(&slco),
        STATUS_CHANGES,
        json!({ "after": seen.to_string() }),
        expected.len(),
    )
    .await;
    let lines = client.rest().await;
    let got: Vec<String> = lines
        .iter()
        .filter(|l| l["type"] == "next")
        .map(|l| l["payload"]["data"]["statusChanges"]["sequence"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected, "every missed event, in order, no gaps or duplicates: {lines:?}");
    // And then live ones continue from there: a second reconnect from the last one sees only the new change.
    let last = got.last().unwrap().clone();
    let mut client =
        Client::subscribe(&app, "graphql-transport-ws", Some(&slco), STATUS_CHANGES, json!({ "after": last }), 1).await;
    client.expect("connected").await;
    app.ok(&slco, ARRIVE, json!({ "input": { "deploymentId": d } })).await;
    let next = client.expect("next").await;
    assert_eq!(next["payload"]["data"]["statusChanges"]["event"]["action"], "ARRIVED");
}

#[tokio::test]
async fn another_jurisdiction_receives_nothing_of_a_private_record() {
    let app = TestApp::seeded().await;
    let (slco, davis) = (rep(&app, "salt-lake-county"), rep(&app, "davis-county"));
    let from = last_sequence(&app).await;
    let mut client = Client::subscribe(
        &app,
        "graphql-transport-ws",
        Some(&davis),
        STATUS_CHANGES,
        json!({ "after": from.to_string() }),
        1,
    )
    .await;
    client.expect("connected").await;
    // Salt Lake County's mission, addressed to Utah County only: private to Davis County.
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    app.ok(&slco, CANCEL_REQUEST, json!({ "input": { "requestId": request["id"] } })).await;
    // Then Davis County's own declaration: it must be the first thing Davis receives.
    app.ok(&davis, "mutation { declareIncident(input: { name: \"Bountiful Bench Landslide\", kind: DISASTER, declarationForm: WRITTEN }) { incident { id } } }", json!({})).await;
    let first = client.expect("next").await;
    let change = &first["payload"]["data"]["statusChanges"];
    assert_eq!(change["event"]["recordType"], "INCIDENT", "nothing of Salt Lake County's request came first: {first}");
    assert_eq!(change["incident"]["name"], "Bountiful Bench Landslide");
    assert_eq!(change["resourceRequest"], Value::Null);
}

#[tokio::test]
async fn the_legacy_protocol_client_receives_changes_too() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let from = last_sequence(&app).await;
    let client = Client::subscribe(
        &app,
        "graphql-ws",
        Some(&slco),
        STATUS_CHANGES,
        json!({ "after": from.to_string(), "filter": { "recordTypes": ["RESOURCE_REQUEST"] } }),
        2,
    )
    .await;
    let created = app.ok(&slco, CREATE, utah_request()).await;
    app.ok(
        &slco,
        SUBMIT,
        json!({ "input": { "requestId": created["createResourceRequest"]["resourceRequest"]["id"] } }),
    )
    .await;
    let lines = client.rest().await;
    let actions: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "next")
        .map(|l| l["payload"]["data"]["statusChanges"]["event"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATED", "SUBMITTED"], "{lines:?}");
}

#[tokio::test]
async fn a_missing_or_bad_token_closes_with_4403_and_an_expiring_one_ends_the_subscription() {
    let app = TestApp::seeded().await;
    for token in [None, Some("not-a-jwt")] {
        let lines =
            Client::subscribe(&app, "graphql-transport-ws", token, STATUS_CHANGES, json!({}), 1).await.rest().await;
        let closed = lines.iter().find(|l| l["type"] == "closed").unwrap_or_else(|| panic!("{lines:?}"));
        assert_eq!(closed["code"], 4403, "{lines:?}");
        assert!(!lines.iter().any(|l| l["type"] == "connected"));
    }
    let lines = Client::subscribe(&app, "graphql-ws", None, STATUS_CHANGES, json!({}), 1).await.rest().await;
    assert!(
        lines
            .iter()
            .any(|l| l["type"] == "error" && l["payload"]["message"].as_str().is_some_and(|m| m.contains("Forbidden"))),
        "{lines:?}"
    );

    let now = chrono::Utc::now().timestamp();
    let short = app
        .state
        .auth
        .mint(api::auth::Claims {
            sub: "slco-em".into(),
            name: None,
            exp: now + 2,
            iat: Some(now),
            iss: None,
            aud: None,
            jurisdiction: Some(seed("jurisdiction", "salt-lake-county")),
            roles: vec!["AUTHORIZED_REPRESENTATIVE".into()],
            compacts: vec![],
            system: None,
        })
        .unwrap();
    let mut client = Client::subscribe(&app, "graphql-transport-ws", Some(&short), STATUS_CHANGES, json!({}), 5).await;
    client.expect("connected").await;
    let closed = client.expect("closed").await;
    assert_eq!(closed["code"], 4403);
    assert!(closed["reason"].as_str().unwrap().contains("expired"), "{closed}");
}

async fn raw(app: &TestApp, send: Value, timeout_ms: u64) -> Vec<Value> {
    let args =
        json!({ "url": app.ws_url(), "protocol": "graphql-transport-ws", "send": send, "timeoutMs": timeout_ms });
    Client::start("raw.mjs", args).await.rest().await
}

#[tokio::test]
async fn the_protocol_is_hardened() {
    let app = TestApp::spawn_with(crate::support::Options {
        configure: Box::new(|config| {
            config.ws_init_timeout_seconds = 1;
            config.ws_max_subscriptions = 2;
            config.ws_max_connections_per_principal = 1;
        }),
        ..Default::default()
    })
    .await;
    api::seed::load(&app.state.db, chrono::Utc::now()).await.unwrap();
    let slco = rep(&app, "salt-lake-county");
    let init =
        json!({ "message": { "type": "connection_init", "payload": { "Authorization": format!("Bearer {slco}") } } });
    let subscribe = |id: &str| json!({ "message": { "type": "subscribe", "id": id, "payload": { "query": "subscription { statusChanges { sequence } }" } } });
    let closed = |lines: &[Value]| lines.iter().find(|l| l["type"] == "closed").map(|l| l["code"].as_u64().unwrap());

    let lines = raw(&app, json!([]), 5000).await;
    assert_eq!(closed(&lines), Some(4408), "no connection_init in time: {lines:?}");
    let lines = raw(&app, json!([subscribe("1")]), 5000).await;
    assert_eq!(closed(&lines), Some(4401), "subscribe before the acknowledgment: {lines:?}");
    let lines = raw(&app, json!([init, subscribe("1"), subscribe("1")]), 5000).await;
    assert_eq!(closed(&lines), Some(4409), "duplicate subscription id: {lines:?}");
    let lines = raw(
        &app,
        json!([init, subscribe("1"), subscribe("2"), subscribe("3"), { "message": { "type": "ping" } }]),
        1500,
    )
    .await;
    let error = lines.iter().find(|l| l["message"]["type"] == "error").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(error["message"]["id"], "3");
    assert_eq!(error["message"]["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    assert!(lines.iter().any(|l| l["message"]["type"] == "pong"), "{lines:?}");

    // One connection per principal here: a second one is refused while the first is open.
    let mut first = Client::subscribe(&app, "graphql-transport-ws", Some(&slco), STATUS_CHANGES, json!({}), 5).await;
    first.expect("connected").await;
    let lines =
        Client::subscribe(&app, "graphql-transport-ws", Some(&slco), STATUS_CHANGES, json!({}), 1).await.rest().await;
    let closed = lines.iter().find(|l| l["type"] == "closed").unwrap_or_else(|| panic!("{lines:?}"));
    assert_eq!(closed["code"], 4429);
}

#[tokio::test]
async fn an_event_committed_through_one_instance_reaches_a_subscriber_of_another() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        // Several instances share PostgreSQL; the embedded SQLite default runs one instance.
        return;
    }
    let app = TestApp::seeded().await;
    let (other, _stop) = app.another_instance().await;
    let slco = rep(&app, "salt-lake-county");
    let from = last_sequence(&app).await;
    let args = json!({ "url": format!("ws://{other}/graphql"), "protocol": "graphql-transport-ws", "token": slco,
                       "query": STATUS_CHANGES, "variables": { "after": from.to_string() }, "count": 1, "timeoutMs": 20000 });
    let mut client = Client::start("subscribe.mjs", args).await;
    client.expect("connected").await;
    let started = std::time::Instant::now();
    app.ok(&slco, CREATE, utah_request()).await;
    let next = client.expect("next").await;
    assert_eq!(next["payload"]["data"]["statusChanges"]["event"]["action"], "CREATED");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "woken by NOTIFY, not by the poll: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_slow_consumer_neither_holds_up_others_nor_grows_memory_and_is_told() {
    let app = crate::support::TestApp::spawn_with(crate::support::Options {
        configure: Box::new(|config| config.ws_send_timeout_seconds = 1),
        ..Default::default()
    })
    .await;
    api::seed::load(&app.state.db, chrono::Utc::now()).await.unwrap();
    // A large backlog of status changes with heavy payloads, far more than the sockets' buffers hold.
    let system = api::auth::Viewer::system();
    let now = chrono::Utc::now();
    let heavy = "x".repeat(4000);
    let txn = sea_orm::TransactionTrait::begin(&app.state.db).await.unwrap();
    for _ in 0..3000 {
        let event = api::domain::events::NewEvent::new(
            api::domain::enums::RecordType::Jurisdiction,
            seed("jurisdiction", "provo"),
            "UPDATED",
        )
        .status(Some("A"), "B")
        .payload(json!({ "note": heavy }));
        api::domain::events::append(&txn, &system, now, event).await.unwrap();
    }
    txn.commit().await.unwrap();
    let token = app.token("watcher", None, &["OBSERVER"], &[]);
    let slow = Client::start(
        "slow.mjs",
        json!({ "url": app.ws_url(), "token": token, "pauseMs": 4000, "timeoutMs": 30000,
        "query": "subscription { statusChanges(after: \"0\") { sequence event { payload } } }" }),
    )
    .await;

    // Meanwhile another subscriber is served at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let from = last_sequence(&app).await;
    let davis = rep(&app, "davis-county");
    let mut fast = Client::subscribe(
        &app,
        "graphql-transport-ws",
        Some(&davis),
        STATUS_CHANGES,
        json!({ "after": from.to_string() }),
        1,
    )
    .await;
    fast.expect("connected").await;
    let started = std::time::Instant::now();
    app.ok(&davis, "mutation { declareIncident(input: { name: \"Sentinel\", kind: EXERCISE, declarationForm: WRITTEN }) { incident { id } } }", json!({})).await;
    let next = fast.expect("next").await;
    assert_eq!(next["payload"]["data"]["statusChanges"]["event"]["recordType"], "INCIDENT");
    assert!(started.elapsed() < Duration::from_secs(2), "not held up by the slow client: {:?}", started.elapsed());

    // The slow client, once it reads again, learns that it fell behind, after what was queued, well short of the
    // 3000 events: the server stopped reading the log for it instead of buffering.
    let lines = slow.rest().await;
    let end = lines.iter().find(|l| l["type"] == "end").unwrap_or_else(|| panic!("{lines:?}"));
    let error = lines.iter().find(|l| l["type"] == "message").unwrap();
    assert_eq!(error["message"]["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{error}");
    assert!(end["nexts"].as_u64().unwrap() < 3000, "{end}");
}

/// Reads `statusChanges` sequences (after `after`) from a raw `graphql-transport-ws` connection until it has seen
/// the sequence `until` comes to hold.
async fn collect_sequences(
    app: &TestApp,
    token: &str,
    after: i64,
    mut until: tokio::sync::watch::Receiver<Option<i64>>,
) -> Vec<i64> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut socket = app.ws().await;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": {
        "query": "subscription ($after: Sequence) { statusChanges(after: $after) { sequence } }",
        "variables": { "after": after.to_string() } } });
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let mut seen: Vec<i64> = Vec::new();
    loop {
        let target = *until.borrow_and_update();
        if let (Some(target), Some(last)) = (target, seen.last())
            && *last >= target
        {
            return seen;
        }
        let message = tokio::select! {
            message = socket.next() => message,
            _ = until.changed() => continue,
            () = tokio::time::sleep(Duration::from_secs(30)) => panic!("nothing for 30 s after {seen:?}"),
        };
        let Message::Text(text) = message.unwrap().unwrap() else { continue };
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "next", "{value}");
        seen.push(value["payload"]["data"]["statusChanges"]["sequence"].as_str().unwrap().parse().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn subscribers_miss_no_status_change_while_writers_commit_side_by_side() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    let app = &TestApp::seeded().await;
    let admin = app.admin();
    let from = last_sequence(app).await;
    let (done, until) = tokio::sync::watch::channel(None);
    // Four writers create and submit requests side by side, each a status change.
    let writers = async {
        let token = &rep(app, "salt-lake-county");
        let writers = (0..4).map(|_| async move {
            for _ in 0..6 {
                let created = app.ok(token, CREATE, utah_request()).await;
                let id = created["createResourceRequest"]["resourceRequest"]["id"].clone();
                app.ok(token, SUBMIT, json!({ "input": { "requestId": id, "expectedVersion": 1 } })).await;
            }
        });
        futures_util::future::join_all(writers).await;
        done.send_replace(Some(last_sequence(app).await));
    };
    // Three subscribers from the start, and one that joins mid-way from the same sequence and catches up.
    let early = futures_util::future::join_all((0..3).map(|_| collect_sequences(app, &admin, from, until.clone())));
    let late = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        collect_sequences(app, &admin, from, until.clone()).await
    };
    let ((), mut seen, late) = tokio::join!(writers, early, late);
    seen.push(late);
    let expected: Vec<i64> = entities::event::Entity::find()
        .select_only()
        .column(entities::event::Column::Id)
        .filter(entities::event::Column::Id.gt(from))
        .filter(entities::event::Column::ToStatus.is_not_null())
        .order_by_asc(entities::event::Column::Id)
        .into_tuple()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(expected.len() >= 48, "{expected:?}");
    for sequences in seen {
        assert_eq!(sequences, expected, "every status change, once, in commit order");
    }
}
