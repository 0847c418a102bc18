//! The rules of the sources that had no home yet, and notifications:
//! - who recorded a time record (the requesting jurisdiction's incident commander keeps them under Utah
//!   R704-2-6(1)(b)(i); the assisting party's supervisors under the AACOG agreement);
//! - a date a party states for a filing or payment, kept apart from when it was recorded until the other party
//!   confirms it;
//! - agreed extensions of a reimbursement due date (Utah R704-2-10(5)(b)), each with its history;
//! - the items a waiver names (Utah R704-2-11(2));
//! - the policy values for where and when resources are needed (AACOG Conditions (b)) and who may be a member
//!   (EMAC: states only);
//! - notifications for the people who owe a step, with read state per person and an e-mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

fn index(index_name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(index_name).table(name(table));
    for column in columns {
        stmt.col(name(column));
    }
    stmt.to_owned()
}

async fn add(manager: &SchemaManager<'_>, table: &'static str, column: &mut ColumnDef) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(name(table)).add_column(column).to_owned()).await
}

async fn drop(manager: &SchemaManager<'_>, table: &'static str, column: &'static str) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(name(table)).drop_column(name(column)).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(manager, "time_records", &mut uuid_null(name("recorded_by_jurisdiction_id"))).await?;
        add(manager, "deadlines", &mut timestamp_with_time_zone_null(name("stated_at"))).await?;
        add(manager, "deadlines", &mut timestamp_with_time_zone_null(name("stated_confirmed_at"))).await?;
        add(manager, "deadlines", &mut string_len_null(name("stated_confirmed_by_subject"), 200)).await?;
        add(manager, "claims", &mut json_null(name("waiver_items"))).await?;
        add(manager, "compacts", boolean(name("request_location_and_time_required")).default(false)).await?;
        add(manager, "compacts", &mut json_null(name("member_kinds"))).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("deadline_extensions"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("deadline_id")))
                    .col(uuid_null(name("compact_id")))
                    .col(string_len(name("status"), 20))
                    .col(timestamp_with_time_zone(name("previous_due_at")))
                    .col(timestamp_with_time_zone(name("due_at")))
                    .col(text(name("reason")))
                    .col(uuid(name("proposed_by_jurisdiction_id")))
                    .col(string_len(name("proposed_by_subject"), 200))
                    .col(timestamp_with_time_zone(name("proposed_at")))
                    .col(uuid_null(name("answered_by_jurisdiction_id")))
                    .col(string_len_null(name("answered_by_subject"), 200))
                    .col(timestamp_with_time_zone_null(name("answered_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deadline_extensions_deadline_id")
                            .from(name("deadline_extensions"), name("deadline_id"))
                            .to(name("deadlines"), name("id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_deadline_extensions_deadline", "deadline_extensions", &["deadline_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("notifications"))
                    .col(big_integer(name("id")).primary_key().auto_increment())
                    .col(uuid(name("jurisdiction_id")))
                    .col(uuid_null(name("compact_id")))
                    .col(string_len(name("kind"), 40))
                    .col(string_len(name("topic"), 60))
                    .col(string_len(name("record_type"), 40))
                    .col(uuid(name("record_id")))
                    .col(big_integer(name("event_id")))
                    .col(string_len(name("title"), 300))
                    .col(text(name("body")))
                    .col(timestamp_with_time_zone_null(name("due_at")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(string_len(name("email_status"), 20))
                    .col(integer(name("email_attempts")).default(0))
                    .col(timestamp_with_time_zone_null(name("email_next_at")))
                    .col(timestamp_with_time_zone_null(name("emailed_at")))
                    .col(text_null(name("email_error")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_notifications_jurisdiction", "notifications", &["jurisdiction_id", "id"]))
            .await?;
        manager
            .create_index(index("ix_notifications_email", "notifications", &["email_status", "email_next_at"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(name("notification_reads"))
                    .col(big_integer(name("notification_id")))
                    .col(string_len(name("subject"), 200))
                    .col(timestamp_with_time_zone(name("read_at")))
                    .primary_key(Index::create().col(name("notification_id")).col(name("subject")))
                    .to_owned(),
            )
            .await?;

        // The seeded compacts' new policy values, where a database already holds them.
        let db = manager.get_connection();
        db.execute(
            &Query::update()
                .table(name("compacts"))
                .value(name("request_location_and_time_required"), true)
                .and_where(Expr::col(name("short_name")).eq("AACOG RMA"))
                .to_owned(),
        )
        .await?;
        db.execute(
            &Query::update()
                .table(name("compacts"))
                .value(name("member_kinds"), Expr::cust("'[\"STATE\"]'"))
                .and_where(Expr::col(name("short_name")).eq("EMAC"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(name("notification_reads")).to_owned()).await?;
        manager.drop_table(Table::drop().table(name("notifications")).to_owned()).await?;
        manager.drop_table(Table::drop().table(name("deadline_extensions")).to_owned()).await?;
        drop(manager, "compacts", "member_kinds").await?;
        drop(manager, "compacts", "request_location_and_time_required").await?;
        drop(manager, "claims", "waiver_items").await?;
        drop(manager, "deadlines", "stated_confirmed_by_subject").await?;
        drop(manager, "deadlines", "stated_confirmed_at").await?;
        drop(manager, "deadlines", "stated_at").await?;
        drop(manager, "time_records", "recorded_by_jurisdiction_id").await
    }
}
