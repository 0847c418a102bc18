//! Webhook endpoints and their delivery log. The outbox is the event log itself: each endpoint keeps the sequence
//! it has delivered up to (its cursor), so a change and what will be pushed about it commit in one transaction, and
//! a worker that leases the endpoint delivers what follows the cursor, in commit order.

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
                    .table(name("webhook_endpoints"))
                    .col(uuid(name("id")).primary_key())
                    .col(string_len(name("owner_subject"), 300))
                    .col(json(name("owner")))
                    .col(text(name("url")))
                    .col(string_len(name("description"), 500))
                    .col(json(name("filter")))
                    .col(string_len(name("secret"), 100))
                    .col(string_len_null(name("previous_secret"), 100))
                    .col(timestamp_with_time_zone_null(name("previous_secret_until")))
                    .col(string_len(name("status"), 20))
                    .col(text_null(name("disabled_reason")))
                    .col(big_integer(name("cursor")))
                    .col(integer(name("failures")).default(0))
                    .col(timestamp_with_time_zone_null(name("failing_since")))
                    .col(timestamp_with_time_zone(name("next_attempt_at")))
                    .col(timestamp_with_time_zone_null(name("lease_until")))
                    .col(uuid_null(name("lease_token")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(timestamp_with_time_zone(name("updated_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_endpoints_owner")
                    .table(name("webhook_endpoints"))
                    .col(name("owner_subject"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_endpoints_due")
                    .table(name("webhook_endpoints"))
                    .col(name("status"))
                    .col(name("next_attempt_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(name("webhook_attempts"))
                    .col(big_integer(name("id")).primary_key().auto_increment())
                    .col(uuid(name("endpoint_id")))
                    .col(string_len(name("message_id"), 80))
                    .col(big_integer(name("sequence")))
                    .col(integer(name("attempt")))
                    .col(integer_null(name("status_code")))
                    .col(text_null(name("error")))
                    .col(integer(name("latency_ms")))
                    .col(timestamp_with_time_zone(name("attempted_at")))
                    .col(timestamp_with_time_zone_null(name("next_retry_at")))
                    .foreign_key(
                        ForeignKey::create()
                            .from(name("webhook_attempts"), name("endpoint_id"))
                            .to(name("webhook_endpoints"), name("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_endpoint")
                    .table(name("webhook_attempts"))
                    .col(name("endpoint_id"))
                    .col(name("id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(name("webhook_attempts")).to_owned()).await?;
        manager.drop_table(Table::drop().table(name("webhook_endpoints")).to_owned()).await
    }
}
