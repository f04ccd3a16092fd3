//! BenchBar's CUDA kernels, a plug-in of the in-process engine (Linux; they run on MLX CUDA
//! only): matrix-vector products for 4-bit and float weights with a SwiGLU form and the
//! residual stream's RMSNorm / add folded in ([`Fold`]), residual add + RMSNorm in one pass,
//! q/k RMSNorm + RoPE with the KV-cache write in one pass, attention over the cache. The CUDA
//! source is `kernels.cu` (embedded at build time, compiled by NVRTC at first use); `kernels.cc`
//! checks the arguments and launches each as one node of MLX's graph (`launch.cc`).
//!
//! [`open`] hands out the handle the model's blocks use ([`crate::fast::FastKernels`]) for the
//! kernels a caller asks for, only on MLX CUDA and only after a self-check at first use (each
//! kernel compiled and run on a small input and matched against MLX's own ops), so a machine
//! whose NVRTC cannot build them runs MLX's ops instead of failing mid-run.

use crate::backend as b;
pub use crate::fast::Fold;
use crate::fast::{FastKernels, Kernels};
use crate::ops::{self, Array, Dtype};
use crate::options::KernelSet;
use crate::{Error, Result};

mod ffi;
mod self_check;

/// The kernels of `wanted` that can run here with their handle: none where MLX is not built
/// for CUDA or the self-check fails (it runs once per process, at the first call asking for a
/// kernel, and reports a failure once on stderr).
pub fn open(wanted: KernelSet) -> (KernelSet, Option<Kernels>) {
    let on = usable(wanted);
    (on, (!on.is_empty()).then_some(&CUDA as Kernels))
}

/// The kernels of `wanted` that can run here (see [`open`]).
pub fn usable(wanted: KernelSet) -> KernelSet {
    if wanted.is_empty() || !ffi::kernels_available() {
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

/// The C++ side's fold arguments (kernels.h: `kFoldSwiglu` 1, `kFoldNorm` 2, `kFoldResidual`
/// 4): the norm weight and the residual (`x` where absent: not read), the bits and eps.
fn fold_args<'a>(x: &'a Array, fold: Fold<'a>) -> (&'a Array, &'a Array, u32, f32) {
    let (norm_w, eps) = fold.norm.unwrap_or((x, 0.0));
    let bits = u32::from(fold.swiglu)
        | if fold.norm.is_some() { 2 } else { 0 }
        | if fold.residual.is_some() { 4 } else { 0 };
    (norm_w, fold.residual.unwrap_or(x), bits, eps)
}

/// BenchBar's CUDA kernels ([`FastKernels`]). [`open`] hands them out only where they run;
/// called directly (`examples/kernel_check`, the self-check), each fails where MLX is not the
/// CUDA build.
#[derive(Debug)]
pub struct Cuda;

/// The kernels.
pub static CUDA: Cuda = Cuda;

/// Positions per key chunk of the attention kernel (one per thread of a block).
pub const ATTENTION_CHUNK: i32 = 128;
/// Key chunks per head the attention kernel's scratch holds: it covers up to
/// `ATTENTION_SPLITS · ATTENTION_CHUNK` positions (8,192); beyond, MLX's attention runs.
pub const ATTENTION_SPLITS: i32 = 64;

impl FastKernels for Cuda {
    /// (A norm in `fold` is refused: the 4-bit kernel has no norm fold.)
    fn gemv_q4(
        &self,
        x: &Array,
        w: &Array,
        scales: &Array,
        biases: &Array,
        fold: Fold<'_>,
    ) -> Result<Array> {
        let (_, residual, bits, _) = fold_args(x, fold);
        Ok(Array(b::arr(ffi::gemv_q4(
            &x.0,
            &w.0,
            &scales.0,
            &biases.0,
            &residual.0,
            bits,
        ))?))
    }

    fn gemv(&self, x: &Array, w: &Array, fold: Fold<'_>) -> Result<Array> {
        let (norm_w, residual, bits, eps) = fold_args(x, fold);
        Ok(Array(b::arr(ffi::gemv(
            &x.0,
            &w.0,
            &norm_w.0,
            &residual.0,
            bits,
            eps,
        ))?))
    }

    fn add_rms_norm(&self, x: &Array, r: &Array, w: &Array, eps: f32) -> Result<(Array, Array)> {
        let mut out = b::arrs(ffi::add_rms_norm(&x.0, &r.0, &w.0, eps))?.into_iter();
        match (out.next(), out.next()) {
            (Some(h), Some(y)) => Ok((Array(h), Array(y))),
            _ => Err(Error::Mlx("add_rms_norm: two outputs expected".into())),
        }
    }

    fn qk_norm_rope_kv(
        &self,
        qkv: &Array,
        norms: (&Array, &Array),
        cache: (&Array, &Array),
        pos: i32,
        rope: (f32, f32),
        heads: (i32, i32),
    ) -> Result<Array> {
        Ok(Array(b::arr(ffi::qk_norm_rope_kv(
            &qkv.0,
            &norms.0 .0,
            &norms.1 .0,
            &cache.0 .0,
            &cache.1 .0,
            pos,
            rope.0,
            rope.1,
            heads.0,
            heads.1,
        ))?))
    }

    /// f32 partial sums for [`ATTENTION_SPLITS`] key chunks per q head, and one int32 ticket
    /// per kv head (zeros; each call leaves them at zero).
    fn attention_scratch(&self, heads: (i32, i32, i32)) -> Result<(Array, Array)> {
        let (hq, hkv, d) = heads;
        let part = ops::zeros(&[hq * ATTENTION_SPLITS * (d + 2)], Dtype::F32)?;
        let tickets = ops::zeros(&[hkv], Dtype::I32)?;
        ops::eval(&[&part, &tickets])?;
        Ok((part, tickets))
    }

    fn attention_positions(&self) -> i32 {
        ATTENTION_SPLITS * ATTENTION_CHUNK
    }

    /// `softmax(q·kᵀ · scale) · v` in f32, split over the keys (the scratch is written in
    /// place: one layer's calls must not run at the same time).
    fn attention_decode(
        &self,
        q: &Array,
        cache: (&Array, &Array),
        scratch: (&Array, &Array),
        n: i32,
        scale: f32,
    ) -> Result<Array> {
        Ok(Array(b::arr(ffi::attn_decode(
            &q.0,
            &cache.0 .0,
            &cache.1 .0,
            &scratch.0 .0,
            &scratch.1 .0,
            n,
            scale,
        ))?))
    }
}
