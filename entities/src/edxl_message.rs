//! An EDXL-RM message received from another system, and the record it created.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "edxl_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub compact_id: Uuid,
    pub message_id: String,
    pub content_type: String,
    pub record_type: String,
    pub record_id: Uuid,
    pub originating_message_id: String,
    pub received_by_subject: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
