//! The full-attention layer of the hybrids (mlx_lm's `Qwen3NextAttention`): Qwen3's attention
//! (q/k RMSNorm, GQA over the KV cache) with RoPE over the first quarter of each head and an
//! output gate: the q projection yields each head's query and a gate, and the attention output
//! is multiplied by `sigmoid(gate)` before the output projection.

use super::attention::{merge_heads, qk_norm_rope, AttnInputs, AttnWeights};
use super::kv_attention::attend;
use super::linear::Linear;
use super::residual::{BlockIn, BlockOut, RmsNorm};
use super::rope::Rope;
use super::stacked::Stacked;
use crate::cache::KvCache;
use crate::config::Qwen3Config;
use crate::ops::{self, Array, RopeOffset, UnaryOp};
use crate::options::ModelOptions;
use crate::weights::Weights;
use crate::{Error, Result};

/// Gated self-attention with partial RoPE.
#[derive(Debug, Clone)]
pub struct GatedAttention {
    /// q|gate (per head: D query values, then D gate values), k, v.
    qkv_proj: Stacked,
    o_proj: Linear,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    n_heads: i32,
    n_kv_heads: i32,
    head_dim: i32,
    rope: Rope,
    scale: f32,
}

impl GatedAttention {
    /// The layer at prefix `p` (`layers.{n}.self_attn`).
    pub(crate) fn new(
        cfg: &Qwen3Config,
        w: &Weights,
        p: &str,
        opts: &ModelOptions,
    ) -> Result<GatedAttention> {
        let d = cfg.head_dim;
        let (nq, nkv) = (cfg.num_attention_heads, cfg.num_key_value_heads);
        let AttnWeights {
            qkv_proj,
            o_proj,
            q_norm,
            k_norm,
        } = AttnWeights::load(cfg, w, p, 2, opts)?;
        Ok(GatedAttention {
            qkv_proj,
            o_proj,
            q_norm,
            k_norm,
            n_heads: nq as i32,
            n_kv_heads: nkv as i32,
            head_dim: d as i32,
            rope: Rope::new(cfg)?,
            scale: (d as f32).powf(-0.5),
        })
    }

    /// The output projection.
    pub fn o_proj(&self) -> &Linear {
        &self.o_proj
    }

    /// The block on `x.x` (`[B, L, H]`), appending to `cache`.
    pub(crate) fn forward(
        &self,
        x: &BlockIn,
        cache: &mut KvCache,
        inp: &AttnInputs,
    ) -> Result<BlockOut> {
        let fold_into = x.fold_into.as_ref();
        let x = x.x.value()?;
        let (b, l) = (x.dim(0), x.dim(1));
        let (nq, nkv, d) = (self.n_heads, self.n_kv_heads, self.head_dim);
        let [qg, k, v]: [Array; 3] = self
            .qkv_proj
            .forward(&x)?
            .try_into()
            .map_err(|_| Error::Mlx("gated attention: three projections expected".into()))?;
        let qg = ops::reshape(&qg, &[b, l, nq, 2 * d])?;
        let queries = ops::slice(&qg, &[0, 0, 0, 0], &[b, l, nq, d])?;
        let gate = ops::reshape(
            &ops::slice(&qg, &[0, 0, 0, d], &[b, l, nq, 2 * d])?,
            &[b, l, nq * d],
        )?;
        let k = ops::reshape(&k, &[b, l, nkv, d])?;
        let v = ops::transpose(&ops::reshape(&v, &[b, l, nkv, d])?, &[0, 2, 1, 3])?;
        let off = match &inp.rope_offsets {
            Some(a) => RopeOffset::PerRow(a),
            None => RopeOffset::Scalar(cache.offset() as i32),
        };
        let norms = (&self.q_norm.w, &self.k_norm.w);
        let (q, k) = qk_norm_rope(&queries, &k, norms, self.q_norm.eps, &self.rope, off, true)?;
        let o = attend(&q, &k, &v, cache, self.scale, inp)?;
        let gated = ops::mul(
            &merge_heads(&o, b, l)?,
            &ops::unary(UnaryOp::Sigmoid, &gate)?,
        )?;
        self.o_proj.forward_residual(&gated, fold_into)
    }
}
