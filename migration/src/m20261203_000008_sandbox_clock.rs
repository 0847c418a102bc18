//! The sandbox clock's offset from the system clock, kept so that a restarted sandbox server does not move time back.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("sandbox_clock"))
                    .col(integer(Alias::new("id")).primary_key())
                    .col(big_integer(Alias::new("offset_ms")))
                    .col(string_len(Alias::new("moved_by_subject"), 200))
                    .col(timestamp_with_time_zone(Alias::new("moved_at")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("sandbox_clock")).to_owned()).await
    }
}
