//! Engines and the runner.
//!
//! An [`Engine`] runs one trial at a time — `batch_size` requests submitted together — and
//! returns raw samples: prompt token counts and one timestamp per generated token, taken after
//! the token is materialised. The [`runner`] owns warmup, repetitions, fixed generation
//! length, fresh prompts per trial and cancellation.

pub mod bandwidth;
#[cfg(feature = "testing")]
mod double;
mod embed;
mod engine;
pub mod machine;
mod mlx;
pub mod openai;
pub mod power;
pub mod runner;

#[cfg(feature = "testing")]
pub use double::TestDoubleEngine;
pub use engine::{
    Embeddings, Engine, EngineError, ModelLimits, Result, TextBatch, TextRequest, TokenTick,
    TrialRequest,
};
pub use mlx::{KvQuant, MlxEngine, MlxOptions};
pub use openai::{OpenAiConfig, OpenAiEngine};
