//! EDXL-RM 1.0 in GraphQL: the `edxlRm` field of requests, offers, agreements, deployments and amendments, and
//! the `importEdxlRm` mutation.

use async_graphql::{Context, Object, Result, SimpleObject};
use uuid::Uuid;

use crate::domain::enums::{RecordType, Role};
use crate::edxl::import::{self, ImportEdxlRmInput};
use crate::edxl::{EdxlRmMessage, message, xml};
use crate::error::AppError;
use crate::graphql::missions::{Offer, ResourceRequest};
use crate::graphql::{RoleGuard, db, state, viewer};

/// The message of `kind` about `id`, as XML, or a coded error when the record has no such message.
pub async fn export(ctx: &Context<'_>, kind: EdxlRmMessage, allowed: &[EdxlRmMessage], id: Uuid) -> Result<String> {
    if !allowed.contains(&kind) {
        return Err(AppError::bad_input(
            "message",
            format!(
                "this record is written as {}, not {}",
                allowed.iter().map(|k| k.element()).collect::<Vec<_>>().join(" or "),
                kind.element()
            ),
        )
        .into());
    }
    let found = message::export(db(ctx), viewer(ctx), kind, id, state(ctx).clock.now()).await?;
    crate::metrics::edxl_message("exported");
    Ok(xml::to_xml(&found))
}

/// What `importEdxlRm` did.
#[derive(SimpleObject)]
pub struct ImportEdxlRmPayload {
    /// The message type received.
    pub message_type: EdxlRmMessage,
    /// The sender's `MessageID`.
    pub message_id: String,
    /// True when the message had been received before: nothing changed, and the record is the one it created
    /// the first time.
    pub duplicate: bool,
    /// The request a `RequestResource` created (null for an answer).
    pub request: Option<ResourceRequest>,
    /// The offer or "cannot provide" answer a `ResponseToRequestResource` or `CommitResource` created (null for a
    /// request).
    pub offer: Option<Offer>,
}

/// Reads the record an import created, as the caller may see it.
pub async fn payload(ctx: &Context<'_>, done: import::Imported) -> Result<ImportEdxlRmPayload> {
    let db = db(ctx);
    let (request, offer) = match done.record_type {
        RecordType::ResourceRequest => {
            (Some(ResourceRequest(crate::domain::requests::load_visible(db, viewer(ctx), done.record_id).await?)), None)
        }
        _ => (None, Some(Offer(crate::domain::offers::load_visible(db, viewer(ctx), done.record_id).await?))),
    };
    Ok(ImportEdxlRmPayload {
        message_type: done.kind,
        message_id: done.message_id,
        duplicate: done.duplicate,
        request,
        offer,
    })
}

/// EDXL-RM mutations.
#[derive(Default)]
pub struct EdxlMutation;

#[Object]
impl EdxlMutation {
    /// Imports an OASIS EDXL-RM 1.0 message from another system (bare, or in an EDXL-DE envelope): a
    /// `RequestResource` becomes a draft request of the sending jurisdiction (submitted at once with `submit`),
    /// and a `ResponseToRequestResource` or `CommitResource` whose `PrecedingMessageID` is one of our
    /// `RequestResource` messages becomes an offer (or a "cannot provide" answer when every line is Declined).
    /// The same message id again in the same compact changes nothing and returns the first result. A message
    /// that is not well-formed or not valid for its type, names unknown records, or comes from a caller without
    /// authority is refused with `BAD_USER_INPUT` (naming the element) or `FORBIDDEN`, and nothing is written.
    #[graphql(guard = "RoleGuard::any_of(&[Role::AuthorizedRepresentative])")]
    async fn import_edxl_rm(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The message and where it goes.")] input: ImportEdxlRmInput,
    ) -> Result<ImportEdxlRmPayload> {
        let done = import::import(db(ctx), viewer(ctx), state(ctx).clock.now(), input)
            .await
            .inspect_err(|_| crate::metrics::edxl_message("refused"))?;
        crate::metrics::edxl_message("imported");
        payload(ctx, done).await
    }
}
