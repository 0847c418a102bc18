//! The directory: jurisdictions with their contacts and representatives, compacts with their policy,
//! memberships, and the resource-type catalog. Changed by administrators (a member gives its own termination
//! notice); read by every authenticated caller.

pub mod inventory;
pub mod policy;

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::{DateTime, Duration, Utc};
use entities::{authorized_representative, compact, jurisdiction, jurisdiction_contact, membership, resource_type};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{ensure_acts_for, ensure_admin};
use crate::domain::enums::{CompactKind, ContactKind, JurisdictionKind, MembershipStatus, RecordType, ResourceKind};
use crate::domain::events::{self, NewEvent};
use crate::domain::policy::Policy;
use crate::domain::{validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::{Date, DateTime as DateTimeScalar};

/// A point of contact to add.
#[derive(Debug, Clone, InputObject)]
pub struct ContactInput {
    /// Which contact this is.
    pub kind: ContactKind,
    /// Full name (or the office, for a 24-hour line).
    pub name: String,
    /// Position or title.
    pub title: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// An authorized representative to add.
#[derive(Debug, Clone, InputObject)]
pub struct RepresentativeInput {
    /// Full name.
    pub name: String,
    /// Position or title (Emergency Manager, County Judge...).
    pub title: Option<String>,
    /// Telephone number.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// The `sub` of this person's tokens, linking the directory entry to a login.
    pub subject: Option<String>,
    /// Whether this is a pre-authorized designee rather than the principal representative.
    #[graphql(default)]
    pub designee: bool,
}

/// A new jurisdiction.
#[derive(Debug, Clone, InputObject)]
pub struct CreateJurisdictionInput {
    /// Official name, unique in the directory.
    pub name: String,
    /// Kind of jurisdiction.
    pub kind: JurisdictionKind,
    /// The enclosing jurisdiction (county within a state, city within a county).
    pub parent_id: Option<ID>,
    /// Region (a DEMHS region, a Disaster District, a council of governments).
    pub region: Option<String>,
    /// Two-letter postal code of the state.
    pub state_code: Option<String>,
    /// Latitude of the jurisdiction's seat, in decimal degrees.
    pub latitude: Option<f64>,
    /// Longitude of the jurisdiction's seat, in decimal degrees.
    pub longitude: Option<f64>,
    /// Points of contact. At most 20.
    #[graphql(default)]
    #[graphql(validator(max_items = 20))]
    pub contacts: Vec<ContactInput>,
    /// Authorized representatives. At most 50.
    #[graphql(default)]
    #[graphql(validator(max_items = 50))]
    pub representatives: Vec<RepresentativeInput>,
}

/// Changes to a jurisdiction; omitted fields are left as they are, `null` clears an optional one.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateJurisdictionInput {
    /// The jurisdiction.
    pub id: ID,
    /// The version the change was based on; a different stored version is a `CONFLICT`.
    pub expected_version: Option<i32>,
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<JurisdictionKind>,
    /// New enclosing jurisdiction.
    pub parent_id: MaybeUndefined<ID>,
    /// New region.
    pub region: MaybeUndefined<String>,
    /// New state code.
    pub state_code: MaybeUndefined<String>,
    /// New latitude (with longitude).
    pub latitude: MaybeUndefined<f64>,
    /// New longitude (with latitude).
    pub longitude: MaybeUndefined<f64>,
}

/// A new compact with its policy.
#[derive(Debug, Clone, InputObject)]
pub struct CreateCompactInput {
    /// Full name, unique.
    pub name: String,
    /// Short name, unique (`Utah SMAA`).
    pub short_name: String,
    /// Kind of compact.
    pub kind: CompactKind,
    /// Legal authority (statute, rule, resolution).
    pub authority: String,
    /// What the compact is for.
    pub description: Option<String>,
    /// The jurisdiction whose office coordinates the compact.
    pub coordinating_jurisdiction_id: Option<ID>,
    /// Whether requests need a mission number from the coordinator before sourcing opens.
    #[graphql(default)]
    pub mission_numbers_required: bool,
    /// The compact of the next tier: where a request goes when this compact's members cannot fill it (a region's
    /// plan, then the intrastate compact, then EMAC). None when omitted.
    pub next_tier_compact_id: Option<ID>,
    /// The compact's rules and time limits.
    pub policy: Policy,
}

/// Changes to a compact; omitted fields are left as they are.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateCompactInput {
    /// The compact.
    pub id: ID,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
    /// New name.
    pub name: Option<String>,
    /// New short name.
    pub short_name: Option<String>,
    /// New legal authority.
    pub authority: Option<String>,
    /// New description.
    pub description: MaybeUndefined<String>,
    /// New coordinating jurisdiction.
    pub coordinating_jurisdiction_id: MaybeUndefined<ID>,
    /// Whether mission numbers are required.
    pub mission_numbers_required: Option<bool>,
    /// New next tier; null removes it. A tier never leads back to the compact itself.
    pub next_tier_compact_id: MaybeUndefined<ID>,
    /// The whole new policy (replaces the old one; deadlines already running keep their due dates).
    pub policy: Option<Policy>,
}

/// A jurisdiction joining a compact.
#[derive(Debug, Clone, InputObject)]
pub struct AddCompactMemberInput {
    /// The compact.
    pub compact_id: ID,
    /// The joining jurisdiction.
    pub jurisdiction_id: ID,
    /// Date of the authorizing resolution or signature.
    pub joined_on: Date,
    /// Reference of the authorizing resolution.
    pub authorizing_resolution: Option<String>,
}

/// A seat on a compact's dispute committee.
#[derive(Debug, Clone, InputObject)]
pub struct AddCommitteeMemberInput {
    /// The compact.
    pub compact_id: ID,
    /// The member's token subject (`sub`), at most 200 characters.
    pub subject: String,
    /// The member's name, at most 200 characters.
    pub name: String,
    /// The jurisdiction the member comes from, if any: the member is recused from disputes it is party to.
    pub jurisdiction_id: Option<ID>,
    /// First day of the term.
    pub term_starts_on: Date,
    /// Last day of the term; open-ended when omitted.
    pub term_ends_on: Option<Date>,
}

/// A member's written notice that it leaves the compact.
#[derive(Debug, Clone, InputObject)]
pub struct NoticeMembershipTerminationInput {
    /// The membership.
    pub membership_id: ID,
    /// When the notice was given; now if omitted. The termination takes effect after the compact's notice period.
    pub noticed_at: Option<DateTimeScalar>,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
}

/// A resource type for the catalog.
#[derive(Debug, Clone, InputObject)]
pub struct CreateResourceTypeInput {
    /// Category (Fire/Hazardous Materials, Search and Rescue, Public Works...).
    pub category: String,
    /// Kind of resource.
    pub kind: ResourceKind,
    /// Name (`Engine, Fire (Structural)`).
    pub name: String,
    /// NIMS type level: 1 is the most capable.
    pub type_level: Option<i32>,
    /// External id, such as the RTLT `x-508-nnnn` identifier.
    pub external_id: Option<String>,
    /// What the resource is and does.
    pub description: Option<String>,
}

const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 4000;

fn state_code(value: Option<&str>) -> AppResult<Option<String>> {
    let Some(code) = validate::optional_text("stateCode", value, 2)? else { return Ok(None) };
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(Some(code.to_ascii_uppercase()))
    } else {
        Err(AppError::bad_input("stateCode", "stateCode must be a two-letter postal code"))
    }
}

async fn load_jurisdiction(db: &impl ConnectionTrait, field: &str, id: Uuid) -> AppResult<jurisdiction::Model> {
    jurisdiction::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(field, format!("jurisdiction {id} does not exist")))
}

/// Loads a compact or fails with `NOT_FOUND`.
pub async fn load_compact(db: &impl ConnectionTrait, id: Uuid) -> AppResult<compact::Model> {
    compact::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("compact", id))
}

fn contact_row(
    jurisdiction_id: Uuid,
    input: &ContactInput,
    now: DateTime<Utc>,
) -> AppResult<jurisdiction_contact::ActiveModel> {
    Ok(jurisdiction_contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction_id: Set(jurisdiction_id),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(validate::text("contact.name", &input.name, NAME_MAX)?),
        title: Set(validate::optional_text("contact.title", input.title.as_deref(), NAME_MAX)?),
        phone: Set(validate::phone("contact.phone", input.phone.as_deref())?),
        email: Set(validate::email("contact.email", input.email.as_deref())?),
        created_at: Set(now),
    })
}

fn representative_row(
    jurisdiction_id: Uuid,
    input: &RepresentativeInput,
    now: DateTime<Utc>,
) -> AppResult<authorized_representative::ActiveModel> {
    Ok(authorized_representative::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction_id: Set(jurisdiction_id),
        subject: Set(validate::optional_text("representative.subject", input.subject.as_deref(), NAME_MAX)?),
        name: Set(validate::text("representative.name", &input.name, NAME_MAX)?),
        title: Set(validate::optional_text("representative.title", input.title.as_deref(), NAME_MAX)?),
        phone: Set(validate::phone("representative.phone", input.phone.as_deref())?),
        email: Set(validate::email("representative.email", input.email.as_deref())?),
        designee: Set(input.designee),
        active: Set(true),
        created_at: Set(now),
    })
}

/// Refuses a parent that is the jurisdiction itself or one of its descendants.
async fn ensure_no_cycle(db: &impl ConnectionTrait, id: Uuid, parent_id: Uuid) -> AppResult<()> {
    let mut cursor = Some(parent_id);
    for _ in 0..64 {
        let Some(current) = cursor else { return Ok(()) };
        if current == id {
            return Err(AppError::bad_input("parentId", "a jurisdiction cannot be inside itself"));
        }
        cursor = load_jurisdiction(db, "parentId", current).await?.parent_id;
    }
    Err(AppError::bad_input("parentId", "the jurisdiction hierarchy is too deep"))
}

/// Creates a jurisdiction with its contacts and representatives.
pub async fn create_jurisdiction(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CreateJurisdictionInput,
) -> AppResult<jurisdiction::Model> {
    ensure_admin(viewer)?;
    let name = validate::text("name", &input.name, NAME_MAX)?;
    let (latitude, longitude) = validate::location(input.latitude, input.longitude)?;
    let parent_id = input.parent_id.as_ref().map(|id| validate::id("parentId", id)).transpose()?;
    let region = validate::optional_text("region", input.region.as_deref(), NAME_MAX)?;
    let state_code = state_code(input.state_code.as_deref())?;
    let txn = events::begin(db).await?;
    if let Some(parent_id) = parent_id {
        load_jurisdiction(&txn, "parentId", parent_id).await?;
    }
    let id = Uuid::now_v7();
    let model = jurisdiction::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        parent_id: Set(parent_id),
        region: Set(region),
        state_code: Set(state_code),
        latitude: Set(latitude),
        longitude: Set(longitude),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .map_err(AppError::on_unique(format!("a jurisdiction named {name:?} already exists")))?;
    for contact in &input.contacts {
        contact_row(id, contact, now)?.insert(&txn).await?;
    }
    for representative in &input.representatives {
        representative_row(id, representative, now)?.insert(&txn).await?;
    }
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, id, "CREATED").concerning([id]).payload(json!({
            "name": model.name, "kind": model.kind, "parentId": parent_id,
            "contacts": input.contacts.len(), "representatives": input.representatives.len(),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Updates a jurisdiction's own fields.
pub async fn update_jurisdiction(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpdateJurisdictionInput,
) -> AppResult<jurisdiction::Model> {
    ensure_admin(viewer)?;
    let id = validate::id("id", &input.id)?;
    let txn = events::begin(db).await?;
    let current =
        jurisdiction::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("jurisdiction", id))?;
    let version = versioned::expected(input.expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    let mut changed = serde_json::Map::new();
    if let Some(name) = &input.name {
        let name = validate::text("name", name, NAME_MAX)?;
        changed.insert("name".into(), json!(name));
        active.name = Set(name);
    }
    if let Some(kind) = input.kind {
        changed.insert("kind".into(), json!(kind));
        active.kind = Set(kind.as_str().to_owned());
    }
    match &input.parent_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            changed.insert("parentId".into(), serde_json::Value::Null);
            active.parent_id = Set(None);
        }
        MaybeUndefined::Value(parent) => {
            let parent_id = validate::id("parentId", parent)?;
            ensure_no_cycle(&txn, id, parent_id).await?;
            changed.insert("parentId".into(), json!(parent_id));
            active.parent_id = Set(Some(parent_id));
        }
    }
    if !input.region.is_undefined() {
        let region = validate::optional_text("region", input.region.value().map(String::as_str), NAME_MAX)?;
        changed.insert("region".into(), json!(region));
        active.region = Set(region);
    }
    if !input.state_code.is_undefined() {
        let code = state_code(input.state_code.value().map(String::as_str))?;
        changed.insert("stateCode".into(), json!(code));
        active.state_code = Set(code);
    }
    if !input.latitude.is_undefined() || !input.longitude.is_undefined() {
        let latitude = if input.latitude.is_undefined() { current.latitude } else { input.latitude.value().copied() };
        let longitude =
            if input.longitude.is_undefined() { current.longitude } else { input.longitude.value().copied() };
        let (latitude, longitude) = validate::location(latitude, longitude)?;
        changed.insert("latitude".into(), json!(latitude));
        changed.insert("longitude".into(), json!(longitude));
        active.latitude = Set(latitude);
        active.longitude = Set(longitude);
    }
    if changed.is_empty() {
        return Err(AppError::BadUserInput { field: None, message: "nothing to change".into() });
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, id, "UPDATED").concerning([id]).payload(changed.into()),
    )
    .await?;
    let updated =
        jurisdiction::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("jurisdiction", id))?;
    txn.commit().await?;
    Ok(updated)
}

/// Adds a point of contact to a jurisdiction.
pub async fn add_contact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    jurisdiction_id: &ID,
    input: ContactInput,
) -> AppResult<jurisdiction_contact::Model> {
    ensure_admin(viewer)?;
    let jurisdiction_id = validate::id("jurisdictionId", jurisdiction_id)?;
    let txn = events::begin(db).await?;
    load_jurisdiction(&txn, "jurisdictionId", jurisdiction_id).await?;
    let contact = contact_row(jurisdiction_id, &input, now)?.insert(&txn).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, jurisdiction_id, "CONTACT_ADDED")
            .concerning([jurisdiction_id])
            .payload(json!({ "contactId": contact.id, "kind": contact.kind, "name": contact.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(contact)
}

/// Removes a point of contact; returns the jurisdiction it belonged to.
pub async fn remove_contact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: &ID,
) -> AppResult<Uuid> {
    ensure_admin(viewer)?;
    let id = validate::id("id", id)?;
    let txn = events::begin(db).await?;
    let contact = jurisdiction_contact::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id))?;
    jurisdiction_contact::Entity::delete_by_id(id).exec(&txn).await?;
    // Its external references go with it, so a system's id may name a new contact.
    entities::external_ref::Entity::delete_many()
        .filter(entities::external_ref::Column::RecordId.eq(id))
        .exec(&txn)
        .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, contact.jurisdiction_id, "CONTACT_REMOVED")
            .concerning([contact.jurisdiction_id])
            .payload(json!({ "contactId": id, "kind": contact.kind, "name": contact.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(contact.jurisdiction_id)
}

/// Adds an authorized representative to a jurisdiction.
pub async fn add_representative(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    jurisdiction_id: &ID,
    input: RepresentativeInput,
) -> AppResult<authorized_representative::Model> {
    ensure_admin(viewer)?;
    let jurisdiction_id = validate::id("jurisdictionId", jurisdiction_id)?;
    let txn = events::begin(db).await?;
    load_jurisdiction(&txn, "jurisdictionId", jurisdiction_id).await?;
    let representative = representative_row(jurisdiction_id, &input, now)?.insert(&txn).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, jurisdiction_id, "REPRESENTATIVE_ADDED")
            .concerning([jurisdiction_id])
            .payload(json!({ "representativeId": representative.id, "name": representative.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(representative)
}

/// Ends a representative's authority (the entry is kept for the record).
pub async fn deactivate_representative(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: &ID,
) -> AppResult<authorized_representative::Model> {
    ensure_admin(viewer)?;
    let id = validate::id("id", id)?;
    let txn = events::begin(db).await?;
    let current = authorized_representative::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("representative", id))?;
    if !current.active {
        return Err(AppError::InvalidTransition {
            record: "representative",
            action: "deactivate",
            current: "INACTIVE".into(),
        });
    }
    let jurisdiction_id = current.jurisdiction_id;
    let mut active = current.into_active_model();
    active.active = Set(false);
    let updated = active.update(&txn).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, jurisdiction_id, "REPRESENTATIVE_DEACTIVATED")
            .concerning([jurisdiction_id])
            .payload(json!({ "representativeId": id, "name": updated.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// `UNAUTHENTICATED` unless the directory lists the viewer, when its token makes it an authorized representative,
/// as an active representative of the jurisdiction it names: authority comes from the directory, and a token
/// outlives neither a deactivation nor the person's removal. Other roles are not directory entries.
pub async fn ensure_listed(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<()> {
    use sea_orm::PaginatorTrait;
    if viewer.system.is_some() {
        // A service account's authority is an integration grant, not a listing as a representative.
        return crate::domain::external::ensure_granted(db, viewer).await;
    }
    if !viewer.has_role(crate::domain::enums::Role::AuthorizedRepresentative) {
        return Ok(());
    }
    let Some(jurisdiction_id) = viewer.jurisdiction_id else {
        return Err(AppError::Unauthenticated(
            "invalid token: an authorized representative's token must name its jurisdiction".into(),
        ));
    };
    let listed = authorized_representative::Entity::find()
        .filter(authorized_representative::Column::Subject.eq(viewer.subject.as_str()))
        .filter(authorized_representative::Column::JurisdictionId.eq(jurisdiction_id))
        .filter(authorized_representative::Column::Active.eq(true))
        .count(db)
        .await?;
    if listed == 0 {
        return Err(AppError::Unauthenticated(format!(
            "the directory does not list {:?} as an active authorized representative of the jurisdiction",
            viewer.subject
        )));
    }
    Ok(())
}

/// Seats a member on a compact's dispute committee for a term. Administrators only.
pub async fn add_committee_member(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AddCommitteeMemberInput,
) -> AppResult<entities::committee_member::Model> {
    ensure_admin(viewer)?;
    let compact_id = validate::id("compactId", &input.compact_id)?;
    let subject = validate::text("subject", &input.subject, 200)?;
    let name = validate::text("name", &input.name, 200)?;
    let jurisdiction_id = input.jurisdiction_id.as_ref().map(|id| validate::id("jurisdictionId", id)).transpose()?;
    if input.term_ends_on.is_some_and(|end| end.0 < input.term_starts_on.0) {
        return Err(AppError::bad_input("termEndsOn", "the term cannot end before it starts"));
    }
    let txn = events::begin(db).await?;
    load_compact(&txn, compact_id).await.map_err(|_| AppError::bad_input("compactId", "the compact does not exist"))?;
    if let Some(j) = jurisdiction_id {
        load_jurisdiction(&txn, "jurisdictionId", j).await?;
    }
    let model = entities::committee_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        compact_id: Set(compact_id),
        subject: Set(subject.clone()),
        name: Set(name.clone()),
        jurisdiction_id: Set(jurisdiction_id),
        term_starts_on: Set(input.term_starts_on.0),
        term_ends_on: Set(input.term_ends_on.map(|d| d.0)),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(AppError::on_unique("this subject already holds a seat on the committee"))?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Compact, compact_id, "COMMITTEE_MEMBER_ADDED")
            .compact(Some(compact_id))
            .payload(json!({ "subject": subject, "name": name, "jurisdictionId": jurisdiction_id,
                    "termStartsOn": input.term_starts_on.0, "termEndsOn": input.term_ends_on.map(|d| d.0) })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

fn unique_compact_error(e: sea_orm::DbErr) -> AppError {
    AppError::on_unique("a compact with this name or short name already exists")(e)
}

/// Creates a compact with its policy.
pub async fn create_compact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CreateCompactInput,
) -> AppResult<compact::Model> {
    ensure_admin(viewer)?;
    input.policy.validate()?;
    let coordinator = input
        .coordinating_jurisdiction_id
        .as_ref()
        .map(|id| validate::id("coordinatingJurisdictionId", id))
        .transpose()?;
    let next_tier = input.next_tier_compact_id.as_ref().map(|id| validate::id("nextTierCompactId", id)).transpose()?;
    let txn = events::begin(db).await?;
    if let Some(coordinator) = coordinator {
        load_jurisdiction(&txn, "coordinatingJurisdictionId", coordinator).await?;
    }
    let id = Uuid::now_v7();
    if let Some(next) = next_tier {
        ensure_tier(&txn, id, next).await?;
    }
    let mut active = compact::ActiveModel {
        id: Set(id),
        name: Set(validate::text("name", &input.name, NAME_MAX)?),
        short_name: Set(validate::text("shortName", &input.short_name, 60)?),
        kind: Set(input.kind.as_str().to_owned()),
        authority: Set(validate::text("authority", &input.authority, TEXT_MAX)?),
        description: Set(validate::optional_text("description", input.description.as_deref(), TEXT_MAX)?),
        coordinating_jurisdiction_id: Set(coordinator),
        mission_numbers_required: Set(input.mission_numbers_required),
        next_tier_compact_id: Set(next_tier),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    input.policy.apply_to(&mut active);
    let model = active.insert(&txn).await.map_err(unique_compact_error)?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Compact, id, "CREATED")
            .compact(Some(id))
            .concerning(coordinator)
            .payload(json!({ "name": model.name, "kind": model.kind, "policy": input.policy })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// `BAD_USER_INPUT` unless `next` is an existing compact whose chain of tiers never leads back to `compact_id`.
async fn ensure_tier(db: &impl ConnectionTrait, compact_id: Uuid, next: Uuid) -> AppResult<()> {
    let refuse = |message: &str| AppError::bad_input("nextTierCompactId", message.to_owned());
    let mut at = Some(next);
    for _ in 0..32 {
        let Some(current) = at else { return Ok(()) };
        if current == compact_id {
            return Err(refuse("the tiers would lead back to this compact"));
        }
        let found = compact::Entity::find_by_id(current).one(db).await?;
        let Some(found) = found else { return Err(refuse("the next tier is not a compact")) };
        at = found.next_tier_compact_id;
    }
    Err(refuse("the chain of tiers is longer than 32 compacts"))
}

/// Updates a compact and, when given, replaces its policy.
pub async fn update_compact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: UpdateCompactInput,
) -> AppResult<compact::Model> {
    ensure_admin(viewer)?;
    let id = validate::id("id", &input.id)?;
    let txn = events::begin(db).await?;
    let current = load_compact(&txn, id).await?;
    let version = versioned::expected(input.expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    let mut changed = serde_json::Map::new();
    if let Some(name) = &input.name {
        let name = validate::text("name", name, NAME_MAX)?;
        changed.insert("name".into(), json!(name));
        active.name = Set(name);
    }
    if let Some(short_name) = &input.short_name {
        let short_name = validate::text("shortName", short_name, 60)?;
        changed.insert("shortName".into(), json!(short_name));
        active.short_name = Set(short_name);
    }
    if let Some(authority) = &input.authority {
        let authority = validate::text("authority", authority, TEXT_MAX)?;
        changed.insert("authority".into(), json!(authority));
        active.authority = Set(authority);
    }
    if !input.description.is_undefined() {
        let description =
            validate::optional_text("description", input.description.value().map(String::as_str), TEXT_MAX)?;
        changed.insert("description".into(), json!(description));
        active.description = Set(description);
    }
    match &input.coordinating_jurisdiction_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            changed.insert("coordinatingJurisdictionId".into(), serde_json::Value::Null);
            active.coordinating_jurisdiction_id = Set(None);
        }
        MaybeUndefined::Value(coordinator) => {
            let coordinator = validate::id("coordinatingJurisdictionId", coordinator)?;
            load_jurisdiction(&txn, "coordinatingJurisdictionId", coordinator).await?;
            changed.insert("coordinatingJurisdictionId".into(), json!(coordinator));
            active.coordinating_jurisdiction_id = Set(Some(coordinator));
        }
    }
    if let Some(required) = input.mission_numbers_required {
        changed.insert("missionNumbersRequired".into(), json!(required));
        active.mission_numbers_required = Set(required);
    }
    match &input.next_tier_compact_id {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            changed.insert("nextTierCompactId".into(), serde_json::Value::Null);
            active.next_tier_compact_id = Set(None);
        }
        MaybeUndefined::Value(next) => {
            let next = validate::id("nextTierCompactId", next)?;
            ensure_tier(&txn, id, next).await?;
            changed.insert("nextTierCompactId".into(), json!(next));
            active.next_tier_compact_id = Set(Some(next));
        }
    }
    let mut action = "UPDATED";
    if let Some(policy) = &input.policy {
        policy.validate()?;
        changed.insert("policy".into(), json!(policy));
        changed.insert("previousPolicy".into(), json!(Policy::from_model(&current)?));
        policy.apply_to(&mut active);
        action = if changed.len() == 2 { "POLICY_UPDATED" } else { "UPDATED" };
    }
    if changed.is_empty() {
        return Err(AppError::BadUserInput { field: None, message: "nothing to change".into() });
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await.map_err(|e| match e {
        AppError::Internal(_) => e,
        other => other,
    })?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Compact, id, action).compact(Some(id)).payload(changed.into()),
    )
    .await?;
    let updated = load_compact(&txn, id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The status of a membership at `now`: a noticed termination becomes effective at its effective date.
pub fn membership_status_at(membership: &membership::Model, now: DateTime<Utc>) -> AppResult<MembershipStatus> {
    let stored = MembershipStatus::from_db(&membership.status)?;
    Ok(match (stored, membership.termination_effective_at) {
        (MembershipStatus::TerminationNoticed, Some(effective)) if now >= effective => MembershipStatus::Terminated,
        (status, _) => status,
    })
}

/// Adds a jurisdiction to a compact as an active member.
pub async fn add_member(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AddCompactMemberInput,
) -> AppResult<membership::Model> {
    ensure_admin(viewer)?;
    let compact_id = validate::id("compactId", &input.compact_id)?;
    let jurisdiction_id = validate::id("jurisdictionId", &input.jurisdiction_id)?;
    let resolution =
        validate::optional_text("authorizingResolution", input.authorizing_resolution.as_deref(), NAME_MAX)?;
    let txn = events::begin(db).await?;
    let compact = load_compact(&txn, compact_id)
        .await
        .map_err(|_| AppError::bad_input("compactId", "the compact does not exist"))?;
    let jurisdiction = load_jurisdiction(&txn, "jurisdictionId", jurisdiction_id).await?;
    if let Some(kinds) = Policy::member_kinds_of(&compact)? {
        let kind = JurisdictionKind::from_db(&jurisdiction.kind)?;
        if !kinds.contains(&kind) {
            let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(AppError::bad_input(
                "jurisdictionId",
                format!(
                    "{} is a {kind}; only {} may join {}",
                    jurisdiction.name,
                    names.join(" or "),
                    compact.short_name
                ),
            ));
        }
    }
    let id = Uuid::now_v7();
    let model = membership::ActiveModel {
        id: Set(id),
        compact_id: Set(compact_id),
        jurisdiction_id: Set(jurisdiction_id),
        joined_on: Set(input.joined_on.0),
        authorizing_resolution: Set(resolution),
        status: Set(MembershipStatus::Active.as_str().to_owned()),
        termination_noticed_at: Set(None),
        termination_effective_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await
    .map_err(AppError::on_unique("the jurisdiction is already a member of this compact"))?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Membership, id, "JOINED")
            .status(None::<&str>, MembershipStatus::Active)
            .compact(Some(compact_id))
            .concerning([jurisdiction_id])
            .payload(json!({ "joinedOn": input.joined_on.0 })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Records a member's notice of termination. It takes effect after the compact's notice period, or at once when
/// the compact has none. Given by the member's authorized representative or an administrator.
pub async fn notice_termination(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: NoticeMembershipTerminationInput,
) -> AppResult<membership::Model> {
    viewer.require_authenticated()?;
    let id = validate::id("membershipId", &input.membership_id)?;
    let noticed_at = input.noticed_at.map_or(now, |at| at.0);
    if noticed_at > now {
        return Err(AppError::bad_input("noticedAt", "noticedAt cannot be in the future"));
    }
    if noticed_at < now && !viewer.is_admin() {
        // Backdating would shorten the compact's notice period; only an administrator records a paper notice.
        return Err(AppError::bad_input("noticedAt", "only an administrator records a notice given earlier"));
    }
    let txn = events::begin(db).await?;
    let current =
        membership::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("membership", id))?;
    ensure_acts_for(viewer, current.jurisdiction_id)?;
    let status = membership_status_at(&current, now)?;
    if status != MembershipStatus::Active {
        return Err(AppError::InvalidTransition {
            record: "membership",
            action: "give termination notice on",
            current: status.to_string(),
        });
    }
    let version = versioned::expected(input.expected_version, current.version)?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let effective_at = noticed_at + Duration::days(i64::from(compact.membership_termination_notice_days.unwrap_or(0)));
    let to_status =
        if effective_at <= now { MembershipStatus::Terminated } else { MembershipStatus::TerminationNoticed };
    let mut active = current.clone().into_active_model();
    active.status = Set(to_status.as_str().to_owned());
    active.termination_noticed_at = Set(Some(noticed_at));
    active.termination_effective_at = Set(Some(effective_at));
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Membership, id, "TERMINATION_NOTICED")
            .status(Some(status), to_status)
            .compact(Some(current.compact_id))
            .concerning([current.jurisdiction_id])
            .payload(json!({ "noticedAt": noticed_at, "effectiveAt": effective_at })),
    )
    .await?;
    let updated =
        membership::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("membership", id))?;
    txn.commit().await?;
    Ok(updated)
}

/// The checked name, category and description of a resource type (and its level, 1 to 6).
fn resource_type_fields(input: &CreateResourceTypeInput) -> AppResult<(String, String, Option<String>)> {
    if let Some(level) = input.type_level
        && !(1..=6).contains(&level)
    {
        return Err(AppError::bad_input("typeLevel", "typeLevel must be between 1 and 6"));
    }
    Ok((
        validate::text("name", &input.name, NAME_MAX)?,
        validate::text("category", &input.category, NAME_MAX)?,
        validate::optional_text("description", input.description.as_deref(), TEXT_MAX)?,
    ))
}

/// `CONFLICT` if another resource type (not `except`) has this name and level. The unique index treats NULL type
/// levels as distinct, so an untyped duplicate is caught here.
async fn ensure_no_duplicate_type(
    db: &impl ConnectionTrait,
    name: &str,
    type_level: Option<i32>,
    except: Option<Uuid>,
) -> AppResult<()> {
    let same_level = match type_level {
        Some(level) => resource_type::Column::TypeLevel.eq(level),
        None => resource_type::Column::TypeLevel.is_null(),
    };
    let mut duplicate = resource_type::Entity::find().filter(resource_type::Column::Name.eq(name)).filter(same_level);
    if let Some(id) = except {
        duplicate = duplicate.filter(resource_type::Column::Id.ne(id));
    }
    if duplicate.one(db).await?.is_some() {
        return Err(AppError::Conflict("a resource type with this name and type level already exists".into()));
    }
    Ok(())
}

/// Adds a resource type to the catalog.
pub async fn create_resource_type(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CreateResourceTypeInput,
) -> AppResult<resource_type::Model> {
    ensure_admin(viewer)?;
    let (name, category, description) = resource_type_fields(&input)?;
    let external_id = validate::optional_text("externalId", input.external_id.as_deref(), 64)?;
    let txn = events::begin(db).await?;
    ensure_no_duplicate_type(&txn, &name, input.type_level, None).await?;
    let id = Uuid::now_v7();
    let model = resource_type::ActiveModel {
        id: Set(id),
        category: Set(category),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(name),
        type_level: Set(input.type_level),
        external_id: Set(external_id),
        description: Set(description),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(AppError::on_unique("a resource type with this name and type level already exists"))?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceType, id, "CREATED")
            .payload(json!({ "name": model.name, "typeLevel": model.type_level })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes a resource type of the catalog (its name, category, kind, level and description). Administrators only.
pub async fn update_resource_type(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: Uuid,
    input: CreateResourceTypeInput,
) -> AppResult<resource_type::Model> {
    ensure_admin(viewer)?;
    let (name, category, description) = resource_type_fields(&input)?;
    let txn = events::begin(db).await?;
    ensure_no_duplicate_type(&txn, &name, input.type_level, Some(id)).await?;
    let current = resource_type::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("resource type", id))?;
    let mut active = current.into_active_model();
    active.name = Set(name);
    active.category = Set(category);
    active.kind = Set(input.kind.as_str().to_owned());
    active.type_level = Set(input.type_level);
    active.description = Set(description);
    let model = active
        .update(&txn)
        .await
        .map_err(AppError::on_unique("a resource type with this name and type level already exists"))?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceType, id, "UPDATED")
            .payload(json!({ "name": model.name, "typeLevel": model.type_level })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Changes a point of contact (its kind, name, title, phone and e-mail). Administrators only.
pub async fn update_contact(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: Uuid,
    input: &ContactInput,
) -> AppResult<jurisdiction_contact::Model> {
    ensure_admin(viewer)?;
    let fresh = contact_row(Uuid::nil(), input, now)?;
    let txn = events::begin(db).await?;
    let current = jurisdiction_contact::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("contact", id))?;
    let mut active = current.clone().into_active_model();
    active.kind = fresh.kind;
    active.name = fresh.name;
    active.title = fresh.title;
    active.phone = fresh.phone;
    active.email = fresh.email;
    let contact = active.update(&txn).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Jurisdiction, current.jurisdiction_id, "CONTACT_UPDATED")
            .concerning([current.jurisdiction_id])
            .payload(json!({ "contactId": id, "kind": contact.kind, "name": contact.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(contact)
}
