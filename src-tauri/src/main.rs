//! `benchbar-app`: the BenchBar menu-bar app.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    benchbar_app::run();
}
