//! The correctness oracle: the Rust engine vs mlx_lm (same MLX) on the tiny random-weight
//! Qwen3 fixtures. See tests/common/mod.rs for how CI provides the fixtures.

mod common;

use benchbar_mlx::{GenerateOptions, KvQuant, Qwen3Runtime, Sampling};

fn check_against_oracle(variant: &str, logit_tol: f32) {
    check_against_oracle_kv(variant, logit_tol, None);
}

/// [`check_against_oracle`] with the KV cache quantized as mlx_lm's oracle ran it (from the
/// first forward call; the prompt in one prefill call, as mlx_lm's 2,048-token chunks take it).
fn check_against_oracle_kv(variant: &str, logit_tol: f32, kv: Option<KvQuant>) {
    let (doc, logits) = common::oracle_kv(variant, kv.map(|k| k.bits));
    let mut rt = Qwen3Runtime::load(&common::model_dir(variant)).unwrap();
    let vocab = doc["vocab"].as_u64().unwrap() as usize;
    let steps = doc["steps"].as_u64().unwrap() as usize;
    for (i, p) in doc["prompts"].as_array().unwrap().iter().enumerate() {
        let text = p["text"].as_str().unwrap();
        let want_ids = common::ids(&p["prompt_ids"]);
        // tokenizer + chat template agree with mlx_lm's (transformers) rendering
        assert_eq!(
            rt.encode(text, true).unwrap(),
            want_ids,
            "prompt ids for {text:?}"
        );
        // first-step logits
        let got = rt.prompt_logits(&want_ids).unwrap();
        let want = &logits[i * vocab..(i + 1) * vocab];
        let max_diff = got
            .iter()
            .zip(want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        eprintln!("{variant} prompt {i}: max |logit diff| {max_diff:e}");
        assert!(
            max_diff < logit_tol,
            "{variant} prompt {i}: max |logit diff| {max_diff}"
        );
        // greedy tokens, EOS not special-cased on the Python side -> suppress nothing but
        // compare the prefix up to any EOS
        let opts = GenerateOptions {
            max_tokens: steps,
            sampling: Sampling::greedy(),
            suppress_eos: false,
            prefill_chunk: if kv.is_some() { 2048 } else { 7 },
            kv_quant: kv,
        };
        let out = rt
            .generate(std::slice::from_ref(&want_ids), &opts, &mut |_| {})
            .unwrap();
        let want_toks = common::ids(&p["greedy"]);
        let eos = rt.eos_ids().to_vec();
        let cut = want_toks
            .iter()
            .position(|t| eos.contains(t))
            .unwrap_or(want_toks.len());
        assert_eq!(
            out[0],
            want_toks[..cut],
            "{variant} prompt {i}: greedy tokens"
        );
    }
}

#[test]
fn tiny_f32_matches_mlx_lm() {
    check_against_oracle("f32", 1e-4);
}

#[test]
fn tiny_4bit_matches_mlx_lm() {
    check_against_oracle("4bit", 1e-3);
}

#[test]
fn tiny_8bit_matches_mlx_lm() {
    check_against_oracle("8bit", 1e-3);
}

/// bf16 weights, untied lm_head, two safetensors shards with an index.
#[test]
fn tiny_bf16_sharded_untied_matches_mlx_lm() {
    check_against_oracle("bf16", 1e-2);
}

/// Affine 6-bit (group 64), from the f32 fixture with mlx_lm's converter.
#[test]
fn tiny_6bit_matches_mlx_lm() {
    check_against_oracle("6bit", 1e-3);
}

/// Affine 5-bit in groups of 32, untied head, from the bf16 fixture.
#[test]
fn tiny_5bit_group_32_matches_mlx_lm() {
    check_against_oracle("5bit-g32", 1e-2);
}

/// The MX and NVIDIA float modes (uint8 scales, no biases).
#[test]
fn tiny_mxfp4_nvfp4_mxfp8_match_mlx_lm() {
    for variant in ["mxfp4", "nvfp4", "mxfp8"] {
        check_against_oracle(variant, 1e-3);
    }
}

/// Mixed recipes: per-module entries in config.json (3/6-bit with the untied head at 6 bits;
/// 2/6-bit tied).
#[test]
fn tiny_mixed_recipes_match_mlx_lm() {
    check_against_oracle("mixed-3-6", 1e-2);
    check_against_oracle("mixed-2-6", 1e-3);
}

/// Qwen3-MoE (`qwen3_moe`): a dense layer and a layer of 8 experts, 2 per token, as
/// mlx-community stacks them, as HF ships them (one tensor per expert), and 4-bit with the
/// 8-bit router mlx_lm's converter keeps.
#[test]
fn tiny_qwen3_moe_matches_mlx_lm() {
    check_against_oracle("moe", 1e-4);
    check_against_oracle("moe-hf", 1e-4);
    check_against_oracle("moe-4bit", 1e-3);
}

/// The hybrids: Qwen3.5 (Gated DeltaNet layers and gated attention with partial RoPE; its
/// config nested in `text_config`) as mlx-community lays it out and as HF ships it (offset norms,
/// `[C, 1, K]` convolutions, a vision tower to skip), Qwen3.5-MoE (routed plus shared experts)
/// and Qwen3-Next (interleaved projections, a dense layer among the MoE ones).
#[test]
fn tiny_hybrids_match_mlx_lm() {
    for variant in ["qwen3_5", "qwen3_5-hf", "qwen3_5_moe", "qwen3_next"] {
        check_against_oracle(variant, 1e-4);
    }
}

/// The hybrids quantized by mlx_lm's converter: Qwen3.5 as bf16 at 4 bits (f32 A_log),
/// Qwen3.5-MoE at 4 bits with 8-bit router and shared-expert gates (per-module entries under
/// `language_model.`).
#[test]
fn tiny_quantized_hybrids_match_mlx_lm() {
    check_against_oracle("qwen3_5-4bit", 1e-2);
    check_against_oracle("qwen3_5_moe-4bit", 1e-3);
}

/// KV-cache quantization (mlx_lm's `kv_bits` 4 and 8, groups of 64, from the first call on):
/// the greedy tokens through quantized keys and values and quantized attention. The 4-bit
/// cache must change some prompt's tokens (else the check would not see it quantize).
#[test]
fn kv_cache_quantization_matches_mlx_lm() {
    for bits in [4, 8] {
        let kv = KvQuant {
            start_tokens: 0,
            ..KvQuant::bits(bits)
        };
        check_against_oracle_kv("hd64-f32", 1e-4, Some(kv));
    }
    let (doc, _) = common::oracle_kv("hd64-f32", Some(4));
    let mut rt = Qwen3Runtime::load(&common::model_dir("hd64-f32")).unwrap();
    let opts = GenerateOptions {
        max_tokens: doc["steps"].as_u64().unwrap() as usize,
        ..Default::default()
    };
    let changed = doc["prompts"].as_array().unwrap().iter().any(|p| {
        let ids = common::ids(&p["prompt_ids"]);
        let float = rt.generate(&[ids], &opts, &mut |_| {}).unwrap();
        let quantized = common::ids(&p["greedy"]);
        float[0] != quantized[..float[0].len().min(quantized.len())]
    });
    assert!(
        changed,
        "the 4-bit KV cache changed no prompt's greedy tokens"
    );
}

/// RoPE scaling: YaRN (factor 4 over 32,768, Qwen3's long-context setting: blended
/// frequencies and q/k scaled by mscale) and linear.
#[test]
fn tiny_rope_scaling_matches_mlx_lm() {
    check_against_oracle("yarn", 1e-4);
    check_against_oracle("rope-linear", 1e-4);
}

/// The other RoPE types mlx_lm's `initialize_rope` takes: Llama 3's frequency bands, LongRoPE's
/// per-pair factors with its input scale, dynamic NTK past a trained context of 128 positions
/// (the longer prompts pass it, so the base grows between steps), and YaRN on a hybrid's
/// quarter-head rotation (only the rotated part scaled).
#[test]
fn tiny_other_rope_types_match_mlx_lm() {
    for variant in [
        "rope-llama3",
        "rope-longrope",
        "rope-dynamic",
        "qwen3_5-yarn",
    ] {
        check_against_oracle(variant, 1e-4);
    }
}

/// The tokenizer embedded for `builtin:tiny` is the one scripts/make_fixtures.py builds and
/// verifies against tiktoken (its copy in the Python-made bf16 fixture).
#[test]
fn the_embedded_tokenizer_is_the_verified_one() {
    let verified = std::fs::read(common::model_dir("bf16").join("tokenizer.json")).unwrap();
    assert!(benchbar_mlx::builtin::embedded_tokenizer_json().unwrap() == verified);
}
