//! Record-level authorization: named checks (`ensure_*`) for single records and scoped query constructors
//! (`*_visible_to`) for everything that lists, counts or looks up. Every read path goes through these, so a list, a
//! nested field or a lookup can never show what another path would refuse.

use entities::{
    agreement, claim, compact, deadline, deployment, dispute, incident, inventory_item, membership, offer,
    request_recipient, resource_request,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, Condition};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::{DisputeStatus, MembershipStatus, RecordType, RequestStatus, Role};
use crate::error::{AppError, AppResult};

/// A condition that matches no row.
fn nothing() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// The jurisdictions that are active members of the compacts `compacts` selects (a condition on the membership's
/// compact).
fn active_members_of(compacts: SimpleExpr) -> SelectStatement {
    Query::select()
        .column(membership::Column::JurisdictionId)
        .from(membership::Entity)
        .cond_where(Condition::all().add(compacts).add(taking_part()))
        .to_owned()
}

/// Memberships that take part now: active ones, and those whose termination notice has not yet taken effect (the
/// AACOG agreement binds a member through its 90 days of notice).
fn taking_part() -> Condition {
    Condition::any().add(membership::Column::Status.eq(MembershipStatus::Active.as_str())).add(
        Condition::all()
            .add(membership::Column::Status.eq(MembershipStatus::TerminationNoticed.as_str()))
            .add(membership::Column::TerminationEffectiveAt.gt(chrono::Utc::now())),
    )
}

/// The jurisdictions that are members of any compact the viewer is scoped to.
fn members_of_scoped_compacts(viewer: &Viewer) -> SelectStatement {
    active_members_of(membership::Column::CompactId.is_in(viewer.scoped_compacts()))
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
    if viewer.jurisdiction_id.is_some() || !viewer.scoped_compacts().is_empty() {
        // Whoever sees a request sees its incident. Correlated, so that a lookup of a few incidents probes the
        // requests by incident instead of collecting every request the viewer sees.
        let of_this_incident = Expr::col((resource_request::Entity, resource_request::Column::IncidentId))
            .equals((incident::Entity, incident::Column::Id));
        any = any.add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(resource_request::Entity)
                .cond_where(Condition::all().add(of_this_incident).add(requests_visible_to(viewer)))
                .to_owned(),
        ));
    }
    if any.is_empty() { nothing() } else { any }
}

/// The `column` of the rows of `table` that meet `condition`, as a sub-select.
pub(crate) fn select_ids(
    column: impl sea_orm::sea_query::IntoColumnRef,
    table: impl sea_orm::sea_query::IntoTableRef,
    condition: Condition,
) -> SelectStatement {
    Query::select().column(column).from(table).cond_where(condition).to_owned()
}

/// Resource requests the viewer may see: the requesting jurisdiction's own; requests open to a jurisdiction
/// (addressed to it, or broadcast to the members of a compact it actively belongs to); requests it has answered;
/// every request of the compacts a coordinator covers, and every request but drafts of the compacts a committee
/// member, observer or integration covers.
pub fn requests_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut any = Condition::any();
    // A draft is the requester's own until submitted: of the compact-scoped roles only the coordinator sees it.
    let coordinated = compacts_with(viewer, &[Role::Coordinator]);
    if !coordinated.is_empty() {
        any = any.add(resource_request::Column::CompactId.is_in(coordinated));
    }
    let overseen = compacts_with(viewer, &[Role::CommitteeMember, Role::Observer, Role::Integration]);
    if !overseen.is_empty() {
        any = any.add(
            Condition::all()
                .add(resource_request::Column::CompactId.is_in(overseen))
                .add(resource_request::Column::Status.ne(RequestStatus::Draft.as_str())),
        );
    }
    if let Some(j) = viewer.jurisdiction_id {
        let addressed = select_ids(
            request_recipient::Column::RequestId,
            request_recipient::Entity,
            Condition::all().add(request_recipient::Column::JurisdictionId.eq(j)),
        );
        let member_of = select_ids(
            membership::Column::CompactId,
            membership::Entity,
            Condition::all().add(membership::Column::JurisdictionId.eq(j)).add(taking_part()),
        );
        let answered = select_ids(
            offer::Column::RequestId,
            offer::Entity,
            Condition::all().add(offer::Column::AssistingJurisdictionId.eq(j)),
        );
        any = any
            .add(resource_request::Column::RequestingJurisdictionId.eq(j))
            .add(resource_request::Column::Id.in_subquery(answered))
            .add(
                Condition::all().add(resource_request::Column::Status.eq(RequestStatus::Open.as_str())).add(
                    Condition::any().add(resource_request::Column::Id.in_subquery(addressed)).add(
                        Condition::all()
                            .add(resource_request::Column::Broadcast.eq(true))
                            .add(resource_request::Column::CompactId.in_subquery(member_of)),
                    ),
                ),
            );
    }
    if any.is_empty() { nothing() } else { any }
}

/// Offers the viewer may see: its own jurisdiction's, those made on its requests, and those of the compacts a
/// compact-scoped role covers. A competitor never sees another member's offer.
pub fn offers_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut own_requests = Condition::any();
    let mut any = Condition::any();
    if let Some(j) = viewer.jurisdiction_id {
        any = any.add(offer::Column::AssistingJurisdictionId.eq(j));
        own_requests = own_requests.add(resource_request::Column::RequestingJurisdictionId.eq(j));
    }
    let compacts = viewer.scoped_compacts();
    if !compacts.is_empty() {
        own_requests = own_requests.add(resource_request::Column::CompactId.is_in(compacts));
    }
    if !own_requests.is_empty() {
        any = any.add(offer::Column::RequestId.in_subquery(select_ids(
            resource_request::Column::Id,
            resource_request::Entity,
            own_requests,
        )));
    }
    if any.is_empty() { nothing() } else { any }
}

/// Agreements the viewer may see: those its jurisdiction is party to, and those of the compacts it covers.
pub fn agreements_visible_to(viewer: &Viewer) -> Condition {
    party_condition(
        viewer,
        agreement::Column::RequestingJurisdictionId,
        agreement::Column::AssistingJurisdictionId,
        agreement::Column::CompactId,
    )
}

/// Deployments the viewer may see: those its jurisdiction is party to, and those of the compacts it covers.
pub fn deployments_visible_to(viewer: &Viewer) -> Condition {
    party_condition(
        viewer,
        deployment::Column::RequestingJurisdictionId,
        deployment::Column::AssistingJurisdictionId,
        deployment::Column::CompactId,
    )
}

fn party_condition<C: ColumnTrait>(viewer: &Viewer, requesting: C, assisting: C, compact: C) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut any = Condition::any();
    if let Some(j) = viewer.jurisdiction_id {
        any = any.add(requesting.eq(j)).add(assisting.eq(j));
    }
    let compacts = viewer.scoped_compacts();
    if !compacts.is_empty() {
        any = any.add(compact.is_in(compacts));
    }
    if any.is_empty() { nothing() } else { any }
}

/// Inventory the viewer may see: its own jurisdiction's; that of the members of the compacts it coordinates; and,
/// in compacts whose policy shares inventory with members, that of the other active members, for an active member,
/// an observer or an integration of the compact. Committee members see none: disputes are their business.
pub fn inventory_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    // A condition on a membership's compact: one of the compacts `compacts` selects, if it shares inventory.
    let sharing = |compacts: SimpleExpr| {
        membership::Column::CompactId.in_subquery(
            Query::select()
                .column(compact::Column::Id)
                .from(compact::Entity)
                .and_where(compacts)
                .and_where(compact::Column::InventorySharedWithMembers.eq(true))
                .to_owned(),
        )
    };
    let mut any = Condition::any();
    if let Some(j) = viewer.jurisdiction_id {
        any = any.add(inventory_item::Column::JurisdictionId.eq(j));
        let own_compacts = select_ids(
            membership::Column::CompactId,
            membership::Entity,
            Condition::all().add(membership::Column::JurisdictionId.eq(j)).add(taking_part()),
        );
        any = any.add(
            inventory_item::Column::JurisdictionId
                .in_subquery(active_members_of(sharing(compact::Column::Id.in_subquery(own_compacts)))),
        );
    }
    let coordinated = compacts_with(viewer, &[Role::Coordinator]);
    if !coordinated.is_empty() {
        any = any.add(
            inventory_item::Column::JurisdictionId
                .in_subquery(active_members_of(membership::Column::CompactId.is_in(coordinated))),
        );
    }
    let overseen = compacts_with(viewer, &[Role::Observer, Role::Integration]);
    if !overseen.is_empty() {
        any = any.add(
            inventory_item::Column::JurisdictionId
                .in_subquery(active_members_of(sharing(compact::Column::Id.is_in(overseen)))),
        );
    }
    if any.is_empty() { nothing() } else { any }
}

/// Whether the viewer may read the free-text notes of an inventory item: its owner, the coordinator of a compact
/// it belongs to, an administrator. Others who may see shared availability see the quantities only.
pub fn sees_inventory_notes(viewer: &Viewer, owner: Uuid, coordinates_owner: bool) -> bool {
    viewer.is_admin() || viewer.jurisdiction_id == Some(owner) || coordinates_owner
}

/// Compacts in which the viewer holds one of `roles`.
fn compacts_with(viewer: &Viewer, roles: &[Role]) -> Vec<Uuid> {
    if roles.iter().any(|role| viewer.has_role(*role)) { viewer.compact_ids.iter().copied().collect() } else { vec![] }
}

/// Dispute statuses that put a dispute before the committee.
const BEFORE_COMMITTEE: [DisputeStatus; 3] =
    [DisputeStatus::Escalated, DisputeStatus::HearingScheduled, DisputeStatus::Decided];

/// Reimbursement claims the viewer may see: the parties', and those of the compacts a coordinator, observer or
/// integration covers; a committee member sees a claim only once one of its disputes is before the committee.
pub fn claims_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut any = Condition::any();
    if let Some(j) = viewer.jurisdiction_id {
        any = any.add(claim::Column::RequestingJurisdictionId.eq(j)).add(claim::Column::AssistingJurisdictionId.eq(j));
    }
    let overseen = compacts_with(viewer, &[Role::Coordinator, Role::Observer, Role::Integration]);
    if !overseen.is_empty() {
        any = any.add(claim::Column::CompactId.is_in(overseen));
    }
    let committee = compacts_with(viewer, &[Role::CommitteeMember]);
    if !committee.is_empty() {
        any = any.add(
            claim::Column::Id.in_subquery(select_ids(
                dispute::Column::ClaimId,
                dispute::Entity,
                Condition::all()
                    .add(dispute::Column::CompactId.is_in(committee))
                    .add(dispute::Column::Status.is_in(BEFORE_COMMITTEE.map(|s| s.as_str()))),
            )),
        );
    }
    if any.is_empty() { nothing() } else { any }
}

/// Disputes the viewer may see: those of the claims it may see, except that a committee member sees only the
/// disputes before the committee.
pub fn disputes_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let mut parties = Condition::any();
    if let Some(j) = viewer.jurisdiction_id {
        parties = parties
            .add(claim::Column::RequestingJurisdictionId.eq(j))
            .add(claim::Column::AssistingJurisdictionId.eq(j));
    }
    let overseen = compacts_with(viewer, &[Role::Coordinator, Role::Observer, Role::Integration]);
    if !overseen.is_empty() {
        parties = parties.add(claim::Column::CompactId.is_in(overseen));
    }
    let mut any = Condition::any();
    if !parties.is_empty() {
        any = any.add(dispute::Column::ClaimId.in_subquery(select_ids(claim::Column::Id, claim::Entity, parties)));
    }
    let committee = compacts_with(viewer, &[Role::CommitteeMember]);
    if !committee.is_empty() {
        any = any.add(
            Condition::all()
                .add(dispute::Column::CompactId.is_in(committee))
                .add(dispute::Column::Status.is_in(BEFORE_COMMITTEE.map(|s| s.as_str()))),
        );
    }
    if any.is_empty() { nothing() } else { any }
}

/// Deadlines the viewer may see: those of the records it may see.
pub fn deadlines_visible_to(viewer: &Viewer) -> Condition {
    if !viewer.is_authenticated() {
        return nothing();
    }
    if viewer.is_admin() {
        return Condition::all();
    }
    let of = |record_type: RecordType, ids: SelectStatement| {
        Condition::all()
            .add(deadline::Column::RecordType.eq(record_type.as_str()))
            .add(deadline::Column::RecordId.in_subquery(ids))
    };
    Condition::any()
        .add(of(
            RecordType::ResourceRequest,
            select_ids(resource_request::Column::Id, resource_request::Entity, requests_visible_to(viewer)),
        ))
        .add(of(
            RecordType::Agreement,
            select_ids(agreement::Column::Id, agreement::Entity, agreements_visible_to(viewer)),
        ))
        .add(of(RecordType::Incident, select_ids(incident::Column::Id, incident::Entity, incidents_visible_to(viewer))))
        .add(of(RecordType::Claim, select_ids(claim::Column::Id, claim::Entity, claims_visible_to(viewer))))
        .add(of(RecordType::Dispute, select_ids(dispute::Column::Id, dispute::Entity, disputes_visible_to(viewer))))
}

/// The facts of a record that decide who may see who changed it: the party that owns it (a request's requesting
/// jurisdiction, an incident's jurisdiction), the compact's coordinating jurisdiction, and whether the record is
/// one that only its parties and overseers can see at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventContext {
    /// The jurisdiction that owns the record, when others than its parties may see the record.
    pub owner: Option<Uuid>,
    /// The coordinating jurisdiction of the record's compact.
    pub coordinator: Option<Uuid>,
    /// Whether every viewer of the record is one of its parties or an overseer (offers, agreements, deployments,
    /// claims...): then every fact of its events is theirs to see.
    pub parties_only: bool,
}

/// Whether the viewer, who may see a record, may also see who made a change to it and what the change carried.
/// A member that sees a broadcast request may see what the requester and the coordinator did to it, but not what
/// another member did (its offer, accepted and later cancelled, is hidden from the other members, so its part in
/// the request's history is too).
pub fn discloses_actor(
    viewer: &Viewer,
    event_actor: Option<Uuid>,
    compact_id: Option<Uuid>,
    record: EventContext,
) -> bool {
    let Some(actor) = event_actor else { return true };
    if viewer.is_admin() || record.parties_only || viewer.jurisdiction_id == Some(actor) {
        return true;
    }
    if compact_id
        .is_some_and(|c| compacts_with(viewer, &[Role::Coordinator, Role::Observer, Role::Integration]).contains(&c))
    {
        return true;
    }
    record.owner.is_some_and(|owner| owner == actor || viewer.jurisdiction_id == Some(owner))
        || record.coordinator == Some(actor)
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
