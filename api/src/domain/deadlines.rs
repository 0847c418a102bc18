//! Deadlines as records: created when a policy clock starts, met when the owed step is done, read with the
//! status they have now (a pending deadline past its due time reads `MISSED`; the record is never lost).

use chrono::{DateTime, Duration, Utc};
use entities::deadline;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::{DeadlineKind, DeadlineStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::error::AppResult;

/// A deadline to create.
#[derive(Debug, Clone)]
pub struct NewDeadline {
    /// The compact whose policy sets it.
    pub compact_id: Option<Uuid>,
    /// The record it belongs to.
    pub record_type: RecordType,
    /// The record it belongs to.
    pub record_id: Uuid,
    /// What is due.
    pub kind: DeadlineKind,
    /// The jurisdiction that owes it.
    pub owed_by: Option<Uuid>,
    /// When the clock started.
    pub starts_at: DateTime<Utc>,
}

/// Hours after `starts_at`, when the policy has such a rule.
pub fn hours_after(starts_at: DateTime<Utc>, hours: Option<i32>) -> Option<DateTime<Utc>> {
    hours.map(|h| starts_at + Duration::hours(i64::from(h)))
}

/// Days after `starts_at`, when the policy has such a rule.
pub fn days_after(starts_at: DateTime<Utc>, days: Option<i32>) -> Option<DateTime<Utc>> {
    days.map(|d| starts_at + Duration::days(i64::from(d)))
}

/// The status a deadline has at `now`.
pub fn status_at(model: &deadline::Model, now: DateTime<Utc>) -> AppResult<DeadlineStatus> {
    let stored = DeadlineStatus::from_db(&model.status)?;
    Ok(if stored == DeadlineStatus::Pending && now > model.due_at { DeadlineStatus::Missed } else { stored })
}

/// Creates the deadline due at `due_at` (nothing when the policy has no such rule) and its event.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    new: NewDeadline,
    due_at: Option<DateTime<Utc>>,
) -> AppResult<Option<deadline::Model>> {
    let Some(due_at) = due_at else { return Ok(None) };
    let id = Uuid::now_v7();
    let model = deadline::ActiveModel {
        id: Set(id),
        compact_id: Set(new.compact_id),
        record_type: Set(new.record_type.as_str().to_owned()),
        record_id: Set(new.record_id),
        kind: Set(new.kind.as_str().to_owned()),
        owed_by_jurisdiction_id: Set(new.owed_by),
        due_at: Set(due_at),
        status: Set(DeadlineStatus::Pending.as_str().to_owned()),
        met_at: Set(None),
        reminded_at: Set(None),
        reminders_sent: Set(0),
        note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, id, "CREATED")
            .status(None::<&str>, DeadlineStatus::Pending)
            .compact(new.compact_id)
            .concerning(new.owed_by)
            .payload(json!({
                "kind": new.kind, "recordType": new.record_type, "recordId": new.record_id,
                "startsAt": new.starts_at, "dueAt": due_at,
            })),
    )
    .await?;
    Ok(Some(model))
}

/// Marks the open deadline of `kind` on `record_id` as fulfilled at `at`: `MET` on time, `MISSED` (with the
/// fulfilment time kept) when late, including one the scheduler already marked missed. Does nothing when there is
/// none.
pub async fn fulfil(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    record_id: Uuid,
    kind: DeadlineKind,
    at: DateTime<Utc>,
) -> AppResult<Option<deadline::Model>> {
    let found = deadline::Entity::find()
        .filter(deadline::Column::RecordId.eq(record_id))
        .filter(deadline::Column::Kind.eq(kind.as_str()))
        .filter(deadline::Column::Status.is_in([DeadlineStatus::Pending.as_str(), DeadlineStatus::Missed.as_str()]))
        .filter(deadline::Column::MetAt.is_null())
        .one(db)
        .await?;
    let Some(current) = found else { return Ok(None) };
    let from = DeadlineStatus::from_db(&current.status)?;
    let to = if at <= current.due_at { DeadlineStatus::Met } else { DeadlineStatus::Missed };
    let mut active = current.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.met_at = Set(Some(at));
    active.updated_at = Set(now);
    active.version = Set(current.version + 1);
    let updated = active.update(db).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, current.id, if to == DeadlineStatus::Met { "MET" } else { "MET_LATE" })
            .status(Some(from), to)
            .compact(current.compact_id)
            .concerning(current.owed_by_jurisdiction_id)
            .payload(json!({ "kind": kind, "recordId": record_id, "fulfilledAt": at, "dueAt": current.due_at })),
    )
    .await?;
    Ok(Some(updated))
}

/// Starts a suspended deadline's clock again: the `kind` deadline of `record_id` that was set aside (`WAIVED`
/// without being met, as a notice of dispute suspends the payment clock) becomes `PENDING`, due at `due_at`, with
/// its reminders reset and its history kept. Does nothing when the policy sets no such deadline or none was set
/// aside.
pub async fn restart(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    record_id: Uuid,
    kind: DeadlineKind,
    due_at: Option<DateTime<Utc>>,
    reason: &str,
) -> AppResult<Option<deadline::Model>> {
    let Some(due_at) = due_at else { return Ok(None) };
    let found = deadline::Entity::find()
        .filter(deadline::Column::RecordId.eq(record_id))
        .filter(deadline::Column::Kind.eq(kind.as_str()))
        .filter(deadline::Column::Status.eq(DeadlineStatus::Waived.as_str()))
        .filter(deadline::Column::MetAt.is_null())
        .one(db)
        .await?;
    let Some(current) = found else { return Ok(None) };
    let mut active = current.clone().into_active_model();
    active.status = Set(DeadlineStatus::Pending.as_str().to_owned());
    active.due_at = Set(due_at);
    active.reminded_at = Set(None);
    active.reminders_sent = Set(0);
    active.note = Set(Some(reason.to_owned()));
    active.updated_at = Set(now);
    active.version = Set(current.version + 1);
    let updated = active.update(db).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, current.id, "RESTARTED")
            .status(Some(DeadlineStatus::Waived), DeadlineStatus::Pending)
            .compact(current.compact_id)
            .concerning(current.owed_by_jurisdiction_id)
            .payload(json!({ "kind": kind, "recordId": record_id, "previousDueAt": current.due_at, "dueAt": due_at,
                             "reason": reason })),
    )
    .await?;
    Ok(Some(updated))
}
