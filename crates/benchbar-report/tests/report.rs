//! The report's content from a fixture history (snapshots), its HTML self-contained, and the
//! charts drawn (PNG decoded and checked for drawn pixels).

use std::collections::BTreeMap;

use benchbar_core::document::{html, markdown};
use benchbar_core::regression::{Metric, Regression, Severity};
use benchbar_core::report::{build_report, CellPower, CellRaw, RunOrigin, RunReport};
use benchbar_core::spec::Category;
use benchbar_core::targets::TargetMatrix;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_report::charts::{chart_specs, histogram, write_charts, ChartKind, CHART_SIZE_PX};
use benchbar_report::{build, write_report, ReportInput, Scope};

const MODEL: &str = "mlx-community/Qwen3-1.7B-4bit";
const GB: u64 = 1_000_000_000;

/// A cell of `category` at `batch` with one trial per per-row decode rate (TTFT 100 ms + i);
/// at batch `b` the aggregate rate is `b` times the row's.
fn cell(test: &str, category: Category, batch: u32, tps: &[f64], mem_bytes: u64) -> CellRaw {
    let ttft: Vec<f64> = (0..tps.len()).map(|i| 100.0 + i as f64).collect();
    let mut c = synthetic_cell(tps, &ttft, mem_bytes);
    c.plan.test = test.into();
    c.plan.category = category;
    c.plan.batch_size = batch;
    if batch > 1 {
        for t in &mut c.trials {
            let one = t.requests[0].clone();
            t.requests = vec![one; batch as usize];
        }
    }
    c
}

/// A standard-suite-like run: short at batch 1 (with energy), batch 4 and 8, a
/// latency-consistency cell of 24 trials, and a memory stress cell.
fn full_run(run_id: i64, minutes: i64, decode_tps: f64) -> RunReport {
    let mut meta = synthetic_meta(Some(run_id), MODEL, "mlx 0.1 (MLX 0.32.4)");
    meta.started_at += chrono::Duration::minutes(minutes);
    meta.suite = "standard".into();
    let mut short = cell(
        "short.1",
        Category::Short,
        1,
        &[
            decode_tps,
            decode_tps + 1.0,
            decode_tps - 1.0,
            decode_tps,
            decode_tps + 0.5,
        ],
        2 * GB,
    );
    short.power = Some(CellPower {
        energy_j: Some(64.0),
        avg_power_w: Some(20.0),
        tokens_per_joule: Some(5.0),
        joules_per_token: Some(0.2),
        power_source: "ioreport".into(),
        ..CellPower::default()
    });
    let consistency: Vec<f64> = (0..24).map(|i| decode_tps + f64::from(i % 5)).collect();
    let mut stress = cell(
        "memory_stress.1",
        Category::MemoryStress,
        1,
        &[decode_tps * 0.8; 3],
        3 * GB,
    );
    stress.plan.reps = 3;
    stress.trials[2].error = Some("out of memory".into());
    let cells = vec![
        short,
        cell(
            "short.1",
            Category::Short,
            4,
            &[decode_tps * 0.75; 5],
            2 * GB + GB / 2,
        ),
        cell(
            "short.1",
            Category::Short,
            8,
            &[decode_tps * 0.6; 5],
            3 * GB,
        ),
        cell(
            "latency_consistency.1",
            Category::LatencyConsistency,
            1,
            &consistency,
            2 * GB,
        ),
        stress,
    ];
    build_report(&meta, &cells, &TargetMatrix::seed())
}

/// A quick monitoring sample of `model`.
fn sample(run_id: i64, minutes: i64, model: &str, decode_tps: f64) -> RunReport {
    let mut meta = synthetic_meta(Some(run_id), model, "mlx 0.1 (MLX 0.32.4)");
    meta.started_at += chrono::Duration::minutes(minutes);
    meta.origin = RunOrigin::Monitor;
    let c = synthetic_cell(
        &[decode_tps, decode_tps * 1.01, decode_tps * 0.99],
        &[90.0, 92.0, 91.0],
        2 * GB,
    );
    build_report(&meta, &[c], &TargetMatrix::seed())
}

fn input(runs: &[RunReport], scope: Scope) -> ReportInput<'_> {
    ReportInput {
        runs,
        scope,
        weight_bytes: BTreeMap::from([(MODEL.to_string(), GB)]),
        bandwidth_override_gbps: None,
        measured_bandwidth: None,
    }
}

#[test]
fn a_measured_bandwidth_is_the_roofline_denominator_with_copy_and_vendor_beside_it() {
    let runs = [full_run(7, 0, 100.0)];
    let mut with = input(&runs, Scope::Run(7));
    with.measured_bandwidth = Some(benchbar_core::bandwidth::MeasuredBandwidth {
        read_gbps: 250.0,
        read_reduce_gbps: 240.0,
        read_gemv_gbps: 250.0,
        copy_gbps: 200.0,
        array_bytes: GB,
        reps: 50,
        device: "gpu (Apple M3 Max)".into(),
        mlx_version: "0.32.4".into(),
        measured_at: "2026-12-06T10:00:00Z".parse().unwrap(),
    });
    let md = markdown::render(&build(&with));
    assert!(
        md.contains(
            "Memory bandwidth: 250.0 GB/s (read bandwidth measured on gpu (Apple M3 Max) with MLX \
             0.32.4, 2026-12-06, by benchbar bandwidth); copy (read + write) 200.0 GB/s; the \
             roofline divides by the read figure, what a decode step does; Apple's published \
             figure 400.0 GB/s"
        ),
        "{md}"
    );
    // The same decode rate against 250 GB/s instead of the table's 400: 1.6× the percentage,
    // and against the copy figure 1.25× that again.
    let table = markdown::render(&build(&input(&runs, Scope::Run(7))));
    let pct = |md: &str, after: &str| -> f64 {
        let i = md
            .find(after)
            .unwrap_or_else(|| panic!("no {after:?} in {md}"))
            + after.len();
        md[i..].split('%').next().unwrap().trim().parse().unwrap()
    };
    let (measured_pct, table_pct) = (pct(&md, "Roofline: "), pct(&table, "Roofline: "));
    assert!(
        (measured_pct / table_pct - 1.6).abs() < 0.01,
        "{measured_pct} {table_pct}"
    );
    let copy_pct = pct(&md, "GB/s; the weights a decode step reads: of a mixture of experts, its routed experts only); ");
    assert!(
        (copy_pct / measured_pct - 1.25).abs() < 0.01,
        "{copy_pct} {measured_pct}"
    );
}

#[test]
fn one_run_report_has_every_section_of_the_seed() {
    let runs = [full_run(7, 0, 100.0)];
    let doc = build(&input(&runs, Scope::Run(7)));
    let md = markdown::render(&doc);
    insta::assert_snapshot!("one_run_markdown", md);
    // The latency-consistency cell has 24 samples: p95 reported, p99 (needs 100) not.
    assert!(md.contains("- P95: "), "{md}");
    assert!(
        md.contains("P99: not reported (24 samples; needs ≥ 100)"),
        "{md}"
    );
}

#[test]
fn window_report_lists_runs_and_regressions_and_pools_latency() {
    let mut slow = sample(3, 60, MODEL, 80.0);
    slow.regressions.push(Regression {
        test: "short.1".into(),
        batch_size: 1,
        metric: Metric::DecodeTps,
        baseline_value: 100.0,
        current_value: 80.0,
        change_percent: -20.0,
        threshold_percent: 5.0,
        p_value: 0.0004,
        severity: Severity::Critical,
        baseline_run_id: Some(1),
    });
    let runs = [
        full_run(4, -30, 100.0),
        sample(1, 0, MODEL, 100.0),
        sample(2, 30, "Qwen3-0.6B-4bit", 180.0),
        slow,
    ];
    let since = runs[0].started_at - chrono::Duration::hours(1);
    let md = markdown::render(&build(&input(&runs, Scope::Since(since))));
    insta::assert_snapshot!("window_markdown", md);
    // The latest sample is a quick one: batch, latency and memory stress come from the older
    // standard run, and say so.
    assert!(
        md.contains("Batch processing performance from the newest run that measured it: run 4"),
        "{md}"
    );
    assert!(md.contains("- Optimal batch size: 8"), "{md}");
}

#[test]
fn html_is_self_contained_with_inline_charts() {
    let runs = [sample(1, 0, MODEL, 100.0), sample(2, 30, MODEL, 90.0)];
    let dir = tempfile::tempdir().unwrap();
    let written = write_report(&input(&runs, Scope::Run(2)), dir.path()).unwrap();
    let page = std::fs::read_to_string(&written.html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<svg").count(), chart_specs(&runs).len());
    for external in ["<script", "<link", "src=\"http", "href=\"http", "<img"] {
        assert!(!page.contains(external), "{external} in the page");
    }
    let md = std::fs::read_to_string(&written.markdown).unwrap();
    assert!(
        md.contains("![Decode tokens/s per model](chart-decode-trend.png)"),
        "{md}"
    );
    for c in &written.charts {
        assert!(std::fs::metadata(c).unwrap().len() > 0, "{}", c.display());
    }
    // A title with markup is escaped, not injected.
    let mut doc = build(&input(&runs, Scope::Run(2)));
    doc.title = "<b>x</b>".into();
    assert!(html::render(&doc).contains("&lt;b&gt;x&lt;/b&gt;"));
}

/// Pixels that are not the white background.
fn drawn_pixels(img: &image::RgbImage) -> usize {
    img.pixels().filter(|p| p.0 != [255, 255, 255]).count()
}

#[test]
fn charts_are_drawn_with_data_and_text() {
    let runs: Vec<RunReport> = (0..6)
        .map(|i| sample(i + 1, i * 30, MODEL, 100.0 - i as f64))
        .collect();
    let specs = chart_specs(&runs);
    let stems: Vec<&str> = specs.iter().map(|s| s.file_stem).collect();
    assert_eq!(
        stems,
        [
            "chart-response-time",
            "chart-memory",
            "chart-response-time-distribution",
            "chart-memory-distribution",
            "chart-decode-trend"
        ]
    );
    let dir = tempfile::tempdir().unwrap();
    let charts = write_charts(&specs, dir.path()).unwrap();
    for (spec, chart) in specs.iter().zip(&charts) {
        let img = image::open(dir.path().join(&chart.png_file))
            .unwrap()
            .to_rgb8();
        assert_eq!(img.dimensions(), CHART_SIZE_PX);
        let drawn = drawn_pixels(&img);
        let total = (CHART_SIZE_PX.0 * CHART_SIZE_PX.1) as usize;
        assert!(
            drawn > total / 100,
            "{}: only {drawn} drawn pixels",
            spec.file_stem
        );
        // The data itself is drawn in the first series colour (blue), not only axes and text.
        let blue = img
            .pixels()
            .filter(|p| p.0[2] > 150 && p.0[0] < 120)
            .count();
        assert!(blue > 50, "{}: {blue} data pixels", spec.file_stem);
        assert!(
            chart.svg.contains(&spec.title),
            "{}: caption missing from SVG",
            spec.file_stem
        );
    }
    let trend = &specs[4];
    let ChartKind::Lines(series) = &trend.kind else {
        panic!("trend is a line chart")
    };
    assert_eq!(
        series[0].points.len(),
        runs.len(),
        "one point per run over a window"
    );
}

#[test]
fn histogram_counts_every_value_once() {
    let values: Vec<f64> = (0..50).map(f64::from).collect();
    let bins = histogram(&values);
    assert_eq!(bins.iter().map(|b| b.count).sum::<usize>(), values.len());
    assert_eq!(bins.first().unwrap().lo, 0.0);
    assert_eq!(bins.last().unwrap().hi, 49.0);
    let flat = histogram(&[5.0, 5.0, 5.0]);
    assert_eq!(flat.iter().map(|b| b.count).sum::<usize>(), 3);
    assert!(histogram(&[]).is_empty());
}

#[test]
fn a_newline_in_a_model_name_stays_in_its_heading() {
    let mut run = full_run(1, 0, 100.0);
    run.model.id = "evil\nmodel".into();
    let runs = vec![run];
    let md = markdown::render(&build(&input(&runs, Scope::Run(1))));
    assert!(md.contains("\n## Model: evil model\n"), "{md}");
}
