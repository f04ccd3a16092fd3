#!/usr/bin/env python3
"""Cross-check BenchBar's NVML energy against NVML's own counter, read independently.

On an NVIDIA GPU machine, with the GPU loaded (bf16 matrix products through PyTorch):
  1. starts BenchBar's power window (examples/power_window: the same measure_window code path
     as `benchbar power`), which prints `window-open` / `window-close` as it takes its counter
     snapshots;
  2. reads nvmlDeviceGetTotalEnergyConsumption (pynvml) for every GPU at those two moments;
  3. prints BenchBar's GPU joules, NVML's delta, their difference, and PASS when within 2%.

usage: python3 scripts/nvml_check.py PATH/TO/power_window [SECONDS]
"""
import json
import subprocess
import sys
import threading
import time

import pynvml
import torch


def nvml_total_mj(handles):
    return sum(pynvml.nvmlDeviceGetTotalEnergyConsumption(h) for h in handles)


def load_gpu(stop):
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    while not stop.is_set():
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()


def main():
    binary = sys.argv[1]
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    pynvml.nvmlInit()
    handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    names = [pynvml.nvmlDeviceGetName(h) for h in handles]
    stop = threading.Event()
    loader = threading.Thread(target=load_gpu, args=(stop,), daemon=True)
    loader.start()
    time.sleep(2.0)  # reach steady load before the window opens
    proc = subprocess.Popen([binary, str(seconds)], stdout=subprocess.PIPE, text=True)
    e0 = e1 = None
    report = None
    for line in proc.stdout:
        line = line.strip()
        if line == "window-open":
            e0 = nvml_total_mj(handles)
        elif line == "window-close":
            e1 = nvml_total_mj(handles)
        elif line.startswith("{"):
            report = json.loads(line)
    proc.wait()
    stop.set()
    loader.join()
    if report is None or report.get("energy") is None or e0 is None or e1 is None:
        print(f"FAIL: no energy from BenchBar: {report}")
        sys.exit(1)
    energy = report["energy"]
    domains = {str(k).lower(): v for k, v in energy["domains_j"].items()}
    benchbar_gpu_j = domains.get("gpu")
    nvml_j = (e1 - e0) / 1000.0
    diff_pct = (benchbar_gpu_j - nvml_j) / nvml_j * 100.0
    print(f"GPUs: {names}")
    print(f"power source: {report['power_source']}")
    print(f"window: {energy['elapsed_s']:.3f} s, BenchBar total {energy['total_j']:.1f} J, domains {energy['domains_j']}")
    print(f"BenchBar GPU energy: {benchbar_gpu_j:.2f} J  (avg {benchbar_gpu_j / energy['elapsed_s']:.1f} W)")
    print(f"NVML counter delta:  {nvml_j:.2f} J")
    print(f"difference: {diff_pct:+.3f}%")
    print(f"sampler CPU: {report.get('sampler_cpu_pct')}% of one core")
    ok = abs(diff_pct) <= 2.0
    print("PASS (within 2%)" if ok else "FAIL (more than 2%)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
