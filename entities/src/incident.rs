//! An emergency or disaster event declared by a jurisdiction.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub jurisdiction_id: Uuid,
    pub compact_id: Option<Uuid>,
    pub description: Option<String>,
    pub location_description: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub declared_at: DateTimeUtc,
    pub declaration_form: String,
    pub written_declaration_due_at: Option<DateTimeUtc>,
    pub written_declaration_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::jurisdiction::Entity",
        from = "Column::JurisdictionId",
        to = "super::jurisdiction::Column::Id"
    )]
    Jurisdiction,
    #[sea_orm(belongs_to = "super::compact::Entity", from = "Column::CompactId", to = "super::compact::Column::Id")]
    Compact,
}

impl ActiveModelBehavior for ActiveModel {}
