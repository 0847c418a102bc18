//! Integrations' own identifiers and authority:
//! - external references: `(system, externalId)` pairs naming a record in a state system, unique per system and
//!   record type, and at most one per record per system;
//! - integration grants: the directory's word that a system may act for a jurisdiction;
//! - the system an event's actor wrote through.

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
                    .table(name("external_refs"))
                    .col(big_integer(name("id")).primary_key().auto_increment())
                    .col(string_len(name("system"), 64))
                    .col(string_len(name("record_type"), 40))
                    .col(string_len(name("external_id"), 200))
                    .col(uuid(name("record_id")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(string_len(name("created_by"), 300))
                    .to_owned(),
            )
            .await?;
        for (index, columns) in [
            ("idx_external_refs_external_id", ["system", "record_type", "external_id"]),
            ("idx_external_refs_record", ["system", "record_type", "record_id"]),
        ] {
            let mut stmt = Index::create();
            stmt.name(index).table(name("external_refs")).unique();
            for column in columns {
                stmt.col(name(column));
            }
            manager.create_index(stmt.to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_external_refs_record_id")
                    .table(name("external_refs"))
                    .col(name("record_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(name("integration_grants"))
                    .col(string_len(name("system"), 64))
                    .col(uuid(name("jurisdiction_id")))
                    .col(timestamp_with_time_zone(name("granted_at")))
                    .col(string_len(name("granted_by"), 300))
                    .primary_key(Index::create().col(name("system")).col(name("jurisdiction_id")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(name("integration_grants"), name("jurisdiction_id"))
                            .to(name("jurisdictions"), name("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(name("events")).add_column(string_len_null(name("actor_system"), 64)).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(name("events")).drop_column(name("actor_system")).to_owned()).await?;
        manager.drop_table(Table::drop().table(name("integration_grants")).to_owned()).await?;
        manager.drop_table(Table::drop().table(name("external_refs")).to_owned()).await
    }
}
