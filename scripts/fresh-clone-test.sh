#!/usr/bin/env bash
# Proves the repository is self-contained: clones the committed HEAD into a new empty folder (nothing beside the
# clone), then runs the first stage of the README's test command there — dependency install, build, one suite that
# reads the committed test data — and a check that no test, benchmark or script names a path outside the checkout.
#
#   scripts/fresh-clone-test.sh [SUITE_FILTER]     (default OpenMetricsConformance)
#
# A full debug build: about 20-40 minutes on 2 busy cores, so CI does not run it; run it before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
source_repo=$PWD
filter=${1:-OpenMetricsConformance}
outer=$(mktemp -d)
trap 'rm -rf "$outer"' EXIT
git clone --quiet --no-hardlinks "$source_repo" "$outer/crowsnest"
cd "$outer/crowsnest"
echo "fresh-clone: $(git log -1 --format='%h %s') in $outer/crowsnest; beside it: $(ls -A "$outer" | tr '\n' ' ')"
if grep -rnE '\.\./shared|/work/|\.\./\.\./' --include='*.swift' --include='*.sh' Tests Benchmarks scripts Fuzz \
    | grep -vE 'Tests/.*(Path|Safety|Target|Relabel|Config|Kubeconfig|Proxy).*Tests\.swift' \
    | grep -v 'scripts/fresh-clone-test.sh'; then
    echo "fresh-clone: FAILED: the lines above name a path outside the checkout" >&2
    exit 1
fi
scripts/install-deps.sh
started=$(date +%s)
swift build --build-tests
echo "fresh-clone: build took $(($(date +%s) - started)) s"
swift test --skip-build --no-parallel --filter "$filter"
echo "fresh-clone: OK (no file outside $outer/crowsnest was needed)"
