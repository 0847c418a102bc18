//! Webhooks against a real receiver (`tests/js/webhook-receiver.mjs`) that verifies every signature with the
//! independent `standardwebhooks` package: every change the owner may see arrives (once, after deduplication by
//! `webhook-id`), in commit order, while the receiver fails on purpose for a while; nothing the owner may not see
//! is sent; secrets rotate without a gap; a receiver that stays down is retried with backoff and then disabled,
//! with an event saying so; unsafe URLs are refused and redirects are not followed.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::missions::{CREATE, SUBMIT, rep, utah_request};
use crate::support::{Options, TestApp, codes, node_clients, seed};

const CREATE_ENDPOINT: &str = r#"mutation ($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id status cursor } } }"#;
const ENDPOINT: &str = r#"query ($id: ID!) { webhookEndpoint(id: $id) {
  status disabledReason failures cursor
  attempts(first: 100) { messageId sequence attempt statusCode error succeeded nextRetryAt attemptedAt latencyMs } } }"#;

struct Receiver {
    child: tokio::process::Child,
    port: u16,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start(options: Value) -> Receiver {
        let mut child = tokio::process::Command::new("node")
            .arg("webhook-receiver.mjs")
            .arg(options.to_string())
            .current_dir(node_clients())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node");
        let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&reader.next_line().await.unwrap().unwrap()).unwrap();
        let port = first["port"].as_u64().unwrap() as u16;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().unwrap().push(serde_json::from_str(&line).unwrap());
            }
        });
        Receiver { child, port, lines }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn command(&mut self, command: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{command}\n").as_bytes()).await.unwrap();
        stdin.flush().await.unwrap();
        let before = self.of("ok").len();
        self.until(|r| r.of("ok").len() > before, "the receiver to take the command").await;
    }

    fn of(&self, kind: &str) -> Vec<Value> {
        self.lines.lock().unwrap().iter().filter(|l| l["type"] == kind).cloned().collect()
    }

    /// The `webhook-id`s accepted, first arrivals only, in order.
    fn accepted(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.of("delivery")
            .into_iter()
            .filter_map(|d| d["id"].as_str().map(str::to_owned))
            .filter(|id| seen.insert(id.clone()))
            .collect()
    }

    async fn until(&self, done: impl Fn(&Receiver) -> bool, what: &str) {
        for _ in 0..600 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}: {:?}", self.lines.lock().unwrap());
    }
}

/// A server whose webhooks may reach this machine's loopback address, with short backoffs.
async fn app_with_webhooks(disable_after_seconds: u64) -> TestApp {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(move |config| {
            config.webhook_allowed_addresses = vec!["127.0.0.1".parse().unwrap()];
            config.webhook_backoff_base_ms = 100;
            config.webhook_backoff_max_seconds = 1;
            config.webhook_disable_after_seconds = disable_after_seconds;
            config.webhook_timeout_seconds = 5;
        }),
        ..Options::default()
    })
    .await;
    api::seed::load(&app.state.db, Utc::now()).await.unwrap();
    app
}

/// A service account of the state's WebEOC, scoped to the Utah compact (it reads; it acts for no jurisdiction).
fn bridge(app: &TestApp) -> String {
    app.service_account("svc-ut-webeoc", "ut-webeoc", None, &[seed("compact", "utah-smaa")])
}

/// Salt Lake County drafts and submits `n` requests (two events each); Bexar County, in another compact, as many.
async fn write(app: &TestApp, n: usize) {
    let (slco, bexar) = (rep(app, "salt-lake-county"), rep(app, "bexar-county"));
    let theirs = json!({ "input": { "compactId": seed("compact", "aacog-rma"),
        "incidentId": seed("incident", "medina-river-grass-fire"), "recipientIds": [seed("jurisdiction", "san-antonio")],
        "stagingLocation": "Castroville staging, FM 471",
        "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1,
                        "neededBy": "2026-11-21T18:00:00Z" }] } });
    for _ in 0..n {
        for (who, input) in [(&slco, utah_request()), (&bexar, theirs.clone())] {
            let id = app.ok(who, CREATE, input).await["createResourceRequest"]["resourceRequest"]["id"].clone();
            app.ok(who, SUBMIT, json!({ "input": { "requestId": id, "expectedVersion": 1 } })).await;
        }
    }
}

/// The message ids of every change `token` may see after `after`, in order, read through `changes`.
async fn visible_after(app: &TestApp, token: &str, after: &str) -> Vec<String> {
    let data = app
        .ok(
            token,
            "query ($after: Sequence) { changes(after: $after, first: 500) { changes { sequence } } }",
            json!({ "after": after }),
        )
        .await;
    data["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("msg_{}", c["sequence"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn every_visible_change_arrives_signed_once_in_order_while_the_receiver_fails_for_a_while() {
    let app = app_with_webhooks(3600).await;
    let token = bridge(&app);
    let mut receiver = Receiver::start(json!({ "failFirst": 4, "timeoutMs": 120000 })).await;
    let created = app
        .ok(
            &token,
            CREATE_ENDPOINT,
            json!({ "input": { "url": receiver.url("/hooks/mutual-aid"),
            "description": "Utah WebEOC board" } }),
        )
        .await;
    let secret = created["createWebhookEndpoint"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    let start = created["createWebhookEndpoint"]["endpoint"]["cursor"].as_str().unwrap().to_owned();
    receiver.command(json!({ "secrets": [secret] })).await;
    // Two workers, as two instances would run: the lease lets one deliver an endpoint at a time.
    let first = api::webhooks::spawn(app.state.clone(), Duration::from_millis(50)).unwrap();
    let second = api::webhooks::spawn(app.state.clone(), Duration::from_millis(70)).unwrap();
    write(&app, 5).await;
    let expected = visible_after(&app, &token, &start).await;
    assert!(expected.len() >= 10, "two changes at least for each of Salt Lake County's five requests");
    receiver.until(|r| r.accepted().len() >= expected.len(), "every change").await;
    assert_eq!(receiver.accepted(), expected, "each visible change, in commit order, and nothing else");
    assert!(receiver.of("invalid").is_empty(), "{:?}", receiver.of("invalid"));
    assert_eq!(receiver.of("failed").len(), 4);
    let aacog = seed("compact", "aacog-rma").to_string();
    assert!(
        receiver.of("delivery").iter().all(|d| d["body"]["data"]["event"]["compactId"] != aacog.as_str()),
        "a change of another compact was pushed"
    );
    // The body carries the event and the record as the owner may see it.
    let deliveries = receiver.of("delivery");
    assert_eq!(deliveries[0]["body"]["type"], "webhook_endpoint.created", "the owner sees its endpoint's own events");
    let delivery = deliveries.iter().find(|d| d["body"]["data"]["resourceRequest"].is_object()).unwrap();
    assert!(delivery["body"]["type"].as_str().unwrap().starts_with("resource_request."), "{delivery}");
    // A draft is its author's alone: the compact's integration is never shown one (its creation event is pushed
    // only when the worker reads it after the submission, as `changes` would show it then).
    for pushed in &deliveries {
        assert_ne!(pushed["body"]["data"]["resourceRequest"]["status"], "DRAFT", "{pushed}");
    }
    assert_eq!(
        delivery["body"]["data"]["event"]["actor"]["subject"],
        crate::support::rep_subject("salt-lake-county"),
        "{delivery}"
    );
    // The log shows the failures with their next retry, then the success, for the first change.
    let log = app.ok(&token, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"].clone();
    assert_eq!(log["status"], "ENABLED");
    assert_eq!(log["failures"], 0);
    let of_first: Vec<&Value> =
        log["attempts"].as_array().unwrap().iter().filter(|a| a["messageId"] == expected[0].as_str()).collect();
    assert_eq!(of_first.len(), 5, "{log}");
    assert!(
        of_first
            .iter()
            .filter(|a| a["succeeded"] == false)
            .all(|a| a["statusCode"] == 503 && !a["nextRetryAt"].is_null())
    );

    // Rotation: the receiver that knows only the new secret, then only the old one, verifies every delivery
    // during the grace period.
    let rotated = app
        .ok(
            &token,
            "mutation ($id: ID!) { rotateWebhookSecret(input: { id: $id, graceHours: 1 }) { secret } }",
            json!({ "id": endpoint }),
        )
        .await["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for secrets in [json!([rotated]), json!([secret])] {
        receiver.command(json!({ "secrets": secrets })).await;
        let before = receiver.accepted().len();
        write(&app, 1).await;
        receiver.until(|r| r.accepted().len() >= before + 2, "deliveries after the rotation").await;
    }
    assert!(receiver.of("invalid").is_empty(), "{:?}", receiver.of("invalid"));
    // Redelivery sends the changes again, with the same ids.
    let duplicates = receiver.of("delivery").iter().filter(|d| d["duplicate"] == true).count();
    app.ok(&token, "mutation ($id: ID!, $after: Sequence!) { redeliverWebhooks(input: { id: $id, after: $after }) { endpoint { cursor } } }", json!({ "id": endpoint, "after": start })).await;
    receiver
        .until(
            |r| r.of("delivery").iter().filter(|d| d["duplicate"] == true).count() >= duplicates + 14,
            "the redelivery",
        )
        .await;
    first.abort();
    second.abort();
}

#[tokio::test]
async fn a_receiver_that_stays_down_is_retried_with_backoff_then_disabled_and_caught_up_once_enabled() {
    let app = app_with_webhooks(2).await;
    let token = bridge(&app);
    let mut receiver = Receiver::start(json!({ "failFirst": 1000000, "timeoutMs": 120000 })).await;
    let created = app
        .ok(&token, CREATE_ENDPOINT, json!({ "input": { "url": receiver.url("/hooks"), "description": "down" } }))
        .await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    let start = created["createWebhookEndpoint"]["endpoint"]["cursor"].as_str().unwrap().to_owned();
    receiver.command(json!({ "secrets": [created["createWebhookEndpoint"]["secret"]] })).await;
    let worker = api::webhooks::spawn(app.state.clone(), Duration::from_millis(30)).unwrap();
    write(&app, 2).await;
    let mut status = Value::Null;
    for _ in 0..200 {
        status = app.ok(&token, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"].clone();
        if status["status"] == "DISABLED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "DISABLED", "{status}");
    assert!(status["disabledReason"].as_str().unwrap().contains("503"), "{status}");
    // The retries of the first change were scheduled further and further apart (base 100 ms, doubling, jittered
    // to between half and all of it, capped at 1 s), and none came before its scheduled time. The schedule is
    // read from the attempts themselves, so a slow machine delays the retries without failing the check.
    let first_id = status["attempts"].as_array().unwrap().last().unwrap()["messageId"].clone();
    let instant = |a: &Value, field: &str| a[field].as_str().unwrap().parse::<chrono::DateTime<Utc>>().unwrap();
    let mut attempts: Vec<&Value> =
        status["attempts"].as_array().unwrap().iter().filter(|a| a["messageId"] == first_id).collect();
    attempts.sort_by_key(|a| a["attempt"].as_i64().unwrap());
    assert!(attempts.len() >= 4, "{status}");
    for (n, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt["attempt"].as_i64().unwrap(), n as i64 + 1, "{status}");
        if attempt["nextRetryAt"].is_null() {
            continue;
        }
        let full = std::cmp::min(100 * (1_i64 << n), 1000);
        let scheduled = (instant(attempt, "nextRetryAt") - instant(attempt, "attemptedAt")).num_milliseconds();
        assert!((full / 2 - 1..=full + 1).contains(&scheduled), "attempt {}: {scheduled} ms, {status}", n + 1);
        if let Some(next) = attempts.get(n + 1) {
            assert!(instant(next, "attemptedAt") >= instant(attempt, "nextRetryAt"), "retried early: {status}");
        }
    }
    // The owner learns of it from the feed.
    let disabled = app
        .ok(&token, "{ changes(first: 500, filter: { recordTypes: [WEBHOOK_ENDPOINT] }) { changes { event { recordId action } } } }", json!({}))
        .await;
    let actions: Vec<&Value> =
        disabled["changes"]["changes"].as_array().unwrap().iter().map(|c| &c["event"]["action"]).collect();
    assert!(actions.contains(&&json!("DISABLED")), "{disabled}");
    // Another owner does not.
    let other = app.token("other-integration", None, &["INTEGRATION"], &[seed("compact", "utah-smaa")]);
    let theirs = app
        .ok(
            &other,
            "{ changes(first: 500, filter: { recordTypes: [WEBHOOK_ENDPOINT] }) { changes { sequence } } }",
            json!({}),
        )
        .await;
    assert_eq!(theirs["changes"]["changes"], json!([]));
    assert_eq!(app.ok(&other, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"], Value::Null);

    // Back up and enabled: everything since registration arrives, in order.
    receiver.command(json!({ "fail": false })).await;
    app.ok(
        &token,
        "mutation ($id: ID!) { enableWebhookEndpoint(id: $id) { endpoint { status } } }",
        json!({ "id": endpoint }),
    )
    .await;
    let expected: Vec<String> =
        visible_after(&app, &token, &start).await.into_iter().filter(|id| !receiver.accepted().contains(id)).collect();
    receiver.until(|r| expected.iter().all(|id| r.accepted().contains(id)), "the backlog").await;
    let delivered: Vec<String> = receiver.accepted().into_iter().filter(|id| expected.contains(id)).collect();
    assert_eq!(delivered, expected);
    worker.abort();
}

#[tokio::test]
async fn an_endpoint_whose_owner_loses_its_grant_is_disabled_before_it_sends_more() {
    let app = app_with_webhooks(3600).await;
    let admin = app.admin();
    let grant =
        json!({ "input": { "system": "ut-webeoc", "jurisdictionId": seed("jurisdiction", "salt-lake-county") } });
    app.ok(
        &admin,
        "mutation ($input: IntegrationGrantInput!) { grantIntegration(input: $input) { granted } }",
        grant.clone(),
    )
    .await;
    let bridge = app.service_account("svc-ut-webeoc", "ut-webeoc", Some(seed("jurisdiction", "salt-lake-county")), &[]);
    let mut receiver = Receiver::start(json!({ "timeoutMs": 60000 })).await;
    let created = app
        .ok(&bridge, CREATE_ENDPOINT, json!({ "input": { "url": receiver.url("/hooks"), "description": "county" } }))
        .await;
    receiver.command(json!({ "secrets": [created["createWebhookEndpoint"]["secret"]] })).await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    app.ok(&admin, "mutation ($input: IntegrationGrantInput!) { revokeIntegration(input: $input) { granted } }", grant)
        .await;
    let worker = api::webhooks::spawn(app.state.clone(), Duration::from_millis(30)).unwrap();
    write(&app, 1).await;
    let mut status = Value::Null;
    for _ in 0..100 {
        status = app.ok(&admin, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"].clone();
        if status["status"] == "DISABLED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "DISABLED", "{status}");
    assert!(status["disabledReason"].as_str().unwrap().contains("may no longer read"), "{status}");
    assert!(receiver.of("delivery").is_empty(), "{:?}", receiver.of("delivery"));
    worker.abort();
}

#[tokio::test]
async fn unsafe_endpoints_are_refused_and_redirects_are_not_followed() {
    // No allow-list: loopback is refused like any internal address.
    let strict = TestApp::seeded().await;
    let token = bridge(&strict);
    let events = strict.event_count().await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://localhost:9/hooks",
        "http://10.0.0.8/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/",
        "http://100.64.1.1/",
        "ftp://example.org/hooks",
        "http://user:secret@example.org/",
    ] {
        let body = strict
            .fails(
                Some(&token),
                CREATE_ENDPOINT,
                json!({ "input": { "url": url, "description": "x" } }),
                "BAD_USER_INPUT",
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "url", "{url}: {body}");
    }
    // Only administrators and integration accounts register endpoints.
    let input = json!({ "input": { "url": "http://127.0.0.1:9/", "description": "x" } });
    strict.fails(Some(&rep(&strict, "salt-lake-county")), CREATE_ENDPOINT, input.clone(), "FORBIDDEN").await;
    let (_, body) = strict.gql(None, CREATE_ENDPOINT, input).await;
    assert_eq!(codes(&body), ["UNAUTHENTICATED"]);
    assert_eq!(strict.event_count().await, events, "a refused registration wrote an event");

    // Allowed loopback, but the receiver redirects: the attempt fails and the redirect is not followed.
    let app = app_with_webhooks(3600).await;
    let token = bridge(&app);
    let mut receiver = Receiver::start(json!({ "timeoutMs": 60000 })).await;
    let created = app
        .ok(&token, CREATE_ENDPOINT, json!({ "input": { "url": receiver.url("/redirect"), "description": "moved" } }))
        .await;
    receiver.command(json!({ "secrets": [created["createWebhookEndpoint"]["secret"]] })).await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    let worker = api::webhooks::spawn(app.state.clone(), Duration::from_millis(30)).unwrap();
    write(&app, 1).await;
    receiver.until(|r| !r.of("redirected").is_empty(), "the redirect").await;
    let log = app.ok(&token, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"].clone();
    let attempt = &log["attempts"][0];
    assert_eq!(attempt["statusCode"], 307, "{log}");
    assert_eq!(attempt["error"], "redirects are not followed");
    assert!(receiver.of("delivery").is_empty(), "the redirect was followed");
    worker.abort();

    // A receiver slower than the time limit (1 s here) is a failure: the attempt is cut off, not waited for.
    let hurried = TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.webhook_allowed_addresses = vec!["127.0.0.1".parse().unwrap()];
            config.webhook_timeout_seconds = 1;
            config.webhook_backoff_base_ms = 60_000;
        }),
        ..Options::default()
    })
    .await;
    api::seed::load(&hurried.state.db, Utc::now()).await.unwrap();
    let token = bridge(&hurried);
    let mut slow = Receiver::start(json!({ "slowMs": 3000, "timeoutMs": 60000 })).await;
    let created = hurried
        .ok(&token, CREATE_ENDPOINT, json!({ "input": { "url": slow.url("/hooks"), "description": "slow" } }))
        .await;
    slow.command(json!({ "secrets": [created["createWebhookEndpoint"]["secret"]] })).await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    let worker = api::webhooks::spawn(hurried.state.clone(), Duration::from_millis(30)).unwrap();
    write(&hurried, 1).await;
    let mut log = Value::Null;
    for _ in 0..100 {
        log = hurried.ok(&token, ENDPOINT, json!({ "id": endpoint })).await["webhookEndpoint"].clone();
        if log["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let attempt = &log["attempts"][0];
    assert_eq!(attempt["statusCode"], Value::Null, "{log}");
    assert_eq!(attempt["succeeded"], false);
    assert!(attempt["error"].as_str().unwrap().contains("timed out"), "{log}");
    worker.abort();
}
