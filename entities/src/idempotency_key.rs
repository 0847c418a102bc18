//! The stored response to a mutation sent with an idempotency key.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// Who sent it (the token's subject).
    #[sea_orm(primary_key, auto_increment = false)]
    pub principal: String,
    /// The client's key.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// SHA-256 (hex) of the operation: document, operation name and variables.
    pub request_hash: String,
    /// The response body as JSON text.
    pub response: String,
    pub created_at: DateTimeUtc,
    /// After this the key may be used again for another request.
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
