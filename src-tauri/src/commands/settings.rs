//! Settings and models.

use benchbar_core::sync::lock_unpoisoned;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::CmdResult;
use crate::settings::{self, Settings};
use crate::state::AppState;

/// The current settings.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    state.settings()
}

/// Validates, persists and applies new settings.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: Settings) -> CmdResult<()> {
    apply(&state, settings)
}

/// Validates, applies (exporter, login item) and persists `s`.
pub fn apply(state: &AppState, s: Settings) -> CmdResult<()> {
    s.validate()?;
    // The exporter first: a port in use refuses the new settings instead of saving a setting
    // that does not take effect.
    state.exporter.apply(&s.exporter, &state.config.db_path)?;
    if s.launch_at_login != state.settings().launch_at_login {
        state.hooks()?.set_launch_at_login(s.launch_at_login)?;
    }
    settings::save(&state.config.settings_path, &s)?;
    *lock_unpoisoned(&state.settings) = s;
    if let Ok(h) = state.hooks() {
        h.settings_changed();
    }
    Ok(())
}

/// Shows the `dashboard`, `history` or `settings` window (the panel's links).
#[tauri::command]
pub fn open_window(state: State<'_, AppState>, name: String) -> CmdResult<()> {
    let window = crate::windows::Window::from_label(&name)
        .ok_or_else(|| crate::error::CmdError::new(format!("no window '{name}'")))?;
    state.hooks()?.open_window(window)
}

/// Where the app's Prometheus exporter serves (`http://ADDR/metrics`), null when it is off.
#[tauri::command]
pub fn exporter_url(state: State<'_, AppState>) -> Option<String> {
    state.exporter.url()
}

/// The monitoring schedule: whether it runs, the next sample, the last thing it did.
#[tauri::command]
pub fn monitor_status(state: State<'_, AppState>) -> crate::schedule::MonitorStatus {
    lock_unpoisoned(&state.monitor_status).clone()
}

/// Makes `model` the default (the tray's model submenu).
pub fn select_model<R: Runtime>(app: &AppHandle<R>, model: &str) -> CmdResult<()> {
    let state = app.state::<AppState>();
    let mut s = state.settings();
    s.default_model = model.to_string();
    apply(&state, s)
}

/// Qwen3 checkpoints on disk (as `benchbar models --format json`).
#[tauri::command]
pub async fn list_models() -> Vec<benchbar_mlx::ModelInfo> {
    benchbar_mlx::list_models()
}
