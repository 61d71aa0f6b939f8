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
    tinyproxy                                   # an HTTP CONNECT proxy in front of the simulated API servers
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
# Debian's prometheus, node-exporter and tinyproxy packages start system services; the tests start their own.
for service in prometheus prometheus-node-exporter tinyproxy; do
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
