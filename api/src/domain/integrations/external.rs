//! External references and integration service accounts.
//!
//! A state system (a WebEOC board, a state resource database) names records by its own ids. An external reference
//! is a `(system, externalId)` pair bound to one of our records: unique per system and record type, at most one per
//! record per system, and set only by that system's service account (or an administrator). Reference data the state
//! systems own (jurisdictions, resource types, inventory) can be upserted by reference.
//!
//! A service account is an `INTEGRATION` token that names a `system`. It reads what its compacts entitle it to, and
//! when it also names a jurisdiction that the directory authorizes the system for (an integration grant), it acts
//! for that jurisdiction as its representative would; every event it writes records the account, the jurisdiction
//! and the system.

use async_graphql::{Enum, ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{
    agreement, claim, compact, deployment, external_ref, incident, integration_grant, inventory_item, jurisdiction,
    jurisdiction_contact, membership, offer, resource_request, resource_type,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{
    agreements_visible_to, claims_visible_to, deployments_visible_to, ensure_admin, incidents_visible_to,
    inventory_visible_to, offers_visible_to, requests_visible_to,
};
use crate::domain::directory::{self, CreateJurisdictionInput, CreateResourceTypeInput, UpdateJurisdictionInput};
use crate::domain::enums::{JurisdictionKind, RecordType, ResourceKind, Role};
use crate::domain::events::{self, NewEvent};
use crate::domain::inventory::{self, SetInventoryInput};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The longest system name.
pub const SYSTEM_MAX: usize = 64;
/// The longest external id.
pub const EXTERNAL_ID_MAX: usize = 200;

/// Checks a system name: 1 to 64 lowercase letters, digits, `.`, `-` or `_`, starting with a letter or digit.
pub fn check_system(field: &str, system: &str) -> AppResult<String> {
    let valid = !system.is_empty()
        && system.len() <= SYSTEM_MAX
        && system.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && system.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(system.to_owned())
    } else {
        Err(AppError::bad_input(
            field,
            format!(
                "{field} must be 1 to {SYSTEM_MAX} lowercase letters, digits, '.', '-' or '_', starting with a letter \
                 or digit"
            ),
        ))
    }
}

/// Checks an external id: 1 to 200 characters, no control characters, no surrounding spaces.
pub fn check_external_id(field: &str, id: &str) -> AppResult<String> {
    if id.is_empty() || id.chars().count() > EXTERNAL_ID_MAX {
        return Err(AppError::bad_input(field, format!("{field} must be 1 to {EXTERNAL_ID_MAX} characters long")));
    }
    if id.trim() != id || id.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            field,
            format!("{field} may not hold control characters or surrounding spaces"),
        ));
    }
    Ok(id.to_owned())
}

/// The records an integration may mirror, and so name by its own ids.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExternalRecordType {
    /// A jurisdiction.
    Jurisdiction,
    /// A contact of a jurisdiction.
    JurisdictionContact,
    /// An authorized representative of a jurisdiction.
    AuthorizedRepresentative,
    /// A compact.
    Compact,
    /// A membership of a compact.
    Membership,
    /// An incident.
    Incident,
    /// A resource type of the catalog.
    ResourceType,
    /// A line of a jurisdiction's inventory.
    InventoryItem,
    /// A resource request.
    ResourceRequest,
    /// An offer.
    Offer,
    /// An agreement.
    Agreement,
    /// A deployment.
    Deployment,
    /// A reimbursement claim.
    Claim,
}

impl ExternalRecordType {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalRecordType::Jurisdiction => "JURISDICTION",
            ExternalRecordType::JurisdictionContact => "JURISDICTION_CONTACT",
            ExternalRecordType::AuthorizedRepresentative => "AUTHORIZED_REPRESENTATIVE",
            ExternalRecordType::Compact => "COMPACT",
            ExternalRecordType::Membership => "MEMBERSHIP",
            ExternalRecordType::Incident => "INCIDENT",
            ExternalRecordType::ResourceType => "RESOURCE_TYPE",
            ExternalRecordType::InventoryItem => "INVENTORY_ITEM",
            ExternalRecordType::ResourceRequest => "RESOURCE_REQUEST",
            ExternalRecordType::Offer => "OFFER",
            ExternalRecordType::Agreement => "AGREEMENT",
            ExternalRecordType::Deployment => "DEPLOYMENT",
            ExternalRecordType::Claim => "CLAIM",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        use ExternalRecordType::*;
        [
            Jurisdiction,
            JurisdictionContact,
            AuthorizedRepresentative,
            Compact,
            Membership,
            Incident,
            ResourceType,
            InventoryItem,
            ResourceRequest,
            Offer,
            Agreement,
            Deployment,
            Claim,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

/// Whether `viewer` may see the record: directory records (jurisdictions and their contacts and representatives,
/// compacts, memberships, resource types) are readable by every signed-in caller; the rest by their scoped rules.
pub async fn visible(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    record_type: ExternalRecordType,
    id: Uuid,
) -> AppResult<bool> {
    use ExternalRecordType as T;
    if !viewer.is_authenticated() {
        return Ok(false);
    }
    let found = match record_type {
        T::Jurisdiction => jurisdiction::Entity::find_by_id(id).count(db).await?,
        T::JurisdictionContact => jurisdiction_contact::Entity::find_by_id(id).count(db).await?,
        T::AuthorizedRepresentative => entities::authorized_representative::Entity::find_by_id(id).count(db).await?,
        T::Compact => compact::Entity::find_by_id(id).count(db).await?,
        T::Membership => membership::Entity::find_by_id(id).count(db).await?,
        T::ResourceType => resource_type::Entity::find_by_id(id).count(db).await?,
        T::Incident => incident::Entity::find_by_id(id).filter(incidents_visible_to(viewer)).count(db).await?,
        T::InventoryItem => {
            inventory_item::Entity::find_by_id(id).filter(inventory_visible_to(viewer)).count(db).await?
        }
        T::ResourceRequest => {
            resource_request::Entity::find_by_id(id).filter(requests_visible_to(viewer)).count(db).await?
        }
        T::Offer => offer::Entity::find_by_id(id).filter(offers_visible_to(viewer)).count(db).await?,
        T::Agreement => agreement::Entity::find_by_id(id).filter(agreements_visible_to(viewer)).count(db).await?,
        T::Deployment => deployment::Entity::find_by_id(id).filter(deployments_visible_to(viewer)).count(db).await?,
        T::Claim => claim::Entity::find_by_id(id).filter(claims_visible_to(viewer)).count(db).await?,
    };
    Ok(found > 0)
}

/// The system `viewer` sets references for: its own (a service account), or `asked` (an administrator, who may
/// set any system's). Anyone else is refused.
fn system_for(viewer: &Viewer, asked: Option<&str>) -> AppResult<String> {
    viewer.require_authenticated()?;
    let asked = asked.map(|s| check_system("system", s)).transpose()?;
    match (&viewer.system, asked) {
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(asked)) if *own == asked => Ok(asked),
        (Some(own), Some(_)) if !viewer.is_admin() => {
            Err(AppError::forbidden(format!("a service account of {own:?} sets only that system's references")))
        }
        (_, Some(asked)) if viewer.is_admin() => Ok(asked),
        (None, None) if viewer.is_admin() => Err(AppError::bad_input("system", "name the system")),
        _ => Err(AppError::forbidden(
            "only an integration's service account (a token naming its system) or an administrator sets external \
             references",
        )),
    }
}

/// The reference `(system, external_id)` of a record type, if one exists.
async fn named(
    db: &impl ConnectionTrait,
    system: &str,
    record_type: ExternalRecordType,
    external_id: &str,
) -> AppResult<Option<external_ref::Model>> {
    Ok(external_ref::Entity::find()
        .filter(external_ref::Column::System.eq(system))
        .filter(external_ref::Column::RecordType.eq(record_type.as_str()))
        .filter(external_ref::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

/// Binds `external_id` of `system` to a record in `txn`: replaces the record's earlier id in that system; refuses
/// an id that names another record of the type.
async fn bind(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    system: &str,
    record_type: ExternalRecordType,
    record_id: Uuid,
    external_id: &str,
) -> AppResult<external_ref::Model> {
    if let Some(taken) = named(txn, system, record_type, external_id).await? {
        if taken.record_id == record_id {
            return Ok(taken);
        }
        return Err(AppError::Conflict(format!(
            "{system} id {external_id:?} already names another {}",
            record_type.as_str().to_lowercase().replace('_', " ")
        )));
    }
    let existing = external_ref::Entity::find()
        .filter(external_ref::Column::System.eq(system))
        .filter(external_ref::Column::RecordType.eq(record_type.as_str()))
        .filter(external_ref::Column::RecordId.eq(record_id))
        .one(txn)
        .await?;
    let saved = match existing {
        Some(current) => {
            let mut active = current.into_active_model();
            active.external_id = Set(external_id.to_owned());
            active.created_at = Set(now);
            active.created_by = Set(viewer.subject.clone());
            active.update(txn).await
        }
        None => {
            external_ref::ActiveModel {
                id: sea_orm::NotSet,
                system: Set(system.to_owned()),
                record_type: Set(record_type.as_str().to_owned()),
                external_id: Set(external_id.to_owned()),
                record_id: Set(record_id),
                created_at: Set(now),
                created_by: Set(viewer.subject.clone()),
            }
            .insert(txn)
            .await
        }
    };
    saved.map_err(AppError::on_unique(format!("{system} id {external_id:?} was just bound to another record")))
}

/// Sets a record's external reference.
#[derive(Debug, InputObject)]
pub struct SetExternalRefInput {
    /// The record's type.
    pub record_type: ExternalRecordType,
    /// The record's `id`.
    pub record_id: ID,
    /// The system's id of the record: 1 to 200 characters, no control characters or surrounding spaces.
    pub external_id: String,
    /// The system: a service account's own when omitted; an administrator names it. 1 to 64 lowercase letters,
    /// digits, `.`, `-` or `_`.
    pub system: Option<String>,
}

/// The jurisdictions a record belongs to (either party, for the records of an agreement); none for the records of
/// the directory's own (compacts, memberships, resource types), which only administrators name.
async fn parties(db: &impl ConnectionTrait, record_type: ExternalRecordType, id: Uuid) -> AppResult<Vec<Uuid>> {
    use ExternalRecordType as T;
    let both = |r: Option<(Uuid, Uuid)>| r.map(|(a, b)| vec![a, b]).unwrap_or_default();
    Ok(match record_type {
        T::Jurisdiction => vec![id],
        T::JurisdictionContact => jurisdiction_contact::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| vec![r.jurisdiction_id])
            .unwrap_or_default(),
        T::AuthorizedRepresentative => entities::authorized_representative::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| vec![r.jurisdiction_id])
            .unwrap_or_default(),
        T::Incident => {
            incident::Entity::find_by_id(id).one(db).await?.map(|r| vec![r.jurisdiction_id]).unwrap_or_default()
        }
        T::InventoryItem => {
            inventory_item::Entity::find_by_id(id).one(db).await?.map(|r| vec![r.jurisdiction_id]).unwrap_or_default()
        }
        T::ResourceRequest => resource_request::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|r| vec![r.requesting_jurisdiction_id])
            .unwrap_or_default(),
        T::Offer => {
            offer::Entity::find_by_id(id).one(db).await?.map(|r| vec![r.assisting_jurisdiction_id]).unwrap_or_default()
        }
        T::Agreement => both(
            agreement::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| (r.requesting_jurisdiction_id, r.assisting_jurisdiction_id)),
        ),
        T::Deployment => both(
            deployment::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| (r.requesting_jurisdiction_id, r.assisting_jurisdiction_id)),
        ),
        T::Claim => both(
            claim::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|r| (r.requesting_jurisdiction_id, r.assisting_jurisdiction_id)),
        ),
        T::Compact | T::Membership | T::ResourceType => vec![],
    })
}

/// Sets (or replaces) the reference of one record in the caller's system. The record must be visible to the caller,
/// and the caller must act for a jurisdiction the record belongs to (a service account granted it), or administer:
/// a system names only what it could change.
pub async fn set_ref(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: SetExternalRefInput,
) -> AppResult<external_ref::Model> {
    let system = system_for(viewer, input.system.as_deref())?;
    let record_id = validate::id("recordId", &input.record_id)?;
    let external_id = check_external_id("externalId", &input.external_id)?;
    let txn = db.begin().await?;
    if !visible(&txn, viewer, input.record_type, record_id).await? {
        return Err(AppError::not_found(&input.record_type.as_str().to_lowercase().replace('_', " "), record_id));
    }
    if !viewer.is_admin() && !parties(&txn, input.record_type, record_id).await?.iter().any(|j| viewer.represents(*j)) {
        return Err(AppError::forbidden(
            "a service account names only the records of the jurisdictions the directory grants its system",
        ));
    }
    let saved = bind(&txn, viewer, now, &system, input.record_type, record_id, &external_id).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes a record's reference in the caller's system; returns whether there was one.
pub async fn remove_ref(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    system: Option<&str>,
    record_type: ExternalRecordType,
    external_id: &str,
) -> AppResult<bool> {
    let system = system_for(viewer, system)?;
    let external_id = check_external_id("externalId", external_id)?;
    let deleted = external_ref::Entity::delete_many()
        .filter(external_ref::Column::System.eq(system))
        .filter(external_ref::Column::RecordType.eq(record_type.as_str()))
        .filter(external_ref::Column::ExternalId.eq(external_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The record `(system, external_id)` names, if it exists and `viewer` may see it.
pub async fn find(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    system: &str,
    record_type: ExternalRecordType,
    external_id: &str,
) -> AppResult<Option<external_ref::Model>> {
    viewer.require_authenticated()?;
    let system = check_system("system", system)?;
    let external_id = check_external_id("externalId", external_id)?;
    let Some(found) = named(db, &system, record_type, &external_id).await? else {
        return Ok(None);
    };
    Ok(visible(db, viewer, record_type, found.record_id).await?.then_some(found))
}

/// The service account `viewer`, with the authority the directory gives it: when its token names a jurisdiction,
/// the system must hold a grant for it, and then the account acts for the jurisdiction as its representative does.
/// Other viewers are returned unchanged.
pub async fn admit_service_account(db: &impl ConnectionTrait, mut viewer: Viewer) -> AppResult<Viewer> {
    if viewer.system.is_none() || viewer.jurisdiction_id.is_none() {
        return Ok(viewer);
    }
    ensure_granted(db, &viewer).await?;
    viewer.roles.insert(Role::AuthorizedRepresentative);
    Ok(viewer)
}

/// `UNAUTHENTICATED` unless the directory authorizes the service account's system for the jurisdiction its token
/// names (checked on every request, so a revoked grant takes effect at once). Other viewers pass.
pub async fn ensure_granted(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<()> {
    let (Some(system), Some(jurisdiction_id)) = (&viewer.system, viewer.jurisdiction_id) else { return Ok(()) };
    let granted = integration_grant::Entity::find_by_id((system.clone(), jurisdiction_id)).count(db).await?;
    if granted == 0 {
        return Err(AppError::Unauthenticated(format!(
            "the directory does not authorize system {system:?} to act for the jurisdiction its token names"
        )));
    }
    Ok(())
}

/// Authorizes (or stops authorizing) a system to act for a jurisdiction. Administrators only.
#[derive(Debug, InputObject)]
pub struct IntegrationGrantInput {
    /// The system: 1 to 64 lowercase letters, digits, `.`, `-` or `_`.
    pub system: String,
    /// The jurisdiction.
    pub jurisdiction_id: ID,
}

/// Grants `system` the authority to act for a jurisdiction; an existing grant is kept.
pub async fn grant(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: IntegrationGrantInput,
) -> AppResult<integration_grant::Model> {
    ensure_admin(viewer)?;
    let system = check_system("system", &input.system)?;
    let jurisdiction_id = validate::id("jurisdictionId", &input.jurisdiction_id)?;
    let txn = events::begin(db).await?;
    if jurisdiction::Entity::find_by_id(jurisdiction_id).one(&txn).await?.is_none() {
        return Err(AppError::bad_input("jurisdictionId", "the jurisdiction does not exist"));
    }
    if let Some(existing) = integration_grant::Entity::find_by_id((system.clone(), jurisdiction_id)).one(&txn).await? {
        return Ok(existing);
    }
    let row = integration_grant::ActiveModel {
        system: Set(system.clone()),
        jurisdiction_id: Set(jurisdiction_id),
        granted_at: Set(now),
        granted_by: Set(viewer.subject.clone()),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, jurisdiction_id, "INTEGRATION_GRANTED")
            .concerning([jurisdiction_id])
            .payload(json!({ "system": system })),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Withdraws a grant; returns whether there was one. The system's tokens naming the jurisdiction stop working at
/// their next request.
pub async fn revoke(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: IntegrationGrantInput,
) -> AppResult<bool> {
    ensure_admin(viewer)?;
    let system = check_system("system", &input.system)?;
    let jurisdiction_id = validate::id("jurisdictionId", &input.jurisdiction_id)?;
    let txn = events::begin(db).await?;
    let deleted = integration_grant::Entity::delete_by_id((system.clone(), jurisdiction_id)).exec(&txn).await?;
    if deleted.rows_affected > 0 {
        events::append(
            &txn,
            viewer,
            now,
            NewEvent::new(RecordType::Jurisdiction, jurisdiction_id, "INTEGRATION_REVOKED")
                .concerning([jurisdiction_id])
                .payload(json!({ "system": system })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(deleted.rows_affected > 0)
}

/// The reference an upsert is keyed by.
#[derive(Debug, InputObject)]
pub struct ExternalKeyInput {
    /// The system's id of the record: 1 to 200 characters.
    pub external_id: String,
    /// The system: a service account's own when omitted; an administrator names it. At most 64 characters.
    pub system: Option<String>,
}

/// The record an upsert keyed by `key` is about, if the system already names one.
async fn keyed(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    key: &ExternalKeyInput,
    record_type: ExternalRecordType,
) -> AppResult<(String, String, Option<Uuid>)> {
    let system = system_for(viewer, key.system.as_deref())?;
    let external_id = check_external_id("key.externalId", &key.external_id)?;
    let found = named(txn, &system, record_type, &external_id).await?;
    Ok((system, external_id, found.map(|r| r.record_id)))
}

/// A jurisdiction as a state system holds it.
#[derive(Debug, InputObject)]
pub struct UpsertJurisdictionInput {
    /// The reference the upsert is keyed by.
    pub key: ExternalKeyInput,
    /// Official name; at most 200 characters.
    pub name: String,
    /// What kind of government it is.
    pub kind: JurisdictionKind,
    /// The enclosing jurisdiction.
    pub parent_id: Option<ID>,
    /// Planning region; at most 200 characters.
    pub region: Option<String>,
    /// Two-letter state code.
    pub state_code: Option<String>,
    /// Latitude in degrees (-90 to 90).
    pub latitude: Option<f64>,
    /// Longitude in degrees (-180 to 180).
    pub longitude: Option<f64>,
}

/// Creates or updates the jurisdiction the key names; returns it and whether it was created. Administrators (or a
/// service account whose token also holds `ADMIN`) only, as for any directory change.
pub async fn upsert_jurisdiction(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpsertJurisdictionInput,
) -> AppResult<(jurisdiction::Model, bool)> {
    ensure_admin(viewer)?;
    let txn = events::begin(db).await?;
    let (system, external_id, found) = keyed(&txn, viewer, &input.key, ExternalRecordType::Jurisdiction).await?;
    let (row, created) = match found {
        Some(id) => {
            let update = UpdateJurisdictionInput {
                id: ID(id.to_string()),
                expected_version: None,
                name: Some(input.name),
                kind: Some(input.kind),
                parent_id: Some(input.parent_id).into(),
                region: Some(input.region).into(),
                state_code: Some(input.state_code).into(),
                latitude: Some(input.latitude).into(),
                longitude: Some(input.longitude).into(),
            };
            (directory::update_jurisdiction(&txn, viewer, now, update).await?, false)
        }
        None => {
            let create = CreateJurisdictionInput {
                name: input.name,
                kind: input.kind,
                parent_id: input.parent_id,
                region: input.region,
                state_code: input.state_code,
                latitude: input.latitude,
                longitude: input.longitude,
                contacts: vec![],
                representatives: vec![],
            };
            (directory::create_jurisdiction(&txn, viewer, now, create).await?, true)
        }
    };
    bind(&txn, viewer, now, &system, ExternalRecordType::Jurisdiction, row.id, &external_id).await?;
    txn.commit().await?;
    Ok((row, created))
}

/// A resource type as a state system holds it.
#[derive(Debug, InputObject)]
pub struct UpsertResourceTypeInput {
    /// The reference the upsert is keyed by.
    pub key: ExternalKeyInput,
    /// Category (for example "Fire/Hazardous Materials"); at most 200 characters.
    pub category: String,
    /// Broad kind.
    pub kind: ResourceKind,
    /// Name; at most 200 characters.
    pub name: String,
    /// NIMS type level, 1 (most capable) to 6.
    pub type_level: Option<i32>,
    /// Description; at most 4,000 characters.
    pub description: Option<String>,
}

/// Creates or updates the resource type the key names; returns it and whether it was created. Administrators only.
pub async fn upsert_resource_type(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpsertResourceTypeInput,
) -> AppResult<(resource_type::Model, bool)> {
    ensure_admin(viewer)?;
    let txn = events::begin(db).await?;
    let (system, external_id, found) = keyed(&txn, viewer, &input.key, ExternalRecordType::ResourceType).await?;
    let (row, created) = match found {
        Some(id) => {
            let row = directory::update_resource_type(
                &txn,
                viewer,
                now,
                id,
                CreateResourceTypeInput {
                    category: input.category,
                    kind: input.kind,
                    name: input.name,
                    type_level: input.type_level,
                    external_id: None,
                    description: input.description,
                },
            )
            .await?;
            (row, false)
        }
        None => {
            let create = CreateResourceTypeInput {
                category: input.category,
                kind: input.kind,
                name: input.name,
                type_level: input.type_level,
                external_id: None,
                description: input.description,
            };
            (directory::create_resource_type(&txn, viewer, now, create).await?, true)
        }
    };
    bind(&txn, viewer, now, &system, ExternalRecordType::ResourceType, row.id, &external_id).await?;
    txn.commit().await?;
    Ok((row, created))
}

/// A line of inventory as a state system holds it.
#[derive(Debug, InputObject)]
pub struct UpsertInventoryInput {
    /// The reference the upsert is keyed by.
    pub key: ExternalKeyInput,
    /// The holding jurisdiction; the one the caller acts for when omitted. Ignored when the key already names a
    /// line (the line keeps its holder).
    pub jurisdiction_id: Option<ID>,
    /// The resource type, by our id.
    pub resource_type_id: Option<ID>,
    /// The resource type, by the same system's id (instead of `resourceTypeId`); at most 200 characters.
    pub resource_type_external_id: Option<String>,
    /// How many are held (0 to 100,000).
    pub quantity_held: i32,
    /// How many are available to share (0 to `quantityHeld`).
    pub quantity_available: i32,
    /// Notes for the holder and the compact's coordinators; at most 2,000 characters.
    pub notes: Option<String>,
}

/// Sets the inventory line the key names (or the holder's line of the type, binding the key to it); returns the
/// line and whether it was created. Only who may set the holder's inventory may do this.
pub async fn upsert_inventory(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpsertInventoryInput,
) -> AppResult<(inventory_item::Model, bool)> {
    viewer.require_authenticated()?;
    let txn = events::begin(db).await?;
    let (system, external_id, found) = keyed(&txn, viewer, &input.key, ExternalRecordType::InventoryItem).await?;
    let named_type = match (&input.resource_type_id, &input.resource_type_external_id) {
        (Some(id), None) => Some(validate::id("resourceTypeId", id)?),
        (None, Some(external)) => {
            let external = check_external_id("resourceTypeExternalId", external)?;
            let bound = named(&txn, &system, ExternalRecordType::ResourceType, &external).await?.ok_or_else(|| {
                AppError::bad_input("resourceTypeExternalId", format!("no resource type has this {system} id"))
            })?;
            Some(bound.record_id)
        }
        (Some(_), Some(_)) => {
            return Err(AppError::bad_input(
                "resourceTypeExternalId",
                "name the resource type once: resourceTypeId or resourceTypeExternalId",
            ));
        }
        (None, None) => None,
    };
    let existing = match found {
        Some(id) => inventory_item::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let (holder, type_id) = match &existing {
        Some(line) => {
            if named_type.is_some_and(|t| t != line.resource_type_id) {
                return Err(AppError::bad_input(
                    "resourceTypeId",
                    "the key names a line of another resource type; a line keeps its type",
                ));
            }
            (Some(line.jurisdiction_id), line.resource_type_id)
        }
        None => (
            input.jurisdiction_id.as_ref().map(|id| validate::id("jurisdictionId", id)).transpose()?,
            named_type.ok_or_else(|| AppError::bad_input("resourceTypeId", "name the resource type of a new line"))?,
        ),
    };
    let holder_id = holder.or(viewer.jurisdiction_id);
    let created = match (&existing, holder_id) {
        (Some(_), _) => false,
        (None, Some(holder_id)) => {
            inventory_item::Entity::find()
                .filter(inventory_item::Column::JurisdictionId.eq(holder_id))
                .filter(inventory_item::Column::ResourceTypeId.eq(type_id))
                .count(&txn)
                .await?
                == 0
        }
        (None, None) => true,
    };
    let row = inventory::set(
        &txn,
        viewer,
        now,
        SetInventoryInput {
            jurisdiction_id: holder.map(|h| ID(h.to_string())),
            resource_type_id: ID(type_id.to_string()),
            quantity_held: input.quantity_held,
            quantity_available: input.quantity_available,
            notes: input.notes,
            expected_version: None,
        },
    )
    .await?;
    bind(&txn, viewer, now, &system, ExternalRecordType::InventoryItem, row.id, &external_id).await?;
    txn.commit().await?;
    Ok((row, created))
}

/// A point of contact as a state system holds it.
#[derive(Debug, InputObject)]
pub struct UpsertContactInput {
    /// The reference the upsert is keyed by.
    pub key: ExternalKeyInput,
    /// The jurisdiction of a new contact (a contact keeps its jurisdiction).
    pub jurisdiction_id: ID,
    /// The contact.
    pub contact: directory::ContactInput,
}

/// Creates or updates the contact the key names; returns it and whether it was created. Administrators only.
pub async fn upsert_contact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpsertContactInput,
) -> AppResult<(jurisdiction_contact::Model, bool)> {
    ensure_admin(viewer)?;
    let txn = events::begin(db).await?;
    let (system, external_id, found) = keyed(&txn, viewer, &input.key, ExternalRecordType::JurisdictionContact).await?;
    let existing = match found {
        Some(id) => jurisdiction_contact::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let (row, created) = match existing {
        Some(current) => (directory::update_contact(&txn, viewer, now, current.id, &input.contact).await?, false),
        None => (directory::add_contact(&txn, viewer, now, &input.jurisdiction_id, input.contact).await?, true),
    };
    bind(&txn, viewer, now, &system, ExternalRecordType::JurisdictionContact, row.id, &external_id).await?;
    txn.commit().await?;
    Ok((row, created))
}

/// An incident as a state system holds it.
#[derive(Debug, InputObject)]
pub struct UpsertIncidentInput {
    /// The reference the upsert is keyed by.
    pub key: ExternalKeyInput,
    /// The incident. Once declared, only its name, description, place and position change; its kind, jurisdiction,
    /// compact and declaration stay.
    pub incident: crate::domain::incidents::DeclareIncidentInput,
}

/// Declares the incident the key names, or updates its details; returns it and whether it was declared. Who may
/// declare it (its jurisdiction's representative, a service account granted the jurisdiction, the compact's
/// coordinator) may do this.
pub async fn upsert_incident(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpsertIncidentInput,
) -> AppResult<(incident::Model, bool)> {
    viewer.require_authenticated()?;
    let txn = events::begin(db).await?;
    let (system, external_id, found) = keyed(&txn, viewer, &input.key, ExternalRecordType::Incident).await?;
    let (row, created) = match found {
        Some(id) => (crate::domain::incidents::update_details(&txn, viewer, now, id, &input.incident).await?, false),
        None => (crate::domain::incidents::declare(&txn, viewer, now, input.incident).await?, true),
    };
    bind(&txn, viewer, now, &system, ExternalRecordType::Incident, row.id, &external_id).await?;
    txn.commit().await?;
    Ok((row, created))
}

/// The references of records, grouped by record id.
pub async fn refs_of(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, Vec<external_ref::Model>>> {
    use sea_orm::QueryOrder;
    let rows = external_ref::Entity::find()
        .filter(external_ref::Column::RecordId.is_in(ids.iter().copied()))
        .order_by_asc(external_ref::Column::System)
        .all(db)
        .await?;
    let mut grouped: std::collections::HashMap<Uuid, Vec<external_ref::Model>> = Default::default();
    for row in rows {
        grouped.entry(row.record_id).or_default().push(row);
    }
    Ok(grouped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_names_and_external_ids_are_bounded() {
        for good in ["ut-webeoc", "tx.tdem_2", "9"] {
            assert!(check_system("system", good).is_ok(), "{good}");
        }
        for bad in ["", "UT", "-x", "has space", "é", &"a".repeat(SYSTEM_MAX + 1)] {
            assert_eq!(check_system("system", bad).unwrap_err().code(), "BAD_USER_INPUT", "{bad:?}");
        }
        assert!(check_external_id("externalId", "RES-0042/a b").is_ok());
        assert!(check_external_id("externalId", &"é".repeat(EXTERNAL_ID_MAX)).is_ok());
        for bad in ["", " x", "x ", "a\nb", &"x".repeat(EXTERNAL_ID_MAX + 1)] {
            assert_eq!(check_external_id("externalId", bad).unwrap_err().code(), "BAD_USER_INPUT", "{bad:?}");
        }
    }

    #[test]
    fn record_type_names_round_trip() {
        for t in [ExternalRecordType::Jurisdiction, ExternalRecordType::InventoryItem, ExternalRecordType::Claim] {
            assert_eq!(ExternalRecordType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ExternalRecordType::parse("EVENT"), None);
    }
}
