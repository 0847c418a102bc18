//! The visibility table of the README, checked cell by cell on every read path: lookups, lists and their counts,
//! nested fields, federation `_entities`, the dashboard's aggregates and `history`. Each probe asks every path
//! the row concerns and requires them to agree before comparing with the table.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::claims::{ACK, APPROVE, DISPUTE, NOTICE, PACKAGE, app_at, package, returned, start};
use crate::missions::*;
use crate::support::{TestApp, seed};

const CALLERS: [&str; 9] = [
    "requesting",
    "assisting",
    "other member",
    "other compact",
    "coordinator",
    "committee",
    "observer",
    "integration",
    "anonymous",
];

/// The rows of the README's table: record or field -> caller -> sees.
fn table() -> Vec<(String, BTreeMap<&'static str, bool>)> {
    let readme = include_str!("../../README.md");
    let start = readme.find("<!-- visibility:start -->").expect("the README has the visibility table");
    let end = readme.find("<!-- visibility:end -->").expect("the table ends");
    let mut lines = readme[start..end].lines().filter(|l| l.starts_with('|'));
    let header: Vec<String> = lines.next().unwrap().split('|').map(|c| c.trim().to_owned()).collect();
    assert_eq!(&header[2..11], CALLERS.map(str::to_owned), "the table's columns");
    lines
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let row = CALLERS
                .iter()
                .enumerate()
                .map(|(i, caller)| {
                    let cell = cells[i + 2];
                    assert!(cell == "yes" || cell == "no", "{}: {caller} is {cell:?}", cells[1]);
                    (*caller, cell == "yes")
                })
                .collect();
            (cells[1].to_owned(), row)
        })
        .collect()
}

fn tokens(app: &TestApp) -> BTreeMap<&'static str, Option<String>> {
    let utah = seed("compact", "utah-smaa");
    BTreeMap::from([
        ("requesting", Some(rep(app, "salt-lake-county"))),
        ("assisting", Some(rep(app, "utah-county"))),
        ("other member", Some(rep(app, "davis-county"))),
        ("other compact", Some(rep(app, "bexar-county"))),
        ("coordinator", Some(app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]))),
        ("committee", Some(app.token("smaa-committee-1", None, &["COMMITTEE_MEMBER"], &[utah]))),
        ("observer", Some(app.token("dashboard", None, &["OBSERVER"], &[utah]))),
        ("integration", Some(app.token("webeoc", None, &["INTEGRATION"], &[utah]))),
        ("anonymous", None),
    ])
}

/// Runs `query`, tolerating the refusals a caller that may not see a record gets.
async fn read(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let (_, body) = app.gql(token, query, variables).await;
    for error in body["errors"].as_array().into_iter().flatten() {
        let code = error["extensions"]["code"].as_str().unwrap_or_default();
        assert!(["NOT_FOUND", "UNAUTHENTICATED", "FORBIDDEN"].contains(&code), "{query}: {body}");
    }
    body["data"].clone()
}

fn ids(list: &Value) -> Vec<Value> {
    list["edges"].as_array().map(|e| e.iter().map(|e| e["node"]["id"].clone()).collect()).unwrap_or_default()
}

/// Every path that shows the record, and whether it does; the paths must agree.
fn agree(row: &str, caller: &str, paths: &[(&str, bool)]) -> bool {
    let sees = paths[0].1;
    assert!(paths.iter().all(|(_, s)| *s == sees), "{row} for {caller}: the read paths disagree: {paths:?}");
    sees
}

/// The `node(id:)` and `nodes(ids:)` paths of a record of GraphQL type `typename`, by its global id.
async fn node(app: &TestApp, token: Option<&str>, typename: &str, id: &Value) -> Vec<(&'static str, bool)> {
    use base64::Engine;
    let global = base64::engine::general_purpose::STANDARD.encode(format!("{typename}:{}", id.as_str().unwrap()));
    let query = "query ($id: ID!) { node(id: $id) { __typename nodeId } nodes(ids: [$id]) { nodeId } }";
    let data = read(app, token, query, json!({ "id": global })).await;
    let found = data["node"]["nodeId"] == global.as_str();
    if found {
        assert_eq!(data["node"]["__typename"], typename);
    }
    vec![("node", found), ("nodes", data["nodes"][0]["nodeId"] == global.as_str())]
}

/// A record reached by its lookup, its list (with its count), `node` and, for federated types, `_entities`.
async fn record(
    app: &TestApp,
    token: Option<&str>,
    lookup: &str,
    list: &str,
    typename: Option<&str>,
    id: &Value,
) -> Vec<(&'static str, bool)> {
    let found =
        read(app, token, &format!("query ($id: ID!) {{ {lookup}(id: $id) {{ id }} }}"), json!({ "id": id })).await;
    let listed =
        read(app, token, &format!("{{ {list}(first: 100) {{ totalCount edges {{ node {{ id }} }} }} }}"), json!({}))
            .await;
    // The count counts what the list shows, no more.
    let total = listed[list]["totalCount"].as_i64().unwrap_or(0);
    assert!(total > 100 || total == ids(&listed[list]).len() as i64, "{list}: {listed}");
    let mut paths = vec![("lookup", found[lookup]["id"] == *id), ("list", ids(&listed[list]).contains(id))];
    paths.extend(node(app, token, &(lookup[..1].to_uppercase() + &lookup[1..]), id).await);
    if let Some(typename) = typename {
        let entities = read(
            app,
            token,
            &format!("query ($r: [_Any!]!) {{ _entities(representations: $r) {{ ... on {typename} {{ id }} }} }}"),
            json!({ "r": [{ "__typename": typename, "id": id }] }),
        )
        .await;
        paths.push(("_entities", entities["_entities"][0]["id"] == *id));
    }
    paths
}

/// Every event `statusChanges(after: 0)` replays to the caller: the subscription path. The replay ends with the
/// change of `marker`, a membership (a directory record every authenticated caller sees) that begins after
/// everything else.
async fn replayed(app: &TestApp, token: Option<&str>, marker: &Value) -> Vec<Value> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let mut socket = app.ws().await;
    let payload = token.map_or(json!({}), |t| json!({ "Authorization": format!("Bearer {t}") }));
    socket.send(Message::text(json!({ "type": "connection_init", "payload": payload }).to_string())).await.unwrap();
    let query = "subscription { statusChanges(after: \"0\") { event { recordType recordId action redacted actor { jurisdictionId } } } }";
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": { "query": query } });
    let mut events = Vec::new();
    let mut subscribed = false;
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(20), socket.next()).await;
        let Ok(Some(Ok(message))) = next else { panic!("the replay stopped before its end: {next:?}") };
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] == "connection_ack" && !subscribed {
                    socket.send(Message::text(subscribe.to_string())).await.unwrap();
                    subscribed = true;
                } else if value["type"] == "next" {
                    let event = value["payload"]["data"]["statusChanges"]["event"].clone();
                    let end = event["recordId"] == *marker;
                    events.push(event);
                    if end {
                        break;
                    }
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    // The change feed shows the same status changes (with the same redaction), beside the changes that are not
    // status changes.
    let query = "query ($after: Sequence) { changes(after: $after, first: 7) { endCursor hasNextPage changes { event { recordType recordId action redacted actor { jurisdictionId } toStatus } } } }";
    let mut pulled = Vec::new();
    let mut after = json!("0");
    loop {
        let data = read(app, token, query, json!({ "after": after })).await;
        if data.is_null() || data["changes"].is_null() {
            break;
        }
        for change in data["changes"]["changes"].as_array().unwrap() {
            let mut event = change["event"].clone();
            let status = event.as_object_mut().unwrap().remove("toStatus").unwrap();
            if !status.is_null() {
                pulled.push(event);
            }
        }
        if data["changes"]["hasNextPage"] != true {
            break;
        }
        after = data["changes"]["endCursor"].clone();
    }
    if let Some(end) = pulled.iter().position(|e| e["recordId"] == *marker) {
        pulled.truncate(end + 1);
    }
    assert_eq!(pulled, events, "the change feed and the subscription disagree");
    events
}

fn streamed(events: &[Value], id: &Value) -> bool {
    events.iter().any(|e| e["recordId"] == *id)
}

#[tokio::test]
async fn the_readme_table_is_what_every_read_path_shows() {
    let (app, _clock) = app_at(start()).await;
    let who = tokens(&app);
    let slco = who["requesting"].clone().unwrap();
    let utco = who["assisting"].clone().unwrap();
    let coordinator = who["coordinator"].clone().unwrap();
    let utah = seed("compact", "utah-smaa");

    // A draft; a request addressed to Utah County; a broadcast request that Utah County answered, whose
    // deployment Utah County then cancelled (its step appears in the request's history).
    let draft = app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
    let addressed = open_utah_request(&app, &slco, &["utah-county"]).await["id"].clone();
    let mut broadcast_input = utah_request();
    broadcast_input["input"]["broadcast"] = json!(true);
    let broadcast = app.ok(&slco, CREATE, broadcast_input).await["createResourceRequest"]["resourceRequest"].clone();
    app.ok(&slco, SUBMIT, json!({ "input": { "requestId": broadcast["id"] } })).await;
    app.ok(&coordinator, MISSION, json!({ "input": { "requestId": broadcast["id"], "missionNumber": "UT-26-0042" } }))
        .await;
    app.ok(&utco, INVENTORY, json!({ "input": { "resourceTypeId": pump(), "quantityHeld": 6, "quantityAvailable": 6, "notes": "Two pumps due for service" } }))
        .await;
    let offer =
        app.ok(&utco, OFFER, offer_input(&broadcast, &[(0, 2), (1, 4)])).await["makeOffer"]["offer"]["id"].clone();
    let accepted = app.ok(&slco, ACCEPT, json!({ "input": { "offerId": offer, "verbal": true } })).await;
    let agreement = accepted["acceptOffer"]["agreement"]["id"].clone();
    let deployment = accepted["acceptOffer"]["deployment"]["id"].clone();
    let amendment = app
        .ok(&utco, PROPOSE, json!({ "input": { "agreementId": agreement, "description": "Add a boat" } }))
        .await["proposeAmendment"]["amendment"]["id"]
        .clone();
    app.ok(
        &utco,
        "mutation ($input: DeploymentStepInput!) { cancelDeployment(input: $input) { deployment { status } } }",
        json!({ "input": { "deploymentId": deployment } }),
    )
    .await;
    // A claim of another mission, and a dispute of a third.
    let claim = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await["id"].clone();
    let disputed = returned(&app, "salt-lake-county", "utah-county", "utah-smaa", false).await;
    let id = json!({ "input": { "claimId": disputed["id"] } });
    app.ok(&utco, NOTICE, json!({ "input": { "claimId": disputed["id"], "summaryOfServices": "Pumps, 2 days", "financialContactName": "Pat Oyelaran" } }))
        .await;
    app.ok(&slco, ACK, id.clone()).await;
    let lines = app.ok(&utco, PACKAGE, package(&disputed)).await["submitClaimPackage"]["claim"]["invoiceLines"].clone();
    app.ok(&slco, APPROVE, json!({ "input": { "claimId": disputed["id"], "partial": [{ "lineId": lines[1]["id"], "approvedAmount": "1.00" }] } }))
        .await;
    let dispute = app
        .ok(
            &utco,
            DISPUTE,
            json!({ "input": { "claimId": disputed["id"], "reasons": "Overtime was ordered",
            "items": [{ "lineId": lines[1]["id"], "reason": "ICS 214" }] } }),
        )
        .await["fileDispute"]["dispute"]["id"]
        .clone();
    let deadline = app
        .ok(&slco, "query ($id: ID!) { claim(id: $id) { deadlines { id } } }", json!({ "id": claim }))
        .await["claim"]["deadlines"][0]["id"]
        .clone();
    let utco_id = json!(seed("jurisdiction", "utah-county").to_string());
    // The integration's webhook endpoint (a public address; no worker runs, nothing is sent).
    let endpoint = app
        .ok(
            who["integration"].as_deref().unwrap(),
            "mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }",
            json!({ "input": { "url": "http://8.8.8.8/hooks", "description": "the board" } }),
        )
        .await["createWebhookEndpoint"]["endpoint"]["id"]
        .clone();

    let rows = table();
    let names: Vec<&str> = rows.iter().map(|(name, _)| name.as_str()).collect();
    // Every record type of the schema has a row.
    let record_types =
        app.ok(&app.admin(), "{ __type(name: \"RecordType\") { enumValues { name } } }", json!({})).await;
    for value in record_types["__type"]["enumValues"].as_array().unwrap() {
        let pascal: String =
            value["name"].as_str().unwrap().split('_').map(|w| w[..1].to_owned() + &w[1..].to_lowercase()).collect();
        assert!(names.iter().any(|n| n.starts_with(&format!("`{pascal}`"))), "no row for the record type {pascal}");
    }

    let mut checked = 0;
    let mut shared = false;
    let mut streams: BTreeMap<(&str, bool), Vec<Value>> = BTreeMap::new();
    let subscription_cells = std::cell::Cell::new(0usize);
    // A record reached by the subscription path only where it has events at all (the administrator sees them all).
    let admin = app.admin();
    let marker = app
        .ok(
            &admin,
            "mutation ($input: AddCompactMemberInput!) { addCompactMember(input: $input) { membership { id } } }",
            json!({ "input": { "compactId": seed("compact", "ct-imac"), "jurisdictionId": seed("jurisdiction", "kerrville"),
                "joinedOn": "2026-12-01" } }),
        )
        .await["addCompactMember"]["membership"]["id"]
        .clone();
    let everything = replayed(&app, Some(&admin), &marker).await;
    for (row, expected) in &rows {
        if row.contains("shares inventory") && !shared {
            let mut active: entities::compact::ActiveModel =
                entities::compact::Entity::find_by_id(utah).one(&app.state.db).await.unwrap().unwrap().into();
            active.inventory_shared_with_members = Set(true);
            active.update(&app.state.db).await.unwrap();
            shared = true;
        }
        for caller in CALLERS {
            let token = who[caller].as_deref();
            if let std::collections::btree_map::Entry::Vacant(slot) = streams.entry((caller, shared)) {
                slot.insert(replayed(&app, token, &marker).await);
            }
            let stream = &streams[&(caller, shared)];
            // The subscription path of a record with events: whether the replay carries any of them.
            let sub = |id: &Value| {
                let has_events = streamed(&everything, id);
                subscription_cells.set(subscription_cells.get() + usize::from(has_events));
                has_events.then(|| ("subscription", streamed(stream, id)))
            };
            let sees = match row.as_str() {
                r if r.starts_with("`Jurisdiction`") => {
                    let id = json!(seed("jurisdiction", "provo").to_string());
                    let mut paths =
                        record(&app, token, "jurisdiction", "jurisdictions", Some("Jurisdiction"), &id).await;
                    paths.extend(sub(&id));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Compact`") => {
                    let id = json!(seed("compact", "aacog-rma").to_string());
                    let mut paths = record(&app, token, "compact", "compacts", Some("Compact"), &id).await;
                    paths.extend(sub(&id));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Membership`") => {
                    let q = "query ($id: ID!) { jurisdiction(id: $id) { memberships { id } } }";
                    let data = read(&app, token, q, json!({ "id": seed("jurisdiction", "provo") })).await;
                    let membership = data["jurisdiction"]["memberships"][0]["id"].clone();
                    // Provo's Utah SMAA membership, whoever asks (anonymous callers cannot learn its id).
                    let admin = app.admin();
                    let known = read(&app, Some(&admin), q, json!({ "id": seed("jurisdiction", "provo") })).await;
                    let known = known["jurisdiction"]["memberships"][0]["id"].clone();
                    let found =
                        read(&app, token, "query ($id: ID!) { membership(id: $id) { id } }", json!({ "id": known }))
                            .await;
                    let mut paths =
                        vec![("nested", !membership.is_null()), ("lookup", !found["membership"]["id"].is_null())];
                    paths.extend(node(&app, token, "Membership", &known).await);
                    paths.extend(sub(&known));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`ResourceType`") => {
                    let listed = read(
                        &app,
                        token,
                        "{ resourceTypes(first: 100) { totalCount edges { node { id } } } }",
                        json!({}),
                    )
                    .await;
                    agree(r, caller, &[("list", ids(&listed["resourceTypes"]).contains(&json!(pump().to_string())))])
                }
                r if r.starts_with("`Incident`") => {
                    let id = json!(seed("incident", "emigration-creek-flood-2026").to_string());
                    let mut paths = record(&app, token, "incident", "incidents", Some("Incident"), &id).await;
                    paths.extend(sub(&id));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`ResourceRequest`") => {
                    let id = if r.contains("draft") {
                        &draft
                    } else if r.contains("addressed") {
                        &addressed
                    } else {
                        &broadcast["id"]
                    };
                    let mut paths =
                        record(&app, token, "resourceRequest", "resourceRequests", Some("ResourceRequest"), id).await;
                    if r.contains("draft") {
                        let dashboard =
                            read(&app, token, "{ dashboard { requestsByStatus { status count } } }", json!({})).await;
                        let drafts = dashboard["dashboard"]["requestsByStatus"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|s| s["status"] == "DRAFT" && s["count"].as_i64() > Some(0));
                        paths.push(("dashboard", drafts));
                    }
                    paths.extend(sub(id));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Offer`") => {
                    let found =
                        read(&app, token, "query ($id: ID!) { offer(id: $id) { id } }", json!({ "id": offer })).await;
                    let nested = read(
                        &app,
                        token,
                        "query ($id: ID!) { resourceRequest(id: $id) { offers { id } } }",
                        json!({ "id": broadcast["id"] }),
                    )
                    .await;
                    let in_request = nested["resourceRequest"]["offers"]
                        .as_array()
                        .is_some_and(|o| o.iter().any(|o| o["id"] == offer));
                    let mut paths = vec![("lookup", found["offer"]["id"] == offer), ("nested", in_request)];
                    paths.extend(node(&app, token, "Offer", &offer).await);
                    paths.extend(sub(&offer));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Event.actor`") => {
                    let q = "query ($id: ID!) { resourceRequest(id: $id) { history(first: 100) { edges { node { action redacted actor { subject jurisdictionId } payload } } } } }";
                    let data = read(&app, token, q, json!({ "id": broadcast["id"] })).await;
                    let events: Vec<Value> = data["resourceRequest"]["history"]["edges"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["node"].clone())
                        .collect();
                    if !events.is_empty() {
                        let reopened =
                            events.iter().find(|e| e["action"] == "REOPENED").unwrap_or_else(|| panic!("{events:?}"));
                        // Withheld or shown whole, never in part.
                        let shown = reopened["actor"]["jurisdictionId"] == utco_id;
                        assert_eq!(reopened["redacted"], !shown, "{caller}: {reopened}");
                        if !shown {
                            assert_eq!(
                                reopened["actor"],
                                json!({ "subject": "redacted", "jurisdictionId": null }),
                                "{caller}"
                            );
                            assert_eq!(reopened["payload"], json!({}), "{caller}");
                        }
                        let mut paths = vec![("history", shown)];
                        if let Some(live) =
                            stream.iter().find(|e| e["recordId"] == broadcast["id"] && e["action"] == "REOPENED")
                        {
                            paths.push((
                                "subscription",
                                live["actor"]["jurisdictionId"] == utco_id && live["redacted"] == false,
                            ));
                        }
                        agree(r, caller, &paths)
                    } else {
                        false
                    }
                }
                r if r.starts_with("`Agreement`") => {
                    let mut paths = record(&app, token, "agreement", "agreements", None, &agreement).await;
                    paths.extend(sub(&agreement));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Amendment`") => {
                    let q = "query ($id: ID!) { agreement(id: $id) { amendments { id } } }";
                    let data = read(&app, token, q, json!({ "id": agreement })).await;
                    let nested = data["agreement"]["amendments"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|a| a["id"] == amendment));
                    let mut paths = vec![("nested", nested)];
                    paths.extend(sub(&amendment));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Deployment`") => {
                    let mut paths =
                        record(&app, token, "deployment", "deployments", Some("Deployment"), &deployment).await;
                    paths.extend(sub(&deployment));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`InventoryItem.notes`") => {
                    let q = "{ inventory(filter: { availableOnly: false }, first: 100) { edges { node { jurisdiction { id } notes } } } }";
                    let data = read(&app, token, q, json!({})).await;
                    let notes = data["inventory"]["edges"].as_array().into_iter().flatten().any(|e| {
                        e["node"]["jurisdiction"]["id"] == utco_id && e["node"]["notes"] == "Two pumps due for service"
                    });
                    agree(r, caller, &[("list", notes)])
                }
                r if r.starts_with("`InventoryItem`") => {
                    let q = "{ inventory(filter: { availableOnly: false }, first: 100) { totalCount edges { node { jurisdiction { id } } } } }";
                    let data = read(&app, token, q, json!({})).await;
                    let listed = data["inventory"]["edges"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| e["node"]["jurisdiction"]["id"] == utco_id);
                    let nested = read(
                        &app,
                        token,
                        "query ($id: ID!) { jurisdiction(id: $id) { inventory { quantityAvailable } } }",
                        json!({ "id": utco_id }),
                    )
                    .await;
                    let nested = nested["jurisdiction"]["inventory"].as_array().is_some_and(|i| !i.is_empty());
                    let item =
                        everything.iter().find(|e| e["recordType"] == "INVENTORY_ITEM").map(|e| e["recordId"].clone());
                    let mut paths = vec![("list", listed), ("nested", nested)];
                    if let Some(item) = item {
                        paths.extend(sub(&item));
                    }
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Claim`") => {
                    let mut paths = record(&app, token, "claim", "claims", Some("Claim"), &claim).await;
                    paths.extend(sub(&claim));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Dispute`") => {
                    let found =
                        read(&app, token, "query ($id: ID!) { dispute(id: $id) { id } }", json!({ "id": dispute }))
                            .await;
                    let mut paths = vec![("lookup", found["dispute"]["id"] == dispute)];
                    paths.extend(node(&app, token, "Dispute", &dispute).await);
                    paths.extend(sub(&dispute));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`Deadline`") => {
                    let listed =
                        read(&app, token, "{ deadlines(first: 100) { edges { node { id } } } }", json!({})).await;
                    let mut paths = vec![("list", ids(&listed["deadlines"]).contains(&deadline))];
                    paths.extend(sub(&deadline));
                    agree(r, caller, &paths)
                }
                r if r.starts_with("`WebhookEndpoint`") => {
                    let q = "query ($id: ID!) { webhookEndpoint(id: $id) { id } }";
                    let found = read(&app, token, q, json!({ "id": endpoint })).await;
                    let listed = read(&app, token, "{ webhookEndpoints { id } }", json!({})).await;
                    let in_list =
                        listed["webhookEndpoints"].as_array().is_some_and(|a| a.iter().any(|e| e["id"] == endpoint));
                    let mut paths = vec![("lookup", found["webhookEndpoint"]["id"] == endpoint), ("list", in_list)];
                    paths.extend(sub(&endpoint));
                    agree(r, caller, &paths)
                }
                other => panic!("the table has a row this test does not know how to check: {other}"),
            };
            assert_eq!(sees, expected[caller], "{row}: {caller} {}", if sees { "sees it" } else { "does not see it" });
            checked += 1;
        }
    }
    println!("visibility cells checked: {checked}, {} of them on the subscription path too", subscription_cells.get());
    assert!(subscription_cells.get() >= 80, "the subscription path was checked for too few cells");
}
