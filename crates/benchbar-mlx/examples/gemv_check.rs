//! GPU check of BenchBar's batch-1 matrix-vector kernels (`shim/gemv.cc`, MLX CUDA only): for
//! each Qwen3 layer shape, the kernel's result against MLX's own `matmul` / `quantized_matmul`
//! (bf16 and 4-bit), and the time per call of both with the weight bandwidth it implies.
//! Exits 1 when a result differs by more than 1% of the reference's largest value; prints one
//! line and exits 0 where the kernels do not run (CPU, Metal, `BENCHBAR_MLX_GEMV=0`).
//!
//! `cargo run -p benchbar-mlx --release --example gemv_check [-- CALLS]` (run by
//! `scripts/gpu_bench.sh run` on the GPU machine).

use benchbar_mlx::gemv;
use benchbar_mlx::ops::{self, Array, Dtype, QuantParams};
use benchbar_mlx::Result;
use std::time::Instant;

/// (label, rows N, columns K): Qwen3-8B and -1.7B decode shapes (q|k|v and gate|up stacked).
const SHAPES: &[(&str, i32, i32)] = &[
    ("8B qkv", 6144, 4096),
    ("8B o", 4096, 4096),
    ("8B gate|up", 24576, 4096),
    ("8B down", 4096, 12288),
    ("8B head", 151936, 4096),
    ("1.7B qkv", 4096, 2048),
    ("1.7B down", 2048, 6144),
    ("1.7B head", 151936, 2048),
];

const Q4: QuantParams = QuantParams {
    group_size: 64,
    bits: 4,
};

/// One way of computing the product (BenchBar's kernel or MLX's op).
type Call<'a> = Box<dyn Fn() -> Result<Array> + 'a>;

/// Deterministic values in [-1, 1) scaled by `scale` (no RNG crate needed for a check).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * scale
        })
        .collect()
}

/// `[n, k]` bf16: a random 64-row block repeated (the content does not matter for bandwidth).
fn weight(n: i32, k: i32, seed: u64) -> Result<Array> {
    let block = Array::from_f32(
        &values(64 * k as usize, seed, 1.0 / (k as f32).sqrt()),
        &[64, k],
    )?;
    let block = ops::astype(&block, Dtype::BF16)?;
    let copies = vec![&block; (n / 64) as usize];
    let w = ops::concatenate(&copies, 0)?;
    ops::eval(&[&w])?;
    Ok(w)
}

/// Mean seconds per call of `f`, `calls` calls evaluated together after one warm-up.
fn time_per_call(calls: usize, f: &dyn Fn() -> Result<Array>) -> Result<f64> {
    ops::eval(&[&f()?])?;
    let t = Instant::now();
    let ys = (0..calls).map(|_| f()).collect::<Result<Vec<_>>>()?;
    ops::eval(&ys.iter().collect::<Vec<_>>())?;
    Ok(t.elapsed().as_secs_f64() / calls as f64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !gemv::enabled() {
        println!(
            "gemv_check: BenchBar's kernels are not in use here ({} build, {}); nothing to check",
            ops::mlx_build(),
            ops::device_description()
        );
        return Ok(());
    }
    let calls: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50);
    println!(
        "gemv_check: MLX {} ({}) on {}, {calls} calls per timing",
        ops::mlx_version(),
        ops::mlx_build(),
        ops::device_description()
    );
    println!("| shape | N x K | kind | rel. error | BenchBar µs | MLX µs | BenchBar GB/s | MLX GB/s | speed-up |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut failed = false;
    for (i, &(label, n, k)) in SHAPES.iter().enumerate() {
        let x = ops::astype(
            &Array::from_f32(&values(k as usize, 7 + i as u64, 1.0), &[1, 1, k])?,
            Dtype::BF16,
        )?;
        let w = weight(n, k, 100 + i as u64)?;
        let wt = ops::transpose(&w, &[1, 0])?;
        let (wq, scales, biases) = ops::quantize(&w, Q4)?;
        ops::eval(&[&x, &wq, &scales, &biases])?;
        let dense_bytes = w.nbytes();
        let q4_bytes = wq.nbytes() + scales.nbytes() + biases.nbytes();
        let rows: [(&str, usize, Call, Call); 2] = [
            (
                "bf16",
                dense_bytes,
                Box::new(|| ops::gemv(&x, &w, None)),
                Box::new(|| ops::matmul(&x, &wt)),
            ),
            (
                "4-bit",
                q4_bytes,
                Box::new(|| ops::gemv(&x, &wq, Some((&scales, &biases)))),
                Box::new(|| ops::quantized_matmul(&x, &wq, &scales, Some(&biases), true, Q4)),
            ),
        ];
        for (kind, bytes, ours, mlx) in &rows {
            let err = f64::from(gemv::relative_difference(
                &ours()?.to_f32_vec()?,
                &mlx()?.to_f32_vec()?,
            ));
            let t_ours = time_per_call(calls, ours.as_ref())?;
            let t_mlx = time_per_call(calls, mlx.as_ref())?;
            let ok = err <= 1e-2;
            failed |= !ok;
            println!(
                "| {label} | {n} x {k} | {kind} | {err:.1e}{} | {:.1} | {:.1} | {:.0} | {:.0} | {:.2}x |",
                if ok { "" } else { " FAIL" },
                t_ours * 1e6,
                t_mlx * 1e6,
                *bytes as f64 / t_ours / 1e9,
                *bytes as f64 / t_mlx / 1e9,
                t_mlx / t_ours
            );
        }
    }
    if failed {
        eprintln!("gemv_check: a kernel result differs from MLX's by more than 1%");
        std::process::exit(1);
    }
    Ok(())
}
