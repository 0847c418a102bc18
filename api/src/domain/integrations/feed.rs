//! The feed behind subscriptions: events read from the events table (the source of truth) in sequence order,
//! after a given sequence, filtered to a scope and to what the viewer may see at that moment. It catches up first,
//! then waits for the bus to say that something committed (or a short poll interval passes).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use entities::{
    agreement, amendment, claim, deadline, deployment, dispute, event, event_jurisdiction, incident, inventory_item,
    offer, resource_request,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::watch;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{
    agreements_visible_to, claims_visible_to, deadlines_visible_to, deployments_visible_to, disputes_visible_to,
    incidents_visible_to, inventory_visible_to, offers_visible_to, requests_visible_to,
};
use crate::domain::enums::RecordType;
use crate::error::AppResult;

/// What narrows a feed of every record's events; all given parts must match.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    /// Only this compact's.
    pub compact_id: Option<Uuid>,
    /// Only those concerning this jurisdiction.
    pub jurisdiction_id: Option<Uuid>,
    /// Only these record types (all when empty).
    pub record_types: Vec<RecordType>,
}

/// Which events a feed carries.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Status changes of every record, optionally narrowed.
    StatusChanges(Narrowing),
    /// Every change (status or not) of every record, optionally narrowed: the integrations' change feed.
    Changes(Narrowing),
    /// Everything about one request: the request, its offers, agreements, deployments and claims.
    Request(Uuid),
    /// Everything about one deployment.
    Deployment(Uuid),
    /// Everything about one claim and its disputes.
    Claim(Uuid),
}

fn ids_of<C: ColumnTrait>(
    id_column: C,
    table: impl sea_orm::sea_query::IntoTableRef,
    filter: Condition,
) -> sea_orm::sea_query::SelectStatement {
    Query::select().column(id_column).from(table).cond_where(filter).to_owned()
}

impl Narrowing {
    /// `all`, narrowed to a compact, a jurisdiction's events and record types.
    fn narrow(&self, mut all: Condition) -> Condition {
        if let Some(c) = self.compact_id {
            all = all.add(event::Column::CompactId.eq(c));
        }
        if let Some(j) = self.jurisdiction_id {
            all = all.add(event::Column::Id.in_subquery(ids_of(
                event_jurisdiction::Column::EventId,
                event_jurisdiction::Entity,
                Condition::all().add(event_jurisdiction::Column::JurisdictionId.eq(j)),
            )));
        }
        if !self.record_types.is_empty() {
            all = all.add(event::Column::RecordType.is_in(self.record_types.iter().map(|t| t.as_str())));
        }
        all
    }
}

impl Scope {
    fn condition(&self) -> Condition {
        match self {
            Scope::StatusChanges(narrowing) => {
                narrowing.narrow(Condition::all().add(event::Column::ToStatus.is_not_null()))
            }
            Scope::Changes(narrowing) => narrowing.narrow(Condition::all()),
            Scope::Request(id) => Condition::any()
                .add(event::Column::RecordId.eq(*id))
                .add(event::Column::RecordId.in_subquery(ids_of(
                    offer::Column::Id,
                    offer::Entity,
                    Condition::all().add(offer::Column::RequestId.eq(*id)),
                )))
                .add(event::Column::RecordId.in_subquery(ids_of(
                    agreement::Column::Id,
                    agreement::Entity,
                    Condition::all().add(agreement::Column::RequestId.eq(*id)),
                )))
                .add(event::Column::RecordId.in_subquery(ids_of(
                    deployment::Column::Id,
                    deployment::Entity,
                    Condition::all().add(deployment::Column::RequestId.eq(*id)),
                )))
                .add(event::Column::RecordId.in_subquery(ids_of(
                    claim::Column::Id,
                    claim::Entity,
                    Condition::all().add(claim::Column::RequestId.eq(*id)),
                ))),
            Scope::Deployment(id) => Condition::all().add(event::Column::RecordId.eq(*id)),
            Scope::Claim(id) => {
                Condition::any().add(event::Column::RecordId.eq(*id)).add(event::Column::RecordId.in_subquery(ids_of(
                    dispute::Column::Id,
                    dispute::Entity,
                    Condition::all().add(dispute::Column::ClaimId.eq(*id)),
                )))
            }
        }
    }
}

/// Whether the viewer may see the record of `event` now.
pub async fn visible(db: &DatabaseConnection, viewer: &Viewer, event: &event::Model) -> AppResult<bool> {
    let id = event.record_id;
    let count = match RecordType::from_db(&event.record_type)? {
        RecordType::Jurisdiction | RecordType::Compact | RecordType::Membership | RecordType::ResourceType => {
            return Ok(viewer.is_authenticated());
        }
        RecordType::Incident => incident::Entity::find_by_id(id).filter(incidents_visible_to(viewer)).count(db).await?,
        RecordType::ResourceRequest => {
            resource_request::Entity::find_by_id(id).filter(requests_visible_to(viewer)).count(db).await?
        }
        RecordType::Offer => offer::Entity::find_by_id(id).filter(offers_visible_to(viewer)).count(db).await?,
        RecordType::Agreement => {
            agreement::Entity::find_by_id(id).filter(agreements_visible_to(viewer)).count(db).await?
        }
        RecordType::Amendment => {
            let Some(a) = amendment::Entity::find_by_id(id).one(db).await? else { return Ok(false) };
            agreement::Entity::find_by_id(a.agreement_id).filter(agreements_visible_to(viewer)).count(db).await?
        }
        RecordType::Deployment => {
            deployment::Entity::find_by_id(id).filter(deployments_visible_to(viewer)).count(db).await?
        }
        RecordType::InventoryItem => {
            inventory_item::Entity::find_by_id(id).filter(inventory_visible_to(viewer)).count(db).await?
        }
        RecordType::Deadline => deadline::Entity::find_by_id(id).filter(deadlines_visible_to(viewer)).count(db).await?,
        RecordType::Claim => claim::Entity::find_by_id(id).filter(claims_visible_to(viewer)).count(db).await?,
        RecordType::Dispute => dispute::Entity::find_by_id(id).filter(disputes_visible_to(viewer)).count(db).await?,
        RecordType::WebhookEndpoint => {
            let mut find = entities::webhook_endpoint::Entity::find_by_id(id);
            if !viewer.is_admin() {
                find = find.filter(entities::webhook_endpoint::Column::OwnerSubject.eq(viewer.subject.as_str()));
            }
            find.count(db).await?
        }
    };
    Ok(count > 0)
}

/// Work shared by the feeds of one instance: many subscribers read the same new events and, with the same
/// jurisdiction, roles and compacts, reach the same visibility decision, so each is made once. Only non-empty
/// pages are kept (events are immutable and commit in sequence order, so a page read once stays a correct
/// prefix), and both maps are bounded.
#[derive(Debug, Default)]
pub struct FeedCache {
    pages: std::sync::Mutex<HashMap<(String, i64), Page>>,
    decisions: std::sync::Mutex<HashMap<(String, i64), bool>>,
}

const CACHE_LIMIT: usize = 20_000;

/// A page of events, shared between the feeds that read it.
type Page = Arc<Vec<event::Model>>;

impl FeedCache {
    fn page(&self, key: &(String, i64)) -> Option<Page> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    fn keep_page(&self, key: (String, i64), page: Page) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if pages.len() >= CACHE_LIMIT {
            pages.clear();
        }
        pages.insert(key, page);
    }

    /// Whether `viewer` (whose visibility class is `viewer_key`) may see the record of `event`: decided once per
    /// class and event, and kept.
    async fn shown(
        &self,
        db: &DatabaseConnection,
        viewer: &Viewer,
        viewer_key: &str,
        event: &event::Model,
    ) -> AppResult<bool> {
        // A webhook endpoint's events are its owner's: the decision depends on the person, not the class.
        if event.record_type == RecordType::WebhookEndpoint.as_str() {
            return visible(db, viewer, event).await;
        }
        let key = (viewer_key.to_owned(), event.id);
        if let Some(shown) = self.decision(&key) {
            return Ok(shown);
        }
        let shown = visible(db, viewer, event).await?;
        self.keep_decision(key, shown);
        Ok(shown)
    }

    fn decision(&self, key: &(String, i64)) -> Option<bool> {
        self.decisions.lock().unwrap_or_else(|p| p.into_inner()).get(key).copied()
    }

    fn keep_decision(&self, key: (String, i64), visible: bool) {
        let mut decisions = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        if decisions.len() >= CACHE_LIMIT {
            decisions.clear();
        }
        decisions.insert(key, visible);
    }
}

/// What visibility depends on: the jurisdiction, the roles and the compacts (not the person).
fn visibility_key(viewer: &Viewer) -> String {
    format!("{:?}|{:?}|{:?}", viewer.jurisdiction_id, viewer.roles, viewer.compact_ids)
}

/// How often a feed looks again when no wake-up arrives (a safety net for a lost notification).
const POLL: Duration = Duration::from_secs(2);
/// How many events a feed reads at a time.
const PAGE: u64 = 200;

/// A subscriber's position in the event log.
pub struct Feed {
    db: DatabaseConnection,
    viewer: Viewer,
    viewer_key: String,
    scope: Scope,
    scope_key: String,
    cache: Arc<FeedCache>,
    wake: watch::Receiver<u64>,
    last: i64,
    buffer: VecDeque<event::Model>,
}

impl Feed {
    /// A feed after sequence `after`, or after the newest event when `after` is none (live only).
    pub async fn new(
        db: DatabaseConnection,
        viewer: Viewer,
        scope: Scope,
        wake: watch::Receiver<u64>,
        after: Option<i64>,
        cache: Arc<FeedCache>,
    ) -> AppResult<Self> {
        let last = match after {
            Some(after) => after,
            None => event::Entity::find().order_by_desc(event::Column::Id).one(&db).await?.map_or(0, |e| e.id),
        };
        let viewer_key = visibility_key(&viewer);
        let scope_key = format!("{scope:?}");
        Ok(Feed { db, viewer, viewer_key, scope, scope_key, cache, wake, last, buffer: VecDeque::new() })
    }

    /// The next event the viewer may see, waiting for it if need be.
    pub async fn next(&mut self) -> AppResult<event::Model> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            // Mark the wake-up seen before looking, so a commit between the look and the wait is not slept through.
            self.wake.borrow_and_update();
            let key = (self.scope_key.clone(), self.last);
            let rows = match self.cache.page(&key) {
                Some(rows) => rows,
                None => {
                    let rows = event::Entity::find()
                        .filter(event::Column::Id.gt(self.last))
                        .filter(self.scope.condition())
                        .order_by_asc(event::Column::Id)
                        .limit(PAGE)
                        .all(&self.db)
                        .await?;
                    let rows = Arc::new(rows);
                    if !rows.is_empty() {
                        self.cache.keep_page(key, rows.clone());
                    }
                    rows
                }
            };
            if rows.is_empty() {
                tokio::select! {
                    _ = self.wake.changed() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            }
            for row in rows.iter() {
                self.last = row.id;
                if self.cache.shown(&self.db, &self.viewer, &self.viewer_key, row).await? {
                    self.buffer.push_back(row.clone());
                }
            }
        }
    }
}

/// The most events one `changes` call examines: past it, the page ends early with `has_next_page`, so a caller who
/// may see few of many events still gets an answer in bounded time and a cursor that moves on.
pub const MAX_SCAN: u64 = 5_000;

/// One page of the change feed.
#[derive(Debug)]
pub struct ChangePage {
    /// The events the viewer may see, in sequence order.
    pub events: Vec<event::Model>,
    /// The sequence to resume after: the last event examined, shown or not (never less than `after`).
    pub end: i64,
    /// Whether events after `end` exist in the scope.
    pub has_next_page: bool,
}

/// Up to `first` events after `after` in `scope` that `viewer` may see, in sequence order. Events commit in
/// sequence order (see `events::begin`), so an event that commits after this read has a larger sequence than
/// `end`, and a reader that resumes after `end` sees every event once.
pub async fn changes(
    db: &DatabaseConnection,
    viewer: &Viewer,
    scope: &Scope,
    after: i64,
    first: u64,
    cache: &FeedCache,
) -> AppResult<ChangePage> {
    let viewer_key = visibility_key(viewer);
    let mut page = ChangePage { events: Vec::new(), end: after, has_next_page: false };
    let mut scanned = 0;
    loop {
        let rows = event::Entity::find()
            .filter(event::Column::Id.gt(page.end))
            .filter(scope.condition())
            .order_by_asc(event::Column::Id)
            .limit(PAGE)
            .all(db)
            .await?;
        let exhausted = (rows.len() as u64) < PAGE;
        for row in rows {
            if page.events.len() as u64 == first || scanned == MAX_SCAN {
                page.has_next_page = true;
                return Ok(page);
            }
            scanned += 1;
            page.end = row.id;
            if cache.shown(db, viewer, &viewer_key, &row).await? {
                page.events.push(row);
            }
        }
        if exhausted {
            return Ok(page);
        }
    }
}
