//! The demo data set: Utah's SMAA, the AACOG region, EMAC and Connecticut's compact, with the policy values of the
//! source documents and a catalog of common NIMS resource types. Ids derive from the seed keys, so loading twice
//! changes nothing, and every record gets its `CREATED` event like any other change.

use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    authorized_representative, compact, incident, jurisdiction, jurisdiction_contact, membership, resource_type,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, TransactionTrait};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::deadlines::{self, NewDeadline};
use crate::domain::enums::{
    CompactKind, ContactKind, DeadlineKind, DeclarationForm, IncidentKind, IncidentStatus, JurisdictionKind,
    MembershipStatus, RecordType, ResourceKind,
};
use crate::domain::events::{self, NewEvent};
use crate::domain::policy::Policy;
use crate::error::{AppError, AppResult};

const DEMO: &str = include_str!("../seed/demo.json");

/// The namespace of seed ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6d75_7475_616c_2d61_6964_2d73_6565_6400);

/// The id the seed gives to the record of `kind` with `key` (stable across runs and machines).
pub fn seed_id(kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Seed {
    jurisdictions: Vec<SeedJurisdiction>,
    compacts: Vec<SeedCompact>,
    incidents: Vec<SeedIncident>,
    resource_types: Vec<SeedResourceType>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedJurisdiction {
    key: String,
    name: String,
    kind: JurisdictionKind,
    parent: Option<String>,
    region: Option<String>,
    state_code: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    #[serde(default)]
    contacts: Vec<SeedContact>,
    #[serde(default)]
    representatives: Vec<SeedRepresentative>,
}

#[derive(Deserialize)]
struct SeedContact {
    kind: ContactKind,
    name: String,
    title: Option<String>,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct SeedRepresentative {
    name: String,
    title: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    subject: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedCompact {
    key: String,
    name: String,
    short_name: String,
    kind: CompactKind,
    authority: String,
    coordinator: Option<String>,
    description: Option<String>,
    mission_numbers_required: bool,
    /// The key of the next tier's compact.
    #[serde(default)]
    next_tier: Option<String>,
    policy: Policy,
    members: Vec<SeedMember>,
    /// The dispute committee's roster.
    #[serde(default)]
    committee: Vec<SeedCommitteeMember>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedCommitteeMember {
    subject: String,
    name: String,
    jurisdiction: Option<String>,
    term_starts_on: NaiveDate,
    term_ends_on: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedMember {
    jurisdiction: String,
    joined_on: NaiveDate,
    authorizing_resolution: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedIncident {
    key: String,
    name: String,
    kind: IncidentKind,
    jurisdiction: String,
    compact: Option<String>,
    description: Option<String>,
    location_description: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    declared_at: DateTime<Utc>,
    declaration_form: DeclarationForm,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedResourceType {
    key: String,
    category: String,
    kind: ResourceKind,
    name: String,
    type_level: Option<i32>,
    external_id: Option<String>,
    description: Option<String>,
}

/// What a seed run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// False when the data set was already there.
    pub loaded: bool,
    /// Jurisdictions in the data set.
    pub jurisdictions: usize,
    /// Compacts in the data set.
    pub compacts: usize,
    /// Memberships in the data set.
    pub memberships: usize,
    /// Incidents in the data set.
    pub incidents: usize,
    /// Resource types in the data set.
    pub resource_types: usize,
}

/// Loads the demo data set in one transaction, unless it is already loaded.
pub async fn load(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<SeedSummary> {
    let seed: Seed = serde_json::from_str(DEMO).map_err(|e| AppError::Internal(format!("invalid demo data: {e}")))?;
    let mut summary = SeedSummary {
        loaded: false,
        jurisdictions: seed.jurisdictions.len(),
        compacts: seed.compacts.len(),
        memberships: seed.compacts.iter().map(|c| c.members.len()).sum(),
        incidents: seed.incidents.len(),
        resource_types: seed.resource_types.len(),
    };
    let first = seed.jurisdictions.first().map(|j| seed_id("jurisdiction", &j.key));
    if let Some(first) = first
        && jurisdiction::Entity::find_by_id(first).one(db).await?.is_some()
    {
        return Ok(summary);
    }
    let system = Viewer::system();
    let txn = db.begin().await?;
    for j in &seed.jurisdictions {
        let id = seed_id("jurisdiction", &j.key);
        jurisdiction::ActiveModel {
            id: Set(id),
            name: Set(j.name.clone()),
            kind: Set(j.kind.as_str().to_owned()),
            parent_id: Set(j.parent.as_deref().map(|p| seed_id("jurisdiction", p))),
            region: Set(j.region.clone()),
            state_code: Set(j.state_code.clone()),
            latitude: Set(j.latitude),
            longitude: Set(j.longitude),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&txn)
        .await?;
        for (i, c) in j.contacts.iter().enumerate() {
            jurisdiction_contact::ActiveModel {
                id: Set(seed_id("contact", &format!("{}:{i}", j.key))),
                jurisdiction_id: Set(id),
                kind: Set(c.kind.as_str().to_owned()),
                name: Set(c.name.clone()),
                title: Set(c.title.clone()),
                phone: Set(c.phone.clone()),
                email: Set(c.email.clone()),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        for (i, r) in j.representatives.iter().enumerate() {
            authorized_representative::ActiveModel {
                id: Set(seed_id("representative", &format!("{}:{i}", j.key))),
                jurisdiction_id: Set(id),
                // The demo logins: the subject given, or `<key>-em` for a jurisdiction's first representative.
                subject: Set(r.subject.clone().or_else(|| (i == 0).then(|| format!("{}-em", j.key)))),
                name: Set(r.name.clone()),
                title: Set(r.title.clone()),
                phone: Set(r.phone.clone()),
                email: Set(r.email.clone()),
                designee: Set(false),
                active: Set(true),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        let event = NewEvent::new(RecordType::Jurisdiction, id, "CREATED")
            .concerning([id])
            .payload(json!({ "name": j.name, "kind": j.kind, "seed": j.key }));
        events::append(&txn, &system, now, event).await?;
    }
    for c in &seed.compacts {
        c.policy.validate()?;
        let id = seed_id("compact", &c.key);
        let coordinator = c.coordinator.as_deref().map(|k| seed_id("jurisdiction", k));
        let mut active = compact::ActiveModel {
            id: Set(id),
            name: Set(c.name.clone()),
            short_name: Set(c.short_name.clone()),
            kind: Set(c.kind.as_str().to_owned()),
            authority: Set(c.authority.clone()),
            description: Set(c.description.clone()),
            coordinating_jurisdiction_id: Set(coordinator),
            mission_numbers_required: Set(c.mission_numbers_required),
            next_tier_compact_id: Set(c.next_tier.as_deref().map(|k| seed_id("compact", k))),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
            ..Default::default()
        };
        c.policy.apply_to(&mut active);
        active.insert(&txn).await?;
        let event = NewEvent::new(RecordType::Compact, id, "CREATED")
            .compact(Some(id))
            .concerning(coordinator)
            .payload(json!({ "name": c.name, "kind": c.kind, "policy": c.policy, "seed": c.key }));
        events::append(&txn, &system, now, event).await?;
        for member in &c.committee {
            entities::committee_member::ActiveModel {
                id: Set(seed_id("committee-member", &format!("{}:{}", c.key, member.subject))),
                compact_id: Set(id),
                subject: Set(member.subject.clone()),
                name: Set(member.name.clone()),
                jurisdiction_id: Set(member.jurisdiction.as_deref().map(|k| seed_id("jurisdiction", k))),
                term_starts_on: Set(member.term_starts_on),
                term_ends_on: Set(member.term_ends_on),
                created_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
        for m in &c.members {
            let jurisdiction_id = seed_id("jurisdiction", &m.jurisdiction);
            let membership_id = seed_id("membership", &format!("{}:{}", c.key, m.jurisdiction));
            membership::ActiveModel {
                id: Set(membership_id),
                compact_id: Set(id),
                jurisdiction_id: Set(jurisdiction_id),
                joined_on: Set(m.joined_on),
                authorizing_resolution: Set(m.authorizing_resolution.clone()),
                status: Set(MembershipStatus::Active.as_str().to_owned()),
                termination_noticed_at: Set(None),
                termination_effective_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
            .insert(&txn)
            .await?;
            let event = NewEvent::new(RecordType::Membership, membership_id, "JOINED")
                .status(None::<&str>, MembershipStatus::Active)
                .compact(Some(id))
                .concerning([jurisdiction_id])
                .payload(json!({ "joinedOn": m.joined_on }));
            events::append(&txn, &system, now, event).await?;
        }
    }
    for i in &seed.incidents {
        let id = seed_id("incident", &i.key);
        let jurisdiction_id = seed_id("jurisdiction", &i.jurisdiction);
        let compact_id = i.compact.as_deref().map(|k| seed_id("compact", k));
        let hours = match (i.declaration_form, &i.compact) {
            (DeclarationForm::Oral, Some(key)) => {
                seed.compacts.iter().find(|c| &c.key == key).and_then(|c| c.policy.written_declaration_after_oral_hours)
            }
            _ => None,
        };
        incident::ActiveModel {
            id: Set(id),
            name: Set(i.name.clone()),
            kind: Set(i.kind.as_str().to_owned()),
            status: Set(IncidentStatus::Active.as_str().to_owned()),
            jurisdiction_id: Set(jurisdiction_id),
            compact_id: Set(compact_id),
            description: Set(i.description.clone()),
            location_description: Set(i.location_description.clone()),
            latitude: Set(i.latitude),
            longitude: Set(i.longitude),
            declared_at: Set(i.declared_at),
            declaration_form: Set(i.declaration_form.as_str().to_owned()),
            written_declaration_due_at: Set(deadlines::hours_after(i.declared_at, hours)),
            written_declaration_at: Set((i.declaration_form == DeclarationForm::Written).then_some(i.declared_at)),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(&txn)
        .await?;
        let deadline = NewDeadline {
            compact_id,
            record_type: RecordType::Incident,
            record_id: id,
            kind: DeadlineKind::WrittenDeclaration,
            owed_by: Some(jurisdiction_id),
            starts_at: i.declared_at,
        };
        deadlines::create(&txn, &system, now, deadline, deadlines::hours_after(i.declared_at, hours)).await?;
        let event = NewEvent::new(RecordType::Incident, id, "DECLARED")
            .status(None::<&str>, IncidentStatus::Active)
            .compact(compact_id)
            .concerning([jurisdiction_id])
            .payload(json!({ "name": i.name, "seed": i.key }));
        events::append(&txn, &system, now, event).await?;
    }
    for r in &seed.resource_types {
        let id = seed_id("resource-type", &r.key);
        resource_type::ActiveModel {
            id: Set(id),
            category: Set(r.category.clone()),
            kind: Set(r.kind.as_str().to_owned()),
            name: Set(r.name.clone()),
            type_level: Set(r.type_level),
            external_id: Set(r.external_id.clone()),
            description: Set(r.description.clone()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let event =
            NewEvent::new(RecordType::ResourceType, id, "CREATED").payload(json!({ "name": r.name, "seed": r.key }));
        events::append(&txn, &system, now, event).await?;
    }
    txn.commit().await?;
    summary.loaded = true;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_parses_and_policies_are_valid() {
        let seed: Seed = serde_json::from_str(DEMO).unwrap();
        assert!(seed.jurisdictions.len() > 20);
        for compact in &seed.compacts {
            compact.policy.validate().unwrap();
        }
        let utah = seed.compacts.iter().find(|c| c.key == "utah-smaa").unwrap();
        assert_eq!(utah.policy.committee_quorum, Some(7));
        assert!(utah.policy.missed_deadline_forfeits);
    }
}
