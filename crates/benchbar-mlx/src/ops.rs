//! BenchBar's own small MLX API: an [`Array`] handle and the operations a Qwen3 forward pass,
//! the KV cache and the sampler need. Everything forwards to the platform backend
//! (`crate::backend`), so this file and the model code above it are platform independent.
//!
//! Arrays are lazy: operations build a graph; [`eval`] / [`Array::to_f32_vec`] materialise it.

use crate::backend::{Active as B, Backend, Raw};
use crate::Result;

/// Element types BenchBar uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// bool
    Bool,
    /// uint8
    U8,
    /// uint32 (packed quantized weights, argmax/argsort results)
    U32,
    /// int32 (token ids, positions)
    I32,
    /// int64
    I64,
    /// float16
    F16,
    /// bfloat16
    BF16,
    /// float32
    F32,
}

impl Dtype {
    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::U8 => 1,
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 => 8,
        }
    }
    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(self, Dtype::F16 | Dtype::BF16 | Dtype::F32)
    }
}

/// Broadcasting binary operations (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BinaryOp {
    /// a + b
    Add = 0,
    /// a - b
    Sub = 1,
    /// a * b
    Mul = 2,
    /// a / b
    Div = 3,
    /// max(a, b)
    Maximum = 4,
    /// min(a, b)
    Minimum = 5,
    /// a < b
    Less = 6,
    /// a <= b
    LessEqual = 7,
    /// a > b
    Greater = 8,
    /// a >= b
    GreaterEqual = 9,
    /// a == b
    Equal = 10,
    /// a && b
    LogicalAnd = 11,
}

/// Unary operations (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum UnaryOp {
    /// 1 / (1 + e^-x)
    Sigmoid = 0,
    /// e^x
    Exp = 1,
    /// ln x
    Log = 2,
    /// -x
    Neg = 3,
    /// !x
    LogicalNot = 4,
    /// x * sigmoid(x), as `mlx.nn.silu`
    Silu = 5,
    /// Identity as a new graph node that shares its input's buffer (`stop_gradient`: no kernel).
    /// The decode loop hands such a node to its timestamp thread, which waits on it without
    /// touching the arrays the decode thread uses.
    StopGradient = 6,
}

/// Single-axis reductions (codes shared with the C++ shim).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ReduceOp {
    /// sum
    Sum = 0,
    /// max
    Max = 1,
    /// min
    Min = 2,
    /// log(sum(exp))
    LogSumExp = 3,
    /// index of the max (uint32)
    ArgMax = 4,
}

/// Attention mask passed to [`scaled_dot_product_attention`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskKind {
    /// No mask (every query sees every key).
    None,
    /// Causal, aligned to the end: query i of L sees keys `..= kL - L + i`.
    Causal,
    /// Explicit mask array broadcastable to `[B, H, L, kL]` (bool: true = attend).
    Array,
}

/// A lazily evaluated MLX array. Cloning is cheap (shares the buffer).
#[derive(Clone)]
pub struct Array(pub(crate) Raw);

impl std::fmt::Debug for Array {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Array({:?}, {:?})", self.shape(), self.dtype())
    }
}

impl Array {
    /// f32 array from host data.
    pub fn from_f32(data: &[f32], shape: &[i32]) -> Result<Array> {
        Ok(Array(B::from_f32(data, shape)?))
    }
    /// i32 array from host data.
    pub fn from_i32(data: &[i32], shape: &[i32]) -> Result<Array> {
        Ok(Array(B::from_i32(data, shape)?))
    }
    /// Scalar of `dtype`.
    pub fn scalar(value: f32, dtype: Dtype) -> Result<Array> {
        full(&[], value, dtype)
    }
    /// Shape.
    pub fn shape(&self) -> Vec<i32> {
        B::shape(&self.0)
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
        B::dtype(&self.0)
    }
    /// Bytes of data.
    pub fn nbytes(&self) -> usize {
        B::nbytes(&self.0)
    }
    /// Evaluate and copy to the host as f32.
    pub fn to_f32_vec(&self) -> Result<Vec<f32>> {
        B::to_f32_vec(&self.0)
    }
    /// Evaluate and copy to the host as i32.
    pub fn to_i32_vec(&self) -> Result<Vec<i32>> {
        B::to_i32_vec(&self.0)
    }
    /// Wait until this array is computed, without reading its data (a scheduled array waits on
    /// its own event).
    pub fn wait(&self) -> Result<()> {
        B::wait(&self.0)
    }
    /// Wait for this (u32/i32) array and copy it out without scheduling any operation, so that
    /// work scheduled after it (the next decode step) is not waited for.
    pub fn read_u32(&self) -> Result<Vec<u32>> {
        B::read_u32(&self.0)
    }
}

/// Evaluate arrays (blocking).
pub fn eval(arrays: &[&Array]) -> Result<()> {
    let raw: Vec<&Raw> = arrays.iter().map(|a| &a.0).collect();
    B::eval(&raw)
}

/// Schedule evaluation (non-blocking); a later [`eval`] or host copy waits for it.
pub fn async_eval(arrays: &[&Array]) -> Result<()> {
    let raw: Vec<&Raw> = arrays.iter().map(|a| &a.0).collect();
    B::async_eval(&raw)
}

/// Array of `shape` filled with `value`.
pub fn full(shape: &[i32], value: f32, dtype: Dtype) -> Result<Array> {
    Ok(Array(B::full(shape, value, dtype)?))
}

/// Zeros.
pub fn zeros(shape: &[i32], dtype: Dtype) -> Result<Array> {
    full(shape, 0.0, dtype)
}

/// `[start, stop)` int32.
pub fn arange(start: i32, stop: i32) -> Result<Array> {
    Ok(Array(B::arange(start, stop)?))
}

/// Broadcasting binary op.
pub fn binary(op: BinaryOp, a: &Array, b: &Array) -> Result<Array> {
    Ok(Array(B::binary(op, &a.0, &b.0)?))
}
/// a + b
pub fn add(a: &Array, b: &Array) -> Result<Array> {
    binary(BinaryOp::Add, a, b)
}
/// a - b
pub fn sub(a: &Array, b: &Array) -> Result<Array> {
    binary(BinaryOp::Sub, a, b)
}
/// a * b
pub fn mul(a: &Array, b: &Array) -> Result<Array> {
    binary(BinaryOp::Mul, a, b)
}
/// a / b
pub fn div(a: &Array, b: &Array) -> Result<Array> {
    binary(BinaryOp::Div, a, b)
}

/// Unary op.
pub fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
    Ok(Array(B::unary(op, &a.0)?))
}
/// x * sigmoid(x)
pub fn silu(a: &Array) -> Result<Array> {
    unary(UnaryOp::Silu, a)
}

/// `cond ? x : y`
pub fn where_(cond: &Array, x: &Array, y: &Array) -> Result<Array> {
    Ok(Array(B::where_(&cond.0, &x.0, &y.0)?))
}

/// Cast.
pub fn astype(a: &Array, dtype: Dtype) -> Result<Array> {
    Ok(Array(B::astype(&a.0, dtype)?))
}

/// Reshape (one dimension may be -1).
pub fn reshape(a: &Array, shape: &[i32]) -> Result<Array> {
    Ok(Array(B::reshape(&a.0, shape)?))
}

/// Permute axes.
pub fn transpose(a: &Array, axes: &[i32]) -> Result<Array> {
    Ok(Array(B::transpose(&a.0, axes)?))
}

/// Join along `axis`.
pub fn concatenate(arrays: &[&Array], axis: i32) -> Result<Array> {
    let raw: Vec<&Raw> = arrays.iter().map(|a| &a.0).collect();
    Ok(Array(B::concatenate(&raw, axis)?))
}

/// `a[start..stop]` on every axis.
pub fn slice(a: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
    Ok(Array(B::slice(&a.0, start, stop)?))
}

/// Copy of `src` with `src[start..stop] = update` (MLX makes it in place when `src` is unshared).
pub fn slice_update(src: &Array, update: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
    Ok(Array(B::slice_update(&src.0, &update.0, start, stop)?))
}

/// Copy of `src` with `update` written starting at the positions in `start` (int32 array, one
/// per axis of `axes`); the start may be computed on the device (compiled steps).
pub fn slice_update_dynamic(
    src: &Array,
    update: &Array,
    start: &Array,
    axes: &[i32],
) -> Result<Array> {
    Ok(Array(B::slice_update_dynamic(
        &src.0, &update.0, &start.0, axes,
    )?))
}

/// Gather along `axis` (embedding lookup: `take(table, ids, 0)`).
pub fn take(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    Ok(Array(B::take(&a.0, &indices.0, axis)?))
}

/// Gather along `axis` with per-position indices.
pub fn take_along_axis(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
    Ok(Array(B::take_along_axis(&a.0, &indices.0, axis)?))
}

/// Single-axis reduction.
pub fn reduce(op: ReduceOp, a: &Array, axis: i32, keepdims: bool) -> Result<Array> {
    Ok(Array(B::reduce(op, &a.0, axis, keepdims)?))
}

/// Index of the max along `axis` (uint32).
pub fn argmax(a: &Array, axis: i32) -> Result<Array> {
    reduce(ReduceOp::ArgMax, a, axis, false)
}

/// Softmax along `axis`.
pub fn softmax(a: &Array, axis: i32, precise: bool) -> Result<Array> {
    Ok(Array(B::softmax(&a.0, axis, precise)?))
}

/// Ascending sort along `axis`.
pub fn sort(a: &Array, axis: i32) -> Result<Array> {
    Ok(Array(B::sort(&a.0, axis)?))
}

/// Indices of an ascending sort along `axis`.
pub fn argsort(a: &Array, axis: i32) -> Result<Array> {
    Ok(Array(B::argsort(&a.0, axis)?))
}

/// Indices such that the `kth` element is in sorted position.
pub fn argpartition(a: &Array, kth: i32, axis: i32) -> Result<Array> {
    Ok(Array(B::argpartition(&a.0, kth, axis)?))
}

/// Cumulative sum along `axis`.
pub fn cumsum(a: &Array, axis: i32, reverse: bool, inclusive: bool) -> Result<Array> {
    Ok(Array(B::cumsum(&a.0, axis, reverse, inclusive)?))
}

/// Matrix product.
pub fn matmul(a: &Array, b: &Array) -> Result<Array> {
    Ok(Array(B::matmul(&a.0, &b.0)?))
}

/// MLX affine quantization parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantParams {
    /// Elements sharing one scale/bias (32, 64 or 128).
    pub group_size: i32,
    /// Bits per element (2, 3, 4, 5, 6 or 8 in MLX; BenchBar's model accepts 4 and 8).
    pub bits: i32,
}

/// `x @ dequantize(w).T` (`transpose`) or `x @ dequantize(w)`.
pub fn quantized_matmul(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    transpose: bool,
    q: QuantParams,
) -> Result<Array> {
    Ok(Array(B::quantized_matmul(
        &x.0,
        &w.0,
        &scales.0,
        biases.map(|b| &b.0),
        transpose,
        q.group_size,
        q.bits,
    )?))
}

/// Affine-quantize the last axis: (packed weight, scales, biases).
pub fn quantize(w: &Array, q: QuantParams) -> Result<(Array, Array, Array)> {
    let (a, b, c) = B::quantize(&w.0, q.group_size, q.bits)?;
    Ok((Array(a), Array(b), Array(c)))
}

/// Inverse of [`quantize`].
pub fn dequantize(
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    q: QuantParams,
) -> Result<Array> {
    Ok(Array(B::dequantize(
        &w.0,
        &scales.0,
        biases.map(|b| &b.0),
        q.group_size,
        q.bits,
    )?))
}

/// Fused RMS norm over the last axis.
pub fn rms_norm(x: &Array, weight: Option<&Array>, eps: f32) -> Result<Array> {
    Ok(Array(B::rms_norm(&x.0, weight.map(|w| &w.0), eps)?))
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
    Ok(Array(match offset {
        RopeOffset::Scalar(o) => B::rope(&x.0, dims, traditional, base, scale, o)?,
        RopeOffset::PerRow(a) => B::rope_offsets(&x.0, dims, traditional, base, scale, &a.0)?,
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
    Ok(Array(B::sdpa(
        &q.0,
        &k.0,
        &v.0,
        scale,
        mask_kind,
        mask.map(|m| &m.0),
    )?))
}

/// PRNG key.
pub fn random_key(seed: u64) -> Result<Array> {
    Ok(Array(B::random_key(seed)?))
}

/// Split a PRNG key into two.
pub fn random_split(key: &Array) -> Result<(Array, Array)> {
    let (a, b) = B::random_split(&key.0)?;
    Ok((Array(a), Array(b)))
}

/// Sample indices along `axis` from unnormalised log-probabilities.
pub fn categorical(logits: &Array, axis: i32, key: &Array) -> Result<Array> {
    Ok(Array(B::categorical(&logits.0, axis, &key.0)?))
}

/// Load every tensor of a safetensors file (MLX reads lazily).
pub fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Array)>> {
    Ok(B::load_safetensors(path)?
        .into_iter()
        .map(|(n, a)| (n, Array(a)))
        .collect())
}

/// MLX allocator statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct MemoryStats {
    /// Bytes held by live arrays.
    pub active_bytes: u64,
    /// Peak of `active_bytes` since start or the last [`reset_peak_memory`].
    pub peak_bytes: u64,
    /// Bytes in MLX's buffer cache (freed arrays kept for reuse).
    pub cache_bytes: u64,
}

/// Current MLX memory statistics.
pub fn memory() -> MemoryStats {
    MemoryStats {
        active_bytes: B::active_memory() as u64,
        peak_bytes: B::peak_memory() as u64,
        cache_bytes: B::cache_memory() as u64,
    }
}

/// Reset MLX's peak-memory counter.
pub fn reset_peak_memory() {
    B::reset_peak_memory()
}

/// Release MLX's buffer cache.
pub fn clear_cache() {
    B::clear_cache()
}

/// MLX version, e.g. "0.32.4".
pub fn mlx_version() -> String {
    B::version()
}

/// "gpu" when MLX's default device is a GPU, else "cpu".
pub fn device_name() -> &'static str {
    if B::default_device_is_gpu() {
        "gpu"
    } else {
        "cpu"
    }
}

/// The default device and its name when MLX knows it, e.g. `gpu (NVIDIA H100 80GB HBM3)`.
pub fn device_description() -> String {
    B::device_description()
}

/// The MLX backend in use: `cuda`, `metal` or `cpu` (which `libmlx` was loaded).
pub fn mlx_build() -> String {
    B::build()
}
