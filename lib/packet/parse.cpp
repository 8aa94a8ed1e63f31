#include <lb/packet/parse.h>

#include <cstring>

#include <lb/packet/addr.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::packet {

namespace {

template <class Hdr>
const Hdr* header_at(std::span<const uint8_t> frame, size_t off) noexcept {
  if (off + sizeof(Hdr) > frame.size()) return nullptr;
  return reinterpret_cast<const Hdr*>(frame.data() + off);
}

ParseResult parse_l4(std::span<const uint8_t> frame, const Ipv4Hdr& ip, PacketMeta& meta) noexcept {
  const size_t l4_len = meta.ip_len - ip.ihl_bytes();
  const auto l4 = frame.subspan(meta.l4_off, l4_len);
  switch (ip.protocol) {
    case kIpProtoTcp: {
      const auto* tcp = header_at<TcpHdr>(l4, 0);
      if (tcp == nullptr) return ParseResult::kTruncatedL4;
      if (tcp->header_bytes() < sizeof(TcpHdr)) return ParseResult::kBadL4Header;
      if (tcp->header_bytes() > l4_len) return ParseResult::kTruncatedL4;
      meta.key.sport = tcp->sport;
      meta.key.dport = tcp->dport;
      meta.tcp_flags = tcp->flags;
      return ParseResult::kIpv4;
    }
    case kIpProtoUdp: {
      const auto* udp = header_at<UdpHdr>(l4, 0);
      if (udp == nullptr) return ParseResult::kTruncatedL4;
      // The UDP length covers the whole datagram, which a first fragment
      // carries only the start of.
      const unsigned udp_len = ntoh16(udp->length);
      const bool first_fragment = (meta.ip_flags & kMetaFirstFragment) != 0;
      if (udp_len < sizeof(UdpHdr) || (udp_len > l4_len && !first_fragment)) {
        return ParseResult::kBadL4Header;
      }
      meta.key.sport = udp->sport;
      meta.key.dport = udp->dport;
      return ParseResult::kIpv4;
    }
    case kIpProtoIcmp: {
      const auto* icmp = header_at<IcmpHdr>(l4, 0);
      if (icmp == nullptr) return ParseResult::kTruncatedL4;
      meta.icmp_type = icmp->type;
      return ParseResult::kIpv4;
    }
    default:
      // Other protocols carry no ports: the flow key is the address pair.
      return ParseResult::kIpv4;
  }
}

}  // namespace

ParseResult parse_frame(std::span<const uint8_t> frame, PacketMeta& meta,
                        ParseOptions options) noexcept {
  meta = PacketMeta{};
  const auto* eth = header_at<EthHdr>(frame, 0);
  if (eth == nullptr) return ParseResult::kTruncatedL2;
  meta.dst_is_broadcast_mac = (eth->dst[0] & 1) != 0;
  meta.l3_off = sizeof(EthHdr);

  const uint16_t ether_type = ntoh16(eth->ether_type);
  if (ether_type == kEtherTypeArp) {
    const auto* arp = header_at<ArpHdr>(frame, meta.l3_off);
    if (arp == nullptr || ntoh16(arp->hrd) != kArpHrdEther || ntoh16(arp->pro) != kEtherTypeIpv4 ||
        arp->hln != 6 || arp->pln != 4) {
      return ParseResult::kBadArp;
    }
    return ParseResult::kArp;
  }
  if (ether_type != kEtherTypeIpv4) return ParseResult::kNotIp;

  const auto* ip = header_at<Ipv4Hdr>(frame, meta.l3_off);
  if (ip == nullptr || (ip->version_ihl >> 4) != 4 || ip->ihl_bytes() < sizeof(Ipv4Hdr) ||
      meta.l3_off + ip->ihl_bytes() > frame.size()) {
    return ParseResult::kBadIpHeader;
  }
  meta.ip_len = ntoh16(ip->total_length);
  if (meta.ip_len < ip->ihl_bytes() || meta.l3_off + meta.ip_len > frame.size()) {
    return ParseResult::kBadIpLength;
  }
  if (!options.ip_checksum_verified &&
      ipv4_header_checksum(frame.subspan(meta.l3_off, ip->ihl_bytes())) != 0) {
    return ParseResult::kBadIpChecksum;
  }
  meta.l4_off = static_cast<uint16_t>(meta.l3_off + ip->ihl_bytes());
  meta.ttl = ip->ttl;
  meta.ip_id = ip->id;
  meta.key.src = ip->src;
  meta.key.dst = ip->dst;
  meta.key.proto = ip->protocol;
  const uint16_t frag = ntoh16(ip->frag_off);
  if (frag & kIpv4FlagDf) meta.ip_flags |= kMetaDontFragment;
  if ((frag & kIpv4FragOffsetMask) != 0) {
    meta.ip_flags |= kMetaLaterFragment;
    return ParseResult::kIpFragment;
  }
  // A first fragment carries the L4 header: it is classified like its flow.
  if (frag & kIpv4FlagMf) meta.ip_flags |= kMetaFirstFragment;
  return parse_l4(frame, *ip, meta);
}

bool parse_icmp_quote(std::span<const uint8_t> frame, const PacketMeta& meta,
                      IcmpQuote& quote) noexcept {
  quote = IcmpQuote{};
  quote.end = static_cast<uint16_t>(meta.l3_off + meta.ip_len);
  quote.l3_off = static_cast<uint16_t>(meta.l4_off + sizeof(IcmpHdr));
  const auto msg = frame.first(quote.end);
  const auto* ip = header_at<Ipv4Hdr>(msg, quote.l3_off);
  if (ip == nullptr || (ip->version_ihl >> 4) != 4 || ip->ihl_bytes() < sizeof(Ipv4Hdr) ||
      quote.l3_off + ip->ihl_bytes() > quote.end) {
    return false;
  }
  quote.l4_off = static_cast<uint16_t>(quote.l3_off + ip->ihl_bytes());
  quote.key.src = ip->src;
  quote.key.dst = ip->dst;
  quote.key.proto = ip->protocol;
  // Ports only from an unfragmented or first-fragment quote that includes them.
  const bool first = (ntoh16(ip->frag_off) & kIpv4FragOffsetMask) == 0;
  if (first && (ip->protocol == kIpProtoTcp || ip->protocol == kIpProtoUdp) &&
      quote.l4_off + 4u <= quote.end) {
    const auto* ports = msg.data() + quote.l4_off;
    std::memcpy(&quote.key.sport, ports, 2);
    std::memcpy(&quote.key.dport, ports + 2, 2);
    quote.has_ports = true;
  }
  return true;
}

const char* to_string(ParseResult r) noexcept {
  switch (r) {
    case ParseResult::kIpv4:
      return "ipv4";
    case ParseResult::kArp:
      return "arp";
    case ParseResult::kNotIp:
      return "not_ip";
    case ParseResult::kTruncatedL2:
      return "truncated_l2";
    case ParseResult::kBadArp:
      return "bad_arp";
    case ParseResult::kBadIpHeader:
      return "bad_ip_header";
    case ParseResult::kBadIpLength:
      return "bad_ip_length";
    case ParseResult::kBadIpChecksum:
      return "bad_ip_checksum";
    case ParseResult::kIpFragment:
      return "ip_fragment";
    case ParseResult::kTruncatedL4:
      return "truncated_l4";
    case ParseResult::kBadL4Header:
      return "bad_l4_header";
  }
  return "unknown";
}

}  // namespace lb::packet
