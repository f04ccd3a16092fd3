//! benchbar-power: energy, power and memory telemetry for BenchBar.
//!
//! The crate is grouped by role; only what other crates use is exported here.
//!
//! - `sources`: the [`EnergySource`] trait and one module per source — IOReport and
//!   powermetrics (macOS), RAPL and NVML (Linux), and a replay source for tests (the
//!   `testing` feature: [`ReplaySource`]). [`open_default_source`] picks the best one and, when
//!   none works, returns an unavailable source whose reason lists why each was skipped.
//! - `math` (private): the pure energy core — domains, units, wrap-aware counter deltas,
//!   per-phase joules, idle subtraction, watts, tokens per joule.
//! - `session`: [`PowerSession`] — idle baseline, background sampler (watts timeline), cheap
//!   thread-safe snapshots at phase boundaries, a serializable [`PowerReport`] — and
//!   [`measure_window`] (`benchbar power`).
//! - `system`: the machine around a measurement — peak footprint and system memory
//!   ([`process_peak`], [`system_memory`]), thermal and power state
//!   ([`read_thermal_power_state`]), and a throttling heuristic over tok/s across repetitions
//!   ([`detect_throttling`]).
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use std::time::Duration;
//! use benchbar_power::{PowerSession, ReplaySource};
//!
//! let source = ReplaySource::constant_power("rapl", "package-0", 12.0, 100, 50);
//! let session = PowerSession::start(Box::new(source), Duration::from_millis(250), Duration::ZERO);
//! let a = session.snapshot();
//! let b = session.snapshot();
//! let phase = session.energy_between(&a, &b).unwrap();
//! assert!((phase.avg_power_w.unwrap() - 12.0).abs() < 1e-6);
//! let report = session.finish();
//! assert_eq!(report.power_source, "replay");
//! # }
//! ```

mod error;
mod math;
mod session;
mod sources;
mod system;

#[cfg(test)]
mod tests;

pub use error::{PowerError, Result};
pub use math::{CounterRow, Domain, DomainMap, IdleBaseline, PhaseEnergy, PowerSample};
pub use session::{
    measure_window, PendingSnapshot, PowerReport, PowerSession, Snapshot, WindowReport,
};
#[cfg(feature = "testing")]
pub use sources::replay::{RecordedFrames, Recording, ReplaySource};
pub use sources::{open_default_source, Availability, EnergySource, Reading, SourceInfo};
pub use system::memory::{process_peak, system_memory, ProcessPeak, SystemMemory};
pub use system::state::{read_thermal_power_state, ThermalPowerState};
pub use system::throttle::{detect_throttling, ThrottleCriteria, ThrottleVerdict};
