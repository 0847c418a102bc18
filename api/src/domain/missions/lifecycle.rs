//! The state machines of the mission records: pure functions, one per record type, unit-tested without a
//! database. Each names the action so that a refusal says what was attempted and what the record is.

use crate::domain::enums::{
    AgreementStatus, AmendmentStatus, ClaimStatus, DeploymentStatus, DisputeStatus, OfferStatus, RequestStatus,
};
use crate::error::{AppError, AppResult};

fn refuse<S: std::fmt::Display>(record: &'static str, action: &'static str, current: S) -> AppError {
    AppError::InvalidTransition { record, action, current: current.to_string() }
}

/// Transitions of a resource request.
pub fn request(current: RequestStatus, action: &'static str) -> AppResult<RequestStatus> {
    use RequestStatus::*;
    match (current, action) {
        (Draft, "submit") => Ok(Submitted),
        (Submitted, "open") => Ok(Open),
        (Open, "fill") => Ok(Filled),
        (Draft | Submitted | Open, "cancel") => Ok(Cancelled),
        (Submitted | Open, "mark unfilled") => Ok(Unfilled),
        (Filled | Unfilled, "close") => Ok(Closed),
        (Filled, "reopen") => Ok(Open),
        _ => Err(refuse("resource request", action, current)),
    }
}

/// Transitions of an offer.
pub fn offer(current: OfferStatus, action: &'static str) -> AppResult<OfferStatus> {
    use OfferStatus::*;
    match (current, action) {
        (Offered, "accept") => Ok(Accepted),
        (Offered, "reject") => Ok(Rejected),
        (Offered, "withdraw") => Ok(Withdrawn),
        _ => Err(refuse("offer", action, current)),
    }
}

/// Transitions of an agreement.
pub fn agreement(current: AgreementStatus, action: &'static str) -> AppResult<AgreementStatus> {
    match (current, action) {
        (AgreementStatus::Verbal, "execute") => Ok(AgreementStatus::Executed),
        _ => Err(refuse("agreement", action, current)),
    }
}

/// Transitions of an amendment.
pub fn amendment(current: AmendmentStatus, action: &'static str) -> AppResult<AmendmentStatus> {
    match (current, action) {
        (AmendmentStatus::Proposed, "acknowledge") => Ok(AmendmentStatus::Acknowledged),
        _ => Err(refuse("amendment", action, current)),
    }
}

/// Transitions of a deployment.
pub fn deployment(current: DeploymentStatus, action: &'static str) -> AppResult<DeploymentStatus> {
    use DeploymentStatus::*;
    match (current, action) {
        (Preparing, "depart") => Ok(EnRoute),
        (EnRoute, "arrive") => Ok(OnSite),
        (EnRoute | OnSite, "give recall notice on") => Ok(RecallNoticed),
        (OnSite | RecallNoticed, "release") => Ok(Demobilizing),
        (Demobilizing, "record the return of") => Ok(Returned),
        (Returned, "close") => Ok(Closed),
        (Preparing, "cancel") => Ok(Cancelled),
        _ => Err(refuse("deployment", action, current)),
    }
}

/// Transitions of a reimbursement claim.
pub fn claim(current: ClaimStatus, action: &'static str) -> AppResult<ClaimStatus> {
    use ClaimStatus::*;
    match (current, action) {
        (Open, "file the notice of intent on") => Ok(NoticeFiled),
        (NoticeFiled, "acknowledge the notice of") => Ok(NoticeAcknowledged),
        (NoticeFiled | NoticeAcknowledged, "submit the package of") => Ok(Submitted),
        (Submitted, "amend the package of") => Ok(Submitted),
        (Submitted | Resolved, "approve") => Ok(Approved),
        (Approved | Resolved | Decided, "pay in full") => Ok(Paid),
        (NoticeFiled | NoticeAcknowledged | Submitted | Approved, "dispute") => Ok(Disputed),
        (Disputed, "resolve") => Ok(Resolved),
        (Disputed, "escalate") => Ok(Escalated),
        (Escalated, "schedule the hearing of") => Ok(HearingScheduled),
        (HearingScheduled, "decide") => Ok(Decided),
        (Open | NoticeFiled | NoticeAcknowledged | Submitted | Approved | Disputed | Resolved, "waive") => Ok(Waived),
        (Open | NoticeFiled | NoticeAcknowledged | Submitted, "withdraw") => Ok(Withdrawn),
        (Open | NoticeFiled | NoticeAcknowledged, "forfeit") => Ok(Forfeited),
        (Submitted, "forfeit for a late package") => Ok(Forfeited),
        _ => Err(refuse("claim", action, current)),
    }
}

/// Transitions of a dispute.
pub fn dispute(current: DisputeStatus, action: &'static str) -> AppResult<DisputeStatus> {
    use DisputeStatus::*;
    match (current, action) {
        (Open, "resolve") => Ok(Resolved),
        (Open, "escalate") => Ok(Escalated),
        (Escalated, "schedule the hearing of") => Ok(HearingScheduled),
        (HearingScheduled, "decide") => Ok(Decided),
        _ => Err(refuse("dispute", action, current)),
    }
}

/// Whether a deployment still holds its people and equipment away from home.
pub fn deployment_is_out(status: DeploymentStatus) -> bool {
    use DeploymentStatus::*;
    matches!(status, Preparing | EnRoute | OnSite | RecallNoticed | Demobilizing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_moves_from_draft_to_closed() {
        let mut status = RequestStatus::Draft;
        for action in ["submit", "open", "fill", "close"] {
            status = request(status, action).unwrap();
        }
        assert_eq!(status, RequestStatus::Closed);
    }

    #[test]
    fn a_filled_request_cannot_be_cancelled() {
        let err = request(RequestStatus::Filled, "cancel").unwrap_err();
        assert!(matches!(err, AppError::InvalidTransition { ref current, .. } if current == "FILLED"));
        assert!(request(RequestStatus::Closed, "submit").is_err());
        assert!(request(RequestStatus::Draft, "open").is_err(), "opening needs a submission first");
    }

    #[test]
    fn only_pending_offers_are_decided() {
        for action in ["accept", "reject", "withdraw"] {
            assert!(offer(OfferStatus::Offered, action).is_ok());
            for done in
                [OfferStatus::Accepted, OfferStatus::Rejected, OfferStatus::Withdrawn, OfferStatus::CannotProvide]
            {
                assert!(offer(done, action).is_err(), "{action} on {done}");
            }
        }
    }

    #[test]
    fn agreements_and_amendments_move_once() {
        assert_eq!(agreement(AgreementStatus::Verbal, "execute").unwrap(), AgreementStatus::Executed);
        assert!(agreement(AgreementStatus::Executed, "execute").is_err());
        assert_eq!(amendment(AmendmentStatus::Proposed, "acknowledge").unwrap(), AmendmentStatus::Acknowledged);
        assert!(amendment(AmendmentStatus::Acknowledged, "acknowledge").is_err());
    }

    #[test]
    fn a_claim_runs_from_notice_to_payment_or_through_the_committee() {
        let mut status = ClaimStatus::Open;
        for action in [
            "file the notice of intent on",
            "acknowledge the notice of",
            "submit the package of",
            "approve",
            "pay in full",
        ] {
            status = claim(status, action).unwrap();
        }
        assert_eq!(status, ClaimStatus::Paid);
        let mut status = ClaimStatus::Submitted;
        for action in ["dispute", "escalate", "schedule the hearing of", "decide", "pay in full"] {
            status = claim(status, action).unwrap();
        }
        assert_eq!(status, ClaimStatus::Paid);
        assert!(claim(ClaimStatus::Open, "submit the package of").is_err(), "the notice comes first");
        assert!(claim(ClaimStatus::Paid, "waive").is_err());
        assert!(claim(ClaimStatus::Submitted, "forfeit").is_err(), "a submitted package is not forfeited");
        assert!(dispute(DisputeStatus::Resolved, "escalate").is_err());
    }

    #[test]
    fn a_deployment_goes_out_and_comes_back() {
        use DeploymentStatus::*;
        let mut status = Preparing;
        for action in ["depart", "arrive", "give recall notice on", "release", "record the return of", "close"] {
            status = deployment(status, action).unwrap();
        }
        assert_eq!(status, Closed);
        assert!(deployment(OnSite, "cancel").is_err(), "cancel only before departure");
        assert!(deployment(Preparing, "arrive").is_err());
        assert!(deployment(Returned, "release").is_err());
        assert!(deployment_is_out(RecallNoticed));
        assert!(!deployment_is_out(Returned));
    }
}
