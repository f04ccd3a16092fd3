//! After an update: a monitoring sample judged against the last run taken before the engine
//! (MLX) or OS version changed.
//!
//! Baselines are keyed by the whole configuration, versions included, so after `brew upgrade`
//! or a macOS update no baseline matches and a drop would go unnoticed. The monitor therefore
//! also compares each sample with the newest run in the retention window of the same model,
//! quantization, engine and hardware (chip, memory, architecture) whose engine or OS version
//! differs, cell by cell with the same per-metric detector (`compare_metric`: threshold and
//! Welch test). Its regressions are announced through the same de-duplication as any other
//! (keyed by the run before the update), so a drop that persists is announced once.

use benchbar_core::regression::{compare_metric, CellKey, Comparison, Metric, Regression};
use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;
use benchbar_store::Store;
use chrono::{DateTime, Utc};

use crate::notify::{announce_new, Announcement};
use crate::Result;

/// A sample compared with the run before an update.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateCheck {
    /// The run before the update.
    pub before_run_id: i64,
    /// What changed, e.g. `engine version 'a' → 'b'`.
    pub changes: String,
    /// Regressions of the sample against that run.
    pub regressions: Vec<Regression>,
    /// The announcement of those not announced before.
    pub announcement: Option<Announcement>,
}

/// Same model, engine and hardware (versions aside).
fn same_setup(a: &RunReport, b: &RunReport) -> bool {
    let (ma, mb) = (&a.machine, &b.machine);
    a.model.id == b.model.id
        && a.model.quantization == b.model.quantization
        && a.engine.name == b.engine.name
        && ma.chip.as_deref().unwrap_or(&ma.cpu) == mb.chip.as_deref().unwrap_or(&mb.cpu)
        && ma.memory_bytes == mb.memory_bytes
        && ma.arch == mb.arch
}

/// The version changes from `before` to `after`, None when there are none.
pub fn version_changes(before: &RunReport, after: &RunReport) -> Option<String> {
    let mut changes = Vec::new();
    if before.engine.version != after.engine.version {
        changes.push(format!(
            "engine version '{}' → '{}'",
            before.engine.version, after.engine.version
        ));
    }
    if before.machine.os != after.machine.os {
        changes.push(format!(
            "OS '{}' → '{}'",
            before.machine.os, after.machine.os
        ));
    }
    (!changes.is_empty()).then(|| changes.join(", "))
}

/// Compares the stored sample `report` with the newest run since `since` of the same setup
/// but other versions, and announces its new regressions; None when there is no such run or
/// no cell in common.
pub fn check_since_update(
    store: &mut Store,
    report: &RunReport,
    matrix: &TargetMatrix,
    since: DateTime<Utc>,
) -> Result<Option<UpdateCheck>> {
    let Some(run_id) = report.run_id else {
        return Ok(None);
    };
    let ids = store.run_ids_since(since, Some(&report.model.id))?;
    for id in ids.into_iter().rev().filter(|id| *id != run_id) {
        let before = store.load_run(id)?.report(matrix);
        if !same_setup(&before, report) {
            continue;
        }
        let Some(changes) = version_changes(&before, report) else {
            continue;
        };
        let metrics: Vec<_> = report
            .cells
            .iter()
            .filter_map(|cur| {
                let base = before
                    .cells
                    .iter()
                    .find(|b| CellKey::of(b) == CellKey::of(cur))?;
                Some(Metric::WATCHED.map(|m| compare_metric(m, base, cur)))
            })
            .flatten()
            .flatten()
            .collect();
        if metrics.is_empty() {
            continue;
        }
        let regressions = Comparison {
            baseline_run_id: Some(id),
            current_run_id: Some(run_id),
            metrics,
            unmatched_cells: Vec::new(),
        }
        .regressions();
        let mut judged = report.clone();
        judged.regressions = regressions.clone();
        let announcement = announce_new(store, &judged)?.map(|mut a| {
            a.body = format!("{} (since {changes})", a.body);
            a
        });
        return Ok(Some(UpdateCheck {
            before_run_id: id,
            changes,
            regressions,
            announcement,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use benchbar_core::regression::Severity;
    use benchbar_core::report::{RunMeta, RunOrigin, RunStatus};
    use benchbar_engine::machine::machine_info;
    use benchbar_engine::runner::run_cells;
    use benchbar_engine::{Engine, TestDoubleEngine};

    use super::*;
    use crate::monitor::sample::sample_request;
    use crate::run::{execute, RunContext, RunLock};

    #[test]
    fn a_drop_after_an_engine_update_is_found_and_announced_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let matrix = TargetMatrix::seed();
        let req = sample_request("m", "test-double", None, false).unwrap();
        let plan = req.plan().unwrap();
        let cancel = Arc::new(AtomicBool::new(false));
        let lock = RunLock::new();
        let since = Utc::now() - chrono::Duration::hours(1);
        // A sample stored before the update: same engine and machine, older engine version.
        let mut old = TestDoubleEngine::with_options("m", "decode_tps=100").unwrap();
        let cells = run_cells(&mut old, &plan, &cancel, None, &mut |_| {}).cells;
        let mut engine_info = old.info();
        engine_info.version = format!("{} (before the update)", engine_info.version);
        let meta = RunMeta {
            run_id: None,
            started_at: Utc::now(),
            status: RunStatus::Completed,
            machine: machine_info(),
            engine: engine_info,
            model: old.model(),
            suite: "quick".into(),
            warnings: vec![],
            power: None,
            origin: RunOrigin::Monitor,
        };
        let before_id = store.save_run(&meta, &cells, &[]).unwrap();

        let sample = |tps: f64, store: &mut Store| {
            let mut e = TestDoubleEngine::with_options("m", &format!("decode_tps={tps}")).unwrap();
            let guard = lock.try_acquire(RunOrigin::Monitor).unwrap();
            let mut ctx = RunContext {
                engine: &mut e,
                store: Some(store),
                guard: &guard,
                cancel: &cancel,
                matrix: &matrix,
                recovery_dir: dir.path(),
            };
            let m = execute(&req, &mut ctx, &mut |_| {}).unwrap();
            assert!(
                m.report.regressions.is_empty(),
                "no baseline matches the new version"
            );
            let store = ctx.store.unwrap();
            check_since_update(store, &m.report, &matrix, since).unwrap()
        };
        let first = sample(70.0, &mut store).expect("the run before the update is found");
        assert_eq!(first.before_run_id, before_id);
        assert!(
            first.changes.contains("before the update"),
            "{}",
            first.changes
        );
        let drop = first
            .regressions
            .iter()
            .find(|r| r.metric == Metric::DecodeTps)
            .expect("decode tok/s regressed");
        assert_eq!(drop.severity, Severity::Critical);
        let a = first.announcement.expect("announced");
        assert!(a.body.contains("since engine version"), "{}", a.body);
        // The next sample finds the same drop against the same run: not announced again.
        let second = sample(70.0, &mut store).unwrap();
        assert_eq!(second.before_run_id, before_id);
        assert!(!second.regressions.is_empty());
        assert!(second.announcement.is_none());
    }
}
