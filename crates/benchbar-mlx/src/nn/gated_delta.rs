//! The Gated DeltaNet layer of the hybrids (`qwen3_next`, `qwen3_5`, `qwen3_5_moe`): linear
//! attention with a fixed-size state instead of a KV cache, as mlx_lm's `GatedDeltaNet`.
//!
//! Per layer: in-projections (q|k|v, the output gate z, and per value head `b` and `a`), a
//! causal depthwise convolution over the last `kernel` positions (its last inputs kept in the
//! cache) with SiLU, q and k L2-normalised (the `Dk^-0.5` readout scale folded into q), the
//! gated delta rule over the positions one by one (decay `g = exp(-exp(A_log) ·
//! softplus(a + dt_bias))`, write strength `beta = sigmoid(b)`, an f32 state `[B, Hv, Dv, Dk]`),
//! an RMSNorm gated by `silu(z)`, and the out-projection. The recurrence is MLX's ops in the
//! reference's order (what mlx_lm runs off Apple GPUs), so the values are the reference's.
//!
//! Shapes: B batch, S new positions, Hk/Hv key/value heads, Dk/Dv their widths, C = 2·Hk·Dk +
//! Hv·Dv convolution channels.

use super::attention::AttnInputs;
use super::linear::Linear;
use super::residual::{BlockIn, BlockOut, RmsNorm};
use super::stacked::Stacked;
use crate::cache::KvCache;
use crate::compiled::{call_compiled, CompiledFn};
use crate::config::Qwen3Config;
use crate::ops::{self, Array, BinaryOp, Dtype, ReduceOp, UnaryOp};
use crate::options::ModelOptions;
use crate::weights::Weights;
use crate::{Error, Result};
use std::cell::RefCell;

thread_local! {
    // Compile-cache entries of the element-wise parts (compiled as mlx_lm compiles them: the
    // recurrence step, the decay, the gated norm's product), one per thread that runs a model.
    static STEP: RefCell<Option<CompiledFn>> = const { RefCell::new(None) };
    static STEP_MASKED: RefCell<Option<CompiledFn>> = const { RefCell::new(None) };
    static DECAY: RefCell<Option<CompiledFn>> = const { RefCell::new(None) };
    static GATED: RefCell<Option<CompiledFn>> = const { RefCell::new(None) };
}

/// One Gated DeltaNet layer.
#[derive(Debug, Clone)]
pub struct GatedDeltaNet {
    /// `qwen3_5`: q|k|v and z; `qwen3_next`: q|k|v|z interleaved per key head.
    in_proj: Stacked,
    /// `qwen3_5`: b and a; `qwen3_next`: b|a interleaved per key head.
    in_proj_ba: Stacked,
    /// The `qwen3_next` layout of `in_proj`.
    interleaved: bool,
    /// Depthwise convolution `[C, kernel, 1]`.
    conv1d: Array,
    dt_bias: Array,
    /// `-exp(A_log)` in f32 (computed once; the reference computes it every call, the same).
    neg_a: Array,
    /// The gated RMSNorm over each value head.
    norm: RmsNorm,
    out_proj: Linear,
    /// The element-wise parts compiled ([`crate::ModelOptions::fuse`]).
    fuse: bool,
    hk: i32,
    hv: i32,
    dk: i32,
    dv: i32,
    kernel: i32,
}

impl GatedDeltaNet {
    /// The layer at prefix `p` (`layers.{n}.linear_attn`).
    pub(crate) fn new(
        cfg: &Qwen3Config,
        w: &Weights,
        p: &str,
        opts: &ModelOptions,
    ) -> Result<GatedDeltaNet> {
        let h = cfg.hidden_size;
        let (hk, hv) = (cfg.linear_num_key_heads, cfg.linear_num_value_heads);
        let (dk, dv) = (cfg.linear_key_head_dim, cfg.linear_value_head_dim);
        let (key_dim, value_dim) = (hk * dk, hv * dv);
        let conv_dim = 2 * key_dim + value_dim;
        let kernel = cfg.linear_conv_kernel_dim;
        let linear = |name: &str, out: usize, inp: usize| {
            let name = format!("{p}.{name}");
            Linear::load(w, &name, out, inp, cfg.layer_quant(&name), opts)
        };
        let interleaved = cfg.model_type == "qwen3_next";
        // Two products: the wide q|k|v|z one and the narrow b|a one (stacked into one, the wide
        // one's width would leave MLX CUDA's batched quantized product for its slow path).
        let (wide, narrow) = if interleaved {
            (
                vec![linear("in_proj_qkvz", conv_dim + value_dim, h)?],
                vec![linear("in_proj_ba", 2 * hv, h)?],
            )
        } else {
            (
                vec![
                    linear("in_proj_qkv", conv_dim, h)?,
                    linear("in_proj_z", value_dim, h)?,
                ],
                vec![linear("in_proj_b", hv, h)?, linear("in_proj_a", hv, h)?],
            )
        };
        let a_log = w.get(&format!("{p}.A_log"), Some(&[hv as i32]))?;
        let neg_a = ops::unary(
            UnaryOp::Neg,
            &ops::unary(UnaryOp::Exp, &ops::astype(&a_log, Dtype::F32)?)?,
        )?;
        ops::eval(&[&neg_a])?;
        Ok(GatedDeltaNet {
            in_proj: Stacked::new(wide, opts)?,
            in_proj_ba: Stacked::new(narrow, opts)?,
            interleaved,
            conv1d: w.get(
                &format!("{p}.conv1d.weight"),
                Some(&[conv_dim as i32, kernel as i32, 1]),
            )?,
            dt_bias: w.get(&format!("{p}.dt_bias"), Some(&[hv as i32]))?,
            neg_a,
            norm: RmsNorm::load(w, &format!("{p}.norm"), dv, cfg.rms_norm_eps)?,
            out_proj: linear("out_proj", h, value_dim)?,
            fuse: opts.fuse,
            hk: hk as i32,
            hv: hv as i32,
            dk: dk as i32,
            dv: dv as i32,
            kernel: kernel as i32,
        })
    }

    /// The in-projections of `x [B, S, H]`: the convolution's input `[B, S, C]` (q|k|v), z
    /// `[B, S, Hv, Dv]`, b and a `[B, S, Hv]`.
    fn project(&self, x: &Array) -> Result<[Array; 4]> {
        let (b, s) = (x.dim(0), x.dim(1));
        let (hk, hv, dk, dv) = (self.hk, self.hv, self.dk, self.dv);
        let mut outs = self.in_proj.forward(x)?;
        outs.extend(self.in_proj_ba.forward(x)?);
        if !self.interleaved {
            let [qkv, z, bb, a]: [Array; 4] = outs.try_into().map_err(|_| parts_error())?;
            return Ok([qkv, ops::reshape(&z, &[b, s, hv, dv])?, bb, a]);
        }
        // qwen3_next: per key head [q (Dk) | k (Dk) | v (Hv/Hk · Dv) | z (Hv/Hk · Dv)] and
        // [b (Hv/Hk) | a (Hv/Hk)].
        let [qkvz, ba]: [Array; 2] = outs.try_into().map_err(|_| parts_error())?;
        let r = hv / hk;
        let qkvz = ops::reshape(&qkvz, &[b, s, hk, 2 * dk + 2 * r * dv])?;
        let ba = ops::reshape(&ba, &[b, s, hk, 2 * r])?;
        let cut = |a: &Array, from: i32, to: i32| ops::slice(a, &[0, 0, 0, from], &[b, s, hk, to]);
        let flat = |a: Array, n: i32| ops::reshape(&a, &[b, s, n]);
        let q = flat(cut(&qkvz, 0, dk)?, hk * dk)?;
        let k = flat(cut(&qkvz, dk, 2 * dk)?, hk * dk)?;
        let v = flat(cut(&qkvz, 2 * dk, 2 * dk + r * dv)?, hv * dv)?;
        let z = ops::reshape(
            &cut(&qkvz, 2 * dk + r * dv, 2 * dk + 2 * r * dv)?,
            &[b, s, hv, dv],
        )?;
        let bb = flat(cut(&ba, 0, r)?, hv)?;
        let a = flat(cut(&ba, r, 2 * r)?, hv)?;
        Ok([ops::concatenate(&[&q, &k, &v], -1)?, z, bb, a])
    }

    /// The block on `x.x` (`[B, S, H]`), updating the layer's state in `cache`.
    pub(crate) fn forward(
        &self,
        x: &BlockIn,
        cache: &mut KvCache,
        inp: &AttnInputs,
    ) -> Result<BlockOut> {
        let fold_into = x.fold_into.as_ref();
        let x = x.x.value()?;
        let (b, s) = (x.dim(0), x.dim(1));
        let dtype = x.dtype().unwrap_or(Dtype::F32);
        let [mut qkv, z, beta_in, a] = self.project(&x)?;
        let c = qkv.dim(2);
        let (conv_state, state) = match cache.linear_state() {
            Some((conv, st)) => (conv.clone(), st.clone()),
            None => (
                ops::zeros(&[b, self.kernel - 1, c], dtype)?,
                ops::zeros(&[b, self.hv, self.dv, self.dk], Dtype::F32)?,
            ),
        };
        let mask = inp.ssm_mask.as_ref();
        if let Some(m) = mask {
            let m = ops::reshape(m, &[b, s, 1])?;
            qkv = ops::where_(&m, &qkv, &Array::scalar(0.0, qkv.dtype().unwrap_or(dtype))?)?;
        }
        // 1. causal depthwise convolution over the kept inputs and the new ones
        let conv_in = ops::concatenate(&[&conv_state, &qkv], 1)?; // [B, K - 1 + S, C]
        let keep = ops::slice(&conv_in, &[0, s, 0], &[b, s + self.kernel - 1, c])?;
        let conv = ops::silu(&ops::conv1d(&conv_in, &self.conv1d, c)?)?; // [B, S, C]
        let key_dim = self.hk * self.dk;
        let part = |from: i32, to: i32, heads: i32, d: i32| {
            ops::reshape(
                &ops::slice(&conv, &[0, 0, from], &[b, s, to])?,
                &[b, s, heads, d],
            )
        };
        let q = part(0, key_dim, self.hk, self.dk)?;
        let k = part(key_dim, 2 * key_dim, self.hk, self.dk)?;
        let v = part(2 * key_dim, c, self.hv, self.dv)?;
        // 2. q, k L2-normalised; gates
        let (q, k) = normalize_qk(&q, &k, self.dk)?;
        let beta = ops::unary(UnaryOp::Sigmoid, &beta_in)?;
        let g = one(call_compiled(
            &DECAY,
            true,
            self.fuse,
            &decay_body,
            &[&self.neg_a, &a, &self.dt_bias],
        )?)?; // [B, S, Hv]
              // 3. the recurrence
        let (y, state) = recurrence([&q, &k, &v], (&g, &beta), state, mask, self.fuse)?;
        cache.set_linear_state(keep, state, s as usize);
        // 4. gated RMSNorm, out-projection
        let normed = self.norm.forward(&y)?; // [B, S, Hv, Dv]
        let gated = one(call_compiled(
            &GATED,
            true,
            self.fuse,
            &gated_body,
            &[&z, &normed],
        )?)?;
        let out = ops::reshape(&gated, &[b, s, self.hv * self.dv])?;
        self.out_proj.forward_residual(&out, fold_into)
    }
}

fn parts_error() -> Error {
    Error::Mlx("Gated DeltaNet: in-projection parts".into())
}

/// The single output of a compiled function.
fn one(mut out: Vec<Array>) -> Result<Array> {
    out.pop()
        .ok_or_else(|| Error::Mlx("Gated DeltaNet: no output".into()))
}

/// The decay `exp(-exp(A_log) · softplus(a + dt_bias))` of `[-exp(A_log), a, dt_bias]` (f32).
fn decay_body(x: &[Array]) -> Result<Vec<Array>> {
    let [neg_a, a, dt_bias] = x else {
        return Err(Error::Mlx("decay takes three arrays".into()));
    };
    let zero = Array::scalar(0.0, a.dtype().unwrap_or(Dtype::F32))?;
    let softplus = ops::binary(BinaryOp::LogAddExp, &ops::add(a, dt_bias)?, &zero)?;
    Ok(vec![ops::unary(
        UnaryOp::Exp,
        &ops::mul(neg_a, &softplus)?,
    )?])
}

/// The gated norm's product `silu(z) · normed` in f32, in `normed`'s dtype, of `[z, normed]`.
fn gated_body(x: &[Array]) -> Result<Vec<Array>> {
    let [z, normed] = x else {
        return Err(Error::Mlx("gated norm takes two arrays".into()));
    };
    let f32 = |a: &Array| ops::astype(a, Dtype::F32);
    let product = ops::mul(&ops::silu(&f32(z)?)?, &f32(normed)?)?;
    Ok(vec![ops::astype(
        &product,
        normed.dtype().unwrap_or(Dtype::F32),
    )?])
}

/// One position of the gated delta rule, of `[q, k [B, Hv, 1, Dk], v [B, Hv, Dv], g
/// [B, Hv, 1, 1], beta [B, Hv, 1], state [B, Hv, Dv, Dk]]` and optionally a mask `[B, 1, 1, 1]`
/// (false: the state stays): `[y [B, Hv, Dv] in q's dtype, the new state]`.
fn step_body(x: &[Array]) -> Result<Vec<Array>> {
    let (q, k, v, g, beta, state, mask) = match x {
        [q, k, v, g, beta, state] => (q, k, v, g, beta, state, None),
        [q, k, v, g, beta, state, m] => (q, k, v, g, beta, state, Some(m)),
        _ => return Err(Error::Mlx("gated delta step: 6 or 7 arrays".into())),
    };
    let decayed = ops::mul(state, g)?;
    let kv_mem = ops::reduce(ReduceOp::Sum, &ops::mul(&decayed, k)?, -1, false)?;
    let delta = ops::mul(&ops::sub(v, &kv_mem)?, beta)?; // [B, Hv, Dv]
    let (b, hv, dv) = (delta.dim(0), delta.dim(1), delta.dim(2));
    let delta = ops::reshape(&delta, &[b, hv, dv, 1])?;
    let mut new = ops::add(&decayed, &ops::mul(k, &delta)?)?;
    let y = ops::reduce(ReduceOp::Sum, &ops::mul(&new, q)?, -1, false)?;
    if let Some(m) = mask {
        new = ops::where_(m, &new, state)?;
    }
    Ok(vec![ops::astype(&y, q.dtype().unwrap_or(Dtype::F32))?, new])
}

/// q and k RMS-normalised without weight (an L2 norm: the reference's eps 1e-6 on the sum of
/// squares is `eps · Dk^-1` on their mean), q scaled by `Dk^-1`, k by `Dk^-0.5`.
fn normalize_qk(q: &Array, k: &Array, dk: i32) -> Result<(Array, Array)> {
    let inv_scale = (dk as f64).powf(-0.5);
    let eps = (1e-6 * (inv_scale * inv_scale)) as f32;
    let scaled = |x: &Array, by: f64| -> Result<Array> {
        let n = ops::rms_norm(x, None, eps)?;
        ops::mul(
            &Array::scalar(by as f32, n.dtype().unwrap_or(Dtype::F32))?,
            &n,
        )
    };
    Ok((scaled(q, inv_scale * inv_scale)?, scaled(k, inv_scale)?))
}

/// The gated delta rule over S positions, one at a time (mlx_lm's `gated_delta_ops` order):
/// q, k `[B, S, Hk, Dk]` (repeated to Hv heads), v `[B, S, Hv, Dv]`, g and beta `[B, S, Hv]`,
/// state `[B, Hv, Dv, Dk]` f32, mask `[B, S]` (a false position leaves the state as it was).
/// Returns y `[B, S, Hv, Dv]` (q's dtype) and the new state.
fn recurrence(
    [q, k, v]: [&Array; 3],
    (g, beta): (&Array, &Array),
    mut state: Array,
    mask: Option<&Array>,
    fuse: bool,
) -> Result<(Array, Array)> {
    let (b, s, hk, dk) = (q.dim(0), q.dim(1), q.dim(2), q.dim(3));
    let (hv, dv) = (v.dim(2), v.dim(3));
    let (q, k) = if hv > hk {
        // each key head repeated Hv / Hk times in a row (mx.repeat)
        let idx: Vec<i32> = (0..hv).map(|i| i / (hv / hk)).collect();
        let idx = Array::from_i32(&idx, &[hv])?;
        (ops::take(q, &idx, 2)?, ops::take(k, &idx, 2)?)
    } else {
        (q.clone(), k.clone())
    };
    let at = |a: &Array, t: i32, shape: &[i32]| -> Result<Array> {
        let sh = a.shape();
        let mut start = vec![0; sh.len()];
        let mut stop = sh.clone();
        start[1] = t;
        stop[1] = t + 1;
        ops::reshape(&ops::slice(a, &start, &stop)?, shape)
    };
    let mut ys = Vec::with_capacity(s as usize);
    for t in 0..s {
        let mut inputs = vec![
            at(&q, t, &[b, hv, 1, dk])?,
            at(&k, t, &[b, hv, 1, dk])?,
            at(v, t, &[b, hv, dv])?,
            at(g, t, &[b, hv, 1, 1])?,
            at(beta, t, &[b, hv, 1])?,
            state,
        ];
        if let Some(m) = mask {
            inputs.push(at(m, t, &[b, 1, 1, 1])?);
        }
        let slot = if mask.is_some() { &STEP_MASKED } else { &STEP };
        let refs: Vec<&Array> = inputs.iter().collect();
        let [y, new]: [Array; 2] = call_compiled(slot, false, fuse, &step_body, &refs)?
            .try_into()
            .map_err(|_| Error::Mlx("gated delta step: two outputs".into()))?;
        state = new;
        ys.push(ops::reshape(&y, &[b, 1, hv, dv])?);
    }
    let y = match ys.len() {
        1 => ys.pop().expect("one position"),
        _ => ops::concatenate(&ys.iter().collect::<Vec<_>>(), 1)?,
    };
    Ok((y, state))
}
