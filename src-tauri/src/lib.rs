//! BenchBar's menu-bar app (Tauri v2).
//!
//! A tray icon with a menu (last result, run quick/full, model, dashboard, history, settings,
//! quit) and three windows loading `ui/`. Everything here is an adapter: runs are measured,
//! stored and judged by `benchbar-service` exactly as `benchbar run` does, in the same
//! database, so the CLI and the app see each other's runs.

pub mod commands;
pub mod error;
pub mod events;
pub mod exporter;
pub mod pulls;
pub mod runner;
pub mod runs;
pub mod schedule;
pub mod selftest;
pub mod settings;
pub mod state;
pub mod status;
mod tray;
pub mod windows;

use tauri::{Builder, Manager, Runtime};

use benchbar_core::report::RunOrigin;

use crate::error::CmdResult;
use crate::runner::{EventSink, Watchers};
use crate::state::{AppConfig, AppHooks, AppState, Notifier};

/// Registers the app's commands and shared state on a builder (the real one or
/// `tauri::test::mock_builder()`); the caller manages [`AppState`].
pub fn register<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        // Launch at login: on macOS a LaunchAgent plist in ~/Library/LaunchAgents (the
        // plugin's default: no Automation permission prompt, unlike its AppleScript login
        // item; this plugin version offers no SMAppService), on Linux an XDG autostart entry.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .app_name("BenchBar")
                .build(),
        )
        .manage(Watchers::default())
        .manage(pulls::PullWatchers::default())
        .invoke_handler(tauri::generate_handler![
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::list_models,
            commands::settings::monitor_status,
            commands::settings::exporter_url,
            commands::settings::open_window,
            commands::models::model_catalogue,
            commands::models::first_run,
            commands::models::pull_model,
            commands::models::cancel_pull,
            commands::models::watch_pulls,
            commands::runs::start_run,
            commands::runs::cancel_run,
            commands::runs::watch_runs,
            commands::history::history,
            commands::history::history_charts,
            commands::history::get_run,
            commands::history::compare,
            commands::history::set_baseline,
            commands::history::export_run,
            commands::history::targets,
            commands::scenarios::use_cases,
            commands::scenarios::start_scenario,
        ])
}

/// The hooks for runtime `R`.
struct Hooks<R: Runtime>(tauri::AppHandle<R>);

impl<R: Runtime> AppHooks for Hooks<R> {
    fn start_run(
        &self,
        suite: String,
        model: String,
        origin: RunOrigin,
        sink: Option<EventSink>,
    ) -> CmdResult<u64> {
        runner::spawn(&self.0, suite, model, origin, sink)
    }

    fn start_pull(
        &self,
        repo_id: String,
        sink: Option<tauri::ipc::Channel<pulls::PullEvent>>,
    ) -> CmdResult<()> {
        commands::models::start_pull(&self.0, repo_id, sink)
    }

    fn start_job(&self, sink: Option<EventSink>, job: runner::Job) -> CmdResult<u64> {
        runner::spawn_job(&self.0, sink, job)
    }

    fn settings_changed(&self) {
        let _ = tray::refresh_models(&self.0);
        tray::refresh_login_item(&self.0);
    }

    fn open_window(&self, window: windows::Window) -> CmdResult<()> {
        if window == windows::Window::Panel {
            return Err(crate::error::CmdError::new(
                "the panel opens from the menu bar",
            ));
        }
        if let Some(panel) = self.0.get_webview_window(windows::Window::Panel.label()) {
            let _ = panel.hide();
        }
        Ok(windows::show(&self.0, window, None)?)
    }

    fn set_launch_at_login(&self, on: bool) -> CmdResult<()> {
        use tauri_plugin_autostart::ManagerExt;
        let login = self.0.autolaunch();
        let done = if on { login.enable() } else { login.disable() };
        done.map_err(|e| crate::error::CmdError::new(format!("launch at login: {e}")))
    }
}

/// Makes `state` the app's state and connects it to the app (tray, run threads, the
/// monitoring schedule, which follows the settings and is off by default).
pub fn attach<R: Runtime>(app: &tauri::AppHandle<R>, state: AppState) {
    let _ = state.hooks.set(Box::new(Hooks(app.clone())));
    // The exporter as the settings say (off by default); a port in use leaves it off and the
    // Settings window shows why on the next save.
    if let Err(e) = state
        .exporter
        .apply(&state.settings().exporter, &state.config.db_path)
    {
        eprintln!("benchbar-app: metrics exporter: {e}");
    }
    let (clock, status) = (state.clock.clone(), state.monitor_status.clone());
    app.manage(state);
    schedule::spawn(app, clock, status);
}

/// Regression notifications through tauri-plugin-notification.
struct PluginNotifier<R: Runtime>(tauri::AppHandle<R>);

impl<R: Runtime> Notifier for PluginNotifier<R> {
    fn notify(&self, a: &benchbar_service::notify::Announcement) {
        use tauri_plugin_notification::NotificationExt;
        // A notification that cannot be shown (no notification daemon) is not worth failing
        // the run; the tray's menu offers the regression as well.
        let _ = self
            .0
            .notification()
            .builder()
            .title(&a.title)
            .body(&a.body)
            .show();
    }
}

/// Which window to show at start (`--show dashboard|history|settings`); none by default: a
/// menu-bar app starts in the menu bar.
fn window_to_show(args: &[String]) -> Option<windows::Window> {
    let i = args.iter().position(|a| a == "--show")?;
    windows::Window::from_label(args.get(i + 1)?)
}

/// Runs the app.
pub fn run() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--self-test") {
        std::process::exit(selftest::run());
    }
    let config = match AppConfig::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("benchbar-app: {e}");
            std::process::exit(2);
        }
    };
    let show = window_to_show(&args);
    let app = register(tauri::Builder::default())
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            let notifier = Box::new(PluginNotifier(app.handle().clone()));
            attach(app.handle(), AppState::new(config, notifier));
            tray::create(app.handle())?;
            if let Some(w) = show {
                windows::show(app.handle(), w, None)?;
            }
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(a) => a,
        Err(e) => {
            eprintln!("benchbar-app: {e}");
            std::process::exit(2);
        }
    };
    app.run(|_app, event| {
        // Closing the last window keeps the app in the menu bar; Quit exits with a code.
        if let tauri::RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_window_comes_from_show() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            window_to_show(&args(&["app", "--show", "history"])),
            Some(windows::Window::History)
        );
        assert_eq!(window_to_show(&args(&["app"])), None);
        assert_eq!(window_to_show(&args(&["app", "--show", "nope"])), None);
        assert_eq!(window_to_show(&args(&["app", "--show"])), None);
    }
}
