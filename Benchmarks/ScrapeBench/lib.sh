# Shell helpers shared by Benchmarks/scrape-cost.sh and Benchmarks/scale.sh (sourced, not run).

CLK_TCK=$(getconf CLK_TCK)

# Installs Debian package $2 with apt-get when command $1 is missing (as root, or through sudo).
ensure_peer() {
    local command=$1 package=$2
    command -v "$command" >/dev/null 2>&1 && return 0
    echo "== $command missing: installing the Debian package $package"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null
    command -v "$command" >/dev/null 2>&1 || { echo "$command still missing: install the Debian package $package"; exit 1; }
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# CPU ticks (utime + stime, every thread of the process, not its children) of PID.
cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# Resident set in KiB of PID.
rss_kib() {
    awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}

# Peak resident set in KiB of PID.
hwm_kib() {
    awk '/^VmHWM/ {print $2}' "/proc/$1/status"
}

# Seconds since the epoch with nanoseconds.
now() {
    date +%s.%N
}

# Builds ScrapeBench and crowsnest in release, linked as deployed (--static-swift-stdlib); SKIP_BUILD=1 reuses the
# binaries already built. Sets bin to their folder.
build_bench_binaries() {
    echo "== building ScrapeBench and crowsnest (release)"
    local build=(-c release --build-path .build-bench-release --static-swift-stdlib)
    if [ -z "${SKIP_BUILD:-}" ]; then
        swift build "${build[@]}" --product ScrapeBench >/dev/null
        swift build "${build[@]}" --product crowsnest >/dev/null
    fi
    bin=$(swift build "${build[@]}" --show-bin-path)
}

# At exit, kills the processes whose ids the variables named $@ hold then (in that order), waits for them and
# removes $work.
clean_up_at_exit() {
    exit_pid_variables=("$@")
    trap clean_up EXIT
}
clean_up() {
    local name pid
    for name in "${exit_pid_variables[@]}"; do
        for pid in ${!name}; do kill "$pid" 2>/dev/null || true; done
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}

# Starts `ScrapeBench sim` with the given arguments (into $work/sim) and waits (bounded) for its ready file.
# Sets sim_pid.
start_sim() {
    "$bin/ScrapeBench" sim --dir "$work/sim" "$@" >"$work/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 600); do
        [ -f "$work/sim/ready" ] && return 0
        kill -0 "$sim_pid" 2>/dev/null || { echo "ScrapeBench sim died:"; tail -20 "$work/sim.log"; exit 1; }
        sleep 0.5
    done
    echo "ScrapeBench sim not ready after 300 s"; exit 1
}

# Sum of the values of every sample of metric $2 (exact name, any labels, optional label filter $3) at URL $1.
metric_sum() {
    curl -s --max-time 20 "$1" | python3 -c '
import sys
name, want = sys.argv[1], sys.argv[2]
total = 0.0
for line in sys.stdin:
    if not line.strip() or line.startswith("#"):
        continue
    if "}" in line:
        metric, tail = line.rsplit("}", 1)
    else:
        metric, _, tail = line.partition(" ")
    if metric.split("{", 1)[0] != name or (want and want not in metric):
        continue
    total += float(tail.split()[0])
print(repr(total))
' "$2" "${3:-}"
}
