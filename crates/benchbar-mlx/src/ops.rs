//! BenchBar's own small MLX API: an [`Array`] handle and the operations a model, the KV cache
//! and the sampler need. Each is one call of the platform backend's function of the same name
//! (`crate::backend`), so this file and the model code above it are platform independent.
//!
//! Arrays are lazy: operations build a graph; [`eval`] / [`Array::to_f32_vec`] materialise it.

use crate::backend::{self as b, Raw};
pub use crate::types::{BinaryOp, Dtype, MaskKind, QuantMode, QuantParams, ReduceOp, UnaryOp};
use crate::{Error, Result};

/// A lazily evaluated MLX array. Cloning is cheap (shares the buffer).
#[derive(Clone)]
pub struct Array(pub(crate) Raw);

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Array({:?}, {:?})", self.shape(), self.dtype())
    }
}

fn arr(r: Result<Raw>) -> Result<Array> {
    r.map(Array)
}

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

/// Checks that `n` host values fill `shape`.
fn check_len(n: usize, shape: &[i32]) -> Result<()> {
    let want: i64 = shape.iter().map(|&d| d as i64).product();
    if shape.iter().any(|&d| d < 0) || want != n as i64 {
        return Err(Error::Mlx(format!(
            "{n} values do not fill shape {shape:?}"
        )));
    }
    Ok(())
}

impl Array {
    /// f32 array from host data.
    pub fn from_f32(data: &[f32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        arr(b::arr(b::from_f32(data, shape)))
    }
    /// i32 array from host data.
    pub fn from_i32(data: &[i32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        arr(b::arr(b::from_i32(data, shape)))
    }
    /// Scalar of `dtype`.
    pub fn scalar(value: f32, dtype: Dtype) -> Result<Array> {
        full(&[], value, dtype)
    }
    /// Shape.
    pub fn shape(&self) -> Vec<i32> {
        b::shape(&self.0)
    }
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }
    /// Size of dimension `axis` (negative counts from the end); 0 when out of range.
    pub fn dim(&self, axis: i32) -> i32 {
        let s = self.shape();
        let i = if axis < 0 {
            s.len() as i32 + axis
        } else {
            axis
        };
        if i < 0 {
            return 0;
        }
        s.get(i as usize).copied().unwrap_or(0)
    }
    /// Element type (`None` for types BenchBar does not use).
    pub fn dtype(&self) -> Option<Dtype> {
        <Dtype as crate::types::Code>::from_code(b::dtype(&self.0))
    }
    /// Bytes of data.
    pub fn nbytes(&self) -> usize {
        b::nbytes(&self.0)
    }
    /// Evaluate and copy to the host as f32.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        b::ok(b::to_f32_vec(&self.0))
    }
    /// Evaluate and copy to the host as i32.
    pub fn to_i32_vec(&self) -> Result<Vec<i32>> {
        b::ok(b::to_i32_vec(&self.0))
    }
    /// Wait until this array is computed, without reading its data (a scheduled array waits on
    /// its own event).
    pub fn wait(&self) -> Result<()> {
        b::ok(b::wait_ready(&self.0))
    }
    /// Wait for this (u32/i32) array and copy it out without scheduling any operation, so that
    /// work scheduled after it (the next decode step) is not waited for.
    pub fn read_u32(&self) -> Result<Vec<u32>> {
        b::ok(b::read_u32(&self.0))
    }
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

/// Fused rotary embedding on the last axis of `[B, H, L, D]`.
pub fn rope(
    x: &Array,
    dims: i32,
    traditional: bool,
    base: f32,
    scale: f32,
    offset: RopeOffset<'_>,
) -> Result<Array> {
    arr(b::arr(match offset {
        RopeOffset::Scalar(o) => b::rope(&x.0, dims, traditional, base, scale, o),
        RopeOffset::PerRow(a) => b::rope_offsets(&x.0, dims, traditional, base, scale, &a.0),
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
