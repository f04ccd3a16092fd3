//! BenchBar's CUDA kernels (the `cuda` plug-in, Linux) exist for MLX CUDA only: the caller selects them
//! (`EngineOptions::kernels`; the CLI from `BENCHBAR_MLX_KERNELS`); where no kernel exists (this
//! CPU build) the engine runs MLX's ops (the fallbacks below are those ops, so the oracle tests
//! cover them) and a direct call is an error, not a crash. The kernels' numbers are checked against MLX's ops on the GPU
//! (`examples/kernel_check.rs`, run by `scripts/gpu_bench.sh run`).

#![cfg(target_os = "linux")]

mod common;

use benchbar_mlx::cuda::{self as kernels, Fold, CUDA};
use benchbar_mlx::fast::FastKernels;
use benchbar_mlx::models::Qwen3;
use benchbar_mlx::nn::{self, AttnInputs};
use benchbar_mlx::ops::{self, Array, Dtype, QuantParams, RopeOffset};
use benchbar_mlx::options::selection;
use benchbar_mlx::weights::Weights;
use benchbar_mlx::{Kernel, KernelSet, ModelOptions, Qwen3Config};

fn bf16(data: &[f32], shape: &[i32]) -> Array {
    ops::astype(&Array::from_f32(data, shape).unwrap(), Dtype::BF16).unwrap()
}

fn ramp(n: usize, step: f32) -> Vec<f32> {
    (0..n).map(|i| (i % 13) as f32 * step - 0.5).collect()
}

#[test]
fn the_selection_is_every_kernel_unless_narrowed_or_turned_off() {
    for default in [None, Some(""), Some("1"), Some(" on "), Some("Auto")] {
        assert_eq!(selection(default), Ok(0b111111), "{default:?}");
    }
    assert_eq!(selection(Some("ALL")), Ok(0b111111));
    for off in ["0", "off", "OFF", " false ", "none"] {
        assert_eq!(selection(Some(off)), Ok(0), "{off:?}");
    }
    assert_eq!(selection(Some("gemv_q4")), Ok(0b001));
    assert_eq!(selection(Some("qk_norm_rope, add_rms_norm")), Ok(0b110));
    assert_eq!(selection(Some("gemv")), Ok(0b1000));
    assert_eq!(selection(Some("attention,gemv")), Ok(0b11000));
    assert_eq!(selection(Some("gemv,fold")), Ok(0b101000));
    let err = selection(Some("gemv_q4,gemv_bf16")).unwrap_err();
    assert!(
        err.contains("\"gemv_bf16\"") && err.contains("qk_norm_rope"),
        "{err}"
    );
}

#[test]
fn relative_difference_is_over_the_largest_reference_value() {
    assert_eq!(kernels::relative_difference(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
    assert_eq!(
        kernels::relative_difference(&[1.0, 3.0], &[1.0, -4.0]),
        7.0 / 4.0
    );
    assert_eq!(kernels::relative_difference(&[0.5], &[0.0]), 0.5);
}

#[test]
fn without_cuda_the_kernels_are_off_and_direct_calls_fail_cleanly() {
    assert_eq!(
        benchbar_mlx::mlx_build(),
        "cpu",
        "this test expects the CPU build of MLX"
    );
    assert!(kernels::usable(KernelSet::ALL).is_empty());
    assert!(kernels::open(KernelSet::ALL).1.is_none());
    let x = bf16(&ramp(64, 0.1), &[1, 1, 64]);
    let w = bf16(&ramp(32 * 64, 0.05), &[32, 64]);
    let q = QuantParams::affine(32, 4);
    let (wq, s, b) = ops::quantize(&w, q).unwrap();
    let norm_w = bf16(&ramp(64, 0.2), &[64]);
    let qkv = bf16(&ramp(3 * 64, 0.1), &[1, 1, 3 * 64]);
    let cache = bf16(&ramp(4 * 64, 0.1), &[1, 1, 4, 64]);
    let errors = [
        CUDA.gemv_q4(&x, &wq, &s, &b, Fold::swiglu(false))
            .unwrap_err(),
        CUDA.gemv(&x, &w, Fold::swiglu(true)).unwrap_err(),
        CUDA.gemv(
            &x,
            &w,
            Fold {
                norm: Some((&norm_w, 1e-6)),
                ..Fold::default()
            },
        )
        .unwrap_err(),
        CUDA.attention_decode(
            &bf16(&ramp(2 * 64, 0.1), &[1, 2, 1, 64]),
            (&cache, &cache),
            (
                &ops::zeros(&[2 * 66], Dtype::F32).unwrap(),
                &ops::zeros(&[1], Dtype::I32).unwrap(),
            ),
            3,
            0.125,
        )
        .unwrap_err(),
        CUDA.add_rms_norm(&x, &x, &norm_w, 1e-6).unwrap_err(),
        CUDA.qk_norm_rope_kv(
            &qkv,
            (&norm_w, &norm_w),
            (&cache, &cache),
            3,
            (20.0, 1e-6),
            (1, 64),
        )
        .unwrap_err(),
    ];
    for e in errors {
        assert!(e.to_string().contains("CUDA"), "{e}");
    }
}

#[test]
fn the_fallbacks_are_mlx_ops() {
    // add + norm: the stream sum and MLX's rms_norm of it.
    let x = bf16(&ramp(64, 0.1), &[1, 1, 64]);
    let r = bf16(&ramp(64, 0.07), &[1, 1, 64]);
    let w = bf16(&ramp(64, 0.2), &[64]);
    let (h, y) = nn::add_rms_norm(&x, &r, &w, 1e-6, None).unwrap();
    let h_ref = ops::add(&x, &r).unwrap();
    assert_eq!(h.to_f32_vec().unwrap(), h_ref.to_f32_vec().unwrap());
    let y_ref = ops::rms_norm(&h_ref, Some(&w), 1e-6).unwrap();
    assert_eq!(y.to_f32_vec().unwrap(), y_ref.to_f32_vec().unwrap());
    // q/k norm + RoPE reference: at position 0 RoPE is the identity, so the result is the norm,
    // moved to [B, H, L, D].
    let q = bf16(&ramp(2 * 64, 0.1), &[1, 1, 2, 64]);
    let k = bf16(&ramp(64, 0.3), &[1, 1, 1, 64]);
    let (qo, ko) = nn::qk_norm_rope(
        &q,
        &k,
        (&w, &w),
        1e-6,
        &nn::Rope::plain(64, 1e6),
        RopeOffset::Scalar(0),
        true,
    )
    .unwrap();
    assert_eq!(qo.shape(), vec![1, 2, 1, 64]);
    assert_eq!(ko.shape(), vec![1, 1, 1, 64]);
    let qn = ops::transpose(&ops::rms_norm(&q, Some(&w), 1e-6).unwrap(), &[0, 2, 1, 3]).unwrap();
    assert_eq!(qo.to_f32_vec().unwrap(), qn.to_f32_vec().unwrap());
}

/// `n` token ids (positions `from..from + n` mapped into the tiny vocabulary), `[1, n]` int32.
fn ids(from: i32, n: i32) -> Array {
    let v: Vec<f32> = (from..from + n).map(|i| (i * 7 % 50) as f32).collect();
    ops::astype(&Array::from_f32(&v, &[1, n]).unwrap(), Dtype::I32).unwrap()
}

#[test]
fn folding_the_norms_into_the_projections_changes_no_value_where_mlx_ops_run() {
    // Without the kernels (this CPU build) a folded norm is applied by MLX's rms_norm where the
    // projection's kernel would have folded it in, and every residual add stays pending for the
    // next norm: a prefill and two decode steps give the same logits bit for bit.
    for variant in ["bf16", "4bit"] {
        let dir = common::model_dir(variant);
        let cfg = Qwen3Config::from_dir(&dir).unwrap();
        let w = Weights::load(&dir).unwrap();
        let build = |kernels| {
            Qwen3::new(
                &cfg,
                &w,
                &ModelOptions {
                    kernels,
                    fast: None,
                    fuse: true,
                },
            )
            .unwrap()
        };
        let plain = build(KernelSet::NONE);
        let folded = build(KernelSet::of(&[Kernel::Fold]));
        let vocab = cfg.vocab_size as i32;
        let (mut c_plain, mut c_folded) = (plain.new_cache(), folded.new_cache());
        let steps = [(0, 5), (5, 1), (6, 1)];
        for (from, n) in steps {
            let (x, inp) = (
                ids(from, n),
                AttnInputs::new(n as usize, from as usize, &[0]).unwrap(),
            );
            let a = plain.forward(&x, &mut c_plain, &inp).unwrap();
            let b = folded.forward(&x, &mut c_folded, &inp).unwrap();
            assert_eq!(a.shape(), vec![1, n, vocab]);
            assert_eq!(
                a.to_f32_vec().unwrap(),
                b.to_f32_vec().unwrap(),
                "{variant} at {from}"
            );
        }
        let h = folded.forward_hidden(
            &ids(7, 2),
            &mut c_folded,
            &AttnInputs::new(2, 7, &[0]).unwrap(),
        );
        assert_eq!(h.unwrap().shape()[2], cfg.hidden_size as i32);
    }
}
