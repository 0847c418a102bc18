//! What actually moves under an agreement: people and equipment, from preparation to return.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deployments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub request_id: Uuid,
    pub compact_id: Uuid,
    pub requesting_jurisdiction_id: Uuid,
    pub assisting_jurisdiction_id: Uuid,
    pub status: String,
    pub personnel: Json,
    pub equipment: Json,
    pub readiness_checked: bool,
    pub communications_checked: bool,
    pub assignment: Option<String>,
    pub location: Option<String>,
    pub departed_at: Option<DateTimeUtc>,
    pub arrived_at: Option<DateTimeUtc>,
    pub released_at: Option<DateTimeUtc>,
    pub debriefed: bool,
    pub returned_at: Option<DateTimeUtc>,
    pub recall_noticed_at: Option<DateTimeUtc>,
    pub recall_effective_at: Option<DateTimeUtc>,
    pub recall_reason: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
