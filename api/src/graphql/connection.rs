//! Relay connections: forward pagination with opaque cursors, `first` capped, and `totalCount`.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine;
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QuerySelect, Select};

use crate::error::{AppError, AppResult};

/// The largest page a client may ask for.
pub const MAX_PAGE: i32 = 100;
/// The page size when `first` is omitted.
pub const DEFAULT_PAGE: i32 = 20;

/// Fields every connection has besides its edges.
#[derive(Debug, Clone, SimpleObject)]
pub struct ConnectionFields {
    /// How many records match the filter in all pages (visible to the caller).
    pub total_count: u64,
}

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

/// A connection of `T`.
pub type Page<T> = Connection<Cursor, T, ConnectionFields>;

/// The complexity of a connection field: its children count once per requested edge.
pub fn cost(first: Option<i32>, child_complexity: usize) -> usize {
    let edges = first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
    1 + edges.saturating_mul(child_complexity)
}

/// Validates `first` and `after` into a limit and an offset.
pub fn window(first: Option<i32>, after: Option<String>) -> AppResult<(u64, u64)> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(AppError::bad_input("first", format!("first must be between 0 and {MAX_PAGE}")));
    }
    let offset = match after {
        Some(cursor) => Cursor::decode_cursor(&cursor).map_err(|e| AppError::bad_input("after", e.to_string()))?.0 + 1,
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
    T: OutputType,
{
    let (limit, offset) = window(first, after)?;
    let total_count = select.clone().count(db).await?;
    let rows = if limit == 0 { vec![] } else { select.offset(offset).limit(limit + 1).all(db).await? };
    let has_next = rows.len() as u64 > limit;
    let mut connection = Connection::with_additional_fields(offset > 0, has_next, ConnectionFields { total_count });
    connection.edges.extend(
        rows.into_iter()
            .take(limit as usize)
            .enumerate()
            .map(|(i, row)| Edge::new(Cursor(offset + i as u64), map(row))),
    );
    Ok(connection)
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
