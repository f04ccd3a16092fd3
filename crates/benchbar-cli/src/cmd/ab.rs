//! Engines side by side: one table per test (cell) with every engine's numbers and the ratio
//! of each engine to the first (`benchbar run --engine mlx,openai`).

use benchbar_core::catalogue::Metric;
use benchbar_core::report::{CellReport, RunReport};
use serde_json::{json, Value};

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

fn label(r: &RunReport) -> String {
    match r.run_id {
        Some(id) => format!("{} (run {id})", r.engine.name),
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
    match format {
        Format::Json => render_json(reports),
        Format::Csv => render_csv(reports),
        Format::Table | Format::Md => render_tables(reports, format == Format::Md),
    }
}

fn header(reports: &[RunReport]) -> Vec<String> {
    let mut h = vec!["metric".to_string()];
    h.extend(reports.iter().map(label));
    let first = &reports[0].engine.name;
    h.extend(
        reports[1..]
            .iter()
            .map(|r| format!("{}/{first}", r.engine.name)),
    );
    h
}

fn table_rows(row: &Row<'_>) -> Vec<Vec<String>> {
    lines()
        .map(|m| {
            let vals: Vec<Option<f64>> = row
                .cells
                .iter()
                .map(|c| c.and_then(|c| m.value(c)))
                .collect();
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

fn render_tables(reports: &[RunReport], md: bool) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!(
            "{}: {} · model {} · {}\n",
            label(r),
            r.engine.version,
            r.model.id,
            r.status.as_str()
        ));
    }
    let head = header(reports);
    for row in rows(reports) {
        let first = row.cells.iter().flatten().next();
        out.push_str(&format!(
            "\n{}{}@{} (prompt {} tok, gen {} tok requested)\n",
            if md { "### " } else { "" },
            row.test,
            row.batch_size,
            first.map_or(0, |c| c.prompt_tokens),
            first.map_or(0, |c| c.gen_tokens),
        ));
        let body = table_rows(&row);
        if md {
            out.push('\n');
            out.push_str(&format!("| {} |\n", head.join(" | ")));
            out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
            for l in &body {
                out.push_str(&format!("| {} |\n", l.join(" | ")));
            }
        } else {
            let widths: Vec<usize> = (0..head.len())
                .map(|i| {
                    std::iter::once(&head[i])
                        .chain(body.iter().map(|l| &l[i]))
                        .map(|s| s.chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for l in std::iter::once(&head).chain(body.iter()) {
                let cols: Vec<String> = l
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let pad = widths[i] - s.chars().count();
                        if i == 0 {
                            format!("{s}{}", " ".repeat(pad))
                        } else {
                            format!("{}{s}", " ".repeat(pad))
                        }
                    })
                    .collect();
                out.push_str(cols.join("  ").trim_end());
                out.push('\n');
            }
        }
    }
    let warnings: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.warnings
                .iter()
                .map(move |w| format!("{}: {w}", r.engine.name))
        })
        .collect();
    if !warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for w in warnings {
            out.push_str(&format!("  {w}\n"));
        }
    }
    out
}

fn comparison_json(reports: &[RunReport]) -> Vec<Value> {
    rows(reports)
        .iter()
        .map(|row| {
            let metrics: serde_json::Map<String, Value> = lines()
                .map(|m| {
                    let vals: Vec<Option<f64>> = row
                        .cells
                        .iter()
                        .map(|c| c.and_then(|c| m.value(c)))
                        .collect();
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

fn render_json(reports: &[RunReport]) -> String {
    let engines: Vec<Value> = reports
        .iter()
        .map(|r| json!({"name": r.engine.name, "version": r.engine.version, "run_id": r.run_id, "model": r.model.id}))
        .collect();
    let v = json!({
        "engines": engines,
        "comparison": comparison_json(reports),
        "runs": reports,
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn render_csv(reports: &[RunReport]) -> String {
    let mut out = String::from("test,batch_size,metric");
    for r in reports {
        out.push_str(&format!(",{}", r.engine.name));
    }
    for r in &reports[1..] {
        out.push_str(&format!(",{}/{}", r.engine.name, reports[0].engine.name));
    }
    out.push('\n');
    for row in rows(reports) {
        for m in lines() {
            let vals: Vec<Option<f64>> = row
                .cells
                .iter()
                .map(|c| c.and_then(|c| m.value(c)))
                .collect();
            out.push_str(&format!("{},{},{}", row.test, row.batch_size, m.name()));
            for v in &vals {
                out.push_str(&format!(
                    ",{}",
                    v.map(|x| x.to_string()).unwrap_or_default()
                ));
            }
            for v in &vals[1..] {
                out.push_str(&format!(
                    ",{}",
                    ratio(vals[0], *v)
                        .map(|x| x.to_string())
                        .unwrap_or_default()
                ));
            }
            out.push('\n');
        }
    }
    out
}
