//! Qwen3, written once on [`crate::ops`] (candle-style: `new(cfg, weights)` + `forward`).
//!
//! Shapes: B batch, L new tokens, T cached+new tokens, H hidden, Nq/Nkv heads, D head_dim,
//! I intermediate, V vocab.

use crate::cache::KvCache;
use crate::config::Qwen3Config;
pub use crate::linear::{Embedding, Linear, Stacked};
use crate::ops::{self, Array, Dtype, MaskKind, QuantParams, RopeOffset};
use crate::weights::Weights;
use crate::{Error, Result};

/// RMSNorm with a learned scale.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    w: Array,
    eps: f32,
}

impl RmsNorm {
    fn load(w: &Weights, name: &str, dim: usize, eps: f64) -> Result<RmsNorm> {
        Ok(RmsNorm {
            w: w.get(&format!("{name}.weight"), Some(&[dim as i32]))?,
            eps: eps as f32,
        })
    }
    /// Normalise the last axis.
    pub fn forward(&self, x: &Array) -> Result<Array> {
        ops::rms_norm(x, Some(&self.w), self.eps)
    }
}

/// Masking/positions for one forward call.
#[derive(Debug, Clone)]
pub struct AttnInputs {
    /// Mask kind for the SDPA kernel.
    pub mask_kind: MaskKind,
    /// Bool `[B, 1, L, T]` when `mask_kind == Array`.
    pub mask: Option<Array>,
    /// Per-row RoPE start positions `[B]` (left padding) or `None` for the cache offset.
    pub rope_offsets: Option<Array>,
}

impl AttnInputs {
    /// Inputs for `l` new tokens after `offset` cached ones; `pads` = left padding per row.
    pub fn new(l: usize, offset: usize, pads: &[usize]) -> Result<AttnInputs> {
        if pads.iter().all(|&p| p == 0) {
            let mask_kind = if l > 1 {
                MaskKind::Causal
            } else {
                MaskKind::None
            };
            return Ok(AttnInputs {
                mask_kind,
                mask: None,
                rope_offsets: None,
            });
        }
        let b = pads.len() as i32;
        let (l, offset) = (l as i32, offset as i32);
        let t = offset + l;
        // mask[b, 0, i, j] = j <= offset + i  &&  j >= pad[b]
        let rinds = ops::reshape(&ops::arange(0, t)?, &[1, 1, 1, t])?;
        let linds = ops::reshape(&ops::arange(offset, t)?, &[1, 1, l, 1])?;
        let pads_i: Vec<i32> = pads.iter().map(|&p| p as i32).collect();
        let pad_arr = Array::from_i32(&pads_i, &[b, 1, 1, 1])?;
        let causal = ops::binary(ops::BinaryOp::GreaterEqual, &linds, &rinds)?;
        let valid = ops::binary(ops::BinaryOp::LessEqual, &pad_arr, &rinds)?;
        let mask = ops::binary(ops::BinaryOp::LogicalAnd, &causal, &valid)?;
        let offs: Vec<i32> = pads.iter().map(|&p| offset - p as i32).collect();
        Ok(AttnInputs {
            mask_kind: MaskKind::Array,
            mask: Some(mask),
            rope_offsets: Some(Array::from_i32(&offs, &[b])?),
        })
    }
}

/// Self-attention with q/k RMSNorm, RoPE, GQA and a KV cache.
#[derive(Debug, Clone)]
pub struct Attention {
    /// q | k | v projections (one stacked matmul when they can be stacked).
    qkv_proj: Stacked,
    o_proj: Linear,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    n_heads: i32,
    head_dim: i32,
    rope_theta: f32,
    scale: f32,
}

impl Attention {
    fn new(cfg: &Qwen3Config, w: &Weights, p: &str, q: Option<QuantParams>) -> Result<Attention> {
        let (h, d) = (cfg.hidden_size, cfg.head_dim);
        let (nq, nkv) = (cfg.num_attention_heads, cfg.num_key_value_heads);
        Ok(Attention {
            qkv_proj: Stacked::new(vec![
                Linear::load(w, &format!("{p}.q_proj"), nq * d, h, q)?,
                Linear::load(w, &format!("{p}.k_proj"), nkv * d, h, q)?,
                Linear::load(w, &format!("{p}.v_proj"), nkv * d, h, q)?,
            ])?,
            o_proj: Linear::load(w, &format!("{p}.o_proj"), h, nq * d, q)?,
            q_norm: RmsNorm::load(w, &format!("{p}.q_norm"), d, cfg.rms_norm_eps)?,
            k_norm: RmsNorm::load(w, &format!("{p}.k_norm"), d, cfg.rms_norm_eps)?,
            n_heads: nq as i32,
            head_dim: d as i32,
            rope_theta: cfg.rope_theta as f32,
            scale: (d as f32).powf(-0.5),
        })
    }

    /// Projections, q/k norms and RoPE: `x [B, L, H]` -> q `[B, Nq, L, D]`, k/v `[B, Nkv, L, D]`.
    fn qkv(&self, x: &Array, off: RopeOffset<'_>) -> Result<(Array, Array, Array)> {
        let d = self.head_dim;
        // 1. projections: [B, L, N, D] each -> norm -> [B, N, L, D]
        let [q, k, v]: [Array; 3] = self
            .qkv_proj
            .forward_heads(x, d)?
            .try_into()
            .map_err(|_| Error::Mlx("q/k/v projection: three outputs expected".into()))?;
        let q = ops::transpose(&self.q_norm.forward(&q)?, &[0, 2, 1, 3])?;
        let k = ops::transpose(&self.k_norm.forward(&k)?, &[0, 2, 1, 3])?;
        let v = ops::transpose(&v, &[0, 2, 1, 3])?;
        // 2. RoPE at the cache position (per row when left padded)
        let q = ops::rope(&q, d, false, self.rope_theta, 1.0, off)?;
        let k = ops::rope(&k, d, false, self.rope_theta, 1.0, off)?;
        Ok((q, k, v))
    }

    /// Attention output `[B, Nq, L, D]` -> `[B, L, H]`.
    fn out(&self, o: &Array, b: i32, l: i32) -> Result<Array> {
        let o = ops::reshape(
            &ops::transpose(o, &[0, 2, 1, 3])?,
            &[b, l, self.n_heads * self.head_dim],
        )?;
        self.o_proj.forward(&o)
    }

    /// One decode position against a fixed-capacity cache (see [`Qwen3::decode_fixed`]):
    /// `x [B, 1, H]`, caches `[B, Nkv, C, D]` -> (`[B, 1, H]`, updated caches).
    fn forward_fixed(
        &self,
        x: &Array,
        kc: &Array,
        vc: &Array,
        offset: &Array,
        inp: &FixedInputs,
    ) -> Result<(Array, Array, Array)> {
        let (b, l) = (x.dim(0), x.dim(1));
        let (q, k, v) = self.qkv(x, RopeOffset::PerRow(&inp.rope_offsets))?;
        let kc = ops::slice_update_dynamic(kc, &k, offset, &[2])?;
        let vc = ops::slice_update_dynamic(vc, &v, offset, &[2])?;
        let o = ops::scaled_dot_product_attention(
            &q,
            &kc,
            &vc,
            self.scale,
            MaskKind::Array,
            Some(&inp.mask),
        )?;
        Ok((self.out(&o, b, l)?, kc, vc))
    }

    /// `x [B, L, H] -> [B, L, H]`
    pub fn forward(&self, x: &Array, cache: &mut KvCache, inp: &AttnInputs) -> Result<Array> {
        let (b, l) = (x.dim(0), x.dim(1));
        let off = match &inp.rope_offsets {
            Some(a) => RopeOffset::PerRow(a),
            None => RopeOffset::Scalar(cache.offset() as i32),
        };
        let (q, k, v) = self.qkv(x, off)?;
        // 3. cache: [B, Nkv, T, D]
        let (k, v) = cache.update_and_fetch(&k, &v)?;
        // 4. fused attention (GQA): [B, Nq, L, D] -> [B, L, Nq*D]
        let o = ops::scaled_dot_product_attention(
            &q,
            &k,
            &v,
            self.scale,
            inp.mask_kind,
            inp.mask.as_ref(),
        )?;
        self.out(&o, b, l)
    }
}

/// SwiGLU MLP.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// gate | up projections (one stacked matmul when they can be stacked).
    gate_up_proj: Stacked,
    down_proj: Linear,
}

impl Mlp {
    /// `[B, L, H] -> [B, L, H]`
    pub fn forward(&self, x: &Array) -> Result<Array> {
        let [g, u]: [Array; 2] = self
            .gate_up_proj
            .forward(x)? // [B, L, I] each
            .try_into()
            .map_err(|_| Error::Mlx("gate/up projection: two outputs expected".into()))?;
        self.down_proj.forward(&crate::fused::swiglu(&g, &u)?)
    }
}

/// Positions and mask of a fixed-capacity decode step (built on the device from its inputs).
struct FixedInputs {
    /// Bool `[B, 1, 1, C]`: `pad[b] <= j <= offset`.
    mask: Array,
    /// int32 `[B]`: `offset - pad[b]`.
    rope_offsets: Array,
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
    /// `[B, L, H] -> [B, L, H]`
    pub fn forward(&self, x: &Array, cache: &mut KvCache, inp: &AttnInputs) -> Result<Array> {
        let r = self
            .self_attn
            .forward(&self.input_layernorm.forward(x)?, cache, inp)?;
        let h = ops::add(x, &r)?;
        let r = self
            .mlp
            .forward(&self.post_attention_layernorm.forward(&h)?)?;
        ops::add(&h, &r)
    }

    /// [`DecoderLayer::forward`] for one position against fixed-capacity caches.
    fn forward_fixed(
        &self,
        x: &Array,
        kc: &Array,
        vc: &Array,
        offset: &Array,
        inp: &FixedInputs,
    ) -> Result<(Array, Array, Array)> {
        let (r, kc, vc) =
            self.self_attn
                .forward_fixed(&self.input_layernorm.forward(x)?, kc, vc, offset, inp)?;
        let h = ops::add(x, &r)?;
        let r = self
            .mlp
            .forward(&self.post_attention_layernorm.forward(&h)?)?;
        Ok((ops::add(&h, &r)?, kc, vc))
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
}

impl Qwen3 {
    /// Build from a config and its weights (names without the `model.` prefix).
    pub fn new(cfg: &Qwen3Config, w: &Weights) -> Result<Qwen3> {
        // Expected quantization of every layer (None: infer each layer from its tensor shapes).
        let q = match cfg.quantization {
            Some(q) if !cfg.quantization_per_layer => Some(QuantParams {
                group_size: q.group_size,
                bits: q.bits,
            }),
            _ => None,
        };
        let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
        let embed_tokens = Embedding(Linear::load(w, "embed_tokens", v, h, q)?);
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
                self_attn: Attention::new(cfg, w, &format!("{p}.self_attn"), q)?,
                post_attention_layernorm: RmsNorm::load(
                    w,
                    &format!("{p}.post_attention_layernorm"),
                    h,
                    cfg.rms_norm_eps,
                )?,
                mlp: Mlp {
                    gate_up_proj: Stacked::new(vec![
                        Linear::load(w, &format!("{p}.mlp.gate_proj"), i, h, q)?,
                        Linear::load(w, &format!("{p}.mlp.up_proj"), i, h, q)?,
                    ])?,
                    down_proj: Linear::load(w, &format!("{p}.mlp.down_proj"), h, i, q)?,
                },
            });
        }
        let norm = RmsNorm::load(w, "norm", h, cfg.rms_norm_eps)?;
        let lm_head = if cfg.tie_word_embeddings {
            None
        } else {
            Some(Linear::load(w, "lm_head", v, h, q)?)
        };
        Ok(Qwen3 {
            embed_tokens,
            layers,
            norm,
            lm_head,
            cfg: cfg.clone(),
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
        let mut h = self.embed_tokens.forward(&ids)?; // [B, 1, H]
        let mut caches = Vec::with_capacity(2 * n);
        for (i, layer) in self.layers.iter().enumerate() {
            let (out, kc, vc) =
                layer.forward_fixed(&h, &inputs[3 + 2 * i], &inputs[4 + 2 * i], offset, &inp)?;
            h = out;
            caches.push(kc);
            caches.push(vc);
        }
        let logits = self.logits(&self.norm.forward(&h)?)?; // [B, 1, V]
        let v = logits.dim(2);
        let next = ops::add(offset, &Array::scalar(1.0, Dtype::I32)?)?;
        let mut out = vec![ops::reshape(&logits, &[b, v])?, next];
        out.extend(caches);
        Ok(out)
    }

    /// Final hidden states: `ids [B, L] int32 -> [B, L, H]`, appending to `cache`.
    pub fn forward_hidden(
        &self,
        ids: &Array,
        cache: &mut [KvCache],
        inp: &AttnInputs,
    ) -> Result<Array> {
        if cache.len() != self.layers.len() {
            return Err(Error::Invalid(format!(
                "{} caches for {} layers",
                cache.len(),
                self.layers.len()
            )));
        }
        let mut h = self.embed_tokens.forward(ids)?; // [B, L, H]
        for (layer, c) in self.layers.iter().zip(cache.iter_mut()) {
            h = layer.forward(&h, c, inp)?;
        }
        self.norm.forward(&h)
    }

    /// Output head: `[.., H] -> [.., V]`.
    pub fn logits(&self, h: &Array) -> Result<Array> {
        match &self.lm_head {
            Some(head) => head.forward(h),
            None => self.embed_tokens.as_linear(h),
        }
    }

    /// Logits for every position: `ids [B, L] -> [B, L, V]`.
    pub fn forward(&self, ids: &Array, cache: &mut [KvCache], inp: &AttnInputs) -> Result<Array> {
        let h = self.forward_hidden(ids, cache, inp)?;
        self.logits(&h)
    }
}
