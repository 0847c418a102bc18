//! DataLoaders for every relation a list can reach, so a page costs a fixed number of SQL statements. One loader
//! per request, holding the request's viewer: relations to records with their own visibility (offers,
//! agreements, deployments, requests, incidents) are filtered by the same scoped conditions as direct lookups.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{
    agreement, amendment, authorized_representative, claim, committee_vote, compact, deadline, deployment, dispute,
    document, incident, inventory_item, invoice_line, jurisdiction, jurisdiction_contact, membership, offer,
    offer_line, payment, request_line_item, request_recipient, resource_request, resource_type, time_record,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::db::Handle;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::{
    agreements_visible_to, claims_visible_to, deployments_visible_to, disputes_visible_to, incidents_visible_to,
    inventory_visible_to, offers_visible_to, requests_visible_to,
};
use crate::domain::enums::{DeploymentStatus, OfferStatus};
use crate::error::AppError;

/// Loads rows by key in batches, as the request's viewer.
pub struct DbLoader {
    db: Handle,
    viewer: Viewer,
    keeps: bool,
}

/// The loader of one request.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// A new per-request loader that keeps nothing: every load reads the database afresh, as a mutation (which must see
/// its own writes) and a subscription (whose loader lives as long as its stream) need.
///
/// `delay` is the batching window: keys asked for within it share one statement. Resolving a list of more than
/// 32 items yields to the runtime part-way, so on a busy machine a window shorter than that pause splits a batch
/// in two (more statements, never one per row); a longer window costs that much latency per nesting level.
pub fn loaders(db: Handle, viewer: Viewer, delay: std::time::Duration) -> Loaders {
    build(db, viewer, delay, false)
}

/// A new loader for one query: the rows it reads are kept until the response is sent, so lists can read what
/// their items' fields will ask for ahead of time ([`prefetch`]) and those fields wait for no batching window.
pub fn query_loaders(db: Handle, viewer: Viewer, delay: std::time::Duration) -> Loaders {
    build(db, viewer, delay, true)
}

fn build(db: Handle, viewer: Viewer, delay: std::time::Duration, keeps: bool) -> Loaders {
    let loaders =
        DataLoader::with_cache(DbLoader { db, viewer, keeps }, tokio::spawn, HashMapCache::default()).delay(delay);
    loaders.enable_all_cache(keeps);
    loaders
}

/// Reads the rows of `keys` now, in one statement whatever the timing, and keeps them for the fields that will ask
/// for them; returns them too. Reads nothing when the loader keeps nothing (the fields then batch as usual) or when
/// there are no keys.
pub async fn prefetch<K>(
    loaders: &Loaders,
    keys: impl IntoIterator<Item = K>,
) -> Result<HashMap<K, <DbLoader as Loader<K>>::Value>, async_graphql::Error>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = async_graphql::Error>,
{
    if !loaders.loader().keeps {
        return Ok(HashMap::new());
    }
    let keys: Vec<K> = keys.into_iter().collect::<std::collections::HashSet<_>>().into_iter().collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let found = loaders.loader().load(&keys).await?;
    loaders.feed_many(found.clone()).await;
    Ok(found)
}

fn db_error(err: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

fn group<K: Eq + Hash + Copy, V>(keys: &[K], rows: Vec<V>, key_of: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut grouped: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        grouped.entry(key_of(&row)).or_default().push(row);
    }
    grouped
}

/// Declares a key newtype and a loader of one row per key (`by id`) or of rows grouped by key.
macro_rules! key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub Uuid);
    };
}

macro_rules! by_id {
    ($key:ident, $entity:ident, $visible:expr) => {
        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let visible: fn(&Viewer) -> Condition = $visible;
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .filter(visible(&self.viewer))
                    .all(&self.db)
                    .await
                    .map_err(db_error)?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }
    };
}

fn everyone(_: &Viewer) -> Condition {
    Condition::all()
}

key!(
    /// A jurisdiction by id.
    JurisdictionById
);
key!(
    /// A compact by id.
    CompactById
);
key!(
    /// A resource type by id.
    ResourceTypeById
);
key!(
    /// An incident by id, if visible.
    IncidentById
);
key!(
    /// A request by id, if visible.
    RequestById
);
key!(
    /// An offer by id, if visible.
    OfferById
);
key!(
    /// An agreement by id, if visible.
    AgreementById
);
by_id!(JurisdictionById, jurisdiction, everyone);
by_id!(CompactById, compact, everyone);
by_id!(ResourceTypeById, resource_type, everyone);
by_id!(IncidentById, incident, incidents_visible_to);
by_id!(RequestById, resource_request, requests_visible_to);
by_id!(OfferById, offer, offers_visible_to);
by_id!(AgreementById, agreement, agreements_visible_to);
key!(
    /// A deployment by id, if visible.
    DeploymentById
);
by_id!(DeploymentById, deployment, deployments_visible_to);

/// Declares a grouped loader: the rows of `$entity` whose `$column` is the key.
macro_rules! children {
    ($(#[$doc:meta])* $key:ident, $entity:ident, $column:ident, $visible:expr, [$($order:ident),*]) => {
        key!($(#[$doc])* $key);

        impl Loader<$key> for DbLoader {
            type Value = Vec<$entity::Model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let visible: fn(&Viewer) -> Condition = $visible;
                let select = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(keys.iter().map(|k| k.0)))
                    .filter(visible(&self.viewer));
                $(let select = select.order_by_asc($entity::Column::$order);)*
                let rows = select.all(&self.db).await.map_err(db_error)?;
                Ok(group(keys, rows, |row| {
                    let value = sea_orm::ModelTrait::get(row, $entity::Column::$column);
                    $key(uuid_of(value))
                }))
            }
        }
    };
}

fn uuid_of(value: sea_orm::Value) -> Uuid {
    match value {
        sea_orm::Value::Uuid(Some(id)) => id,
        _ => Uuid::nil(),
    }
}

children!(
    /// The contacts of a jurisdiction.
    ContactsOf, jurisdiction_contact, JurisdictionId, everyone, [Kind, Name]
);
children!(
    /// The authorized representatives of a jurisdiction.
    RepresentativesOf, authorized_representative, JurisdictionId, everyone, [Name]
);
children!(
    /// The memberships of a jurisdiction.
    MembershipsOf, membership, JurisdictionId, everyone, [JoinedOn]
);
children!(
    /// The inventory of a jurisdiction, as far as visible.
    InventoryOf, inventory_item, JurisdictionId, inventory_visible_to, [ResourceTypeId]
);
children!(
    /// The line items of a request.
    LineItemsOf, request_line_item, RequestId, everyone, [Position]
);
children!(
    /// The addressed members of a request.
    RecipientsOf, request_recipient, RequestId, everyone, [JurisdictionId]
);
children!(
    /// The offers on a request, as far as visible.
    OffersOf, offer, RequestId, offers_visible_to, [CreatedAt, Id]
);
children!(
    /// The lines of an offer.
    OfferLinesOf, offer_line, OfferId, everyone, [LineItemId]
);
children!(
    /// The agreements of a request, as far as visible.
    AgreementsOf, agreement, RequestId, agreements_visible_to, [CreatedAt, Id]
);
children!(
    /// The agreement made from an offer, if visible.
    AgreementsOfOffer, agreement, OfferId, agreements_visible_to, [Id]
);
children!(
    /// The deployments of a request, as far as visible.
    DeploymentsOf, deployment, RequestId, deployments_visible_to, [CreatedAt, Id]
);
children!(
    /// The deployment of an agreement, if visible.
    DeploymentsOfAgreement, deployment, AgreementId, deployments_visible_to, [Id]
);
children!(
    /// The amendments of an agreement.
    AmendmentsOf, amendment, AgreementId, everyone, [Number]
);
children!(
    /// The time records of a deployment.
    TimeRecordsOf, time_record, DeploymentId, everyone, [WorkDate, CreatedAt]
);
children!(
    /// The documents of a record.
    DocumentsOf, document, RecordId, everyone, [FiledAt, Id]
);
children!(
    /// The deadlines of a record.
    DeadlinesOf, deadline, RecordId, everyone, [DueAt, Id]
);

children!(
    /// The claim of an agreement, if visible.
    ClaimsOfAgreement, claim, AgreementId, claims_visible_to, [Id]
);
children!(
    /// The invoice lines of a claim.
    InvoiceLinesOf, invoice_line, ClaimId, everyone, [Position]
);
children!(
    /// The payments of a claim.
    PaymentsOf, payment, ClaimId, everyone, [PaidAt, Id]
);
children!(
    /// The disputes of a claim, as far as visible.
    DisputesOf, dispute, ClaimId, disputes_visible_to, [FiledAt, Id]
);
key!(
    /// A claim by id, if visible.
    ClaimById
);
by_id!(ClaimById, claim, claims_visible_to);

/// The votes cast on a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VotesOf(pub Uuid);

impl Loader<VotesOf> for DbLoader {
    type Value = Vec<committee_vote::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[VotesOf]) -> Result<HashMap<VotesOf, Self::Value>, Self::Error> {
        let rows = committee_vote::Entity::find()
            .filter(committee_vote::Column::DisputeId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(committee_vote::Column::CastAt)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(group(keys, rows, |row| VotesOf(row.dispute_id)))
    }
}

/// The quantity accepted so far on a request line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptedOnLine(pub Uuid);

impl Loader<AcceptedOnLine> for DbLoader {
    type Value = i32;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[AcceptedOnLine]) -> Result<HashMap<AcceptedOnLine, i32>, Self::Error> {
        let lines = offer_line::Entity::find()
            .filter(offer_line::Column::LineItemId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let accepted: Vec<Uuid> = offer::Entity::find()
            .filter(offer::Column::Id.is_in(lines.iter().map(|l| l.offer_id)))
            .filter(offer::Column::Status.eq(OfferStatus::Accepted.as_str()))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|o| o.id)
            .collect();
        // An agreement whose deployment was cancelled no longer provides anything.
        let agreements = agreement::Entity::find()
            .filter(agreement::Column::OfferId.is_in(accepted.iter().copied()))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let cancelled: Vec<Uuid> = deployment::Entity::find()
            .filter(deployment::Column::AgreementId.is_in(agreements.iter().map(|a| a.id)))
            .filter(deployment::Column::Status.eq(DeploymentStatus::Cancelled.as_str()))
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .filter_map(|d| agreements.iter().find(|a| a.id == d.agreement_id).map(|a| a.offer_id))
            .collect();
        let accepted: Vec<Uuid> = accepted.into_iter().filter(|o| !cancelled.contains(o)).collect();
        let mut totals: HashMap<AcceptedOnLine, i32> = keys.iter().map(|k| (*k, 0)).collect();
        for line in lines.into_iter().filter(|l| accepted.contains(&l.offer_id)) {
            *totals.entry(AcceptedOnLine(line.line_item_id)).or_default() += line.quantity;
        }
        Ok(totals)
    }
}

/// The external references of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternalRefsOf(pub Uuid);

impl Loader<ExternalRefsOf> for DbLoader {
    type Value = Vec<entities::external_ref::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ExternalRefsOf]) -> Result<HashMap<ExternalRefsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let grouped = crate::domain::external::refs_of(&self.db, &ids).await?;
        Ok(keys.iter().map(|k| (*k, grouped.get(&k.0).cloned().unwrap_or_default())).collect())
    }
}
