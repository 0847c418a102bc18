//! The append-only event log: one row per change, written in the transaction of the change.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The sequence number: strictly increasing in insertion order.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_subject: String,
    pub actor_name: Option<String>,
    pub actor_jurisdiction_id: Option<Uuid>,
    pub record_type: String,
    pub record_id: Uuid,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub compact_id: Option<Uuid>,
    pub payload: Json,
    /// The integration system the actor wrote through, when it is a service account.
    pub actor_system: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
