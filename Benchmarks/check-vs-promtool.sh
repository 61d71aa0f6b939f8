#!/usr/bin/env bash
# `crowsnest check metrics` against `promtool check metrics` (Debian package prometheus) on the same generated
# payload, wall time, in the same run. Usage: Benchmarks/check-vs-promtool.sh [BYTES]   (default 100 MB)
# CROWSNEST_BUILD_PATH chooses the release build directory (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-100000000}
payload=$(mktemp /tmp/crowsnest-check-XXXXXX.prom)
trap 'rm -f "$payload"' EXIT

# crowsnest is built as it is deployed (README): Swift runtime and Foundation linked in statically, which saves
# the dynamic loading of a dozen Swift libraries at every start (~25 ms here).
build=(--build-path "${CROWSNEST_BUILD_PATH:-.build}")
swift build -c release "${build[@]}" --static-swift-stdlib --product crowsnest >/dev/null
swift build -c release "${build[@]}" --static-swift-stdlib --product CrowsnestBench >/dev/null
bin=$(swift build -c release "${build[@]}" --static-swift-stdlib --show-bin-path)
"$bin/CrowsnestBench" generate --bytes "$bytes" --out "$payload"
# The payload's pages written back before timing (writeback running during a timed run slows whichever tool runs
# then), and one untimed run of each tool so that both start from a warm page cache.
sync
"$bin/crowsnest" check metrics "$payload" >/dev/null 2>&1 || true
if command -v promtool >/dev/null; then promtool check metrics < "$payload" >/dev/null 2>&1 || true; fi

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; end=$(date +%s.%N); echo "$end - $start" | bc -l; }

# Best of five for each, alternating, so machine load (noisy on shared machines) hits both alike.
ours=999999; theirs=999999
for _ in 1 2 3 4 5; do
    t=$(seconds "$bin/crowsnest" check metrics "$payload"); ours=$(echo "if ($t < $ours) $t else $ours" | bc -l)
    if command -v promtool >/dev/null; then
        t=$(seconds sh -c "promtool check metrics < '$payload'"); theirs=$(echo "if ($t < $theirs) $t else $theirs" | bc -l)
    fi
done
"$bin/crowsnest" check metrics "$payload" && echo "crowsnest: payload valid"
printf 'crowsnest check metrics: %.3f s\n' "$ours"
if command -v promtool >/dev/null; then
    printf 'promtool check metrics:  %.3f s\n' "$theirs"
    printf 'speed-up: %.1fx (goal >= 50x)\n' "$(echo "$theirs / $ours" | bc -l)"
else
    echo "promtool not found: install Debian package prometheus to compare (skipped, not passed)"
fi
