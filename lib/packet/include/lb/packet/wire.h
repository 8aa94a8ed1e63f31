// On-wire header layouts: the only place in lbd that knows them.
//
// Multi-byte fields hold network-order values exactly as on the wire; read them
// with ntoh16/ntoh32. The structs are packed with 2-byte alignment because an
// Ethernet payload starts 14 bytes into the buffer: every L3/L4 header is only
// guaranteed 2-byte alignment, and telling the compiler so keeps loads legal.
#pragma once

#include <array>
#include <cstdint>

namespace lb::packet {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoIpip = 4;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

struct [[gnu::packed, gnu::aligned(2)]] EthHdr {
  std::array<uint8_t, 6> dst;
  std::array<uint8_t, 6> src;
  uint16_t ether_type;
};
static_assert(sizeof(EthHdr) == 14);

inline constexpr uint16_t kArpHrdEther = 1;
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;

struct [[gnu::packed, gnu::aligned(2)]] ArpHdr {
  uint16_t hrd;  // hardware type (1 = Ethernet)
  uint16_t pro;  // protocol type (0x0800)
  uint8_t hln;   // 6
  uint8_t pln;   // 4
  uint16_t op;   // 1 request, 2 reply
  std::array<uint8_t, 6> sha;
  uint32_t spa;
  std::array<uint8_t, 6> tha;
  uint32_t tpa;
};
static_assert(sizeof(ArpHdr) == 28);

inline constexpr uint16_t kIpv4FlagDf = 0x4000;
inline constexpr uint16_t kIpv4FlagMf = 0x2000;
inline constexpr uint16_t kIpv4FragOffsetMask = 0x1fff;

struct [[gnu::packed, gnu::aligned(2)]] Ipv4Hdr {
  uint8_t version_ihl;
  uint8_t tos;
  uint16_t total_length;
  uint16_t id;
  uint16_t frag_off;  // flags (DF, MF) and offset in 8-byte units
  uint8_t ttl;
  uint8_t protocol;
  uint16_t checksum;
  uint32_t src;
  uint32_t dst;

  constexpr unsigned ihl_bytes() const noexcept {
    return (version_ihl & 0x0fu) * 4u;
  }
};
static_assert(sizeof(Ipv4Hdr) == 20);

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

struct [[gnu::packed, gnu::aligned(2)]] TcpHdr {
  uint16_t sport;
  uint16_t dport;
  uint32_t seq;
  uint32_t ack;
  uint8_t data_off;  // high nibble: header length in 32-bit words
  uint8_t flags;
  uint16_t window;
  uint16_t checksum;
  uint16_t urgent;

  constexpr unsigned header_bytes() const noexcept {
    return (data_off >> 4) * 4u;
  }
};
static_assert(sizeof(TcpHdr) == 20);

struct [[gnu::packed, gnu::aligned(2)]] UdpHdr {
  uint16_t sport;
  uint16_t dport;
  uint16_t length;
  uint16_t checksum;
};
static_assert(sizeof(UdpHdr) == 8);

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;

struct [[gnu::packed, gnu::aligned(2)]] IcmpHdr {
  uint8_t type;
  uint8_t code;
  uint16_t checksum;
  uint16_t id;  // echo identifier (other types: "rest of header")
  uint16_t seq;
};
static_assert(sizeof(IcmpHdr) == 8);

}  // namespace lb::packet
