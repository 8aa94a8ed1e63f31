// NAT rewrites on a parsed IPv4 frame, in place, with incremental checksum
// updates (RFC 1624) so the cost does not depend on the payload size.
//
// Pure and allocation-free; called by workers per packet. The frame must have
// been accepted by packet::parse_frame (kIpv4) and `meta` must describe it.
#pragma once

#include <cstdint>
#include <span>

#include <lb/packet/parse.h>

namespace lb::nat {

// Client -> VIP becomes client -> real server: destination address and (TCP,
// UDP) port replaced, IPv4 and L4 checksums updated. Ports in network order.
void rewrite_destination(std::span<uint8_t> frame, const packet::PacketMeta& meta, uint32_t addr_be,
                         uint16_t port_be) noexcept;

// Real server -> client becomes VIP -> client.
void rewrite_source(std::span<uint8_t> frame, const packet::PacketMeta& meta, uint32_t addr_be,
                    uint16_t port_be) noexcept;

// The same for a later fragment, which carries no L4 header: only the IPv4
// address and header checksum change (the first fragment's L4 checksum
// already accounts for the whole datagram).
void rewrite_destination_address(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                                 uint32_t addr_be) noexcept;
void rewrite_source_address(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                            uint32_t addr_be) noexcept;

// Decrements the TTL of a packet being forwarded, updating the header
// checksum. Returns false, leaving the packet untouched, when the TTL is 0 or
// 1: such a packet must not be forwarded (RFC 1812 5.3.1).
bool decrement_ttl(std::span<uint8_t> frame, const packet::PacketMeta& meta) noexcept;

}  // namespace lb::nat
