//! One typed line of a request: what, how many, for how long, by when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_line_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub position: i32,
    pub resource_type_id: Uuid,
    pub quantity: i32,
    pub estimated_duration_hours: Option<i32>,
    pub needed_by: Option<DateTimeUtc>,
    pub description: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
