//! Snapshot tests of every exporter on a fixed synthetic report.

use benchbar_core::regression::compare_runs;
use benchbar_core::report::{build_report, RunReport};
use benchbar_core::targets::TargetMatrix;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};

use super::Format;
use super::{render, Doc};

fn report(id: i64, tps: &[f64]) -> RunReport {
    let meta = synthetic_meta(Some(id), "mlx-community/Qwen3-1.7B-4bit", "mlx 0.32.4");
    build_report(
        &meta,
        &[synthetic_cell(
            tps,
            &[100.0, 101.0, 99.0, 100.0, 100.0],
            3_000_000_000,
        )],
        &TargetMatrix::seed(),
    )
}

fn fixed() -> RunReport {
    report(7, &[100.0, 101.0, 99.0, 100.5, 99.5])
}

#[test]
fn run_table() {
    insta::assert_snapshot!(render(&Doc::Run(&fixed()), Format::Table));
}

#[test]
fn run_markdown() {
    insta::assert_snapshot!(render(&Doc::Run(&fixed()), Format::Md));
}

#[test]
fn run_csv() {
    insta::assert_snapshot!(render(&Doc::Run(&fixed()), Format::Csv));
}

#[test]
fn run_json() {
    // Only the summary part: the raw trials are long and covered by the CLI tests.
    let mut r = fixed();
    for c in &mut r.cells {
        c.trials.truncate(1);
        c.trials[0].requests.clear();
    }
    insta::assert_snapshot!(render(&Doc::Run(&r), Format::Json));
}

#[test]
fn comparison_table() {
    let slow: Vec<f64> = [100.0, 101.0, 99.0, 100.5, 99.5]
        .iter()
        .map(|x| x * 0.9)
        .collect();
    let cmp = compare_runs(&fixed(), &report(8, &slow)).unwrap();
    insta::assert_snapshot!(render(&Doc::Comparison(&cmp), Format::Table));
}

#[test]
fn targets_markdown_with_grades() {
    let r = fixed();
    insta::assert_snapshot!(render(
        &Doc::Targets(&TargetMatrix::seed(), Some(&r)),
        Format::Md
    ));
}

#[test]
fn markdown_escapes_pipes() {
    let mut r = fixed();
    r.model.id = "evil|model".into();
    let md = render(&Doc::Run(&r), Format::Md);
    assert!(md.contains("evil\\|model"));
}
