//! Model architectures, one module each, written on [`crate::ops`] and the building blocks of
//! [`crate::nn`] (candle-style: `new(cfg, weights)` + `forward`; field names are the
//! checkpoint's names).

mod hybrid;
mod qwen3;

pub use qwen3::{DecoderLayer, Mixer, Qwen3};
