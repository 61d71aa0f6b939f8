#!/usr/bin/env bash
# /metrics of Crowsnest vs /federate of Debian's Prometheus, serving the same series, measured in the same run.
# Prometheus scrapes TARGETS static targets (python http.server on 127.0.0.1) whose payloads have SERIES series each;
# Crowsnest's CrowsnestBench builds the same number of target snapshots in process and serves them.
# Usage: Benchmarks/serving-vs-prometheus.sh [TARGETS] [SERIES]     (default 1000 × 1000 = 1 M series)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-1000}
series=${2:-1000}
command -v prometheus >/dev/null || { echo "prometheus not found: install the Debian package prometheus"; exit 1; }
work=$(mktemp -d /tmp/crowsnest-federate-XXXXXX)
cleanup() { kill "${prom_pid:-}" "${http_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

swift build -c release --product CrowsnestBench >/dev/null
bin=$(swift build -c release --show-bin-path)

echo "== generating $targets payloads of $series series"
mkdir -p "$work/payloads"
python3 - "$work/payloads" "$targets" "$series" <<'PY'
import sys
root, targets, series = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for t in range(targets):
    lines = []
    family = 0
    written = 0
    while written < series:
        name = f"app_metric_{family}_total"
        lines.append(f"# HELP {name} Requests handled by the handler.\n# TYPE {name} counter\n")
        for i in range(min(50, series - written)):
            lines.append(f'{name}{{handler="/api/v1/items/{i}",method="GET",code="200"}} {i * 7919 + t}\n')
            written += 1
        family += 1
    open(f"{root}/t{t}.prom", "w").write("".join(lines))
PY
port_http=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
port_prom=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work/payloads" && exec python3 -m http.server "$port_http" --bind 127.0.0.1 >/dev/null 2>&1) &
http_pid=$!
{
    echo "global: { scrape_interval: 15s, scrape_timeout: 14s }"
    echo "scrape_configs:"
    echo "  - job_name: pods"
    echo "    static_configs:"
    for ((t = 0; t < targets; t++)); do
        echo "      - targets: ['127.0.0.1:$port_http']"
        echo "        labels: { __metrics_path__: '/t$t.prom', pod_name: 'pod-$t', cluster: 'cluster-$((t % 10))' }"
    done
} > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port_prom" >"$work/prometheus.log" 2>&1 &
prom_pid=$!
expected=$((targets * series))
echo "== waiting for Prometheus to hold $expected series (bounded: 180 s)"
for _ in $(seq 1 90); do
    sleep 2
    have=$(curl -s "http://127.0.0.1:$port_prom/api/v1/query" --data-urlencode 'query=count({job="pods",__name__=~"app_.*"})' \
        | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)' 2>/dev/null || echo 0)
    [ "$have" -ge "$expected" ] && break
done
echo "   Prometheus holds $have series"
sleep 16  # a second scrape, as in steady state
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$prom_pid/status")
echo "== Prometheus /federate (match[]={__name__=~\".+\"}), best of 3"
best=999; best_first=999; size=0
for _ in 1 2 3; do
    read -r total first bytes < <(curl -s -o /dev/null -w '%{time_total} %{time_starttransfer} %{size_download}\n' \
        "http://127.0.0.1:$port_prom/federate" --data-urlencode 'match[]={__name__=~".+"}' -G)
    best=$(echo "if ($total < $best) $total else $best" | bc -l); best_first=$(echo "if ($first < $best_first) $first else $best_first" | bc -l); size=$bytes
done
printf '   /federate: %.3f s for %d MiB, first byte after %.3f s; Prometheus RSS %d MiB = %.0f B/series\n' \
    "$best" $((size / 1048576)) "$best_first" $((rss_kib / 1024)) "$(echo "$rss_kib * 1024 / $have" | bc -l)"
echo "== Crowsnest (same series, in process)"
"$bin/CrowsnestBench" serving --targets "$targets" --series "$series" | tee "$work/ours.txt"
ours=$(awk '/metrics plain/ {print $3}' "$work/ours.txt")
printf '== ratio: Prometheus /federate %.0f ms / Crowsnest /metrics %s ms = %.0fx (goal >= 30x)\n' \
    "$(echo "$best * 1000" | bc -l)" "$ours" "$(echo "$best * 1000 / $ours" | bc -l)"
