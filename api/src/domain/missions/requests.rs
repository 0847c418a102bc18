//! Resource requests: drafting, submission in writing or verbally, the coordinator's mission number and
//! direction, cancellation, closing, and finding candidate assisting jurisdictions.

use std::collections::{BTreeMap, HashMap};

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Duration, Utc};
use entities::{
    compact, deployment, incident, inventory_item, jurisdiction, membership, request_line_item, request_recipient,
    resource_request, resource_type,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::requests_visible_to;
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::{load_compact, membership_status_at};
use crate::domain::enums::{
    DeadlineKind, DeploymentStatus, IncidentStatus, Priority, ProvidedBy, RecordType, RequestChannel, RequestStatus,
    Role,
};
use crate::domain::events::{self, NewEvent};
use crate::domain::{lifecycle, validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::DateTime as DateTimeScalar;

/// One typed line of a request.
#[derive(Debug, Clone, InputObject)]
pub struct LineItemInput {
    /// The resource type from the catalog.
    pub resource_type_id: ID,
    /// How many.
    pub quantity: i32,
    /// For how long, in hours.
    pub estimated_duration_hours: Option<i32>,
    /// By when the resources are needed on site.
    pub needed_by: Option<DateTimeScalar>,
    /// Mission details for this line.
    pub description: Option<String>,
}

/// A new resource request (RMA Part I, SMAA Form 101, ICS 213 RR).
#[derive(Debug, Clone, InputObject)]
pub struct CreateResourceRequestInput {
    /// The compact the request is made under.
    pub compact_id: ID,
    /// The incident the help is for.
    pub incident_id: ID,
    /// The requesting jurisdiction; the caller's own when omitted (a coordinator must name it).
    pub requesting_jurisdiction_id: Option<ID>,
    /// The requesting party's own number; generated when omitted.
    pub request_number: Option<String>,
    /// How urgent.
    #[graphql(default_with = "Priority::Routine")]
    pub priority: Priority,
    /// The mission, in words.
    pub description: Option<String>,
    /// Emergency support functions concerned (`ESF-4 Firefighting`...). At most 32.
    #[graphql(default)]
    #[graphql(validator(max_items = 32))]
    pub support_functions: Vec<String>,
    /// Public infrastructure systems concerned. At most 32.
    #[graphql(default)]
    #[graphql(validator(max_items = 32))]
    pub public_infrastructure: Vec<String>,
    /// Where the resources report.
    pub staging_location: Option<String>,
    /// Who receives them at the staging location.
    pub staging_contact_name: Option<String>,
    /// Telephone of the staging contact.
    pub staging_contact_phone: Option<String>,
    /// The requesting party's point of contact.
    pub contact_name: Option<String>,
    /// Telephone of the point of contact.
    pub contact_phone: Option<String>,
    /// E-mail of the point of contact.
    pub contact_email: Option<String>,
    /// Hours the assisting resources must be self-sufficient on arrival.
    pub self_sufficiency_hours: Option<i32>,
    /// Who feeds deployed personnel.
    #[graphql(default_with = "ProvidedBy::RequestingParty")]
    pub food_provided_by: ProvidedBy,
    /// Who houses deployed personnel.
    #[graphql(default_with = "ProvidedBy::RequestingParty")]
    pub housing_provided_by: ProvidedBy,
    /// What is needed. At most 100.
    #[graphql(validator(max_items = 100))]
    pub line_items: Vec<LineItemInput>,
    /// Members the request is addressed to. At most 200.
    #[graphql(default)]
    #[graphql(validator(max_items = 200))]
    pub recipient_ids: Vec<ID>,
    /// Whether every active member may answer.
    #[graphql(default)]
    pub broadcast: bool,
}

/// A request made verbally (by telephone or radio), recorded now; the written request falls due per the policy.
#[derive(Debug, Clone, InputObject)]
pub struct RecordVerbalRequestInput {
    /// The request as it was made.
    pub request: CreateResourceRequestInput,
    /// When it was made; now if omitted.
    pub requested_at: Option<DateTimeScalar>,
}

/// A step on a request.
#[derive(Debug, Clone, InputObject)]
pub struct RequestStepInput {
    /// The request.
    pub request_id: ID,
    /// The version the step was based on.
    pub expected_version: Option<i32>,
    /// Why (for cancellation or an unfilled request).
    pub reason: Option<String>,
}

/// The written confirmation of a request (a verbal one, or any in a compact that asks it of every request).
#[derive(Debug, Clone, InputObject)]
pub struct ConfirmRequestInWritingInput {
    /// The request.
    pub request_id: ID,
    /// When the written request was received; now if omitted.
    pub received_at: Option<DateTimeScalar>,
}

/// The coordinator's mission number, which opens sourcing in a coordinated compact.
#[derive(Debug, Clone, InputObject)]
pub struct AssignMissionNumberInput {
    /// The request.
    pub request_id: ID,
    /// The mission number, unique in the compact.
    pub mission_number: String,
    /// Members to address (added to those already addressed). At most 200.
    #[graphql(default)]
    #[graphql(validator(max_items = 200))]
    pub recipient_ids: Vec<ID>,
    /// Whether every active member may answer.
    pub broadcast: Option<bool>,
    /// The version the step was based on.
    pub expected_version: Option<i32>,
}

/// Addressing a request to members.
#[derive(Debug, Clone, InputObject)]
pub struct DirectResourceRequestInput {
    /// The request.
    pub request_id: ID,
    /// Members to address (added to those already addressed). At most 200.
    #[graphql(default)]
    #[graphql(validator(max_items = 200))]
    pub recipient_ids: Vec<ID>,
    /// Whether every active member may answer.
    pub broadcast: Option<bool>,
}

const SSN_MESSAGE: &str = "do not send Social Security numbers: personnel are identified by name and position";

/// Refuses text that holds something shaped like a US Social Security number.
pub fn refuse_ssn(field: &str, text: &str) -> AppResult<()> {
    let digits: Vec<char> = text.chars().collect();
    for start in 0..digits.len() {
        let mut count = 0;
        let mut end = start;
        while end < digits.len() && count < 9 {
            match digits[end] {
                c if c.is_ascii_digit() => count += 1,
                '-' | ' ' if count > 0 => {}
                _ => break,
            }
            end += 1;
        }
        let bounded_before = start == 0 || !digits[start - 1].is_ascii_digit();
        let bounded_after = end >= digits.len() || !digits[end].is_ascii_digit();
        if count == 9 && bounded_before && bounded_after && digits[start].is_ascii_digit() {
            return Err(AppError::bad_input(field, SSN_MESSAGE));
        }
    }
    Ok(())
}

/// Loads a request the viewer may see, or `NOT_FOUND`.
pub async fn load_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<resource_request::Model> {
    viewer.require_authenticated()?;
    resource_request::Entity::find_by_id(id)
        .filter(requests_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", id))
}

/// Loads a request for a change, locking its row on PostgreSQL so that concurrent changes to it serialize.
pub async fn load_for_update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<resource_request::Model> {
    load_visible(db, viewer, id).await?;
    versioned::lock::<resource_request::Entity>(db, id, "resource request").await
}

/// Whether `jurisdiction_id` takes part in `compact_id` at `now`: an active member, or one that gave notice of
/// termination that has not yet taken effect (the AACOG agreement: a member stays bound through the 90 days of
/// notice).
pub async fn takes_part(
    db: &impl ConnectionTrait,
    compact_id: Uuid,
    jurisdiction_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let found = membership::Entity::find()
        .filter(membership::Column::CompactId.eq(compact_id))
        .filter(membership::Column::JurisdictionId.eq(jurisdiction_id))
        .one(db)
        .await?;
    Ok(match found {
        Some(m) => membership_status_at(&m, now)?.takes_part(),
        None => false,
    })
}

/// `FORBIDDEN` unless the viewer is the authorized representative of the requesting jurisdiction.
pub fn ensure_requesting_party(viewer: &Viewer, request: &resource_request::Model) -> AppResult<()> {
    viewer.require_authenticated()?;
    if viewer.represents(request.requesting_jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the requesting party's authorized representative may do this"))
    }
}

/// `FORBIDDEN` unless the viewer coordinates the request's compact.
pub fn ensure_coordinator(viewer: &Viewer, compact_id: Uuid) -> AppResult<()> {
    viewer.require_authenticated()?;
    if viewer.has_compact_role(Role::Coordinator, compact_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only the compact's coordinator may do this"))
    }
}

fn strings(field: &str, values: &[String]) -> AppResult<Vec<String>> {
    if values.len() > 32 {
        return Err(AppError::bad_input(field, format!("{field} may list at most 32 entries")));
    }
    values.iter().map(|v| validate::text(field, v, 120)).collect()
}

async fn recipients(
    db: &impl ConnectionTrait,
    compact_id: Uuid,
    requesting: Uuid,
    ids: &[ID],
    now: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    // Parsed and de-duplicated before any lookup, so a repeated id costs nothing.
    let mut unique = std::collections::BTreeSet::new();
    for id in ids {
        unique.insert(validate::id("recipientIds", id)?);
    }
    let mut out = Vec::with_capacity(unique.len());
    for id in unique {
        if id == requesting {
            return Err(AppError::bad_input("recipientIds", "a request is not addressed to its own requesting party"));
        }
        if !takes_part(db, compact_id, id, now).await? {
            return Err(AppError::bad_input(
                "recipientIds",
                format!("{id} is not a member of the compact, or its termination has taken effect"),
            ));
        }
        out.push(id);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

async fn add_recipients(db: &impl ConnectionTrait, request_id: Uuid, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let existing: Vec<Uuid> = request_recipient::Entity::find()
        .filter(request_recipient::Column::RequestId.eq(request_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.jurisdiction_id)
        .collect();
    let new: Vec<Uuid> = ids.iter().copied().filter(|id| !existing.contains(id)).collect();
    if !new.is_empty() {
        request_recipient::Entity::insert_many(
            new.iter()
                .map(|j| request_recipient::ActiveModel { request_id: Set(request_id), jurisdiction_id: Set(*j) }),
        )
        .exec(db)
        .await?;
    }
    Ok(new)
}

async fn all_recipients(db: &impl ConnectionTrait, request_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(request_recipient::Entity::find()
        .filter(request_recipient::Column::RequestId.eq(request_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.jurisdiction_id)
        .collect())
}

/// Inserts a request and its lines as a draft. Authorization is the caller's.
async fn insert_request(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: &CreateResourceRequestInput,
    requesting: Uuid,
    verbal_at: Option<DateTime<Utc>>,
) -> AppResult<(resource_request::Model, compact::Model)> {
    let compact_id = validate::id("compactId", &input.compact_id)?;
    let incident_id = validate::id("incidentId", &input.incident_id)?;
    let compact = load_compact(db, compact_id)
        .await
        .map_err(|_| AppError::bad_input("compactId", "the compact does not exist"))?;
    if !takes_part(db, compact_id, requesting, now).await? {
        return Err(AppError::bad_input(
            "compactId",
            "only a member of the compact (one whose termination has not taken effect) may request assistance under it",
        ));
    }
    let not_eligible = || {
        AppError::bad_input(
            "incidentId",
            "no such incident of this jurisdiction or of one within it: a jurisdiction requests help for its own incidents",
        )
    };
    let incident = incident::Entity::find_by_id(incident_id).one(db).await?.ok_or_else(not_eligible)?;
    let own = incident.jurisdiction_id == requesting;
    let supported = !own
        && jurisdiction::Entity::find_by_id(incident.jurisdiction_id)
            .one(db)
            .await?
            .is_some_and(|j| j.parent_id == Some(requesting));
    if !own && !supported {
        return Err(not_eligible());
    }
    if IncidentStatus::from_db(&incident.status)? != IncidentStatus::Active {
        return Err(AppError::bad_input("incidentId", "the incident is closed"));
    }
    if input.line_items.is_empty() || input.line_items.len() > 50 {
        return Err(AppError::bad_input("lineItems", "a request has between 1 and 50 line items"));
    }
    if let Some(hours) = input.self_sufficiency_hours
        && !(0..=24 * 30).contains(&hours)
    {
        return Err(AppError::bad_input("selfSufficiencyHours", "selfSufficiencyHours must be between 0 and 720"));
    }
    if let Some(description) = &input.description {
        refuse_ssn("description", description)?;
    }
    let recipient_ids = recipients(db, compact_id, requesting, &input.recipient_ids, now).await?;
    let request_number = match &input.request_number {
        Some(number) => validate::text("requestNumber", number, 64)?,
        None => {
            let count = resource_request::Entity::find()
                .filter(resource_request::Column::RequestingJurisdictionId.eq(requesting))
                .count(db)
                .await?;
            format!("{}-{:04}", now.format("%Y"), count + 1)
        }
    };
    let channel = if compact.mission_numbers_required { RequestChannel::Coordinated } else { RequestChannel::Direct };
    let id = Uuid::now_v7();
    let on_behalf = !viewer.represents(requesting);
    let model = resource_request::ActiveModel {
        id: Set(id),
        compact_id: Set(compact_id),
        requesting_jurisdiction_id: Set(requesting),
        incident_id: Set(incident_id),
        request_number: Set(request_number),
        mission_number: Set(None),
        channel: Set(channel.as_str().to_owned()),
        status: Set(RequestStatus::Draft.as_str().to_owned()),
        priority: Set(input.priority.as_str().to_owned()),
        verbal: Set(verbal_at.is_some()),
        requested_at: Set(verbal_at.unwrap_or(now)),
        written_confirmed_at: Set(None),
        entered_by_coordinator: Set(on_behalf),
        entered_by_subject: Set(viewer.subject.clone()),
        broadcast: Set(input.broadcast),
        support_functions: Set(json!(strings("supportFunctions", &input.support_functions)?)),
        public_infrastructure: Set(json!(strings("publicInfrastructure", &input.public_infrastructure)?)),
        description: Set(validate::optional_text("description", input.description.as_deref(), 4000)?),
        staging_location: Set(validate::optional_text("stagingLocation", input.staging_location.as_deref(), 1000)?),
        staging_contact_name: Set(validate::optional_text(
            "stagingContactName",
            input.staging_contact_name.as_deref(),
            200,
        )?),
        staging_contact_phone: Set(validate::phone("stagingContactPhone", input.staging_contact_phone.as_deref())?),
        contact_name: Set(validate::optional_text("contactName", input.contact_name.as_deref(), 200)?),
        contact_phone: Set(validate::phone("contactPhone", input.contact_phone.as_deref())?),
        contact_email: Set(validate::email("contactEmail", input.contact_email.as_deref())?),
        self_sufficiency_hours: Set(input.self_sufficiency_hours),
        food_provided_by: Set(input.food_provided_by.as_str().to_owned()),
        housing_provided_by: Set(input.housing_provided_by.as_str().to_owned()),
        submitted_at: Set(None),
        opened_at: Set(None),
        filled_at: Set(None),
        closed_at: Set(None),
        status_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(db)
    .await
    .map_err(AppError::on_unique("the requesting party already has a request with this number"))?;
    for (position, line) in input.line_items.iter().enumerate() {
        let field = format!("lineItems.{position}");
        let type_id = validate::id(&format!("{field}.resourceTypeId"), &line.resource_type_id)?;
        if resource_type::Entity::find_by_id(type_id).one(db).await?.is_none() {
            return Err(AppError::bad_input(&format!("{field}.resourceTypeId"), "the resource type does not exist"));
        }
        if !(1..=10_000).contains(&line.quantity) {
            return Err(AppError::bad_input(&format!("{field}.quantity"), "quantity must be between 1 and 10000"));
        }
        if let Some(hours) = line.estimated_duration_hours
            && !(1..=24 * 365).contains(&hours)
        {
            return Err(AppError::bad_input(
                &format!("{field}.estimatedDurationHours"),
                "estimatedDurationHours must be between 1 and 8760",
            ));
        }
        request_line_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            request_id: Set(id),
            position: Set(position as i32),
            resource_type_id: Set(type_id),
            quantity: Set(line.quantity),
            estimated_duration_hours: Set(line.estimated_duration_hours),
            needed_by: Set(line.needed_by.map(|at| at.0)),
            description: Set(validate::optional_text(
                &format!("{field}.description"),
                line.description.as_deref(),
                2000,
            )?),
        }
        .insert(db)
        .await?;
    }
    add_recipients(db, id, &recipient_ids).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceRequest, id, "CREATED")
            .status(None::<&str>, RequestStatus::Draft)
            .compact(Some(compact_id))
            .concerning([requesting])
            .payload(json!({
                "requestNumber": model.request_number, "incidentId": incident_id, "lineItems": input.line_items.len(),
                "verbal": verbal_at.is_some(), "enteredByCoordinator": on_behalf,
            })),
    )
    .await?;
    Ok((model, compact))
}

#[expect(clippy::too_many_arguments, reason = "one private helper applies every transition of this record")]
async fn save_status(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &resource_request::Model,
    expected_version: Option<i32>,
    action: &'static str,
    event_action: &'static str,
    edit: impl FnOnce(&mut resource_request::ActiveModel, RequestStatus),
    payload: serde_json::Value,
) -> AppResult<resource_request::Model> {
    let from = RequestStatus::from_db(&current.status)?;
    let to = lifecycle::request(from, action)?;
    let version = versioned::expected(expected_version, current.version)?;
    let mut active = current.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.updated_at = Set(now);
    edit(&mut active, to);
    versioned::update(db, active, current.id, version).await?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceRequest, current.id, event_action)
            .status(Some(from), to)
            .compact(Some(current.compact_id))
            .concerning([current.requesting_jurisdiction_id])
            .concerning(all_recipients(db, current.id).await?)
            .payload(payload),
    )
    .await?;
    resource_request::Entity::find_by_id(current.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", current.id))
}

/// Moves a submitted request to sourcing (the compact's own channel decides who may).
async fn open(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &resource_request::Model,
    payload: serde_json::Value,
) -> AppResult<resource_request::Model> {
    save_status(db, viewer, now, current, None, "open", "OPENED", |a, _| a.opened_at = Set(Some(now)), payload).await
}

/// `BAD_USER_INPUT` unless the request states where the resources report and when every line is needed, as the
/// compact asks (AACOG agreement section 6, Conditions (b)).
async fn ensure_location_and_time(
    db: &impl ConnectionTrait,
    current: &resource_request::Model,
    compact: &compact::Model,
) -> AppResult<()> {
    if current.staging_location.as_deref().is_none_or(|l| l.trim().is_empty()) {
        return Err(AppError::bad_input(
            "stagingLocation",
            format!(
                "{} asks every request to state where the resources are to report: give a staging location",
                compact.short_name
            ),
        ));
    }
    let lines = request_line_item::Entity::find()
        .filter(request_line_item::Column::RequestId.eq(current.id))
        .order_by_asc(request_line_item::Column::Position)
        .all(db)
        .await?;
    if let Some((i, _)) = lines.iter().enumerate().find(|(_, l)| l.needed_by.is_none()) {
        return Err(AppError::bad_input(
            &format!("lineItems.{i}.neededBy"),
            format!("{} asks every request to state the time by which each resource is needed", compact.short_name),
        ));
    }
    Ok(())
}

async fn submit_in(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    current: &resource_request::Model,
    compact: &compact::Model,
    expected_version: Option<i32>,
) -> AppResult<resource_request::Model> {
    if compact.request_location_and_time_required {
        ensure_location_and_time(db, current, compact).await?;
    }
    let submitted = save_status(
        db,
        viewer,
        now,
        current,
        expected_version,
        "submit",
        if current.verbal { "SUBMITTED_VERBALLY" } else { "SUBMITTED" },
        |a, _| a.submitted_at = Set(Some(now)),
        json!({ "verbal": current.verbal }),
    )
    .await?;
    // Where the compact wants every request confirmed in writing (Utah's Form 100), the clock runs from when the
    // jurisdiction sought assistance; elsewhere only a verbal request owes its written form.
    let owed = compact.written_request_after_request_hours.or(if submitted.verbal {
        compact.written_request_after_verbal_hours
    } else {
        None
    });
    if owed.is_some() {
        // A verbal request sought assistance when the call was made; a written one when it is submitted.
        let sought_at = if submitted.verbal { submitted.requested_at } else { now };
        let due = deadlines::hours_after(sought_at, owed);
        let new = NewDeadline {
            compact_id: Some(compact.id),
            record_type: RecordType::ResourceRequest,
            record_id: submitted.id,
            kind: DeadlineKind::WrittenRequest,
            owed_by: Some(submitted.requesting_jurisdiction_id),
            starts_at: sought_at,
        };
        deadlines::create(db, viewer, now, new, due).await?;
    }
    if compact.mission_numbers_required {
        Ok(submitted)
    } else {
        open(db, viewer, now, &submitted, json!({ "channel": RequestChannel::Direct })).await
    }
}

/// Creates a draft request for the caller's jurisdiction.
pub async fn create(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CreateResourceRequestInput,
) -> AppResult<resource_request::Model> {
    viewer.require_authenticated()?;
    let requesting = match &input.requesting_jurisdiction_id {
        Some(id) => validate::id("requestingJurisdictionId", id)?,
        None => viewer
            .jurisdiction_id
            .ok_or_else(|| AppError::bad_input("requestingJurisdictionId", "the caller represents no jurisdiction"))?,
    };
    if !viewer.represents(requesting) {
        return Err(AppError::forbidden(
            "only the requesting jurisdiction's authorized representative drafts its requests",
        ));
    }
    let txn = events::begin(db).await?;
    let (model, _) = insert_request(&txn, viewer, now, &input, requesting, None).await?;
    txn.commit().await?;
    Ok(model)
}

/// Drafts a request for `requesting` inside the caller's transaction and, when `submit` is set, submits it in
/// writing, with the same authority and membership checks as [`create`] and [`submit`].
pub async fn create_in(
    txn: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: &CreateResourceRequestInput,
    requesting: Uuid,
    submit: bool,
) -> AppResult<resource_request::Model> {
    if !viewer.represents(requesting) {
        return Err(AppError::forbidden(
            "only the requesting jurisdiction's authorized representative drafts its requests",
        ));
    }
    let (draft, compact) = insert_request(txn, viewer, now, input, requesting, None).await?;
    if !submit {
        return Ok(draft);
    }
    if !takes_part(txn, compact.id, requesting, now).await? {
        return Err(AppError::forbidden("the requesting jurisdiction is no longer an active member of the compact"));
    }
    submit_in(txn, viewer, now, &draft, &compact, None).await
}

/// Records a request made verbally, by the requesting party or by the compact's coordinator on its behalf; it
/// is submitted at once and its written confirmation falls due per the policy.
pub async fn record_verbal(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordVerbalRequestInput,
) -> AppResult<resource_request::Model> {
    viewer.require_authenticated()?;
    let compact_id = validate::id("request.compactId", &input.request.compact_id)?;
    let requesting = match &input.request.requesting_jurisdiction_id {
        Some(id) => validate::id("request.requestingJurisdictionId", id)?,
        None => viewer.jurisdiction_id.ok_or_else(|| {
            AppError::bad_input("request.requestingJurisdictionId", "name the jurisdiction that made the request")
        })?,
    };
    if !viewer.represents(requesting) && !viewer.has_compact_role(Role::Coordinator, compact_id) {
        return Err(AppError::forbidden(
            "a verbal request is recorded by the requesting party or by the compact's coordinator",
        ));
    }
    let requested_at = input.requested_at.map_or(now, |at| at.0);
    if requested_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input("requestedAt", "requestedAt cannot be in the future"));
    }
    let txn = events::begin(db).await?;
    let (draft, compact) = insert_request(&txn, viewer, now, &input.request, requesting, Some(requested_at)).await?;
    let model = submit_in(&txn, viewer, now, &draft, &compact, None).await?;
    txn.commit().await?;
    Ok(model)
}

/// Submits a draft in writing; in a direct compact it opens at once to the addressed members.
pub async fn submit(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RequestStepInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting_party(viewer, &current)?;
    let compact = load_compact(&txn, current.compact_id).await?;
    if !takes_part(&txn, compact.id, current.requesting_jurisdiction_id, now).await? {
        return Err(AppError::forbidden("the requesting jurisdiction is no longer an active member of the compact"));
    }
    let model = submit_in(&txn, viewer, now, &current, &compact, input.expected_version).await?;
    txn.commit().await?;
    Ok(model)
}

/// Records the written confirmation of a submitted request (of a verbal one, or of any where the compact asks it).
pub async fn confirm_in_writing(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ConfirmRequestInWritingInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let received_at = input.received_at.map_or(now, |at| at.0);
    if received_at > now + Duration::minutes(5) {
        return Err(AppError::bad_input("receivedAt", "receivedAt cannot be in the future"));
    }
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    if !viewer.represents(current.requesting_jurisdiction_id)
        && !viewer.has_compact_role(Role::Coordinator, current.compact_id)
    {
        return Err(AppError::forbidden("the requesting party or the coordinator records the written request"));
    }
    let compact = load_compact(&txn, current.compact_id).await?;
    if !current.verbal && compact.written_request_after_request_hours.is_none() {
        return Err(AppError::bad_input(
            "requestId",
            "the request was made in writing, and this compact asks a written confirmation only of verbal requests",
        ));
    }
    let Some(submitted_at) = current.submitted_at else {
        return Err(AppError::bad_input("requestId", "the request is a draft: submit it first"));
    };
    if current.written_confirmed_at.is_some() {
        return Err(AppError::Conflict("the written request is already recorded".into()));
    }
    // The request it confirms was made when the call was made, or (in writing) when it was submitted.
    let made_at = if current.verbal { current.requested_at } else { submitted_at };
    if received_at < made_at {
        return Err(AppError::bad_input(
            "receivedAt",
            format!(
                "the written request cannot be dated before the request it confirms, made at {}",
                made_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ));
    }
    let mut active = current.clone().into_active_model();
    active.written_confirmed_at = Set(Some(received_at));
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    let mut deadline = deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::WrittenRequest, received_at).await?;
    // The coordinator receives the written request: when it records the date, that date is confirmed.
    if let Some(d) = &deadline
        && d.stated_at.is_some()
        && viewer.has_compact_role(Role::Coordinator, current.compact_id)
        && !d.owed_by_jurisdiction_id.is_some_and(|j| viewer.represents(j))
    {
        deadline = Some(deadlines::confirm(&txn, viewer, now, d).await?);
    }
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceRequest, id, "CONFIRMED_IN_WRITING")
            .compact(Some(current.compact_id))
            .concerning([current.requesting_jurisdiction_id])
            .payload(json!({ "receivedAt": received_at, "deadlineStatus": deadline.map(|d| d.status) })),
    )
    .await?;
    let model = resource_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", id))?;
    txn.commit().await?;
    Ok(model)
}

/// The coordinator assigns the mission number, which opens sourcing in a coordinated compact.
pub async fn assign_mission_number(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AssignMissionNumberInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let number = validate::text("missionNumber", &input.mission_number, 64)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_coordinator(viewer, current.compact_id)?;
    let from = RequestStatus::from_db(&current.status)?;
    lifecycle::request(from, "open")?;
    let version = versioned::expected(input.expected_version, current.version)?;
    let taken = resource_request::Entity::find()
        .filter(resource_request::Column::CompactId.eq(current.compact_id))
        .filter(resource_request::Column::MissionNumber.eq(&number))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(AppError::Conflict(format!("mission number {number} is already assigned in this compact")));
    }
    let new =
        recipients(&txn, current.compact_id, current.requesting_jurisdiction_id, &input.recipient_ids, now).await?;
    add_recipients(&txn, id, &new).await?;
    let mut active = current.clone().into_active_model();
    active.mission_number = Set(Some(number.clone()));
    if let Some(broadcast) = input.broadcast {
        active.broadcast = Set(broadcast);
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, version).await?;
    let numbered = resource_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", id))?;
    let model = open(&txn, viewer, now, &numbered, json!({ "missionNumber": number, "recipients": new })).await?;
    txn.commit().await?;
    Ok(model)
}

/// Addresses a request to more members, or broadcasts it: the coordinator, or the requesting party in a direct
/// compact.
pub async fn direct(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: DirectResourceRequestInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let coordinator = viewer.has_compact_role(Role::Coordinator, current.compact_id);
    let direct_party = !compact.mission_numbers_required && viewer.represents(current.requesting_jurisdiction_id);
    if !coordinator && !direct_party {
        return Err(AppError::forbidden(
            "the coordinator directs requests (the requesting party too, in a direct compact)",
        ));
    }
    let status = RequestStatus::from_db(&current.status)?;
    if !matches!(status, RequestStatus::Draft | RequestStatus::Submitted | RequestStatus::Open) {
        return Err(AppError::InvalidTransition {
            record: "resource request",
            action: "direct",
            current: status.to_string(),
        });
    }
    let new =
        recipients(&txn, current.compact_id, current.requesting_jurisdiction_id, &input.recipient_ids, now).await?;
    let added = add_recipients(&txn, id, &new).await?;
    let mut active = current.clone().into_active_model();
    if let Some(broadcast) = input.broadcast {
        active.broadcast = Set(broadcast);
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::ResourceRequest, id, "DIRECTED")
            .compact(Some(current.compact_id))
            .concerning([current.requesting_jurisdiction_id])
            .concerning(added.clone())
            .payload(json!({ "added": added, "broadcast": input.broadcast })),
    )
    .await?;
    let model = resource_request::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", id))?;
    txn.commit().await?;
    Ok(model)
}

/// Cancels a request before it is filled.
pub async fn cancel(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RequestStepInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting_party(viewer, &current)?;
    ensure_no_deployment_out(&txn, &current, "cancel").await?;
    let model = save_status(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "cancel",
        "CANCELLED",
        |a, _| {
            a.closed_at = Set(Some(now));
            a.status_reason = Set(reason.clone());
        },
        json!({ "reason": reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Ends sourcing of a request that could not be filled: the requesting party or the coordinator.
pub async fn mark_unfilled(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RequestStepInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let reason = validate::optional_text("reason", input.reason.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    if !viewer.represents(current.requesting_jurisdiction_id)
        && !viewer.has_compact_role(Role::Coordinator, current.compact_id)
    {
        return Err(AppError::forbidden("the requesting party or the coordinator ends sourcing"));
    }
    let model = save_status(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "mark unfilled",
        "UNFILLED",
        |a, _| a.status_reason = Set(reason.clone()),
        json!({ "reason": reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Closes a filled or unfilled request once every deployment is back.
pub async fn close(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RequestStepInput,
) -> AppResult<resource_request::Model> {
    let id = validate::id("requestId", &input.request_id)?;
    let txn = events::begin(db).await?;
    let current = load_for_update(&txn, viewer, id).await?;
    ensure_requesting_party(viewer, &current)?;
    ensure_no_deployment_out(&txn, &current, "close").await?;
    let model = save_status(
        &txn,
        viewer,
        now,
        &current,
        input.expected_version,
        "close",
        "CLOSED",
        |a, _| a.closed_at = Set(Some(now)),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// `INVALID_TRANSITION` while a deployment of the request is still out (preparing, travelling or on site).
async fn ensure_no_deployment_out(
    db: &impl ConnectionTrait,
    request: &resource_request::Model,
    action: &'static str,
) -> AppResult<()> {
    let deployments = deployment::Entity::find().filter(deployment::Column::RequestId.eq(request.id)).all(db).await?;
    for d in &deployments {
        if lifecycle::deployment_is_out(DeploymentStatus::from_db(&d.status)?) {
            return Err(AppError::InvalidTransition {
                record: "resource request",
                action,
                current: format!("{} with deployment {} still {}", request.status, d.id, d.status),
            });
        }
    }
    Ok(())
}

/// Reopens a filled request whose coverage was lost (a deployment cancelled before departure).
pub async fn reopen_if_uncovered(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    request_id: Uuid,
    accepted: &HashMap<Uuid, i32>,
) -> AppResult<()> {
    let Some(current) = resource_request::Entity::find_by_id(request_id).one(db).await? else { return Ok(()) };
    if RequestStatus::from_db(&current.status)? != RequestStatus::Filled {
        return Ok(());
    }
    let lines =
        request_line_item::Entity::find().filter(request_line_item::Column::RequestId.eq(request_id)).all(db).await?;
    if lines.iter().all(|line| accepted.get(&line.id).copied().unwrap_or(0) >= line.quantity) {
        return Ok(());
    }
    save_status(db, viewer, now, &current, None, "reopen", "REOPENED", |a, _| a.filled_at = Set(None), json!({}))
        .await?;
    Ok(())
}

/// Marks a request filled when accepted quantities cover every line (called inside the accepting transaction).
pub async fn fill_if_covered(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    request: &resource_request::Model,
    accepted: &HashMap<Uuid, i32>,
) -> AppResult<resource_request::Model> {
    let lines =
        request_line_item::Entity::find().filter(request_line_item::Column::RequestId.eq(request.id)).all(db).await?;
    let covered = lines.iter().all(|line| accepted.get(&line.id).copied().unwrap_or(0) >= line.quantity);
    let current = resource_request::Entity::find_by_id(request.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("resource request", request.id))?;
    if !covered {
        let mut active = current.clone().into_active_model();
        active.updated_at = Set(now);
        versioned::update(db, active, current.id, current.version).await?;
        return resource_request::Entity::find_by_id(request.id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::not_found("resource request", request.id));
    }
    save_status(db, viewer, now, &current, None, "fill", "FILLED", |a, _| a.filled_at = Set(Some(now)), json!({})).await
}

/// A member that could answer a request.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The member.
    pub jurisdiction: jurisdiction::Model,
    /// Great-circle distance from the incident (or the requesting jurisdiction), in kilometres.
    pub distance_km: Option<f64>,
    /// Available quantity of each requested resource type the member holds.
    pub available: Vec<(Uuid, i32)>,
    /// Whether its availability covers every line of the request on its own.
    pub covers_all_lines: bool,
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Active members (other than the requesting party) with available inventory of the requested types, closest
/// first, as automatic aid ranks them. For the coordinator and the requesting party.
pub async fn candidates(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: Uuid,
) -> AppResult<Vec<Candidate>> {
    let request = load_visible(db, viewer, id).await?;
    let coordinates = viewer.has_compact_role(Role::Coordinator, request.compact_id) || viewer.is_admin();
    if !coordinates {
        if !viewer.represents(request.requesting_jurisdiction_id) {
            return Err(AppError::forbidden("candidates are for the coordinator and the requesting party"));
        }
        let shared = entities::compact::Entity::find_by_id(request.compact_id)
            .one(db)
            .await?
            .is_some_and(|c| c.inventory_shared_with_members);
        if !shared {
            return Err(AppError::forbidden(
                "this compact does not share its members' inventory with them; its coordinator sources the request",
            ));
        }
    }
    let status = RequestStatus::from_db(&request.status)?;
    if !matches!(status, RequestStatus::Submitted | RequestStatus::Open) {
        return Err(AppError::InvalidTransition {
            record: "resource request",
            action: "source",
            current: status.to_string(),
        });
    }
    let lines = request_line_item::Entity::find().filter(request_line_item::Column::RequestId.eq(id)).all(db).await?;
    let mut needed: BTreeMap<Uuid, i32> = BTreeMap::new();
    for line in &lines {
        *needed.entry(line.resource_type_id).or_default() += line.quantity;
    }
    let members =
        membership::Entity::find().filter(membership::Column::CompactId.eq(request.compact_id)).all(db).await?;
    let mut active = Vec::new();
    for m in members {
        if m.jurisdiction_id != request.requesting_jurisdiction_id && membership_status_at(&m, now)?.takes_part() {
            active.push(m.jurisdiction_id);
        }
    }
    let stock = inventory_item::Entity::find()
        .filter(inventory_item::Column::JurisdictionId.is_in(active.clone()))
        .filter(inventory_item::Column::ResourceTypeId.is_in(needed.keys().copied()))
        .filter(inventory_item::Column::QuantityAvailable.gt(0))
        .all(db)
        .await?;
    let mut by_holder: BTreeMap<Uuid, Vec<(Uuid, i32)>> = BTreeMap::new();
    for item in stock {
        by_holder.entry(item.jurisdiction_id).or_default().push((item.resource_type_id, item.quantity_available));
    }
    let holders =
        jurisdiction::Entity::find().filter(jurisdiction::Column::Id.is_in(by_holder.keys().copied())).all(db).await?;
    let incident = incident::Entity::find_by_id(request.incident_id).one(db).await?;
    let origin = match incident.and_then(|i| i.latitude.zip(i.longitude)) {
        Some(point) => Some(point),
        None => jurisdiction::Entity::find_by_id(request.requesting_jurisdiction_id)
            .one(db)
            .await?
            .and_then(|j| j.latitude.zip(j.longitude)),
    };
    let mut out: Vec<Candidate> = holders
        .into_iter()
        .map(|j| {
            let available = by_holder.remove(&j.id).unwrap_or_default();
            let covers_all_lines =
                needed.iter().all(|(type_id, quantity)| available.iter().any(|(t, q)| t == type_id && q >= quantity));
            let distance = origin.zip(j.latitude.zip(j.longitude)).map(|(a, b)| distance_km(a, b));
            Candidate { jurisdiction: j, distance_km: distance, available, covers_all_lines }
        })
        .collect();
    out.sort_by(|a, b| match (a.distance_km, b.distance_km) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.jurisdiction.name.cmp(&b.jurisdiction.name),
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_security_numbers_are_refused() {
        assert!(refuse_ssn("name", "Jo Smith 123-45-6789").is_err());
        assert!(refuse_ssn("name", "123456789").is_err());
        assert!(refuse_ssn("name", "123 45 6789").is_err());
        assert!(refuse_ssn("name", "Engine 51, unit 1234").is_ok());
        assert!(refuse_ssn("phone", "801-555-0142").is_ok(), "ten digits is a phone number");
        assert!(refuse_ssn("id", "1234567890").is_ok());
    }

    #[test]
    fn distances_are_great_circle_kilometres() {
        let salt_lake = (40.7608, -111.8910);
        let provo = (40.2338, -111.6585);
        let d = distance_km(salt_lake, provo);
        assert!((60.0..65.0).contains(&d), "{d}");
        assert!(distance_km(salt_lake, salt_lake) < 1e-9);
    }
}
