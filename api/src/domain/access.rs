//! Record-level authorization: named checks (`ensure_*`) for single records and scoped query constructors
//! (`*_visible_to`) for everything that lists, counts or looks up. Every read path goes through these, so a list, a
//! nested field or a lookup can never show what another path would refuse.

use entities::{incident, membership};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::Role;
use crate::error::{AppError, AppResult};

/// A condition that matches no row.
fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// The jurisdictions that are members of any compact the viewer is scoped to.
fn members_of_scoped_compacts(viewer: &Viewer) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(membership::Column::JurisdictionId)
        .from(membership::Entity)
        .and_where(membership::Column::CompactId.is_in(viewer.scoped_compacts()))
        .to_owned()
}

/// Incidents the viewer may see: administrators see all; a jurisdiction sees its own; compact-scoped roles see
/// the incidents declared under their compacts and those of their compacts' members.
pub fn incidents_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut any = Condition::any();
    if let Some(jurisdiction_id) = viewer.jurisdiction_id {
        any = any.add(incident::Column::JurisdictionId.eq(jurisdiction_id));
    }
    let compacts = viewer.scoped_compacts();
    if !compacts.is_empty() {
        any = any
            .add(incident::Column::CompactId.is_in(compacts))
            .add(incident::Column::JurisdictionId.in_subquery(members_of_scoped_compacts(viewer)));
    }
    if any.is_empty() { nothing() } else { any }
}

/// Whether the viewer may see this incident (the single-record form of [`incidents_visible_to`]).
pub fn can_see_incident(viewer: &Viewer, incident: &incident::Model, member_of_scoped: bool) -> bool {
    viewer.is_admin()
        || viewer.jurisdiction_id == Some(incident.jurisdiction_id)
        || incident.compact_id.is_some_and(|c| viewer.scoped_compacts().contains(&c))
        || member_of_scoped
}

/// `FORBIDDEN` unless the viewer administers the directory.
pub fn ensure_admin(viewer: &Viewer) -> AppResult<()> {
    viewer.require_authenticated()?;
    if viewer.is_admin() { Ok(()) } else { Err(AppError::forbidden("only an administrator may change the directory")) }
}

/// `FORBIDDEN` unless the viewer may act for `jurisdiction_id`: its authorized representative, or an administrator.
pub fn ensure_acts_for(viewer: &Viewer, jurisdiction_id: Uuid) -> AppResult<()> {
    viewer.require_authenticated()?;
    if viewer.is_admin() || viewer.represents(jurisdiction_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only an authorized representative of the jurisdiction may do this"))
    }
}

/// `FORBIDDEN` unless the viewer may act for `jurisdiction_id`, or coordinates `compact_id` (a coordinator may
/// record documents and declarations on a member's behalf).
pub fn ensure_acts_for_or_coordinates(
    viewer: &Viewer,
    jurisdiction_id: Uuid,
    compact_id: Option<Uuid>,
) -> AppResult<()> {
    if compact_id.is_some_and(|c| viewer.has_compact_role(Role::Coordinator, c)) {
        return Ok(());
    }
    ensure_acts_for(viewer, jurisdiction_id)
}
