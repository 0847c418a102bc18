//! One committee member's vote on an escalated dispute.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "committee_votes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dispute_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_subject: String,
    pub member_name: Option<String>,
    pub vote: String,
    pub cast_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
