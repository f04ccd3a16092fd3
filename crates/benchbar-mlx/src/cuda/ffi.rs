//! The cxx bridge to BenchBar's CUDA kernels (`kernels.h`, defined in `kernels.cc`), on the
//! array types of the backend's bridge.

#[cxx::bridge(namespace = "benchbar")]
pub(crate) mod bridge {
    unsafe extern "C++" {
        include!("benchbar-mlx/src/cuda/kernels.h");

        type Arr = crate::backend::ffi::Arr;
        type ArrList = crate::backend::ffi::ArrList;

        fn kernels_available() -> bool;
        fn gemv_q4(
            x: &Arr,
            w: &Arr,
            scales: &Arr,
            biases: &Arr,
            residual: &Arr,
            fold: u32,
        ) -> Result<UniquePtr<Arr>>;
        fn gemv(
            x: &Arr,
            w: &Arr,
            norm_w: &Arr,
            residual: &Arr,
            fold: u32,
            eps: f32,
        ) -> Result<UniquePtr<Arr>>;
        fn add_rms_norm(x: &Arr, r: &Arr, w: &Arr, eps: f32) -> Result<UniquePtr<ArrList>>;
        #[allow(clippy::too_many_arguments)]
        fn qk_norm_rope_kv(
            qkv: &Arr,
            qw: &Arr,
            kw: &Arr,
            kc: &Arr,
            vc: &Arr,
            pos: i32,
            log2_base: f32,
            eps: f32,
            n_q: i32,
            d: i32,
        ) -> Result<UniquePtr<Arr>>;
        fn attn_decode(
            q: &Arr,
            kc: &Arr,
            vc: &Arr,
            part: &Arr,
            tickets: &Arr,
            n: i32,
            scale: f32,
        ) -> Result<UniquePtr<Arr>>;
    }
}

pub(crate) use bridge::*;
