//! The hybrids' checkpoints as HF ships them, converted at load to the layout the layers read
//! (mlx-community's, which mlx_lm's `sanitize` produces): the convolution weights
//! `[C, 1, K] -> [C, K, 1]`, the RMSNorm weights stored as offsets from 1 made weights (`+ 1`),
//! and `qwen3_5_moe`'s fused `experts.gate_up_proj` split into the stacked gate and up
//! projections (per-expert tensors, `qwen3_next`, are stacked by [`crate::nn::SwitchLinear`]).
//! An mlx-community checkpoint is used as it is.

use crate::config::Qwen3Config;
use crate::ops::{self, Array, Dtype};
use crate::weights::Weights;
use crate::Result;
use std::borrow::Cow;

/// Norm weights HF stores as `w - 1` (canonical names: the final norm is `norm.weight`; the
/// Gated DeltaNet's own gated norm, `linear_attn.norm.weight`, is stored as is).
fn is_offset_norm(name: &str) -> bool {
    name == "norm.weight"
        || [
            ".input_layernorm.weight",
            ".post_attention_layernorm.weight",
            ".q_norm.weight",
            ".k_norm.weight",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// `w` in the layout the layers read (borrowed when it is that already).
pub(crate) fn convert_checkpoint<'a>(
    cfg: &Qwen3Config,
    w: &'a Weights,
) -> Result<Cow<'a, Weights>> {
    if !cfg.is_hybrid() {
        return Ok(Cow::Borrowed(w));
    }
    let hf_conv: Vec<String> = w
        .names()
        .filter(|n| n.ends_with("conv1d.weight"))
        .filter(|n| w.get(n, None).is_ok_and(|a| a.dim(-1) != 1))
        .map(str::to_string)
        .collect();
    let fused: Vec<usize> = (0..cfg.num_hidden_layers)
        .filter(|l| w.contains(&format!("layers.{l}.mlp.experts.gate_up_proj")))
        .collect();
    // mlx_lm's conditions: qwen3_next converts a checkpoint with per-expert tensors;
    // qwen3_5 one whose convolution weights are HF-shaped.
    let hf = if cfg.model_type == "qwen3_next" {
        w.names()
            .any(|n| n.ends_with(".mlp.experts.0.up_proj.weight"))
    } else {
        !hf_conv.is_empty()
    };
    if !hf && fused.is_empty() {
        return Ok(Cow::Borrowed(w));
    }
    let mut w = w.clone();
    for l in fused {
        let p = format!("layers.{l}.mlp");
        if let Some((gate_up, file)) = w.remove(&format!("{p}.experts.gate_up_proj")) {
            let s = gate_up.shape();
            let (e, mid, h) = (s[0], s[1] / 2, s[2]);
            let gate = ops::slice(&gate_up, &[0, 0, 0], &[e, mid, h])?;
            let up = ops::slice(&gate_up, &[0, mid, 0], &[e, 2 * mid, h])?;
            w.insert(
                format!("{p}.switch_mlp.gate_proj.weight"),
                gate,
                file.clone(),
            );
            w.insert(format!("{p}.switch_mlp.up_proj.weight"), up, file);
        }
        if let Some((down, file)) = w.remove(&format!("{p}.experts.down_proj")) {
            w.insert(format!("{p}.switch_mlp.down_proj.weight"), down, file);
        }
    }
    if hf {
        for name in &hf_conv {
            w.update(name, |a| ops::transpose(a, &[0, 2, 1]))?;
        }
        let norms: Vec<String> = w
            .names()
            .filter(|n| is_offset_norm(n))
            .map(str::to_string)
            .collect();
        for name in norms {
            w.update(&name, |a| {
                if a.ndim() != 1 {
                    return Ok(a.clone());
                }
                let one = Array::scalar(1.0, a.dtype().unwrap_or(Dtype::F32))?;
                ops::add(a, &one)
            })?;
        }
    }
    Ok(Cow::Owned(w))
}

#[cfg(test)]
mod tests {
    use super::is_offset_norm;

    #[test]
    fn only_the_offset_norms_are_offset() {
        for name in [
            "norm.weight",
            "layers.0.input_layernorm.weight",
            "layers.3.post_attention_layernorm.weight",
            "layers.3.self_attn.q_norm.weight",
            "layers.3.self_attn.k_norm.weight",
        ] {
            assert!(is_offset_norm(name), "{name}");
        }
        for name in [
            "layers.0.linear_attn.norm.weight",
            "layers.0.linear_attn.conv1d.weight",
            "embed_tokens.weight",
        ] {
            assert!(!is_offset_norm(name), "{name}");
        }
    }
}
