//! BenchBar's own CUDA kernels for the batch-1 decode step (`shim/kernels.cc`: matrix-vector
//! products for 4-bit and float weights with a SwiGLU form and the residual stream's RMSNorm /
//! add folded in ([`Fold`], [`crate::stream`]), residual add + RMSNorm in one pass,
//! q/k RMSNorm + RoPE with the KV-cache write in one pass, attention over the cache; each
//! launched as one node of MLX's graph by `shim/launch.cc`) and when they run: on MLX CUDA, as
//! selected by the caller ([`crate::EngineOptions::kernels`]; by default every kernel,
//! [`Kernel::ALL`]; [`selection`] reads the CLI's `BENCHBAR_MLX_KERNELS` value), and only after
//! a self-check at first use ([`usable`]: each kernel compiled and run on a small input and
//! matched against MLX's own ops), so a machine whose NVRTC cannot build them runs MLX's ops
//! instead of failing mid-run. On CPU and Metal MLX's ops always run (the CPU oracle tests that path).

use crate::backend::{Active as B, Backend};
use crate::ops::{self, Array, Dtype, QuantParams, RopeOffset};
use crate::options::KernelSet;
pub use crate::options::{selection, Kernel};
use crate::{Error, Result};

mod self_check;

/// The kernels of `wanted` that can run here: none where MLX is not built for CUDA, none where
/// the self-check fails (it runs once per process, at the first call asking for a kernel, and
/// reports a failure once on stderr), else `wanted`.
pub fn usable(wanted: KernelSet) -> KernelSet {
    if wanted.is_empty() || !B::kernels_available() {
        return KernelSet::NONE;
    }
    static CHECK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let passed = *CHECK.get_or_init(|| match self_check::run() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("benchbar-mlx: BenchBar's CUDA kernels are off ({e}); using MLX's ops");
            false
        }
    });
    if passed {
        wanted
    } else {
        KernelSet::NONE
    }
}

/// Largest |a - b| over the largest |b| (the plain largest |a - b| when `b` is all zeros).
pub fn relative_difference(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    if scale > 0.0 {
        diff / scale
    } else {
        diff
    }
}

// --- the kernels (MLX CUDA only; an error elsewhere) ---------------------------------------

/// What the matrix-vector kernels fold in around their product `x · wᵀ` (all off by default):
/// `swiglu` (a stacked gate|up weight, result `silu(gate) · up` `[.., N / 2]`), `norm` = (weight
/// `[K]`, eps) (`x` is the residual stream, the product is of `rms_norm(x) · weight`; [`gemv`]
/// only), `residual` `[.., N]` (added to the product; not with `swiglu`).
pub type Fold<'a> = crate::backend::Fold<'a, Array>;

/// BenchBar's 4-bit matrix-vector kernel: one row `x [.., K]` times an MLX 4-bit affine
/// `w [N, K / 8]` (with `scales`, `biases` `[N, K / group]`)ᵀ -> `[.., N]`, with `fold`'s ops
/// around it. MLX CUDA only.
pub fn gemv_q4(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: &Array,
    fold: Fold<'_>,
) -> Result<Array> {
    let fold = fold.map(|a| &a.0);
    Ok(Array(B::gemv_q4(&x.0, &w.0, &scales.0, &biases.0, fold)?))
}

/// BenchBar's matrix-vector kernel for a float weight: one row `x [.., K]` times `w [N, K]`ᵀ of
/// its type -> `[.., N]`, with `fold`'s ops around it. MLX CUDA only.
pub fn gemv(x: &Array, w: &Array, fold: Fold<'_>) -> Result<Array> {
    Ok(Array(B::gemv(&x.0, &w.0, fold.map(|a| &a.0))?))
}

/// [`Fold`] of just the SwiGLU form (`swiglu`) or nothing.
pub fn swiglu_fold<'a>(swiglu: bool) -> Fold<'a> {
    Fold {
        swiglu,
        ..Fold::default()
    }
}

/// BenchBar's kernel for `(x + r, rms_norm(x + r) · w)` in one pass. MLX CUDA only.
pub fn add_rms_norm_kernel(x: &Array, r: &Array, w: &Array, eps: f32) -> Result<(Array, Array)> {
    let (h, y) = B::add_rms_norm(&x.0, &r.0, &w.0, eps)?;
    Ok((Array(h), Array(y)))
}

/// BenchBar's kernel for Qwen3's q/k RMSNorm + RoPE of one position, read from the stacked
/// q|k|v projection `qkv [1, 1, (Hq + 2 Hkv) D]`, with k and v written at position `pos` of
/// `cache` (keys, values `[1, Hkv, capacity, D]`): `norms` = (q_norm, k_norm) weights `[D]`,
/// `rope` = (log2 of the RoPE base, eps), `heads` = (q heads, head dim) -> q `[1, Hq, 1, D]`.
/// MLX CUDA only.
///
/// The cache arrays are written in place, which MLX's graph does not see: only for a cache the
/// caller owns alone, at a position that nothing has read yet (the attention's [`KvCache`]'s
/// next position), with every later read of it ordered after the returned q.
///
/// [`KvCache`]: crate::cache::KvCache
pub fn qk_norm_rope_kv(
    qkv: &Array,
    norms: (&Array, &Array),
    cache: (&Array, &Array),
    pos: i32,
    rope: (f32, f32),
    heads: (i32, i32),
) -> Result<Array> {
    Ok(Array(B::qk_norm_rope_kv(
        &qkv.0,
        (&norms.0 .0, &norms.1 .0),
        (&cache.0 .0, &cache.1 .0),
        pos,
        rope,
        heads,
    )?))
}

/// Positions per key chunk of the attention kernel (one per thread of a block).
pub const ATTENTION_CHUNK: i32 = 128;
/// Key chunks per head the attention kernel's scratch holds: it covers up to
/// `ATTENTION_SPLITS · ATTENTION_CHUNK` positions (8,192); beyond, MLX's attention runs.
pub const ATTENTION_SPLITS: i32 = 64;

/// The scratch [`attention_decode`] writes for a layer of `heads` = (q heads, kv heads, head
/// dim): f32 partial sums for [`ATTENTION_SPLITS`] key chunks per q head, and one int32 ticket
/// per kv head (zeros; each call leaves them at zero).
pub fn attention_scratch(heads: (i32, i32, i32)) -> Result<(Array, Array)> {
    let (hq, hkv, d) = heads;
    let part = ops::zeros(&[hq * ATTENTION_SPLITS * (d + 2)], Dtype::F32)?;
    let tickets = ops::zeros(&[hkv], Dtype::I32)?;
    ops::eval(&[&part, &tickets])?;
    Ok((part, tickets))
}

/// BenchBar's attention of one position `q [1, Hq, 1, D]` over the first `n` positions of
/// `cache` (keys, values `[1, Hkv, capacity, D]`; GQA), `softmax(q·kᵀ · scale) · v` in f32, split
/// over the keys, with `scratch` from [`attention_scratch`] (written in place: one layer's calls
/// must not run at the same time) -> `[1, 1, Hq · D]`. MLX CUDA only.
pub fn attention_decode(
    q: &Array,
    cache: (&Array, &Array),
    scratch: (&Array, &Array),
    n: i32,
    scale: f32,
) -> Result<Array> {
    Ok(Array(B::attn_decode(
        &q.0,
        (&cache.0 .0, &cache.1 .0),
        (&scratch.0 .0, &scratch.1 .0),
        n,
        scale,
    )?))
}

// --- their use in the model --------------------------------------------------------------

/// `(x + r, rms_norm(x + r) · w)`: one kernel where `fused` (the model's [`Kernel::AddRmsNorm`]),
/// else MLX's add and rms_norm.
pub fn add_rms_norm(
    x: &Array,
    r: &Array,
    w: &Array,
    eps: f32,
    fused: bool,
) -> Result<(Array, Array)> {
    if fused {
        return add_rms_norm_kernel(x, r, w, eps);
    }
    let h = ops::add(x, r)?;
    let y = ops::rms_norm(&h, Some(w), eps)?;
    Ok((h, y))
}

/// The MLX ops [`qk_norm_rope_kv`] replaces (before the cache write), on q `[B, L, Hq, D]` and k `[B, L, Hkv, D]`
/// (normed on D, moved to `[B, H, L, D]`, rotated at `off`).
pub fn qk_norm_rope_reference(
    q: &Array,
    k: &Array,
    norms: (&Array, &Array),
    eps: f32,
    base: f32,
    off: RopeOffset<'_>,
) -> Result<(Array, Array)> {
    let to_heads = Some(&[0, 2, 1, 3][..]);
    Ok((
        norm_rope(q, norms.0, eps, base, off, to_heads)?,
        norm_rope(k, norms.1, eps, base, off, to_heads)?,
    ))
}

/// [`qk_norm_rope_reference`] on q `[B, Hq, L, D]` and k `[B, Hkv, L, D]` already in the attention
/// layout (no transposes): the same values, two graph nodes fewer.
pub fn qk_norm_rope_heads_first(
    q: &Array,
    k: &Array,
    norms: (&Array, &Array),
    eps: f32,
    base: f32,
    off: RopeOffset<'_>,
) -> Result<(Array, Array)> {
    Ok((
        norm_rope(q, norms.0, eps, base, off, None)?,
        norm_rope(k, norms.1, eps, base, off, None)?,
    ))
}

/// RMSNorm of `x` on its last axis with weight `w`, then (when given) the axes permuted to the
/// attention layout, then RoPE over the whole head at `off`.
fn norm_rope(
    x: &Array,
    w: &Array,
    eps: f32,
    base: f32,
    off: RopeOffset<'_>,
    permute: Option<&[i32]>,
) -> Result<Array> {
    let d = x.dim(-1);
    let mut y = ops::rms_norm(x, Some(w), eps)?;
    if let Some(axes) = permute {
        y = ops::transpose(&y, axes)?;
    }
    ops::rope(&y, d, false, base, 1.0, off)
}
