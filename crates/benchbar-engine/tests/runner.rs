//! Runner behaviour with the test double (no real engine involved).

use std::sync::atomic::{AtomicBool, Ordering};

use benchbar_core::report::RunStatus;
use benchbar_core::spec::{RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_engine::runner::{run_cells, trial_seed, RunnerEvent};
use benchbar_engine::TestDoubleEngine;

fn plan(reps: u32, warmup: u32, batches: Vec<u32>) -> Vec<benchbar_core::spec::CellPlan> {
    let mut spec = RunSpec::new("m", "test-double", SuiteName::Quick);
    spec.reps = Some(reps);
    spec.warmup = Some(warmup);
    spec.gen_tokens = Some(8);
    spec.batch_sizes = Some(batches);
    spec.plan(&Suite::seed()).unwrap()
}

#[test]
fn warmup_is_discarded_and_reps_are_kept() {
    let mut engine = TestDoubleEngine::new("m");
    let mut warm = 0;
    let out = run_cells(
        &mut engine,
        &plan(5, 2, vec![1, 4]),
        &AtomicBool::new(false),
        None,
        &mut |e| {
            if let RunnerEvent::TrialDone { warmup: true, .. } = e {
                warm += 1;
            }
        },
    );
    assert_eq!(out.status, RunStatus::Completed);
    assert_eq!(warm, 4);
    assert_eq!(out.cells.len(), 2);
    for c in &out.cells {
        assert_eq!(c.trials.len(), 5);
        assert_eq!(
            c.trials.iter().map(|t| t.index).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4]
        );
        for t in &c.trials {
            assert_eq!(t.requests.len(), c.plan.batch_size as usize);
            assert!(t.requests.iter().all(|r| r.token_offsets_ns.len() == 8));
        }
    }
}

#[test]
fn failed_trials_are_recorded_and_the_run_goes_on() {
    let mut engine = TestDoubleEngine::with_options("m", "fail_every=3").unwrap();
    let out = run_cells(
        &mut engine,
        &plan(5, 1, vec![1]),
        &AtomicBool::new(false),
        None,
        &mut |_| {},
    );
    assert_eq!(out.status, RunStatus::Completed);
    let failed: Vec<u32> = out.cells[0]
        .trials
        .iter()
        .filter(|t| !t.ok())
        .map(|t| t.index)
        .collect();
    // Calls 3 and 6 fail: call 3 is measured trial 1, call 6 is measured trial 4.
    assert_eq!(failed, [1, 4]);
    assert_eq!(out.warnings.len(), 2);
}

#[test]
fn every_trial_failing_is_a_failed_run() {
    let mut engine = TestDoubleEngine::with_options("m", "fail_every=1").unwrap();
    let out = run_cells(
        &mut engine,
        &plan(2, 0, vec![1]),
        &AtomicBool::new(false),
        None,
        &mut |_| {},
    );
    assert_eq!(out.status, RunStatus::Failed);
}

#[test]
fn cancellation_keeps_only_whole_cells() {
    let mut engine = TestDoubleEngine::new("m");
    let cancel = AtomicBool::new(false);
    let mut trials_done = 0;
    let out = run_cells(
        &mut engine,
        &plan(3, 0, vec![1, 2, 4]),
        &cancel,
        None,
        &mut |e| {
            if let RunnerEvent::TrialDone { .. } = e {
                trials_done += 1;
                if trials_done == 4 {
                    cancel.store(true, Ordering::Relaxed); // inside the second cell
                }
            }
        },
    );
    assert_eq!(out.status, RunStatus::Cancelled);
    assert_eq!(out.cells.len(), 1);
    assert_eq!(out.cells[0].plan.batch_size, 1);
}

#[test]
fn trial_seeds_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for cell in 0..20 {
        for trial in 0..30 {
            for warm in [false, true] {
                assert!(seen.insert(trial_seed(cell, trial, warm)));
            }
        }
    }
}

#[test]
fn test_double_rejects_bad_options() {
    assert!(TestDoubleEngine::with_options("m", "decode_tps=abc").is_err());
    assert!(TestDoubleEngine::with_options("m", "nope=1").is_err());
    assert!(TestDoubleEngine::with_options("m", "decode_tps=0").is_err());
}

#[test]
fn power_session_gives_each_cell_energy_and_phases() {
    use std::time::Duration;
    // Replayed counters (a test double for a power source): 12 W constant, 10 ms per reading.
    let source = benchbar_power::ReplaySource::constant_power(
        "Energy Model",
        "GPU Energy",
        12.0,
        10,
        100_000,
    );
    let session = benchbar_power::PowerSession::start(
        Box::new(source),
        Duration::from_millis(250),
        Duration::ZERO,
    );
    let mut engine = TestDoubleEngine::new("m");
    let out = run_cells(
        &mut engine,
        &plan(3, 1, vec![1, 2]),
        &AtomicBool::new(false),
        Some(&session),
        &mut |_| {},
    );
    for c in &out.cells {
        let p = c.power.as_ref().expect("cell power");
        assert_eq!(p.power_source, "replay");
        assert!(
            (p.avg_power_w.unwrap() - 12.0).abs() < 1e-6,
            "{:?}",
            p.avg_power_w
        );
        let e = p.energy_j.unwrap();
        assert!(e > 0.0);
        let tokens = f64::from(c.plan.gen_tokens * c.plan.batch_size * c.plan.reps);
        assert!((p.tokens_per_joule.unwrap() - tokens / e).abs() < 1e-9);
        for t in &c.trials {
            let te = t.energy.as_ref().expect("trial energy");
            assert!(te.prefill_j.unwrap() > 0.0 && te.decode_j.unwrap() > 0.0);
        }
    }
    let run = benchbar_engine::power::finish_session(session);
    assert_eq!(run.power_source, "replay");
}

#[test]
fn unavailable_power_is_reported_with_its_reason() {
    let session = benchbar_engine::power::start_session();
    let mut engine = TestDoubleEngine::new("m");
    let out = run_cells(
        &mut engine,
        &plan(2, 0, vec![1]),
        &AtomicBool::new(false),
        Some(&session),
        &mut |_| {},
    );
    let p = out.cells[0].power.as_ref().unwrap();
    if p.power_source.starts_with("unavailable: ") {
        // This Linux CI machine: no RAPL access, no NVIDIA GPU.
        assert!(p.power_source.len() > "unavailable: ".len());
        assert_eq!(
            (p.energy_j, p.avg_power_w, p.tokens_per_joule),
            (None, None, None)
        );
    } else {
        assert!(p.energy_j.is_some(), "{p:?}");
    }
    // Every other metric is still there.
    assert!(out.cells[0].trials.iter().all(|t| !t.requests.is_empty()));
}
