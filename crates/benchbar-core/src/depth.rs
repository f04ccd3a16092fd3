//! Context depth (`--depth 0,4096,16384`, llama-bench's `-d`) and cold against cached prompts
//! (`--cached-prefix N`, as mlx-chronos reports them).
//!
//! A **depth** `d` cell measures its prompt after `d` tokens of context are already in the KV
//! cache: the engine prefills the context (random in-vocabulary tokens drawn from the trial's
//! seed, so every trial has its own context and nothing is reused across trials) and waits for
//! it before the trial's clock starts, so the depth's own prefill counts in neither the
//! measured prefill nor the decode; the prompt's positions follow the context's. Each depth of
//! a test is its own cell (`<test>.d<depth>`), whose report carries `depth_tokens` and the
//! KV cache the trial held (`kv_cache_bytes`, measured from the cache's arrays).
//!
//! A **cached prefix** of `P` tokens gives each test two cells of the same prompt shape, a
//! fresh `P`-token prefix (per trial) followed by the test's prompt: `<test>.prefix<P>.cold`
//! times the whole prompt from an empty cache, `<test>.prefix<P>.cached` times it after the
//! prefix was put in the cache untimed (in-process: prefilled into a saved KV cache; over
//! HTTP: one request of the prefix alone first, so a server with prompt caching can reuse it).
//! Both report the whole prompt's length; the report sets their TTFTs side by side.

use serde::{Deserialize, Serialize};

use crate::report::{CellRaw, CellReport};
use crate::spec::CellPlan;
use crate::{Error, Result};

/// Deepest context a depth may ask for (the model's context bounds it further).
pub const MAX_DEPTH_TOKENS: u32 = 1 << 22;

/// Most depths in one list.
pub const MAX_DEPTHS: usize = 32;

/// The `long-context` suite's depths: 0, then powers of two from 1,024 to 1,048,576 tokens;
/// those past the model's context or the machine's memory are skipped with a note.
pub fn long_context_depths() -> Vec<u32> {
    std::iter::once(0)
        .chain((10..=20).map(|e| 1 << e))
        .collect()
}

/// Generated tokens per request of the `long-context` suite.
pub const LONG_CONTEXT_GEN_TOKENS: u32 = 64;

/// Measured repetitions per depth of the `long-context` suite.
pub const LONG_CONTEXT_REPS: u32 = 3;

/// A prompt's prefix (`--cached-prefix`): its length and whether it is in the cache before
/// the trial is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PrefixPlan {
    /// Tokens of the prefix (fresh per trial).
    pub prefix_tokens: u32,
    /// True: the prefix is cached before timing; false: the whole prompt is timed cold.
    pub cached: bool,
}

/// What a run spec asks of depths and prefixes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DepthSpec<'a> {
    /// `--depth`.
    pub depths: Option<&'a [u32]>,
    /// `--cached-prefix`.
    pub cached_prefix_tokens: Option<u32>,
    /// `--concurrency` was given too.
    pub concurrency_given: bool,
}

impl DepthSpec<'_> {
    /// Refuses nonsense before anything runs: an empty list, a depth past
    /// [`MAX_DEPTH_TOKENS`], more than [`MAX_DEPTHS`] depths, a depth listed twice, a prefix of
    /// 0 tokens or past [`MAX_DEPTH_TOKENS`], depths beside a prefix, either beside
    /// concurrency levels.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidSpec(m));
        if let Some(depths) = self.depths {
            if depths.is_empty() {
                return bad("the depth list is empty".into());
            }
            if depths.len() > MAX_DEPTHS {
                return bad(format!(
                    "{} depths are too many (at most {MAX_DEPTHS})",
                    depths.len()
                ));
            }
            if let Some(d) = depths.iter().find(|d| **d > MAX_DEPTH_TOKENS) {
                return bad(format!(
                    "depth {d} is out of range (0..={MAX_DEPTH_TOKENS} tokens)"
                ));
            }
            if let Some((_, d)) = depths
                .iter()
                .enumerate()
                .find(|(i, d)| depths[..*i].contains(d))
            {
                return bad(format!("depth {d} is listed twice"));
            }
            if self.cached_prefix_tokens.is_some() {
                return bad("give either --depth or --cached-prefix, not both".into());
            }
        }
        if let Some(p) = self.cached_prefix_tokens {
            if p == 0 || p > MAX_DEPTH_TOKENS {
                return bad(format!(
                    "--cached-prefix {p} is out of range (1..={MAX_DEPTH_TOKENS} tokens)"
                ));
            }
        }
        if self.concurrency_given && (self.depths.is_some() || self.cached_prefix_tokens.is_some())
        {
            return bad(
                "--depth and --cached-prefix measure single requests: not with --concurrency"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The cells of one planned cell: one per depth, or the cold and cached pair of a prefix, or
/// the cell itself.
pub fn expand(cell: CellPlan, depths: Option<&[u32]>, prefix_tokens: Option<u32>) -> Vec<CellPlan> {
    if let Some(depths) = depths {
        return depths
            .iter()
            .map(|&d| CellPlan {
                test: format!("{}.d{d}", cell.test),
                depth_tokens: Some(d),
                ..cell.clone()
            })
            .collect();
    }
    if let Some(p) = prefix_tokens {
        return [false, true]
            .map(|cached| CellPlan {
                test: format!(
                    "{}.prefix{p}.{}",
                    cell.test,
                    if cached { "cached" } else { "cold" }
                ),
                prefix: Some(PrefixPlan {
                    prefix_tokens: p,
                    cached,
                }),
                ..cell.clone()
            })
            .to_vec();
    }
    vec![cell]
}

/// The KV cache a cell's successful trials held at their end, mean bytes (None when the
/// engine does not measure it).
pub fn kv_cache_bytes(raw: &CellRaw) -> Option<u64> {
    let v: Vec<u64> = raw
        .trials
        .iter()
        .filter(|t| t.ok())
        .filter_map(|t| t.counters.kv_cache_bytes)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<u64>() / v.len() as u64)
}

/// The test a depth or prefix cell was made from (`short.1.d4096` → `short.1`).
pub fn base_test(c: &CellReport) -> &str {
    let t = c.test.as_str();
    let t = match c.depth_tokens {
        Some(d) => t.strip_suffix(&format!(".d{d}")).unwrap_or(t),
        None => t,
    };
    match &c.prefix {
        Some(p) => t
            .strip_suffix(if p.cached { ".cached" } else { ".cold" })
            .and_then(|t| t.strip_suffix(&format!(".prefix{}", p.prefix_tokens)))
            .unwrap_or(t),
        None => t,
    }
}

mod lines;

pub use lines::{
    depth_lines, depth_notes, depth_table, prompt_cache_lines, prompt_cache_notes,
    prompt_cache_table, DepthLine, PromptCacheLine,
};

#[cfg(test)]
mod tests;
