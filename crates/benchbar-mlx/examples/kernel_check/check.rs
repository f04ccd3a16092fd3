//! The check itself (Linux: the CUDA plug-in exists there only); see main.rs.

use benchbar_mlx::cuda::{self as kernels, Fold, CUDA};
use benchbar_mlx::fast::FastKernels;
use benchbar_mlx::nn;
use benchbar_mlx::ops::{self, Array, Dtype, QuantParams, RopeOffset};
use benchbar_mlx::{KernelSet, Result};
use std::time::Instant;

/// (label, rows N, columns K) of the layers (q|k|v and gate|up stacked).
const GEMV_SHAPES: &[(&str, i32, i32)] = &[
    ("8B qkv", 6144, 4096),
    ("8B o", 4096, 4096),
    ("8B gate|up", 24576, 4096),
    ("8B down", 4096, 12288),
    ("8B head", 151936, 4096),
    ("1.7B qkv", 4096, 2048),
    ("1.7B gate|up", 12288, 2048),
    ("1.7B down", 2048, 6144),
    ("1.7B head", 151936, 2048),
];

/// (label, hidden, q heads, kv heads) for the norm kernels (head dim 128).
const NORM_SHAPES: &[(&str, i32, i32, i32)] = &[("8B", 4096, 32, 8), ("1.7B", 2048, 16, 8)];

const Q4: QuantParams = QuantParams::affine(64, 4);

/// One way of computing a result (BenchBar's kernel or MLX's ops), given a copy index.
type Call<'a> = Box<dyn Fn(usize) -> Result<Array> + 'a>;

/// Whether the layer is a block's last projection (o, down: the residual add follows).
fn ends_a_block(label: &str) -> bool {
    label.ends_with(" o") || label.ends_with("down")
}

/// What the decode step folds into a layer's float product: the RMSNorm in front of q|k|v, gate|up
/// (with SwiGLU) and the head, the residual add after o and down.
fn fold_of<'a>(label: &str, norm_w: &'a Array, residual: &'a Array) -> (&'static str, Fold<'a>) {
    let norm = Fold {
        norm: Some((norm_w, 1e-6)),
        ..Fold::default()
    };
    if label.ends_with("gate|up") {
        (
            "norm + SwiGLU",
            Fold {
                swiglu: true,
                ..norm
            },
        )
    } else if ends_a_block(label) {
        (
            "residual",
            Fold {
                residual: Some(residual),
                ..Fold::default()
            },
        )
    } else {
        ("norm", norm)
    }
}

/// MLX's ops for `fold` around `product` (x · wᵀ of the given input), in x's type (`f32`: all
/// in f32, with `product` given an f32 input: the folded norm's products are of f32 values,
/// where MLX's ops round the normalised input to bf16 first).
fn fold_reference(
    fold: Fold,
    x: &Array,
    f32: bool,
    product: &dyn Fn(&Array) -> Result<Array>,
) -> Result<Array> {
    let cast = |a: &Array| {
        if f32 {
            ops::astype(a, Dtype::F32)
        } else {
            Ok(a.clone())
        }
    };
    let y = match fold.norm {
        Some((w, eps)) => product(&ops::rms_norm(&cast(x)?, Some(&cast(w)?), eps)?)?,
        None => product(&cast(x)?)?,
    };
    let y = if fold.swiglu { swiglu_of(&y)? } else { y };
    match fold.residual {
        Some(r) => ops::add(&cast(r)?, &y),
        None => Ok(y),
    }
}

/// Deterministic values in [-1, 1) scaled by `scale`.
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005) ^ 1442695040888963407;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * scale
        })
        .collect()
}

fn bf16(data: &[f32], shape: &[i32]) -> Result<Array> {
    ops::astype(&Array::from_f32(data, shape)?, Dtype::BF16)
}

/// A bf16 `[n, k]` layer: a random 64-row block repeated.
fn dense_layer(n: i32, k: i32, seed: u64) -> Result<Array> {
    let block = bf16(&values(64 * k as usize, seed, 0.05), &[64, k])?;
    let w = ops::concatenate(&vec![&block; (n / 64) as usize], 0)?;
    ops::eval(&[&w])?;
    Ok(w)
}

/// The two halves of a gate|up product `y [1, 1, 2I]` through MLX's SwiGLU.
fn swiglu_of(y: &Array) -> Result<Array> {
    let i = y.dim(2) / 2;
    let g = ops::slice(y, &[0, 0, 0], &[1, 1, i])?;
    let u = ops::slice(y, &[0, 0, i], &[1, 1, 2 * i])?;
    nn::swiglu(&g, &u)
}

/// The norm weight `[k]` and the residual `[1, 1, n]` of shape `i`'s folded row.
fn fold_operands(i: usize, n: i32, k: i32) -> Result<(Array, Array)> {
    Ok((
        bf16(&values(k as usize, 300 + i as u64, 1.0), &[k])?,
        bf16(&values(n as usize, 400 + i as u64, 1.0), &[1, 1, n])?,
    ))
}

/// A 4-bit `[n, k]` layer: a random 64-row block repeated, quantized.
fn q4_layer(n: i32, k: i32, seed: u64) -> Result<(Array, Array, Array)> {
    let w = dense_layer(n, k, seed)?;
    let (wq, s, b) = ops::quantize(&w, Q4)?;
    ops::eval(&[&wq, &s, &b])?;
    Ok((wq, s, b))
}

/// Mean seconds per call, `calls` calls (cycling through `copies`) evaluated together after one
/// warm-up.
fn time_per_call(calls: usize, copies: usize, f: &Call) -> Result<f64> {
    ops::eval(&[&f(0)?])?;
    let t = Instant::now();
    let ys = (0..calls)
        .map(|i| f(i % copies))
        .collect::<Result<Vec<_>>>()?;
    ops::eval(&ys.iter().collect::<Vec<_>>())?;
    Ok(t.elapsed().as_secs_f64() / calls as f64)
}

/// Compares and times one kernel against MLX; prints a table row; returns whether it matched.
fn row(
    label: &str,
    calls: usize,
    copies: usize,
    bytes: usize,
    ours: Call,
    mlx: Call,
) -> Result<bool> {
    row_against(label, (calls, copies, bytes), ours, mlx, None)
}

/// [`row`] with the error measured against `exact` where given (else against `mlx`).
fn row_against(
    label: &str,
    (calls, copies, bytes): (usize, usize, usize),
    ours: Call,
    mlx: Call,
    exact: Option<Call>,
) -> Result<bool> {
    let reference = exact.as_ref().unwrap_or(&mlx)(0)?;
    let err = kernels::relative_difference(&ours(0)?.to_f32_vec()?, &reference.to_f32_vec()?);
    let (t_ours, t_mlx) = (
        time_per_call(calls, copies, &ours)?,
        time_per_call(calls, copies, &mlx)?,
    );
    let ok = err <= 1e-2;
    let gbs = |t: f64| {
        if bytes > 0 {
            format!("{:.0}", bytes as f64 / t / 1e9)
        } else {
            "-".into()
        }
    };
    println!(
        "| {label} | {err:.1e}{} | {:.1} | {:.1} | {} | {} | {:.2}x |",
        if ok { "" } else { " FAIL" },
        t_ours * 1e6,
        t_mlx * 1e6,
        gbs(t_ours),
        gbs(t_mlx),
        t_mlx / t_ours
    );
    Ok(ok)
}

pub fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    // The same selection as the CLI's (an unknown name: none, as there).
    let wanted = std::env::var("BENCHBAR_MLX_KERNELS").ok();
    let wanted = KernelSet::parse(wanted.as_deref()).unwrap_or_else(|e| {
        eprintln!("kernel_check: BENCHBAR_MLX_KERNELS: {e}; using MLX's ops");
        KernelSet::NONE
    });
    if kernels::usable(wanted).is_empty() {
        println!(
            "kernel_check: BenchBar's kernels are not in use here ({} build, {}); nothing to check",
            benchbar_mlx::mlx_build(),
            benchbar_mlx::device_description()
        );
        return Ok(());
    }
    let calls: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(64);
    println!(
        "kernel_check: MLX {} ({}) on {}, {calls} calls per timing",
        benchbar_mlx::mlx_version(),
        benchbar_mlx::mlx_build(),
        benchbar_mlx::device_description()
    );
    println!("| kernel, shape | rel. error | BenchBar µs | MLX µs | BenchBar GB/s | MLX GB/s | speed-up |");
    println!("|---|---|---|---|---|---|---|");
    let mut all_ok = true;
    for (i, &(label, n, k)) in GEMV_SHAPES.iter().enumerate() {
        let x = bf16(&values(k as usize, 7 + i as u64, 1.0), &[1, 1, k])?;
        let first = q4_layer(n, k, 100 + i as u64)?;
        let bytes = first.0.nbytes() + first.1.nbytes() + first.2.nbytes();
        let copies = (256_000_000 / bytes + 1).min(64);
        let mut layers = vec![first];
        for c in 1..copies {
            layers.push(q4_layer(n, k, 1000 * c as u64 + i as u64)?);
        }
        let (x, layers) = (&x, &layers);
        // BenchBar's kernel with `fold`, and MLX's product of x, on copy c
        let ours = move |c: usize, fold| {
            let (w, s, b) = &layers[c];
            CUDA.gemv_q4(x, w, s, b, fold)
        };
        let mlx = move |c: usize, x: &Array| {
            let (w, s, b) = &layers[c];
            ops::quantized_matmul(x, w, s, Some(b), true, Q4)
        };
        all_ok &= row(
            &format!("gemv_q4 {label} {n} x {k}"),
            calls,
            copies,
            bytes,
            Box::new(move |c| ours(c, Fold::swiglu(false))),
            Box::new(move |c| mlx(c, x)),
        )?;
        if label.ends_with("gate|up") {
            all_ok &= row(
                &format!("gemv_q4 + SwiGLU {label} {n} x {k}"),
                calls,
                copies,
                bytes,
                Box::new(move |c| ours(c, Fold::swiglu(true))),
                Box::new(move |c| swiglu_of(&mlx(c, x)?)),
            )?;
        }
        // the 4-bit kernel folds the residual add only (o, down)
        if ends_a_block(label) {
            let res = fold_operands(i, n, k)?.1;
            let res = &res;
            let fold = Fold {
                residual: Some(res),
                ..Fold::default()
            };
            all_ok &= row(
                &format!("gemv_q4 + residual {label} {n} x {k}"),
                calls,
                copies,
                bytes,
                Box::new(move |c| ours(c, fold)),
                Box::new(move |c| fold_reference(fold, x, false, &|x| mlx(c, x))),
            )?;
        }
    }
    for (i, &(label, n, k)) in GEMV_SHAPES.iter().enumerate() {
        let x = bf16(&values(k as usize, 7 + i as u64, 1.0), &[1, 1, k])?;
        let first = dense_layer(n, k, 200 + i as u64)?;
        let bytes = first.nbytes();
        let copies = (256_000_000 / bytes + 1).min(64);
        let mut layers = vec![first];
        for c in 1..copies {
            layers.push(dense_layer(n, k, 2000 * c as u64 + i as u64)?);
        }
        let (x, layers) = (&x, &layers);
        let mlx = move |c: usize| ops::matmul(x, &ops::transpose(&layers[c], &[1, 0])?);
        all_ok &= row(
            &format!("gemv bf16 {label} {n} x {k}"),
            calls,
            copies,
            bytes,
            Box::new(move |c| CUDA.gemv(x, &layers[c], Fold::swiglu(false))),
            Box::new(mlx),
        )?;
        if label.ends_with("gate|up") {
            all_ok &= row(
                &format!("gemv bf16 + SwiGLU {label} {n} x {k}"),
                calls,
                copies,
                bytes,
                Box::new(move |c| CUDA.gemv(x, &layers[c], Fold::swiglu(true))),
                Box::new(move |c| swiglu_of(&mlx(c)?)),
            )?;
        }
        let (norm_w, res) = fold_operands(i, n, k)?;
        let (what, fold) = fold_of(label, &norm_w, &res);
        let mlx = move |c: usize, f32: bool| {
            fold_reference(fold, x, f32, &|x| {
                let wt = ops::transpose(&layers[c], &[1, 0])?;
                ops::matmul(
                    x,
                    &if f32 {
                        ops::astype(&wt, Dtype::F32)?
                    } else {
                        wt
                    },
                )
            })
        };
        all_ok &= row_against(
            &format!("gemv bf16 + {what} {label} {n} x {k}"),
            (calls, copies, bytes),
            Box::new(move |c| CUDA.gemv(x, &layers[c], fold)),
            Box::new(move |c| mlx(c, false)),
            fold.norm.map(|_| Box::new(move |c| mlx(c, true)) as Call),
        )?;
    }
    for (i, &(label, h, nq, nkv)) in NORM_SHAPES.iter().enumerate() {
        let x = bf16(&values(h as usize, 50 + i as u64, 1.0), &[1, 1, h])?;
        let r = bf16(&values(h as usize, 60 + i as u64, 1.0), &[1, 1, h])?;
        let w = bf16(&values(h as usize, 70 + i as u64, 1.0), &[h])?;
        let (x, r, w) = (&x, &r, &w);
        all_ok &= row(
            &format!("add_rms_norm {label} {h}"),
            calls,
            1,
            0,
            Box::new(move |_| Ok(CUDA.add_rms_norm(x, r, w, 1e-6)?.1)),
            Box::new(move |_| ops::rms_norm(&ops::add(x, r)?, Some(w), 1e-6)),
        )?;
        let d = 128;
        let heads = nq + 2 * nkv;
        let qkv = bf16(
            &values((heads * d) as usize, 80 + i as u64, 2.0),
            &[1, 1, heads * d],
        )?;
        let qw = bf16(&values(d as usize, 90 + i as u64, 1.0), &[d])?;
        let kw = bf16(&values(d as usize, 95 + i as u64, 1.0), &[d])?;
        let base = 1e6f32;
        let split = ops::reshape(&qkv, &[1, 1, heads, d])?;
        let part = |from, to| ops::slice(&split, &[0, 0, from, 0], &[1, 1, to, d]);
        let (qi, ki, vi) = (part(0, nq)?, part(nq, nq + nkv)?, part(nq + nkv, heads)?);
        let cap = 1024;
        let kc = bf16(
            &values((nkv * cap * d) as usize, 85, 1.0),
            &[1, nkv, cap, d],
        )?;
        let vc = bf16(
            &values((nkv * cap * d) as usize, 86, 1.0),
            &[1, nkv, cap, d],
        )?;
        ops::eval(&[&kc, &vc])?;
        let (qkv, qw, kw, qi, ki, kc, vc) = (&qkv, &qw, &kw, &qi, &ki, &kc, &vc);
        let pos = 611;
        let rope = (base.log2(), 1e-6);
        let reference = move || {
            nn::qk_norm_rope(
                qi,
                ki,
                (qw, kw),
                1e-6,
                &nn::Rope::plain(d, base),
                RopeOffset::Scalar(pos),
                true,
            )
        };
        all_ok &= row(
            &format!("qk_norm_rope_kv (q) {label} {nq}+{nkv} heads"),
            calls,
            1,
            0,
            Box::new(move |_| CUDA.qk_norm_rope_kv(qkv, (qw, kw), (kc, vc), pos, rope, (nq, d))),
            Box::new(move |_| Ok(reference()?.0)),
        )?;
        // attention over the first pos + 1 positions of the caches
        let scratch = CUDA.attention_scratch((nq, nkv, d))?;
        let scale = (d as f32).powf(-0.5);
        let valid = move |c: &Array| ops::slice(c, &[0, 0, 0, 0], &[1, nkv, pos + 1, d]);
        let q = bf16(&values((nq * d) as usize, 87, 1.0), &[1, nq, 1, d])?;
        let (q, scratch) = (&q, &scratch);
        all_ok &= row(
            &format!("attention {label} {nq}+{nkv} heads, {} positions", pos + 1),
            calls,
            1,
            0,
            Box::new(move |_| {
                CUDA.attention_decode(q, (kc, vc), (&scratch.0, &scratch.1), pos + 1, scale)
            }),
            Box::new(move |_| {
                let o = ops::scaled_dot_product_attention(
                    q,
                    &valid(kc)?,
                    &valid(vc)?,
                    scale,
                    ops::MaskKind::None,
                    None,
                )?;
                ops::reshape(&o, &[1, 1, nq * d])
            }),
        )?;
        // the k and v the kernel calls above wrote at `pos` of the caches
        let at = |c: &Array| ops::slice(c, &[0, 0, pos, 0], &[1, nkv, pos + 1, d]);
        let kr = reference()?.1;
        let vr = ops::transpose(&vi, &[0, 2, 1, 3])?;
        for (what, ours, mlx) in [("keys", at(kc)?, kr), ("values", at(vc)?, vr)] {
            let err = kernels::relative_difference(&ours.to_f32_vec()?, &mlx.to_f32_vec()?);
            let ok = err <= 1e-2;
            println!(
                "| qk_norm_rope_kv ({what} at {pos}) {label} | {err:.1e}{} | - | - | - | - | - |",
                if ok { "" } else { " FAIL" }
            );
            all_ok &= ok;
        }
    }
    if !all_ok {
        eprintln!("kernel_check: a kernel result differs from MLX's by more than 1%");
        std::process::exit(1);
    }
    Ok(())
}
