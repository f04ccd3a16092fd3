//! Use-case scenario results (issue #7).
//!
//! A scenario run is a row of `runs` (suite `scenario:<name>`, no cells, so `benchbar history`
//! lists it) plus one row of `scenario_results` holding the scenario's result as JSON. The
//! store does not interpret that JSON: `benchbar-scenarios` owns its shape.

use benchbar_core::report::RunMeta;
use rusqlite::{params, OptionalExtension};

use crate::{Result, Store};

/// Suite prefix of scenario runs in the `runs` table.
pub const SCENARIO_SUITE_PREFIX: &str = "scenario:";

/// A stored scenario run.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredScenario {
    /// The run's metadata (with `run_id` set).
    pub meta: RunMeta,
    /// Scenario name, e.g. `classification`.
    pub scenario: String,
    /// The scenario's result, as saved.
    pub result: serde_json::Value,
}

/// One line of a scenario listing.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioRow {
    /// Run id.
    pub run_id: i64,
    /// Scenario name.
    pub scenario: String,
    /// Model id.
    pub model_id: String,
    /// Engine name.
    pub engine_name: String,
    /// Start time, RFC 3339.
    pub started_at: String,
}

impl Store {
    /// Stores a scenario run: its `runs` row (no cells; `meta.suite` should be
    /// `scenario:<name>`) and its result. If the result cannot be written the run row is
    /// removed again, so no half-stored scenario run is left; returns the run id.
    pub fn save_scenario_run(
        &mut self,
        meta: &RunMeta,
        scenario: &str,
        result: &serde_json::Value,
    ) -> Result<i64> {
        let json = serde_json::to_string(result)?;
        // One transaction: the run row and its result are stored together or not at all.
        let tx = self.conn.transaction()?;
        let run_id = crate::runs::insert_run(&tx, meta, &[], &[], &mut |_| {})?;
        tx.execute(
            "INSERT INTO scenario_results (run_id, scenario, result_json) VALUES (?1, ?2, ?3)",
            params![run_id, scenario, json],
        )?;
        tx.commit()?;
        Ok(run_id)
    }

    /// Loads a scenario run; `Ok(None)` when `run_id` is a run but not a scenario run, and
    /// [`crate::Error::UnknownRun`] when there is no such run.
    pub fn load_scenario_run(&self, run_id: i64) -> Result<Option<StoredScenario>> {
        let run = self.load_run(run_id)?;
        let row: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT scenario, result_json FROM scenario_results WHERE run_id = ?1",
                [run_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(scenario, json)| {
            Ok(StoredScenario {
                meta: run.meta,
                scenario,
                result: serde_json::from_str(&json)?,
            })
        })
        .transpose()
    }

    /// Scenario runs, newest first, optionally of one scenario.
    pub fn list_scenario_runs(
        &self,
        scenario: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScenarioRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.run_id, s.scenario, r.model_id, r.engine_name, r.started_at \
             FROM scenario_results s JOIN runs r ON r.id = s.run_id \
             WHERE (?1 IS NULL OR s.scenario = ?1) ORDER BY r.started_at DESC, r.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![scenario, limit as i64], |r| {
            Ok(ScenarioRow {
                run_id: r.get(0)?,
                scenario: r.get(1)?,
                model_id: r.get(2)?,
                engine_name: r.get(3)?,
                started_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchbar_core::testkit::synthetic_meta;

    fn meta() -> RunMeta {
        RunMeta {
            suite: format!("{SCENARIO_SUITE_PREFIX}classification"),
            ..synthetic_meta(None, "builtin:tiny", "test")
        }
    }

    #[test]
    fn a_scenario_run_round_trips_and_is_listed_in_history() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let result = serde_json::json!({"items": 3, "valid_rate": 0.5});
        let id = store
            .save_scenario_run(&meta(), "classification", &result)
            .unwrap();
        let loaded = store.load_scenario_run(id).unwrap().unwrap();
        assert_eq!(loaded.scenario, "classification");
        assert_eq!(loaded.result, result);
        assert_eq!(loaded.meta.suite, "scenario:classification");
        let history = store.list_runs(None, 10).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].suite, "scenario:classification");
        let listed = store
            .list_scenario_runs(Some("classification"), 10)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].run_id, id);
        assert!(store
            .list_scenario_runs(Some("rag"), 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_plain_run_is_not_a_scenario_and_a_missing_run_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        let plain = store.save_run(&meta(), &[], &[]).unwrap();
        assert_eq!(store.load_scenario_run(plain).unwrap(), None);
        let err = store.load_scenario_run(plain + 100).unwrap_err();
        assert!(err.to_string().contains("no run with id"), "{err}");
    }

    #[test]
    fn a_failed_result_write_leaves_no_run_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("h.db")).unwrap();
        // Injected at the database: the result row cannot be written.
        store
            .conn
            .execute_batch(
                "CREATE TRIGGER injected BEFORE INSERT ON scenario_results \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
            )
            .unwrap();
        let err = store
            .save_scenario_run(&meta(), "classification", &serde_json::json!({}))
            .unwrap_err();
        assert!(err.to_string().contains("injected failure"), "{err}");
        assert!(store.list_runs(None, 10).unwrap().is_empty());
    }
}
