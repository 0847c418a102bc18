//! EDXL-RM messages received from other systems: which record each created, so that a message sent twice changes
//! nothing the second time, and so that our own messages about that record continue the sender's conversation.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("edxl_messages"))
                    .col(uuid(Alias::new("id")).primary_key())
                    .col(uuid(Alias::new("compact_id")))
                    .col(string_len(Alias::new("message_id"), 256))
                    .col(string_len(Alias::new("content_type"), 64))
                    .col(string_len(Alias::new("record_type"), 64))
                    .col(uuid(Alias::new("record_id")))
                    .col(string_len(Alias::new("originating_message_id"), 256))
                    .col(string_len(Alias::new("received_by_subject"), 200))
                    .col(timestamp_with_time_zone(Alias::new("received_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_edxl_messages_compact_id")
                            .from(Alias::new("edxl_messages"), Alias::new("compact_id"))
                            .to(Alias::new("compacts"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_edxl_messages_compact_message")
                    .table(Alias::new("edxl_messages"))
                    .col(Alias::new("compact_id"))
                    .col(Alias::new("message_id"))
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_edxl_messages_record")
                    .table(Alias::new("edxl_messages"))
                    .col(Alias::new("record_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("edxl_messages")).to_owned()).await
    }
}
