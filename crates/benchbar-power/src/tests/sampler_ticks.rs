//! What the sampler reads on a tick: counters only where the source needs them, device memory
//! once a second, each timeline domain from the source's instantaneous power where it has one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::math::{Domain, DomainMap};
use crate::session::PowerSession;
use crate::sources::composite::CompositeSource;
use crate::sources::replay::ReplaySource;
use crate::sources::{EnergySource, Reading, SourceInfo};

/// Test double: a replayed 10 W GPU counter with a 42 W `power_usage`, counting its counter
/// and device-memory reads, that says (as NVML's 64-bit counter does) whether the sampler
/// must read its counters on every tick.
struct CountingSource {
    replay: ReplaySource,
    on_ticks: bool,
    reads: Arc<AtomicUsize>,
    memory_reads: Arc<AtomicUsize>,
}

impl EnergySource for CountingSource {
    fn info(&self) -> SourceInfo {
        self.replay.info()
    }
    fn read(&mut self) -> crate::Result<Reading> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.replay.read()
    }
    fn device_memory_used_bytes(&mut self) -> Option<u64> {
        self.memory_reads.fetch_add(1, Ordering::SeqCst);
        Some(1 << 30)
    }
    fn power_now_w(&mut self) -> Option<DomainMap> {
        Some([(Domain::Gpu, 42.0)].into_iter().collect())
    }
    fn counters_on_ticks(&self) -> bool {
        self.on_ticks
    }
}

fn counting(on_ticks: bool) -> (CountingSource, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let reads = Arc::new(AtomicUsize::new(0));
    let memory_reads = Arc::new(AtomicUsize::new(0));
    let source = CountingSource {
        replay: ReplaySource::constant_power("nvml", "gpu0", 10.0, 20, 100_000),
        on_ticks,
        reads: Arc::clone(&reads),
        memory_reads: Arc::clone(&memory_reads),
    };
    (source, reads, memory_reads)
}

/// Runs a 20 ms sampler until it has `ticks` timeline points; returns the session's report.
fn sample(source: Box<dyn EnergySource>, ticks: usize) -> crate::session::PowerReport {
    let session = PowerSession::start(source, Duration::from_millis(20), Duration::ZERO);
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.timeline().len() < ticks && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    session.finish()
}

#[test]
fn a_counter_that_never_wraps_is_read_only_at_the_session_bounds() {
    let (source, reads, memory_reads) = counting(false);
    let report = sample(Box::new(source), 10);
    assert!(report.timeline.len() >= 10, "{:?}", report.timeline);
    assert!(report.timeline.iter().all(|s| s.total_w == 42.0));
    // Start and finish, none per tick; the joules are still the counter's (10 W).
    assert_eq!(reads.load(Ordering::SeqCst), 2);
    let total = report.total.expect("counter snapshots at both ends");
    assert!(
        (total.avg_power_w.unwrap() - 10.0).abs() < 1e-6,
        "{total:?}"
    );
    // 10+ ticks of 20 ms in well under 3 s: the first tick's read, perhaps one a second
    // later, and the one at finish.
    let m = memory_reads.load(Ordering::SeqCst);
    assert!((2..=4).contains(&m), "{m} device-memory reads");
    assert_eq!(report.device_memory_peak_bytes, Some(1 << 30));
}

#[test]
fn a_counter_that_may_wrap_is_read_every_tick() {
    let (source, reads, _) = counting(true);
    let report = sample(Box::new(source), 10);
    assert!(reads.load(Ordering::SeqCst) >= 2 + report.timeline.len() - 1);
    // The instantaneous reading still wins over the differentiated counter for its domain.
    assert!(report.timeline.iter().all(|s| s.total_w == 42.0));
}

#[test]
fn a_composite_takes_instant_power_where_a_part_has_it_and_counters_elsewhere() {
    let (gpu, gpu_reads, _) = counting(false);
    let cpu = ReplaySource::constant_power("rapl", "package-0", 7.0, 20, 100_000);
    let composite = CompositeSource::new(vec![Box::new(gpu), Box::new(cpu)]);
    // The RAPL-like part's counters need the ticks, so the composite's do.
    assert!(composite.counters_on_ticks());
    let report = sample(Box::new(composite), 10);
    let late: Vec<_> = report.timeline.iter().skip(1).collect();
    assert!(!late.is_empty());
    for s in late {
        assert_eq!(s.domains_w.get(&Domain::Gpu), Some(&42.0), "{s:?}");
        // The composite's reading has no time of its own: the counter's joules over the
        // tick's wall time, some watts (not exactly 7 W of the recording's time base).
        let cpu_w = s
            .domains_w
            .get(&Domain::Package)
            .copied()
            .unwrap_or(f64::NAN);
        assert!(cpu_w > 0.0, "{s:?}");
        assert!((s.total_w - (42.0 + cpu_w)).abs() < 1e-9, "{s:?}");
    }
    // The ticks read the RAPL-like part only: the GPU-like counter at start and finish.
    assert_eq!(gpu_reads.load(Ordering::SeqCst), 2);
}

/// Test double: a replayed counter whose every read takes 50 ms, as NVML's energy counter
/// takes milliseconds of a driver call.
struct SlowSource(ReplaySource);

impl EnergySource for SlowSource {
    fn info(&self) -> SourceInfo {
        self.0.info()
    }
    fn read(&mut self) -> crate::Result<Reading> {
        std::thread::sleep(Duration::from_millis(50));
        self.0.read()
    }
}

#[test]
fn a_snapshot_taken_later_does_not_hold_the_caller_for_the_read() {
    let replay = ReplaySource::constant_power("nvml", "gpu0", 10.0, 20, 100);
    let session = PowerSession::start(
        Box::new(SlowSource(replay)),
        Duration::from_secs(60),
        Duration::ZERO,
    );
    let a = session.snapshot();
    let t = Instant::now();
    let pending = session.snapshot_later();
    let returned_after = t.elapsed();
    let b = pending.wait();
    assert!(
        returned_after < Duration::from_millis(25),
        "held {returned_after:?} for a 50 ms read"
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
    // The read happened: one more frame of 10 W over 20 ms of the recording.
    let e = session.energy_between(&a, &b).unwrap();
    assert!((e.total_j - 0.2).abs() < 1e-9, "{e:?}");
}
