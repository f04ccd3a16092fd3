//! `benchbar models` and `benchbar generate`.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use benchbar_core::metrics::request_metrics;
use benchbar_core::sample::RequestSample;
use benchbar_mlx::{GenerateOptions, Qwen3Runtime, Sampling};
use serde::Serialize;

use super::emit;
use crate::cli::{Format, GenerateArgs, GenerateFormat};

/// `benchbar models`.
#[derive(Debug, clap::Args)]
pub struct ModelsArgs {
    /// Output format: table or json.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}
use crate::export::tabular::bytes;

/// Lists local Qwen3 checkpoints.
pub fn models(args: ModelsArgs) -> Result<ExitCode> {
    let models = benchbar_mlx::list_models();
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&models)? + "\n",
        Format::Table => {
            let mut out = format!(
                "{:<48} {:<6} {:>10} {:>10}  PATH\n",
                "MODEL", "QUANT", "PARAMS", "SIZE"
            );
            for m in &models {
                out.push_str(&format!(
                    "{:<48} {:<6} {:>10} {:>10}  {}\n",
                    m.id,
                    m.quantization.as_deref().unwrap_or("-"),
                    params(m.param_count),
                    bytes(m.size_bytes as f64),
                    m.path.display()
                ));
            }
            if models.is_empty() {
                out.push_str(
                    "(no Qwen3 checkpoints found; `builtin:tiny` is created on first use)\n",
                );
            }
            out
        }
        _ => bail!("models supports --format table or json"),
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn params(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2}B", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1}M", n as f64 / 1e6),
        n => n.to_string(),
    }
}

#[derive(Serialize)]
struct Generation {
    model: String,
    prompt_token_ids: Vec<u32>,
    generated_token_ids: Vec<u32>,
    text: String,
    /// Milliseconds from the start of prefill to each generated token.
    token_times_ms: Vec<f64>,
    ttft_ms: Option<f64>,
    decode_tps: Option<f64>,
}

/// Generates a completion.
pub fn generate(args: GenerateArgs) -> Result<ExitCode> {
    if args.max_tokens == 0 {
        bail!("--max-tokens must be at least 1");
    }
    let dir = benchbar_mlx::resolve_model(&args.model)?;
    let mut rt = Qwen3Runtime::load(&dir)?;
    let prompt = rt.encode(&args.prompt, args.chat)?;
    if prompt.is_empty() {
        bail!("the prompt is empty after tokenization");
    }
    let opts = GenerateOptions {
        max_tokens: args.max_tokens,
        sampling: Sampling {
            temperature: args.temperature,
            top_p: args.top_p,
            top_k: args.top_k,
            seed: args.seed,
        },
        suppress_eos: false,
        ..GenerateOptions::default()
    };
    let mut offsets_ns = Vec::new();
    let start = Instant::now();
    let ids = rt
        .generate(std::slice::from_ref(&prompt), &opts, &mut |e| {
            offsets_ns.push(e.at.saturating_duration_since(start).as_nanos() as u64)
        })?
        .remove(0);
    let text = rt.decode(&ids)?;
    match args.format {
        GenerateFormat::Text => emit(&format!("{text}\n"), None)?,
        GenerateFormat::Json => {
            // The same formulas as benchmark runs (TTFT, (n - 1) / (t_last - t_first)).
            let m = request_metrics(&RequestSample {
                prompt_tokens: prompt.len() as u32,
                requested_tokens: args.max_tokens as u32,
                token_offsets_ns: offsets_ns.clone(),
                ..Default::default()
            });
            let g = Generation {
                model: args.model,
                prompt_token_ids: prompt,
                generated_token_ids: ids,
                text,
                ttft_ms: m.ttft_ms,
                decode_tps: m.decode_tps,
                token_times_ms: offsets_ns.iter().map(|ns| *ns as f64 / 1e6).collect(),
            };
            emit(&(serde_json::to_string_pretty(&g)? + "\n"), None)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
