//! DataLoaders for every relation a list can reach, so a page costs a fixed number of SQL statements. One loader
//! per request; keys are newtypes so one loader serves every relation.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use entities::{authorized_representative, compact, jurisdiction, jurisdiction_contact, membership};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::AppError;

/// Loads rows by key in batches.
pub struct DbLoader {
    db: DatabaseConnection,
}

/// The loader of one request.
pub type Loaders = DataLoader<DbLoader>;

/// A new per-request loader.
pub fn loaders(db: DatabaseConnection) -> Loaders {
    DataLoader::new(DbLoader { db }, tokio::spawn)
}

/// A jurisdiction by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JurisdictionById(pub Uuid);
/// A compact by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompactById(pub Uuid);
/// The contacts of a jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContactsOf(pub Uuid);
/// The authorized representatives of a jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RepresentativesOf(pub Uuid);
/// The memberships of a jurisdiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipsOf(pub Uuid);

fn db_error(err: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

impl Loader<JurisdictionById> for DbLoader {
    type Value = jurisdiction::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[JurisdictionById]) -> Result<HashMap<JurisdictionById, Self::Value>, Self::Error> {
        let rows = jurisdiction::Entity::find()
            .filter(jurisdiction::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|row| (JurisdictionById(row.id), row)).collect())
    }
}

impl Loader<CompactById> for DbLoader {
    type Value = compact::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CompactById]) -> Result<HashMap<CompactById, Self::Value>, Self::Error> {
        let rows = compact::Entity::find()
            .filter(compact::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(|row| (CompactById(row.id), row)).collect())
    }
}

fn group<K: Eq + std::hash::Hash + Copy, V>(keys: &[K], rows: Vec<V>, key_of: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut grouped: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        grouped.entry(key_of(&row)).or_default().push(row);
    }
    grouped
}

impl Loader<ContactsOf> for DbLoader {
    type Value = Vec<jurisdiction_contact::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ContactsOf]) -> Result<HashMap<ContactsOf, Self::Value>, Self::Error> {
        let rows = jurisdiction_contact::Entity::find()
            .filter(jurisdiction_contact::Column::JurisdictionId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(jurisdiction_contact::Column::Kind)
            .order_by_asc(jurisdiction_contact::Column::Name)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(group(keys, rows, |row| ContactsOf(row.jurisdiction_id)))
    }
}

impl Loader<RepresentativesOf> for DbLoader {
    type Value = Vec<authorized_representative::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[RepresentativesOf]) -> Result<HashMap<RepresentativesOf, Self::Value>, Self::Error> {
        let rows = authorized_representative::Entity::find()
            .filter(authorized_representative::Column::JurisdictionId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(authorized_representative::Column::Name)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(group(keys, rows, |row| RepresentativesOf(row.jurisdiction_id)))
    }
}

impl Loader<MembershipsOf> for DbLoader {
    type Value = Vec<membership::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[MembershipsOf]) -> Result<HashMap<MembershipsOf, Self::Value>, Self::Error> {
        let rows = membership::Entity::find()
            .filter(membership::Column::JurisdictionId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(membership::Column::JoinedOn)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        Ok(group(keys, rows, |row| MembershipsOf(row.jurisdiction_id)))
    }
}
