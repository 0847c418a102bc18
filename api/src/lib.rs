//! The mutual-aid GraphQL API: configuration, state, errors, identity, HTTP, the schema and the domain rules.

pub mod auth;
pub mod bus;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod edxl;
pub mod error;
pub mod gate;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod idempotency;
pub mod mailer;
pub mod metrics;
#[cfg(test)]
mod properties;
pub mod scalars;
pub mod scheduler;
pub mod seed;
pub mod state;
pub mod telemetry;
pub mod webhooks;
pub mod ws;
