//! One attempt to deliver a change to a webhook endpoint.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: Uuid,
    /// The `webhook-id` sent (the same for every attempt of one change).
    pub message_id: String,
    /// The event's sequence.
    pub sequence: i64,
    /// 1 for the first attempt of this change.
    pub attempt: i32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub latency_ms: i32,
    pub attempted_at: DateTimeUtc,
    /// When the next attempt is due, after a failure.
    pub next_retry_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
