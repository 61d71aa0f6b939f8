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
# The cloud credential tests' real peers from PyPI: moto_server as STS, botocore's signer, Google's google-auth
# (with requests) and Microsoft's msal. Installed into the Python that runs `python3` when a module is missing.
python_modules=(moto.server:moto[server] botocore:botocore google.auth.transport.requests:google-auth msal:msal requests:requests)
python_missing=()
for entry in "${python_modules[@]}"; do
    python3 -c "import ${entry%%:*}" >/dev/null 2>&1 || python_missing+=("${entry#*:}")
done
if ((${#python_missing[@]})); then
    echo "installing from PyPI: ${python_missing[*]}"
    python3 -m pip install --quiet "${python_missing[@]}" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "${python_missing[@]}"
fi
command -v moto_server >/dev/null || echo "warning: moto_server not on PATH (the AWS STS tests will fail naming moto[server])"
