#!/usr/bin/env python3
"""Helpers of scripts/gpu_bench.sh (BenchBar vs mlx_lm on an NVIDIA GPU with MLX CUDA).

    gpu_bench.py models --out DIR --tokenizer TOKDIR [--shapes qwen3-1.7b,qwen3-8b]
        random-weight checkpoints DIR/<shape>-bf16 and DIR/<shape>-4bit (mlx_lm's own Qwen3
        model, seeded, saved with mlx_lm's save_model; 4-bit = MLX affine, group 64); the
        mixture-of-experts and hybrid shapes of FAMILY (qwen3-30b-a3b, qwen3.5-9b) only as
        DIR/<shape>-4bit, quantized by mlx_lm's converter code (its 8-bit routers) straight from
        the lazily made bf16 weights (their bf16 copies would not fit the device's disk)
    gpu_bench.py bandwidth --json OUT
        device memory bandwidth of a 4 GiB bf16 array, each the fastest of 50 after at least 1 s
        of the same (clocks up; a median taken while the GPU is still slow understates it): read
        (the faster of a row reduction and a matrix-vector product: what a decode step does; the
        roofline's denominator) and copy (read + written; the denominator before run 30)
    gpu_bench.py mlxlm --model DIR -p P -g G -b B -n N --json OUT
        `python -m mlx_lm benchmark` with the GPU's NVML energy counter sampled alongside: the
        energy of the timed trials (first trial start .. last trial end, from each trial's
        total_time and when its line was printed) over the tokens they generated
    gpu_bench.py report --dir RESULTS
        one table from the JSON files (rows: model, weights, batch; both engines)
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Mixture-of-experts and hybrid shapes (config.json as published, random weights).
QWEN3_30B_A3B = dict(  # Qwen/Qwen3-30B-A3B's config.json (issue #21: 48 layers, 128 experts, 8 active)
    model_type="qwen3_moe", architectures=["Qwen3MoeForCausalLM"], hidden_size=2048,
    num_hidden_layers=48, num_attention_heads=32, num_key_value_heads=4, head_dim=128,
    intermediate_size=6144, num_experts=128, num_experts_per_tok=8, moe_intermediate_size=768,
    decoder_sparse_step=1, mlp_only_layers=[], norm_topk_prob=True, tie_word_embeddings=False,
    max_position_embeddings=40960, rope_theta=1000000, rms_norm_eps=1e-6, vocab_size=151936,
    eos_token_id=151645, torch_dtype="bfloat16")
QWEN3_5_9B_TEXT = dict(  # Qwen/Qwen3.5-9B's config.json text_config (as a public test fixture copies it)
    model_type="qwen3_5_text", hidden_size=4096, intermediate_size=12288, num_hidden_layers=32,
    full_attention_interval=4, num_attention_heads=16, num_key_value_heads=4, head_dim=256,
    linear_num_key_heads=16, linear_num_value_heads=32, linear_key_head_dim=128,
    linear_value_head_dim=128, linear_conv_kernel_dim=4, vocab_size=248320, rms_norm_eps=1e-6,
    tie_word_embeddings=False, max_position_embeddings=262144, eos_token_id=248044,
    rope_parameters={"rope_type": "default", "rope_theta": 10000000, "partial_rotary_factor": 0.25,
                     "mrope_section": [11, 11, 10], "mrope_interleaved": True})


def qwen3_5(text):
    return {"model_type": "qwen3_5", "architectures": ["Qwen3_5ForConditionalGeneration"],
            "text_config": text, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}


FAMILY = {
    "qwen3-30b-a3b": QWEN3_30B_A3B,
    "qwen3.5-9b": qwen3_5(QWEN3_5_9B_TEXT),
    # the same kinds at a tiny size: the script checked on a CPU before a device run
    "tiny-qwen3-moe": dict(QWEN3_30B_A3B, hidden_size=64, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                           num_experts=8, num_experts_per_tok=2, moe_intermediate_size=64),
    "tiny-qwen3.5": qwen3_5(dict(QWEN3_5_9B_TEXT, hidden_size=64, intermediate_size=128,
                                 num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                                 head_dim=16, linear_num_key_heads=2, linear_num_value_heads=4,
                                 linear_key_head_dim=32, linear_value_head_dim=32)),
}


def write_files(d, cfg, tok):
    """config.json, generation_config.json and the tokenizer beside a saved model."""
    import shutil

    from mlx_lm.utils import save_config

    save_config(cfg, d / "config.json")
    (d / "generation_config.json").write_text(
        json.dumps({"bos_token_id": 151643, "eos_token_id": [151645, 151643]})
    )
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tok / f, d / f)


def family_model(shape, out, tok, seed):
    """DIR/<shape>-4bit of a FAMILY shape: made lazily in bf16 (A_log kept f32, as mlx_lm's
    converter keeps it), quantized to 4 bits with the model's own predicate, then evaluated."""
    import copy

    import mlx.core as mx
    from mlx.utils import tree_map_with_path
    from mlx_lm.utils import _get_classes, quantize_model, save_model

    d = Path(out) / f"{shape}-4bit"
    if (d / "config.json").exists():
        return
    t0 = time.time()
    cfg = copy.deepcopy(FAMILY[shape])
    mx.random.seed(seed)
    model_class, args_class = _get_classes(config=cfg)
    model = model_class(args_class.from_dict(copy.deepcopy(cfg)))
    keep = getattr(model, "cast_predicate", lambda _: True)
    model.update(tree_map_with_path(
        lambda k, v: v.astype(mx.bfloat16) if keep(k) and mx.issubdtype(v.dtype, mx.floating) else v,
        model.parameters()))
    model, cfg = quantize_model(model, cfg, 64, 4)
    for layer in model.layers:  # a layer at a time: bounded peak memory
        mx.eval(layer.parameters())
    mx.eval(model.parameters())
    d.mkdir(parents=True, exist_ok=True)
    save_model(d, model)
    write_files(d, cfg, tok)
    print(f"gpu_bench: wrote {d} ({time.time() - t0:.0f} s)", flush=True)
    del model
    mx.clear_cache()


def cmd_models(args):
    import mlx.core as mx
    from mlx_lm.models import qwen3
    from mlx_lm.utils import quantize_model, save_model

    sys.path.insert(0, str(HERE))
    import make_fixtures  # shapes and config (no tokenizer building here: TOKDIR is given)

    tok = Path(args.tokenizer)
    for shape in args.shapes.split(","):
        if shape in FAMILY:
            family_model(shape, args.out, tok, args.seed)
            continue
        cfg = make_fixtures.model_config(shape)
        cfg["torch_dtype"] = "bfloat16"
        dirs = {v: Path(args.out) / f"{shape}-{v}" for v in ("bf16", "4bit")}
        if all((d / "config.json").exists() for d in dirs.values()):
            continue
        t0 = time.time()
        mx.random.seed(args.seed)
        model = qwen3.Model(qwen3.ModelArgs.from_dict(cfg))
        model.set_dtype(mx.bfloat16)
        mx.eval(model.parameters())
        for variant, d in dirs.items():
            c = dict(cfg)
            if variant == "4bit":
                model, c = quantize_model(model, c, 64, 4)
                mx.eval(model.parameters())
            d.mkdir(parents=True, exist_ok=True)
            save_model(d, model)
            write_files(d, c, tok)
            print(f"gpu_bench: wrote {d} ({time.time() - t0:.0f} s)", flush=True)
        del model
        mx.clear_cache()


def cmd_bandwidth(args):
    import mlx.core as mx

    n = 2 * 1024**3  # elements: 4 GiB of bf16
    x = mx.random.uniform(shape=(n // 1024, 1024)).astype(mx.bfloat16)
    w = x.reshape(n // 4096, 4096)
    v = mx.ones((4096,), dtype=mx.bfloat16)
    mx.eval(x, v)

    def timed(op):
        t = time.perf_counter()
        mx.eval(op())
        return time.perf_counter() - t

    def fastest(op):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 1.0:  # warm-up: clocks up, buffers cached
            timed(op)
        times = sorted(timed(op) for _ in range(50))
        return times[0], times[len(times) // 2]

    # read + write: every element read and written once
    best, med = fastest(lambda: x * 1)
    # read: every element read once, the output 1/1024 (row maxima) or 1/4096 (a matrix-vector
    # product, what a decode step's projections do) of it
    red_best, _ = fastest(lambda: mx.max(x, axis=1))
    gemv_best, _ = fastest(lambda: w @ v)
    read_gbps = max(x.nbytes / red_best, x.nbytes / gemv_best) / 1e9
    gbps = 2 * x.nbytes / best / 1e9
    out = {"bytes_moved": 2 * x.nbytes, "fastest_s": best, "median_s": med, "gb_per_s": gbps,
           "median_gb_per_s": 2 * x.nbytes / med / 1e9,
           "read_gb_per_s": read_gbps,
           "read_reduce_gb_per_s": x.nbytes / red_best / 1e9,
           "read_gemv_gb_per_s": x.nbytes / gemv_best / 1e9,
           "device": str(mx.default_device()),
           "name": mx.device_info().get("device_name", "?")}
    Path(args.json).write_text(json.dumps(out, indent=2))
    print(f"gpu_bench: bandwidth read {read_gbps:.0f} GB/s (fastest of 50 row reductions "
          f"{out['read_reduce_gb_per_s']:.0f}, of 50 matrix-vector products "
          f"{out['read_gemv_gb_per_s']:.0f}); copy {gbps:.0f} GB/s (read + write, fastest of 50; "
          f"median {out['median_gb_per_s']:.0f})", flush=True)


class EnergySampler:
    """NVML total-energy counter (mJ) of GPU 0, sampled every 10 ms with wall-clock times
    (time.time(): comparable with the Unix times BenchBar writes to BENCHBAR_MLX_TRACE)."""

    def __init__(self):
        import pynvml

        pynvml.nvmlInit()
        self.nvml = pynvml
        self.h = pynvml.nvmlDeviceGetHandleByIndex(0)
        self.samples = []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop:
            mj = self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.h)
            self.samples.append((time.time(), mj / 1000.0))
            time.sleep(0.01)

    def joules(self, t0, t1):
        def at(t):
            s = self.samples
            for (ta, ja), (tb, jb) in zip(s, s[1:]):
                if ta <= t <= tb:
                    return ja + (jb - ja) * (t - ta) / max(tb - ta, 1e-9)
            return None

        a, b = at(t0), at(t1)
        return None if a is None or b is None else b - a


def cmd_mlxlm(args):
    try:
        energy = EnergySampler()
        energy.t.start()
    except Exception as e:  # no NVML: figures without energy
        print(f"gpu_bench: no NVML energy ({e})", file=sys.stderr)
        energy = None
    cmd = [sys.executable, "-m", "mlx_lm", "benchmark", "--model", args.model, "-p", str(args.p),
           "-g", str(args.g), "-b", str(args.b), "-n", str(args.n)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    trials, avg = [], None
    for line in proc.stdout:
        now = time.time()
        sys.stdout.write("  mlx_lm| " + line)
        m = dict(re.findall(r"(\w+)=([0-9.]+)", line))
        if line.startswith("Trial") and "total_time" in m:
            trials.append({k: float(v) for k, v in m.items()} | {"end": now})
        elif line.startswith("Averages:"):
            avg = {k: float(v) for k, v in m.items()}
    rc = proc.wait()
    if energy:
        time.sleep(0.05)
        energy.stop = True
        energy.t.join()
    out = {"rc": rc, "trials": trials, "averages": avg, "p": args.p, "g": args.g, "b": args.b}
    if energy and trials:
        js = [energy.joules(t["end"] - t["total_time"], t["end"]) for t in trials]
        if None not in js:
            out["energy_j"] = sum(js)
            out["joules_per_token"] = sum(js) / (len(trials) * args.b * args.g)
    Path(args.json).write_text(json.dumps(out, indent=2))
    if rc != 0:
        sys.exit(rc)


def cmd_bbrun(args):
    """Run `benchbar run ... --format json` (args after --) with NVML energy sampled alongside;
    the timed generate calls come from BENCHBAR_MLX_TRACE (the last `--reps` lines)."""
    import os
    import tempfile

    try:
        energy = EnergySampler()
        energy.t.start()
    except Exception as e:  # no NVML: no energy figure
        print(f"gpu_bench: no NVML energy ({e})", file=sys.stderr)
        energy = None
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    trace = tempfile.NamedTemporaryFile(delete=False, suffix=".trace").name
    env = dict(os.environ, BENCHBAR_MLX_TRACE=trace)
    with open(args.json, "w") as out:
        rc = subprocess.call(cmd, stdout=out, env=env)
    if energy:
        time.sleep(0.05)
        energy.stop = True
        energy.t.join()
    lines = [l.split() for l in Path(trace).read_text().splitlines() if l.strip()]
    # start, end, tokens[, median host µs per step building and encoding the graph]
    timed = lines[-args.reps:]
    calls = [(float(l[0]), float(l[1]), int(l[2])) for l in timed]
    js = [energy.joules(a, b) for a, b, _ in calls] if energy else [None]
    tokens = sum(n for _, _, n in calls)
    res = {"calls": calls, "rc": rc}
    if timed and all(len(l) >= 5 for l in timed):
        res |= {"build_us": statistics.median(float(l[3]) for l in timed),
                "encode_us": statistics.median(float(l[4]) for l in timed)}
    if calls and None not in js and tokens:
        res |= {"energy_j": sum(js), "joules_per_token": sum(js) / tokens}
    Path(args.json + ".energy").write_text(json.dumps(res, indent=2))
    sys.exit(rc)


def bytes_per_step(model_dir, b, ctx):
    """Bytes one decode step must read: every weight tensor (less the embedding table when the
    head is untied: one row of it is gathered; of a mixture of experts' routed experts only the
    k of E a token uses; never a vision tower or multi-token-prediction head) plus, per row, the
    KV cache of the attention layers at `ctx` positions (bf16) and a hybrid's Gated DeltaNet
    state (f32 recurrent state, bf16 convolution inputs)."""
    import struct

    cfg = json.loads((Path(model_dir) / "config.json").read_text())
    cfg = cfg.get("text_config", cfg)
    experts = cfg.get("num_experts") or 0
    share = cfg.get("num_experts_per_tok", 0) / experts if experts else 1.0
    total = 0
    for f in Path(model_dir).glob("*.safetensors"):
        with open(f, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
        for name, t in header.items():
            if name == "__metadata__" or "vision_tower" in name or "visual." in name or "mtp." in name:
                continue
            size = t["data_offsets"][1] - t["data_offsets"][0]
            if not cfg.get("tie_word_embeddings", True) and "embed_tokens" in name:
                continue
            total += size * (share if ".switch_mlp." in name else 1.0)
    layers = cfg["num_hidden_layers"]
    interval = cfg.get("full_attention_interval") if "linear_num_value_heads" in cfg else None
    attn = sum(1 for l in range(layers) if not interval or (l + 1) % interval == 0)
    kv = attn * 2 * cfg["num_key_value_heads"] * cfg["head_dim"] * 2 * ctx
    state = 0
    if interval:
        hk, hv = cfg["linear_num_key_heads"], cfg["linear_num_value_heads"]
        dk, dv = cfg["linear_key_head_dim"], cfg["linear_value_head_dim"]
        conv = (cfg.get("linear_conv_kernel_dim", 4) - 1) * (2 * hk * dk + hv * dv) * 2
        state = (layers - attn) * (hv * dv * dk * 4 + conv)
    return int(total) + b * (kv + state)


def stat(summary, key):
    v = summary.get(key)
    return v.get("mean") if isinstance(v, dict) else None


def gaps_check(cell):
    """Mean over trials of (last gap / median gap) and (first gap / median gap) of row 0: with
    timestamps shifted by one step (token i stamped when i + 1 is done) the last gap is ~0."""
    last, first = [], []
    for t in cell.get("trials", []):
        reqs = t.get("requests") or []
        if not reqs:
            continue
        ts = reqs[0]["token_offsets_ns"]
        g = sorted(b - a for a, b in zip(ts, ts[1:]))
        if len(g) < 3:
            continue
        med = g[len(g) // 2]
        gaps = [b - a for a, b in zip(ts, ts[1:])]
        last.append(gaps[-1] / med)
        first.append(gaps[0] / med)
    n = len(last)
    return (sum(last) / n, sum(first) / n) if n else (None, None)


def cmd_ablation(args):
    d = Path(args.dir) / "ablation"
    print("| model | compile | fuse | pipeline | decode tok/s | TTFT ms | last gap / median gap | "
          "first gap / median gap |")
    print("|---|---|---|---|---|---|---|---|")
    for f in sorted(d.glob("bb-*.json")):
        c, fuse, mode, rest = f.stem[3:].split("-", 3)
        model = rest.rsplit("-b", 1)[0]
        try:
            cell = json.loads(f.read_text())["cells"][0]
        except Exception as e:
            print(f"| {model} | {c} {fuse} {mode} | failed: {e} |")
            continue
        s = cell["summary"]
        lg, fg = gaps_check(cell)
        fmt = lambda x, p="{:.2f}": "–" if x is None else p.format(x)
        mode = {"0": "strict (0)", "1": "read (1)"}.get(mode, mode)
        onoff = lambda x: "on" if x.endswith("1") else "off"
        print(f"| {model} | {onoff(c)} | {onoff(fuse)} | {mode} "
              f"| {fmt(stat(s, 'decode_tps'), '{:.1f}')} | {fmt(stat(s, 'ttft_ms'), '{:.1f}')} "
              f"| {fmt(lg)} | {fmt(fg)} |")


def cmd_report(args):
    d = Path(args.dir)
    bw = json.loads((d / "bandwidth.json").read_text())
    copy_gbps = bw["gb_per_s"]
    # The roofline divides by what a decode step does, reading; the copy figure stays beside it
    # (files of runs before the read measure have only the copy figure).
    gbps = bw.get("read_gb_per_s", copy_gbps)
    rows = []
    pre = args.prefix + "-"
    for f in sorted(d.glob(pre + "*.json"), key=lambda f: (f.stem.rsplit("-b", 1)[0], int(f.stem.rsplit("-b", 1)[1]))):
        key = f.stem[len(pre):]  # <model>-b<B>
        model, b = key.rsplit("-b", 1)
        b = int(b)
        mf = d / f"mlxlm-{key}.json"
        try:
            bb = json.loads(f.read_text())
        except Exception:
            continue
        mx = json.loads(mf.read_text()) if mf.exists() else None
        cell = bb["cells"][0]
        s = cell["summary"]
        g = int(cell.get("gen_tokens") or args.g)
        bb_dec = stat(s, "decode_tps")  # aggregate over the batch's rows
        bb_pre = stat(s, "prefill_tps")
        peak = stat(s, "peak_memory_bytes")
        bb_j = (cell.get("power") or {}).get("joules_per_token")
        ef = Path(str(f) + ".energy")
        if bb_j is None and ef.exists():
            bb_j = json.loads(ef.read_text()).get("joules_per_token")
        mx_dec = mx_pre = mx_peak = mx_j = None
        if mx and mx.get("averages"):
            a = mx["averages"]
            # mlx_lm: generation_tps = B*G / decode span (batch: aggregate); BenchBar's
            # definition counts G - 1 gaps per row
            mx_dec = a["generation_tps"] * (g - 1) / g
            mx_pre = a["prompt_tps"]
            mx_peak = a["peak_memory"]
            mx_j = mx.get("joules_per_token")
        ctx = int(cell.get("prompt_tokens") or 512) + g // 2
        step = bytes_per_step(Path(args.models) / model, b, ctx) if args.models else None
        roof = b * gbps * 1e9 / step if step else None  # tokens/s of the batch at the floor
        roof_copy = b * copy_gbps * 1e9 / step if step else None
        rows.append((model, b, bb_pre, mx_pre, bb_dec, mx_dec, peak, mx_peak, roof, bb_j, mx_j,
                     roof_copy))
        lg, fg = gaps_check(cell)
        if lg is not None:
            print(f"{model} b={b}: BenchBar last gap / median gap {lg:.2f}, first {fg:.2f}; "
                  f"engine {bb.get('engine', {}).get('version')}")

    def f(x, fmt="{:.0f}"):
        return "–" if x is None else fmt.format(x)

    print(f"bandwidth (measured on {bw.get('name')}): read {gbps:.0f} GB/s (the roofline's "
          f"denominator; fastest of 50 row reductions / matrix-vector products), copy "
          f"{copy_gbps:.0f} GB/s (read + write, fastest of 50 copies)")
    print("| model | batch | prefill tok/s BenchBar | prefill mlx_lm | decode tok/s BenchBar | "
          "decode mlx_lm | decode ratio | % roofline BenchBar | % roofline mlx_lm | "
          "% copy roofline BenchBar | "
          "peak GB BenchBar | peak GB mlx_lm | J/token BenchBar | J/token mlx_lm |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, b, bp, mp, bd, md, pk, mpk, roof, bj, mj, rc in rows:
        ratio = bd / md if bd and md else None
        rf = roof
        print(f"| {model} | {b} | {f(bp)} | {f(mp)} | {f(bd)} | {f(md)} | {f(ratio, '{:.2f}x')} "
              f"| {f(bd / rf * 100 if rf and bd else None, '{:.0f}%')} "
              f"| {f(md / rf * 100 if rf and md else None, '{:.0f}%')} "
              f"| {f(bd / rc * 100 if rc and bd else None, '{:.0f}%')} "
              f"| {f(pk / 1e9 if pk else None, '{:.1f}')} | {f(mpk, '{:.1f}')} "
              f"| {f(bj, '{:.3f}')} | {f(mj, '{:.3f}')} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("models")
    m.add_argument("--out", required=True)
    m.add_argument("--tokenizer", required=True)
    m.add_argument("--shapes", default="qwen3-1.7b,qwen3-8b")
    m.add_argument("--seed", type=int, default=0)
    b = sub.add_parser("bandwidth")
    b.add_argument("--json", required=True)
    x = sub.add_parser("mlxlm")
    x.add_argument("--model", required=True)
    x.add_argument("-p", type=int, default=512)
    x.add_argument("-g", type=int, default=128)
    x.add_argument("-b", type=int, default=1)
    x.add_argument("-n", type=int, default=3)
    x.add_argument("--json", required=True)
    r = sub.add_parser("report")
    r.add_argument("--dir", required=True)
    r.add_argument("--models", help="model directory (for weight bytes: the roofline)")
    r.add_argument("-g", type=int, default=128)
    r.add_argument("--prefix", default="bb", help="BenchBar result files: PREFIX-<model>-b<B>.json")
    w = sub.add_parser("bbrun")
    w.add_argument("--json", required=True)
    w.add_argument("--reps", type=int, required=True)
    w.add_argument("command", nargs=argparse.REMAINDER)
    a = sub.add_parser("ablation")
    a.add_argument("--dir", required=True)
    args = ap.parse_args()
    {"models": cmd_models, "bandwidth": cmd_bandwidth, "mlxlm": cmd_mlxlm, "report": cmd_report,
     "ablation": cmd_ablation, "bbrun": cmd_bbrun}[args.cmd](args)


if __name__ == "__main__":
    main()
