//! The roster of a compact's dispute committee: who sits on it, for which jurisdiction, and for what term.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("committee_members"))
                    .col(uuid(Alias::new("id")).primary_key())
                    .col(uuid(Alias::new("compact_id")))
                    .col(string_len(Alias::new("subject"), 200))
                    .col(string_len(Alias::new("name"), 200))
                    .col(uuid_null(Alias::new("jurisdiction_id")))
                    .col(date(Alias::new("term_starts_on")))
                    .col(date_null(Alias::new("term_ends_on")))
                    .col(timestamp_with_time_zone(Alias::new("created_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_committee_members_compact_id")
                            .from(Alias::new("committee_members"), Alias::new("compact_id"))
                            .to(Alias::new("compacts"), Alias::new("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_committee_members_compact_subject")
                    .table(Alias::new("committee_members"))
                    .col(Alias::new("compact_id"))
                    .col(Alias::new("subject"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Alias::new("committee_members")).to_owned()).await
    }
}
