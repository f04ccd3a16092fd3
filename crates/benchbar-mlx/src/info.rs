//! [`ModelInfo`]: what a model directory holds, from its JSON and safetensors headers only.

use crate::config::{LayerQuant, Qwen3Config};
use crate::weights;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What a model directory holds (cheap to compute: reads only JSON and safetensors headers).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ModelInfo {
    /// "org/name" for HF-cache models, else the directory name.
    pub id: String,
    /// The checkpoint directory.
    pub path: PathBuf,
    /// "4bit", "8bit", or the float dtype ("f32", "bf16", "f16").
    pub quantization: Option<String>,
    /// Logical parameter count (quantized weights counted unpacked; scales/biases excluded).
    pub param_count: u64,
    /// Bytes of weight files on disk.
    pub size_bytes: u64,
    /// Bytes one decode step reads, for the roofline: the weight files, less (for a mixture of
    /// experts) the share of the routed expert tensors a token does not route to (`1 − k / E`;
    /// a shared expert is always read) and less the tensors the text model never reads (a
    /// vision tower, a multi-token-prediction head).
    pub decode_read_bytes: u64,
}

impl ModelInfo {
    /// Describe `dir` (must hold a Qwen3 config.json and weights).
    pub fn from_dir(dir: &Path) -> Result<ModelInfo> {
        let cfg = Qwen3Config::from_dir(dir)?;
        let files = weights::weight_files(dir)?;
        let mut params = 0u64;
        let mut size = 0u64;
        let mut expert_bytes = 0u64;
        let mut unused_bytes = 0u64;
        let mut float_dtype: Option<String> = None;
        let mut quant_bits: Option<i32> = cfg.quantization.as_ref().map(|q| q.default.bits);
        for f in &files {
            size += std::fs::metadata(f).map_err(|e| Error::io(f, e))?.len();
            let header = weights::read_header(f)?;
            for (name, t) in &header {
                let n: u64 = t.shape.iter().product::<usize>() as u64;
                if weights::is_unused(name) {
                    // a vision tower or multi-token-prediction head: on disk, never read
                    unused_bytes += n * elem_bytes(&t.dtype);
                    continue;
                }
                if name.contains(".mlp.switch_mlp.") || name.contains(".mlp.experts.") {
                    expert_bytes += n * elem_bytes(&t.dtype);
                }
                if name.ends_with(".scales") || name.ends_with(".biases") {
                    continue;
                }
                if t.dtype == "U32" {
                    // packed MLX weight: 32 / bits values per uint32 (bits from the config's
                    // entry for the module or its default, else 4)
                    let module = name.trim_end_matches(".weight");
                    let bits = match cfg.quantization.as_ref().map(|q| q.layer(module)) {
                        Some(LayerQuant::Quantized(p)) => p.bits,
                        _ => *quant_bits.get_or_insert(4),
                    } as u64;
                    params += n * 32 / bits;
                } else {
                    params += n;
                    if float_dtype.is_none() {
                        float_dtype = Some(
                            match t.dtype.as_str() {
                                "F32" => "f32",
                                "BF16" => "bf16",
                                "F16" => "f16",
                                other => other,
                            }
                            .to_string(),
                        );
                    }
                }
            }
        }
        let quantization = match (&cfg.quantization, quant_bits) {
            (Some(q), _) => Some(quant_label(q)),
            (None, Some(b)) => Some(format!("{b}bit")),
            (None, None) => float_dtype,
        };
        let idle_share = match cfg.num_experts {
            0 => 0.0,
            e => 1.0 - cfg.num_experts_per_tok as f64 / e as f64,
        };
        Ok(ModelInfo {
            id: model_id(dir),
            path: dir.to_path_buf(),
            quantization,
            param_count: params,
            size_bytes: size,
            decode_read_bytes: size
                .saturating_sub(unused_bytes)
                .saturating_sub((expert_bytes as f64 * idle_share) as u64),
        })
    }
}

/// Bytes per element of a safetensors dtype.
fn elem_bytes(dtype: &str) -> u64 {
    match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "BF16" | "F16" => 2,
        _ => 1,
    }
}

/// "org/name" for `.../models--org--name/snapshots/<hash>`, else the directory name.
pub(crate) fn model_id(dir: &Path) -> String {
    let comps: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if comps.len() >= 3 && comps[comps.len() - 2] == "snapshots" {
        if let Some(rest) = comps[comps.len() - 3].strip_prefix("models--") {
            return rest.replacen("--", "/", 1);
        }
    }
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// A mixture-of-experts router or shared-expert gate (mlx_lm's converter keeps them at 8 bits).
fn is_moe_gate(path: &str) -> bool {
    path.ends_with(".mlp.gate") || path.ends_with(".shared_expert_gate")
}

/// The quantization as checkpoints name it: `4bit` (affine), `mxfp4`, and `-mixed` where
/// modules differ from the default (mixed recipes, DWQ); the 8-bit routers of mixture-of-experts
/// checkpoints (`….mlp.gate`) do not count, as mlx-community's names do not count them.
fn quant_label(q: &crate::config::QuantizationConfig) -> String {
    use crate::types::QuantMode;
    let base = match q.default.mode {
        QuantMode::Affine => format!("{}bit", q.default.bits),
        other => other.name().to_string(),
    };
    let differs = q
        .modules
        .iter()
        .any(|(path, m)| !is_moe_gate(path) && *m != Some(q.default));
    if differs {
        format!("{base}-mixed")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_paths() {
        let p = Path::new("/c/hub/models--mlx-community--Qwen3-0.6B-4bit/snapshots/abc");
        assert_eq!(model_id(p), "mlx-community/Qwen3-0.6B-4bit");
        assert_eq!(model_id(Path::new("/x/models/tiny-f32")), "tiny-f32");
    }
}
