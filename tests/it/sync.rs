//! The example sync client (`examples/sync_client.rs`) against a live server: killed and restarted several times
//! while writers commit and while the server itself is stopped and replaced, it ends with a mirror equal to the
//! server's view and a journal that holds every change it may see exactly once, in order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::missions::*;
use crate::support::{TestApp, seed};

/// The example binary: `cargo test` builds the examples beside the tests; built here when it is missing.
fn client_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap().to_path_buf();
    let binary = profile_dir.join("examples").join("sync_client");
    if !binary.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "sync_client"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the sync client failed");
    }
    binary
}

fn start(url: &str, token: &str, folder: &Path, until_caught_up: bool) -> Child {
    let mut command = Command::new(client_binary());
    command.arg(url).arg(token).arg(folder).stdout(Stdio::piped()).stderr(Stdio::null());
    if until_caught_up {
        command.arg("--until-caught-up");
    }
    command.spawn().unwrap()
}

/// Salt Lake County drafts, submits and cancels requests; every third one is Bexar County's, which Salt Lake
/// County may not see.
async fn write(app: &TestApp) {
    let (slco, bexar) = (rep(app, "salt-lake-county"), rep(app, "bexar-county"));
    let theirs = json!({ "input": { "compactId": seed("compact", "aacog-rma"),
        "incidentId": seed("incident", "medina-river-grass-fire"), "recipientIds": [seed("jurisdiction", "san-antonio")],
        "stagingLocation": "Castroville staging, FM 471",
        "lineItems": [{ "resourceTypeId": seed("resource-type", "engine-fire-wildland-3"), "quantity": 1,
                        "neededBy": "2026-11-21T18:00:00Z" }] } });
    for i in 0..30 {
        let (who, input) = if i % 3 == 2 { (&bexar, theirs.clone()) } else { (&slco, utah_request()) };
        let created = app.ok(who, CREATE, input).await;
        let id = created["createResourceRequest"]["resourceRequest"]["id"].clone();
        if i % 2 == 0 {
            app.ok(who, SUBMIT, json!({ "input": { "requestId": id } })).await;
        } else if i % 5 == 0 {
            app.ok(who, CANCEL_REQUEST, json!({ "input": { "requestId": id } })).await;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test]
async fn the_sync_client_survives_kills_and_server_restarts_and_mirrors_exactly_what_it_may_see() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let folder = std::env::temp_dir().join(format!("ma_sync_{}", uuid::Uuid::new_v4().simple()));
    // The client runs against another instance on the same database. It is killed mid-sync three times, and the
    // instance is stopped and replaced by a new one between kills, while the writers go on.
    let syncing = async {
        let (mut addr, mut stop) = app.another_instance().await;
        for round in 0..3u64 {
            let mut child = start(&format!("http://{addr}/graphql"), &slco, &folder, false);
            tokio::time::sleep(Duration::from_millis(300 + 150 * round)).await;
            child.kill().unwrap();
            child.wait().unwrap();
            let _ = stop.send(());
            (addr, stop) = app.another_instance().await;
        }
        (addr, stop)
    };
    let ((addr, stop), ()) = tokio::join!(syncing, write(&app));
    // Caught up once the writers are done.
    let url = format!("http://{addr}/graphql");
    let (token, dir) = (slco.clone(), folder.clone());
    let output =
        tokio::task::spawn_blocking(move || start(&url, &token, &dir, true).wait_with_output()).await.unwrap().unwrap();
    assert!(output.status.success(), "{output:?}");
    let _ = stop.send(());

    // The journal: every change Salt Lake County may see, each once, in order (the feed from the start says which).
    let journal = std::fs::read_to_string(folder.join("log.jsonl")).unwrap();
    let applied: Vec<i64> = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|e| e["sequence"].as_str().map(|s| s.parse::<i64>().unwrap()))
        .collect();
    let mut expected = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let page = app
            .ok(&slco, "query ($after: Sequence) { changes(after: $after, first: 500) { endCursor hasNextPage changes { sequence } } }",
                json!({ "after": after }))
            .await;
        let page = &page["changes"];
        expected.extend(
            page["changes"].as_array().unwrap().iter().map(|c| c["sequence"].as_str().unwrap().parse::<i64>().unwrap()),
        );
        after = page["endCursor"].as_str().unwrap().to_owned();
        if page["hasNextPage"] == false {
            break;
        }
    }
    assert!(applied.len() > 20, "the client applied too little to show anything: {}", applied.len());
    assert_eq!(applied, expected, "each visible change once, in order");

    // The mirror: every Salt Lake County request as the server shows it now, and nothing of Bexar County's.
    let server = app
        .ok(
            &slco,
            "{ resourceRequests(first: 100) { edges { node { id status version requestingJurisdiction { name } } } } }",
            json!({}),
        )
        .await;
    let mut on_server = BTreeMap::new();
    for edge in server["resourceRequests"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        assert_eq!(node["requestingJurisdiction"]["name"], "Salt Lake County", "{server}");
        on_server.insert(node["id"].as_str().unwrap().to_owned(), (node["status"].clone(), node["version"].clone()));
    }
    let mut mirrored = BTreeMap::new();
    for file in std::fs::read_dir(folder.join("RESOURCE_REQUEST")).unwrap() {
        let record: Value = serde_json::from_slice(&std::fs::read(file.unwrap().path()).unwrap()).unwrap();
        mirrored
            .insert(record["id"].as_str().unwrap().to_owned(), (record["status"].clone(), record["version"].clone()));
    }
    assert_eq!(mirrored, on_server);
    let _ = std::fs::remove_dir_all(&folder);
}

/// Inventory lines a state system pushes by its own ids: twelve resource types, one by the system's id of the type.
fn state_inventory() -> Vec<Value> {
    let demo: Value = serde_json::from_str(include_str!("../../api/seed/demo.json")).unwrap();
    demo["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .take(12)
        .enumerate()
        .map(|(i, t)| {
            let mut line = json!({ "externalId": format!("SLCO-INV-{i}"), "quantityHeld": 10 + i,
                "quantityAvailable": i });
            if i == 0 {
                line["resourceTypeExternalId"] = json!("RT-ENGINE-1");
            } else {
                line["resourceTypeId"] = json!(seed("resource-type", t["key"].as_str().unwrap()));
            }
            line
        })
        .collect()
}

#[tokio::test]
async fn the_sync_client_pushes_inventory_by_external_id_and_a_killed_push_changes_nothing_twice() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    // The state's catalog names one type by its own id; the directory grants its bridge Salt Lake County.
    app.ok(
        &admin,
        "mutation ($input: SetExternalRefInput!) { setExternalRef(input: $input) { externalRef { recordId } } }",
        json!({ "input": { "recordType": "RESOURCE_TYPE", "recordId": seed("resource-type", "engine-fire-structural-1"),
            "externalId": "RT-ENGINE-1", "system": "ut-webeoc" } }),
    )
    .await;
    app.ok(
        &admin,
        "mutation ($input: IntegrationGrantInput!) { grantIntegration(input: $input) { granted } }",
        json!({ "input": { "system": "ut-webeoc", "jurisdictionId": seed("jurisdiction", "salt-lake-county") } }),
    )
    .await;
    let bridge = app.service_account(
        "svc-ut-webeoc",
        "ut-webeoc",
        Some(seed("jurisdiction", "salt-lake-county")),
        &[seed("compact", "utah-smaa")],
    );
    let folder = std::env::temp_dir().join(format!("ma_push_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("inventory.json");
    let scratch = folder.clone();
    let lines = state_inventory();
    std::fs::write(&file, serde_json::to_vec(&lines).unwrap()).unwrap();
    let url = app.url("/graphql");
    let token = bridge.clone();
    let push = move |until_caught_up: bool| {
        let mut command = Command::new(client_binary());
        command.arg(&url).arg(&token).arg(folder.join("mirror")).arg("--push-inventory").arg(&file);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        if until_caught_up {
            command.arg("--until-caught-up");
        }
        command.spawn().unwrap()
    };
    // Killed part-way through its pushes, three times, then left to finish.
    for delay in [40u64, 80, 120] {
        let mut child = push(false);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let finish = push.clone();
    let done = tokio::task::spawn_blocking(move || finish(true).wait_with_output()).await.unwrap().unwrap();
    assert!(done.status.success(), "{done:?}");

    // The server holds each line once, under the system's id, as the file says.
    let held = app
        .ok(
            &bridge,
            r#"query ($j: ID!) { inventory(first: 100, filter: { jurisdictionId: $j }) {
                edges { node { id quantityHeld quantityAvailable externalRefs { system externalId } } } } }"#,
            json!({ "j": seed("jurisdiction", "salt-lake-county") }),
        )
        .await;
    let mut on_server = BTreeMap::new();
    for edge in held["inventory"]["edges"].as_array().unwrap() {
        let node = &edge["node"];
        if let Some(reference) = node["externalRefs"].as_array().unwrap().iter().find(|r| r["system"] == "ut-webeoc") {
            on_server.insert(
                reference["externalId"].as_str().unwrap().to_owned(),
                (node["quantityHeld"].clone(), node["quantityAvailable"].clone()),
            );
        }
    }
    let expected: BTreeMap<String, (Value, Value)> = lines
        .iter()
        .map(|l| {
            (l["externalId"].as_str().unwrap().to_owned(), (l["quantityHeld"].clone(), l["quantityAvailable"].clone()))
        })
        .collect();
    assert_eq!(on_server, expected);
    // One change per line, whatever the kills interrupted: a retried push was answered from its key.
    let feed = app
        .ok(&admin, "{ changes(first: 500, filter: { recordTypes: [INVENTORY_ITEM] }) { changes { event { action actor { subject } } } } }", json!({}))
        .await;
    let by_bridge: Vec<&Value> = feed["changes"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["event"]["actor"]["subject"] == "svc-ut-webeoc")
        .collect();
    assert_eq!(by_bridge.len(), lines.len(), "{feed}");
    assert!(by_bridge.iter().all(|c| c["event"]["action"] == "CREATED"));
    let _ = std::fs::remove_dir_all(&scratch);
}
