//! Raw measurements as engines produce them: one timestamp per generated token.
//!
//! Everything else (rates, latencies, summaries) is derived from these by [`crate::metrics`],
//! so the store keeps only raw samples and a report can always be recomputed.

use serde::{Deserialize, Serialize};

/// One request of a trial (one row of a batch).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RequestSample {
    /// Prompt length in tokens, as the engine's tokenizer (or server usage) counted it.
    pub prompt_tokens: u32,
    /// Tokens the runner asked for.
    pub requested_tokens: u32,
    /// Nanoseconds from the trial start to this request's submission: 0 when the batch is
    /// submitted together; later for requests sent at a rate (HTTP load sweep).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_offset_ns: u64,
    /// For each generated token, nanoseconds from this request's submission (monotonic
    /// clock), taken after the token was materialised (evaluated, or received by an HTTP
    /// client).
    pub token_offsets_ns: Vec<u64>,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

impl RequestSample {
    /// Generated token count.
    pub fn generated_tokens(&self) -> u32 {
        self.token_offsets_ns.len() as u32
    }

    /// Token times from the trial start (`start_offset_ns` + each offset).
    pub fn trial_times_ns(&self) -> impl Iterator<Item = u64> + '_ {
        self.token_offsets_ns
            .iter()
            .map(|t| self.start_offset_ns.saturating_add(*t))
    }

    /// True when the request stopped before 80% of the requested tokens: such a request is
    /// excluded from decode statistics (its output length was not controlled).
    pub fn is_short(&self) -> bool {
        u64::from(self.generated_tokens()) * 5 < u64::from(self.requested_tokens) * 4
    }
}

/// Engine-side counters taken around a trial.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EngineCounters {
    /// MLX peak memory during the trial (peak reset before it), bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlx_peak_memory_bytes: Option<u64>,
    /// Process peak physical footprint (VmHWM / phys_footprint) after the trial, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_peak_memory_bytes: Option<u64>,
    /// KV cache the trial's requests held at its end (keys and values as allocated, any
    /// linear state), bytes, where the engine measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kv_cache_bytes: Option<u64>,
}

/// Energy of one trial split at the first token (counter readings at phase boundaries).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrialEnergy {
    /// Joules from submitting the batch to the first token.
    pub prefill_j: Option<f64>,
    /// Joules from the first token to the last.
    pub decode_j: Option<f64>,
}

/// One measured repetition of a cell: `batch_size` requests submitted together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TrialSample {
    /// 0-based index among the cell's measured trials.
    pub index: u32,
    /// Wall time from submitting the batch to the last token of any request, ns.
    pub wall_ns: u64,
    /// One entry per request in the batch.
    pub requests: Vec<RequestSample>,
    /// Engine counters.
    #[serde(default)]
    pub counters: EngineCounters,
    /// Energy by phase, when a power source was available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy: Option<TrialEnergy>,
    /// Why the trial failed, when it did (its requests are then empty or partial and it is
    /// excluded from statistics, but kept in history).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TrialSample {
    /// True when the trial completed without an error.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_means_below_eighty_percent_of_requested() {
        let mk = |n: usize| RequestSample {
            prompt_tokens: 1,
            requested_tokens: 10,
            token_offsets_ns: vec![1; n],
            ..Default::default()
        };
        assert!(mk(7).is_short());
        assert!(!mk(8).is_short());
        assert!(!mk(10).is_short());
    }
}
