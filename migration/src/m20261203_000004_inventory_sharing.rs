//! Whether a compact shares its members' inventory with the other members (the coordinator always sees it).

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
                    .add_column(boolean(Alias::new("inventory_shared_with_members")).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("compacts"))
                    .drop_column(Alias::new("inventory_shared_with_members"))
                    .to_owned(),
            )
            .await
    }
}
