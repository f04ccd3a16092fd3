//! The app's windows (created on demand; closing one does not quit the app).

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// A window of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Target matrix, achievements, live status.
    Dashboard,
    /// Charts, runs table, compare, baseline, export.
    History,
    /// Settings.
    Settings,
    /// The compact panel under the menu-bar icon: last result, a sparkline, Run/Cancel.
    Panel,
}

impl Window {
    /// Label (also the capability's window name).
    pub fn label(self) -> &'static str {
        match self {
            Window::Dashboard => "dashboard",
            Window::History => "history",
            Window::Settings => "settings",
            Window::Panel => "panel",
        }
    }

    /// Parses a label.
    pub fn from_label(s: &str) -> Option<Window> {
        [
            Window::Dashboard,
            Window::History,
            Window::Settings,
            Window::Panel,
        ]
        .into_iter()
        .find(|w| w.label() == s)
    }

    fn title(self) -> &'static str {
        match self {
            Window::Dashboard => "BenchBar",
            Window::History => "BenchBar · History",
            Window::Settings => "BenchBar · Settings",
            Window::Panel => "BenchBar",
        }
    }

    fn size(self) -> (f64, f64) {
        match self {
            Window::Dashboard => (1100.0, 820.0),
            Window::History => (1200.0, 860.0),
            Window::Settings => (560.0, 560.0),
            Window::Panel => (PANEL_WIDTH, 430.0),
        }
    }
}

/// The panel's width, logical pixels.
const PANEL_WIDTH: f64 = 340.0;

/// Shows the panel, or hides it when it is showing (a click on the menu-bar icon). `anchor`
/// is the icon's rectangle when the platform reports it (macOS): the panel opens under it;
/// elsewhere (Linux's tray reports no clicks; the menu's "Open panel") it opens where the window
/// manager puts it. The panel hides when it loses focus, as a menu-bar panel does.
pub fn toggle_panel<R: Runtime>(
    app: &AppHandle<R>,
    anchor: Option<tauri::Rect>,
) -> tauri::Result<()> {
    if let Some(win) = app.get_webview_window(Window::Panel.label()) {
        if win.is_visible()? {
            return win.hide();
        }
    } else {
        let (width, height) = Window::Panel.size();
        let win = WebviewWindowBuilder::new(app, "panel", WebviewUrl::App("panel.html".into()))
            .title(Window::Panel.title())
            .inner_size(width, height)
            .decorations(false)
            .resizable(false)
            .always_on_top(true)
            .skip_taskbar(true)
            .visible(false)
            .build()?;
        let hide = win.clone();
        win.on_window_event(move |e| {
            if let tauri::WindowEvent::Focused(false) = e {
                let _ = hide.hide();
            }
        });
    }
    let win = app
        .get_webview_window(Window::Panel.label())
        .ok_or(tauri::Error::WindowNotFound)?;
    if let Some(rect) = anchor {
        let scale = win.scale_factor()?;
        let pos = rect.position.to_physical::<f64>(scale);
        let size = rect.size.to_physical::<f64>(scale);
        // Centred under the icon.
        let x = pos.x + size.width / 2.0 - PANEL_WIDTH * scale / 2.0;
        let y = pos.y + size.height;
        win.set_position(tauri::PhysicalPosition::new(x.max(0.0), y))?;
    }
    win.show()?;
    win.set_focus()
}

/// Shows `w` (creating it when needed) at `page` (e.g. `history.html?compare=3,7`).
pub fn show<R: Runtime>(app: &AppHandle<R>, w: Window, query: Option<&str>) -> tauri::Result<()> {
    let page = match query {
        Some(q) => format!("{}.html?{q}", w.label()),
        None => format!("{}.html", w.label()),
    };
    if let Some(win) = app.get_webview_window(w.label()) {
        if query.is_some() {
            let mut url = win.url()?;
            url.set_path(&format!("/{}.html", w.label()));
            url.set_query(query);
            win.navigate(url)?;
        }
        win.show()?;
        win.unminimize()?;
        return win.set_focus();
    }
    let (width, height) = w.size();
    WebviewWindowBuilder::new(app, w.label(), WebviewUrl::App(page.into()))
        .title(w.title())
        .inner_size(width, height)
        .build()?
        .set_focus()
}
