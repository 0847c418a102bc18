//! A mutual-aid agreement and its policy: every time limit and rule is a column, null where the compact has none.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "compacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub authority: String,
    pub description: Option<String>,
    pub coordinating_jurisdiction_id: Option<Uuid>,
    pub mission_numbers_required: bool,
    pub written_declaration_after_oral_hours: Option<i32>,
    pub written_request_after_verbal_hours: Option<i32>,
    pub written_request_after_request_hours: Option<i32>,
    pub after_action_filed_by: Option<String>,
    pub billing_limit_days: Option<i32>,
    pub written_agreement_after_verbal_hours: Option<i32>,
    pub recall_notice_hours: Option<i32>,
    pub after_action_report_days: Option<i32>,
    pub notice_of_intent_days: Option<i32>,
    pub request_package_days: Option<i32>,
    pub payment_days: Option<i32>,
    pub payment_clock: Option<String>,
    pub dispute_negotiation_days: Option<i32>,
    pub dispute_escalation_after_days: Option<i32>,
    pub dispute_escalation_window_days: Option<i32>,
    pub hearing_schedule_days: Option<i32>,
    pub decision_days: Option<i32>,
    pub committee_quorum: Option<i32>,
    pub waiver_days: Option<i32>,
    pub waiver_itemized: bool,
    pub waiver_copy_to_coordinator: bool,
    pub missed_deadline_forfeits: bool,
    pub membership_termination_notice_days: Option<i32>,
    pub inventory_shared_with_members: bool,
    pub request_location_and_time_required: bool,
    pub member_kinds: Option<Json>,
    pub next_tier_compact_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::jurisdiction::Entity",
        from = "Column::CoordinatingJurisdictionId",
        to = "super::jurisdiction::Column::Id"
    )]
    Coordinator,
}

impl ActiveModelBehavior for ActiveModel {}
