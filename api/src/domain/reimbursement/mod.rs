//! Reimbursement: claims, disputes before the committee, the deadlines every policy clock creates, and money.

pub mod claims;
pub mod deadlines;
pub mod disputes;
pub mod money;
