#!/usr/bin/env bash
# The benchmark suite, one command: install what is missing, build, run
# bench/run.py (memif harness with testpmd as the reference, callgrind, the
# nftables kernel peer) and write bench/results/<date>-<host>.md with its
# plots. Arguments go to bench/run.py (e.g. --smoke, --only flow_scaling).
# Run as root: it reserves hugepages (and gives them back) and creates
# network namespaces. About 10 minutes and 5 GiB of hugepages.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec ./bench/run.py "$@"
