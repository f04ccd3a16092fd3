#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian/Ubuntu machine, then runs all tests:
# formatting, clippy, the whole workspace's tests (incl. the mlx_lm correctness oracle on
# generated tiny Qwen3 models, a real mlx_lm.server and the app's commands on Tauri's mock
# runtime), the app UI tests in headless Chromium, and the macOS type-check (cargo check and
# clippy for aarch64-apple-darwin over the whole workspace: mlx-rs backend, IOReport, ...).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# A one-shot build of everything: no incremental cache and no debug info in the binaries. With
# them the debug target of this workspace reached ~10 GB (54 test binaries of up to 190 MB, 80% of
# it DWARF, plus 2.2 GB of incremental state) and a CI disk ran out; without them it is ~3 GB.
# Panics still name file and line (that comes from the panic location, not from debug info).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export CARGO_PROFILE_DEV_STRIP="${CARGO_PROFILE_DEV_STRIP:-debuginfo}"
export BENCHBAR_FIXTURES="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}"
# builtin:tiny resolves to the generated fixture; no test writes to the user's data dir.
export BENCHBAR_MODELS_DIR="${BENCHBAR_MODELS_DIR:-$BENCHBAR_FIXTURES}"
step() { printf '\n==> %s\n' "$*"; }

step "system packages";   scripts/setup-system.sh
step "python + MLX venv"; scripts/setup-python.sh
step "fixtures + oracle"; scripts/fixtures.sh
step "cargo fmt --check"; cargo fmt --all --check
# The app embeds ui/dist at compile time: build the frontend before cargo builds src-tauri.
step "app frontend (npm)"; (cd ui && npm ci --no-audit --no-fund && npm run build)
step "cargo clippy";      cargo clippy --workspace --all-targets -- -D warnings
step "cargo test";        cargo test --workspace
step "app UI tests (headless Chromium)"; (cd ui && npm test)
# The real app (debug build, real MLX on builtin:tiny) under Xvfb, driven by tauri-driver +
# WebKitWebDriver; screenshots in ui/test-results/e2e-*.png.
step "app end to end (Xvfb + tauri-driver)"; cargo build -p benchbar-app -p benchbar-cli && scripts/e2e-app.sh
# Every crate of the workspace (the app included) for aarch64-apple-darwin: `cargo check`, then
# `cargo clippy -- -D warnings`; a macOS-only line that stops type-checking fails CI here.
step "macOS type-check (aarch64-apple-darwin)"; MACOS_CHECK_CARGO="check clippy" scripts/check-macos.sh
