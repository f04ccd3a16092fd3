//! Inputs bounded before anything runs: every cell's prompt plus generated tokens within the
//! model's context, and the weights plus the KV cache of its batch within the machine's
//! memory (overridable), where the engine knows its model's limits.

use benchbar_core::spec::{CellPlan, PromptSpec};
use benchbar_engine::ModelLimits;

use crate::{Error, Result};

/// Tokens the chat template adds around a text prompt (Qwen3's user and assistant markers
/// and the empty thinking block take about 15).
const CHAT_TEMPLATE_TOKENS: u64 = 32;

/// The most tokens a cell's prompt can have: the synthetic length, or for a text prompt its
/// length in bytes (a byte-level BPE token covers at least one byte) plus the chat template.
fn prompt_tokens_at_most(cell: &CellPlan) -> u64 {
    match &cell.prompt {
        PromptSpec::Synthetic { tokens } => u64::from(*tokens),
        PromptSpec::Text { text } => text.len() as u64 + CHAT_TEMPLATE_TOKENS,
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1u32 << 30))
}

/// Refuses the first cell of `plan` whose sequence exceeds the model's context, or whose
/// estimated memory (weights plus the KV cache of `batch_size` full sequences) exceeds
/// `memory_bytes` unless `allow_oversize`; each refusal is one line with the numbers.
pub fn check(
    plan: &[CellPlan],
    limits: &ModelLimits,
    memory_bytes: u64,
    allow_oversize: bool,
) -> Result<()> {
    plan.iter()
        .try_for_each(|c| check_cell(c, limits, memory_bytes, allow_oversize))
}

/// `plan` less the cells [`check`] would refuse, and a note naming each one dropped and why
/// (the `long-context` suite's depths past the model's context or the machine's memory).
pub fn fit(
    plan: Vec<CellPlan>,
    limits: &ModelLimits,
    memory_bytes: u64,
    allow_oversize: bool,
) -> (Vec<CellPlan>, Vec<String>) {
    let mut notes = Vec::new();
    let kept = plan
        .into_iter()
        .filter(
            |c| match check_cell(c, limits, memory_bytes, allow_oversize) {
                Ok(()) => true,
                Err(e) => {
                    notes.push(format!("skipped (does not fit): {e}"));
                    false
                }
            },
        )
        .collect();
    (kept, notes)
}

/// Context (a depth's) and prefix tokens a cell's sequence holds before its prompt.
fn context_tokens(cell: &CellPlan) -> u64 {
    u64::from(cell.depth_tokens.unwrap_or(0))
        + u64::from(cell.prefix.map_or(0, |p| p.prefix_tokens))
}

fn check_cell(
    cell: &CellPlan,
    limits: &ModelLimits,
    memory_bytes: u64,
    allow_oversize: bool,
) -> Result<()> {
    let context = context_tokens(cell);
    let prompt = prompt_tokens_at_most(cell);
    let sequence = context + prompt + u64::from(cell.gen_tokens);
    let name = format!("{}@{}", cell.test, cell.batch_size);
    if sequence > u64::from(limits.context_tokens) {
        let prompt = match cell.prompt {
            PromptSpec::Synthetic { .. } => format!("{prompt} prompt tokens"),
            PromptSpec::Text { .. } => format!("up to {prompt} prompt tokens"),
        };
        let before = match (cell.depth_tokens, cell.prefix) {
            (Some(d), _) => format!("a depth of {d} tokens, "),
            (_, Some(p)) => format!("a prefix of {} tokens, ", p.prefix_tokens),
            _ => String::new(),
        };
        return Err(Error::Invalid(format!(
            "{name}: {before}{prompt} plus {} generated tokens exceed the model's context of {} tokens",
            cell.gen_tokens, limits.context_tokens
        )));
    }
    let kv_bytes = limits
        .kv_bytes_per_token
        .saturating_mul(sequence)
        .saturating_add(limits.state_bytes_per_sequence)
        .saturating_mul(u64::from(cell.batch_size));
    let need = limits.weights_bytes.saturating_add(kv_bytes);
    if !allow_oversize && memory_bytes > 0 && need > memory_bytes {
        return Err(Error::Invalid(format!(
            "{name}: needs about {} (weights {} + KV cache {} for {} x {sequence} tokens), more than this machine's {} of memory; --allow-oversize runs it anyway",
            gib(need),
            gib(limits.weights_bytes),
            gib(kv_bytes),
            cell.batch_size,
            gib(memory_bytes)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use benchbar_core::spec::{RunSpec, SuiteName};
    use benchbar_core::suite::Suite;

    use super::*;

    const GIB: u64 = 1 << 30;

    /// builtin:tiny's context, a 1 GiB model with 100 KiB of KV cache per token.
    fn limits() -> ModelLimits {
        ModelLimits {
            context_tokens: 40_960,
            kv_bytes_per_token: 100 * 1024,
            state_bytes_per_sequence: 0,
            weights_bytes: GIB,
        }
    }

    fn plan(prompt: u32, gen: u32, batch: u32) -> Vec<CellPlan> {
        let mut spec = RunSpec::new("m", "e", SuiteName::Quick);
        spec.prompt_tokens = Some(prompt);
        spec.gen_tokens = Some(gen);
        spec.batch_sizes = Some(vec![batch]);
        spec.plan(&Suite::seed()).unwrap()
    }

    #[test]
    fn a_sequence_past_the_context_is_refused_with_the_numbers() {
        let e = check(&plan(10_000_000, 128, 1), &limits(), 64 * GIB, true).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("10000000 prompt tokens plus 128 generated tokens exceed the model's context of 40960 tokens"),
            "{msg}"
        );
        assert!(check(&plan(40_000, 960, 1), &limits(), 64 * GIB, false).is_ok());
        assert!(check(&plan(40_000, 961, 1), &limits(), 64 * GIB, false).is_err());
    }

    #[test]
    fn memory_past_the_machine_is_refused_unless_allowed() {
        // 64 x 40,960 tokens x 100 KiB = 250 GiB of KV cache.
        let big = plan(40_000, 960, 64);
        let msg = check(&big, &limits(), 16 * GIB, false)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("needs about 251.0 GiB"), "{msg}");
        assert!(
            msg.contains("KV cache 250.0 GiB for 64 x 40960 tokens"),
            "{msg}"
        );
        assert!(msg.contains("this machine's 16.0 GiB"), "{msg}");
        assert!(msg.contains("--allow-oversize"), "{msg}");
        assert!(check(&big, &limits(), 16 * GIB, true).is_ok());
        assert!(check(&plan(512, 128, 1), &limits(), 16 * GIB, false).is_ok());
    }

    #[test]
    fn text_prompts_are_bounded_by_their_bytes() {
        let mut spec = RunSpec::new("m", "e", SuiteName::Full);
        spec.gen_tokens = Some(40_000);
        let cells = spec.plan(&Suite::seed()).unwrap();
        let msg = check(&cells, &limits(), 64 * GIB, false)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("up to "), "{msg}");
    }

    #[test]
    fn a_depth_or_prefix_counts_in_the_sequence() {
        let mut spec = RunSpec::new("m", "e", SuiteName::Quick);
        spec.prompt_tokens = Some(1000);
        spec.gen_tokens = Some(100);
        spec.depths = Some(vec![0, 39_860]);
        let plan = spec.plan(&Suite::seed()).unwrap();
        assert!(check(&plan, &limits(), 64 * GIB, false).is_ok());
        spec.depths = Some(vec![0, 39_861]);
        let msg = check(
            &spec.plan(&Suite::seed()).unwrap(),
            &limits(),
            64 * GIB,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("a depth of 39861 tokens, 1000 prompt tokens plus 100 generated tokens exceed the model's context of 40960 tokens"),
            "{msg}"
        );
        spec.depths = None;
        spec.cached_prefix_tokens = Some(40_000);
        let msg = check(
            &spec.plan(&Suite::seed()).unwrap(),
            &limits(),
            64 * GIB,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("a prefix of 40000 tokens"), "{msg}");
        // Memory: 32,768 + 1,100 tokens x 100 KiB = 3.2 GiB of KV cache beside 1 GiB weights.
        spec.cached_prefix_tokens = None;
        spec.depths = Some(vec![32_768]);
        let msg = check(
            &spec.plan(&Suite::seed()).unwrap(),
            &limits(),
            4 * GIB,
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("KV cache 3.2 GiB for 1 x 33868 tokens"),
            "{msg}"
        );
    }

    #[test]
    fn the_long_context_suite_keeps_the_depths_that_fit_and_names_the_rest() {
        let plan = RunSpec::new("m", "e", SuiteName::LongContext)
            .plan(&Suite::seed())
            .unwrap();
        // Context: up to 32,768 (plus the prompt and 64 generated tokens) fits 40,960.
        let (kept, notes) = fit(plan.clone(), &limits(), 64 * GIB, false);
        let depths: Vec<u32> = kept.iter().filter_map(|c| c.depth_tokens).collect();
        assert_eq!(depths, [0, 1024, 2048, 4096, 8192, 16_384, 32_768]);
        assert_eq!(notes.len(), plan.len() - kept.len());
        assert!(
            notes[0]
                .starts_with("skipped (does not fit): short.1.d65536@1: a depth of 65536 tokens"),
            "{}",
            notes[0]
        );
        // Memory: 2 GiB holds the weights and 8,192 positions (0.8 GiB), not 16,384 (1.6 GiB).
        let (kept, notes) = fit(plan.clone(), &limits(), 2 * GIB, false);
        assert_eq!(kept.last().and_then(|c| c.depth_tokens), Some(8192));
        assert!(
            notes[0].contains("more than this machine's 2.0 GiB"),
            "{}",
            notes[0]
        );
        // --allow-oversize keeps what the context holds.
        assert_eq!(fit(plan, &limits(), 2 * GIB, true).0.len(), 7);
    }
}
