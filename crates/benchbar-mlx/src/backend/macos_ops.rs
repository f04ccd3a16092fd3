//! macOS backend, the array operations: one-line forwards to mlx-rs 0.33, under the Linux
//! bridge's names and arguments (see `macos.rs` for the adapters and the differences).

use super::macos::{code, default_device_is_gpu, mlx, ranges, slice_err, to_mlx, update_err};
use crate::types::{BinaryOp, Dtype, MaskKind, ReduceOp, UnaryOp};
use crate::Result;
use mlx_rs::ops::indexing::{TryIndexOp, TryIndexUpdateOp, UpdateMode};
use mlx_rs::{fast, nn, ops, random, transforms, Array};

pub(crate) fn wait_ready(a: &Array) -> Result<()> {
    a.eval().map_err(mlx)
}

pub(crate) fn read_u32(a: &Array) -> Result<Vec<u32>> {
    a.eval().map_err(mlx)?;
    match a.dtype() {
        mlx_rs::Dtype::Uint32 => Ok(a.try_as_slice::<u32>().map_err(slice_err)?.to_vec()),
        mlx_rs::Dtype::Int32 => Ok(a
            .try_as_slice::<i32>()
            .map_err(slice_err)?
            .iter()
            .map(|&t| t as u32)
            .collect()),
        _ => Ok(to_i32_vec(a)?.into_iter().map(|t| t as u32).collect()),
    }
}

pub(crate) fn device_description() -> String {
    if default_device_is_gpu() {
        "gpu (Metal)".into()
    } else {
        "cpu".into()
    }
}

pub(crate) fn mlx_build() -> String {
    let mut ok = false;
    // SAFETY: `ok` is a valid bool for mlx_metal_is_available to write.
    let rc = unsafe { mlx_sys::mlx_metal_is_available(&mut ok) };
    if rc == 0 && ok { "metal" } else { "cpu" }.into()
}

pub(crate) fn from_f32(data: &[f32], shape: &[i32]) -> Result<Array> {
    Ok(Array::from_slice(data, shape))
}

pub(crate) fn from_i32(data: &[i32], shape: &[i32]) -> Result<Array> {
    Ok(Array::from_slice(data, shape))
}

pub(crate) fn full(shape: &[i32], value: f32, dtype: u8) -> Result<Array> {
    let dt = to_mlx(code(dtype, "dtype")?);
    Array::full::<f32>(shape, Array::from_f32(value))
        .and_then(|a| a.as_dtype(dt))
        .map_err(mlx)
}

pub(crate) fn arange(start: i32, stop: i32) -> Result<Array> {
    Array::arange::<i32, i32>(start, stop, None).map_err(mlx)
}

pub(crate) fn shape(a: &Array) -> Vec<i32> {
    a.shape().to_vec()
}

pub(crate) fn dtype(a: &Array) -> u8 {
    (match a.dtype() {
        mlx_rs::Dtype::Bool => Dtype::Bool,
        mlx_rs::Dtype::Uint8 => Dtype::U8,
        mlx_rs::Dtype::Uint32 => Dtype::U32,
        mlx_rs::Dtype::Int32 => Dtype::I32,
        mlx_rs::Dtype::Int64 => Dtype::I64,
        mlx_rs::Dtype::Float16 => Dtype::F16,
        mlx_rs::Dtype::Bfloat16 => Dtype::BF16,
        mlx_rs::Dtype::Float32 => Dtype::F32,
        _ => return u8::MAX,
    }) as u8
}

pub(crate) fn nbytes(a: &Array) -> usize {
    a.nbytes()
}

/// `a` as `dtype`, contiguous, copied to the host.
fn host_vec<T: mlx_rs::ArrayElement + Clone>(a: &Array, dtype: mlx_rs::Dtype) -> Result<Vec<T>> {
    if a.size() == 0 {
        return Ok(Vec::new());
    }
    let x = a
        .as_dtype(dtype)
        .and_then(|x| x.contiguous())
        .map_err(mlx)?;
    x.try_as_slice::<T>().map(<[T]>::to_vec).map_err(slice_err)
}

pub(crate) fn to_f32_vec(a: &Array) -> Result<Vec<f32>> {
    host_vec(a, mlx_rs::Dtype::Float32)
}

pub(crate) fn to_i32_vec(a: &Array) -> Result<Vec<i32>> {
    host_vec(a, mlx_rs::Dtype::Int32)
}

pub(crate) fn eval(arrays: &[Array]) -> Result<()> {
    transforms::eval(arrays.iter()).map_err(mlx)
}

pub(crate) fn async_eval(arrays: &[Array]) -> Result<()> {
    transforms::async_eval(arrays.iter()).map_err(mlx)
}

pub(crate) fn binary(op: u8, a: &Array, b: &Array) -> Result<Array> {
    match code(op, "binary op")? {
        BinaryOp::Add => ops::add(a, b),
        BinaryOp::Sub => ops::subtract(a, b),
        BinaryOp::Mul => ops::multiply(a, b),
        BinaryOp::Div => ops::divide(a, b),
        BinaryOp::Maximum => ops::maximum(a, b),
        BinaryOp::Minimum => ops::minimum(a, b),
        BinaryOp::Less => ops::lt(a, b),
        BinaryOp::LessEqual => ops::le(a, b),
        BinaryOp::Greater => ops::gt(a, b),
        BinaryOp::GreaterEqual => ops::ge(a, b),
        BinaryOp::Equal => ops::eq(a, b),
        BinaryOp::LogicalAnd => ops::logical_and(a, b),
        BinaryOp::FloorDivide => ops::floor_divide(a, b),
        BinaryOp::Power => ops::power(a, b),
        BinaryOp::LogAddExp => ops::logaddexp(a, b),
    }
    .map_err(mlx)
}

pub(crate) fn unary(op: u8, a: &Array) -> Result<Array> {
    match code(op, "unary op")? {
        UnaryOp::Sigmoid => ops::sigmoid(a),
        UnaryOp::Exp => ops::exp(a),
        UnaryOp::Log => ops::log(a),
        UnaryOp::Neg => ops::negative(a),
        UnaryOp::LogicalNot => ops::logical_not(a),
        UnaryOp::Silu => nn::silu(a),
        UnaryOp::StopGradient => mlx_rs::stop_gradient(a),
    }
    .map_err(mlx)
}

pub(crate) fn where_(cond: &Array, x: &Array, y: &Array) -> Result<Array> {
    ops::select(cond, x, y).map_err(mlx)
}

pub(crate) fn astype(a: &Array, dtype: u8) -> Result<Array> {
    a.as_dtype(to_mlx(code(dtype, "dtype")?)).map_err(mlx)
}

pub(crate) fn reshape(a: &Array, shape: &[i32]) -> Result<Array> {
    ops::reshape(a, shape).map_err(mlx)
}

pub(crate) fn transpose(a: &Array, axes: &[i32]) -> Result<Array> {
    ops::transpose_axes(a, axes).map_err(mlx)
}

pub(crate) fn concatenate(arrays: &[Array], axis: i32) -> Result<Array> {
    ops::concatenate(arrays, axis).map_err(mlx)
}

pub(crate) fn slice(a: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
    let idx = ranges(start, stop)?;
    a.try_index(&idx[..]).map_err(mlx)
}

pub(crate) fn slice_update(
    src: &Array,
    update: &Array,
    start: &[i32],
    stop: &[i32],
) -> Result<Array> {
    let idx = ranges(start, stop)?;
    src.try_index_update(&idx[..], update, UpdateMode::Replace)
        .map_err(update_err)
}

pub(crate) fn take(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    ops::indexing::take_axis(a, indices, axis).map_err(mlx)
}

pub(crate) fn take_along_axis(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    ops::indexing::take_along_axis(a, indices, axis).map_err(mlx)
}

pub(crate) fn reduce(op: u8, a: &Array, axis: i32, keepdims: bool) -> Result<Array> {
    match code(op, "reduce op")? {
        ReduceOp::Sum => ops::sum_axis(a, axis, keepdims),
        ReduceOp::Max => ops::max_axis(a, axis, keepdims),
        ReduceOp::Min => ops::min_axis(a, axis, keepdims),
        ReduceOp::LogSumExp => ops::logsumexp_axis(a, axis, keepdims),
        ReduceOp::ArgMax => ops::indexing::argmax_axis(a, axis, keepdims),
    }
    .map_err(mlx)
}

pub(crate) fn softmax(a: &Array, axis: i32, precise: bool) -> Result<Array> {
    ops::softmax_axis(a, axis, precise).map_err(mlx)
}

pub(crate) fn sort(a: &Array, axis: i32) -> Result<Array> {
    ops::sort_axis(a, axis).map_err(mlx)
}

pub(crate) fn argsort(a: &Array, axis: i32) -> Result<Array> {
    ops::argsort_axis(a, axis).map_err(mlx)
}

pub(crate) fn argpartition(a: &Array, kth: i32, axis: i32) -> Result<Array> {
    ops::argpartition_axis(a, kth, axis).map_err(mlx)
}

pub(crate) fn cumsum(a: &Array, axis: i32, reverse: bool, inclusive: bool) -> Result<Array> {
    ops::cumsum(a, axis, reverse, inclusive).map_err(mlx)
}

pub(crate) fn conv1d(a: &Array, w: &Array, groups: i32) -> Result<Array> {
    ops::conv1d(a, w, 1, 0, 1, groups).map_err(mlx)
}

pub(crate) fn matmul(a: &Array, b: &Array) -> Result<Array> {
    ops::matmul(a, b).map_err(mlx)
}

pub(crate) fn quantize(w: &Array, group_size: i32, bits: i32) -> Result<Vec<Array>> {
    let (w, s, b) = ops::quantize(w, group_size, bits).map_err(mlx)?;
    Ok(vec![w, s, b])
}

pub(crate) fn rms_norm(x: &Array, w: &Array, has_weight: bool, eps: f32) -> Result<Array> {
    fast::rms_norm(x, has_weight.then_some(w), eps).map_err(mlx)
}

/// mlx-rs's (base, frequencies) pair: the base, or the given frequencies without one.
fn base_or_freqs(base: f32, freqs: &Array, has_freqs: bool) -> (Option<f32>, Option<&Array>) {
    if has_freqs {
        (None, Some(freqs))
    } else {
        (Some(base), None)
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn rope(
    x: &Array,
    dims: i32,
    traditional: bool,
    base: f32,
    scale: f32,
    offset: i32,
    freqs: &Array,
    has_freqs: bool,
) -> Result<Array> {
    let (base, freqs) = base_or_freqs(base, freqs, has_freqs);
    fast::rope(x, dims, traditional, base, scale, offset, freqs).map_err(mlx)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn rope_offsets(
    x: &Array,
    dims: i32,
    traditional: bool,
    base: f32,
    scale: f32,
    offsets: &Array,
    freqs: &Array,
    has_freqs: bool,
) -> Result<Array> {
    let (base, freqs) = base_or_freqs(base, freqs, has_freqs);
    fast::rope_dynamic(x, dims, traditional, base, scale, offsets, freqs).map_err(mlx)
}

pub(crate) fn sdpa(
    q: &Array,
    k: &Array,
    v: &Array,
    scale: f32,
    mask_kind: u8,
    mask: &Array,
) -> Result<Array> {
    use fast::ScaledDotProductAttentionMask as M;
    let mask = match code(mask_kind, "mask kind")? {
        MaskKind::None => None,
        MaskKind::Causal => Some(M::Causal),
        MaskKind::Array => Some(M::Array(mask)),
    };
    fast::scaled_dot_product_attention(q, k, v, scale, mask, None).map_err(mlx)
}

pub(crate) fn random_key(seed: u64) -> Result<Array> {
    random::key(seed).map_err(mlx)
}

pub(crate) fn random_split(key: &Array) -> Result<Vec<Array>> {
    let (a, b) = random::split(key, 2).map_err(mlx)?;
    Ok(vec![a, b])
}

pub(crate) fn categorical(logits: &Array, axis: i32, key: &Array) -> Result<Array> {
    random::categorical(logits, axis, None, key).map_err(mlx)
}
