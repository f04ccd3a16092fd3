//! Energy sources: the [`EnergySource`] trait and what a source can see, one module per
//! source, and [`open_default_source`], which picks the best one of this machine.
//!
//! - [`ioreport`] (macOS): IOReport "Energy Model" and the SMC system power, no sudo; also the
//!   macOS FFI of the memory probes (the IOReport, SMC and footprint FFI is in `ioreport/ffi.rs`).
//! - [`powermetrics`] (macOS, root): the `powermetrics` plist stream.
//! - [`rapl`] (Linux): `/sys/class/powercap` package counters.
//! - [`nvml`] (Linux): NVIDIA GPUs through NVML.
//! - [`replay`] (tests): recorded or synthetic readings.
//! - [`composite`]: several sources read together, and the unavailable source.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::math::{CounterRow, Domain, DomainMap};

pub(crate) mod composite;
#[cfg(target_os = "macos")]
pub(crate) mod ioreport;
#[cfg(target_os = "linux")]
pub(crate) mod nvml;
#[cfg(any(target_os = "macos", test))]
pub(crate) mod powermetrics;
#[cfg(any(target_os = "linux", test))]
pub(crate) mod rapl;
#[cfg(any(test, feature = "testing"))]
pub(crate) mod replay;

#[cfg(target_os = "linux")]
use composite::CompositeSource;
use composite::UnavailableSource;

/// Whether a source can measure, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Availability {
    /// The source reads energy counters.
    Available,
    /// The source cannot measure here.
    Unavailable {
        /// A human-readable reason ("RAPL energy_uj is root-only ...").
        reason: String,
    },
}

impl Availability {
    /// An unavailable availability with this reason.
    pub fn unavailable(reason: impl Into<String>) -> Availability {
        Availability::Unavailable {
            reason: reason.into(),
        }
    }

    /// True when the source can measure.
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available)
    }

    /// The reason when unavailable.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Availability::Available => None,
            Availability::Unavailable { reason } => Some(reason),
        }
    }
}

/// What a source is and what it can and cannot see; serializable for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Short name: `"ioreport"`, `"powermetrics"`, `"rapl"`, `"nvml"`, `"nvml+rapl"`,
    /// `"replay"`, `"none"`.
    pub name: String,
    /// Whether it measures.
    pub availability: Availability,
    /// Domains it measures.
    pub domains: Vec<Domain>,
    /// Things it does not see or measures coarsely ("no DRAM", "package only").
    pub limitations: Vec<String>,
}

impl SourceInfo {
    /// The `power_source` string for reports: the name, or `"unavailable: <reason>"`.
    pub fn label(&self) -> String {
        match &self.availability {
            Availability::Available => self.name.clone(),
            Availability::Unavailable { reason } => format!("unavailable: {reason}"),
        }
    }
}

/// One reading of a source's cumulative counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The counters.
    pub rows: Vec<CounterRow>,
    /// A timestamp supplied by the source (nanoseconds since the session start), used
    /// instead of the session clock; only replayed recordings set it.
    pub t_ns: Option<u64>,
}

/// A source of cumulative energy counters.
///
/// Implementations never panic for lack of hardware or permission: they report
/// [`Availability::Unavailable`] with a reason, and [`EnergySource::read`] returns an
/// error that the session turns into a dropped sample.
pub trait EnergySource: Send {
    /// What the source is and what it sees.
    fn info(&self) -> SourceInfo;

    /// Reads all counters now. Called from the sampler thread and from
    /// [`PowerSession::snapshot`](crate::PowerSession::snapshot), never concurrently.
    fn read(&mut self) -> Result<Reading>;

    /// Thermal pressure if the source sees it (powermetrics: `"Nominal"`, `"Heavy"`...).
    fn thermal_pressure(&self) -> Option<String> {
        None
    }

    /// Device (GPU) memory in use, in bytes, if the source sees it (NVML).
    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        None
    }

    /// Power per domain now, in watts, when the source has a power reading of its own that
    /// suits the watts timeline better than differentiating its energy counter over one
    /// sampling interval (NVML: `power_usage`; its energy counter updates too coarsely for
    /// 250 ms intervals). Joules always come from the counters.
    fn power_now_w(&mut self) -> Option<DomainMap> {
        None
    }

    /// Whether the sampler reads the counters on every tick. True by default: counters that
    /// wrap (RAPL's 32-bit ones) must be read more often than they wrap, and without
    /// [`EnergySource::power_now_w`] the timeline is the counters' difference per tick. A
    /// source whose counters never wrap and whose every timeline domain comes from
    /// `power_now_w` (NVML: a 64-bit mJ counter) says false: its counters are then read only
    /// at the snapshots that bound a phase, one driver call less per tick.
    fn counters_on_ticks(&self) -> bool {
        true
    }

    /// The sampler's read on a tick (when [`EnergySource::counters_on_ticks`]): every counter
    /// by default; a composite reads only its parts that need ticks (a RAPL package beside an
    /// NVIDIA GPU: not the GPU's costly energy counter). Counters left out keep their totals.
    fn read_on_tick(&mut self) -> Result<Reading> {
        self.read()
    }
}

/// The powermetrics interval BenchBar uses, in milliseconds.
#[cfg(target_os = "macos")]
const POWERMETRICS_INTERVAL_MS: u64 = 250;

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
        let io = ioreport::IoReportSource::open();
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
