//! Engines side by side: one table per test (cell) with every engine's numbers and the ratio
//! of each engine to the first (`benchbar run --engine mlx,openai`).

use benchbar_core::report::{CellReport, RunReport};
use benchbar_core::stats::Stats;
use serde_json::{json, Value};

use crate::cli::Format;

/// A metric row: its name and how to read it from a cell.
struct Metric {
    /// Row label.
    name: &'static str,
    /// The value of a cell.
    value: fn(&CellReport) -> Option<f64>,
}

fn mean(s: &Option<Stats>) -> Option<f64> {
    s.as_ref().map(|s| s.mean)
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

const METRICS: [Metric; 11] = [
    Metric {
        name: "prompt_tokens",
        value: |c| avg(requests(c).map(|r| f64::from(r.prompt_tokens))),
    },
    Metric {
        name: "gen_tokens",
        value: |c| avg(requests(c).map(|r| f64::from(r.generated_tokens()))),
    },
    Metric {
        name: "ttft_ms",
        value: |c| mean(&c.summary.ttft_ms),
    },
    Metric {
        name: "prefill_tps",
        value: |c| mean(&c.summary.prefill_tps),
    },
    Metric {
        name: "decode_tps",
        value: |c| mean(&c.summary.decode_tps),
    },
    Metric {
        name: "itl_ms",
        value: |c| mean(&c.summary.itl_ms),
    },
    Metric {
        name: "e2e_ms",
        value: |c| mean(&c.summary.e2e_ms),
    },
    Metric {
        name: "throughput_tps",
        value: |c| mean(&c.summary.throughput_tps),
    },
    Metric {
        name: "peak_memory_mib",
        value: |c| {
            mean(&c.summary.peak_memory_bytes)
                .or(mean(&c.summary.process_peak_memory_bytes))
                .map(|b| b / (1024.0 * 1024.0))
        },
    },
    Metric {
        name: "ok_trials",
        value: |c| {
            Some(
                c.trials
                    .iter()
                    .filter(|t| t.metrics.error.is_none())
                    .count() as f64,
            )
        },
    },
    Metric {
        name: "failed_trials",
        value: |c| {
            Some(
                c.trials
                    .iter()
                    .filter(|t| t.metrics.error.is_some())
                    .count() as f64,
            )
        },
    },
];

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

fn num(v: Option<f64>) -> String {
    match v {
        None => "—".into(),
        Some(x) if x.abs() >= 100.0 || x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
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
    METRICS
        .iter()
        .map(|m| {
            let vals: Vec<Option<f64>> = row.cells.iter().map(|c| c.and_then(m.value)).collect();
            let mut line = vec![m.name.to_string()];
            line.extend(vals.iter().map(|v| num(*v)));
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
            let metrics: serde_json::Map<String, Value> = METRICS
                .iter()
                .map(|m| {
                    let vals: Vec<Option<f64>> =
                        row.cells.iter().map(|c| c.and_then(m.value)).collect();
                    let ratios: Vec<Option<f64>> =
                        vals[1..].iter().map(|v| ratio(vals[0], *v)).collect();
                    (
                        m.name.to_string(),
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
        for m in &METRICS {
            let vals: Vec<Option<f64>> = row.cells.iter().map(|c| c.and_then(m.value)).collect();
            out.push_str(&format!("{},{},{}", row.test, row.batch_size, m.name));
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
