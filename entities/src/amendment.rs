//! A numbered change to an agreement, acknowledged by the other party.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "amendments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub number: i32,
    pub description: String,
    pub changes: Json,
    pub proposed_by_jurisdiction_id: Uuid,
    pub proposed_by_subject: String,
    pub proposed_at: DateTimeUtc,
    pub status: String,
    pub acknowledged_by_subject: Option<String>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
