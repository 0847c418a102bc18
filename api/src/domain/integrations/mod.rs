//! Integrations: the commit-ordered event feed behind subscriptions and the `changes` query, and the sandbox clock
//! that lets an integrator's tests move time.

pub mod external;
pub mod feed;
pub mod sandbox;
pub mod webhooks;
