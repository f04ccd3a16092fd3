#!/usr/bin/env bash
# Debian packages BenchBar needs to build and test on Linux (idempotent; root or sudo).
#   build-essential pkg-config  C/C++ for the cxx bridge to MLX, rusqlite's bundled SQLite
#   libclang-dev                bindgen for the macOS type-check stand-in (scripts/check-macos.sh)
#   libopenblas0-pthread        fast BLAS for MLX's CPU backend (linked ahead of libmlx)
#   python3-venv                the project venv with MLX + mlx_lm (scripts/setup-python.sh)
#   chromium                    headless browser for the app UI tests (ui/, playwright-core)
#   libwebkit2gtk-4.1-dev ...   Tauri v2 on Linux (the menu-bar app, src-tauri/): WebKitGTK,
#                               GTK 3, libsoup 3, the tray's appindicator, librsvg, libxdo, OpenSSL
#   xvfb xauth webkit2gtk-driver  the app's end-to-end test (tauri-driver + WebKitWebDriver
#                               under a virtual display)
#   prometheus prometheus-pushgateway  the metrics exporter's test against the real servers
#   e2fsprogs                   chattr: read-only database tests that bind root too
set -euo pipefail
PKGS=(build-essential pkg-config libclang-dev libopenblas0-pthread python3-venv chromium
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev file
  xvfb xauth webkit2gtk-driver prometheus prometheus-pushgateway e2fsprogs)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# python3-venv is only needed for a Debian python; the pyenv/official builds ship venv.
if python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<<"${missing[*]}"
[ "${#missing[@]}" -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "setup-system: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
