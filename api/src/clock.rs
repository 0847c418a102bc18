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
        // Rounded up to the next millisecond, so that the clock is at `at` or just past it, never just before.
        let delta = at - self.base.now();
        let mut offset = delta.num_milliseconds();
        if Duration::milliseconds(offset) < delta {
            offset += 1;
        }
        self.offset_ms.fetch_max(offset, Ordering::SeqCst);
        Ok(self.offset_ms())
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + Duration::milliseconds(self.offset_ms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sandbox_clock_moved_to_an_instant_is_never_just_before_it() {
        let base = ManualClock::new(DateTime::parse_from_rfc3339("2026-12-03T12:00:00.000400Z").unwrap().into());
        let sandbox = SandboxClock::new(Arc::new(base), 0);
        let at: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-12-05T14:00:00.000900Z").unwrap().into();
        sandbox.move_to(at).unwrap();
        assert!(sandbox.now() >= at, "{} is before {at}", sandbox.now());
        assert!(sandbox.now() - at < Duration::milliseconds(1));
        assert!(sandbox.move_to(at - Duration::hours(1)).is_err(), "it never moves back");
    }
}
