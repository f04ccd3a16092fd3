//! Text embeddings from a Qwen3 model's final hidden states ([`Qwen3Runtime::embed`]).
//!
//! Texts are embedded in batches of [`EMBED_BATCH`], left-padded; padded positions are masked
//! out of attention and out of the pool. Every vector is L2-normalised (cosine = dot product).

use crate::nn::AttnInputs;
use crate::ops::{self, Array, Dtype, ReduceOp};
use crate::tokenizer::ENDOFTEXT;
use crate::{Qwen3Runtime, Result};

/// Texts per forward pass.
pub const EMBED_BATCH: usize = 16;
/// Longest text embedded, in tokens (longer ones are truncated at the end).
pub const EMBED_MAX_TOKENS: usize = 512;

/// How a text's final hidden states become one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The mean of the final (normed) hidden states over the text's tokens: a cheap stand-in
    /// for a causal LM that is not an embedding model.
    Mean,
    /// The final hidden state of the last token after appending `<|endoftext|>`, as the
    /// Qwen3-Embedding model card says.
    LastToken,
}

/// Vectors of [`Qwen3Runtime::embed`].
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// One unit-length vector per text, in order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens run through the model (pooling token included).
    pub tokens: u64,
}

impl Qwen3Runtime {
    /// Embeds `texts` (plain text, no chat template) with `pooling`; an empty text is the
    /// `<|endoftext|>` token alone.
    pub fn embed(&self, texts: &[String], pooling: Pooling) -> Result<Embedded> {
        let last_token = pooling == Pooling::LastToken;
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0u64;
        for batch in texts.chunks(EMBED_BATCH) {
            let mut ids: Vec<Vec<u32>> = Vec::with_capacity(batch.len());
            for t in batch {
                let mut row = self.encode(t, false)?;
                row.truncate(EMBED_MAX_TOKENS);
                if last_token || row.is_empty() {
                    row.push(ENDOFTEXT);
                }
                tokens += row.len() as u64;
                ids.push(row);
            }
            vectors.extend(self.pool_batch(&ids, last_token)?);
        }
        Ok(Embedded { vectors, tokens })
    }

    /// One forward pass over left-padded `rows`; returns one normalised vector per row.
    fn pool_batch(&self, rows: &[Vec<u32>], last_token: bool) -> Result<Vec<Vec<f32>>> {
        let b = rows.len();
        let l = rows.iter().map(Vec::len).max().unwrap_or(0);
        let pads: Vec<usize> = rows.iter().map(|r| l - r.len()).collect();
        let mut flat = Vec::with_capacity(b * l);
        let mut mask = Vec::with_capacity(b * l);
        for (row, &pad) in rows.iter().zip(&pads) {
            flat.extend(std::iter::repeat_n(ENDOFTEXT as i32, pad));
            flat.extend(row.iter().map(|&t| t as i32));
            mask.extend(std::iter::repeat_n(0.0f32, pad));
            mask.extend(std::iter::repeat_n(1.0f32, row.len()));
        }
        let model = self.model();
        let ids = Array::from_i32(&flat, &[b as i32, l as i32])?;
        let mut cache = model.new_cache();
        let h = model.forward_hidden(&ids, &mut cache, &AttnInputs::new(l, 0, &pads)?)?; // [B, L, H]
        let h = ops::astype(&h, Dtype::F32)?;
        let hidden = h.dim(2);
        let pooled = if last_token {
            // [B, 1, H] -> [B, H]
            let last = ops::slice(&h, &[0, l as i32 - 1, 0], &[b as i32, l as i32, hidden])?;
            ops::reshape(&last, &[b as i32, hidden])?
        } else {
            // sum over valid positions: [B, L, H] * [B, L, 1] -> [B, H]
            let m = Array::from_f32(&mask, &[b as i32, l as i32, 1])?;
            ops::reduce(ReduceOp::Sum, &ops::mul(&h, &m)?, 1, false)?
        };
        let data = pooled.to_f32_vec()?;
        Ok(data
            .chunks(hidden as usize)
            .zip(rows)
            .map(|(v, row)| {
                let n = if last_token { 1.0 } else { row.len() as f32 };
                normalise(v.iter().map(|x| x / n).collect())
            })
            .collect())
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_gives_unit_length_and_keeps_zero() {
        let v = normalise(vec![3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert_eq!(normalise(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
