//! External references, integration grants and upserts by reference: how a state system names our records by its
//! own ids, finds them again, and pushes the reference data it owns.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entities::external_ref;

use crate::domain::enums::Role;
use crate::domain::external::{
    self, ExternalRecordType, IntegrationGrantInput, SetExternalRefInput, UpsertContactInput, UpsertIncidentInput,
    UpsertInventoryInput, UpsertJurisdictionInput, UpsertResourceTypeInput,
};
use crate::graphql::loaders::ExternalRefsOf;
use crate::graphql::missions::InventoryItem;
use crate::graphql::node::{Node, NodeType, global_id};
use crate::graphql::types::{Contact, Incident, Jurisdiction, ResourceType, loaders};
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::DateTime;

/// An id a state system gives one of our records.
pub struct ExternalRef(pub external_ref::Model);

/// An id a state system gives one of our records: unique per system and record type, at most one per record per
/// system.
#[Object]
impl ExternalRef {
    /// The system (`ut-webeoc`).
    async fn system(&self) -> &str {
        &self.0.system
    }

    /// The system's id of the record.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }

    /// The record's type.
    async fn record_type(&self) -> Option<ExternalRecordType> {
        ExternalRecordType::parse(&self.0.record_type)
    }

    /// The record's `id`.
    async fn record_id(&self) -> ID {
        ID(self.0.record_id.to_string())
    }

    /// The record's global id, for `node(id:)`, when its type has one.
    async fn record_node_id(&self) -> Option<ID> {
        node_type(&self.0.record_type).map(|kind| global_id(kind, self.0.record_id))
    }

    /// When it was set.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// Who set it (a service account's or an administrator's subject).
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
}

fn node_type(record_type: &str) -> Option<NodeType> {
    Some(match ExternalRecordType::parse(record_type)? {
        ExternalRecordType::Jurisdiction => NodeType::Jurisdiction,
        ExternalRecordType::Compact => NodeType::Compact,
        ExternalRecordType::Membership => NodeType::Membership,
        ExternalRecordType::Incident => NodeType::Incident,
        ExternalRecordType::ResourceType => NodeType::ResourceType,
        ExternalRecordType::ResourceRequest => NodeType::ResourceRequest,
        ExternalRecordType::Offer => NodeType::Offer,
        ExternalRecordType::Agreement => NodeType::Agreement,
        ExternalRecordType::Deployment => NodeType::Deployment,
        ExternalRecordType::Claim => NodeType::Claim,
        ExternalRecordType::JurisdictionContact
        | ExternalRecordType::AuthorizedRepresentative
        | ExternalRecordType::InventoryItem => return None,
    })
}

/// The `externalRefs` field of a record the caller can already see.
pub async fn refs(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Vec<ExternalRef>> {
    Ok(loaders(ctx).load_one(ExternalRefsOf(id)).await?.unwrap_or_default().into_iter().map(ExternalRef).collect())
}

/// What an external reference names.
#[derive(SimpleObject)]
pub struct ExternalRefLookup {
    /// The reference.
    pub external_ref: ExternalRef,
    /// The record; null when its type has no global id (inventory lines, contacts and representatives are reached
    /// through their jurisdiction, by `externalRef.recordId`).
    pub node: Option<Node>,
}

/// Lookups by external reference.
#[derive(Default)]
pub struct ExternalQuery;

#[Object]
impl ExternalQuery {
    /// The record a system's id names, if the caller may see it (null otherwise, as for `node`).
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn external_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The system; 1 to 64 lowercase letters, digits, '.', '-' or '_'.")] system: String,
        #[graphql(desc = "The record's type.")] record_type: ExternalRecordType,
        #[graphql(desc = "The system's id of the record; 1 to 200 characters.")] external_id: String,
    ) -> Result<Option<ExternalRefLookup>> {
        let Some(found) = external::find(db(ctx), viewer(ctx), &system, record_type, &external_id).await? else {
            return Ok(None);
        };
        let node = match node_type(&found.record_type) {
            Some(kind) => crate::graphql::node::load(ctx, kind, found.record_id).await?,
            None => None,
        };
        Ok(Some(ExternalRefLookup { external_ref: ExternalRef(found), node }))
    }
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct UpsertJurisdictionPayload {
    /// The jurisdiction.
    pub jurisdiction: Jurisdiction,
    /// Whether it was created (false: updated).
    pub created: bool,
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct UpsertResourceTypePayload {
    /// The resource type.
    pub resource_type: ResourceType,
    /// Whether it was created (false: updated).
    pub created: bool,
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct UpsertInventoryPayload {
    /// The inventory line.
    pub inventory_item: InventoryItem,
    /// Whether it was created (false: updated).
    pub created: bool,
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct UpsertContactPayload {
    /// The contact.
    pub contact: Contact,
    /// Whether it was created (false: updated).
    pub created: bool,
}

/// The result of an upsert.
#[derive(SimpleObject)]
pub struct UpsertIncidentPayload {
    /// The incident.
    pub incident: Incident,
    /// Whether it was declared (false: its details were updated).
    pub created: bool,
}

/// The result of `setExternalRef`.
#[derive(SimpleObject)]
pub struct ExternalRefPayload {
    /// The reference as stored.
    pub external_ref: ExternalRef,
}

/// The result of a grant.
#[derive(SimpleObject)]
pub struct IntegrationGrantPayload {
    /// The system.
    pub system: String,
    /// The jurisdiction it may act for.
    pub jurisdiction_id: ID,
    /// Whether the grant exists after the change.
    pub granted: bool,
}

/// Writes by external reference.
#[derive(Default)]
pub struct ExternalMutation;

#[Object]
impl ExternalMutation {
    /// Binds the caller's system id to a record it may see (replacing the record's earlier id in that system).
    /// Service accounts set their own system's references; administrators any system's. `CONFLICT` if the id names
    /// another record of the type.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn set_external_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: SetExternalRefInput,
    ) -> Result<ExternalRefPayload> {
        let row = external::set_ref(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(ExternalRefPayload { external_ref: ExternalRef(row) })
    }

    /// Removes a reference of the caller's system; true if there was one.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn remove_external_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's type.")] record_type: ExternalRecordType,
        #[graphql(desc = "The system's id; 1 to 200 characters.")] external_id: String,
        #[graphql(desc = "The system (administrators); a service account's own when omitted. At most 64 characters.")]
        system: Option<String>,
    ) -> Result<bool> {
        Ok(external::remove_ref(db(ctx), viewer(ctx), system.as_deref(), record_type, &external_id).await?)
    }

    /// Authorizes a system's service accounts to act for a jurisdiction (as its representative would). Administrators
    /// only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn grant_integration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: IntegrationGrantInput,
    ) -> Result<IntegrationGrantPayload> {
        let row = external::grant(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(IntegrationGrantPayload {
            system: row.system,
            jurisdiction_id: ID(row.jurisdiction_id.to_string()),
            granted: true,
        })
    }

    /// Withdraws a grant; the system's tokens naming the jurisdiction stop working at their next request.
    /// Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn revoke_integration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: IntegrationGrantInput,
    ) -> Result<IntegrationGrantPayload> {
        let (system, jurisdiction_id) = (input.system.clone(), input.jurisdiction_id.clone());
        external::revoke(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(IntegrationGrantPayload { system, jurisdiction_id, granted: false })
    }

    /// Creates or updates the jurisdiction a system's id names. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn upsert_jurisdiction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpsertJurisdictionInput,
    ) -> Result<UpsertJurisdictionPayload> {
        let (row, created) = external::upsert_jurisdiction(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(UpsertJurisdictionPayload { jurisdiction: Jurisdiction(row), created })
    }

    /// Creates or updates the resource type a system's id names. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn upsert_resource_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpsertResourceTypeInput,
    ) -> Result<UpsertResourceTypePayload> {
        let (row, created) =
            external::upsert_resource_type(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(UpsertResourceTypePayload { resource_type: ResourceType(row), created })
    }

    /// Creates or updates the point of contact a system's id names. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn upsert_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpsertContactInput,
    ) -> Result<UpsertContactPayload> {
        let (row, created) = external::upsert_contact(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(UpsertContactPayload { contact: Contact(row), created })
    }

    /// Declares the incident a system's id names, or updates its name, description and place. Who may declare it
    /// may do this.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn upsert_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpsertIncidentInput,
    ) -> Result<UpsertIncidentPayload> {
        let (row, created) = external::upsert_incident(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(UpsertIncidentPayload { incident: Incident(row), created })
    }

    /// Sets the inventory line a system's id names (or the holder's line of the type, binding the id to it). Who may
    /// set the holder's inventory may do this: its representative, a service account granted the jurisdiction, an
    /// administrator.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn upsert_inventory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpsertInventoryInput,
    ) -> Result<UpsertInventoryPayload> {
        let (row, created) = external::upsert_inventory(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(UpsertInventoryPayload { inventory_item: InventoryItem(row), created })
    }
}
