//! Scenario results in the history: a `runs` row (suite `scenario:<name>`, so `benchbar
//! history` lists it) plus the result, through `benchbar-store`.

use benchbar_core::report::{RunMeta, RunOrigin, RunStatus};
use benchbar_engine::machine::machine_info;
use benchbar_store::Store;
use serde::{Deserialize, Serialize};

use crate::{Result, ScenarioResult};

/// A stored scenario run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ScenarioRun {
    /// Run id in the history.
    pub run_id: i64,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// The result.
    pub result: ScenarioResult,
}

/// Saves `result` (started at `started_at`, by `origin`) and returns the run id.
pub fn save(
    store: &mut Store,
    result: &ScenarioResult,
    started_at: chrono::DateTime<chrono::Utc>,
    origin: RunOrigin,
) -> Result<i64> {
    let meta = RunMeta {
        run_id: None,
        started_at,
        status: RunStatus::Completed,
        machine: machine_info(),
        engine: result.engine.clone(),
        model: result.model.clone(),
        suite: result.scenario.suite(),
        warnings: result.warnings.clone(),
        power: result.power.clone(),
        origin,
    };
    let json = serde_json::to_value(result)?;
    Ok(store.save_scenario_run(&meta, result.scenario.as_str(), &json)?)
}

/// Loads scenario run `run_id`; `Ok(None)` when that run is not a scenario run.
pub fn load(store: &Store, run_id: i64) -> Result<Option<ScenarioRun>> {
    let Some(s) = store.load_scenario_run(run_id)? else {
        return Ok(None);
    };
    Ok(Some(ScenarioRun {
        run_id,
        started_at: s.meta.started_at.to_rfc3339(),
        result: serde_json::from_value(s.result)?,
    }))
}
