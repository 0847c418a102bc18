//! The change feed for integrations: `changes(after:)` pages through the event log in commit order, each event with
//! its record as the caller may see it now, under the same visibility (and redaction) as every other read. A client
//! stores `endCursor` and asks again with it; it sees every change it may see exactly once, in order, whatever
//! happens between two calls.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::enums::RecordType;
use crate::domain::feed::{self, Scope};
use crate::error::AppError;
use crate::graphql::subscriptions::{StatusChange, narrowing};
use crate::graphql::{RoleGuard, state, viewer};
use crate::scalars::Sequence;

/// The largest page of changes.
pub const MAX_CHANGES: i32 = 500;
/// The page size when `first` is omitted.
pub const DEFAULT_CHANGES: i32 = 100;

/// Narrows the change feed; all given filters must match.
#[derive(Debug, Default, InputObject)]
pub struct ChangeFilter {
    /// Only records of this compact.
    pub compact_id: Option<ID>,
    /// Only changes concerning this jurisdiction (as requesting or assisting party, or owner).
    pub jurisdiction_id: Option<ID>,
    /// Only these record types. At most 32.
    #[graphql(validator(max_items = 32))]
    pub record_types: Option<Vec<RecordType>>,
}

/// A page of the change feed.
#[derive(SimpleObject)]
pub struct ChangePage {
    /// The changes the caller may see, oldest first: the event and the record as it is now.
    pub changes: Vec<StatusChange>,
    /// Store this and pass it as `after` next time: the last sequence examined, shown or not. Equal to `after` when
    /// nothing new has committed.
    pub end_cursor: Sequence,
    /// Whether more changes follow `endCursor` now: ask again at once rather than waiting to poll.
    pub has_next_page: bool,
}

/// The change feed.
#[derive(Default)]
pub struct ChangeQuery;

#[Object]
impl ChangeQuery {
    /// Every change (created, edited, status changed, ...) the caller may see, in commit order, after a stored cursor:
    /// the pull side of a sync, and the way to resume a subscription with the same sequences. Events are kept as
    /// the audit trail and never deleted, so every cursor this field returned stays valid; `after: "0"` reads from
    /// the beginning. One call examines at most 5,000 events; past that the page ends early with `hasNextPage`.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "1 + (first.unwrap_or(DEFAULT_CHANGES).clamp(1, MAX_CHANGES) as usize) * child_complexity"
    )]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The stored cursor (`endCursor` of the previous page); from the beginning when omitted.")]
        after: Option<Sequence>,
        #[graphql(desc = "How many changes at most, 1 to 500 (default 100).")] first: Option<i32>,
        #[graphql(desc = "What to include.")] filter: Option<ChangeFilter>,
    ) -> Result<ChangePage> {
        let first = first.unwrap_or(DEFAULT_CHANGES);
        if !(1..=MAX_CHANGES).contains(&first) {
            return Err(AppError::bad_input("first", format!("first must be between 1 and {MAX_CHANGES}")).into());
        }
        let filter = filter.unwrap_or_default();
        let scope = Scope::Changes(narrowing(&filter.compact_id, &filter.jurisdiction_id, filter.record_types)?);
        let state = state(ctx);
        let viewer = viewer(ctx);
        let after = after.map_or(0, |s| s.0);
        let page = feed::changes(&state.db, viewer, &scope, after, first as u64, &state.feeds).await?;
        Ok(ChangePage {
            changes: page.events.into_iter().map(|event| StatusChange::new(event, viewer.clone())).collect(),
            end_cursor: Sequence(page.end),
            has_next_page: page.has_next_page,
        })
    }
}
