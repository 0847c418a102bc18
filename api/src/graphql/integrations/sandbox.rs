//! The sandbox clock through GraphQL: read the server's time, and (on a sandbox server) move it forward.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use crate::domain::sandbox;
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::DateTime;

/// Where to move the sandbox clock: give exactly one of `to` and `minutes`.
#[derive(Debug, InputObject)]
pub struct MoveSandboxClockInput {
    /// The instant to move to: not earlier than the clock's time, at most ten years ahead.
    pub to: Option<DateTime>,
    /// How far to move forward, in minutes: 1 to 5,256,000 (ten years).
    pub minutes: Option<i32>,
}

/// The clock after a move, and what the deadline scheduler did at the new time.
#[derive(SimpleObject)]
pub struct MoveSandboxClockPayload {
    /// The server's time now.
    pub now: DateTime,
    /// Reminders sent.
    pub reminders_sent: u64,
    /// Deadlines marked missed.
    pub deadlines_missed: u64,
    /// Claims forfeited for a missed deadline (policies that forfeit).
    pub claims_forfeited: u64,
    /// Claims flagged overdue (policies that flag).
    pub claims_flagged_overdue: u64,
}

/// The server's clock.
#[derive(SimpleObject)]
pub struct ServerTime {
    /// The time every deadline and event of this server is measured by.
    pub now: DateTime,
    /// Whether this is a sandbox server, whose clock administrators move with `moveSandboxClock`.
    pub sandbox: bool,
}

/// Reading the clock.
#[derive(Default)]
pub struct SandboxQuery;

#[Object]
impl SandboxQuery {
    /// The server's time, and whether it is a sandbox whose clock can be moved.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn server_time(&self, ctx: &Context<'_>) -> ServerTime {
        let state = state(ctx);
        ServerTime { now: state.clock.now().into(), sandbox: state.sandbox.is_some() }
    }
}

/// Moving the clock.
#[derive(Default)]
pub struct SandboxMutation;

#[Object]
impl SandboxMutation {
    /// Moves a sandbox server's clock forward (administrators only; `FORBIDDEN` on a server without
    /// `--sandbox-clock`), then runs the deadline scheduler until it has nothing left to do at the new time: reminders,
    /// missed deadlines and their consequences are recorded as events, as they would be had the time passed. The
    /// clock never moves back.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn move_sandbox_clock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where to move the clock.")] input: MoveSandboxClockInput,
    ) -> Result<MoveSandboxClockPayload> {
        let (now, report) =
            sandbox::move_clock(state(ctx), db(ctx), viewer(ctx), input.to.map(|t| t.0), input.minutes.map(i64::from))
                .await?;
        Ok(MoveSandboxClockPayload {
            now: now.into(),
            reminders_sent: report.reminded as u64,
            deadlines_missed: report.missed as u64,
            claims_forfeited: report.forfeited as u64,
            claims_flagged_overdue: report.flagged as u64,
        })
    }
}
