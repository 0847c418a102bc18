//! A due date of the compact's policy: what, who owes it, by when, and whether it was met.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deadlines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub compact_id: Option<Uuid>,
    pub record_type: String,
    pub record_id: Uuid,
    pub kind: String,
    pub owed_by_jurisdiction_id: Option<Uuid>,
    pub due_at: DateTimeUtc,
    pub status: String,
    pub met_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
    pub reminders_sent: i32,
    pub note: Option<String>,
    pub stated_at: Option<DateTimeUtc>,
    pub stated_confirmed_at: Option<DateTimeUtc>,
    pub stated_confirmed_by_subject: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
