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
}

impl Window {
    /// Label (also the capability's window name).
    pub fn label(self) -> &'static str {
        match self {
            Window::Dashboard => "dashboard",
            Window::History => "history",
            Window::Settings => "settings",
        }
    }

    /// Parses a label.
    pub fn from_label(s: &str) -> Option<Window> {
        [Window::Dashboard, Window::History, Window::Settings]
            .into_iter()
            .find(|w| w.label() == s)
    }

    fn title(self) -> &'static str {
        match self {
            Window::Dashboard => "BenchBar",
            Window::History => "BenchBar · History",
            Window::Settings => "BenchBar · Settings",
        }
    }

    fn size(self) -> (f64, f64) {
        match self {
            Window::Dashboard => (1100.0, 820.0),
            Window::History => (1200.0, 860.0),
            Window::Settings => (560.0, 560.0),
        }
    }
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
