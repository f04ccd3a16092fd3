//! How to reach an OpenAI-compatible server, and what its URL and model name say.

use std::path::PathBuf;
use std::time::Duration;

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

/// `host:port` of a URL (for the engine version and model name).
pub(super) fn host_of(url: &str) -> String {
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

/// The quantization a served model's name mentions (`4bit`, `bf16`, `q4_k_m`, ...).
pub(super) fn quantization_of(name: &str) -> Option<String> {
    let l = name.to_ascii_lowercase();
    [
        "4bit", "8bit", "6bit", "3bit", "bf16", "fp16", "f16", "f32", "q4_k_m", "q8_0",
    ]
    .into_iter()
    .find(|q| l.contains(q))
    .map(str::to_string)
}

/// Concurrent requests per [`crate::engine::Engine::generate_text`] call over HTTP (the server
/// batches them if it can).
pub(super) const TEXT_CONCURRENCY: u32 = 8;

/// What every row of a streamed batch shares.
pub(super) struct Rows {
    pub(super) endpoint: Endpoint,
    pub(super) max_tokens: u32,
    pub(super) fixed: bool,
    pub(super) seed: u64,
    /// At most this many requests in flight (a concurrency level); None: all at once.
    pub(super) concurrency: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
