#!/usr/bin/env bash
# Scale: `crowsnest serve` on CLUSTERS simulated clusters × PODS pods × SERIES series at a INTERVAL_S interval
# (default 10 × 500 × 500 at 30 s = 5,000 targets, 2.5 M series), the simulator on the same machine.
#
# After every target is up and one more interval, a window of ROUNDS intervals (default 3) is measured:
#   - gateway CPU (utime + stime of its process from /proc/PID/stat) as cores used on average, RSS and RSS per
#     series held (crowsnest_series_held), and the simulator's CPU and RSS (it shares the 2 cores);
#   - falling behind, two ways: (1) successful scrapes in the window (crowsnest_scrapes_total) against the
#     scrapes due (targets × window ÷ interval; missed ticks are skipped, not burst, so a scraper that falls
#     behind scrapes less than due), and (2) at the end of the window, every target's age of last scrape
#     (now − lastScrape from /api/v1/clusters/NAME) must be below interval + its scrape duration + 1 s
#     (lastScrape has second precision), and no scrape may take longer than the interval.
# The per-cluster JSON is read only outside the CPU window. One gzip GET /metrics is timed after the window.
# As a Prometheus would, a consumer fetches gzip /metrics once per interval from the gateway's start (its cost is
# the gateway's, inside the window; VmHWM then shows the peak of a deployment); CONSUMER=0 leaves it out.
#
# With NODES > 0 every cluster also has NODES nodes whose kubelets serve cAdvisor for PODS_PER_NODE pods each, scraped
# through the node proxy (nodes: cadvisor: true); samples per scrape are then series held ÷ targets.
#
# Usage: Benchmarks/scale.sh [CLUSTERS] [PODS] [SERIES] [INTERVAL_S] [ROUNDS] [NODES] [PODS_PER_NODE]
#                                                                    (default 10 500 500 30 3 0 110)
set -euo pipefail
cd "$(dirname "$0")/.."
clusters=${1:-10}
pods=${2:-500}
series=${3:-500}
interval=${4:-30}
rounds=${5:-3}
nodes=${6:-0}
pods_per_node=${7:-110}
targets=$((clusters * (pods + nodes)))
window=$((rounds * interval))
source Benchmarks/ScrapeBench/lib.sh
ensure_peer curl curl

build_bench_binaries

work=$(mktemp -d /tmp/crowsnest-scale-XXXXXX)
gateway_pid=""; sim_pid=""; consumer_pid=""
clean_up_at_exit consumer_pid gateway_pid sim_pid

echo "== simulating $clusters clusters × $pods pods × $series series = $((clusters * pods * series)) series" \
    "+ $nodes nodes × cAdvisor of $pods_per_node pods per cluster, interval ${interval}s"
start_sim --clusters "$clusters" --pods "$pods" --series "$series" --nodes "$nodes" --pods-per-node "$pods_per_node" \
    --interval "$interval" --max-seconds 3600
dir=$work/sim
port=$(free_port)
started=$(now)
"$bin/crowsnest" serve --config-dir "$dir/clusters.d" --config "$dir/crowsnest.yaml" \
    --listen "127.0.0.1:$port" --log-level warning >"$work/gateway.log" 2>&1 &
gateway_pid=$!
if [ "${CONSUMER:-1}" = 1 ]; then
    echo "== a gzip /metrics consumer every ${interval}s (CONSUMER=0 to leave it out)"
    (
        while true; do
            # Until the gateway listens, try again every second.
            if curl -sf -o /dev/null --max-time "$interval" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics"; then
                sleep "$interval"
            else
                sleep 1
            fi
        done
    ) &
    consumer_pid=$!
fi

up=0
for _ in $(seq 1 $((interval * 4))); do
    sleep 1
    kill -0 "$gateway_pid" 2>/dev/null || { echo "crowsnest serve died:"; tail -20 "$work/gateway.log"; exit 1; }
    up=$(curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/clusters" \
        | python3 -c 'import json,sys; print(sum(c.get("targetsUp", 0) for c in json.load(sys.stdin)))' 2>/dev/null || echo 0)
    [ "$up" -ge "$targets" ] && break
done
[ "$up" -ge "$targets" ] || { echo "only $up of $targets targets up after $((interval * 4)) s"; tail -20 "$work/gateway.log"; exit 1; }
printf '== all %d targets up %.1f s after start; warm-up %d s\n' "$targets" "$(python3 -c "print($(now) - $started)")" "$interval"
sleep "$interval"

# Checks every target's last scrape; prints "targets max_age_s max_duration_s behind" (behind = count of targets
# whose age exceeds interval + duration + 1 s or whose duration exceeds the interval).
check_targets() {
    local names
    names=$(curl -s --max-time 30 "http://127.0.0.1:$port/api/v1/clusters" | python3 -c 'import json,sys; print(" ".join(c["name"] for c in json.load(sys.stdin)))')
    rm -rf "$work/reports"; mkdir -p "$work/reports"
    local asked; asked=$(now)  # ages are measured from before the reports are fetched
    for name in $names; do
        curl -s --max-time 60 -o "$work/reports/$name.json" "http://127.0.0.1:$port/api/v1/clusters/$name"
    done
    python3 -c '
import glob, json, sys, time, datetime
interval = float(sys.argv[1])
now = float(sys.argv[3])
count, max_age, max_duration, behind, down = 0, 0.0, 0.0, 0, 0
for path in glob.glob(sys.argv[2] + "/*.json"):
    for target in json.load(open(path)).get("targets", []):
        count += 1
        if not target.get("up", False): down += 1
        last = target.get("lastScrape")
        age = now - datetime.datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp() if last else float("inf")
        duration = float(target.get("durationSeconds", 0))
        max_age, max_duration = max(max_age, age), max(max_duration, duration)
        if age > interval + duration + 1 or duration > interval: behind += 1
print(count, f"{max_age:.1f}", f"{max_duration:.3f}", behind, down)
' "$interval" "$work/reports" "$asked"
}

read -r n_before age_before dur_before behind_before down_before < <(check_targets)
success0=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="success"')
failure0=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="failure"')
cpu0=$(cpu_ticks "$gateway_pid"); sim0=$(cpu_ticks "$sim_pid"); t0=$(now)
echo "== measuring $rounds intervals (${window} s)"
peak_rss=0
for _ in $(seq 1 "$window"); do
    sleep 1
    rss=$(rss_kib "$gateway_pid"); [ "$rss" -gt "$peak_rss" ] && peak_rss=$rss
done
cpu1=$(cpu_ticks "$gateway_pid"); sim1=$(cpu_ticks "$sim_pid"); t1=$(now)
success1=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="success"')
failure1=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="failure"')
held=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_series_held)
rss_end=$(rss_kib "$gateway_pid"); hwm=$(hwm_kib "$gateway_pid"); sim_rss=$(rss_kib "$sim_pid")
read -r n_after age_after dur_after behind_after down_after < <(check_targets)
read -r metrics_time metrics_bytes < <(curl -s -o /dev/null -H 'Accept-Encoding: gzip' --max-time 120 \
    -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$port/metrics")

python3 - <<PY
elapsed = $t1 - $t0
tck = $CLK_TCK
cpu = ($cpu1 - $cpu0) / tck
sim = ($sim1 - $sim0) / tck
due = $targets * elapsed / $interval
done = $success1 - $success0
failed = $failure1 - $failure0
held = $held
per_scrape = held / $targets if $nodes > 0 else $series
print(f"gateway CPU      {cpu:.1f} s over {elapsed:.1f} s = {cpu / elapsed:.2f} cores on average "
      f"({cpu / (done * per_scrape / 1e6) if done else float('inf'):.3f} CPU-s per million samples)")
print(f"gateway memory   RSS {$rss_end / 1024:.0f} MiB at the end (peak in window {$peak_rss / 1024:.0f} MiB, "
      f"VmHWM {$hwm / 1024:.0f} MiB) for {held:,.0f} series held = {$rss_end * 1024 / held if held else 0:.0f} B/series")
print(f"simulator        CPU {sim / elapsed:.2f} cores, RSS {$sim_rss / 1024:.0f} MiB "
      f"(together {(cpu + sim) / elapsed:.2f} of 2 cores)")
print(f"scrapes          {done:,.0f} succeeded, {failed:,.0f} failed in the window; due {due:,.0f} "
      f"({done / due * 100:.1f}%)")
print(f"last scrape      before window: {$n_before} targets, max age ${age_before} s, max duration ${dur_before} s, "
      f"{$behind_before} behind, {$down_before} down")
print(f"                 after window:  {$n_after} targets, max age ${age_after} s, max duration ${dur_after} s, "
      f"{$behind_after} behind, {$down_after} down")
print(f"GET /metrics     {float('$metrics_time'):.2f} s for {int('$metrics_bytes') / 1048576:.1f} MiB gzip (after the window)")
ok = $behind_after == 0 and $behind_before == 0 and done >= due * 0.99 and failed == 0
print("== " + ("no scrape fell behind its interval" if ok else "FELL BEHIND (see above)"))
PY
