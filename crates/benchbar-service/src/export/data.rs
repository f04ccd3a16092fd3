//! What JSON and CSV write for a document: JSON the documents themselves (the report
//! contract for a run); CSV a run in long form (one row per cell and metric, raw numbers),
//! other documents as their tables.

use benchbar_core::catalogue::Metric;
use benchbar_core::document::Table;
use benchbar_core::report::RunReport;
use serde::Serialize;
use serde_json::Value;

use super::Doc;

/// `benchbar targets --format json` and the app's `targets` command: the seed's target matrix,
/// with one run graded against a row when asked.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct TargetsDoc {
    /// The matrix (hardware, model rows, achievement, RAG and scenario targets).
    #[serde(flatten)]
    pub matrix: benchbar_core::targets::TargetMatrix,
    /// The graded run, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub run: Option<GradedRun>,
}

/// A run's measured values graded against one row of the target matrix.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct GradedRun {
    /// The stored run; None for a run not saved.
    pub run_id: Option<i64>,
    /// The run's model.
    pub model: benchbar_core::report::ModelRef,
    /// The row it was graded against; None when no row matches the model.
    pub target_row: Option<String>,
    /// One grade per target metric.
    pub grades: Vec<benchbar_core::targets::Grade>,
}

/// The targets document of `matrix`, with `run` graded when given.
pub fn targets_doc(
    matrix: &benchbar_core::targets::TargetMatrix,
    run: Option<&RunReport>,
) -> TargetsDoc {
    TargetsDoc {
        matrix: matrix.clone(),
        run: run.map(|r| GradedRun {
            run_id: r.run_id,
            model: r.model.clone(),
            target_row: r.target_row.clone(),
            grades: r.grades.clone(),
        }),
    }
}

/// What JSON writes: the documents themselves (the report contract for a run).
pub fn json(doc: &Doc<'_>) -> Value {
    match doc {
        Doc::Run(r) => serde_json::to_value(r),
        Doc::History(h) => serde_json::to_value(h),
        Doc::Comparison(c) => serde_json::to_value(c),
        Doc::MachineComparison(c) => serde_json::to_value(c),
        Doc::Baselines(b) => serde_json::to_value(b),
        Doc::Targets(m, run) => serde_json::to_value(targets_doc(m, *run)),
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
