// The client side of lbd's `connections` command: which service to list,
// and walking the table one page at a time.
//
// The table can hold millions of entries, so lbd answers in bounded pages
// with an opaque cursor to resume from; a page may be empty and still not be
// the last. Callers see each page as it arrives and never the whole table.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <lb/ctl/client.h>
#include <lb/packet/addr.h>

namespace lb::ctl {

// Entries per page lbctl asks for (lbd's default; lbd allows 1..10000).
inline constexpr uint32_t kConnectionsPageLimit = 1000;

// The `service` argument: one virtual service, by address or by mark.
struct ServiceSelector {
  uint32_t fwmark = 0;           // non-zero: a firewall-mark service, the rest unused
  std::string protocol = "tcp";  // "tcp" or "udp"
  packet::Ipv4Addr vip;
  uint16_t port = 0;

  // {"protocol":"tcp","vip":"198.18.1.100","port":80} or {"fwmark":7}.
  nlohmann::json to_json() const;
  friend bool operator==(const ServiceSelector&, const ServiceSelector&) = default;
};

// lbctl's own spelling: "tcp:VIP:PORT", "udp:VIP:PORT" (VIP dotted, PORT
// 0..65535) or "fwmark:N" (1..4294967295); nullopt when it is neither.
std::optional<ServiceSelector> parse_service_selector(std::string_view text);

// The args of one page request: {"cursor":C,"limit":L[,"service":{...}]}.
nlohmann::json connections_args(uint64_t cursor, const std::optional<ServiceSelector>& service,
                                uint32_t limit = kConnectionsPageLimit);

// Calls `connections` on `client` from cursor 0 until next_cursor is null,
// handing each page's `connections` array to `on_page` in order; on_page
// returns false to stop early (e.g. nobody reads the output any more).
// Throws CtlError for an error reply, or bad_reply when a page lacks its
// array or a valid next_cursor, or when lbd hands back the cursor it was
// given with an empty page (it would answer the same forever); and
// std::runtime_error for I/O problems.
void walk_connections(ControlClient& client, const std::optional<ServiceSelector>& service,
                      const std::function<bool(const nlohmann::json& entries)>& on_page,
                      uint32_t limit = kConnectionsPageLimit);

}  // namespace lb::ctl
