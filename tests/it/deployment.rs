//! The production shape as files: the container image definition, the compose file with PostgreSQL and two API
//! instances behind a proxy, and the proxy's configuration. No image is built here (that takes a Docker daemon);
//! `.ci/run` lints the Dockerfile with hadolint.

use std::path::PathBuf;

use serde_json::Value;

fn file(name: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every `MUTUAL_AID_*` variable a text sets must be one the server reads.
fn known_variables(text: &str) {
    let config = file("api/src/config.rs");
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("MUTUAL_AID_") {
            assert!(config.contains(&format!("env = \"{word}\"")), "{word} is not a setting of the server");
        }
    }
}

#[test]
fn the_image_is_multi_stage_unprivileged_and_health_checked_on_readyz() {
    let dockerfile = file("Dockerfile");
    let stages = dockerfile.lines().filter(|l| l.starts_with("FROM ")).count();
    assert!(stages >= 2, "a build stage and a runtime stage");
    let user = dockerfile.lines().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER");
    let uid = user.split(':').next().unwrap().trim();
    assert!(uid != "0" && uid != "root", "runs as {uid}");
    let healthcheck =
        dockerfile.split("HEALTHCHECK").nth(1).expect("a HEALTHCHECK").split("\nENTRYPOINT").next().unwrap();
    assert!(healthcheck.contains("/readyz"), "{healthcheck}");
    assert!(dockerfile.contains("ENTRYPOINT [\"mutual-aid\"]"));
    assert!(dockerfile.contains("--locked"), "the image builds what Cargo.lock says");
    known_variables(&dockerfile);
    let ignored = file(".dockerignore");
    for path in ["target", "tests/js/node_modules", ".git"] {
        assert!(ignored.lines().any(|l| l.trim() == path), "{path} is sent to the build");
    }
}

#[tokio::test]
async fn the_compose_file_runs_two_instances_on_one_database_behind_a_proxy() {
    let dir = crate::support::node_clients();
    let compose = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("compose.yaml");
    let output = tokio::process::Command::new("node")
        .arg(dir.join("deployment.mjs"))
        .arg(&compose)
        .output()
        .await
        .expect("node");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("the compose file as JSON");
    let services = parsed["services"].as_object().expect("services");
    let mut names: Vec<&str> = services.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["api-1", "api-2", "postgres", "proxy"]);
    let database_url = services["api-1"]["environment"]["DATABASE_URL"].as_str().unwrap();
    for api in ["api-1", "api-2"] {
        let service = &services[api];
        assert_eq!(service["build"], ".", "{api} is built from the Dockerfile");
        assert_eq!(service["environment"]["DATABASE_URL"], database_url, "{api} shares the database");
        assert_eq!(service["environment"]["MUTUAL_AID_PROFILE"], "production");
        assert!(
            service["environment"]["MUTUAL_AID_JWT_SECRET"].as_str().unwrap().starts_with("${MUTUAL_AID_JWT_SECRET"),
            "{api} gets the one shared signing key"
        );
        assert_eq!(service["depends_on"]["postgres"]["condition"], "service_healthy");
        assert_eq!(services["proxy"]["depends_on"][api]["condition"], "service_healthy");
    }
    assert!(database_url.contains("@postgres:5432/"), "{database_url}");
    assert!(services["postgres"]["healthcheck"]["test"].to_string().contains("pg_isready"));
    known_variables(&file("compose.yaml"));

    let nginx = file("deploy/nginx.conf");
    assert!(services["proxy"]["volumes"][0].as_str().unwrap().starts_with("./deploy/nginx.conf:"));
    for upstream in ["server api-1:8080", "server api-2:8080"] {
        assert!(nginx.contains(upstream), "the proxy balances to {upstream}");
    }
    assert!(nginx.contains("proxy_set_header Upgrade $http_upgrade;"), "WebSocket upgrades pass");
    let metrics = nginx.split("location = /metrics").nth(1).expect("a /metrics location");
    assert!(metrics.trim_start().starts_with("{\n            return 404;"), "/metrics stays private");
}
