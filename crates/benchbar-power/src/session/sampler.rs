//! The sampler thread: on a fixed schedule, the watts timeline (the source's instantaneous
//! power where it has one, else its counters' difference over the tick) and the device-memory
//! peak, reading no more of the source than that needs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Inner, SamplerStats, State, StopFlag};
use crate::math::{power_sample, DomainMap, EnergyPoint, PowerSample};
use crate::system::os::thread_cpu_time_ns;

pub(super) fn sampler_loop(
    inner: Arc<Inner>,
    stop: StopFlag,
    interval: Duration,
    mut prev: Option<EnergyPoint>,
) -> SamplerStats {
    let started = Instant::now();
    // Counters are read on a tick only where the source needs it (counters that wrap, or a
    // timeline differentiated from them); their snapshots at phase bounds give the joules.
    // A property of the source: asked once.
    let counters = inner.lock().source.counters_on_ticks();
    let mut last_memory: Option<Instant> = None;
    let (flag, cv) = &*stop;
    let mut next = Instant::now() + interval;
    loop {
        {
            let mut stopped = flag.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if *stopped {
                    return SamplerStats {
                        cpu_ns: thread_cpu_time_ns(),
                        wall_ns: u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX),
                    };
                }
                let now = Instant::now();
                if now >= next {
                    break;
                }
                stopped = cv
                    .wait_timeout(stopped, next - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        }
        // Fixed-rate schedule; after a long stall, resume from now instead of bursting.
        next += interval;
        let now = Instant::now();
        if next < now {
            next = now + interval;
        }
        let tick_ns = inner.now_ns();
        let snap = counters.then(|| inner.tick_snapshot());
        let mut st = inner.lock();
        // The device-memory level persists (allocators keep their buffers), so once a second
        // catches its peak; every tick would double the sampler's driver calls (NVML).
        if last_memory.is_none_or(|t: Instant| t.elapsed() >= DEVICE_MEMORY_EVERY) {
            last_memory = Some(Instant::now());
            read_device_memory(&mut st);
        }
        let instant = st.source.power_now_w();
        let cur = snap.and_then(|s| s.point);
        let differentiated = match (&prev, &cur) {
            (Some(p), Some(c)) => power_sample(p, c, 0),
            _ => None,
        };
        let sample = timeline_sample(
            differentiated,
            instant,
            cur.as_ref().map_or(tick_ns, |c| c.t_ns),
        );
        st.timeline.extend(sample);
        if cur.is_some() {
            prev = cur;
        }
    }
}

/// How often the sampler reads the device memory in use.
const DEVICE_MEMORY_EVERY: Duration = Duration::from_secs(1);

pub(super) fn read_device_memory(st: &mut State) {
    if let Some(bytes) = st.source.device_memory_used_bytes() {
        st.device_memory_peak_bytes =
            Some(st.device_memory_peak_bytes.map_or(bytes, |p| p.max(bytes)));
    }
}

/// One timeline point: the counters' average power over the tick, with each domain the
/// source reads instantaneously (NVML's `power_usage`) taken from that reading instead.
fn timeline_sample(
    differentiated: Option<PowerSample>,
    instant: Option<DomainMap>,
    t_ns: u64,
) -> Option<PowerSample> {
    let (t_ms, mut domains_w) = match differentiated {
        Some(s) => (s.t_ms, s.domains_w),
        None if instant.is_some() => (t_ns as f64 / 1e6, DomainMap::new()),
        None => return None,
    };
    domains_w.extend(instant.unwrap_or_default());
    Some(PowerSample {
        t_ms,
        total_w: crate::math::total_of(&domains_w),
        domains_w,
    })
}
