//! The command line: `serve` (default), `migrate`, `token`, `seed`, `schema`.

use std::process::ExitCode;
use std::sync::Arc;

use entities::{compact, jurisdiction};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};
use uuid::Uuid;

use crate::auth::{Authenticator, Claims};
use crate::clock::{Clock, SystemClock};
use crate::config::{Cli, Command, Config, LogFormat, MigrateAction, TokenArgs};
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::telemetry::Telemetry;
use crate::{db, graphql, http, seed};

/// Runs the command line and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let telemetry = match init_tracing(&cli.config) {
        Ok(telemetry) => telemetry,
        Err(detail) => {
            eprintln!("error: {detail}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate { action } => migrate(&cli.config, action).await,
        Command::Token(args) => token(&cli.config, args).await,
        Command::Seed => run_seed(&cli.config).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    };
    if let Some(telemetry) = telemetry {
        telemetry.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let detail = match &err {
                AppError::Internal(detail) => detail.clone(),
                other => other.message(),
            };
            eprintln!("error: {detail}");
            ExitCode::FAILURE
        }
    }
}

/// Logs on stderr, filtered by `RUST_LOG`; and, when an OTLP endpoint is configured, traces exported there (with
/// their own level, so that the SQL spans logs leave out are exported).
fn init_tracing(config: &Config) -> Result<Option<Telemetry>, String> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let telemetry = match &config.otlp_endpoint {
        Some(endpoint) if config.traces() => Some(Telemetry::otlp(endpoint, &config.otel_service_name)?),
        _ => None,
    };
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match config.log_format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(telemetry.as_ref().map(Telemetry::layer))
        .with(fmt.with_filter(filter))
        .try_init();
    Ok(telemetry)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: draining requests in flight");
}

async fn serve(config: Config) -> AppResult<()> {
    let bind = config.bind;
    let interval = config.scheduler_interval_seconds;
    let leads = config.reminder_leads();
    let smtp = match &config.smtp_url {
        Some(url) => Some((crate::mailer::Mailer::new(url, &config.smtp_from)?, config.smtp_interval_seconds.max(1))),
        None => None,
    };
    let state = AppState::build(config, Arc::new(SystemClock)).await?;
    if interval > 0 {
        crate::scheduler::spawn(state.clone(), std::time::Duration::from_secs(interval), leads);
    }
    if let Some((mailer, every)) = smtp {
        crate::mailer::spawn(state.clone(), mailer, std::time::Duration::from_secs(every));
    }
    if state.config.webhook_interval_ms > 0 {
        crate::webhooks::spawn(state.clone(), std::time::Duration::from_millis(state.config.webhook_interval_ms))?;
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen on {bind}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| AppError::Internal(e.to_string()))?;
    tracing::info!(%addr, "serving GraphQL at http://{addr}/graphql (GraphiQL in a browser)");
    http::serve(listener, state, shutdown_signal()).await.map_err(|e| AppError::Internal(format!("server error: {e}")))
}

async fn migrate(config: &Config, action: MigrateAction) -> AppResult<()> {
    let db = db::connect(config).await?;
    let failed = |e: sea_orm::DbErr| AppError::Internal(format!("migration failed: {e}"));
    match action {
        MigrateAction::Up => {
            Migrator::up(&db, None).await.map_err(failed)?;
            println!("all migrations applied");
        }
        MigrateAction::Down => {
            Migrator::down(&db, Some(1)).await.map_err(failed)?;
            println!("rolled back the last migration");
        }
        MigrateAction::Status => {
            let applied = Migrator::get_applied_migrations(&db).await.map_err(failed)?;
            let pending = Migrator::get_pending_migrations(&db).await.map_err(failed)?;
            for m in applied {
                println!("applied  {}", m.name());
            }
            for m in pending {
                println!("pending  {}", m.name());
            }
        }
    }
    Ok(())
}

async fn run_seed(config: &Config) -> AppResult<()> {
    let db = db::connect(config).await?;
    db::migrate_up(&db).await?;
    let summary = seed::load(&db, SystemClock.now()).await?;
    if summary.loaded {
        println!(
            "loaded {} jurisdictions, {} compacts with {} memberships, {} incidents, {} resource types",
            summary.jurisdictions, summary.compacts, summary.memberships, summary.incidents, summary.resource_types
        );
    } else {
        println!("the demo data set is already loaded");
    }
    Ok(())
}

async fn resolve_jurisdiction(db: &DatabaseConnection, text: &str) -> AppResult<Uuid> {
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(id);
    }
    jurisdiction::Entity::find()
        .filter(jurisdiction::Column::Name.eq(text))
        .one(db)
        .await?
        .map(|j| j.id)
        .ok_or_else(|| AppError::bad_input("jurisdiction", format!("no jurisdiction named {text:?} (run `seed`?)")))
}

async fn resolve_compact(db: &DatabaseConnection, text: &str) -> AppResult<Uuid> {
    if let Ok(id) = Uuid::parse_str(text) {
        return Ok(id);
    }
    compact::Entity::find()
        .filter(Condition::any().add(compact::Column::Name.eq(text)).add(compact::Column::ShortName.eq(text)))
        .one(db)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| AppError::bad_input("compact", format!("no compact named {text:?} (run `seed`?)")))
}

/// Where `token` takes its signing key from, said on stderr so that a key that is not the server's shows at once.
/// The development key is never generated here: a token signed with a key the server does not hold would be
/// refused, so a missing key file is an error that says where it was looked for.
fn token_key_source(config: &Config) -> AppResult<String> {
    use crate::config::JwtAlgorithm;
    if config.jwt_algorithm != JwtAlgorithm::HS256 {
        return Ok(match &config.jwt_private_key {
            Some(path) => format!("the private key {}", path.display()),
            None => "no private key (set --jwt-private-key)".to_owned(),
        });
    }
    if config.jwt_secret.is_some() {
        return Ok("the configured secret (MUTUAL_AID_JWT_SECRET)".to_owned());
    }
    let dir = std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    let path = dir.join(crate::auth::KEY_FILE);
    if !path.exists() {
        return Err(AppError::bad_input(
            "data-dir",
            format!(
                "no signing key at {}: the server generates it there on its first start. Start the server first, or \
                 point `token` at the server's key with --data-dir (MUTUAL_AID_DATA_DIR), or set \
                 MUTUAL_AID_JWT_SECRET for both",
                path.display()
            ),
        ));
    }
    Ok(format!("the development key {}", path.display()))
}

async fn token(config: &Config, args: TokenArgs) -> AppResult<()> {
    let source = token_key_source(config)?;
    let auth = Authenticator::from_config(config)?;
    eprintln!("signed with {source}");
    for role in &args.roles {
        if Role::parse(role).is_none() {
            let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(AppError::bad_input("role", format!("unknown role {role:?}; one of {}", names.join(", "))));
        }
    }
    let needs_db = args.jurisdiction.as_deref().is_some_and(|j| Uuid::parse_str(j).is_err())
        || args.compacts.iter().any(|c| Uuid::parse_str(c).is_err());
    let db = if needs_db {
        let db = db::connect(config).await?;
        db::migrate_up(&db).await?;
        Some(db)
    } else {
        None
    };
    let mut jurisdiction = None;
    let mut compacts = Vec::new();
    if let Some(text) = &args.jurisdiction {
        jurisdiction = Some(match &db {
            Some(db) => resolve_jurisdiction(db, text).await?,
            None => Uuid::parse_str(text).map_err(|_| AppError::bad_input("jurisdiction", "not an id"))?,
        });
    }
    for text in &args.compacts {
        compacts.push(match &db {
            Some(db) => resolve_compact(db, text).await?,
            None => Uuid::parse_str(text).map_err(|_| AppError::bad_input("compact", "not an id"))?,
        });
    }
    let now = SystemClock.now().timestamp();
    let claims = Claims {
        sub: args.subject,
        name: args.name,
        exp: now + args.ttl_minutes.max(1) * 60,
        iat: Some(now),
        iss: None,
        aud: None,
        jurisdiction,
        roles: args.roles,
        compacts,
        system: args.system,
    };
    println!("{}", auth.mint(claims)?);
    Ok(())
}
