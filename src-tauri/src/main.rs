//! `benchbar-app`: the BenchBar menu-bar app.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Linux: GTK 3 on X11 loads the OpenGL driver at start-up just to list GL visuals, which
    // for a menu-bar app with no window open is most of its memory (with Mesa's software driver
    // under Xvfb, 133 MB resident instead of 76 MB: scripts/idle-cost.sh). BenchBar's pages are
    // plain 2D, so GDK's GL stays off unless the user asks for it. Set before any thread runs.
    #[cfg(target_os = "linux")]
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    benchbar_app::run();
}
