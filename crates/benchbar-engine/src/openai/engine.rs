//! The engine: request bodies, concurrency, and turning streams into samples.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchbar_core::report::{EngineInfo, ModelRef};
use benchbar_core::sample::TrialSample;
use benchbar_core::spec::PromptSpec;
use serde_json::{json, Value};

use super::client::{get_text, stream_completion, StreamRequest};
use super::config::{host_of, quantization_of, Endpoint, OpenAiConfig, Rows, TEXT_CONCURRENCY};
use super::tokens::synthetic_text;
use crate::engine::{
    Embeddings, Engine, EngineError, Result, TextBatch, TextRequest, TokenTick, TrialRequest,
};

/// Qwen3's end-of-sequence tokens (`<|endoftext|>`, `<|im_end|>`): suppressed with
/// `logit_bias` for fixed-length generation.
const QWEN3_EOS: [u32; 2] = [151_643, 151_645];

/// The OpenAI-compatible HTTP engine.
pub struct OpenAiEngine {
    pub(super) cfg: OpenAiConfig,
    pub(super) base: String,
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) client: reqwest::Client,
    pub(super) tokenizer: Option<Arc<tokenizers::Tokenizer>>,
    pub(super) version: String,
    pub(super) model: ModelRef,
    pub(super) approx_trials: u32,
    pub(super) approx_tokens: u64,
    pub(super) usage_missing_trials: u32,
    pub(super) max_cached_tokens: u32,
}

impl std::fmt::Debug for OpenAiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEngine")
            .field("base", &self.base)
            .field("version", &self.version)
            .finish()
    }
}

/// Mixed into a trial's seed for its prefix, so that it does not repeat the prompt's text.
const PREFIX_SALT: u64 = 0x9F1C_0000_0000_0002;

impl OpenAiEngine {
    /// Checks the URL, loads the tokenizer, asks `GET /models` for the server's identity, and
    /// probes that streaming reports `usage` (without it and without a tokenizer the run is
    /// refused). A server that is not there (connection refused, DNS failure, TLS handshake
    /// failure) is refused here with the URL and the cause, before any run exists; one that
    /// answers `/models` badly or slowly is not: each trial then records its error.
    pub fn connect(cfg: OpenAiConfig) -> Result<OpenAiEngine> {
        let base = cfg.base_url.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| EngineError::Config(format!("--url '{base}': {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EngineError::Config(format!(
                "--url '{base}': scheme must be http or https"
            )));
        }
        if let Some(r) = cfg.rate_rps {
            if !(r.is_finite() && r > 0.0) {
                return Err(EngineError::Config(format!(
                    "--rate must be a positive number of requests/s (got {r})"
                )));
            }
        }
        if cfg.timeout.is_zero() {
            return Err(EngineError::Config("--timeout-s must be positive".into()));
        }
        let tokenizer = match &cfg.tokenizer {
            None => None,
            Some(p) => {
                let p = if p.is_dir() {
                    p.join("tokenizer.json")
                } else {
                    p.clone()
                };
                Some(Arc::new(tokenizers::Tokenizer::from_file(&p).map_err(
                    |e| EngineError::Load(format!("{}: cannot load tokenizer: {e}", p.display())),
                )?))
            }
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| EngineError::Config(format!("cannot start the HTTP runtime: {e}")))?;
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.timeout)
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| EngineError::Config(format!("cannot build the HTTP client: {e}")))?;
        let models_url = format!("{base}/models");
        let probe_timeout = cfg.timeout.min(Duration::from_secs(10));
        let models = rt.block_on(get_text(
            &client,
            &models_url,
            cfg.api_key.as_deref(),
            probe_timeout,
        ));
        if let Err(e) = &models {
            if e.unreachable {
                return Err(EngineError::Config(format!(
                    "cannot reach the server at {base}: {}",
                    e.cause
                )));
            }
        }
        let (server, listed) = match &models {
            Ok((server, body)) => {
                let v: Value = serde_json::from_str(body).map_err(|_| {
                    EngineError::Config(format!(
                        "GET {models_url}: not an OpenAI-compatible endpoint (the body is not JSON)"
                    ))
                })?;
                let ids: Vec<(String, Option<String>)> = v
                    .get("data")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|m| {
                                Some((
                                    m.get("id")?.as_str()?.to_string(),
                                    m.get("owned_by")
                                        .and_then(Value::as_str)
                                        .map(str::to_string),
                                ))
                            })
                            .collect()
                    })
                    .ok_or_else(|| {
                        EngineError::Config(format!(
                            "GET {models_url}: not an OpenAI-compatible endpoint (no `data` list)"
                        ))
                    })?;
                (server.clone(), ids)
            }
            Err(_) => (None, vec![]),
        };
        let identity = server
            .or_else(|| listed.first().and_then(|(_, o)| o.clone()))
            .unwrap_or_else(|| "unknown server".into());
        let version = format!("openai-compatible · {identity} · {}", host_of(&base));
        let model_id = cfg
            .served_model
            .clone()
            .or_else(|| (listed.len() == 1).then(|| listed[0].0.clone()))
            .unwrap_or_else(|| format!("served@{}", host_of(&base)));
        let model = ModelRef {
            quantization: quantization_of(&model_id),
            id: model_id,
            path: None,
        };
        let mut engine = OpenAiEngine {
            cfg,
            base,
            rt,
            client,
            tokenizer,
            version,
            model,
            approx_trials: 0,
            approx_tokens: 0,
            usage_missing_trials: 0,
            max_cached_tokens: 0,
        };
        if models.is_ok() && engine.tokenizer.is_none() {
            engine.probe_usage()?;
        }
        Ok(engine)
    }

    /// One 2-token streamed request: the server must report usage (no tokenizer was given).
    fn probe_usage(&mut self) -> Result<()> {
        let url = format!("{}/completions", self.base);
        let body = self
            .body(Endpoint::Completions, "Hello", 2, false)
            .to_string();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let req = StreamRequest {
            url: url.clone(),
            body,
            api_key: self.cfg.api_key.clone(),
            stall_timeout: self.cfg.timeout,
            row: 0,
            delay: Duration::ZERO,
            gate: None,
        };
        match self
            .rt
            .block_on(stream_completion(&self.client, req, Instant::now(), tx))
        {
            Ok(rec) if rec.usage.is_none() => Err(EngineError::Config(format!(
                "POST {url}: the server does not report token usage in streams (stream_options.include_usage) and no --tokenizer was given: BenchBar does not count words or chunks as tokens"
            ))),
            // A failing probe is not a refusal: trials will report the error.
            _ => Ok(()),
        }
    }

    pub(super) fn body(
        &self,
        endpoint: Endpoint,
        prompt: &str,
        max_tokens: u32,
        fixed: bool,
    ) -> Value {
        let mut b = json!({
            "stream": true,
            "stream_options": {"include_usage": true},
            "max_tokens": max_tokens,
            "temperature": 0.0,
        });
        if let Some(m) = &self.cfg.served_model {
            b["model"] = json!(m);
        }
        match endpoint {
            Endpoint::Chat => {
                b["messages"] = json!([{"role": "user", "content": prompt}]);
                // Qwen3: the in-process engine renders the template with thinking off.
                b["chat_template_kwargs"] = json!({"enable_thinking": false});
            }
            _ => b["prompt"] = json!(prompt),
        }
        if fixed {
            // vLLM, llama-server, SGLang honour these; others ignore them. mlx_lm.server
            // honours neither but applies logit_bias, which suppresses Qwen3's EOS tokens.
            b["ignore_eos"] = json!(true);
            b["min_tokens"] = json!(max_tokens);
            let bias: serde_json::Map<String, Value> = self
                .eos_ids()
                .into_iter()
                .map(|id| (id.to_string(), json!(-100)))
                .collect();
            b["logit_bias"] = Value::Object(bias);
        }
        b
    }

    fn eos_ids(&self) -> Vec<u32> {
        match &self.tokenizer {
            Some(t) => {
                let ids: Vec<u32> = ["<|endoftext|>", "<|im_end|>"]
                    .into_iter()
                    .filter_map(|s| t.token_to_id(s))
                    .collect();
                if ids.is_empty() {
                    QWEN3_EOS.to_vec()
                } else {
                    ids
                }
            }
            None => QWEN3_EOS.to_vec(),
        }
    }

    pub(super) fn count_tokens(&self, text: &str) -> Option<u32> {
        let t = self.tokenizer.as_ref()?;
        t.encode(text, false).ok().map(|e| e.get_ids().len() as u32)
    }

    /// The prompt text of a request: text prompts get a per-(trial, row) nonce in front so that
    /// no server-side prompt cache is hit across trials; synthetic prompts are built from the
    /// seed with exactly `tokens` tokens (needs the tokenizer).
    fn prompt_text(&self, prompt: &PromptSpec, seed: u64, row: u32) -> Result<String> {
        match prompt {
            PromptSpec::Text { text } => {
                let nonce = (seed ^ u64::from(row).wrapping_mul(0x9E37_79B9_7F4A_7C15)) as u32;
                Ok(format!("[{nonce:08x}] {text}"))
            }
            PromptSpec::Synthetic { tokens } => {
                let Some(t) = &self.tokenizer else {
                    return Err(EngineError::Request(format!(
                        "{}: synthetic prompts (-p N) need --tokenizer to build exactly N tokens of text",
                        self.base
                    )));
                };
                synthetic_text(t, *tokens, seed.wrapping_add(u64::from(row)))
                    .map_err(|e| EngineError::Request(format!("{}: {e}", self.base)))
            }
        }
    }

    /// One trial, cancellable while waiting when `cancel` is given; a prefix (`--cached-prefix`)
    /// goes before every prompt, fresh per trial (needs the tokenizer to be exact).
    fn trial(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        cancel: Option<&AtomicBool>,
    ) -> Result<TrialSample> {
        let endpoint = match (self.cfg.endpoint, &req.prompt) {
            (Endpoint::Auto, PromptSpec::Text { .. }) | (Endpoint::Chat, _) => Endpoint::Chat,
            _ => Endpoint::Completions,
        };
        let mut prompts = (0..req.batch_size)
            .map(|row| self.prompt_text(&req.prompt, req.seed, row))
            .collect::<Result<Vec<_>>>()?;
        if let Some(p) = req.prefix {
            // A fresh prefix per trial and row before each prompt; cached: sent alone first,
            // untimed, so that a server with prompt caching holds it when the prompt comes.
            let synthetic = PromptSpec::Synthetic {
                tokens: p.prefix_tokens,
            };
            let prefixes = (0..req.batch_size)
                .map(|row| self.prompt_text(&synthetic, req.seed ^ PREFIX_SALT, row))
                .collect::<Result<Vec<_>>>()?;
            if p.cached {
                let prime = Rows {
                    endpoint,
                    max_tokens: 1,
                    fixed: false,
                    seed: req.seed ^ PREFIX_SALT,
                    concurrency: req.concurrency,
                };
                let mut ignore = |_| ControlFlow::Continue(());
                self.stream_rows(&prime, &prefixes, &mut ignore, cancel)?;
            }
            prompts = prefixes
                .into_iter()
                .zip(prompts)
                .map(|(a, b)| format!("{a}\n\n{b}"))
                .collect();
        }
        let rows = Rows {
            endpoint,
            max_tokens: req.max_tokens,
            fixed: req.fixed_length,
            seed: req.seed,
            concurrency: req.concurrency,
        };
        self.stream_rows(&rows, &prompts, on_token, cancel)
            .map(|(sample, _)| sample)
    }
}

impl Engine for OpenAiEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "openai".into(),
            version: self.version.clone(),
            kv_cache: None,
        }
    }

    fn model(&self) -> ModelRef {
        self.model.clone()
    }

    fn supports_concurrency(&self) -> bool {
        true
    }

    fn notes(&self) -> Vec<String> {
        let mut n = vec![format!(
            "openai engine ({}): TTFT is client-side (includes HTTP and network time); token counts from {}",
            self.base,
            if self.tokenizer.is_some() {
                "the server's usage, per-chunk counts from the tokenizer"
            } else {
                "the server's usage"
            }
        )];
        if self.approx_trials > 0 {
            n.push(format!(
                "openai engine: in {} trial(s), {} token(s) could not be matched to the chunk that carried them (multi-token chunks without a tokenizer, or tokenizer/usage disagreement); they carry the last text chunk's arrival time",
                self.approx_trials, self.approx_tokens
            ));
        }
        if let Some(rate) = self.cfg.rate_rps {
            n.push(format!(
                "openai engine: --rate {rate} req/s (Poisson arrivals): per-request TTFT, ITL and E2E are from each request's own send time; batch aggregates span the trial from its start"
            ));
        }
        if self.max_cached_tokens > 0 {
            n.push(format!(
                "openai engine: the server reported up to {} cached prompt token(s) per request (a per-trial nonce starts each text prompt; a shared chat-template prefix can still be cached)",
                self.max_cached_tokens
            ));
        }
        if self.usage_missing_trials > 0 {
            n.push(format!(
                "openai engine: {} trial(s) without server usage; generated tokens counted by the tokenizer, prompt tokens by the tokenizer on the raw prompt",
                self.usage_missing_trials
            ));
        }
        n
    }

    fn run_trial(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample> {
        self.trial(req, on_token, None)
    }

    fn run_trial_cancellable(
        &mut self,
        req: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        cancel: &AtomicBool,
    ) -> Result<TrialSample> {
        self.trial(req, on_token, Some(cancel))
    }

    fn generate_text(
        &mut self,
        req: &TextRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TextBatch> {
        let rows = Rows {
            endpoint: match self.cfg.endpoint {
                Endpoint::Completions => Endpoint::Completions,
                _ => Endpoint::Chat,
            },
            max_tokens: req.max_tokens,
            fixed: false,
            seed: req.seed,
            concurrency: None,
        };
        let (sample, texts) = self.stream_rows(&rows, &req.prompts, on_token, None)?;
        Ok(TextBatch { sample, texts })
    }

    fn max_text_batch(&self) -> u32 {
        TEXT_CONCURRENCY
    }

    fn embed(&mut self, _texts: &[String]) -> Result<Embeddings> {
        Err(EngineError::Unsupported(format!(
            "the openai engine ({}) computes no embeddings: OpenAI-compatible LLM servers such as mlx_lm.server serve no /v1/embeddings for Qwen3; use --engine mlx",
            self.base
        )))
    }
}
