//! Regression detector: clear regression, noise that must not be flagged, incompatible keys.

use benchbar_core::regression::{compare_runs, Metric, Severity, Verdict};
use benchbar_core::report::{build_report, RunReport};
use benchbar_core::targets::TargetMatrix;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_core::Error;

fn run(id: i64, engine_version: &str, tps: &[f64], ttft_ms: &[f64], mem: u64) -> RunReport {
    let meta = synthetic_meta(Some(id), "mlx-community/Qwen3-1.7B-4bit", engine_version);
    build_report(
        &meta,
        &[synthetic_cell(tps, ttft_ms, mem)],
        &TargetMatrix::seed(),
    )
}

const STEADY: [f64; 5] = [100.0, 101.0, 99.0, 100.5, 99.5];
const TTFT: [f64; 5] = [100.0, 101.0, 99.0, 100.0, 100.0];

#[test]
fn clear_regression_is_flagged_with_severity() {
    let base = run(1, "mlx 0.32.4", &STEADY, &TTFT, 1_000_000);
    // 12% slower decode: past 2 x 5% -> critical. TTFT +30% -> critical. Memory +16% -> warning.
    let slow: Vec<f64> = STEADY.iter().map(|t| t * 0.88).collect();
    let late: Vec<f64> = TTFT.iter().map(|t| t * 1.3).collect();
    let cur = run(2, "mlx 0.32.4", &slow, &late, 1_160_000);
    let cmp = compare_runs(&base, &cur).unwrap();
    let regs = cmp.regressions();
    let find = |m: Metric| regs.iter().find(|r| r.metric == m);
    let decode = find(Metric::DecodeTps).expect("decode regression flagged");
    assert_eq!(decode.severity, Severity::Critical);
    assert!(
        (decode.change_percent + 12.0).abs() < 0.5,
        "{}",
        decode.change_percent
    );
    assert!(decode.p_value < 0.01);
    assert_eq!(decode.baseline_run_id, Some(1));
    assert_eq!(find(Metric::TtftMs).unwrap().severity, Severity::Critical);
    assert_eq!(
        find(Metric::PeakMemoryBytes).unwrap().severity,
        Severity::Warning
    );
}

#[test]
fn small_change_within_threshold_is_unchanged() {
    let base = run(1, "v", &STEADY, &TTFT, 1000);
    let cur_tps: Vec<f64> = STEADY.iter().map(|t| t * 0.97).collect();
    let cmp = compare_runs(&base, &run(2, "v", &cur_tps, &TTFT, 1000)).unwrap();
    assert!(cmp.regressions().is_empty());
    let d = cmp
        .metrics
        .iter()
        .find(|m| m.metric == Metric::DecodeTps)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Unchanged);
}

#[test]
fn noisy_drop_past_threshold_is_not_flagged() {
    // Means differ by 8% but the trials scatter by +-30%: not significant.
    let base = run(1, "v", &[100.0, 140.0, 70.0, 120.0, 90.0], &TTFT, 1000);
    let cur = run(2, "v", &[130.0, 60.0, 95.0, 110.0, 65.0], &TTFT, 1000);
    let cmp = compare_runs(&base, &cur).unwrap();
    let d = cmp
        .metrics
        .iter()
        .find(|m| m.metric == Metric::DecodeTps)
        .unwrap();
    assert!(d.delta_pct < -5.0, "{}", d.delta_pct);
    assert_eq!(d.verdict, Verdict::NotSignificant);
    assert!(cmp
        .regressions()
        .iter()
        .all(|r| r.metric != Metric::DecodeTps));
}

#[test]
fn improvement_is_not_a_regression() {
    let base = run(1, "v", &STEADY, &TTFT, 1000);
    let fast: Vec<f64> = STEADY.iter().map(|t| t * 1.2).collect();
    let cmp = compare_runs(&base, &run(2, "v", &fast, &TTFT, 1000)).unwrap();
    let d = cmp
        .metrics
        .iter()
        .find(|m| m.metric == Metric::DecodeTps)
        .unwrap();
    assert_eq!(d.verdict, Verdict::Improvement);
    assert!(cmp.regressions().is_empty());
}

#[test]
fn different_engine_versions_are_refused() {
    let base = run(1, "mlx 0.32.4", &STEADY, &TTFT, 1000);
    let cur = run(2, "mlx 0.33.0", &STEADY, &TTFT, 1000);
    let err = compare_runs(&base, &cur).unwrap_err();
    match err {
        Error::Incompatible(msg) => {
            assert!(
                msg.contains("engine version 'mlx 0.32.4' vs 'mlx 0.33.0'"),
                "{msg}"
            )
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn report_grades_against_the_models_row() {
    let r = run(1, "v", &STEADY, &TTFT, 3_000_000_000);
    assert_eq!(r.target_row.as_deref(), Some("Qwen3-1.7B-4bit"));
    let g = |m: &str| r.grades.iter().find(|g| g.metric == m).unwrap();
    assert_eq!(
        g("single_batch_tps").grade,
        benchbar_core::targets::Mark::Pass
    );
    assert!((g("single_batch_tps").measured.unwrap() - 100.0).abs() < 1.0);
    assert_eq!(g("memory_gb").measured, Some(3.0));
    assert_eq!(
        g("power_w").grade,
        benchbar_core::targets::Mark::NotMeasured
    );
    // TTFT ~100 ms is inside 80-150.
    assert_eq!(
        g("first_token_ms").grade,
        benchbar_core::targets::Mark::Pass
    );
}
