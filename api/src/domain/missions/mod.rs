//! Missions: resource requests and their incidents, offers, agreements with their amendments, deployments, and
//! the documents filed on them; `lifecycle` holds every status transition of the area.

pub mod agreements;
pub mod deployments;
pub mod documents;
pub mod incidents;
pub mod lifecycle;
pub mod offers;
pub mod requests;
