// ICMP errors through NAT, and ICMP errors lbd itself sends.
//
// Translation follows ip_vs_nat_icmp: an error travelling towards the client
// (from a real server, or a router on the way to it) about a translated
// packet gets the VIP as its outer source and inside the quote (the quoted
// destination address and port); an error from a client about a reply
// travelling towards the real server gets the real server as outer
// destination and inside the quote (the quoted source address and port). The
// quoted IP header's checksum is updated, the quoted TCP/UDP checksum too when
// the quote holds it (the kernel leaves it stale), and the ICMP checksum is
// recomputed.
//
// Pure; allocation-free; called by workers.
#pragma once

#include <cstdint>
#include <span>

#include <lb/packet/parse.h>

namespace lb::nat {

enum class IcmpDirection : uint8_t {
  kToClient,      // about a real server's packet: becomes the VIP's
  kToRealServer,  // about a reply the client got: becomes the real server's
};

// `addr_be`/`port_be`: the VIP and port (kToClient) or the real server and
// its port (kToRealServer).
void translate_icmp_error(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                          const packet::IcmpQuote& quote, IcmpDirection dir, uint32_t addr_be,
                          uint16_t port_be) noexcept;

// RFC 1812 4.3.2.3: an ICMP error quotes as much of the offending packet as
// fits in 576 bytes.
inline constexpr size_t kIcmpErrorMaxLength = 576;

// Writes an ICMP error (IP header + ICMP header + quote) into `out` about the
// packet `offending` (from its IP header). `rest` is the ICMP header's second
// word in host order (the next-hop MTU for fragmentation-needed, else 0);
// `id` the IP ID (host order; the caller's counter, RFC 6864). TTL 64, and
// TOS 0xc0 (internetwork control) as RFC 1812 4.3.2.5 asks and Linux does.
// Returns the IP datagram's length; `out` must hold kIcmpErrorMaxLength.
size_t write_icmp_error(std::span<uint8_t> out, std::span<const uint8_t> offending, uint8_t type,
                        uint8_t code, uint32_t rest, uint32_t src_be, uint32_t dst_be,
                        uint16_t id) noexcept;

inline constexpr uint8_t kIcmpCodeFragNeeded = 4;   // type 3
inline constexpr uint8_t kIcmpCodeTtlExceeded = 0;  // type 11

}  // namespace lb::nat
