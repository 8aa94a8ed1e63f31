#include "reload.h"

#include <fmt/format.h>

namespace lb::daemon {

namespace {

bool same(const packet::Ipv4Prefix& a, const packet::Ipv4Prefix& b) {
  return a.addr == b.addr && a.len == b.len;
}

void compare_ports(const config::Config& a, const config::Config& b,
                   std::vector<std::string>& out) {
  if (a.ports.size() != b.ports.size()) {
    out.push_back("ports");
    return;
  }
  for (size_t i = 0; i < a.ports.size(); ++i) {
    const auto& p = a.ports[i];
    const auto& q = b.ports[i];
    const auto field = [&](const char* name) {
      out.push_back(fmt::format("ports[{}].{}", i, name));
    };
    if (p.name != q.name) field("name");
    if (p.device != q.device) field("device");
    if (!same(p.address, q.address)) field("address");
    if (p.gateway != q.gateway) field("gateway");
    if (p.mac != q.mac) field("mac");
    if (p.mtu != q.mtu) field("mtu");
    if (p.exception_path != q.exception_path) field("exception_path");
    if (p.tap_name != q.tap_name) field("tap_name");
    if (p.tunnel_sources.has_value() != q.tunnel_sources.has_value() ||
        (p.tunnel_sources && !same(*p.tunnel_sources, *q.tunnel_sources))) {
      field("tunnel_sources");
    }
  }
}

}  // namespace

std::vector<std::string> needs_restart(const config::Config& a, const config::Config& b) {
  std::vector<std::string> out;
  const auto check = [&](bool differs, const char* name) {
    if (differs) out.emplace_back(name);
  };
  check(a.eal.huge_pages != b.eal.huge_pages, "eal.huge_pages");
  check(a.eal.memory_mb != b.eal.memory_mb, "eal.memory_mb");
  check(a.eal.mbufs != b.eal.mbufs, "eal.mbufs");
  check(a.eal.file_prefix != b.eal.file_prefix, "eal.file_prefix");
  check(a.eal.log_level != b.eal.log_level, "eal.log_level");
  check(a.eal.extra_args != b.eal.extra_args, "eal.extra_args");
  check(a.lcores.main != b.lcores.main || a.lcores.cpu != b.lcores.cpu, "lcores.main");
  check(a.lcores.workers != b.lcores.workers || a.lcores.cpu != b.lcores.cpu, "lcores.workers");
  check(a.lcores.idle_sleep_us != b.lcores.idle_sleep_us, "lcores.idle_sleep_us");
  check(a.control.socket != b.control.socket, "control.socket");
  check(a.control.socket_group != b.control.socket_group, "control.socket_group");
  check(a.control.max_clients != b.control.max_clients, "control.max_clients");
  check(a.control.idle_timeout_ms != b.control.idle_timeout_ms, "control.idle_timeout_ms");
  check(a.logging.level != b.logging.level, "logging.level");
  check(a.logging.syslog != b.logging.syslog, "logging.syslog");
  check(a.logging.syslog_socket != b.logging.syslog_socket, "logging.syslog_socket");
  check(a.logging.syslog_facility != b.logging.syslog_facility, "logging.syslog_facility");
  check(a.metrics.listen != b.metrics.listen, "metrics.listen");
  compare_ports(a, b, out);
  check(a.neighbors.table_size != b.neighbors.table_size, "neighbors.table_size");
  check(a.neighbors.reachable_ms != b.neighbors.reachable_ms, "neighbors.reachable_ms");
  check(a.neighbors.retry_ms != b.neighbors.retry_ms, "neighbors.retry_ms");
  check(a.neighbors.retries != b.neighbors.retries, "neighbors.retries");
  check(a.neighbors.hold_packets != b.neighbors.hold_packets, "neighbors.hold_packets");
  check(a.connections.table_size != b.connections.table_size, "connections.table_size");
  return out;
}

}  // namespace lb::daemon
