//! A notification for the representatives of one jurisdiction: a step due soon, missed, a consequence applied, or
//! an action awaited; with the state of its e-mail.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub jurisdiction_id: Uuid,
    pub compact_id: Option<Uuid>,
    pub kind: String,
    pub topic: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub event_id: i64,
    pub title: String,
    pub body: String,
    pub due_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub email_status: String,
    pub email_attempts: i32,
    pub email_next_at: Option<DateTimeUtc>,
    pub emailed_at: Option<DateTimeUtc>,
    pub email_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
