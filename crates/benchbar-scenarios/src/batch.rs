//! Prompts through an engine in batches, with per-item timings from the engine's raw samples.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use benchbar_engine::{Engine, EngineError, TextRequest};

use crate::{Error, Result};

/// Outputs and timings of a list of prompts, in prompt order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Generated {
    /// Generated text per prompt.
    pub texts: Vec<String>,
    /// From the batch's start to the item's last token (to the batch's end if it produced
    /// none), ms.
    pub latency_ms: Vec<f64>,
    /// From the batch's start to the item's first token, ms (None when it produced none).
    pub ttft_ms: Vec<Option<f64>>,
    /// Prompt tokens per item.
    pub prompt_tokens: Vec<u32>,
    /// Generated tokens per item.
    pub generated_tokens: Vec<u32>,
    /// Wall seconds over all batches.
    pub wall_s: f64,
}

/// Runs `prompts` through `engine.generate_text`, `batch_size` at a time. `cancel` is checked
/// between batches and at every token; `after_batch(done)` is called after each batch.
pub(crate) fn generate_all(
    engine: &mut dyn Engine,
    prompts: &[String],
    max_tokens: u32,
    batch_size: usize,
    cancel: &AtomicBool,
    after_batch: &mut dyn FnMut(usize),
) -> Result<Generated> {
    let mut out = Generated::default();
    let started = Instant::now();
    for (b, batch) in prompts.chunks(batch_size.max(1)).enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let req = TextRequest {
            prompts: batch.to_vec(),
            max_tokens,
            seed: b as u64,
        };
        let t0 = Instant::now();
        let mut on_token = |_| {
            if cancel.load(Ordering::Relaxed) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let res = engine
            .generate_text(&req, &mut on_token)
            .map_err(|e| match e {
                EngineError::Cancelled => Error::Cancelled,
                e => Error::Engine(e),
            })?;
        let batch_ms = t0.elapsed().as_secs_f64() * 1e3;
        if res.texts.len() != batch.len() || res.sample.requests.len() != batch.len() {
            return Err(Error::Engine(EngineError::Request(format!(
                "the {} engine returned {} outputs for {} prompts",
                engine.info().name,
                res.texts.len(),
                batch.len()
            ))));
        }
        for (r, text) in res.sample.requests.iter().zip(res.texts) {
            let ms = |ns: u64| (r.start_offset_ns + ns) as f64 / 1e6;
            out.latency_ms
                .push(r.token_offsets_ns.last().map_or(batch_ms, |&t| ms(t)));
            out.ttft_ms.push(r.token_offsets_ns.first().map(|&t| ms(t)));
            out.prompt_tokens.push(r.prompt_tokens);
            out.generated_tokens.push(r.generated_tokens());
            out.texts.push(text);
        }
        after_batch(out.texts.len());
    }
    out.wall_s = started.elapsed().as_secs_f64();
    Ok(out)
}
