#!/usr/bin/env bash
# Rounds of one of our benches and of PyTorch's same workloads, alternating, so that both sides
# see the same machine: on a shared 2-vCPU VM one side's figures drift by ±10 % between hours,
# and a gap of a few percent shows only side by side. Prints each round's figures, the load
# before and after, then per workload the median and the lowest over rounds of ours and of
# PyTorch's, PyTorch / ours of the medians (above 1: ours is faster), and the lowest and highest
# per-round ratio. A round's figure is criterion's estimate on our side and the median of the
# script's repetitions on PyTorch's.
#
#   benches/side_by_side.sh ROUNDS CRITERION_FILTER TORCH_ONLY
#   benches/side_by_side.sh 5 'weight_grad/64to128|matmul_f32/1024' 'weight_grad/64to128,matmul_f32/1024'
#   BENCH=models TORCH_SCRIPT=benches/torch_models.py benches/side_by_side.sh 5 resnet18 resnet18
#   BENCH=second_order TORCH_SCRIPT=benches/torch_reference.py \
#     TORCH_ARGS='--presets meaningful --methods forward-laplacian' \
#     benches/side_by_side.sh 5 'penalty_step/meaningful/.*/forward-laplacian' penalty_step
#
# BEFORE, the path of an earlier build of the same bench's executable (copied from
# target/release/deps before the change), adds its rounds to each round, and the summary prints
# its median and before / after: a speed-up measured in the same sitting as the comparison.
#
# BENCH is the cargo bench (default ops) and TORCH_SCRIPT its PyTorch twin (default
# benches/torch_ops.py); PYTHON the interpreter with PyTorch (default python3). CRITERION_FILTER
# is a regex over bench ids; TORCH_ONLY comma-separated substrings of the same names (the
# scripts' --only; torch_reference.py's --only takes workload kinds, narrowed by TORCH_ARGS, extra
# arguments of the script). PyTorch runs with 2 threads and OMP_WAIT_POLICY=PASSIVE (as in
# benches/RESULTS.md); set THREADS to change it.
set -euo pipefail
rounds=${1:?rounds}
filter=${2:?criterion filter}
only=${3:?torch --only}
threads=${THREADS:-2}
bench=${BENCH:-ops}
torch_script=${TORCH_SCRIPT:-benches/torch_ops.py}
python=${PYTHON:-python3}
read -r -a torch_args <<<"${TORCH_ARGS:-}"
cd "$(dirname "$0")/.."
cargo bench --bench "$bench" --no-run 2>/dev/null
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
log=$(mktemp)
# Criterion's report as "SIDE ROUND NAME MS" lines.
criterion_lines() {
    awk -v side="$1" -v r="$2" '/^[a-z_0-9]+\/[^ ]*$/{name=$1} /^[a-z_0-9]+\/[^ ]* +time:/{name=$1}
            /time:/{for(i=1;i<=NF;i++) if($i=="time:"){t=$(i+3); u=$(i+4)
                # (the line of the change since the last run has percentages, no unit)
                if(u=="s") t*=1e3; else if(u=="µs"||u=="us") t/=1e3; else if(u=="ns") t/=1e6; else if(u!="ms") next
                print side, r, name, t}}'
}
for r in $(seq 1 "$rounds"); do
    if [[ -n "${BEFORE:-}" ]]; then
        "$BEFORE" --bench --noplot "$filter" 2>/dev/null | criterion_lines before "$r" | tee -a "$log"
    fi
    cargo bench --bench "$bench" -- --noplot "$filter" 2>/dev/null | criterion_lines ours "$r" | tee -a "$log"
    OMP_WAIT_POLICY=PASSIVE "$python" "$torch_script" --threads "$threads" --only "$only" "${torch_args[@]}" |
        awk -v r="$r" '/ ms( |$)/{sub(":", "", $1); print "torch", r, $1, $2}' | tee -a "$log"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "over $rounds rounds (ms): workload, ours median / lowest, PyTorch median / lowest, PyTorch / ours (medians), lowest and highest round's ratio"
python3 - "$log" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
times = {}
for side, r, name, t in rows:
    times.setdefault(name, {}).setdefault(side, {})[r] = float(t)
for name, sides in times.items():
    if "ours" in sides and "torch" in sides:
        ours, torch = sides["ours"].values(), sides["torch"].values()
        o, t = statistics.median(ours), statistics.median(torch)
        ratios = [sides["torch"][r] / sides["ours"][r] for r in sides["ours"] if r in sides["torch"]]
        line = (f"{name}  {o:.2f} / {min(ours):.2f}  {t:.2f} / {min(torch):.2f}  {t / o:.3f}  "
                f"[{min(ratios):.3f}, {max(ratios):.3f}]")
        if "before" in sides:
            b = statistics.median(sides["before"].values())
            line += f"  before {b:.2f} / {min(sides['before'].values()):.2f}, before / ours {b / o:.2f}"
        print(line)
PY
rm -f "$log"
