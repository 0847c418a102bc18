//! A reimbursement claim: one per agreement, from the assisting party to the requesting party.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub agreement_id: Uuid,
    pub request_id: Uuid,
    pub compact_id: Uuid,
    pub requesting_jurisdiction_id: Uuid,
    pub assisting_jurisdiction_id: Uuid,
    pub status: String,
    pub overdue: bool,
    pub assistance_ended_at: DateTimeUtc,
    pub mission_number: Option<String>,
    pub summary_of_services: Option<String>,
    pub financial_contact_name: Option<String>,
    pub financial_contact_phone: Option<String>,
    pub financial_contact_email: Option<String>,
    pub notice_filed_at: Option<DateTimeUtc>,
    pub notice_acknowledged_at: Option<DateTimeUtc>,
    pub package_submitted_at: Option<DateTimeUtc>,
    pub cover_summary: Option<String>,
    pub supporting_documents: Json,
    pub waiver_items: Option<Json>,
    pub approved_amount: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub waiver_statement: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub status_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
