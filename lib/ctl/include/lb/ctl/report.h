// lbctl's own human-readable forms of lbd's read commands.
//
// Unlike the ipvsadm formats these are for people, not parsers: aligned
// columns, totals, units. They tolerate fields they do not know (and show
// "-" for missing ones) so that an lbctl older or newer than lbd still shows
// what it can; scripts should use `lbctl --json` instead.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lb::ctl {

std::string format_status(const nlohmann::json& status_result);
// Per-worker traffic, every drop counter by name (per worker and total),
// ports, connection table.
std::string format_stats(const nlohmann::json& stats_result);
// Services sorted by protocol, address, port, then firewall-mark services by
// mark (numerically; the ipvsadm listing keeps ipvsadm's own order), real
// servers by address and port; each service with its scheduler flags,
// persistence and one-packet scheduling, each real server with its
// persistent connections and thresholds.
std::string format_services(const nlohmann::json& services_result);
// lbctl health: one line per checked real server (service, check, state
// and for how long, the last result's age, latency and reason), then the
// sorry servers taking new connections.
std::string format_health(const nlohmann::json& health_result);
// lbctl reload: what lbd now runs, the run-time settings it kept and
// whether unsaved live edits were discarded.
std::string format_reload(const nlohmann::json& reload_result);

// lbctl connections. The table arrives in pages and may hold millions of
// entries, so its columns have fixed widths (IPv4 address:port bounds them)
// and rows print as pages arrive: header(), page() per page, then total().
// Expiry is minutes:seconds as ipvsadm -c shows it; a firewall-mark
// template's virtual service shows as "FWM <mark>"; persistence templates
// end with "template".
class ConnectionsTable {
 public:
  static std::string header();
  std::string page(const nlohmann::json& entries);
  // "2 connections, 1 template": what the pages so far held.
  std::string total() const;

 private:
  uint64_t connections_ = 0;
  uint64_t templates_ = 0;
};
// The whole table for one {"connections": [...]}.
std::string format_connections(const nlohmann::json& connections_result);

// lbctl settings (and lbctl set's answer): expire_nodest_conn and every
// timeout by name, lbd's names in lbd's order, then any others lbd reports.
std::string format_settings(const nlohmann::json& settings_result);

// "3d 4h 5m 6s", "5m 0s", "42s".
std::string format_duration(long long seconds);

}  // namespace lb::ctl
