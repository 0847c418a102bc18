//! GraphQL for integrations: the change feed, subscriptions, the federation subgraph, EDXL-RM messages and the
//! sandbox clock.

pub mod changes;
pub mod edxl;
pub mod external;
pub mod federation;
pub mod sandbox;
pub mod subscriptions;
pub mod webhooks;
