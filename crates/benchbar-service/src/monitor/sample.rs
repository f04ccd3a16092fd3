//! One monitoring sample: the quick suite measured and stored with origin `monitor`, judged by
//! the same detector as any run, its new regressions announced once, old samples pruned.
//!
//! A sample is the seed's quick benchmark unchanged — one short prompt, batch 1, one warmup and
//! five measured repetitions — not fewer: the regression test is a one-sided Welch test at
//! p < 0.01 over per-trial samples, and with three repetitions against a five-repetition
//! baseline a drop just past the 5% threshold at a 3% CV stays below significance (t ≈ 2.7 on
//! about 4 degrees of freedom, p ≈ 0.03), while five against five reaches it (t ≈ 3.2, 8 df,
//! p ≈ 0.007). On a real model the quick suite takes well under a minute, the shortest
//! interval allowed.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use benchbar_core::report::{RunOrigin, RunReport, RunStatus};
use benchbar_core::spec::{CellPlan, RunSpec, SuiteName};
use benchbar_core::suite::Suite;
use benchbar_core::targets::TargetMatrix;
use benchbar_engine::Engine;
use benchbar_store::Store;
use chrono::{DateTime, Utc};

use super::update::{check_since_update, UpdateCheck};
use super::{retention_cutoff, RunGuard};
use crate::measure::{measure, MeasureEvent, MeasureOptions};
use crate::notify::{announce_new, Announcement};
use crate::Result;

/// The suite a monitoring sample runs.
pub const MONITOR_SUITE: SuiteName = SuiteName::Quick;

/// The cells of a monitoring sample of `model` on `engine`: the quick suite, with `reps`
/// measured repetitions when given (at least 2, for the significance test).
pub fn sample_plan(model: &str, engine: &str, reps: Option<u32>) -> Result<Vec<CellPlan>> {
    if reps.is_some_and(|r| r < 2) {
        return Err(crate::Error::Invalid(
            "--reps must be at least 2 for a monitoring sample (the regression test needs a variance)"
                .into(),
        ));
    }
    let mut spec = RunSpec::new(model, engine, MONITOR_SUITE);
    spec.reps = reps;
    spec.validate()?;
    Ok(spec.plan(&Suite::seed())?)
}

/// What one sample produced.
#[derive(Clone, Debug)]
pub struct SampleOutcome {
    /// The stored report (regressions against the baseline included).
    pub report: RunReport,
    /// How the run ended.
    pub status: RunStatus,
    /// The announcement of regressions not announced before (None: nothing new).
    pub announcement: Option<Announcement>,
    /// The comparison with the run before an engine or OS update, when the window has one.
    pub since_update: Option<UpdateCheck>,
    /// Monitoring samples pruned after this one.
    pub pruned_runs: usize,
}

/// Takes one sample while `guard` (from [`Monitor::tick`]) is held: measures `plan`, stores
/// it with origin `monitor` (compared with its configuration's baseline), records which of its
/// regressions are new (each is announced once, as for user-started runs), compares it with
/// the run before an engine or OS update when the window has one (see [`super::update`]),
/// `observer` hearing the measurement's live events, then prunes the
/// monitoring samples older than `retention` before `now` (never the sample just taken).
#[allow(clippy::too_many_arguments)]
pub fn take_sample(
    _guard: &RunGuard,
    retention: Duration,
    engine: &mut dyn Engine,
    plan: &[CellPlan],
    store: &mut Store,
    matrix: &TargetMatrix,
    sample_power: bool,
    cancel: &AtomicBool,
    now: DateTime<Utc>,
    observer: &mut dyn FnMut(MeasureEvent<'_>),
) -> Result<SampleOutcome> {
    let opts = MeasureOptions {
        suite: MONITOR_SUITE.to_string(),
        sample_power,
        origin: RunOrigin::Monitor,
    };
    let m = measure(engine, plan, &opts, cancel, Some(store), matrix, observer)?;
    let announcement = announce_new(store, &m.report)?;
    // Never the sample just taken, whatever the clocks say.
    let cutoff = retention_cutoff(now, retention).min(m.report.started_at);
    let since_update = check_since_update(store, &m.report, matrix, cutoff)?;
    let pruned_runs = store.prune_monitor_runs(cutoff)?;
    Ok(SampleOutcome {
        report: m.report,
        status: m.status,
        announcement,
        since_update,
        pruned_runs,
    })
}

#[cfg(test)]
mod tests {
    use benchbar_core::regression::Metric;
    use benchbar_engine::TestDoubleEngine;

    use super::*;
    use crate::monitor::{Decision, Monitor, MonitorConfig, PowerConditions, RunLock};

    #[test]
    fn a_drop_is_stored_announced_once_and_old_samples_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let matrix = TargetMatrix::seed();
        let plan = sample_plan("m", "test-double", None).unwrap();
        assert_eq!(plan.len(), 1, "a sample is the one-cell quick suite");
        let lock = RunLock::new();
        let cancel = AtomicBool::new(false);
        let start = Utc::now();
        let mut cfg = MonitorConfig::new(Duration::from_secs(60)).unwrap();
        cfg.retention = Duration::from_secs(3600);
        let mut monitor = Monitor::new(cfg, start);
        let mut sample = |decode_tps: f64, now: DateTime<Utc>, store: &mut Store| {
            let Decision::Run(guard) = monitor.tick(now, &lock, PowerConditions::default) else {
                panic!("a sample is due");
            };
            let mut engine = TestDoubleEngine::with_options(
                "m",
                &format!("decode_tps={decode_tps},jitter=0.01"),
            )
            .unwrap();
            let out = take_sample(
                &guard,
                monitor.config().retention,
                &mut engine,
                &plan,
                store,
                &matrix,
                false,
                &cancel,
                now,
                &mut |_| {},
            )
            .unwrap();
            monitor.finished(now);
            out
        };
        let baseline = sample(100.0, start, &mut store);
        let baseline_id = baseline.report.run_id.unwrap();
        store.set_baseline(baseline_id).unwrap();
        let minute = chrono::Duration::minutes(1);

        let slow = sample(80.0, start + minute, &mut store);
        assert!(slow
            .report
            .regressions
            .iter()
            .any(|r| r.metric == Metric::DecodeTps && r.baseline_run_id == Some(baseline_id)));
        let a = slow.announcement.expect("the drop is announced");
        assert!(a.body.contains("decode tok/s"), "{}", a.body);
        let stored = store.load_run(slow.report.run_id.unwrap()).unwrap();
        assert_eq!(stored.meta.origin, RunOrigin::Monitor);
        assert_eq!(stored.meta.suite, "quick");

        let again = sample(80.0, start + minute * 2, &mut store);
        assert!(!again.report.regressions.is_empty());
        assert!(
            again.announcement.is_none(),
            "the same drop is announced once"
        );

        // Two hours later, with a one-hour window: the plain third sample is pruned; the
        // baseline, the announced sample and the sample just taken stay. (Runs are stamped
        // with the real time they ran; `now` is the schedule's.)
        let later = sample(100.0, start + chrono::Duration::hours(2), &mut store);
        assert_eq!(later.pruned_runs, 1);
        let left = store
            .run_ids_since(start - chrono::Duration::hours(1), None)
            .unwrap();
        assert_eq!(
            left,
            vec![
                baseline_id,
                slow.report.run_id.unwrap(),
                later.report.run_id.unwrap()
            ]
        );
    }

    #[test]
    fn too_few_reps_are_refused() {
        let e = sample_plan("m", "test-double", Some(1)).unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
    }
}
