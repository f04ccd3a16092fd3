#!/usr/bin/env bash
# BenchBar's MLX engine against mlx_lm on an NVIDIA GPU (MLX CUDA), in one go: installs the MLX
# CUDA wheels, generates random-weight Qwen3-1.7B and Qwen3-8B checkpoints (bf16 and 4-bit),
# measures the device memory bandwidth, runs `benchbar run` and `mlx_lm benchmark` on each model
# with the same prompt/generation lengths at batch 1 and 16 (NVML energy on both), and prints one
# table (scripts/gpu_bench.py report).
#
#   scripts/gpu_bench.sh prepare            here (has internet; checks venv, fixture, tools first):
#                                           wheels, release binary, tokenizer into .gpu1/ (part 1 of
#                                           the CUDA wheel) and .gpu2/
#   scripts/gpu_bench.sh stash              on the GPU machine, carrying .gpu1: keep part 1
#   scripts/gpu_bench.sh run [MODELS...]    on the GPU machine right after, carrying .gpu2:
#                                           install, generate, benchmark, table
#   scripts/gpu_bench.sh product [MODEL]    on the GPU machine after stash, carrying .gpu2: the NVML sampler's per-call
#                                           cost and energy check (nvml_cost, nvml_check.py), then
#                                           `benchbar bandwidth`, a stored run and `benchbar report`
#   scripts/gpu_bench.sh ablation [MODELS]  same machine, later: BenchBar with fusion and the loop
#                                           order switched (BENCHBAR_MLX_FUSE/_PIPELINE)
#   scripts/gpu_bench.sh profile [MODEL]    on the GPU machine after stash, carrying .gpu2: per-kernel
#                                           GPU time (Nsight Compute) of a short batch-1 run per variant
#   scripts/gpu_bench.sh ab [MODELS...]     on the GPU machine after stash, carrying .gpu2 with a second
#                                           binary .gpu2/benchbar-prev.gz: the two engines alternately
#                                           (ROUNDS times, batch 1), decode tok/s and host µs per step
#   scripts/gpu_bench.sh timeline [MODEL]   same, Nsight Systems: one decode step's wall, GPU-busy and
#                                           idle time per variant (scripts/gpu_profile.py); `run`
#                                           does it too after the tables for the models in TIMELINE
#
# The device machine has no registry and carries at most 64 MiB per call, so the ~90 MB
# mlx-cuda-13 wheel travels in two parts (stash, then run). The benchbar binary is built here
# against the CPU libmlx (same soname) without OpenBLAS and runs there on the CUDA libmlx via
# LD_LIBRARY_PATH. Results: $OUT/results.tar.gz (JSON per run), $OUT/kernel_check.md (BenchBar's
# CUDA kernels against the MLX ops they replace: error, µs, GB/s) and one table per BenchBar
# variant in VARIANTS, each against the same mlx_lm run:
#   default    the default engine (stamping-thread decode, every one of BenchBar's CUDA kernels)
#   gemv       the 4-bit gemv kernel only (the default before run 10)
#   nogemv     every kernel but the float-weight gemv (BENCHBAR_MLX_KERNELS=gemv_q4,add_rms_norm,
#              qk_norm_rope: the default of run 15)
#   noattn     every kernel but the attention kernel (BENCHBAR_MLX_KERNELS=gemv_q4,add_rms_norm,
#              qk_norm_rope,gemv: the default of run 18)
#   nofold     every kernel without the norm/residual folding (BENCHBAR_MLX_KERNELS=gemv_q4,
#              add_rms_norm,qk_norm_rope,gemv,attention: the default of runs 21-22)
#   nokernels  without BenchBar's CUDA kernels (BENCHBAR_MLX_KERNELS=0)
#   all        with all of them, named (BENCHBAR_MLX_KERNELS=all; the same as default since run 21)
#   qk         the 4-bit kernel and the q/k norm+RoPE kernel (BENCHBAR_MLX_KERNELS=gemv_q4,qk_norm_rope)
#   0          strict decode order (BENCHBAR_MLX_PIPELINE=0)
#   ops        the default with MLX's CUDA graphs cut every 200 ops only (MLX_MAX_OPS_PER_BUFFER=200,
#              MLX_MAX_MB_PER_BUFFER=100000; MLX's H100 default: 100 ops or ~1000 M elements)
#   nographs   the default with kernels launched one by one, not in CUDA graphs (MLX_USE_CUDA_GRAPHS=0)
# Each row says whether its timestamps are exact (last gap / median gap ~ 1; docs/perf-notes.md).
# Energy: NVML's whole-GPU energy counter integrated over each timed generate call (BenchBar:
# bounds from BENCHBAR_MLX_TRACE) or trial (mlx_lm), over the tokens generated in them.
# The Qwen3 family's other shapes (4-bit only; scripts/gpu_bench.py FAMILY): a Qwen3-30B-A3B
# (mixture of experts) and a Qwen3.5-9B (hybrid), e.g.
#   SHAPES=qwen3-30b-a3b,qwen3.5-9b scripts/gpu_bench.sh run qwen3-30b-a3b-4bit qwen3.5-9b-4bit
# Env: P (prompt tokens, 512), G (generated, 128), REPS (3), BATCHES ("1 16"),
#      VARIANTS ("default nokernels"), SHAPES (models to generate, "qwen3-1.7b,qwen3-8b"),
#      KCHECK (1: run kernel_check first; 0: skip it), TIMELINE (models to trace after `run`),
#      TL_VARIANTS (the variants traced, VARIANTS by default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
P="${P:-512}"
G="${G:-128}"
REPS="${REPS:-3}"
BATCHES="${BATCHES:-1 16}"
# Decode loop orders to measure (BENCHBAR_MLX_PIPELINE): strict and the stamping thread.
VARIANTS="${VARIANTS:-default nokernels}"
STASH=/root/stash
MODELS=/root/models
RES=/root/results
OUT="${OUT:-/tmp/gpu_bench_out}"
CUDA_WHL=mlx_cuda_13-0.32.4-py3-none-manylinux_2_35_x86_64.whl
ALL_MODELS="qwen3-1.7b-bf16 qwen3-8b-bf16 qwen3-8b-4bit qwen3-1.7b-4bit"
log() { printf 'gpu_bench: %s\n' "$*" >&2; }

# Everything `prepare` needs, checked before its downloads and its ~15-minute build: one line
# per missing thing, with the command that provides it; exits 2 when anything is missing.
prepare_check() {
  local py="$1" fx="$2" missing=0 t
  if [ ! -x "$py" ]; then
    log "missing: the project venv ($py): run scripts/setup-python.sh"
    missing=1
  else
    "$py" -m pip --version >/dev/null 2>&1 ||
      { log "missing: pip in $py: run scripts/setup-python.sh"; missing=1; }
    [ -n "${MLX_DIR:-}" ] || "$py" -c 'import mlx.core' 2>/dev/null ||
      { log "missing: MLX in $py (the build links its libmlx): run scripts/setup-python.sh or set MLX_DIR"; missing=1; }
  fi
  for t in tokenizer.json tokenizer_config.json; do
    [ -f "$fx/$t" ] ||
      { log "missing: the tokenizer fixture $fx/$t: run scripts/fixtures.sh (or set BENCHBAR_FIXTURES)"; missing=1; }
  done
  for t in cargo strip split sha256sum tar; do
    command -v "$t" >/dev/null || { log "missing: the command $t"; missing=1; }
  done
  [ "$missing" = 0 ] || { log "prepare stopped before downloading or building anything"; exit 2; }
}

# Keeps .gpu1/ and .gpu2/ out of git (so a device call copies them only when told to carry them),
# through the exclude file git itself uses: also right in a worktree, where .git is a file.
exclude_bundles() {
  local ex
  ex="$(git -C "$ROOT" rev-parse --git-path info/exclude 2>/dev/null)" || return 0
  case "$ex" in /*) ;; *) ex="$ROOT/$ex" ;; esac
  mkdir -p "$(dirname "$ex")"
  grep -qx '/.gpu1/' "$ex" 2>/dev/null || printf '/.gpu1/\n/.gpu2/\n' >>"$ex"
}

prepare() {
  local py="$ROOT/.venv/bin/python" w=/tmp/gpu_bench_whl
  local fx="${BENCHBAR_FIXTURES:-$ROOT/.fixtures}/tiny-f32"
  prepare_check "$py" "$fx"
  mkdir -p "$w" .gpu1 .gpu2
  exclude_bundles
  "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_35_x86_64 -d "$w" mlx-cuda-13==0.32.4 mlx==0.32.4 mlx-lm==0.32.2
  rm -f .gpu1/* .gpu2/*
  (cd .gpu1 && split -b 58000000 "$w/$CUDA_WHL" "$CUDA_WHL.part." && mv "$CUDA_WHL.part.ab" ../.gpu2/)
  (cd "$w" && sha256sum "$CUDA_WHL") >.gpu2/SHA256
  cp "$w"/mlx-0.32.4-cp312-*.whl "$w"/mlx_lm-0.32.2-*.whl .gpu2/
  BENCHBAR_NO_OPENBLAS=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}" \
    cargo build --release -q -j2 -p benchbar-cli
  BENCHBAR_NO_OPENBLAS=1 CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}" \
    cargo build --release -q -j2 -p benchbar-mlx --example kernel_check
  strip -o .gpu2/benchbar "${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}/release/benchbar"
  strip -o .gpu2/kernel_check "${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}/release/examples/kernel_check"
  # The power sampler's checks for `product` (no MLX in them).
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}" \
    cargo build --release -q -j2 -p benchbar-power --example power_window --example nvml_cost
  for e in power_window nvml_cost; do
    strip -o .gpu2/$e "${CARGO_TARGET_DIR:-$ROOT/target/h-mlx}/release/examples/$e"
  done
  # The binary travels gzipped (the CUDA wheel's second part leaves little room); `run` unpacks it.
  gzip -f .gpu2/benchbar
  tar -C "$fx" -czf .gpu2/tokenizer.tgz tokenizer.json tokenizer_config.json
  du -sh .gpu1 .gpu2
}

stash() {
  mkdir -p "$STASH"
  cp .gpu1/"$CUDA_WHL".part.* "$STASH"/
  ls -la "$STASH"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c 'import sys, numpy, transformers, pynvml; print(sys.version, numpy.__version__, transformers.__version__)'
  command -v nsys ncu || true
  df -h /root /tmp | tail -2
}

install() {
  python3 -c 'import mlx.core' 2>/dev/null && return
  if [ ! -f "$STASH/$CUDA_WHL.part.aa" ]; then
    log "$STASH/$CUDA_WHL.part.aa is missing: this is not the machine that ran stash (a fresh one)."
    log "call 'scripts/gpu_bench.sh stash' (carrying .gpu1) again, then this call (carrying .gpu2) right after it"
    exit 3
  fi
  [ -f .gpu2/"$CUDA_WHL".part.ab ] || { log "missing .gpu2/$CUDA_WHL.part.ab: carry .gpu2 (made by prepare)"; exit 3; }
  cat "$STASH/$CUDA_WHL.part.aa" .gpu2/"$CUDA_WHL".part.ab >"/root/$CUDA_WHL"
  (cd /root && sha256sum -c "$ROOT/.gpu2/SHA256")
  # Into python3's own site-packages: libmlx's rpath ($ORIGIN/../../nvidia/...) finds the CUDA
  # libraries (cublas, cudnn, nvrtc, ...) already installed there.
  python3 -m pip install -q --no-deps --no-index --no-compile "/root/$CUDA_WHL" .gpu2/mlx-*.whl \
    .gpu2/mlx_lm-*.whl
}

env_setup() {
  MLX_LIB="$(python3 -c 'import mlx; print(list(mlx.__path__)[0])')/lib"
  export LD_LIBRARY_PATH="$MLX_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  BB="$ROOT/.gpu2/benchbar"
  [ -f "$BB" ] || gzip -dc "$BB.gz" >"$BB"
  chmod +x "$BB"
  export PYTHONUNBUFFERED=1
}

variant_env() { # variant name -> the engine's env settings
  case "$1" in
    default) echo "BENCHBAR_MLX_PIPELINE=thread" ;;
    all) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=all" ;;
    0) echo "BENCHBAR_MLX_PIPELINE=0 BENCHBAR_MLX_KERNELS=gemv_q4" ;;
    nokernels) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=0" ;;
    gemv) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=gemv_q4" ;;
    noattn) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=gemv_q4,add_rms_norm,qk_norm_rope,gemv" ;;
    nofold) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=gemv_q4,add_rms_norm,qk_norm_rope,gemv,attention" ;;
    nogemv) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=gemv_q4,add_rms_norm,qk_norm_rope" ;;
    qk) echo "BENCHBAR_MLX_PIPELINE=thread BENCHBAR_MLX_KERNELS=gemv_q4,qk_norm_rope" ;;
    ops) echo "BENCHBAR_MLX_PIPELINE=thread MLX_MAX_OPS_PER_BUFFER=200 MLX_MAX_MB_PER_BUFFER=100000" ;;
    nographs) echo "BENCHBAR_MLX_PIPELINE=thread MLX_USE_CUDA_GRAPHS=0" ;;
    *) log "unknown variant $1"; return 2 ;;
  esac
}

bench_one() { # out.json model batch [VAR=value...]
  local out=$1 m=$2 b=$3
  shift 3
  log "benchbar $m b=$b $*"
  if ! env "$@" timeout 300 python3 scripts/gpu_bench.py bbrun --json "$out" --reps "$REPS" -- \
    "$BB" run --model "$MODELS/$m" -p "$P" -n "$G" -b "$b" -r "$REPS" --warmup 1 --no-save \
    --format json; then
    log "FAILED: benchbar $m b=$b $*"
  fi
}

run() {
  install
  env_setup
  mkdir -p "$RES" "$MODELS" "$OUT"
  python3 -c 'import mlx.core as mx; print("MLX", mx.__version__, mx.default_device(), mx.device_info())'
  "$BB" --version
  ldd "$BB" | grep -E 'mlx|blas' || true
  mkdir -p /root/tok && tar -C /root/tok -xzf .gpu2/tokenizer.tgz
  python3 scripts/gpu_bench.py models --out "$MODELS" --tokenizer /root/tok \
    --shapes "${SHAPES:-qwen3-1.7b,qwen3-8b}"
  python3 scripts/gpu_bench.py bandwidth --json "$RES/bandwidth.json"
  if [ "${KCHECK:-1}" != 0 ]; then
    chmod +x .gpu2/kernel_check
    timeout 300 .gpu2/kernel_check | tee "$OUT/kernel_check.md" || log "kernel_check failed"
  fi
  local models="${*:-$ALL_MODELS}"
  for b in $BATCHES; do
    for m in $models; do
      for v in $VARIANTS; do
        # shellcheck disable=SC2046 # variant_env prints VAR=value words
        bench_one "$RES/bb$v-$m-b$b.json" "$m" "$b" $(variant_env "$v")
      done
      log "mlx_lm $m b=$b"
      timeout 300 python3 scripts/gpu_bench.py mlxlm --model "$MODELS/$m" -p "$P" -g "$G" -b "$b" \
        -n "$REPS" --json "$RES/mlxlm-$m-b$b.json" || log "mlx_lm $m b=$b failed"
      tar -C "$RES" -czf "$OUT/results.tar.gz" .
    done
  done
  : >"$OUT/table.md"
  for v in $VARIANTS; do
    echo "BenchBar variant $v ($(variant_env "$v")):" | tee -a "$OUT/table.md"
    python3 scripts/gpu_bench.py report --dir "$RES" --models "$MODELS" -g "$G" --prefix "bb$v" \
      | tee -a "$OUT/table.md"
  done
  python3 scripts/gpu_profile.py host --dir "$RES" | tee "$OUT/host.md"
  for m in ${TIMELINE:-}; do timeline "$m"; done
}

ab() { # [MODELS...]: the previous binary (A) and this one (B) alternately, batch 1
  install
  env_setup
  mkdir -p "$MODELS" "$OUT" /root/tok /root/ab
  tar -C /root/tok -xzf .gpu2/tokenizer.tgz
  gzip -dc .gpu2/benchbar-prev.gz >/root/benchbar-prev && chmod +x /root/benchbar-prev
  local models="${*:-qwen3-1.7b-bf16 qwen3-8b-bf16}" m r
  python3 scripts/gpu_bench.py models --out "$MODELS" --tokenizer /root/tok \
    --shapes "$(for m in $models; do echo "${m%-*}"; done | sort -u | paste -sd,)"
  for m in $models; do
    for r in $(seq "${ROUNDS:-2}"); do
      BB=/root/benchbar-prev bench_one "/root/ab/bbA$r-$m-b1.json" "$m" 1 BENCHBAR_MLX_PIPELINE=thread
      BB="$ROOT/.gpu2/benchbar" bench_one "/root/ab/bbB$r-$m-b1.json" "$m" 1 BENCHBAR_MLX_PIPELINE=thread
    done
  done
  tar -C /root/ab -czf "$OUT/results-ab.tar.gz" .
  python3 scripts/gpu_profile.py host --dir /root/ab | tee "$OUT/ab.md"
}

timeline() { # [MODEL]: one decode step's wall, busy and idle GPU time (nsys), one table per variant
  local m="${1:-qwen3-8b-bf16}"
  command -v nsys >/dev/null || { log "no nsys on this machine"; return 0; }
  install
  env_setup
  mkdir -p "$MODELS" "$OUT" /root/tok
  tar -C /root/tok -xzf .gpu2/tokenizer.tgz
  python3 scripts/gpu_bench.py models --out "$MODELS" --tokenizer /root/tok --shapes "${m%-*}"
  for v in ${TL_VARIANTS:-$VARIANTS}; do
    log "nsys $m $v"
    local rep="/root/tl-$m-$v"
    # shellcheck disable=SC2046 # variant_env prints VAR=value words
    env $(variant_env "$v") timeout 200 nsys profile -t cuda --cuda-graph-trace=node -o "$rep" \
      --force-overwrite true "$BB" run --model "$MODELS/$m" -p 32 -n 48 -b 1 -r 1 --warmup 1 \
      --no-save --format json >/dev/null 2>"$OUT/tl-$m-$v.log" || log "nsys $m $v failed"
    nsys stats --report cuda_gpu_trace --format csv --force-export=true --output "$rep" \
      "$rep.nsys-rep" >>"$OUT/tl-$m-$v.log" 2>&1 || log "nsys stats $m $v failed"
    python3 scripts/gpu_profile.py timeline --csv "${rep}_cuda_gpu_trace.csv" --title "$m, variant $v" |
      tee -a "$OUT/timeline.md" || true
  done
}

ablation() {
  env_setup
  mkdir -p "$RES/ablation" "$OUT"
  local models="${*:-qwen3-1.7b-bf16 qwen3-8b-bf16}"
  for m in $models; do
    # c0-f<fuse>-<pipeline>: BENCHBAR_MLX_FUSE, BENCHBAR_MLX_PIPELINE (c0: the whole-step compile
    # of runs 1-12 is gone; the names keep their old form for scripts/gpu_bench.py ablation)
    for v in c0-f1-0 c0-f0-0 c0-f1-thread c0-f0-thread; do
      IFS=- read -r _ f p <<<"$v"
      bench_one "$RES/ablation/bb-$v-$m-b1.json" "$m" 1 \
        BENCHBAR_MLX_FUSE="${f#f}" BENCHBAR_MLX_PIPELINE="$p"
    done
    tar -C "$RES" -czf "$OUT/results-ablation.tar.gz" .
  done
  python3 scripts/gpu_bench.py ablation --dir "$RES" | tee "$OUT/ablation.md"
}

profile() { # [MODEL]: per-kernel GPU time of a short batch-1 run (ncu), one table per variant
  install
  env_setup
  mkdir -p "$MODELS" "$OUT" /root/tok
  tar -C /root/tok -xzf .gpu2/tokenizer.tgz
  local m="${1:-qwen3-8b-bf16}"
  python3 scripts/gpu_bench.py models --out "$MODELS" --tokenizer /root/tok --shapes "${m%-*}"
  for v in $VARIANTS; do
    log "ncu $m $v"
    # shellcheck disable=SC2046 # variant_env prints VAR=value words
    env $(variant_env "$v") timeout 280 ncu --clock-control none --metrics gpu__time_duration.sum \
      --csv --page raw --log-file "$OUT/ncu-$m-$v.csv" "$BB" run --model "$MODELS/$m" -p 32 -n 17 \
      -b 1 -r 1 --warmup 0 --no-save --format json >/dev/null 2>"$OUT/ncu-$m-$v.log" ||
      log "ncu $m $v failed"
    python3 scripts/gpu_profile.py ncu --csv "$OUT/ncu-$m-$v.csv" --title "$m, variant $v" |
      tee -a "$OUT/ncu.md"
  done
}

product() { # [MODEL]: the product's own measurements on this GPU (after stash, carrying .gpu2)
  local db=/root/product.db m="${1:-qwen3.5-9b-4bit}"
  install
  env_setup
  mkdir -p "$OUT" "$MODELS" /root/tok
  tar -C /root/tok -xzf .gpu2/tokenizer.tgz
  [ -d "$MODELS/$m" ] ||
    python3 scripts/gpu_bench.py models --out "$MODELS" --tokenizer /root/tok --shapes "${m%-*}"
  chmod +x .gpu2/power_window .gpu2/nvml_cost
  # The power sampler: what each NVML call costs, then its energy against NVML's own counter
  # under load, with its CPU share of one core.
  .gpu2/nvml_cost 400 | tee "$OUT/nvml-cost.txt"
  python3 scripts/nvml_check.py .gpu2/power_window 10 2>&1 | tee "$OUT/nvml-check.txt"
  # benchbar bandwidth, then a stored run and its report: the roofline against the measured
  # read bandwidth, copy beside it.
  rm -f "$db"*
  python3 scripts/gpu_bench.py bandwidth --json /root/bandwidth.json | tee "$OUT/bandwidth.txt"
  "$BB" --db "$db" bandwidth | tee -a "$OUT/bandwidth.txt"
  BENCHBAR_MLX_PIPELINE=thread "$BB" --db "$db" run --model "$MODELS/$m" -p "$P" -n "$G" -b 1 \
    -r "$REPS" --warmup 1 --format json >"$OUT/product-run.json"
  "$BB" --db "$db" report 1 --out /root/report
  "$BB" --db "$db" export 1 --format md >/root/report/export.md
  tar -C /root -czf "$OUT/report.tar.gz" report
}

case "${1:-}" in
  prepare) prepare ;;
  product) shift; product "$@" ;;
  stash) stash ;;
  run) shift; run "$@" ;;
  ablation) shift; ablation "$@" ;;
  profile) shift; profile "$@" ;;
  ab) shift; ab "$@" ;;
  timeline) shift; timeline "$@" ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 2 ;;
esac
