#!/usr/bin/env bash
# Installs the system packages Crowsnest builds with and its tests talk to (Debian). Idempotent.
set -euo pipefail
packages=(
    zlib1g-dev libssl-dev openssl bc            # build (CompressNIO links zlib), certificates, bench scripts
    prometheus                                  # promtool and a real Prometheus scraping the gateway
    prometheus-node-exporter                    # a real exporter behind the simulated pod proxy
    victoria-metrics                            # vmagent: real Kubernetes discovery against KubeSim
    chromium                                    # the health page in a real browser
)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus and node-exporter packages start system services; the tests start their own instances.
for service in prometheus prometheus-node-exporter; do
    command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null && systemctl stop "$service" || true
done
# kubectl: a kubectl already on the machine (e.g. the Google Cloud SDK's dispatcher) is kept; otherwise Debian's own.
if ! command -v kubectl >/dev/null; then
    echo "installing: kubernetes-client (kubectl)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi
# The AWS CLI (`aws eks get-token` as a real exec plugin) from PyPI; Debian's Python refuses a system-wide pip
# install unless told (PEP 668), a pyenv or virtualenv Python does not need it.
if ! command -v aws >/dev/null; then
    echo "installing: awscli (pip)"
    if ! python3 -m pip --version >/dev/null 2>&1; then
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    fi
    python3 -m pip install --quiet awscli 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages awscli
    hash -r
fi
command -v kubectl >/dev/null || { echo "error: kubectl is still missing" >&2; exit 1; }
command -v aws >/dev/null || { echo "error: the aws CLI is still missing (is pip's bin folder on PATH?)" >&2; exit 1; }
