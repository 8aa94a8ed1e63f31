#include <lb/gen/traffic.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::gen {

using packet::hton16;
using packet::hton32;

FlowTuple flow_tuple(const TrafficSpec& spec, uint32_t flow) noexcept {
  const uint32_t clients = std::max<uint32_t>(spec.clients, 1);
  return {packet::Ipv4Addr::from_host(spec.client_base.host() + flow % clients),
          static_cast<uint16_t>(kFirstClientPort + flow / clients)};
}

uint64_t max_flows(const TrafficSpec& spec) noexcept {
  return uint64_t{std::max<uint32_t>(spec.clients, 1)} * (65536u - kFirstClientPort);
}

SizeMix SizeMix::fixed(uint16_t wire_bytes) {
  SizeMix mix;
  mix.pattern_ = {std::clamp(wire_bytes, kMinWireBytes, kMaxWireBytes)};
  return mix;
}

SizeMix SizeMix::imix() {
  SizeMix mix;
  // 7:4:1, spread out so bursts are mixed too.
  mix.pattern_ = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570, 64};
  return mix;
}

uint16_t SizeMix::next() noexcept {
  const uint16_t size = pattern_[at_];
  at_ = at_ + 1 == pattern_.size() ? 0 : at_ + 1;
  return size;
}

double SizeMix::mean() const noexcept {
  return std::accumulate(pattern_.begin(), pattern_.end(), 0.0) /
         static_cast<double>(pattern_.size());
}

size_t write_frame(std::span<uint8_t> out, const TrafficSpec& spec, uint32_t flow, uint32_t seq,
                   uint64_t tx_tsc, uint16_t wire_bytes) noexcept {
  const bool tcp = spec.kind != Kind::kUdp;
  const size_t l4_bytes = tcp ? sizeof(packet::TcpHdr) : sizeof(packet::UdpHdr);
  const size_t headers = sizeof(packet::EthHdr) + sizeof(packet::Ipv4Hdr) + l4_bytes;
  const size_t len = std::max<size_t>(headers, wire_bytes - kFcsBytes);
  if (out.size() < len) return 0;
  std::memset(out.data(), 0, headers);
  const FlowTuple client = flow_tuple(spec, flow);

  auto* eth = reinterpret_cast<packet::EthHdr*>(out.data());
  eth->dst = spec.dst_mac.bytes;
  eth->src = spec.src_mac.bytes;
  eth->ether_type = hton16(packet::kEtherTypeIpv4);

  auto* ip = reinterpret_cast<packet::Ipv4Hdr*>(out.data() + sizeof(packet::EthHdr));
  ip->version_ihl = 0x45;
  ip->total_length = hton16(static_cast<uint16_t>(len - sizeof(packet::EthHdr)));
  ip->id = hton16(static_cast<uint16_t>(seq));
  ip->frag_off = hton16(packet::kIpv4FlagDf);
  ip->ttl = kSentTtl;
  ip->protocol = tcp ? packet::kIpProtoTcp : packet::kIpProtoUdp;
  ip->src = client.addr.be;
  ip->dst = spec.vip.be;
  ip->checksum =
      packet::ipv4_header_checksum({reinterpret_cast<const uint8_t*>(ip), sizeof(packet::Ipv4Hdr)});

  uint8_t* l4 = out.data() + sizeof(packet::EthHdr) + sizeof(packet::Ipv4Hdr);
  uint8_t* payload = l4 + l4_bytes;
  const size_t payload_len = len - headers;
  size_t at = 0;
  if (payload_len >= sizeof(Stamp)) {
    const Stamp stamp{hton16(kStampMagic), flow, seq, tx_tsc};
    std::memcpy(payload, &stamp, sizeof stamp);
    at = sizeof stamp;
  }
  for (; at < payload_len; ++at)
    payload[at] = static_cast<uint8_t>(at ^ seq);

  if (tcp) {
    auto* th = reinterpret_cast<packet::TcpHdr*>(l4);
    th->sport = hton16(client.port);
    th->dport = hton16(spec.vport);
    th->seq = hton32(seq);
    th->ack = spec.kind == Kind::kTcpAck ? hton32(1) : 0;
    th->data_off = 5 << 4;
    th->flags = spec.kind == Kind::kTcpSyn ? packet::kTcpSyn : packet::kTcpAck;
    th->window = hton16(65535);
  } else {
    auto* uh = reinterpret_cast<packet::UdpHdr*>(l4);
    uh->sport = hton16(client.port);
    uh->dport = hton16(spec.vport);
    uh->length = hton16(static_cast<uint16_t>(l4_bytes + payload_len));
  }
  const uint16_t sum =
      packet::ipv4_l4_checksum(ip->src, ip->dst, ip->protocol, {l4, l4_bytes + payload_len});
  if (tcp) {
    reinterpret_cast<packet::TcpHdr*>(l4)->checksum = sum;
  } else {
    reinterpret_cast<packet::UdpHdr*>(l4)->checksum = sum == 0 ? 0xffff : sum;
  }
  return len;
}

}  // namespace lb::gen
