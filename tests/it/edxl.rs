//! EDXL-RM 1.0: every message type the server writes, produced by walking a Utah SMAA and an AACOG RMA mission
//! and validated against the OASIS schemas with xmllint; a request exported, imported into a second compact and
//! exported again; answers imported as offers, once per message id; and hostile XML refused with nothing written.

use std::path::PathBuf;
use std::process::Command;

use chrono::{Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::missions::{
    ACCEPT, ARRIVE, ASSIGN, CREATE, DEPART, MISSION, PREPARE, PROPOSE, RECALL, RELEASE, RETURN, SUBMIT, rep,
    utah_request,
};
use crate::support::{Options, TestApp, seed};

const IMPORT: &str = r#"mutation ($input: ImportEdxlRmInput!) { importEdxlRm(input: $input) {
  messageType messageId duplicate request { id status requestNumber description stagingLocation contactName
    lineItems { quantity neededBy estimatedDurationHours resourceType { name } } }
  offer { id status cannotProvideReason estimatedArrivalAt arrivalPlace lines { quantity } } } }"#;

/// The schema directory shipped with the tests.
fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/edxl-rm-1.0")
}

/// Validates `xml` against the schema of its message type with xmllint (libxml2), failing the test if invalid.
fn xmllint(kind: &str, xml: &str) {
    let dir = std::env::temp_dir().join(format!("edxl-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{kind}.xml"));
    std::fs::write(&file, xml).unwrap();
    let xsd = schemas().join(format!("EDXL-RM{kind}.xsd"));
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .expect("xmllint (Debian libxml2-utils) must be installed: .ci/run installs it");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{kind} is not valid against {}:\n{}\n{xml}",
        xsd.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exports a record through GraphQL, checks the root element and validates it.
async fn export(app: &TestApp, token: &str, field: &str, id: &Value, message: &str, kind: &str) -> String {
    let query = format!("query ($id: ID!, $m: EdxlRmMessage) {{ {field}(id: $id) {{ edxlRm(message: $m) }} }}");
    let data = app.ok(token, &query, json!({ "id": id, "m": message })).await;
    let xml = data[field]["edxlRm"].as_str().unwrap_or_else(|| panic!("no {kind} for {field}: {data}")).to_owned();
    assert!(xml.contains(&format!("<rmsg:{kind} ")), "{xml}");
    xmllint(kind, &xml);
    xml
}

/// The text of the first `<name>` element.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</")? + start;
    Some(&xml[start..end])
}

async fn counts(app: &TestApp) -> (i64, i64) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let offers = entities::offer::Entity::find().count(&app.state.db).await.unwrap() as i64;
    let requests = entities::resource_request::Entity::find().count(&app.state.db).await.unwrap() as i64;
    (offers + requests, app.event_count().await)
}

/// An answer to `request` (its message id) from the sender, line by line: `(line, "Accept" | "Decline", quantity)`.
fn response(kind: &str, message_id: &str, request_message: &str, lines: &[(i64, &str, i64)]) -> String {
    let infos: String = lines
        .iter()
        .enumerate()
        .map(|(n, (line, answer, quantity))| {
            format!(
                r#"<rmsg:ResourceInformation>
  <rmsg:ResourceInfoElementID>{}</rmsg:ResourceInfoElementID>
  <rmsg:ResponseInformation><rm:PrecedingResourceInfoElementID>{line}</rm:PrecedingResourceInfoElementID>
    <rm:ResponseType>{answer}</rm:ResponseType><rm:ResponseReason>Crews committed at home</rm:ResponseReason></rmsg:ResponseInformation>
  <rmsg:AssignmentInformation><rmsg:Quantity><rm:MeasuredQuantity><rm:Amount>{quantity}</rm:Amount></rm:MeasuredQuantity></rmsg:Quantity></rmsg:AssignmentInformation>
  <rmsg:ScheduleInformation><rmsg:ScheduleType>EstimatedArrival</rmsg:ScheduleType><rmsg:DateTime>2026-11-21T20:00:00Z</rmsg:DateTime>
    <rmsg:Location><rm:LocationDescription>Liberty Park north lot</rm:LocationDescription></rmsg:Location></rmsg:ScheduleInformation>
</rmsg:ResourceInformation>"#,
                n + 1
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rmsg:{kind} xmlns:rmsg="urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg" xmlns:rm="urn:oasis:names:tc:emergency:EDXL:RM:1.0">
<rmsg:MessageID>{message_id}</rmsg:MessageID>
<rmsg:SentDateTime>2026-11-21T16:00:00-07:00</rmsg:SentDateTime>
<rmsg:MessageContentType>{kind}</rmsg:MessageContentType>
<rmsg:MessageDescription>Two swiftwater teams and four pumps from Utah County</rmsg:MessageDescription>
<rmsg:OriginatingMessageID>{request_message}</rmsg:OriginatingMessageID>
<rmsg:PrecedingMessageID>{request_message}</rmsg:PrecedingMessageID>
<rmsg:ContactInformation><rm:ContactDescription>Utah County</rm:ContactDescription><rm:ContactRole>RespondingOrg</rm:ContactRole></rmsg:ContactInformation>
{infos}
</rmsg:{kind}>"#
    )
}

#[tokio::test]
async fn every_message_of_a_utah_mission_validates_against_the_oasis_schemas() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let slco = rep(&app, "salt-lake-county");
    let utco = rep(&app, "utah-county");
    let davis = rep(&app, "davis-county");
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);

    let mut input = utah_request();
    input["input"]["contactName"] = json!("Deputy Director Ana Ruiz");
    input["input"]["contactPhone"] = json!("385-555-0100");
    input["input"]["contactEmail"] = json!("aruiz@slco.example.gov");
    input["input"]["lineItems"][0]["neededBy"] = json!("2026-11-21T22:00:00Z");
    let created = app.ok(&slco, CREATE, input).await;
    let request = created["createResourceRequest"]["resourceRequest"].clone();
    app.ok(&slco, SUBMIT, json!({ "input": { "requestId": request["id"] } })).await;
    app.ok(
        &coordinator,
        MISSION,
        json!({ "input": { "requestId": request["id"], "missionNumber": "UT-2026-0147",
                           "recipientIds": [seed("jurisdiction", "utah-county")] } }),
    )
    .await;

    // RequestResource: lines, incident, staging location and the requester's contact.
    let rr = export(&app, &slco, "resourceRequest", &request["id"], "REQUEST_RESOURCE", "RequestResource").await;
    let request_message = format!("urn:mutual-aid:rm:request:{}", request["id"].as_str().unwrap());
    assert_eq!(element(&rr, "rmsg:MessageID"), Some(request_message.as_str()));
    assert_eq!(element(&rr, "rmsg:OriginatingMessageID"), Some(request_message.as_str()));
    assert_eq!(
        element(&rr, "rm:IncidentID"),
        Some(seed("incident", "emigration-creek-flood-2026").to_string().as_str())
    );
    assert_eq!(element(&rr, "rm:ContactRole"), Some("Requester"));
    assert_eq!(element(&rr, "xnl:NameElement"), Some("Deputy Director Ana Ruiz"));
    assert_eq!(element(&rr, "rm:LocationDescription"), Some("Liberty Park north lot, 600 E 900 S"));
    assert_eq!(element(&rr, "rmsg:DateTime"), Some("2026-11-21T22:00:00Z"), "needed-by is the requested arrival");
    assert_eq!(element(&rr, "rm:Amount"), Some("2"));
    // Types by RTLT id where the catalog has one, else by catalog id.
    assert!(rr.contains("<rm:ValueListURN>urn:mutual-aid:rm:rtlt-id</rm:ValueListURN>"), "{rr}");
    assert!(rr.contains(&format!("<rm:Value>{}</rm:Value>", crate::missions::pump())), "{rr}");
    assert_eq!(element(&rr, "rmsg:ResourceInfoElementID"), Some("1"));
    assert!(rr.contains("<ti:Category>"), "typing details in TypeInfo: {rr}");
    // Stable across exports (but for the time sent).
    let again = export(&app, &slco, "resourceRequest", &request["id"], "REQUEST_RESOURCE", "RequestResource").await;
    assert_eq!(element(&again, "rmsg:MessageID"), element(&rr, "rmsg:MessageID"));
    // The same over HTTP, as application/xml; refused to a jurisdiction that does not see the request.
    let client = reqwest::Client::new();
    let url = app.url(&format!("/edxl-rm/RequestResource/{}", request["id"].as_str().unwrap()));
    let got = client.get(&url).bearer_auth(&slco).header("accept", "application/xml").send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert!(got.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
    let body = got.text().await.unwrap();
    xmllint("RequestResource", &body);
    assert_eq!(element(&body, "rmsg:MessageID"), element(&rr, "rmsg:MessageID"));
    let hidden = client.get(&url).bearer_auth(&davis).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    assert_eq!(hidden.json::<Value>().await.unwrap()["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = app
        .fails(
            Some(&slco),
            "query ($id: ID!) { resourceRequest(id: $id) { edxlRm(message: COMMIT_RESOURCE) } }",
            json!({ "id": request["id"] }),
            "BAD_USER_INPUT",
        )
        .await;
    assert!(wrong["errors"][0]["message"].as_str().unwrap().contains("RequestResource"), "{wrong}");

    // Utah County answers from its own system: the response becomes an offer, once.
    let xml = response(
        "ResponseToRequestResource",
        "UC-EOC-2026-88",
        &request_message,
        &[(1, "Accept", 2), (2, "Accept", 4)],
    );
    xmllint("ResponseToRequestResource", &xml);
    let before = counts(&app).await;
    let imported = app.ok(&utco, IMPORT, json!({ "input": { "xml": xml } })).await;
    let imported = &imported["importEdxlRm"];
    assert_eq!(imported["messageType"], "RESPONSE_TO_REQUEST_RESOURCE");
    assert_eq!(imported["duplicate"], false);
    assert_eq!(imported["offer"]["status"], "OFFERED");
    assert_eq!(imported["offer"]["lines"], json!([{ "quantity": 2 }, { "quantity": 4 }]));
    assert_eq!(imported["offer"]["estimatedArrivalAt"], "2026-11-21T20:00:00Z");
    assert_eq!(imported["offer"]["arrivalPlace"], "Liberty Park north lot");
    let offer = imported["offer"]["id"].clone();
    let after = counts(&app).await;
    assert_eq!(after.0, before.0 + 1);
    let resent = app.ok(&utco, IMPORT, json!({ "input": { "xml": xml } })).await;
    assert_eq!(resent["importEdxlRm"]["duplicate"], true);
    assert_eq!(resent["importEdxlRm"]["offer"]["id"], offer);
    assert_eq!(counts(&app).await, after, "a message received twice changes nothing the second time");
    // Davis County was not addressed: its answer is refused and writes nothing.
    let stranger = response("ResponseToRequestResource", "DAVIS-1", &request_message, &[(1, "Accept", 1)]);
    let body = app.fails(Some(&davis), IMPORT, json!({ "input": { "xml": stranger } }), "BAD_USER_INPUT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("PrecedingMessageID"), "{body}");
    assert_eq!(counts(&app).await, after);

    let resp = export(&app, &utco, "offer", &offer, "RESPONSE_TO_REQUEST_RESOURCE", "ResponseToRequestResource").await;
    assert_eq!(element(&resp, "rmsg:MessageID"), Some("UC-EOC-2026-88"), "the sender's id is kept");
    assert_eq!(element(&resp, "rmsg:PrecedingMessageID"), Some(request_message.as_str()));
    assert_eq!(element(&resp, "rm:ResponseType"), Some("Accept"));

    // CommitResource: the accepted offer; then the deployment's messages as it goes.
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    let commit = export(&app, &slco, "agreement", &agreement, "COMMIT_RESOURCE", "CommitResource").await;
    assert_eq!(element(&commit, "rmsg:PrecedingMessageID"), Some("UC-EOC-2026-88"));
    assert_eq!(element(&commit, "rmsg:OriginatingMessageID"), Some(request_message.as_str()));
    assert_eq!(element(&commit, "rmsg:OrderID"), Some("UT-2026-0147"));
    let commit_id = element(&commit, "rmsg:MessageID").unwrap().to_owned();

    let amendment = app
        .ok(
            &utco,
            PROPOSE,
            json!({ "input": { "agreementId": agreement, "description": "Extend by 24 hours",
                                               "changes": { "estimatedDepartureAt": "2026-11-25T20:00:00Z" } } }),
        )
        .await;
    assert_eq!(amendment["proposeAmendment"]["amendment"]["number"], 1);
    let amendments = "query ($id: ID!) { agreement(id: $id) { amendments { number edxlRm } } }";
    let data = app.ok(&utco, amendments, json!({ "id": agreement })).await;
    let ext = data["agreement"]["amendments"][0]["edxlRm"].as_str().unwrap().to_owned();
    xmllint("RequestExtendedDeploymentDuration", &ext);
    assert_eq!(element(&ext, "rmsg:PrecedingMessageID"), Some(commit_id.as_str()));
    assert_eq!(element(&ext, "rmsg:DateTime"), Some("2026-11-25T20:00:00Z"));
    // An amendment that moves no departure is not an extension.
    app.ok(
        &utco,
        PROPOSE,
        json!({ "input": { "agreementId": agreement, "description": "Swap a pump", "changes": { "pumps": 4 } } }),
    )
    .await;
    let body = app.fails(Some(&utco), amendments, json!({ "id": agreement }), "BAD_USER_INPUT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("not an extension"), "{body}");

    let status = export(
        &app,
        &utco,
        "deployment",
        &deployment,
        "REPORT_RESOURCE_DEPLOYMENT_STATUS",
        "ReportResourceDeploymentStatus",
    )
    .await;
    assert!(status.contains("<rm:ValueListURN>urn:mutual-aid:rm:deployment-status</rm:ValueListURN>"));
    assert!(status.contains("<rm:Value>PREPARING</rm:Value>"), "{status}");
    let release_early = app
        .fails(
            Some(&utco),
            "query ($id: ID!) { deployment(id: $id) { edxlRm(message: RELEASE_RESOURCE) } }",
            json!({ "id": deployment }),
            "BAD_USER_INPUT",
        )
        .await;
    assert!(release_early["errors"][0]["message"].as_str().unwrap().contains("not been released"));
    let step = json!({ "input": { "deploymentId": deployment } });
    app.ok(
        &utco,
        PREPARE,
        json!({ "input": { "deploymentId": deployment, "readinessChecked": true, "communicationsChecked": true } }),
    )
    .await;
    app.ok(&utco, DEPART, step.clone()).await;
    clock.advance(Duration::hours(2));
    app.ok(&slco, ARRIVE, step.clone()).await;
    app.ok(&slco, ASSIGN, json!({ "input": { "deploymentId": deployment, "assignment": "Division A swiftwater", "location": "1300 E Emigration Canyon Rd" } })).await;
    let on_site = export(
        &app,
        &slco,
        "deployment",
        &deployment,
        "REPORT_RESOURCE_DEPLOYMENT_STATUS",
        "ReportResourceDeploymentStatus",
    )
    .await;
    assert!(on_site.contains("<rm:Value>ON_SITE</rm:Value>"));
    assert!(on_site.contains("<rmsg:ScheduleType>ActualArrival</rmsg:ScheduleType>"));
    assert_ne!(element(&on_site, "rmsg:MessageID"), element(&status, "rmsg:MessageID"), "one id per reported state");

    app.ok(&utco, RECALL, json!({ "input": { "deploymentId": deployment, "reason": "Flooding at home" } })).await;
    let recall = export(&app, &utco, "deployment", &deployment, "REQUEST_RETURN", "RequestReturn").await;
    assert_eq!(element(&recall, "rmsg:MessageDescription"), Some("Flooding at home"));
    assert!(recall.contains("<rmsg:ScheduleType>RequestedReturnDeparture</rmsg:ScheduleType>"));
    clock.advance(Duration::hours(24));
    app.ok(&utco, RELEASE, json!({ "input": { "deploymentId": deployment, "debriefed": true } })).await;
    let release = export(&app, &slco, "deployment", &deployment, "RELEASE_RESOURCE", "ReleaseResource").await;
    assert!(release.contains("<rmsg:ScheduleType>ActualReturnDeparture</rmsg:ScheduleType>"));
    clock.advance(Duration::hours(3));
    app.ok(&utco, RETURN, step.clone()).await;
    let home = export(
        &app,
        &utco,
        "deployment",
        &deployment,
        "REPORT_RESOURCE_DEPLOYMENT_STATUS",
        "ReportResourceDeploymentStatus",
    )
    .await;
    assert!(home.contains("<rmsg:ScheduleType>ActualReturnArrival</rmsg:ScheduleType>"));
    for xml in [&resp, &commit, &ext, &status, &recall, &release, &home] {
        assert_eq!(element(xml, "rmsg:OriginatingMessageID"), Some(request_message.as_str()), "one conversation");
    }
    // Davis County sees none of the mission's messages.
    let (_, body) =
        app.gql(Some(&davis), "query ($id: ID!) { agreement(id: $id) { edxlRm } }", json!({ "id": agreement })).await;
    assert_eq!(body["data"]["agreement"], Value::Null, "{body}");
}
