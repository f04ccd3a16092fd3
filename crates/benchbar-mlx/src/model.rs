//! Qwen3, written once on [`crate::ops`] (candle-style: `new(cfg, weights)` + `forward`).
//!
//! Shapes: B batch, L new tokens, T cached+new tokens, H hidden, Nq/Nkv heads, D head_dim,
//! I intermediate, V vocab.

use crate::attention::FixedInputs;
pub use crate::attention::{Attention, AttnInputs};
use crate::cache::KvCache;
use crate::config::Qwen3Config;
use crate::kernels::Kernel;
pub use crate::linear::{Embedding, Linear};
use crate::ops::{self, Array, Dtype, QuantParams};
use crate::options::ModelOptions;
pub use crate::stacked::Stacked;
pub use crate::stream::RmsNorm;
use crate::stream::{BlockIn, BlockOut, Input, Residual};
use crate::weights::Weights;
use crate::{Error, Result};

/// SwiGLU MLP.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// gate | up projections (one stacked matmul when they can be stacked).
    gate_up_proj: Stacked,
    down_proj: Linear,
    /// SwiGLU compiled into one kernel ([`ModelOptions::fuse`]).
    fuse: bool,
}

impl Mlp {
    /// `[B, L, H] -> [B, L, H]` on `x.x`, or the stream `x.fold_into` plus that where the down
    /// projection folds the add in ([`Linear::forward_residual`]).
    pub(crate) fn forward(&self, x: &BlockIn) -> Result<BlockOut> {
        // one row: the norm, the projection and SwiGLU in one kernel
        let act = match self.gate_up_proj.forward_swiglu(&x.x)? {
            Some(a) => a,
            None => {
                let [g, u]: [Array; 2] = self
                    .gate_up_proj
                    .forward(&x.x.value()?)? // [B, L, I] each
                    .try_into()
                    .map_err(|_| Error::Mlx("gate/up projection: two outputs expected".into()))?;
                crate::fused::swiglu_with(&g, &u, self.fuse)?
            }
        };
        self.down_proj.forward_residual(&act, x.fold_into.as_ref())
    }
}

/// One pre-norm decoder layer.
#[derive(Debug, Clone)]
pub struct DecoderLayer {
    input_layernorm: RmsNorm,
    self_attn: Attention,
    post_attention_layernorm: RmsNorm,
    mlp: Mlp,
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
        stream.take(self.self_attn.forward(&x, cache, inp)?);
        let x = stream.input(&self.post_attention_layernorm)?;
        stream.take(self.mlp.forward(&x)?);
        Ok(())
    }

    /// [`DecoderLayer::forward`] for one position against fixed-capacity caches; returns the
    /// updated caches.
    fn forward_fixed(
        &self,
        stream: &mut Residual,
        kc: &Array,
        vc: &Array,
        offset: &Array,
        inp: &FixedInputs,
    ) -> Result<(Array, Array)> {
        let x = stream.input(&self.input_layernorm)?.x.value()?;
        let (r, kc, vc) = self.self_attn.forward_fixed(&x, kc, vc, offset, inp)?;
        stream.take(BlockOut::Pending(r));
        let x = stream.input(&self.post_attention_layernorm)?;
        stream.take(self.mlp.forward(&x)?);
        Ok((kc, vc))
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
    fused: bool,
    /// The residual adds and RMSNorms folded into the projections around them
    /// ([`Kernel::Fold`]; [`crate::stream`]).
    fold: bool,
}

impl Qwen3 {
    /// Build from a config and its weights (names without the `model.` prefix), with the
    /// kernels and fusion of `opts` (used as given: [`crate::Qwen3Runtime`] gives only kernels
    /// that run here).
    pub fn new(cfg: &Qwen3Config, w: &Weights, opts: &ModelOptions) -> Result<Qwen3> {
        // Expected quantization of every layer (None: infer each layer from its tensor shapes).
        let q = match cfg.quantization {
            Some(q) if !cfg.quantization_per_layer => Some(QuantParams {
                group_size: q.group_size,
                bits: q.bits,
            }),
            _ => None,
        };
        let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
        let ks = opts.kernels;
        let fused = ks.contains(Kernel::AddRmsNorm);
        let fold = ks.contains(Kernel::Fold);
        let embed_tokens = Embedding(Linear::load(w, "embed_tokens", v, h, q, ks)?);
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for n in 0..cfg.num_hidden_layers {
            let p = format!("layers.{n}");
            layers.push(DecoderLayer {
                input_layernorm: RmsNorm::load(
                    w,
                    &format!("{p}.input_layernorm"),
                    h,
                    cfg.rms_norm_eps,
                )?,
                self_attn: Attention::new(cfg, w, &format!("{p}.self_attn"), q, opts)?,
                post_attention_layernorm: RmsNorm::load(
                    w,
                    &format!("{p}.post_attention_layernorm"),
                    h,
                    cfg.rms_norm_eps,
                )?,
                mlp: Mlp {
                    gate_up_proj: Stacked::new(
                        vec![
                            Linear::load(w, &format!("{p}.mlp.gate_proj"), i, h, q, ks)?,
                            Linear::load(w, &format!("{p}.mlp.up_proj"), i, h, q, ks)?,
                        ],
                        opts,
                    )?,
                    down_proj: Linear::load(w, &format!("{p}.mlp.down_proj"), h, i, q, ks)?,
                    fuse: opts.fuse,
                },
            });
        }
        let norm = RmsNorm::load(w, "norm", h, cfg.rms_norm_eps)?;
        let lm_head = if cfg.tie_word_embeddings {
            None
        } else {
            Some(Linear::load(w, "lm_head", v, h, q, ks)?)
        };
        Ok(Qwen3 {
            embed_tokens,
            layers,
            norm,
            lm_head,
            cfg: cfg.clone(),
            fused,
            fold,
        })
    }

    /// The config.
    pub fn config(&self) -> &Qwen3Config {
        &self.cfg
    }

    /// Whether any layer is quantized.
    pub fn is_quantized(&self) -> bool {
        self.embed_tokens.0.is_quantized()
            || self
                .layers
                .first()
                .is_some_and(|l| l.mlp.down_proj.is_quantized())
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

    /// One decode step as a pure function of arrays, for [`crate::compiled::CompiledFn`]:
    /// every shape is fixed for a whole generation, so it is traced once and replayed.
    ///
    /// inputs: `ids [B]` (u32 or i32), `offset [1]` int32 (positions already cached),
    /// `pads [B]` int32 (left padding per row), then per layer `keys, values [B, Nkv, C, D]`
    /// (fixed capacity C > offset). outputs: `logits [B, V]`, `offset + 1 [1]`, then the updated
    /// keys and values per layer. Attention reads all C positions under the mask
    /// `pad[b] <= j <= offset`.
    pub fn decode_fixed(&self, inputs: &[Array]) -> Result<Vec<Array>> {
        let n = self.layers.len();
        if inputs.len() != 3 + 2 * n {
            return Err(Error::Invalid(format!(
                "decode_fixed: {} inputs for {n} layers",
                inputs.len()
            )));
        }
        let (ids, offset, pads) = (&inputs[0], &inputs[1], &inputs[2]);
        let b = ids.dim(0);
        let cap = inputs[3].dim(2);
        let ids = ops::reshape(&ops::astype(ids, Dtype::I32)?, &[b, 1])?;
        let j = ops::reshape(&ops::arange(0, cap)?, &[1, 1, 1, cap])?;
        let upto = ops::binary(
            ops::BinaryOp::LessEqual,
            &j,
            &ops::reshape(offset, &[1, 1, 1, 1])?,
        )?;
        let from = ops::binary(
            ops::BinaryOp::GreaterEqual,
            &j,
            &ops::reshape(pads, &[b, 1, 1, 1])?,
        )?;
        let inp = FixedInputs {
            mask: ops::binary(ops::BinaryOp::LogicalAnd, &upto, &from)?,
            rope_offsets: ops::sub(offset, pads)?,
        };
        let mut stream = self.stream(&ids)?; // [B, 1, H]
        let mut caches = Vec::with_capacity(2 * n);
        for (i, layer) in self.layers.iter().enumerate() {
            let (kc, vc) = layer.forward_fixed(
                &mut stream,
                &inputs[3 + 2 * i],
                &inputs[4 + 2 * i],
                offset,
                &inp,
            )?;
            caches.push(kc);
            caches.push(vc);
        }
        let logits = self.head(&stream.input(&self.norm)?.x)?; // [B, 1, V]
        let v = logits.dim(2);
        let next = ops::add(offset, &Array::scalar(1.0, Dtype::I32)?)?;
        let mut out = vec![ops::reshape(&logits, &[b, v])?, next];
        out.extend(caches);
        Ok(out)
    }

    /// The residual stream at the embeddings of `ids`.
    fn stream(&self, ids: &Array) -> Result<Residual> {
        Ok(Residual::new(
            self.embed_tokens.forward(ids)?,
            self.fused,
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
