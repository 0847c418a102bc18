//! RM messages as data, and the mapping of each record to its message (the README's "EDXL-RM" table).
//!
//! Message ids are stable: `urn:mutual-aid:rm:<kind>:<record id>` for what this server originates, and the
//! sender's own `MessageID` for a record that was imported. `OriginatingMessageID` is always the
//! `RequestResource` of the mission, and `PrecedingMessageID` the message the record answers: an offer answers
//! the request, an agreement commits the offer, and a release, recall, status report or extension follows the
//! commitment.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{
    agreement, amendment, deployment, edxl_message, incident, jurisdiction, jurisdiction_contact, offer, offer_line,
    request_line_item, resource_request, resource_type,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{DEPLOYMENT_STATUS_URN, EdxlRmMessage, MESSAGE_ID_PREFIX, RESOURCE_TYPE_URN, RTLT_URN};
use crate::auth::Viewer;
use crate::domain::access::incidents_visible_to;
use crate::domain::enums::{ContactKind, OfferStatus, RecordType};
use crate::domain::{agreements, deployments, offers, requests};
use crate::error::{AppError, AppResult};

/// One RM message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The message type.
    pub kind: EdxlRmMessage,
    /// `MessageID`.
    pub message_id: String,
    /// `SentDateTime`.
    pub sent_at: DateTime<Utc>,
    /// `MessageDescription`.
    pub description: Option<String>,
    /// `OriginatingMessageID`: the first message of the conversation.
    pub originating_message_id: String,
    /// `PrecedingMessageID`: the message this one answers or follows.
    pub preceding_message_id: Option<String>,
    /// `IncidentInformation`: the incident's id and description.
    pub incidents: Vec<IncidentInfo>,
    /// `ContactInformation`, at least one.
    pub contacts: Vec<Contact>,
    /// `ResourceInformation`, at least one.
    pub resources: Vec<ResourceInfo>,
}

/// `IncidentInformation`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentInfo {
    /// `IncidentID`.
    pub id: Option<String>,
    /// `IncidentDescription`.
    pub description: Option<String>,
}

/// `ContactInformation` (and `ResponsibleParty`).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// `ContactRole`: Sender, Requester, SubjectMatterExpert, Approver, RespondingOrg or Owner.
    pub role: Option<String>,
    /// `ContactDescription`: the organisation (the jurisdiction's name).
    pub description: Option<String>,
    /// The person, in `AdditionalContactInformation` (OASIS CIQ xPIL `PartyName`).
    pub name: Option<String>,
    /// Telephone, in xPIL `ContactNumbers`.
    pub phone: Option<String>,
    /// E-mail, in xPIL `ElectronicAddressIdentifiers`.
    pub email: Option<String>,
}

/// `ResourceInformation`: one line of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInfo {
    /// `ResourceInfoElementID`: the line number.
    pub element_id: String,
    /// `ResponseInformation`.
    pub response: Option<ResponseInfo>,
    /// `Resource`.
    pub resource: Resource,
    /// `AssignmentInformation/Quantity` (as `MeasuredQuantity/Amount`, unit `each`).
    pub quantity: Option<f64>,
    /// `AssignmentInformation/AnticipatedFunction`: what the resources will do.
    pub anticipated_function: Option<String>,
    /// `AssignmentInformation/OrderID`: the agreement (or the coordinator's mission number).
    pub order_id: Option<String>,
    /// `ScheduleInformation`.
    pub schedule: Vec<Schedule>,
}

/// `ResponseInformation`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseInfo {
    /// `PrecedingResourceInfoElementID`: the line answered.
    pub preceding_element_id: String,
    /// `ResponseType`: Accept, Decline or Provisional.
    pub response_type: String,
    /// `ResponseReason`.
    pub reason: Option<String>,
}

/// `Resource`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// `Name`: the resource type's name.
    pub name: Option<String>,
    /// `TypeStructure`: a value list URN and the type's value in it.
    pub type_structure: Option<(String, String)>,
    /// `TypeInfo`: the catalog entry (id, category, kind, NIMS type level, RTLT id).
    pub type_info: Option<TypeInfo>,
    /// `Description`.
    pub description: Option<String>,
    /// `ResponsibleParty`.
    pub responsible_party: Option<Contact>,
    /// `OwnershipInformation/OwningJurisdiction`.
    pub owning_jurisdiction: Option<String>,
    /// `ResourceStatus`.
    pub status: Option<ResourceStatus>,
}

/// The catalog entry of a resource type, inside `TypeInfo`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeInfo {
    /// The catalog id.
    pub id: Option<String>,
    /// The category (`Fire/Hazardous Materials`).
    pub category: Option<String>,
    /// The kind (`EQUIPMENT`, `TEAM`, ...).
    pub kind: Option<String>,
    /// The NIMS type level.
    pub type_level: Option<i32>,
    /// The RTLT id.
    pub rtlt_id: Option<String>,
}

/// `ResourceStatus`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceStatus {
    /// `InventoryRefreshDateTime`: when the status was last changed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// `DeploymentStatus`, in the value list [`DEPLOYMENT_STATUS_URN`].
    pub deployment_status: Option<String>,
    /// `Availability`.
    pub availability: Option<String>,
}

/// `ScheduleInformation`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// `ScheduleType`.
    pub kind: String,
    /// `DateTime`.
    pub at: Option<DateTime<Utc>>,
    /// `Location/LocationDescription`.
    pub location: Option<String>,
}

/// The message id this server gives to what it originates about a record.
pub fn generated_id(kind: &str, record: Uuid) -> String {
    format!("{MESSAGE_ID_PREFIX}{kind}:{record}")
}

/// The record a generated message id names, if it is one of ours of that kind.
pub fn parse_generated_id(kind: &str, message_id: &str) -> Option<Uuid> {
    let rest = message_id.strip_prefix(MESSAGE_ID_PREFIX)?.strip_prefix(kind)?.strip_prefix(':')?;
    Uuid::parse_str(rest).ok()
}

/// The id of the message about `record`: the sender's, when the record was imported, else ours.
async fn message_id_of(
    db: &impl ConnectionTrait,
    kind: &str,
    record_type: RecordType,
    record: Uuid,
) -> AppResult<(String, Option<String>)> {
    let imported = edxl_message::Entity::find()
        .filter(edxl_message::Column::RecordId.eq(record))
        .filter(edxl_message::Column::RecordType.eq(record_type.as_str()))
        .one(db)
        .await?;
    Ok(match imported {
        Some(m) => (m.message_id, Some(m.originating_message_id)),
        None => (generated_id(kind, record), None),
    })
}

/// What a request's messages need: the request, its lines and types, its incident as far as visible, and the
/// conversation's first message id.
struct Mission {
    request: resource_request::Model,
    lines: Vec<request_line_item::Model>,
    types: HashMap<Uuid, resource_type::Model>,
    incident: Option<incident::Model>,
    request_message_id: String,
    originating_message_id: String,
}

async fn mission(db: &impl ConnectionTrait, viewer: &Viewer, request: resource_request::Model) -> AppResult<Mission> {
    let lines = request_line_item::Entity::find()
        .filter(request_line_item::Column::RequestId.eq(request.id))
        .order_by_asc(request_line_item::Column::Position)
        .all(db)
        .await?;
    let type_ids: Vec<Uuid> = lines.iter().map(|l| l.resource_type_id).collect();
    let types = resource_type::Entity::find()
        .filter(resource_type::Column::Id.is_in(type_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let incident =
        incident::Entity::find_by_id(request.incident_id).filter(incidents_visible_to(viewer)).one(db).await?;
    let (request_message_id, imported_origin) =
        message_id_of(db, "request", RecordType::ResourceRequest, request.id).await?;
    let originating_message_id = imported_origin.unwrap_or_else(|| request_message_id.clone());
    Ok(Mission { request, lines, types, incident, request_message_id, originating_message_id })
}

impl Mission {
    fn incidents(&self) -> Vec<IncidentInfo> {
        self.incident
            .iter()
            .map(|i| IncidentInfo {
                id: Some(i.id.to_string()),
                description: Some(match &i.location_description {
                    Some(place) => format!("{}: {place}", i.name),
                    None => i.name.clone(),
                }),
            })
            .collect()
    }

    fn line(&self, id: Uuid) -> Option<&request_line_item::Model> {
        self.lines.iter().find(|l| l.id == id)
    }

    fn resource(&self, line: &request_line_item::Model) -> Resource {
        let ty = self.types.get(&line.resource_type_id);
        Resource {
            name: ty.map(|t| t.name.clone()),
            type_structure: Some(match ty.and_then(|t| t.external_id.clone()) {
                Some(rtlt) => (RTLT_URN.to_owned(), rtlt),
                None => (RESOURCE_TYPE_URN.to_owned(), line.resource_type_id.to_string()),
            }),
            type_info: ty.map(|t| TypeInfo {
                id: Some(t.id.to_string()),
                category: Some(t.category.clone()),
                kind: Some(t.kind.clone()),
                type_level: t.type_level,
                rtlt_id: t.external_id.clone(),
            }),
            description: line.description.clone(),
            ..Resource::default()
        }
    }
}

async fn jurisdiction_name(db: &impl ConnectionTrait, id: Uuid) -> AppResult<String> {
    Ok(jurisdiction::Entity::find_by_id(id).one(db).await?.map(|j| j.name).unwrap_or_else(|| id.to_string()))
}

/// The jurisdiction as a contact of `role`: its name, and its primary (else first) directory contact.
async fn directory_contact(db: &impl ConnectionTrait, id: Uuid, role: &str) -> AppResult<Contact> {
    let name = jurisdiction_name(db, id).await?;
    let contacts = jurisdiction_contact::Entity::find()
        .filter(jurisdiction_contact::Column::JurisdictionId.eq(id))
        .order_by_asc(jurisdiction_contact::Column::CreatedAt)
        .all(db)
        .await?;
    let person = contacts.iter().find(|c| c.kind == ContactKind::Primary.as_str()).or(contacts.first());
    Ok(Contact {
        role: Some(role.to_owned()),
        description: Some(name),
        name: person.map(|p| p.name.clone()),
        phone: person.and_then(|p| p.phone.clone()),
        email: person.and_then(|p| p.email.clone()),
    })
}

/// The requesting party as `Requester`: the request's own point of contact, else its directory contact.
async fn requester(db: &impl ConnectionTrait, request: &resource_request::Model) -> AppResult<Contact> {
    let mut contact = directory_contact(db, request.requesting_jurisdiction_id, "Requester").await?;
    if request.contact_name.is_some() {
        contact.name = request.contact_name.clone();
        contact.phone = request.contact_phone.clone();
        contact.email = request.contact_email.clone();
    }
    Ok(contact)
}

/// A resource request as `RequestResource`.
pub async fn request_resource(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let request = requests::load_visible(db, viewer, id).await?;
    let m = mission(db, viewer, request).await?;
    let r = &m.request;
    let resources = m
        .lines
        .iter()
        .map(|line| {
            let mut schedule = Vec::new();
            if line.needed_by.is_some() || r.staging_location.is_some() {
                schedule.push(Schedule {
                    kind: "RequestedArrival".into(),
                    at: line.needed_by,
                    location: r.staging_location.clone(),
                });
            }
            if let (Some(needed_by), Some(hours)) = (line.needed_by, line.estimated_duration_hours) {
                schedule.push(Schedule {
                    kind: "EstimatedReturnDeparture".into(),
                    at: Some(needed_by + chrono::Duration::hours(i64::from(hours))),
                    location: None,
                });
            }
            if let Some(place) = &r.staging_location {
                schedule.push(Schedule { kind: "ReportTo".into(), at: None, location: Some(place.clone()) });
            }
            ResourceInfo {
                element_id: line_number(line),
                response: None,
                resource: m.resource(line),
                quantity: Some(f64::from(line.quantity)),
                anticipated_function: None,
                order_id: None,
                schedule,
            }
        })
        .collect();
    Ok(Message {
        kind: EdxlRmMessage::RequestResource,
        message_id: m.request_message_id.clone(),
        sent_at: now,
        description: r.description.clone(),
        originating_message_id: m.originating_message_id.clone(),
        preceding_message_id: None,
        incidents: m.incidents(),
        contacts: vec![requester(db, r).await?],
        resources,
    })
}

async fn offer_lines(db: &impl ConnectionTrait, offer: Uuid) -> AppResult<Vec<offer_line::Model>> {
    Ok(offer_line::Entity::find().filter(offer_line::Column::OfferId.eq(offer)).all(db).await?)
}

/// The lines an offer covers, in the request's line order, each with its quantity and the assisting party as
/// owner and responsible party.
fn offered_resources(
    m: &Mission,
    lines: &[offer_line::Model],
    assisting: &Contact,
    answer: Option<(&str, Option<String>)>,
) -> Vec<ResourceInfo> {
    let mut covered: Vec<(&request_line_item::Model, i32)> =
        lines.iter().filter_map(|ol| m.line(ol.line_item_id).map(|l| (l, ol.quantity))).collect();
    covered.sort_by_key(|(l, _)| l.position);
    covered
        .into_iter()
        .enumerate()
        .map(|(n, (line, quantity))| {
            let mut resource = m.resource(line);
            resource.responsible_party = Some(assisting.clone());
            resource.owning_jurisdiction = assisting.description.clone();
            ResourceInfo {
                element_id: (n + 1).to_string(),
                response: answer.as_ref().map(|(kind, reason)| ResponseInfo {
                    preceding_element_id: line_number(line),
                    response_type: (*kind).to_owned(),
                    reason: reason.clone(),
                }),
                resource,
                quantity: Some(f64::from(quantity)),
                anticipated_function: None,
                order_id: None,
                schedule: Vec::new(),
            }
        })
        .collect()
}

fn arrival_schedule(offer: &offer::Model) -> Vec<Schedule> {
    let mut schedule = Vec::new();
    if offer.estimated_arrival_at.is_some() || offer.arrival_place.is_some() {
        schedule.push(Schedule {
            kind: "EstimatedArrival".into(),
            at: offer.estimated_arrival_at,
            location: offer.arrival_place.clone(),
        });
    }
    if let Some(at) = offer.estimated_departure_at {
        schedule.push(Schedule { kind: "EstimatedReturnDeparture".into(), at: Some(at), location: None });
    }
    schedule
}

/// An offer as `ResponseToRequestResource`: Accept with the offered quantities, or Decline on every line of the
/// request for a "cannot provide" answer.
pub async fn response_to_request_resource(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let offer = offers::load_visible(db, viewer, id).await?;
    let request = requests::load_visible(db, viewer, offer.request_id).await?;
    let m = mission(db, viewer, request).await?;
    let assisting = directory_contact(db, offer.assisting_jurisdiction_id, "RespondingOrg").await?;
    let (message_id, _) = message_id_of(db, "offer", RecordType::Offer, offer.id).await?;
    let resources = if offer.status == OfferStatus::CannotProvide.as_str() {
        m.lines
            .iter()
            .map(|line| ResourceInfo {
                element_id: line_number(line),
                response: Some(ResponseInfo {
                    preceding_element_id: line_number(line),
                    response_type: "Decline".into(),
                    reason: offer.cannot_provide_reason.clone(),
                }),
                resource: m.resource(line),
                quantity: None,
                anticipated_function: None,
                order_id: None,
                schedule: Vec::new(),
            })
            .collect()
    } else {
        let lines = offer_lines(db, offer.id).await?;
        let mut resources = offered_resources(&m, &lines, &assisting, Some(("Accept", None)));
        for r in &mut resources {
            r.schedule = arrival_schedule(&offer);
        }
        resources
    };
    Ok(Message {
        kind: EdxlRmMessage::ResponseToRequestResource,
        message_id,
        sent_at: now,
        description: offer.notes.clone(),
        originating_message_id: m.originating_message_id.clone(),
        preceding_message_id: Some(m.request_message_id.clone()),
        incidents: m.incidents(),
        contacts: vec![assisting, requester(db, &m.request).await?],
        resources,
    })
}

/// An agreement as `CommitResource`: the accepted offer's lines, committed, with the agreement as order.
pub async fn commit_resource(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let agreement = agreements::load_visible(db, viewer, id).await?;
    commit_of(db, viewer, &agreement, now).await
}

async fn commit_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    agreement: &agreement::Model,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let offer = offer::Entity::find_by_id(agreement.offer_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal(format!("agreement {} has no offer", agreement.id)))?;
    let request = requests::load_visible(db, viewer, agreement.request_id).await?;
    let m = mission(db, viewer, request).await?;
    let assisting = directory_contact(db, agreement.assisting_jurisdiction_id, "RespondingOrg").await?;
    let (offer_message_id, _) = message_id_of(db, "offer", RecordType::Offer, offer.id).await?;
    let lines = offer_lines(db, offer.id).await?;
    let mut resources = offered_resources(&m, &lines, &assisting, Some(("Accept", None)));
    for r in &mut resources {
        r.order_id = Some(m.request.mission_number.clone().unwrap_or_else(|| agreement.id.to_string()));
        r.schedule = arrival_schedule(&offer);
        if let Some(at) = agreement.executed_at.or(Some(agreement.created_at)) {
            r.schedule.insert(0, Schedule { kind: "Committed".into(), at: Some(at), location: None });
        }
    }
    Ok(Message {
        kind: EdxlRmMessage::CommitResource,
        message_id: generated_id("commit", agreement.id),
        sent_at: now,
        description: None,
        originating_message_id: m.originating_message_id.clone(),
        preceding_message_id: Some(offer_message_id),
        incidents: m.incidents(),
        contacts: vec![assisting, directory_contact(db, agreement.requesting_jurisdiction_id, "Approver").await?],
        resources,
    })
}

/// A deployment as `ReleaseResource`, `RequestReturn` or `ReportResourceDeploymentStatus`.
pub async fn deployment_message(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    kind: EdxlRmMessage,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let d = deployments::load_visible(db, viewer, id).await?;
    let agreement = agreements::load_visible(db, viewer, d.agreement_id).await?;
    let commit = commit_of(db, viewer, &agreement, now).await?;
    let (message_id, description) = match kind {
        EdxlRmMessage::ReleaseResource => {
            if d.released_at.is_none() {
                return Err(AppError::bad_input(
                    "message",
                    "the deployment has not been released: RELEASE_RESOURCE is written once it is",
                ));
            }
            (generated_id("release", d.id), Some("Released by the requesting party".to_owned()))
        }
        EdxlRmMessage::RequestReturn => {
            if d.recall_noticed_at.is_none() {
                return Err(AppError::bad_input(
                    "message",
                    "the assisting party has given no recall notice: REQUEST_RETURN is written once it has",
                ));
            }
            (generated_id("recall", d.id), d.recall_reason.clone())
        }
        _ => (format!("{}:{}", generated_id("status", d.id), d.version), None),
    };
    let owner = directory_contact(db, d.assisting_jurisdiction_id, "Owner").await?;
    let requesting = directory_contact(db, d.requesting_jurisdiction_id, "Requester").await?;
    let resources = commit
        .resources
        .into_iter()
        .map(|mut r| {
            r.response = None;
            r.resource.responsible_party = Some(owner.clone());
            r.resource.status = Some(ResourceStatus {
                refreshed_at: Some(d.updated_at),
                deployment_status: Some(d.status.clone()),
                availability: d.assignment.clone(),
            });
            r.anticipated_function = d.assignment.clone();
            r.schedule = deployment_schedule(kind, &d);
            r
        })
        .collect();
    Ok(Message {
        kind,
        message_id,
        sent_at: now,
        description,
        originating_message_id: commit.originating_message_id,
        preceding_message_id: Some(commit.message_id),
        incidents: commit.incidents,
        contacts: vec![owner, requesting],
        resources,
    })
}

fn deployment_schedule(kind: EdxlRmMessage, d: &deployment::Model) -> Vec<Schedule> {
    let mut schedule = Vec::new();
    let mut at = |name: &str, when: Option<DateTime<Utc>>, location: Option<String>| {
        if when.is_some() || location.is_some() {
            schedule.push(Schedule { kind: name.to_owned(), at: when, location });
        }
    };
    at("ActualDeparture", d.departed_at, None);
    at("ActualArrival", d.arrived_at, d.location.clone());
    if kind == EdxlRmMessage::RequestReturn {
        at("RequestedReturnDeparture", d.recall_effective_at, None);
    }
    at("ActualReturnDeparture", d.released_at, None);
    at("ActualReturnArrival", d.returned_at, None);
    at("Current", None, d.location.clone());
    schedule
}

/// An amendment that moves the departure later (its `changes` carry `estimatedDepartureAt`) as
/// `RequestExtendedDeploymentDuration`.
pub async fn request_extended_deployment_duration(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    let amendment =
        amendment::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("amendment", id))?;
    let agreement = agreements::load_visible(db, viewer, amendment.agreement_id)
        .await
        .map_err(|_| AppError::not_found("amendment", id))?;
    let until = amendment
        .changes
        .get("estimatedDepartureAt")
        .and_then(|v| v.as_str())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::bad_input(
                "message",
                "the amendment changes no estimatedDepartureAt: it is not an extension of the deployment",
            )
        })?;
    let commit = commit_of(db, viewer, &agreement, now).await?;
    let resources = commit
        .resources
        .into_iter()
        .map(|mut r| {
            r.response = None;
            r.schedule = vec![Schedule { kind: "RequestedReturnDeparture".into(), at: Some(until), location: None }];
            r
        })
        .collect();
    Ok(Message {
        kind: EdxlRmMessage::RequestExtendedDeploymentDuration,
        message_id: generated_id("extension", amendment.id),
        sent_at: now,
        description: Some(amendment.description.clone()),
        originating_message_id: commit.originating_message_id,
        preceding_message_id: Some(commit.message_id),
        incidents: commit.incidents,
        contacts: vec![directory_contact(db, amendment.proposed_by_jurisdiction_id, "Requester").await?],
        resources,
    })
}

/// The message of `kind` about the record `id`, as the viewer may see it.
pub async fn export(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    kind: EdxlRmMessage,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Message> {
    viewer.require_authenticated()?;
    match kind {
        EdxlRmMessage::RequestResource => request_resource(db, viewer, id, now).await,
        EdxlRmMessage::ResponseToRequestResource => response_to_request_resource(db, viewer, id, now).await,
        EdxlRmMessage::CommitResource => commit_resource(db, viewer, id, now).await,
        EdxlRmMessage::ReleaseResource
        | EdxlRmMessage::RequestReturn
        | EdxlRmMessage::ReportResourceDeploymentStatus => deployment_message(db, viewer, kind, id, now).await,
        EdxlRmMessage::RequestExtendedDeploymentDuration => {
            request_extended_deployment_duration(db, viewer, id, now).await
        }
    }
}

/// The `DeploymentStatus` value list, as published.
pub fn deployment_status_value_list() -> (&'static str, Vec<&'static str>) {
    (DEPLOYMENT_STATUS_URN, crate::domain::enums::DeploymentStatus::ALL.iter().map(|s| s.as_str()).collect())
}

/// A request line's `ResourceInfoElementID`: its number, from 1.
pub fn line_number(line: &request_line_item::Model) -> String {
    (line.position + 1).to_string()
}
