//! [`ReplaySource`], the test double among the sources: it replays recorded or synthetic
//! counter readings; [`Recording`] records a live source so that it can be replayed.
//! Built for this crate's tests and, with the `testing` feature, for other crates' tests.

use crate::error::{PowerError, Result};
use crate::math::{classify_domain, CounterRow, Domain};
use crate::sources::{Availability, EnergySource, Reading, SourceInfo};

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
            .filter_map(|r| classify_domain(&r.group, &r.channel, &r.unit))
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
}
