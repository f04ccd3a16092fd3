//! Attention over a layer's cache, in the cache's form: MLX's fused attention over float keys
//! and values, or, once the cache is quantized ([`crate::cache::KvQuant`]), mlx_lm's
//! `quantized_scaled_dot_product_attention` (scores and output through quantized matrix
//! products, the softmax in f32).

use super::attention::AttnInputs;
use crate::cache::{three, KvCache, QuantizedKv};
use crate::ops::{self, Array, Dtype, MaskKind, QuantParams};
use crate::Result;

/// Append `k, v [B, Nkv, L, D]` to `cache` and attend with `q [B, Nq, L, D]`: `[B, Nq, L, D]`.
pub(crate) fn attend(
    q: &Array,
    k: &Array,
    v: &Array,
    cache: &mut KvCache,
    scale: f32,
    inp: &AttnInputs,
) -> Result<Array> {
    if let Some(params) = cache.quantization() {
        let (qk, qv) = cache.update_and_fetch_quantized(k, v)?;
        return quantized_attention(q, (&qk, &qv), scale, inp, params);
    }
    let (k, v) = cache.update_and_fetch(k, v)?;
    let o = ops::scaled_dot_product_attention(q, &k, &v, scale, inp.mask_kind, inp.mask.as_ref())?;
    // this call attended in float; the next ones quantized, once due
    cache.quantize_when_due()?;
    Ok(o)
}

/// `[B, Nkv, ..]` as `[B, Nkv, 1, ..]`: broadcast over the query heads sharing a KV head.
fn per_kv_head(a: &Array) -> Result<Array> {
    let mut grouped = a.shape();
    grouped.insert(2, 1);
    ops::reshape(a, &grouped)
}

/// The most negative finite value of `dtype` (a masked score, as mlx_lm's `finfo(dtype).min`).
fn lowest(dtype: Dtype) -> f32 {
    match dtype {
        Dtype::F16 => -65504.0,
        // bf16's largest finite magnitude, (2 - 2^-7) · 2^127, exact in f32
        Dtype::BF16 => -3.389_531_4e38,
        _ => f32::MIN,
    }
}

/// mlx_lm's quantized attention: q scaled, grouped per KV head, scores through a quantized
/// product with the keys, masked, softmax (precise), output through a quantized product with
/// the values.
fn quantized_attention(
    q: &Array,
    (keys, values): (&QuantizedKv, &QuantizedKv),
    scale: f32,
    inp: &AttnInputs,
    params: QuantParams,
) -> Result<Array> {
    let (b, nq, l, d) = (q.dim(0), q.dim(1), q.dim(2), q.dim(3));
    let nkv = keys[0].dim(1);
    let repeats = nq / nkv;
    let dtype = q.dtype().unwrap_or(Dtype::F32);
    let mut queries = ops::mul(q, &Array::scalar(scale, dtype)?)?;
    let grouped = |x: &QuantizedKv| -> Result<QuantizedKv> {
        three(x.iter().map(per_kv_head).collect::<Result<_>>()?)
    };
    let (keys, values) = if repeats > 1 {
        queries = ops::reshape(&queries, &[b, nkv, repeats, l, d])?;
        (grouped(keys)?, grouped(values)?)
    } else {
        (keys.clone(), values.clone())
    };
    let product = |x: &Array, m: &QuantizedKv, transpose: bool| {
        ops::quantized_matmul(x, &m[0], &m[1], Some(&m[2]), transpose, params)
    };
    let mut scores = product(&queries, &keys, true)?;
    let mask = match inp.mask_kind {
        MaskKind::None => None,
        MaskKind::Causal => {
            let (ql, kl) = (scores.dim(-2), scores.dim(-1));
            let rows = ops::reshape(&ops::arange(kl - ql, kl)?, &[ql, 1])?;
            let cols = ops::reshape(&ops::arange(0, kl)?, &[1, kl])?;
            Some(ops::binary(ops::BinaryOp::GreaterEqual, &rows, &cols)?)
        }
        MaskKind::Array => match &inp.mask {
            Some(m) if repeats > 1 && m.ndim() > 3 => Some(per_kv_head(m)?),
            m => m.clone(),
        },
    };
    if let Some(m) = mask {
        let floor = Array::scalar(
            lowest(scores.dtype().unwrap_or(dtype)),
            scores.dtype().unwrap_or(dtype),
        )?;
        scores = ops::where_(&m, &scores, &floor)?;
    }
    let scores = ops::softmax(&scores, -1, true)?;
    let out = product(&scores, &values, false)?;
    if repeats > 1 {
        ops::reshape(&out, &[b, nq, l, d])
    } else {
        Ok(out)
    }
}
