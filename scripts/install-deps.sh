#!/usr/bin/env bash
# Installs the system packages Crowsnest builds with and its tests talk to (Debian). Idempotent.
set -euo pipefail
packages=(
    zlib1g-dev libssl-dev openssl bc            # build (CompressNIO links zlib), certificates, bench scripts
    prometheus                                  # promtool and a real Prometheus scraping the gateway
    prometheus-node-exporter                    # a real exporter behind the simulated pod proxy
    victoria-metrics                            # vmagent: real Kubernetes discovery against KubeSim
    chromium                                    # the health page in a real browser
    libsnappy-dev                               # snappy block compression of remote-write bodies
    python3-protobuf python3-snappy protobuf-compiler   # remote-write bodies decoded by the reference decoders
)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus and node-exporter packages start system services; the tests start their own instances.
for service in prometheus prometheus-node-exporter; do
    command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null && systemctl stop "$service" || true
done
command -v kubectl >/dev/null || echo "warning: kubectl not found (KubeSim's kubectl tests will fail naming it)"
command -v aws >/dev/null || echo "warning: aws CLI not found (the EKS token tests will fail naming it)"
