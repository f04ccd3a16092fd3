//! JSON exporter: the documents themselves (the report contract for runs).

use serde::Serialize;

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

/// Pretty JSON with a trailing newline.
pub fn render(doc: &Doc<'_>) -> String {
    let value = match doc {
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
    .expect("report types serialize to JSON");
    let mut s = serde_json::to_string_pretty(&value).expect("a JSON value prints");
    s.push('\n');
    s
}
