//! Result bundles: an export bundle carries runs to another history exactly (origin `import`,
//! machine kept, never a baseline there); a recovery bundle stores its run as measured; an
//! altered, truncated, newer or duplicate bundle is refused with one line; and the parser is
//! fuzzed (mutated bundles and random bytes never panic, and nothing altered is accepted).

use benchbar_core::report::{RunOrigin, RunReport};
use benchbar_core::targets::TargetMatrix;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_service::bundle::{Bundle, BundleKind};
use benchbar_store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// A history with two runs of different models; returns it and their ids.
fn source() -> (tempfile::TempDir, Store, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("a.db")).unwrap();
    let ids = ["Qwen3-8B-4bit", "Qwen3-1.7B-4bit"]
        .iter()
        .map(|model| {
            let cells = vec![synthetic_cell(
                &[50.0, 51.0, 49.5],
                &[80.0, 82.0, 79.0],
                5 << 30,
            )];
            store
                .save_run(&synthetic_meta(None, model, "0.1 / MLX 0.29"), &cells, &[])
                .unwrap()
        })
        .collect();
    (dir, store, ids)
}

fn report(store: &Store, id: i64) -> RunReport {
    store.load_run(id).unwrap().report(&TargetMatrix::seed())
}

#[test]
fn an_export_bundle_carries_runs_to_another_history_as_imports() {
    let (dir, store, ids) = source();
    let file = dir.path().join("runs.bundle.json");
    Bundle::export(&store, &ids)
        .unwrap()
        .write_to(&file)
        .unwrap();

    let mut other = Store::open(&dir.path().join("b.db")).unwrap();
    let bundle = Bundle::read(&file).unwrap();
    assert_eq!(bundle.kind, BundleKind::Export);
    assert_eq!(bundle.benchbar_version, env!("CARGO_PKG_VERSION"));
    let new_ids = bundle.import(&mut other).unwrap();
    assert_eq!(new_ids.len(), 2);
    for (old, new) in ids.iter().zip(&new_ids) {
        let (a, b) = (report(&store, *old), report(&other, *new));
        // The same measurement: machine, engine, model, cells with their raw trials.
        assert_eq!(a.cells, b.cells);
        assert_eq!(a.machine, b.machine);
        assert_eq!(a.engine, b.engine);
        assert_eq!(a.model, b.model);
        assert_eq!(a.started_at, b.started_at);
        assert_eq!(other.load_run(*new).unwrap().meta.origin, RunOrigin::Import);
        // Never a baseline of this machine.
        let err = other.set_baseline(*new).unwrap_err().to_string();
        assert!(err.contains("imported"), "{err}");
    }

    // The same bundle again: refused whole, nothing added.
    let err = bundle.import(&mut other).unwrap_err().to_string();
    assert!(err.contains("already in the history as run"), "{err}");
    assert_eq!(other.list_runs(None, 10).unwrap().len(), 2);
}

#[test]
fn a_recovery_bundle_stores_its_run_as_measured() {
    let (dir, store, ids) = source();
    let stored = store.load_run(ids[0]).unwrap();
    let r = stored.report(&TargetMatrix::seed());
    let path = Bundle::recovery(stored.meta, stored.cells, r)
        .write_new(dir.path())
        .unwrap();
    assert!(path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("benchbar-run-20261126T100000Z"));
    let mut other = Store::open(&dir.path().join("b.db")).unwrap();
    let id = Bundle::read(&path).unwrap().import(&mut other).unwrap()[0];
    assert_eq!(other.load_run(id).unwrap().meta.origin, RunOrigin::Cli);
    other.set_baseline(id).unwrap();
}

/// A valid export bundle's bytes.
fn bundle_bytes() -> Vec<u8> {
    let (_dir, store, ids) = source();
    Bundle::export(&store, &ids).unwrap().to_bytes()
}

#[test]
fn altered_truncated_newer_and_foreign_files_are_refused_with_one_line() {
    let good = bundle_bytes();
    let text = String::from_utf8(good.clone()).unwrap();
    assert!(Bundle::parse(&good).is_ok());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // One value of the content changed (any byte of it would do).
        (
            text.replacen("\"Qwen3-8B-4bit\"", "\"Qwen3-8B-8bit\"", 1)
                .into_bytes(),
            "does not match its SHA-256",
        ),
        (good[..good.len() / 2].to_vec(), "truncated"),
        (
            text.replacen("\"version\": 1,", "\"version\": 7,", 1)
                .into_bytes(),
            "newer than this build reads",
        ),
        (br#"{"run_id": 1}"#.to_vec(), "not a BenchBar result bundle"),
        (b"\x00\xffnot json".to_vec(), "not JSON"),
    ];
    for (bytes, want) in cases {
        let err = Bundle::parse(&bytes).unwrap_err();
        assert!(err.contains(want), "want {want:?} in {err:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn fuzz_mutated_bundles_never_panic_and_altered_content_is_never_accepted() {
    let good = bundle_bytes();
    let original = Bundle::parse(&good).unwrap();
    let len = good.len();
    let mut runner = proptest::test_runner::TestRunner::new(config(600, 26));
    runner
        .run(
            &(
                proptest::collection::vec((0..len, any::<u8>()), 1..4),
                0..=len,
            ),
            |(flips, cut)| {
                let mut bytes = good.clone();
                for (at, b) in flips {
                    bytes[at] = b;
                }
                bytes.truncate(cut.max(1));
                if let Ok(b) = Bundle::parse(&bytes) {
                    // Only envelope whitespace or metadata may differ; the runs are the ones
                    // the SHA-256 vouches for.
                    prop_assert_eq!(b.runs, original.runs.clone());
                }
                Ok(())
            },
        )
        .unwrap();
}

proptest! {
    #![proptest_config(config(400, 27))]
    #[test]
    fn fuzz_random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = Bundle::parse(&bytes) {
            prop_assert_eq!(e.lines().count(), 1);
        }
    }
}
