//! Relay connections: forward pagination with opaque cursors, `first` capped, and `totalCount`.

use async_graphql::connection::{CursorType, PageInfo};
use base64::Engine;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QuerySelect, Select};

use crate::error::{AppError, AppResult};

/// The largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// The page size when `first` is omitted.
pub const DEFAULT_PAGE: i32 = 20;

/// An opaque cursor: the position of a record in the ordered result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub u64);

/// A cursor that this API did not issue.
#[derive(Debug)]
pub struct BadCursor;

impl std::fmt::Display for BadCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("after is not a cursor returned by this connection")
    }
}

impl CursorType for Cursor {
    type Error = BadCursor;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bad = || BadCursor;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        text.strip_prefix("o:").and_then(|n| n.parse().ok()).map(Cursor).ok_or_else(bad)
    }

    fn encode_cursor(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{}", self.0))
    }
}

/// One page of records, before it becomes a connection type of the schema.
pub struct Page<T> {
    /// The records of the page, in order.
    pub nodes: Vec<T>,
    /// The position of the first record.
    pub offset: u64,
    /// Whether more records follow.
    pub has_next_page: bool,
    /// How many records match in all pages.
    pub total_count: u64,
}

impl<T> Page<T> {
    /// The Relay page info of this page.
    pub fn page_info(&self) -> PageInfo {
        let last = self.offset + self.nodes.len() as u64;
        PageInfo {
            has_previous_page: self.offset > 0,
            has_next_page: self.has_next_page,
            start_cursor: (!self.nodes.is_empty()).then(|| Cursor(self.offset).encode_cursor()),
            end_cursor: (!self.nodes.is_empty()).then(|| Cursor(last - 1).encode_cursor()),
        }
    }

    /// The cursor of each node.
    pub fn into_edges(self) -> impl Iterator<Item = (String, T)> {
        let offset = self.offset;
        self.nodes.into_iter().enumerate().map(move |(i, node)| (Cursor(offset + i as u64).encode_cursor(), node))
    }
}

/// Defines a documented Relay connection type and its edge type for a node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $doc:literal, $edge_doc:literal) => {
        #[doc = $doc]
        pub struct $connection {
            edges: Vec<$edge>,
            page_info: async_graphql::connection::PageInfo,
            total_count: u64,
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
            /// Where this page is in the whole list.
            async fn page_info(&self) -> &async_graphql::connection::PageInfo {
                &self.page_info
            }
            /// How many records match the filter in all pages, counting only what the caller may see.
            async fn total_count(&self) -> u64 {
                self.total_count
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
            /// Opaque position of this edge; pass it as `after` to get the records that follow.
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
                let page_info = page.page_info();
                let total_count = page.total_count;
                let edges = page.into_edges().map(|(cursor, node)| $edge { cursor, node }).collect();
                $connection { edges, page_info, total_count }
            }
        }
    };
}
pub(crate) use connection;

/// The complexity of a connection field: its children count once per requested edge.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let edges = first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    1 + edges.saturating_mul(child_complexity)
}

/// The largest position a cursor may name: far beyond any table, well within the drivers' signed 64-bit offsets.
const MAX_CURSOR_POSITION: u64 = 1 << 53;

/// Validates `first` and `after` into a limit and an offset.
pub fn window(first: Option<i32>, after: Option<String>) -> AppResult<(u64, u64)> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(AppError::bad_input("first", format!("first must be between 0 and {MAX_PAGE}")));
    }
    let offset = match after {
        Some(cursor) => {
            let position = Cursor::decode_cursor(&cursor).map_err(|e| AppError::bad_input("after", e.to_string()))?.0;
            // A cursor is a position in a list the database can page through: refuse one no list can reach, rather
            // than let it overflow here or in the database driver.
            if position >= MAX_CURSOR_POSITION {
                return Err(AppError::bad_input("after", "the cursor is not one this server gave out"));
            }
            position + 1
        }
        None => 0,
    };
    Ok((first as u64, offset))
}

/// Runs an ordered, filtered select as one page of a connection: one statement for the count, one for the rows.
pub async fn paginate<E, T>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    first: Option<i32>,
    after: Option<String>,
    map: impl Fn(E::Model) -> T,
) -> AppResult<Page<T>>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Sync + Send,
{
    let (limit, offset) = window(first, after)?;
    let total_count = select.clone().count(db).await?;
    let rows = if limit == 0 { vec![] } else { select.offset(offset).limit(limit + 1).all(db).await? };
    let has_next_page = rows.len() as u64 > limit;
    let nodes = rows.into_iter().take(limit as usize).map(map).collect();
    Ok(Page { nodes, offset, has_next_page, total_count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor(41);
        assert_eq!(Cursor::decode_cursor(&cursor.encode_cursor()).unwrap(), cursor);
        assert!(Cursor::decode_cursor("not-a-cursor").is_err());
    }

    #[test]
    fn first_is_capped() {
        assert!(window(Some(101), None).is_err());
        assert!(window(Some(-1), None).is_err());
        assert_eq!(window(None, None).unwrap(), (20, 0));
    }
}
