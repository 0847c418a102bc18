//! Domain rules: one folder per area, each function loading, authorizing, checking, writing and appending its
//! event in one transaction.
//!
//! - `directory`: jurisdictions, contacts, representatives, compacts with their policy, memberships, resource types,
//!   inventory.
//! - `missions`: incidents, resource requests, offers, agreements, deployments, documents, and their lifecycles.
//! - `reimbursement`: claims, disputes, deadlines, money.
//! - `integrations`: the event feed and the sandbox clock (the EDXL-RM exchange is `crate::edxl`).
//!
//! Shared by all four: `access` (who sees what), `enums`, `events` (the event writer), `notifications`, `validate`
//! and `versioned`. The modules of each area are also reachable by their short names (`domain::requests`).

pub mod access;
pub mod directory;
pub mod enums;
pub mod events;
pub mod integrations;
pub mod missions;
pub mod notifications;
pub mod reimbursement;
pub mod validate;
pub mod versioned;

pub use directory::{inventory, policy};
pub use integrations::{external, feed, sandbox, webhooks};
pub use missions::{agreements, deployments, documents, incidents, lifecycle, offers, requests};
pub use reimbursement::{claims, deadlines, disputes, money};
