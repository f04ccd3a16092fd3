//! `open_default_source` on the test machine: never panics, and when nothing measures
//! (no RAPL access, no NVIDIA GPU, not a Mac) says why for each candidate.

use std::time::{Duration, Instant};

use benchbar_power::{open_default_source, PowerSession};

#[test]
fn default_source_reports_a_reason_or_measures() {
    let mut src = open_default_source();
    let info = src.info();
    if info.availability.is_available() {
        // A machine with readable RAPL or an NVIDIA GPU.
        assert!(!info.domains.is_empty());
        assert!(src.read().is_ok());
    } else {
        let reason = info.availability.reason().unwrap();
        assert!(!reason.is_empty());
        if cfg!(target_os = "linux") {
            assert!(reason.contains("nvml: "), "{reason}");
            assert!(reason.contains("rapl: "), "{reason}");
        }
        if cfg!(target_os = "macos") {
            assert!(reason.contains("ioreport: "), "{reason}");
            assert!(reason.contains("powermetrics: "), "{reason}");
        }
        assert!(info.label().starts_with("unavailable: "));
        assert!(src.read().is_err());
        eprintln!("default source here: {}", info.label());
    }
}

#[test]
fn a_session_over_the_default_source_never_blocks_the_run() {
    let t = Instant::now();
    let session = PowerSession::start(
        open_default_source(),
        Duration::from_millis(250),
        Duration::from_secs(2),
    );
    let a = session.snapshot();
    let b = session.snapshot();
    let cell = session.cell_power(&a, &b, 16);
    let report = session.finish();
    assert_eq!(cell.power_source, report.power_source);
    if !report.source.availability.is_available() {
        assert!(cell.energy_j.is_none());
        assert!(report.timeline.is_empty());
        assert!(
            t.elapsed() < Duration::from_millis(300),
            "no idle wait when unavailable"
        );
    }
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["power_source"].is_string());
}
