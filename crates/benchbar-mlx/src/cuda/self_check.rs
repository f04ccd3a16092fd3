//! The self-check each of BenchBar's kernels passes before first use ([`super::usable`]): run
//! on a small bf16 input and matched against the MLX ops it replaces (the folded-norm products
//! against those ops in f32), within 1% of the reference's largest value.

use super::{relative_difference, Fold, CUDA};
use crate::fast::FastKernels;
use crate::nn::{qk_norm_rope, Rope};
use crate::ops::{self, Array, Dtype, QuantParams, RopeOffset};
use crate::{Error, Result};

/// Deterministic values in [-1, 1] for the self-check.
fn pattern(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * seed + 3) % 17) as f32 / 8.0 - 1.0)
        .collect()
}

fn bf16(data: &[f32], shape: &[i32]) -> Result<Array> {
    ops::astype(&Array::from_f32(data, shape)?, Dtype::BF16)
}

fn check(what: &str, ours: &Array, mlx: &Array) -> Result<()> {
    let d = relative_difference(&ours.to_f32_vec()?, &mlx.to_f32_vec()?);
    if d > 1e-2 || ours.shape() != mlx.shape() {
        return Err(Error::Mlx(format!(
            "self-check: {what} differs from MLX's by {d:.1e} (shapes {:?} / {:?})",
            ours.shape(),
            mlx.shape()
        )));
    }
    Ok(())
}

/// Each kernel on a small bf16 input against the MLX ops it replaces.
pub(super) fn run() -> Result<()> {
    // 4-bit matrix-vector product, [32, 128] weights in groups of 64.
    let x = bf16(&pattern(128, 5), &[1, 1, 128])?;
    let w = bf16(&pattern(32 * 128, 7), &[32, 128])?;
    let q = QuantParams::affine(64, 4);
    let (wq, s, b) = ops::quantize(&w, q)?;
    let q4_ref = ops::quantized_matmul(&x, &wq, &s, Some(&b), true, q)?;
    check(
        "gemv_q4",
        &CUDA.gemv_q4(&x, &wq, &s, &b, Fold::swiglu(false))?,
        &q4_ref,
    )?;
    let half = |y: &Array, from| ops::slice(y, &[0, 0, from], &[1, 1, from + 16]);
    let swiglu_ref = crate::nn::swiglu(&half(&q4_ref, 0)?, &half(&q4_ref, 16)?)?;
    check(
        "gemv_q4 (SwiGLU)",
        &CUDA.gemv_q4(&x, &wq, &s, &b, Fold::swiglu(true))?,
        &swiglu_ref,
    )?;
    // float matrix-vector product, the same [32, 128] weight
    let wt = ops::transpose(&w, &[1, 0])?;
    let dense_ref = ops::matmul(&x, &wt)?;
    check("gemv", &CUDA.gemv(&x, &w, Fold::swiglu(false))?, &dense_ref)?;
    let swiglu_ref = crate::nn::swiglu(&half(&dense_ref, 0)?, &half(&dense_ref, 16)?)?;
    check(
        "gemv (SwiGLU)",
        &CUDA.gemv(&x, &w, Fold::swiglu(true))?,
        &swiglu_ref,
    )?;
    // residual add + RMSNorm
    let r = bf16(&pattern(128, 11), &[1, 1, 128])?;
    let nw = bf16(&pattern(128, 13), &[128])?;
    // ... folded into the products: the norm in front (x the stream), the residual after. With
    // the norm folded in the products are of f32 values (MLX's ops round the normalised input to
    // bf16 first), so they are checked against MLX's ops in f32.
    let f32 = |a: &Array| ops::astype(a, Dtype::F32);
    let normed = ops::rms_norm(&f32(&x)?, Some(&f32(&nw)?), 1e-6)?;
    let norm = Fold {
        norm: Some((&nw, 1e-6)),
        ..Fold::default()
    };
    let res = half(&r, 0)?;
    let with_res = Fold {
        residual: Some(&res),
        ..Fold::default()
    };
    let norm_swiglu = Fold {
        swiglu: true,
        ..norm
    };
    let q4_res = ops::add(&res, &half(&q4_ref, 0)?)?;
    let ws = ops::slice(&wq, &[0, 0], &[16, 16])?;
    let (ss, bs) = (
        ops::slice(&s, &[0, 0], &[16, 2])?,
        ops::slice(&b, &[0, 0], &[16, 2])?,
    );
    check(
        "gemv_q4 (residual)",
        &CUDA.gemv_q4(&x, &ws, &ss, &bs, with_res)?,
        &q4_res,
    )?;
    let dense_normed = ops::matmul(&normed, &f32(&wt)?)?;
    check("gemv (norm)", &CUDA.gemv(&x, &w, norm)?, &dense_normed)?;
    let swiglu_ref = crate::nn::swiglu(&half(&dense_normed, 0)?, &half(&dense_normed, 16)?)?;
    check(
        "gemv (norm, SwiGLU)",
        &CUDA.gemv(&x, &w, norm_swiglu)?,
        &swiglu_ref,
    )?;
    let w16 = ops::slice(&w, &[0, 0], &[16, 128])?;
    let dense_res = ops::add(&res, &half(&dense_ref, 0)?)?;
    check(
        "gemv (residual)",
        &CUDA.gemv(&x, &w16, with_res)?,
        &dense_res,
    )?;
    let (h, y) = CUDA.add_rms_norm(&x, &r, &nw, 1e-6)?;
    let h_ref = ops::add(&x, &r)?;
    check("add_rms_norm (sum)", &h, &h_ref)?;
    check("add_rms_norm", &y, &ops::rms_norm(&h_ref, Some(&nw), 1e-6)?)?;
    // q/k norm + RoPE and the cache write: 2 q heads, 1 kv head of 64, capacity 8, position 5
    let (nq, nkv, d, cap, pos) = (2, 1, 64, 8, 5);
    let qkv = bf16(
        &pattern(((nq + 2 * nkv) * d) as usize, 3),
        &[1, 1, (nq + 2 * nkv) * d],
    )?;
    let (qw, kw) = (
        bf16(&pattern(64, 19), &[64])?,
        bf16(&pattern(64, 23), &[64])?,
    );
    let cache_values = |seed| bf16(&pattern((nkv * cap * d) as usize, seed), &[1, nkv, cap, d]);
    let (kc, vc) = (cache_values(29)?, cache_values(31)?);
    let base = 1e6f32;
    let q = CUDA.qk_norm_rope_kv(
        &qkv,
        (&qw, &kw),
        (&kc, &vc),
        pos,
        (base.log2(), 1e-6),
        (nq, d),
    )?;
    let heads = ops::reshape(&qkv, &[1, 1, nq + 2 * nkv, d])?;
    let part = |from, to| ops::slice(&heads, &[0, 0, from, 0], &[1, 1, to, d]);
    let (qi, ki, vi) = (
        part(0, nq)?,
        part(nq, nq + nkv)?,
        part(nq + nkv, nq + 2 * nkv)?,
    );
    let (qr, kr) = qk_norm_rope(
        &qi,
        &ki,
        (&qw, &kw),
        1e-6,
        &Rope::plain(d, base),
        RopeOffset::Scalar(pos),
        true,
    )?;
    check("qk_norm_rope (q)", &q, &qr)?;
    let at = |c: &Array, x: &Array| ops::slice_update(c, x, &[0, 0, pos, 0], &[1, nkv, pos + 1, d]);
    check("qk_norm_rope (keys)", &kc, &at(&cache_values(29)?, &kr)?)?;
    let vr = ops::transpose(&vi, &[0, 2, 1, 3])?;
    check("qk_norm_rope (values)", &vc, &at(&cache_values(31)?, &vr)?)?;
    // attention: 4 q heads on 2 kv heads of 64, 150 of 160 positions (two key chunks), twice
    // (the second call finds the tickets the first left)
    let (hq, hkv, d, cap, n) = (4, 2, 64, 160, 150);
    let q = bf16(&pattern((hq * d) as usize, 37), &[1, hq, 1, d])?;
    let kv = |seed| bf16(&pattern((hkv * cap * d) as usize, seed), &[1, hkv, cap, d]);
    let (kc, vc) = (kv(41)?, kv(43)?);
    let scratch = CUDA.attention_scratch((hq, hkv, d))?;
    let scale = 0.125;
    let valid = |c: &Array| ops::slice(c, &[0, 0, 0, 0], &[1, hkv, n, d]);
    let mlx = ops::scaled_dot_product_attention(
        &q,
        &valid(&kc)?,
        &valid(&vc)?,
        scale,
        ops::MaskKind::None,
        None,
    )?;
    let mlx = ops::reshape(&mlx, &[1, 1, hq * d])?;
    for call in ["attention", "attention (again)"] {
        let ours = CUDA.attention_decode(&q, (&kc, &vc), (&scratch.0, &scratch.1), n, scale)?;
        check(call, &ours, &mlx)?;
    }
    Ok(())
}
