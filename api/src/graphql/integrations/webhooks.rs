//! Webhook endpoints: registration, the delivery log, secret rotation, enabling and redelivery.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entities::{webhook_attempt, webhook_endpoint};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::webhooks::{
    self, CreateWebhookEndpointInput, RedeliverWebhooksInput, RotateWebhookSecretInput, WebhookFilter,
};
use crate::error::AppError;
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::{DateTime, Sequence};

/// The most attempts one `attempts` call lists.
pub const MAX_ATTEMPTS: i32 = 100;

/// A URL that the changes its owner may see are pushed to, signed as the Standard Webhooks specification says.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

/// A URL that the changes its owner may see are pushed to, signed as the Standard Webhooks specification says
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), one change per POST, in commit order.
#[Object]
impl WebhookEndpoint {
    /// The endpoint's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Where changes are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// What it is for.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Which changes it receives.
    async fn filter(&self) -> WebhookFilterView {
        let filter: WebhookFilter = serde_json::from_value(self.0.filter.clone()).unwrap_or_default();
        WebhookFilterView {
            compact_id: filter.compact_id,
            jurisdiction_id: filter.jurisdiction_id,
            record_types: filter.record_types.unwrap_or_default(),
        }
    }

    /// The subject of the account whose visibility deliveries follow.
    async fn owner_subject(&self) -> &str {
        &self.0.owner_subject
    }

    /// `ENABLED` or `DISABLED`.
    async fn status(&self) -> &str {
        &self.0.status
    }

    /// Why it was disabled; null while enabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// The sequence of the last change handled: delivered, or passed over as not visible to the owner.
    async fn cursor(&self) -> Sequence {
        Sequence(self.0.cursor)
    }

    /// Failed attempts in a row (0 once a delivery succeeds).
    async fn failures(&self) -> i32 {
        self.0.failures
    }

    /// When the current run of failures began; null when the last attempt succeeded.
    async fn failing_since(&self) -> Option<DateTime> {
        self.0.failing_since.map(DateTime)
    }

    /// No attempt before this (the backoff after a failure).
    async fn next_attempt_at(&self) -> DateTime {
        DateTime(self.0.next_attempt_at)
    }

    /// Until when the previous secret still signs beside the current one after a rotation; null when it does not.
    async fn previous_secret_valid_until(&self) -> Option<DateTime> {
        self.0.previous_secret_until.filter(|until| *until > chrono::Utc::now()).map(DateTime)
    }

    /// When it was registered.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// The delivery log, newest first: each attempt with its status, latency and next retry.
    async fn attempts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Only the attempts of this change.")] sequence: Option<Sequence>,
    ) -> Result<Vec<WebhookAttempt>> {
        let first = first.unwrap_or(20);
        if !(1..=MAX_ATTEMPTS).contains(&first) {
            return Err(AppError::bad_input("first", format!("first must be between 1 and {MAX_ATTEMPTS}")).into());
        }
        let mut find = webhook_attempt::Entity::find()
            .filter(webhook_attempt::Column::EndpointId.eq(self.0.id))
            .order_by_desc(webhook_attempt::Column::Id)
            .limit(first as u64);
        if let Some(sequence) = sequence {
            find = find.filter(webhook_attempt::Column::Sequence.eq(sequence.0));
        }
        let rows = find.all(db(ctx)).await.map_err(AppError::from)?;
        Ok(rows.into_iter().map(WebhookAttempt).collect())
    }
}

/// Which changes an endpoint receives.
#[derive(SimpleObject)]
pub struct WebhookFilterView {
    /// Only records of this compact; null for every compact.
    pub compact_id: Option<ID>,
    /// Only changes concerning this jurisdiction; null for every jurisdiction.
    pub jurisdiction_id: Option<ID>,
    /// Only these record types; empty for all.
    pub record_types: Vec<crate::domain::enums::RecordType>,
}

/// One attempt to deliver a change.
pub struct WebhookAttempt(pub webhook_attempt::Model);

/// One attempt to deliver a change.
#[Object]
impl WebhookAttempt {
    /// The `webhook-id` sent: the same for every attempt of one change, so receivers can deduplicate.
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }

    /// The change's sequence.
    async fn sequence(&self) -> Sequence {
        Sequence(self.0.sequence)
    }

    /// 1 for the first attempt of this change.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }

    /// The receiver's HTTP status; null when it did not answer (refused connection, time limit).
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code
    }

    /// Why it failed; null when the receiver accepted it.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// Whether the receiver accepted it (answered 2xx).
    async fn succeeded(&self) -> bool {
        self.0.error.is_none()
    }

    /// How long the receiver took, in milliseconds.
    async fn latency_ms(&self) -> i32 {
        self.0.latency_ms
    }

    /// When it was made.
    async fn attempted_at(&self) -> DateTime {
        DateTime(self.0.attempted_at)
    }

    /// When the change will be tried again; null after a success.
    async fn next_retry_at(&self) -> Option<DateTime> {
        self.0.next_retry_at.map(DateTime)
    }
}

/// An endpoint and its signing secret, which is shown only in this answer.
#[derive(SimpleObject)]
pub struct WebhookSecretPayload {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_` and base64): keep it, it is not shown again.
    pub secret: String,
}

/// The result of changing an endpoint.
#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
}

/// Webhook endpoints the caller owns.
#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The caller's webhook endpoints (every endpoint, for administrators), oldest first; at most 100.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        Ok(webhooks::list(db(ctx), viewer(ctx)).await?.into_iter().map(WebhookEndpoint).collect())
    }

    /// One of the caller's endpoints; null if there is none or it is another owner's.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<Option<WebhookEndpoint>> {
        match webhooks::owned(db(ctx), viewer(ctx), &id).await {
            Ok(row) => Ok(Some(WebhookEndpoint(row))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }
}

/// Registering and managing webhook endpoints.
#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint that receives the changes the caller may see (narrowed by `filter`). Administrators and
    /// integration service accounts only; at most 20 per owner. The answer holds the signing secret, once.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateWebhookEndpointInput,
    ) -> Result<WebhookSecretPayload> {
        let state = state(ctx);
        let allowed = &state.config.webhook_allowed_addresses;
        let (row, secret) = webhooks::create(db(ctx), viewer(ctx), state.clock.now(), allowed, input).await?;
        Ok(WebhookSecretPayload { endpoint: WebhookEndpoint(row), secret })
    }

    /// Gives an endpoint a new secret; the previous one keeps signing (a second signature) for the grace period.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RotateWebhookSecretInput,
    ) -> Result<WebhookSecretPayload> {
        let (row, secret) = webhooks::rotate(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(WebhookSecretPayload { endpoint: WebhookEndpoint(row), secret })
    }

    /// Turns an endpoint on again (after it was disabled): it is tried at once, from where it stopped.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn enable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<WebhookEndpointPayload> {
        let row = webhooks::set_enabled(db(ctx), viewer(ctx), state(ctx).clock.now(), &id, true).await?;
        Ok(WebhookEndpointPayload { endpoint: WebhookEndpoint(row) })
    }

    /// Turns an endpoint off; nothing is delivered (and its cursor stays) until it is enabled.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<WebhookEndpointPayload> {
        let row = webhooks::set_enabled(db(ctx), viewer(ctx), state(ctx).clock.now(), &id, false).await?;
        Ok(WebhookEndpointPayload { endpoint: WebhookEndpoint(row) })
    }

    /// Delivers again every change after a sequence (receivers deduplicate by `webhook-id`).
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn redeliver_webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RedeliverWebhooksInput,
    ) -> Result<WebhookEndpointPayload> {
        let row = webhooks::redeliver(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(WebhookEndpointPayload { endpoint: WebhookEndpoint(row) })
    }

    /// Deletes an endpoint and its delivery log; true if it existed.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's id.")] id: ID,
    ) -> Result<bool> {
        Ok(webhooks::delete(db(ctx), viewer(ctx), &id).await?)
    }
}
