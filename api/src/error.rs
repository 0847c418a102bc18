//! The one error type of the API, and its stable `extensions.code` values.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// Everything that can go wrong, classified by what the client can do about it. It deliberately does not
/// implement `Display`: async-graphql converts any `Display` type into an error without a code, so the only way
/// into a GraphQL error is [`AppError::to_graphql`], which always sets `extensions.code`.
#[derive(Debug)]
pub enum AppError {
    /// No valid credentials: the token is missing where one is needed, malformed, expired or not ours.
    /// HTTP 401 on transport-level checks; `UNAUTHENTICATED` in GraphQL.
    Unauthenticated(String),
    /// The caller is known but not entitled to this operation or record. `FORBIDDEN`.
    Forbidden(String),
    /// The record does not exist or is not visible to the caller (the two are indistinguishable on purpose).
    NotFound(String),
    /// The input is invalid; `field` names the offending input field when there is one. `BAD_USER_INPUT`.
    BadUserInput { field: Option<String>, message: String },
    /// The change conflicts with the stored state: a duplicate, or a stale `expectedVersion`. `CONFLICT`.
    Conflict(String),
    /// The record is not in a state that allows this transition. `INVALID_TRANSITION`, with the current state.
    InvalidTransition { record: &'static str, action: &'static str, current: String },
    /// The compact's time limit for this step has passed. `DEADLINE_PASSED`.
    DeadlinePassed(String),
    /// The request took longer than the configured limit; nothing it was doing was committed. `TIMEOUT`.
    Timeout(u64),
    /// Too many requests, subscriptions or connections. `RATE_LIMITED`.
    RateLimited(String),
    /// The request itself cannot run, and nothing ran: the document does not parse, exceeds a limit, names an
    /// unknown persisted query. `code` is one of `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`,
    /// `PERSISTED_QUERY_NOT_FOUND`, `PERSISTED_QUERY_NOT_SUPPORTED`, `BAD_REQUEST`, `BAD_USER_INPUT`.
    Request { code: &'static str, message: String },
    /// The request body is larger than the configured limit (HTTP 413). `PAYLOAD_TOO_LARGE`.
    PayloadTooLarge(usize),
    /// A bug or an infrastructure failure: logged in full, masked on the wire. `INTERNAL_SERVER_ERROR`.
    Internal(String),
}

impl AppError {
    /// The message for the client (masked for internal errors).
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthenticated(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::DeadlinePassed(m)
            | AppError::RateLimited(m) => m.clone(),
            AppError::BadUserInput { message, .. } | AppError::Request { message, .. } => message.clone(),
            AppError::PayloadTooLarge(limit) => format!("the request body may be at most {limit} bytes"),
            AppError::InvalidTransition { record, action, current } => {
                format!("cannot {action} the {record}: it is {current}")
            }
            AppError::Timeout(seconds) => format!("the request took longer than {seconds} seconds"),
            AppError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The stable machine-readable code, sent as `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InvalidTransition { .. } => "INVALID_TRANSITION",
            AppError::DeadlinePassed(_) => "DEADLINE_PASSED",
            AppError::Timeout(_) => "TIMEOUT",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::Request { code, .. } => code,
            AppError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// A `BAD_USER_INPUT` error about one input field.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        AppError::BadUserInput { field: Some(field.to_owned()), message: message.into() }
    }

    /// A `NOT_FOUND` error for a record type and id.
    pub fn not_found(record: &str, id: impl std::fmt::Display) -> Self {
        AppError::NotFound(format!("{record} {id} not found"))
    }

    /// Maps a database error for a write that a unique constraint guards: a violation becomes `CONFLICT` saying
    /// `message`, anything else is converted as usual.
    pub fn on_unique(message: impl Into<String>) -> impl FnOnce(DbErr) -> AppError {
        let message = message.into();
        move |e| match AppError::from(e) {
            AppError::Conflict(_) => AppError::Conflict(message),
            other => other,
        }
    }

    /// A `FORBIDDEN` error.
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    /// The GraphQL error sent to the client: the message (masked for internal errors) and the code.
    pub fn to_graphql(&self) -> async_graphql::Error {
        if let AppError::Internal(detail) = self {
            tracing::error!(error = %detail, "internal error");
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                AppError::BadUserInput { field: Some(field), .. } => ext.set("field", field.as_str()),
                AppError::InvalidTransition { current, .. } => ext.set("currentStatus", current.as_str()),
                _ => {}
            }
        })
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict("a record with the same unique values already exists".to_owned())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::BadUserInput { field: None, message: "a referenced record does not exist".to_owned() }
            }
            _ => AppError::Internal(err.to_string()),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.to_graphql()
    }
}

/// The result type of domain functions.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_masked() {
        let err = AppError::Internal("password=hunter2 at db".to_owned()).to_graphql();
        assert_eq!(err.message, "internal error");
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[test]
    fn invalid_transition_names_the_current_state() {
        let err = AppError::InvalidTransition { record: "incident", action: "close", current: "CLOSED".into() };
        assert_eq!(err.message(), "cannot close the incident: it is CLOSED");
        assert_eq!(err.code(), "INVALID_TRANSITION");
    }
}
