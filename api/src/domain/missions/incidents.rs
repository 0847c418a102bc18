//! Incidents: declared by a jurisdiction (or recorded by its compact's coordinator), with the written
//! declaration that falls due after an oral one per the compact's policy.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Duration, Utc};
use entities::{compact, incident, membership};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{can_see_incident, ensure_acts_for_or_coordinates, incidents_visible_to};
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::load_compact;
use crate::domain::enums::{DeadlineKind, DeclarationForm, IncidentKind, IncidentStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::domain::{validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::DateTime as DateTimeScalar;

/// A declaration of emergency.
#[derive(Debug, Clone, InputObject)]
pub struct DeclareIncidentInput {
    /// Name of the incident (`Emigration Creek Flood 2026`).
    pub name: String,
    /// Kind of incident.
    pub kind: IncidentKind,
    /// The declaring jurisdiction; the caller's own when omitted.
    pub jurisdiction_id: Option<ID>,
    /// The compact whose assistance the declaration activates; its policy sets the written-declaration deadline.
    pub compact_id: Option<ID>,
    /// What is happening.
    pub description: Option<String>,
    /// Where, in words.
    pub location_description: Option<String>,
    /// Latitude of the incident, in decimal degrees.
    pub latitude: Option<f64>,
    /// Longitude of the incident, in decimal degrees.
    pub longitude: Option<f64>,
    /// When the emergency was declared; now if omitted.
    pub declared_at: Option<DateTimeScalar>,
    /// Whether the declaration was oral or written.
    pub declaration_form: DeclarationForm,
}

/// The written declaration that follows an oral one.
#[derive(Debug, Clone, InputObject)]
pub struct RecordWrittenDeclarationInput {
    /// The incident.
    pub incident_id: ID,
    /// When the written declaration was received; now if omitted.
    pub received_at: Option<DateTimeScalar>,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
}

/// Closing an incident.
#[derive(Debug, Clone, InputObject)]
pub struct CloseIncidentInput {
    /// The incident.
    pub incident_id: ID,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
}

/// The state machine of an incident.
pub fn transition(current: IncidentStatus, action: &'static str) -> AppResult<IncidentStatus> {
    match (current, action) {
        (IncidentStatus::Active, "close") => Ok(IncidentStatus::Closed),
        _ => Err(AppError::InvalidTransition { record: "incident", action, current: current.to_string() }),
    }
}

/// Loads an incident the viewer may see, or `NOT_FOUND` (an invisible incident does not exist for the viewer).
pub async fn find_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<Option<incident::Model>> {
    viewer.require_authenticated()?;
    Ok(incident::Entity::find_by_id(id).filter(incidents_visible_to(viewer)).one(db).await?)
}

fn written_declaration_due(
    compact: Option<&compact::Model>,
    form: DeclarationForm,
    declared_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match form {
        DeclarationForm::Written => None,
        DeclarationForm::Oral => compact
            .and_then(|c| c.written_declaration_after_oral_hours)
            .map(|hours| declared_at + Duration::hours(i64::from(hours))),
    }
}

/// Declares an incident.
pub async fn declare(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeclareIncidentInput,
) -> AppResult<incident::Model> {
    viewer.require_authenticated()?;
    let jurisdiction_id = match &input.jurisdiction_id {
        Some(id) => validate::id("jurisdictionId", id)?,
        None => viewer.jurisdiction_id.ok_or_else(|| {
            AppError::bad_input(
                "jurisdictionId",
                "jurisdictionId is required when the caller represents no jurisdiction",
            )
        })?,
    };
    let compact_id = input.compact_id.as_ref().map(|id| validate::id("compactId", id)).transpose()?;
    ensure_acts_for_or_coordinates(viewer, jurisdiction_id, compact_id)?;
    let name = validate::text("name", &input.name, 200)?;
    let (latitude, longitude) = validate::location(input.latitude, input.longitude)?;
    let declared_at = input.declared_at.map_or(now, |at| at.0);
    if declared_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input("declaredAt", "declaredAt cannot be in the future"));
    }
    let txn = events::begin(db).await?;
    let compact = match compact_id {
        Some(compact_id) => {
            let compact = load_compact(&txn, compact_id)
                .await
                .map_err(|_| AppError::bad_input("compactId", "the compact does not exist"))?;
            if !crate::domain::requests::takes_part(&txn, compact_id, jurisdiction_id, now).await? {
                return Err(AppError::bad_input(
                    "compactId",
                    "the jurisdiction is not an active member of this compact",
                ));
            }
            Some(compact)
        }
        None => None,
    };
    let id = Uuid::now_v7();
    let model = incident::ActiveModel {
        id: Set(id),
        name: Set(name),
        kind: Set(input.kind.as_str().to_owned()),
        status: Set(IncidentStatus::Active.as_str().to_owned()),
        jurisdiction_id: Set(jurisdiction_id),
        compact_id: Set(compact_id),
        description: Set(validate::optional_text("description", input.description.as_deref(), 4000)?),
        location_description: Set(validate::optional_text(
            "locationDescription",
            input.location_description.as_deref(),
            1000,
        )?),
        latitude: Set(latitude),
        longitude: Set(longitude),
        declared_at: Set(declared_at),
        declaration_form: Set(input.declaration_form.as_str().to_owned()),
        written_declaration_due_at: Set(written_declaration_due(compact.as_ref(), input.declaration_form, declared_at)),
        written_declaration_at: Set((input.declaration_form == DeclarationForm::Written).then_some(declared_at)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let deadline = NewDeadline {
        compact_id,
        record_type: RecordType::Incident,
        record_id: id,
        kind: DeadlineKind::WrittenDeclaration,
        owed_by: Some(jurisdiction_id),
        starts_at: declared_at,
    };
    deadlines::create(&txn, viewer, now, deadline, model.written_declaration_due_at).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Incident, id, "DECLARED")
            .status(None::<&str>, IncidentStatus::Active)
            .compact(compact_id)
            .concerning([jurisdiction_id])
            .payload(json!({
                "name": model.name, "kind": model.kind, "declarationForm": model.declaration_form,
                "declaredAt": declared_at, "writtenDeclarationDueAt": model.written_declaration_due_at,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

async fn load_for_change(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<incident::Model> {
    let incident =
        incident::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("incident", id))?;
    let member_of_scoped = !viewer.scoped_compacts().is_empty()
        && membership::Entity::find()
            .filter(membership::Column::JurisdictionId.eq(incident.jurisdiction_id))
            .filter(membership::Column::CompactId.is_in(viewer.scoped_compacts()))
            .one(db)
            .await?
            .is_some();
    if !can_see_incident(viewer, &incident, member_of_scoped) {
        return Err(AppError::not_found("incident", id));
    }
    ensure_acts_for_or_coordinates(viewer, incident.jurisdiction_id, incident.compact_id)?;
    Ok(incident)
}

/// Records the written declaration following an oral one; met on time or late, the receipt time is kept.
pub async fn record_written_declaration(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordWrittenDeclarationInput,
) -> AppResult<incident::Model> {
    viewer.require_authenticated()?;
    let id = validate::id("incidentId", &input.incident_id)?;
    let received_at = input.received_at.map_or(now, |at| at.0);
    if received_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input("receivedAt", "receivedAt cannot be in the future"));
    }
    let txn = events::begin(db).await?;
    let current = load_for_change(&txn, viewer, id).await?;
    if current.written_declaration_at.is_some() {
        return Err(AppError::Conflict("the written declaration is already recorded".into()));
    }
    if received_at < current.declared_at {
        return Err(AppError::bad_input("receivedAt", "receivedAt cannot precede the declaration"));
    }
    let version = versioned::expected(input.expected_version, current.version)?;
    let on_time = current.written_declaration_due_at.is_none_or(|due| received_at <= due);
    let mut active = current.clone().into_active_model();
    active.written_declaration_at = Set(Some(received_at));
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::WrittenDeclaration, received_at).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Incident, id, "WRITTEN_DECLARATION_RECORDED")
            .compact(current.compact_id)
            .concerning([current.jurisdiction_id])
            .payload(
                json!({ "receivedAt": received_at, "dueAt": current.written_declaration_due_at, "onTime": on_time }),
            ),
    )
    .await?;
    let updated =
        incident::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("incident", id))?;
    txn.commit().await?;
    Ok(updated)
}

/// Closes an active incident.
pub async fn close(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CloseIncidentInput,
) -> AppResult<incident::Model> {
    viewer.require_authenticated()?;
    let id = validate::id("incidentId", &input.incident_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_change(&txn, viewer, id).await?;
    let status = IncidentStatus::from_db(&current.status)?;
    let next = transition(status, "close")?;
    let version = versioned::expected(input.expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    active.status = Set(next.as_str().to_owned());
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Incident, id, "CLOSED")
            .status(Some(status), next)
            .compact(current.compact_id)
            .concerning([current.jurisdiction_id]),
    )
    .await?;
    let updated =
        incident::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("incident", id))?;
    txn.commit().await?;
    Ok(updated)
}

/// Changes what an incident is called and where it is (its kind, jurisdiction, compact and declaration stay as
/// declared). Who may declare it may do this.
pub async fn update_details(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: Uuid,
    input: &DeclareIncidentInput,
) -> AppResult<incident::Model> {
    viewer.require_authenticated()?;
    let name = validate::text("name", &input.name, 200)?;
    let description = validate::optional_text("description", input.description.as_deref(), 4000)?;
    let location = validate::optional_text("locationDescription", input.location_description.as_deref(), 500)?;
    let (latitude, longitude) = validate::location(input.latitude, input.longitude)?;
    let txn = events::begin(db).await?;
    let current = load_for_change(&txn, viewer, id).await?;
    let mut active = current.clone().into_active_model();
    active.name = Set(name.clone());
    active.description = Set(description);
    active.location_description = Set(location);
    active.latitude = Set(latitude);
    active.longitude = Set(longitude);
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Incident, id, "UPDATED")
            .compact(current.compact_id)
            .concerning([current.jurisdiction_id])
            .payload(json!({ "name": name })),
    )
    .await?;
    let updated =
        incident::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("incident", id))?;
    txn.commit().await?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_incidents_close() {
        assert_eq!(transition(IncidentStatus::Active, "close").unwrap(), IncidentStatus::Closed);
        let err = transition(IncidentStatus::Closed, "close").unwrap_err();
        assert_eq!(err.code(), "INVALID_TRANSITION");
    }

    #[test]
    fn oral_declarations_get_a_due_date_only_where_the_policy_has_one() {
        let at = Utc::now();
        assert_eq!(written_declaration_due(None, DeclarationForm::Oral, at), None);
        assert_eq!(written_declaration_due(None, DeclarationForm::Written, at), None);
    }
}
