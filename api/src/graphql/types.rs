//! GraphQL output types. They wrap the stored rows and are their own types, so the contract does not follow the
//! table shape; relations resolve through the request's DataLoader.

use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use entities::{
    authorized_representative, compact, event, incident, jurisdiction, jurisdiction_contact, membership, resource_type,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::directory::membership_status_at;
use crate::domain::enums::{
    CompactKind, ContactKind, DeclarationForm, IncidentKind, IncidentStatus, JurisdictionKind, MembershipStatus,
    RecordType, ResourceKind,
};
use crate::domain::policy::Policy;
use crate::graphql::connection::{Window, connection, paginate};
use crate::graphql::loaders::{
    CompactById, ContactsOf, JurisdictionById, Loaders, MembershipsOf, RepresentativesOf, ResourceTypeById,
};
use crate::graphql::ordering;
use crate::graphql::{db, state};
use crate::scalars::{Date, DateTime, Sequence};

/// The request's DataLoader.
pub(crate) fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// A directory record that a row refers to by a required foreign key: it is always there and every caller may read
/// it, so its absence is a fault of ours, not a null.
fn required<T>(found: Option<T>, record: &str, id: uuid::Uuid) -> Result<T> {
    found.ok_or_else(|| {
        crate::error::AppError::Internal(format!("{record} {id} is referred to but missing")).to_graphql()
    })
}

/// The jurisdiction a row refers to (a required link).
pub async fn jurisdiction_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Jurisdiction> {
    required(loaders(ctx).load_one(JurisdictionById(id)).await?.map(Jurisdiction), "jurisdiction", id)
}

/// The compact a row refers to (a required link).
pub async fn compact_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Compact> {
    required(loaders(ctx).load_one(CompactById(id)).await?.map(Compact), "compact", id)
}

/// The resource type a row refers to (a required link).
pub async fn resource_type_by_id(ctx: &Context<'_>, id: uuid::Uuid) -> Result<ResourceType> {
    required(loaders(ctx).load_one(ResourceTypeById(id)).await?.map(ResourceType), "resource type", id)
}

/// The events of one record, oldest first.
pub(crate) async fn history(ctx: &Context<'_>, record_id: uuid::Uuid, window: Window) -> Result<EventConnection> {
    let select = event::Entity::find().filter(event::Column::RecordId.eq(record_id));
    Ok(paginate(db(ctx), select, &ordering::history(), window, Event).await?.into())
}

/// A political subdivision or state that can request or lend help.
pub struct Jurisdiction(pub jurisdiction::Model);

/// A political subdivision or state that can request or lend help.
#[Object]
impl Jurisdiction {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Jurisdiction, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Official name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Kind of jurisdiction.
    async fn kind(&self) -> Result<JurisdictionKind> {
        Ok(JurisdictionKind::from_db(&self.0.kind)?)
    }
    /// The enclosing jurisdiction (the state of a county, the county of a city).
    /// Null for a top-level jurisdiction (a state).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        let Some(parent_id) = self.0.parent_id else { return Ok(None) };
        Ok(loaders(ctx).load_one(JurisdictionById(parent_id)).await?.map(Jurisdiction))
    }
    /// Region (a DEMHS region, a Disaster District, a council of governments).
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// Two-letter postal code of the state.
    async fn state_code(&self) -> Option<&str> {
        self.0.state_code.as_deref()
    }
    /// Where the jurisdiction's seat is, for "closest resources first".
    /// Null when no coordinates are recorded.
    async fn location(&self) -> Option<GeoPoint> {
        match (self.0.latitude, self.0.longitude) {
            (Some(latitude), Some(longitude)) => Some(GeoPoint { latitude, longitude }),
            _ => None,
        }
    }
    /// Points of contact: primary, alternate, 24-hour.
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Contact>> {
        let rows = loaders(ctx).load_one(ContactsOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Contact).collect())
    }
    /// People entitled to sign for the jurisdiction, including former ones (see `active`).
    async fn authorized_representatives(&self, ctx: &Context<'_>) -> Result<Vec<AuthorizedRepresentative>> {
        let rows = loaders(ctx).load_one(RepresentativesOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(AuthorizedRepresentative).collect())
    }
    /// The compacts the jurisdiction belongs or belonged to.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        let rows = loaders(ctx).load_one(MembershipsOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(Membership).collect())
    }
    /// What the jurisdiction holds and has available, by resource type, as far as the viewer may see it (the
    /// README's visibility table: the jurisdiction itself, its compacts' coordinators, and the members, observers
    /// and integrations of compacts that share inventory); empty for others.
    async fn inventory(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::missions::InventoryItem>> {
        let rows = loaders(ctx).load_one(crate::graphql::loaders::InventoryOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(crate::graphql::missions::InventoryItem).collect())
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the record, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// A latitude/longitude pair in decimal degrees (WGS 84).
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct GeoPoint {
    /// Degrees north of the equator (negative: south).
    pub latitude: f64,
    /// Degrees east of Greenwich (negative: west).
    pub longitude: f64,
}

/// A point of contact of a jurisdiction.
pub struct Contact(pub jurisdiction_contact::Model);

/// A point of contact of a jurisdiction.
#[Object]
impl Contact {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Which contact this is.
    async fn kind(&self) -> Result<ContactKind> {
        Ok(ContactKind::from_db(&self.0.kind)?)
    }
    /// Full name, or the office for a 24-hour line.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Position or title.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// Telephone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// E-mail address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
}

/// A person entitled to sign for a jurisdiction.
pub struct AuthorizedRepresentative(pub authorized_representative::Model);

/// A person entitled to sign for a jurisdiction: its emergency manager, EMD/EMC, or a pre-authorized designee.
#[Object]
impl AuthorizedRepresentative {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Position or title.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// Telephone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// E-mail address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Whether this is a pre-authorized designee rather than the principal representative.
    async fn designee(&self) -> bool {
        self.0.designee
    }
    /// Whether the person still holds the authority.
    async fn active(&self) -> bool {
        self.0.active
    }
}

/// A mutual-aid compact.
pub struct Compact(pub compact::Model);

/// A mutual-aid agreement (EMAC, a statewide act, a regional program, a town-to-town agreement) and its policy.
#[Object]
impl Compact {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Compact, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The dispute committee's roster, by subject.
    async fn committee(&self, ctx: &Context<'_>) -> Result<Vec<CommitteeMember>> {
        use entities::committee_member;
        let rows = committee_member::Entity::find()
            .filter(committee_member::Column::CompactId.eq(self.0.id))
            .order_by_asc(committee_member::Column::Subject)
            .all(db(ctx))
            .await?;
        Ok(rows.into_iter().map(CommitteeMember).collect())
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Short name (`Utah SMAA`).
    async fn short_name(&self) -> &str {
        &self.0.short_name
    }
    /// Kind of compact.
    async fn kind(&self) -> Result<CompactKind> {
        Ok(CompactKind::from_db(&self.0.kind)?)
    }
    /// Legal authority (statute, rule, resolution).
    async fn authority(&self) -> &str {
        &self.0.authority
    }
    /// What the compact is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The jurisdiction whose office coordinates the compact (a state EOC, a council of governments).
    /// Null for a compact without a coordinating office.
    async fn coordinating_jurisdiction(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        let Some(id) = self.0.coordinating_jurisdiction_id else { return Ok(None) };
        Ok(loaders(ctx).load_one(JurisdictionById(id)).await?.map(Jurisdiction))
    }
    /// Whether requests need a mission number from the coordinator before sourcing opens.
    async fn mission_numbers_required(&self) -> bool {
        self.0.mission_numbers_required
    }
    /// The next tier: the compact a request goes to when this one's members cannot fill it (Connecticut: a DEMHS
    /// region's plan, then the intrastate compact, then EMAC through the state).
    /// Null for the last tier.
    async fn next_tier(&self, ctx: &Context<'_>) -> Result<Option<Compact>> {
        match self.0.next_tier_compact_id {
            Some(id) => Ok(Some(compact_by_id(ctx, id).await?)),
            None => Ok(None),
        }
    }
    /// The compact's rules and time limits.
    async fn policy(&self) -> Result<Policy> {
        Ok(Policy::from_model(&self.0)?)
    }
    /// The members, in order of joining.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn members(
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
    ) -> Result<MembershipConnection> {
        let select = membership::Entity::find().filter(membership::Column::CompactId.eq(self.0.id));
        let window = Window::new(first, after, last, before);
        Ok(paginate(db(ctx), select, &ordering::memberships(), window, Membership).await?.into())
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the compact and its policy, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// A jurisdiction's membership of a compact.
pub struct Membership(pub membership::Model);

/// A jurisdiction's membership of a compact. Only active members request and offer under the compact.
#[Object]
impl Membership {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Membership, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Compact> {
        crate::graphql::types::compact_by_id(ctx, self.0.compact_id).await
    }
    /// The member.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.jurisdiction_id).await
    }
    /// Date of the authorizing resolution or signature.
    async fn joined_on(&self) -> Date {
        self.0.joined_on.into()
    }
    /// Reference of the authorizing resolution.
    async fn authorizing_resolution(&self) -> Option<&str> {
        self.0.authorizing_resolution.as_deref()
    }
    /// The status now: a noticed termination reads `TERMINATED` once its effective time has passed.
    async fn status(&self, ctx: &Context<'_>) -> Result<MembershipStatus> {
        Ok(membership_status_at(&self.0, state(ctx).clock.now())?)
    }
    /// When the termination notice was given.
    async fn termination_noticed_at(&self) -> Option<DateTime> {
        self.0.termination_noticed_at.map(Into::into)
    }
    /// When the termination takes (or took) effect: the notice plus the compact's notice period.
    async fn termination_effective_at(&self) -> Option<DateTime> {
        self.0.termination_effective_at.map(Into::into)
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Every change to the membership, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// An emergency or disaster event.
pub struct Incident(pub incident::Model);

/// An emergency or disaster event declared by a jurisdiction; requests for assistance are made for an incident.
#[Object]
impl Incident {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::Incident, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name of the incident.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Kind of incident.
    async fn kind(&self) -> Result<IncidentKind> {
        Ok(IncidentKind::from_db(&self.0.kind)?)
    }
    /// Whether the incident is ongoing.
    async fn status(&self) -> Result<IncidentStatus> {
        Ok(IncidentStatus::from_db(&self.0.status)?)
    }
    /// The declaring jurisdiction.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Jurisdiction> {
        crate::graphql::types::jurisdiction_by_id(ctx, self.0.jurisdiction_id).await
    }
    /// The compact whose assistance the declaration activates.
    /// Null when the declaration activates no compact.
    async fn compact(&self, ctx: &Context<'_>) -> Result<Option<Compact>> {
        let Some(id) = self.0.compact_id else { return Ok(None) };
        Ok(loaders(ctx).load_one(CompactById(id)).await?.map(Compact))
    }
    /// What is happening.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where, in words.
    async fn location_description(&self) -> Option<&str> {
        self.0.location_description.as_deref()
    }
    /// Where, as coordinates.
    /// Null when no coordinates are recorded.
    async fn location(&self) -> Option<GeoPoint> {
        match (self.0.latitude, self.0.longitude) {
            (Some(latitude), Some(longitude)) => Some(GeoPoint { latitude, longitude }),
            _ => None,
        }
    }
    /// When the emergency was declared.
    async fn declared_at(&self) -> DateTime {
        self.0.declared_at.into()
    }
    /// Whether the declaration was oral or written.
    async fn declaration_form(&self) -> Result<DeclarationForm> {
        Ok(DeclarationForm::from_db(&self.0.declaration_form)?)
    }
    /// When the written declaration is due after an oral one (per the compact's policy); null when none is due.
    async fn written_declaration_due_at(&self) -> Option<DateTime> {
        self.0.written_declaration_due_at.map(Into::into)
    }
    /// When the written declaration was received.
    async fn written_declaration_at(&self) -> Option<DateTime> {
        self.0.written_declaration_at.map(Into::into)
    }
    /// Incremented by every change; pass it as `expectedVersion` to detect concurrent edits.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the record was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
    /// Every change to the incident, oldest first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, last, child_complexity)")]
    async fn history(
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
    ) -> Result<EventConnection> {
        history(ctx, self.0.id, Window::new(first, after, last, before)).await
    }
}

/// A NIMS-style resource type.
pub struct ResourceType(pub resource_type::Model);

/// A NIMS-style resource type of the shared catalog.
#[Object]
impl ResourceType {
    /// The ids state systems give this record, one per system (`externalRef` finds the record by one).
    async fn external_refs(&self, ctx: &Context<'_>) -> Result<Vec<crate::graphql::external::ExternalRef>> {
        crate::graphql::external::refs(ctx, self.0.id).await
    }

    /// Global id naming the type, for Relay's `node(id:)`; `id` is the record's own id.
    pub async fn node_id(&self) -> ID {
        crate::graphql::node::global_id(crate::graphql::node::NodeType::ResourceType, self.0.id)
    }
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Category (Fire/Hazardous Materials, Search and Rescue...).
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// Kind of resource.
    async fn kind(&self) -> Result<ResourceKind> {
        Ok(ResourceKind::from_db(&self.0.kind)?)
    }
    /// Name (`Engine, Fire (Structural)`).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// NIMS type level: 1 is the most capable.
    async fn type_level(&self) -> Option<i32> {
        self.0.type_level
    }
    /// External id, such as the RTLT `x-508-nnnn` identifier.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// What the resource is and does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
}

macro_rules! record_states {
    ($($variant:ident($object:ident, $status:ident, $record:ident, $doc:literal)),+ $(,)?) => {
        $(
            #[doc = $doc]
            #[derive(async_graphql::SimpleObject)]
            pub struct $object {
                /// The status.
                pub status: crate::domain::enums::$status,
            }
        )+

        /// A record's status, typed by the kind of record: a request's is a `RequestStatus`, a deployment's a
        /// `DeploymentStatus`, and so on.
        #[derive(async_graphql::Union)]
        pub enum RecordState {
            $(
                #[doc = $doc]
                $variant($object),
            )+
        }

        impl RecordState {
            /// The typed status of a stored event's text; none without one.
            pub fn of(record_type: &str, status: Option<&str>) -> async_graphql::Result<Option<RecordState>> {
                let Some(status) = status else { return Ok(None) };
                let kind = RecordType::from_db(record_type)?;
                Ok(Some(match kind {
                    $(RecordType::$record => RecordState::$variant($object {
                        status: crate::domain::enums::$status::from_db(status)?,
                    }),)+
                    other => {
                        return Err(crate::error::AppError::Internal(format!(
                            "a status {status:?} on a {other} event"
                        ))
                        .to_graphql());
                    }
                }))
            }
        }
    };
}

record_states!(
    Request(RequestState, RequestStatus, ResourceRequest, "The status of a resource request."),
    Offer(OfferState, OfferStatus, Offer, "The status of an offer."),
    Agreement(AgreementState, AgreementStatus, Agreement, "The status of an agreement."),
    Amendment(AmendmentState, AmendmentStatus, Amendment, "The status of an amendment."),
    Deployment(DeploymentState, DeploymentStatus, Deployment, "The status of a deployment."),
    Claim(ClaimState, ClaimStatus, Claim, "The status of a reimbursement claim."),
    Dispute(DisputeState, DisputeStatus, Dispute, "The status of a dispute."),
    Incident(IncidentState, IncidentStatus, Incident, "The status of an incident."),
    Deadline(DeadlineState, DeadlineStatus, Deadline, "The status of a deadline."),
    Membership(MembershipState, MembershipStatus, Membership, "The status of a membership."),
);

/// One change to one record.
pub struct Event(pub event::Model);

/// One change to one record: the audit trail, the change feed and the source of subscription messages.
#[Object]
impl Event {
    /// Position in the log; strictly increasing.
    async fn sequence(&self) -> Sequence {
        Sequence(self.0.id)
    }
    /// When the change was made.
    async fn occurred_at(&self) -> DateTime {
        self.0.occurred_at.into()
    }
    /// Who made it. When the viewer may see the record but not the part another jurisdiction played in it (a
    /// member reading a broadcast request that a competitor answered), the actor is withheld: `subject` reads
    /// `redacted` and the name and jurisdiction are null, and `redacted` is true.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Actor> {
        if !self.disclosed(ctx).await? {
            return Ok(Actor { subject: "redacted".to_owned(), name: None, jurisdiction_id: None, system: None });
        }
        Ok(Actor {
            subject: self.0.actor_subject.clone(),
            name: self.0.actor_name.clone(),
            jurisdiction_id: self.0.actor_jurisdiction_id.map(|id| ID(id.to_string())),
            system: self.0.actor_system.clone(),
        })
    }
    /// Whether the actor and the payload are withheld from this viewer (see `actor`).
    async fn redacted(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(!self.disclosed(ctx).await?)
    }
    /// The type of the changed record.
    async fn record_type(&self) -> Result<RecordType> {
        Ok(RecordType::from_db(&self.0.record_type)?)
    }
    /// The id of the changed record.
    async fn record_id(&self) -> ID {
        ID(self.0.record_id.to_string())
    }
    /// What happened (`CREATED`, `POLICY_UPDATED`, `TERMINATION_NOTICED`...).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The status before, for status changes, as text: a value of the status enumeration of `recordType`
    /// (`RequestStatus` for a `RESOURCE_REQUEST`...). `fromState` gives it typed.
    async fn from_status(&self) -> Option<&str> {
        self.0.from_status.as_deref()
    }
    /// The status after, for status changes and creations, as text (see `fromStatus`); `toState` gives it typed.
    async fn to_status(&self) -> Option<&str> {
        self.0.to_status.as_deref()
    }
    /// The status before, typed by the kind of record (`... on RequestState { status }`). Null when the event is not
    /// a status change.
    #[graphql(name = "fromState")]
    async fn state_before(&self) -> Result<Option<RecordState>> {
        RecordState::of(&self.0.record_type, self.0.from_status.as_deref())
    }
    /// The status after, typed by the kind of record. Null when the event is neither a status change nor a
    /// creation.
    #[graphql(name = "toState")]
    async fn state_after(&self) -> Result<Option<RecordState>> {
        RecordState::of(&self.0.record_type, self.0.to_status.as_deref())
    }
    /// The compact the record belongs to.
    async fn compact_id(&self) -> Option<ID> {
        self.0.compact_id.map(|id| ID(id.to_string()))
    }
    /// The details of the change; an empty object when `redacted`.
    async fn payload(&self, ctx: &Context<'_>) -> Result<Json<serde_json::Value>> {
        if !self.disclosed(ctx).await? {
            return Ok(Json(serde_json::json!({})));
        }
        Ok(Json(self.0.payload.clone()))
    }
}

impl Event {
    /// Whether the viewer may see the actor and payload, decided by [`crate::domain::access::discloses_actor`].
    async fn disclosed(&self, ctx: &Context<'_>) -> Result<bool> {
        use crate::domain::access::{EventContext, discloses_actor};
        use crate::graphql::loaders::{IncidentById, RequestById};
        let viewer = crate::graphql::viewer(ctx);
        let e = &self.0;
        let coordinator = match e.compact_id {
            Some(id) => loaders(ctx).load_one(CompactById(id)).await?.and_then(|c| c.coordinating_jurisdiction_id),
            None => None,
        };
        let record = match RecordType::from_db(&e.record_type)? {
            RecordType::ResourceRequest => match loaders(ctx).load_one(RequestById(e.record_id)).await? {
                Some(request) => {
                    EventContext { owner: Some(request.requesting_jurisdiction_id), coordinator, parties_only: false }
                }
                None => return Ok(false),
            },
            RecordType::Incident => match loaders(ctx).load_one(IncidentById(e.record_id)).await? {
                Some(incident) => {
                    EventContext { owner: Some(incident.jurisdiction_id), coordinator, parties_only: false }
                }
                None => return Ok(false),
            },
            // Shared inventory is seen by other members, its events only by the owner and the overseers.
            RecordType::InventoryItem => EventContext { owner: None, coordinator, parties_only: false },
            // The directory is public to every authenticated caller, and so is who maintains it.
            RecordType::Jurisdiction | RecordType::Compact | RecordType::Membership | RecordType::ResourceType => {
                EventContext { parties_only: true, ..EventContext::default() }
            }
            _ => EventContext { owner: None, coordinator, parties_only: true },
        };
        Ok(discloses_actor(viewer, e.actor_jurisdiction_id, e.compact_id, record))
    }
}

/// A seat on a compact's dispute committee.
pub struct CommitteeMember(pub entities::committee_member::Model);

/// A seat on a compact's dispute committee, for a term.
#[Object]
impl CommitteeMember {
    /// Opaque, stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The member's token subject.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The member's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The jurisdiction the member comes from; null for an at-large member. A member is recused from the disputes
    /// of claims its jurisdiction is party to.
    async fn jurisdiction(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        let Some(id) = self.0.jurisdiction_id else { return Ok(None) };
        Ok(loaders(ctx).load_one(JurisdictionById(id)).await?.map(Jurisdiction))
    }
    /// First day of the term.
    async fn term_starts_on(&self) -> Date {
        Date(self.0.term_starts_on)
    }
    /// Last day of the term; null when open-ended.
    async fn term_ends_on(&self) -> Option<Date> {
        self.0.term_ends_on.map(Date)
    }
}

/// Who made a change.
#[derive(Debug, Clone, SimpleObject)]
pub struct Actor {
    /// The `sub` of the token (`system` for the server itself).
    pub subject: String,
    /// Display name.
    pub name: Option<String>,
    /// The jurisdiction the person represented (or the service account acted for).
    pub jurisdiction_id: Option<ID>,
    /// The integration system a service account wrote through; null for people.
    pub system: Option<String>,
}

connection!(
    JurisdictionConnection,
    JurisdictionEdge,
    Jurisdiction,
    "A page of jurisdictions.",
    "A jurisdiction in a page."
);
connection!(CompactConnection, CompactEdge, Compact, "A page of compacts.", "A compact in a page.");
connection!(MembershipConnection, MembershipEdge, Membership, "A page of memberships.", "A membership in a page.");
connection!(IncidentConnection, IncidentEdge, Incident, "A page of incidents.", "An incident in a page.");
connection!(
    ResourceTypeConnection,
    ResourceTypeEdge,
    ResourceType,
    "A page of resource types.",
    "A resource type in a page."
);
connection!(EventConnection, EventEdge, Event, "A page of events, oldest first.", "An event in a page.");
