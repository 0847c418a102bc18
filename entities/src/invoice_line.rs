//! One itemized line of a reimbursement request package; amounts are exact decimals stored as text.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub claim_id: Uuid,
    pub position: i32,
    pub category: String,
    pub description: String,
    pub hours: Option<String>,
    pub rate: Option<String>,
    pub actual_cost: Option<String>,
    pub furnished_deduction: String,
    pub insurance_proceeds: String,
    pub amount: String,
    pub approved_amount: Option<String>,
    pub waived: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
