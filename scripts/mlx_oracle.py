#!/usr/bin/env python3
"""Reference outputs from mlx_lm (same MLX as the Rust engine) for the Rust oracle test.

    mlx_oracle.py --model DIR --out FILE.json [--steps 64] [--prompt TEXT]... [--chat]
                  [--kv-bits B [--kv-group-size G]]

For each prompt (default: a fixed, varied set) it writes the prompt token ids (mlx_lm's own
tokenizer, chat template applied with enable_thinking=False when --chat), the f32 logits of the
last prompt position from one full forward pass (stored raw, little-endian f32, one row of
`vocab` floats per prompt, in FILE.logits.bin), their argmax, and `steps` greedy tokens from
mlx_lm.generate.generate_step (EOS not special-cased: exactly `steps` tokens).
"""

import argparse
import json
import sys
from pathlib import Path

DEFAULT_PROMPTS = [
    "Hello",
    "The quick brown fox jumps over the lazy dog.",
    "Write a haiku about benchmarks on a laptop, then explain why tokens per second matter.",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "東京は日本の首都です。 Qwen3 🚀 1234567",
    # ~330 tokens: prompt + 64 steps cross the KV cache's 256-position growth step
    " ".join(
        f"Step {i}: measure prefill, decode and peak memory for batch {i % 5 + 1}, then repeat."
        for i in range(20)
    ),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--prompt", action="append", help="prompt text (repeatable)")
    ap.add_argument("--chat", action="store_true", help="apply the chat template (enable_thinking=False)")
    ap.add_argument("--kv-bits", type=int, help="greedy tokens with the KV cache quantized from the "
                    "first forward call on (generate_step's kv_bits, quantized_kv_start=0)")
    ap.add_argument("--kv-group-size", type=int, default=64)
    args = ap.parse_args()

    import mlx.core as mx
    from mlx_lm import load
    from mlx_lm.generate import generate_step

    model, tokenizer = load(str(args.model))
    prompts = args.prompt or DEFAULT_PROMPTS
    records = []
    rows = []
    for text in prompts:
        if args.chat:
            ids = tokenizer.apply_chat_template(
                [{"role": "user", "content": text}],
                add_generation_prompt=True,
                enable_thinking=False,
                tokenize=True,
            )
            if isinstance(ids, dict):
                ids = ids["input_ids"]
        else:
            ids = tokenizer.encode(text, add_special_tokens=False)
        ids = [int(i) for i in ids]
        logits = model(mx.array([ids]))[0, -1].astype(mx.float32)
        mx.eval(logits)
        rows.append(logits)
        tokens = []
        kv = {}
        if args.kv_bits:
            kv = dict(kv_bits=args.kv_bits, kv_group_size=args.kv_group_size, quantized_kv_start=0)
        for tok, _ in generate_step(mx.array(ids), model, max_tokens=args.steps, **kv):
            tokens.append(int(tok))
        records.append(
            {
                "text": text,
                "chat": bool(args.chat),
                "prompt_ids": ids,
                "argmax": int(mx.argmax(logits).item()),
                "greedy": tokens,
            }
        )
    import numpy as np

    logits_path = args.out.with_suffix(".logits.bin")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.stack([np.array(r, dtype="<f4") for r in rows]).tofile(logits_path)
    doc = {
        "mlx_version": mx.__version__,
        "model": str(args.model),
        "steps": args.steps,
        "kv_bits": args.kv_bits,
        "kv_group_size": args.kv_group_size if args.kv_bits else None,
        "vocab": int(rows[0].shape[0]),
        "logits_file": logits_path.name,
        "prompts": records,
    }
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    print(f"mlx_oracle: wrote {args.out} ({len(records)} prompts)")


if __name__ == "__main__":
    sys.exit(main())
