//! Drives cells through an engine: warmup (discarded), repetitions, fixed generation length,
//! a fresh prompt seed per trial, failed trials recorded, cancellation between tokens and
//! while an engine waits ([`Engine::run_trial_cancellable`]).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use benchbar_core::metrics::{trial_metrics, TrialMetrics};
use benchbar_core::report::{CellRaw, RunStatus};
use benchbar_core::sample::TrialSample;
use benchbar_core::spec::CellPlan;
use benchbar_power::PowerSession;

use crate::engine::{Engine, EngineError, TokenTick, TrialRequest};

/// Progress reported while running.
#[derive(Debug)]
pub enum RunnerEvent<'a> {
    /// A cell is starting.
    CellStarted {
        /// 0-based cell index.
        cell: usize,
        /// Number of cells.
        total: usize,
        /// Its plan.
        plan: &'a CellPlan,
    },
    /// A token arrived.
    Token {
        /// Cell index.
        cell: usize,
        /// True during warmup.
        warmup: bool,
        /// The token.
        tick: TokenTick,
    },
    /// A trial finished (successfully or not).
    TrialDone {
        /// Cell index.
        cell: usize,
        /// True for a warmup trial.
        warmup: bool,
        /// Its numbers.
        metrics: Box<TrialMetrics>,
    },
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// Completed cells (a cell interrupted by cancellation is dropped whole).
    pub cells: Vec<CellRaw>,
    /// How the run ended.
    pub status: RunStatus,
    /// Failed trials and other notes.
    pub warnings: Vec<String>,
}

/// A seed unique to (cell, trial, warmup) so that every trial gets a fresh prompt.
pub fn trial_seed(cell: usize, trial: u32, warmup: bool) -> u64 {
    // splitmix64 of the packed indices
    let mut z = ((cell as u64) << 33 | u64::from(trial) << 1 | u64::from(warmup))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Runs every cell of the plan. Cancellation (the flag set) is honoured between tokens and
/// wherever the engine waits; the
/// cells completed before it are returned with status `cancelled`. With a power session,
/// counters are read at each trial's start, first token and end (prefill/decode joules) and
/// each cell gets its energy over the measured trials.
pub fn run_cells(
    engine: &mut dyn Engine,
    plan: &[CellPlan],
    cancel: &AtomicBool,
    power: Option<&PowerSession>,
    observer: &mut dyn FnMut(RunnerEvent<'_>),
) -> RunOutcome {
    let mut cells = Vec::with_capacity(plan.len());
    let mut warnings = Vec::new();
    let (mut ok_trials, mut failed_trials) = (0usize, 0usize);
    for (ci, cell) in plan.iter().enumerate() {
        observer(RunnerEvent::CellStarted {
            cell: ci,
            total: plan.len(),
            plan: cell,
        });
        let mut trials = Vec::with_capacity(cell.reps as usize);
        let mut cell_start = None;
        // Adaptive cells: decode tok/s of the successful trials so far, and when measuring began.
        let mut decode_tps: Vec<f64> = Vec::new();
        let mut measured_since: Option<Instant> = None;
        let schedule = (0..cell.warmup)
            .map(|i| (i, true))
            .chain((0..cell.reps).map(|i| (i, false)));
        for (ti, warmup) in schedule {
            if let (false, Some(rule), Some(since)) = (warmup, &cell.adaptive, measured_since) {
                let elapsed_ms = since.elapsed().as_millis() as u64;
                if rule
                    .stop(&decode_tps, trials.len() as u32, elapsed_ms)
                    .is_some()
                {
                    break;
                }
            }
            if !warmup && measured_since.is_none() {
                measured_since = Some(Instant::now());
            }
            let request = TrialRequest {
                prompt: cell.prompt.clone(),
                batch_size: cell.load.map_or(cell.batch_size, |l| l.requests),
                concurrency: cell.load.map(|l| l.concurrency),
                max_tokens: cell.gen_tokens,
                fixed_length: true,
                seed: trial_seed(ci, ti, warmup),
                depth_tokens: cell.depth_tokens,
                prefix: cell.prefix,
            };
            if !warmup && cell_start.is_none() {
                cell_start = power.map(|p| p.snapshot());
            }
            let trial_start = power.map(|p| p.snapshot());
            let mut first_token = None;
            let mut on_token = |tick: TokenTick| {
                if cancel.load(Ordering::Relaxed) {
                    return ControlFlow::Break(());
                }
                if first_token.is_none() {
                    // Read off this thread: the decode loop is not held for the counter.
                    first_token = power.map(|p| p.snapshot_later());
                }
                observer(RunnerEvent::Token {
                    cell: ci,
                    warmup,
                    tick,
                });
                ControlFlow::Continue(())
            };
            let result = engine.run_trial_cancellable(&request, &mut on_token, cancel);
            // The first token's read finishes before the end's starts: snapshots in time order.
            let first_token = first_token.map(|p| p.wait());
            let trial_end = power.map(|p| p.snapshot());
            let sample = match result {
                Ok(mut s) => {
                    s.index = ti;
                    if let (Some(p), Some(a), Some(f), Some(b)) =
                        (power, &trial_start, &first_token, &trial_end)
                    {
                        s.energy = Some(crate::power::trial_energy(p, a, f, b));
                    }
                    s
                }
                Err(EngineError::Cancelled) => {
                    return RunOutcome {
                        cells,
                        status: RunStatus::Cancelled,
                        warnings,
                    };
                }
                Err(e) => {
                    let what = if warmup { "warmup trial" } else { "trial" };
                    warnings.push(format!(
                        "{}@{} {what} {ti} failed: {e}",
                        cell.test, cell.batch_size
                    ));
                    TrialSample {
                        index: ti,
                        wall_ns: 0,
                        requests: vec![],
                        counters: Default::default(),
                        energy: None,
                        error: Some(e.to_string()),
                    }
                }
            };
            let metrics = trial_metrics(&sample);
            if !warmup && sample.ok() {
                decode_tps.extend(metrics.decode_tps);
            }
            observer(RunnerEvent::TrialDone {
                cell: ci,
                warmup,
                metrics: Box::new(metrics),
            });
            if !warmup {
                if sample.ok() {
                    ok_trials += 1;
                } else {
                    failed_trials += 1;
                }
                let short = sample.requests.iter().filter(|r| r.is_short()).count();
                if short > 0 {
                    warnings.push(format!(
                        "{}@{} trial {ti}: {short} request(s) stopped before 80% of {} tokens; excluded from decode statistics",
                        cell.test, cell.batch_size, cell.gen_tokens
                    ));
                }
                trials.push(sample);
            }
        }
        let power = match (power, cell_start) {
            (Some(p), Some(start)) => {
                Some(crate::power::cell_power(p, &start, &p.snapshot(), &trials))
            }
            _ => None,
        };
        cells.push(CellRaw {
            plan: cell.clone(),
            trials,
            power,
        });
    }
    let status = if ok_trials == 0 && failed_trials > 0 {
        RunStatus::Failed
    } else {
        RunStatus::Completed
    };
    RunOutcome {
        cells,
        status,
        warnings,
    }
}
