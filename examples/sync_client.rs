//! A state system's sync client: mirrors every mission record its token may see into a folder, one JSON file per
//! record, by polling the change feed (`changes(after:)`), and resumes where it stopped after any crash. Given a
//! file of the state system's inventory, it first pushes each line by the system's own ids (`upsertInventory`), each
//! with an idempotency key, so a push retried after a crash changes nothing twice.
//!
//! `cargo run --example sync_client -- http://127.0.0.1:8080/graphql "$TOKEN" ./mirror [--until-caught-up]
//!  [--push-inventory inventory.json]`
//!
//! The inventory file is a JSON array of lines: `{"externalId": "INV-9", "resourceTypeExternalId": "RT-77",
//! "quantityHeld": 6, "quantityAvailable": 4}` (or `resourceTypeId` with our id). The token is then a service
//! account's (an `INTEGRATION` token naming its system and a jurisdiction the directory grants it). A line's key is
//! derived from its content, so the same line is the same request however often it is sent; `pushed.jsonl` in the
//! folder records the keys answered, and lines not recorded there are sent again at the next start.
//!
//! The folder holds `<recordType>/<id>.json` (the record as the server showed it with its latest change) and
//! `log.jsonl`, the journal that makes the mirror crash-safe: each applied change appends
//! `{"sequence":n,"recordType":...,"recordId":...,"action":...}` after its record file is written, and a page that
//! showed nothing appends `{"cursor":n}`. At start the cursor is the last complete journal line, and a torn last line
//! is cut off, so a change is applied again only if the client died between writing its record and journaling it;
//! writing a record twice leaves the same file. Without `--until-caught-up` it polls for ever (every 500 ms when
//! idle); with it, it stops once the feed has nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "an example stops at the first failure")]

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

const QUERY: &str = r#"query Sync($after: Sequence, $first: Int) {
  changes(after: $after, first: $first) {
    endCursor hasNextPage
    changes {
      sequence
      event { recordType recordId action }
      resourceRequest { id status requestNumber missionNumber priority updatedAt version }
      offer { id status version }
      agreement { id status version }
      deployment { id status updatedAt version }
      claim { id status overdue updatedAt version }
    }
  }
}"#;

/// The cursor recorded by the journal, cutting off a torn last line.
fn recover(log: &Path) -> i64 {
    let Ok(text) = fs::read_to_string(log) else { return 0 };
    let mut cursor = 0;
    let mut good = 0;
    for line in text.split_inclusive('\n') {
        if !line.ends_with('\n') {
            break;
        }
        let Ok(entry) = serde_json::from_str::<Value>(line) else { break };
        let at = entry["sequence"].as_str().and_then(|s| s.parse().ok()).or_else(|| entry["cursor"].as_i64());
        cursor = at.unwrap_or(cursor);
        good += line.len();
    }
    if good < text.len() {
        let file = OpenOptions::new().write(true).open(log).unwrap();
        file.set_len(good as u64).unwrap();
        file.sync_all().unwrap();
    }
    cursor
}

/// Writes `value` to `path` atomically (a temporary file renamed over it).
fn write_atomically(path: &Path, value: &Value) {
    let tmp = path.with_extension("json.tmp");
    let mut file = File::create(&tmp).unwrap();
    file.write_all(serde_json::to_vec_pretty(value).unwrap().as_slice()).unwrap();
    file.sync_all().unwrap();
    fs::rename(&tmp, path).unwrap();
}

const UPSERT: &str = r#"mutation Push($input: UpsertInventoryInput!) {
  upsertInventory(input: $input) { created inventoryItem { id quantityHeld quantityAvailable } } }"#;

/// Pushes every line of `file` not yet answered, each under a key derived from its content.
async fn push_inventory(client: &reqwest::Client, url: &str, token: &str, file: &Path, folder: &Path) {
    use sha2::Digest;
    let lines: Vec<Value> = serde_json::from_slice(&fs::read(file).unwrap()).unwrap();
    let pushed_log = folder.join("pushed.jsonl");
    let answered: std::collections::HashSet<String> = fs::read_to_string(&pushed_log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|e| e["key"].as_str().map(str::to_owned))
        .collect();
    for line in lines {
        let digest = sha2::Sha256::digest(line.to_string().as_bytes());
        let key = format!("inv-{}-{}", line["externalId"].as_str().unwrap(), &format!("{digest:x}")[..16]);
        if answered.contains(&key) {
            continue;
        }
        let mut input = line.clone();
        let external_id = input.as_object_mut().unwrap().remove("externalId").unwrap();
        input["key"] = json!({ "externalId": external_id });
        let body = json!({ "query": UPSERT, "variables": { "input": input } });
        loop {
            let sent = client.post(url).bearer_auth(token).header("Idempotency-Key", &key).json(&body).send().await;
            let Ok(response) = sent else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            let Ok(answer) = response.json::<Value>().await else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            if let Some(errors) = answer.get("errors") {
                eprintln!("push {key}: {errors}");
                std::process::exit(1);
            }
            journal(&pushed_log, &json!({ "key": key, "created": answer["data"]["upsertInventory"]["created"] }));
            break;
        }
    }
}

fn journal(log: &Path, entry: &Value) {
    let mut file = OpenOptions::new().create(true).append(true).open(log).unwrap();
    file.write_all(format!("{entry}\n").as_bytes()).unwrap();
    file.sync_data().unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: sync_client <graphql-url> <token> <folder> [--until-caught-up] [--push-inventory <file>]");
        std::process::exit(2);
    }
    let (url, token, folder) = (&args[1], &args[2], PathBuf::from(&args[3]));
    let until_caught_up = args.iter().any(|a| a == "--until-caught-up");
    fs::create_dir_all(&folder).unwrap();
    let log = folder.join("log.jsonl");
    let mut cursor = recover(&log);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    if let Some(at) = args.iter().position(|a| a == "--push-inventory") {
        push_inventory(&client, url, token, Path::new(&args[at + 1]), &folder).await;
        println!("pushed inventory");
    }
    loop {
        let body = json!({ "query": QUERY, "variables": { "after": cursor.to_string(), "first": 100 } });
        let response = match client.post(url).bearer_auth(token).json(&body).send().await {
            Ok(response) => response,
            Err(err) => {
                // The server may be restarting: wait and ask again from the same cursor.
                eprintln!("sync: {err}; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let Ok(page) = response.json::<Value>().await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        if let Some(errors) = page.get("errors") {
            eprintln!("sync: {errors}");
            std::process::exit(1);
        }
        let page = &page["data"]["changes"];
        let changes = page["changes"].as_array().unwrap();
        for change in changes {
            let event = &change["event"];
            let record_type = event["recordType"].as_str().unwrap();
            let id = event["recordId"].as_str().unwrap();
            let record = ["resourceRequest", "offer", "agreement", "deployment", "claim"]
                .iter()
                .map(|field| &change[*field])
                .find(|r| !r.is_null());
            if let Some(record) = record {
                let dir = folder.join(record_type);
                fs::create_dir_all(&dir).unwrap();
                write_atomically(&dir.join(format!("{id}.json")), record);
            }
            journal(
                &log,
                &json!({ "sequence": change["sequence"], "recordType": record_type, "recordId": id,
                         "action": event["action"] }),
            );
        }
        let end: i64 = page["endCursor"].as_str().unwrap().parse().unwrap();
        if changes.is_empty() && end > cursor {
            journal(&log, &json!({ "cursor": end }));
        }
        cursor = end;
        if !page["hasNextPage"].as_bool().unwrap() {
            if until_caught_up {
                println!("caught up at {cursor}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
