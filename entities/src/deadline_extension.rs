//! An extension of a due date, proposed by one party and agreed (or declined) by the other.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deadline_extensions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deadline_id: Uuid,
    pub compact_id: Option<Uuid>,
    pub status: String,
    pub previous_due_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub reason: String,
    pub proposed_by_jurisdiction_id: Uuid,
    pub proposed_by_subject: String,
    pub proposed_at: DateTimeUtc,
    pub answered_by_jurisdiction_id: Option<Uuid>,
    pub answered_by_subject: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
