//! A request for assistance (RMA Part I, SMAA Form 101, EMAC REQ-A section I, ICS 213 RR).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "resource_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub compact_id: Uuid,
    pub requesting_jurisdiction_id: Uuid,
    pub incident_id: Uuid,
    pub request_number: String,
    pub mission_number: Option<String>,
    pub channel: String,
    pub status: String,
    pub priority: String,
    pub verbal: bool,
    pub requested_at: DateTimeUtc,
    pub written_confirmed_at: Option<DateTimeUtc>,
    pub entered_by_coordinator: bool,
    pub entered_by_subject: String,
    pub broadcast: bool,
    pub support_functions: Json,
    pub public_infrastructure: Json,
    pub description: Option<String>,
    pub staging_location: Option<String>,
    pub staging_contact_name: Option<String>,
    pub staging_contact_phone: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub self_sufficiency_hours: Option<i32>,
    pub food_provided_by: String,
    pub housing_provided_by: String,
    pub submitted_at: Option<DateTimeUtc>,
    pub opened_at: Option<DateTimeUtc>,
    pub filled_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub status_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
