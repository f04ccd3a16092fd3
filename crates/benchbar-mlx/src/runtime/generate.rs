//! [`Qwen3Runtime::generate`]: the prefill and the decode loop (one loop for both decode
//! orders, [`DecodeOrder`]).

use super::{GenerateOptions, Qwen3Runtime, TokenEvent};
use crate::cache::KvCache;
use crate::decode::{trace_call, HostTimes, Stamper};
use crate::nn::AttnInputs;
use crate::ops::{self, Array};
use crate::options::DecodeOrder;
use crate::sampler::Sampler;
use crate::tokenizer::ENDOFTEXT;
use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

impl Qwen3Runtime {
    /// Generate for a batch of prompts (left-padded to a common length; one eval per step for the
    /// whole batch). `on_token` gets every token after it is materialised; a row that produces EOS
    /// (unless `suppress_eos`) stops there (the EOS token is neither emitted nor returned).
    /// Returns the generated ids per row.
    pub fn generate(
        &mut self,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        on_token: &mut dyn FnMut(TokenEvent),
    ) -> Result<Vec<Vec<u32>>> {
        self.generate_cancellable(prompts, opts, &AtomicBool::new(false), on_token)
    }

    /// [`Qwen3Runtime::generate`] that gives up once `cancel` is set: the flag is read before
    /// each prefill chunk and each decode step, and while a chunk computes (every 20 ms), so a
    /// long prompt is abandoned within a fraction of a second. Returns [`Error::Cancelled`].
    pub fn generate_cancellable(
        &mut self,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(TokenEvent),
    ) -> Result<Vec<Vec<u32>>> {
        if prompts.is_empty() {
            return Err(Error::Invalid("no prompts".into()));
        }
        if prompts.iter().any(|p| p.is_empty()) {
            return Err(Error::Invalid("empty prompt".into()));
        }
        let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
        let context = self.model.config().context_tokens();
        if longest + opts.max_tokens > context {
            return Err(Error::Invalid(format!(
                "{longest} prompt tokens and {} to generate exceed the model's context of \
                 {context} tokens (config.json: max_position_embeddings, or rope_scaling's yarn \
                 factor times original_max_position_embeddings)",
                opts.max_tokens
            )));
        }
        if opts.max_tokens == 0 {
            return Ok(vec![Vec::new(); prompts.len()]);
        }
        let trace_start = std::time::SystemTime::now();
        let mut host = HostTimes::default();
        let out = self.generate_inner(prompts, opts, cancel, on_token, &mut host, None)?;
        if let Some(path) = &self.options.trace {
            trace_call(path, trace_start, &out, &host);
        }
        Ok(out)
    }

    pub(super) fn generate_inner(
        &mut self,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        cancel: &AtomicBool,
        on_token: &mut dyn FnMut(TokenEvent),
        host: &mut HostTimes,
        mut context: Option<&mut super::Context>,
    ) -> Result<Vec<Vec<u32>>> {
        let check = || {
            if cancel.load(Ordering::Relaxed) {
                Err(Error::Cancelled)
            } else {
                Ok(())
            }
        };
        let b = prompts.len();
        let mut out = vec![Vec::new(); b];
        let chunk = opts.prefill_chunk.max(1);
        let max_len = prompts.iter().map(|p| p.len()).max().unwrap_or(0);
        let pads: Vec<usize> = prompts.iter().map(|p| max_len - p.len()).collect();
        let padded: Vec<Vec<u32>> = prompts
            .iter()
            .zip(&pads)
            .map(|(p, &n)| {
                std::iter::repeat_n(ENDOFTEXT, n)
                    .chain(p.iter().copied())
                    .collect()
            })
            .collect();
        let vocab = self.model.config().vocab_size;
        let suppress: &[u32] = if opts.suppress_eos { &self.eos } else { &[] };
        let mut sampler = Sampler::new(opts.sampling, vocab, suppress)?;
        // Room for the whole generation from the first write: the cache never grows (no
        // reallocation or copy mid-run).
        let mut cache: Vec<KvCache> = match context.as_deref_mut() {
            Some(c) => std::mem::take(c.cache_mut()),
            None => self.model.new_cache_reserved(max_len + opts.max_tokens),
        };
        for c in cache.iter_mut() {
            c.set_kv_quant(opts.kv_quant);
        }
        let mode = self.options.decode_order;

        // 1. prefill all but the last prompt position, in chunks (as mlx_lm's generate_step)
        self.prefill_chunks(&padded, max_len - 1, &pads, chunk, &mut cache, cancel)?;
        // 2. first token from the last prompt position (allocates the caches if the prompt was
        //    one token)
        check()?;
        let last = self.ids_array(&padded, max_len - 1, max_len)?;
        let mut y = self.step(&last, &mut cache, &pads, &mut sampler)?;
        // The stamping thread of the default order; `None` in the strict order.
        let stamper = match mode {
            DecodeOrder::Thread => {
                let first = Stamper::marker(&y)?;
                ops::async_eval(&[&y, &first])?;
                let s = Stamper::spawn()?;
                s.watch(0, first)?;
                Some(s)
            }
            DecodeOrder::Strict => {
                ops::async_eval(&[&y])?;
                None
            }
        };
        let eos = self.eos.clone();
        let mut done = vec![false; b];
        let mut emit = |step: usize, toks: &[u32], at: Instant, done: &mut [bool]| {
            for (row, &t) in toks.iter().enumerate() {
                if done[row] {
                    continue;
                }
                if !opts.suppress_eos && eos.contains(&t) {
                    done[row] = true;
                    continue;
                }
                out[row].push(t);
                on_token(TokenEvent {
                    row,
                    token: t,
                    step,
                    at,
                });
            }
        };
        for step in 0..opts.max_tokens {
            check()?;
            // 3. build the next step's graph while this one computes; it is scheduled after this
            //    token is read (strict) or before, while the stamping thread waits for this token
            //    (see [`DecodeOrder`]).
            let built_at = Instant::now();
            let next = if step + 1 < opts.max_tokens {
                let inp = ops::reshape(&y, &[b as i32, 1])?;
                Some(self.step(&inp, &mut cache, &pads, &mut sampler)?)
            } else {
                None
            };
            // The stamping thread's marker of the next tokens, scheduled with them.
            let marker = match (&stamper, &next) {
                (Some(_), Some(n)) => Some(Stamper::marker(n)?),
                _ => None,
            };
            if next.is_some() {
                host.build_us.push(built_at.elapsed().as_secs_f64() * 1e6);
            }
            let mut schedule = || -> Result<()> {
                let Some(n) = &next else { return Ok(()) };
                let mut list = vec![n];
                list.extend(&marker);
                let t = Instant::now();
                ops::async_eval(&list)?;
                host.encode_us.push(t.elapsed().as_secs_f64() * 1e6);
                Ok(())
            };
            match &stamper {
                None => {
                    let toks = y.read_u32()?;
                    let at = Instant::now();
                    schedule()?;
                    emit(step, &toks, at, &mut done);
                }
                Some(st) => {
                    schedule()?;
                    if let Some(m) = marker {
                        st.watch(step + 1, m)?;
                    }
                    let at = st.stamp(step)?;
                    emit(step, &y.read_u32()?, at, &mut done);
                }
            }
            if done.iter().all(|&d| d) {
                break;
            }
            match next {
                Some(n) => y = n,
                None => break,
            }
        }
        // A context's caches go back to it (now holding the prompt and generation too).
        if let Some(c) = context {
            *c.cache_mut() = cache;
        }
        Ok(out)
    }

    /// Prefills positions `[0, end)` of `padded` into `cache` after the positions it already
    /// holds, in chunks of `chunk`, waiting for each (cancellably) before the next.
    pub(super) fn prefill_chunks(
        &self,
        padded: &[Vec<u32>],
        end: usize,
        pads: &[usize],
        chunk: usize,
        cache: &mut [KvCache],
        cancel: &AtomicBool,
    ) -> Result<()> {
        let base = cache.first().map(|c| c.offset()).unwrap_or(0);
        let mut pos = 0;
        while pos < end {
            if cancel.load(Ordering::Relaxed) {
                return Err(Error::Cancelled);
            }
            let to = (pos + chunk.max(1)).min(end);
            let ids = self.ids_array(padded, pos, to)?;
            let inp = AttnInputs::new(to - pos, base + pos, pads)?;
            let h = self.model.forward_hidden(&ids, cache, &inp)?;
            let mut st: Vec<&Array> = cache.iter().flat_map(|c| c.state()).collect();
            st.push(&h);
            ops::async_eval(&st)?;
            wait_cancellable(&h, cancel)?;
            pos = to;
        }
        Ok(())
    }

    /// One decode step: `ids [B, 1] -> sampled tokens [B]` (lazy).
    fn step(
        &self,
        ids: &Array,
        cache: &mut [KvCache],
        pads: &[usize],
        sampler: &mut Sampler,
    ) -> Result<Array> {
        let offset = cache.first().map(|c| c.offset()).unwrap_or(0);
        let inp = AttnInputs::new(1, offset, pads)?;
        let ids = ops::astype(ids, ops::Dtype::I32)?;
        let logits = self.model.forward(&ids, cache, &inp)?; // [B, 1, V]
        let b = logits.dim(0);
        let v = logits.dim(2);
        let logits = ops::reshape(&logits, &[b, v])?;
        sampler.sample(&logits)
    }
}

/// How often a prefill chunk's wait looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Waits until `a` (a scheduled prefill chunk) is computed, on a helper thread, so that a set
/// `cancel` ends the wait within [`CANCEL_POLL`] even while the device still computes the chunk
/// (a chunk of a long prompt takes seconds); the helper then finishes on its own. The wake-up
/// is a channel message, not a poll, so a completed chunk is seen at once.
fn wait_cancellable(a: &Array, cancel: &AtomicBool) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    let pending = a.clone();
    std::thread::Builder::new()
        .name("benchbar-prefill-wait".into())
        .spawn(move || {
            let _ = tx.send(pending.wait());
        })
        .map_err(|e| Error::Mlx(format!("cannot start the prefill wait thread: {e}")))?;
    loop {
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(done) => return done,
            Err(mpsc::RecvTimeoutError::Timeout) if cancel.load(Ordering::Relaxed) => {
                return Err(Error::Cancelled)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(Error::Mlx("the prefill wait thread stopped".into()))
            }
        }
    }
}
