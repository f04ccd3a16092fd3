//! The Qwen3 family, written once on [`crate::ops`] and [`crate::nn`] (candle-style:
//! `new(cfg, weights)` + `forward`): Qwen3, Qwen3-MoE (`qwen3_moe`: a mixture-of-experts MLP in
//! the layers the config names), and the hybrids (`qwen3_next`, `qwen3_5`, `qwen3_5_moe`:
//! Gated DeltaNet layers with a gated full-attention layer every `full_attention_interval`, a
//! dense MLP or experts with a shared expert).
//!
//! Shapes: B batch, L new tokens, T cached+new tokens, H hidden, Nq/Nkv heads, D head_dim,
//! I intermediate, V vocab.

use crate::cache::KvCache;
use crate::config::Qwen3Config;
use crate::fast::Kernels;
use crate::nn::{
    Attention, AttnInputs, BlockIn, BlockOut, Embedding, GatedAttention, GatedDeltaNet, Input,
    Linear, Mlp, Residual, RmsNorm, SparseMoe,
};
use crate::ops::Array;
use crate::options::{Kernel, ModelOptions};
use crate::weights::Weights;
use crate::{Error, Result};

/// A layer's MLP: dense, or a mixture of experts (`qwen3_moe`).
#[derive(Debug, Clone)]
pub enum FeedForward {
    /// SwiGLU MLP.
    Dense(Mlp),
    /// Routed experts.
    Experts(Box<SparseMoe>),
}

impl FeedForward {
    fn forward(&self, x: &BlockIn) -> Result<BlockOut> {
        match self {
            FeedForward::Dense(mlp) => mlp.forward(x),
            FeedForward::Experts(moe) => Ok(BlockOut::Pending(moe.forward(&x.x.value()?)?)),
        }
    }
}

/// A layer's token mixer.
#[derive(Debug, Clone)]
pub enum Mixer {
    /// Qwen3's self-attention.
    Attention(Attention),
    /// The hybrids' gated full attention.
    Gated(GatedAttention),
    /// The hybrids' Gated DeltaNet (linear attention).
    Linear(GatedDeltaNet),
}

impl Mixer {
    /// The layer at index `n` of `cfg`.
    fn new(cfg: &Qwen3Config, w: &Weights, n: usize, opts: &ModelOptions) -> Result<Mixer> {
        let p = format!("layers.{n}");
        Ok(if cfg.is_linear_layer(n) {
            Mixer::Linear(GatedDeltaNet::new(
                cfg,
                w,
                &format!("{p}.linear_attn"),
                opts,
            )?)
        } else if cfg.is_hybrid() {
            Mixer::Gated(GatedAttention::new(
                cfg,
                w,
                &format!("{p}.self_attn"),
                opts,
            )?)
        } else {
            Mixer::Attention(Attention::new(cfg, w, &format!("{p}.self_attn"), opts)?)
        })
    }

    fn forward(&self, x: &BlockIn, cache: &mut KvCache, inp: &AttnInputs) -> Result<BlockOut> {
        match self {
            Mixer::Attention(a) => a.forward(x, cache, inp),
            Mixer::Gated(a) => a.forward(x, cache, inp),
            Mixer::Linear(a) => a.forward(x, cache, inp),
        }
    }
}

/// One pre-norm decoder layer.
#[derive(Debug, Clone)]
pub struct DecoderLayer {
    input_layernorm: RmsNorm,
    mixer: Mixer,
    post_attention_layernorm: RmsNorm,
    mlp: FeedForward,
}

impl DecoderLayer {
    /// One layer on the residual stream.
    pub(crate) fn forward(
        &self,
        stream: &mut Residual,
        cache: &mut KvCache,
        inp: &AttnInputs,
    ) -> Result<()> {
        let x = stream.input(&self.input_layernorm)?;
        stream.take(self.mixer.forward(&x, cache, inp)?);
        let x = stream.input(&self.post_attention_layernorm)?;
        stream.take(self.mlp.forward(&x)?);
        Ok(())
    }
}

/// The Qwen3 causal LM.
#[derive(Debug, Clone)]
pub struct Qwen3 {
    embed_tokens: Embedding,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    lm_head: Option<Linear>,
    cfg: Qwen3Config,
    /// Residual add + RMSNorm in BenchBar's one kernel ([`Kernel::AddRmsNorm`]).
    add_norm_kernel: Option<Kernels>,
    /// The residual adds and RMSNorms folded into the projections around them
    /// ([`Kernel::Fold`]; the residual stream of [`crate::nn`]).
    fold: bool,
}

impl Qwen3 {
    /// Build from a config and its weights (names without the `model.` prefix), with the
    /// kernels and fusion of `opts` (used as given: [`crate::Qwen3Runtime`] gives only kernels
    /// that run here).
    pub fn new(cfg: &Qwen3Config, w: &Weights, opts: &ModelOptions) -> Result<Qwen3> {
        let w = &*super::hybrid::convert_checkpoint(cfg, w)?;
        let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
        // Each projection with what config.json says of its quantization.
        let linear = |name: &str, out: usize, inp: usize| {
            Linear::load(w, name, out, inp, cfg.layer_quant(name), opts)
        };
        let embed_tokens = Embedding(linear("embed_tokens", v, h)?);
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for n in 0..cfg.num_hidden_layers {
            let p = format!("layers.{n}");
            let norm = |name: &str| RmsNorm::load(w, &format!("{p}.{name}"), h, cfg.rms_norm_eps);
            layers.push(DecoderLayer {
                input_layernorm: norm("input_layernorm")?,
                mixer: Mixer::new(cfg, w, n, opts)?,
                post_attention_layernorm: norm("post_attention_layernorm")?,
                mlp: if cfg.is_moe_layer(n) {
                    FeedForward::Experts(Box::new(SparseMoe::new(
                        cfg,
                        w,
                        &format!("{p}.mlp"),
                        opts,
                    )?))
                } else {
                    FeedForward::Dense(Mlp::load(cfg, w, &format!("{p}.mlp"), i, opts)?)
                },
            });
        }
        let norm = RmsNorm::load(w, "norm", h, cfg.rms_norm_eps)?;
        let lm_head = if cfg.tie_word_embeddings {
            None
        } else {
            Some(linear("lm_head", v, h)?)
        };
        Ok(Qwen3 {
            embed_tokens,
            layers,
            norm,
            lm_head,
            cfg: cfg.clone(),
            add_norm_kernel: opts.kernel(Kernel::AddRmsNorm),
            fold: opts.kernels.contains(Kernel::Fold),
        })
    }

    /// The config.
    pub fn config(&self) -> &Qwen3Config {
        &self.cfg
    }

    /// Whether any layer is quantized (the embeddings or the first attention layer's output
    /// projection).
    pub fn is_quantized(&self) -> bool {
        self.embed_tokens.0.is_quantized()
            || self.layers.iter().find_map(|l| match &l.mixer {
                Mixer::Attention(a) => Some(a.o_proj().is_quantized()),
                Mixer::Gated(a) => Some(a.o_proj().is_quantized()),
                Mixer::Linear(_) => None,
            }) == Some(true)
    }

    /// Fresh per-layer caches.
    pub fn new_cache(&self) -> Vec<KvCache> {
        (0..self.layers.len()).map(|_| KvCache::new()).collect()
    }

    /// Fresh per-layer caches that allocate room for `positions` at their first write.
    pub fn new_cache_reserved(&self, positions: usize) -> Vec<KvCache> {
        (0..self.layers.len())
            .map(|_| KvCache::with_reserve(positions))
            .collect()
    }

    /// The residual stream at the embeddings of `ids`.
    fn stream(&self, ids: &Array) -> Result<Residual> {
        Ok(Residual::new(
            self.embed_tokens.forward(ids)?,
            self.add_norm_kernel,
            self.fold,
        ))
    }

    /// Every layer on the stream of `ids [B, L]`, appending to `cache`: the input of the final
    /// norm.
    fn run_layers(&self, ids: &Array, cache: &mut [KvCache], inp: &AttnInputs) -> Result<Residual> {
        if cache.len() != self.layers.len() {
            return Err(Error::Invalid(format!(
                "{} caches for {} layers",
                cache.len(),
                self.layers.len()
            )));
        }
        let mut stream = self.stream(ids)?; // [B, L, H]
        for (layer, c) in self.layers.iter().zip(cache.iter_mut()) {
            layer.forward(&mut stream, c, inp)?;
        }
        Ok(stream)
    }

    /// Final hidden states: `ids [B, L] int32 -> [B, L, H]`, appending to `cache`.
    pub fn forward_hidden(
        &self,
        ids: &Array,
        cache: &mut [KvCache],
        inp: &AttnInputs,
    ) -> Result<Array> {
        self.run_layers(ids, cache, inp)?
            .input(&self.norm)?
            .x
            .value()
    }

    /// Output head: `[.., H] -> [.., V]`.
    pub fn logits(&self, h: &Array) -> Result<Array> {
        self.head(&Input::Plain(h.clone()))
    }

    /// The output head of the final norm's input (the norm folded into the head's kernel where
    /// it runs).
    fn head(&self, x: &Input) -> Result<Array> {
        match &self.lm_head {
            Some(head) => head.forward_in(x),
            None => self.embed_tokens.0.forward_in(x),
        }
    }

    /// Logits for every position: `ids [B, L] -> [B, L, V]`.
    pub fn forward(&self, ids: &Array, cache: &mut [KvCache], inp: &AttnInputs) -> Result<Array> {
        let x = self.run_layers(ids, cache, inp)?.input(&self.norm)?.x;
        self.head(&x)
    }
}
