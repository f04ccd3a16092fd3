//! The JSON report contract, built from raw samples.
//!
//! Field names here are a contract: later features add fields, never rename them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::catalogue::CellSummary;
use crate::catalogue::Metric;
use crate::metrics::{request_metrics, trial_metrics, TrialMetrics};
use crate::sample::{RequestSample, TrialSample};
use crate::spec::{Category, CellPlan};
use crate::stats::{summarize, Stats};
use crate::targets::{grade_row, Grade, Measured, ModelTargets, TargetMatrix};

/// Bytes per GB as the seed's matrix uses it.
pub const BYTES_PER_GB: f64 = 1e9;

/// The machine a run was measured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct MachineInfo {
    /// Operating system name and version.
    pub os: String,
    /// CPU architecture (`aarch64`, `x86_64`).
    pub arch: String,
    /// CPU brand string.
    pub cpu: String,
    /// Physical memory, bytes.
    pub memory_bytes: u64,
    /// Chip name (e.g. "Apple M3 Max"); None where it is not known.
    pub chip: Option<String>,
}

/// The engine that produced a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct EngineInfo {
    /// Engine name (`mlx`, `openai`, ...).
    pub name: String,
    /// Engine version, including the MLX version for MLX engines (and the KV-cache
    /// quantization, so that such a run is never another's baseline).
    pub version: String,
    /// The in-process engine's KV-cache quantization (`--kv-bits`); absent: keys and values in
    /// the model's dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kv_cache: Option<KvCacheQuant>,
}

/// KV-cache quantization of a run (mlx_lm's `kv_bits` semantics: keys and values MLX-affine
/// quantized once the cache holds `start_tokens` positions, attention through quantized
/// matrix products).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KvCacheQuant {
    /// Bits per element (4 or 8).
    pub bits: u32,
    /// Elements per scale and bias (32, 64 or 128).
    pub group_size: u32,
    /// Positions held before the cache is quantized (0: from the first forward call).
    pub start_tokens: u32,
}

/// The model a run measured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ModelRef {
    /// Model id (repo id, `builtin:tiny`, or path).
    pub id: String,
    /// Resolved path on disk, when local.
    pub path: Option<String>,
    /// Quantization label (`4bit`, `8bit`, `bf16`, `f32`), when known.
    pub quantization: Option<String>,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every cell ran.
    Completed,
    /// The user stopped the run; the cells that finished are kept.
    Cancelled,
    /// The engine failed; the cells that finished are kept.
    Failed,
}

impl RunStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Completed => "completed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<RunStatus> {
        [
            RunStatus::Completed,
            RunStatus::Cancelled,
            RunStatus::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// Who started a run: a person at the CLI or the app, or the monitoring schedule. Monitoring
/// samples are pruned after the retention window; the others are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum RunOrigin {
    /// `benchbar run` (or another CLI command).
    #[default]
    Cli,
    /// The menu-bar app.
    App,
    /// A scheduled monitoring sample (CLI `monitor` or the app's schedule).
    Monitor,
    /// Measured on another machine and imported from a result bundle: shown beside local
    /// runs, never a baseline of this machine.
    Import,
}

impl RunOrigin {
    /// Lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOrigin::Cli => "cli",
            RunOrigin::App => "app",
            RunOrigin::Monitor => "monitor",
            RunOrigin::Import => "import",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(s: &str) -> Option<RunOrigin> {
        [
            RunOrigin::Cli,
            RunOrigin::App,
            RunOrigin::Monitor,
            RunOrigin::Import,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Everything about a run except its cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunMeta {
    /// Store id; None for a run not saved.
    pub run_id: Option<i64>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// How it ended.
    pub status: RunStatus,
    /// Where it ran.
    pub machine: MachineInfo,
    /// What ran it.
    pub engine: EngineInfo,
    /// What it measured.
    pub model: ModelRef,
    /// Suite name.
    pub suite: String,
    /// Notes for the reader (e.g. "no target row for this model").
    pub warnings: Vec<String>,
    /// Power, memory and thermal context; None when power was not sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<RunPower>,
    /// Who started the run.
    #[serde(default)]
    pub origin: RunOrigin,
}

/// A cell as measured: its plan and the raw trials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CellRaw {
    /// What was asked.
    pub plan: CellPlan,
    /// Measured trials (warmup excluded).
    pub trials: Vec<TrialSample>,
    /// Energy over the measured trials; None when power was not sampled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<CellPower>,
}

/// Energy of a cell over its measured trials. `power_source` is always set when power was
/// sampled: the source name, or `unavailable: <reason>` with every number absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CellPower {
    /// Joules from the first measured trial's start to the last one's end.
    pub energy_j: Option<f64>,
    /// The same with the idle baseline subtracted.
    pub net_energy_j: Option<f64>,
    /// Average power, W.
    pub avg_power_w: Option<f64>,
    /// Peak of the sampled timeline, W.
    pub peak_power_w: Option<f64>,
    /// Generated tokens per joule.
    pub tokens_per_joule: Option<f64>,
    /// Joules per generated token.
    pub joules_per_token: Option<f64>,
    /// Prefill joules summed over trials.
    pub prefill_j: Option<f64>,
    /// Decode joules summed over trials.
    pub decode_j: Option<f64>,
    /// Where the numbers come from (`ioreport`, `rapl`, `nvml`, ..., or `unavailable: why`).
    pub power_source: String,
}

/// One point of a run's power timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PowerPoint {
    /// Milliseconds since power sampling started.
    pub t_ms: f64,
    /// Total power, W.
    pub total_w: f64,
}

/// Run-level power, memory and thermal context.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunPower {
    /// Source name or `unavailable: <reason>`.
    pub power_source: String,
    /// Idle power measured before the run, W.
    pub idle_w: Option<f64>,
    /// Peak of the timeline, W.
    pub peak_power_w: Option<f64>,
    /// The sampler thread's own CPU use, percent of one core.
    pub sampler_cpu_pct: Option<f64>,
    /// Sampled total power over the run.
    pub timeline: Vec<PowerPoint>,
    /// Thermal pressure (macOS), when known.
    pub thermal_pressure: Option<String>,
    /// On battery power, when known.
    pub on_battery: Option<bool>,
    /// Low Power Mode (macOS), when known.
    pub low_power_mode: Option<bool>,
    /// Mean CPU frequency over cores at the end of the run, kHz, where visible.
    pub cpu_freq_khz: Option<u64>,
    /// Process peak physical footprint over the run, bytes.
    pub process_peak_memory_bytes: Option<u64>,
    /// System memory, bytes.
    pub system_memory_total_bytes: Option<u64>,
    /// Available system memory at the end of the run, bytes.
    pub system_memory_available_bytes: Option<u64>,
}

/// A trial in the report: derived numbers plus the raw per-request samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrialReport {
    /// Derived per-trial numbers.
    #[serde(flatten)]
    pub metrics: TrialMetrics,
    /// Raw per-request token timestamps.
    pub requests: Vec<RequestSample>,
}

/// A cell of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct CellReport {
    /// Test name.
    pub test: String,
    /// Seed category.
    pub category: Category,
    /// Requests per trial.
    pub batch_size: u32,
    /// Prompt length in tokens (per request).
    pub prompt_tokens: u32,
    /// Requested generation length per request.
    pub gen_tokens: u32,
    /// Measured trials recorded.
    pub reps: u32,
    /// Adaptive repetitions (`-r auto`): the rule, the precision reached and why the cell
    /// stopped; absent for a fixed count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub repetitions: Option<crate::adaptive::RepetitionsReport>,
    /// A server's concurrency level (`--concurrency`): requests/s, output tok/s, the most in
    /// flight, and the SLO's goodput; absent for a batch cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub load: Option<crate::load::LoadReport>,
    /// Context depth (`--depth`): tokens of context in the cache before the measured prompt;
    /// absent for a cell without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub depth_tokens: Option<u32>,
    /// A prefix before the prompt (`--cached-prefix`), timed cold or cached; absent for a cell
    /// without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub prefix: Option<crate::depth::PrefixPlan>,
    /// Mean KV cache the successful trials held at their end, bytes, where the engine
    /// measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kv_cache_bytes: Option<u64>,
    /// Statistics.
    pub summary: CellSummary,
    /// Energy (`energy_j`, `avg_power_w`, `peak_power_w`, `tokens_per_joule`,
    /// `power_source`, ...), present when power was sampled.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub power: crate::ts::FlattenedOption<CellPower>,
    /// Raw per-trial numbers.
    pub trials: Vec<TrialReport>,
}

/// Severity of a regression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worse than the threshold.
    Warning,
    /// Worse than twice the threshold.
    Critical,
}

/// A flagged regression, as stored in reports and announced by the app (found by
/// [`crate::regression`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Regression {
    /// Test name.
    pub test: String,
    /// Batch size.
    pub batch_size: u32,
    /// Metric.
    pub metric: Metric,
    /// Baseline mean.
    pub baseline_value: f64,
    /// Current mean.
    pub current_value: f64,
    /// Signed change in percent.
    pub change_percent: f64,
    /// The seed's threshold in percent.
    pub threshold_percent: f64,
    /// One-sided Welch p-value.
    pub p_value: f64,
    /// Severity.
    pub severity: Severity,
    /// The baseline run.
    pub baseline_run_id: Option<i64>,
}

impl CellReport {
    /// The prompt length, when a successful request measured it; None for a cell whose every
    /// trial failed (its `prompt_tokens` is 0, which is not a length to show).
    pub fn measured_prompt_tokens(&self) -> Option<u32> {
        (self.prompt_tokens > 0).then_some(self.prompt_tokens)
    }
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl Regression {
    /// The regression's columns in tables: metric, baseline, current, change, p, severity.
    pub fn cells(&self) -> [String; 6] {
        [
            self.metric.name().into(),
            crate::fmt::num(self.baseline_value),
            crate::fmt::num(self.current_value),
            format!("{:+.1}%", self.change_percent),
            format!("{:.4}", self.p_value),
            self.severity.as_str().into(),
        ]
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunReport {
    /// Store id; None when not saved.
    pub run_id: Option<i64>,
    /// Start time (RFC 3339).
    pub started_at: DateTime<Utc>,
    /// How the run ended.
    pub status: RunStatus,
    /// Machine.
    pub machine: MachineInfo,
    /// Engine.
    pub engine: EngineInfo,
    /// Model.
    pub model: ModelRef,
    /// Suite name.
    pub suite: String,
    /// Cells in run order.
    pub cells: Vec<CellReport>,
    /// The matrix row the grades refer to, when the model has one.
    pub target_row: Option<String>,
    /// Grades against that row.
    pub grades: Vec<Grade>,
    /// Regressions against the baseline.
    pub regressions: Vec<Regression>,
    /// Notes for the reader.
    pub warnings: Vec<String>,
    /// Power, memory and thermal context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<RunPower>,
    /// How close the single-request decode came to the memory-bandwidth roofline, where the
    /// model's weights and the machine's bandwidth are known (filled when a stored run is
    /// shown or exported; absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub roofline: Option<crate::bandwidth::Roofline>,
}

/// Builds a cell's report from its raw trials.
pub fn build_cell(raw: &CellRaw) -> CellReport {
    let ok: Vec<&TrialSample> = raw.trials.iter().filter(|t| t.ok()).collect();
    let metrics: Vec<TrialMetrics> = raw.trials.iter().map(trial_metrics).collect();
    let ok_metrics: Vec<&TrialMetrics> = metrics.iter().filter(|m| m.error.is_none()).collect();
    let per_trial = |f: &dyn Fn(&TrialMetrics) -> Option<f64>| -> Option<Stats> {
        summarize(&ok_metrics.iter().filter_map(|m| f(m)).collect::<Vec<_>>())
    };
    let requests = || ok.iter().flat_map(|t| t.requests.iter());
    let per_request: Vec<_> = requests().map(|r| (r, request_metrics(r))).collect();
    let pooled = |f: &dyn Fn(&crate::metrics::RequestMetrics) -> Option<f64>| {
        summarize(
            &per_request
                .iter()
                .filter_map(|(_, m)| f(m))
                .collect::<Vec<_>>(),
        )
    };
    let itl: Vec<f64> = per_request
        .iter()
        .filter(|(r, _)| !r.is_short())
        .flat_map(|(_, m)| m.itl_ms.iter().copied())
        .collect();
    let summary = CellSummary {
        decode_tps: per_trial(&|m| m.decode_tps),
        prefill_tps: per_trial(&|m| m.prefill_tps),
        ttft_ms: pooled(&|m| m.ttft_ms),
        itl_ms: summarize(&itl),
        e2e_ms: pooled(&|m| m.e2e_ms),
        throughput_tps: per_trial(&|m| m.throughput_tps),
        peak_memory_bytes: per_trial(&|m| m.peak_memory_bytes.map(|b| b as f64)),
        process_peak_memory_bytes: per_trial(&|m| m.process_peak_memory_bytes.map(|b| b as f64)),
    };
    CellReport {
        test: raw.plan.test.clone(),
        category: raw.plan.category,
        batch_size: raw.plan.batch_size,
        prompt_tokens: requests().next().map_or(0, |r| r.prompt_tokens),
        gen_tokens: raw.plan.gen_tokens,
        reps: raw.trials.len() as u32,
        repetitions: crate::adaptive::repetitions_report(raw),
        load: crate::load::load_report(raw),
        depth_tokens: raw.plan.depth_tokens,
        prefix: raw.plan.prefix,
        kv_cache_bytes: crate::depth::kv_cache_bytes(raw),
        summary,
        power: raw.power.clone().into(),
        trials: raw
            .trials
            .iter()
            .zip(metrics)
            .map(|(t, m)| TrialReport {
                metrics: m,
                requests: t.requests.clone(),
            })
            .collect(),
    }
}

/// Builds the report (grades included, regressions empty: the caller adds them against its
/// baseline).
pub fn build_report(meta: &RunMeta, cells: &[CellRaw], matrix: &TargetMatrix) -> RunReport {
    let cells: Vec<CellReport> = cells.iter().map(build_cell).collect();
    let mut report = RunReport {
        run_id: meta.run_id,
        started_at: meta.started_at,
        status: meta.status,
        machine: meta.machine.clone(),
        engine: meta.engine.clone(),
        model: meta.model.clone(),
        suite: meta.suite.clone(),
        cells,
        target_row: None,
        grades: Vec::new(),
        regressions: Vec::new(),
        warnings: meta.warnings.clone(),
        power: meta.power.clone(),
        roofline: None,
    };
    match matrix.row_for_model(&meta.model.id) {
        Some(row) => apply_grades(&mut report, row),
        None => report.warnings.push(format!(
            "no target row for model '{}': the seed's matrix covers Qwen3 1.7B, 7B (graded for 8B) and 14B at 4/8/16-bit",
            meta.model.id
        )),
    }
    report
}

/// (Re)grades a report against a given row.
pub fn apply_grades(report: &mut RunReport, row: &ModelTargets) {
    report.target_row = Some(row.name.clone());
    report.grades = grade_row(row, &measured(&report.cells));
}

/// A cell that generates as an ordinary request does (not memory stress, not latency
/// consistency): the cells a run's decode rate is read from.
pub fn is_generation(c: &CellReport) -> bool {
    !matches!(
        c.category,
        Category::MemoryStress | Category::LatencyConsistency
    )
}

/// The single-request decode rate of a run's generation cells (the matrix's
/// `single_batch_tps`), tokens/s.
pub fn single_decode_tps(cells: &[CellReport]) -> Option<f64> {
    let generation: Vec<CellReport> = cells.iter().filter(|c| is_generation(c)).cloned().collect();
    measured(&generation).single_batch_tps
}

/// Extracts the values the matrix grades from a run's cells (concurrency cells are not
/// graded: their requests queue behind each other, which the matrix does not measure).
pub fn measured(cells: &[CellReport]) -> Measured {
    let cells: Vec<&CellReport> = cells.iter().filter(|c| c.load.is_none()).collect();
    let mean = |s: &Option<Stats>| s.as_ref().map(|s| s.mean);
    let single: Vec<&CellReport> = {
        let b1: Vec<&CellReport> = cells
            .iter()
            .copied()
            .filter(|c| c.batch_size == 1)
            .collect();
        let short: Vec<&CellReport> = b1
            .iter()
            .copied()
            .filter(|c| c.category == Category::Short)
            .collect();
        if short.is_empty() {
            b1
        } else {
            short
        }
    };
    let avg = |xs: Vec<f64>| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let mut batch_tps = std::collections::BTreeMap::<u32, Vec<f64>>::new();
    for c in &cells {
        if let Some(v) = mean(&c.summary.decode_tps) {
            batch_tps.entry(c.batch_size).or_default().push(v);
        }
    }
    Measured {
        single_batch_tps: avg(single
            .iter()
            .filter_map(|c| mean(&c.summary.decode_tps))
            .collect()),
        // The best batch throughput: only meaningful when a batch above 1 was measured.
        optimal_batch_tps: cells
            .iter()
            .filter(|c| c.batch_size > 1)
            .filter_map(|c| mean(&c.summary.decode_tps))
            .reduce(f64::max),
        first_token_ms: avg(single
            .iter()
            .filter_map(|c| mean(&c.summary.ttft_ms))
            .collect()),
        memory_gb: cells
            .iter()
            .filter_map(|c| c.summary.peak_memory_bytes.as_ref().map(|s| s.max))
            .reduce(f64::max)
            .map(|b| b / BYTES_PER_GB),
        power_w: avg(cells
            .iter()
            .filter_map(|c| c.power.as_ref().and_then(|p| p.avg_power_w))
            .collect()),
        batch_tps: batch_tps
            .into_iter()
            .filter_map(|(b, v)| avg(v).map(|m| (b, m)))
            .collect(),
    }
}
