//! A form or file tied to a record, with who filed it and when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub record_type: String,
    pub record_id: Uuid,
    pub compact_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub reference: Option<String>,
    pub filed_by_subject: String,
    pub filed_by_jurisdiction_id: Option<Uuid>,
    pub filed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
