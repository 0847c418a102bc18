//! Integration tests: each drives a real server over HTTP with a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failing test should stop at the failing line")]

mod auth;
mod changes;
mod claims;
mod contract;
mod deployment;
mod directory;
mod edxl;
mod external;
mod fidelity;
mod hardening;
mod idempotency;
mod incidents;
mod missions;
mod paging;
mod permissions;
mod profile;
mod protocol;
mod sandbox;
mod schema;
mod subscriptions;
mod support;
mod sync;
mod tracing;
mod visibility;
mod webhooks;
