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
  kIpv4,           // a complete IPv4 header and (unless a fragment) its TCP/UDP/ICMP header
  kArp,            // an Ethernet/IPv4 ARP packet
  kNotIp,          // another EtherType (IPv6, LLDP, ...)
  kTruncatedL2,    // shorter than an Ethernet header
  kBadArp,         // ARP that is not Ethernet/IPv4 or is truncated
  kBadIpHeader,    // version != 4, IHL < 5, or header beyond the frame
  kBadIpLength,    // total length < IHL or beyond the frame
  kBadIpChecksum,  // header checksum does not verify
  kIpFragment,     // a fragment (first or not): forwarded only once fragments are supported
  kTruncatedL4,    // the L4 header does not fit in the IP payload
  kBadL4Header,    // e.g. TCP data offset < 5 words
};

struct PacketMeta {
  FlowKeyV4 key;        // src/dst/ports/proto; ports 0 for ICMP
  uint16_t l3_off = 0;  // offset of the IPv4 or ARP header
  uint16_t l4_off = 0;  // offset of the L4 header (IPv4 only)
  uint16_t ip_len = 0;  // IPv4 total length (frames may carry Ethernet padding beyond it)
  uint8_t tcp_flags = 0;
  uint8_t icmp_type = 0;
  uint8_t ttl = 0;
  bool dst_is_broadcast_mac = false;
};
static_assert(sizeof(PacketMeta) <= 32, "metadata must stay within half a cache line");

struct ParseOptions {
  // Set when the NIC already verified the IPv4 header checksum.
  bool ip_checksum_verified = false;
};

ParseResult parse_frame(std::span<const uint8_t> frame, PacketMeta& meta,
                        ParseOptions options = {}) noexcept;

const char* to_string(ParseResult r) noexcept;

}  // namespace lb::packet
