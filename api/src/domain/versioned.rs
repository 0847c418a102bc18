//! Optimistic concurrency: every mutable record carries a `version`; an update applies only if the version is
//! still the one that was read, so concurrent edits are detected instead of silently lost.

use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PrimaryKeyTrait, QueryFilter, QuerySelect,
    Value,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The version an update must match: the client's `expectedVersion` if given, else the version just read.
pub fn expected(client: Option<i32>, stored: i32) -> AppResult<i32> {
    match client {
        Some(version) if version != stored => Err(AppError::Conflict(format!(
            "the record was changed by someone else (version {stored}, expected {version}); reload and retry"
        ))),
        _ => Ok(stored),
    }
}

/// Writes `active` to the row `id` if its version is still `version`, and bumps the version.
pub async fn update<A>(db: &impl ConnectionTrait, mut active: A, id: Uuid, version: i32) -> AppResult<()>
where
    A: ActiveModelTrait + Send,
{
    let column = |name: &str| {
        <<A::Entity as EntityTrait>::Column as FromStr>::from_str(name)
            .map_err(|_| AppError::Internal(format!("entity has no `{name}` column")))
    };
    let id_column = column("id")?;
    let version_column = column("version")?;
    active.set(version_column, Value::from(version + 1));
    let result = <A::Entity as EntityTrait>::update_many()
        .set(active)
        .filter(id_column.eq(id))
        .filter(version_column.eq(version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict("the record was changed by someone else while this change was made; retry".into()))
    }
}

/// Reads the row `id` for a change, locked until the transaction ends on PostgreSQL (SQLite has one writer), so
/// concurrent changes to one record serialize. Check visibility first: this read does not.
pub async fn lock<E>(db: &impl ConnectionTrait, id: Uuid, record: &str) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::PrimaryKey: PrimaryKeyTrait<ValueType = Uuid>,
{
    let mut select = E::find_by_id(id);
    if db.get_database_backend() == DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(db).await?.ok_or_else(|| AppError::not_found(record, id))
}
