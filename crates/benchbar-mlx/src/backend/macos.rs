//! macOS backend: one-line forwards to mlx-rs 0.33 (MLX on Metal). Nothing else lives here.
//!
//! The same function names and arguments as the Linux bridge (`crate::backend`); `Raw` is
//! [`mlx_rs::Array`] (reference-counted, `Clone` shares the buffer). Every call uses mlx-rs's default stream (the default device:
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
use mlx_rs::ops::indexing::{ArrayIndex, ArrayIndexOp, IndexUpdateError};
use mlx_rs::{memory, transforms, Array, Device, DeviceType};

use super::trace::{trace_current, with_trace_body, TraceBody};
use crate::types::{Code, Dtype};
use crate::{Error, Result};

/// The backend's array.
pub(crate) type Raw = Array;

/// The compiled closure mlx-rs returns for [`crate::compiled::CompiledFn`].
type CompiledClosure =
    Box<dyn for<'a> FnMut(&'a [Array]) -> std::result::Result<Vec<Array>, Exception>>;

/// An mlx-rs compiled function whose body is [`trace_body`].
pub(crate) struct CompiledRaw(CompiledClosure);

// SAFETY: mlx-rs marks `Compiled` !Send only through a `PhantomData<Rc<()>>`; the value owns its
// state (the captured body has no captures; an id and a handle to MLX's process-global compile
// cache) and shares no `Rc` with anything. It is used through `&mut`, one thread at a time.
unsafe impl Send for CompiledRaw {}

/// The body of every compiled function: the Rust function registered for the call in progress.
fn trace_body(args: &[Array]) -> std::result::Result<Vec<Array>, Exception> {
    trace_current(args.to_vec()).map_err(|e| Exception::custom(e.to_string()))
}

pub(super) fn mlx(e: Exception) -> Error {
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
pub(super) fn io(e: IoError) -> Error {
    match e {
        IoError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

pub(super) fn slice_err(e: AsSliceError) -> Error {
    match e {
        AsSliceError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

pub(super) fn update_err(e: IndexUpdateError) -> Error {
    match e {
        IndexUpdateError::Exception(e) => mlx(e),
        e => Error::Mlx(e.to_string()),
    }
}

pub(super) fn to_mlx(d: Dtype) -> mlx_rs::Dtype {
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
pub(super) fn ranges<'a>(start: &[i32], stop: &[i32]) -> Result<Vec<ArrayIndexOp<'a>>> {
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

/// A code the Linux shim would refuse, refused the same way.
pub(super) fn code<T: Code>(c: u8, what: &str) -> Result<T> {
    T::from_code(c).ok_or_else(|| Error::Mlx(format!("benchbar: unknown {what} code {c}")))
}

/// A call's result that is not an array.
pub(crate) fn ok<T>(r: Result<T>) -> Result<T> {
    r
}

/// A call's array.
pub(crate) fn arr(r: Result<Array>) -> Result<Array> {
    r
}

/// A call's arrays.
pub(crate) fn arrs(r: Result<Vec<Array>>) -> Result<Vec<Array>> {
    r
}

/// Arrays as an argument.
pub(crate) fn list(arrays: &[&Array]) -> Vec<Array> {
    arrays.iter().map(|a| (*a).clone()).collect()
}

/// A new compiled function (`shapeless`: one trace for every input shape).
pub(crate) fn compile_new(shapeless: bool) -> Result<CompiledRaw> {
    let compiled = transforms::compile::compile(trace_body, Some(shapeless));
    Ok(CompiledRaw(Box::new(compiled)))
}

/// Call `c` on `inputs`; MLX runs `body` when it traces.
pub(crate) fn compile_call(
    c: &mut CompiledRaw,
    inputs: &[&Array],
    body: &TraceBody<'_, Array>,
) -> Result<Vec<Array>> {
    let args = list(inputs);
    with_trace_body(body, || (c.0)(&args)).map_err(mlx)
}

/// All tensors of one safetensors file (lazy: data is read on first use).
pub(crate) fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Array)>> {
    let map = Array::load_safetensors(path).map_err(io)?;
    Ok(map.into_iter().collect())
}

pub(crate) fn active_memory() -> usize {
    memory::active_memory().unwrap_or(0)
}

pub(crate) fn peak_memory() -> usize {
    memory::peak_memory().unwrap_or(0)
}

pub(crate) fn reset_peak_memory() {
    let _ = memory::reset_peak_memory();
}

pub(crate) fn cache_memory() -> usize {
    memory::cache_memory().unwrap_or(0)
}

pub(crate) fn clear_cache() {
    let _ = memory::clear_cache();
}

pub(crate) fn mlx_version() -> String {
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

pub(crate) fn default_device_is_gpu() -> bool {
    Device::try_default()
        .and_then(|d| d.get_type())
        .is_ok_and(|t| matches!(t, DeviceType::Gpu))
}
