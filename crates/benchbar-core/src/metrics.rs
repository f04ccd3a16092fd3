//! Derived metrics, exactly as ARCHITECTURE.md defines them.
//!
//! * `prefill_tps = prompt_tokens / (t_first − t_start)`, `ttft_ms = t_first − t_start`
//! * `decode_tps = (n − 1) / (t_last − t_first)` — the first token's time is prefill, so `n`
//!   tokens give `n − 1` decode intervals (mlx_lm divides `n` by that span: an off-by-one).
//! * `itl_ms`: every gap between consecutive tokens; `e2e_ms = t_last − t_start`
//! * batch throughput = total generated tokens / trial wall time.
//!
//! For a batch, rates are aggregates over its requests: prefill is all prompt tokens over the
//! time until the last request's first token, decode is all decode intervals over the span from
//! the earliest first token to the latest last token. At batch 1 both reduce to the formulas
//! above.

use serde::{Deserialize, Serialize};

use crate::sample::{RequestSample, TrialSample};

const NS_PER_MS: f64 = 1e6;
const NS_PER_S: f64 = 1e9;

/// Metrics of one request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RequestMetrics {
    /// Time to first token, ms (None when no token was generated).
    pub ttft_ms: Option<f64>,
    /// Prompt tokens per second of prefill.
    pub prefill_tps: Option<f64>,
    /// Decode tokens per second, `(n − 1) / (t_last − t_first)`; None for n < 2.
    pub decode_tps: Option<f64>,
    /// End-to-end latency, ms.
    pub e2e_ms: Option<f64>,
    /// Inter-token latencies, ms (n − 1 values).
    pub itl_ms: Vec<f64>,
}

/// Computes a request's metrics from its token timestamps.
pub fn request_metrics(r: &RequestSample) -> RequestMetrics {
    let t = &r.token_offsets_ns;
    let (Some(&first), Some(&last)) = (t.first(), t.last()) else {
        return RequestMetrics::default();
    };
    let ttft_s = first as f64 / NS_PER_S;
    let decode_span_s = last.saturating_sub(first) as f64 / NS_PER_S;
    RequestMetrics {
        ttft_ms: Some(first as f64 / NS_PER_MS),
        prefill_tps: (ttft_s > 0.0).then(|| f64::from(r.prompt_tokens) / ttft_s),
        decode_tps: (t.len() >= 2 && decode_span_s > 0.0)
            .then(|| (t.len() - 1) as f64 / decode_span_s),
        e2e_ms: Some(last as f64 / NS_PER_MS),
        itl_ms: t
            .windows(2)
            .map(|w| w[1].saturating_sub(w[0]) as f64 / NS_PER_MS)
            .collect(),
    }
}

/// Metrics of one trial (a batch of requests submitted together).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrialMetrics {
    /// Trial index within its cell.
    pub index: u32,
    /// Aggregate prefill rate: all prompt tokens / time to the last first-token.
    pub prefill_tps: Option<f64>,
    /// Mean time to first token over the batch's requests, ms.
    pub ttft_ms: Option<f64>,
    /// Aggregate decode rate over non-short requests.
    pub decode_tps: Option<f64>,
    /// Slowest request's end-to-end latency, ms.
    pub e2e_ms: Option<f64>,
    /// Generated tokens of all requests / wall time.
    pub throughput_tps: Option<f64>,
    /// MLX peak memory, bytes.
    pub peak_memory_bytes: Option<u64>,
    /// Process peak footprint, bytes.
    pub process_peak_memory_bytes: Option<u64>,
    /// Total prompt tokens of the batch.
    pub prompt_tokens: u32,
    /// Total generated tokens of the batch.
    pub generated_tokens: u32,
    /// Requests that stopped before 80% of the requested length.
    pub short_requests: u32,
    /// The trial's error, if it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Computes a trial's metrics.
pub fn trial_metrics(t: &TrialSample) -> TrialMetrics {
    let reqs: Vec<(&RequestSample, RequestMetrics)> =
        t.requests.iter().map(|r| (r, request_metrics(r))).collect();
    let prompt_tokens: u32 = t.requests.iter().map(|r| r.prompt_tokens).sum();
    let generated_tokens: u32 = t.requests.iter().map(|r| r.generated_tokens()).sum();
    let ttfts: Vec<f64> = reqs.iter().filter_map(|(_, m)| m.ttft_ms).collect();
    let last_first_ns = t
        .requests
        .iter()
        .filter_map(|r| r.trial_times_ns().next())
        .max();
    let prefill_tps = last_first_ns
        .filter(|&ns| ns > 0)
        .map(|ns| f64::from(prompt_tokens) / (ns as f64 / NS_PER_S));
    let wall_s = t.wall_ns as f64 / NS_PER_S;
    TrialMetrics {
        index: t.index,
        prefill_tps,
        ttft_ms: mean(&ttfts),
        decode_tps: aggregate_decode_tps(&t.requests),
        e2e_ms: reqs
            .iter()
            .filter_map(|(_, m)| m.e2e_ms)
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.max(x)))
            }),
        throughput_tps: (wall_s > 0.0 && generated_tokens > 0)
            .then(|| f64::from(generated_tokens) / wall_s),
        peak_memory_bytes: t.counters.mlx_peak_memory_bytes,
        process_peak_memory_bytes: t.counters.process_peak_memory_bytes,
        prompt_tokens,
        generated_tokens,
        short_requests: t.requests.iter().filter(|r| r.is_short()).count() as u32,
        error: t.error.clone(),
    }
}

/// Σ(n_i − 1) / (max t_last − min t_first) over the requests that are not short and have at
/// least two tokens, times taken from the trial start (requests sent at a rate start later).
/// For one request this is `(n − 1) / (t_last − t_first)`.
pub fn aggregate_decode_tps(requests: &[RequestSample]) -> Option<f64> {
    let usable: Vec<&RequestSample> = requests
        .iter()
        .filter(|r| !r.is_short() && r.token_offsets_ns.len() >= 2)
        .collect();
    let intervals: usize = usable.iter().map(|r| r.token_offsets_ns.len() - 1).sum();
    let first = usable
        .iter()
        .filter_map(|r| r.trial_times_ns().next())
        .min()?;
    let last = usable
        .iter()
        .filter_map(|r| r.trial_times_ns().last())
        .max()?;
    let span_s = last.saturating_sub(first) as f64 / NS_PER_S;
    (span_s > 0.0).then(|| intervals as f64 / span_s)
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::EngineCounters;

    fn req(prompt: u32, requested: u32, offsets_ms: &[u64]) -> RequestSample {
        RequestSample {
            prompt_tokens: prompt,
            requested_tokens: requested,
            token_offsets_ns: offsets_ms.iter().map(|ms| ms * 1_000_000).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn staggered_requests_use_trial_time_for_the_aggregate() {
        // Two requests sent 1 s apart, each decoding 3 intervals over 30 ms: the aggregate
        // decode rate spans from the first request's first token (10 ms) to the second
        // request's last token (1000 + 40 ms): 6 intervals / 1.03 s.
        let mut late = req(1, 4, &[10, 20, 30, 40]);
        late.start_offset_ns = 1_000_000_000;
        let t = TrialSample {
            index: 0,
            wall_ns: 1_040_000_000,
            requests: vec![req(1, 4, &[10, 20, 30, 40]), late],
            counters: EngineCounters::default(),
            energy: None,
            error: None,
        };
        let m = trial_metrics(&t);
        assert!(
            (m.decode_tps.unwrap() - 6.0 / 1.03).abs() < 1e-9,
            "{:?}",
            m.decode_tps
        );
        // Per-request metrics stay relative to each request's own submission.
        assert_eq!(request_metrics(&t.requests[1]).ttft_ms, Some(10.0));
    }

    #[test]
    fn hand_computed_single_request() {
        // 100 prompt tokens, first token at 50 ms, then 4 more tokens every 10 ms.
        let m = request_metrics(&req(100, 5, &[50, 60, 70, 80, 90]));
        assert_eq!(m.ttft_ms, Some(50.0));
        assert_eq!(m.prefill_tps, Some(2000.0)); // 100 / 0.05 s
                                                 // 5 tokens -> 4 decode intervals over 40 ms = 100 tok/s (not 5/0.04 = 125).
        assert!((m.decode_tps.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(m.e2e_ms, Some(90.0));
        assert_eq!(m.itl_ms, vec![10.0; 4]);
    }

    #[test]
    fn decode_off_by_one_is_not_made() {
        // Two tokens 1 s apart: exactly one decode interval -> 1 tok/s.
        let m = request_metrics(&req(1, 2, &[1000, 2000]));
        assert_eq!(m.decode_tps, Some(1.0));
    }

    #[test]
    fn one_token_has_no_decode_rate_and_empty_has_nothing() {
        let m = request_metrics(&req(10, 1, &[30]));
        assert_eq!(m.decode_tps, None);
        assert_eq!(m.ttft_ms, Some(30.0));
        assert_eq!(request_metrics(&req(10, 1, &[])), RequestMetrics::default());
    }

    #[test]
    fn zero_spans_give_none_not_infinity() {
        let m = request_metrics(&req(10, 2, &[0, 0]));
        assert_eq!(m.prefill_tps, None);
        assert_eq!(m.decode_tps, None);
    }

    #[test]
    fn batch_trial_aggregates() {
        // Two rows, prompts 10 and 30 tokens, first tokens at 100 ms, 4 tokens each 20 ms apart.
        let t = TrialSample {
            index: 3,
            wall_ns: 200_000_000,
            requests: vec![
                req(10, 4, &[100, 120, 140, 160]),
                req(30, 4, &[100, 120, 140, 160]),
            ],
            counters: EngineCounters {
                mlx_peak_memory_bytes: Some(1234),
                process_peak_memory_bytes: None,
                kv_cache_bytes: None,
            },
            energy: None,
            error: None,
        };
        let m = trial_metrics(&t);
        assert_eq!(m.index, 3);
        assert_eq!(m.prompt_tokens, 40);
        assert_eq!(m.generated_tokens, 8);
        assert_eq!(m.prefill_tps, Some(400.0)); // 40 tokens / 0.1 s
        assert_eq!(m.ttft_ms, Some(100.0));
        // 2 x 3 intervals over 60 ms = 100 tok/s aggregate.
        assert!((m.decode_tps.unwrap() - 100.0).abs() < 1e-9);
        assert_eq!(m.throughput_tps, Some(40.0)); // 8 tokens / 0.2 s
        assert_eq!(m.e2e_ms, Some(160.0));
        assert_eq!(m.peak_memory_bytes, Some(1234));
    }

    #[test]
    fn short_requests_are_excluded_from_decode() {
        let t = TrialSample {
            index: 0,
            wall_ns: 1_000_000_000,
            requests: vec![
                req(1, 10, &[0, 10, 20, 30, 40, 50, 60, 70, 80, 90]),
                req(1, 10, &[0, 1]),
            ],
            counters: EngineCounters::default(),
            energy: None,
            error: None,
        };
        let m = trial_metrics(&t);
        assert_eq!(m.short_requests, 1);
        assert!((m.decode_tps.unwrap() - 100.0).abs() < 1e-9);
    }
}
