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
use crate::support::{Options, TestApp, readme_example, seed};

const IMPORT: &str = r#"mutation ($input: ImportEdxlRmInput!) { importEdxlRm(input: $input) {
  messageType messageId duplicate request { id status requestNumber description stagingLocation contactName
    lineItems { quantity neededBy estimatedDurationHours resourceType { name } } }
  offer { id status cannotProvideReason estimatedArrivalAt arrivalPlace lines { quantity } } } }"#;

/// The schema directory shipped with the tests.
fn schemas() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/edxl-rm-1.0")
}

/// A schema validator: Debian's `xmllint` (libxml2-utils, which `.ci/run` installs) when it is on the PATH, else the
/// same libxml2 compiled to WebAssembly (`xmllint-wasm` from npm, `tests/js/xmllint.mjs`). `EDXL_XMLLINT=wasm`
/// forces the second.
fn validator(xsd: &std::path::Path, file: &std::path::Path) -> Command {
    let native = std::env::var("EDXL_XMLLINT").as_deref() != Ok("wasm")
        && Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if native {
        let mut command = Command::new("xmllint");
        command.args(["--noout", "--nonet", "--schema"]).arg(xsd).arg(file);
        command
    } else {
        let dir = crate::support::node_clients();
        let mut command = Command::new("node");
        command.arg(dir.join("xmllint.mjs")).arg(xsd).arg(file);
        command
    }
}

/// Whether libxml2 finds `xml` valid against the schema of message type `kind`, and what it said.
fn libxml2(kind: &str, xml: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("edxl-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{kind}.xml"));
    std::fs::write(&file, xml).unwrap();
    let xsd = schemas().join(format!("EDXL-RM{kind}.xsd"));
    let out = validator(&xsd, &file).output().expect("run the schema validator");
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Validates `xml` against the schema of its message type, failing the test if it is not valid.
fn xmllint(kind: &str, xml: &str) {
    let (valid, said) = libxml2(kind, xml);
    assert!(valid, "{kind} is not valid against its EDXL-RM 1.0 schema:\n{said}\n{xml}");
}

/// Exports a record through GraphQL as the message `kind` (its root element, such as `RequestResource`), checks the
/// root element and validates it.
async fn export(app: &TestApp, token: &str, field: &str, id: &Value, kind: &str) -> String {
    // The GraphQL enum value of a message type is its element name in SCREAMING_SNAKE_CASE.
    let mut message = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            message.push('_');
        }
        message.push(c.to_ascii_uppercase());
    }
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
    let rr = export(&app, &slco, "resourceRequest", &request["id"], "RequestResource").await;
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
    let again = export(&app, &slco, "resourceRequest", &request["id"], "RequestResource").await;
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

    let resp = export(&app, &utco, "offer", &offer, "ResponseToRequestResource").await;
    assert_eq!(element(&resp, "rmsg:MessageID"), Some("UC-EOC-2026-88"), "the sender's id is kept");
    assert_eq!(element(&resp, "rmsg:PrecedingMessageID"), Some(request_message.as_str()));
    assert_eq!(element(&resp, "rm:ResponseType"), Some("Accept"));

    // CommitResource: the accepted offer; then the deployment's messages as it goes.
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer } })).await;
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    let commit = export(&app, &slco, "agreement", &agreement, "CommitResource").await;
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

    let status = export(&app, &utco, "deployment", &deployment, "ReportResourceDeploymentStatus").await;
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
    let on_site = export(&app, &slco, "deployment", &deployment, "ReportResourceDeploymentStatus").await;
    assert!(on_site.contains("<rm:Value>ON_SITE</rm:Value>"));
    assert!(on_site.contains("<rmsg:ScheduleType>ActualArrival</rmsg:ScheduleType>"));
    assert_ne!(element(&on_site, "rmsg:MessageID"), element(&status, "rmsg:MessageID"), "one id per reported state");

    app.ok(&utco, RECALL, json!({ "input": { "deploymentId": deployment, "reason": "Flooding at home" } })).await;
    let recall = export(&app, &utco, "deployment", &deployment, "RequestReturn").await;
    assert_eq!(element(&recall, "rmsg:MessageDescription"), Some("Flooding at home"));
    assert!(recall.contains("<rmsg:ScheduleType>RequestedReturnDeparture</rmsg:ScheduleType>"));
    clock.advance(Duration::hours(24));
    app.ok(&utco, RELEASE, json!({ "input": { "deploymentId": deployment, "debriefed": true } })).await;
    let release = export(&app, &slco, "deployment", &deployment, "ReleaseResource").await;
    assert!(release.contains("<rmsg:ScheduleType>ActualReturnDeparture</rmsg:ScheduleType>"));
    clock.advance(Duration::hours(3));
    app.ok(&utco, RETURN, step.clone()).await;
    let home = export(&app, &utco, "deployment", &deployment, "ReportResourceDeploymentStatus").await;
    assert!(home.contains("<rmsg:ScheduleType>ActualReturnArrival</rmsg:ScheduleType>"));
    for xml in [&resp, &commit, &ext, &status, &recall, &release, &home] {
        assert_eq!(element(xml, "rmsg:OriginatingMessageID"), Some(request_message.as_str()), "one conversation");
    }
    // Davis County sees none of the mission's messages.
    let (_, body) =
        app.gql(Some(&davis), "query ($id: ID!) { agreement(id: $id) { edxlRm } }", json!({ "id": agreement })).await;
    assert_eq!(body["data"]["agreement"], Value::Null, "{body}");
}

/// A Bexar County request under the AACOG RMA, broadcast to every member.
async fn bexar_request(app: &TestApp, bexar: &str) -> Value {
    let input = json!({ "input": {
        "compactId": seed("compact", "aacog-rma"),
        "incidentId": seed("incident", "medina-river-grass-fire"),
        "description": "Engines and water tenders for structure protection along the Medina River",
        "stagingLocation": "Von Ormy fire station, 14400 Fischer Rd",
        "contactName": "Fire Marshal Lee Chen", "contactPhone": "210-555-0161", "contactEmail": "lchen@bexar.example.gov",
        "broadcast": true,
        "lineItems": [
            { "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 3,
              "neededBy": "2026-11-21T02:00:00Z", "estimatedDurationHours": 48, "description": "Pump and roll" },
            { "resourceTypeId": seed("resource-type", "water-tender-firefighting-tactical-2"), "quantity": 2,
              "neededBy": "2026-11-21T04:00:00Z" }
        ]
    } });
    let created = app.ok(bexar, CREATE, input).await;
    let request = created["createResourceRequest"]["resourceRequest"].clone();
    let submitted = app.ok(bexar, SUBMIT, json!({ "input": { "requestId": request["id"] } })).await;
    assert_eq!(submitted["submitResourceRequest"]["resourceRequest"]["status"], "OPEN");
    request
}

/// A message as the server reads it, without what legitimately differs between two copies of one request
/// (when it was sent, the incident and the organisation it is filed under).
fn comparable(xml: &str) -> api::edxl::message::Message {
    let mut message = api::edxl::read::parse(xml).unwrap();
    message.sent_at = chrono::DateTime::UNIX_EPOCH;
    message.incidents.clear();
    for contact in &mut message.contacts {
        contact.description = None;
    }
    message
}

#[tokio::test]
async fn a_request_exported_imported_into_a_second_compact_and_exported_again_is_the_same_message() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let texas = rep(&app, "texas");
    let request = bexar_request(&app, &bexar).await;
    let first = export(&app, &bexar, "resourceRequest", &request["id"], "RequestResource").await;

    // Texas carries its county's request to EMAC: same message, now a submitted EMAC request of the state.
    let emac = seed("compact", "emac");
    let input = json!({ "input": { "xml": first, "compactId": emac,
                                   "incidentId": seed("incident", "medina-river-grass-fire"), "submit": true } });
    let imported = app.ok(&texas, IMPORT, input.clone()).await;
    let imported = &imported["importEdxlRm"];
    assert_eq!(imported["duplicate"], false);
    let copy = &imported["request"];
    // EMAC is coordinated through the state EOCs: submitted, it waits for a mission number.
    assert_eq!(copy["status"], "SUBMITTED", "{imported}");
    assert_eq!(copy["description"], "Engines and water tenders for structure protection along the Medina River");
    assert_eq!(copy["stagingLocation"], "Von Ormy fire station, 14400 Fischer Rd");
    assert_eq!(copy["contactName"], "Fire Marshal Lee Chen");
    assert_eq!(
        copy["lineItems"],
        json!([
            { "quantity": 3, "neededBy": "2026-11-21T02:00:00Z", "estimatedDurationHours": 48,
              "resourceType": { "name": "Engine, Fire (Wildland)" } },
            { "quantity": 2, "neededBy": "2026-11-21T04:00:00Z", "estimatedDurationHours": null,
              "resourceType": { "name": "Water Tender, Firefighting (Tactical)" } }
        ])
    );
    let again = export(&app, &texas, "resourceRequest", &copy["id"], "RequestResource").await;
    assert_eq!(comparable(&again), comparable(&first), "export, import, export: the same message\n{first}\n{again}");
    assert_eq!(element(&again, "rm:ContactDescription"), Some("State of Texas"));

    // The same message again: nothing changes, the first request is returned.
    let before = counts(&app).await;
    let resent = app.ok(&texas, IMPORT, input).await;
    assert_eq!(resent["importEdxlRm"]["duplicate"], true);
    assert_eq!(resent["importEdxlRm"]["request"]["id"], copy["id"]);
    assert_eq!(counts(&app).await, before);

    // Four copies of a new message at once (over HTTP): one request, three duplicates.
    let fresh = first.replace("urn:mutual-aid:rm:request:", "urn:example:bexar-eoc:");
    let url = app.url(&format!("/edxl-rm?compactId={emac}&incidentId={}", seed("incident", "medina-river-grass-fire")));
    let client = reqwest::Client::new();
    let sends = (0..4).map(|_| {
        client.post(&url).bearer_auth(&texas).header("content-type", "application/xml").body(fresh.clone()).send()
    });
    let mut created = 0;
    let mut records = std::collections::BTreeSet::new();
    for sent in futures_util::future::join_all(sends).await {
        let sent = sent.unwrap();
        let status = sent.status();
        let body: Value = sent.json().await.unwrap();
        assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status} {body}");
        if status == StatusCode::CREATED {
            created += 1;
            assert_eq!(body["duplicate"], false);
        } else {
            assert_eq!(body["duplicate"], true);
        }
        records.insert(body["recordId"].as_str().unwrap().to_owned());
    }
    assert_eq!((created, records.len()), (1, 1), "one message, one request");
    assert_eq!(counts(&app).await.0, before.0 + 1);

    // In an EDXL-DE envelope, unwrapped.
    let body = first.replace("urn:mutual-aid:rm:request:", "urn:example:de:");
    let body = body.trim_start_matches(|c| c != '\n').trim_start();
    let envelope = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">
  <distributionID>TX-SOC-2026-0042</distributionID><senderID>soc@tdem.example.gov</senderID>
  <dateTimeSent>2026-11-21T01:00:00-06:00</dateTimeSent><distributionStatus>Exercise</distributionStatus>
  <distributionType>Request</distributionType><combinedConfidentiality>UNCLASSIFIED</combinedConfidentiality>
  <contentObject><xmlContent><embeddedXMLContent>{body}</embeddedXMLContent></xmlContent></contentObject>
</EDXLDistribution>"#
    );
    let wrapped = app
        .ok(
            &texas,
            IMPORT,
            json!({ "input": { "xml": envelope, "compactId": emac,
                                               "incidentId": seed("incident", "medina-river-grass-fire") } }),
        )
        .await;
    assert_eq!(wrapped["importEdxlRm"]["request"]["status"], "DRAFT");
    assert!(wrapped["importEdxlRm"]["messageId"].as_str().unwrap().starts_with("urn:example:de:"));
}

#[tokio::test]
async fn aacog_answers_arrive_as_offers_and_declines_and_leave_as_schema_valid_messages() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let kendall = rep(&app, "kendall-county");
    let kerr = rep(&app, "kerr-county");
    let request = bexar_request(&app, &bexar).await;
    let request_message = format!("urn:mutual-aid:rm:request:{}", request["id"].as_str().unwrap());

    // Kendall County cannot help: every line Declined becomes a "cannot provide" answer with the reason.
    let declined = response(
        "ResponseToRequestResource",
        "KENDALL-OEM-17",
        &request_message,
        &[(1, "Decline", 0), (2, "Decline", 0)],
    );
    let declined = app.ok(&kendall, IMPORT, json!({ "input": { "xml": declined } })).await;
    let answer = &declined["importEdxlRm"]["offer"];
    assert_eq!(answer["status"], "CANNOT_PROVIDE");
    assert_eq!(answer["cannotProvideReason"], "Crews committed at home; Crews committed at home");
    let out = export(&app, &kendall, "offer", &answer["id"], "ResponseToRequestResource").await;
    assert_eq!(out.matches("<rm:ResponseType>Decline</rm:ResponseType>").count(), 2, "{out}");

    // Kerr County commits two engines from its own system (CommitResource): an offer of line 1.
    let commit = response("CommitResource", "KERR-CAD-5521", &request_message, &[(1, "Accept", 2)]);
    xmllint("CommitResource", &commit);
    let offered = app.ok(&kerr, IMPORT, json!({ "input": { "xml": commit } })).await;
    let offer = offered["importEdxlRm"]["offer"].clone();
    assert_eq!(offer["status"], "OFFERED");
    assert_eq!(offer["lines"], json!([{ "quantity": 2 }]));
    // More than requested, or a line the request does not have: refused, nothing written.
    let before = counts(&app).await;
    for (xml, expected) in [
        (response("CommitResource", "KERR-2", &request_message, &[(1, "Accept", 9)]), "quantity"),
        (response("CommitResource", "KERR-3", &request_message, &[(7, "Accept", 1)]), "PrecedingResourceInfoElementID"),
        (
            response("CommitResource", "KERR-4", &request_message, &[(1, "Accept", 1)])
                .replace("<rm:Amount>1</rm:Amount>", "<rm:Amount>1.5</rm:Amount>"),
            "whole number",
        ),
    ] {
        let body = app.fails(Some(&kerr), IMPORT, json!({ "input": { "xml": xml } }), "BAD_USER_INPUT").await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(expected), "{expected}: {body}");
    }
    assert_eq!(counts(&app).await, before);

    let accepted = app.ok(&bexar, ACCEPT, json!({ "input": { "offerId": offer["id"] } })).await;
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    let out = export(&app, &kerr, "agreement", &agreement, "CommitResource").await;
    assert_eq!(element(&out, "rmsg:PrecedingMessageID"), Some("KERR-CAD-5521"));
    assert_eq!(element(&out, "rmsg:OrderID"), Some(agreement.as_str().unwrap()), "no mission number: the agreement");
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    export(&app, &bexar, "deployment", &deployment, "ReportResourceDeploymentStatus").await;
}

/// A minimal valid `RequestResource` for the AACOG fire, with `id` as message id.
fn minimal_request(id: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rmsg:RequestResource xmlns:rmsg="urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg" xmlns:rm="urn:oasis:names:tc:emergency:EDXL:RM:1.0">
<rmsg:MessageID>{id}</rmsg:MessageID>
<rmsg:SentDateTime>2026-11-21T01:00:00Z</rmsg:SentDateTime>
<rmsg:MessageContentType>RequestResource</rmsg:MessageContentType>
<rmsg:OriginatingMessageID>{id}</rmsg:OriginatingMessageID>
<rmsg:IncidentInformation><rm:IncidentID>{}</rm:IncidentID></rmsg:IncidentInformation>
<rmsg:ContactInformation><rm:ContactDescription>Bexar County</rm:ContactDescription><rm:ContactRole>Requester</rm:ContactRole></rmsg:ContactInformation>
<rmsg:ResourceInformation>
  <rmsg:ResourceInfoElementID>1</rmsg:ResourceInfoElementID>
  <rmsg:Resource><rmsg:Name>Engine</rmsg:Name><rmsg:TypeStructure><rm:ValueListURN>urn:mutual-aid:rm:resource-type</rm:ValueListURN><rm:Value>{}</rm:Value></rmsg:TypeStructure></rmsg:Resource>
  <rmsg:AssignmentInformation><rmsg:Quantity><rm:QuantityText>2</rm:QuantityText></rmsg:Quantity></rmsg:AssignmentInformation>
  <rmsg:ScheduleInformation><rmsg:ScheduleType>RequestedArrival</rmsg:ScheduleType><rmsg:DateTime>2026-11-21T03:00:00Z</rmsg:DateTime></rmsg:ScheduleInformation>
</rmsg:ResourceInformation>
</rmsg:RequestResource>"#,
        seed("incident", "medina-river-grass-fire"),
        seed("resource-type", "engine-fire-wildland-3"),
    )
}

#[tokio::test]
async fn malformed_and_hostile_xml_is_refused_with_the_element_named_and_nothing_written() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let aacog = seed("compact", "aacog-rma");
    let valid = minimal_request("urn:example:ok");
    xmllint("RequestResource", &valid);
    let ok = app.ok(&bexar, IMPORT, json!({ "input": { "xml": valid, "compactId": aacog } })).await;
    assert_eq!(ok["importEdxlRm"]["request"]["status"], "DRAFT");

    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">{}]><lolz>&lol9;</lolz>"#,
        (1..10)
            .map(|i| format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&lol{};", i - 1).repeat(10).replace("&lol0;", "&lol;")
            ))
            .collect::<String>()
    );
    let xxe = valid
        .replace(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
        )
        .replace("Bexar County", "&x;");
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    let wide = format!("<a>{}</a>", "<b/>".repeat(30_000));
    // Cases that are well-formed but not valid are also refused by xmllint: the two readings agree.
    let cases: Vec<(&str, String, &str, bool)> = vec![
        ("not well-formed", valid[..valid.len() - 30].to_owned(), "not well-formed", false),
        ("wrong namespace", valid.replace("urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg", "urn:example:rm"), "namespace", true),
        ("missing MessageID", valid.replace("<rmsg:MessageID>urn:example:ok</rmsg:MessageID>", ""), "RequestResource/SentDateTime: expected MessageID", true),
        ("out of order", valid.replace("<rmsg:MessageContentType>RequestResource</rmsg:MessageContentType>\n<rmsg:OriginatingMessageID>urn:example:ok</rmsg:OriginatingMessageID>", "<rmsg:OriginatingMessageID>urn:example:ok</rmsg:OriginatingMessageID>\n<rmsg:MessageContentType>RequestResource</rmsg:MessageContentType>"), "expected MessageContentType", true),
        ("missing Resource", valid.replace(&valid[valid.find("<rmsg:Resource>").unwrap()..valid.find("<rmsg:AssignmentInformation>").unwrap()], ""), "ResourceInformation[1]/AssignmentInformation: expected Resource", true),
        ("a schedule type the message has not", valid.replace("<rmsg:ScheduleType>RequestedArrival", "<rmsg:ScheduleType>ActualArrival"), "ScheduleInformation[1]/ScheduleType", true),
        ("a date without its offset", valid.replace("2026-11-21T03:00:00Z", "tomorrow"), "DateTime", true),
        ("an unknown element", valid.replace("<rmsg:ContactInformation>", "<rmsg:Extra>1</rmsg:Extra><rmsg:ContactInformation>"), "Extra", true),
        ("an unknown resource type", valid.replace("urn:example:ok", "urn:example:type").replace(&seed("resource-type", "engine-fire-wildland-3").to_string(), &uuid::Uuid::nil().to_string()), "no resource type", false),
        ("a message type not read", valid.replace("urn:example:ok", "urn:example:release").replace("RequestResource", "ReleaseResource"), "reads only", false),
        ("billion laughs", laughs, "DTD", false),
        ("external entity", xxe, "DTD", false),
        ("deep nesting", deep, "nested more than 32", false),
        ("too many nodes", wide, "more than 20000", false),
    ];
    let before = counts(&app).await;
    for (name, xml, expected, schema_invalid) in &cases {
        if *schema_invalid {
            assert!(!libxml2("RequestResource", xml).0, "{name}: libxml2 accepted it");
        }
        let (_, body) = app.gql(Some(&bexar), IMPORT, json!({ "input": { "xml": xml, "compactId": aacog } })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{name}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{name}: expected {expected:?} in {message:?}");
        // The same over HTTP.
        let sent = reqwest::Client::new()
            .post(app.url(&format!("/edxl-rm?compactId={aacog}")))
            .bearer_auth(&bexar)
            .header("content-type", "application/xml")
            .body(xml.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::BAD_REQUEST, "{name}");
        let body: Value = sent.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{name}");
    }
    assert_eq!(counts(&app).await, before, "no refused message wrote anything");

    // 50 MB: refused by size before it is read, on both transports.
    let huge = format!("{}{}", valid, " ".repeat(50 * 1024 * 1024));
    let client = reqwest::Client::new();
    let sent = client
        .post(app.url(&format!("/edxl-rm?compactId={aacog}")))
        .bearer_auth(&bexar)
        .header("content-type", "application/xml")
        .body(huge.clone())
        .send()
        .await;
    if let Ok(sent) = sent {
        assert_eq!(sent.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let (status, _) = app.gql(Some(&bexar), IMPORT, json!({ "input": { "xml": huge, "compactId": aacog } })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Under the body limit but over the message limit.
    let big = valid
        .replace("<rmsg:OriginatingMessageID>", &format!("<!--{}--><rmsg:OriginatingMessageID>", "x".repeat(600_000)));
    let body =
        app.fails(Some(&bexar), IMPORT, json!({ "input": { "xml": big, "compactId": aacog } }), "BAD_USER_INPUT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 524288"), "{body}");

    // Authority: another jurisdiction's request, a coordinator, an anonymous caller, the wrong media type.
    let other = json!({ "input": { "xml": minimal_request("urn:example:2"), "compactId": aacog,
                                   "jurisdictionId": seed("jurisdiction", "kerr-county") } });
    app.fails(Some(&bexar), IMPORT, other, "FORBIDDEN").await;
    let coordinator = app.token("aacog-coordinator", Some(seed("jurisdiction", "aacog")), &["COORDINATOR"], &[aacog]);
    let input = json!({ "input": { "xml": minimal_request("urn:example:3"), "compactId": aacog } });
    app.fails(Some(&coordinator), IMPORT, input.clone(), "FORBIDDEN").await;
    app.fails(None, IMPORT, input, "UNAUTHENTICATED").await;
    let url = app.url(&format!("/edxl-rm?compactId={aacog}"));
    let plain = client
        .post(&url)
        .bearer_auth(&bexar)
        .header("content-type", "text/plain")
        .body(valid.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let anonymous =
        client.post(&url).header("content-type", "application/xml").body(valid.clone()).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let by_coordinator = client
        .post(&url)
        .bearer_auth(&coordinator)
        .header("content-type", "application/xml")
        .body(valid)
        .send()
        .await
        .unwrap();
    assert_eq!(by_coordinator.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn the_readme_examples_export_and_import_as_published() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let message = readme_example("edxl-import");
    xmllint("RequestResource", &message);
    let sent = reqwest::Client::new()
        .post(app.url(&format!(
            "/edxl-rm?compactId={}&incidentId={}",
            seed("compact", "utah-smaa"),
            seed("incident", "emigration-creek-flood-2026")
        )))
        .bearer_auth(&slco)
        .header("content-type", "application/xml")
        .body(message)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let body: Value = sent.json().await.unwrap();
    assert_eq!(body["recordType"], "RESOURCE_REQUEST");
    let data = app.ok(&slco, &readme_example("edxl-export"), json!({ "id": body["recordId"] })).await;
    let xml = data["resourceRequest"]["edxlRm"].as_str().unwrap();
    xmllint("RequestResource", xml);
    assert_eq!(element(xml, "rmsg:MessageID"), Some("urn:example:slco-eoc:2026-1187"));
    assert_eq!(element(xml, "rm:Value"), Some("8-508-1020"));
    assert_eq!(element(xml, "rmsg:DateTime"), Some("2026-11-21T19:00:00Z"), "the offset is kept as the instant");
}
