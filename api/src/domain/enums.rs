//! The enumerations of the domain. They are stored as their SCREAMING_SNAKE names and are the same names in the
//! GraphQL contract, so one definition serves storage, rules and schema.

use crate::error::{AppError, AppResult};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] #[graphql(name = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and published name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored name.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Parses a stored value, treating an unknown one as corruption.
            pub fn from_db(text: &str) -> AppResult<Self> {
                Self::parse(text).ok_or_else(|| {
                    AppError::Internal(format!("unknown {} value {text:?} in the database", stringify!($name)))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What a person may do, granted by the token. Requesting and assisting party are not roles: they are a
    /// person's relation to a record, derived from the jurisdiction they represent.
    Role {
        /// Signs, requests and offers for the jurisdiction named in the token.
        AuthorizedRepresentative = "AUTHORIZED_REPRESENTATIVE",
        /// The coordinating office of the compacts named in the token.
        Coordinator = "COORDINATOR",
        /// A member of the dispute committee of the compacts named in the token.
        CommitteeMember = "COMMITTEE_MEMBER",
        /// Read-only access to a jurisdiction's or compact's records.
        Observer = "OBSERVER",
        /// A service account of a state system syncing records.
        Integration = "INTEGRATION",
        /// Maintains the directory: jurisdictions, compacts, memberships, resource types.
        Admin = "ADMIN",
    }
}

string_enum! {
    /// The kind of a jurisdiction.
    JurisdictionKind {
        /// A state, commonwealth or territory.
        State = "STATE",
        /// A county or parish.
        County = "COUNTY",
        /// A city.
        City = "CITY",
        /// A town, village or township.
        Town = "TOWN",
        /// A federally recognized tribal nation.
        TribalNation = "TRIBAL_NATION",
        /// A special district (fire, water, hospital...).
        SpecialDistrict = "SPECIAL_DISTRICT",
        /// A regional council of governments.
        RegionalCouncil = "REGIONAL_COUNCIL",
    }
}

string_enum! {
    /// Which point of contact this is.
    ContactKind {
        /// The first person to call.
        Primary = "PRIMARY",
        /// The person to call when the primary is unavailable.
        Alternate = "ALTERNATE",
        /// The number answered around the clock (dispatch, EOC duty officer).
        TwentyFourHour = "TWENTY_FOUR_HOUR",
    }
}

string_enum! {
    /// The kind of a mutual-aid compact.
    CompactKind {
        /// Between states (EMAC).
        Interstate = "INTERSTATE",
        /// Statewide among a state's political subdivisions (Utah SMAA, Connecticut IMAC).
        Intrastate = "INTRASTATE",
        /// Among the members of a region (a council of governments' program).
        Regional = "REGIONAL",
        /// Town to town, including automatic aid.
        Local = "LOCAL",
        /// Across a national border (IEMC).
        International = "INTERNATIONAL",
    }
}

string_enum! {
    /// Which party of an agreement files its after-action report.
    AfterActionFiler {
        /// The requesting party (the AACOG summary report, to each assisting party).
        RequestingParty = "REQUESTING_PARTY",
        /// The assisting (responding) party (Utah Form 111, R704-2-9(4)).
        AssistingParty = "ASSISTING_PARTY",
    }
}

string_enum! {
    /// When the payment clock of a compact starts.
    PaymentClock {
        /// From receipt of the notice of intent to seek reimbursement (Utah R704-2-10(5)).
        NoticeReceived = "NOTICE_RECEIVED",
        /// From receipt of the itemized statement (the AACOG agreement).
        StatementReceived = "STATEMENT_RECEIVED",
    }
}

string_enum! {
    /// The kind of attention a notification asks.
    NotificationKind {
        /// A deadline falls due soon.
        DueSoon = "DUE_SOON",
        /// A deadline was missed.
        Missed = "MISSED",
        /// A missed deadline's consequence was applied (a claim forfeited or flagged overdue).
        ConsequenceApplied = "CONSEQUENCE_APPLIED",
        /// Something awaits the jurisdiction's answer.
        ActionNeeded = "ACTION_NEEDED",
    }
}

string_enum! {
    /// What a notification is about.
    NotificationTopic {
        /// A deadline the jurisdiction owes falls due soon (a reminder).
        DeadlineDueSoon = "DEADLINE_DUE_SOON",
        /// A deadline the jurisdiction owed was missed.
        DeadlineMissed = "DEADLINE_MISSED",
        /// A claim of the jurisdiction was forfeited.
        ClaimForfeited = "CLAIM_FORFEITED",
        /// A claim of the jurisdiction was flagged overdue.
        ClaimFlaggedOverdue = "CLAIM_FLAGGED_OVERDUE",
        /// An offer answers the jurisdiction's request: accept or reject it.
        OfferToDecide = "OFFER_TO_DECIDE",
        /// The other party proposed an amendment: acknowledge it.
        AmendmentToAcknowledge = "AMENDMENT_TO_ACKNOWLEDGE",
        /// The committee scheduled the hearing of the jurisdiction's dispute.
        HearingScheduled = "HEARING_SCHEDULED",
        /// The other party proposed to extend a due date: agree or decline.
        ExtensionToAnswer = "EXTENSION_TO_ANSWER",
        /// A date the other party stated for a late-recorded step awaits confirmation.
        StatedDateToConfirm = "STATED_DATE_TO_CONFIRM",
    }
}

string_enum! {
    /// Where a notification's e-mail stands.
    EmailStatus {
        /// Not sent yet (or the server has no SMTP configured).
        Pending = "PENDING",
        /// Being sent by a server instance.
        Sending = "SENDING",
        /// Sent to the jurisdiction's contacts.
        Sent = "SENT",
        /// Given up after repeated failures.
        Failed = "FAILED",
        /// The jurisdiction has no contact with an e-mail address.
        NoRecipient = "NO_RECIPIENT",
    }
}

string_enum! {
    /// The state of a proposed extension of a due date.
    ExtensionStatus {
        /// Proposed by one party; the other has not answered.
        Proposed = "PROPOSED",
        /// Agreed by the other party: the deadline moved.
        Agreed = "AGREED",
        /// Declined by the other party: the deadline did not move.
        Declined = "DECLINED",
        /// Replaced by a later proposal before it was answered.
        Superseded = "SUPERSEDED",
    }
}

string_enum! {
    /// The state of a membership.
    MembershipStatus {
        /// A member in good standing.
        Active = "ACTIVE",
        /// The member has given notice; the membership ends at `terminationEffectiveAt`.
        TerminationNoticed = "TERMINATION_NOTICED",
        /// No longer a member: no new requests or offers under the compact.
        Terminated = "TERMINATED",
    }
}

impl MembershipStatus {
    /// Whether a member with this status still takes part in requests, offers and incidents: until its termination
    /// takes effect, a member that gave notice is bound like any other.
    pub fn takes_part(self) -> bool {
        self != MembershipStatus::Terminated
    }
}

string_enum! {
    /// The kind of an incident.
    IncidentKind {
        /// A natural or technological disaster.
        Disaster = "DISASTER",
        /// A civil emergency.
        CivilEmergency = "CIVIL_EMERGENCY",
        /// A homeland security activity.
        HomelandSecurityActivity = "HOMELAND_SECURITY_ACTIVITY",
        /// An imminent threat of disaster.
        DisasterThreat = "DISASTER_THREAT",
        /// An exercise or drill.
        Exercise = "EXERCISE",
    }
}

string_enum! {
    /// How an emergency was declared.
    DeclarationForm {
        /// Declared orally: a written declaration falls due per the compact's policy.
        Oral = "ORAL",
        /// Declared in writing.
        Written = "WRITTEN",
    }
}

string_enum! {
    /// The state of an incident.
    IncidentStatus {
        /// The emergency is ongoing.
        Active = "ACTIVE",
        /// The emergency is over; no new requests.
        Closed = "CLOSED",
    }
}

string_enum! {
    /// The kind of a resource type (NIMS).
    ResourceKind {
        /// An individual in a position (e.g. an EOC manager).
        Personnel = "PERSONNEL",
        /// A team with its members and equipment.
        Team = "TEAM",
        /// A piece of equipment, with or without operator.
        Equipment = "EQUIPMENT",
        /// Consumable supplies.
        Supplies = "SUPPLIES",
        /// A facility (shelter, staging area).
        Facility = "FACILITY",
    }
}

string_enum! {
    /// The type of record an event is about.
    RecordType {
        /// A jurisdiction and its contacts and representatives.
        Jurisdiction = "JURISDICTION",
        /// A compact and its policy.
        Compact = "COMPACT",
        /// A membership of a compact.
        Membership = "MEMBERSHIP",
        /// An incident.
        Incident = "INCIDENT",
        /// A resource type of the catalog.
        ResourceType = "RESOURCE_TYPE",
        /// A resource request.
        ResourceRequest = "RESOURCE_REQUEST",
        /// An offer (or a "cannot provide" answer).
        Offer = "OFFER",
        /// An agreement.
        Agreement = "AGREEMENT",
        /// An amendment of an agreement.
        Amendment = "AMENDMENT",
        /// A deployment.
        Deployment = "DEPLOYMENT",
        /// A line of a jurisdiction's resource inventory.
        InventoryItem = "INVENTORY_ITEM",
        /// A deadline.
        Deadline = "DEADLINE",
        /// A reimbursement claim.
        Claim = "CLAIM",
        /// A dispute of a reimbursement claim.
        Dispute = "DISPUTE",
        /// A webhook endpoint (its owner and administrators see its events).
        WebhookEndpoint = "WEBHOOK_ENDPOINT",
    }
}

string_enum! {
    /// Where a resource request stands.
    RequestStatus {
        /// Being written by the requesting party; visible to it and its compact's coordinator only.
        Draft = "DRAFT",
        /// Submitted in writing (or recorded as verbal); in a coordinated compact it waits for a mission number.
        Submitted = "SUBMITTED",
        /// Sourcing: the addressed members may answer with offers.
        Open = "OPEN",
        /// Accepted offers cover every line item.
        Filled = "FILLED",
        /// Done: every deployment is back and the requesting party has closed the request.
        Closed = "CLOSED",
        /// Cancelled by the requesting party before it was filled.
        Cancelled = "CANCELLED",
        /// Sourcing ended without covering every line item.
        Unfilled = "UNFILLED",
    }
}

string_enum! {
    /// How a request reaches the assisting parties.
    RequestChannel {
        /// Directly between members (the AACOG RMA, town-to-town agreements).
        Direct = "DIRECT",
        /// Through the compact's coordinator, who assigns a mission number (Utah SMAA, EMAC).
        Coordinated = "COORDINATED",
    }
}

string_enum! {
    /// How urgent a request is (ICS 213 RR).
    Priority {
        /// Life safety or imminent threat: needed immediately.
        Urgent = "URGENT",
        /// Needed for ongoing operations.
        Routine = "ROUTINE",
        /// Needed to restore normal operations; can wait.
        Low = "LOW",
    }
}

string_enum! {
    /// Which party provides food or housing for deployed personnel.
    ProvidedBy {
        /// The requesting party (the default of the sources).
        RequestingParty = "REQUESTING_PARTY",
        /// The assisting party, self-sufficient.
        AssistingParty = "ASSISTING_PARTY",
    }
}

string_enum! {
    /// Where an offer stands.
    OfferStatus {
        /// Made, waiting for the requesting party.
        Offered = "OFFERED",
        /// Accepted: the agreement exists.
        Accepted = "ACCEPTED",
        /// Declined by the requesting party.
        Rejected = "REJECTED",
        /// Withdrawn by the assisting party before acceptance.
        Withdrawn = "WITHDRAWN",
        /// The member answered that it cannot provide the resources.
        CannotProvide = "CANNOT_PROVIDE",
    }
}

string_enum! {
    /// Where an agreement stands.
    AgreementStatus {
        /// Agreed verbally; the signed written agreement falls due per the compact's policy.
        Verbal = "VERBAL",
        /// Signed in writing by both authorized representatives.
        Executed = "EXECUTED",
    }
}

string_enum! {
    /// Where an amendment stands.
    AmendmentStatus {
        /// Proposed by one party.
        Proposed = "PROPOSED",
        /// Acknowledged and signed by the other party.
        Acknowledged = "ACKNOWLEDGED",
    }
}

string_enum! {
    /// Where a deployment stands.
    DeploymentStatus {
        /// Briefing, readiness and communications checks.
        Preparing = "PREPARING",
        /// Travelling to the staging area.
        EnRoute = "EN_ROUTE",
        /// Arrived, briefed and working under the requesting party's supervision.
        OnSite = "ON_SITE",
        /// The assisting party gave notice of recall; it takes effect at `recallEffectiveAt`.
        RecallNoticed = "RECALL_NOTICED",
        /// Released and debriefed, travelling home.
        Demobilizing = "DEMOBILIZING",
        /// Safe arrival home notified.
        Returned = "RETURNED",
        /// Paperwork complete.
        Closed = "CLOSED",
        /// Cancelled before departure.
        Cancelled = "CANCELLED",
    }
}

string_enum! {
    /// What a time record counts.
    TimeRecordKind {
        /// Hours a person worked (regular and overtime).
        Personnel = "PERSONNEL",
        /// Hours a piece of equipment ran.
        Equipment = "EQUIPMENT",
        /// Materials and supplies used.
        Material = "MATERIAL",
    }
}

string_enum! {
    /// What a deadline is for.
    DeadlineKind {
        /// The written declaration after an oral one.
        WrittenDeclaration = "WRITTEN_DECLARATION",
        /// The written request after a verbal one.
        WrittenRequest = "WRITTEN_REQUEST",
        /// The signed written agreement after a verbal one.
        WrittenAgreement = "WRITTEN_AGREEMENT",
        /// The after-action / summary report after the resources return.
        AfterActionReport = "AFTER_ACTION_REPORT",
        /// The assisting party's notice of intent to seek reimbursement, after assistance ends.
        NoticeOfIntent = "NOTICE_OF_INTENT",
        /// The assisting party's reimbursement request package, after assistance ends.
        RequestPackage = "REQUEST_PACKAGE",
        /// The latest the assisting party may bill under the agreement, after assistance ends (AACOG 7E: 60 days),
        /// beside the package's own due date; met by the package.
        BillingLimit = "BILLING_LIMIT",
        /// The requesting party's payment, from the notice or the statement (per the policy's payment clock).
        Payment = "PAYMENT",
        /// The negotiation period after a notice of dispute.
        DisputeNegotiation = "DISPUTE_NEGOTIATION",
        /// The end of the window for escalating an unresolved dispute to the committee.
        Escalation = "ESCALATION",
        /// The committee's scheduling of a hearing after an escalation.
        HearingSchedule = "HEARING_SCHEDULE",
        /// The committee's written decision after the hearing.
        Decision = "DECISION",
    }
}

string_enum! {
    /// Whether a deadline was met.
    DeadlineStatus {
        /// Not yet due, or due and not yet met.
        Pending = "PENDING",
        /// Met on or before the due time.
        Met = "MET",
        /// Passed without being met (the record stays, with its status).
        Missed = "MISSED",
        /// Excused, with a note.
        Waived = "WAIVED",
    }
}

string_enum! {
    /// Where a reimbursement claim stands.
    ClaimStatus {
        /// Assistance has ended; the assisting party may seek reimbursement.
        Open = "OPEN",
        /// The notice of intent to seek reimbursement is filed.
        NoticeFiled = "NOTICE_FILED",
        /// The requesting party acknowledged the notice in writing.
        NoticeAcknowledged = "NOTICE_ACKNOWLEDGED",
        /// The request package (cover summary, itemized invoice, supporting documents) is submitted.
        Submitted = "SUBMITTED",
        /// The requesting party approved all or part of it.
        Approved = "APPROVED",
        /// Paid in full.
        Paid = "PAID",
        /// A notice of dispute is open.
        Disputed = "DISPUTED",
        /// The parties resolved the dispute between them.
        Resolved = "RESOLVED",
        /// The dispute went to the compact's committee.
        Escalated = "ESCALATED",
        /// The committee scheduled its hearing.
        HearingScheduled = "HEARING_SCHEDULED",
        /// The committee issued its written decision; the claim follows it.
        Decided = "DECIDED",
        /// The assisting party waived reimbursement in writing.
        Waived = "WAIVED",
        /// A due date was missed where the compact forfeits the claim.
        Forfeited = "FORFEITED",
        /// The assisting party withdrew the claim.
        Withdrawn = "WITHDRAWN",
    }
}

string_enum! {
    /// Where a dispute stands.
    DisputeStatus {
        /// Filed; the parties negotiate.
        Open = "OPEN",
        /// Resolved between the parties.
        Resolved = "RESOLVED",
        /// Submitted to the committee.
        Escalated = "ESCALATED",
        /// The committee scheduled its hearing and selected the quorum.
        HearingScheduled = "HEARING_SCHEDULED",
        /// The committee decided.
        Decided = "DECIDED",
    }
}

string_enum! {
    /// A committee member's vote, and the committee's decision.
    CommitteeVote {
        /// For the assisting party's claim.
        ForAssistingParty = "FOR_ASSISTING_PARTY",
        /// For the requesting party's position.
        ForRequestingParty = "FOR_REQUESTING_PARTY",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for kind in JurisdictionKind::ALL {
            assert_eq!(JurisdictionKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::from_db("nope").is_err());
    }
}
