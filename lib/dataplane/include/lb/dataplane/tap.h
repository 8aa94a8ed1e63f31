// Kernel-side configuration of an exception-path TAP interface.
//
// The TAP gets the port's address and MAC and is marked NOARP: lbd is the only
// ARP speaker on the wire, so when the kernel sends through the TAP it uses its
// own MAC as destination and lbd resolves the real next hop itself. Control
// thread, at start-up only.
#pragma once

#include <string>

#include <lb/packet/addr.h>

namespace lb::dataplane {

// Assigns the address, MTU and NOARP, brings the interface up and disables
// IPv6 on it (router solicitations would only be counted and dropped).
// Throws std::runtime_error naming the interface and the failing step.
void configure_tap(const std::string& ifname, packet::Ipv4Prefix address, uint16_t mtu);

// For a port with a gateway: the kernel's packets from `source` (the port's
// address: health checks of real servers behind the gateway) that the main
// table routes only by a default route go through `ifname` to `gateway`
// instead: a default route in routing table `table`, and rules for packets
// from `source` at priorities `table` (main, its default routes ignored)
// and `table` + 1 (`table`). The main table is not touched. Throws
// std::runtime_error naming the step.
inline constexpr uint32_t kTapRouteTableBase = 25200;  // + 2 x the port's index
void route_through_tap(const std::string& ifname, packet::Ipv4Addr source, packet::Ipv4Addr gateway,
                       uint32_t table);

}  // namespace lb::dataplane
