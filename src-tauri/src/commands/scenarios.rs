//! Use-case scenarios (classification, summarization, extraction, codegen, RAG) from the app.

use benchbar_core::report::{RunOrigin, RunStatus};
use benchbar_scenarios::{ScenarioInfo, ScenarioKind, ScenarioOptions, ScenarioRun};
use benchbar_store::Store;
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::{CmdError, CmdResult};
use crate::events::RunEvent;
use crate::runs::{open_engine, JobOutcome};
use crate::state::AppState;

/// A scenario with its seed targets and its latest stored result.
#[derive(Serialize, ts_rs::TS)]
pub struct UseCase {
    /// Name, corpus size, seed targets.
    #[serde(flatten)]
    pub info: ScenarioInfo,
    /// The latest run of it in the history, if any.
    pub latest: Option<ScenarioRun>,
}

fn err(e: benchbar_scenarios::Error) -> CmdError {
    CmdError::new(e.to_string())
}

/// The five scenarios with their latest results.
#[tauri::command]
pub async fn use_cases(state: State<'_, AppState>) -> CmdResult<Vec<UseCase>> {
    let store = Store::open(&state.config.db_path)?;
    let rows = store.list_scenario_runs(None, 500)?;
    benchbar_scenarios::list()
        .into_iter()
        .map(|info| {
            let latest = match rows.iter().find(|r| r.scenario == info.name.as_str()) {
                Some(row) => benchbar_scenarios::load(&store, row.run_id).map_err(err)?,
                None => None,
            };
            Ok(UseCase { info, latest })
        })
        .collect()
}

/// Runs scenario `name` on the first `limit` items with the settings' model and engine; events
/// (`scenario_progress`, then `finished`) follow on `on_event`.
#[tauri::command]
pub fn start_scenario(
    state: State<'_, AppState>,
    name: String,
    limit: Option<usize>,
    on_event: Channel<RunEvent>,
) -> CmdResult<u64> {
    let kind: ScenarioKind = name.parse().map_err(err)?;
    if limit == Some(0) {
        return Err(CmdError::new("limit must be at least 1"));
    }
    let settings = state.settings();
    state.hooks()?.start_job(
        Some(Box::new(move |e| {
            let _ = on_event.send(e);
        })),
        Box::new(move |state, ticket, send| {
            let started_at = chrono::Utc::now();
            let mut engine = open_engine(
                &settings,
                &settings.default_model,
                state.engine_override().as_deref(),
                &ticket.cancel,
            )?;
            let opts = ScenarioOptions {
                limit,
                batch_size: None,
                max_tokens: None,
                sample_power: settings.sample_power,
            };
            let result = benchbar_scenarios::run_scenario(
                engine.as_mut(),
                kind,
                &opts,
                &ticket.cancel,
                &mut |p| {
                    send(RunEvent::ScenarioProgress {
                        scenario: kind.as_str().into(),
                        stage: p.stage,
                        done: p.done,
                        total: p.total,
                        elapsed_s: p.elapsed_s,
                    })
                },
            )
            .map_err(err)?;
            let mut store = Store::open(&state.config.db_path)?;
            let run_id = benchbar_scenarios::save(&mut store, &result, started_at, RunOrigin::App)
                .map_err(err)?;
            Ok(JobOutcome {
                run_id: Some(run_id),
                status: RunStatus::Completed,
                regressions: 0,
                announcement: None,
            })
        }),
    )
}
