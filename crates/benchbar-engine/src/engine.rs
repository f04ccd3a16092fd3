//! The `Engine` trait.

use std::ops::ControlFlow;

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
}

/// Result alias for engines.
pub type Result<T> = std::result::Result<T, EngineError>;

/// One trial to run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRequest {
    /// The prompt every request of the batch uses.
    pub prompt: PromptSpec,
    /// Requests submitted together.
    pub batch_size: u32,
    /// Tokens to generate per request.
    pub max_tokens: u32,
    /// Suppress end-of-sequence so every request generates exactly `max_tokens`.
    pub fixed_length: bool,
    /// Per-trial seed: synthetic prompts and any cache-busting nonce derive from it, so every
    /// trial gets a fresh prompt.
    pub seed: u64,
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

    /// Notes for the report about how this engine measures (e.g. that an HTTP engine's TTFT is
    /// client-side), given after the run.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}
