//! The mission lifecycle: resource requests with their line items and recipients, offers, agreements and their
//! amendments, deployments with time records and inventory holds, the resource inventory, documents and deadlines.

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

fn unique(index_name: &str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(index_name, table, columns);
    stmt.unique();
    stmt
}

fn fk(
    from_table: &'static str,
    from_column: &'static str,
    to_table: &'static str,
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut key = ForeignKey::create();
    key.name(format!("fk_{from_table}_{from_column}"))
        .from(name(from_table), name(from_column))
        .to(name(to_table), name("id"));
    if cascade {
        key.on_delete(ForeignKeyAction::Cascade);
    }
    key.to_owned()
}

fn stamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(name("created_at")))
        .col(timestamp_with_time_zone(name("updated_at")))
        .col(integer(name("version")).default(1))
}

const TABLES: [&str; 13] = [
    "deadlines",
    "documents",
    "inventory_items",
    "deployment_holds",
    "time_records",
    "deployments",
    "amendments",
    "agreements",
    "offer_lines",
    "offers",
    "request_recipients",
    "request_line_items",
    "resource_requests",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(name("resource_requests"))
            .col(uuid(name("id")).primary_key())
            .col(uuid(name("compact_id")))
            .col(uuid(name("requesting_jurisdiction_id")))
            .col(uuid(name("incident_id")))
            .col(string_len(name("request_number"), 64))
            .col(string_len_null(name("mission_number"), 64))
            .col(string_len(name("channel"), 32))
            .col(string_len(name("status"), 32))
            .col(string_len(name("priority"), 32))
            .col(boolean(name("verbal")).default(false))
            .col(timestamp_with_time_zone(name("requested_at")))
            .col(timestamp_with_time_zone_null(name("written_confirmed_at")))
            .col(boolean(name("entered_by_coordinator")).default(false))
            .col(string(name("entered_by_subject")))
            .col(boolean(name("broadcast")).default(false))
            .col(json(name("support_functions")))
            .col(json(name("public_infrastructure")))
            .col(text_null(name("description")))
            .col(text_null(name("staging_location")))
            .col(string_null(name("staging_contact_name")))
            .col(string_null(name("staging_contact_phone")))
            .col(string_null(name("contact_name")))
            .col(string_null(name("contact_phone")))
            .col(string_null(name("contact_email")))
            .col(integer_null(name("self_sufficiency_hours")))
            .col(string_len(name("food_provided_by"), 32))
            .col(string_len(name("housing_provided_by"), 32))
            .col(timestamp_with_time_zone_null(name("submitted_at")))
            .col(timestamp_with_time_zone_null(name("opened_at")))
            .col(timestamp_with_time_zone_null(name("filled_at")))
            .col(timestamp_with_time_zone_null(name("closed_at")))
            .col(text_null(name("status_reason")))
            .foreign_key(&mut fk("resource_requests", "compact_id", "compacts", false))
            .foreign_key(&mut fk("resource_requests", "requesting_jurisdiction_id", "jurisdictions", false))
            .foreign_key(&mut fk("resource_requests", "incident_id", "incidents", false));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager
            .create_index(unique(
                "ux_requests_number",
                "resource_requests",
                &["requesting_jurisdiction_id", "request_number"],
            ))
            .await?;
        manager
            .create_index(unique("ux_requests_mission", "resource_requests", &["compact_id", "mission_number"]))
            .await?;
        manager
            .create_index(index("ix_requests_compact_status", "resource_requests", &["compact_id", "status"]))
            .await?;
        manager.create_index(index("ix_requests_incident", "resource_requests", &["incident_id"])).await?;
        manager.create_index(index("ix_requests_updated", "resource_requests", &["updated_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("request_line_items"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("request_id")))
                    .col(integer(name("position")))
                    .col(uuid(name("resource_type_id")))
                    .col(integer(name("quantity")))
                    .col(integer_null(name("estimated_duration_hours")))
                    .col(timestamp_with_time_zone_null(name("needed_by")))
                    .col(text_null(name("description")))
                    .foreign_key(&mut fk("request_line_items", "request_id", "resource_requests", true))
                    .foreign_key(&mut fk("request_line_items", "resource_type_id", "resource_types", false))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_line_items_request", "request_line_items", &["request_id", "position"])).await?;
        manager.create_index(index("ix_line_items_type", "request_line_items", &["resource_type_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("request_recipients"))
                    .col(uuid(name("request_id")))
                    .col(uuid(name("jurisdiction_id")))
                    .primary_key(Index::create().col(name("request_id")).col(name("jurisdiction_id")))
                    .foreign_key(&mut fk("request_recipients", "request_id", "resource_requests", true))
                    .foreign_key(&mut fk("request_recipients", "jurisdiction_id", "jurisdictions", false))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_recipients_jurisdiction", "request_recipients", &["jurisdiction_id"])).await?;

        let mut t = Table::create();
        t.table(name("offers"))
            .col(uuid(name("id")).primary_key())
            .col(uuid(name("request_id")))
            .col(uuid(name("assisting_jurisdiction_id")))
            .col(string_len(name("status"), 32))
            .col(text_null(name("cannot_provide_reason")))
            .col(json(name("personnel")))
            .col(json(name("equipment")))
            .col(text_null(name("arrival_place")))
            .col(timestamp_with_time_zone_null(name("estimated_arrival_at")))
            .col(timestamp_with_time_zone_null(name("estimated_departure_at")))
            .col(json(name("cost_estimate")))
            .col(boolean(name("donated")).default(false))
            .col(text_null(name("notes")))
            .col(string(name("offered_by_subject")))
            .col(timestamp_with_time_zone_null(name("decided_at")))
            .col(text_null(name("decision_reason")))
            .foreign_key(&mut fk("offers", "request_id", "resource_requests", false))
            .foreign_key(&mut fk("offers", "assisting_jurisdiction_id", "jurisdictions", false));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager.create_index(index("ix_offers_request", "offers", &["request_id", "status"])).await?;
        manager.create_index(index("ix_offers_assisting", "offers", &["assisting_jurisdiction_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("offer_lines"))
                    .col(uuid(name("offer_id")))
                    .col(uuid(name("line_item_id")))
                    .col(integer(name("quantity")))
                    .primary_key(Index::create().col(name("offer_id")).col(name("line_item_id")))
                    .foreign_key(&mut fk("offer_lines", "offer_id", "offers", true))
                    .foreign_key(&mut fk("offer_lines", "line_item_id", "request_line_items", false))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_offer_lines_line", "offer_lines", &["line_item_id"])).await?;

        let mut t = Table::create();
        t.table(name("agreements"))
            .col(uuid(name("id")).primary_key())
            .col(uuid(name("request_id")))
            .col(uuid(name("offer_id")))
            .col(uuid(name("compact_id")))
            .col(uuid(name("requesting_jurisdiction_id")))
            .col(uuid(name("assisting_jurisdiction_id")))
            .col(string_len(name("status"), 32))
            .col(boolean(name("verbal")).default(false))
            .col(string_null(name("requesting_signed_by")))
            .col(timestamp_with_time_zone_null(name("requesting_signed_at")))
            .col(string_null(name("assisting_signed_by")))
            .col(timestamp_with_time_zone_null(name("assisting_signed_at")))
            .col(timestamp_with_time_zone_null(name("executed_at")))
            .col(text_null(name("after_action_report")))
            .col(timestamp_with_time_zone_null(name("after_action_filed_at")))
            .foreign_key(&mut fk("agreements", "request_id", "resource_requests", false))
            .foreign_key(&mut fk("agreements", "offer_id", "offers", false))
            .foreign_key(&mut fk("agreements", "compact_id", "compacts", false));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager.create_index(unique("ux_agreements_offer", "agreements", &["offer_id"])).await?;
        manager.create_index(index("ix_agreements_request", "agreements", &["request_id"])).await?;
        manager.create_index(index("ix_agreements_requesting", "agreements", &["requesting_jurisdiction_id"])).await?;
        manager.create_index(index("ix_agreements_assisting", "agreements", &["assisting_jurisdiction_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(name("amendments"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("agreement_id")))
                    .col(integer(name("number")))
                    .col(text(name("description")))
                    .col(json(name("changes")))
                    .col(uuid(name("proposed_by_jurisdiction_id")))
                    .col(string(name("proposed_by_subject")))
                    .col(timestamp_with_time_zone(name("proposed_at")))
                    .col(string_len(name("status"), 32))
                    .col(string_null(name("acknowledged_by_subject")))
                    .col(timestamp_with_time_zone_null(name("acknowledged_at")))
                    .col(integer(name("version")).default(1))
                    .foreign_key(&mut fk("amendments", "agreement_id", "agreements", false))
                    .to_owned(),
            )
            .await?;
        manager.create_index(unique("ux_amendments_number", "amendments", &["agreement_id", "number"])).await?;

        let mut t = Table::create();
        t.table(name("deployments"))
            .col(uuid(name("id")).primary_key())
            .col(uuid(name("agreement_id")))
            .col(uuid(name("request_id")))
            .col(uuid(name("compact_id")))
            .col(uuid(name("requesting_jurisdiction_id")))
            .col(uuid(name("assisting_jurisdiction_id")))
            .col(string_len(name("status"), 32))
            .col(json(name("personnel")))
            .col(json(name("equipment")))
            .col(boolean(name("readiness_checked")).default(false))
            .col(boolean(name("communications_checked")).default(false))
            .col(text_null(name("assignment")))
            .col(text_null(name("location")))
            .col(timestamp_with_time_zone_null(name("departed_at")))
            .col(timestamp_with_time_zone_null(name("arrived_at")))
            .col(timestamp_with_time_zone_null(name("released_at")))
            .col(boolean(name("debriefed")).default(false))
            .col(timestamp_with_time_zone_null(name("returned_at")))
            .col(timestamp_with_time_zone_null(name("recall_noticed_at")))
            .col(timestamp_with_time_zone_null(name("recall_effective_at")))
            .col(text_null(name("recall_reason")))
            .col(timestamp_with_time_zone_null(name("closed_at")))
            .foreign_key(&mut fk("deployments", "agreement_id", "agreements", false))
            .foreign_key(&mut fk("deployments", "request_id", "resource_requests", false));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager.create_index(unique("ux_deployments_agreement", "deployments", &["agreement_id"])).await?;
        manager.create_index(index("ix_deployments_request", "deployments", &["request_id"])).await?;
        manager
            .create_index(index("ix_deployments_assisting", "deployments", &["assisting_jurisdiction_id", "status"]))
            .await?;
        manager
            .create_index(index("ix_deployments_requesting", "deployments", &["requesting_jurisdiction_id", "status"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("time_records"))
                    .col(uuid(name("id")).primary_key())
                    .col(uuid(name("deployment_id")))
                    .col(string_len(name("kind"), 32))
                    .col(date(name("work_date")))
                    .col(string(name("subject")))
                    .col(string_len_null(name("regular_hours"), 32))
                    .col(string_len_null(name("overtime_hours"), 32))
                    .col(string_len_null(name("quantity"), 32))
                    .col(text_null(name("description")))
                    .col(string(name("recorded_by_subject")))
                    .col(timestamp_with_time_zone(name("created_at")))
                    .foreign_key(&mut fk("time_records", "deployment_id", "deployments", true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_time_records_deployment", "time_records", &["deployment_id", "work_date"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("deployment_holds"))
                    .col(uuid(name("deployment_id")))
                    .col(uuid(name("resource_type_id")))
                    .col(integer(name("quantity")))
                    .primary_key(Index::create().col(name("deployment_id")).col(name("resource_type_id")))
                    .foreign_key(&mut fk("deployment_holds", "deployment_id", "deployments", true))
                    .to_owned(),
            )
            .await?;

        let mut t = Table::create();
        t.table(name("inventory_items"))
            .col(uuid(name("id")).primary_key())
            .col(uuid(name("jurisdiction_id")))
            .col(uuid(name("resource_type_id")))
            .col(integer(name("quantity_held")))
            .col(integer(name("quantity_available")))
            .col(text_null(name("notes")))
            .foreign_key(&mut fk("inventory_items", "jurisdiction_id", "jurisdictions", false))
            .foreign_key(&mut fk("inventory_items", "resource_type_id", "resource_types", false));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager
            .create_index(unique(
                "ux_inventory_holder_type",
                "inventory_items",
                &["jurisdiction_id", "resource_type_id"],
            ))
            .await?;
        manager
            .create_index(index("ix_inventory_type", "inventory_items", &["resource_type_id", "quantity_available"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(name("documents"))
                    .col(uuid(name("id")).primary_key())
                    .col(string_len(name("record_type"), 48))
                    .col(uuid(name("record_id")))
                    .col(uuid_null(name("compact_id")))
                    .col(string_len(name("kind"), 64))
                    .col(string(name("title")))
                    .col(text_null(name("reference")))
                    .col(string(name("filed_by_subject")))
                    .col(uuid_null(name("filed_by_jurisdiction_id")))
                    .col(timestamp_with_time_zone(name("filed_at")))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_documents_record", "documents", &["record_id", "filed_at"])).await?;

        let mut t = Table::create();
        t.table(name("deadlines"))
            .col(uuid(name("id")).primary_key())
            .col(uuid_null(name("compact_id")))
            .col(string_len(name("record_type"), 48))
            .col(uuid(name("record_id")))
            .col(string_len(name("kind"), 64))
            .col(uuid_null(name("owed_by_jurisdiction_id")))
            .col(timestamp_with_time_zone(name("due_at")))
            .col(string_len(name("status"), 32))
            .col(timestamp_with_time_zone_null(name("met_at")))
            .col(timestamp_with_time_zone_null(name("reminded_at")))
            .col(text_null(name("note")));
        manager.create_table(stamps(&mut t).to_owned()).await?;
        manager.create_index(unique("ux_deadlines_record_kind", "deadlines", &["record_id", "kind"])).await?;
        manager
            .create_index(index("ix_deadlines_owed", "deadlines", &["owed_by_jurisdiction_id", "status", "due_at"]))
            .await?;
        manager.create_index(index("ix_deadlines_compact", "deadlines", &["compact_id", "status", "due_at"])).await?;
        manager.create_index(index("ix_deadlines_due", "deadlines", &["status", "due_at"])).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.drop_table(Table::drop().table(name(table)).to_owned()).await?;
        }
        Ok(())
    }
}
