#!/usr/bin/env bash
# Sets up BenchBar on a fresh Debian/Ubuntu machine (packages, the Python venv with MLX,
# a release build) and runs a real benchmark: the quick suite on the embedded default model
# (builtin:tiny, a tiny random-weight Qwen3 generated on first use) with the in-process MLX
# engine. The run is stored in the history database. Extra arguments go to `benchbar run`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
scripts/setup-system.sh
scripts/setup-python.sh
cargo build --release -p benchbar-cli
exec "$ROOT/target/release/benchbar" run "$@"
