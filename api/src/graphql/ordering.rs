//! The orders of the lists: which fields a list may be sorted by, and the sort keys behind each.
//!
//! Every order ends with the record's id, so it is total and a keyset cursor names one position in it. Statuses
//! and priorities sort by their place in the lifecycle or scale, not by their names.

use async_graphql::{Enum, InputObject, InputType};
use entities::{
    agreement, claim, compact, deadline, deployment, event, incident, inventory_item, jurisdiction, membership,
    resource_request, resource_type,
};
use sea_orm::IntoSimpleExpr;
use sea_orm::sea_query::{Expr, SimpleExpr};

use crate::domain::enums::{
    AgreementStatus, ClaimStatus, DeadlineStatus, DeploymentStatus, IncidentStatus, Priority, RequestStatus,
};
use crate::graphql::connection::{Kind, Order, OrderDirection, rank};

/// How to order a list: a field, and a direction (each field's natural direction when omitted).
#[derive(InputObject, Debug, Clone, Copy)]
#[graphql(concrete(name = "ResourceRequestOrder", params(ResourceRequestOrderField)))]
#[graphql(concrete(name = "AgreementOrder", params(AgreementOrderField)))]
#[graphql(concrete(name = "DeploymentOrder", params(DeploymentOrderField)))]
#[graphql(concrete(name = "DeadlineOrder", params(DeadlineOrderField)))]
#[graphql(concrete(name = "ClaimOrder", params(ClaimOrderField)))]
#[graphql(concrete(name = "IncidentOrder", params(IncidentOrderField)))]
pub struct OrderBy<F: InputType + OrderField> {
    /// The field to sort by.
    pub field: F,
    /// The direction; when omitted, the field's natural one (said on each field).
    pub direction: Option<OrderDirection>,
}

/// A field a list may be sorted by.
pub trait OrderField: Copy + Send + Sync {
    /// The order when the client gives none.
    const DEFAULT: Self;
    /// The field's name in cursors.
    fn name(self) -> &'static str;
    /// The direction when the client gives none.
    fn natural(self) -> OrderDirection;
    /// The sort keys of the field in `direction`, before the id.
    fn keys(self, order: Order, descending: bool) -> Order;
}

/// The order of a list from its `orderBy` argument; `id` ends it.
pub fn order_of<F: OrderField + InputType>(order_by: Option<OrderBy<F>>, id: impl Into<SimpleExpr>) -> Order {
    let (field, direction) = match order_by {
        Some(OrderBy { field, direction }) => (field, direction.unwrap_or(field.natural())),
        None => (F::DEFAULT, F::DEFAULT.natural()),
    };
    field.keys(Order::new(format!("{}.{}", field.name(), direction.as_str())), direction.descending()).then_id(id)
}

/// A column, qualified with its table (visibility conditions select from other tables too).
fn col(column: impl IntoSimpleExpr) -> SimpleExpr {
    column.into_simple_expr()
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| name(*v)).collect()
}

/// The fields resource requests can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResourceRequestOrderField {
    /// When the request last changed; most recent first by default. An edit moves a request to its new place.
    UpdatedAt,
    /// When the record was created; newest first by default.
    CreatedAt,
    /// When the request was made (verbal requests: when it was made by telephone); newest first by default.
    RequestedAt,
    /// The earliest `neededBy` of its line items; soonest first by default, requests without one last.
    NeededBy,
    /// Priority: `URGENT` first by default.
    Priority,
    /// Place in the lifecycle (`DRAFT` before `SUBMITTED` ...); earliest first by default.
    Status,
}

impl OrderField for ResourceRequestOrderField {
    const DEFAULT: Self = ResourceRequestOrderField::UpdatedAt;

    fn name(self) -> &'static str {
        match self {
            Self::UpdatedAt => "UPDATED_AT",
            Self::CreatedAt => "CREATED_AT",
            Self::RequestedAt => "REQUESTED_AT",
            Self::NeededBy => "NEEDED_BY",
            Self::Priority => "PRIORITY",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        match self {
            Self::NeededBy | Self::Status => OrderDirection::Asc,
            _ => OrderDirection::Desc,
        }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use resource_request::Column;
        match self {
            Self::UpdatedAt => order.key(col(Column::UpdatedAt), Kind::Time, descending),
            Self::CreatedAt => order.key(col(Column::CreatedAt), Kind::Time, descending),
            Self::RequestedAt => order.key(col(Column::RequestedAt), Kind::Time, descending),
            Self::NeededBy => order.nullable_key(
                Expr::cust(
                    "(SELECT MIN(request_line_items.needed_by) FROM request_line_items \
                     WHERE request_line_items.request_id = resource_requests.id)",
                ),
                Kind::Time,
                descending,
            ),
            // Ranked LOW, ROUTINE, URGENT, so that the natural descending order puts URGENT first.
            Self::Priority => order.key(
                rank(
                    col(Column::Priority),
                    &[Priority::Low.as_str(), Priority::Routine.as_str(), Priority::Urgent.as_str()],
                ),
                Kind::Int,
                descending,
            ),
            Self::Status => order.key(
                rank(col(Column::Status), &names(RequestStatus::ALL, RequestStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// The fields agreements can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AgreementOrderField {
    /// When the agreement was created; newest first by default.
    CreatedAt,
    /// When it last changed; most recent first by default. An edit moves an agreement to its new place.
    UpdatedAt,
    /// Place in the lifecycle; earliest first by default.
    Status,
}

impl OrderField for AgreementOrderField {
    const DEFAULT: Self = AgreementOrderField::CreatedAt;

    fn name(self) -> &'static str {
        match self {
            Self::CreatedAt => "CREATED_AT",
            Self::UpdatedAt => "UPDATED_AT",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        if self == Self::Status { OrderDirection::Asc } else { OrderDirection::Desc }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use agreement::Column;
        match self {
            Self::CreatedAt => order.key(col(Column::CreatedAt), Kind::Time, descending),
            Self::UpdatedAt => order.key(col(Column::UpdatedAt), Kind::Time, descending),
            Self::Status => order.key(
                rank(col(Column::Status), &names(AgreementStatus::ALL, AgreementStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// The fields deployments can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeploymentOrderField {
    /// When the deployment last changed; most recent first by default. An edit moves it to its new place.
    UpdatedAt,
    /// When the record was created; newest first by default.
    CreatedAt,
    /// Place in the lifecycle; earliest first by default.
    Status,
}

impl OrderField for DeploymentOrderField {
    const DEFAULT: Self = DeploymentOrderField::UpdatedAt;

    fn name(self) -> &'static str {
        match self {
            Self::UpdatedAt => "UPDATED_AT",
            Self::CreatedAt => "CREATED_AT",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        if self == Self::Status { OrderDirection::Asc } else { OrderDirection::Desc }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use deployment::Column;
        match self {
            Self::UpdatedAt => order.key(col(Column::UpdatedAt), Kind::Time, descending),
            Self::CreatedAt => order.key(col(Column::CreatedAt), Kind::Time, descending),
            Self::Status => order.key(
                rank(col(Column::Status), &names(DeploymentStatus::ALL, DeploymentStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// The fields deadlines can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum DeadlineOrderField {
    /// When the deadline falls due; soonest first by default.
    DueAt,
    /// When it was set; newest first by default.
    CreatedAt,
    /// Its status (`PENDING`, `MET`, ...); in declaration order by default.
    Status,
}

impl OrderField for DeadlineOrderField {
    const DEFAULT: Self = DeadlineOrderField::DueAt;

    fn name(self) -> &'static str {
        match self {
            Self::DueAt => "DUE_AT",
            Self::CreatedAt => "CREATED_AT",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        if self == Self::CreatedAt { OrderDirection::Desc } else { OrderDirection::Asc }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use deadline::Column;
        match self {
            Self::DueAt => order.key(col(Column::DueAt), Kind::Time, descending),
            Self::CreatedAt => order.key(col(Column::CreatedAt), Kind::Time, descending),
            Self::Status => order.key(
                rank(col(Column::Status), &names(DeadlineStatus::ALL, DeadlineStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// The fields claims can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClaimOrderField {
    /// When the claim last changed; most recent first by default. An edit moves it to its new place.
    UpdatedAt,
    /// When the claim was opened; newest first by default.
    CreatedAt,
    /// When the assistance ended, from which the compact's filing deadlines run; most recent first by default.
    AssistanceEndedAt,
    /// Place in the lifecycle; earliest first by default.
    Status,
}

impl OrderField for ClaimOrderField {
    const DEFAULT: Self = ClaimOrderField::UpdatedAt;

    fn name(self) -> &'static str {
        match self {
            Self::UpdatedAt => "UPDATED_AT",
            Self::CreatedAt => "CREATED_AT",
            Self::AssistanceEndedAt => "ASSISTANCE_ENDED_AT",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        if self == Self::Status { OrderDirection::Asc } else { OrderDirection::Desc }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use claim::Column;
        match self {
            Self::UpdatedAt => order.key(col(Column::UpdatedAt), Kind::Time, descending),
            Self::CreatedAt => order.key(col(Column::CreatedAt), Kind::Time, descending),
            Self::AssistanceEndedAt => order.key(col(Column::AssistanceEndedAt), Kind::Time, descending),
            Self::Status => order.key(
                rank(col(Column::Status), &names(ClaimStatus::ALL, ClaimStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// The fields incidents can be sorted by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum IncidentOrderField {
    /// When the emergency was declared; most recent first by default.
    DeclaredAt,
    /// When the record last changed; most recent first by default.
    UpdatedAt,
    /// The name, alphabetically by default.
    Name,
    /// Its status (`ACTIVE` before `CLOSED`); in declaration order by default.
    Status,
}

impl OrderField for IncidentOrderField {
    const DEFAULT: Self = IncidentOrderField::DeclaredAt;

    fn name(self) -> &'static str {
        match self {
            Self::DeclaredAt => "DECLARED_AT",
            Self::UpdatedAt => "UPDATED_AT",
            Self::Name => "NAME",
            Self::Status => "STATUS",
        }
    }

    fn natural(self) -> OrderDirection {
        match self {
            Self::Name | Self::Status => OrderDirection::Asc,
            _ => OrderDirection::Desc,
        }
    }

    fn keys(self, order: Order, descending: bool) -> Order {
        use incident::Column;
        match self {
            Self::DeclaredAt => order.key(col(Column::DeclaredAt), Kind::Time, descending),
            Self::UpdatedAt => order.key(col(Column::UpdatedAt), Kind::Time, descending),
            Self::Name => order.key(col(Column::Name), Kind::Text, descending),
            Self::Status => order.key(
                rank(col(Column::Status), &names(IncidentStatus::ALL, IncidentStatus::as_str)),
                Kind::Int,
                descending,
            ),
        }
    }
}

/// Jurisdictions: by name.
pub fn jurisdictions() -> Order {
    use jurisdiction::Column;
    Order::new("NAME.ASC").key(col(Column::Name), Kind::Text, false).then_id(col(Column::Id))
}

/// Compacts: by name.
pub fn compacts() -> Order {
    use compact::Column;
    Order::new("NAME.ASC").key(col(Column::Name), Kind::Text, false).then_id(col(Column::Id))
}

/// Resource types: by category, name and type level (untyped last).
pub fn resource_types() -> Order {
    use resource_type::Column;
    Order::new("CATEGORY.ASC")
        .key(col(Column::Category), Kind::Text, false)
        .key(col(Column::Name), Kind::Text, false)
        .nullable_key(col(Column::TypeLevel), Kind::Int, false)
        .then_id(col(Column::Id))
}

/// Inventory: by jurisdiction, then resource type.
pub fn inventory() -> Order {
    use inventory_item::Column;
    Order::new("JURISDICTION.ASC")
        .key(col(Column::JurisdictionId), Kind::Uuid, false)
        .key(col(Column::ResourceTypeId), Kind::Uuid, false)
        .then_id(col(Column::Id))
}

/// A compact's members: by the day they joined.
pub fn memberships() -> Order {
    use membership::Column;
    Order::new("JOINED_ON.ASC").key(col(Column::JoinedOn), Kind::Date, false).then_id(col(Column::Id))
}

/// Notifications, newest first.
pub fn notifications() -> Order {
    Order::new("NOTIFICATION.DESC").key(col(entities::notification::Column::Id), Kind::Int, true)
}

/// A record's history, oldest first.
pub fn history() -> Order {
    Order::new("SEQUENCE.ASC").key(col(event::Column::Id), Kind::Int, false)
}
