//! Domain rules: one module per area, each function loading, authorizing, checking, writing and appending its
//! event in one transaction.

pub mod access;
pub mod agreements;
pub mod claims;
pub mod deadlines;
pub mod deployments;
pub mod directory;
pub mod disputes;
pub mod documents;
pub mod enums;
pub mod events;
pub mod feed;
pub mod incidents;
pub mod inventory;
pub mod lifecycle;
pub mod money;
pub mod notifications;
pub mod offers;
pub mod policy;
pub mod requests;
pub mod sandbox;
pub mod validate;
pub mod versioned;
