//! The sampler thread's own CPU cost over a fake RAPL tree (goal: < 1 % of one core).

use std::time::Duration;

use crate::session::PowerSession;
use crate::sources::rapl::RaplSource;

#[test]
fn sampler_cpu_is_below_one_percent() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("intel-rapl:0");
    std::fs::create_dir_all(&zone).unwrap();
    std::fs::write(zone.join("name"), "package-0\n").unwrap();
    std::fs::write(zone.join("energy_uj"), "1000\n").unwrap();
    std::fs::write(zone.join("max_energy_range_uj"), "262143328850\n").unwrap();
    let source = RaplSource::open(dir.path());
    let session = PowerSession::start(
        Box::new(source),
        Duration::from_millis(250),
        Duration::from_millis(250),
    );
    // Make the counter move while the sampler runs.
    for i in 1..=6u64 {
        std::thread::sleep(Duration::from_millis(250));
        std::fs::write(
            zone.join("energy_uj"),
            format!("{}\n", 1000 + i * 2_500_000),
        )
        .unwrap();
    }
    let report = session.finish();
    assert!(report.timeline.len() >= 2, "{:?}", report.timeline);
    let pct = report
        .sampler_cpu_pct
        .expect("thread CPU time on Linux/macOS");
    let ms = report.sampler_cpu_ms.unwrap();
    eprintln!("sampler: {ms:.3} ms CPU, {pct:.4} % of one core");
    assert!(pct < 1.0, "sampler used {pct} % of a core");
    assert!(report.peak_power_w.unwrap() > 0.0);
}
