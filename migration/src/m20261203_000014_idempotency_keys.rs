//! Idempotency keys: the first response to a mutation sent with a key, stored per principal in the transaction of
//! the change it made, so that a retry gets the same response and no second change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(name("idempotency_keys"))
                    .col(string_len(name("principal"), 300))
                    .col(string_len(name("key"), 255))
                    .col(string_len(name("request_hash"), 64))
                    .col(text(name("response")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(timestamp_with_time_zone(name("expires_at")))
                    .primary_key(Index::create().col(name("principal")).col(name("key")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_keys_expires_at")
                    .table(name("idempotency_keys"))
                    .col(name("expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(name("idempotency_keys")).to_owned()).await
    }
}
