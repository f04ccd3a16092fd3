//! Snapshot tests of every exporter on a fixed synthetic report.

use benchbar_core::regression::compare_runs;
use benchbar_core::report::{build_report, ModelRef, RunOrigin, RunReport, RunStatus};
use benchbar_core::targets::TargetMatrix;
use benchbar_core::testkit::{synthetic_cell, synthetic_meta};
use benchbar_store::RunRow;

use super::Format;
use super::{render, Doc, HistoryLine};

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

#[test]
fn markdown_escapes_markup_in_text_fields() {
    let mut r = fixed();
    r.model.id = "<script>alert(1)</script> *x* _y_ `z`".into();
    let md = render(&Doc::Run(&r), Format::Md);
    assert!(!md.contains("<script>"), "{md}");
    assert!(
        md.contains("- model: \\<script\\>alert(1)\\</script\\> \\*x\\* \\_y\\_ \\`z\\`"),
        "{md}"
    );
}

#[test]
fn csv_guards_formulas_in_text_fields() {
    let mut r = fixed();
    r.model.id = "=HYPERLINK(\"http://evil\",\"x\")".into();
    let csv = render(&Doc::Run(&r), Format::Csv);
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.starts_with("7,\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\",mlx,"),
        "{row}"
    );
}

fn history_line(model: &str, status: RunStatus) -> HistoryLine {
    let r = fixed();
    HistoryLine {
        row: RunRow {
            run_id: 3,
            started_at: r.started_at,
            status,
            suite: "quick".into(),
            model: ModelRef {
                id: model.into(),
                path: None,
                quantization: None,
            },
            engine: r.engine.clone(),
            origin: RunOrigin::Cli,
        },
        decode_tps: Some(100.0),
        roofline: None,
        ttft_ms: None,
        peak_memory_bytes: None,
        joules_per_token: None,
        levels: None,
        depths: None,
        prompt_cache: None,
        regressions: 0,
    }
}

#[test]
fn a_newline_in_a_model_name_keeps_the_history_row_whole() {
    let lines = [history_line("evil\nmodel", RunStatus::Completed)];
    let table = render(&Doc::History(&lines), Format::Table);
    // Title, blank, headers, rule, one row.
    assert_eq!(table.lines().count(), 5, "{table}");
    assert!(table.contains("evil model"), "{table}");
    let md = render(&Doc::History(&lines), Format::Md);
    assert!(md.contains("| evil model |"), "{md}");
}

#[test]
fn a_failed_cell_shows_no_prompt_length() {
    let mut r = fixed();
    let c = &mut r.cells[0];
    c.prompt_tokens = 0;
    for t in &mut c.trials {
        t.metrics.error = Some("engine failed".into());
    }
    let table = render(&Doc::Run(&r), Format::Table);
    let row = table.lines().find(|l| l.starts_with("short.1")).unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells[..5], ["short.1", "1", "-", "64", "5"], "{table}");
}
