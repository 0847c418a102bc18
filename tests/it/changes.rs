//! The change feed: a poller that stores `endCursor` sees every change it may see exactly once, in commit order,
//! while writers commit beside it, and another compact's poller sees none of them.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::missions::{CREATE, INVENTORY, SUBMIT, pump, rep, utah_request};
use crate::support::{TestApp, codes, seed};

const CHANGES: &str = r#"query ($after: Sequence, $first: Int, $filter: ChangeFilter) {
  changes(after: $after, first: $first, filter: $filter) {
    endCursor hasNextPage
    changes { sequence event { recordType recordId action } resourceRequest { id status } } } }"#;

/// Polls the feed from `after` until it has nothing more; returns the changes and the cursor to store.
async fn drain(app: &TestApp, token: &str, after: &Value, first: i64, filter: &Value) -> (Vec<Value>, Value) {
    let mut after = after.clone();
    let mut seen = Vec::new();
    loop {
        let data = app.ok(token, CHANGES, json!({ "after": after, "first": first, "filter": filter })).await;
        let page = &data["changes"];
        seen.extend(page["changes"].as_array().unwrap().iter().cloned());
        assert!(
            page["endCursor"].as_str().unwrap().parse::<i64>().unwrap()
                >= after.as_str().unwrap().parse::<i64>().unwrap()
        );
        after = page["endCursor"].clone();
        if page["hasNextPage"] != true {
            return (seen, after);
        }
    }
}

fn sequences(changes: &[Value]) -> Vec<i64> {
    changes.iter().map(|c| c["sequence"].as_str().unwrap().parse().unwrap()).collect()
}

#[tokio::test]
async fn a_poller_sees_every_change_once_in_order_while_writers_commit() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    let utco = rep(&app, "utah-county");
    let utah = seed("compact", "utah-smaa");
    let coordinator = app.token("utah-eoc", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[utah]);
    let bexar = rep(&app, "bexar-county");
    let (_, start) = drain(&app, &coordinator, &json!("0"), 200, &Value::Null).await;
    let (_, bexar_start) = drain(&app, &bexar, &json!("0"), 200, &Value::Null).await;

    let stop = std::sync::atomic::AtomicBool::new(false);
    let requests = async {
        let mut created = Vec::new();
        for _ in 0..12 {
            let request =
                app.ok(&slco, CREATE, utah_request()).await["createResourceRequest"]["resourceRequest"]["id"].clone();
            app.ok(&slco, SUBMIT, json!({ "input": { "requestId": request, "expectedVersion": 1 } })).await;
            created.push(request);
        }
        created
    };
    let inventory = async {
        for held in 1..=12 {
            app.ok(
                &utco,
                INVENTORY,
                json!({ "input": { "resourceTypeId": pump(), "quantityHeld": held, "quantityAvailable": held } }),
            )
            .await;
        }
    };
    // The poller stores its cursor and asks again, three changes at a time, until the writers are done and the
    // feed has nothing more.
    let poller = async {
        let mut seen = Vec::new();
        let mut cursor = start.clone();
        loop {
            let done = stop.load(std::sync::atomic::Ordering::SeqCst);
            let (page, next) = drain(&app, &coordinator, &cursor, 3, &Value::Null).await;
            seen.extend(page);
            cursor = next;
            if done {
                return seen;
            }
            tokio::task::yield_now().await;
        }
    };
    let writers = async {
        let (created, ()) = tokio::join!(requests, inventory);
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        created
    };
    let (created, polled) = tokio::join!(writers, poller);

    // In order, without duplicates, and the same as one read of the whole feed after the writers stopped.
    let polled_sequences = sequences(&polled);
    assert!(polled_sequences.windows(2).all(|w| w[0] < w[1]), "out of order or repeated: {polled_sequences:?}");
    let (whole, _) = drain(&app, &coordinator, &start, 200, &Value::Null).await;
    assert_eq!(polled_sequences, sequences(&whole));
    // Every request's creation and submission is there, and 12 inventory changes.
    let requests: HashSet<&Value> = created.iter().collect();
    let request_events = polled.iter().filter(|c| requests.contains(&c["event"]["recordId"])).count();
    assert_eq!(request_events, 24, "{polled:#?}");
    let inventory_events = polled.iter().filter(|c| c["event"]["recordType"] == "INVENTORY_ITEM").count();
    assert_eq!(inventory_events, 12);

    // Filters narrow the same feed.
    let only_requests = json!({ "recordTypes": ["RESOURCE_REQUEST"] });
    let (narrowed, _) = drain(&app, &coordinator, &start, 5, &only_requests).await;
    assert_eq!(narrowed.len(), 24);
    assert!(narrowed.iter().all(|c| c["resourceRequest"]["id"] == c["event"]["recordId"]));

    // Another compact's member sees none of it, and its cursor still moves on.
    let (other, _) = drain(&app, &bexar, &bexar_start, 5, &Value::Null).await;
    assert!(other.iter().all(|c| !requests.contains(&c["event"]["recordId"])), "{other:#?}");
    assert!(other.iter().all(|c| c["event"]["recordType"] != "INVENTORY_ITEM"), "{other:#?}");
    app.stop().await;
}

#[tokio::test]
async fn the_feed_refuses_bad_arguments_and_anonymous_callers() {
    let app = TestApp::seeded().await;
    let slco = rep(&app, "salt-lake-county");
    for variables in [
        json!({ "first": 0 }),
        json!({ "first": 501 }),
        json!({ "after": "-1" }),
        json!({ "after": "x" }),
        json!({ "filter": { "compactId": "not-an-id" } }),
    ] {
        let (_, body) = app.gql(Some(&slco), CHANGES, variables.clone()).await;
        assert!(!codes(&body).is_empty() && body["data"]["changes"].is_null(), "{variables}: {body}");
    }
    let (_, body) = app.gql(None, CHANGES, json!({})).await;
    assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{body}");
    // A cursor past the end returns itself and nothing else.
    let data = app.ok(&slco, CHANGES, json!({ "after": "999999999" })).await;
    assert_eq!(data["changes"]["endCursor"], "999999999");
    assert_eq!(data["changes"]["changes"], json!([]));
    assert_eq!(data["changes"]["hasNextPage"], false);
    app.stop().await;
}
