//! What two cumulative [`EnergyPoint`]s give (pure, no I/O): the energy of a phase between
//! them, an idle baseline that is subtracted (raw and net are both kept), the power timeline
//! and its peak, and tokens per joule.

use serde::{Deserialize, Serialize};

use crate::math::{total_basis, total_of, DomainMap, EnergyPoint, TotalBasis};

/// Idle power measured in a quiet window before the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleBaseline {
    /// Total idle power in watts.
    pub idle_w: f64,
    /// Idle power per domain in watts.
    pub domains_w: DomainMap,
    /// Length of the idle window in seconds.
    pub window_s: f64,
}

/// The idle baseline from points taken at the start and end of an idle window;
/// `None` when the window has no length.
pub fn idle_baseline(start: &EnergyPoint, end: &EnergyPoint) -> Option<IdleBaseline> {
    let elapsed_s = elapsed_s(start.t_ns, end.t_ns)?;
    let domains_j = domain_deltas(start, end);
    let domains_w: DomainMap = domains_j.iter().map(|(d, j)| (*d, j / elapsed_s)).collect();
    Some(IdleBaseline {
        idle_w: total_of(&domains_j) / elapsed_s,
        domains_w,
        window_s: elapsed_s,
    })
}

/// Energy of one phase (prefill, decode, a whole cell) between two points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseEnergy {
    /// Phase length in seconds.
    pub elapsed_s: f64,
    /// Raw energy in joules ([`total_of`] the domains).
    pub total_j: f64,
    /// Whether `total_j` is the system figure or the sum of components.
    pub total_basis: TotalBasis,
    /// Raw energy per domain in joules.
    pub domains_j: DomainMap,
    /// Energy above idle: `total_j - idle_w * elapsed_s`, clamped at 0.
    /// Equal to `total_j` when no idle baseline was measured.
    pub net_j: f64,
    /// Energy above idle per domain, each clamped at 0.
    pub domains_net_j: DomainMap,
    /// The idle power subtracted, when an idle baseline exists.
    pub idle_w: Option<f64>,
    /// Average raw power in watts; `None` for a zero-length phase.
    pub avg_power_w: Option<f64>,
    /// Average power above idle in watts; `None` for a zero-length phase.
    pub net_avg_power_w: Option<f64>,
}

fn elapsed_s(start_ns: u64, end_ns: u64) -> Option<f64> {
    if end_ns > start_ns {
        Some((end_ns - start_ns) as f64 / 1e9)
    } else {
        None
    }
}

fn domain_deltas(start: &EnergyPoint, end: &EnergyPoint) -> DomainMap {
    end.domains_j
        .iter()
        .map(|(d, e)| {
            let s = start.domains_j.get(d).copied().unwrap_or(0.0);
            (*d, (e - s).max(0.0))
        })
        .collect()
}

/// Energy between two points, with the idle baseline subtracted when given.
///
/// Returns `None` when `end` is earlier than `start`. A zero-length phase gives zero
/// joules and no average power (never a division by zero).
pub fn phase_energy(
    start: &EnergyPoint,
    end: &EnergyPoint,
    idle: Option<&IdleBaseline>,
) -> Option<PhaseEnergy> {
    if end.t_ns < start.t_ns {
        return None;
    }
    let elapsed = (end.t_ns - start.t_ns) as f64 / 1e9;
    let domains_j = domain_deltas(start, end);
    let total_j = total_of(&domains_j);
    let (net_j, domains_net_j) = match idle {
        Some(idle) => {
            let net = net_energy_j(total_j, idle.idle_w, elapsed);
            let per: DomainMap = domains_j
                .iter()
                .map(|(d, j)| {
                    let w = idle.domains_w.get(d).copied().unwrap_or(0.0);
                    (*d, net_energy_j(*j, w, elapsed))
                })
                .collect();
            (net, per)
        }
        None => (total_j, domains_j.clone()),
    };
    Some(PhaseEnergy {
        elapsed_s: elapsed,
        total_j,
        total_basis: total_basis(&domains_j),
        net_j,
        domains_j,
        domains_net_j,
        idle_w: idle.map(|i| i.idle_w),
        avg_power_w: average_power_w(total_j, elapsed),
        net_avg_power_w: average_power_w(net_j, elapsed),
    })
}

/// `energy_j - idle_w * elapsed_s`, clamped at 0.
pub fn net_energy_j(energy_j: f64, idle_w: f64, elapsed_s: f64) -> f64 {
    let net = energy_j - idle_w * elapsed_s;
    if net.is_finite() && net > 0.0 {
        net
    } else {
        0.0
    }
}

/// Average power in watts, `None` when `elapsed_s` is not positive or the result is
/// not finite.
pub fn average_power_w(energy_j: f64, elapsed_s: f64) -> Option<f64> {
    if elapsed_s > 0.0 {
        let w = energy_j / elapsed_s;
        w.is_finite().then_some(w)
    } else {
        None
    }
}

/// One point of the watts timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerSample {
    /// End of the interval, in milliseconds since the session started.
    pub t_ms: f64,
    /// Average power per domain over the interval, in watts.
    pub domains_w: DomainMap,
    /// Total average power over the interval ([`total_of`]), in watts.
    pub total_w: f64,
}

/// The average power between two points as a timeline sample; `None` for a
/// zero-length or reversed interval. `origin_ns` is the session start.
pub fn power_sample(start: &EnergyPoint, end: &EnergyPoint, origin_ns: u64) -> Option<PowerSample> {
    let elapsed = elapsed_s(start.t_ns, end.t_ns)?;
    let domains_j = domain_deltas(start, end);
    let domains_w: DomainMap = domains_j.iter().map(|(d, j)| (*d, j / elapsed)).collect();
    Some(PowerSample {
        t_ms: end.t_ns.saturating_sub(origin_ns) as f64 / 1e6,
        total_w: total_of(&domains_j) / elapsed,
        domains_w,
    })
}

/// The watts timeline of consecutive points (zero-length intervals skipped).
#[cfg(test)]
pub fn power_timeline(points: &[EnergyPoint], origin_ns: u64) -> Vec<PowerSample> {
    points
        .windows(2)
        .filter_map(|w| power_sample(&w[0], &w[1], origin_ns))
        .collect()
}

/// The highest total power of a timeline, `None` when it is empty.
pub fn peak_power_w(samples: &[PowerSample]) -> Option<f64> {
    samples
        .iter()
        .map(|s| s.total_w)
        .filter(|w| w.is_finite())
        .fold(None, |acc: Option<f64>, w| {
            Some(acc.map_or(w, |a| a.max(w)))
        })
}

/// Tokens per joule; `None` when the energy is not positive.
pub fn tokens_per_joule(tokens: u64, energy_j: f64) -> Option<f64> {
    (energy_j > 0.0 && energy_j.is_finite()).then(|| tokens as f64 / energy_j)
}

/// Joules per token; `None` for zero tokens.
pub fn joules_per_token(energy_j: f64, tokens: u64) -> Option<f64> {
    (tokens > 0 && energy_j.is_finite()).then(|| energy_j / tokens as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::Domain;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    fn point(t_ms: u64, pairs: &[(Domain, f64)]) -> EnergyPoint {
        EnergyPoint {
            t_ns: t_ms * 1_000_000,
            domains_j: pairs.iter().copied().collect(),
        }
    }

    #[test]
    fn idle_subtraction_keeps_raw_and_net() {
        // Idle: 2 J over 1 s in cpu, 1 J over 1 s in gpu => 3 W.
        let i0 = point(0, &[(Domain::Cpu, 0.0), (Domain::Gpu, 0.0)]);
        let i1 = point(1000, &[(Domain::Cpu, 2.0), (Domain::Gpu, 1.0)]);
        let idle = idle_baseline(&i0, &i1).unwrap();
        assert!(close(idle.idle_w, 3.0, 1e-12));
        assert!(close(idle.domains_w[&Domain::Cpu], 2.0, 1e-12));
        assert!(close(idle.window_s, 1.0, 1e-12));
        // Prefill: 0.5 s, cpu +6 J, gpu +0.2 J.
        let p0 = point(2000, &[(Domain::Cpu, 4.0), (Domain::Gpu, 2.0)]);
        let p1 = point(2500, &[(Domain::Cpu, 10.0), (Domain::Gpu, 2.2)]);
        let ph = phase_energy(&p0, &p1, Some(&idle)).unwrap();
        assert!(close(ph.total_j, 6.2, 1e-9));
        assert!(close(ph.net_j, 6.2 - 3.0 * 0.5, 1e-9));
        assert!(close(ph.domains_net_j[&Domain::Cpu], 6.0 - 1.0, 1e-9));
        // gpu: 0.2 J - 1 W * 0.5 s < 0 => clamped.
        assert_eq!(ph.domains_net_j[&Domain::Gpu], 0.0);
        assert!(close(ph.avg_power_w.unwrap(), 12.4, 1e-9));
        assert!(close(ph.net_avg_power_w.unwrap(), 9.4, 1e-9));
        assert_eq!(ph.idle_w, Some(3.0));
        // A phase quieter than idle is clamped at 0, raw kept.
        let q = phase_energy(&p0, &point(3000, &[(Domain::Cpu, 4.5)]), Some(&idle)).unwrap();
        assert!(close(q.total_j, 0.5, 1e-12));
        assert_eq!(q.net_j, 0.0);
    }

    #[test]
    fn zero_and_reversed_elapsed_time() {
        let a = point(100, &[(Domain::Cpu, 1.0)]);
        let z = phase_energy(&a, &a, None).unwrap();
        assert_eq!(z.elapsed_s, 0.0);
        assert_eq!(z.total_j, 0.0);
        assert_eq!(z.avg_power_w, None);
        assert!(idle_baseline(&a, &a).is_none());
        assert!(power_sample(&a, &a, 0).is_none());
        let earlier = point(50, &[(Domain::Cpu, 0.0)]);
        assert!(phase_energy(&a, &earlier, None).is_none());
        assert_eq!(average_power_w(1.0, 0.0), None);
        assert_eq!(average_power_w(1.0, -1.0), None);
        assert_eq!(net_energy_j(1.0, f64::NAN, 1.0), 0.0);
    }

    #[test]
    fn timeline_and_peak() {
        let pts = vec![
            point(0, &[(Domain::Cpu, 0.0)]),
            point(250, &[(Domain::Cpu, 1.0)]),
            point(250, &[(Domain::Cpu, 1.0)]),
            point(500, &[(Domain::Cpu, 3.0)]),
        ];
        let tl = power_timeline(&pts, 0);
        assert_eq!(tl.len(), 2);
        assert!(close(tl[0].total_w, 4.0, 1e-9));
        assert!(close(tl[0].t_ms, 250.0, 1e-9));
        assert!(close(tl[1].total_w, 8.0, 1e-9));
        assert!(close(tl[1].domains_w[&Domain::Cpu], 8.0, 1e-9));
        assert!(close(peak_power_w(&tl).unwrap(), 8.0, 1e-12));
        assert_eq!(peak_power_w(&[]), None);
    }

    #[test]
    fn tokens_and_joules() {
        assert!(close(tokens_per_joule(100, 50.0).unwrap(), 2.0, 1e-12));
        assert_eq!(tokens_per_joule(100, 0.0), None);
        assert_eq!(tokens_per_joule(100, -1.0), None);
        assert!(close(joules_per_token(50.0, 100).unwrap(), 0.5, 1e-12));
        assert_eq!(joules_per_token(50.0, 0), None);
    }
}
