// The daemon's whole configuration, validated: what lbd --config reads and what
// lbd --check-config checks.
//
// Plain values, built on the control side only. Every field has the default a
// user gets when the YAML leaves it out; load.h turns YAML into this.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <lb/conn/tcp_state.h>
#include <lb/packet/addr.h>
#include <lb/sched/model.h>

namespace lb::config {

// How EAL gets its memory.
enum class HugePages : uint8_t {
  kAuto,  // hugepages when the machine has free ones, otherwise --no-huge
  kOn,    // hugepages required
  kOff,   // --no-huge: ordinary memory (tests, laptops, VMs without hugepages)
};

struct EalConfig {
  HugePages huge_pages = HugePages::kAuto;
  uint32_t memory_mb = 512;  // -m (only used with --no-huge)
  uint32_t mbufs = 16383;    // packet buffers in the pool (2^n - 1 is optimal for rte_mempool)
  std::string file_prefix = "lbd";      // --file-prefix: lets several lbd run on one host
  std::string log_level = "notice";     // --log-level for DPDK's own messages
  std::vector<std::string> extra_args;  // passed to rte_eal_init verbatim
};

struct LcoreConfig {
  uint32_t main = 0;                    // control plane lcore
  std::vector<uint32_t> workers = {1};  // one worker per lcore; each polls one RX queue per port
  // The CPU of every lcore written "L@C" (DPDK's --lcores notation); an lcore
  // not listed runs on the CPU of its own number. Lets several workers share
  // a CPU (tests, small VMs) or an lcore id differ from its CPU.
  std::map<uint32_t, uint32_t> cpu;
  // Microseconds a worker sleeps after an empty poll round; 0 = pure busy
  // polling (production). Non-zero suits shared machines and VMs.
  uint32_t idle_sleep_us = 0;
};

struct ControlConfig {
  std::string socket = "/run/lbd/lbd.sock";
  std::optional<std::string> socket_group;  // chgrp of the socket (mode 0660)
  uint32_t max_clients = 64;                // connections served at once; more get `busy`
  // A client that sends no complete request and takes no reply byte for this
  // long is closed, so abandoned connections cannot hold every slot.
  uint32_t idle_timeout_ms = 60000;
};

// Severities as spdlog has them (lbd's log calls use these four).
enum class LogLevel : uint8_t { kDebug, kInfo, kWarning, kError };

struct LoggingConfig {
  LogLevel level = LogLevel::kInfo;  // messages below it are not logged anywhere
  // Also send every message to the local syslog socket (RFC 3164 datagrams,
  // ident "lbd"). Not when stderr is already the systemd journal: the
  // journal has them then (and forwards to syslog).
  bool syslog = false;
  std::string syslog_socket = "/dev/log";
  uint8_t syslog_facility = 3;  // the facility's code: daemon (3), local0..local7 (16..23)
};

// An address and TCP port to listen on, "127.0.0.1:9100".
struct ListenAddress {
  packet::Ipv4Addr addr;  // 0.0.0.0: every address of the host
  uint16_t port = 0;

  std::string to_string() const;
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// The Prometheus endpoint: HTTP, GET /metrics, served by the kernel's TCP
// stack (on loopback, a management interface, or a port's own address
// through its exception path), never by the data plane.
struct MetricsConfig {
  std::optional<ListenAddress> listen;  // none: no endpoint
};

struct PortConfig {
  std::string name;    // operator's name, e.g. "ext"; used by lbctl and in counters
  std::string device;  // DPDK devargs: a PCI address or a vdev string ("net_af_xdp0,iface=eth1")
  packet::Ipv4Prefix address;               // the appliance's own address on this port
  std::optional<packet::Ipv4Addr> gateway;  // next hop for destinations off every port's subnet
  std::optional<packet::MacAddr> mac;       // overrides the device's MAC address
  uint16_t mtu = 1500;
  // Tunnel outer source addresses: the outer source of IPIP packets leaving
  // this port is taken from this prefix by flow hash, so that a real server
  // whose NIC hashes only the outer header spreads flows over its queues.
  // None: the port's own address (IPVS's behaviour).
  std::optional<packet::Ipv4Prefix> tunnel_sources;
  // Exception path: a kernel TAP interface carrying the appliance's own
  // traffic (ssh, health checks) through this port.
  bool exception_path = true;
  std::string tap_name;  // default "lbd-<name>"
};

struct NeighborConfig {
  uint32_t table_size = 4096;      // next hops lbd can resolve at once
  uint32_t reachable_ms = 300000;  // an ARP answer is trusted this long
  uint32_t retry_ms = 1000;        // between ARP requests for an unresolved next hop
  uint32_t retries = 3;            // requests before a next hop is declared unreachable
  uint32_t hold_packets = 256;     // packets a worker holds while their next hop resolves
};

struct StaticNeighbor {
  packet::Ipv4Addr addr;
  packet::MacAddr mac;
};

struct ConnectionConfig {
  // Connections (each has one or two keys); 0 = auto: sized for the memory
  // DPDK has (see Dataplane).
  uint32_t table_size = 0;
  // Per-state idle timeouts (IPVS's defaults; ipvsadm --set sets the
  // ESTABLISHED, FIN_WAIT and UDP ones).
  conn::Timeouts timeouts;
  // The sysctl net.ipv4.vs.expire_nodest_conn: connections to a real server
  // that left its service are expired (at their next packet, and by the
  // sweeper) instead of continuing until they end.
  bool expire_nodest_conn = false;
};

struct Config {
  EalConfig eal;
  LcoreConfig lcores;
  ControlConfig control;
  LoggingConfig logging;
  MetricsConfig metrics;
  std::vector<PortConfig> ports;
  NeighborConfig neighbors;
  std::vector<StaticNeighbor> static_neighbors;
  ConnectionConfig connections;
  std::vector<sched::ServiceSpec> services;
  // The firewall-mark classifier, in order (first match wins).
  std::vector<sched::MarkRule> mark_rules;
};

}  // namespace lb::config
