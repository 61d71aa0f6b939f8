#!/usr/bin/env bash
# Remote write: the gateway (`crowsnest serve` with remote_write and an on-disk buffer) and vmagent (Debian
# victoria-metrics; kubernetes_sd_configs + the original article's relabeling) doing the same job — scrape every pod
# through KubeSim's TLS pod proxy and remote-write every sample to one VictoriaMetrics single-node — one at a time, in
# the same run, on the same pods at the same interval. Prints three figures:
#   1. CPU seconds per million samples delivered: utime + stime of the sender's process over the window ÷ rows
#      VictoriaMetrics ingested by remote write over the same window (vm_rows_inserted_total{type="promremotewrite"}
#      on its /metrics: the same count for both senders).
#   2. Bytes on the wire per sample: compressed request bytes the sender reports
#      (crowsnest_remote_storage_sent_bytes_total, vmagent_remotewrite_bytes_sent_total) ÷ rows ingested.
#   3. Gateway memory during an outage: the receiver is stopped for OUTAGE_S seconds; the gateway's RSS is sampled
#      every 5 s and its peak compared with its steady state (RSS averaged over the window before); then the receiver
#      comes back and the time until nothing is pending is reported, with the buffer's peak size.
#
# Usage: Benchmarks/remote-write.sh [PODS] [SERIES] [INTERVAL_S] [WINDOW_S] [OUTAGE_S]   (default 100 1000 5 60 600)
set -euo pipefail
cd "$(dirname "$0")/.."
pods=${1:-100}
series=${2:-1000}
interval=${3:-5}
window=${4:-60}
outage=${5:-600}
targets=$pods
source Benchmarks/ScrapeBench/lib.sh

ensure_peer vmagent victoria-metrics
ensure_peer victoria-metrics victoria-metrics
ensure_peer curl curl

build_bench_binaries

work=$(mktemp -d /tmp/crowsnest-remotewrite-XXXXXX)
peer_pid=""; vm_pid=""; sim_pid=""
clean_up_at_exit peer_pid vm_pid sim_pid

echo "== simulating 1 cluster × $pods pods × $series series (gzip, changing values), interval ${interval}s"
start_sim --clusters 1 --pods "$pods" --series "$series" --interval "$interval" --max-seconds $((7200 + outage))
dir=$work/sim

vm_port=$(free_port)
start_vm() {
    victoria-metrics -httpListenAddr="127.0.0.1:$vm_port" -storageDataPath="$work/vm-data" -loggerLevel=ERROR \
        -retentionPeriod=100y >>"$work/vm.log" 2>&1 &
    vm_pid=$!
    for _ in $(seq 1 100); do
        curl -s --max-time 2 "http://127.0.0.1:$vm_port/health" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "VictoriaMetrics did not start"; tail -20 "$work/vm.log"; exit 1
}
start_vm
write_url="http://127.0.0.1:$vm_port/api/v1/write"

cp "$dir/crowsnest.yaml" "$work/crowsnest.yaml"
cat >>"$work/crowsnest.yaml" <<YAML
remote_write:
  - url: $write_url
    name: bench
    buffer: { dir: $work/buffer, max_size: 4GiB, max_age: 2h }
YAML

targets_up() {
    case $1 in
    crowsnest) curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/clusters" \
        | python3 -c 'import json,sys; print(sum(c.get("targetsUp", 0) for c in json.load(sys.stdin)))' ;;
    vmagent) curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/targets" \
        | python3 -c 'import json,sys; print(sum(t.get("health") == "up" for t in json.load(sys.stdin)["data"]["activeTargets"]))' ;;
    esac
}
rows_ingested() { metric_sum "http://127.0.0.1:$vm_port/metrics" vm_rows_inserted_total 'type="promremotewrite"'; }
bytes_sent() {
    case $1 in
    crowsnest) metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_remote_storage_sent_bytes_total ;;
    vmagent) metric_sum "http://127.0.0.1:$port/metrics" vmagent_remotewrite_bytes_sent_total ;;
    esac
}

measure() {
    local name=$1
    port=$(free_port)
    case $name in
    crowsnest)
        "$bin/crowsnest" serve --config-dir "$dir/clusters.d" --config "$work/crowsnest.yaml" \
            --listen "127.0.0.1:$port" --log-level warning >"$work/$name.log" 2>&1 &
        ;;
    vmagent)
        vmagent -promscrape.config="$dir/vmagent.yaml" -httpListenAddr="127.0.0.1:$port" \
            -remoteWrite.url="$write_url" -remoteWrite.tmpDataPath="$work/vmagent-data" \
            -promscrape.config.strictParse=false -loggerLevel=WARN >"$work/$name.log" 2>&1 &
        ;;
    esac
    peer_pid=$!
    local up=0
    for _ in $(seq 1 120); do
        sleep 1
        kill -0 "$peer_pid" 2>/dev/null || { echo "$name died:"; tail -20 "$work/$name.log"; exit 1; }
        up=$(targets_up "$name" 2>/dev/null || echo 0)
        [ "$up" -ge "$targets" ] && break
    done
    [ "$up" -ge "$targets" ] || { echo "$name: only $up of $targets targets up after 120 s"; exit 1; }
    sleep $((3 * interval))  # warm-up
    local rows0 bytes0 cpu0 t0 rows1 bytes1 cpu1 t1 rss_sum=0 rss_n=0
    rows0=$(rows_ingested); bytes0=$(bytes_sent "$name"); cpu0=$(cpu_ticks "$peer_pid"); t0=$(now)
    local end=$(( $(date +%s) + window ))
    while [ "$(date +%s)" -lt "$end" ]; do
        rss_sum=$((rss_sum + $(rss_kib "$peer_pid"))); rss_n=$((rss_n + 1)); sleep 5
    done
    cpu1=$(cpu_ticks "$peer_pid"); t1=$(now); sleep 2
    rows1=$(rows_ingested); bytes1=$(bytes_sent "$name")
    steady_rss=$((rss_sum / rss_n))
    python3 - "$name" "$cpu0" "$cpu1" "$t0" "$t1" "$rows0" "$rows1" "$bytes0" "$bytes1" "$steady_rss" "$CLK_TCK" \
        "$((targets * series))" "$interval" <<'PY' | tee -a "$work/results.txt"
import sys
name, cpu0, cpu1, t0, t1, rows0, rows1, bytes0, bytes1, rss, tck, per_round, interval = sys.argv[1:]
cpu = (float(cpu1) - float(cpu0)) / float(tck)
elapsed = float(t1) - float(t0)
rows = float(rows1) - float(rows0)
sent = float(bytes1) - float(bytes0)
due = float(per_round) * elapsed / float(interval)
print(f"{name:<10} {cpu / (rows / 1e6) if rows else float('inf'):8.3f} CPU-s/M delivered   "
      f"{sent / rows if rows else float('inf'):6.2f} bytes/sample   cpu {cpu / elapsed:5.2f} cores   "
      f"delivered {rows / 1e6:6.2f} M ({rows / due * 100:5.1f}% of due)   RSS {int(rss) // 1024} MiB")
PY
    if [ "$name" = crowsnest ] && [ "$outage" -gt 0 ]; then
        echo "== outage: VictoriaMetrics stopped for ${outage} s"
        kill "$vm_pid"; wait "$vm_pid" 2>/dev/null || true; vm_pid=""
        local peak=0 buffer_peak=0 end2=$(( $(date +%s) + outage ))
        while [ "$(date +%s)" -lt "$end2" ]; do
            local rss; rss=$(rss_kib "$peer_pid"); [ "$rss" -gt "$peak" ] && peak=$rss
            local buf; buf=$(du -sk "$work/buffer" | awk '{print $1}'); [ "$buf" -gt "$buffer_peak" ] && buffer_peak=$buf
            sleep 5
        done
        start_vm
        local t_back; t_back=$(now)
        local pending=1
        for _ in $(seq 1 $((outage * 2))); do
            pending=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_remote_storage_samples_pending)
            python3 -c "import sys; sys.exit(0 if float('$pending') == 0 else 1)" && break
            sleep 1
        done
        local dropped; dropped=$(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_remote_storage_samples_dropped_total)
        python3 - "$steady_rss" "$peak" "$buffer_peak" "$t_back" "$(now)" "$pending" "$dropped" <<'PY' | tee -a "$work/results.txt"
import sys
steady, peak, buffer_peak, back, done, pending, dropped = sys.argv[1:]
print(f"outage     peak RSS {int(peak) // 1024} MiB = {int(peak) / int(steady):.2f}x steady ({int(steady) // 1024} MiB)   "
      f"buffer peak {int(buffer_peak) // 1024} MiB   caught up {float(done) - float(back):.0f} s after recovery "
      f"(pending {float(pending):.0f}, dropped {float(dropped):.0f})")
PY
    fi
    kill "$peer_pid"; wait "$peer_pid" 2>/dev/null || true; peer_pid=""
}

echo "== each sender alone for a ${window} s window after all $targets targets are up + $((3 * interval)) s warm-up"
for peer in vmagent crowsnest; do
    measure "$peer"
done

python3 - "$work/results.txt" <<'PY'
import sys
cost, wire, memory = {}, {}, None
for line in open(sys.argv[1]):
    parts = line.split()
    if parts[0] == "outage":
        memory = line.split("=")[1].split("x")[0].strip()
    else:
        cost[parts[0]], wire[parts[0]] = float(parts[1]), float(parts[4])
print(f"== crowsnest ÷ vmagent: CPU per sample delivered {cost['crowsnest'] / cost['vmagent']:.2f}x (goal <= 0.5x); "
      f"bytes per sample {wire['crowsnest'] / wire['vmagent']:.2f}x (goal <= 1x)"
      + (f"; outage memory {memory}x steady (goal < 1.2x)" if memory else ""))
PY
