//! Bandwidth measurements: kept per machine, the newest returned, other machines' never.

use benchbar_core::bandwidth::MeasuredBandwidth;
use benchbar_core::testkit::synthetic_meta;
use benchbar_store::Store;
use chrono::{Duration, Utc};

fn measured(read_gbps: f64, hours_ago: i64) -> MeasuredBandwidth {
    MeasuredBandwidth {
        read_gbps,
        read_reduce_gbps: read_gbps * 0.97,
        read_gemv_gbps: read_gbps,
        copy_gbps: read_gbps * 0.9,
        array_bytes: 1 << 30,
        reps: 50,
        device: "gpu (Apple M3 Max)".into(),
        mlx_version: "0.32.4".into(),
        measured_at: Utc::now() - Duration::hours(hours_ago),
    }
}

#[test]
fn the_newest_measurement_of_the_machine_is_returned_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let machine = synthetic_meta(None, "m", "v").machine;
    let mut other = machine.clone();
    other.chip = Some("Apple M4 Pro".into());
    {
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.latest_bandwidth(&machine).unwrap(), None);
        // Saved out of time order: the newest by measurement time wins, not the last saved.
        store.save_bandwidth(&machine, &measured(372.0, 1)).unwrap();
        store
            .save_bandwidth(&machine, &measured(350.0, 48))
            .unwrap();
        store.save_bandwidth(&other, &measured(240.0, 0)).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.latest_bandwidth(&machine).unwrap().unwrap().read_gbps,
        372.0
    );
    assert_eq!(
        store.latest_bandwidth(&other).unwrap().unwrap().read_gbps,
        240.0
    );
    let mut third = machine.clone();
    third.memory_bytes += 1;
    assert_eq!(store.latest_bandwidth(&third).unwrap(), None);
}
