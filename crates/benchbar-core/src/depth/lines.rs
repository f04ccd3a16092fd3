//! What documents, the history and the app show of depth and prefix cells: one line per
//! depth (decode tok/s, TTFT, memory against depth) and one per cold/cached pair.

use serde::{Deserialize, Serialize};

use super::base_test;
use crate::document::Table;
use crate::fmt::{bytes, num, opt};
use crate::report::CellReport;
use crate::stats::Stats;

/// One depth of a test in a run: what the history, the app and the charts draw against depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct DepthLine {
    /// The test the depths were measured for.
    pub test: String,
    /// Requests per trial.
    pub batch_size: u32,
    /// Context tokens in the cache before the measured prompt.
    pub depth_tokens: u32,
    /// Mean decode tok/s.
    pub decode_tps: Option<f64>,
    /// Median time to first token of the measured prompt, ms.
    pub ttft_p50_ms: Option<f64>,
    /// Mean MLX peak memory during the trial, bytes.
    pub peak_memory_bytes: Option<f64>,
    /// KV cache held at the trial's end (context, prompt and generated tokens), bytes.
    pub kv_cache_bytes: Option<u64>,
}

/// A prompt timed cold and with its prefix cached, side by side.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PromptCacheLine {
    /// The test whose prompt follows the prefix.
    pub test: String,
    /// Requests per trial.
    pub batch_size: u32,
    /// Tokens of the prefix.
    pub prefix_tokens: u32,
    /// Tokens of the whole prompt (prefix included).
    pub prompt_tokens: u32,
    /// Median TTFT of the whole prompt from an empty cache, ms.
    pub cold_ttft_p50_ms: Option<f64>,
    /// Median TTFT with the prefix already cached, ms.
    pub cached_ttft_p50_ms: Option<f64>,
    /// How much of the cold TTFT the cached prefix saves, percent.
    pub saved_pct: Option<f64>,
}

fn p50(s: &Option<Stats>) -> Option<f64> {
    s.as_ref().and_then(|s| s.p50.or(Some(s.median)))
}

fn mean(s: &Option<Stats>) -> Option<f64> {
    s.as_ref().map(|s| s.mean)
}

/// The depth cells of a run, in run order (empty for a run without).
pub fn depth_lines(cells: &[CellReport]) -> Vec<DepthLine> {
    cells
        .iter()
        .filter_map(|c| {
            Some(DepthLine {
                test: base_test(c).to_string(),
                batch_size: c.batch_size,
                depth_tokens: c.depth_tokens?,
                decode_tps: mean(&c.summary.decode_tps),
                ttft_p50_ms: p50(&c.summary.ttft_ms),
                peak_memory_bytes: mean(&c.summary.peak_memory_bytes),
                kv_cache_bytes: c.kv_cache_bytes,
            })
        })
        .collect()
}

/// The cold/cached pairs of a run, in run order (a cached cell with its cold cell of the same
/// test, batch size and prefix).
pub fn prompt_cache_lines(cells: &[CellReport]) -> Vec<PromptCacheLine> {
    cells
        .iter()
        .filter_map(|cached| {
            let p = cached.prefix.filter(|p| p.cached)?;
            let cold = cells.iter().find(|c| {
                c.prefix
                    .is_some_and(|q| !q.cached && q.prefix_tokens == p.prefix_tokens)
                    && c.batch_size == cached.batch_size
                    && base_test(c) == base_test(cached)
            })?;
            let (cold_ms, cached_ms) = (p50(&cold.summary.ttft_ms), p50(&cached.summary.ttft_ms));
            Some(PromptCacheLine {
                test: base_test(cached).to_string(),
                batch_size: cached.batch_size,
                prefix_tokens: p.prefix_tokens,
                prompt_tokens: cold.prompt_tokens,
                cold_ttft_p50_ms: cold_ms,
                cached_ttft_p50_ms: cached_ms,
                saved_pct: match (cold_ms, cached_ms) {
                    (Some(a), Some(b)) if a > 0.0 => Some((a - b) / a * 100.0),
                    _ => None,
                },
            })
        })
        .collect()
}

/// The depth sweep's table (None without depth cells).
pub fn depth_table(cells: &[CellReport]) -> Option<Table> {
    let lines = depth_lines(cells);
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.test.clone(),
                l.batch_size.to_string(),
                l.depth_tokens.to_string(),
                opt(l.decode_tps, num),
                opt(l.ttft_p50_ms, num),
                opt(l.peak_memory_bytes, bytes),
                opt(l.kv_cache_bytes.map(|b| b as f64), bytes),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        headers: [
            "Test",
            "Batch",
            "Depth tokens",
            "Decode tok/s",
            "TTFT ms p50",
            "Peak memory",
            "KV cache",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// The cold/cached table (None without pairs).
pub fn prompt_cache_table(cells: &[CellReport]) -> Option<Table> {
    let rows: Vec<Vec<String>> = prompt_cache_lines(cells)
        .iter()
        .map(|l| {
            vec![
                l.test.clone(),
                l.batch_size.to_string(),
                l.prefix_tokens.to_string(),
                l.prompt_tokens.to_string(),
                opt(l.cold_ttft_p50_ms, num),
                opt(l.cached_ttft_p50_ms, num),
                opt(l.saved_pct, |x| format!("{x:.1}%")),
            ]
        })
        .collect();
    (!rows.is_empty()).then(|| Table {
        headers: [
            "Test",
            "Batch",
            "Prefix tokens",
            "Prompt tokens",
            "Cold TTFT ms p50",
            "Cached TTFT ms p50",
            "Saved",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// How depth cells are measured, for every document (empty without them).
pub fn depth_notes(cells: &[CellReport]) -> Vec<String> {
    if !cells.iter().any(|c| c.depth_tokens.is_some()) {
        return Vec::new();
    }
    vec!["context depth: each trial's prompt is measured after that many tokens of context (fresh per trial) are in the KV cache; the context's own prefill is in neither the measured prefill nor the decode; KV cache is what the trial's cache held at its end".into()]
}

/// How cold and cached prompts are measured, for every document (empty without them).
pub fn prompt_cache_notes(cells: &[CellReport]) -> Vec<String> {
    if !cells.iter().any(|c| c.prefix.is_some()) {
        return Vec::new();
    }
    vec!["cached prefix: each trial's prompt is a fresh prefix followed by the test's prompt; cold times the whole prompt from an empty cache, cached times it after the prefix was put in the cache untimed (in-process: a saved KV cache; over HTTP: a request of the prefix alone first, so only a server with prompt caching shows a difference); prompt tokens count the prefix".into()]
}
