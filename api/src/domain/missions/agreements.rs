//! Agreements after acceptance: written signatures that execute a verbal agreement, numbered amendments
//! acknowledged by the other party, and the requesting party's after-action / summary report.

use async_graphql::{ID, InputObject, Json};
use chrono::{DateTime, Utc};
use entities::{agreement, amendment, deployment};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::agreements_visible_to;
use crate::domain::deadlines;
use crate::domain::enums::{AgreementStatus, AmendmentStatus, DeadlineKind, DeploymentStatus, RecordType};
use crate::domain::events::{self, NewEvent};
use crate::domain::requests::refuse_ssn;
use crate::domain::{lifecycle, validate, versioned};
use crate::error::{AppError, AppResult};

/// A party's written signature of a verbal agreement.
#[derive(Debug, Clone, InputObject)]
pub struct SignAgreementInput {
    /// The agreement.
    pub agreement_id: ID,
}

/// A proposed change to an agreement.
#[derive(Debug, Clone, InputObject)]
pub struct ProposeAmendmentInput {
    /// The agreement.
    pub agreement_id: ID,
    /// What changes and why.
    pub description: String,
    /// The changed terms, as structured data (for example `{"personnel": 6, "estimatedDepartureAt": "..."}`).
    pub changes: Option<Json<serde_json::Value>>,
}

/// The other party's acknowledgment of an amendment.
#[derive(Debug, Clone, InputObject)]
pub struct AcknowledgeAmendmentInput {
    /// The amendment.
    pub amendment_id: ID,
}

/// The after-action / summary report (RMA summary report, SMAA Form 111).
#[derive(Debug, Clone, InputObject)]
pub struct FileAfterActionReportInput {
    /// The agreement the report is for.
    pub agreement_id: ID,
    /// The report.
    pub summary: String,
}

/// Loads an agreement the viewer may see, or `NOT_FOUND`.
pub async fn load_visible(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<agreement::Model> {
    viewer.require_authenticated()?;
    agreement::Entity::find_by_id(id)
        .filter(agreements_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agreement", id))
}

async fn load_locked(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<agreement::Model> {
    load_visible(db, viewer, id).await?;
    versioned::lock::<agreement::Entity>(db, id, "agreement").await
}

/// Which side of the agreement the viewer signs for, or `FORBIDDEN`.
fn side(viewer: &Viewer, agreement: &agreement::Model) -> AppResult<bool> {
    if viewer.represents(agreement.requesting_jurisdiction_id) {
        Ok(true)
    } else if viewer.represents(agreement.assisting_jurisdiction_id) {
        Ok(false)
    } else {
        Err(AppError::forbidden("only an authorized representative of a party to the agreement may do this"))
    }
}

fn parties(agreement: &agreement::Model) -> [Uuid; 2] {
    [agreement.requesting_jurisdiction_id, agreement.assisting_jurisdiction_id]
}

/// Records a party's written signature; with both, a verbal agreement is executed.
pub async fn sign(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: SignAgreementInput,
) -> AppResult<agreement::Model> {
    let id = validate::id("agreementId", &input.agreement_id)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    let requesting = side(viewer, &current)?;
    let status = AgreementStatus::from_db(&current.status)?;
    if status != AgreementStatus::Verbal {
        return Err(AppError::InvalidTransition { record: "agreement", action: "sign", current: status.to_string() });
    }
    let already =
        if requesting { current.requesting_signed_at.is_some() } else { current.assisting_signed_at.is_some() };
    if already {
        return Err(AppError::Conflict("this party has already signed".into()));
    }
    let mut active = current.clone().into_active_model();
    if requesting {
        active.requesting_signed_by = Set(Some(viewer.subject.clone()));
        active.requesting_signed_at = Set(Some(now));
    } else {
        active.assisting_signed_by = Set(Some(viewer.subject.clone()));
        active.assisting_signed_at = Set(Some(now));
    }
    let both = (requesting || current.requesting_signed_at.is_some())
        && (!requesting || current.assisting_signed_at.is_some());
    let mut event = NewEvent::new(RecordType::Agreement, id, "SIGNED")
        .compact(Some(current.compact_id))
        .concerning(parties(&current))
        .payload(json!({ "party": if requesting { "REQUESTING" } else { "ASSISTING" } }));
    if both {
        let to = lifecycle::agreement(status, "execute")?;
        active.status = Set(to.as_str().to_owned());
        active.executed_at = Set(Some(now));
        event = event.status(Some(status), to);
    }
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    events::append(&txn, viewer, now, event).await?;
    if both {
        deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::WrittenAgreement, now).await?;
    }
    let model =
        agreement::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("agreement", id))?;
    txn.commit().await?;
    Ok(model)
}

/// Either party proposes a numbered amendment.
pub async fn propose_amendment(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ProposeAmendmentInput,
) -> AppResult<amendment::Model> {
    let id = validate::id("agreementId", &input.agreement_id)?;
    let description = validate::text("description", &input.description, 4000)?;
    refuse_ssn("description", &description)?;
    let changes = input.changes.map_or(json!({}), |c| c.0);
    if !changes.is_object() {
        return Err(AppError::bad_input("changes", "changes is a JSON object of the changed terms"));
    }
    refuse_ssn("changes", &changes.to_string())?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    let requesting = side(viewer, &current)?;
    let number = amendment::Entity::find().filter(amendment::Column::AgreementId.eq(id)).count(&txn).await? as i32 + 1;
    let amendment_id = Uuid::now_v7();
    let model = amendment::ActiveModel {
        id: Set(amendment_id),
        agreement_id: Set(id),
        number: Set(number),
        description: Set(description),
        changes: Set(changes.clone()),
        proposed_by_jurisdiction_id: Set(if requesting {
            current.requesting_jurisdiction_id
        } else {
            current.assisting_jurisdiction_id
        }),
        proposed_by_subject: Set(viewer.subject.clone()),
        proposed_at: Set(now),
        status: Set(AmendmentStatus::Proposed.as_str().to_owned()),
        acknowledged_by_subject: Set(None),
        acknowledged_at: Set(None),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Amendment, amendment_id, "PROPOSED")
            .status(None::<&str>, AmendmentStatus::Proposed)
            .compact(Some(current.compact_id))
            .concerning(parties(&current))
            .payload(json!({ "agreementId": id, "number": number, "changes": changes })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The other party acknowledges (signs) an amendment.
pub async fn acknowledge_amendment(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: AcknowledgeAmendmentInput,
) -> AppResult<amendment::Model> {
    let id = validate::id("amendmentId", &input.amendment_id)?;
    let txn = events::begin(db).await?;
    let current =
        amendment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("amendment", id))?;
    let agreement =
        load_locked(&txn, viewer, current.agreement_id).await.map_err(|_| AppError::not_found("amendment", id))?;
    side(viewer, &agreement)?;
    // Read again under the agreement's lock: a concurrent acknowledgment has been applied by now.
    let current =
        amendment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("amendment", id))?;
    if viewer.represents(current.proposed_by_jurisdiction_id) {
        return Err(AppError::forbidden("the other party acknowledges an amendment, not its proposer"));
    }
    let from = AmendmentStatus::from_db(&current.status)?;
    let to = lifecycle::amendment(from, "acknowledge")?;
    let mut active = current.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.acknowledged_by_subject = Set(Some(viewer.subject.clone()));
    active.acknowledged_at = Set(Some(now));
    versioned::update(&txn, active, id, current.version).await?;
    let model =
        amendment::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("amendment", id))?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Amendment, id, "ACKNOWLEDGED")
            .status(Some(from), to)
            .compact(Some(agreement.compact_id))
            .concerning(parties(&agreement))
            .payload(json!({ "agreementId": agreement.id, "number": current.number })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The party the compact names (the requesting party unless it says otherwise) files the after-action / summary
/// report once the resources are back.
pub async fn file_after_action_report(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: FileAfterActionReportInput,
) -> AppResult<agreement::Model> {
    let id = validate::id("agreementId", &input.agreement_id)?;
    let summary = validate::text("summary", &input.summary, 20_000)?;
    refuse_ssn("summary", &summary)?;
    let txn = events::begin(db).await?;
    let current = load_locked(&txn, viewer, id).await?;
    let compact = crate::domain::directory::load_compact(&txn, current.compact_id).await?;
    let filer = crate::domain::policy::Policy::after_action_filer(
        &compact,
        current.requesting_jurisdiction_id,
        current.assisting_jurisdiction_id,
    )?;
    if !viewer.represents(filer) {
        let party = if filer == current.requesting_jurisdiction_id { "requesting" } else { "assisting" };
        return Err(AppError::forbidden(format!("under this compact the {party} party files the after-action report")));
    }
    if current.after_action_filed_at.is_some() {
        return Err(AppError::Conflict("the after-action report is already filed".into()));
    }
    let deployment = deployment::Entity::find().filter(deployment::Column::AgreementId.eq(id)).one(&txn).await?;
    if let Some(d) = &deployment {
        let status = DeploymentStatus::from_db(&d.status)?;
        if lifecycle::deployment_is_out(status) {
            return Err(AppError::InvalidTransition {
                record: "agreement",
                action: "file the after-action report of",
                current: format!("{} with its deployment {}", current.status, status),
            });
        }
    }
    let mut active = current.clone().into_active_model();
    active.after_action_report = Set(Some(summary));
    active.after_action_filed_at = Set(Some(now));
    active.updated_at = Set(now);
    versioned::update(&txn, active, id, current.version).await?;
    let deadline = deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::AfterActionReport, now).await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Agreement, id, "AFTER_ACTION_REPORT_FILED")
            .compact(Some(current.compact_id))
            .concerning(parties(&current))
            .payload(json!({ "deadlineStatus": deadline.map(|d| d.status) })),
    )
    .await?;
    let model =
        agreement::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found("agreement", id))?;
    txn.commit().await?;
    Ok(model)
}
