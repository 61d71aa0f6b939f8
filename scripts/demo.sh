#!/usr/bin/env bash
# The zero-setup demo: three simulated clusters and the gateway on them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q "install ok installed"; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq zlib1g-dev >/dev/null
fi
swift build -c release --product crowsnest
exec "$(swift build -c release --show-bin-path)/crowsnest" demo "$@"
