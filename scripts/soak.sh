#!/usr/bin/env bash
# The soak of issue 8: `crowsnest serve` (a child process) against three simulated clusters for MINUTES
# (default 30) with random pod churn, exporter faults (garbage, hang, 500, gzip bomb, truncated gzip, slow,
# trickle, reset, truncated body), API faults (429, APF 429, 503, connection resets, latency, 410 on watch,
# watch drops, API server down), token rotation, broken and deleted cluster files.
#
#   scripts/soak.sh [MINUTES] [SoakRun options: --seed N --series-per-pod 200 --action-every 3 --sample-every 10 ...]
#
# Every 10 s it samples the gateway's RSS, open fds, threads, CPU, held series and targets; every 2 s it times a
# full GET /metrics. Output: artifacts/soak-<UTC time>/{samples.csv,metrics-latency.csv,gateway-stderr.log,
# summary.txt}; the summary is printed too. The seed is printed: pass `--seed N` to repeat a run's choices.
#
# Phases: warm-up (2 min, no chaos; its end is the "start" figure), chaos, quiet tail (4 min: every fault undone,
# churned pods deleted, so "end" compares with "start" at the same topology).
#
# Exit status 0 when: no gateway crash, no failed GET /metrics, /metrics p99 <= 1 s, open fds grew by at most 16
# and threads by at most 4 from start to end. RSS is reported (start/end/max, and per held series), not judged.
#
# Latency budget, 1 s for a full /metrics: Prometheus' default scrape_timeout is 10 s and the README suggests a
# 30 s interval; the gateway must answer one consumer well inside that even on a busy machine and even while
# every cluster misbehaves (timeouts of stuck pods must never leak into serving). The soak holds up to ~21,000
# series (51 demo targets plus up to 60 churned pods of 200 series); 1 s is 10 % of the default timeout.
#
# SOAK_BUILD_PATH selects the build folder (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
[ $# -gt 0 ] && shift
build_path="${SOAK_BUILD_PATH:-.build}"
swift build -c release --build-path "$build_path" --product crowsnest
swift build -c release --build-path "$build_path" --product SoakRun
bin="$(swift build -c release --build-path "$build_path" --show-bin-path)"
out="artifacts/soak-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
"$bin/SoakRun" --minutes "$minutes" --binary "$bin/crowsnest" --out "$out" "$@"
