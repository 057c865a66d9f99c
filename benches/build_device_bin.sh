#!/usr/bin/env bash
# Builds, on the development machine, the release binaries that benches/gpu_session.sh runs on a
# GPU machine (which has no cargo), and copies them into device-bin/ (git-ignored) under stable
# names, with BUILD.txt saying what they were built from:
#   device-bin/device_conformance   tests/device_conformance.rs (libtest harness)
#   device-bin/cuda_kernels         tests/cuda_kernels.rs (libtest harness)
#   device-bin/second_order         benches/second_order.rs (criterion)
#   device-bin/ops                  benches/ops.rs (criterion)
# Run it from the checkout the device tool sends (the session's own repository root), then pass
# device-bin in the tool's `carry`. The tool carries at most 64 MiB: the tracked files plus
# device-bin; this script prints both sizes and fails when they do not fit.
#
#   benches/build_device_bin.sh        (honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."

out=device-bin
limit=$((64 * 1024 * 1024))
tests=(device_conformance cuda_kernels)
benches=(second_order ops)
bins=(learnloss)

messages="$(mktemp)"
trap 'rm -f "$messages"' EXIT

test_args=()
for t in "${tests[@]}"; do test_args+=(--test "$t"); done
bench_args=()
for b in "${benches[@]}"; do bench_args+=(--bench "$b"); done

echo "== cargo test --release --no-run ${test_args[*]}"
cargo test --release --no-run --message-format=json "${test_args[@]}" >"$messages"
echo "== cargo bench --no-run ${bench_args[*]}"
cargo bench --no-run --message-format=json "${bench_args[@]}" >>"$messages"
echo "== cargo build --release --bin ${bins[*]}"
cargo build --release --message-format=json --bin "${bins[@]}" >>"$messages"

rm -rf "$out"
mkdir -p "$out"
# Each compiler-artifact message of a test or bench target names its executable.
python3 - "$messages" "$out" "${tests[@]}" -- "${benches[@]}" -- "${bins[@]}" <<'EOF'
import json, shutil, sys, os
messages, out, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
first = rest.index("--")
second = rest.index("--", first + 1)
wanted = {
    **{n: "test" for n in rest[:first]},
    **{n: "bench" for n in rest[first + 1:second]},
    **{n: "bin" for n in rest[second + 1:]},
}
found = {}
with open(messages) as f:
    for line in f:
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
            continue
        target = msg["target"]
        if wanted.get(target["name"]) in target["kind"]:
            found[target["name"]] = msg["executable"]
missing = sorted(set(wanted) - set(found))
if missing:
    sys.exit(f"no executable found for {', '.join(missing)}")
for name, exe in sorted(found.items()):
    shutil.copy2(exe, os.path.join(out, name))
    print(f"{exe} -> {out}/{name}")
EOF

binaries=()
for name in "${tests[@]}" "${benches[@]}" "${bins[@]}"; do binaries+=("$out/$name"); done
# Everything but the code goes: the five binaries must fit the device tool's 64 MiB with the
# tracked files (panic messages stay; gpu_session.sh runs with RUST_BACKTRACE=0 anyway).
if command -v strip >/dev/null; then
    strip --strip-all "${binaries[@]}"
fi

{
    echo "built: $(date -u '+%Y-%m-%d %H:%M:%S') UTC on $(uname -srm)"
    echo "commit: $(git rev-parse HEAD)$(git diff --quiet HEAD -- src kernels benches tests Cargo.toml Cargo.lock || echo ' + uncommitted changes')"
    echo "branch: $(git rev-parse --abbrev-ref HEAD)"
    echo "rustc: $(rustc --version)"
    echo "glibc: $(ldd --version 2>/dev/null | head -n1)"
    if command -v objdump >/dev/null; then
        # The newest glibc symbol version the binaries need: the GPU machine's glibc must be at
        # least this (its image is Ubuntu 24.04-like, glibc 2.39; Debian 12 builds need <= 2.36).
        need=$(objdump -T "${binaries[@]}" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1 || true)
        echo "needs: ${need:-unknown}"
    fi
} >"$out/BUILD.txt"
cat "$out/BUILD.txt"

bin_bytes=$(du -cb "$out" | tail -n1 | cut -f1)
tree_bytes=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | awk '/\ttotal$/ {s += $1} END {print s + 0}')
total=$((bin_bytes + tree_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo
du -b "$out"/* | awk '{printf "  %7.1f MiB  %s\n", $1 / 1048576, $2}'
echo "device-bin: $(mib "$bin_bytes"); tracked files: $(mib "$tree_bytes"); together $(mib "$total") of the device tool's 64 MiB"
if ((total > limit)); then
    echo "too large for the device tool: strip the binaries (strip --strip-all device-bin/*) or carry fewer" >&2
    exit 1
fi
