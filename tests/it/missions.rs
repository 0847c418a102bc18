//! The mission lifecycle end to end, walked through the API as the seed documents describe it: a Utah SMAA
//! mission (declaration, Form 101, mission number, offer, agreement, amendment, deployment, recall notice,
//! demobilization, return, after-action) and an AACOG RMA direct request (verbal request confirmed in writing,
//! Part II offer, Part III acceptance), plus the rules that must hold under concurrency.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{Options, TestApp, codes, seed};

pub const CREATE: &str = r#"mutation ($input: CreateResourceRequestInput!) {
  createResourceRequest(input: $input) { resourceRequest { id status requestNumber channel version lineItems { id quantity } } } }"#;
pub const SUBMIT: &str = r#"mutation ($input: RequestStepInput!) {
  submitResourceRequest(input: $input) { resourceRequest { id status version } } }"#;
pub const VERBAL: &str = r#"mutation ($input: RecordVerbalRequestInput!) {
  recordVerbalRequest(input: $input) { resourceRequest { id status verbal enteredByCoordinator lineItems { id }
    deadlines { kind dueAt status owedBy { name } } } } }"#;
pub const CONFIRM: &str = r#"mutation ($input: ConfirmRequestInWritingInput!) {
  confirmResourceRequestInWriting(input: $input) { resourceRequest { writtenConfirmedAt deadlines { kind status metAt } } } }"#;
pub const MISSION: &str = r#"mutation ($input: AssignMissionNumberInput!) {
  assignMissionNumber(input: $input) { resourceRequest { id status missionNumber recipients { name } } } }"#;
pub const OFFER: &str = r#"mutation ($input: MakeOfferInput!) {
  makeOffer(input: $input) { offer { id status costEstimateTotal personnel { name position } } } }"#;
pub const DECLINE: &str = r#"mutation ($input: DeclineResourceRequestInput!) {
  declineResourceRequest(input: $input) { offer { id status cannotProvideReason } } }"#;
pub const WITHDRAW: &str =
    r#"mutation ($input: OfferDecisionInput!) { withdrawOffer(input: $input) { offer { id status } } }"#;
pub const REJECT: &str =
    r#"mutation ($input: OfferDecisionInput!) { rejectOffer(input: $input) { offer { id status } } }"#;
pub const ACCEPT: &str = r#"mutation ($input: AcceptOfferInput!) {
  acceptOffer(input: $input) { offer { status } agreement { id status verbal deadlines { kind dueAt status } }
    deployment { id status } resourceRequest { status lineItems { quantity acceptedQuantity remainingQuantity } } } }"#;
pub const SIGN: &str = r#"mutation ($input: SignAgreementInput!) { signAgreement(input: $input) { agreement { status executedAt deadlines { kind status } } } }"#;
pub const PROPOSE: &str = r#"mutation ($input: ProposeAmendmentInput!) { proposeAmendment(input: $input) { amendment { id number status } } }"#;
pub const ACKNOWLEDGE: &str = r#"mutation ($input: AcknowledgeAmendmentInput!) { acknowledgeAmendment(input: $input) { amendment { number status acknowledgedBy } } }"#;
pub const PREPARE: &str = r#"mutation ($input: PrepareDeploymentInput!) { prepareDeployment(input: $input) { deployment { status readinessChecked communicationsChecked personnel { name } } } }"#;
pub const DEPART: &str = r#"mutation ($input: DeploymentStepInput!) { departDeployment(input: $input) { deployment { status departedAt } } }"#;
pub const ARRIVE: &str =
    r#"mutation ($input: DeploymentStepInput!) { recordArrival(input: $input) { deployment { status arrivedAt } } }"#;
pub const ASSIGN: &str = r#"mutation ($input: RecordAssignmentInput!) { recordAssignment(input: $input) { deployment { assignment location } } }"#;
pub const TIME: &str = r#"mutation ($input: RecordTimeInput!) { recordTime(input: $input) { timeRecords { kind subject regularHours overtimeHours } } }"#;
pub const RECALL: &str = r#"mutation ($input: GiveRecallNoticeInput!) { giveRecallNotice(input: $input) { deployment { status recallNoticedAt recallEffectiveAt } } }"#;
pub const RELEASE: &str = r#"mutation ($input: ReleaseDeploymentInput!) { releaseDeployment(input: $input) { deployment { status releasedAt debriefed } } }"#;
pub const RETURN: &str =
    r#"mutation ($input: DeploymentStepInput!) { recordReturn(input: $input) { deployment { status returnedAt } } }"#;
pub const CLOSE_DEPLOYMENT: &str =
    r#"mutation ($input: DeploymentStepInput!) { closeDeployment(input: $input) { deployment { status } } }"#;
pub const AFTER_ACTION: &str = r#"mutation ($input: FileAfterActionReportInput!) { fileAfterActionReport(input: $input) { agreement { afterActionFiledAt deadlines { kind status } } } }"#;
pub const CLOSE_REQUEST: &str = r#"mutation ($input: RequestStepInput!) { closeResourceRequest(input: $input) { resourceRequest { status closedAt } } }"#;
pub const CANCEL_REQUEST: &str =
    r#"mutation ($input: RequestStepInput!) { cancelResourceRequest(input: $input) { resourceRequest { status } } }"#;
pub const INVENTORY: &str = r#"mutation ($input: SetInventoryInput!) { setInventory(input: $input) { inventoryItem { id quantityHeld quantityAvailable } } }"#;
pub const DOCUMENT: &str =
    r#"mutation ($input: RecordDocumentInput!) { recordDocument(input: $input) { document { id kind filedBy } } }"#;

pub fn rep(app: &TestApp, key: &str) -> String {
    app.token(&crate::support::rep_subject(key), Some(seed("jurisdiction", key)), &["AUTHORIZED_REPRESENTATIVE"], &[])
}

pub fn swiftwater() -> Uuid {
    seed("resource-type", "swiftwater-flood-sar-team-2")
}

pub fn pump() -> Uuid {
    seed("resource-type", "portable-pump-2")
}

/// A Form 101 for the Emigration Creek flood: two swiftwater teams and four pumps.
pub fn utah_request() -> Value {
    json!({ "input": {
        "compactId": seed("compact", "utah-smaa"),
        "incidentId": seed("incident", "emigration-creek-flood-2026"),
        "priority": "URGENT",
        "description": "Swiftwater rescue and dewatering on the east bench",
        "supportFunctions": ["ESF-9 Search and Rescue", "ESF-3 Public Works"],
        "stagingLocation": "Liberty Park north lot, 600 E 900 S",
        "stagingContactName": "Staging Manager Ortiz", "stagingContactPhone": "385-555-0118",
        "selfSufficiencyHours": 72,
        "lineItems": [
            { "resourceTypeId": swiftwater(), "quantity": 2, "estimatedDurationHours": 72 },
            { "resourceTypeId": pump(), "quantity": 4, "estimatedDurationHours": 120 }
        ]
    } })
}

pub fn offer_input(request: &Value, lines: &[(usize, i64)]) -> Value {
    let items = request["lineItems"].as_array().unwrap();
    json!({ "input": {
        "requestId": request["id"],
        "lines": lines.iter().map(|(i, q)| json!({ "lineItemId": items[*i]["id"], "quantity": q })).collect::<Vec<_>>(),
        "personnel": [
            { "name": "Rosa Delgado", "position": "Swiftwater Team Leader" },
            { "name": "Ken Albrecht", "position": "Swiftwater Technician" }
        ],
        "equipment": [{ "description": "Inflatable rescue boat", "quantity": 2, "identifier": "UCSO-B7" }],
        "arrivalPlace": "Liberty Park north lot",
        "estimatedArrivalAt": "2026-11-21T20:00:00Z",
        "costEstimate": [
            { "category": "PERSONNEL_REGULAR", "amount": "18400.00" },
            { "category": "PERSONNEL_OVERTIME", "amount": "6210.50" },
            { "category": "EQUIPMENT", "amount": "3500" }
        ]
    } })
}

fn step(id: &Value) -> Value {
    json!({ "input": { "deploymentId": id } })
}

async fn actions(app: &TestApp, token: &str, query: &str, id: &Value) -> Vec<String> {
    let data = app.ok(token, query, json!({ "id": id })).await;
    let record = data.as_object().unwrap().values().next().unwrap();
    record["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_utah_smaa_mission_from_declaration_to_after_action() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let slco = rep(&app, "salt-lake-county");
    let utco = rep(&app, "utah-county");
    let davis = rep(&app, "davis-county");
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);

    // The county declares orally; the written declaration falls due in 24 hours.
    let declared = app
        .ok(&slco, "mutation ($input: DeclareIncidentInput!) { declareIncident(input: $input) { incident { id writtenDeclarationDueAt } } }",
            json!({ "input": { "name": "Parleys Creek Flood", "kind": "DISASTER", "compactId": utah, "declarationForm": "ORAL",
                               "latitude": 40.7130, "longitude": -111.8100 } }))
        .await;
    let incident = declared["declareIncident"]["incident"]["id"].clone();
    assert_eq!(declared["declareIncident"]["incident"]["writtenDeclarationDueAt"], "2026-11-22T15:00:00Z");

    // Inventory (Form 106): Utah County holds swiftwater teams and pumps; Davis County holds pumps too.
    for (token, type_id, held, available) in
        [(&utco, swiftwater(), 3, 2), (&utco, pump(), 10, 6), (&davis, pump(), 4, 4)]
    {
        app.ok(
            token,
            INVENTORY,
            json!({ "input": { "resourceTypeId": type_id, "quantityHeld": held, "quantityAvailable": available } }),
        )
        .await;
    }

    // Form 101, submitted in writing: the SMAA is coordinated, so it waits for a mission number.
    let mut request_input = utah_request();
    request_input["input"]["incidentId"] = incident.clone();
    let created = app.ok(&slco, CREATE, request_input).await;
    let request = created["createResourceRequest"]["resourceRequest"].clone();
    assert_eq!(request["status"], "DRAFT");
    assert_eq!(request["channel"], "COORDINATED");
    let submitted =
        app.ok(&slco, SUBMIT, json!({ "input": { "requestId": request["id"], "expectedVersion": 1 } })).await;
    assert_eq!(submitted["submitResourceRequest"]["resourceRequest"]["status"], "SUBMITTED");
    // R704-2-4(1)(a): the Form 100 checklist to the Division, within 24 hours of seeking assistance.
    let form100 = app.ok(&slco, CONFIRM, json!({ "input": { "requestId": request["id"] } })).await;
    assert_eq!(
        form100["confirmResourceRequestInWriting"]["resourceRequest"]["deadlines"],
        json!([{ "kind": "WRITTEN_REQUEST", "status": "MET", "metAt": "2026-11-21T15:00:00Z" }])
    );
    // Utah County cannot see it yet, nor answer it.
    let (_, body) = app
        .gql(Some(&utco), "query ($id: ID!) { resourceRequest(id: $id) { id } }", json!({ "id": request["id"] }))
        .await;
    assert_eq!(body["data"]["resourceRequest"], Value::Null);

    // The coordinator sources it: candidates ranked by distance from the incident.
    let candidates = app
        .ok(&coordinator, "query ($id: ID!) { candidateAssistingJurisdictions(requestId: $id) { jurisdiction { name } distanceKm coversAllLines available { quantityAvailable } } }",
            json!({ "id": request["id"] }))
        .await;
    let list = candidates["candidateAssistingJurisdictions"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["jurisdiction"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Davis County", "Utah County"], "closest first: {candidates}");
    assert_eq!(list[0]["coversAllLines"], false);
    assert_eq!(list[1]["coversAllLines"], true);
    let d0 = list[0]["distanceKm"].as_f64().unwrap();
    let d1 = list[1]["distanceKm"].as_f64().unwrap();
    assert!(d0 < d1);

    let numbered = app
        .ok(
            &coordinator,
            MISSION,
            json!({ "input": { "requestId": request["id"], "missionNumber": "UT-2026-0147",
                                                      "recipientIds": [seed("jurisdiction", "utah-county")] } }),
        )
        .await;
    let opened = &numbered["assignMissionNumber"]["resourceRequest"];
    assert_eq!(opened["status"], "OPEN");
    assert_eq!(opened["missionNumber"], "UT-2026-0147");
    assert_eq!(opened["recipients"], json!([{ "name": "Utah County" }]));
    // Davis County was not addressed: it neither sees nor answers the request.
    let body = app.fails(Some(&davis), OFFER, offer_input(&request, &[(0, 1)]), "NOT_FOUND").await;
    assert!(body["data"].is_null());

    // Utah County offers both teams and four pumps (Part II); personnel by name and position only.
    let mut ssn = offer_input(&request, &[(0, 2)]);
    ssn["input"]["personnel"][0]["name"] = json!("Rosa Delgado 529-11-4402");
    app.fails(Some(&utco), OFFER, ssn, "BAD_USER_INPUT").await;
    let offered = app.ok(&utco, OFFER, offer_input(&request, &[(0, 2), (1, 4)])).await;
    let offer = offered["makeOffer"]["offer"].clone();
    assert_eq!(offer["status"], "OFFERED");
    assert_eq!(offer["costEstimateTotal"], "28110.50");

    // Salt Lake County accepts in writing: the agreement is executed, the deployment prepares, the request fills.
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer["id"] } })).await;
    let accepted = &accepted["acceptOffer"];
    assert_eq!(accepted["offer"]["status"], "ACCEPTED");
    assert_eq!(accepted["agreement"]["status"], "EXECUTED");
    assert_eq!(accepted["deployment"]["status"], "PREPARING");
    assert_eq!(accepted["resourceRequest"]["status"], "FILLED");
    assert_eq!(
        accepted["resourceRequest"]["lineItems"],
        json!([{ "quantity": 2, "acceptedQuantity": 2, "remainingQuantity": 0 }, { "quantity": 4, "acceptedQuantity": 4, "remainingQuantity": 0 }])
    );
    let agreement = accepted["agreement"]["id"].clone();
    let deployment = accepted["deployment"]["id"].clone();
    let stock = "{ inventory(filter: { availableOnly: false }) { edges { node { resourceType { name } quantityAvailable } } } }";
    let held = app.ok(&utco, stock, json!({})).await;
    let available: Vec<i64> = held["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["quantityAvailable"].as_i64().unwrap())
        .collect();
    assert_eq!(available.iter().sum::<i64>(), 2, "two teams and four pumps are held: {held}");

    // Amendment 1: Utah County proposes, Salt Lake County acknowledges.
    let amendment = app
        .ok(
            &utco,
            PROPOSE,
            json!({ "input": { "agreementId": agreement, "description": "Extend by 24 hours",
                                               "changes": { "estimatedDepartureAt": "2026-11-25T20:00:00Z" } } }),
        )
        .await;
    let amendment_id = amendment["proposeAmendment"]["amendment"]["id"].clone();
    assert_eq!(amendment["proposeAmendment"]["amendment"]["number"], 1);
    app.fails(Some(&utco), ACKNOWLEDGE, json!({ "input": { "amendmentId": amendment_id } }), "FORBIDDEN").await;
    let acknowledged = app.ok(&slco, ACKNOWLEDGE, json!({ "input": { "amendmentId": amendment_id } })).await;
    assert_eq!(acknowledged["acknowledgeAmendment"]["amendment"]["status"], "ACKNOWLEDGED");

    // Deployment: readiness and communications checks before departure.
    let body = app.fails(Some(&utco), DEPART, step(&deployment), "BAD_USER_INPUT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("readiness"));
    app.ok(
        &utco,
        PREPARE,
        json!({ "input": { "deploymentId": deployment, "readinessChecked": true, "communicationsChecked": true } }),
    )
    .await;
    app.ok(&utco, DEPART, step(&deployment)).await;
    clock.advance(Duration::hours(2));
    let arrived = app.ok(&slco, ARRIVE, step(&deployment)).await;
    assert_eq!(arrived["recordArrival"]["deployment"]["status"], "ON_SITE");
    app.fails(Some(&utco), ASSIGN, json!({ "input": { "deploymentId": deployment, "assignment": "X" } }), "FORBIDDEN")
        .await;
    app.ok(&slco, ASSIGN, json!({ "input": { "deploymentId": deployment, "assignment": "Division A swiftwater", "location": "1300 E Emigration Canyon Rd" } })).await;
    let time = app
        .ok(&utco, TIME, json!({ "input": { "deploymentId": deployment, "entries": [
            { "kind": "PERSONNEL", "workDate": "2026-11-21", "subject": "Rosa Delgado", "regularHours": "8", "overtimeHours": "4.5" },
            { "kind": "EQUIPMENT", "workDate": "2026-11-21", "subject": "UCSO-B7", "regularHours": "10" }
        ] } }))
        .await;
    assert_eq!(time["recordTime"]["timeRecords"][0]["overtimeHours"], "4.5");

    // Recall notice: effective after the SMAA's 24 hours; the assisting party cannot leave before.
    let recalled =
        app.ok(&utco, RECALL, json!({ "input": { "deploymentId": deployment, "reason": "Flooding at home" } })).await;
    assert_eq!(recalled["giveRecallNotice"]["deployment"]["status"], "RECALL_NOTICED");
    assert_eq!(recalled["giveRecallNotice"]["deployment"]["recallEffectiveAt"], "2026-11-22T17:00:00Z");
    let release = json!({ "input": { "deploymentId": deployment, "debriefed": true } });
    let body = app.fails(Some(&utco), RELEASE, release.clone(), "INVALID_TRANSITION").await;
    assert!(body["errors"][0]["extensions"]["currentStatus"].as_str().unwrap().contains("2026-11-22T17:00:00"));
    clock.advance(Duration::hours(24));
    let released = app.ok(&utco, RELEASE, release).await;
    assert_eq!(released["releaseDeployment"]["deployment"]["status"], "DEMOBILIZING");
    app.fails(Some(&slco), RETURN, step(&deployment), "FORBIDDEN").await;
    clock.advance(Duration::hours(3));
    let returned = app.ok(&utco, RETURN, step(&deployment)).await;
    assert_eq!(returned["recordReturn"]["deployment"]["status"], "RETURNED");
    let restored = app.ok(&utco, stock, json!({})).await;
    let available: Vec<i64> = restored["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["quantityAvailable"].as_i64().unwrap())
        .collect();
    assert_eq!(available.iter().sum::<i64>(), 8, "the return restores availability: {restored}");

    // Form 111 after-action report, filed by the responding jurisdiction (R704-2-9(4); the SMAA sets no due date for
    // it), then closing. The requesting county may not file it.
    let input =
        json!({ "input": { "agreementId": agreement, "summary": "Two swiftwater rescues, 40 homes dewatered." } });
    app.fails(Some(&slco), AFTER_ACTION, input, "FORBIDDEN").await;
    let report = app
        .ok(
            &utco,
            AFTER_ACTION,
            json!({ "input": { "agreementId": agreement, "summary": "Two swiftwater rescues, 40 homes dewatered." } }),
        )
        .await;
    assert_eq!(report["fileAfterActionReport"]["agreement"]["deadlines"], json!([]));
    app.ok(&utco, CLOSE_DEPLOYMENT, step(&deployment)).await;
    let closed = app.ok(&slco, CLOSE_REQUEST, json!({ "input": { "requestId": request["id"] } })).await;
    assert_eq!(closed["closeResourceRequest"]["resourceRequest"]["status"], "CLOSED");

    let history = "query ($id: ID!) { resourceRequest(id: $id) { history(first: 50) { edges { node { action } } } } }";
    assert_eq!(
        actions(&app, &slco, history, &request["id"]).await,
        ["CREATED", "SUBMITTED", "CONFIRMED_IN_WRITING", "OPENED", "FILLED", "CLOSED"]
    );
    let history = "query ($id: ID!) { deployment(id: $id) { history(first: 50) { edges { node { action } } } } }";
    assert_eq!(
        actions(&app, &utco, history, &deployment).await,
        [
            "CREATED",
            "PREPARATION_UPDATED",
            "DEPARTED",
            "ARRIVED",
            "ASSIGNMENT_CHANGED",
            "TIME_RECORDED",
            "RECALL_NOTICED",
            "RELEASED",
            "RETURNED",
            "CLOSED"
        ]
    );
    // Davis County never saw any of it.
    let (_, body) = app
        .gql(
            Some(&davis),
            "query ($id: ID!) { deployment(id: $id) { id } agreement(id: $id) { id } }",
            json!({ "id": deployment }),
        )
        .await;
    assert_eq!(body["data"]["deployment"], Value::Null);
    let listed = app
        .ok(
            &davis,
            "{ resourceRequests { totalCount } agreements { totalCount } deployments { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed,
        json!({ "resourceRequests": { "totalCount": 0 }, "agreements": { "totalCount": 0 }, "deployments": { "totalCount": 0 } })
    );
}

#[tokio::test]
async fn an_aacog_direct_request_made_verbally_and_confirmed_in_writing() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let bexar = rep(&app, "bexar-county");
    let san_antonio = rep(&app, "san-antonio");
    let kerrville = rep(&app, "kerrville");
    let aacog = seed("compact", "aacog-rma");
    let engine = seed("resource-type", "engine-fire-wildland-3");

    // Part I made by telephone, recorded at once: the AACOG program is direct, so the request opens immediately.
    let verbal = app
        .ok(
            &bexar,
            VERBAL,
            json!({ "input": { "requestedAt": "2026-11-21T14:40:00Z", "request": {
            "compactId": aacog, "incidentId": seed("incident", "medina-river-grass-fire"),
            "recipientIds": [seed("jurisdiction", "san-antonio")], "stagingLocation": "Castroville staging, FM 471",
            "lineItems": [{ "resourceTypeId": engine, "quantity": 3, "neededBy": "2026-11-21T18:00:00Z" }] } } }),
        )
        .await;
    let request = verbal["recordVerbalRequest"]["resourceRequest"].clone();
    assert_eq!(request["status"], "OPEN");
    assert_eq!(request["verbal"], true);
    assert_eq!(
        request["deadlines"],
        json!([{ "kind": "WRITTEN_REQUEST", "dueAt": "2026-11-22T14:40:00Z", "status": "PENDING", "owedBy": { "name": "Bexar County" } }])
    );
    // Kerrville is a member but was not addressed.
    app.fails(
        Some(&kerrville),
        DECLINE,
        json!({ "input": { "requestId": request["id"], "reason": "x" } }),
        "NOT_FOUND",
    )
    .await;

    clock.advance(Duration::hours(5));
    let confirmed = app.ok(&bexar, CONFIRM, json!({ "input": { "requestId": request["id"] } })).await;
    let confirmed = &confirmed["confirmResourceRequestInWriting"]["resourceRequest"];
    assert_eq!(confirmed["writtenConfirmedAt"], "2026-11-21T20:00:00Z");
    assert_eq!(confirmed["deadlines"][0]["status"], "MET");

    // Part II: San Antonio offers two engines; Part III: Bexar County accepts.
    let offered = app
        .ok(
            &san_antonio,
            OFFER,
            json!({ "input": { "requestId": request["id"],
            "lines": [{ "lineItemId": request["lineItems"][0]["id"], "quantity": 2 }],
            "personnel": [{ "name": "Lt. Maria Garza", "position": "Engine Boss" }], "donated": false,
            "costEstimate": [{ "category": "PERSONNEL_REGULAR", "amount": "9600" }] } }),
        )
        .await;
    let offer = offered["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&bexar, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    assert_eq!(accepted["acceptOffer"]["agreement"]["status"], "EXECUTED");
    assert_eq!(accepted["acceptOffer"]["resourceRequest"]["status"], "OPEN", "one engine still needed");
    assert_eq!(accepted["acceptOffer"]["resourceRequest"]["lineItems"][0]["remainingQuantity"], 1);

    // After the return, the AACOG summary report falls due in 10 days.
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    app.ok(
        &san_antonio,
        PREPARE,
        json!({ "input": { "deploymentId": deployment, "readinessChecked": true, "communicationsChecked": true } }),
    )
    .await;
    app.ok(&san_antonio, DEPART, step(&deployment)).await;
    app.ok(&san_antonio, ARRIVE, step(&deployment)).await;
    app.ok(&bexar, RELEASE, json!({ "input": { "deploymentId": deployment, "debriefed": true } })).await;
    app.ok(&san_antonio, RETURN, step(&deployment)).await;
    let due = app
        .ok(
            &bexar,
            "query ($id: ID!) { agreement(id: $id) { deadlines { kind dueAt status } } }",
            json!({ "id": agreement }),
        )
        .await;
    assert_eq!(
        due["agreement"]["deadlines"],
        json!([{ "kind": "AFTER_ACTION_REPORT", "dueAt": "2026-12-01T20:00:00Z", "status": "PENDING" }])
    );
    let owed =
        app.ok(&bexar, "{ deadlines(filter: { kinds: [AFTER_ACTION_REPORT] }) { totalCount } }", json!({})).await;
    assert_eq!(owed["deadlines"]["totalCount"], 1);
    clock.advance(Duration::days(11));
    let overdue = app
        .ok(
            &bexar,
            "{ deadlines(filter: { overdue: true }) { edges { node { kind status owedBy { name } } } } }",
            json!({}),
        )
        .await;
    let mut late: Vec<String> = overdue["deadlines"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {} {}", e["node"]["kind"], e["node"]["status"], e["node"]["owedBy"]["name"]))
        .collect();
    late.sort();
    assert_eq!(
        late,
        [r#""AFTER_ACTION_REPORT" "MISSED" "Bexar County""#, r#""NOTICE_OF_INTENT" "MISSED" "City of San Antonio""#],
        "the summary report (Bexar) and San Antonio's 10-day notice of intent are both late"
    );
    // AACOG's summary report is the requesting party's: the assisting city may not file it.
    let summary = json!({ "input": { "agreementId": agreement, "summary": "Fire contained at 340 acres." } });
    let body = app.fails(Some(&san_antonio), AFTER_ACTION, summary.clone(), "FORBIDDEN").await;
    assert!(body.to_string().contains("requesting party files"), "{body}");
    let late = app.ok(&bexar, AFTER_ACTION, summary).await;
    assert_eq!(
        late["fileAfterActionReport"]["agreement"]["deadlines"],
        json!([{ "kind": "AFTER_ACTION_REPORT", "status": "MISSED" }]),
        "late, and recorded as such"
    );
}

#[tokio::test]
async fn a_verbal_agreement_is_executed_by_both_written_signatures_within_its_deadline() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let offer = app.ok(&utco, OFFER, offer_input(&request, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer, "verbal": true } })).await;
    let agreement = &accepted["acceptOffer"]["agreement"];
    assert_eq!(agreement["status"], "VERBAL");
    assert_eq!(
        agreement["deadlines"],
        json!([{ "kind": "WRITTEN_AGREEMENT", "dueAt": "2026-11-23T15:00:00Z", "status": "PENDING" }])
    );
    let id = json!({ "input": { "agreementId": agreement["id"] } });
    let davis = rep(&app, "davis-county");
    app.fails(Some(&davis), SIGN, id.clone(), "NOT_FOUND").await;
    clock.advance(Duration::hours(20));
    let one = app.ok(&slco, SIGN, id.clone()).await;
    assert_eq!(one["signAgreement"]["agreement"]["status"], "VERBAL");
    app.fails(Some(&slco), SIGN, id.clone(), "CONFLICT").await;
    let both = app.ok(&utco, SIGN, id.clone()).await;
    assert_eq!(both["signAgreement"]["agreement"]["status"], "EXECUTED");
    assert_eq!(
        both["signAgreement"]["agreement"]["deadlines"],
        json!([{ "kind": "WRITTEN_AGREEMENT", "status": "MET" }])
    );
    app.fails(Some(&utco), SIGN, id, "INVALID_TRANSITION").await;
}

/// Creates and opens a Utah SMAA request addressed to `recipients`.
pub async fn open_utah_request(app: &TestApp, slco: &str, recipients: &[&str]) -> Value {
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);
    let created = app.ok(slco, CREATE, utah_request()).await;
    let request = created["createResourceRequest"]["resourceRequest"].clone();
    app.ok(slco, SUBMIT, json!({ "input": { "requestId": request["id"] } })).await;
    // The Form 100 checklist every Utah request owes the Division (R704-2-4(1)(a)).
    app.ok(slco, CONFIRM, json!({ "input": { "requestId": request["id"] } })).await;
    let recipients: Vec<Uuid> = recipients.iter().map(|k| seed("jurisdiction", k)).collect();
    app.ok(&coordinator, MISSION, json!({ "input": { "requestId": request["id"], "missionNumber": format!("UT-{}", Uuid::new_v4().simple()), "recipientIds": recipients } })).await;
    request
}

#[tokio::test]
async fn terminated_members_neither_request_nor_offer() {
    let app = TestApp::seeded().await;
    let (slco, provo) = (rep(&app, "salt-lake-county"), rep(&app, "provo"));
    let request = open_utah_request(&app, &slco, &["provo", "utah-county"]).await;
    app.ok(
        &provo,
        "mutation ($id: ID!) { noticeMembershipTermination(input: { membershipId: $id }) { membership { status } } }",
        json!({ "id": seed("membership", "utah-smaa:provo") }),
    )
    .await;
    let body = app.fails(Some(&provo), OFFER, offer_input(&request, &[(0, 1)]), "FORBIDDEN").await;
    assert_eq!(
        body["errors"][0]["message"],
        "only a member of the compact (one whose termination has not taken effect) answers its requests"
    );
    let mut own = utah_request();
    own["input"]["incidentId"] = json!(seed("incident", "emigration-creek-flood-2026"));
    app.fails(Some(&provo), CREATE, own, "BAD_USER_INPUT").await;
    let bexar = rep(&app, "bexar-county");
    let mut foreign = utah_request();
    foreign["input"]["incidentId"] = json!(seed("incident", "medina-river-grass-fire"));
    let body = app.fails(Some(&bexar), CREATE, foreign, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "compactId");
}

#[tokio::test]
async fn accepted_offers_never_exceed_the_requested_quantities() {
    let app = TestApp::seeded().await;
    let (slco, utco, davis) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"), rep(&app, "davis-county"));
    let request = open_utah_request(&app, &slco, &["utah-county", "davis-county"]).await;
    let first = app.ok(&utco, OFFER, offer_input(&request, &[(0, 2)])).await["makeOffer"]["offer"]["id"].clone();
    let second = app.ok(&davis, OFFER, offer_input(&request, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    let too_many = offer_input(&request, &[(0, 3)]);
    app.fails(Some(&davis), OFFER, too_many, "BAD_USER_INPUT").await;
    app.ok(&slco, ACCEPT, json!({ "input": { "offerId": first } })).await;
    let body = app.fails(Some(&slco), ACCEPT, json!({ "input": { "offerId": second } }), "CONFLICT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("exceed"));
    let data = app.ok(&slco, "query ($id: ID!) { offer(id: $id) { status } }", json!({ "id": second })).await;
    assert_eq!(data["offer"]["status"], "OFFERED", "the refused acceptance changed nothing");
    // A competitor never sees another member's offer.
    let mine = app
        .ok(
            &davis,
            "query ($id: ID!) { resourceRequest(id: $id) { offers { assistingJurisdiction { name } } } }",
            json!({ "id": request["id"] }),
        )
        .await;
    assert_eq!(mine["resourceRequest"]["offers"], json!([{ "assistingJurisdiction": { "name": "Davis County" } }]));
    let (_, body) = app.gql(Some(&davis), "query ($id: ID!) { offer(id: $id) { id } }", json!({ "id": first })).await;
    assert_eq!(body["data"]["offer"], Value::Null);
}

#[tokio::test]
async fn concurrent_acceptances_and_withdrawals_end_consistently() {
    let app = TestApp::seeded().await;
    let (slco, utco, davis) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"), rep(&app, "davis-county"));
    for round in 0..5 {
        let request = open_utah_request(&app, &slco, &["utah-county", "davis-county"]).await;
        let a = app.ok(&utco, OFFER, offer_input(&request, &[(0, 2)])).await["makeOffer"]["offer"]["id"].clone();
        let b = app.ok(&davis, OFFER, offer_input(&request, &[(0, 2)])).await["makeOffer"]["offer"]["id"].clone();
        // Two acceptances that cannot both fit: exactly one wins.
        let (x, y) = tokio::join!(
            app.gql(Some(&slco), ACCEPT, json!({ "input": { "offerId": a } })),
            app.gql(Some(&slco), ACCEPT, json!({ "input": { "offerId": b } }))
        );
        let wins = [&x.1, &y.1].iter().filter(|body| body.get("errors").is_none()).count();
        assert_eq!(wins, 1, "round {round}: {x:?} {y:?}");
        let losers: Vec<String> = [&x.1, &y.1].iter().flat_map(|b| codes(b)).collect();
        assert!(losers == ["CONFLICT"] || losers == ["INVALID_TRANSITION"], "round {round}: {losers:?}");
        let lines = app
            .ok(
                &slco,
                "query ($id: ID!) { resourceRequest(id: $id) { lineItems { acceptedQuantity } agreements { id } } }",
                json!({ "id": request["id"] }),
            )
            .await;
        assert_eq!(lines["resourceRequest"]["lineItems"][0]["acceptedQuantity"], 2);
        assert_eq!(lines["resourceRequest"]["agreements"].as_array().unwrap().len(), 1);

        // An offer withdrawn while it is being accepted: accepted or withdrawn, never both.
        let request = open_utah_request(&app, &slco, &["utah-county"]).await;
        let c = app.ok(&utco, OFFER, offer_input(&request, &[(1, 2)])).await["makeOffer"]["offer"]["id"].clone();
        let (accept, withdraw) = tokio::join!(
            app.gql(Some(&slco), ACCEPT, json!({ "input": { "offerId": c } })),
            app.gql(Some(&utco), WITHDRAW, json!({ "input": { "offerId": c } }))
        );
        let accepted = accept.1.get("errors").is_none();
        let withdrawn = withdraw.1.get("errors").is_none();
        assert!(accepted ^ withdrawn, "round {round}: {accept:?} {withdraw:?}");
        let state =
            app.ok(&slco, "query ($id: ID!) { offer(id: $id) { status agreement { id } } }", json!({ "id": c })).await;
        if accepted {
            assert_eq!(state["offer"]["status"], "ACCEPTED");
            assert!(state["offer"]["agreement"]["id"].is_string());
        } else {
            assert_eq!(state["offer"]["status"], "WITHDRAWN");
            assert_eq!(state["offer"]["agreement"], Value::Null);
        }
    }
}

#[tokio::test]
async fn cancelled_requests_and_other_refusals_change_nothing() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    let before = app.event_count().await;
    let body =
        app.fails(Some(&utco), CANCEL_REQUEST, json!({ "input": { "requestId": request["id"] } }), "FORBIDDEN").await;
    assert!(body["data"].is_null());
    app.fails(Some(&slco), OFFER, offer_input(&request, &[(0, 1)]), "FORBIDDEN").await;
    app.fails(Some(&slco), SUBMIT, json!({ "input": { "requestId": request["id"] } }), "INVALID_TRANSITION").await;
    assert_eq!(app.event_count().await, before);
    let cancelled = app
        .ok(&slco, CANCEL_REQUEST, json!({ "input": { "requestId": request["id"], "reason": "Water receded" } }))
        .await;
    assert_eq!(cancelled["cancelResourceRequest"]["resourceRequest"]["status"], "CANCELLED");
    let body = app.fails(Some(&utco), OFFER, offer_input(&request, &[(0, 1)]), "NOT_FOUND").await;
    assert!(body["data"].is_null(), "a cancelled request is no longer open to members");
    let body = app
        .fails(Some(&slco), CANCEL_REQUEST, json!({ "input": { "requestId": request["id"] } }), "INVALID_TRANSITION")
        .await;
    assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "CANCELLED");
}

#[tokio::test]
async fn a_cancelled_deployment_gives_its_quantities_back_to_the_request() {
    let app = TestApp::seeded().await;
    let (slco, utco) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"));
    let request = open_utah_request(&app, &slco, &["utah-county"]).await;
    app.ok(
        &utco,
        INVENTORY,
        json!({ "input": { "resourceTypeId": swiftwater(), "quantityHeld": 2, "quantityAvailable": 2 } }),
    )
    .await;
    let offer =
        app.ok(&utco, OFFER, offer_input(&request, &[(0, 2), (1, 4)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    assert_eq!(accepted["acceptOffer"]["resourceRequest"]["status"], "FILLED");
    let body = app.fails(Some(&slco), ACCEPT, json!({ "input": { "offerId": offer } }), "INVALID_TRANSITION").await;
    assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "ACCEPTED", "a retried acceptance says what happened");
    app.fails(Some(&slco), CANCEL_REQUEST, json!({ "input": { "requestId": request["id"] } }), "INVALID_TRANSITION")
        .await;
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    app.ok(
        &slco,
        "mutation ($input: DeploymentStepInput!) { cancelDeployment(input: $input) { deployment { status } } }",
        step(&deployment),
    )
    .await;
    let after = app
        .ok(&slco, "query ($id: ID!) { resourceRequest(id: $id) { status lineItems { acceptedQuantity remainingQuantity } history(first: 50) { edges { node { action } } } } }", json!({ "id": request["id"] }))
        .await;
    assert_eq!(after["resourceRequest"]["status"], "OPEN");
    assert_eq!(after["resourceRequest"]["lineItems"][0], json!({ "acceptedQuantity": 0, "remainingQuantity": 2 }));
    let last = after["resourceRequest"]["history"]["edges"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["node"]["action"], "REOPENED");
    let stock = app.ok(&utco, "{ inventory { edges { node { quantityAvailable } } } }", json!({})).await;
    assert_eq!(stock["inventory"]["edges"][0]["node"]["quantityAvailable"], 2, "the hold was given back");
}

/// The first `id` in a response value, depth first.
fn first_id(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => {
            map.get("id").and_then(|id| id.as_str().map(str::to_owned)).or_else(|| map.values().find_map(first_id))
        }
        Value::Array(items) => items.iter().find_map(first_id),
        _ => None,
    }
}

#[tokio::test]
async fn the_readme_lifecycle_runs_as_published() {
    let block = crate::support::readme_example("lifecycle");

    let app = TestApp::seeded().await;
    let utah = seed("compact", "utah-smaa");
    let tokens: std::collections::HashMap<&str, String> = [
        ("slco", rep(&app, "salt-lake-county")),
        ("utco", rep(&app, "utah-county")),
        ("utah-eoc", app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah])),
    ]
    .into_iter()
    .collect();
    let mut context: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut last = Value::Null;
    let steps: Vec<&str> = block.split("# as ").filter(|s| !s.trim().is_empty()).collect();
    assert!(steps.len() >= 10, "{} steps", steps.len());
    for step in steps {
        let principal = step.split(':').next().unwrap().trim();
        let token = tokens.get(principal).unwrap_or_else(|| panic!("no principal {principal:?} in the README"));
        let document = &step[step.find('\n').unwrap() + 1..];
        let mut variables = serde_json::Map::new();
        let header = &document[..document.find('{').unwrap()];
        for name in header.split('$').skip(1).map(|v| v.split(':').next().unwrap().trim()) {
            let id = context.get(name).unwrap_or_else(|| panic!("${name} is used before an operation returned it"));
            variables.insert(name.to_owned(), json!(id));
        }
        let data = app.ok(token, document, Value::Object(variables)).await;
        for (alias, value) in data.as_object().unwrap() {
            if let Some(id) = first_id(value) {
                context.insert(alias.clone(), id);
            }
        }
        last = data;
    }
    assert_eq!(last["closedRequest"]["resourceRequest"]["status"], "CLOSED", "{last}");
    let request = context["request"].clone();
    let history = "query ($id: ID!) { resourceRequest(id: $id) { history(first: 50) { edges { node { action } } } } }";
    assert_eq!(
        actions(&app, &tokens["slco"], history, &json!(request)).await,
        ["CREATED", "SUBMITTED", "CONFIRMED_IN_WRITING", "OPENED", "FILLED", "CLOSED"]
    );
}

#[tokio::test]
async fn a_written_confirmation_dated_before_its_request_is_refused_and_changes_nothing() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let verbal = app
        .ok(
            &bexar,
            VERBAL,
            json!({ "input": { "requestedAt": "2026-11-21T02:00:00Z", "request": {
            "compactId": seed("compact", "aacog-rma"), "incidentId": seed("incident", "medina-river-grass-fire"),
            "recipientIds": [seed("jurisdiction", "kerr-county")],
            "stagingLocation": "Castroville staging, FM 471",
            "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1, "neededBy": "2026-11-21T18:00:00Z" }] } } }),
        )
        .await;
    let request = verbal["recordVerbalRequest"]["resourceRequest"]["id"].clone();
    let events = app.event_count().await;
    for before in ["2026-11-21T01:59:59Z", "2026-11-20T02:00:00Z"] {
        let body = app
            .fails(
                Some(&bexar),
                CONFIRM,
                json!({ "input": { "requestId": request, "receivedAt": before } }),
                "BAD_USER_INPUT",
            )
            .await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("before the request it confirms") && message.contains("2026-11-21T02:00:00Z"),
            "{message}"
        );
    }
    assert_eq!(app.event_count().await, events, "a refused confirmation records nothing");
    let still = app
        .ok(&bexar, "query ($id: ID!) { resourceRequest(id: $id) { writtenConfirmedAt } }", json!({ "id": request }))
        .await;
    assert_eq!(still["resourceRequest"]["writtenConfirmedAt"], Value::Null);
    // The moment of the request itself, or later, is accepted.
    let confirmed = app
        .ok(&bexar, CONFIRM, json!({ "input": { "requestId": request, "receivedAt": "2026-11-21T02:00:00Z" } }))
        .await;
    assert_eq!(
        confirmed["confirmResourceRequestInWriting"]["resourceRequest"]["writtenConfirmedAt"],
        "2026-11-21T02:00:00Z"
    );
}

#[tokio::test]
async fn every_utah_request_owes_its_form_100_within_24_hours_and_aacog_only_its_verbal_ones() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let slco = rep(&app, "salt-lake-county");
    let deadlines = "query ($id: ID!) { resourceRequest(id: $id) { deadlines { kind dueAt status owedBy { name } } } }";

    // R704-2-4(1)(a): a Utah request made in writing owes the Form 100 checklist 24 hours after it is submitted (the
    // moment the county seeks assistance), not after the draft was begun.
    let draft = app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
    app.fails(Some(&slco), CONFIRM, json!({ "input": { "requestId": draft } }), "BAD_USER_INPUT").await;
    clock.advance(Duration::hours(2));
    app.ok(&slco, SUBMIT, json!({ "input": { "requestId": draft } })).await;
    let owed = app.ok(&slco, deadlines, json!({ "id": draft })).await;
    assert_eq!(
        owed["resourceRequest"]["deadlines"],
        json!([{ "kind": "WRITTEN_REQUEST", "dueAt": "2026-11-22T17:00:00Z", "status": "PENDING",
                 "owedBy": { "name": "Salt Lake County" } }])
    );
    // Dated before the submission it confirms: refused, nothing recorded.
    let events = app.event_count().await;
    let body = app
        .fails(
            Some(&slco),
            CONFIRM,
            json!({ "input": { "requestId": draft, "receivedAt": "2026-11-21T16:00:00Z" } }),
            "BAD_USER_INPUT",
        )
        .await;
    assert!(body.to_string().contains("2026-11-21T17:00:00Z"), "{body}");
    assert_eq!(app.event_count().await, events);
    clock.advance(Duration::hours(3));
    let confirmed = app.ok(&slco, CONFIRM, json!({ "input": { "requestId": draft } })).await;
    assert_eq!(confirmed["confirmResourceRequestInWriting"]["resourceRequest"]["deadlines"][0]["status"], "MET");

    // AACOG asks the written Part I only after a verbal request: a written one owes nothing and is not "confirmed".
    let bexar = rep(&app, "bexar-county");
    let written = app
        .ok(
            &bexar,
            CREATE,
            json!({ "input": { "compactId": seed("compact", "aacog-rma"), "incidentId": seed("incident", "medina-river-grass-fire"),
                "recipientIds": [seed("jurisdiction", "san-antonio")],
                "stagingLocation": "Castroville staging, FM 471",
            "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1, "neededBy": "2026-11-21T18:00:00Z" }] } }),
        )
        .await["createResourceRequest"]["resourceRequest"]["id"]
        .clone();
    app.ok(&bexar, SUBMIT, json!({ "input": { "requestId": written } })).await;
    let none = app.ok(&bexar, deadlines, json!({ "id": written })).await;
    assert_eq!(none["resourceRequest"]["deadlines"], json!([]));
    let body = app.fails(Some(&bexar), CONFIRM, json!({ "input": { "requestId": written } }), "BAD_USER_INPUT").await;
    assert!(body.to_string().contains("made in writing"), "{body}");
}
