//! Subscriptions: status changes pushed as they commit, read from the events table so that a client that passes
//! the last sequence it saw first receives every event after it (that it may see), then live ones, in order.

use async_graphql::{Context, ID, InputObject, Object, Result, Subscription};
use entities::{agreement, claim, deployment, dispute, event, incident, offer, resource_request};
use futures_util::Stream;
use sea_orm::{EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::domain::access::{
    agreements_visible_to, claims_visible_to, deployments_visible_to, disputes_visible_to, incidents_visible_to,
    offers_visible_to, requests_visible_to,
};
use crate::domain::enums::RecordType;
use crate::domain::feed::{Feed, Narrowing, Scope};
use crate::domain::validate;
use crate::error::AppError;
use crate::graphql::claims::{Claim, Dispute};
use crate::graphql::missions::{Agreement, Deployment, Offer, ResourceRequest};
use crate::graphql::types::{Event, Incident};
use crate::graphql::{RoleGuard, state, viewer};
use crate::scalars::Sequence;

/// Narrows the stream of status changes; all given filters must match.
#[derive(Debug, Default, InputObject)]
pub struct StatusChangeFilter {
    /// Only records of this compact.
    pub compact_id: Option<ID>,
    /// Only changes concerning this jurisdiction (as requesting or assisting party, or owner).
    pub jurisdiction_id: Option<ID>,
    /// Only these record types. At most 32.
    #[graphql(validator(max_items = 32))]
    pub record_types: Option<Vec<RecordType>>,
}

/// A feed's narrowing from the `filter` argument of `statusChanges` or `changes`, its ids checked.
pub(crate) fn narrowing(
    compact_id: &Option<ID>,
    jurisdiction_id: &Option<ID>,
    record_types: Option<Vec<RecordType>>,
) -> Result<Narrowing> {
    Ok(Narrowing {
        compact_id: compact_id.as_ref().map(|id| validate::id("filter.compactId", id)).transpose()?,
        jurisdiction_id: jurisdiction_id.as_ref().map(|id| validate::id("filter.jurisdictionId", id)).transpose()?,
        record_types: record_types.unwrap_or_default(),
    })
}

/// One change pushed to a subscriber: the event, and the record as it is now.
pub struct StatusChange {
    event: event::Model,
    viewer: Viewer,
}

impl StatusChange {
    /// The change of `event`, its record read as `viewer` may see it.
    pub(crate) fn new(event: event::Model, viewer: Viewer) -> Self {
        StatusChange { event, viewer }
    }
}

/// One change pushed to a subscriber: the event, and the record as it is now (null in a field when the change is
/// about another type of record, or the record is no longer visible).
#[Object]
impl StatusChange {
    /// The event's sequence: pass the last one seen as `after` to resume without gaps or duplicates.
    async fn sequence(&self) -> Sequence {
        Sequence(self.event.id)
    }
    /// The event.
    async fn event(&self) -> Event {
        Event(self.event.clone())
    }
    /// The resource request, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn resource_request(&self, ctx: &Context<'_>) -> Result<Option<ResourceRequest>> {
        if self.event.record_type != RecordType::ResourceRequest.as_str() {
            return Ok(None);
        }
        let row = resource_request::Entity::find_by_id(self.event.record_id)
            .filter(requests_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(ResourceRequest))
    }
    /// The offer, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn offer(&self, ctx: &Context<'_>) -> Result<Option<Offer>> {
        if self.event.record_type != RecordType::Offer.as_str() {
            return Ok(None);
        }
        let row = offer::Entity::find_by_id(self.event.record_id)
            .filter(offers_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Offer))
    }
    /// The agreement, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        if self.event.record_type != RecordType::Agreement.as_str() {
            return Ok(None);
        }
        let row = agreement::Entity::find_by_id(self.event.record_id)
            .filter(agreements_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Agreement))
    }
    /// The deployment, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn deployment(&self, ctx: &Context<'_>) -> Result<Option<Deployment>> {
        if self.event.record_type != RecordType::Deployment.as_str() {
            return Ok(None);
        }
        let row = deployment::Entity::find_by_id(self.event.record_id)
            .filter(deployments_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Deployment))
    }
    /// The claim, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn claim(&self, ctx: &Context<'_>) -> Result<Option<Claim>> {
        if self.event.record_type != RecordType::Claim.as_str() {
            return Ok(None);
        }
        let row = claim::Entity::find_by_id(self.event.record_id)
            .filter(claims_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Claim))
    }
    /// The dispute, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn dispute(&self, ctx: &Context<'_>) -> Result<Option<Dispute>> {
        if self.event.record_type != RecordType::Dispute.as_str() {
            return Ok(None);
        }
        let row = dispute::Entity::find_by_id(self.event.record_id)
            .filter(disputes_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Dispute))
    }
    /// The incident, when the change is about one.
    /// Null when the change is about another kind of record, or when the caller may no longer see this one.
    async fn incident(&self, ctx: &Context<'_>) -> Result<Option<Incident>> {
        if self.event.record_type != RecordType::Incident.as_str() {
            return Ok(None);
        }
        let row = incident::Entity::find_by_id(self.event.record_id)
            .filter(incidents_visible_to(&self.viewer))
            .one(&state(ctx).read_db)
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Incident))
    }
}

async fn open(
    ctx: &Context<'_>,
    scope: Scope,
    after: Option<Sequence>,
) -> Result<impl Stream<Item = Result<StatusChange>> + use<>> {
    let state = state(ctx);
    let viewer = viewer(ctx).clone();
    let feed = Feed::new(
        state.read_db.clone(),
        viewer.clone(),
        scope,
        state.bus.subscribe(),
        after.map(|s| s.0),
        state.feeds.clone(),
    )
    .await?;
    let open = OpenSubscription::new();
    Ok(futures_util::stream::unfold(Some((feed, viewer, open)), |slot| async move {
        let (mut feed, viewer, open) = slot?;
        match feed.next().await {
            Ok(event) => {
                let lag = (chrono::Utc::now() - event.occurred_at).num_milliseconds() as f64 / 1000.0;
                crate::metrics::event_delivered(lag);
                Some((Ok(StatusChange { event, viewer: viewer.clone() }), Some((feed, viewer, open))))
            }
            Err(err) => Some((Err(err.to_graphql()), None)),
        }
    }))
}

/// Counts a subscription in the `mutual_aid_subscriptions` gauge for as long as its stream lives.
struct OpenSubscription;

impl OpenSubscription {
    fn new() -> Self {
        crate::metrics::subscriptions(1.0);
        OpenSubscription
    }
}

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        crate::metrics::subscriptions(-1.0);
    }
}

async fn ensure_visible<E: EntityTrait>(
    ctx: &Context<'_>,
    id: uuid::Uuid,
    condition: sea_orm::Condition,
    record: &str,
) -> Result<()>
where
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = uuid::Uuid>,
{
    let found = E::find_by_id(id).filter(condition).one(&state(ctx).read_db).await.map_err(AppError::from)?;
    if found.is_some() { Ok(()) } else { Err(AppError::not_found(record, id).into()) }
}

/// Live status changes.
#[derive(Default)]
pub struct StatusSubscription;

/// Live updates over WebSocket at `/graphql` (`graphql-transport-ws` or the legacy `graphql-ws` protocol), with
/// the bearer token in the `connection_init` payload as `Authorization`.
#[Subscription]
impl StatusSubscription {
    /// Every status change the caller may see (a jurisdiction never receives another's private records), oldest
    /// first. Pass `after` to first receive what was missed since that sequence.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn status_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to include.")] filter: Option<StatusChangeFilter>,
        #[graphql(desc = "The last sequence already seen; omit for live changes only.")] after: Option<Sequence>,
    ) -> Result<impl Stream<Item = Result<StatusChange>>> {
        let filter = filter.unwrap_or_default();
        let scope = Scope::StatusChanges(narrowing(&filter.compact_id, &filter.jurisdiction_id, filter.record_types)?);
        open(ctx, scope, after).await
    }

    /// Every change to one mission: the request, its offers, agreements, deployments and claims.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn request_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] request_id: ID,
        #[graphql(desc = "The last sequence already seen; omit for live changes only.")] after: Option<Sequence>,
    ) -> Result<impl Stream<Item = Result<StatusChange>>> {
        let id = validate::id("requestId", &request_id)?;
        ensure_visible::<resource_request::Entity>(ctx, id, requests_visible_to(viewer(ctx)), "resource request")
            .await?;
        open(ctx, Scope::Request(id), after).await
    }

    /// Every change to one deployment.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn deployment_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The deployment.")] deployment_id: ID,
        #[graphql(desc = "The last sequence already seen; omit for live changes only.")] after: Option<Sequence>,
    ) -> Result<impl Stream<Item = Result<StatusChange>>> {
        let id = validate::id("deploymentId", &deployment_id)?;
        ensure_visible::<deployment::Entity>(ctx, id, deployments_visible_to(viewer(ctx)), "deployment").await?;
        open(ctx, Scope::Deployment(id), after).await
    }

    /// Every change to one reimbursement claim and its disputes.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn claim_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The claim.")] claim_id: ID,
        #[graphql(desc = "The last sequence already seen; omit for live changes only.")] after: Option<Sequence>,
    ) -> Result<impl Stream<Item = Result<StatusChange>>> {
        let id = validate::id("claimId", &claim_id)?;
        ensure_visible::<claim::Entity>(ctx, id, claims_visible_to(viewer(ctx)), "claim").await?;
        open(ctx, Scope::Claim(id), after).await
    }
}
