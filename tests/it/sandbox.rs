//! The sandbox clock: on a server started with `--sandbox-clock`, an administrator moves time forward through the
//! API and the scheduler acts at once on the new time; anywhere else the move is refused and changes nothing.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::missions::{VERBAL, rep};
use crate::support::{Options, TestApp, codes, seed};

const MOVE: &str = r#"mutation ($input: MoveSandboxClockInput!) {
  moveSandboxClock(input: $input) { now remindersSent deadlinesMissed claimsForfeited claimsFlaggedOverdue } }"#;
const TIME: &str = "{ serverTime { now sandbox } }";

async fn sandbox() -> TestApp {
    let app =
        TestApp::spawn_with(Options { configure: Box::new(|c| c.sandbox_clock = true), ..Options::default() }).await;
    api::seed::load(&app.state.db, Utc::now()).await.unwrap();
    app
}

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_tester_walks_a_verbal_request_past_its_written_confirmation_deadline() {
    let app = sandbox().await;
    let admin = app.admin();
    let bexar = rep(&app, "bexar-county");
    let before = app.ok(&admin, TIME, json!({})).await;
    assert_eq!(before["serverTime"]["sandbox"], true);

    // A verbal AACOG request made now owes its written confirmation in 24 hours.
    let now = at(&before["serverTime"]["now"]);
    let verbal = app
        .ok(
            &bexar,
            VERBAL,
            json!({ "input": { "requestedAt": now.to_rfc3339(), "request": {
            "compactId": seed("compact", "aacog-rma"), "incidentId": seed("incident", "medina-river-grass-fire"),
            "recipientIds": [seed("jurisdiction", "san-antonio")],
            "stagingLocation": "Castroville staging, FM 471",
            "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1, "neededBy": "2026-11-21T18:00:00Z" }] } } }),
        )
        .await;
    let request = verbal["recordVerbalRequest"]["resourceRequest"]["id"].clone();
    let deadline = "query ($id: ID!) { resourceRequest(id: $id) { deadlines { kind status } } }";

    // 23 hours on: the 24-hour reminder goes out, the confirmation is not missed yet.
    let moved = app.ok(&admin, MOVE, json!({ "input": { "minutes": 23 * 60 } })).await["moveSandboxClock"].clone();
    assert!(at(&moved["now"]) - now >= chrono::Duration::hours(23), "{moved}");
    assert!(moved["remindersSent"].as_u64().unwrap() >= 1, "{moved}");
    let pending = app.ok(&bexar, deadline, json!({ "id": request })).await;
    assert_eq!(pending["resourceRequest"]["deadlines"][0]["status"], "PENDING");

    // Past the due time (the README's example, 25 hours more): missed at once, without waiting for the
    // scheduler's next pass.
    let moved = app.ok(&admin, &crate::support::readme_example("sandbox"), json!({})).await["moveSandboxClock"].clone();
    assert!(at(&moved["now"]) - now >= chrono::Duration::hours(48), "{moved}");
    assert!(moved["deadlinesMissed"].as_u64().unwrap() >= 1, "{moved}");
    let missed = app.ok(&bexar, deadline, json!({ "id": request })).await;
    assert_eq!(missed["resourceRequest"]["deadlines"][0]["status"], "MISSED");
    // Recorded as an event, as a pass of the scheduler records it.
    let feed = app
        .ok(
            &admin,
            "{ changes(first: 500, filter: { recordTypes: [DEADLINE] }) { changes { event { toStatus } } } }",
            json!({}),
        )
        .await;
    assert!(
        feed["changes"]["changes"].as_array().unwrap().iter().any(|c| c["event"]["toStatus"] == "MISSED"),
        "{feed}"
    );

    // To an instant, forward.
    let to = (now + chrono::Duration::hours(50)).to_rfc3339();
    let moved = app.ok(&admin, MOVE, json!({ "input": { "to": to } })).await["moveSandboxClock"].clone();
    assert!(at(&moved["now"]) >= at(&json!(to)), "{moved}");
    // The clock never moves back, and other callers do not move it at all.
    let (_, body) = app.gql(Some(&admin), MOVE, json!({ "input": { "to": now.to_rfc3339() } })).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    for input in
        [json!({}), json!({ "minutes": 0 }), json!({ "minutes": 6_000_000 }), json!({ "minutes": 5, "to": to })]
    {
        let (_, body) = app.gql(Some(&admin), MOVE, json!({ "input": input })).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{input}: {body}");
    }
    let (_, body) = app.gql(Some(&bexar), MOVE, json!({ "input": { "minutes": 60 } })).await;
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
    let after = app.ok(&admin, TIME, json!({})).await;
    assert!(at(&after["serverTime"]["now"]) < now + chrono::Duration::hours(51), "{after}");

    // The offset is kept: a server restarted on the same database keeps the moved time.
    let offset = api::domain::sandbox::stored_offset(&app.state.db).await.unwrap();
    assert!(offset > 50 * 3_600_000 - 60_000, "{offset}");
    let config = (*app.state.config).clone();
    let restarted = api::state::AppState::build(config, std::sync::Arc::new(api::clock::SystemClock)).await.unwrap();
    assert!(restarted.clock.now() >= at(&after["serverTime"]["now"]), "the restarted sandbox went back in time");
    app.stop().await;
}

#[tokio::test]
async fn without_the_sandbox_the_clock_cannot_be_moved_and_production_refuses_the_sandbox() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let (_, body) = app.gql(Some(&admin), MOVE, json!({ "input": { "minutes": 60 } })).await;
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
    assert_eq!(api::domain::sandbox::stored_offset(&app.state.db).await.unwrap(), 0);
    let time = app.ok(&admin, TIME, json!({})).await;
    assert_eq!(time["serverTime"]["sandbox"], false);
    assert!((at(&time["serverTime"]["now"]) - Utc::now()).num_seconds().abs() < 60);
    app.stop().await;

    let mut config = api::config::Config::defaults();
    config.profile = api::config::Profile::Production;
    config.sandbox_clock = true;
    config.jwt_secret = Some("a-production-secret-of-at-least-32-bytes!".into());
    config.database_url = "sqlite::memory:".into();
    let refused = api::state::AppState::build(config, std::sync::Arc::new(api::clock::SystemClock)).await;
    let message = refused.err().map(|e| format!("{e:?}")).unwrap_or_default();
    assert!(message.contains("sandbox"), "{message}");
}
