//! An identifier a state system gives a record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "external_refs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The system's name (`ut-webeoc`).
    pub system: String,
    /// The record's type (`RESOURCE_TYPE`).
    pub record_type: String,
    /// The system's id of the record.
    pub external_id: String,
    /// Our id of the record.
    pub record_id: Uuid,
    pub created_at: DateTimeUtc,
    /// The subject that set it.
    pub created_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
