//! GPU check of BenchBar's CUDA kernels (`src/cuda/`, MLX CUDA only) at Qwen3-1.7B/8B
//! decode shapes: each kernel's result against the MLX ops it replaces, and the time per call of
//! both. The matrix-vector timings cycle through enough weight copies (≥ 256 MB) that no
//! call finds its weights in the GPU's 50 MB L2, as in a real decode step. The products with the
//! RMSNorm folded in are checked against MLX's ops in f32 (they multiply f32 values where MLX's
//! ops round the normalised input to bf16) and timed against MLX's bf16 ops. Exits 1 when a
//! result differs by more than 1% of the reference's largest value; prints one line and exits 0 where
//! the kernels do not run (CPU, Metal, `BENCHBAR_MLX_KERNELS=0`).
//!
//! `cargo run -p benchbar-mlx --release --example kernel_check [-- CALLS]` (run by
//! `scripts/gpu_bench.sh run` on the GPU machine). Not on macOS: the kernels are CUDA kernels.

#[cfg(target_os = "linux")]
mod check;

#[cfg(target_os = "linux")]
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    check::main()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    println!("kernel_check: BenchBar's kernels are CUDA kernels (Linux with MLX CUDA only)");
}
