// Frames from the wire up to the IPv4 decision: Ethernet filtering, parse
// outcomes, ARP (answering and learning), ICMP echo, and frames the kernel
// sends through an exception TAP.
#include <array>

#include <rte_mbuf.h>

#include <lb/dataplane/worker.h>
#include <lb/packet/checksum.h>
#include <lb/packet/wire.h>

namespace lb::dataplane {

namespace {

using packet::ParseResult;

// The drop counter for each parse outcome that is not kIpv4/kArp.
constexpr Drop drop_for(ParseResult r) noexcept {
  switch (r) {
    case ParseResult::kNotIp:
      return Drop::not_ip;
    case ParseResult::kTruncatedL2:
      return Drop::truncated_l2;
    case ParseResult::kBadArp:
      return Drop::bad_arp;
    case ParseResult::kBadIpHeader:
      return Drop::bad_ip_header;
    case ParseResult::kBadIpLength:
      return Drop::bad_ip_length;
    case ParseResult::kBadIpChecksum:
      return Drop::bad_ip_checksum;
    case ParseResult::kIpFragment:
      return Drop::fragment_unknown;
    case ParseResult::kTruncatedL4:
      return Drop::truncated_l4;
    case ParseResult::kBadL4Header:
      return Drop::bad_l4_header;
    case ParseResult::kIpv4:
    case ParseResult::kArp:
      break;
  }
  return Drop::not_ip;
}

std::span<const uint8_t> frame_of(const rte_mbuf* m) noexcept {
  return {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len};
}

}  // namespace

void Worker::handle_port_frame(uint16_t port, rte_mbuf* m, const Snapshot& snap) noexcept {
  if (m->nb_segs != 1) return drop(m, Drop::multi_segment);
  packet::PacketMeta meta;
  const bool csum_ok = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  const ParseResult r = packet::parse_frame(frame_of(m), meta, {.ip_checksum_verified = csum_ok});
  if (r == ParseResult::kTruncatedL2) return drop(m, Drop::truncated_l2);

  const auto* eth = rte_pktmbuf_mtod(m, const packet::EthHdr*);
  if (!meta.dst_is_broadcast_mac && eth->dst != shared_.ports[port].mac.bytes) {
    return drop(m, Drop::not_our_mac);
  }
  if (r == ParseResult::kArp) return handle_arp(port, m, snap);
  if (r == ParseResult::kIpv4) return handle_ipv4(port, m, meta, snap);
  if (r == ParseResult::kIpFragment) return handle_later_fragment(port, m, meta, snap);
  drop(m, drop_for(r));
}

void Worker::handle_arp(uint16_t port, rte_mbuf* m, const Snapshot& snap) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, packet::EthHdr*);
  auto* arp = rte_pktmbuf_mtod_offset(m, packet::ArpHdr*, sizeof(packet::EthHdr));
  const packet::Ipv4Addr spa{arp->spa};
  const packet::Ipv4Addr tpa{arp->tpa};
  const bool for_us = snap.arp_targets[port].find(tpa.be).has_value();

  // Like Linux: any ARP refreshes a known neighbor; one addressed to us may
  // also create the entry (the asker is about to talk to us). Probes (sender
  // 0.0.0.0) teach nothing.
  if (!spa.is_zero() && shared_.neighbors->learn(spa, packet::MacAddr{arp->sha}, now_ms_, for_us)) {
    stats_.event(Event::arp_learned);
  }
  if (!for_us) return drop(m, Drop::arp_not_for_us);
  if (packet::ntoh16(arp->op) != packet::kArpOpRequest) {
    rte_pktmbuf_free(m);  // a reply to one of our requests: consumed by learning
    return;
  }
  // Turn the request into its reply in place.
  const packet::MacAddr& mac = shared_.ports[port].mac;
  arp->op = packet::hton16(packet::kArpOpReply);
  arp->tha = arp->sha;
  arp->tpa = arp->spa;
  arp->sha = mac.bytes;
  arp->spa = tpa.be;
  eth->dst = eth->src;
  eth->src = mac.bytes;
  stats_.event(Event::arp_replies);
  tx_[port].push(m, stats_);
}

void Worker::answer_echo(uint16_t port, rte_mbuf* m, const packet::PacketMeta& meta) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, packet::EthHdr*);
  auto* ip = rte_pktmbuf_mtod_offset(m, packet::Ipv4Hdr*, meta.l3_off);
  auto* icmp = rte_pktmbuf_mtod_offset(m, packet::IcmpHdr*, meta.l4_off);
  // Type 8 -> 0 changes one checksummed word; swapping the addresses changes none.
  icmp->checksum = packet::checksum_update16(
      icmp->checksum, packet::hton16(uint16_t{packet::kIcmpEchoRequest} << 8 | icmp->code),
      packet::hton16(uint16_t{packet::kIcmpEchoReply} << 8 | icmp->code));
  icmp->type = packet::kIcmpEchoReply;
  const uint32_t requester = ip->src;
  ip->src = ip->dst;
  ip->dst = requester;
  constexpr uint8_t kReplyTtl = 64;
  ip->checksum =
      packet::checksum_update16(ip->checksum, packet::hton16(uint16_t(ip->ttl << 8 | ip->protocol)),
                                packet::hton16(uint16_t(kReplyTtl << 8 | ip->protocol)));
  ip->ttl = kReplyTtl;
  // Answer the sender's MAC on the arrival port: no route or ARP needed.
  eth->dst = eth->src;
  eth->src = shared_.ports[port].mac.bytes;
  stats_.event(Event::icmp_echo_replies);
  tx_[port].push(m, stats_);
}

void Worker::handle_kernel_frame(uint16_t port, rte_mbuf* m) noexcept {
  packet::PacketMeta meta;
  const ParseResult r = packet::parse_frame(frame_of(m), meta);
  // The kernel originates these: forward as they are (no TTL decrement), and
  // fragments too, since nothing is rewritten.
  if (r == ParseResult::kIpv4 || r == ParseResult::kIpFragment) {
    stats_.event(Event::from_kernel);
    const packet::Ipv4Addr dst{meta.key.dst};
    // Broadcast and multicast leave through the port whose TAP the kernel
    // chose, to the matching Ethernet group address: no ARP for them.
    if (dst.is_multicast()) return transmit(port, m, packet::MacAddr::multicast(dst));
    if (dst.is_limited_broadcast() || shared_.ports[port].address.is_broadcast(dst)) {
      return transmit(port, m, packet::MacAddr::broadcast());
    }
    // Too big for the port with DF: the kernel hears about it from lbd, as
    // from any router.
    return forward(m, dst, shared_.ports[port].address.addr.be);
  }
  if (r == ParseResult::kArp || r == ParseResult::kNotIp) return drop(m, Drop::exception_not_ipv4);
  drop(m, drop_for(r));
}

}  // namespace lb::dataplane
