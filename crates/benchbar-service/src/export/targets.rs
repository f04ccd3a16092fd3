//! What the target matrix document shows (with a graded run's grades first, when given).

use benchbar_core::document::Document;
use benchbar_core::report::RunReport;
use benchbar_core::targets::TargetMatrix;

use super::layout::{doc, grades_section, range, section, strings};

/// The seed's target matrix as a document.
pub fn targets(m: &TargetMatrix, graded: Option<&RunReport>) -> Document {
    let h = &m.hardware;
    let batch = |r: &benchbar_core::targets::ModelTargets, b: u32| {
        r.batch_tps.get(&b).map_or("-".into(), |x| range(*x))
    };
    let mut sections = vec![section(
        Some("Model targets".into()),
        strings(&[
            "Model",
            "Single-batch tok/s",
            "Optimal-batch tok/s",
            "First token ms",
            "Memory GB",
            "Power W",
            "Batch 1",
            "Batch 4",
            "Batch 8",
            "Batch 16",
        ]),
        m.models
            .iter()
            .map(|r| {
                vec![
                    match &r.note {
                        Some(n) => format!("{} ({n})", r.name),
                        None => r.name.clone(),
                    },
                    range(r.single_batch_tps),
                    r.optimal_batch_tps.map_or("-".into(), range),
                    range(r.first_token_ms),
                    range(r.memory_gb),
                    range(r.power_w),
                    batch(r, 1),
                    batch(r, 4),
                    batch(r, 8),
                    batch(r, 16),
                ]
            })
            .collect(),
    )];
    sections.push(section(
        Some("Use-case targets".into()),
        strings(&["Model", "Use case", "Target"]),
        m.models
            .iter()
            .flat_map(|r| {
                r.use_cases
                    .iter()
                    .map(|u| vec![r.name.clone(), u.name.clone(), u.target.clone()])
            })
            .collect(),
    ));
    sections.push(section(
        Some("Real-world scenarios".into()),
        strings(&["Scenario", "Items", "Expected", "Target"]),
        m.scenarios
            .iter()
            .map(|s| {
                let expected: Vec<String> = s
                    .expected
                    .iter()
                    .map(|e| format!("{}: {} s", e.model, range(e.seconds)))
                    .collect();
                let target: Vec<String> = s
                    .target
                    .iter()
                    .map(|t| match t.size.as_str() {
                        "any" => format!("<{} s", t.max_seconds),
                        size => format!("<{} s ({size})", t.max_seconds),
                    })
                    .collect();
                vec![
                    s.name.clone(),
                    s.items.clone(),
                    expected.join("; "),
                    target.join("; "),
                ]
            })
            .collect(),
    ));
    sections.push(section(
        Some("RAG pipeline".into()),
        strings(&["Stage", "Target"]),
        m.rag
            .iter()
            .map(|r| vec![r.stage.clone(), r.target.clone()])
            .collect(),
    ));
    sections.push(section(
        Some("Expected performance achievements".into()),
        strings(&["Category", "Model", "Expected", "Note"]),
        m.achievements
            .iter()
            .flat_map(|a| {
                a.entries.iter().map(|e| {
                    vec![
                        a.category.clone(),
                        e.model.clone(),
                        e.mark.symbol().into(),
                        e.text.clone(),
                    ]
                })
            })
            .collect(),
    ));
    let mut notes = vec![];
    if let Some(r) = graded {
        match grades_section(r) {
            Some(mut s) => {
                s.title = Some(format!(
                    "Run {}: {} graded against {}",
                    r.run_id.unwrap_or_default(),
                    r.model.id,
                    r.target_row.as_deref().unwrap_or("-")
                ));
                sections.insert(0, s);
            }
            None => notes.push(format!(
                "run {} ({}) has no row in the matrix; pass --row NAME to grade it against one",
                r.run_id.unwrap_or_default(),
                r.model.id
            )),
        }
    }
    doc(
        vec![
            "Qwen3 target matrix (seed specification)".into(),
            format!(
                "reference hardware: {} · CPU {} · GPU {} · {} · {} GB/s",
                h.name, h.cpu, h.gpu, h.memory, h.memory_bandwidth_gbps
            ),
            "grades: ✅ inside or better than the range · ⚠️ within 10% worse · ❌ otherwise · n/a not measured".into(),
        ],
        sections,
        notes,
    )
}
