#!/usr/bin/env bash
# Extra Debian packages the benchmarks need (the peers they measure against).
# Idempotent. The benchmarks start their own mosquitto with a generated config on a
# free loopback port; the system service is never used and is stopped if the package
# started it, so nothing is left listening on 1883.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mosquitto >/dev/null 2>&1 && [[ ! -x /usr/sbin/mosquitto ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "bench setup: installing Debian package mosquitto"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
    # The package may enable and start the system broker on :1883: stop and disable it.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
      systemctl disable --now mosquitto >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
      service mosquitto stop >/dev/null 2>&1 || true
    fi
  else
    echo "bench setup: mosquitto is missing; the Mosquitto comparison will be skipped" >&2
    echo "bench setup: run as root, or: sudo apt-get install mosquitto" >&2
  fi
fi

# node-red (4.x, a devDependency) runs the peer flow; scripts/setup.sh ran npm ci.
if [[ ! -f node_modules/node-red/red.js ]]; then
  echo "bench setup: node-red is not installed (npm ci); the Node-RED comparison will be skipped" >&2
fi
echo "bench setup: ready (mosquitto: $( (command -v mosquitto || ls /usr/sbin/mosquitto) 2>/dev/null || echo missing))"
