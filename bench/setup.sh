#!/usr/bin/env bash
# Extra Debian packages the benchmarks need (the peers they measure against).
set -euo pipefail
exit 0
