//! Reimbursement claims: one per agreement, opened when the assisting party's resources return. The assisting
//! party files the notice of intent and the request package, may waive or withdraw; the requesting party
//! acknowledges, asks for documentation, approves and pays. Every time limit comes from the compact's policy and
//! becomes a deadline record when its clock starts.

use std::collections::BTreeMap;

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{
    agreement, claim, compact, deadline, deployment, dispute, invoice_line, offer, offer_line, payment,
    request_line_item, resource_type,
};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::claims_visible_to;
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::load_compact;
use crate::domain::enums::{ClaimStatus, DeadlineKind, DeadlineStatus, PaymentClock, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::domain::offers::CostCategory;
use crate::domain::requests::refuse_ssn;
use crate::domain::{lifecycle, money, validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::{DateTime as DateTimeScalar, Decimal as DecimalScalar};

/// The notice of intent to seek reimbursement.
#[derive(Debug, Clone, InputObject)]
pub struct FileNoticeOfIntentInput {
    /// The claim.
    pub claim_id: ID,
    /// Summary of the services provided.
    pub summary_of_services: String,
    /// Who handles the claim's finances.
    pub financial_contact_name: String,
    /// Telephone of the financial contact.
    pub financial_contact_phone: Option<String>,
    /// E-mail of the financial contact.
    pub financial_contact_email: Option<String>,
}

/// A step on a claim.
#[derive(Debug, Clone, InputObject)]
pub struct ClaimStepInput {
    /// The claim.
    pub claim_id: ID,
    /// A note (why documentation is asked for, why the claim is withdrawn).
    pub note: Option<String>,
    /// The version the step was based on.
    pub expected_version: Option<i32>,
}

/// One itemized invoice line. The amount is computed: hours times rate (or the actual cost), less what the
/// requesting party furnished (fuel, supplies, repairs) and insurance proceeds.
#[derive(Debug, Clone, InputObject)]
pub struct InvoiceLineInput {
    /// The cost category.
    pub category: CostCategory,
    /// What was provided (person, equipment unit, item).
    pub description: String,
    /// Hours (personnel, or equipment at an hourly rate).
    pub hours: Option<DecimalScalar>,
    /// Hourly rate, in dollars.
    pub rate: Option<DecimalScalar>,
    /// Actual cost, in dollars, when not charged by the hour.
    pub actual_cost: Option<DecimalScalar>,
    /// Value of fuel, supplies and repairs the requesting party furnished, deducted.
    pub furnished_deduction: Option<DecimalScalar>,
    /// Insurance proceeds received for this item, deducted.
    pub insurance_proceeds: Option<DecimalScalar>,
}

/// The reimbursement request package (or an amendment of it, which replaces the invoice).
#[derive(Debug, Clone, InputObject)]
pub struct SubmitClaimPackageInput {
    /// The claim.
    pub claim_id: ID,
    /// The cover summary.
    pub cover_summary: String,
    /// The itemized invoice. At most 500.
    #[graphql(validator(max_items = 500))]
    pub lines: Vec<InvoiceLineInput>,
    /// References of the supporting documents (time sheets, receipts, ICS 214s). At most 100.
    #[graphql(default)]
    #[graphql(validator(max_items = 100))]
    pub supporting_documents: Vec<String>,
}

/// The approved amount of one invoice line.
#[derive(Debug, Clone, InputObject)]
pub struct LineApprovalInput {
    /// The invoice line.
    pub line_id: ID,
    /// The approved amount (at most the line's amount).
    pub approved_amount: DecimalScalar,
}

/// The requesting party's approval of all or part of a claim.
#[derive(Debug, Clone, InputObject)]
pub struct ApproveClaimInput {
    /// The claim.
    pub claim_id: ID,
    /// Lines approved for less than their amount; every other line is approved in full. At most 500.
    #[graphql(default)]
    #[graphql(validator(max_items = 500))]
    pub partial: Vec<LineApprovalInput>,
    /// The version the approval was based on.
    pub expected_version: Option<i32>,
}

/// A payment.
#[derive(Debug, Clone, InputObject)]
pub struct RecordPaymentInput {
    /// The claim.
    pub claim_id: ID,
    /// The amount paid (partial payments allowed).
    pub amount: DecimalScalar,
    /// When it was paid; now if omitted.
    pub paid_at: Option<DateTimeScalar>,
    /// Check or transfer reference.
    pub reference: Option<String>,
}

/// A written waiver of reimbursement, whole or itemized.
#[derive(Debug, Clone, InputObject)]
pub struct WaiveReimbursementInput {
    /// The claim.
    pub claim_id: ID,
    /// The invoice lines waived; empty waives the whole claim. At most 500.
    #[graphql(default)]
    #[graphql(validator(max_items = 500))]
    pub line_ids: Vec<ID>,
    /// The rights waived, item by item, for a whole waiver of a claim that has no invoice yet. Where the compact
    /// asks waivers to be itemized (`waiverItemized`, Utah R704-2-11(2)), a whole waiver names each item: these, or
    /// the claim's invoice lines when it has them (then these are not needed). At most 100.
    #[graphql(default)]
    #[graphql(validator(max_items = 100))]
    pub items: Vec<WaivedItemInput>,
    /// The written waiver. 1 to 4,000 characters.
    pub statement: String,
}

/// One right to reimbursement that a waiver gives up.
#[derive(Debug, Clone, InputObject)]
pub struct WaivedItemInput {
    /// The cost category.
    pub category: CostCategory,
    /// What is waived (a person's time, an equipment unit, supplies). 1 to 1,000 characters.
    pub description: String,
}

/// Computed money of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Sum of the invoice lines that are not waived.
    pub claimed: Decimal,
    /// Sum of waived lines.
    pub waived: Decimal,
    /// The approved (or decided) amount.
    pub approved: Option<Decimal>,
    /// Sum of payments.
    pub paid: Decimal,
    /// What remains to pay: approved (else claimed) less paid, never negative.
    pub outstanding: Decimal,
}

/// Computes the money of a claim from its lines and payments (never typed in).
pub fn totals(claim: &claim::Model, lines: &[invoice_line::Model], payments: &[payment::Model]) -> AppResult<Totals> {
    let mut t = Totals::default();
    for line in lines {
        let amount = money::stored(&line.amount)?;
        money::add(if line.waived { &mut t.waived } else { &mut t.claimed }, amount)?;
    }
    for p in payments {
        money::add(&mut t.paid, money::stored(&p.amount)?)?;
    }
    t.approved = money::stored_opt(claim.approved_amount.as_deref())?;
    let due = t.approved.unwrap_or(t.claimed);
    t.outstanding = (due - t.paid).max(Decimal::ZERO);
    Ok(t)
}

/// Estimate (from the accepted offer) against actual (the invoice), per category.
pub fn estimate_against_actual(
    estimate: &serde_json::Value,
    lines: &[invoice_line::Model],
) -> AppResult<BTreeMap<CostCategory, (Decimal, Decimal)>> {
    let mut out: BTreeMap<CostCategory, (Decimal, Decimal)> = BTreeMap::new();
    if let Some(map) = estimate.as_object() {
        for (key, value) in map {
            let Ok(category) = serde_json::from_value::<CostCategory>(json!(key)) else { continue };
            let amount = value.as_str().map(money::stored).transpose()?.unwrap_or_default();
            money::add(&mut out.entry(category).or_default().0, amount)?;
        }
    }
    for line in lines.iter().filter(|l| !l.waived) {
        let category: CostCategory = serde_json::from_value(json!(line.category))
            .map_err(|_| AppError::Internal(format!("unknown cost category {}", line.category)))?;
        money::add(&mut out.entry(category).or_default().1, money::stored(&line.amount)?)?;
    }
    Ok(out)
}

/// A checked invoice line and its computed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmount {
    /// The amount claimed: gross less deductions.
    pub amount: Decimal,
    /// Hours.
    pub hours: Option<Decimal>,
    /// Hourly rate.
    pub rate: Option<Decimal>,
    /// Actual cost.
    pub actual: Option<Decimal>,
    /// What the requesting party furnished.
    pub furnished: Decimal,
    /// Insurance proceeds.
    pub insurance: Decimal,
}

/// Computes an invoice line's amount.
pub fn line_amount(i: usize, line: &InvoiceLineInput) -> AppResult<LineAmount> {
    let field = |name: &str| format!("lines.{i}.{name}");
    let hours = line.hours.map(|h| money::quantity(&field("hours"), h.0)).transpose()?;
    let rate = line.rate.map(|r| money::amount(&field("rate"), r.0)).transpose()?;
    let actual = line.actual_cost.map(|c| money::amount(&field("actualCost"), c.0)).transpose()?;
    let furnished = line
        .furnished_deduction
        .map(|d| money::amount(&field("furnishedDeduction"), d.0))
        .transpose()?
        .unwrap_or_default();
    let insurance = line
        .insurance_proceeds
        .map(|d| money::amount(&field("insuranceProceeds"), d.0))
        .transpose()?
        .unwrap_or_default();
    let gross = match (hours, rate, actual) {
        (Some(h), Some(r), None) => money::product(&field("rate"), h, r)?,
        (None, None, Some(cost)) => cost,
        _ => {
            return Err(AppError::bad_input(&field("actualCost"), "give hours and rate, or an actual cost (not both)"));
        }
    };
    if money::sum([furnished, insurance])? > gross {
        return Err(AppError::bad_input(&field("furnishedDeduction"), "deductions exceed the line's amount"));
    }
    Ok(LineAmount { amount: (gross - furnished - insurance).round_dp(2), hours, rate, actual, furnished, insurance })
}

/// Loads a claim the viewer may see, locked for a change on PostgreSQL, or `NOT_FOUND`.
pub async fn load_for_update(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<claim::Model> {
    viewer.require_authenticated()?;
    claim::Entity::find_by_id(id)
        .filter(claims_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("claim", id))?;
    versioned::lock::<claim::Entity>(db, id, "claim").await
}

/// `FORBIDDEN` unless the viewer is the assisting party's authorized representative.
pub fn ensure_assisting(viewer: &Viewer, claim: &claim::Model) -> AppResult<()> {
    if viewer.represents(claim.assisting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the assisting party's authorized representative may do this"))
    }
}

/// `FORBIDDEN` unless the viewer is the requesting party's authorized representative.
pub fn ensure_requesting(viewer: &Viewer, claim: &claim::Model) -> AppResult<()> {
    if viewer.represents(claim.requesting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the requesting party's authorized representative may do this"))
    }
}

/// The parties of a claim.
pub fn parties(claim: &claim::Model) -> [Uuid; 2] {
    [claim.requesting_jurisdiction_id, claim.assisting_jurisdiction_id]
}

/// Applies a status change (or a change within a status) with its event; returns the claim as stored after it.
pub async fn change(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &claim::Model,
    transition: Option<&'static str>,
    event: (&'static str, serde_json::Value),
    edit: impl FnOnce(&mut claim::ActiveModel),
) -> AppResult<claim::Model> {
    let from = ClaimStatus::from_db(&current.status)?;
    let to = match transition {
        Some(action) => Some(lifecycle::claim(from, action)?),
        None => None,
    };
    let mut active = current.clone().into_active_model();
    if let Some(to) = to {
        active.status = Set(to.as_str().to_owned());
    }
    active.updated_at = Set(now);
    edit(&mut active);
    versioned::update(db, active, current.id, current.version).await?;
    let mut new = NewEvent::new(RecordType::Claim, current.id, event.0)
        .compact(Some(current.compact_id))
        .concerning(parties(current))
        .payload(event.1);
    if let Some(to) = to {
        new = new.status(Some(from), to);
    }
    events::append(db, viewer, now, new).await?;
    reload(db, current.id).await
}

/// Opens the claim of an agreement when its resources return (the end of assistance starts the clocks). A
/// donated offer opens as waived.
pub async fn open_on_return(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    d: &deployment::Model,
) -> AppResult<claim::Model> {
    let agreement = agreement::Entity::find_by_id(d.agreement_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agreement", d.agreement_id))?;
    let offer = offer::Entity::find_by_id(agreement.offer_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("offer", agreement.offer_id))?;
    let request = entities::resource_request::Entity::find_by_id(d.request_id).one(db).await?;
    let compact = load_compact(db, d.compact_id).await?;
    let id = Uuid::now_v7();
    let status = if offer.donated { ClaimStatus::Waived } else { ClaimStatus::Open };
    let donated_items = if offer.donated { Some(json!(donated_items(db, &offer).await?)) } else { None };
    let model = claim::ActiveModel {
        id: Set(id),
        agreement_id: Set(agreement.id),
        request_id: Set(d.request_id),
        compact_id: Set(d.compact_id),
        requesting_jurisdiction_id: Set(d.requesting_jurisdiction_id),
        assisting_jurisdiction_id: Set(d.assisting_jurisdiction_id),
        status: Set(status.as_str().to_owned()),
        overdue: Set(false),
        assistance_ended_at: Set(now),
        mission_number: Set(request.and_then(|r| r.mission_number)),
        summary_of_services: Set(None),
        financial_contact_name: Set(None),
        financial_contact_phone: Set(None),
        financial_contact_email: Set(None),
        notice_filed_at: Set(None),
        notice_acknowledged_at: Set(None),
        package_submitted_at: Set(None),
        cover_summary: Set(None),
        supporting_documents: Set(json!([])),
        approved_amount: Set(None),
        approved_at: Set(None),
        waiver_statement: Set(offer.donated.then(|| "donated without fee".to_owned())),
        waiver_items: Set(donated_items.clone()),
        closed_at: Set(offer.donated.then_some(now)),
        status_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Claim, id, "OPENED")
            .status(None::<&str>, status)
            .compact(Some(d.compact_id))
            .concerning(parties(&model))
            .payload(json!({ "agreementId": agreement.id, "assistanceEndedAt": now, "donated": offer.donated,
                             "waivedItems": donated_items })),
    )
    .await?;
    if offer.donated
        && compact.waiver_copy_to_coordinator
        && let Some(coordinator) = compact.coordinating_jurisdiction_id
    {
        events::append(
            db,
            viewer,
            now,
            NewEvent::new(RecordType::Claim, id, "WAIVER_COPIED_TO_COORDINATOR")
                .compact(Some(compact.id))
                .concerning([coordinator])
                .payload(json!({ "coordinatingJurisdictionId": coordinator, "items": donated_items })),
        )
        .await?;
    }
    if !offer.donated {
        for (kind, days) in [
            (DeadlineKind::NoticeOfIntent, compact.notice_of_intent_days),
            (DeadlineKind::RequestPackage, compact.request_package_days),
            (DeadlineKind::BillingLimit, compact.billing_limit_days),
        ] {
            let new = NewDeadline {
                compact_id: Some(compact.id),
                record_type: RecordType::Claim,
                record_id: id,
                kind,
                owed_by: Some(d.assisting_jurisdiction_id),
                starts_at: now,
            };
            deadlines::create(db, viewer, now, new, deadlines::days_after(now, days)).await?;
        }
    }
    Ok(model)
}

/// The items a donated offer gives without fee, one per offered line: what the waiver of its claim names.
async fn donated_items(db: &impl ConnectionTrait, offer: &offer::Model) -> AppResult<Vec<serde_json::Value>> {
    let lines = offer_line::Entity::find().filter(offer_line::Column::OfferId.eq(offer.id)).all(db).await?;
    let mut items = Vec::new();
    for line in lines {
        let item = request_line_item::Entity::find_by_id(line.line_item_id).one(db).await?;
        let resource = match item {
            Some(item) => resource_type::Entity::find_by_id(item.resource_type_id).one(db).await?,
            None => None,
        };
        let category = match resource.as_ref().map(|t| t.kind.as_str()) {
            Some("PERSONNEL" | "TEAM") => CostCategory::PersonnelRegular,
            Some("EQUIPMENT") => CostCategory::Equipment,
            Some("SUPPLIES") => CostCategory::MaterialsAndSupplies,
            _ => CostCategory::Other,
        };
        let name = resource.map_or_else(|| "resources".to_owned(), |t| t.name);
        items.push(json!({
            "category": category,
            "description": format!("{} x {name}, donated without fee", line.quantity),
            "lineItemId": line.line_item_id,
        }));
    }
    Ok(items)
}

async fn start_payment_clock(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    claim: &claim::Model,
    compact: &compact::Model,
    event: PaymentClock,
) -> AppResult<()> {
    let clock = compact.payment_clock.as_deref().map(PaymentClock::from_db).transpose()?;
    if clock != Some(event) {
        return Ok(());
    }
    let new = NewDeadline {
        compact_id: Some(compact.id),
        record_type: RecordType::Claim,
        record_id: claim.id,
        kind: DeadlineKind::Payment,
        owed_by: Some(claim.requesting_jurisdiction_id),
        starts_at: now,
    };
    deadlines::create(db, viewer, now, new, deadlines::days_after(now, compact.payment_days)).await?;
    Ok(())
}

/// The assisting party files its notice of intent to seek reimbursement.
pub async fn file_notice(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: FileNoticeOfIntentInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let summary = validate::text("summaryOfServices", &input.summary_of_services, 10_000)?;
    refuse_ssn("summaryOfServices", &summary)?;
    let contact = validate::text("financialContactName", &input.financial_contact_name, 200)?;
    let phone = validate::phone("financialContactPhone", input.financial_contact_phone.as_deref())?;
    let email = validate::email("financialContactEmail", input.financial_contact_email.as_deref())?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    change(
        &txn,
        viewer,
        now,
        &current,
        Some("file the notice of intent on"),
        ("NOTICE_FILED", json!({ "financialContact": contact })),
        |a| {
            a.summary_of_services = Set(Some(summary.clone()));
            a.financial_contact_name = Set(Some(contact.clone()));
            a.financial_contact_phone = Set(phone.clone());
            a.financial_contact_email = Set(email.clone());
            a.notice_filed_at = Set(Some(now));
        },
    )
    .await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::NoticeOfIntent, now).await?;
    let model = reload(&txn, id).await?;
    if model.status != ClaimStatus::Forfeited.as_str() {
        let compact = load_compact(&txn, current.compact_id).await?;
        start_payment_clock(&txn, viewer, now, &model, &compact, PaymentClock::NoticeReceived).await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// The claim as stored now (after a consequence may have changed it in the same transaction).
async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<claim::Model> {
    claim::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("claim", id))
}

/// The requesting party acknowledges the notice in writing.
pub async fn acknowledge_notice(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ClaimStepInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting(viewer, &current)?;
    let model = change(
        &txn,
        viewer,
        now,
        &current,
        Some("acknowledge the notice of"),
        ("NOTICE_ACKNOWLEDGED", json!({})),
        |a| {
            a.notice_acknowledged_at = Set(Some(now));
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The assisting party submits (or, while submitted, amends) the request package. It replaces the invoice.
pub async fn submit_package(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: SubmitClaimPackageInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let cover = validate::text("coverSummary", &input.cover_summary, 10_000)?;
    refuse_ssn("coverSummary", &cover)?;
    if input.lines.is_empty() || input.lines.len() > 1000 {
        return Err(AppError::bad_input("lines", "an invoice has between 1 and 1000 lines"));
    }
    let mut documents = Vec::new();
    for (i, d) in input.supporting_documents.iter().enumerate() {
        documents.push(validate::text(&format!("supportingDocuments.{i}"), d, 500)?);
    }
    let mut rows = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let description = validate::text(&format!("lines.{i}.description"), &line.description, 1000)?;
        refuse_ssn(&format!("lines.{i}.description"), &description)?;
        rows.push((i, line.category, description, line_amount(i, line)?));
    }
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let status = ClaimStatus::from_db(&current.status)?;
    let amending = status == ClaimStatus::Submitted;
    let action = if amending { "amend the package of" } else { "submit the package of" };
    lifecycle::claim(status, action)?;
    invoice_line::Entity::delete_many().filter(invoice_line::Column::ClaimId.eq(id)).exec(&txn).await?;
    let mut total = Decimal::ZERO;
    for (i, category, description, LineAmount { amount, hours, rate, actual, furnished, insurance }) in rows {
        money::add(&mut total, amount)?;
        invoice_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            claim_id: Set(id),
            position: Set(i as i32),
            category: Set(serde_json::to_value(category)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()),
            description: Set(description),
            hours: Set(hours.map(|h| h.to_string())),
            rate: Set(rate.map(money::text)),
            actual_cost: Set(actual.map(money::text)),
            furnished_deduction: Set(money::text(furnished)),
            insurance_proceeds: Set(money::text(insurance)),
            amount: Set(money::text(amount)),
            approved_amount: Set(None),
            waived: Set(false),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    let event = (
        if amending { "PACKAGE_AMENDED" } else { "PACKAGE_SUBMITTED" },
        json!({ "lines": input.lines.len(), "total": money::text(total), "supportingDocuments": documents.len() }),
    );
    let model = change(&txn, viewer, now, &current, Some(action), event, |a| {
        a.cover_summary = Set(Some(cover.clone()));
        a.supporting_documents = Set(json!(documents));
        if !amending {
            a.package_submitted_at = Set(Some(now));
        }
    })
    .await?;
    if !amending {
        deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::RequestPackage, now).await?;
        deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::BillingLimit, now).await?;
        let model = reload(&txn, id).await?;
        if model.status != ClaimStatus::Forfeited.as_str() {
            let compact = load_compact(&txn, current.compact_id).await?;
            start_payment_clock(&txn, viewer, now, &model, &compact, PaymentClock::StatementReceived).await?;
        }
        txn.commit().await?;
        return Ok(model);
    }
    txn.commit().await?;
    Ok(model)
}

/// The requesting party asks for more documentation (the claim stays submitted; the assisting party amends).
pub async fn request_documentation(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ClaimStepInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let note = validate::text("note", input.note.as_deref().unwrap_or_default(), 4000)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting(viewer, &current)?;
    let status = ClaimStatus::from_db(&current.status)?;
    if status != ClaimStatus::Submitted {
        return Err(AppError::InvalidTransition {
            record: "claim",
            action: "ask for documentation on",
            current: status.to_string(),
        });
    }
    let model =
        change(&txn, viewer, now, &current, None, ("DOCUMENTATION_REQUESTED", json!({ "note": note })), |_| {}).await?;
    txn.commit().await?;
    Ok(model)
}

async fn lines_of(db: &impl ConnectionTrait, claim_id: Uuid) -> AppResult<Vec<invoice_line::Model>> {
    Ok(invoice_line::Entity::find()
        .filter(invoice_line::Column::ClaimId.eq(claim_id))
        .order_by_asc(invoice_line::Column::Position)
        .all(db)
        .await?)
}

async fn payments_of(db: &impl ConnectionTrait, claim_id: Uuid) -> AppResult<Vec<payment::Model>> {
    Ok(payment::Entity::find()
        .filter(payment::Column::ClaimId.eq(claim_id))
        .order_by_asc(payment::Column::PaidAt)
        .all(db)
        .await?)
}

/// The requesting party approves all or part of the claim: each line in full unless approved for less.
pub async fn approve(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ApproveClaimInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting(viewer, &current)?;
    versioned::expected(input.expected_version, current.version)?;
    lifecycle::claim(ClaimStatus::from_db(&current.status)?, "approve")?;
    let lines = lines_of(&txn, id).await?;
    let mut approved_total = Decimal::ZERO;
    let mut partial = BTreeMap::new();
    for (i, p) in input.partial.iter().enumerate() {
        let line_id = validate::id(&format!("partial.{i}.lineId"), &p.line_id)?;
        let amount = money::amount(&format!("partial.{i}.approvedAmount"), p.approved_amount.0)?;
        partial.insert(line_id, (i, amount));
    }
    for line in &lines {
        let full = money::stored(&line.amount)?;
        let approved = match partial.remove(&line.id) {
            Some((i, amount)) if amount > full => {
                return Err(AppError::bad_input(&format!("partial.{i}.approvedAmount"), "more than the line's amount"));
            }
            Some((_, amount)) => amount,
            None => full,
        };
        let approved = if line.waived { Decimal::ZERO } else { approved };
        money::add(&mut approved_total, approved)?;
        let mut active = line.clone().into_active_model();
        active.approved_amount = Set(Some(money::text(approved)));
        active.update(&txn).await?;
    }
    if let Some((_, (i, _))) = partial.into_iter().next() {
        return Err(AppError::bad_input(&format!("partial.{i}.lineId"), "not a line of this claim"));
    }
    let model = change(
        &txn,
        viewer,
        now,
        &current,
        Some("approve"),
        ("APPROVED", json!({ "approvedAmount": money::text(approved_total) })),
        |a| {
            a.approved_amount = Set(Some(money::text(approved_total)));
            a.approved_at = Set(Some(now));
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The requesting party records a payment; the claim is paid once nothing is outstanding.
pub async fn record_payment(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordPaymentInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let amount = money::amount("amount", input.amount.0)?;
    if amount.is_zero() {
        return Err(AppError::bad_input("amount", "a payment is more than zero"));
    }
    let paid_at = input.paid_at.map_or(now, |at| at.0);
    if paid_at > now {
        return Err(AppError::bad_input("paidAt", "paidAt cannot be in the future"));
    }
    let reference = validate::optional_text("reference", input.reference.as_deref(), 200)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting(viewer, &current)?;
    let status = ClaimStatus::from_db(&current.status)?;
    if !matches!(status, ClaimStatus::Approved | ClaimStatus::Resolved | ClaimStatus::Decided) {
        return Err(AppError::InvalidTransition { record: "claim", action: "pay", current: status.to_string() });
    }
    let before = totals(&current, &lines_of(&txn, id).await?, &payments_of(&txn, id).await?)?;
    if amount > before.outstanding {
        return Err(AppError::bad_input(
            "amount",
            format!("more than the {} outstanding", money::text(before.outstanding)),
        ));
    }
    payment::ActiveModel {
        id: Set(Uuid::now_v7()),
        claim_id: Set(id),
        amount: Set(money::text(amount)),
        paid_at: Set(paid_at),
        reference: Set(reference.clone()),
        recorded_by_subject: Set(viewer.subject.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let outstanding = before.outstanding - amount;
    let in_full = outstanding.is_zero();
    let event = (
        if in_full { "PAID_IN_FULL" } else { "PAYMENT_RECORDED" },
        json!({ "amount": money::text(amount), "outstanding": money::text(outstanding), "reference": reference }),
    );
    let model = change(&txn, viewer, now, &current, in_full.then_some("pay in full"), event, |a| {
        if in_full {
            a.closed_at = Set(Some(now));
        }
    })
    .await?;
    if in_full {
        deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::Payment, paid_at).await?;
    }
    let model = reload(&txn, model.id).await?;
    txn.commit().await?;
    Ok(model)
}

/// The assisting party waives reimbursement in writing, whole or itemized, within the compact's waiver window.
/// Where the compact asks for it, the waiver is itemized and copied to the coordinator.
pub async fn waive(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: WaiveReimbursementInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let statement = validate::text("statement", &input.statement, 4000)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let compact = load_compact(&txn, current.compact_id).await?;
    if let Some(due) = deadlines::days_after(current.assistance_ended_at, compact.waiver_days)
        && now > due
    {
        return Err(AppError::DeadlinePassed(format!(
            "a waiver had to be delivered by {} ({} days after assistance ended)",
            due.to_rfc3339(),
            compact.waiver_days.unwrap_or_default()
        )));
    }
    let status = ClaimStatus::from_db(&current.status)?;
    let lines = lines_of(&txn, id).await?;
    let mut chosen = Vec::new();
    for (i, line_id) in input.line_ids.iter().enumerate() {
        let line_id = validate::id(&format!("lineIds.{i}"), line_id)?;
        let Some(line) = lines.iter().find(|l| l.id == line_id) else {
            return Err(AppError::bad_input(&format!("lineIds.{i}"), "not a line of this claim"));
        };
        if line.waived || chosen.iter().any(|c: &invoice_line::Model| c.id == line_id) {
            return Err(AppError::bad_input(&format!("lineIds.{i}"), "this line is already waived, or named twice"));
        }
        chosen.push(line.clone());
    }
    let whole = chosen.is_empty();
    let mut named = Vec::new();
    for (i, item) in input.items.iter().enumerate() {
        let description = validate::text(&format!("items.{i}.description"), &item.description, 1000)?;
        refuse_ssn(&format!("items.{i}.description"), &description)?;
        named.push(json!({ "category": item.category, "description": description }));
    }
    if !whole && !named.is_empty() {
        return Err(AppError::bad_input("items", "name either invoice lines (lineIds) or items, not both"));
    }
    if whole {
        lifecycle::claim(status, "waive")?;
        chosen = lines.iter().filter(|l| !l.waived).cloned().collect();
        if compact.waiver_itemized && chosen.is_empty() && named.is_empty() {
            return Err(AppError::bad_input(
                "items",
                format!(
                    "{} asks a waiver to specify each item waived: name the items (the claim has no invoice lines yet)",
                    compact.short_name
                ),
            ));
        }
    } else if matches!(
        status,
        ClaimStatus::Paid | ClaimStatus::Waived | ClaimStatus::Forfeited | ClaimStatus::Withdrawn
    ) {
        return Err(AppError::InvalidTransition {
            record: "claim",
            action: "waive items of",
            current: status.to_string(),
        });
    }
    let mut items: Vec<serde_json::Value> = chosen
        .iter()
        .map(|l| json!({ "lineId": l.id, "category": l.category, "description": l.description, "amount": l.amount }))
        .collect();
    items.extend(named);
    let mut all_items = current.waiver_items.as_ref().and_then(|v| v.as_array().cloned()).unwrap_or_default();
    all_items.extend(items.iter().cloned());
    for line in &chosen {
        let mut active = line.clone().into_active_model();
        active.waived = Set(true);
        active.update(&txn).await?;
    }
    let mut payload = json!({ "statement": statement, "whole": whole, "items": items });
    let coordinator = if compact.waiver_copy_to_coordinator { compact.coordinating_jurisdiction_id } else { None };
    if let Some(coordinator) = coordinator {
        payload["copyTo"] = json!(coordinator);
    }
    let model = change(
        &txn,
        viewer,
        now,
        &current,
        whole.then_some("waive"),
        (if whole { "WAIVED" } else { "ITEMS_WAIVED" }, payload),
        |a| {
            a.waiver_items = Set(Some(json!(all_items)));
            if whole {
                a.waiver_statement = Set(Some(statement.clone()));
                a.closed_at = Set(Some(now));
            }
        },
    )
    .await?;
    if let Some(coordinator) = coordinator {
        events::append(
            &txn,
            viewer,
            now,
            NewEvent::new(RecordType::Claim, id, "WAIVER_COPIED_TO_COORDINATOR")
                .compact(Some(compact.id))
                .concerning([coordinator])
                .payload(json!({ "coordinatingJurisdictionId": coordinator })),
        )
        .await?;
    }
    if whole {
        for kind in [
            DeadlineKind::NoticeOfIntent,
            DeadlineKind::RequestPackage,
            DeadlineKind::BillingLimit,
            DeadlineKind::Payment,
        ] {
            excuse(&txn, viewer, now, id, kind, "reimbursement waived").await?;
        }
    }
    txn.commit().await?;
    Ok(model)
}

/// Marks a pending deadline waived (no longer owed), with why.
pub async fn excuse(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    record_id: Uuid,
    kind: DeadlineKind,
    note: &str,
) -> AppResult<()> {
    let pending = entities::deadline::Entity::find()
        .filter(entities::deadline::Column::RecordId.eq(record_id))
        .filter(entities::deadline::Column::Kind.eq(kind.as_str()))
        .filter(entities::deadline::Column::Status.eq(DeadlineStatus::Pending.as_str()))
        .one(db)
        .await?;
    let Some(d) = pending else { return Ok(()) };
    let mut active = d.clone().into_active_model();
    active.status = Set(DeadlineStatus::Waived.as_str().to_owned());
    active.note = Set(Some(note.to_owned()));
    active.updated_at = Set(now);
    active.version = Set(d.version + 1);
    active.update(db).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Deadline, d.id, "WAIVED")
            .status(Some(DeadlineStatus::Pending), DeadlineStatus::Waived)
            .compact(d.compact_id)
            .concerning(d.owed_by_jurisdiction_id)
            .payload(json!({ "kind": kind, "note": note })),
    )
    .await?;
    Ok(())
}

/// The assisting party withdraws its claim.
pub async fn withdraw(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ClaimStepInput,
) -> AppResult<claim::Model> {
    let id = validate::id("claimId", &input.claim_id)?;
    let note = validate::optional_text("note", input.note.as_deref(), 4000)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_assisting(viewer, &current)?;
    let model = change(&txn, viewer, now, &current, Some("withdraw"), ("WITHDRAWN", json!({ "note": note })), |a| {
        a.status_reason = Set(note.clone());
        a.closed_at = Set(Some(now));
    })
    .await?;
    for kind in
        [DeadlineKind::NoticeOfIntent, DeadlineKind::RequestPackage, DeadlineKind::BillingLimit, DeadlineKind::Payment]
    {
        excuse(&txn, viewer, now, id, kind, "claim withdrawn").await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// What a missed deadline did to its claim.
pub enum Consequence {
    /// Nothing (the deadline has no consequence, or the claim is closed).
    None,
    /// The claim is flagged overdue.
    Flagged,
    /// The claim is forfeited.
    Forfeited,
}

async fn claim_of_deadline(db: &impl ConnectionTrait, d: &deadline::Model) -> AppResult<Option<claim::Model>> {
    let claim_id: Option<Uuid> = match RecordType::from_db(&d.record_type)? {
        RecordType::Claim => Some(d.record_id),
        RecordType::Dispute => dispute::Entity::find_by_id(d.record_id).one(db).await?.map(|x| x.claim_id),
        _ => None,
    };
    match claim_id {
        Some(id) => Ok(claim::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// Applies the consequence of the missed deadline `d` to its claim: forfeited where the compact forfeits and the
/// claimant owed the step (Utah R704-2-12(1)(b)), flagged overdue otherwise (AACOG). Each is an event.
pub async fn apply_consequence(
    db: &impl ConnectionTrait,
    system: &Viewer,
    now: DateTime<Utc>,
    d: &deadline::Model,
) -> AppResult<Consequence> {
    let kind = DeadlineKind::from_db(&d.kind)?;
    let relevant = matches!(
        kind,
        DeadlineKind::NoticeOfIntent
            | DeadlineKind::RequestPackage
            | DeadlineKind::BillingLimit
            | DeadlineKind::Payment
            | DeadlineKind::HearingSchedule
            | DeadlineKind::Decision
    );
    if !relevant {
        return Ok(Consequence::None);
    }
    let Some(claim) = claim_of_deadline(db, d).await? else { return Ok(Consequence::None) };
    let status = ClaimStatus::from_db(&claim.status)?;
    let compact = load_compact(db, claim.compact_id).await?;
    let owed_by_claimant =
        matches!(kind, DeadlineKind::NoticeOfIntent | DeadlineKind::RequestPackage | DeadlineKind::BillingLimit);
    // A package filed late is forfeited as it is filed (Utah R704-2-12(1)(b)); it is then already submitted.
    let action = if status == ClaimStatus::Submitted
        && matches!(kind, DeadlineKind::RequestPackage | DeadlineKind::BillingLimit)
    {
        "forfeit for a late package"
    } else {
        "forfeit"
    };
    if owed_by_claimant && compact.missed_deadline_forfeits && lifecycle::claim(status, action).is_ok() {
        let reason = format!("{} was due at {} and was not received", kind, d.due_at.to_rfc3339());
        change(
            db,
            system,
            now,
            &claim,
            Some(action),
            ("FORFEITED", json!({ "deadlineId": d.id, "kind": kind, "reason": reason })),
            |a| {
                a.status_reason = Set(Some(reason.clone()));
                a.closed_at = Set(Some(now));
            },
        )
        .await?;
        return Ok(Consequence::Forfeited);
    }
    if matches!(status, ClaimStatus::Paid | ClaimStatus::Waived | ClaimStatus::Forfeited | ClaimStatus::Withdrawn) {
        return Ok(Consequence::None);
    }
    change(db, system, now, &claim, None, ("FLAGGED_OVERDUE", json!({ "deadlineId": d.id, "kind": kind })), |a| {
        a.overdue = Set(true)
    })
    .await?;
    Ok(Consequence::Flagged)
}

/// Loads the lines, payments and disputes of a claim (for the GraphQL layer and decisions).
pub async fn file_of(
    db: &impl ConnectionTrait,
    claim_id: Uuid,
) -> AppResult<(Vec<invoice_line::Model>, Vec<payment::Model>, Vec<dispute::Model>)> {
    let disputes = dispute::Entity::find()
        .filter(dispute::Column::ClaimId.eq(claim_id))
        .order_by_asc(dispute::Column::FiledAt)
        .all(db)
        .await?;
    Ok((lines_of(db, claim_id).await?, payments_of(db, claim_id).await?, disputes))
}

/// The agreement's accepted offer estimate, for estimate-against-actual.
pub async fn estimate_of(db: &impl ConnectionTrait, claim: &claim::Model) -> AppResult<serde_json::Value> {
    let Some(agreement) = agreement::Entity::find_by_id(claim.agreement_id).one(db).await? else {
        return Ok(json!({}));
    };
    Ok(offer::Entity::find_by_id(agreement.offer_id).one(db).await?.map_or(json!({}), |o| o.cost_estimate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> DecimalScalar {
        DecimalScalar(text.parse().unwrap())
    }

    fn line(
        hours: Option<&str>,
        rate: Option<&str>,
        actual: Option<&str>,
        furnished: Option<&str>,
        insurance: Option<&str>,
    ) -> InvoiceLineInput {
        InvoiceLineInput {
            category: CostCategory::Equipment,
            description: "Pump".into(),
            hours: hours.map(d),
            rate: rate.map(d),
            actual_cost: actual.map(d),
            furnished_deduction: furnished.map(d),
            insurance_proceeds: insurance.map(d),
        }
    }

    #[test]
    fn equipment_at_an_hourly_rate_is_reduced_by_what_was_furnished_and_insured() {
        let LineAmount { amount, .. } =
            line_amount(0, &line(Some("37.5"), Some("85.00"), None, Some("212.40"), Some("100"))).unwrap();
        assert_eq!(amount.to_string(), "2875.10");
        let LineAmount { amount, .. } = line_amount(0, &line(None, None, Some("1200.00"), None, None)).unwrap();
        assert_eq!(amount.to_string(), "1200.00");
        assert!(line_amount(0, &line(Some("1"), Some("10"), Some("5"), None, None)).is_err(), "hours and cost");
        assert!(line_amount(0, &line(Some("1"), Some("10"), None, Some("11"), None)).is_err(), "deductions exceed");
    }
}
