//! The engine: request bodies, concurrency, and turning streams into samples.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchbar_core::report::{EngineInfo, ModelRef};
use benchbar_core::sample::{EngineCounters, RequestSample, TrialSample};
use benchbar_core::spec::PromptSpec;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use super::client::{get_text, stream_completion, StreamRecord, StreamRequest};
use crate::engine::{
    Embeddings, Engine, EngineError, Result, TextBatch, TextRequest, TokenTick, TrialRequest,
};

/// Qwen3's end-of-sequence tokens (`<|endoftext|>`, `<|im_end|>`): suppressed with
/// `logit_bias` for fixed-length generation.
const QWEN3_EOS: [u32; 2] = [151_643, 151_645];

/// Which endpoint the engine calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/chat/completions` for text prompts (the server applies its chat template) and
    /// `/completions` for synthetic prompts (exactly N tokens, no template) — what the
    /// in-process engine does.
    Auto,
    /// Always `/chat/completions`.
    Chat,
    /// Always `/completions` (text prompts are sent raw).
    Completions,
}

/// How to reach the server.
#[derive(Clone, Debug)]
pub struct OpenAiConfig {
    /// Base URL including `/v1`, e.g. `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    /// Bearer token read from the environment by the caller (never stored).
    pub api_key: Option<String>,
    /// `model` sent in requests; None omits it (mlx_lm.server and llama-server then use the
    /// model they serve).
    pub served_model: Option<String>,
    /// A `tokenizer.json` for per-chunk token counts and synthetic prompts.
    pub tokenizer: Option<PathBuf>,
    /// Longest wait for response headers or the next bytes of a stream.
    pub timeout: Duration,
    /// Poisson request rate (requests/s) for batch trials; None sends all at once.
    pub rate_rps: Option<f64>,
    /// Endpoint choice.
    pub endpoint: Endpoint,
}

impl OpenAiConfig {
    /// Defaults for `base_url`: auto endpoint, 60 s timeout, no key, no tokenizer.
    pub fn new(base_url: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key: None,
            served_model: None,
            tokenizer: None,
            timeout: Duration::from_secs(60),
            rate_rps: None,
            endpoint: Endpoint::Auto,
        }
    }
}

/// The OpenAI-compatible HTTP engine.
pub struct OpenAiEngine {
    cfg: OpenAiConfig,
    base: String,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    tokenizer: Option<Arc<tokenizers::Tokenizer>>,
    version: String,
    model: ModelRef,
    approx_trials: u32,
    approx_tokens: u64,
    usage_missing_trials: u32,
    max_cached_tokens: u32,
}

impl std::fmt::Debug for OpenAiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEngine")
            .field("base", &self.base)
            .field("version", &self.version)
            .finish()
    }
}

fn host_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| {
                format!(
                    "{h}{}",
                    u.port().map(|p| format!(":{p}")).unwrap_or_default()
                )
            })
        })
        .unwrap_or_else(|| url.to_string())
}

fn quantization_of(name: &str) -> Option<String> {
    let l = name.to_ascii_lowercase();
    [
        "4bit", "8bit", "6bit", "3bit", "bf16", "fp16", "f16", "f32", "q4_k_m", "q8_0",
    ]
    .into_iter()
    .find(|q| l.contains(q))
    .map(str::to_string)
}

impl OpenAiEngine {
    /// Checks the URL, loads the tokenizer, asks `GET /models` for the server's identity, and
    /// probes that streaming reports `usage` (without it and without a tokenizer the run is
    /// refused). A server that cannot be reached is not refused here: each trial then fails
    /// with the connection error and the run records it.
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

    fn body(&self, endpoint: Endpoint, prompt: &str, max_tokens: u32, fixed: bool) -> Value {
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

    fn count_tokens(&self, text: &str) -> Option<u32> {
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
}

/// Text of exactly `n` tokens: seeded random lowercase words that are single tokens with a
/// leading space (the pre-tokenizer splits at each), checked by encoding.
fn synthetic_text(
    t: &tokenizers::Tokenizer,
    n: u32,
    seed: u64,
) -> std::result::Result<String, String> {
    let mut words: Vec<String> = t
        .get_vocab(false)
        .into_keys()
        .filter(|k| {
            // byte-level BPE writes a leading space as 'Ġ'
            k.strip_prefix('Ġ').is_some_and(|w| {
                w.len() >= 3 && w.len() <= 8 && w.bytes().all(|b| b.is_ascii_lowercase())
            })
        })
        .map(|k| format!(" {}", &k['Ġ'.len_utf8()..]))
        .collect();
    words.sort();
    if words.is_empty() {
        return Err("the tokenizer has no plain word tokens to build a synthetic prompt".into());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let count = |s: &str| {
        t.encode(s, false)
            .map(|e| e.get_ids().len() as u32)
            .unwrap_or(0)
    };
    let mut text = String::new();
    for _ in 0..n {
        text.push_str(&words[rng.gen_range(0..words.len())]);
    }
    for _ in 0..64 {
        let c = count(&text);
        if c == n {
            return Ok(text);
        }
        if c > n {
            // drop the last word and try again with a fresh one
            let cut = text.rfind(' ').unwrap_or(0);
            text.truncate(cut);
        }
        if count(&text) < n {
            text.push_str(&words[rng.gen_range(0..words.len())]);
        }
    }
    Err(format!("could not build a prompt of exactly {n} tokens"))
}

/// How a stream's tokens were given timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenAssignment {
    /// One offset per generated token (ns from sending the request).
    pub offsets_ns: Vec<u64>,
    /// Tokens whose chunk was not known exactly (given the last text chunk's time, or dropped).
    pub unattributed: u32,
}

/// Gives every token the arrival time of its chunk (see the module docs). `per_chunk` is the
/// token count of each text chunk; `total` the authoritative count (usage), if any.
pub fn assign_token_offsets(
    chunks_ns: &[u64],
    per_chunk: &[u32],
    total: Option<u32>,
    end_ns: u64,
) -> TokenAssignment {
    let mut offsets: Vec<u64> = chunks_ns
        .iter()
        .zip(per_chunk)
        .flat_map(|(&t, &k)| (0..k).map(move |_| t))
        .collect();
    let Some(total) = total else {
        return TokenAssignment {
            offsets_ns: offsets,
            unattributed: 0,
        };
    };
    let have = offsets.len() as u32;
    let unattributed = have.abs_diff(total);
    if have > total {
        offsets.truncate(total as usize);
    } else {
        let last = chunks_ns.last().copied().unwrap_or(end_ns);
        offsets.resize(total as usize, last);
    }
    TokenAssignment {
        offsets_ns: offsets,
        unattributed,
    }
}

impl Engine for OpenAiEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "openai".into(),
            version: self.version.clone(),
        }
    }

    fn model(&self) -> ModelRef {
        self.model.clone()
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
        let endpoint = match (self.cfg.endpoint, &req.prompt) {
            (Endpoint::Auto, PromptSpec::Text { .. }) | (Endpoint::Chat, _) => Endpoint::Chat,
            _ => Endpoint::Completions,
        };
        let prompts = (0..req.batch_size)
            .map(|row| self.prompt_text(&req.prompt, req.seed, row))
            .collect::<Result<Vec<_>>>()?;
        let rows = Rows {
            endpoint,
            max_tokens: req.max_tokens,
            fixed: req.fixed_length,
            seed: req.seed,
        };
        self.stream_rows(&rows, &prompts, on_token)
            .map(|(sample, _)| sample)
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
        };
        let (sample, texts) = self.stream_rows(&rows, &req.prompts, on_token)?;
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

/// Concurrent requests per [`Engine::generate_text`] call over HTTP (the server batches them
/// if it can).
const TEXT_CONCURRENCY: u32 = 8;

/// What every row of a streamed batch shares.
struct Rows {
    endpoint: Endpoint,
    max_tokens: u32,
    fixed: bool,
    seed: u64,
}

impl OpenAiEngine {
    /// Streams one request per prompt, concurrently (or at the Poisson rate); returns the raw
    /// sample and each row's generated text.
    fn stream_rows(
        &mut self,
        req: &Rows,
        prompts: &[String],
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<(TrialSample, Vec<String>)> {
        let endpoint = req.endpoint;
        let url = format!(
            "{}/{}",
            self.base,
            if endpoint == Endpoint::Chat {
                "chat/completions"
            } else {
                "completions"
            }
        );
        let mut rng = ChaCha8Rng::seed_from_u64(req.seed ^ 0x0005_EED0_FA11);
        let mut delay = Duration::ZERO;
        let mut requests = Vec::with_capacity(prompts.len());
        for (row, prompt) in (0u32..).zip(prompts) {
            if let (Some(rate), true) = (self.cfg.rate_rps, row > 0) {
                let u: f64 = rng.gen_range(f64::EPSILON..1.0);
                delay += Duration::from_secs_f64(-u.ln() / rate);
            }
            requests.push(StreamRequest {
                url: url.clone(),
                body: self
                    .body(endpoint, prompt, req.max_tokens, req.fixed)
                    .to_string(),
                api_key: self.cfg.api_key.clone(),
                stall_timeout: self.cfg.timeout,
                row,
                delay,
            });
        }
        let client = self.client.clone();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let start = Instant::now();
        let handles: Vec<_> = requests
            .into_iter()
            .map(|r| {
                let (client, tx) = (client.clone(), tx.clone());
                self.rt
                    .spawn(async move { stream_completion(&client, r, start, tx).await })
            })
            .collect();
        drop(tx);
        let mut cancelled = false;
        let results: Vec<std::result::Result<StreamRecord, String>> = self.rt.block_on(async {
            while let Some((row, chunks, elapsed_ns)) = rx.recv().await {
                let tick = TokenTick {
                    row,
                    step: chunks.saturating_sub(1),
                    elapsed_ns,
                };
                if on_token(tick).is_break() {
                    cancelled = true;
                    for h in &handles {
                        h.abort();
                    }
                    break;
                }
            }
            let mut out = Vec::with_capacity(handles.len());
            for h in handles {
                out.push(match h.await {
                    Ok(r) => r,
                    Err(e) => Err(format!("POST {url}: request task ended: {e}")),
                });
            }
            out
        });
        let wall_end = Instant::now();
        if cancelled {
            return Err(EngineError::Cancelled);
        }
        let mut samples = Vec::with_capacity(results.len());
        let mut texts = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        let mut wall_ns = 0u64;
        let (mut approx_tokens, mut usage_missing) = (0u32, false);
        for (row, res) in results.into_iter().enumerate() {
            let rec = match res {
                Ok(rec) => rec,
                Err(e) => {
                    errors.push(if prompts.len() > 1 {
                        format!("request {row}: {e}")
                    } else {
                        e
                    });
                    continue;
                }
            };
            let chunk_ns: Vec<u64> = rec.chunks.iter().map(|c| c.at_ns).collect();
            // One token per text chunk when that is what usage says (mlx_lm.server streams a
            // chunk per token); otherwise the tokenizer's count of each chunk, if given.
            let one_each = rec
                .usage
                .is_some_and(|u| u.completion_tokens as usize == rec.chunks.len());
            let per_chunk: Vec<u32> = rec
                .chunks
                .iter()
                .map(|c| {
                    if one_each {
                        1
                    } else {
                        self.count_tokens(&c.text).map_or(1, |k| k.max(1))
                    }
                })
                .collect();
            let total = match (&rec.usage, &self.tokenizer) {
                (Some(u), _) => Some(u.completion_tokens),
                (None, Some(_)) => {
                    usage_missing = true;
                    None
                }
                (None, None) => {
                    errors.push(format!(
                        "POST {url}: the stream reported no usage and no --tokenizer was given: tokens cannot be counted"
                    ));
                    continue;
                }
            };
            let a = assign_token_offsets(&chunk_ns, &per_chunk, total, rec.end_ns);
            approx_tokens += a.unattributed;
            if let Some(c) = rec.usage.and_then(|u| u.cached_tokens) {
                self.max_cached_tokens = self.max_cached_tokens.max(c);
            }
            let prompt_tokens = match &rec.usage {
                Some(u) => u.prompt_tokens,
                None => self.count_tokens(&prompts[row]).unwrap_or(0),
            };
            if let Some(&last) = a.offsets_ns.last() {
                wall_ns = wall_ns.max(rec.sent_ns + last);
            }
            samples.push(RequestSample {
                prompt_tokens,
                start_offset_ns: rec.sent_ns,
                requested_tokens: req.max_tokens,
                token_offsets_ns: a.offsets_ns,
            });
            texts.push(rec.chunks.iter().map(|c| c.text.as_str()).collect());
        }
        if !errors.is_empty() {
            return Err(EngineError::Request(errors.join("; ")));
        }
        if approx_tokens > 0 {
            self.approx_trials += 1;
            self.approx_tokens += u64::from(approx_tokens);
        }
        if usage_missing {
            self.usage_missing_trials += 1;
        }
        if wall_ns == 0 {
            wall_ns = wall_end.saturating_duration_since(start).as_nanos() as u64;
        }
        let sample = TrialSample {
            index: 0,
            wall_ns,
            requests: samples,
            counters: EngineCounters::default(),
            energy: None,
            error: None,
        };
        Ok((sample, texts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_per_chunk_is_exact() {
        let a = assign_token_offsets(&[10, 20, 30], &[1, 1, 1], Some(3), 35);
        assert_eq!(a.offsets_ns, vec![10, 20, 30]);
        assert_eq!(a.unattributed, 0);
    }

    #[test]
    fn multi_token_chunks_with_tokenizer_counts() {
        let a = assign_token_offsets(&[10, 20], &[2, 3], Some(5), 25);
        assert_eq!(a.offsets_ns, vec![10, 10, 20, 20, 20]);
        assert_eq!(a.unattributed, 0);
    }

    #[test]
    fn deficit_takes_the_last_chunk_time_and_excess_is_dropped() {
        let a = assign_token_offsets(&[10, 20], &[1, 1], Some(4), 25);
        assert_eq!(a.offsets_ns, vec![10, 20, 20, 20]);
        assert_eq!(a.unattributed, 2);
        let b = assign_token_offsets(&[10, 20], &[2, 2], Some(3), 25);
        assert_eq!(b.offsets_ns, vec![10, 10, 20]);
        assert_eq!(b.unattributed, 1);
        let c = assign_token_offsets(&[], &[], Some(2), 25);
        assert_eq!(c.offsets_ns, vec![25, 25]);
    }

    #[test]
    fn host_and_quantization() {
        assert_eq!(host_of("http://127.0.0.1:8080/v1"), "127.0.0.1:8080");
        assert_eq!(host_of("https://api.example.com/v1"), "api.example.com");
        assert_eq!(
            quantization_of("mlx-community/Qwen3-1.7B-4bit").as_deref(),
            Some("4bit")
        );
        assert_eq!(quantization_of("qwen3"), None);
    }
}
