//! GraphQL types of the mission lifecycle: requests, offers, agreements, amendments, deployments, inventory,
//! documents and deadlines. Relations resolve through the request's viewer-aware DataLoader.

pub mod dashboard;
pub mod incidents;
pub mod ops;

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use entities::{
    agreement, amendment, deadline, deployment, document, inventory_item, offer, offer_line, request_line_item,
    resource_request, time_record,
};
use rust_decimal::Decimal;

use crate::domain::deadlines::status_at;
use crate::domain::enums::{
    AgreementStatus, AmendmentStatus, DeadlineKind, DeadlineStatus, DeploymentStatus, OfferStatus, Priority,
    ProvidedBy, RecordType, RequestChannel, RequestStatus, TimeRecordKind,
};
use crate::domain::offers::{CostCategory, Equipment, Person};
use crate::edxl::EdxlRmMessage;
use crate::graphql::connection::{Window, connection};
use crate::graphql::loaders::{
    AcceptedOnLine, AgreementById, AgreementsOf, AgreementsOfOffer, AmendmentsOf, CompactById, DeadlinesOf,
    DeploymentsOf, DeploymentsOfAgreement, DocumentsOf, IncidentById, JurisdictionById, LineItemsOf, OfferById,
    OfferLinesOf, OffersOf, RecipientsOf, RequestById, ResourceTypeById, TimeRecordsOf, prefetch,
};
use crate::graphql::types::{Compact, EventConnection, Incident, Jurisdiction, ResourceType, history, loaders};
use crate::graphql::{db, state};
use crate::scalars::{Date, DateTime, Decimal as DecimalScalar};

fn id(uuid: uuid::Uuid) -> ID {
    ID(uuid.to_string())
}

async fn jurisdiction(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Jurisdiction>> {
    Ok(loaders(ctx).load_one(JurisdictionById(id)).await?.map(Jurisdiction))
}

async fn compact(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Compact>> {
    Ok(loaders(ctx).load_one(CompactById(id)).await?.map(Compact))
}

async fn documents(ctx: &Context<'_>, record_id: uuid::Uuid) -> Result<Vec<Document>> {
    Ok(loaders(ctx).load_one(DocumentsOf(record_id)).await?.unwrap_or_default().into_iter().map(Document).collect())
}

async fn deadlines(ctx: &Context<'_>, record_id: uuid::Uuid) -> Result<Vec<Deadline>> {
    Ok(loaders(ctx).load_one(DeadlinesOf(record_id)).await?.unwrap_or_default().into_iter().map(Deadline).collect())
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// A request for assistance (RMA Part I, SMAA Form 101, EMAC REQ-A section I, ICS 213 RR).
pub struct ResourceRequest(pub resource_request::Model);

/// Reads ahead what `selection` asks of each request of a list, so that the list costs a fixed number of
/// statements however the runtime schedules its items: the page's line items, offers, agreements, deployments,
/// addressees and incidents in one statement each, then every jurisdiction, resource type and compact they name in
/// one statement each. Nothing is read for a field that is not selected, nor when the loader keeps nothing.
pub(crate) async fn prefetch_requests(
    ctx: &Context<'_>,
    selection: &async_graphql::Lookahead<'_>,
    rows: &[&resource_request::Model],
) -> Result<()> {
    let l = loaders(ctx);
    let each = |field: &str| {
        let wanted = selection.field(field).exists();
        rows.iter().filter(move |_| wanted)
    };
    let (line_items, offers, agreements, deployments, recipients) = (
        selection.field("lineItems"),
        selection.field("offers"),
        selection.field("agreements"),
        selection.field("deployments"),
        selection.field("recipients"),
    );
    let (lines, offered, agreed, deployed, addressed, _) = futures_util::try_join!(
        prefetch(l, each("lineItems").map(|r| LineItemsOf(r.id))),
        prefetch(l, each("offers").map(|r| OffersOf(r.id))),
        prefetch(l, each("agreements").map(|r| AgreementsOf(r.id))),
        prefetch(l, each("deployments").map(|r| DeploymentsOf(r.id))),
        prefetch(l, each("recipients").map(|r| RecipientsOf(r.id))),
        prefetch(l, each("incident").map(|r| IncidentById(r.incident_id))),
    )?;

    let mut jurisdictions: Vec<uuid::Uuid> =
        each("requestingJurisdiction").map(|r| r.requesting_jurisdiction_id).collect();
    if offers.field("assistingJurisdiction").exists() {
        jurisdictions.extend(offered.values().flatten().map(|o| o.assisting_jurisdiction_id));
    }
    for (selected, parties) in [
        (
            &agreements,
            agreed
                .values()
                .flatten()
                .map(|a| (a.requesting_jurisdiction_id, a.assisting_jurisdiction_id))
                .collect::<Vec<_>>(),
        ),
        (
            &deployments,
            deployed.values().flatten().map(|d| (d.requesting_jurisdiction_id, d.assisting_jurisdiction_id)).collect(),
        ),
    ] {
        if selected.field("requestingJurisdiction").exists() {
            jurisdictions.extend(parties.iter().map(|p| p.0));
        }
        if selected.field("assistingJurisdiction").exists() {
            jurisdictions.extend(parties.iter().map(|p| p.1));
        }
    }
    if recipients.exists() {
        jurisdictions.extend(addressed.values().flatten().map(|r| r.jurisdiction_id));
    }
    let resource_types: Vec<uuid::Uuid> = if line_items.field("resourceType").exists() {
        lines.values().flatten().map(|line| line.resource_type_id).collect()
    } else {
        Vec::new()
    };
    futures_util::try_join!(
        prefetch(l, jurisdictions.into_iter().map(JurisdictionById)),
        prefetch(l, resource_types.into_iter().map(ResourceTypeById)),
        prefetch(l, each("compact").map(|r| CompactById(r.compact_id))),
    )?;
    Ok(())
}

/// A request for assistance (RMA Part I, SMAA Form 101, EMAC REQ-A section I, ICS 213 RR). Visible to the
/// requesting jurisdiction, to members it is open to, to members that answered it, and to the compact's
/// coordinator, committee and observers.
#[Object]
impl ResourceRequest {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::ResourceRequest, self.0.id)
    }
    /// This request as an OASIS EDXL-RM 1.0 `RequestResource` message: schema-valid XML with its line items, incident, staging location and contacts (the README maps each field). Refused with `BAD_USER_INPUT` for a message type the record has no counterpart in.
    async fn edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The message type; `RequestResource` when omitted.",
            default_with = "EdxlRmMessage::RequestResource"
        )]
        message: EdxlRmMessage,
    ) -> Result<String> {
        crate::graphql::edxl::export(ctx, message, &[EdxlRmMessage::RequestResource], self.0.id).await
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The requesting party's own number.
    async fn request_number(&self) -> &str {
        &self.0.request_number
    }
    /// The coordinator's mission number, in a coordinated compact.
    async fn mission_number(&self) -> Option<&str> {
        self.0.mission_number.as_deref()
    }
    /// Where the request stands.
    async fn status(&self) -> Result<RequestStatus> {
        Ok(RequestStatus::from_db(&self.0.status)?)
    }
    /// Why it was cancelled or left unfilled.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// How the request reaches assisting parties.
    async fn channel(&self) -> Result<RequestChannel> {
        Ok(RequestChannel::from_db(&self.0.channel)?)
    }
    /// How urgent.
    async fn priority(&self) -> Result<Priority> {
        Ok(Priority::from_db(&self.0.priority)?)
    }
    /// The compact the request is made under.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Compact> {
        crate::graphql::types::compact_by_id(ctx, self.0.compact_id).await
    }
    /// The requesting jurisdiction.
    async fn requesting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.requesting_jurisdiction_id).await
    }
    /// The incident the help is for.
    /// Null only for a caller who may not see the incident (the README's "Who sees what").
    async fn incident(&self, ctx: &Context<'_>) -> Result<Option<Incident>> {
        Ok(loaders(ctx).load_one(IncidentById(self.0.incident_id)).await?.map(Incident))
    }
    /// Whether the request was made verbally (its written confirmation is then due per the policy).
    async fn verbal(&self) -> bool {
        self.0.verbal
    }
    /// When the request was made.
    async fn requested_at(&self) -> DateTime {
        self.0.requested_at.into()
    }
    /// When the written request confirming a verbal one was received.
    async fn written_confirmed_at(&self) -> Option<DateTime> {
        self.0.written_confirmed_at.map(Into::into)
    }
    /// Whether the coordinator entered the request on the requesting party's behalf.
    async fn entered_by_coordinator(&self) -> bool {
        self.0.entered_by_coordinator
    }
    /// Whether every active member may answer.
    async fn broadcast(&self) -> bool {
        self.0.broadcast
    }
    /// The members the request is addressed to.
    async fn recipients(&self, ctx: &Context<'_>) -> Result<Vec<Jurisdiction>> {
        let rows = loaders(ctx).load_one(RecipientsOf(self.0.id)).await?.unwrap_or_default();
        let found = loaders(ctx).load_many(rows.iter().map(|r| JurisdictionById(r.jurisdiction_id))).await?;
        Ok(rows
            .iter()
            .filter_map(|r| found.get(&JurisdictionById(r.jurisdiction_id)).cloned().map(Jurisdiction))
            .collect())
    }
    /// Emergency support functions concerned.
    async fn support_functions(&self) -> Vec<String> {
        strings(&self.0.support_functions)
    }
    /// Public infrastructure systems concerned.
    async fn public_infrastructure(&self) -> Vec<String> {
        strings(&self.0.public_infrastructure)
    }
    /// The mission, in words.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where the resources report.
    async fn staging_location(&self) -> Option<&str> {
        self.0.staging_location.as_deref()
    }
    /// Who receives them at the staging location.
    async fn staging_contact_name(&self) -> Option<&str> {
        self.0.staging_contact_name.as_deref()
    }
    /// Telephone of the staging contact.
    async fn staging_contact_phone(&self) -> Option<&str> {
        self.0.staging_contact_phone.as_deref()
    }
    /// The requesting party's point of contact.
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    /// Telephone of the point of contact.
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
    /// E-mail of the point of contact.
    async fn contact_email(&self) -> Option<&str> {
        self.0.contact_email.as_deref()
    }
    /// Hours the assisting resources must be self-sufficient on arrival.
    async fn self_sufficiency_hours(&self) -> Option<i32> {
        self.0.self_sufficiency_hours
    }
    /// Who feeds deployed personnel.
    async fn food_provided_by(&self) -> Result<ProvidedBy> {
        Ok(ProvidedBy::from_db(&self.0.food_provided_by)?)
    }
    /// Who houses deployed personnel.
    async fn housing_provided_by(&self) -> Result<ProvidedBy> {
        Ok(ProvidedBy::from_db(&self.0.housing_provided_by)?)
    }
    /// What is needed, line by line.
    async fn line_items(&self, ctx: &Context<'_>) -> Result<Vec<RequestLineItem>> {
        Ok(loaders(ctx)
            .load_one(LineItemsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(RequestLineItem)
            .collect())
    }
    /// The offers and "cannot provide" answers the caller may see: all of them for the requesting party and the
    /// coordinator, only its own for an assisting party.
    async fn offers(&self, ctx: &Context<'_>) -> Result<Vec<Offer>> {
        Ok(loaders(ctx).load_one(OffersOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Offer).collect())
    }
    /// The agreements made on this request that the caller may see.
    async fn agreements(&self, ctx: &Context<'_>) -> Result<Vec<Agreement>> {
        Ok(loaders(ctx)
            .load_one(AgreementsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Agreement)
            .collect())
    }
    /// The deployments on this request that the caller may see.
    async fn deployments(&self, ctx: &Context<'_>) -> Result<Vec<Deployment>> {
        Ok(loaders(ctx)
            .load_one(DeploymentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Deployment)
            .collect())
    }
    /// Documents filed on the request.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        documents(ctx, self.0.id).await
    }
    /// Deadlines of the request (the written confirmation of a verbal request).
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<Vec<Deadline>> {
        deadlines(ctx, self.0.id).await
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> Option<DateTime> {
        self.0.submitted_at.map(Into::into)
    }
    /// When sourcing opened.
    async fn opened_at(&self) -> Option<DateTime> {
        self.0.opened_at.map(Into::into)
    }
    /// When accepted offers covered every line.
    async fn filled_at(&self) -> Option<DateTime> {
        self.0.filled_at.map(Into::into)
    }
    /// When it was closed or cancelled.
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the request, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// One typed line of a request.
pub struct RequestLineItem(pub request_line_item::Model);

/// One typed line of a request: what, how many, for how long, by when.
#[Object]
impl RequestLineItem {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Position in the request, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The resource type.
    async fn resource_type(&self, ctx: &Context<'_>) -> Result<ResourceType> {
        crate::graphql::types::resource_type_by_id(ctx, self.0.resource_type_id).await
    }
    /// How many are requested.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
    /// How many accepted offers provide so far.
    async fn accepted_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(loaders(ctx).load_one(AcceptedOnLine(self.0.id)).await?.unwrap_or(0))
    }
    /// How many are still needed.
    async fn remaining_quantity(&self, ctx: &Context<'_>) -> Result<i32> {
        let accepted = loaders(ctx).load_one(AcceptedOnLine(self.0.id)).await?.unwrap_or(0);
        Ok((self.0.quantity - accepted).max(0))
    }
    /// For how long, in hours.
    async fn estimated_duration_hours(&self) -> Option<i32> {
        self.0.estimated_duration_hours
    }
    /// By when the resources are needed on site.
    async fn needed_by(&self) -> Option<DateTime> {
        self.0.needed_by.map(Into::into)
    }
    /// Mission details for this line.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}

/// An estimated amount for one cost category.
#[derive(SimpleObject)]
pub struct CostLine {
    /// The category.
    pub category: CostCategory,
    /// The amount, in dollars.
    pub amount: DecimalScalar,
}

/// Reads a category -> amount JSON object.
pub fn cost_lines(value: &serde_json::Value) -> Vec<CostLine> {
    let mut lines: Vec<CostLine> = value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| {
                    let category: CostCategory = serde_json::from_value(serde_json::Value::String(k.clone())).ok()?;
                    let amount: Decimal = v.as_str()?.parse().ok()?;
                    Some(CostLine { category, amount: DecimalScalar(amount) })
                })
                .collect()
        })
        .unwrap_or_default();
    lines.sort_by_key(|l| l.category);
    lines
}

/// How much of one request line an offer covers.
pub struct OfferLine(pub offer_line::Model);

/// How much of one request line an offer covers.
#[Object]
impl OfferLine {
    /// The request line.
    async fn line_item_id(&self) -> ID {
        id(self.0.line_item_id)
    }
    /// How many the offer provides.
    async fn quantity(&self) -> i32 {
        self.0.quantity
    }
}

/// An assisting party's answer to a request.
pub struct Offer(pub offer::Model);

/// An assisting party's answer to a request (RMA Part II, EMAC REQ-A section II), or a "cannot provide" answer.
/// Visible to the assisting party, the requesting party and the compact's coordinator; never to competitors.
#[Object]
impl Offer {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Offer, self.0.id)
    }
    /// This offer as an OASIS EDXL-RM 1.0 `ResponseToRequestResource` message: Accept with the offered quantities, or Decline on every line for a "cannot provide" answer. Refused with `BAD_USER_INPUT` for a message type the record has no counterpart in.
    async fn edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The message type; `ResponseToRequestResource` when omitted.",
            default_with = "EdxlRmMessage::ResponseToRequestResource"
        )]
        message: EdxlRmMessage,
    ) -> Result<String> {
        crate::graphql::edxl::export(ctx, message, &[EdxlRmMessage::ResponseToRequestResource], self.0.id).await
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The request answered.
    /// Null only for a caller who may not see the request (the README's "Who sees what").
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<ResourceRequest>> {
        Ok(loaders(ctx).load_one(RequestById(self.0.request_id)).await?.map(ResourceRequest))
    }
    /// The assisting jurisdiction.
    async fn assisting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.assisting_jurisdiction_id).await
    }
    /// Where the offer stands.
    async fn status(&self) -> Result<OfferStatus> {
        Ok(OfferStatus::from_db(&self.0.status)?)
    }
    /// Why the member cannot provide the resources.
    async fn cannot_provide_reason(&self) -> Option<&str> {
        self.0.cannot_provide_reason.as_deref()
    }
    /// What the offer covers, line by line.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OfferLine>> {
        Ok(loaders(ctx)
            .load_one(OfferLinesOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(OfferLine)
            .collect())
    }
    /// The people offered, by name and position.
    async fn personnel(&self) -> Vec<Person> {
        serde_json::from_value(self.0.personnel.clone()).unwrap_or_default()
    }
    /// The equipment offered.
    async fn equipment(&self) -> Vec<Equipment> {
        serde_json::from_value(self.0.equipment.clone()).unwrap_or_default()
    }
    /// Where the resources will report.
    async fn arrival_place(&self) -> Option<&str> {
        self.0.arrival_place.as_deref()
    }
    /// Estimated time of arrival.
    async fn estimated_arrival_at(&self) -> Option<DateTime> {
        self.0.estimated_arrival_at.map(Into::into)
    }
    /// Estimated time of departure from the incident.
    async fn estimated_departure_at(&self) -> Option<DateTime> {
        self.0.estimated_departure_at.map(Into::into)
    }
    /// Estimated cost by category.
    async fn cost_estimate(&self) -> Vec<CostLine> {
        cost_lines(&self.0.cost_estimate)
    }
    /// The sum of the estimate.
    async fn cost_estimate_total(&self) -> Result<DecimalScalar> {
        let total = crate::domain::money::sum(cost_lines(&self.0.cost_estimate).iter().map(|l| l.amount.0))?;
        Ok(DecimalScalar(crate::domain::money::cents(total)))
    }
    /// Whether the resources are donated (no reimbursement sought) rather than loaned.
    async fn donated(&self) -> bool {
        self.0.donated
    }
    /// Anything else the requesting party should know.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// When the offer was decided (accepted, rejected, withdrawn).
    async fn decided_at(&self) -> Option<DateTime> {
        self.0.decided_at.map(Into::into)
    }
    /// Why it was rejected or withdrawn.
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }
    /// The agreement made from this offer, once accepted.
    /// Null until the offer is accepted, and for a caller who may not see the agreement.
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        let rows = loaders(ctx).load_one(AgreementsOfOffer(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().next().map(Agreement))
    }
    /// Incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the offer was made.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// Every change to the offer, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// An accepted offer signed by both parties.
pub struct Agreement(pub agreement::Model);

/// An accepted offer signed by both authorized representatives (RMA Part III, SMAA Form 113, EMAC RSA): a
/// contract between the requesting and the assisting party.
#[Object]
impl Agreement {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Agreement, self.0.id)
    }
    /// This agreement as an OASIS EDXL-RM 1.0 `CommitResource` message: the accepted offer's lines, committed, with the agreement (or mission number) as order id. Refused with `BAD_USER_INPUT` for a message type the record has no counterpart in.
    async fn edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The message type; `CommitResource` when omitted.",
            default_with = "EdxlRmMessage::CommitResource"
        )]
        message: EdxlRmMessage,
    ) -> Result<String> {
        crate::graphql::edxl::export(ctx, message, &[EdxlRmMessage::CommitResource], self.0.id).await
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where the agreement stands.
    async fn status(&self) -> Result<AgreementStatus> {
        Ok(AgreementStatus::from_db(&self.0.status)?)
    }
    /// Whether it was first agreed verbally.
    async fn verbal(&self) -> bool {
        self.0.verbal
    }
    /// The request.
    /// Null only for a caller who may not see the request (the README's "Who sees what").
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<ResourceRequest>> {
        Ok(loaders(ctx).load_one(RequestById(self.0.request_id)).await?.map(ResourceRequest))
    }
    /// The accepted offer.
    /// Null only for a caller who may not see the offer (the README's "Who sees what").
    async fn offer(&self, ctx: &Context<'_>) -> Result<Option<Offer>> {
        Ok(loaders(ctx).load_one(OfferById(self.0.offer_id)).await?.map(Offer))
    }
    /// The compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Compact> {
        crate::graphql::types::compact_by_id(ctx, self.0.compact_id).await
    }
    /// The requesting party.
    async fn requesting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.requesting_jurisdiction_id).await
    }
    /// The assisting party.
    async fn assisting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.assisting_jurisdiction_id).await
    }
    /// Who signed for the requesting party (token subject).
    async fn requesting_signed_by(&self) -> Option<&str> {
        self.0.requesting_signed_by.as_deref()
    }
    /// When the requesting party signed in writing.
    async fn requesting_signed_at(&self) -> Option<DateTime> {
        self.0.requesting_signed_at.map(Into::into)
    }
    /// Who signed for the assisting party (token subject).
    async fn assisting_signed_by(&self) -> Option<&str> {
        self.0.assisting_signed_by.as_deref()
    }
    /// When the assisting party signed in writing.
    async fn assisting_signed_at(&self) -> Option<DateTime> {
        self.0.assisting_signed_at.map(Into::into)
    }
    /// When both written signatures were in place.
    async fn executed_at(&self) -> Option<DateTime> {
        self.0.executed_at.map(Into::into)
    }
    /// The amendments, in order.
    async fn amendments(&self, ctx: &Context<'_>) -> Result<Vec<Amendment>> {
        Ok(loaders(ctx)
            .load_one(AmendmentsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Amendment)
            .collect())
    }
    /// The deployment under this agreement.
    /// Null only for a caller who may not see the deployment (the README's "Who sees what").
    async fn deployment(&self, ctx: &Context<'_>) -> Result<Option<Deployment>> {
        let rows = loaders(ctx).load_one(DeploymentsOfAgreement(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().next().map(Deployment))
    }
    /// The reimbursement claim of the agreement, once the resources returned.
    /// Null until the resources have returned (the claim opens then), and for a caller who may not see the claim.
    async fn claim(&self, ctx: &Context<'_>) -> Result<Option<crate::graphql::claims::Claim>> {
        let rows =
            loaders(ctx).load_one(crate::graphql::loaders::ClaimsOfAgreement(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().next().map(crate::graphql::claims::Claim))
    }
    /// The after-action / summary report.
    async fn after_action_report(&self) -> Option<&str> {
        self.0.after_action_report.as_deref()
    }
    /// When the after-action report was filed.
    async fn after_action_filed_at(&self) -> Option<DateTime> {
        self.0.after_action_filed_at.map(Into::into)
    }
    /// Documents filed on the agreement.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        documents(ctx, self.0.id).await
    }
    /// Deadlines of the agreement (written agreement after a verbal one, after-action report).
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<Vec<Deadline>> {
        deadlines(ctx, self.0.id).await
    }
    /// Incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the agreement was made.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// Every change to the agreement, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// A numbered change to an agreement.
pub struct Amendment(pub amendment::Model);

/// A numbered change to an agreement, proposed by one party and acknowledged by the other.
#[Object]
impl Amendment {
    /// This amendment as an OASIS EDXL-RM 1.0 `RequestExtendedDeploymentDuration` message, when its `changes` carry a later `estimatedDepartureAt`. Refused with `BAD_USER_INPUT` for a message type the record has no counterpart in.
    async fn edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The message type; `RequestExtendedDeploymentDuration` when omitted.",
            default_with = "EdxlRmMessage::RequestExtendedDeploymentDuration"
        )]
        message: EdxlRmMessage,
    ) -> Result<String> {
        crate::graphql::edxl::export(ctx, message, &[EdxlRmMessage::RequestExtendedDeploymentDuration], self.0.id).await
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The agreement.
    /// Null only for a caller who may not see the agreement (the README's "Who sees what").
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        Ok(loaders(ctx).load_one(AgreementById(self.0.agreement_id)).await?.map(Agreement))
    }
    /// 1 for the first amendment, then 2...
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// What changes and why.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The changed terms.
    async fn changes(&self) -> Json<serde_json::Value> {
        Json(self.0.changes.clone())
    }
    /// The proposing party.
    async fn proposed_by(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.proposed_by_jurisdiction_id).await
    }
    /// When it was proposed.
    async fn proposed_at(&self) -> DateTime {
        self.0.proposed_at.into()
    }
    /// Where it stands.
    async fn status(&self) -> Result<AmendmentStatus> {
        Ok(AmendmentStatus::from_db(&self.0.status)?)
    }
    /// Who acknowledged it (token subject).
    async fn acknowledged_by(&self) -> Option<&str> {
        self.0.acknowledged_by_subject.as_deref()
    }
    /// When it was acknowledged.
    async fn acknowledged_at(&self) -> Option<DateTime> {
        self.0.acknowledged_at.map(Into::into)
    }
}

/// What moves under an agreement.
pub struct Deployment(pub deployment::Model);

/// What actually moves under an agreement: people and equipment, from preparation to return. The requesting
/// party supervises; the assisting party keeps command of its people and may recall them.
#[Object]
impl Deployment {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Deployment, self.0.id)
    }
    /// This deployment as an OASIS EDXL-RM 1.0 message: `REPORT_RESOURCE_DEPLOYMENT_STATUS` (its status, in the value list `urn:mutual-aid:rm:deployment-status`, and its actual times), `RELEASE_RESOURCE` once released, or `REQUEST_RETURN` once the assisting party gave recall notice. Refused with `BAD_USER_INPUT` for a message type the record has no counterpart in.
    async fn edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The message type; `ReportResourceDeploymentStatus` when omitted.",
            default_with = "EdxlRmMessage::ReportResourceDeploymentStatus"
        )]
        message: EdxlRmMessage,
    ) -> Result<String> {
        crate::graphql::edxl::export(
            ctx,
            message,
            &[
                EdxlRmMessage::ReportResourceDeploymentStatus,
                EdxlRmMessage::ReleaseResource,
                EdxlRmMessage::RequestReturn,
            ],
            self.0.id,
        )
        .await
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where the deployment stands.
    async fn status(&self) -> Result<DeploymentStatus> {
        Ok(DeploymentStatus::from_db(&self.0.status)?)
    }
    /// The agreement.
    /// Null only for a caller who may not see the agreement (the README's "Who sees what").
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        Ok(loaders(ctx).load_one(AgreementById(self.0.agreement_id)).await?.map(Agreement))
    }
    /// The request.
    /// Null only for a caller who may not see the request (the README's "Who sees what").
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<ResourceRequest>> {
        Ok(loaders(ctx).load_one(RequestById(self.0.request_id)).await?.map(ResourceRequest))
    }
    /// The requesting party.
    async fn requesting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.requesting_jurisdiction_id).await
    }
    /// The assisting party.
    async fn assisting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.assisting_jurisdiction_id).await
    }
    /// The roster, by name and position.
    async fn personnel(&self) -> Vec<Person> {
        serde_json::from_value(self.0.personnel.clone()).unwrap_or_default()
    }
    /// The equipment list.
    async fn equipment(&self) -> Vec<Equipment> {
        serde_json::from_value(self.0.equipment.clone()).unwrap_or_default()
    }
    /// Whether the readiness check is done.
    async fn readiness_checked(&self) -> bool {
        self.0.readiness_checked
    }
    /// Whether the communications check is done.
    async fn communications_checked(&self) -> bool {
        self.0.communications_checked
    }
    /// The current assignment.
    async fn assignment(&self) -> Option<&str> {
        self.0.assignment.as_deref()
    }
    /// Where the resources work now.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// When they left home.
    async fn departed_at(&self) -> Option<DateTime> {
        self.0.departed_at.map(Into::into)
    }
    /// When they arrived.
    async fn arrived_at(&self) -> Option<DateTime> {
        self.0.arrived_at.map(Into::into)
    }
    /// When the assisting party gave recall notice.
    async fn recall_noticed_at(&self) -> Option<DateTime> {
        self.0.recall_noticed_at.map(Into::into)
    }
    /// When the recall takes (or took) effect.
    async fn recall_effective_at(&self) -> Option<DateTime> {
        self.0.recall_effective_at.map(Into::into)
    }
    /// Why the resources were recalled.
    async fn recall_reason(&self) -> Option<&str> {
        self.0.recall_reason.as_deref()
    }
    /// When they were released.
    async fn released_at(&self) -> Option<DateTime> {
        self.0.released_at.map(Into::into)
    }
    /// Whether they were debriefed before leaving.
    async fn debriefed(&self) -> bool {
        self.0.debriefed
    }
    /// When their safe arrival home was notified.
    async fn returned_at(&self) -> Option<DateTime> {
        self.0.returned_at.map(Into::into)
    }
    /// When the deployment was closed or cancelled.
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }
    /// Daily personnel hours, equipment hours and materials used.
    async fn time_records(&self, ctx: &Context<'_>) -> Result<Vec<TimeRecord>> {
        Ok(loaders(ctx)
            .load_one(TimeRecordsOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(TimeRecord)
            .collect())
    }
    /// Documents filed on the deployment.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        documents(ctx, self.0.id).await
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the deployment, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// A time record of a deployment.
pub struct TimeRecord(pub time_record::Model);

/// A daily personnel time record, an equipment-hours entry or materials used.
#[Object]
impl TimeRecord {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What it counts.
    async fn kind(&self) -> Result<TimeRecordKind> {
        Ok(TimeRecordKind::from_db(&self.0.kind)?)
    }
    /// The day.
    async fn work_date(&self) -> Date {
        self.0.work_date.into()
    }
    /// The person, equipment or material.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// Regular or operating hours.
    async fn regular_hours(&self) -> Option<DecimalScalar> {
        self.0.regular_hours.as_deref().and_then(|h| h.parse().ok()).map(DecimalScalar)
    }
    /// Overtime hours.
    async fn overtime_hours(&self) -> Option<DecimalScalar> {
        self.0.overtime_hours.as_deref().and_then(|h| h.parse().ok()).map(DecimalScalar)
    }
    /// Quantity used.
    async fn quantity(&self) -> Option<DecimalScalar> {
        self.0.quantity.as_deref().and_then(|h| h.parse().ok()).map(DecimalScalar)
    }
    /// Notes.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The party that recorded it: the requesting jurisdiction (its incident commander, Utah R704-2-6(1)(b)(i)) or
    /// the assisting one. Null for records kept before the recording party was stored (those were the assisting
    /// party's).
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        match self.0.recorded_by_jurisdiction_id {
            Some(id) => Ok(Some(crate::graphql::types::jurisdiction_by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }
}

/// A line of a jurisdiction's inventory.
pub struct InventoryItem(pub inventory_item::Model);

/// What a jurisdiction holds and has available of one resource type (SMAA Form 106).
#[Object]
impl InventoryItem {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The holder.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.jurisdiction_id).await
    }
    /// The resource type.
    async fn resource_type(&self, ctx: &Context<'_>) -> Result<ResourceType> {
        crate::graphql::types::resource_type_by_id(ctx, self.0.resource_type_id).await
    }
    /// How many it holds.
    async fn quantity_held(&self) -> i32 {
        self.0.quantity_held
    }
    /// How many are available now (deployments take from it and give back on return).
    async fn quantity_available(&self) -> i32 {
        self.0.quantity_available
    }
    /// Notes: for the holder, the coordinators of its compacts and administrators only (null for others who see
    /// shared availability).
    async fn notes(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        let viewer = crate::graphql::viewer(ctx);
        let owner = self.0.jurisdiction_id;
        let coordinates_owner = viewer.has_role(crate::domain::enums::Role::Coordinator)
            && loaders(ctx)
                .load_one(crate::graphql::loaders::MembershipsOf(owner))
                .await?
                .unwrap_or_default()
                .iter()
                .any(|m| {
                    viewer.compact_ids.contains(&m.compact_id)
                        && m.status == crate::domain::enums::MembershipStatus::Active.as_str()
                });
        Ok(crate::domain::access::sees_inventory_notes(viewer, owner, coordinates_owner)
            .then_some(self.0.notes.as_deref())
            .flatten())
    }
    /// Incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}

/// A form or file tied to a record.
pub struct Document(pub document::Model);

/// A form or file tied to a record, with who filed it and when.
#[Object]
impl Document {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The form or kind.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Where the file is.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// Who filed it (token subject).
    async fn filed_by(&self) -> &str {
        &self.0.filed_by_subject
    }
    /// The jurisdiction of the filer.
    /// Null when the filer acted for no jurisdiction (a coordinator or an administrator).
    async fn filed_by_jurisdiction(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        match self.0.filed_by_jurisdiction_id {
            Some(j) => jurisdiction(ctx, j).await,
            None => Ok(None),
        }
    }
    /// When it was filed.
    async fn filed_at(&self) -> DateTime {
        self.0.filed_at.into()
    }
}

/// A due date of the compact's policy.
pub struct Deadline(pub deadline::Model);

/// A due date of the compact's policy: what is due, from whom, by when, and whether it was met.
#[Object]
impl Deadline {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// What is due.
    async fn kind(&self) -> Result<DeadlineKind> {
        Ok(DeadlineKind::from_db(&self.0.kind)?)
    }
    /// The type of the record it belongs to.
    async fn record_type(&self) -> Result<RecordType> {
        Ok(RecordType::from_db(&self.0.record_type)?)
    }
    /// The record it belongs to.
    async fn record_id(&self) -> ID {
        id(self.0.record_id)
    }
    /// The jurisdiction that owes it.
    /// Null when no single jurisdiction owes it (a committee's hearing or decision).
    async fn owed_by(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        match self.0.owed_by_jurisdiction_id {
            Some(j) => jurisdiction(ctx, j).await,
            None => Ok(None),
        }
    }
    /// The compact whose policy sets it.
    /// Null for a deadline no compact sets.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Option<Compact>> {
        match self.0.compact_id {
            Some(c) => compact(ctx, c).await,
            None => Ok(None),
        }
    }
    /// When it is due.
    async fn due_at(&self) -> DateTime {
        self.0.due_at.into()
    }
    /// The status now: a pending deadline whose time has passed reads `MISSED`.
    async fn status(&self, ctx: &Context<'_>) -> Result<DeadlineStatus> {
        Ok(status_at(&self.0, state(ctx).clock.now())?)
    }
    /// When the owed step was done (late ones keep their time too). A step recorded late keeps the time it was
    /// recorded here until its stated date is confirmed.
    async fn met_at(&self) -> Option<DateTime> {
        self.0.met_at.map(Into::into)
    }
    /// The earlier date the owing party stated for the step (a `receivedAt` or `paidAt` before it was recorded).
    /// The deadline is judged by when the step was recorded until the other party or the coordinator confirms
    /// this date (`confirmStatedDate`). Null when no earlier date was stated.
    async fn stated_at(&self) -> Option<DateTime> {
        self.0.stated_at.map(Into::into)
    }
    /// When the stated date was confirmed. Null while it is not (or none was stated).
    async fn stated_confirmed_at(&self) -> Option<DateTime> {
        self.0.stated_confirmed_at.map(Into::into)
    }
    /// Why the deadline was set aside, restarted or extended, when it was.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The extensions proposed for it (Utah R704-2-10(5)(b)), oldest first: agreed ones moved `dueAt`, and each
    /// keeps the due date it moved from.
    async fn extensions(&self, ctx: &Context<'_>) -> Result<Vec<DeadlineExtension>> {
        let found = crate::domain::deadlines::extensions_of(db(ctx), self.0.id).await?;
        Ok(found.into_iter().map(DeadlineExtension).collect())
    }
}

/// A proposed extension of a deadline.
pub struct DeadlineExtension(pub entities::deadline_extension::Model);

/// An extension of a reimbursement due date, proposed by one party and agreed or declined by the other.
#[Object]
impl DeadlineExtension {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where the proposal stands.
    async fn status(&self) -> Result<crate::domain::enums::ExtensionStatus> {
        Ok(crate::domain::enums::ExtensionStatus::from_db(&self.0.status)?)
    }
    /// The due date when it was proposed.
    async fn previous_due_at(&self) -> DateTime {
        self.0.previous_due_at.into()
    }
    /// The proposed due date.
    async fn due_at(&self) -> DateTime {
        self.0.due_at.into()
    }
    /// Why.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// The party that proposed it.
    async fn proposed_by(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.proposed_by_jurisdiction_id).await
    }
    /// When it was proposed.
    async fn proposed_at(&self) -> DateTime {
        self.0.proposed_at.into()
    }
    /// The party that answered it. Null while unanswered.
    async fn answered_by(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        match self.0.answered_by_jurisdiction_id {
            Some(j) => jurisdiction(ctx, j).await,
            None => Ok(None),
        }
    }
    /// When it was answered. Null while unanswered.
    async fn answered_at(&self) -> Option<DateTime> {
        self.0.answered_at.map(Into::into)
    }
}

connection!(
    ResourceRequestConnection,
    ResourceRequestEdge,
    ResourceRequest,
    "A page of resource requests.",
    "A resource request in a page."
);
connection!(AgreementConnection, AgreementEdge, Agreement, "A page of agreements.", "An agreement in a page.");
connection!(DeploymentConnection, DeploymentEdge, Deployment, "A page of deployments.", "A deployment in a page.");
connection!(DeadlineConnection, DeadlineEdge, Deadline, "A page of deadlines.", "A deadline in a page.");
connection!(
    InventoryItemConnection,
    InventoryItemEdge,
    InventoryItem,
    "A page of inventory lines.",
    "An inventory line in a page."
);
