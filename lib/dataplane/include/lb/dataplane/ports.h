// The ports lbd owns and the routes between them.
//
// PortRuntime is fixed once the data plane starts: workers read it freely.
// Routing is the appliance's: a destination inside a port's subnet is reached
// directly on that port; anything else goes to the one configured gateway.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <lb/config/model.h>
#include <lb/packet/addr.h>

struct rte_mempool;

namespace lb::dataplane {

inline constexpr size_t kMaxPorts = 16;
inline constexpr uint16_t kNoPort = 0xffff;

struct PortRuntime {
  std::string name;
  std::string device;
  uint16_t port_id = kNoPort;
  uint16_t tap_id = kNoPort;  // exception path device, or kNoPort
  std::string tap_name;
  packet::MacAddr mac;
  packet::Ipv4Prefix address;
  std::optional<packet::Ipv4Addr> gateway;
  uint16_t mtu = 1500;
  std::optional<packet::Ipv4Prefix> tunnel_sources;
};

struct Route {
  uint16_t port = kNoPort;  // index into the ports span
  packet::Ipv4Addr next_hop;
};

// Connected subnets first, then the gateway; {kNoPort} when unreachable.
inline Route route(std::span<const PortRuntime> ports, packet::Ipv4Addr dst) noexcept {
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].address.contains(dst)) return {static_cast<uint16_t>(i), dst};
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].gateway) return {static_cast<uint16_t>(i), *ports[i].gateway};
  }
  return {};
}

// EAL arguments that create the configured devices (and their TAPs).
std::vector<std::string> device_eal_args(const config::Config& cfg);

// Configures and starts every port (one RX and one TX queue per worker) and
// its exception TAP. Throws std::runtime_error naming the port on failure.
std::vector<PortRuntime> start_ports(const config::Config& cfg, rte_mempool* pool);
void stop_ports(std::span<const PortRuntime> ports) noexcept;

}  // namespace lb::dataplane
