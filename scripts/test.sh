#!/usr/bin/env bash
# Every test suite (unit, packet, e2e): install what is missing, build, test.
# Then the connection table's concurrency test once more, built with
# AddressSanitizer and UBSan (a record or key used after its RCU grace
# period shows up there as a crash, not a flake). Arguments go to
# `meson test` (e.g. --suite unit); with arguments the sanitizer run is left
# out. Run as root (the packet and e2e suites run DPDK and create network
# namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
meson test -C build --print-errorlogs "$@"
if [ $# -eq 0 ]; then
  # -O0 keeps the sanitizer build short; GCC 12 warns falsely about
  # libstdc++'s <regex> (in Catch2) under ASan, so that one warning is off.
  [ -f build-asan/build.ninja ] ||
    meson setup build-asan --buildtype=debug -Db_sanitize=address,undefined \
      -Dcpp_args=-Wno-maybe-uninitialized
  ninja -C build-asan tests/unit/unit_conn_table
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --no-rebuild --print-errorlogs conn_table
fi
