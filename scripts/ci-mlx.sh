#!/usr/bin/env bash
# CI entry point for the MLX engine (crates/benchbar-mlx) on Linux CPU.
#   1. Python/MLX environment (<repo>/.venv, pinned; Debian OpenBLAS)
#   2. tokenizer.json verified token-for-token against tiktoken (3000 texts)
#   3. fixtures: tiny Qwen3 f32 / 4-bit / 8-bit / bf16-sharded-untied in $BENCHBAR_FIXTURES
#   4. mlx_lm oracle outputs for each fixture (same MLX, same BLAS as the Rust binary)
#   5. cargo clippy + tests of benchbar-mlx (oracle, batch, bad input, discovery)
# Env: BENCHBAR_FIXTURES (default <repo>/.fixtures), CARGO_TARGET_DIR, CARGO_BUILD_JOBS.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
FIX="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}"
export BENCHBAR_FIXTURES="$FIX"
PY="$ROOT/.venv/bin/python"

scripts/setup-python.sh
"$PY" scripts/make_fixtures.py --verify --texts 3000
"$PY" scripts/make_fixtures.py --out "$FIX" --only f32 --only 4bit --only 8bit --only bf16

PRELOAD=""
for ob in /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/aarch64-linux-gnu/libopenblas.so.0; do
  [ -e "$ob" ] && PRELOAD="$ob"
done
for v in f32 4bit 8bit bf16; do
  LD_PRELOAD="$PRELOAD" "$PY" scripts/mlx_oracle.py --model "$FIX/tiny-$v" --out "$FIX/oracle/tiny-$v.json" --chat &
done
wait

cargo clippy -p benchbar-mlx --all-targets -- -D warnings
cargo test -p benchbar-mlx
