//! Documents: any form or file tied to a record, with who filed it and when. The coordinator records every
//! document related to deployment and reimbursement; the parties file their own.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::document;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::{RecordType, Role};
use crate::domain::events::{self, NewEvent};
use crate::domain::{agreements, claims, deployments, incidents, requests, validate};
use crate::error::{AppError, AppResult};

/// A document to record.
#[derive(Debug, Clone, InputObject)]
pub struct RecordDocumentInput {
    /// The type of the record it belongs to: a resource request, an agreement, a deployment, an incident or a claim.
    pub record_type: RecordType,
    /// The record it belongs to.
    pub record_id: ID,
    /// The form or kind (`SMAA Form 101`, `RMA Part II`, `ICS 221`, `Invoice`, `Receipt`...).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Where the file is (a document-management URL or reference number).
    pub reference: Option<String>,
}

/// The compact and the parties of a record, after checking that the viewer may see it.
async fn scope_of(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    record_type: RecordType,
    id: Uuid,
) -> AppResult<(Option<Uuid>, Vec<Uuid>)> {
    Ok(match record_type {
        RecordType::ResourceRequest => {
            let r = requests::load_visible(db, viewer, id).await?;
            (Some(r.compact_id), vec![r.requesting_jurisdiction_id])
        }
        RecordType::Agreement => {
            let a = agreements::load_visible(db, viewer, id).await?;
            (Some(a.compact_id), vec![a.requesting_jurisdiction_id, a.assisting_jurisdiction_id])
        }
        RecordType::Deployment => {
            let d = deployments::load_visible(db, viewer, id).await?;
            (Some(d.compact_id), vec![d.requesting_jurisdiction_id, d.assisting_jurisdiction_id])
        }
        RecordType::Incident => {
            let i =
                incidents::find_visible(db, viewer, id).await?.ok_or_else(|| AppError::not_found("incident", id))?;
            (i.compact_id, vec![i.jurisdiction_id])
        }
        RecordType::Claim => {
            let c = claims::load_for_update(db, viewer, id).await?;
            (Some(c.compact_id), vec![c.requesting_jurisdiction_id, c.assisting_jurisdiction_id])
        }
        _ => {
            return Err(AppError::bad_input(
                "recordType",
                "documents attach to requests, agreements, deployments, incidents and claims",
            ));
        }
    })
}

/// Records a document on a record: by the compact's coordinator or a party's authorized representative.
pub async fn record(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RecordDocumentInput,
) -> AppResult<document::Model> {
    viewer.require_authenticated()?;
    let record_id = validate::id("recordId", &input.record_id)?;
    let kind = validate::text("kind", &input.kind, 64)?;
    let title = validate::text("title", &input.title, 300)?;
    requests::refuse_ssn("title", &title)?;
    let reference = validate::optional_text("reference", input.reference.as_deref(), 2000)?;
    let txn = events::begin(db).await?;
    let (compact_id, parties) = scope_of(&txn, viewer, input.record_type, record_id).await?;
    let coordinator = compact_id.is_some_and(|c| viewer.has_compact_role(Role::Coordinator, c));
    let party = parties.iter().any(|j| viewer.represents(*j));
    if !coordinator && !party {
        return Err(AppError::forbidden("the coordinator or a party's authorized representative records documents"));
    }
    let id = Uuid::now_v7();
    let model = document::ActiveModel {
        id: Set(id),
        record_type: Set(input.record_type.as_str().to_owned()),
        record_id: Set(record_id),
        compact_id: Set(compact_id),
        kind: Set(kind.clone()),
        title: Set(title.clone()),
        reference: Set(reference),
        filed_by_subject: Set(viewer.subject.clone()),
        filed_by_jurisdiction_id: Set(viewer.jurisdiction_id),
        filed_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(input.record_type, record_id, "DOCUMENT_RECORDED")
            .compact(compact_id)
            .concerning(parties)
            .payload(json!({ "documentId": id, "kind": kind, "title": title })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}
