//! Reimbursement: claims with their invoice lines, payments, disputes and committee votes, and reminder
//! bookkeeping on deadlines.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn name(text: &'static str) -> Alias {
    Alias::new(text)
}

fn index(index_name: &str, table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(index_name).table(name(table));
    for column in columns {
        stmt.col(name(column));
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

fn fk(from_table: &'static str, from_column: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_column}"))
        .from(name(from_table), name(from_column))
        .to(name(to_table), name("id"))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(name("claims"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("agreement_id")))
                    .col(uuid(name("request_id")))
                    .col(uuid(name("compact_id")))
                    .col(uuid(name("requesting_jurisdiction_id")))
                    .col(uuid(name("assisting_jurisdiction_id")))
                    .col(string_len(name("status"), 32))
                    .col(boolean(name("overdue")).default(false))
                    .col(timestamp_with_time_zone(name("assistance_ended_at")))
                    .col(string_len_null(name("mission_number"), 64))
                    .col(text_null(name("summary_of_services")))
                    .col(string_null(name("financial_contact_name")))
                    .col(string_null(name("financial_contact_phone")))
                    .col(string_null(name("financial_contact_email")))
                    .col(timestamp_with_time_zone_null(name("notice_filed_at")))
                    .col(timestamp_with_time_zone_null(name("notice_acknowledged_at")))
                    .col(timestamp_with_time_zone_null(name("package_submitted_at")))
                    .col(text_null(name("cover_summary")))
                    .col(json(name("supporting_documents")))
                    .col(string_len_null(name("approved_amount"), 32))
                    .col(timestamp_with_time_zone_null(name("approved_at")))
                    .col(text_null(name("waiver_statement")))
                    .col(timestamp_with_time_zone_null(name("closed_at")))
                    .col(text_null(name("status_reason")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(timestamp_with_time_zone(name("updated_at")))
                    .col(integer(name("version")).default(1))
                    .foreign_key(&mut fk("claims", "agreement_id", "agreements"))
                    .foreign_key(&mut fk("claims", "compact_id", "compacts"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ux_claims_agreement", "claims", &["agreement_id"], true)).await?;
        manager.create_index(index("ix_claims_compact_status", "claims", &["compact_id", "status"], false)).await?;
        manager.create_index(index("ix_claims_requesting", "claims", &["requesting_jurisdiction_id"], false)).await?;
        manager.create_index(index("ix_claims_assisting", "claims", &["assisting_jurisdiction_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("invoice_lines"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("claim_id")))
                    .col(integer(name("position")))
                    .col(string_len(name("category"), 32))
                    .col(text(name("description")))
                    .col(string_len_null(name("hours"), 32))
                    .col(string_len_null(name("rate"), 32))
                    .col(string_len_null(name("actual_cost"), 32))
                    .col(string_len(name("furnished_deduction"), 32))
                    .col(string_len(name("insurance_proceeds"), 32))
                    .col(string_len(name("amount"), 32))
                    .col(string_len_null(name("approved_amount"), 32))
                    .col(boolean(name("waived")).default(false))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .foreign_key(&mut fk("invoice_lines", "claim_id", "claims"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_invoice_lines_claim", "invoice_lines", &["claim_id", "position"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("payments"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("claim_id")))
                    .col(string_len(name("amount"), 32))
                    .col(timestamp_with_time_zone(name("paid_at")))
                    .col(string_null(name("reference")))
                    .col(string(name("recorded_by_subject")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .foreign_key(&mut fk("payments", "claim_id", "claims"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_payments_claim", "payments", &["claim_id", "paid_at"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("disputes"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("claim_id")))
                    .col(uuid(name("compact_id")))
                    .col(uuid(name("filed_by_jurisdiction_id")))
                    .col(string(name("filed_by_subject")))
                    .col(timestamp_with_time_zone(name("filed_at")))
                    .col(text(name("reasons")))
                    .col(json(name("items")))
                    .col(string_len(name("status"), 32))
                    .col(text_null(name("resolution")))
                    .col(timestamp_with_time_zone_null(name("resolved_at")))
                    .col(timestamp_with_time_zone_null(name("escalated_at")))
                    .col(text_null(name("escalation_narrative")))
                    .col(timestamp_with_time_zone_null(name("hearing_scheduled_at")))
                    .col(timestamp_with_time_zone_null(name("hearing_at")))
                    .col(json(name("quorum")))
                    .col(text_null(name("findings")))
                    .col(text_null(name("reasons_for_decision")))
                    .col(string_len_null(name("outcome"), 32))
                    .col(string_len_null(name("awarded_amount"), 32))
                    .col(timestamp_with_time_zone_null(name("decided_at")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .col(timestamp_with_time_zone(name("updated_at")))
                    .col(integer(name("version")).default(1))
                    .foreign_key(&mut fk("disputes", "claim_id", "claims"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_disputes_claim", "disputes", &["claim_id", "filed_at"], false)).await?;
        manager.create_index(index("ix_disputes_compact_status", "disputes", &["compact_id", "status"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("committee_votes"))
                    .col(uuid(name("dispute_id")))
                    .col(string(name("member_subject")))
                    .col(string_null(name("member_name")))
                    .col(string_len(name("vote"), 32))
                    .col(timestamp_with_time_zone(name("cast_at")))
                    .primary_key(Index::create().col(name("dispute_id")).col(name("member_subject")))
                    .foreign_key(&mut fk("committee_votes", "dispute_id", "disputes"))
                    .to_owned(),
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(name("deadlines"))
                    .add_column(integer(name("reminders_sent")).default(0))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(name("deadlines")).drop_column(name("reminders_sent")).to_owned())
            .await?;
        for table in ["committee_votes", "disputes", "payments", "invoice_lines", "claims"] {
            manager.drop_table(Table::drop().table(name(table)).to_owned()).await?;
        }
        Ok(())
    }
}
