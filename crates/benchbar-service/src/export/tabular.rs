//! What each document shows, as plain rows of text (rendered by the table and Markdown
//! writers).

use benchbar_core::regression::{Comparison, Metric, Verdict};
use benchbar_core::report::{CellReport, RunReport};
use benchbar_core::stats::Stats;
use benchbar_core::targets::{Grade, Range, TargetMatrix};

use super::{BaselineLine, Doc, HistoryLine};

pub use benchbar_core::fmt::{bytes, num};

/// A titled table.
#[derive(Debug, Default)]
pub struct Section {
    /// Title line.
    pub title: Option<String>,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// Lines after the table.
    pub notes: Vec<String>,
}

/// A document laid out: preamble lines (the first is the title), sections, closing notes.
#[derive(Debug, Default)]
pub struct Layout {
    /// Title and key facts.
    pub preamble: Vec<String>,
    /// Tables.
    pub sections: Vec<Section>,
    /// Warnings.
    pub notes: Vec<String>,
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// `mean ±half-CI` or `mean` alone, `-` when absent.
fn stat(s: &Stats, f: fn(f64) -> String) -> String {
    match s.ci95 {
        Some([lo, hi]) => format!("{} ±{}", f(s.mean), f((hi - lo) / 2.0)),
        None => f(s.mean),
    }
}

fn range(r: Range) -> String {
    format!("{}-{}", r[0], r[1])
}

fn opt(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map_or_else(|| "-".into(), f)
}

/// Lays out any document.
pub fn layout(doc: &Doc<'_>) -> Layout {
    match doc {
        Doc::Run(r) => run(r),
        Doc::History(h) => history(h),
        Doc::Comparison(c) => comparison(c),
        Doc::Targets(m, r) => targets(m, *r),
        Doc::Baselines(b) => baselines(b),
    }
}

fn run_preamble(r: &RunReport) -> Vec<String> {
    let id = r
        .run_id
        .map_or_else(|| "(not saved)".into(), |i| i.to_string());
    let m = &r.machine;
    vec![
        format!(
            "BenchBar run {id} · {} · {}",
            r.status.as_str(),
            r.started_at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        format!(
            "model: {}{}{}",
            r.model.id,
            r.model
                .quantization
                .as_deref()
                .map(|q| format!(" ({q})"))
                .unwrap_or_default(),
            r.model
                .path
                .as_deref()
                .map(|p| format!(" at {p}"))
                .unwrap_or_default()
        ),
        format!("engine: {} · {}", r.engine.name, r.engine.version),
        format!(
            "machine: {} · {} · {} · {}",
            m.chip.as_deref().unwrap_or(&m.cpu),
            bytes(m.memory_bytes as f64),
            m.os,
            m.arch
        ),
        format!("suite: {}", r.suite),
        format!(
            "power: {}",
            r.power
                .as_ref()
                .map_or("not sampled", |p| p.power_source.as_str())
        ),
    ]
}

/// The metrics of the results table (the process footprint is in JSON and CSV only).
fn cell_metrics() -> impl Iterator<Item = Metric> {
    Metric::ALL
        .into_iter()
        .filter(|m| *m != Metric::ProcessPeakMemoryBytes)
}

/// A metric's cell text: `mean ±half-CI`; ITL as `p50 / p95`; peak memory as its maximum.
fn metric_text(m: Metric, c: &CellReport) -> String {
    let Some(s) = m.summary(&c.summary) else {
        return "-".into();
    };
    match m {
        Metric::ItlMs => format!("{} / {}", num(s.median), opt(s.p95, num)),
        Metric::PeakMemoryBytes | Metric::ProcessPeakMemoryBytes => m.format(s.max),
        _ => stat(s, num),
    }
}

fn cell_row(c: &CellReport) -> Vec<String> {
    let mut row = vec![
        c.test.clone(),
        c.batch_size.to_string(),
        c.prompt_tokens.to_string(),
        c.gen_tokens.to_string(),
        c.reps.to_string(),
    ];
    row.extend(cell_metrics().map(|m| metric_text(m, c)));
    row
}

/// The grades section of a graded run.
fn grades_section(r: &RunReport) -> Option<Section> {
    let row = r.target_row.as_ref()?;
    Some(Section {
        title: Some(format!("Targets: {row} (seed matrix, M3 Max)")),
        headers: strings(&["Metric", "Target", "Measured", "Grade"]),
        rows: r.grades.iter().map(grade_row).collect(),
        notes: vec![],
    })
}

fn grade_row(g: &Grade) -> Vec<String> {
    vec![
        g.metric.clone(),
        range(g.target),
        opt(g.measured, num),
        g.grade.symbol().into(),
    ]
}

fn energy_section(r: &RunReport) -> Section {
    Section {
        title: Some("Energy (measured trials)".into()),
        headers: strings(&[
            "Test",
            "Batch",
            "Energy J",
            "Prefill J",
            "Decode J",
            "Avg W",
            "Peak W",
            "tok/J",
            "J/tok",
            "Source",
        ]),
        rows: r
            .cells
            .iter()
            .filter_map(|c| {
                let p = c.power.as_ref()?;
                Some(vec![
                    c.test.clone(),
                    c.batch_size.to_string(),
                    opt(p.energy_j, num),
                    opt(p.prefill_j, num),
                    opt(p.decode_j, num),
                    opt(p.avg_power_w, num),
                    opt(p.peak_power_w, num),
                    opt(p.tokens_per_joule, num),
                    opt(p.joules_per_token, num),
                    p.power_source.clone(),
                ])
            })
            .collect(),
        notes: vec![],
    }
}

fn run(r: &RunReport) -> Layout {
    let mut sections = vec![Section {
        title: Some("Results (mean ±95% CI)".into()),
        headers: strings(&["Test", "Batch", "Prompt", "Gen", "Reps"])
            .into_iter()
            .chain(cell_metrics().map(|m| match m {
                Metric::ItlMs => format!("{} p50/p95", m.heading()),
                m => m.heading().to_string(),
            }))
            .collect(),
        rows: r.cells.iter().map(cell_row).collect(),
        notes: vec![],
    }];
    if r.cells
        .iter()
        .any(|c| c.power.as_ref().is_some_and(|p| p.energy_j.is_some()))
    {
        sections.push(energy_section(r));
    }
    sections.extend(grades_section(r));
    if !r.regressions.is_empty() {
        sections.push(Section {
            title: Some("Regressions vs baseline".into()),
            headers: strings(&[
                "Test", "Batch", "Metric", "Baseline", "Current", "Change", "p", "Severity",
            ]),
            rows: r
                .regressions
                .iter()
                .map(|g| {
                    vec![
                        g.test.clone(),
                        g.batch_size.to_string(),
                        g.metric.name().into(),
                        num(g.baseline_value),
                        num(g.current_value),
                        format!("{:+.1}%", g.change_percent),
                        format!("{:.4}", g.p_value),
                        format!("{:?}", g.severity).to_lowercase(),
                    ]
                })
                .collect(),
            notes: vec![],
        });
    }
    Layout {
        preamble: run_preamble(r),
        sections,
        notes: r.warnings.clone(),
    }
}

fn history(lines: &[HistoryLine]) -> Layout {
    Layout {
        preamble: vec![format!("BenchBar history ({} runs)", lines.len())],
        sections: vec![Section {
            title: None,
            headers: strings(&[
                "ID",
                "Started (UTC)",
                "Status",
                "Model",
                "Engine",
                "Suite",
                Metric::DecodeTps.heading(),
                Metric::TtftMs.heading(),
                Metric::PeakMemoryBytes.heading(),
                "Regressions",
            ]),
            rows: lines
                .iter()
                .map(|l| {
                    vec![
                        l.row.run_id.to_string(),
                        l.row.started_at.format("%Y-%m-%d %H:%M").to_string(),
                        l.row.status.as_str().into(),
                        l.row.model.id.clone(),
                        l.row.engine.name.clone(),
                        l.row.suite.clone(),
                        opt(l.decode_tps, num),
                        opt(l.ttft_ms, num),
                        opt(l.peak_memory_bytes, bytes),
                        l.regressions.to_string(),
                    ]
                })
                .collect(),
            notes: vec![],
        }],
        notes: vec![],
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Regression => "REGRESSION",
        Verdict::Improvement => "improvement",
        Verdict::Unchanged => "unchanged",
        Verdict::NotSignificant => "not significant",
        Verdict::InsufficientSamples => "too few samples",
    }
}

fn comparison(c: &Comparison) -> Layout {
    let id = |i: Option<i64>| i.map_or_else(|| "-".into(), |i| i.to_string());
    let regressions = c.regressions().len();
    Layout {
        preamble: vec![
            format!("Comparison: run {} against baseline run {}", id(c.current_run_id), id(c.baseline_run_id)),
            format!("{regressions} regression(s); thresholds tok/s -5%, TTFT +10%, memory +15%, Welch p < 0.01"),
        ],
        sections: vec![Section {
            title: None,
            headers: strings(&["Test", "Batch", "Metric", "Baseline", "Current", "Delta", "p", "Verdict"]),
            rows: c
                .metrics
                .iter()
                .map(|m| {
                    let verdict_text = match m.severity {
                        Some(s) => format!("{} ({})", verdict(m.verdict), format!("{s:?}").to_lowercase()),
                        None => verdict(m.verdict).into(),
                    };
                    vec![
                        m.test.clone(),
                        m.batch_size.to_string(),
                        m.metric.name().into(),
                        m.metric.format(m.baseline),
                        m.metric.format(m.current),
                        format!("{:+.1}%", m.delta_pct),
                        m.p_value.map_or_else(|| "-".into(), |p| format!("{p:.4}")),
                        verdict_text,
                    ]
                })
                .collect(),
            notes: vec![],
        }],
        notes: c.unmatched_cells.iter().map(|u| format!("not compared: {u}")).collect(),
    }
}

fn targets(m: &TargetMatrix, graded: Option<&RunReport>) -> Layout {
    let h = &m.hardware;
    let batch = |r: &benchbar_core::targets::ModelTargets, b: u32| {
        r.batch_tps.get(&b).map_or("-".into(), |x| range(*x))
    };
    let mut sections = vec![Section {
        title: Some("Model targets".into()),
        headers: strings(&[
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
        rows: m
            .models
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
        notes: vec![],
    }];
    sections.push(Section {
        title: Some("Use-case targets".into()),
        headers: strings(&["Model", "Use case", "Target"]),
        rows: m
            .models
            .iter()
            .flat_map(|r| {
                r.use_cases
                    .iter()
                    .map(|u| vec![r.name.clone(), u.name.clone(), u.target.clone()])
            })
            .collect(),
        notes: vec![],
    });
    sections.push(Section {
        title: Some("Real-world scenarios".into()),
        headers: strings(&["Scenario", "Items", "Expected", "Target"]),
        rows: m
            .scenarios
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
        notes: vec![],
    });
    sections.push(Section {
        title: Some("RAG pipeline".into()),
        headers: strings(&["Stage", "Target"]),
        rows: m
            .rag
            .iter()
            .map(|r| vec![r.stage.clone(), r.target.clone()])
            .collect(),
        notes: vec![],
    });
    sections.push(Section {
        title: Some("Expected performance achievements".into()),
        headers: strings(&["Category", "Model", "Expected", "Note"]),
        rows: m
            .achievements
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
        notes: vec![],
    });
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
    Layout {
        preamble: vec![
            "Qwen3 target matrix (seed specification)".into(),
            format!(
                "reference hardware: {} · CPU {} · GPU {} · {} · {} GB/s",
                h.name, h.cpu, h.gpu, h.memory, h.memory_bandwidth_gbps
            ),
            "grades: ✅ inside or better than the range · ⚠️ within 10% worse · ❌ otherwise · n/a not measured".into(),
        ],
        sections,
        notes,
    }
}

fn baselines(b: &[BaselineLine]) -> Layout {
    Layout {
        preamble: vec![format!("Baselines ({})", b.len())],
        sections: vec![Section {
            title: None,
            headers: strings(&["Run", "Set at", "Configuration"]),
            rows: b
                .iter()
                .map(|l| vec![l.run_id.to_string(), l.set_at.clone(), l.run_key.clone()])
                .collect(),
            notes: vec![],
        }],
        notes: vec![],
    }
}
