//! Linux backend: a cxx bridge over the MLX C++ API, linked against the `libmlx.so` of the
//! PyPI `mlx` wheel (see build.rs). The bridge's functions are the backend's operations
//! (defined in `shim/ops.h`); this file adds the array handle and the adapters of
//! `crate::backend`.

use super::trace::{trace_current, with_trace_body, TraceBody};
use crate::{Error, Result};
use cxx::UniquePtr;

#[cxx::bridge(namespace = "benchbar")]
pub(crate) mod ffi {
    unsafe extern "C++" {
        include!("benchbar-mlx/shim/ops.h");

        type Arr;
        type ArrList;
        type ArrMap;
        type Compiled;

        fn arr_clone(a: &Arr) -> UniquePtr<Arr>;
        fn list_new() -> UniquePtr<ArrList>;
        fn list_push(l: Pin<&mut ArrList>, a: &Arr);
        fn list_len(l: &ArrList) -> usize;
        fn list_get(l: &ArrList, i: usize) -> Result<UniquePtr<Arr>>;

        fn from_f32(data: &[f32], shape: &[i32]) -> Result<UniquePtr<Arr>>;
        fn from_i32(data: &[i32], shape: &[i32]) -> Result<UniquePtr<Arr>>;
        fn full(shape: &[i32], value: f32, dtype: u8) -> Result<UniquePtr<Arr>>;
        fn arange(start: i32, stop: i32) -> Result<UniquePtr<Arr>>;

        fn shape(a: &Arr) -> Vec<i32>;
        fn dtype(a: &Arr) -> u8;
        fn nbytes(a: &Arr) -> usize;
        fn to_f32_vec(a: &Arr) -> Result<Vec<f32>>;
        fn to_i32_vec(a: &Arr) -> Result<Vec<i32>>;
        fn read_u32(a: &Arr) -> Result<Vec<u32>>;
        fn wait_ready(a: &Arr) -> Result<()>;
        fn eval(l: &ArrList) -> Result<()>;
        fn async_eval(l: &ArrList) -> Result<()>;

        fn binary(op: u8, a: &Arr, b: &Arr) -> Result<UniquePtr<Arr>>;
        fn unary(op: u8, a: &Arr) -> Result<UniquePtr<Arr>>;
        fn where_(c: &Arr, x: &Arr, y: &Arr) -> Result<UniquePtr<Arr>>;
        fn astype(a: &Arr, dtype: u8) -> Result<UniquePtr<Arr>>;

        fn reshape(a: &Arr, shape: &[i32]) -> Result<UniquePtr<Arr>>;
        fn transpose(a: &Arr, axes: &[i32]) -> Result<UniquePtr<Arr>>;
        fn concatenate(l: &ArrList, axis: i32) -> Result<UniquePtr<Arr>>;
        fn slice(a: &Arr, start: &[i32], stop: &[i32]) -> Result<UniquePtr<Arr>>;
        fn slice_update(
            src: &Arr,
            upd: &Arr,
            start: &[i32],
            stop: &[i32],
        ) -> Result<UniquePtr<Arr>>;
        fn take(a: &Arr, idx: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn take_along_axis(a: &Arr, idx: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;

        fn reduce(op: u8, a: &Arr, axis: i32, keepdims: bool) -> Result<UniquePtr<Arr>>;
        fn softmax(a: &Arr, axis: i32, precise: bool) -> Result<UniquePtr<Arr>>;
        fn sort(a: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn argsort(a: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn argpartition(a: &Arr, kth: i32, axis: i32) -> Result<UniquePtr<Arr>>;
        fn cumsum(a: &Arr, axis: i32, reverse: bool, inclusive: bool) -> Result<UniquePtr<Arr>>;
        fn conv1d(a: &Arr, w: &Arr, groups: i32) -> Result<UniquePtr<Arr>>;

        fn matmul(a: &Arr, b: &Arr) -> Result<UniquePtr<Arr>>;
        #[allow(clippy::too_many_arguments)]
        fn quantized_matmul(
            x: &Arr,
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            has_biases: bool,
            transpose: bool,
            group_size: i32,
            bits: i32,
            mode: u8,
        ) -> Result<UniquePtr<Arr>>;
        fn gather_mm(a: &Arr, b: &Arr, rhs: &Arr, sorted: bool) -> Result<UniquePtr<Arr>>;
        #[allow(clippy::too_many_arguments)]
        fn gather_qmm(
            x: &Arr,
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            has_biases: bool,
            rhs: &Arr,
            transpose: bool,
            group_size: i32,
            bits: i32,
            mode: u8,
            sorted: bool,
        ) -> Result<UniquePtr<Arr>>;
        fn quantize(w: &Arr, group_size: i32, bits: i32) -> Result<UniquePtr<ArrList>>;
        fn dequantize(
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            has_biases: bool,
            group_size: i32,
            bits: i32,
            mode: u8,
        ) -> Result<UniquePtr<Arr>>;

        fn rms_norm(x: &Arr, w: &Arr, has_weight: bool, eps: f32) -> Result<UniquePtr<Arr>>;
        #[allow(clippy::too_many_arguments)]
        fn rope(
            x: &Arr,
            dims: i32,
            traditional: bool,
            base: f32,
            scale: f32,
            offset: i32,
            freqs: &Arr,
            has_freqs: bool,
        ) -> Result<UniquePtr<Arr>>;
        #[allow(clippy::too_many_arguments)]
        fn rope_offsets(
            x: &Arr,
            dims: i32,
            traditional: bool,
            base: f32,
            scale: f32,
            offsets: &Arr,
            freqs: &Arr,
            has_freqs: bool,
        ) -> Result<UniquePtr<Arr>>;
        fn sdpa(
            q: &Arr,
            k: &Arr,
            v: &Arr,
            scale: f32,
            mask_kind: u8,
            mask: &Arr,
        ) -> Result<UniquePtr<Arr>>;

        fn random_key(seed: u64) -> Result<UniquePtr<Arr>>;
        fn random_split(key: &Arr) -> Result<UniquePtr<ArrList>>;
        fn categorical(logits: &Arr, axis: i32, key: &Arr) -> Result<UniquePtr<Arr>>;

        #[rust_name = "load_safetensors_map"]
        fn load_safetensors(path: &str) -> Result<UniquePtr<ArrMap>>;
        fn map_names(m: &ArrMap) -> Vec<String>;
        fn map_get(m: &ArrMap, i: usize) -> Result<UniquePtr<Arr>>;

        fn active_memory() -> usize;
        fn peak_memory() -> usize;
        fn reset_peak_memory();
        fn cache_memory() -> usize;
        fn clear_cache();
        fn mlx_version() -> String;
        fn default_device_is_gpu() -> bool;
        fn blas_threads_hint() -> i32;
        fn device_description() -> String;
        fn mlx_build() -> String;

        #[rust_name = "compile_raw"]
        fn compile_new(shapeless: bool) -> Result<UniquePtr<Compiled>>;
        #[rust_name = "compile_call_raw"]
        fn compile_call(c: &Compiled, inputs: &ArrList) -> Result<UniquePtr<ArrList>>;
    }

    extern "Rust" {
        /// Body of every compiled function: runs the Rust function registered for the call in
        /// progress (`crate::compiled`), on MLX's tracer arrays.
        fn trace_trampoline(inputs: &ArrList) -> Result<UniquePtr<ArrList>>;
    }
}

pub(crate) use ffi::*;

fn trace_trampoline(inputs: &ffi::ArrList) -> std::result::Result<UniquePtr<ffi::ArrList>, Error> {
    let args = items(inputs)?;
    let out = trace_current(args)?;
    let refs: Vec<&LinuxArray> = out.iter().collect();
    Ok(list(&refs))
}

// SAFETY: `Arr` holds one `mlx::core::array`, a handle whose shared state (shared_ptr with atomic
// refcount) may be moved to and dropped on another thread. It is not `Sync`: MLX does not
// support concurrent graph building on one array from several threads.
unsafe impl Send for ffi::Arr {}

/// An owned MLX array handle; derefs to the bridge's `Arr`, which every operation takes.
pub(crate) struct LinuxArray(UniquePtr<ffi::Arr>);

/// The backend's array.
pub(crate) type Raw = LinuxArray;

impl Clone for LinuxArray {
    fn clone(&self) -> Self {
        LinuxArray(ffi::arr_clone(self))
    }
}

impl std::ops::Deref for LinuxArray {
    type Target = ffi::Arr;
    fn deref(&self) -> &ffi::Arr {
        // Every LinuxArray is made by `arr`, which rejects null pointers.
        self.0.as_ref().expect("non-null MLX array")
    }
}

fn err(e: cxx::Exception) -> Error {
    Error::Mlx(e.what().to_string())
}

/// A call's result that is not an array, with MLX's exception as [`Error::Mlx`].
pub(crate) fn ok<T>(r: std::result::Result<T, cxx::Exception>) -> Result<T> {
    r.map_err(err)
}

/// A call's array.
pub(crate) fn arr(r: std::result::Result<UniquePtr<ffi::Arr>, cxx::Exception>) -> Result<Raw> {
    let p = r.map_err(err)?;
    if p.is_null() {
        return Err(Error::Mlx("MLX returned a null array".into()));
    }
    Ok(LinuxArray(p))
}

/// A call's arrays.
pub(crate) fn arrs(
    r: std::result::Result<UniquePtr<ffi::ArrList>, cxx::Exception>,
) -> Result<Vec<Raw>> {
    let l = r.map_err(err)?;
    items(
        l.as_ref()
            .ok_or_else(|| Error::Mlx("MLX returned a null list".into()))?,
    )
}

fn items(l: &ffi::ArrList) -> Result<Vec<Raw>> {
    (0..ffi::list_len(l))
        .map(|i| arr(ffi::list_get(l, i)))
        .collect()
}

/// The bridge's list of `arrays` (an argument).
pub(crate) fn list(arrays: &[&Raw]) -> UniquePtr<ffi::ArrList> {
    let mut l = ffi::list_new();
    for a in arrays {
        ffi::list_push(l.pin_mut(), a);
    }
    l
}

/// An MLX-compiled function (`mx::compile`) whose body is [`trace_trampoline`].
pub(crate) struct CompiledRaw(UniquePtr<ffi::Compiled>);

// SAFETY: `Compiled` holds a `std::function` whose only capture is an integer id; MLX's compile
// cache it refers to is process-global. It is used through `&mut` (one thread at a time).
unsafe impl Send for CompiledRaw {}

/// A new compiled function (`shapeless`: one trace for every input shape).
pub(crate) fn compile_new(shapeless: bool) -> Result<CompiledRaw> {
    let c = ffi::compile_raw(shapeless).map_err(err)?;
    if c.is_null() {
        return Err(Error::Mlx("compile returned null".into()));
    }
    Ok(CompiledRaw(c))
}

/// Call `c` on `inputs`; MLX runs `body` when it traces.
pub(crate) fn compile_call(
    c: &mut CompiledRaw,
    inputs: &[&Raw],
    body: &TraceBody<'_, Raw>,
) -> Result<Vec<Raw>> {
    let f =
        c.0.as_ref()
            .ok_or_else(|| Error::Mlx("null compiled function".into()))?;
    let inputs = list(inputs);
    arrs(with_trace_body(body, || ffi::compile_call_raw(f, &inputs)))
}

/// All tensors of one safetensors file (lazy: data is read on first use).
pub(crate) fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Raw)>> {
    let p = path
        .to_str()
        .ok_or_else(|| Error::Mlx(format!("non UTF-8 path {}", path.display())))?;
    let m = ffi::load_safetensors_map(p).map_err(err)?;
    ffi::map_names(&m)
        .into_iter()
        .enumerate()
        .map(|(i, n)| Ok((n, arr(ffi::map_get(&m, i))?)))
        .collect()
}

/// Number of BLAS threads when the backend links OpenBLAS (`None` with the wheel's BLAS).
pub(crate) fn blas_threads() -> Option<i32> {
    let n = ffi::blas_threads_hint();
    (n >= 0).then_some(n)
}
