//! Deployments: the assisting party prepares, departs, keeps its roster and time records and may recall its
//! people; the requesting party records arrival and assignments and releases them; the return restores the
//! assisting party's inventory and starts the after-action clock.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{agreement, deployment, deployment_hold, inventory_item, time_record};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::deployments_visible_to;
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::load_compact;
use crate::domain::enums::{DeadlineKind, DeploymentStatus, RecordType, TimeRecordKind};
use crate::domain::events::{self, NewEvent};
use crate::domain::offers::{Equipment, Person};
use crate::domain::requests::refuse_ssn;
use crate::domain::{claims, lifecycle, offers, requests, validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::{Date, Decimal as DecimalScalar};

/// A step on a deployment.
#[derive(Debug, Clone, InputObject)]
pub struct DeploymentStepInput {
    /// The deployment.
    pub deployment_id: ID,
    /// The version the step was based on.
    pub expected_version: Option<i32>,
}

/// The assisting party's preparation: readiness and communications checks, roster and equipment list.
#[derive(Debug, Clone, InputObject)]
pub struct PrepareDeploymentInput {
    /// The deployment.
    pub deployment_id: ID,
    /// Whether the readiness check is done (briefing, equipment, supplies for the self-sufficiency period).
    pub readiness_checked: Option<bool>,
    /// Whether the communications check is done (frequencies, interoperability).
    pub communications_checked: Option<bool>,
    /// The roster, replacing the previous one. At most 500.
    #[graphql(validator(max_items = 500))]
    pub personnel: Option<Vec<Person>>,
    /// The equipment list, replacing the previous one. At most 500.
    #[graphql(validator(max_items = 500))]
    pub equipment: Option<Vec<Equipment>>,
    /// The version the change was based on.
    pub expected_version: Option<i32>,
}

/// An assignment or location change (SMAA Forms 105/107).
#[derive(Debug, Clone, InputObject)]
pub struct RecordAssignmentInput {
    /// The deployment.
    pub deployment_id: ID,
    /// The assignment.
    pub assignment: Option<String>,
    /// Where the resources work now.
    pub location: Option<String>,
}

/// The assisting party's notice that it will withdraw its resources.
#[derive(Debug, Clone, InputObject)]
pub struct GiveRecallNoticeInput {
    /// The deployment.
    pub deployment_id: ID,
    /// Why.
    pub reason: String,
    /// Whether circumstances make the compact's advance notice unreasonable: the recall takes effect at once.
    #[graphql(default)]
    pub immediate: bool,
}

/// The release of resources (demobilization).
#[derive(Debug, Clone, InputObject)]
pub struct ReleaseDeploymentInput {
    /// The deployment.
    pub deployment_id: ID,
    /// Whether the resources were debriefed before leaving.
    #[graphql(default)]
    pub debriefed: bool,
}

/// One time record.
#[derive(Debug, Clone, InputObject)]
pub struct TimeRecordInput {
    /// What it counts.
    pub kind: TimeRecordKind,
    /// The day worked.
    pub work_date: Date,
    /// The person (by name), the equipment (by description or unit number) or the material.
    pub subject: String,
    /// Regular hours (personnel) or operating hours (equipment).
    pub regular_hours: Option<DecimalScalar>,
    /// Overtime hours (personnel).
    pub overtime_hours: Option<DecimalScalar>,
    /// Quantity used (materials).
    pub quantity: Option<DecimalScalar>,
    /// Notes.
    pub description: Option<String>,
}

/// Daily time records for a deployment.
#[derive(Debug, Clone, InputObject)]
pub struct RecordTimeInput {
    /// The deployment.
    pub deployment_id: ID,
    /// The records. At most 1000.
    #[graphql(validator(max_items = 1000))]
    pub entries: Vec<TimeRecordInput>,
}

/// Loads a deployment the viewer may see, or `NOT_FOUND`.
pub async fn load_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<deployment::Model> {
    viewer.require_authenticated()?;
    deployment::Entity::find_by_id(id)
        .filter(deployments_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("deployment", id))
}

async fn load_locked(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<deployment::Model> {
    load_visible(db, viewer, id).await?;
    versioned::lock::<deployment::Entity>(db, id, "deployment").await
}

fn ensure_assisting(viewer: &Viewer, d: &deployment::Model) -> AppResult<()> {
    if viewer.represents(d.assisting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the assisting party's authorized representative may do this"))
    }
}

fn ensure_requesting(viewer: &Viewer, d: &deployment::Model) -> AppResult<()> {
    if viewer.represents(d.requesting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the requesting party's authorized representative may do this"))
    }
}

fn ensure_party(viewer: &Viewer, d: &deployment::Model) -> AppResult<()> {
    if viewer.represents(d.assisting_jurisdiction_id) || viewer.represents(d.requesting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only an authorized representative of a party to the deployment may do this"))
    }
}

fn parties(d: &deployment::Model) -> [Uuid; 2] {
    [d.requesting_jurisdiction_id, d.assisting_jurisdiction_id]
}

/// Applies a transition with its field changes and event, in the caller's transaction.
#[expect(clippy::too_many_arguments, reason = "one private helper applies every transition of this record")]
async fn step(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &deployment::Model,
    expected_version: Option<i32>,
    action: &'static str,
    event_action: &'static str,
    edit: impl FnOnce(&mut deployment::ActiveModel),
    payload: serde_json::Value,
) -> AppResult<deployment::Model> {
    let from = DeploymentStatus::from_db(&current.status)?;
    let to = lifecycle::deployment(from, action)?;
    let version = versioned::expected(expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.updated_at = Set(now);
    edit(&mut active);
    versioned::update(db, active, current.id, version).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Deployment, current.id, event_action)
            .status(Some(from), to)
            .compact(Some(current.compact_id))
            .concerning(parties(current))
            .payload(payload),
    )
    .await?;
    deployment::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("deployment", current.id))
}

/// Gives back the inventory a deployment held.
async fn release_holds(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    d: &deployment::Model,
) -> AppResult<()> {
    let holds = deployment_hold::Entity::find().filter(deployment_hold::Column::DeploymentId.eq(d.id)).all(db).await?;
    for hold in holds {
        let item = inventory_item::Entity::find()
            .filter(inventory_item::Column::JurisdictionId.eq(d.assisting_jurisdiction_id))
            .filter(inventory_item::Column::ResourceTypeId.eq(hold.resource_type_id))
            .one(db)
            .await?;
        inventory_item::Entity::update_many()
            .col_expr(
                inventory_item::Column::QuantityAvailable,
                Expr::col(inventory_item::Column::QuantityAvailable).add(hold.quantity),
            )
            .col_expr(inventory_item::Column::Version, Expr::col(inventory_item::Column::Version).add(1))
            .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
            .filter(inventory_item::Column::JurisdictionId.eq(d.assisting_jurisdiction_id))
            .filter(inventory_item::Column::ResourceTypeId.eq(hold.resource_type_id))
            .exec(db)
            .await?;
        // Availability was reset meanwhile: never more available than held.
        inventory_item::Entity::update_many()
            .col_expr(inventory_item::Column::QuantityAvailable, Expr::col(inventory_item::Column::QuantityHeld))
            .filter(inventory_item::Column::JurisdictionId.eq(d.assisting_jurisdiction_id))
            .filter(inventory_item::Column::ResourceTypeId.eq(hold.resource_type_id))
            .filter(
                Expr::col(inventory_item::Column::QuantityAvailable)
                    .gt(Expr::col(inventory_item::Column::QuantityHeld)),
            )
            .exec(db)
            .await?;
        if let Some(item) = item {
            events::append(
                db,
                viewer,
                now,
                NewEvent::new(RecordType::InventoryItem, item.id, "RELEASED")
                    .concerning([d.assisting_jurisdiction_id])
                    .payload(json!({ "deploymentId": d.id, "quantity": hold.quantity })),
            )
            .await?;
        }
    }
    deployment_hold::Entity::delete_many().filter(deployment_hold::Column::DeploymentId.eq(d.id)).exec(db).await?;
    Ok(())
}

/// The assisting party records its checks and its roster while preparing (the roster may change while out).
pub async fn prepare(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: PrepareDeploymentInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let status = DeploymentStatus::from_db(&current.status)?;
    if !lifecycle::deployment_is_out(status) {
        return Err(AppError::InvalidTransition {
            record: "deployment",
            action: "update the roster of",
            current: status.to_string(),
        });
    }
    let version = versioned::expected(input.expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    let mut changed = serde_json::Map::new();
    if let Some(ready) = input.readiness_checked {
        active.readiness_checked = Set(ready);
        changed.insert("readinessChecked".into(), json!(ready));
    }
    if let Some(comms) = input.communications_checked {
        active.communications_checked = Set(comms);
        changed.insert("communicationsChecked".into(), json!(comms));
    }
    if let Some(personnel) = &input.personnel {
        let mut roster = Vec::new();
        for (i, p) in personnel.iter().enumerate() {
            let name = validate::text(&format!("personnel.{i}.name"), &p.name, 200)?;
            let position = validate::text(&format!("personnel.{i}.position"), &p.position, 200)?;
            refuse_ssn(&format!("personnel.{i}.name"), &name)?;
            refuse_ssn(&format!("personnel.{i}.position"), &position)?;
            roster.push(Person { name, position });
        }
        changed.insert("personnel".into(), json!(roster.len()));
        active.personnel = Set(json!(roster));
    }
    if let Some(equipment) = &input.equipment {
        for (i, e) in equipment.iter().enumerate() {
            validate::text(&format!("equipment.{i}.description"), &e.description, 500)?;
            if !(1..=10_000).contains(&e.quantity) {
                return Err(AppError::bad_input(
                    &format!("equipment.{i}.quantity"),
                    "quantity must be between 1 and 10000",
                ));
            }
        }
        changed.insert("equipment".into(), json!(equipment.len()));
        active.equipment = Set(json!(equipment));
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
        NewEvent::new(RecordType::Deployment, id, "PREPARATION_UPDATED")
            .compact(Some(current.compact_id))
            .concerning(parties(&current))
            .payload(changed.into()),
    )
    .await?;
    let model =
        deployment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("deployment", id))?;
    txn.commit().await?;
    Ok(model)
}

/// The assisting party departs, once readiness and communications are checked.
pub async fn depart(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeploymentStepInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    lifecycle::deployment(DeploymentStatus::from_db(&current.status)?, "depart")?;
    if !current.readiness_checked || !current.communications_checked {
        return Err(AppError::bad_input(
            "deploymentId",
            "record the readiness and communications checks before departing",
        ));
    }
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "depart",
        "DEPARTED",
        |a| a.departed_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Either party notifies the arrival at the staging area.
pub async fn arrive(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeploymentStepInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_party(viewer, &current)?;
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "arrive",
        "ARRIVED",
        |a| a.arrived_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The requesting party records an assignment or location change.
pub async fn record_assignment(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordAssignmentInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let assignment = validate::optional_text("assignment", input.assignment.as_deref(), 2000)?;
    let location = validate::optional_text("location", input.location.as_deref(), 1000)?;
    if assignment.is_none() && location.is_none() {
        return Err(AppError::bad_input("assignment", "give an assignment, a location, or both"));
    }
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_requesting(viewer, &current)?;
    let status = DeploymentStatus::from_db(&current.status)?;
    if !matches!(status, DeploymentStatus::EnRoute | DeploymentStatus::OnSite | DeploymentStatus::RecallNoticed) {
        return Err(AppError::InvalidTransition {
            record: "deployment",
            action: "assign",
            current: status.to_string(),
        });
    }
    let mut active = current.clone().into_active_model();
    if assignment.is_some() {
        active.assignment = Set(assignment.clone());
    }
    if location.is_some() {
        active.location = Set(location.clone());
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Deployment, id, "ASSIGNMENT_CHANGED")
            .compact(Some(current.compact_id))
            .concerning(parties(&current))
            .payload(json!({ "assignment": assignment, "location": location })),
    )
    .await?;
    let model =
        deployment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("deployment", id))?;
    txn.commit().await?;
    Ok(model)
}

/// The assisting party gives notice of recall; it takes effect after the compact's recall period, or at once
/// when circumstances make the notice unreasonable.
pub async fn give_recall_notice(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: GiveRecallNoticeInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let reason = validate::text("reason", &input.reason, 2000)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let effective =
        if input.immediate { now } else { deadlines::hours_after(now, compact.recall_notice_hours).unwrap_or(now) };
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        None,
        "give recall notice on",
        "RECALL_NOTICED",
        |a| {
            a.recall_noticed_at = Set(Some(now));
            a.recall_effective_at = Set(Some(effective));
            a.recall_reason = Set(Some(reason.clone()));
        },
        json!({ "reason": reason, "immediate": input.immediate, "effectiveAt": effective,
                "noticeHours": compact.recall_notice_hours }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Releases the resources (demobilization): the requesting party at any time; the assisting party once its
/// recall notice has taken effect.
pub async fn release(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ReleaseDeploymentInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_party(viewer, &current)?;
    if !viewer.represents(current.requesting_jurisdiction_id) {
        match current.recall_effective_at {
            Some(effective) if now >= effective => {}
            Some(effective) => {
                return Err(AppError::InvalidTransition {
                    record: "deployment",
                    action: "withdraw",
                    current: format!("{} until the recall takes effect at {}", current.status, effective.to_rfc3339()),
                });
            }
            None => {
                return Err(AppError::forbidden(
                    "the requesting party releases resources; the assisting party recalls them",
                ));
            }
        }
    }
    let debriefed = input.debriefed;
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        None,
        "release",
        "RELEASED",
        |a| {
            a.released_at = Set(Some(now));
            a.debriefed = Set(debriefed);
        },
        json!({ "debriefed": debriefed }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The assisting party notifies the safe arrival home: inventory is restored and, where the compact has the
/// rule, the after-action report falls due.
pub async fn record_return(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeploymentStepInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "record the return of",
        "RETURNED",
        |a| a.returned_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    release_holds(&txn, viewer, now, &current).await?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let new = NewDeadline {
        compact_id: Some(compact.id),
        record_type: RecordType::Agreement,
        record_id: current.agreement_id,
        kind: DeadlineKind::AfterActionReport,
        owed_by: Some(crate::domain::policy::Policy::after_action_filer(
            &compact,
            current.requesting_jurisdiction_id,
            current.assisting_jurisdiction_id,
        )?),
        starts_at: now,
    };
    deadlines::create(&txn, viewer, now, new, deadlines::days_after(now, compact.after_action_report_days)).await?;
    claims::open_on_return(&txn, viewer, now, &model).await?;
    txn.commit().await?;
    Ok(model)
}

/// Either party closes a returned deployment once its paperwork is complete.
pub async fn close(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeploymentStepInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_party(viewer, &current)?;
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "close",
        "CLOSED",
        |a| a.closed_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Either party cancels a deployment before departure; the held inventory is given back.
pub async fn cancel(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeploymentStepInput,
) -> AppResult<deployment::Model> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_party(viewer, &current)?;
    let model = step(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "cancel",
        "CANCELLED",
        |a| a.closed_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    release_holds(&txn, viewer, now, &current).await?;
    let accepted = offers::accepted_quantities(&txn, current.request_id).await?;
    requests::reopen_if_uncovered(&txn, viewer, now, current.request_id, &accepted).await?;
    txn.commit().await?;
    Ok(model)
}

fn hours(field: &str, value: Option<DecimalScalar>) -> AppResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.0 < Decimal::ZERO || v.0 > Decimal::from(24) => {
            Err(AppError::bad_input(field, "hours must be between 0 and 24 a day"))
        }
        Some(v) => Ok(Some(v.0.to_string())),
    }
}

/// Either party keeps daily personnel hours, equipment hours and materials used: the requesting jurisdiction's
/// incident commander under Utah R704-2-6(1)(b)(i), the assisting party's supervisors under the AACOG agreement
/// (section 6, Conditions (e)). Each record says which party recorded it.
pub async fn record_time(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordTimeInput,
) -> AppResult<(deployment::Model, Vec<time_record::Model>)> {
    let id = validate::id("deploymentId", &input.deployment_id)?;
    if input.entries.is_empty() || input.entries.len() > 500 {
        return Err(AppError::bad_input("entries", "record between 1 and 500 entries at a time"));
    }
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    ensure_party(viewer, &current)?;
    let party = if viewer.represents(current.requesting_jurisdiction_id) {
        current.requesting_jurisdiction_id
    } else {
        current.assisting_jurisdiction_id
    };
    let status = DeploymentStatus::from_db(&current.status)?;
    if matches!(status, DeploymentStatus::Preparing | DeploymentStatus::Cancelled | DeploymentStatus::Closed) {
        return Err(AppError::InvalidTransition {
            record: "deployment",
            action: "record time on",
            current: status.to_string(),
        });
    }
    let mut saved = Vec::new();
    for (i, entry) in input.entries.iter().enumerate() {
        let field = |name: &str| format!("entries.{i}.{name}");
        let subject = validate::text(&field("subject"), &entry.subject, 200)?;
        refuse_ssn(&field("subject"), &subject)?;
        let regular = hours(&field("regularHours"), entry.regular_hours)?;
        let overtime = hours(&field("overtimeHours"), entry.overtime_hours)?;
        let quantity = match entry.quantity {
            Some(q) if q.0 < Decimal::ZERO => {
                return Err(AppError::bad_input(&field("quantity"), "quantity cannot be negative"));
            }
            q => q.map(|q| q.0.to_string()),
        };
        match entry.kind {
            TimeRecordKind::Personnel | TimeRecordKind::Equipment if regular.is_none() && overtime.is_none() => {
                return Err(AppError::bad_input(&field("regularHours"), "give the hours worked"));
            }
            TimeRecordKind::Material if quantity.is_none() => {
                return Err(AppError::bad_input(&field("quantity"), "give the quantity used"));
            }
            _ => {}
        }
        let model = time_record::ActiveModel {
            id: Set(Uuid::now_v7()),
            deployment_id: Set(id),
            kind: Set(entry.kind.as_str().to_owned()),
            work_date: Set(entry.work_date.0),
            subject: Set(subject),
            regular_hours: Set(regular),
            overtime_hours: Set(overtime),
            quantity: Set(quantity),
            description: Set(validate::optional_text(&field("description"), entry.description.as_deref(), 2000)?),
            recorded_by_subject: Set(viewer.subject.clone()),
            recorded_by_jurisdiction_id: Set(Some(party)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        saved.push(model);
    }
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Deployment, id, "TIME_RECORDED")
            .compact(Some(current.compact_id))
            .concerning(parties(&current))
            .payload(json!({ "entries": saved.len(), "recordedBy": party })),
    )
    .await?;
    txn.commit().await?;
    Ok((current, saved))
}

/// The agreement of a deployment (for payloads).
pub async fn agreement_of(db: &impl ConnectionTrait, d: &deployment::Model) -> AppResult<Option<agreement::Model>> {
    Ok(agreement::Entity::find_by_id(d.agreement_id).one(db).await?)
}
