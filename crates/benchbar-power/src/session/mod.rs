//! The measuring session the benchmark runner drives: idle baseline, background
//! sampler for the watts timeline, cheap snapshots at phase boundaries.

mod sampler;
mod window;

pub use window::{measure_window, WindowReport};

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::math::{
    idle_baseline, joules_per_token, peak_power_w, phase_energy, power_sample, tokens_per_joule,
    IdleBaseline, PhaseEnergy, PowerSample,
};
use crate::math::{EnergyAccumulator, EnergyPoint};
use crate::sources::{EnergySource, Reading, SourceInfo};
use sampler::{read_device_memory, sampler_loop};

/// Cumulative energy at one instant, taken by [`PowerSession::snapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Nanoseconds since the session started (monotonic).
    pub t_ns: u64,
    /// Cumulative joules per domain; `None` when the source is unavailable or the read
    /// failed.
    pub point: Option<EnergyPoint>,
}

/// A snapshot being taken on another thread ([`PowerSession::snapshot_later`]).
#[derive(Debug)]
pub enum PendingSnapshot {
    /// Being read.
    Reading(JoinHandle<Snapshot>),
    /// Already read.
    Ready(Snapshot),
}

impl PendingSnapshot {
    /// The snapshot, once its read has finished (without a reading if that thread died).
    pub fn wait(self) -> Snapshot {
        match self {
            PendingSnapshot::Ready(s) => s,
            PendingSnapshot::Reading(h) => h.join().unwrap_or(Snapshot {
                t_ns: 0,
                point: None,
            }),
        }
    }
}

/// Energy figures of one benchmark cell: the core's record (prefill/decode joules are filled
/// by the runner from per-trial snapshots).
pub use benchbar_core::report::CellPower;

/// What a session measured, returned by [`PowerSession::finish`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerReport {
    /// `power_source` string: the source name or `"unavailable: <reason>"`.
    pub power_source: String,
    /// The source and what it can and cannot see.
    pub source: SourceInfo,
    /// Idle power in watts, when an idle window was measured.
    pub idle_w: Option<f64>,
    /// The idle baseline in detail.
    pub idle: Option<IdleBaseline>,
    /// The watts timeline from the sampler.
    pub timeline: Vec<PowerSample>,
    /// Highest total power of the timeline.
    pub peak_power_w: Option<f64>,
    /// Energy from the end of the idle window to `finish`.
    pub total: Option<PhaseEnergy>,
    /// The requested sampler interval in milliseconds.
    pub sample_interval_ms: f64,
    /// CPU time the sampler thread used, in milliseconds.
    pub sampler_cpu_ms: Option<f64>,
    /// Sampler CPU time as a percentage of one core over its lifetime.
    pub sampler_cpu_pct: Option<f64>,
    /// Samples dropped (counter going backwards or a failed read).
    pub samples_dropped: u64,
    /// Counter wraps handled.
    pub counter_wraps: u64,
    /// Warnings (each kind once).
    pub warnings: Vec<String>,
    /// Thermal pressure at the end, if the source sees it.
    pub thermal_pressure: Option<String>,
    /// Highest device (GPU) memory in use seen by the sampler, in bytes.
    pub device_memory_peak_bytes: Option<u64>,
}

struct State {
    source: Box<dyn EnergySource>,
    acc: EnergyAccumulator,
    timeline: Vec<PowerSample>,
    warnings: Vec<String>,
    read_errors: u64,
    device_memory_peak_bytes: Option<u64>,
}

struct Inner {
    origin: Instant,
    info: SourceInfo,
    available: bool,
    state: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another holder must not take the benchmark down: use the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn snapshot(&self) -> Snapshot {
        self.snapshot_by(|s| s.read())
    }

    /// A snapshot of what the sampler reads on a tick ([`EnergySource::read_on_tick`]).
    fn tick_snapshot(&self) -> Snapshot {
        self.snapshot_by(|s| s.read_on_tick())
    }

    fn snapshot_by(
        &self,
        read: impl FnOnce(&mut dyn EnergySource) -> crate::Result<Reading>,
    ) -> Snapshot {
        if !self.available {
            return Snapshot {
                t_ns: self.now_ns(),
                point: None,
            };
        }
        let mut st = self.lock();
        let now = self.now_ns();
        match read(st.source.as_mut()) {
            Ok(reading) => {
                let t_ns = reading.t_ns.unwrap_or(now);
                let domains_j = st.acc.update(&reading.rows);
                let new_warnings = st.acc.take_warnings();
                for w in new_warnings {
                    push_warning(&mut st.warnings, w);
                }
                Snapshot {
                    t_ns,
                    point: Some(EnergyPoint { t_ns, domains_j }),
                }
            }
            Err(e) => {
                st.read_errors += 1;
                push_warning(
                    &mut st.warnings,
                    format!("read failed, sample dropped: {e}"),
                );
                Snapshot {
                    t_ns: now,
                    point: None,
                }
            }
        }
    }
}

fn push_warning(warnings: &mut Vec<String>, w: String) {
    if warnings.len() < 64 && !warnings.contains(&w) {
        warnings.push(w);
    }
}

struct SamplerStats {
    cpu_ns: Option<u64>,
    wall_ns: u64,
}

type StopFlag = Arc<(Mutex<bool>, Condvar)>;

/// A power measuring session over one [`EnergySource`].
///
/// All methods take `&self` except [`PowerSession::finish`]; the session is `Sync`, so a
/// per-token callback can call [`PowerSession::snapshot`] while the sampler runs. With
/// an unavailable source every call is cheap and returns `None`s; the run goes on.
pub struct PowerSession {
    inner: Arc<Inner>,
    idle: Option<IdleBaseline>,
    start_point: Option<EnergyPoint>,
    sample_interval: Duration,
    stop: StopFlag,
    sampler: Option<JoinHandle<SamplerStats>>,
}

impl PowerSession {
    /// Starts a session: measures the idle baseline over `idle_window` (blocking; skip it
    /// with `Duration::ZERO`), then starts a sampler thread that reads the counters every
    /// `sample_interval` (250–500 ms recommended; clamped to at least 10 ms) for the
    /// watts timeline. With an unavailable source, returns at once.
    pub fn start(
        source: Box<dyn EnergySource>,
        sample_interval: Duration,
        idle_window: Duration,
    ) -> PowerSession {
        let info = source.info();
        let available = info.availability.is_available();
        let inner = Arc::new(Inner {
            origin: Instant::now(),
            info,
            available,
            state: Mutex::new(State {
                source,
                acc: EnergyAccumulator::new(),
                timeline: Vec::new(),
                warnings: Vec::new(),
                read_errors: 0,
                device_memory_peak_bytes: None,
            }),
        });
        let sample_interval = sample_interval.max(Duration::from_millis(10));
        let stop: StopFlag = Arc::new((Mutex::new(false), Condvar::new()));
        let mut session = PowerSession {
            inner: Arc::clone(&inner),
            idle: None,
            start_point: None,
            sample_interval,
            stop: Arc::clone(&stop),
            sampler: None,
        };
        if !available {
            return session;
        }

        let first = inner.snapshot().point;
        let mut last = first.clone();
        if !idle_window.is_zero() {
            std::thread::sleep(idle_window);
            let second = inner.snapshot().point;
            if let (Some(a), Some(b)) = (&first, &second) {
                session.idle = idle_baseline(a, b);
                if let Some(s) = power_sample(a, b, 0) {
                    inner.lock().timeline.push(s);
                }
            }
            last = second;
        }
        session.start_point = last.clone();

        let thread_inner = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("benchbar-power-sampler".to_owned())
            .spawn(move || sampler_loop(thread_inner, stop, sample_interval, last));
        match handle {
            Ok(h) => session.sampler = Some(h),
            Err(e) => push_warning(
                &mut inner.lock().warnings,
                format!("sampler thread not started, no timeline: {e}"),
            ),
        }
        session
    }

    /// What the source is and sees.
    pub fn source_info(&self) -> &SourceInfo {
        &self.inner.info
    }

    /// The `power_source` string: the source name or `"unavailable: <reason>"`.
    pub fn power_source(&self) -> String {
        self.inner.info.label()
    }

    /// True when the source measures.
    pub fn is_available(&self) -> bool {
        self.inner.available
    }

    /// The idle baseline, when measured.
    pub fn idle(&self) -> Option<&IdleBaseline> {
        self.idle.as_ref()
    }

    /// Reads the cumulative counters now, with a monotonic timestamp; safe from any thread.
    /// One counter read under a short lock, but a read can cost milliseconds (NVML's energy
    /// counter: 3.8 ms of CPU on an H100): inside a timed region use [`Self::snapshot_later`].
    pub fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }

    /// Reads the counters on a thread of its own, started now, so that the caller (a decode
    /// loop at its first token) is not held for the read; [`PendingSnapshot::wait`] gives it.
    /// Where no thread can be started, reads now.
    pub fn snapshot_later(&self) -> PendingSnapshot {
        if !self.inner.available {
            return PendingSnapshot::Ready(self.inner.snapshot());
        }
        let inner = Arc::clone(&self.inner);
        match std::thread::Builder::new()
            .name("benchbar-power-mark".to_owned())
            .spawn(move || inner.snapshot())
        {
            Ok(handle) => PendingSnapshot::Reading(handle),
            Err(_) => PendingSnapshot::Ready(self.inner.snapshot()),
        }
    }

    /// Energy between two snapshots, idle subtracted; `None` when either snapshot has no
    /// reading or `end` is before `start`.
    pub fn energy_between(&self, start: &Snapshot, end: &Snapshot) -> Option<PhaseEnergy> {
        phase_energy(
            start.point.as_ref()?,
            end.point.as_ref()?,
            self.idle.as_ref(),
        )
    }

    /// The highest timeline power among samples ending between `start` and one sampler
    /// interval after `end`; `None` when there is none yet.
    pub fn peak_power_between(&self, start: &Snapshot, end: &Snapshot) -> Option<f64> {
        let lo_ms = start.t_ns as f64 / 1e6;
        let hi_ms = end.t_ns as f64 / 1e6 + self.sample_interval.as_secs_f64() * 1e3;
        let st = self.inner.lock();
        let inside: Vec<PowerSample> = st
            .timeline
            .iter()
            .filter(|s| s.t_ms >= lo_ms && s.t_ms <= hi_ms)
            .cloned()
            .collect();
        peak_power_w(&inside)
    }

    /// The per-cell figures for a cell between two snapshots that produced `tokens`.
    /// The peak is the timeline peak in the window, and at least the cell's average.
    pub fn cell_power(&self, start: &Snapshot, end: &Snapshot, tokens: u64) -> CellPower {
        let phase = self.energy_between(start, end);
        let avg = phase.as_ref().and_then(|p| p.avg_power_w);
        let peak = match (self.peak_power_between(start, end), avg) {
            (Some(p), Some(a)) => Some(p.max(a)),
            (p, a) => p.or(a),
        };
        CellPower {
            energy_j: phase.as_ref().map(|p| p.total_j),
            net_energy_j: phase.as_ref().map(|p| p.net_j),
            avg_power_w: avg,
            peak_power_w: peak.filter(|_| phase.is_some()),
            tokens_per_joule: phase
                .as_ref()
                .and_then(|p| tokens_per_joule(tokens, p.total_j)),
            joules_per_token: phase
                .as_ref()
                .and_then(|p| joules_per_token(p.total_j, tokens)),
            prefill_j: None,
            decode_j: None,
            power_source: self.power_source(),
        }
    }

    /// The timeline so far.
    pub fn timeline(&self) -> Vec<PowerSample> {
        self.inner.lock().timeline.clone()
    }

    fn stop_sampler(&mut self) -> Option<SamplerStats> {
        {
            let (flag, cv) = &*self.stop;
            *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
            cv.notify_all();
        }
        self.sampler.take().and_then(|h| h.join().ok())
    }

    /// Stops the sampler and returns everything measured.
    pub fn finish(mut self) -> PowerReport {
        let stats = self.stop_sampler();
        if self.inner.available {
            // The last second since the sampler's last device-memory read.
            read_device_memory(&mut self.inner.lock());
        }
        let end = if self.inner.available {
            self.inner.snapshot().point
        } else {
            None
        };
        let total = match (&self.start_point, &end) {
            (Some(a), Some(b)) => phase_energy(a, b, self.idle.as_ref()),
            _ => None,
        };
        let mut st = self.inner.lock();
        let warnings = std::mem::take(&mut st.warnings);
        let timeline = std::mem::take(&mut st.timeline);
        let (sampler_cpu_ms, sampler_cpu_pct) = match &stats {
            Some(SamplerStats {
                cpu_ns: Some(cpu),
                wall_ns,
            }) => (
                Some(*cpu as f64 / 1e6),
                (*wall_ns > 0).then(|| *cpu as f64 / *wall_ns as f64 * 100.0),
            ),
            _ => (None, None),
        };
        PowerReport {
            power_source: self.inner.info.label(),
            source: self.inner.info.clone(),
            idle_w: self.idle.as_ref().map(|i| i.idle_w),
            idle: self.idle.clone(),
            peak_power_w: peak_power_w(&timeline),
            timeline,
            total,
            sample_interval_ms: self.sample_interval.as_secs_f64() * 1e3,
            sampler_cpu_ms,
            sampler_cpu_pct,
            samples_dropped: st.acc.dropped_samples() + st.read_errors,
            counter_wraps: st.acc.wraps(),
            warnings,
            thermal_pressure: st.source.thermal_pressure(),
            device_memory_peak_bytes: st.device_memory_peak_bytes,
        }
    }
}

impl Drop for PowerSession {
    fn drop(&mut self) {
        if self.sampler.is_some() {
            let _ = self.stop_sampler();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{CounterRow, Domain};
    use crate::sources::composite::UnavailableSource;
    use crate::sources::replay::ReplaySource;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Test double: a replayed 10 W counter that also reports a 42 W instantaneous power
    /// reading, as NVML reports `power_usage` beside its energy counter.
    struct InstantPowerSource(ReplaySource);

    impl EnergySource for InstantPowerSource {
        fn info(&self) -> SourceInfo {
            self.0.info()
        }
        fn read(&mut self) -> crate::Result<crate::sources::Reading> {
            self.0.read()
        }
        fn power_now_w(&mut self) -> Option<crate::math::DomainMap> {
            Some([(Domain::Gpu, 42.0)].into_iter().collect())
        }
    }

    #[test]
    fn timeline_prefers_the_sources_instantaneous_power_joules_stay_on_counters() {
        let replay = ReplaySource::constant_power("nvml", "gpu0", 10.0, 50, 100_000);
        let session = PowerSession::start(
            Box::new(InstantPowerSource(replay)),
            Duration::from_millis(20),
            Duration::ZERO,
        );
        let a = session.snapshot();
        let deadline = Instant::now() + Duration::from_secs(5);
        while session.timeline().len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let b = session.snapshot();
        let timeline = session.timeline();
        assert!(
            timeline.len() >= 3,
            "sampler produced {} samples",
            timeline.len()
        );
        assert!(timeline.iter().all(|s| close(s.total_w, 42.0, 1e-9)));
        let e = session.energy_between(&a, &b).unwrap();
        assert!(close(e.avg_power_w.unwrap(), 10.0, 1e-6));
    }

    #[test]
    fn session_is_sync_and_send() {
        fn assert_sync<T: Sync + Send>() {}
        assert_sync::<PowerSession>();
    }

    #[test]
    fn unavailable_session_is_cheap_and_empty() {
        let t = Instant::now();
        let s = PowerSession::start(
            Box::new(UnavailableSource::new("nothing here")),
            Duration::from_millis(250),
            Duration::from_secs(5),
        );
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "idle window must be skipped"
        );
        assert!(!s.is_available());
        let a = s.snapshot();
        let b = s.snapshot();
        assert!(a.point.is_none());
        assert!(s.energy_between(&a, &b).is_none());
        let cell = s.cell_power(&a, &b, 10);
        assert_eq!(cell.energy_j, None);
        assert_eq!(cell.peak_power_w, None);
        assert_eq!(cell.power_source, "unavailable: nothing here");
        let r = s.finish();
        assert_eq!(r.power_source, "unavailable: nothing here");
        assert!(r.timeline.is_empty());
        assert_eq!(r.sampler_cpu_ms, None);
    }

    #[test]
    fn replayed_session_measures_idle_and_phases() {
        // 2 W for the first 100 ms (idle), 10 W afterwards, sampled every 50 ms of
        // recorded time.
        let mut frames = Vec::new();
        let mut uj = 0u64;
        for i in 0..400u64 {
            frames.push((
                i * 50_000_000,
                vec![CounterRow::new("rapl", "package-0", "uJ", uj)],
            ));
            uj += if i < 2 { 100_000 } else { 500_000 };
        }
        let s = PowerSession::start(
            Box::new(ReplaySource::timed(frames)),
            Duration::from_millis(10),
            Duration::from_millis(1),
        );
        assert!(s.is_available());
        let idle = s.idle().unwrap().clone();
        assert!(close(idle.idle_w, 2.0, 1e-9), "{idle:?}");
        let a = s.snapshot();
        std::thread::sleep(Duration::from_millis(40));
        let b = s.snapshot();
        let p = s.energy_between(&a, &b).unwrap();
        assert!(p.elapsed_s > 0.0);
        assert!(close(p.avg_power_w.unwrap(), 10.0, 1e-6), "{p:?}");
        assert!(close(p.net_j, p.total_j - 2.0 * p.elapsed_s, 1e-9));
        assert!(close(p.domains_j[&Domain::Package], p.total_j, 1e-12));
        let cell = s.cell_power(&a, &b, 100);
        assert_eq!(cell.power_source, "replay");
        assert!(close(
            cell.tokens_per_joule.unwrap(),
            100.0 / p.total_j,
            1e-9
        ));
        assert!(cell.peak_power_w.unwrap() >= 10.0 - 1e-6);
        // Wait (bounded) for the sampler to record busy samples, even on a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.timeline().len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let r = s.finish();
        assert!(close(r.idle_w.unwrap(), 2.0, 1e-9));
        assert!(!r.timeline.is_empty());
        assert!(
            close(r.peak_power_w.unwrap(), 10.0, 1e-6),
            "{:?}",
            r.peak_power_w
        );
        assert!(r.sampler_cpu_ms.is_some());
        assert!(r.total.is_some());
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"power_source\":\"replay\""));
    }

    #[test]
    fn snapshots_from_many_threads() {
        let s = Arc::new(PowerSession::start(
            Box::new(ReplaySource::constant_power("nvml", "gpu0", 5.0, 10, 1000)),
            Duration::from_millis(10),
            Duration::ZERO,
        ));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    let a = s.snapshot();
                    let b = s.snapshot();
                    s.energy_between(&a, &b)
                })
            })
            .collect();
        for h in handles {
            let p = h.join().unwrap().unwrap();
            if let Some(w) = p.avg_power_w {
                assert!(close(w, 5.0, 1e-6));
            }
        }
        let s = Arc::try_unwrap(s).ok().unwrap();
        assert!(s.idle().is_none());
        let r = s.finish();
        assert_eq!(r.idle_w, None);
    }

    #[test]
    fn read_failures_become_warnings() {
        struct Flaky(u32);
        impl EnergySource for Flaky {
            fn info(&self) -> SourceInfo {
                SourceInfo {
                    name: "flaky".into(),
                    availability: crate::sources::Availability::Available,
                    domains: vec![Domain::Cpu],
                    limitations: vec![],
                }
            }
            fn read(&mut self) -> crate::Result<crate::sources::Reading> {
                self.0 += 1;
                if self.0 & 1 == 0 {
                    Err(crate::PowerError::Platform("boom".into()))
                } else {
                    Ok(crate::sources::Reading {
                        rows: vec![CounterRow::new("x", "y", "mJ", u64::from(self.0))],
                        t_ns: None,
                    })
                }
            }
        }
        let s = PowerSession::start(
            Box::new(Flaky(0)),
            Duration::from_millis(10),
            Duration::ZERO,
        );
        let _ = s.snapshot();
        let _ = s.snapshot();
        let r = s.finish();
        assert!(r.samples_dropped >= 1);
        assert_eq!(r.warnings.iter().filter(|w| w.contains("boom")).count(), 1);
    }
}
