//! A policy value for a written confirmation owed for every request (Utah R704-2-4(1)(a): the Form 100 checklist is
//! due to the Division 24 hours after a jurisdiction seeks assistance, whether it asked by telephone or in writing),
//! beside the existing one owed only after a verbal request (AACOG Part I).

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
                    .add_column(integer_null(Alias::new("written_request_after_request_hours")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("compacts"))
                    .drop_column(Alias::new("written_request_after_request_hours"))
                    .to_owned(),
            )
            .await
    }
}
