//! The rules of the sources walked through GraphQL, most on the sandbox clock: time records by either party,
//! late filings judged as they are filed, backdated dates that count only once the other party confirms them,
//! agreed extensions of reimbursement due dates, itemized waivers, the termination notice period, AACOG's
//! staging location and needed-by time, EMAC between states, and notifications by list, subscription and e-mail.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::claims::{ACK, APPROVE, NOTICE, PACKAGE, app_at, package, returned, start};
use crate::missions::*;
use crate::support::{Options, TestApp, codes, node_clients, seed};

const MOVE: &str = "mutation ($input: MoveSandboxClockInput!) { moveSandboxClock(input: $input) { now } }";
const NOW: &str = "{ serverTime { now } }";
const DEADLINES: &str = r#"query ($id: ID!) { claim(id: $id) { status overdue statusReason
  waivedItems { category description amount lineId }
  deadlines { id kind dueAt status metAt statedAt statedConfirmedAt note
    extensions { status previousDueAt dueAt reason proposedBy { name } answeredBy { name } } }
  history(first: 100) { edges { node { action toStatus } } } } }"#;
const EXTEND: &str = r#"mutation ($input: ProposeDeadlineExtensionInput!) {
  proposeDeadlineExtension(input: $input) { extension { id status } deadline { dueAt } } }"#;
const ANSWER: &str = r#"mutation ($input: AnswerDeadlineExtensionInput!) {
  answerDeadlineExtension(input: $input) { extension { status } deadline { dueAt status note } } }"#;
const CONFIRM_DATE: &str = r#"mutation ($input: ConfirmStatedDateInput!) {
  confirmStatedDate(input: $input) { deadline { status metAt statedAt statedConfirmedAt } } }"#;
const PAY: &str =
    r#"mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { claim { status overdue } } }"#;
const WAIVE: &str = r#"mutation ($input: WaiveReimbursementInput!) { waiveReimbursement(input: $input) {
  claim { status waivedItems { category description } } } }"#;
const NOTIFICATIONS: &str = r#"query ($filter: NotificationFilter) { unreadNotificationCount
  notifications(first: 100, filter: $filter) { totalCount edges { node { id kind topic title body read recordType
    dueAt jurisdiction { name } emailStatus } } } }"#;
const MARK: &str =
    r#"mutation ($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) { marked unread } }"#;

async fn sandbox() -> TestApp {
    let app =
        TestApp::spawn_with(Options { configure: Box::new(|c| c.sandbox_clock = true), ..Options::default() }).await;
    api::seed::load(&app.state.db, Utc::now()).await.unwrap();
    app
}

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap().with_timezone(&Utc)
}

async fn server_now(app: &TestApp) -> DateTime<Utc> {
    at(&app.ok(&app.admin(), NOW, json!({})).await["serverTime"]["now"])
}

async fn move_days(app: &TestApp, days: i64) {
    app.ok(&app.admin(), MOVE, json!({ "input": { "minutes": days * 24 * 60 } })).await;
}

fn deadline<'a>(state: &'a Value, kind: &str) -> &'a Value {
    let all = state["claim"]["deadlines"].as_array().unwrap();
    all.iter().find(|d| d["kind"] == kind).unwrap_or_else(|| panic!("no {kind} deadline: {state}"))
}

fn actions(state: &Value) -> Vec<String> {
    let edges = state["claim"]["history"]["edges"].as_array().unwrap();
    edges.iter().map(|e| e["node"]["action"].as_str().unwrap().to_owned()).collect()
}

/// An AACOG request as the agreement's Conditions (b) wants it: where and when.
fn aacog_request(assisting: &str, staging: Option<&str>, needed_by: Option<DateTime<Utc>>) -> Value {
    json!({ "input": { "request": {
        "compactId": seed("compact", "aacog-rma"), "incidentId": seed("incident", "medina-river-grass-fire"),
        "recipientIds": [seed("jurisdiction", assisting)], "stagingLocation": staging,
        "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1,
                        "neededBy": needed_by.map(|t| t.to_rfc3339()) }] } } })
}

#[tokio::test]
async fn aacog_requests_state_where_and_when_the_resources_are_needed() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let soon = Utc::now() + Duration::hours(6);
    let before = app.ok(&app.admin(), "{ changes(first: 1) { endCursor } }", json!({})).await;
    for (input, field) in [
        (aacog_request("san-antonio", None, Some(soon)), "stagingLocation"),
        (aacog_request("san-antonio", Some("  "), Some(soon)), "stagingLocation"),
        (aacog_request("san-antonio", Some("Castroville staging, FM 471"), None), "lineItems.0.neededBy"),
    ] {
        let body = app.fails(Some(&bexar), VERBAL, input, "BAD_USER_INPUT").await;
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("AACOG RMA"), "{body}");
    }
    // Nothing was written by the refusals.
    let after = app.ok(&app.admin(), "{ changes(first: 1) { endCursor } }", json!({})).await;
    assert_eq!(before, after);
    let ok =
        app.ok(&bexar, VERBAL, aacog_request("san-antonio", Some("Castroville staging, FM 471"), Some(soon))).await;
    assert_eq!(ok["recordVerbalRequest"]["resourceRequest"]["status"], "OPEN");
    let policy = app
        .ok(
            &bexar,
            "query ($id: ID!) { compact(id: $id) { policy { requestLocationAndTimeRequired } } }",
            json!({ "id": seed("compact", "aacog-rma") }),
        )
        .await;
    assert_eq!(policy["compact"]["policy"]["requestLocationAndTimeRequired"], true);
    // Utah's Form 101 asks neither: a Utah request without them is accepted.
    let slco = rep(&app, "salt-lake-county");
    let mut utah = utah_request();
    utah["input"]["stagingLocation"] = Value::Null;
    app.ok(&slco, CREATE, utah).await;
}

#[tokio::test]
async fn either_party_keeps_the_daily_time_records_and_each_record_says_who() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let offer = app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let d = accepted["acceptOffer"]["deployment"]["id"].clone();
    let prepare = json!({ "input": { "deploymentId": d, "readinessChecked": true, "communicationsChecked": true } });
    app.ok(&utco, PREPARE, prepare).await;
    app.ok(&utco, DEPART, json!({ "input": { "deploymentId": d } })).await;
    app.ok(&utco, ARRIVE, json!({ "input": { "deploymentId": d } })).await;
    let entry = |subject: &str| {
        json!({ "input": { "deploymentId": d, "entries": [{ "kind": "PERSONNEL", "workDate": "2026-11-22",
            "subject": subject, "regularHours": "12" }] } })
    };
    // R704-2-6(1)(b)(i): the requesting jurisdiction's incident commander keeps them; the assisting party may too.
    app.ok(&slco, TIME, entry("R. Delgado (SLCo IC log)")).await;
    app.ok(&utco, TIME, entry("R. Delgado (UCSO time sheet)")).await;
    let provo = rep(&app, "provo");
    app.fails(Some(&provo), TIME, entry("x"), "NOT_FOUND").await;
    let records = app
        .ok(
            &slco,
            "query ($id: ID!) { deployment(id: $id) { timeRecords { subject recordedBy { name } } } }",
            json!({ "id": d }),
        )
        .await;
    let by: Vec<(String, String)> = records["deployment"]["timeRecords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["subject"].as_str().unwrap().to_owned(), r["recordedBy"]["name"].as_str().unwrap().to_owned()))
        .collect();
    assert!(by.contains(&("R. Delgado (SLCo IC log)".into(), "Salt Lake County".into())), "{by:?}");
    assert!(by.contains(&("R. Delgado (UCSO time sheet)".into(), "Utah County".into())), "{by:?}");
}

/// The notice of intent of `claim`.
fn notice(claim: &Value) -> Value {
    json!({ "input": { "claimId": claim["id"], "summaryOfServices": "Engine and crew, 3 days",
        "financialContactName": "A. Finance" } })
}

/// Utah County files the notice of a Utah claim and Salt Lake County acknowledges it.
async fn noticed(app: &TestApp, claim: &Value) {
    app.ok(&rep(app, "utah-county"), NOTICE, notice(claim)).await;
    app.ok(&rep(app, "salt-lake-county"), ACK, json!({ "input": { "claimId": claim["id"] } })).await;
}

#[tokio::test]
async fn a_notice_filed_late_is_judged_as_it_is_filed_before_any_scheduler_pass() {
    // The scheduler never runs here: the filing alone applies the consequence.
    let (app, clock) = app_at(start()).await;
    let utah = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let aacog = returned(&app, "bexar-county", "san-antonio", "aacog-rma", false).await;
    clock.advance(Duration::days(31));
    // Utah R704-2-12(1)(b): filed after its 30 days, the claim is forfeited at the moment it is filed.
    let utco = rep(&app, "utah-county");
    let filed = app.ok(&utco, NOTICE, notice(&utah)).await;
    assert_eq!(filed["fileNoticeOfIntent"]["claim"]["status"], "FORFEITED", "{filed}");
    let state = app.ok(&utco, DEADLINES, json!({ "id": utah["id"] })).await;
    assert_eq!(deadline(&state, "NOTICE_OF_INTENT")["status"], "MISSED");
    assert!(deadline(&state, "NOTICE_OF_INTENT")["metAt"].is_string(), "the late filing is kept: {state}");
    assert!(state["claim"]["deadlines"].as_array().unwrap().iter().all(|d| d["kind"] != "PAYMENT"), "{state}");
    let history = actions(&state);
    assert!(history.ends_with(&["NOTICE_FILED".to_owned(), "FORFEITED".to_owned()]), "{history:?}");
    // AACOG: filed after its 10 days, flagged overdue, never forfeited.
    let sa = rep(&app, "san-antonio");
    let filed = app.ok(&sa, NOTICE, notice(&aacog)).await;
    assert_eq!(filed["fileNoticeOfIntent"]["claim"]["status"], "NOTICE_FILED", "{filed}");
    let state = app.ok(&sa, DEADLINES, json!({ "id": aacog["id"] })).await;
    assert_eq!(state["claim"]["overdue"], true);
    assert_eq!(deadline(&state, "NOTICE_OF_INTENT")["status"], "MISSED");
    // A package filed after its 30 days (still inside the agreement's 60) is flagged, not forfeited.
    let bexar = rep(&app, "bexar-county");
    app.ok(&bexar, ACK, json!({ "input": { "claimId": aacog["id"] } })).await;
    let on_time = app.ok(&sa, PACKAGE, package(&aacog)).await;
    assert_eq!(on_time["submitClaimPackage"]["claim"]["status"], "SUBMITTED");
    let state = app.ok(&sa, DEADLINES, json!({ "id": aacog["id"] })).await;
    assert_eq!(deadline(&state, "REQUEST_PACKAGE")["status"], "MISSED");
    assert_eq!(deadline(&state, "BILLING_LIMIT")["status"], "MET");
}

#[tokio::test]
async fn a_utah_package_filed_late_is_forfeited_as_it_is_filed() {
    let (app, clock) = app_at(start()).await;
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let utco = rep(&app, "utah-county");
    noticed(&app, &claim).await;
    clock.advance(Duration::days(61));
    let filed = app.ok(&utco, PACKAGE, package(&claim)).await;
    assert_eq!(filed["submitClaimPackage"]["claim"]["status"], "FORFEITED", "{filed}");
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(deadline(&state, "REQUEST_PACKAGE")["status"], "MISSED");
    assert!(state["claim"]["statusReason"].as_str().unwrap().contains("REQUEST_PACKAGE"), "{state}");
}

/// What remains to pay on a claim.
async fn outstanding(app: &TestApp, token: &str, claim: &Value) -> String {
    let totals = app
        .ok(token, "query ($id: ID!) { claim(id: $id) { totals { outstanding } } }", json!({ "id": claim["id"] }))
        .await;
    totals["claim"]["totals"]["outstanding"].as_str().unwrap().to_owned()
}

/// A Utah claim approved, with its payment deadline running (30 days from the notice).
async fn approved_utah_claim(app: &TestApp) -> Value {
    let claim = returned(app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let (slco, utco) = (rep(app, "salt-lake-county"), rep(app, "utah-county"));
    noticed(app, &claim).await;
    app.ok(&utco, PACKAGE, package(&claim)).await;
    app.ok(&slco, APPROVE, json!({ "input": { "claimId": claim["id"] } })).await;
    claim
}

#[tokio::test]
async fn a_backdated_payment_counts_from_when_it_was_recorded_until_the_other_party_confirms_it() {
    let (app, clock) = app_at(start()).await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let coordinator =
        app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[seed("compact", "utah-smaa")]);
    let claim = approved_utah_claim(&app).await;
    let due = at(&deadline(&app.ok(&slco, DEADLINES, json!({ "id": claim["id"] })).await, "PAYMENT")["dueAt"]);
    clock.advance(Duration::days(35));
    // The scheduler has judged the payment deadline missed and flagged the claim.
    let leads = [Duration::hours(72), Duration::hours(24)];
    let report = api::scheduler::tick(&app.state.db, api::clock::Clock::now(&clock), &leads).await.unwrap();
    assert!(report.flagged >= 1, "{report:?}");
    // Paid "on day 29", recorded on day 35: missed as recorded, the stated date kept beside it.
    let stated = due - Duration::days(1);
    let amount = outstanding(&app, &slco, &claim).await;
    let paid = app
        .ok(&slco, PAY, json!({ "input": { "claimId": claim["id"], "amount": amount, "paidAt": stated.to_rfc3339() } }))
        .await;
    assert_eq!(paid["recordPayment"]["claim"]["status"], "PAID", "{paid}");
    let state = app.ok(&slco, DEADLINES, json!({ "id": claim["id"] })).await;
    let payment = deadline(&state, "PAYMENT").clone();
    assert_eq!(payment["status"], "MISSED", "{state}");
    assert_eq!(at(&payment["statedAt"]), stated);
    assert!(at(&payment["metAt"]) > due, "judged by when it was recorded: {payment}");
    assert!(payment["statedConfirmedAt"].is_null());
    // The party that stated the date cannot confirm it; a stranger cannot either.
    let confirm = json!({ "input": { "deadlineId": payment["id"] } });
    app.fails(Some(&slco), CONFIRM_DATE, confirm.clone(), "FORBIDDEN").await;
    app.fails(Some(&rep(&app, "provo")), CONFIRM_DATE, confirm.clone(), "NOT_FOUND").await;
    // The assisting party is told, and confirms: MET at the stated date.
    let told = app.ok(&utco, NOTIFICATIONS, json!({ "filter": { "kinds": ["ACTION_NEEDED"] } })).await;
    let topics: Vec<&str> = told["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["topic"].as_str().unwrap())
        .collect();
    assert!(topics.contains(&"STATED_DATE_TO_CONFIRM"), "{told}");
    let flagged = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(flagged["claim"]["overdue"], true, "{flagged}");
    let confirmed = app.ok(&utco, CONFIRM_DATE, confirm.clone()).await;
    assert_eq!(confirmed["confirmStatedDate"]["deadline"]["status"], "MET", "{confirmed}");
    assert_eq!(at(&confirmed["confirmStatedDate"]["deadline"]["metAt"]), stated);
    // Nothing else of the claim is missed: its overdue flag is cleared, with an event.
    let cleared = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(cleared["claim"]["overdue"], false, "{cleared}");
    assert!(actions(&cleared).contains(&"OVERDUE_CLEARED".to_owned()), "{cleared}");
    app.fails(Some(&coordinator), CONFIRM_DATE, confirm, "CONFLICT").await;
}

#[tokio::test]
async fn a_stated_date_after_the_due_date_stays_missed_even_when_confirmed() {
    let (app, clock) = app_at(start()).await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let claim = approved_utah_claim(&app).await;
    let due = at(&deadline(&app.ok(&slco, DEADLINES, json!({ "id": claim["id"] })).await, "PAYMENT")["dueAt"]);
    clock.advance(Duration::days(40));
    let stated = due + Duration::days(2);
    let amount = outstanding(&app, &slco, &claim).await;
    app.ok(&slco, PAY, json!({ "input": { "claimId": claim["id"], "amount": amount, "paidAt": stated.to_rfc3339() } }))
        .await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    let id = deadline(&state, "PAYMENT")["id"].clone();
    let confirmed = app.ok(&utco, CONFIRM_DATE, json!({ "input": { "deadlineId": id } })).await;
    assert_eq!(confirmed["confirmStatedDate"]["deadline"]["status"], "MISSED", "{confirmed}");
    // On time and not backdated: nothing to confirm.
    let (app, _clock) = app_at(start()).await;
    let claim = approved_utah_claim(&app).await;
    let slco = rep(&app, "salt-lake-county");
    let amount = outstanding(&app, &slco, &claim).await;
    app.ok(&slco, PAY, json!({ "input": { "claimId": claim["id"], "amount": amount } })).await;
    let state = app.ok(&slco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(deadline(&state, "PAYMENT")["status"], "MET");
    let utco = rep(&app, "utah-county");
    let body = app
        .fails(
            Some(&utco),
            CONFIRM_DATE,
            json!({ "input": { "deadlineId": deadline(&state, "PAYMENT")["id"] } }),
            "BAD_USER_INPUT",
        )
        .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("no date was stated"), "{body}");
}

#[tokio::test]
async fn an_agreed_extension_moves_a_reimbursement_due_date_and_keeps_its_history() {
    let app = sandbox().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    noticed(&app, &claim).await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    let package_deadline = deadline(&state, "REQUEST_PACKAGE").clone();
    let original = at(&package_deadline["dueAt"]);
    let later = original + Duration::days(30);
    let propose = |due: DateTime<Utc>, reason: &str| json!({ "input": { "deadlineId": package_deadline["id"], "dueAt": due.to_rfc3339(), "reason": reason } });
    // Refusals: not later, too far, empty reason, a stranger, a deadline that is not a reimbursement due date.
    app.fails(Some(&utco), EXTEND, propose(original, "same day"), "BAD_USER_INPUT").await;
    app.fails(Some(&utco), EXTEND, propose(original + Duration::days(3651), "far"), "BAD_USER_INPUT").await;
    app.fails(Some(&utco), EXTEND, propose(later, ""), "BAD_USER_INPUT").await;
    app.fails(Some(&rep(&app, "provo")), EXTEND, propose(later, "x"), "NOT_FOUND").await;
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let written = app
        .ok(
            &slco,
            "query ($id: ID!) { resourceRequest(id: $id) { deadlines { id kind } } }",
            json!({ "id": request["id"] }),
        )
        .await;
    if let Some(other) = written["resourceRequest"]["deadlines"].as_array().unwrap().first() {
        let body = json!({ "input": { "deadlineId": other["id"], "dueAt": later.to_rfc3339(), "reason": "x" } });
        app.fails(Some(&slco), EXTEND, body, "BAD_USER_INPUT").await;
    }
    // A first proposal is replaced by a second; the proposer cannot agree to its own.
    app.ok(&utco, EXTEND, propose(original + Duration::days(10), "Invoices from the fuel vendor are late")).await;
    let second = app.ok(&utco, EXTEND, propose(later, "Invoices from the fuel vendor are late, 30 days")).await;
    let extension = second["proposeDeadlineExtension"]["extension"]["id"].clone();
    assert_eq!(at(&second["proposeDeadlineExtension"]["deadline"]["dueAt"]), original, "nothing moves yet");
    let answer = json!({ "input": { "extensionId": extension, "agree": true } });
    app.fails(Some(&utco), ANSWER, answer.clone(), "FORBIDDEN").await;
    // The other party is told, and agrees.
    let told = app.ok(&slco, NOTIFICATIONS, json!({ "filter": { "kinds": ["ACTION_NEEDED"] } })).await;
    assert!(
        told["notifications"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["topic"] == "EXTENSION_TO_ANSWER"),
        "{told}"
    );
    let agreed = app.ok(&slco, ANSWER, answer.clone()).await;
    assert_eq!(agreed["answerDeadlineExtension"]["extension"]["status"], "AGREED");
    assert_eq!(at(&agreed["answerDeadlineExtension"]["deadline"]["dueAt"]), later);
    app.fails(Some(&slco), ANSWER, answer, "INVALID_TRANSITION").await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    let history = deadline(&state, "REQUEST_PACKAGE")["extensions"].as_array().unwrap().clone();
    let statuses: Vec<&str> = history.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["SUPERSEDED", "AGREED"]);
    assert_eq!(at(&history[1]["previousDueAt"]), original);
    assert_eq!(history[1]["proposedBy"]["name"], "Utah County");
    assert_eq!(history[1]["answeredBy"]["name"], "Salt Lake County");
    // Past the original due date the claim stands; past the agreed one it is forfeited (Utah).
    let days_left = (original - server_now(&app).await).num_days() + 2;
    move_days(&app, days_left).await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(deadline(&state, "REQUEST_PACKAGE")["status"], "PENDING", "{state}");
    assert_ne!(state["claim"]["status"], "FORFEITED");
    move_days(&app, 30).await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert_eq!(deadline(&state, "REQUEST_PACKAGE")["status"], "MISSED", "{state}");
    assert_eq!(state["claim"]["status"], "FORFEITED");
    // A missed deadline is no longer extended.
    let late = json!({ "input": { "deadlineId": package_deadline["id"], "dueAt": (later + Duration::days(30)).to_rfc3339(), "reason": "too late" } });
    app.fails(Some(&utco), EXTEND, late, "INVALID_TRANSITION").await;
}

#[tokio::test]
async fn waivers_name_each_item_where_the_compact_asks_and_a_donation_carries_its_own() {
    let app = TestApp::seeded().await;
    let utco = rep(&app, "utah-county");
    // Utah R704-2-11(2): a whole waiver before any invoice names its items.
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let bare = json!({ "input": { "claimId": claim["id"], "statement": "We waive reimbursement." } });
    let body = app.fails(Some(&utco), WAIVE, bare, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "items", "{body}");
    assert_eq!(app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await["claim"]["status"], "OPEN");
    let itemized = json!({ "input": { "claimId": claim["id"], "statement": "We waive reimbursement.", "items": [
        { "category": "PERSONNEL_REGULAR", "description": "Crew regular time, 3 days" },
        { "category": "EQUIPMENT", "description": "Engine E-41 hours" }] } });
    let waived = app.ok(&utco, WAIVE, itemized).await;
    assert_eq!(waived["waiveReimbursement"]["claim"]["status"], "WAIVED");
    assert_eq!(waived["waiveReimbursement"]["claim"]["waivedItems"].as_array().unwrap().len(), 2);
    let state = app.ok(&utco, DEADLINES, json!({ "id": claim["id"] })).await;
    assert!(actions(&state).contains(&"WAIVER_COPIED_TO_COORDINATOR".to_owned()), "{state}");
    // AACOG asks no itemization.
    let aacog = returned(&app, "bexar-county", "san-antonio", "aacog-rma", false).await;
    let sa = rep(&app, "san-antonio");
    let plain = json!({ "input": { "claimId": aacog["id"], "statement": "Donated without fee." } });
    assert_eq!(app.ok(&sa, WAIVE, plain).await["waiveReimbursement"]["claim"]["status"], "WAIVED");
    // A donated Utah offer's claim opens waived, with each donated item named and the copy to the coordinator.
    let donated = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", true).await;
    let state = app.ok(&utco, DEADLINES, json!({ "id": donated["id"] })).await;
    assert_eq!(state["claim"]["status"], "WAIVED");
    let items = state["claim"]["waivedItems"].as_array().unwrap();
    assert!(!items.is_empty(), "{state}");
    assert!(items.iter().all(|i| i["description"].as_str().unwrap().contains("donated without fee")), "{state}");
    assert!(actions(&state).contains(&"WAIVER_COPIED_TO_COORDINATOR".to_owned()), "{state}");
}

#[tokio::test]
async fn a_member_in_its_termination_notice_period_takes_part_until_the_termination_takes_effect() {
    let app = sandbox().await;
    let (bexar, kerr) = (rep(&app, "bexar-county"), rep(&app, "kerr-county"));
    let noticed = app
        .ok(&kerr, "mutation ($id: ID!) { noticeMembershipTermination(input: { membershipId: $id }) { membership { status terminationEffectiveAt } } }",
            json!({ "id": seed("membership", "aacog-rma:kerr-county") }))
        .await;
    assert_eq!(noticed["noticeMembershipTermination"]["membership"]["status"], "TERMINATION_NOTICED");
    // AACOG agreement: ninety days' notice; until then Kerr County is still addressed and answers.
    let soon = server_now(&app).await + Duration::hours(6);
    let first = app.ok(&bexar, VERBAL, aacog_request("kerr-county", Some("Castroville staging"), Some(soon))).await;
    let first = first["recordVerbalRequest"]["resourceRequest"].clone();
    let second = app.ok(&bexar, VERBAL, aacog_request("kerr-county", Some("Castroville staging"), Some(soon))).await;
    let second = second["recordVerbalRequest"]["resourceRequest"].clone();
    app.ok(&kerr, OFFER, offer_input(&first, &[(0, 1)])).await;
    // A request broadcast to every member reaches it too.
    let mut broadcast = aacog_request("kerr-county", Some("Castroville staging"), Some(soon));
    broadcast["input"]["request"]["recipientIds"] = json!([]);
    broadcast["input"]["request"]["broadcast"] = json!(true);
    let broadcast = app.ok(&bexar, VERBAL, broadcast).await["recordVerbalRequest"]["resourceRequest"]["id"].clone();
    let seen = app.ok(&kerr, "query ($id: ID!) { resourceRequest(id: $id) { id } }", json!({ "id": broadcast })).await;
    assert_eq!(seen["resourceRequest"]["id"], broadcast);
    // Once the termination takes effect, it is neither addressed nor answers.
    move_days(&app, 91).await;
    let later = server_now(&app).await + Duration::hours(6);
    let body = app
        .fails(
            Some(&bexar),
            VERBAL,
            aacog_request("kerr-county", Some("Castroville staging"), Some(later)),
            "BAD_USER_INPUT",
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "recipientIds", "{body}");
    app.fails(Some(&kerr), OFFER, offer_input(&second, &[(0, 1)]), "FORBIDDEN").await;
    let status = app
        .ok(
            &kerr,
            "query ($id: ID!) { membership(id: $id) { status } }",
            json!({ "id": seed("membership", "aacog-rma:kerr-county") }),
        )
        .await;
    assert_eq!(status["membership"]["status"], "TERMINATED");
}

#[tokio::test]
async fn emac_is_a_compact_between_states() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let add = "mutation ($input: AddCompactMemberInput!) { addCompactMember(input: $input) { membership { status } } }";
    let member = |key: &str| {
        json!({ "input": { "compactId": seed("compact", "emac"), "jurisdictionId": seed("jurisdiction", key),
            "joinedOn": "2026-01-01" } })
    };
    for county in ["salt-lake-county", "bexar-county", "stamford"] {
        let body = app.fails(Some(&admin), add, member(county), "BAD_USER_INPUT").await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("only STATE may join EMAC"), "{body}");
    }
    let shape = app
        .ok(&admin, "query ($id: ID!) { compact(id: $id) { missionNumbersRequired policy { memberKinds } members(first: 100) { edges { node { jurisdiction { kind } } } } } }",
            json!({ "id": seed("compact", "emac") }))
        .await;
    assert_eq!(shape["compact"]["policy"]["memberKinds"], json!(["STATE"]));
    assert_eq!(shape["compact"]["missionNumbersRequired"], true);
    let kinds = shape["compact"]["members"]["edges"].as_array().unwrap();
    assert!(kinds.iter().all(|e| e["node"]["jurisdiction"]["kind"] == "STATE"), "{shape}");
    // A state that is not yet a member joins (Kansas is not seeded: add it first).
    let created = app
        .ok(&admin, "mutation { createJurisdiction(input: { name: \"Kansas\", kind: STATE, stateCode: \"KS\" }) { jurisdiction { id } } }", json!({}))
        .await;
    let kansas = created["createJurisdiction"]["jurisdiction"]["id"].clone();
    let input = json!({ "input": { "compactId": seed("compact", "emac"), "jurisdictionId": kansas, "joinedOn": "2026-01-01" } });
    app.ok(&admin, add, input).await;
    // An empty list is refused: null means any kind.
    let body = app
        .fails(Some(&admin), "mutation ($id: ID!) { updateCompact(input: { id: $id, policy: { memberKinds: [], waiverItemized: false, waiverCopyToCoordinator: false, missedDeadlineForfeits: false } }) { compact { id } } }",
            json!({ "id": seed("compact", "emac") }), "BAD_USER_INPUT")
        .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
}

#[tokio::test]
async fn notifications_reach_the_representatives_who_owe_the_step_and_no_one_else() {
    let app = sandbox().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    // An offer: the requesting party has a decision to make; the offering party is not told of its own act.
    let offer = app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await;
    assert!(offer["makeOffer"]["offer"]["id"].is_string());
    let mine = app.ok(&slco, NOTIFICATIONS, json!({})).await;
    let offer_note = mine["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["topic"] == "OFFER_TO_DECIDE")
        .unwrap_or_else(|| panic!("{mine}"))["node"]
        .clone();
    assert_eq!(offer_note["kind"], "ACTION_NEEDED");
    assert_eq!(offer_note["read"], false);
    assert_eq!(offer_note["jurisdiction"]["name"], "Salt Lake County");
    let theirs = app.ok(&utco, NOTIFICATIONS, json!({})).await;
    assert!(
        theirs["notifications"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["topic"] != "OFFER_TO_DECIDE"),
        "{theirs}"
    );
    // Another county sees none of them, and cannot mark them read.
    let provo = rep(&app, "provo");
    let other = app.ok(&provo, NOTIFICATIONS, json!({})).await;
    assert_eq!(other["notifications"]["totalCount"], 0, "{other}");
    let id = offer_note["id"].clone();
    app.fails(Some(&provo), MARK, json!({ "input": { "ids": [id] } }), "NOT_FOUND").await;
    // An amendment proposed by the assisting party waits on the requesting party's acknowledgment.
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer["makeOffer"]["offer"]["id"] } })).await;
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    app.ok(
        &utco,
        PROPOSE,
        json!({ "input": { "agreementId": agreement, "description": "Extend by 24 hours",
        "changes": { "estimatedDepartureAt": "2026-11-25T20:00:00Z" } } }),
    )
    .await;
    let mine = app.ok(&slco, NOTIFICATIONS, json!({ "filter": { "kinds": ["ACTION_NEEDED"] } })).await;
    let topics: Vec<&str> = mine["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, ["AMENDMENT_TO_ACKNOWLEDGE", "OFFER_TO_DECIDE"], "newest first: {mine}");
    let theirs = app.ok(&utco, NOTIFICATIONS, json!({ "filter": { "kinds": ["ACTION_NEEDED"] } })).await;
    assert_eq!(theirs["notifications"]["totalCount"], 0, "{theirs}");
    // Observers and coordinators hold no notifications of their own.
    let observer = app.token("dash", None, &["OBSERVER"], &[seed("compact", "utah-smaa")]);
    app.fails(Some(&observer), NOTIFICATIONS, json!({}), "FORBIDDEN").await;

    // The claim clocks: reminders before the notice falls due, then missed and forfeited.
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    move_days(&app, 28).await;
    let due_soon = app.ok(&utco, NOTIFICATIONS, json!({ "filter": { "kinds": ["DUE_SOON"] } })).await;
    assert!(
        due_soon["notifications"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["title"].as_str().unwrap().starts_with("NOTICE_OF_INTENT is due")),
        "{due_soon}"
    );
    move_days(&app, 3).await;
    let after = app.ok(&utco, NOTIFICATIONS, json!({})).await;
    let topics: Vec<&str> = after["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["topic"].as_str().unwrap())
        .collect();
    assert!(topics.contains(&"DEADLINE_MISSED"), "{after}");
    assert!(topics.contains(&"CLAIM_FORFEITED"), "{after}");
    // The requesting party hears of the consequence too, not of the assisting party's reminders.
    let requesting = app.ok(&slco, NOTIFICATIONS, json!({})).await;
    let topics: Vec<&str> = requesting["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["topic"].as_str().unwrap())
        .collect();
    assert!(topics.contains(&"CLAIM_FORFEITED"), "{requesting}");
    assert!(!topics.contains(&"DEADLINE_DUE_SOON") || claim["id"].is_string());

    // Read state is per person: marking read changes the count for this person only.
    let unread = after["unreadNotificationCount"].as_u64().unwrap();
    assert!(unread >= 3, "{after}");
    let first = after["notifications"]["edges"][0]["node"]["id"].clone();
    let marked = app.ok(&utco, MARK, json!({ "input": { "ids": [first.clone()] } })).await;
    assert_eq!(marked["markNotificationsRead"]["marked"], 1);
    assert_eq!(marked["markNotificationsRead"]["unread"].as_u64().unwrap(), unread - 1);
    let again = app.ok(&utco, MARK, json!({ "input": { "ids": [first] } })).await;
    assert_eq!(again["markNotificationsRead"]["marked"], 0);
    let colleague = deputy(&app, "utah-county").await;
    let theirs = app.ok(&colleague, NOTIFICATIONS, json!({})).await;
    assert_eq!(theirs["unreadNotificationCount"].as_u64().unwrap(), unread);
    let unread_only = app.ok(&utco, NOTIFICATIONS, json!({ "filter": { "unreadOnly": true } })).await;
    assert_eq!(unread_only["notifications"]["totalCount"].as_u64().unwrap(), unread - 1);
    // The README's query, as published.
    let published = app.ok(&utco, &crate::support::readme_example("notifications"), json!({})).await;
    assert_eq!(published["notifications"]["totalCount"].as_u64().unwrap(), unread - 1, "{published}");
    assert!(published["notifications"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["read"] == false));
    let all = app.ok(&utco, MARK, json!({ "input": { "all": true } })).await;
    assert_eq!(all["markNotificationsRead"]["unread"], 0);
    for bad in [json!({ "all": true, "ids": ["1"] }), json!({}), json!({ "ids": ["abc"] }), json!({ "ids": ["-4"] })] {
        app.fails(Some(&utco), MARK, json!({ "input": bad }), "BAD_USER_INPUT").await;
    }
}

/// A second authorized representative of `key`, added to the directory, and its token.
async fn deputy(app: &TestApp, key: &str) -> String {
    let add = r#"mutation ($input: AddAuthorizedRepresentativeInput!) {
      addAuthorizedRepresentative(input: $input) { representative { name } } }"#;
    let input = json!({ "input": { "jurisdictionId": seed("jurisdiction", key),
        "representative": { "name": "Deputy Director", "subject": format!("{key}-deputy") } } });
    app.ok(&app.admin(), add, input).await;
    app.token(&format!("{key}-deputy"), Some(seed("jurisdiction", key)), &["AUTHORIZED_REPRESENTATIVE"], &[])
}

/// A `notificationReceived` subscriber through the Node.js `graphql-ws` client.
#[tokio::test]
async fn a_subscriber_receives_each_new_notification_as_it_commits() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let args = json!({ "url": app.ws_url(), "protocol": "graphql-transport-ws", "token": slco,
        "query": "subscription { notificationReceived { id topic title jurisdiction { name } } }",
        "variables": {}, "count": 1, "timeoutMs": 20000 });
    let mut child = Command::new("node")
        .arg("subscribe.mjs")
        .arg(args.to_string())
        .current_dir(node_clients())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let connected = tokio::task::spawn_blocking(move || {
        let first = lines.next().unwrap().unwrap();
        (first, lines)
    })
    .await
    .unwrap();
    assert!(connected.0.contains("connected"), "{}", connected.0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await;
    let mut lines = connected.1;
    let next = tokio::task::spawn_blocking(move || lines.next().unwrap().unwrap()).await.unwrap();
    let message: Value = serde_json::from_str(&next).unwrap();
    assert_eq!(message["type"], "next", "{message}");
    let got = &message["payload"]["data"]["notificationReceived"];
    assert_eq!(got["topic"], "OFFER_TO_DECIDE", "{message}");
    assert_eq!(got["jurisdiction"]["name"], "Salt Lake County");
    child.wait().unwrap();
}

struct Sink {
    child: Child,
    port: u16,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Sink {
    fn start(reject_first: usize) -> Sink {
        let mut child = Command::new("node")
            .arg("smtp-sink.mjs")
            .arg(json!({ "rejectFirst": reject_first, "timeoutMs": 60000 }).to_string())
            .current_dir(node_clients())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        let port = first["port"].as_u64().unwrap() as u16;
        Sink { child, port, lines }
    }

    /// Stops the server and gives back every line it printed.
    fn finish(mut self) -> Vec<Value> {
        drop(self.child.stdin.take().map(|mut stdin| stdin.flush()));
        let out: Vec<Value> = self.lines.by_ref().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
        self.child.wait().unwrap();
        out
    }
}

#[tokio::test]
async fn notification_email_reaches_the_jurisdictions_contacts_through_a_real_smtp_server() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await;
    // The server refuses the first message for a while: the notification waits and is sent on a later pass.
    let sink = Sink::start(1);
    let mailer =
        api::mailer::Mailer::new(&format!("smtp://127.0.0.1:{}", sink.port), "Mutual aid <ma@example.org>").unwrap();
    let now = Utc::now();
    let first = api::mailer::pass(&app.state.db, &mailer, now).await.unwrap();
    assert_eq!(first.failed, 1, "{first:?}");
    let status = app.ok(&slco, NOTIFICATIONS, json!({})).await;
    assert_eq!(status["notifications"]["edges"][0]["node"]["emailStatus"], "PENDING");
    // Not again before its backoff.
    let early = api::mailer::pass(&app.state.db, &mailer, now + Duration::seconds(5)).await.unwrap();
    assert_eq!(early, api::mailer::MailReport::default());
    let second = api::mailer::pass(&app.state.db, &mailer, now + Duration::minutes(5)).await.unwrap();
    assert_eq!(second.sent, 1, "{second:?}");
    let third = api::mailer::pass(&app.state.db, &mailer, now + Duration::hours(5)).await.unwrap();
    assert_eq!(third.sent, 0, "sent once: {third:?}");
    let printed = sink.finish();
    let messages: Vec<&Value> = printed.iter().filter(|m| m["type"] == "message").collect();
    assert_eq!(messages.len(), 1, "{printed:?}");
    let message = messages[0];
    assert!(message["subject"].as_str().unwrap().contains("An offer answers your request"), "{message}");
    assert!(message["text"].as_str().unwrap().contains("accept or reject"), "{message}");
    assert_eq!(message["from"], "ma@example.org");
    // To the contacts of Salt Lake County that have an address, and to no one else.
    let contacts = app
        .ok(
            &slco,
            "query ($id: ID!) { jurisdiction(id: $id) { contacts { email } } }",
            json!({ "id": seed("jurisdiction", "salt-lake-county") }),
        )
        .await;
    let mut expected: Vec<String> = contacts["jurisdiction"]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["email"].as_str().map(str::to_owned))
        .collect();
    expected.sort();
    expected.dedup();
    assert!(!expected.is_empty(), "the seeded county has e-mail contacts: {contacts}");
    let mut to: Vec<String> =
        message["to"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
    to.sort();
    assert_eq!(to, expected);
    let status = app.ok(&slco, NOTIFICATIONS, json!({})).await;
    assert_eq!(status["notifications"]["edges"][0]["node"]["emailStatus"], "SENT");
}

#[tokio::test]
async fn connecticut_shares_resources_in_tiers_region_then_state_then_emac() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let tiers = r#"query ($id: ID!) { compact(id: $id) { shortName kind coordinatingJurisdiction { name }
      members(first: 100) { edges { node { jurisdiction { region } } } }
      nextTier { shortName kind nextTier { shortName kind nextTier { shortName } } } } }"#;
    // Each DEMHS region's plan holds the municipalities of that region and leads to the intrastate compact, which
    // leads to EMAC.
    for n in 1..=5 {
        let region = app.ok(&admin, tiers, json!({ "id": seed("compact", &format!("ct-demhs-region-{n}")) })).await;
        let compact = &region["compact"];
        assert_eq!(compact["kind"], "REGIONAL");
        assert_eq!(compact["coordinatingJurisdiction"]["name"], "State of Connecticut");
        let members = compact["members"]["edges"].as_array().unwrap();
        assert!(!members.is_empty(), "{region}");
        let name = format!("DEMHS Region {n}");
        assert!(members.iter().all(|m| m["node"]["jurisdiction"]["region"] == name.as_str()), "{region}");
        assert_eq!(compact["nextTier"]["shortName"], "CT IMAC");
        assert_eq!(compact["nextTier"]["kind"], "INTRASTATE");
        assert_eq!(compact["nextTier"]["nextTier"]["shortName"], "EMAC");
        assert_eq!(compact["nextTier"]["nextTier"]["kind"], "INTERSTATE");
        assert!(compact["nextTier"]["nextTier"]["nextTier"].is_null());
    }
    // Within a region, a town asks its neighbours directly; a town of another region is not a member.
    let stamford = rep(&app, "stamford");
    let declare = r#"mutation ($input: DeclareIncidentInput!) { declareIncident(input: $input) { incident { id } } }"#;
    let incident = app
        .ok(
            &stamford,
            declare,
            json!({ "input": { "name": "Mill River flooding", "kind": "DISASTER",
            "compactId": seed("compact", "ct-demhs-region-1"), "declarationForm": "WRITTEN" } }),
        )
        .await["declareIncident"]["incident"]["id"]
        .clone();
    let request = |recipient: &str| {
        json!({ "input": { "compactId": seed("compact", "ct-demhs-region-1"), "incidentId": incident,
            "recipientIds": [seed("jurisdiction", recipient)],
            "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1 }] } })
    };
    let created = app.ok(&stamford, CREATE, request("norwalk")).await;
    let id = created["createResourceRequest"]["resourceRequest"]["id"].clone();
    let submitted = app.ok(&stamford, SUBMIT, json!({ "input": { "requestId": id } })).await;
    assert_eq!(submitted["submitResourceRequest"]["resourceRequest"]["status"], "OPEN");
    app.fails(Some(&stamford), CREATE, request("hartford"), "BAD_USER_INPUT").await;
    // Tiers never lead back: EMAC cannot name a region as its next tier, and a compact not its own.
    let update = "mutation ($input: UpdateCompactInput!) { updateCompact(input: $input) { compact { id } } }";
    for (compact, next) in [("emac", "ct-demhs-region-1"), ("ct-imac", "ct-imac")] {
        let input = json!({ "input": { "id": seed("compact", compact), "nextTierCompactId": seed("compact", next) } });
        let body = app.fails(Some(&admin), update, input, "BAD_USER_INPUT").await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("lead back"), "{body}");
    }
    let unknown = json!({ "input": { "id": seed("compact", "emac"), "nextTierCompactId": uuid::Uuid::nil() } });
    app.fails(Some(&admin), update, unknown, "BAD_USER_INPUT").await;
    let ends = json!({ "input": { "id": seed("compact", "ct-imac"), "nextTierCompactId": null } });
    app.ok(&admin, update, ends).await;
}
