#!/usr/bin/env bash
# The main job: install what is missing, build lbd, and run the demo topology
# (client, lbd, three real servers in network namespaces). Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build
exec /usr/bin/python3 scripts/demo.py --lbd build/app/lbd/lbd --lbctl build/app/lbctl/lbctl "$@"
