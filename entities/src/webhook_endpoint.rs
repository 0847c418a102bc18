//! A URL that changes are pushed to, as its owner may see them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The owner's subject.
    pub owner_subject: String,
    /// The owner's identity and scope when it registered the endpoint (whose visibility deliveries follow).
    pub owner: Json,
    pub url: String,
    pub description: String,
    /// Which changes: compact, jurisdiction, record types.
    pub filter: Json,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// `ENABLED` or `DISABLED`.
    pub status: String,
    pub disabled_reason: Option<String>,
    /// The last event sequence handled (delivered, or not visible to the owner).
    pub cursor: i64,
    /// Failed attempts in a row.
    pub failures: i32,
    /// When the current run of failures began.
    pub failing_since: Option<DateTimeUtc>,
    /// No delivery before this (backoff).
    pub next_attempt_at: DateTimeUtc,
    /// Held by a worker until then.
    pub lease_until: Option<DateTimeUtc>,
    /// Which worker holds it: every change a worker makes to the endpoint is conditional on it.
    pub lease_token: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
