//! macOS backend: one-line forwards to mlx-rs 0.33 (MLX on Metal). Nothing else lives here.
//!
//! Same contract as `linux.rs` ([`Backend`]); `Raw` is [`mlx_rs::Array`] (reference-counted,
//! `Clone` shares the buffer). Every call uses mlx-rs's default stream (the default device:
//! the GPU on Apple silicon), as the Linux shim uses MLX's default stream.
//!
//! Built on Linux only by `scripts/check-macos.sh` (type-check through the mlx-sys stand-in in
//! `tools/mlx-sys-check`); it runs only on macOS.
//!
//! Differences from the Linux backend, all forced by mlx-rs 0.33 having no wider API:
//! - `version()`: mlx-rs exposes no MLX version call; it asks mlx-c (`mlx_version`) through
//!   mlx-sys, the crate mlx-rs itself builds on.
//! - memory statistics: mlx-rs returns `Result`; an MLX failure reads as 0 (the Linux shim
//!   cannot report one either).
//! - `slice` / `slice_update` go through mlx-rs indexing (`start..stop` per axis), which calls
//!   the same `mlx_slice` / `mlx_slice_update` (stride 1) as the Linux shim.

use mlx_rs::error::{AsSliceError, Exception, IoError};
use mlx_rs::ops::indexing::{
    ArrayIndex, ArrayIndexOp, IndexUpdateError, TryIndexOp, TryIndexUpdateOp, UpdateMode,
};
use mlx_rs::{fast, memory, nn, ops, random, transforms, Array, Device, DeviceType};

use super::{Backend, Fold};
use crate::ops::{BinaryOp, Dtype, MaskKind, ReduceOp, UnaryOp};
use crate::{Error, Result};

pub(crate) struct Macos;

/// The compiled closure mlx-rs returns for [`crate::compiled::CompiledFn`].
type CompiledClosure =
    Box<dyn for<'a> FnMut(&'a [Array]) -> std::result::Result<Vec<Array>, Exception>>;

/// An mlx-rs compiled function whose body is `crate::compiled::trace_current`.
pub(crate) struct MacosCompiled(CompiledClosure);

// SAFETY: mlx-rs marks `Compiled` !Send only through a `PhantomData<Rc<()>>`; the value owns its
// state (the captured body has no captures; an id and a handle to MLX's process-global compile
// cache) and shares no `Rc` with anything. It is used through `&mut`, one thread at a time.
unsafe impl Send for MacosCompiled {}

/// The body of every compiled function: the Rust function registered for the call in progress.
fn trace_body(args: &[Array]) -> std::result::Result<Vec<Array>, Exception> {
    crate::compiled::trace_current(args.to_vec()).map_err(|e| Exception::custom(e.to_string()))
}

/// BenchBar's own kernels are CUDA kernels.
fn no_kernels() -> Error {
    Error::Mlx("BenchBar's kernels exist for MLX CUDA only".into())
}

fn mlx(e: Exception) -> Error {
    let what = e.what();
    // MLX finds its Metal shaders (mlx.metallib) next to the executable or at the path compiled
    // in on the build machine; its message names both paths. Say what to do about it.
    if what.contains("Failed to load device library") || what.contains("metallib") {
        return Error::Mlx(format!(
            "{} (MLX's Metal library mlx.metallib must sit next to the executable: beside \
             `benchbar`, or in BenchBar.app/Contents/MacOS; reinstall BenchBar)",
            what.replace('\n', " ").trim()
        ));
    }
    Error::Mlx(what.to_owned())
}

// mlx-rs wraps MLX's exception in its other error types; keep MLX's message, as on Linux.
fn io(e: IoError) -> Error {
    match e {
        IoError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

fn slice_err(e: AsSliceError) -> Error {
    match e {
        AsSliceError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

fn update_err(e: IndexUpdateError) -> Error {
    match e {
        IndexUpdateError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

fn to_mlx(d: Dtype) -> mlx_rs::Dtype {
    match d {
        Dtype::Bool => mlx_rs::Dtype::Bool,
        Dtype::U8 => mlx_rs::Dtype::Uint8,
        Dtype::U32 => mlx_rs::Dtype::Uint32,
        Dtype::I32 => mlx_rs::Dtype::Int32,
        Dtype::I64 => mlx_rs::Dtype::Int64,
        Dtype::F16 => mlx_rs::Dtype::Float16,
        Dtype::BF16 => mlx_rs::Dtype::Bfloat16,
        Dtype::F32 => mlx_rs::Dtype::Float32,
    }
}

/// `start..stop` on every axis, as mlx-rs index operations.
fn ranges<'a>(start: &[i32], stop: &[i32]) -> Result<Vec<ArrayIndexOp<'a>>> {
    if start.len() != stop.len() {
        return Err(Error::Mlx(format!(
            "slice: start {start:?} and stop {stop:?} differ in rank"
        )));
    }
    Ok(start
        .iter()
        .zip(stop)
        .map(|(&a, &b)| (a..b).index_op())
        .collect())
}

fn check_len(n: usize, shape: &[i32]) -> Result<()> {
    let want: i64 = shape.iter().map(|&d| d as i64).product();
    if shape.iter().any(|&d| d < 0) || want != n as i64 {
        return Err(Error::Mlx(format!(
            "{n} values do not fill shape {shape:?}"
        )));
    }
    Ok(())
}

impl Backend for Macos {
    type Raw = Array;
    type Compiled = MacosCompiled;

    fn compile_new(shapeless: bool) -> Result<MacosCompiled> {
        let compiled = transforms::compile::compile(trace_body, Some(shapeless));
        Ok(MacosCompiled(Box::new(compiled)))
    }
    fn compile_call(c: &mut MacosCompiled, inputs: &[&Array]) -> Result<Vec<Array>> {
        let args: Vec<Array> = inputs.iter().map(|a| (*a).clone()).collect();
        (c.0)(&args).map_err(mlx)
    }
    fn wait(a: &Array) -> Result<()> {
        a.eval().map_err(mlx)
    }
    fn read_u32(a: &Array) -> Result<Vec<u32>> {
        a.eval().map_err(mlx)?;
        match a.dtype() {
            mlx_rs::Dtype::Uint32 => Ok(a.try_as_slice::<u32>().map_err(slice_err)?.to_vec()),
            mlx_rs::Dtype::Int32 => Ok(a
                .try_as_slice::<i32>()
                .map_err(slice_err)?
                .iter()
                .map(|&t| t as u32)
                .collect()),
            _ => Ok(Self::to_i32_vec(a)?.into_iter().map(|t| t as u32).collect()),
        }
    }
    fn slice_update_dynamic(
        src: &Array,
        update: &Array,
        start: &Array,
        axes: &[i32],
    ) -> Result<Array> {
        let stream = mlx_rs::Stream::thread_local_or_default();
        // SAFETY: mlx_array_new returns an empty, owned array handle for the op to fill.
        let mut res = unsafe { mlx_sys::mlx_array_new() };
        // SAFETY: every handle is valid for the call (borrowed arrays, the stream above); `axes`
        // points to `axes.len()` ints alive for the call; `res` is the output handle.
        let rc = unsafe {
            mlx_sys::mlx_slice_update_dynamic(
                &mut res,
                src.as_ptr(),
                update.as_ptr(),
                start.as_ptr(),
                axes.as_ptr(),
                axes.len(),
                stream.as_ptr(),
            )
        };
        if rc != 0 {
            // SAFETY: `res` is the handle created above, not used after this.
            unsafe { mlx_sys::mlx_array_free(res) };
            return Err(Error::Mlx("slice_update (dynamic start) failed".into()));
        }
        // SAFETY: on success `res` is an owned array handle; Array takes ownership (frees it).
        Ok(unsafe { Array::from_ptr(res) })
    }
    fn device_description() -> String {
        if Self::default_device_is_gpu() {
            "gpu (Metal)".into()
        } else {
            "cpu".into()
        }
    }
    fn build() -> String {
        let mut ok = false;
        // SAFETY: `ok` is a valid bool for mlx_metal_is_available to write.
        let rc = unsafe { mlx_sys::mlx_metal_is_available(&mut ok) };
        if rc == 0 && ok { "metal" } else { "cpu" }.into()
    }

    fn from_f32(data: &[f32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        Ok(Array::from_slice(data, shape))
    }
    fn from_i32(data: &[i32], shape: &[i32]) -> Result<Array> {
        check_len(data.len(), shape)?;
        Ok(Array::from_slice(data, shape))
    }
    fn full(shape: &[i32], value: f32, dtype: Dtype) -> Result<Array> {
        Array::full::<f32>(shape, Array::from_f32(value))
            .and_then(|a| a.as_dtype(to_mlx(dtype)))
            .map_err(mlx)
    }
    fn arange(start: i32, stop: i32) -> Result<Array> {
        Array::arange::<i32, i32>(start, stop, None).map_err(mlx)
    }

    fn shape(a: &Array) -> Vec<i32> {
        a.shape().to_vec()
    }
    fn dtype(a: &Array) -> Option<Dtype> {
        Some(match a.dtype() {
            mlx_rs::Dtype::Bool => Dtype::Bool,
            mlx_rs::Dtype::Uint8 => Dtype::U8,
            mlx_rs::Dtype::Uint32 => Dtype::U32,
            mlx_rs::Dtype::Int32 => Dtype::I32,
            mlx_rs::Dtype::Int64 => Dtype::I64,
            mlx_rs::Dtype::Float16 => Dtype::F16,
            mlx_rs::Dtype::Bfloat16 => Dtype::BF16,
            mlx_rs::Dtype::Float32 => Dtype::F32,
            _ => return None,
        })
    }
    fn nbytes(a: &Array) -> usize {
        a.nbytes()
    }
    fn to_f32_vec(a: &Array) -> Result<Vec<f32>> {
        if a.size() == 0 {
            return Ok(Vec::new());
        }
        let x = a
            .as_dtype(mlx_rs::Dtype::Float32)
            .and_then(|x| x.contiguous())
            .map_err(mlx)?;
        x.try_as_slice::<f32>()
            .map(<[f32]>::to_vec)
            .map_err(slice_err)
    }
    fn to_i32_vec(a: &Array) -> Result<Vec<i32>> {
        if a.size() == 0 {
            return Ok(Vec::new());
        }
        let x = a
            .as_dtype(mlx_rs::Dtype::Int32)
            .and_then(|x| x.contiguous())
            .map_err(mlx)?;
        x.try_as_slice::<i32>()
            .map(<[i32]>::to_vec)
            .map_err(slice_err)
    }
    fn eval(arrays: &[&Array]) -> Result<()> {
        transforms::eval(arrays.iter().copied()).map_err(mlx)
    }
    fn async_eval(arrays: &[&Array]) -> Result<()> {
        transforms::async_eval(arrays.iter().copied()).map_err(mlx)
    }

    fn binary(op: BinaryOp, a: &Array, b: &Array) -> Result<Array> {
        match op {
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
        }
        .map_err(mlx)
    }
    fn unary(op: UnaryOp, a: &Array) -> Result<Array> {
        match op {
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
    fn where_(cond: &Array, x: &Array, y: &Array) -> Result<Array> {
        ops::select(cond, x, y).map_err(mlx)
    }
    fn astype(a: &Array, dtype: Dtype) -> Result<Array> {
        a.as_dtype(to_mlx(dtype)).map_err(mlx)
    }

    fn reshape(a: &Array, shape: &[i32]) -> Result<Array> {
        ops::reshape(a, shape).map_err(mlx)
    }
    fn transpose(a: &Array, axes: &[i32]) -> Result<Array> {
        ops::transpose_axes(a, axes).map_err(mlx)
    }
    fn concatenate(arrays: &[&Array], axis: i32) -> Result<Array> {
        ops::concatenate(arrays, axis).map_err(mlx)
    }
    fn slice(a: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
        let idx = ranges(start, stop)?;
        a.try_index(&idx[..]).map_err(mlx)
    }
    fn slice_update(src: &Array, update: &Array, start: &[i32], stop: &[i32]) -> Result<Array> {
        let idx = ranges(start, stop)?;
        src.try_index_update(&idx[..], update, UpdateMode::Replace)
            .map_err(update_err)
    }
    fn take(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
        ops::indexing::take_axis(a, indices, axis).map_err(mlx)
    }
    fn take_along_axis(a: &Array, indices: &Array, axis: i32) -> Result<Array> {
        ops::indexing::take_along_axis(a, indices, axis).map_err(mlx)
    }

    fn reduce(op: ReduceOp, a: &Array, axis: i32, keepdims: bool) -> Result<Array> {
        match op {
            ReduceOp::Sum => ops::sum_axis(a, axis, keepdims),
            ReduceOp::Max => ops::max_axis(a, axis, keepdims),
            ReduceOp::Min => ops::min_axis(a, axis, keepdims),
            ReduceOp::LogSumExp => ops::logsumexp_axis(a, axis, keepdims),
            ReduceOp::ArgMax => ops::indexing::argmax_axis(a, axis, keepdims),
        }
        .map_err(mlx)
    }
    fn softmax(a: &Array, axis: i32, precise: bool) -> Result<Array> {
        ops::softmax_axis(a, axis, precise).map_err(mlx)
    }
    fn sort(a: &Array, axis: i32) -> Result<Array> {
        ops::sort_axis(a, axis).map_err(mlx)
    }
    fn argsort(a: &Array, axis: i32) -> Result<Array> {
        ops::argsort_axis(a, axis).map_err(mlx)
    }
    fn argpartition(a: &Array, kth: i32, axis: i32) -> Result<Array> {
        ops::argpartition_axis(a, kth, axis).map_err(mlx)
    }
    fn cumsum(a: &Array, axis: i32, reverse: bool, inclusive: bool) -> Result<Array> {
        ops::cumsum(a, axis, reverse, inclusive).map_err(mlx)
    }

    fn matmul(a: &Array, b: &Array) -> Result<Array> {
        ops::matmul(a, b).map_err(mlx)
    }
    fn quantized_matmul(
        x: &Array,
        w: &Array,
        scales: &Array,
        biases: Option<&Array>,
        transpose: bool,
        group_size: i32,
        bits: i32,
    ) -> Result<Array> {
        ops::quantized_matmul(x, w, scales, biases, transpose, group_size, bits).map_err(mlx)
    }
    fn kernels_available() -> bool {
        false // Metal: MLX's own kernels (BenchBar's are written for MLX CUDA)
    }
    fn gemv_q4(
        _x: &Array,
        _w: &Array,
        _s: &Array,
        _b: &Array,
        _fold: Fold<'_, Array>,
    ) -> Result<Array> {
        Err(no_kernels())
    }
    fn gemv(_x: &Array, _w: &Array, _fold: Fold<'_, Array>) -> Result<Array> {
        Err(no_kernels())
    }
    fn add_rms_norm(_x: &Array, _r: &Array, _w: &Array, _eps: f32) -> Result<(Array, Array)> {
        Err(no_kernels())
    }
    fn qk_norm_rope_kv(
        _qkv: &Array,
        _norms: (&Array, &Array),
        _cache: (&Array, &Array),
        _pos: i32,
        _rope: (f32, f32),
        _heads: (i32, i32),
    ) -> Result<Array> {
        Err(no_kernels())
    }
    fn attn_decode(
        _q: &Array,
        _cache: (&Array, &Array),
        _scratch: (&Array, &Array),
        _n: i32,
        _scale: f32,
    ) -> Result<Array> {
        Err(no_kernels())
    }
    fn quantize(w: &Array, group_size: i32, bits: i32) -> Result<(Array, Array, Array)> {
        ops::quantize(w, group_size, bits).map_err(mlx)
    }
    fn dequantize(
        w: &Array,
        scales: &Array,
        biases: Option<&Array>,
        group_size: i32,
        bits: i32,
    ) -> Result<Array> {
        ops::dequantize(w, scales, biases, group_size, bits).map_err(mlx)
    }

    fn rms_norm(x: &Array, weight: Option<&Array>, eps: f32) -> Result<Array> {
        fast::rms_norm(x, weight, eps).map_err(mlx)
    }
    fn rope(
        x: &Array,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offset: i32,
    ) -> Result<Array> {
        fast::rope(x, dims, traditional, base, scale, offset, None).map_err(mlx)
    }
    fn rope_offsets(
        x: &Array,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offsets: &Array,
    ) -> Result<Array> {
        fast::rope_dynamic(x, dims, traditional, base, scale, offsets, None).map_err(mlx)
    }
    fn sdpa(
        q: &Array,
        k: &Array,
        v: &Array,
        scale: f32,
        mask_kind: MaskKind,
        mask: Option<&Array>,
    ) -> Result<Array> {
        use fast::ScaledDotProductAttentionMask as M;
        let mask = match (mask_kind, mask) {
            (MaskKind::None, _) => None,
            (MaskKind::Causal, _) => Some(M::Causal),
            (MaskKind::Array, Some(m)) => Some(M::Array(m)),
            (MaskKind::Array, None) => {
                return Err(Error::Mlx("sdpa: MaskKind::Array needs a mask".into()))
            }
        };
        fast::scaled_dot_product_attention(q, k, v, scale, mask, None).map_err(mlx)
    }

    fn random_key(seed: u64) -> Result<Array> {
        random::key(seed).map_err(mlx)
    }
    fn random_split(key: &Array) -> Result<(Array, Array)> {
        random::split(key, 2).map_err(mlx)
    }
    fn categorical(logits: &Array, axis: i32, key: &Array) -> Result<Array> {
        random::categorical(logits, axis, None, key).map_err(mlx)
    }

    fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Array)>> {
        let map = Array::load_safetensors(path).map_err(io)?;
        Ok(map.into_iter().collect())
    }
    fn active_memory() -> usize {
        memory::active_memory().unwrap_or(0)
    }
    fn peak_memory() -> usize {
        memory::peak_memory().unwrap_or(0)
    }
    fn reset_peak_memory() {
        let _ = memory::reset_peak_memory();
    }
    fn cache_memory() -> usize {
        memory::cache_memory().unwrap_or(0)
    }
    fn clear_cache() {
        let _ = memory::clear_cache();
    }
    fn version() -> String {
        // SAFETY: mlx_string_new returns an empty, owned mlx-c string handle.
        let mut s = unsafe { mlx_sys::mlx_string_new() };
        // SAFETY: `s` is a valid handle for mlx_version to fill.
        let rc = unsafe { mlx_sys::mlx_version(&mut s) };
        let version = if rc == 0 {
            // SAFETY: after a successful mlx_version, mlx_string_data points to a
            // NUL-terminated string owned by `s`, alive until mlx_string_free below.
            unsafe { std::ffi::CStr::from_ptr(mlx_sys::mlx_string_data(s)) }
                .to_string_lossy()
                .into_owned()
        } else {
            "unknown".to_owned()
        };
        // SAFETY: `s` is freed exactly once and not used afterwards.
        unsafe { mlx_sys::mlx_string_free(s) };
        version
    }
    fn default_device_is_gpu() -> bool {
        Device::try_default()
            .and_then(|d| d.get_type())
            .is_ok_and(|t| matches!(t, DeviceType::Gpu))
    }
}
