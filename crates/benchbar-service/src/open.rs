//! Engines from a name and options: `mlx` (in-process), `openai` (an OpenAI-compatible server)
//! and the hidden `test-double[:key=value,...]` used by tests.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use benchbar_engine::openai::Endpoint;
#[cfg(feature = "testing")]
use benchbar_engine::TestDoubleEngine;
use benchbar_engine::{Engine, MlxEngine, MlxOptions, OpenAiConfig, OpenAiEngine};

use crate::{Error, Result};

/// Engine names accepted (besides the hidden `test-double`).
const ENGINES: [&str; 3] = ["mlx", "openai", "test-double"];

/// Options of the openai engine.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Base URL including /v1.
    pub url: String,
    /// Name of the environment variable holding the API key (the key is never stored).
    pub api_key_env: Option<String>,
    /// `model` to request.
    pub served_model: Option<String>,
    /// tokenizer.json path.
    pub tokenizer: Option<PathBuf>,
    /// Stall timeout, seconds.
    pub timeout_s: f64,
    /// Poisson request rate, requests/s.
    pub rate: Option<f64>,
    /// Endpoint choice.
    pub endpoint: Option<Endpoint>,
}

impl HttpOptions {
    /// Options for a server at `url` with the defaults of `benchbar run`.
    pub fn for_url(url: &str) -> HttpOptions {
        HttpOptions {
            url: url.to_string(),
            timeout_s: 60.0,
            ..HttpOptions::default()
        }
    }
}

/// Splits `mlx,openai` into engine specs; commas inside an engine's options
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

/// Opens the engine `engine` for `model` (`http`: the openai engine's options).
///
/// `test-double[:key=value,...]` is a hidden value for tests (only with the `testing`
/// feature): a deterministic stand-in whose timings are synthetic. Its reports say so in the
/// engine version.
pub fn open_with(engine: &str, model: &str, http: &HttpOptions) -> Result<Box<dyn Engine>> {
    open_with_mlx(engine, model, http, &MlxOptions::default())
}

/// [`open_with`] with the mlx engine's options `mlx` (`open_with` uses their defaults).
pub fn open_with_mlx(
    engine: &str,
    model: &str,
    http: &HttpOptions,
    mlx: &MlxOptions,
) -> Result<Box<dyn Engine>> {
    open_cancellable(engine, model, http, mlx, &AtomicBool::new(false))
}

/// [`open_with_mlx`] that gives up with the engine's `Cancelled` error once `cancel` is set
/// while the in-process engine reads its weights (a large model takes seconds).
pub fn open_cancellable(
    engine: &str,
    model: &str,
    http: &HttpOptions,
    mlx: &MlxOptions,
    cancel: &AtomicBool,
) -> Result<Box<dyn Engine>> {
    let (name, options) = engine.split_once(':').unwrap_or((engine, ""));
    let invalid = |m: String| Err(Error::Invalid(m));
    match name {
        #[cfg(feature = "testing")]
        "test-double" => Ok(Box::new(TestDoubleEngine::with_options(model, options)?)),
        "mlx" if options.is_empty() => {
            Ok(Box::new(MlxEngine::load_cancellable(model, mlx, cancel)?))
        }
        "mlx" => {
            let mlx = MlxOptions {
                kv_quant: Some(kv_quant(engine, options)?),
                ..mlx.clone()
            };
            Ok(Box::new(MlxEngine::load_cancellable(model, &mlx, cancel)?))
        }
        "openai" if options.is_empty() => Ok(Box::new(open_openai(http)?)),
        "openai" => invalid(format!(
            "the openai engine takes no options ('{engine}'); use --url, --served-model, ..."
        )),
        "" => invalid("empty engine name in --engine".into()),
        other => invalid(format!("unknown engine '{other}' (available: mlx, openai)")),
    }
}

/// The KV-cache quantization of `mlx:kv-bits=B[,kv-group-size=G][,kv-start=T]` (what
/// `--kv-bits` expands to): bits and group size as MLX's affine quantization takes them (group
/// 64 by default), quantized from the first forward call unless `kv-start` says otherwise.
pub fn kv_quant(engine: &str, options: &str) -> Result<benchbar_engine::KvQuant> {
    let bad = |why: &str| {
        Error::Invalid(format!(
            "{why} in '{engine}' (the mlx engine takes kv-bits=B[,kv-group-size=G][,kv-start=T])"
        ))
    };
    let mut kv = benchbar_engine::KvQuant {
        bits: -1,
        group_size: 64,
        start_tokens: 0,
    };
    for part in options.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(|| bad("no key=value"))?;
        let number: u32 = value
            .parse()
            .map_err(|_| bad(&format!("{key}: '{value}' is not a whole number")))?;
        match key {
            "kv-bits" => kv.bits = number as i32,
            "kv-group-size" => kv.group_size = number as i32,
            "kv-start" => kv.start_tokens = number as usize,
            other => return Err(bad(&format!("unknown option '{other}'"))),
        }
    }
    if kv.bits < 0 {
        return Err(bad("kv-bits is missing"));
    }
    if let Some(why) = kv.params().unsupported() {
        return Err(Error::Invalid(format!(
            "--kv-bits / --kv-group-size: {why}"
        )));
    }
    Ok(kv)
}

fn open_openai(http: &HttpOptions) -> Result<OpenAiEngine> {
    if http.url.is_empty() {
        return Err(Error::Invalid(
            "the openai engine needs --url (e.g. http://127.0.0.1:8080/v1)".into(),
        ));
    }
    if !(http.timeout_s.is_finite() && http.timeout_s > 0.0) {
        return Err(Error::Invalid(
            "--timeout-s must be a positive number of seconds".into(),
        ));
    }
    let api_key = match &http.api_key_env {
        None => None,
        Some(name) => Some(
            std::env::var(name)
                .ok()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "--api-key-env {name}: the environment variable is not set"
                    ))
                })?,
        ),
    };
    if let Some(t) = &http.tokenizer {
        if !t.exists() {
            return Err(Error::Invalid(format!(
                "--tokenizer {}: no such file or folder",
                t.display()
            )));
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
    use super::*;

    #[test]
    fn engine_lists() {
        assert_eq!(split_engines("mlx"), ["mlx"]);
        assert_eq!(split_engines("mlx,openai"), ["mlx", "openai"]);
        assert_eq!(
            split_engines("test-double:decode_tps=80,jitter=0,openai"),
            ["test-double:decode_tps=80,jitter=0", "openai"]
        );
    }

    #[test]
    fn bad_engines_are_refused_with_one_line() {
        let http = HttpOptions::default();
        for (engine, needle) in [
            ("gpt", "unknown engine 'gpt'"),
            ("", "empty engine name"),
            ("mlx:fast", "no key=value"),
            ("mlx:kv-bits=7", "7 bits"),
            ("mlx:kv-bits=4,kv-group-size=16", "groups of 16"),
            ("mlx:kv-group-size=32", "kv-bits is missing"),
            ("openai", "needs --url"),
        ] {
            let err = open_with(engine, "builtin:tiny", &http)
                .err()
                .expect(engine);
            let msg = err.to_string();
            assert!(msg.contains(needle), "{engine}: {msg}");
            assert!(!msg.contains('\n'), "{engine}: {msg}");
        }
    }

    #[test]
    fn test_double_opens() {
        let e = open_with("test-double:decode_tps=50", "m", &HttpOptions::default()).unwrap();
        assert_eq!(e.info().name, "test-double");
    }
}
