//! Linux backend: a cxx bridge over the MLX C++ API (`shim/shim.{h,cc}`), linked against the
//! `libmlx.so` of the PyPI `mlx` wheel (see build.rs).

use super::{Backend, Fold};
use crate::ops::{BinaryOp, Dtype, MaskKind, ReduceOp, UnaryOp};
use crate::{Error, Result};
use cxx::UniquePtr;

#[cxx::bridge(namespace = "benchbar")]
mod ffi {
    unsafe extern "C++" {
        include!("benchbar-mlx/shim/shim.h");

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
        fn slice_update_dynamic(
            src: &Arr,
            upd: &Arr,
            start: &Arr,
            axes: &[i32],
        ) -> Result<UniquePtr<Arr>>;
        fn take(a: &Arr, idx: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn take_along_axis(a: &Arr, idx: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;

        fn reduce(op: u8, a: &Arr, axis: i32, keepdims: bool) -> Result<UniquePtr<Arr>>;
        fn softmax(a: &Arr, axis: i32, precise: bool) -> Result<UniquePtr<Arr>>;
        fn sort(a: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn argsort(a: &Arr, axis: i32) -> Result<UniquePtr<Arr>>;
        fn argpartition(a: &Arr, kth: i32, axis: i32) -> Result<UniquePtr<Arr>>;
        fn cumsum(a: &Arr, axis: i32, reverse: bool, inclusive: bool) -> Result<UniquePtr<Arr>>;

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
        ) -> Result<UniquePtr<Arr>>;
        fn quantize(w: &Arr, group_size: i32, bits: i32) -> Result<UniquePtr<ArrList>>;
        fn dequantize(
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            has_biases: bool,
            group_size: i32,
            bits: i32,
        ) -> Result<UniquePtr<Arr>>;

        fn rms_norm(x: &Arr, w: &Arr, has_weight: bool, eps: f32) -> Result<UniquePtr<Arr>>;
        fn rope(
            x: &Arr,
            dims: i32,
            traditional: bool,
            base: f32,
            scale: f32,
            offset: i32,
        ) -> Result<UniquePtr<Arr>>;
        fn rope_offsets(
            x: &Arr,
            dims: i32,
            traditional: bool,
            base: f32,
            scale: f32,
            offsets: &Arr,
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

        fn kernels_available() -> bool;
        fn gemv_q4(
            x: &Arr,
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            residual: &Arr,
            fold: u32,
        ) -> Result<UniquePtr<Arr>>;
        fn gemv(
            x: &Arr,
            w: &Arr,
            norm_w: &Arr,
            residual: &Arr,
            fold: u32,
            eps: f32,
        ) -> Result<UniquePtr<Arr>>;
        fn add_rms_norm(x: &Arr, r: &Arr, w: &Arr, eps: f32) -> Result<UniquePtr<ArrList>>;
        #[allow(clippy::too_many_arguments)]
        fn qk_norm_rope_kv(
            qkv: &Arr,
            qw: &Arr,
            kw: &Arr,
            kc: &Arr,
            vc: &Arr,
            pos: i32,
            log2_base: f32,
            eps: f32,
            n_q: i32,
            d: i32,
        ) -> Result<UniquePtr<Arr>>;

        fn attn_decode(
            q: &Arr,
            kc: &Arr,
            vc: &Arr,
            part: &Arr,
            tickets: &Arr,
            n: i32,
            scale: f32,
        ) -> Result<UniquePtr<Arr>>;

        fn compile_new(shapeless: bool) -> Result<UniquePtr<Compiled>>;
        fn compile_call(c: &Compiled, inputs: &ArrList) -> Result<UniquePtr<ArrList>>;
    }

    extern "Rust" {
        /// Body of every compiled function: runs the Rust function registered for the call in
        /// progress (`crate::compiled`), on MLX's tracer arrays.
        fn trace_trampoline(inputs: &ArrList) -> Result<UniquePtr<ArrList>>;
    }
}

fn trace_trampoline(inputs: &ffi::ArrList) -> std::result::Result<UniquePtr<ffi::ArrList>, Error> {
    let args = unlist(inputs)?;
    let out = crate::compiled::trace_current(args)?;
    let refs: Vec<&LinuxArray> = out.iter().collect();
    Ok(list(&refs))
}

/// An MLX-compiled function (`mx::compile`) whose body is [`trace_trampoline`].
pub(crate) struct LinuxCompiled(UniquePtr<ffi::Compiled>);

// SAFETY: `Compiled` holds a `std::function` whose only capture is an integer id; MLX's compile
// cache it refers to is process-global. It is used through `&mut` (one thread at a time).
unsafe impl Send for LinuxCompiled {}

// SAFETY: `Arr` holds one `mlx::core::array`, a handle whose shared state (shared_ptr with atomic
// refcount) may be moved to and dropped on another thread. It is not `Sync`: MLX does not
// support concurrent graph building on one array from several threads.
unsafe impl Send for ffi::Arr {}

/// An owned MLX array handle.
pub(crate) struct LinuxArray(UniquePtr<ffi::Arr>);

impl Clone for LinuxArray {
    fn clone(&self) -> Self {
        LinuxArray(ffi::arr_clone(self.r()))
    }
}

impl LinuxArray {
    fn r(&self) -> &ffi::Arr {
        // Every LinuxArray is built by `wrap`, which rejects null pointers.
        self.0.as_ref().expect("non-null MLX array")
    }
}

/// The Linux backend (zero-sized; see [`Backend`]).
pub(crate) struct Linux;

fn err(e: cxx::Exception) -> Error {
    Error::Mlx(e.what().to_string())
}

fn wrap(r: std::result::Result<UniquePtr<ffi::Arr>, cxx::Exception>) -> Result<LinuxArray> {
    let p = r.map_err(err)?;
    if p.is_null() {
        return Err(Error::Mlx("MLX returned a null array".into()));
    }
    Ok(LinuxArray(p))
}

fn list(arrays: &[&LinuxArray]) -> UniquePtr<ffi::ArrList> {
    let mut l = ffi::list_new();
    for a in arrays {
        ffi::list_push(l.pin_mut(), a.r());
    }
    l
}

fn unlist(l: &ffi::ArrList) -> Result<Vec<LinuxArray>> {
    (0..ffi::list_len(l))
        .map(|i| wrap(ffi::list_get(l, i)))
        .collect()
}

fn dtype_code(d: Dtype) -> u8 {
    match d {
        Dtype::Bool => 0,
        Dtype::U8 => 1,
        Dtype::U32 => 2,
        Dtype::I32 => 3,
        Dtype::I64 => 4,
        Dtype::F16 => 5,
        Dtype::BF16 => 6,
        Dtype::F32 => 7,
    }
}

/// The C++ side's fold arguments (shim.h: `kFoldSwiglu` 1, `kFoldNorm` 2, `kFoldResidual` 4):
/// the norm weight and the residual (x where absent: not read), the bits and eps.
fn fold_args<'a>(
    x: &'a LinuxArray,
    fold: Fold<'a, LinuxArray>,
) -> (&'a LinuxArray, &'a LinuxArray, u32, f32) {
    let (norm_w, eps) = fold.norm.unwrap_or((x, 0.0));
    let bits = u32::from(fold.swiglu)
        | if fold.norm.is_some() { 2 } else { 0 }
        | if fold.residual.is_some() { 4 } else { 0 };
    (norm_w, fold.residual.unwrap_or(x), bits, eps)
}

fn two(v: Vec<LinuxArray>) -> Result<(LinuxArray, LinuxArray)> {
    let mut it = v.into_iter();
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(Error::Mlx("an op returned fewer than 2 arrays".into())),
    }
}

fn three(v: Vec<LinuxArray>) -> Result<(LinuxArray, LinuxArray, LinuxArray)> {
    let mut it = v.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(c)) => Ok((a, b, c)),
        _ => Err(Error::Mlx("quantize returned fewer than 3 arrays".into())),
    }
}

impl Backend for Linux {
    type Raw = LinuxArray;
    type Compiled = LinuxCompiled;

    fn compile_new(shapeless: bool) -> Result<LinuxCompiled> {
        let c = ffi::compile_new(shapeless).map_err(err)?;
        if c.is_null() {
            return Err(Error::Mlx("compile returned null".into()));
        }
        Ok(LinuxCompiled(c))
    }
    fn compile_call(c: &mut LinuxCompiled, inputs: &[&LinuxArray]) -> Result<Vec<LinuxArray>> {
        let f =
            c.0.as_ref()
                .ok_or_else(|| Error::Mlx("null compiled function".into()))?;
        let out = ffi::compile_call(f, &list(inputs)).map_err(err)?;
        unlist(&out)
    }
    fn read_u32(a: &LinuxArray) -> Result<Vec<u32>> {
        ffi::read_u32(a.r()).map_err(err)
    }
    fn wait(a: &LinuxArray) -> Result<()> {
        ffi::wait_ready(a.r()).map_err(err)
    }
    fn slice_update_dynamic(
        src: &LinuxArray,
        update: &LinuxArray,
        start: &LinuxArray,
        axes: &[i32],
    ) -> Result<LinuxArray> {
        wrap(ffi::slice_update_dynamic(
            src.r(),
            update.r(),
            start.r(),
            axes,
        ))
    }
    fn device_description() -> String {
        ffi::device_description()
    }
    fn build() -> String {
        ffi::mlx_build()
    }

    fn from_f32(data: &[f32], shape: &[i32]) -> Result<LinuxArray> {
        check_len(data.len(), shape)?;
        wrap(ffi::from_f32(data, shape))
    }
    fn from_i32(data: &[i32], shape: &[i32]) -> Result<LinuxArray> {
        check_len(data.len(), shape)?;
        wrap(ffi::from_i32(data, shape))
    }
    fn full(shape: &[i32], value: f32, dtype: Dtype) -> Result<LinuxArray> {
        wrap(ffi::full(shape, value, dtype_code(dtype)))
    }
    fn arange(start: i32, stop: i32) -> Result<LinuxArray> {
        wrap(ffi::arange(start, stop))
    }

    fn shape(a: &LinuxArray) -> Vec<i32> {
        ffi::shape(a.r())
    }
    fn dtype(a: &LinuxArray) -> Option<Dtype> {
        Some(match ffi::dtype(a.r()) {
            0 => Dtype::Bool,
            1 => Dtype::U8,
            2 => Dtype::U32,
            3 => Dtype::I32,
            4 => Dtype::I64,
            5 => Dtype::F16,
            6 => Dtype::BF16,
            7 => Dtype::F32,
            _ => return None,
        })
    }
    fn nbytes(a: &LinuxArray) -> usize {
        ffi::nbytes(a.r())
    }
    fn to_f32_vec(a: &LinuxArray) -> Result<Vec<f32>> {
        ffi::to_f32_vec(a.r()).map_err(err)
    }
    fn to_i32_vec(a: &LinuxArray) -> Result<Vec<i32>> {
        ffi::to_i32_vec(a.r()).map_err(err)
    }
    fn eval(arrays: &[&LinuxArray]) -> Result<()> {
        ffi::eval(&list(arrays)).map_err(err)
    }
    fn async_eval(arrays: &[&LinuxArray]) -> Result<()> {
        ffi::async_eval(&list(arrays)).map_err(err)
    }

    fn binary(op: BinaryOp, a: &LinuxArray, b: &LinuxArray) -> Result<LinuxArray> {
        wrap(ffi::binary(op as u8, a.r(), b.r()))
    }
    fn unary(op: UnaryOp, a: &LinuxArray) -> Result<LinuxArray> {
        wrap(ffi::unary(op as u8, a.r()))
    }
    fn where_(cond: &LinuxArray, x: &LinuxArray, y: &LinuxArray) -> Result<LinuxArray> {
        wrap(ffi::where_(cond.r(), x.r(), y.r()))
    }
    fn astype(a: &LinuxArray, dtype: Dtype) -> Result<LinuxArray> {
        wrap(ffi::astype(a.r(), dtype_code(dtype)))
    }

    fn reshape(a: &LinuxArray, shape: &[i32]) -> Result<LinuxArray> {
        wrap(ffi::reshape(a.r(), shape))
    }
    fn transpose(a: &LinuxArray, axes: &[i32]) -> Result<LinuxArray> {
        wrap(ffi::transpose(a.r(), axes))
    }
    fn concatenate(arrays: &[&LinuxArray], axis: i32) -> Result<LinuxArray> {
        wrap(ffi::concatenate(&list(arrays), axis))
    }
    fn slice(a: &LinuxArray, start: &[i32], stop: &[i32]) -> Result<LinuxArray> {
        wrap(ffi::slice(a.r(), start, stop))
    }
    fn slice_update(
        src: &LinuxArray,
        update: &LinuxArray,
        start: &[i32],
        stop: &[i32],
    ) -> Result<LinuxArray> {
        wrap(ffi::slice_update(src.r(), update.r(), start, stop))
    }
    fn take(a: &LinuxArray, indices: &LinuxArray, axis: i32) -> Result<LinuxArray> {
        wrap(ffi::take(a.r(), indices.r(), axis))
    }
    fn take_along_axis(a: &LinuxArray, indices: &LinuxArray, axis: i32) -> Result<LinuxArray> {
        wrap(ffi::take_along_axis(a.r(), indices.r(), axis))
    }

    fn reduce(op: ReduceOp, a: &LinuxArray, axis: i32, keepdims: bool) -> Result<LinuxArray> {
        wrap(ffi::reduce(op as u8, a.r(), axis, keepdims))
    }
    fn softmax(a: &LinuxArray, axis: i32, precise: bool) -> Result<LinuxArray> {
        wrap(ffi::softmax(a.r(), axis, precise))
    }
    fn sort(a: &LinuxArray, axis: i32) -> Result<LinuxArray> {
        wrap(ffi::sort(a.r(), axis))
    }
    fn argsort(a: &LinuxArray, axis: i32) -> Result<LinuxArray> {
        wrap(ffi::argsort(a.r(), axis))
    }
    fn argpartition(a: &LinuxArray, kth: i32, axis: i32) -> Result<LinuxArray> {
        wrap(ffi::argpartition(a.r(), kth, axis))
    }
    fn cumsum(a: &LinuxArray, axis: i32, reverse: bool, inclusive: bool) -> Result<LinuxArray> {
        wrap(ffi::cumsum(a.r(), axis, reverse, inclusive))
    }

    fn matmul(a: &LinuxArray, b: &LinuxArray) -> Result<LinuxArray> {
        wrap(ffi::matmul(a.r(), b.r()))
    }
    fn quantized_matmul(
        x: &LinuxArray,
        w: &LinuxArray,
        scales: &LinuxArray,
        biases: Option<&LinuxArray>,
        transpose: bool,
        group_size: i32,
        bits: i32,
    ) -> Result<LinuxArray> {
        let b = biases.unwrap_or(scales);
        wrap(ffi::quantized_matmul(
            x.r(),
            w.r(),
            scales.r(),
            b.r(),
            biases.is_some(),
            transpose,
            group_size,
            bits,
        ))
    }
    fn kernels_available() -> bool {
        ffi::kernels_available()
    }
    fn gemv_q4(
        x: &LinuxArray,
        w: &LinuxArray,
        scales: &LinuxArray,
        biases: &LinuxArray,
        fold: Fold<'_, LinuxArray>,
    ) -> Result<LinuxArray> {
        // (a norm in `fold` is refused by the C++ side: the 4-bit kernel has no norm fold)
        let (_, residual, bits, _) = fold_args(x, fold);
        wrap(ffi::gemv_q4(
            x.r(),
            w.r(),
            scales.r(),
            biases.r(),
            residual.r(),
            bits,
        ))
    }
    fn gemv(x: &LinuxArray, w: &LinuxArray, fold: Fold<'_, LinuxArray>) -> Result<LinuxArray> {
        let (norm_w, residual, bits, eps) = fold_args(x, fold);
        wrap(ffi::gemv(x.r(), w.r(), norm_w.r(), residual.r(), bits, eps))
    }
    fn add_rms_norm(
        x: &LinuxArray,
        r: &LinuxArray,
        w: &LinuxArray,
        eps: f32,
    ) -> Result<(LinuxArray, LinuxArray)> {
        let l = ffi::add_rms_norm(x.r(), r.r(), w.r(), eps).map_err(err)?;
        two(unlist(&l)?)
    }
    fn qk_norm_rope_kv(
        qkv: &LinuxArray,
        norms: (&LinuxArray, &LinuxArray),
        cache: (&LinuxArray, &LinuxArray),
        pos: i32,
        rope: (f32, f32),
        heads: (i32, i32),
    ) -> Result<LinuxArray> {
        wrap(ffi::qk_norm_rope_kv(
            qkv.r(),
            norms.0.r(),
            norms.1.r(),
            cache.0.r(),
            cache.1.r(),
            pos,
            rope.0,
            rope.1,
            heads.0,
            heads.1,
        ))
    }
    fn attn_decode(
        q: &LinuxArray,
        cache: (&LinuxArray, &LinuxArray),
        scratch: (&LinuxArray, &LinuxArray),
        n: i32,
        scale: f32,
    ) -> Result<LinuxArray> {
        wrap(ffi::attn_decode(
            q.r(),
            cache.0.r(),
            cache.1.r(),
            scratch.0.r(),
            scratch.1.r(),
            n,
            scale,
        ))
    }
    fn quantize(
        w: &LinuxArray,
        group_size: i32,
        bits: i32,
    ) -> Result<(LinuxArray, LinuxArray, LinuxArray)> {
        let l = ffi::quantize(w.r(), group_size, bits).map_err(err)?;
        three(unlist(&l)?)
    }
    fn dequantize(
        w: &LinuxArray,
        scales: &LinuxArray,
        biases: Option<&LinuxArray>,
        group_size: i32,
        bits: i32,
    ) -> Result<LinuxArray> {
        let b = biases.unwrap_or(scales);
        wrap(ffi::dequantize(
            w.r(),
            scales.r(),
            b.r(),
            biases.is_some(),
            group_size,
            bits,
        ))
    }

    fn rms_norm(x: &LinuxArray, weight: Option<&LinuxArray>, eps: f32) -> Result<LinuxArray> {
        let w = weight.unwrap_or(x);
        wrap(ffi::rms_norm(x.r(), w.r(), weight.is_some(), eps))
    }
    fn rope(
        x: &LinuxArray,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offset: i32,
    ) -> Result<LinuxArray> {
        wrap(ffi::rope(x.r(), dims, traditional, base, scale, offset))
    }
    fn rope_offsets(
        x: &LinuxArray,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offsets: &LinuxArray,
    ) -> Result<LinuxArray> {
        wrap(ffi::rope_offsets(
            x.r(),
            dims,
            traditional,
            base,
            scale,
            offsets.r(),
        ))
    }
    fn sdpa(
        q: &LinuxArray,
        k: &LinuxArray,
        v: &LinuxArray,
        scale: f32,
        mask_kind: MaskKind,
        mask: Option<&LinuxArray>,
    ) -> Result<LinuxArray> {
        let code = match (mask_kind, mask) {
            (MaskKind::None, _) => 0,
            (MaskKind::Causal, _) => 1,
            (MaskKind::Array, Some(_)) => 2,
            (MaskKind::Array, None) => {
                return Err(Error::Mlx("sdpa: MaskKind::Array needs a mask".into()))
            }
        };
        let m = mask.unwrap_or(q);
        wrap(ffi::sdpa(q.r(), k.r(), v.r(), scale, code, m.r()))
    }

    fn random_key(seed: u64) -> Result<LinuxArray> {
        wrap(ffi::random_key(seed))
    }
    fn random_split(key: &LinuxArray) -> Result<(LinuxArray, LinuxArray)> {
        let l = ffi::random_split(key.r()).map_err(err)?;
        two(unlist(&l)?)
    }
    fn categorical(logits: &LinuxArray, axis: i32, key: &LinuxArray) -> Result<LinuxArray> {
        wrap(ffi::categorical(logits.r(), axis, key.r()))
    }

    fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, LinuxArray)>> {
        let p = path
            .to_str()
            .ok_or_else(|| Error::Mlx(format!("non UTF-8 path {}", path.display())))?;
        let m = ffi::load_safetensors(p).map_err(err)?;
        let names = ffi::map_names(&m);
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| Ok((n, wrap(ffi::map_get(&m, i))?)))
            .collect()
    }
    fn active_memory() -> usize {
        ffi::active_memory()
    }
    fn peak_memory() -> usize {
        ffi::peak_memory()
    }
    fn reset_peak_memory() {
        ffi::reset_peak_memory()
    }
    fn cache_memory() -> usize {
        ffi::cache_memory()
    }
    fn clear_cache() {
        ffi::clear_cache()
    }
    fn version() -> String {
        ffi::mlx_version()
    }
    fn default_device_is_gpu() -> bool {
        ffi::default_device_is_gpu()
    }
}

/// Number of BLAS threads when the backend links OpenBLAS (`None` with the wheel's BLAS).
pub(crate) fn blas_threads() -> Option<i32> {
    let n = ffi::blas_threads_hint();
    (n >= 0).then_some(n)
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
