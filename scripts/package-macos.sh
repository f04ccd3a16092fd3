#!/usr/bin/env bash
# Builds what a Mac user installs (macOS only): BenchBar.app and its .dmg (tauri build), and the
# release `benchbar` CLI with MLX's Metal library beside it, in target/dist/. Then proves both
# work on their own: the compiled-in metallib folder is moved away, so MLX can only find the
# copies that ship (next to each executable), and each runs builtin:tiny on Metal.
#
# MLX (built statically by mlx-sys) looks for mlx.metallib next to the executable first, then
# at the build machine's path compiled in: MLX_RS_METAL_PATH below. The app bundle carries it
# in Contents/MacOS (src-tauri/tauri.conf.json, bundle.macOS.files, which names this path).
# Signing and notarisation run only when their secrets are in the environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$(uname -s)" = Darwin ] || { echo "package-macos: macOS only" >&2; exit 2; }
export MLX_RS_METAL_PATH="$ROOT/target/mlx-metal"
# The metallib's Metal language version follows the deployment target: the app's
# minimumSystemVersion (tauri.conf.json) and this must agree.
export MACOSX_DEPLOYMENT_TARGET=14.0
DIST="$ROOT/target/dist"
mkdir -p "$DIST"

(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked -p benchbar-cli
[ -f "$MLX_RS_METAL_PATH/mlx.metallib" ] || { echo "package-macos: no $MLX_RS_METAL_PATH/mlx.metallib" >&2; exit 1; }
cp target/release/benchbar "$MLX_RS_METAL_PATH/mlx.metallib" "$DIST/"

if [ -n "${APPLE_SIGNING_IDENTITY:-}" ]; then
  echo "package-macos: signing with $APPLE_SIGNING_IDENTITY"
else
  echo "package-macos: APPLE_SIGNING_IDENTITY not set: the app is not signed or notarised" >&2
fi
# tauri-cli signs when APPLE_SIGNING_IDENTITY (and APPLE_CERTIFICATE) are set and notarises
# when APPLE_ID/APPLE_PASSWORD/APPLE_TEAM_ID or APPLE_API_KEY/APPLE_API_ISSUER are.
cargo install tauri-cli --version "^2" --locked
(cd src-tauri && cargo tauri build --bundles app,dmg)
APP="$ROOT/target/release/bundle/macos/BenchBar.app"
cp -R "$APP" "$DIST/"
cp "$ROOT"/target/release/bundle/dmg/*.dmg "$DIST/"

# Self-tests with only the shipped metallibs findable.
mv "$MLX_RS_METAL_PATH" "$MLX_RS_METAL_PATH.away"
trap 'mv "$MLX_RS_METAL_PATH.away" "$MLX_RS_METAL_PATH"' EXIT
SELFTEST_MODELS="$(mktemp -d)"
BENCHBAR_MODELS_DIR="$SELFTEST_MODELS" "$DIST/BenchBar.app/Contents/MacOS/benchbar-app" --self-test
BENCHBAR_MODELS_DIR="$SELFTEST_MODELS" BENCHBAR_DB="$SELFTEST_MODELS/h.db" \
  "$DIST/benchbar" run --model builtin:tiny -n 16 -r 2 --no-power
echo "package-macos: $DIST holds BenchBar.app, its .dmg, benchbar and mlx.metallib"
