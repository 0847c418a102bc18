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
    let failed = |e: sea_orm::DbErr| AppError::Internal(format!("cannot connect to the database: {e}"));
    match Database::connect(options.clone()).await {
        Err(e) if !is_sqlite(&config.database_url) && is_missing_database(&e) => {
            create_postgres_database(&config.database_url).await?;
            Database::connect(options).await.map_err(failed)
        }
        other => other.map_err(failed),
    }
}

/// Whether PostgreSQL refused the connection because the database does not exist (`3D000`).
fn is_missing_database(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Conn(RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(e) => e.code().as_deref() == Some("3D000"),
            _ => false,
        },
        _ => false,
    }
}

/// Creates the database a PostgreSQL URL names, through the server's `postgres` database, so that a first start
/// needs no `createdb`. Another instance creating it at the same moment is not an error.
async fn create_postgres_database(url: &str) -> AppResult<()> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _, Executor as _};
    use std::str::FromStr as _;

    let options = PgConnectOptions::from_str(url)
        .map_err(|e| AppError::Internal(format!("cannot read the database URL: {e}")))?;
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Err(AppError::Internal("the database URL names no database".into()));
    };
    let mut admin: PgConnection = options.clone().database("postgres").connect().await.map_err(|e| {
        AppError::Internal(format!(
            "database {name:?} does not exist and cannot be created (no access to the `postgres` database: {e}); \
             create it with `createdb {name}`"
        ))
    })?;
    let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match (&mut admin).execute(sea_orm::sqlx::AssertSqlSafe(statement)).await {
        Ok(_) => tracing::info!(database = %name, "created the database"),
        Err(sea_orm::sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
        Err(e) => {
            return Err(AppError::Internal(format!(
                "database {name:?} does not exist and cannot be created ({e}); create it with `createdb {name}`"
            )));
        }
    }
    let _ = admin.close().await;
    Ok(())
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

/// Opens the PostgreSQL pool that subscription feeds read from, beside the writers' pool.
pub async fn connect_postgres_readers(config: &Config) -> AppResult<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.database_url.clone());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(config.db_read_max_connections.max(1))
        .min_connections(1)
        .sqlx_logging(false);
    Database::connect(options).await.map_err(|e| AppError::Internal(format!("cannot open the read pool: {e}")))
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> AppResult<()> {
    Migrator::up(db, None).await.map_err(|e| AppError::Internal(format!("migration failed: {e}")))
}

/// The database as one GraphQL request sees it: the shared pool, or one transaction that the whole request runs in
/// (a mutation sent with an idempotency key, whose change and stored response commit together). Domain functions
/// that begin a transaction on it get a savepoint inside the request's transaction.
#[derive(Clone, Debug)]
pub enum Handle {
    /// The pool: each statement or transaction takes a connection of its own.
    Pool(DatabaseConnection),
    /// One open transaction, ended by [`Handle::finish`].
    Txn(std::sync::Arc<Held>),
}

/// A transaction a request runs in.
#[derive(Debug)]
pub struct Held {
    backend: sea_orm::DbBackend,
    txn: tokio::sync::Mutex<Option<sea_orm::DatabaseTransaction>>,
}

fn ended() -> sea_orm::DbErr {
    sea_orm::DbErr::Custom("the request's transaction has already ended".into())
}

impl Handle {
    /// A handle that runs the request in `txn`.
    pub fn transaction(txn: sea_orm::DatabaseTransaction) -> Self {
        use sea_orm::ConnectionTrait as _;
        let backend = txn.get_database_backend();
        Handle::Txn(std::sync::Arc::new(Held { backend, txn: tokio::sync::Mutex::new(Some(txn)) }))
    }

    /// Takes the transaction out of a transaction handle, to commit or roll back; later uses fail with a database
    /// error instead of touching a finished transaction.
    pub async fn finish(&self) -> Option<sea_orm::DatabaseTransaction> {
        match self {
            Handle::Pool(_) => None,
            Handle::Txn(held) => held.txn.lock().await.take(),
        }
    }
}

macro_rules! through {
    ($self:ident, $conn:ident => $call:expr) => {
        match $self {
            Handle::Pool($conn) => $call,
            Handle::Txn(held) => {
                let guard = held.txn.lock().await;
                let $conn = guard.as_ref().ok_or_else(ended)?;
                $call
            }
        }
    };
}

#[async_trait::async_trait]
impl sea_orm::ConnectionTrait for Handle {
    fn get_database_backend(&self) -> sea_orm::DbBackend {
        match self {
            Handle::Pool(db) => db.get_database_backend(),
            Handle::Txn(held) => held.backend,
        }
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        through!(self, conn => conn.execute_raw(stmt).await)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        through!(self, conn => conn.execute_unprepared(sql).await)
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        through!(self, conn => conn.query_one_raw(stmt).await)
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        through!(self, conn => conn.query_all_raw(stmt).await)
    }
}

#[async_trait::async_trait]
impl sea_orm::TransactionTrait for Handle {
    type Transaction = sea_orm::DatabaseTransaction;

    async fn begin(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        through!(self, conn => conn.begin().await)
    }

    async fn begin_with_config(
        &self,
        isolation_level: Option<sea_orm::IsolationLevel>,
        access_mode: Option<sea_orm::AccessMode>,
    ) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        through!(self, conn => conn.begin_with_config(isolation_level, access_mode).await)
    }

    async fn begin_with_options(
        &self,
        options: sea_orm::TransactionOptions,
    ) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        through!(self, conn => conn.begin_with_options(options).await)
    }

    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, sea_orm::TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c sea_orm::DatabaseTransaction,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        match self {
            Handle::Pool(conn) => conn.transaction(callback).await,
            Handle::Txn(held) => {
                let guard = held.txn.lock().await;
                let conn = guard.as_ref().ok_or_else(|| sea_orm::TransactionError::Connection(ended()))?;
                conn.transaction(callback).await
            }
        }
    }

    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<sea_orm::IsolationLevel>,
        access_mode: Option<sea_orm::AccessMode>,
    ) -> Result<T, sea_orm::TransactionError<E>>
    where
        F: for<'c> FnOnce(
                &'c sea_orm::DatabaseTransaction,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>>
            + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        match self {
            Handle::Pool(conn) => conn.transaction_with_config(callback, isolation_level, access_mode).await,
            Handle::Txn(held) => {
                let guard = held.txn.lock().await;
                let conn = guard.as_ref().ok_or_else(|| sea_orm::TransactionError::Connection(ended()))?;
                conn.transaction_with_config(callback, isolation_level, access_mode).await
            }
        }
    }
}
