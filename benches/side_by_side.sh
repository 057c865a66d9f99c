#!/usr/bin/env bash
# Rounds of one of our benches and of PyTorch's same workloads, alternating, so that both sides
# see the same machine: on a shared 2-vCPU VM one side's figures drift by ±10 % between hours,
# and a gap of a few percent shows only side by side. Prints each round's medians, the load
# before and after, then per workload the median over rounds of ours, of PyTorch's, PyTorch /
# ours (above 1: ours is faster), and the lowest and highest per-round ratio.
#
#   benches/side_by_side.sh ROUNDS CRITERION_FILTER TORCH_ONLY
#   benches/side_by_side.sh 5 'weight_grad/64to128|matmul_f32/1024' 'weight_grad/64to128,matmul_f32/1024'
#   BENCH=models TORCH_SCRIPT=benches/torch_models.py benches/side_by_side.sh 5 resnet18 resnet18
#
# BENCH is the cargo bench (default ops) and TORCH_SCRIPT its PyTorch twin (default
# benches/torch_ops.py); PYTHON the interpreter with PyTorch (default python3). CRITERION_FILTER
# is a regex over bench ids; TORCH_ONLY comma-separated substrings of the same names (the
# scripts' --only). PyTorch runs with 2 threads and OMP_WAIT_POLICY=PASSIVE (as in
# benches/RESULTS.md); set THREADS to change it.
set -euo pipefail
rounds=${1:?rounds}
filter=${2:?criterion filter}
only=${3:?torch --only}
threads=${THREADS:-2}
bench=${BENCH:-ops}
torch_script=${TORCH_SCRIPT:-benches/torch_ops.py}
python=${PYTHON:-python3}
cd "$(dirname "$0")/.."
cargo bench --bench "$bench" --no-run 2>/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
log=$(mktemp)
for r in $(seq 1 "$rounds"); do
    cargo bench --bench "$bench" -- --noplot "$filter" 2>/dev/null |
        awk -v r="$r" '/^[a-z_0-9]+\/[^ ]*$/{name=$1} /^[a-z_0-9]+\/[^ ]* +time:/{name=$1}
            /time:/{for(i=1;i<=NF;i++) if($i=="time:"){t=$(i+3); u=$(i+4)
                # (the line of the change since the last run has percentages, no unit)
                if(u=="s") t*=1e3; else if(u=="µs"||u=="us") t/=1e3; else if(u=="ns") t/=1e6; else if(u!="ms") next
                print "ours", r, name, t}}' |
        tee -a "$log"
    OMP_WAIT_POLICY=PASSIVE "$python" "$torch_script" --threads "$threads" --only "$only" |
        awk -v r="$r" '/ ms( |$)/{sub(":", "", $1); print "torch", r, $1, $2}' | tee -a "$log"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median over $rounds rounds (ms): workload, ours, PyTorch, PyTorch / ours, lowest and highest round's ratio"
python3 - "$log" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
times = {}
for side, r, name, t in rows:
    times.setdefault(name, {}).setdefault(side, {})[r] = float(t)
for name, sides in times.items():
    if "ours" in sides and "torch" in sides:
        o, t = statistics.median(sides["ours"].values()), statistics.median(sides["torch"].values())
        ratios = [sides["torch"][r] / sides["ours"][r] for r in sides["ours"] if r in sides["torch"]]
        print(f"{name}  {o:.2f}  {t:.2f}  {t / o:.3f}  [{min(ratios):.3f}, {max(ratios):.3f}]")
PY
rm -f "$log"
