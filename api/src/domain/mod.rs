//! Domain rules: one module per area, each function loading, authorizing, checking, writing and appending its
//! event in one transaction.

pub mod access;
pub mod directory;
pub mod enums;
pub mod events;
pub mod incidents;
pub mod policy;
pub mod validate;
pub mod versioned;
