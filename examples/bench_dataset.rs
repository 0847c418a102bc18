//! Benchmark data set: creates (if missing) a PostgreSQL database, applies the migrations, empties every data table,
//! loads the demo data set (`api::seed::load`, so tokens for its jurisdictions and compacts work), then bulk-loads
//! with SQL a realistic mutual-aid history on top of it, runs ANALYZE and prints the row count of every table.
//!
//! `cargo run --release --example bench_dataset -- postgres://postgres@127.0.0.1:5432/mutual_aid_bench [requests]`
//! (100,000 resource requests by default). What it loads, for N requests: N/333 incidents (at least 30) spread over
//! the compacts with at least two active members; N requests over the last two years, each by an active member of its
//! compact for one of the compact's incidents, mostly `CLOSED` with the newest 5 % still `DRAFT` to `OPEN`, with 1 to
//! 3 line items; recipients on direct requests; one offer on every filled or closed request (accepted) and on most
//! open, unfilled and cancelled ones, a second offer on 40 % of them; an agreement for every accepted offer and a
//! deployment for 70 % of the agreements; and inventory for a third of the (jurisdiction, resource type) pairs.
//! Ids are derived from the row numbers (md5), so two loads of the same size give the same rows. Events, deadlines
//! and the other tables stay as the demo data set leaves them. The whole load is one transaction.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::time::Instant;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement, TransactionTrait};

/// The load, one statement per step; `{N}` is the number of requests and `{I}` the number of incidents. Temporary
/// tables (`b_*`) plan who requests what from whom; `pg_temp.h` is a seeded hash, the loader's only randomness.
const STEPS: &str = r#"
-- step: helper hash function
CREATE FUNCTION pg_temp.h(bigint, bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT abs(hashint8extended($1, $2))';
-- step: compacts
CREATE TEMP TABLE b_compact ON COMMIT DROP AS
SELECT id, short_name, mission_numbers_required, weight,
       sum(weight) OVER (ORDER BY short_name) - weight AS lo, sum(weight) OVER (ORDER BY short_name) AS hi,
       sum(weight) OVER () AS total
FROM (SELECT c.*, CASE WHEN c.short_name LIKE 'CT Region%' THEN 3 ELSE 17 END AS weight
      FROM compacts c
      WHERE (SELECT count(*) FROM memberships m WHERE m.compact_id = c.id AND m.status = 'ACTIVE') >= 2) c;
-- step: memberships
CREATE TEMP TABLE b_member ON COMMIT DROP AS
SELECT compact_id, jurisdiction_id,
       row_number() OVER (PARTITION BY compact_id ORDER BY jurisdiction_id) - 1 AS midx,
       count(*) OVER (PARTITION BY compact_id) AS n
FROM memberships WHERE status = 'ACTIVE';
-- step: resource types
CREATE TEMP TABLE b_type ON COMMIT DROP AS
SELECT id, row_number() OVER (ORDER BY id) - 1 AS tidx, count(*) OVER () AS n FROM resource_types;
-- step: incidents
INSERT INTO incidents (id, name, kind, status, jurisdiction_id, compact_id, description, location_description,
                       declared_at, declaration_form, written_declaration_at, created_at, updated_at, version)
SELECT md5('bench-incident:' || k)::uuid,
       (ARRAY['Flood', 'Wildfire', 'Winter Storm', 'Tornado', 'Hazmat Release', 'Earthquake', 'Hurricane', 'Drought'])
           [1 + pg_temp.h(k, 13) % 8] || ' ' || k,
       CASE WHEN pg_temp.h(k, 14) % 10 = 0 THEN 'EXERCISE' ELSE 'DISASTER' END,
       CASE WHEN k >= {I} * 9 / 10 THEN 'ACTIVE' ELSE 'CLOSED' END,
       m.jurisdiction_id, c.id, 'Benchmark incident ' || k, 'County road ' || (k % 97),
       d, 'WRITTEN', d, d, d, 1
FROM generate_series(0, {I} - 1) k
CROSS JOIN LATERAL (SELECT now() - make_interval(days => 760 - (k * 760 / {I})::int) AS d) t
JOIN b_compact c ON pg_temp.h(k, 11) % c.total >= c.lo AND pg_temp.h(k, 11) % c.total < c.hi
JOIN b_member m ON m.compact_id = c.id AND m.midx = pg_temp.h(k, 12) % m.n;
-- step: incident index
CREATE TEMP TABLE b_incident ON COMMIT DROP AS
SELECT id, compact_id, row_number() OVER (PARTITION BY compact_id ORDER BY declared_at, id) - 1 AS iidx,
       count(*) OVER (PARTITION BY compact_id) AS n
FROM incidents WHERE compact_id IS NOT NULL;
-- step: request plan
CREATE TEMP TABLE b_req ON COMMIT DROP AS
SELECT i, md5('bench-request:' || i)::uuid AS id, c.id AS compact_id, c.mission_numbers_required AS coordinated,
       m.jurisdiction_id AS requester, m.midx, m.n, inc.id AS incident_id, t.requested_at,
       CASE WHEN i > {N} * 95 / 100 THEN
                CASE WHEN s < 10 THEN 'DRAFT' WHEN s < 30 THEN 'SUBMITTED' WHEN s < 65 THEN 'OPEN'
                     WHEN s < 85 THEN 'FILLED' WHEN s < 92 THEN 'CLOSED' WHEN s < 97 THEN 'CANCELLED' ELSE 'UNFILLED' END
            ELSE
                CASE WHEN s < 1 THEN 'DRAFT' WHEN s < 3 THEN 'SUBMITTED' WHEN s < 8 THEN 'OPEN'
                     WHEN s < 18 THEN 'FILLED' WHEN s < 88 THEN 'CLOSED' WHEN s < 94 THEN 'CANCELLED' ELSE 'UNFILLED' END
       END AS status
FROM generate_series(1, {N}) i
CROSS JOIN LATERAL (SELECT pg_temp.h(i, 4) % 100 AS s,
                           now() - make_interval(mins => (({N} - i)::bigint * 1051200 / {N})::int + (pg_temp.h(i, 3) % 600)::int)
                               AS requested_at) t
JOIN b_compact c ON pg_temp.h(i, 1) % c.total >= c.lo AND pg_temp.h(i, 1) % c.total < c.hi
JOIN b_member m ON m.compact_id = c.id AND m.midx = pg_temp.h(i, 2) % m.n
JOIN b_incident inc ON inc.compact_id = c.id AND inc.iidx = pg_temp.h(i, 6) % inc.n;
-- step: request plan key
ALTER TABLE b_req ADD PRIMARY KEY (i);
-- step: resource requests
INSERT INTO resource_requests (id, compact_id, requesting_jurisdiction_id, incident_id, request_number, mission_number,
    channel, status, priority, verbal, requested_at, written_confirmed_at, entered_by_coordinator, entered_by_subject,
    broadcast, support_functions, public_infrastructure, description, staging_location, staging_contact_name,
    staging_contact_phone, contact_name, contact_phone, contact_email, self_sufficiency_hours, food_provided_by,
    housing_provided_by, submitted_at, opened_at, filled_at, closed_at, status_reason, created_at, updated_at, version)
SELECT r.id, r.compact_id, r.requester, r.incident_id, 'REQ-' || lpad(r.i::text, 7, '0'),
       CASE WHEN r.coordinated AND r.status NOT IN ('DRAFT', 'SUBMITTED') THEN 'MSN-' || lpad(r.i::text, 7, '0') END,
       CASE WHEN r.coordinated THEN 'COORDINATED' ELSE 'DIRECT' END,
       r.status,
       CASE WHEN pg_temp.h(r.i, 8) % 100 < 20 THEN 'URGENT' WHEN pg_temp.h(r.i, 8) % 100 < 85 THEN 'ROUTINE' ELSE 'LOW' END,
       v.verbal, r.requested_at, CASE WHEN v.verbal AND r.status <> 'DRAFT' THEN r.requested_at + interval '20 hours' END,
       false, 'bench:representative:' || r.requester, false,
       CASE pg_temp.h(r.i, 9) % 4 WHEN 0 THEN '["ESF-4"]' WHEN 1 THEN '["ESF-9", "ESF-8"]' WHEN 2 THEN '["ESF-3"]' ELSE '[]' END::json,
       '[]'::json,
       'Resources needed for incident operations, request ' || r.i, 'Staging area ' || (r.i % 50),
       'Staging Officer ' || (r.i % 40), '555-01' || lpad((r.i % 100)::text, 2, '0'),
       'Duty Officer ' || (r.i % 60), '555-02' || lpad((r.i % 100)::text, 2, '0'), 'eoc' || (r.i % 60) || '@example.org',
       72, 'REQUESTING_PARTY', CASE WHEN pg_temp.h(r.i, 10) % 3 = 0 THEN 'ASSISTING_PARTY' ELSE 'REQUESTING_PARTY' END,
       t.submitted_at, t.opened_at, t.filled_at, t.closed_at,
       CASE r.status WHEN 'CANCELLED' THEN 'No longer needed' WHEN 'UNFILLED' THEN 'No assisting party could provide' END,
       r.requested_at, coalesce(t.closed_at, t.filled_at, t.opened_at, t.submitted_at, r.requested_at), 1
FROM b_req r
CROSS JOIN LATERAL (SELECT pg_temp.h(r.i, 15) % 10 = 0 AS verbal) v
CROSS JOIN LATERAL (SELECT
    CASE WHEN r.status <> 'DRAFT' THEN r.requested_at + interval '10 minutes' END AS submitted_at,
    CASE WHEN r.status IN ('OPEN', 'FILLED', 'CLOSED', 'UNFILLED') THEN r.requested_at + interval '40 minutes' END AS opened_at,
    CASE WHEN r.status IN ('FILLED', 'CLOSED') THEN r.requested_at + interval '6 hours' END AS filled_at,
    CASE WHEN r.status IN ('CLOSED', 'CANCELLED', 'UNFILLED') THEN r.requested_at + interval '9 days' END AS closed_at) t;
-- step: line items
INSERT INTO request_line_items (id, request_id, position, resource_type_id, quantity, estimated_duration_hours, needed_by, description)
SELECT md5('bench-line:' || r.i || ':' || p)::uuid, r.id, p, ty.id, 1 + pg_temp.h(r.i * 4 + p, 21) % 12,
       24 * (1 + pg_temp.h(r.i * 4 + p, 22) % 14), r.requested_at + make_interval(hours => 6 + (pg_temp.h(r.i * 4 + p, 23) % 66)::int),
       'Line ' || (p + 1) || ' of request ' || r.i
FROM b_req r
CROSS JOIN generate_series(0, 2) p
JOIN b_type ty ON ty.tidx = pg_temp.h(r.i * 4 + p, 20) % ty.n
WHERE p <= pg_temp.h(r.i, 7) % 3;
-- step: recipients
INSERT INTO request_recipients (request_id, jurisdiction_id)
SELECT r.id, m.jurisdiction_id
FROM b_req r JOIN b_member m ON m.compact_id = r.compact_id AND m.midx = (r.midx + 1 + pg_temp.h(r.i, 30) % (r.n - 1)) % r.n
WHERE NOT r.coordinated AND r.status <> 'DRAFT';
-- step: offer plan
CREATE TEMP TABLE b_offer ON COMMIT DROP AS
SELECT r.i, k, md5('bench-offer:' || r.i || ':' || k)::uuid AS id, r.id AS request_id, r.compact_id, r.requester,
       m.jurisdiction_id AS assisting, r.requested_at, r.status AS request_status,
       CASE
           WHEN r.status IN ('FILLED', 'CLOSED') AND k = 0 THEN 'ACCEPTED'
           WHEN r.status = 'UNFILLED' THEN 'CANNOT_PROVIDE'
           WHEN r.status = 'OPEN' THEN 'OFFERED'
           WHEN pg_temp.h(r.i, 33) % 2 = 0 THEN 'REJECTED'
           ELSE 'WITHDRAWN'
       END AS status
FROM b_req r
CROSS JOIN generate_series(0, 1) k
JOIN b_member m ON m.compact_id = r.compact_id AND m.midx = (r.midx + 1 + pg_temp.h(r.i, 30 + k) % (r.n - 1)) % r.n
WHERE r.status IN ('OPEN', 'FILLED', 'CLOSED', 'UNFILLED', 'CANCELLED')
  AND (k = 0 OR pg_temp.h(r.i, 32) % 10 < 4)
  AND NOT (r.status IN ('OPEN', 'UNFILLED', 'CANCELLED') AND k = 0 AND pg_temp.h(r.i, 34) % 10 >= 6);
-- step: offers
INSERT INTO offers (id, request_id, assisting_jurisdiction_id, status, cannot_provide_reason, personnel, equipment,
    arrival_place, estimated_arrival_at, estimated_departure_at, cost_estimate, donated, notes, offered_by_subject,
    decided_at, decision_reason, created_at, updated_at, version)
SELECT o.id, o.request_id, o.assisting, o.status,
       CASE WHEN o.status = 'CANNOT_PROVIDE' THEN 'Resources committed elsewhere' END,
       CASE WHEN o.status = 'CANNOT_PROVIDE' THEN '[]'::json
            ELSE json_build_array(json_build_object('name', 'Responder ' || o.i || '-1', 'position', 'Strike Team Leader'),
                                  json_build_object('name', 'Responder ' || o.i || '-2', 'position', 'Engine Boss')) END,
       CASE WHEN o.status = 'CANNOT_PROVIDE' THEN '[]'::json
            ELSE json_build_array(json_build_object('description', 'Type 3 engine', 'quantity', 1 + o.i % 3,
                                                    'resourceTypeId', NULL, 'identifier', 'E-' || o.i)) END,
       'Staging area ' || (o.i % 50), o.requested_at + interval '18 hours', o.requested_at + interval '8 days',
       CASE WHEN o.status = 'CANNOT_PROVIDE' THEN '{}'::json
            ELSE json_build_object('PERSONNEL_REGULAR', (1000 + o.i % 9000) || '.00', 'TRAVEL', (200 + o.i % 800) || '.00') END,
       false, NULL, 'bench:representative:' || o.assisting,
       CASE WHEN o.status IN ('ACCEPTED', 'REJECTED') THEN o.requested_at + interval '5 hours' END,
       CASE WHEN o.status = 'REJECTED' THEN 'Another offer covered the request' END,
       o.requested_at + interval '2 hours',
       CASE WHEN o.status IN ('ACCEPTED', 'REJECTED') THEN o.requested_at + interval '5 hours' ELSE o.requested_at + interval '2 hours' END,
       1
FROM b_offer o;
-- step: offer lines
INSERT INTO offer_lines (offer_id, line_item_id, quantity)
SELECT o.id, li.id, li.quantity
FROM b_offer o JOIN request_line_items li ON li.request_id = o.request_id
WHERE o.status <> 'CANNOT_PROVIDE';
-- step: agreements
INSERT INTO agreements (id, request_id, offer_id, compact_id, requesting_jurisdiction_id, assisting_jurisdiction_id, status,
    verbal, requesting_signed_by, requesting_signed_at, assisting_signed_by, assisting_signed_at, executed_at,
    after_action_report, after_action_filed_at, created_at, updated_at, version)
SELECT md5('bench-agreement:' || o.i)::uuid, o.request_id, o.id, o.compact_id, o.requester, o.assisting,
       CASE WHEN v.verbal THEN 'VERBAL' ELSE 'EXECUTED' END, v.verbal,
       'bench:representative:' || o.requester, CASE WHEN NOT v.verbal THEN o.requested_at + interval '6 hours' END,
       CASE WHEN NOT v.verbal THEN 'bench:representative:' || o.assisting END,
       CASE WHEN NOT v.verbal THEN o.requested_at + interval '6 hours' END,
       CASE WHEN NOT v.verbal THEN o.requested_at + interval '6 hours' END,
       CASE WHEN o.request_status = 'CLOSED' AND pg_temp.h(o.i, 40) % 2 = 0 THEN 'Operations went as planned.' END,
       CASE WHEN o.request_status = 'CLOSED' AND pg_temp.h(o.i, 40) % 2 = 0 THEN o.requested_at + interval '20 days' END,
       o.requested_at + interval '5 hours', o.requested_at + interval '6 hours', 1
FROM b_offer o
CROSS JOIN LATERAL (SELECT o.request_status = 'FILLED' AND pg_temp.h(o.i, 41) % 10 = 0 AS verbal) v
WHERE o.status = 'ACCEPTED';
-- step: deployments
INSERT INTO deployments (id, agreement_id, request_id, compact_id, requesting_jurisdiction_id, assisting_jurisdiction_id,
    status, personnel, equipment, readiness_checked, communications_checked, assignment, location, departed_at,
    arrived_at, released_at, debriefed, returned_at, recall_noticed_at, recall_effective_at, recall_reason, closed_at,
    created_at, updated_at, version)
SELECT md5('bench-deployment:' || o.i)::uuid, md5('bench-agreement:' || o.i)::uuid, o.request_id, o.compact_id,
       o.requester, o.assisting, d.status,
       json_build_array(json_build_object('name', 'Responder ' || o.i || '-1', 'position', 'Strike Team Leader'),
                        json_build_object('name', 'Responder ' || o.i || '-2', 'position', 'Engine Boss')),
       json_build_array(json_build_object('description', 'Type 3 engine', 'quantity', 1 + o.i % 3,
                                          'resourceTypeId', NULL, 'identifier', 'E-' || o.i)),
       d.status <> 'PREPARING', d.status <> 'PREPARING', 'Division ' || chr(65 + (o.i % 6)::int), 'Staging area ' || (o.i % 50),
       CASE WHEN d.status <> 'PREPARING' THEN o.requested_at + interval '8 hours' END,
       CASE WHEN d.status IN ('ON_SITE', 'DEMOBILIZING', 'RETURNED', 'CLOSED') THEN o.requested_at + interval '18 hours' END,
       CASE WHEN d.status IN ('DEMOBILIZING', 'RETURNED', 'CLOSED') THEN o.requested_at + interval '7 days' END,
       d.status IN ('RETURNED', 'CLOSED'),
       CASE WHEN d.status IN ('RETURNED', 'CLOSED') THEN o.requested_at + interval '8 days' END,
       NULL, NULL, NULL,
       CASE WHEN d.status = 'CLOSED' THEN o.requested_at + interval '9 days' END,
       o.requested_at + interval '6 hours',
       o.requested_at + CASE d.status WHEN 'PREPARING' THEN interval '6 hours' WHEN 'EN_ROUTE' THEN interval '8 hours'
           WHEN 'ON_SITE' THEN interval '18 hours' WHEN 'DEMOBILIZING' THEN interval '7 days'
           WHEN 'RETURNED' THEN interval '8 days' ELSE interval '9 days' END,
       1
FROM b_offer o
CROSS JOIN LATERAL (SELECT CASE
    WHEN o.request_status = 'FILLED' THEN
        (ARRAY['PREPARING', 'EN_ROUTE', 'ON_SITE', 'ON_SITE', 'DEMOBILIZING'])[1 + pg_temp.h(o.i, 50) % 5]
    WHEN pg_temp.h(o.i, 50) % 5 = 0 THEN 'RETURNED' ELSE 'CLOSED' END AS status) d
WHERE o.status = 'ACCEPTED' AND pg_temp.h(o.i, 51) % 10 < 7;
-- step: inventory
INSERT INTO inventory_items (id, jurisdiction_id, resource_type_id, quantity_held, quantity_available, notes, created_at,
    updated_at, version)
SELECT md5('bench-inventory:' || j.id || ':' || ty.id)::uuid, j.id, ty.id, q.held, q.held / 2, NULL, now(), now(), 1
FROM jurisdictions j CROSS JOIN b_type ty
CROSS JOIN LATERAL (SELECT 1 + pg_temp.h(hashtext(j.id::text || ty.id::text), 60) % 20 AS held) q
WHERE pg_temp.h(hashtext(j.id::text || ty.id::text), 61) % 3 = 0;
"#;

/// The URL of the `postgres` database of the same server, and the name of the database in `url`.
fn admin_url(url: &str) -> (String, String) {
    let (base, rest) = url.rsplit_once('/').expect("a database URL ends with /<database>");
    let (name, query) = match rest.split_once('?') {
        Some((name, query)) => (name, format!("?{query}")),
        None => (rest, String::new()),
    };
    assert!(!name.is_empty() && base.contains("://"), "a database URL ends with /<database>");
    (format!("{base}/postgres{query}"), name.to_owned())
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations' \
             ORDER BY tablename",
        ))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| {
        eprintln!("usage: bench_dataset postgres://user@host:port/database [requests=100000]");
        std::process::exit(2);
    });
    assert!(url.starts_with("postgres"), "the benchmark data set is for PostgreSQL");
    let requests: u64 = args.get(2).map(|a| a.parse().expect("requests: a number")).unwrap_or(100_000);
    assert!(requests >= 1, "at least one request");
    let incidents = (requests / 333).max(30);
    let started = Instant::now();

    let (admin, name) = admin_url(&url);
    {
        let admin = Database::connect(admin.as_str()).await.expect("connect to the postgres database");
        let exists =
            count(&admin, &format!("SELECT count(*) FROM pg_database WHERE datname = '{}'", name.replace('\'', "''")))
                .await;
        if exists == 0 {
            admin.execute_unprepared(&format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""))).await.unwrap();
            println!("created database {name}");
        }
        admin.close().await.unwrap();
    }

    let db = Database::connect(url.as_str()).await.expect("connect to the benchmark database");
    api::db::migrate_up(&db).await.expect("migrations");
    let all = tables(&db).await;
    let list = all.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    db.execute_unprepared(&format!("TRUNCATE {list} RESTART IDENTITY CASCADE")).await.unwrap();
    let seed = api::seed::load(&db, chrono::Utc::now()).await.expect("demo data set");
    println!(
        "demo data set: {} jurisdictions, {} compacts, {} memberships, {} incidents, {} resource types ({:.1} s)",
        seed.jurisdictions,
        seed.compacts,
        seed.memberships,
        seed.incidents,
        seed.resource_types,
        started.elapsed().as_secs_f64()
    );

    let load_started = Instant::now();
    let txn = db.begin().await.unwrap();
    for step in STEPS.split("-- step: ").filter(|s| !s.trim().is_empty()) {
        let (label, sql) = step.split_once('\n').unwrap();
        let sql = sql.replace("{N}", &requests.to_string()).replace("{I}", &incidents.to_string());
        let step_started = Instant::now();
        let result = txn.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("step {label}: {e}"));
        println!("  {label:<22} {:>9} rows  {:>6.1} s", result.rows_affected(), step_started.elapsed().as_secs_f64());
    }
    txn.commit().await.unwrap();
    let loaded = load_started.elapsed();
    let analyze_started = Instant::now();
    db.execute_unprepared("ANALYZE").await.unwrap();
    let analyzed = analyze_started.elapsed();

    println!("rows per table:");
    for table in &all {
        let rows = count(&db, &format!("SELECT count(*) FROM \"{table}\"")).await;
        if rows > 0 {
            println!("  {table:<28} {rows:>9}");
        }
    }
    println!(
        "bulk load {:.1} s, ANALYZE {:.1} s, total {:.1} s",
        loaded.as_secs_f64(),
        analyzed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
