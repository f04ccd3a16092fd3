//! [`Qwen3Runtime`]: load a checkpoint directory, tokenize, and generate with per-token events.

use crate::cache::KvQuant;
use crate::config::{ids_of, Qwen3Config};
use crate::info::ModelInfo;
use crate::models::Qwen3;
use crate::nn::AttnInputs;
use crate::ops::{self, Array};
use crate::options::EngineOptions;
use crate::sampler::Sampling;
use crate::tokenizer::{apply_chat_template, ChatMessage, Tokenizer, ENDOFTEXT, IM_END};
use crate::weights::Weights;
use crate::{Error, Result};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

mod context;
mod generate;

pub use context::{kv_cache_bytes, Context};

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
    /// Quantize the KV cache ([`KvQuant`]); `None`: keys and values stay in the model's dtype.
    #[serde(default)]
    pub kv_quant: Option<KvQuant>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            max_tokens: 128,
            sampling: Sampling::greedy(),
            suppress_eos: false,
            prefill_chunk: 2048,
            kv_quant: None,
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

/// EOS ids: config.json's, generation_config.json's, and `<|im_end|>` and `<|endoftext|>` where
/// the tokenizer has them at their Qwen3 ids; sorted, without repeats.
fn eos_ids(dir: &Path, cfg: &Qwen3Config, tokenizer: &Tokenizer) -> Result<Vec<u32>> {
    let mut eos = cfg.eos_ids();
    let gen = dir.join("generation_config.json");
    if let Ok(text) = std::fs::read_to_string(&gen) {
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::file(&gen, format!("malformed JSON: {e}")))?;
        eos.extend(ids_of(v.get("eos_token_id")));
    }
    for (id, name) in [(IM_END, "<|im_end|>"), (ENDOFTEXT, "<|endoftext|>")] {
        if tokenizer.token_to_id(name) == Some(id) {
            eos.push(id);
        }
    }
    eos.sort_unstable();
    eos.dedup();
    Ok(eos)
}

/// A loaded Qwen3 model + tokenizer, ready to generate.
pub struct Qwen3Runtime {
    model: Qwen3,
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

    /// [`Qwen3Runtime::load`] with `options`: the kernels (narrowed to those that run here:
    /// the CUDA plug-in's self-checked kernels on MLX CUDA, none elsewhere) and fusion build the
    /// model; the decode order, compilation and
    /// trace apply to every [`Qwen3Runtime::generate`].
    pub fn load_with(dir: &Path, options: &EngineOptions) -> Result<Qwen3Runtime> {
        Qwen3Runtime::load_cancellable(dir, options, &AtomicBool::new(false))
    }

    /// [`Qwen3Runtime::load_with`] that gives up with [`Error::Cancelled`] once `cancel` is
    /// set: the weights are read in groups with a look at the flag between them.
    pub fn load_cancellable(
        dir: &Path,
        options: &EngineOptions,
        cancel: &AtomicBool,
    ) -> Result<Qwen3Runtime> {
        // Every message below names files by absolute path.
        let dir = &std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !dir.is_dir() {
            return Err(Error::file(dir, "not a directory"));
        }
        let cfg = Qwen3Config::from_dir(dir)?;
        if let Some(kv) = options.kv_quant {
            if let Some(why) = kv.params().unsupported() {
                return Err(Error::Invalid(format!("KV-cache quantization: {why}")));
            }
            if !cfg.head_dim.is_multiple_of(kv.group_size as usize) {
                return Err(Error::Invalid(format!(
                    "KV-cache quantization in groups of {} needs heads whose size it divides; \
                     this model's heads have {} (config.json: head_dim)",
                    kv.group_size, cfg.head_dim
                )));
            }
        }
        let tokenizer = Tokenizer::from_dir(dir, cfg.vocab_size)?;
        let info = ModelInfo::from_dir(dir)?;
        let w = Weights::load(dir)?;
        w.materialize(cancel)?;
        #[cfg(target_os = "linux")]
        let (kernels, fast) = crate::cuda::open(options.kernels);
        #[cfg(not(target_os = "linux"))]
        let (kernels, fast) = (crate::KernelSet::NONE, None);
        let model = Qwen3::new(&cfg, &w, &options.model(kernels, fast))?;
        drop(w);
        let eos = eos_ids(dir, &cfg, &tokenizer)?;
        let rt = Qwen3Runtime {
            model,
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
}
