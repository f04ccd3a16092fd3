//! Generation after a context already in the cache: [`Qwen3Runtime::prefill_context`] fills
//! fresh caches with a context (evaluated, so that nothing of it is left to compute), and
//! [`Qwen3Runtime::generate_after`] continues from them, the prompt's positions following the
//! context's. Benchmarks use it for context depth (llama-bench's `-d`: the depth's prefill is
//! not part of the measured prefill or decode) and for a prompt whose prefix is cached.

use super::{GenerateOptions, Qwen3Runtime, TokenEvent};
use crate::cache::KvCache;
use crate::decode::HostTimes;
use crate::{Error, Result};
use std::sync::atomic::AtomicBool;

/// Per-layer caches holding an evaluated context of the same tokens in every row.
#[derive(Debug)]
pub struct Context {
    cache: Vec<KvCache>,
    rows: usize,
}

impl Context {
    /// Positions held: the context's, and after [`Qwen3Runtime::generate_after`] its prompt's
    /// and generated tokens' too.
    pub fn tokens(&self) -> usize {
        self.cache.first().map_or(0, KvCache::offset)
    }

    /// Rows (batch size) the context was prefilled for.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bytes the caches hold now (keys and values as allocated, linear state).
    pub fn cache_bytes(&self) -> u64 {
        kv_cache_bytes(&self.cache)
    }

    pub(super) fn cache_mut(&mut self) -> &mut Vec<KvCache> {
        &mut self.cache
    }
}

/// Bytes of the arrays of `cache` (keys and values as allocated, quantized or not, and any
/// linear state).
pub fn kv_cache_bytes(cache: &[KvCache]) -> u64 {
    cache
        .iter()
        .flat_map(|c| c.state())
        .map(|a| a.nbytes() as u64)
        .sum()
}

impl Qwen3Runtime {
    /// Prefills `context` (the same tokens in each of `rows` rows) into fresh caches with room
    /// for `reserve_tokens` more positions (quantized as `opts.kv_quant` says), in chunks of
    /// `opts.prefill_chunk`, and waits until
    /// they are evaluated. The flag is read before each chunk and while one computes (as in
    /// [`Qwen3Runtime::generate_cancellable`]); a set flag returns [`Error::Cancelled`].
    pub fn prefill_context(
        &self,
        context: &[u32],
        rows: usize,
        reserve_tokens: usize,
        opts: &GenerateOptions,
        cancel: &AtomicBool,
    ) -> Result<Context> {
        if rows == 0 {
            return Err(Error::Invalid("no rows to prefill a context for".into()));
        }
        let limit = self.model.config().context_tokens();
        if context.len() + reserve_tokens > limit {
            return Err(Error::Invalid(format!(
                "a context of {} tokens and {reserve_tokens} more exceed the model's context of \
                 {limit} tokens",
                context.len()
            )));
        }
        let mut cache = self
            .model
            .new_cache_reserved(context.len() + reserve_tokens);
        // A quantized cache (mlx_lm's kv_bits) quantizes the context as it is prefilled.
        for c in cache.iter_mut() {
            c.set_kv_quant(opts.kv_quant);
        }
        let padded = vec![context.to_vec(); rows];
        let pads = vec![0; rows];
        self.prefill_chunks(
            &padded,
            context.len(),
            &pads,
            opts.prefill_chunk,
            &mut cache,
            cancel,
        )?;
        Ok(Context { cache, rows })
    }

    /// [`Qwen3Runtime::generate_cancellable`] after `context` (from
    /// [`Qwen3Runtime::prefill_context`]): only `prompts` (one per context row, all of one
    /// length: padding cannot sit between a context and its prompt) are prefilled, at the
    /// positions after the context's. Returns the generated ids per row; `context` then holds
    /// the whole sequence ([`Context::cache_bytes`] is the trial's KV cache).
    pub fn generate_after(
        &mut self,
        context: &mut Context,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(TokenEvent),
    ) -> Result<Vec<Vec<u32>>> {
        if prompts.len() != context.rows {
            return Err(Error::Invalid(format!(
                "{} prompts after a context of {} rows",
                prompts.len(),
                context.rows
            )));
        }
        let len = prompts.first().map_or(0, Vec::len);
        if len == 0 || prompts.iter().any(|p| p.len() != len) {
            return Err(Error::Invalid(
                "prompts after a context must be non-empty and of one length".into(),
            ));
        }
        let limit = self.model.config().context_tokens();
        let held = context.tokens();
        if held + len + opts.max_tokens > limit {
            return Err(Error::Invalid(format!(
                "a context of {} tokens, {len} prompt tokens and {} to generate exceed the \
                 model's context of {limit} tokens",
                held, opts.max_tokens
            )));
        }
        if opts.max_tokens == 0 {
            return Ok(vec![Vec::new(); prompts.len()]);
        }
        let mut host = HostTimes::default();
        self.generate_inner(prompts, opts, cancel, on_token, &mut host, Some(context))
    }
}
