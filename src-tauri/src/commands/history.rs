//! History, comparison, baselines, export and targets: the CLI's queries and documents.

use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;
use benchbar_report::charts::{chart_specs, ChartSpec};
use benchbar_service::export::{data, Doc, Format, HistoryLine};
use benchbar_service::query::{self, HistoryFilter};
use benchbar_store::Store;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::{CmdError, CmdResult};
use crate::state::AppState;

fn store(state: &AppState) -> CmdResult<Store> {
    Ok(Store::open(&state.config.db_path)?)
}

/// Runs, newest first (as `benchbar history --format json`), filtered.
#[tauri::command]
pub async fn history(
    state: State<'_, AppState>,
    model: Option<String>,
    engine: Option<String>,
    suite: Option<String>,
    limit: u32,
) -> CmdResult<Vec<HistoryLine>> {
    let filter = filter(model, engine, suite, limit);
    Ok(query::history(&store(&state)?, &filter)?)
}

fn filter(
    model: Option<String>,
    engine: Option<String>,
    suite: Option<String>,
    limit: u32,
) -> HistoryFilter {
    HistoryFilter {
        model,
        engine,
        suite,
        limit: limit as usize,
    }
}

/// The history window's distribution and per-model charts over the filtered runs: the data of
/// `benchbar report --since`'s charts (response time and memory over time, their
/// distributions, decode tok/s per model), drawn by the window itself.
#[tauri::command]
pub async fn history_charts(
    state: State<'_, AppState>,
    model: Option<String>,
    engine: Option<String>,
    suite: Option<String>,
    limit: u32,
) -> CmdResult<Vec<ChartSpec>> {
    let filter = filter(model, engine, suite, limit);
    let store = store(&state)?;
    let mut runs = query::history(&store, &filter)?
        .iter()
        .map(|l| query::report(&store, l.row.run_id))
        .collect::<Result<Vec<_>, _>>()?;
    // Oldest first, as the charts expect.
    runs.reverse();
    // A multi-run window charts one point per run; a single run charts its trials.
    Ok(chart_specs(&runs))
}

/// One run's report (as `benchbar export N --format json`).
#[tauri::command]
pub async fn get_run(state: State<'_, AppState>, run_id: i64) -> CmdResult<RunReport> {
    Ok(query::report_with_roofline(&store(&state)?, run_id)?)
}

/// Compares `run_id` with `base_run_id` (as `benchbar compare BASE RUN`): with regression
/// verdicts on one machine, side by side across machines (an imported run).
#[tauri::command]
pub async fn compare(
    state: State<'_, AppState>,
    base_run_id: i64,
    run_id: i64,
) -> CmdResult<query::Compared> {
    Ok(query::compare(&store(&state)?, base_run_id, run_id)?)
}

/// Makes a run the baseline of its configuration.
#[tauri::command]
pub async fn set_baseline(state: State<'_, AppState>, run_id: i64) -> CmdResult<()> {
    store(&state)?.set_baseline(run_id)?;
    Ok(())
}

/// A run exported as JSON, CSV or Markdown (the CLI exporters' text).
#[tauri::command]
pub async fn export_run(
    state: State<'_, AppState>,
    run_id: i64,
    format: String,
) -> CmdResult<String> {
    let format: Format = format.parse()?;
    if format == Format::Table {
        return Err(CmdError::new("export supports json, csv, md or html"));
    }
    let r = query::report(&store(&state)?, run_id)?;
    Ok(benchbar_service::export::render(&Doc::Run(&r), format))
}

/// The seed's target matrix, with a run graded against its model's row when `run_id` is
/// given, or against `row` when named (as `benchbar targets [--run N] [--row R] --format json`).
#[tauri::command]
pub async fn targets(
    state: State<'_, AppState>,
    run_id: Option<i64>,
    row: Option<String>,
) -> CmdResult<data::TargetsDoc> {
    let graded = match run_id {
        Some(id) => Some(query::graded_run(&store(&state)?, id, row.as_deref())?),
        None => None,
    };
    Ok(data::targets_doc(&TargetMatrix::seed(), graded.as_ref()))
}

/// The latest stored run (of `model` when given) as a report.
pub fn latest_report<R: Runtime>(app: &AppHandle<R>, model: Option<&str>) -> Option<RunReport> {
    let state = app.state::<AppState>();
    let store = store(&state).ok()?;
    let row = store.list_runs(model, 1).ok()?.into_iter().next()?;
    query::report(&store, row.run_id).ok()
}
