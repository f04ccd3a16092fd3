//! benchbar-power: energy, power and memory telemetry for BenchBar.
//!
//! - [`energy`]: the pure energy core (domains, units, wrap-aware counter deltas,
//!   per-phase joules, idle subtraction, watts, tokens per joule).
//! - Sources behind [`EnergySource`]: IOReport and powermetrics (macOS), RAPL and NVML
//!   (Linux), [`ReplaySource`] for tests. [`open_default_source`] picks one and, when none
//!   works, returns an unavailable source whose reason lists why each was skipped.
//! - [`PowerSession`]: idle baseline, background sampler (watts timeline), cheap
//!   thread-safe snapshots at phase boundaries, and a serializable [`PowerReport`].
//! - [`memory`], [`state`], [`throttle`]: peak footprint, system memory, thermal/power
//!   state, and a throttling heuristic over tok/s across repetitions.
//!
//! ```
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
//! ```

pub mod energy;
mod error;
pub mod memory;
pub mod phase;
pub mod powermetrics;
pub mod rapl;
mod session;
mod source;
pub mod state;
mod sys;
pub mod throttle;
pub mod window;

#[cfg(target_os = "linux")]
pub mod nvml;

#[cfg(target_os = "macos")]
pub mod macos;

pub use energy::{
    classify_domain, counter_delta, total_of, CounterDelta, CounterRow, Domain, DomainMap,
    EnergyAccumulator, EnergyPoint, EnergyUnit, PowerIntegrator, TotalBasis,
};
pub use error::{PowerError, Result};
pub use memory::{process_peak, system_memory, ProcessPeak, SystemMemory};
pub use phase::{
    idle_baseline, phase_energy, power_timeline, IdleBaseline, PhaseEnergy, PowerSample,
};
pub use session::{CellPower, PowerReport, PowerSession, Snapshot};
pub use source::{
    Availability, CompositeSource, EnergySource, Reading, RecordedFrames, Recording, ReplaySource,
    SourceInfo, UnavailableSource,
};
pub use state::{read_thermal_power_state, ThermalPowerState};
pub use sys::thread_cpu_time_ns;
pub use throttle::{detect_throttling, ThrottleCriteria, ThrottleVerdict};

/// The powermetrics interval BenchBar uses, in milliseconds.
pub const POWERMETRICS_INTERVAL_MS: u64 = 250;

/// Picks the best energy source of this machine.
///
/// - macOS: IOReport; else powermetrics if running as root; else unavailable.
/// - Linux: NVML (when an NVIDIA GPU is present) together with RAPL (when readable);
///   either alone; else unavailable.
///
/// When nothing measures, the returned source is unavailable and its reason lists why
/// each candidate was skipped. Never panics, never fails.
pub fn open_default_source() -> Box<dyn EnergySource> {
    #[cfg(target_os = "macos")]
    {
        let io = macos::IoReportSource::open();
        if io.info().availability.is_available() {
            return Box::new(io);
        }
        let pm = powermetrics::PowermetricsSource::open(POWERMETRICS_INTERVAL_MS);
        if pm.info().availability.is_available() {
            return Box::new(pm);
        }
        Box::new(UnavailableSource::new(skipped_reasons(&[
            io.info(),
            pm.info(),
        ])))
    }
    #[cfg(target_os = "linux")]
    {
        let nvml = nvml::NvmlSource::open();
        let rapl = rapl::RaplSource::open_default();
        let infos = [nvml.info(), rapl.info()];
        let composite = CompositeSource::new(vec![Box::new(nvml), Box::new(rapl)]);
        if composite.is_empty() {
            return Box::new(UnavailableSource::new(skipped_reasons(&infos)));
        }
        Box::new(composite)
    }
    #[cfg(not(any(target_os = "macos", target_os = "linux")))]
    {
        Box::new(UnavailableSource::new(
            "no energy source for this operating system",
        ))
    }
}

/// Joins "name: reason" of every unavailable source.
#[cfg(any(target_os = "macos", target_os = "linux"))]
fn skipped_reasons(infos: &[SourceInfo]) -> String {
    let parts: Vec<String> = infos
        .iter()
        .filter_map(|i| i.availability.reason().map(|r| format!("{}: {r}", i.name)))
        .collect();
    if parts.is_empty() {
        "no energy source".to_owned()
    } else {
        parts.join("; ")
    }
}
