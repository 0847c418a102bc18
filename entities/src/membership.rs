//! A jurisdiction's membership of a compact, with its termination notice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub compact_id: Uuid,
    pub jurisdiction_id: Uuid,
    pub joined_on: Date,
    pub authorizing_resolution: Option<String>,
    pub status: String,
    pub termination_noticed_at: Option<DateTimeUtc>,
    pub termination_effective_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::compact::Entity", from = "Column::CompactId", to = "super::compact::Column::Id")]
    Compact,
    #[sea_orm(
        belongs_to = "super::jurisdiction::Entity",
        from = "Column::JurisdictionId",
        to = "super::jurisdiction::Column::Id"
    )]
    Jurisdiction,
}

impl ActiveModelBehavior for ActiveModel {}
