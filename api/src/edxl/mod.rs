//! OASIS EDXL-RM 1.0 (Emergency Data Exchange Language, Resource Messaging): the records of a mission written as
//! RM messages for state and federal resource systems, and RM messages from them read into drafts and offers.
//!
//! - [`message`]: the messages as data, and how each record maps to one;
//! - [`xml`]: writing a message as schema-valid XML, in the element order and namespaces of the 1.0 schemas;
//! - [`read`]: reading untrusted XML safely (no DTD, bounded size, nodes and depth) and checking each element
//!   against the content model of the message type, with the path of the first wrong element;
//! - [`import`]: turning a received `RequestResource`, `ResponseToRequestResource` or `CommitResource` into
//!   records, once per message id.

pub mod import;
pub mod message;
pub mod read;
pub mod xml;

use async_graphql::Enum;

/// Namespace of the RM message root elements and their own elements.
pub const NS_MSG: &str = "urn:oasis:names:tc:emergency:EDXL:RM:1.0:msg";
/// Namespace of the RM common types.
pub const NS_RM: &str = "urn:oasis:names:tc:emergency:EDXL:RM:1.0";
/// Namespace of the OASIS CIQ party schema, used for a contact's name, telephone and e-mail.
pub const NS_XPIL: &str = "urn:oasis:names:tc:ciq:xpil:3";
/// Namespace of the OASIS CIQ name schema.
pub const NS_XNL: &str = "urn:oasis:names:tc:ciq:xnl:3";
/// Namespace of the EDXL-DE 1.0 distribution envelope.
pub const NS_DE: &str = "urn:oasis:names:tc:emergency:EDXL:DE:1.0";
/// Namespace of this product's typing details inside `TypeInfo`.
pub const NS_TYPE_INFO: &str = "urn:mutual-aid:rm:type-info";

/// Value list naming resource types by this product's catalog id.
pub const RESOURCE_TYPE_URN: &str = "urn:mutual-aid:rm:resource-type";
/// Value list naming resource types by their FEMA Resource Typing Library Tool (RTLT) id.
pub const RTLT_URN: &str = "urn:mutual-aid:rm:rtlt-id";
/// Value list of deployment statuses: the `DeploymentStatus` enumeration of the schema.
pub const DEPLOYMENT_STATUS_URN: &str = "urn:mutual-aid:rm:deployment-status";
/// Value list of units of measure: `each` is the only unit used.
pub const UNIT_URN: &str = "urn:mutual-aid:rm:unit";

/// Prefix of the message ids this server generates: `urn:mutual-aid:rm:<kind>:<record id>`.
pub const MESSAGE_ID_PREFIX: &str = "urn:mutual-aid:rm:";

/// Most bytes of an RM message (with its EDXL-DE envelope) accepted for import.
pub const MAX_MESSAGE_BYTES: usize = 512 * 1024;
/// Most XML nodes (elements, text, comments) in a message accepted for import.
pub const MAX_NODES: u32 = 20_000;
/// Deepest element nesting accepted for import.
pub const MAX_DEPTH: usize = 32;
/// Most `ResourceInformation` elements in a message accepted for import (as many as a request has lines).
pub const MAX_RESOURCE_INFORMATION: usize = 50;

/// The EDXL-RM 1.0 message types this server writes or reads.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EdxlRmMessage {
    /// `RequestResource`: a resource request with its line items, incident, staging location and contacts.
    RequestResource,
    /// `ResponseToRequestResource`: an offer (Accept, with quantities) or a "cannot provide" answer (Decline).
    ResponseToRequestResource,
    /// `CommitResource`: an agreement, i.e. an accepted offer.
    CommitResource,
    /// `ReleaseResource`: a deployment released by the requesting party.
    ReleaseResource,
    /// `RequestReturn`: the assisting party's notice recalling a deployment.
    RequestReturn,
    /// `ReportResourceDeploymentStatus`: where a deployment stands.
    ReportResourceDeploymentStatus,
    /// `RequestExtendedDeploymentDuration`: an amendment that moves a deployment's departure later.
    RequestExtendedDeploymentDuration,
}

impl EdxlRmMessage {
    /// Every message type, in the order of the list above.
    pub const ALL: [EdxlRmMessage; 7] = [
        EdxlRmMessage::RequestResource,
        EdxlRmMessage::ResponseToRequestResource,
        EdxlRmMessage::CommitResource,
        EdxlRmMessage::ReleaseResource,
        EdxlRmMessage::RequestReturn,
        EdxlRmMessage::ReportResourceDeploymentStatus,
        EdxlRmMessage::RequestExtendedDeploymentDuration,
    ];

    /// The root element and `MessageContentType` of the message.
    pub fn element(self) -> &'static str {
        match self {
            EdxlRmMessage::RequestResource => "RequestResource",
            EdxlRmMessage::ResponseToRequestResource => "ResponseToRequestResource",
            EdxlRmMessage::CommitResource => "CommitResource",
            EdxlRmMessage::ReleaseResource => "ReleaseResource",
            EdxlRmMessage::RequestReturn => "RequestReturn",
            EdxlRmMessage::ReportResourceDeploymentStatus => "ReportResourceDeploymentStatus",
            EdxlRmMessage::RequestExtendedDeploymentDuration => "RequestExtendedDeploymentDuration",
        }
    }

    /// The message type of a root element name.
    pub fn from_element(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.element() == name)
    }

    /// The schema's allowed `ScheduleType` values for this message type.
    pub fn schedule_types(self) -> &'static [&'static str] {
        match self {
            EdxlRmMessage::RequestResource => &[
                "RequestedArrival",
                "RequestedDeparture",
                "EstimatedReturnDeparture",
                "EstimatedReturnArrival",
                "ReportTo",
                "Route",
            ],
            EdxlRmMessage::ResponseToRequestResource => &[
                "EstimatedArrival",
                "EstimatedDeparture",
                "RequestedReturnDeparture",
                "RequestedReturnArrival",
                "BeginAvailable",
                "EndAvailable",
                "RequestedArrival",
                "RequestedDeparture",
                "EstimatedReturnDeparture",
                "ReportTo",
                "Route",
            ],
            EdxlRmMessage::CommitResource => &[
                "ActualDeparture",
                "Committed",
                "RequestedArrival",
                "RequestedDeparture",
                "EstimatedReturnDeparture",
                "RequestedReturnArrival",
                "EstimatedReturnArrival",
                "ReportTo",
                "EstimatedArrival",
                "EstimatedDeparture",
                "RequestedReturnDeparture",
                "BeginAvailable",
                "EndAvailable",
                "Current",
                "Route",
            ],
            EdxlRmMessage::ReleaseResource => &[
                "ActualReturnDeparture",
                "Current",
                "RequestedArrival",
                "EstimatedArrival",
                "ActualArrival",
                "RequestedDeparture",
                "EstimatedDeparture",
                "ActualDeparture",
                "RequestedReturnDeparture",
                "RequestedReturnArrival",
                "BeginAvailable",
                "EndAvailable",
                "Committed",
                "ReportTo",
                "EstimatedReturnDeparture",
                "EstimatedReturnArrival",
                "Route",
            ],
            EdxlRmMessage::RequestReturn => &[
                "RequestedArrival",
                "EstimatedArrival",
                "ActualArrival",
                "RequestedDeparture",
                "EstimatedDeparture",
                "ActualDeparture",
                "RequestedReturnDeparture",
                "RequestedReturnArrival",
                "BeginAvailable",
                "EndAvailable",
                "Committed",
                "ReportTo",
                "Route",
            ],
            EdxlRmMessage::ReportResourceDeploymentStatus => &[
                "RequestedArrival",
                "EstimatedArrival",
                "ActualArrival",
                "RequestedDeparture",
                "EstimatedDeparture",
                "ActualDeparture",
                "RequestedReturnDeparture",
                "EstimatedReturnDeparture",
                "ActualReturnDeparture",
                "RequestedReturnArrival",
                "EstimatedReturnArrival",
                "ActualReturnArrival",
                "BeginAvailable",
                "EndAvailable",
                "Committed",
                "Current",
                "ReportTo",
                "Route",
            ],
            EdxlRmMessage::RequestExtendedDeploymentDuration => &[
                "RequestedArrival",
                "EstimatedArrival",
                "ActualArrival",
                "RequestedDeparture",
                "EstimatedDeparture",
                "ActualDeparture",
                "RequestedReturnArrival",
                "Committed",
                "ReportTo",
                "RequestedReturnDeparture",
                "EstimatedReturnDeparture",
                "EstimatedReturnArrival",
                "Route",
            ],
        }
    }

    /// Whether each `ResourceInformation` carries `ResponseInformation`: `Some(true)` required, `Some(false)`
    /// optional, `None` absent from the schema.
    pub fn response_information(self) -> Option<bool> {
        match self {
            EdxlRmMessage::ResponseToRequestResource | EdxlRmMessage::CommitResource => Some(true),
            EdxlRmMessage::ReleaseResource | EdxlRmMessage::ReportResourceDeploymentStatus => Some(false),
            EdxlRmMessage::RequestResource
            | EdxlRmMessage::RequestReturn
            | EdxlRmMessage::RequestExtendedDeploymentDuration => None,
        }
    }
}
