//! The scheduler's view of time: the system clock in the app and the CLI, a hand-driven clock
//! in tests (its `sleep` moves time forward instead of waiting).

use std::sync::Mutex;
use std::time::Duration;

use benchbar_core::sync::lock_unpoisoned;
use chrono::{DateTime, Utc};

/// Wall-clock time and waiting.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `d` (a hand-driven clock advances by `d` instead).
    fn sleep(&self, d: Duration);
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A clock that only moves when told to (or when something sleeps on it).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut now = lock_unpoisoned(&self.now);
        *now += chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock_unpoisoned(&self.now)
    }

    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}
