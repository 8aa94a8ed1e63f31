// PacketBuilder: builds Ethernet frames (ARP, IPv4 with TCP/UDP/ICMP) byte by
// byte with correct lengths and checksums. Used by the unit tests and by the
// benchmark generator, so both speak about packets in one vocabulary.
//
// Control-side / test code: allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <lb/packet/addr.h>

namespace lb::packet {

class PacketBuilder {
 public:
  PacketBuilder& eth(MacAddr src, MacAddr dst);
  PacketBuilder& ipv4(Ipv4Addr src, Ipv4Addr dst, uint8_t ttl = 64);
  PacketBuilder& ip_id(uint16_t id);
  PacketBuilder& ip_tos(uint8_t tos);
  PacketBuilder& ip_dont_fragment(bool df);
  PacketBuilder& ip_fragment(bool more_fragments, uint16_t offset_8byte_units);
  PacketBuilder& ip_options(std::span<const uint8_t> options);  // padded to 4 bytes
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq = 0,
                     uint32_t ack = 0, uint16_t window = 65535);
  PacketBuilder& udp(uint16_t sport, uint16_t dport);
  // UDP checksum 0 means "none" (RFC 768); lets tests cover that case.
  PacketBuilder& udp_without_checksum();
  PacketBuilder& icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
  PacketBuilder& arp(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa);
  PacketBuilder& payload(std::span<const uint8_t> bytes);
  PacketBuilder& payload(std::string_view text);
  // Pads the finished frame to at least `len` bytes (Ethernet minimum is 60).
  PacketBuilder& pad_to(size_t len);

  std::vector<uint8_t> build() const;

 private:
  enum class L4 : uint8_t { kNone, kTcp, kUdp, kIcmp, kArp };

  MacAddr eth_src_, eth_dst_;
  Ipv4Addr ip_src_, ip_dst_;
  uint8_t ttl_ = 64;
  uint16_t ip_id_ = 0;
  uint8_t tos_ = 0;
  bool df_ = false;
  bool mf_ = false;
  uint16_t frag_offset_ = 0;
  std::vector<uint8_t> ip_options_;
  L4 l4_ = L4::kNone;
  uint16_t sport_ = 0, dport_ = 0;
  uint8_t tcp_flags_ = 0;
  uint32_t seq_ = 0, ack_ = 0;
  uint16_t window_ = 0;
  bool udp_checksum_ = true;
  uint8_t icmp_type_ = 0, icmp_code_ = 0;
  uint16_t arp_op_ = 0;
  MacAddr arp_sha_, arp_tha_;
  Ipv4Addr arp_spa_, arp_tpa_;
  std::vector<uint8_t> payload_;
  size_t pad_to_ = 0;
};

}  // namespace lb::packet
