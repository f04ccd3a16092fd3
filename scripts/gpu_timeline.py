#!/usr/bin/env python3
"""Where the time of one decode step goes on the GPU, from an Nsight Systems kernel trace.

Input: the CSV of `nsys stats --report cuda_gpu_trace --format csv` over a batch-1 `benchbar run`
(traced with `--cuda-graph-trace=node`, so every kernel of MLX's CUDA graphs is a row). A decode
step ends with the sampling kernel (`arg_reduce`, one per token); a step is the stretch from the
end of one to the end of the next. Per step: its wall time, the time at least one kernel (or
copy) ran (busy), kernels, and the idle gaps between kernels — all of them, and those over
GAP_US (bubbles: the GPU waiting for the host). The table is the median over the steps after
the first SKIP (JIT compilation and cache warm-up), plus the kernels taking the most time.

    gpu_timeline.py --csv trace_cuda_gpu_trace.csv --title "8B bf16, default"
"""

import argparse
import csv
import statistics
from pathlib import Path

GAP_US = 5.0
SKIP = 8


def read_trace(path):
    """(start ns, duration ns, name) of every row, sorted by start."""
    rows = list(csv.reader(Path(path).read_text(errors="replace").splitlines()))
    head_i = next(i for i, r in enumerate(rows) if any("Start" in c for c in r))
    head = rows[head_i]
    s_i = next(i for i, c in enumerate(head) if c.startswith("Start"))
    d_i = next(i for i, c in enumerate(head) if c.startswith("Duration"))
    n_i = head.index("Name")
    out = []
    for r in rows[head_i + 1:]:
        if len(r) > max(s_i, d_i, n_i) and r[s_i].strip():
            out.append((int(float(r[s_i])), int(float(r[d_i])), r[n_i]))
    return sorted(out)


def steps(trace, marker="arg_reduce"):
    """Per decode step: wall µs, busy µs, kernels, gap µs, bubbles (> GAP_US) and their µs,
    largest gap µs, and the kernels' µs by short name."""
    ends = [s + d for s, d, n in trace if marker in n]
    out = []
    for a, b in zip(ends, ends[1:]):
        ks = [(s, d, n) for s, d, n in trace if a <= s < b]
        busy = gaps = bubbles_us = largest = 0.0
        bubbles = 0
        cursor = a
        per = {}
        for s, d, n in ks:
            gap = max(0, s - cursor) / 1e3
            gaps += gap
            largest = max(largest, gap)
            if gap > GAP_US:
                bubbles += 1
                bubbles_us += gap
            busy += max(0, s + d - max(s, cursor)) / 1e3
            cursor = max(cursor, s + d)
            short = n.split("(")[0].split("<")[0].strip().removeprefix("void ")
            per[short] = per.get(short, 0.0) + d / 1e3
        out.append({"wall": (b - a) / 1e3, "busy": busy, "kernels": len(ks), "gaps": gaps,
                    "bubbles": bubbles, "bubbles_us": bubbles_us, "largest": largest, "per": per})
    return out


def report(title, st, top=10):
    use = st[SKIP:] if len(st) > SKIP + 2 else st
    if not use:
        print(f"{title}: no decode steps found")
        return
    med = {k: statistics.median(s[k] for s in use) for k in
           ("wall", "busy", "kernels", "gaps", "bubbles", "bubbles_us", "largest")}
    print(f"{title}: {len(use)} decode steps (median per step)")
    print("| wall µs | busy µs | busy | kernels | idle µs | bubbles > 5 µs | their µs | largest gap µs |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {med['wall']:.0f} | {med['busy']:.0f} | {100 * med['busy'] / med['wall']:.0f}% "
          f"| {med['kernels']:.0f} | {med['gaps']:.0f} | {med['bubbles']:.0f} "
          f"| {med['bubbles_us']:.0f} | {med['largest']:.0f} |")
    names = {n for s in use for n in s["per"]}
    per = {n: statistics.median(s["per"].get(n, 0.0) for s in use) for n in names}
    print("| kernel | µs per step |")
    print("|---|---|")
    for n, us in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {n} | {us:.0f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--title", default="timeline")
    args = ap.parse_args()
    report(args.title, steps(read_trace(args.csv)))


if __name__ == "__main__":
    main()
