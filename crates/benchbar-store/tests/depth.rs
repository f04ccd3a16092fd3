//! Depth and prefix cells (`--depth`, `--cached-prefix`) survive a save and load beside cells
//! without them, which are stored as before (no new keys), so older databases read alike.

use benchbar_core::depth::PrefixPlan;
use benchbar_core::report::CellRaw;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_store::Store;

fn cell(tps: f64) -> CellRaw {
    synthetic_cell(&[tps, tps + 1.0], &[50.0, 51.0], 1 << 20)
}

#[test]
fn depth_prefix_and_kv_cache_round_trip_beside_plain_cells() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let mut store = Store::open(&path).unwrap();
    let mut c = vec![cell(100.0), cell(90.0), cell(80.0)];
    c[1].plan.test = "short.1.d4096".into();
    c[1].plan.depth_tokens = Some(4096);
    c[2].plan.test = "short.1.prefix512.cached".into();
    c[2].plan.prefix = Some(PrefixPlan {
        prefix_tokens: 512,
        cached: true,
    });
    for (i, t) in c[1].trials.iter_mut().enumerate() {
        t.counters.kv_cache_bytes = Some(3_000_000 + i as u64);
    }
    let meta = synthetic_meta(None, "builtin:tiny", "benchbar-mlx 0.1.0");
    let id = store.save_run(&meta, &c, &[]).unwrap();
    let loaded = store.load_run(id).unwrap();
    assert_eq!(loaded.cells, c, "depth, prefix and KV cache bytes survive");
    let plans: Vec<String> = rusqlite::Connection::open(&path)
        .unwrap()
        .prepare("SELECT plan_json FROM cells ORDER BY position")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!plans[0].contains("depth_tokens") && !plans[0].contains("prefix"));
    assert!(plans[1].contains("\"depth_tokens\":4096"));
    assert!(plans[2].contains("\"prefix_tokens\":512"));
}
