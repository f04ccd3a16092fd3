//! Qwen3 self-attention: q/k/v projections, q/k RMSNorm, RoPE, GQA attention over the KV
//! cache, output projection. At batch-1 decode, where the model has BenchBar's kernels
//! ([`crate::fast`]), the q/k norms and RoPE with the cache write, and the attention over the
//! cache, run as two of them instead of MLX's ops.

use super::kv_attention::attend;
use super::linear::Linear;
use super::residual::{BlockIn, BlockOut, Input, RmsNorm};
use super::rope::Rope;
use super::stacked::Stacked;
use crate::cache::KvCache;
use crate::config::Qwen3Config;
use crate::fast::Kernels;
use crate::ops::{self, Array, MaskKind, RopeOffset};
use crate::options::{Kernel, ModelOptions};
use crate::weights::Weights;
use crate::{Error, Result};

/// Masking/positions for one forward call.
#[derive(Debug, Clone)]
pub struct AttnInputs {
    /// Mask kind for the SDPA kernel.
    pub mask_kind: MaskKind,
    /// Bool `[B, 1, L, T]` when `mask_kind == Array`.
    pub mask: Option<Array>,
    /// Per-row RoPE start positions `[B]` (left padding) or `None` for the cache offset.
    pub rope_offsets: Option<Array>,
    /// Bool `[B, L]`: which new positions are tokens (false: left padding), for the Gated
    /// DeltaNet layers; `None` when all are.
    pub ssm_mask: Option<Array>,
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
                ssm_mask: None,
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
        // ssm_mask[b, i] = offset + i >= pad[b], where some position is padding
        let ssm_mask = if pads.iter().any(|&p| p as i32 > offset) {
            let pos = ops::reshape(&ops::arange(offset, t)?, &[1, l])?;
            let pad_col = Array::from_i32(&pads_i, &[b, 1])?;
            Some(ops::binary(ops::BinaryOp::GreaterEqual, &pos, &pad_col)?)
        } else {
            None
        };
        Ok(AttnInputs {
            mask_kind: MaskKind::Array,
            mask: Some(mask),
            rope_offsets: Some(Array::from_i32(&offs, &[b])?),
            ssm_mask,
        })
    }
}

/// An attention layer's projections and q/k norms, as the checkpoint names them under `p`.
pub(crate) struct AttnWeights {
    /// q | k | v (one stacked matmul when they can be stacked).
    pub(crate) qkv_proj: Stacked,
    pub(crate) o_proj: Linear,
    pub(crate) q_norm: RmsNorm,
    pub(crate) k_norm: RmsNorm,
}

impl AttnWeights {
    /// The layer at `p`; the q projection yields `q_parts` values per head and position (the
    /// hybrids' gated attention: 2, query and gate).
    pub(crate) fn load(
        cfg: &Qwen3Config,
        w: &Weights,
        p: &str,
        q_parts: usize,
        opts: &ModelOptions,
    ) -> Result<AttnWeights> {
        let (h, d) = (cfg.hidden_size, cfg.head_dim);
        let (nq, nkv) = (cfg.num_attention_heads, cfg.num_key_value_heads);
        let linear = |name: &str, out: usize, inp: usize| {
            let name = format!("{p}.{name}");
            Linear::load(w, &name, out, inp, cfg.layer_quant(&name), opts)
        };
        Ok(AttnWeights {
            qkv_proj: Stacked::new(
                vec![
                    linear("q_proj", q_parts * nq * d, h)?,
                    linear("k_proj", nkv * d, h)?,
                    linear("v_proj", nkv * d, h)?,
                ],
                opts,
            )?,
            o_proj: linear("o_proj", h, nq * d)?,
            q_norm: RmsNorm::load(w, &format!("{p}.q_norm"), d, cfg.rms_norm_eps)?,
            k_norm: RmsNorm::load(w, &format!("{p}.k_norm"), d, cfg.rms_norm_eps)?,
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
    rope: Rope,
    scale: f32,
    /// BenchBar's q/k norm + RoPE + cache-write kernel, where it runs for this model
    /// ([`Kernel::QkNormRope`]).
    qk_kernel: Option<Kernels>,
    /// Scratch of BenchBar's attention kernel, where it runs after that one
    /// ([`Kernel::Attention`]).
    attn_scratch: Option<(Array, Array)>,
}

impl Attention {
    pub(crate) fn new(
        cfg: &Qwen3Config,
        w: &Weights,
        p: &str,
        opts: &ModelOptions,
    ) -> Result<Attention> {
        let d = cfg.head_dim;
        let (nq, nkv) = (cfg.num_attention_heads, cfg.num_key_value_heads);
        let rope = Rope::new(cfg)?;
        // The kernel computes plain RoPE (no scaled variants).
        let qk_kernel = opts
            .kernel(Kernel::QkNormRope)
            .filter(|_| rope.is_plain() && cfg.rotary_dims() == d);
        // The attention kernel handles 1, 2, 4 or 8 q heads per kv head.
        let attn_kernel = opts
            .kernel(Kernel::Attention)
            .filter(|_| qk_kernel.is_some() && nq % nkv == 0 && matches!(nq / nkv, 1 | 2 | 4 | 8));
        let AttnWeights {
            qkv_proj,
            o_proj,
            q_norm,
            k_norm,
        } = AttnWeights::load(cfg, w, p, 1, opts)?;
        Ok(Attention {
            qkv_proj,
            o_proj,
            q_norm,
            k_norm,
            n_heads: nq as i32,
            head_dim: d as i32,
            rope,
            scale: (d as f32).powf(-0.5),
            qk_kernel,
            attn_scratch: match attn_kernel {
                Some(k) => Some(k.attention_scratch((nq as i32, nkv as i32, d as i32))?),
                None => None,
            },
        })
    }

    /// The output projection.
    pub fn o_proj(&self) -> &Linear {
        &self.o_proj
    }

    /// Projections, q/k norms and RoPE: `x [B, L, H]` -> q `[B, Nq, L, D]`, k/v `[B, Nkv, L, D]`.
    fn qkv(&self, x: &Array, off: RopeOffset<'_>) -> Result<(Array, Array, Array)> {
        let d = self.head_dim;
        // 1. projections: [B, L, N, D] each, or at one position [B, N, 1, D] (the same memory:
        //    three transposes fewer per layer in the decode step's graph)
        let one_position = x.dim(1) == 1;
        let [q, k, v]: [Array; 3] = self
            .qkv_proj
            .forward_heads(x, d, one_position)?
            .try_into()
            .map_err(|_| Error::Mlx("q/k/v projection: three outputs expected".into()))?;
        // 2. q/k norms, [B, N, L, D], RoPE at the cache position (per row when left padded)
        let norms = (&self.q_norm.w, &self.k_norm.w);
        let eps = self.q_norm.eps;
        if one_position {
            let (q, k) = qk_norm_rope(&q, &k, norms, eps, &self.rope, off, false)?;
            return Ok((q, k, v));
        }
        let (q, k) = qk_norm_rope(&q, &k, norms, eps, &self.rope, off, true)?;
        Ok((q, k, ops::transpose(&v, &[0, 2, 1, 3])?))
    }

    /// One decode position through BenchBar's kernels: the stacked projection, then q/k norms
    /// and RoPE in one kernel that also writes k and v into the cache in place
    /// ([`crate::fast::FastKernels::qk_norm_rope_kv`]), then the attention over the cache in one
    /// kernel ([`crate::fast::FastKernels::attention_decode`]) where it runs, else MLX's. Returns the attention output
    /// `[1, 1, Nq · D]` (before the output projection); `None` where the kernels do not apply
    /// (not enabled, more than one row or position, per-row offsets, a head size they lack,
    /// separate projections, a cache without room): the caller runs MLX's ops.
    fn kernel_step(
        &self,
        x: &Input,
        cache: &mut KvCache,
        off: RopeOffset<'_>,
    ) -> Result<Option<Array>> {
        let RopeOffset::Scalar(pos) = off else {
            return Ok(None);
        };
        let Some(kernels) = self.qk_kernel else {
            return Ok(None);
        };
        if !x.one_row() || !matches!(self.head_dim, 64 | 128 | 256) {
            return Ok(None);
        }
        let Some((kc, vc)) = cache.room_for_one() else {
            return Ok(None);
        };
        let Some(y) = self.qkv_proj.forward_stacked(x)? else {
            return Ok(None);
        };
        let q = kernels.qk_norm_rope_kv(
            &y,
            (&self.q_norm.w, &self.k_norm.w),
            (kc, vc),
            pos,
            (self.rope.base().log2(), self.q_norm.eps),
            (self.n_heads, self.head_dim),
        )?;
        let covered = pos < kernels.attention_positions();
        if let (Some((part, tickets)), true) = (&self.attn_scratch, covered) {
            let o = kernels.attention_decode(&q, (kc, vc), (part, tickets), pos + 1, self.scale)?;
            cache.advance()?;
            return Ok(Some(o));
        }
        let (k, v) = cache.advance_one()?;
        let o = ops::scaled_dot_product_attention(&q, &k, &v, self.scale, MaskKind::None, None)?;
        Ok(Some(ops::reshape(
            &o,
            &[1, 1, self.n_heads * self.head_dim],
        )?))
    }

    /// The block on `x.x` (`[B, L, H]`): its output `[B, L, H]`, or the stream `x.fold_into`
    /// plus it.
    pub(crate) fn forward(
        &self,
        x: &BlockIn,
        cache: &mut KvCache,
        inp: &AttnInputs,
    ) -> Result<BlockOut> {
        let off = match &inp.rope_offsets {
            Some(a) => RopeOffset::PerRow(a),
            None => RopeOffset::Scalar(cache.offset() as i32),
        };
        if let Some(o) = self.kernel_step(&x.x, cache, off)? {
            cache.quantize_when_due()?;
            return self.o_proj.forward_residual(&o, x.fold_into.as_ref());
        }
        let h = x.fold_into.as_ref();
        let x = x.x.value()?;
        let (b, l) = (x.dim(0), x.dim(1));
        let (q, k, v) = self.qkv(&x, off)?;
        // 3. cache and attention (GQA): [B, Nq, L, D]
        let o = attend(&q, &k, &v, cache, self.scale, inp)?;
        // the output projection, with the residual add folded in where it can be
        self.o_proj.forward_residual(&merge_heads(&o, b, l)?, h)
    }
}

/// Attention output `[B, Nq, L, D]` -> `[B, L, Nq · D]` (the output projection's input).
pub(crate) fn merge_heads(o: &Array, b: i32, l: i32) -> Result<Array> {
    let merged = [b, l, o.dim(1) * o.dim(3)];
    // At one position [B, Nq, 1, D] is already [B, 1, Nq·D] in memory: no transpose node.
    if l == 1 {
        ops::reshape(o, &merged)
    } else {
        ops::reshape(&ops::transpose(o, &[0, 2, 1, 3])?, &merged)
    }
}

/// Qwen3's q/k RMSNorm and RoPE with MLX's ops (what BenchBar's `qk_norm_rope_kv` kernel
/// computes before its cache write), on q `[B, L, Hq, D]` and k `[B, L, Hkv, D]` normed on D,
/// moved to `[B, H, L, D]` where `to_heads` (else already in that layout: two graph nodes
/// fewer), rotated by `rope` at `off`.
pub fn qk_norm_rope(
    q: &Array,
    k: &Array,
    norms: (&Array, &Array),
    eps: f32,
    rope: &Rope,
    off: RopeOffset<'_>,
    to_heads: bool,
) -> Result<(Array, Array)> {
    let permute = to_heads.then_some(&[0, 2, 1, 3][..]);
    Ok((
        norm_rope(q, norms.0, eps, rope, off, permute)?,
        norm_rope(k, norms.1, eps, rope, off, permute)?,
    ))
}

/// RMSNorm of `x` on its last axis with weight `w`, then (when given) the axes permuted to the
/// attention layout, then RoPE over the whole head at `off`.
fn norm_rope(
    x: &Array,
    w: &Array,
    eps: f32,
    rope: &Rope,
    off: RopeOffset<'_>,
    permute: Option<&[i32]>,
) -> Result<Array> {
    let mut y = ops::rms_norm(x, Some(w), eps)?;
    if let Some(axes) = permute {
        y = ops::transpose(&y, axes)?;
    }
    rope.apply(&y, off)
}
