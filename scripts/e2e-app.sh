#!/usr/bin/env bash
# End-to-end test of the menu-bar app: the real app (debug build, real MLX engine on
# builtin:tiny) driven by tauri-driver + WebKitWebDriver under Xvfb. Screenshots land in
# ui/test-results/e2e-*.png. Needs: scripts/setup-system.sh (xvfb, webkit2gtk-driver), the UI
# built (ui/dist), `cargo build -p benchbar-app -p benchbar-cli`, fixtures (scripts/fixtures.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="$TARGET/tools"
# tauri-driver from crates.io, cached under target/ (30-80 s the first time).
if [ ! -x "$TOOLS/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked --version '^2' --root "$TOOLS" -q
fi
WORK="$(mktemp -d)"
# Everything started below (Xvfb, tauri-driver, WebKitWebDriver, the app) runs in one process
# group of its own (job control on), which is killed whole on any exit, Ctrl-C included: no
# driver is left behind, whether the test passes, fails or is interrupted.
set -m
E2E_PGID=""
cleanup() {
  if [ -n "$E2E_PGID" ]; then
    kill -TERM -- "-$E2E_PGID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$E2E_PGID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$E2E_PGID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export BENCHBAR_DB="$WORK/history.db"
export BENCHBAR_SETTINGS="$WORK/settings.json"
export BENCHBAR_FIXTURES="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}"
export BENCHBAR_MODELS_DIR="${BENCHBAR_MODELS_DIR:-$BENCHBAR_FIXTURES}"
export BENCHBAR_APP_BIN="$TARGET/debug/benchbar-app"
export BENCHBAR_CLI_BIN="$TARGET/debug/benchbar"
# No accessibility bus or GPU in a container: quieter and steadier WebKit.
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
NATIVE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export TAURI_DRIVER_URL="http://127.0.0.1:$PORT"
xvfb-run -a -s "-screen 0 1920x1700x24" bash -c '
  "$0" --port "$1" --native-port "$2" --native-driver /usr/bin/WebKitWebDriver >"$3/driver.log" 2>&1 &
  DRIVER_PID=$!
  trap "kill \$DRIVER_PID 2>/dev/null || true" EXIT
  python3 - <<PY
import time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen("$TAURI_DRIVER_URL/status", timeout=1); break
    except Exception:
        time.sleep(0.1)
PY
  node --test ui/e2e/app.e2e.mjs; rc=$?
  [ $rc -eq 0 ] || tail -50 "$3/driver.log"
  exit $rc
' "$TOOLS/bin/tauri-driver" "$PORT" "$NATIVE" "$WORK" &
E2E_PGID=$!
rc=0
wait "$E2E_PGID" || rc=$?
exit "$rc"
