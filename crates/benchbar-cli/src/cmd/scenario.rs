//! `benchbar scenario`: the seed's use-case scenarios (classification, summarization,
//! extraction, codegen, rag) on generated corpora, stored in the history.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use benchbar_core::report::RunOrigin;
use benchbar_scenarios::schema::Schema;
use benchbar_scenarios::{
    list, Corpus, ScenarioKind, ScenarioOptions, ScenarioProgress, ScenarioResult,
};
use benchbar_service::open::{open_with_mlx, HttpOptions};

use super::{emit, open_store};

/// Output formats of `benchbar scenario`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioFormat {
    /// Aligned text.
    Table,
    /// JSON (the scenario result, or the list).
    Json,
}

/// `benchbar scenario` arguments.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// classification | summarization | extraction | codegen | rag
    #[arg(required_unless_present_any = ["list", "show"])]
    pub name: Option<String>,
    /// List the five scenarios with their seed targets.
    #[arg(long)]
    pub list: bool,
    /// Print a stored scenario run.
    #[arg(long, value_name = "RUN_ID", conflicts_with = "list")]
    pub show: Option<i64>,
    /// Model: a path, a repo id in the Hugging Face cache, or builtin:tiny.
    #[arg(long, default_value = "builtin:tiny")]
    pub model: String,
    /// Engine: mlx (in-process) or openai (an OpenAI-compatible server, with --url).
    #[arg(long, default_value = "mlx")]
    pub engine: String,
    /// Run only the first N items (RAG: N questions over the whole knowledge base).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Prompts generated together (default 8, capped by the engine).
    #[arg(long)]
    pub batch: Option<u32>,
    /// Token budget per item (default per scenario).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// A corpus JSON file instead of the generated one.
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Extraction: a JSON schema file instead of the bundled schema.
    #[arg(long)]
    pub schema: Option<PathBuf>,
    /// Write the scenario's corpus (generated or --corpus) to this file and exit.
    #[arg(long, value_name = "FILE")]
    pub write_corpus: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScenarioFormat,
    /// Do not store the run in the history.
    #[arg(long)]
    pub no_save: bool,
    /// Do not read energy counters.
    #[arg(long)]
    pub no_power: bool,
    /// openai engine: base URL including /v1.
    #[arg(long, default_value = "")]
    pub url: String,
    /// openai engine: `model` to request.
    #[arg(long)]
    pub served_model: Option<String>,
    /// openai engine: tokenizer.json for token counts.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// openai engine: environment variable holding the API key.
    #[arg(long)]
    pub api_key_env: Option<String>,
}

/// Runs `benchbar scenario`.
pub fn scenario(db: Option<&Path>, args: ScenarioArgs) -> Result<ExitCode> {
    if args.list {
        let infos = list();
        let text = match args.format {
            ScenarioFormat::Json => serde_json::to_string_pretty(&infos)? + "\n",
            ScenarioFormat::Table => benchbar_scenarios::text::list_table(&infos),
        };
        emit(&text, None)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(run_id) = args.show {
        let store = open_store(db)?;
        let Some(run) = benchbar_scenarios::load(&store, run_id)? else {
            bail!("run {run_id} is not a scenario run (see `benchbar history`)");
        };
        print_result(&run.result, Some(run_id), args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = args.name.as_deref().unwrap_or_default();
    let kind: ScenarioKind = name.parse()?;
    let corpus = corpus(kind, &args)?;
    if let Some(path) = &args.write_corpus {
        let text = serde_json::to_string_pretty(&corpus)? + "\n";
        emit(&text, Some(path))?;
        return Ok(ExitCode::SUCCESS);
    }
    let http = HttpOptions {
        url: args.url.clone(),
        api_key_env: args.api_key_env.clone(),
        served_model: args.served_model.clone(),
        tokenizer: args.tokenizer.clone(),
        ..HttpOptions::for_url(&args.url)
    };
    let mut store = if args.no_save {
        None
    } else {
        Some(open_store(db)?)
    };
    let mlx = crate::engines::mlx_options();
    let mut engine = open_with_mlx(&args.engine, &args.model, &http, &mlx)
        .with_context(|| format!("cannot open the {} engine", args.engine))?;
    let _running = super::take_run_lock(db)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    let opts = ScenarioOptions {
        limit: args.limit,
        batch_size: args.batch,
        max_tokens: args.max_tokens,
        sample_power: !args.no_power,
    };
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: ScenarioProgress| {
        if tty {
            eprint!("\r{kind} {}: {}/{}   ", p.stage, p.done, p.total);
        }
    };
    let started_at = chrono::Utc::now();
    let result = benchbar_scenarios::run_with_corpus(
        engine.as_mut(),
        &corpus,
        &opts,
        &cancel,
        &mut progress,
    );
    if tty {
        eprintln!();
    }
    let result = result?;
    let run_id = match store.as_mut() {
        Some(s) => Some(benchbar_scenarios::save(
            s,
            &result,
            started_at,
            RunOrigin::Cli,
        )?),
        None => None,
    };
    print_result(&result, run_id, args.format)?;
    Ok(ExitCode::SUCCESS)
}

/// The corpus to run: `--corpus` or the generated one, with `--schema` applied.
fn corpus(kind: ScenarioKind, args: &ScenarioArgs) -> Result<Corpus> {
    let mut corpus = match &args.corpus {
        Some(path) => Corpus::load(path, kind)?,
        None => Corpus::generated(kind),
    };
    if let Some(path) = &args.schema {
        if kind != ScenarioKind::Extraction {
            bail!("--schema applies to the extraction scenario only");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read schema {}", path.display()))?;
        Schema::parse_str(&text).with_context(|| format!("{}", path.display()))?;
        corpus.schema = Some(serde_json::from_str(&text)?);
    }
    Ok(corpus)
}

fn print_result(r: &ScenarioResult, run_id: Option<i64>, format: ScenarioFormat) -> Result<()> {
    let text = match format {
        ScenarioFormat::Json => {
            let mut v = serde_json::to_value(r)?;
            v["run_id"] = serde_json::json!(run_id);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        ScenarioFormat::Table => benchbar_scenarios::text::result_table(r, run_id),
    };
    emit(&text, None)
}
