//! Receiving RM messages: a `RequestResource` becomes a draft (or submitted) request of the caller's
//! jurisdiction, and a `ResponseToRequestResource` or `CommitResource` answering one of our requests becomes an
//! offer (Accept or Provisional lines) or a "cannot provide" answer (every line Declined).
//!
//! The same rules apply as to the GraphQL mutations, in the same transaction as the record of the message: a
//! message id seen before in the compact changes nothing and returns the record it created the first time, even
//! when two copies arrive at once.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{edxl_message, resource_request, resource_type};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

use super::message::{Message, ResourceInfo, parse_generated_id};
use super::{EdxlRmMessage, RESOURCE_TYPE_URN, RTLT_URN, read};
use crate::auth::Viewer;
use crate::domain::enums::{Priority, ProvidedBy, RecordType};
use crate::domain::offers::{self, DeclineResourceRequestInput, MakeOfferInput, OfferLineInput};
use crate::domain::requests::{self, CreateResourceRequestInput, LineItemInput};
use crate::domain::{events, validate};
use crate::error::{AppError, AppResult};
use crate::scalars::DateTime as DateTimeScalar;

/// An EDXL-RM message to import.
#[derive(Debug, Clone, InputObject)]
pub struct ImportEdxlRmInput {
    /// The message, as XML: a bare RM message or an EDXL-DE `EDXLDistribution` carrying one. At most 524,288
    /// bytes, 20,000 XML nodes and 32 levels of nesting; no document type declaration.
    pub xml: String,
    /// For a `RequestResource`: the compact the request is made under. Ignored for an answer, which belongs to the
    /// compact of the request it answers.
    pub compact_id: Option<ID>,
    /// For a `RequestResource`: the incident the help is for; when omitted, the message's `IncidentID` must be
    /// the id of one of the requesting jurisdiction's incidents.
    pub incident_id: Option<ID>,
    /// The jurisdiction the message is from: the requesting party of a `RequestResource`, the assisting party of
    /// an answer. The caller's own when omitted.
    pub jurisdiction_id: Option<ID>,
    /// For a `RequestResource`: submit the request at once (the caller must be entitled to submit it, as with
    /// `submitResourceRequest`) instead of leaving it a draft.
    #[graphql(default)]
    pub submit: bool,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The message type received.
    pub kind: EdxlRmMessage,
    /// The sender's `MessageID`.
    pub message_id: String,
    /// The record created, the first time the message was received.
    pub record_type: RecordType,
    /// Its id.
    pub record_id: Uuid,
    /// Whether the message had been received before, so nothing changed this time.
    pub duplicate: bool,
}

/// Imports a message.
pub async fn import(
    db: &(impl TransactionTrait + ConnectionTrait),
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ImportEdxlRmInput,
) -> AppResult<Imported> {
    viewer.require_authenticated()?;
    let message = read::parse(&input.xml)?;
    if !READ.contains(&message.kind) {
        return Err(not_read(message.kind));
    }
    let jurisdiction = match &input.jurisdiction_id {
        Some(id) => validate::id("jurisdictionId", id)?,
        None => viewer
            .jurisdiction_id
            .ok_or_else(|| AppError::bad_input("jurisdictionId", "the caller represents no jurisdiction"))?,
    };
    if !viewer.represents(jurisdiction) {
        return Err(AppError::forbidden(
            "only the sending jurisdiction's authorized representative imports its messages",
        ));
    }
    let first = import_once(db, viewer, now, &input, &message, jurisdiction).await;
    match first {
        // Two copies at once: the unique (compact, message id) index let one through; answer with its record.
        Err(AppError::Conflict(_)) => {
            let compact_id = compact_of(db, viewer, &input, &message).await?;
            match find(db, compact_id, &message.message_id).await? {
                Some(seen) => duplicate(seen, message.kind),
                None => first,
            }
        }
        other => other,
    }
}

/// The message types imported.
const READ: [EdxlRmMessage; 3] =
    [EdxlRmMessage::RequestResource, EdxlRmMessage::ResponseToRequestResource, EdxlRmMessage::CommitResource];

fn not_read(kind: EdxlRmMessage) -> AppError {
    AppError::bad_input(
        "xml",
        format!(
            "{}: this server writes {0} messages but reads only RequestResource, ResponseToRequestResource and \
             CommitResource",
            kind.element()
        ),
    )
}

fn duplicate(seen: edxl_message::Model, kind: EdxlRmMessage) -> AppResult<Imported> {
    Ok(Imported {
        kind,
        message_id: seen.message_id,
        record_type: RecordType::parse(&seen.record_type)
            .ok_or_else(|| AppError::Internal(format!("unknown record type {:?}", seen.record_type)))?,
        record_id: seen.record_id,
        duplicate: true,
    })
}

async fn find(db: &impl ConnectionTrait, compact_id: Uuid, message_id: &str) -> AppResult<Option<edxl_message::Model>> {
    Ok(edxl_message::Entity::find()
        .filter(edxl_message::Column::CompactId.eq(compact_id))
        .filter(edxl_message::Column::MessageId.eq(message_id))
        .one(db)
        .await?)
}

/// The compact a message lands in: the one named for a request, the answered request's for an answer.
async fn compact_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    input: &ImportEdxlRmInput,
    message: &Message,
) -> AppResult<Uuid> {
    match message.kind {
        EdxlRmMessage::RequestResource => match &input.compact_id {
            Some(id) => validate::id("compactId", id),
            None => Err(AppError::bad_input("compactId", "name the compact a RequestResource is imported into")),
        },
        _ => Ok(answered_request(db, viewer, message).await?.compact_id),
    }
}

/// The request an answer's `PrecedingMessageID` names: one of our `RequestResource` messages, or a request
/// imported from the sender's own.
async fn answered_request(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    message: &Message,
) -> AppResult<resource_request::Model> {
    let preceding = message.preceding_message_id.as_deref().unwrap_or_default();
    let path = format!("{}/PrecedingMessageID", message.kind.element());
    let unknown = || {
        AppError::bad_input(
            "xml",
            format!("{path}: {preceding:?} is not the MessageID of a RequestResource this server sent or received"),
        )
    };
    if let Some(id) = parse_generated_id("request", preceding) {
        return requests::load_visible(db, viewer, id).await.map_err(|_| unknown());
    }
    // A request received from another system, possibly into several compacts: the one the caller sees.
    let received = edxl_message::Entity::find()
        .filter(edxl_message::Column::MessageId.eq(preceding))
        .filter(edxl_message::Column::RecordType.eq(RecordType::ResourceRequest.as_str()))
        .limit(16)
        .all(db)
        .await?;
    for copy in received {
        if let Ok(request) = requests::load_visible(db, viewer, copy.record_id).await {
            return Ok(request);
        }
    }
    Err(unknown())
}

async fn import_once(
    db: &(impl TransactionTrait + ConnectionTrait),
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: &ImportEdxlRmInput,
    message: &Message,
    jurisdiction: Uuid,
) -> AppResult<Imported> {
    let kind = message.kind;
    let txn = events::begin(db).await?;
    let compact_id = compact_of(&txn, viewer, input, message).await?;
    if let Some(seen) = find(&txn, compact_id, &message.message_id).await? {
        return duplicate(seen, kind);
    }
    let (record_type, record_id) = match kind {
        EdxlRmMessage::RequestResource => {
            let request = import_request(&txn, viewer, now, input, message, compact_id, jurisdiction).await?;
            (RecordType::ResourceRequest, request.id)
        }
        EdxlRmMessage::ResponseToRequestResource | EdxlRmMessage::CommitResource => {
            let request = answered_request(&txn, viewer, message).await?;
            let offer = import_answer(&txn, viewer, now, message, &request).await?;
            (RecordType::Offer, offer.id)
        }
        other => return Err(not_read(other)),
    };
    edxl_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        compact_id: Set(compact_id),
        message_id: Set(message.message_id.clone()),
        content_type: Set(kind.element().to_owned()),
        record_type: Set(record_type.as_str().to_owned()),
        record_id: Set(record_id),
        originating_message_id: Set(message.originating_message_id.clone()),
        received_by_subject: Set(viewer.subject.clone()),
        received_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(AppError::on_unique("this message is being imported by another request"))?;
    txn.commit().await?;
    Ok(Imported { kind, message_id: message.message_id.clone(), record_type, record_id, duplicate: false })
}

/// The catalog type a line names: by this server's catalog id or by RTLT id in `TypeStructure`, else by the
/// catalog id in `TypeInfo`.
async fn resource_type_of(db: &impl ConnectionTrait, info: &ResourceInfo, path: &str) -> AppResult<Uuid> {
    let resource = &info.resource;
    let by_id = |id: &str| Uuid::parse_str(id).ok();
    let found = match &resource.type_structure {
        Some((urn, value)) if urn == RESOURCE_TYPE_URN => match by_id(value) {
            Some(id) => resource_type::Entity::find_by_id(id).one(db).await?,
            None => None,
        },
        Some((urn, value)) if urn == RTLT_URN => {
            resource_type::Entity::find().filter(resource_type::Column::ExternalId.eq(value.as_str())).one(db).await?
        }
        _ => match resource.type_info.as_ref().and_then(|t| t.id.as_deref()).and_then(by_id) {
            Some(id) => resource_type::Entity::find_by_id(id).one(db).await?,
            None => None,
        },
    };
    found.map(|t| t.id).ok_or_else(|| {
        AppError::bad_input(
            "xml",
            format!(
                "{path}/Resource/TypeStructure: no resource type of the catalog matches; name one with ValueListURN \
                 {RESOURCE_TYPE_URN} (catalog id) or {RTLT_URN} (RTLT id)"
            ),
        )
    })
}

fn whole(quantity: Option<f64>, path: &str) -> AppResult<i32> {
    let path = format!("{path}/AssignmentInformation/Quantity");
    let Some(q) = quantity else { return Err(AppError::bad_input("xml", format!("{path}: a quantity is required"))) };
    if q.fract() != 0.0 || !(1.0..=10_000.0).contains(&q) {
        return Err(AppError::bad_input("xml", format!("{path}: {q} is not a whole number between 1 and 10000")));
    }
    Ok(q as i32)
}

async fn import_request(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: &ImportEdxlRmInput,
    message: &Message,
    compact_id: Uuid,
    jurisdiction: Uuid,
) -> AppResult<resource_request::Model> {
    let root = message.kind.element();
    let incident_id = match &input.incident_id {
        Some(id) => id.clone(),
        None => {
            let named = message.incidents.iter().find_map(|i| i.id.as_deref().and_then(|id| Uuid::parse_str(id).ok()));
            ID(named
                .ok_or_else(|| {
                    AppError::bad_input(
                        "incidentId",
                        format!("{root}/IncidentInformation names no incident of this server: pass incidentId"),
                    )
                })?
                .to_string())
        }
    };
    let mut line_items = Vec::new();
    let mut staging = None;
    for (i, info) in message.resources.iter().enumerate() {
        let path = format!("{root}/ResourceInformation[{}]", i + 1);
        let resource_type_id = resource_type_of(txn, info, &path).await?;
        let quantity = whole(info.quantity, &path)?;
        let arrival = info.schedule.iter().find(|s| s.kind == "RequestedArrival");
        let needed_by = arrival.and_then(|s| s.at);
        let back = info.schedule.iter().find(|s| s.kind == "EstimatedReturnDeparture").and_then(|s| s.at);
        let estimated_duration_hours = match (needed_by, back) {
            (Some(from), Some(to)) if to > from => Some(i32::try_from((to - from).num_hours()).unwrap_or(i32::MAX)),
            _ => None,
        };
        if staging.is_none() {
            staging = info
                .schedule
                .iter()
                .filter(|s| s.kind == "ReportTo" || s.kind == "RequestedArrival")
                .find_map(|s| s.location.clone());
        }
        line_items.push(LineItemInput {
            resource_type_id: ID(resource_type_id.to_string()),
            quantity,
            estimated_duration_hours,
            needed_by: needed_by.map(DateTimeScalar),
            description: info.resource.description.clone().or_else(|| info.anticipated_function.clone()),
        });
    }
    let requester =
        message.contacts.iter().find(|c| c.role.as_deref() == Some("Requester")).or(message.contacts.first());
    let create = CreateResourceRequestInput {
        compact_id: ID(compact_id.to_string()),
        incident_id,
        requesting_jurisdiction_id: Some(ID(jurisdiction.to_string())),
        request_number: None,
        priority: Priority::Routine,
        description: message.description.clone(),
        support_functions: Vec::new(),
        public_infrastructure: Vec::new(),
        staging_location: staging,
        staging_contact_name: None,
        staging_contact_phone: None,
        contact_name: requester.and_then(|c| c.name.clone()),
        contact_phone: requester.and_then(|c| c.phone.clone()),
        contact_email: requester.and_then(|c| c.email.clone()),
        self_sufficiency_hours: None,
        food_provided_by: ProvidedBy::RequestingParty,
        housing_provided_by: ProvidedBy::RequestingParty,
        line_items,
        recipient_ids: Vec::new(),
        broadcast: false,
    };
    requests::create_in(txn, viewer, now, &create, jurisdiction, input.submit).await
}

async fn import_answer(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    message: &Message,
    request: &resource_request::Model,
) -> AppResult<entities::offer::Model> {
    let root = message.kind.element();
    let lines = entities::request_line_item::Entity::find()
        .filter(entities::request_line_item::Column::RequestId.eq(request.id))
        .all(txn)
        .await?;
    let mut offered = Vec::new();
    let mut reasons = Vec::new();
    let mut arrival = None;
    for (i, info) in message.resources.iter().enumerate() {
        let path = format!("{root}/ResourceInformation[{}]", i + 1);
        let Some(response) = &info.response else {
            return Err(AppError::bad_input("xml", format!("{path}/ResponseInformation is required")));
        };
        let line = lines.iter().find(|l| super::message::line_number(l) == response.preceding_element_id).ok_or_else(
            || {
                AppError::bad_input(
                    "xml",
                    format!(
                        "{path}/ResponseInformation/PrecedingResourceInfoElementID: {:?} is not a line of the request \
                     (its ResourceInfoElementIDs are 1 to {})",
                        response.preceding_element_id,
                        lines.len()
                    ),
                )
            },
        )?;
        if response.response_type == "Decline" {
            reasons.extend(response.reason.clone());
            continue;
        }
        offered.push(OfferLineInput { line_item_id: ID(line.id.to_string()), quantity: whole(info.quantity, &path)? });
        if arrival.is_none() {
            arrival = info.schedule.iter().find(|s| s.kind == "EstimatedArrival").cloned();
        }
    }
    if offered.is_empty() {
        let reason = if reasons.is_empty() { "Declined (EDXL-RM ResponseType)".to_owned() } else { reasons.join("; ") };
        let decline = DeclineResourceRequestInput { request_id: ID(request.id.to_string()), reason };
        return offers::decline_in(txn, viewer, now, decline).await;
    }
    let departure = message
        .resources
        .iter()
        .flat_map(|r| r.schedule.iter())
        .find(|s| s.kind == "EstimatedReturnDeparture" || s.kind == "EstimatedDeparture")
        .and_then(|s| s.at);
    let make = MakeOfferInput {
        request_id: ID(request.id.to_string()),
        lines: offered,
        personnel: Vec::new(),
        equipment: Vec::new(),
        arrival_place: arrival.as_ref().and_then(|s| s.location.clone()),
        estimated_arrival_at: arrival.as_ref().and_then(|s| s.at).map(DateTimeScalar),
        estimated_departure_at: departure.map(DateTimeScalar),
        cost_estimate: Vec::new(),
        donated: false,
        notes: message.description.clone(),
    };
    offers::make_in(txn, viewer, now, make).await
}
