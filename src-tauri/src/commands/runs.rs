//! Starting, cancelling and watching runs.

use benchbar_core::report::RunOrigin;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::CmdResult;
use crate::events::RunEvent;
use crate::runner::Watchers;
use crate::state::AppState;

/// Starts a run; returns its number in this app session at once, events follow on `on_event`
/// and end with `finished` (which carries the stored run id).
#[tauri::command]
pub fn start_run(
    state: State<'_, AppState>,
    suite: String,
    model: String,
    on_event: Channel<RunEvent>,
) -> CmdResult<u64> {
    state.hooks()?.start_run(
        suite,
        model,
        RunOrigin::App,
        Some(Box::new(move |e| {
            let _ = on_event.send(e);
        })),
    )
}

/// Cancels the running benchmark (it then finishes with status `cancelled`).
#[tauri::command]
pub fn cancel_run(state: State<'_, AppState>) {
    state.slot.cancel();
}

/// Subscribes a window to the events of every run (started from the tray, another window or
/// the schedule) and to `history_changed`.
#[tauri::command]
pub fn watch_runs(watchers: State<'_, Watchers>, on_event: Channel<RunEvent>) {
    watchers.add(on_event);
}
