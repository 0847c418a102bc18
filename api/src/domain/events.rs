//! The event writer: every change appends one event, in the transaction of the change.

use chrono::{DateTime, Utc};
use entities::{event, event_jurisdiction};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, NotSet, TransactionTrait};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::RecordType;
use crate::error::AppResult;

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The type of the changed record.
    pub record_type: RecordType,
    /// The changed record.
    pub record_id: Uuid,
    /// What happened, in SCREAMING_SNAKE (`CREATED`, `POLICY_UPDATED`, `TERMINATION_NOTICED`...).
    pub action: &'static str,
    /// The status before, for status changes.
    pub from_status: Option<String>,
    /// The status after, for status changes and creations.
    pub to_status: Option<String>,
    /// The compact the record belongs to, if any.
    pub compact_id: Option<Uuid>,
    /// The jurisdictions the change concerns.
    pub jurisdictions: Vec<Uuid>,
    /// What changed, as JSON.
    pub payload: serde_json::Value,
}

impl NewEvent {
    /// An event with no status change, compact or jurisdictions yet.
    pub fn new(record_type: RecordType, record_id: Uuid, action: &'static str) -> Self {
        NewEvent {
            record_type,
            record_id,
            action,
            from_status: None,
            to_status: None,
            compact_id: None,
            jurisdictions: vec![],
            payload: serde_json::Value::Object(Default::default()),
        }
    }

    /// Sets the status transition.
    pub fn status(mut self, from: Option<impl ToString>, to: impl ToString) -> Self {
        self.from_status = from.map(|s| s.to_string());
        self.to_status = Some(to.to_string());
        self
    }

    /// Sets the compact.
    pub fn compact(mut self, compact_id: Option<Uuid>) -> Self {
        self.compact_id = compact_id;
        self
    }

    /// Adds concerned jurisdictions.
    pub fn concerning(mut self, jurisdictions: impl IntoIterator<Item = Uuid>) -> Self {
        self.jurisdictions.extend(jurisdictions);
        self
    }

    /// Sets the payload.
    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// Begins a write transaction. On PostgreSQL it first takes the event-log lock, so write transactions run one at
/// a time: events commit in sequence order (a subscriber that has seen sequence n never later finds a smaller one)
/// and no two writers can deadlock on each other's rows.
pub async fn begin<C>(db: &C) -> AppResult<C::Transaction>
where
    C: TransactionTrait,
    C::Transaction: ConnectionTrait,
{
    let txn = db.begin().await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(LOCK).await?;
    }
    Ok(txn)
}

const LOCK: &str = "SELECT pg_advisory_xact_lock(7263533)";

/// Appends `event` as done by `viewer` at `now`. Call it with the transaction that makes the change.
pub async fn append(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    event: NewEvent,
) -> AppResult<event::Model> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Events commit in sequence order: a transaction holds this lock from its first event to its commit, so a
        // reader that has seen sequence n will never later find a smaller one appear. The notification is
        // delivered when (and only if) the transaction commits.
        db.execute_unprepared(LOCK).await?;
        db.execute_unprepared("NOTIFY mutual_aid_events").await?;
    }
    let row = event::ActiveModel {
        id: NotSet,
        occurred_at: Set(now),
        actor_subject: Set(viewer.subject.clone()),
        actor_name: Set(viewer.name.clone()),
        actor_jurisdiction_id: Set(viewer.jurisdiction_id),
        actor_system: Set(viewer.system.clone()),
        record_type: Set(event.record_type.as_str().to_owned()),
        record_id: Set(event.record_id),
        action: Set(event.action.to_owned()),
        from_status: Set(event.from_status),
        to_status: Set(event.to_status),
        compact_id: Set(event.compact_id),
        payload: Set(event.payload),
    };
    let saved = event::Entity::insert(row).exec_with_returning(db).await?;
    crate::metrics::event_written();
    let mut jurisdictions = event.jurisdictions;
    jurisdictions.sort();
    jurisdictions.dedup();
    crate::domain::notifications::on_event(db, viewer, &saved, &jurisdictions).await?;
    if !jurisdictions.is_empty() {
        let rows = jurisdictions.into_iter().map(|jurisdiction_id| event_jurisdiction::ActiveModel {
            event_id: Set(saved.id),
            jurisdiction_id: Set(jurisdiction_id),
        });
        event_jurisdiction::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(saved)
}
