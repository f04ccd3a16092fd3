//! The MLX quantization block of a checkpoint's `config.json`: the default of every quantized
//! layer and the per-module entries of mixed recipes (read by [`crate::config::Qwen3Config`]).

use crate::types::{QuantMode, QuantParams};
use crate::{Error, Result};
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
    pub(crate) fn parse(
        raw: &serde_json::Value,
        path: &Path,
    ) -> Result<Option<QuantizationConfig>> {
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
