//! Every request of a representative reads the directory by (subject, jurisdiction): index it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_authorized_representatives_subject")
                    .table(Alias::new("authorized_representatives"))
                    .col(Alias::new("subject"))
                    .col(Alias::new("jurisdiction_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_authorized_representatives_subject")
                    .table(Alias::new("authorized_representatives"))
                    .to_owned(),
            )
            .await
    }
}
