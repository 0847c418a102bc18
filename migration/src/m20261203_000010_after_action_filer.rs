//! Who files the after-action report, as a policy value: the responding jurisdiction files Utah's Form 111
//! (R704-2-9(4)); the requesting party files the AACOG summary report. Null keeps the requesting party.

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
                    .add_column(string_len_null(Alias::new("after_action_filed_by"), 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("compacts"))
                    .drop_column(Alias::new("after_action_filed_by"))
                    .to_owned(),
            )
            .await
    }
}
