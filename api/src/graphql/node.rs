//! Relay's object identification: a global id that names its record's type, and `node`/`nodes` lookups that
//! resolve one under the same visibility as every other read (a record the caller may not see is null, exactly
//! as `resourceRequest(id:)` would answer).
//!
//! Records keep their own `id` (a UUID, which every input and the federation keys use); the global id is the
//! separate `nodeId` field, as `base64("Type:uuid")` in the form Relay's reference implementation writes. Relay's
//! compiler is told so with `nodeInterfaceIdField: "nodeId"`.

use async_graphql::{Context, ID, Interface, Object, Result};
use base64::Engine;
use entities::{dispute, membership};
use sea_orm::{EntityTrait, QueryFilter};

use crate::domain::access::disputes_visible_to;
use crate::error::AppError;
use crate::graphql::claims::{Claim, Dispute};
use crate::graphql::loaders::{
    AgreementById, ClaimById, CompactById, DeploymentById, IncidentById, JurisdictionById, OfferById, RequestById,
    ResourceTypeById,
};
use crate::graphql::missions::{Agreement, Deployment, Offer, ResourceRequest};
use crate::graphql::types::{Compact, Incident, Jurisdiction, Membership, ResourceType, loaders};
use crate::graphql::{RoleGuard, db, viewer};

/// The most ids one `nodes` call resolves.
pub const MAX_NODES: usize = 100;
/// The longest global id accepted, in characters (a type name and a UUID, base64-encoded, are far shorter).
const MAX_GLOBAL_ID: usize = 128;

macro_rules! node_types {
    ($($variant:ident),+ $(,)?) => {
        /// The record types that have a global id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum NodeType {
            $(#[allow(missing_docs, reason = "each is the GraphQL type of the same name")] $variant),+
        }

        impl NodeType {
            /// The GraphQL type name.
            pub fn name(self) -> &'static str {
                match self { $(NodeType::$variant => stringify!($variant)),+ }
            }

            fn parse(name: &str) -> Option<Self> {
                match name { $(stringify!($variant) => Some(NodeType::$variant),)+ _ => None }
            }
        }

        /// A record with a global id.
        #[derive(Interface)]
        #[graphql(field(name = "node_id", ty = "ID", desc = "Global id naming the type, for `node(id:)`."))]
        pub enum Node {
            $(#[allow(missing_docs, reason = "each is the GraphQL type of the same name")] $variant($variant)),+
        }
    };
}

node_types!(
    Jurisdiction,
    Compact,
    Membership,
    ResourceType,
    Incident,
    ResourceRequest,
    Offer,
    Agreement,
    Deployment,
    Claim,
    Dispute,
);

/// The global id of a record.
pub fn global_id(kind: NodeType, id: uuid::Uuid) -> ID {
    ID(base64::engine::general_purpose::STANDARD.encode(format!("{}:{id}", kind.name())))
}

/// Reads a global id into its type and record id.
pub fn parse_global_id(field: &str, id: &str) -> Result<(NodeType, uuid::Uuid), AppError> {
    let bad = || {
        AppError::bad_input(field, format!("{field} is not a global id: use a record's `nodeId` (its `id` is not one)"))
    };
    if id.len() > MAX_GLOBAL_ID {
        return Err(AppError::bad_input(field, format!("a global id is at most {MAX_GLOBAL_ID} characters")));
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(id).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (name, uuid) = text.split_once(':').ok_or_else(bad)?;
    let kind = NodeType::parse(name).ok_or_else(bad)?;
    let uuid = uuid::Uuid::parse_str(uuid).map_err(|_| bad())?;
    Ok((kind, uuid))
}

/// Loads one record by type and id, under the caller's visibility.
pub async fn load(ctx: &Context<'_>, kind: NodeType, id: uuid::Uuid) -> Result<Option<Node>> {
    let loaders = loaders(ctx);
    Ok(match kind {
        NodeType::Jurisdiction => {
            loaders.load_one(JurisdictionById(id)).await?.map(|r| Node::Jurisdiction(Jurisdiction(r)))
        }
        NodeType::Compact => loaders.load_one(CompactById(id)).await?.map(|r| Node::Compact(Compact(r))),
        NodeType::ResourceType => {
            loaders.load_one(ResourceTypeById(id)).await?.map(|r| Node::ResourceType(ResourceType(r)))
        }
        NodeType::Incident => loaders.load_one(IncidentById(id)).await?.map(|r| Node::Incident(Incident(r))),
        NodeType::ResourceRequest => {
            loaders.load_one(RequestById(id)).await?.map(|r| Node::ResourceRequest(ResourceRequest(r)))
        }
        NodeType::Offer => loaders.load_one(OfferById(id)).await?.map(|r| Node::Offer(Offer(r))),
        NodeType::Agreement => loaders.load_one(AgreementById(id)).await?.map(|r| Node::Agreement(Agreement(r))),
        NodeType::Deployment => loaders.load_one(DeploymentById(id)).await?.map(|r| Node::Deployment(Deployment(r))),
        NodeType::Claim => loaders.load_one(ClaimById(id)).await?.map(|r| Node::Claim(Claim(r))),
        // The directory is readable by every signed-in caller, as `membership(id:)` is.
        NodeType::Membership => membership::Entity::find_by_id(id)
            .one(db(ctx))
            .await
            .map_err(AppError::from)?
            .map(|r| Node::Membership(Membership(r))),
        NodeType::Dispute => dispute::Entity::find_by_id(id)
            .filter(disputes_visible_to(viewer(ctx)))
            .one(db(ctx))
            .await
            .map_err(AppError::from)?
            .map(|r| Node::Dispute(Dispute(r))),
    })
}

/// Relay's `node` and `nodes` lookups.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any record by its global id (`nodeId`); null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A record's `nodeId`; at most 128 characters.")] id: ID,
    ) -> Result<Option<Node>> {
        let (kind, id) = parse_global_id("id", &id)?;
        load(ctx, kind, id).await
    }

    /// Records by global id, in the order asked, each null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()", complexity = "1 + ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Records' `nodeId`s. At most 100, each at most 128 characters.", validator(max_items = 100))]
        ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let parsed = ids
            .iter()
            .enumerate()
            .map(|(i, id)| parse_global_id(&format!("ids[{i}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        // The loaders batch the lookups of one type into one statement.
        let lookups = parsed.into_iter().map(|(kind, id)| load(ctx, kind, id));
        futures_util::future::try_join_all(lookups).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_name_their_type() {
        let id = uuid::Uuid::new_v4();
        let global = global_id(NodeType::ResourceRequest, id);
        assert_eq!(parse_global_id("id", &global.0).unwrap(), (NodeType::ResourceRequest, id));
        let plain = base64::engine::general_purpose::STANDARD.decode(&global.0).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), format!("ResourceRequest:{id}"));
        for bad in [id.to_string(), "Rm9vOjE=".to_owned(), "!!".to_owned(), "A".repeat(200)] {
            assert!(parse_global_id("id", &bad).is_err(), "{bad}");
        }
    }
}
