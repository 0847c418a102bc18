//! The e-mail outbox worker: when SMTP is configured, every notification is mailed to the e-mail addresses of its
//! jurisdiction's contacts. A notification is claimed with a conditional update before it is sent, so several
//! instances sharing one database send each once; a claim left by a crashed instance expires and the notification
//! is sent again (at least once). Failures are retried with exponential backoff, then marked `FAILED`.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entities::{jurisdiction_contact, notification};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::enums::EmailStatus;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// How many notifications one pass sends at most.
const BATCH: u64 = 100;
/// Attempts before a notification's e-mail is given up (`FAILED`).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed notification stays claimed before another instance may send it again.
const CLAIM: i64 = 120;

/// An SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// A sender for `url` (`smtp://host:port` in plain text, `smtp://host:port?tls=required` with STARTTLS,
    /// `smtps://user:password@host` with TLS; lettre's URL form) writing as `from`.
    pub fn new(url: &str, from: &str) -> AppResult<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| AppError::Internal(format!("--smtp-url is not a usable SMTP URL: {e}")))?
            .timeout(Some(StdDuration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| AppError::Internal(format!("--smtp-from is not an address: {e}")))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, to: &[String], subject: &str, body: &str) -> Result<(), String> {
        let mut message = Message::builder().from(self.from.clone()).subject(subject).header(ContentType::TEXT_PLAIN);
        for address in to {
            let mailbox: Mailbox = address.parse().map_err(|e| format!("{address}: {e}"))?;
            message = message.to(mailbox);
        }
        let message = message.body(body.to_owned()).map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailReport {
    /// Notifications mailed.
    pub sent: usize,
    /// Attempts that failed (to be retried, or given up).
    pub failed: usize,
    /// Notifications whose jurisdiction has no contact with an e-mail address.
    pub no_recipient: usize,
}

/// The wait before attempt `attempts + 1`: 30 s doubling, at most 6 h.
fn backoff(attempts: i32) -> Duration {
    Duration::seconds(std::cmp::Ord::min(30_i64 << attempts.clamp(0, 10), 6 * 3600))
}

/// Sends the notifications due at `start`. Each row's claim and retry time count from when that row is handled
/// (`start` plus the time the pass has taken so far), so a slow server cannot let a claim expire while it is sent.
pub async fn pass(db: &DatabaseConnection, mailer: &Mailer, start: DateTime<Utc>) -> AppResult<MailReport> {
    let began = std::time::Instant::now();
    let now_at = || start + Duration::from_std(began.elapsed()).unwrap_or_default();
    let now = start;
    let mut report = MailReport::default();
    let due = notification::Entity::find()
        .filter(notification::Column::EmailStatus.is_in([EmailStatus::Pending.as_str(), EmailStatus::Sending.as_str()]))
        .filter(notification::Column::EmailNextAt.lte(now))
        .order_by_asc(notification::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    for n in due {
        let now = now_at();
        // Claim it: only one instance moves it from what it read to SENDING.
        let claimed = notification::Entity::update_many()
            .col_expr(notification::Column::EmailStatus, Expr::value(EmailStatus::Sending.as_str()))
            .col_expr(notification::Column::EmailNextAt, Expr::value(now + Duration::seconds(CLAIM)))
            .col_expr(notification::Column::EmailAttempts, Expr::col(notification::Column::EmailAttempts).add(1))
            .filter(notification::Column::Id.eq(n.id))
            .filter(notification::Column::EmailStatus.eq(n.email_status.clone()))
            .filter(notification::Column::EmailAttempts.eq(n.email_attempts))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let to: Vec<String> = jurisdiction_contact::Entity::find()
            .filter(jurisdiction_contact::Column::JurisdictionId.eq(n.jurisdiction_id))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|c| c.email)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let attempts = n.email_attempts + 1;
        let (status, next_at, emailed_at, error) = if to.is_empty() {
            report.no_recipient += 1;
            (
                EmailStatus::NoRecipient,
                None,
                None,
                Some("the jurisdiction has no contact with an e-mail address".into()),
            )
        } else {
            let sent = mailer.send(&to, &format!("[Mutual aid] {}", n.title), &n.body).await;
            let now = now_at();
            match sent {
                Ok(()) => {
                    report.sent += 1;
                    (EmailStatus::Sent, None, Some(now), None)
                }
                Err(error) if attempts >= MAX_ATTEMPTS => {
                    report.failed += 1;
                    (EmailStatus::Failed, None, None, Some(error))
                }
                Err(error) => {
                    report.failed += 1;
                    (EmailStatus::Pending, Some(now + backoff(attempts)), None, Some(error))
                }
            }
        };
        notification::Entity::update_many()
            .col_expr(notification::Column::EmailStatus, Expr::value(status.as_str()))
            .col_expr(notification::Column::EmailNextAt, Expr::value(next_at))
            .col_expr(notification::Column::EmailedAt, Expr::value(emailed_at))
            .col_expr(notification::Column::EmailError, Expr::value(error))
            .filter(notification::Column::Id.eq(n.id))
            .filter(notification::Column::EmailAttempts.eq(attempts))
            .exec(db)
            .await?;
    }
    Ok(report)
}

/// Starts the outbox worker: a pass every `interval` until the process ends.
pub fn spawn(state: AppState, mailer: Mailer, interval: StdDuration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match pass(&state.db, &mailer, state.clock.now()).await {
                Ok(report) if report != MailReport::default() => tracing::info!(?report, "e-mail pass"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = ?err, "e-mail pass failed; retrying at the next interval"),
            }
        }
    })
}
