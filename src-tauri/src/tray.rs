//! The menu-bar icon and its menu.

use benchbar_core::report::RunOrigin;
use benchbar_core::sync::lock_unpoisoned;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;
use crate::windows::{self, Window};

/// Menu item ids.
mod ids {
    pub const STATUS: &str = "status";
    pub const RUN_QUICK: &str = "run-quick";
    pub const RUN_FULL: &str = "run-full";
    pub const CANCEL: &str = "cancel";
    pub const DASHBOARD: &str = "dashboard";
    pub const HISTORY: &str = "history";
    pub const SETTINGS: &str = "settings";
    pub const PANEL: &str = "panel";
    pub const LOGIN: &str = "launch-at-login";
    pub const REGRESSION: &str = "regression";
    pub const QUIT: &str = "quit";
    /// Prefix of the model submenu's items.
    pub const MODEL: &str = "model:";
    /// Prefix of the model submenu's download items (catalogue entries not on disk).
    pub const PULL: &str = "pull:";
    pub const CANCEL_PULL: &str = "cancel-pull";
}

/// The menu items that change while the app runs.
pub struct TrayHandles<R: Runtime> {
    tray: TrayIcon<R>,
    status: MenuItem<R>,
    run_quick: MenuItem<R>,
    run_full: MenuItem<R>,
    cancel: MenuItem<R>,
    regression: MenuItem<R>,
    models: Submenu<R>,
    login: CheckMenuItem<R>,
}

/// Creates the tray icon and menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let none = None::<&str>;
    let status = MenuItem::with_id(app, ids::STATUS, "No runs yet", false, none)?;
    let run_quick = MenuItem::with_id(app, ids::RUN_QUICK, "Run quick benchmark", true, none)?;
    let run_full = MenuItem::with_id(app, ids::RUN_FULL, "Run full suite", true, none)?;
    let cancel = MenuItem::with_id(app, ids::CANCEL, "Cancel run", false, none)?;
    let models = Submenu::with_id(app, "models", "Model", true)?;
    let panel = MenuItem::with_id(app, ids::PANEL, "Open panel", true, none)?;
    let dashboard = MenuItem::with_id(app, ids::DASHBOARD, "Open dashboard", true, none)?;
    let history = MenuItem::with_id(app, ids::HISTORY, "History", true, none)?;
    let settings = MenuItem::with_id(app, ids::SETTINGS, "Settings…", true, none)?;
    let on_at_login = app.state::<AppState>().settings().launch_at_login;
    let login =
        CheckMenuItem::with_id(app, ids::LOGIN, "Launch at login", true, on_at_login, none)?;
    let regression = MenuItem::with_id(app, ids::REGRESSION, "No regression", false, none)?;
    let quit = MenuItem::with_id(app, ids::QUIT, "Quit BenchBar", true, none)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &run_quick,
            &run_full,
            &cancel,
            &models,
            &PredefinedMenuItem::separator(app)?,
            &panel,
            &dashboard,
            &history,
            &regression,
            &settings,
            &login,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let tray = TrayIconBuilder::with_id("benchbar")
        .icon(Image::from_bytes(include_bytes!("../icons/tray.png"))?)
        .icon_as_template(true)
        .tooltip("BenchBar")
        .menu(&menu)
        // A click opens the panel under the icon (where the platform reports clicks: macOS);
        // the menu is on a right click, and its items stay for keyboard users.
        .show_menu_on_left_click(false)
        .on_tray_icon_event(|tray, event| {
            if let tauri::tray::TrayIconEvent::Click {
                button: tauri::tray::MouseButton::Left,
                button_state: tauri::tray::MouseButtonState::Up,
                rect,
                ..
            } = event
            {
                let _ = windows::toggle_panel(tray.app_handle(), Some(rect));
            }
        })
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    app.manage(TrayHandles {
        tray,
        status,
        run_quick,
        run_full,
        cancel,
        regression,
        models,
        login,
    });
    refresh_models(app)?;
    refresh_status(app);
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let state = app.state::<AppState>();
    let result = match id {
        ids::RUN_QUICK | ids::RUN_FULL => {
            let s = state.settings();
            let suite = if id == ids::RUN_FULL {
                "full".to_string()
            } else {
                s.quick_suite.clone()
            };
            crate::runner::spawn(app, suite, s.default_model, RunOrigin::App, None).map(|_| ())
        }
        ids::CANCEL => {
            state.slot.cancel();
            Ok(())
        }
        ids::DASHBOARD => windows::show(app, Window::Dashboard, None).map_err(Into::into),
        ids::HISTORY => windows::show(app, Window::History, None).map_err(Into::into),
        ids::SETTINGS => windows::show(app, Window::Settings, None).map_err(Into::into),
        ids::PANEL => windows::toggle_panel(app, None).map_err(Into::into),
        ids::LOGIN => {
            let mut s = state.settings();
            s.launch_at_login = !s.launch_at_login;
            let done = crate::commands::settings::apply(&state, s);
            refresh_login_item(app);
            done
        }
        ids::REGRESSION => {
            let pair = *lock_unpoisoned(&state.last_regression);
            match pair {
                Some((base, run)) => {
                    windows::show(app, Window::History, Some(&format!("compare={base},{run}")))
                        .map_err(Into::into)
                }
                None => Ok(()),
            }
        }
        ids::QUIT => {
            // Quit cancels a run like Cancel does and exits once its completed cells are
            // stored (off the main thread, which the run's last tray updates need).
            let (app, slot) = (app.clone(), state.slot.clone());
            std::thread::spawn(move || {
                slot.cancel_and_wait(crate::runs::QUIT_WAIT);
                app.exit(0);
            });
            Ok(())
        }
        ids::CANCEL_PULL => {
            state.pulls.cancel();
            Ok(())
        }
        other => {
            if let Some(model) = other.strip_prefix(ids::MODEL) {
                crate::commands::settings::select_model(app, model)
            } else if let Some(repo) = other.strip_prefix(ids::PULL) {
                // Progress shows in Settings (opened here) and in any window watching pulls.
                let _ = windows::show(app, Window::Settings, None);
                crate::commands::models::start_pull(app, repo.to_string(), None)
            } else {
                Ok(())
            }
        }
    };
    if let Err(e) = result {
        set_status_text(app, &format!("⚠ {}", e.message));
    }
}

/// Rebuilds the model submenu: the discovered models (the selected one checked), then the
/// seed's catalogue entries not on disk as Download items (or Cancel download while one runs).
pub fn refresh_models<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let Some(h) = app.try_state::<TrayHandles<R>>() else {
        return Ok(());
    };
    let selected = app.state::<AppState>().settings().default_model;
    for item in h.models.items()? {
        h.models.remove(&item)?;
    }
    let on_disk = benchbar_mlx::list_models();
    if on_disk.is_empty() {
        // First run: say so; the built-in model is made by the first run, no download.
        h.models.append(&MenuItem::with_id(
            app,
            "first-run",
            "No model on disk yet: builtin:tiny is made on the first run",
            false,
            None::<&str>,
        )?)?;
    }
    let mut ids_seen = vec!["builtin:tiny".to_string()];
    ids_seen.extend(on_disk.into_iter().map(|m| m.id));
    if !ids_seen.contains(&selected) {
        ids_seen.push(selected.clone());
    }
    for id in ids_seen {
        let item = CheckMenuItem::with_id(
            app,
            format!("{}{id}", ids::MODEL),
            &id,
            true,
            id == selected,
            None::<&str>,
        )?;
        h.models.append(&item)?;
    }
    let state = app.state::<AppState>();
    let downloading = state.pulls.current();
    let catalogue = crate::commands::models::catalogue(&state).unwrap_or_default();
    let suggested = benchbar_hub::first_download(&catalogue).map(|e| e.repo_id.clone());
    let missing: Vec<_> = catalogue.into_iter().filter(|e| !e.present).collect();
    if downloading.is_some() || !missing.is_empty() {
        h.models.append(&PredefinedMenuItem::separator(app)?)?;
    }
    if let Some(repo) = &downloading {
        let text = format!("Cancel download of {repo}");
        h.models.append(&MenuItem::with_id(
            app,
            ids::CANCEL_PULL,
            text,
            true,
            None::<&str>,
        )?)?;
    }
    for e in missing {
        let (mut text, enabled) = download_label(&e, downloading.is_some());
        if suggested.as_deref() == Some(e.repo_id.as_str()) {
            text.push_str(" (smallest that fits this Mac)");
        }
        let id = format!("{}{}", ids::PULL, e.repo_id);
        h.models
            .append(&MenuItem::with_id(app, id, text, enabled, None::<&str>)?)?;
    }
    Ok(())
}

/// The Download item of a catalogue entry not on disk: (text, enabled).
fn download_label(e: &benchbar_hub::CatalogueEntry, busy: bool) -> (String, bool) {
    let size = benchbar_core::fmt::bytes(e.estimated_download_bytes as f64);
    if e.fits_memory {
        (format!("Download {} (~{size})…", e.repo_id), !busy)
    } else {
        let mem = benchbar_core::fmt::bytes(e.estimated_memory_bytes as f64);
        (
            format!("{} (needs ~{mem}, more than this Mac has)", e.repo_id),
            false,
        )
    }
}

fn set_status_text<R: Runtime>(app: &AppHandle<R>, text: &str) {
    if let Some(h) = app.try_state::<TrayHandles<R>>() {
        let _ = h.status.set_text(text);
    }
}

/// Shows the latest run in the status line (or "No runs yet").
pub fn refresh_status<R: Runtime>(app: &AppHandle<R>) {
    use crate::commands::history::latest_report;
    let latest = latest_report(app, None);
    let line = latest
        .as_ref()
        .map(|r| crate::status::status_line(r, chrono::Utc::now()));
    set_status_text(app, &line.unwrap_or_else(|| "No runs yet".into()));
    let Some(h) = app.try_state::<TrayHandles<R>>() else {
        return;
    };
    // The idle title: the default model's last decode tok/s, unless the setting hides it.
    // The latest run is usually the default model's: read the history once then.
    let s = app.state::<AppState>().settings();
    let title = s.tray_shows_speed.then(|| match latest {
        Some(r) if r.model.id == s.default_model => Some(r),
        _ => latest_report(app, Some(&s.default_model)),
    });
    let title = title.flatten().and_then(|r| crate::status::idle_title(&r));
    let _ = h.tray.set_title(title.as_deref());
}

/// The live tok/s of a run as the menu-bar title (when the setting shows speed).
pub fn set_live_speed<R: Runtime>(app: &AppHandle<R>, tps: f64) {
    if !app.state::<AppState>().settings().tray_shows_speed {
        return;
    }
    if let Some(h) = app.try_state::<TrayHandles<R>>() {
        let _ = h.tray.set_title(Some(crate::status::live_title(tps)));
    }
}

/// Switches the menu between running (progress in the title, Cancel on) and idle.
pub fn set_running<R: Runtime>(app: &AppHandle<R>, progress: Option<&str>) {
    let Some(h) = app.try_state::<TrayHandles<R>>() else {
        return;
    };
    let running = progress.is_some();
    let _ = h.cancel.set_enabled(running);
    let _ = h.run_quick.set_enabled(!running);
    let _ = h.run_full.set_enabled(!running);
    // The progress is the tooltip; the title shows the live tok/s (set_live_speed) or, when
    // speed is hidden, the progress.
    if !app.state::<AppState>().settings().tray_shows_speed {
        let _ = h.tray.set_title(progress);
    }
    let _ = h.tray.set_tooltip(Some(progress.unwrap_or("BenchBar")));
}

/// Offers the last regression in the menu.
pub fn set_regression<R: Runtime>(app: &AppHandle<R>, text: &str) {
    if let Some(h) = app.try_state::<TrayHandles<R>>() {
        let _ = h.regression.set_text(text);
        let _ = h.regression.set_enabled(true);
    }
}

/// Shows the settings' "Launch at login" in the tray's check item.
pub fn refresh_login_item<R: Runtime>(app: &AppHandle<R>) {
    if let Some(h) = app.try_state::<TrayHandles<R>>() {
        let on = app.state::<AppState>().settings().launch_at_login;
        let _ = h.login.set_checked(on);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fits_memory: bool) -> benchbar_hub::CatalogueEntry {
        benchbar_hub::CatalogueEntry {
            repo_id: "mlx-community/Qwen3-8B-4bit".into(),
            model: "Qwen3-8B".into(),
            quantization: "4bit".into(),
            param_count: 8_000_000_000,
            active_param_count: 8_000_000_000,
            seed: true,
            present: false,
            path: None,
            size_on_disk_bytes: 0,
            estimated_download_bytes: 4_600_000_000,
            estimated_memory_bytes: 5_500_000_000,
            fits_memory,
        }
    }

    #[test]
    fn download_items_name_the_size_and_refuse_what_cannot_fit() {
        assert_eq!(
            download_label(&entry(true), false),
            (
                "Download mlx-community/Qwen3-8B-4bit (~4.60 GB)…".into(),
                true
            )
        );
        assert!(
            !download_label(&entry(true), true).1,
            "one download at a time"
        );
        assert_eq!(
            download_label(&entry(false), false),
            (
                "mlx-community/Qwen3-8B-4bit (needs ~5.50 GB, more than this Mac has)".into(),
                false
            )
        );
    }
}
