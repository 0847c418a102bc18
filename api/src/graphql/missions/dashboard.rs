//! Aggregates a state dashboard needs, computed under the same visibility as every list: requests by status,
//! what is deployed by jurisdiction and incident, money by compact, and overdue deadlines.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use entities::{claim, deadline, deployment, invoice_line, offer, payment, resource_request};
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::domain::access::{
    agreements_visible_to, claims_visible_to, deadlines_visible_to, deployments_visible_to, requests_visible_to,
    select_ids,
};
use crate::domain::enums::{ClaimStatus, DeadlineStatus, DeploymentStatus, RequestStatus};
use crate::domain::lifecycle::deployment_is_out;
use crate::domain::{money, validate};
use crate::error::AppError;
use crate::graphql::loaders::{IncidentById, Loaders};
use crate::graphql::types::{Compact, Incident, Jurisdiction};
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::Decimal as DecimalScalar;

/// How many requests are in one status.
#[derive(SimpleObject)]
pub struct StatusCount {
    /// The status.
    pub status: RequestStatus,
    /// How many requests.
    pub count: u64,
}

/// What is deployed (preparing, travelling, on site or demobilizing) from one jurisdiction to one incident.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DeployedResources {
    #[graphql(skip)]
    assisting: Uuid,
    #[graphql(skip)]
    incident: Uuid,
    /// Deployments out.
    pub deployments: u64,
    /// People on the rosters.
    pub personnel: u64,
    /// Pieces of equipment on the lists.
    pub equipment: u64,
}

#[async_graphql::ComplexObject]
impl DeployedResources {
    /// The assisting jurisdiction.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.assisting).await
    }
    /// The incident.
    /// Null only for a caller who may not see the incident (the README's "Who sees what").
    async fn incident(&self, ctx: &Context<'_>) -> Result<Option<Incident>> {
        Ok(ctx.data_unchecked::<Loaders>().load_one(IncidentById(self.incident)).await?.map(Incident))
    }
}

/// Money of one compact's visible agreements and claims.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CompactAmounts {
    #[graphql(skip)]
    compact: Uuid,
    /// Sum of the accepted offers' estimates.
    pub estimated: DecimalScalar,
    /// Sum of invoiced amounts (lines not waived).
    pub invoiced: DecimalScalar,
    /// Sum of payments.
    pub paid: DecimalScalar,
    /// What remains to pay on open claims (approved or, before approval, invoiced, less payments).
    pub outstanding: DecimalScalar,
}

#[async_graphql::ComplexObject]
impl CompactAmounts {
    /// The compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Compact> {
        crate::graphql::types::compact_by_id(ctx, self.compact).await
    }
}

/// A dashboard: aggregates over what the caller may see.
pub struct Dashboard {
    compact: Option<Uuid>,
    incident: Option<Uuid>,
}

fn db_err(e: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(e).into()
}

/// Aggregates over what the caller may see, optionally narrowed to a compact or an incident.
#[Object]
impl Dashboard {
    /// Requests by status (counted in SQL, under the caller's visibility).
    async fn requests_by_status(&self, ctx: &Context<'_>) -> Result<Vec<StatusCount>> {
        use sea_orm::QuerySelect;
        let mut select = resource_request::Entity::find().filter(requests_visible_to(viewer(ctx)));
        if let Some(c) = self.compact {
            select = select.filter(resource_request::Column::CompactId.eq(c));
        }
        if let Some(i) = self.incident {
            select = select.filter(resource_request::Column::IncidentId.eq(i));
        }
        let rows: Vec<(String, i64)> = select
            .select_only()
            .column(resource_request::Column::Status)
            .column_as(resource_request::Column::Id.count(), "count")
            .group_by(resource_request::Column::Status)
            .into_tuple()
            .all(db(ctx))
            .await
            .map_err(db_err)?;
        let mut counts: BTreeMap<RequestStatus, u64> = BTreeMap::new();
        for (status, count) in rows {
            *counts.entry(RequestStatus::from_db(&status)?).or_default() += u64::try_from(count).unwrap_or_default();
        }
        Ok(counts.into_iter().map(|(status, count)| StatusCount { status, count }).collect())
    }

    /// People and equipment deployed now, by assisting jurisdiction and incident.
    async fn deployed(&self, ctx: &Context<'_>) -> Result<Vec<DeployedResources>> {
        let db = db(ctx);
        let mut select = deployment::Entity::find().filter(deployments_visible_to(viewer(ctx)));
        if let Some(c) = self.compact {
            select = select.filter(deployment::Column::CompactId.eq(c));
        }
        if let Some(i) = self.incident {
            select = select.filter(deployment::Column::RequestId.in_subquery(requests_of_incident(i)));
        }
        let deployments = select.all(db).await.map_err(db_err)?;
        let requests: BTreeMap<Uuid, Uuid> = resource_request::Entity::find()
            .filter(resource_request::Column::Id.is_in(deployments.iter().map(|d| d.request_id)))
            .all(db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|r| (r.id, r.incident_id))
            .collect();
        let mut out: BTreeMap<(Uuid, Uuid), DeployedResources> = BTreeMap::new();
        for d in deployments {
            if !deployment_is_out(DeploymentStatus::from_db(&d.status)?) {
                continue;
            }
            let Some(incident) = requests.get(&d.request_id).copied() else { continue };
            if self.incident.is_some_and(|i| i != incident) {
                continue;
            }
            let entry = out.entry((d.assisting_jurisdiction_id, incident)).or_insert(DeployedResources {
                assisting: d.assisting_jurisdiction_id,
                incident,
                deployments: 0,
                personnel: 0,
                equipment: 0,
            });
            entry.deployments += 1;
            entry.personnel += d.personnel.as_array().map_or(0, |a| a.len() as u64);
            entry.equipment +=
                d.equipment.as_array().map_or(0, |a| a.iter().map(|e| e["quantity"].as_u64().unwrap_or(1)).sum());
        }
        Ok(out.into_values().collect())
    }

    /// Estimated against invoiced, paid and outstanding, by compact: the estimate of every visible agreement (its
    /// accepted offer's cost estimate), whether or not a claim exists yet; the invoiced, paid and outstanding amounts
    /// of the visible claims.
    async fn amounts_by_compact(&self, ctx: &Context<'_>) -> Result<Vec<CompactAmounts>> {
        let db = db(ctx);
        let mut agreements = entities::agreement::Entity::find().filter(agreements_visible_to(viewer(ctx)));
        let mut claims = claim::Entity::find().filter(claims_visible_to(viewer(ctx)));
        if let Some(c) = self.compact {
            agreements = agreements.filter(entities::agreement::Column::CompactId.eq(c));
            claims = claims.filter(claim::Column::CompactId.eq(c));
        }
        if let Some(i) = self.incident {
            agreements = agreements.filter(entities::agreement::Column::RequestId.in_subquery(requests_of_incident(i)));
            claims = claims.filter(claim::Column::RequestId.in_subquery(requests_of_incident(i)));
        }
        let agreements = agreements.all(db).await.map_err(db_err)?;
        let claims = claims.all(db).await.map_err(db_err)?;
        let ids: Vec<Uuid> = claims.iter().map(|c| c.id).collect();
        let lines = invoice_line::Entity::find()
            .filter(invoice_line::Column::ClaimId.is_in(ids.clone()))
            .all(db)
            .await
            .map_err(db_err)?;
        let payments =
            payment::Entity::find().filter(payment::Column::ClaimId.is_in(ids)).all(db).await.map_err(db_err)?;
        let offers: BTreeMap<Uuid, serde_json::Value> = offer::Entity::find()
            .filter(offer::Column::Id.is_in(agreements.iter().map(|a| a.offer_id)))
            .all(db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|o| (o.id, o.cost_estimate))
            .collect();
        let mut out: BTreeMap<Uuid, [Decimal; 4]> = BTreeMap::new();
        for a in &agreements {
            let estimate = offers
                .get(&a.offer_id)
                .and_then(|e| e.as_object().cloned())
                .map(|m| money::sum(m.values().filter_map(|v| v.as_str().and_then(|s| s.parse::<Decimal>().ok()))))
                .transpose()?
                .unwrap_or_default();
            money::add(&mut out.entry(a.compact_id).or_default()[0], estimate)?;
        }
        for c in &claims {
            let own_lines: Vec<_> = lines.iter().filter(|l| l.claim_id == c.id).cloned().collect();
            let own_payments: Vec<_> = payments.iter().filter(|p| p.claim_id == c.id).cloned().collect();
            let totals = crate::domain::claims::totals(c, &own_lines, &own_payments)?;
            let open = !matches!(
                ClaimStatus::from_db(&c.status)?,
                ClaimStatus::Paid | ClaimStatus::Waived | ClaimStatus::Forfeited | ClaimStatus::Withdrawn
            );
            let entry = out.entry(c.compact_id).or_default();
            money::add(&mut entry[1], totals.claimed)?;
            money::add(&mut entry[2], totals.paid)?;
            if open {
                money::add(&mut entry[3], totals.outstanding)?;
            }
        }
        Ok(out
            .into_iter()
            .map(|(compact, [estimated, invoiced, paid, outstanding])| CompactAmounts {
                compact,
                estimated: DecimalScalar(money::cents(estimated)),
                invoiced: DecimalScalar(money::cents(invoiced)),
                paid: DecimalScalar(money::cents(paid)),
                outstanding: DecimalScalar(money::cents(outstanding)),
            })
            .collect())
    }

    /// How many visible deadlines are past due and not met.
    async fn overdue_deadlines(&self, ctx: &Context<'_>) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        let now = state(ctx).clock.now();
        let mut select = deadline::Entity::find()
            .filter(deadlines_visible_to(viewer(ctx)))
            .filter(deadline::Column::DueAt.lt(now))
            .filter(deadline::Column::MetAt.is_null())
            .filter(
                deadline::Column::Status.is_in([DeadlineStatus::Pending.as_str(), DeadlineStatus::Missed.as_str()]),
            );
        if let Some(c) = self.compact {
            select = select.filter(deadline::Column::CompactId.eq(c));
        }
        if let Some(i) = self.incident {
            select = select.filter(records_of_incident(i));
        }
        select.count(db(ctx)).await.map_err(db_err)
    }
}

/// The ids of an incident's requests.
fn requests_of_incident(incident: Uuid) -> sea_orm::sea_query::SelectStatement {
    select_ids(
        resource_request::Column::Id,
        resource_request::Entity,
        Condition::all().add(resource_request::Column::IncidentId.eq(incident)),
    )
}

/// Deadlines of an incident: its own, and those of its requests and of the agreements, deployments, claims and
/// disputes that came of them.
fn records_of_incident(incident: Uuid) -> Condition {
    use entities::{agreement, dispute};
    let requests = || requests_of_incident(incident);
    let claims = select_ids(
        claim::Column::Id,
        claim::Entity,
        Condition::all().add(claim::Column::RequestId.in_subquery(requests())),
    );
    let agreements = select_ids(
        agreement::Column::Id,
        agreement::Entity,
        Condition::all().add(agreement::Column::RequestId.in_subquery(requests())),
    );
    let deployments = select_ids(
        deployment::Column::Id,
        deployment::Entity,
        Condition::all().add(deployment::Column::RequestId.in_subquery(requests())),
    );
    let disputes = select_ids(
        dispute::Column::Id,
        dispute::Entity,
        Condition::all().add(dispute::Column::ClaimId.in_subquery(claims.clone())),
    );
    Condition::any()
        .add(deadline::Column::RecordId.eq(incident))
        .add(deadline::Column::RecordId.in_subquery(requests()))
        .add(deadline::Column::RecordId.in_subquery(agreements))
        .add(deadline::Column::RecordId.in_subquery(deployments))
        .add(deadline::Column::RecordId.in_subquery(claims))
        .add(deadline::Column::RecordId.in_subquery(disputes))
}

/// The dashboard query.
#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// Aggregates over what the caller may see, optionally narrowed to a compact or an incident.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn dashboard(
        &self,
        #[graphql(desc = "Only this compact.")] compact_id: Option<ID>,
        #[graphql(desc = "Only this incident.")] incident_id: Option<ID>,
    ) -> Result<Dashboard> {
        Ok(Dashboard {
            compact: compact_id.as_ref().map(|id| validate::id("compactId", id)).transpose()?,
            incident: incident_id.as_ref().map(|id| validate::id("incidentId", id)).transpose()?,
        })
    }
}
