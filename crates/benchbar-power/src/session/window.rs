//! Measuring a fixed window of wall time: the diagnostic behind `benchbar power` and the
//! NVML cross-check (`examples/power_window.rs`), one code path for both.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::math::{PhaseEnergy, PowerSample};
use crate::session::PowerSession;
use crate::sources::EnergySource;

/// What a window measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowReport {
    /// Source name or `unavailable: <reason>`.
    pub power_source: String,
    /// Energy between the snapshots that opened and closed the window (None when the source
    /// is unavailable).
    pub energy: Option<PhaseEnergy>,
    /// The sampled timeline.
    pub timeline: Vec<PowerSample>,
    /// The sampler's own CPU use, percent of one core.
    pub sampler_cpu_pct: Option<f64>,
}

/// Opens the window (a counter snapshot, then `on_open`), calls `each_second` with the
/// latest timeline sample once per second, closes it (a snapshot, then `on_close`) after
/// `length`, and reports the energy in between.
pub fn measure_window(
    source: Box<dyn EnergySource>,
    sample_interval: Duration,
    length: Duration,
    on_open: &mut dyn FnMut(),
    each_second: &mut dyn FnMut(&PowerSample),
    on_close: &mut dyn FnMut(),
) -> WindowReport {
    let session = PowerSession::start(source, sample_interval, Duration::ZERO);
    let power_source = session.power_source();
    if !session.is_available() {
        return WindowReport {
            power_source,
            energy: None,
            timeline: vec![],
            sampler_cpu_pct: None,
        };
    }
    let start = session.snapshot();
    on_open();
    let t0 = Instant::now();
    let mut next = Duration::from_secs(1);
    while t0.elapsed() < length {
        let wait = next.min(length).saturating_sub(t0.elapsed());
        std::thread::sleep(wait);
        if t0.elapsed() >= next {
            if let Some(s) = session.timeline().last() {
                each_second(s);
            }
            next += Duration::from_secs(1);
        }
    }
    let end = session.snapshot();
    on_close();
    let energy = session.energy_between(&start, &end);
    let report = session.finish();
    WindowReport {
        power_source,
        energy,
        timeline: report.timeline,
        sampler_cpu_pct: report.sampler_cpu_pct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::replay::ReplaySource;

    #[test]
    fn replayed_constant_power_window() {
        // Test double: replayed counters at 20 W, one reading per 50 ms of replay time.
        let src = ReplaySource::constant_power("Energy Model", "GPU Energy", 20.0, 50, 10_000);
        let (mut opened, mut closed) = (0, 0);
        let r = measure_window(
            Box::new(src),
            Duration::from_millis(250),
            Duration::from_millis(300),
            &mut || opened += 1,
            &mut |_| {},
            &mut || closed += 1,
        );
        assert_eq!((opened, closed), (1, 1));
        let e = r.energy.unwrap();
        assert!((e.avg_power_w.unwrap() - 20.0).abs() < 1e-6);
        assert!((e.total_j - 20.0 * e.elapsed_s).abs() < 1e-6);
    }

    #[test]
    fn unavailable_source_reports_why() {
        let src = crate::sources::composite::UnavailableSource::new("no counters here");
        let r = measure_window(
            Box::new(src),
            Duration::from_millis(250),
            Duration::from_millis(10),
            &mut || panic!("an unavailable window is never opened"),
            &mut |_| {},
            &mut || {},
        );
        assert!(
            r.power_source.starts_with("unavailable: "),
            "{}",
            r.power_source
        );
        assert!(r.energy.is_none());
    }
}
