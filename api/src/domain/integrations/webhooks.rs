//! Webhook endpoints: registration, secrets and their rotation, and the outbound-safety rules.
//!
//! Administrators and integration service accounts register endpoints. Each delivers the changes its owner may see
//! (the same visibility as `changes`), signed as the Standard Webhooks specification says: `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the
//! secret, which is `whsec_` and base64). The secret is shown once, at registration or rotation; after a rotation
//! the previous secret signs too (a second signature) for a grace period. Endpoints may not point at loopback,
//! private or link-local addresses unless the server's allow-list names the address.

use std::net::IpAddr;

use async_graphql::{ID, InputObject};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use entities::webhook_endpoint;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::enums::{RecordType, Role};
use crate::domain::events::{self, NewEvent};
use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The longest endpoint URL.
pub const URL_MAX: usize = 2048;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 500;
/// The most endpoints one owner may register.
pub const MAX_PER_OWNER: u64 = 20;
/// The longest grace period of a rotated secret, in hours.
pub const GRACE_MAX_HOURS: i32 = 168;

/// An endpoint's status.
pub const ENABLED: &str = "ENABLED";
/// An endpoint's status.
pub const DISABLED: &str = "DISABLED";

/// The owner of an endpoint as it registered it: whose visibility the deliveries follow.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Owner {
    /// The token's subject.
    pub subject: String,
    /// Display name.
    pub name: Option<String>,
    /// The jurisdiction its token named.
    pub jurisdiction_id: Option<Uuid>,
    /// Its roles (as granted by the token; a service account's acting authority is checked again at delivery).
    pub roles: Vec<String>,
    /// Its compacts.
    pub compact_ids: Vec<Uuid>,
    /// Its integration system.
    pub system: Option<String>,
}

impl Owner {
    /// The owner of an endpoint `viewer` registers.
    pub fn of(viewer: &Viewer) -> Self {
        Owner {
            subject: viewer.subject.clone(),
            name: viewer.name.clone(),
            jurisdiction_id: viewer.jurisdiction_id,
            roles: viewer.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            compact_ids: viewer.compact_ids.iter().copied().collect(),
            system: viewer.system.clone(),
        }
    }

    /// The owner as a viewer, for reading what it may see.
    pub fn viewer(&self) -> Viewer {
        let mut viewer = Viewer::anonymous();
        viewer.subject = self.subject.clone();
        viewer.name = self.name.clone();
        viewer.jurisdiction_id = self.jurisdiction_id;
        viewer.roles = self.roles.iter().filter_map(|r| Role::parse(r)).collect();
        viewer.compact_ids = self.compact_ids.iter().copied().collect();
        viewer.system = self.system.clone();
        viewer
    }
}

/// Which changes an endpoint receives; all given parts must match.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, InputObject)]
#[graphql(name = "WebhookFilterInput")]
#[serde(rename_all = "camelCase")]
pub struct WebhookFilter {
    /// Only records of this compact.
    pub compact_id: Option<ID>,
    /// Only changes concerning this jurisdiction.
    pub jurisdiction_id: Option<ID>,
    /// Only these record types. At most 32.
    #[graphql(validator(max_items = 32))]
    pub record_types: Option<Vec<RecordType>>,
}

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The `v1,` signature of a message under `secret` (`whsec_` and base64).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> AppResult<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| AppError::Internal(format!("a webhook secret is not base64: {e}")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)
        .map_err(|e| AppError::Internal(format!("a webhook secret cannot key HMAC: {e}")))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header of a message from `endpoint` at `now`: one signature, or two (space-separated)
/// while a rotated secret's grace period lasts.
pub fn signature_header(
    endpoint: &webhook_endpoint::Model,
    id: &str,
    timestamp: i64,
    body: &[u8],
    now: DateTime<Utc>,
) -> AppResult<String> {
    let mut header = sign(&endpoint.secret, id, timestamp, body)?;
    if let (Some(previous), Some(until)) = (&endpoint.previous_secret, endpoint.previous_secret_until)
        && until > now
    {
        header.push(' ');
        header.push_str(&sign(previous, id, timestamp, body)?);
    }
    Ok(header)
}

/// Whether an address is one an endpoint may not reach unless allowed: loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast or documentation ranges, and their IPv6 counterparts.
pub fn is_internal(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let embedded = |high: u16, low: u16| {
                let [a, b] = high.to_be_bytes();
                let [c, d] = low.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d))
            };
            // Addresses that carry an IPv4 address: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64
            // (64:ff9b::/96) and 6to4 (2002::/16) reach what the IPv4 address reaches.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            if segments[..6] == [0; 6] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_internal(embedded(segments[6], segments[7]));
            }
            if segments[0] == 0x2002 {
                return is_internal(embedded(segments[1], segments[2]));
            }
            // Only global unicast (2000::/3) is outside, less the documentation range.
            (segments[0] & 0xe000) != 0x2000 || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        }
    }
}

/// Checks an endpoint URL's form: `http` or `https`, a host, no credentials, at most 2,048 characters.
pub fn check_url(url: &str) -> AppResult<reqwest::Url> {
    if url.len() > URL_MAX {
        return Err(AppError::bad_input("url", format!("url is at most {URL_MAX} characters")));
    }
    let parsed = reqwest::Url::parse(url).map_err(|e| AppError::bad_input("url", format!("url is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AppError::bad_input("url", "url must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(AppError::bad_input("url", "url must name a host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AppError::bad_input("url", "url may not carry credentials: the signature authenticates us"));
    }
    Ok(parsed)
}

/// Resolves an endpoint's host and refuses it when any address it resolves to is internal and not allowed.
pub async fn check_reachable(url: &reqwest::Url, allowed: &[IpAddr]) -> AppResult<Vec<std::net::SocketAddr>> {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| AppError::bad_input("url", format!("url's host does not resolve: {e}")))?
        .collect();
    if addresses.is_empty() {
        return Err(AppError::bad_input("url", "url's host does not resolve"));
    }
    if addresses.iter().any(|a| is_internal(a.ip()) && !allowed.contains(&a.ip())) {
        return Err(AppError::bad_input(
            "url",
            "url resolves to a loopback, private, link-local or other internal address, which endpoints may not reach",
        ));
    }
    Ok(addresses)
}

fn ensure_may_register(viewer: &Viewer) -> AppResult<()> {
    viewer.require_authenticated()?;
    if viewer.is_admin() || viewer.has_role(Role::Integration) {
        Ok(())
    } else {
        Err(AppError::forbidden("only administrators and integration service accounts register webhook endpoints"))
    }
}

/// The endpoint `id` if `viewer` owns it (or administers); `NOT_FOUND` otherwise.
pub async fn owned(db: &impl ConnectionTrait, viewer: &Viewer, id: &ID) -> AppResult<webhook_endpoint::Model> {
    viewer.require_authenticated()?;
    let id = validate::id("id", id)?;
    let mut find = webhook_endpoint::Entity::find_by_id(id);
    if !viewer.is_admin() {
        find = find.filter(webhook_endpoint::Column::OwnerSubject.eq(viewer.subject.as_str()));
    }
    find.one(db).await?.ok_or_else(|| AppError::not_found("webhook endpoint", id))
}

/// The endpoints `viewer` owns (all, for administrators), oldest first; at most 100.
pub async fn list(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Vec<webhook_endpoint::Model>> {
    viewer.require_authenticated()?;
    let mut find = webhook_endpoint::Entity::find().order_by_asc(webhook_endpoint::Column::CreatedAt).limit(100);
    if !viewer.is_admin() {
        find = find.filter(webhook_endpoint::Column::OwnerSubject.eq(viewer.subject.as_str()));
    }
    Ok(find.all(db).await?)
}

/// Registers an endpoint.
#[derive(Debug, InputObject)]
pub struct CreateWebhookEndpointInput {
    /// Where to POST: `http` or `https`, at most 2,048 characters, not an internal address.
    pub url: String,
    /// What it is for; at most 500 characters.
    pub description: String,
    /// Which changes; every change the owner may see when omitted.
    pub filter: Option<WebhookFilter>,
    /// Deliver the changes after this sequence (an earlier `endCursor`, at most the newest); from registration on
    /// when omitted.
    pub after: Option<crate::scalars::Sequence>,
}

/// Registers an endpoint for `viewer`; returns it with its secret (shown only now).
pub async fn create(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    allowed: &[IpAddr],
    input: CreateWebhookEndpointInput,
) -> AppResult<(webhook_endpoint::Model, String)> {
    ensure_may_register(viewer)?;
    let url = check_url(input.url.trim())?;
    let description = validate::text("description", &input.description, DESCRIPTION_MAX)?;
    let filter = input.filter.unwrap_or_default();
    for (field, id) in [("filter.compactId", &filter.compact_id), ("filter.jurisdictionId", &filter.jurisdiction_id)] {
        if let Some(id) = id {
            validate::id(field, id)?;
        }
    }
    if let Some(after) = &input.after
        && after.0 < 0
    {
        return Err(AppError::bad_input("after", "after is a sequence, 0 or more"));
    }
    check_reachable(&url, allowed).await?;
    let txn = events::begin(db).await?;
    let newest =
        entities::event::Entity::find().order_by_desc(entities::event::Column::Id).one(&txn).await?.map_or(0, |e| e.id);
    if input.after.as_ref().is_some_and(|after| after.0 > newest) {
        return Err(AppError::bad_input("after", format!("after must be at most the newest sequence ({newest})")));
    }
    let mine = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OwnerSubject.eq(viewer.subject.as_str()))
        .count(&txn)
        .await?;
    if mine >= MAX_PER_OWNER {
        return Err(AppError::RateLimited(format!("at most {MAX_PER_OWNER} webhook endpoints per owner")));
    }
    let cursor = input.after.map_or(newest, |after| after.0);
    let secret = new_secret();
    let id = Uuid::now_v7();
    let row = webhook_endpoint::ActiveModel {
        id: Set(id),
        owner_subject: Set(viewer.subject.clone()),
        owner: Set(json!(Owner::of(viewer))),
        url: Set(url.to_string()),
        description: Set(description),
        filter: Set(json!(filter)),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        status: Set(ENABLED.to_owned()),
        disabled_reason: Set(None),
        cursor: Set(cursor),
        failures: Set(0),
        failing_since: Set(None),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        lease_token: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    events::append(
        &txn,
        viewer,
        now,
        NewEvent::new(RecordType::WebhookEndpoint, id, "CREATED")
            .status(None::<&str>, ENABLED)
            .payload(json!({ "url": row.url })),
    )
    .await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// Rotates an endpoint's secret.
#[derive(Debug, InputObject)]
pub struct RotateWebhookSecretInput {
    /// The endpoint.
    pub id: ID,
    /// Hours the previous secret keeps signing beside the new one (0 to 168; 24 when omitted).
    pub grace_hours: Option<i32>,
}

/// Gives an endpoint a new secret; the previous one keeps signing for the grace period. Returns the new secret
/// (shown only now).
pub async fn rotate(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RotateWebhookSecretInput,
) -> AppResult<(webhook_endpoint::Model, String)> {
    let grace = input.grace_hours.unwrap_or(24);
    if !(0..=GRACE_MAX_HOURS).contains(&grace) {
        return Err(AppError::bad_input("graceHours", format!("graceHours must be between 0 and {GRACE_MAX_HOURS}")));
    }
    let txn = db.begin().await?;
    let current = owned(&txn, viewer, &input.id).await?;
    let secret = new_secret();
    let mut active = current.clone().into_active_model();
    active.previous_secret = Set(Some(current.secret));
    active.previous_secret_until = Set(Some(now + Duration::hours(i64::from(grace))));
    active.secret = Set(secret.clone());
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// Turns an endpoint on (clearing its failures, so it is tried at once) or off, writing an event.
pub async fn set_enabled(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    id: &ID,
    enabled: bool,
) -> AppResult<webhook_endpoint::Model> {
    let txn = events::begin(db).await?;
    let current = owned(&txn, viewer, id).await?;
    let to = if enabled { ENABLED } else { DISABLED };
    let mut active = current.clone().into_active_model();
    active.status = Set(to.to_owned());
    active.disabled_reason = Set((!enabled).then(|| format!("disabled by {}", viewer.subject)));
    if enabled {
        active.failures = Set(0);
        active.failing_since = Set(None);
        active.next_attempt_at = Set(now);
    }
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    if current.status != to {
        events::append(
            &txn,
            viewer,
            now,
            NewEvent::new(RecordType::WebhookEndpoint, row.id, if enabled { "ENABLED" } else { "DISABLED" })
                .status(Some(current.status.as_str()), to),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// Sends the changes after `after` again (receivers deduplicate by `webhook-id`).
#[derive(Debug, InputObject)]
pub struct RedeliverWebhooksInput {
    /// The endpoint.
    pub id: ID,
    /// Deliver again every change after this sequence (at most the endpoint's current cursor).
    pub after: crate::scalars::Sequence,
}

/// Moves an endpoint's cursor back to `after`, so the changes since are delivered again, at once.
pub async fn redeliver(
    db: &impl TransactionTrait,
    viewer: &Viewer,
    now: DateTime<Utc>,
    input: RedeliverWebhooksInput,
) -> AppResult<webhook_endpoint::Model> {
    let txn = db.begin().await?;
    let current = owned(&txn, viewer, &input.id).await?;
    if input.after.0 < 0 || input.after.0 > current.cursor {
        return Err(AppError::bad_input(
            "after",
            format!("after must be between 0 and the endpoint's cursor ({})", current.cursor),
        ));
    }
    let mut active = current.into_active_model();
    active.cursor = Set(input.after.0);
    active.next_attempt_at = Set(now);
    active.updated_at = Set(now);
    let row = active.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes an endpoint and its delivery log; returns whether it existed.
pub async fn delete(db: &impl ConnectionTrait, viewer: &Viewer, id: &ID) -> AppResult<bool> {
    let endpoint = owned(db, viewer, id).await?;
    let deleted = webhook_endpoint::Entity::delete_by_id(endpoint.id).exec(db).await?;
    Ok(deleted.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_specifications_example() {
        // The example of the Standard Webhooks specification.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn internal_addresses_are_recognized() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
            "fec0::1",
            "224.0.0.1",
        ] {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_for_form() {
        assert!(check_url("https://hooks.example.org/mutual-aid").is_ok());
        for bad in ["ftp://x.org/", "not a url", "https://user:pw@x.org/", "file:///etc/passwd"] {
            assert_eq!(check_url(bad).unwrap_err().code(), "BAD_USER_INPUT", "{bad}");
        }
        assert!(check_url(&format!("https://x.org/{}", "a".repeat(URL_MAX))).is_err());
    }
}
