#!/usr/bin/env bash
# Installs everything lbd needs to build, test and run its demo, from Debian 12's
# own packages. Idempotent: packages already present are not touched, and apt is
# not even consulted when nothing is missing.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config
  dpdk dpdk-dev libdpdk-dev libnuma-dev libpcap-dev
  libyaml-cpp-dev libfmt-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libcpp-httplib-dev catch2 libbenchmark-dev
  libpcre2-dev libssl-dev
  # tests and demo: namespaces, packet crafting, real clients and servers
  iproute2 ethtool procps python3 python3-scapy curl iputils-ping socat nginx-light tcpdump
  # benchmarks: the kernel peer (nftables, wrk, iperf3), callgrind, the plots
  nftables wrk iperf3 valgrind python3-matplotlib
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests run their own servers (nginx) inside network namespaces: packages
# must not start services on this host while they are installed.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
