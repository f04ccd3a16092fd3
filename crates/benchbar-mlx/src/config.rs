//! `config.json` of a Qwen3 checkpoint (HF key names).

use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// MLX quantization block of an mlx-community `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct QuantizationConfig {
    /// Elements per scale/bias group.
    pub group_size: i32,
    /// Bits per weight.
    pub bits: i32,
}

/// Qwen3 hyper-parameters, as in HF's `config.json`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Qwen3Config {
    /// Must be "qwen3".
    pub model_type: String,
    /// Model width.
    pub hidden_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads (GQA).
    pub num_key_value_heads: usize,
    /// Per-head width (Qwen3: not hidden/heads in general).
    pub head_dim: usize,
    /// MLP width.
    pub intermediate_size: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f64,
    /// RoPE base.
    #[serde(default = "default_rope_theta")]
    pub rope_theta: f64,
    /// Share the embedding matrix with the output head.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Output classes.
    pub vocab_size: usize,
    /// Longest supported context.
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    /// RoPE scaling (only absent/null or type "default" are supported).
    #[serde(default)]
    pub rope_scaling: Option<serde_json::Value>,
    /// MLX quantization (mlx-community checkpoints).
    #[serde(default)]
    pub quantization: Option<QuantizationConfig>,
    /// EOS id(s).
    #[serde(default)]
    pub eos_token_id: Option<serde_json::Value>,
    /// Weight dtype as declared by HF ("bfloat16", ...).
    #[serde(default)]
    pub torch_dtype: Option<String>,
    /// Whether `quantization` has per-layer entries (mixed-precision mlx-community recipes);
    /// then each layer's bits/group size are taken from its tensor shapes.
    #[serde(skip)]
    pub quantization_per_layer: bool,
}

fn default_rope_theta() -> f64 {
    1_000_000.0
}
fn default_max_pos() -> usize {
    40960
}

impl Qwen3Config {
    /// Read and validate `dir/config.json`.
    pub fn from_dir(dir: &Path) -> Result<Qwen3Config> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::file(&path, "missing (not a model directory?)"),
            _ => Error::io(&path, e),
        })?;
        let raw: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::file(&path, format!("malformed JSON: {e}")))?;
        match raw.get("model_type").and_then(|v| v.as_str()) {
            Some("qwen3") => {}
            Some(other) => {
                return Err(Error::unsupported(
                    &path,
                    format!("model_type \"{other}\" (only \"qwen3\" is supported)"),
                ))
            }
            None => return Err(Error::file(&path, "no \"model_type\" key")),
        }
        // Reject quantization schemes other than MLX affine before typed parsing.
        if let Some(q) = raw.get("quantization") {
            if let Some(mode) = q.get("mode").and_then(|m| m.as_str()) {
                if mode != "affine" {
                    return Err(Error::unsupported(
                        &path,
                        format!("quantization mode \"{mode}\" (only MLX affine)"),
                    ));
                }
            }
        }
        // Name the offending key (serde's message does not).
        for key in [
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "head_dim",
            "intermediate_size",
            "vocab_size",
        ] {
            match raw.get(key) {
                None => return Err(Error::file(&path, format!("missing key \"{key}\""))),
                Some(v) if !v.is_u64() => {
                    return Err(Error::file(
                        &path,
                        format!("\"{key}\" must be a non-negative integer, got {v}"),
                    ))
                }
                _ => {}
            }
        }
        if !raw.get("rms_norm_eps").is_some_and(|v| v.is_number()) {
            return Err(Error::file(
                &path,
                "\"rms_norm_eps\" missing or not a number",
            ));
        }
        let per_layer = raw
            .get("quantization")
            .and_then(|q| q.as_object())
            .is_some_and(|q| q.values().any(|v| v.is_object() || v.is_boolean()));
        let mut cfg: Qwen3Config = serde_json::from_value(raw)
            .map_err(|e| Error::file(&path, format!("invalid Qwen3 config: {e}")))?;
        cfg.quantization_per_layer = per_layer;
        cfg.validate(&path)?;
        Ok(cfg)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |m: String| Err(Error::file(path, m));
        if self.hidden_size == 0
            || self.num_hidden_layers == 0
            || self.head_dim == 0
            || self.vocab_size == 0
        {
            return bad("zero-sized dimension".into());
        }
        if self.num_key_value_heads == 0
            || !self
                .num_attention_heads
                .is_multiple_of(self.num_key_value_heads)
        {
            return bad(format!(
                "num_attention_heads {} is not a multiple of num_key_value_heads {}",
                self.num_attention_heads, self.num_key_value_heads
            ));
        }
        if let Some(rs) = &self.rope_scaling {
            let ty = rs
                .get("rope_type")
                .or_else(|| rs.get("type"))
                .and_then(|t| t.as_str());
            if !rs.is_null() && ty != Some("default") {
                return Err(Error::unsupported(path, format!("rope_scaling {rs}")));
            }
        }
        if let Some(q) = self.quantization {
            if q.bits != 4 && q.bits != 8 {
                return Err(Error::unsupported(
                    path,
                    format!("{}-bit quantization (4 and 8 are supported)", q.bits),
                ));
            }
            if ![32, 64, 128].contains(&q.group_size) {
                return Err(Error::unsupported(
                    path,
                    format!("quantization group_size {}", q.group_size),
                ));
            }
        }
        Ok(())
    }

    /// EOS ids declared in config.json (may be empty).
    pub fn eos_ids(&self) -> Vec<u32> {
        ids_of(self.eos_token_id.as_ref())
    }
}

pub(crate) fn ids_of(v: Option<&serde_json::Value>) -> Vec<u32> {
    match v {
        Some(serde_json::Value::Number(n)) => {
            n.as_u64().map(|x| vec![x as u32]).unwrap_or_default()
        }
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_u64())
            .map(|x| x as u32)
            .collect(),
        _ => Vec::new(),
    }
}
