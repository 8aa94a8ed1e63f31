#include <lb/packet/builder.h>

#include <cstring>

#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::packet {

namespace {

template <class Hdr>
void append(std::vector<uint8_t>& out, const Hdr& hdr) {
  const auto* p = reinterpret_cast<const uint8_t*>(&hdr);
  out.insert(out.end(), p, p + sizeof(Hdr));
}

template <class Hdr>
Hdr* header_at(std::vector<uint8_t>& out, size_t off) {
  return reinterpret_cast<Hdr*>(out.data() + off);
}

}  // namespace

PacketBuilder& PacketBuilder::eth(MacAddr src, MacAddr dst) {
  eth_src_ = src;
  eth_dst_ = dst;
  return *this;
}

PacketBuilder& PacketBuilder::ipv4(Ipv4Addr src, Ipv4Addr dst, uint8_t ttl) {
  ip_src_ = src;
  ip_dst_ = dst;
  ttl_ = ttl;
  return *this;
}

PacketBuilder& PacketBuilder::ip_id(uint16_t id) {
  ip_id_ = id;
  return *this;
}

PacketBuilder& PacketBuilder::ip_tos(uint8_t tos) {
  tos_ = tos;
  return *this;
}

PacketBuilder& PacketBuilder::ip_dont_fragment(bool df) {
  df_ = df;
  return *this;
}

PacketBuilder& PacketBuilder::ip_fragment(bool more_fragments, uint16_t offset_8byte_units) {
  mf_ = more_fragments;
  frag_offset_ = offset_8byte_units;
  return *this;
}

PacketBuilder& PacketBuilder::ip_options(std::span<const uint8_t> options) {
  ip_options_.assign(options.begin(), options.end());
  while (ip_options_.size() % 4 != 0)
    ip_options_.push_back(0);  // end-of-options padding
  return *this;
}

PacketBuilder& PacketBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                                  uint32_t ack, uint16_t window) {
  l4_ = L4::kTcp;
  sport_ = sport;
  dport_ = dport;
  tcp_flags_ = flags;
  seq_ = seq;
  ack_ = ack;
  window_ = window;
  return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t sport, uint16_t dport) {
  l4_ = L4::kUdp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::udp_without_checksum() {
  udp_checksum_ = false;
  return *this;
}

PacketBuilder& PacketBuilder::icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq) {
  l4_ = L4::kIcmp;
  icmp_type_ = type;
  icmp_code_ = code;
  sport_ = id;
  dport_ = seq;
  return *this;
}

PacketBuilder& PacketBuilder::arp(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha,
                                  Ipv4Addr tpa) {
  l4_ = L4::kArp;
  arp_op_ = op;
  arp_sha_ = sha;
  arp_spa_ = spa;
  arp_tha_ = tha;
  arp_tpa_ = tpa;
  return *this;
}

PacketBuilder& PacketBuilder::payload(std::span<const uint8_t> bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}

PacketBuilder& PacketBuilder::payload(std::string_view text) {
  payload_.assign(text.begin(), text.end());
  return *this;
}

PacketBuilder& PacketBuilder::pad_to(size_t len) {
  pad_to_ = len;
  return *this;
}

std::vector<uint8_t> PacketBuilder::build() const {
  std::vector<uint8_t> out;
  EthHdr eth{};
  eth.dst = eth_dst_.bytes;
  eth.src = eth_src_.bytes;
  eth.ether_type = hton16(l4_ == L4::kArp ? kEtherTypeArp : kEtherTypeIpv4);
  append(out, eth);

  if (l4_ == L4::kArp) {
    ArpHdr arp{};
    arp.hrd = hton16(kArpHrdEther);
    arp.pro = hton16(kEtherTypeIpv4);
    arp.hln = 6;
    arp.pln = 4;
    arp.op = hton16(arp_op_);
    arp.sha = arp_sha_.bytes;
    arp.spa = arp_spa_.be;
    arp.tha = arp_tha_.bytes;
    arp.tpa = arp_tpa_.be;
    append(out, arp);
  } else {
    const size_t l3_off = out.size();
    const size_t ihl = sizeof(Ipv4Hdr) + ip_options_.size();
    Ipv4Hdr ip{};
    ip.version_ihl = static_cast<uint8_t>(0x40 | (ihl / 4));
    ip.tos = tos_;
    ip.id = hton16(ip_id_);
    ip.frag_off = hton16(static_cast<uint16_t>((df_ ? kIpv4FlagDf : 0) | (mf_ ? kIpv4FlagMf : 0) |
                                               (frag_offset_ & kIpv4FragOffsetMask)));
    ip.ttl = ttl_;
    ip.src = ip_src_.be;
    ip.dst = ip_dst_.be;
    append(out, ip);
    out.insert(out.end(), ip_options_.begin(), ip_options_.end());

    const size_t l4_off = out.size();
    switch (l4_) {
      case L4::kTcp: {
        ip.protocol = kIpProtoTcp;
        TcpHdr tcp{};
        tcp.sport = hton16(sport_);
        tcp.dport = hton16(dport_);
        tcp.seq = hton32(seq_);
        tcp.ack = hton32(ack_);
        tcp.data_off = 5 << 4;
        tcp.flags = tcp_flags_;
        tcp.window = hton16(window_);
        append(out, tcp);
        break;
      }
      case L4::kUdp: {
        ip.protocol = kIpProtoUdp;
        UdpHdr udp{};
        udp.sport = hton16(sport_);
        udp.dport = hton16(dport_);
        udp.length = hton16(static_cast<uint16_t>(sizeof(UdpHdr) + payload_.size()));
        append(out, udp);
        break;
      }
      case L4::kIcmp: {
        ip.protocol = kIpProtoIcmp;
        IcmpHdr icmp{};
        icmp.type = icmp_type_;
        icmp.code = icmp_code_;
        icmp.id = hton16(sport_);
        icmp.seq = hton16(dport_);
        append(out, icmp);
        break;
      }
      case L4::kNone:
      case L4::kArp:
        break;
    }
    out.insert(out.end(), payload_.begin(), payload_.end());

    auto* iph = header_at<Ipv4Hdr>(out, l3_off);
    iph->protocol = ip.protocol;
    iph->total_length = hton16(static_cast<uint16_t>(out.size() - l3_off));
    iph->checksum = 0;
    iph->checksum = ipv4_header_checksum(std::span(out).subspan(l3_off, ihl));

    const auto l4 = std::span(out).subspan(l4_off);
    switch (l4_) {
      case L4::kTcp:
        header_at<TcpHdr>(out, l4_off)->checksum =
            ipv4_l4_checksum(ip.src, ip.dst, kIpProtoTcp, l4);
        break;
      case L4::kUdp:
        if (udp_checksum_) {
          uint16_t c = ipv4_l4_checksum(ip.src, ip.dst, kIpProtoUdp, l4);
          // A computed 0 is sent as 0xffff: 0 means "no checksum" (RFC 768).
          header_at<UdpHdr>(out, l4_off)->checksum = c == 0 ? 0xffff : c;
        }
        break;
      case L4::kIcmp:
        header_at<IcmpHdr>(out, l4_off)->checksum = hton16(checksum_fold(checksum_partial(l4)));
        break;
      case L4::kNone:
      case L4::kArp:
        break;
    }
  }
  if (out.size() < pad_to_) out.resize(pad_to_, 0);
  return out;
}

}  // namespace lb::packet
