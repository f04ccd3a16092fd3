//! `config.json` of a Qwen3 checkpoint (HF key names).

use crate::types::{QuantMode, QuantParams};
use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The MLX `quantization` block of an mlx-community `config.json` (or the `quantization_config`
/// of an HF mxfp4/mxfp8 checkpoint, read as mlx_lm reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantizationConfig {
    /// The default of every quantized layer.
    pub default: QuantParams,
    /// Per-module entries (mixed recipes, DWQ, an 8-bit MoE router), keyed by the module's path
    /// as mlx_lm names it (`model.layers.0.mlp.down_proj`, `lm_head`): its parameters, or `None`
    /// for a module left unquantized.
    pub modules: BTreeMap<String, Option<QuantParams>>,
}

/// What a checkpoint's config says of one module's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerQuant {
    /// Quantized with these parameters.
    Quantized(QuantParams),
    /// Not quantized.
    Float,
    /// Whatever the tensors say (mlx_lm infers each layer it has no entry for).
    Infer,
}

impl QuantizationConfig {
    /// What the config says of the module at `path` (mlx_lm's name): its own entry where it has
    /// one; else, in a config without per-module entries, the default; else inferred from the
    /// tensors (as mlx_lm's `infer_quant_config`).
    pub fn layer(&self, path: &str) -> LayerQuant {
        match self.modules.get(path) {
            Some(Some(q)) => LayerQuant::Quantized(*q),
            Some(None) => LayerQuant::Float,
            None if self.modules.is_empty() => LayerQuant::Quantized(self.default),
            None => LayerQuant::Infer,
        }
    }

    /// The block of `raw` (`quantization`, else an HF `quantization_config` of an MX mode);
    /// errors name the key.
    fn parse(raw: &serde_json::Value, path: &Path) -> Result<Option<QuantizationConfig>> {
        let block = match (raw.get("quantization"), raw.get("quantization_config")) {
            (Some(q), _) if !q.is_null() => q,
            (_, Some(qc)) if !qc.is_null() => {
                let method = qc
                    .get("quant_method")
                    .and_then(|m| m.as_str())
                    .unwrap_or("?");
                let default = match method {
                    "mxfp4" => QuantParams {
                        group_size: 32,
                        bits: 4,
                        mode: QuantMode::Mxfp4,
                    },
                    "mxfp8" => QuantParams {
                        group_size: 32,
                        bits: 8,
                        mode: QuantMode::Mxfp8,
                    },
                    other => {
                        return Err(Error::unsupported(
                            path,
                            format!(
                                "quantization_config.quant_method \"{other}\" (MLX quantization: \
                                 a \"quantization\" block, or mxfp4/mxfp8)"
                            ),
                        ))
                    }
                };
                return Ok(Some(QuantizationConfig {
                    default,
                    modules: BTreeMap::new(),
                }));
            }
            _ => return Ok(None),
        };
        let Some(obj) = block.as_object() else {
            return Err(Error::file(path, "\"quantization\" must be an object"));
        };
        let default = params(block, "quantization", path)?;
        let mut modules = BTreeMap::new();
        for (key, v) in obj {
            match v {
                serde_json::Value::Object(_) => {
                    let q = params(v, &format!("quantization.{key}"), path)?;
                    modules.insert(key.clone(), Some(q));
                }
                serde_json::Value::Bool(false) => {
                    modules.insert(key.clone(), None);
                }
                serde_json::Value::Bool(true) => {
                    modules.insert(key.clone(), Some(default));
                }
                _ => {}
            }
        }
        Ok(Some(QuantizationConfig { default, modules }))
    }
}

/// `group_size`, `bits` and `mode` of one quantization entry (`key` names it in errors).
fn params(v: &serde_json::Value, key: &str, path: &Path) -> Result<QuantParams> {
    let int = |name: &str| -> Result<i32> {
        v.get(name)
            .and_then(|x| x.as_i64())
            .and_then(|x| i32::try_from(x).ok())
            .ok_or_else(|| Error::file(path, format!("\"{key}.{name}\" missing or not an integer")))
    };
    let mode = match v.get("mode") {
        None | Some(serde_json::Value::Null) => QuantMode::Affine,
        Some(m) => m.as_str().and_then(QuantMode::parse).ok_or_else(|| {
            Error::unsupported(
                path,
                format!("\"{key}.mode\" {m} (MLX has affine, mxfp4, nvfp4, mxfp8)"),
            )
        })?,
    };
    let q = QuantParams {
        group_size: int("group_size")?,
        bits: int("bits")?,
        mode,
    };
    match q.unsupported() {
        Some(why) => Err(Error::unsupported(path, format!("\"{key}\": {why}"))),
        None => Ok(q),
    }
}

/// The `model_type`s this crate runs.
pub const MODEL_TYPES: &[&str] = &["qwen3", "qwen3_moe"];

/// Qwen3 hyper-parameters, as in HF's `config.json` (dense `qwen3` and mixture-of-experts
/// `qwen3_moe`).
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
        if self.model_type == "qwen3_moe" {
            if self.num_experts == 0 || self.moe_intermediate_size == 0 {
                return bad(
                    "qwen3_moe: \"num_experts\" and \"moe_intermediate_size\" must be positive"
                        .into(),
                );
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
        if let Some(rs) = &self.rope_scaling {
            let ty = rs
                .get("rope_type")
                .or_else(|| rs.get("type"))
                .and_then(|t| t.as_str());
            if !rs.is_null() && ty != Some("default") {
                return Err(Error::unsupported(path, format!("rope_scaling {rs}")));
            }
        }
        Ok(())
    }

    /// What config.json says of the quantization of the projection whose weights are named
    /// `{name}.weight` (without the `model.` prefix): mlx_lm's module path is `model.{name}`,
    /// or `lm_head`. No quantization block: whatever the tensors say.
    pub fn layer_quant(&self, name: &str) -> LayerQuant {
        let Some(q) = &self.quantization else {
            return LayerQuant::Infer;
        };
        if name == "lm_head" {
            q.layer(name)
        } else {
            q.layer(&format!("model.{name}"))
        }
    }

    /// Whether layer `layer` (from 0) is a mixture-of-experts layer (as mlx_lm's Qwen3-MoE decides).
    pub fn is_moe_layer(&self, layer: usize) -> bool {
        self.num_experts > 0
            && !self.mlp_only_layers.contains(&layer)
            && (layer + 1).is_multiple_of(self.decoder_sparse_step)
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
