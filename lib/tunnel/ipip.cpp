#include <lb/tunnel/ipip.h>

#include <cstring>

#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::tunnel {

namespace {

// The pool's first usable address (host order) and how many there are.
struct Span {
  uint32_t first;
  uint32_t count;
};

Span usable(const packet::Ipv4Prefix& pool) noexcept {
  const uint32_t net = pool.addr.host() & pool.mask_host();
  const uint32_t size = ~pool.mask_host() + 1;  // 1 for a /32, 2 for a /31
  if (pool.len >= 31) return {net, size};
  return {net + 1, size - 2};
}

}  // namespace

std::vector<packet::Ipv4Addr> pool_addresses(const packet::Ipv4Prefix& pool) {
  const Span s = usable(pool);
  std::vector<packet::Ipv4Addr> out;
  out.reserve(s.count);
  for (uint32_t i = 0; i < s.count; ++i)
    out.push_back(packet::Ipv4Addr::from_host(s.first + i));
  return out;
}

packet::Ipv4Addr outer_source(packet::Ipv4Addr port_address,
                              const std::optional<packet::Ipv4Prefix>& pool,
                              uint32_t flow_hash) noexcept {
  if (!pool) return port_address;
  const Span s = usable(*pool);
  return packet::Ipv4Addr::from_host(s.first + flow_hash % s.count);
}

void write_ipip_header(std::span<uint8_t> outer, std::span<const uint8_t> inner, uint32_t src_be,
                       uint32_t dst_be, uint16_t id) noexcept {
  packet::Ipv4Hdr in;
  std::memcpy(&in, inner.data(), sizeof(in));
  packet::Ipv4Hdr out{};
  out.version_ihl = 0x45;
  out.tos = in.tos;
  out.total_length = packet::hton16(static_cast<uint16_t>(inner.size() + kIpipOverhead));
  out.id = packet::hton16(id);
  out.frag_off = in.frag_off & packet::hton16(packet::kIpv4FlagDf);
  out.ttl = in.ttl;
  out.protocol = packet::kIpProtoIpip;
  out.src = src_be;
  out.dst = dst_be;
  out.checksum =
      packet::ipv4_header_checksum({reinterpret_cast<const uint8_t*>(&out), sizeof(out)});
  std::memcpy(outer.data(), &out, sizeof(out));
}

}  // namespace lb::tunnel
