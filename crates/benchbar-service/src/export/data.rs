//! What JSON and CSV write for a document: JSON the documents themselves (the report
//! contract for a run); CSV a run in long form (one row per cell and metric, raw numbers),
//! other documents as their tables.

use benchbar_core::catalogue::Metric;
use benchbar_core::document::Table;
use benchbar_core::report::RunReport;
use serde::Serialize;
use serde_json::Value;

use super::Doc;

#[derive(Serialize)]
struct TargetsDoc<'a> {
    #[serde(flatten)]
    matrix: &'a benchbar_core::targets::TargetMatrix,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<GradedRun<'a>>,
}

#[derive(Serialize)]
struct GradedRun<'a> {
    run_id: Option<i64>,
    model: &'a benchbar_core::report::ModelRef,
    target_row: &'a Option<String>,
    grades: &'a [benchbar_core::targets::Grade],
}

/// What JSON writes: the documents themselves (the report contract for a run).
pub fn json(doc: &Doc<'_>) -> Value {
    match doc {
        Doc::Run(r) => serde_json::to_value(r),
        Doc::History(h) => serde_json::to_value(h),
        Doc::Comparison(c) => serde_json::to_value(c),
        Doc::Baselines(b) => serde_json::to_value(b),
        Doc::Targets(m, run) => serde_json::to_value(TargetsDoc {
            matrix: m,
            run: run.map(|r| GradedRun {
                run_id: r.run_id,
                model: &r.model,
                target_row: &r.target_row,
                grades: &r.grades,
            }),
        }),
    }
    .expect("report types serialize to JSON")
}

/// What CSV writes when it is not the document's tables: a run's long table.
pub fn csv_table(doc: &Doc<'_>) -> Option<Table> {
    match doc {
        Doc::Run(r) => Some(long_table(r)),
        _ => None,
    }
}

fn f(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn long_table(r: &RunReport) -> Table {
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
    let mut t = Table::new(&header);
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
            t.rows.push(rec.to_vec());
        }
    }
    t
}
