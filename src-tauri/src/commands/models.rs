//! Models: the seed's catalogue and downloads (as `benchbar models catalogue|pull`).

use benchbar_hub::CatalogueEntry;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::error::CmdResult;
use crate::pulls::{self, PullEvent, PullWatchers};
use crate::state::AppState;

/// The seed's Qwen3 variants: present or not, size on disk, download size, fits this machine's
/// memory (as `benchbar models catalogue --format json`).
#[tauri::command]
pub async fn model_catalogue(state: State<'_, AppState>) -> CmdResult<Vec<CatalogueEntry>> {
    catalogue(&state)
}

/// The catalogue for this machine.
pub fn catalogue(state: &AppState) -> CmdResult<Vec<CatalogueEntry>> {
    let memory_bytes = benchbar_engine::machine::machine_info().memory_bytes;
    Ok(benchbar_hub::catalogue(
        &pulls::hub_config(state)?,
        memory_bytes,
    ))
}

/// Downloads `repo_id` into the Hugging Face cache; progress and the end arrive on `on_event`.
#[tauri::command]
pub fn pull_model(
    state: State<'_, AppState>,
    repo_id: String,
    on_event: Channel<PullEvent>,
) -> CmdResult<()> {
    state.hooks()?.start_pull(repo_id, Some(on_event))
}

/// Starts a download (the tray's Download items and `pull_model`).
pub fn start_pull<R: Runtime>(
    app: &AppHandle<R>,
    repo_id: String,
    sink: Option<Channel<PullEvent>>,
) -> CmdResult<()> {
    pulls::spawn(app, repo_id, sink, |app| {
        let _ = crate::tray::refresh_models(app);
    })?;
    let _ = crate::tray::refresh_models(app);
    Ok(())
}

/// Cancels the download in progress (its part is kept for the next try).
#[tauri::command]
pub fn cancel_pull(state: State<'_, AppState>) {
    state.pulls.cancel();
}

/// Subscribes a window to every download's events (one started from the tray included).
#[tauri::command]
pub fn watch_pulls(watchers: State<'_, PullWatchers>, on_event: Channel<PullEvent>) {
    watchers.add(on_event);
}

/// What the dashboard and the tray offer a machine that has no model on disk yet.
#[derive(Clone, Debug, serde::Serialize, ts_rs::TS)]
pub struct FirstRun {
    /// No checkpoint on disk: neither in the Hugging Face cache nor in BenchBar's models folder
    /// (the built-in model is made by the first run).
    pub no_model: bool,
    /// The built-in model (made on this machine, no download).
    pub builtin: String,
    /// The smallest catalogue model that fits this machine's memory, to download.
    pub suggested: Option<CatalogueEntry>,
}

/// Whether this is a first run, and what to offer then.
pub fn first_run_offer(state: &AppState) -> CmdResult<FirstRun> {
    let no_model = benchbar_mlx::list_models().is_empty();
    let catalogue = catalogue(state)?;
    Ok(FirstRun {
        no_model,
        builtin: "builtin:tiny".into(),
        suggested: benchbar_hub::first_download(&catalogue).cloned(),
    })
}

/// `first_run()`: with no model on disk, the dashboard offers the built-in model and the
/// smallest of the seed's catalogue models that fits this machine's memory.
#[tauri::command]
pub async fn first_run(state: State<'_, AppState>) -> CmdResult<FirstRun> {
    first_run_offer(&state)
}
