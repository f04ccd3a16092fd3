//! Ctrl-C (SIGINT) and SIGTERM (from `timeout`, launchd, systemd) stop a run the same way: the
//! run's cancel flag is set, the completed cells are kept and stored as a cancelled run, and
//! the process exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use benchbar_service::run::CancelFlag;

/// Which signal stopped the run (0: none yet).
#[derive(Clone, Debug, Default)]
pub struct Stopped(Arc<AtomicI32>);

impl Stopped {
    /// The exit code of a run stopped by the signal received: 128 + its number (130 when the
    /// flag was set otherwise, as by Ctrl-C).
    pub fn exit_code(&self) -> u8 {
        match self.0.load(Ordering::Relaxed) {
            n @ 1..=127 => 128 + n as u8,
            _ => 130,
        }
    }
}

/// Sets `cancel` on SIGINT or SIGTERM (and remembers which came). Installing twice in one
/// process adds a second action to each signal; both set their flags.
pub fn on_stop_signals(cancel: &CancelFlag) -> std::io::Result<Stopped> {
    let stopped = Stopped::default();
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let (flag, which) = (cancel.clone(), stopped.0.clone());
        let action = move || {
            which.store(signal, Ordering::Relaxed);
            flag.store(true, Ordering::Relaxed);
        };
        // SAFETY: the action only stores to two atomics it owns (async-signal-safe: no
        // allocation, no lock, no I/O), and it is registered once per signal and run.
        unsafe { signal_hook_registry::register(signal, action) }?;
    }
    #[cfg(not(unix))]
    {
        let flag = cancel.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
            .map_err(std::io::Error::other)?;
    }
    Ok(stopped)
}
