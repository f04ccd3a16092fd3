//! `#[tauri::command]` adapters: each parses its arguments, calls a crate function and maps
//! the error. No benchmark logic lives here.

pub mod history;
pub mod models;
pub mod runs;
pub mod scenarios;
pub mod settings;
