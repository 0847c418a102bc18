//! The deadline scheduler: a tokio task that, every interval, sends reminders before deadlines fall due and
//! applies the consequences of missed ones (a claim is forfeited where the compact says so, flagged overdue
//! elsewhere). Every reminder and consequence is an event. Each step is a conditional update, so several
//! instances sharing one database apply each exactly once. `tick` takes "now" explicitly, so tests drive it with
//! an injected clock.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entities::{claim, deadline, dispute};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::claims::change;
use crate::domain::directory::load_compact;
use crate::domain::enums::{ClaimStatus, DeadlineKind, DeadlineStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::domain::lifecycle;
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
        match consequence(&txn, &system, now, &d).await? {
            Consequence::Forfeited => report.forfeited += 1,
            Consequence::Flagged => report.flagged += 1,
            Consequence::None => {}
        }
        txn.commit().await?;
    }
    Ok(report)
}

enum Consequence {
    None,
    Flagged,
    Forfeited,
}

async fn claim_of(db: &impl ConnectionTrait, d: &deadline::Model) -> AppResult<Option<claim::Model>> {
    let claim_id: Option<Uuid> = match RecordType::from_db(&d.record_type)? {
        RecordType::Claim => Some(d.record_id),
        RecordType::Dispute => dispute::Entity::find_by_id(d.record_id).one(db).await?.map(|x| x.claim_id),
        _ => None,
    };
    match claim_id {
        Some(id) => Ok(claim::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

async fn consequence(
    db: &impl ConnectionTrait,
    system: &Viewer,
    now: DateTime<Utc>,
    d: &deadline::Model,
) -> AppResult<Consequence> {
    let kind = DeadlineKind::from_db(&d.kind)?;
    let relevant = matches!(
        kind,
        DeadlineKind::NoticeOfIntent
            | DeadlineKind::RequestPackage
            | DeadlineKind::BillingLimit
            | DeadlineKind::Payment
            | DeadlineKind::HearingSchedule
            | DeadlineKind::Decision
    );
    if !relevant {
        return Ok(Consequence::None);
    }
    let Some(claim) = claim_of(db, d).await? else { return Ok(Consequence::None) };
    let status = ClaimStatus::from_db(&claim.status)?;
    let compact = load_compact(db, claim.compact_id).await?;
    let owed_by_claimant =
        matches!(kind, DeadlineKind::NoticeOfIntent | DeadlineKind::RequestPackage | DeadlineKind::BillingLimit);
    if owed_by_claimant && compact.missed_deadline_forfeits && lifecycle::claim(status, "forfeit").is_ok() {
        let reason = format!("{} was due at {} and was not received", kind, d.due_at.to_rfc3339());
        change(
            db,
            system,
            now,
            &claim,
            Some("forfeit"),
            ("FORFEITED", json!({ "deadlineId": d.id, "kind": kind, "reason": reason })),
            |a| {
                a.status_reason = Set(Some(reason.clone()));
                a.closed_at = Set(Some(now));
            },
        )
        .await?;
        return Ok(Consequence::Forfeited);
    }
    if matches!(status, ClaimStatus::Paid | ClaimStatus::Waived | ClaimStatus::Forfeited | ClaimStatus::Withdrawn) {
        return Ok(Consequence::None);
    }
    change(db, system, now, &claim, None, ("FLAGGED_OVERDUE", json!({ "deadlineId": d.id, "kind": kind })), |a| {
        a.overdue = Set(true)
    })
    .await?;
    Ok(Consequence::Flagged)
}

/// Starts the scheduler task: a pass every `interval`, using the state's clock, until the process ends.
pub fn spawn(state: AppState, interval: StdDuration, leads: Vec<Duration>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
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
