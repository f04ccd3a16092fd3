//! The `Engine` trait.

use std::ops::ControlFlow;
use std::sync::atomic::AtomicBool;

use benchbar_core::report::{EngineInfo, ModelRef};
use benchbar_core::sample::TrialSample;
use benchbar_core::spec::PromptSpec;

/// Engine errors.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The model could not be loaded (file and problem named).
    #[error("{0}")]
    Load(String),
    /// A request failed (the trial is recorded as failed; the run goes on).
    #[error("{0}")]
    Request(String),
    /// The observer asked to stop.
    #[error("cancelled")]
    Cancelled,
    /// The engine name or options are not known.
    #[error("{0}")]
    Config(String),
    /// The engine cannot do this (e.g. embeddings over HTTP); the message says what and why.
    #[error("{0}")]
    Unsupported(String),
}

/// Result alias for engines.
pub type Result<T> = std::result::Result<T, EngineError>;

/// One trial to run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRequest {
    /// The prompt every request of the batch uses.
    pub prompt: PromptSpec,
    /// Requests of the trial: submitted together, or with `concurrency` kept at most that many
    /// in flight.
    pub batch_size: u32,
    /// A server's concurrency level: at most this many of the `batch_size` requests in flight,
    /// the next sent as soon as one finishes (a closed loop); None sends all at once. Only
    /// engines whose [`Engine::supports_concurrency`] is true honour it.
    pub concurrency: Option<u32>,
    /// Tokens to generate per request.
    pub max_tokens: u32,
    /// Suppress end-of-sequence so every request generates exactly `max_tokens`.
    pub fixed_length: bool,
    /// Per-trial seed: synthetic prompts and any cache-busting nonce derive from it, so every
    /// trial gets a fresh prompt.
    pub seed: u64,
    /// Context depth: this many tokens of context (drawn from the seed) are in the cache
    /// before the trial is timed; their prefill is not measured. Only engines whose
    /// [`Engine::supports_depth`] is true honour it.
    pub depth_tokens: Option<u32>,
    /// A fresh prefix (drawn from the seed) before the prompt, timed with it (cold) or put in
    /// the cache untimed first (cached).
    pub prefix: Option<benchbar_core::depth::PrefixPlan>,
}

/// A token as it arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenTick {
    /// Row of the batch.
    pub row: u32,
    /// 0-based index of the token within its request.
    pub step: u32,
    /// Nanoseconds since the trial started.
    pub elapsed_ns: u64,
}

/// Distinct text prompts generated together, whose generated text is wanted (use-case
/// scenarios). Unlike [`TrialRequest`], every row has its own prompt and stops at
/// end-of-sequence (generation length is the model's, up to `max_tokens`).
#[derive(Clone, Debug, PartialEq)]
pub struct TextRequest {
    /// One user message per row, rendered with the model's chat template (thinking off).
    pub prompts: Vec<String>,
    /// Upper bound of generated tokens per row.
    pub max_tokens: u32,
    /// Seed for anything random (cache-busting nonces, synthetic timings).
    pub seed: u64,
}

/// What [`Engine::generate_text`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBatch {
    /// The raw timings, one request per row in prompt order (as from `run_trial`).
    pub sample: TrialSample,
    /// The generated text of each row (may be empty: the model produced nothing).
    pub texts: Vec<String>,
}

/// One embedding per input text.
#[derive(Clone, Debug, PartialEq)]
pub struct Embeddings {
    /// L2-normalised vectors, one per text, all of the same dimension.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens read (sum over the texts).
    pub tokens: u64,
    /// How the vectors were made, e.g. "mean-pooled last hidden state (Qwen3)".
    pub method: String,
}

/// What an engine knows about its model's size, to bound a run before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelLimits {
    /// Longest sequence (prompt plus generated tokens) the model takes.
    pub context_tokens: u32,
    /// Bytes of KV cache one token of one sequence takes (keys and values, every attention
    /// layer).
    pub kv_bytes_per_token: u64,
    /// Bytes of fixed-size state one sequence keeps whatever its length (a hybrid's linear
    /// attention layers; 0 for others).
    pub state_bytes_per_sequence: u64,
    /// Bytes of the model's weights once loaded.
    pub weights_bytes: u64,
}

/// A benchmarkable engine.
pub trait Engine: Send {
    /// Name and version (the version includes the MLX version for MLX engines).
    fn info(&self) -> EngineInfo;

    /// The model this engine serves.
    fn model(&self) -> ModelRef;

    /// Runs one trial. `on_token` is called for every token as soon as it is materialised;
    /// returning `ControlFlow::Break` stops the trial with [`EngineError::Cancelled`].
    /// The returned sample's `index` is set by the runner.
    fn run_trial(
        &mut self,
        request: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TrialSample>;

    /// [`Engine::run_trial`] that also honours `cancel` while the engine waits for something
    /// other than a token (an HTTP connection, response headers, a gap in a stream): once the
    /// flag is set the trial ends with [`EngineError::Cancelled`] within a fraction of a second.
    /// The default calls `run_trial`, where cancellation is seen only through `on_token`.
    fn run_trial_cancellable(
        &mut self,
        request: &TrialRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
        cancel: &AtomicBool,
    ) -> Result<TrialSample> {
        let _ = cancel;
        self.run_trial(request, on_token)
    }

    /// Whether the engine honours [`TrialRequest::concurrency`] (servers over HTTP do; an
    /// in-process engine decodes a batch in lockstep and does not).
    fn supports_concurrency(&self) -> bool {
        false
    }

    /// Whether the engine honours [`TrialRequest::depth_tokens`] (an in-process engine holds
    /// its KV cache; a server keeps none between requests but a prompt cache).
    fn supports_depth(&self) -> bool {
        false
    }

    /// The model's context length and memory footprint, where the engine knows them (None:
    /// unknown, e.g. a remote server; the run is then not bounded by them).
    fn limits(&self) -> Option<ModelLimits> {
        None
    }

    /// Notes for the report about how this engine measures (e.g. that an HTTP engine's TTFT is
    /// client-side), given after the run.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Generates text for distinct prompts, submitted together (true batched decode where the
    /// engine has it). `on_token` is as for [`Engine::run_trial`]. Engines that cannot return
    /// text answer [`EngineError::Unsupported`].
    fn generate_text(
        &mut self,
        request: &TextRequest,
        on_token: &mut dyn FnMut(TokenTick) -> ControlFlow<()>,
    ) -> Result<TextBatch> {
        let _ = (request, on_token);
        Err(EngineError::Unsupported(format!(
            "the {} engine does not return generated text",
            self.info().name
        )))
    }

    /// Most prompts [`Engine::generate_text`] takes at once.
    fn max_text_batch(&self) -> u32 {
        1
    }

    /// Embeds `texts` (one vector each). Engines without embeddings answer
    /// [`EngineError::Unsupported`] with the reason.
    fn embed(&mut self, texts: &[String]) -> Result<Embeddings> {
        let _ = texts;
        Err(EngineError::Unsupported(format!(
            "the {} engine cannot compute embeddings",
            self.info().name
        )))
    }
}
