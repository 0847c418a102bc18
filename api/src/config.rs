//! Configuration: command-line flags, each with a matching environment variable and a documented default.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The mutual-aid API server and its administration commands.
#[derive(Debug, Parser)]
#[command(name = "mutual-aid", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations and serve the GraphQL API (the default).
    Serve,
    /// Apply or roll back database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Mint a development JWT signed with the configured key.
    Token(TokenArgs),
    /// Load the demo data set (idempotent).
    Seed,
    /// Print the GraphQL schema (SDL), byte for byte the checked-in `schema.graphql`.
    Schema,
}

/// Migration actions.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// Arguments of the `token` command.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The subject (`sub`): a stable identifier of the person or service.
    #[arg(long)]
    pub subject: String,
    /// The display name (`name`).
    #[arg(long)]
    pub name: Option<String>,
    /// The jurisdiction the person represents: its id or its exact name.
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// A role (repeatable): AUTHORIZED_REPRESENTATIVE, COORDINATOR, COMMITTEE_MEMBER, OBSERVER, INTEGRATION, ADMIN.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// A compact the coordinator, committee member or observer is scoped to (repeatable): id, name or short name.
    #[arg(long = "compact")]
    pub compacts: Vec<String>,
    /// Lifetime of the token in minutes.
    #[arg(long, default_value_t = 480)]
    pub ttl_minutes: i64,
    /// The integration system a service account speaks for (with `--role INTEGRATION`), e.g. `ut-webeoc`.
    #[arg(long)]
    pub system: Option<String>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// JWT signature algorithms accepted by configuration (one is pinned; tokens with another are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret: development and single-party deployments.
    HS256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    RS256,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// Ed25519.
    EdDSA,
}

/// Server configuration shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` (embedded default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://mutual-aid.db?mode=rwc", global = true)]
    pub database_url: String,
    /// Maximum connections in the database pool.
    #[arg(long, env = "MUTUAL_AID_DB_MAX_CONNECTIONS", default_value_t = 10, global = true)]
    pub db_max_connections: u32,
    /// PostgreSQL: connections in a second pool that subscription feeds and authority checks read from, beside the
    /// writers' pool (0 to 1000; 0, the default, shares the writers' pool). With 1,000 subscribers a separate pool
    /// of 10 made writes about a third faster and deliveries several times slower. SQLite always reads from 4
    /// read-only connections beside its one writer.
    #[arg(long, env = "MUTUAL_AID_DB_READ_MAX_CONNECTIONS", default_value_t = 0, global = true,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub db_read_max_connections: u32,
    /// Address to listen on.
    #[arg(long, env = "MUTUAL_AID_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,
    /// Directory for generated state (the development signing key).
    #[arg(long, env = "MUTUAL_AID_DATA_DIR", default_value = ".", global = true)]
    pub data_dir: PathBuf,
    /// The pinned JWT algorithm.
    #[arg(long, env = "MUTUAL_AID_JWT_ALGORITHM", value_enum, default_value = "HS256", global = true)]
    pub jwt_algorithm: JwtAlgorithm,
    /// HS256 secret (at least 32 bytes). Without it, a random key is generated once and kept in the data directory.
    #[arg(long, env = "MUTUAL_AID_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// PEM file with the public key that verifies RS256/ES256/EdDSA tokens.
    #[arg(long, env = "MUTUAL_AID_JWT_PUBLIC_KEY", global = true)]
    pub jwt_public_key: Option<PathBuf>,
    /// JWKS file (JSON) with the public keys that verify RS256/ES256/EdDSA tokens, chosen by `kid`.
    #[arg(long, env = "MUTUAL_AID_JWT_JWKS", global = true)]
    pub jwt_jwks: Option<PathBuf>,
    /// PEM file with the private key the `token` command signs with (asymmetric algorithms only).
    #[arg(long, env = "MUTUAL_AID_JWT_PRIVATE_KEY", global = true)]
    pub jwt_private_key: Option<PathBuf>,
    /// Required `iss` claim; unchecked when unset.
    #[arg(long, env = "MUTUAL_AID_JWT_ISSUER", global = true)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` claim; unchecked when unset.
    #[arg(long, env = "MUTUAL_AID_JWT_AUDIENCE", global = true)]
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(long, env = "MUTUAL_AID_JWT_LEEWAY_SECONDS", default_value_t = 30, global = true)]
    pub jwt_leeway_seconds: u64,
    /// Longest lifetime a token may have (`exp` - `iat`), in seconds; tokens must carry `iat`.
    #[arg(long, env = "MUTUAL_AID_JWT_MAX_LIFETIME_SECONDS", default_value_t = 43_200, global = true)]
    pub jwt_max_lifetime_seconds: i64,
    /// Required `typ` header (compared case-insensitively); tokens without a `typ` header are refused.
    #[arg(long, env = "MUTUAL_AID_JWT_TYP", default_value = "JWT", global = true)]
    pub jwt_typ: String,
    /// Whether introspection is answered (to authenticated and anonymous callers alike).
    #[arg(long, env = "MUTUAL_AID_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub introspection: bool,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MUTUAL_AID_MAX_BODY_BYTES", default_value_t = 1_048_576, global = true)]
    pub max_body_bytes: usize,
    /// Longest GraphQL document accepted, in bytes, on every transport (a larger one is refused before parsing).
    #[arg(long, env = "MUTUAL_AID_MAX_QUERY_BYTES", default_value_t = 100_000, global = true)]
    pub max_query_bytes: usize,
    /// Most selections a document may expand to once every fragment spread is expanded (measured before
    /// validation, memoized per fragment).
    #[arg(long, env = "MUTUAL_AID_MAX_SELECTIONS", default_value_t = 10_000, global = true)]
    pub max_selections: usize,
    /// Most directives on one field or fragment.
    #[arg(long, env = "MUTUAL_AID_MAX_DIRECTIVES", default_value_t = 16, global = true)]
    pub max_directives: usize,
    /// Most documents kept as automatic persisted queries (least recently used out first); 0 turns them off.
    #[arg(long, env = "MUTUAL_AID_PERSISTED_QUERIES_MAX_ENTRIES", default_value_t = 1024, global = true)]
    pub persisted_queries_max_entries: usize,
    /// Most bytes of documents kept as automatic persisted queries.
    #[arg(long, env = "MUTUAL_AID_PERSISTED_QUERIES_MAX_BYTES", default_value_t = 16 * 1024 * 1024, global = true)]
    pub persisted_queries_max_bytes: usize,
    /// Seconds a client has to send a request's headers before the connection is closed.
    #[arg(long, env = "MUTUAL_AID_HEADER_READ_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub header_read_timeout_seconds: u64,
    /// Seconds a client has to send a request's body once its headers arrived (408 beyond).
    #[arg(long, env = "MUTUAL_AID_BODY_READ_TIMEOUT_SECONDS", default_value_t = 20, global = true)]
    pub body_read_timeout_seconds: u64,
    /// Most bytes a WebSocket client may send before its `connection_init` is authenticated.
    #[arg(long, env = "MUTUAL_AID_WS_MAX_INIT_BYTES", default_value_t = 4096, global = true)]
    pub ws_max_init_bytes: usize,
    /// Hours a mutation's response is kept under its idempotency key (1 to 720); a retry with the key within that
    /// time gets the stored response.
    #[arg(long, env = "MUTUAL_AID_IDEMPOTENCY_TTL_HOURS", default_value_t = 24, global = true,
          value_parser = clap::value_parser!(u32).range(1..=720))]
    pub idempotency_ttl_hours: u32,
    /// Milliseconds between passes of the webhook worker (it also wakes on every commit); 0 turns deliveries off.
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_INTERVAL_MS", default_value_t = 1000, global = true)]
    pub webhook_interval_ms: u64,
    /// Seconds a webhook receiver has to answer (1 to 60); slower answers count as failures.
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10, global = true,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub webhook_timeout_seconds: u64,
    /// The first retry delay after a failed delivery, in milliseconds; each further failure doubles it (with
    /// jitter) up to `--webhook-backoff-max-seconds`.
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_BACKOFF_BASE_MS", default_value_t = 5000, global = true,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhook_backoff_base_ms: u64,
    /// The longest retry delay, in seconds.
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_BACKOFF_MAX_SECONDS", default_value_t = 3600, global = true,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub webhook_backoff_max_seconds: u64,
    /// Seconds of failing without a single success after which an endpoint is disabled (retries go on until then;
    /// 48 hours by default, at most 30 days).
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_DISABLE_AFTER_SECONDS", default_value_t = 172_800, global = true,
          value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub webhook_disable_after_seconds: u64,
    /// Addresses webhook endpoints may resolve to although they are loopback, private or link-local (comma-separated
    /// IP addresses; none by default).
    #[arg(long, env = "MUTUAL_AID_WEBHOOK_ALLOWED_ADDRESSES", value_delimiter = ',', global = true)]
    pub webhook_allowed_addresses: Vec<std::net::IpAddr>,
    /// Time limit for one HTTP request, in seconds.
    #[arg(long, env = "MUTUAL_AID_REQUEST_TIMEOUT_SECONDS", default_value_t = 30, global = true)]
    pub request_timeout_seconds: u64,
    /// Deepest nesting of data fields accepted (introspection is bounded apart: 20 levels, fewer than three nested
    /// lists of `fields`, `inputFields`, `interfaces` or `possibleTypes`).
    #[arg(long, env = "MUTUAL_AID_MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,
    /// Largest query complexity accepted (each field costs 1, connections multiply by `first`).
    #[arg(long, env = "MUTUAL_AID_MAX_COMPLEXITY", default_value_t = 5_000, global = true)]
    pub max_complexity: usize,
    /// Milliseconds the DataLoaders wait to batch the keys of one level of a query into one statement.
    #[arg(long, env = "MUTUAL_AID_DATALOADER_DELAY_MS", default_value_t = 5, global = true)]
    pub dataloader_delay_ms: u64,
    /// Most aliased fields in one query.
    #[arg(long, env = "MUTUAL_AID_MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,
    /// Most operations accepted in one batched request.
    #[arg(long, env = "MUTUAL_AID_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,
    /// Seconds between passes of the deadline scheduler (reminders and missed deadlines); 0 turns it off.
    #[arg(long, env = "MUTUAL_AID_SCHEDULER_INTERVAL_SECONDS", default_value_t = 60, global = true)]
    pub scheduler_interval_seconds: u64,
    /// Hours before a deadline at which reminders are sent, comma-separated.
    #[arg(long, env = "MUTUAL_AID_REMINDER_LEAD_HOURS", value_delimiter = ',', default_value = "72,24", global = true)]
    pub reminder_lead_hours: Vec<u32>,
    /// SMTP server for notification e-mail, in lettre's URL form: `smtp://host:port` (plain, for a local relay),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://user:password@host` (TLS). Unset: no
    /// e-mail is sent (notifications are still listed and pushed).
    #[arg(long, env = "MUTUAL_AID_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The sender address of notification e-mail.
    #[arg(
        long,
        env = "MUTUAL_AID_SMTP_FROM",
        default_value = "Mutual aid <notifications@mutual-aid.invalid>",
        global = true
    )]
    pub smtp_from: String,
    /// Seconds between passes of the e-mail outbox (only with `--smtp-url`).
    #[arg(long, env = "MUTUAL_AID_SMTP_INTERVAL_SECONDS", default_value_t = 10, global = true)]
    pub smtp_interval_seconds: u64,
    /// A sandbox for testers and exercises: administrators may move the server's clock forward through the API
    /// (`moveSandboxClock`), and the scheduler runs at once on the new time. Refused with the production profile;
    /// run one instance (the offset is kept in the database and read at start).
    #[arg(long, env = "MUTUAL_AID_SANDBOX_CLOCK", default_value_t = false, global = true)]
    pub sandbox_clock: bool,
    /// Seconds a WebSocket client has to send `connection_init` before it is closed (4408).
    #[arg(long, env = "MUTUAL_AID_WS_INIT_TIMEOUT_SECONDS", default_value_t = 10, global = true)]
    pub ws_init_timeout_seconds: u64,
    /// Seconds between server keep-alive messages on WebSocket connections.
    #[arg(long, env = "MUTUAL_AID_WS_KEEPALIVE_SECONDS", default_value_t = 15, global = true)]
    pub ws_keepalive_seconds: u64,
    /// Most subscriptions on one WebSocket connection.
    #[arg(long, env = "MUTUAL_AID_WS_MAX_SUBSCRIPTIONS", default_value_t = 20, global = true)]
    pub ws_max_subscriptions: usize,
    /// Most WebSocket connections of one principal (token subject) on one instance.
    #[arg(long, env = "MUTUAL_AID_WS_MAX_CONNECTIONS_PER_PRINCIPAL", default_value_t = 10, global = true)]
    pub ws_max_connections_per_principal: usize,
    /// Seconds a subscription may wait for a slow client before it is ended (the client resumes with `after`).
    #[arg(long, env = "MUTUAL_AID_WS_SEND_TIMEOUT_SECONDS", default_value_t = 30, global = true)]
    pub ws_send_timeout_seconds: u64,
    /// Log format.
    #[arg(long, env = "MUTUAL_AID_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// `development` (the default: friendly) or `production`: no introspection, field suggestions or
    /// `_service { sdl }` except for the gateway, no GraphiQL, no batching, a configured signing key, and CSRF
    /// prevention on GET.
    #[arg(long, env = "MUTUAL_AID_PROFILE", value_enum, default_value = "development", global = true)]
    pub profile: Profile,
    /// Origins whose browser pages may call the API (CORS), comma-separated, each `scheme://host[:port]`; none by
    /// default, so a dashboard served from another origin must be listed here.
    #[arg(long, env = "MUTUAL_AID_CORS_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_allowed_origins: Vec<String>,
    /// The credential of the federation gateway, sent in the `Gateway-Secret` header; in the production profile
    /// only a request carrying it may introspect and read `_service { sdl }`. At least 32 bytes.
    #[arg(long, env = "MUTUAL_AID_GATEWAY_SECRET", global = true, hide_env_values = true)]
    pub gateway_secret: Option<String>,
    /// Base URL of an OpenTelemetry collector's OTLP/HTTP endpoint (`http://collector:4318`; spans go to
    /// `/v1/traces` under it, as protobuf); traces are off without it.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
    /// The `service.name` of exported spans.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "mutual-aid-api", global = true)]
    pub otel_service_name: String,
}

/// How much the server tells and allows its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Introspection, suggestions, GraphiQL and batching for everyone; a generated development key if none is set.
    Development,
    /// Locked down for the public internet (see the README's production profile).
    Production,
}

impl Config {
    /// Whether the production profile is on.
    pub fn production(&self) -> bool {
        self.profile == Profile::Production
    }

    /// The reminder lead times of `--reminder-lead-hours`.
    pub fn reminder_leads(&self) -> Vec<chrono::Duration> {
        self.reminder_lead_hours.iter().map(|h| chrono::Duration::hours(i64::from(*h))).collect()
    }

    /// Whether traces are exported (an OTLP endpoint is configured): only then are the request's caller context
    /// read and the resolver spans made.
    pub fn traces(&self) -> bool {
        self.otlp_endpoint.as_deref().is_some_and(|e| !e.trim().is_empty())
    }
}

impl Config {
    /// A configuration with every default, for tests and embedding.
    pub fn defaults() -> Self {
        Cli::parse_from(["mutual-aid"]).config
    }
}
