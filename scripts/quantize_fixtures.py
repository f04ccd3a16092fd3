#!/usr/bin/env python3
"""Quantized copies of the tiny Qwen3 fixtures, made by mlx_lm's own converter (the way
mlx-community checkpoints are made), for the oracle tests of every MLX quantization; and copies
whose config.json asks for scaled RoPE (`config`: the same weights, keys replaced).

    quantize_fixtures.py --fixtures DIR [--only NAME]...

Reads DIR/tiny-f32, DIR/tiny-bf16, DIR/tiny-moe and the hybrids (scripts/fixtures.sh makes them) and writes DIR/tiny-NAME
for each recipe below (all of them without --only). A copy already there is kept.
"""

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

# name: (base fixture, mlx_lm.convert keyword arguments)
RECIPES = {
    "6bit": ("f32", dict(q_bits=6, q_group_size=64)),
    "5bit-g32": ("bf16", dict(q_bits=5, q_group_size=32)),
    "mxfp4": ("f32", dict(q_mode="mxfp4")),
    "nvfp4": ("f32", dict(q_mode="nvfp4")),
    "mxfp8": ("f32", dict(q_mode="mxfp8")),
    # per-module overrides in config.json: 3-bit layers, 6-bit v/down of the last layer and
    # the untied head (bf16 base), 2-bit with 6-bit overrides (f32 base, tied)
    "mixed-3-6": ("bf16", dict(quant_predicate="mixed_3_6", q_group_size=64)),
    "mixed-2-6": ("f32", dict(quant_predicate="mixed_2_6", q_group_size=64)),
    # Qwen3-MoE, 4-bit as mlx-community ships it (the model's own predicate keeps the routers
    # at 8 bits)
    "moe-4bit": ("moe", dict(q_bits=4, q_group_size=64)),
    # The hybrids (scripts/make_hybrid_fixtures.py): Qwen3.5 in bf16 at 4 bits (the float parts,
    # and the f32 A_log mlx_lm keeps, in the dtype mlx-community ships), Qwen3.5-MoE at 4 bits
    # with its 8-bit router and shared-expert gates (per-module entries under language_model.)
    "qwen3_5-4bit": ("qwen3_5", dict(q_bits=4, q_group_size=64, dtype="bfloat16")),
    "qwen3_5_moe-4bit": ("qwen3_5_moe", dict(q_bits=4, q_group_size=64)),
    # Qwen3's documented long-context setting, and linear position scaling
    "yarn": ("f32", dict(config={"rope_scaling": {
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}})),
    "rope-linear": ("f32", dict(config={"rope_scaling": {"type": "linear", "factor": 2.0}})),
    # the other RoPE types mlx_lm's initialize_rope takes: Llama 3's bands, LongRoPE's per-pair
    # factors (and its input scale), dynamic NTK past a short trained context (128 positions, so
    # the prompts pass it), and YaRN on a hybrid's quarter-head rotation (only that part scaled)
    "rope-llama3": ("f32", dict(config={"rope_scaling": {
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192}})),
    "rope-longrope": ("f32", dict(config={"rope_scaling": {
        "type": "longrope", "original_max_position_embeddings": 4096,
        "short_factor": [1.0] * 8, "long_factor": [1.0, 1.1, 1.3, 1.6, 2.0, 2.6, 3.3, 4.0]}})),
    "rope-dynamic": ("f32", dict(config={"max_position_embeddings": 128,
                                         "rope_scaling": {"type": "dynamic", "factor": 4.0}})),
    "qwen3_5-yarn": ("qwen3_5", dict(text_config={"rope_parameters": {
        "rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8192,
        "rope_theta": 10000000, "partial_rotary_factor": 0.25}})),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", required=True, type=Path)
    ap.add_argument("--only", action="append", choices=sorted(RECIPES))
    args = ap.parse_args()
    from mlx_lm.convert import convert

    for name in args.only or sorted(RECIPES):
        base, kwargs = RECIPES[name]
        src = args.fixtures / f"tiny-{base}"
        dst = args.fixtures / f"tiny-{name}"
        if (dst / "config.json").exists():
            continue
        if not (src / "config.json").exists():
            sys.exit(f"quantize_fixtures: {src} is missing (run scripts/fixtures.sh)")
        # convert refuses an existing folder: build beside it, then rename into place
        tmp = Path(tempfile.mkdtemp(dir=args.fixtures, prefix=f".tiny-{name}."))
        shutil.rmtree(tmp)
        if "config" in kwargs or "text_config" in kwargs:
            shutil.copytree(src, tmp)
            cfg = json.loads((tmp / "config.json").read_text())
            cfg.update(kwargs.get("config", {}))
            cfg.get("text_config", {}).update(kwargs.get("text_config", {}))
            (tmp / "config.json").write_text(json.dumps(cfg, indent=2))
        else:
            convert(hf_path=str(src), mlx_path=str(tmp), quantize=True, **kwargs)
        tmp.rename(dst)
        print(f"quantize_fixtures: wrote {dst}")


if __name__ == "__main__":
    main()
