#!/usr/bin/env bash
# What living in the menu bar costs: the release app, idle, under Xvfb on Linux, measured from
# its own process tree (the app and any WebKit processes it started) over a window of
# DURATION_S seconds (default 600): CPU time as % of one core (its own user + system time, so
# other load on the machine does not count) and resident memory (the tree's summed RSS: mean
# and max of 1-second samples). Two cases: no window open, then the dashboard open but idle.
# Goal (issue #22): CPU <= 0.5 % of one core, RSS <= 80 MB with no window open.
#
#   scripts/idle-cost.sh [DURATION_S]      (needs xvfb; builds the release app if missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION_S="${1:-600}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
APP="${BENCHBAR_APP_BIN:-$TARGET/release/benchbar-app}"
[ -x "$APP" ] || { (cd ui && npm run build >/dev/null) && cargo build --release -p benchbar-app; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export BENCHBAR_DB="$WORK/history.db" BENCHBAR_SETTINGS="$WORK/settings.json"
export NO_AT_BRIDGE=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1

measure() { # $1: label, remaining: app arguments
  local label="$1"; shift
  xvfb-run -a -s "-screen 0 1280x1024x24" python3 - "$APP" "$DURATION_S" "$label" "$@" <<'PY'
import os, subprocess, sys, time
app, duration, label, args = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
tick = os.sysconf("SC_CLK_TCK")
page = os.sysconf("SC_PAGE_SIZE")

def tree(root):
    """The root pid and every descendant (WebKit's web and network processes)."""
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                ppid = int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

def sample(root):
    cpu, rss = 0, 0
    for p in tree(root):
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            cpu += int(f[11]) + int(f[12])          # utime + stime, ticks
            rss += int(open(f"/proc/{p}/statm").read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
    return cpu, rss

proc = subprocess.Popen([app, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    time.sleep(15)                                    # start-up done, window drawn
    cpu0, _ = sample(proc.pid)
    t0 = time.monotonic()
    rss = []
    while time.monotonic() - t0 < duration:
        time.sleep(1)
        rss.append(sample(proc.pid)[1])
    cpu1, _ = sample(proc.pid)
    wall = time.monotonic() - t0
    pct = (cpu1 - cpu0) / tick / wall * 100
    mb = lambda b: b / 1e6
    print(f"{label}: CPU {pct:.2f} % of one core over {wall:.0f} s; "
          f"RSS mean {mb(sum(rss) / len(rss)):.1f} MB, max {mb(max(rss)):.1f} MB "
          f"({len(tree(proc.pid))} processes)")
finally:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
PY
}

echo "idle-cost: $APP, $DURATION_S s per case, $(date -u +%FT%TZ), $(nproc) cores"
measure "menu bar only (no window)"
measure "dashboard open, idle" --show dashboard
