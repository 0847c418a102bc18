//! Schema migrations, one timestamped file per change, written with the SeaORM schema builder so that the same
//! files run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_directory;
mod m20261121_000002_missions;
mod m20261121_000003_reimbursement;
mod m20261203_000004_inventory_sharing;
mod m20261203_000005_committee_roster;
mod m20261203_000006_representative_lookup;
mod m20261203_000007_edxl_messages;
mod m20261203_000008_sandbox_clock;
mod m20261203_000009_written_request_policy;
mod m20261203_000010_after_action_filer;
mod m20261203_000011_billing_limit;
mod m20261203_000012_fidelity_and_notifications;
mod m20261203_000013_compact_tiers;
mod m20261203_000014_idempotency_keys;
mod m20261203_000015_external_refs;
mod m20261203_000016_webhooks;

/// The ordered list of migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_directory::Migration),
            Box::new(m20261121_000002_missions::Migration),
            Box::new(m20261121_000003_reimbursement::Migration),
            Box::new(m20261203_000004_inventory_sharing::Migration),
            Box::new(m20261203_000005_committee_roster::Migration),
            Box::new(m20261203_000006_representative_lookup::Migration),
            Box::new(m20261203_000007_edxl_messages::Migration),
            Box::new(m20261203_000008_sandbox_clock::Migration),
            Box::new(m20261203_000009_written_request_policy::Migration),
            Box::new(m20261203_000010_after_action_filer::Migration),
            Box::new(m20261203_000011_billing_limit::Migration),
            Box::new(m20261203_000012_fidelity_and_notifications::Migration),
            Box::new(m20261203_000013_compact_tiers::Migration),
            Box::new(m20261203_000014_idempotency_keys::Migration),
            Box::new(m20261203_000015_external_refs::Migration),
            Box::new(m20261203_000016_webhooks::Migration),
        ]
    }
}
