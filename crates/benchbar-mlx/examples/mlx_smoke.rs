//! Smoke check of the MLX backend: version, device, BLAS, f32 matmul speed, and (given a model
//! dir) a short greedy generation with decode rate.
//!
//! `cargo run -p benchbar-mlx --release --example mlx_smoke [-- MODEL_SPEC [TOKENS]]`

use benchbar_mlx::ops::{self, Array};
use benchbar_mlx::{GenerateOptions, Qwen3Runtime};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "mlx {} on {}, openblas threads: {:?}",
        benchbar_mlx::mlx_version(),
        benchbar_mlx::device_name(),
        benchbar_mlx::blas_threads()
    );
    let a = Array::from_f32(&vec![0.5f32; 512 * 1024], &[512, 1024])?;
    let b = Array::from_f32(&vec![0.25f32; 1024 * 3072], &[1024, 3072])?;
    ops::eval(&[&a, &b])?;
    let t = Instant::now();
    for _ in 0..5 {
        ops::eval(&[&ops::matmul(&a, &b)?])?;
    }
    println!(
        "f32 matmul 512x1024x3072: {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0 / 5.0
    );

    let mut args = std::env::args().skip(1);
    if let Some(spec) = args.next() {
        let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(32);
        let dir = benchbar_mlx::resolve_model(&spec)?;
        let t = Instant::now();
        let mut rt = Qwen3Runtime::load(&dir)?;
        println!(
            "loaded {:?} in {:.2} s",
            rt.info(),
            t.elapsed().as_secs_f64()
        );
        let prompt = rt.encode("Write a short story about a benchmark.", true)?;
        let opts = GenerateOptions {
            max_tokens: n,
            suppress_eos: true,
            ..Default::default()
        };
        let mut run = || {
            let start = Instant::now();
            let mut times = Vec::new();
            let out = rt.generate(std::slice::from_ref(&prompt), &opts, &mut |e| {
                times.push(e.at)
            });
            out.map(|o| (start, times, o))
        };
        let _ = run()?; // warmup
        let (start, times, out) = run()?;
        let first = times[0];
        let last = *times.last().unwrap_or(&first);
        println!(
            "prompt {} tok, ttft {:.1} ms, decode {:.1} tok/s, peak {} MB",
            prompt.len(),
            (first - start).as_secs_f64() * 1000.0,
            (times.len().saturating_sub(1)) as f64 / (last - first).as_secs_f64().max(1e-9),
            benchbar_mlx::memory().peak_bytes / 1_000_000
        );
        println!("{:?}", rt.decode(&out[0])?);
    }
    Ok(())
}
