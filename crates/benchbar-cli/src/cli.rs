//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod values;
pub use values::Reps;
use values::{batch_size, count, non_empty_path, positive_f64, temperature, top_p};

/// BenchBar: measure local Qwen3 inference on MLX, keep every result, catch regressions.
#[derive(Debug, Parser)]
#[command(name = "benchbar", version, about)]
pub struct Cli {
    /// History database; its folder must exist (default: $BENCHBAR_DB when set and not empty,
    /// else the platform data dir, e.g. ~/.local/share/benchbar/history.db).
    // BENCHBAR_DB is read by `benchbar_store::default_db_path`, not by clap: clap would take
    // an empty value as a missing `--db` value.
    #[arg(long, global = true, value_parser = non_empty_path)]
    pub db: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

pub use benchbar_service::export::Format;

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a benchmark suite and store the results.
    Run(RunArgs),
    /// List stored runs, newest first.
    History(HistoryArgs),
    /// Compare two runs (or a run with its baseline): each metric, delta %, significance, verdict.
    Compare(CompareArgs),
    /// Set or show baselines.
    Baseline {
        /// Baseline action.
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// Print the seed's target matrix; with --run, the measured values and grades.
    Targets(TargetsArgs),
    /// Export a stored run, or several runs as one result bundle (--bundle).
    Export(ExportArgs),
    /// Print live watts per power domain (a diagnostic of the power source).
    Power(PowerArgs),
    /// Measure the memory bandwidth of the device MLX runs on (read, the roofline's
    /// denominator, and copy) and keep it for this machine's reports.
    Bandwidth(crate::cmd::bandwidth::BandwidthArgs),
    /// List Qwen3 checkpoints in the Hugging Face cache and BenchBar's models folder.
    Models(ModelsArgs),
    /// Generate a completion (the sanity check `mlx_lm.generate` users expect).
    Generate(GenerateArgs),
    /// Run a use-case scenario (classification, summarization, extraction, codegen, rag).
    Scenario(crate::cmd::scenario::ScenarioArgs),
    /// Run a short benchmark on a schedule, keep a rolling window, alert on regressions.
    Monitor(crate::cmd::monitor::MonitorArgs),
    /// Write a performance report (Markdown + HTML) and charts for a run or a time window.
    Report(crate::cmd::report::ReportArgs),
    /// Serve the history as Prometheus metrics (GET /metrics), read-only, until stopped.
    Serve(crate::cmd::serve::ServeArgs),
    /// Store a result bundle in the history (a run that could not be stored when it ran, or
    /// runs exported on another machine).
    Import(crate::cmd::import::ImportArgs),
}

/// Output of `benchbar generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GenerateFormat {
    /// The completion text.
    Text,
    /// Prompt ids, generated ids, text and per-token timings.
    Json,
}

/// `benchbar models`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ModelsArgs {
    /// What to do; without one, lists local checkpoints and the seed's catalogue.
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
    /// Output format: table or json (json: the local checkpoints, as before).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `benchbar models <action>`.
#[derive(Debug, clap::Subcommand)]
pub enum ModelsAction {
    /// The seed's Qwen3 variants: present or not, size on disk, fits this machine's memory.
    Catalogue {
        /// Output format: table or json.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Download a checkpoint into the Hugging Face cache (resumable, verified, never twice).
    Pull {
        /// Hub repo id, e.g. mlx-community/Qwen3-1.7B-4bit.
        repo_id: String,
        /// Branch, tag or commit (default: main).
        #[arg(long)]
        revision: Option<String>,
    },
    /// Delete a checkpoint (every revision) from the Hugging Face cache.
    Rm {
        /// Hub repo id.
        repo_id: String,
    },
}

/// `benchbar generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Model: a path, a repo id in the Hugging Face cache, or builtin:tiny.
    #[arg(long, default_value = "builtin:tiny")]
    pub model: String,
    /// The prompt.
    #[arg(long)]
    pub prompt: String,
    /// Tokens to generate at most (1 or more).
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = count::<usize, 1>)]
    pub max_tokens: usize,
    /// Sampling temperature, 0 or more (0 = greedy).
    #[arg(long = "temp", default_value_t = 0.0, allow_negative_numbers = true, value_parser = temperature)]
    pub temperature: f32,
    /// Nucleus sampling mass, more than 0 and at most 1 (1 = off).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = top_p)]
    pub top_p: f32,
    /// Top-k (0 = off).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = count::<usize, 0>)]
    pub top_k: usize,
    /// Sampling seed.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = count::<u64, 0>)]
    pub seed: u64,
    /// Apply the Qwen3 chat template (thinking off).
    #[arg(long)]
    pub chat: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Text)]
    pub format: GenerateFormat,
}

/// `benchbar run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model: a path, a repo id in the Hugging Face cache, or builtin:tiny.
    #[arg(long, default_value = "builtin:tiny")]
    pub model: String,
    /// Engine: mlx (in-process) or openai (an OpenAI-compatible server at --url); several,
    /// comma separated (e.g. mlx,openai), run the same suite on each and print them side by side.
    #[arg(long, default_value = "mlx")]
    pub engine: String,
    /// Suite: quick, standard, full, or long-context (the quick prompt at depths 0, 1024, 2048,
    /// ... up to the model's context, skipping with a note those past the machine's memory).
    #[arg(long, default_value = "quick")]
    pub suite: String,
    /// Synthetic prompts of N tokens (1 or more) instead of the seed's prompts.
    #[arg(short = 'p', long = "prompt-tokens", allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub prompt_tokens: Option<u32>,
    /// Generate exactly N tokens (1 or more) per request.
    #[arg(short = 'n', long = "gen-tokens", allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub gen_tokens: Option<u32>,
    /// Batch sizes, comma separated, each 1 to 64.
    #[arg(short = 'b', long = "batch", value_delimiter = ',', allow_negative_numbers = true, value_parser = batch_size)]
    pub batch: Option<Vec<u32>>,
    /// Measured repetitions per cell: 1 to 1000, or `auto`: repeat until the 95% CI of decode
    /// tok/s is within --precision of its mean, at most --max-time per cell (the quick suite's
    /// default: 2%, 20 s).
    #[arg(short = 'r', long, allow_negative_numbers = true, value_parser = values::reps)]
    pub reps: Option<Reps>,
    /// With -r auto: the target, the 95% CI half-width of decode tok/s as a percentage of the
    /// mean (default 2%).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true, value_parser = values::percent)]
    pub precision: Option<f64>,
    /// With -r auto: the time budget of one cell's measured trials (default 20s).
    #[arg(long, value_name = "DURATION", value_parser = values::duration_ms)]
    pub max_time: Option<u64>,
    /// Discarded warmup runs per cell (0 to 100).
    #[arg(long, allow_negative_numbers = true, value_parser = count::<u32, 0>)]
    pub warmup: Option<u32>,
    /// Run even when the estimated memory (weights plus KV cache of the largest batch) exceeds
    /// the machine's memory (refused by default, with the numbers). Prompt plus generated
    /// tokens must fit the model's context in any case.
    #[arg(long)]
    pub allow_oversize: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the output to FILE instead of stdout.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Do not store the run in the history.
    #[arg(long)]
    pub no_save: bool,
    /// Do not sample power (by default energy is read per phase and a watts timeline kept).
    #[arg(long)]
    pub no_power: bool,
    /// Also send the run's metrics to the Prometheus Pushgateway at URL (e.g.
    /// http://host:9091), grouped by this machine and the configuration. A failed push is a
    /// warning; the run is stored regardless.
    #[arg(long, value_name = "URL")]
    pub push: Option<String>,
    /// openai engine: base URL of the OpenAI-compatible API, including /v1.
    #[arg(long, default_value = "http://127.0.0.1:8080/v1")]
    pub url: String,
    /// openai engine: name of the environment variable holding the API key (the key itself is
    /// never taken on the command line nor stored).
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,
    /// openai engine: the `model` to request (default: none sent; the server's loaded model).
    #[arg(long, value_name = "NAME")]
    pub served_model: Option<String>,
    /// openai engine: tokenizer.json (or its folder) for per-chunk token counts and synthetic
    /// prompts (-p N).
    #[arg(long, value_name = "PATH")]
    pub tokenizer: Option<PathBuf>,
    /// openai engine: seconds to wait for a response or for the next bytes of a stream (more
    /// than 0).
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true, value_parser = positive_f64)]
    pub timeout_s: f64,
    /// openai engine: send a batch's requests as a Poisson process of this many requests/s
    /// (more than 0; default: all at once).
    #[arg(long, value_name = "RPS", allow_negative_numbers = true, value_parser = positive_f64)]
    pub rate: Option<f64>,
    /// openai engine: concurrency levels, comma separated, each 1 to 256 (a sweep: one cell per
    /// level and prompt; each trial sends --requests requests keeping that many in flight, the
    /// next as one finishes, every request with its own prompt). Instead of -b.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', allow_negative_numbers = true, value_parser = values::level)]
    pub concurrency: Option<Vec<u32>>,
    /// With --concurrency: requests per trial of every level, at least the highest level
    /// (default: 4 x the level, at least 8).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub requests: Option<u32>,
    /// With --concurrency: the SLO's time to first token, ms (more than 0); the report gives
    /// the goodput, the requests/s (and tok/s) of requests meeting every SLO given.
    #[arg(long, value_name = "MS", allow_negative_numbers = true, value_parser = values::finite)]
    pub slo_ttft_ms: Option<f64>,
    /// With --concurrency: the SLO's mean inter-token latency per request, ms (more than 0).
    #[arg(long, value_name = "MS", allow_negative_numbers = true, value_parser = values::finite)]
    pub slo_itl_ms: Option<f64>,
    /// mlx engine: context depths in tokens, comma separated (llama-bench's -d): each prompt
    /// is measured after that many tokens of fresh context are in the KV cache, one cell per
    /// depth; the context's own prefill is not measured.
    #[arg(long = "depth", value_name = "TOKENS,...", value_delimiter = ',', allow_negative_numbers = true, value_parser = values::depth)]
    pub depths: Option<Vec<u32>>,
    /// A fresh prefix of N tokens before each prompt, timed cold (whole prompt from an empty
    /// cache) and cached (prefix put in the cache first, untimed: in-process a saved KV cache,
    /// over HTTP a request of the prefix alone, which only a server with prompt caching reuses).
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub cached_prefix: Option<u32>,
    /// mlx engine: also run with the KV cache quantized to these bits (mlx_lm's kv_bits; 2, 3,
    /// 4, 5, 6 or 8, comma separated), one run each beside the unquantized cache's, printed
    /// side by side: speed, peak memory and the same tokens' time per position.
    #[arg(long, value_name = "BITS,...", value_delimiter = ',', allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub kv_bits: Option<Vec<u32>>,
    /// With --kv-bits: elements per scale and bias, 32, 64 or 128 (default 64; must divide the
    /// model's head size).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = count::<u32, 1>)]
    pub kv_group_size: Option<u32>,
    /// With --kv-bits: positions a layer's cache holds before it is quantized (default 0: from
    /// the first forward call on; mlx_lm's own default is 5000).
    #[arg(long, value_name = "TOKENS", allow_negative_numbers = true, value_parser = count::<u32, 0>)]
    pub kv_start: Option<u32>,
    /// openai engine: endpoint: auto (chat for text prompts, completions for -p N), chat or
    /// completions.
    #[arg(long, value_enum, default_value_t = HttpEndpoint::Auto)]
    pub endpoint: HttpEndpoint,
}

/// `--endpoint` of the openai engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum HttpEndpoint {
    /// /chat/completions for text prompts, /completions for synthetic prompts.
    Auto,
    /// Always /chat/completions.
    Chat,
    /// Always /completions.
    Completions,
}

/// `benchbar power`.
#[derive(Debug, Args)]
pub struct PowerArgs {
    /// How long to sample (1 or more).
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = count::<u64, 1>)]
    pub seconds: u64,
}

/// `benchbar history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only runs of this model.
    #[arg(long)]
    pub model: Option<String>,
    /// At most N runs.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = count::<usize, 0>)]
    pub limit: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `benchbar compare`: two runs, or a run and its baseline (exactly one of OTHER and
/// `--baseline`).
#[derive(Debug, Args)]
#[command(
    override_usage = "benchbar compare [OPTIONS] <RUN_ID> <OTHER>\n       benchbar compare [OPTIONS] <RUN_ID> --baseline",
    group(clap::ArgGroup::new("against").required(true).args(["other", "baseline"]))
)]
pub struct CompareArgs {
    /// The run to judge (or the baseline when a second id follows).
    pub run_id: i64,
    /// The run to compare against RUN_ID (RUN_ID is then the baseline); or --baseline.
    pub other: Option<i64>,
    /// Compare RUN_ID with the baseline of its configuration.
    #[arg(long)]
    pub baseline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `benchbar baseline ...`.
#[derive(Debug, Subcommand)]
pub enum BaselineAction {
    /// Make a run the baseline of its configuration.
    Set {
        /// Run id.
        run_id: i64,
    },
    /// List baselines.
    Show {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// `benchbar targets`.
#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// Grade this stored run against its model's row.
    #[arg(long = "run")]
    pub run_id: Option<i64>,
    /// Grade against this row instead of the one matching the model (e.g. Qwen3-1.7B-4bit).
    #[arg(long, requires = "run_id")]
    pub row: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `benchbar export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Run id (several with --bundle).
    #[arg(required = true, num_args = 1..)]
    pub run_ids: Vec<i64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long, conflicts_with = "bundle")]
    pub output: Option<PathBuf>,
    /// Write the runs as one result bundle to FILE (reports with raw per-token samples,
    /// configuration, machine, engine and MLX versions, power; a SHA-256 of the content), for
    /// `benchbar import FILE` on another machine.
    #[arg(long, value_name = "FILE", conflicts_with = "format")]
    pub bundle: Option<PathBuf>,
}

/// Parses the command line. Help and version go to stdout (exit 0); a bad value (`-b -1`,
/// `--top-p 2`) is one `error:` line; other usage errors keep clap's usage hint. Returns the
/// exit code to end with when there is nothing to run.
pub fn parse() -> Result<Cli, std::process::ExitCode> {
    use clap::error::ErrorKind;
    let e = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or("error: invalid value");
            eprintln!("{line}");
        }
        _ => {
            let _ = e.print();
        }
    }
    Err(std::process::ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_states_the_batch_bound_the_parser_checks() {
        use clap::CommandFactory;
        let mut cmd = Cli::command();
        let run = cmd.find_subcommand_mut("run").unwrap();
        let help = run.render_long_help().to_string();
        let max = benchbar_core::spec::MAX_BATCH_SIZE;
        assert!(help.contains(&format!("each 1 to {max}")), "{help}");
    }
}
