//! The platform-neutral energy core: pure functions, no I/O.
//!
//! Sources report plain [`CounterRow`]s (group, channel, unit, cumulative value). The
//! [`EnergyAccumulator`] turns successive rows into cumulative joules per [`Domain`],
//! handling units, wraparound and counters that go backwards, as [`EnergyPoint`]s. What two
//! points give (phase energy, idle baseline, power timeline) is in [`crate::math::phase`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where energy is spent. Serialized in lower case (`"cpu"`, `"gpu"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    /// CPU cores (all clusters together).
    Cpu,
    /// GPU (Apple GPU, or a discrete NVIDIA GPU).
    Gpu,
    /// Apple Neural Engine.
    Ane,
    /// DRAM.
    Dram,
    /// A whole CPU package (RAPL `package-N`: cores + uncore + integrated GPU).
    Package,
    /// The whole system (RAPL `psys`, SMC system power).
    System,
    /// An energy channel of an unknown kind.
    Other,
}

impl Domain {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Cpu => "cpu",
            Domain::Gpu => "gpu",
            Domain::Ane => "ane",
            Domain::Dram => "dram",
            Domain::Package => "package",
            Domain::System => "system",
            Domain::Other => "other",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Joules (or watts) per domain.
pub type DomainMap = BTreeMap<Domain, f64>;

/// The IOReport group holding the energy counters on Apple Silicon.
pub const IOREPORT_ENERGY_GROUP: &str = "Energy Model";
/// Group name used by the RAPL source.
pub const RAPL_GROUP: &str = "rapl";
/// Group name used by the NVML source.
pub const NVML_GROUP: &str = "nvml";
/// Group name used by the powermetrics source.
pub const POWERMETRICS_GROUP: &str = "powermetrics";

/// Units of an energy counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnergyUnit {
    /// Joules.
    J,
    /// Millijoules.
    MilliJ,
    /// Microjoules.
    MicroJ,
    /// Nanojoules.
    NanoJ,
}

impl EnergyUnit {
    /// Parses a unit label such as `"mJ"`, `"uJ"`, `"µJ"`, `"nJ"`, `"J"` (surrounding
    /// whitespace ignored). Anything else (power, residency, counts) is `None`.
    pub fn parse(label: &str) -> Option<EnergyUnit> {
        match label.trim() {
            "J" => Some(EnergyUnit::J),
            "mJ" => Some(EnergyUnit::MilliJ),
            "uJ" | "µJ" | "μJ" => Some(EnergyUnit::MicroJ),
            "nJ" => Some(EnergyUnit::NanoJ),
            _ => None,
        }
    }

    /// Joules per counter unit.
    pub fn joules_per_unit(self) -> f64 {
        match self {
            EnergyUnit::J => 1.0,
            EnergyUnit::MilliJ => 1e-3,
            EnergyUnit::MicroJ => 1e-6,
            EnergyUnit::NanoJ => 1e-9,
        }
    }

    /// Converts a counter value in this unit to joules.
    pub fn to_joules(self, value: u64) -> f64 {
        value as f64 * self.joules_per_unit()
    }
}

/// Classifies a counter channel into a [`Domain`], or `None` when the channel must be
/// ignored (not an energy unit, or a sub-channel that would be counted twice).
///
/// Rules:
/// - the unit must be an energy unit ([`EnergyUnit::parse`]);
/// - IOReport `"Energy Model"`: channels ending in `CPU Energy` are CPU (this sums dies, not
///   per-cluster channels such as `ECPU`/`PCPU`, which are ignored), ending in
///   `GPU Energy` are GPU, starting with `ANE` are ANE, starting with `DRAM` are DRAM;
///   every other channel of that group is ignored (they overlap the ones above);
/// - `rapl`: `package-N` is package, `psys` is system, `dram` is DRAM, `core` is CPU,
///   `uncore` is GPU;
/// - `nvml`: GPU;
/// - `powermetrics`: `cpu_energy`, `gpu_energy`, `ane_energy`;
/// - groups `system`/`smc`: system;
/// - any other group with an energy unit: other.
pub fn classify_domain(group: &str, channel: &str, unit: &str) -> Option<Domain> {
    EnergyUnit::parse(unit)?;
    let channel = channel.trim();
    match group.trim() {
        IOREPORT_ENERGY_GROUP => {
            if channel.ends_with("CPU Energy") {
                Some(Domain::Cpu)
            } else if channel.ends_with("GPU Energy") {
                Some(Domain::Gpu)
            } else if channel.starts_with("ANE") {
                Some(Domain::Ane)
            } else if channel.starts_with("DRAM") {
                Some(Domain::Dram)
            } else {
                None
            }
        }
        RAPL_GROUP => {
            if channel.starts_with("package") {
                Some(Domain::Package)
            } else if channel == "psys" {
                Some(Domain::System)
            } else if channel == "dram" {
                Some(Domain::Dram)
            } else if channel == "core" {
                Some(Domain::Cpu)
            } else if channel == "uncore" {
                Some(Domain::Gpu)
            } else {
                Some(Domain::Other)
            }
        }
        NVML_GROUP => Some(Domain::Gpu),
        POWERMETRICS_GROUP => match channel {
            "cpu_energy" => Some(Domain::Cpu),
            "gpu_energy" => Some(Domain::Gpu),
            "ane_energy" => Some(Domain::Ane),
            _ => None,
        },
        "system" | "smc" => Some(Domain::System),
        _ => Some(Domain::Other),
    }
}

/// The whole-machine energy of a set of domains, without double counting:
/// `package` (or `cpu` when there is no package) + `gpu` + `ane` + `dram` + `other`;
/// when a `system` domain is present (SMC `PSTR`, RAPL `psys`), which contains all of
/// these, the larger of it and that sum.
///
/// With RAPL the package contains the cores and the integrated GPU, so `cpu` is only
/// added when no package is measured; a `gpu` next to a package is a discrete (NVML) GPU.
pub fn total_of(domains: &DomainMap) -> f64 {
    let parts = components_of(domains);
    match domains.get(&Domain::System) {
        Some(system) => system.max(parts),
        None => parts,
    }
}

fn components_of(domains: &DomainMap) -> f64 {
    let get = |d: Domain| domains.get(&d).copied().unwrap_or(0.0);
    let cpu_side = if domains.contains_key(&Domain::Package) {
        get(Domain::Package)
    } else {
        get(Domain::Cpu)
    };
    cpu_side + get(Domain::Gpu) + get(Domain::Ane) + get(Domain::Dram) + get(Domain::Other)
}

/// Which figure [`total_of`] used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalBasis {
    /// The sum of the component domains.
    Components,
    /// The `system` domain (it was at least the sum of the components).
    System,
}

/// Which figure [`total_of`] uses for these domains.
pub fn total_basis(domains: &DomainMap) -> TotalBasis {
    match domains.get(&Domain::System) {
        Some(system) if *system >= components_of(domains) => TotalBasis::System,
        _ => TotalBasis::Components,
    }
}

/// Integrates sampled power (watts) into a cumulative energy counter, by trapezoids
/// between successive samples. Used for sources that only give power (SMC `PSTR`,
/// NVML `power_usage` on GPUs without an energy counter).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerIntegrator {
    total_uj: f64,
    last: Option<(u64, f64)>,
}

impl PowerIntegrator {
    /// A counter at 0.
    pub fn new() -> PowerIntegrator {
        PowerIntegrator::default()
    }

    /// Adds a power sample at `t_ns` (monotonic); returns the cumulative energy in uJ.
    /// Non-finite or negative watts and samples not later than the previous one are
    /// ignored.
    pub fn add(&mut self, t_ns: u64, watts: f64) -> u64 {
        if watts.is_finite() && watts >= 0.0 {
            match self.last {
                Some((t0, w0)) if t_ns > t0 => {
                    let dt_s = (t_ns - t0) as f64 / 1e9;
                    self.total_uj += (w0 + watts) / 2.0 * dt_s * 1e6;
                    self.last = Some((t_ns, watts));
                }
                Some(_) => {}
                None => self.last = Some((t_ns, watts)),
            }
        }
        self.counter_uj()
    }

    /// The cumulative energy in uJ.
    pub fn counter_uj(&self) -> u64 {
        self.total_uj.round() as u64
    }
}

/// The outcome of comparing two readings of a cumulative counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterDelta {
    /// The counter advanced by this many units (possibly 0).
    Advanced(u64),
    /// The counter wrapped past its maximum; the value is the units advanced.
    Wrapped(u64),
    /// The counter went backwards and no wrap explains it: drop this sample.
    Backwards {
        /// The earlier reading.
        previous: u64,
        /// The later, smaller reading.
        current: u64,
    },
}

impl CounterDelta {
    /// Units advanced, or `None` for [`CounterDelta::Backwards`].
    #[cfg(test)]
    pub fn units(self) -> Option<u64> {
        match self {
            CounterDelta::Advanced(d) | CounterDelta::Wrapped(d) => Some(d),
            CounterDelta::Backwards { .. } => None,
        }
    }
}

/// The difference between two readings of a cumulative counter.
///
/// `max_range` is the counter's range when known (RAPL `max_energy_range_uj`): the counter
/// runs from 0 to `max_range` and then starts again at 0, so a smaller reading means a
/// wrap and the delta is `max_range - previous + current`. A wrap is only believed when
/// that delta is at most half the range (readings are taken far more often than the
/// counter wraps); otherwise, and whenever the range is unknown, a smaller reading is
/// [`CounterDelta::Backwards`] (a reset or a glitch) and the sample is dropped.
pub fn counter_delta(previous: u64, current: u64, max_range: Option<u64>) -> CounterDelta {
    if current >= previous {
        return CounterDelta::Advanced(current - previous);
    }
    match max_range {
        Some(max) if max > 0 && previous <= max && current <= max => {
            let delta = (max - previous) + current;
            if delta <= max / 2 {
                CounterDelta::Wrapped(delta)
            } else {
                CounterDelta::Backwards { previous, current }
            }
        }
        _ => CounterDelta::Backwards { previous, current },
    }
}

/// One reading of one cumulative energy counter, as a source reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterRow {
    /// Counter group (`"Energy Model"`, `"rapl"`, `"nvml"`, `"powermetrics"`).
    pub group: String,
    /// Channel name within the group (`"GPU Energy"`, `"package-0"`, `"gpu0"`).
    pub channel: String,
    /// Unit label (`"mJ"`, `"uJ"`, `"nJ"`).
    pub unit: String,
    /// Cumulative counter value in `unit`.
    pub value: u64,
    /// The counter's wrap range in `unit`, when known.
    pub max_range: Option<u64>,
}

impl CounterRow {
    /// A row with no known wrap range.
    pub fn new(group: &str, channel: &str, unit: &str, value: u64) -> CounterRow {
        CounterRow {
            group: group.to_owned(),
            channel: channel.to_owned(),
            unit: unit.to_owned(),
            value,
            max_range: None,
        }
    }

    /// The same row with a wrap range.
    pub fn with_max_range(mut self, max_range: u64) -> CounterRow {
        self.max_range = Some(max_range);
        self
    }
}

#[derive(Debug, Clone)]
struct ChannelState {
    domain: Domain,
    unit: EnergyUnit,
    last: u64,
    total_j: f64,
}

/// Turns successive counter readings into cumulative joules per domain.
///
/// The first reading of a channel is its zero. Each later reading adds the wrap-aware
/// delta since the previous one. A counter that goes backwards adds nothing, is re-based
/// on the new value and leaves a warning (see [`EnergyAccumulator::take_warnings`]).
/// Channels that [`classify_domain`] ignores are skipped.
#[derive(Debug, Clone, Default)]
pub struct EnergyAccumulator {
    channels: BTreeMap<(String, String), ChannelState>,
    warnings: Vec<String>,
    dropped_samples: u64,
    wraps: u64,
}

impl EnergyAccumulator {
    /// An empty accumulator.
    pub fn new() -> EnergyAccumulator {
        EnergyAccumulator::default()
    }

    /// Feeds one reading of all channels; returns the cumulative joules per domain.
    pub fn update(&mut self, rows: &[CounterRow]) -> DomainMap {
        for row in rows {
            let Some(domain) = classify_domain(&row.group, &row.channel, &row.unit) else {
                continue;
            };
            let Some(unit) = EnergyUnit::parse(&row.unit) else {
                continue;
            };
            let key = (row.group.clone(), row.channel.clone());
            match self.channels.get_mut(&key) {
                None => {
                    self.channels.insert(
                        key,
                        ChannelState {
                            domain,
                            unit,
                            last: row.value,
                            total_j: 0.0,
                        },
                    );
                }
                Some(state) => {
                    let delta = counter_delta(state.last, row.value, row.max_range);
                    match delta {
                        CounterDelta::Advanced(units) => {
                            state.total_j += unit.to_joules(units);
                        }
                        CounterDelta::Wrapped(units) => {
                            state.total_j += unit.to_joules(units);
                            self.wraps += 1;
                        }
                        CounterDelta::Backwards { previous, current } => {
                            self.dropped_samples += 1;
                            if self.warnings.len() < 32 {
                                self.warnings.push(format!(
                                    "counter {}/{} went backwards ({previous} -> {current} {}); \
                                     sample dropped",
                                    row.group, row.channel, row.unit
                                ));
                            }
                        }
                    }
                    state.last = row.value;
                    state.unit = unit;
                }
            }
        }
        self.totals()
    }

    /// The cumulative joules per domain so far.
    pub fn totals(&self) -> DomainMap {
        let mut out = DomainMap::new();
        for state in self.channels.values() {
            *out.entry(state.domain).or_insert(0.0) += state.total_j;
        }
        out
    }

    /// Samples dropped because a counter went backwards.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped_samples
    }

    /// Counter wraps seen.
    pub fn wraps(&self) -> u64 {
        self.wraps
    }

    /// Takes the warnings collected so far (at most 32 are kept).
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }
}

/// Cumulative joules per domain at a monotonic time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnergyPoint {
    /// Monotonic time in nanoseconds (any fixed origin).
    pub t_ns: u64,
    /// Cumulative joules per domain since the origin of the counters.
    pub domains_j: DomainMap,
}

impl EnergyPoint {
    /// Total cumulative joules ([`total_of`]).
    pub fn total_j(&self) -> f64 {
        total_of(&self.domains_j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::phase_energy;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn units_scale_to_joules() {
        assert_eq!(EnergyUnit::parse("mJ"), Some(EnergyUnit::MilliJ));
        assert_eq!(EnergyUnit::parse(" uJ "), Some(EnergyUnit::MicroJ));
        assert_eq!(EnergyUnit::parse("µJ"), Some(EnergyUnit::MicroJ));
        assert_eq!(EnergyUnit::parse("nJ"), Some(EnergyUnit::NanoJ));
        assert_eq!(EnergyUnit::parse("mW"), None);
        assert_eq!(EnergyUnit::parse(""), None);
        assert!(close(EnergyUnit::MilliJ.to_joules(1500), 1.5, 1e-12));
        assert!(close(EnergyUnit::MicroJ.to_joules(1_000_000), 1.0, 1e-12));
        assert!(close(
            EnergyUnit::NanoJ.to_joules(2_500_000_000),
            2.5,
            1e-12
        ));
        assert!(close(EnergyUnit::J.to_joules(3), 3.0, 0.0));
    }

    #[test]
    fn ioreport_channels_classify() {
        let g = IOREPORT_ENERGY_GROUP;
        assert_eq!(classify_domain(g, "CPU Energy", "mJ"), Some(Domain::Cpu));
        assert_eq!(
            classify_domain(g, "DIE_1_CPU Energy", "mJ"),
            Some(Domain::Cpu)
        );
        assert_eq!(classify_domain(g, "GPU Energy", "nJ"), Some(Domain::Gpu));
        assert_eq!(classify_domain(g, "ANE", "mJ"), Some(Domain::Ane));
        assert_eq!(classify_domain(g, "ANE0", "mJ"), Some(Domain::Ane));
        assert_eq!(classify_domain(g, "DRAM", "mJ"), Some(Domain::Dram));
        // Per-cluster channels overlap "CPU Energy": ignored.
        assert_eq!(classify_domain(g, "ECPU", "mJ"), None);
        assert_eq!(classify_domain(g, "PACC0_CPU", "mJ"), None);
        assert_eq!(classify_domain(g, "GPU SRAM", "mJ"), None);
        // Not an energy unit.
        assert_eq!(classify_domain(g, "CPU Energy", "mW"), None);
    }

    #[test]
    fn other_groups_classify() {
        assert_eq!(
            classify_domain("rapl", "package-0", "uJ"),
            Some(Domain::Package)
        );
        assert_eq!(classify_domain("rapl", "psys", "uJ"), Some(Domain::System));
        assert_eq!(classify_domain("rapl", "dram", "uJ"), Some(Domain::Dram));
        assert_eq!(classify_domain("rapl", "core", "uJ"), Some(Domain::Cpu));
        assert_eq!(classify_domain("nvml", "gpu0", "mJ"), Some(Domain::Gpu));
        assert_eq!(
            classify_domain("powermetrics", "ane_energy", "mJ"),
            Some(Domain::Ane)
        );
        assert_eq!(classify_domain("powermetrics", "combined", "mJ"), None);
        assert_eq!(classify_domain("smc", "PSTR", "mJ"), Some(Domain::System));
        assert_eq!(classify_domain("whatever", "x", "J"), Some(Domain::Other));
        assert_eq!(classify_domain("whatever", "x", "ticks"), None);
    }

    #[test]
    fn totals_do_not_double_count() {
        let m: DomainMap = [(Domain::Cpu, 1.0), (Domain::Gpu, 2.0), (Domain::Ane, 0.5)]
            .into_iter()
            .collect();
        assert!(close(total_of(&m), 3.5, 1e-12));
        let m: DomainMap = [
            (Domain::Package, 10.0),
            (Domain::Cpu, 7.0),
            (Domain::Gpu, 5.0),
        ]
        .into_iter()
        .collect();
        assert!(close(total_of(&m), 15.0, 1e-12));
        let m: DomainMap = [(Domain::System, 30.0), (Domain::Package, 10.0)]
            .into_iter()
            .collect();
        assert!(close(total_of(&m), 30.0, 1e-12));
        assert_eq!(total_basis(&m), TotalBasis::System);
        // A system figure below the components (coarse PSTR sampling): the larger wins.
        let m: DomainMap = [
            (Domain::System, 3.0),
            (Domain::Cpu, 2.0),
            (Domain::Gpu, 2.0),
        ]
        .into_iter()
        .collect();
        assert!(close(total_of(&m), 4.0, 1e-12));
        assert_eq!(total_basis(&m), TotalBasis::Components);
        assert_eq!(total_of(&DomainMap::new()), 0.0);
    }

    #[test]
    fn power_integrator_trapezoids() {
        let mut p = PowerIntegrator::new();
        assert_eq!(p.add(0, 10.0), 0);
        // 10 W -> 20 W over 0.5 s = 7.5 J.
        assert_eq!(p.add(500_000_000, 20.0), 7_500_000);
        // Bad samples are ignored.
        assert_eq!(p.add(600_000_000, f64::NAN), 7_500_000);
        assert_eq!(p.add(400_000_000, 50.0), 7_500_000);
        assert_eq!(p.add(700_000_000, -1.0), 7_500_000);
        // 20 W -> 20 W over 0.25 s = 5 J.
        assert_eq!(p.add(750_000_000, 20.0), 12_500_000);
        assert_eq!(p.counter_uj(), 12_500_000);
    }

    #[test]
    fn deltas_and_wraps() {
        assert_eq!(counter_delta(10, 25, None), CounterDelta::Advanced(15));
        assert_eq!(counter_delta(10, 10, Some(100)), CounterDelta::Advanced(0));
        // RAPL-like range 262143328850 uJ: 100 before the top, 400 after zero.
        let max = 262_143_328_850;
        assert_eq!(
            counter_delta(max - 100, 400, Some(max)),
            CounterDelta::Wrapped(500)
        );
        // Exactly at the top, then 0.
        assert_eq!(counter_delta(max, 0, Some(max)), CounterDelta::Wrapped(0));
        // Unknown range: backwards.
        assert_eq!(
            counter_delta(500, 400, None),
            CounterDelta::Backwards {
                previous: 500,
                current: 400
            }
        );
        // Known range but a wrap would mean more than half the range: a glitch.
        assert_eq!(
            counter_delta(500, 400, Some(1000)),
            CounterDelta::Backwards {
                previous: 500,
                current: 400
            }
        );
        // Readings above the range are garbage.
        assert!(matches!(
            counter_delta(2000, 10, Some(1000)),
            CounterDelta::Backwards { .. }
        ));
        assert_eq!(counter_delta(900, 100, Some(1000)).units(), Some(200));
        assert_eq!(counter_delta(5, 1, None).units(), None);
    }

    #[test]
    fn one_million_uj_over_250_5_ms_is_3_992_w() {
        let mut acc = EnergyAccumulator::new();
        acc.update(&[CounterRow::new("rapl", "package-0", "uJ", 5_000_000)]);
        let end = acc.update(&[CounterRow::new("rapl", "package-0", "uJ", 6_000_000)]);
        let a = EnergyPoint {
            t_ns: 0,
            domains_j: DomainMap::from([(Domain::Package, 0.0)]),
        };
        let b = EnergyPoint {
            t_ns: 250_500_000,
            domains_j: end,
        };
        let p = phase_energy(&a, &b, None).unwrap();
        assert!(close(p.total_j, 1.0, 1e-12));
        let w = p.avg_power_w.unwrap();
        assert!(close(w, 3.992, 0.0005), "{w}");
        assert!(close(w, 1.0 / 0.2505, 1e-12));
        assert_eq!(p.net_j, p.total_j);
        assert_eq!(p.idle_w, None);
    }

    #[test]
    fn accumulator_handles_wrap_backwards_and_new_channels() {
        let max = 1_000_000;
        let row = |v: u64| CounterRow::new("rapl", "package-0", "uJ", v).with_max_range(max);
        let mut acc = EnergyAccumulator::new();
        assert_eq!(acc.update(&[row(999_000)])[&Domain::Package], 0.0);
        // Wrap: 1000 to the top + 500 after zero = 1500 uJ.
        let t = acc.update(&[row(500)]);
        assert!(close(t[&Domain::Package], 0.0015, 1e-12));
        assert_eq!(acc.wraps(), 1);
        // A channel without a range going backwards: dropped, warned, re-based.
        let gpu = |v: u64| CounterRow::new("nvml", "gpu0", "mJ", v);
        acc.update(&[row(600), gpu(10_000)]);
        let t = acc.update(&[row(700), gpu(9_000)]);
        assert!(close(t[&Domain::Gpu], 0.0, 1e-12));
        assert_eq!(acc.dropped_samples(), 1);
        let t = acc.update(&[row(800), gpu(9_500)]);
        assert!(close(t[&Domain::Gpu], 0.5, 1e-12));
        assert!(close(t[&Domain::Package], 0.0018, 1e-12));
        let warnings = acc.take_warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("backwards"), "{warnings:?}");
        assert!(acc.take_warnings().is_empty());
        // Ignored channels do not appear.
        let t = acc.update(&[CounterRow::new(IOREPORT_ENERGY_GROUP, "ECPU", "mJ", 5)]);
        assert!(!t.contains_key(&Domain::Other));
    }

    #[test]
    fn ioreport_cpu_dies_are_summed_and_clusters_ignored() {
        let g = IOREPORT_ENERGY_GROUP;
        let rows = |a: u64, b: u64, e: u64| {
            vec![
                CounterRow::new(g, "DIE_0_CPU Energy", "mJ", a),
                CounterRow::new(g, "DIE_1_CPU Energy", "mJ", b),
                CounterRow::new(g, "ECPU", "mJ", e),
                CounterRow::new(g, "GPU Energy", "nJ", a * 1_000_000),
            ]
        };
        let mut acc = EnergyAccumulator::new();
        acc.update(&rows(100, 200, 50));
        let t = acc.update(&rows(1100, 1200, 550));
        assert!(close(t[&Domain::Cpu], 2.0, 1e-12));
        assert!(close(t[&Domain::Gpu], 1.0, 1e-9));
        assert!(close(total_of(&t), 3.0, 1e-9));
    }

    #[test]
    fn domain_names_serialize_lowercase() {
        let m: DomainMap = [(Domain::Gpu, 1.5)].into_iter().collect();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"gpu":1.5}"#);
        assert_eq!(Domain::Ane.to_string(), "ane");
    }
}
