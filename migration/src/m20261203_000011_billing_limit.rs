//! The agreement's billing limit as a policy value (the AACOG agreement, section 7E: the assisting party bills not
//! later than sixty days following the period of assistance), tracked beside the guidebook's 30-day package.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("compacts"))
                    .add_column(integer_null(Alias::new("billing_limit_days")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("compacts")).drop_column(Alias::new("billing_limit_days")).to_owned(),
            )
            .await
    }
}
