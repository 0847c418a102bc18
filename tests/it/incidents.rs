//! Incidents: declaration rules, the written-declaration deadline from the compact's policy, and visibility on
//! every read path (lookup, list, count, history).

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::support::{Options, TestApp, seed};

const DECLARE: &str = r#"mutation ($input: DeclareIncidentInput!) {
  declareIncident(input: $input) { incident { id name status declarationForm declaredAt writtenDeclarationDueAt
    writtenDeclarationAt jurisdiction { name } compact { shortName } } }
}"#;

const WRITTEN: &str = r#"mutation ($input: RecordWrittenDeclarationInput!) {
  recordWrittenDeclaration(input: $input) { incident { writtenDeclarationAt version } }
}"#;

fn rep(app: &TestApp, key: &str) -> String {
    app.token(&crate::support::rep_subject(key), Some(seed("jurisdiction", key)), &["AUTHORIZED_REPRESENTATIVE"], &[])
}

#[tokio::test]
async fn an_oral_declaration_gets_the_written_deadline_of_its_compact() {
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 18, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(now);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, now).await.unwrap();
    let davis = rep(&app, "davis-county");
    let input = json!({ "input": { "name": "Farmington Canyon Debris Flow", "kind": "DISASTER",
        "compactId": seed("compact", "utah-smaa"), "declaredAt": "2026-11-21T16:30:00Z", "declarationForm": "ORAL",
        "latitude": 40.98, "longitude": -111.88 } });
    let data = app.ok(&davis, DECLARE, input).await;
    let incident = &data["declareIncident"]["incident"];
    assert_eq!(incident["jurisdiction"]["name"], "Davis County");
    assert_eq!(incident["compact"]["shortName"], "Utah SMAA");
    assert_eq!(incident["status"], "ACTIVE");
    assert_eq!(incident["writtenDeclarationDueAt"], "2026-11-22T16:30:00Z", "Utah: 24 hours after the oral one");
    assert_eq!(incident["writtenDeclarationAt"], Value::Null);

    clock.advance(Duration::hours(3));
    let id = incident["id"].clone();
    let data = app.ok(&davis, WRITTEN, json!({ "input": { "incidentId": id } })).await;
    assert_eq!(data["recordWrittenDeclaration"]["incident"]["writtenDeclarationAt"], "2026-11-21T21:00:00Z");
    assert_eq!(data["recordWrittenDeclaration"]["incident"]["version"], 2);
    app.fails(Some(&davis), WRITTEN, json!({ "input": { "incidentId": id } }), "CONFLICT").await;
    let history = app
        .ok(
            &davis,
            "query ($id: ID!) { incident(id: $id) { history { edges { node { action payload } } } } }",
            json!({ "id": id }),
        )
        .await;
    let recorded = &history["incident"]["history"]["edges"][1]["node"];
    assert_eq!(recorded["action"], "WRITTEN_DECLARATION_RECORDED");
    assert_eq!(recorded["payload"]["onTime"], true);

    // AACOG has no written-declaration rule: no deadline is created.
    let bexar = rep(&app, "bexar-county");
    let input = json!({ "input": { "name": "Leon Creek Flash Flood", "kind": "DISASTER",
        "compactId": seed("compact", "aacog-rma"), "declarationForm": "ORAL" } });
    let data = app.ok(&bexar, DECLARE, input).await;
    assert_eq!(data["declareIncident"]["incident"]["writtenDeclarationDueAt"], Value::Null);
}

#[tokio::test]
async fn declarations_are_refused_for_others_non_members_and_bad_input() {
    let app = TestApp::seeded().await;
    let bexar = rep(&app, "bexar-county");
    let utah_compact = seed("compact", "utah-smaa");
    let before = app.event_count().await;
    let for_slco = json!({ "input": { "name": "X", "kind": "DISASTER", "jurisdictionId": seed("jurisdiction", "salt-lake-county"), "declarationForm": "WRITTEN" } });
    app.fails(Some(&bexar), DECLARE, for_slco, "FORBIDDEN").await;
    let not_member = json!({ "input": { "name": "X", "kind": "DISASTER", "compactId": utah_compact, "declarationForm": "WRITTEN" } });
    let body = app.fails(Some(&bexar), DECLARE, not_member, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "compactId");
    let observer = app.token("watch", Some(seed("jurisdiction", "bexar-county")), &["OBSERVER"], &[]);
    let own = json!({ "input": { "name": "X", "kind": "DISASTER", "declarationForm": "WRITTEN" } });
    app.fails(Some(&observer), DECLARE, own.clone(), "FORBIDDEN").await;
    let future = json!({ "input": { "name": "X", "kind": "DISASTER", "declarationForm": "WRITTEN", "declaredAt": "2099-01-01T00:00:00Z" } });
    app.fails(Some(&bexar), DECLARE, future, "BAD_USER_INPUT").await;
    let bad_date = json!({ "input": { "name": "X", "kind": "DISASTER", "declarationForm": "WRITTEN", "declaredAt": "yesterday" } });
    let (status, _) = app.gql(Some(&bexar), DECLARE, bad_date).await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "a malformed scalar is a request error");
    assert_eq!(app.event_count().await, before);

    // A coordinator records a declaration on behalf of a member of its compact.
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah_compact]);
    let on_behalf = json!({ "input": { "name": "Weber River Ice Jam", "kind": "DISASTER_THREAT",
        "jurisdictionId": seed("jurisdiction", "weber-county"), "compactId": utah_compact, "declarationForm": "ORAL" } });
    let data = app.ok(&coordinator, DECLARE, on_behalf).await;
    assert_eq!(data["declareIncident"]["incident"]["jurisdiction"]["name"], "Weber County");
    let elsewhere = json!({ "input": { "name": "X", "kind": "DISASTER",
        "jurisdictionId": seed("jurisdiction", "bexar-county"), "compactId": seed("compact", "aacog-rma"), "declarationForm": "ORAL" } });
    app.fails(Some(&coordinator), DECLARE, elsewhere, "FORBIDDEN").await;
}

const LIST: &str = "{ incidents(first: 100) { totalCount edges { node { name } } } }";
const ONE: &str = "query ($id: ID!) { incident(id: $id) { name history { totalCount } } }";

fn names(data: &Value) -> Vec<String> {
    let mut names: Vec<String> = data["incidents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_read_path_shows_an_incident_only_to_those_entitled() {
    let app = TestApp::seeded().await;
    let flood = seed("incident", "emigration-creek-flood-2026");
    let fire = seed("incident", "medina-river-grass-fire");
    let flood_name = "Emigration Creek Flood 2026".to_owned();
    let fire_name = "Medina River Grass Fire".to_owned();
    let utah = seed("compact", "utah-smaa");
    let aacog = seed("compact", "aacog-rma");
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        ("admin", app.admin(), vec![flood_name.clone(), fire_name.clone()]),
        ("requesting county", rep(&app, "salt-lake-county"), vec![flood_name.clone()]),
        ("other jurisdiction", rep(&app, "bexar-county"), vec![fire_name.clone()]),
        ("member of the same compact", rep(&app, "utah-county"), vec![]),
        ("utah coordinator", app.token("utah-eoc", None, &["COORDINATOR"], &[utah]), vec![flood_name.clone()]),
        ("aacog observer", app.token("dashboard", None, &["OBSERVER"], &[aacog]), vec![fire_name.clone()]),
        ("utah committee", app.token("committee", None, &["COMMITTEE_MEMBER"], &[utah]), vec![flood_name.clone()]),
        ("unscoped coordinator", app.token("nobody", None, &["COORDINATOR"], &[]), vec![]),
        ("scope without role", app.token("plain", None, &[], &[utah]), vec![]),
    ];
    for (who, token, expected) in cases {
        let data = app.ok(&token, LIST, json!({})).await;
        assert_eq!(names(&data), expected, "{who}: list");
        assert_eq!(data["incidents"]["totalCount"], expected.len(), "{who}: count");
        for (id, name) in [(flood, &flood_name), (fire, &fire_name)] {
            let data = app.ok(&token, ONE, json!({ "id": id })).await;
            if expected.contains(name) {
                assert_eq!(&data["incident"]["name"], name, "{who}: lookup");
                assert_eq!(data["incident"]["history"]["totalCount"], 1, "{who}: history");
            } else {
                assert_eq!(data["incident"], Value::Null, "{who} must not see {name}");
            }
        }
    }
    // Changing an invisible incident looks exactly like changing a missing one.
    let bexar = rep(&app, "bexar-county");
    let body = app.fails(Some(&bexar), WRITTEN, json!({ "input": { "incidentId": flood } }), "NOT_FOUND").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("not found"));
    let close = "mutation ($id: ID!) { closeIncident(input: { incidentId: $id }) { incident { status } } }";
    app.fails(Some(&rep(&app, "utah-county")), close, json!({ "id": flood }), "NOT_FOUND").await;
    // An observer sees but cannot change.
    let observer = app.token("dashboard", None, &["OBSERVER"], &[aacog]);
    app.fails(Some(&observer), close, json!({ "id": fire }), "FORBIDDEN").await;
}

#[tokio::test]
async fn incident_filters_narrow_within_what_is_visible() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let query = "query ($f: IncidentFilter) { incidents(filter: $f) { totalCount } }";
    let count = |data: Value| data["incidents"]["totalCount"].as_u64().unwrap();
    assert_eq!(count(app.ok(&admin, query, json!({ "f": { "compactId": seed("compact", "utah-smaa") } })).await), 1);
    assert_eq!(count(app.ok(&admin, query, json!({ "f": { "statuses": ["CLOSED"] } })).await), 0);
    assert_eq!(count(app.ok(&admin, query, json!({ "f": { "declaredAfter": "2100-01-01T00:00:00Z" } })).await), 0);
    assert_eq!(count(app.ok(&admin, query, json!({ "f": { "updatedSince": "2000-01-01T00:00:00Z" } })).await), 2);
    let bexar = rep(&app, "bexar-county");
    let other = json!({ "f": { "jurisdictionId": seed("jurisdiction", "salt-lake-county") } });
    assert_eq!(count(app.ok(&bexar, query, other).await), 0, "a filter never widens visibility");
}
