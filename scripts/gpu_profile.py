#!/usr/bin/env python3
"""Where the time of a decode step goes: three readings of one run.

    gpu_profile.py ncu --csv run.csv --title T        per-kernel GPU time (Nsight Compute)
    gpu_profile.py timeline --csv trace.csv --title T one step's wall, busy and idle GPU time
    gpu_profile.py host --dir RESULTS                 host µs per step (BENCHBAR_MLX_TRACE)

ncu: the raw CSV of `ncu --metrics gpu__time_duration.sum --csv --page raw`; kernels summed by
name. host: the `.energy` files `gpu_bench.py bbrun` writes, with the engine's median host time
per decode step building the graph and encoding it (MLX's `async_eval`) next to the step time
(1 / mean decode tok/s at batch 1): a step whose host time is about its wall time waits for the host.

timeline: the CSV of `nsys stats --report cuda_gpu_trace --format csv` over a batch-1 `benchbar run`
(traced with `--cuda-graph-trace=node`, so every kernel of MLX's CUDA graphs is a row). A decode
step ends with the sampling kernel (`arg_reduce`, one per token); a step is the stretch from the
end of one to the end of the next. Per step: its wall time, the time at least one kernel (or
copy) ran (busy), kernels, and the idle gaps between kernels — all of them, and those over
GAP_US (bubbles: the GPU waiting for the host). The table is the median over the steps after
the first SKIP (JIT compilation and cache warm-up), plus the kernels taking the most time.

"""

import argparse
import csv
import json
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


def cmd_ncu(args):
    """Per-kernel GPU time from an Nsight Compute raw CSV (gpu__time_duration.sum): a Markdown
    table of the kernels taking the most time, with calls and total µs, and the sum."""
    lines = Path(args.csv).read_text(errors="replace").splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('"ID"')), None)
    if start is None:
        print(f"{args.csv}: no ncu table (see the .log next to it)")
        return
    rows = list(csv.reader(lines[start:]))
    head, units, data = rows[0], rows[1], rows[2:]
    name_i, t_i = head.index("Kernel Name"), head.index("gpu__time_duration.sum")
    scale = {"ns": 1e-3, "nsecond": 1e-3, "us": 1.0, "usecond": 1.0, "ms": 1e3, "msecond": 1e3}[units[t_i]]
    per = {}
    for r in data:
        if len(r) <= max(name_i, t_i):
            continue
        name = r[name_i].split("(")[0].split("<")[0].strip().removeprefix("void ")
        calls, us = per.get(name, (0, 0.0))
        per[name] = (calls + 1, us + float(r[t_i].replace(",", "")) * scale)
    total = sum(us for _, us in per.values())
    print(f"{args.title}: {len(data)} kernels, {total:,.0f} µs of GPU time")
    print("| kernel | calls | total µs | share |")
    print("|---|---|---|---|")
    for name, (calls, us) in sorted(per.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"| {name} | {calls} | {us:,.0f} | {100 * us / total:.1f}% |")


def cmd_host(args):
    """Host µs per decode step (build, encode) against the step's wall time, per BenchBar run."""
    print("| run | decode tok/s | step µs | build µs | encode µs | host share |")
    print("|---|---|---|---|---|---|")
    for e in sorted(Path(args.dir).glob("bb*-b1.json.energy")):
        h = json.loads(e.read_text())
        try:
            cell = json.loads(Path(str(e)[: -len(".energy")]).read_text())["cells"][0]
            tps = cell["summary"]["decode_tps"]["mean"]
        except (OSError, KeyError, TypeError, ValueError):
            tps = None
        if "build_us" not in h or not tps:
            continue
        step = 1e6 / tps
        host = h["build_us"] + h["encode_us"]
        print(f"| {e.name[: -len('.json.energy')]} | {tps:.0f} | {step:.0f} | {h['build_us']:.0f} "
              f"| {h['encode_us']:.0f} | {100 * host / step:.0f}% |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("ncu")
    n.add_argument("--csv", required=True)
    n.add_argument("--title", default="ncu")
    n.add_argument("--top", type=int, default=25)
    t = sub.add_parser("timeline")
    t.add_argument("--csv", required=True)
    t.add_argument("--title", default="timeline")
    h = sub.add_parser("host")
    h.add_argument("--dir", required=True)
    args = ap.parse_args()
    if args.cmd == "timeline":
        report(args.title, steps(read_trace(args.csv)))
    else:
        {"ncu": cmd_ncu, "host": cmd_host}[args.cmd](args)


if __name__ == "__main__":
    main()
