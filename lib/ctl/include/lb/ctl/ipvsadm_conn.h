// ipvsadm 1.31's `-L -c` connection listing, byte for byte, from the pages
// of lbd's `connections` result.
//
// Reference: /work/shared/reference/ipvsadm-formats.md §5 (ipvsadm.c
// list_conn / print_conn). ipvsadm reads /proc/net/ip_vs_conn and prints
// each line as it reads it; lbctl prints each page as it arrives, in the
// order lbd gives, so a table of millions of entries never sits in memory.
//
// Pure functions apart from name resolution (see ipvsadm_names.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <lb/ctl/ipvsadm_names.h>
#include <lb/packet/addr.h>

namespace lb::ctl::ipvsadm {

// One line of /proc/net/ip_vs_conn as print_conn scans it. lbd has no
// persistence engines, so the optional PE name and data are never there.
struct ListedConn {
  std::string protocol;  // "TCP", "UDP", or "IP" for firewall-mark templates
  std::string state;     // the kernel's name: ESTABLISHED, UDP, NONE, ASSURED, ...
  uint32_t expires_s = 0;
  packet::Ipv4Addr client;
  uint16_t client_port = 0;       // 0 in persistence templates
  packet::Ipv4Addr virtual_addr;  // the mark, as an address, in firewall-mark templates
  uint16_t virtual_port = 0;
  packet::Ipv4Addr dest;
  uint16_t dest_port = 0;
};

// A page's `connections` array, in lbd's order. Throws CtlError (bad_reply)
// naming the first bad field ("connections[3].client_port").
std::vector<ListedConn> parse_connections_page(const nlohmann::json& entries);

// "IPVS connection entries" and the column headings; --persistent-conn adds
// "pe name" and "pe_data".
std::string conn_title(bool persistent_conn);

// One row: "%-3s %-6s %-11s %-18s %-18s %s\n", expiry as "%02d:%02d"
// minutes:seconds (minutes uncapped), each address:port as
// addrport_to_anyname gives it (`names` null = -n; "IP" has no service
// names). The --persistent-conn row format applies only to entries with a
// PE, so every row lbd can produce has this form in both listings.
std::string conn_line(const ListedConn& conn, const NameResolver* names);

// `-L -c` as it streams: the title first, then each page as it comes, with
// one name cache for the whole listing.
class ConnListing {
 public:
  // `names` null = numeric (-n); otherwise it must outlive the listing.
  ConnListing(const NameResolver* names, bool persistent_conn);
  ConnListing(const ConnListing&) = delete;  // names_ may point into cache_
  ConnListing& operator=(const ConnListing&) = delete;
  std::string title() const { return conn_title(persistent_conn_); }
  // Throws CtlError (bad_reply) like parse_connections_page.
  std::string page(const nlohmann::json& entries);

 private:
  std::optional<CachingResolver> cache_;
  const NameResolver* names_ = nullptr;
  bool persistent_conn_ = false;
};

}  // namespace lb::ctl::ipvsadm
