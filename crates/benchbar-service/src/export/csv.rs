//! CSV exporter. A run is written in long form (one row per cell and metric, raw numbers);
//! single-table documents are written as their table.

use benchbar_core::catalogue::Metric;
use benchbar_core::report::RunReport;

use super::tabular::{layout, Layout};
use super::Doc;

/// Renders a document as CSV.
pub fn render(doc: &Doc<'_>) -> String {
    match doc {
        Doc::Run(r) => run(r),
        other => sections(&layout(other)),
    }
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::Writer::from_writer(Vec::new())
}

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner().expect("writing to memory cannot fail"))
        .expect("csv of UTF-8 is UTF-8")
}

fn f(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn run(r: &RunReport) -> String {
    let mut w = writer();
    let header = [
        "run_id",
        "model",
        "engine",
        "engine_version",
        "test",
        "category",
        "batch_size",
        "prompt_tokens",
        "gen_tokens",
        "reps",
        "metric",
        "mean",
        "median",
        "sd",
        "cv",
        "ci95_low",
        "ci95_high",
        "n",
        "min",
        "max",
        "p50",
        "p95",
        "p99",
    ];
    w.write_record(header).expect("in-memory write");
    for c in &r.cells {
        for metric in Metric::ALL {
            let Some(st) = metric.summary(&c.summary) else {
                continue;
            };
            let rec = [
                r.run_id.map(|i| i.to_string()).unwrap_or_default(),
                r.model.id.clone(),
                r.engine.name.clone(),
                r.engine.version.clone(),
                c.test.clone(),
                c.category.as_str().to_string(),
                c.batch_size.to_string(),
                c.prompt_tokens.to_string(),
                c.gen_tokens.to_string(),
                c.reps.to_string(),
                metric.name().to_string(),
                st.mean.to_string(),
                st.median.to_string(),
                f(st.sd),
                f(st.cv),
                f(st.ci95.map(|c| c[0])),
                f(st.ci95.map(|c| c[1])),
                st.n.to_string(),
                st.min.to_string(),
                st.max.to_string(),
                f(st.p50),
                f(st.p95),
                f(st.p99),
            ];
            w.write_record(rec).expect("in-memory write");
        }
    }
    finish(w)
}

fn sections(l: &Layout) -> String {
    let mut out = String::new();
    for (i, s) in l.sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut w = writer();
        w.write_record(&s.headers).expect("in-memory write");
        for r in &s.rows {
            w.write_record(r).expect("in-memory write");
        }
        out.push_str(&finish(w));
    }
    out
}
