// Parse once: one pass over a frame's headers fills PacketMeta, which every
// later stage (classification, connection lookup, NAT, stats) reads instead of
// touching the headers again.
//
// Pure and allocation-free; called by workers on every received frame.
#pragma once

#include <cstdint>
#include <span>

#include <lb/packet/flow_key.h>

namespace lb::packet {

enum class ParseResult : uint8_t {
  kIpv4,           // a complete IPv4 header and its TCP/UDP/ICMP header (a first fragment too)
  kArp,            // an Ethernet/IPv4 ARP packet
  kNotIp,          // another EtherType (IPv6, LLDP, ...)
  kTruncatedL2,    // shorter than an Ethernet header
  kBadArp,         // ARP that is not Ethernet/IPv4 or is truncated
  kBadIpHeader,    // version != 4, IHL < 5, or header beyond the frame
  kBadIpLength,    // total length < IHL or beyond the frame
  kBadIpChecksum,  // header checksum does not verify
  kIpFragment,     // a later fragment (offset > 0): addresses, protocol and ID only
  kTruncatedL4,    // the L4 header does not fit in the IP payload
  kBadL4Header,    // e.g. TCP data offset < 5 words
};

// PacketMeta::ip_flags bits.
inline constexpr uint8_t kMetaDontFragment = 1;   // DF set
inline constexpr uint8_t kMetaFirstFragment = 2;  // offset 0 with MF: a datagram's first fragment
inline constexpr uint8_t kMetaLaterFragment = 4;  // offset > 0 (ParseResult::kIpFragment)

struct PacketMeta {
  FlowKeyV4 key;        // src/dst/ports/proto; ports 0 for ICMP and later fragments
  uint16_t l3_off = 0;  // offset of the IPv4 or ARP header
  uint16_t l4_off = 0;  // offset of the L4 header (IPv4 only)
  uint16_t ip_len = 0;  // IPv4 total length (frames may carry Ethernet padding beyond it)
  uint16_t ip_id = 0;   // network order
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t ttl = 0;
  uint8_t ip_flags = 0;  // kMeta* bits
  bool dst_is_broadcast_mac = false;

  bool dont_fragment() const noexcept { return (ip_flags & kMetaDontFragment) != 0; }
  bool fragment() const noexcept {
    return (ip_flags & (kMetaFirstFragment | kMetaLaterFragment)) != 0;
  }
};
static_assert(sizeof(PacketMeta) <= 32, "metadata must stay within half a cache line");

struct ParseOptions {
  // Set when the NIC already verified the IPv4 header checksum.
  bool ip_checksum_verified = false;
};

ParseResult parse_frame(std::span<const uint8_t> frame, PacketMeta& meta,
                        ParseOptions options = {}) noexcept;

const char* to_string(ParseResult r) noexcept;

// ICMP errors (destination unreachable, source quench, time exceeded,
// parameter problem) quote the IP header and at least 8 bytes of the packet
// that caused them.
constexpr bool is_icmp_error(uint8_t type) noexcept {
  return type == 3 || type == 4 || type == 11 || type == 12;
}

// The quoted packet of an ICMP error, parsed.
struct IcmpQuote {
  FlowKeyV4 key;           // the quoted packet's addresses, protocol and (if quoted) ports
  uint16_t l3_off = 0;     // offset of the quoted IP header in the frame
  uint16_t l4_off = 0;     // offset of the quoted L4 header
  uint16_t end = 0;        // end of the ICMP message in the frame
  bool has_ports = false;  // the first 4 bytes of a TCP/UDP header are quoted
};

// Parses the quote of the ICMP error `meta` describes (parse_frame returned
// kIpv4 and is_icmp_error(meta.icmp_type)). False when the quote is not a
// well-formed IPv4 header.
bool parse_icmp_quote(std::span<const uint8_t> frame, const PacketMeta& meta,
                      IcmpQuote& quote) noexcept;

}  // namespace lb::packet
