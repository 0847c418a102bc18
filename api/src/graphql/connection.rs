//! Relay connections with keyset cursors.
//!
//! A list is ordered by a few sort keys that always end with the record's id, so the order is total. A cursor is
//! opaque to clients and holds the sort-key values of its record and the name of the order it belongs to; the next
//! page is the records strictly after those values (`WHERE (k1, k2, id) > (...)`, spelled out per key so each key
//! may have its own direction). A record inserted or edited elsewhere in the list therefore never shifts the page
//! boundary: a pager neither repeats nor skips a record whose sort keys did not change while it paged. A record
//! whose sort key changes (an edit under "most recently updated first") moves to its new place in the order, which
//! the documentation of each order says.
//!
//! Nullable sort keys order a missing value after every present one in ascending order (and first in descending
//! order), on both databases.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::connection::PageInfo;
use base64::Engine;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, NullOrdering, Order as SqlOrder, SimpleExpr};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QueryResult,
    QuerySelect, QueryTrait, Select, Value,
};
use serde_json::Value as Json;

use crate::error::{AppError, AppResult};

/// The largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE: i32 = 20;
/// The longest cursor this server accepts, in characters; it never gives out a longer one.
pub const MAX_CURSOR_LENGTH: usize = 1024;

/// The type of a sort key's values, which a cursor must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer (sequences, ranks).
    Int,
    /// Text.
    Text,
    /// A UTC timestamp.
    Time,
    /// A calendar date.
    Date,
    /// A UUID.
    Uuid,
}

/// One sort key of an order.
#[derive(Clone, Debug)]
pub struct Key {
    expr: SimpleExpr,
    kind: Kind,
    descending: bool,
    nullable: bool,
}

/// How a list is ordered: sort keys ending with a unique one, and the name that binds cursors to it.
#[derive(Clone, Debug)]
pub struct Order {
    name: String,
    keys: Vec<Key>,
}

impl Order {
    /// An order named `name` (a cursor of one order is refused by another).
    pub fn new(name: impl Into<String>) -> Self {
        Order { name: name.into(), keys: Vec::new() }
    }

    /// Adds a sort key whose values are never null.
    pub fn key(mut self, expr: impl Into<SimpleExpr>, kind: Kind, descending: bool) -> Self {
        self.keys.push(Key { expr: expr.into(), kind, descending, nullable: false });
        self
    }

    /// Adds a sort key that may be null; nulls come after every value in ascending order.
    pub fn nullable_key(mut self, expr: impl Into<SimpleExpr>, kind: Kind, descending: bool) -> Self {
        self.keys.push(Key { expr: expr.into(), kind, descending, nullable: true });
        self
    }

    /// Ends the order with the record's UUID id, ascending, which makes it total.
    pub fn then_id(self, id: impl Into<SimpleExpr>) -> Self {
        self.key(id, Kind::Uuid, false)
    }
}

/// A rank expression for an enumeration stored as text: its position in `values` (declaration order).
pub fn rank(column: impl Into<SimpleExpr>, values: &[&str]) -> SimpleExpr {
    let column: SimpleExpr = column.into();
    let mut case = Expr::case(column.clone().eq(values[0]), 0);
    for (i, value) in values.iter().enumerate().skip(1) {
        case = case.case(column.clone().eq(*value), i as i64);
    }
    case.finally(values.len() as i64).into()
}

/// The page a client asked for: `first`/`after` pages forward, `last`/`before` backward.
#[derive(Debug, Default, Clone)]
pub struct Window {
    /// How many records after `after` (or from the start).
    pub first: Option<i32>,
    /// The cursor the page starts after.
    pub after: Option<String>,
    /// How many records before `before` (or from the end).
    pub last: Option<i32>,
    /// The cursor the page ends before.
    pub before: Option<String>,
}

impl Window {
    /// A window from the four Relay arguments.
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        Window { first, after, last, before }
    }

    /// A forward window (for callers inside the server).
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Window { first, after, ..Window::default() }
    }
}

/// A cursor's decoded content: the order's name and the sort-key values of one record.
fn encode_cursor(order: &Order, values: &[Json]) -> String {
    let body = serde_json::json!({ "o": order.name, "k": values });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(body.to_string())
}

fn decode_cursor(argument: &str, order: &Order, cursor: &str) -> AppResult<Vec<Option<Value>>> {
    let bad = || AppError::bad_input(argument, format!("{argument} is not a cursor returned by this connection"));
    if cursor.len() > MAX_CURSOR_LENGTH {
        return Err(AppError::bad_input(argument, format!("a cursor is at most {MAX_CURSOR_LENGTH} characters")));
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let body: Json = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let name = body.get("o").and_then(Json::as_str).ok_or_else(bad)?;
    if name != order.name {
        return Err(AppError::bad_input(
            argument,
            format!("{argument} is a cursor of another order ({name}); page with the orderBy it was given for"),
        ));
    }
    let values = body.get("k").and_then(Json::as_array).ok_or_else(bad)?;
    if values.len() != order.keys.len() {
        return Err(bad());
    }
    order.keys.iter().zip(values).map(|(key, value)| value_of(key, value).ok_or_else(bad)).collect()
}

/// The SQL value of one key of a cursor, checked against the key's kind; `Some(None)` is a null key.
fn value_of(key: &Key, value: &Json) -> Option<Option<Value>> {
    if value.is_null() {
        return key.nullable.then_some(None);
    }
    let parsed: Value = match key.kind {
        Kind::Int => value.as_i64()?.into(),
        Kind::Text => value.as_str()?.to_owned().into(),
        Kind::Time => chrono::DateTime::parse_from_rfc3339(value.as_str()?).ok()?.with_timezone(&chrono::Utc).into(),
        Kind::Date => chrono::NaiveDate::parse_from_str(value.as_str()?, "%Y-%m-%d").ok()?.into(),
        Kind::Uuid => uuid::Uuid::parse_str(value.as_str()?).ok()?.into(),
    };
    Some(Some(parsed))
}

/// The cursor value of key `i` of a fetched row.
fn read_key(row: &QueryResult, i: usize, key: &Key) -> AppResult<Json> {
    let column = format!("cursor_key_{i}");
    let read = |e: sea_orm::DbErr| AppError::Internal(format!("reading sort key {i}: {e}"));
    Ok(match key.kind {
        Kind::Int => row.try_get::<Option<i64>>("", &column).map_err(read)?.map(Json::from),
        Kind::Text => row.try_get::<Option<String>>("", &column).map_err(read)?.map(Json::from),
        Kind::Time => row
            .try_get::<Option<chrono::DateTime<chrono::Utc>>>("", &column)
            .map_err(read)?
            .map(|t| Json::from(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))),
        Kind::Date => {
            row.try_get::<Option<chrono::NaiveDate>>("", &column).map_err(read)?.map(|d| Json::from(d.to_string()))
        }
        Kind::Uuid => row.try_get::<Option<uuid::Uuid>>("", &column).map_err(read)?.map(|u| Json::from(u.to_string())),
    }
    .unwrap_or(Json::Null))
}

/// `key` comes strictly after `value` when sorted in `descending` order (null counts as larger than any value).
fn beyond(key: &Key, value: &Option<Value>, descending: bool) -> SimpleExpr {
    let expr = || key.expr.clone();
    match (value, descending) {
        (Some(v), false) if key.nullable => expr().gt(v.clone()).or(expr().is_null()),
        (Some(v), false) => expr().gt(v.clone()),
        (Some(v), true) => expr().lt(v.clone()),
        (None, false) => Expr::cust("1 = 0"),
        (None, true) => expr().is_not_null(),
    }
}

fn same(key: &Key, value: &Option<Value>) -> SimpleExpr {
    match value {
        Some(v) => key.expr.clone().eq(v.clone()),
        None => key.expr.clone().is_null(),
    }
}

/// The records strictly beyond `values` in the order, read forward or (when `reversed`) backward.
fn seek(order: &Order, values: &[Option<Value>], reversed: bool) -> Condition {
    let mut any = Condition::any();
    for (i, (key, value)) in order.keys.iter().zip(values).enumerate() {
        let mut all = Condition::all();
        for (before, value) in order.keys.iter().zip(values).take(i) {
            all = all.add(same(before, value));
        }
        any = any.add(all.add(beyond(key, value, key.descending != reversed)));
    }
    any
}

/// Validates a page size argument.
fn size(argument: &str, value: i32) -> AppResult<u64> {
    if !(0..=MAX_PAGE).contains(&value) {
        return Err(AppError::bad_input(argument, format!("{argument} must be between 0 and {MAX_PAGE}")));
    }
    Ok(value as u64)
}

/// Counts the records of a list when (and only when) `totalCount` is selected.
pub type Count = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = AppResult<u64>> + Send>> + Send + Sync>;

/// One page of records, before it becomes a connection type of the schema.
pub struct Page<T> {
    /// The cursor and record of each edge, in order.
    pub edges: Vec<(String, T)>,
    /// Where the page is in the list.
    pub page_info: PageInfo,
    /// The count of all matching records, run if selected.
    pub total_count: Count,
}

/// The complexity of a connection field: its children count once per requested edge.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let edges = first.or(last).unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    1 + edges.saturating_mul(child_complexity)
}

/// What a connection field selects of its nodes, through `nodes` and through `edges { node }` alike.
pub fn node_selection<'a>(ctx: &'a async_graphql::Context<'a>) -> Option<async_graphql::Lookahead<'a>> {
    let connection = ctx.look_ahead();
    let mut fields = connection.field("nodes").selection_fields();
    fields.extend(connection.field("edges").field("node").selection_fields());
    async_graphql::Lookahead::try_from(fields.as_slice()).ok()
}

/// Runs a filtered select as one page of a connection in `order`: one statement for the rows, and one for the
/// count if `totalCount` is selected.
pub async fn paginate<E, T>(
    db: &crate::db::Handle,
    select: Select<E>,
    order: &Order,
    window: Window,
    map: impl Fn(E::Model) -> T,
) -> AppResult<Page<T>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sync + Send,
{
    let Window { first, after, last, before } = window;
    if first.is_some() && last.is_some() {
        return Err(AppError::bad_input("last", "give first or last, not both"));
    }
    let first = first.map(|n| size("first", n)).transpose()?;
    let last = last.map(|n| size("last", n)).transpose()?;
    let after = after.map(|c| decode_cursor("after", order, &c)).transpose()?;
    let before = before.map(|c| decode_cursor("before", order, &c)).transpose()?;
    // Backward when the client asks for the last records, or pages before a cursor without saying `first`.
    let backward = last.is_some() || (first.is_none() && before.is_some());
    let limit = if backward { last } else { first }.unwrap_or(DEFAULT_PAGE as u64);

    let counted = select.clone();
    let connection = db.clone();
    let total_count: Count = Arc::new(move || {
        let (select, db) = (counted.clone(), connection.clone());
        Box::pin(async move { Ok(select.count(&db).await?) })
    });

    let mut select = select;
    if let Some(values) = &after {
        select = select.filter(seek(order, values, false));
    }
    if let Some(values) = &before {
        select = select.filter(seek(order, values, true));
    }
    for (i, key) in order.keys.iter().enumerate() {
        let descending = key.descending != backward;
        let direction = if descending { SqlOrder::Desc } else { SqlOrder::Asc };
        let nulls = if descending { NullOrdering::First } else { NullOrdering::Last };
        // Integers are read back as 64-bit whatever the column's width, so the reader needs one type.
        let selected = match key.kind {
            Kind::Int => Expr::expr(key.expr.clone()).cast_as(Alias::new("BIGINT")),
            _ => key.expr.clone(),
        };
        select = select.column_as(selected, format!("cursor_key_{i}"));
        select = if key.nullable {
            select.order_by_with_nulls(key.expr.clone(), direction, nulls)
        } else {
            select.order_by(key.expr.clone(), direction)
        };
    }
    let rows = if limit == 0 {
        Vec::new()
    } else {
        let statement = select.limit(limit + 1).build(db.get_database_backend());
        db.query_all_raw(statement).await?
    };
    let more = rows.len() as u64 > limit;
    let mut edges = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        let values =
            order.keys.iter().enumerate().map(|(i, key)| read_key(row, i, key)).collect::<AppResult<Vec<_>>>()?;
        let model = E::Model::from_query_result(row, "")?;
        edges.push((encode_cursor(order, &values), map(model)));
    }
    if backward {
        edges.reverse();
    }
    let page_info = PageInfo {
        has_previous_page: if backward { more } else { after.is_some() },
        has_next_page: if backward { before.is_some() } else { more },
        start_cursor: edges.first().map(|(cursor, _)| cursor.clone()),
        end_cursor: edges.last().map(|(cursor, _)| cursor.clone()),
    };
    Ok(Page { edges, page_info, total_count })
}

/// Defines a documented Relay connection type and its edge type for a node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $doc:literal, $edge_doc:literal) => {
        #[doc = $doc]
        pub struct $connection {
            edges: Vec<$edge>,
            page_info: async_graphql::connection::PageInfo,
            total_count: $crate::graphql::connection::Count,
        }

        #[doc = $doc]
        #[async_graphql::Object]
        impl $connection {
            /// The edges of this page, in order.
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }
            /// The nodes of this page, in order (the same as `edges { node }`).
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|edge| &edge.node).collect()
            }
            /// Where this page is in the whole list. Paging forward, `hasPreviousPage` says whether the page was
            /// asked for after a cursor; paging backward, `hasNextPage` says whether it was asked for before one.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }
            /// How many records match the filter in all pages, counting only what the caller may see. Counted
            /// only when selected.
            async fn total_count(&self) -> async_graphql::Result<u64> {
                Ok((self.total_count)().await?)
            }
        }

        #[doc = $edge_doc]
        pub struct $edge {
            cursor: String,
            node: $node,
        }

        #[doc = $edge_doc]
        #[async_graphql::Object]
        impl $edge {
            /// Opaque position of this edge: pass it as `after` for the records that follow, or as `before` for
            /// those that precede. It stays valid when other records are added or changed, and belongs to the
            /// order it was given in.
            async fn cursor(&self) -> &str {
                &self.cursor
            }
            /// The record.
            async fn node(&self) -> &$node {
                &self.node
            }
        }

        impl From<$crate::graphql::connection::Page<$node>> for $connection {
            fn from(page: $crate::graphql::connection::Page<$node>) -> Self {
                let edges = page.edges.into_iter().map(|(cursor, node)| $edge { cursor, node }).collect();
                $connection { edges, page_info: page.page_info, total_count: page.total_count }
            }
        }
    };
}
pub(crate) use connection;

/// The direction of an `orderBy`.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest, earliest or first in the lifecycle first.
    Asc,
    /// Largest, latest or last in the lifecycle first.
    #[default]
    Desc,
}

impl OrderDirection {
    /// Whether this is descending.
    pub fn descending(self) -> bool {
        self == OrderDirection::Desc
    }

    /// The name used in cursors.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderDirection::Asc => "ASC",
            OrderDirection::Desc => "DESC",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order::new("T.DESC").key(Expr::cust("t"), Kind::Time, true).then_id(Expr::cust("id"))
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let order = order();
        let values = vec![Json::from("2026-01-02T03:04:05.123456Z"), Json::from(uuid::Uuid::nil().to_string())];
        let cursor = encode_cursor(&order, &values);
        let decoded = decode_cursor("after", &order, &cursor).unwrap();
        assert_eq!(decoded.len(), 2);
        assert!(decoded.iter().all(Option::is_some));
        for garbage in ["not-a-cursor", "", "eyJvIjoiVC5ERVNDIn0", &"A".repeat(MAX_CURSOR_LENGTH + 1)] {
            assert!(decode_cursor("after", &order, garbage).is_err(), "{garbage} was accepted");
        }
        // A null where the key is not nullable, a number where a time is expected, another order's cursor.
        for values in [vec![Json::Null, Json::from(uuid::Uuid::nil().to_string())], vec![Json::from(1), Json::from(2)]]
        {
            assert!(decode_cursor("after", &order, &encode_cursor(&order, &values)).is_err());
        }
        let other = Order::new("T.ASC").key(Expr::cust("t"), Kind::Time, false).then_id(Expr::cust("id"));
        let error = decode_cursor("after", &other, &cursor).unwrap_err();
        assert!(error.message().contains("another order"), "{}", error.message());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert!(size("first", 101).is_err());
        assert!(size("first", -1).is_err());
        assert_eq!(size("last", 100).unwrap(), 100);
        assert_eq!(cost(None, None, 2), 41);
        assert_eq!(cost(None, Some(100), 2), 201);
    }
}
