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

use std::time::Duration;

use benchbar_core::report::{RunOrigin, RunReport, RunStatus};
use benchbar_core::spec::{RunSpec, SuiteName};
use chrono::{DateTime, Utc};

use super::retention_cutoff;
use super::update::{check_since_update, UpdateCheck};
use crate::notify::Announcement;
use crate::run::{execute, MeasureEvent, RunContext, RunRequest};
use crate::Result;

/// The suite a monitoring sample runs.
pub const MONITOR_SUITE: SuiteName = SuiteName::Quick;

/// The run of a monitoring sample of `model` on `engine`: the quick suite with origin
/// `monitor`, with `reps` measured repetitions when given (at least 2, for the significance
/// test), sampling power when `sample_power`.
pub fn sample_request(
    model: &str,
    engine: &str,
    reps: Option<u32>,
    sample_power: bool,
) -> Result<RunRequest> {
    if reps.is_some_and(|r| r < 2) {
        return Err(crate::Error::Invalid(
            "--reps must be at least 2 for a monitoring sample (the regression test needs a variance)"
                .into(),
        ));
    }
    let mut spec = RunSpec::new(model, engine, MONITOR_SUITE);
    spec.reps = reps;
    let req = RunRequest {
        spec,
        sample_power,
        origin: RunOrigin::Monitor,
        allow_oversize: false,
    };
    req.plan()?;
    Ok(req)
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

/// Takes one sample in `ctx` (whose guard comes from [`super::Monitor::tick`]): runs `req`
/// through [`execute`] (stored, compared with its configuration's baseline, new regressions
/// announced once, as for any run), compares it with the run before an engine or OS update
/// when the window has one (see [`super::update`]), then prunes the monitoring samples older
/// than `retention` before `now` (never the sample just taken). A sample is always stored:
/// `ctx` must have the history database.
pub fn take_sample(
    req: &RunRequest,
    ctx: &mut RunContext<'_>,
    retention: Duration,
    now: DateTime<Utc>,
    observer: &mut dyn FnMut(MeasureEvent<'_>),
) -> Result<SampleOutcome> {
    if ctx.store.is_none() {
        return Err(crate::Error::Invalid(
            "a monitoring sample needs the history database".into(),
        ));
    }
    let run = execute(req, ctx, observer)?;
    // Never the sample just taken, whatever the clocks say.
    let cutoff = retention_cutoff(now, retention).min(run.report.started_at);
    let (since_update, pruned_runs) = match ctx.store.as_deref_mut() {
        Some(store) => (
            check_since_update(store, &run.report, ctx.matrix, cutoff)?,
            store.prune_monitor_runs(cutoff)?,
        ),
        None => (None, 0),
    };
    Ok(SampleOutcome {
        report: run.report,
        status: run.status,
        announcement: run.announcement,
        since_update,
        pruned_runs,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use benchbar_core::regression::Metric;
    use benchbar_core::targets::TargetMatrix;
    use benchbar_engine::TestDoubleEngine;
    use benchbar_store::Store;

    use super::*;
    use crate::monitor::{Decision, Monitor, MonitorConfig, PowerConditions};
    use crate::run::RunLock;

    #[test]
    fn a_drop_is_stored_announced_once_and_old_samples_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let matrix = TargetMatrix::seed();
        let req = sample_request("m", "test-double", None, false).unwrap();
        assert_eq!(
            req.plan().unwrap().len(),
            1,
            "a sample is the one-cell quick suite"
        );
        let lock = RunLock::new();
        let cancel = Arc::new(AtomicBool::new(false));
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
            let mut ctx = RunContext {
                engine: &mut engine,
                store: Some(store),
                guard: &guard,
                cancel: &cancel,
                matrix: &matrix,
                recovery_dir: dir.path(),
            };
            let out =
                take_sample(&req, &mut ctx, monitor.config().retention, now, &mut |_| {}).unwrap();
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
        let e = sample_request("m", "test-double", Some(1), false).unwrap_err();
        assert!(e.to_string().contains("at least 2"), "{e}");
    }
}
