//! [`Qwen3Runtime`]: load a checkpoint directory, tokenize, and generate with per-token events.

use crate::cache::KvCache;
use crate::compiled::CompiledFn;
use crate::config::{ids_of, Qwen3Config};
use crate::decode::{trace_call, FixedState, HostTimes, Stamper};
use crate::info::ModelInfo;
use crate::model::{AttnInputs, Qwen3};
use crate::ops::{self, Array};
use crate::options::{DecodeOrder, EngineOptions};
use crate::sampler::{Sampler, Sampling};
use crate::tokenizer::{apply_chat_template, ChatMessage, Tokenizer, ENDOFTEXT, IM_END};
use crate::weights::Weights;
use crate::{Error, Result};
use std::path::Path;
use std::time::Instant;

/// Options for [`Qwen3Runtime::generate`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GenerateOptions {
    /// Tokens to generate per row (upper bound when EOS is not suppressed).
    pub max_tokens: usize,
    /// Sampling parameters.
    pub sampling: Sampling,
    /// Mask EOS logits to -inf so every row generates exactly `max_tokens` (benchmarks).
    pub suppress_eos: bool,
    /// Prompt tokens per prefill forward pass.
    pub prefill_chunk: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_tokens: 128,
            sampling: Sampling::greedy(),
            suppress_eos: false,
            prefill_chunk: 2048,
        }
    }
}

/// One generated token, emitted after it has been evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenEvent {
    /// Index of the prompt in the batch.
    pub row: usize,
    /// Token id.
    pub token: u32,
    /// 0 for the first generated token (its time marks the end of prefill).
    pub step: usize,
    /// When the token was materialised (monotonic).
    pub at: Instant,
}

/// A loaded Qwen3 model + tokenizer, ready to generate.
pub struct Qwen3Runtime {
    model: Qwen3,
    /// The compiled decode step ([`Qwen3::decode_fixed`]), made on first use.
    compiled: Option<CompiledFn>,
    tokenizer: Tokenizer,
    info: ModelInfo,
    eos: Vec<u32>,
    /// As given to [`Qwen3Runtime::load_with`].
    options: EngineOptions,
}

impl std::fmt::Debug for Qwen3Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qwen3Runtime")
            .field("info", &self.info)
            .field("eos", &self.eos)
            .finish()
    }
}

impl Qwen3Runtime {
    /// Load `dir` (config.json, *.safetensors, tokenizer.json) and evaluate the weights, with
    /// the default options ([`EngineOptions::default`]).
    pub fn load(dir: &Path) -> Result<Qwen3Runtime> {
        Qwen3Runtime::load_with(dir, &EngineOptions::default())
    }

    /// [`Qwen3Runtime::load`] with `options`: the kernels (narrowed to those that run here,
    /// [`crate::kernels::usable`]) and fusion build the model; the decode order, compilation and
    /// trace apply to every [`Qwen3Runtime::generate`].
    pub fn load_with(dir: &Path, options: &EngineOptions) -> Result<Qwen3Runtime> {
        if !dir.is_dir() {
            return Err(Error::file(dir, "not a directory"));
        }
        let cfg = Qwen3Config::from_dir(dir)?;
        let tokenizer = Tokenizer::from_dir(dir, cfg.vocab_size)?;
        let info = ModelInfo::from_dir(dir)?;
        let w = Weights::load(dir)?;
        let kernels = crate::kernels::usable(options.kernels);
        let model = Qwen3::new(&cfg, &w, &options.model(kernels))?;
        drop(w);
        let mut eos = cfg.eos_ids();
        let gen = dir.join("generation_config.json");
        if let Ok(text) = std::fs::read_to_string(&gen) {
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::file(&gen, format!("malformed JSON: {e}")))?;
            eos.extend(ids_of(v.get("eos_token_id")));
        }
        for id in [IM_END, ENDOFTEXT] {
            if tokenizer.token_to_id(if id == IM_END {
                "<|im_end|>"
            } else {
                "<|endoftext|>"
            }) == Some(id)
            {
                eos.push(id);
            }
        }
        eos.sort_unstable();
        eos.dedup();
        let rt = Qwen3Runtime {
            model,
            compiled: None,
            tokenizer,
            info,
            eos,
            options: options.clone(),
        };
        rt.warm_weights()?;
        Ok(rt)
    }

    /// Materialise every weight (reads the files) so the first timed step excludes I/O: one
    /// 1-token forward pass.
    fn warm_weights(&self) -> Result<()> {
        let mut cache = self.model.new_cache();
        let ids = Array::from_i32(&[0], &[1, 1])?;
        let logits = self
            .model
            .forward(&ids, &mut cache, &AttnInputs::new(1, 0, &[0])?)?;
        ops::eval(&[&logits])
    }

    /// The options it was loaded with.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Model description.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The config.
    pub fn config(&self) -> &Qwen3Config {
        self.model.config()
    }

    /// The model (for direct forward passes).
    pub fn model(&self) -> &Qwen3 {
        &self.model
    }

    /// EOS ids (config.json, generation_config.json, <|im_end|>, <|endoftext|>).
    pub fn eos_ids(&self) -> &[u32] {
        &self.eos
    }

    /// Token ids of `text`; with `chat`, as a single user turn in Qwen3's chat template with
    /// thinking disabled.
    pub fn encode(&self, text: &str, chat: bool) -> Result<Vec<u32>> {
        if chat {
            let msgs = [ChatMessage {
                role: "user".into(),
                content: text.into(),
            }];
            self.tokenizer.encode(&apply_chat_template(&msgs, false))
        } else {
            self.tokenizer.encode(text)
        }
    }

    /// Token ids of a chat rendered with Qwen3's template.
    pub fn encode_chat(&self, messages: &[ChatMessage], enable_thinking: bool) -> Result<Vec<u32>> {
        self.tokenizer
            .encode(&apply_chat_template(messages, enable_thinking))
    }

    /// Text of `ids`.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer.decode(ids)
    }

    /// Logits (f32, host, `vocab_size` values) of the last prompt position: one full forward
    /// pass over the prompt without chunking.
    pub fn prompt_logits(&self, prompt: &[u32]) -> Result<Vec<f32>> {
        let ids = self.ids_array(&[prompt.to_vec()], 0, prompt.len())?;
        let mut cache = self.model.new_cache();
        let logits =
            self.model
                .forward(&ids, &mut cache, &AttnInputs::new(prompt.len(), 0, &[0])?)?;
        let l = logits.dim(1);
        let v = logits.dim(2);
        let last = ops::slice(&logits, &[0, l - 1, 0], &[1, l, v])?;
        last.to_f32_vec()
    }

    fn ids_array(&self, padded: &[Vec<u32>], start: usize, end: usize) -> Result<Array> {
        let b = padded.len();
        let l = end - start;
        let mut flat = Vec::with_capacity(b * l);
        let vocab = self.model.config().vocab_size as u32;
        for row in padded {
            for &t in &row[start..end] {
                if t >= vocab {
                    return Err(Error::Invalid(format!(
                        "token id {t} >= vocab_size {vocab}"
                    )));
                }
                flat.push(t as i32);
            }
        }
        Array::from_i32(&flat, &[b as i32, l as i32])
    }

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
        if prompts.is_empty() {
            return Err(Error::Invalid("no prompts".into()));
        }
        if prompts.iter().any(|p| p.is_empty()) {
            return Err(Error::Invalid("empty prompt".into()));
        }
        if opts.max_tokens == 0 {
            return Ok(vec![Vec::new(); prompts.len()]);
        }
        let trace_start = std::time::SystemTime::now();
        let mut host = HostTimes::default();
        let out = self.generate_inner(prompts, opts, on_token, &mut host)?;
        if let Some(path) = &self.options.trace {
            trace_call(path, trace_start, &out, &host);
        }
        Ok(out)
    }

    fn generate_inner(
        &mut self,
        prompts: &[Vec<u32>],
        opts: &GenerateOptions,
        on_token: &mut dyn FnMut(TokenEvent),
        host: &mut HostTimes,
    ) -> Result<Vec<Vec<u32>>> {
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
        // reallocation or copy mid-run) and the compiled step sees one shape throughout.
        let mut cache: Vec<KvCache> = self.model.new_cache_reserved(max_len + opts.max_tokens);
        let use_compiled = self.options.compile;
        let mode = self.options.decode_order;

        // 1. prefill all but the last prompt position, in chunks (as mlx_lm's generate_step)
        let mut pos = 0;
        while pos + 1 < max_len {
            let end = (pos + chunk).min(max_len - 1);
            let ids = self.ids_array(&padded, pos, end)?;
            let inp = AttnInputs::new(end - pos, pos, &pads)?;
            let h = self.model.forward_hidden(&ids, &mut cache, &inp)?;
            let mut st: Vec<&Array> = cache.iter().flat_map(|c| c.state()).collect();
            st.push(&h);
            ops::eval(&st)?;
            pos = end;
        }
        // 2. first token from the last prompt position (allocates the caches if the prompt was
        //    one token), then the decode state for the compiled step
        let last = self.ids_array(&padded, max_len - 1, max_len)?;
        let mut y = self.step(&last, &mut cache, &pads, &mut sampler)?;
        let stamper = match mode {
            DecodeOrder::Thread => {
                let first = Stamper::marker(&y)?;
                ops::async_eval(&[&y, &first])?;
                let s = Stamper::spawn()?;
                s.watch(0, first)?;
                Some(s)
            }
            _ => {
                ops::async_eval(&[&y])?;
                None
            }
        };
        let mut fixed = if use_compiled {
            if self.compiled.is_none() {
                self.compiled = Some(CompiledFn::new(false)?);
            }
            FixedState::take(&mut cache, &pads)?
        } else {
            None
        };

        let eos = self.eos.clone();
        let mut done = vec![false; b];
        let mut deferred: Vec<(usize, Array, Instant)> = Vec::new();
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
            // 3. build the next step's graph while this one computes; `mode` decides whether it
            //    is scheduled before or after this token is waited for (see [`DecodeOrder`]).
            let built_at = Instant::now();
            let next = if step + 1 < opts.max_tokens {
                Some(match (&mut fixed, &mut self.compiled) {
                    (Some(st), Some(c)) => {
                        let logits = st.step(&self.model, c, &y)?;
                        sampler.sample(&logits)?
                    }
                    _ => {
                        let inp = ops::reshape(&y, &[b as i32, 1])?;
                        self.step(&inp, &mut cache, &pads, &mut sampler)?
                    }
                })
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
                list.extend(fixed.as_ref().map(|f| &f.offset));
                let t = Instant::now();
                ops::async_eval(&list)?;
                host.encode_us.push(t.elapsed().as_secs_f64() * 1e6);
                Ok(())
            };
            match mode {
                DecodeOrder::Strict => {
                    let toks = y.read_u32()?;
                    let at = Instant::now();
                    schedule()?;
                    emit(step, &toks, at, &mut done);
                }
                DecodeOrder::Read => {
                    schedule()?;
                    let toks = y.read_u32()?;
                    emit(step, &toks, Instant::now(), &mut done);
                }
                DecodeOrder::Thread => {
                    let st = stamper.as_ref().expect("stamper in thread mode");
                    schedule()?;
                    if let Some(m) = marker {
                        st.watch(step + 1, m)?;
                    }
                    let at = st.stamp(step)?;
                    emit(step, &y.read_u32()?, at, &mut done);
                }
                DecodeOrder::Defer => {
                    schedule()?;
                    y.wait()?;
                    let at = Instant::now();
                    if opts.suppress_eos {
                        // fixed length: no decision needs the ids, read them at the end
                        deferred.push((step, y.clone(), at));
                    } else {
                        emit(step, &y.read_u32()?, at, &mut done);
                    }
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
        for (step, y, at) in deferred {
            emit(step, &y.read_u32()?, at, &mut done);
        }
        Ok(out)
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
