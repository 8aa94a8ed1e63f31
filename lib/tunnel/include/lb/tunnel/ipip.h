// IPIP encapsulation for the tunnel forwarding method (ipvsadm -i), after
// ip_vs_tunnel_xmit: an outer IPv4 header from the load balancer to the real
// server, protocol 4, the client's packet untouched inside.
//
// IPVS's rules: the outer TOS and TTL are the inner packet's; DF is copied
// from the inner packet (the pmtu_disc sysctl's default), so path-MTU
// discovery keeps working end to end; a packet that would not fit in the
// egress MTU with DF set is answered with ICMP fragmentation-needed for
// MTU - 20.
//
// A real server's NIC hashes the outer header only (RSS sees protocol 4, not
// ports), so with one outer source every flow would land on one of its
// queues. When the port has a pool of tunnel source addresses, the outer
// source is picked from it by the flow's hash: one flow keeps one source, and
// flows spread over the server's queues. The outer ID is the caller's counter,
// not the flow hash: an outer packet without DF may be fragmented on the way,
// and fragments of different packets must not share an ID (RFC 6864).
//
// Pure; allocation-free; called by workers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <lb/packet/addr.h>

namespace lb::tunnel {

inline constexpr uint16_t kIpipOverhead = 20;

// The largest inner packet a link of `mtu` carries once encapsulated.
constexpr uint16_t ipip_inner_mtu(uint16_t mtu) noexcept {
  return static_cast<uint16_t>(mtu - kIpipOverhead);
}

// The usable addresses of a tunnel source pool: all but the network and
// broadcast addresses (a /31 or /32 is used whole). Control side.
std::vector<packet::Ipv4Addr> pool_addresses(const packet::Ipv4Prefix& pool);

// The outer source: the port's address, or one of pool_addresses(pool)
// chosen by the flow hash.
packet::Ipv4Addr outer_source(packet::Ipv4Addr port_address,
                              const std::optional<packet::Ipv4Prefix>& pool,
                              uint32_t flow_hash) noexcept;

// Writes the 20-byte outer header in `outer` for the inner IPv4 packet
// `inner` (starting at its IP header, inner.size() its total length), with
// IP ID `id` (host order).
void write_ipip_header(std::span<uint8_t> outer, std::span<const uint8_t> inner, uint32_t src_be,
                       uint32_t dst_be, uint16_t id) noexcept;

}  // namespace lb::tunnel
