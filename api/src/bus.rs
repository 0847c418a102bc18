//! The wake-up signal of subscriptions. The events table is the source of truth; this only says "look again".
//! In-process, every committed write bumps a watch counter; with PostgreSQL each event append also issues
//! `NOTIFY mutual_aid_events` inside its transaction (delivered only if it commits), and every instance listens,
//! so a commit through one instance wakes subscribers connected to another.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// The channel name used with PostgreSQL `LISTEN`/`NOTIFY`.
pub const CHANNEL: &str = "mutual_aid_events";

/// Wakes subscribers when new events may have been committed.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: Arc<watch::Sender<u64>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus { tx: Arc::new(watch::channel(0).0) }
    }
}

impl EventBus {
    /// Signals that events may have been committed.
    pub fn notify(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes on every signal.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Listens to PostgreSQL notifications and forwards them, reconnecting after failures.
    pub fn listen_postgres(&self, url: String) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if let Err(err) = listener.listen(CHANNEL).await {
                            tracing::warn!(error = %err, "cannot LISTEN for events");
                        } else {
                            // Whatever was committed while disconnected is picked up by the next look.
                            bus.notify();
                            loop {
                                match listener.recv().await {
                                    Ok(_) => bus.notify(),
                                    Err(err) => {
                                        tracing::warn!(error = %err, "event listener lost its connection");
                                        break;
                                    }
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot connect the event listener"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }
}
