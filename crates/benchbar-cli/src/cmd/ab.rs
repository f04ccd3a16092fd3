//! Engines side by side: one table per test (cell) with every engine's numbers and the ratio
//! of each engine to the first (`benchbar run --engine mlx,openai`).

use benchbar_core::catalogue::Metric;
use benchbar_core::report::{CellReport, RunReport};
use serde_json::{json, Value};

use benchbar_core::document::{Document, Section, Table};

use crate::cli::Format;

/// A row of a test's table: a fact of the cell (token counts, trial counts) or a catalogue
/// metric (its mean).
#[derive(Clone, Copy)]
enum Line {
    Fact(&'static str, fn(&CellReport) -> Option<f64>),
    Metric(Metric),
}

impl Line {
    fn name(self) -> &'static str {
        match self {
            Line::Fact(name, _) => name,
            Line::Metric(m) => m.name(),
        }
    }

    fn value(self, c: &CellReport) -> Option<f64> {
        match self {
            Line::Fact(_, f) => f(c),
            Line::Metric(m) => m.summary(&c.summary).map(|s| s.mean),
        }
    }

    /// A value for the table: metrics in their unit's format, facts as counts.
    fn text(self, v: Option<f64>) -> String {
        match (self, v) {
            (_, None) => "—".into(),
            (Line::Metric(m), Some(x)) => m.format(x),
            (Line::Fact(..), Some(x)) if x.fract() == 0.0 => format!("{x:.0}"),
            (Line::Fact(..), Some(x)) => format!("{x:.2}"),
        }
    }
}

fn requests(c: &CellReport) -> impl Iterator<Item = &benchbar_core::sample::RequestSample> {
    c.trials
        .iter()
        .filter(|t| t.metrics.error.is_none())
        .flat_map(|t| t.requests.iter())
}

fn avg(v: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0usize);
    for x in v {
        sum += x;
        n += 1;
    }
    (n > 0).then(|| sum / n as f64)
}

fn trials(c: &CellReport, ok: bool) -> Option<f64> {
    Some(
        c.trials
            .iter()
            .filter(|t| t.metrics.error.is_none() == ok)
            .count() as f64,
    )
}

/// The rows of every test's table: token counts, the catalogue's metrics, trial counts.
fn lines() -> impl Iterator<Item = Line> {
    [
        Line::Fact("prompt_tokens", |c| {
            avg(requests(c).map(|r| f64::from(r.prompt_tokens)))
        }),
        Line::Fact("gen_tokens", |c| {
            avg(requests(c).map(|r| f64::from(r.generated_tokens())))
        }),
    ]
    .into_iter()
    .chain(Metric::ALL.map(Line::Metric))
    .chain([
        Line::Fact("ok_trials", |c| trials(c, true)),
        Line::Fact("failed_trials", |c| trials(c, false)),
    ])
}

/// One test across engines.
struct Row<'a> {
    test: &'a str,
    batch_size: u32,
    cells: Vec<Option<&'a CellReport>>,
}

fn rows(reports: &[RunReport]) -> Vec<Row<'_>> {
    let mut keys: Vec<(&str, u32)> = Vec::new();
    for r in reports {
        for c in &r.cells {
            if !keys.contains(&(c.test.as_str(), c.batch_size)) {
                keys.push((c.test.as_str(), c.batch_size));
            }
        }
    }
    keys.into_iter()
        .map(|(test, batch_size)| Row {
            test,
            batch_size,
            cells: reports
                .iter()
                .map(|r| {
                    r.cells
                        .iter()
                        .find(|c| c.test == test && c.batch_size == batch_size)
                })
                .collect(),
        })
        .collect()
}

/// A row's value of a line for every engine.
fn values(row: &Row<'_>, line: Line) -> Vec<Option<f64>> {
    row.cells
        .iter()
        .map(|c| c.and_then(|c| line.value(c)))
        .collect()
}

fn label(r: &RunReport) -> String {
    match r.run_id {
        Some(id) => format!("{} (run {id})", name(r)),
        None => name(r),
    }
}

/// The engine's name, and its KV-cache quantization where it has one (`mlx` beside
/// `mlx KV 4-bit` for `--kv-bits 4`).
fn name(r: &RunReport) -> String {
    match &r.engine.kv_cache {
        Some(kv) => format!("{} KV {}-bit", r.engine.name, kv.bits),
        None => r.engine.name.clone(),
    }
}

fn ratio(base: Option<f64>, other: Option<f64>) -> Option<f64> {
    match (base, other) {
        (Some(b), Some(o)) if b != 0.0 => Some(o / b),
        _ => None,
    }
}

/// Renders the side-by-side comparison of runs of the same plan on different engines.
pub fn render(reports: &[RunReport], format: Format) -> String {
    format.render(&document(reports))
}

/// The comparison as a document: a table per test; JSON adds the runs, CSV is one long table.
fn document(reports: &[RunReport]) -> Document {
    let head = header(reports);
    let sections = rows(reports)
        .iter()
        .map(|row| {
            let first = row.cells.iter().flatten().next();
            Section {
                title: Some(format!(
                    "{}@{} (prompt {} tok, gen {} tok requested)",
                    row.test,
                    row.batch_size,
                    first
                        .and_then(|c| c.measured_prompt_tokens())
                        .map_or_else(|| "-".into(), |p| p.to_string()),
                    first.map_or(0, |c| c.gen_tokens),
                )),
                level: 3,
                table: Some(Table {
                    headers: head.clone(),
                    rows: table_rows(row),
                }),
                ..Section::default()
            }
        })
        .collect();
    let engines: Vec<Value> = reports
        .iter()
        .map(|r| json!({"name": r.engine.name, "version": r.engine.version, "kv_cache": r.engine.kv_cache, "run_id": r.run_id, "model": r.model.id}))
        .collect();
    Document {
        title: format!("Engines side by side: {}", reports[0].model.id),
        facts: reports
            .iter()
            .map(|r| {
                format!(
                    "{}: {} · model {} · {}",
                    label(r),
                    r.engine.version,
                    r.model.id,
                    r.status.as_str()
                )
            })
            .collect(),
        sections,
        notes: reports
            .iter()
            .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", name(r))))
            .collect(),
        data: Some(json!({
            "engines": engines,
            "comparison": comparison_json(reports),
            "runs": reports,
        })),
        data_table: Some(long_table(reports)),
        ..Document::default()
    }
}

fn header(reports: &[RunReport]) -> Vec<String> {
    let mut h = vec!["metric".to_string()];
    h.extend(reports.iter().map(label));
    let first = &name(&reports[0]);
    h.extend(reports[1..].iter().map(|r| format!("{}/{first}", name(r))));
    h
}

fn table_rows(row: &Row<'_>) -> Vec<Vec<String>> {
    lines()
        .map(|m| {
            let vals = values(row, m);
            let mut line = vec![m.name().to_string()];
            line.extend(vals.iter().map(|v| m.text(*v)));
            line.extend(vals[1..].iter().map(|v| match ratio(vals[0], *v) {
                Some(r) => format!("{r:.2}x"),
                None => "—".into(),
            }));
            line
        })
        .collect()
}

fn comparison_json(reports: &[RunReport]) -> Vec<Value> {
    rows(reports)
        .iter()
        .map(|row| {
            let metrics: serde_json::Map<String, Value> = lines()
                .map(|m| {
                    let vals = values(row, m);
                    let ratios: Vec<Option<f64>> =
                        vals[1..].iter().map(|v| ratio(vals[0], *v)).collect();
                    (
                        m.name().to_string(),
                        json!({"values": vals, "ratios": ratios}),
                    )
                })
                .collect();
            json!({"test": row.test, "batch_size": row.batch_size, "metrics": metrics})
        })
        .collect()
}

/// One row per test and metric: every engine's value, then each ratio to the first.
fn long_table(reports: &[RunReport]) -> Table {
    let mut headers = vec!["test".to_string(), "batch_size".into(), "metric".into()];
    headers.extend(reports.iter().map(name));
    headers.extend(
        reports[1..]
            .iter()
            .map(|r| format!("{}/{}", name(r), name(&reports[0]))),
    );
    let raw = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut t = Table {
        headers,
        rows: Vec::new(),
    };
    for row in rows(reports) {
        for m in lines() {
            let vals = values(&row, m);
            let mut cells = vec![
                row.test.to_string(),
                row.batch_size.to_string(),
                m.name().to_string(),
            ];
            cells.extend(vals.iter().map(|v| raw(*v)));
            cells.extend(vals[1..].iter().map(|v| raw(ratio(vals[0], *v))));
            t.rows.push(cells);
        }
    }
    t
}
