//! Reimbursement end to end with an injected clock: a Utah claim through notice, acknowledgment, package,
//! partial payment, dispute, 90 days, escalation, a 7-member hearing, majority decision and final payment; a claim
//! forfeited for a missed notice; an itemized waiver; an AACOG claim under its own 10/30/60-day rules; and the
//! permission table of the financial mutations.

use api::clock::ManualClock;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::missions::*;
use crate::support::{Options, TestApp, codes, seed};

pub const NOTICE: &str = r#"mutation ($input: FileNoticeOfIntentInput!) { fileNoticeOfIntent(input: $input) { claim { status noticeFiledAt deadlines { kind dueAt status } } } }"#;
pub const ACK: &str =
    r#"mutation ($input: ClaimStepInput!) { acknowledgeNoticeOfIntent(input: $input) { claim { status } } }"#;
pub const PACKAGE: &str = r#"mutation ($input: SubmitClaimPackageInput!) { submitClaimPackage(input: $input) { claim { status invoiceLines { id category amount } totals { claimed } } } }"#;
pub const APPROVE: &str = r#"mutation ($input: ApproveClaimInput!) { approveClaim(input: $input) { claim { status totals { approved outstanding } } } }"#;
const PAY: &str = r#"mutation ($input: RecordPaymentInput!) { recordPayment(input: $input) { claim { status totals { paid outstanding } } } }"#;
pub const DISPUTE: &str = r#"mutation ($input: FileDisputeInput!) { fileDispute(input: $input) { dispute { id status deadlines { kind dueAt } } } }"#;
const ESCALATE: &str =
    r#"mutation ($input: EscalateDisputeInput!) { escalateDispute(input: $input) { dispute { status } } }"#;
const SCHEDULE: &str = r#"mutation ($input: ScheduleHearingInput!) { scheduleHearing(input: $input) { dispute { status hearingAt quorum } } }"#;
const VOTE: &str =
    r#"mutation ($input: CastCommitteeVoteInput!) { castCommitteeVote(input: $input) { vote { member vote } } }"#;
const DECIDE: &str = r#"mutation ($input: IssueDecisionInput!) { issueCommitteeDecision(input: $input) { dispute { status outcome awardedAmount } } }"#;
const WAIVE: &str = r#"mutation ($input: WaiveReimbursementInput!) { waiveReimbursement(input: $input) { claim { status totals { claimed waived } invoiceLines { waived } } } }"#;
const CLAIM: &str = r#"query ($id: ID!) { claim(id: $id) { status overdue statusReason
  totals { claimed waived approved paid outstanding }
  estimateAgainstActual { category estimated actual difference }
  deadlines { kind dueAt status metAt }
  disputes { status votes { member vote } }
  history(first: 100) { edges { node { action fromStatus toStatus actor { subject } } } } } }"#;

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap()
}

/// Runs a mission to the return of its resources and gives back the claim's id.
pub async fn returned(app: &TestApp, requesting: &str, assisting: &str, compact: &str, donated: bool) -> Value {
    let (req, ast) = (rep(app, requesting), rep(app, assisting));
    let request = if compact == "utah-smaa" {
        open_utah_request(app, &req, &[assisting]).await
    } else {
        let verbal = app
            .ok(
                &req,
                VERBAL,
                json!({ "input": { "request": {
                "compactId": seed("compact", compact), "incidentId": seed("incident", "medina-river-grass-fire"),
                "recipientIds": [seed("jurisdiction", assisting)], "stagingLocation": "Castroville staging, FM 471",
                "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1,
                                "neededBy": "2026-11-21T18:00:00Z" }] } } }),
            )
            .await;
        verbal["recordVerbalRequest"]["resourceRequest"].clone()
    };
    let mut offer = offer_input(&request, &[(0, 1)]);
    offer["input"]["donated"] = json!(donated);
    let offer = app.ok(&ast, OFFER, offer).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&req, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let d = accepted["acceptOffer"]["deployment"]["id"].clone();
    let a = accepted["acceptOffer"]["agreement"]["id"].clone();
    app.ok(
        &ast,
        PREPARE,
        json!({ "input": { "deploymentId": d, "readinessChecked": true, "communicationsChecked": true } }),
    )
    .await;
    app.ok(&ast, DEPART, json!({ "input": { "deploymentId": d } })).await;
    app.ok(&ast, ARRIVE, json!({ "input": { "deploymentId": d } })).await;
    app.ok(&req, RELEASE, json!({ "input": { "deploymentId": d } })).await;
    app.ok(&ast, RETURN, json!({ "input": { "deploymentId": d } })).await;
    let claim = app
        .ok(
            &req,
            "query ($id: ID!) { agreement(id: $id) { claim { id status deadlines { kind dueAt status } } } }",
            json!({ "id": a }),
        )
        .await;
    claim["agreement"]["claim"].clone()
}

fn payment_deadline(state: &Value) -> Value {
    let deadlines = state["claim"]["deadlines"].as_array().unwrap();
    deadlines.iter().find(|d| d["kind"] == "PAYMENT").cloned().unwrap_or_else(|| panic!("no payment deadline: {state}"))
}

async fn tick(app: &TestApp, clock: &ManualClock) -> api::scheduler::TickReport {
    let leads = [Duration::hours(72), Duration::hours(24)];
    api::scheduler::tick(&app.state.db, api::clock::Clock::now(clock), &leads).await.unwrap()
}

pub async fn app_at(at: DateTime<Utc>) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(at);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, at).await.unwrap();
    // Settle the demo data's own deadlines (the seeded oral declaration is already past due).
    tick(&app, &clock).await;
    (app, clock)
}

pub fn package(claim: &Value) -> Value {
    json!({ "input": { "claimId": claim["id"], "coverSummary": "Swiftwater rescue, Parleys Creek, 3 days",
        "supportingDocuments": ["Time sheets UCSO 11/21-11/23", "Fuel log B7"],
        "lines": [
            { "category": "PERSONNEL_REGULAR", "description": "Rosa Delgado, 24 h", "hours": "24", "rate": "48.50" },
            { "category": "PERSONNEL_OVERTIME", "description": "Rosa Delgado, 10 h OT", "hours": "10", "rate": "72.75" },
            { "category": "EQUIPMENT", "description": "Rescue boat UCSO-B7, 37.5 h", "hours": "37.5", "rate": "85.00",
              "furnishedDeduction": "212.40", "insuranceProceeds": "100" },
            { "category": "LODGING_AND_PER_DIEM", "description": "Per diem, 2 persons x 3 days", "actualCost": "414.00" }
        ] } })
}

fn committee(app: &TestApp, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            app.token(&format!("smaa-committee-{i}"), None, &["COMMITTEE_MEMBER"], &[seed("compact", "utah-smaa")])
        })
        .collect()
}

#[tokio::test]
async fn a_utah_claim_goes_through_dispute_escalation_hearing_decision_and_final_payment() {
    let (app, clock) = app_at(start()).await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    assert_eq!(claim["status"], "OPEN");
    assert_eq!(
        claim["deadlines"],
        json!([{ "kind": "NOTICE_OF_INTENT", "dueAt": "2026-12-21T15:00:00Z", "status": "PENDING" },
               { "kind": "REQUEST_PACKAGE", "dueAt": "2027-01-20T15:00:00Z", "status": "PENDING" }]),
        "Utah: 30 and 60 days after assistance ends"
    );
    let id = json!({ "input": { "claimId": claim["id"] } });

    clock.advance(Duration::days(5));
    let noticed = app
        .ok(&utco, NOTICE, json!({ "input": { "claimId": claim["id"], "summaryOfServices": "Swiftwater rescue team, 3 days",
            "financialContactName": "Pat Oyelaran", "financialContactEmail": "poyelaran@finance.utahcounty.example.gov" } }))
        .await;
    let deadlines = &noticed["fileNoticeOfIntent"]["claim"]["deadlines"];
    assert!(
        deadlines
            .as_array()
            .unwrap()
            .contains(&json!({ "kind": "PAYMENT", "dueAt": "2026-12-26T15:00:00Z", "status": "PENDING" })),
        "Utah pays within 30 days of the notice: {deadlines}"
    );
    app.ok(&slco, ACK, id.clone()).await;
    let submitted = app.ok(&utco, PACKAGE, package(&claim)).await;
    let lines = submitted["submitClaimPackage"]["claim"]["invoiceLines"].clone();
    assert_eq!(lines[2]["amount"], "2875.10", "37.5 h x 85.00 less 212.40 fuel and 100 insurance");
    assert_eq!(
        submitted["submitClaimPackage"]["claim"]["totals"]["claimed"], "5180.60",
        "1164.00 + 727.50 + 2875.10 + 414.00"
    );

    // The requesting party approves all but the overtime line, which it approves at half.
    let approved = app
        .ok(&slco, APPROVE, json!({ "input": { "claimId": claim["id"], "partial": [{ "lineId": lines[1]["id"], "approvedAmount": "363.75" }] } }))
        .await;
    assert_eq!(approved["approveClaim"]["claim"]["totals"], json!({ "approved": "4816.85", "outstanding": "4816.85" }));
    let paid = app
        .ok(&slco, PAY, json!({ "input": { "claimId": claim["id"], "amount": "3000.00", "reference": "CHK 20417" } }))
        .await;
    assert_eq!(paid["recordPayment"]["claim"]["status"], "APPROVED");
    assert_eq!(paid["recordPayment"]["claim"]["totals"], json!({ "paid": "3000.00", "outstanding": "1816.85" }));
    app.fails(Some(&slco), PAY, json!({ "input": { "claimId": claim["id"], "amount": "9999" } }), "BAD_USER_INPUT")
        .await;

    // Utah County disputes the cut overtime; the payment clock is suspended by the notice of dispute.
    let filed = app
        .ok(
            &utco,
            DISPUTE,
            json!({ "input": { "claimId": claim["id"], "reasons": "Overtime was ordered by the incident commander",
            "items": [{ "lineId": lines[1]["id"], "reason": "ICS 214 shows the assignment" }] } }),
        )
        .await;
    let dispute = filed["fileDispute"]["dispute"]["id"].clone();
    let mut windows: Vec<Value> = filed["fileDispute"]["dispute"]["deadlines"].as_array().unwrap().clone();
    windows.sort_by_key(|d| d["kind"].as_str().unwrap().to_owned());
    assert_eq!(
        windows,
        [
            json!({ "kind": "DISPUTE_NEGOTIATION", "dueAt": "2026-12-26T15:00:00Z" }),
            json!({ "kind": "ESCALATION", "dueAt": "2027-03-26T15:00:00Z" })
        ]
    );
    let escalate = json!({ "input": { "disputeId": dispute, "narrative": "Form 110: overtime ordered by the IC" } });
    let body = app.fails(Some(&utco), ESCALATE, escalate.clone(), "INVALID_TRANSITION").await;
    assert!(
        body["errors"][0]["extensions"]["currentStatus"].as_str().unwrap().contains("negotiation until 2027-02-24")
    );

    // 90 days without resolution: the scheduler marks the negotiation period missed, nothing is forfeited.
    clock.advance(Duration::days(91));
    let report = tick(&app, &clock).await;
    assert_eq!(report.forfeited, 0);
    let escalated = app.ok(&utco, ESCALATE, escalate).await;
    assert_eq!(escalated["escalateDispute"]["dispute"]["status"], "ESCALATED");

    // The committee: only this compact's members see it, only the quorum votes, a party never does.
    let other = app.token("aacog-committee", None, &["COMMITTEE_MEMBER"], &[seed("compact", "aacog-rma")]);
    let (_, body) = app
        .gql(
            Some(&other),
            "query ($id: ID!) { dispute(id: $id) { id } claim(id: $c) { id } }".replace("$c", "$id").as_str(),
            json!({ "id": dispute }),
        )
        .await;
    assert_eq!(body["data"]["dispute"], Value::Null);
    let members = committee(&app, 9);
    let quorum: Vec<String> = (1..=7).map(|i| format!("smaa-committee-{i}")).collect();
    let hearing_at = (api::clock::Clock::now(&clock) + Duration::days(20)).to_rfc3339();
    let schedule = json!({ "input": { "disputeId": dispute, "hearingAt": hearing_at, "quorum": quorum } });
    app.fails(Some(&other), SCHEDULE, schedule.clone(), "NOT_FOUND").await;
    let six = json!({ "input": { "disputeId": dispute, "hearingAt": hearing_at, "quorum": quorum[..6] } });
    app.fails(Some(&members[0]), SCHEDULE, six, "BAD_USER_INPUT").await;
    // The quorum is drawn from the roster: a member from a party is recused, a stranger or an expired term is not
    // on it, and a recused member cannot schedule either.
    let admin = app.admin();
    let seat = "mutation ($input: AddCommitteeMemberInput!) { addCommitteeMember(input: $input) { committeeMember { subject } } }";
    app.ok(
        &admin,
        seat,
        json!({ "input": { "compactId": seed("compact", "utah-smaa"), "subject": "slco-committee",
        "name": "Member from Salt Lake County", "jurisdictionId": seed("jurisdiction", "salt-lake-county"),
        "termStartsOn": "2026-01-01" } }),
    )
    .await;
    app.ok(
        &admin,
        seat,
        json!({ "input": { "compactId": seed("compact", "utah-smaa"), "subject": "former-committee",
        "name": "Former member", "termStartsOn": "2023-01-01", "termEndsOn": "2026-01-31" } }),
    )
    .await;
    for (outsider, why) in [("slco-committee", "recused"), ("stranger", "roster"), ("former-committee", "term")] {
        let mut named = quorum.clone();
        named[6] = outsider.to_owned();
        let body = app
            .fails(
                Some(&members[0]),
                SCHEDULE,
                json!({ "input": { "disputeId": dispute, "hearingAt": hearing_at, "quorum": named } }),
                "BAD_USER_INPUT",
            )
            .await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(why), "{outsider}: {body}");
    }
    let recused = app.token("slco-committee", None, &["COMMITTEE_MEMBER"], &[seed("compact", "utah-smaa")]);
    app.fails(Some(&recused), SCHEDULE, schedule.clone(), "FORBIDDEN").await;
    let scheduled = app.ok(&members[0], SCHEDULE, schedule).await;
    assert_eq!(scheduled["scheduleHearing"]["dispute"]["status"], "HEARING_SCHEDULED");
    // Both parties are told of the hearing.
    let told = "{ notifications(first: 5) { edges { node { topic title } } } }";
    for party in [&slco, &utco] {
        let mine = app.ok(party, told, json!({})).await;
        let newest = &mine["notifications"]["edges"][0]["node"];
        assert_eq!(newest["topic"], "HEARING_SCHEDULED", "{mine}");
        assert!(newest["title"].as_str().unwrap().starts_with("A committee hearing is scheduled for"), "{mine}");
    }
    let file = app
        .ok(
            &members[8],
            "query ($id: ID!) { dispute(id: $id) { reasons escalationNarrative } }",
            json!({ "id": dispute }),
        )
        .await;
    assert_eq!(file["dispute"]["escalationNarrative"], "Form 110: overtime ordered by the IC", "the whole file");
    let whole = app.ok(&members[8], "query ($id: ID!) { claim(id: $id) { invoiceLines { amount } payments { amount } agreement { amendments { number } request { missionNumber } } } }", json!({ "id": claim["id"] })).await;
    assert_eq!(whole["claim"]["payments"], json!([{ "amount": "3000.00" }]));

    let vote = |v: &str| json!({ "input": { "disputeId": dispute, "vote": v } });
    app.fails(Some(&members[0]), VOTE, vote("FOR_ASSISTING_PARTY"), "INVALID_TRANSITION").await;
    clock.advance(Duration::days(20));
    app.fails(Some(&utco), VOTE, vote("FOR_ASSISTING_PARTY"), "FORBIDDEN").await;
    app.fails(Some(&members[8]), VOTE, vote("FOR_ASSISTING_PARTY"), "FORBIDDEN").await;
    for (i, side) in
        ["FOR_ASSISTING_PARTY", "FOR_ASSISTING_PARTY", "FOR_REQUESTING_PARTY", "FOR_ASSISTING_PARTY"].iter().enumerate()
    {
        app.ok(&members[i], VOTE, vote(side)).await;
    }
    app.fails(Some(&members[0]), VOTE, vote("FOR_REQUESTING_PARTY"), "CONFLICT").await;
    let decide = json!({ "input": { "disputeId": dispute, "findings": "The IC ordered the overtime (ICS 214 of 11/22).",
        "reasons": "Overtime ordered by the requesting party is reimbursable under R704-2-10.", "awardedAmount": "5180.60" } });
    let body = app.fails(Some(&members[0]), DECIDE, decide.clone(), "INVALID_TRANSITION").await;
    assert!(
        body["errors"][0]["extensions"]["currentStatus"].as_str().unwrap().contains("without a majority"),
        "3 of 7 is no majority"
    );
    for (i, member) in members.iter().enumerate().take(7).skip(4) {
        app.ok(member, VOTE, vote(if i == 6 { "FOR_REQUESTING_PARTY" } else { "FOR_ASSISTING_PARTY" })).await;
    }
    // Only the quorum decides, and the award stays within the disputed amount, on the majority's side.
    app.fails(Some(&members[8]), DECIDE, decide.clone(), "FORBIDDEN").await;
    for (amount, why) in [("6000.00", "at most 5180.60"), ("4816.85", "above 4816.85")] {
        let mut wrong = decide.clone();
        wrong["input"]["awardedAmount"] = json!(amount);
        let body = app.fails(Some(&members[1]), DECIDE, wrong, "BAD_USER_INPUT").await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(why), "{amount}: {body}");
    }
    let decided = app.ok(&members[1], DECIDE, decide).await;
    assert_eq!(
        decided["issueCommitteeDecision"]["dispute"],
        json!({ "status": "DECIDED", "outcome": "FOR_ASSISTING_PARTY", "awardedAmount": "5180.60" })
    );

    // The claim follows the decision: the payment clock the notice of dispute suspended starts again, the
    // compact's 30 days from the decision; the rest is paid and the claim is closed.
    let state = app.ok(&slco, CLAIM, json!({ "id": claim["id"] })).await;
    assert_eq!(state["claim"]["status"], "DECIDED");
    let payment = payment_deadline(&state);
    assert_eq!(payment["status"], "PENDING", "{payment}");
    let decided_at = app.state.clock.now();
    assert_eq!(
        payment["dueAt"],
        json!((decided_at + Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    );
    assert_eq!(state["claim"]["totals"]["outstanding"], "2180.60");
    let paid = app
        .ok(&slco, PAY, json!({ "input": { "claimId": claim["id"], "amount": "2180.60", "reference": "CHK 20988" } }))
        .await;
    assert_eq!(paid["recordPayment"]["claim"]["status"], "PAID");
    let state = app.ok(&utco, CLAIM, json!({ "id": claim["id"] })).await;
    let c = &state["claim"];
    assert_eq!(
        c["totals"],
        json!({ "claimed": "5180.60", "waived": "0.00", "approved": "5180.60", "paid": "5180.60", "outstanding": "0.00" })
    );
    assert_eq!(c["disputes"][0]["votes"].as_array().unwrap().len(), 7);
    let personnel = c["estimateAgainstActual"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "PERSONNEL_REGULAR")
        .unwrap()
        .clone();
    assert_eq!(
        personnel,
        json!({ "category": "PERSONNEL_REGULAR", "estimated": "18400.00", "actual": "1164.00", "difference": "-17236.00" })
    );
    let actions: Vec<&str> =
        c["history"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "OPENED",
            "NOTICE_FILED",
            "NOTICE_ACKNOWLEDGED",
            "PACKAGE_SUBMITTED",
            "APPROVED",
            "PAYMENT_RECORDED",
            "DISPUTED",
            "ESCALATED",
            "HEARING_SCHEDULED",
            "DECIDED",
            "PAID_IN_FULL"
        ]
    );
    let kinds: Vec<String> = c["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{} {}", d["kind"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, ["NOTICE_OF_INTENT MET", "REQUEST_PACKAGE MET", "PAYMENT MET"]);

    // Every status this walk recorded, for every kind of record (disputes, deadlines, memberships, incidents
    // included), is one `Event.fromState` and `toState` can give typed.
    use sea_orm::EntityTrait;
    let events = entities::event::Entity::find().all(&app.state.db).await.unwrap();
    let mut typed = std::collections::BTreeSet::new();
    for e in &events {
        for status in [&e.from_status, &e.to_status] {
            let state = api::graphql::types::RecordState::of(&e.record_type, status.as_deref());
            assert!(state.is_ok(), "{} {status:?}: {:?}", e.record_type, state.err().map(|e| e.message));
            if status.is_some() {
                typed.insert(e.record_type.clone());
            }
        }
    }
    assert!(typed.len() >= 6, "{typed:?}");
}

#[tokio::test]
async fn a_missed_notice_forfeits_a_utah_claim_and_keeps_the_record() {
    let (app, clock) = app_at(start()).await;
    let utco = rep(&app, "utah-county");
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    clock.advance(Duration::days(27));
    let report = tick(&app, &clock).await;
    assert_eq!((report.reminded, report.missed), (1, 0), "72 hours before the notice is due: {report:?}");
    assert_eq!(tick(&app, &clock).await.reminded, 0, "a reminder goes out once");
    clock.advance(Duration::days(4));
    let report = tick(&app, &clock).await;
    assert_eq!((report.missed, report.forfeited), (1, 1), "{report:?}");
    assert_eq!(tick(&app, &clock).await, api::scheduler::TickReport::default(), "applied once");
    let state = app.ok(&utco, CLAIM, json!({ "id": claim["id"] })).await;
    assert_eq!(state["claim"]["status"], "FORFEITED");
    assert!(
        state["claim"]["statusReason"].as_str().unwrap().contains("NOTICE_OF_INTENT was due at 2026-12-21T15:00:00")
    );
    let last = state["claim"]["history"]["edges"].as_array().unwrap().last().unwrap()["node"].clone();
    assert_eq!(
        last,
        json!({ "action": "FORFEITED", "fromStatus": "OPEN", "toStatus": "FORFEITED", "actor": { "subject": "system" } })
    );
    let body = app
        .fails(
            Some(&utco),
            NOTICE,
            json!({ "input": { "claimId": claim["id"], "summaryOfServices": "late", "financialContactName": "Pat" } }),
            "INVALID_TRANSITION",
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "FORFEITED");
    let reminders = app
        .ok(
            &utco,
            "{ deadlines(filter: { kinds: [NOTICE_OF_INTENT] }) { edges { node { status history: recordId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(reminders["deadlines"]["edges"][0]["node"]["status"], "MISSED");
}

#[tokio::test]
async fn an_itemized_waiver_within_the_window_and_a_late_one_refused() {
    let (app, clock) = app_at(start()).await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    app.ok(
        &utco,
        NOTICE,
        json!({ "input": { "claimId": claim["id"], "summaryOfServices": "Rescue", "financialContactName": "Pat" } }),
    )
    .await;
    let lines = app.ok(&utco, PACKAGE, package(&claim)).await["submitClaimPackage"]["claim"]["invoiceLines"].clone();
    app.fails(Some(&slco), WAIVE, json!({ "input": { "claimId": claim["id"], "statement": "x" } }), "FORBIDDEN").await;
    let waived = app
        .ok(&utco, WAIVE, json!({ "input": { "claimId": claim["id"], "lineIds": [lines[3]["id"]], "statement": "We waive per diem for this mission." } }))
        .await;
    let c = &waived["waiveReimbursement"]["claim"];
    assert_eq!(c["status"], "SUBMITTED");
    assert_eq!(c["totals"], json!({ "claimed": "4766.60", "waived": "414.00" }));
    assert_eq!(c["invoiceLines"][3]["waived"], true);
    let history = app
        .ok(
            &slco,
            "query ($id: ID!) { claim(id: $id) { history(first: 50) { edges { node { action payload } } } } }",
            json!({ "id": claim["id"] }),
        )
        .await;
    let edges = history["claim"]["history"]["edges"].as_array().unwrap();
    let items = edges.iter().find(|e| e["node"]["action"] == "ITEMS_WAIVED").unwrap();
    assert_eq!(
        items["node"]["payload"]["items"][0]["description"], "Per diem, 2 persons x 3 days",
        "the waiver specifies each item"
    );
    assert!(
        edges.iter().any(|e| e["node"]["action"] == "WAIVER_COPIED_TO_COORDINATOR"),
        "Utah: copy to the SMAA coordinator"
    );
    let coordinator =
        app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[seed("compact", "utah-smaa")]);
    let seen = app
        .ok(&coordinator, "query ($id: ID!) { claim(id: $id) { totals { waived } } }", json!({ "id": claim["id"] }))
        .await;
    assert_eq!(seen["claim"]["totals"]["waived"], "414.00");
    clock.advance(Duration::days(91));
    let body = app
        .fails(
            Some(&utco),
            WAIVE,
            json!({ "input": { "claimId": claim["id"], "statement": "All of it" } }),
            "DEADLINE_PASSED",
        )
        .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("90 days"));
    // A donated offer opens its claim already waived.
    let donated = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", true).await;
    assert_eq!(donated["status"], "WAIVED");
    assert_eq!(donated["deadlines"], json!([]));
}

#[tokio::test]
async fn an_aacog_claim_follows_its_own_10_30_60_day_rules_and_is_never_forfeited() {
    let (app, clock) = app_at(start()).await;
    let (bexar, san_antonio) = (rep(&app, "bexar-county"), rep(&app, "san-antonio"));
    let claim = returned(&app, "bexar-county", "san-antonio", "aacog-rma", false).await;
    assert_eq!(
        claim["deadlines"],
        json!([{ "kind": "NOTICE_OF_INTENT", "dueAt": "2026-12-01T15:00:00Z", "status": "PENDING" },
               { "kind": "REQUEST_PACKAGE", "dueAt": "2026-12-21T15:00:00Z", "status": "PENDING" },
               // The agreement's own limit (7E: bill within 60 days), beside the guidebook's 30-day package.
               { "kind": "BILLING_LIMIT", "dueAt": "2027-01-20T15:00:00Z", "status": "PENDING" }])
    );
    clock.advance(Duration::days(12));
    let report = tick(&app, &clock).await;
    assert_eq!((report.forfeited, report.flagged), (0, 1), "AACOG flags, it does not forfeit: {report:?}");
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    assert_eq!((state["claim"]["status"].as_str(), state["claim"]["overdue"].as_bool()), (Some("OPEN"), Some(true)));
    let overdue = app.ok(&bexar, "{ claims(filter: { overdueOnly: true }) { totalCount } }", json!({})).await;
    assert_eq!(overdue["claims"]["totalCount"], 1);

    let late = app.ok(&san_antonio, NOTICE, json!({ "input": { "claimId": claim["id"], "summaryOfServices": "One wildland engine", "financialContactName": "R. Salinas" } })).await;
    let notice = late["fileNoticeOfIntent"]["claim"]["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "NOTICE_OF_INTENT")
        .unwrap()
        .clone();
    assert_eq!(notice["status"], "MISSED", "accepted late, recorded late");
    clock.advance(Duration::days(3));
    let package = json!({ "input": { "claimId": claim["id"], "coverSummary": "Engine 51",
        "lines": [{ "category": "EQUIPMENT", "description": "Type 3 engine, 20 h", "hours": "20", "rate": "95" }] } });
    let submitted = app.ok(&san_antonio, PACKAGE, package).await;
    assert_eq!(submitted["submitClaimPackage"]["claim"]["status"], "SUBMITTED");
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    let payment =
        state["claim"]["deadlines"].as_array().unwrap().iter().find(|d| d["kind"] == "PAYMENT").unwrap().clone();
    assert_eq!(payment["dueAt"], "2027-02-04T15:00:00Z", "AACOG: 60 days from the statement of 2026-12-06");
    // The package met the 60-day billing limit.
    let limit =
        state["claim"]["deadlines"].as_array().unwrap().iter().find(|d| d["kind"] == "BILLING_LIMIT").unwrap().clone();
    assert_eq!(limit["status"], "MET", "{limit}");
    // AACOG has no committee: a dispute stays between the parties.
    let dispute = app
        .ok(&bexar, DISPUTE, json!({ "input": { "claimId": claim["id"], "reasons": "Hours", "items": [{ "reason": "Engine released at 16 h" }] } }))
        .await["fileDispute"]["dispute"]["id"].clone();
    clock.advance(Duration::days(120));
    let body = app
        .fails(
            Some(&bexar),
            ESCALATE,
            json!({ "input": { "disputeId": dispute, "narrative": "x" } }),
            "INVALID_TRANSITION",
        )
        .await;
    assert!(body["errors"][0]["extensions"]["currentStatus"].as_str().unwrap().contains("without a dispute committee"));
    let resolved = app
        .ok(&san_antonio, "mutation ($input: ResolveDisputeInput!) { resolveDispute(input: $input) { dispute { status awardedAmount } } }",
            json!({ "input": { "disputeId": dispute, "resolution": "16 hours agreed", "agreedAmount": "1520.00" } }))
        .await;
    assert_eq!(resolved["resolveDispute"]["dispute"]["status"], "RESOLVED");
    // The resolution starts the suspended payment clock again.
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    assert_eq!(payment_deadline(&state)["status"], "PENDING", "{state}");
    let paid = app.ok(&bexar, PAY, json!({ "input": { "claimId": claim["id"], "amount": "1520.00" } })).await;
    assert_eq!(paid["recordPayment"]["claim"]["status"], "PAID");
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    assert_eq!(payment_deadline(&state)["status"], "MET", "{state}");
}

#[tokio::test]
async fn every_claim_mutation_refuses_the_unentitled() {
    let (app, _clock) = app_at(start()).await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let davis = rep(&app, "davis-county");
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);
    let committee_member = committee(&app, 1).remove(0);
    let other_committee = app.token("aacog-committee", None, &["COMMITTEE_MEMBER"], &[seed("compact", "aacog-rma")]);
    let observer = app.token("dashboard", None, &["OBSERVER"], &[utah]);
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let cid = claim["id"].clone();
    let step = json!({ "input": { "claimId": cid, "note": "x" } });
    // (mutation, variables, who may, refusals as (token, code))
    type Refusals<'a> = Vec<(&'a String, &'static str)>;
    let cases: Vec<(&str, Value, Refusals)> = vec![
        (
            NOTICE,
            json!({ "input": { "claimId": cid, "summaryOfServices": "x", "financialContactName": "x" } }),
            vec![
                (&slco, "FORBIDDEN"),
                (&davis, "NOT_FOUND"),
                (&coordinator, "FORBIDDEN"),
                (&committee_member, "FORBIDDEN"),
                (&observer, "FORBIDDEN"),
            ],
        ),
        (ACK, step.clone(), vec![(&utco, "FORBIDDEN"), (&davis, "NOT_FOUND"), (&coordinator, "FORBIDDEN")]),
        (PACKAGE, package(&claim), vec![(&slco, "FORBIDDEN"), (&davis, "NOT_FOUND"), (&other_committee, "FORBIDDEN")]),
        (
            "mutation ($input: ClaimStepInput!) { requestClaimDocumentation(input: $input) { claim { id } } }",
            step.clone(),
            vec![(&utco, "FORBIDDEN"), (&davis, "NOT_FOUND")],
        ),
        (
            APPROVE,
            json!({ "input": { "claimId": cid } }),
            vec![(&utco, "FORBIDDEN"), (&davis, "NOT_FOUND"), (&coordinator, "FORBIDDEN")],
        ),
        (
            PAY,
            json!({ "input": { "claimId": cid, "amount": "1" } }),
            vec![(&utco, "FORBIDDEN"), (&davis, "NOT_FOUND"), (&observer, "FORBIDDEN")],
        ),
        (
            WAIVE,
            json!({ "input": { "claimId": cid, "statement": "x" } }),
            vec![(&slco, "FORBIDDEN"), (&davis, "NOT_FOUND"), (&coordinator, "FORBIDDEN")],
        ),
        (
            "mutation ($input: ClaimStepInput!) { withdrawClaim(input: $input) { claim { id } } }",
            step.clone(),
            vec![(&slco, "FORBIDDEN"), (&davis, "NOT_FOUND")],
        ),
        (
            DISPUTE,
            json!({ "input": { "claimId": cid, "reasons": "x", "items": [{ "reason": "x" }] } }),
            vec![
                (&davis, "NOT_FOUND"),
                (&coordinator, "FORBIDDEN"),
                (&committee_member, "FORBIDDEN"),
                (&observer, "FORBIDDEN"),
            ],
        ),
    ];
    let before = app.event_count().await;
    for (query, variables, refusals) in &cases {
        app.fails(None, query, variables.clone(), "UNAUTHENTICATED").await;
        for (token, code) in refusals {
            let body = app.fails(Some(token), query, variables.clone(), code).await;
            assert_eq!(codes(&body).len(), 1, "{body}");
        }
    }
    assert_eq!(app.event_count().await, before, "no refused mutation wrote anything");
    // A committee member does not see a claim before it is escalated; a party never votes.
    let (_, body) =
        app.gql(Some(&committee_member), "query ($id: ID!) { claim(id: $id) { id } }", json!({ "id": cid })).await;
    assert_eq!(body["data"]["claim"], Value::Null);
    let listed = app.ok(&committee_member, "{ claims { totalCount } }", json!({})).await;
    assert_eq!(listed["claims"]["totalCount"], 0);
    let coordinated = app.ok(&coordinator, "{ claims { totalCount } }", json!({})).await;
    assert_eq!(coordinated["claims"]["totalCount"], 1);
    for token in [&slco, &utco] {
        app.fails(
            Some(token),
            VOTE,
            json!({ "input": { "disputeId": cid, "vote": "FOR_ASSISTING_PARTY" } }),
            "FORBIDDEN",
        )
        .await;
        app.fails(
            Some(token),
            SCHEDULE,
            json!({ "input": { "disputeId": cid, "hearingAt": "2027-01-01T00:00:00Z", "quorum": ["a"] } }),
            "FORBIDDEN",
        )
        .await;
    }
}

#[tokio::test]
async fn dashboard_totals_match_a_hand_computed_fixture_and_narrow_to_an_incident() {
    let (app, clock) = app_at(start()).await;
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);
    let (slco, utco, davis) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"), rep(&app, "davis-county"));

    // Mission A, on the Emigration Creek flood: returned, so its claim exists (no package yet).
    let claim_a = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    assert_eq!(claim_a["status"], "OPEN", "{claim_a}");
    // Mission B, on a second incident declared orally: accepted, no claim yet; Davis County's offer is not accepted.
    let declared = app
        .ok(&slco, "mutation ($input: DeclareIncidentInput!) { declareIncident(input: $input) { incident { id } } }",
            json!({ "input": { "name": "Parleys Creek Flood", "kind": "DISASTER", "compactId": utah, "declarationForm": "ORAL" } }))
        .await;
    let incident_b = declared["declareIncident"]["incident"]["id"].clone();
    let mut input = utah_request();
    input["input"]["incidentId"] = incident_b.clone();
    let request_b = app.ok(&slco, CREATE, input).await["createResourceRequest"]["resourceRequest"].clone();
    app.ok(&slco, SUBMIT, json!({ "input": { "requestId": request_b["id"] } })).await;
    app.ok(&slco, CONFIRM, json!({ "input": { "requestId": request_b["id"] } })).await;
    app.ok(
        &coordinator,
        MISSION,
        json!({ "input": { "requestId": request_b["id"], "missionNumber": "UT-B",
        "recipientIds": [seed("jurisdiction", "utah-county"), seed("jurisdiction", "davis-county")] } }),
    )
    .await;
    let offer_b = app.ok(&utco, OFFER, offer_input(&request_b, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    app.ok(&davis, OFFER, offer_input(&request_b, &[(1, 2)])).await;
    app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer_b } })).await;
    clock.advance(Duration::days(10));

    let dashboard = r#"query ($incident: ID) { dashboard(incidentId: $incident) {
        requestsByStatus { status count } overdueDeadlines
        amountsByCompact { compact { shortName } estimated invoiced paid outstanding } } }"#;
    let all = app.ok(&coordinator, dashboard, json!({})).await["dashboard"].clone();
    let a = app
        .ok(&coordinator, dashboard, json!({ "incident": seed("incident", "emigration-creek-flood-2026") }))
        .await["dashboard"]
        .clone();
    let b = app.ok(&coordinator, dashboard, json!({ "incident": incident_b })).await["dashboard"].clone();
    // Each accepted offer estimates 18,400.00 + 6,210.50 + 3,500.00 = 28,110.50; Davis County's is not accepted.
    let amounts = |estimated: &str| {
        json!([{ "compact": { "shortName": "Utah SMAA" }, "estimated": estimated,
        "invoiced": "0.00", "paid": "0.00", "outstanding": "0.00" }])
    };
    assert_eq!(all["amountsByCompact"], amounts("56221.00"), "an agreement without a claim is estimated too");
    assert_eq!(a["amountsByCompact"], amounts("28110.50"));
    assert_eq!(b["amountsByCompact"], amounts("28110.50"));
    assert_eq!(all["requestsByStatus"], json!([{ "status": "OPEN", "count": 2 }]));
    assert_eq!(b["requestsByStatus"], json!([{ "status": "OPEN", "count": 1 }]));
    // Incident B owes one thing: its written declaration, due a day after the oral one. Every Utah deadline belongs
    // to one of the two incidents, so the narrowed counts add up to the whole.
    assert_eq!(b["overdueDeadlines"], 1, "{b}");
    assert!(a["overdueDeadlines"].as_u64().unwrap() >= 1, "{a}");
    assert_eq!(
        all["overdueDeadlines"].as_u64().unwrap(),
        a["overdueDeadlines"].as_u64().unwrap() + b["overdueDeadlines"].as_u64().unwrap()
    );
    // Davis County sees only its own offer's request: no agreement, no claim, no amounts.
    let davis_view = app.ok(&davis, dashboard, json!({})).await["dashboard"].clone();
    assert_eq!(davis_view["amountsByCompact"], json!([]));
}

#[tokio::test]
async fn every_event_status_is_also_given_typed_by_its_record() {
    let (app, _clock) = app_at(start()).await;
    let slco = rep(&app, "salt-lake-county");
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let states = "fromStatus toStatus
        fromState { __typename ...S } toState { __typename ...S }";
    let fragment = "fragment S on RecordState { ... on RequestState { status } ... on OfferState { status }
        ... on AgreementState { status } ... on DeploymentState { status } ... on ClaimState { status } }";
    let query = format!(
        "query ($id: ID!) {{ claim(id: $id) {{ history(first: 50) {{ edges {{ node {{ {states} }} }} }}
           agreement {{ history(first: 50) {{ edges {{ node {{ {states} }} }} }}
             offer {{ history(first: 50) {{ edges {{ node {{ {states} }} }} }} }}
             request {{ history(first: 50) {{ edges {{ node {{ {states} }} }} }} }}
             deployment {{ history(first: 50) {{ edges {{ node {{ {states} }} }} }} }} }} }} }} {fragment}"
    );
    let data = app.ok(&slco, &query, json!({ "id": claim["id"] })).await;
    let claim = &data["claim"];
    let agreement = &claim["agreement"];
    let mut checked = 0;
    for (history, typename) in [
        (&claim["history"], "ClaimState"),
        (&agreement["history"], "AgreementState"),
        (&agreement["offer"]["history"], "OfferState"),
        (&agreement["request"]["history"], "RequestState"),
        (&agreement["deployment"]["history"], "DeploymentState"),
    ] {
        for edge in history["edges"].as_array().unwrap() {
            let node = &edge["node"];
            for (text, typed) in [("fromStatus", "fromState"), ("toStatus", "toState")] {
                if node[text].is_null() {
                    assert!(node[typed].is_null(), "{node}");
                } else {
                    assert_eq!(node[typed]["__typename"], typename, "{node}");
                    assert_eq!(node[typed]["status"], node[text], "{node}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10, "{checked} statuses checked: {data}");
}

#[tokio::test]
async fn an_aacog_claim_never_billed_misses_the_agreements_60_day_limit_and_is_still_not_forfeited() {
    let (app, clock) = app_at(start()).await;
    let bexar = rep(&app, "bexar-county");
    let claim = returned(&app, "bexar-county", "san-antonio", "aacog-rma", false).await;
    clock.advance(Duration::days(59));
    tick(&app, &clock).await;
    let kinds = |state: &Value| -> Vec<String> {
        state["claim"]["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("{} {}", d["kind"].as_str().unwrap(), d["status"].as_str().unwrap()))
            .collect()
    };
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    assert!(kinds(&state).contains(&"BILLING_LIMIT PENDING".to_owned()), "{state}");
    clock.advance(Duration::days(2));
    let report = tick(&app, &clock).await;
    assert_eq!((report.missed, report.forfeited), (1, 0), "{report:?}");
    let state = app.ok(&bexar, CLAIM, json!({ "id": claim["id"] })).await;
    assert!(kinds(&state).contains(&"BILLING_LIMIT MISSED".to_owned()), "{state}");
    assert_eq!((state["claim"]["status"].as_str(), state["claim"]["overdue"].as_bool()), (Some("OPEN"), Some(true)));
}
