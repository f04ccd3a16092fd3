//! The performance report of one run or of a time window of runs: everything the seed's
//! report has (hardware, single-inference summary, batch performance with the best throughput
//! and optimal batch size, latency consistency, memory stress) plus target grades,
//! regressions, energy per token and the memory-bandwidth roofline.

use std::collections::BTreeMap;

use benchbar_core::report::RunReport;
use benchbar_core::stats::{summarize, Stats, MIN_SAMPLES_P95, MIN_SAMPLES_P99};
use chrono::{DateTime, Utc};

use crate::analysis::{analyse, e2e_samples_ms, is_single_request, merge_newest, RunAnalysis};
use crate::fmt::{bytes, num, opt};
use benchbar_core::bandwidth::{machine_bandwidth, Bandwidth, MeasuredBandwidth};
use benchbar_core::document::{Document, Section, Table};

/// What the report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One stored run.
    Run(i64),
    /// Every run since a time.
    Since(DateTime<Utc>),
}

/// Everything a report is made from.
#[derive(Clone, Debug)]
pub struct ReportInput<'a> {
    /// The runs, oldest first (one for [`Scope::Run`]).
    pub runs: &'a [RunReport],
    /// What the report covers.
    pub scope: Scope,
    /// Bytes one decode step reads (the weights), per model id, where known.
    pub weight_bytes: BTreeMap<String, u64>,
    /// Memory bandwidth override, GB/s.
    pub bandwidth_override_gbps: Option<f64>,
    /// BenchBar's measurement of the runs' machine (`benchbar bandwidth`), the roofline's
    /// denominator unless overridden.
    pub measured_bandwidth: Option<MeasuredBandwidth>,
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn section(
    title: String,
    level: u8,
    bullets: Vec<String>,
    table: Option<Table>,
) -> Section {
    Section {
        title: Some(title),
        level,
        bullets,
        table,
    }
}

/// `mean`, `SD`, `p95`, `p99` lines of latency stats, saying why a percentile is absent.
pub fn latency_lines(s: &Stats, what: &str) -> Vec<String> {
    let pct = |p: Option<f64>, name: &str, min: usize| match p {
        Some(v) => format!("{name}: {} ms", num(v)),
        None => format!("{name}: not reported ({} samples; needs ≥ {min})", s.n),
    };
    vec![
        format!("{what} over {} requests", s.n),
        format!("Mean: {} ms (median {} ms)", num(s.mean), num(s.median)),
        format!(
            "Standard deviation: {}",
            opt(s.sd, |v| format!("{} ms", num(v)))
        ),
        pct(s.p95, "P95", MIN_SAMPLES_P95),
        pct(s.p99, "P99", MIN_SAMPLES_P99),
    ]
}

fn hardware(r: &RunReport, bw: Option<&Bandwidth>) -> Section {
    let m = &r.machine;
    let bw_line = match bw {
        Some(b) => {
            let mut line = format!("Memory bandwidth: {} GB/s ({})", num(b.gbps), b.source);
            if let Some(copy) = b.copy_gbps {
                line.push_str(&format!(
                    "; copy (read + write) {} GB/s; the roofline divides by the read figure, \
                     what a decode step does",
                    num(copy)
                ));
            }
            if let (Some(vendor), false) = (b.vendor_gbps, b.source.starts_with("Apple's")) {
                line.push_str(&format!("; Apple's published figure {} GB/s", num(vendor)));
            }
            line
        }
        None => "Memory bandwidth: unknown for this machine (run `benchbar bandwidth` on it, \
                 or pass --bandwidth-gbps or set BENCHBAR_MEM_BANDWIDTH_GBPS, for the roofline)"
            .into(),
    };
    let bullets = vec![
        format!("Chip: {}", m.chip.as_deref().unwrap_or("-")),
        format!("CPU: {}", m.cpu),
        format!("Memory: {}", bytes(m.memory_bytes as f64)),
        format!("OS: {} ({})", m.os, m.arch),
        bw_line,
        format!("Engine: {} · {}", r.engine.name, r.engine.version),
    ];
    section("Hardware".into(), 2, bullets, None)
}

fn model_sections(
    r: &RunReport,
    a: &RunAnalysis,
    weights: Option<u64>,
    bw: Option<&Bandwidth>,
) -> Vec<Section> {
    let mut out = Vec::new();
    let s = &a.single;
    out.push(section(
        "Single inference performance".into(),
        3,
        vec![
            format!("Decode: {} tokens/s", opt(s.decode_tps, num)),
            format!("First token latency: {} ms", opt(s.ttft_ms, num)),
            format!("Peak memory (MLX): {}", opt(s.peak_memory_bytes, bytes)),
        ],
        None,
    ));
    out.push(match &a.batch {
        Some(b) => section(
            "Batch processing performance".into(),
            3,
            vec![
                format!("Best batch throughput: {} tokens/s", num(b.best.1)),
                format!("Optimal batch size: {}", b.best.0),
            ],
            Some(Table {
                headers: strings(&["Batch", "Decode tok/s (aggregate)"]),
                rows: b
                    .by_batch
                    .iter()
                    .map(|(n, t)| vec![n.to_string(), num(*t)])
                    .collect(),
            }),
        ),
        None => section(
            "Batch processing performance".into(),
            3,
            vec![
                "Not measured: this run has no batch above 1 (standard and full suites do).".into(),
            ],
            None,
        ),
    });
    out.push(section(
        "Latency consistency".into(),
        3,
        match &a.latency {
            Some(l) => latency_lines(l, "End-to-end latency of the latency-consistency test"),
            None => vec![
                "Not measured: the latency-consistency test runs in the standard and full suites."
                    .into(),
            ],
        },
        None,
    ));
    out.push(if a.stress.is_empty() {
        section(
            "Memory performance".into(),
            3,
            vec!["Memory stress not measured: it runs in the full suite.".into()],
            None,
        )
    } else {
        let passed: usize = a.stress.iter().map(|x| x.passed).sum();
        let trials: usize = a.stress.iter().map(|x| x.trials).sum();
        let peaks: Vec<f64> = a
            .stress
            .iter()
            .filter_map(|x| x.peak_memory_bytes)
            .collect();
        section(
            "Memory performance".into(),
            3,
            vec![
                format!(
                    "Maximum memory (MLX peak): {}",
                    opt(peaks.iter().copied().reduce(f64::max), bytes)
                ),
                format!(
                    "Average of the stress tests' peaks: {}",
                    opt(summarize(&peaks).map(|s| s.mean), bytes)
                ),
                format!("Memory stress trials passed: {passed}/{trials}"),
            ],
            Some(Table {
                headers: strings(&["Test", "Prompt tokens", "Peak memory", "Passed"]),
                rows: a
                    .stress
                    .iter()
                    .map(|x| {
                        vec![
                            x.test.clone(),
                            x.prompt_tokens.to_string(),
                            opt(x.peak_memory_bytes, bytes),
                            format!("{}/{}", x.passed, x.trials),
                        ]
                    })
                    .collect(),
            }),
        )
    });
    let source = r
        .cells
        .iter()
        .find_map(|c| c.power.as_ref().map(|p| p.power_source.as_str()))
        .or(r.power.as_ref().map(|p| p.power_source.as_str()))
        .unwrap_or("not sampled");
    let roofline = match (&a.roofline, weights, bw) {
        (Some(f), Some(_), Some(_)) => format!(
            "Roofline: {:.1}% of memory bandwidth ({} tok/s × {} read per token ÷ {} GB/s; \
             the weights a decode step reads: of a mixture of experts, its routed experts only){}",
            f.pct,
            num(f.decode_tps),
            bytes(f.bytes_per_token as f64),
            num(f.bandwidth_gbps),
            f.pct_of_copy
                .map(|p| format!("; {p:.1}% of the copy bandwidth"))
                .unwrap_or_default()
        ),
        (_, None, _) => {
            "Roofline: not computed (the model's weight files are not on this machine)".into()
        }
        (_, _, None) => "Roofline: not computed (memory bandwidth unknown)".into(),
        _ => "Roofline: not computed (no single-inference decode rate)".into(),
    };
    out.push(section(
        "Efficiency".into(),
        3,
        vec![
            match a.joules_per_token {
                Some(j) => format!(
                    "Energy per token: {} J ({} tok/J; power source: {source})",
                    num(j),
                    num(1.0 / j)
                ),
                None => format!("Energy per token: not measured (power source: {source})"),
            },
            roofline,
        ],
        None,
    ));
    out.push(match &r.target_row {
        Some(row) => section(
            format!("Target grades ({row}, seed matrix)"),
            3,
            vec![],
            Some(Table {
                headers: strings(&["Metric", "Target", "Measured", "Grade"]),
                rows: r
                    .grades
                    .iter()
                    .map(|g| {
                        vec![
                            g.metric.clone(),
                            format!("{}-{}", g.target[0], g.target[1]),
                            opt(g.measured, num),
                            g.grade.symbol().into(),
                        ]
                    })
                    .collect(),
            }),
        ),
        None => section(
            "Target grades".into(),
            3,
            vec![format!(
                "No row of the seed's target matrix matches '{}'.",
                r.model.id
            )],
            None,
        ),
    });
    out
}

/// The concurrency sweep of the newest of these runs (newest first) that has one.
fn sweep_section(runs: &[&RunReport]) -> Option<Section> {
    let (r, table) = runs
        .iter()
        .find_map(|r| benchbar_core::load::sweep_table(&r.cells).map(|t| (*r, t)))?;
    let mut bullets = vec![format!(
        "Run {} ({}): latency against load; the chart Throughput against latency draws it",
        r.run_id.unwrap_or_default(),
        time(r.started_at)
    )];
    bullets.extend(benchbar_core::load::sweep_notes(&r.cells));
    Some(section("Concurrency sweep".into(), 3, bullets, Some(table)))
}

fn run_row(r: &RunReport) -> Vec<String> {
    let a = analyse(r, None, None);
    let e2e = summarize(
        &r.cells
            .iter()
            .filter(|c| is_single_request(c))
            .flat_map(e2e_samples_ms)
            .collect::<Vec<_>>(),
    );
    vec![
        r.run_id.map_or_else(|| "-".into(), |i| i.to_string()),
        time(r.started_at),
        r.model.id.clone(),
        r.suite.clone(),
        opt(a.single.decode_tps, num),
        opt(a.single.ttft_ms, num),
        opt(e2e.map(|s| s.median), num),
        opt(a.single.peak_memory_bytes, bytes),
        r.regressions.len().to_string(),
    ]
}

/// Builds the report document (charts are added by the caller).
pub fn build(input: &ReportInput<'_>) -> Document {
    let runs = input.runs;
    let mut d = Document {
        title: "Qwen3 Performance Benchmark Report".into(),
        ..Document::default()
    };
    d.facts.push(match input.scope {
        Scope::Run(id) => format!("Run {id}"),
        Scope::Since(t) => format!("Runs since {} ({} runs)", time(t), runs.len()),
    });
    let Some(latest) = runs.last() else {
        d.facts.push("No run in this window.".into());
        return d;
    };
    let models: Vec<&str> = runs.iter().fold(Vec::new(), |mut v, r| {
        if !v.contains(&r.model.id.as_str()) {
            v.push(&r.model.id);
        }
        v
    });
    d.facts.push(format!("Model(s): {}", models.join(", ")));
    d.facts
        .push(format!("Timestamp: {}", time(latest.started_at)));
    let bw = machine_bandwidth(
        &latest.machine,
        input.bandwidth_override_gbps,
        input.measured_bandwidth.as_ref(),
    );
    d.sections.push(hardware(latest, bw.as_ref()));
    for model in &models {
        let weights = input.weight_bytes.get(*model).copied();
        let of_model: Vec<&RunReport> =
            runs.iter().rev().filter(|r| r.model.id == *model).collect();
        let analyses: Vec<RunAnalysis> = of_model
            .iter()
            .map(|r| analyse(r, weights, bw.as_ref()))
            .collect();
        let Some((a, filled)) = merge_newest(&analyses) else {
            continue;
        };
        let describe = |r: &RunReport| {
            format!(
                "run {} · {} suite · {} · {}",
                r.run_id.unwrap_or_default(),
                r.suite,
                r.status.as_str(),
                time(r.started_at)
            )
        };
        let r = of_model[0];
        let mut bullets = vec![format!("Latest: {}", describe(r))];
        bullets.extend(filled.iter().map(|f| {
            format!(
                "{} from the newest run that measured it: {}",
                f.part,
                describe(of_model[f.from])
            )
        }));
        d.sections
            .push(section(format!("Model: {model}"), 2, bullets, None));
        d.sections
            .extend(model_sections(r, &a, weights, bw.as_ref()));
        d.sections.extend(sweep_section(&of_model));
        d.sections.extend(crate::depth::depth_sections(&of_model));
    }
    if runs.len() > 1 {
        let e2e: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.cells.iter().filter(|c| is_single_request(c)))
            .flat_map(e2e_samples_ms)
            .collect();
        d.sections.push(section(
            "Runs in this window".into(),
            2,
            summarize(&e2e).map_or_else(Vec::new, |s| {
                latency_lines(
                    &s,
                    "Response time (end-to-end, batch-1 cells) across the window",
                )
            }),
            Some(Table {
                headers: strings(&[
                    "Run",
                    "Started",
                    "Model",
                    "Suite",
                    "Decode tok/s",
                    "TTFT ms",
                    "E2E ms p50",
                    "Peak memory",
                    "Regressions",
                ]),
                rows: runs.iter().map(run_row).collect(),
            }),
        ));
    }
    let regressions: Vec<Vec<String>> = runs
        .iter()
        .flat_map(|r| r.regressions.iter().map(move |g| (r, g)))
        .map(|(r, g)| {
            let mut row = vec![
                r.run_id.map_or_else(|| "-".into(), |i| i.to_string()),
                format!("{}@{}", g.test, g.batch_size),
            ];
            row.extend(g.cells());
            row.push(
                g.baseline_run_id
                    .map_or_else(|| "-".into(), |i| i.to_string()),
            );
            row
        })
        .collect();
    d.sections.push(if regressions.is_empty() {
        section(
            "Regressions".into(),
            2,
            vec!["None against the baselines set.".into()],
            None,
        )
    } else {
        section(
            "Regressions".into(),
            2,
            vec![],
            Some(Table {
                headers: strings(&[
                    "Run",
                    "Cell",
                    "Metric",
                    "Baseline",
                    "Current",
                    "Change",
                    "p",
                    "Severity",
                    "Baseline run",
                ]),
                rows: regressions,
            }),
        )
    });
    for r in runs {
        for w in &r.warnings {
            if !d.notes.contains(w) {
                d.notes.push(w.clone());
            }
        }
    }
    d
}
