//! An accepted offer signed by both authorized representatives (RMA Part III, SMAA Form 113, EMAC RSA).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub offer_id: Uuid,
    pub compact_id: Uuid,
    pub requesting_jurisdiction_id: Uuid,
    pub assisting_jurisdiction_id: Uuid,
    pub status: String,
    pub verbal: bool,
    pub requesting_signed_by: Option<String>,
    pub requesting_signed_at: Option<DateTimeUtc>,
    pub assisting_signed_by: Option<String>,
    pub assisting_signed_at: Option<DateTimeUtc>,
    pub executed_at: Option<DateTimeUtc>,
    pub after_action_report: Option<String>,
    pub after_action_filed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
