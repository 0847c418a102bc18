//! GraphQL of notifications: the viewer's list and unread count, marking them read, and a subscription that
//! pushes each new one as its change commits.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Subscription};
use entities::notification;
use futures_util::Stream;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::enums::{EmailStatus, NotificationKind, NotificationTopic, RecordType, Role};
use crate::domain::notifications::{self as domain, addressed_to};
use crate::error::AppError;
use crate::graphql::connection::{Window, connection, paginate};
use crate::graphql::types::{Compact, Jurisdiction, compact_by_id, jurisdiction_by_id};
use crate::graphql::{RoleGuard, db, ordering, state, viewer};
use crate::scalars::{DateTime, Sequence};

/// A notification for the viewer.
pub struct Notification {
    model: notification::Model,
    read: bool,
}

/// Something that asks for the attention of a jurisdiction's representatives: a deadline due soon or missed, a
/// consequence applied to a claim, or an action awaited (an offer to decide, an amendment to acknowledge, a
/// hearing scheduled, an extension or a stated date to answer). Read state is the viewer's own.
#[Object]
impl Notification {
    /// Stable id (a number, increasing in the order notifications were written).
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// What kind of attention it asks.
    async fn kind(&self) -> Result<NotificationKind> {
        Ok(NotificationKind::from_db(&self.model.kind)?)
    }
    /// What it is about, precisely.
    async fn topic(&self) -> Result<NotificationTopic> {
        Ok(NotificationTopic::from_db(&self.model.topic)?)
    }
    /// A one-line summary.
    async fn title(&self) -> &str {
        &self.model.title
    }
    /// The text, as it is e-mailed.
    async fn body(&self) -> &str {
        &self.model.body
    }
    /// The type of the record it is about (a deadline, a claim, an offer, an amendment, a dispute).
    async fn record_type(&self) -> Result<RecordType> {
        Ok(RecordType::from_db(&self.model.record_type)?)
    }
    /// The record it is about.
    async fn record_id(&self) -> ID {
        ID(self.model.record_id.to_string())
    }
    /// The sequence of the event that caused it (see `changes` and `statusChanges`).
    async fn sequence(&self) -> Sequence {
        Sequence(self.model.event_id)
    }
    /// The due date it concerns. Null when it concerns none.
    async fn due_at(&self) -> Option<DateTime> {
        self.model.due_at.map(Into::into)
    }
    /// When it was written (the time of its event).
    async fn created_at(&self) -> DateTime {
        self.model.created_at.into()
    }
    /// Whether the viewer has read it.
    async fn read(&self) -> bool {
        self.read
    }
    /// The jurisdiction it is addressed to.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        jurisdiction_by_id(ctx, self.model.jurisdiction_id).await
    }
    /// The compact of the record. Null for a record of no compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Option<Compact>> {
        match self.model.compact_id {
            Some(id) => Ok(Some(compact_by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }
    /// Where its e-mail stands (`PENDING` also when the server has no SMTP configured).
    async fn email_status(&self) -> Result<EmailStatus> {
        Ok(EmailStatus::from_db(&self.model.email_status)?)
    }
}

connection!(
    NotificationConnection,
    NotificationEdge,
    Notification,
    "A page of notifications, newest first.",
    "A notification in a page."
);

/// Which notifications to list.
#[derive(Debug, Default, InputObject)]
pub struct NotificationFilter {
    /// Only those the viewer has not read.
    #[graphql(default)]
    pub unread_only: bool,
    /// Only these kinds. At most 8.
    #[graphql(validator(max_items = 8))]
    pub kinds: Option<Vec<NotificationKind>>,
}

/// Queries of notifications.
#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The notifications addressed to the jurisdiction the caller represents, newest first.
    #[graphql(
        guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which ones; all when omitted.")] filter: Option<NotificationFilter>,
        #[graphql(desc = "The first records after `after` (or from the start), 0 to 100 (default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Cursor of the last edge of the previous page; at most 1,024 characters.")] after: Option<
            String,
        >,
        #[graphql(desc = "The last records before `before` (or up to the end), 0 to 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first edge of the next page; at most 1,024 characters.")] before: Option<
            String,
        >,
    ) -> Result<NotificationConnection> {
        let viewer = viewer(ctx);
        let db = db(ctx);
        let filter = filter.unwrap_or_default();
        let mut select = notification::Entity::find().filter(addressed_to(viewer));
        if let Some(kinds) = &filter.kinds {
            select = select.filter(notification::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if filter.unread_only {
            select = select.filter(notification::Column::Id.not_in_subquery(domain::read_subquery(&viewer.subject)));
        }
        let window = Window::new(first, after, last, before);
        let mut page =
            paginate(db, select, &ordering::notifications(), window, |model| Notification { model, read: false })
                .await?;
        let ids: Vec<i64> = page.edges.iter().map(|(_, n)| n.model.id).collect();
        let read = domain::read_by(db, &viewer.subject, &ids).await?;
        for (_, n) in &mut page.edges {
            n.read = read.contains(&n.model.id);
        }
        Ok(page.into())
    }

    /// How many notifications addressed to the caller's jurisdiction it has not read.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(domain::unread_count(db(ctx), viewer(ctx)).await?)
    }
}

/// Which notifications to mark read.
#[derive(Debug, InputObject)]
pub struct MarkNotificationsReadInput {
    /// These notifications (each addressed to the caller's jurisdiction). At most 100.
    #[graphql(default, validator(max_items = 100))]
    pub ids: Vec<ID>,
    /// Every notification addressed to the caller's jurisdiction instead.
    #[graphql(default)]
    pub all: bool,
}

/// The result of marking notifications read.
#[derive(SimpleObject)]
pub struct MarkNotificationsReadPayload {
    /// How many were unread and are now read.
    pub marked: u64,
    /// How many remain unread.
    pub unread: u64,
}

/// Mutations of notifications.
#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks notifications read for the caller (each person has their own read state).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: MarkNotificationsReadInput,
    ) -> Result<MarkNotificationsReadPayload> {
        let viewer = viewer(ctx);
        let mut ids = Vec::new();
        for (i, id) in input.ids.iter().enumerate() {
            let parsed = id.parse::<i64>().ok().filter(|n| *n > 0);
            ids.push(parsed.ok_or_else(|| AppError::bad_input(&format!("ids.{i}"), "not a notification id"))?);
        }
        let db = db(ctx);
        let marked = domain::mark_read(db, viewer, state(ctx).clock.now(), &ids, input.all).await?;
        Ok(MarkNotificationsReadPayload { marked, unread: domain::unread_count(db, viewer).await? })
    }
}

/// How often a notification subscriber looks again when no commit wakes it.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Subscriptions of notifications.
#[derive(Default)]
pub struct NotificationSubscription;

#[Subscription]
impl NotificationSubscription {
    /// Each new notification addressed to the caller's jurisdiction, as its change commits. Pass the `id` of the
    /// last one received as `after` to receive those written since first (at most 100 are replayed).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The id of the last notification received (a number, 0 to 2^63-1); only newer ones are sent. \
                          Omitted: only those written from now on."
        )]
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Notification>> + use<>> {
        let state = state(ctx).clone();
        let viewer = viewer(ctx).clone();
        let condition = addressed_to(&viewer);
        let last = match after {
            Some(id) => id
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| AppError::bad_input("after", "not a notification id"))?,
            None => notification::Entity::find()
                .filter(condition.clone())
                .order_by_desc(notification::Column::Id)
                .one(&state.read_db)
                .await
                .map_err(AppError::from)?
                .map_or(0, |n| n.id),
        };
        let wake = state.bus.subscribe();
        let start = Tail { db: state.read_db.clone(), condition, last, wake, buffer: Default::default() };
        Ok(futures_util::stream::unfold(Some(start), |slot| async move {
            let mut tail = slot?;
            match tail.next().await {
                Ok(model) => Some((Ok(Notification { model, read: false }), Some(tail))),
                Err(err) => Some((Err(err.to_graphql()), None)),
            }
        }))
    }
}

/// The notifications of one subscriber after `last`, read in id order as commits wake it.
struct Tail {
    db: sea_orm::DatabaseConnection,
    condition: sea_orm::Condition,
    last: i64,
    wake: tokio::sync::watch::Receiver<u64>,
    buffer: std::collections::VecDeque<notification::Model>,
}

impl Tail {
    async fn next(&mut self) -> crate::error::AppResult<notification::Model> {
        loop {
            if let Some(model) = self.buffer.pop_front() {
                return Ok(model);
            }
            // Mark the wake-up seen before looking, so a commit between the look and the wait is not slept through.
            self.wake.borrow_and_update();
            let rows = notification::Entity::find()
                .filter(self.condition.clone())
                .filter(notification::Column::Id.gt(self.last))
                .order_by_asc(notification::Column::Id)
                .limit(100)
                .all(&self.db)
                .await?;
            match rows.last() {
                Some(newest) => {
                    self.last = newest.id;
                    self.buffer.extend(rows);
                }
                None => {
                    tokio::select! {
                        _ = self.wake.changed() => {}
                        () = tokio::time::sleep(POLL) => {}
                    }
                }
            }
        }
    }
}
