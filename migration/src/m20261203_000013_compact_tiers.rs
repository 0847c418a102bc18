//! The next tier of a compact: where a request goes when the compact's members cannot fill it (Connecticut's
//! tiers: a DEMHS region's plan, then the intrastate compact, then the state and EMAC).

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
                    .add_column(uuid_null(Alias::new("next_tier_compact_id")))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("compacts")).drop_column(Alias::new("next_tier_compact_id")).to_owned(),
            )
            .await
    }
}
