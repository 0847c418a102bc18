//! A daily personnel time record, equipment-hours entry or material used on a deployment.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub deployment_id: Uuid,
    pub kind: String,
    pub work_date: Date,
    pub subject: String,
    pub regular_hours: Option<String>,
    pub overtime_hours: Option<String>,
    pub quantity: Option<String>,
    pub description: Option<String>,
    pub recorded_by_subject: String,
    pub recorded_by_jurisdiction_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
