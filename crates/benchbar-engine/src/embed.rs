//! Embeddings from a Qwen3 model on MLX ([`benchbar_mlx::Qwen3Runtime::embed`]), with the
//! pooling chosen by the checkpoint's name:
//!
//! * A Qwen3-Embedding checkpoint (its id or path names "embedding") is pooled as its model
//!   card says: the final hidden state of the last token, after appending `<|endoftext|>`.
//! * Any other Qwen3 checkpoint: the mean of the final (normed) hidden states over the text's
//!   tokens. It is a cheap stand-in, not a trained embedding model: speed is what it measures.

use benchbar_mlx::embed::Pooling;
use benchbar_mlx::Qwen3Runtime;

use crate::engine::{Embeddings, EngineError, Result};

/// Embeds `texts` with `runtime`; `model_id` decides the pooling (see the module docs).
pub fn embed(runtime: &Qwen3Runtime, model_id: &str, texts: &[String]) -> Result<Embeddings> {
    let last_token = is_embedding_model(model_id, &runtime.info().path.display().to_string());
    let (pooling, method) = if last_token {
        (
            Pooling::LastToken,
            "last-token hidden state (Qwen3-Embedding)",
        )
    } else {
        (
            Pooling::Mean,
            "mean-pooled last hidden state (Qwen3 LM, not an embedding model)",
        )
    };
    let out = runtime
        .embed(texts, pooling)
        .map_err(|e| EngineError::Request(format!("embedding: {e}")))?;
    Ok(Embeddings {
        vectors: out.vectors,
        tokens: out.tokens,
        method: method.into(),
    })
}

/// Whether the checkpoint is a Qwen3-Embedding model.
fn is_embedding_model(model_id: &str, path: &str) -> bool {
    let has = |s: &str| s.to_ascii_lowercase().contains("embedding");
    has(model_id) || has(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_checkpoints_are_recognised_by_name() {
        assert!(is_embedding_model("Qwen/Qwen3-Embedding-0.6B", ""));
        assert!(is_embedding_model("x", "/m/qwen3-embedding-4b"));
        assert!(!is_embedding_model("builtin:tiny", "/fixtures/tiny-f32"));
    }
}
