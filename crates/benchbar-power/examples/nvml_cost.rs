//! What each NVML call the power sampler could make costs the calling thread (CPU time, which
//! is what the sampler's "% of one core" counts), on GPU 0: the handle lookup, the energy
//! counter, `power_usage`, the memory info and a field-values read. With it, the sampler's
//! per-tick cost of a design is a sum, and its share of a core at 250 ms ticks a division.
//! Run on an NVIDIA machine (docs/performance.md):
//!
//!     cargo run --release -p benchbar-power --example nvml_cost -- 400

#[cfg(target_os = "linux")]
fn main() {
    use nvml_wrapper::enum_wrappers::device::Clock;
    use nvml_wrapper::structs::device::FieldId;
    use nvml_wrapper::sys_exports::field_id::NVML_FI_DEV_POWER_INSTANT;
    use nvml_wrapper::Nvml;

    let calls: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(400);
    let nvml = match Nvml::init() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: NVML not usable: {e}");
            std::process::exit(2);
        }
    };
    let device = match nvml.device_by_index(0) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: no GPU 0: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "gpu0: {}; {calls} calls each, CPU time of this thread per call",
        device.name().unwrap_or_default()
    );
    let mut per_call_us = std::collections::BTreeMap::new();
    let mut time = |name: &str, f: &mut dyn FnMut() -> bool| {
        for _ in 0..10 {
            f();
        }
        let (cpu0, wall0) = (thread_cpu_ns(), std::time::Instant::now());
        let mut ok = true;
        for _ in 0..calls {
            ok &= f();
        }
        let cpu_us = (thread_cpu_ns() - cpu0) as f64 / 1e3 / f64::from(calls);
        let wall_us = wall0.elapsed().as_secs_f64() * 1e6 / f64::from(calls);
        println!(
            "{name:<32} {cpu_us:>9.1} µs CPU {wall_us:>9.1} µs wall{}",
            if ok { "" } else { "  (failed)" }
        );
        per_call_us.insert(name.to_owned(), cpu_us);
    };
    time("device_by_index", &mut || nvml.device_by_index(0).is_ok());
    time("total_energy_consumption", &mut || {
        device.total_energy_consumption().is_ok()
    });
    time("power_usage", &mut || device.power_usage().is_ok());
    time("memory_info", &mut || device.memory_info().is_ok());
    time("field_values(power_instant)", &mut || {
        device
            .field_values_for(&[FieldId(NVML_FI_DEV_POWER_INSTANT)])
            .is_ok()
    });
    time("clock_info(sm)", &mut || {
        device.clock_info(Clock::SM).is_ok()
    });
    let c = |k: &str| per_call_us.get(k).copied().unwrap_or(f64::NAN);
    // Per 250 ms tick, in % of one core: µs per tick / 250,000 µs × 100.
    let pct = |us: f64| us / 2_500.0;
    let before = 3.0 * c("device_by_index")
        + c("total_energy_consumption")
        + c("memory_info")
        + c("power_usage");
    let after = c("power_usage") + c("memory_info") / 4.0;
    println!(
        "sampler at 250 ms, NVML calls only: before (3 lookups + energy + memory + power a \
         tick) {:.2}% of a core; now (power a tick, memory once a second) {:.2}%",
        pct(before),
        pct(after)
    );
}

#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID needs nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("error: NVML is read on Linux only");
    std::process::exit(2);
}
