//! What a performance report says about a run, computed from its report (no formatting):
//! the seed's single-inference summary, batch performance, latency consistency and memory
//! stress, plus energy per token and the roofline.

use benchbar_core::report::{is_generation, measured, CellReport, RunReport};
use benchbar_core::spec::Category;
use benchbar_core::stats::{summarize, Stats};

use benchbar_core::bandwidth::{Bandwidth, Roofline};

/// The seed's "single inference performance": batch-1 generation cells.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleInference {
    /// Mean decode tok/s (short prompts when measured, else every batch-1 cell).
    pub decode_tps: Option<f64>,
    /// Mean time to first token, ms.
    pub ttft_ms: Option<f64>,
    /// Largest MLX peak memory of the run, bytes.
    pub peak_memory_bytes: Option<f64>,
}

/// Batch performance: aggregate decode tok/s per batch size.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchPerformance {
    /// (batch size, mean aggregate decode tok/s), ascending batch size.
    pub by_batch: Vec<(u32, f64)>,
    /// The best of them: (batch size, tok/s) — the optimal batch size and best throughput.
    pub best: (u32, f64),
}

/// One memory stress cell.
#[derive(Clone, Debug, PartialEq)]
pub struct StressResult {
    /// Test name.
    pub test: String,
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Largest MLX peak memory over its trials, bytes.
    pub peak_memory_bytes: Option<f64>,
    /// Trials that completed without error.
    pub passed: usize,
    /// Trials run.
    pub trials: usize,
}

/// The report's analysis of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunAnalysis {
    /// Single-inference summary.
    pub single: SingleInference,
    /// Batch performance; None when only batch 1 was measured.
    pub batch: Option<BatchPerformance>,
    /// Latency consistency: end-to-end ms per request of the latency-consistency cells
    /// (percentiles only where the sample count allows); None when not measured.
    pub latency: Option<Stats>,
    /// Memory stress cells (empty when not measured).
    pub stress: Vec<StressResult>,
    /// Mean joules per generated token over the cells that measured energy.
    pub joules_per_token: Option<f64>,
    /// The memory-bandwidth roofline at the single-inference decode rate.
    pub roofline: Option<Roofline>,
}

/// A batch-1 cell of an ordinary prompt (not memory stress, not a concurrency level): the
/// cells whose response times
/// are comparable across runs, used for the window's pooled latency and the charts.
pub fn is_single_request(c: &CellReport) -> bool {
    c.batch_size == 1 && c.load.is_none() && c.category != Category::MemoryStress
}

/// Per-request end-to-end latencies of a cell's successful trials, ms.
pub fn e2e_samples_ms(c: &CellReport) -> Vec<f64> {
    c.trials
        .iter()
        .filter(|t| t.metrics.error.is_none())
        .flat_map(|t| t.requests.iter())
        .filter_map(|r| benchbar_core::metrics::request_metrics(r).e2e_ms)
        .collect()
}

/// Analyses a run. `weight_bytes` is what one decode step reads (the model's weights; of a
/// mixture of experts, the routed experts' share);
/// `bandwidth` the machine's; the roofline needs both.
pub fn analyse(
    r: &RunReport,
    weight_bytes: Option<u64>,
    bandwidth: Option<&Bandwidth>,
) -> RunAnalysis {
    let generation: Vec<CellReport> = r
        .cells
        .iter()
        .filter(|c| is_generation(c))
        .cloned()
        .collect();
    let m = measured(&generation);
    let batch = m
        .batch_tps
        .iter()
        .map(|(b, tps)| (*b, *tps))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|_| m.batch_tps.keys().any(|b| *b > 1))
        .map(|best| BatchPerformance {
            by_batch: m.batch_tps.iter().map(|(b, t)| (*b, *t)).collect(),
            best,
        });
    let consistency: Vec<f64> = r
        .cells
        .iter()
        .filter(|c| c.category == Category::LatencyConsistency)
        .flat_map(e2e_samples_ms)
        .collect();
    let stress = r
        .cells
        .iter()
        .filter(|c| c.category == Category::MemoryStress)
        .map(|c| StressResult {
            test: c.test.clone(),
            prompt_tokens: c.prompt_tokens,
            peak_memory_bytes: c.summary.peak_memory_bytes.as_ref().map(|s| s.max),
            passed: c
                .trials
                .iter()
                .filter(|t| t.metrics.error.is_none())
                .count(),
            trials: c.trials.len(),
        })
        .collect();
    let jpt: Vec<f64> = r
        .cells
        .iter()
        .filter_map(|c| c.power.as_ref().and_then(|p| p.joules_per_token))
        .collect();
    let roofline = match (m.single_batch_tps, weight_bytes, bandwidth) {
        (Some(tps), Some(bytes), Some(bw)) => Some(Roofline::new(tps, bytes, bw)),
        _ => None,
    };
    RunAnalysis {
        single: SingleInference {
            decode_tps: m.single_batch_tps,
            ttft_ms: m.first_token_ms,
            peak_memory_bytes: r
                .cells
                .iter()
                .filter_map(|c| c.summary.peak_memory_bytes.as_ref().map(|s| s.max))
                .reduce(f64::max),
        },
        batch,
        latency: summarize(&consistency),
        stress,
        joules_per_token: summarize(&jpt).map(|s| s.mean),
        roofline,
    }
}

/// Which part of a merged analysis came from an older run.
#[derive(Clone, Debug, PartialEq)]
pub struct Filled {
    /// The part (`Batch processing performance`, ...).
    pub part: &'static str,
    /// The run index in the slice given to [`merge_newest`].
    pub from: usize,
}

/// The analysis of the newest run (first), with the parts it did not measure (batch
/// performance, latency consistency, memory stress, energy) taken from the newest older run
/// that did: a window of quick monitoring samples and one standard run reports both.
pub fn merge_newest(newest_first: &[RunAnalysis]) -> Option<(RunAnalysis, Vec<Filled>)> {
    let (first, older) = newest_first.split_first()?;
    let mut merged = first.clone();
    let mut filled = Vec::new();
    let mut fill = |part: &'static str, missing: bool, has: &dyn Fn(&RunAnalysis) -> bool| {
        if !missing {
            return None;
        }
        let i = older.iter().position(has)?;
        filled.push(Filled { part, from: i + 1 });
        Some(&older[i])
    };
    if let Some(a) = fill(
        "Batch processing performance",
        merged.batch.is_none(),
        &|a| a.batch.is_some(),
    ) {
        merged.batch = a.batch.clone();
    }
    if let Some(a) = fill("Latency consistency", merged.latency.is_none(), &|a| {
        a.latency.is_some()
    }) {
        merged.latency = a.latency.clone();
    }
    if let Some(a) = fill("Memory stress", merged.stress.is_empty(), &|a| {
        !a.stress.is_empty()
    }) {
        merged.stress = a.stress.clone();
    }
    if let Some(a) = fill(
        "Energy per token",
        merged.joules_per_token.is_none(),
        &|a| a.joules_per_token.is_some(),
    ) {
        merged.joules_per_token = a.joules_per_token;
    }
    Some((merged, filled))
}
