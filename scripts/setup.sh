#!/usr/bin/env bash
# Installs what `npm run demo` and `npm test` need on a fresh Debian machine, then builds.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: InfluxDB, socat (serial pty pairs), ffmpeg (RTSP frames), the
# GStreamer RTSP server the camera simulator serves its test stream with,
# Chromium for the browser tests of the command room, shellcheck for the test of
# scripts/install-gateway.sh, and docker-compose (v1, Debian's) to validate
# docker/docker-compose.yml without a Docker engine.
NEEDED=(influxdb socat ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-x chromium fonts-dejavu-core shellcheck docker-compose)
missing=()
for pkg in "${NEEDED[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
# The package may start the system influxd on :8086; ours runs as a child with its own
# ports, so the system service is left alone either way.

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.pemda-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi

# The benchmarks' extra peers (Mosquitto); npm test runs their smoke run.
bash bench/setup.sh >/dev/null

npm run --silent build >/dev/null
echo "setup: ready (node $(node --version), $(influxd version 2>/dev/null | head -1))"
