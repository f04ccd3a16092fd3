//! `benchbar run`'s engine flags as the service's engine options, and the in-process engine's
//! options from the environment.

use benchbar_engine::openai::Endpoint;
use benchbar_engine::MlxOptions;
use benchbar_mlx::options::{parse_switch, DecodeOrder, KernelSet};
use benchbar_service::open::HttpOptions;

use crate::cli::{HttpEndpoint, RunArgs};

/// The openai options of `benchbar run`.
pub fn http_options(a: &RunArgs) -> HttpOptions {
    HttpOptions {
        url: a.url.clone(),
        api_key_env: a.api_key_env.clone(),
        served_model: a.served_model.clone(),
        tokenizer: a.tokenizer.clone(),
        timeout_s: a.timeout_s,
        rate: a.rate,
        endpoint: Some(match a.endpoint {
            HttpEndpoint::Auto => Endpoint::Auto,
            HttpEndpoint::Chat => Endpoint::Chat,
            HttpEndpoint::Completions => Endpoint::Completions,
        }),
    }
}

/// The in-process engine's options from `BENCHBAR_MLX_KERNELS` (the CUDA kernels: `all`, `0` or
/// a comma list of names; an unknown name is reported and no kernel runs), `BENCHBAR_MLX_FUSE`
/// (`0` keeps MLX's eager ops and separate projections), `BENCHBAR_MLX_PIPELINE` (decode order: `0`/`strict`, `1`/`read`, `defer`,
/// default `thread`) and `BENCHBAR_MLX_TRACE` (a file that gets one line per generate call).
/// scripts/gpu_bench.sh sets them; unset, they are the defaults.
pub fn mlx_options() -> MlxOptions {
    let var = |name: &str| std::env::var(name).ok();
    let kernels = KernelSet::parse(var("BENCHBAR_MLX_KERNELS").as_deref()).unwrap_or_else(|e| {
        eprintln!("benchbar-mlx: BENCHBAR_MLX_KERNELS: {e}; using MLX's ops");
        KernelSet::NONE
    });
    MlxOptions {
        kernels,
        fuse: parse_switch(var("BENCHBAR_MLX_FUSE").as_deref(), true),
        decode_order: DecodeOrder::parse(var("BENCHBAR_MLX_PIPELINE").as_deref()),
        trace: std::env::var_os("BENCHBAR_MLX_TRACE").map(std::path::PathBuf::from),
        kv_quant: None,
    }
}
