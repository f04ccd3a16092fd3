//! One benchmark at a time: a run lock that the app's user-started runs and the monitoring
//! schedule both take, so a monitoring sample never overlaps another run.

use std::sync::{Arc, Mutex, MutexGuard};

use benchbar_core::report::RunOrigin;

/// A shared lock over "a benchmark is running". Clones share the same lock; hand one clone to
/// the monitor and keep another for user-started runs.
#[derive(Clone, Debug, Default)]
pub struct RunLock {
    holder: Arc<Mutex<Option<RunOrigin>>>,
}

/// Held while a run is in progress; dropping it releases the lock.
#[derive(Debug)]
pub struct RunGuard {
    lock: RunLock,
    origin: RunOrigin,
}

/// The lock was taken: who holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy {
    /// Who started the run in progress.
    pub held_by: RunOrigin,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a benchmark is already running ({})",
            self.held_by.as_str()
        )
    }
}

impl std::error::Error for Busy {}

impl RunLock {
    /// A free lock.
    pub fn new() -> RunLock {
        RunLock::default()
    }

    fn slot(&self) -> MutexGuard<'_, Option<RunOrigin>> {
        // A panic while the mutex was held cannot leave the Option half-written.
        self.holder.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the lock for a run started by `origin`, or says who holds it. Never blocks.
    pub fn try_acquire(&self, origin: RunOrigin) -> Result<RunGuard, Busy> {
        let mut slot = self.slot();
        match *slot {
            Some(held_by) => Err(Busy { held_by }),
            None => {
                *slot = Some(origin);
                Ok(RunGuard {
                    lock: self.clone(),
                    origin,
                })
            }
        }
    }

    /// Who holds the lock now, if anyone.
    pub fn holder(&self) -> Option<RunOrigin> {
        *self.slot()
    }
}

impl RunGuard {
    /// Who took this guard.
    pub fn origin(&self) -> RunOrigin {
        self.origin
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        *self.lock.slot() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_across_clones_and_threads() {
        let lock = RunLock::new();
        let app_side = lock.clone();
        let guard = app_side.try_acquire(RunOrigin::App).unwrap();
        assert_eq!(guard.origin(), RunOrigin::App);
        let monitor_side = lock.clone();
        let refused = std::thread::spawn(move || monitor_side.try_acquire(RunOrigin::Monitor))
            .join()
            .unwrap();
        assert_eq!(
            refused.unwrap_err(),
            Busy {
                held_by: RunOrigin::App
            }
        );
        drop(guard);
        assert_eq!(lock.holder(), None);
        let g = lock.try_acquire(RunOrigin::Monitor).unwrap();
        assert_eq!(lock.holder(), Some(RunOrigin::Monitor));
        drop(g);
    }
}
