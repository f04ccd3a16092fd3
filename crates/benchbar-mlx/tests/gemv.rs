//! BenchBar's batch-1 matrix-vector kernels (`shim/gemv.cc`) exist for MLX CUDA only: the
//! switch reads `BENCHBAR_MLX_GEMV`, and where no kernel exists (this CPU build) the engine does
//! not use them and a direct call is an error, not a crash. Their numbers are checked against
//! MLX's matmul on the GPU (`examples/gemv_check.rs`, run by `scripts/gpu_bench.sh run`).

use benchbar_mlx::gemv;
use benchbar_mlx::ops::{self, Array, Dtype, QuantParams};

#[test]
fn the_switch_is_on_unless_turned_off() {
    assert!(gemv::switch(None));
    assert!(gemv::switch(Some("1")));
    assert!(gemv::switch(Some("")));
    for off in ["0", "off", "OFF", " false "] {
        assert!(!gemv::switch(Some(off)), "{off:?}");
    }
}

#[test]
fn without_a_gpu_kernel_the_engine_uses_mlx_and_a_direct_call_fails_cleanly() {
    assert_eq!(
        ops::mlx_build(),
        "cpu",
        "this test expects the CPU build of MLX"
    );
    assert!(!gemv::enabled());
    let x = ops::astype(
        &Array::from_f32(&[0.5; 64], &[1, 1, 64]).unwrap(),
        Dtype::BF16,
    )
    .unwrap();
    let w = ops::astype(
        &Array::from_f32(&[0.25; 32 * 64], &[32, 64]).unwrap(),
        Dtype::BF16,
    )
    .unwrap();
    let err = ops::gemv(&x, &w, None).unwrap_err().to_string();
    assert!(err.contains("CUDA"), "{err}");
    let q = QuantParams {
        group_size: 32,
        bits: 4,
    };
    let (wq, s, b) = ops::quantize(&w, q).unwrap();
    let err = ops::gemv(&x, &wq, Some((&s, &b))).unwrap_err().to_string();
    assert!(err.contains("CUDA"), "{err}");
}

#[test]
fn relative_difference_is_over_the_largest_reference_value() {
    assert_eq!(gemv::relative_difference(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
    assert_eq!(
        gemv::relative_difference(&[1.0, 3.0], &[1.0, -4.0]),
        7.0 / 4.0
    );
    assert_eq!(gemv::relative_difference(&[0.5], &[0.0]), 0.5);
}
