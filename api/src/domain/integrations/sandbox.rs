//! The sandbox clock: an administrator moves the server's time forward, and the deadline scheduler runs at once on
//! the new time, so that a timeline of days (a written confirmation due in 24 hours, a claim due in 60 days) can be
//! walked end to end through the API. Off unless the server runs with `--sandbox-clock`, never in production.

use chrono::{DateTime, Utc};
use entities::sandbox_clock;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::auth::Viewer;
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};
use crate::scheduler::TickReport;
use crate::state::AppState;

/// The furthest one move may go: ten years.
pub const MAX_MOVE_DAYS: i64 = 3_650;
/// The most scheduler passes one move runs (each handles up to 500 deadlines).
const MAX_PASSES: usize = 100;

/// The offset kept by the last move, in milliseconds (0 before any).
pub async fn stored_offset(db: &impl sea_orm::ConnectionTrait) -> AppResult<i64> {
    Ok(sandbox_clock::Entity::find_by_id(1).one(db).await?.map_or(0, |row| row.offset_ms))
}

/// Moves the sandbox clock to `to`, or forward by `minutes`, keeps the offset, and runs the scheduler until it has
/// nothing left to do at the new time. Returns the new time and what the scheduler did.
pub async fn move_clock(
    state: &AppState,
    db: &crate::db::Handle,
    viewer: &Viewer,
    to: Option<DateTime<Utc>>,
    minutes: Option<i64>,
) -> AppResult<(DateTime<Utc>, TickReport)> {
    if !viewer.has_role(Role::Admin) {
        return Err(AppError::Forbidden("only an administrator moves the sandbox clock".into()));
    }
    let Some(sandbox) = &state.sandbox else {
        return Err(AppError::Forbidden(
            "the sandbox clock is off: it exists only on a server started with --sandbox-clock".into(),
        ));
    };
    let now = state.clock.now();
    let target = match (to, minutes) {
        (Some(to), None) => to,
        (None, Some(minutes)) if (1..=MAX_MOVE_DAYS * 24 * 60).contains(&minutes) => {
            now + chrono::Duration::minutes(minutes)
        }
        (None, Some(_)) => {
            return Err(AppError::bad_input(
                "minutes",
                format!("minutes must be between 1 and {} (ten years)", MAX_MOVE_DAYS * 24 * 60),
            ));
        }
        _ => return Err(AppError::bad_input("to", "give exactly one of to and minutes")),
    };
    if target > now + chrono::Duration::days(MAX_MOVE_DAYS) {
        return Err(AppError::bad_input("to", "one move goes at most ten years forward"));
    }
    let offset = sandbox.move_to(target).map_err(|now| {
        AppError::bad_input("to", format!("the sandbox clock only moves forward: it is already {}", now.to_rfc3339()))
    })?;
    let row = sandbox_clock::ActiveModel {
        id: Set(1),
        offset_ms: Set(offset),
        moved_by_subject: Set(viewer.subject.clone()),
        moved_at: Set(state.clock.now()),
    };
    sandbox_clock::Entity::insert(row)
        .on_conflict(
            OnConflict::column(sandbox_clock::Column::Id)
                .update_columns([
                    sandbox_clock::Column::OffsetMs,
                    sandbox_clock::Column::MovedBySubject,
                    sandbox_clock::Column::MovedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    tracing::info!(subject = %viewer.subject, to = %state.clock.now(), "sandbox clock moved");
    let leads = state.config.reminder_leads();
    let mut total = TickReport::default();
    for _ in 0..MAX_PASSES {
        let pass = crate::scheduler::tick(db, state.clock.now(), &leads).await?;
        if pass == TickReport::default() {
            break;
        }
        total.reminded += pass.reminded;
        total.missed += pass.missed;
        total.forfeited += pass.forfeited;
        total.flagged += pass.flagged;
    }
    state.bus.notify();
    Ok((state.clock.now(), total))
}
