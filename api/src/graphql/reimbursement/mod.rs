//! GraphQL of reimbursement: claims, invoice lines, payments, disputes and the committee.

pub mod claims;
