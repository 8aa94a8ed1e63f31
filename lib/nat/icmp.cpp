#include <lb/nat/icmp.h>

#include <algorithm>
#include <cstring>

#include <lb/packet/addr.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

#include "field.h"

namespace lb::nat {

namespace {

using packet::checksum_update16;
using packet::checksum_update32;

using detail::load;
using detail::replace_address;
using detail::store;

constexpr uint8_t kIcmpErrorTos = 0xc0;

}  // namespace

void translate_icmp_error(std::span<uint8_t> frame, const packet::PacketMeta& meta,
                          const packet::IcmpQuote& quote, IcmpDirection dir, uint32_t addr_be,
                          uint16_t port_be) noexcept {
  uint8_t* outer = frame.data() + meta.l3_off;
  uint8_t* quoted = frame.data() + quote.l3_off;
  const bool to_client = dir == IcmpDirection::kToClient;
  const size_t outer_field =
      to_client ? offsetof(packet::Ipv4Hdr, src) : offsetof(packet::Ipv4Hdr, dst);
  const size_t quoted_field =
      to_client ? offsetof(packet::Ipv4Hdr, dst) : offsetof(packet::Ipv4Hdr, src);
  constexpr size_t kCheck = offsetof(packet::Ipv4Hdr, checksum);

  replace_address(outer + outer_field, outer + kCheck, addr_be);
  const uint32_t old_addr = replace_address(quoted + quoted_field, quoted + kCheck, addr_be);

  if (quote.has_ports) {
    uint8_t* l4 = frame.data() + quote.l4_off;
    uint8_t* port = l4 + (to_client ? 2 : 0);
    const uint16_t old_port = load<uint16_t>(port);
    store(port, port_be);
    // The quoted L4 checksum, when quoted, follows the address and port change.
    const size_t check_off = quote.key.proto == packet::kIpProtoTcp ? 16 : 6;
    uint8_t* check = l4 + check_off;
    if (quote.l4_off + check_off + 2 <= quote.end) {
      const uint16_t c = load<uint16_t>(check);
      if (!(quote.key.proto == packet::kIpProtoUdp && c == 0)) {
        store(check, checksum_update16(checksum_update32(c, old_addr, addr_be), old_port, port_be));
      }
    }
  }

  auto* icmp = reinterpret_cast<packet::IcmpHdr*>(frame.data() + meta.l4_off);
  icmp->checksum = 0;
  icmp->checksum = packet::hton16(packet::checksum_fold(
      packet::checksum_partial(frame.subspan(meta.l4_off, quote.end - meta.l4_off))));
}

size_t write_icmp_error(std::span<uint8_t> out, std::span<const uint8_t> offending, uint8_t type,
                        uint8_t code, uint32_t rest, uint32_t src_be, uint32_t dst_be,
                        uint16_t id) noexcept {
  constexpr size_t kHeaders = sizeof(packet::Ipv4Hdr) + sizeof(packet::IcmpHdr);
  const size_t quoted = std::min(offending.size(), kIcmpErrorMaxLength - kHeaders);
  const size_t total = kHeaders + quoted;

  packet::Ipv4Hdr ip{};
  ip.version_ihl = 0x45;
  ip.tos = kIcmpErrorTos;
  ip.id = packet::hton16(id);
  ip.total_length = packet::hton16(static_cast<uint16_t>(total));
  ip.ttl = 64;
  ip.protocol = packet::kIpProtoIcmp;
  ip.src = src_be;
  ip.dst = dst_be;
  ip.checksum = packet::ipv4_header_checksum({reinterpret_cast<const uint8_t*>(&ip), sizeof(ip)});
  std::memcpy(out.data(), &ip, sizeof(ip));

  packet::IcmpHdr icmp{};
  icmp.type = type;
  icmp.code = code;
  const uint32_t rest_be = packet::hton32(rest);
  std::memcpy(&icmp.id, &rest_be, 4);
  std::memcpy(out.data() + sizeof(ip), &icmp, sizeof(icmp));
  std::memcpy(out.data() + kHeaders, offending.data(), quoted);
  const uint16_t sum = packet::hton16(
      packet::checksum_fold(packet::checksum_partial(out.subspan(sizeof(ip), total - sizeof(ip)))));
  std::memcpy(out.data() + sizeof(ip) + offsetof(packet::IcmpHdr, checksum), &sum, 2);
  return total;
}

}  // namespace lb::nat
