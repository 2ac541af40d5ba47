#!/usr/bin/env bash
# Installs what `npm run demo` and `npm test` need on a fresh Debian machine, then builds.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: command -> package. chromium etc. join here when their features land.
declare -A NEEDED=([influxd]=influxdb [socat]=socat)
missing=()
for cmd in "${!NEEDED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}")
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

npm run --silent build >/dev/null
echo "setup: ready (node $(node --version), $(influxd version 2>/dev/null | head -1))"
