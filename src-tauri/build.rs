//! Tauri's build step (config, capabilities, the app's command permissions) and the rpath to
//! the MLX library benchbar-mlx linked against (Linux), as for the `benchbar` binary.

/// The app's own commands: each gets an `allow-<name>` permission that the capability lists.
const COMMANDS: &[&str] = &[
    "get_settings",
    "save_settings",
    "list_models",
    "monitor_status",
    "exporter_url",
    "open_window",
    "model_catalogue",
    "first_run",
    "pull_model",
    "cancel_pull",
    "watch_pulls",
    "start_run",
    "cancel_run",
    "history",
    "history_charts",
    "get_run",
    "compare",
    "set_baseline",
    "export_run",
    "targets",
    "watch_runs",
    "use_cases",
    "start_scenario",
];

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_BENCHBAR_MLX_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_BENCHBAR_MLX_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
