//! Directory queries and administrator mutations: jurisdictions, compacts, memberships, resource types.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::{compact, jurisdiction, membership, resource_type};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::directory::{
    self as domain, AddCommitteeMemberInput, AddCompactMemberInput, ContactInput, CreateCompactInput,
    CreateJurisdictionInput, CreateResourceTypeInput, NoticeMembershipTerminationInput, RepresentativeInput,
    UpdateCompactInput, UpdateJurisdictionInput,
};
use crate::domain::enums::{CompactKind, JurisdictionKind, ResourceKind, Role};
use crate::domain::validate;
use crate::error::AppError;
use crate::graphql::connection::{Window, paginate};
use crate::graphql::ordering;
use crate::graphql::types::{
    AuthorizedRepresentative, CommitteeMember, Compact, CompactConnection, Contact, Jurisdiction,
    JurisdictionConnection, Membership, ResourceType, ResourceTypeConnection,
};
use crate::graphql::{RoleGuard, db, state, viewer};

/// Filters of the jurisdiction list; all given filters must match.
#[derive(Debug, Default, InputObject)]
pub struct JurisdictionFilter {
    /// Any of these kinds. At most 32.
    #[graphql(validator(max_items = 32))]
    pub kinds: Option<Vec<JurisdictionKind>>,
    /// Directly inside this jurisdiction.
    pub parent_id: Option<ID>,
    /// In this region (exact).
    pub region: Option<String>,
    /// In this state (two-letter code).
    pub state_code: Option<String>,
    /// Name contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// Member (in any status) of this compact.
    pub member_of: Option<ID>,
}

/// Filters of the compact list.
#[derive(Debug, Default, InputObject)]
pub struct CompactFilter {
    /// Any of these kinds. At most 32.
    #[graphql(validator(max_items = 32))]
    pub kinds: Option<Vec<CompactKind>>,
    /// Compacts this jurisdiction is a member of.
    pub member_id: Option<ID>,
}

/// Filters of the resource-type catalog.
#[derive(Debug, Default, InputObject)]
pub struct ResourceTypeFilter {
    /// Any of these kinds. At most 32.
    #[graphql(validator(max_items = 32))]
    pub kinds: Option<Vec<ResourceKind>>,
    /// In this category (exact).
    pub category: Option<String>,
    /// Name contains this text (case-insensitive).
    pub name_contains: Option<String>,
}

/// `%text%` for a case-insensitive LIKE, with the wildcards of the text escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

fn lower_like(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col(column)))
        .like(sea_orm::sea_query::LikeExpr::new(contains_pattern(text)).escape('\\'))
}

/// Directory queries. Every authenticated caller may read the directory.
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// A jurisdiction by id; null if there is none.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn jurisdiction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Jurisdiction>> {
        let id = validate::id("id", &id)?;
        let row = jurisdiction::Entity::find_by_id(id).one(db(ctx)).await.map_err(AppError::from)?;
        Ok(row.map(Jurisdiction))
    }

    /// Jurisdictions, by name.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    async fn jurisdictions(
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
        #[graphql(desc = "What to include.")] filter: Option<JurisdictionFilter>,
    ) -> Result<JurisdictionConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = jurisdiction::Entity::find();
        if let Some(kinds) = &filter.kinds {
            select = select.filter(jurisdiction::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if let Some(parent) = &filter.parent_id {
            select = select.filter(jurisdiction::Column::ParentId.eq(validate::id("filter.parentId", parent)?));
        }
        if let Some(region) = &filter.region {
            select = select.filter(jurisdiction::Column::Region.eq(region.trim()));
        }
        if let Some(code) = &filter.state_code {
            select = select.filter(jurisdiction::Column::StateCode.eq(code.trim().to_ascii_uppercase()));
        }
        if let Some(text) = &filter.name_contains {
            select = select.filter(lower_like((jurisdiction::Entity, jurisdiction::Column::Name), text));
        }
        if let Some(compact) = &filter.member_of {
            let compact = validate::id("filter.memberOf", compact)?;
            select = select.filter(
                jurisdiction::Column::Id.in_subquery(
                    Query::select()
                        .column(membership::Column::JurisdictionId)
                        .from(membership::Entity)
                        .and_where(membership::Column::CompactId.eq(compact))
                        .to_owned(),
                ),
            );
        }
        Ok(paginate(db(ctx), select, &ordering::jurisdictions(), Window::new(first, after, last, before), Jurisdiction)
            .await?
            .into())
    }

    /// A compact by id; null if there is none.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn compact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Compact>> {
        let id = validate::id("id", &id)?;
        let row = compact::Entity::find_by_id(id).one(db(ctx)).await.map_err(AppError::from)?;
        Ok(row.map(Compact))
    }

    /// Compacts, by name.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    async fn compacts(
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
        #[graphql(desc = "What to include.")] filter: Option<CompactFilter>,
    ) -> Result<CompactConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = compact::Entity::find();
        if let Some(kinds) = &filter.kinds {
            select = select.filter(compact::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if let Some(member) = &filter.member_id {
            let member = validate::id("filter.memberId", member)?;
            select = select.filter(
                compact::Column::Id.in_subquery(
                    Query::select()
                        .column(membership::Column::CompactId)
                        .from(membership::Entity)
                        .and_where(membership::Column::JurisdictionId.eq(member))
                        .to_owned(),
                ),
            );
        }
        Ok(paginate(db(ctx), select, &ordering::compacts(), Window::new(first, after, last, before), Compact)
            .await?
            .into())
    }

    /// A membership by id; null if there is none.
    #[graphql(guard = "RoleGuard::authenticated()")]
    async fn membership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record's id.")] id: ID,
    ) -> Result<Option<Membership>> {
        let id = validate::id("id", &id)?;
        let row = membership::Entity::find_by_id(id).one(db(ctx)).await.map_err(AppError::from)?;
        Ok(row.map(Membership))
    }

    /// The resource-type catalog, by category, name and type level.
    #[graphql(
        guard = "RoleGuard::authenticated()",
        complexity = "crate::graphql::connection::cost(first, last, child_complexity)"
    )]
    async fn resource_types(
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
        #[graphql(desc = "What to include.")] filter: Option<ResourceTypeFilter>,
    ) -> Result<ResourceTypeConnection> {
        let filter = filter.unwrap_or_default();
        let mut select = resource_type::Entity::find();
        if let Some(kinds) = &filter.kinds {
            select = select.filter(resource_type::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
        }
        if let Some(category) = &filter.category {
            select = select.filter(resource_type::Column::Category.eq(category.trim()));
        }
        if let Some(text) = &filter.name_contains {
            select = select.filter(lower_like((resource_type::Entity, resource_type::Column::Name), text));
        }
        Ok(paginate(
            db(ctx),
            select,
            &ordering::resource_types(),
            Window::new(first, after, last, before),
            ResourceType,
        )
        .await?
        .into())
    }
}

/// The result of a mutation on a jurisdiction.
#[derive(SimpleObject)]
pub struct JurisdictionPayload {
    /// The jurisdiction as it is after the change.
    pub jurisdiction: Jurisdiction,
}

/// The result of adding a contact.
#[derive(SimpleObject)]
pub struct ContactPayload {
    /// The new contact.
    pub contact: Contact,
}

/// The result of a mutation on a representative.
#[derive(SimpleObject)]
pub struct RepresentativePayload {
    /// The representative as it is after the change.
    pub representative: AuthorizedRepresentative,
}

/// The result of a mutation on a compact.
#[derive(SimpleObject)]
pub struct CompactPayload {
    /// The compact as it is after the change.
    pub compact: Compact,
}

/// The result of seating a committee member.
#[derive(SimpleObject)]
pub struct CommitteeMemberPayload {
    /// The seat as it is after the change.
    pub committee_member: CommitteeMember,
}

/// The result of a mutation on a membership.
#[derive(SimpleObject)]
pub struct MembershipPayload {
    /// The membership as it is after the change.
    pub membership: Membership,
}

/// The result of adding a resource type.
#[derive(SimpleObject)]
pub struct ResourceTypePayload {
    /// The new resource type.
    pub resource_type: ResourceType,
}

/// Adding a contact to a jurisdiction.
#[derive(Debug, InputObject)]
pub struct AddJurisdictionContactInput {
    /// The jurisdiction.
    pub jurisdiction_id: ID,
    /// The contact.
    pub contact: ContactInput,
}

/// Adding an authorized representative to a jurisdiction.
#[derive(Debug, InputObject)]
pub struct AddAuthorizedRepresentativeInput {
    /// The jurisdiction.
    pub jurisdiction_id: ID,
    /// The representative.
    pub representative: RepresentativeInput,
}

/// Removing a record by id.
#[derive(Debug, InputObject)]
pub struct RemoveByIdInput {
    /// The record.
    pub id: ID,
}

/// Directory mutations: administrators maintain the directory; members give their own termination notice.
#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Creates a jurisdiction with its contacts and representatives. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn create_jurisdiction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateJurisdictionInput,
    ) -> Result<JurisdictionPayload> {
        let row = domain::create_jurisdiction(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(JurisdictionPayload { jurisdiction: Jurisdiction(row) })
    }

    /// Changes a jurisdiction's name, kind, parent, region or location. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn update_jurisdiction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpdateJurisdictionInput,
    ) -> Result<JurisdictionPayload> {
        let row = domain::update_jurisdiction(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(JurisdictionPayload { jurisdiction: Jurisdiction(row) })
    }

    /// Adds a point of contact to a jurisdiction. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn add_jurisdiction_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AddJurisdictionContactInput,
    ) -> Result<ContactPayload> {
        let row =
            domain::add_contact(db(ctx), viewer(ctx), state(ctx).clock.now(), &input.jurisdiction_id, input.contact)
                .await?;
        Ok(ContactPayload { contact: Contact(row) })
    }

    /// Removes a point of contact; returns its jurisdiction. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn remove_jurisdiction_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RemoveByIdInput,
    ) -> Result<JurisdictionPayload> {
        let state = state(ctx);
        let jurisdiction_id = domain::remove_contact(db(ctx), viewer(ctx), state.clock.now(), &input.id).await?;
        let row = jurisdiction::Entity::find_by_id(jurisdiction_id)
            .one(db(ctx))
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found("jurisdiction", jurisdiction_id))?;
        Ok(JurisdictionPayload { jurisdiction: Jurisdiction(row) })
    }

    /// Adds an authorized representative to a jurisdiction. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn add_authorized_representative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AddAuthorizedRepresentativeInput,
    ) -> Result<RepresentativePayload> {
        let row = domain::add_representative(
            db(ctx),
            viewer(ctx),
            state(ctx).clock.now(),
            &input.jurisdiction_id,
            input.representative,
        )
        .await?;
        Ok(RepresentativePayload { representative: AuthorizedRepresentative(row) })
    }

    /// Ends a representative's authority; the entry stays for the record. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn deactivate_authorized_representative(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: RemoveByIdInput,
    ) -> Result<RepresentativePayload> {
        let row = domain::deactivate_representative(db(ctx), viewer(ctx), state(ctx).clock.now(), &input.id).await?;
        Ok(RepresentativePayload { representative: AuthorizedRepresentative(row) })
    }

    /// Creates a compact with its policy. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn create_compact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateCompactInput,
    ) -> Result<CompactPayload> {
        let row = domain::create_compact(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(CompactPayload { compact: Compact(row) })
    }

    /// Changes a compact or replaces its policy. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn update_compact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: UpdateCompactInput,
    ) -> Result<CompactPayload> {
        let row = domain::update_compact(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(CompactPayload { compact: Compact(row) })
    }

    /// Seats a member on a compact's dispute committee for a term. Only seated members who do not come from a
    /// party may be named to a hearing's quorum, vote and issue its decision. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn add_committee_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AddCommitteeMemberInput,
    ) -> Result<CommitteeMemberPayload> {
        let row = domain::add_committee_member(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(CommitteeMemberPayload { committee_member: CommitteeMember(row) })
    }

    /// Adds a jurisdiction to a compact as an active member. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn add_compact_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: AddCompactMemberInput,
    ) -> Result<MembershipPayload> {
        let row = domain::add_member(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(MembershipPayload { membership: Membership(row) })
    }

    /// Records a member's written notice that it leaves the compact; it takes effect after the compact's notice
    /// period (at once if the compact has none). By the member's authorized representative or an administrator.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin, Role::AuthorizedRepresentative])")]
    async fn notice_membership_termination(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: NoticeMembershipTerminationInput,
    ) -> Result<MembershipPayload> {
        let row = domain::notice_termination(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(MembershipPayload { membership: Membership(row) })
    }

    /// Adds a resource type to the catalog. Administrators only.
    #[graphql(guard = "RoleGuard::any_of(&[Role::Admin])")]
    async fn create_resource_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do.")] input: CreateResourceTypeInput,
    ) -> Result<ResourceTypePayload> {
        let row = domain::create_resource_type(db(ctx), viewer(ctx), state(ctx).clock.now(), input).await?;
        Ok(ResourceTypePayload { resource_type: ResourceType(row) })
    }
}
