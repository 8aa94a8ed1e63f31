#include <lb/nat/rewrite.h>

#include <cstddef>
#include <cstring>

#include <lb/packet/addr.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

#include "field.h"

namespace lb::nat {

namespace {

using packet::checksum_update16;
using packet::checksum_update32;

template <class Hdr>
Hdr* header_at(std::span<uint8_t> frame, size_t off) noexcept {
  return reinterpret_cast<Hdr*>(frame.data() + off);
}

// Which field a rewrite changes: the address and port on one side of the flow.
enum class Side { kSource, kDestination };

// Offsets of the rewritten fields: IPv4 src/dst, and TCP/UDP sport/dport
// (both protocols put the ports first).
template <Side side>
constexpr size_t kAddrOffset = side == Side::kSource ? offsetof(packet::Ipv4Hdr, src)
                                                     : offsetof(packet::Ipv4Hdr, dst);
template <Side side>
constexpr size_t kPortOffset = side == Side::kSource ? 0 : 2;

using detail::load;
using detail::store;

template <Side side>
void rewrite(std::span<uint8_t> frame, const packet::PacketMeta& meta, uint32_t addr_be,
             uint16_t port_be) noexcept {
  auto* ip = header_at<packet::Ipv4Hdr>(frame, meta.l3_off);
  uint8_t* addr = frame.data() + meta.l3_off + kAddrOffset<side>;
  const uint32_t old_addr = load<uint32_t>(addr);
  store(addr, addr_be);
  ip->checksum = checksum_update32(ip->checksum, old_addr, addr_be);

  uint8_t* port = frame.data() + meta.l4_off + kPortOffset<side>;
  const uint16_t old_port = load<uint16_t>(port);
  switch (ip->protocol) {
    case packet::kIpProtoTcp: {
      auto* tcp = header_at<packet::TcpHdr>(frame, meta.l4_off);
      // The pseudo-header covers the addresses: the L4 checksum changes with them.
      const uint16_t check = checksum_update32(tcp->checksum, old_addr, addr_be);
      tcp->checksum = checksum_update16(check, old_port, port_be);
      store(port, port_be);
      break;
    }
    case packet::kIpProtoUdp: {
      auto* udp = header_at<packet::UdpHdr>(frame, meta.l4_off);
      if (udp->checksum != 0) {  // 0: the sender sent no checksum; keep it that way
        uint16_t check = checksum_update32(udp->checksum, old_addr, addr_be);
        check = checksum_update16(check, old_port, port_be);
        udp->checksum = check == 0 ? 0xffff : check;  // RFC 768: computed 0 is sent as all ones
      }
      store(port, port_be);
      break;
    }
    default:
      break;
  }
}

}  // namespace

void rewrite_destination(std::span<uint8_t> frame, const packet::PacketMeta& meta, uint32_t addr_be,
                         uint16_t port_be) noexcept {
  rewrite<Side::kDestination>(frame, meta, addr_be, port_be);
}

void rewrite_source(std::span<uint8_t> frame, const packet::PacketMeta& meta, uint32_t addr_be,
                    uint16_t port_be) noexcept {
  rewrite<Side::kSource>(frame, meta, addr_be, port_be);
}

bool decrement_ttl(std::span<uint8_t> frame, const packet::PacketMeta& meta) noexcept {
  auto* ip = header_at<packet::Ipv4Hdr>(frame, meta.l3_off);
  if (ip->ttl <= 1) return false;
  // TTL shares a 16-bit checksum word with the protocol field.
  const uint16_t old_word = packet::hton16(static_cast<uint16_t>((ip->ttl << 8) | ip->protocol));
  --ip->ttl;
  const uint16_t new_word = packet::hton16(static_cast<uint16_t>((ip->ttl << 8) | ip->protocol));
  ip->checksum = checksum_update16(ip->checksum, old_word, new_word);
  return true;
}

void rewrite_destination_address(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                                 uint32_t addr_be) noexcept {
  uint8_t* ip = frame.data() + meta.l3_off;
  detail::replace_address(ip + kAddrOffset<Side::kDestination>,
                          ip + offsetof(packet::Ipv4Hdr, checksum), addr_be);
}

void rewrite_source_address(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                            uint32_t addr_be) noexcept {
  uint8_t* ip = frame.data() + meta.l3_off;
  detail::replace_address(ip + kAddrOffset<Side::kSource>, ip + offsetof(packet::Ipv4Hdr, checksum),
                          addr_be);
}

}  // namespace lb::nat
