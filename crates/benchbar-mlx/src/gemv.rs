//! When linear layers use BenchBar's batch-1 matrix-vector kernels ([`ops::gemv`],
//! `shim/gemv.cc`): on MLX CUDA, unless `BENCHBAR_MLX_GEMV=0`, and only after a self-check at
//! first use (both kernels compiled and run on a small layer, each matching MLX's own op), so a
//! machine whose CUDA JIT cannot build them runs MLX's kernels instead of failing mid-run.

use crate::ops::{self, Array, Dtype, QuantParams};
use crate::Result;

/// Whether [`ops::gemv`] is used for one-row inputs in this process (decided once).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        if !switch(std::env::var("BENCHBAR_MLX_GEMV").ok().as_deref())
            || !<crate::backend::Active as crate::backend::Backend>::gemv_available()
        {
            return false;
        }
        match self_check() {
            Ok(()) => true,
            Err(e) => {
                eprintln!("benchbar-mlx: BenchBar's gemv kernels are off ({e}); using MLX's");
                false
            }
        }
    })
}

/// The `BENCHBAR_MLX_GEMV` switch: on unless set to `0`, `off` or `false`.
pub fn switch(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "off" | "false")
    )
}

/// Largest |a - b| over the largest |b|.
pub fn relative_difference(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    if scale > 0.0 {
        diff / scale
    } else {
        diff
    }
}

/// Both kernels on a `[32, 64]` bf16 layer (dense and 4-bit) against MLX's matmul and
/// quantized_matmul.
fn self_check() -> Result<()> {
    let vals = |n: usize, m: usize| -> Vec<f32> {
        (0..n).map(|i| ((i * m) % 17) as f32 / 8.0 - 1.0).collect()
    };
    let x = ops::astype(&Array::from_f32(&vals(64, 5), &[1, 1, 64])?, Dtype::BF16)?;
    let w = ops::astype(&Array::from_f32(&vals(32 * 64, 7), &[32, 64])?, Dtype::BF16)?;
    let q = QuantParams {
        group_size: 64,
        bits: 4,
    };
    let (wq, s, b) = ops::quantize(&w, q)?;
    let pairs = [
        (
            ops::gemv(&x, &w, None)?,
            ops::matmul(&x, &ops::transpose(&w, &[1, 0])?)?,
        ),
        (
            ops::gemv(&x, &wq, Some((&s, &b)))?,
            ops::quantized_matmul(&x, &wq, &s, Some(&b), true, q)?,
        ),
    ];
    for (ours, mlx) in pairs {
        let d = relative_difference(&ours.to_f32_vec()?, &mlx.to_f32_vec()?);
        if d > 1e-2 {
            return Err(crate::Error::Mlx(format!(
                "self-check: result differs from MLX's by {d:.1e}"
            )));
        }
    }
    Ok(())
}
