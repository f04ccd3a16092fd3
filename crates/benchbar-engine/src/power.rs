//! Glue between `benchbar-power` sessions and the core's plain energy records.

use std::time::Duration;

use benchbar_core::report::{CellPower, PowerPoint, RunPower};
use benchbar_core::sample::{TrialEnergy, TrialSample};
use benchbar_power::{PowerReport, PowerSession, Snapshot};

/// Timeline sampling interval (250–500 ms per the design).
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(250);
/// Idle window measured before the run and subtracted as baseline.
pub const IDLE_WINDOW: Duration = Duration::from_secs(1);

/// Opens the platform's default energy source and starts a session (idle window first).
/// When no source is usable the session is "unavailable" and every reading is absent.
pub fn start_session() -> PowerSession {
    PowerSession::start(
        benchbar_power::open_default_source(),
        SAMPLE_INTERVAL,
        IDLE_WINDOW,
    )
}

/// Prefill (start → first token) and decode (first token → end) joules of a trial.
pub fn trial_energy(
    p: &PowerSession,
    start: &Snapshot,
    first: &Snapshot,
    end: &Snapshot,
) -> TrialEnergy {
    TrialEnergy {
        prefill_j: p.energy_between(start, first).map(|e| e.total_j),
        decode_j: p.energy_between(first, end).map(|e| e.total_j),
    }
}

/// A cell's energy from the first measured trial's start to the last one's end.
pub fn cell_power(
    p: &PowerSession,
    start: &Snapshot,
    end: &Snapshot,
    trials: &[TrialSample],
) -> CellPower {
    let tokens: u64 = trials
        .iter()
        .filter(|t| t.ok())
        .flat_map(|t| &t.requests)
        .map(|r| u64::from(r.generated_tokens()))
        .sum();
    let sum = |f: fn(&TrialEnergy) -> Option<f64>| -> Option<f64> {
        let xs: Vec<f64> = trials
            .iter()
            .filter_map(|t| t.energy.as_ref().and_then(f))
            .collect();
        (!xs.is_empty()).then(|| xs.iter().sum())
    };
    CellPower {
        prefill_j: sum(|e| e.prefill_j),
        decode_j: sum(|e| e.decode_j),
        ..p.cell_power(start, end, tokens)
    }
}

/// Ends the session and gathers the run-level power, memory and thermal context.
pub fn finish_session(p: PowerSession) -> RunPower {
    let report: PowerReport = p.finish();
    let state = benchbar_power::read_thermal_power_state(report.thermal_pressure.clone());
    let mem = benchbar_power::system_memory();
    let freqs = &state.cpu_freq_khz;
    RunPower {
        power_source: report.power_source,
        idle_w: report.idle_w,
        peak_power_w: report.peak_power_w,
        sampler_cpu_pct: report.sampler_cpu_pct,
        timeline: report
            .timeline
            .iter()
            .map(|s| PowerPoint {
                t_ms: s.t_ms,
                total_w: s.total_w,
            })
            .collect(),
        thermal_pressure: state.thermal_pressure,
        on_battery: state.on_battery,
        low_power_mode: state.low_power_mode,
        cpu_freq_khz: (!freqs.is_empty()).then(|| freqs.iter().sum::<u64>() / freqs.len() as u64),
        process_peak_memory_bytes: benchbar_power::process_peak().map(|p| p.peak_bytes),
        system_memory_total_bytes: Some(mem.total_bytes),
        system_memory_available_bytes: Some(mem.available_bytes),
    }
}

/// Warnings for cells whose decode rate declines steadily across repetitions (possible
/// thermal throttling).
pub fn throttling_warnings(cells: &[benchbar_core::report::CellRaw]) -> Vec<String> {
    let criteria = benchbar_power::ThrottleCriteria::default();
    cells
        .iter()
        .filter_map(|c| {
            let tps: Vec<f64> = c
                .trials
                .iter()
                .filter_map(|t| benchbar_core::metrics::trial_metrics(t).decode_tps)
                .collect();
            let v = benchbar_power::detect_throttling(&tps, &criteria);
            v.suspected.then(|| {
                format!(
                    "{}@{}: decode tok/s fell steadily across reps ({:+.1}%): possible thermal throttling",
                    c.plan.test, c.plan.batch_size, v.fitted_change_pct
                )
            })
        })
        .collect()
}
