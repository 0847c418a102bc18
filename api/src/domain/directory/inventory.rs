//! The resource inventory (SMAA Form 106): what each jurisdiction holds and has available, by type.
//! Deployments take availability and give it back on return.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{inventory_item, resource_type};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::ensure_acts_for;
use crate::domain::enums::RecordType;
use crate::domain::events::{self, NewEvent};
use crate::domain::{validate, versioned};
use crate::error::{AppError, AppResult};

/// What a jurisdiction holds of one resource type.
#[derive(Debug, Clone, InputObject)]
pub struct SetInventoryInput {
    /// The holder; the caller's jurisdiction when omitted.
    pub jurisdiction_id: Option<ID>,
    /// The resource type.
    pub resource_type_id: ID,
    /// How many it holds in all.
    pub quantity_held: i32,
    /// How many are available for mutual aid now.
    pub quantity_available: i32,
    /// Notes (home station, conditions of use).
    pub notes: Option<String>,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
}

/// Creates or replaces a line of the caller's inventory.
pub async fn set(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: SetInventoryInput,
) -> AppResult<inventory_item::Model> {
    viewer.require_authenticated()?;
    let holder = match &input.jurisdiction_id {
        Some(id) => validate::id("jurisdictionId", id)?,
        None => viewer
            .jurisdiction_id
            .ok_or_else(|| AppError::bad_input("jurisdictionId", "the caller represents no jurisdiction"))?,
    };
    ensure_acts_for(viewer, holder)?;
    let type_id = validate::id("resourceTypeId", &input.resource_type_id)?;
    if !(0..=100_000).contains(&input.quantity_held) {
        return Err(AppError::bad_input("quantityHeld", "quantityHeld must be between 0 and 100000"));
    }
    if !(0..=input.quantity_held).contains(&input.quantity_available) {
        return Err(AppError::bad_input("quantityAvailable", "quantityAvailable must be between 0 and quantityHeld"));
    }
    let notes = validate::optional_text("notes", input.notes.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    if resource_type::Entity::find_by_id(type_id).one(&txn).await?.is_none() {
        return Err(AppError::bad_input("resourceTypeId", "the resource type does not exist"));
    }
    let existing = inventory_item::Entity::find()
        .filter(inventory_item::Column::JurisdictionId.eq(holder))
        .filter(inventory_item::Column::ResourceTypeId.eq(type_id))
        .one(&txn)
        .await?;
    let (id, action) = match existing {
        Some(current) => {
            let version = versioned::expected(input.expected_version, current.version)?;
            let mut active = current.clone().into_active_model();
            active.quantity_held = Set(input.quantity_held);
            active.quantity_available = Set(input.quantity_available);
            active.notes = Set(notes.clone());
            active.updated_at = Set(now);
            versioned::update(&txn, active, current.id, version).await?;
            (current.id, "UPDATED")
        }
        None => {
            let id = Uuid::now_v7();
            inventory_item::ActiveModel {
                id: Set(id),
                jurisdiction_id: Set(holder),
                resource_type_id: Set(type_id),
                quantity_held: Set(input.quantity_held),
                quantity_available: Set(input.quantity_available),
                notes: Set(notes.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
            .insert(&txn)
            .await?;
            (id, "CREATED")
        }
    };
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::InventoryItem, id, action).concerning([holder]).payload(json!({
            "resourceTypeId": type_id, "quantityHeld": input.quantity_held, "quantityAvailable": input.quantity_available,
        })),
    )
    .await?;
    let model = inventory_item::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("inventory item", id))?;
    txn.commit().await?;
    Ok(model)
}
