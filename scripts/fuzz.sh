#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets of Fuzz/ and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Targets: FuzzExposition (parser, writer round trip, renderer), FuzzRelabelRegex (PrometheusRegex, relabel rules),
# FuzzClusterFile (clusters.d/*.yaml and crowsnest.yaml loaders), FuzzWatchEvent (pod list / watch JSON decoding).
# Corpora are seeded from Tests/TestData, clusters.d/*.example and the committed Fuzz/seeds/<target>/; the
# committed Fuzz/regressions/<target>/ inputs run first, every time. The working corpus (Fuzz/corpus-work/) and
# crash artifacts (Fuzz/artifacts/) are git-ignored and grow across local runs.
#
# Prints, per target: executions, exec/s, coverage (cov:/ft:), corpus size and the result. Exits 1 when any
# target crashed, timed out (-timeout=10 per input) or ran out of memory (-rss_limit_mb=2048), printing the
# path of the input that did it; reproduce with `SWIFT_BACKTRACE=enable=no Fuzz/.build/debug/<Target> <path>`.
#
# Environment:
#   FUZZ_TARGETS        targets to run (default: all four)
#   FUZZ_JOBS           targets run at once (default 2: one per core of the 2-core CI machine)
#   FUZZ_CONFIGURATION  debug or release (default debug: builds fastest; bounds checks of unsafe buffers stay on)
#   FUZZ_SANITIZERS     -sanitize= value (default fuzzer; fuzzer,address adds AddressSanitizer to Swift code)
#   CROWSNEST_TESTDATA  the test data folder (default Tests/TestData)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz=$root/Fuzz
seconds=${1:-60}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2; exit 2; }
targets=(${FUZZ_TARGETS:-FuzzExposition FuzzRelabelRegex FuzzClusterFile FuzzWatchEvent})
jobs=${FUZZ_JOBS:-2}
configuration=${FUZZ_CONFIGURATION:-debug}
sanitizers=${FUZZ_SANITIZERS:-fuzzer}
testdata=${CROWSNEST_TESTDATA:-$root/Tests/TestData}
work=$fuzz/corpus-work
artifacts=$fuzz/artifacts

# Largest input per target: big enough for a few pod objects or a few KB of exposition, small enough for speed.
max_len() {
    case $1 in
        FuzzExposition) echo 8192 ;;
        FuzzRelabelRegex) echo 1024 ;;
        FuzzClusterFile) echo 4096 ;;
        FuzzWatchEvent) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

# --- build -------------------------------------------------------------------------------------------------
# The Fuzz package pins what the root package pins.
[[ -f $fuzz/Package.resolved ]] || cp "$root/Package.resolved" "$fuzz/Package.resolved" 2>/dev/null || true
build_flags=(--package-path "$fuzz" -c "$configuration" -Xswiftc "-sanitize=$sanitizers" -Xswiftc -parse-as-library)
# @testable imports (internal decoders of CrowsnestKube, the regex engine switch) need testability in release too.
[[ $configuration == release ]] && build_flags+=(-Xswiftc -enable-testing)
started=$(date +%s)
echo "fuzz: building ${targets[*]} ($configuration, -sanitize=$sanitizers)"
if ! swift build "${build_flags[@]}" > "$fuzz/.build-log.txt" 2>&1; then
    grep -E "error:" "$fuzz/.build-log.txt" | head -20 >&2
    echo "fuzz: FAILED to build the fuzz targets (log: Fuzz/.build-log.txt)" >&2
    exit 1
fi
for target in "${targets[@]}"; do
    [[ -x $fuzz/.build/$configuration/$target ]] || { echo "fuzz: no binary for $target" >&2; exit 1; }
done
echo "fuzz: build took $(( $(date +%s) - started )) s"

# --- seed corpora ------------------------------------------------------------------------------------------
# A seed is the target's selector byte(s) followed by the payload; see each target's doc comment for the layout.
seed_file() {  # seed_file DIR NAME PREFIX_PRINTF FILE
    { printf "$3"; cat "$4"; } > "$1/$2"
}

seed() {
    local target=$1 dir=$work/seed-$target
    rm -rf "$dir"
    mkdir -p "$dir" "$work/$target"
    case $target in
        FuzzExposition)
            if [[ -d $testdata/openmetrics/parsers ]]; then
                for case_dir in "$testdata"/openmetrics/parsers/*/; do
                    local name
                    name=$(basename "$case_dir")
                    [[ -f $case_dir/metrics ]] || continue
                    seed_file "$dir" "om-$name" '\001\000' "$case_dir/metrics"
                    seed_file "$dir" "om-strict-limits-$name" '\001\043' "$case_dir/metrics"
                done
            fi
            local corpus=$testdata/corpora
            if [[ -d $corpus ]]; then
                for file in "$corpus"/prometheus-common-expfmt/expfmt/fuzz/corpus/* "$corpus"/node_exporter/collector/fixtures/textfile/*/*.prom \
                    "$corpus"/prometheus-common-expfmt/expfmt/testdata/*; do
                    [[ -f $file ]] && seed_file "$dir" "text-$(basename "$(dirname "$file")")-$(basename "$file")" '\000\000' "$file"
                done
                for file in "$corpus"/prometheus-textparse/*.om.txt; do
                    [[ -f $file ]] && seed_file "$dir" "om-$(basename "$file")" '\001\000' "$file"
                done
                # Large real payloads, cut at line ends into pieces under max_len.
                for file in "$corpus"/prometheus-textparse/alltypes.237mfs.prom.txt "$corpus"/node_exporter/collector/fixtures/e2e-output.txt; do
                    [[ -f $file ]] || continue
                    local pieces
                    pieces=$(mktemp -d)
                    split -C 6000 -d -a 3 "$file" "$pieces/piece-"
                    local count=0
                    for piece in "$pieces"/piece-*; do
                        (( count++ % 4 == 0 )) || continue  # every fourth piece: varied content, small corpus
                        seed_file "$dir" "text-$(basename "$file")-$(basename "$piece")" '\000\000' "$piece"
                    done
                    rm -rf "$pieces"
                done
            fi
            ;;
        FuzzClusterFile)
            for file in "$root"/clusters.d/*.example; do
                [[ -f $file ]] || continue
                seed_file "$dir" "cluster-$(basename "$file")" '\000' "$file"
                seed_file "$dir" "cluster-refs-$(basename "$file")" '\004' "$file"
            done
            ;;
    esac
    [[ -d $fuzz/seeds/$target ]] && cp "$fuzz/seeds/$target"/* "$dir/" 2>/dev/null
    return 0
}

# --- run ---------------------------------------------------------------------------------------------------
# run TARGET: fuzzes for $seconds, writing the log to $work/TARGET.log; returns libFuzzer's exit status.
run() {
    local target=$1 binary=$fuzz/.build/$configuration/$1
    mkdir -p "$artifacts/$target"
    local corpora=("$work/$target" "$work/seed-$target")
    [[ -d $fuzz/regressions/$target ]] && corpora+=("$fuzz/regressions/$target")
    # The Swift runtime's backtracer would take the crash signal from libFuzzer, which then writes no input.
    # Hashing stays randomly seeded (as in production): a finding that depends on Set/Dictionary order may need a
    # few runs to reproduce.
    SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
        -print_final_stats=1 -artifact_prefix="$artifacts/$target/" "${corpora[@]}" > "$work/$target.log" 2>&1
}

# summarize TARGET STATUS: one line of figures from libFuzzer's final stats.
summarize() {
    local target=$1 status=$2 log=$work/$1.log
    local executions rate coverage features corpus result artifact
    # awk only (no grep | tail pipelines): a missing line must not stop the script under `set -o pipefail`.
    executions=$(awk '/^stat::number_of_executed_units:/ { value = $2 } END { print value }' "$log")
    rate=$(awk '/^stat::average_exec_per_sec:/ { value = $2 } END { print value }' "$log")
    coverage=$(awk '{ for (i = 1; i < NF; i++) if ($i == "cov:") value = $(i + 1) } END { print value }' "$log")
    features=$(awk '{ for (i = 1; i < NF; i++) if ($i == "ft:") value = $(i + 1) } END { print value }' "$log")
    corpus=$(awk '{ for (i = 1; i < NF; i++) if ($i == "corp:") value = $(i + 1) } END { print value }' "$log")
    artifact=$(awk '/Test unit written to/ { value = $NF } END { print value }' "$log")
    if [[ $status -eq 0 ]]; then
        result=ok
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        result=TIMEOUT
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
        result=OOM
    else
        result=CRASH
    fi
    printf '%-18s %-8s executions=%-10s exec/s=%-7s cov=%-6s ft=%-7s corpus=%-12s\n' \
        "$target" "$result" "${executions:-?}" "${rate:-?}" "${coverage:-?}" "${features:-?}" "${corpus:-?}"
    if [[ $result != ok ]]; then
        awk '/Fatal error|ERROR: (libFuzzer|AddressSanitizer)/ { print "    " substr($0, 1, 400); exit }' "$log"
        echo "    input: ${artifact:-(none written; see $log)}"
        echo "    log:   $log"
    fi
}

for target in "${targets[@]}"; do seed "$target"; done
echo "fuzz: running ${#targets[@]} targets for $seconds s each, $jobs at a time"
declare -A status=()
pending=("${targets[@]}")
while ((${#pending[@]} > 0)); do
    batch=("${pending[@]:0:$jobs}")
    pending=("${pending[@]:$jobs}")
    declare -A pids=()
    for target in "${batch[@]}"; do
        run "$target" &
        pids[$target]=$!
    done
    for target in "${batch[@]}"; do
        if wait "${pids[$target]}"; then status[$target]=0; else status[$target]=$?; fi
    done
    unset pids
done

failed=0
for target in "${targets[@]}"; do
    summarize "$target" "${status[$target]}"
    [[ ${status[$target]} -eq 0 ]] || failed=1
done
echo "fuzz: total $(( $(date +%s) - started )) s"
if ((failed)); then
    echo "fuzz: FAILED — add the input to Fuzz/regressions/<target>/ once fixed" >&2
    exit 1
fi
echo "fuzz: no crash, timeout or out-of-memory in ${#targets[@]} targets"
