//! The published contract: `schema.graphql` matches the code, and every element of it is documented.

use serde_json::{Value, json};

use crate::support::TestApp;

#[test]
fn schema_graphql_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = api::graphql::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date with the code; regenerate it with `cargo run -- schema > schema.graphql` \
         and review the diff"
    );
}

const INTROSPECTION: &str = r#"{ __schema { types {
  name kind description
  fields(includeDeprecated: true) { name description args { name description } }
  inputFields { name description }
  enumValues(includeDeprecated: true) { name description }
} } }"#;

#[tokio::test]
async fn every_type_field_argument_and_enum_value_is_documented() {
    let app = TestApp::spawn().await;
    let (_, body) = app.gql(None, INTROSPECTION, json!({})).await;
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut missing = Vec::new();
    let blank = |v: &Value| v.as_str().is_none_or(|s| s.trim().is_empty());
    for t in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        // `__*` is introspection and `_*` (`_Any`, `_Entity`, `_Service`) is the Apollo Federation spec's own.
        if name.starts_with('_') || builtin.contains(&name) {
            continue;
        }
        if blank(&t["description"]) {
            missing.push(name.to_owned());
        }
        for f in t["fields"].as_array().into_iter().flatten().chain(t["inputFields"].as_array().into_iter().flatten()) {
            if f["name"].as_str().is_some_and(|n| n.starts_with('_')) {
                continue;
            }
            if blank(&f["description"]) {
                missing.push(format!("{name}.{}", f["name"]));
            }
            for a in f["args"].as_array().into_iter().flatten() {
                if blank(&a["description"]) {
                    missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                }
            }
        }
        for v in t["enumValues"].as_array().into_iter().flatten() {
            if blank(&v["description"]) {
                missing.push(format!("{name}.{}", v["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "undocumented schema elements: {missing:#?}");
}

/// The names of the types an SDL defines.
fn defined_types(sdl: &str) -> std::collections::BTreeSet<String> {
    sdl.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match words.next()? {
                "type" | "input" | "enum" | "interface" | "union" | "scalar" => {
                    Some(words.next()?.trim_end_matches('{').to_owned())
                }
                _ => None,
            }
        })
        .collect()
}

#[tokio::test]
async fn schema_tools_read_the_schema_under_the_default_limits() {
    let app = TestApp::spawn().await;
    let token = app.token("codegen", None, &["OBSERVER"], &[]);
    let url = app.url("/graphql");
    let output = tokio::process::Command::new("node")
        .arg(crate::support::node_clients().join("introspect.mjs"))
        .arg(json!({ "url": url, "token": token }).to_string())
        .output()
        .await
        .expect("node");
    let lines: Vec<Value> =
        String::from_utf8_lossy(&output.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let step = |kind: &str| {
        lines
            .iter()
            .find(|l| l["type"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} step: {lines:?}\n{}", String::from_utf8_lossy(&output.stderr)))
    };

    // graphql-js's own introspection query (15 levels deep) passes the default depth limit of 12, which applies to
    // data fields; the schema it returns builds and holds every type of schema.graphql.
    let introspection = step("introspection");
    assert_eq!(introspection["status"], 200, "{introspection}");
    assert_eq!(introspection["errors"], Value::Null, "{introspection}");
    assert_eq!(introspection["buildError"], Value::Null, "{introspection}");
    let introspected = defined_types(introspection["sdl"].as_str().unwrap());
    let published =
        defined_types(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap());
    let missing: Vec<&String> = published.difference(&introspected).collect();
    assert!(missing.is_empty(), "types of schema.graphql the introspection does not show: {missing:?}");
    assert!(introspected.len() > 100, "{introspected:?}");

    // GraphQL Code Generator, pointed at the URL, writes the TypeScript types.
    let codegen = step("codegen");
    let content = codegen["files"][0]["content"].as_str().unwrap_or_else(|| panic!("{codegen}"));
    for expected in ["export type ResourceRequest = Node & {", "export enum RequestStatus {", "export type Query = {"] {
        assert!(content.contains(expected), "codegen output lacks {expected:?}");
    }

    // GraphQL Inspector compares the running server with the published schema.graphql: no type, field, argument or
    // enum value differs. It reports only the built-in directives, whose definitions its own graphql-js supplies
    // for the file (with other descriptions, and `@deprecated` on one more location) but the server describes.
    let dir = crate::support::node_clients();
    let inspector = tokio::process::Command::new(dir.join("node_modules/.bin/graphql-inspector"))
        .args(["diff", concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"), &url])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .current_dir(&dir)
        .output()
        .await
        .expect("graphql-inspector");
    let report = String::from_utf8_lossy(&inspector.stdout).to_string() + &String::from_utf8_lossy(&inspector.stderr);
    assert!(report.contains("changes") && !report.contains("GraphQLError"), "{report}");
    let built_in = ["deprecated", "include", "skip", "oneOf", "specifiedBy"];
    let changes: Vec<&str> = report
        .lines()
        .filter(|l| l.contains('✖') || l.contains('✔') || l.contains('⚠'))
        .filter(|l| !built_in.iter().any(|d| l.to_lowercase().contains(&format!("directive {}", d.to_lowercase()))))
        .collect();
    assert!(changes.is_empty(), "the server's schema differs from schema.graphql: {changes:#?}");
}

#[tokio::test]
async fn introspection_that_multiplies_its_output_or_data_nested_too_deep_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.token("probe", None, &["OBSERVER"], &[]);
    let nested = |field: &str, levels: usize, leaf: &str| {
        format!("{}{leaf}{}", format!("{field} {{ ").repeat(levels), " }".repeat(levels))
    };
    let refused = [
        // `fields` inside `fields` inside `fields`: the output multiplies at each (graphql-js's rule refuses three).
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }".to_owned(),
        "{ __type(name: \"Node\") { possibleTypes { interfaces { possibleTypes { name } } } } }".to_owned(),
        // A chain of single objects deeper than 20.
        format!("{{ __type(name: \"Query\") {{ {} }} }}", nested("ofType", 25, "name")),
        // Data nested deeper than 12, also when a fragment holds part of it.
        format!("{{ jurisdictions {{ edges {{ node {{ {} }} }} }} }}", nested("parent", 12, "name")),
        format!(
            "{{ jurisdictions {{ edges {{ node {{ ...P }} }} }} }} fragment P on Jurisdiction {{ {} }}",
            nested("parent", 12, "name")
        ),
    ];
    for query in &refused {
        let (_, body) = app.gql(Some(&token), query, json!({})).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("{query}: {body}"));
        assert!(message.contains("nested") || message.contains("nests"), "{query}: {body}");
        assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body}");
    }
    // Within the bounds: two nested lists, and data 12 deep.
    for query in [
        "{ __type(name: \"Query\") { fields { type { fields { name } } } } }".to_owned(),
        format!("{{ jurisdictions {{ edges {{ node {{ {} }} }} }} }}", nested("parent", 8, "name")),
    ] {
        let (_, body) = app.gql(Some(&token), &query, json!({})).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
    }
}

#[tokio::test]
async fn every_nullable_relation_says_when_it_is_null() {
    let app = TestApp::spawn().await;
    let query = r#"{ __schema { types { name kind fields { name description type { kind ofType { kind } } } } } }"#;
    let (_, body) = app.gql(None, query, json!({})).await;
    let mut silent = Vec::new();
    let mut nullable = 0;
    for t in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with('_') || ["Query", "Mutation", "Subscription"].contains(&name) {
            continue;
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            // A relation the schema lets be null: its type is an object, interface or union, not wrapped in NON_NULL.
            let kind = f["type"]["kind"].as_str().unwrap();
            if !["OBJECT", "INTERFACE", "UNION"].contains(&kind) || name.ends_with("Payload") {
                continue;
            }
            nullable += 1;
            let description = f["description"].as_str().unwrap_or_default().to_lowercase();
            if !description.contains("null") {
                silent.push(format!("{name}.{}", f["name"].as_str().unwrap()));
            }
        }
    }
    assert!(nullable >= 20, "{nullable}");
    assert!(silent.is_empty(), "nullable relations that do not say when they are null: {silent:?}");
}
