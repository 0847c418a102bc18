//! The application state, built once at start-up (and once per test): no globals.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Authenticator;
use crate::bus::EventBus;
use crate::clock::Clock;
use crate::config::Config;
use crate::db;
use crate::error::{AppError, AppResult};

/// Everything a request needs.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// The pool as a request's database handle (what a request without a transaction of its own uses).
    pub handle: crate::db::Handle,
    /// The pool subscriptions read from: on SQLite a separate pool of readers (WAL lets them read beside the one
    /// writer); on PostgreSQL the same pool, or a second one when `--db-read-max-connections` is set.
    pub read_db: DatabaseConnection,
    /// The configuration.
    pub config: Arc<Config>,
    /// Token validation.
    pub auth: Arc<Authenticator>,
    /// The source of "now".
    pub clock: Arc<dyn Clock>,
    /// The sandbox clock, which `clock` then is, when the sandbox is on.
    pub sandbox: Option<Arc<crate::clock::SandboxClock>>,
    /// Wakes subscribers when events are committed.
    pub bus: EventBus,
    /// Work shared by the subscription feeds of this instance.
    pub feeds: Arc<crate::domain::feed::FeedCache>,
    /// The limits every GraphQL document must keep, on every transport.
    pub limits: Arc<crate::gate::Limits>,
    /// Automatic persisted queries.
    pub persisted: Arc<crate::gate::PersistedQueries>,
    /// Open WebSocket connections per principal.
    pub connections: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    /// Turns true when the server begins to shut down: WebSocket connections then close with 1001 (going away).
    pub shutting_down: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// Connects, runs pending migrations and loads the keys.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> AppResult<Self> {
        let auth = Authenticator::from_config(&config)?;
        if config.sandbox_clock && config.production() {
            return Err(AppError::Internal(
                "the sandbox clock cannot run with the production profile: drop --sandbox-clock".into(),
            ));
        }
        let db = db::connect(&config).await?;
        db::migrate_up(&db).await?;
        let (clock, sandbox) = if config.sandbox_clock {
            let offset = crate::domain::sandbox::stored_offset(&db).await?;
            let sandbox = Arc::new(crate::clock::SandboxClock::new(clock, offset));
            (sandbox.clone() as Arc<dyn Clock>, Some(sandbox))
        } else {
            (clock, None)
        };
        let read_db = if db::is_sqlite(&config.database_url) {
            db::connect_readers(&config).await?
        } else if config.db_read_max_connections > 0 {
            db::connect_postgres_readers(&config).await?
        } else {
            db.clone()
        };
        let bus = EventBus::default();
        if !db::is_sqlite(&config.database_url) {
            bus.listen_postgres(config.database_url.clone());
        }
        let limits = Arc::new(crate::gate::Limits::from_config(&config));
        let persisted = Arc::new(crate::gate::PersistedQueries::new(
            config.persisted_queries_max_entries,
            config.persisted_queries_max_bytes,
        ));
        Ok(AppState {
            limits,
            persisted,
            handle: crate::db::Handle::Pool(db.clone()),
            db,
            read_db,
            config: Arc::new(config),
            auth: Arc::new(auth),
            clock,
            sandbox,
            bus,
            feeds: Default::default(),
            connections: Default::default(),
            shutting_down: Arc::new(tokio::sync::watch::Sender::new(false)),
        })
    }
}
