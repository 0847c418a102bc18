//! SeaORM entities: the persistence shape of the mutual-aid records, with no GraphQL and no business rules.
//!
//! Enumerations are stored as their SCREAMING_SNAKE names in text columns; the `api` crate owns their meaning.

pub mod agreement;
pub mod amendment;
pub mod authorized_representative;
pub mod claim;
pub mod committee_member;
pub mod committee_vote;
pub mod compact;
pub mod deadline;
pub mod deadline_extension;
pub mod deployment;
pub mod deployment_hold;
pub mod dispute;
pub mod document;
pub mod edxl_message;
pub mod event;
pub mod event_jurisdiction;
pub mod external_ref;
pub mod idempotency_key;
pub mod incident;
pub mod integration_grant;
pub mod inventory_item;
pub mod invoice_line;
pub mod jurisdiction;
pub mod jurisdiction_contact;
pub mod membership;
pub mod notification;
pub mod notification_read;
pub mod offer;
pub mod offer_line;
pub mod payment;
pub mod request_line_item;
pub mod request_recipient;
pub mod resource_request;
pub mod resource_type;
pub mod sandbox_clock;
pub mod time_record;
pub mod webhook_attempt;
pub mod webhook_endpoint;
