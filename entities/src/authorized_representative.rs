//! A person entitled to sign for a jurisdiction (emergency manager, EMD/EMC or pre-authorized designee).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "authorized_representatives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub jurisdiction_id: Uuid,
    pub subject: Option<String>,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub designee: bool,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::jurisdiction::Entity",
        from = "Column::JurisdictionId",
        to = "super::jurisdiction::Column::Id"
    )]
    Jurisdiction,
}

impl ActiveModelBehavior for ActiveModel {}
