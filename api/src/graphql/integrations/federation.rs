//! Apollo Federation v2 entity resolvers: other subgraphs reference our records by `id`, and the gateway resolves
//! them here, in batches through the request's DataLoader and with the same visibility as every other path: an
//! `_entities` call never returns what a direct query would refuse (an invisible record resolves to null, and an
//! anonymous call is `UNAUTHENTICATED`).

use async_graphql::{Context, ID, Object, Result};

use crate::domain::validate;
use crate::graphql::claims::Claim;
use crate::graphql::loaders::{ClaimById, CompactById, DeploymentById, IncidentById, JurisdictionById, RequestById};
use crate::graphql::missions::{Deployment, ResourceRequest};
use crate::graphql::types::{Compact, Incident, Jurisdiction, loaders};
use crate::graphql::viewer;

/// Entity resolvers for the federation gateway.
#[derive(Default)]
pub struct FederationQuery;

#[Object]
impl FederationQuery {
    /// A jurisdiction referenced by another subgraph.
    #[graphql(entity)]
    async fn find_jurisdiction_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Jurisdiction>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(JurisdictionById(id)).await?.map(Jurisdiction))
    }

    /// A compact referenced by another subgraph.
    #[graphql(entity)]
    async fn find_compact_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Compact>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(CompactById(id)).await?.map(Compact))
    }

    /// An incident referenced by another subgraph, if the caller may see it.
    #[graphql(entity)]
    async fn find_incident_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Incident>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(IncidentById(id)).await?.map(Incident))
    }

    /// A resource request referenced by another subgraph, if the caller may see it.
    #[graphql(entity)]
    async fn find_resource_request_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<ResourceRequest>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(RequestById(id)).await?.map(ResourceRequest))
    }

    /// A deployment referenced by another subgraph, if the caller may see it.
    #[graphql(entity)]
    async fn find_deployment_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Deployment>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(DeploymentById(id)).await?.map(Deployment))
    }

    /// A reimbursement claim referenced by another subgraph, if the caller may see it.
    #[graphql(entity)]
    async fn find_claim_by_id(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Claim>> {
        viewer(ctx).require_authenticated()?;
        let id = validate::id("id", &id)?;
        Ok(loaders(ctx).load_one(ClaimById(id)).await?.map(Claim))
    }
}
