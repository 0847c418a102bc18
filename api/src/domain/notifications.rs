//! Notifications: the events that ask something of a jurisdiction (a deadline due soon or missed, a consequence
//! applied, an offer to decide, an amendment to acknowledge, a hearing scheduled, an extension or a stated date to
//! answer) become notifications for its representatives, written in the transaction of the event. Each person
//! has their own read state; each notification is also an e-mail outbox row, sent to the jurisdiction's contacts
//! when SMTP is configured (see `crate::mailer`).

use chrono::{DateTime, Utc};
use entities::{event, notification, notification_read};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::{EmailStatus, NotificationKind, NotificationTopic, RecordType};
use crate::error::{AppError, AppResult};

/// What an event asks, and of whom: `Others` are the concerned jurisdictions the actor does not represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whom {
    Concerned,
    Others,
}

fn classify(record_type: &str, action: &str) -> Option<(NotificationKind, NotificationTopic, Whom)> {
    use NotificationKind::*;
    use NotificationTopic as T;
    let record_type = RecordType::from_db(record_type).ok()?;
    Some(match (record_type, action) {
        (RecordType::Deadline, "REMINDER") => (DueSoon, T::DeadlineDueSoon, Whom::Concerned),
        (RecordType::Deadline, "MISSED") => (Missed, T::DeadlineMissed, Whom::Concerned),
        (RecordType::Claim, "FORFEITED") => (ConsequenceApplied, T::ClaimForfeited, Whom::Concerned),
        (RecordType::Claim, "FLAGGED_OVERDUE") => (ConsequenceApplied, T::ClaimFlaggedOverdue, Whom::Concerned),
        (RecordType::Offer, "OFFERED") => (ActionNeeded, T::OfferToDecide, Whom::Others),
        (RecordType::Amendment, "PROPOSED") => (ActionNeeded, T::AmendmentToAcknowledge, Whom::Others),
        (RecordType::Dispute, "HEARING_SCHEDULED") => (ActionNeeded, T::HearingScheduled, Whom::Concerned),
        (RecordType::Deadline, "EXTENSION_PROPOSED") => (ActionNeeded, T::ExtensionToAnswer, Whom::Others),
        (RecordType::Deadline, "STATED_DATE_TO_CONFIRM") => (ActionNeeded, T::StatedDateToConfirm, Whom::Concerned),
        _ => return None,
    })
}

fn text(payload: &Value, key: &str) -> String {
    match payload.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn due(payload: &Value, key: &str) -> Option<DateTime<Utc>> {
    payload.get(key).and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.to_utc())
}

/// The title and body of a notification of `topic` about an event with `payload`.
fn words(topic: NotificationTopic, payload: &Value) -> (String, String) {
    let kind = text(payload, "kind");
    match topic {
        NotificationTopic::DeadlineDueSoon => (
            format!("{kind} is due {}", text(payload, "dueAt")),
            format!(
                "The {kind} deadline falls due at {} ({} hours from the reminder). File it before then.",
                text(payload, "dueAt"),
                text(payload, "hoursLeft")
            ),
        ),
        NotificationTopic::DeadlineMissed => (
            format!("{kind} was missed"),
            format!("The {kind} deadline was due at {} and nothing was recorded by then.", text(payload, "dueAt")),
        ),
        NotificationTopic::ClaimForfeited => (
            "A reimbursement claim was forfeited".to_owned(),
            format!("The claim is forfeited under the compact's rules: {}.", text(payload, "reason")),
        ),
        NotificationTopic::ClaimFlaggedOverdue => (
            "A reimbursement claim is overdue".to_owned(),
            format!("The claim's {kind} deadline passed; the claim is flagged overdue."),
        ),
        NotificationTopic::OfferToDecide => (
            "An offer answers your request".to_owned(),
            "An assisting jurisdiction offered resources for your request: accept or reject the offer.".to_owned(),
        ),
        NotificationTopic::AmendmentToAcknowledge => (
            "An amendment awaits your acknowledgment".to_owned(),
            "The other party proposed an amendment of your agreement: acknowledge it to put it in force.".to_owned(),
        ),
        NotificationTopic::HearingScheduled => (
            format!("A committee hearing is scheduled for {}", text(payload, "hearingAt")),
            format!("The committee scheduled the hearing of your dispute at {}.", text(payload, "hearingAt")),
        ),
        NotificationTopic::ExtensionToAnswer => (
            format!("An extension of {kind} is proposed"),
            format!(
                "The other party proposes to move the {kind} due date from {} to {}: agree or decline.",
                text(payload, "dueAt"),
                text(payload, "proposedDueAt")
            ),
        ),
        NotificationTopic::StatedDateToConfirm => (
            format!("Confirm the date stated for {kind}"),
            format!(
                "The owing party recorded {kind} at {} and stated it was done at {}, before the due date {}. \
                 Confirm the stated date if it is right.",
                text(payload, "recordedAt"),
                text(payload, "statedAt"),
                text(payload, "dueAt")
            ),
        ),
    }
}

/// Writes the notifications `saved` asks for (none for most events), in the caller's transaction.
pub async fn on_event(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    saved: &event::Model,
    concerned: &[Uuid],
) -> AppResult<()> {
    let Some((kind, topic, whom)) = classify(&saved.record_type, &saved.action) else { return Ok(()) };
    let recipients: Vec<Uuid> =
        concerned.iter().copied().filter(|j| whom == Whom::Concerned || !viewer.represents(*j)).collect();
    if recipients.is_empty() {
        return Ok(());
    }
    let (title, body) = words(topic, &saved.payload);
    let due_at = due(&saved.payload, "dueAt");
    let rows = recipients.into_iter().map(|jurisdiction_id| notification::ActiveModel {
        id: NotSet,
        jurisdiction_id: Set(jurisdiction_id),
        compact_id: Set(saved.compact_id),
        kind: Set(kind.as_str().to_owned()),
        topic: Set(topic.as_str().to_owned()),
        record_type: Set(saved.record_type.clone()),
        record_id: Set(saved.record_id),
        event_id: Set(saved.id),
        title: Set(title.chars().take(300).collect()),
        body: Set(body.clone()),
        due_at: Set(due_at),
        created_at: Set(saved.occurred_at),
        email_status: Set(EmailStatus::Pending.as_str().to_owned()),
        email_attempts: Set(0),
        email_next_at: Set(Some(saved.occurred_at)),
        emailed_at: Set(None),
        email_error: Set(None),
    });
    notification::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// The notifications `viewer` receives: those of the jurisdiction it represents.
pub fn addressed_to(viewer: &Viewer) -> Condition {
    match viewer.jurisdiction_id.filter(|j| viewer.represents(*j)) {
        Some(j) => Condition::all().add(notification::Column::JurisdictionId.eq(j)),
        None => Condition::all().add(notification::Column::Id.lt(0)),
    }
}

/// The ids among `ids` that `subject` has read.
pub async fn read_by(db: &impl ConnectionTrait, subject: &str, ids: &[i64]) -> AppResult<Vec<i64>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(notification_read::Entity::find()
        .filter(notification_read::Column::Subject.eq(subject))
        .filter(notification_read::Column::NotificationId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.notification_id)
        .collect())
}

/// The ids of the notifications `subject` has read, as a sub-select.
pub fn read_subquery(subject: &str) -> SelectStatement {
    Query::select()
        .column(notification_read::Column::NotificationId)
        .from(notification_read::Entity)
        .and_where(notification_read::Column::Subject.eq(subject.to_owned()))
        .to_owned()
}

/// How many notifications addressed to `viewer` it has not read.
pub async fn unread_count(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(addressed_to(viewer))
        .filter(notification::Column::Id.not_in_subquery(read_subquery(&viewer.subject)))
        .count(db)
        .await?)
}

/// Marks notifications read for `viewer`: `ids` (at most 100, each addressed to it; another's is `NOT_FOUND`), or
/// every one when `all`. Returns how many were newly marked.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    ids: &[i64],
    all: bool,
) -> AppResult<u64> {
    viewer.require_authenticated()?;
    if all != ids.is_empty() {
        return Err(AppError::bad_input("ids", "give the ids to mark read, or all: true (not both)"));
    }
    let mut unique: Vec<i64> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let mut mine = Condition::all().add(addressed_to(viewer));
    if !all {
        mine = mine.add(notification::Column::Id.is_in(unique.iter().copied()));
        let found = notification::Entity::find().filter(mine.clone()).count(db).await?;
        if found != unique.len() as u64 {
            let missing = unique.first().copied().unwrap_or_default();
            return Err(AppError::NotFound(format!(
                "notification not found: one of the ids (such as {missing}) is not addressed to you"
            )));
        }
    }
    // One statement, however many there are: the caller's unread ones become read.
    let unread = Query::select()
        .column(notification::Column::Id)
        .expr(Expr::val(viewer.subject.clone()))
        .expr(Expr::val(now))
        .from(notification::Entity)
        .cond_where(mine.add(notification::Column::Id.not_in_subquery(read_subquery(&viewer.subject))))
        .to_owned();
    let insert = Query::insert()
        .into_table(notification_read::Entity)
        .columns([
            notification_read::Column::NotificationId,
            notification_read::Column::Subject,
            notification_read::Column::ReadAt,
        ])
        .select_from(unread)
        .map_err(|e| AppError::Internal(format!("mark read: {e}")))?
        .to_owned();
    Ok(db.execute(&insert).await?.rows_affected())
}
