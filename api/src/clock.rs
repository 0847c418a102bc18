//! The source of "now": the system clock in production, a settable one in tests, so deadlines can be driven.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Tells the time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The sandbox's clock: another clock (the system's) moved forward by an offset that an administrator sets through
/// the API, so that testers and exercises can walk a timeline of days in minutes. Time keeps flowing from the moved
/// instant; it never moves back.
#[derive(Debug)]
pub struct SandboxClock {
    base: Arc<dyn Clock>,
    offset_ms: AtomicI64,
}

impl SandboxClock {
    /// `base` moved forward by `offset_ms` milliseconds.
    pub fn new(base: Arc<dyn Clock>, offset_ms: i64) -> Self {
        SandboxClock { base, offset_ms: AtomicI64::new(offset_ms.max(0)) }
    }

    /// The offset from the base clock, in milliseconds.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock to `at`, which must not be earlier than now; returns the new offset in milliseconds.
    pub fn move_to(&self, at: DateTime<Utc>) -> Result<i64, DateTime<Utc>> {
        let now = self.now();
        if at < now {
            return Err(now);
        }
        let offset = (at - self.base.now()).num_milliseconds();
        self.offset_ms.fetch_max(offset, Ordering::SeqCst);
        Ok(self.offset_ms())
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + Duration::milliseconds(self.offset_ms())
    }
}
