#!/usr/bin/env bash
# Issue 8's GPU checks in one run on a GPU machine (H100/H200, CUDA 13 driver, PyTorch; no cargo),
# from the repository root, with the binaries benches/build_device_bin.sh put in device-bin/.
# With the device tool:
#   run(command="bash benches/gpu_session.sh", carry=["device-bin"], timeout_s=600)
#
# Steps, in this order, each under its own time limit and all under one session budget
# (GPU_SESSION_BUDGET_S, default 480 s); a step that fails or runs out of time is recorded and
# the next one still runs:
#   1. tests_conformance: device_conformance with LEARNLOSS_REQUIRE_CUDA=1 (every primitive,
#      forward and backward, and the learnable loss on CUDA against the CPU);
#   2. tests_kernels: cuda_kernels (NVRTC compiles every kernels/*.cu for compute_90 and sm_90);
#      train_cuda: `learnloss train --device cuda --epochs 1 --runs 1` on the embedded data;
#   3. bench_steps, bench_penalty_C100, bench_penalty_C10_C37: the second_order bench on CUDA
#      (learnable_step both presets, baseline_step; penalty_step, seed and meaningful presets,
#      every method), criterion with --warm-up-time 1 --measurement-time 3;
#   4. torch_reference: benches/torch_reference.py --device cuda --threads 16, the same workloads;
#   5. bench_ops, torch_ops: the ops bench on CUDA (short) and benches/torch_ops.py --device cuda.
# Output, in $OUT (what the device tool brings back; at most 8 files) or ./gpu-session-out:
#   session.log           machine, libraries found, each step's status and time, a digest
#   tests.log             both test binaries' output and the one-epoch training run
#   second_order.log      criterion's output of the three bench_* steps above
#   torch_reference.log   and torch_reference.json (PyTorch's figures, with metadata)
#   ops.log               ops bench and torch_ops.py
#   criterion.tar.gz      criterion's folder (estimates.json of every benchmark that finished)
set -u
cd "$(dirname "$0")/.."

OUT="${OUT:-$PWD/gpu-session-out}"
mkdir -p "$OUT"
BIN=device-bin
started=$(date +%s)
deadline=$((started + ${GPU_SESSION_BUDGET_S:-480}))

note() { echo "$*" | tee -a "$OUT/session.log"; }

# step NAME CAP_SECONDS LOG COMMAND...: runs COMMAND with its output appended to $OUT/LOG, for at
# most CAP_SECONDS or what is left of the session budget, and notes how it ended.
step() {
    local name=$1 cap=$2 log=$3
    shift 3
    local left=$((deadline - $(date +%s)))
    if ((left < 20)); then
        note "$name: SKIPPED (session budget spent)"
        return
    fi
    local arg
    for arg in "$@"; do
        if [[ $arg == "$BIN"/* && ! -x $arg ]]; then
            note "$name: SKIPPED ($arg is missing: run benches/build_device_bin.sh, carry device-bin)"
            return
        fi
    done
    local limit=$((cap < left ? cap : left))
    printf '\n===== %s (limit %ss): %s\n' "$name" "$limit" "$*" >>"$OUT/$log"
    local t0 rc status
    t0=$(date +%s)
    timeout -k 10 "$limit" "$@" >>"$OUT/$log" 2>&1
    rc=$?
    case $rc in
        0) status=ok ;;
        124 | 137) status="TIMED OUT at ${limit}s" ;;
        *) status="FAILED (exit $rc)" ;;
    esac
    note "$name: $status in $(($(date +%s) - t0))s -> $(basename "$log")"
}

# --- the machine and the libraries ------------------------------------------------------------
note "gpu_session.sh started $(date -u '+%Y-%m-%d %H:%M:%S') UTC on $(uname -srm), budget $((deadline - started))s"
[[ -f $BIN/BUILD.txt ]] && sed 's/^/device-bin: /' "$BIN/BUILD.txt" | tee -a "$OUT/session.log"
chmod +x "$BIN"/* 2>/dev/null
{
    timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
    echo "glibc: $(ldd --version 2>/dev/null | head -n1)"
    timeout 60 python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
} | tee -a "$OUT/session.log"

# NVRTC (libnvrtc.so.13 and its builtins): PyTorch's CUDA wheels (site-packages/nvidia/cu13/lib;
# nvidia/cuda_nvrtc/lib for CUDA 12), else the CUDA toolkit; the first folder found goes first on
# LD_LIBRARY_PATH. cudarc loads libnvrtc.so, .so.13, ... by name (dynamic loading).
nvrtc_dirs=$(
    {
        timeout 60 python3 -c '
import os
try:
    import nvidia
    for root in nvidia.__path__:
        for sub in ("cu13/lib", "cuda_nvrtc/lib", "cu12/lib"):
            print(os.path.join(root, sub))
except Exception:
    pass' 2>/dev/null
        ls -d /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
            /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu 2>/dev/null
    } | while read -r d; do compgen -G "$d/libnvrtc.so*" >/dev/null && echo "$d"; done
)
note "folders with libnvrtc: $(echo $nvrtc_dirs)"
nvrtc_dir=$(echo "$nvrtc_dirs" | head -n1)
if [[ -n $nvrtc_dir ]]; then
    export LD_LIBRARY_PATH="$nvrtc_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
else
    note "no libnvrtc found: the CUDA steps will fail to open the device"
fi
# The driver's libcuda.so.1: normally known to the loader; else the driver's mounted folder.
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1'; then
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
        if [[ -e $d/libcuda.so.1 ]]; then
            export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"
            break
        fi
    done
fi
note "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
for b in "$BIN"/second_order "$BIN"/device_conformance; do
    [[ -x $b ]] && ldd "$b" 2>&1 | grep -i 'not found' | sed "s|^|$b: |" | tee -a "$OUT/session.log"
done

export CRITERION_HOME=/tmp/gpu-session-criterion
export PYTHONUNBUFFERED=1
export RUST_BACKTRACE=0
CRIT=(--bench --noplot --warm-up-time 1 --measurement-time 3)

# --- 1-2. correctness on the GPU ---------------------------------------------------------------
# every_kernel_file_on_disk_is_registered reads kernels/ at its build path: not on this machine.
step tests_conformance 120 tests.log env LEARNLOSS_REQUIRE_CUDA=1 "$BIN"/device_conformance
step tests_kernels 40 tests.log env LEARNLOSS_REQUIRE_NVRTC=1 "$BIN"/cuda_kernels --skip every_kernel_file_on_disk_is_registered
# The trainer end to end on the GPU: one epoch of both methods on the embedded FashionMNIST subset
# (seconds per epoch and test accuracy in the log; the results folder stays in /tmp).
step train_cuda 60 tests.log "$BIN"/learnloss train --device cuda --epochs 1 --runs 1 --out /tmp/gpu-session-train

# --- 3-4. the second-order benches and PyTorch, same sitting ----------------------------------
export LEARNLOSS_BENCH_DEVICE=cuda
step bench_steps 70 second_order.log "$BIN"/second_order "${CRIT[@]}" 'learnable_step|baseline_step'
step bench_penalty_C100 120 second_order.log "$BIN"/second_order "${CRIT[@]}" 'penalty_step/(seed|meaningful)/C100/'
step bench_penalty_C10_C37 110 second_order.log "$BIN"/second_order "${CRIT[@]}" 'penalty_step/(seed|meaningful)/C(10|37)/'
step torch_reference 100 torch_reference.log python3 benches/torch_reference.py --device cuda --threads 16 \
    --only penalty_step,learnable_step,baseline_step --presets seed,meaningful --json "$OUT/torch_reference.json"

# --- 5. primitives ------------------------------------------------------------------------------
step bench_ops 40 ops.log "$BIN"/ops --bench --noplot --warm-up-time 0.5 --measurement-time 1
step torch_ops 30 ops.log python3 benches/torch_ops.py --device cuda --threads 16
unset LEARNLOSS_BENCH_DEVICE

[[ -d $CRITERION_HOME ]] && tar -czf "$OUT/criterion.tar.gz" -C "$(dirname "$CRITERION_HOME")" "$(basename "$CRITERION_HOME")"

# --- digest (also in the device tool's output tail) -------------------------------------------
# criterion prints a long id on its own line and `time: [low median high]` on the next.
criterion_digest() {
    awk '/time:/ { if ($0 ~ /^[ \t]/) print id " " $0; else print $0 }
         /skipped on|^benches on/ { print }
         $0 !~ /^[ \t]/ && $0 != "" { id = $0 }' "$1" | sed 's/  */ /g'
}
{
    echo
    echo "===== digest"
    [[ -f $OUT/tests.log ]] && grep -E '^test result:|FAILED|panicked' "$OUT/tests.log" | head -n 40
    [[ -f $OUT/second_order.log ]] && criterion_digest "$OUT/second_order.log"
    [[ -f $OUT/torch_reference.log ]] && grep -E ' ms \(median|^gpu |^torch ' "$OUT/torch_reference.log"
    [[ -f $OUT/ops.log ]] && criterion_digest "$OUT/ops.log"
    [[ -f $OUT/ops.log ]] && grep -E '^(matmul|conv2d).* ms' "$OUT/ops.log"
    echo "gpu_session.sh finished in $(($(date +%s) - started))s; files in $OUT: $(cd "$OUT" && echo *)"
} | tee -a "$OUT/session.log"
