//! The [`EnergySource`] trait, what a source can see, and the test-double and
//! combining sources.

use serde::{Deserialize, Serialize};

use crate::energy::{CounterRow, Domain};
use crate::error::{PowerError, Result};

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
    fn power_now_w(&mut self) -> Option<crate::energy::DomainMap> {
        None
    }
}

/// A source that measures nothing and says why.
#[derive(Debug, Clone)]
pub struct UnavailableSource {
    reason: String,
}

impl UnavailableSource {
    /// An unavailable source with this reason.
    pub fn new(reason: impl Into<String>) -> UnavailableSource {
        UnavailableSource {
            reason: reason.into(),
        }
    }
}

impl EnergySource for UnavailableSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            name: "none".to_owned(),
            availability: Availability::unavailable(self.reason.clone()),
            domains: Vec::new(),
            limitations: Vec::new(),
        }
    }

    fn read(&mut self) -> Result<Reading> {
        Err(PowerError::Unavailable(self.reason.clone()))
    }
}

/// Test double: replays recorded counter readings, one per [`EnergySource::read`] call;
/// after the last one it keeps returning the last (or errors when empty).
#[derive(Debug, Clone)]
pub struct ReplaySource {
    frames: Vec<Reading>,
    next: usize,
    thermal_pressure: Option<String>,
}

impl ReplaySource {
    /// Replays these readings in order.
    pub fn new(frames: Vec<Reading>) -> ReplaySource {
        ReplaySource {
            frames,
            next: 0,
            thermal_pressure: None,
        }
    }

    /// Replays readings with timestamps: each frame is `(t_ns, rows)`.
    pub fn timed(frames: Vec<(u64, Vec<CounterRow>)>) -> ReplaySource {
        ReplaySource::new(
            frames
                .into_iter()
                .map(|(t, rows)| Reading {
                    rows,
                    t_ns: Some(t),
                })
                .collect(),
        )
    }

    /// A recording of one channel at constant power: `frames` readings every
    /// `step_ms`, starting at 0, `watts` in `group`/`channel` (unit uJ).
    pub fn constant_power(
        group: &str,
        channel: &str,
        watts: f64,
        step_ms: u64,
        frames: usize,
    ) -> ReplaySource {
        let step_uj = watts * step_ms as f64 * 1e3;
        ReplaySource::timed(
            (0..frames)
                .map(|i| {
                    let value = (step_uj * i as f64).round() as u64;
                    (
                        i as u64 * step_ms * 1_000_000,
                        vec![CounterRow::new(group, channel, "uJ", value)],
                    )
                })
                .collect(),
        )
    }

    /// Loads a recording written by [`RecordedFrames::to_json`] (a JSON array of
    /// [`Reading`]s).
    pub fn from_json(json: &str) -> Result<ReplaySource> {
        let frames: Vec<Reading> = serde_json::from_str(json)
            .map_err(|e| PowerError::Parse(format!("replay recording: {e}")))?;
        Ok(ReplaySource::new(frames))
    }

    /// Also report this thermal pressure.
    pub fn with_thermal_pressure(mut self, pressure: &str) -> ReplaySource {
        self.thermal_pressure = Some(pressure.to_owned());
        self
    }

    /// Readings served so far.
    pub fn served(&self) -> usize {
        self.next
    }
}

impl EnergySource for ReplaySource {
    fn info(&self) -> SourceInfo {
        let mut domains: Vec<Domain> = self
            .frames
            .iter()
            .flat_map(|f| f.rows.iter())
            .filter_map(|r| crate::energy::classify_domain(&r.group, &r.channel, &r.unit))
            .collect();
        domains.sort();
        domains.dedup();
        SourceInfo {
            name: "replay".to_owned(),
            availability: if self.frames.is_empty() {
                Availability::unavailable("replay source has no recorded samples")
            } else {
                Availability::Available
            },
            domains,
            limitations: vec!["replayed recording, not a live measurement".to_owned()],
        }
    }

    fn read(&mut self) -> Result<Reading> {
        if self.frames.is_empty() {
            return Err(PowerError::Unavailable("no recorded samples".to_owned()));
        }
        let i = self.next.min(self.frames.len() - 1);
        self.next = self.next.saturating_add(1);
        Ok(self.frames[i].clone())
    }

    fn thermal_pressure(&self) -> Option<String> {
        self.thermal_pressure.clone()
    }
}

/// Wraps a live source and records every reading (with its time since the recording
/// started), so a real session can be replayed later by [`ReplaySource`].
pub struct Recording<S: EnergySource> {
    inner: S,
    origin: std::time::Instant,
    frames: std::sync::Arc<std::sync::Mutex<Vec<Reading>>>,
}

impl<S: EnergySource> Recording<S> {
    /// Starts recording `inner`.
    pub fn new(inner: S) -> Recording<S> {
        Recording {
            inner,
            origin: std::time::Instant::now(),
            frames: Default::default(),
        }
    }

    /// A handle to the frames recorded so far (it stays valid after the source is
    /// moved into a session).
    pub fn frames(&self) -> RecordedFrames {
        RecordedFrames(std::sync::Arc::clone(&self.frames))
    }
}

/// Shared handle on the frames of a [`Recording`].
#[derive(Clone)]
pub struct RecordedFrames(std::sync::Arc<std::sync::Mutex<Vec<Reading>>>);

impl RecordedFrames {
    /// The frames so far.
    pub fn get(&self) -> Vec<Reading> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The frames as JSON, loadable with [`ReplaySource::from_json`].
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.get()).unwrap_or_else(|_| "[]".to_owned())
    }
}

impl<S: EnergySource> EnergySource for Recording<S> {
    fn info(&self) -> SourceInfo {
        self.inner.info()
    }

    fn read(&mut self) -> Result<Reading> {
        let mut r = self.inner.read()?;
        if r.t_ns.is_none() {
            r.t_ns = Some(u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX));
        }
        self.frames
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(r.clone());
        Ok(r)
    }

    fn thermal_pressure(&self) -> Option<String> {
        self.inner.thermal_pressure()
    }

    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        self.inner.device_memory_used_bytes()
    }
}

/// Several sources read together (e.g. NVML for the GPU + RAPL for the CPU package).
/// Unavailable parts are left out; their reasons go to the limitations.
pub struct CompositeSource {
    parts: Vec<Box<dyn EnergySource>>,
    skipped: Vec<String>,
}

impl CompositeSource {
    /// Combines the available sources of `parts`; the reasons of the others are kept.
    pub fn new(parts: Vec<Box<dyn EnergySource>>) -> CompositeSource {
        let mut kept = Vec::new();
        let mut skipped = Vec::new();
        for p in parts {
            let info = p.info();
            match info.availability {
                Availability::Available => kept.push(p),
                Availability::Unavailable { reason } => {
                    skipped.push(format!("{}: {reason}", info.name));
                }
            }
        }
        CompositeSource {
            parts: kept,
            skipped,
        }
    }

    /// Number of available parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// True when no part is available.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl EnergySource for CompositeSource {
    fn info(&self) -> SourceInfo {
        let infos: Vec<SourceInfo> = self.parts.iter().map(|p| p.info()).collect();
        let mut domains: Vec<Domain> = infos.iter().flat_map(|i| i.domains.clone()).collect();
        domains.sort();
        domains.dedup();
        let mut limitations: Vec<String> =
            infos.iter().flat_map(|i| i.limitations.clone()).collect();
        limitations.extend(self.skipped.iter().map(|s| format!("not measured: {s}")));
        SourceInfo {
            name: if infos.is_empty() {
                "none".to_owned()
            } else {
                infos
                    .iter()
                    .map(|i| i.name.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            },
            availability: if infos.is_empty() {
                Availability::unavailable(if self.skipped.is_empty() {
                    "no energy source".to_owned()
                } else {
                    self.skipped.join("; ")
                })
            } else {
                Availability::Available
            },
            domains,
            limitations,
        }
    }

    fn read(&mut self) -> Result<Reading> {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        for p in &mut self.parts {
            match p.read() {
                Ok(r) => rows.extend(r.rows),
                Err(e) => errors.push(e.to_string()),
            }
        }
        if rows.is_empty() && !errors.is_empty() {
            return Err(PowerError::Platform(errors.join("; ")));
        }
        Ok(Reading { rows, t_ns: None })
    }

    fn thermal_pressure(&self) -> Option<String> {
        self.parts.iter().find_map(|p| p.thermal_pressure())
    }

    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        let mut total = None;
        for p in &mut self.parts {
            if let Some(b) = p.device_memory_used_bytes() {
                total = Some(total.unwrap_or(0) + b);
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_serves_in_order_then_repeats_last() {
        let mut r = ReplaySource::constant_power("rapl", "package-0", 4.0, 250, 3);
        assert!(r.info().availability.is_available());
        assert_eq!(r.info().domains, vec![Domain::Package]);
        let a = r.read().unwrap();
        let b = r.read().unwrap();
        let c = r.read().unwrap();
        let d = r.read().unwrap();
        assert_eq!(a.rows[0].value, 0);
        assert_eq!(b.rows[0].value, 1_000_000);
        assert_eq!(b.t_ns, Some(250_000_000));
        assert_eq!(c, d);
        assert_eq!(r.served(), 4);
    }

    #[test]
    fn record_then_replay() {
        let mut rec = Recording::new(ReplaySource::new(vec![
            Reading {
                rows: vec![CounterRow::new("rapl", "package-0", "uJ", 5)],
                t_ns: None,
            },
            Reading {
                rows: vec![CounterRow::new("rapl", "package-0", "uJ", 9)],
                t_ns: None,
            },
        ]));
        let frames = rec.frames();
        rec.read().unwrap();
        rec.read().unwrap();
        let got = frames.get();
        assert_eq!(got.len(), 2);
        assert!(got[1].t_ns.unwrap() >= got[0].t_ns.unwrap());
        let mut replay = ReplaySource::from_json(&frames.to_json()).unwrap();
        assert_eq!(replay.read().unwrap(), got[0]);
        assert_eq!(replay.read().unwrap().rows[0].value, 9);
        assert!(ReplaySource::from_json("{").is_err());
    }

    #[test]
    fn empty_replay_is_unavailable() {
        let mut r = ReplaySource::new(Vec::new());
        assert!(!r.info().availability.is_available());
        assert!(r.read().is_err());
    }

    #[test]
    fn labels() {
        let u = UnavailableSource::new("no RAPL");
        assert_eq!(u.info().label(), "unavailable: no RAPL");
        let r = ReplaySource::constant_power("rapl", "package-0", 1.0, 10, 2);
        assert_eq!(r.info().label(), "replay");
        let json = serde_json::to_string(&Availability::unavailable("x")).unwrap();
        assert_eq!(json, r#"{"status":"unavailable","reason":"x"}"#);
    }

    #[test]
    fn composite_keeps_available_parts_and_reasons() {
        let mut c = CompositeSource::new(vec![
            Box::new(UnavailableSource::new("no GPU")),
            Box::new(ReplaySource::constant_power(
                "rapl",
                "package-0",
                1.0,
                10,
                2,
            )),
        ]);
        assert_eq!(c.len(), 1);
        let info = c.info();
        assert_eq!(info.name, "replay");
        assert!(info.limitations.iter().any(|l| l.contains("no GPU")));
        assert_eq!(c.read().unwrap().rows.len(), 1);
        let none = CompositeSource::new(vec![Box::new(UnavailableSource::new("a"))]);
        assert!(none.is_empty());
        assert_eq!(none.info().label(), "unavailable: none: a");
    }
}
