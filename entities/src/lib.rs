//! SeaORM entities: the persistence shape of the mutual-aid records, with no GraphQL and no business rules.
//!
//! Enumerations are stored as their SCREAMING_SNAKE names in text columns; the `api` crate owns their meaning.

pub mod authorized_representative;
pub mod compact;
pub mod event;
pub mod event_jurisdiction;
pub mod incident;
pub mod jurisdiction;
pub mod jurisdiction_contact;
pub mod membership;
pub mod resource_type;
