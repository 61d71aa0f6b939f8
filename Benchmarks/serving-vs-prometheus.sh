#!/usr/bin/env bash
# /metrics of a live `crowsnest serve` vs /federate of Debian's Prometheus, the same number of series, same run,
# everything measured over HTTP with curl.
#
# Prometheus scrapes TARGETS static targets (python http.server on 127.0.0.1) of SERIES series each (about 80-byte
# lines, 20 families per target) and serves them on /federate. Crowsnest scrapes TARGETS simulated pods of SERIES
# series each (ScrapeBench sim: one cluster, values changing every scrape) through KubeSim's pod proxy every
# INTERVAL_S seconds and serves them on /metrics. For Crowsnest it reports:
#   - memory as an operator measures it: peak RSS above the idle baseline (the same binary serving no cluster)
#     over MINUTES minutes of scraping, per series held, with a gzip /metrics consumer every interval running from
#     before the gateway's start (as a Prometheus would be); then the
#     peak during a storm of 10 concurrent /metrics clients (half gzip) for 3 intervals, and its ratio to the first;
#   - /metrics plain and gzip: best of 3 total time, first byte, bytes.
# Usage: Benchmarks/serving-vs-prometheus.sh [TARGETS] [SERIES] [INTERVAL_S] [MINUTES]   (default 1000 1000 10 5)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=${1:-1000}
series=${2:-1000}
interval=${3:-10}
minutes=${4:-5}
source Benchmarks/ScrapeBench/lib.sh
ensure_peer prometheus prometheus
ensure_peer curl curl
build_bench_binaries
work=$(mktemp -d /tmp/crowsnest-federate-XXXXXX)
prom_pid=""; http_pid=""; gateway_pid=""; sim_pid=""; sampler_pid=""; consumer_pid=""
clean_up_at_exit sampler_pid consumer_pid gateway_pid sim_pid prom_pid http_pid

# Samples the RSS of PID $1 every 0.2 s and keeps the peak (KiB) in file $2 until killed.
sample_peak() {
    local peak=0 rss
    while rss=$(rss_kib "$1" 2>/dev/null); do
        [ "$rss" -gt "$peak" ] && { peak=$rss; echo "$peak" >"$2"; }
        sleep 0.2
    done
}

# Best of 3 GETs of URL $1 with extra curl arguments: prints "total_s first_byte_s bytes".
best_of_3() {
    local url=$1; shift
    local best=999 first=999 size=0 total start bytes
    for _ in 1 2 3; do
        read -r total start bytes < <(curl -s -o /dev/null --max-time 300 "$@" \
            -w '%{time_total} %{time_starttransfer} %{size_download}\n' "$url")
        best=$(echo "if ($total < $best) $total else $best" | bc -l)
        first=$(echo "if ($start < $first) $start else $first" | bc -l)
        size=$bytes
    done
    echo "$best $first $size"
}

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
rss_kib "$prom_pid" >"$work/prom_rss"
echo "== Prometheus /federate (match[]={__name__=~\".+\"})"
read -r fed_plain fed_first fed_bytes < <(best_of_3 "http://127.0.0.1:$port_prom/federate" \
    --data-urlencode 'match[]={__name__=~".+"}' -G)
read -r fed_gzip _ fed_gzip_bytes < <(best_of_3 "http://127.0.0.1:$port_prom/federate" \
    -H 'Accept-Encoding: gzip' --data-urlencode 'match[]={__name__=~".+"}' -G)
kill "$prom_pid" "$http_pid"; wait "$prom_pid" "$http_pid" 2>/dev/null || true; prom_pid=""; http_pid=""

echo "== Crowsnest: idle baseline (the same binary, no cluster)"
mkdir -p "$work/empty.d"
port=$(free_port)
"$bin/crowsnest" serve --config-dir "$work/empty.d" --listen "127.0.0.1:$port" --log-level warning \
    >"$work/idle.log" 2>&1 &
gateway_pid=$!
sleep 3
curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
sleep 1
baseline=$(rss_kib "$gateway_pid")
kill "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true
echo "   idle RSS $((baseline / 1024)) MiB"

echo "== Crowsnest: $targets simulated pods × $series series every ${interval}s"
start_sim --clusters 1 --pods "$targets" --series "$series" --interval "$interval" --max-seconds 3600
"$bin/crowsnest" serve --config-dir "$work/sim/clusters.d" --config "$work/sim/crowsnest.yaml" \
    --listen "127.0.0.1:$port" --log-level warning >"$work/gateway.log" 2>&1 &
gateway_pid=$!
# A Prometheus scraping the gateway is running before it starts, as in a deployment.
(
    while true; do
        # Until the gateway listens, try again every second.
        if curl -sf -o /dev/null --max-time 60 -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics"; then
            sleep "$interval"
        else
            sleep 1
        fi
    done
) &
consumer_pid=$!
up=0
for _ in $(seq 1 $((interval * 6))); do
    sleep 1
    kill -0 "$gateway_pid" 2>/dev/null || { echo "crowsnest serve died:"; tail -20 "$work/gateway.log"; exit 1; }
    up=$(curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/clusters" \
        | python3 -c 'import json,sys; print(sum(c.get("targetsUp", 0) for c in json.load(sys.stdin)))' 2>/dev/null || echo 0)
    [ "$up" -ge "$targets" ] && break
done
[ "$up" -ge "$targets" ] || { echo "only $up of $targets targets up"; tail -20 "$work/gateway.log"; exit 1; }
sleep "$interval"
echo "   all $targets targets up; measuring $minutes minutes with a gzip /metrics consumer every ${interval}s"
sample_peak "$gateway_pid" "$work/peak" &
sampler_pid=$!
sleep $((minutes * 60))
kill "$sampler_pid" "$consumer_pid"; wait "$sampler_pid" "$consumer_pid" 2>/dev/null || true; consumer_pid=""
steady_peak=$(cat "$work/peak")
steady_limit=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrape_concurrency_limit)
held=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_series_held)

echo "   storm: 10 concurrent /metrics clients (5 gzip) for $((interval * 3)) s"
rm -f "$work/peak"
sample_peak "$gateway_pid" "$work/peak" &
sampler_pid=$!
storm_end=$(( $(date +%s) + interval * 3 ))
storm_requests=0
while [ "$(date +%s)" -lt "$storm_end" ]; do
    clients=()
    for client in 0 1 2 3 4 5 6 7 8 9; do
        if [ $((client % 2)) -eq 0 ]; then
            curl -s -o /dev/null --max-time 120 -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics" &
        else
            curl -s -o /dev/null --max-time 120 "http://127.0.0.1:$port/metrics" &
        fi
        clients+=($!)
    done
    wait "${clients[@]}" || true
    storm_requests=$((storm_requests + 10))
done
kill "$sampler_pid"; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
storm_peak=$(cat "$work/peak")
storm_limit=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrape_concurrency_limit)

read -r ours_plain ours_first ours_bytes < <(best_of_3 "http://127.0.0.1:$port/metrics")
read -r ours_gzip ours_gzip_first ours_gzip_bytes < <(best_of_3 "http://127.0.0.1:$port/metrics" -H 'Accept-Encoding: gzip')
prom_rss=$(cat "$work/prom_rss")

python3 - <<PY
held = $held
have = $have
print(f"Prometheus /federate  plain {$fed_plain:.3f} s ({$fed_bytes / 1048576:.0f} MiB, first byte {$fed_first:.3f} s), "
      f"gzip {$fed_gzip:.3f} s ({$fed_gzip_bytes / 1048576:.0f} MiB); RSS {$prom_rss / 1024:.0f} MiB = "
      f"{$prom_rss * 1024 / have:.0f} B/series")
print(f"Crowsnest /metrics    plain {$ours_plain:.3f} s ({$ours_bytes / 1048576:.0f} MiB, first byte {$ours_first:.3f} s), "
      f"gzip {$ours_gzip:.3f} s ({$ours_gzip_bytes / 1048576:.0f} MiB, first byte {$ours_gzip_first:.3f} s)")
steady = ($steady_peak - $baseline) * 1024 / held
storm = ($storm_peak - $baseline) * 1024 / held
print(f"Crowsnest memory      idle {$baseline / 1024:.0f} MiB; peak over $minutes min {$steady_peak / 1024:.0f} MiB; "
      f"{held:,.0f} series held = {steady:.0f} B/series above idle (goal <= 150)")
print(f"                      storm ($storm_requests requests) peak {$storm_peak / 1024:.0f} MiB = {storm:.0f} B/series, "
      f"{storm / steady:.2f}x the steady peak (goal <= 1.3x); scrape concurrency limit {$steady_limit:.0f} before, "
      f"{$storm_limit:.0f} after the storm")
print(f"== plain: /federate {$fed_plain:.3f} s / /metrics {$ours_plain:.3f} s = {$fed_plain / $ours_plain:.0f}x (goal >= 100x); "
      f"gzip / plain = {$ours_gzip / $ours_plain:.2f}x (goal <= 1.5x); first byte {$ours_first * 1000:.0f} ms (goal < 50 ms)")
PY
