//! The directory: administrator mutations, their refusals, validation, optimistic concurrency, memberships and
//! their termination, lists with filters and pagination, and the events every change appends.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::support::{Options, TestApp, seed};

const CREATE_JURISDICTION: &str = r#"mutation ($input: CreateJurisdictionInput!) {
  createJurisdiction(input: $input) {
    jurisdiction { id name kind version parent { name } location { latitude longitude }
      contacts { kind name phone email } authorizedRepresentatives { name title active }
      history { totalCount edges { node { action actor { subject } recordType } } } }
  }
}"#;

const UPDATE_JURISDICTION: &str = r#"mutation ($input: UpdateJurisdictionInput!) {
  updateJurisdiction(input: $input) { jurisdiction { id name version region parent { name } } }
}"#;

fn new_town(name: &str) -> Value {
    json!({ "input": {
        "name": name, "kind": "TOWN", "parentId": seed("jurisdiction", "connecticut"), "stateCode": "ct",
        "latitude": 41.56, "longitude": -72.65,
        "contacts": [
            { "kind": "PRIMARY", "name": "Avery Lindqvist", "title": "Emergency Management Director",
              "phone": "860-555-0161", "email": "alindqvist@em.middletown.example.gov" },
            { "kind": "TWENTY_FOUR_HOUR", "name": "Middletown Dispatch", "phone": "860-555-0162" }
        ],
        "representatives": [{ "name": "Avery Lindqvist", "title": "Emergency Management Director" }]
    } })
}

#[tokio::test]
async fn an_administrator_creates_a_jurisdiction_with_its_contacts_and_an_event() {
    let app = TestApp::seeded().await;
    let data = app.ok(&app.admin(), CREATE_JURISDICTION, new_town("Middletown")).await;
    let j = &data["createJurisdiction"]["jurisdiction"];
    assert_eq!(j["name"], "Middletown");
    assert_eq!(j["kind"], "TOWN");
    assert_eq!(j["version"], 1);
    assert_eq!(j["parent"]["name"], "State of Connecticut");
    assert_eq!(j["location"], json!({ "latitude": 41.56, "longitude": -72.65 }));
    assert_eq!(j["contacts"].as_array().unwrap().len(), 2);
    assert_eq!(j["authorizedRepresentatives"][0]["active"], true);
    assert_eq!(j["history"]["totalCount"], 1);
    assert_eq!(
        j["history"]["edges"][0]["node"],
        json!({ "action": "CREATED", "actor": { "subject": "admin" }, "recordType": "JURISDICTION" })
    );
}

#[tokio::test]
async fn only_administrators_change_the_directory_and_refusals_change_nothing() {
    let app = TestApp::seeded().await;
    let compact = seed("compact", "utah-smaa");
    let tokens = [
        app.token("slco-em", Some(seed("jurisdiction", "salt-lake-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]),
        app.token("coord", Some(seed("jurisdiction", "utah")), &["COORDINATOR"], &[compact]),
        app.token("committee", None, &["COMMITTEE_MEMBER"], &[compact]),
        app.token("observer", None, &["OBSERVER"], &[compact]),
        app.token("webeoc", None, &["INTEGRATION"], &[compact]),
    ];
    let before = app.event_count().await;
    let operations = [
        (CREATE_JURISDICTION, new_town("Middletown")),
        (UPDATE_JURISDICTION, json!({ "input": { "id": seed("jurisdiction", "provo"), "name": "Provo City" } })),
        (
            "mutation ($input: CreateCompactInput!) { createCompact(input: $input) { compact { id } } }",
            json!({ "input": { "name": "X", "shortName": "X", "kind": "LOCAL", "authority": "Resolution 1",
                "policy": { "waiverItemized": false, "waiverCopyToCoordinator": false, "missedDeadlineForfeits": false } } }),
        ),
        (
            "mutation ($input: UpdateCompactInput!) { updateCompact(input: $input) { compact { id } } }",
            json!({ "input": { "id": compact, "name": "Renamed" } }),
        ),
        (
            "mutation ($input: AddCompactMemberInput!) { addCompactMember(input: $input) { membership { id } } }",
            json!({ "input": { "compactId": compact, "jurisdictionId": seed("jurisdiction", "texas"), "joinedOn": "2026-01-01" } }),
        ),
        (
            "mutation ($input: AddJurisdictionContactInput!) { addJurisdictionContact(input: $input) { contact { id } } }",
            json!({ "input": { "jurisdictionId": seed("jurisdiction", "salt-lake-county"), "contact": { "kind": "ALTERNATE", "name": "X" } } }),
        ),
        (
            "mutation ($input: CreateResourceTypeInput!) { createResourceType(input: $input) { resourceType { id } } }",
            json!({ "input": { "category": "Public Works", "kind": "EQUIPMENT", "name": "Street Sweeper" } }),
        ),
    ];
    for token in &tokens {
        for (query, variables) in &operations {
            let body = app.fails(Some(token), query, variables.clone(), "FORBIDDEN").await;
            assert!(body["data"].is_null(), "{body}");
        }
    }
    for (query, variables) in &operations {
        app.fails(None, query, variables.clone(), "UNAUTHENTICATED").await;
    }
    assert_eq!(app.event_count().await, before, "refused mutations must not write");
}

#[tokio::test]
async fn invalid_input_is_refused_with_the_field_and_nothing_is_written() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let before = app.event_count().await;
    let cases = [
        ("name", json!({ "name": "   " })),
        ("contact.email", json!({ "contacts": [{ "kind": "PRIMARY", "name": "A", "email": "not-an-email" }] })),
        ("contact.phone", json!({ "contacts": [{ "kind": "PRIMARY", "name": "A", "phone": "call me" }] })),
        ("latitude", json!({ "latitude": 123.0, "longitude": 0.0 })),
        ("longitude", json!({ "latitude": 41.0, "longitude": null })),
        ("stateCode", json!({ "stateCode": "Conn" })),
        ("parentId", json!({ "parentId": uuid::Uuid::new_v4() })),
        ("parentId", json!({ "parentId": "not-a-uuid" })),
    ];
    for (field, patch) in cases {
        let mut variables = new_town("Middletown");
        for (k, v) in patch.as_object().unwrap() {
            variables["input"][k] = v.clone();
        }
        let body = app.fails(Some(&admin), CREATE_JURISDICTION, variables, "BAD_USER_INPUT").await;
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let body = app.fails(Some(&admin), CREATE_JURISDICTION, new_town("Salt Lake County"), "CONFLICT").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("already exists"));
    assert_eq!(app.event_count().await, before);
    let (_, body) = app
        .gql(Some(&admin), "{ jurisdictions(filter: { nameContains: \"middletown\" }) { totalCount } }", json!({}))
        .await;
    assert_eq!(body["data"]["jurisdictions"]["totalCount"], 0, "no partial write: {body}");
}

#[tokio::test]
async fn stale_versions_and_parent_cycles_are_refused() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let provo = seed("jurisdiction", "provo");
    let data = app
        .ok(
            &admin,
            UPDATE_JURISDICTION,
            json!({ "input": { "id": provo, "expectedVersion": 1, "region": "Mountainland" } }),
        )
        .await;
    assert_eq!(data["updateJurisdiction"]["jurisdiction"]["version"], 2);
    assert_eq!(data["updateJurisdiction"]["jurisdiction"]["region"], "Mountainland");
    let body = app
        .fails(
            Some(&admin),
            UPDATE_JURISDICTION,
            json!({ "input": { "id": provo, "expectedVersion": 1, "region": "X" } }),
            "CONFLICT",
        )
        .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("changed by someone else"));

    let county = seed("jurisdiction", "utah-county");
    let body = app
        .fails(
            Some(&admin),
            UPDATE_JURISDICTION,
            json!({ "input": { "id": county, "parentId": provo } }),
            "BAD_USER_INPUT",
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "parentId");
    app.fails(Some(&admin), UPDATE_JURISDICTION, json!({ "input": { "id": provo } }), "BAD_USER_INPUT").await;

    let history = app
        .ok(
            &admin,
            "query ($id: ID!) { jurisdiction(id: $id) { history { edges { node { action payload } } } } }",
            json!({ "id": provo }),
        )
        .await;
    let actions: Vec<&str> = history["jurisdiction"]["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATED", "UPDATED"]);
    assert_eq!(history["jurisdiction"]["history"]["edges"][1]["node"]["payload"], json!({ "region": "Mountainland" }));
}

#[tokio::test]
async fn concurrent_edits_of_one_record_end_with_one_winner_and_one_conflict() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let id = seed("jurisdiction", "ogden");
    let edit = |region: &'static str| {
        let vars = json!({ "input": { "id": id, "expectedVersion": 1, "region": region } });
        let app = &app;
        let admin = admin.clone();
        async move { app.gql(Some(&admin), UPDATE_JURISDICTION, vars).await.1 }
    };
    let results = futures_join(edit("North"), edit("South")).await;
    let succeeded = results.iter().filter(|b| b.get("errors").is_none()).count();
    let conflicted = results.iter().filter(|b| crate::support::codes(b).contains(&"CONFLICT".to_owned())).count();
    assert_eq!((succeeded, conflicted), (1, 1), "{results:?}");
    let data = app
        .ok(
            &admin,
            "query ($id: ID!) { jurisdiction(id: $id) { version history { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["jurisdiction"]["version"], 2);
    assert_eq!(data["jurisdiction"]["history"]["totalCount"], 2, "one CREATED, one UPDATED");
}

async fn futures_join<A: std::future::Future<Output = Value>, B: std::future::Future<Output = Value>>(
    a: A,
    b: B,
) -> Vec<Value> {
    let (a, b) = tokio::join!(a, b);
    vec![a, b]
}

const COMPACT_FIELDS: &str = "id name version policy { recallNoticeHours paymentDays paymentClock committeeQuorum membershipTerminationNoticeDays missedDeadlineForfeits } history { edges { node { action payload } } }";

#[tokio::test]
async fn compacts_carry_their_policy_as_data() {
    let app = TestApp::seeded().await;
    let admin = app.admin();
    let data = app
        .ok(
            &admin,
            &format!("query ($id: ID!) {{ compact(id: $id) {{ {COMPACT_FIELDS} }} }}"),
            json!({ "id": seed("compact", "utah-smaa") }),
        )
        .await;
    assert_eq!(
        data["compact"]["policy"],
        json!({ "recallNoticeHours": 24, "paymentDays": 30, "paymentClock": "NOTICE_RECEIVED", "committeeQuorum": 7,
                "membershipTerminationNoticeDays": null, "missedDeadlineForfeits": true })
    );
    let create = format!(
        "mutation ($input: CreateCompactInput!) {{ createCompact(input: $input) {{ compact {{ {COMPACT_FIELDS} }} }} }}"
    );
    let policy = json!({ "recallNoticeHours": 12, "waiverItemized": false, "waiverCopyToCoordinator": false, "missedDeadlineForfeits": false });
    let input = json!({ "input": { "name": "Capitol Region Automatic Aid", "shortName": "CRAA", "kind": "LOCAL",
        "authority": "Interlocal agreement of 2019", "coordinatingJurisdictionId": seed("jurisdiction", "hartford"), "policy": policy } });
    let data = app.ok(&admin, &create, input.clone()).await;
    let created = &data["createCompact"]["compact"];
    assert_eq!(created["policy"]["recallNoticeHours"], 12);
    assert_eq!(created["policy"]["paymentDays"], Value::Null);
    app.fails(Some(&admin), &create, input, "CONFLICT").await;

    let mut bad =
        json!({ "input": { "name": "Y", "shortName": "Y", "kind": "LOCAL", "authority": "Z", "policy": policy } });
    bad["input"]["policy"]["paymentDays"] = json!(30);
    let body = app.fails(Some(&admin), &create, bad.clone(), "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "policy.paymentClock");
    bad["input"]["policy"]["paymentDays"] = json!(-1);
    bad["input"]["policy"]["paymentClock"] = json!("STATEMENT_RECEIVED");
    let body = app.fails(Some(&admin), &create, bad, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "policy.paymentDays");

    let update = format!(
        "mutation ($input: UpdateCompactInput!) {{ updateCompact(input: $input) {{ compact {{ {COMPACT_FIELDS} }} }} }}"
    );
    let mut new_policy = policy.clone();
    new_policy["recallNoticeHours"] = json!(48);
    let data = app
        .ok(&admin, &update, json!({ "input": { "id": created["id"], "expectedVersion": 1, "policy": new_policy } }))
        .await;
    let updated = &data["updateCompact"]["compact"];
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["policy"]["recallNoticeHours"], 48);
    let last = &updated["history"]["edges"][1]["node"];
    assert_eq!(last["action"], "POLICY_UPDATED");
    assert_eq!(last["payload"]["previousPolicy"]["recallNoticeHours"], 12);
    assert_eq!(last["payload"]["policy"]["recallNoticeHours"], 48);
}

const NOTICE: &str = r#"mutation ($input: NoticeMembershipTerminationInput!) {
  noticeMembershipTermination(input: $input) { membership { status terminationNoticedAt terminationEffectiveAt version } }
}"#;

#[tokio::test]
async fn a_member_gives_termination_notice_that_takes_effect_after_the_compacts_period() {
    let start = Utc.with_ymd_and_hms(2026, 11, 21, 15, 0, 0).unwrap();
    let clock = api::clock::ManualClock::new(start);
    let app = TestApp::spawn_with(Options { clock: Some(clock.clone()), ..Options::default() }).await;
    api::seed::load(&app.state.db, start).await.unwrap();
    let membership = seed("membership", "aacog-rma:kerrville");
    let kerrville =
        app.token("kerrville-em", Some(seed("jurisdiction", "kerrville")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let bexar = app.token("bexar-em", Some(seed("jurisdiction", "bexar-county")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let coordinator =
        app.token("aacog", Some(seed("jurisdiction", "aacog")), &["COORDINATOR"], &[seed("compact", "aacog-rma")]);

    app.fails(Some(&bexar), NOTICE, json!({ "input": { "membershipId": membership } }), "FORBIDDEN").await;
    app.fails(Some(&coordinator), NOTICE, json!({ "input": { "membershipId": membership } }), "FORBIDDEN").await;
    let future = json!({ "input": { "membershipId": membership, "noticedAt": "2027-01-01T00:00:00Z" } });
    app.fails(Some(&kerrville), NOTICE, future, "BAD_USER_INPUT").await;
    let backdated = json!({ "input": { "membershipId": membership, "noticedAt": "2026-08-01T00:00:00Z" } });
    let body = app.fails(Some(&kerrville), NOTICE, backdated, "BAD_USER_INPUT").await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "noticedAt", "a member cannot shorten its notice period");

    let data = app.ok(&kerrville, NOTICE, json!({ "input": { "membershipId": membership } })).await;
    let m = &data["noticeMembershipTermination"]["membership"];
    assert_eq!(m["status"], "TERMINATION_NOTICED");
    assert_eq!(m["terminationNoticedAt"], "2026-11-21T15:00:00Z");
    assert_eq!(m["terminationEffectiveAt"], "2027-02-19T15:00:00Z", "AACOG: 90 days");
    let body = app
        .fails(Some(&kerrville), NOTICE, json!({ "input": { "membershipId": membership } }), "INVALID_TRANSITION")
        .await;
    assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "TERMINATION_NOTICED");

    let status =
        "query ($id: ID!) { membership(id: $id) { status history { edges { node { action fromStatus toStatus } } } } }";
    clock.set(start + Duration::days(89));
    let data = app.ok(&kerrville, status, json!({ "id": membership })).await;
    assert_eq!(data["membership"]["status"], "TERMINATION_NOTICED");
    clock.set(start + Duration::days(90));
    let data = app.ok(&kerrville, status, json!({ "id": membership })).await;
    assert_eq!(data["membership"]["status"], "TERMINATED");
    assert_eq!(
        data["membership"]["history"]["edges"][1]["node"],
        json!({ "action": "TERMINATION_NOTICED", "fromStatus": "ACTIVE", "toStatus": "TERMINATION_NOTICED" })
    );

    // Utah's compact has no notice period: the termination takes effect at once.
    let provo = app.token("provo-em", Some(seed("jurisdiction", "provo")), &["AUTHORIZED_REPRESENTATIVE"], &[]);
    let data =
        app.ok(&provo, NOTICE, json!({ "input": { "membershipId": seed("membership", "utah-smaa:provo") } })).await;
    assert_eq!(data["noticeMembershipTermination"]["membership"]["status"], "TERMINATED");
}

#[tokio::test]
async fn lists_filter_paginate_and_count() {
    let app = TestApp::seeded().await;
    let token = app.token("observer", None, &["OBSERVER"], &[]);
    let query = r#"query ($first: Int, $after: String, $filter: JurisdictionFilter) {
      jurisdictions(first: $first, after: $after, filter: $filter) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } }"#;
    let members = json!({ "memberOf": seed("compact", "utah-smaa") });
    let page1 = app.ok(&token, query, json!({ "first": 5, "filter": members })).await;
    assert_eq!(page1["jurisdictions"]["totalCount"], 14);
    assert_eq!(page1["jurisdictions"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(page1["jurisdictions"]["pageInfo"]["hasPreviousPage"], false);
    let mut names: Vec<String> = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.ok(&token, query, json!({ "first": 5, "after": after, "filter": members })).await;
        for edge in page["jurisdictions"]["edges"].as_array().unwrap() {
            names.push(edge["node"]["name"].as_str().unwrap().to_owned());
        }
        if page["jurisdictions"]["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["jurisdictions"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(names.len(), 14);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "ordered by name without gaps or repeats");

    let data = app.ok(&token, query, json!({ "filter": { "nameContains": "SAN" } })).await;
    let found: Vec<&str> = data["jurisdictions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert!(found.iter().any(|n| n.contains("San Antonio")), "{found:?}");
    let data = app.ok(&token, query, json!({ "filter": { "nameContains": "%" } })).await;
    assert_eq!(data["jurisdictions"]["totalCount"], 0, "wildcards in the text are literal");
    let data = app.ok(&token, query, json!({ "filter": { "kinds": ["STATE"], "stateCode": "ut" } })).await;
    assert_eq!(data["jurisdictions"]["totalCount"], 1);

    app.fails(Some(&token), query, json!({ "first": 101 }), "BAD_USER_INPUT").await;
    app.fails(Some(&token), query, json!({ "after": "bogus" }), "BAD_USER_INPUT").await;

    let compacts = app
        .ok(
            &token,
            "query ($j: ID!) { compacts(filter: { memberId: $j }) { totalCount edges { node { shortName } } } }",
            json!({ "j": seed("jurisdiction", "utah") }),
        )
        .await;
    assert_eq!(
        compacts["compacts"]["totalCount"], 1,
        "the state coordinates the SMAA and is a member of EMAC only: {compacts}"
    );
    let members = app
        .ok(&token, "query ($id: ID!) { compact(id: $id) { members(first: 100) { totalCount edges { node { status jurisdiction { name } } } } } }", json!({ "id": seed("compact", "aacog-rma") }))
        .await;
    assert_eq!(members["compact"]["members"]["totalCount"], 16);
    let types = app.ok(&token, "{ resourceTypes(filter: { kinds: [TEAM] }) { totalCount } }", json!({})).await;
    assert!(types["resourceTypes"]["totalCount"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::seeded().await;
    let events = app.event_count().await;
    let again = api::seed::load(&app.state.db, Utc::now()).await.unwrap();
    assert!(!again.loaded);
    assert_eq!(app.event_count().await, events);
    assert!(events > 100, "every seeded record has its event");
}
