//! An assisting party's answer to a request (RMA Part II, EMAC REQ-A section II), or "cannot provide".

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub assisting_jurisdiction_id: Uuid,
    pub status: String,
    pub cannot_provide_reason: Option<String>,
    pub personnel: Json,
    pub equipment: Json,
    pub arrival_place: Option<String>,
    pub estimated_arrival_at: Option<DateTimeUtc>,
    pub estimated_departure_at: Option<DateTimeUtc>,
    pub cost_estimate: Json,
    pub donated: bool,
    pub notes: Option<String>,
    pub offered_by_subject: String,
    pub decided_at: Option<DateTimeUtc>,
    pub decision_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
