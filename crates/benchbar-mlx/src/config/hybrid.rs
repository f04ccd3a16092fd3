//! The hybrid family's `config.json` (`qwen3_next`, `qwen3_5`, `qwen3_5_moe`) as
//! [`Qwen3Config`]'s flat keys, with the defaults of mlx_lm's model arguments:
//!
//! * `qwen3_5` / `qwen3_5_moe` nest the text model in `text_config` (a vision-language
//!   checkpoint; BenchBar runs the text part, as mlx_lm does); RoPE comes from
//!   `rope_parameters` (`rope_theta`, `partial_rotary_factor`, its type; default: 100,000, a
//!   quarter of each head, plain), `head_dim` defaults to `hidden_size / num_attention_heads`
//!   and `norm_topk_prob` to true.
//! * `qwen3_next` is flat already; mlx_lm requires its RoPE and linear-attention keys.

use super::Qwen3Config;
use crate::{Error, Result};
use serde_json::{json, Map, Value};
use std::path::Path;

/// Keys a `qwen3_next` config must have (mlx_lm's `ModelArgs` has no default for them).
const NEXT_REQUIRED: &[&str] = &[
    "linear_num_value_heads",
    "linear_num_key_heads",
    "linear_key_head_dim",
    "linear_value_head_dim",
    "linear_conv_kernel_dim",
    "num_experts",
    "num_experts_per_tok",
    "decoder_sparse_step",
    "shared_expert_intermediate_size",
    "moe_intermediate_size",
    "rope_theta",
    "partial_rotary_factor",
];

/// `raw` with a hybrid's keys in [`Qwen3Config`]'s places (other model types unchanged).
pub(super) fn flatten(raw: Value, path: &Path) -> Result<Value> {
    match raw.get("model_type").and_then(Value::as_str) {
        Some("qwen3_5" | "qwen3_5_moe") => flatten_qwen3_5(raw, path),
        Some("qwen3_next") => {
            for key in NEXT_REQUIRED {
                if raw.get(key).is_none_or(Value::is_null) {
                    return Err(Error::file(path, format!("missing key \"{key}\"")));
                }
            }
            let mut obj = object(raw, path, "config.json")?;
            obj.entry("full_attention_interval").or_insert(json!(4));
            Ok(Value::Object(obj))
        }
        _ => Ok(raw),
    }
}

fn object(v: Value, path: &Path, what: &str) -> Result<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(Error::file(path, format!("\"{what}\" must be an object"))),
    }
}

fn flatten_qwen3_5(raw: Value, path: &Path) -> Result<Value> {
    let top = object(raw, path, "config.json")?;
    let mut text = match top.get("text_config") {
        Some(t) => object(t.clone(), path, "text_config")?,
        None if top.contains_key("vision_config") && !top.contains_key("hidden_size") => {
            return Err(Error::unsupported(
                path,
                "a vision checkpoint without a text model (no \"text_config\")",
            ))
        }
        None => top.clone(),
    };
    // What the text model's keys do not carry: the model type, the quantization (mlx_lm writes
    // it at the top), the EOS ids and the dtype where only the top has them.
    text.insert("model_type".into(), top["model_type"].clone());
    for key in ["quantization", "quantization_config"] {
        match top.get(key) {
            Some(v) => text.insert(key.into(), v.clone()),
            None => text.remove(key),
        };
    }
    for key in ["eos_token_id", "torch_dtype"] {
        if let (None, Some(v)) = (text.get(key), top.get(key)) {
            text.insert(key.into(), v.clone());
        }
    }
    // mlx_lm's TextModelArgs defaults.
    let defaults = [
        ("intermediate_size", json!(14336)),
        ("rms_norm_eps", json!(1e-6)),
        ("num_key_value_heads", json!(8)),
        ("max_position_embeddings", json!(131072)),
        ("linear_num_value_heads", json!(64)),
        ("linear_num_key_heads", json!(16)),
        ("linear_key_head_dim", json!(192)),
        ("linear_value_head_dim", json!(128)),
        ("linear_conv_kernel_dim", json!(4)),
        ("full_attention_interval", json!(4)),
        ("decoder_sparse_step", json!(1)),
        ("norm_topk_prob", json!(true)),
    ];
    for (key, v) in defaults {
        if text.get(key).is_none_or(Value::is_null) {
            text.insert(key.into(), v);
        }
    }
    if text.get("head_dim").is_none_or(Value::is_null) {
        let int = |k: &str| text.get(k).and_then(Value::as_u64);
        if let Some(d) = int("hidden_size").and_then(|h| h.checked_div(int("num_attention_heads")?))
        {
            text.insert("head_dim".into(), json!(d));
        }
    }
    // RoPE: `rope_parameters` (an absent one is mlx_lm's default dictionary); a null or empty
    // one leaves the top-level keys (or their defaults) and no scaling.
    let params = match text.get("rope_parameters") {
        None => {
            Some(json!({"type": "default", "rope_theta": 100000, "partial_rotary_factor": 0.25}))
        }
        Some(Value::Object(m)) if !m.is_empty() => Some(Value::Object(m.clone())),
        Some(Value::Object(_) | Value::Null) => None,
        Some(_) => return Err(Error::file(path, "\"rope_parameters\" must be an object")),
    };
    let num = |v: Option<&Value>, default: f64| v.and_then(Value::as_f64).unwrap_or(default);
    match params {
        Some(p) => {
            text.insert(
                "rope_theta".into(),
                json!(num(p.get("rope_theta"), 100000.0)),
            );
            let factor = num(p.get("partial_rotary_factor"), 0.25);
            text.insert("partial_rotary_factor".into(), json!(factor));
            text.insert("rope_scaling".into(), p);
        }
        None => {
            let theta = num(text.get("rope_theta"), 100000.0);
            let factor = num(text.get("partial_rotary_factor"), 0.25);
            text.insert("rope_theta".into(), json!(theta));
            text.insert("partial_rotary_factor".into(), json!(factor));
            text.insert("rope_scaling".into(), Value::Null);
        }
    }
    Ok(Value::Object(text))
}

/// The hybrid's own constraints (after the common ones).
pub(super) fn validate(cfg: &Qwen3Config, path: &Path) -> Result<()> {
    let bad = |m: String| Err(Error::file(path, m));
    for (key, v) in [
        ("full_attention_interval", cfg.full_attention_interval),
        ("linear_num_value_heads", cfg.linear_num_value_heads),
        ("linear_num_key_heads", cfg.linear_num_key_heads),
        ("linear_key_head_dim", cfg.linear_key_head_dim),
        ("linear_value_head_dim", cfg.linear_value_head_dim),
        ("linear_conv_kernel_dim", cfg.linear_conv_kernel_dim),
    ] {
        if v == 0 {
            return bad(format!("\"{key}\" must be positive"));
        }
    }
    if !cfg
        .linear_num_value_heads
        .is_multiple_of(cfg.linear_num_key_heads)
    {
        return bad(format!(
            "\"linear_num_value_heads\" {} is not a multiple of \"linear_num_key_heads\" {}",
            cfg.linear_num_value_heads, cfg.linear_num_key_heads
        ));
    }
    let rotary = cfg.rotary_dims();
    if !(cfg.partial_rotary_factor > 0.0 && cfg.partial_rotary_factor <= 1.0)
        || rotary < 2
        || !rotary.is_multiple_of(2)
    {
        return bad(format!(
            "\"partial_rotary_factor\" {} of head_dim {} must rotate an even number of dimensions",
            cfg.partial_rotary_factor, cfg.head_dim
        ));
    }
    if cfg.num_experts > 0 && cfg.shared_expert_intermediate_size == 0 {
        return bad("\"shared_expert_intermediate_size\" must be positive".into());
    }
    Ok(())
}
