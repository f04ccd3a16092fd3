#!/usr/bin/env bash
# Test fixtures for the MLX engine, generated (never downloaded):
#   1. tokenizer.json verified token-for-token against tiktoken (3000 texts); the copy embedded
#      in benchbar-mlx (assets/) must equal it (a Rust test checks)
#   2. tiny random-weight Qwen3 in $BENCHBAR_FIXTURES: f32 / 4-bit / 8-bit made by benchbar-mlx
#      itself (the files `builtin:tiny` is on a user's machine), bf16 (sharded, untied) by
#      make_fixtures.py, and copies in every other MLX quantization (affine 5/6-bit, mxfp4,
#      nvfp4, mxfp8, mixed recipes) by quantize_fixtures.py (mlx_lm's converter); a tiny
#      Qwen3-MoE (mlx_lm's class; stacked and HF per-expert layouts, and 4-bit); f32 copies with
#      YaRN and linear RoPE scaling; the hybrids Qwen3.5 (mlx-community and HF layouts; bf16
#      4-bit), Qwen3.5-MoE (f32, 4-bit) and Qwen3-Next by make_hybrid_fixtures.py
#   3. mlx_lm oracle outputs for each (same MLX and BLAS as the Rust binary), and for a tiny
#      model with heads of 64 with its KV cache quantized to 4 and 8 bits
# Needs scripts/setup-python.sh first. Env: BENCHBAR_FIXTURES (default <repo>/.fixtures).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FIX="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}"
PY="$ROOT/.venv/bin/python"

"$PY" scripts/make_fixtures.py --verify --texts 3000
"$PY" scripts/make_fixtures.py --out "$FIX" --only bf16 --only moe --only moe-hf
HYBRIDS="qwen3_5 qwen3_5-hf qwen3_5_moe qwen3_next"
"$PY" scripts/make_hybrid_fixtures.py --out "$FIX" >/dev/null
# heads of 64, for the KV-cache quantization oracle (MLX quantizes in groups of 32 or more)
"$PY" scripts/make_fixtures.py --out "$FIX" --shape tiny-hd64 >/dev/null
# The builtins as the binary makes them (a fresh copy: the generator may have changed).
rm -rf "$FIX/tiny-f32" "$FIX/tiny-4bit" "$FIX/tiny-8bit"
cargo run -q -p benchbar-mlx --example make_builtin -- "$FIX" >/dev/null
# Every other MLX quantization, made from those by mlx_lm's own converter; RoPE scaling.
QUANTIZED="6bit 5bit-g32 mxfp4 nvfp4 mxfp8 mixed-3-6 mixed-2-6 moe-4bit qwen3_5-4bit qwen3_5_moe-4bit yarn rope-linear rope-llama3 rope-longrope rope-dynamic qwen3_5-yarn"
for v in $QUANTIZED; do rm -rf "$FIX/tiny-$v"; done
"$PY" scripts/quantize_fixtures.py --fixtures "$FIX" >/dev/null

PRELOAD=""
for ob in /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/aarch64-linux-gnu/libopenblas.so.0; do
  [ -e "$ob" ] && PRELOAD="$ob"
done
pids=()
for v in f32 4bit 8bit bf16 moe moe-hf $HYBRIDS $QUANTIZED; do
  LD_PRELOAD="$PRELOAD" "$PY" scripts/mlx_oracle.py --model "$FIX/tiny-$v" --out "$FIX/oracle/tiny-$v.json" --chat &
  pids+=($!)
done
for b in 4 8; do
  LD_PRELOAD="$PRELOAD" "$PY" scripts/mlx_oracle.py --model "$FIX/tiny-hd64-f32" \
    --out "$FIX/oracle/tiny-hd64-f32-kv$b.json" --chat --kv-bits "$b" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
