//! The permission table of the mission lifecycle: every mutation against every role, including the other
//! jurisdictions trying each step. A refusal has the expected code and changes nothing.

use serde_json::{Value, json};

use crate::missions::*;
use crate::support::{TestApp, codes, seed};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Requesting,
    Assisting,
    OtherMember,
    OtherCompact,
    Coordinator,
    OtherCoordinator,
    Committee,
    Observer,
    Integration,
    Admin,
    Anonymous,
}

const EVERYONE: [Who; 11] = [
    Who::Requesting,
    Who::Assisting,
    Who::OtherMember,
    Who::OtherCompact,
    Who::Coordinator,
    Who::OtherCoordinator,
    Who::Committee,
    Who::Observer,
    Who::Integration,
    Who::Admin,
    Who::Anonymous,
];

fn token(app: &TestApp, who: Who) -> Option<String> {
    let utah = seed("compact", "utah-smaa");
    Some(match who {
        Who::Requesting => rep(app, "salt-lake-county"),
        Who::Assisting => rep(app, "utah-county"),
        Who::OtherMember => rep(app, "davis-county"),
        Who::OtherCompact => rep(app, "bexar-county"),
        Who::Coordinator => app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]),
        Who::OtherCoordinator => {
            app.token("aacog", Some(seed("jurisdiction", "aacog")), &["COORDINATOR"], &[seed("compact", "aacog-rma")])
        }
        Who::Committee => app.token("committee", None, &["COMMITTEE_MEMBER"], &[utah]),
        Who::Observer => app.token("dashboard", None, &["OBSERVER"], &[utah]),
        Who::Integration => app.token("webeoc", None, &["INTEGRATION"], &[utah]),
        Who::Admin => app.admin(),
        Who::Anonymous => return None,
    })
}

/// One mutation, who passes its coarse role guard, who is entitled, and who can see its record.
struct Case {
    name: &'static str,
    query: &'static str,
    variables: Value,
    guard: &'static [Who],
    entitled: &'static [Who],
    sees_record: &'static [Who],
}

const REPS: &[Who] = &[Who::Requesting, Who::Assisting, Who::OtherMember, Who::OtherCompact];
const REPS_AND_COORDINATORS: &[Who] =
    &[Who::Requesting, Who::Assisting, Who::OtherMember, Who::OtherCompact, Who::Coordinator, Who::OtherCoordinator];
const ANYONE: &[Who] = &EVERYONE;
const PARTIES: &[Who] = &[Who::Requesting, Who::Assisting, Who::Coordinator];
const REQUESTER: &[Who] = &[Who::Requesting, Who::Coordinator];

fn expected(case: &Case, who: Who) -> Option<&'static str> {
    if who == Who::Anonymous {
        return Some("UNAUTHENTICATED");
    }
    if !case.guard.contains(&who) {
        return Some("FORBIDDEN");
    }
    if case.entitled.contains(&who) {
        return None;
    }
    Some(if case.sees_record.contains(&who) { "FORBIDDEN" } else { "NOT_FOUND" })
}

#[tokio::test]
async fn every_mission_mutation_refuses_every_unentitled_role() {
    let app = TestApp::seeded().await;
    let slco = token(&app, Who::Requesting).unwrap();
    let utco = token(&app, Who::Assisting).unwrap();
    let coordinator = token(&app, Who::Coordinator).unwrap();

    // R1: open, addressed to Utah County, with Utah County's pending offer O1.
    let r1 = open_utah_request(&app, &slco, &["utah-county"]).await;
    let o1 = app.ok(&utco, OFFER, offer_input(&r1, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    // R2: an accepted offer, so a verbal agreement A, its deployment D and a proposed amendment M.
    let r2 = open_utah_request(&app, &slco, &["utah-county"]).await;
    let o2 = app.ok(&utco, OFFER, offer_input(&r2, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": o2, "verbal": true } })).await;
    let a = accepted["acceptOffer"]["agreement"]["id"].clone();
    let d = accepted["acceptOffer"]["deployment"]["id"].clone();
    let m = app.ok(&utco, PROPOSE, json!({ "input": { "agreementId": a, "description": "Add a boat" } })).await["proposeAmendment"]["amendment"]["id"].clone();
    // R3: a draft. R4: a verbal request waiting for its mission number and written confirmation.
    let r3 = app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
    let mut verbal = json!({ "input": { "request": utah_request()["input"].clone() } });
    verbal["input"]["request"]["requestingJurisdictionId"] = json!(seed("jurisdiction", "salt-lake-county"));
    let r4 = app.ok(&coordinator, VERBAL, verbal.clone()).await["recordVerbalRequest"]["resourceRequest"]["id"].clone();

    let mut for_slco = utah_request();
    for_slco["input"]["requestingJurisdictionId"] = json!(seed("jurisdiction", "salt-lake-county"));
    let request = |record: &Value| json!({ "input": { "requestId": record.get("id").unwrap_or(record) } });
    let offer = |id: &Value| json!({ "input": { "offerId": id } });
    let deployment = |id: &Value| json!({ "input": { "deploymentId": id } });
    let cases = vec![
        Case {
            name: "createResourceRequest",
            query: CREATE,
            variables: for_slco,
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: ANYONE,
        },
        Case {
            name: "submitResourceRequest",
            query: SUBMIT,
            variables: request(&r3),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: REQUESTER,
        },
        Case {
            name: "recordVerbalRequest",
            query: VERBAL,
            variables: verbal,
            guard: REPS_AND_COORDINATORS,
            entitled: &[Who::Requesting, Who::Coordinator],
            sees_record: ANYONE,
        },
        Case {
            name: "confirmResourceRequestInWriting",
            query: CONFIRM,
            variables: request(&r4),
            guard: REPS_AND_COORDINATORS,
            entitled: REQUESTER,
            sees_record: REQUESTER,
        },
        Case {
            name: "assignMissionNumber",
            query: MISSION,
            variables: json!({ "input": { "requestId": r4, "missionNumber": "UT-9" } }),
            guard: &[Who::Coordinator, Who::OtherCoordinator],
            entitled: &[Who::Coordinator],
            sees_record: REQUESTER,
        },
        Case {
            name: "directResourceRequest",
            query: "mutation ($input: DirectResourceRequestInput!) { directResourceRequest(input: $input) { resourceRequest { id } } }",
            variables: json!({ "input": { "requestId": r1["id"], "recipientIds": [seed("jurisdiction", "davis-county")] } }),
            guard: REPS_AND_COORDINATORS,
            entitled: &[Who::Coordinator],
            sees_record: PARTIES,
        },
        Case {
            name: "cancelResourceRequest",
            query: CANCEL_REQUEST,
            variables: request(&r1),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "markResourceRequestUnfilled",
            query: "mutation ($input: RequestStepInput!) { markResourceRequestUnfilled(input: $input) { resourceRequest { id } } }",
            variables: request(&r1),
            guard: REPS_AND_COORDINATORS,
            entitled: REQUESTER,
            sees_record: PARTIES,
        },
        Case {
            name: "closeResourceRequest",
            query: CLOSE_REQUEST,
            variables: request(&r2),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "makeOffer",
            query: OFFER,
            variables: offer_input(&r1, &[(0, 1)]),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "declineResourceRequest",
            query: DECLINE,
            variables: json!({ "input": { "requestId": r1["id"], "reason": "Committed elsewhere" } }),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "withdrawOffer",
            query: WITHDRAW,
            variables: offer(&o1),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "rejectOffer",
            query: REJECT,
            variables: offer(&o1),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "acceptOffer",
            query: ACCEPT,
            variables: offer(&o1),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "signAgreement",
            query: SIGN,
            variables: json!({ "input": { "agreementId": a } }),
            guard: REPS,
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "proposeAmendment",
            query: PROPOSE,
            variables: json!({ "input": { "agreementId": a, "description": "More pumps" } }),
            guard: REPS,
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "acknowledgeAmendment",
            query: ACKNOWLEDGE,
            variables: json!({ "input": { "amendmentId": m } }),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "fileAfterActionReport",
            query: AFTER_ACTION,
            variables: json!({ "input": { "agreementId": a, "summary": "x" } }),
            guard: REPS,
            // Utah's Form 111 is the responding jurisdiction's (R704-2-9(4)).
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "prepareDeployment",
            query: PREPARE,
            variables: json!({ "input": { "deploymentId": d, "readinessChecked": true } }),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "departDeployment",
            query: DEPART,
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "recordArrival",
            query: ARRIVE,
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "recordAssignment",
            query: ASSIGN,
            variables: json!({ "input": { "deploymentId": d, "assignment": "Division B" } }),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "giveRecallNotice",
            query: RECALL,
            variables: json!({ "input": { "deploymentId": d, "reason": "x" } }),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "releaseDeployment",
            query: RELEASE,
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Requesting],
            sees_record: PARTIES,
        },
        Case {
            name: "recordReturn",
            query: RETURN,
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "closeDeployment",
            query: CLOSE_DEPLOYMENT,
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "cancelDeployment",
            query: "mutation ($input: DeploymentStepInput!) { cancelDeployment(input: $input) { deployment { id } } }",
            variables: deployment(&d),
            guard: REPS,
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "recordTime",
            query: TIME,
            variables: json!({ "input": { "deploymentId": d, "entries": [{ "kind": "PERSONNEL", "workDate": "2026-11-21", "subject": "A", "regularHours": "8" }] } }),
            guard: REPS,
            // Utah R704-2-6(1)(b)(i): the requesting jurisdiction's incident commander keeps the time records.
            entitled: &[Who::Requesting, Who::Assisting],
            sees_record: PARTIES,
        },
        Case {
            name: "setInventory",
            query: INVENTORY,
            variables: json!({ "input": { "jurisdictionId": seed("jurisdiction", "salt-lake-county"), "resourceTypeId": pump(), "quantityHeld": 1, "quantityAvailable": 1 } }),
            guard: &[Who::Requesting, Who::Assisting, Who::OtherMember, Who::OtherCompact, Who::Admin],
            entitled: &[Who::Requesting, Who::Admin],
            sees_record: ANYONE,
        },
        Case {
            name: "recordDocument",
            query: DOCUMENT,
            variables: json!({ "input": { "recordType": "AGREEMENT", "recordId": a, "kind": "SMAA Form 113", "title": "Signed agreement" } }),
            guard: REPS_AND_COORDINATORS,
            entitled: PARTIES,
            sees_record: PARTIES,
        },
    ];

    let before = app.event_count().await;
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        for who in EVERYONE {
            let Some(code) = expected(case, who) else { continue };
            let (_, body) = app.gql(token(&app, who).as_deref(), case.query, case.variables.clone()).await;
            let got = codes(&body);
            if got != [code] || !body["data"].is_null() {
                failures.push(format!("{} as {who:?}: expected {code}, got {body}", case.name));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} refusals wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 250, "{checked}");
    assert_eq!(app.event_count().await, before, "no refused mutation wrote anything");
}

/// The successes the scenarios do not walk through, each by its entitled party.
#[tokio::test]
async fn the_remaining_steps_succeed_for_their_entitled_party() {
    let app = TestApp::seeded().await;
    let (slco, utco, davis) = (rep(&app, "salt-lake-county"), rep(&app, "utah-county"), rep(&app, "davis-county"));
    let coordinator = token(&app, Who::Coordinator).unwrap();
    let r1 = open_utah_request(&app, &slco, &["utah-county"]).await;
    let directed = app
        .ok(&coordinator, "mutation ($input: DirectResourceRequestInput!) { directResourceRequest(input: $input) { resourceRequest { recipients { name } } } }",
            json!({ "input": { "requestId": r1["id"], "recipientIds": [seed("jurisdiction", "davis-county")] } }))
        .await;
    assert_eq!(directed["directResourceRequest"]["resourceRequest"]["recipients"].as_array().unwrap().len(), 2);
    let declined =
        app.ok(&davis, DECLINE, json!({ "input": { "requestId": r1["id"], "reason": "All crews committed" } })).await;
    assert_eq!(declined["declineResourceRequest"]["offer"]["status"], "CANNOT_PROVIDE");
    let o1 = app.ok(&utco, OFFER, offer_input(&r1, &[(0, 1)])).await["makeOffer"]["offer"]["id"].clone();
    let rejected = app.ok(&slco, REJECT, json!({ "input": { "offerId": o1, "reason": "Too far" } })).await;
    assert_eq!(rejected["rejectOffer"]["offer"]["status"], "REJECTED");
    let o2 = app.ok(&utco, OFFER, offer_input(&r1, &[(1, 2)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": o2 } })).await;
    let d = accepted["acceptOffer"]["deployment"]["id"].clone();
    let a = accepted["acceptOffer"]["agreement"]["id"].clone();
    let doc = app
        .ok(&coordinator, DOCUMENT, json!({ "input": { "recordType": "AGREEMENT", "recordId": a, "kind": "SMAA Form 113", "title": "Agreement", "reference": "dms://smaa/2026/113-0147" } }))
        .await;
    assert_eq!(doc["recordDocument"]["document"]["filedBy"], "utah-eoc");
    let cancelled = app
        .ok(
            &utco,
            "mutation ($input: DeploymentStepInput!) { cancelDeployment(input: $input) { deployment { status } } }",
            json!({ "input": { "deploymentId": d } }),
        )
        .await;
    assert_eq!(cancelled["cancelDeployment"]["deployment"]["status"], "CANCELLED");
    let unfilled = app.ok(&coordinator, "mutation ($input: RequestStepInput!) { markResourceRequestUnfilled(input: $input) { resourceRequest { status statusReason } } }",
        json!({ "input": { "requestId": r1["id"], "reason": "No swiftwater teams left in the state" } })).await;
    assert_eq!(unfilled["markResourceRequestUnfilled"]["resourceRequest"]["status"], "UNFILLED");
    let seen = app
        .ok(
            &slco,
            "query ($id: ID!) { agreement(id: $id) { documents { kind reference filedByJurisdiction { name } } } }",
            json!({ "id": a }),
        )
        .await;
    assert_eq!(seen["agreement"]["documents"][0]["filedByJurisdiction"]["name"], "State of Utah");
}
