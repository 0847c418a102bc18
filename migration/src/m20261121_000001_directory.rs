//! The directory (jurisdictions, contacts, representatives, compacts, memberships, incidents, resource types) and
//! the event log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jurisdictions {
    Table,
    Id,
    Name,
    Kind,
    ParentId,
    Region,
    StateCode,
    Latitude,
    Longitude,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum JurisdictionContacts {
    Table,
    Id,
    JurisdictionId,
    Kind,
    Name,
    Title,
    Phone,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthorizedRepresentatives {
    Table,
    Id,
    JurisdictionId,
    Subject,
    Name,
    Title,
    Phone,
    Email,
    Designee,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Compacts {
    Table,
    Id,
    Name,
    ShortName,
    Kind,
    Authority,
    Description,
    CoordinatingJurisdictionId,
    MissionNumbersRequired,
    WrittenDeclarationAfterOralHours,
    WrittenRequestAfterVerbalHours,
    WrittenAgreementAfterVerbalHours,
    RecallNoticeHours,
    AfterActionReportDays,
    NoticeOfIntentDays,
    RequestPackageDays,
    PaymentDays,
    PaymentClock,
    DisputeNegotiationDays,
    DisputeEscalationAfterDays,
    DisputeEscalationWindowDays,
    HearingScheduleDays,
    DecisionDays,
    CommitteeQuorum,
    WaiverDays,
    WaiverItemized,
    WaiverCopyToCoordinator,
    MissedDeadlineForfeits,
    MembershipTerminationNoticeDays,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    CompactId,
    JurisdictionId,
    JoinedOn,
    AuthorizingResolution,
    Status,
    TerminationNoticedAt,
    TerminationEffectiveAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    Name,
    Kind,
    Status,
    JurisdictionId,
    CompactId,
    Description,
    LocationDescription,
    Latitude,
    Longitude,
    DeclaredAt,
    DeclarationForm,
    WrittenDeclarationDueAt,
    WrittenDeclarationAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum ResourceTypes {
    Table,
    Id,
    Category,
    Kind,
    Name,
    TypeLevel,
    ExternalId,
    Description,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OccurredAt,
    ActorSubject,
    ActorName,
    ActorJurisdictionId,
    RecordType,
    RecordId,
    Action,
    FromStatus,
    ToStatus,
    CompactId,
    Payload,
}

#[derive(DeriveIden)]
enum EventJurisdictions {
    Table,
    EventId,
    JurisdictionId,
}

fn index(name: &str, table: impl IntoIden + 'static, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(Alias::new(*column));
    }
    stmt.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jurisdictions::Table)
                    .col(uuid(Jurisdictions::Id).primary_key())
                    .col(string(Jurisdictions::Name))
                    .col(string_len(Jurisdictions::Kind, 32))
                    .col(uuid_null(Jurisdictions::ParentId))
                    .col(string_null(Jurisdictions::Region))
                    .col(string_len_null(Jurisdictions::StateCode, 8))
                    .col(double_null(Jurisdictions::Latitude))
                    .col(double_null(Jurisdictions::Longitude))
                    .col(timestamp_with_time_zone(Jurisdictions::CreatedAt))
                    .col(timestamp_with_time_zone(Jurisdictions::UpdatedAt))
                    .col(integer(Jurisdictions::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jurisdictions_parent")
                            .from(Jurisdictions::Table, Jurisdictions::ParentId)
                            .to(Jurisdictions::Table, Jurisdictions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_jurisdictions_name")
                    .table(Jurisdictions::Table)
                    .col(Jurisdictions::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_jurisdictions_parent", Jurisdictions::Table, &["parent_id"])).await?;
        manager.create_index(index("ix_jurisdictions_kind", Jurisdictions::Table, &["kind"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(JurisdictionContacts::Table)
                    .col(uuid(JurisdictionContacts::Id).primary_key())
                    .col(uuid(JurisdictionContacts::JurisdictionId))
                    .col(string_len(JurisdictionContacts::Kind, 32))
                    .col(string(JurisdictionContacts::Name))
                    .col(string_null(JurisdictionContacts::Title))
                    .col(string_null(JurisdictionContacts::Phone))
                    .col(string_null(JurisdictionContacts::Email))
                    .col(timestamp_with_time_zone(JurisdictionContacts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_contacts_jurisdiction")
                            .from(JurisdictionContacts::Table, JurisdictionContacts::JurisdictionId)
                            .to(Jurisdictions::Table, Jurisdictions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_contacts_jurisdiction", JurisdictionContacts::Table, &["jurisdiction_id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuthorizedRepresentatives::Table)
                    .col(uuid(AuthorizedRepresentatives::Id).primary_key())
                    .col(uuid(AuthorizedRepresentatives::JurisdictionId))
                    .col(string_null(AuthorizedRepresentatives::Subject))
                    .col(string(AuthorizedRepresentatives::Name))
                    .col(string_null(AuthorizedRepresentatives::Title))
                    .col(string_null(AuthorizedRepresentatives::Phone))
                    .col(string_null(AuthorizedRepresentatives::Email))
                    .col(boolean(AuthorizedRepresentatives::Designee).default(false))
                    .col(boolean(AuthorizedRepresentatives::Active).default(true))
                    .col(timestamp_with_time_zone(AuthorizedRepresentatives::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_representatives_jurisdiction")
                            .from(AuthorizedRepresentatives::Table, AuthorizedRepresentatives::JurisdictionId)
                            .to(Jurisdictions::Table, Jurisdictions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_representatives_jurisdiction",
                AuthorizedRepresentatives::Table,
                &["jurisdiction_id"],
            ))
            .await?;
        manager
            .create_index(index("ix_representatives_subject", AuthorizedRepresentatives::Table, &["subject"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Compacts::Table)
                    .col(uuid(Compacts::Id).primary_key())
                    .col(string(Compacts::Name))
                    .col(string(Compacts::ShortName))
                    .col(string_len(Compacts::Kind, 32))
                    .col(text(Compacts::Authority))
                    .col(text_null(Compacts::Description))
                    .col(uuid_null(Compacts::CoordinatingJurisdictionId))
                    .col(boolean(Compacts::MissionNumbersRequired).default(false))
                    .col(integer_null(Compacts::WrittenDeclarationAfterOralHours))
                    .col(integer_null(Compacts::WrittenRequestAfterVerbalHours))
                    .col(integer_null(Compacts::WrittenAgreementAfterVerbalHours))
                    .col(integer_null(Compacts::RecallNoticeHours))
                    .col(integer_null(Compacts::AfterActionReportDays))
                    .col(integer_null(Compacts::NoticeOfIntentDays))
                    .col(integer_null(Compacts::RequestPackageDays))
                    .col(integer_null(Compacts::PaymentDays))
                    .col(string_len_null(Compacts::PaymentClock, 32))
                    .col(integer_null(Compacts::DisputeNegotiationDays))
                    .col(integer_null(Compacts::DisputeEscalationAfterDays))
                    .col(integer_null(Compacts::DisputeEscalationWindowDays))
                    .col(integer_null(Compacts::HearingScheduleDays))
                    .col(integer_null(Compacts::DecisionDays))
                    .col(integer_null(Compacts::CommitteeQuorum))
                    .col(integer_null(Compacts::WaiverDays))
                    .col(boolean(Compacts::WaiverItemized).default(false))
                    .col(boolean(Compacts::WaiverCopyToCoordinator).default(false))
                    .col(boolean(Compacts::MissedDeadlineForfeits).default(false))
                    .col(integer_null(Compacts::MembershipTerminationNoticeDays))
                    .col(timestamp_with_time_zone(Compacts::CreatedAt))
                    .col(timestamp_with_time_zone(Compacts::UpdatedAt))
                    .col(integer(Compacts::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_compacts_coordinator")
                            .from(Compacts::Table, Compacts::CoordinatingJurisdictionId)
                            .to(Jurisdictions::Table, Jurisdictions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ux_compacts_name").table(Compacts::Table).col(Compacts::Name).unique().to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_compacts_short_name")
                    .table(Compacts::Table)
                    .col(Compacts::ShortName)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid(Memberships::Id).primary_key())
                    .col(uuid(Memberships::CompactId))
                    .col(uuid(Memberships::JurisdictionId))
                    .col(date(Memberships::JoinedOn))
                    .col(string_null(Memberships::AuthorizingResolution))
                    .col(string_len(Memberships::Status, 32))
                    .col(timestamp_with_time_zone_null(Memberships::TerminationNoticedAt))
                    .col(timestamp_with_time_zone_null(Memberships::TerminationEffectiveAt))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .col(timestamp_with_time_zone(Memberships::UpdatedAt))
                    .col(integer(Memberships::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_compact")
                            .from(Memberships::Table, Memberships::CompactId)
                            .to(Compacts::Table, Compacts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_memberships_jurisdiction")
                            .from(Memberships::Table, Memberships::JurisdictionId)
                            .to(Jurisdictions::Table, Jurisdictions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_memberships_compact_jurisdiction")
                    .table(Memberships::Table)
                    .col(Memberships::CompactId)
                    .col(Memberships::JurisdictionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_memberships_jurisdiction", Memberships::Table, &["jurisdiction_id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(Incidents::Table)
                    .col(uuid(Incidents::Id).primary_key())
                    .col(string(Incidents::Name))
                    .col(string_len(Incidents::Kind, 32))
                    .col(string_len(Incidents::Status, 32))
                    .col(uuid(Incidents::JurisdictionId))
                    .col(uuid_null(Incidents::CompactId))
                    .col(text_null(Incidents::Description))
                    .col(text_null(Incidents::LocationDescription))
                    .col(double_null(Incidents::Latitude))
                    .col(double_null(Incidents::Longitude))
                    .col(timestamp_with_time_zone(Incidents::DeclaredAt))
                    .col(string_len(Incidents::DeclarationForm, 16))
                    .col(timestamp_with_time_zone_null(Incidents::WrittenDeclarationDueAt))
                    .col(timestamp_with_time_zone_null(Incidents::WrittenDeclarationAt))
                    .col(timestamp_with_time_zone(Incidents::CreatedAt))
                    .col(timestamp_with_time_zone(Incidents::UpdatedAt))
                    .col(integer(Incidents::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incidents_jurisdiction")
                            .from(Incidents::Table, Incidents::JurisdictionId)
                            .to(Jurisdictions::Table, Jurisdictions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_incidents_compact")
                            .from(Incidents::Table, Incidents::CompactId)
                            .to(Compacts::Table, Compacts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_incidents_jurisdiction", Incidents::Table, &["jurisdiction_id"])).await?;
        manager.create_index(index("ix_incidents_compact", Incidents::Table, &["compact_id"])).await?;
        manager.create_index(index("ix_incidents_declared_at", Incidents::Table, &["declared_at"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(ResourceTypes::Table)
                    .col(uuid(ResourceTypes::Id).primary_key())
                    .col(string(ResourceTypes::Category))
                    .col(string_len(ResourceTypes::Kind, 32))
                    .col(string(ResourceTypes::Name))
                    .col(integer_null(ResourceTypes::TypeLevel))
                    .col(string_null(ResourceTypes::ExternalId))
                    .col(text_null(ResourceTypes::Description))
                    .col(timestamp_with_time_zone(ResourceTypes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_resource_types_name_level")
                    .table(ResourceTypes::Table)
                    .col(ResourceTypes::Name)
                    .col(ResourceTypes::TypeLevel)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_resource_types_category", ResourceTypes::Table, &["category"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_integer(Events::Id).auto_increment().primary_key())
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(string(Events::ActorSubject))
                    .col(string_null(Events::ActorName))
                    .col(uuid_null(Events::ActorJurisdictionId))
                    .col(string_len(Events::RecordType, 48))
                    .col(uuid(Events::RecordId))
                    .col(string_len(Events::Action, 64))
                    .col(string_len_null(Events::FromStatus, 32))
                    .col(string_len_null(Events::ToStatus, 32))
                    .col(uuid_null(Events::CompactId))
                    .col(json(Events::Payload))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("ix_events_record", Events::Table, &["record_id", "id"])).await?;
        manager.create_index(index("ix_events_compact", Events::Table, &["compact_id", "id"])).await?;

        manager
            .create_table(
                Table::create()
                    .table(EventJurisdictions::Table)
                    .col(big_integer(EventJurisdictions::EventId))
                    .col(uuid(EventJurisdictions::JurisdictionId))
                    .primary_key(
                        Index::create().col(EventJurisdictions::EventId).col(EventJurisdictions::JurisdictionId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_jurisdictions_event")
                            .from(EventJurisdictions::Table, EventJurisdictions::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_event_jurisdictions_jurisdiction",
                EventJurisdictions::Table,
                &["jurisdiction_id", "event_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EventJurisdictions::Table.into_iden(),
            Events::Table.into_iden(),
            ResourceTypes::Table.into_iden(),
            Incidents::Table.into_iden(),
            Memberships::Table.into_iden(),
            Compacts::Table.into_iden(),
            AuthorizedRepresentatives::Table.into_iden(),
            JurisdictionContacts::Table.into_iden(),
            Jurisdictions::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
