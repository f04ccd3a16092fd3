//! Token sampling on device: greedy, or temperature with top-k / top-p, seeded.

use crate::ops::{self, Array, BinaryOp, Dtype, ReduceOp};
use crate::{Error, Result};

/// How to pick the next token.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sampling {
    /// 0 = greedy (argmax); otherwise logits are divided by it before sampling.
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens with probability mass >= top_p (1 = off).
    pub top_p: f32,
    /// Keep only the k most likely tokens (0 = off).
    pub top_k: usize,
    /// PRNG seed (sampling is deterministic for a given seed).
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::greedy()
    }
}

impl Sampling {
    /// Argmax decoding.
    pub fn greedy() -> Sampling {
        Sampling {
            temperature: 0.0,
            top_p: 1.0,
            top_k: 0,
            seed: 0,
        }
    }
    /// Whether this is argmax decoding.
    pub fn is_greedy(&self) -> bool {
        self.temperature <= 0.0
    }
    fn validate(&self) -> Result<()> {
        let top_p_ok = self.top_p > 0.0 && self.top_p <= 1.0;
        if !self.temperature.is_finite() || !top_p_ok {
            return Err(Error::Invalid(format!("bad sampling parameters {self:?}")));
        }
        Ok(())
    }
}

/// Stateful sampler (holds the PRNG key and the EOS suppression mask).
pub struct Sampler {
    params: Sampling,
    key: Option<Array>,
    eos_mask: Option<Array>,
}

impl Sampler {
    /// New sampler; with `suppress` non-empty, those token ids get probability 0.
    pub fn new(params: Sampling, vocab: usize, suppress: &[u32]) -> Result<Sampler> {
        params.validate()?;
        let key = if params.is_greedy() {
            None
        } else {
            Some(ops::random_key(params.seed)?)
        };
        let eos_mask = if suppress.is_empty() {
            None
        } else {
            let mut m = vec![0f32; vocab];
            for &id in suppress {
                if let Some(x) = m.get_mut(id as usize) {
                    *x = 1.0;
                }
            }
            let m = Array::from_f32(&m, &[vocab as i32])?;
            Some(ops::astype(&m, Dtype::Bool)?)
        };
        Ok(Sampler {
            params,
            key,
            eos_mask,
        })
    }

    /// `logits [B, V] -> tokens [B]` (uint32/int32, lazy).
    pub fn sample(&mut self, logits: &Array) -> Result<Array> {
        // As mlx_lm's generate_step: processors (EOS mask) on the logits, then log-probabilities
        // in the model's dtype (this rounding decides bf16 argmax ties), then the sampler.
        let dt = logits.dtype().unwrap_or(Dtype::F32);
        let mut logits = logits.clone();
        if let Some(m) = &self.eos_mask {
            let neg = Array::scalar(f32::NEG_INFINITY, dt)?;
            logits = ops::where_(m, &neg, &logits)?;
        }
        let lse = ops::reduce(ReduceOp::LogSumExp, &logits, -1, true)?;
        let logprobs = ops::sub(&logits, &lse)?;
        if self.params.is_greedy() {
            return ops::argmax(&logprobs, -1);
        }
        let p = self.params;
        let mut logits = ops::astype(&logprobs, Dtype::F32)?;
        logits = ops::mul(&logits, &Array::scalar(1.0 / p.temperature, Dtype::F32)?)?;
        let v = logits.dim(-1);
        let neg = Array::scalar(f32::NEG_INFINITY, Dtype::F32)?;
        if p.top_k > 0 && (p.top_k as i32) < v {
            // threshold = k-th largest logit
            let sorted = ops::sort(&logits, -1)?;
            let b = sorted.dim(0);
            let kth = v - p.top_k as i32;
            let thr = ops::slice(&sorted, &[0, kth], &[b, kth + 1])?; // [B, 1]
            let drop = ops::binary(BinaryOp::Less, &logits, &thr)?;
            logits = ops::where_(&drop, &neg, &logits)?;
        }
        if p.top_p < 1.0 {
            let probs = ops::softmax(&logits, -1, true)?;
            let order = ops::argsort(&logits, -1)?; // ascending
            let sorted_p = ops::take_along_axis(&probs, &order, -1)?;
            let sorted_l = ops::take_along_axis(&logits, &order, -1)?;
            let cum = ops::cumsum(&sorted_p, -1, false, true)?;
            let keep = ops::binary(
                BinaryOp::Greater,
                &cum,
                &Array::scalar(1.0 - p.top_p, Dtype::F32)?,
            )?;
            let inf = Array::scalar(f32::INFINITY, Dtype::F32)?;
            let thr = ops::reduce(
                ReduceOp::Min,
                &ops::where_(&keep, &sorted_l, &inf)?,
                -1,
                true,
            )?;
            let drop = ops::binary(BinaryOp::Less, &logits, &thr)?;
            logits = ops::where_(&drop, &neg, &logits)?;
        }
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::Invalid("sampler has no PRNG key".into()))?;
        let (next, sub) = ops::random_split(&key)?;
        self.key = Some(next);
        ops::categorical(&logits, -1, &sub)
    }
}
