//! benchbar-mlx: BenchBar's MLX facade and in-process Qwen3 engine.
//!
//! - [`ops`]: our own small MLX API ([`ops::Array`] + ~40 operations), each one call of the
//!   platform backend (Linux: cxx bridge over the MLX C++ library; macOS: mlx-rs); [`device`]:
//!   loading, memory counters, device.
//! - [`models`]: the architectures (Qwen3), written once on `ops` and the building blocks of
//!   [`nn`] (HF config names, `new(cfg, weights)` + `forward`).
//! - [`fast`]: the handle through which the blocks use BenchBar's fused kernels; `cuda` (Linux)
//!   is its one implementation, the CUDA kernels plug-in, chosen once at load.
//! - [`EngineOptions`]: the caller's choice of CUDA kernels, fusion, compiled decode step,
//!   decode order and trace, passed to [`Qwen3Runtime::load_with`] (the library reads no
//!   environment variable for them; the CLI maps `BENCHBAR_MLX_*` onto it).
//! - [`Qwen3Runtime`]: load a checkpoint directory, tokenize, and generate (batched, streamed
//!   per-token events with timestamps taken after each token is materialised).
//! - [`Qwen3Runtime::embed`] ([`embed`]): mean or last-token pooled text embeddings.
//! - [`resolve_model`] / [`list_models`]: model discovery (paths, HF cache, `builtin:tiny`).
//! - [`builtin`]: the built-in tiny Qwen3 models, made by the binary itself (no Python).
//!
//! Linux build: needs the MLX C++ library from the PyPI wheels (`scripts/setup-python.sh`
//! creates `<repo>/.venv`; or set `MLX_DIR`). build.rs links `libmlx.so` (and Debian's OpenBLAS
//! ahead of it when installed: ~30x faster f32 matmul than the wheel's reference BLAS) and puts
//! a symlinked copy of the wheel on cargo's dynamic-library path, so `cargo run`/`cargo test` of
//! any dependent crate find it. Binaries run directly need an rpath: a dependent's build.rs can
//! emit `cargo:rustc-link-arg=-Wl,-rpath,$DEP_BENCHBAR_MLX_LIB_DIR` (direct dependents only).
//!
//! Tests / CI: `scripts/test.sh` runs `scripts/fixtures.sh` then the tests (see tests/common/mod.rs).
//!
//! ```no_run
//! use benchbar_mlx::{resolve_model, GenerateOptions, Qwen3Runtime};
//! let mut rt = Qwen3Runtime::load(&resolve_model("builtin:tiny")?)?;
//! let prompt = rt.encode("Hello", true)?;
//! let opts = GenerateOptions { max_tokens: 32, suppress_eos: true, ..Default::default() };
//! let out = rt.generate(&[prompt], &opts, &mut |ev| println!("{} {:?}", ev.token, ev.at))?;
//! println!("{}", rt.decode(&out[0])?);
//! # Ok::<(), benchbar_mlx::Error>(())
//! ```

mod array;
mod backend;
pub mod bandwidth;
pub mod builtin;
pub mod cache;
pub mod compiled;
pub mod config;
#[cfg(target_os = "linux")]
pub mod cuda;
mod decode;
pub mod device;
mod discovery;
pub mod embed;
mod error;
pub mod fast;
mod info;
pub mod models;
pub mod nn;
pub mod ops;
pub mod options;
mod quantization;
mod runtime;
pub mod sampler;
pub mod tokenizer;
mod types;
pub mod weights;

pub use cache::KvQuant;
pub use config::{QuantizationConfig, Qwen3Config};
pub use device::{
    device_description, device_name, memory, mlx_build, mlx_version, reset_peak_memory, MemoryStats,
};
pub use discovery::{hf_cache_dir, list_models, models_dir, resolve_model};
pub use error::{Error, Result};
pub use info::ModelInfo;
pub use options::{DecodeOrder, EngineOptions, Kernel, KernelSet, ModelOptions};
pub use runtime::{kv_cache_bytes, Context};
pub use runtime::{GenerateOptions, Qwen3Runtime, TokenEvent};
pub use sampler::Sampling;
pub use tokenizer::{apply_chat_template, ChatMessage};

/// Number of OpenBLAS threads when the Linux backend links Debian's OpenBLAS (`None` otherwise).
pub fn blas_threads() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        backend::linux::blas_threads()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}
