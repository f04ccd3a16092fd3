#!/usr/bin/env python3
"""Tiny random-weight hybrids of the Qwen3 family, made with mlx_lm's own model classes (f32),
for the oracle tests of the in-process engine:

    make_hybrid_fixtures.py --out DIR [--only NAME]...

  qwen3_5       Qwen3.5 (dense MLP), config nested in text_config as the published
                vision-language checkpoints are, mlx-community layout
  qwen3_5-hf    the same weights as HF ships them: model.language_model.* names, convolution
                weights [C, 1, K], RMSNorm weights stored as offsets from 1, plus a vision tower
                and a multi-token-prediction tensor (both unused)
  qwen3_5_moe   Qwen3.5-MoE: routed experts plus the shared expert in every layer
  qwen3_next    Qwen3-Next: the interleaved q|k|v|z projection layout, layer 0 dense

Four layers, a full-attention layer every second one (layers 1 and 3), two key heads and four
value heads in the Gated DeltaNet layers (so keys are repeated), RoPE over a quarter of each
head. The RMSNorm weights are perturbed from 1 so that each one matters. Writes DIR/tiny-NAME.
"""

import argparse
import copy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import atomic_dir, write_config_and_tokenizer  # noqa: E402

TEXT = dict(
    hidden_size=64,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    intermediate_size=128,
    linear_num_value_heads=4,
    linear_num_key_heads=2,
    linear_key_head_dim=32,
    linear_value_head_dim=16,
    linear_conv_kernel_dim=4,
    full_attention_interval=2,
    rms_norm_eps=1e-6,
    vocab_size=151936,
    max_position_embeddings=32768,
    tie_word_embeddings=False,
    attention_bias=False,
    eos_token_id=151645,
)
ROPE = {"rope_type": "default", "rope_theta": 10000000, "partial_rotary_factor": 0.25,
        "mrope_section": [11, 11, 10], "mrope_interleaved": True}
MOE = dict(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=64,
           shared_expert_intermediate_size=64, decoder_sparse_step=1)


def config(name):
    """config.json of fixture `name` (as the published checkpoints lay it out)."""
    if name == "qwen3_next":
        cfg = dict(TEXT, **MOE, model_type="qwen3_next", architectures=["Qwen3NextForCausalLM"],
                   rope_theta=10000000, partial_rotary_factor=0.25, mlp_only_layers=[0],
                   norm_topk_prob=True, torch_dtype="float32")
        return cfg
    text = dict(TEXT, model_type=f"{name}_text", rope_parameters=ROPE)
    if name == "qwen3_5_moe":
        text.update(MOE)
    return {
        "model_type": name,
        "architectures": ["Qwen3_5MoeForConditionalGeneration" if name == "qwen3_5_moe"
                          else "Qwen3_5ForConditionalGeneration"],
        "text_config": text,
        "vision_config": {"depth": 1, "hidden_size": 32},
        "tie_word_embeddings": False,
        "eos_token_id": 151645,
        "torch_dtype": "float32",
    }


def build(name, seed):
    import mlx.core as mx
    from mlx.utils import tree_flatten, tree_unflatten
    from mlx_lm.utils import _get_classes

    cfg = config(name)
    model_class, args_class = _get_classes(config=cfg)
    mx.random.seed(seed)
    model = model_class(args_class.from_dict(copy.deepcopy(cfg)))
    # Norm weights (init 1) perturbed, so that each one, and its HF offset, matters.
    perturbed = [
        (k, v + 0.1 * mx.random.normal(v.shape))
        for k, v in tree_flatten(model.parameters())
        if k.endswith("norm.weight")
    ]
    model.update(tree_unflatten(perturbed))
    mx.eval(model.parameters())
    return model, cfg


def hf_layout(weights):
    """mlx-community's tensors of a qwen3_5 as HF ships them (the inverse of mlx_lm's sanitize),
    plus unused vision and multi-token-prediction tensors."""
    import mlx.core as mx

    offset = (".input_layernorm.weight", ".post_attention_layernorm.weight", "model.norm.weight",
              ".q_norm.weight", ".k_norm.weight")
    out = {}
    for k, v in weights.items():
        if "conv1d.weight" in k:
            v = v.moveaxis(1, 2)  # [C, K, 1] -> [C, 1, K]
        if any(k.endswith(s) for s in offset) and v.ndim == 1:
            v = v - 1.0
        if k.startswith("language_model.model."):
            k = "model.language_model." + k[len("language_model.model."):]
        elif k.startswith("language_model."):
            k = k[len("language_model."):]
        out[k] = v
    out["model.visual.patch_embed.proj.weight"] = mx.zeros((32, 3, 2, 2, 2))
    out["mtp.fc.weight"] = mx.zeros((64, 128))
    return out


def make(out: Path, name: str, seed: int):
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.utils import save_model

    base = "qwen3_5" if name == "qwen3_5-hf" else name
    model, cfg = build(base, seed)
    out.mkdir(parents=True, exist_ok=True)
    if name == "qwen3_5-hf":
        weights = hf_layout(dict(tree_flatten(model.parameters())))
        mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "pt"})
    else:
        save_model(out, model)
    write_config_and_tokenizer(out, cfg)


NAMES = ["qwen3_5", "qwen3_5-hf", "qwen3_5_moe", "qwen3_next"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=NAMES, action="append")
    args = ap.parse_args()
    for name in args.only or NAMES:
        dst = args.out / f"tiny-{name}"
        atomic_dir(dst, lambda d, n=name: make(d, n, args.seed))
        print(f"make_hybrid_fixtures: wrote {dst}")


if __name__ == "__main__":
    main()
