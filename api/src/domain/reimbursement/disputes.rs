//! Disputes of reimbursement: either party files an itemized notice of dispute; the parties negotiate and may
//! record a resolution; once the compact's policy allows (and before its window closes) either party escalates to
//! the committee, which schedules a hearing with a quorum, votes, and issues a written decision by majority of the
//! quorum. The claim then follows the decision.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entities::{claim, committee_member, committee_vote, dispute};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionSession,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::access::disputes_visible_to;
use crate::domain::claims::{self, change, excuse, parties};
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::directory::load_compact;
use crate::domain::enums::{CommitteeVote, DeadlineKind, DisputeStatus, RecordType, Role};
use crate::domain::events::{self, NewEvent};
use crate::domain::requests::refuse_ssn;
use crate::domain::{lifecycle, money, validate, versioned};
use crate::error::{AppError, AppResult};
use crate::scalars::{DateTime as DateTimeScalar, Decimal as DecimalScalar};

/// One disputed item.
#[derive(Debug, Clone, InputObject)]
pub struct DisputedItemInput {
    /// The invoice line disputed; omit for the claim as a whole or for non-compliance with the procedures.
    pub line_id: Option<ID>,
    /// Why.
    pub reason: String,
}

/// A written notice of dispute.
#[derive(Debug, Clone, InputObject)]
pub struct FileDisputeInput {
    /// The claim.
    pub claim_id: ID,
    /// The reasons, in general.
    pub reasons: String,
    /// The itemized points of dispute. At most 500.
    #[graphql(validator(max_items = 500))]
    pub items: Vec<DisputedItemInput>,
}

/// A resolution agreed between the parties.
#[derive(Debug, Clone, InputObject)]
pub struct ResolveDisputeInput {
    /// The dispute.
    pub dispute_id: ID,
    /// What was agreed.
    pub resolution: String,
    /// The amount the requesting party will pay, in dollars.
    pub agreed_amount: DecimalScalar,
}

/// An escalation to the compact's committee (Utah Form 110).
#[derive(Debug, Clone, InputObject)]
pub struct EscalateDisputeInput {
    /// The dispute.
    pub dispute_id: ID,
    /// A concise narrative explaining the dispute.
    pub narrative: String,
}

/// The committee's scheduling of the hearing and selection of the quorum.
#[derive(Debug, Clone, InputObject)]
pub struct ScheduleHearingInput {
    /// The dispute.
    pub dispute_id: ID,
    /// When the hearing is held.
    pub hearing_at: DateTimeScalar,
    /// The committee members (token subjects) forming the quorum; as many as the policy's `committeeQuorum`. At most 50.
    #[graphql(validator(max_items = 50))]
    pub quorum: Vec<String>,
}

/// A quorum member's vote.
#[derive(Debug, Clone, InputObject)]
pub struct CastCommitteeVoteInput {
    /// The dispute.
    pub dispute_id: ID,
    /// The vote.
    pub vote: CommitteeVote,
}

/// The committee's written decision.
#[derive(Debug, Clone, InputObject)]
pub struct IssueDecisionInput {
    /// The dispute.
    pub dispute_id: ID,
    /// Findings of fact.
    pub findings: String,
    /// The reasons for the decision.
    pub reasons: String,
    /// The amount the requesting party owes under the decision, in dollars.
    pub awarded_amount: DecimalScalar,
}

async fn load(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<(dispute::Model, claim::Model)> {
    viewer.require_authenticated()?;
    let visible = dispute::Entity::find_by_id(id)
        .filter(disputes_visible_to(viewer))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("dispute", id))?;
    // Lock the claim (and so serialize every change to its disputes), then read the dispute again.
    let claim = claims_lock(db, visible.claim_id).await?;
    let dispute = dispute::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("dispute", id))?;
    Ok((dispute, claim))
}

async fn claims_lock(db: &impl ConnectionTrait, claim_id: Uuid) -> AppResult<claim::Model> {
    versioned::lock::<claim::Entity>(db, claim_id, "claim").await
}

fn ensure_party(viewer: &Viewer, claim: &claim::Model) -> AppResult<Uuid> {
    parties(claim)
        .into_iter()
        .find(|j| viewer.represents(*j))
        .ok_or_else(|| AppError::forbidden("only an authorized representative of a party to the claim may do this"))
}

/// Why `subject` may not sit on the hearing of a dispute of `claim` on `on`, if it may not: it must hold a seat on
/// the compact's committee roster for a term covering that day, and not come from either party (then it is
/// recused).
async fn unseated(
    db: &impl ConnectionTrait,
    claim: &claim::Model,
    subject: &str,
    on: chrono::NaiveDate,
) -> AppResult<Option<String>> {
    let seat = committee_member::Entity::find()
        .filter(committee_member::Column::CompactId.eq(claim.compact_id))
        .filter(committee_member::Column::Subject.eq(subject))
        .one(db)
        .await?;
    let Some(seat) = seat else { return Ok(Some(format!("{subject} is not on the committee's roster"))) };
    if seat.term_starts_on > on || seat.term_ends_on.is_some_and(|end| end < on) {
        return Ok(Some(format!("{subject}'s term on the committee does not cover {on}")));
    }
    if seat
        .jurisdiction_id
        .is_some_and(|j| j == claim.requesting_jurisdiction_id || j == claim.assisting_jurisdiction_id)
    {
        return Ok(Some(format!("{subject} comes from a party to the claim and is recused")));
    }
    Ok(None)
}

/// `FORBIDDEN` unless the viewer holds a seat on the compact's committee today and is not recused from `claim`.
async fn ensure_seated(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    claim: &claim::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    match unseated(db, claim, &viewer.subject, now.date_naive()).await? {
        None => Ok(()),
        Some(why) => Err(AppError::forbidden(why)),
    }
}

fn ensure_committee(viewer: &Viewer, d: &dispute::Model) -> AppResult<()> {
    if viewer.has_compact_role(Role::CommitteeMember, d.compact_id) {
        Ok(())
    } else {
        Err(AppError::forbidden("only a member of the compact's committee may do this"))
    }
}

async fn set_status(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    d: &dispute::Model,
    action: &'static str,
    event: (&'static str, serde_json::Value),
    edit: impl FnOnce(&mut dispute::ActiveModel),
) -> AppResult<dispute::Model> {
    let from = DisputeStatus::from_db(&d.status)?;
    let to = lifecycle::dispute(from, action)?;
    let mut active = d.clone().into_active_model();
    active.status = Set(to.as_str().to_owned());
    active.updated_at = Set(now);
    edit(&mut active);
    versioned::update(db, active, d.id, d.version).await?;
    let claim =
        claim::Entity::find_by_id(d.claim_id).one(db).await?.ok_or_else(|| AppError::not_found("claim", d.claim_id))?;
    events::append(
        db,
        viewer,
        now,
        NewEvent::new(RecordType::Dispute, d.id, event.0)
            .status(Some(from), to)
            .compact(Some(d.compact_id))
            .concerning(parties(&claim))
            .payload(event.1),
    )
    .await?;
    dispute::Entity::find_by_id(d.id).one(db).await?.ok_or_else(|| AppError::not_found("dispute", d.id))
}

/// Either party files an itemized notice of dispute; a pending payment deadline is suspended by it.
pub async fn file(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: FileDisputeInput,
) -> AppResult<dispute::Model> {
    let claim_id = validate::id("claimId", &input.claim_id)?;
    let reasons = validate::text("reasons", &input.reasons, 10_000)?;
    refuse_ssn("reasons", &reasons)?;
    if input.items.is_empty() {
        return Err(AppError::bad_input("items", "a notice of dispute lists at least one item"));
    }
    let txn = events::begin(db).await?;
    let claim = claims::load_for_update(&txn, viewer, claim_id).await?;
    let filed_by = ensure_party(viewer, &claim)?;
    let (lines, _, _) = claims::file_of(&txn, claim_id).await?;
    let mut items = Vec::new();
    for (i, item) in input.items.iter().enumerate() {
        let reason = validate::text(&format!("items.{i}.reason"), &item.reason, 4000)?;
        let line = match &item.line_id {
            Some(id) => {
                let id = validate::id(&format!("items.{i}.lineId"), id)?;
                if !lines.iter().any(|l| l.id == id) {
                    return Err(AppError::bad_input(&format!("items.{i}.lineId"), "not a line of this claim"));
                }
                Some(id)
            }
            None => None,
        };
        items.push(json!({ "lineId": line, "reason": reason }));
    }
    let id = Uuid::now_v7();
    let model = dispute::ActiveModel {
        id: Set(id),
        claim_id: Set(claim_id),
        compact_id: Set(claim.compact_id),
        filed_by_jurisdiction_id: Set(filed_by),
        filed_by_subject: Set(viewer.subject.clone()),
        filed_at: Set(now),
        reasons: Set(reasons.clone()),
        items: Set(json!(items)),
        status: Set(DisputeStatus::Open.as_str().to_owned()),
        resolution: Set(None),
        resolved_at: Set(None),
        escalated_at: Set(None),
        escalation_narrative: Set(None),
        hearing_scheduled_at: Set(None),
        hearing_at: Set(None),
        quorum: Set(json!([])),
        findings: Set(None),
        reasons_for_decision: Set(None),
        outcome: Set(None),
        awarded_amount: Set(None),
        decided_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Dispute, id, "FILED")
            .status(None::<&str>, DisputeStatus::Open)
            .compact(Some(claim.compact_id))
            .concerning(parties(&claim))
            .payload(json!({ "claimId": claim_id, "items": items })),
    )
    .await?;
    change(&txn, viewer, now, &claim, Some("dispute"), ("DISPUTED", json!({ "disputeId": id })), |_| {}).await?;
    excuse(&txn, viewer, now, claim_id, DeadlineKind::Payment, "suspended by the notice of dispute").await?;
    let compact = load_compact(&txn, claim.compact_id).await?;
    let negotiation = NewDeadline {
        compact_id: Some(compact.id),
        record_type: RecordType::Dispute,
        record_id: id,
        kind: DeadlineKind::DisputeNegotiation,
        owed_by: None,
        starts_at: now,
    };
    deadlines::create(&txn, viewer, now, negotiation, deadlines::days_after(now, compact.dispute_negotiation_days))
        .await?;
    if let Some(after) = compact.dispute_escalation_after_days {
        let window = NewDeadline {
            compact_id: Some(compact.id),
            record_type: RecordType::Dispute,
            record_id: id,
            kind: DeadlineKind::Escalation,
            owed_by: None,
            starts_at: now,
        };
        let closes = deadlines::days_after(now, Some(after + compact.dispute_escalation_window_days.unwrap_or(0)));
        deadlines::create(&txn, viewer, now, window, closes).await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// The payment that a notice of dispute suspended falls due again, the compact's payment days after the dispute
/// ends.
async fn restart_payment(
    db: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    claim: &claim::Model,
    reason: &str,
) -> AppResult<()> {
    let compact = load_compact(db, claim.compact_id).await?;
    let due = deadlines::days_after(now, compact.payment_days);
    deadlines::restart(db, viewer, now, claim.id, DeadlineKind::Payment, due, reason).await?;
    Ok(())
}

/// Either party records the resolution agreed between them; the agreed amount becomes the approved amount.
pub async fn resolve(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ResolveDisputeInput,
) -> AppResult<dispute::Model> {
    let id = validate::id("disputeId", &input.dispute_id)?;
    let resolution = validate::text("resolution", &input.resolution, 10_000)?;
    let agreed = money::amount("agreedAmount", input.agreed_amount.0)?;
    let txn = events::begin(db).await?;
    let (current, claim) = load(&txn, viewer, id).await?;
    ensure_party(viewer, &claim)?;
    let model = set_status(
        &txn,
        viewer,
        now,
        &current,
        "resolve",
        ("RESOLVED", json!({ "agreedAmount": money::text(agreed) })),
        |a| {
            a.resolution = Set(Some(resolution.clone()));
            a.resolved_at = Set(Some(now));
            a.awarded_amount = Set(Some(money::text(agreed)));
        },
    )
    .await?;
    let claim = claims_lock(&txn, claim.id).await?;
    change(
        &txn,
        viewer,
        now,
        &claim,
        Some("resolve"),
        ("DISPUTE_RESOLVED", json!({ "disputeId": id, "agreedAmount": money::text(agreed) })),
        |a| {
            a.approved_amount = Set(Some(money::text(agreed)));
            a.approved_at = Set(Some(now));
        },
    )
    .await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::DisputeNegotiation, now).await?;
    excuse(&txn, viewer, now, id, DeadlineKind::Escalation, "resolved between the parties").await?;
    restart_payment(&txn, viewer, now, &claim, "the payment clock starts again at the dispute's resolution").await?;
    txn.commit().await?;
    Ok(model)
}

/// Either party escalates an unresolved dispute to the committee, once the policy allows and before its window
/// closes.
pub async fn escalate(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: EscalateDisputeInput,
) -> AppResult<dispute::Model> {
    let id = validate::id("disputeId", &input.dispute_id)?;
    let narrative = validate::text("narrative", &input.narrative, 20_000)?;
    let txn = events::begin(db).await?;
    let (current, claim) = load(&txn, viewer, id).await?;
    ensure_party(viewer, &claim)?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let Some(after) = compact.dispute_escalation_after_days else {
        return Err(AppError::InvalidTransition {
            record: "dispute",
            action: "escalate",
            current: format!("{} under a compact without a dispute committee", current.status),
        });
    };
    lifecycle::dispute(DisputeStatus::from_db(&current.status)?, "escalate")?;
    let opens = current.filed_at + chrono::Duration::days(i64::from(after));
    if now < opens {
        return Err(AppError::InvalidTransition {
            record: "dispute",
            action: "escalate",
            current: format!("{} in negotiation until {}", current.status, opens.to_rfc3339()),
        });
    }
    if let Some(window) = compact.dispute_escalation_window_days {
        let closes = opens + chrono::Duration::days(i64::from(window));
        if now > closes {
            return Err(AppError::DeadlinePassed(format!("the escalation window closed at {}", closes.to_rfc3339())));
        }
    }
    let model = set_status(&txn, viewer, now, &current, "escalate", ("ESCALATED", json!({})), |a| {
        a.escalated_at = Set(Some(now));
        a.escalation_narrative = Set(Some(narrative.clone()));
    })
    .await?;
    let claim = claims_lock(&txn, claim.id).await?;
    change(&txn, viewer, now, &claim, Some("escalate"), ("ESCALATED", json!({ "disputeId": id })), |_| {}).await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::Escalation, now).await?;
    excuse(&txn, viewer, now, id, DeadlineKind::DisputeNegotiation, "escalated to the committee").await?;
    let schedule = NewDeadline {
        compact_id: Some(compact.id),
        record_type: RecordType::Dispute,
        record_id: id,
        kind: DeadlineKind::HearingSchedule,
        owed_by: compact.coordinating_jurisdiction_id,
        starts_at: now,
    };
    deadlines::create(&txn, viewer, now, schedule, deadlines::days_after(now, compact.hearing_schedule_days)).await?;
    txn.commit().await?;
    Ok(model)
}

/// A committee member schedules the hearing and records the quorum the chair selected.
pub async fn schedule_hearing(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: ScheduleHearingInput,
) -> AppResult<dispute::Model> {
    let id = validate::id("disputeId", &input.dispute_id)?;
    let txn = events::begin(db).await?;
    let (current, claim) = load(&txn, viewer, id).await?;
    ensure_committee(viewer, &current)?;
    ensure_seated(&txn, viewer, &claim, now).await?;
    let compact = load_compact(&txn, current.compact_id).await?;
    let hearing_day = input.hearing_at.0.date_naive();
    let mut quorum: Vec<String> = Vec::new();
    for (i, member) in input.quorum.iter().enumerate() {
        let member = validate::text(&format!("quorum.{i}"), member, 200)?;
        if quorum.contains(&member) {
            return Err(AppError::bad_input(&format!("quorum.{i}"), "each member appears once"));
        }
        if let Some(why) = unseated(&txn, &claim, &member, hearing_day).await? {
            return Err(AppError::bad_input(&format!("quorum.{i}"), why));
        }
        quorum.push(member);
    }
    if let Some(size) = compact.committee_quorum
        && quorum.len() != size as usize
    {
        return Err(AppError::bad_input("quorum", format!("the compact's quorum is {size} members")));
    }
    if quorum.is_empty() {
        return Err(AppError::bad_input("quorum", "name the members who hear the dispute"));
    }
    let hearing_at = input.hearing_at.0;
    if hearing_at < now {
        return Err(AppError::bad_input("hearingAt", "the hearing cannot be in the past"));
    }
    let model = set_status(
        &txn,
        viewer,
        now,
        &current,
        "schedule the hearing of",
        ("HEARING_SCHEDULED", json!({ "hearingAt": hearing_at, "quorum": quorum })),
        |a| {
            a.hearing_scheduled_at = Set(Some(now));
            a.hearing_at = Set(Some(hearing_at));
            a.quorum = Set(json!(quorum));
        },
    )
    .await?;
    let claim = claims_lock(&txn, current.claim_id).await?;
    change(
        &txn,
        viewer,
        now,
        &claim,
        Some("schedule the hearing of"),
        ("HEARING_SCHEDULED", json!({ "disputeId": id, "hearingAt": hearing_at })),
        |_| {},
    )
    .await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::HearingSchedule, now).await?;
    let decision = NewDeadline {
        compact_id: Some(compact.id),
        record_type: RecordType::Dispute,
        record_id: id,
        kind: DeadlineKind::Decision,
        owed_by: compact.coordinating_jurisdiction_id,
        starts_at: hearing_at,
    };
    deadlines::create(&txn, viewer, now, decision, deadlines::days_after(hearing_at, compact.decision_days)).await?;
    txn.commit().await?;
    Ok(model)
}

/// A quorum member casts their own vote, once the hearing has begun.
pub async fn cast_vote(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: CastCommitteeVoteInput,
) -> AppResult<committee_vote::Model> {
    let id = validate::id("disputeId", &input.dispute_id)?;
    let txn = events::begin(db).await?;
    let (current, claim) = load(&txn, viewer, id).await?;
    ensure_committee(viewer, &current)?;
    let status = DisputeStatus::from_db(&current.status)?;
    if status != DisputeStatus::HearingScheduled {
        return Err(AppError::InvalidTransition { record: "dispute", action: "vote on", current: status.to_string() });
    }
    let quorum: Vec<String> = serde_json::from_value(current.quorum.clone()).unwrap_or_default();
    if !quorum.contains(&viewer.subject) {
        return Err(AppError::forbidden("only a member of the hearing's quorum votes"));
    }
    ensure_seated(&txn, viewer, &claim, now).await?;
    if current.hearing_at.is_some_and(|at| now < at) {
        return Err(AppError::InvalidTransition {
            record: "dispute",
            action: "vote on",
            current: format!("{status} until the hearing begins"),
        });
    }
    let existing = committee_vote::Entity::find()
        .filter(committee_vote::Column::DisputeId.eq(id))
        .filter(committee_vote::Column::MemberSubject.eq(&viewer.subject))
        .one(&txn)
        .await?;
    if existing.is_some() {
        return Err(AppError::Conflict("this member has already voted".into()));
    }
    let model = committee_vote::ActiveModel {
        dispute_id: Set(id),
        member_subject: Set(viewer.subject.clone()),
        member_name: Set(viewer.name.clone()),
        vote: Set(input.vote.as_str().to_owned()),
        cast_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::Dispute, id, "VOTE_CAST")
            .compact(Some(current.compact_id))
            .concerning(parties(&claim))
            .payload(json!({ "member": viewer.subject, "vote": input.vote })),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The outcome a majority of the quorum voted for, if there is one.
pub fn majority(quorum: usize, votes: &[CommitteeVote]) -> Option<CommitteeVote> {
    let needed = quorum / 2 + 1;
    [CommitteeVote::ForAssistingParty, CommitteeVote::ForRequestingParty]
        .into_iter()
        .find(|side| votes.iter().filter(|v| *v == side).count() >= needed)
}

/// A committee member issues the written decision, which a majority of the quorum voted for; the claim follows it.
pub async fn decide(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: IssueDecisionInput,
) -> AppResult<dispute::Model> {
    let id = validate::id("disputeId", &input.dispute_id)?;
    let findings = validate::text("findings", &input.findings, 20_000)?;
    let reasons = validate::text("reasons", &input.reasons, 20_000)?;
    let awarded = money::amount("awardedAmount", input.awarded_amount.0)?;
    let txn = events::begin(db).await?;
    let (current, claim) = load(&txn, viewer, id).await?;
    ensure_committee(viewer, &current)?;
    lifecycle::dispute(DisputeStatus::from_db(&current.status)?, "decide")?;
    let quorum: Vec<String> = serde_json::from_value(current.quorum.clone()).unwrap_or_default();
    if !quorum.contains(&viewer.subject) {
        return Err(AppError::forbidden("only a member of the hearing's quorum issues its decision"));
    }
    ensure_seated(&txn, viewer, &claim, now).await?;
    let votes: Vec<CommitteeVote> = committee_vote::Entity::find()
        .filter(committee_vote::Column::DisputeId.eq(id))
        .all(&txn)
        .await?
        .iter()
        .map(|v| CommitteeVote::from_db(&v.vote))
        .collect::<AppResult<_>>()?;
    let Some(outcome) = majority(quorum.len(), &votes) else {
        return Err(AppError::InvalidTransition {
            record: "dispute",
            action: "decide",
            current: format!(
                "{} without a majority of the quorum of {} ({} votes cast)",
                current.status,
                quorum.len(),
                votes.len()
            ),
        });
    };
    let (lines, _, _) = claims::file_of(&txn, claim.id).await?;
    let (low, high) = award_range(&current, &lines)?;
    let fits = match outcome {
        CommitteeVote::ForRequestingParty => awarded == low,
        CommitteeVote::ForAssistingParty => awarded > low && awarded <= high,
    };
    if !fits {
        let range = match outcome {
            CommitteeVote::ForRequestingParty => {
                format!("exactly {}, the requesting party's position", money::text(low))
            }
            CommitteeVote::ForAssistingParty => {
                format!("above {} and at most {} (the disputed amount)", money::text(low), money::text(high))
            }
        };
        return Err(AppError::bad_input(
            "awardedAmount",
            format!("the majority voted {}: the award must be {range}", outcome.as_str()),
        ));
    }
    let tally = json!({
        "forAssistingParty": votes.iter().filter(|v| **v == CommitteeVote::ForAssistingParty).count(),
        "forRequestingParty": votes.iter().filter(|v| **v == CommitteeVote::ForRequestingParty).count(),
    });
    let model = set_status(
        &txn,
        viewer,
        now,
        &current,
        "decide",
        ("DECIDED", json!({ "outcome": outcome, "awardedAmount": money::text(awarded), "tally": tally })),
        |a| {
            a.findings = Set(Some(findings.clone()));
            a.reasons_for_decision = Set(Some(reasons.clone()));
            a.outcome = Set(Some(outcome.as_str().to_owned()));
            a.awarded_amount = Set(Some(money::text(awarded)));
            a.decided_at = Set(Some(now));
        },
    )
    .await?;
    let claim = claims_lock(&txn, claim.id).await?;
    change(
        &txn,
        viewer,
        now,
        &claim,
        Some("decide"),
        ("DECIDED", json!({ "disputeId": id, "awardedAmount": money::text(awarded) })),
        |a| {
            a.approved_amount = Set(Some(money::text(awarded)));
            a.approved_at = Set(Some(now));
        },
    )
    .await?;
    deadlines::fulfil(&txn, viewer, now, id, DeadlineKind::Decision, now).await?;
    restart_payment(&txn, viewer, now, &claim, "the payment clock starts again at the committee's decision").await?;
    txn.commit().await?;
    Ok(model)
}

/// What a decision may award: from what the requesting party already accepts to what the assisting party claims,
/// for the lines in dispute (every line when an item names none); lines outside the dispute count as approved.
pub fn award_range(
    dispute: &dispute::Model,
    lines: &[entities::invoice_line::Model],
) -> AppResult<(rust_decimal::Decimal, rust_decimal::Decimal)> {
    let items = dispute.items.as_array().cloned().unwrap_or_default();
    let whole = items.iter().any(|i| i["lineId"].is_null());
    let disputed: Vec<String> = items.iter().filter_map(|i| i["lineId"].as_str().map(str::to_owned)).collect();
    let (mut low, mut high) = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
    for line in lines.iter().filter(|l| !l.waived) {
        let amount = money::stored(&line.amount)?;
        let approved = money::stored_opt(line.approved_amount.as_deref())?;
        if whole || disputed.contains(&line.id.to_string()) {
            money::add(&mut low, approved.unwrap_or_default().min(amount))?;
            money::add(&mut high, amount)?;
        } else {
            let settled = approved.unwrap_or(amount);
            money::add(&mut low, settled)?;
            money::add(&mut high, settled)?;
        }
    }
    Ok((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_needs_a_majority_of_the_quorum() {
        use CommitteeVote::*;
        assert_eq!(majority(7, &[ForAssistingParty; 4]), Some(ForAssistingParty));
        assert_eq!(majority(7, &[ForAssistingParty, ForAssistingParty, ForAssistingParty, ForRequestingParty]), None);
        let split = [ForRequestingParty, ForRequestingParty, ForRequestingParty, ForRequestingParty, ForAssistingParty];
        assert_eq!(majority(7, &split), Some(ForRequestingParty));
        assert_eq!(majority(1, &[ForRequestingParty]), Some(ForRequestingParty));
    }
}
