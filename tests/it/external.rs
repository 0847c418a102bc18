//! External references, integration service accounts and upserts by reference: a state system pushes its
//! reference data by its own ids, finds records again by them, and acts for a jurisdiction only where the directory
//! grants it; every refusal changes nothing.

use chrono::Utc;
use serde_json::{Value, json};

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::missions::{CREATE, SUBMIT, rep, utah_request};
use crate::support::{TestApp, codes, seed};

const GRANT: &str =
    r#"mutation ($input: IntegrationGrantInput!) { grantIntegration(input: $input) { system granted } }"#;
const REVOKE: &str =
    r#"mutation ($input: IntegrationGrantInput!) { revokeIntegration(input: $input) { system granted } }"#;
const UPSERT_TYPE: &str = r#"mutation ($input: UpsertResourceTypeInput!) {
  upsertResourceType(input: $input) { created resourceType { id name externalRefs { system externalId } } } }"#;
const UPSERT_INVENTORY: &str = r#"mutation ($input: UpsertInventoryInput!) {
  upsertInventory(input: $input) { created inventoryItem { id quantityHeld quantityAvailable
    externalRefs { system externalId createdBy } } } }"#;
const SET_REF: &str = r#"mutation ($input: SetExternalRefInput!) {
  setExternalRef(input: $input) { externalRef { system externalId recordType recordId recordNodeId } } }"#;
const LOOKUP: &str = r#"query ($system: String!, $type: ExternalRecordType!, $id: String!) {
  externalRef(system: $system, recordType: $type, externalId: $id) {
    externalRef { recordId } node { __typename ... on ResourceRequest { id status } ... on ResourceType { id name } } } }"#;

fn webeoc(app: &TestApp, jurisdiction: Option<&str>) -> String {
    service(app, "ut-webeoc", jurisdiction)
}

fn service(app: &TestApp, system: &str, jurisdiction: Option<&str>) -> String {
    let jurisdiction = jurisdiction.map(|j| seed("jurisdiction", j));
    app.service_account(&format!("svc-{system}"), system, jurisdiction, &[seed("compact", "utah-smaa")])
}

async fn grant(app: &TestApp, system: &str, jurisdiction: &str) {
    let input = json!({ "input": { "system": system, "jurisdictionId": seed("jurisdiction", jurisdiction) } });
    app.ok(&app.admin(), GRANT, input).await;
}

fn pump_type(external_id: &str, name: &str) -> Value {
    json!({ "input": { "key": { "system": "ut-webeoc", "externalId": external_id },
        "category": "Public Works", "kind": "EQUIPMENT", "name": name, "typeLevel": 2 } })
}

#[tokio::test]
async fn a_service_account_pushes_reference_data_by_its_own_ids() {
    let app = TestApp::seeded().await;
    // The state's resource database owns the catalog: its administrator token upserts by the system's ids.
    let admin = app.admin();
    let first = app.ok(&admin, UPSERT_TYPE, pump_type("RT-77", "Trash pump, 6 inch")).await;
    assert_eq!(first["upsertResourceType"]["created"], true);
    let type_id = first["upsertResourceType"]["resourceType"]["id"].clone();
    let again = app.ok(&admin, UPSERT_TYPE, pump_type("RT-77", "Trash pump, 6 inch diesel")).await;
    assert_eq!(again["upsertResourceType"]["created"], false);
    assert_eq!(again["upsertResourceType"]["resourceType"]["id"], type_id);
    assert_eq!(again["upsertResourceType"]["resourceType"]["name"], "Trash pump, 6 inch diesel");
    assert_eq!(
        again["upsertResourceType"]["resourceType"]["externalRefs"],
        json!([{ "system": "ut-webeoc", "externalId": "RT-77" }])
    );

    // Utah County's WebEOC bridge, once the directory grants it the county, sets the county's inventory by its ids.
    grant(&app, "ut-webeoc", "utah-county").await;
    let bridge = webeoc(&app, Some("utah-county"));
    let line = |held: i32, available: i32| {
        json!({ "input": { "key": { "externalId": "INV-9" }, "resourceTypeExternalId": "RT-77",
            "quantityHeld": held, "quantityAvailable": available } })
    };
    let created = app.ok(&bridge, UPSERT_INVENTORY, line(6, 4)).await;
    assert_eq!(created["upsertInventory"]["created"], true, "{created}");
    let item = &created["upsertInventory"]["inventoryItem"];
    assert_eq!(
        item["externalRefs"],
        json!([{ "system": "ut-webeoc", "externalId": "INV-9", "createdBy": "svc-ut-webeoc" }])
    );
    let updated = app.ok(&bridge, UPSERT_INVENTORY, line(6, 1)).await;
    assert_eq!(updated["upsertInventory"]["created"], false);
    assert_eq!(updated["upsertInventory"]["inventoryItem"]["id"], item["id"]);
    assert_eq!(updated["upsertInventory"]["inventoryItem"]["quantityAvailable"], 1);

    // Each event names the service account, the jurisdiction it acted for and the system.
    let feed = app
        .ok(
            &admin,
            r#"{ changes(first: 500, filter: { recordTypes: [INVENTORY_ITEM] }) {
                changes { event { recordId action actor { subject jurisdictionId system } } } } }"#,
            json!({}),
        )
        .await;
    let ours: Vec<&Value> = feed["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["event"]["recordId"] == item["id"])
        .collect();
    assert_eq!(ours.len(), 2);
    for change in ours {
        assert_eq!(
            change["event"]["actor"],
            json!({ "subject": "svc-ut-webeoc", "jurisdictionId": seed("jurisdiction", "utah-county"),
                    "system": "ut-webeoc" })
        );
    }

    // Found again by the system's id.
    let found = app.ok(&bridge, LOOKUP, json!({ "system": "ut-webeoc", "type": "RESOURCE_TYPE", "id": "RT-77" })).await;
    assert_eq!(found["externalRef"]["node"]["id"], type_id);
    let missing =
        app.ok(&bridge, LOOKUP, json!({ "system": "ut-webeoc", "type": "RESOURCE_TYPE", "id": "RT-78" })).await;
    assert_eq!(missing["externalRef"], Value::Null);
}

#[tokio::test]
async fn service_accounts_act_only_where_granted_and_set_only_their_own_system() {
    let app = TestApp::seeded().await;
    app.ok(&app.admin(), UPSERT_TYPE, pump_type("RT-1", "Trash pump, 3 inch")).await;
    let line = json!({ "input": { "key": { "externalId": "INV-1" }, "resourceTypeExternalId": "RT-1",
        "quantityHeld": 2, "quantityAvailable": 2 } });
    // Two submitted requests of Salt Lake County, which the bridge's compact scope lets it see.
    let slco = rep(&app, "salt-lake-county");
    let mut requests = Vec::new();
    for _ in 0..2 {
        let id = app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
        app.ok(&slco, SUBMIT, json!({ "input": { "requestId": id, "expectedVersion": 1 } })).await;
        requests.push(id);
    }
    let (request, second) = (requests[0].clone(), requests[1].clone());
    let events = app.event_count().await;

    // No grant yet: the token is refused outright.
    let ungranted = webeoc(&app, Some("salt-lake-county"));
    let (status, body) = app.gql(Some(&ungranted), UPSERT_INVENTORY, line.clone()).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(codes(&body), ["UNAUTHENTICATED"]);

    // A grant for Salt Lake County does not reach Utah County's inventory.
    grant(&app, "ut-webeoc", "salt-lake-county").await;
    let bridge = webeoc(&app, Some("salt-lake-county"));
    let mut theirs = line.clone();
    theirs["input"]["jurisdictionId"] = json!(seed("jurisdiction", "utah-county"));
    app.fails(Some(&bridge), UPSERT_INVENTORY, theirs, "FORBIDDEN").await;
    // It names only what its jurisdiction could change: not the catalog's records, not another county's.
    let catalog = json!({ "input": { "recordType": "RESOURCE_TYPE", "recordId": seed("resource-type", "dump-truck-2"),
        "externalId": "RT-9" } });
    app.fails(Some(&bridge), SET_REF, catalog, "FORBIDDEN").await;
    let county = json!({ "input": { "recordType": "JURISDICTION", "recordId": seed("jurisdiction", "utah-county"),
        "externalId": "UTCO" } });
    app.fails(Some(&bridge), SET_REF, county, "FORBIDDEN").await;
    // Another system's references are not its to set; a representative sets none; an unknown record is not found.
    let other_system = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": request,
        "externalId": "M-1", "system": "tx-webeoc" } });
    app.fails(Some(&bridge), SET_REF, other_system, "FORBIDDEN").await;
    let plain = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": request, "externalId": "M-1" } });
    app.fails(Some(&rep(&app, "utah-county")), SET_REF, plain.clone(), "FORBIDDEN").await;
    let unknown = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": uuid::Uuid::new_v4(),
        "externalId": "M-1" } });
    app.fails(Some(&bridge), SET_REF, unknown, "NOT_FOUND").await;
    // Bad names and ids are refused with the field named.
    for (system, external_id) in [("UT WebEOC", "M-1"), ("ut-webeoc", ""), ("ut-webeoc", " M-1")] {
        let bad = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": request,
            "externalId": external_id, "system": system } });
        app.fails(Some(&app.admin()), SET_REF, bad, "BAD_USER_INPUT").await;
    }
    assert_eq!(app.event_count().await, events + 1, "only the grant wrote an event");
    assert_eq!(entities::external_ref::Entity::find().count(&app.state.db).await.unwrap(), 1, "only RT-1");

    // Its own system's id binds once; the same id on another record is a conflict.
    let set = app.ok(&bridge, SET_REF, plain).await;
    assert_eq!(set["setExternalRef"]["externalRef"]["recordId"], request);
    let clash = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": second, "externalId": "M-1" } });
    app.fails(Some(&bridge), SET_REF, clash, "CONFLICT").await;

    // Revoked: the next request with the token is refused.
    let input =
        json!({ "input": { "system": "ut-webeoc", "jurisdictionId": seed("jurisdiction", "salt-lake-county") } });
    app.ok(&app.admin(), REVOKE, input).await;
    let (status, _) = app.gql(Some(&bridge), UPSERT_INVENTORY, line).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);

    // A token that names a system without the INTEGRATION role is not accepted.
    let now = Utc::now().timestamp();
    let forged = app
        .state
        .auth
        .mint(api::auth::Claims {
            sub: "slco-em".into(),
            name: None,
            exp: now + 600,
            iat: Some(now),
            iss: None,
            aud: None,
            jurisdiction: Some(seed("jurisdiction", "salt-lake-county")),
            roles: vec!["AUTHORIZED_REPRESENTATIVE".into()],
            compacts: vec![],
            system: Some("ut-webeoc".into()),
        })
        .unwrap();
    let (status, _) = app.gql(Some(&forged), "{ viewer { subject } }", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_lookup_by_reference_shows_only_what_the_caller_may_see() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let request = app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
    let admin = app.admin();
    let set = json!({ "input": { "recordType": "RESOURCE_REQUEST", "recordId": request, "externalId": "SLCO-M-4",
        "system": "ut-webeoc" } });
    app.ok(&admin, SET_REF, set).await;
    let lookup = json!({ "system": "ut-webeoc", "type": "RESOURCE_REQUEST", "id": "SLCO-M-4" });
    // The owner sees it; a county of another compact does not learn that the id exists.
    let mine = app.ok(&slco, LOOKUP, lookup.clone()).await;
    assert_eq!(mine["externalRef"]["node"]["id"], request);
    let other = app.ok(&rep(&app, "bexar-county"), LOOKUP, lookup.clone()).await;
    assert_eq!(other["externalRef"], Value::Null);
    // The draft is not yet visible to Utah County either.
    let draft = app.ok(&rep(&app, "utah-county"), LOOKUP, lookup).await;
    assert_eq!(draft["externalRef"], Value::Null);
}

/// The README's integration examples, as published: the idempotent `curl`, the service account's token command,
/// the grant, the upsert and the webhook registration (on a local receiver, since the published URL is not
/// reachable from a test).
#[tokio::test]
async fn the_readme_integration_examples_run_as_published() {
    use crate::support::{SECRET, readme_example};
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let slco = rep(&app, "salt-lake-county");

    // The curl: its key and body, sent twice, change the inventory once.
    let curl = readme_example("idempotent-inventory");
    let key = curl.split("Idempotency-Key: ").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let body: Value = serde_json::from_str(curl.split("-d '").nth(1).unwrap().rsplit_once('\'').unwrap().0).unwrap();
    let mut answers = Vec::new();
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&slco)
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let replayed = response.headers().contains_key("idempotent-replayed");
        answers.push((replayed, response.json::<Value>().await.unwrap()));
    }
    assert!(answers[0].1.get("errors").is_none(), "{}", answers[0].1);
    assert_eq!((answers[0].0, answers[1].0), (false, true));
    assert_eq!(answers[0].1, answers[1].1);

    // The token command, pointed at this server's key and database.
    let command = readme_example("service-account");
    let words: Vec<String> =
        command
            .replace("\\\n", " ")
            .split('"')
            .enumerate()
            .flat_map(|(i, part)| {
                if i % 2 == 1 { vec![part.to_owned()] } else { part.split_whitespace().map(str::to_owned).collect() }
            })
            .collect();
    let args = &words[words.iter().position(|w| w == "token").unwrap()..];
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mutual-aid"))
        .args(args)
        .env("DATABASE_URL", &app.state.config.database_url)
        .env("MUTUAL_AID_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bridge = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    // Refused until the grant; then it upserts by the system's ids.
    let (status, _) = app.gql(Some(&bridge), "{ viewer { subject } }", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let granted = app.ok(&admin, &readme_example("grant-integration"), json!({})).await;
    assert_eq!(granted["grantIntegration"]["granted"], true);
    app.ok(
        &admin,
        SET_REF,
        json!({ "input": { "recordType": "RESOURCE_TYPE", "recordId": seed("resource-type", "engine-fire-structural-1"),
            "externalId": "RT-ENGINE-1", "system": "ut-webeoc" } }),
    )
    .await;
    let upserted = app.ok(&bridge, &readme_example("upsert-inventory"), json!({})).await;
    assert_eq!(upserted["upsertInventory"]["created"], false, "the curl above created Salt Lake County's line");
    assert_eq!(
        upserted["upsertInventory"]["inventoryItem"]["externalRefs"],
        json!([{ "system": "ut-webeoc", "externalId": "SLCO-INV-0042" }])
    );

    // The webhook registration, on a receiver this test can reach.
    let local = TestApp::spawn_with(crate::support::Options {
        configure: Box::new(|config| config.webhook_allowed_addresses = vec!["127.0.0.1".parse().unwrap()]),
        ..Default::default()
    })
    .await;
    api::seed::load(&local.state.db, Utc::now()).await.unwrap();
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let published = readme_example("create-webhook");
    let url = published.split("url: \"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let document = published.replace(&url, &format!("http://{}/hooks", receiver.local_addr().unwrap()));
    let created = local.ok(&local.admin(), &document, json!({})).await;
    assert!(created["createWebhookEndpoint"]["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["createWebhookEndpoint"]["endpoint"]["status"], "ENABLED");
}

#[tokio::test]
async fn contacts_and_incidents_upsert_by_reference_under_their_own_rules() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let contact = |name: &str| {
        json!({ "input": { "key": { "system": "ut-dem", "externalId": "C-17" },
            "jurisdictionId": seed("jurisdiction", "salt-lake-county"),
            "contact": { "kind": "TWENTY_FOUR_HOUR", "name": name, "phone": "801-555-0100" } } })
    };
    const CONTACT: &str = r#"mutation ($input: UpsertContactInput!) {
      upsertContact(input: $input) { created contact { id name externalRefs { system externalId } } } }"#;
    let first = app.ok(&admin, CONTACT, contact("Duty Officer Lane")).await;
    assert_eq!(first["upsertContact"]["created"], true, "{first}");
    let second = app.ok(&admin, CONTACT, contact("Duty Officer Okafor")).await;
    assert_eq!(second["upsertContact"]["created"], false);
    assert_eq!(second["upsertContact"]["contact"]["id"], first["upsertContact"]["contact"]["id"]);
    assert_eq!(second["upsertContact"]["contact"]["name"], "Duty Officer Okafor");
    app.fails(Some(&rep(&app, "salt-lake-county")), CONTACT, contact("x"), "FORBIDDEN").await;
    // An update keeps the catalog's rule that no two types share a name and level, untyped ones included.
    let untyped = |id: &str, name: &str| {
        json!({ "input": { "key": { "system": "ut-dem", "externalId": id }, "category": "Logistics",
            "kind": "SUPPLIES", "name": name } })
    };
    app.ok(&admin, UPSERT_TYPE, untyped("RT-S", "Sandbag pallet, burlap")).await;
    app.ok(&admin, UPSERT_TYPE, untyped("RT-P", "Sandbag pallet, poly")).await;
    app.fails(Some(&admin), UPSERT_TYPE, untyped("RT-P", "Sandbag pallet, burlap"), "CONFLICT").await;
    app.ok(&admin, UPSERT_TYPE, untyped("RT-S", "Sandbag pallet, burlap")).await;
    // Removed, its reference goes with it: the same id then names a new contact.
    app.ok(
        &admin,
        "mutation ($id: ID!) { removeJurisdictionContact(input: { id: $id }) { jurisdiction { id } } }",
        json!({ "id": first["upsertContact"]["contact"]["id"] }),
    )
    .await;
    let again = app.ok(&admin, CONTACT, contact("Duty Officer Reyes")).await;
    assert_eq!(again["upsertContact"]["created"], true, "{again}");
    assert_ne!(again["upsertContact"]["contact"]["id"], first["upsertContact"]["contact"]["id"]);

    // Salt Lake County's bridge declares an incident by its board's id, then renames it; Utah County's bridge,
    // with the same system, cannot change it through the same id.
    grant(&app, "ut-webeoc", "salt-lake-county").await;
    grant(&app, "ut-webeoc", "utah-county").await;
    const INCIDENT: &str = r#"mutation ($input: UpsertIncidentInput!) {
      upsertIncident(input: $input) { created incident { id name status externalRefs { externalId } } } }"#;
    let incident = |name: &str| {
        json!({ "input": { "key": { "externalId": "WEBEOC-INC-881" }, "incident": { "name": name, "kind": "DISASTER",
            "declarationForm": "WRITTEN", "description": "Red Butte Creek over its banks" } } })
    };
    let slco = webeoc(&app, Some("salt-lake-county"));
    let declared = app.ok(&slco, INCIDENT, incident("Red Butte Creek Flood")).await;
    assert_eq!(declared["upsertIncident"]["created"], true, "{declared}");
    let renamed = app.ok(&slco, INCIDENT, incident("Red Butte Creek Flood 2026")).await;
    assert_eq!(renamed["upsertIncident"]["created"], false);
    assert_eq!(renamed["upsertIncident"]["incident"]["id"], declared["upsertIncident"]["incident"]["id"]);
    assert_eq!(renamed["upsertIncident"]["incident"]["name"], "Red Butte Creek Flood 2026");
    let events = app.event_count().await;
    let utco = webeoc(&app, Some("utah-county"));
    let refused = app.gql(Some(&utco), INCIDENT, incident("Hijacked")).await.1;
    assert!(!codes(&refused).is_empty(), "{refused}");
    assert!(codes(&refused).iter().all(|c| c == "FORBIDDEN" || c == "NOT_FOUND"), "{refused}");
    assert_eq!(app.event_count().await, events);
}
