//! A compact's policy: its time limits and rules, as data. A rule left null does not exist in that compact, and
//! no deadline is created for it.

use async_graphql::{InputObject, SimpleObject};
use entities::compact;
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};

use crate::domain::enums::{AfterActionFiler, JurisdictionKind, PaymentClock};
use crate::error::{AppError, AppResult};

/// The rules of a compact (the defaults found in the sources are Utah R704-2 and the AACOG agreement). Hours and
/// days are counted from the event each rule names; a null rule does not apply in this compact.
#[derive(Debug, Clone, Default, PartialEq, Eq, SimpleObject, InputObject, Serialize, Deserialize)]
#[graphql(name = "CompactPolicy", input_name = "CompactPolicyInput")]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Hours after an oral declaration of emergency by which the written declaration is due (Utah: 24).
    pub written_declaration_after_oral_hours: Option<i32>,
    /// Hours after a verbal request by which the written request is due (AACOG Part I: 24). Where
    /// `writtenRequestAfterRequestHours` is set too, that one applies.
    pub written_request_after_verbal_hours: Option<i32>,
    /// Hours after any request, verbal or written, by which its written confirmation is due (Utah R704-2-4(1)(a):
    /// the Form 100 checklist to the Division, 24 hours after the jurisdiction seeks assistance).
    pub written_request_after_request_hours: Option<i32>,
    /// Hours after a verbal agreement by which the signed written agreement is due (Utah: 48).
    pub written_agreement_after_verbal_hours: Option<i32>,
    /// Hours of advance notice an assisting party gives before recalling its resources (24 in both sources).
    pub recall_notice_hours: Option<i32>,
    /// Days after return by which the after-action / summary report is due (AACOG: 10; Utah sets none).
    pub after_action_report_days: Option<i32>,
    /// Who files the after-action report (Utah: the assisting party's Form 111; AACOG: the requesting party's
    /// summary report); the requesting party when null.
    pub after_action_filed_by: Option<AfterActionFiler>,
    /// Days after assistance ends by which the notice of intent to seek reimbursement is due (Utah 30, AACOG 10).
    pub notice_of_intent_days: Option<i32>,
    /// Days after assistance ends by which the reimbursement request package is due (Utah 60, AACOG 30).
    pub request_package_days: Option<i32>,
    /// Days after assistance ends past which the assisting party may no longer bill under the agreement (AACOG
    /// agreement 7E: 60), tracked beside `requestPackageDays`; met by the package.
    pub billing_limit_days: Option<i32>,
    /// Days the requesting party has to pay, counted from `paymentClock` (Utah 30, AACOG 60).
    pub payment_days: Option<i32>,
    /// What starts the payment clock.
    pub payment_clock: Option<PaymentClock>,
    /// Days the parties negotiate a dispute before anything else (Utah: 30).
    pub dispute_negotiation_days: Option<i32>,
    /// Days after the notice of dispute after which an unresolved dispute may go to the committee (Utah: 90).
    pub dispute_escalation_after_days: Option<i32>,
    /// Days, after `disputeEscalationAfterDays`, within which the escalation must be made (Utah: 30).
    pub dispute_escalation_window_days: Option<i32>,
    /// Days the committee has to schedule a hearing after an escalation (Utah: 30).
    pub hearing_schedule_days: Option<i32>,
    /// Days the committee has to issue its written decision after the hearing (Utah: 30).
    pub decision_days: Option<i32>,
    /// Committee members that form the quorum of a hearing; decisions are by majority of it (Utah: 7).
    pub committee_quorum: Option<i32>,
    /// Days after assistance ends within which a waiver of reimbursement must be delivered (Utah: 90).
    pub waiver_days: Option<i32>,
    /// Whether a waiver must itemize each right waived (Utah: yes).
    pub waiver_itemized: bool,
    /// Whether a copy of a waiver goes to the coordinator (Utah: yes).
    pub waiver_copy_to_coordinator: bool,
    /// Whether missing a reimbursement due date forfeits the claim (Utah: yes; AACOG: no, it is flagged overdue).
    pub missed_deadline_forfeits: bool,
    /// Days of notice a member gives before its termination takes effect (AACOG: 90).
    pub membership_termination_notice_days: Option<i32>,
    /// Whether the members see each other's available inventory (and may rank candidates from it); the
    /// coordinator always does. Neither source shares it: Utah's division and AACOG keep the inventory centrally.
    #[serde(default)]
    #[graphql(default)]
    pub inventory_shared_with_members: bool,
    /// Whether every request must state where the resources are to report (its staging location) and when each
    /// line is needed (AACOG agreement section 6, Conditions (b): "the location where the resources are to be
    /// dispatched, and the specific time by which such resources are needed").
    #[serde(default)]
    #[graphql(default)]
    pub request_location_and_time_required: bool,
    /// The kinds of jurisdiction that may be members; any kind when null. EMAC is a compact between states: only
    /// `STATE` joins it, and a state acts through its emergency operations center. At most 10 kinds.
    #[serde(default)]
    #[graphql(validator(max_items = 10))]
    pub member_kinds: Option<Vec<JurisdictionKind>>,
}

impl Policy {
    /// Which jurisdiction of an agreement files its after-action report under this compact.
    pub fn after_action_filer(
        compact: &compact::Model,
        requesting: uuid::Uuid,
        assisting: uuid::Uuid,
    ) -> AppResult<uuid::Uuid> {
        let filer = compact.after_action_filed_by.as_deref().map(AfterActionFiler::from_db).transpose()?;
        Ok(match filer {
            Some(AfterActionFiler::AssistingParty) => assisting,
            Some(AfterActionFiler::RequestingParty) | None => requesting,
        })
    }

    /// The kinds of jurisdiction that may join a compact (any when `None`).
    pub fn member_kinds_of(model: &compact::Model) -> AppResult<Option<Vec<JurisdictionKind>>> {
        let Some(stored) = &model.member_kinds else { return Ok(None) };
        let names = stored.as_array().ok_or_else(|| AppError::Internal("member_kinds is not a list".into()))?;
        names
            .iter()
            .map(|n| JurisdictionKind::from_db(n.as_str().unwrap_or_default()))
            .collect::<AppResult<Vec<_>>>()
            .map(Some)
    }

    /// Reads the policy columns of a compact.
    pub fn from_model(model: &compact::Model) -> AppResult<Self> {
        Ok(Policy {
            written_declaration_after_oral_hours: model.written_declaration_after_oral_hours,
            written_request_after_verbal_hours: model.written_request_after_verbal_hours,
            written_request_after_request_hours: model.written_request_after_request_hours,
            written_agreement_after_verbal_hours: model.written_agreement_after_verbal_hours,
            recall_notice_hours: model.recall_notice_hours,
            after_action_report_days: model.after_action_report_days,
            after_action_filed_by: model.after_action_filed_by.as_deref().map(AfterActionFiler::from_db).transpose()?,
            notice_of_intent_days: model.notice_of_intent_days,
            request_package_days: model.request_package_days,
            billing_limit_days: model.billing_limit_days,
            payment_days: model.payment_days,
            payment_clock: model.payment_clock.as_deref().map(PaymentClock::from_db).transpose()?,
            dispute_negotiation_days: model.dispute_negotiation_days,
            dispute_escalation_after_days: model.dispute_escalation_after_days,
            dispute_escalation_window_days: model.dispute_escalation_window_days,
            hearing_schedule_days: model.hearing_schedule_days,
            decision_days: model.decision_days,
            committee_quorum: model.committee_quorum,
            waiver_days: model.waiver_days,
            waiver_itemized: model.waiver_itemized,
            waiver_copy_to_coordinator: model.waiver_copy_to_coordinator,
            missed_deadline_forfeits: model.missed_deadline_forfeits,
            membership_termination_notice_days: model.membership_termination_notice_days,
            inventory_shared_with_members: model.inventory_shared_with_members,
            request_location_and_time_required: model.request_location_and_time_required,
            member_kinds: Self::member_kinds_of(model)?,
        })
    }

    /// Writes the policy into the columns of a compact.
    pub fn apply_to(&self, active: &mut compact::ActiveModel) {
        active.written_declaration_after_oral_hours = Set(self.written_declaration_after_oral_hours);
        active.written_request_after_verbal_hours = Set(self.written_request_after_verbal_hours);
        active.written_request_after_request_hours = Set(self.written_request_after_request_hours);
        active.written_agreement_after_verbal_hours = Set(self.written_agreement_after_verbal_hours);
        active.recall_notice_hours = Set(self.recall_notice_hours);
        active.after_action_report_days = Set(self.after_action_report_days);
        active.after_action_filed_by = Set(self.after_action_filed_by.map(|f| f.as_str().to_owned()));
        active.notice_of_intent_days = Set(self.notice_of_intent_days);
        active.request_package_days = Set(self.request_package_days);
        active.billing_limit_days = Set(self.billing_limit_days);
        active.payment_days = Set(self.payment_days);
        active.payment_clock = Set(self.payment_clock.map(|c| c.as_str().to_owned()));
        active.dispute_negotiation_days = Set(self.dispute_negotiation_days);
        active.dispute_escalation_after_days = Set(self.dispute_escalation_after_days);
        active.dispute_escalation_window_days = Set(self.dispute_escalation_window_days);
        active.hearing_schedule_days = Set(self.hearing_schedule_days);
        active.decision_days = Set(self.decision_days);
        active.committee_quorum = Set(self.committee_quorum);
        active.waiver_days = Set(self.waiver_days);
        active.waiver_itemized = Set(self.waiver_itemized);
        active.waiver_copy_to_coordinator = Set(self.waiver_copy_to_coordinator);
        active.missed_deadline_forfeits = Set(self.missed_deadline_forfeits);
        active.membership_termination_notice_days = Set(self.membership_termination_notice_days);
        active.inventory_shared_with_members = Set(self.inventory_shared_with_members);
        active.request_location_and_time_required = Set(self.request_location_and_time_required);
        active.member_kinds = Set(self.member_kinds.as_ref().map(|kinds| {
            let mut kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            kinds.sort_unstable();
            kinds.dedup();
            serde_json::json!(kinds)
        }));
    }

    /// Checks that every limit is a sensible positive number and that dependent rules come with what they need.
    pub fn validate(&self) -> AppResult<()> {
        let limits = [
            ("writtenDeclarationAfterOralHours", self.written_declaration_after_oral_hours, 24 * 365),
            ("writtenRequestAfterVerbalHours", self.written_request_after_verbal_hours, 24 * 365),
            ("writtenRequestAfterRequestHours", self.written_request_after_request_hours, 24 * 365),
            ("writtenAgreementAfterVerbalHours", self.written_agreement_after_verbal_hours, 24 * 365),
            ("recallNoticeHours", self.recall_notice_hours, 24 * 365),
            ("afterActionReportDays", self.after_action_report_days, 3650),
            ("noticeOfIntentDays", self.notice_of_intent_days, 3650),
            ("requestPackageDays", self.request_package_days, 3650),
            ("billingLimitDays", self.billing_limit_days, 3650),
            ("paymentDays", self.payment_days, 3650),
            ("disputeNegotiationDays", self.dispute_negotiation_days, 3650),
            ("disputeEscalationAfterDays", self.dispute_escalation_after_days, 3650),
            ("disputeEscalationWindowDays", self.dispute_escalation_window_days, 3650),
            ("hearingScheduleDays", self.hearing_schedule_days, 3650),
            ("decisionDays", self.decision_days, 3650),
            ("committeeQuorum", self.committee_quorum, 1000),
            ("waiverDays", self.waiver_days, 3650),
            ("membershipTerminationNoticeDays", self.membership_termination_notice_days, 3650),
        ];
        for (field, value, max) in limits {
            if let Some(value) = value
                && !(1..=max).contains(&value)
            {
                return Err(AppError::bad_input(
                    &format!("policy.{field}"),
                    format!("{field} must be between 1 and {max}, or null when the compact has no such rule"),
                ));
            }
        }
        if self.member_kinds.as_ref().is_some_and(Vec::is_empty) {
            return Err(AppError::bad_input(
                "policy.memberKinds",
                "memberKinds names at least one kind of jurisdiction, or is null when any kind may join",
            ));
        }
        if self.payment_days.is_some() != self.payment_clock.is_some() {
            return Err(AppError::bad_input(
                "policy.paymentClock",
                "paymentDays and paymentClock go together: set both or neither",
            ));
        }
        if self.dispute_escalation_window_days.is_some() && self.dispute_escalation_after_days.is_none() {
            return Err(AppError::bad_input(
                "policy.disputeEscalationWindowDays",
                "an escalation window needs disputeEscalationAfterDays to start from",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_is_valid() {
        assert!(Policy::default().validate().is_ok());
    }

    #[test]
    fn zero_or_negative_limits_are_refused() {
        let policy = Policy { recall_notice_hours: Some(0), ..Policy::default() };
        let err = policy.validate().unwrap_err();
        assert!(matches!(err, AppError::BadUserInput { field: Some(ref f), .. } if f == "policy.recallNoticeHours"));
    }

    #[test]
    fn payment_days_need_a_clock() {
        let policy = Policy { payment_days: Some(30), ..Policy::default() };
        assert!(policy.validate().is_err());
        let policy = Policy { payment_clock: Some(PaymentClock::NoticeReceived), ..policy };
        assert!(policy.validate().is_ok());
    }
}
