#!/usr/bin/env bash
# Every test suite (unit, packet, e2e): install what is missing, build, test.
# Run as root (the packet and e2e suites run DPDK and create network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec meson test -C build --print-errorlogs "$@"
