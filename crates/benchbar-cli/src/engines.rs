//! Engine selection from `--engine` and `--model`.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use benchbar_engine::openai::Endpoint;
use benchbar_engine::{Engine, MlxEngine, OpenAiConfig, OpenAiEngine, TestDoubleEngine};

use crate::cli::{HttpEndpoint, RunArgs};

/// Engine names `--engine` accepts (besides the hidden `test-double`).
const ENGINES: [&str; 3] = ["mlx", "openai", "test-double"];

/// Options of the openai engine (from `benchbar run`'s flags).
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Base URL including /v1.
    pub url: String,
    /// Name of the environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// `model` to request.
    pub served_model: Option<String>,
    /// tokenizer.json path.
    pub tokenizer: Option<std::path::PathBuf>,
    /// Stall timeout, seconds.
    pub timeout_s: f64,
    /// Poisson request rate, requests/s.
    pub rate: Option<f64>,
    /// Endpoint choice.
    pub endpoint: Option<Endpoint>,
}

impl HttpOptions {
    /// The openai options of `benchbar run`.
    pub fn from_run_args(a: &RunArgs) -> HttpOptions {
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
}

/// Splits `--engine mlx,openai` into engine specs; commas inside an engine's options
/// (`test-double:decode_tps=80,jitter=0`) stay with that engine.
pub fn split_engines(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in list.split(',') {
        let name = part.split(':').next().unwrap_or("");
        match out.last_mut() {
            Some(last) if !ENGINES.contains(&name) && !part.is_empty() => {
                last.push(',');
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// Opens the engine named by `--engine` for `--model` (`http`: the openai engine's options).
///
/// `test-double[:key=value,...]` is a hidden value for tests: a deterministic stand-in whose
/// timings are synthetic. Its reports say so in the engine version.
pub fn open_with(engine: &str, model: &str, http: &HttpOptions) -> Result<Box<dyn Engine>> {
    let (name, options) = engine.split_once(':').unwrap_or((engine, ""));
    match name {
        "test-double" => Ok(Box::new(TestDoubleEngine::with_options(model, options)?)),
        "mlx" if options.is_empty() => Ok(Box::new(MlxEngine::load(model)?)),
        "mlx" => bail!("the mlx engine takes no options ('{engine}')"),
        "openai" if options.is_empty() => Ok(Box::new(open_openai(http)?)),
        "openai" => {
            bail!("the openai engine takes no options ('{engine}'); use --url, --served-model, ...")
        }
        "" => bail!("empty engine name in --engine"),
        other => bail!("unknown engine '{other}' (available: mlx, openai)"),
    }
}

fn open_openai(http: &HttpOptions) -> Result<OpenAiEngine> {
    if http.url.is_empty() {
        bail!("the openai engine needs --url (e.g. http://127.0.0.1:8080/v1)");
    }
    if !(http.timeout_s.is_finite() && http.timeout_s > 0.0) {
        bail!("--timeout-s must be a positive number of seconds");
    }
    let api_key = match &http.api_key_env {
        None => None,
        Some(name) => Some(
            std::env::var(name)
                .ok()
                .filter(|k| !k.is_empty())
                .with_context(|| {
                    format!("--api-key-env {name}: the environment variable is not set")
                })?,
        ),
    };
    if let Some(t) = &http.tokenizer {
        if !t.exists() {
            bail!("--tokenizer {}: no such file or folder", t.display());
        }
    }
    let mut cfg = OpenAiConfig::new(&http.url);
    cfg.api_key = api_key;
    cfg.served_model = http.served_model.clone();
    cfg.tokenizer = http.tokenizer.clone();
    cfg.timeout = Duration::from_secs_f64(http.timeout_s);
    cfg.rate_rps = http.rate;
    cfg.endpoint = http.endpoint.unwrap_or(Endpoint::Auto);
    Ok(OpenAiEngine::connect(cfg)?)
}

#[cfg(test)]
mod tests {
    use super::split_engines;

    #[test]
    fn engine_lists() {
        assert_eq!(split_engines("mlx"), ["mlx"]);
        assert_eq!(split_engines("mlx,openai"), ["mlx", "openai"]);
        assert_eq!(
            split_engines("test-double:decode_tps=80,jitter=0,openai"),
            ["test-double:decode_tps=80,jitter=0", "openai"]
        );
    }
}
