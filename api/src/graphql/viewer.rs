//! The `viewer` query: who the caller is and what they may do. The only field anonymous callers may read.

use async_graphql::{Context, Object, Result};
use entities::{compact, jurisdiction};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth;
use crate::domain::enums::Role;
use crate::graphql::types::{Compact, Jurisdiction};
use crate::graphql::{db, viewer};
use crate::scalars::DateTime;

/// Queries about the caller.
#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// Who the caller is and what they may do. Answered for anonymous callers too (`authenticated: false`).
    async fn viewer(&self, ctx: &Context<'_>) -> ViewerInfo {
        ViewerInfo(viewer(ctx).clone())
    }
}

/// The caller.
pub struct ViewerInfo(auth::Viewer);

impl ViewerInfo {
    async fn compacts_with(&self, ctx: &Context<'_>, role: Role) -> Result<Vec<Compact>> {
        if !self.0.has_role(role) || self.0.compact_ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = compact::Entity::find()
            .filter(compact::Column::Id.is_in(self.0.compact_ids.iter().copied()))
            .order_by_asc(compact::Column::Name)
            .all(db(ctx))
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(Compact).collect())
    }
}

/// The caller: identity from the token and what it allows.
#[Object(name = "Viewer")]
impl ViewerInfo {
    /// Whether a valid token was presented. Anonymous callers see nothing but this query and health checks.
    async fn authenticated(&self) -> bool {
        self.0.is_authenticated()
    }
    /// The `sub` of the token.
    async fn subject(&self) -> Option<&str> {
        self.0.is_authenticated().then_some(self.0.subject.as_str())
    }
    /// Display name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Granted roles.
    async fn roles(&self) -> Vec<Role> {
        self.0.roles.iter().copied().collect()
    }
    /// The jurisdiction the caller represents. Null for a caller who represents none (anonymous, or a token without
    /// one).
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        let Some(id) = self.0.jurisdiction_id else { return Ok(None) };
        let row = jurisdiction::Entity::find_by_id(id).one(db(ctx)).await.map_err(crate::error::AppError::from)?;
        Ok(row.map(Jurisdiction))
    }
    /// When the credentials expire.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at.map(Into::into)
    }
    /// Whether the caller may maintain the directory (jurisdictions, compacts, memberships, resource types).
    async fn can_administer_directory(&self) -> bool {
        self.0.is_admin()
    }
    /// Whether the caller may sign, request and offer for their jurisdiction.
    async fn can_act_for_jurisdiction(&self) -> bool {
        self.0.jurisdiction_id.is_some() && self.0.has_role(Role::AuthorizedRepresentative)
    }
    /// Compacts the caller coordinates: sees all their records, assigns mission numbers, records documents.
    async fn coordinated_compacts(&self, ctx: &Context<'_>) -> Result<Vec<Compact>> {
        self.compacts_with(ctx, Role::Coordinator).await
    }
    /// Compacts on whose dispute committee the caller sits.
    async fn committee_compacts(&self, ctx: &Context<'_>) -> Result<Vec<Compact>> {
        self.compacts_with(ctx, Role::CommitteeMember).await
    }
    /// Compacts the caller observes read-only.
    async fn observed_compacts(&self, ctx: &Context<'_>) -> Result<Vec<Compact>> {
        self.compacts_with(ctx, Role::Observer).await
    }
}
