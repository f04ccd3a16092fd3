//! BenchBar's own small MLX API: an [`Array`] handle and the operations a model, the KV cache
//! and the sampler need. Each is one call of the platform backend's function of the same name
//! (`crate::backend`), so this file and the model code above it are platform independent.
//!
//! Arrays are lazy: operations build a graph; [`eval`] / [`Array::to_f32_vec`] materialise it.

use crate::array::arr;
pub use crate::array::Array;
use crate::backend::{self as b, Raw};
pub use crate::types::{BinaryOp, Dtype, MaskKind, QuantMode, QuantParams, ReduceOp, UnaryOp};
use crate::{Error, Result};

fn raws<'a>(arrays: &[&'a Array]) -> Vec<&'a Raw> {
    arrays.iter().map(|a| &a.0).collect()
}

fn fixed<const N: usize>(v: Vec<Raw>, what: &str) -> Result<[Array; N]> {
    let got = v.len();
    v.into_iter()
        .map(Array)
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| Error::Mlx(format!("{what}: {got} arrays, {N} expected")))
}

/// Evaluate arrays (blocking).
pub fn eval(arrays: &[&Array]) -> Result<()> {
    b::ok(b::eval(&b::list(&raws(arrays))))
}

/// Schedule evaluation (non-blocking); a later [`eval`] or host copy waits for it.
pub fn async_eval(arrays: &[&Array]) -> Result<()> {
    b::ok(b::async_eval(&b::list(&raws(arrays))))
}

/// Array of `shape` filled with `value`.
pub fn full(shape: &[i32], value: f32, dtype: Dtype) -> Result<Array> {
    arr(b::arr(b::full(shape, value, dtype as u8)))
}

/// Zeros.
pub fn zeros(shape: &[i32], dtype: Dtype) -> Result<Array> {
    full(shape, 0.0, dtype)
}

/// `[start, stop)` int32.
pub fn arange(start: i32, stop: i32) -> Result<Array> {
    arr(b::arr(b::arange(start, stop)))
}

/// Broadcasting binary op.
pub fn binary(op: BinaryOp, a: &Array, x: &Array) -> Result<Array> {
    arr(b::arr(b::binary(op as u8, &a.0, &x.0)))
}
/// a + b
pub fn add(a: &Array, x: &Array) -> Result<Array> {
    binary(BinaryOp::Add, a, x)
}
/// a - b
pub fn sub(a: &Array, x: &Array) -> Result<Array> {
    binary(BinaryOp::Sub, a, x)
}
/// a * b
pub fn mul(a: &Array, x: &Array) -> Result<Array> {
    binary(BinaryOp::Mul, a, x)
}
/// a / b
pub fn div(a: &Array, x: &Array) -> Result<Array> {
    binary(BinaryOp::Div, a, x)
}

/// Unary op.
pub fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
    arr(b::arr(b::unary(op as u8, &a.0)))
}
/// x * sigmoid(x)
pub fn silu(a: &Array) -> Result<Array> {
    unary(UnaryOp::Silu, a)
}

/// `cond ? x : y`
pub fn where_(cond: &Array, x: &Array, y: &Array) -> Result<Array> {
    arr(b::arr(b::where_(&cond.0, &x.0, &y.0)))
}

/// Cast.
pub fn astype(a: &Array, dtype: Dtype) -> Result<Array> {
    arr(b::arr(b::astype(&a.0, dtype as u8)))
}

/// Reshape (one dimension may be -1).
pub fn reshape(a: &Array, shape: &[i32]) -> Result<Array> {
    arr(b::arr(b::reshape(&a.0, shape)))
}

/// Permute axes.
pub fn transpose(a: &Array, axes: &[i32]) -> Result<Array> {
    arr(b::arr(b::transpose(&a.0, axes)))
}

/// Join along `axis`.
pub fn concatenate(arrays: &[&Array], axis: i32) -> Result<Array> {
    arr(b::arr(b::concatenate(&b::list(&raws(arrays)), axis)))
}

/// `a[start..stop]` on every axis.
pub fn slice(a: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
    arr(b::arr(b::slice(&a.0, start, stop)))
}

/// Copy of `src` with `src[start..stop] = update` (MLX makes it in place when `src` is unshared).
pub fn slice_update(src: &Array, update: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
    arr(b::arr(b::slice_update(&src.0, &update.0, start, stop)))
}

/// Gather along `axis` (embedding lookup: `take(table, ids, 0)`).
pub fn take(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    arr(b::arr(b::take(&a.0, &indices.0, axis)))
}

/// Gather along `axis` with per-position indices.
pub fn take_along_axis(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    arr(b::arr(b::take_along_axis(&a.0, &indices.0, axis)))
}

/// Single-axis reduction.
pub fn reduce(op: ReduceOp, a: &Array, axis: i32, keepdims: bool) -> Result<Array> {
    arr(b::arr(b::reduce(op as u8, &a.0, axis, keepdims)))
}

/// Index of the max along `axis` (uint32).
pub fn argmax(a: &Array, axis: i32) -> Result<Array> {
    reduce(ReduceOp::ArgMax, a, axis, false)
}

/// Softmax along `axis` (`precise`: accumulate in f32).
pub fn softmax(a: &Array, axis: i32, precise: bool) -> Result<Array> {
    arr(b::arr(b::softmax(&a.0, axis, precise)))
}

/// Ascending sort along `axis`.
pub fn sort(a: &Array, axis: i32) -> Result<Array> {
    arr(b::arr(b::sort(&a.0, axis)))
}

/// Indices of an ascending sort along `axis` (uint32).
pub fn argsort(a: &Array, axis: i32) -> Result<Array> {
    arr(b::arr(b::argsort(&a.0, axis)))
}

/// Indices such that the `kth` element is in sorted position (uint32).
pub fn argpartition(a: &Array, kth: i32, axis: i32) -> Result<Array> {
    arr(b::arr(b::argpartition(&a.0, kth, axis)))
}

/// Convolution over the middle axis, stride 1, no padding: `a [N, L, C_in]`, `w [C_out, K,
/// C_in / groups]` -> `[N, L - K + 1, C_out]` (`groups == C_in == C_out`: depthwise).
pub fn conv1d(a: &Array, w: &Array, groups: i32) -> Result<Array> {
    arr(b::arr(b::conv1d(&a.0, &w.0, groups)))
}

/// Cumulative sum along `axis`.
pub fn cumsum(a: &Array, axis: i32, reverse: bool, inclusive: bool) -> Result<Array> {
    arr(b::arr(b::cumsum(&a.0, axis, reverse, inclusive)))
}

/// Matrix product (batched, broadcasting).
pub fn matmul(a: &Array, x: &Array) -> Result<Array> {
    arr(b::arr(b::matmul(&a.0, &x.0)))
}

/// `x @ dequantize(w).T` (`transpose`) or `x @ dequantize(w)`, in any of MLX's quantization
/// modes (`biases` for affine only).
pub fn quantized_matmul(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    transpose: bool,
    q: QuantParams,
) -> Result<Array> {
    arr(b::arr(b::quantized_matmul(
        &x.0,
        &w.0,
        &scales.0,
        &biases.unwrap_or(scales).0,
        biases.is_some(),
        transpose,
        q.group_size,
        q.bits,
        q.mode as u8,
    )))
}

/// `a @ b[rhs]`: a matrix product per batch element with the right-hand matrix taken from the
/// stack `b [E, K, N]` at `rhs` (broadcast against `a`'s batch axes); `sorted`: `rhs` is in
/// ascending order (MLX then groups the rows per matrix).
pub fn gather_mm(a: &Array, b: &Array, rhs: &Array, sorted: bool) -> Result<Array> {
    arr(b::arr(b::gather_mm(&a.0, &b.0, &rhs.0, sorted)))
}

/// [`gather_mm`] on a quantized stack `w [E, N, K · bits / 32]` (`transpose`: `x @ w[rhs]ᵀ`).
#[allow(clippy::too_many_arguments)]
pub fn gather_qmm(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    rhs: &Array,
    transpose: bool,
    q: QuantParams,
    sorted: bool,
) -> Result<Array> {
    arr(b::arr(b::gather_qmm(
        &x.0,
        &w.0,
        &scales.0,
        &biases.unwrap_or(scales).0,
        biases.is_some(),
        &rhs.0,
        transpose,
        q.group_size,
        q.bits,
        q.mode as u8,
        sorted,
    )))
}

/// Affine-quantize the last axis (`q.mode` must be affine): (packed weight, scales, biases).
pub fn quantize(w: &Array, q: QuantParams) -> Result<(Array, Array, Array)> {
    if q.mode != QuantMode::Affine {
        return Err(Error::Mlx(format!(
            "quantize: {} (BenchBar makes affine weights only)",
            q.mode.name()
        )));
    }
    let [w, s, z] = fixed(
        b::arrs(b::quantize(&w.0, q.group_size, q.bits))?,
        "quantize",
    )?;
    Ok((w, s, z))
}

/// Inverse of [`quantize`].
pub fn dequantize(
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    q: QuantParams,
) -> Result<Array> {
    arr(b::arr(b::dequantize(
        &w.0,
        &scales.0,
        &biases.unwrap_or(scales).0,
        biases.is_some(),
        q.group_size,
        q.bits,
        q.mode as u8,
    )))
}

/// Fused RMS norm over the last axis.
pub fn rms_norm(x: &Array, weight: Option<&Array>, eps: f32) -> Result<Array> {
    arr(b::arr(b::rms_norm(
        &x.0,
        &weight.unwrap_or(x).0,
        weight.is_some(),
        eps,
    )))
}

/// Position offset(s) for [`rope`].
#[derive(Debug, Clone, Copy)]
pub enum RopeOffset<'a> {
    /// Same first position for every row.
    Scalar(i32),
    /// One first position per batch row (int32 `[B]`; negative for left padding).
    PerRow(&'a Array),
}

/// The frequencies of a rotary embedding: MLX's from a base, or given (scaled variants).
#[derive(Debug, Clone, Copy)]
pub enum RopeFreqs<'a> {
    /// `base^(-2i / dims)`.
    Base(f32),
    /// One frequency per rotated pair, `[dims / 2]` f32.
    Given(&'a Array),
}

/// Fused rotary embedding on the last axis of `[B, H, L, D]` with the frequencies `freqs`.
pub fn rope(
    x: &Array,
    dims: i32,
    traditional: bool,
    freqs: RopeFreqs<'_>,
    scale: f32,
    offset: RopeOffset<'_>,
) -> Result<Array> {
    let (base, f) = match freqs {
        RopeFreqs::Base(b) => (b, None),
        RopeFreqs::Given(f) => (0.0, Some(f)),
    };
    let fr = &f.unwrap_or(x).0;
    arr(b::arr(match offset {
        RopeOffset::Scalar(o) => b::rope(&x.0, dims, traditional, base, scale, o, fr, f.is_some()),
        RopeOffset::PerRow(a) => {
            b::rope_offsets(&x.0, dims, traditional, base, scale, &a.0, fr, f.is_some())
        }
    }))
}

/// Fused scaled dot-product attention. q: `[B, Hq, L, D]`, k/v: `[B, Hkv, kL, D]` (GQA when
/// Hq is a multiple of Hkv). `mask` is required with [`MaskKind::Array`].
pub fn scaled_dot_product_attention(
    q: &Array,
    k: &Array,
    v: &Array,
    scale: f32,
    mask_kind: MaskKind,
    mask: Option<&Array>,
) -> Result<Array> {
    if mask_kind == MaskKind::Array && mask.is_none() {
        return Err(Error::Mlx("sdpa: MaskKind::Array needs a mask".into()));
    }
    arr(b::arr(b::sdpa(
        &q.0,
        &k.0,
        &v.0,
        scale,
        mask_kind as u8,
        &mask.unwrap_or(q).0,
    )))
}

/// PRNG key.
pub fn random_key(seed: u64) -> Result<Array> {
    arr(b::arr(b::random_key(seed)))
}

/// Split a PRNG key into two.
pub fn random_split(key: &Array) -> Result<(Array, Array)> {
    let [x, y] = fixed(b::arrs(b::random_split(&key.0))?, "random_split")?;
    Ok((x, y))
}

/// Sample indices along `axis` from unnormalised log-probabilities.
pub fn categorical(logits: &Array, axis: i32, key: &Array) -> Result<Array> {
    arr(b::arr(b::categorical(&logits.0, axis, &key.0)))
}
