//! `OpenAiEngine`: any OpenAI-compatible HTTP server (mlx_lm.server, LM Studio, Ollama,
//! llama-server, vLLM) over `/v1/chat/completions` or `/v1/completions` with `stream: true`
//! and `stream_options.include_usage`.
//!
//! Tokens are counted by the server's `usage` or by a given `tokenizer.json` — never words or
//! chunks; with neither the run is refused. Timestamps are taken by the client when a chunk's
//! bytes arrive, so TTFT includes the network and HTTP overhead (it is client-side).
//!
//! Token timestamps: every token is given the arrival time of the chunk that carried it. A
//! chunk's token count is 1 when the number of text chunks equals the server's
//! `completion_tokens` (mlx_lm.server streams one chunk per token), else the tokenizer's count
//! of the chunk text when a tokenizer is given (at least 1), else 1. The total is the server's `completion_tokens` when
//! reported; if the chunk counts add up to less, the remaining tokens are given the last text
//! chunk's arrival time (they were held back by the server's detokenizer and arrived no later
//! than that); if more, the excess is dropped from the end. Timestamps are never interpolated.
//! Such trials are counted and reported in [`Engine::notes`](crate::Engine::notes).

pub mod client;
mod config;
mod engine;
pub mod sse;
mod text;
mod tokens;

pub use config::{Endpoint, OpenAiConfig};
pub use engine::OpenAiEngine;
pub use tokens::{assign_token_offsets, TokenAssignment};
