//! The GraphQL schema: roots, guards, context helpers and the schema builder. Resolvers are thin: they read the
//! viewer and state from the context, call one domain function and map the result.
//!
//! The types and operations sit in the same four areas as the domain: `directory`, `missions` (with `incidents`,
//! `dashboard` and the mutations in `ops`), `reimbursement` and `integrations` (change feed, subscriptions,
//! federation, EDXL-RM, sandbox). Shared pieces: `connection` and `ordering` (paging), `loaders`, `node`,
//! `notifications`, `types` (directory and event types every area returns) and `viewer`.

pub mod connection;
pub mod directory;
pub mod integrations;
pub mod loaders;
pub mod missions;
pub mod node;
pub mod notifications;
pub mod ordering;
pub mod reimbursement;
pub mod types;
pub mod viewer;

pub use integrations::{changes, edxl, external, federation, sandbox, subscriptions, webhooks};
pub use missions::{dashboard, incidents, ops as mission_ops};
pub use reimbursement::claims;

use async_graphql::extensions::Tracing;
use async_graphql::{Context, Guard, MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::auth::Viewer;
use crate::domain::enums::Role;
use crate::error::AppError;
use crate::state::AppState;

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    viewer::ViewerQuery,
    directory::DirectoryQuery,
    incidents::IncidentQuery,
    mission_ops::MissionQuery,
    claims::ClaimQuery,
    dashboard::DashboardQuery,
    federation::FederationQuery,
    node::NodeQuery,
    changes::ChangeQuery,
    sandbox::SandboxQuery,
    notifications::NotificationQuery,
    external::ExternalQuery,
    webhooks::WebhookQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    directory::DirectoryMutation,
    incidents::IncidentMutation,
    mission_ops::MissionMutation,
    claims::ClaimMutation,
    edxl::EdxlMutation,
    sandbox::SandboxMutation,
    notifications::NotificationMutation,
    external::ExternalMutation,
    webhooks::WebhookMutation,
);

/// Live updates over WebSocket at `/graphql` (`graphql-transport-ws` or the legacy `graphql-ws` protocol), with
/// the bearer token in the `connection_init` payload as `Authorization`.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(subscriptions::StatusSubscription, notifications::NotificationSubscription);

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
}

/// Who a schema serves: in the production profile the public one has no introspection and no field suggestions;
/// the gateway's has both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every caller (in development, also the gateway).
    Public,
    /// The federation gateway, identified by its credential.
    Gateway,
}

/// Builds the schema with the limits of the configuration; `state` is reachable from every resolver.
pub fn build_schema(state: AppState) -> AppSchema {
    build_schema_for(state, Audience::Public)
}

/// Builds the schema for one audience.
pub fn build_schema_for(state: AppState, audience: Audience) -> AppSchema {
    let config = &state.config;
    let mut builder = builder()
        .enable_federation()
        .extension(crate::gate::Offload)
        .extension(async_graphql::extensions::Analyzer)
        // The gate enforces `max_depth` on data fields and its own bounds on introspection, which the standard
        // introspection query (15 levels) must pass; the library's check stays as a backstop above both.
        .limit_depth(config.max_depth.max(crate::gate::INTROSPECTION_MAX_DEPTH as usize))
        .limit_complexity(config.max_complexity)
        .limit_recursive_depth(64)
        .limit_directives(config.max_directives);
    // A span per resolver costs CPU on every field; it is worth it only where the spans go somewhere.
    if config.traces() {
        builder = builder.extension(Tracing);
    }
    let locked = config.production() && audience == Audience::Public;
    if !config.introspection || locked {
        builder = builder.disable_introspection();
    }
    if locked {
        builder = builder.disable_suggestions();
    }
    builder.data(state).finish()
}

/// The SDL of the schema, sorted so that diffs of `schema.graphql` are readable.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items()
        .include_specified_by();
    let mut sdl = builder().enable_federation().finish().sdl_with_options(options);
    if !sdl.ends_with('\n') {
        sdl.push('\n');
    }
    sdl
}

/// The shared state.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The database as this request sees it: the pool, or the one transaction an idempotent mutation runs in.
pub fn db<'a>(ctx: &Context<'a>) -> &'a crate::db::Handle {
    ctx.data_opt::<crate::db::Handle>().unwrap_or(&state(ctx).handle)
}

/// The caller; anonymous when the request carried no token.
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

/// Coarse role checks on fields. Record-level checks live in `domain::access`.
pub struct RoleGuard {
    any_of: &'static [Role],
}

impl RoleGuard {
    /// Any authenticated caller.
    pub const fn authenticated() -> Self {
        RoleGuard { any_of: &[] }
    }

    /// A caller holding at least one of `roles`.
    pub const fn any_of(roles: &'static [Role]) -> Self {
        RoleGuard { any_of: roles }
    }
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = viewer(ctx);
        viewer.require_authenticated()?;
        if self.any_of.is_empty() || self.any_of.iter().any(|role| viewer.has_role(*role)) {
            Ok(())
        } else {
            let names: Vec<&str> = self.any_of.iter().map(|role| role.as_str()).collect();
            Err(AppError::forbidden(format!("this operation needs one of the roles {}", names.join(", "))).into())
        }
    }
}
