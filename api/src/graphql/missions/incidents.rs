//! Incident queries and mutations. Every read goes through `domain::access::incidents_visible_to`.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::incident;
use sea_orm::{ColumnTrait, EntityTrait, IntoSimpleExpr, QueryFilter};

use crate::domain::access::incidents_visible_to;
use crate::domain::enums::IncidentStatus;
use crate::domain::incidents::{
    self as domain, CloseIncidentInput, DeclareIncidentInput, RecordWrittenDeclarationInput,
};
use crate::domain::validate;
use crate::graphql::connection::{Window, paginate};
use crate::graphql::ordering::{IncidentOrderField, OrderBy, order_of};
use crate::graphql::types::{Incident, IncidentConnection};
use crate::graphql::{RoleGuard, db, state, viewer};
use crate::scalars::DateTime;

/// Filters of the incident list; all given filters must match.
#[derive(Debug, Default, InputObject)]
pub struct IncidentFilter {
    /// Any of these statuses. At most 32.
    #[graphql(validator(max_items = 32))]
    pub statuses: Option<Vec<IncidentStatus>>,
    /// Declared by this jurisdiction.
    pub jurisdiction_id: Option<ID>,
    /// Declared under this compact.
    pub compact_id: Option<ID>,
    /// Declared at or after this instant.
    pub declared_after: Option<DateTime>,
    /// Declared before this instant.
    pub declared_before: Option<DateTime>,
    /// Changed at or after this instant (for incremental sync).
    pub updated_since: Option<DateTime>,
}

/// Incident queries.
#[derive(Default)]
pub struct IncidentQuery;

#[Object]
impl IncidentQuery {
    /// An incident by id; null if there is none or the caller may not see it.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Incident>> {
        let id = validate::id("id", &id)?;
        Ok(domain::find_visible(db(ctx), viewer(ctx), id).await?.map(Incident))
    }

    /// Incidents the caller may see, most recently declared first.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of the GraphQL field: Relay paging, order and filters"
    )]
    async fn incidents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first records after `after` (or from the start), 0 to 100 (default 20).")] first: Option<
            i32,
        >,
        #[graphql(desc = "Cursor of the last edge of the previous page; at most 1,024 characters.")] after: Option<
            String,
        >,
        #[graphql(desc = "The last records before `before` (or up to the end), 0 to 100; not with `first`.")]
        last: Option<i32>,
        #[graphql(desc = "Cursor of the first edge of the next page; at most 1,024 characters.")] before: Option<
            String,
        >,
        #[graphql(desc = "How to sort; most recently declared first when omitted. The id breaks ties.")]
        order_by: Option<OrderBy<IncidentOrderField>>,
        #[graphql(desc = "What to include.")] filter: Option<IncidentFilter>,
    ) -> Result<IncidentConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = incident::Entity::find().filter(incidents_visible_to(viewer(ctx)));
        if let Some(statuses) = &filter.statuses {
            select = select.filter(incident::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
        }
        if let Some(id) = &filter.jurisdiction_id {
            select = select.filter(incident::Column::JurisdictionId.eq(validate::id("filter.jurisdictionId", id)?));
        }
        if let Some(id) = &filter.compact_id {
            select = select.filter(incident::Column::CompactId.eq(validate::id("filter.compactId", id)?));
        }
        if let Some(at) = filter.declared_after {
            select = select.filter(incident::Column::DeclaredAt.gte(at.0));
        }
        if let Some(at) = filter.declared_before {
            select = select.filter(incident::Column::DeclaredAt.lt(at.0));
        }
        if let Some(at) = filter.updated_since {
            select = select.filter(incident::Column::UpdatedAt.gte(at.0));
        }
        let order = order_of(order_by, incident::Column::Id.into_simple_expr());
        Ok(paginate(db(ctx), select, &order, Window::new(first, after, last, before), Incident).await?.into())
    }
}

/// The result of a mutation on an incident.
#[derive(SimpleObject)]
pub struct IncidentPayload {
    /// The incident as it is after the change.
    pub incident: Incident,
}

/// Incident mutations.
#[derive(Default)]
pub struct IncidentMutation;

#[Object]
impl IncidentMutation {
    /// Declares an incident for the caller's jurisdiction (or, for a coordinator, a member of their compact). An
    /// oral declaration gets a written-declaration due date from the compact's policy.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn declare_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: DeclareIncidentInput,
    ) -> Result<IncidentPayload> {
        let row = domain::declare(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(IncidentPayload { incident: Incident(row) })
    }

    /// Records the written declaration that follows an oral one.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn record_written_declaration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RecordWrittenDeclarationInput,
    ) -> Result<IncidentPayload> {
        let row = domain::record_written_declaration(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(IncidentPayload { incident: Incident(row) })
    }

    /// Closes an active incident.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn close_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CloseIncidentInput,
    ) -> Result<IncidentPayload> {
        let row = domain::close(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(IncidentPayload { incident: Incident(row) })
    }
}
