//! Idempotent mutations. A mutation sent with an idempotency key (the `Idempotency-Key` header, or
//! `extensions.idempotencyKey` where a client cannot set headers, as over WebSocket) runs in one database
//! transaction that first claims the key for the caller and last stores the response under it: the change and the
//! stored response commit together or not at all. A retry of the same request with the same key gets the stored
//! response and makes no second change, even when the server died between the commit and sending the response; a
//! concurrent request with the same key waits for the first to commit and then gets its response; the same key
//! with a different request is refused (`IDEMPOTENCY_KEY_REUSED`). Keys are kept per principal for the configured
//! time (24 hours by default), then may be used again.

use async_graphql::{Request, Response, ServerError};
use chrono::{DateTime, Duration, Utc};
use entities::idempotency_key;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::auth::Viewer;
use crate::db::Handle;
use crate::error::{AppError, AppResult};
use crate::graphql::AppSchema;
use crate::graphql::loaders::loaders;
use crate::state::AppState;

/// The HTTP header that carries the key.
pub const HEADER: &str = "idempotency-key";
/// The request extension that carries the key.
pub const EXTENSION: &str = "idempotencyKey";
/// The longest key accepted, in characters.
pub const MAX_KEY_LENGTH: usize = 255;

fn bad_key(message: impl Into<String>) -> AppError {
    AppError::Request { code: "BAD_IDEMPOTENCY_KEY", message: message.into() }
}

/// Checks a key: 1 to 255 visible ASCII characters (a UUID is a good key).
pub fn check_key(key: &str) -> AppResult<String> {
    if key.is_empty() || key.len() > MAX_KEY_LENGTH {
        return Err(bad_key(format!("an idempotency key must be 1 to {MAX_KEY_LENGTH} characters long")));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad_key("an idempotency key may hold only visible ASCII characters (no spaces)"));
    }
    Ok(key.to_owned())
}

/// The key of a request: the header's, or the `idempotencyKey` extension's; both given and different is refused.
pub fn key_of(header: Option<&str>, request: &Request) -> AppResult<Option<String>> {
    let extension = match request.extensions.get(EXTENSION) {
        None => None,
        Some(async_graphql::Value::String(key)) => Some(key.as_str()),
        Some(_) => return Err(bad_key(format!("extensions.{EXTENSION} must be a string"))),
    };
    match (header, extension) {
        (Some(h), Some(e)) if h != e => {
            Err(bad_key("the Idempotency-Key header and extensions.idempotencyKey differ: send one key"))
        }
        (Some(key), _) | (None, Some(key)) => check_key(key).map(Some),
        (None, None) => Ok(None),
    }
}

/// Sorts object keys, so that the same variables in another order are the same request.
fn canonical(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// What makes two requests the same: the document, the operation name and the variables.
pub fn request_hash(request: &Request) -> String {
    let variables = canonical(serde_json::to_value(&request.variables).unwrap_or_default());
    let mut hasher = Sha256::new();
    hasher.update(request.query.as_bytes());
    hasher.update([0]);
    hasher.update(request.operation_name.as_deref().unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(variables.to_string().as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Claims `key` for `principal` in `txn`: `None` when it is new (or its earlier use expired), else the stored row.
/// On PostgreSQL a concurrent claim of the same key waits here until the first transaction ends.
async fn claim(
    txn: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<Option<idempotency_key::Model>> {
    use idempotency_key::Column as C;
    let insert = Query::insert()
        .into_table(idempotency_key::Entity)
        .columns([C::Principal, C::Key, C::RequestHash, C::Response, C::CreatedAt, C::ExpiresAt])
        .values_panic([principal.into(), key.into(), hash.into(), "".into(), now.into(), expires_at.into()])
        .on_conflict(
            OnConflict::columns([C::Principal, C::Key])
                .update_columns([C::RequestHash, C::Response, C::CreatedAt, C::ExpiresAt])
                .action_and_where(Expr::col((idempotency_key::Entity, C::ExpiresAt)).lte(now))
                .to_owned(),
        )
        .to_owned();
    let inserted = txn.execute(&insert).await?.rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let stored = idempotency_key::Entity::find()
        .filter(C::Principal.eq(principal))
        .filter(C::Key.eq(key))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::Internal("an idempotency key vanished while claimed".into()))?;
    Ok(Some(stored))
}

/// Whether a response carries an error that a retry could get past (an internal failure, a time limit, or an
/// error without a code, which is labelled an internal one on the way out): such a response is not stored, and
/// nothing it did is committed.
fn transient(response: &Response) -> bool {
    response.errors.iter().any(|e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
        Some(async_graphql::Value::String(code)) => code == "INTERNAL_SERVER_ERROR" || code == "TIMEOUT",
        _ => true,
    })
}

/// Whose keys a caller's are: the token's subject, with the jurisdiction and system it names (one subject may hold
/// tokens for several).
fn principal(viewer: &Viewer) -> String {
    let jurisdiction = viewer.jurisdiction_id.map(|j| j.to_string()).unwrap_or_default();
    let system = viewer.system.as_deref().unwrap_or_default();
    format!("{}|{jurisdiction}|{system}", viewer.subject)
}

fn failed(message: &str) -> Response {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", "INTERNAL_SERVER_ERROR");
    error.extensions = Some(extensions);
    Response::from_errors(vec![error])
}

/// Runs a mutation under `key` for `viewer`. Returns the response and whether it is a stored one (a replay).
/// `request` is the admitted request without data; the viewer, the database handle and the loaders are added here.
pub async fn execute(
    state: &AppState,
    schema: &AppSchema,
    viewer: &Viewer,
    key: &str,
    request: Request,
) -> AppResult<(Response, bool)> {
    if viewer.subject.is_empty() {
        return Err(AppError::Unauthenticated("an idempotency key needs an authenticated caller".into()));
    }
    let hash = request_hash(&request);
    let principal = principal(viewer);
    let now = Utc::now();
    let expires_at = now + Duration::hours(i64::from(state.config.idempotency_ttl_hours));
    let txn = state.db.begin().await?;
    if let Some(stored) = claim(&txn, &principal, key, &hash, now, expires_at).await? {
        txn.rollback().await?;
        if stored.request_hash != hash {
            return Err(AppError::Request {
                code: "IDEMPOTENCY_KEY_REUSED",
                message: "this idempotency key was used for a different request; use a new key for a new request"
                    .into(),
            });
        }
        let response: Response = serde_json::from_str(&stored.response)
            .map_err(|e| AppError::Internal(format!("a stored idempotent response does not parse: {e}")))?;
        crate::metrics::idempotent_replay();
        return Ok((response, true));
    }
    let handle = Handle::transaction(txn);
    let delay = std::time::Duration::from_millis(state.config.dataloader_delay_ms);
    let request =
        request.data(viewer.clone()).data(handle.clone()).data(loaders(handle.clone(), viewer.clone(), delay));
    let response = schema.execute(request).await;
    let txn =
        handle.finish().await.ok_or_else(|| AppError::Internal("the request's transaction ended early".into()))?;
    if transient(&response) {
        txn.rollback().await?;
        return Ok((
            failed("the mutation failed and nothing it did was committed; retry it with the same idempotency key"),
            false,
        ));
    }
    let body = serde_json::to_string(&response)
        .map_err(|e| AppError::Internal(format!("cannot store an idempotent response: {e}")))?;
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Response, Expr::value(body))
        .filter(idempotency_key::Column::Principal.eq(principal.as_str()))
        .filter(idempotency_key::Column::Key.eq(key))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok((response, false))
}

/// Deletes keys that expired before `now`; returns how many.
pub async fn sweep(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    let deleted =
        idempotency_key::Entity::delete_many().filter(idempotency_key::Column::ExpiresAt.lt(now)).exec(db).await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_and_visible_ascii() {
        assert!(check_key("3f1c2b8e-0d7a-4c55-9d0b-8f6c1e2a7b90").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY_LENGTH)).is_ok());
        for bad in ["", " ", "a b", "ключ", "tab\there"] {
            assert_eq!(check_key(bad).unwrap_err().code(), "BAD_IDEMPOTENCY_KEY", "{bad:?}");
        }
        assert_eq!(check_key(&"k".repeat(MAX_KEY_LENGTH + 1)).unwrap_err().code(), "BAD_IDEMPOTENCY_KEY");
    }

    #[test]
    fn only_coded_domain_refusals_are_final() {
        let coded = |code: Option<&str>| {
            let mut error = ServerError::new("no", None);
            if let Some(code) = code {
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", code);
                error.extensions = Some(extensions);
            }
            Response::from_errors(vec![error])
        };
        assert!(!transient(&coded(Some("BAD_USER_INPUT"))));
        assert!(!transient(&coded(Some("INVALID_TRANSITION"))));
        assert!(transient(&coded(Some("INTERNAL_SERVER_ERROR"))));
        assert!(transient(&coded(Some("TIMEOUT"))));
        assert!(transient(&coded(None)), "an uncoded error is an internal one");
        assert!(!transient(&Response::new(async_graphql::Value::Null)));
    }

    #[test]
    fn the_same_variables_in_another_order_are_the_same_request() {
        let a = Request::new("mutation M($a: Int, $b: Int) { x }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({"a": 1, "b": {"c": 2, "d": 3}})));
        let b = Request::new("mutation M($a: Int, $b: Int) { x }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({"b": {"d": 3, "c": 2}, "a": 1})));
        let c = Request::new("mutation M($a: Int, $b: Int) { x }")
            .variables(async_graphql::Variables::from_json(serde_json::json!({"a": 2, "b": {"c": 2, "d": 3}})));
        assert_eq!(request_hash(&a), request_hash(&b));
        assert_ne!(request_hash(&a), request_hash(&c));
    }
}
