//! Retention of monitoring samples (issue #8), and runs of a time window.
//!
//! Monitoring samples (`origin = 'monitor'`) older than the retention window are deleted with
//! their cells and trials (foreign keys cascade). Runs started by a person (`cli`, `app`) are
//! kept whatever their age, and so are two kinds of monitoring samples that other rows rely on:
//! a sample made a baseline, and a sample whose regressions were announced (its notification
//! rows are what keeps a drop that persists from being announced again).
//!
//! `started_at` is stored as RFC 3339 UTC (`+00:00`, as `DateTime<Utc>::to_rfc3339` writes it),
//! so a text comparison against a cut-off written the same way orders by time.

use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::{Result, Store, StoredRun};

impl Store {
    /// Deletes the monitoring samples that started before `cutoff` (cells and trials with
    /// them), except baselines and samples with announced regressions. Returns how many runs
    /// were deleted. Runs of any other origin are never touched.
    pub fn prune_monitor_runs(&mut self, cutoff: DateTime<Utc>) -> Result<usize> {
        let n = self.conn.execute(
            "DELETE FROM runs WHERE origin = 'monitor' AND started_at < ?1 \
             AND id NOT IN (SELECT run_id FROM baselines) \
             AND id NOT IN (SELECT run_id FROM notifications)",
            params![cutoff.to_rfc3339()],
        )?;
        Ok(n)
    }

    /// Ids of the runs that started at or after `since`, oldest first, optionally for one
    /// model only.
    pub fn run_ids_since(&self, since: DateTime<Utc>, model: Option<&str>) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM runs WHERE started_at >= ?1 AND (?2 IS NULL OR model_id = ?2) \
             ORDER BY started_at, id",
        )?;
        let ids = stmt
            .query_map(params![since.to_rfc3339(), model], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    }

    /// The runs (with their raw cells) that started at or after `since`, oldest first.
    pub fn runs_since(&self, since: DateTime<Utc>, model: Option<&str>) -> Result<Vec<StoredRun>> {
        self.run_ids_since(since, model)?
            .into_iter()
            .map(|id| self.load_run(id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use benchbar_core::report::RunOrigin;
    use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
    use chrono::Duration;

    use super::*;

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Saves a run of `origin` that started `age` before `now`.
    fn save(store: &mut Store, now: DateTime<Utc>, age: Duration, origin: RunOrigin) -> i64 {
        let mut meta = synthetic_meta(None, "Qwen3-1.7B-4bit", "mlx 0.1");
        meta.started_at = now - age;
        meta.origin = origin;
        let cell = synthetic_cell(&[100.0, 101.0, 99.0], &[90.0, 91.0, 89.0], 1 << 30);
        store.save_run(&meta, &[cell], &[]).unwrap()
    }

    #[test]
    fn old_monitor_samples_go_with_their_cells_and_the_rest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let window = Duration::hours(24);
        let old_monitor = save(&mut store, now, Duration::hours(30), RunOrigin::Monitor);
        let old_cli = save(&mut store, now, Duration::hours(48), RunOrigin::Cli);
        let old_app = save(&mut store, now, Duration::hours(72), RunOrigin::App);
        let fresh_monitor = save(&mut store, now, Duration::hours(2), RunOrigin::Monitor);
        let old_baseline = save(&mut store, now, Duration::hours(40), RunOrigin::Monitor);
        store.set_baseline(old_baseline).unwrap();
        let old_announced = save(&mut store, now, Duration::hours(26), RunOrigin::Monitor);
        assert!(store.record_notification("fp", old_announced).unwrap());
        let trials_before = count(&store, "trials");

        assert_eq!(store.prune_monitor_runs(now - window).unwrap(), 1);

        let left: Vec<i64> = store.run_ids_since(now - Duration::days(30), None).unwrap();
        assert!(!left.contains(&old_monitor), "{left:?}");
        for kept in [old_cli, old_app, fresh_monitor, old_baseline, old_announced] {
            assert!(left.contains(&kept), "run {kept} was pruned: {left:?}");
        }
        // The pruned run's cell and its three trials went with it (foreign keys cascade).
        assert_eq!(count(&store, "cells"), left.len() as i64);
        assert_eq!(count(&store, "trials"), trials_before - 3);
        // Pruning again removes nothing.
        assert_eq!(store.prune_monitor_runs(now - window).unwrap(), 0);
    }

    #[test]
    fn runs_since_are_oldest_first_and_filtered_by_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let newer = save(&mut store, now, Duration::hours(1), RunOrigin::Monitor);
        let older = save(&mut store, now, Duration::hours(3), RunOrigin::Cli);
        let _outside = save(&mut store, now, Duration::hours(30), RunOrigin::Cli);
        let ids = store
            .run_ids_since(now - Duration::hours(24), None)
            .unwrap();
        assert_eq!(ids, vec![older, newer]);
        let runs = store
            .runs_since(now - Duration::hours(24), Some("Qwen3-1.7B-4bit"))
            .unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].meta.origin, RunOrigin::Monitor);
        assert!(store
            .run_ids_since(now - Duration::hours(24), Some("other"))
            .unwrap()
            .is_empty());
    }
}
