//! Host time BenchBar spends building one batch-1 decode step's graph (the model's MLX ops, no
//! evaluation inside the timing): the "build" part of the decode trace, measured without a GPU.
//! The graph is the same on every backend and the cost per op does not depend on the shapes, so
//! a change to the model's op count shows here first, even on the tiny fixture.
//!
//! `cargo run -p benchbar-mlx --release --example build_cost -- MODEL_DIR [STEPS]`

use benchbar_mlx::nn::AttnInputs;
use benchbar_mlx::ops::{self, Array};
use benchbar_mlx::Qwen3Runtime;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: build_cost MODEL_DIR [STEPS]")?;
    let steps: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let rt = Qwen3Runtime::load(std::path::Path::new(&dir))?;
    let model = rt.model();
    let mut cache = model.new_cache_reserved(steps + 8);
    let ids = Array::from_i32(&[1], &[1, 1])?;
    let mut us = Vec::with_capacity(steps);
    for step in 0..steps {
        let t = Instant::now();
        let inp = AttnInputs::new(1, step, &[0])?;
        let logits = model.forward(&ids, &mut cache, &inp)?;
        let next = ops::argmax(&ops::reshape(&logits, &[1, -1])?, -1)?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
        // Evaluated outside the timing, so every step builds on a materialised cache (as in a
        // real decode) instead of an ever longer lazy chain.
        let mut state: Vec<&Array> = cache.iter().flat_map(|c| c.state()).collect();
        state.push(&next);
        ops::eval(&state)?;
    }
    us.sort_by(f64::total_cmp);
    // The cost of one op alone: a chain of 1,000 reshapes and 1,000 adds, built, not evaluated.
    let a = Array::from_f32(&[1.0; 64], &[1, 64])?;
    let t = Instant::now();
    let mut x = a.clone();
    for _ in 0..1000 {
        x = ops::reshape(&x, &[1, 1, 64])?;
        x = ops::add(&x, &a)?;
    }
    println!(
        "one op (reshape or add, built): {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / 2000.0
    );
    let t = Instant::now();
    for _ in 0..200 {
        x = benchbar_mlx::nn::swiglu(&x, &a)?;
    }
    println!(
        "compiled swiglu call (built): {:.2} µs",
        t.elapsed().as_secs_f64() * 1e6 / 200.0
    );
    let layers = model.config().num_hidden_layers;
    let median = us[us.len() / 2];
    println!(
        "{dir}: graph building of one decode step, median of {steps}: {median:.0} µs \
         ({:.1} µs per layer on average, per-step ops included; p10 {:.0}, p90 {:.0})",
        median / layers as f64,
        us[us.len() / 10],
        us[us.len() * 9 / 10]
    );
    Ok(())
}
