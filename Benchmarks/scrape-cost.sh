#!/usr/bin/env bash
# Scrape cost: CPU seconds per million samples scraped end to end through KubeSim's TLS pod proxy, for
# `crowsnest serve`, vmagent (Debian victoria-metrics; kubernetes_sd_configs + the original article's relabeling)
# and Debian's Prometheus (file_sd targets = the same proxy paths; it is built without Kubernetes discovery),
# measured in the same run on the same pods at the same interval, one scraper at a time.
#
# CPU is utime + stime of the scraper's process only (/proc/PID/stat, all threads), over a window that starts after
# every target is up plus a warm-up. Samples are each scraper's own count over the same window:
#   crowsnest   successful scrapes (crowsnest_scrapes_total{result="success"} on /-/metrics) × series per pod
#   vmagent     vm_promscrape_scraped_samples_sum on its /metrics (samples parsed from scrape responses)
#   prometheus  sum(sum_over_time(scrape_samples_scraped[window])) through its query API
# What each does beyond scraping: vmagent relabels, keeps stale-marker state and ships every sample by remote
# write (snappy protobuf) to a local sink that discards it (python, not counted); Prometheus appends to its TSDB
# head and WAL on local disk; crowsnest keeps the last scrape of every target for /metrics. The "crowsnest +
# consumer" run adds one gzip GET /metrics per interval (its delivery path) to the gateway's CPU.
#
# The node case scrapes each simulated kubelet's cAdvisor through the node proxy instead
# (/api/v1/nodes/{node}/proxy/metrics/cadvisor; vmagent with role: node and the standard relabeling, Prometheus with
# the same paths as file_sd targets); samples per scrape are then read from each scraper's scrape_samples_scraped.
#
# PROXY_LATENCY_MS=250 makes KubeSim's proxy wait that long before forwarding each scrape (a busy or distant API
# server): the "% of due" column then shows which scraper keeps up.
#
# Usage: Benchmarks/scrape-cost.sh [CLUSTERS] [PODS] [SERIES] [INTERVAL_S] [WINDOW_S]   (default 1 100 1000 5 60)
#        Benchmarks/scrape-cost.sh nodes [CLUSTERS] [NODES] [PODS_PER_NODE] [INTERVAL_S] [WINDOW_S]
#                                                                             (default 1 10 110 5 60)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=pods
if [ "${1:-}" = nodes ]; then mode=nodes; shift; fi
clusters=${1:-1}
if [ "$mode" = nodes ]; then
    nodes=${2:-10}
    pods_per_node=${3:-110}
    pods=$nodes
    series=0  # read from the scrapers once the targets are up
else
    pods=${2:-100}
    series=${3:-1000}
fi
interval=${4:-5}
window=${5:-60}
targets=$((clusters * pods))
source Benchmarks/ScrapeBench/lib.sh

ensure_peer vmagent victoria-metrics
ensure_peer prometheus prometheus
ensure_peer curl curl

build_bench_binaries

work=$(mktemp -d /tmp/crowsnest-scrapecost-XXXXXX)
peer_pid=""; sink_pid=""; sim_pid=""; consumer_pid=""
clean_up_at_exit consumer_pid peer_pid sink_pid sim_pid

if [ "$mode" = nodes ]; then
    echo "== simulating $clusters cluster(s) × $nodes nodes × cAdvisor of $pods_per_node pods (changing values), interval ${interval}s"
    start_sim --clusters "$clusters" --pods 0 --nodes "$nodes" --pods-per-node "$pods_per_node" \
        --interval "$interval" --max-seconds 3600 --proxy-latency-ms "${PROXY_LATENCY_MS:-0}"
else
    echo "== simulating $clusters cluster(s) × $pods pods × $series series (gzip, changing values), interval ${interval}s"
    start_sim --clusters "$clusters" --pods "$pods" --series "$series" --interval "$interval" --max-seconds 3600 \
        --proxy-latency-ms "${PROXY_LATENCY_MS:-0}"
fi
[ "${PROXY_LATENCY_MS:-0}" -gt 0 ] && echo "   every proxied request waits ${PROXY_LATENCY_MS} ms"
dir=$work/sim

# Remote-write sink for vmagent: accepts and discards.
sink_port=$(free_port)
python3 - "$sink_port" >"$work/sink.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
sink_pid=$!

# Counts targets that are up, by scraper.
targets_up() {
    case $1 in
    crowsnest*) curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/clusters" \
        | python3 -c 'import json,sys; print(sum(c.get("targetsUp", 0) for c in json.load(sys.stdin)))' ;;
    vmagent | prometheus) curl -s --max-time 10 "http://127.0.0.1:$port/api/v1/targets" \
        | python3 -c 'import json,sys; print(sum(t.get("health") == "up" for t in json.load(sys.stdin)["data"]["activeTargets"]))' ;;
    esac
}

# Samples scraped so far (crowsnest, vmagent), read at the start and the end of the window.
samples_counter() {
    case $1 in
    crowsnest*) python3 -c "print($(metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="success"') * $series)" ;;
    vmagent) metric_sum "http://127.0.0.1:$port/metrics" vm_promscrape_scraped_samples_sum ;;
    esac
}

# Failed scrapes so far.
failures_counter() {
    case $1 in
    crowsnest*) metric_sum "http://127.0.0.1:$port/-/metrics" crowsnest_scrapes_total 'result="failure"' ;;
    vmagent) metric_sum "http://127.0.0.1:$port/metrics" vm_promscrape_scrapes_failed_total ;;
    esac
}

# Prometheus: samples and failed scrapes over the last $2 seconds, from its own series.
prometheus_query() {
    curl -s --max-time 20 "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1" \
        | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(float(r[0]["value"][1]) if r else 0.0)'
}

results=()
measure() {
    local name=$1
    port=$(free_port)
    case $name in
    crowsnest*)
        "$bin/crowsnest" serve --config-dir "$dir/clusters.d" --config "$dir/crowsnest.yaml" \
            --listen "127.0.0.1:$port" --log-level warning >"$work/$name.log" 2>&1 &
        ;;
    vmagent)
        vmagent -promscrape.config="$dir/vmagent.yaml" -httpListenAddr="127.0.0.1:$port" \
            -remoteWrite.url="http://127.0.0.1:$sink_port/api/v1/write" -remoteWrite.tmpDataPath="$work/vmagent-data" \
            -promscrape.config.strictParse=false -loggerLevel=WARN >"$work/$name.log" 2>&1 &
        ;;
    prometheus)
        prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
            --web.listen-address="127.0.0.1:$port" --log.level=warn >"$work/$name.log" 2>&1 &
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
    [ "$up" -ge "$targets" ] || { echo "$name: only $up of $targets targets up after 120 s"; tail -20 "$work/$name.log"; exit 1; }
    sleep $((2 * interval))  # warm-up: every target scraped at least twice more
    if [ "$mode" = nodes ] && [ "$series" = 0 ] && [ "${name%+consumer}" = crowsnest ]; then
        # Samples per cAdvisor body: the gateway's own scrape_samples_scraped, averaged over the targets.
        series=$(curl -s --max-time 20 "http://127.0.0.1:$port/metrics" | python3 -c '
import sys
values = [float(line.rsplit(" ", 2)[1] if line.count(" ") >= 2 else line.split()[-1])
          for line in sys.stdin if line.startswith("scrape_samples_scraped{")]
print(round(sum(values) / len(values)) if values else 0)')
        echo "   samples per cAdvisor scrape: $series"
    fi
    if [ "$name" = "crowsnest+consumer" ]; then
        (
            end=$(( $(date +%s) + window + 2 * interval ))
            while [ "$(date +%s)" -lt "$end" ]; do
                curl -s --compressed -o "$work/consumed.bin" -w '%{size_download}\n' "http://127.0.0.1:$port/metrics" >>"$work/consumer.log" || true
                sleep "$interval"
            done
        ) &
        consumer_pid=$!
    fi
    local samples0 failures0 cpu0 sim0 t0 samples1 failures1 cpu1 sim1 t1
    samples0=$(samples_counter "$name"); failures0=$(failures_counter "$name")
    cpu0=$(cpu_ticks "$peer_pid"); sim0=$(cpu_ticks "$sim_pid"); t0=$(now)
    sleep "$window"
    cpu1=$(cpu_ticks "$peer_pid"); sim1=$(cpu_ticks "$sim_pid"); t1=$(now)
    local elapsed samples failures
    elapsed=$(python3 -c "print($t1 - $t0)")
    if [ "$name" = prometheus ]; then
        local range=$((window))s
        samples=$(prometheus_query "sum(sum_over_time(scrape_samples_scraped[$range]))")
        failures=$(prometheus_query "sum(count_over_time(up[$range])) - sum(sum_over_time(up[$range]))")
    else
        samples1=$(samples_counter "$name"); failures1=$(failures_counter "$name")
        samples=$(python3 -c "print($samples1 - $samples0)")
        failures=$(python3 -c "print($failures1 - $failures0)")
    fi
    local rss; rss=$(rss_kib "$peer_pid")
    [ -n "$consumer_pid" ] && { kill "$consumer_pid" 2>/dev/null || true; wait "$consumer_pid" 2>/dev/null || true; consumer_pid=""; }
    kill "$peer_pid"; wait "$peer_pid" 2>/dev/null || true; peer_pid=""
    python3 - "$name" "$cpu0" "$cpu1" "$sim0" "$sim1" "$elapsed" "$samples" "$failures" "$rss" "$CLK_TCK" \
        "$((targets * series))" "$interval" <<'PY' | tee -a "$work/results.txt"
import sys
name, cpu0, cpu1, sim0, sim1, elapsed, samples, failures, rss, tck, per_round, interval = sys.argv[1:]
cpu = (float(cpu1) - float(cpu0)) / float(tck)
sim = (float(sim1) - float(sim0)) / float(tck)
elapsed, samples = float(elapsed), float(samples)
expected = float(per_round) * elapsed / float(interval)
per_million = cpu / (samples / 1e6) if samples else float("inf")
print(f"{name:<20} {per_million:8.3f} CPU-s/M samples   cpu {cpu:7.2f} s = {cpu / elapsed:5.2f} cores   "
      f"samples {samples / 1e6:7.2f} M ({samples / expected * 100:5.1f}% of {expected / 1e6:.2f} M due)   "
      f"failed scrapes {float(failures):.0f}   RSS {int(rss) // 1024} MiB   sim cpu {sim / elapsed:4.2f} cores")
PY
}

echo "== each scraper alone for a ${window} s window after all $targets targets are up + $((2 * interval)) s warm-up"
for peer in crowsnest vmagent prometheus crowsnest+consumer; do
    measure "$peer"
done

python3 - "$work/results.txt" <<'PY'
import sys
cost = {}
for line in open(sys.argv[1]):
    parts = line.split()
    cost[parts[0]] = float(parts[1])
cheaper_name = min(("vmagent", "prometheus"), key=lambda n: cost[n])
cheaper = cost[cheaper_name]
print(f"== ratio crowsnest ÷ cheaper peer ({cheaper_name} {cheaper:.3f}): {cost['crowsnest'] / cheaper:.2f}x "
      f"(with a /metrics consumer: {cost['crowsnest+consumer'] / cheaper:.2f}x); goal <= 0.5x")
PY
