//! Queries and mutations of the mission lifecycle. Each resolver calls one domain function; every read goes
//! through the scoped visibility conditions of `domain::access`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::{agreement, deadline, deployment, inventory_item, resource_request};
use sea_orm::{ColumnTrait, Condition, EntityTrait, IntoSimpleExpr, QueryFilter};

use crate::domain::access::{
    agreements_visible_to, deadlines_visible_to, deployments_visible_to, inventory_visible_to, requests_visible_to,
};
use crate::domain::agreements::{
    self, AcknowledgeAmendmentInput, FileAfterActionReportInput, ProposeAmendmentInput, SignAgreementInput,
};
use crate::domain::deployments::{
    self, DeploymentStepInput, GiveRecallNoticeInput, PrepareDeploymentInput, RecordAssignmentInput, RecordTimeInput,
    ReleaseDeploymentInput,
};
use crate::domain::documents::{self, RecordDocumentInput};
use crate::domain::enums::{AgreementStatus, DeadlineKind, DeadlineStatus, DeploymentStatus, RequestStatus, Role};
use crate::domain::inventory::{self, SetInventoryInput};
use crate::domain::offers::{self, AcceptOfferInput, DeclineResourceRequestInput, MakeOfferInput, OfferDecisionInput};
use crate::domain::requests::{
    self, AssignMissionNumberInput, ConfirmRequestInWritingInput, CreateResourceRequestInput,
    DirectResourceRequestInput, RecordVerbalRequestInput, RequestStepInput,
};
use crate::domain::validate;
use crate::graphql::connection::{Window, node_selection, paginate};
use crate::graphql::missions::{
    Agreement, AgreementConnection, Amendment, DeadlineConnection, Deployment, DeploymentConnection, Document,
    InventoryItem, InventoryItemConnection, Offer, ResourceRequest, ResourceRequestConnection, TimeRecord,
    prefetch_requests,
};
use crate::graphql::ordering::{
    self, AgreementOrderField, DeadlineOrderField, DeploymentOrderField, OrderBy, ResourceRequestOrderField, order_of,
};
use crate::graphql::types::Jurisdiction;
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::DateTime;

/// Filters of the request list; all given filters must match.
#[derive(Debug, Default, InputObject)]
pub struct ResourceRequestFilter {
    /// Any of these statuses. At most 32.
    #[graphql(validator(max_items = 32))]
    pub statuses: Option<Vec<RequestStatus>>,
    /// Made under this compact.
    pub compact_id: Option<ID>,
    /// For this incident.
    pub incident_id: Option<ID>,
    /// Made by this jurisdiction.
    pub requesting_jurisdiction_id: Option<ID>,
    /// Changed at or after this instant (for incremental sync).
    pub updated_since: Option<DateTime>,
}

/// Filters of the agreement and deployment lists.
#[derive(Debug, Default, InputObject)]
pub struct PartyFilter {
    /// With this jurisdiction as either party.
    pub jurisdiction_id: Option<ID>,
    /// Under this compact.
    pub compact_id: Option<ID>,
    /// On this request.
    pub request_id: Option<ID>,
    /// Changed at or after this instant.
    pub updated_since: Option<DateTime>,
}

/// Filters of the deadline list.
#[derive(Debug, Default, InputObject)]
pub struct DeadlineFilter {
    /// Any of these stored statuses (a pending deadline past due is stored `PENDING` until the scheduler marks it). At most 32.
    #[graphql(validator(max_items = 32))]
    pub statuses: Option<Vec<DeadlineStatus>>,
    /// Any of these kinds. At most 32.
    #[graphql(validator(max_items = 32))]
    pub kinds: Option<Vec<DeadlineKind>>,
    /// Owed by this jurisdiction.
    pub owed_by_jurisdiction_id: Option<ID>,
    /// Set by this compact's policy.
    pub compact_id: Option<ID>,
    /// Due before this instant ("what do I owe this week").
    pub due_before: Option<DateTime>,
    /// Only those past due and not met ("what is overdue").
    #[graphql(default)]
    pub overdue: bool,
}

/// Filters of the inventory list.
#[derive(Debug, Default, InputObject)]
pub struct InventoryFilter {
    /// Held by this jurisdiction.
    pub jurisdiction_id: Option<ID>,
    /// Of this resource type.
    pub resource_type_id: Option<ID>,
    /// Only lines with something available.
    #[graphql(default)]
    pub available_only: bool,
}

/// A member that could answer a request.
#[derive(SimpleObject)]
pub struct Candidate {
    /// The member.
    pub jurisdiction: Jurisdiction,
    /// Great-circle distance from the incident (or the requesting jurisdiction), in kilometres.
    pub distance_km: Option<f64>,
    /// What it has available of the requested types.
    pub available: Vec<Availability>,
    /// Whether its availability alone covers every line of the request.
    pub covers_all_lines: bool,
}

/// An available quantity of one resource type.
#[derive(SimpleObject)]
pub struct Availability {
    /// The resource type.
    pub resource_type_id: ID,
    /// How many are available.
    pub quantity_available: i32,
}

fn ids(field: &str, id: &Option<ID>) -> Result<Option<uuid::Uuid>> {
    Ok(id.as_ref().map(|id| validate::id(field, id)).transpose()?)
}

/// Mission queries.
#[derive(Default)]
pub struct MissionQuery;

#[Object]
impl MissionQuery {
    /// A resource request by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<ResourceRequest>> {
        let id = validate::id("id", &id)?;
        let row = resource_request::Entity::find_by_id(id)
            .filter(requests_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(row.map(ResourceRequest))
    }

    /// Resource requests the caller may see, most recently changed first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn resource_requests(
        &self,
        ctx: &Context<'_>,
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
        #[graphql(desc = "How to sort; most recently changed first when omitted. The id breaks ties.")]
        order_by: Option<OrderBy<ResourceRequestOrderField>>,
        #[graphql(desc = "What to include.")] filter: Option<ResourceRequestFilter>,
    ) -> Result<ResourceRequestConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = resource_request::Entity::find().filter(requests_visible_to(viewer(ctx)));
        if let Some(statuses) = &filter.statuses {
            select = select.filter(resource_request::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(id) = ids("filter.compactId", &filter.compact_id)? {
            select = select.filter(resource_request::Column::CompactId.eq(id));
        }
        if let Some(id) = ids("filter.incidentId", &filter.incident_id)? {
            select = select.filter(resource_request::Column::IncidentId.eq(id));
        }
        if let Some(id) = ids("filter.requestingJurisdictionId", &filter.requesting_jurisdiction_id)? {
            select = select.filter(resource_request::Column::RequestingJurisdictionId.eq(id));
        }
        if let Some(at) = filter.updated_since {
            select = select.filter(resource_request::Column::UpdatedAt.gte(at.0));
        }
        let order = order_of(order_by, resource_request::Column::Id.into_simple_expr());
        let page = paginate(db(ctx), select, &order, Window::new(first, after, last, before), ResourceRequest).await?;
        if let Some(selection) = node_selection(ctx) {
            let rows: Vec<_> = page.edges.iter().map(|(_, request)| &request.0).collect();
            prefetch_requests(ctx, &selection, &rows).await?;
        }
        Ok(page.into())
    }

    /// An offer by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn offer(&self, ctx: &Context<'_>, #[graphql(desc = "The record's id.")] id: ID) -> Result<Option<Offer>> {
        let id = validate::id("id", &id)?;
        match offers::load_visible(db(ctx), viewer(ctx), id).await {
            Ok(row) => Ok(Some(Offer(row))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// An agreement by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn agreement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Agreement>> {
        let id = validate::id("id", &id)?;
        let row = agreement::Entity::find_by_id(id)
            .filter(agreements_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(row.map(Agreement))
    }

    /// Agreements the caller may see, newest first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn agreements(
        &self,
        ctx: &Context<'_>,
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
        #[graphql(desc = "How to sort; newest first when omitted. The id breaks ties.")] order_by: Option<
            OrderBy<AgreementOrderField>,
        >,
        #[graphql(desc = "Any of these statuses. At most 32.", validator(max_items = 32))] statuses: Option<
            Vec<AgreementStatus>,
        >,
        #[graphql(desc = "What to include.")] filter: Option<PartyFilter>,
    ) -> Result<AgreementConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = agreement::Entity::find().filter(agreements_visible_to(viewer(ctx)));
        if let Some(statuses) = &statuses {
            select = select.filter(agreement::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(j) = ids("filter.jurisdictionId", &filter.jurisdiction_id)? {
            select = select.filter(
                Condition::any()
                    .add(agreement::Column::RequestingJurisdictionId.eq(j))
                    .add(agreement::Column::AssistingJurisdictionId.eq(j)),
            );
        }
        if let Some(c) = ids("filter.compactId", &filter.compact_id)? {
            select = select.filter(agreement::Column::CompactId.eq(c));
        }
        if let Some(r) = ids("filter.requestId", &filter.request_id)? {
            select = select.filter(agreement::Column::RequestId.eq(r));
        }
        if let Some(at) = filter.updated_since {
            select = select.filter(agreement::Column::UpdatedAt.gte(at.0));
        }
        let order = order_of(order_by, agreement::Column::Id.into_simple_expr());
        Ok(paginate(db(ctx), select, &order, Window::new(first, after, last, before), Agreement).await?.into())
    }

    /// A deployment by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Deployment>> {
        let id = validate::id("id", &id)?;
        let row = deployment::Entity::find_by_id(id)
            .filter(deployments_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(row.map(Deployment))
    }

    /// Deployments the caller may see, most recently changed first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn deployments(
        &self,
        ctx: &Context<'_>,
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
        #[graphql(desc = "How to sort; most recently changed first when omitted. The id breaks ties.")]
        order_by: Option<OrderBy<DeploymentOrderField>>,
        #[graphql(desc = "Any of these statuses. At most 32.", validator(max_items = 32))] statuses: Option<
            Vec<DeploymentStatus>,
        >,
        #[graphql(desc = "What to include.")] filter: Option<PartyFilter>,
    ) -> Result<DeploymentConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = deployment::Entity::find().filter(deployments_visible_to(viewer(ctx)));
        if let Some(statuses) = &statuses {
            select = select.filter(deployment::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(j) = ids("filter.jurisdictionId", &filter.jurisdiction_id)? {
            select = select.filter(
                Condition::any()
                    .add(deployment::Column::RequestingJurisdictionId.eq(j))
                    .add(deployment::Column::AssistingJurisdictionId.eq(j)),
            );
        }
        if let Some(c) = ids("filter.compactId", &filter.compact_id)? {
            select = select.filter(deployment::Column::CompactId.eq(c));
        }
        if let Some(r) = ids("filter.requestId", &filter.request_id)? {
            select = select.filter(deployment::Column::RequestId.eq(r));
        }
        if let Some(at) = filter.updated_since {
            select = select.filter(deployment::Column::UpdatedAt.gte(at.0));
        }
        let order = order_of(order_by, deployment::Column::Id.into_simple_expr());
        Ok(paginate(db(ctx), select, &order, Window::new(first, after, last, before), Deployment).await?.into())
    }

    /// Deadlines of the records the caller may see, soonest first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn deadlines(
        &self,
        ctx: &Context<'_>,
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
        #[graphql(desc = "How to sort; soonest due first when omitted. The id breaks ties.")] order_by: Option<
            OrderBy<DeadlineOrderField>,
        >,
        #[graphql(desc = "What to include.")] filter: Option<DeadlineFilter>,
    ) -> Result<DeadlineConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = deadline::Entity::find().filter(deadlines_visible_to(viewer(ctx)));
        if let Some(statuses) = &filter.statuses {
            select = select.filter(deadline::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(kinds) = &filter.kinds {
            select = select.filter(deadline::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if let Some(j) = ids("filter.owedByJurisdictionId", &filter.owed_by_jurisdiction_id)? {
            select = select.filter(deadline::Column::OwedByJurisdictionId.eq(j));
        }
        if let Some(c) = ids("filter.compactId", &filter.compact_id)? {
            select = select.filter(deadline::Column::CompactId.eq(c));
        }
        if let Some(at) = filter.due_before {
            select = select.filter(deadline::Column::DueAt.lt(at.0));
        }
        if filter.overdue {
            let now = state(ctx).clock.now();
            select = select
                .filter(deadline::Column::DueAt.lt(now))
                .filter(
                    deadline::Column::Status.is_in([DeadlineStatus::Pending.as_str(), DeadlineStatus::Missed.as_str()]),
                )
                .filter(deadline::Column::MetAt.is_null());
        }
        let order = order_of(order_by, deadline::Column::Id.into_simple_expr());
        Ok(paginate(
            db(ctx),
            select,
            &order,
            Window::new(first, after, last, before),
            crate::graphql::missions::Deadline,
        )
        .await?
        .into())
    }

    /// Inventory lines the caller may see: its own, and those of the members of the compacts it covers.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    async fn inventory(
        &self,
        ctx: &Context<'_>,
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
        #[graphql(desc = "What to include.")] filter: Option<InventoryFilter>,
    ) -> Result<InventoryItemConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = inventory_item::Entity::find().filter(inventory_visible_to(viewer(ctx)));
        if let Some(j) = ids("filter.jurisdictionId", &filter.jurisdiction_id)? {
            select = select.filter(inventory_item::Column::JurisdictionId.eq(j));
        }
        if let Some(t) = ids("filter.resourceTypeId", &filter.resource_type_id)? {
            select = select.filter(inventory_item::Column::ResourceTypeId.eq(t));
        }
        if filter.available_only {
            select = select.filter(inventory_item::Column::QuantityAvailable.gt(0));
        }
        Ok(paginate(db(ctx), select, &ordering::inventory(), Window::new(first, after, last, before), InventoryItem)
            .await?
            .into())
    }

    /// Active members with available inventory of the requested types, closest to the incident first. For the
    /// compact's coordinator and the requesting party.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn candidate_assisting_jurisdictions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request to source.")] request_id: ID,
    ) -> Result<Vec<Candidate>> {
        let id = validate::id("requestId", &request_id)?;
        let found = requests::candidates(db(ctx), viewer(ctx), state(ctx).clock.now(), id).await?;
        Ok(found
            .into_iter()
            .map(|c| Candidate {
                jurisdiction: Jurisdiction(c.jurisdiction),
                distance_km: c.distance_km.map(|d| (d * 10.0).round() / 10.0),
                available: c
                    .available
                    .into_iter()
                    .map(|(t, q)| Availability { resource_type_id: ID(t.to_string()), quantity_available: q })
                    .collect(),
                covers_all_lines: c.covers_all_lines,
            })
            .collect())
    }
}

/// The result of a mutation on a request.
#[derive(SimpleObject)]
pub struct ResourceRequestPayload {
    /// The request as it is after the change.
    pub resource_request: ResourceRequest,
}

/// The result of a mutation on an offer.
#[derive(SimpleObject)]
pub struct OfferPayload {
    /// The offer as it is after the change.
    pub offer: Offer,
}

/// What accepting an offer created.
#[derive(SimpleObject)]
pub struct AcceptOfferPayload {
    /// The accepted offer.
    pub offer: Offer,
    /// The agreement.
    pub agreement: Agreement,
    /// The deployment, preparing.
    pub deployment: Deployment,
    /// The request, `FILLED` once accepted offers cover every line.
    pub resource_request: ResourceRequest,
}

/// The result of a mutation on an agreement.
#[derive(SimpleObject)]
pub struct AgreementPayload {
    /// The agreement as it is after the change.
    pub agreement: Agreement,
}

/// The result of a mutation on an amendment.
#[derive(SimpleObject)]
pub struct AmendmentPayload {
    /// The amendment as it is after the change.
    pub amendment: Amendment,
}

/// The result of a mutation on a deployment.
#[derive(SimpleObject)]
pub struct DeploymentPayload {
    /// The deployment as it is after the change.
    pub deployment: Deployment,
}

/// The result of recording time.
#[derive(SimpleObject)]
pub struct RecordTimePayload {
    /// The deployment.
    pub deployment: Deployment,
    /// The records just made.
    pub time_records: Vec<TimeRecord>,
}

/// The result of setting an inventory line.
#[derive(SimpleObject)]
pub struct InventoryItemPayload {
    /// The line as it is after the change.
    pub inventory_item: InventoryItem,
}

/// The result of recording a document.
#[derive(SimpleObject)]
pub struct DocumentPayload {
    /// The document.
    pub document: Document,
}

macro_rules! now {
    ($ctx:expr) => {
        state($ctx).clock.now()
    };
}

/// Mission mutations. Entitlement is checked per record by the domain: the requesting party, the assisting
/// party or the compact's coordinator, as each step requires.
#[derive(Default)]
pub struct MissionMutation;

#[Object]
impl MissionMutation {
    /// Drafts a request for the caller's jurisdiction. Authorized representatives of an active member only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn create_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateResourceRequestInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::create(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Submits a draft in writing; in a direct compact it opens at once to the addressed members.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn submit_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RequestStepInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::submit(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Records a request made verbally, by the requesting party or by the coordinator on its behalf; the written
    /// request falls due per the compact's policy.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn record_verbal_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordVerbalRequestInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::record_verbal(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Records the written confirmation of a submitted request: of a verbal one wherever the compact asks it (AACOG
    /// Part I), of every request where the compact asks it of all (Utah Form 100). It meets the `WRITTEN_REQUEST`
    /// deadline; a confirmation dated before the request it confirms is refused.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn confirm_resource_request_in_writing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ConfirmRequestInWritingInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::confirm_in_writing(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// The coordinator assigns the mission number, which opens sourcing in a coordinated compact.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Coordinator])")]
    async fn assign_mission_number(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AssignMissionNumberInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::assign_mission_number(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Addresses a request to more members or broadcasts it: the coordinator, or the requesting party in a
    /// direct compact.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn direct_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DirectResourceRequestInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::direct(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Cancels a request before it is filled.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn cancel_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RequestStepInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::cancel(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Ends sourcing of a request that could not be filled.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn mark_resource_request_unfilled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RequestStepInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::mark_unfilled(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Closes a filled or unfilled request once every deployment is back.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn close_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RequestStepInput,
    ) -> Result<ResourceRequestPayload> {
        let row = requests::close(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(ResourceRequestPayload { resource_request: ResourceRequest(row) })
    }

    /// Offers resources on an open request addressed to the caller's jurisdiction.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn make_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: MakeOfferInput,
    ) -> Result<OfferPayload> {
        let row = offers::make(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(OfferPayload { offer: Offer(row) })
    }

    /// Answers an open request with "cannot provide" and a reason.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn decline_resource_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeclineResourceRequestInput,
    ) -> Result<OfferPayload> {
        let row = offers::decline(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(OfferPayload { offer: Offer(row) })
    }

    /// The assisting party withdraws its offer before acceptance.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn withdraw_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: OfferDecisionInput,
    ) -> Result<OfferPayload> {
        let row = offers::withdraw(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(OfferPayload { offer: Offer(row) })
    }

    /// The requesting party declines an offer.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn reject_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: OfferDecisionInput,
    ) -> Result<OfferPayload> {
        let row = offers::reject(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(OfferPayload { offer: Offer(row) })
    }

    /// The requesting party accepts an offer (its Part III signature): the agreement and the deployment are
    /// created; accepted quantities never exceed the request.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn accept_offer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AcceptOfferInput,
    ) -> Result<AcceptOfferPayload> {
        let accepted = offers::accept(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(AcceptOfferPayload {
            offer: Offer(accepted.offer),
            agreement: Agreement(accepted.agreement),
            deployment: Deployment(accepted.deployment),
            resource_request: ResourceRequest(accepted.request),
        })
    }

    /// A party signs a verbal agreement in writing; with both signatures it is executed.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn sign_agreement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: SignAgreementInput,
    ) -> Result<AgreementPayload> {
        let row = agreements::sign(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(AgreementPayload { agreement: Agreement(row) })
    }

    /// Either party proposes a numbered amendment of an agreement.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn propose_amendment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ProposeAmendmentInput,
    ) -> Result<AmendmentPayload> {
        let row = agreements::propose_amendment(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(AmendmentPayload { amendment: Amendment(row) })
    }

    /// The other party acknowledges an amendment.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn acknowledge_amendment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AcknowledgeAmendmentInput,
    ) -> Result<AmendmentPayload> {
        let row = agreements::acknowledge_amendment(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(AmendmentPayload { amendment: Amendment(row) })
    }

    /// The requesting party files the after-action / summary report once the resources are back.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn file_after_action_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: FileAfterActionReportInput,
    ) -> Result<AgreementPayload> {
        let row = agreements::file_after_action_report(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(AgreementPayload { agreement: Agreement(row) })
    }

    /// The assisting party records its readiness and communications checks, roster and equipment.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn prepare_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: PrepareDeploymentInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::prepare(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// The assisting party departs (after the readiness and communications checks).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn depart_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeploymentStepInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::depart(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// Either party notifies the arrival.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn record_arrival(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeploymentStepInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::arrive(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// The requesting party records an assignment or location change.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn record_assignment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordAssignmentInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::record_assignment(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// The assisting party gives notice of recall, effective after the compact's recall period.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn give_recall_notice(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: GiveRecallNoticeInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::give_recall_notice(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// Releases resources (demobilization): the requesting party, or the assisting party once its recall is in
    /// effect.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn release_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ReleaseDeploymentInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::release(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// The assisting party notifies the safe arrival home.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn record_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeploymentStepInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::record_return(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// Either party closes a returned deployment once the paperwork is complete.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn close_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeploymentStepInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::close(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// Either party cancels a deployment before departure.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn cancel_deployment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeploymentStepInput,
    ) -> Result<DeploymentPayload> {
        let row = deployments::cancel(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeploymentPayload { deployment: Deployment(row) })
    }

    /// Either party records daily personnel hours, equipment hours and materials used (Utah R704-2-6(1)(b)(i): the
    /// requesting jurisdiction's incident commander keeps them; AACOG: the assisting party's supervisors). Each
    /// record says which party recorded it.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn record_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordTimeInput,
    ) -> Result<RecordTimePayload> {
        let (deployment, records) = deployments::record_time(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(RecordTimePayload {
            deployment: Deployment(deployment),
            time_records: records.into_iter().map(TimeRecord).collect(),
        })
    }

    /// Sets what the caller's jurisdiction holds and has available of one resource type (SMAA Form 106).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Admin])")]
    async fn set_inventory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: SetInventoryInput,
    ) -> Result<InventoryItemPayload> {
        let row = inventory::set(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(InventoryItemPayload { inventory_item: InventoryItem(row) })
    }

    /// Records a document on a request, agreement, deployment or incident: the compact's coordinator or a party.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn record_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordDocumentInput,
    ) -> Result<DocumentPayload> {
        let row = documents::record(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DocumentPayload { document: Document(row) })
    }
}
