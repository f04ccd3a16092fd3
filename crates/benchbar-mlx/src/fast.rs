//! The interface of BenchBar's fused kernels as the model's building blocks see it: a handle
//! ([`FastKernels`]) chosen once at load and passed in [`crate::ModelOptions::fast`]. Its only
//! implementation is the CUDA plug-in (`crate::cuda`, Linux with MLX CUDA); on CPU and Metal
//! the handle is absent and the blocks run MLX's ops. Which kernels a model uses is
//! [`crate::ModelOptions::kernels`].

use crate::ops::Array;
use crate::Result;

/// What the matrix-vector kernels fold in around their product `x · wᵀ` (all off by default):
/// `swiglu` (a stacked gate|up weight, result `silu(gate) · up` `[.., N / 2]`), `norm` = (weight
/// `[K]`, eps) (`x` is the residual stream, the product is of `rms_norm(x) · weight`; float
/// weights only), `residual` `[.., N]` (added to the product; not with `swiglu`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fold<'a> {
    /// `w` is a stacked gate|up and the result `silu(gate) · up` `[.., N / 2]`.
    pub swiglu: bool,
    /// `x` is the residual stream and the product is taken of `rms_norm(x) · weight`.
    pub norm: Option<(&'a Array, f32)>,
    /// Added to the product: `residual + x · wᵀ`.
    pub residual: Option<&'a Array>,
}

impl Fold<'_> {
    /// Just the SwiGLU form (`swiglu`) or nothing.
    pub fn swiglu(swiglu: bool) -> Fold<'static> {
        Fold {
            swiglu,
            ..Fold::default()
        }
    }
}

/// BenchBar's kernels for the batch-1 decode step. Each replaces MLX ops of the same values
/// (checked against them before a handle is handed out).
pub trait FastKernels: Send + Sync + std::fmt::Debug {
    /// One row `x [.., K]` times an MLX 4-bit affine `w [N, K / 8]` (with `scales`, `biases`
    /// `[N, K / group]`)ᵀ -> `[.., N]`, with `fold`'s ops around it (no norm).
    fn gemv_q4(
        &self,
        x: &Array,
        w: &Array,
        scales: &Array,
        biases: &Array,
        fold: Fold<'_>,
    ) -> Result<Array>;
    /// One row `x [.., K]` times a float `w [N, K]`ᵀ of its type -> `[.., N]`, with `fold`'s ops.
    fn gemv(&self, x: &Array, w: &Array, fold: Fold<'_>) -> Result<Array>;
    /// `(x + r, rms_norm(x + r) · w)` in one pass.
    fn add_rms_norm(&self, x: &Array, r: &Array, w: &Array, eps: f32) -> Result<(Array, Array)>;
    /// Qwen3's q/k RMSNorm + RoPE of one position read from the stacked q|k|v projection
    /// `qkv [1, 1, (Hq + 2 Hkv) D]`, with k and v written in place at `pos` of `cache` (keys,
    /// values `[1, Hkv, capacity, D]`): `norms` = (q_norm, k_norm) weights `[D]`, `rope` =
    /// (log2 of the RoPE base, eps), `heads` = (q heads, head dim) -> q `[1, Hq, 1, D]`.
    ///
    /// The write is not seen by MLX's graph: only for a cache the caller owns alone, at a
    /// position nothing has read yet, with every later read ordered after the returned q.
    fn qk_norm_rope_kv(
        &self,
        qkv: &Array,
        norms: (&Array, &Array),
        cache: (&Array, &Array),
        pos: i32,
        rope: (f32, f32),
        heads: (i32, i32),
    ) -> Result<Array>;
    /// The scratch [`FastKernels::attention_decode`] writes for a layer of `heads` = (q heads,
    /// kv heads, head dim).
    fn attention_scratch(&self, heads: (i32, i32, i32)) -> Result<(Array, Array)>;
    /// Positions [`FastKernels::attention_decode`] covers (beyond, MLX's attention runs).
    fn attention_positions(&self) -> i32;
    /// Attention of one position `q [1, Hq, 1, D]` over the first `n` positions of `cache`
    /// (GQA), scaled by `scale`, with a layer's `scratch` -> `[1, 1, Hq · D]`.
    fn attention_decode(
        &self,
        q: &Array,
        cache: (&Array, &Array),
        scratch: (&Array, &Array),
        n: i32,
        scale: f32,
    ) -> Result<Array>;
}

/// The kernels handle the blocks hold.
pub type Kernels = &'static dyn FastKernels;
