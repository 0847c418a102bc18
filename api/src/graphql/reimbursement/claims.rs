//! GraphQL types, queries and mutations of reimbursement: claims, invoice lines, payments, disputes and the
//! committee. Money is the exact `Decimal` scalar; totals are computed from the lines and payments.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::{claim, committee_vote, dispute, invoice_line, payment};
use sea_orm::{ColumnTrait, Condition, EntityTrait, IntoSimpleExpr, QueryFilter};

use crate::domain::access::{claims_visible_to, disputes_visible_to};
use crate::domain::claims::{
    self as domain, ApproveClaimInput, ClaimStepInput, FileNoticeOfIntentInput, RecordPaymentInput,
    SubmitClaimPackageInput, WaiveReimbursementInput,
};
use crate::domain::deadlines::{self, AnswerDeadlineExtensionInput, ProposeDeadlineExtensionInput};
use crate::domain::disputes::{
    self, CastCommitteeVoteInput, EscalateDisputeInput, FileDisputeInput, IssueDecisionInput, ResolveDisputeInput,
    ScheduleHearingInput,
};
use crate::domain::enums::{ClaimStatus, CommitteeVote, DisputeStatus, Role};
use crate::domain::offers::CostCategory;
use crate::domain::{money, validate};
use crate::error::AppError;
use crate::graphql::connection::{Window, connection, paginate};
use crate::graphql::loaders::{
    AgreementById, DeadlinesOf, DisputesOf, DocumentsOf, InvoiceLinesOf, PaymentsOf, VotesOf,
};
use crate::graphql::missions::{Agreement, Deadline, DeadlineExtension, Document};
use crate::graphql::ordering::{ClaimOrderField, OrderBy, order_of};
use crate::graphql::types::{Compact, EventConnection, Jurisdiction, history, loaders};
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::{DateTime, Decimal};

fn id(uuid: uuid::Uuid) -> ID {
    ID(uuid.to_string())
}

fn amount(text: &str) -> Result<Decimal> {
    Ok(Decimal(money::stored(text)?))
}

/// One item a waiver gives up.
#[derive(SimpleObject)]
pub struct WaivedItem {
    /// The cost category.
    pub category: CostCategory,
    /// What was waived.
    pub description: String,
    /// The amount, for a waived invoice line. Null for an item named before there was an invoice.
    pub amount: Option<Decimal>,
    /// The waived invoice line. Null for an item named before there was an invoice.
    pub line_id: Option<ID>,
}

/// The money of a claim, computed from its invoice and payments.
#[derive(SimpleObject)]
pub struct ClaimTotals {
    /// Sum of the invoice lines not waived.
    pub claimed: Decimal,
    /// Sum of the waived lines.
    pub waived: Decimal,
    /// The approved amount (by the requesting party, by a resolution, or by the committee's decision).
    pub approved: Option<Decimal>,
    /// Sum of the payments.
    pub paid: Decimal,
    /// What remains to pay: the approved amount (or, before approval, the claimed amount) less payments.
    pub outstanding: Decimal,
}

/// The offer's estimate against the invoice for one cost category.
#[derive(SimpleObject)]
pub struct EstimateComparison {
    /// The category.
    pub category: CostCategory,
    /// What the accepted offer estimated.
    pub estimated: Decimal,
    /// What the invoice claims (lines not waived).
    pub actual: Decimal,
    /// Actual less estimated.
    pub difference: Decimal,
}

/// A reimbursement claim.
pub struct Claim(pub claim::Model);

/// A reimbursement claim: one per agreement, from the assisting party to the requesting party, opened when the
/// resources return. Visible to the parties and to the compact's coordinator and observers; to committee members
/// once a dispute of it is before the committee.
#[Object]
impl Claim {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Claim, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where the claim stands.
    async fn status(&self) -> Result<ClaimStatus> {
        Ok(ClaimStatus::from_db(&self.0.status)?)
    }
    /// Why it was forfeited or withdrawn.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// Whether a due date of the claim was missed (where missing it does not forfeit the claim).
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    /// The agreement.
    /// Null only for a caller who may not see the agreement (the README's "Who sees what").
    async fn agreement(&self, ctx: &Context<'_>) -> Result<Option<Agreement>> {
        Ok(loaders(ctx).load_one(AgreementById(self.0.agreement_id)).await?.map(Agreement))
    }
    /// The compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Compact> {
        crate::graphql::types::compact_by_id(ctx, self.0.compact_id).await
    }
    /// The requesting party, who pays.
    async fn requesting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.requesting_jurisdiction_id).await
    }
    /// The assisting party, who claims.
    async fn assisting_jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.assisting_jurisdiction_id).await
    }
    /// When assistance ended (the resources returned): the start of the claim's clocks.
    async fn assistance_ended_at(&self) -> DateTime {
        self.0.assistance_ended_at.into()
    }
    /// The mission number.
    async fn mission_number(&self) -> Option<&str> {
        self.0.mission_number.as_deref()
    }
    /// Summary of the services provided (from the notice of intent).
    async fn summary_of_services(&self) -> Option<&str> {
        self.0.summary_of_services.as_deref()
    }
    /// The financial contact.
    async fn financial_contact_name(&self) -> Option<&str> {
        self.0.financial_contact_name.as_deref()
    }
    /// Telephone of the financial contact.
    async fn financial_contact_phone(&self) -> Option<&str> {
        self.0.financial_contact_phone.as_deref()
    }
    /// E-mail of the financial contact.
    async fn financial_contact_email(&self) -> Option<&str> {
        self.0.financial_contact_email.as_deref()
    }
    /// When the notice of intent was filed.
    async fn notice_filed_at(&self) -> Option<DateTime> {
        self.0.notice_filed_at.map(Into::into)
    }
    /// When the requesting party acknowledged it.
    async fn notice_acknowledged_at(&self) -> Option<DateTime> {
        self.0.notice_acknowledged_at.map(Into::into)
    }
    /// When the request package was submitted.
    async fn package_submitted_at(&self) -> Option<DateTime> {
        self.0.package_submitted_at.map(Into::into)
    }
    /// The package's cover summary.
    async fn cover_summary(&self) -> Option<&str> {
        self.0.cover_summary.as_deref()
    }
    /// References of the supporting documents.
    async fn supporting_documents(&self) -> Vec<String> {
        serde_json::from_value(self.0.supporting_documents.clone()).unwrap_or_default()
    }
    /// The itemized invoice.
    async fn invoice_lines(&self, ctx: &Context<'_>) -> Result<Vec<InvoiceLine>> {
        Ok(loaders(ctx)
            .load_one(InvoiceLinesOf(self.0.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(InvoiceLine)
            .collect())
    }
    /// The payments, oldest first.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<Payment>> {
        Ok(loaders(ctx).load_one(PaymentsOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Payment).collect())
    }
    /// The computed money of the claim.
    async fn totals(&self, ctx: &Context<'_>) -> Result<ClaimTotals> {
        let lines = loaders(ctx).load_one(InvoiceLinesOf(self.0.id)).await?.unwrap_or_default();
        let payments = loaders(ctx).load_one(PaymentsOf(self.0.id)).await?.unwrap_or_default();
        let t = domain::totals(&self.0, &lines, &payments)?;
        let money = |d| Decimal(money::cents(d));
        Ok(ClaimTotals {
            claimed: money(t.claimed),
            waived: money(t.waived),
            approved: t.approved.map(money),
            paid: money(t.paid),
            outstanding: money(t.outstanding),
        })
    }
    /// The accepted offer's estimate against the invoice, per cost category.
    async fn estimate_against_actual(&self, ctx: &Context<'_>) -> Result<Vec<EstimateComparison>> {
        let estimate = domain::estimate_of(db(ctx), &self.0).await?;
        let lines = loaders(ctx).load_one(InvoiceLinesOf(self.0.id)).await?.unwrap_or_default();
        Ok(domain::estimate_against_actual(&estimate, &lines)?
            .into_iter()
            .map(|(category, (estimated, actual))| EstimateComparison {
                category,
                estimated: Decimal(money::cents(estimated)),
                actual: Decimal(money::cents(actual)),
                difference: Decimal(money::cents(actual - estimated)),
            })
            .collect())
    }
    /// When it was approved.
    async fn approved_at(&self) -> Option<DateTime> {
        self.0.approved_at.map(Into::into)
    }
    /// The written waiver of the whole claim.
    async fn waiver_statement(&self) -> Option<&str> {
        self.0.waiver_statement.as_deref()
    }
    /// Each item the waivers of this claim give up (Utah R704-2-11(2): a waiver specifies each item waived):
    /// waived invoice lines, the items a whole waiver named, or what a donated offer gave without fee.
    async fn waived_items(&self) -> Vec<WaivedItem> {
        let items = self.0.waiver_items.as_ref().and_then(|v| v.as_array().cloned()).unwrap_or_default();
        items
            .iter()
            .map(|item| WaivedItem {
                category: item
                    .get("category")
                    .and_then(|c| serde_json::from_value::<CostCategory>(c.clone()).ok())
                    .unwrap_or(CostCategory::Other),
                description: item.get("description").and_then(|d| d.as_str()).unwrap_or_default().to_owned(),
                amount: item.get("amount").and_then(|a| a.as_str()).and_then(|a| money::stored(a).ok()).map(Decimal),
                line_id: item.get("lineId").and_then(|l| l.as_str()).map(|l| ID(l.to_owned())),
            })
            .collect()
    }
    /// The disputes the caller may see.
    async fn disputes(&self, ctx: &Context<'_>) -> Result<Vec<Dispute>> {
        Ok(loaders(ctx).load_one(DisputesOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Dispute).collect())
    }
    /// The claim's deadlines (notice of intent, request package, payment).
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<Vec<Deadline>> {
        Ok(loaders(ctx).load_one(DeadlinesOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Deadline).collect())
    }
    /// Documents filed on the claim.
    async fn documents(&self, ctx: &Context<'_>) -> Result<Vec<Document>> {
        Ok(loaders(ctx).load_one(DocumentsOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Document).collect())
    }
    /// When it ended (paid, waived, forfeited, withdrawn).
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.closed_at.map(Into::into)
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the claim, oldest first.
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

/// One itemized invoice line.
pub struct InvoiceLine(pub invoice_line::Model);

/// One itemized invoice line: hours times rate (or the actual cost), less what the requesting party furnished and
/// insurance proceeds.
#[Object]
impl InvoiceLine {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The cost category.
    async fn category(&self) -> Result<CostCategory> {
        serde_json::from_value(serde_json::Value::String(self.0.category.clone()))
            .map_err(|_| AppError::Internal(format!("unknown cost category {}", self.0.category)).into())
    }
    /// What was provided.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Hours.
    async fn hours(&self) -> Result<Option<Decimal>> {
        self.0.hours.as_deref().map(amount).transpose()
    }
    /// Hourly rate.
    async fn rate(&self) -> Result<Option<Decimal>> {
        self.0.rate.as_deref().map(amount).transpose()
    }
    /// Actual cost.
    async fn actual_cost(&self) -> Result<Option<Decimal>> {
        self.0.actual_cost.as_deref().map(amount).transpose()
    }
    /// Fuel, supplies and repairs the requesting party furnished, deducted.
    async fn furnished_deduction(&self) -> Result<Decimal> {
        amount(&self.0.furnished_deduction)
    }
    /// Insurance proceeds, deducted.
    async fn insurance_proceeds(&self) -> Result<Decimal> {
        amount(&self.0.insurance_proceeds)
    }
    /// The line's amount.
    async fn amount(&self) -> Result<Decimal> {
        amount(&self.0.amount)
    }
    /// The amount approved for this line.
    async fn approved_amount(&self) -> Result<Option<Decimal>> {
        self.0.approved_amount.as_deref().map(amount).transpose()
    }
    /// Whether the assisting party waived this line.
    async fn waived(&self) -> bool {
        self.0.waived
    }
}

/// A payment on a claim.
pub struct Payment(pub payment::Model);

/// A payment on a claim (partial payments allowed).
#[Object]
impl Payment {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The amount.
    async fn amount(&self) -> Result<Decimal> {
        amount(&self.0.amount)
    }
    /// When it was paid.
    async fn paid_at(&self) -> DateTime {
        self.0.paid_at.into()
    }
    /// Check or transfer reference.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
}

/// A dispute of a claim.
pub struct Dispute(pub dispute::Model);

/// A notice of dispute on a claim, its negotiation, escalation, hearing and decision.
#[Object]
impl Dispute {
    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Dispute, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Where the dispute stands.
    async fn status(&self) -> Result<DisputeStatus> {
        Ok(DisputeStatus::from_db(&self.0.status)?)
    }
    /// The party that filed it.
    async fn filed_by(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.filed_by_jurisdiction_id).await
    }
    /// When it was filed.
    async fn filed_at(&self) -> DateTime {
        self.0.filed_at.into()
    }
    /// The reasons.
    async fn reasons(&self) -> &str {
        &self.0.reasons
    }
    /// The itemized points of dispute.
    async fn items(&self) -> Vec<DisputedItem> {
        self.0
            .items
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| DisputedItem {
                        line_id: i["lineId"].as_str().map(|s| ID(s.to_owned())),
                        reason: i["reason"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The resolution agreed between the parties.
    async fn resolution(&self) -> Option<&str> {
        self.0.resolution.as_deref()
    }
    /// When it was escalated to the committee.
    async fn escalated_at(&self) -> Option<DateTime> {
        self.0.escalated_at.map(Into::into)
    }
    /// The narrative submitted with the escalation.
    async fn escalation_narrative(&self) -> Option<&str> {
        self.0.escalation_narrative.as_deref()
    }
    /// When the hearing is (or was) held.
    async fn hearing_at(&self) -> Option<DateTime> {
        self.0.hearing_at.map(Into::into)
    }
    /// The committee members (token subjects) hearing it.
    async fn quorum(&self) -> Vec<String> {
        serde_json::from_value(self.0.quorum.clone()).unwrap_or_default()
    }
    /// The votes cast.
    async fn votes(&self, ctx: &Context<'_>) -> Result<Vec<Vote>> {
        Ok(loaders(ctx).load_one(VotesOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Vote).collect())
    }
    /// Findings of fact of the written decision.
    async fn findings(&self) -> Option<&str> {
        self.0.findings.as_deref()
    }
    /// Reasons of the written decision.
    async fn reasons_for_decision(&self) -> Option<&str> {
        self.0.reasons_for_decision.as_deref()
    }
    /// Which side the majority of the quorum decided for.
    async fn outcome(&self) -> Result<Option<CommitteeVote>> {
        Ok(self.0.outcome.as_deref().map(CommitteeVote::from_db).transpose()?)
    }
    /// The amount owed under the resolution or decision.
    async fn awarded_amount(&self) -> Result<Option<Decimal>> {
        self.0.awarded_amount.as_deref().map(amount).transpose()
    }
    /// When the decision was issued.
    async fn decided_at(&self) -> Option<DateTime> {
        self.0.decided_at.map(Into::into)
    }
    /// The dispute's deadlines (negotiation, escalation window, hearing, decision).
    async fn deadlines(&self, ctx: &Context<'_>) -> Result<Vec<Deadline>> {
        Ok(loaders(ctx).load_one(DeadlinesOf(self.0.id)).await?.unwrap_or_default().into_iter().map(Deadline).collect())
    }
    /// Every change to the dispute, oldest first.
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

/// One disputed item.
#[derive(SimpleObject)]
pub struct DisputedItem {
    /// The invoice line, when the item is one.
    pub line_id: Option<ID>,
    /// Why it is disputed.
    pub reason: String,
}

/// A committee member's vote.
pub struct Vote(pub committee_vote::Model);

/// A committee member's vote on an escalated dispute.
#[Object]
impl Vote {
    /// The member (token subject).
    async fn member(&self) -> &str {
        &self.0.member_subject
    }
    /// The member's name.
    async fn member_name(&self) -> Option<&str> {
        self.0.member_name.as_deref()
    }
    /// The vote.
    async fn vote(&self) -> Result<CommitteeVote> {
        Ok(CommitteeVote::from_db(&self.0.vote)?)
    }
    /// When it was cast.
    async fn cast_at(&self) -> DateTime {
        self.0.cast_at.into()
    }
}

connection!(ClaimConnection, ClaimEdge, Claim, "A page of reimbursement claims.", "A claim in a page.");

/// Filters of the claim list.
#[derive(Debug, Default, InputObject)]
pub struct ClaimFilter {
    /// Any of these statuses. At most 32.
    #[graphql(validator(max_items = 32))]
    pub statuses: Option<Vec<ClaimStatus>>,
    /// Under this compact.
    pub compact_id: Option<ID>,
    /// With this jurisdiction as either party.
    pub jurisdiction_id: Option<ID>,
    /// Only those flagged overdue.
    #[graphql(default)]
    pub overdue_only: bool,
    /// Changed at or after this instant.
    pub updated_since: Option<DateTime>,
}

/// Reimbursement queries.
#[derive(Default)]
pub struct ClaimQuery;

#[Object]
impl ClaimQuery {
    /// A claim by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn claim(&self, ctx: &Context<'_>, #[graphql(desc = "The record's id.")] id: ID) -> Result<Option<Claim>> {
        let id = validate::id("id", &id)?;
        let row = claim::Entity::find_by_id(id)
            .filter(claims_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Claim))
    }

    /// Claims the caller may see, most recently changed first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn claims(
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
        order_by: Option<OrderBy<ClaimOrderField>>,
        #[graphql(desc = "What to include.")] filter: Option<ClaimFilter>,
    ) -> Result<ClaimConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = claim::Entity::find().filter(claims_visible_to(viewer(ctx)));
        if let Some(statuses) = &filter.statuses {
            select = select.filter(claim::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(c) = &filter.compact_id {
            select = select.filter(claim::Column::CompactId.eq(validate::id("filter.compactId", c)?));
        }
        if let Some(j) = &filter.jurisdiction_id {
            let j = validate::id("filter.jurisdictionId", j)?;
            select = select.filter(
                Condition::any()
                    .add(claim::Column::RequestingJurisdictionId.eq(j))
                    .add(claim::Column::AssistingJurisdictionId.eq(j)),
            );
        }
        if filter.overdue_only {
            select = select.filter(claim::Column::Overdue.eq(true));
        }
        if let Some(at) = filter.updated_since {
            select = select.filter(claim::Column::UpdatedAt.gte(at.0));
        }
        let order = order_of(order_by, claim::Column::Id.into_simple_expr());
        Ok(paginate(db(ctx), select, &order, Window::new(first, after, last, before), Claim).await?.into())
    }

    /// A dispute by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn dispute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Dispute>> {
        let id = validate::id("id", &id)?;
        let row = dispute::Entity::find_by_id(id)
            .filter(disputes_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(AppError::from)?;
        Ok(row.map(Dispute))
    }
}

/// The result of a mutation on a claim.
#[derive(SimpleObject)]
pub struct ClaimPayload {
    /// The claim as it is after the change.
    pub claim: Claim,
}

/// The result of a proposal or an answer about an extension.
#[derive(SimpleObject)]
pub struct DeadlineExtensionPayload {
    /// The extension as it is after the change.
    pub extension: DeadlineExtension,
    /// The deadline as it is after the change (moved when the extension was agreed).
    pub deadline: Deadline,
}

/// The result of a change to a deadline.
#[derive(SimpleObject)]
pub struct DeadlinePayload {
    /// The deadline as it is after the change.
    pub deadline: Deadline,
}

/// Which deadline's stated date to confirm.
#[derive(Debug, Clone, InputObject)]
pub struct ConfirmStatedDateInput {
    /// The deadline whose step was recorded with an earlier stated date.
    pub deadline_id: ID,
}

async fn deadline_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Deadline> {
    let found = entities::deadline::Entity::find_by_id(id).one(db(ctx)).await?;
    Ok(Deadline(found.ok_or_else(|| AppError::not_found("deadline", id))?))
}

/// The result of a mutation on a dispute.
#[derive(SimpleObject)]
pub struct DisputePayload {
    /// The dispute as it is after the change.
    pub dispute: Dispute,
}

/// The result of a vote.
#[derive(SimpleObject)]
pub struct VotePayload {
    /// The vote.
    pub vote: Vote,
}

macro_rules! now {
    ($ctx:expr) => {
        state($ctx).clock.now()
    };
}

/// Reimbursement mutations.
#[derive(Default)]
pub struct ClaimMutation;

#[Object]
impl ClaimMutation {
    /// The assisting party files its notice of intent to seek reimbursement.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn file_notice_of_intent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: FileNoticeOfIntentInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::file_notice(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The requesting party acknowledges the notice of intent in writing.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn acknowledge_notice_of_intent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ClaimStepInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::acknowledge_notice(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The assisting party submits the request package (or, once submitted, amends it).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn submit_claim_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: SubmitClaimPackageInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::submit_package(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The requesting party asks for more documentation.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn request_claim_documentation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ClaimStepInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::request_documentation(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The requesting party approves all or part of the claim.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn approve_claim(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ApproveClaimInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::approve(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The requesting party records a payment (partial payments allowed).
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordPaymentInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::record_payment(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// The assisting party waives reimbursement in writing, whole or itemized.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn waive_reimbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: WaiveReimbursementInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::waive(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// Either party of a claim proposes to extend one of its reimbursement due dates (Utah R704-2-10(5)(b)); the
    /// deadline moves only when the other party agrees. A new proposal replaces an unanswered one.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn propose_deadline_extension(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ProposeDeadlineExtensionInput,
    ) -> Result<DeadlineExtensionPayload> {
        let extension = deadlines::propose_extension(db(ctx), viewer(ctx), now!(ctx), input).await?;
        let deadline = deadline_by_id(ctx, extension.deadline_id).await?;
        Ok(DeadlineExtensionPayload { extension: DeadlineExtension(extension), deadline })
    }

    /// The other party agrees to a proposed extension (the deadline moves; its reminders start again) or declines
    /// it.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn answer_deadline_extension(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AnswerDeadlineExtensionInput,
    ) -> Result<DeadlineExtensionPayload> {
        let (extension, deadline) = deadlines::answer_extension(db(ctx), viewer(ctx), now!(ctx), input).await?;
        Ok(DeadlineExtensionPayload { extension: DeadlineExtension(extension), deadline: Deadline(deadline) })
    }

    /// The other party of a claim, or the compact's coordinator, confirms the earlier date the owing party stated
    /// for a step it recorded late; a deadline whose stated date was on time becomes `MET` at that date.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative, Role::Coordinator])")]
    async fn confirm_stated_date(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ConfirmStatedDateInput,
    ) -> Result<DeadlinePayload> {
        let deadline_id = validate::id("deadlineId", &input.deadline_id)?;
        let deadline = deadlines::confirm_stated_date(db(ctx), viewer(ctx), now!(ctx), deadline_id).await?;
        Ok(DeadlinePayload { deadline: Deadline(deadline) })
    }

    /// The assisting party withdraws its claim.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn withdraw_claim(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ClaimStepInput,
    ) -> Result<ClaimPayload> {
        Ok(ClaimPayload { claim: Claim(domain::withdraw(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// Either party files an itemized notice of dispute.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn file_dispute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: FileDisputeInput,
    ) -> Result<DisputePayload> {
        Ok(DisputePayload { dispute: Dispute(disputes::file(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// Either party records the resolution agreed between them.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn resolve_dispute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ResolveDisputeInput,
    ) -> Result<DisputePayload> {
        Ok(DisputePayload { dispute: Dispute(disputes::resolve(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// Either party escalates an unresolved dispute to the compact's committee, within the policy's window.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn escalate_dispute(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: EscalateDisputeInput,
    ) -> Result<DisputePayload> {
        Ok(DisputePayload { dispute: Dispute(disputes::escalate(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// A committee member schedules the hearing and records the quorum.
    #[graphql(guard = "RoleGuard::any_of(&[Role::CommitteeMember])")]
    async fn schedule_hearing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: ScheduleHearingInput,
    ) -> Result<DisputePayload> {
        Ok(DisputePayload {
            dispute: Dispute(disputes::schedule_hearing(db(ctx), viewer(ctx), now!(ctx), input).await?),
        })
    }

    /// A member of the hearing's quorum casts their vote.
    #[graphql(guard = "RoleGuard::any_of(&[Role::CommitteeMember])")]
    async fn cast_committee_vote(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CastCommitteeVoteInput,
    ) -> Result<VotePayload> {
        Ok(VotePayload { vote: Vote(disputes::cast_vote(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }

    /// A committee member issues the written decision a majority of the quorum voted for.
    #[graphql(guard = "RoleGuard::any_of(&[Role::CommitteeMember])")]
    async fn issue_committee_decision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: IssueDecisionInput,
    ) -> Result<DisputePayload> {
        Ok(DisputePayload { dispute: Dispute(disputes::decide(db(ctx), viewer(ctx), now!(ctx), input).await?) })
    }
}
