//! `benchbar models` (local checkpoints, the seed's catalogue, pull, rm) and `benchbar generate`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use benchbar_core::metrics::request_metrics;
use benchbar_core::sample::RequestSample;
use benchbar_hub::{CatalogueEntry, HubConfig, PullOptions, PullPhase, PullProgress};
use benchbar_mlx::{GenerateOptions, Qwen3Runtime, Sampling};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::emit;
use crate::cli::{Format, GenerateArgs, GenerateFormat, ModelsAction, ModelsArgs};
use benchbar_core::fmt::bytes;

/// Runs `benchbar models [catalogue|pull|rm]`.
pub fn models(args: ModelsArgs) -> Result<ExitCode> {
    match args.action {
        None => list(args.format),
        Some(ModelsAction::Catalogue { format }) => show_catalogue(format),
        Some(ModelsAction::Pull { repo_id, revision }) => pull(&repo_id, revision.as_deref()),
        Some(ModelsAction::Rm { repo_id }) => {
            let freed_bytes = benchbar_hub::remove(&HubConfig::from_env()?, &repo_id)?;
            emit(
                &format!("removed {repo_id} ({} freed)\n", bytes(freed_bytes as f64)),
                None,
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Local Qwen3 checkpoints (table: followed by the catalogue).
fn list(format: Format) -> Result<ExitCode> {
    let models = benchbar_mlx::list_models();
    let text = match format {
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
            out.push('\n');
            out + &catalogue_table(&catalogue()?)
        }
        _ => bail!("models supports --format table or json"),
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn catalogue() -> Result<Vec<CatalogueEntry>> {
    let memory_bytes = benchbar_engine::machine::machine_info().memory_bytes;
    Ok(benchbar_hub::catalogue(
        &HubConfig::from_env()?,
        memory_bytes,
    ))
}

fn show_catalogue(format: Format) -> Result<ExitCode> {
    let entries = catalogue()?;
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&entries)? + "\n",
        Format::Table => catalogue_table(&entries),
        _ => bail!("models catalogue supports --format table or json"),
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

fn catalogue_table(entries: &[CatalogueEntry]) -> String {
    let mut out = format!(
        "{:<32} {:<8} {:>10} {:>10} {:>10}  FITS MEMORY\n",
        "CATALOGUE (seed variants)", "STATUS", "ON DISK", "DOWNLOAD", "NEEDS"
    );
    for e in entries {
        out.push_str(&format!(
            "{:<32} {:<8} {:>10} {:>10} {:>10}  {}\n",
            e.repo_id,
            if e.present { "present" } else { "absent" },
            if e.size_on_disk_bytes > 0 {
                bytes(e.size_on_disk_bytes as f64)
            } else {
                "-".into()
            },
            format!("~{}", bytes(e.estimated_download_bytes as f64)),
            format!("~{}", bytes(e.estimated_memory_bytes as f64)),
            if e.fits_memory { "yes" } else { "no" },
        ));
    }
    out.push_str("(get one with `benchbar models pull REPO_ID`)\n");
    out
}

/// `benchbar models pull`: a bar with bytes, rate and ETA on stderr; Ctrl-C keeps the part.
fn pull(repo_id: &str, revision: Option<&str>) -> Result<ExitCode> {
    let options = PullOptions::from_env()?;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .expect("static template is valid")
        .progress_chars("=> "),
    );
    let mut last = PullProgress {
        phase: PullPhase::Resolving,
        file: String::new(),
        file_index: 0,
        file_count: 0,
        done_bytes: 0,
        total_bytes: 0,
        cached_bytes: 0,
    };
    let mut on_progress = |p: &PullProgress| {
        if p.total_bytes > 0 && bar.length() != Some(p.total_bytes) {
            bar.set_length(p.total_bytes);
        }
        if p.cached_bytes != last.cached_bytes {
            // Bytes already on disk are not part of the transfer rate.
            bar.set_position(p.done_bytes);
            bar.reset_eta();
        }
        bar.set_position(p.done_bytes);
        bar.set_message(format!("{:?} {}", p.phase, p.file).to_lowercase());
        last = p.clone();
    };
    let result = benchbar_hub::pull(repo_id, revision, &options, &mut on_progress, &cancel);
    bar.finish_and_clear();
    let snapshot = result?;
    let transferred_bytes = last.done_bytes - last.cached_bytes;
    emit(
        &format!(
            "pulled {repo_id}: {} files, {} downloaded, {} already cached\n{}\n",
            last.file_count,
            bytes(transferred_bytes as f64),
            bytes(last.cached_bytes as f64),
            snapshot.display()
        ),
        None,
    )?;
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
    let mut rt = Qwen3Runtime::load_with(&dir, &crate::engines::mlx_options())?;
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
