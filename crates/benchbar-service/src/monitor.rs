//! Scheduled monitoring (issue #8): a short benchmark on a fixed schedule, skipped on battery,
//! in Low Power Mode and while another benchmark runs, with old samples pruned.
//!
//! The schedule is pure timing logic over times it is given, so it is tested with a
//! hand-driven clock:
//!
//! * [`Monitor::tick`] says what to do now: [`Decision::Run`] (holding the [`RunLock`]),
//!   [`Decision::Skip`] (with the reason) or [`Decision::Wait`] (for how long).
//! * Samples fall on a fixed grid `start + k × interval`: a late or long sample does not shift
//!   the later ones, and slots that passed while a sample ran (or while skipped) are dropped,
//!   never made up in a burst.
//! * [`run_loop`] drives a monitor with a [`Clock`] until a stop flag is set; [`sample`] is one
//!   monitoring sample: a run through [`crate::run::execute`] with origin `monitor`, then the
//!   samples older than the retention window pruned. The CLI and the app use both.
//! * [`update`]: after an engine (MLX) or OS update no baseline matches the new configuration,
//!   so each sample is also compared with the last run before the update.

mod clock;
mod interval;
pub mod sample;
pub mod update;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use benchbar_core::report::RunOrigin;
use chrono::{DateTime, Utc};

pub use clock::{Clock, ManualClock, SystemClock};
pub use interval::{
    check_interval, human, parse_duration, parse_interval, parse_retention, DEFAULT_RETENTION,
    MIN_INTERVAL,
};

use crate::run::{RunGuard, RunLock};
use crate::Result;

/// How often to sample and how long to keep samples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorConfig {
    /// Time between samples (at least [`MIN_INTERVAL`]).
    pub interval: Duration,
    /// Monitoring samples older than this are pruned after each sample.
    pub retention: Duration,
    /// Skip a sample while the machine runs on battery.
    pub skip_on_battery: bool,
    /// Skip a sample while macOS Low Power Mode is on.
    pub skip_in_low_power: bool,
}

impl MonitorConfig {
    /// A schedule every `interval` with the default 24 h retention, skipping on battery and
    /// in Low Power Mode. Refuses an interval below one minute.
    pub fn new(interval: Duration) -> Result<MonitorConfig> {
        check_interval(interval)?;
        Ok(MonitorConfig {
            interval,
            retention: DEFAULT_RETENTION,
            skip_on_battery: true,
            skip_in_low_power: true,
        })
    }
}

/// The power state that decides whether a sample may run; `None` where it is not known
/// (unknown never skips).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PowerConditions {
    /// Running on battery.
    pub on_battery: Option<bool>,
    /// macOS Low Power Mode.
    pub low_power_mode: Option<bool>,
}

impl PowerConditions {
    /// Reads the machine's state now (`pmset` on macOS, `/sys/class/power_supply` on Linux).
    pub fn read() -> PowerConditions {
        let s = benchbar_power::read_thermal_power_state(None);
        PowerConditions {
            on_battery: s.on_battery,
            low_power_mode: s.low_power_mode,
        }
    }
}

/// Why a due sample was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The machine runs on battery.
    OnBattery,
    /// Low Power Mode is on.
    LowPowerMode,
    /// Another benchmark holds the run lock.
    Busy(RunOrigin),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::OnBattery => write!(f, "on battery power"),
            SkipReason::LowPowerMode => write!(f, "Low Power Mode is on"),
            SkipReason::Busy(o) => write!(f, "another benchmark is running ({})", o.as_str()),
        }
    }
}

/// What the schedule says to do now.
#[derive(Debug)]
pub enum Decision {
    /// Take a sample now; the guard holds the run lock until it is dropped.
    Run(RunGuard),
    /// A sample was due but is skipped; the next one is at [`Monitor::next_due`].
    Skip(SkipReason),
    /// Nothing is due for this long.
    Wait(Duration),
}

/// The monitoring schedule.
#[derive(Clone, Debug)]
pub struct Monitor {
    config: MonitorConfig,
    anchor: DateTime<Utc>,
    next_due: DateTime<Utc>,
}

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Monitor {
    /// A schedule that starts at `now`: the first sample is due at once.
    pub fn new(config: MonitorConfig, now: DateTime<Utc>) -> Monitor {
        Monitor {
            config,
            anchor: now,
            next_due: now,
        }
    }

    /// The schedule's settings.
    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// When the next sample is due.
    pub fn next_due(&self) -> DateTime<Utc> {
        self.next_due
    }

    /// Samples older than this are pruned at `now`.
    pub fn retention_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        retention_cutoff(now, self.config.retention)
    }

    /// The first grid slot strictly after `now`.
    fn slot_after(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let step_ms = chrono_of(self.config.interval).num_milliseconds().max(1);
        let elapsed_ms = (now - self.anchor).num_milliseconds().max(0);
        self.anchor + chrono::Duration::milliseconds((elapsed_ms / step_ms + 1) * step_ms)
    }

    /// Decides at `now`. `power` is read only when a sample is due. A due sample is skipped
    /// (to the next slot) on battery or in Low Power Mode when the config says so, or when the
    /// run lock is held; otherwise the lock is taken and returned with [`Decision::Run`].
    pub fn tick(
        &mut self,
        now: DateTime<Utc>,
        lock: &RunLock,
        power: impl FnOnce() -> PowerConditions,
    ) -> Decision {
        if now < self.next_due {
            return Decision::Wait((self.next_due - now).to_std().unwrap_or_default());
        }
        self.next_due = self.slot_after(now);
        let p = power();
        if self.config.skip_on_battery && p.on_battery == Some(true) {
            return Decision::Skip(SkipReason::OnBattery);
        }
        if self.config.skip_in_low_power && p.low_power_mode == Some(true) {
            return Decision::Skip(SkipReason::LowPowerMode);
        }
        match lock.try_acquire(RunOrigin::Monitor) {
            Ok(guard) => Decision::Run(guard),
            Err(busy) => Decision::Skip(SkipReason::Busy(busy.held_by)),
        }
    }

    /// Tells the schedule a sample ended at `now`: slots that passed while it ran are dropped.
    pub fn finished(&mut self, now: DateTime<Utc>) {
        if self.next_due <= now {
            self.next_due = self.slot_after(now);
        }
    }
}

/// `now − retention` (the earliest time representable when the window reaches further back).
pub fn retention_cutoff(now: DateTime<Utc>, retention: Duration) -> DateTime<Utc> {
    now.checked_sub_signed(chrono_of(retention))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// What [`run_loop`] reports besides samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorEvent {
    /// The next sample is due at this time (reported once per slot).
    NextAt(DateTime<Utc>),
    /// A due sample was skipped.
    Skipped(SkipReason),
}

/// How often [`run_loop`] looks at the stop flag while waiting.
pub const STOP_POLL: Duration = Duration::from_millis(200);

/// Drives `monitor` on `clock` until `stop` is set or `sample` returns false. `sample` runs
/// with the run lock held (the guard is released when it returns); `power` is read when a
/// sample is due; `on_event` hears about waits and skips.
pub fn run_loop(
    monitor: &mut Monitor,
    clock: &dyn Clock,
    lock: &RunLock,
    stop: &AtomicBool,
    power: &mut dyn FnMut() -> PowerConditions,
    on_event: &mut dyn FnMut(MonitorEvent),
    sample: &mut dyn FnMut(&RunGuard) -> bool,
) {
    let mut announced: Option<DateTime<Utc>> = None;
    while !stop.load(Ordering::Relaxed) {
        match monitor.tick(clock.now(), lock, &mut *power) {
            Decision::Wait(d) => {
                if announced != Some(monitor.next_due()) {
                    announced = Some(monitor.next_due());
                    on_event(MonitorEvent::NextAt(monitor.next_due()));
                }
                clock.sleep(d.min(STOP_POLL));
            }
            Decision::Skip(reason) => on_event(MonitorEvent::Skipped(reason)),
            Decision::Run(guard) => {
                let go_on = sample(&guard);
                drop(guard);
                monitor.finished(clock.now());
                if !go_on {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
