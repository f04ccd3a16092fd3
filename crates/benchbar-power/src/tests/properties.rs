//! Property tests: the energy core and the small text parsers never panic, and
//! accumulated energy behaves like energy.

use crate::math::{
    counter_delta, phase_energy, CounterRow, Domain, EnergyAccumulator, EnergyPoint,
};
use crate::sources::rapl::parse_uj;
use crate::system::memory::parse_vm_hwm_bytes;
use crate::system::state::{
    parse_pmset_batt, parse_pmset_low_power_mode, parse_scaling_cur_freq_khz,
};
use crate::system::throttle::{detect_throttling, ThrottleCriteria};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A counter with a known range, read more often than half a wrap, accumulates
    /// exactly the true increments whatever its starting value.
    #[test]
    fn wrapping_counter_accumulates_true_increments(
        max in 1_000u64..10_000_000,
        start_frac in 0.0f64..1.0,
        steps in proptest::collection::vec(0.0f64..0.5, 1..50),
    ) {
        let mut value = (start_frac * max as f64) as u64;
        let mut acc = EnergyAccumulator::new();
        let row = |v: u64| CounterRow::new("rapl", "package-0", "uJ", v).with_max_range(max);
        acc.update(&[row(value)]);
        let mut truth = 0u64;
        for f in steps {
            let inc = (f * max as f64) as u64;
            truth += inc;
            // The counter runs 0..=max, so it wraps modulo max (as counter_delta assumes).
            value = if value + inc > max { value + inc - max } else { value + inc };
            acc.update(&[row(value)]);
        }
        let got = acc.totals()[&Domain::Package];
        prop_assert!((got - truth as f64 * 1e-6).abs() < 1e-9, "{} vs {}", got, truth);
        prop_assert_eq!(acc.dropped_samples(), 0);
    }

    /// Arbitrary readings never panic, and cumulative energy never decreases and stays
    /// finite.
    #[test]
    fn arbitrary_readings_are_monotone(
        readings in proptest::collection::vec(
            (any::<u64>(), proptest::option::of(any::<u64>()), 0usize..4), 1..64),
    ) {
        let units = ["mJ", "uJ", "nJ", "W"];
        let mut acc = EnergyAccumulator::new();
        let mut last_total = 0.0f64;
        for (v, max, u) in readings {
            let mut row = CounterRow::new("nvml", "gpu0", units[u], v);
            row.max_range = max;
            let t = acc.update(&[row]);
            let total: f64 = t.values().sum();
            prop_assert!(total.is_finite());
            prop_assert!(total >= last_total);
            last_total = total;
        }
    }

    #[test]
    fn counter_delta_never_panics(a in any::<u64>(), b in any::<u64>(), m in proptest::option::of(any::<u64>())) {
        if let Some(d) = counter_delta(a, b, m).units() {
            if b >= a {
                prop_assert_eq!(d, b - a);
            } else {
                let m = m.unwrap();
                prop_assert!(d <= m / 2);
            }
        }
    }

    #[test]
    fn phase_energy_is_non_negative(
        t0 in 0u64..1_000_000_000_000, dt in 0u64..1_000_000_000,
        e0 in 0.0f64..1e6, e1 in 0.0f64..1e6, idle in proptest::option::of(0.0f64..1e3),
    ) {
        let a = EnergyPoint { t_ns: t0, domains_j: [(Domain::Cpu, e0)].into_iter().collect() };
        let b = EnergyPoint { t_ns: t0 + dt, domains_j: [(Domain::Cpu, e1)].into_iter().collect() };
        let base = idle.map(|w| crate::math::IdleBaseline {
            idle_w: w,
            domains_w: [(Domain::Cpu, w)].into_iter().collect(),
            window_s: 1.0,
        });
        let p = phase_energy(&a, &b, base.as_ref()).unwrap();
        prop_assert!(p.total_j >= 0.0 && p.net_j >= 0.0 && p.net_j <= p.total_j);
        if dt == 0 {
            prop_assert!(p.avg_power_w.is_none());
        } else {
            prop_assert!(p.avg_power_w.unwrap().is_finite());
        }
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,200}") {
        let _ = parse_uj(&s);
        let _ = parse_vm_hwm_bytes(&s);
        let _ = parse_pmset_batt(&s);
        let _ = parse_pmset_low_power_mode(&s);
        let _ = parse_scaling_cur_freq_khz(&s);
    }

    #[test]
    fn structured_status_lines(kib in any::<u32>(), junk in "[a-zA-Z]{0,5}") {
        let text = format!("Name:\t{junk}\nVmHWM:\t{kib} kB\n");
        prop_assert_eq!(parse_vm_hwm_bytes(&text), Some(u64::from(kib) * 1024));
    }

    #[test]
    fn throttling_never_panics(xs in proptest::collection::vec(any::<f64>(), 0..40)) {
        let v = detect_throttling(&xs, &ThrottleCriteria::default());
        prop_assert!(v.down_fraction >= 0.0 && v.down_fraction <= 1.0);
    }
}
