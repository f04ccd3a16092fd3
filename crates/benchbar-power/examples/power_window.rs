//! Measures one window with the platform's default energy source — the same code path as
//! `benchbar power` — and prints `window-open` / `window-close` lines the moment the window's
//! counter snapshots are taken, then the report as JSON. Used to cross-check NVML energy
//! against an independent reader (scripts/nvml_check.py) on a GPU machine:
//!
//!     cargo run --release -p benchbar-power --example power_window -- 10

use std::io::Write;
use std::time::Duration;

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    let mark = |what: &str| {
        println!("{what}");
        let _ = std::io::stdout().flush();
    };
    let report = benchbar_power::measure_window(
        benchbar_power::open_default_source(),
        Duration::from_millis(250),
        Duration::from_secs(seconds),
        &mut || mark("window-open"),
        &mut |s| eprintln!("t={:.0} ms total {:.1} W", s.t_ms, s.total_w),
        &mut || mark("window-close"),
    );
    println!(
        "{}",
        serde_json::to_string(&report).expect("report serializes")
    );
}
