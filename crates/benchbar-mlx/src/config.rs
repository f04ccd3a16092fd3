//! `config.json` of a Qwen3 checkpoint (HF key names).

pub use crate::quantization::{LayerQuant, QuantizationConfig};

mod hybrid;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// The `model_type`s this crate runs.
pub const MODEL_TYPES: &[&str] = &["qwen3", "qwen3_moe", "qwen3_next", "qwen3_5", "qwen3_5_moe"];

/// The hybrid `model_type`s: Gated DeltaNet (linear attention) layers with a gated
/// full-attention layer every `full_attention_interval` layers.
pub const HYBRID_MODEL_TYPES: &[&str] = &["qwen3_next", "qwen3_5", "qwen3_5_moe"];

/// Qwen3 hyper-parameters, as in HF's `config.json` (dense `qwen3`, mixture-of-experts
/// `qwen3_moe`, and the hybrids `qwen3_next`, `qwen3_5`, `qwen3_5_moe`, whose text part is
/// flattened into these keys at load: see `config/hybrid.rs`).
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
    /// RoPE scaling (`default`, `linear` or `yarn`; see [`crate::nn::Rope`]).
    #[serde(default)]
    pub rope_scaling: Option<serde_json::Value>,
    /// MLX quantization (mlx-community checkpoints).
    #[serde(skip)]
    pub quantization: Option<QuantizationConfig>,
    /// Experts per mixture-of-experts layer (`qwen3_moe`; 0: every layer dense).
    #[serde(default)]
    pub num_experts: usize,
    /// Experts each token is routed to.
    #[serde(default)]
    pub num_experts_per_tok: usize,
    /// Hidden width of one expert's MLP.
    #[serde(default)]
    pub moe_intermediate_size: usize,
    /// Every this many layers is a mixture-of-experts layer (counted from 1).
    #[serde(default = "default_sparse_step")]
    pub decoder_sparse_step: usize,
    /// Layers that keep a dense MLP.
    #[serde(default)]
    pub mlp_only_layers: Vec<usize>,
    /// Renormalise the chosen experts' router probabilities to sum to 1.
    #[serde(default)]
    pub norm_topk_prob: bool,
    /// EOS id(s).
    #[serde(default)]
    pub eos_token_id: Option<serde_json::Value>,
    /// Weight dtype as declared by HF ("bfloat16", ...).
    #[serde(default)]
    pub torch_dtype: Option<String>,
    /// Fraction of each head rotated by RoPE (hybrids: 0.25; Qwen3: the whole head).
    #[serde(default = "default_partial_rotary")]
    pub partial_rotary_factor: f64,
    /// Hybrids: every this many layers is a full-attention layer (counted from 1), the others
    /// Gated DeltaNet layers.
    #[serde(default)]
    pub full_attention_interval: usize,
    /// Gated DeltaNet value heads.
    #[serde(default)]
    pub linear_num_value_heads: usize,
    /// Gated DeltaNet key (and query) heads.
    #[serde(default)]
    pub linear_num_key_heads: usize,
    /// Gated DeltaNet key head width.
    #[serde(default)]
    pub linear_key_head_dim: usize,
    /// Gated DeltaNet value head width.
    #[serde(default)]
    pub linear_value_head_dim: usize,
    /// Gated DeltaNet causal convolution width.
    #[serde(default)]
    pub linear_conv_kernel_dim: usize,
    /// Hybrid MoE: the always-on shared expert's hidden width.
    #[serde(default)]
    pub shared_expert_intermediate_size: usize,
}

fn default_partial_rotary() -> f64 {
    1.0
}

fn default_sparse_step() -> usize {
    1
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
        let raw = hybrid::flatten(raw, &path)?;
        match raw.get("model_type").and_then(|v| v.as_str()) {
            Some(t) if MODEL_TYPES.contains(&t) => {}
            Some(other) => {
                return Err(Error::unsupported(
                    &path,
                    format!(
                        "model_type \"{other}\" (supported: {})",
                        MODEL_TYPES.join(", ")
                    ),
                ))
            }
            None => return Err(Error::file(&path, "no \"model_type\" key")),
        }
        let quantization = QuantizationConfig::parse(&raw, &path)?;
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
        let mut cfg: Qwen3Config = serde_json::from_value(raw)
            .map_err(|e| Error::file(&path, format!("invalid Qwen3 config: {e}")))?;
        cfg.quantization = quantization;
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
        if self.model_type == "qwen3_moe" || (self.is_hybrid() && self.num_experts > 0) {
            if self.num_experts == 0 || self.moe_intermediate_size == 0 {
                return bad(format!(
                    "{}: \"num_experts\" and \"moe_intermediate_size\" must be positive",
                    self.model_type
                ));
            }
            if !(1..=self.num_experts).contains(&self.num_experts_per_tok) {
                return bad(format!(
                    "\"num_experts_per_tok\" {} must be 1 to num_experts {}",
                    self.num_experts_per_tok, self.num_experts
                ));
            }
            if self.decoder_sparse_step == 0 {
                return bad("\"decoder_sparse_step\" must be positive".into());
            }
        }
        if self.is_hybrid() {
            hybrid::validate(self, path)?;
        }
        if let Some(rs) = self.rope_scaling_block() {
            validate_rope_scaling(rs, self.rotary_dims(), path)?;
        }
        Ok(())
    }

    /// `rope_scaling` where it changes RoPE (absent, null and `default` do not).
    pub fn rope_scaling_block(&self) -> Option<&serde_json::Value> {
        self.rope_scaling
            .as_ref()
            .filter(|rs| !rs.is_null() && rope_scaling_type(rs) != "default")
    }

    /// The longest sequence (prompt and generated tokens) the model takes: with YaRN, its factor
    /// times the original context it stretches (`original_max_position_embeddings`, where
    /// given), else `max_position_embeddings`.
    pub fn context_tokens(&self) -> usize {
        let stretched = self.rope_scaling_block().and_then(|rs| {
            let factor = rs.get("factor")?.as_f64()?;
            match rope_scaling_type(rs) {
                "yarn" | "deepseek_yarn" | "telechat3-yarn" => {
                    let original = rs.get("original_max_position_embeddings")?.as_f64()?;
                    Some((factor * original) as usize)
                }
                // dynamic NTK grows the base past the trained context: up to factor times it
                "dynamic" => Some((factor * self.max_position_embeddings as f64) as usize),
                _ => None,
            }
        });
        match stretched {
            Some(n) => n.max(self.max_position_embeddings),
            None => self.max_position_embeddings,
        }
    }

    /// What config.json says of the quantization of the projection whose weights are named
    /// `{name}.weight` (without the `model.` prefix): mlx_lm's module path is `model.{name}`,
    /// or `lm_head`. No quantization block: whatever the tensors say.
    pub fn layer_quant(&self, name: &str) -> LayerQuant {
        let Some(q) = &self.quantization else {
            return LayerQuant::Infer;
        };
        q.layer(&self.module_path(name))
    }

    /// mlx_lm's module path of the weights named `{name}.*` (without the `model.` prefix):
    /// `model.{name}` or `lm_head`, under `language_model.` for `qwen3_5` and `qwen3_5_moe`
    /// (whose mlx_lm class wraps the text model).
    pub fn module_path(&self, name: &str) -> String {
        let path = if name == "lm_head" {
            name.to_string()
        } else {
            format!("model.{name}")
        };
        if self.model_type.starts_with("qwen3_5") {
            format!("language_model.{path}")
        } else {
            path
        }
    }

    /// Whether this is a hybrid (Gated DeltaNet + gated attention) model.
    pub fn is_hybrid(&self) -> bool {
        HYBRID_MODEL_TYPES.contains(&self.model_type.as_str())
    }

    /// Whether layer `layer` (from 0) is a Gated DeltaNet layer (hybrids; as mlx_lm decides).
    pub fn is_linear_layer(&self, layer: usize) -> bool {
        self.is_hybrid() && !(layer + 1).is_multiple_of(self.full_attention_interval)
    }

    /// Dimensions RoPE rotates at the start of each head (`head_dim` times
    /// `partial_rotary_factor`, as mlx_lm's `int()`).
    pub fn rotary_dims(&self) -> usize {
        (self.head_dim as f64 * self.partial_rotary_factor) as usize
    }

    /// Whether layer `layer` (from 0) is a mixture-of-experts layer (as mlx_lm decides: every
    /// layer of a `qwen3_5` with experts; by `mlp_only_layers` and `decoder_sparse_step` else).
    pub fn is_moe_layer(&self, layer: usize) -> bool {
        if self.model_type.starts_with("qwen3_5") {
            return self.num_experts > 0;
        }
        self.num_experts > 0
            && !self.mlp_only_layers.contains(&layer)
            && (layer + 1).is_multiple_of(self.decoder_sparse_step)
    }

    /// Bytes of KV cache one token of one sequence takes, at `elem_bytes` an element: keys and
    /// values of every attention layer (a hybrid's Gated DeltaNet layers keep none).
    pub fn kv_bytes_per_token(&self, elem_bytes: u64) -> u64 {
        let attention = (0..self.num_hidden_layers)
            .filter(|&l| !self.is_linear_layer(l))
            .count() as u64;
        2 * attention * (self.num_key_value_heads * self.head_dim) as u64 * elem_bytes
    }

    /// Bytes of fixed-size state one sequence keeps whatever its length (a hybrid's Gated
    /// DeltaNet layers: the convolution's last inputs at `elem_bytes` an element and the f32
    /// recurrent state); 0 for the others.
    pub fn state_bytes_per_sequence(&self, elem_bytes: u64) -> u64 {
        let linear = (0..self.num_hidden_layers)
            .filter(|&l| self.is_linear_layer(l))
            .count() as u64;
        let (hk, hv) = (self.linear_num_key_heads, self.linear_num_value_heads);
        let (dk, dv) = (self.linear_key_head_dim, self.linear_value_head_dim);
        let conv = (self.linear_conv_kernel_dim.saturating_sub(1) * (2 * hk * dk + hv * dv)) as u64;
        linear * (conv * elem_bytes + (hv * dv * dk) as u64 * 4)
    }

    /// EOS ids declared in config.json (may be empty).
    pub fn eos_ids(&self) -> Vec<u32> {
        ids_of(self.eos_token_id.as_ref())
    }
}

/// `type` (or `rope_type`) of a `rope_scaling` block, as mlx_lm reads it.
pub(crate) fn rope_scaling_type(scaling: &serde_json::Value) -> &str {
    scaling
        .get("type")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .or_else(|| scaling.get("rope_type").and_then(|t| t.as_str()))
        .unwrap_or("default")
}

/// The RoPE types mlx_lm's `initialize_rope` takes.
pub const ROPE_TYPES: &[&str] = &[
    "default",
    "linear",
    "yarn",
    "deepseek_yarn",
    "telechat3-yarn",
    "llama3",
    "longrope",
    "dynamic",
    "proportional",
    "mrope",
];

/// The keys each type needs, as mlx_lm reads them (a missing one is one error naming it).
fn validate_rope_scaling(rs: &serde_json::Value, rotary_dims: usize, path: &Path) -> Result<()> {
    let bad = |m: String| Err(Error::file(path, m));
    let kind = rope_scaling_type(rs);
    if !ROPE_TYPES.contains(&kind) {
        return Err(Error::unsupported(
            path,
            format!(
                "rope_scaling type \"{kind}\" (supported: {})",
                ROPE_TYPES.join(", ")
            ),
        ));
    }
    let positive = |key: &str| {
        rs.get(key)
            .and_then(|f| f.as_f64())
            .is_some_and(|f| f > 0.0)
    };
    let needs_factor = [
        "linear",
        "yarn",
        "deepseek_yarn",
        "telechat3-yarn",
        "llama3",
        "dynamic",
    ];
    if needs_factor.contains(&kind) && !positive("factor") {
        return bad(format!(
            "\"rope_scaling.factor\" must be a positive number: {rs}"
        ));
    }
    if kind == "longrope" {
        for key in [
            "original_max_position_embeddings",
            "short_factor",
            "long_factor",
        ] {
            if rs.get(key).is_none() {
                return bad(format!("rope_scaling (longrope): missing key \"{key}\""));
            }
        }
        let n = rs["long_factor"].as_array().map(Vec::len);
        if n != Some(rotary_dims / 2) {
            return bad(format!(
                "\"rope_scaling.long_factor\" must list {} numbers (one per rotated pair)",
                rotary_dims / 2
            ));
        }
    }
    Ok(())
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
