//! Offers and their acceptance: an assisting party answers an open request (or says it cannot provide), may
//! withdraw before acceptance; the requesting party accepts (creating the agreement and its deployment) or
//! rejects. Accepted quantities never exceed what was requested, even under concurrent acceptance.

use std::collections::HashMap;

use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{
    agreement, deployment, deployment_hold, inventory_item, offer, offer_line, request_line_item, resource_request,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::offers_visible_to;
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::load_compact;
use crate::domain::enums::{AgreementStatus, DeadlineKind, DeploymentStatus, OfferStatus, RecordType, RequestStatus};
use crate::domain::events::{self, NewEvent};
use crate::domain::requests::{ensure_requesting_party, fill_if_covered, load_for_update, refuse_ssn, takes_part};
use crate::domain::{lifecycle, validate};
use crate::error::{AppError, AppResult};
use crate::scalars::{DateTime as DateTimeScalar, Decimal as DecimalScalar};

/// A person offered, by name and position (never a Social Security number).
#[derive(Debug, Clone, PartialEq, Eq, InputObject, SimpleObject, Serialize, Deserialize)]
#[graphql(input_name = "PersonInput", name = "Person")]
pub struct Person {
    /// Full name.
    pub name: String,
    /// Position or qualification (`Engine Boss`, `Swiftwater Technician`).
    pub position: String,
}

/// A piece of equipment offered.
#[derive(Debug, Clone, PartialEq, Eq, InputObject, SimpleObject, Serialize, Deserialize)]
#[graphql(input_name = "EquipmentInput", name = "Equipment")]
#[serde(rename_all = "camelCase")]
pub struct Equipment {
    /// What it is (`Type 1 structure engine`).
    pub description: String,
    /// How many.
    pub quantity: i32,
    /// The catalog type, when there is one.
    pub resource_type_id: Option<ID>,
    /// Unit or asset number.
    pub identifier: Option<String>,
}

/// The cost categories of an estimate and of an invoice.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CostCategory {
    /// Personnel, regular time.
    PersonnelRegular,
    /// Personnel, overtime.
    PersonnelOvertime,
    /// Equipment, at an hourly rate or actual cost.
    Equipment,
    /// Materials and supplies.
    MaterialsAndSupplies,
    /// Travel.
    Travel,
    /// Lodging and per diem.
    LodgingAndPerDiem,
    /// Anything else.
    Other,
}

/// An estimated amount for one cost category.
#[derive(Debug, Clone, InputObject)]
pub struct CostLineInput {
    /// The category.
    pub category: CostCategory,
    /// The estimated amount, in dollars.
    pub amount: DecimalScalar,
}

/// How much of one request line an offer covers.
#[derive(Debug, Clone, InputObject)]
pub struct OfferLineInput {
    /// The request's line item.
    pub line_item_id: ID,
    /// How many of it the offer provides.
    pub quantity: i32,
}

/// An offer of assistance (RMA Part II, EMAC REQ-A section II).
#[derive(Debug, Clone, InputObject)]
pub struct MakeOfferInput {
    /// The request answered.
    pub request_id: ID,
    /// What the offer covers, line by line. At most 100.
    #[graphql(validator(max_items = 100))]
    pub lines: Vec<OfferLineInput>,
    /// The people offered, by name and position. At most 500.
    #[graphql(default)]
    #[graphql(validator(max_items = 500))]
    pub personnel: Vec<Person>,
    /// The equipment offered. At most 500.
    #[graphql(default)]
    #[graphql(validator(max_items = 500))]
    pub equipment: Vec<Equipment>,
    /// Where the resources will report.
    pub arrival_place: Option<String>,
    /// Estimated time of arrival.
    pub estimated_arrival_at: Option<DateTimeScalar>,
    /// Estimated time of departure from the incident.
    pub estimated_departure_at: Option<DateTimeScalar>,
    /// Estimated cost by category. At most 16.
    #[graphql(default)]
    #[graphql(validator(max_items = 16))]
    pub cost_estimate: Vec<CostLineInput>,
    /// Whether the resources are donated (no reimbursement will be sought) rather than loaned.
    #[graphql(default)]
    pub donated: bool,
    /// Anything else the requesting party should know.
    pub notes: Option<String>,
}

/// A member's answer that it cannot provide the resources.
#[derive(Debug, Clone, InputObject)]
pub struct DeclineResourceRequestInput {
    /// The request.
    pub request_id: ID,
    /// Why.
    pub reason: String,
}

/// A decision on an offer.
#[derive(Debug, Clone, InputObject)]
pub struct OfferDecisionInput {
    /// The offer.
    pub offer_id: ID,
    /// Why (for a rejection or a withdrawal).
    pub reason: Option<String>,
}

/// The requesting party's acceptance of an offer (the RMA Part III signature).
#[derive(Debug, Clone, InputObject)]
pub struct AcceptOfferInput {
    /// The offer.
    pub offer_id: ID,
    /// Whether the acceptance was verbal: the signed written agreement then falls due per the policy.
    #[graphql(default)]
    pub verbal: bool,
}

/// What an acceptance created.
pub struct Accepted {
    /// The accepted offer.
    pub offer: offer::Model,
    /// The agreement.
    pub agreement: agreement::Model,
    /// The deployment, preparing.
    pub deployment: deployment::Model,
    /// The request, filled when covered.
    pub request: resource_request::Model,
}

fn check_person(i: usize, person: &Person) -> AppResult<Person> {
    let name = validate::text(&format!("personnel.{i}.name"), &person.name, 200)?;
    let position = validate::text(&format!("personnel.{i}.position"), &person.position, 200)?;
    refuse_ssn(&format!("personnel.{i}.name"), &name)?;
    refuse_ssn(&format!("personnel.{i}.position"), &position)?;
    Ok(Person { name, position })
}

fn check_equipment(i: usize, item: &Equipment) -> AppResult<Equipment> {
    if !(1..=10_000).contains(&item.quantity) {
        return Err(AppError::bad_input(&format!("equipment.{i}.quantity"), "quantity must be between 1 and 10000"));
    }
    if let Some(id) = &item.resource_type_id {
        validate::id(&format!("equipment.{i}.resourceTypeId"), id)?;
    }
    Ok(Equipment {
        description: validate::text(&format!("equipment.{i}.description"), &item.description, 500)?,
        quantity: item.quantity,
        resource_type_id: item.resource_type_id.clone(),
        identifier: validate::optional_text(&format!("equipment.{i}.identifier"), item.identifier.as_deref(), 100)?,
    })
}

/// Validates an estimate into a JSON object of category -> amount (string).
pub fn estimate_json(lines: &[CostLineInput]) -> AppResult<serde_json::Value> {
    let mut map = serde_json::Map::new();
    for (i, line) in lines.iter().enumerate() {
        let amount = crate::domain::money::amount(&format!("costEstimate.{i}.amount"), line.amount.0)?;
        let key =
            serde_json::to_value(line.category).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        if map.contains_key(&key) {
            return Err(AppError::bad_input(&format!("costEstimate.{i}.category"), "each category appears once"));
        }
        map.insert(key, json!(amount.to_string()));
    }
    Ok(serde_json::Value::Object(map))
}

/// Loads an offer the viewer may see, or `NOT_FOUND`.
pub async fn load_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<offer::Model> {
    viewer.require_authenticated()?;
    offer::Entity::find_by_id(id)
        .filter(offers_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("offer", id))
}

async fn ensure_can_answer(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    request: &resource_request::Model,
) -> AppResult<Uuid> {
    let j = viewer.jurisdiction_id.filter(|j| viewer.represents(*j)).ok_or_else(|| {
        AppError::forbidden("only an authorized representative of a member jurisdiction answers requests")
    })?;
    if j == request.requesting_jurisdiction_id {
        return Err(AppError::forbidden("the requesting party cannot answer its own request"));
    }
    if !takes_part(db, request.compact_id, j, now).await? {
        return Err(AppError::forbidden(
            "only a member of the compact (one whose termination has not taken effect) answers its requests",
        ));
    }
    let status = RequestStatus::from_db(&request.status)?;
    if status != RequestStatus::Open {
        return Err(AppError::InvalidTransition {
            record: "resource request",
            action: "answer",
            current: status.to_string(),
        });
    }
    Ok(j)
}

/// Makes an offer on an open request.
pub async fn make(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: MakeOfferInput,
) -> AppResult<offer::Model> {
    let txn = events::begin(db).await?;
    let model = make_in(&txn, viewer, now, input).await?;
    txn.commit().await?;
    Ok(model)
}

/// Makes an offer inside the caller's transaction (which must hold the event lock of [`events::begin`]).
pub async fn make_in(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: MakeOfferInput,
) -> AppResult<offer::Model> {
    let request_id = validate::id("requestId", &input.request_id)?;
    let request = load_for_update(txn, viewer, request_id).await?;
    let assisting = ensure_can_answer(txn, viewer, now, &request).await?;
    if input.lines.is_empty() {
        return Err(AppError::bad_input("lines", "an offer covers at least one line of the request"));
    }
    let request_lines =
        request_line_item::Entity::find().filter(request_line_item::Column::RequestId.eq(request_id)).all(txn).await?;
    let mut lines = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let line_id = validate::id(&format!("lines.{i}.lineItemId"), &line.line_item_id)?;
        let Some(requested) = request_lines.iter().find(|l| l.id == line_id) else {
            return Err(AppError::bad_input(&format!("lines.{i}.lineItemId"), "not a line of this request"));
        };
        if !(1..=requested.quantity).contains(&line.quantity) {
            return Err(AppError::bad_input(
                &format!("lines.{i}.quantity"),
                format!("quantity must be between 1 and the {} requested", requested.quantity),
            ));
        }
        if lines.iter().any(|(id, _)| *id == line_id) {
            return Err(AppError::bad_input(&format!("lines.{i}.lineItemId"), "each line appears once"));
        }
        lines.push((line_id, line.quantity));
    }
    let personnel: Vec<Person> =
        input.personnel.iter().enumerate().map(|(i, p)| check_person(i, p)).collect::<AppResult<_>>()?;
    let equipment: Vec<Equipment> =
        input.equipment.iter().enumerate().map(|(i, e)| check_equipment(i, e)).collect::<AppResult<_>>()?;
    if let Some(notes) = &input.notes {
        refuse_ssn("notes", notes)?;
    }
    let cost_estimate = estimate_json(&input.cost_estimate)?;
    if let (Some(arrive), Some(depart)) = (input.estimated_arrival_at, input.estimated_departure_at)
        && depart.0 < arrive.0
    {
        return Err(AppError::bad_input("estimatedDepartureAt", "departure cannot precede arrival"));
    }
    let id = Uuid::now_v7();
    let model = offer::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        assisting_jurisdiction_id: Set(assisting),
        status: Set(OfferStatus::Offered.as_str().to_owned()),
        cannot_provide_reason: Set(None),
        personnel: Set(json!(personnel)),
        equipment: Set(json!(equipment)),
        arrival_place: Set(validate::optional_text("arrivalPlace", input.arrival_place.as_deref(), 1000)?),
        estimated_arrival_at: Set(input.estimated_arrival_at.map(|at| at.0)),
        estimated_departure_at: Set(input.estimated_departure_at.map(|at| at.0)),
        cost_estimate: Set(cost_estimate),
        donated: Set(input.donated),
        notes: Set(validate::optional_text("notes", input.notes.as_deref(), 4000)?),
        offered_by_subject: Set(viewer.subject.clone()),
        decided_at: Set(None),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(txn)
    .await?;
    offer_line::Entity::insert_many(lines.iter().map(|(line_id, quantity)| offer_line::ActiveModel {
        offer_id: Set(id),
        line_item_id: Set(*line_id),
        quantity: Set(*quantity),
    }))
    .exec(txn)
    .await?;
    events::append(
        txn,
        viewer,
        now,
        NewEvent::new(RecordType::Offer, id, "OFFERED")
            .status(None::<&str>, OfferStatus::Offered)
            .compact(Some(request.compact_id))
            .concerning([request.requesting_jurisdiction_id, assisting])
            .payload(json!({ "requestId": request_id, "lines": lines.len(), "personnel": personnel.len(),
                             "equipment": equipment.len(), "donated": input.donated })),
    )
    .await?;
    Ok(model)
}

/// Records a member's "cannot provide" answer.
pub async fn decline(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeclineResourceRequestInput,
) -> AppResult<offer::Model> {
    let txn = events::begin(db).await?;
    let model = decline_in(&txn, viewer, now, input).await?;
    txn.commit().await?;
    Ok(model)
}

/// Records a "cannot provide" answer inside the caller's transaction.
pub async fn decline_in(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DeclineResourceRequestInput,
) -> AppResult<offer::Model> {
    let request_id = validate::id("requestId", &input.request_id)?;
    let reason = validate::text("reason", &input.reason, 2000)?;
    let request = load_for_update(txn, viewer, request_id).await?;
    let assisting = ensure_can_answer(txn, viewer, now, &request).await?;
    let id = Uuid::now_v7();
    let model = offer::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        assisting_jurisdiction_id: Set(assisting),
        status: Set(OfferStatus::CannotProvide.as_str().to_owned()),
        cannot_provide_reason: Set(Some(reason.clone())),
        personnel: Set(json!([])),
        equipment: Set(json!([])),
        arrival_place: Set(None),
        estimated_arrival_at: Set(None),
        estimated_departure_at: Set(None),
        cost_estimate: Set(json!({})),
        donated: Set(false),
        notes: Set(None),
        offered_by_subject: Set(viewer.subject.clone()),
        decided_at: Set(Some(now)),
        decision_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(txn)
    .await?;
    events::append(
        txn,
        viewer,
        now,
        NewEvent::new(RecordType::Offer, id, "CANNOT_PROVIDE")
            .status(None::<&str>, OfferStatus::CannotProvide)
            .compact(Some(request.compact_id))
            .concerning([request.requesting_jurisdiction_id, assisting])
            .payload(json!({ "requestId": request_id, "reason": reason })),
    )
    .await?;
    Ok(model)
}

/// Moves an offer from `OFFERED` with a conditional update, so that of two concurrent decisions exactly one
/// applies and the other sees the new state.
#[expect(clippy::too_many_arguments, reason = "one private helper applies every transition of this record")]
async fn decide(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &offer::Model,
    request: &resource_request::Model,
    action: &'static str,
    event_action: &'static str,
    reason: Option<String>,
) -> AppResult<offer::Model> {
    let from = OfferStatus::from_db(&current.status)?;
    let to = lifecycle::offer(from, action)?;
    let result = offer::Entity::update_many()
        .set(offer::ActiveModel {
            status: Set(to.as_str().to_owned()),
            decided_at: Set(Some(now)),
            decision_reason: Set(reason.clone()),
            updated_at: Set(now),
            version: Set(current.version + 1),
            ..Default::default()
        })
        .filter(offer::Column::Id.eq(current.id))
        .filter(offer::Column::Status.eq(OfferStatus::Offered.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        let now_status = offer::Entity::find_by_id(current.id).one(db).await?.map(|o| o.status).unwrap_or_default();
        return Err(AppError::InvalidTransition { record: "offer", action, current: now_status });
    }
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Offer, current.id, event_action)
            .status(Some(from), to)
            .compact(Some(request.compact_id))
            .concerning([request.requesting_jurisdiction_id, current.assisting_jurisdiction_id])
            .payload(json!({ "requestId": request.id, "reason": reason })),
    )
    .await?;
    offer::Entity::find_by_id(current.id).one(db).await?.ok_or_else(|| AppError::not_found("offer", current.id))
}

/// The assisting party withdraws its offer before acceptance.
pub async fn withdraw(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: OfferDecisionInput,
) -> AppResult<offer::Model> {
    let id = validate::id("offerId", &input.offer_id)?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    let current = load_visible(&txn, viewer, id).await?;
    if !viewer.represents(current.assisting_jurisdiction_id) {
        return Err(AppError::forbidden("only the assisting party's authorized representative withdraws its offer"));
    }
    let request = load_for_update(&txn, viewer, current.request_id).await?;
    let model = decide(&txn, viewer, now, &current, &request, "withdraw", "WITHDRAWN", reason).await?;
    txn.commit().await?;
    Ok(model)
}

/// The requesting party declines an offer.
pub async fn reject(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: OfferDecisionInput,
) -> AppResult<offer::Model> {
    let id = validate::id("offerId", &input.offer_id)?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    let current = load_visible(&txn, viewer, id).await?;
    let request = load_for_update(&txn, viewer, current.request_id).await?;
    ensure_requesting_party(viewer, &request)?;
    let model = decide(&txn, viewer, now, &current, &request, "reject", "REJECTED", reason).await?;
    txn.commit().await?;
    Ok(model)
}

/// Accepted quantities per line of a request.
pub async fn accepted_quantities(db: &impl ConnectionTrait, request_id: Uuid) -> AppResult<HashMap<Uuid, i32>> {
    let cancelled = deployment::Entity::find()
        .filter(deployment::Column::RequestId.eq(request_id))
        .filter(deployment::Column::Status.eq(DeploymentStatus::Cancelled.as_str()))
        .all(db)
        .await?;
    let cancelled_offers: Vec<Uuid> = agreement::Entity::find()
        .filter(agreement::Column::Id.is_in(cancelled.iter().map(|d| d.agreement_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.offer_id)
        .collect();
    let accepted: Vec<offer::Model> = offer::Entity::find()
        .filter(offer::Column::RequestId.eq(request_id))
        .filter(offer::Column::Status.eq(OfferStatus::Accepted.as_str()))
        .all(db)
        .await?
        .into_iter()
        .filter(|o| !cancelled_offers.contains(&o.id))
        .collect();
    let lines = offer_line::Entity::find()
        .filter(offer_line::Column::OfferId.is_in(accepted.iter().map(|o| o.id)))
        .all(db)
        .await?;
    let mut totals = HashMap::new();
    for line in lines {
        *totals.entry(line.line_item_id).or_insert(0) += line.quantity;
    }
    Ok(totals)
}

/// The requesting party accepts an offer: the agreement and its deployment are created, the assisting party's
/// available inventory of the offered types is held, and the request is filled when covered. The request row is
/// locked first, so concurrent acceptances see each other's quantities.
pub async fn accept(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AcceptOfferInput,
) -> AppResult<Accepted> {
    let id = validate::id("offerId", &input.offer_id)?;
    let txn = events::begin(db).await?;
    let current = load_visible(&txn, viewer, id).await?;
    let request = load_for_update(&txn, viewer, current.request_id).await?;
    ensure_requesting_party(viewer, &request)?;
    let current = offer::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("offer", id))?;
    lifecycle::offer(OfferStatus::from_db(&current.status)?, "accept")?;
    let status = RequestStatus::from_db(&request.status)?;
    if status != RequestStatus::Open {
        return Err(AppError::InvalidTransition {
            record: "resource request",
            action: "accept offers on",
            current: status.to_string(),
        });
    }
    let offered = offer_line::Entity::find().filter(offer_line::Column::OfferId.eq(id)).all(&txn).await?;
    let mut accepted = accepted_quantities(&txn, request.id).await?;
    let request_lines =
        request_line_item::Entity::find().filter(request_line_item::Column::RequestId.eq(request.id)).all(&txn).await?;
    for line in &offered {
        let requested = request_lines.iter().find(|l| l.id == line.line_item_id).map_or(0, |l| l.quantity);
        let already = accepted.get(&line.line_item_id).copied().unwrap_or(0);
        if already + line.quantity > requested {
            return Err(AppError::Conflict(format!(
                "accepting this offer would exceed the requested quantity of line {} ({already} of {requested} already accepted)",
                line.line_item_id
            )));
        }
    }
    let accepted_offer = decide(&txn, viewer, now, &current, &request, "accept", "ACCEPTED", None).await?;
    for line in &offered {
        *accepted.entry(line.line_item_id).or_insert(0) += line.quantity;
    }
    let compact = load_compact(&txn, request.compact_id).await?;
    let agreement_id = Uuid::now_v7();
    let agreement_status = if input.verbal { AgreementStatus::Verbal } else { AgreementStatus::Executed };
    let agreement = agreement::ActiveModel {
        id: Set(agreement_id),
        request_id: Set(request.id),
        offer_id: Set(id),
        compact_id: Set(request.compact_id),
        requesting_jurisdiction_id: Set(request.requesting_jurisdiction_id),
        assisting_jurisdiction_id: Set(current.assisting_jurisdiction_id),
        status: Set(agreement_status.as_str().to_owned()),
        verbal: Set(input.verbal),
        requesting_signed_by: Set((!input.verbal).then(|| viewer.subject.clone())),
        requesting_signed_at: Set((!input.verbal).then_some(now)),
        assisting_signed_by: Set((!input.verbal).then(|| current.offered_by_subject.clone())),
        assisting_signed_at: Set((!input.verbal).then_some(current.created_at)),
        executed_at: Set((!input.verbal).then_some(now)),
        after_action_report: Set(None),
        after_action_filed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let parties = [request.requesting_jurisdiction_id, current.assisting_jurisdiction_id];
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Agreement, agreement_id, if input.verbal { "AGREED_VERBALLY" } else { "EXECUTED" })
            .status(None::<&str>, agreement_status)
            .compact(Some(request.compact_id))
            .concerning(parties)
            .payload(json!({ "offerId": id, "requestId": request.id })),
    )
    .await?;
    if input.verbal {
        let new = NewDeadline {
            compact_id: Some(compact.id),
            record_type: RecordType::Agreement,
            record_id: agreement_id,
            kind: DeadlineKind::WrittenAgreement,
            owed_by: Some(request.requesting_jurisdiction_id),
            starts_at: now,
        };
        deadlines::create(
            &txn,
            viewer,
            now,
            new,
            deadlines::hours_after(now, compact.written_agreement_after_verbal_hours),
        )
        .await?;
    }
    let deployment_id = Uuid::now_v7();
    let deployment = deployment::ActiveModel {
        id: Set(deployment_id),
        agreement_id: Set(agreement_id),
        request_id: Set(request.id),
        compact_id: Set(request.compact_id),
        requesting_jurisdiction_id: Set(request.requesting_jurisdiction_id),
        assisting_jurisdiction_id: Set(current.assisting_jurisdiction_id),
        status: Set(DeploymentStatus::Preparing.as_str().to_owned()),
        personnel: Set(current.personnel.clone()),
        equipment: Set(current.equipment.clone()),
        readiness_checked: Set(false),
        communications_checked: Set(false),
        assignment: Set(None),
        location: Set(None),
        departed_at: Set(None),
        arrived_at: Set(None),
        released_at: Set(None),
        debriefed: Set(false),
        returned_at: Set(None),
        recall_noticed_at: Set(None),
        recall_effective_at: Set(None),
        recall_reason: Set(None),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    let holds =
        hold_inventory(&txn, viewer, now, deployment_id, current.assisting_jurisdiction_id, &offered, &request_lines)
            .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Deployment, deployment_id, "CREATED")
            .status(None::<&str>, DeploymentStatus::Preparing)
            .compact(Some(request.compact_id))
            .concerning(parties)
            .payload(json!({ "agreementId": agreement_id, "inventoryHeld": holds })),
    )
    .await?;
    let request = fill_if_covered(&txn, viewer, now, &request, &accepted).await?;
    txn.commit().await?;
    Ok(Accepted { offer: accepted_offer, agreement, deployment, request })
}

/// Takes the offered quantities of each resource type out of the assisting party's availability (as far as it
/// has them) and records what was taken, so the return gives back exactly that.
async fn hold_inventory(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    deployment_id: Uuid,
    holder: Uuid,
    offered: &[offer_line::Model],
    request_lines: &[request_line_item::Model],
) -> AppResult<serde_json::Value> {
    let mut by_type: HashMap<Uuid, i32> = HashMap::new();
    for line in offered {
        if let Some(requested) = request_lines.iter().find(|l| l.id == line.line_item_id) {
            *by_type.entry(requested.resource_type_id).or_insert(0) += line.quantity;
        }
    }
    let mut held = serde_json::Map::new();
    for (type_id, quantity) in by_type {
        let Some(item) = inventory_item::Entity::find()
            .filter(inventory_item::Column::JurisdictionId.eq(holder))
            .filter(inventory_item::Column::ResourceTypeId.eq(type_id))
            .one(db)
            .await?
        else {
            continue;
        };
        let take = std::cmp::min(quantity, item.quantity_available);
        if take <= 0 {
            continue;
        }
        // An atomic decrement: a concurrent hold on the same line can never drive availability below zero.
        let taken = inventory_item::Entity::update_many()
            .col_expr(
                inventory_item::Column::QuantityAvailable,
                Expr::col(inventory_item::Column::QuantityAvailable).sub(take),
            )
            .col_expr(inventory_item::Column::Version, Expr::col(inventory_item::Column::Version).add(1))
            .col_expr(inventory_item::Column::UpdatedAt, Expr::value(now))
            .filter(inventory_item::Column::Id.eq(item.id))
            .filter(inventory_item::Column::QuantityAvailable.gte(take))
            .exec(db)
            .await?;
        if taken.rows_affected != 1 {
            continue;
        }
        deployment_hold::ActiveModel {
            deployment_id: Set(deployment_id),
            resource_type_id: Set(type_id),
            quantity: Set(take),
        }
        .insert(db)
        .await?;
        events::append(
            db,
            viewer,
            now,
            NewEvent::new(RecordType::InventoryItem, item.id, "HELD")
                .concerning([holder])
                .payload(json!({ "deploymentId": deployment_id, "quantity": take })),
        )
        .await?;
        held.insert(type_id.to_string(), json!(take));
    }
    Ok(serde_json::Value::Object(held))
}
