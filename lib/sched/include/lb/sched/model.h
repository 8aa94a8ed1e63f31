// The validated model of virtual services and real servers, as the control
// plane holds it (config files, lbctl edits and importers all produce it).
//
// Plain values; the data plane never sees these, it sees the Service objects
// built from them (service.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <lb/packet/addr.h>

namespace lb::sched {

enum class Protocol : uint8_t { kTcp = 6, kUdp = 17 };

// ipvsadm -m / -g / -i.
enum class ForwardMethod : uint8_t { kNat, kDirectRoute, kTunnel };

std::string_view to_string(Protocol p) noexcept;       // "tcp" / "udp"
std::string_view to_string(ForwardMethod f) noexcept;  // "nat" / "dr" / "tunnel"
// ipvsadm's column text: "Masq", "Route", "Tunnel".
std::string_view ipvsadm_name(ForwardMethod f) noexcept;
std::optional<Protocol> parse_protocol(std::string_view text) noexcept;
std::optional<ForwardMethod> parse_forward_method(std::string_view text) noexcept;

struct RealServerSpec {
  packet::Ipv4Addr addr;
  uint16_t port = 0;  // host order
  uint32_t weight = 1;
  ForwardMethod forward = ForwardMethod::kNat;
};

struct ServiceSpec {
  Protocol protocol = Protocol::kTcp;
  packet::Ipv4Addr vip;
  uint16_t port = 0;  // host order
  std::string scheduler = "wlc";
  // In the order they were added (the config file's order). The kernel keeps
  // the newest real server first; Service reverses this list to match.
  std::vector<RealServerSpec> real_servers;
};

}  // namespace lb::sched
