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

impl Narrowing {
    /// Whether a recent event (with the jurisdictions it concerns) is in the narrowing.
    fn matches(&self, recent: &Recent) -> bool {
        self.compact_id.is_none_or(|c| recent.event.compact_id == Some(c))
            && self.jurisdiction_id.is_none_or(|j| recent.jurisdictions.contains(&j))
            && (self.record_types.is_empty()
                || self.record_types.iter().any(|t| t.as_str() == recent.event.record_type))
    }
}

impl Scope {
    /// Whether a recent event is in the scope, when that can be told from the event alone: `None` for the events
    /// of a request's or a claim's related records, whose ties are in other tables.
    fn matches(&self, recent: &Recent) -> Option<bool> {
        let event = &recent.event;
        match self {
            Scope::StatusChanges(narrowing) => Some(event.to_status.is_some() && narrowing.matches(recent)),
            Scope::Changes(narrowing) => Some(narrowing.matches(recent)),
            Scope::Deployment(id) => Some(event.record_id == *id),
            Scope::Request(id) | Scope::Claim(id) if event.record_id == *id => Some(true),
            Scope::Request(_) => {
                let related = [RecordType::Offer, RecordType::Agreement, RecordType::Deployment, RecordType::Claim];
                if related.iter().any(|t| t.as_str() == event.record_type) { None } else { Some(false) }
            }
            Scope::Claim(_) if event.record_type == RecordType::Dispute.as_str() => None,
            Scope::Claim(_) => Some(false),
        }
    }

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
/// jurisdiction, roles and compacts, reach the same visibility decision, so each is made once (feeds that need it
/// meanwhile wait for it). Only non-empty pages are kept (events are immutable and commit in sequence order, so a
/// page read once stays a correct prefix), and both maps are bounded. Live feeds take new events from the tail.
#[derive(Debug, Default)]
pub struct FeedCache {
    pages: std::sync::Mutex<HashMap<(String, i64), Page>>,
    decisions: std::sync::Mutex<HashMap<(String, i64), Decision>>,
    tail: std::sync::OnceLock<Arc<Tail>>,
}

const CACHE_LIMIT: usize = 20_000;

/// A visibility decision, made by the first feed of a class that needs it while the others of the class wait for it.
type Decision = Arc<tokio::sync::OnceCell<bool>>;

/// A page of events, shared between the feeds that read it.
type Page = Arc<Vec<event::Model>>;

impl FeedCache {
    /// The instance's reader of new events, started by the first feed that asks for it.
    fn tail(&self, db: &DatabaseConnection, wake: &watch::Receiver<u64>) -> Arc<Tail> {
        self.tail
            .get_or_init(|| {
                let tail = Arc::new(Tail::new());
                tokio::spawn(tail.clone().run(db.clone(), wake.clone()));
                tail
            })
            .clone()
    }

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
        let decision = self.decision((viewer_key.to_owned(), event.id));
        // A failed query leaves the decision unmade, for the next feed to try again.
        Ok(*decision.get_or_try_init(|| visible(db, viewer, event)).await?)
    }

    /// The decision of a class about an event, made or to be made.
    fn decision(&self, key: (String, i64)) -> Decision {
        let mut decisions = self.decisions.lock().unwrap_or_else(|p| p.into_inner());
        if decisions.len() >= CACHE_LIMIT && !decisions.contains_key(&key) {
            decisions.clear();
        }
        decisions.entry(key).or_default().clone()
    }
}

/// An event of the recent past, with the jurisdictions it concerns (for narrowing without a query).
#[derive(Debug)]
pub struct Recent {
    event: event::Model,
    jurisdictions: Vec<Uuid>,
}

/// The most recent events one instance keeps in memory for its live feeds.
const RECENT_LIMIT: usize = 5_000;

/// The instance's one reader of new events. It reads each new event once, when the bus says something committed
/// (or the poll interval passes), and keeps the most recent in memory; every live feed of the instance takes its
/// events from here, so a commit costs one read however many subscribers there are, and a subscriber with nothing
/// new costs no query at all. A feed further behind than the memory reaches reads the table itself.
#[derive(Debug)]
struct Tail {
    recent: std::sync::RwLock<Window>,
    /// The sequence of the newest event read: changes when new events are in memory.
    head: watch::Sender<i64>,
}

/// The events in memory: every event with a sequence above `floor`, in order.
#[derive(Debug, Default)]
struct Window {
    /// The feed holds every event after this sequence (`None` until the first read).
    floor: Option<i64>,
    events: VecDeque<Arc<Recent>>,
}

impl Tail {
    fn new() -> Self {
        Tail { recent: Default::default(), head: watch::channel(0).0 }
    }

    /// The sequence after which every event is in memory, once the first read is done.
    fn floor(&self) -> Option<i64> {
        self.recent.read().unwrap_or_else(|p| p.into_inner()).floor
    }

    /// Up to `limit` events after `after`, or `None` when the memory does not reach back that far.
    fn after(&self, after: i64, limit: usize) -> Option<Vec<Arc<Recent>>> {
        let window = self.recent.read().unwrap_or_else(|p| p.into_inner());
        if window.floor.is_none_or(|floor| after < floor) {
            return None;
        }
        let start = window.events.partition_point(|r| r.event.id <= after);
        Some(window.events.iter().skip(start).take(limit).cloned().collect())
    }

    async fn run(self: Arc<Self>, db: DatabaseConnection, mut wake: watch::Receiver<u64>) {
        let mut head = None;
        loop {
            wake.borrow_and_update();
            match self.read(&db, head).await {
                Ok(newest) => head = Some(newest),
                Err(err) => tracing::warn!(error = ?err, "cannot read new events for the live feeds"),
            }
            tokio::select! {
                changed = wake.changed() => if changed.is_err() { tokio::time::sleep(POLL).await },
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Reads every event after `head` (on the first read: the newest sequence only) into memory, and returns the
    /// newest sequence. Events commit in sequence order (see `events::begin`), so nothing read later can have a
    /// smaller sequence than what is in memory.
    async fn read(&self, db: &DatabaseConnection, head: Option<i64>) -> AppResult<i64> {
        let Some(mut head) = head else {
            let newest = event::Entity::find().order_by_desc(event::Column::Id).one(db).await?.map_or(0, |e| e.id);
            self.recent.write().unwrap_or_else(|p| p.into_inner()).floor = Some(newest);
            self.head.send_replace(newest);
            return Ok(newest);
        };
        loop {
            let rows = event::Entity::find()
                .filter(event::Column::Id.gt(head))
                .order_by_asc(event::Column::Id)
                .limit(PAGE)
                .all(db)
                .await?;
            let Some(last) = rows.last().map(|r| r.id) else { return Ok(head) };
            let mut concerned: HashMap<i64, Vec<Uuid>> = HashMap::new();
            for row in event_jurisdiction::Entity::find()
                .filter(event_jurisdiction::Column::EventId.gt(head))
                .filter(event_jurisdiction::Column::EventId.lte(last))
                .all(db)
                .await?
            {
                concerned.entry(row.event_id).or_default().push(row.jurisdiction_id);
            }
            let full = rows.len() as u64 == PAGE;
            {
                let mut window = self.recent.write().unwrap_or_else(|p| p.into_inner());
                for event in rows {
                    let jurisdictions = concerned.remove(&event.id).unwrap_or_default();
                    window.events.push_back(Arc::new(Recent { event, jurisdictions }));
                }
                while window.events.len() > RECENT_LIMIT {
                    if let Some(dropped) = window.events.pop_front() {
                        window.floor = Some(dropped.event.id);
                    }
                }
            }
            head = last;
            self.head.send_replace(head);
            if !full {
                return Ok(head);
            }
        }
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
    tail: Arc<Tail>,
    moved: watch::Receiver<i64>,
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
        let tail = cache.tail(&db, &wake);
        let moved = tail.head.subscribe();
        Ok(Feed { db, viewer, viewer_key, scope, scope_key, cache, wake, tail, moved, last, buffer: VecDeque::new() })
    }

    /// The next events from the instance's memory of recent events: `None` when this feed is further behind than
    /// the memory reaches, else whether any event was examined (after waiting for one if there was none).
    async fn read_memory(&mut self) -> AppResult<Option<()>> {
        // Mark the head seen before looking, so an event put in memory between the look and the wait wakes it.
        self.moved.borrow_and_update();
        let Some(recent) = self.tail.after(self.last, PAGE as usize) else { return Ok(None) };
        if recent.is_empty() {
            tokio::select! {
                _ = self.moved.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            return Ok(Some(()));
        }
        // Events whose tie to the scope lies in other tables are checked with one query for the lot.
        let unsure: Vec<i64> = recent.iter().filter(|r| self.scope.matches(r).is_none()).map(|r| r.event.id).collect();
        let related: Vec<i64> = if unsure.is_empty() {
            Vec::new()
        } else {
            event::Entity::find()
                .select_only()
                .column(event::Column::Id)
                .filter(event::Column::Id.is_in(unsure))
                .filter(self.scope.condition())
                .into_tuple()
                .all(&self.db)
                .await?
        };
        for r in recent {
            self.last = r.event.id;
            let in_scope = self.scope.matches(&r).unwrap_or_else(|| related.contains(&r.event.id));
            if in_scope && self.cache.shown(&self.db, &self.viewer, &self.viewer_key, &r.event).await? {
                self.buffer.push_back(r.event.clone());
            }
        }
        Ok(Some(()))
    }

    /// The next event the viewer may see, waiting for it if need be.
    pub async fn next(&mut self) -> AppResult<event::Model> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            if self.read_memory().await?.is_some() {
                continue;
            }
            // Mark the wake-up seen before looking, so a commit between the look and the wait is not slept through.
            self.wake.borrow_and_update();
            let key = (self.scope_key.clone(), self.last);
            // Every event up to the memory's floor committed before the floor was set (events commit in sequence
            // order), so a fresh read that ends short of a page has found every one in scope up to the floor.
            let floor = self.tail.floor();
            let (rows, fresh) = match self.cache.page(&key) {
                Some(rows) => (rows, false),
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
                    (rows, true)
                }
            };
            for row in rows.iter() {
                self.last = row.id;
                if self.cache.shown(&self.db, &self.viewer, &self.viewer_key, row).await? {
                    self.buffer.push_back(row.clone());
                }
            }
            let complete = fresh && (rows.len() as u64) < PAGE;
            match floor {
                Some(floor) if complete && floor > self.last => self.last = floor,
                _ if rows.is_empty() => {
                    tokio::select! {
                        _ = self.wake.changed() => {}
                        () = tokio::time::sleep(POLL) => {}
                    }
                }
                _ => {}
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
