//! Deadlines as records: created when a policy clock starts, met when the owed step is done, read with the
//! status they have now (a pending deadline past its due time reads `MISSED`; the record is never lost).

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Duration, Utc};
use entities::{claim, compact, deadline, deadline_extension, dispute};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::deadlines_visible_to;
use crate::domain::enums::Role;
use crate::domain::enums::{DeadlineKind, DeadlineStatus, ExtensionStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::domain::validate;
use crate::error::{AppError, AppResult};
use crate::scalars::DateTime as DateTimeScalar;

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
        stated_at: Set(None),
        stated_confirmed_at: Set(None),
        stated_confirmed_by_subject: Set(None),
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

/// Marks the open deadline of `kind` on `record_id` as fulfilled, the party stating it was done at `stated`.
///
/// The deadline is judged by when the step was recorded (`now`): a party cannot turn a missed deadline into a met
/// one by stating an earlier date. A stated date before `now` is kept beside it (`statedAt`); when the recording
/// was late but the stated date on time, the deadline stays `MISSED` until the other party or the coordinator
/// confirms the stated date (`confirmStatedDate`). When both are on time it is `MET` at the stated date.
///
/// A step recorded after its due date, where the scheduler has not yet judged the deadline, has its consequence
/// applied at once (the claim forfeited or flagged overdue, per the compact): the scheduler is not the only judge.
/// Does nothing when there is no open deadline.
pub async fn fulfil(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    record_id: Uuid,
    kind: DeadlineKind,
    stated: DateTime<Utc>,
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
    // A date a few minutes ahead (clock skew) counts as now.
    let stated = stated.min(now);
    let backdated = stated < now;
    let recorded_on_time = now <= current.due_at;
    let (to, met_at) = match (backdated, recorded_on_time) {
        (false, _) if stated <= current.due_at => (DeadlineStatus::Met, stated),
        (false, _) => (DeadlineStatus::Missed, stated),
        (true, true) => (DeadlineStatus::Met, stated),
        (true, false) => (DeadlineStatus::Missed, now),
    };
    let awaiting_confirmation = backdated && to == DeadlineStatus::Missed && stated <= current.due_at;
    let mut active = current.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.met_at = Set(Some(met_at));
    active.stated_at = Set(backdated.then_some(stated));
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
            .payload(json!({
                "kind": kind, "recordId": record_id, "fulfilledAt": met_at, "recordedAt": now,
                "statedAt": backdated.then_some(stated), "dueAt": current.due_at,
                "awaitingConfirmation": awaiting_confirmation,
            })),
    )
    .await?;
    if awaiting_confirmation {
        events::append(
            db,
            viewer,
            now,
            NewEvent::new(RecordType::Deadline, current.id, "STATED_DATE_TO_CONFIRM")
                .compact(current.compact_id)
                .concerning(confirmers(db, &current).await?)
                .payload(json!({ "kind": kind, "recordId": record_id, "statedAt": stated, "recordedAt": now,
                                 "dueAt": current.due_at })),
        )
        .await?;
    }
    if from == DeadlineStatus::Pending && to == DeadlineStatus::Missed {
        crate::domain::claims::apply_consequence(db, &Viewer::system(), now, &updated).await?;
    }
    Ok(Some(updated))
}

/// The requesting and assisting parties of the claim a reimbursement deadline belongs to.
async fn claim_parties(db: &impl ConnectionTrait, d: &deadline::Model) -> AppResult<[Uuid; 2]> {
    let claim = claim::Entity::find_by_id(d.record_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("claim", d.record_id))?;
    Ok(crate::domain::claims::parties(&claim))
}

/// The jurisdictions that may confirm a date stated for `d`: the other party of a claim, and the compact's
/// coordinating jurisdiction.
async fn confirmers(db: &impl ConnectionTrait, d: &deadline::Model) -> AppResult<Vec<Uuid>> {
    let mut out = Vec::new();
    if RecordType::from_db(&d.record_type)? == RecordType::Claim
        && let Some(c) = claim::Entity::find_by_id(d.record_id).one(db).await?
    {
        out.extend(crate::domain::claims::parties(&c).into_iter().filter(|j| Some(*j) != d.owed_by_jurisdiction_id));
    }
    if let Some(compact_id) = d.compact_id
        && let Some(c) = compact::Entity::find_by_id(compact_id).one(db).await?
    {
        out.extend(c.coordinating_jurisdiction_id);
    }
    Ok(out)
}

/// Confirms the date a party stated for a step it recorded late: by the other party of the claim, or by the
/// compact's coordinator, never by the party that owes it. A deadline whose stated date was on time becomes `MET`
/// at that date.
pub async fn confirm_stated_date(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    deadline_id: Uuid,
) -> AppResult<deadline::Model> {
    viewer.require_authenticated()?;
    let txn = events::begin(db).await?;
    let current = load_visible(&txn, viewer, deadline_id).await?;
    if current.stated_at.is_none() {
        return Err(AppError::bad_input("deadlineId", "no date was stated for this deadline's step"));
    }
    if current.stated_confirmed_at.is_some() {
        return Err(AppError::Conflict("the stated date is already confirmed".into()));
    }
    if current.owed_by_jurisdiction_id.is_some_and(|j| viewer.represents(j)) {
        return Err(AppError::forbidden("the party that stated a date cannot confirm it; the other party does"));
    }
    let coordinates = current.compact_id.is_some_and(|c| viewer.has_compact_role(Role::Coordinator, c));
    let allowed = coordinates || confirmers(&txn, &current).await?.into_iter().any(|j| viewer.represents(j));
    if !allowed {
        return Err(AppError::forbidden(
            "only the other party of the claim or the compact's coordinator may confirm a stated date",
        ));
    }
    let updated = confirm(&txn, viewer, now, &current).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Confirms the stated date of `current` (the caller has checked who may): `MET` at that date when it was on time.
pub async fn confirm(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &deadline::Model,
) -> AppResult<deadline::Model> {
    let Some(stated) = current.stated_at else { return Ok(current.clone()) };
    let from = DeadlineStatus::from_db(&current.status)?;
    let met = from == DeadlineStatus::Missed && current.met_at.is_some() && stated <= current.due_at;
    let mut active = current.clone().into_active_model();
    active.stated_confirmed_at = Set(Some(now));
    active.stated_confirmed_by_subject = Set(Some(viewer.subject.clone()));
    if met {
        active.status = Set(DeadlineStatus::Met.as_str().to_owned());
        active.met_at = Set(Some(stated));
    }
    active.updated_at = Set(now);
    active.version = Set(current.version + 1);
    let updated = active.update(db).await?;
    let mut event = NewEvent::new(RecordType::Deadline, current.id, "STATED_DATE_CONFIRMED")
        .compact(current.compact_id)
        .concerning(current.owed_by_jurisdiction_id)
        .payload(json!({ "kind": current.kind, "recordId": current.record_id, "statedAt": stated,
                         "dueAt": current.due_at }));
    if met {
        event = event.status(Some(from), DeadlineStatus::Met);
    }
    events::append(db, viewer, now, event).await?;
    if met && RecordType::from_db(&current.record_type)? == RecordType::Claim {
        clear_overdue(db, viewer, now, current.record_id).await?;
    }
    Ok(updated)
}

/// Clears a claim's `overdue` flag when none of its deadlines is missed any more.
async fn clear_overdue(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    claim_id: Uuid,
) -> AppResult<()> {
    let Some(current) = claim::Entity::find_by_id(claim_id).one(db).await? else { return Ok(()) };
    if !current.overdue {
        return Ok(());
    }
    let mut records = vec![claim_id];
    records.extend(
        dispute::Entity::find().filter(dispute::Column::ClaimId.eq(claim_id)).all(db).await?.into_iter().map(|d| d.id),
    );
    let all = deadline::Entity::find().filter(deadline::Column::RecordId.is_in(records)).all(db).await?;
    for d in &all {
        if status_at(d, now)? == DeadlineStatus::Missed {
            return Ok(());
        }
    }
    crate::domain::claims::change(db, viewer, now, &current, None, ("OVERDUE_CLEARED", json!({})), |a| {
        a.overdue = Set(false);
    })
    .await?;
    Ok(())
}

/// Loads a deadline the viewer may see, locked for a change on PostgreSQL, or `NOT_FOUND`.
async fn load_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<deadline::Model> {
    deadline::Entity::find_by_id(id)
        .filter(deadlines_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("deadline", id))?;
    crate::domain::versioned::lock::<deadline::Entity>(db, id, "deadline").await
}

/// The reimbursement due dates the parties may extend by agreement (Utah R704-2-10(5)(b)).
const EXTENDABLE: [DeadlineKind; 4] =
    [DeadlineKind::NoticeOfIntent, DeadlineKind::RequestPackage, DeadlineKind::BillingLimit, DeadlineKind::Payment];

/// A proposed extension of a due date.
#[derive(Debug, Clone, InputObject)]
pub struct ProposeDeadlineExtensionInput {
    /// The deadline: a reimbursement due date (`NOTICE_OF_INTENT`, `REQUEST_PACKAGE`, `BILLING_LIMIT`, `PAYMENT`)
    /// that has not passed.
    pub deadline_id: ID,
    /// The new due date: later than the current one, and at most 3,650 days after it.
    pub due_at: DateTimeScalar,
    /// Why, as the parties agreed it. 1 to 2,000 characters.
    pub reason: String,
}

/// The other party's answer to a proposed extension.
#[derive(Debug, Clone, InputObject)]
pub struct AnswerDeadlineExtensionInput {
    /// The proposed extension.
    pub extension_id: ID,
    /// True to agree (the deadline moves), false to decline.
    pub agree: bool,
}

/// Proposes to extend a reimbursement due date. Either party of the claim proposes; a new proposal replaces an
/// unanswered one (as `SUPERSEDED`). Nothing moves until the other party agrees.
pub async fn propose_extension(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ProposeDeadlineExtensionInput,
) -> AppResult<deadline_extension::Model> {
    viewer.require_authenticated()?;
    let deadline_id = validate::id("deadlineId", &input.deadline_id)?;
    let reason = validate::text("reason", &input.reason, 2000)?;
    let due_at = input.due_at.0;
    let txn = events::begin(db).await?;
    let current = load_visible(&txn, viewer, deadline_id).await?;
    let kind = DeadlineKind::from_db(&current.kind)?;
    if !EXTENDABLE.contains(&kind) {
        return Err(AppError::bad_input(
            "deadlineId",
            format!("{kind} is not a reimbursement due date; only those are extended by the parties' agreement"),
        ));
    }
    let parties = claim_parties(&txn, &current).await?;
    let Some(proposer) = parties.into_iter().find(|j| viewer.represents(*j)) else {
        return Err(AppError::forbidden("only an authorized representative of a party to the claim proposes this"));
    };
    ensure_extendable(&current, now)?;
    if due_at <= current.due_at || due_at > current.due_at + Duration::days(3650) {
        return Err(AppError::bad_input(
            "dueAt",
            format!(
                "the new due date is after the current one ({}) and at most 3650 days after it",
                current.due_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    supersede_proposals(&txn, deadline_id).await?;
    let id = Uuid::now_v7();
    let model = deadline_extension::ActiveModel {
        id: Set(id),
        deadline_id: Set(deadline_id),
        compact_id: Set(current.compact_id),
        status: Set(ExtensionStatus::Proposed.as_str().to_owned()),
        previous_due_at: Set(current.due_at),
        due_at: Set(due_at),
        reason: Set(reason.clone()),
        proposed_by_jurisdiction_id: Set(proposer),
        proposed_by_subject: Set(viewer.subject.clone()),
        proposed_at: Set(now),
        answered_by_jurisdiction_id: Set(None),
        answered_by_subject: Set(None),
        answered_at: Set(None),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, deadline_id, "EXTENSION_PROPOSED")
            .compact(current.compact_id)
            .concerning(parties)
            .payload(json!({ "extensionId": id, "kind": kind, "recordId": current.record_id,
                             "dueAt": current.due_at, "proposedDueAt": due_at, "reason": reason })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Marks the unanswered extension proposals of a deadline superseded (a new proposal, or a new due date).
async fn supersede_proposals(db: &impl ConnectionTrait, deadline_id: Uuid) -> AppResult<()> {
    deadline_extension::Entity::update_many()
        .col_expr(deadline_extension::Column::Status, Expr::value(ExtensionStatus::Superseded.as_str()))
        .filter(deadline_extension::Column::DeadlineId.eq(deadline_id))
        .filter(deadline_extension::Column::Status.eq(ExtensionStatus::Proposed.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

fn ensure_extendable(current: &deadline::Model, now: DateTime<Utc>) -> AppResult<()> {
    let status = status_at(current, now)?;
    if status != DeadlineStatus::Pending {
        return Err(AppError::InvalidTransition { record: "deadline", action: "extend", current: status.to_string() });
    }
    Ok(())
}

/// The other party agrees to (the deadline moves, with its history kept) or declines a proposed extension.
pub async fn answer_extension(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AnswerDeadlineExtensionInput,
) -> AppResult<(deadline_extension::Model, deadline::Model)> {
    viewer.require_authenticated()?;
    let id = validate::id("extensionId", &input.extension_id)?;
    let txn = events::begin(db).await?;
    let extension = deadline_extension::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("deadline extension", id))?;
    let current = load_visible(&txn, viewer, extension.deadline_id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::not_found("deadline extension", id),
        other => other,
    })?;
    let parties = claim_parties(&txn, &current).await?;
    let Some(answerer) =
        parties.into_iter().find(|j| viewer.represents(*j) && *j != extension.proposed_by_jurisdiction_id)
    else {
        return Err(AppError::forbidden(
            "only the other party's authorized representative answers a proposed extension",
        ));
    };
    let status = ExtensionStatus::from_db(&extension.status)?;
    if status != ExtensionStatus::Proposed {
        return Err(AppError::InvalidTransition {
            record: "deadline extension",
            action: if input.agree { "agree to" } else { "decline" },
            current: status.to_string(),
        });
    }
    if input.agree {
        ensure_extendable(&current, now)?;
        if extension.previous_due_at != current.due_at || extension.due_at <= current.due_at {
            return Err(AppError::InvalidTransition {
                record: "deadline extension",
                action: "agree to",
                current: "STALE (the deadline's due date changed since it was proposed)".to_owned(),
            });
        }
    }
    let to = if input.agree { ExtensionStatus::Agreed } else { ExtensionStatus::Declined };
    let mut active = extension.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.answered_by_jurisdiction_id = Set(Some(answerer));
    active.answered_by_subject = Set(Some(viewer.subject.clone()));
    active.answered_at = Set(Some(now));
    let answered = active.update(&txn).await?;
    let deadline = if input.agree {
        let mut moved = current.clone().into_active_model();
        moved.due_at = Set(extension.due_at);
        moved.reminded_at = Set(None);
        moved.reminders_sent = Set(0);
        moved.note = Set(Some(format!("extended by agreement: {}", extension.reason)));
        moved.updated_at = Set(now);
        moved.version = Set(current.version + 1);
        moved.update(&txn).await?
    } else {
        current.clone()
    };
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, current.id, if input.agree { "EXTENDED" } else { "EXTENSION_DECLINED" })
            .compact(current.compact_id)
            .concerning(parties)
            .payload(json!({ "extensionId": id, "kind": current.kind, "recordId": current.record_id,
                             "previousDueAt": current.due_at, "dueAt": deadline.due_at })),
    )
    .await?;
    txn.commit().await?;
    Ok((answered, deadline))
}

/// The extensions proposed for a deadline, oldest first.
pub async fn extensions_of(db: &impl ConnectionTrait, deadline_id: Uuid) -> AppResult<Vec<deadline_extension::Model>> {
    Ok(deadline_extension::Entity::find()
        .filter(deadline_extension::Column::DeadlineId.eq(deadline_id))
        .order_by_asc(deadline_extension::Column::ProposedAt)
        .order_by_asc(deadline_extension::Column::Id)
        .all(db)
        .await?)
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
    supersede_proposals(db, current.id).await?;
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
