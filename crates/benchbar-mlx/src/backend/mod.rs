//! The backend contract: every primitive `ops.rs` needs, with plain types only.
//!
//! One implementation per platform, selected at compile time:
//! - Linux: [`linux`] (cxx bridge over the MLX C++ library from the PyPI wheel).
//! - macOS: `macos.rs` (one-line forwards to mlx-rs 0.33, `Raw = mlx_rs::Array`).
//!
//! The trait exists so the compiler enforces identical signatures on both platforms. Arrays are
//! the associated `Raw` type (cheap, reference-counted clone); errors are [`crate::Error`]
//! (`Error::Mlx(message)` for failures reported by MLX). Axes are `i32` (negative = from the end),
//! shapes are `&[i32]`.

use crate::ops::{BinaryOp, Dtype, MaskKind, ReduceOp, UnaryOp};
use crate::Result;

#[cfg(target_os = "linux")]
pub(crate) mod linux;

/// The active backend.
#[cfg(target_os = "linux")]
pub(crate) type Active = linux::Linux;

// macOS: `src/backend/macos.rs` defines `pub(crate) struct Macos;` and
// `impl Backend for Macos { type Raw = mlx_rs::Array; ... }` (one-line forwards to mlx-rs).
#[cfg(target_os = "macos")]
pub(crate) mod macos;
/// The active backend.
#[cfg(target_os = "macos")]
pub(crate) type Active = macos::Macos;

/// What BenchBar's matrix-vector kernels fold in around their product `x · wᵀ`.
#[derive(Debug)]
pub struct Fold<'a, R> {
    /// `w` is a stacked gate|up and the result `silu(gate) · up` `[.., N / 2]`.
    pub swiglu: bool,
    /// `x` is the residual stream and the product is taken of `rms_norm(x) · weight` (weight
    /// `[K]`, eps). Float weights only: the 4-bit kernel refuses it.
    pub norm: Option<(&'a R, f32)>,
    /// Added to the product: `residual + x · wᵀ` (`[.., N]`; not with `swiglu`).
    pub residual: Option<&'a R>,
}

impl<R> Clone for Fold<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Fold<'_, R> {}

impl<R> Default for Fold<'_, R> {
    fn default() -> Self {
        Fold {
            swiglu: false,
            norm: None,
            residual: None,
        }
    }
}

impl<'a, R> Fold<'a, R> {
    /// The same fold on another array type (`f` maps each operand).
    pub fn map<S>(self, f: impl Fn(&'a R) -> &'a S) -> Fold<'a, S> {
        Fold {
            swiglu: self.swiglu,
            norm: self.norm.map(|(w, eps)| (f(w), eps)),
            residual: self.residual.map(f),
        }
    }
}

/// The active backend's array handle.
pub(crate) type Raw = <Active as Backend>::Raw;

/// Primitive operations over MLX arrays (see the module docs).
pub(crate) trait Backend {
    /// A lazily evaluated MLX array; `clone` shares the buffer.
    type Raw: Clone + Send;
    /// A function compiled by MLX (`mx::compile` / mlx-rs `compile`) whose body is the Rust
    /// function registered in `crate::compiled` for the call in progress.
    type Compiled: Send;

    // --- compilation ----------------------------------------------------------------------
    /// A new compiled function (its own MLX compile-cache entry; traced on first call per
    /// input shapes/dtypes, replayed afterwards).
    fn compile_new(shapeless: bool) -> Result<Self::Compiled>;
    /// Call it; the body runs `crate::compiled::trace_current` when MLX traces.
    fn compile_call(c: &mut Self::Compiled, inputs: &[&Self::Raw]) -> Result<Vec<Self::Raw>>;
    /// Wait until `a` is computed (evaluating it if it was never scheduled), without reading it.
    fn wait(a: &Self::Raw) -> Result<()>;
    /// Wait for `a` (u32/i32 tokens) and copy it out without scheduling any new operation.
    fn read_u32(a: &Self::Raw) -> Result<Vec<u32>>;
    /// `src` with `update` written at positions `start` (int32 array, one per axis in `axes`).
    fn slice_update_dynamic(
        src: &Self::Raw,
        update: &Self::Raw,
        start: &Self::Raw,
        axes: &[i32],
    ) -> Result<Self::Raw>;
    /// The default device with its name when MLX knows it, e.g. `gpu (NVIDIA H100 80GB HBM3)`.
    fn device_description() -> String;
    /// Which MLX backend the library was built with and can use: `cuda`, `metal` or `cpu`.
    fn build() -> String;

    // --- creation -------------------------------------------------------------------------
    /// f32 array from host data (row-major).
    fn from_f32(data: &[f32], shape: &[i32]) -> Result<Self::Raw>;
    /// i32 array from host data (row-major).
    fn from_i32(data: &[i32], shape: &[i32]) -> Result<Self::Raw>;
    /// Array of `shape` filled with `value` cast to `dtype`.
    fn full(shape: &[i32], value: f32, dtype: Dtype) -> Result<Self::Raw>;
    /// `[start, stop)` as int32.
    fn arange(start: i32, stop: i32) -> Result<Self::Raw>;

    // --- introspection / evaluation -------------------------------------------------------
    /// Shape.
    fn shape(a: &Self::Raw) -> Vec<i32>;
    /// Element type (`None` for types BenchBar does not use, e.g. complex).
    fn dtype(a: &Self::Raw) -> Option<Dtype>;
    /// Size of the data in bytes.
    fn nbytes(a: &Self::Raw) -> usize;
    /// Evaluate and copy out as f32 (any float/int dtype is converted).
    fn to_f32_vec(a: &Self::Raw) -> Result<Vec<f32>>;
    /// Evaluate and copy out as i32.
    fn to_i32_vec(a: &Self::Raw) -> Result<Vec<i32>>;
    /// Evaluate all arrays (blocking).
    fn eval(arrays: &[&Self::Raw]) -> Result<()>;
    /// Schedule evaluation of all arrays (non-blocking).
    fn async_eval(arrays: &[&Self::Raw]) -> Result<()>;

    // --- element-wise ---------------------------------------------------------------------
    /// Broadcasting binary op.
    fn binary(op: BinaryOp, a: &Self::Raw, b: &Self::Raw) -> Result<Self::Raw>;
    /// Unary op.
    fn unary(op: UnaryOp, a: &Self::Raw) -> Result<Self::Raw>;
    /// `cond ? x : y` (broadcasting).
    fn where_(cond: &Self::Raw, x: &Self::Raw, y: &Self::Raw) -> Result<Self::Raw>;
    /// Cast.
    fn astype(a: &Self::Raw, dtype: Dtype) -> Result<Self::Raw>;

    // --- shape / indexing -----------------------------------------------------------------
    /// Reshape (one dimension may be -1).
    fn reshape(a: &Self::Raw, shape: &[i32]) -> Result<Self::Raw>;
    /// Permute axes.
    fn transpose(a: &Self::Raw, axes: &[i32]) -> Result<Self::Raw>;
    /// Join along `axis`.
    fn concatenate(arrays: &[&Self::Raw], axis: i32) -> Result<Self::Raw>;
    /// `a[start..stop]` per axis (stride 1).
    fn slice(a: &Self::Raw, start: &[i32], stop: &[i32]) -> Result<Self::Raw>;
    /// Copy of `src` with `src[start..stop] = update`.
    fn slice_update(
        src: &Self::Raw,
        update: &Self::Raw,
        start: &[i32],
        stop: &[i32],
    ) -> Result<Self::Raw>;
    /// Gather slices of `a` at `indices` along `axis` (embedding lookup).
    fn take(a: &Self::Raw, indices: &Self::Raw, axis: i32) -> Result<Self::Raw>;
    /// Gather along `axis` with indices broadcast against `a`.
    fn take_along_axis(a: &Self::Raw, indices: &Self::Raw, axis: i32) -> Result<Self::Raw>;

    // --- reductions / sorting -------------------------------------------------------------
    /// Reduction over one axis (argmax returns uint32).
    fn reduce(op: ReduceOp, a: &Self::Raw, axis: i32, keepdims: bool) -> Result<Self::Raw>;
    /// Softmax over one axis (`precise`: accumulate in f32).
    fn softmax(a: &Self::Raw, axis: i32, precise: bool) -> Result<Self::Raw>;
    /// Ascending sort.
    fn sort(a: &Self::Raw, axis: i32) -> Result<Self::Raw>;
    /// Indices of an ascending sort (uint32).
    fn argsort(a: &Self::Raw, axis: i32) -> Result<Self::Raw>;
    /// Indices partitioned around the `kth` element (uint32).
    fn argpartition(a: &Self::Raw, kth: i32, axis: i32) -> Result<Self::Raw>;
    /// Cumulative sum.
    fn cumsum(a: &Self::Raw, axis: i32, reverse: bool, inclusive: bool) -> Result<Self::Raw>;

    // --- linear algebra -------------------------------------------------------------------
    /// Matrix product (batched, broadcasting).
    fn matmul(a: &Self::Raw, b: &Self::Raw) -> Result<Self::Raw>;
    /// `x @ dequantize(w).T` (transpose) or `x @ dequantize(w)`, MLX affine quantization.
    #[allow(clippy::too_many_arguments)]
    fn quantized_matmul(
        x: &Self::Raw,
        w: &Self::Raw,
        scales: &Self::Raw,
        biases: Option<&Self::Raw>,
        transpose: bool,
        group_size: i32,
        bits: i32,
    ) -> Result<Self::Raw>;
    // --- BenchBar's own kernels (MLX CUDA only; errors where not available) ----------------
    /// Whether BenchBar's kernels exist here (`shim/kernels.cc`: MLX CUDA only).
    fn kernels_available() -> bool;
    /// One row `x [.., K]` times a 4-bit affine `w [N, K / 8]` (with scales, biases)ᵀ, with the
    /// ops of `fold` around the product ([`Fold`]).
    fn gemv_q4(
        x: &Self::Raw,
        w: &Self::Raw,
        scales: &Self::Raw,
        biases: &Self::Raw,
        fold: Fold<'_, Self::Raw>,
    ) -> Result<Self::Raw>;
    /// One row `x [.., K]` times a float `w [N, K]`ᵀ of its type, with the ops of `fold`.
    fn gemv(x: &Self::Raw, w: &Self::Raw, fold: Fold<'_, Self::Raw>) -> Result<Self::Raw>;
    /// `(x + r, rms_norm(x + r) · w)`.
    fn add_rms_norm(
        x: &Self::Raw,
        r: &Self::Raw,
        w: &Self::Raw,
        eps: f32,
    ) -> Result<(Self::Raw, Self::Raw)>;
    /// q/k RMSNorm (weights `norms`) and RoPE at `pos` (`rope` = (log2 of the base, eps)) of
    /// one position's stacked q|k|v heads (`heads` = (q heads, head dim)); k and v are written
    /// in place at `pos` of `cache` (keys, values `[1, Hkv, capacity, D]`). Returns q
    /// `[1, Hq, 1, D]`.
    fn qk_norm_rope_kv(
        qkv: &Self::Raw,
        norms: (&Self::Raw, &Self::Raw),
        cache: (&Self::Raw, &Self::Raw),
        pos: i32,
        rope: (f32, f32),
        heads: (i32, i32),
    ) -> Result<Self::Raw>;
    /// Attention of one position `q [1, Hq, 1, D]` over the first `n` positions of `cache`
    /// (keys, values `[1, Hkv, capacity, D]`), scaled by `scale`; `scratch` = (f32 partial sums,
    /// int32 zero tickets), written in place. Returns `[1, 1, Hq · D]`.
    fn attn_decode(
        q: &Self::Raw,
        cache: (&Self::Raw, &Self::Raw),
        scratch: (&Self::Raw, &Self::Raw),
        n: i32,
        scale: f32,
    ) -> Result<Self::Raw>;
    /// MLX affine quantization of the last axis: (packed weight, scales, biases).
    fn quantize(
        w: &Self::Raw,
        group_size: i32,
        bits: i32,
    ) -> Result<(Self::Raw, Self::Raw, Self::Raw)>;
    /// Inverse of [`Backend::quantize`].
    fn dequantize(
        w: &Self::Raw,
        scales: &Self::Raw,
        biases: Option<&Self::Raw>,
        group_size: i32,
        bits: i32,
    ) -> Result<Self::Raw>;

    // --- fused kernels (mlx::core::fast) --------------------------------------------------
    /// RMS norm over the last axis.
    fn rms_norm(x: &Self::Raw, weight: Option<&Self::Raw>, eps: f32) -> Result<Self::Raw>;
    /// RoPE on the last axis of `[B, H, L, D]`, positions `offset..offset+L`.
    fn rope(
        x: &Self::Raw,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offset: i32,
    ) -> Result<Self::Raw>;
    /// RoPE with one position offset per batch row (`offsets`: int32 `[B]`).
    fn rope_offsets(
        x: &Self::Raw,
        dims: i32,
        traditional: bool,
        base: f32,
        scale: f32,
        offsets: &Self::Raw,
    ) -> Result<Self::Raw>;
    /// Fused attention, GQA by head-count ratio; `mask` only with `MaskKind::Array`.
    fn sdpa(
        q: &Self::Raw,
        k: &Self::Raw,
        v: &Self::Raw,
        scale: f32,
        mask_kind: MaskKind,
        mask: Option<&Self::Raw>,
    ) -> Result<Self::Raw>;

    // --- random ---------------------------------------------------------------------------
    /// PRNG key from a seed.
    fn random_key(seed: u64) -> Result<Self::Raw>;
    /// Split a key in two.
    fn random_split(key: &Self::Raw) -> Result<(Self::Raw, Self::Raw)>;
    /// Sample indices from unnormalised log-probabilities along `axis`.
    fn categorical(logits: &Self::Raw, axis: i32, key: &Self::Raw) -> Result<Self::Raw>;

    // --- io / memory / device -------------------------------------------------------------
    /// All tensors of one safetensors file (lazy: data is read on first use).
    fn load_safetensors(path: &std::path::Path) -> Result<Vec<(String, Self::Raw)>>;
    /// Bytes currently held by live MLX arrays.
    fn active_memory() -> usize;
    /// Peak of `active_memory` since start or the last reset.
    fn peak_memory() -> usize;
    /// Reset the peak counter.
    fn reset_peak_memory();
    /// Bytes held in MLX's buffer cache.
    fn cache_memory() -> usize;
    /// Release MLX's buffer cache.
    fn clear_cache();
    /// MLX version string.
    fn version() -> String;
    /// Whether the default device is a GPU.
    fn default_device_is_gpu() -> bool;
}
