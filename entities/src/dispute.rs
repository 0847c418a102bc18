//! A notice of dispute on a claim, its negotiation, escalation, hearing and decision.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "disputes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub claim_id: Uuid,
    pub compact_id: Uuid,
    pub filed_by_jurisdiction_id: Uuid,
    pub filed_by_subject: String,
    pub filed_at: DateTimeUtc,
    pub reasons: String,
    pub items: Json,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    pub escalated_at: Option<DateTimeUtc>,
    pub escalation_narrative: Option<String>,
    pub hearing_scheduled_at: Option<DateTimeUtc>,
    pub hearing_at: Option<DateTimeUtc>,
    pub quorum: Json,
    pub findings: Option<String>,
    pub reasons_for_decision: Option<String>,
    pub outcome: Option<String>,
    pub awarded_amount: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
