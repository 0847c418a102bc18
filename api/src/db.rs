//! Database connections: SQLite (embedded default, WAL, foreign keys, busy timeout) or a PostgreSQL pool.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::Config;
use crate::error::{AppError, AppResult};

/// Whether the URL names an SQLite database.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Opens the pool. SQLite gets one connection: it serializes writers anyway, and a single connection turns
/// write-write contention into queueing instead of `SQLITE_BUSY` failures.
pub async fn connect(config: &Config) -> AppResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options.connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(30)).sqlx_logging(false);
    if is_sqlite(&config.database_url) {
        options.max_connections(1).min_connections(1);
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        options.max_connections(config.db_max_connections.max(1)).min_connections(1);
    }
    Database::connect(options).await.map_err(|e| AppError::Internal(format!("cannot connect to the database: {e}")))
}

/// Opens a pool of read-only SQLite connections beside the writer, for subscription feeds.
pub async fn connect_readers(config: &Config) -> AppResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(4)
        .min_connections(1)
        .sqlx_logging(false);
    options.map_sqlx_sqlite_opts(|opts| {
        opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .read_only(true)
            .busy_timeout(Duration::from_secs(10))
    });
    Database::connect(options).await.map_err(|e| AppError::Internal(format!("cannot open the read pool: {e}")))
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await.map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}
