#!/usr/bin/env bash
# BenchBar's in-process engine against the reference (mlx_lm benchmark), on the same machine,
# model, prompt length and generation length, one after the other. Prints decode and prefill
# tok/s of both and their ratio.
#
#   scripts/bench_vs_mlx_lm.sh [tiny|0.6b|all]      (default: all)
#
# Models are generated (random weights, real Qwen3 shapes): tiny = the test fixture,
# 0.6b = Qwen3-0.6B-shaped f32 (2.4 GB, made once under $BENCHBAR_FIXTURES).
# Definitions differ: mlx_lm's generation_tps is G / (t_last - t_first) for G generated tokens,
# BenchBar's decode_tps is (G - 1) / (t_last - t_first). The ratio uses mlx_lm's figure
# converted to BenchBar's definition (x (G - 1) / G); both raw figures are printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FIX="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}"
PY="$ROOT/.venv/bin/python"
WHICH="${1:-all}"
REPS="${REPS:-5}"

scripts/setup-python.sh
cargo build --release -q -p benchbar-cli
BB="$ROOT/target/release/benchbar"
[ -d "$FIX/tiny-f32" ] || cargo run -q -p benchbar-mlx --example make_builtin -- "$FIX" tiny
if [ "$WHICH" = all ] || [ "$WHICH" = 0.6b ]; then
  [ -d "$FIX/qwen3-0.6b-f32" ] || "$PY" scripts/make_fixtures.py --out "$FIX" --shape qwen3-0.6b --only f32
fi
# mlx_lm gets the same BLAS the Rust binary links (Debian OpenBLAS).
PRELOAD=""
for ob in /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/aarch64-linux-gnu/libopenblas.so.0; do
  [ -e "$ob" ] && PRELOAD="$ob"
done

bench() { # name dir prompt_tokens gen_tokens
  local name=$1 dir=$2 p=$3 g=$4
  local bb_json mlx_out
  bb_json=$("$BB" run --model "$dir" -p "$p" -n "$g" -b 1 -r "$REPS" --warmup 1 --no-save --no-power --format json)
  mlx_out=$(LD_PRELOAD="$PRELOAD" "$PY" -m mlx_lm benchmark --model "$dir" -p "$p" -g "$g" -b 1 -n "$REPS" 2>/dev/null | grep '^Averages:')
  "$PY" - "$name" "$p" "$g" "$bb_json" "$mlx_out" <<'PYEOF'
import json, re, sys
name, p, g, bb, mlx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5]
s = bb["cells"][0]["summary"]
bb_dec, bb_pre = s["decode_tps"]["mean"], s["prefill_tps"]["mean"]
m = dict(re.findall(r"(\w+)=([0-9.]+)", mlx))
mx_dec_raw, mx_pre = float(m["generation_tps"]), float(m["prompt_tps"])
mx_dec = mx_dec_raw * (g - 1) / g
print(f"| {name} | {p} | {g} | {bb_dec:.1f} | {mx_dec:.1f} ({mx_dec_raw:.1f} raw) | {bb_dec / mx_dec:.2f}x "
      f"| {bb_pre:.1f} | {mx_pre:.1f} | {bb_pre / mx_pre:.2f}x |")
PYEOF
}

echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores; MLX $("$PY" -c 'import mlx.core as mx; print(mx.__version__)'), $("$BB" --version)"
echo "| model | prompt | gen | BenchBar decode tok/s | mlx_lm decode tok/s | ratio | BenchBar prefill tok/s | mlx_lm prefill tok/s | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
if [ "$WHICH" = all ] || [ "$WHICH" = tiny ]; then bench "tiny f32" "$FIX/tiny-f32" 128 128; fi
if [ "$WHICH" = all ] || [ "$WHICH" = 0.6b ]; then bench "Qwen3-0.6B-shape f32" "$FIX/qwen3-0.6b-f32" 64 16; fi
