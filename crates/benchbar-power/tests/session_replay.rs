//! A benchmark-like flow over a replayed recording: idle window, prefill and decode
//! phases from snapshots at phase boundaries, per-token snapshots, per-cell figures.

use std::sync::Arc;
use std::time::Duration;

use benchbar_power::{
    detect_throttling, CounterRow, Domain, PowerSession, ReplaySource, ThrottleCriteria,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

/// IOReport-like recording, one frame per 10 ms: idle for the first 2 frames
/// (cpu 1 W, gpu 0.5 W), then cpu 4 W and gpu 20 W; DRAM 1 W throughout; a per-cluster
/// channel that must be ignored.
fn recording(frames: u64) -> ReplaySource {
    let g = "Energy Model";
    let (mut cpu_mj, mut gpu_nj, mut dram_mj, mut ecpu_mj) = (0u64, 0u64, 0u64, 0u64);
    let mut out = Vec::new();
    for i in 0..frames {
        out.push((
            i * 10_000_000,
            vec![
                CounterRow::new(g, "CPU Energy", "mJ", cpu_mj),
                CounterRow::new(g, "GPU Energy", "nJ", gpu_nj),
                CounterRow::new(g, "DRAM", "mJ", dram_mj),
                CounterRow::new(g, "ECPU", "mJ", ecpu_mj),
            ],
        ));
        let busy = i >= 2;
        cpu_mj += if busy { 40 } else { 10 };
        gpu_nj += if busy { 200_000_000 } else { 5_000_000 };
        dram_mj += 10;
        ecpu_mj += 1_000;
    }
    ReplaySource::timed(out).with_thermal_pressure("Nominal")
}

#[test]
fn prefill_and_decode_phases() {
    let session = Arc::new(PowerSession::start(
        Box::new(recording(100_000)),
        Duration::from_millis(20),
        Duration::from_millis(1),
    ));
    // Idle: cpu 1 W + gpu 0.5 W + dram 1 W.
    let idle = session.idle().unwrap();
    assert!(close(idle.idle_w, 2.5, 1e-9), "{idle:?}");
    assert!(close(idle.domains_w[&Domain::Gpu], 0.5, 1e-9));

    let prefill_start = session.snapshot();
    std::thread::sleep(Duration::from_millis(5));
    let prefill_end = session.snapshot();
    // Per-token snapshots from another thread, as a token callback would.
    let s2 = Arc::clone(&session);
    let tokens = std::thread::spawn(move || (0..32).map(|_| s2.snapshot()).collect::<Vec<_>>())
        .join()
        .unwrap();
    let decode_end = session.snapshot();

    for (a, b) in [(&prefill_start, &prefill_end), (&prefill_end, &decode_end)] {
        let p = session.energy_between(a, b).unwrap();
        // Busy: cpu 4 + gpu 20 + dram 1 = 25 W; idle 2.5 W.
        assert!(close(p.avg_power_w.unwrap(), 25.0, 1e-6), "{p:?}");
        assert!(close(p.net_avg_power_w.unwrap(), 22.5, 1e-6), "{p:?}");
        assert!(close(p.domains_j[&Domain::Gpu] / p.elapsed_s, 20.0, 1e-6));
        assert!(!p.domains_j.contains_key(&Domain::Other));
    }
    // Token timestamps are monotonic and each step has energy.
    for w in tokens.windows(2) {
        assert!(w[1].t_ns > w[0].t_ns);
        let e = session.energy_between(&w[0], &w[1]).unwrap();
        assert!(close(e.total_j, 0.25, 1e-9), "10 ms at 25 W");
    }

    let cell = session.cell_power(&prefill_start, &decode_end, 32);
    let phase = session.energy_between(&prefill_start, &decode_end).unwrap();
    assert!(close(cell.energy_j.unwrap(), phase.total_j, 1e-12));
    assert!(close(
        cell.tokens_per_joule.unwrap(),
        32.0 / phase.total_j,
        1e-9
    ));
    assert!(cell.peak_power_w.unwrap() >= 25.0 - 1e-6);
    let json = serde_json::to_value(&cell).unwrap();
    for key in [
        "energy_j",
        "avg_power_w",
        "peak_power_w",
        "tokens_per_joule",
        "power_source",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["power_source"], "replay");

    // Let the sampler (every 20 ms) take a few busy samples; bounded wait for loaded
    // machines.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while session.timeline().len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let session = Arc::try_unwrap(session).ok().unwrap();
    let report = session.finish();
    assert!(report.timeline.len() >= 3, "{:?}", report.timeline);
    assert_eq!(report.thermal_pressure.as_deref(), Some("Nominal"));
    assert!(close(report.peak_power_w.unwrap(), 25.0, 1e-6));
    assert_eq!(report.samples_dropped, 0);
    assert!(report.sampler_cpu_pct.unwrap() >= 0.0);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["source"]["availability"]["status"], "available");
    assert!(json["timeline"][0]["domains_w"]["cpu"].is_number());
}

#[test]
fn throttling_over_reps() {
    let v = detect_throttling(
        &[42.0, 41.0, 39.5, 38.0, 37.2],
        &ThrottleCriteria::default(),
    );
    assert!(v.suspected);
    let v = detect_throttling(
        &[42.0, 42.3, 41.8, 42.1, 42.0],
        &ThrottleCriteria::default(),
    );
    assert!(!v.suspected);
}
