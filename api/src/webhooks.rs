//! The webhook worker. The outbox is the event log: an endpoint's cursor is the last sequence it has handled, so
//! every change commits together with what will be pushed about it. Each pass leases the endpoints that have
//! something after their cursor and are due (a conditional update, so among several instances one delivers an
//! endpoint at a time; a lease left by a crashed instance expires and the delivery is retried: at least once).
//! For a leased endpoint the worker reads the changes after the cursor through the same `changes` query a client
//! would send, as the endpoint's owner, so what is pushed is exactly what the owner may see; it posts them one by
//! one in commit order, signed, and moves the cursor past each one the receiver accepted (2xx). A failure stops the
//! endpoint until its backoff has passed (exponential with jitter, capped); after failing for the configured time
//! without a success the endpoint is disabled, with an event saying so.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_graphql::{Request, Variables};
use chrono::{DateTime, Duration, Utc};
use entities::{webhook_attempt, webhook_endpoint};
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::{Value, json};

use crate::auth::Viewer;
use crate::domain::enums::RecordType;
use crate::domain::events::{self, NewEvent};
use crate::domain::webhooks::{self as endpoints, DISABLED, ENABLED, Owner};
use crate::error::{AppError, AppResult};
use crate::graphql::AppSchema;
use crate::state::AppState;

/// How long a lease holds an endpoint at least (renewed after every delivery; longer when the receiver's time limit
/// is, so that a lease outlives any one delivery).
const LEASE_SECONDS: i64 = 60;
/// Changes read per page.
const PAGE: i64 = 50;
/// The longest receiver answer kept in the log.
const ERROR_MAX: usize = 500;

/// What is read for each change: the event, and the record as the owner may see it.
const DOCUMENT: &str = r#"query WebhookChanges($after: Sequence, $first: Int, $filter: ChangeFilter) {
  changes(after: $after, first: $first, filter: $filter) {
    endCursor hasNextPage
    changes {
      sequence
      event { sequence recordType recordId action fromStatus toStatus occurredAt compactId redacted payload
              actor { subject name jurisdictionId system } }
      resourceRequest { id requestNumber missionNumber status version description stagingLocation requestedAt
                        submittedAt openedAt filledAt closedAt updatedAt }
      offer { id status version donated estimatedArrivalAt costEstimateTotal decidedAt createdAt }
      agreement { id status version executedAt requestingSignedAt assistingSignedAt createdAt }
      deployment { id status version departedAt arrivedAt releasedAt returnedAt closedAt updatedAt }
      claim { id status version missionNumber noticeFiledAt packageSubmittedAt approvedAt closedAt overdue updatedAt }
      dispute { id status filedAt decidedAt resolution awardedAmount }
    }
  }
}"#;

/// The HTTP client deliveries use: no redirects, a time limit, and a resolver that refuses internal addresses that
/// are not allowed (so a name that resolves elsewhere at delivery time than at registration is refused too).
pub fn client(timeout: StdDuration, allowed: Arc<Vec<IpAddr>>) -> AppResult<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(StdDuration::from_secs(5)))
        .dns_resolver(Arc::new(Vetting { allowed }))
        // A proxy would resolve the endpoint's host itself, past the vetting resolver.
        .no_proxy()
        .user_agent(concat!("mutual-aid-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| AppError::Internal(format!("cannot build the webhook client: {e}")))
}

struct Vetting {
    allowed: Arc<Vec<IpAddr>>,
}

impl reqwest::dns::Resolve for Vetting {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = addresses
                .into_iter()
                .filter(|a| !endpoints::is_internal(a.ip()) || allowed.contains(&a.ip()))
                .collect();
            if usable.is_empty() {
                return Err(format!("{} resolves only to internal addresses", name.as_str()).into());
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The worker's settings.
#[derive(Clone)]
pub struct Worker {
    state: AppState,
    schema: AppSchema,
    client: reqwest::Client,
    allowed: Arc<Vec<IpAddr>>,
    backoff_base: StdDuration,
    backoff_max: StdDuration,
    disable_after: Duration,
    lease: Duration,
}

impl Worker {
    /// A worker for `state`'s configuration.
    pub fn new(state: AppState) -> AppResult<Self> {
        let config = state.config.clone();
        let allowed = Arc::new(config.webhook_allowed_addresses.clone());
        Ok(Worker {
            schema: crate::graphql::build_schema(state.clone()),
            client: client(StdDuration::from_secs(config.webhook_timeout_seconds), allowed.clone())?,
            allowed,
            backoff_base: StdDuration::from_millis(std::cmp::max(config.webhook_backoff_base_ms, 1)),
            backoff_max: StdDuration::from_secs(std::cmp::max(config.webhook_backoff_max_seconds, 1)),
            disable_after: Duration::seconds(i64::try_from(config.webhook_disable_after_seconds).unwrap_or(i64::MAX)),
            lease: Duration::seconds(
                LEASE_SECONDS.max(2 * i64::try_from(config.webhook_timeout_seconds).unwrap_or(60) + 30),
            ),
            state,
        })
    }

    /// One pass: every due endpoint with something to deliver, concurrently. Returns how many changes were
    /// delivered.
    pub async fn pass(&self) -> AppResult<usize> {
        let now = Utc::now();
        let newest = entities::event::Entity::find()
            .select_only()
            .column_as(entities::event::Column::Id.max(), "newest")
            .into_tuple::<Option<i64>>()
            .one(&self.state.db)
            .await?
            .flatten()
            .unwrap_or(0);
        let due = webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Status.eq(ENABLED))
            .filter(webhook_endpoint::Column::NextAttemptAt.lte(now))
            .filter(webhook_endpoint::Column::Cursor.lt(newest))
            .filter(free(now))
            .all(&self.state.db)
            .await?;
        let runs = due.into_iter().map(|endpoint| self.run(endpoint.id));
        let delivered = futures_util::future::join_all(runs).await;
        let mut total = 0;
        for outcome in delivered {
            match outcome {
                Ok(n) => total += n,
                Err(err) => tracing::warn!(error = ?err, "a webhook endpoint's run failed; retrying at the next pass"),
            }
        }
        Ok(total)
    }

    /// Leases one endpoint and delivers what follows its cursor until it is caught up or a delivery fails.
    async fn run(&self, id: uuid::Uuid) -> AppResult<usize> {
        let now = Utc::now();
        let token = uuid::Uuid::new_v4();
        let leased = webhook_endpoint::Entity::update_many()
            .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::value(now + self.lease))
            .col_expr(webhook_endpoint::Column::LeaseToken, Expr::value(token))
            .filter(webhook_endpoint::Column::Id.eq(id))
            .filter(webhook_endpoint::Column::Status.eq(ENABLED))
            .filter(free(now))
            .exec(&self.state.db)
            .await?;
        if leased.rows_affected != 1 {
            return Ok(0);
        }
        let outcome = self.deliver_all(id, token).await;
        webhook_endpoint::Entity::update_many()
            .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(webhook_endpoint::Column::LeaseToken, Expr::value(Option::<uuid::Uuid>::None))
            .filter(webhook_endpoint::Column::Id.eq(id))
            .filter(webhook_endpoint::Column::LeaseToken.eq(token))
            .exec(&self.state.db)
            .await?;
        outcome
    }

    async fn deliver_all(&self, id: uuid::Uuid, token: uuid::Uuid) -> AppResult<usize> {
        let mut delivered = 0;
        loop {
            let Some(endpoint) = webhook_endpoint::Entity::find_by_id(id)
                .filter(webhook_endpoint::Column::LeaseToken.eq(token))
                .one(&self.state.db)
                .await?
            else {
                return Ok(delivered);
            };
            if endpoint.status != ENABLED {
                return Ok(delivered);
            }
            let owner: Owner = serde_json::from_value(endpoint.owner.clone())
                .map_err(|e| AppError::Internal(format!("an endpoint's owner does not read back: {e}")))?;
            // The owner's authority is read from the directory now, as for any request: a representative must
            // still be listed, a service account's system must still hold its grant.
            let viewer = owner.viewer();
            let admitted = match crate::domain::directory::ensure_listed(&self.state.db, &viewer).await {
                Ok(()) => crate::domain::external::admit_service_account(&self.state.db, viewer).await,
                Err(err) => Err(err),
            };
            let viewer = match admitted {
                Ok(viewer) => viewer,
                Err(err) => {
                    self.disable(&endpoint, &format!("the owner may no longer read: {}", err.message())).await?;
                    return Ok(delivered);
                }
            };
            let page = self.read(&endpoint, &viewer).await?;
            let changes = page["changes"].as_array().cloned().unwrap_or_default();
            let mut cursor = endpoint.cursor;
            for change in changes {
                let sequence: i64 = change["sequence"].as_str().and_then(|s| s.parse().ok()).unwrap_or_default();
                match self.deliver(&endpoint, token, cursor, sequence, &change).await? {
                    Delivery::Accepted => cursor = sequence,
                    Delivery::Failed | Delivery::Superseded => return Ok(delivered),
                }
                delivered += 1;
            }
            let end: i64 = page["endCursor"].as_str().and_then(|s| s.parse().ok()).unwrap_or(cursor);
            // Events the owner may not see are passed over, unless the cursor was moved meanwhile (a redelivery).
            let moved = webhook_endpoint::Entity::update_many()
                .col_expr(webhook_endpoint::Column::Cursor, Expr::value(end))
                .filter(webhook_endpoint::Column::Id.eq(id))
                .filter(webhook_endpoint::Column::LeaseToken.eq(token))
                .filter(webhook_endpoint::Column::Cursor.eq(cursor))
                .exec(&self.state.db)
                .await?;
            if moved.rows_affected != 1 || page["hasNextPage"] != true {
                return Ok(delivered);
            }
        }
    }

    /// The changes after the endpoint's cursor, as its owner may see them.
    async fn read(&self, endpoint: &webhook_endpoint::Model, viewer: &Viewer) -> AppResult<Value> {
        let filter = endpoint.filter.clone();
        let variables = json!({ "after": endpoint.cursor.to_string(), "first": PAGE, "filter": filter });
        let delay = StdDuration::from_millis(self.state.config.dataloader_delay_ms);
        let request = Request::new(DOCUMENT)
            .variables(Variables::from_json(variables))
            .data(viewer.clone())
            .data(crate::graphql::loaders::loaders(self.state.handle.clone(), viewer.clone(), delay));
        let response = self.schema.execute(request).await;
        if let Some(error) = response.errors.first() {
            return Err(AppError::Internal(format!("reading an endpoint's changes failed: {}", error.message)));
        }
        let data = response.data.into_json().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(data["changes"].clone())
    }

    /// Posts one change; on success moves the cursor from `cursor` past it (unless the cursor was moved meanwhile,
    /// by a redelivery, or the lease was lost).
    async fn deliver(
        &self,
        endpoint: &webhook_endpoint::Model,
        token: uuid::Uuid,
        cursor: i64,
        sequence: i64,
        change: &Value,
    ) -> AppResult<Delivery> {
        let message_id = format!("msg_{sequence}");
        let event = &change["event"];
        let kind = format!(
            "{}.{}",
            event["recordType"].as_str().unwrap_or("record").to_ascii_lowercase(),
            event["action"].as_str().unwrap_or("changed").to_ascii_lowercase()
        );
        let now = Utc::now();
        let body = serde_json::to_vec(&json!({
            "type": kind,
            "timestamp": event["occurredAt"],
            "data": change,
        }))
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let timestamp = now.timestamp();
        let signature = endpoints::signature_header(endpoint, &message_id, timestamp, &body, now)?;
        let started = Instant::now();
        let outcome = self.post(endpoint, &message_id, timestamp, &signature, body).await;
        let latency = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status_code, error) = match &outcome {
            Ok(status) if (200..300).contains(status) => (Some(*status), None),
            Ok(status) if (300..400).contains(status) => (Some(*status), Some("redirects are not followed".to_owned())),
            Ok(status) => (Some(*status), Some(format!("the receiver answered {status}"))),
            Err(error) => (None, Some(error.chars().take(ERROR_MAX).collect())),
        };
        let accepted = error.is_none();
        // The endpoint does not move past a failing change, so its failures count the attempts at this one.
        let attempt = endpoint.failures + 1;
        let failures = if accepted { 0 } else { endpoint.failures + 1 };
        let next_retry = (!accepted).then(|| now + self.backoff(failures));
        let txn = self.state.db.begin().await?;
        webhook_attempt::ActiveModel {
            id: sea_orm::NotSet,
            endpoint_id: Set(endpoint.id),
            message_id: Set(message_id),
            sequence: Set(sequence),
            attempt: Set(attempt),
            status_code: Set(status_code.map(i32::from)),
            error: Set(error.clone()),
            latency_ms: Set(latency),
            attempted_at: Set(now),
            next_retry_at: Set(next_retry),
        }
        .insert(&txn)
        .await?;
        let mut update = webhook_endpoint::Entity::update_many()
            .col_expr(webhook_endpoint::Column::Failures, Expr::value(failures))
            .col_expr(webhook_endpoint::Column::LeaseUntil, Expr::value(Some(now + self.lease)))
            .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
            .filter(webhook_endpoint::Column::LeaseToken.eq(token))
            .filter(webhook_endpoint::Column::Cursor.eq(cursor));
        let disable = if accepted {
            update = update
                .col_expr(webhook_endpoint::Column::Cursor, Expr::value(sequence))
                .col_expr(webhook_endpoint::Column::FailingSince, Expr::value(Option::<DateTime<Utc>>::None));
            None
        } else {
            let since = endpoint.failing_since.unwrap_or(now);
            update = update
                .col_expr(webhook_endpoint::Column::FailingSince, Expr::value(Some(since)))
                .col_expr(webhook_endpoint::Column::NextAttemptAt, Expr::value(next_retry.unwrap_or(now)));
            (now - since >= self.disable_after).then(|| {
                format!("failing since {since} ({failures} attempts in a row); last: {}", error.unwrap_or_default())
            })
        };
        let moved = update.exec(&txn).await?.rows_affected == 1;
        txn.commit().await?;
        crate::metrics::webhook_attempt(accepted);
        if let Some(reason) = disable {
            self.disable(endpoint, &reason).await?;
            return Ok(Delivery::Failed);
        }
        Ok(match (moved, accepted) {
            (false, _) => Delivery::Superseded,
            (true, true) => Delivery::Accepted,
            (true, false) => Delivery::Failed,
        })
    }

    async fn post(
        &self,
        endpoint: &webhook_endpoint::Model,
        message_id: &str,
        timestamp: i64,
        signature: &str,
        body: Vec<u8>,
    ) -> Result<u16, String> {
        let url = endpoints::check_url(&endpoint.url).map_err(|e| e.message())?;
        // A literal address bypasses the resolver: it is checked here.
        if let Some(host) = url.host_str()
            && let Ok(address) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>()
            && endpoints::is_internal(address)
            && !self.allowed.contains(&address)
        {
            return Err(format!("{address} is an internal address, which endpoints may not reach"));
        }
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                format!("{e}: {}", std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default())
            })?;
        Ok(response.status().as_u16())
    }

    /// Exponential backoff with jitter: the base doubled per failure, capped, then a random half to whole of it.
    fn backoff(&self, failures: i32) -> Duration {
        let exponent = std::cmp::min(u32::try_from(failures.saturating_sub(1)).unwrap_or(0), 30);
        let full = self.backoff_base.saturating_mul(1 << exponent).min(self.backoff_max);
        let jittered = full.mul_f64(rand::rng().random_range(0.5..=1.0));
        Duration::from_std(jittered).unwrap_or(Duration::hours(1))
    }

    /// Disables an endpoint, with an event saying why.
    async fn disable(&self, endpoint: &webhook_endpoint::Model, reason: &str) -> AppResult<()> {
        let now = Utc::now();
        let txn = events::begin(&self.state.db).await?;
        let changed = webhook_endpoint::Entity::update_many()
            .col_expr(webhook_endpoint::Column::Status, Expr::value(DISABLED))
            .col_expr(webhook_endpoint::Column::DisabledReason, Expr::value(reason))
            .col_expr(webhook_endpoint::Column::UpdatedAt, Expr::value(now))
            .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
            .filter(webhook_endpoint::Column::Status.eq(ENABLED))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 1 {
            events::append(
                &txn,
                &Viewer::system(),
                now,
                NewEvent::new(RecordType::WebhookEndpoint, endpoint.id, "DISABLED")
                    .status(Some(ENABLED), DISABLED)
                    .payload(json!({ "reason": reason, "url": endpoint.url })),
            )
            .await?;
        }
        txn.commit().await?;
        tracing::warn!(endpoint = %endpoint.id, reason, "webhook endpoint disabled");
        Ok(())
    }
}

/// What became of one delivery.
enum Delivery {
    /// The receiver accepted it; the cursor moved past it.
    Accepted,
    /// It failed; the endpoint waits for its backoff.
    Failed,
    /// The cursor was moved meanwhile (a redelivery) or the lease lost: this run stops.
    Superseded,
}

/// Endpoints no worker holds at `now`.
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(webhook_endpoint::Column::LeaseUntil.is_null())
        .add(webhook_endpoint::Column::LeaseUntil.lt(now))
}

/// Starts the worker: a pass every `interval` and after every commit this instance hears of.
pub fn spawn(state: AppState, interval: StdDuration) -> AppResult<tokio::task::JoinHandle<()>> {
    let worker = Worker::new(state.clone())?;
    let mut commits = state.bus.subscribe();
    Ok(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                changed = commits.changed() => {
                    if changed.is_err() {
                        commits = state.bus.subscribe();
                    }
                }
            }
            if let Err(err) = worker.pass().await {
                tracing::warn!(error = ?err, "webhook pass failed; retrying at the next interval");
            }
        }
    }))
}
