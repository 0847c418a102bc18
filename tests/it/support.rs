//! The test harness: a real server on 127.0.0.1:0 with a fresh database per test (an SQLite file by default, a
//! new PostgreSQL database when `TEST_DATABASE_URL` is set), plus helpers to mint tokens and send GraphQL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use api::auth::Claims;
use api::clock::{Clock, ManualClock, SystemClock};
use api::config::Config;
use api::state::AppState;
use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The HS256 secret of test servers.
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Postgres { admin_url: String, database: String },
}

/// How to build a test server.
pub struct Options {
    pub clock: Option<ManualClock>,
    /// Counts every SQL statement the server runs.
    pub statements: Option<Arc<std::sync::atomic::AtomicUsize>>,
    pub configure: Box<dyn FnOnce(&mut Config) + Send>,
}

impl Default for Options {
    fn default() -> Self {
        Options { clock: None, statements: None, configure: Box::new(|_| {}) }
    }
}

pub fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

impl TestApp {
    /// A server with the default test configuration.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// A server with the demo data set loaded.
    pub async fn seeded() -> TestApp {
        let app = Self::spawn().await;
        api::seed::load(&app.state.db, Utc::now()).await.expect("seed");
        app
    }

    /// A server configured by `options`.
    pub async fn spawn_with(options: Options) -> TestApp {
        let name = format!("ma_test_{}", Uuid::new_v4().simple());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (database_url, cleanup) = match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
                admin.close().await.ok();
                let _ = std::fs::remove_dir_all(&dir);
                (replace_database(&admin_url, &name), Cleanup::Postgres { admin_url, database: name })
            }
            _ => (format!("sqlite://{}?mode=rwc", dir.join("test.db").display()), Cleanup::Directory(dir.clone())),
        };
        let mut config = Config::defaults();
        config.database_url = database_url;
        config.data_dir = std::env::temp_dir().join(format!("{}-data", Uuid::new_v4().simple()));
        config.jwt_secret = Some(SECRET.to_owned());
        config.db_max_connections = 5;
        (options.configure)(&mut config);
        let clock: Arc<dyn Clock> = match &options.clock {
            Some(clock) => Arc::new(clock.clone()),
            None => Arc::new(SystemClock),
        };
        let mut state = AppState::build(config, clock).await.expect("build state");
        if let Some(counter) = options.statements.clone() {
            // Every pool of the state counts: the writers' (and the request handle made of it) and the readers'.
            for pool in [&mut state.db, &mut state.read_db] {
                let counter = counter.clone();
                pool.set_metric_callback(move |info| {
                    counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if std::env::var("SHOW_SQL").is_ok() {
                        eprintln!("SQL {}", &info.statement.sql.chars().take(90).collect::<String>());
                    }
                });
            }
            state.handle = api::db::Handle::Pool(state.db.clone());
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(api::http::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestApp { addr, client: reqwest::Client::new(), state, shutdown: Some(tx), server: Some(server), cleanup }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Mints a token through the server's own key.
    pub fn token(&self, sub: &str, jurisdiction: Option<Uuid>, roles: &[&str], compacts: &[Uuid]) -> String {
        let now = Utc::now().timestamp();
        self.state
            .auth
            .mint(Claims {
                sub: sub.to_owned(),
                name: Some(format!("Test {sub}")),
                exp: now + 3600,
                iat: Some(now),
                iss: None,
                aud: None,
                jurisdiction,
                roles: roles.iter().map(|r| r.to_string()).collect(),
                compacts: compacts.to_vec(),
                system: None,
            })
            .expect("mint")
    }

    /// A service account's token: `INTEGRATION` in `compacts`, naming its `system`, and acting for `jurisdiction`
    /// when the directory grants the system that jurisdiction.
    pub fn service_account(&self, sub: &str, system: &str, jurisdiction: Option<Uuid>, compacts: &[Uuid]) -> String {
        let now = Utc::now().timestamp();
        self.state
            .auth
            .mint(Claims {
                sub: sub.to_owned(),
                name: Some(format!("Test {sub}")),
                exp: now + 3600,
                iat: Some(now),
                iss: None,
                aud: None,
                jurisdiction,
                roles: vec!["INTEGRATION".into()],
                compacts: compacts.to_vec(),
                system: Some(system.to_owned()),
            })
            .expect("mint")
    }

    pub fn admin(&self) -> String {
        self.token("admin", None, &["ADMIN"], &[])
    }

    /// Sends a GraphQL POST; returns the status and the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (StatusCode, Value) {
        let mut request =
            self.client.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("send");
        let status = response.status();
        let body = response.json::<Value>().await.expect("json body");
        (status, body)
    }

    /// Sends a GraphQL POST that must succeed without errors; returns `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(Some(token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Sends a GraphQL POST that must fail with `code`; returns the body.
    pub async fn fails(&self, token: Option<&str>, query: &str, variables: Value, code: &str) -> Value {
        let (_, body) = self.gql(token, query, variables).await;
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors, got {body}"))
            .iter()
            .filter_map(|e| e["extensions"]["code"].as_str())
            .collect();
        assert!(codes.contains(&code), "expected {code}, got {body}");
        body
    }

    /// The number of events stored.
    pub async fn event_count(&self) -> i64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entities::event::Entity::find().count(&self.state.db).await.expect("count") as i64
    }

    /// Stops the server, waiting for requests in flight.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match &self.cleanup {
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, database } => {
                let admin_url = admin_url.clone();
                let database = database.clone();
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    runtime.block_on(async move {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

static NPM: std::sync::Mutex<bool> = std::sync::Mutex::new(false);

/// The folder of the Node.js test clients, with its packages installed (`npm ci`, once per test run).
pub fn node_clients() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("js");
    let mut installed = NPM.lock().unwrap_or_else(|p| p.into_inner());
    let complete = [
        "graphql-ws",
        "xmllint-wasm",
        "@graphql-codegen/cli",
        "@graphql-inspector/cli",
        "yaml",
        "playwright-core",
        "smtp-server",
        "mailparser",
    ]
    .iter()
    .all(|package| dir.join("node_modules").join(package).exists());
    if !*installed && !complete {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed for the WebSocket client tests");
        assert!(status.success(), "npm ci failed in tests/js");
    }
    *installed = true;
    dir
}

impl TestApp {
    /// The WebSocket URL of `/graphql`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }

    /// A raw WebSocket connection to `/graphql` offering the `graphql-transport-ws` subprotocol.
    pub async fn ws(
        &self,
    ) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = self.ws_url().into_client_request().expect("request");
        request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
        let (socket, _) = tokio_tungstenite::connect_async(request).await.expect("WebSocket connection");
        socket
    }

    /// Starts another server on the same database (another instance behind the load balancer).
    pub async fn another_instance(&self) -> (SocketAddr, oneshot::Sender<()>) {
        let config = (*self.state.config).clone();
        let state = AppState::build(config, Arc::new(SystemClock)).await.expect("build state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(api::http::serve(listener, state, async {
            let _ = rx.await;
        }));
        (addr, tx)
    }
}

/// The id the demo data set gives to a record.
pub fn seed(kind: &str, key: &str) -> Uuid {
    api::seed::seed_id(kind, key)
}

/// The code block that follows `<!-- example: name -->` in the README, as published.
pub fn readme_example(name: &str) -> String {
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let marker = format!("<!-- example: {name} -->");
    let start = readme.find(&marker).unwrap_or_else(|| panic!("no {name} example in the README")) + marker.len();
    let body = &readme[start..];
    let code = &body[body.find("```").unwrap()..];
    let code = &code[code.find('\n').unwrap() + 1..];
    code[..code.find("```").unwrap()].to_owned()
}

/// Codes of the errors of a response body.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// The demo login of a seeded jurisdiction's first representative: the subject the demo data gives it, or
/// `<key>-em` (as the seed names the others).
pub fn rep_subject(key: &str) -> String {
    let demo: Value = serde_json::from_str(include_str!("../../api/seed/demo.json")).expect("demo data");
    demo["jurisdictions"]
        .as_array()
        .and_then(|all| all.iter().find(|j| j["key"] == key))
        .and_then(|j| j["representatives"][0]["subject"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{key}-em"))
}
