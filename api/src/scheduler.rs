//! The deadline scheduler: a tokio task that, every interval, sends reminders before deadlines fall due and
//! applies the consequences of missed ones (a claim is forfeited where the compact says so, flagged overdue
//! elsewhere). Every reminder and consequence is an event. Each step is a conditional update, so several
//! instances sharing one database apply each exactly once. `tick` takes "now" explicitly, so tests drive it with
//! an injected clock.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entities::deadline;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};
use serde_json::json;

use crate::auth::Viewer;
use crate::domain::claims::{Consequence, apply_consequence};
use crate::domain::enums::{DeadlineStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::error::AppResult;
use crate::state::AppState;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Reminders sent.
    pub reminded: usize,
    /// Deadlines marked missed.
    pub missed: usize,
    /// Claims forfeited.
    pub forfeited: usize,
    /// Claims flagged overdue.
    pub flagged: usize,
}

/// How many deadlines one pass handles at most (the rest wait for the next pass).
const BATCH: u64 = 500;

/// Runs one pass at `now` with reminder lead times `leads` (longest first or in any order).
pub async fn tick(
    db: &(impl TransactionTrait + ConnectionTrait),
    now: DateTime<Utc>,
    leads: &[Duration],
) -> AppResult<TickReport> {
    let mut report = TickReport::default();
    let system = Viewer::system();
    let mut leads = leads.to_vec();
    leads.sort();
    if let Some(longest) = leads.last().copied() {
        let upcoming = deadline::Entity::find()
            .filter(deadline::Column::Status.eq(DeadlineStatus::Pending.as_str()))
            .filter(deadline::Column::DueAt.gt(now))
            .filter(deadline::Column::DueAt.lte(now + longest))
            .order_by_asc(deadline::Column::DueAt)
            .limit(BATCH)
            .all(db)
            .await?;
        for d in upcoming {
            let elapsed = leads.iter().filter(|lead| d.due_at - **lead <= now).count() as i32;
            if elapsed <= d.reminders_sent {
                continue;
            }
            let txn = events::begin(db).await?;
            let claimed = deadline::Entity::update_many()
                .col_expr(deadline::Column::RemindersSent, Expr::value(elapsed))
                .col_expr(deadline::Column::RemindedAt, Expr::value(now))
                .filter(deadline::Column::Id.eq(d.id))
                .filter(deadline::Column::RemindersSent.eq(d.reminders_sent))
                .filter(deadline::Column::Status.eq(DeadlineStatus::Pending.as_str()))
                .exec(&txn)
                .await?;
            if claimed.rows_affected == 1 {
                let hours_left = (d.due_at - now).num_hours();
                events::append(
                    &txn,
                    &system,
                    now,
                    NewEvent::new(RecordType::Deadline, d.id, "REMINDER")
                        .compact(d.compact_id)
                        .concerning(d.owed_by_jurisdiction_id)
                        .payload(json!({ "kind": d.kind, "recordId": d.record_id, "dueAt": d.due_at, "hoursLeft": hours_left })),
                )
                .await?;
                report.reminded += 1;
            }
            txn.commit().await?;
        }
    }

    let overdue = deadline::Entity::find()
        .filter(deadline::Column::Status.eq(DeadlineStatus::Pending.as_str()))
        .filter(deadline::Column::DueAt.lt(now))
        .order_by_asc(deadline::Column::DueAt)
        .limit(BATCH)
        .all(db)
        .await?;
    for d in overdue {
        let txn = events::begin(db).await?;
        let claimed = deadline::Entity::update_many()
            .col_expr(deadline::Column::Status, Expr::value(DeadlineStatus::Missed.as_str()))
            .col_expr(deadline::Column::UpdatedAt, Expr::value(now))
            .col_expr(deadline::Column::Version, Expr::col(deadline::Column::Version).add(1))
            .filter(deadline::Column::Id.eq(d.id))
            .filter(deadline::Column::Status.eq(DeadlineStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        events::append(
            &txn,
            &system,
            now,
            NewEvent::new(RecordType::Deadline, d.id, "MISSED")
                .status(Some(DeadlineStatus::Pending), DeadlineStatus::Missed)
                .compact(d.compact_id)
                .concerning(d.owed_by_jurisdiction_id)
                .payload(json!({ "kind": d.kind, "recordId": d.record_id, "dueAt": d.due_at })),
        )
        .await?;
        report.missed += 1;
        match apply_consequence(&txn, &system, now, &d).await? {
            Consequence::Forfeited => report.forfeited += 1,
            Consequence::Flagged => report.flagged += 1,
            Consequence::None => {}
        }
        txn.commit().await?;
    }
    Ok(report)
}

/// Starts the scheduler task: a pass every `interval`, using the state's clock, until the process ends.
pub fn spawn(state: AppState, interval: StdDuration, leads: Vec<Duration>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // Expired idempotency keys are swept by the operating system's clock, which is what they expire by.
            if let Err(err) = crate::idempotency::sweep(&state.db, chrono::Utc::now()).await {
                tracing::warn!(error = ?err, "sweeping expired idempotency keys failed; retrying at the next interval");
            }
            let done = tick(&state.db, state.clock.now(), &leads).await;
            crate::metrics::scheduler_run(done.as_ref().ok());
            match done {
                Ok(report) if report != TickReport::default() => tracing::info!(?report, "deadline pass"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = ?err, "deadline pass failed; retrying at the next interval"),
            }
        }
    })
}
