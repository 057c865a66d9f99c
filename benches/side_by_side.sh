#!/usr/bin/env bash
# Rounds of the ops bench and of PyTorch's same workloads, alternating, so that both sides see
# the same machine: on a shared 2-vCPU VM one side's figures drift by ±10 % between hours, and a
# gap of a few percent shows only side by side. Prints each round's medians, then per workload
# the median over rounds of ours, of PyTorch's, and PyTorch / ours (above 1: ours is faster).
#
#   benches/side_by_side.sh ROUNDS CRITERION_FILTER TORCH_ONLY
#   benches/side_by_side.sh 5 'weight_grad/64to128|matmul_f32/1024' 'weight_grad/64to128,matmul_f32/1024'
#
# CRITERION_FILTER is a regex over bench ids; TORCH_ONLY comma-separated substrings of the same
# names (benches/torch_ops.py --only). PyTorch runs with 2 threads and OMP_WAIT_POLICY=PASSIVE
# (as in benches/RESULTS.md); set THREADS to change it.
set -euo pipefail
rounds=${1:?rounds}
filter=${2:?criterion filter}
only=${3:?torch --only}
threads=${THREADS:-2}
cd "$(dirname "$0")/.."
cargo bench --bench ops --no-run 2>/dev/null
log=$(mktemp)
for r in $(seq 1 "$rounds"); do
    cargo bench --bench ops -- --noplot "$filter" 2>/dev/null |
        awk -v r="$r" '/^[a-z_0-9]+\/[^ ]*$/{name=$1} /^[a-z_0-9]+\/[^ ]* +time:/{name=$1}
            /time:/{for(i=1;i<=NF;i++) if($i=="time:"){t=$(i+3); u=$(i+4)
                # (the line of the change since the last run has percentages, no unit)
                if(u=="s") t*=1e3; else if(u=="µs"||u=="us") t/=1e3; else if(u=="ns") t/=1e6; else if(u!="ms") next
                print "ours", r, name, t}}' |
        tee -a "$log"
    OMP_WAIT_POLICY=PASSIVE python3 benches/torch_ops.py --threads "$threads" --only "$only" |
        awk -v r="$r" '/ ms /{sub(":", "", $1); print "torch", r, $1, $2}' | tee -a "$log"
done
echo "median over $rounds rounds (ms): workload, ours, PyTorch, PyTorch / ours"
python3 - "$log" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
times = {}
for side, _, name, t in rows:
    times.setdefault(name, {}).setdefault(side, []).append(float(t))
for name, sides in times.items():
    if "ours" in sides and "torch" in sides:
        o, t = statistics.median(sides["ours"]), statistics.median(sides["torch"])
        print(f"{name}  {o:.2f}  {t:.2f}  {t / o:.3f}")
PY
rm -f "$log"
