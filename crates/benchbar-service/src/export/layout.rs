//! What the run, history, comparison and baselines documents show, as plain text in the
//! shared document model (rendered by `benchbar_core::document`).

use benchbar_core::document::{Document, Section, Table};
use benchbar_core::fmt::{bytes, num, opt};
use benchbar_core::regression::{Comparison, Metric, Verdict};
use benchbar_core::report::{CellReport, RunReport};
use benchbar_core::stats::Stats;
use benchbar_core::targets::{Grade, Range};

use super::{BaselineLine, Doc, HistoryLine};

/// A document from lines (the first is the title, the others its facts), sections and notes.
pub(super) fn doc(lines: Vec<String>, sections: Vec<Section>, notes: Vec<String>) -> Document {
    let mut lines = lines.into_iter();
    Document {
        title: lines.next().unwrap_or_default(),
        facts: lines.collect(),
        sections,
        notes,
        ..Document::default()
    }
}

/// A top-level section holding one table.
pub(super) fn section(
    title: Option<String>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
) -> Section {
    Section::table(title, Table { headers, rows })
}

pub(super) fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// `mean ±half-CI` or `mean` alone, `-` when absent.
fn stat(s: &Stats, f: fn(f64) -> String) -> String {
    match s.ci95 {
        Some([lo, hi]) => format!("{} ±{}", f(s.mean), f((hi - lo) / 2.0)),
        None => f(s.mean),
    }
}

pub(super) fn range(r: Range) -> String {
    format!("{}-{}", r[0], r[1])
}

/// What a document shows (JSON and CSV data are added by [`super::document`]).
pub fn layout(doc: &Doc<'_>) -> Document {
    match doc {
        Doc::Run(r) => run(r),
        Doc::History(h) => history(h),
        Doc::Comparison(c) => comparison(c),
        Doc::MachineComparison(c) => super::machines::layout(c),
        Doc::Targets(m, r) => super::targets::targets(m, *r),
        Doc::Baselines(b) => baselines(b),
    }
}

fn run_preamble(r: &RunReport) -> Vec<String> {
    let id = r
        .run_id
        .map_or_else(|| "(not saved)".into(), |i| i.to_string());
    let m = &r.machine;
    let mut lines = vec![
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
    ];
    lines.extend(r.roofline.as_ref().map(roofline_line));
    lines
}

/// `roofline: 63.2% of 3,012 GB/s (source) · 65.6% of the copy bandwidth 2,901 GB/s`.
fn roofline_line(f: &benchbar_core::bandwidth::Roofline) -> String {
    format!(
        "roofline: {:.1}% of {} GB/s ({} tok/s × {} a token; {}){}",
        f.pct,
        num(f.bandwidth_gbps),
        num(f.decode_tps),
        bytes(f.bytes_per_token as f64),
        f.bandwidth_source,
        match (f.pct_of_copy, f.copy_gbps) {
            (Some(p), Some(c)) => format!(" · {p:.1}% of the copy bandwidth {} GB/s", num(c)),
            _ => String::new(),
        }
    )
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
        c.measured_prompt_tokens()
            .map_or_else(|| "-".into(), |p| p.to_string()),
        c.gen_tokens.to_string(),
        c.reps.to_string(),
    ];
    row.extend(cell_metrics().map(|m| metric_text(m, c)));
    row
}

/// The grades section of a graded run.
pub(super) fn grades_section(r: &RunReport) -> Option<Section> {
    let row = r.target_row.as_ref()?;
    Some(section(
        Some(format!("Targets: {row} (seed matrix, M3 Max)")),
        strings(&["Metric", "Target", "Measured", "Grade"]),
        r.grades.iter().map(grade_row).collect(),
    ))
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
    section(
        Some("Energy (measured trials)".into()),
        strings(&[
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
        r.cells
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
    )
}

fn run(r: &RunReport) -> Document {
    let mut sections = vec![section(
        Some("Results (mean ±95% CI)".into()),
        strings(&["Test", "Batch", "Prompt", "Gen", "Reps"])
            .into_iter()
            .chain(cell_metrics().map(|m| match m {
                Metric::ItlMs => format!("{} p50/p95", m.heading()),
                m => m.heading().to_string(),
            }))
            .collect(),
        r.cells.iter().map(cell_row).collect(),
    )];
    if r.cells
        .iter()
        .any(|c| c.power.as_ref().is_some_and(|p| p.energy_j.is_some()))
    {
        sections.push(energy_section(r));
    }
    if let Some(t) = benchbar_core::load::sweep_table(&r.cells) {
        sections.push(Section::table(Some("Concurrency sweep".into()), t));
    }
    if let Some(t) = benchbar_core::depth::depth_table(&r.cells) {
        sections.push(Section::table(Some("Context depth".into()), t));
    }
    if let Some(t) = benchbar_core::depth::prompt_cache_table(&r.cells) {
        sections.push(Section::table(Some("Cold and cached prompt".into()), t));
    }
    sections.extend(grades_section(r));
    if !r.regressions.is_empty() {
        sections.push(section(
            Some("Regressions vs baseline".into()),
            strings(&[
                "Test", "Batch", "Metric", "Baseline", "Current", "Change", "p", "Severity",
            ]),
            r.regressions
                .iter()
                .map(|g| {
                    let mut row = vec![g.test.clone(), g.batch_size.to_string()];
                    row.extend(g.cells());
                    row
                })
                .collect(),
        ));
    }
    let mut notes = r.warnings.clone();
    notes.extend(r.cells.iter().filter_map(adaptive_note));
    notes.extend(benchbar_core::load::sweep_notes(&r.cells));
    notes.extend(benchbar_core::depth::depth_notes(&r.cells));
    notes.extend(benchbar_core::depth::prompt_cache_notes(&r.cells));
    doc(run_preamble(r), sections, notes)
}

/// What an adaptive cell reached and why it stopped (`-r auto`).
fn adaptive_note(c: &CellReport) -> Option<String> {
    let rep = c.repetitions.as_ref()?;
    let reached = rep.achieved_pct.map_or_else(
        || "no CI (fewer than 2 successful trials)".into(),
        |p| format!("decode tok/s ±{p:.2}% (95% CI)"),
    );
    let why = rep.stopped.map_or("", |s| s.describe());
    Some(format!(
        "{}@{}: {} adaptive repetitions, {reached}; target {}% within {} s: {why}",
        c.test,
        c.batch_size,
        c.reps,
        rep.rule.precision_pct,
        rep.rule.max_time_ms as f64 / 1e3
    ))
}

fn history(lines: &[HistoryLine]) -> Document {
    doc(
        vec![format!("BenchBar history ({} runs)", lines.len())],
        vec![section(
            None,
            strings(&[
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
            lines
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
        )],
        vec![],
    )
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

fn comparison(c: &Comparison) -> Document {
    let id = |i: Option<i64>| i.map_or_else(|| "-".into(), |i| i.to_string());
    let regressions = c.regressions().len();
    doc(
        vec![
            format!("Comparison: run {} against baseline run {}", id(c.current_run_id), id(c.baseline_run_id)),
            format!("{regressions} regression(s); thresholds tok/s -5%, TTFT +10%, memory +15%, Welch p < 0.01"),
        ],
        vec![section(
            None,
            strings(&["Test", "Batch", "Metric", "Baseline", "Current", "Delta", "p", "Verdict"]),
            c
                .metrics
                .iter()
                .map(|m| {
                    let verdict_text = match m.severity {
                        Some(s) => format!("{} ({})", verdict(m.verdict), s.as_str()),
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
        )],
        c.unmatched_cells.iter().map(|u| format!("not compared: {u}")).collect(),
    )
}

fn baselines(b: &[BaselineLine]) -> Document {
    doc(
        vec![format!("Baselines ({})", b.len())],
        vec![section(
            None,
            strings(&["Run", "Set at", "Configuration"]),
            b.iter()
                .map(|l| vec![l.run_id.to_string(), l.set_at.clone(), l.run_key.clone()])
                .collect(),
        )],
        vec![],
    )
}
