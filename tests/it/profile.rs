//! The production profile, and the probes a GraphQL security auditor (graphql-cop) runs, against both profiles:
//! the development profile is friendly on purpose, the production one must give the auditor nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Options, TestApp, codes};

const GATEWAY_SECRET: &str = "gateway-secret-that-is-long-enough-0123456789";

async fn production() -> TestApp {
    TestApp::spawn_with(Options {
        configure: Box::new(|config| {
            config.profile = api::config::Profile::Production;
            config.gateway_secret = Some(GATEWAY_SECRET.to_owned());
        }),
        ..Options::default()
    })
    .await
}

async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let response = app.client.post(app.url("/graphql")).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn executed(body: &Value) -> bool {
    body.get("data").is_some_and(|d| !d.is_null())
}

/// graphql-cop's checks, each as one request; returns the names of those that found something.
async fn audit(app: &TestApp) -> Vec<&'static str> {
    let mut findings = Vec::new();
    let (_, body) = post(app, json!({ "query": "{ __schema { queryType { name } } }" })).await;
    if executed(&body) {
        findings.push("introspection");
    }
    let (_, body) = post(app, json!({ "query": "{ viewr { authenticated } }" })).await;
    if body.to_string().contains("Did you mean") {
        findings.push("field suggestions");
    }
    let page = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    if page.status() == StatusCode::OK && page.text().await.unwrap().to_lowercase().contains("graphiql") {
        findings.push("GraphiQL");
    }
    let (_, body) = post(app, json!([{ "query": "{ __typename }" }, { "query": "{ __typename }" }])).await;
    if body.is_array() {
        findings.push("batching");
    }
    let aliases: String = (0..100).map(|i| format!("a{i}: __typename ")).collect();
    let (_, body) = post(app, json!({ "query": format!("{{ {aliases} }}") })).await;
    if executed(&body) {
        findings.push("alias overloading");
    }
    let (_, body) =
        post(app, json!({ "query": format!("{{ __typename {} }}", "@include(if: true) ".repeat(50)) })).await;
    if executed(&body) {
        findings.push("directive overloading");
    }
    let circular =
        format!("{{ __schema {{ types {{ {}name{} }} }} }}", "fields { type { ".repeat(12), " } }".repeat(12));
    let (_, body) = post(app, json!({ "query": circular })).await;
    if executed(&body) {
        findings.push("circular introspection");
    }
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("apollo-require-preflight", "true")
        .query(&[("query", "mutation { createResourceType(input: { category: \"x\", kind: EQUIPMENT, name: \"x\" }) { resourceType { id } } }")])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if body.get("data").is_some() {
        findings.push("mutation over GET");
    }
    let response = app.client.get(app.url("/graphql")).query(&[("query", "{ __typename }")]).send().await.unwrap();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if executed(&body) {
        findings.push("GET without preflight (CSRF)");
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=%7B__typename%7D")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if executed(&body) {
        findings.push("url-encoded POST (CSRF)");
    }
    let (_, body) = post(app, json!({ "query": "{ __typename }" })).await;
    if body["extensions"].get("tracing").is_some() {
        findings.push("trace mode");
    }
    let (_, body) = post(app, json!({ "query": "{ _service { sdl } }" })).await;
    if executed(&body) {
        findings.push("_service sdl");
    }
    // Every refusal above and below carries a code, and no error leaks internals.
    for query in ["{ viewr }", "{", "query ($a: Int) { __typename }"] {
        let (_, body) = post(app, json!({ "query": query, "variables": { "a": "x" } })).await;
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        if errors.iter().any(|e| e["extensions"]["code"].is_null() || e.to_string().contains("panicked")) {
            findings.push("uncoded or leaking errors");
        }
    }
    findings
}

#[tokio::test]
async fn the_auditor_finds_only_the_development_conveniences_and_nothing_in_production() {
    let dev = TestApp::spawn().await;
    let findings = audit(&dev).await;
    println!("development profile findings: {findings:?}");
    assert_eq!(
        findings,
        ["introspection", "field suggestions", "GraphiQL", "batching", "GET without preflight (CSRF)", "_service sdl"]
    );
    let prod = production().await;
    let findings = audit(&prod).await;
    println!("production profile findings: {findings:?}");
    assert!(findings.is_empty(), "{findings:?}");
}

#[tokio::test]
async fn the_gateway_keeps_introspection_and_the_sdl_in_production() {
    let app = production().await;
    for (secret, sees) in
        [(Some(GATEWAY_SECRET), true), (Some("wrong-secret-of-another-gateway-012345"), false), (None, false)]
    {
        for query in ["{ __schema { queryType { name } } }", "{ _service { sdl } }"] {
            let mut request = app.client.post(app.url("/graphql")).json(&json!({ "query": query }));
            if let Some(secret) = secret {
                request = request.header("gateway-secret", secret);
            }
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(executed(&body), sees, "{query} with {secret:?}: {body}");
            if !sees {
                assert_eq!(codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
            }
        }
    }
    // A GET with a preflight header is served; without, it is refused with a code.
    let response = app
        .client
        .get(app.url("/graphql"))
        .header("apollo-require-preflight", "true")
        .query(&[("query", "{ viewer { authenticated } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response =
        app.client.get(app.url("/graphql")).query(&[("query", "{ viewer { authenticated } }")]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(codes(&body), ["BAD_REQUEST"], "{body}");
    let (status, body) = post(&app, json!([{ "query": "{ __typename }" }])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("batching is turned off"), "{body}");
}

#[tokio::test]
async fn production_refuses_to_start_without_a_configured_key() {
    let mut config = api::config::Config::defaults();
    config.profile = api::config::Profile::Production;
    config.jwt_secret = None;
    config.data_dir = std::env::temp_dir().join(format!("ma-prod-{}", uuid::Uuid::new_v4().simple()));
    let error = api::auth::Authenticator::from_config(&config).expect_err("no generated key in production");
    assert!(format!("{error:?}").contains("production profile needs a configured signing key"), "{error:?}");
    assert!(!config.data_dir.join(api::auth::KEY_FILE).exists(), "no key file was written");
}
